/*
 * ring.c - a single-producer, single-consumer ring of bytes in POSIX
 * shared memory (see ring.h and README.md).
 *
 * The sender owns head, the receiver owns tail; each counter only grows,
 * and byte N of the stream lives at data[N % capacity]. The sender may
 * write while head - tail < capacity, the receiver may read while
 * tail < head. A release store of a counter publishes the bytes written
 * (or freed) before it; the other side's acquire load of that counter
 * sees them. No lock, no system call: in the steady state a message costs
 * two copies and two cache-line transfers.
 *
 * Each counter sits alone on its 64-byte cache line, so the receiver's
 * stores to tail do not take the sender's line away from it (false
 * sharing), and each side keeps the other's counter as last seen: it
 * reads the real one only when the cached one says the ring is full (or
 * empty), not once per message.
 *
 * A side that finds nothing to do spins for a while (the other side is
 * probably running on another core and about to deliver), then sleeps on
 * a futex until the other side wakes it. The sleeper raises its flag
 * before it looks one last time; the waker publishes its counter before
 * it looks whether anyone sleeps. Release and acquire cannot order a store
 * before a later load of another variable; sequentially consistent ones
 * can (all of them fall in one total order), so the four accesses are
 * seq_cst and at least one side sees the other's store: no wake-up is
 * lost (Dekker's pattern). The waker takes the flag down as it wakes the
 * sleeper, so it wakes it once, not once per message.
 */
#define _GNU_SOURCE
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Lock-free atomics are address-free (C11 7.17.5): the same object
 * through two processes' mappings. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics are not lock-free here");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics are not lock-free here");

/* A futex word, or a flag beside one. */
typedef _Atomic uint32_t atomic_u32;

#define CACHE_LINE 64
/* Looks at the other side's counter before sleeping: a few microseconds,
 * about what a futex wake-up costs the other side anyway. */
#define SPIN_LIMIT 2000

/* The first page of the object. Lines 0 and 1 are written once per
 * message, each by one side only; lines 2 and 3 only when a side goes to
 * sleep, wakes the other or closes. */
struct ring_control {
    alignas(CACHE_LINE) _Atomic uint64_t head;  /* the sender's line */
    alignas(CACHE_LINE) _Atomic uint64_t tail;  /* the receiver's line */
    alignas(CACHE_LINE) atomic_u32 data_signal; /* the receiver sleeps on it */
    atomic_u32 receiver_sleeping;
    atomic_u32 sender_closed;
    alignas(CACHE_LINE) atomic_u32 room_signal; /* the sender sleeps on it */
    atomic_u32 sender_sleeping;
    atomic_u32 receiver_closed;
};

_Static_assert(offsetof(struct ring_control, head) == RING_HEAD_OFFSET, "head: offset 0");
_Static_assert(offsetof(struct ring_control, tail) == RING_TAIL_OFFSET, "tail: offset 64");
_Static_assert(sizeof(struct ring_control) <= RING_HEADER_SIZE, "the control block fits");

struct ring {
    struct ring_control *control;
    unsigned char *data;
    size_t capacity; /* a power of two */
    size_t map_size;
    bool is_sender;
    uint64_t position;   /* this side's counter: head or tail (only this side writes it) */
    uint64_t peer_cache; /* the other side's counter, as last seen */
    char name[NAME_MAX + 1];
};

/* --- waiting ---------------------------------------------------------------- */

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Sleep while *WORD is EXPECTED (the kernel checks, atomically with going
 * to sleep). Not FUTEX_PRIVATE: the word is shared between processes. */
static int futex_wait(atomic_u32 *word, uint32_t expected)
{
    if (syscall(SYS_futex, word, FUTEX_WAIT, expected, NULL, NULL, 0) == -1 && errno != EAGAIN &&
        errno != EINTR)
        return -1;
    return 0;
}

static int futex_wake(atomic_u32 *word)
{
    return syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0) == -1 ? -1 : 0;
}

/*
 * Wake the other side if its flag SLEEPING says it sleeps on SIGNAL, and
 * take the flag down: once per sleep, not once per message. Called right
 * after a seq_cst store (a counter, a closed flag) that the sleeper's last
 * look would see: the flag is read after that store, and the sleeper
 * raised it before that look.
 */
static int wake_if_sleeping(atomic_u32 *sleeping, atomic_u32 *signal)
{
    if (atomic_load_explicit(sleeping, memory_order_seq_cst) == 0 ||
        atomic_exchange_explicit(sleeping, 0, memory_order_seq_cst) == 0)
        return 0;
    atomic_fetch_add_explicit(signal, 1, memory_order_seq_cst);
    return futex_wake(signal);
}

/*
 * Sleep on SIGNAL until woken, unless READY(RING) holds once the flag
 * SLEEPING is up: the last look before sleeping (READY's loads are
 * seq_cst too). A wake-up that came between the look and the sleep
 * changed SIGNAL, and the kernel sees that.
 */
