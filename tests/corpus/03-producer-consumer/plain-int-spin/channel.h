/*
 * channel.h - the struct the producer and the consumer share, and the
 * handshake on its ready flag.
 *
 * The flag passes the struct back and forth: EMPTY means the producer may
 * write the next message, FULL means the consumer may read it. Whoever
 * sets the flag has finished with the struct, and publishes that with a
 * release store; whoever waits for the flag reads it with an acquire load,
 * so everything written before the release is visible after the acquire.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

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
    int ready; /* a plain int: nothing tells the compiler another process changes it */
};

/* Spin until the flag says STATE. */
static inline void channel_wait(int *ready, int state)
{
    while (*ready != state)
        ;
}

static inline void channel_set(int *ready, int state)
{
    *ready = state;
}

#endif
