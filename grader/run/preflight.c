/*
 * preflight.c - see preflight.h.
 */
#define _GNU_SOURCE
#include "run/preflight.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

#define MIB (1024.0 * 1024.0)

/* What to do about it, for the usual place a small /dev/shm comes from. */
static const char SHM_REMEDY[] = "in Docker, run the container with --shm-size=256m (see "
                                 "docker/README.md); elsewhere, remount it larger (mount -o "
                                 "remount,size=256m /dev/shm)";

bool preflight_shm_room(const char *dir, unsigned long long total, unsigned long long available,
                        char *why, size_t size)
{
    if (total < PREFLIGHT_SHM_MIN_SIZE) {
        snprintf(why, size,
                 "%s holds only %.0f MiB in all: without namespaces every test's POSIX shared "
                 "memory objects are made there, and grading needs at least %.0f MiB, the room "
                 "each test gets with namespaces; %s",
                 dir, (double)total / MIB, (double)PREFLIGHT_SHM_MIN_SIZE / MIB, SHM_REMEDY);
        return false;
    }
    if (available < PREFLIGHT_SHM_MIN_FREE) {
        snprintf(why, size,
                 "%s has only %.1f MiB free of %.0f MiB: grading needs %.0f MiB free for the "
                 "student programs' shared memory objects; something left objects there "
                 "(ls -l %s), or %s is too small: %s",
                 dir, (double)available / MIB, (double)total / MIB,
                 (double)PREFLIGHT_SHM_MIN_FREE / MIB, dir, dir, SHM_REMEDY);
        return false;
    }
    return true;
}

bool preflight_shared_memory(const char *dir, char *why, size_t size)
{
    struct stat st;
    struct statvfs fs;

    if (stat(dir, &st) < 0) {
        snprintf(why, size,
                 "stat %s: %s: POSIX shared memory (shm_open) needs %s, a tmpfs anyone may "
                 "create files in (mode 1777)",
                 dir, strerror(errno), dir);
        return false;
    }
    if (!S_ISDIR(st.st_mode) || (st.st_mode & 01777) != 01777) {
        snprintf(why, size,
                 "%s is not a folder of mode 1777 (it is %s%04o): student programs could not "
                 "create POSIX shared memory objects in it",
                 dir, S_ISDIR(st.st_mode) ? "mode " : "not a folder, mode ",
                 (unsigned)(st.st_mode & 07777));
        return false;
    }
    if (statvfs(dir, &fs) < 0) {
        snprintf(why, size, "statvfs %s: %s", dir, strerror(errno));
        return false;
    }
    return preflight_shm_room(dir, (unsigned long long)fs.f_blocks * fs.f_frsize,
                              (unsigned long long)fs.f_bavail * fs.f_frsize, why, size);
}

bool preflight_students_objects(uid_t grader, uid_t students, char *why, size_t size)
{
    if (grader == students)
        return true; /* their objects are the grader's own */
    int inspect = sandbox_has_capability(CAP_IPC_OWNER);
    int remove = sandbox_has_capability(CAP_SYS_ADMIN);
    if (inspect < 0 || remove < 0) {
        snprintf(why, size, "capget: %s", strerror(errno));
        return false;
    }
    if (inspect && remove)
        return true;
    snprintf(why, size,
             "student programs run as user %u, not as the grader (user %u), and the grader "
             "lacks %s%s%s (containers drop them): it could not %s the System V objects they "
             "make, and would fail tests they pass; in Docker, add --cap-add IPC_OWNER "
             "--cap-add SYS_ADMIN, or run the grader as an ordinary user (see docker/README.md)",
             (unsigned)students, (unsigned)grader, inspect ? "" : "CAP_IPC_OWNER",
             !inspect && !remove ? " and " : "", remove ? "" : "CAP_SYS_ADMIN",
             !inspect && !remove ? "inspect or remove"
             : inspect           ? "remove"
                                 : "inspect");
    return false;
}

bool preflight_check(char *why, size_t size)
{
    if (!preflight_students_objects(geteuid(), sandbox_uid(), why, size))
        return false;
    /* With namespaces each test mounts a /dev/shm of its own. */
    if (sandbox_uses_namespaces())
        return true;
    return preflight_shared_memory("/dev/shm", why, size);
}
