/*
 * taking.c - waits for handing's flag, says it acts on it, and tells
 * handing it is done.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "shmlab.h"

int main(void)
{
    int id = shmget(shmlab_key(0x5eed7e57), 0, 0);
    if (id == -1)
        die_errno("shmget");
    atomic_int *flags = shmat(id, NULL, 0);
    if (flags == (void *)-1)
        die_errno("shmat");

    while (atomic_load_explicit(&flags[0], memory_order_acquire) != 1)
        ;
    printf("taking: acted\n");
    fflush(stdout);
    atomic_store_explicit(&flags[1], 1, memory_order_release);

    if (shmdt(flags) == -1)
        die_errno("shmdt");
    return 0;
}
