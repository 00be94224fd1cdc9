/* check_proc.c - child processes: capture, waiting, ending, the tree. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/proc.h"
#include "suites.h"

static struct proc *sh(const char *script, const struct proc_opts *opts)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct proc *p = proc_spawn(argv, opts);
    ck_assert_ptr_nonnull(p);
    return p;
}

START_TEST(captures_stdout_and_stderr_apart)
{
    struct proc *p = sh("echo out; echo err >&2; exit 3", NULL);
    char line[64];

    ck_assert(proc_wait(p, 10000));
    ck_assert_int_eq(p->state, PROC_EXITED);
    ck_assert_int_eq(p->exit_code, 3);
    ck_assert(capture_line(&p->out, 0, line, sizeof(line)));
    ck_assert_str_eq(line, "out");
    ck_assert_str_eq(p->err.head, "err\n");
    ck_assert_str_eq(proc_describe_end(p), "exited with status 3");
    proc_free(p);
}
END_TEST

START_TEST(stdin_text_reaches_the_program)
{
    struct proc_opts opts = {.stdin_text = "hello"};
    struct proc *p = sh("read x; echo \"got $x\"", &opts);

    ck_assert(proc_wait(p, 10000));
    ck_assert_str_eq(p->out.head, "got hello\n");
    proc_free(p);
}
END_TEST

START_TEST(environment_is_clean_plus_extra)
{
    const char *env[] = {"SHMLAB_KEY=0x1234", NULL};
    struct proc_opts opts = {.env = env};
    struct proc *p;

    setenv("GRADER_SECRET", "leak", 1);
    p = sh("echo \"$SHMLAB_KEY/${GRADER_SECRET:-none}\"", &opts);
    ck_assert(proc_wait(p, 10000));
    ck_assert_str_eq(p->out.head, "0x1234/none\n");
    proc_free(p);
}
END_TEST

START_TEST(expect_line_waits_for_a_match_in_a_dialogue)
{
    struct proc_opts opts = {.keep_stdin_open = true};
    struct proc *p = sh("echo 'id 42'; read x; echo \"then $x\"", &opts);

    ck_assert_str_eq(proc_expect_line(p, "^id [0-9]+$", 10000), "id 42");
    ck_assert(proc_write_line(p, "more"));
    ck_assert_str_eq(proc_expect_line(p, "^then", 10000), "then more");
    /* Past the end of output, no line matches. */
    ck_assert_ptr_null(proc_expect_line(p, "never", 10000));
    ck_assert(proc_wait(p, 10000));
    proc_free(p);
}
END_TEST

START_TEST(a_hang_is_a_timeout_not_a_wait_forever)
{
    struct proc_opts opts = {.keep_stdin_open = true};
    struct proc *p = sh("read x", &opts);

    ck_assert(!proc_wait(p, 200));
    ck_assert_int_eq(p->state, PROC_RUNNING);
    ck_assert_str_eq(proc_describe_end(p), "is still running");
    proc_kill(p, SIGKILL);
    ck_assert_int_eq(p->state, PROC_SIGNALED);
    ck_assert_int_eq(p->signal, SIGKILL);
    proc_free(p);
}
END_TEST

START_TEST(a_crash_is_named_by_its_signal)
{
    struct proc *p = sh("kill -SEGV $$", NULL);

    ck_assert(proc_wait(p, 10000));
    ck_assert_int_eq(p->state, PROC_SIGNALED);
    ck_assert_ptr_nonnull(strstr(proc_describe_end(p), "SIGSEGV"));
    ck_assert_str_eq(signal_name(SIGBUS), "SIGBUS");
    proc_free(p);
}
END_TEST

START_TEST(a_flood_of_output_keeps_head_and_tail)
{
    struct proc *p = sh("head -c 1000000 /dev/zero | tr '\\0' a; echo; echo LAST", NULL);
    char *text;

    ck_assert(proc_wait(p, 30000));
    ck_assert_uint_eq(p->out.total, 1000000 + 1 + 5);
    ck_assert_uint_eq(p->out.head_len, CAPTURE_HEAD_CAP);
    text = capture_text(&p->out);
    ck_assert_ptr_nonnull(strstr(text, "bytes cut"));
    ck_assert_ptr_nonnull(strstr(text, "LAST\n"));
    free(text);
    text = capture_last_lines(&p->out, 1);
    ck_assert_str_eq(text, "LAST");
    free(text);
    proc_free(p);
}
END_TEST

START_TEST(a_missing_program_exits_127_and_says_why)
{
    const char *argv[] = {"/nonexistent/program", NULL};
    struct proc *p = proc_spawn(argv, NULL);

    ck_assert(proc_wait(p, 10000));
    ck_assert_int_eq(p->exit_code, 127);
    ck_assert_ptr_nonnull(strstr(p->err.head, "No such file"));
    proc_free(p);
}
END_TEST

START_TEST(long_arguments_are_shortened_in_messages)
{
    char arg[200];
    const char *argv[] = {"/bin/echo", "two words", arg, NULL};
    struct proc *p;

    memset(arg, 'x', sizeof(arg) - 1);
    arg[sizeof(arg) - 1] = '\0';
    p = proc_spawn(argv, NULL);
    ck_assert_ptr_nonnull(strstr(p->command, "echo 'two words' xxx"));
    ck_assert_ptr_nonnull(strstr(p->command, "...(199 bytes)"));
    proc_free(p);
}
END_TEST

START_TEST(escaped_daemons_are_killed_with_the_tree)
{
    /* A process in a session of its own that ignores SIGTERM and
     * outlives its parent: the classic daemon. */
    struct proc *p;
    pid_t daemon_pid;

    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    p = sh("setsid sh -c 'trap \"\" TERM; exec sleep 1000' </dev/null >/dev/null 2>&1 & "
           "echo $!",
           NULL);
    ck_assert(proc_wait(p, 10000));
    daemon_pid = (pid_t)atoi(p->out.head);
    ck_assert_int_gt(daemon_pid, 0);
    ck_assert_int_eq(kill(daemon_pid, 0), 0); /* it outlived its parent */
    ck_assert_int_ge(kill_all_descendants(), 1);
    /* Gone: not even a zombie of ours is left. */
    ck_assert_int_ne(kill(daemon_pid, 0), 0);
    ck_assert_int_eq(kill_all_descendants(), 0);
    proc_free(p);
}
END_TEST

Suite *proc_suite(void)
{
    return SUITE_OF("proc", 60, captures_stdout_and_stderr_apart, stdin_text_reaches_the_program,
                    environment_is_clean_plus_extra, expect_line_waits_for_a_match_in_a_dialogue,
                    a_hang_is_a_timeout_not_a_wait_forever, a_crash_is_named_by_its_signal,
                    a_flood_of_output_keeps_head_and_tail, a_missing_program_exits_127_and_says_why,
                    long_arguments_are_shortened_in_messages,
                    escaped_daemons_are_killed_with_the_tree);
}
