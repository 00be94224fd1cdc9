/*
 * HOSTILE: the reader sends its standard output to a file outside its
 * folder.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmlab.h"

#define SHM_SIZE 4096

static void attack(void)
{
    int fd = open("/tmp/shmlab-hostile-stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY);
    if (fd >= 0)
        dup2(fd, STDOUT_FILENO);
}

int main(int argc, char *argv[])
{
    struct stat st;
    const char *name;
    char *data;
    int fd;

    attack();
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
    if (shm_unlink(name) == -1)
        die_errno("shm_unlink");
    return 0;
}
