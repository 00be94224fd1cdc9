/*
 * ring.h - a single-producer, single-consumer ring of bytes in a POSIX
 * shared memory object: the interface you implement in ring.c. The
 * sender, the receiver and ipcbench are written against it; do not change
 * it (the grader builds your ring.c with this file as it is here).
 *
 * One process, the sender, creates the ring and writes bytes into it; one
 * other process, the receiver, opens it and reads them, in the order they
 * were written, each exactly once. Like a pipe, but without a system call
 * per message: the bytes go through shared memory, and each side tells the
 * other how far it has got through two counters in the object.
 *
 * The object's layout is part of the contract (README.md, "The object"):
 *
 *   offset 0     head: bytes written so far (uint64_t), the sender's line
 *   offset 64    tail: bytes read so far (uint64_t), the receiver's line
 *   ... 4095     whatever else your design needs, zero in a new object
 *   offset 4096  the data: byte N of the stream at 4096 + N % capacity
 *
 * Every function returns -1 or NULL with errno set when it fails.
 */
#ifndef RING_H
#define RING_H

#include <stddef.h>
#include <sys/types.h>

/* Where the data starts: the first page holds the two counters and the
 * rest of the control block. */
#define RING_HEADER_SIZE 4096
/* Offsets of the two counters in the object. */
#define RING_HEAD_OFFSET 0
#define RING_TAIL_OFFSET 64
/* The capacity is a power of two in this range. */
#define RING_MIN_CAPACITY 4096
#define RING_MAX_CAPACITY (64 * 1024 * 1024)

/* One side's handle on a ring: where it is mapped, and what this side
 * keeps for itself. Defined in ring.c. */
struct ring;

/*
 * The sender's side: create the object NAME ("/name", O_EXCL, mode 0600)
 * of RING_HEADER_SIZE + CAPACITY bytes and map it. EINVAL when CAPACITY is
 * not a power of two in [RING_MIN_CAPACITY, RING_MAX_CAPACITY]; EEXIST
 * when NAME exists.
 */
struct ring *ring_create(const char *name, size_t capacity);

/*
 * The receiver's side: open the ring NAME a sender created, and map it.
 * ENOENT when there is none; EINVAL when the object is not the size of a
 * ring (RING_HEADER_SIZE + a capacity in range). The receiver starts at
 * the tail it finds.
 */
struct ring *ring_open(const char *name);

/* The ring's capacity in bytes. */
size_t ring_capacity(const struct ring *ring);

/*
 * Sender: copy LEN bytes of DATA into the ring, waiting for room as long
 * as the ring is full (spinning briefly, then asleep until the receiver
 * makes room). 0 once every byte is in; -1 with EPIPE once the receiver
 * has closed its side.
 */
int ring_write(struct ring *ring, const void *data, size_t len);

/*
 * Receiver: copy LEN bytes from the ring into DATA, waiting as long as it
 * is empty (spinning briefly, then asleep until the sender writes). The
 * number of bytes copied: LEN, or fewer only once the sender has closed
 * its side and no byte is left (0: the end of the stream).
 */
ssize_t ring_read(struct ring *ring, void *data, size_t len);

/*
 * Either side: close its side and unmap the ring, waking the other side
 * if it sleeps (a receiver reads what is left, then the end of the
 * stream; a sender's next ring_write fails with EPIPE). The receiver also
 * removes the name. The handle is freed, whatever the result.
 */
int ring_close(struct ring *ring);

#endif
