/*
 * threads.c - a lab's programs as threads of one process, so that
 * ThreadSanitizer sees both sides of the shared memory (make
 * VARIANT=threads builds it; see lab.mk).
 *
 *   ./threads [--hold-handovers] PROGRAM [ARG...] { -- | --after=TEXT } PROGRAM [ARG...] ...
 *
 * Each PROGRAM is built as PROGRAM.so; its main() runs in a thread of its
 * own. "--" starts the next program together with the one before it;
 * "--after=TEXT" starts it once the one before it has printed a line
 * containing TEXT (as the grader starts the consumer once the producer has
 * printed its id). Every line a program prints comes out prefixed with
 * "[PROGRAM] " ("[PROGRAM#N] " when several copies run), on stdout or
 * stderr as the program wrote it. The exit status is 0 when every program
 * exited with 0, else 1 (stderr says which did not); 2 for a bad command
 * line.
 *
 * Why: two processes that share memory race just as two threads do, but
 * race detectors watch one process. Here ThreadSanitizer sees every
 * access either program makes, and reports any two that nothing orders:
 * a plain, volatile or relaxed ready flag, a message read after it was
 * handed back, a count changed outside the critical section. It reports
 * them on every run, whatever the timing, because it judges the order
 * the synchronisation establishes, not the order things happened in.
 *
 * So that the programs behave as separate processes, the calls they share
 * come here: each program is linked with -Wl,--wrap=CALL, so its calls to
 * CALL land in __wrap_CALL below.
 *  - shmat gives one address per segment, whoever attaches it (else
 *    ThreadSanitizer would see two unrelated addresses); attachments are
 *    counted per program, so shmdt, the end of a program and IPC_STAT's
 *    shm_nattch behave as they do with processes.
 *  - mmap of a file (a POSIX shared memory object) with MAP_SHARED gives
 *    one address per object, part and protection, whoever maps it; the
 *    mapping stays until the driver ends, as a segment does.
 *  - System V semaphores keep their values in the kernel, but a program
 *    that must wait waits here, in a queue served first come, first
 *    served (as Linux does). Taking a semaphore (an operation that
 *    decrements or waits for zero) acquires, and giving one (an increment,
 *    SETVAL, SETALL, IPC_RMID) releases, on the set; looking at it
 *    (IPC_STAT, GETVAL) acquires, so what a creator wrote before it
 *    initialised the set is seen by whoever saw that. A correct critical
 *    section is race-free to ThreadSanitizer, an access outside it is
 *    not. A set's first waiting operations are held until every running
 *    program waits on a semaphore (or keeps polling, or has ended): from
 *    then on the programs take turns at the semaphore, so the critical
 *    sections of different programs always interleave, even on a machine
 *    so busy that one program could otherwise finish before the next
 *    one starts.
 *  - exit ends only the calling program, with its status; getpid gives
 *    each program a number of its own (its thread id).
 *  - stdout and stderr are the program's own streams (buffered as a
 *    pipe is), prefixed line by line.
 *  - with --hold-handovers (before the first PROGRAM), a program that
 *    sees a change another program made to an atomic (the other side
 *    handed something over: a flag went to FULL, an index moved) waits
 *    before it goes on, until every other running program has looked at
 *    an atomic again (or sleeps, yields, waits on a semaphore or ended;
 *    at most HOLD_MS). So the side that handed over always comes back to
 *    look before the other acts on what it got: a consumer that reads
 *    the struct after one check of the flag finds it EMPTY, and reads
 *    while the producer writes, on every run, not only when the machine
 *    is busy at the wrong moment. Correct programs only run a little
 *    slower; ThreadSanitizer then sees the unordered pair every time.
 * The driver's own bookkeeping is hidden from ThreadSanitizer (its lock
 * would otherwise order everything the programs do around each call);
 * the only orderings it adds are the ones above, and the start of a
 * program after the line it waited for.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ThreadSanitizer's annotations (libtsan). */
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
void AnnotateNewMemory(const char *file, int line, const volatile void *mem, size_t size);
void AnnotateThreadName(const char *file, int line, const char *name);

#define MAX_PROGRAMS 32
#define MAX_SEGMENTS 64
#define MAX_SETS     64
/* The most operations one semop may carry (Linux's SEMOPM). */
#define MAX_SEMOPS 500
/* A program that polled this often since a set's first waiter came (it
 * sleeps, yields or looks at a semaphore set) waits for something else,
 * not for its turn at the semaphore: the set's turns start without it. */
#define POLLS_NOT_COMING 3
/* Nobody else will come, after all (a program blocked in a read). */
#define GATE_TIMEOUT_MS 5000
/* How often a waiter looks again on its own (a change from outside). */
#define WAIT_TICK_MS 10
/* The longest a program is held after it saw a handover (--hold-handovers):
 * the other side may wait where the driver does not see it (a futex). */
#define HOLD_MS 500
/* The atomics whose changes --hold-handovers follows (flags, indices). */
#define MAX_WATCHED 16

enum program_state { PROGRAM_PENDING, PROGRAM_LIVE, PROGRAM_ENDED, PROGRAM_NOT_STARTED };

/* One output stream of a program: lines go out prefixed, whole. */
struct stream {
    FILE *file;
    int fd;
    struct program *owner;
    char *partial; /* the line being written */
    size_t len, cap;
};

struct program {
    const char *name;  /* "counter" */
    char label[64];    /* "producer", "counter#2" */
    const char *after; /* starts once the program before printed it */
    int argc;
    char **argv;
    int (*main)(int, char **, char **);
    pthread_t thread;
    enum program_state state;
    bool triggered;
    char start_sync; /* its start happens after the line it waited for */
    int status;
    pid_t tid;
    struct stream out, err;
    int attaches[MAX_SEGMENTS];
    bool waiting;                    /* in a semaphore queue */
    unsigned long polls;             /* sleeps, yields, looks at a set */
    unsigned long looks;             /* loads of atomics, and polls (--hold-handovers) */
    unsigned long seen[MAX_WATCHED]; /* the changes of each atomic it saw */
};

