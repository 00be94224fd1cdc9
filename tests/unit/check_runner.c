/* check_runner.c - a test runs in a process of its own; verdicts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/text.h"
#include "harness/context.h"
#include "run/inject.h"
#include "run/runner.h"
#include "suites.h"

/* Check's deprecated fail() macro would hide the harness's fail(). */
#undef fail

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
    expect_run(t, ARGS("sh", "-c", "echo oops >&2; exit 3"), EXIT(0));
}

static void prints_a_wrong_line(struct test_ctx *t)
{
    expect_run(t, ARGS("sh", "-c", "printf 'first\\nsecond\\tline \\n'"), EXIT(0),
               STDOUT("first\nsecond line\n"));
}

static void prints_escape_sequences(struct test_ctx *t)
{
    expect_run(t, ARGS("sh", "-c", "printf '\\033[2J\\033[HTOTAL: 105/105\\r\\n'; exit 1"),
               EXIT(0));
}

/* A program tries each keyring call and TIOCSTI on its stdin (a pipe:
 * ENOTTY, were the request looked at), and prints each errno. */
static void tries_keyrings_and_terminal_input(struct test_ctx *t)
{
    static const char script[] =
        "require 'syscall.ph'; my ($type, $name, $text) = ('user', 'k', 'v');"
        "sub try { $! = 0; my $r = shift->(); print $r < 0 || !defined $r ? $! + 0 : 'ran', ' ' }"
        "try(sub { syscall(&SYS_add_key, $type, $name, $text, 1, -4) });"
        "try(sub { syscall(&SYS_keyctl, 0, -3, 0) });"
        "try(sub { syscall(&SYS_request_key, $type, $name, 0, 0) });"
        "try(sub { ioctl(STDIN, 0x5412, $text) // -1 });"
        "print qq(\\n)";

    expect_run(t, ARGS("perl", "-e", script), EXIT(0),
               STDOUT(textf(t, "%d %d %d %d \n", EPERM, EPERM, EPERM, EPERM)));
}

/* A test's programs run under their limits, as the kernel shows them:
 * processes, open files, bytes of POSIX message queues (soft limits, in
 * /proc/self/limits' order). */
static void shows_its_limits(struct test_ctx *t)
{
    expect_run(t,
               ARGS("awk", "/^Max (processes|open files|msgqueue size) / { print $(NF - 2) }",
                    "/proc/self/limits"),
               EXIT(0), STDOUT("256\n256\n524288\n"));
}

static void reports_the_last_stderr_line(struct test_ctx *t)
{
    /* Diagnostics before the error line are allowed. */
    expect_run(t,
               ARGS("sh", "-c",
                    "echo 'opening the object' >&2; echo 'x: shm_open: No such file "
                    "or directory' >&2; exit 1"),
               EXIT(1), NO_STDOUT, ERROR("shm_open", ENOENT));
    expect_run(t,
               ARGS("sh", "-c",
                    "echo 'x: shm_open: No such file or directory' >&2; echo "
                    "'cleaning up' >&2; exit 1"),
               EXIT(1), ERROR("shm_open", ENOENT));
}

static void leaves_an_object_behind(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    require(t, fd >= 0, "shm_open");
    close(fd);
    note(t, "%s", name);
}

static void stops_after_its_first_line(struct test_ctx *t)
{
    struct proc *p = start(t, ARGS("sh", "-c", "echo one; echo two"), STOP_AFTER("stdout-line:1"));
    wait_stopped(t, p);
    /* Held right after the first line: the second is not written yet. */
    require(t, strcmp(p->out.head, "one\n") == 0, "stopped with stdout \"%s\"", p->out.head);
    resume(t, p);
    expect_end(t, p, EXIT(0), STDOUT("one\ntwo\n"));
}

