/*
 * runner.h - run one test in a process of its own and collect its verdict.
 */
#ifndef SHMGRADE_RUNNER_H
#define SHMGRADE_RUNNER_H

#include "harness/harness.h"
#include "report/result.h"

/* Run TEST against the programs built in BUILD_DIR; fill RESULT. */
void run_test(const struct lab_test *test, const char *build_dir, struct test_verdict *result);

/* Limits every student process runs under (also used for the build). */
struct student_limits {
    long cpu_seconds;
    long address_space_mb;
    long file_size_mb;
    long open_files;
    long processes;
};

extern const struct student_limits RUN_LIMITS;
extern const struct student_limits BUILD_LIMITS;

/* A proc_opts.before_exec that applies a struct student_limits. */
void apply_student_limits(void *limits);

/* Run every student program under valgrind's memcheck: memory errors and
 * leaks fail the test, crashes name their line, and every timeout is
 * multiplied by the slowdown. */
void runner_use_valgrind(bool on);

/* TIMEOUT_MS as it applies now (longer under valgrind). */
int scaled_timeout_ms(int timeout_ms);

#endif
