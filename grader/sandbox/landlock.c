/*
 * landlock.c - confine a student program's file access with Landlock,
 * where the kernel has it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/state.h"

/* --- Landlock ------------------------------------------------------------------ */

/* Later ABIs than the system's headers may know (Debian 12 stops at 2). */
#define LL_ACCESS_FS_TRUNCATE     (1ULL << 14) /* ABI 3 */
#define LL_ACCESS_FS_IOCTL_DEV    (1ULL << 15) /* ABI 5 */
#define LL_ACCESS_NET_BIND_TCP    (1ULL << 0)  /* ABI 4 */
#define LL_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_SIGNAL           (1ULL << 1) /* ABI 6 */

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

static uint64_t landlock_handled_fs(void)
{
    uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

    if (sb.landlock_abi >= 2)
        rights |= LANDLOCK_ACCESS_FS_REFER;
    if (sb.landlock_abi >= 3)
        rights |= LL_ACCESS_FS_TRUNCATE;
    if (sb.landlock_abi >= 5)
        rights |= LL_ACCESS_FS_IOCTL_DEV;
    return rights;
}

static void landlock_allow(int ruleset, const char *path, uint64_t rights)
{
    struct landlock_path_beneath_attr rule = {.allowed_access = rights};

    if (path == NULL)
        return;
    rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
    if (rule.parent_fd < 0)
        return; /* not on this system */
    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    close(rule.parent_fd);
}

/* What Landlock lets a rule on a file (not a folder) grant. */
#define FILE_RIGHTS                                                                                \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |   \
     LL_ACCESS_FS_TRUNCATE | LL_ACCESS_FS_IOCTL_DEV)

/*
 * RIGHTS beneath PATH, but not beneath HIDDEN (the checkout) when it lies
 * inside PATH: Landlock only grants, so a folder closed inside an open one
 * is had by granting every entry of PATH but the one on the way to HIDDEN,
 * and so on down to HIDDEN itself, which nothing grants. Symbolic links are
 * not followed (one could point at HIDDEN); where they lead is granted or
 * not on its own.
 */
static void landlock_allow_except(int ruleset, const char *link, const char *hidden,
                                  uint64_t rights)
{
    char path[PATH_MAX];
    size_t len, step;
    const char *next;
    struct dirent *entry;
    DIR *dir;

    /* As the kernel will see it (/lib is /usr/lib on most systems). */
    if (realpath(link, path) == NULL)
        return; /* not on this system */
    len = strlen(path);
    if (hidden[0] == '\0' || strncmp(hidden, path, len) != 0 || hidden[len] != '/') {
        landlock_allow(ruleset, path, rights);
        return;
    }
    next = hidden + len + 1;
    step = strcspn(next, "/");
    dir = opendir(path);
    if (dir == NULL)
        return; /* nothing granted: closed, as HIDDEN must be */
    while ((entry = readdir(dir)) != NULL) {
        char child[PATH_MAX];
        struct stat st;
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (snprintf(child, sizeof(child), "%s/%s", path, entry->d_name) >= (int)sizeof(child))
            continue; /* too long to name: not granted, closed */
        if (lstat(child, &st) < 0 || S_ISLNK(st.st_mode))
            continue;
        if (strlen(entry->d_name) == step && strncmp(entry->d_name, next, step) == 0) {
            if (next[step] != '\0')
                landlock_allow_except(ruleset, child, hidden, rights);
        } else {
            landlock_allow(ruleset, child, S_ISDIR(st.st_mode) ? rights : rights & FILE_RIGHTS);
        }
    }
    closedir(dir);
}

/*
 * Confine file access: the system folders read-only, WRITABLE (the build
 * folder) and /dev/shm fully, READABLE (the staged labs/ for the build),
 * of the devices only the harmless ones.
 * Everything else, the checkout and other gradings included, is denied.
 */
int restrict_files(const char *writable, const char *readable)
{
    static const char *const system[] = {"/usr",   "/bin",    "/sbin", "/lib", "/lib64",
                                         "/lib32", "/libx32", "/etc",  "/opt"};
    static const char *const harmless[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                           "/dev/urandom"};
    uint64_t all = landlock_handled_fs();
    uint64_t read_exec =
        LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
    uint64_t devices =
        LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
    struct ll_ruleset_attr attr = {.handled_access_fs = all};
    int ruleset;

    if (sb.landlock_abi < 1)
        return 0;
    if (sb.landlock_abi >= 5)
        devices |= LL_ACCESS_FS_IOCTL_DEV;
    /* No network either: shared memory labs have no use for TCP. */
    if (sb.landlock_abi >= 4)
        attr.handled_access_net = LL_ACCESS_NET_BIND_TCP | LL_ACCESS_NET_CONNECT_TCP;
    /* No signal to a process outside the program's own domain: not the
     * grader, not another grading, not another program of the test, even
     * where they run as the same user (without root). */
    if (sb.landlock_abi >= 6)
        attr.scoped = LL_SCOPE_SIGNAL;
    ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
                           sb.landlock_abi >= 6   ? sizeof(attr)
                           : sb.landlock_abi >= 4 ? offsetof(struct ll_ruleset_attr, scoped)
                                                  : sizeof(attr.handled_access_fs),
                           0);
    if (ruleset < 0)
        return -1;
    /* The system read-only, but never the checkout (its solutions and
     * tests), wherever it lives: /opt/shmlab in the Docker image. */
    for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++)
        landlock_allow_except(ruleset, system[i], sb.root_real, read_exec);
    landlock_allow(ruleset, "/proc", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
    landlock_allow(ruleset, "/sys", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
    /* Of the devices, the harmless ones: no terminal (a program of the
     * grader's own user could open the grader's and write over the
     * instructor's screen, or type into it), no disk, no other. */
    landlock_allow(ruleset, "/dev", LANDLOCK_ACCESS_FS_READ_DIR);
    for (size_t i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++)
        landlock_allow(ruleset, harmless[i], devices & FILE_RIGHTS);
    landlock_allow(ruleset, "/dev/shm", all);
    landlock_allow(ruleset, "/dev/mqueue", all);
    landlock_allow(ruleset, readable, read_exec);
    landlock_allow(ruleset, sb.shared[0] ? sb.shared : NULL, read_exec);
    landlock_allow(ruleset, writable, all);
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
        close(ruleset);
        return -1;
    }
    close(ruleset);
    return 0;
}
