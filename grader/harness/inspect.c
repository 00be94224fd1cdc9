/*
 * inspect.c - what the grader sees for itself: POSIX objects in /dev/shm,
 * System V segments and semaphores, and segments it makes for the
 * student's programs to use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "harness/context.h"

void expect_shm_object(struct test_ctx *t, const char *name, long long size, unsigned mode,
                       const char *when)
{
    struct shm_object_info info;

    if (t->checked_live == 0)
        replay_add(t, "expect_shm_object %s %lld %04o %s", shell_text(t, name), size, mode,
                   shell_text(t, when));
    t->checked_live++;
    require(t, shm_object_stat(name, &info), "%s, %s should exist in %s, but it does not", when,
            name, SHM_FOLDER);
    require(t, info.size == size, "%s, %s should be %lld bytes (ftruncate), but it is %lld", when,
            name, size, (long long)info.size);
    require(t, info.mode == mode,
            "%s, %s should have mode %04o (only its owner may read or write), but it has %04o",
            when, name, mode, (unsigned)info.mode);
    t->checked_live--;
}

void expect_no_shm_object(struct test_ctx *t, const char *name, const char *when, const char *why)
{
    if (t->checked_live == 0)
        replay_add(t, "expect_no_shm_object %s %s %s", shell_text(t, name), shell_text(t, when),
                   shell_text(t, why));
    t->checked_live++;
    require(t, !shm_object_exists(name), "%s, %s should be gone (%s), but it is still in %s", when,
            name, why, SHM_FOLDER);
    t->checked_live--;
}

void make_shm_object(struct test_ctx *t, const char *name, const void *data, size_t len,
                     size_t size, unsigned mode)
{
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, mode);

    replay_add(t, "make_shm_object %s %zu %04o %s", shell_text(t, name), size, mode,
               printf_bytes(t, data, len));
    if (fd < 0)
        grader_error(t, "internal: the grader's shm_open %s: %s", name, strerror(errno));
    if (fchown(fd, student_uid(), student_uid()) < 0 || fchmod(fd, mode) < 0 ||
        ftruncate(fd, (off_t)size) < 0 || pwrite(fd, data, len, 0) != (ssize_t)len)
        grader_error(t, "internal: the grader cannot make %s: %s", name, strerror(errno));
    close(fd);
}

const unsigned char *read_shm_object(struct test_ctx *t, const char *name, size_t *size,
                                     const char *when)
{
    int fd = shm_open(name, O_RDONLY, 0);
    struct stat st;
    unsigned char *bytes;

    if (t->checked_live == 0)
        replay_add(t, "show_shm_object %s %s", shell_text(t, name), shell_text(t, when));
    t->checked_live++;
    require(t, fd >= 0, "%s, %s should exist in %s, but it does not", when, name, SHM_FOLDER);
    if (fstat(fd, &st) < 0)
        grader_error(t, "internal: fstat %s: %s", name, strerror(errno));
    /* Objects of the labs are small; a huge one is read in part. */
    *size = st.st_size > (1 << 20) ? (1 << 20) : (size_t)st.st_size;
    bytes = (unsigned char *)textf(t, "%*s", (int)*size, "");
    if (pread(fd, bytes, *size, 0) != (ssize_t)*size)
        grader_error(t, "internal: the grader cannot read %s: %s", name, strerror(errno));
    close(fd);
    t->checked_live--;
    return bytes;
}

/* A new segment of SIZE bytes at KEY, made as the student's user (theirs
 * by creator and owner) and attached by the grader, which removes it when
 * the test ends. */
static int new_segment(struct test_ctx *t, key_t key, size_t size, void **mem)
{
    struct grader_segment *seg;
    void *at;
    int id;

    if (t->n_segments >= ARRAY_LEN(t->segments))
        grader_error(t, "internal: the test made too many segments");
    id = sandbox_make_sysv_object(IPC_KIND_SYSV_SHM, key, size, 0600);
    if (id == -1)
        grader_error(t, "internal: the grader's shmget failed: %s", strerror(errno));
    seg = &t->segments[t->n_segments++];
    *seg = (struct grader_segment){.id = id};
    at = shmat(id, NULL, 0);
    if (at == (void *)-1)
        grader_error(t, "internal: the grader's shmat failed: %s", strerror(errno));
    seg->at = at;
    *mem = at;
    return id;
}

int make_segment(struct test_ctx *t, size_t size, int value, volatile int **mem)
{
    void *at;
    int id = new_segment(t, IPC_PRIVATE, size, &at);
    const char *variable = replay_new_variable(t, "segment");

    replay_add(t, "make_segment %s %zu %d", variable, size, value);
    replay_value(t, id, variable);
    *mem = at;
    **mem = value;
    return id;
}

int make_segment_at(struct test_ctx *t, key_t key, size_t size, void **mem)
{
    int id = new_segment(t, key, size, mem);
    const char *variable = replay_new_variable(t, "segment");

    replay_add(t, "make_segment_at %s 0x%08x %zu", variable, (unsigned)key, size);
    replay_value(t, id, variable);
    return id;
}

