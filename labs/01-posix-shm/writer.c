/*
 * writer.c - store a message in a POSIX shared memory object.
 *
 * Usage: writer NAME MESSAGE
 *
 * Your task (README.md, "Steps"): create or open the object NAME with
 * mode 0600, size it to SHM_SIZE bytes, map it, store MESSAGE with its
 * terminating NUL, print "Data written to shared memory: MESSAGE", then
 * unmap and close - but do NOT unlink: the reader needs the object.
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
    /* TODO step 1: check argc (die_usage), the name (is_valid_shm_name)
     * and the message's length - before creating anything. */
    (void)argc;
    (void)argv;

    /* TODO step 2: shm_open with O_CREAT | O_RDWR and mode 0600,
     * ftruncate to SHM_SIZE, mmap with PROT_READ | PROT_WRITE and
     * MAP_SHARED. Check every call: die_errno("shm_open") and so on. */

    /* TODO step 3: copy the message and its NUL, print the line above,
     * munmap and close. */

    fprintf(stderr, "%s: not written yet: see README.md, step 1\n", program_name());
    return 1;
}
