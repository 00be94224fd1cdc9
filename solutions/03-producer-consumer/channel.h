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

#include <errno.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>

#include "shmlab.h"

/* The seed's key; SHMLAB_KEY overrides it (see shmlab_key()). */
#define CHANNEL_DEFAULT_KEY 12345
#define MESSAGE_SIZE        256

enum channel_state { CHANNEL_EMPTY = 0, CHANNEL_FULL = 1 };

/* Atomics in memory shared between processes must be lock-free: only then
 * are they "address-free" (C11 7.17.5), the same object seen through two
 * different mappings. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int is not lock-free here");

struct channel {
    int counter;
    char message[MESSAGE_SIZE];
    atomic_int ready; /* enum channel_state */
};

/* Checks of the flag before napping between checks: when both sides run
 * at once, the answer comes within a few hundred nanoseconds; when they
 * share a busy core, spinning would only burn the other side's turn. */
#define SPINS_BEFORE_NAP 100

/*
 * Wait until the flag says STATE. The acquire load pairs with the other
 * side's release store: once we see STATE, we also see everything the
 * other side wrote before it set STATE.
 */
static inline void channel_wait(atomic_int *ready, int state)
{
    const struct timespec nap = {.tv_sec = 0, .tv_nsec = 10000}; /* 10 us */
    int spins = 0;

    while (atomic_load_explicit(ready, memory_order_acquire) != state) {
        if (spins < SPINS_BEFORE_NAP)
            spins++;
        else if (nanosleep(&nap, NULL) == -1 && errno != EINTR)
            die_errno("nanosleep");
    }
}

/* Hand the struct to the other side: everything written before is seen. */
static inline void channel_set(atomic_int *ready, int state)
{
    atomic_store_explicit(ready, state, memory_order_release);
}

#endif
