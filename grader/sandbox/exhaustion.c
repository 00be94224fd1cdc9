/*
 * exhaustion.c - is the machine out of what a test needs, by others' doing?
 *
 * Without namespaces, /dev/shm and the System V tables are the machine's,
 * shared with every other grading and user: someone else may have filled
 * them (or taken every segment id and given them to root). A test that
 * failed then says nothing about the student's code: it is the grader's
 * error, to be graded again, never the student's score.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "sandbox/state.h"

/* Free room in /dev/shm below which a test may not have what it needs:
 * the labs' objects are a few pages each. */
#define SHM_ROOM_NEEDED (1024 * 1024ULL)

/* What USER's files take in /dev/shm: bytes and files. */
static void shm_use_of(uid_t user, unsigned long long *bytes, unsigned long long *files)
{
    struct dirent *entry;
    DIR *dir = opendir("/dev/shm");

    *bytes = *files = 0;
    while (dir != NULL && (entry = readdir(dir)) != NULL) {
        struct stat st;
        if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            st.st_uid == user) {
            *bytes += (unsigned long long)st.st_blocks * 512;
            *files += 1;
        }
    }
    if (dir != NULL)
        closedir(dir);
}

/* /dev/shm out of room or of files (inodes), and not by USER's files:
 * its description in WHY. */
static bool shm_full_by_others(uid_t user, char *why, size_t size)
{
    struct statvfs fs;
    unsigned long long free_bytes, used_bytes, used_files, my_bytes, my_files;

    if (statvfs("/dev/shm", &fs) < 0)
        return false;
    free_bytes = (unsigned long long)fs.f_bavail * fs.f_frsize;
    used_bytes = (unsigned long long)(fs.f_blocks - fs.f_bfree) * fs.f_frsize;
    used_files = (unsigned long long)(fs.f_files - fs.f_ffree);
    shm_use_of(user, &my_bytes, &my_files);
    if (free_bytes < SHM_ROOM_NEEDED && 2 * my_bytes < used_bytes) {
        snprintf(why, size, "/dev/shm is full (%llu KiB free), filled by others",
                 free_bytes / 1024);
        return true;
    }
    if (fs.f_files > 0 && fs.f_favail == 0 && 2 * my_files < used_files) {
        snprintf(why, size, "/dev/shm can hold no more files (%llu), made by others", used_files);
        return true;
    }
    return false;
}

/* The machine's limit on objects of KIND (kernel.shmmni, the fourth
 * field of kernel.sem, kernel.msgmni); -1 if unknown. */
static long ipc_limit(enum ipc_kind kind)
{
    static const char *const files[] = {[IPC_KIND_SYSV_SHM] = "/proc/sys/kernel/shmmni",
                                        [IPC_KIND_SYSV_SEM] = "/proc/sys/kernel/sem",
                                        [IPC_KIND_SYSV_MSG] = "/proc/sys/kernel/msgmni"};
    FILE *f = fopen(files[kind], "re");
    long fields[4] = {-1, -1, -1, -1};
    int n;

    if (f == NULL)
        return -1;
    n = fscanf(f, "%ld %ld %ld %ld", &fields[0], &fields[1], &fields[2], &fields[3]);
    fclose(f);
    if (kind == IPC_KIND_SYSV_SEM)
        return n == 4 ? fields[3] : -1;
    return n >= 1 ? fields[0] : -1;
}

/* Every id of some System V kind in use, and not by USER: WHY says which. */
static bool ipc_full_by_others(uid_t user, char *why, size_t size)
{
    static const struct {
        enum ipc_kind kind;
        const char *what;
    } kinds[] = {{IPC_KIND_SYSV_SHM, "System V shared memory segments"},
                 {IPC_KIND_SYSV_SEM, "System V semaphore sets"},
                 {IPC_KIND_SYSV_MSG, "System V message queues"}};
    struct ipc_snapshot all;
    bool full = false;

    if (ipc_snapshot_take(&all) < 0)
        return false;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && !full; k++) {
        long limit = ipc_limit(kinds[k].kind), total = 0, mine = 0;
        for (size_t i = 0; i < all.n; i++) {
            if (all.objects[i].kind != kinds[k].kind)
                continue;
            total++;
            mine += all.objects[i].uid == user || all.objects[i].creator_uid == user;
        }
        if (limit > 0 && total >= limit && 2 * mine < total) {
            snprintf(why, size, "all %ld %s of the machine are in use, %ld of them the test's",
                     limit, kinds[k].what, mine);
            full = true;
        }
    }
    ipc_snapshot_free(&all);
    return full;
}

bool sandbox_exhausted_by_others(char *why, size_t size)
{
    uid_t user = sandbox_uid();

    if (sb.level == SANDBOX_NAMESPACES)
        return false; /* each test has its own /dev/shm and IPC tables */
    return shm_full_by_others(user, why, size) || ipc_full_by_others(user, why, size);
}
