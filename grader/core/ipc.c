/* ipc.c - see ipc.h. */
#define _GNU_SOURCE
#include "core/ipc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"

static bool shm_path(const char *name, char *path, size_t size)
{
    /* Only names of the form "/x" map to one file in /dev/shm. */
    if (name == NULL || name[0] != '/' || strchr(name + 1, '/') != NULL || name[1] == '\0') {
        errno = EINVAL;
        return false;
    }
    return (size_t)snprintf(path, size, "%s%s", SHM_FOLDER, name) < size;
}

bool shm_object_stat(const char *name, struct shm_object_info *info)
{
    char path[512];
    struct stat st;

    if (!shm_path(name, path, sizeof(path)) || lstat(path, &st) < 0)
        return false;
    info->size = st.st_size;
    info->mode = st.st_mode & 07777;
    info->uid = st.st_uid;
    return true;
}

bool shm_object_exists(const char *name)
{
    struct shm_object_info info;
    return shm_object_stat(name, &info);
}

bool shm_name_family_free(const char *name)
{
    char path[512];
    size_t len;
    struct dirent *entry;
    DIR *dir;
    bool free_ = true;

    if (!shm_path(name, path, sizeof(path)))
        return false;
    len = strlen(name + 1);
    if ((dir = opendir(SHM_FOLDER)) == NULL)
        return errno == ENOENT;
    while (free_ && (entry = readdir(dir)) != NULL) {
        const char *base = entry->d_name;
        if (strncmp(base, "sem.", 4) == 0)
            base += 4;
        free_ = strncmp(base, name + 1, len) != 0;
    }
    closedir(dir);
    return free_;
}

bool shm_object_remove(const char *name)
{
    char path[512];

    if (!shm_path(name, path, sizeof(path)))
        return false;
    /* A folder where an object could be is a squatter's: it goes too. */
    return unlink(path) == 0 || (errno == EISDIR && remove_tree(path, NULL) == 0);
}

/* --- System V, through /proc/sysvipc ------------------------------------ */

static const char *const sysvipc_file[] = {
    [IPC_KIND_SYSV_SHM] = "/proc/sysvipc/shm",
    [IPC_KIND_SYSV_SEM] = "/proc/sysvipc/sem",
    [IPC_KIND_SYSV_MSG] = "/proc/sysvipc/msg",
};

/* Parse one data line of /proc/sysvipc/KIND. */
static bool parse_sysvipc_line(enum ipc_kind kind, const char *line, struct ipc_object *obj)
{
    long long key;
    unsigned long long size, nattch;
    int id, perms, cpid, lpid, uid, cuid;

    memset(obj, 0, sizeof(*obj));
    obj->kind = kind;
    switch (kind) {
    case IPC_KIND_SYSV_SHM:
        if (sscanf(line, "%lld %d %o %llu %d %d %llu %d %*d %d", &key, &id, &perms, &size, &cpid,
                   &lpid, &nattch, &uid, &cuid) != 9)
            return false;
        obj->creator = cpid;
        obj->attaches = (unsigned long)nattch;
        break;
    case IPC_KIND_SYSV_SEM:
        if (sscanf(line, "%lld %d %o %llu %d %*d %d", &key, &id, &perms, &size, &uid, &cuid) != 6)
            return false;
        break;
    case IPC_KIND_SYSV_MSG:
        if (sscanf(line, "%lld %d %o %llu %*u %*d %*d %d %*d %d", &key, &id, &perms, &size, &uid,
                   &cuid) != 6)
            return false;
        break;
    default:
        return false;
    }
    obj->key = (key_t)key;
    obj->id = id;
    obj->mode = (mode_t)perms & 0777;
    obj->size = (size_t)size;
    obj->uid = (uid_t)uid;
    obj->creator_uid = (uid_t)cuid;
    return true;
}

