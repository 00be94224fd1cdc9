/*
 * server.c - attach to the System V segment a client printed the id of,
 * print the number it finds, store 200, and detach.
 *
 * Usage: server ID
 */
#include <limits.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "shmlab.h"

int main(int argc, char *argv[])
{
    int id = -1;
    int *mem;

    if (argc != 2)
        die_usage("usage: %s ID (the id the client printed)", program_name());
    /* The whole argument must be a number. sscanf("%d") and atoi() read
     * "12abc" as 12 and "abc" as nothing at all, and then we would attach
     * to whatever segment happens to have that id. */
    sscanf(argv[1], "%d", &id);

    /* The failure value is (void *) -1, a pointer: compare pointers. The
     * seed's (int)mem == -1 cuts a 64-bit pointer to 32 bits first. */
    mem = shmat(id, NULL, 0);
    if (mem == (void *)-1)
        die_errno("shmat");

    printf("Attached --> Mem contents %d\n", *mem);
    *mem = 200;
    printf("Changed mem is now %d\n", *mem);

    /* Exit would detach too; a server that runs on would hold the
     * segment - and its memory - for as long as it runs. */
    if (shmdt(mem) == -1)
        die_errno("shmdt");
    return 0;
}
