/* check_preflight.c - what a grading run checks before any test
 * (run/preflight.h): the room /dev/shm gives without namespaces, and the
 * capabilities to inspect student programs running as another user. */
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
#include "run/preflight.h"
#include "suites.h"

#define MIB (1024ull * 1024)

static void assert_refused_saying(bool ok, const char *why, const char *expected)
{
    ck_assert_msg(!ok, "accepted, expected a refusal saying '%s'", expected);
    ck_assert_msg(strstr(why, expected) != NULL, "'%s' does not say '%s'", why, expected);
}

START_TEST(docker_default_shm_is_room_enough_and_less_is_refused_with_the_remedy)
{
    char why[1024] = "";

    /* Docker's default --shm-size is 64 MiB: as much as a test's private
     * /dev/shm with namespaces. */
    ck_assert(preflight_shm_room("/dev/shm", 64 * MIB, 64 * MIB, why, sizeof(why)));
    ck_assert(preflight_shm_room("/dev/shm", 8192 * MIB, 16 * MIB, why, sizeof(why)));
    assert_refused_saying(
        preflight_shm_room("/dev/shm", 64 * MIB - 4096, 64 * MIB - 4096, why, sizeof(why)), why,
        "at least 64 MiB");
    assert_refused_saying(preflight_shm_room("/dev/shm", 16 * MIB, 16 * MIB, why, sizeof(why)), why,
                          "/dev/shm holds only 16 MiB in all");
    ck_assert_ptr_nonnull(strstr(why, "--shm-size=256m"));
    assert_refused_saying(preflight_shm_room("/dev/shm", 256 * MIB, 3 * MIB, why, sizeof(why)), why,
                          "only 3.0 MiB free of 256 MiB");
    ck_assert_ptr_nonnull(strstr(why, "ls -l /dev/shm"));
}
END_TEST

START_TEST(a_missing_or_closed_shm_folder_is_refused_naming_it)
{
    char base[] = "/tmp/shmlab-preflight-XXXXXX", path[sizeof(base) + 16], why[1024] = "";

    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(path, sizeof(path), "%s/none", base);
    assert_refused_saying(preflight_shared_memory(path, why, sizeof(why)), why, "stat ");
    ck_assert_ptr_nonnull(strstr(why, path));
    ck_assert_ptr_nonnull(strstr(why, "No such file or directory"));

    /* A folder only its owner may write: student programs could not. */
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_assert_int_eq(chmod(path, 0755), 0);
    assert_refused_saying(preflight_shared_memory(path, why, sizeof(why)), why,
                          "is not a folder of mode 1777 (it is mode 0755)");
    ck_assert_int_eq(remove_tree(base, NULL), 0);
}
END_TEST

/* In a child of its own mount namespace: a tmpfs of SIZE_MIB mounted with
 * mode 1777, as Docker's --shm-size makes it; the child's exit status is 0
 * when preflight_shared_memory() says ACCEPTED. */
static int check_tmpfs_of(unsigned size_mib, bool accepted)
{
    char dir[] = "/tmp/shmlab-preflight-XXXXXX";
    int status;
    pid_t pid;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char options[64], why[1024] = "";
        snprintf(options, sizeof(options), "size=%um,mode=1777", size_mib);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", dir, "tmpfs", 0, options) < 0) {
            fprintf(stderr, "unshare and mount tmpfs on %s: %s\n", dir, strerror(errno));
            _exit(2);
        }
        bool ok = preflight_shared_memory(dir, why, sizeof(why));
        if (ok != accepted)
            fprintf(stderr, "a %u MiB tmpfs: %s\n", size_mib, ok ? "accepted" : why);
        _exit(ok == accepted ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(rmdir(dir), 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The sizes statvfs() reads are the ones the mount was given. Mounting
 * needs root (make test runs as root on the project's machines and CI). */
START_TEST(a_real_tmpfs_is_measured_as_mounted)
{
    if (geteuid() != 0) {
        fprintf(stderr, "preflight: not root, the tmpfs test is left out\n");
        return;
    }
    if (!mount_namespaces_or_skip("preflight: a real tmpfs measured"))
        return;
    ck_assert_int_eq(check_tmpfs_of(16, false), 0);
    ck_assert_int_eq(check_tmpfs_of(64, true), 0);
}
END_TEST

/* In a child: drop CAPABILITY from the effective set, as containers do,
 * then check the objects of user 1600000000 and of the grader's own. */
static int refused_without(unsigned capability, const char *expected)
{
    pid_t pid = fork();
    int status;

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
        char why[1024] = "";
        if (syscall(SYS_capget, &header, data) < 0)
            _exit(2);
        data[capability / 32].effective &= ~(1u << (capability % 32));
        if (syscall(SYS_capset, &header, data) < 0)
            _exit(2);
        bool refused = !preflight_students_objects(0, 1600000000, why, sizeof(why));
        if (!refused || strstr(why, expected) == NULL ||
            strstr(why, "--cap-add IPC_OWNER --cap-add SYS_ADMIN") == NULL ||
            strstr(why, "user 1600000000") == NULL) {
            fprintf(stderr, "without capability %u: %s\n", capability, refused ? why : "accepted");
            _exit(1);
        }
        _exit(preflight_students_objects(0, 0, why, sizeof(why)) ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* As root: another user's programs need the three capabilities, the
 * grader's own none. */
START_TEST(without_the_capabilities_another_users_programs_are_refused_naming_them)
{
    char why[1024] = "";

    if (geteuid() != 0) {
        fprintf(stderr, "preflight: not root, the capabilities are not tested\n");
        return;
    }
    ck_assert(preflight_students_objects(0, 1600000000, why, sizeof(why)));
    ck_assert(preflight_students_objects(1000, 1000, why, sizeof(why)));
    ck_assert_int_eq(refused_without(CAP_IPC_OWNER, "lacks CAP_IPC_OWNER (containers drop them): "
                                                    "it could not inspect"),
                     0);
    ck_assert_int_eq(refused_without(CAP_SYS_ADMIN, "lacks CAP_SYS_ADMIN (containers drop them): "
                                                    "it could not remove"),
                     0);
    ck_assert_int_eq(refused_without(CAP_SYS_PTRACE, "lacks CAP_SYS_PTRACE (containers drop "
                                                     "them): it could not see in which system "
                                                     "call they wait"),
                     0);
}
END_TEST

Suite *preflight_suite(void)
{
    return SUITE_OF(
        "preflight", 0, docker_default_shm_is_room_enough_and_less_is_refused_with_the_remedy,
        a_missing_or_closed_shm_folder_is_refused_naming_it, a_real_tmpfs_is_measured_as_mounted,
        without_the_capabilities_another_users_programs_are_refused_naming_them);
}
