/*
 * reader.c - print the message a writer left in a POSIX shared memory
 * object, then remove the object.
 *
 * Usage: reader NAME
 *
 * Your task (README.md, "Steps"): open NAME read-only, map it with
 * PROT_READ, print "Received: MESSAGE", unmap, close, and shm_unlink it.
 *
 * Run `make grade` in this folder to see which promises hold.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmlab.h"

#define SHM_SIZE 4096

int main(int argc, char *argv[])
{
    /* TODO step 1: check argc (die_usage) and the name
     * (is_valid_shm_name). */
    (void)argc;
    (void)argv;

    /* TODO step 4: shm_open with O_RDONLY, mmap SHM_SIZE bytes with
     * PROT_READ and MAP_SHARED, print the message (never more than
     * SHM_SIZE bytes of it), munmap, close, shm_unlink. */

    fprintf(stderr, "%s: not written yet: see README.md, step 4\n", program_name());
    return 1;
}
