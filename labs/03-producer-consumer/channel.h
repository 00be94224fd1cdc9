/*
 * channel.h - the struct the producer and the consumer share, and the
 * handshake on its ready flag. Both programs include it: change the
 * struct here, once.
 *
 * This is the seed's struct. Its plain int flag is the seed's bug: read
 * README.md, "Why volatile is not enough", then make the flag an
 * atomic_int (<stdatomic.h>) and write the two functions below.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <errno.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>

#include "shmlab.h"

/* The seed's key; SHMLAB_KEY overrides it (see shmlab_key()). */
#define CHANNEL_DEFAULT_KEY 12345
#define MESSAGE_SIZE        256

enum channel_state { CHANNEL_EMPTY = 0, CHANNEL_FULL = 1 };

struct channel {
    int counter;
    char message[MESSAGE_SIZE];
    int ready; /* TODO step 3: an atomic_int holding an enum channel_state */
};

/*
 * TODO step 3: wait until the flag says STATE, reading it with
 * atomic_load_explicit(..., memory_order_acquire); between checks, give
 * the other process a chance to run (README.md, "Waiting politely").
 */
static inline void channel_wait(int *ready, int state)
{
    (void)ready;
    (void)state;
}

/*
 * TODO step 3: hand the struct to the other side with
 * atomic_store_explicit(..., memory_order_release).
 */
static inline void channel_set(int *ready, int state)
{
    (void)ready;
    (void)state;
}

#endif