void *attach_segment(struct test_ctx *t, int id, const char *whose)
{
    struct grader_segment *seg;
    void *at;

    if (t->n_segments >= ARRAY_LEN(t->segments))
        grader_error(t, "internal: the test attached too many segments");
    at = shmat(id, NULL, 0);
    require(t, at != (void *)-1, "the grader cannot attach segment %d (%s): %s", id, whose,
            strerror(errno));
    seg = &t->segments[t->n_segments++];
    *seg = (struct grader_segment){.id = id, .at = at, .borrowed = true};
    return at;
}

void remove_segment(struct test_ctx *t, int id)
{
    struct ipc_object gone;

    replay_add(t, "remove_segment %s", replay_id(t, id));
    for (size_t i = 0; i < t->n_segments; i++) {
        if (t->segments[i].id != id)
            continue;
        if (t->segments[i].at != NULL && shmdt(t->segments[i].at) != 0)
            grader_error(t, "internal: shmdt of the grader's segment: %s", strerror(errno));
        t->segments[i].at = NULL;
    }
    if (shmctl(id, IPC_RMID, NULL) != 0 || sysv_shm_stat(id, &gone))
        grader_error(t, "internal: the grader could not remove its segment %d: %s", id,
                     strerror(errno));
}

int semaphore_waiters(key_t key)
{
    struct ipc_object set;
    int waiters = 0;

    if (!sysv_find_key(IPC_KIND_SYSV_SEM, key, &set))
        return 0;
    for (size_t i = 0; i < set.size; i++) {
        int increase = semctl(set.id, (int)i, GETNCNT);
        int zero = semctl(set.id, (int)i, GETZCNT);
        waiters += (increase > 0 ? increase : 0) + (zero > 0 ? zero : 0);
    }
    return waiters;
}

/* --- System V objects at a key ------------------------------------------------ */

struct ipc_object existing_sysv_object(struct test_ctx *t, enum ipc_kind kind, key_t key,
                                       const char *when)
{
    struct ipc_object obj;

    if (t->checked_live == 0)
        replay_add(t, "show_sysv_object %s 0x%08x %s", ipc_kind_word(kind), (unsigned)key,
                   shell_text(t, when));
    t->checked_live++;
    require(t, sysv_find_key(kind, key, &obj),
            "%s, a %s with key 0x%08x (SHMLAB_KEY) should exist, but none does", when,
            ipc_kind_title(kind), (unsigned)key);
    t->checked_live--;
    return obj;
}

void expect_sysv_object(struct test_ctx *t, enum ipc_kind kind, key_t key, unsigned mode,
                        const char *when, const char *why)
{
    if (t->checked_live == 0)
        replay_add(t, "expect_sysv_object %s 0x%08x %04o %s %s", ipc_kind_word(kind), (unsigned)key,
                   mode, shell_text(t, when), shell_text(t, why));
    t->checked_live++;
    struct ipc_object obj = existing_sysv_object(t, kind, key, when);

    require(t, (obj.mode & 0777) == mode, "%s, the %s's mode should be %04o (%s), but it is %04o",
            when, ipc_kind_title(kind), mode, why, (unsigned)(obj.mode & 0777));
    t->checked_live--;
}

void expect_no_sysv_object(struct test_ctx *t, key_t key, const char *when, const char *why)
{
    static const enum ipc_kind kinds[] = {IPC_KIND_SYSV_SHM, IPC_KIND_SYSV_SEM, IPC_KIND_SYSV_MSG};
    struct ipc_object obj;
    bool any = false;

    if (t->checked_live == 0)
        replay_add(t, "expect_no_sysv_object 0x%08x %s %s", (unsigned)key, shell_text(t, when),
                   shell_text(t, why));
    t->checked_live++;
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        char what[512];
        if (!sysv_find_key(kinds[i], key, &obj))
            continue;
        ipc_object_describe(&obj, what, sizeof(what));
        check(t, false, "%s, %s is still there: %s", when, what, why);
        any = true;
    }
    if (any)
        test_end(t);
    t->checked_live--;
}

void remove_sysv_object(struct test_ctx *t, enum ipc_kind kind, key_t key, const char *when)
{
    if (t->checked_live == 0)
        replay_add(t, "remove_sysv_object %s 0x%08x", ipc_kind_word(kind), (unsigned)key);
    t->checked_live++;
    struct ipc_object obj = existing_sysv_object(t, kind, key, when);

    t->checked_live--;
    if (!ipc_object_remove(&obj))
        grader_error(t, "internal: the grader could not remove the %s id %d: %s",
                     ipc_kind_title(kind), obj.id, strerror(errno));
    note(t, "the grader removed the %s (id %d) %s", ipc_kind_title(kind), obj.id, when);
}

struct ipc_object expect_sysv_segment(struct test_ctx *t, int id, const char *whose)
{
    struct ipc_object segment;
    bool found = sysv_shm_stat(id, &segment);

    if (t->checked_live == 0)
        replay_add(t, "show_segment %s %s", replay_id(t, id), shell_text(t, whose));
    t->checked_live++;
    require(t, found, "the System V segment %d (%s) should exist, but IPC_STAT finds none (%s)", id,
            whose, strerror(errno));
    t->checked_live--;
    return segment;
}
