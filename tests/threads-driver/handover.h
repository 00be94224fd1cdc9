/* handover.h - what handing.c and taking.c share: the rounds, how long a
 * wait may take, and a clock that looks at no atomic. */
#ifndef HANDOVER_H
#define HANDOVER_H

#include <time.h>

#include "shmlab.h"

#define ROUNDS  20
#define WAIT_MS 10000
/* Both programs' segment (SHMLAB_KEY overrides it). */
#define HANDOVER_KEY 0x5eed7e57

static inline long long now_ms(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
        die_errno("clock_gettime");
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

#endif