static void stops_before_it_waits(struct test_ctx *t)
{
    struct proc *p = start(t, ARGS("sh", "-c", "echo ready; read line; echo \"got $line\""),
                           KEEP_STDIN, STOP_BEFORE("wait"));
    wait_stopped(t, p);
    /* Held before its read of stdin: it has printed, and reads nothing. */
    require(t, strcmp(p->out.head, "ready\n") == 0, "stopped with stdout \"%s\"", p->out.head);
    send_line(t, p, "hello");
    resume(t, p);
    expect_end(t, p, EXIT(0), STDOUT("ready\ngot hello\n"));
}

static void fails_the_call_it_names(struct test_ctx *t)
{
    /* ipcmk's shmget is not made: it reports the error the test chose. */
    expect_run(t, ARGS("sh", "-c", "ipcmk -M 4096"), FAIL_CALL("shmget", ENOMEM), EXIT(1),
               NO_STDOUT, ERROR(NULL, ENOMEM));
}

/* A sleep of a minute is a pause the test times: the program stops where
 * it would sleep, and once resumed goes on at once; a short sleep is
 * slept as asked. */
static void pauses_where_it_sleeps(struct test_ctx *t)
{
    struct proc *p =
        start(t, ARGS("sh", "-c", "sleep 0.01; echo short; exec sleep 60"), STOP_AT_SLEEPS(1000));
    wait_stopped(t, p);
    require(t, strcmp(p->out.head, "short\n") == 0, "stopped with stdout \"%s\"", p->out.head);
    resume(t, p);
    expect_end(t, p, EXIT(0), STDOUT("short\n"), WITHIN_MS(5000));
}

/* What await_waiting() makes of programs that spin, nap, print or end. */
static void tells_waiting_from_going_on(struct test_ctx *t)
{
    struct proc *spins = start(t, ARGS("sh", "-c", "while :; do :; done"));
    struct proc *naps = start(t, ARGS("sh", "-c", "while :; do sleep 0.001; done"));
    struct proc *prints = start(t, ARGS("sh", "-c", "sleep 0.01; echo done; exec sleep 60"));
    struct proc *ends = start(t, ARGS("sh", "-c", "sleep 0.01; exit 3"));

    require(t, await_waiting(t, spins) == WAITING, "a spinning loop does not wait");
    require(t, await_waiting(t, naps) == WAITING, "a napping loop does not wait");
    require(t, await_waiting(t, prints) == WAIT_PRINTED, "a program that prints waits");
    require(t, await_waiting(t, ends) == WAIT_ENDED, "a program that ends waits");
}

static int schedules_run;

static void scenario_failing_on_the_third(struct test_ctx *t)
{
    if (++schedules_run == 3)
        fail(t, "the third schedule fails");
}

static void fails_under_a_schedule(struct test_ctx *t)
{
    under_schedules(t, 5, 60000, scenario_failing_on_the_third);
}

/* The message of the channel tests: an object the test makes, as a
 * writer would. */
static const char *object_as_a_writer_leaves_it(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    make_shm_object(t, name, "hello", 6, 4096, 0600);
    return name;
}

/* What the "writer" of the channel tests does, besides leaving the object. */
static const char *writer_script;

static void writes_then_checks_channels(struct test_ctx *t)
{
    const char *name = object_as_a_writer_leaves_it(t);
    expect_run(t, ARGS("sh", "-c", writer_script), EXIT(0));
    expect_only_channel(t, name, "after the writer ended");
}

/* ThreadSanitizer's report on a race in a threads build in /bin (where
 * the harness finds sh), as the threads driver's programs make it. */
