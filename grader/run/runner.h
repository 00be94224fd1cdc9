/*
 * runner.h - run one test in a process of its own and collect its verdict.
 */
#ifndef SHMGRADE_RUNNER_H
#define SHMGRADE_RUNNER_H

#include <stdbool.h>

#include "harness/harness.h"
#include "report/result.h"

/* Run TEST against the programs built in BUILD_DIR; fill RESULT. */
void run_test(const struct lab_test *test, const char *build_dir, struct test_verdict *result);

/* Run every student program under valgrind's memcheck: memory errors and
 * leaks fail the test, crashes name their line, and every timeout is
 * multiplied by the slowdown. */
void runner_use_valgrind(bool on);

/* Race-prone tests run only schedule SEED (--seed), to replay a failure. */
void runner_use_seed(long seed);

#endif
