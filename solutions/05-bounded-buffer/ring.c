/*
 * ring.c - a bounded buffer in a POSIX shared memory object. Producers
 * put items into a ring of slots, consumers take them out, every item
 * exactly once and each producer's in order, synchronised by three POSIX
 * semaphores: empty (free slots), full (items waiting) and mutex (who may
 * touch the ring). They are unnamed semaphores inside the object, or
 * named ones beside it (create --named).
 *
 * Usage: ring create [--named] NAME SLOTS
 *        ring produce NAME ID COUNT [TIMEOUT_MS]
 *        ring consume NAME COUNT [TIMEOUT_MS]
 *        ring remove NAME
 *
 * The layout of the ring is ring.h's. A wait on a semaphore gives up after
 * TIMEOUT_MS (a process that died holding the mutex, or every consumer
 * gone, must not hang everyone else), and SIGUSR1 asks for a progress
 * line on stderr, even while the program waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "shmlab.h"

#define MAX_ID             1000
#define MAX_COUNT          1000000L
#define MAX_TIMEOUT_MS     3600000L
#define DEFAULT_TIMEOUT_MS 10000L

#define USAGE_TEXT                                                                                 \
    "usage: ring create [--named] NAME SLOTS | ring produce NAME ID COUNT [TIMEOUT_MS] | "         \
    "ring consume NAME COUNT [TIMEOUT_MS] | ring remove NAME"

/* The three semaphores of a ring. */
enum role { EMPTY, FULL, MUTEX, ROLES };

static const char *const role_name[ROLES] = {"empty", "full", "mutex"};
static const char *const role_suffix[ROLES] = {RING_EMPTY_SUFFIX, RING_FULL_SUFFIX,
                                               RING_MUTEX_SUFFIX};
/* What a wait that times out on each of them most likely means. */
static const char *const role_stuck[ROLES] = {
    "no consumer took an item (are they all gone?)",
    "no producer put an item (are they all gone?)",
    "the process holding the ring never gave it back (did it die?)",
};

/* A ring as this program uses it. */
struct ring_view {
    struct ring *ring;
    size_t size;
    unsigned slots; /* the header's, checked once: the ring's size never changes */
    bool named;
    sem_t *sem[ROLES]; /* in the ring, or named semaphores */
    long timeout_ms;
};

/* How far this program is, for the progress line SIGUSR1 asks for. */
struct progress {
    long done, count;
};

static volatile sig_atomic_t progress_asked;

/* --- arguments ----------------------------------------------------------- */

static _Noreturn void usage(void)
{
    die_usage("%s", USAGE_TEXT);
}

static const char *parse_name(const char *text)
{
    if (!is_valid_shm_name(text) || strlen(text) > RING_NAME_MAX)
        die_usage("NAME must be '/' and 1 to %d characters other than '/', not '%s'",
                  RING_NAME_MAX - 1, text);
    return text;
}

static long parse_number(const char *what, const char *text, long min, long max)
{
    long value;

    if (parse_long(text, min, max, &value) == -1)
        die_usage("%s must be a whole number from %ld to %ld, not '%s'", what, min, max, text);
    return value;
}

/* --- semaphores ------------------------------------------------------------ */

/* The name of a named ring's semaphore ROLE: NAME-empty, NAME-full... */
static void semaphore_name(char *buf, size_t size, const char *name, enum role role)
{
    if ((size_t)snprintf(buf, size, "%s%s", name, role_suffix[role]) >= size)
        die("the semaphore name %s%s is too long", name, role_suffix[role]);
}

static void ask_progress(int sig)
{
    (void)sig;
    progress_asked = 1;
}

/*
 * SIGUSR1 asks for a progress line. No SA_RESTART: a wait it interrupts
 * returns EINTR (sem_timedwait always does), so the line goes out at once
 * and the wait goes on.
 */
static void listen_for_progress(void)
{
    struct sigaction action = {.sa_handler = ask_progress};

    sigemptyset(&action.sa_mask);
    if (sigaction(SIGUSR1, &action, NULL) == -1)
        die_errno("sigaction");
}

/* Say how far we are, if SIGUSR1 asked. */
static void report_progress(const struct progress *progress)
{
    if (!progress_asked)
        return;
    progress_asked = 0;
    fprintf(stderr, "%s %d: %ld of %ld items\n", program_name(), (int)getpid(), progress->done,
            progress->count);
}

/* Now plus MS milliseconds on the clock sem_timedwait uses. */
static struct timespec deadline_after(long ms)
{
    struct timespec deadline;

    if (clock_gettime(CLOCK_REALTIME, &deadline) == -1)
        die_errno("clock_gettime");
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    return deadline;
}

/*
 * Take semaphore ROLE, waiting at most the view's timeout. A signal
 * (EINTR) interrupts the wait without taking anything: report progress if
 * asked and wait again, until the same deadline. Giving up is not an
 * error of a call: say what it most likely means.
 */
