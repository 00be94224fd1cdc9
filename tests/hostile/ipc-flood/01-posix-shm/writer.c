/*
 * HOSTILE: does its work, but first creates hundreds of IPC objects and
 * leaves them all behind.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include "shmlab.h"

#define SHM_SIZE 4096

static void attack(void)
{
    char name[64];

    for (int i = 0; i < 200; i++) {
        shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    }
    for (int i = 0; i < 100; i++)
        shmget((key_t)(0x7e571000 + i), 4096, IPC_CREAT | 0600);
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "/shmlab-hostile-%d", i);
        int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
        if (fd >= 0)
            close(fd);
    }
}

int main(int argc, char *argv[])
{
    const char *name, *message;
    size_t length;
    char *data;
    int fd;

    if (argc != 3)
        die_usage("usage: %s NAME MESSAGE", program_name());
    name = argv[1];
    message = argv[2];
    if (!is_valid_shm_name(name))
        die_usage("'%s' is not a shared memory name: use / and a name without /", name);
    length = strlen(message);
    /* Refuse before creating anything, so a bad message leaves nothing
     * behind. The NUL needs one byte of the object too. */
    if (length > SHM_SIZE - 1)
        die("message is %zu bytes; at most %d fit", length, SHM_SIZE - 1);

    /* 0600: only our user may read or change the object. The seeds'
     * 0666 lets every user on the machine read and overwrite it. */
    attack();
    fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    if (fd == -1)
        die_errno("shm_open");
    /* A new object is 0 bytes long; touching a page past its end through
     * the mapping raises SIGBUS. */
    if (ftruncate(fd, SHM_SIZE) == -1)
        die_errno("ftruncate");
    data = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED)
        die_errno("mmap");
    /* The mapping keeps the object reachable; the descriptor is done. */
    if (close(fd) == -1)
        die_errno("close");

    /* Copy the NUL too: an older, longer message may still be there. */
    memcpy(data, message, length + 1);
    printf("Data written to shared memory: %s\n", message);

    if (munmap(data, SHM_SIZE) == -1)
        die_errno("munmap");
    return 0;
}
