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
    if (fd == -1)
        die_errno("shm_open");
    /* Mapping past the end of a shorter object would raise SIGBUS on
     * access: check the size the writer gave it first. */
    if (fstat(fd, &st) == -1)
        die_errno("fstat");
    if (st.st_size < SHM_SIZE)
        die("%s is %lld bytes, not %d: was it written by writer?", name, (long long)st.st_size,
            SHM_SIZE);
    data = mmap(NULL, SHM_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED)
        die_errno("mmap");
    if (close(fd) == -1)
        die_errno("close");

    /* Never trust the other side to have terminated the string. */
    printf("Received: %.*s\n", (int)strnlen(data, SHM_SIZE), data);

    if (munmap(data, SHM_SIZE) == -1)
        die_errno("munmap");
    return 0;
}
