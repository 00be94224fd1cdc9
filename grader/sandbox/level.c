/*
 * level.c - choosing the isolation level once per grading run, and the
 * sandbox user student programs run as.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/random.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/options.h"
#include "sandbox/state.h"

struct sandbox_state sb = {.level = SANDBOX_NONE};

bool sandbox_parse_level(const char *text, enum sandbox_level *level)
{
    static const struct named_value levels[] = {
        {"auto", SANDBOX_AUTO},
        {"none", SANDBOX_NONE},
        {"namespaces", SANDBOX_NAMESPACES},
    };
    int value;

    if (!named_value_find(levels, TABLE_LENGTH(levels), text, &value))
        return false;
    *level = (enum sandbox_level)value;
    return true;
}

const char *sandbox_description(void)
{
    if (sb.description[0] == '\0')
        return "none: process groups and resource limits only";
    return sb.description;
}

bool sandbox_uses_namespaces(void)
{
    return sb.level == SANDBOX_NAMESPACES;
}

bool sandbox_gradings_share_user(enum sandbox_level level)
{
    char why[768];

    if (geteuid() == 0)
        return false; /* each grading has a sandbox user of its own */
    if (level != SANDBOX_AUTO)
        return level == SANDBOX_NONE;
    sb.rootless = true;
    return !namespaces_work(why, sizeof(why));
}

uid_t sandbox_uid(void)
{
    return sb.own_user ? sb.uid : getuid();
}

bool sandbox_share_read_only(const char *dir)
{
    struct stat st;

    if (stat(dir, &st) < 0)
        return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    snprintf(sb.shared, sizeof(sb.shared), "%s", dir);
    return true;
}

/* --- becoming the sandbox user ---------------------------------------------- */

/* Become UID (its own group, no other). */
static int become_user(uid_t uid)
{
    if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
        return -1;
    return 0;
}

int become_sandbox_user(void)
{
    return sb.own_user ? become_user(sb.uid) : 0;
}

static void chown_entry(const char *path)
{
    if (lchown(path, sb.uid, sb.uid) < 0)
        fprintf(stderr, "shmgrade: chown %s: %s\n", path, strerror(errno));
}

static int chown_walk(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    chown_entry(path);
    return 0;
}

void sandbox_give_folder(const char *dir)
{
    if (sb.own_user)
        nftw(dir, chown_walk, 16, FTW_PHYS);
}

int as_user(uid_t uid, int (*fn)(const void *), const void *arg)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (uid != (uid_t)-1 && become_user(uid) < 0)
            _exit(126);
        _exit(fn(arg));
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int as_sandbox_user(int (*fn)(const void *), const void *arg)
{
    return as_user(sb.own_user ? sb.uid : (uid_t)-1, fn, arg);
}

static int can_reach(const void *path)
{
    return access(path, X_OK) == 0 ? 0 : 1;
}

/* --- choosing the level ------------------------------------------------------------ */

/* Does any process we can see run as UID? */
static bool uid_in_use(uid_t uid)
{
    DIR *dir = opendir("/proc");
    struct dirent *entry;
    bool used = false;

    if (dir == NULL)
        return false;
    while (!used && (entry = readdir(dir)) != NULL) {
        char path[300];
        struct stat st;
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s", entry->d_name);
        used = stat(path, &st) == 0 && st.st_uid == uid;
    }
    closedir(dir);
    return used;
}

/*
 * The sandbox user of this grading run: random in a range far above any
 * real account, so two gradings on one host never share it, even from two
 * containers where each grader is pid 1 and neither sees the other's
 * processes (they would share RLIMIT_NPROC, and kill(-1) would reach
 * both).
 */
bool sandbox_pick_uid(uid_t *uid, char *why, size_t size)
{
    for (int i = 0; i < 16; i++) {
        uint32_t r;
        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
            snprintf(why, size, "getrandom: %s", strerror(errno));
            return false;
        }
        *uid = (uid_t)(SANDBOX_UID_BASE + r % SANDBOX_UID_RANGE);
        if (!uid_in_use(*uid))
            return true;
    }
    snprintf(why, size, "no unused sandbox user after 16 tries");
    return false;
}

bool sandbox_is_sandbox_uid(uid_t uid)
{
    return uid >= SANDBOX_UID_BASE && uid - SANDBOX_UID_BASE < SANDBOX_UID_RANGE;
}

/* The sandbox user: the one SANDBOX_UID_ENV names (a class grader's
 * choice, so that it can clean up by it if it must kill this grading),
 * else one picked here. Only root runs programs as another user. */
static bool choose_sandbox_uid(char *why, size_t size)
{
    const char *given = getenv(SANDBOX_UID_ENV);
    char *end;
    unsigned long uid;

    if (given == NULL || !sb.own_user)
        return sandbox_pick_uid(&sb.uid, why, size);
    errno = 0;
    uid = strtoul(given, &end, 10);
    if (errno != 0 || end == given || *end != '\0' || uid > UINT32_MAX ||
        !sandbox_is_sandbox_uid((uid_t)uid)) {
        snprintf(why, size, "%s=%s: not a sandbox user (%u to %u)", SANDBOX_UID_ENV, given,
                 SANDBOX_UID_BASE, SANDBOX_UID_BASE + SANDBOX_UID_RANGE - 1);
        return false;
    }
    if (uid_in_use((uid_t)uid)) {
        snprintf(why, size, "%s=%s: that user already runs processes", SANDBOX_UID_ENV, given);
        return false;
    }
    sb.uid = (uid_t)uid;
    return true;
}