struct segment {
    int shmid;
    char *addr;
    size_t size;
    int attaches; /* by every program */
};

struct sem_set {
    int semid;
    bool gate_open;
    bool gate_started;
    long long gate_since;
    unsigned long polls_then[MAX_PROGRAMS];
    char sync; /* the address acquired and released on */
};

/* A program waiting in semop. */
struct waiter {
    struct program *who;
    struct sem_set *set;
    struct sembuf ops[MAX_SEMOPS];
    size_t n_ops;
    bool done;
    int error; /* errno when done without success */
    struct waiter *next;
};

static struct program programs[MAX_PROGRAMS];
static size_t n_programs;
static struct segment segments[MAX_SEGMENTS];
static size_t n_segments;
static struct sem_set sets[MAX_SETS];
static size_t n_sets;
static struct waiter *queue;
static __thread struct program *current;

static pthread_mutex_t driver_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t driver_changed = PTHREAD_COND_INITIALIZER;

/* --- the driver's lock, invisible to ThreadSanitizer ------------------------- */

static void driver_lock(void)
{
    AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
    pthread_mutex_lock(&driver_mutex);
}

static void driver_unlock(void)
{
    pthread_cond_broadcast(&driver_changed);
    pthread_mutex_unlock(&driver_mutex);
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
    AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
}

/* Wait (locked) for a change, at most MS milliseconds. */
static void driver_wait(int ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&driver_changed, &driver_mutex, &until);
}

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The driver's own failure: it cannot run the programs. It may come
 * with the driver's lock held, so nothing is flushed (stderr needs no
 * flushing) and no exit handler runs. */
static _Noreturn void driver_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void driver_fail(const char *format, ...)
{
    va_list args;

    fputs("threads: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    _exit(3);
}

/* --- output --------------------------------------------------------------- */

static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nobody reads any more: the output is lost, as a program's would be */
        data += n;
        len -= (size_t)n;
    }
}

static void start_waiting_programs(const struct program *p, const char *line);

/* One whole line of S, prefixed, in one write. */
static void emit_line(struct stream *s, const char *line, size_t len)
{
    size_t label_len = strlen(s->owner->label);
    char *text = malloc(label_len + len + 4);

    if (text == NULL)
        driver_fail("out of memory");
    text[0] = '[';
    memcpy(text + 1, s->owner->label, label_len);
    memcpy(text + 1 + label_len, "] ", 2);
    memcpy(text + 3 + label_len, line, len);
    text[3 + label_len + len] = '\n';
    write_all(s->fd, text, label_len + len + 4);
    if (s == &s->owner->out) {
        text[3 + label_len + len] = '\0';
        start_waiting_programs(s->owner, text + 3 + label_len);
    }
    free(text);
}

/* fopencookie's write: what the program's FILE flushes. */
static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
    struct stream *s = cookie;

    if (s->len + size > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->len + size)
            cap *= 2;
        char *bigger = realloc(s->partial, cap);
        if (bigger == NULL)
            return -1;
        s->partial = bigger;
        s->cap = cap;
    }
    memcpy(s->partial + s->len, buf, size);
    s->len += size;
    size_t start = 0;
    for (size_t i = 0; i < s->len; i++) {
        if (s->partial[i] == '\n') {
            emit_line(s, s->partial + start, i - start);
            start = i + 1;
        }
    }
    memmove(s->partial, s->partial + start, s->len - start);
    s->len -= start;
    return (ssize_t)size;
}

/* The rest of a line without its newline, when the program ends. */
static void stream_finish(struct stream *s, bool flush)
{
    if (flush)
        fflush(s->file);
    if (flush && s->len > 0)
        emit_line(s, s->partial, s->len);
    s->len = 0;
}

static void stream_open(struct stream *s, struct program *owner, int fd, int mode)
{
    static const cookie_io_functions_t io = {.write = stream_write};

    s->owner = owner;
    s->fd = fd;
    s->file = fopencookie(s, "w", io);
    if (s->file == NULL || setvbuf(s->file, NULL, mode, BUFSIZ) != 0)
        driver_fail("fopencookie: %s", strerror(errno));
}

/* The stream a program means by STREAM: its own stdout and stderr. */
static FILE *own(FILE *stream)
{
    if (current != NULL && stream == stdout)
        return current->out.file;
    if (current != NULL && stream == stderr)
        return current->err.file;
    return stream;
}

int __wrap_vfprintf(FILE *stream, const char *format, va_list args)
{
    return vfprintf(own(stream), format, args);
}

int __wrap_fprintf(FILE *stream, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vfprintf(own(stream), format, args);
    va_end(args);
    return n;
}

int __wrap_vprintf(const char *format, va_list args)
{
    return vfprintf(own(stdout), format, args);
}

int __wrap_printf(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vfprintf(own(stdout), format, args);
    va_end(args);
    return n;
}

int __wrap_puts(const char *text)
{
    FILE *out = own(stdout);
    return fputs(text, out) == EOF || fputc('\n', out) == EOF ? EOF : 1;
}

int __wrap_fputs(const char *text, FILE *stream)
{
    return fputs(text, own(stream));
}

int __wrap_putchar(int c)
{
    return fputc(c, own(stdout));
}

int __wrap_fputc(int c, FILE *stream)
{
    return fputc(c, own(stream));
}

int __wrap_putc(int c, FILE *stream)
{
    return fputc(c, own(stream));
}

size_t __wrap_fwrite(const void *data, size_t size, size_t n, FILE *stream)
{
    return fwrite(data, size, n, own(stream));
}

