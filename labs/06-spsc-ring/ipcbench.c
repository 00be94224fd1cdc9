/*
 * ipcbench.c - how fast is shared memory, really? One run measures, on
 * this machine, one-way throughput and round-trip latency of
 *
 *   pipe             pipe(2), as shells use it
 *   socketpair       a UNIX stream socket pair
 *   message queue    a POSIX message queue (mq_send, mq_receive)
 *   shm + semaphores a ring of slots in shared memory, a POSIX semaphore
 *                    per direction and slot count (the textbook bounded buffer)
 *   ring             ring.c: your ring, or the reference solution's
 *
 * at several message sizes, the two processes pinned to two CPUs, every
 * measurement repeated and interleaved with the others (so a burst of
 * load elsewhere spreads over all of them instead of ruining one), and
 * reports median, min and max and the ratios to a pipe measured in the
 * same run, next to the physical limits: memcpy's bandwidth, and a cache
 * line passed back and forth between the two CPUs. It prints a table and
 * can write an SVG plot (--svg FILE), the one the slides show.
 *
 * Usage: ipcbench [--quick] [--realtime] [--repeat N] [--sizes S,S,...]
 *                 [--cpus A,B] [--only NAME,...] [--svg FILE]
 *
 * Exit status: 0 when every measurement ran, 1 when one failed (the
 * table says "failed": a ring.c that does not work yet), 2 for bad usage.
 *
 * --realtime runs both processes at a real-time priority (SCHED_FIFO),
 * where permitted: other programs' load then barely touches the figures,
 * which show what the machine can do when idle. Without it you measure
 * what your programs would get on the machine as it is now; on a busy
 * machine that is mostly the scheduler.
 *
 * Part of the lab kit (README.md, "Measure"): `make ipcbench` in the lab
 * folder builds it with your ring.c; `make ipcbench` at the top builds it
 * with the reference ring and writes build/ipcbench/ipcbench.svg.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "shmlab.h"

#define MAX_SIZES       8
#define MAX_REPEAT      50
#define DEFAULT_REPEAT  5
#define SLOTS           8          /* shm + semaphores: slots in its ring */
#define RUN_TARGET_NS   30000000.0 /* one measurement: about 30 ms */
#define QUICK_TARGET_NS 8000000.0
#define CHILD_TIMEOUT_S 20 /* a measurement that hangs (a broken ring) */

/* --- clocks, CPUs ------------------------------------------------------------ */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cpu_a = -1, cpu_b = -1;
static bool realtime; /* both processes at SCHED_FIFO */
/* Where and how it ran, for the table and the plot (describe_run). */
static char machine[256], conditions[256];

static void pin_to(int cpu)
{
    cpu_set_t set;

    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) == -1)
        die_errno("sched_setaffinity");
}

/* Real-time priority, where the machine permits it (root, or an rtprio
 * limit); false if it does not. A child inherits it. */
static bool go_realtime(void)
{
    struct sched_param param = {.sched_priority = 1};

    return sched_setscheduler(0, SCHED_FIFO, &param) == 0;
}

/* The first two CPUs this process may run on (one: both the same). */
static void choose_cpus(void)
{
    cpu_set_t set;

    if (cpu_a >= 0)
        return;
    if (sched_getaffinity(0, sizeof(set), &set) == -1)
        die_errno("sched_getaffinity");
    for (int cpu = 0; cpu < CPU_SETSIZE && cpu_b < 0; cpu++) {
        if (!CPU_ISSET(cpu, &set))
            continue;
        if (cpu_a < 0)
            cpu_a = cpu;
        else
            cpu_b = cpu;
    }
    if (cpu_b < 0)
        cpu_b = cpu_a;
}

/* --- one direction of each transport ----------------------------------------- */

enum transport { PIPE, SOCKETPAIR, MQUEUE, SHM_SEM, RING, N_TRANSPORTS };

static const char *const transport_names[N_TRANSPORTS] = {
    "pipe", "socketpair", "message queue", "shm + semaphores", "ring",
};

/* The textbook bounded buffer, in shared memory. */
struct slots {
    sem_t empty, full;
    size_t size;
    unsigned char data[]; /* SLOTS * size */
};

struct channel {
    enum transport kind;
    int fds[2];    /* pipe, socketpair: [0] read, [1] write */
    mqd_t mq;      /* message queue */
    long mq_chunk; /* its largest message */
    char name[64]; /* message queue, ring */
    struct slots *slots;
    size_t slots_size;
    unsigned long slot_in, slot_out;
    struct ring *ring;
    size_t capacity; /* ring */
};

static long mq_message_max(void)
{
    long max = 8192;
    FILE *f = fopen("/proc/sys/fs/mqueue/msgsize_max", "re");

    if (f != NULL) {
        if (fscanf(f, "%ld", &max) != 1)
            max = 8192;
        fclose(f);
    }
    return max;
}

static unsigned long names_made;

/* A fresh channel of KIND for messages of SIZE bytes, made before fork:
 * the two processes share it. A ring is made by its sender: here when
 * the parent sends (PARENT_SENDS), else by the child after the fork
 * (channel_open_sender), and opened by its receiver after that. False
 * when the parent cannot make its ring: a ring.c that does not work yet
 * fails its own measurements, not the whole run. */