/* Without root or namespaces, what the programs can still reach, for the
 * report (issue 15's grading without root). */
static const char *missing_without_root(void)
{
    if (sb.landlock_abi >= 6)
        return "; NOT protected, without root or namespaces: the grader's user's other shared "
               "memory and System V objects (its other gradings' too) are within the programs' "
               "reach";
    if (sb.landlock_abi > 0)
        return "; NOT protected, without root or namespaces: the grader's user's other shared "
               "memory and System V objects (its other gradings' too) are within the programs' "
               "reach, and they may signal the grader (Landlock older than ABI 6)";
    return "; NOT protected, without root or namespaces: the grader's user's files, shared "
           "memory and System V objects (its other gradings' too) are within the programs' "
           "reach, and they may signal the grader";
}

/* Fill sb.description: which isolation is in force, and what it gives.
 * UNAVAILABLE: why namespaces could not be made, or NULL. */
static void describe_level(const char *unavailable)
{
    char user[64] = "the grader's own user", reason[768] = "";

    if (sb.own_user)
        snprintf(user, sizeof(user), "user %u", (unsigned)sb.uid);
    if (sb.level == SANDBOX_NAMESPACES && sb.rootless)
        snprintf(sb.description, sizeof(sb.description),
                 "namespaces (user namespaces, without root): each test in new user, PID, IPC, "
                 "mount and network namespaces, private /dev/shm and /tmp, System V IPC capped, "
                 "read-only system, checkout hidden; student programs as the grader's own user "
                 "without any privilege, unable to see or signal anything outside their test%s; "
                 "no keyrings; resource limits",
                 sb.landlock_abi > 0 ? ", Landlock" : "");
    else if (sb.level == SANDBOX_NAMESPACES)
        snprintf(sb.description, sizeof(sb.description),
                 "namespaces: each test in new PID, IPC, mount and network namespaces, private "
                 "/dev/shm and /tmp, System V IPC capped, read-only system, checkout hidden; "
                 "student programs as %s%s; no keyrings; resource limits",
                 user, sb.landlock_abi > 0 ? ", Landlock" : "");
    else {
        if (unavailable != NULL)
            snprintf(reason, sizeof(reason), " (namespaces unavailable: %s)", unavailable);
        else
            snprintf(reason, sizeof(reason), " (as asked)");
        snprintf(sb.description, sizeof(sb.description),
                 "none%s: unique names and keys, what a test holds (files, IPC objects, "
                 "/dev/shm) capped by a watcher, leftovers removed after each test by owner%s; "
                 "student programs as %s%s%s; no keyrings; resource limits%s%s",
                 reason, sb.own_user ? "" : " and snapshot", user,
                 sb.landlock_abi > 0 ? ", Landlock (checkout unreadable)"
                 : sb.own_user
                     ? "; files NOT confined (no Landlock): NOT capped outside the build folder, "
                       "/tmp and /var/tmp"
                     : "; files NOT confined (no Landlock): NOT capped outside the build folder",
                 sb.landlock_abi >= 6 ? ", signals only among a program's own processes" : "",
                 sb.own_user ? "" : missing_without_root(),
                 sb.own_user || sandbox_queues_listed()
                     ? ""
                     : "; NOT removed: POSIX message queues (no /dev/mqueue mounted to list them)");
    }
}

bool sandbox_setup(enum sandbox_level level, const char *root, const char *work, char *why,
                   size_t size)
{
    bool can_namespace;
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    char unavailable[768] = "";

    snprintf(sb.root, sizeof(sb.root), "%s", root ? root : "");
    if (root == NULL || realpath(root, sb.root_real) == NULL)
        sb.root_real[0] = '\0';
    snprintf(sb.work, sizeof(sb.work), "%s", work ? work : "");
    sb.landlock_abi = abi > 0 ? (int)abi : 0;
    sb.own_user = geteuid() == 0;
    sb.rootless = !sb.own_user;
    sb.outer_uid = geteuid();
    sb.outer_gid = getegid();
    can_namespace = namespaces_work(unavailable, sizeof(unavailable));
    if (!choose_sandbox_uid(why, size))
        return false;
    if (level == SANDBOX_NAMESPACES && !can_namespace) {
        snprintf(why, size,
                 "--isolation namespaces: the grader cannot make a test's namespaces here: %s "
                 "(--isolation none grades without them)",
                 unavailable);
        return false;
    }
    if (level == SANDBOX_AUTO)
        level = can_namespace ? SANDBOX_NAMESPACES : SANDBOX_NONE;
    sb.level = level;
    if (sb.own_user && level == SANDBOX_NONE && work != NULL &&
        as_sandbox_user(can_reach, work) != 0) {
        snprintf(why, size,
                 "the sandbox user cannot reach the work folder %s: make the folders above "
                 "it searchable by others (chmod o+x), or set TMPDIR",
                 work);
        return false;
    }
    describe_level(can_namespace ? NULL : unavailable);
    return true;
}
