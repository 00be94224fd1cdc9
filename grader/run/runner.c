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
#include "run/verdict.h"

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

static _Noreturn void test_process(const struct lab_test *test, const char *build_dir,
                                   struct test_record *rec, int timeout_ms)
{
    struct test_ctx t;
    char why[512];

    /* Orphans of the student's programs become ours, so we can end them;
     * and if the grader dies, so do we. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    harness_begin(&t, test, build_dir, rec, timeout_ms);
    /* Host pid of the test process, in every name and key it hands out:
     * in a PID namespace getpid() is 1 for every test. */
    t.unique_id = (long)getpid();
    if (!sandbox_enter_test(build_dir, why, sizeof(why))) {
        rec->grader_error = true;
        check(&t, false, "internal: cannot isolate the test: %s", why);
        rec->finished = true;
        coverage_flush();
        _exit(0);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sandbox_ipc_mark();
    harness_mark_files(&t);
    test->run(&t);
    test_end(&t);
}

/* One test running in a process of its own. */
struct test_run {
    const struct lab_test *test;
    struct test_verdict *result;
    struct test_record *rec;
    pid_t pid;
    int pidfd;
    int timeout_ms;
    long long start, deadline;
};

static void start_test(struct test_run *r, const char *build_dir)
{
    r->timeout_ms =
        scaled_timeout_ms(r->test->timeout_ms > 0 ? r->test->timeout_ms : DEFAULT_TEST_TIMEOUT_MS);
    r->rec = mmap(NULL, sizeof(*r->rec), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r->rec == MAP_FAILED) {
        perror("shmgrade: mmap");
        exit(3);
    }
    verdict_init(r->result, r->test);
    r->start = now_ms();
    r->deadline = r->start + r->timeout_ms;
    fflush(NULL);
    r->pid = fork();
    if (r->pid < 0) {
        perror("shmgrade: fork");
        exit(3);
    }
    if (r->pid == 0)
        test_process(r->test, build_dir, r->rec, r->timeout_ms);
    r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
    if (r->pidfd < 0) {
        perror("shmgrade: pidfd_open");
        exit(3);
    }
}

/* The verdict of R's test, once its process ENDED (with STATUS) or was
 * killed at its deadline. */
static void finish_test(struct test_run *r, bool ended, int status)
{
    struct test_record *rec = r->rec;
    struct test_verdict *result = r->result;

    close(r->pidfd);
    if (!sandbox_uses_namespaces()) {
        /* Without namespaces, what the programs left is on the system;
         * with them, it went with the test's PID and IPC namespaces. */
        kill_all_descendants();
        clean_up_handed_out(rec);
        sandbox_clean_up();
    }
    if (!ended) {
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
    if (result->status != STATUS_PASSED && rec->failures == 0)
        record_append(rec, "FAILED: %s\n", rec->message);
    result->score = result->status == STATUS_PASSED ? r->test->points : 0;
    result->message = report_text_copy(result->status == STATUS_PASSED ? "" : rec->message);
    result->output = report_text_copy(rec->output);
    result->seconds = (double)(now_ms() - r->start) / 1000.0;
    munmap(rec, sizeof(*rec));
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
        finish_test(r, true, status);
        return true;
    }
    if (now_ms() < r->deadline)
        return false;
    kill(r->pid, SIGKILL);
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
        ;
    finish_test(r, false, status);
    return true;
}

/* Block until one of the N runs ends or the nearest deadline passes. */
static void await_any(const struct test_run *runs, size_t n)
{
    struct pollfd fds[MAX_PARALLEL_TESTS];
    long long nearest = runs[0].deadline;

    for (size_t i = 0; i < n; i++) {
        fds[i] = (struct pollfd){.fd = runs[i].pidfd, .events = POLLIN};
        if (runs[i].deadline < nearest)
            nearest = runs[i].deadline;
    }
    long long left = nearest - now_ms();
    if (left > 0 && poll(fds, n, left > 60000 ? 60000 : (int)left) < 0 && errno != EINTR) {
        perror("shmgrade: poll");
        exit(3);
    }
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

void run_tests(const struct test_job *jobs, size_t n, int parallel)
{
    struct test_run running[MAX_PARALLEL_TESTS];
    size_t n_running = 0, next = 0;

    if (parallel < 1)
        parallel = 1;
    if (parallel > MAX_PARALLEL_TESTS)
        parallel = MAX_PARALLEL_TESTS;
    while (next < n || n_running > 0) {
        while (n_running < (size_t)parallel && next < n) {
            struct test_run *r = &running[n_running++];
            *r = (struct test_run){.test = jobs[next].test, .result = jobs[next].result};
            start_test(r, jobs[next].build_dir);
            next++;
        }
        await_any(running, n_running);
        for (size_t i = 0; i < n_running;) {
            if (reap_test(&running[i]))
                running[i] = running[--n_running];
            else
                i++;
        }
    }
}

void run_test(const struct lab_test *test, const char *build_dir, struct test_verdict *result)
{
    struct test_job job = {.test = test, .build_dir = build_dir, .result = result};
    run_tests(&job, 1, 1);
}