static int sleep_on(struct ring *ring, atomic_u32 *sleeping, atomic_u32 *signal,
                    bool (*ready)(struct ring *ring))
{
    uint32_t seen = atomic_load_explicit(signal, memory_order_seq_cst);
    int result = 0;

    atomic_store_explicit(sleeping, 1, memory_order_seq_cst);
    if (!ready(ring))
        result = futex_wait(signal, seen);
    atomic_store_explicit(sleeping, 0, memory_order_relaxed);
    return result;
}

/* --- the sender ------------------------------------------------------------- */

static size_t room(const struct ring *ring)
{
    return ring->capacity - (size_t)(ring->position - ring->peer_cache);
}

/* Is there room, or is there no receiver any more? Refreshes the cache.
 * (Acquire would do for the bytes; seq_cst for the last look before
 * sleeping.) */
static bool sender_may_go_on(struct ring *ring)
{
    ring->peer_cache = atomic_load_explicit(&ring->control->tail, memory_order_seq_cst);
    return room(ring) > 0 ||
           atomic_load_explicit(&ring->control->receiver_closed, memory_order_seq_cst) != 0;
}

/* Wait until there is room: 0, or -1 (EPIPE once the receiver closed). */
static int wait_for_room(struct ring *ring)
{
    struct ring_control *c = ring->control;

    for (;;) {
        for (int spin = 0; spin < SPIN_LIMIT; spin++) {
            if (sender_may_go_on(ring))
                break;
            cpu_relax();
        }
        if (room(ring) > 0)
            return 0;
        if (atomic_load_explicit(&c->receiver_closed, memory_order_acquire) != 0) {
            errno = EPIPE;
            return -1;
        }
        if (sleep_on(ring, &c->sender_sleeping, &c->room_signal, sender_may_go_on) == -1)
            return -1;
    }
}

/* Copy N bytes to the stream at the sender's position, in two pieces where
 * they wrap around the end of the data. */
static void copy_in(struct ring *ring, const unsigned char *from, size_t n)
{
    size_t at = (size_t)(ring->position & (ring->capacity - 1));
    size_t first = n < ring->capacity - at ? n : ring->capacity - at;

    memcpy(ring->data + at, from, first);
    memcpy(ring->data, from + first, n - first);
}

int ring_write(struct ring *ring, const void *data, size_t len)
{
    const unsigned char *from = data;
    struct ring_control *c = ring->control;

    if (!ring->is_sender) {
        errno = EBADF;
        return -1;
    }
    while (len > 0) {
        if (atomic_load_explicit(&c->receiver_closed, memory_order_acquire) != 0) {
            errno = EPIPE;
            return -1;
        }
        if (room(ring) == 0 && wait_for_room(ring) == -1)
            return -1;
        size_t n = len < room(ring) ? len : room(ring);
        copy_in(ring, from, n);
        ring->position += n;
        /* Publish: the bytes copied are the receiver's to read. */
        atomic_store_explicit(&c->head, ring->position, memory_order_seq_cst);
        if (wake_if_sleeping(&c->receiver_sleeping, &c->data_signal) == -1)
            return -1;
        from += n;
        len -= n;
    }
    return 0;
}

/* --- the receiver ----------------------------------------------------------- */

static size_t available(const struct ring *ring)
{
    return (size_t)(ring->peer_cache - ring->position);
}

/* Are there bytes, or has the sender closed? Refreshes the cache. The flag
 * first: the bytes written before the close are then in head. */
static bool receiver_may_go_on(struct ring *ring)
{
    bool closed = atomic_load_explicit(&ring->control->sender_closed, memory_order_seq_cst) != 0;

    ring->peer_cache = atomic_load_explicit(&ring->control->head, memory_order_seq_cst);
    return available(ring) > 0 || closed;
}

/* Wait until there are bytes: 1, 0 at the end of the stream, or -1. */
static int wait_for_data(struct ring *ring)
{
    struct ring_control *c = ring->control;

    for (;;) {
        bool go_on = false;
        for (int spin = 0; spin < SPIN_LIMIT && !go_on; spin++) {
            go_on = receiver_may_go_on(ring);
            if (!go_on)
                cpu_relax();
        }
        if (go_on)
            return available(ring) > 0 ? 1 : 0;
        if (sleep_on(ring, &c->receiver_sleeping, &c->data_signal, receiver_may_go_on) == -1)
            return -1;
    }
}

/* Copy N bytes of the stream at the receiver's position, in two pieces
 * where they wrap around. */
static void copy_out(struct ring *ring, unsigned char *to, size_t n)
{
    size_t at = (size_t)(ring->position & (ring->capacity - 1));
    size_t first = n < ring->capacity - at ? n : ring->capacity - at;

    memcpy(to, ring->data + at, first);
    memcpy(to + first, ring->data, n - first);
}

