/*
 * holdings.c - what one test's programs hold, against caps that are the
 * same in every level.
 *
 * In a test's namespaces the kernel stops a test at the sizes of its
 * private file systems and at its IPC namespace's limits (namespaces.c).
 * Without namespaces nothing does: RLIMIT_FSIZE binds one file at a time,
 * not a folder of many, and the System V tables and /dev/shm are the
 * machine's. So in every level the grader measures what a test holds, as
 * it runs (a watcher) and when it ends, against caps at half the
 * namespaces' limits: a test over one is killed and fails with the same
 * message in every level, before the namespaces' own limits or anyone
 * else's room come into it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/state.h"

#define MIB (1024ULL * 1024ULL)

/* What one test's programs may hold at once. The namespaces' limits
 * (state.h, namespaces.c) are twice these, so that a test reaches a cap
 * here before it reaches one of theirs. */
static const struct caps {
    unsigned long long file_bytes;    /* in the build folder (and /tmp without Landlock) */
    unsigned long long files;         /* files and folders there */
    unsigned long long segments;      /* System V shared memory segments */
    unsigned long long segment_bytes; /* their sizes together */
    unsigned long long semaphore_sets;
    unsigned long long message_queues; /* System V */
    unsigned long long shm_bytes;      /* POSIX shared memory: room taken in /dev/shm */
    unsigned long long shm_files;
} CAPS = {
    .file_bytes = 32 * MIB,    /* BUILD_TMPFS_OPTIONS: 64m; RLIMIT_FSIZE (one file) is 16 MiB */
    .files = 512,              /* BUILD_TMPFS_OPTIONS: 1024 inodes */
    .segments = 64,            /* kernel.shmmni: 128 */
    .segment_bytes = 64 * MIB, /* kernel.shmall: 128 MiB */
    .semaphore_sets = 64,      /* kernel.sem: 128 sets */
    .message_queues = 64,      /* kernel.msgmni: 128 */
    .shm_bytes = 32 * MIB,     /* SHM_TMPFS_OPTIONS: 64m */
    .shm_files = 4096,         /* SHM_TMPFS_OPTIONS: 8192 inodes */
};

/* How often the watcher measures: often enough that a program writing as
 * fast as a disk takes gets a few dozen MiB past a cap at most. */
#define WATCH_INTERVAL_MS 50

struct holdings {
    unsigned long long file_bytes, files, segments, segment_bytes, semaphore_sets, message_queues,
        shm_bytes, shm_files;
    char unreadable[256]; /* a folder there the grader cannot read, or "" */
};

/* --- files ----------------------------------------------------------------------- */

/* nftw() passes no argument: the walk in progress (one per process). */
static struct holdings *walking;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (ftw->level == 0 || flag == FTW_NS)
        return 0; /* the folder itself, or an entry gone since it was listed */
    if (flag == FTW_DNR) {
        /* Only the programs' own user can have made it so (the grader's,
         * without root): what it holds cannot be measured. */
        snprintf(walking->unreadable, sizeof(walking->unreadable), "%s", path);
        return 1;
    }
    walking->files++;
    walking->file_bytes += (unsigned long long)st->st_blocks * 512;
    /* Past the cap the rest need not be counted: it is over already. */
    return walking->files > CAPS.files || walking->file_bytes > CAPS.file_bytes;
}

/* Add what the tree at PATH takes to H (stopping once over a cap); -1,
 * with errno, if it cannot be walked. A PATH that is gone counts nothing. */
static int count_tree(const char *path, struct holdings *h)
{
    int rc;

    walking = h;
    rc = nftw(path, count_entry, 16, FTW_PHYS | FTW_MOUNT);
    walking = NULL;
    if (rc < 0 && errno == ENOENT)
        return 0;
    return rc < 0 ? -1 : 0;
}

/* Where the test's programs may write files (besides /dev/shm, counted as
 * shared memory): the build folder, and the one a crash is run again in
 * (CRASH_DIR, or NULL); and without Landlock, what they have in /tmp and
 * /var/tmp (where that can be told). */
static int count_files(const char *build_dir, const char *crash_dir, struct holdings *h, char *why,
                       size_t size)
{
    const char *folders[] = {build_dir, crash_dir};
    char **paths = NULL;
    int n, rc = 0;

    for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++)
        if (folders[i] != NULL && count_tree(folders[i], h) < 0) {
            sandbox_fail(why, size, "cannot measure the build folder", folders[i]);
            return -1;
        }
    if (sb.landlock_abi > 0 || (n = sandbox_user_files(&paths)) < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && strncmp(paths[i], "/dev/", 5) != 0 && count_tree(paths[i], h) < 0) {
            sandbox_fail(why, size, "cannot measure", paths[i]);
            rc = -1;
        }
        free(paths[i]);
    }
    free(paths);
    return rc;
}

/* --- IPC objects ---------------------------------------------------------------- */

/* Room the POSIX object NAME ("/x") takes in /dev/shm; 0 if it is gone. */
static unsigned long long shm_room(const char *name)
{
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "/dev/shm%s", name);
    return lstat(path, &st) == 0 ? (unsigned long long)st.st_blocks * 512 : 0;
}

