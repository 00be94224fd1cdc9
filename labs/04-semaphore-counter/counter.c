/*
 * counter.c - add to a count shared by several processes, one at a time.
 *
 * Usage: counter WORKERS ITERATIONS [PAUSE_US | step]
 *
 * Your task (README.md, "Steps"): WORKERS processes run this program with
 * the same SHMLAB_KEY. Each adds 1 to a count in a System V segment
 * ITERATIONS times, inside a critical section guarded by a System V
 * semaphore; the last one to finish removes both objects and prints the
 * final count.
 *
 * Run `make grade` in this folder to see which promises hold.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "shmlab.h"

/* The seed's SHM_KEY; the grader gives every run its own SHMLAB_KEY. */
#define DEFAULT_KEY 54321

/* What lives in the segment. A new segment is zero-filled by the kernel. */
struct shared {
    long count;    /* the shared count */
    long departed; /* workers that have finished their loop */
};

/* The caller of semctl defines this union (SUSv3); glibc does not. */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

int main(int argc, char *argv[])
{
    /* TODO step 1: parse WORKERS, ITERATIONS and PAUSE_US (or "step")
     * with parse_long() and their ranges; die_usage() on anything else,
     * before creating anything. key = shmlab_key(DEFAULT_KEY). */
    (void)argc;
    (void)argv;

    /* TODO step 2: join the semaphore set. semget with IPC_CREAT |
     * IPC_EXCL | 0600: if that creates it, SETVAL 0 and semop +1 (no
     * SEM_UNDO); if it exists (EEXIST), semget it and wait until its
     * sem_otime is not 0. Then shmget (IPC_CREAT | 0600) and shmat. */

    /* TODO step 3: ITERATIONS times: lock (semop -1, SEM_UNDO), read the
     * count, pause (nanosleep) or in step mode print
     * "Process PID: in critical section, count N", fflush and read a
     * line; store N + 1; unlock (semop +1, SEM_UNDO). */

    /* TODO step 4: under the lock, count yourself out (departed + 1).
     * The WORKERS-th to leave removes the segment and the set and prints
     * "Process PID: last out, final count N"; the others print
     * "Process PID: done". Then shmdt. */

    fprintf(stderr, "%s: not written yet: see README.md, step 1\n", program_name());
    return 1;
}
