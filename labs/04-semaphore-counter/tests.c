/*
 * Lab 04 - a critical section guarded by a System V semaphore: the graded
 * promises of README.md.
 *
 * Races are made certain, not likely. Most tests first start a "holder":
 * a worker in step mode, which prints the count it read inside the
 * critical section and then waits for the grader's line before storing
 * the count plus one. While it is held there, the other workers are
 * started, and the grader waits until the kernel shows each of them
 * queued on the semaphore (GETNCNT/GETZCNT) or ended. A correct worker
 * can only queue. A worker that never waits runs to its end; then the
 * holder is released and stores its count plus one over everything the
 * others counted, so the final count is wrong on every run, however the
 * scheduler happens to interleave the processes.
 *
 * A hang is recognised as soon as it is certain: when every worker still
 * running waits on the semaphore, nobody can ever give it back (with one
 * semaphore, the worker holding it is never among the waiters). No
 * verdict depends on how long anything takes: the deadlines only end a
 * run that hangs in some other way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

/* Deadlines, generous for a loaded machine (and scaled under valgrind):
 * for the holder's line, for workers to queue, for a whole count. */
#define LINE_MS  15000
#define QUEUE_MS 20000
#define RUN_MS   90000
/* Long enough for every step of the longest test to reach its deadline. */
#define TEST_TIMEOUT_MS 240000
/* Microseconds each worker pauses inside the critical section. */
#define PAUSE_US "20"

#define STEP_LINE  "^Process [0-9]+: in critical section, count (-?[0-9]+)$"
#define FINAL_LINE "^Process [0-9]+: (done|last out, final count -?[0-9]+)$"
#define INSIDE     "while one worker is inside the critical section"
#define DEADLOCK_CAUSES                                                                            \
    "(a worker that died holding it without SEM_UNDO? a SEM_UNDO on the creator's initial +1?)"

#define MAX_WORKERS 8

/* `counter WORKERS ITERATIONS PAUSE_US`, one of WORKERS. */
static struct proc *start_worker(struct test_ctx *t, int workers, long iterations)
{
    return start(t,
                 ARGS("counter", textf(t, "%d", workers), textf(t, "%ld", iterations), PAUSE_US));
}

struct entering {
    struct proc *holder;
    struct deadlock_watch stuck;
};

static bool entered_or_stuck(void *arg)
{
    struct entering *e = arg;
    return has_unread_line(e->holder) || has_ended(e->holder) || deadlocked(&e->stuck);
}

/*
 * Wait until HOLDER, a worker in step mode and the only one running at
 * KEY, is inside the critical section, holding the semaphore, having read
 * the count COUNT. It stays there until release().
 */
static void await_inside(struct test_ctx *t, key_t key, struct proc *holder, long count)
{
    struct entering e = {holder, {.key = key, .procs = &e.holder, .n = 1}};
    long seen;

    if (!wait_for(t, entered_or_stuck, &e, LINE_MS, "for the first worker to enter"))
        fail_about(t, holder,
                   "`%s` should print \"Process PID: in critical section, count N\" within %d s, "
                   "but it did not (in step mode, flush stdout before waiting for a line)",
                   holder->command, scaled_timeout_ms(LINE_MS) / 1000);
    if (e.stuck.looks >= 2)
        fail_about(t, holder,
                   "`%s` waits for the semaphore although no other worker is running: its value "
                   "is 0 and nobody will raise it (was it initialised to 1? is there a SEM_UNDO "
                   "on the creator's initial +1, undone when the creator exited?)",
                   holder->command);
    if (has_ended(holder) && !has_unread_line(holder))
        fail_about(t, holder,
                   "`%s` should print \"Process PID: in critical section, count N\", but it %s "
                   "first",
                   holder->command, proc_describe_end(holder).text);
    seen = await_number(t, holder, STEP_LINE);
    if (seen != count)
        fail_about(t, holder,
                   "the worker inside the critical section should have read the count %ld, but "
                   "it read %ld",
                   count, seen);
}

/* `counter WORKERS 1 step`: a worker that waits inside the critical
 * section for the grader's line. */
#define STEP_WORKER(t, workers) ARGS("counter", textf(t, "%d", workers), "1", "step"), KEEP_STDIN

