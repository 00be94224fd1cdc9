/*
 * taking.c - waits for each round of handing's flag, says it acts on it,
 * and answers with the round (see handing.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "handover.h"

int main(void)
{
    int id = shmget(shmlab_key(HANDOVER_KEY), 0, 0);
    if (id == -1)
        die_errno("shmget");
    atomic_int *flags = shmat(id, NULL, 0);
    if (flags == (void *)-1)
        die_errno("shmat");

    for (int round = 1; round <= ROUNDS; round++) {
        long long deadline = now_ms() + WAIT_MS;
        while (atomic_load_explicit(&flags[0], memory_order_acquire) != round)
            if (now_ms() > deadline) {
                fprintf(stderr, "taking: no round %d\n", round);
                return EXIT_FAILURE;
            }
        printf("taking: acted %d\n", round);
        fflush(stdout);
        atomic_store_explicit(&flags[1], round, memory_order_release);
    }

    if (shmdt(flags) == -1)
        die_errno("shmdt");
    return EXIT_SUCCESS;
}
