/*
 * Lab 04 - a critical section guarded by a System V semaphore: the graded
 * promises of README.md.
 *
 * Races are made certain, not likely. Most tests first start a "holder":
 * a worker in step mode, which prints the count it read inside the
 * critical section and then waits for the grader's line before storing
 * the count plus one. While it is held there, the other workers are
 * started, and the grader waits until the kernel shows each of them
 * queued on the semaphore (semctl GETNCNT/GETZCNT) or ended. A correct
 * worker can only queue. A worker that never waits runs to its end; then
 * the holder is released and stores its count plus one over everything
 * the others counted, so the final count is wrong on every run, however
 * the scheduler happens to interleave the processes.
 *
 * A hang is recognised as soon as it is certain: when every worker still
 * running waits on the semaphore, nobody can ever give it back (with one
 * semaphore, the worker holding it is never among the waiters).
 *
 * Linux gives no event when a process starts to wait on a semaphore, so
 * these waits look at the semaphore set every few milliseconds, and wake
 * at once when a worker ends. No verdict depends on how long anything
 * takes: the deadlines only end a run that hangs in some other way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>

#include "harness/harness.h"

/* Deadlines, generous for a loaded machine (and scaled under valgrind):
 * for one line, for workers to queue, for a whole count to finish. */
#define LINE_MS  15000
#define QUEUE_MS 20000
#define RUN_MS   90000
/* Long enough for every step of the longest test to reach its deadline. */
#define TEST_TIMEOUT_MS 240000
/* Microseconds each worker pauses inside the critical section. */
#define PAUSE_US "20"
/* How often a wait looks at the semaphore set. */
#define QUEUE_TICK_MS 1
#define RUN_TICK_MS   5

#define STEP_LINE "^Process [0-9]+: in critical section, count -?[0-9]+$"
#define DONE_LINE "^Process [0-9]+: done$"
#define LAST_LINE "^Process [0-9]+: last out, final count -?[0-9]+$"

#define MAX_WORKERS 8

/* --- what the kernel and the workers show ----------------------------------- */

/* Processes waiting on any semaphore of the set with KEY (0 if none). */
static int semaphore_waiters(key_t key)
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

/* Has P ended? (Also collects what it printed so far.) */
static bool has_ended(struct proc *p)
{
    return proc_wait(p, 0);
}

static size_t count_running(struct proc *const *procs, size_t n)
{
    size_t running = 0;
    for (size_t i = 0; i < n; i++)
        running += !has_ended(procs[i]);
    return running;
}

/* Wait up to MS milliseconds, or less if one of PROCS ends. */
static void tick(struct proc *const *procs, size_t n, int ms)
{
    struct pollfd fds[MAX_WORKERS];
    nfds_t count = 0;

    for (size_t i = 0; i < n && count < MAX_WORKERS; i++)
        if (procs[i]->pidfd >= 0)
            fds[count++] = (struct pollfd){.fd = procs[i]->pidfd, .events = POLLIN};
    poll(fds, count, ms);
}

/*
 * Is it certain that PROCS (every worker not yet ended) hang? True once,
 * on two looks in a row, all RUNNING of them wait on the semaphore; *STUCK
 * carries the count of looks between calls.
 */
static bool all_stuck(key_t key, size_t running, int *stuck)
{
    if (running > 0 && (size_t)semaphore_waiters(key) >= running)
        return ++*stuck >= 2;
    *stuck = 0;
    return false;
}

/* The number after the last space of LINE. */
static long last_number(const char *line)
{
    const char *space = strrchr(line, ' ');
    return space ? strtol(space + 1, NULL, 10) : -1;
}

/* The first stdout line of P matching PATTERN, into LINE. */
static bool find_line(const struct proc *p, const char *pattern, char *line, size_t size)
{
    regex_t re;
    bool found = false;

    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        abort();
    for (size_t i = 0; !found && capture_line(&p->out, i, line, size); i++)
        found = regexec(&re, line, 0, NULL, 0) == 0;
    regfree(&re);
    return found;
}

/* Add the last lines of one stream of P to the test's output. */
static void show_stream(struct test_ctx *t, const char *label, const struct capture *c)
{
    char *text = capture_last_lines(c, 6);

    if (text != NULL && text[0] != '\0') {
        note(t, "    %s:", label);
        for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
            note(t, "      | %s", line);
    }
    free(text);
}

/* Show what P was run as and what it printed, for a failure above. */
static void show_output(struct test_ctx *t, const struct proc *p)
{
    note(t, "  $ %s", p->command);
    note(t, "    %s", proc_describe_end(p));
    show_stream(t, "stdout (last lines)", &p->out);
    show_stream(t, "stderr (last lines)", &p->err);
}

