/*
 * state.h - what the parts of the sandbox share (not for use outside
 * grader/sandbox/).
 */
#ifndef SHMGRADE_SANDBOX_STATE_H
#define SHMGRADE_SANDBOX_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/ipc.h"
#include "sandbox/sandbox.h"

/* Sandbox users are SANDBOX_UID_BASE plus a random number below
 * SANDBOX_UID_RANGE: far above any real account, below the 2^31 some
 * tools take uids to end at. */
#define SANDBOX_UID_BASE  1600000000u
#define SANDBOX_UID_RANGE (1u << 28)

/* Size caps of the private file systems a test gets. */
#define SHM_TMPFS_OPTIONS   "size=64m,nr_inodes=8192,mode=1777"
#define TMP_TMPFS_OPTIONS   "size=16m,nr_inodes=1024,mode=1777"
#define HIDE_TMPFS_OPTIONS  "size=1m,nr_inodes=256,mode=0755"
#define BUILD_TMPFS_OPTIONS "size=64m,nr_inodes=1024,mode=0755"

struct sandbox_state {
    enum sandbox_level level; /* resolved: NONE or NAMESPACES */
    bool own_user;
    /* Not root: the namespaces are owned by a user namespace of their own,
     * in which the grader's uid and gid are root (unshare_namespaces()). */
    bool rootless;
    uid_t outer_uid;
    gid_t outer_gid;
    uid_t uid;
    int landlock_abi;
    bool inside; /* this process is a test's pid 1 */
    char root[PATH_MAX], work[PATH_MAX];
    char root_real[PATH_MAX]; /* ROOT with no link in it (realpath), or "" */
    char shared[PATH_MAX];    /* sandbox_share_read_only(), or "" */
    char description[1536];
    struct ipc_snapshot mark;
    /* Without namespaces: the build folder and its entries (name, inode)
     * before the test (sandbox_mark_build_folder). */
    char build_dir[PATH_MAX];
    struct build_entry {
        char *name;
        ino_t ino;
    } * build_entries;
    size_t n_build_entries;
};

extern struct sandbox_state sb;

/* Become the sandbox user (groups, gid, uid), when there is one. */
int become_sandbox_user(void);

/* Run FN(ARG) in a child that has become UID ((uid_t)-1: stays who it
 * is), or the sandbox user; its status. */
int as_user(uid_t uid, int (*fn)(const void *), const void *arg);
int as_sandbox_user(int (*fn)(const void *), const void *arg);

/* Is /dev/mqueue mounted (the POSIX message queues listed as files)? */
bool sandbox_queues_listed(void);

/* Landlock: the system read-only, WRITABLE and /dev/shm fully, READABLE
 * (or NULL) read-only; nothing else. 0, or -1 with errno. */
int restrict_files(const char *writable, const char *readable);

/* seccomp: no keyring call, no terminal input (syscalls.c); checked in
 * force. 0, or -1 with the reason in WHY. Needs no_new_privs first. */
int refuse_system_calls(char *why, size_t size);

/* Mounts for a private view of the system (namespaces.c). */
bool private_read_only_system(char *why, size_t size);
bool hide_private_folders(char *why, size_t size);
int make_folders(const char *path);

/* Can this process make the namespaces a test needs? Tried in a child:
 * false, with the step that failed and why in WHY. */
bool namespaces_work(char *why, size_t size);

/* Add to WHY (a refused call) the facts that explain it: root without
 * CAP_SYS_ADMIN, a chroot, user namespaces turned off, a seccomp filter
 * (diagnose.c). */
void explain_namespaces_failure(char *why, size_t size);

/* Unshare FLAGS, in a user namespace of their own when the grader is not
 * root (its uid and gid root inside). -1 with errno. */
int unshare_namespaces(int flags);

/* In a child of the test's outer process, in its namespaces beside pid
 * 1: check what the test holds as it runs, into FINDING (holdings.c). */
_Noreturn void watch_holdings(const char *build_dir, const char *crash_dir,
                              struct holdings_finding *finding);

/* Fill WHY with "WHAT PATH: strerror(errno)"; returns false. */
bool sandbox_fail(char *why, size_t size, const char *what, const char *path);

#endif
