/*
 * leftovers.c - what student programs leave behind: their processes, IPC
 * objects and files, found and removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fs.h"
#include "sandbox/state.h"

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

/* --- what is left behind ---------------------------------------------------------- */

void sandbox_ipc_mark(void)
{
    ipc_snapshot_free(&sb.mark);
    if (!sb.inside && !sb.own_user)
        ipc_snapshot_take(&sb.mark);
}

/* Was OBJ in SNAP: the same name or id, and the same creator? Another
 * user's object in the snapshot, removed since and made again at its name
 * by the test's programs (another grading's, at a name anyone may pick), is
 * not the same object. */
static bool is_in(const struct ipc_snapshot *snap, const struct ipc_object *obj)
{
    for (size_t i = 0; i < snap->n; i++) {
        const struct ipc_object *o = &snap->objects[i];
        if (o->kind == obj->kind && o->creator_uid == obj->creator_uid &&
            (o->kind == IPC_KIND_POSIX_SHM ? strcmp(o->name, obj->name) == 0 : o->id == obj->id))
            return true;
    }
    return false;
}

bool sandbox_owns(const struct ipc_object *obj)
{
    uid_t user = sandbox_uid();

    /* By creator as well as owner: a program may give what it made to
     * anyone (IPC_SET), root included, to keep it past a cleanup by
     * owner. */
    return sb.inside || obj->uid == user || obj->creator_uid == user;
}

/* Is OBJ, one of the objects anyone can see now, the test's? */
static bool made_by_the_test(const struct ipc_object *obj)
{
    if (sb.inside || sb.own_user)
        return sandbox_owns(obj); /* no one else runs as the sandbox user */
    /* Root with no user of its own for the programs (sandbox_setup() not
     * called): root also owns or created what the administrators, every
     * daemon and every other grading's grader made (the segments and sets
     * it gives to its programs keep root as creator), so being root's says
     * nothing. Only the names and keys handed out are the test's. */
    if (getuid() == 0)
        return false;
    return sandbox_owns(obj) && !is_in(&sb.mark, obj);
}

int sandbox_ipc_objects(struct ipc_snapshot *objects)
{
    struct ipc_snapshot all;
    size_t kept = 0;

    objects->objects = NULL;
    objects->n = 0;
    if (ipc_snapshot_take(&all) < 0)
        return -1;
    for (size_t i = 0; i < all.n; i++)
        if (made_by_the_test(&all.objects[i]))
            all.objects[kept++] = all.objects[i];
    all.n = kept;
    *objects = all;
    return 0;
}

/* What sandbox_make_sysv_object() asks its child for, and its answer,
 * in a shared mapping. */
struct sysv_request {
    enum ipc_kind kind;
    key_t key;
    size_t size;
    unsigned mode;
    int id, error;
};

static int make_sysv_object(const void *arg)
{
    struct sysv_request *r = (struct sysv_request *)arg;
    int flags = IPC_CREAT | IPC_EXCL | (int)(r->mode & 0777);

    r->id = r->kind == IPC_KIND_SYSV_SHM   ? shmget(r->key, r->size, flags)
            : r->kind == IPC_KIND_SYSV_SEM ? semget(r->key, (int)r->size, flags)
                                           : msgget(r->key, flags);
    r->error = errno;
    return 0;
}

int sandbox_make_sysv_object(enum ipc_kind kind, key_t key, size_t size, unsigned mode)
{
    struct sysv_request *r =
        mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int id, error;

    if (r == MAP_FAILED)
        return -1;
    *r = (struct sysv_request){
        .kind = kind, .key = key, .size = size, .mode = mode, .id = -1, .error = ECHILD};
    if (kind == IPC_KIND_POSIX_SHM)
        r->error = EINVAL;
    else if (as_sandbox_user(make_sysv_object, r) != 0)
        r->error = EPERM; /* the child could not become the sandbox user */
    id = r->id;
    error = r->error;
    munmap(r, sizeof(*r));
    errno = error;
    return id;
}

/* The shared temporary folders: anyone may write there. */
static const char *const SHARED_FOLDERS[] = {"/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue"};

/* What the shared temporary folders hold: everything (EVERYTHING), or
 * UID's; as sandbox_user_files(). */
static int shared_files(bool everything, uid_t uid, char ***paths)
{
    size_t n = 0, room = 16;
    char **found;

    *paths = NULL;
    found = malloc(room * sizeof(*found));
    if (found == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(SHARED_FOLDERS) / sizeof(SHARED_FOLDERS[0]); i++) {
        DIR *dir = opendir(SHARED_FOLDERS[i]);
        struct dirent *entry;
        if (dir == NULL)
            continue;
        while ((entry = readdir(dir)) != NULL) {
            char path[PATH_MAX];
            struct stat st;
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", SHARED_FOLDERS[i], entry->d_name);
            if (lstat(path, &st) < 0 || (!everything && st.st_uid != uid))
                continue;
            if (n + 1 == room) {
                char **more = realloc(found, (room *= 2) * sizeof(*found));
                if (more == NULL)
                    break;
                found = more;
            }
            if ((found[n] = strdup(path)) != NULL)
                n++;
        }
        closedir(dir);
    }
    found[n] = NULL;
    *paths = found;
    return (int)n;
}

int sandbox_user_files(char ***paths)
{
    /* In a test's namespaces the folders are the test's own; outside, only
     * a user of their own tells the programs' files from others'. */
    if (!sb.own_user && !sb.inside) {
        *paths = NULL;
        return -1;
    }
    return shared_files(sb.inside, sb.uid, paths);
}