/* Start a worker in step mode at KEY while no other worker runs, and wait
 * until it is inside the critical section, having read COUNT. */
static struct proc *hold_inside(struct test_ctx *t, key_t key, int workers, long count)
{
    struct proc *holder = start(t, STEP_WORKER(t, workers));

    await_inside(t, key, holder, count);
    return holder;
}

/* Let the holder store its count and go on. */
static void release(struct test_ctx *t, struct proc *holder)
{
    send_line(t, holder, "go");
}

/* Wait until OTHERS, started while the holder is inside, queue or end;
 * say so when some of them did not wait. */
static void await_others(struct test_ctx *t, key_t key, struct proc *const *others, size_t n)
{
    size_t ended = await_semaphore_queue(t, key, others, n, QUEUE_MS, INSIDE);

    if (ended > 0)
        note(t,
             "%zu worker(s) ran to their end while the first worker was held inside the critical "
             "section: they did not wait for it to leave. Then it was let go, and stored the "
             "count it had read plus one.",
             ended);
}

/* WORKERS, every worker still running at KEY, end with status 0. */
static void expect_all_end(struct test_ctx *t, key_t key, struct proc *const *workers, size_t n)
{
    await_all_end(t, key, workers, n, RUN_MS, DEADLOCK_CAUSES);
    for (size_t i = 0; i < n; i++)
        expect_end(t, workers[i], EXIT(0));
}

/*
 * WORKERS (every worker of one count) end with status 0; each prints its
 * "done" line, but one, the last out, prints the final count: EXPECTED.
 */
static void expect_counted(struct test_ctx *t, key_t key, struct proc *const *workers, size_t n,
                           long expected)
{
    struct proc *last = NULL;
    long final_count = 0;
    size_t n_last = 0;

    expect_all_end(t, key, workers, n);
    for (size_t i = 0; i < n; i++) {
        const char *line = await_line(t, workers[i], FINAL_LINE);
        if (strstr(line, "last out") != NULL) {
            n_last++;
            last = workers[i];
            final_count = strtol(strrchr(line, ' ') + 1, NULL, 10);
        }
    }
    if (n_last != 1) {
        check(t, false,
              "exactly one of the %zu workers, the last to finish, should print \"Process PID: "
              "last out, final count N\", but %zu did",
              n, n_last);
        for (size_t i = 0; i < n; i++)
            show_transcript(t, workers[i]);
        test_end(t);
    }
    if (final_count != expected)
        fail_about(t, last,
                   "the final count should be %ld (every iteration of every worker), but the last "
                   "out printed %ld: %ld update(s) were lost",
                   expected, final_count, expected - final_count);
}

/* --- the tests -------------------------------------------------------------- */

/* "Process PID: last out, final count COUNT\n", P's final line. */
static const char *last_out_line(struct test_ctx *t, const struct proc *p, long count)
{
    return textf(t, "Process %d: last out, final count %ld\n", (int)p->pid, count);
}

static void one_worker(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *worker = start_worker(t, 1, 100);

    expect_all_end(t, key, &worker, 1);
    expect_end(t, worker, STDOUT(last_out_line(t, worker, 100)));
}

static void objects_and_mode(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *holder = hold_inside(t, key, 1, 0);
    struct ipc_object set = {0};
    int value;

    expect_sysv_object(t, IPC_KIND_SYSV_SHM, key, 0600, INSIDE, "only its owner may use it");
    expect_sysv_object(t, IPC_KIND_SYSV_SEM, key, 0600, INSIDE,
                       "anyone else could lock every worker out");
    require(t, sysv_find_key(IPC_KIND_SYSV_SEM, key, &set) && set.size == 1,
            "%s, the semaphore set should have one semaphore, but it has %zu", INSIDE, set.size);
    value = semaphore_value(key, 0);
    if (value != 0)
        fail_about(t, holder,
                   "%s, its semaphore should be 0 (taken; 1 means free), but it is %d: the worker "
                   "inside must hold it (semop -1 before reading the count)",
                   INSIDE, value);
    release(t, holder);
    expect_all_end(t, key, &holder, 1);
}

