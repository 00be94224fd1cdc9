/* check_ipc.c - what the grader sees of IPC objects. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ipc.h"
#include "suites.h"

START_TEST(posix_object_size_and_mode_are_seen)
{
    char name[64];
    struct shm_object_info info;
    int fd;

    snprintf(name, sizeof(name), "/shmlab-unit-%d", (int)getpid());
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 123), 0);
    close(fd);
    ck_assert(shm_object_stat(name, &info));
    ck_assert_int_eq(info.size, 123);
    ck_assert_uint_eq(info.mode, 0600);
    ck_assert(shm_object_remove(name));
    ck_assert(!shm_object_exists(name));
    ck_assert(!shm_object_remove(name));
}
END_TEST

START_TEST(names_that_are_not_one_file_are_refused)
{
    struct shm_object_info info;

    errno = 0;
    ck_assert(!shm_object_stat("noslash", &info));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert(!shm_object_stat("/a/b", &info));
    ck_assert(!shm_object_stat("/", &info));
    ck_assert(!shm_object_stat("/../../etc/passwd", &info));
}
END_TEST

/* A name is free only when nothing made from it is there: an object
 * NAME-x, a named semaphore sem.NAME or sem.NAME-x, a folder. The grader
 * never hands a program a name someone squats; a named semaphore left is
 * shown as one. */
START_TEST(a_name_is_free_only_with_its_whole_family)
{
    char name[64], derived[96], path[128];
    struct ipc_snapshot snap;
    char text[256];
    sem_t *sem;
    bool seen = false;

    snprintf(name, sizeof(name), "/shmlab-unit-family-%d", (int)getpid());
    ck_assert(shm_name_family_free(name));
    snprintf(derived, sizeof(derived), "%s-mutex", name);
    sem = sem_open(derived, O_CREAT | O_EXCL, 0600, 1);
    ck_assert_ptr_ne(sem, SEM_FAILED);
    ck_assert(!shm_name_family_free(name));
    ck_assert_int_eq(ipc_snapshot_take(&snap), 0);
    for (size_t i = 0; i < snap.n; i++) {
        ipc_object_describe(&snap.objects[i], text, sizeof(text));
        if (strstr(text, derived) != NULL) {
            ck_assert_msg(strncmp(text, "POSIX named semaphore ", 22) == 0, "%s", text);
            seen = true;
        }
    }
    ipc_snapshot_free(&snap);
    ck_assert(seen);
    ck_assert_int_eq(sem_close(sem), 0);
    ck_assert_int_eq(sem_unlink(derived), 0);
    ck_assert(shm_name_family_free(name));
    snprintf(path, sizeof(path), "/dev/shm%s-squat", name);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert(!shm_name_family_free(name));
    /* A folder squatting a name is removed like an object. */
    snprintf(derived, sizeof(derived), "%s-squat", name);
    ck_assert(shm_object_remove(derived));
    ck_assert(!shm_object_exists(derived));
    ck_assert(shm_name_family_free(name));
    ck_assert(!shm_name_family_free("no-slash"));
}
END_TEST

START_TEST(a_snapshot_diff_finds_a_new_segment)
{
    struct ipc_snapshot before, after, created;
    struct ipc_object stat;
    char text[256];
    int id;

    ck_assert_int_eq(ipc_snapshot_take(&before), 0);
    id = shmget(IPC_PRIVATE, 1000, IPC_CREAT | 0600);
    ck_assert_int_ge(id, 0);
    ck_assert_int_eq(ipc_snapshot_take(&after), 0);
    ck_assert_int_eq(ipc_snapshot_diff(&before, &after, &created), 0);
    ck_assert_uint_eq(created.n, 1);
    ck_assert_int_eq(created.objects[0].kind, IPC_KIND_SYSV_SHM);
    ck_assert_int_eq(created.objects[0].id, id);
    ck_assert_uint_eq(created.objects[0].size, 1000);
    ck_assert_int_eq(created.objects[0].creator, getpid());
    ck_assert(sysv_shm_stat(id, &stat));
    ck_assert_uint_eq(stat.mode, 0600);
    ck_assert_uint_eq(stat.attaches, 0);
    ipc_object_describe(&created.objects[0], text, sizeof(text));
    ck_assert_ptr_nonnull(strstr(text, "1000 bytes"));
    ck_assert(ipc_object_remove(&created.objects[0]));
    ck_assert(!sysv_shm_stat(id, &stat));
    ipc_snapshot_free(&before);
    ipc_snapshot_free(&after);
    ipc_snapshot_free(&created);
}
END_TEST

START_TEST(everything_with_a_key_is_removed)
{
    key_t key = (key_t)(0x5b000000 | (getpid() & 0xffffff));
    struct ipc_object obj;
    int shm = shmget(key, 64, IPC_CREAT | IPC_EXCL | 0600);
    int sem = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);

    ck_assert_int_ge(shm, 0);
    ck_assert_int_ge(sem, 0);
    ck_assert(sysv_find_key(IPC_KIND_SYSV_SHM, key, &obj));
    ck_assert_int_eq(obj.id, shm);
    ck_assert(sysv_find_key(IPC_KIND_SYSV_SEM, key, &obj));
    ck_assert_int_eq(obj.id, sem);
    ck_assert_uint_eq(obj.size, 2);
    ck_assert_int_eq(sysv_remove_key(key), 2);
    ck_assert(!sysv_find_key(IPC_KIND_SYSV_SHM, key, &obj));
    ck_assert(!sysv_find_key(IPC_KIND_SYSV_SEM, key, &obj));
    ck_assert_int_eq(sysv_remove_key(key), 0);
}
END_TEST

Suite *ipc_suite(void)
{
    return SUITE_OF("ipc", 0, posix_object_size_and_mode_are_seen,
                    names_that_are_not_one_file_are_refused,
                    a_name_is_free_only_with_its_whole_family, a_snapshot_diff_finds_a_new_segment,
                    everything_with_a_key_is_removed);
}
