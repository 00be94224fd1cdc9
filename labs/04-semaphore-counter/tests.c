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
 * Start `counter WORKERS 1 step` at KEY while no other worker runs, and
 * wait until it is inside the critical section, holding the semaphore,
 * having read the count COUNT. It stays there until release().
 */
static struct proc *hold_inside(struct test_ctx *t, key_t key, int workers, long count)
{
    struct proc *holder =
        start(t, ARGS("counter", textf(t, "%d", workers), "1", "step"), KEEP_STDIN);
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

static void one_worker(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *worker = start_worker(t, 1, 1000);

    expect_all_end(t, key, &worker, 1);
    expect_end(t, worker,
               STDOUT_HAS(textf(t, "Process %d: last out, final count 1000", (int)worker->pid)));
}

static void objects_and_mode(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *holder = hold_inside(t, key, 1, 0);

    expect_sysv_object(t, IPC_KIND_SYSV_SHM, key, 0600, INSIDE, "only its owner may use it");
    expect_sysv_object(t, IPC_KIND_SYSV_SEM, key, 0600, INSIDE,
                       "anyone else could lock every worker out");
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
    count_together(t, 2, 2000);
}

static void four_workers(struct test_ctx *t)
{
    count_together(t, 4, 1000);
}

static void eight_workers(struct test_ctx *t)
{
    count_together(t, 8, 400);
}

static void staggered(struct test_ctx *t)
{
    const long iterations = 500;
    key_t key = use_unique_ipc_key(t);
    struct proc *all[4];

    /* The first worker counts alone and leaves; the objects must stay. */
    all[0] = start_worker(t, 4, iterations);
    expect_all_end(t, key, all, 1);
    /* The next ones find its count; two join while another is inside. */
    all[1] = hold_inside(t, key, 4, iterations);
    all[2] = start_worker(t, 4, iterations);
    await_semaphore_queue(t, key, all + 2, 1, QUEUE_MS, INSIDE);
    all[3] = start_worker(t, 4, iterations);
    await_others(t, key, all + 2, 2);
    release(t, all[1]);
    expect_counted(t, key, all, 4, 3 * iterations + 1);
}

static void killed_inside(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *holder = hold_inside(t, key, 3, 0), *others[2];

    for (int i = 0; i < 2; i++)
        others[i] = start_worker(t, 3, 200);
    await_semaphore_queue(t, key, others, 2, QUEUE_MS, INSIDE);
    send_signal(t, holder, SIGKILL);
    note(t, "killed `%s` (SIGKILL) while it was inside the critical section", holder->command);
    /* Once it is reaped, the kernel has undone its semop (SEM_UNDO) and
     * handed the semaphore to a waiting worker. */
    expect_all_end(t, key, others, 2);
}

static void nothing_left(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *all[2];

    all[0] = hold_inside(t, key, 2, 0);
    all[1] = start_worker(t, 2, 100);
    await_semaphore_queue(t, key, all + 1, 1, QUEUE_MS, INSIDE);
    release(t, all[0]);
    expect_all_end(t, key, all, 2);
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
    expect_end(t, worker, EXIT(1), ERROR("semop", EINVAL));
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
     .title = "A lone worker (WORKERS 1) counts to ITERATIONS and prints the final count",
     .hint = "Steps 2 to 4: join, loop lock/add/unlock, count yourself out; with WORKERS 1 "
             "you are the last out.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "objects-0600",
     .clauses = "C4",
     .points = 5,
     .run = objects_and_mode,
     .title = "The segment and the semaphore set exist at SHMLAB_KEY with mode 0600",
     .hint = "Both objects use the key from shmlab_key() and mode 0600, not the seed's 0666.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "mutual-exclusion",
     .clauses = "C3 C5 C6",
     .points = 15,
     .run = mutual_exclusion,
     .title = "A second worker waits while the first is inside the critical section",
     .hint = "Take the semaphore before reading the count and give it back after storing it; "
             "never SETVAL a set that another worker may be holding.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "two-workers",
     .clauses = "C1 C6 C8",
     .points = 10,
     .run = two_workers,
     .title = "2 workers started together count every iteration (1 + 2000)",
     .hint = "Every read-modify-write of the count must happen between lock and unlock.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "four-workers",
     .clauses = "C1 C5 C6 C8",
     .points = 5,
     .run = four_workers,
     .title = "4 workers started together count every iteration (1 + 3 x 1000)",
     .hint = "Only the creator (IPC_EXCL) initialises the semaphore; the others wait for "
             "sem_otime.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "eight-workers",
     .clauses = "C1 C6 C8",
     .points = 5,
     .run = eight_workers,
     .title = "8 workers started together count every iteration (1 + 7 x 400)",
     .hint = "Count yourself out under the lock, and let only the WORKERS-th to leave remove "
             "the objects.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "staggered",
     .clauses = "C1 C5 C8",
     .points = 10,
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
    {.id = "killed-inside",
     .clauses = "C7",
     .points = 15,
     .run = killed_inside,
     .title = "A worker killed inside the critical section does not block the others",
     .hint = "SEM_UNDO on every semop that locks or unlocks (but not on the creator's "
             "initial +1): see semop(2).",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "nothing-left",
     .clauses = "C9",
     .points = 10,
     .run = nothing_left,
     .title = "The last out removes the segment and the semaphore set",
     .hint = "IPC_RMID for both objects, in the last out, after everyone has counted out.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "semaphore-removed",
     .clauses = "C11",
     .points = 5,
     .run = semaphore_removed,
     .title = "A failing semop is reported (exit 1, naming semop), never ignored",
     .hint = "Check what every semop returns and report a failure with die_errno(); the seed "
             "ignores it.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "usage",
     .clauses = "C1 C2 C10",
     .points = 5,
     .run = usage,
     .title = "Bad arguments print a usage line, exit 2 and create nothing",
     .hint = "parse_long() each number with its range before semget; PAUSE_US may also be "
             "the word step.",
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
