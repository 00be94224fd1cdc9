/*
 * segments.c - System V shared memory segments by id, as the grader sees
 * them: whether one is gone, what a program left, and the grader playing
 * a program's partner on a segment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/shm.h>

#include "harness/context.h"

void expect_no_segment(struct test_ctx *t, int id, const char *when, const char *why)
{
    struct ipc_object seg;

    if (t->checked_live == 0)
        replay_add(t, "expect_no_segment %s %s %s", replay_id(t, id), shell_text(t, when),
                   shell_text(t, why));
    t->checked_live++;
    require(t, !sysv_shm_stat(id, &seg),
            "%s, segment %d should be gone (%s), but it is still there", when, id, why);
    t->checked_live--;
}

void expect_no_segment_made_by(struct test_ctx *t, struct proc *p, const char *when)
{
    struct ipc_snapshot now;
    size_t left = 0;
    int first = -1;
    const struct test_program *program = program_of(t, p);

    if (t->checked_live == 0)
        replay_add(t, "expect_no_segment_made_by %zu %s",
                   program ? (size_t)(program - t->programs) + 1 : 0, shell_text(t, when));
    t->checked_live++;
    if (ipc_snapshot_take(&now) < 0)
        grader_error(t, "internal: cannot list the IPC objects: %s", strerror(errno));
    for (size_t i = 0; i < now.n; i++) {
        if (now.objects[i].kind == IPC_KIND_SYSV_SHM && now.objects[i].creator == p->pid &&
            left++ == 0)
            first = now.objects[i].id;
    }
    ipc_snapshot_free(&now);
    require(t, left == 0, "%s, %zu segment%s that `%s` created %s still there (id %d%s)", when,
            left, left == 1 ? "" : "s", p->command, left == 1 ? "is" : "are", first,
            left > 1 ? " and more" : "");
    t->checked_live--;
}

bool segment_exists(int id)
{
    struct ipc_snapshot now;
    bool found = false;

    /* /proc/sysvipc lists every segment, also those IPC_STAT may not see. */
    if (ipc_snapshot_take(&now) < 0)
        return true; /* unknown: assume the worst */
    for (size_t i = 0; i < now.n && !found; i++)
        found = now.objects[i].kind == IPC_KIND_SYSV_SHM && now.objects[i].id == id;
    ipc_snapshot_free(&now);
    return found;
}

long segment_attaches(int id)
{
    struct ipc_object seg;
    return sysv_shm_stat(id, &seg) ? (long)seg.attaches : -1;
}

int exchange_segment_int(struct test_ctx *t, int id, int value)
{
    volatile int *mem = shmat(id, NULL, 0);
    int found;

    if (t->checked_live == 0)
        replay_add(t, "exchange_segment %s %d", replay_id(t, id), value);
    require(t, mem != (void *)-1, "the grader cannot attach to segment %d: %s", id,
            strerror(errno));
    found = *mem;
    *mem = value;
    /* Detached at once: a program that removes the segment expects it to
     * go when the program detaches. */
    if (shmdt((void *)mem) != 0)
        grader_error(t, "internal: shmdt of segment %d: %s", id, strerror(errno));
    return found;
}