ssize_t ring_read(struct ring *ring, void *data, size_t len)
{
    unsigned char *to = data;
    struct ring_control *c = ring->control;
    size_t done = 0;

    if (ring->is_sender || len > SSIZE_MAX) {
        errno = ring->is_sender ? EBADF : EINVAL;
        return -1;
    }
    while (done < len) {
        if (available(ring) == 0) {
            int got = wait_for_data(ring);
            if (got == -1)
                return -1;
            if (got == 0)
                break; /* the end of the stream */
        }
        size_t n = len - done < available(ring) ? len - done : available(ring);
        copy_out(ring, to + done, n);
        ring->position += n;
        /* The copy above is done before the sender may reuse the bytes. */
        atomic_store_explicit(&c->tail, ring->position, memory_order_seq_cst);
        if (wake_if_sleeping(&c->sender_sleeping, &c->room_signal) == -1)
            return -1;
        done += n;
    }
    return (ssize_t)done;
}

/* --- opening and closing ---------------------------------------------------- */

static bool valid_capacity(size_t capacity)
{
    return capacity >= RING_MIN_CAPACITY && capacity <= RING_MAX_CAPACITY &&
           (capacity & (capacity - 1)) == 0;
}

/* A handle on the object open at FD, SIZE bytes; FD is closed. */
static struct ring *map_ring(int fd, size_t size, const char *name, bool is_sender)
{
    struct ring *ring = calloc(1, sizeof(*ring));
    void *at = MAP_FAILED;
    int saved;

    if (ring == NULL || strlen(name) >= sizeof(ring->name)) {
        saved = ring == NULL ? ENOMEM : ENAMETOOLONG;
        goto fail;
    }
    at = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (at == MAP_FAILED) {
        saved = errno;
        goto fail;
    }
    if (close(fd) == -1) {
        saved = errno;
        munmap(at, size);
        free(ring);
        errno = saved;
        return NULL;
    }
    ring->control = at;
    ring->data = (unsigned char *)at + RING_HEADER_SIZE;
    ring->capacity = size - RING_HEADER_SIZE;
    ring->map_size = size;
    ring->is_sender = is_sender;
    strcpy(ring->name, name);
    return ring;

fail:
    close(fd);
    free(ring);
    errno = saved;
    return NULL;
}

struct ring *ring_create(const char *name, size_t capacity)
{
    size_t size = RING_HEADER_SIZE + capacity;
    struct ring *ring;
    int fd, saved;

    if (!valid_capacity(capacity)) {
        errno = EINVAL;
        return NULL;
    }
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1)
        return NULL;
    /* A new object is all zeros: head, tail and every flag start at 0. */
    if (ftruncate(fd, (off_t)size) == -1) {
        saved = errno;
        close(fd);
        shm_unlink(name);
        errno = saved;
        return NULL;
    }
    ring = map_ring(fd, size, name, true);
    if (ring == NULL) {
        saved = errno;
        shm_unlink(name);
        errno = saved;
        return NULL;
    }
    return ring;
}

struct ring *ring_open(const char *name)
{
    struct ring *ring;
    struct stat st;
    int fd = shm_open(name, O_RDWR, 0);

    if (fd == -1)
        return NULL;
    if (fstat(fd, &st) == -1) {
        int saved = errno;
        close(fd);
        errno = saved;
        return NULL;
    }
    /* Never map past the object's end: touching it there raises SIGBUS. */
    if (st.st_size < RING_HEADER_SIZE || !valid_capacity((size_t)st.st_size - RING_HEADER_SIZE)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    ring = map_ring(fd, (size_t)st.st_size, name, false);
    if (ring == NULL)
        return NULL;
    ring->position = atomic_load_explicit(&ring->control->tail, memory_order_relaxed);
    ring->peer_cache = ring->position;
    return ring;
}

size_t ring_capacity(const struct ring *ring)
{
    return ring->capacity;
}

int ring_close(struct ring *ring)
{
    struct ring_control *c = ring->control;
    int result = 0, saved = 0;

    /* The other side's last look before sleeping sees the flag, or it is
     * woken. */
    if (ring->is_sender) {
        atomic_store_explicit(&c->sender_closed, 1, memory_order_seq_cst);
        result = wake_if_sleeping(&c->receiver_sleeping, &c->data_signal);
    } else {
        atomic_store_explicit(&c->receiver_closed, 1, memory_order_seq_cst);
        result = wake_if_sleeping(&c->sender_sleeping, &c->room_signal);
    }
    if (result == -1)
        saved = errno;
    if (munmap(ring->control, ring->map_size) == -1 && result == 0) {
        result = -1;
        saved = errno;
    }
    if (!ring->is_sender && shm_unlink(ring->name) == -1 && result == 0) {
        result = -1;
        saved = errno;
    }
    free(ring);
    if (result == -1)
        errno = saved;
    return result;
}
