/*
 * runner.c - run one test in a process of its own and collect its verdict.
 *
 * The test process enters its sandbox, runs the test's body through the
 * harness, and reports through a shared anonymous mapping made before the
 * fork (struct test_record), so whatever it recorded survives even if it
 * is killed halfway. The grader waits for it with a deadline.
 */
#define _GNU_SOURCE
#include "run/runner.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coverage.h"
#include "harness/context.h"
#include "sandbox/sandbox.h"
#include "core/text.h"
#include "run/verdict.h"

/* Why a test has no verdict when the run was stopped. */
#define RUN_STOPPED "not run: grading was interrupted (Ctrl-C)"

void runner_use_valgrind(bool on)
{
    harness_use_valgrind(on);
}

void runner_use_seed(long seed)
{
    harness_use_seed(seed);
}

void runner_use_schedule_offset(long offset)
{
    harness_use_schedule_offset(offset);
}

/* --- running a test ------------------------------------------------------- */

static _Noreturn void test_process(const struct test_job *job, struct test_record *rec,
                                   int timeout_ms)
{
    struct test_ctx t;
    char why[512];

    /* Orphans of the student's programs become ours, so we can end them;
     * and if the grader dies, so do we. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    harness_begin(&t, job->test, job->build_dir, rec, timeout_ms);
    t.crash_build_dir = job->crash_build_dir;
    /* Host pid of the test process, in every name and key it hands out:
     * in a PID namespace getpid() is 1 for every test. */
    t.unique_id = (long)getpid();
    if (!sandbox_enter_test(job->build_dir, job->crash_build_dir, &rec->holdings, why,
                            sizeof(why))) {
        rec->grader_error = true;
        check(&t, false, "internal: cannot isolate the test: %s", why);
        rec->finished = true;
        coverage_flush();
        _exit(0);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sandbox_ipc_mark();
    harness_mark_files(&t);
    job->test->run(&t);
    test_end(&t);
}

/* One test running in a process of its own. */
struct test_run {
    size_t job; /* its index in the run's jobs */
    const struct lab_test *test;
    const char *build_dir, *crash_build_dir;
    struct test_verdict *result;
    struct test_record *rec;
    pid_t pid;
    int pidfd;
    int timeout_ms;
    long long start, deadline;
};

static void start_test(struct test_run *r, const struct test_job *job)
{
    r->timeout_ms =
        scaled_timeout_ms(r->test->timeout_ms > 0 ? r->test->timeout_ms : DEFAULT_TEST_TIMEOUT_MS);
    r->rec = mmap(NULL, sizeof(*r->rec), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r->rec == MAP_FAILED) {
        perror("shmgrade: mmap");
        exit(3);
    }
    verdict_init(r->result, r->test);
    r->build_dir = job->build_dir;
    r->crash_build_dir = job->crash_build_dir;
    /* Without namespaces, what the test's programs hold is measured (and
     * its leftovers removed) from here: as the grader's own user, by what
     * is new since now. */
    if (!sandbox_uses_namespaces()) {
        sandbox_ipc_mark();
        sandbox_mark_build_folder(job->build_dir);
    }
    r->start = now_ms();
    r->deadline = r->start + r->timeout_ms;
    fflush(NULL);
    pid_t grader = getpid();
    r->pid = fork();
    if (r->pid < 0) {
        perror("shmgrade: fork");
        exit(3);
    }
    if (r->pid == 0) {
        /* A process group of its own: Ctrl-C on the terminal reaches the
         * grader, which ends the test itself (runner_stop). Whoever kills
         * the grader's group still ends the test, as the grader's child. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != grader || setpgid(0, 0) < 0)
            _exit(3);
        test_process(job, r->rec, r->timeout_ms);
    }
    r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
    if (r->pidfd < 0) {
        perror("shmgrade: pidfd_open");
        exit(3);
    }
}

/* How a test's process came to an end. */
enum test_end {
    TEST_ENDED,       /* by itself */
    TEST_OUT_OF_TIME, /* killed at its deadline */
    TEST_STOPPED,     /* killed because the run was stopped (Ctrl-C) */
};

/* The verdict of R's test, once its process ended as HOW says (with
 * STATUS when it ended by itself). */
static void finish_test(struct test_run *r, enum test_end how, int status)
{
    struct test_record *rec = r->rec;
    struct test_verdict *result = r->result;
    const struct holdings_finding *held = holdings_found(&rec->holdings);

    close(r->pidfd);
    if (!sandbox_uses_namespaces()) {
        /* Without namespaces, what the programs left is on the system;
         * with them, it went with the test's PID and IPC namespaces. */
        kill_all_descendants();
        clean_up_handed_out(rec);
        sandbox_clean_up();
    }
    if (how == TEST_STOPPED) {
        result->status = STATUS_NOT_RUN;
        snprintf(rec->message, sizeof(rec->message), "%s", RUN_STOPPED);
        rec->output_len = 0;
        rec->output[0] = '\0';
    } else if (held != NULL) {
        /* Held more than a test may: whatever else went wrong after (the
         * programs killed, the time run out) followed from it. */
        result->status = held->over ? STATUS_FAILED : STATUS_GRADER_ERROR;
        snprintf(rec->message, sizeof(rec->message), "%s", held->message);
        record_append(rec, "%s: %s\n", held->over ? "FAILED" : "GRADER ERROR", rec->message);
    } else if (how == TEST_OUT_OF_TIME) {
        result->status = STATUS_TIMED_OUT;
        if (rec->step[0] != '\0')
            snprintf(rec->message, sizeof(rec->message),
                     "the test did not finish within %.0f s (it was stuck %s); everything it "
                     "started was killed",
                     r->timeout_ms / 1000.0, rec->step);
        else
            snprintf(rec->message, sizeof(rec->message),
                     "the test did not finish within %.0f s; everything it started was killed",
                     r->timeout_ms / 1000.0);
    } else if (!rec->finished) {
        result->status = STATUS_FAILED;
        snprintf(rec->message, sizeof(rec->message),
                 "the test's own process was %s before the test finished (did a program kill "
                 "its parent or process group?)",
                 WIFSIGNALED(status) ? "killed" : "ended");
    } else {
        result->status = rec->grader_error    ? STATUS_GRADER_ERROR
                         : rec->out_of_time   ? STATUS_TIMED_OUT
                         : rec->failures == 0 ? STATUS_PASSED
                                              : STATUS_FAILED;
    }
    if (result->status != STATUS_PASSED && how != TEST_STOPPED && rec->failures == 0 &&
        held == NULL)
        record_append(rec, "FAILED: %s\n", rec->message);
    result->score = result->status == STATUS_PASSED ? r->test->points : 0;
    result->message = report_text_copy(result->status == STATUS_PASSED ? "" : rec->message);
    result->output = report_text_copy(rec->output);
    result->replay = how == TEST_STOPPED || rec->replay_cut ? NULL : xstrdup(rec->replay);
    result->seconds = (double)(now_ms() - r->start) / 1000.0;
    munmap(rec, sizeof(*rec));
}

/* Kill R's test process and wait for it (it may not be reaped yet). */
static int kill_test(struct test_run *r)
{
    int status = 0;

    kill(r->pid, SIGKILL);
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

/* Reap R if its process ended, or kill it past its deadline; true once
 * its verdict is in. */
static bool reap_test(struct test_run *r)
{
    int status = 0;
    pid_t got;

    do
        got = waitpid(r->pid, &status, WNOHANG);
    while (got < 0 && errno == EINTR);
    if (got == r->pid) {
        finish_test(r, TEST_ENDED, status);
        return true;
    }
    /* Without namespaces no kernel limit stops a test filling a folder
     * or the IPC tables: the grader watches (one test runs at a time). */
    if (!sandbox_uses_namespaces() &&
        sandbox_check_holdings(r->build_dir, r->crash_build_dir, &r->rec->holdings.watched)) {
        status = kill_test(r);
        finish_test(r, TEST_ENDED, status);
        return true;
    }
    if (now_ms() < r->deadline)
        return false;
    status = kill_test(r);
    finish_test(r, TEST_OUT_OF_TIME, status);
    return true;
}

/* How often a person waiting is told what the running tests wait for. */
#define TICK_MS 1000

/* Block until one of the N runs ends, the nearest deadline passes or (if
 * MAX_MS >= 0) MAX_MS pass. A signal (Ctrl-C) ends the wait early. */
static void await_any(const struct test_run *runs, size_t n, int max_ms)
{
    struct pollfd fds[MAX_PARALLEL_TESTS];
    long long nearest = runs[0].deadline;

    for (size_t i = 0; i < n; i++) {
        fds[i] = (struct pollfd){.fd = runs[i].pidfd, .events = POLLIN};
        if (runs[i].deadline < nearest)
            nearest = runs[i].deadline;
    }
    long long left = nearest - now_ms();
    if (left > 60000)
        left = 60000;
    if (max_ms >= 0 && left > max_ms)
        left = max_ms;
    if (!sandbox_uses_namespaces() && left > sandbox_watch_interval_ms())
        left = sandbox_watch_interval_ms(); /* reap_test() measures what it holds */
    if (left > 0 && poll(fds, n, (int)left) < 0 && errno != EINTR) {
        perror("shmgrade: poll");
        exit(3);
    }
}

/* --- stopping, and tests that build on others ------------------------------ */

static volatile sig_atomic_t stop_requested;

void runner_stop(void)
{
    stop_requested = 1;
}

bool runner_stopped(void)
{
    return stop_requested != 0;
}

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE };

/* Is the verdict NEED final: not the result of a job still waiting or
 * running? (A verdict no job fills was final before the run began.) */
static bool need_settled(const struct test_job *jobs, const enum job_state *state, size_t n,
                         const struct test_verdict *need)
{
    for (size_t i = 0; i < n; i++)
        if (jobs[i].result == need)
            return state[i] == JOB_DONE;
    return true;
}

/* The first test JOB builds on that did not pass, or NULL. */
static const struct test_verdict *unmet_need(const struct test_job *job)
{
    for (size_t i = 0; i < job->n_needs; i++)
        if (job->needs[i]->status != STATUS_PASSED)
            return job->needs[i];
    return NULL;
}

/* JOB's verdict without running it: WHY says why (taken over). */
static void not_run(const struct test_job *job, char *why)
{
    verdict_init(job->result, job->test);
    job->result->message = report_text_copy(why);
    job->result->output = report_text_copy("");
    free(why);
}

/* The next job that may start (every test it builds on has its verdict),
 * in table order, or N if none may yet. */
static size_t next_ready(const struct test_job *jobs, const enum job_state *state, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool ready = state[i] == JOB_WAITING;
        for (size_t k = 0; ready && k < jobs[i].n_needs; k++)
            ready = need_settled(jobs, state, n, jobs[i].needs[k]);
        if (ready)
            return i;
    }
    return n;
}

/* Tell OBSERVER about the N RUNNING tests. */
static void tick(const struct run_observer *observer, const struct test_run *running, size_t n)
{
    struct test_progress progress[MAX_PARALLEL_TESTS];
    long long now = now_ms();

    for (size_t i = 0; i < n; i++) {
        progress[i].id = running[i].test->id;
        progress[i].seconds = (double)(now - running[i].start) / 1000.0;
        /* The test writes its step as it goes: a copy, cut where it ends. */
        memcpy(progress[i].step, (const char *)running[i].rec->step, sizeof(progress[i].step));
        progress[i].step[sizeof(progress[i].step) - 1] = '\0';
    }
    observer->tick(progress, n, observer->arg);
}

static void job_done(const struct run_observer *observer, enum job_state *state, size_t job)
{
    state[job] = JOB_DONE;
    if (observer != NULL && observer->done != NULL)
        observer->done(job, observer->arg);
}

/* The run was stopped: the tests running are killed, the others not run. */
static void stop_all(const struct test_job *jobs, size_t n, enum job_state *state,
                     struct test_run *running, size_t n_running,
                     const struct run_observer *observer)
{
    for (size_t i = 0; i < n_running; i++) {
        kill_test(&running[i]);
        finish_test(&running[i], TEST_STOPPED, 0);
        job_done(observer, state, running[i].job);
    }
    kill_all_descendants();
    for (size_t i = 0; i < n; i++) {
        if (state[i] != JOB_WAITING)
            continue;
        not_run(&jobs[i], xstrdup(RUN_STOPPED));
        job_done(observer, state, i);
    }
}

void run_tests(const struct test_job *jobs, size_t n, int parallel,
               const struct run_observer *observer)
{
    struct test_run running[MAX_PARALLEL_TESTS];
    size_t n_running = 0, n_done = 0;
    enum job_state *state = calloc(n ? n : 1, sizeof(*state));
    bool ticking = observer != NULL && observer->tick != NULL;
    long long last_tick = now_ms();

    if (state == NULL) {
        perror("shmgrade: calloc");
        exit(3);
    }
    if (parallel < 1)
        parallel = 1;
    if (parallel > MAX_PARALLEL_TESTS)
        parallel = MAX_PARALLEL_TESTS;
    while (n_done < n) {
        size_t next;
        if (runner_stopped()) {
            stop_all(jobs, n, state, running, n_running, observer);
            break;
        }
        while (n_running < (size_t)parallel && (next = next_ready(jobs, state, n)) < n) {
            const struct test_verdict *unmet = unmet_need(&jobs[next]);
            if (unmet != NULL) {
                not_run(
                    &jobs[next],
                    xasprintf("skipped: needs %s, which %s", unmet->id,
                              unmet->status == STATUS_NOT_RUN ? "did not run either" : "failed"));
                job_done(observer, state, next);
                n_done++;
                continue;
            }
            struct test_run *r = &running[n_running++];
            *r = (struct test_run){
                .job = next, .test = jobs[next].test, .result = jobs[next].result};
            state[next] = JOB_RUNNING;
            start_test(r, &jobs[next]);
        }
        if (n_running == 0) {
            /* Nothing runs and nothing may start: the tests left build on
             * each other in a circle (tests/unit/check_labs.c forbids it). */
            for (size_t i = 0; i < n; i++) {
                if (state[i] != JOB_WAITING)
                    continue;
                not_run(&jobs[i], xstrdup("not run: the tests it builds on build on it"));
                job_done(observer, state, i);
                n_done++;
            }
            continue;
        }
        await_any(running, n_running, ticking ? TICK_MS : -1);
        for (size_t i = 0; i < n_running;) {
            if (reap_test(&running[i])) {
                job_done(observer, state, running[i].job);
                n_done++;
                running[i] = running[--n_running];
            } else {
                i++;
            }
        }
        if (ticking && n_running > 0 && now_ms() - last_tick >= TICK_MS) {
            tick(observer, running, n_running);
            last_tick = now_ms();
        }
    }
    free(state);
}

void run_test(const struct lab_test *test, const char *build_dir, struct test_verdict *result)
{
    struct test_job job = {.test = test, .build_dir = build_dir, .result = result};
    run_tests(&job, 1, 1, NULL);
}

int test_parallelism(void)
{
    /* Without namespaces, the cleanup after a test is by the sandbox
     * user, whom every test shares: one test at a time. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (!sandbox_uses_namespaces() || harness_options.valgrind)
        return 1;
    return cores < 1 ? 1 : cores > MAX_PARALLEL_TESTS ? MAX_PARALLEL_TESTS : (int)cores;
}
