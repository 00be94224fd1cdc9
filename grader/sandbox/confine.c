/*
 * confine.c - the path from the grader to untrusted code.
 *
 * Everything a student program (or the compiler, on the student's files)
 * runs under is applied here, in the child between fork and exec, in one
 * function to be read top to bottom: sandbox_student_exec(). Every call is
 * checked, and a limit that cannot be applied stops the program from
 * running at all (proc_spawn() reports it as the grader's failure): a
 * student program never runs with less confinement than the report says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/securebits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/state.h"

/* A test's programs: CPU seconds, address space (MiB; 0 for none: the
 * sanitizers reserve terabytes of shadow memory), file size (MiB), open
 * files, processes, bytes of POSIX message queues (KiB: the kernel counts
 * them per user, and each test's user is its own, so this caps what a
 * test holds in queues; no lab needs any; below the kernel's default of
 * 800 KiB, which a process without CAP_SYS_RESOURCE cannot raise). The
 * compiler needs more of everything but queues. */
#define TEST_PROGRAM_LIMITS(address_space)                                                         \
    {                                                                                              \
        .cpu_seconds = 20, .address_space_mb = (address_space), .file_size_mb = 16,                \
        .open_files = 256, .processes = 256, .message_queue_kb = 512                               \
    }

const struct student_limits RUN_LIMITS = TEST_PROGRAM_LIMITS(1024);
const struct student_limits SANITIZED_RUN_LIMITS = TEST_PROGRAM_LIMITS(0);
const struct student_limits BUILD_LIMITS = {
    .cpu_seconds = 120,
    .address_space_mb = 4096,
    .file_size_mb = 64,
    .open_files = 1024,
    .processes = 256,
    .message_queue_kb = 512,
};

static int refuse(char *why, size_t size, const char *what)
{
    snprintf(why, size, "sandbox: %s: %s", what, strerror(errno));
    return -1;
}

/* Set a limit, and read it back: a limit the kernel did not take is no
 * limit. */
static int set_limit(int resource, const char *name, rlim_t soft, rlim_t hard, char *why,
                     size_t size)
{
    struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard}, now;

    if (setrlimit(resource, &limit) < 0 || getrlimit(resource, &now) < 0)
        return refuse(why, size, name);
    if (now.rlim_cur != soft || now.rlim_max != hard) {
        snprintf(why, size, "sandbox: %s did not take", name);
        return -1;
    }
    return 0;
}

/* No capability now, none after exec (an empty bounding set, and uid 0
 * of the user namespace no longer brings any), and none to get back. */
static int drop_every_capability(char *why, size_t size)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct none[2] = {{0}}, now[2];

    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return refuse(why, size, "prctl(PR_CAPBSET_DROP)");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return refuse(why, size, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
    if (prctl(PR_SET_SECUREBITS,
              SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                  SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
              0, 0, 0) < 0)
        return refuse(why, size, "prctl(PR_SET_SECUREBITS)");
    if (syscall(SYS_capset, &header, none) < 0 || syscall(SYS_capget, &header, now) < 0)
        return refuse(why, size, "capset");
    if (now[0].effective | now[0].permitted | now[0].inheritable | now[1].effective |
        now[1].permitted | now[1].inheritable) {
        snprintf(why, size, "sandbox: capabilities remain after capset");
        return -1;
    }
    return 0;
}

