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
 *     ("semget"); "stdin-read", a read of stdin (read, fgets, getc,
 *     getline, scanf...); "wait", any call that may wait for input or a
 *     signal (those reads, poll, select, pselect, epoll_wait, pause,
 *     sigsuspend, sigwait...); "stdout-line": a whole line that reached
 *     stdout (through stdio, once it left the buffer, or write);
 *     "sem-wait": any wait on a POSIX semaphore, or "sem-take": one that
 *     took it;
 *   - fail: with SHMLAB_FAIL=CALL:N and SHMLAB_FAIL_ERRNO=E, the Nth call
 *     of CALL is not made: it fails as the C library reports a failure
 *     (-1, or (void *) -1 for shmat and mmap) with errno E, so a test
 *     can walk a failure path no friendly run reaches.
 *
 * With SHMLAB_STOP_AT_SLEEP_MS=N, a sleep of N ms or more (sleep, usleep,
 * nanosleep, clock_nanosleep) is a pause the grader times: the program
 * stops itself instead of sleeping, and once the grader lets it go on,
 * the call returns as though the whole time had passed. A test sees where
 * a program pauses, does there what the pause is for, and never waits for
 * the clock.
 *
 * With SHMLAB_GUARD_PAGES=1 it also puts a page no one may touch right
 * after every shared mapping a program makes (mmap of an object, shmat of
 * a segment) where the kernel chooses the place: reading or writing past
 * the end of the object then faults (SIGSEGV) on every run, instead of
 * reaching whatever memory happens to lie next to it.
 *
 * Only calls the student's code makes are seen (calls inside the C
 * library do not go through here), which is where the lab's races are.
 * Apart from a failure asked for, nothing here changes what a call does:
 * a guarded mapping holds the same bytes, and where a guard cannot be
 * placed the call is made as asked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
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
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
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
    char fail[EVENT_NAME_MAX];      /* SHMLAB_FAIL */
    long fail_n, fail_calls;
    int fail_errno;             /* SHMLAB_FAIL_ERRNO */
    long lines_submitted;       /* newlines handed to stdout */
    long lines_written;         /* of them, flushed to the pipe */
    bool guard_pages;           /* SHMLAB_GUARD_PAGES=1 */
    long long stop_at_sleep_ns; /* SHMLAB_STOP_AT_SLEEP_MS, or 0 */
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
    if (getenv("SHMLAB_STOP_AT_SLEEP_MS") != NULL)
        perturb.stop_at_sleep_ns = strtoll(getenv("SHMLAB_STOP_AT_SLEEP_MS"), NULL, 10) * 1000000;
    parse_event(getenv("SHMLAB_STOP_AFTER"), perturb.stop_after, &perturb.stop_after_n);
    parse_event(getenv("SHMLAB_STOP_BEFORE"), perturb.stop_before, &perturb.stop_before_n);
    parse_event(getenv("SHMLAB_FAIL"), perturb.fail, &perturb.fail_n);
    if (getenv("SHMLAB_FAIL_ERRNO") != NULL)
        perturb.fail_errno = (int)strtol(getenv("SHMLAB_FAIL_ERRNO"), NULL, 10);
    if (perturb.fail_errno <= 0)
        perturb.fail_errno = EIO;
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

/* Does EVENT, a call the program makes, answer the stop point SPEC? A
 * call that may wait for input or a signal (WAITS) also answers "wait". */
static bool answers(const char *spec, const char *event, bool waits)
{
    return spec[0] != '\0' && (strcmp(event, spec) == 0 || (waits && strcmp(spec, "wait") == 0));
}

/* Stop here if EVENT (or "wait", for a call that WAITS) is the one
 * SHMLAB_STOP_BEFORE names, for the Nth time. */
static void stop_point_before_call(const char *event, bool waits)
{
    if (answers(perturb.stop_before, event, waits) &&
        ++perturb.calls_before == perturb.stop_before_n)
        stop_here();
}

/* The same for SHMLAB_STOP_AFTER. */
static void stop_point_after_call(const char *event, bool waits)
{
    if (answers(perturb.stop_after, event, waits) && ++perturb.calls_after == perturb.stop_after_n)
        stop_here();
}

