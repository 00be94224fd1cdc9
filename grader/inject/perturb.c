/*
 * perturb.c - libshmlab-perturb.so, preloaded into student programs by
 * race-prone tests (LD_PRELOAD): it makes the unlucky interleavings that
 * friendly timing never produces, on purpose and reproducibly.
 *
 * At every point where interleavings between the lab's processes matter
 * (shared-memory and semaphore calls, reads of stdin, writes to stdout,
 * sleeps, installing a signal handler) it can
 *
 *   - pause: with SHMLAB_SEED=N, a seeded pseudo-random choice, per call,
 *     between going on, yielding the processor and sleeping up to 2 ms;
 *     the same seed makes the same choices, so a failing schedule replays;
 *   - stop: with SHMLAB_STOP_AFTER=EVENT:N (or SHMLAB_STOP_BEFORE), the
 *     program stops itself (SIGSTOP) right after (before) the Nth EVENT,
 *     and the grader, which sees it stopped, does what the unlucky moment
 *     needs (reads the segment, sends a signal, starts another process)
 *     before it lets it go on (SIGCONT). EVENT is a call's name
 *     ("semget"), "stdout-line": a whole line written to stdout,
 *     "sem-wait": any wait on a POSIX semaphore, or "sem-take": one that
 *     took it.
 *
 * With SHMLAB_GUARD_PAGES=1 it also puts a page no one may touch right
 * after every shared mapping a program makes (mmap of an object, shmat of
 * a segment) where the kernel chooses the place: reading or writing past
 * the end of the object then faults (SIGSEGV) on every run, instead of
 * reaching whatever memory happens to lie next to it.
 *
 * Only calls the student's code makes are seen (calls inside the C
 * library do not go through here), which is where the lab's races are.
 * Nothing here changes what a call does: a guarded mapping holds the same
 * bytes, and where a guard cannot be placed the call is made as asked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define EVENT_NAME_MAX 32

static struct {
    bool ready;
    bool seeded;
    uint64_t state; /* xorshift64* */
    char stop_after[EVENT_NAME_MAX];
    long stop_after_n;
    char stop_before[EVENT_NAME_MAX];
    long stop_before_n;
    long calls_after, calls_before; /* matching events seen */
    long lines_submitted;           /* newlines handed to stdout */
    long lines_written;             /* of them, flushed to the pipe */
    bool guard_pages;               /* SHMLAB_GUARD_PAGES=1 */
} perturb;

/* "NAME:N" into NAME and N (default 1). */
static void parse_event(const char *text, char name[EVENT_NAME_MAX], long *n)
{
    const char *colon;

    if (text == NULL || text[0] == '\0')
        return;
    colon = strchr(text, ':');
    snprintf(name, EVENT_NAME_MAX, "%.*s", colon ? (int)(colon - text) : EVENT_NAME_MAX - 1, text);
    *n = colon ? strtol(colon + 1, NULL, 10) : 1;
    if (*n < 1)
        *n = 1;
}