/* --- starting, holding and releasing workers ----------------------------------- */

/* `counter WORKERS ITERATIONS PAUSE` at KEY; stdin stays open in step mode. */
static struct proc *start_worker(struct test_ctx *t, key_t key, int workers, long iterations,
                                 const char *pause)
{
    char workers_arg[32], iterations_arg[32];
    const char *env[] = {shmlab_key_env(t, key), NULL};
    struct proc_opts opts = {.env = env, .keep_stdin_open = strcmp(pause, "step") == 0};

    snprintf(workers_arg, sizeof(workers_arg), "%d", workers);
    snprintf(iterations_arg, sizeof(iterations_arg), "%ld", iterations);
    return spawn(t, (const char *const[]){"counter", workers_arg, iterations_arg, pause, NULL},
                 &opts);
}

/*
 * Start `counter WORKERS 1 step` at KEY, while no other worker runs, and
 * wait until it is inside the critical section, holding the semaphore,
 * having read the count COUNT. It stays there until release(); a failure
 * ends the test.
 */
static struct proc *hold_inside(struct test_ctx *t, key_t key, int workers, long count)
{
    struct proc *holder = start_worker(t, key, workers, 1, "step");
    long long deadline = now_ms() + scaled_timeout_ms(LINE_MS);
    const char *line;
    int stuck = 0;

    while ((line = proc_expect_line(holder, STEP_LINE, QUEUE_TICK_MS)) == NULL) {
        if (holder->state != PROC_RUNNING) {
            check(t, false,
                  "`%s` should print \"Process PID: in critical section, count N\", but it %s "
                  "first",
                  holder->command, proc_describe_end(holder));
        } else if (all_stuck(key, 1, &stuck)) {
            check(t, false,
                  "`%s` waits for the semaphore although no other worker is running: its value "
                  "is 0 and nobody will raise it (was it initialised to 1? is there a SEM_UNDO "
                  "on the creator's initial +1, undone when the creator exited?)",
                  holder->command);
        } else if (now_ms() >= deadline) {
            check(t, false,
                  "`%s` should print \"Process PID: in critical section, count N\" within %d s, "
                  "but it did not (in step mode, flush stdout before waiting for a line)",
                  holder->command, scaled_timeout_ms(LINE_MS) / 1000);
        } else {
            continue;
        }
        show_output(t, holder);
        test_end(t);
    }
    if (!check(t, last_number(line) == count,
               "the worker inside the critical section should have read the count %ld, but it "
               "printed: %s",
               count, line)) {
        show_output(t, holder);
        test_end(t);
    }
    return holder;
}

/* Let a step-mode worker store its count and go on. */
static void release(struct test_ctx *t, struct proc *holder)
{
    check(t, proc_write_line(holder, "go"),
          "`%s` closed its stdin while it was inside the critical section; it should read a line "
          "there",
          holder->command);
}

/*
 * Wait until each of PROCS either waits for the semaphore or has ended.
 * Returns how many have ended, or -1 (a recorded failure) if they did
 * neither in time.
 */
static int await_queued(struct test_ctx *t, key_t key, struct proc *const *procs, size_t n)
{
    long long deadline = now_ms() + scaled_timeout_ms(QUEUE_MS);

    for (;;) {
        size_t ended = n - count_running(procs, n);
        if (ended + (size_t)semaphore_waiters(key) >= n)
            return (int)ended;
        if (now_ms() >= deadline) {
            check(t, false,
                  "while one worker was inside the critical section, %zu other worker(s) should "
                  "have queued on the semaphore (semop), but after %d s only %d wait and %zu "
                  "ended",
                  n, scaled_timeout_ms(QUEUE_MS) / 1000, semaphore_waiters(key), ended);
            for (size_t i = 0; i < n; i++)
                show_output(t, procs[i]);
            return -1;
        }
        tick(procs, n, QUEUE_TICK_MS);
    }
}

/*
 * await_queued() for workers started while another one is held inside;
 * says so when some of them did not wait. False on a timeout.
 */
static bool await_others(struct test_ctx *t, key_t key, struct proc *const *procs, size_t n)
{
    int ended = await_queued(t, key, procs, n);

    if (ended > 0)
        note(t,
             "%d worker(s) ran to their end while the first worker was held inside the critical "
             "section: they did not wait for it to leave. Then it was let go, and stored the "
             "count it had read plus one.",
             ended);
    return ended >= 0;
}

