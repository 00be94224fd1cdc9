/*
 * HOSTILE: the program prints escape sequences that clear the screen and paint TOTAL: 105/105 over
 * the report (on stdout and stderr, and in a compiler warning), then fails
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#warning "[2J[H[32mTOTAL: 105/105[8m"
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

/* A forged screen: clear it, paint a full score in green, conceal what
 * follows; again through a carriage return, a C1 CSI (U+009B) and a
 * right-to-left override; then fail, so that the transcript is shown. */
static void attack(void)
{
    static const char forged[] =
        "\033[2J\033[H\033[32mTOTAL: 105/105\033[8m\r\302\2332J\342\200\256";

    fputs(forged, stdout);
    fputs(forged, stderr);
    exit(1);
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
