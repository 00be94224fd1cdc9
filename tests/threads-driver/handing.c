/*
 * handing.c - hands a flag over ROUNDS times: each time it sets the flag
 * to the round, works 5 ms without looking at any atomic, says it is back
 * at its check, and looks again (waiting for taking's answer). With
 * threads --hold-handovers, taking acts on each round only after that
 * line; without, at once. Every wait ends within WAIT_MS, so a broken
 * driver fails the test instead of hanging it.
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
    int id = shmget(shmlab_key(HANDOVER_KEY), 2 * sizeof(atomic_int), IPC_CREAT | IPC_EXCL | 0600);
    if (id == -1)
        die_errno("shmget");
    atomic_int *flags = shmat(id, NULL, 0);
    if (flags == (void *)-1)
        die_errno("shmat");
    printf("handing: created\n");
    fflush(stdout);

    int status = EXIT_SUCCESS;
    for (int round = 1; round <= ROUNDS && status == EXIT_SUCCESS; round++) {
        atomic_store_explicit(&flags[0], round, memory_order_release);
        for (long long until = now_ms() + 5; now_ms() < until;)
            ; /* work that looks at no atomic */
        printf("handing: back at its check %d\n", round);
        fflush(stdout);
        long long deadline = now_ms() + WAIT_MS;
        while (atomic_load_explicit(&flags[1], memory_order_acquire) != round)
            if (now_ms() > deadline) {
                fprintf(stderr, "handing: no answer to round %d\n", round);
                status = EXIT_FAILURE;
                break;
            }
    }

    if (shmdt(flags) == -1)
        die_errno("shmdt");
    if (shmctl(id, IPC_RMID, NULL) == -1)
        die_errno("shmctl");
    return status;
}