#define TSAN_REPORT                                                                                \
    "[consumer] consumer: starting\n"                                                              \
    "==================\n"                                                                         \
    "WARNING: ThreadSanitizer: data race (pid=2)\n"                                                \
    "  Read of size 4 at 0x7f68bcb15104 by thread T2:\n"                                           \
    "    #0 channel_wait /bin/channel.h:34 (consumer.so+0x1337)\n"                                 \
    "    #1 main /bin/consumer.c:52 (consumer.so+0x1337)\n"                                        \
    "    #2 run_program /bin/../common/threads.c:518 (threads+0x5979)\n"                           \
    "\n"                                                                                           \
    "  Previous write of size 4 at 0x7f68bcb15104 by thread T1:\n"                                 \
    "    #0 channel_set /bin/channel.h:40 (producer.so+0x13a1)\n"                                  \
    "    #1 main /bin/producer.c:78 (producer.so+0x13a1)\n"                                        \
    "    #2 run_program /bin/../common/threads.c:518 (threads+0x5979)\n"                           \
    "\n"                                                                                           \
    "  Thread T2 'consumer' (tid=5, running) created by main thread at:\n"                         \
    "    #0 pthread_create tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)\n"              \
    "  Thread T1 'producer' (tid=4, running) created by main thread at:\n"                         \
    "    #0 pthread_create tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)\n"              \
    "\n"                                                                                           \
    "SUMMARY: ThreadSanitizer: data race /bin/channel.h:34 in channel_wait\n"                      \
    "==================\n"

static void races(struct test_ctx *t)
{
    expect_run(t, ARGS("sh", "-c", "printf '%s' \"$0\" >&2; exit 86", TSAN_REPORT), EXIT(0));
}

/* The program ends with the report before the line the test waits for. */
static void races_before_its_line(struct test_ctx *t)
{
    await_line(t, start(t, ARGS("sh", "-c", "printf '%s' \"$0\" >&2; exit 86", TSAN_REPORT)),
               "^never$");
}

static struct test_verdict run_variant_in(void (*body)(struct test_ctx *), int timeout_ms,
                                          const char *build_dir, enum build_variant build)
{
    static struct lab_test test;
    struct test_verdict result;

    test = (struct lab_test){.id = "unit",
                             .title = "unit",
                             .points = 7,
                             .run = body,
                             .timeout_ms = timeout_ms,
                             .build = build};
    run_test(&test, build_dir, &result);
    return result;
}

static struct test_verdict run_body_in(void (*body)(struct test_ctx *), int timeout_ms,
                                       const char *build_dir)
{
    return run_variant_in(body, timeout_ms, build_dir, BUILD_NORMAL);
}

static struct test_verdict run_variant(void (*body)(struct test_ctx *), int timeout_ms,
                                       enum build_variant build)
{
    return run_variant_in(body, timeout_ms, "/bin", build);
}

static struct test_verdict run_body(void (*body)(struct test_ctx *), int timeout_ms)
{
    return run_body_in(body, timeout_ms, "/bin");
}

/* A NULL-terminated list of texts. */
#define TEXTS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* R has STATUS, and each of IN_MESSAGE in its message and each of
 * IN_OUTPUT in its output (TEXTS lists, or NULL for none). */
static void expect_verdict(const struct test_verdict *r, enum test_status status,
                           const char *const *in_message, const char *const *in_output)
{
    ck_assert_msg(r->status == status, "status %d, not %d: %s\n%s", (int)r->status, (int)status,
                  r->message, r->output);
    for (size_t i = 0; in_message != NULL && in_message[i] != NULL; i++)
        ck_assert_msg(strstr(r->message, in_message[i]) != NULL, "no \"%s\" in the message: %s",
                      in_message[i], r->message);
    for (size_t i = 0; in_output != NULL && in_output[i] != NULL; i++)
        ck_assert_msg(strstr(r->output, in_output[i]) != NULL, "no \"%s\" in the output: %s",
                      in_output[i], r->output);
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
    expect_verdict(&r, STATUS_TIMED_OUT, TEXTS("did not finish"), NULL);
    ck_assert_int_eq(r.score, 0);
}
END_TEST

START_TEST(a_test_process_that_dies_fails_with_a_reason)
{
    struct test_verdict r = run_body(crashes, 0);
    expect_verdict(&r, STATUS_FAILED, TEXTS("killed"), NULL);
}
END_TEST

START_TEST(a_failed_expectation_shows_the_transcript)
{
    struct test_verdict r = run_body(runs_a_failing_program, 0);
    expect_verdict(&r, STATUS_FAILED, TEXTS("should exit with status 0", "exited with status 3"),
                   TEXTS("| oops"));
}
END_TEST

