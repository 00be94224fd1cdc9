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

/* What the grader does to student programs running as another user, and
 * the capability each needs. */
static const struct {
    unsigned capability;
    const char *name, *needed_to;
} OTHER_USER_NEEDS[] = {
    {CAP_IPC_OWNER, "CAP_IPC_OWNER", "inspect their System V objects"},
    {CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "remove them"},
    {CAP_SYS_PTRACE, "CAP_SYS_PTRACE", "see in which system call they wait, or count their calls"},
};

bool preflight_students_objects(uid_t grader, uid_t students, char *why, size_t size)
{
    char lacking[128] = "", cannot[256] = "";
    size_t n = sizeof(OTHER_USER_NEEDS) / sizeof(OTHER_USER_NEEDS[0]);

    if (grader == students)
        return true; /* their processes and objects are the grader's own */
    for (size_t i = 0; i < n; i++) {
        int has = sandbox_has_capability(OTHER_USER_NEEDS[i].capability);
        if (has < 0) {
            snprintf(why, size, "capget: %s", strerror(errno));
            return false;
        }
        if (has)
            continue;
        bool first = lacking[0] == '\0';
        size_t used = strlen(lacking), done = strlen(cannot);
        snprintf(lacking + used, sizeof(lacking) - used, "%s%s", first ? "" : ", ",
                 OTHER_USER_NEEDS[i].name);
        snprintf(cannot + done, sizeof(cannot) - done, "%s%s", first ? "" : ", nor ",
                 OTHER_USER_NEEDS[i].needed_to);
    }
    if (lacking[0] == '\0')
        return true;
    snprintf(why, size,
             "student programs run as user %u, not as the grader (user %u), and the grader "
             "lacks %s (containers drop them): it could not %s, and would fail tests they "
             "pass; in Docker, add --cap-add IPC_OWNER --cap-add SYS_ADMIN --cap-add "
             "SYS_PTRACE, or run the grader as an ordinary user (see docker/README.md)",
             (unsigned)students, (unsigned)grader, lacking, cannot);
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
