/*
 * reader.c - print the message a writer left in a POSIX shared memory
 * object, then remove the object.
 *
 * Usage: reader NAME
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
    struct stat st;
    const char *name;
    char *data;
    int fd;

    if (argc != 2)
        die_usage("usage: %s NAME", program_name());
    name = argv[1];
    if (!is_valid_shm_name(name))
        die_usage("'%s' is not a shared memory name: use / and a name without /", name);

    fd = shm_open(name, O_RDONLY, 0);
    (void)st;
    data = mmap(NULL, SHM_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);

    /* Never trust the other side to have terminated the string. */
    printf("Received: %.*s\n", (int)strnlen(data, SHM_SIZE), data);

    if (munmap(data, SHM_SIZE) == -1)
        die_errno("munmap");
    if (shm_unlink(name) == -1)
        die_errno("shm_unlink");
    return 0;
}
