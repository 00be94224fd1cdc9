/*
 * ipc.h - what the grader sees of IPC objects, by looking for itself.
 *
 * A student's program saying "done" proves nothing; these functions ask
 * the kernel: fstat of /dev/shm for POSIX objects, IPC_STAT and
 * /proc/sysvipc for System V ones.
 */
#ifndef SHMGRADE_IPC_H
#define SHMGRADE_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ipc.h> /* key_t */
#include <sys/types.h>

/* Where POSIX shared memory objects live on Linux. */
#define SHM_FOLDER "/dev/shm"

struct shm_object_info {
    off_t size;
    mode_t mode; /* permission bits only */
    uid_t uid;
};

/* Stat the POSIX shm object NAME ("/name"); false (errno set) if absent. */
bool shm_object_stat(const char *name, struct shm_object_info *info);
bool shm_object_exists(const char *name);
/* Is NAME free, and every name made from it: no file of /dev/shm begins
 * with it, nor with sem. and it (NAME-empty, sem.NAME-full: objects and
 * named semaphores a program derives from the name it is given)? */
bool shm_name_family_free(const char *name);
/* Remove NAME if it exists (a folder a program made there, with what it
 * holds, too); true if it did. */
bool shm_object_remove(const char *name);

enum ipc_kind { IPC_KIND_POSIX_SHM, IPC_KIND_SYSV_SHM, IPC_KIND_SYSV_SEM, IPC_KIND_SYSV_MSG };

/* KIND as replay scripts and `shmgrade --ipc` name it ("posix", "segment",
 * "semaphores", "queue"), and as a person reads it ("System V segment"). */
const char *ipc_kind_word(enum ipc_kind kind);
const char *ipc_kind_title(enum ipc_kind kind);
/* The kind WORD names (as ipc_kind_word gives it); false if none. */
bool ipc_kind_from_word(const char *word, enum ipc_kind *kind);

/* One IPC object, as found in /dev/shm or /proc/sysvipc. */
struct ipc_object {
    enum ipc_kind kind;
    int id;      /* System V id; -1 for POSIX */
    key_t key;   /* System V key; 0 for IPC_PRIVATE and POSIX */
    size_t size; /* bytes (shm), semaphores (sem), bytes queued (msg) */
    mode_t mode;
    pid_t creator;          /* creating pid (System V shm only), else 0 */
    uid_t uid;              /* the owner: IPC_SET may give it to anyone */
    uid_t creator_uid;      /* the creator (System V cuid), which no one can change */
    unsigned long attaches; /* System V shm only */
    char name[256];         /* POSIX name ("/x") */
};

struct ipc_snapshot {
    struct ipc_object *objects;
    size_t n;
};

/* Every IPC object this process can see; 0 on success, -1 on error. */
int ipc_snapshot_take(struct ipc_snapshot *snap);
void ipc_snapshot_free(struct ipc_snapshot *snap);

/* The objects of AFTER that are not in BEFORE (by kind and id or name). */
int ipc_snapshot_diff(const struct ipc_snapshot *before, const struct ipc_snapshot *after,
                      struct ipc_snapshot *created);

/* Remove one object; true if it is gone afterwards. */
bool ipc_object_remove(const struct ipc_object *obj);

/* "System V segment id 42 key 0x1234 size 4096 created by pid 17" */
void ipc_object_describe(const struct ipc_object *obj, char *buf, size_t size);

/* Find the System V object of KIND with KEY; false if there is none. */
bool sysv_find_key(enum ipc_kind kind, key_t key, struct ipc_object *obj);
/* The System V shared memory segment ID, by IPC_STAT; false if absent. */
bool sysv_shm_stat(int id, struct ipc_object *obj);

/* Remove every System V object (shm, sem, msg) with KEY; how many. */
int sysv_remove_key(key_t key);

#endif
