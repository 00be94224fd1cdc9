/*
 * ring.h - the bounded buffer every `ring` program shares: its layout in
 * the POSIX shared memory object NAME, and the names of its semaphores.
 *
 * This file is given, not edited (the grader uses its own copy): the
 * grader reads rings of this layout to see what your programs did, and
 * makes rings of its own for them to use.
 */
#ifndef RING_H
#define RING_H

#include <semaphore.h>
#include <stddef.h>

/* The most slots a ring may have (SLOTS of `ring create`). */
#define RING_MAX_SLOTS 1024
/* The longest NAME: "/" and 200 characters, so that NAME-empty is still
 * a valid name for a named semaphore (glibc adds "sem." in /dev/shm). */
#define RING_NAME_MAX 201

/* One item: put by producer PRODUCER (its ID), the SEQ-th it put (1, 2...). */
struct item {
    int producer;
    int seq;
};

/*
 * The object NAME holds one struct ring and, right after it, its SLOTS
 * slots: RING_SIZE(SLOTS) bytes in all. The items waiting to be taken
 * are slot[out], slot[out + 1], ... (modulo slots), oldest first; the
 * next item put goes to slot[in].
 */
struct ring {
    unsigned slots;     /* how many items the ring holds: 1 to RING_MAX_SLOTS */
    unsigned named;     /* 0: the semaphores are the three below; 1: the named
                           semaphores NAME-empty, NAME-full, NAME-mutex */
    sem_t empty;        /* free slots: a producer takes one to put an item */
    sem_t full;         /* items waiting: a consumer takes one to take an item */
    sem_t mutex;        /* 1 = free: only its holder touches in, out and the slots */
    unsigned in;        /* the slot the next item goes to: 0 to slots - 1 */
    unsigned out;       /* the slot the next item comes from: 0 to slots - 1 */
    struct item slot[]; /* slots of them */
};

/* The size of the object that holds a ring of SLOTS slots. */
#define RING_SIZE(slots) (sizeof(struct ring) + (size_t)(slots) * sizeof(struct item))

/* A named ring's semaphores are called NAME followed by these. */
#define RING_EMPTY_SUFFIX "-empty"
#define RING_FULL_SUFFIX  "-full"
#define RING_MUTEX_SUFFIX "-mutex"

#endif