int __wrap_fflush(FILE *stream)
{
    /* fflush(NULL) flushes this program's streams, never another's. */
    if (current != NULL && stream == NULL) {
        int out = fflush(current->out.file), err = fflush(current->err.file);
        return out == EOF || err == EOF ? EOF : 0;
    }
    return fflush(own(stream));
}

int __wrap_setvbuf(FILE *stream, char *buf, int mode, size_t size)
{
    return setvbuf(own(stream), buf, mode, size);
}

void __wrap_setbuf(FILE *stream, char *buf)
{
    setbuf(own(stream), buf);
}

void __wrap_setlinebuf(FILE *stream)
{
    setvbuf(own(stream), NULL, _IOLBF, 0);
}

void __wrap_perror(const char *text)
{
    int saved = errno;
    fprintf(own(stderr), "%s%s%s\n", text && *text ? text : "", text && *text ? ": " : "",
            strerror(saved));
}

ssize_t __wrap_write(int fd, const void *data, size_t size)
{
    if (current == NULL || (fd != STDOUT_FILENO && fd != STDERR_FILENO))
        return write(fd, data, size);
    /* Whatever the program's stdio holds goes first, as it would. */
    FILE *stream = fd == STDOUT_FILENO ? current->out.file : current->err.file;
    fflush(stream);
    return stream_write(fd == STDOUT_FILENO ? &current->out : &current->err, data, size);
}

/* The name messages give (labs/common/shmlab.c: program_name()). */
const char *shmlab_thread_program_name(void)
{
    return current != NULL ? current->name : program_invocation_short_name;
}

/* --- a program's life ---------------------------------------------------- */

/* A call that waits for time to pass or looks at a semaphore set: the
 * program polls for something, it is not on its way to a semaphore. */
static void note_poll(void)
{
    if (current == NULL)
        return;
    driver_lock();
    current->polls++;
    current->looks++;
    driver_unlock();
}

int __wrap_nanosleep(const struct timespec *duration, struct timespec *left)
{
    note_poll();
    return nanosleep(duration, left);
}

int __wrap_clock_nanosleep(clockid_t clock, int flags, const struct timespec *duration,
                           struct timespec *left)
{
    note_poll();
    return clock_nanosleep(clock, flags, duration, left);
}

int __wrap_usleep(useconds_t microseconds)
{
    note_poll();
    return usleep(microseconds);
}

unsigned __wrap_sleep(unsigned seconds)
{
    note_poll();
    return sleep(seconds);
}

int __wrap_sched_yield(void)
{
    note_poll();
    return sched_yield();
}

pid_t __wrap_getpid(void)
{
    return current != NULL ? current->tid : getpid();
}

/* The program ends: its output goes out (unless it _exits), its
 * attachments go, and its thread ends with STATUS. */
static _Noreturn void program_end(int status, bool flush)
{
    struct program *p = current;

    stream_finish(&p->out, flush);
    stream_finish(&p->err, flush);
    driver_lock();
    for (size_t i = 0; i < n_segments; i++) {
        segments[i].attaches -= p->attaches[i];
        p->attaches[i] = 0;
    }
    p->status = status & 0xff;
    p->state = PROGRAM_ENDED;
    driver_unlock();
    pthread_exit(NULL);
}

_Noreturn void __wrap_exit(int status)
{
    if (current == NULL)
        exit(status);
    program_end(status, true);
}

_Noreturn void __wrap__exit(int status)
{
    if (current == NULL)
        _exit(status);
    program_end(status, false);
}

_Noreturn void __wrap__Exit(int status)
{
    __wrap__exit(status);
}

static void *run_program(void *arg)
{
    struct program *p = arg;

    current = p;
    p->tid = gettid();
    AnnotateThreadName(__FILE__, __LINE__, p->label);
    __tsan_acquire(&p->start_sync);
    program_end(p->main(p->argc, p->argv, environ), true);
}

/* P printed LINE: start the programs that waited for it. The line is
 * out before they start, as a test sees it before it starts them. */
static void start_waiting_programs(const struct program *p, const char *line)
{
    size_t next = (size_t)(p - programs) + 1;

    if (next >= n_programs || programs[next].after == NULL ||
        strstr(line, programs[next].after) == NULL)
        return;
    struct program *q = &programs[next];
    driver_lock();
    bool first = !q->triggered;
    driver_unlock();
    if (!first)
        return;
    __tsan_release(&q->start_sync);
    driver_lock();
    q->triggered = true;
    driver_unlock();
}

/* --- forced windows: a handover is acted on only after the other looked --- */

/* An atomic some program changed, and how often. */
struct watched {
    const volatile void *addr;
    unsigned long changes;
};

static bool hold_handovers; /* --hold-handovers */
static struct watched watched[MAX_WATCHED];
static size_t n_watched;
static bool watched_full_said;

/* The entry of ADDR (locked), made if MAKE; NULL when there is none. */
static struct watched *watched_at(const volatile void *addr, bool make)
{
    for (size_t i = 0; i < n_watched; i++)
        if (watched[i].addr == addr)
            return &watched[i];
    if (!make)
        return NULL;
    if (n_watched == MAX_WATCHED) {
        if (!watched_full_said)
            fprintf(stderr, "threads: --hold-handovers follows %d atomics; more are not held on\n",
                    MAX_WATCHED);
        watched_full_said = true;
        return NULL;
    }
    watched[n_watched].addr = addr;
    return &watched[n_watched++];
}

/* Every program but P that runs has looked since LOOKS_THEN was taken (locked). */
static bool others_looked(const struct program *p, const unsigned long *looks_then)
{
    for (size_t i = 0; i < n_programs; i++) {
        const struct program *q = &programs[i];
        if (q != p && q->state == PROGRAM_LIVE && !q->waiting && q->looks == looks_then[i])
            return false;
    }
    return true;
}

/*
 * The current program is about to store to the atomic at ADDR (or may, a
 * compare-exchange). The change is counted before it is made, so that
 * whoever loads the new value finds it counted. Its own change is no
 * news to it, unless it had not yet seen one made before.
 */