static int push(struct ipc_snapshot *snap, size_t *cap, const struct ipc_object *obj)
{
    if (snap->n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 32;
        struct ipc_object *grown = realloc(snap->objects, grown_cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        snap->objects = grown;
        *cap = grown_cap;
    }
    snap->objects[snap->n++] = *obj;
    return 0;
}

static int snapshot_sysv(enum ipc_kind kind, struct ipc_snapshot *snap, size_t *cap)
{
    FILE *f = fopen(sysvipc_file[kind], "re");
    char line[1024];
    struct ipc_object obj;

    if (f == NULL)
        return errno == ENOENT ? 0 : -1;
    if (fgets(line, sizeof(line), f) == NULL) { /* the header */
        fclose(f);
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (parse_sysvipc_line(kind, line, &obj) && push(snap, cap, &obj) < 0) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static int snapshot_posix(struct ipc_snapshot *snap, size_t *cap)
{
    DIR *dir = opendir(SHM_FOLDER);
    struct dirent *entry;

    if (dir == NULL)
        return errno == ENOENT ? 0 : -1;
    while ((entry = readdir(dir)) != NULL) {
        struct ipc_object obj = {.kind = IPC_KIND_POSIX_SHM, .id = -1};
        struct shm_object_info info;
        if (entry->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(obj.name, sizeof(obj.name), "/%s", entry->d_name) >=
                sizeof(obj.name) ||
            !shm_object_stat(obj.name, &info))
            continue;
        obj.size = (size_t)info.size;
        obj.mode = info.mode;
        /* A file's owner can give it to no one else (but root can). */
        obj.uid = obj.creator_uid = info.uid;
        if (push(snap, cap, &obj) < 0) {
            closedir(dir);
            return -1;
        }
    }
    closedir(dir);
    return 0;
}

int ipc_snapshot_take(struct ipc_snapshot *snap)
{
    size_t cap = 0;

    snap->objects = NULL;
    snap->n = 0;
    if (snapshot_posix(snap, &cap) < 0 || snapshot_sysv(IPC_KIND_SYSV_SHM, snap, &cap) < 0 ||
        snapshot_sysv(IPC_KIND_SYSV_SEM, snap, &cap) < 0 ||
        snapshot_sysv(IPC_KIND_SYSV_MSG, snap, &cap) < 0) {
        ipc_snapshot_free(snap);
        return -1;
    }
    return 0;
}

void ipc_snapshot_free(struct ipc_snapshot *snap)
{
    free(snap->objects);
    snap->objects = NULL;
    snap->n = 0;
}

static bool same_object(const struct ipc_object *a, const struct ipc_object *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == IPC_KIND_POSIX_SHM)
        return strcmp(a->name, b->name) == 0;
    return a->id == b->id;
}

int ipc_snapshot_diff(const struct ipc_snapshot *before, const struct ipc_snapshot *after,
                      struct ipc_snapshot *created)
{
    size_t cap = 0;

    created->objects = NULL;
    created->n = 0;
    for (size_t i = 0; i < after->n; i++) {
        bool old = false;
        for (size_t j = 0; j < before->n && !old; j++)
            old = same_object(&after->objects[i], &before->objects[j]);
        if (!old && push(created, &cap, &after->objects[i]) < 0) {
            ipc_snapshot_free(created);
            return -1;
        }
    }
    return 0;
}

static const struct {
    const char *word, *title;
} ipc_kinds[] = {
    [IPC_KIND_POSIX_SHM] = {"posix", "POSIX object"},
    [IPC_KIND_SYSV_SHM] = {"segment", "System V segment"},
    [IPC_KIND_SYSV_SEM] = {"semaphores", "System V semaphore set"},
    [IPC_KIND_SYSV_MSG] = {"queue", "System V message queue"},
};

const char *ipc_kind_word(enum ipc_kind kind)
{
    return ipc_kinds[kind].word;
}

const char *ipc_kind_title(enum ipc_kind kind)
{
    return ipc_kinds[kind].title;
}

bool ipc_kind_from_word(const char *word, enum ipc_kind *kind)
{
    for (size_t i = 0; i < sizeof(ipc_kinds) / sizeof(ipc_kinds[0]); i++)
        if (strcmp(ipc_kinds[i].word, word) == 0) {
            *kind = (enum ipc_kind)i;
            return true;
        }
    return false;
}

bool ipc_object_remove(const struct ipc_object *obj)
{
    switch (obj->kind) {
    case IPC_KIND_POSIX_SHM:
        return shm_object_remove(obj->name) || errno == ENOENT;
    case IPC_KIND_SYSV_SHM:
        return shmctl(obj->id, IPC_RMID, NULL) == 0 || errno == EINVAL || errno == EIDRM;
    case IPC_KIND_SYSV_SEM:
        return semctl(obj->id, 0, IPC_RMID) == 0 || errno == EINVAL || errno == EIDRM;
    case IPC_KIND_SYSV_MSG:
        return msgctl(obj->id, IPC_RMID, NULL) == 0 || errno == EINVAL || errno == EIDRM;
    }
    return false;
}

void ipc_object_describe(const struct ipc_object *obj, char *buf, size_t size)
{
    switch (obj->kind) {
    case IPC_KIND_POSIX_SHM:
        /* sem_open's semaphores are files of /dev/shm too, named sem.NAME. */
        if (strncmp(obj->name, "/sem.", 5) == 0)
            snprintf(buf, size, "POSIX named semaphore /%s (mode %04o)", obj->name + 5,
                     (unsigned)obj->mode);
        else
            snprintf(buf, size, "POSIX shared memory object %s (%zu bytes, mode %04o)", obj->name,
                     obj->size, (unsigned)obj->mode);
        break;
    case IPC_KIND_SYSV_SHM:
        snprintf(buf, size,
                 "System V segment id %d key 0x%08x (%zu bytes, mode %04o, created by pid %d)",
                 obj->id, (unsigned)obj->key, obj->size, (unsigned)obj->mode, (int)obj->creator);
        break;
    case IPC_KIND_SYSV_SEM:
        snprintf(buf, size, "System V semaphore set id %d key 0x%08x (%zu semaphores, mode %04o)",
                 obj->id, (unsigned)obj->key, obj->size, (unsigned)obj->mode);
        break;
    case IPC_KIND_SYSV_MSG:
        snprintf(buf, size, "System V message queue id %d key 0x%08x (mode %04o)", obj->id,
                 (unsigned)obj->key, (unsigned)obj->mode);
        break;
    }
}

bool sysv_find_key(enum ipc_kind kind, key_t key, struct ipc_object *obj)
{
    struct ipc_snapshot snap = {0};
    size_t cap = 0;
    bool found = false;

    if (kind == IPC_KIND_POSIX_SHM || snapshot_sysv(kind, &snap, &cap) < 0)
        return false;
    for (size_t i = 0; i < snap.n && !found; i++) {
        if (snap.objects[i].key == key) {
            *obj = snap.objects[i];
            found = true;
        }
    }
    ipc_snapshot_free(&snap);
    return found;
}

bool sysv_shm_stat(int id, struct ipc_object *obj)
{
    struct shmid_ds ds;

    if (shmctl(id, IPC_STAT, &ds) < 0)
        return false;
    memset(obj, 0, sizeof(*obj));
    obj->kind = IPC_KIND_SYSV_SHM;
    obj->id = id;
    obj->key = ds.shm_perm.__key;
    obj->size = ds.shm_segsz;
    obj->mode = ds.shm_perm.mode & 0777;
    obj->creator = ds.shm_cpid;
    obj->uid = ds.shm_perm.uid;
    obj->attaches = (unsigned long)ds.shm_nattch;
    return true;
}

int sysv_remove_key(key_t key)
{
    static const enum ipc_kind kinds[] = {IPC_KIND_SYSV_SHM, IPC_KIND_SYSV_SEM, IPC_KIND_SYSV_MSG};
    int removed = 0;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct ipc_object obj;
        /* A program may recreate the key while we remove it: try a few
         * times, but never loop forever on an object we cannot remove. */
        for (int tries = 0; tries < 16 && sysv_find_key(kinds[i], key, &obj); tries++) {
            if (!ipc_object_remove(&obj))
                break;
            removed++;
        }
    }
    return removed;
}