/* --- ending ----------------------------------------------------------------------- */

/*
 * PROCS, every worker at KEY still running, all end with status 0 - not
 * in a deadlock, not after the deadline (both are recorded failures).
 */
static bool expect_all_end(struct test_ctx *t, key_t key, struct proc *const *procs, size_t n)
{
    long long deadline = now_ms() + scaled_timeout_ms(RUN_MS);
    size_t running;
    int stuck = 0;
    bool ok = true;

    while ((running = count_running(procs, n)) > 0) {
        if (all_stuck(key, running, &stuck)) {
            check(t, false,
                  "deadlock: the %zu worker(s) still running all wait for the semaphore, and "
                  "nobody will ever give it back (a worker that died holding it without "
                  "SEM_UNDO? a SEM_UNDO on the creator's initial +1?)",
                  running);
            break;
        }
        if (now_ms() >= deadline) {
            check(t, false, "the workers should end within %d s, but %zu are still running",
                  scaled_timeout_ms(RUN_MS) / 1000, running);
            break;
        }
        tick(procs, n, RUN_TICK_MS);
    }
    for (size_t i = 0; i < n; i++) {
        if (procs[i]->state == PROC_RUNNING) {
            proc_kill(procs[i], SIGKILL);
            show_output(t, procs[i]);
            ok = false;
        } else {
            ok = expect_exit(t, procs[i], 0) && ok;
        }
    }
    return ok && !test_failed(t);
}

/*
 * PROCS (every worker of one count) end with status 0; exactly one, the
 * last out, prints the final count, which is EXPECTED; each other one
 * prints its "done" line.
 */
static void expect_counted(struct test_ctx *t, key_t key, struct proc *const *procs, size_t n,
                           long expected)
{
    const struct proc *last = NULL;
    long final_count = 0;
    size_t n_last = 0;
    char line[256];

    if (!expect_all_end(t, key, procs, n))
        return;
    for (size_t i = 0; i < n; i++) {
        if (find_line(procs[i], LAST_LINE, line, sizeof(line))) {
            n_last++;
            last = procs[i];
            final_count = last_number(line);
        } else if (!check(t, find_line(procs[i], DONE_LINE, line, sizeof(line)),
                          "`%s` should print \"Process PID: done\" (or, as the last out, its "
                          "final count), but it did not",
                          procs[i]->command)) {
            show_output(t, procs[i]);
        }
    }
    if (!check(t, n_last == 1,
               "exactly one of the %zu workers, the last to finish, should print \"Process PID: "
               "last out, final count N\", but %zu did",
               n, n_last)) {
        for (size_t i = 0; i < n; i++)
            show_output(t, procs[i]);
        return;
    }
    if (!check(t, final_count == expected,
               "the final count should be %ld (every iteration of every worker), but the last "
               "out printed %ld: %ld update(s) were lost",
               expected, final_count, expected - final_count))
        show_output(t, last);
}

/* --- the tests -------------------------------------------------------------- */

static void one_worker(struct test_ctx *t)
{
    key_t key = unique_ipc_key(t);
    struct proc *worker = start_worker(t, key, 1, 1000, "0");
    char line[128];

    if (!expect_all_end(t, key, &worker, 1))
        return;
    snprintf(line, sizeof(line), "Process %d: last out, final count 1000", (int)worker->pid);
    expect_stdout_line(t, worker, line);
}

static void objects_and_mode(struct test_ctx *t)
{
    key_t key = unique_ipc_key(t);
    struct proc *holder = hold_inside(t, key, 1, 0);
    struct ipc_object segment, set;

    if (check(t, sysv_find_key(IPC_KIND_SYSV_SHM, key, &segment),
              "while a worker is inside the critical section, a System V segment with key "
              "0x%08x (SHMLAB_KEY) should exist, but none does",
              (unsigned)key))
        check(t, segment.mode == 0600,
              "the segment's mode should be 0600 (only its owner may use it), but it is %04o",
              (unsigned)segment.mode);
    if (check(t, sysv_find_key(IPC_KIND_SYSV_SEM, key, &set),
              "while a worker is inside the critical section, a System V semaphore set with key "
              "0x%08x (SHMLAB_KEY) should exist, but none does",
              (unsigned)key))
        check(t, set.mode == 0600,
              "the semaphore set's mode should be 0600 (anyone else could lock every worker "
              "out), but it is %04o",
              (unsigned)set.mode);
    release(t, holder);
    expect_all_end(t, key, &holder, 1);
}

