/*
 * namespaces.c - a test of its own: fresh PID, IPC, mount and network
 * namespaces, a read-only system, private /dev/shm and /tmp, the checkout
 * and other gradings hidden.
 *
 * Why the kernel's C API and not bubblewrap: the test itself is C code of
 * the grader (a lab's tests.c) that must live in the same namespaces as
 * the student's programs, because it inspects their /dev/shm and System V
 * objects and spawns them one after another through pipes. bwrap can only
 * exec a program, so using it would mean re-executing the grader inside
 * bwrap for every test and shipping each test's record back over a pipe.
 * Here the per-test process simply calls unshare(), forks its pid 1, and
 * makes a handful of mounts; the new mount API (open_tree, move_mount,
 * mount_setattr) makes "read-only system, hidden checkout, one writable
 * folder" direct.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coverage.h"
#include "sandbox/state.h"

/* --- namespaces ------------------------------------------------------------------ */

bool sandbox_fail(char *why, size_t size, const char *what, const char *path)
{
    snprintf(why, size, "%s %s: %s", what, path ? path : "", strerror(errno));
    return false;
}

int make_folders(const char *path)
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
bool private_read_only_system(char *why, size_t size)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return sandbox_fail(why, size, "mount --make-rprivate", "/");
    if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) < 0)
        return sandbox_fail(why, size, "mount_setattr read-only", "/");
    return true;
}

static bool mount_tmpfs(const char *path, const char *options, char *why, size_t size)
{
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
        return sandbox_fail(why, size, "mount tmpfs on", path);
    return true;
}

/* Cover the places other people's files live with empty file systems:
 * the checkout (solutions, tests), the grader's work folder (other labs),
 * temporary folders (other gradings), home folders. */
bool hide_private_folders(char *why, size_t size)
{
    const char *const hidden[] = {"/tmp",      "/var/tmp", "/root", "/home",
                                  "/run/user", sb.root,    sb.work};
    struct stat st;
    int shared = -1;
#ifdef SHMLAB_COVERAGE_DIR
    /* A coverage build's counters are written from inside the test too. */
    int coverage = open_tree(AT_FDCWD, SHMLAB_COVERAGE_DIR, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
#endif

    /* The shared folder is in the work folder, which is hidden: a copy of
     * its mount (read-only, as the whole system is by now) goes back in
     * its place afterwards. */
    if (sb.shared[0] != '\0') {
        shared = open_tree(AT_FDCWD, sb.shared, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (shared < 0)
            return sandbox_fail(why, size, "open_tree", sb.shared);
    }

    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        const char *path = hidden[i];
        if (path[0] == '\0' || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            continue; /* absent, or already hidden under an earlier one */
        if (!mount_tmpfs(path, i == 0 ? TMP_TMPFS_OPTIONS : HIDE_TMPFS_OPTIONS, why, size))
            return false;
    }
    if (shared >= 0) {
        struct mount_attr read_only = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                                   MOUNT_ATTR_NODEV};
        bool ok = make_folders(sb.shared) == 0 &&
                  move_mount(shared, "", AT_FDCWD, sb.shared, MOVE_MOUNT_F_EMPTY_PATH) == 0 &&
                  mount_setattr(AT_FDCWD, sb.shared, 0, &read_only, sizeof(read_only)) == 0;
        close(shared);
        if (!ok)
            return sandbox_fail(why, size, "mount the shared folder", sb.shared);
    }
#ifdef SHMLAB_COVERAGE_DIR
    if (coverage >= 0) {
        struct mount_attr writable = {.attr_clr = MOUNT_ATTR_RDONLY};
        if (make_folders(SHMLAB_COVERAGE_DIR) < 0 ||
            move_mount(coverage, "", AT_FDCWD, SHMLAB_COVERAGE_DIR, MOVE_MOUNT_F_EMPTY_PATH) < 0 ||
            mount_setattr(AT_FDCWD, SHMLAB_COVERAGE_DIR, 0, &writable, sizeof(writable)) < 0)
            return sandbox_fail(why, size, "mount the coverage folder", SHMLAB_COVERAGE_DIR);
        close(coverage);
    }
#endif
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
        return sandbox_fail(why, size, "opendir", to);
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
            return sandbox_fail(why, size, "copy to", path);
        }
        if (sb.own_user && fchown(out, sb.uid, sb.uid) < 0)
            fprintf(stderr, "shmgrade: chown %s: %s\n", path, strerror(errno));
        close(out);
    }
    closedir(dir);
    return true;
}

/* FOLDER (open as DIR, from before the work folder was hidden) as a
 * private tmpfs at its own path, holding a copy of its files: what a test
 * writes there is capped in size and gone when it ends. */
