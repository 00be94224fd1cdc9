/* check_proc.c - child processes: capture, waiting, ending, the tree. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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
    ck_assert_str_eq(proc_describe_end(p).text, "exited with status 3");
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

    char *line = proc_await_line(p, "^id [0-9]+$", 10000);

    ck_assert_str_eq(line, "id 42");
    free(line);
    ck_assert(proc_write_line(p, "more"));
    line = proc_await_line(p, "^then", 10000);
    ck_assert_str_eq(line, "then more");
    free(line);
    /* Past the end of output, no line matches. */
    ck_assert_ptr_null(proc_await_line(p, "never", 10000));
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
    ck_assert_str_eq(proc_describe_end(p).text, "is still running");
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
    ck_assert_ptr_nonnull(strstr(proc_describe_end(p).text, "SIGSEGV"));
    /* Returned by value: two in one call do not overwrite each other. */
    ck_assert_str_eq(signal_name(SIGBUS).text, "SIGBUS");
    char both[64];
    snprintf(both, sizeof(both), "%s %s", signal_name(SIGINT).text, signal_name(SIGTERM).text);
    ck_assert_str_eq(both, "SIGINT SIGTERM");
    proc_free(p);
}
END_TEST

START_TEST(a_flood_of_output_keeps_head_and_tail)
{
    struct proc *p = sh("head -c 1000000 /dev/zero | tr '\\0' a; echo; echo LAST", NULL);
    char *text;
    size_t len;

    ck_assert(proc_wait(p, 30000));
    ck_assert_uint_eq(p->out.total, 1000000 + 1 + 5);
    ck_assert_uint_eq(p->out.head_len, CAPTURE_HEAD_CAP);
    text = capture_text(&p->out);
    ck_assert_ptr_nonnull(strstr(text, "bytes cut"));
    ck_assert_ptr_nonnull(strstr(text, "LAST\n"));
    free(text);
    text = capture_last_bytes(&p->out, &len);
    ck_assert_uint_eq(len, CAPTURE_TAIL_CAP);
    ck_assert_str_eq(text + len - 7, "a\nLAST\n");
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

START_TEST(every_wait_drains_every_program)
{
    /* FLOOD writes a megabyte to stderr before it can end; WATCHER says
     * "after" once FLOOD has ended. Waiting for WATCHER's line alone must
     * drain FLOOD's pipe, or FLOOD blocks on it and the line never comes. */
    struct proc *flood = sh("head -c 1000000 /dev/zero >&2; exit 0", NULL);
    char script[128], *line;
    struct proc *watcher;

    snprintf(script, sizeof(script), "tail --pid=%d -f /dev/null; echo after", (int)flood->pid);
    watcher = sh(script, NULL);
    line = proc_await_line(watcher, "^after$", 30000);
    ck_assert_ptr_nonnull(line);
    free(line);
    ck_assert(proc_wait(flood, 10000));
    ck_assert_uint_eq(flood->err.total, 1000000);
    proc_free(watcher);
    proc_free(flood);
}
END_TEST

static bool count_line(const char *line, void *arg)
{
    (void)line;
    ++*(long *)arg;
    return true;
}

START_TEST(following_stdout_drains_stderr)
{
    /* One line of stderr per line of stdout, far past a pipe's 64 KiB:
     * the old bug left stderr unread while stdout was followed. */
    struct proc *p = sh("i=0; while [ $i -lt 5000 ]; do echo \"debug line $i of a chatty "
                        "program\" >&2; echo $i; i=$((i+1)); done",
                        NULL);
    long lines = 0;

    ck_assert_int_eq(proc_follow_stdout(p, 30000, 60000, count_line, &lines), FOLLOW_EOF);
    ck_assert_int_eq(lines, 5000);
    ck_assert(proc_wait(p, 10000));
    ck_assert_uint_gt(p->err.total, 5000 * 20);
    proc_free(p);
}
END_TEST

/* Lines a follower saw, joined by '|'; it stops at the line STOP. */
struct followed {
    char seen[256];
    const char *stop;
};

static bool note_line(const char *line, void *arg)
{
    struct followed *f = arg;
    size_t used = strlen(f->seen);

    snprintf(f->seen + used, sizeof(f->seen) - used, "%s%s", used > 0 ? "|" : "", line);
    return f->stop == NULL || strcmp(line, f->stop) != 0;
}

/* proc_await_line() finds EXPECTED for PATTERN. */
static void expect_awaited(struct proc *p, const char *pattern, const char *expected)
{
    char *line = proc_await_line(p, pattern, 10000);

    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(line, expected);
    free(line);
}

START_TEST(following_starts_at_the_first_line_not_consumed)
{
    struct proc_opts opts = {.keep_stdin_open = true};
    struct proc *p = sh("echo one; echo two; read x; echo three", &opts);
    struct proc *other = sh("echo other", NULL);
    struct followed f = {.stop = NULL};

    expect_awaited(p, "^one$", "one");
    /* Any wait drains every program: "two" may be captured by now. */
    ck_assert(proc_wait(other, 10000));
    ck_assert(proc_write_line(p, "go"));
    ck_assert_int_eq(proc_follow_stdout(p, 10000, 10000, note_line, &f), FOLLOW_EOF);
    ck_assert_str_eq(f.seen, "two|three");
    proc_free(other);
    proc_free(p);
}
END_TEST

START_TEST(a_wait_after_following_starts_after_the_last_line_followed)
{
    struct proc *p = sh("echo a; echo b; echo c", NULL);
    struct followed f = {.stop = "b"};

    ck_assert(proc_wait(p, 10000)); /* everything is captured before the follower starts */
    ck_assert_int_eq(proc_follow_stdout(p, 10000, 10000, note_line, &f), FOLLOW_STOPPED);
    ck_assert_str_eq(f.seen, "a|b");
    expect_awaited(p, ".", "c");
    /* The transcript still has it all. */
    ck_assert_str_eq(p->out.head, "a\nb\nc\n");
    proc_free(p);
}
END_TEST

START_TEST(followed_output_is_kept_for_the_transcript)
{
    struct proc *p = sh("echo first; echo last", NULL);
    long lines = 0;

    ck_assert_int_eq(proc_follow_stdout(p, 10000, 10000, count_line, &lines), FOLLOW_EOF);
    ck_assert_int_eq(lines, 2);
    ck_assert_str_eq(p->out.head, "first\nlast\n");
    proc_free(p);
}
END_TEST

struct blocked {
    struct proc *p;
    long syscall;
};

static bool is_blocked(void *arg)
{
    struct blocked *b = arg;
    return process_is_blocked(b->p->pid, &b->syscall);
}

START_TEST(a_program_waiting_for_input_is_blocked_a_busy_one_is_not)
{
    struct proc_opts keep = {.keep_stdin_open = true};
    struct blocked reading = {.p = sh("read x", &keep)};
    struct blocked spinning = {.p = sh("while :; do :; done", NULL)};

    ck_assert(proc_wait_until(is_blocked, &reading, 10000));
    ck_assert_int_eq(reading.syscall, SYS_read);
    ck_assert(!proc_wait_until(is_blocked, &spinning, 300));
    proc_free(reading.p);
    proc_free(spinning.p);
}
END_TEST

START_TEST(programs_start_in_a_session_of_their_own_without_our_descriptors)
{
    struct proc_opts keep = {.keep_stdin_open = true};
    int fd = dup2(STDIN_FILENO, 57); /* not close-on-exec */
    struct proc *p = sh("test -e /proc/$$/fd/57 && echo leaked; read x", &keep);

    ck_assert_int_eq(fd, 57);
    ck_assert_int_eq(getsid(p->pid), p->pid);
    proc_close_stdin(p);
    ck_assert(proc_wait(p, 10000));
    close(fd);
    ck_assert_msg(p->out.total == 0, "descriptor 57 reached the program");
    proc_free(p);
}
END_TEST

static int refuse_to_confine(void *arg, char *why, size_t size)
{
    (void)arg;
    snprintf(why, size, "no limits today");
    return -1;
}

START_TEST(a_failed_confinement_never_runs_the_program)
{
    struct proc_opts opts = {.before_exec = refuse_to_confine};
    struct proc *p = sh("echo ran", &opts);

    ck_assert_ptr_nonnull(p->confine_error);
    ck_assert_str_eq(p->confine_error, "no limits today");
    ck_assert(proc_wait(p, 10000));
    ck_assert_uint_eq(p->out.total, 0);
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
                    escaped_daemons_are_killed_with_the_tree, every_wait_drains_every_program,
                    following_stdout_drains_stderr, following_starts_at_the_first_line_not_consumed,
                    a_wait_after_following_starts_after_the_last_line_followed,
                    followed_output_is_kept_for_the_transcript,
                    a_program_waiting_for_input_is_blocked_a_busy_one_is_not,
                    programs_start_in_a_session_of_their_own_without_our_descriptors,
                    a_failed_confinement_never_runs_the_program);
}