static void mutual_exclusion(struct test_ctx *t)
{
    key_t key = unique_ipc_key(t);
    struct proc *workers[2];
    int ended;

    workers[0] = hold_inside(t, key, 2, 0);
    workers[1] = start_worker(t, key, 2, 1, "0");
    ended = await_queued(t, key, &workers[1], 1);
    if (ended != 0) {
        if (ended > 0) {
            check(t, false,
                  "a second worker ran to its end while the first was still inside the "
                  "critical section: it must wait on the semaphore (semop) until the first "
                  "leaves");
            show_output(t, workers[1]);
        }
        return;
    }
    release(t, workers[0]);
    expect_counted(t, key, workers, 2, 2);
}

/* WORKERS workers count to 1 + (WORKERS - 1) * ITERATIONS together. */
static void count_together(struct test_ctx *t, int workers, long iterations)
{
    key_t key = unique_ipc_key(t);
    struct proc *all[MAX_WORKERS];

    all[0] = hold_inside(t, key, workers, 0);
    for (int i = 1; i < workers; i++)
        all[i] = start_worker(t, key, workers, iterations, PAUSE_US);
    if (!await_others(t, key, all + 1, (size_t)workers - 1))
        return;
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
    key_t key = unique_ipc_key(t);
    struct proc *all[4];

    /* The first worker counts alone and leaves; the objects must stay. */
    all[0] = start_worker(t, key, 4, iterations, PAUSE_US);
    if (!expect_all_end(t, key, all, 1))
        return;
    /* The next ones find its count; two join while another is inside. */
    all[1] = hold_inside(t, key, 4, iterations);
    all[2] = start_worker(t, key, 4, iterations, PAUSE_US);
    if (await_queued(t, key, all + 2, 1) < 0)
        return;
    all[3] = start_worker(t, key, 4, iterations, PAUSE_US);
    if (!await_others(t, key, all + 2, 2))
        return;
    release(t, all[1]);
    expect_counted(t, key, all, 4, 3 * iterations + 1);
}

static void killed_inside(struct test_ctx *t)
{
    key_t key = unique_ipc_key(t);
    struct proc *holder, *others[2];

    holder = hold_inside(t, key, 3, 0);
    for (int i = 0; i < 2; i++)
        others[i] = start_worker(t, key, 3, 200, PAUSE_US);
    if (await_queued(t, key, others, 2) < 0)
        return;
    proc_kill(holder, SIGKILL);
    note(t, "killed `%s` (SIGKILL) while it was inside the critical section", holder->command);
    /* Once it is reaped, the kernel has undone its semop (SEM_UNDO) and
     * handed the semaphore to a waiting worker. */
    expect_all_end(t, key, others, 2);
}

static void nothing_left(struct test_ctx *t)
{
    key_t key = unique_ipc_key(t);
    struct proc *all[2];
    struct ipc_object left;
    char what[512];

    all[0] = hold_inside(t, key, 2, 0);
    all[1] = start_worker(t, key, 2, 100, PAUSE_US);
    if (await_queued(t, key, all + 1, 1) < 0)
        return;
    release(t, all[0]);
    if (!expect_all_end(t, key, all, 2))
        return;
    if (sysv_find_key(IPC_KIND_SYSV_SHM, key, &left)) {
        ipc_object_describe(&left, what, sizeof(what));
        check(t, false, "after the last worker left, %s is still there: the last out removes it",
              what);
    }
    if (sysv_find_key(IPC_KIND_SYSV_SEM, key, &left)) {
        ipc_object_describe(&left, what, sizeof(what));
        check(t, false, "after the last worker left, %s is still there: the last out removes it",
              what);
    }
}

static void semaphore_removed(struct test_ctx *t)
{
    key_t key = unique_ipc_key(t);
    struct proc *worker = hold_inside(t, key, 1, 0);
    struct ipc_object set;
    const char *err;

    require(t, sysv_find_key(IPC_KIND_SYSV_SEM, key, &set),
            "while a worker is inside the critical section, a semaphore set with key 0x%08x "
            "should exist, but none does",
            (unsigned)key);
    require(t, ipc_object_remove(&set), "internal: cannot remove the semaphore set");
    note(t, "removed the semaphore set (id %d) while `%s` was inside", set.id, worker->command);
    release(t, worker);
    proc_close_stdin(worker);

    if (!expect_exit(t, worker, 1) || !expect_one_stderr_line(t, worker))
        return;
    err = worker->err.head;
    if (!check(t,
               strstr(err, "semop") != NULL &&
                   (strstr(err, strerror(EINVAL)) != NULL || strstr(err, strerror(EIDRM)) != NULL),
               "the error should name semop and its reason (\"%s\" or \"%s\"), as die_errno "
               "prints it, but it was: %.300s",
               strerror(EINVAL), strerror(EIDRM), err))
        show_output(t, worker);
}