static void mutual_exclusion(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *workers[2];

    workers[0] = hold_inside(t, key, 2, 0);
    workers[1] = start_worker(t, 2, 1);
    if (await_semaphore_queue(t, key, &workers[1], 1, QUEUE_MS, INSIDE) > 0)
        fail_about(t, workers[1],
                   "a second worker ran to its end while the first was still inside the critical "
                   "section: it must wait on the semaphore (semop) until the first leaves");
    release(t, workers[0]);
    expect_counted(t, key, workers, 2, 2);
}

/* WORKERS workers count to 1 + (WORKERS - 1) * ITERATIONS together. */
static void count_together(struct test_ctx *t, int workers, long iterations)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *all[MAX_WORKERS];

    all[0] = hold_inside(t, key, workers, 0);
    for (int i = 1; i < workers; i++)
        all[i] = start_worker(t, workers, iterations);
    await_others(t, key, all + 1, (size_t)workers - 1);
    release(t, all[0]);
    expect_counted(t, key, all, (size_t)workers, 1 + (workers - 1) * iterations);
}

static void two_workers(struct test_ctx *t)
{
    count_together(t, 2, 200);
}

static void four_workers(struct test_ctx *t)
{
    count_together(t, 4, 100);
}

static void eight_workers(struct test_ctx *t)
{
    count_together(t, 8, 50);
}

static void staggered(struct test_ctx *t)
{
    const long iterations = 100;
    key_t key = use_unique_ipc_key(t);
    struct proc *all[4];
    int value;

    /* The first worker counts alone and leaves; the objects must stay,
     * and the semaphore is free. */
    all[0] = start_worker(t, 4, iterations);
    expect_all_end(t, key, all, 1);
    value = semaphore_value(key, 0);
    if (value < 0)
        fail_about(t, all[0],
                   "after the first of 4 workers has left, the semaphore set should still be "
                   "there (only the 4th worker out removes it), but it is gone");
    if (value != 1)
        fail_about(t, all[0],
                   "after the first of 4 workers has left, nobody is inside, so the semaphore "
                   "should be 1 (free), but it is %d (a SEM_UNDO on the creator's initial +1, "
                   "undone when it exited?)",
                   value);
    /* The next ones find its count; two join while another is inside. */
    all[1] = hold_inside(t, key, 4, iterations);
    all[2] = start_worker(t, 4, iterations);
    await_semaphore_queue(t, key, all + 2, 1, QUEUE_MS, INSIDE);
    all[3] = start_worker(t, 4, iterations);
    await_others(t, key, all + 2, 2);
    release(t, all[1]);
    expect_counted(t, key, all, 4, 3 * iterations + 1);
}

/* Workers that find the set made by another, not yet initialised. */
struct joining {
    key_t key;
    struct proc *const *procs;
    size_t n;
    const char *used; /* what showed that one of them used the set, or NULL */
};

/* Each joiner has stopped at its stop point (it polls sem_otime), or one
 * of them has used the set: taken or reset its semaphore, queued on it,
 * or gone past it to print or end. */
static bool polling_or_used(void *arg)
{
    struct joining *j = arg;
    size_t stopped = 0;

    if (semaphore_value(j->key, 0) != 1)
        j->used = "the semaphore's value changed (a semop or SETVAL)";
    else if (semaphore_waiters(j->key) > 0)
        j->used = "a worker waits in semop on it";
    for (size_t i = 0; i < j->n && j->used == NULL; i++) {
        if (has_unread_line(j->procs[i]))
            j->used = "a worker printed a line";
        else if (has_ended(j->procs[i]))
            j->used = "a worker ended instead of waiting";
        stopped += has_stopped(j->procs[i]);
    }
    return j->used != NULL || stopped == j->n;
}

/*
 * Workers that find the set already made wait until its creator has
 * initialised it. The grader is the creator here: it makes the set and
 * leaves it as POSIX allows a new set to be, its value undefined (1, as
 * if free) and its sem_otime 0, for as long as the workers take to show
 * what they do. A worker that waits polls sem_otime with semctl, and is
 * stopped at its second semctl; one that does not wait takes the
 * semaphore, queues on it or runs on. Once the grader has initialised the
 * set, both get on with their work and end.
 */
