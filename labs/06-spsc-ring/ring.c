/*
 * ring.c - a single-producer, single-consumer ring of bytes in POSIX
 * shared memory: what you write in this lab (ring.h says what each
 * function promises, README.md how to get there, step by step).
 *
 * Every function below fails with ENOSYS until you write it.
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

/*
 * TODO step 1: the control block, the first RING_HEADER_SIZE bytes of the
 * object. head at offset 0 and tail at offset 64, each alone on its cache
 * line (alignas), as C11 atomics (README.md, "Why not volatile"); then
 * what your waiting needs (a futex word and a "sleeping" flag per side, a
 * "closed" flag per side), away from the two counters' lines.
 */
struct ring_control {
    uint64_t head;
    uint64_t tail;
};

/*
 * TODO step 1: what one side keeps for itself: the mapping, the capacity,
 * which side it is, its own counter, and its copy of the other side's
 * counter as last seen (README.md, "Caching the other side's counter").
 */
struct ring {
    struct ring_control *control;
};

/* --- given: the three primitives waiting needs --------------------------- */

/* Tell the CPU we spin (a few cycles' pause, and no penalty when we stop). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/*
 * Sleep while *WORD holds EXPECTED: the kernel compares and goes to sleep
 * in one step, so a change made just before is never slept through. Not
 * FUTEX_PRIVATE: the word is shared between processes. 0 once woken, or
 * when *WORD had already changed (EAGAIN) or a signal came (EINTR): look
 * again either way. -1 with errno for a real failure.
 */
static inline int futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
    if (syscall(SYS_futex, word, FUTEX_WAIT, expected, NULL, NULL, 0) == -1 && errno != EAGAIN &&
        errno != EINTR)
        return -1;
    return 0;
}

/* Wake one process sleeping on WORD (after changing *WORD). */
static inline int futex_wake(_Atomic uint32_t *word)
{
    return syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0) == -1 ? -1 : 0;
}

/* --- the ring --------------------------------------------------------------- */

/* TODO step 2: check CAPACITY, shm_open (O_CREAT | O_EXCL, 0600),
 * ftruncate, mmap, fill in a handle. */
struct ring *ring_create(const char *name, size_t capacity)
{
    (void)name;
    (void)capacity;
    errno = ENOSYS;
    return NULL;
}

/* TODO step 2: shm_open, fstat (is it the size of a ring?), mmap; start at
 * the tail the object holds. */
struct ring *ring_open(const char *name)
{
    (void)name;
    errno = ENOSYS;
    return NULL;
}

/* TODO step 2. */
size_t ring_capacity(const struct ring *ring)
{
    (void)ring;
    return 0;
}

/* TODO steps 3 and 5: copy in (in two pieces where the bytes wrap around),
 * publish head with a release store, wake a sleeping receiver; when the
 * ring is full, spin, then sleep. */
int ring_write(struct ring *ring, const void *data, size_t len)
{
    (void)ring;
    (void)data;
    (void)len;
    errno = ENOSYS;
    return -1;
}

/* TODO steps 4 and 5: the mirror image of ring_write. */
ssize_t ring_read(struct ring *ring, void *data, size_t len)
{
    (void)ring;
    (void)data;
    (void)len;
    errno = ENOSYS;
    return -1;
}

/* TODO step 6: say this side is closed, wake the other side, unmap; the
 * receiver removes the name. Free the handle. */
int ring_close(struct ring *ring)
{
    free(ring);
    errno = ENOSYS;
    return -1;
}