static bool channel_make(struct channel *ch, enum transport kind, size_t size, bool parent_sends)
{
    memset(ch, 0, sizeof(*ch));
    ch->kind = kind;
    snprintf(ch->name, sizeof(ch->name), "/ipcbench-%d-%lu", (int)getpid(), names_made++);
    switch (kind) {
    case PIPE:
        if (pipe(ch->fds) == -1)
            die_errno("pipe");
        break;
    case SOCKETPAIR:
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, ch->fds) == -1)
            die_errno("socketpair");
        break;
    case MQUEUE: {
        struct mq_attr attr = {.mq_maxmsg = 10};
        ch->mq_chunk = mq_message_max();
        if ((long)size < ch->mq_chunk)
            ch->mq_chunk = (long)size;
        attr.mq_msgsize = ch->mq_chunk;
        ch->mq = mq_open(ch->name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
        if (ch->mq == (mqd_t)-1)
            die_errno("mq_open");
        if (mq_unlink(ch->name) == -1)
            die_errno("mq_unlink");
        break;
    }
    case SHM_SEM:
        ch->slots_size = sizeof(struct slots) + SLOTS * size;
        ch->slots =
            mmap(NULL, ch->slots_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (ch->slots == MAP_FAILED)
            die_errno("mmap");
        ch->slots->size = size;
        if (sem_init(&ch->slots->empty, 1, SLOTS) == -1 || sem_init(&ch->slots->full, 1, 0) == -1)
            die_errno("sem_init");
        break;
    case RING:
        /* Four messages or 64 KiB: room to work ahead, and still in the
         * caches (a bigger ring is slower for big messages). */
        ch->capacity = 65536;
        while (ch->capacity < 4 * size && ch->capacity < RING_MAX_CAPACITY)
            ch->capacity *= 2;
        if (parent_sends)
            ch->ring = ring_create(ch->name, ch->capacity);
        if (parent_sends && ch->ring == NULL) {
            fprintf(stderr, "%s: ring_create: %s\n", program_name(), strerror(errno));
            return false;
        }
        break;
    default:
        break;
    }
    return true;
}

/* After fork, in the process that reads from CH: let go of the writing
 * end; open the ring (its sender made it before). */
static void channel_open_receiver(struct channel *ch)
{
    if (ch->kind == PIPE || ch->kind == SOCKETPAIR)
        close(ch->fds[1]);
    if (ch->kind == RING) {
        ch->ring = ring_open(ch->name);
        if (ch->ring == NULL)
            die_errno("ring_open");
    }
}

/* After fork, in the process that writes: let go of the reading end;
 * make the ring if it is not made yet. */
static void channel_open_sender(struct channel *ch)
{
    if (ch->kind == PIPE || ch->kind == SOCKETPAIR)
        close(ch->fds[0]);
    if (ch->kind == RING && ch->ring == NULL) {
        ch->ring = ring_create(ch->name, ch->capacity);
        if (ch->ring == NULL)
            die_errno("ring_create");
    }
}

/* In the parent, once the child has it open: what is left to free. */
static void channel_free(struct channel *ch, bool receiver_side_here)
{
    switch (ch->kind) {
    case PIPE:
    case SOCKETPAIR:
        close(ch->fds[receiver_side_here ? 0 : 1]);
        break;
    case MQUEUE:
        mq_close(ch->mq);
        break;
    case SHM_SEM:
        sem_destroy(&ch->slots->empty);
        sem_destroy(&ch->slots->full);
        munmap(ch->slots, ch->slots_size);
        break;
    case RING:
        if (ch->ring != NULL && ring_close(ch->ring) == -1)
            die_errno("ring_close");
        break;
    default:
        break;
    }
}

static void write_all(int fd, const unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die_errno("write");
        data += n;
        len -= (size_t)n;
    }
}

static void read_all(int fd, unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, data, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die_errno("read");
        if (n == 0)
            die("read: the other side went away");
        data += n;
        len -= (size_t)n;
    }
}

static void sem_wait_retry(sem_t *sem)
{
    while (sem_wait(sem) == -1)
        if (errno != EINTR)
            die_errno("sem_wait");
}

static void channel_send(struct channel *ch, const unsigned char *data, size_t len)
{
    switch (ch->kind) {
    case PIPE:
    case SOCKETPAIR:
        write_all(ch->fds[1], data, len);
        break;
    case MQUEUE:
        for (size_t done = 0; done < len; done += (size_t)ch->mq_chunk) {
            size_t n = len - done < (size_t)ch->mq_chunk ? len - done : (size_t)ch->mq_chunk;
            while (mq_send(ch->mq, (const char *)data + done, n, 0) == -1)
                if (errno != EINTR)
                    die_errno("mq_send");
        }
        break;
    case SHM_SEM: {
        struct slots *s = ch->slots;
        sem_wait_retry(&s->empty);
        memcpy(s->data + (ch->slot_in++ % SLOTS) * s->size, data, len);
        if (sem_post(&s->full) == -1)
            die_errno("sem_post");
        break;
    }
    case RING:
        if (ring_write(ch->ring, data, len) == -1)
            die_errno("ring_write");
        break;
    default:
        break;
    }
}