/* ARGV gets a usage message on stderr, exit status 2, no output. */
static void expect_usage_error(struct test_ctx *t, key_t key, const char *const argv[])
{
    const char *env[] = {shmlab_key_env(t, key), NULL};
    struct proc_opts opts = {.env = env};
    struct proc *p = run(t, argv, &opts);

    if (expect_exit(t, p, 2) && expect_one_stderr_line(t, p))
        expect_stdout_empty(t, p);
}

static void usage_errors(struct test_ctx *t)
{
    key_t key = unique_ipc_key(t);
    const char *const *const cases[] = {
        (const char *const[]){"counter", NULL},
        (const char *const[]){"counter", "2", NULL},
        (const char *const[]){"counter", "2", "10", "5", "extra", NULL},
        (const char *const[]){"counter", "two", "10", NULL},
        (const char *const[]){"counter", "2", "10x", NULL},
        (const char *const[]){"counter", "0", "10", NULL},
        (const char *const[]){"counter", "2", "-5", NULL},
        (const char *const[]){"counter", "2", "10", "fast", NULL},
        (const char *const[]){"counter", "2", "10", "-1", NULL},
    };
    struct ipc_object left;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        expect_usage_error(t, key, cases[i]);
    check(t,
          !sysv_find_key(IPC_KIND_SYSV_SHM, key, &left) &&
              !sysv_find_key(IPC_KIND_SYSV_SEM, key, &left),
          "a usage error must create nothing, but there is an object with key 0x%08x: check "
          "the arguments before semget and shmget",
          (unsigned)key);
}

static const struct lab_test tests[] = {
    {.id = "one-worker",
     .points = 5,
     .run = one_worker,
     .title = "A lone worker (WORKERS 1) counts to ITERATIONS and prints the final count",
     .hint = "Steps 2 to 4: join, loop lock/add/unlock, count yourself out; with WORKERS 1 "
             "you are the last out.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "objects-0600",
     .points = 5,
     .run = objects_and_mode,
     .title = "The segment and the semaphore set exist at SHMLAB_KEY with mode 0600",
     .hint = "shmget and semget with the key from shmlab_key() and IPC_CREAT | 0600, not the "
             "seed's 0666.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "mutual-exclusion",
     .points = 15,
     .run = mutual_exclusion,
     .title = "A second worker waits while the first is inside the critical section",
     .hint = "Lock with semop(-1) before reading the count and unlock with semop(+1) after "
             "storing it; never SETVAL a set that another worker may be holding.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "two-workers",
     .points = 10,
     .run = two_workers,
     .title = "2 workers started together count every iteration (1 + 2000)",
     .hint = "Every read-modify-write of the count must happen between lock and unlock.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "four-workers",
     .points = 10,
     .run = four_workers,
     .title = "4 workers started together count every iteration (1 + 3 x 1000)",
     .hint = "Only the creator (IPC_CREAT | IPC_EXCL) initialises the semaphore; the others "
             "wait for sem_otime.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "eight-workers",
     .points = 10,
     .run = eight_workers,
     .title = "8 workers started together count every iteration (1 + 7 x 400)",
     .hint = "Count yourself out under the lock, and let only the WORKERS-th to leave remove "
             "the objects.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "staggered",
     .points = 10,
     .run = staggered,
     .title = "Workers that join after another has left, or while another is inside, all count",
     .hint = "The last out is the WORKERS-th worker to leave, not the one that finds itself "
             "alone: count departures in the segment.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "killed-inside",
     .points = 15,
     .run = killed_inside,
     .title = "A worker killed inside the critical section does not block the others",
     .hint = "Use SEM_UNDO on every semop that locks or unlocks (but not on the creator's "
             "initial +1).",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "nothing-left",
     .points = 10,
     .run = nothing_left,
     .title = "The last out removes the segment and the semaphore set",
     .hint = "shmctl(IPC_RMID) and semctl(IPC_RMID) in the last out, after everyone has "
             "counted out.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "semaphore-removed",
     .points = 5,
     .run = semaphore_removed,
     .title = "A failing semop is reported (exit 1, naming semop), never ignored",
     .hint = "Check every semop: if (semop(...) == -1) die_errno(\"semop\"); the seed ignores "
             "its result.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "usage",
     .points = 5,
     .run = usage_errors,
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
