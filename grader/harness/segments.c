/*
 * segments.c - System V shared memory segments by id, as the grader sees
 * them: whether one is gone, what a program left, and the grader playing
 * a program's partner on a segment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
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

/* --- the grader as one side of a struct in a segment ---------------------------- */

/* Program P's number in the replay script (0: none of the test's). */
static size_t program_number(struct test_ctx *t, const struct proc *p)
{
    const struct test_program *program = p != NULL ? program_of(t, p) : NULL;
    return program != NULL ? (size_t)(program - t->programs) + 1 : 0;
}

static atomic_int *int_at(const void *base, size_t offset)
{
    return (atomic_int *)((char *)(uintptr_t)base + offset);
}

int segment_int(const void *base, size_t offset)
{
    return atomic_load_explicit(int_at(base, offset), memory_order_acquire);
}

void store_segment_int(struct test_ctx *t, int id, void *base, size_t offset, int value)
{
    replay_step_begin(t, "store_segment_int %s %zu %d", replay_id(t, id), offset, value);
    atomic_store_explicit(int_at(base, offset), value, memory_order_release);
    replay_step_end(t);
}

void store_segment_bytes(struct test_ctx *t, int id, void *base, size_t offset, const void *data,
                         size_t len)
{
    const unsigned char *bytes = data;
    size_t shown = len;

    /* The zeros at the end as a count: a message in a 256-byte field is a
     * short line of the script, not a kilobyte of \x00. */
    while (shown > 0 && bytes[shown - 1] == 0)
        shown--;
    replay_step_begin(t, "store_segment_bytes %s %zu %s %zu", replay_id(t, id), offset,
                      printf_bytes(t, data, shown), len - shown);
    memcpy((char *)base + offset, data, len);
    replay_step_end(t);
}

void replay_segment_int(struct test_ctx *t, int id, size_t offset, int value, struct proc *p,
                        const char *what)
{
    if (t->checked_live == 0)
        replay_add(t, "await_segment_int %s %zu %d %zu %g %s", replay_id(t, id), offset, value,
                   program_number(t, p), DEFAULT_STEP_TIMEOUT_MS / 1000.0, shell_text(t, what));
}

/* What await_segment_int() waits for. */
struct segment_wait {
    const void *base;
    size_t offset;
    int value;
    struct proc *p;
};

static bool value_or_ended(void *arg)
{
    const struct segment_wait *w = arg;
    return segment_int(w->base, w->offset) == w->value || (w->p != NULL && has_ended(w->p));
}

bool await_segment_int(struct test_ctx *t, int id, const void *base, size_t offset, int value,
                       struct proc *p, const char *what)
{
    struct segment_wait w = {.base = base, .offset = offset, .value = value, .p = p};

    /* The script waits itself: wait_for() adds no "settle" line. */
    replay_step_begin(t, "await_segment_int %s %zu %d %zu %g %s", replay_id(t, id), offset, value,
                      program_number(t, p), DEFAULT_STEP_TIMEOUT_MS / 1000.0, shell_text(t, what));
    wait_for(t, value_or_ended, &w, 0, what);
    replay_step_end(t);
    return segment_int(base, offset) == value;
}

void replay_line_seen(struct test_ctx *t, struct proc *p, const char *line)
{
    struct strbuf regex = {0};
    char *taken;

    if (t->checked_live != 0)
        return;
    /* The line itself, as an extended regular expression. */
    strbuf_add(&regex, "^", 1);
    for (const char *c = line; *c != '\0'; c++) {
        if (strchr(".[]()*+?{}|^$\\", *c) != NULL)
            strbuf_add(&regex, "\\", 1);
        strbuf_add(&regex, c, 1);
    }
    strbuf_add(&regex, "$", 1);
    taken = strbuf_take(&regex);
    replay_add(t, "await_line %zu %s %g", program_number(t, p), shell_text(t, taken),
               DEFAULT_STEP_TIMEOUT_MS / 1000.0);
    free(taken);
}