static void channel_receive(struct channel *ch, unsigned char *data, size_t len)
{
    switch (ch->kind) {
    case PIPE:
    case SOCKETPAIR:
        read_all(ch->fds[0], data, len);
        break;
    case MQUEUE:
        for (size_t done = 0; done < len;) {
            ssize_t n = mq_receive(ch->mq, (char *)data + done, (size_t)ch->mq_chunk, NULL);
            if (n == -1 && errno == EINTR)
                continue;
            if (n == -1)
                die_errno("mq_receive");
            done += (size_t)n;
        }
        break;
    case SHM_SEM: {
        struct slots *s = ch->slots;
        sem_wait_retry(&s->full);
        memcpy(data, s->data + (ch->slot_out++ % SLOTS) * s->size, len);
        if (sem_post(&s->empty) == -1)
            die_errno("sem_post");
        break;
    }
    case RING: {
        ssize_t n = ring_read(ch->ring, data, len);
        if (n == -1)
            die_errno("ring_read");
        if ((size_t)n != len)
            die("ring_read: the stream ended early");
        break;
    }
    default:
        break;
    }
}

/* --- a measurement: a child process on the other CPU ---------------------------- */

/* The child the parent measures against, and the pipes that start it. */
struct peer {
    pid_t pid;
    int ready;   /* the child writes a byte here once its channels are open */
    int go;      /* the parent writes a byte here to start the child */
    bool set_up; /* the byte came (no byte: the child failed) */
};

static void fill(unsigned char *buf, size_t size, uint64_t i)
{
    memset(buf, (int)(i & 0xff), size);
    memcpy(buf, &i, size < sizeof(i) ? size : sizeof(i));
}

static void expect_number(const unsigned char *buf, size_t size, uint64_t i)
{
    uint64_t got = 0;

    memcpy(&got, buf, size < sizeof(got) ? size : sizeof(got));
    if (size < sizeof(got))
        i &= (UINT64_C(1) << (8 * size)) - 1;
    if (got != i)
        die("message %llu arrived as message %llu: the transport lost or repeated one",
            (unsigned long long)i, (unsigned long long)got);
}

/* Fork the child: it pins itself to cpu_b, runs SETUP (opening its
 * channels) and says so, waits for the go byte, runs BODY, and exits 0.
 * Returns once the child's channels are open (pid -1: the child failed). */
static struct peer start_peer(void (*setup)(void *arg), void (*body)(void *arg), void *arg)
{
    struct peer peer;
    unsigned char byte = 1;
    int go[2], ready[2];

