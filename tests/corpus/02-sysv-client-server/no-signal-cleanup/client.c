/*
 * client.c - the seed's client with every call checked, but no signal
 * handling: Ctrl-C or SIGTERM while it waits ends it on the spot, and
 * the segment stays behind.
 */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "shmlab.h"

#define SHM_SIZE 4096

int main(int argc, char *argv[])
{
    char line[256];
    int id;
    int *mem;

    (void)argv;
    if (argc != 1)
        die_usage("usage: %s (no arguments)", program_name());

    id = shmget(IPC_PRIVATE, SHM_SIZE, IPC_CREAT | 0600);
    if (id == -1)
        die_errno("shmget");
    printf("Allocated with shm id %d\n", id);

    mem = shmat(id, NULL, 0);
    if (mem == (void *)-1) {
        shmctl(id, IPC_RMID, NULL);
        die_errno("shmat");
    }
    printf("Attached --> Mem contents %d\n", *mem);
    *mem = 100;

    printf("Start other process, then press Enter\n");
    fflush(stdout);
    /* End of input counts as Enter. */
    (void)fgets(line, sizeof(line), stdin);

    printf("mem is now %d\n", *mem);
    if (shmctl(id, IPC_RMID, NULL) == -1)
        die_errno("shmctl");
    if (shmdt(mem) == -1)
        die_errno("shmdt");
    return 0;
}
