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

/* A test to run, where its programs are built, and where its verdict goes. */
struct test_job {
    const struct lab_test *test;
    const char *build_dir;
    struct test_verdict *result;
};

#define MAX_PARALLEL_TESTS 8

/* Run the N JOBS, up to PARALLEL at once, each in a process of its own:
 * every verdict lands in its job's RESULT, whatever order they end in. */
void run_tests(const struct test_job *jobs, size_t n, int parallel);

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