    if (pipe(go) == -1 || pipe(ready) == -1)
        die_errno("pipe");
    fflush(NULL);
    peer.pid = fork();
    if (peer.pid == -1)
        die_errno("fork");
    if (peer.pid == 0) {
        close(go[1]);
        close(ready[0]);
        alarm(CHILD_TIMEOUT_S);
        pin_to(cpu_b);
        if (setup != NULL)
            setup(arg);
        write_all(ready[1], &byte, 1);
        read_all(go[0], &byte, 1);
        body(arg);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    peer.go = go[1];
    peer.ready = ready[0];
    /* Its end of file, without the byte, is a child that failed. */
    ssize_t n;
    while ((n = read(peer.ready, &byte, 1)) == -1 && errno == EINTR)
        ;
    peer.set_up = n == 1;
    return peer;
}

static void release_peer(struct peer *peer)
{
    unsigned char byte = 1;
    write_all(peer->go, &byte, 1);
}

/* Wait for the child; false if it failed (its message is on stderr). */
static bool end_peer(struct peer *peer)
{
    int status;

    close(peer->go);
    close(peer->ready);
    while (waitpid(peer->pid, &status, 0) == -1)
        if (errno != EINTR)
            die_errno("waitpid");
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        fprintf(stderr, "ipcbench: a measurement hung for %d s and was stopped\n", CHILD_TIMEOUT_S);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct run {
    struct channel *to_peer, *from_peer;
    size_t size;
    long count;
    unsigned char *buf;
};

static void open_sending(void *arg)
{
    struct run *r = arg;
    channel_open_sender(r->from_peer);
}

/* Throughput: the child sends COUNT messages. */
static void send_many(void *arg)
{
    struct run *r = arg;

    for (long i = 0; i < r->count; i++) {
        fill(r->buf, r->size, (uint64_t)i);
        channel_send(r->from_peer, r->buf, r->size);
    }
    channel_free(r->from_peer, false);
}

static void open_echoing(void *arg)
{
    struct run *r = arg;
    channel_open_receiver(r->to_peer);
    channel_open_sender(r->from_peer);
}

/* Latency: the child echoes COUNT messages. */
static void echo_many(void *arg)
{
    struct run *r = arg;

    for (long i = 0; i < r->count; i++) {
        channel_receive(r->to_peer, r->buf, r->size);
        channel_send(r->from_peer, r->buf, r->size);
    }
    channel_free(r->to_peer, true);
    channel_free(r->from_peer, false);
}

/* Open the parent's receiving end of CH once the child has its ends
 * open; false (the child is waited for) if it failed to. */
static bool open_after(struct peer *peer, struct channel *ch)
{
    if (!peer->set_up) {
        end_peer(peer);
        return false;
    }
    channel_open_receiver(ch);
    return true;
}

/* Nanoseconds per message one way, receiving COUNT messages of SIZE
 * from a child; a negative value if the transport failed. */
static double measure_throughput(enum transport kind, size_t size, long count)
{
    struct channel ch;
    struct run r = {.from_peer = &ch, .size = size, .count = count, .buf = malloc(size)};
    struct peer peer;
    double start, end;
    bool ok;

    if (r.buf == NULL)
        die_errno("malloc");
    channel_make(&ch, kind, size, false);
    peer = start_peer(open_sending, send_many, &r);
    if (!open_after(&peer, &ch)) {
        free(r.buf);
        return -1;
    }
    start = now_ns();
    release_peer(&peer);
    for (long i = 0; i < count; i++) {
        channel_receive(&ch, r.buf, size);
        expect_number(r.buf, size, (uint64_t)i);
    }
    end = now_ns();
    ok = end_peer(&peer);
    channel_free(&ch, true);
    free(r.buf);
    return ok ? (end - start) / (double)count : -1;
}

/* Nanoseconds per round trip of a message of SIZE, over COUNT. */
static double measure_round_trip(enum transport kind, size_t size, long count)
{
    struct channel there, back;
    struct run r = {
        .to_peer = &there, .from_peer = &back, .size = size, .count = count, .buf = malloc(size)};
    struct peer peer;
    double start, end;
    bool ok;

    if (r.buf == NULL)
        die_errno("malloc");
    if (!channel_make(&there, kind, size, true)) {
        free(r.buf);
        return -1;
    }
    channel_make(&back, kind, size, false);
    peer = start_peer(open_echoing, echo_many, &r);
    channel_open_sender(&there);
    if (!open_after(&peer, &back)) {
        free(r.buf);
        return -1;
    }
    release_peer(&peer);
    start = now_ns();
    for (long i = 0; i < count; i++) {
        fill(r.buf, size, (uint64_t)i);
        channel_send(&there, r.buf, size);
        channel_receive(&back, r.buf, size);
        expect_number(r.buf, size, (uint64_t)i);
    }
    end = now_ns();
    ok = end_peer(&peer);
    channel_free(&there, false);
    channel_free(&back, true);
    free(r.buf);
    return ok ? (end - start) / (double)count : -1;
}

/* --- the physical limits ---------------------------------------------------------- */

/* Nanoseconds per memcpy of SIZE bytes (source and destination in cache
 * when they fit), over about TARGET_NS. */
static double measure_memcpy(size_t size, double target_ns)
{
    unsigned char *from = malloc(size), *to = malloc(size);
    long count = 16;
    double took;

    if (from == NULL || to == NULL)
        die_errno("malloc");
    memset(from, 1, size);
    memset(to, 2, size);
    for (;;) {
        double start = now_ns();
        for (long i = 0; i < count; i++) {
            memcpy(to, from, size);
            __asm__ __volatile__("" : : "r"(to) : "memory"); /* keep every copy */
        }
        took = now_ns() - start;
        if (took >= target_ns || count > (1L << 40))
            break;
        count *= took < target_ns / 16 ? 8 : 2;
    }
    free(from);
    free(to);
    return took / (double)count;
}

struct ping_pong {
    _Alignas(64) _Atomic long turn;
    long count;
};

static void pong(void *arg)
{
    struct ping_pong *pp = arg;

    for (long i = 0; i < pp->count; i++) {
        while (atomic_load_explicit(&pp->turn, memory_order_acquire) != 2 * i + 1)
            ;
        atomic_store_explicit(&pp->turn, 2 * i + 2, memory_order_release);
    }
}

/* Nanoseconds per round trip of one cache line between the two CPUs:
 * each side spins until the line comes back with its turn. */
static double measure_ping_pong(long count)
{
    struct ping_pong *pp =
        mmap(NULL, sizeof(*pp), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct peer peer;
    double start, end;

    if (pp == MAP_FAILED)
        die_errno("mmap");
    pp->count = count;
    atomic_store(&pp->turn, 0);
    peer = start_peer(NULL, pong, pp);
    release_peer(&peer);
    start = now_ns();
    for (long i = 0; i < count; i++) {
        atomic_store_explicit(&pp->turn, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&pp->turn, memory_order_acquire) != 2 * i + 2)
            ;
    }
    end = now_ns();
    end_peer(&peer);
    munmap(pp, sizeof(*pp));
    return (end - start) / (double)count;
}

/* --- samples, statistics ----------------------------------------------------------- */

enum kind { THROUGHPUT, ROUND_TRIP, N_KINDS };

struct samples {
    double ns[MAX_REPEAT]; /* per message, or per round trip */
    int n;
    bool failed;
};

static struct samples results[N_KINDS][N_TRANSPORTS][MAX_SIZES];
static struct samples memcpy_results[MAX_SIZES], ping_pong_result;

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stats {
    double median, min, max;
    bool valid;
};

static struct stats stats_of(const struct samples *s)
{
    struct stats st = {0};
    double sorted[MAX_REPEAT];

    if (s->n == 0 || s->failed)
        return st;
    memcpy(sorted, s->ns, sizeof(double) * (size_t)s->n);
    qsort(sorted, (size_t)s->n, sizeof(double), compare_doubles);
    st.min = sorted[0];
    st.max = sorted[s->n - 1];
    st.median = s->n % 2 ? sorted[s->n / 2] : (sorted[s->n / 2 - 1] + sorted[s->n / 2]) / 2;
    st.valid = true;
    return st;
}

/* --- options ------------------------------------------------------------------------ */

static size_t sizes[MAX_SIZES] = {64, 4096, 65536};
static int n_sizes = 3;
static int repeat = DEFAULT_REPEAT;
static double target_ns = RUN_TARGET_NS;
static bool wanted[N_TRANSPORTS] = {true, true, true, true, true};
static const char *svg_path;

static void parse_sizes(const char *text)
{
    char *copy = strdup(text), *save = NULL;

    if (copy == NULL)
        die_errno("strdup");
    n_sizes = 0;
    for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        long size;
        if (n_sizes == MAX_SIZES || parse_long(item, 8, 1024 * 1024, &size) == -1)
            die_usage("--sizes: up to %d sizes of 8 to 1048576 bytes, not '%s'", MAX_SIZES, text);
        sizes[n_sizes++] = (size_t)size;
    }
    free(copy);
    if (n_sizes == 0)
        die_usage("--sizes: at least one size");
}

static void parse_only(const char *text)
{
    char *copy = strdup(text), *save = NULL;

    if (copy == NULL)
        die_errno("strdup");
    memset(wanted, 0, sizeof(wanted));
    wanted[PIPE] = true; /* the baseline of every ratio */
    for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int k = 0; k < N_TRANSPORTS; k++)
            if (strcmp(item, transport_names[k]) == 0 ||
                (k == MQUEUE && strcmp(item, "mqueue") == 0) ||
                (k == SHM_SEM && strcmp(item, "shm") == 0))
                found = k;
        if (found < 0)
            die_usage("--only: pipe, socketpair, mqueue, shm or ring, not '%s'", item);
        wanted[found] = true;
    }
    free(copy);
}