static void joiners_wait(struct test_ctx *t)
{
    const long iterations = 100;
    key_t key = use_unique_ipc_key(t);
    int set = make_semaphore_set(t, key, 1, 0600);
    struct proc *joiners[2];
    struct joining j = {.key = key, .procs = joiners, .n = 2};

    set_semaphore_value(t, set, 0, 1);
    for (size_t i = 0; i < 2; i++)
        joiners[i] = start(t, ARGS("counter", "2", textf(t, "%ld", iterations), PAUSE_US),
                           STOP_AFTER("semctl:2"));
    if (!wait_for(t, polling_or_used, &j, QUEUE_MS, "for the workers to poll sem_otime"))
        j.used = "the workers neither polled sem_otime (semctl IPC_STAT, again and again) nor "
                 "used the set";
    if (j.used != NULL) {
        check(t, false,
              "the grader made the semaphore set and had not initialised it yet (its sem_otime "
              "was 0: no semop so far; its value undefined, here 1), and %s: a worker that "
              "finds the set made by another must not use it until sem_otime is not 0 "
              "(semctl IPC_STAT, in a loop)",
              j.used);
        for (size_t i = 0; i < 2; i++)
            show_transcript(t, joiners[i]);
        test_end(t);
    }
    /* The rest of the creator's work, as the handout's creator does it. */
    set_semaphore_value(t, set, 0, 0);
    change_semaphore_value(t, set, 0, +1);
    note(t, "the grader initialised the set (SETVAL 0, then semop +1) while both workers polled");
    for (size_t i = 0; i < 2; i++)
        resume(t, joiners[i]);
    expect_all_end(t, key, joiners, 2);
}

/*
 * The creator sets the semaphore's value itself, whatever value a new set
 * has: it is stopped right after its first semget, which made the set,
 * and the grader gives the new semaphore the value NEW_SET_VALUE, which
 * POSIX allows. Once the creator is inside, alone, the semaphore must be
 * 0; a creator that only added its +1 leaves it higher, and that many
 * more workers could walk in.
 */
#define NEW_SET_VALUE 5
static void creator_initialises(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *creator = start(t, STEP_WORKER(t, 1), STOP_AFTER("semget"));
    struct ipc_object set;
    int value;

    wait_stopped(t, creator);
    /* A first semget that only looked for the set made nothing to hold. */
    if (sysv_find_key(IPC_KIND_SYSV_SEM, key, &set)) {
        set_semaphore_value(t, set.id, 0, NEW_SET_VALUE);
        note(t,
             "`%s` was stopped right after semget made the set; the grader gave the new "
             "semaphore the value %d (POSIX leaves it undefined; Linux starts at 0)",
             creator->command, NEW_SET_VALUE);
    }
    resume(t, creator);
    await_inside(t, key, creator, 0);
    value = semaphore_value(key, 0);
    if (value > 1)
        fail_about(t, creator,
                   "the only worker is inside the critical section, so the semaphore should be 0, "
                   "but it is %d: the creator added to the value the new set came with instead "
                   "of setting it, and %d more worker(s) could walk in",
                   value, value);
    release(t, creator);
    expect_all_end(t, key, &creator, 1);
}

static void killed_inside(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *holder = hold_inside(t, key, 3, 0), *others[2];

    for (int i = 0; i < 2; i++)
        others[i] = start_worker(t, 3, 50);
    await_semaphore_queue(t, key, others, 2, QUEUE_MS, INSIDE);
    send_signal(t, holder, SIGKILL);
    note(t, "killed `%s` (SIGKILL) while it was inside the critical section", holder->command);
    /* Once it is reaped, the kernel has undone its semop (SEM_UNDO) and
     * handed the semaphore to a waiting worker. */
    expect_all_end(t, key, others, 2);
}

static bool stopped_or_ended(void *arg)
{
    struct proc *p = arg;
    return has_stopped(p) || has_ended(p);
}

/*
 * The first of two workers leaves the objects; the second, the last out,
 * removes both before its line says so: it is stopped as soon as its
 * line has reached its stdout (if it gets there before the program's
 * end: a flush, or write), and the objects must be gone by then.
 */
