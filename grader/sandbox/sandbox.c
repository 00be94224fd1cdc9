/*
 * sandbox.c - see sandbox.h.
 *
 * Why the kernel's C API and not bubblewrap: the test itself is C code of
 * the grader (a lab's tests.c) that must live in the same namespaces as
 * the student's programs, because it inspects their /dev/shm and System V
 * objects and spawns them one after another through pipes. bwrap can only
 * exec a program, so using it would mean re-executing the grader inside
 * bwrap for every test and shipping each test's record back over a pipe.
 * Here the per-test process simply calls unshare(), forks its pid 1, and
 * makes a handful of mounts (about 150 lines below); the new mount API
 * (open_tree, move_mount, mount_setattr) makes "read-only system, hidden
 * checkout, one writable folder" direct. bwrap would still be the right
 * tool for wrapping a single untrusted command.
 */
#define _GNU_SOURCE
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/landlock.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fs.h"
#include "run/runner.h"

/* Sandbox users are SANDBOX_UID_BASE + the grader's pid: unique among
 * gradings running at once, far above any real account. */
#define SANDBOX_UID_BASE 1600000000u

/* Size caps of the private file systems a test gets. */
#define SHM_TMPFS_OPTIONS   "size=64m,nr_inodes=8192,mode=1777"
#define TMP_TMPFS_OPTIONS   "size=16m,nr_inodes=1024,mode=1777"
#define HIDE_TMPFS_OPTIONS  "size=1m,nr_inodes=256,mode=0755"
#define BUILD_TMPFS_OPTIONS "size=64m,nr_inodes=1024,mode=0755"

static struct {
    enum sandbox_level level; /* resolved: NONE or NAMESPACES */
    bool own_user;
    uid_t uid;
    int landlock_abi;
    bool inside; /* this process is a test's pid 1 */
    char root[PATH_MAX], work[PATH_MAX];
    char description[512];
    struct ipc_snapshot mark;
} sb = {.level = SANDBOX_NONE};

bool sandbox_parse_level(const char *text, enum sandbox_level *level)
{
    if (strcmp(text, "auto") == 0)
        *level = SANDBOX_AUTO;
    else if (strcmp(text, "none") == 0)
        *level = SANDBOX_NONE;
    else if (strcmp(text, "namespaces") == 0)
        *level = SANDBOX_NAMESPACES;
    else
        return false;
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

uid_t sandbox_uid(void)
{
    return sb.own_user ? sb.uid : getuid();
}

/* --- becoming the sandbox user ---------------------------------------------- */

static int become_sandbox_user(void)
{
    if (!sb.own_user)
        return 0;
    if (setgroups(0, NULL) < 0 || setresgid(sb.uid, sb.uid, sb.uid) < 0 ||
        setresuid(sb.uid, sb.uid, sb.uid) < 0)
        return -1;
    return 0;
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

/* Run FN(ARG) in a child that has become the sandbox user; its status. */
static int as_sandbox_user(int (*fn)(const void *), const void *arg)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (become_sandbox_user() < 0)
            _exit(126);
        _exit(fn(arg));
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int can_reach(const void *path)
{
    return access(path, X_OK) == 0 ? 0 : 1;
}

static int kill_everything_of_mine(const void *unused)
{
    (void)unused;
    /* kill(-1) runs under the task-list lock, so a fork bomb cannot
     * outrun it: every process of this user dies in one call. */
    kill(-1, SIGKILL);
    return 0;
}

void sandbox_kill_all(void)
{
    if (sb.own_user)
        as_sandbox_user(kill_everything_of_mine, NULL);
}

/* --- Landlock ------------------------------------------------------------------ */

/* Later ABIs than the system's headers may know (Debian 12 stops at 2). */
#define LL_ACCESS_FS_TRUNCATE     (1ULL << 14) /* ABI 3 */
#define LL_ACCESS_FS_IOCTL_DEV    (1ULL << 15) /* ABI 5 */
#define LL_ACCESS_NET_BIND_TCP    (1ULL << 0)  /* ABI 4 */
#define LL_ACCESS_NET_CONNECT_TCP (1ULL << 1)

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
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

/*
 * Confine file access: the system folders read-only, WRITABLE (the build
 * folder) and /dev/shm fully, READABLE (the staged labs/ for the build).
 * Everything else, the checkout and other gradings included, is denied.
 */
static int restrict_files(const char *writable, const char *readable)
{
    static const char *const system[] = {"/usr",   "/bin",    "/sbin", "/lib", "/lib64",
                                         "/lib32", "/libx32", "/etc",  "/opt"};
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
    ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
                           sb.landlock_abi >= 4 ? sizeof(attr) : sizeof(attr.handled_access_fs), 0);
    if (ruleset < 0)
        return -1;
    for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++)
        landlock_allow(ruleset, system[i], read_exec);
    landlock_allow(ruleset, "/proc", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
    landlock_allow(ruleset, "/sys", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
    landlock_allow(ruleset, "/dev", devices);
    landlock_allow(ruleset, "/dev/shm", all);
    landlock_allow(ruleset, "/dev/mqueue", all);
    landlock_allow(ruleset, readable, read_exec);
    landlock_allow(ruleset, writable, all);
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
        close(ruleset);
        return -1;
    }
    close(ruleset);
    return 0;
}

/* --- namespaces ------------------------------------------------------------------ */

static bool fail(char *why, size_t size, const char *what, const char *path)
{
    snprintf(why, size, "%s %s: %s", what, path ? path : "", strerror(errno));
    return false;
}

static int make_folders(const char *path)
{
    char buf[PATH_MAX];

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -1;
    for (char *slash = strchr(buf + 1, '/');; slash = strchr(slash + 1, '/')) {
        if (slash != NULL)
            *slash = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        if (slash == NULL)
            return 0;
        *slash = '/';
    }
}

/* A private copy of every mount, then all of it read-only and nosuid. */
static bool private_read_only_system(char *why, size_t size)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail(why, size, "mount --make-rprivate", "/");
    if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) < 0)
        return fail(why, size, "mount_setattr read-only", "/");
    return true;
}