static void parse_cpus(const char *text)
{
    long a, b;
    char *comma = strchr(text, ',');

    if (comma == NULL)
        die_usage("--cpus: two CPU numbers, A,B, not '%s'", text);
    *comma = '\0';
    if (parse_long(text, 0, CPU_SETSIZE - 1, &a) == -1 ||
        parse_long(comma + 1, 0, CPU_SETSIZE - 1, &b) == -1)
        die_usage("--cpus: two CPU numbers, A,B");
    cpu_a = (int)a;
    cpu_b = (int)b;
}

static void parse_arguments(int argc, char *argv[])
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        long n;

        if (strcmp(arg, "--quick") == 0) {
            repeat = 3;
            target_ns = QUICK_TARGET_NS;
            continue;
        }
        if (strcmp(arg, "--realtime") == 0) {
            realtime = true;
            continue;
        }
        if (value == NULL)
            die_usage("usage: %s [--quick] [--realtime] [--repeat N] [--sizes S,S,...] "
                      "[--cpus A,B] [--only NAME,...] [--svg FILE]",
                      program_name());
        i++;
        if (strcmp(arg, "--repeat") == 0 && parse_long(value, 1, MAX_REPEAT, &n) == 0)
            repeat = (int)n;
        else if (strcmp(arg, "--sizes") == 0)
            parse_sizes(value);
        else if (strcmp(arg, "--cpus") == 0)
            parse_cpus(argv[i]);
        else if (strcmp(arg, "--only") == 0)
            parse_only(value);
        else if (strcmp(arg, "--svg") == 0)
            svg_path = value;
        else
            die_usage("unknown option '%s' (or a bad value '%s')", arg, value);
    }
}

/* --- running it all ------------------------------------------------------------------ */

/* How many messages (or round trips) make a measurement of about
 * target_ns: a short trial, grown until it takes a tenth of that. */
static long calibrate(enum kind kind, enum transport t, size_t size)
{
    long count = 16;

    for (;;) {
        double per = kind == THROUGHPUT ? measure_throughput(t, size, count)
                                        : measure_round_trip(t, size, count);
        if (per < 0)
            return -1;
        if (per * (double)count >= target_ns / 10 || count > 100000000L) {
            long wanted_count = (long)(target_ns / per);
            return wanted_count < 16 ? 16 : wanted_count;
        }
        count *= 4;
    }
}

static void run_all(void)
{
    long counts[N_KINDS][N_TRANSPORTS][MAX_SIZES];

    for (int k = 0; k < N_KINDS; k++)
        for (int t = 0; t < N_TRANSPORTS; t++)
            for (int s = 0; s < n_sizes; s++) {
                counts[k][t][s] =
                    wanted[t] ? calibrate((enum kind)k, (enum transport)t, sizes[s]) : 0;
                results[k][t][s].failed = counts[k][t][s] < 0;
            }
    /* Interleaved: every measurement once per round, the rounds repeated. */
    bool progress = isatty(STDERR_FILENO);

    for (int rep = 0; rep < repeat; rep++) {
        if (progress)
            fprintf(stderr, "\ripcbench: round %d of %d", rep + 1, repeat);
        for (int s = 0; s < n_sizes; s++) {
            struct samples *m = &memcpy_results[s];
            m->ns[m->n++] = measure_memcpy(sizes[s], target_ns / 4);
            for (int t = 0; t < N_TRANSPORTS; t++)
                for (int k = 0; k < N_KINDS; k++) {
                    struct samples *r = &results[k][t][s];
                    if (!wanted[t] || r->failed)
                        continue;
                    double per =
                        k == THROUGHPUT
                            ? measure_throughput((enum transport)t, sizes[s], counts[k][t][s])
                            : measure_round_trip((enum transport)t, sizes[s], counts[k][t][s]);
                    if (per < 0)
                        r->failed = true;
                    else
                        r->ns[r->n++] = per;
                }
        }
        double ping = measure_ping_pong(20000);
        ping_pong_result.ns[ping_pong_result.n++] = ping;
    }
    if (progress)
        fprintf(stderr, "\r%40s\r", "");
}