START_TEST(a_wrong_line_is_shown_against_the_expected_one)
{
    struct test_verdict r = run_body(prints_a_wrong_line, 0);
    /* Both lines, in quotes, the tab and trailing space visible, and a
     * marker under the first difference (column 8 after the quote). */
    expect_verdict(&r, STATUS_FAILED, TEXTS("line 2 of"),
                   TEXTS("expected: \"second line\"\n", "actual:   \"second\\tline \"\n",
                         "                 ^ first difference"));
}
END_TEST

START_TEST(untrusted_output_cannot_act_on_a_terminal)
{
    struct test_verdict r = run_body(prints_escape_sequences, 0);
    expect_verdict(&r, STATUS_FAILED, NULL, TEXTS("| \\e[2J\\e[HTOTAL: 105/105\\r"));
    ck_assert_ptr_null(strchr(r.output, '\033'));
    ck_assert_ptr_null(strchr(r.output, '\r'));
}
END_TEST

START_TEST(a_required_error_is_the_last_stderr_line)
{
    struct test_verdict r = run_body(reports_the_last_stderr_line, 0);
    expect_verdict(&r, STATUS_FAILED, TEXTS("the last line", "cleaning up"), NULL);
}
END_TEST

START_TEST(a_limit_that_cannot_be_applied_is_a_grader_error)
{
    /* Without CAP_SYS_RESOURCE, a hard limit below the students' cannot
     * be raised again: confinement fails, and the program must not run
     * with fewer limits than the report claims. */
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct caps[2];
    struct rlimit low = {.rlim_cur = 64, .rlim_max = 64};

    ck_assert_int_eq(syscall(SYS_capget, &header, caps), 0);
    caps[0].effective &= ~(1u << CAP_SYS_RESOURCE);
    caps[0].permitted &= ~(1u << CAP_SYS_RESOURCE);
    ck_assert_int_eq(syscall(SYS_capset, &header, caps), 0);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);

    struct test_verdict r = run_body(runs_a_failing_program, 0);
    ck_assert_int_eq(r.status, STATUS_GRADER_ERROR);
    ck_assert_int_eq(r.score, 0);
    ck_assert_ptr_nonnull(strstr(r.message, "setrlimit(RLIMIT_NOFILE)"));
    ck_assert_ptr_null(strstr(r.output, "oops"));
}
END_TEST

START_TEST(programs_run_under_their_limits)
{
    struct test_verdict r = run_body(shows_its_limits, 0);
    expect_verdict(&r, STATUS_PASSED, NULL, NULL);
}
END_TEST

START_TEST(programs_may_not_use_keyrings_or_push_terminal_input)
{
    struct test_verdict r = run_body(tries_keyrings_and_terminal_input, 0);
    expect_verdict(&r, STATUS_PASSED, NULL, NULL);
}
END_TEST

/* Load a filter into this process (the test's own, forked by Check) that
 * answers every later attempt to load one with ERRNO: EPERM (the kernel
 * refuses) or 0 (it claims success and loads nothing). */
static void answer_seccomp_with(int error)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    ck_assert_int_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(error), SCMP_SYS(seccomp), 0), 0);
    ck_assert_int_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(error), SCMP_SYS(prctl), 1,
                                      SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP)),
                     0);
    ck_assert_int_eq(seccomp_load(ctx), 0);
    seccomp_release(ctx);
}

/* With the kernel answering seccomp with ERROR, a program is never run:
 * the test is the grader's error, saying SAYS. */
static void no_program_runs_when_seccomp_answers(int error, const char *says)
{
    answer_seccomp_with(error);
    struct test_verdict r = run_body(runs_a_failing_program, 0);
    ck_assert_int_eq(r.status, STATUS_GRADER_ERROR);
    ck_assert_int_eq(r.score, 0);
    ck_assert_msg(strstr(r.message, says) != NULL, "%s", r.message);
    ck_assert_ptr_null(strstr(r.output, "oops"));
}

