/*
 * semaphores.c - System V semaphore sets the grader makes and sets itself,
 * to put the student's programs at a moment that friendly timing rarely
 * produces: a set that exists but that its creator has not initialised
 * yet (semget(2), "Semaphore initialization").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/sem.h>

#include "harness/context.h"

/* The caller of semctl defines this union (SUSv3). */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

int make_semaphore_set(struct test_ctx *t, key_t key, int nsems, unsigned mode)
{
    /* Made as the student's user, who may then use and remove it. */
    int id = sandbox_make_sysv_object(IPC_KIND_SYSV_SEM, key, (size_t)nsems, mode);
    const char *variable = replay_new_variable(t, "semaphores");

    replay_add(t, "make_semaphore_set %s 0x%08x %d %04o", variable, (unsigned)key, nsems, mode);
    if (id == -1)
        grader_error(t, "internal: the grader's semget of key 0x%08x: %s", (unsigned)key,
                     strerror(errno));
    replay_value(t, id, variable);
    return id;
}

void set_semaphore_value(struct test_ctx *t, int id, int num, int value)
{
    union semun arg = {.val = value};

    replay_add(t, "set_semaphore %s %d %d", replay_id(t, id), num, value);
    if (semctl(id, num, SETVAL, arg) == -1)
        grader_error(t, "internal: the grader's SETVAL on semaphore set %d: %s", id,
                     strerror(errno));
}

void change_semaphore_value(struct test_ctx *t, int id, int num, int delta)
{
    struct sembuf op = {
        .sem_num = (unsigned short)num, .sem_op = (short)delta, .sem_flg = IPC_NOWAIT};

    replay_add(t, "change_semaphore %s %d %d", replay_id(t, id), num, delta);
    if (semop(id, &op, 1) == -1)
        grader_error(t, "internal: the grader's semop on semaphore set %d: %s", id,
                     strerror(errno));
}

int semaphore_value(key_t key, int num)
{
    struct ipc_object set;

    if (!sysv_find_key(IPC_KIND_SYSV_SEM, key, &set) || (size_t)num >= set.size)
        return -1;
    return semctl(set.id, num, GETVAL);
}