int sandbox_student_exec(void *arg, char *why, size_t size)
{
    const struct sandbox_exec *e = arg;
    const struct student_limits *l = e->limits;
    const rlim_t mb = 1024 * 1024;
    const rlim_t address_space =
        l->address_space_mb > 0 ? (rlim_t)l->address_space_mb * mb : RLIM_INFINITY;

    /* 1. Resources. The soft CPU limit sends SIGXCPU, which names the
     *    cause in reports; NPROC binds because the user is one of its own. */
    if (set_limit(RLIMIT_CORE, "setrlimit(RLIMIT_CORE)", 0, 0, why, size) < 0 ||
        set_limit(RLIMIT_CPU, "setrlimit(RLIMIT_CPU)", (rlim_t)l->cpu_seconds,
                  (rlim_t)l->cpu_seconds + 1, why, size) < 0 ||
        set_limit(RLIMIT_AS, "setrlimit(RLIMIT_AS)", address_space, address_space, why, size) < 0 ||
        set_limit(RLIMIT_FSIZE, "setrlimit(RLIMIT_FSIZE)", (rlim_t)l->file_size_mb * mb,
                  (rlim_t)l->file_size_mb * mb, why, size) < 0 ||
        set_limit(RLIMIT_NOFILE, "setrlimit(RLIMIT_NOFILE)", (rlim_t)l->open_files,
                  (rlim_t)l->open_files, why, size) < 0 ||
        set_limit(RLIMIT_NPROC, "setrlimit(RLIMIT_NPROC)", (rlim_t)l->processes,
                  (rlim_t)l->processes, why, size) < 0 ||
        set_limit(RLIMIT_MSGQUEUE, "setrlimit(RLIMIT_MSGQUEUE)", (rlim_t)l->message_queue_kb * 1024,
                  (rlim_t)l->message_queue_kb * 1024, why, size) < 0)
        return -1;

    /* 2. A fresh, empty session keyring: the keys of the grader's session
     *    stay out of reach. A kernel without keys has none to leak; where a
     *    seccomp filter forbids the keyring calls (Docker's default
     *    profile), the program inherits the filter and cannot reach them
     *    either. */
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS &&
        !(errno == EPERM && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2))
        return refuse(why, size, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)");

    /* 3. No privilege to gain by exec (set-user-ID programs, file
     *    capabilities); seccomp and Landlock need it too. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return refuse(why, size, "prctl(PR_SET_NO_NEW_PRIVS)");

    /* 4. No keyring at all (the user keyring is shared by every program
     *    of the user: a channel no check sees), no terminal input. After
     *    step 2, whose keyctl it would refuse. */
    if (refuse_system_calls(why, size) < 0)
        return -1;

    /* 5. Files: the system read-only, the build folder and /dev/shm
     *    writable, nothing else (where the kernel has Landlock; the
     *    report says when it does not). */
    if (restrict_files(e->dir, e->stage) < 0)
        return refuse(why, size, "landlock");

    /* 6. The sandbox user, last: it can no longer undo any of the above.
     *    Then check that no way back is left. Without root, the program
     *    stays root of the test's user namespace, stripped of every
     *    capability, now and across exec. */
    if (sb.rootless && sb.level == SANDBOX_NAMESPACES && drop_every_capability(why, size) < 0)
        return -1;
    if (become_sandbox_user() < 0)
        return refuse(why, size, "setgroups, setresgid, setresuid to the sandbox user");
    if (sb.own_user) {
        gid_t groups[1];
        if (getuid() != sb.uid || geteuid() != sb.uid || getgid() != sb.uid ||
            getegid() != sb.uid || getgroups(1, groups) != 0 || setuid(0) == 0) {
            snprintf(why, size, "sandbox: the sandbox user %u did not take", (unsigned)sb.uid);
            return -1;
        }
    }
    return 0;
}

int sandbox_build_exec(void *arg, char *why, size_t size)
{
    const struct sandbox_exec *e = arg;
    int tree;

    if (sb.level == SANDBOX_NAMESPACES) {
        if (unshare_namespaces(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET) < 0)
            return refuse(why, size, "unshare");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            return refuse(why, size, "mount --make-rprivate /");
        /* A detached copy of the staged folder, attached again (writable)
         * once everything around it is read-only or hidden. */
        tree = open_tree(AT_FDCWD, e->stage, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
            return refuse(why, size, "open_tree of the staged folder");
        if (!private_read_only_system(why, size) || !hide_private_folders(why, size))
            return -1;
        if (make_folders(e->stage) < 0)
            return refuse(why, size, "mkdir of the staged folder");
        if (move_mount(tree, "", AT_FDCWD, e->stage, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            return refuse(why, size, "move_mount of the staged folder");
        close(tree);
        if (chdir(e->dir) < 0)
            return refuse(why, size, "chdir to the build folder");
    }
    return sandbox_student_exec(arg, why, size);
}