static void nothing_left(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *first = start_worker(t, 2, 10), *last;

    expect_all_end(t, key, &first, 1);
    expect_end(t, first, STDOUT(textf(t, "Process %d: done\n", (int)first->pid)));
    last = start(t, ARGS("counter", "2", "10", PAUSE_US), STOP_AFTER("stdout-line:1"));
    wait_for(t, stopped_or_ended, last, RUN_MS, "for the last out to print its line");
    if (has_stopped(last)) {
        if (strstr(await_line(t, last, FINAL_LINE), "last out") != NULL)
            expect_no_sysv_object(t, key, "when the last out's line had reached its stdout",
                                  "the last out removes both objects before it prints its line");
        resume(t, last);
    }
    expect_all_end(t, key, &last, 1);
    expect_end(t, last, STDOUT(last_out_line(t, last, 20)));
    expect_no_sysv_object(t, key, "after the last worker left", "the last out removes it");
}

static void semaphore_removed(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *worker = hold_inside(t, key, 1, 0);

    remove_sysv_object(t, IPC_KIND_SYSV_SEM, key, INSIDE);
    release(t, worker);
    close_stdin(t, worker);
    /* The set is gone before the worker's next semop: EINVAL (EIDRM is
     * for a semop asleep when the set goes). */
    expect_end(t, worker, EXIT(1), ERROR("semop|semtimedop", EINVAL));
}

/* In step mode, the worker waits for a line at each step; once its input
 * has ended, it goes on without waiting and finishes as usual. */
static void step_end_of_input(struct test_ctx *t)
{
    struct proc *p;
    const char *inside;

    use_unique_ipc_key(t);
    p = start(t, ARGS("counter", "1", "3", "step"), KEEP_STDIN);
    inside = textf(t, "Process %d: in critical section, count", (int)p->pid);
    expect_next_line(t, p, textf(t, "%s 0", inside));
    send_line(t, p, "go");
    expect_next_line(t, p, textf(t, "%s 1", inside));
    close_stdin(t, p);
    note(t, "closed the stdin of `%s` (end of input) after its second step", p->command);
    expect_end(
        t, p, EXIT(0),
        STDOUT(textf(t, "%s 0\n%s 1\n%s 2\n%s", inside, inside, inside, last_out_line(t, p, 3))));
}

/*
 * The sanitizer build: no memory error, undefined behaviour or leak while
 * two workers count, one of them in step mode reading a 1000-character
 * line at each step. Its input is there from the start, so how it reads
 * (a line at a time or in pieces) does not change what the test sees.
 */
static void memory_safety(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    const char *line = textf(t, "%0*d", 1000, 0);
    struct proc *all[2];

    all[0] = start(t, ARGS("counter", "2", "3", "step"),
                   STDIN(textf(t, "%s\n%s\n%s\n", line, line, line)));
    all[1] = start_worker(t, 2, 20);
    /* How they end is for the other tests to judge: here, only what the
     * sanitizers find (each end is looked at). */
    await_all_end(t, key, all, 2, RUN_MS, DEADLOCK_CAUSES);
    for (size_t i = 0; i < 2; i++)
        expect_end(t, all[i]);
}

static void usage(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);

    expect_run(t, ARGS("counter"), USAGE);
    expect_run(t, ARGS("counter", "2"), USAGE);
    expect_run(t, ARGS("counter", "2", "10", "5", "extra"), USAGE);
    expect_run(t, ARGS("counter", "two", "10"), USAGE);
    expect_run(t, ARGS("counter", "2", "10x"), USAGE);
    expect_run(t, ARGS("counter", "0", "10"), USAGE);
    expect_run(t, ARGS("counter", "2", "-5"), USAGE);
    expect_run(t, ARGS("counter", "2", "10", "fast"), USAGE);
    expect_run(t, ARGS("counter", "2", "10", "-1"), USAGE);
    expect_no_sysv_object(t, key, "after usage errors",
                          "a usage error creates nothing: check the arguments before semget and "
                          "shmget");
}

/* Each range ends where the handout says: one past either end is a usage
 * error, the ends themselves are accepted. */
