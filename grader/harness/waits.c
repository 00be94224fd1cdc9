/*
 * waits.c - waiting for states of programs that the kernel sends no event
 * for: a program waiting on a flag in shared memory, each of several
 * queued on a semaphore, all of them in a deadlock. Linux says nothing
 * when a process starts to wait in semop or loops on a flag, so
 * these waits are wait_for() conditions, asked whenever a program prints
 * or ends and every few milliseconds between; no verdict depends on how
 * long anything takes.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "harness/context.h"

bool has_unread_line(const struct proc *p)
{
    const struct capture *out = &p->out;
    return memchr(out->head + out->scanned, '\n', out->head_len - out->scanned) != NULL;
}

static size_t count_running(struct proc *const *procs, size_t n)
{
    size_t running = 0;

    for (size_t i = 0; i < n; i++)
        running += !has_ended(procs[i]);
    return running;
}

/* Show the transcript of every one of PROCS still running. */
static void show_running(struct test_ctx *t, struct proc *const *procs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!has_ended(procs[i]))
            show_transcript(t, procs[i]);
}

/* " 1 3 4": the replay script's numbers of the N programs PROCS. */
static const char *replay_programs(struct test_ctx *t, struct proc *const *procs, size_t n)
{
    struct strbuf numbers = {0};
    char *taken;
    const char *kept;

    for (size_t i = 0; i < n; i++) {
        const struct test_program *program = program_of(t, procs[i]);
        strbuf_printf(&numbers, " %zu", program ? (size_t)(program - t->programs) + 1 : 0);
    }
    taken = strbuf_take(&numbers);
    kept = textf(t, "%s", taken ? taken : "");
    free(taken);
    return kept;
}

/* --- waiting on memory ------------------------------------------------------------ */

/* Sleeps, or processor time, that only a loop waiting for another
 * program spends without printing or ending: a program that goes on
 * instead needs a handful of either. */
#define WAIT_SLEEPS  20
#define WAIT_BUSY_MS 20

struct memory_wait {
    struct proc *p;
    struct proc_usage from;
    long long busy_ns;
    enum waiting seen;
};

static bool waits_or_goes_on(void *arg)
{
    struct memory_wait *w = arg;
    struct proc_usage now;

    if (has_unread_line(w->p))
        w->seen = WAIT_PRINTED;
    else if (has_ended(w->p) || !process_usage(w->p->pid, &now))
        w->seen = WAIT_ENDED;
    else if (now.sleeps - w->from.sleeps >= WAIT_SLEEPS ||
             now.cpu_ns - w->from.cpu_ns >= w->busy_ns)
        w->seen = WAITING;
    else
        return false;
    return true;
}

enum waiting await_waiting(struct test_ctx *t, struct proc *p)
{
    struct memory_wait w = {.p = p, .busy_ns = scaled_timeout_ms(WAIT_BUSY_MS) * 1000000LL};

    if (!process_usage(p->pid, &w.from))
        w.seen = has_unread_line(p) ? WAIT_PRINTED : WAIT_ENDED;
    else if (!wait_for(t, waits_or_goes_on, &w, 0, textf(t, "for `%s` to wait", p->command)))
        w.seen = WAITING; /* one long sleep: waiting too */
    return w.seen;
}

/* --- queued on a semaphore ---------------------------------------------------- */

struct queue_wait {
    key_t key;
    struct proc *const *procs;
    size_t n, ended;
    int waiting;
};

static bool queued_or_ended(void *arg)
{
    struct queue_wait *w = arg;

    w->ended = w->n - count_running(w->procs, w->n);
    w->waiting = semaphore_waiters(w->key);
    return w->ended + (size_t)w->waiting >= w->n;
}

size_t await_semaphore_queue(struct test_ctx *t, key_t key, struct proc *const *procs, size_t n,
                             int timeout_ms, const char *when)
{
    struct queue_wait w = {.key = key, .procs = procs, .n = n};

    if (t->checked_live == 0)
        replay_add(t, "await_semaphore_queue 0x%08x %g%s", (unsigned)key, timeout_ms / 1000.0,
                   replay_programs(t, procs, n));
    t->checked_live++;
    if (wait_for(
            t, queued_or_ended, &w, timeout_ms,
            textf(t, "for %zu program(s) to wait on the semaphore set 0x%08x", n, (unsigned)key))) {
        t->checked_live--;
        return w.ended;
    }
    check(t, false,
          "%s, %zu program(s) should each wait on the semaphore set with key 0x%08x (asleep in "
          "semop) or end, but after %.1f s %d wait and %zu ended",
          when, n, (unsigned)key, scaled_timeout_ms(timeout_ms) / 1000.0, w.waiting, w.ended);
    show_running(t, procs, n);
    test_end(t);
}

/* --- deadlocks ------------------------------------------------------------------ */

bool deadlocked(struct deadlock_watch *watch)
{
    size_t running = count_running(watch->procs, watch->n);

    /* Each waiter is a running program of PROCS: as many as run means
     * all of them, and the one holding the semaphore is never among the
     * waiters. */
    size_t waiting = watch->key == ON_POSIX_SEMAPHORES
                         ? count_sleeping_on_semaphores(watch->procs, watch->n)
                         : (size_t)semaphore_waiters(watch->key);
    if (running > 0 && waiting >= running)
        return ++watch->looks >= 2;
    watch->looks = 0;
    return false;
}

struct end_wait {
    struct deadlock_watch stuck;
    bool all_ended;
};

static bool ended_or_deadlocked(void *arg)
{
    struct end_wait *w = arg;

    w->all_ended = count_running(w->stuck.procs, w->stuck.n) == 0;
    return w->all_ended || deadlocked(&w->stuck);
}

void await_all_end(struct test_ctx *t, key_t key, struct proc *const *procs, size_t n,
                   int timeout_ms, const char *causes)
{
    struct end_wait w = {.stuck = {.key = key, .procs = procs, .n = n}};

    if (t->checked_live == 0)
        replay_add(t, "await_all_end 0x%08x %g%s", (unsigned)key, timeout_ms / 1000.0,
                   replay_programs(t, procs, n));
    t->checked_live++;
    bool done =
        wait_for(t, ended_or_deadlocked, &w, timeout_ms, textf(t, "for %zu program(s) to end", n));
    size_t running = count_running(procs, n);

    if (done && w.all_ended) {
        t->checked_live--;
        return;
    }
    if (done)
        check(t, false,
              "deadlock: the %zu program(s) still running all wait on %s, and none of them can "
              "ever give one back%s%s",
              running,
              key == ON_POSIX_SEMAPHORES
                  ? "semaphores in shared memory"
                  : textf(t, "the semaphore set with key 0x%08x", (unsigned)key),
              causes != NULL ? " " : "", causes != NULL ? causes : "");
    else
        check(t, false, "the programs should end within %.1f s, but %zu of %zu are still running",
              scaled_timeout_ms(timeout_ms) / 1000.0, running, n);
    show_running(t, procs, n);
    test_end(t);
}