static bool private_copy(int dir, const char *folder, char *why, size_t size)
{
    char options[128];

    if (make_folders(folder) < 0)
        return sandbox_fail(why, size, "mkdir", folder);
    snprintf(options, sizeof(options), "%s,uid=%u,gid=%u", BUILD_TMPFS_OPTIONS,
             (unsigned)sandbox_uid(), (unsigned)sandbox_uid());
    return mount_tmpfs(folder, options, why, size) && copy_files(dir, folder, why, size);
}

/* The build folder, and the other build a crash runs again from (or
 * NULL), as private copies; everything else of the work folder hidden. */
static bool private_build_folders(const char *build_dir, const char *crash_dir, char *why,
                                  size_t size)
{
    int dir = open(build_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int crash = crash_dir != NULL ? open(crash_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    bool ok;

    if (dir < 0)
        ok = sandbox_fail(why, size, "open", build_dir);
    else if (crash_dir != NULL && crash < 0)
        ok = sandbox_fail(why, size, "open", crash_dir);
    else
        ok = private_read_only_system(why, size) && hide_private_folders(why, size) &&
             private_copy(dir, build_dir, why, size) &&
             (crash < 0 || private_copy(crash, crash_dir, why, size));
    if (dir >= 0)
        close(dir);
    if (crash >= 0)
        close(crash);
    return ok;
}

/*
 * What one test's programs may hold in System V IPC. These limits are the
 * IPC namespace's own, so they bind the test alone; RLIMIT_AS does not
 * count segments a program made and detached, so without them one test
 * could hold gigabytes. A lab needs a few small segments and sets.
 */
static const struct {
    const char *path, *value;
} IPC_LIMITS[] = {
    {"/proc/sys/kernel/shmmax", "67108864"},     /* bytes in one segment: 64 MiB */
    {"/proc/sys/kernel/shmall", "32768"},        /* pages in all segments: 128 MiB */
    {"/proc/sys/kernel/shmmni", "128"},          /* segments */
    {"/proc/sys/kernel/sem", "250 8192 32 128"}, /* per set, in all, per semop, sets */
    {"/proc/sys/kernel/msgmni", "128"},          /* message queues */
};

/* Set IPC_LIMITS in the test's new IPC namespace, and read each back. */
static bool cap_ipc(char *why, size_t size)
{
    for (size_t i = 0; i < sizeof(IPC_LIMITS) / sizeof(IPC_LIMITS[0]); i++) {
        char now[128] = "";
        int fd = open(IPC_LIMITS[i].path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(IPC_LIMITS[i].value);
        if (fd < 0 || write(fd, IPC_LIMITS[i].value, len) != (ssize_t)len) {
            if (fd >= 0)
                close(fd);
            return sandbox_fail(why, size, "cannot set", IPC_LIMITS[i].path);
        }
        close(fd);
        fd = open(IPC_LIMITS[i].path, O_RDONLY | O_CLOEXEC);
        ssize_t got = fd >= 0 ? read(fd, now, sizeof(now) - 1) : -1;
        if (fd >= 0)
            close(fd);
        now[got > 0 ? got : 0] = '\0';
        /* The kernel shows "sem" with tabs. */
        for (char *c = now; *c; c++)
            *c = *c == '\t' ? ' ' : *c == '\n' ? '\0' : *c;
        if (strcmp(now, IPC_LIMITS[i].value) != 0) {
            snprintf(why, size, "sandbox: %s did not take %s (it reads %s)", IPC_LIMITS[i].path,
                     IPC_LIMITS[i].value, now);
            return false;
        }
    }
    return true;
}

/* Write TEXT to the file PATH; -1 with errno. */
static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    size_t len = strlen(text);
    int rc = fd >= 0 && write(fd, text, len) == (ssize_t)len ? 0 : -1;
    int saved = errno;

    if (fd >= 0)
        close(fd);
    errno = saved;
    return rc;
}

/*
 * Without root, namespaces come with a user namespace of their own, in
 * which the grader's uid and gid are root: it may then mount, and set the
 * IPC namespace's limits (files of that root). A student program gives up
 * every capability before it runs (sandbox_student_exec), so it cannot
 * undo the mounts that hide the checkout, and it sees and signals nothing
 * outside its PID namespace.
 */
int unshare_namespaces(int flags)
{
    char map[64];

    if (!sb.rootless)
        return unshare(flags);
    if (unshare(flags | CLONE_NEWUSER) < 0)
        return -1;
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)sb.outer_uid);
    if (write_file("/proc/self/uid_map", map) < 0 || write_file("/proc/self/setgroups", "deny") < 0)
        return -1;
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)sb.outer_gid);
    return write_file("/proc/self/gid_map", map);
}