static void set_up(void)
{
    const char *seed;

    /* A sanitizer's runtime maps memory before the C library has set up
     * the environment: read it once it is there, not before. */
    if (perturb.ready || environ == NULL)
        return;
    perturb.ready = true;
    seed = getenv("SHMLAB_SEED");
    if (seed != NULL && seed[0] != '\0') {
        perturb.seeded = true;
        /* Mix in the program's name, so two programs with one seed make
         * different choices. */
        perturb.state = strtoull(seed, NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
        for (const char *c = program_invocation_short_name; *c != '\0'; c++)
            perturb.state = (perturb.state ^ (unsigned char)*c) * 0x100000001B3ull;
        if (perturb.state == 0)
            perturb.state = 1;
    }
    perturb.guard_pages =
        getenv("SHMLAB_GUARD_PAGES") != NULL && strcmp(getenv("SHMLAB_GUARD_PAGES"), "1") == 0;
    parse_event(getenv("SHMLAB_STOP_AFTER"), perturb.stop_after, &perturb.stop_after_n);
    parse_event(getenv("SHMLAB_STOP_BEFORE"), perturb.stop_before, &perturb.stop_before_n);
}

static uint64_t next_random(void)
{
    perturb.state ^= perturb.state >> 12;
    perturb.state ^= perturb.state << 25;
    perturb.state ^= perturb.state >> 27;
    return perturb.state * 0x2545F4914F6CDD1Dull;
}

/* A seeded pause: half the time nothing, then a yield, then a sleep of
 * up to 2 ms. errno is kept for the caller. */
static void maybe_pause(void)
{
    int saved = errno;
    uint64_t r;

    if (!perturb.seeded)
        return;
    r = next_random() % 8;
    if (r >= 4 && r < 6) {
        sched_yield();
    } else if (r >= 6) {
        struct timespec ts = {0, (long)(next_random() % 2000000)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    errno = saved;
}

static void stop_here(void)
{
    int saved = errno;
    raise(SIGSTOP);
    errno = saved;
}

/* Stop here if EVENT is the one SHMLAB_STOP_BEFORE names, for the Nth time. */
static void stop_point_before(const char *event)
{
    if (perturb.stop_before[0] != '\0' && strcmp(event, perturb.stop_before) == 0 &&
        ++perturb.calls_before == perturb.stop_before_n)
        stop_here();
}

/* Stop here if EVENT is the one SHMLAB_STOP_AFTER names, for the Nth time. */
static void stop_point_after(const char *event)
{
    if (perturb.stop_after[0] != '\0' && strcmp(event, perturb.stop_after) == 0 &&
        ++perturb.calls_after == perturb.stop_after_n)
        stop_here();
}

static void before(const char *event)
{
    set_up();
    maybe_pause();
    stop_point_before(event);
}

static void after(const char *event)
{
    stop_point_after(event);
    maybe_pause();
}

/* N more lines of stdout have reached the pipe: stop after the line
 * SHMLAB_STOP_AFTER=stdout-line:N names. */
static void lines_reached_pipe(long n)
{
    long before_count = perturb.calls_after;

    if (n <= 0 || strcmp(perturb.stop_after, "stdout-line") != 0)
        return;
    perturb.calls_after += n;
    if (before_count < perturb.stop_after_n && perturb.calls_after >= perturb.stop_after_n)
        stop_here();
}

/* After a stdio call on stdout that handed it NEWLINES lines: once
 * nothing is pending in its buffer, every line handed to it has reached
 * the pipe. */
static void after_stdout(long newlines)
{
    set_up();
    perturb.lines_submitted += newlines;
    if (__fpending(stdout) == 0 && perturb.lines_written < perturb.lines_submitted) {
        long written = perturb.lines_submitted - perturb.lines_written;
        perturb.lines_written = perturb.lines_submitted;
        lines_reached_pipe(written);
    }
    maybe_pause();
}

static long count_newlines(const char *s, size_t n)
{
    long count = 0;
    for (size_t i = 0; i < n; i++)
        count += s[i] == '\n';
    return count;
}

/* The next definition of NAME: the C library's. */
#define REAL(type, name, ...)                                                                      \
    static type (*real)(__VA_ARGS__);                                                              \
    if (real == NULL)                                                                              \
        real = (type(*)(__VA_ARGS__))dlsym(RTLD_NEXT, name);

/* --- shared memory and semaphores ------------------------------------------- */

#define WRAP(type, name, params, args, ...)                                                        \
    type name params                                                                               \
    {                                                                                              \
        REAL(type, #name, __VA_ARGS__)                                                             \
        before(#name);                                                                             \
        type result = real args;                                                                   \
        int saved = errno;                                                                         \
        after(#name);                                                                              \
        errno = saved;                                                                             \
        return result;                                                                             \
    }

WRAP(int, shmget, (key_t key, size_t size, int flags), (key, size, flags), key_t, size_t, int)
WRAP(int, shmdt, (const void *at), (at), const void *)
WRAP(int, shmctl, (int id, int cmd, struct shmid_ds *buf), (id, cmd, buf), int, int,
     struct shmid_ds *)
WRAP(int, semget, (key_t key, int n, int flags), (key, n, flags), key_t, int, int)
WRAP(int, semop, (int id, struct sembuf *ops, size_t n), (id, ops, n), int, struct sembuf *, size_t)
WRAP(int, semtimedop, (int id, struct sembuf *ops, size_t n, const struct timespec *timeout),
     (id, ops, n, timeout), int, struct sembuf *, size_t, const struct timespec *)
WRAP(int, shm_open, (const char *name, int flags, mode_t mode), (name, flags, mode), const char *,
     int, mode_t)
WRAP(int, shm_unlink, (const char *name), (name), const char *)
WRAP(int, ftruncate, (int fd, off_t length), (fd, length), int, off_t)
WRAP(int, munmap, (void *at, size_t length), (at, length), void *, size_t)
WRAP(int, sem_post, (sem_t * sem), (sem), sem_t *)
WRAP(int, sem_init, (sem_t * sem, int shared, unsigned value), (sem, shared, value), sem_t *, int,
     unsigned)
WRAP(int, sem_destroy, (sem_t * sem), (sem), sem_t *)
WRAP(int, sem_close, (sem_t * sem), (sem), sem_t *)
WRAP(int, sem_unlink, (const char *name), (name), const char *)

/*
 * The waits on a POSIX semaphore. Each is an event of its own name, and
 * also "sem-wait", whichever of them a program calls; one that took the
 * semaphore is then "sem-take" too. So "sem-take:2" is the moment a
 * program has taken its second semaphore, however it waits (timed or
 * not, retried after EINTR or not).
 */
#define WRAP_SEM_WAIT(name, params, args, ...)                                                     \
    int name params                                                                                \
    {                                                                                              \
        REAL(int, #name, __VA_ARGS__)                                                              \
        before(#name);                                                                             \
        stop_point_before("sem-wait");                                                             \
        int result = real args;                                                                    \
        int saved = errno;                                                                         \
        stop_point_after("sem-wait");                                                              \
        if (result == 0)                                                                           \
            stop_point_after("sem-take");                                                          \
        after(#name);                                                                              \
        errno = saved;                                                                             \
        return result;                                                                             \
    }

WRAP_SEM_WAIT(sem_wait, (sem_t * sem), (sem), sem_t *)
WRAP_SEM_WAIT(sem_trywait, (sem_t * sem), (sem), sem_t *)
WRAP_SEM_WAIT(sem_timedwait, (sem_t * sem, const struct timespec *timeout), (sem, timeout), sem_t *,
              const struct timespec *)
WRAP_SEM_WAIT(sem_clockwait, (sem_t * sem, clockid_t clock, const struct timespec *timeout),
              (sem, clock, timeout), sem_t *, clockid_t, const struct timespec *)

WRAP(unsigned, sleep, (unsigned seconds), (seconds), unsigned)
WRAP(int, usleep, (useconds_t us), (us), useconds_t)
WRAP(int, nanosleep, (const struct timespec *t, struct timespec *left), (t, left),
     const struct timespec *, struct timespec *)
WRAP(int, pause, (void), (), void)
WRAP(int, sigaction, (int sig, const struct sigaction *act, struct sigaction *old), (sig, act, old),
     int, const struct sigaction *, struct sigaction *)
WRAP(__sighandler_t, signal, (int sig, __sighandler_t handler), (sig, handler), int, __sighandler_t)

/* --- guard pages ------------------------------------------------------------- */

/* LENGTH bytes, rounded up to whole pages, and one page more, reserved
 * where the kernel chooses and inaccessible; NULL if none. RESERVE is the
 * C library's mmap. */
static void *reserve_with_guard(void *(*reserve)(void *, size_t, int, int, int, off_t),
                                size_t length, size_t *reserved)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *place;

    if (length == 0 || length > SIZE_MAX - 2 * page)
        return NULL;
    *reserved = (length + page - 1) / page * page + page;
    place = reserve(NULL, *reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return place == MAP_FAILED ? NULL : place;
}

/* Give back a reservation whose mapping could not be made (straight to
 * the kernel: munmap here would count as the program's). */
static void release(void *place, size_t reserved)
{
    int saved = errno;
    syscall(SYS_munmap, place, reserved);
    errno = saved;
}

void *mmap(void *at, size_t length, int prot, int flags, int fd, off_t offset)
{
    REAL(void *, "mmap", void *, size_t, int, int, int, off_t)
    void *result = MAP_FAILED, *place = NULL;
    size_t reserved = 0;
    int saved;

    before("mmap");
    set_up();
    if (perturb.guard_pages && at == NULL && (flags & MAP_SHARED) && !(flags & MAP_ANONYMOUS) &&
        !(flags & MAP_FIXED) && fd >= 0)
        place = reserve_with_guard(real, length, &reserved);
    if (place != NULL) {
        result = real(place, length, prot, flags | MAP_FIXED, fd, offset);
        if (result == MAP_FAILED)
            release(place, reserved);
    }
    if (result == MAP_FAILED) /* unguarded, or the guard could not be placed: as asked */
        result = real(at, length, prot, flags, fd, offset);
    saved = errno;
    after("mmap");
    errno = saved;
    return result;
}

void *shmat(int id, const void *at, int flags)
{
    REAL(void *, "shmat", int, const void *, int)
    static void *(*reserve)(void *, size_t, int, int, int, off_t);
    void *result = (void *)-1, *place = NULL;
    struct shmid_ds segment;
    size_t reserved = 0;
    int saved;

    before("shmat");
    set_up();
    if (reserve == NULL)
        reserve = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    if (perturb.guard_pages && at == NULL && !(flags & SHM_REMAP) && reserve != NULL &&
        syscall(SYS_shmctl, id, IPC_STAT, &segment) == 0)
        place = reserve_with_guard(reserve, segment.shm_segsz, &reserved);
    if (place != NULL) {
        result = real(id, place, flags | SHM_REMAP);
        if (result == (void *)-1)
            release(place, reserved);
    }
    if (result == (void *)-1)
        result = real(id, at, flags);
    saved = errno;
    after("shmat");
    errno = saved;
    return result;
}

/* semctl is variadic: its fourth argument is there for some commands. */
int semctl(int id, int num, int cmd, ...)
{
    REAL(int, "semctl", int, int, int, ...)
    va_list args;
    unsigned long arg;
    int result, saved;

    va_start(args, cmd);
    arg = va_arg(args, unsigned long); /* read either way: a register */
    va_end(args);
    before("semctl");
    result = real(id, num, cmd, arg);
    saved = errno;
    after("semctl");
    errno = saved;
    return result;
}

/* --- stdin and stdout -------------------------------------------------------- */

char *fgets(char *s, int size, FILE *stream)
{
    REAL(char *, "fgets", char *, int, FILE *)
    before(stream == stdin ? "stdin-read" : "fgets");
    char *result = real(s, size, stream);
    after(stream == stdin ? "stdin-read" : "fgets");
    return result;
}

int getchar(void)
{
    REAL(int, "getchar", void)
    before("stdin-read");
    int c = real();
    after("stdin-read");
    return c;
}

ssize_t getline(char **line, size_t *size, FILE *stream)
{
    REAL(ssize_t, "getline", char **, size_t *, FILE *)
    before(stream == stdin ? "stdin-read" : "getline");
    ssize_t n = real(line, size, stream);
    after(stream == stdin ? "stdin-read" : "getline");
    return n;
}

ssize_t read(int fd, void *buf, size_t n)
{
    REAL(ssize_t, "read", int, void *, size_t)
    before(fd == 0 ? "stdin-read" : "read");
    ssize_t got = real(fd, buf, n);
    int saved = errno;
    after(fd == 0 ? "stdin-read" : "read");
    errno = saved;
    return got;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(ssize_t, "write", int, const void *, size_t)
    ssize_t done = real(fd, buf, n);
    int saved = errno;
    if (fd == 1 && done > 0) {
        /* Not through stdio: these lines are on the pipe now. */
        set_up();
        lines_reached_pipe(count_newlines(buf, (size_t)done));
        maybe_pause();
    }
    errno = saved;
    return done;
}

int vprintf(const char *format, va_list args)
{
    char text[8192];
    va_list copy;
    int n;

    va_copy(copy, args);
    n = vsnprintf(text, sizeof(text), format, copy);
    va_end(copy);
    if (n < 0 || (size_t)n >= sizeof(text)) /* too long to count: print it */
        n = vfprintf(stdout, format, args);
    else
        n = (int)fwrite(text, 1, (size_t)n, stdout), after_stdout(count_newlines(text, (size_t)n));
    return n;
}

int printf(const char *format, ...)
{
    va_list args;
    int n;
    va_start(args, format);
    n = vprintf(format, args);
    va_end(args);
    return n;
}

int puts(const char *s)
{
    REAL(int, "puts", const char *)
    int result = real(s);
    after_stdout(count_newlines(s, strlen(s)) + 1);
    return result;
}

int putchar(int c)
{
    REAL(int, "putchar", int)
    int result = real(c);
    after_stdout(c == '\n');
    return result;
}

int fputs(const char *s, FILE *stream)
{
    REAL(int, "fputs", const char *, FILE *)
    int result = real(s, stream);
    if (stream == stdout)
        after_stdout(count_newlines(s, strlen(s)));
    return result;
}

int fflush(FILE *stream)
{
    REAL(int, "fflush", FILE *)
    int result = real(stream);
    if (stream == stdout || stream == NULL)
        after_stdout(0);
    return result;
}