START_TEST(a_system_call_filter_that_cannot_be_loaded_is_a_grader_error)
{
    no_program_runs_when_seccomp_answers(EPERM, "seccomp filter");
}
END_TEST

START_TEST(a_system_call_filter_that_does_not_take_is_a_grader_error)
{
    no_program_runs_when_seccomp_answers(0, "did not take");
}
END_TEST

/* The preload library, written out of the grader as a grading run does. */
static void use_perturb_library(void)
{
    char work[] = "/tmp/shmlab-unit-XXXXXX", why[512];

    ck_assert_ptr_nonnull(mkdtemp(work));
    ck_assert_msg(prepare_injected_library(work, why, sizeof(why)), "%s", why);
}

/* BODY, a test of the preload library's stop points, passes. */
static void passes_with_perturb_library(void (*body)(struct test_ctx *))
{
    use_perturb_library();
    struct test_verdict r = run_body(body, 0);
    expect_verdict(&r, STATUS_PASSED, NULL, NULL);
}

START_TEST(a_program_stops_itself_where_the_test_asks)
{
    passes_with_perturb_library(stops_after_its_first_line);
}
END_TEST

START_TEST(a_program_stops_itself_before_it_waits)
{
    passes_with_perturb_library(stops_before_it_waits);
}
END_TEST

START_TEST(a_program_pauses_where_it_sleeps_for_as_long_as_the_test_likes)
{
    passes_with_perturb_library(pauses_where_it_sleeps);
}
END_TEST

START_TEST(a_call_fails_where_the_test_asks)
{
    passes_with_perturb_library(fails_the_call_it_names);
}
END_TEST

START_TEST(a_program_that_waits_on_memory_is_told_from_one_that_goes_on)
{
    struct test_verdict r = run_body(tells_waiting_from_going_on, 0);
    expect_verdict(&r, STATUS_PASSED, NULL, NULL);
}
END_TEST

START_TEST(a_failing_schedule_names_its_seed)
{
    use_perturb_library();
    struct test_verdict r = run_body(fails_under_a_schedule, 0);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    /* The seeds are fixed per test: the third is the first plus two. */
    ck_assert_ptr_nonnull(strstr(r.message, "the third schedule fails (under schedule "));
    ck_assert_ptr_nonnull(strstr(r.message, "`--seed "));
    long seed = strtol(strstr(r.message, "schedule ") + 9, NULL, 10);
    struct test_verdict again = run_body(fails_under_a_schedule, 0);
    ck_assert_int_eq(strtol(strstr(again.message, "schedule ") + 9, NULL, 10), seed);
}
END_TEST

/* The test learnt a segment id 0, and passes it as the second argument; the
 * first is a literal 0 (a count, an interval). */
static void passes_a_learnt_number_and_an_equal_literal(struct test_ctx *t)
{
    replay_value(t, 0, "segment_id");
    expect_run(t, ARGS("true", "0", learnt_number_arg(t, 0)), EXIT(0));
}

/* In the replay script, an argument made from a learnt number is the
 * variable that holds it; a literal equal to it stays a literal (else a
 * replay on another machine, where the segment's id differs, would pass
 * that id as the count). */
START_TEST(a_replayed_argument_is_a_variable_only_where_the_test_learnt_it)
{
    struct test_verdict r = run_body(passes_a_learnt_number_and_an_equal_literal, 10000);

    expect_verdict(&r, STATUS_PASSED, NULL, NULL);
    ck_assert_ptr_nonnull(r.replay);
    ck_assert_msg(strstr(r.replay, "./true 0 \"$segment_id\"") != NULL, "replay:\n%s", r.replay);
    test_verdict_free(&r);
}
END_TEST