/* --- the table --------------------------------------------------------------------------- */

static const char *size_label(size_t size, char *buf, size_t len)
{
    if (size >= 1024 && size % 1024 == 0)
        snprintf(buf, len, "%zu KiB", size / 1024);
    else
        snprintf(buf, len, "%zu B", size);
    return buf;
}

/* Bytes per second of SIZE-byte messages taking NS each, as text. */
static const char *rate_text(double ns, size_t size, char *buf, size_t len)
{
    double bytes = (double)size * 1e9 / ns, msgs = 1e9 / ns;
    const char *unit = "MB/s";
    double value = bytes / 1e6;

    if (value >= 1000) {
        value /= 1000;
        unit = "GB/s";
    }
    if (msgs >= 1e6)
        snprintf(buf, len, "%.3g %s %.3gM/s", value, unit, msgs / 1e6);
    else
        snprintf(buf, len, "%.3g %s %.3gk/s", value, unit, msgs / 1e3);
    return buf;
}

static const char *time_text(double ns, char *buf, size_t len)
{
    if (ns >= 1e6)
        snprintf(buf, len, "%.3g ms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, len, "%.3g us", ns / 1e3);
    else
        snprintf(buf, len, "%.3g ns", ns);
    return buf;
}

static void print_table(void)
{
    char a[64], b[64], c[64];

    printf("ipcbench on %s\nthe two processes %s; %d rounds, interleaved; median [min .. max]\n",
           machine, conditions, repeat);
    for (int k = 0; k < N_KINDS; k++) {
        printf("\n%s\n", k == THROUGHPUT ? "one-way throughput (bytes and messages per second)"
                                         : "round trip (a message there and back)");
        for (int s = 0; s < n_sizes; s++) {
            struct stats pipe_stats = stats_of(&results[k][PIPE][s]);
            printf("  %s messages\n", size_label(sizes[s], a, sizeof(a)));
            for (int t = 0; t < N_TRANSPORTS; t++) {
                struct stats st = stats_of(&results[k][t][s]);
                if (!wanted[t])
                    continue;
                if (!st.valid) {
                    printf("    %-18s failed (see above)\n", transport_names[t]);
                    continue;
                }
                if (k == THROUGHPUT)
                    printf("    %-18s %-26s [%s .. %s]", transport_names[t],
                           rate_text(st.median, sizes[s], a, sizeof(a)),
                           rate_text(st.max, sizes[s], b, sizeof(b)),
                           rate_text(st.min, sizes[s], c, sizeof(c)));
                else
                    printf("    %-18s %-26s [%s .. %s]", transport_names[t],
                           time_text(st.median, a, sizeof(a)), time_text(st.min, b, sizeof(b)),
                           time_text(st.max, c, sizeof(c)));
                if (t != PIPE && pipe_stats.valid)
                    printf("  %.3gx the pipe", pipe_stats.median / st.median);
                printf("\n");
            }
        }
    }
    printf("\nphysical limits\n");
    for (int s = 0; s < n_sizes; s++) {
        struct stats st = stats_of(&memcpy_results[s]);
        printf("  memcpy of %-8s %s (a ring copies twice: in, and out)\n",
               size_label(sizes[s], a, sizeof(a)), rate_text(st.median, sizes[s], b, sizeof(b)));
    }
    struct stats ping = stats_of(&ping_pong_result);
    printf("  a cache line there and back between the two CPUs: %s [%s .. %s]\n",
           time_text(ping.median, a, sizeof(a)), time_text(ping.min, b, sizeof(b)),
           time_text(ping.max, c, sizeof(c)));
}

/* --- the plot ------------------------------------------------------------------------------ */

#define SVG_WIDTH  960
#define SVG_HEIGHT 560
#define LEGEND_Y   480

static const char *const colours[N_TRANSPORTS] = {"#a40000", "#ce5c00", "#c4a000", "#4e9a06",
                                                  "#204a87"};

struct panel {
    double x, y, w, h; /* plot area */
    double low, high;  /* log10 of the axis range */
    const char *title, *unit;
};

static double panel_y(const struct panel *p, double value)
{
    double v = log10(value);
    if (v < p->low)
        v = p->low;
    if (v > p->high)
        v = p->high;
    return p->y + p->h - (v - p->low) / (p->high - p->low) * p->h;
}

/* The axis: a grid line and a label at each power of ten. */
static void svg_axis(FILE *f, const struct panel *p, const char *(*label)(double, char *, size_t))
{
    char buf[64];

    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"17\" font-weight=\"bold\">%s</text>\n",
            p->x, p->y - 28, p->title);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#555\">%s</text>\n", p->x,
            p->y - 10, p->unit);
    for (double e = ceil(p->low); e <= p->high + 1e-9; e++) {
        double y = panel_y(p, pow(10, e));
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" "
                "fill=\"#555\">%s</text>\n",
                p->x, y, p->x + p->w, y, p->x - 4, y + 4, label(pow(10, e), buf, sizeof(buf)));
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", p->x,
            p->y + p->h, p->x + p->w, p->y + p->h);
}

