/*
 * handing.c - hands a flag over, then takes its time (100 ms of work that
 * looks at no atomic) before it says so and looks at the flag again.
 * With threads --hold-handovers, taking acts on the flag only after that
 * line; without, at once.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>

#include "shmlab.h"

static long long now_ms(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
        die_errno("clock_gettime");
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int main(void)
{
    int id = shmget(shmlab_key(0x5eed7e57), 2 * sizeof(atomic_int), IPC_CREAT | IPC_EXCL | 0600);
    if (id == -1)
        die_errno("shmget");
    atomic_int *flags = shmat(id, NULL, 0);
    if (flags == (void *)-1)
        die_errno("shmat");
    printf("handing: created\n");
    fflush(stdout);

    atomic_store_explicit(&flags[0], 1, memory_order_release);
    for (long long until = now_ms() + 100; now_ms() < until;)
        ; /* work that looks at no atomic */
    printf("handing: back at its check\n");
    fflush(stdout);
    while (atomic_load_explicit(&flags[1], memory_order_acquire) != 1)
        ; /* until taking is done */

    if (shmdt(flags) == -1)
        die_errno("shmdt");
    if (shmctl(id, IPC_RMID, NULL) == -1)
        die_errno("shmctl");
    return 0;
}