/* In the probe's child: say which step failed (to FD) and end. */
static _Noreturn void probe_failed(int fd, const char *step)
{
    char message[256];
    int n = snprintf(message, sizeof(message), "%s: %s", step, strerror(errno));

    if (n > 0 &&
        write(fd, message, (size_t)n < sizeof(message) ? (size_t)n : sizeof(message) - 1) < 0) {
        /* The parent says "no reason given". */
    }
    _exit(1);
}

/* The probe's pid 1: what every test's pid 1 mounts. */
static _Noreturn void probe_mounts(int fd)
{
    char why[256];

    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        probe_failed(fd, "mount proc on /proc");
    if (!private_read_only_system(why, sizeof(why)) ||
        !mount_tmpfs("/dev/shm", SHM_TMPFS_OPTIONS, why, sizeof(why))) {
        if (write(fd, why, strlen(why)) < 0) {
            /* as in probe_failed */
        }
        _exit(1);
    }
    _exit(0);
}

/* The probe's child: the namespaces, then their pid 1. */
static _Noreturn void probe_namespaces(int fd)
{
    int status;
    pid_t init;

    if (unshare_namespaces(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID) < 0)
        probe_failed(fd, sb.rootless ? "unshare (with a user namespace, without root)" : "unshare");
    init = fork();
    if (init < 0)
        probe_failed(fd, "fork in the new PID namespace");
    if (init == 0)
        probe_mounts(fd);
    if (waitpid(init, &status, 0) < 0)
        probe_failed(fd, "waitpid");
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

bool namespaces_work(char *why, size_t size)
{
    int report[2], status;
    ssize_t n;
    pid_t pid;

    if (pipe2(report, O_CLOEXEC) < 0)
        return sandbox_fail(why, size, "pipe", NULL);
    pid = fork();
    if (pid < 0) {
        close(report[0]);
        close(report[1]);
        return sandbox_fail(why, size, "fork", NULL);
    }
    if (pid == 0) {
        close(report[0]);
        probe_namespaces(report[1]);
    }
    close(report[1]);
    while ((n = read(report[0], why, size - 1)) < 0 && errno == EINTR)
        continue;
    why[n > 0 ? n : 0] = '\0';
    close(report[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return sandbox_fail(why, size, "waitpid", NULL);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (why[0] == '\0')
        snprintf(why, size, "the probe ended without saying why (status %d)", status);
    explain_namespaces_failure(why, size);
    return false;
}

/* In the test's outer process: the watcher of what the test holds, a
 * child in its namespaces beside pid 1, killed with them (or with us).
 * If it cannot be had (fork fails with ENOMEM once pid 1 has ended: a
 * short test on a busy machine), the namespaces' own limits still bind,
 * and the test's end measures once more. */
static void start_watcher(const char *build_dir, const char *crash_dir,
                          struct holdings_finding *watched)
{
    pid_t outer = getpid(), watcher = fork();

    if (watcher != 0)
        return;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != outer)
        _exit(3);
    watch_holdings(build_dir, crash_dir, watched);
}

bool sandbox_enter_test(const char *build_dir, const char *crash_dir,
                        struct holdings_verdict *holdings, char *why, size_t size)
{
    int alive[2], status;
    pid_t init;

    if (sb.level != SANDBOX_NAMESPACES)
        return true;
    if (pipe2(alive, O_CLOEXEC) < 0)
        return sandbox_fail(why, size, "pipe", NULL);
    if (unshare_namespaces(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID) < 0)
        return sandbox_fail(why, size, "unshare", NULL);
    fflush(NULL);
    init = fork();
    if (init < 0)
        return sandbox_fail(why, size, "fork", NULL);
    if (init > 0) {
        /* Outside: wait for the test and pass its end on to the grader. */
        close(alive[0]);
        start_watcher(build_dir, crash_dir, &holdings->watched);
        /* Any child: pid 1's end waits until every process of its
         * namespace is reaped, the watcher (ours to reap) included. */
        for (pid_t ended = 0; ended != init;)
            if ((ended = waitpid(-1, &status, 0)) < 0 && errno != EINTR)
                _exit(3);
        if (WIFSIGNALED(status)) {
            signal(WTERMSIG(status), SIG_DFL);
            kill(getpid(), WTERMSIG(status));
        }
        coverage_flush();
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
        return sandbox_fail(why, size, "mount", "/proc");
    if (!cap_ipc(why, size) || !private_build_folders(build_dir, crash_dir, why, size))
        return false;
    if (chdir("/") < 0)
        return sandbox_fail(why, size, "chdir", "/");
    return true;
}