static void argument_ranges(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *longest;

    expect_run(t, ARGS("counter", "1001", "10"), USAGE);
    expect_run(t, ARGS("counter", "4294967297", "10"), USAGE);
    expect_run(t, ARGS("counter", "2", "0"), USAGE);
    expect_run(t, ARGS("counter", "2", "100000001"), USAGE);
    expect_run(t, ARGS("counter", "2", "18446744073709551617"), USAGE);
    expect_run(t, ARGS("counter", "2", "10", "1000001"), USAGE);
    expect_no_sysv_object(t, key, "after arguments out of their ranges",
                          "a usage error creates nothing");
    /* WORKERS 1000, ITERATIONS 1, PAUSE_US 0: one worker of 1000. */
    expect_run(t, ARGS("counter", "1000", "1", "0"), EXIT(0));
    /* ITERATIONS 100000000 and PAUSE_US 1000000 would take years: the
     * worker is stopped before its shmget, which it reaches only once it
     * has accepted them. */
    use_unique_ipc_key(t);
    longest = start(t, ARGS("counter", "2", "100000000", "1000000"), STOP_BEFORE("shmget"));
    wait_for(t, stopped_or_ended, longest, LINE_MS, "for the worker to get past its arguments");
    if (has_ended(longest))
        fail_about(t, longest,
                   "ITERATIONS 100000000 and PAUSE_US 1000000 are the largest values the handout "
                   "allows: `%s` should accept them and go on to create or open the segment, but "
                   "it %s",
                   longest->command, proc_describe_end(longest).text);
    if (!has_stopped(longest))
        fail_about(t, longest,
                   "`%s` should go on to create or open the segment (shmget) within %d s",
                   longest->command, scaled_timeout_ms(LINE_MS) / 1000);
}

/*
 * The workers as threads of one process under ThreadSanitizer (make
 * VARIANT=threads, labs/common/threads.c), which takes turns at the
 * semaphore: two accesses to the segment that no semop orders, an
 * update outside the critical section, are a data race on every run,
 * reported with both lines.
 */
static void no_data_race(struct test_ctx *t)
{
    use_unique_ipc_key(t);
    struct proc *workers = start(t, ARGS("threads", "counter", "3", "100", "0", "--", "counter",
                                         "3", "100", "0", "--", "counter", "3", "100", "0"));

    expect_end(t, workers, EXIT(0), WITHIN_MS(RUN_MS));
    await_line(t, workers, "^\\[counter#[0-9]\\] Process [0-9]+: last out, final count [0-9]+$");
}

