/*
 * futexes.c - which POSIX semaphore a program sleeps on. A POSIX
 * semaphore (sem_wait, sem_timedwait, sem_clockwait) sleeps in a futex
 * wait on the address of the semaphore: /proc/PID/syscall gives that
 * address, /proc/PID/maps the file mapped there, and so the object in
 * /dev/shm that holds the semaphore (a shm_open object, or a named
 * semaphore's sem.NAME) and the offset in it. This is the POSIX
 * counterpart of GETNCNT on a System V set, for one program at a time.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <inttypes.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "harness/context.h"

/* The address P's main thread waits on in the futex call it sleeps in,
 * and whether that wait has a timeout (futex's fourth argument). */
static bool futex_address(pid_t pid, uintptr_t *address, bool *timed)
{
    char path[64], buf[256];
    long number = -1;
    unsigned long long arg0, arg1, arg2, arg3;
    FILE *f;

    if (!process_is_blocked(pid, &number) || number != SYS_futex)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
    f = fopen(path, "re");
    if (f == NULL)
        return false;
    bool read_ok = fgets(buf, sizeof(buf), f) != NULL;
    fclose(f);
    if (!read_ok ||
        sscanf(buf, "%ld 0x%llx 0x%llx 0x%llx 0x%llx", &number, &arg0, &arg1, &arg2, &arg3) != 5 ||
        number != SYS_futex)
        return false;
    *address = (uintptr_t)arg0;
    *timed = arg3 != 0;
    return true;
}

/* The file mapped at ADDRESS in PID (device, inode) and ADDRESS's offset
 * in that file. */
struct mapping_at {
    uintptr_t address;
    dev_t dev;
    ino_t ino;
    size_t offset;
};

static bool is_file_mapping_at(const struct mapping *m, void *ctx)
{
    struct mapping_at *at = ctx;

    if (at->address < m->start || at->address >= m->end || m->ino == 0)
        return false;
    at->dev = m->dev;
    at->ino = m->ino;
    at->offset = (size_t)(at->address - m->start + m->offset);
    return true;
}

static bool mapped_file(pid_t pid, uintptr_t address, dev_t *dev, ino_t *ino, size_t *offset)
{
    struct mapping_at at = {.address = address};

    if (!process_find_mapping(pid, is_file_mapping_at, &at))
        return false;
    *dev = at.dev;
    *ino = at.ino;
    *offset = at.offset;
    return true;
}

/* The name ("/NAME") of the object in /dev/shm that is the file DEV, INO,
 * into OBJECT. */
static bool shm_object_named(dev_t dev, ino_t ino, char *object, size_t size)
{
    DIR *dir = opendir(SHM_FOLDER);
    struct dirent *entry;
    bool found = false;

    if (dir == NULL)
        return false;
    while (!found && (entry = readdir(dir)) != NULL) {
        struct stat st;
        if (entry->d_name[0] == '.' || fstatat(dirfd(dir), entry->d_name, &st, 0) != 0)
            continue;
        if (st.st_ino == ino && st.st_dev == dev)
            found = (size_t)snprintf(object, size, "/%s", entry->d_name) < size;
    }
    closedir(dir);
    return found;
}

bool futex_wait_place(const struct proc *p, char *object, size_t size, size_t *offset, bool *timed)
{
    uintptr_t address;
    bool has_timeout;
    dev_t dev;
    ino_t ino;

    if (timed == NULL)
        timed = &has_timeout;
    return p->state == PROC_RUNNING && futex_address(p->pid, &address, timed) &&
           mapped_file(p->pid, address, &dev, &ino, offset) &&
           shm_object_named(dev, ino, object, size);
}

size_t count_sleeping_on_semaphores(struct proc *const *procs, size_t n)
{
    size_t sleeping = 0;
    char place[300];
    size_t at;

    for (size_t i = 0; i < n; i++)
        sleeping += futex_wait_place(procs[i], place, sizeof(place), &at, NULL);
    return sleeping;
}