static void take(const struct ring_view *view, enum role role, const struct progress *progress)
{
    struct timespec deadline = deadline_after(view->timeout_ms);

    while (sem_timedwait(view->sem[role], &deadline) == -1) {
        if (errno == EINTR) {
            report_progress(progress);
            continue;
        }
        if (errno == ETIMEDOUT)
            die("timed out after %ld ms waiting for %s: %s", view->timeout_ms, role_name[role],
                role_stuck[role]);
        die_errno("sem_timedwait");
    }
}

static void give(const struct ring_view *view, enum role role)
{
    if (sem_post(view->sem[role]) == -1)
        die_errno("sem_post");
}

/* --- create and remove ------------------------------------------------------- */

/* What create has made so far: undone if it fails. */
struct made {
    const char *name;
    bool object;
    bool semaphore[ROLES];
};

/*
 * Remove what create made (never what it found: a name in use is
 * someone else's), then report the failure of CALL. Removing is done on
 * a best-effort basis: the failure to report is CALL's.
 */
static _Noreturn void undo_and_die(const struct made *made, const char *call)
{
    int saved = errno;
    char sem_name[RING_NAME_MAX + 16];

    for (int role = 0; role < ROLES; role++) {
        if (!made->semaphore[role])
            continue;
        semaphore_name(sem_name, sizeof(sem_name), made->name, role);
        sem_unlink(sem_name);
    }
    if (made->object)
        shm_unlink(made->name);
    errno = saved;
    die_errno(call);
}

/*
 * Make the ring NAME of SLOTS slots, ready for use when this returns:
 * producers and consumers start only after that. The object is new
 * (O_EXCL: a name in use is somebody else's ring) and zero-filled, so in
 * and out start at 0.
 */
static void create_ring(const char *name, long slots, bool named)
{
    const unsigned initial[ROLES] = {(unsigned)slots, 0, 1};
    struct made made = {.name = name};
    size_t size = RING_SIZE(slots);
    char sem_name[RING_NAME_MAX + 16];
    struct ring *ring;
    int fd;

    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1)
        die_errno("shm_open");
    made.object = true;
    if (ftruncate(fd, (off_t)size) == -1)
        undo_and_die(&made, "ftruncate");
    ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED)
        undo_and_die(&made, "mmap");
    if (close(fd) == -1)
        undo_and_die(&made, "close");
    ring->slots = (unsigned)slots;
    ring->named = named;
    sem_t *in_ring[ROLES] = {&ring->empty, &ring->full, &ring->mutex};
    for (int role = 0; role < ROLES; role++) {
        if (!named) {
            /* pshared 1: the semaphore works between processes (its
             * futex is keyed on the shared page, not on our memory). */
            if (sem_init(in_ring[role], 1, initial[role]) == -1)
                undo_and_die(&made, "sem_init");
            continue;
        }
        semaphore_name(sem_name, sizeof(sem_name), name, role);
        sem_t *sem = sem_open(sem_name, O_CREAT | O_EXCL, 0600, initial[role]);
        if (sem == SEM_FAILED)
            undo_and_die(&made, "sem_open");
        made.semaphore[role] = true;
        if (sem_close(sem) == -1)
            undo_and_die(&made, "sem_close");
    }
    if (munmap(ring, size) == -1)
        undo_and_die(&made, "munmap");
}

/* Map the ring NAME and check its header before trusting it: another
 * program wrote it, and an index out of range would reach outside. */