static const struct lab_test tests[] = {
    {.id = "one-worker",
     .clauses = "C2 C8",
     .points = 5,
     .run = one_worker,
     .title = "A lone worker (WORKERS 1) counts to ITERATIONS and prints only the final count",
     .hint = "Steps 2 to 4: join, loop lock/add/unlock, count yourself out; with WORKERS 1 "
             "you are the last out. Anything else you print goes to stderr.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "objects-0600",
     .clauses = "C4 C5",
     .points = 5,
     .run = objects_and_mode,
     .title = "The segment and a set of one semaphore exist at SHMLAB_KEY with mode 0600; the "
              "semaphore is 0 while a worker is inside",
     .hint = "Both objects use the key from shmlab_key() and mode 0600, not the seed's 0666; "
             "one semaphore, 1 = free.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "mutual-exclusion",
     .clauses = "C3 C5 C6",
     .points = 10,
     .run = mutual_exclusion,
     .title = "A second worker waits while the first is inside the critical section",
     .hint = "Take the semaphore before reading the count and give it back after storing it; "
             "never SETVAL a set that another worker may be holding.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "two-workers",
     .clauses = "C1 C6 C8",
     .points = 5,
     .run = two_workers,
     .title = "2 workers started together count every iteration (1 + 200)",
     .hint = "Every read-modify-write of the count must happen between lock and unlock.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "four-workers",
     .clauses = "C1 C5 C6 C8",
     .points = 5,
     .run = four_workers,
     .title = "4 workers started together count every iteration (1 + 3 x 100)",
     .hint = "Only the creator (IPC_EXCL) initialises the semaphore; the others wait for "
             "sem_otime.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "eight-workers",
     .clauses = "C1 C6 C8",
     .points = 5,
     .run = eight_workers,
     .title = "8 workers started together count every iteration (1 + 7 x 50)",
     .hint = "Count yourself out under the lock, and let only the WORKERS-th to leave remove "
             "the objects.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "staggered",
     .clauses = "C1 C5 C8",
     .points = 5,
     .run = staggered,
     .title = "Workers that join after another has left, or while another is inside, all count",
     .hint = "The last out is the WORKERS-th worker to leave, not the one that finds itself "
             "alone: count departures in the segment.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "no-data-race",
     .clauses = "C6",
     .points = 10,
     .run = no_data_race,
     .build = BUILD_THREADS,
     .title = "No data race: every access to the segment is inside the critical section "
              "(ThreadSanitizer, with the workers as threads of one process)",
     .hint = "`make VARIANT=threads`, then `./threads counter 2 100 0 -- counter 2 100 0` shows "
             "ThreadSanitizer's two lines. Every read and write of the segment, the departures "
             "too, goes between taking and giving back the semaphore.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "joiners-wait",
     .clauses = "C5",
     .points = 5,
     .run = joiners_wait,
     .title = "Workers that find the set not yet initialised poll sem_otime and do not touch it "
              "until it is",
     .hint = "A worker whose semget with IPC_EXCL fails (EEXIST) opens the set and loops on "
             "semctl(IPC_STAT) until sem_otime is not 0; sleeping once is not waiting. See "
             "semget(2), \"Semaphore initialization\".",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "creator-initialises",
     .clauses = "C5",
     .points = 5,
     .run = creator_initialises,
     .title = "The creator sets the new semaphore's value itself, whatever value the set came "
              "with",
     .hint = "POSIX leaves a new set's values undefined: the creator sets the value (SETVAL) "
             "before the semop that announces it, rather than adding to what is there.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "killed-inside",
     .clauses = "C7",
     .points = 10,
     .run = killed_inside,
     .title = "A worker killed inside the critical section does not block the others",
     .hint = "SEM_UNDO on every semop that locks or unlocks (but not on the creator's "
             "initial +1): see semop(2).",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "nothing-left",
     .clauses = "C1 C8 C9",
     .points = 5,
     .run = nothing_left,
     .title = "The last out removes the segment and the semaphore set before it prints its line",
     .hint = "IPC_RMID for both objects, in the last out, after everyone has counted out and "
             "before its final line.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "semaphore-removed",
     .clauses = "C11",
     .points = 5,
     .run = semaphore_removed,
     .title = "A failing semop is reported (exit 1, naming the call), never ignored",
     .hint = "Check what every semop returns and report a failure with die_errno(); the seed "
             "ignores it.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "step-end-of-input",
     .clauses = "C3 C8",
     .points = 5,
     .run = step_end_of_input,
     .title = "In step mode, at the end of its input a worker goes on without waiting and "
              "finishes",
     .hint = "Your line reader returns EOF at the end of input, every time: treat it as the "
             "line you were waiting for, not as an error, and do not read again and again.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "memory-safety",
     .needs = "one-worker",
     .clauses = "C12",
     .points = 5,
     .run = memory_safety,
     .build = BUILD_SANITIZE,
     .title = "No memory error, undefined behaviour or leak (AddressSanitizer, UBSan) with long "
              "lines in step mode",
     .hint = "Run `make VARIANT=sanitize` and `./counter 1 2 step`, and type a line of a "
             "thousand characters: the sanitizer names the line. How big is the buffer you "
             "read it into, and is what you allocate freed?",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "usage",
     .clauses = "C1 C2 C10",
     .points = 5,
     .run = usage,
     .title = "Bad arguments print a usage line, exit 2 and create nothing",
     .hint = "parse_long() each number with its range before semget; PAUSE_US may also be "
             "the word step.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "argument-ranges",
     .clauses = "C1 C2 C10",
     .points = 5,
     .run = argument_ranges,
     .title = "One past either end of a range is a usage error; the ends themselves (1000 "
              "workers, 1 to 100000000 iterations, a pause of 0 to 1000000 us) are accepted",
     .hint = "The ranges of the contract include both ends; parse into a long (atoi and int "
             "wrap large numbers around) and compare with the limits.",
     .timeout_ms = TEST_TIMEOUT_MS},
};

static const char *const student_files[] = {"counter.c", NULL};

static const struct lab lab04 = {
    .id = "04-semaphore-counter",
    .title = "A critical section guarded by a System V semaphore",
    .student_files = student_files,
    .tests = tests,
    .n_tests = ARRAY_LEN(tests),
};

SHMLAB_REGISTER_LAB(lab04);
