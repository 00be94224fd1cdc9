/*
 * diagnose.c - why this machine cannot give a test its namespaces: the
 * facts about the grader's situation that explain a refused call, so that
 * every message about isolation says the real reason (not "it needs
 * root" to a grader that is root in a chroot).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/state.h"

int sandbox_has_capability(unsigned capability)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    if (syscall(SYS_capget, &header, data) < 0)
        return -1;
    return (data[capability / 32].effective & (UINT32_C(1) << (capability % 32))) != 0;
}

/* The number in the file PATH (a sysctl), or -1 if there is none. */
static long read_number(const char *path)
{
    FILE *f = fopen(path, "re");
    long value = -1;

    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld", &value) != 1)
        value = -1;
    fclose(f);
    return value;
}

/* Is this process's / a mount point? A chroot into a plain folder's is
 * not, and cannot be made private. */
static bool root_is_a_mount_point(void)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    bool found = false;

    if (f == NULL)
        return true; /* cannot tell: say nothing */
    /* "36 35 98:0 /mnt1 /mnt2 rw,...": the fifth field is the mount point. */
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        char point[sizeof(line)];
        found = sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 && strcmp(point, "/") == 0;
    }
    fclose(f);
    return found;
}

/* Is this process's root another than the system's (a chroot)? Where
 * /proc/1/root can be looked at (root, outside a chroot that hides it);
 * else only a / that is no mount point tells. */
static bool in_a_chroot(void)
{
    struct stat mine, systems;

    if (!root_is_a_mount_point())
        return true;
    return stat("/", &mine) == 0 && stat("/proc/1/root", &systems) == 0 &&
           (mine.st_dev != systems.st_dev || mine.st_ino != systems.st_ino);
}

/* Does a seccomp filter (a container's) watch this process? */
static bool under_a_seccomp_filter(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    bool filtered = false;

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "Seccomp:", 8) == 0)
            filtered = atoi(line + 8) == 2;
    if (f != NULL)
        fclose(f);
    return filtered;
}

/* Add "; FACT" to WHY; true. */
static bool add_fact(char *why, size_t size, const char *fact)
{
    size_t len = strlen(why);
    snprintf(why + len, size - len, "; %s", fact);
    return true;
}

void explain_namespaces_failure(char *why, size_t size)
{
    bool root = geteuid() == 0, unshare_failed = strncmp(why, "unshare", 7) == 0;
    bool told = false;

    if (root && sandbox_has_capability(CAP_SYS_ADMIN) == 0)
        told = add_fact(why, size,
                        "the grader is root without CAP_SYS_ADMIN (a container drops it: docker "
                        "run --cap-add SYS_ADMIN gives it back)");
    if (!unshare_failed && !root_is_a_mount_point())
        told = add_fact(why, size,
                        "the grader runs in a chroot whose / is no mount point, which cannot be "
                        "made private (bind-mount the chroot's folder onto itself first)");
    if (unshare_failed && !root && in_a_chroot())
        told = add_fact(why, size,
                        "the grader runs in a chroot, where the kernel makes no user namespace");
    if (unshare_failed && !root && read_number("/proc/sys/user/max_user_namespaces") == 0)
        told = add_fact(why, size, "user namespaces are off (user.max_user_namespaces is 0)");
    if (unshare_failed && !root && read_number("/proc/sys/kernel/unprivileged_userns_clone") == 0)
        told = add_fact(why, size,
                        "user namespaces are for root only (kernel.unprivileged_userns_clone is "
                        "0)");
    if (unshare_failed && !root &&
        read_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
        told = add_fact(why, size,
                        "AppArmor restricts user namespaces "
                        "(kernel.apparmor_restrict_unprivileged_userns is 1)");
    if (under_a_seccomp_filter())
        told = add_fact(why, size,
                        "a seccomp filter watches the grader (a container's profile may refuse "
                        "unshare and mount: docker run --security-opt seccomp=unconfined)");
    if (!told && unshare_failed && !root)
        add_fact(why, size,
                 "the kernel refuses an ordinary user's user namespaces in a chroot, in some "
                 "containers, or where a sysctl or security module turns them off");
}