static void map_ring(struct ring_view *view, const char *name)
{
    struct stat st;
    int fd = shm_open(name, O_RDWR, 0);

    if (fd == -1)
        die_errno("shm_open");
    if (fstat(fd, &st) == -1)
        die_errno("fstat");
    if (st.st_size < (off_t)sizeof(struct ring) || st.st_size > (off_t)RING_SIZE(RING_MAX_SLOTS))
        die("%s is not a ring: it is %lld bytes", name, (long long)st.st_size);
    view->size = (size_t)st.st_size;
    view->ring = mmap(NULL, view->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (view->ring == MAP_FAILED)
        die_errno("mmap");
    if (close(fd) == -1)
        die_errno("close");
    view->slots = view->ring->slots;
    if (view->slots < 1 || view->slots > RING_MAX_SLOTS || RING_SIZE(view->slots) != view->size ||
        view->ring->named > 1)
        die("%s is not a ring: its header says %u slots and named %u, for %zu bytes", name,
            view->slots, view->ring->named, view->size);
    view->named = view->ring->named == 1;
}

static void unmap_ring(const struct ring_view *view)
{
    if (munmap(view->ring, view->size) == -1)
        die_errno("munmap");
}

/* Remove the ring NAME and its semaphores, once nobody uses them: every
 * object is tried, and the first failure is reported. */
static void remove_ring(const char *name)
{
    struct ring_view view;
    char sem_name[RING_NAME_MAX + 16];
    const char *failed = NULL;
    int failed_errno = 0;

    map_ring(&view, name);
    sem_t *in_ring[ROLES] = {&view.ring->empty, &view.ring->full, &view.ring->mutex};
    for (int role = 0; role < ROLES; role++) {
        int result;
        if (view.named) {
            semaphore_name(sem_name, sizeof(sem_name), name, role);
            result = sem_unlink(sem_name);
        } else {
            result = sem_destroy(in_ring[role]);
        }
        if (result == -1 && failed == NULL) {
            failed = view.named ? "sem_unlink" : "sem_destroy";
            failed_errno = errno;
        }
    }
    unmap_ring(&view);
    if (shm_unlink(name) == -1 && failed == NULL) {
        failed = "shm_unlink";
        failed_errno = errno;
    }
    if (failed != NULL) {
        errno = failed_errno;
        die_errno(failed);
    }
}

/* --- produce and consume --------------------------------------------------------- */

static void open_ring(struct ring_view *view, const char *name, long timeout_ms)
{
    char sem_name[RING_NAME_MAX + 16];

    map_ring(view, name);
    view->timeout_ms = timeout_ms;
    sem_t *in_ring[ROLES] = {&view->ring->empty, &view->ring->full, &view->ring->mutex};
    for (int role = 0; role < ROLES; role++) {
        if (!view->named) {
            view->sem[role] = in_ring[role];
            continue;
        }
        semaphore_name(sem_name, sizeof(sem_name), name, role);
        view->sem[role] = sem_open(sem_name, 0);
        if (view->sem[role] == SEM_FAILED)
            die_errno("sem_open");
    }
}

static void close_ring(const struct ring_view *view)
{
    for (int role = 0; view->named && role < ROLES; role++)
        if (sem_close(view->sem[role]) == -1)
            die_errno("sem_close");
    unmap_ring(view);
}

/* INDEX (in or out, read under the mutex) if it is a slot of the ring. */
static unsigned checked_index(const struct ring_view *view, unsigned index, const char *what)
{
    if (index >= view->slots)
        die("the ring is damaged: %s is %u, but it has %u slots", what, index, view->slots);
    return index;
}

static void produce(const struct ring_view *view, int id, long count)
{
    struct ring *ring = view->ring;
    struct progress progress = {0, count};

    for (long seq = 1; seq <= count; seq++) {
        report_progress(&progress);
        /* A free slot first, then the ring: waiting for a slot while
         * holding the mutex would keep every consumer out for ever. */
        take(view, EMPTY, &progress);
        take(view, MUTEX, &progress);
        unsigned in = checked_index(view, ring->in, "in");
        ring->slot[in] = (struct item){.producer = id, .seq = (int)seq};
        ring->in = (in + 1) % view->slots;
        give(view, MUTEX);
        give(view, FULL);
        progress.done = seq;
    }
}

static void consume(const struct ring_view *view, long count)
{
    struct ring *ring = view->ring;
    struct progress progress = {0, count};

    for (long n = 1; n <= count; n++) {
        report_progress(&progress);
        take(view, FULL, &progress);
        take(view, MUTEX, &progress);
        unsigned out = checked_index(view, ring->out, "out");
        /* A copy: once the slot is given back, a producer may fill it. */
        struct item item = ring->slot[out];
        ring->out = (out + 1) % view->slots;
        give(view, MUTEX);
        give(view, EMPTY);
        progress.done = n;
        if (printf("item %d %d\n", item.producer, item.seq) < 0)
            die_errno("printf");
    }
}

int main(int argc, char *argv[])
{
    struct ring_view view;

    /* Each item's line must reach a pipe as it is printed. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        usage();
    if (strcmp(argv[1], "create") == 0) {
        bool named = argc > 2 && strcmp(argv[2], "--named") == 0;
        int first = named ? 3 : 2;
        if (argc != first + 2)
            usage();
        const char *name = parse_name(argv[first]);
        long slots = parse_number("SLOTS", argv[first + 1], 1, RING_MAX_SLOTS);
        create_ring(name, slots, named);
    } else if (strcmp(argv[1], "produce") == 0) {
        if (argc != 5 && argc != 6)
            usage();
        const char *name = parse_name(argv[2]);
        long id = parse_number("ID", argv[3], 1, MAX_ID);
        long count = parse_number("COUNT", argv[4], 1, MAX_COUNT);
        long timeout_ms =
            argc == 6 ? parse_number("TIMEOUT_MS", argv[5], 1, MAX_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
        listen_for_progress();
        open_ring(&view, name, timeout_ms);
        produce(&view, (int)id, count);
        close_ring(&view);
    } else if (strcmp(argv[1], "consume") == 0) {
        if (argc != 4 && argc != 5)
            usage();
        const char *name = parse_name(argv[2]);
        long count = parse_number("COUNT", argv[3], 1, MAX_COUNT);
        long timeout_ms =
            argc == 5 ? parse_number("TIMEOUT_MS", argv[4], 1, MAX_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
        listen_for_progress();
        open_ring(&view, name, timeout_ms);
        consume(&view, count);
        close_ring(&view);
    } else if (strcmp(argv[1], "remove") == 0) {
        if (argc != 3)
            usage();
        remove_ring(parse_name(argv[2]));
    } else {
        usage();
    }
    return 0;
}