/* Remove PATHS (from shared_files(), freed here); how many entries went. */
static size_t remove_files(int n, char **paths)
{
    size_t removed = 0;

    if (n < 0)
        return 0;
    for (char **path = paths; *path != NULL; path++) {
        remove_tree(*path, &removed);
        free(*path);
    }
    free(paths);
    return removed;
}

/* The message queues' file system: /dev/mqueue when it is mounted. */
#define MQUEUE_MAGIC 0x19800202

bool sandbox_queues_listed(void)
{
    struct statfs fs;

    return statfs("/dev/mqueue", &fs) == 0 && fs.f_type == MQUEUE_MAGIC;
}

/* In a child of a mount namespace of its own: the queues' file system of
 * this IPC namespace mounted over /tmp (there alone), and the queues of
 * the user *ARG removed; how many, as its exit status (255: could not). */
static int remove_queues_privately(const void *arg)
{
    uid_t uid = *(const uid_t *)arg;
    int removed = 0;
    struct dirent *entry;
    DIR *dir;

    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("mqueue", "/tmp", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return 255;
    dir = opendir("/tmp");
    while (dir != NULL && (entry = readdir(dir)) != NULL) {
        struct stat st;
        if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && st.st_uid == uid &&
            unlinkat(dirfd(dir), entry->d_name, 0) == 0 && removed < 254)
            removed++;
    }
    if (dir != NULL)
        closedir(dir);
    return removed;
}

/*
 * POSIX message queues of UID where nothing lists them (/dev/mqueue is not
 * mounted, so shared_files() cannot see them): removed through a private
 * mount of their file system. Root only; how many went.
 */
static size_t remove_unlisted_queues(uid_t uid)
{
    int status;

    if (sandbox_queues_listed() || geteuid() != 0)
        return 0;
    status = as_user((uid_t)-1, remove_queues_privately, &uid);
    return status > 0 && status < 255 ? (size_t)status : 0;
}

/* --- the build folder ------------------------------------------------------------ */

static void forget_build_entries(void)
{
    for (size_t i = 0; i < sb.n_build_entries; i++)
        free(sb.build_entries[i].name);
    free(sb.build_entries);
    sb.build_entries = NULL;
    sb.n_build_entries = 0;
    sb.build_dir[0] = '\0';
}

void sandbox_mark_build_folder(const char *build_dir)
{
    DIR *dir;
    struct dirent *entry;
    size_t room = 0;

    forget_build_entries();
    if (sb.level == SANDBOX_NAMESPACES || (dir = opendir(build_dir)) == NULL)
        return;
    snprintf(sb.build_dir, sizeof(sb.build_dir), "%s", build_dir);
    while ((entry = readdir(dir)) != NULL) {
        if (sb.n_build_entries == room) {
            struct build_entry *more =
                realloc(sb.build_entries, (room = room ? 2 * room : 32) * sizeof(*more));
            if (more == NULL)
                break;
            sb.build_entries = more;
        }
        sb.build_entries[sb.n_build_entries].ino = entry->d_ino;
        if ((sb.build_entries[sb.n_build_entries].name = strdup(entry->d_name)) != NULL)
            sb.n_build_entries++;
    }
    closedir(dir);
}

static bool was_in_build_folder(const struct dirent *entry)
{
    for (size_t i = 0; i < sb.n_build_entries; i++)
        if (sb.build_entries[i].ino == entry->d_ino &&
            strcmp(sb.build_entries[i].name, entry->d_name) == 0)
            return true;
    return false;
}

/* Remove what is in the marked build folder and was not when it was
 * marked (a file replaced under an old name included); how many went. */
static size_t restore_build_folder(void)
{
    size_t removed = 0;
    struct dirent *entry;
    DIR *dir;

    if (sb.build_dir[0] == '\0' || (dir = opendir(sb.build_dir)) == NULL)
        return 0;
    while ((entry = readdir(dir)) != NULL) {
        char path[PATH_MAX];
        if (was_in_build_folder(entry) ||
            snprintf(path, sizeof(path), "%s/%s", sb.build_dir, entry->d_name) >= (int)sizeof(path))
            continue;
        remove_tree(path, &removed);
    }
    closedir(dir);
    forget_build_entries();
    return removed;
}

int sandbox_clean_up(void)
{
    struct ipc_snapshot left;
    int removed = 0;

    if (sb.level == SANDBOX_NAMESPACES)
        return 0; /* the namespaces took everything with them */
    sandbox_kill_all();
    removed += (int)restore_build_folder();
    if (sandbox_ipc_objects(&left) == 0) {
        for (size_t i = 0; i < left.n; i++)
            removed += ipc_object_remove(&left.objects[i]);
        ipc_snapshot_free(&left);
    }
    if (sb.own_user) {
        char **paths;
        int n = sandbox_user_files(&paths);
        removed += (int)remove_files(n, paths);
        removed += (int)remove_unlisted_queues(sb.uid);
    }
    return removed;
}

int sandbox_remove_user(uid_t uid)
{
    struct ipc_snapshot all;
    char **paths;
    int removed = 0, n;

    if (!sandbox_is_sandbox_uid(uid)) {
        errno = EINVAL;
        return -1;
    }
    /* Every process first, in one kill(-1) as that user: nothing can make
     * another object while the rest is removed. */
    as_user(uid, kill_everything_of_mine, NULL);
    if (ipc_snapshot_take(&all) == 0) {
        for (size_t i = 0; i < all.n; i++)
            if (all.objects[i].uid == uid || all.objects[i].creator_uid == uid)
                removed += ipc_object_remove(&all.objects[i]);
        ipc_snapshot_free(&all);
    }
    n = shared_files(false, uid, &paths);
    removed += (int)remove_files(n, paths);
    return removed + (int)remove_unlisted_queues(uid);
}