static const char *bytes_label(double bytes_per_s, char *buf, size_t len)
{
    if (bytes_per_s >= 1e9)
        snprintf(buf, len, "%.3g GB/s", bytes_per_s / 1e9);
    else
        snprintf(buf, len, "%.3g MB/s", bytes_per_s / 1e6);
    return buf;
}

static const char *micros_label(double ns, char *buf, size_t len)
{
    if (ns >= 1e3)
        snprintf(buf, len, "%.3g us", ns / 1e3);
    else
        snprintf(buf, len, "%.3g ns", ns);
    return buf;
}

/* Bars of one kind: a group per size, a bar per transport with its
 * min-max whisker; VALUE turns ns into what the axis shows. */
static void svg_bars(FILE *f, const struct panel *p, enum kind k,
                     double (*value)(double ns, size_t size))
{
    int n_wanted = 0;
    char buf[64];

    for (int t = 0; t < N_TRANSPORTS; t++)
        n_wanted += wanted[t];
    double group = p->w / n_sizes, bar = group * 0.8 / n_wanted;
    for (int s = 0; s < n_sizes; s++) {
        double gx = p->x + s * group + group * 0.1;
        int i = 0;
        for (int t = 0; t < N_TRANSPORTS; t++) {
            if (!wanted[t])
                continue;
            struct stats st = stats_of(&results[k][t][s]);
            double x = gx + i++ * bar;
            if (!st.valid)
                continue;
            double top = panel_y(p, value(st.median, sizes[s])), base = p->y + p->h;
            double lo = panel_y(p, value(st.max, sizes[s])),
                   hi = panel_y(p, value(st.min, sizes[s]));
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n"
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>\n",
                    x + 1, top, bar - 2, base - top, colours[t], x + bar / 2, lo, x + bar / 2, hi);
        }
        fprintf(
            f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">%s</text>\n",
            p->x + s * group + group / 2, p->y + p->h + 18, size_label(sizes[s], buf, sizeof(buf)));
    }
}

static double bytes_per_second(double ns, size_t size)
{
    return (double)size * 1e9 / ns;
}

static double same_ns(double ns, size_t size)
{
    (void)size;
    return ns;
}

/* The range of log10 of every value of kind K (and EXTRA), widened to
 * whole powers of ten. */
static void panel_range(struct panel *p, enum kind k, double (*value)(double, size_t), double extra)
{
    double low = log10(extra), high = log10(extra);

    for (int t = 0; t < N_TRANSPORTS; t++)
        for (int s = 0; s < n_sizes; s++) {
            struct stats st = stats_of(&results[k][t][s]);
            if (!wanted[t] || !st.valid)
                continue;
            double a = log10(value(st.min, sizes[s])), b = log10(value(st.max, sizes[s]));
            low = fmin(low, fmin(a, b));
            high = fmax(high, fmax(a, b));
        }
    p->low = floor(low);
    p->high = ceil(high);
    if (p->high <= p->low)
        p->high = p->low + 1;
}

/* snprintf into BUF, returning BUF. */
static const char *textf_local(char *buf, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static const char *textf_local(char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(buf, size, format, args);
    va_end(args);
    return buf;
}

/* A dashed line across panel P at VALUE, LABEL above its right end on a
 * white ground (bars may run behind it). */
static void svg_limit(FILE *f, const struct panel *p, double value, const char *label)
{
    double y = panel_y(p, value), width = 6.6 * (double)strlen(label);

    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" "
            "stroke-dasharray=\"6,4\"/>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"15\" "
            "fill=\"white\" fill-opacity=\"0.85\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
            "font-size=\"11\" text-anchor=\"end\" fill=\"#333\">%s</text>\n",
            p->x, y, p->x + p->w, y, p->x + p->w - width, y - 16, width, p->x + p->w - 2, y - 5,
            label);
}

/* TEXT with the characters XML gives a meaning escaped. */
static void svg_text(FILE *f, const char *text)
{
    for (; *text != '\0'; text++) {
        if (*text == '&')
            fputs("&amp;", f);
        else if (*text == '<')
            fputs("&lt;", f);
        else if (*text == '>')
            fputs("&gt;", f);
        else
            fputc(*text, f);
    }
}

