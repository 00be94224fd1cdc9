/* check_runner.c - a test runs in a process of its own; verdicts. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "run/runner.h"
#include "suites.h"

static void passes(struct test_ctx *t)
{
    check(t, 1 + 1 == 2, "arithmetic");
}

static void fails_twice(struct test_ctx *t)
{
    check(t, false, "first failure");
    check(t, false, "second failure");
}

static void requires_then_stops(struct test_ctx *t)
{
    require(t, false, "cannot go on");
    check(t, false, "never reached");
}

static void hangs(struct test_ctx *t)
{
    (void)t;
    for (;;)
        pause();
}

static void crashes(struct test_ctx *t)
{
    (void)t;
    raise(SIGSEGV);
}

static void runs_a_failing_program(struct test_ctx *t)
{
    struct proc *p = RUN(t, "sh", "-c", "echo oops >&2; exit 3");
    expect_exit(t, p, 0);
}

static void leaves_an_object_behind(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    require(t, fd >= 0, "shm_open");
    close(fd);
    note(t, "%s", name);
}

static struct test_verdict run_body(void (*body)(struct test_ctx *), int timeout_ms)
{
    static struct lab_test test;
    struct test_verdict result;

    test = (struct lab_test){
        .id = "unit", .title = "unit", .points = 7, .run = body, .timeout_ms = timeout_ms};
    run_test(&test, "/bin", &result);
    return result;
}

START_TEST(a_passing_test_gets_its_points)
{
    struct test_verdict r = run_body(passes, 0);
    ck_assert_int_eq(r.status, STATUS_PASSED);
    ck_assert_int_eq(r.score, 7);
    ck_assert_int_eq(r.max_score, 7);
    ck_assert_str_eq(r.message, "");
}
END_TEST

START_TEST(the_first_failure_is_the_message_all_are_in_the_output)
{
    struct test_verdict r = run_body(fails_twice, 0);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    ck_assert_int_eq(r.score, 0);
    ck_assert_str_eq(r.message, "first failure");
    ck_assert_ptr_nonnull(strstr(r.output, "second failure"));
}
END_TEST

START_TEST(require_ends_the_test)
{
    struct test_verdict r = run_body(requires_then_stops, 0);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    ck_assert_str_eq(r.message, "cannot go on");
    ck_assert_ptr_null(strstr(r.output, "never reached"));
}
END_TEST

START_TEST(a_test_past_its_limit_times_out)
{
    struct test_verdict r = run_body(hangs, 300);
    ck_assert_int_eq(r.status, STATUS_TIMED_OUT);
    ck_assert_int_eq(r.score, 0);
    ck_assert_ptr_nonnull(strstr(r.message, "did not finish"));
}
END_TEST

START_TEST(a_test_process_that_dies_fails_with_a_reason)
{
    struct test_verdict r = run_body(crashes, 0);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    ck_assert_ptr_nonnull(strstr(r.message, "killed"));
}
END_TEST

START_TEST(a_failed_expectation_shows_the_transcript)
{
    struct test_verdict r = run_body(runs_a_failing_program, 0);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    ck_assert_ptr_nonnull(strstr(r.message, "should exit with status 0"));
    ck_assert_ptr_nonnull(strstr(r.message, "exited with status 3"));
    ck_assert_ptr_nonnull(strstr(r.output, "| oops"));
}
END_TEST

START_TEST(names_handed_out_are_removed_after_the_test)
{
    struct test_verdict r = run_body(leaves_an_object_behind, 0);
    char name[128];
    ck_assert_int_eq(r.status, STATUS_PASSED);
    ck_assert_int_eq(sscanf(r.output, "%127s", name), 1);
    ck_assert_int_eq(name[0], '/');
    ck_assert(!shm_object_exists(name));
}
END_TEST

Suite *runner_suite(void)
{
    return SUITE_OF("runner", 60, a_passing_test_gets_its_points,
                    the_first_failure_is_the_message_all_are_in_the_output, require_ends_the_test,
                    a_test_past_its_limit_times_out, a_test_process_that_dies_fails_with_a_reason,
                    a_failed_expectation_shows_the_transcript,
                    names_handed_out_are_removed_after_the_test);
}
