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
        _exit(0);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sandbox_ipc_mark();
    test->run(&t);
    test_end(&t);
}

/* Wait for PID up to TIMEOUT_MS; true if it ended (and was reaped). */
static bool wait_with_timeout(pid_t pid, int timeout_ms, int *status)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    long long deadline = now_ms() + timeout_ms;
    pid_t r;

    for (;;) {
        do
            r = waitpid(pid, status, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == pid || r < 0)
            break;
        long long left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd fd = {.fd = pidfd, .events = POLLIN};
        if (pidfd < 0 || poll(&fd, 1, left > 60000 ? 60000 : (int)left) < 0) {
            if (errno != EINTR)
                break;
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return r == pid;
}

void run_test(const struct lab_test *test, const char *build_dir, struct test_verdict *result)
{
    int timeout_ms =
        scaled_timeout_ms(test->timeout_ms > 0 ? test->timeout_ms : DEFAULT_TEST_TIMEOUT_MS);
    struct test_record *rec =
        mmap(NULL, sizeof(*rec), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    long long start = now_ms();
    int status = 0;
    bool ended;
    pid_t pid;

    verdict_init(result, test);
    if (rec == MAP_FAILED) {
        perror("mmap");
        exit(3);
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(3);
    }
    if (pid == 0)
        test_process(test, build_dir, rec, timeout_ms);

    ended = wait_with_timeout(pid, timeout_ms, &status);
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    kill_all_descendants();
    if (!sandbox_uses_namespaces()) {
        /* Without namespaces, what the programs left is on the system. */
        clean_up_handed_out(rec);
        sandbox_clean_up();
    }

    if (!ended) {
        result->status = STATUS_TIMED_OUT;
        if (rec->step[0] != '\0')
            snprintf(rec->message, sizeof(rec->message),
                     "the test did not finish within %.0f s (it was stuck %s); everything it "
                     "started was killed",
                     timeout_ms / 1000.0, rec->step);
        else
            snprintf(rec->message, sizeof(rec->message),
                     "the test did not finish within %.0f s; everything it started was killed",
                     timeout_ms / 1000.0);
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
    result->score = result->status == STATUS_PASSED ? test->points : 0;
    result->message = report_text_copy(result->status == STATUS_PASSED ? "" : rec->message);
    result->output = report_text_copy(rec->output);
    result->seconds = (double)(now_ms() - start) / 1000.0;
    munmap(rec, sizeof(*rec));
}