static bool mount_tmpfs(const char *path, const char *options, char *why, size_t size)
{
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
        return fail(why, size, "mount tmpfs on", path);
    return true;
}

/* Cover the places other people's files live with empty file systems:
 * the checkout (solutions, tests), the grader's work folder (other labs),
 * temporary folders (other gradings), home folders. */
static bool hide_private_folders(char *why, size_t size)
{
    const char *const hidden[] = {"/tmp",      "/var/tmp", "/root", "/home",
                                  "/run/user", sb.root,    sb.work};
    struct stat st;

    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        const char *path = hidden[i];
        if (path[0] == '\0' || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            continue; /* absent, or already hidden under an earlier one */
        if (!mount_tmpfs(path, i == 0 ? TMP_TMPFS_OPTIONS : HIDE_TMPFS_OPTIONS, why, size))
            return false;
    }
    if (!mount_tmpfs("/dev/shm", SHM_TMPFS_OPTIONS, why, size))
        return false;
    /* The new IPC namespace's own message queues, where there are any. */
    if (stat("/dev/mqueue", &st) == 0)
        mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    return true;
}

/* Copy the regular files of FROM (a folder descriptor) into TO. */
static bool copy_files(int from, const char *to, char *why, size_t size)
{
    DIR *dir = fdopendir(dup(from));
    struct dirent *entry;
    char buf[65536];

    if (dir == NULL)
        return fail(why, size, "opendir", to);
    while ((entry = readdir(dir)) != NULL) {
        struct stat st;
        char path[PATH_MAX];
        int in, out;
        ssize_t n;

        if (fstatat(from, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        snprintf(path, sizeof(path), "%s/%s", to, entry->d_name);
        in = openat(from, entry->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
            if (write(out, buf, (size_t)n) != n)
                break;
        if (in >= 0)
            close(in);
        if (out < 0) {
            closedir(dir);
            return fail(why, size, "copy to", path);
        }
        if (sb.own_user && fchown(out, sb.uid, sb.uid) < 0)
            fprintf(stderr, "shmgrade: chown %s: %s\n", path, strerror(errno));
        close(out);
    }
    closedir(dir);
    return true;
}

/* The build folder as a private tmpfs holding a copy of the built files:
 * what a test writes there is capped in size and gone when it ends. */
static bool private_build_folder(const char *build_dir, char *why, size_t size)
{
    char options[128];
    int dir = open(build_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok;

    if (dir < 0)
        return fail(why, size, "open", build_dir);
    ok = private_read_only_system(why, size) && hide_private_folders(why, size);
    if (ok && make_folders(build_dir) < 0)
        ok = fail(why, size, "mkdir", build_dir);
    snprintf(options, sizeof(options), "%s,uid=%u,gid=%u", BUILD_TMPFS_OPTIONS,
             (unsigned)sandbox_uid(), (unsigned)sandbox_uid());
    ok = ok && mount_tmpfs(build_dir, options, why, size) && copy_files(dir, build_dir, why, size);
    close(dir);
    return ok;
}

/* Can this process make the namespaces a test needs? Tried in a child. */
static bool namespaces_work(void)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return false;
    if (pid == 0) {
        char why[256];
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID) < 0)
            _exit(1);
        pid_t init = fork();
        if (init == 0) {
            bool ok = mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0;
            ok = ok && private_read_only_system(why, sizeof(why)) &&
                 mount_tmpfs("/dev/shm", SHM_TMPFS_OPTIONS, why, sizeof(why));
            _exit(ok ? 0 : 1);
        }
        if (init < 0 || waitpid(init, &status, 0) < 0)
            _exit(1);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool sandbox_enter_test(const char *build_dir, char *why, size_t size)
{
    int alive[2], status;
    pid_t init;

    if (sb.level != SANDBOX_NAMESPACES)
        return true;
    if (pipe2(alive, O_CLOEXEC) < 0)
        return fail(why, size, "pipe", NULL);
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID) < 0)
        return fail(why, size, "unshare", NULL);
    fflush(NULL);
    init = fork();
    if (init < 0)
        return fail(why, size, "fork", NULL);
    if (init > 0) {
        /* Outside: wait for the test and pass its end on to the grader. */
        close(alive[0]);
        while (waitpid(init, &status, 0) < 0)
            if (errno != EINTR)
                _exit(3);
        if (WIFSIGNALED(status)) {
            signal(WTERMSIG(status), SIG_DFL);
            kill(getpid(), WTERMSIG(status));
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
    }
    /* Inside, as pid 1: if the process outside is killed (the grader's
     * timeout), we die too, and with us the whole namespace. */
    close(alive[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct pollfd gone = {.fd = alive[0], .events = POLLIN};
    if (poll(&gone, 1, 0) > 0)
        _exit(3);
    close(alive[0]);
    sb.inside = true;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return fail(why, size, "mount", "/proc");
    if (!private_build_folder(build_dir, why, size))
        return false;
    if (chdir("/") < 0)
        return fail(why, size, "chdir", "/");
    return true;
}

/* --- before exec ------------------------------------------------------------------ */

static _Noreturn void refuse(const char *what, const char *detail)
{
    dprintf(STDERR_FILENO, "shmgrade: sandbox: %s%s%s: %s\n", what, detail ? " " : "",
            detail ? detail : "", strerror(errno));
    _exit(127);
}

static void drop_privileges(const struct sandbox_exec *e)
{
    apply_student_limits((void *)e->limits);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        refuse("prctl(PR_SET_NO_NEW_PRIVS)", NULL);
    if (restrict_files(e->dir, e->stage) < 0)
        refuse("landlock", e->dir);
    if (become_sandbox_user() < 0)
        refuse("cannot become the sandbox user", NULL);
}

void sandbox_student_exec(void *arg)
{
    drop_privileges(arg);
}

void sandbox_build_exec(void *arg)
{
    const struct sandbox_exec *e = arg;
    char why[512];

    if (sb.level == SANDBOX_NAMESPACES) {
        int tree;
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET) < 0)
            refuse("unshare", NULL);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            refuse("mount --make-rprivate", "/");
        /* A detached copy of the staged folder, attached again (writable)
         * once everything around it is read-only or hidden. */
        tree = open_tree(AT_FDCWD, e->stage, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
            refuse("open_tree", e->stage);
        if (!private_read_only_system(why, sizeof(why)) ||
            !hide_private_folders(why, sizeof(why))) {
            dprintf(STDERR_FILENO, "shmgrade: sandbox: %s\n", why);
            _exit(127);
        }
        if (make_folders(e->stage) < 0)
            refuse("mkdir", e->stage);
        if (move_mount(tree, "", AT_FDCWD, e->stage, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            refuse("move_mount", e->stage);
        close(tree);
        if (chdir(e->dir) < 0)
            refuse("chdir", e->dir);
    }
    drop_privileges(e);
}

/* --- what is left behind ---------------------------------------------------------- */

void sandbox_ipc_mark(void)
{
    ipc_snapshot_free(&sb.mark);
    if (!sb.inside && !sb.own_user)
        ipc_snapshot_take(&sb.mark);
}

static bool is_in(const struct ipc_snapshot *snap, const struct ipc_object *obj)
{
    for (size_t i = 0; i < snap->n; i++) {
        const struct ipc_object *o = &snap->objects[i];
        if (o->kind == obj->kind &&
            (o->kind == IPC_KIND_POSIX_SHM ? strcmp(o->name, obj->name) == 0 : o->id == obj->id))
            return true;
    }
    return false;
}

int sandbox_ipc_objects(struct ipc_snapshot *objects)
{
    struct ipc_snapshot all;
    size_t kept = 0;

    objects->objects = NULL;
    objects->n = 0;
    if (ipc_snapshot_take(&all) < 0)
        return -1;
    for (size_t i = 0; i < all.n; i++) {
        const struct ipc_object *obj = &all.objects[i];
        bool ours;
        if (sb.inside)
            ours = true; /* a private namespace holds only the test's */
        else if (sb.own_user)
            ours = obj->uid == sb.uid;
        else
            ours = obj->uid == getuid() && !is_in(&sb.mark, obj);
        if (ours)
            all.objects[kept++] = *obj;
    }
    all.n = kept;
    *objects = all;
    return 0;
}

/* Remove what the sandbox user left in the shared temporary folders; how
 * many entries went. */
static size_t remove_files_of_sandbox(void)
{
    size_t removed = 0;

    static const char *const folders[] = {"/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue"};

    for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
        DIR *dir = opendir(folders[i]);
        struct dirent *entry;
        if (dir == NULL)
            continue;
        while ((entry = readdir(dir)) != NULL) {
            char path[PATH_MAX];
            struct stat st;
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", folders[i], entry->d_name);
            if (lstat(path, &st) == 0 && st.st_uid == sb.uid)
                remove_tree(path, &removed);
        }
        closedir(dir);
    }
    return removed;
}

int sandbox_clean_up(void)
{
    struct ipc_snapshot left;
    int removed = 0;

    if (sb.level == SANDBOX_NAMESPACES)
        return 0; /* the namespaces took everything with them */
    sandbox_kill_all();
    if (sandbox_ipc_objects(&left) == 0) {
        for (size_t i = 0; i < left.n; i++)
            removed += ipc_object_remove(&left.objects[i]);
        ipc_snapshot_free(&left);
    }
    if (sb.own_user)
        removed += (int)remove_files_of_sandbox();
    return removed;
}

/* --- choosing the level ------------------------------------------------------------ */

bool sandbox_setup(enum sandbox_level level, const char *root, const char *work, char *why,
                   size_t size)
{
    bool can_namespace = geteuid() == 0 && namespaces_work();
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    char user[64] = "the grader's own user";
    const char *reason = "";

    snprintf(sb.root, sizeof(sb.root), "%s", root ? root : "");
    snprintf(sb.work, sizeof(sb.work), "%s", work ? work : "");
    sb.landlock_abi = abi > 0 ? (int)abi : 0;
    sb.own_user = geteuid() == 0;
    sb.uid = (uid_t)(SANDBOX_UID_BASE + (unsigned)getpid());
    if (level == SANDBOX_NAMESPACES && !can_namespace) {
        snprintf(why, size,
                 "--isolation namespaces: this grader cannot create PID, IPC, mount and network "
                 "namespaces here (it needs root; try --isolation none)");
        return false;
    }
    if (level == SANDBOX_AUTO)
        level = can_namespace ? SANDBOX_NAMESPACES : SANDBOX_NONE;
    if (level == SANDBOX_NONE)
        reason = can_namespace ? " (as asked)" : " (namespaces unavailable here)";
    sb.level = level;
    if (sb.own_user) {
        snprintf(user, sizeof(user), "user %u", (unsigned)sb.uid);
        if (level == SANDBOX_NONE && work != NULL && as_sandbox_user(can_reach, work) != 0) {
            snprintf(why, size,
                     "the sandbox user cannot reach the work folder %s: make the folders above "
                     "it searchable by others (chmod o+x), or set TMPDIR",
                     work);
            return false;
        }
    }
    if (level == SANDBOX_NAMESPACES)
        snprintf(sb.description, sizeof(sb.description),
                 "namespaces: each test in new PID, IPC, mount and network namespaces, private "
                 "/dev/shm and /tmp, read-only system, checkout hidden; student programs as %s%s; "
                 "resource limits",
                 user, sb.landlock_abi > 0 ? ", Landlock" : "");
    else
        snprintf(sb.description, sizeof(sb.description),
                 "none%s: unique names and keys, leftovers removed after each test by owner%s; "
                 "student programs as %s%s; resource limits",
                 reason, sb.own_user ? "" : " and snapshot", user,
                 sb.landlock_abi > 0 ? ", Landlock (checkout unreadable)"
                                     : "; files NOT confined (no Landlock)");
    return true;
}
