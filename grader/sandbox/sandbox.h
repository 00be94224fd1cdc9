/*
 * sandbox.h - keep untrusted student code in, and clean up after it.
 *
 * Two levels, chosen once per grading run:
 *
 *   namespaces  each test runs as pid 1 of fresh PID, IPC, mount and
 *               network namespaces; the system is read-only, /dev/shm and
 *               /tmp are private size-capped tmpfs, the build folder is a
 *               throwaway tmpfs copy, and the checkout (solutions, tests,
 *               other labs) and every other grading's work are hidden.
 *               When the test's pid 1 ends, the kernel kills whatever is
 *               left in its PID namespace.
 *   none        the fallback where namespaces cannot be made (unprivileged
 *               containers, some CI services): the harness's unique names
 *               and keys, and a cleanup after every test of whatever the
 *               sandbox user left (processes, IPC objects, files).
 *
 * In both, when the grader runs as root, student programs (and the build)
 * run as a user of their own, unique to the grading run, so RLIMIT_NPROC
 * binds, they cannot signal or read the grader, and everything they leave
 * is theirs by owner (what the grader makes for them too: it makes it as
 * that user). Without namespaces, a test removes nothing else: not root's
 * objects, not another grading's. Landlock, where the kernel has it, confines file
 * access to the system folders and the build folder in both levels.
 */
#ifndef SHMGRADE_SANDBOX_H
#define SHMGRADE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/ipc.h"

enum sandbox_level { SANDBOX_AUTO, SANDBOX_NONE, SANDBOX_NAMESPACES };

/* "auto", "none", "namespaces" -> level; false if unknown. */
bool sandbox_parse_level(const char *text, enum sandbox_level *level);

/*
 * Choose the level once, before any grading: AUTO takes namespaces if
 * they can be made. ROOT is the checkout, WORK the grader's work folder
 * (both hidden from tests). Returns false, with the reason in WHY, if
 * NAMESPACES was asked for and cannot be had, or the sandbox user cannot
 * reach WORK.
 */
bool sandbox_setup(enum sandbox_level level, const char *root, const char *work, char *why,
                   size_t size);

/*
 * DIR, inside the grader's work folder, holds what the grader puts into
 * student programs (the preload library of race-prone tests): student
 * programs may read it, in every level, and no one but the grader may
 * change it. Call after sandbox_setup(). False, with errno, if DIR is
 * not a folder.
 */
bool sandbox_share_read_only(const char *dir);

/* One line for reports: which isolation is in force. */
const char *sandbox_description(void);

bool sandbox_uses_namespaces(void);

/*
 * Would gradings started now with LEVEL run student programs as the
 * grader's own user, outside namespaces (none, without root)? Then their
 * leftovers are told apart only by a snapshot taken before each test, and
 * two such gradings at once remove each other's IPC objects: they must run
 * one at a time. Probes the namespaces when LEVEL is AUTO.
 */
bool sandbox_gradings_share_user(enum sandbox_level level);

/* Is CAPABILITY in this process's effective set? -1, with errno, if the
 * kernel cannot say. (glibc has no capget(); libcap is not needed for one
 * bit.) */
int sandbox_has_capability(unsigned capability);

/* The user student programs run as; the grader's own if it is not root. */
uid_t sandbox_uid(void);

/*
 * A class grader (shmclass, as root) gives each grading its sandbox user
 * through this variable, so that when it must kill a grading it can find
 * and remove what that grading's programs left (sandbox_remove_user).
 * shmgrade refuses a value that is not a sandbox user, or one in use.
 */
#define SANDBOX_UID_ENV "SHMGRADE_SANDBOX_UID"

/* A sandbox user no process runs as, at random in the sandbox users'
 * range; false with the reason in WHY. */
bool sandbox_pick_uid(uid_t *uid, char *why, size_t size);

/* Is UID in the sandbox users' range? */
bool sandbox_is_sandbox_uid(uid_t uid);

/*
 * Remove everything of the sandbox user UID (root only): kill its
 * processes, remove the System V objects and POSIX shared memory it owns
 * or created, and its files in /tmp, /var/tmp, /dev/shm and /dev/mqueue.
 * How many objects and files went, or -1 (errno EINVAL) if UID is no
 * sandbox user.
 */
int sandbox_remove_user(uid_t uid);

/*
 * Make a System V object of KIND at KEY (IPC_PRIVATE for a new one) with
 * IPC_CREAT | IPC_EXCL and MODE: a segment of SIZE bytes, a set of SIZE
 * semaphores, or a message queue. Made by a child that is the sandbox
 * user (the grader's own user when it has none), so that the object is
 * the programs' by creator as well as owner, as if one of them had made it:
 * no cleanup by creator (root's, another grading's) takes it for root's,
 * and the programs may use and remove it. Its id, or -1 with errno.
 */
int sandbox_make_sysv_object(enum ipc_kind kind, key_t key, size_t size, unsigned mode);

/* Hand DIR (and what is in it) to the sandbox user, so the build can
 * write there. */
void sandbox_give_folder(const char *dir);

/*
 * What one test's programs may hold at once is capped, the same in every
 * level (holdings.c): files in the build folder (RLIMIT_FSIZE binds one
 * file, not many), System V segments, semaphore sets and message queues,
 * and room in /dev/shm. A test over a cap fails with MESSAGE; one whose
 * holdings cannot be measured is the grader's error.
 */
struct holdings_finding {
    bool found; /* stored last: OVER and MESSAGE are complete */
    bool over;  /* over a cap; else what it holds could not be measured */
    char message[512];
};