static void note_change(const volatile void *addr)
{
    if (!hold_handovers || current == NULL)
        return;
    driver_lock();
    struct watched *w = watched_at(addr, true);
    if (w != NULL) {
        size_t slot = (size_t)(w - watched);
        if (current->seen[slot] == w->changes)
            current->seen[slot] = w->changes + 1;
        w->changes++;
    }
    driver_unlock();
}

/*
 * The current program loaded the atomic at ADDR. If another program
 * changed it since this one last looked, this one may have seen a
 * handover: it waits until every other running program has looked at an
 * atomic again, so that the one who handed over is back at its check
 * before anything is done with what it handed over (see --hold-handovers
 * above). A change counted just before it was made can hold a program
 * that loaded the old value: a wait for nothing, never a missed one.
 */
static void note_look(const volatile void *addr)
{
    unsigned long looks_then[MAX_PROGRAMS];

    if (!hold_handovers || current == NULL)
        return;
    driver_lock();
    current->looks++;
    struct watched *w = watched_at(addr, false);
    size_t slot = w != NULL ? (size_t)(w - watched) : 0;
    if (w != NULL && current->seen[slot] != w->changes) {
        current->seen[slot] = w->changes;
        for (size_t i = 0; i < n_programs; i++)
            looks_then[i] = programs[i].looks;
        /* Its look may be what a program held before it waits for. */
        pthread_cond_broadcast(&driver_changed);
        long long deadline = now_ms() + HOLD_MS;
        while (!others_looked(current, looks_then) && now_ms() < deadline)
            driver_wait(WAIT_TICK_MS);
    }
    driver_unlock();
}

/* --- fences, which ThreadSanitizer does not follow -------------------------- */

/*
 * A release fence before a relaxed store of a flag, and an acquire fence
 * after a relaxed load that saw it, order everything around them as a
 * release store and an acquire load would (C11 7.17.4); but this
 * ThreadSanitizer takes fences for no-ops, and would report that correct
 * handshake as a race. So the programs' atomic operations come here
 * (ThreadSanitizer's __tsan_atomicN_* calls, wrapped like the others):
 * once a thread has made a release fence, its relaxed stores release;
 * an acquire fence acquires on every atomic the thread has read since
 * its last acquire fence.
 */
enum { ORDER_RELAXED, ORDER_CONSUME, ORDER_ACQUIRE, ORDER_RELEASE, ORDER_ACQ_REL, ORDER_SEQ_CST };

#define MAX_LOADED 8

static __thread bool release_fenced;
static __thread const volatile void *loaded[MAX_LOADED];
static __thread size_t n_loaded;

void __tsan_atomic_thread_fence(int order);

void __wrap___tsan_atomic_thread_fence(int order)
{
    if (order != ORDER_RELAXED && order != ORDER_RELEASE) {
        for (size_t i = 0; i < n_loaded; i++)
            __tsan_acquire((void *)loaded[i]);
        n_loaded = 0;
    }
    if (order >= ORDER_RELEASE)
        release_fenced = true;
    __tsan_atomic_thread_fence(order);
}

/* A load of ORDER at ADDR, for the next acquire fence to acquire on. */
static void note_load(const volatile void *addr, int order)
{
    if (order != ORDER_RELAXED && order != ORDER_CONSUME)
        return;
    for (size_t i = 0; i < n_loaded; i++)
        if (loaded[i] == addr)
            return;
    if (n_loaded == MAX_LOADED)
        memmove(loaded, loaded + 1, sizeof(loaded[0]) * --n_loaded);
    loaded[n_loaded++] = addr;
}

/* The order a store or a read-modify-write has after a release fence. */
static int fenced_order(int order)
{
    if (!release_fenced)
        return order;
    if (order == ORDER_RELAXED)
        return ORDER_RELEASE;
    return order == ORDER_ACQUIRE || order == ORDER_CONSUME ? ORDER_ACQ_REL : order;
}

/* The wrappers of one size of atomics. */
#define FENCED_ATOMICS(bits, type)                                                                 \
    type __tsan_atomic##bits##_load(const volatile type *a, int order);                            \
    void __tsan_atomic##bits##_store(volatile type *a, type v, int order);                         \
    int __tsan_atomic##bits##_compare_exchange_strong(volatile type *a, type *expected, type v,    \
                                                      int order, int fail_order);                  \
    int __tsan_atomic##bits##_compare_exchange_weak(volatile type *a, type *expected, type v,      \
                                                    int order, int fail_order);                    \
    type __tsan_atomic##bits##_compare_exchange_val(volatile type *a, type expected, type v,       \
                                                    int order, int fail_order);                    \
    type __wrap___tsan_atomic##bits##_load(const volatile type *a, int order)                      \
    {                                                                                              \
        type v = __tsan_atomic##bits##_load(a, order);                                             \
        note_load(a, order);                                                                       \
        note_look(a);                                                                              \
        return v;                                                                                  \
    }                                                                                              \
    void __wrap___tsan_atomic##bits##_store(volatile type *a, type v, int order)                   \
    {                                                                                              \
        note_change(a);                                                                            \
        __tsan_atomic##bits##_store(a, v, fenced_order(order));                                    \
    }                                                                                              \
    int __wrap___tsan_atomic##bits##_compare_exchange_strong(volatile type *a, type *expected,     \
                                                             type v, int order, int fail_order)    \
    {                                                                                              \
        note_change(a);                                                                            \
        int done = __tsan_atomic##bits##_compare_exchange_strong(a, expected, v,                   \
                                                                 fenced_order(order), fail_order); \
        note_load(a, done ? order : fail_order);                                                   \
        note_look(a);                                                                              \
        return done;                                                                               \
    }                                                                                              \
    int __wrap___tsan_atomic##bits##_compare_exchange_weak(volatile type *a, type *expected,       \
                                                           type v, int order, int fail_order)      \
    {                                                                                              \
        note_change(a);                                                                            \
        int done = __tsan_atomic##bits##_compare_exchange_weak(a, expected, v,                     \
                                                               fenced_order(order), fail_order);   \
        note_load(a, done ? order : fail_order);                                                   \
        note_look(a);                                                                              \
        return done;                                                                               \
    }                                                                                              \
    type __wrap___tsan_atomic##bits##_compare_exchange_val(volatile type *a, type expected,        \
                                                           type v, int order, int fail_order)      \
    {                                                                                              \
        note_change(a);                                                                            \
        type seen = __tsan_atomic##bits##_compare_exchange_val(a, expected, v,                     \
                                                               fenced_order(order), fail_order);   \
        note_load(a, seen == expected ? order : fail_order);                                       \
        note_look(a);                                                                              \
        return seen;                                                                               \
    }                                                                                              \
    FENCED_RMW(bits, type, exchange)                                                               \
    FENCED_RMW(bits, type, fetch_add)                                                              \
    FENCED_RMW(bits, type, fetch_sub)                                                              \
    FENCED_RMW(bits, type, fetch_and)                                                              \
    FENCED_RMW(bits, type, fetch_or)                                                               \
    FENCED_RMW(bits, type, fetch_xor)                                                              \
    FENCED_RMW(bits, type, fetch_nand)