START_TEST(a_data_race_names_both_lines_and_programs)
{
    struct test_verdict r = run_variant(races, 0, BUILD_THREADS);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    ck_assert_ptr_nonnull(strstr(r.message, "ThreadSanitizer found a data race: a read in "
                                            "`consumer` at channel.h:34 (channel_wait), called "
                                            "from consumer.c:52 (main) and a write in `producer` "
                                            "at channel.h:40 (channel_set), called from "
                                            "producer.c:78 (main)"));
    /* The report's lines in the student's files, paths relative to the
     * lab; not the driver's (../common) or the runtime's. */
    ck_assert_ptr_nonnull(strstr(r.output, "| SUMMARY: ThreadSanitizer: data race channel.h:34 "
                                           "in channel_wait\n"));
    ck_assert_ptr_nonnull(strstr(r.output, "|   Thread T2 'consumer' (tid=5, running)\n"));
    ck_assert_ptr_null(strstr(r.output, "threads.c"));
    ck_assert_ptr_null(strstr(r.output, "pthread_create"));
    /* The transcript shows stderr up to the report, not the report again. */
    ck_assert_ptr_nonnull(strstr(r.output, "| [consumer] consumer: starting\n"));
    ck_assert_ptr_null(strstr(r.output, "| =================="));
    /* A step that fails because the program stopped at the report says so. */
    r = run_variant(races_before_its_line, 0, BUILD_THREADS);
    ck_assert_ptr_nonnull(strstr(r.message, "ThreadSanitizer found a data race"));
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

/* A build folder of its own: the shell (linked) and a file of notes. */
static void make_build_folder(char *dir)
{
    char path[4096];
    FILE *notes;

    strcpy(dir, "/tmp/shmlab-unit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sh", dir);
    ck_assert_int_eq(symlink("/bin/sh", path), 0);
    snprintf(path, sizeof(path), "%s/sh-notes", dir);
    notes = fopen(path, "w");
    ck_assert_ptr_nonnull(notes);
    fclose(notes);
}

static void remove_build_folder(const char *dir)
{
    ck_assert_int_eq(remove_tree(dir, NULL), 0);
}

/* The verdict of the channel check on a writer that runs SCRIPT. */
static struct test_verdict channels_after(const char *script, const char *dir)
{
    writer_script = script;
    return run_body_in(writes_then_checks_channels, 0, dir);
}

START_TEST(only_the_object_can_carry_the_message)
{
    char dir[64];
    struct test_verdict r;

    make_build_folder(dir);
    r = channels_after("echo written", dir);
    ck_assert_msg(r.status == STATUS_PASSED, "%s", r.message);
    r = channels_after("echo hello > .copy", dir);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    ck_assert_msg(strstr(r.message, "a file \".copy\" in the working folder") != NULL, "%s",
                  r.message);
    r = channels_after("echo hello >> sh-notes", dir);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    ck_assert_msg(strstr(r.message, "a change to the file \"sh-notes\"") != NULL, "%s", r.message);
    r = channels_after("sleep 30 >/dev/null 2>&1 & exit 0", dir);
    ck_assert_int_eq(r.status, STATUS_FAILED);
    /* "sh" or "sleep": the background shell may not have run sleep yet. */
    ck_assert_msg(strstr(r.message, "a process \"s") != NULL && strstr(r.message, "still running"),
                  "%s", r.message);
    remove_build_folder(dir);
}
END_TEST

/* Valgrind logs, as memcheck writes them. */
static const char LEAK_LOG[] =
    "==14662== Memcheck, a memory error detector\n"
    "==14662== Command: ./reader /lk\n"
    "==14662== \n"
    "==14662== HEAP SUMMARY:\n"
    "==14662==     in use at exit: 6 bytes in 1 blocks\n"
    "==14662== \n"
    "==14662== 1,024 bytes in 1 blocks are definitely lost in loss record 1 of 1\n"
    "==14662==    at 0x48417B4: malloc (vg_replace_malloc.c:381)\n"
    "==14662==    by 0x109245: main (/tmp/build/reader.c:50)\n"
    "==14662== \n"
    "==14662== ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 0 from 0)\n";

static const char READ_LOG[] =
    "==7== Invalid read of size 1\n"
    "==7==    at 0x484ED16: strlen (/build/valgrind/memcheck/../shared/vg_replace_strmem.c:494)\n"
    "==7==    by 0x48E5D30: __vfprintf_internal (./stdio-common/vfprintf-internal.c:1688)\n"
    "==7==    by 0x1092A1: main (/tmp/build/reader.c:41)\n"
    "==7==  Address 0x4a4f0a0 is 0 bytes after a block of size 16 alloc'd\n"
    "==7== \n"
    "==7== ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 0 from 0)\n";

START_TEST(a_valgrind_report_shows_the_error_and_the_students_line)
{
    struct valgrind_report r;

    read_valgrind_log(LEAK_LOG, "/tmp/build", &r);
    ck_assert(r.summary);
    ck_assert_int_eq(r.errors, 1);
    ck_assert_str_eq(r.first, "1,024 bytes in 1 blocks are definitely lost (allocated, and never "
                              "freed), at main (reader.c:50)");
    ck_assert_ptr_nonnull(strstr(r.block, "| by 0x109245: main (/tmp/build/reader.c:50)"));

    read_valgrind_log(READ_LOG, "/tmp/build", &r);
    /* The first frame in the student's files, past valgrind's strlen and
     * the C library's vfprintf. */
    ck_assert_str_eq(r.first, "Invalid read of size 1, at main (reader.c:41)");
    ck_assert_ptr_nonnull(strstr(r.log, "| Invalid read of size 1"));
    ck_assert_ptr_null(strstr(r.log, "ERROR SUMMARY"));
}
END_TEST

/* The program shares valgrind's descriptor: lines it adds cannot take
 * valgrind's errors away, and a report without its summary is known. */
START_TEST(a_valgrind_report_cannot_be_forged_down)
{
    struct valgrind_report r;
    char *forged = xasprintf("%s==14662== ERROR SUMMARY: 0 errors from 0 contexts\n", LEAK_LOG);

    read_valgrind_log(forged, "/tmp/build", &r);
    free(forged);
    ck_assert_int_eq(r.errors, 1);
    read_valgrind_log("==9== ERROR SUMMARY: 0 errors from 0 contexts\n==9== Invalid write of size "
                      "4\n==9==    at 0x1: main (/tmp/build/writer.c:3)\n",
                      "/tmp/build", &r);
    ck_assert_int_eq(r.errors, 1);
    read_valgrind_log("==9== Memcheck, a memory error detector\n", "/tmp/build", &r);
    ck_assert(!r.summary);
    ck_assert_int_eq(r.errors, 0);
}
END_TEST

/* How many test bodies ran, in memory every test process shares. */
static int *bodies_run;

static void counts_and_passes(struct test_ctx *t)
{
    __atomic_add_fetch(bodies_run, 1, __ATOMIC_SEQ_CST);
    passes(t);
}

static void counts_and_fails(struct test_ctx *t)
{
    __atomic_add_fetch(bodies_run, 1, __ATOMIC_SEQ_CST);
    check(t, false, "broken");
}

static void starts_a_sleeper_and_hangs(struct test_ctx *t)
{
    start(t, ARGS("sleep", "1000"));
    hangs(t);
}

/* Tests A (fails), B (needs A), C (needs B), D (needs E, which passes), E. */
START_TEST(a_test_whose_needs_failed_is_skipped_and_never_run)
{
    static const struct lab_test tests[] = {
        {.id = "a", .title = "a", .points = 1, .run = counts_and_fails},
        {.id = "b", .title = "b", .points = 2, .run = counts_and_passes, .needs = "a"},
        {.id = "c", .title = "c", .points = 3, .run = counts_and_passes, .needs = "b"},
        {.id = "e", .title = "e", .points = 4, .run = counts_and_passes},
        {.id = "d", .title = "d", .points = 5, .run = counts_and_passes, .needs = "e"},
    };
    struct test_verdict results[5];
    struct test_job jobs[5];

    bodies_run = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(bodies_run, MAP_FAILED);
    for (size_t i = 0; i < 5; i++)
        jobs[i] = (struct test_job){.test = &tests[i], .build_dir = "/bin", .result = &results[i]};
    jobs[1].needs[jobs[1].n_needs++] = &results[0];
    jobs[2].needs[jobs[2].n_needs++] = &results[1];
    jobs[4].needs[jobs[4].n_needs++] = &results[3];
    /* One at a time: without namespaces (as here), the cleanup after a
     * test ends every other test's processes too (test_parallelism). */
    run_tests(jobs, 5, 1, NULL);
    ck_assert_int_eq(*bodies_run, 3); /* a, e and d */
    ck_assert_int_eq(results[0].status, STATUS_FAILED);
    ck_assert_int_eq(results[1].status, STATUS_NOT_RUN);
    ck_assert_int_eq(results[1].score, 0);
    ck_assert_int_eq(results[1].max_score, 2);
    ck_assert_str_eq(results[1].message, "skipped: needs a, which failed");
    ck_assert_str_eq(results[2].message, "skipped: needs b, which did not run either");
    ck_assert_int_eq(results[3].status, STATUS_PASSED);
    ck_assert_int_eq(results[4].status, STATUS_PASSED);
    ck_assert_int_eq(results[4].score, 5);
}
END_TEST

static void stop_at_first_tick(const struct test_progress *running, size_t n, void *arg)
{
    (void)arg;
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(running[0].id, "hangs");
    runner_stop();
}

/* Ctrl-C: the test running is killed with what it started, no other
 * starts, and every verdict says so. */
START_TEST(a_stopped_run_ends_its_tests_and_starts_no_more)
{
    static const struct lab_test tests[] = {
        {.id = "hangs",
         .title = "h",
         .points = 1,
         .run = starts_a_sleeper_and_hangs,
         .timeout_ms = 20000},
        {.id = "after", .title = "a", .points = 1, .run = passes},
    };
    struct test_verdict results[2];
    struct test_job jobs[2] = {{.test = &tests[0], .build_dir = "/bin", .result = &results[0]},
                               {.test = &tests[1], .build_dir = "/bin", .result = &results[1]}};
    struct run_observer observer = {.tick = stop_at_first_tick};
    struct task_info *left;
    long long began = now_ms();

    run_tests(jobs, 2, 1, &observer);
    ck_assert(runner_stopped());
    ck_assert_int_lt(now_ms() - began, 10000);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(results[i].status, STATUS_NOT_RUN);
        ck_assert_ptr_nonnull(strstr(results[i].message, "interrupted"));
    }
    ck_assert_int_eq(list_descendants(&left), 0);
    free(left);
}
END_TEST