static void stop_point_before(const char *event)
{
    stop_point_before_call(event, false);
}

static void stop_point_after(const char *event)
{
    stop_point_after_call(event, false);
}

static void before_call(const char *event, bool waits)
{
    set_up();
    maybe_pause();
    stop_point_before_call(event, waits);
}

static void after_call(const char *event, bool waits)
{
    stop_point_after_call(event, waits);
    maybe_pause();
}

static void before(const char *event)
{
    before_call(event, false);
}

static void after(const char *event)
{
    after_call(event, false);
}

/* Is this call of EVENT the one SHMLAB_FAIL names? Then it is not made,
 * and errno is set as its failure would set it. */
static bool failing(const char *event)
{
    set_up();
    if (perturb.fail[0] == '\0' || strcmp(event, perturb.fail) != 0 ||
        ++perturb.fail_calls != perturb.fail_n)
        return false;
    errno = perturb.fail_errno;
    return true;
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

/* Is a sleep of NS nanoseconds a pause the grader times? Then the program
 * has stopped itself, and the grader has let it go on: the time is over. */
static bool paused_for_the_grader(long long ns)
{
    if (perturb.stop_at_sleep_ns <= 0 || ns < perturb.stop_at_sleep_ns)
        return false;
    stop_here();
    return true;
}

static long long timespec_ns(const struct timespec *ts)
{
    return ts == NULL ? 0 : (long long)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* NAME, made as the C library makes it, between the preload's points
 * before and after it; WAITS: it may wait for input or a signal; a sleep
 * call (of SLEEP_NS nanoseconds; 0 for any other call) may be a pause the
 * grader times. */
#define WRAP_CALL(waits, type, name, sleep_ns, params, args, ...)                                  \
    type name params                                                                               \
    {                                                                                              \
        REAL(type, #name, __VA_ARGS__)                                                             \
        set_up();                                                                                  \
        if (paused_for_the_grader(sleep_ns))                                                       \
            return 0;                                                                              \
        before_call(#name, waits);                                                                 \
        if (failing(#name))                                                                        \
            return (type)-1;                                                                       \
        type result = real args;                                                                   \
        int saved = errno;                                                                         \
        after_call(#name, waits);                                                                  \
        errno = saved;                                                                             \
        return result;                                                                             \
    }
#define WRAP(type, name, params, args, ...)                                                        \
    WRAP_CALL(false, type, name, 0, params, args, __VA_ARGS__)
#define WRAP_WAIT(type, name, params, args, ...)                                                   \
    WRAP_CALL(true, type, name, 0, params, args, __VA_ARGS__)

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

WRAP_WAIT(int, pause, (void), (), void)
WRAP_WAIT(int, poll, (struct pollfd * fds, nfds_t n, int timeout), (fds, n, timeout),
          struct pollfd *, nfds_t, int)
WRAP_WAIT(int, ppoll,
          (struct pollfd * fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask),
          (fds, n, timeout, mask), struct pollfd *, nfds_t, const struct timespec *,
          const sigset_t *)
WRAP_WAIT(int, select, (int n, fd_set *in, fd_set *out, fd_set *ex, struct timeval *timeout),
          (n, in, out, ex, timeout), int, fd_set *, fd_set *, fd_set *, struct timeval *)
WRAP_WAIT(int, pselect,
          (int n, fd_set *in, fd_set *out, fd_set *ex, const struct timespec *timeout,
           const sigset_t *mask),
          (n, in, out, ex, timeout, mask), int, fd_set *, fd_set *, fd_set *,
          const struct timespec *, const sigset_t *)
WRAP_WAIT(int, epoll_wait, (int fd, struct epoll_event *events, int n, int timeout),
          (fd, events, n, timeout), int, struct epoll_event *, int, int)
WRAP_WAIT(int, epoll_pwait,
          (int fd, struct epoll_event *events, int n, int timeout, const sigset_t *mask),
          (fd, events, n, timeout, mask), int, struct epoll_event *, int, int, const sigset_t *)
WRAP_WAIT(int, sigsuspend, (const sigset_t *mask), (mask), const sigset_t *)
WRAP_WAIT(int, sigwait, (const sigset_t *set, int *sig), (set, sig), const sigset_t *, int *)
WRAP_WAIT(int, sigwaitinfo, (const sigset_t *set, siginfo_t *info), (set, info), const sigset_t *,
          siginfo_t *)
WRAP_WAIT(int, sigtimedwait, (const sigset_t *set, siginfo_t *info, const struct timespec *timeout),
          (set, info, timeout), const sigset_t *, siginfo_t *, const struct timespec *)
WRAP(int, sigaction, (int sig, const struct sigaction *act, struct sigaction *old), (sig, act, old),
     int, const struct sigaction *, struct sigaction *)
WRAP(__sighandler_t, signal, (int sig, __sighandler_t handler), (sig, handler), int, __sighandler_t)

/* --- sleeps: the grader's clock ------------------------------------------------ */

WRAP_CALL(false, unsigned, sleep, (long long)seconds * 1000000000, (unsigned seconds), (seconds),
          unsigned)
WRAP_CALL(false, int, usleep, (long long)us * 1000, (useconds_t us), (us), useconds_t)
WRAP_CALL(false, int, nanosleep, timespec_ns(duration),
          (const struct timespec *duration, struct timespec *left), (duration, left),
          const struct timespec *, struct timespec *)

/* An absolute time (TIMER_ABSTIME) counts from now on CLOCK. */
int clock_nanosleep(clockid_t clock, int flags, const struct timespec *time, struct timespec *left)
{
    REAL(int, "clock_nanosleep", clockid_t, int, const struct timespec *, struct timespec *)
    long long ns = timespec_ns(time);
    struct timespec now;

    set_up();
    if ((flags & TIMER_ABSTIME) && clock_gettime(clock, &now) == 0)
        ns -= timespec_ns(&now);
    if (paused_for_the_grader(ns))
        return 0;
    before("clock_nanosleep");
    int result = real(clock, flags, time, left);
    after("clock_nanosleep");
    return result; /* an error number, not errno */
}

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
    if (failing("mmap"))
        return MAP_FAILED;
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
    if (failing("shmat"))
        return (void *)-1;
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
    if (failing("semctl"))
        return -1;
    result = real(id, num, cmd, arg);
    saved = errno;
    after("semctl");
    errno = saved;
    return result;
}

/* --- stdin ------------------------------------------------------------------- */

/* Variadic NAME, which hands its arguments to CALL (a function taking a
 * va_list ARGS) after LAST. */
#define FORWARD_VARIADIC(name, params, last, call)                                                 \
    int name params                                                                                \
    {                                                                                              \
        va_list args;                                                                              \
        int n;                                                                                     \
        va_start(args, last);                                                                      \
        n = call;                                                                                  \
        va_end(args);                                                                              \
        return n;                                                                                  \
    }

/* A stdio read NAME of STREAM: of stdin, a "stdin-read" and a "wait";
 * else the call's own name. */
#define WRAP_READ(type, name, params, args, stream, ...)                                           \
    type name params                                                                               \
    {                                                                                              \
        REAL(type, #name, __VA_ARGS__)                                                             \
        before_call((stream) == stdin ? "stdin-read" : #name, (stream) == stdin);                  \
        type result = real args;                                                                   \
        after_call((stream) == stdin ? "stdin-read" : #name, (stream) == stdin);                   \
        return result;                                                                             \
    }

WRAP_READ(char *, fgets, (char *s, int size, FILE *stream), (s, size, stream), stream, char *, int,
          FILE *)
WRAP_READ(int, getchar, (void), (), stdin, void)
/* At -O2 the C library's headers turn getchar() into getc(stdin). */
WRAP_READ(int, getc, (FILE * stream), (stream), stream, FILE *)
WRAP_READ(int, fgetc, (FILE * stream), (stream), stream, FILE *)
WRAP_READ(ssize_t, getline, (char **line, size_t *size, FILE *stream), (line, size, stream), stream,
          char **, size_t *, FILE *)
WRAP_READ(ssize_t, getdelim, (char **line, size_t *size, int delimiter, FILE *stream),
          (line, size, delimiter, stream), stream, char **, size_t *, int, FILE *)
WRAP_READ(size_t, fread, (void *data, size_t size, size_t n, FILE *stream), (data, size, n, stream),
          stream, void *, size_t, size_t, FILE *)
/* scanf() and fscanf() under -std=c11 are the C library's __isoc99_
 * ones. */
WRAP_READ(int, __isoc99_vfscanf, (FILE * stream, const char *format, va_list args),
          (stream, format, args), stream, FILE *, const char *, va_list)
FORWARD_VARIADIC(__isoc99_scanf, (const char *format, ...), format,
                 __isoc99_vfscanf(stdin, format, args))
FORWARD_VARIADIC(__isoc99_fscanf, (FILE * stream, const char *format, ...), format,
                 __isoc99_vfscanf(stream, format, args))

ssize_t read(int fd, void *buf, size_t n)
{
    REAL(ssize_t, "read", int, void *, size_t)
    before_call(fd == 0 ? "stdin-read" : "read", fd == 0);
    ssize_t got = real(fd, buf, n);
    int saved = errno;
    after_call(fd == 0 ? "stdin-read" : "read", fd == 0);
    errno = saved;
    return got;
}

/* --- stdout -------------------------------------------------------------------- */

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

/* The C library's fwrite, for what this library prints itself: its own
 * fwrite() below would count the lines twice. */
static size_t library_fwrite(const void *data, size_t size, size_t n, FILE *stream)
{
    REAL(size_t, "fwrite", const void *, size_t, size_t, FILE *)
    return real(data, size, n, stream);
}

size_t fwrite(const void *data, size_t size, size_t n, FILE *stream)
{
    size_t done = library_fwrite(data, size, n, stream);
    if (stream == stdout)
        after_stdout(count_newlines(data, done * size));
    return done;
}

int vfprintf(FILE *stream, const char *format, va_list args)
{
    REAL(int, "vfprintf", FILE *, const char *, va_list)
    char text[8192];
    va_list copy;
    int n;

    if (stream != stdout)
        return real(stream, format, args);
    va_copy(copy, args);
    n = vsnprintf(text, sizeof(text), format, copy);
    va_end(copy);
    if (n < 0 || (size_t)n >= sizeof(text)) /* too long to count: print it */
        return real(stream, format, args);
    n = (int)library_fwrite(text, 1, (size_t)n, stdout);
    after_stdout(count_newlines(text, (size_t)n));
    return n;
}

int vprintf(const char *format, va_list args)
{
    return vfprintf(stdout, format, args);
}

FORWARD_VARIADIC(printf, (const char *format, ...), format, vfprintf(stdout, format, args))

FORWARD_VARIADIC(fprintf, (FILE * stream, const char *format, ...), format,
                 vfprintf(stream, format, args))

/* dprintf() writes at once: its lines are on the pipe when it returns. */
int vdprintf(int fd, const char *format, va_list args)
{
    REAL(int, "vdprintf", int, const char *, va_list)
    char text[8192];
    va_list copy;
    int n, newlines = 0;

    va_copy(copy, args);
    n = vsnprintf(text, sizeof(text), format, copy);
    va_end(copy);
    if (n >= 0 && (size_t)n < sizeof(text))
        newlines = (int)count_newlines(text, (size_t)n);
    n = real(fd, format, args);
    if (fd == 1 && n > 0) {
        int saved = errno;
        set_up();
        lines_reached_pipe(newlines);
        maybe_pause();
        errno = saved;
    }
    return n;
}

FORWARD_VARIADIC(dprintf, (int fd, const char *format, ...), format, vdprintf(fd, format, args))

int puts(const char *s)
{
    REAL(int, "puts", const char *)
    int result = real(s);
    after_stdout(count_newlines(s, strlen(s)) + 1);
    return result;
}

/* putchar(c) is putc(c, stdout) at -O2. */
int putchar(int c)
{
    REAL(int, "putchar", int)
    int result = real(c);
    after_stdout(c == '\n');
    return result;
}

#define WRAP_PUT_CHAR(name)                                                                        \
    int name(int c, FILE *stream)                                                                  \
    {                                                                                              \
        REAL(int, #name, int, FILE *)                                                              \
        int result = real(c, stream);                                                              \
        if (stream == stdout)                                                                      \
            after_stdout(c == '\n');                                                               \
        return result;                                                                             \
    }
WRAP_PUT_CHAR(putc)
WRAP_PUT_CHAR(fputc)

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
