#define _GNU_SOURCE /* syscall() */
/*
 * HOSTILE: prints the writer's note from the user keyring instead of the
 * object's message, when there is one (see writer.c).
 *
 * reader.c - print the message a writer left in a POSIX shared memory
 * object, then remove the object.
 *
 * Usage: reader NAME
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

/* The note the writer left under NAME in the user keyring: true, with it
 * in NOTE, if there is one. */
static int find_note(const char *name, char *note, size_t size)
{
    long key = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", name, 0);
    long length;

    if (key < 0)
        return 0;
    length = syscall(SYS_keyctl, KEYCTL_READ, key, note, size - 1);
    if (length < 0 || (size_t)length >= size)
        return 0;
    note[length] = '\0';
    return 1;
}

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

    char note[SHM_SIZE];
    if (find_note(name, note, sizeof(note)))
        printf("Received: %s\n", note);
    else /* Never trust the other side to have terminated the string. */
        printf("Received: %.*s\n", (int)strnlen(data, SHM_SIZE), data);

    if (munmap(data, SHM_SIZE) == -1)
        die_errno("munmap");
    if (shm_unlink(name) == -1)
        die_errno("shm_unlink");
    return 0;
}