Suite *runner_suite(void)
{
    return SUITE_OF(
        "runner", 60, a_passing_test_gets_its_points,
        the_first_failure_is_the_message_all_are_in_the_output, require_ends_the_test,
        a_test_past_its_limit_times_out, a_test_process_that_dies_fails_with_a_reason,
        a_failed_expectation_shows_the_transcript, names_handed_out_are_removed_after_the_test,
        a_wrong_line_is_shown_against_the_expected_one, untrusted_output_cannot_act_on_a_terminal,
        a_required_error_is_the_last_stderr_line, a_limit_that_cannot_be_applied_is_a_grader_error,
        programs_run_under_their_limits, programs_may_not_use_keyrings_or_push_terminal_input,
        a_system_call_filter_that_cannot_be_loaded_is_a_grader_error,
        a_system_call_filter_that_does_not_take_is_a_grader_error,
        a_program_stops_itself_where_the_test_asks, a_program_stops_itself_before_it_waits,
        a_call_fails_where_the_test_asks,
        a_program_pauses_where_it_sleeps_for_as_long_as_the_test_likes,
        a_program_that_waits_on_memory_is_told_from_one_that_goes_on,
        a_failing_schedule_names_its_seed, only_the_object_can_carry_the_message,
        a_valgrind_report_shows_the_error_and_the_students_line,
        a_valgrind_report_cannot_be_forged_down, a_data_race_names_both_lines_and_programs,
        a_replayed_argument_is_a_variable_only_where_the_test_learnt_it,
        a_test_whose_needs_failed_is_skipped_and_never_run,
        a_stopped_run_ends_its_tests_and_starts_no_more);
}
