#define _GNU_SOURCE /* syscall() */
/*
 * HOSTILE: stores the message as the solution does, and also leaves a
 * note under the object's name in the user keyring, which outlives the
 * writer and which the reader prefers. The note is not the message: if
 * the keyring carries it, the reader prints the wrong line and the test
 * fails; if the grader refuses keyring calls, this is the solution.
 *
 * writer.c - store a message in a POSIX shared memory object.
 *
 * Usage: writer NAME MESSAGE
 *
 * Creates (or opens) the object NAME with mode 0600, sizes it to
 * SHM_SIZE bytes, stores MESSAGE with its terminating NUL, and leaves the
 * object in place for the reader, which removes it.
 */
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmlab.h"

#define SHM_SIZE 4096

/* The note under NAME in the user keyring, readable by every program of
 * the user. A key is made in the process keyring, where this program
 * possesses it and may open it to the user, then linked into the user
 * keyring, which outlives the program. Errors are ignored. */
static void leave_note(const char *name)
{
    static const char note[] = "handed over through the user keyring";
    long key = syscall(SYS_add_key, "user", name, note, sizeof(note) - 1, KEY_SPEC_PROCESS_KEYRING);

    if (key >= 0 && syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f3f0000) == 0)
        syscall(SYS_keyctl, KEYCTL_LINK, key, KEY_SPEC_USER_KEYRING);
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
    leave_note(name);
    printf("Data written to shared memory: %s\n", message);

    if (munmap(data, SHM_SIZE) == -1)
        die_errno("munmap");
    return 0;
}