/* A read-modify-write: it loads and stores. */
#define FENCED_RMW(bits, type, op)                                                                 \
    type __tsan_atomic##bits##_##op(volatile type *a, type v, int order);                          \
    type __wrap___tsan_atomic##bits##_##op(volatile type *a, type v, int order)                    \
    {                                                                                              \
        note_change(a);                                                                            \
        type old = __tsan_atomic##bits##_##op(a, v, fenced_order(order));                          \
        note_load(a, order);                                                                       \
        note_look(a);                                                                              \
        return old;                                                                                \
    }

FENCED_ATOMICS(8, char)
FENCED_ATOMICS(16, short)
FENCED_ATOMICS(32, int)
FENCED_ATOMICS(64, long)

/* --- System V shared memory: one address per segment -------------------- */

static struct segment *segment_of_id(int shmid)
{
    for (size_t i = 0; i < n_segments; i++)
        if (segments[i].shmid == shmid)
            return &segments[i];
    return NULL;
}

static struct segment *segment_at(const void *addr)
{
    for (size_t i = 0; i < n_segments; i++)
        if (segments[i].addr == addr)
            return &segments[i];
    return NULL;
}

/* Attach SHMID for the first time (locked). */
static struct segment *first_attach(int shmid, int flags)
{
    struct shmid_ds ds;
    char *addr;

    if (n_segments == MAX_SEGMENTS) {
        errno = EMFILE;
        return NULL;
    }
    /* Read-write if it may be: a later attachment may want to write. */
    addr = shmat(shmid, NULL, flags & ~SHM_RDONLY);
    if (addr == (void *)-1 && errno == EACCES && (flags & SHM_RDONLY))
        addr = shmat(shmid, NULL, flags);
    if (addr == (void *)-1)
        return NULL;
    if (shmctl(shmid, IPC_STAT, &ds) == -1)
        driver_fail("shmctl IPC_STAT of an attached segment: %s", strerror(errno));
    /* Whatever was at this address before is forgotten. */
    AnnotateNewMemory(__FILE__, __LINE__, addr, ds.shm_segsz);
    segments[n_segments] = (struct segment){.shmid = shmid, .addr = addr, .size = ds.shm_segsz};
    return &segments[n_segments++];
}

void *__wrap_shmat(int shmid, const void *addr, int flags)
{
    struct segment *seg;
    int saved;

    /* An address of the program's choosing is its own mapping. */
    if (current == NULL || addr != NULL)
        return shmat(shmid, addr, flags);
    driver_lock();
    seg = segment_of_id(shmid);
    if (seg == NULL)
        seg = first_attach(shmid, flags);
    saved = errno;
    if (seg != NULL) {
        seg->attaches++;
        current->attaches[seg - segments]++;
    }
    driver_unlock();
    errno = saved;
    return seg != NULL ? seg->addr : (void *)-1;
}

int __wrap_shmdt(const void *addr)
{
    struct segment *seg;
    int result = 0;

    if (current == NULL)
        return shmdt(addr);
    driver_lock();
    seg = segment_at(addr);
    if (seg != NULL && current->attaches[seg - segments] > 0) {
        /* The mapping stays until the driver ends: a later attachment
         * gets the same address, and ThreadSanitizer's record of it. */
        current->attaches[seg - segments]--;
        seg->attaches--;
    } else if (seg != NULL) {
        errno = EINVAL; /* not attached by this program */
        result = -1;
    }
    driver_unlock();
    return seg != NULL ? result : shmdt(addr);
}

/* --- shared mappings of objects: one address each ---------------------------- */

/* A file (a POSIX shared memory object) mapped MAP_SHARED: the programs
 * that map the same part of it get the same address. */
struct object_map {
    dev_t dev;
    ino_t ino;
    off_t offset;
    size_t length;
    int prot;
    char *addr;
    int maps; /* live mappings, by every program */
};

static struct object_map object_maps[MAX_SEGMENTS];
static size_t n_object_maps;

static struct object_map *object_map_of(const struct stat *st, off_t offset, size_t length,
                                        int prot)
{
    for (size_t i = 0; i < n_object_maps; i++) {
        struct object_map *m = &object_maps[i];
        if (m->dev == st->st_dev && m->ino == st->st_ino && m->offset == offset &&
            m->length == length && m->prot == prot)
            return m;
    }
    return NULL;
}