static int count_ipc(struct holdings *h, char *why, size_t size)
{
    struct ipc_snapshot objects;

    if (sandbox_ipc_objects(&objects) < 0) {
        sandbox_fail(why, size, "cannot list the IPC objects", NULL);
        return -1;
    }
    for (size_t i = 0; i < objects.n; i++) {
        const struct ipc_object *obj = &objects.objects[i];
        switch (obj->kind) {
        case IPC_KIND_SYSV_SHM:
            h->segments++;
            h->segment_bytes += obj->size;
            break;
        case IPC_KIND_SYSV_SEM:
            h->semaphore_sets++;
            break;
        case IPC_KIND_SYSV_MSG:
            h->message_queues++;
            break;
        case IPC_KIND_POSIX_SHM:
            h->shm_files++;
            h->shm_bytes += shm_room(obj->name);
            break;
        }
    }
    ipc_snapshot_free(&objects);
    return 0;
}

/* --- against the caps ------------------------------------------------------------ */

/* The first cap H is over, said in WHY; false if none. */
static bool describe_excess(const struct holdings *h, char *why, size_t size)
{
    const struct {
        unsigned long long held, cap;
        const char *what;
        bool bytes;
    } rows[] = {
        {h->file_bytes, CAPS.file_bytes, "of files in the build folder", true},
        {h->files, CAPS.files, "files and folders in the build folder", false},
        {h->segments, CAPS.segments, "System V shared memory segments", false},
        {h->segment_bytes, CAPS.segment_bytes, "of System V shared memory", true},
        {h->semaphore_sets, CAPS.semaphore_sets, "System V semaphore sets", false},
        {h->message_queues, CAPS.message_queues, "System V message queues", false},
        {h->shm_bytes, CAPS.shm_bytes, "of POSIX shared memory (/dev/shm)", true},
        {h->shm_files, CAPS.shm_files, "POSIX shared memory objects (/dev/shm)", false},
    };

    if (h->unreadable[0] != '\0') {
        snprintf(why, size,
                 "the test's programs made a folder the grader cannot read (%s), so what they "
                 "hold cannot be measured; everything they started was killed",
                 h->unreadable);
        return true;
    }
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].held <= rows[i].cap)
            continue;
        if (rows[i].bytes)
            snprintf(why, size,
                     "the test's programs held more than %llu MiB %s (%llu MiB seen), the most "
                     "one test may hold; everything it started was killed",
                     rows[i].cap / MIB, rows[i].what, rows[i].held / MIB);
        else
            snprintf(why, size,
                     "the test's programs held more than %llu %s (%llu seen), the most one test "
                     "may hold; everything it started was killed",
                     rows[i].cap, rows[i].what, rows[i].held);
        return true;
    }
    return false;
}

/* Publish F: OVER and MESSAGE first, FOUND last (a finder may be killed
 * at any point: the namespace's end kills the watcher). */
static void publish(struct holdings_finding *f, bool over, const char *message)
{
    f->over = over;
    snprintf(f->message, sizeof(f->message), "%s%s",
             over ? "" : "internal: cannot measure what the test holds: ", message);
    __atomic_store_n(&f->found, true, __ATOMIC_RELEASE);
}

bool sandbox_check_holdings(const char *build_dir, const char *crash_dir,
                            struct holdings_finding *f)
{
    struct holdings h = {0};
    char why[sizeof(f->message) - 64]; /* room for what goes before it */

    if (__atomic_load_n(&f->found, __ATOMIC_ACQUIRE))
        return true;
    if (count_files(build_dir, crash_dir, &h, why, sizeof(why)) < 0 ||
        count_ipc(&h, why, sizeof(why)) < 0) {
        publish(f, false, why);
        return true;
    }
    if (!describe_excess(&h, why, sizeof(why)))
        return false;
    publish(f, true, why);
    return true;
}

const struct holdings_finding *holdings_found(const struct holdings_verdict *v)
{
    if (__atomic_load_n(&v->watched.found, __ATOMIC_ACQUIRE))
        return &v->watched;
    if (__atomic_load_n(&v->at_end.found, __ATOMIC_ACQUIRE))
        return &v->at_end;
    return NULL;
}

/* --- the watcher in a test's namespaces -------------------------------------------- */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
}

/*
 * In the test's namespaces, beside its pid 1 (not under it, so that the
 * test sees no process of the grader's among the programs'): measure every
 * WATCH_INTERVAL_MS; over a cap, FINDING says so and every process of the
 * namespace but pid 1 is killed, again while the excess lasts, so the test
 * comes to its end. Ends with the namespace.
 */
_Noreturn void watch_holdings(const char *build_dir, const char *crash_dir,
                              struct holdings_finding *finding)
{
    sb.inside = true; /* everything in the namespace is the test's */
    for (;;) {
        sleep_ms(WATCH_INTERVAL_MS);
        if (sandbox_check_holdings(build_dir, crash_dir, finding))
            kill(-1, SIGKILL);
    }
}

int sandbox_watch_interval_ms(void)
{
    return WATCH_INTERVAL_MS;
}