static void write_svg(const char *path)
{
    struct panel left = {.x = 90,
                         .y = 90,
                         .w = 360,
                         .h = 330,
                         .title = "One-way throughput",
                         .unit = "bytes per second, log scale (higher is better)"};
    struct panel right = {.x = 570,
                          .y = 90,
                          .w = 360,
                          .h = 330,
                          .title = "Round trip",
                          .unit = "time there and back, log scale (lower is better)"};
    struct stats ping = stats_of(&ping_pong_result);
    double best_memcpy = 0;
    char buf[96], value[64], part[4200];
    FILE *f;

    for (int s = 0; s < n_sizes; s++) {
        struct stats st = stats_of(&memcpy_results[s]);
        if (st.valid)
            best_memcpy = fmax(best_memcpy, bytes_per_second(st.median, sizes[s]));
    }
    panel_range(&left, THROUGHPUT, bytes_per_second, best_memcpy);
    panel_range(&right, ROUND_TRIP, same_ns, ping.valid ? ping.median : 1000);
    snprintf(part, sizeof(part), "%s.part", path);
    f = fopen(part, "we");
    if (f == NULL)
        die_errno(path);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, sans-serif\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            SVG_WIDTH, SVG_HEIGHT, SVG_WIDTH, SVG_HEIGHT);
    fprintf(f, "<text x=\"20\" y=\"24\" font-size=\"13\" fill=\"#333\">Measured by ipcbench on ");
    svg_text(f, machine);
    fprintf(f,
            "</text>\n<text x=\"20\" y=\"42\" font-size=\"13\" fill=\"#333\">two processes "
            "%s; %d interleaved rounds; bars: medians, whiskers: min to max</text>\n",
            conditions, repeat);
    svg_axis(f, &left, bytes_label);
    svg_axis(f, &right, micros_label);
    svg_bars(f, &left, THROUGHPUT, bytes_per_second);
    svg_bars(f, &right, ROUND_TRIP, same_ns);
    /* The physical limits: memcpy (the ring copies twice), one cache line
     * there and back. */
    if (best_memcpy > 0)
        svg_limit(f, &left, best_memcpy,
                  textf_local(buf, sizeof(buf), "memcpy: %s",
                              bytes_label(best_memcpy, value, sizeof(value))));
    if (ping.valid)
        svg_limit(f, &right, ping.median,
                  textf_local(buf, sizeof(buf), "a cache line there and back: %s",
                              time_text(ping.median, value, sizeof(value))));
    /* The legend, and the ratios to the pipe, a line per size. */
    for (int t = 0, i = 0; t < N_TRANSPORTS; t++) {
        if (!wanted[t])
            continue;
        double x = 90 + i++ * 170;
        fprintf(f,
                "<rect x=\"%.0f\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n"
                "<text x=\"%.0f\" y=\"%d\" font-size=\"13\">%s</text>\n",
                x, LEGEND_Y - 12, colours[t], x + 20, LEGEND_Y, transport_names[t]);
    }
    for (int s = 0; s < n_sizes; s++) {
        struct stats pipe_t = stats_of(&results[THROUGHPUT][PIPE][s]);
        struct stats ring_t = stats_of(&results[THROUGHPUT][RING][s]);
        struct stats pipe_r = stats_of(&results[ROUND_TRIP][PIPE][s]);
        struct stats ring_r = stats_of(&results[ROUND_TRIP][RING][s]);
        if (pipe_t.valid && ring_t.valid && pipe_r.valid && ring_r.valid)
            fprintf(f,
                    "<text x=\"90\" y=\"%d\" font-size=\"12\" fill=\"#333\">%s messages: the "
                    "ring moves %.3gx the bytes a pipe moves, and its round trip is %.3gx "
                    "shorter</text>\n",
                    LEGEND_Y + 26 + 16 * s, size_label(sizes[s], buf, sizeof(buf)),
                    pipe_t.median / ring_t.median, pipe_r.median / ring_r.median);
    }
    fprintf(f, "</svg>\n");
    if (fclose(f) == EOF)
        die_errno(path);
    if (rename(part, path) == -1)
        die_errno("rename");
}

/* --- what was measured where ------------------------------------------------------- */

/* The CPU model, the load, and how the processes ran, for the table and
 * the plot. */
static void describe_run(void)
{
    char line[512], model[160] = "an unknown CPU";
    double load = -1;
    FILE *f = fopen("/proc/cpuinfo", "re");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            snprintf(model, sizeof(model), "%s", colon + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    }
    if (f != NULL)
        fclose(f);
    f = fopen("/proc/loadavg", "re");
    if (f != NULL) {
        if (fscanf(f, "%lf", &load) != 1)
            load = -1;
        fclose(f);
    }
    snprintf(machine, sizeof(machine), "%s, %ld CPUs online, load average %.1f", model,
             sysconf(_SC_NPROCESSORS_ONLN), load);
    snprintf(conditions, sizeof(conditions), "pinned to CPUs %d and %d, %s", cpu_a, cpu_b,
             realtime ? "real-time priority (SCHED_FIFO)" : "normal priority");
}

/* Did a measurement fail (a ring.c that does not work yet)? The table
 * says which; the exit status tells scripts. */
static bool any_failed(void)
{
    for (int k = 0; k < N_KINDS; k++)
        for (int t = 0; t < N_TRANSPORTS; t++)
            for (int s = 0; s < n_sizes; s++)
                if (wanted[t] && results[k][t][s].failed)
                    return true;
    return false;
}

int main(int argc, char *argv[])
{
    parse_arguments(argc, argv);
    choose_cpus();
    if (realtime && cpu_a == cpu_b) {
        fprintf(stderr, "ipcbench: one CPU only: --realtime would let a spinning side starve "
                        "the other; measuring at normal priority\n");
        realtime = false;
    }
    if (realtime && !go_realtime()) {
        fprintf(stderr,
                "ipcbench: no real-time priority here (%s): measuring at normal "
                "priority\n",
                strerror(errno));
        realtime = false;
    }
    pin_to(cpu_a);
    describe_run();
    run_all();
    print_table();
    if (svg_path != NULL) {
        write_svg(svg_path);
        printf("\nplot: %s\n", svg_path);
    }
    return any_failed() ? 1 : 0;
}