void *__wrap_mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    struct object_map *m;
    struct stat st;
    void *result;
    int saved;

    /* Private memory, an address of the program's choosing: its own. */
    if (current == NULL || addr != NULL || fd < 0 || (flags & MAP_SHARED) == 0 ||
        fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
        return mmap(addr, length, prot, flags, fd, offset);
    driver_lock();
    m = object_map_of(&st, offset, length, prot);
    if (m == NULL) {
        result = mmap(NULL, length, prot, flags, fd, offset);
        if (result != MAP_FAILED && n_object_maps < MAX_SEGMENTS) {
            m = &object_maps[n_object_maps++];
            *m = (struct object_map){.dev = st.st_dev,
                                     .ino = st.st_ino,
                                     .offset = offset,
                                     .length = length,
                                     .prot = prot,
                                     .addr = result};
        }
    } else {
        result = m->addr;
    }
    if (m != NULL)
        m->maps++;
    saved = errno;
    driver_unlock();
    errno = saved;
    return result;
}

int __wrap_munmap(void *addr, size_t length)
{
    int result = 0;
    bool shared = false;

    if (current == NULL)
        return munmap(addr, length);
    driver_lock();
    for (size_t i = 0; i < n_object_maps && !shared; i++) {
        struct object_map *m = &object_maps[i];
        if ((char *)addr != m->addr || length != m->length)
            continue;
        shared = true;
        /* The mapping stays until the driver ends, as a segment does. */
        if (m->maps > 0)
            m->maps--;
        else {
            errno = EINVAL;
            result = -1;
        }
    }
    driver_unlock();
    return shared ? result : munmap(addr, length);
}

int __wrap_shmctl(int shmid, int cmd, struct shmid_ds *buf)
{
    int result, saved;

    if (current == NULL)
        return shmctl(shmid, cmd, buf);
    result = shmctl(shmid, cmd, buf);
    saved = errno;
    if (cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
        driver_lock();
        /* SHM_STAT's argument is an index; its result the id. */
        struct segment *seg = segment_of_id(cmd == IPC_STAT ? shmid : result);
        if (result != -1 && seg != NULL)
            buf->shm_nattch = buf->shm_nattch - 1 + (shmatt_t)seg->attaches;
        current->polls++;
        current->looks++;
        driver_unlock();
    }
    errno = saved;
    return result;
}

/* --- System V semaphores: the kernel's values, the driver's queue ------- */

/* The caller of semctl defines this union (SUSv3). */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *info;
};

/* The set SEMID (locked). */
static struct sem_set *set_of(int semid)
{
    for (size_t i = 0; i < n_sets; i++)
        if (sets[i].semid == semid)
            return &sets[i];
    if (n_sets == MAX_SETS)
        driver_fail("more than %d semaphore sets", MAX_SETS);
    sets[n_sets] = (struct sem_set){.semid = semid};
    return &sets[n_sets++];
}

static struct sem_set *lookup_set(int semid)
{
    driver_lock();
    struct sem_set *set = set_of(semid);
    driver_unlock();
    return set;
}

/*
 * Perform what waiters on SET can do now, first come first served
 * (locked). Done by whoever changed the set, as Linux does: the waiter
 * finds its operation done when it wakes.
 */
static void serve_queue(struct sem_set *set)
{
    if (!set->gate_open)
        return;
    for (struct waiter *w = queue; w != NULL; w = w->next) {
        if (w->done || w->set != set)
            continue;
        if (semop(set->semid, w->ops, w->n_ops) == 0) {
            w->done = true;
        } else if (errno != EAGAIN) {
            w->done = true;
            /* A set removed under its waiters: they get EIDRM. */
            w->error = errno == EINVAL ? EIDRM : errno;
        }
    }
}

/* Does everyone the set's first turns wait for wait (locked)? Every
 * running program waits on a semaphore, polls for something else, or
 * has ended; or it is too late. */
static bool gate_may_open(const struct sem_set *set)
{
    if (now_ms() - set->gate_since >= GATE_TIMEOUT_MS) {
        fprintf(stderr,
                "threads: note: semaphore set %d: its first turns started after %d s "
                "without every program waiting on a semaphore\n",
                set->semid, GATE_TIMEOUT_MS / 1000);
        return true;
    }
    for (size_t i = 0; i < n_programs; i++) {
        const struct program *p = &programs[i];
        if (p->state == PROGRAM_LIVE && !p->waiting &&
            p->polls - set->polls_then[i] < POLLS_NOT_COMING)
            return false;
    }
    return true;
}

static void enqueue(struct waiter *w)
{
    struct waiter **end = &queue;
    while (*end != NULL)
        end = &(*end)->next;
    *end = w;
    w->who->waiting = true;
}

static void dequeue(struct waiter *w)
{
    for (struct waiter **at = &queue; *at != NULL; at = &(*at)->next) {
        if (*at == w) {
            *at = w->next;
            break;
        }
    }
    w->who->waiting = false;
}

/* Wait (locked) until W is done, or DEADLINE (ms, 0: none) passes. */
static void await_turn(struct waiter *w, long long deadline)
{
    struct sem_set *set = w->set;

    if (!set->gate_started) {
        set->gate_started = true;
        set->gate_since = now_ms();
        for (size_t i = 0; i < n_programs; i++)
            set->polls_then[i] = programs[i].polls;
    }
    enqueue(w);
    while (!w->done) {
        if (!set->gate_open && gate_may_open(set)) {
            set->gate_open = true;
            serve_queue(set);
            continue;
        }
        if (deadline > 0 && now_ms() >= deadline) {
            w->done = true;
            w->error = EAGAIN;
            break;
        }
        driver_wait(WAIT_TICK_MS);
        serve_queue(set); /* a change the driver did not see */
    }
    dequeue(w);
}