/* In memory the grader, the test and the watcher share: each finder has
 * its own finding, so that one killed halfway leaves no half of one. */
struct holdings_verdict {
    struct holdings_finding watched; /* as the test ran (the watcher, or the grader) */
    struct holdings_finding at_end;  /* as it ended (the test) */
};

/* The finding of V, the watcher's first; NULL if there is none. */
const struct holdings_finding *holdings_found(const struct holdings_verdict *v);

/*
 * In a freshly forked test process: with namespaces, enter new ones and
 * return as their pid 1 (this process stays outside, waits for it and
 * exits with its status; it never returns). BUILD_DIR becomes a private
 * writable copy, and so does CRASH_DIR (another build of the lab, or
 * NULL); a watcher beside pid 1 fills HOLDINGS when the test holds more
 * than it may. Without namespaces, returns at once. False, with the
 * reason in WHY, if the namespaces cannot be set up.
 */
bool sandbox_enter_test(const char *build_dir, const char *crash_dir,
                        struct holdings_verdict *holdings, char *why, size_t size);

/* Limits every student process runs under. */
struct student_limits {
    long cpu_seconds;
    long address_space_mb; /* 0: no limit (sanitized programs) */
    long file_size_mb;
    long open_files;
    long processes;
    long message_queue_kb; /* POSIX message queues' bytes (RLIMIT_MSGQUEUE) */
};

extern const struct student_limits RUN_LIMITS;   /* a test's programs */
extern const struct student_limits BUILD_LIMITS; /* the compiler */
/* Sanitized programs: as RUN_LIMITS, without RLIMIT_AS. */
extern const struct student_limits SANITIZED_RUN_LIMITS;

/* What a student process runs under (proc_opts.before_exec argument). */
struct sandbox_exec {
    const struct student_limits *limits;
    const char *dir;   /* the folder it may write: the build folder */
    const char *stage; /* for the build: the staged labs/ folder, else NULL */
};

/*
 * proc_opts.before_exec for a student program (in a test process): the
 * limits, a fresh keyring, no new privileges, a seccomp filter (no keyring
 * call, no terminal input), Landlock, the sandbox user;
 * each step checked. Returns 0, or -1 with the reason in WHY: then the
 * program must not run (the grader fails closed).
 */
int sandbox_student_exec(void *sandbox_exec, char *why, size_t size);

/* proc_opts.before_exec for the build (from the grader itself): new
 * mount, IPC and network namespaces with the staged folder, then the
 * same confinement as a student program. */
int sandbox_build_exec(void *sandbox_exec, char *why, size_t size);

/* Kill every process of the sandbox user (one atomic kill(-1) as that
 * user); nothing when the grader is not root. */
void sandbox_kill_all(void);

/*
 * IPC objects the sandbox holds now: in a namespace every object of it;
 * otherwise those the sandbox user owns or created (or, when the grader
 * is not root, those created since sandbox_ipc_mark() by this user). Never
 * root's when the grader is root without a sandbox user (sandbox_setup()
 * not called): root's objects are every administrator's and grading's.
 */
void sandbox_ipc_mark(void);
int sandbox_ipc_objects(struct ipc_snapshot *objects);

/*
 * May the test remove OBJ, found at a name or key it handed out? Without
 * namespaces another user may have taken the name or key since (the test
 * checked it was free when it picked it): only if the sandbox user owns
 * or created OBJ (the grader gives what it makes for the programs to that
 * user). Always in a test's namespaces.
 */
bool sandbox_owns(const struct ipc_object *obj);

/*
 * What the student's programs have in the folders anyone may write (/tmp,
 * /var/tmp, /dev/shm, /dev/mqueue): in a test's namespaces everything in
 * them, else the sandbox user's. A NULL-terminated array of paths in
 * *PATHS (the caller frees each and the array) and their count, or -1
 * without namespaces when the sandbox user is the grader's own (the
 * grader is not root), so their files cannot be told from others'.
 */
int sandbox_user_files(char ***paths);

/*
 * Without namespaces, is the machine out of /dev/shm or of some kind of
 * System V id, and not by the student programs' doing? WHY says what. A
 * test that failed then is the grader's error (a regrade), never a score.
 * Always false with namespaces: each test has its own.
 */
bool sandbox_exhausted_by_others(char *why, size_t size);

/*
 * Measure what the test holds in BUILD_DIR (the folder its programs
 * write), in CRASH_DIR (where a crash is run again; or NULL) and in IPC
 * objects now; if it is over a cap or cannot be
 * measured, fill F (unless found already) and return true. With
 * namespaces a watcher does this in the test's namespaces as it runs
 * (sandbox_enter_test); without them the grader must, every
 * sandbox_watch_interval_ms() (one test runs at a time).
 */
bool sandbox_check_holdings(const char *build_dir, const char *crash_dir,
                            struct holdings_finding *f);
int sandbox_watch_interval_ms(void);

/*
 * Without namespaces every test of a lab runs in the same build folder:
 * before a test, note what it holds, so that the cleanup after it removes
 * whatever the test's programs added there (as each test's private copy
 * goes with its namespaces). Nothing with namespaces.
 */
void sandbox_mark_build_folder(const char *build_dir);

/*
 * After a test without namespaces: kill the sandbox user's processes,
 * remove its IPC objects and its files in /tmp, /var/tmp, /dev/shm.
 * Returns how many objects and files it removed.
 */
int sandbox_clean_up(void);

#endif
