/*
 * check_sandbox.c - every message about isolation says the real reason
 * the grader cannot have a level: the call that failed, and the fact that
 * explains it (a chroot, a missing capability), never a guess.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fs.h"
#include "sandbox/sandbox.h"
#include "suites.h"

/* What sandbox_setup() says of LEVEL here: its refusal, or the
 * description of the level it chose. */
static const char *setup_says(enum sandbox_level level)
{
    static char said[2048];

    if (!sandbox_setup(level, "/nonexistent-checkout", NULL, said, sizeof(said)))
        return said;
    snprintf(said, sizeof(said), "%s", sandbox_description());
    return said;
}

/* The old message's guess: "(as root, or as an ordinary user ...)". */
static bool guesses_at_root(const char *said)
{
    return strstr(said, "as root") != NULL || strstr(said, "needs root") != NULL;
}

static void assert_says(const char *said, const char *expected)
{
    ck_assert_msg(strstr(said, expected) != NULL, "expected \"%s\" in: %s", expected, said);
    ck_assert_msg(!guesses_at_root(said), "the message guesses at root: %s", said);
}

/* As root, without CAP_SYS_ADMIN (a container's default): unshare is
 * refused, and the message says which capability is missing. */
START_TEST(root_without_sys_admin_is_told_so)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    if (geteuid() != 0) {
        fprintf(stderr, "sandbox: not root, the capability message is not tested\n");
        return;
    }
    ck_assert_int_eq(syscall(SYS_capget, &header, data), 0);
    data[0].effective &= ~(1u << CAP_SYS_ADMIN);
    ck_assert_int_eq(syscall(SYS_capset, &header, data), 0);
    assert_says(setup_says(SANDBOX_NAMESPACES),
                "--isolation namespaces: the grader cannot make a test's namespaces here: "
                "unshare: Operation not permitted; the grader is root without CAP_SYS_ADMIN");
    assert_says(setup_says(SANDBOX_AUTO),
                "none (namespaces unavailable: unshare: Operation not permitted; the grader is "
                "root without CAP_SYS_ADMIN");
}
END_TEST

/* Bind-mount the system's folder NAME into ROOT: false if it cannot. */
static bool bind_into(const char *root, const char *name)
{
    char path[4096];
    struct stat st;

    if (stat(name, &st) < 0)
        return true; /* not on this system */
    snprintf(path, sizeof(path), "%s%s", root, name);
    return mkdir(path, 0755) == 0 && mount(name, path, NULL, MS_BIND | MS_REC, NULL) == 0;
}

/* In a child, in a mount namespace of its own: chroot into ROOT, a plain
 * folder (no mount point) with the system's folders bound into it; its
 * exit status says whether both messages name the real reason. */
static int messages_in_a_chroot(const char *root)
{
    static const char *const system[] = {"/usr", "/bin",  "/lib", "/lib64",
                                         "/etc", "/proc", "/dev", "/tmp"};
    static const char *const expected[2] = {
        "cannot make a test's namespaces here: mount --make-rprivate /: Invalid argument; the "
        "grader runs in a chroot whose / is no mount point",
        "none (namespaces unavailable: mount --make-rprivate /: Invalid argument; the grader "
        "runs in a chroot"};
    const enum sandbox_level levels[2] = {SANDBOX_NAMESPACES, SANDBOX_AUTO};
    int status;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(2);
        for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++)
            if (!bind_into(root, system[i]))
                _exit(2);
        if (chroot(root) < 0 || chdir("/") < 0)
            _exit(2);
        for (int i = 0; i < 2; i++) {
            const char *said = setup_says(levels[i]);
            if (strstr(said, expected[i]) == NULL || guesses_at_root(said)) {
                fprintf(stderr, "in a chroot, expected \"%s\" in: %s\n", expected[i], said);
                _exit(1);
            }
        }
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* As root in a chroot: the message says so, not that it needs root. */
START_TEST(root_in_a_chroot_is_told_so)
{
    char root[] = "/tmp/shmlab-chroot-XXXXXX";

    if (geteuid() != 0) {
        fprintf(stderr, "sandbox: not root, the chroot message is not tested\n");
        return;
    }
    if (!mount_namespaces_or_skip("sandbox: the message in a chroot"))
        return;
    ck_assert_ptr_nonnull(mkdtemp(root));
    int status = messages_in_a_chroot(root);
    /* The mounts went with the child's mount namespace: empty folders. */
    ck_assert_int_eq(remove_tree(root, NULL), 0);
    ck_assert_int_eq(status, 0);
}
END_TEST

Suite *sandbox_suite(void)
{
    return SUITE_OF("sandbox", 60, root_without_sys_admin_is_told_so, root_in_a_chroot_is_told_so);
}