static int semaphore_operation(int semid, struct sembuf *ops, size_t n_ops,
                               const struct timespec *timeout)
{
    static __thread struct waiter w;
    bool takes = false, gives = false, may_wait = false;
    struct sem_set *set;
    struct semid_ds ds;
    union semun arg = {.buf = &ds};

    if (current == NULL || n_ops == 0 || n_ops > MAX_SEMOPS)
        return timeout ? semtimedop(semid, ops, n_ops, timeout) : semop(semid, ops, n_ops);
    w = (struct waiter){.who = current, .n_ops = n_ops};
    for (size_t i = 0; i < n_ops; i++) {
        w.ops[i] = ops[i];
        w.ops[i].sem_flg |= IPC_NOWAIT;
        gives |= ops[i].sem_op > 0;
        takes |= ops[i].sem_op <= 0;
        may_wait |= ops[i].sem_op <= 0 && !(ops[i].sem_flg & IPC_NOWAIT);
    }
    set = lookup_set(semid);
    w.set = set;
    if (gives)
        __tsan_release(&set->sync);
    driver_lock();
    if (may_wait && !set->gate_open) {
        /* Held for the first turns; a bad id fails at once. */
        if (semctl(semid, 0, IPC_STAT, arg) == -1)
            w.error = errno;
        else
            await_turn(&w, 0);
    } else if (semop(semid, w.ops, n_ops) == 0) {
        serve_queue(set);
    } else if (errno == EAGAIN && may_wait) {
        long long deadline = 0;
        if (timeout != NULL)
            deadline = now_ms() + timeout->tv_sec * 1000 + timeout->tv_nsec / 1000000;
        await_turn(&w, deadline);
        if (w.error == 0)
            serve_queue(set); /* a wait for zero frees others */
    } else {
        w.error = errno;
    }
    driver_unlock();
    if (w.error != 0) {
        errno = w.error;
        return -1;
    }
    if (takes)
        __tsan_acquire(&set->sync);
    return 0;
}

int __wrap_semop(int semid, struct sembuf *ops, size_t n_ops)
{
    return semaphore_operation(semid, ops, n_ops, NULL);
}

int __wrap_semtimedop(int semid, struct sembuf *ops, size_t n_ops, const struct timespec *timeout)
{
    return semaphore_operation(semid, ops, n_ops, timeout);
}

static bool semctl_has_argument(int cmd)
{
    return cmd == SETVAL || cmd == GETALL || cmd == SETALL || cmd == IPC_STAT || cmd == IPC_SET ||
           cmd == IPC_INFO || cmd == SEM_INFO || cmd == SEM_STAT || cmd == SEM_STAT_ANY;
}

/* Waiters in the driver's queue the kernel cannot count (locked). */
static int queued_on(const struct sem_set *set, int semnum, bool for_zero)
{
    int n = 0;
    for (const struct waiter *w = queue; w != NULL; w = w->next) {
        for (size_t i = 0; !w->done && w->set == set && i < w->n_ops; i++) {
            if (w->ops[i].sem_num == semnum &&
                (for_zero ? w->ops[i].sem_op == 0 : w->ops[i].sem_op < 0)) {
                n++;
                break;
            }
        }
    }
    return n;
}

int __wrap_semctl(int semid, int semnum, int cmd, ...)
{
    union semun arg = {0};
    bool gives = cmd == SETVAL || cmd == SETALL || cmd == IPC_SET || cmd == IPC_RMID;
    bool by_id = cmd != IPC_INFO && cmd != SEM_INFO && cmd != SEM_STAT && cmd != SEM_STAT_ANY;
    struct sem_set *set = NULL;
    int result, saved;

    if (semctl_has_argument(cmd)) {
        va_list args;
        va_start(args, cmd);
        arg = va_arg(args, union semun);
        va_end(args);
    }
    if (current == NULL)
        return semctl(semid, semnum, cmd, arg);
    if (by_id)
        set = lookup_set(semid);
    if (gives)
        __tsan_release(&set->sync);
    driver_lock();
    result = semctl(semid, semnum, cmd, arg);
    saved = errno;
    if (result != -1 && set != NULL && cmd == IPC_RMID) {
        for (struct waiter *w = queue; w != NULL; w = w->next) {
            if (w->set == set && !w->done) {
                w->done = true;
                w->error = EIDRM;
            }
        }
    } else if (result != -1 && set != NULL && gives) {
        serve_queue(set);
    } else if (result != -1 && set != NULL && (cmd == GETNCNT || cmd == GETZCNT)) {
        result += queued_on(set, semnum, cmd == GETZCNT);
    }
    if (!gives) {
        current->polls++;
        current->looks++;
    }
    driver_unlock();
    if (result != -1 && set != NULL && !gives)
        __tsan_acquire(&set->sync);
    errno = saved;
    return result;
}

/* --- the command line, and running the programs ------------------------- */

static _Noreturn void usage(const char *problem)
{
    fprintf(stderr,
            "threads: %s\n"
            "usage: threads [--hold-handovers] PROGRAM [ARG...] { -- | --after=TEXT } "
            "PROGRAM [ARG...] ...\n",
            problem);
    exit(2);
}

/* Split ARGV into programs at "--" and "--after=TEXT", after the
 * driver's own options. */
static void parse_programs(int argc, char *argv[])
{
    int start = 1;
    const char *after = NULL;

    while (start < argc && strncmp(argv[start], "--", 2) == 0 && strcmp(argv[start], "--") != 0 &&
           strncmp(argv[start], "--after=", 8) != 0) {
        if (strcmp(argv[start], "--hold-handovers") != 0)
            usage("unknown option (the only one is --hold-handovers)");
        hold_handovers = true;
        start++;
    }
    if (start == argc)
        usage("no program to run");

    for (int i = start; i <= argc; i++) {
        bool separator =
            i < argc && (strcmp(argv[i], "--") == 0 || strncmp(argv[i], "--after=", 8) == 0);
        if (i < argc && !separator)
            continue;
        if (i == start)
            usage("a program is missing (around \"--\")");
        if (n_programs == MAX_PROGRAMS)
            usage("too many programs");
        struct program *p = &programs[n_programs++];
        p->name = argv[start];
        p->after = after;
        p->argc = i - start;
        p->argv = &argv[start];
        if (i < argc) {
            after = argv[i][2] == 'a' ? argv[i] + 8 : NULL;
            if (after != NULL && after[0] == '\0')
                usage("--after= needs the text of a line to wait for");
            argv[i] = NULL; /* ends the program's argv */
        }
        start = i + 1;
    }
    if (n_programs == 0)
        usage("no program to run");
}

