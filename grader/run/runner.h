/*
 * runner.h - run one test in a process of its own and collect its verdict.
 */
#ifndef SHMGRADE_RUNNER_H
#define SHMGRADE_RUNNER_H

#include <stdbool.h>

#include "harness/lab.h"
#include "report/result.h"

/* Run TEST against the programs built in BUILD_DIR; fill RESULT. */
void run_test(const struct lab_test *test, const char *build_dir, struct test_verdict *result);

#define MAX_NEEDS 8

/* A test to run, where its programs are built, where its verdict goes,
 * and the verdicts of the tests it builds on (lab_test.needs). */
struct test_job {
    const struct lab_test *test;
    const char *build_dir;
    /* The lab's sanitize build, where a program that crashed in a test of
     * the normal build runs again to find its line; or NULL. */
    const char *crash_build_dir;
    struct test_verdict *result;
    const struct test_verdict *needs[MAX_NEEDS];
    size_t n_needs;
};

#define MAX_PARALLEL_TESTS 8

/* A test that is running, as a person waiting for it sees it. */
struct test_progress {
    const char *id;
    double seconds; /* since it started */
    char step[512]; /* what it waits for right now ("" between steps) */
};

/* Who hears about a run as it goes (every member may be NULL). */
struct run_observer {
    /* JOBS[INDEX]'s verdict is in: it ran, or was skipped. */
    void (*done)(size_t index, void *arg);
    /* About once a second while tests run: the N running ones. */
    void (*tick)(const struct test_progress *running, size_t n, void *arg);
    void *arg;
};

/*
 * Run the N JOBS, up to PARALLEL at once, each in a process of its own:
 * every verdict lands in its job's RESULT, whatever order they end in. A
 * job starts once the jobs it needs have ended; if one of them did not
 * pass, it is not run and says which ("skipped: needs round-trip").
 * OBSERVER (or NULL) hears of each verdict and of the tests running.
 */
void run_tests(const struct test_job *jobs, size_t n, int parallel,
               const struct run_observer *observer);

/*
 * Stop the run: the tests running are killed with everything they
 * started, and every test not finished is not run ("interrupted"). Safe
 * in a signal handler (Ctrl-C); run_tests() returns soon after.
 */
void runner_stop(void);

/* Was the run stopped (runner_stop)? */
bool runner_stopped(void);

/* How many tests of a lab run at once here: one per core with namespaces
 * (each test is alone in its own), one without them or under valgrind. */
int test_parallelism(void);

/* Run every student program under valgrind's memcheck: memory errors and
 * leaks fail the test, crashes name their line, and every timeout is
 * multiplied by the slowdown. */
void runner_use_valgrind(bool on);

/* Race-prone tests run only schedule SEED (--seed), to replay a failure. */
void runner_use_seed(long seed);

/* Shift every race-prone test's schedules by OFFSET (a stability run tries
 * others than the usual ones; $SHMGRADE_SCHEDULE_OFFSET). */
void runner_use_schedule_offset(long offset);

#endif