/*
 * The file to load copy COPY (1, 2...) of the library PATH from. dlopen
 * loads a file only once, however often it is asked, so later copies of
 * a program would share the first one's global variables, which separate
 * processes never do (a correct program with a global semaphore id would
 * race with itself). Each later copy is loaded from a file of its own,
 * PATH.COPY, made afresh from PATH: written under a name of this run, then
 * renamed, so a run beside this one never loads half a file.
 */
static char *library_for_copy(const char *path, int copy)
{
    char *copy_path, *part, buf[1 << 16];
    ssize_t n;
    int in, out;

    if (copy <= 1) {
        if ((copy_path = strdup(path)) == NULL)
            driver_fail("out of memory");
        return copy_path;
    }
    if (asprintf(&copy_path, "%s.%d", path, copy) < 0 ||
        asprintf(&part, "%s.%d.%d", path, copy, (int)getpid()) < 0)
        driver_fail("out of memory");
    in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        driver_fail("cannot read %s (make VARIANT=threads builds it): %s", path, strerror(errno));
    out = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    if (out < 0)
        driver_fail("cannot write %s: %s", part, strerror(errno));
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        for (ssize_t done = 0, w; done < n; done += w) {
            w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno != EINTR)
                driver_fail("write %s: %s", part, strerror(errno));
            w = w < 0 ? 0 : w;
        }
    }
    if (n < 0)
        driver_fail("read %s: %s", path, strerror(errno));
    if (close(out) != 0)
        driver_fail("close %s: %s", part, strerror(errno));
    if (rename(part, copy_path) != 0)
        driver_fail("rename %s: %s", part, strerror(errno));
    close(in);
    free(part);
    return copy_path;
}

/* Labels, streams, and main() from PROGRAM.so beside this executable. */
static void load_programs(const char *self)
{
    const char *slash = strrchr(self, '/');
    int dir_len = slash ? (int)(slash - self) : 1;
    const char *dir = slash ? self : ".";

    for (size_t i = 0; i < n_programs; i++) {
        struct program *p = &programs[i];
        int copies = 0, copy = 0;
        for (size_t j = 0; j < n_programs; j++) {
            copies += strcmp(programs[j].name, p->name) == 0;
            copy += j <= i && strcmp(programs[j].name, p->name) == 0;
        }
        if (copies > 1)
            snprintf(p->label, sizeof(p->label), "%s#%d", p->name, copy);
        else
            snprintf(p->label, sizeof(p->label), "%s", p->name);
        if (strchr(p->name, '/') != NULL)
            usage("a program is named by its name, without a folder");
        char *path;
        if (asprintf(&path, "%.*s/%s.so", dir_len, dir, p->name) < 0)
            driver_fail("out of memory");
        char *file = library_for_copy(path, copy);
        void *lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL)
            driver_fail("cannot load %s (make VARIANT=threads builds it): %s", file, dlerror());
        free(file);
        p->main = (int (*)(int, char **, char **))dlsym(lib, "main");
        if (p->main == NULL)
            driver_fail("%s has no main()", path);
        /* Its argv[0] is the path the program would have run as. */
        if (asprintf(&p->argv[0], "%.*s/%s", dir_len, dir, p->name) < 0)
            driver_fail("out of memory");
        free(path);
        stream_open(&p->out, p, STDOUT_FILENO, _IOFBF);
        stream_open(&p->err, p, STDERR_FILENO, _IONBF);
    }
}

/* Start program I and those that start together with it. */
static size_t start_group(size_t i)
{
    size_t end = i + 1;

    while (end < n_programs && programs[end].after == NULL)
        end++;
    driver_lock();
    for (size_t j = i; j < end; j++)
        programs[j].state = PROGRAM_LIVE;
    driver_unlock();
    for (size_t j = i; j < end; j++) {
        int error = pthread_create(&programs[j].thread, NULL, run_program, &programs[j]);
        if (error != 0)
            driver_fail("pthread_create: %s", strerror(error));
    }
    return end;
}

/* Wait until program I may start: true, or the one before it ended
 * without printing the line. */
static bool await_start(size_t i)
{
    bool go;

    driver_lock();
    while (!programs[i].triggered && programs[i - 1].state != PROGRAM_ENDED)
        driver_wait(1000);
    go = programs[i].triggered;
    driver_unlock();
    return go;
}

int main(int argc, char *argv[])
{
    size_t i = 0;
    int status = 0;

    parse_programs(argc, argv);
    load_programs(argv[0]);
    while (i < n_programs) {
        if (i > 0 && !await_start(i)) {
            fprintf(stderr,
                    "threads: %s was not started: %s ended without printing a line "
                    "containing \"%s\"\n",
                    programs[i].label, programs[i - 1].label, programs[i].after);
            for (; i < n_programs; i++)
                programs[i].state = PROGRAM_NOT_STARTED;
            status = 1;
            break;
        }
        i = start_group(i);
    }
    for (i = 0; i < n_programs; i++) {
        if (programs[i].state == PROGRAM_NOT_STARTED)
            continue;
        pthread_join(programs[i].thread, NULL);
        if (programs[i].status != 0) {
            fprintf(stderr, "threads: %s exited with status %d\n", programs[i].label,
                    programs[i].status);
            status = 1;
        }
    }
    return status;
}
