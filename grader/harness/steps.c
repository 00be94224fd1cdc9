/*
 * steps.c - running the student's programs, step by step, and checking
 * what each step promises. Every expectation that fails ends the test
 * (check50's chain: stop at the first failure), after showing the
 * program's transcript once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "harness/context.h"

/* Lines of each stream a transcript shows, and bytes of each line. */
#define TRANSCRIPT_LINES      15
#define TRANSCRIPT_LINE_BYTES 240

/* --- transcripts ------------------------------------------------------------- */

/* Where the last N lines of TEXT[0..LEN) start (a newline at the very
 * end closes the last line; it starts none). */
static size_t last_lines_start(const char *text, size_t len, size_t n)
{
    size_t pos = len > 0 && text[len - 1] == '\n' ? len - 1 : len, lines = 0;

    for (; pos > 0; pos--)
        if (text[pos - 1] == '\n' && ++lines == n)
            return pos;
    return 0;
}

/* The last TRANSCRIPT_LINES lines a stream carried: from its head, or, once
 * it carried more than the head holds (a program that printed much, or
 * whose output was followed), from its last bytes. */
static void show_stream(struct test_ctx *t, const char *label, const struct capture *c)
{
    bool cut = c->total > c->head_len;
    size_t len = c->head_len, from;
    char *last = cut ? capture_last_bytes(c, &len) : NULL;
    const char *text = cut ? last : c->head;

    if (c->total == 0) {
        record_append(t->rec, "    %s: (nothing)\n", label);
        return;
    }
    from = last_lines_start(text, len, TRANSCRIPT_LINES);
    if (cut && from == 0 && memchr(text, '\n', len) != NULL)
        from = (size_t)((const char *)memchr(text, '\n', len) - text) + 1; /* a line cut short */
    record_append(t->rec, "    %s%s:\n", label, from > 0 ? " (its last lines)" : "");
    while (from < len) {
        const char *nl = memchr(text + from, '\n', len - from);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t line_len = end - from;
        /* Untrusted bytes: every control character is shown, none acts. */
        char *shown = text_visible(
            text + from, line_len > TRANSCRIPT_LINE_BYTES ? TRANSCRIPT_LINE_BYTES : line_len,
            false);
        if (line_len > TRANSCRIPT_LINE_BYTES)
            record_append(t->rec, "      | %s... (%zu bytes in this line)\n", shown, line_len);
        else
            record_append(t->rec, "      | %s\n", shown);
        free(shown);
        from = end + 1;
    }
    if (len > 0 && text[len - 1] != '\n')
        record_append(t->rec, "      (no newline at the end)\n");
    if (cut)
        record_append(t->rec, "      (%zu bytes in all; only the last lines are shown)\n",
                      c->total);
    free(last);
}

/* Did P crash (a signal its own code raised, not one the test sent)? */
static bool crashed(const struct proc *p)
{
    static const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP};

    if (p->state != PROC_SIGNALED || p->timed_out)
        return false;
    for (size_t i = 0; i < ARRAY_LEN(crashes); i++)
        if (p->signal == crashes[i])
            return true;
    return false;
}

void show_transcript(struct test_ctx *t, struct proc *p)
{
    if (p->transcript_shown)
        return;
    p->transcript_shown = true;
    record_append(t->rec, "  $ ./%s\n", p->command);
    if (p->timed_out)
        record_append(t->rec, "    did not end in time and was killed\n");
    else
        record_append(t->rec, "    %s\n", proc_describe_end(p).text);
    if (crashed(p) && t->test->build == BUILD_NORMAL && !harness_options.valgrind)
        show_crash_place(t, p);
    show_valgrind_fault(t, p);
    show_stream(t, "stdout", &p->out);
    show_stream(t, "stderr", &p->err);
}

_Noreturn void fail_about(struct test_ctx *t, struct proc *p, const char *format, ...)
{
    va_list args;

    /* A program the sanitizer stopped failed for what it reported. */
    if (!p->transcript_shown && p->state != PROC_RUNNING && variant_report(t, p))
        test_end(t);
    va_start(args, format);
    record_failure(t, format, args);
    va_end(args);
    show_transcript(t, p);
    test_end(t);
}

/* Untrusted bytes for a message: quoted, every control character shown. */
static const char *visible(struct test_ctx *t, const char *data, size_t len)
{
    char *shown = text_visible(data, len, true);
    const char *kept = textf(t, "%s", shown);
    free(shown);
    return kept;
}

/* --- time ---------------------------------------------------------------------- */

/* A step's time: its own timeout, but never past the test's deadline. */
static int step_budget(struct test_ctx *t, int timeout_ms, bool *cut)
{
    long long left = t->deadline - now_ms();
    int wanted = scaled_timeout_ms(timeout_ms > 0 ? timeout_ms : DEFAULT_STEP_TIMEOUT_MS);

    *cut = left < wanted;
    if (!*cut)
        return wanted;
    return left > 0 ? (int)left : 0;
}

/* The step ran into the test's deadline: say where, and end the test. */
static _Noreturn void out_of_time(struct test_ctx *t, struct proc *p)
{
    int total = t->test->timeout_ms > 0 ? t->test->timeout_ms : DEFAULT_TEST_TIMEOUT_MS;

    t->rec->out_of_time = true;
    p->timed_out = true;
    proc_kill(p, SIGKILL);
    fail_about(t, p, "the test ran out of time (%.0f s in all) while %s",
               scaled_timeout_ms(total) / 1000.0, t->rec->step);
}

/* --- starting programs --------------------------------------------------------- */

/* Does one of ENTRIES set the variable that ENTRY ("NAME=VALUE") sets? */
static bool env_sets_same_name(const char *const *entries, const char *entry)
{
    size_t name_len = strcspn(entry, "=");

    for (size_t i = 0; entries != NULL && entries[i] != NULL; i++)
        if (strncmp(entries[i], entry, name_len + 1) == 0)
            return true;
    return false;
}

/* Does the test's program run under valgrind? Not a sanitizer build: a
 * sanitizer checks memory itself, and its runtime cannot run under
 * valgrind. */
static bool under_valgrind(const struct test_ctx *t)
{
    return harness_options.valgrind && t->test->build == BUILD_NORMAL;
}

/* The environment of one program: the test's entries, the step's, and
 * TMPDIR under valgrind (it keeps files there; the sandbox allows only
 * the build folder). */
#define PROGRAM_ENV_MAX (MAX_ENV * 2 + 14)
static void program_env(struct test_ctx *t, const struct step *step,
                        const char *env[PROGRAM_ENV_MAX])
{
    size_t n = 0;

    /* A step's ENV() wins over the test's (getenv() would find the
     * test's first). */
    for (size_t i = 0; i < t->n_env; i++)
        if (!env_sets_same_name(step->env, t->env[i]))
            env[n++] = t->env[i];
    for (size_t i = 0; step->env != NULL && step->env[i] != NULL && n < MAX_ENV * 2; i++)
        env[n++] = step->env[i];
    if (under_valgrind(t))
        env[n++] = textf(t, "TMPDIR=%s", t->build_dir);
    for (const char *const *entry = variant_env(t); *entry != NULL; entry++)
        env[n++] = *entry;
    add_perturb_env(t, step, env, &n);
    env[n] = NULL;
}

/* The replay line that starts program N as STEP says, with ENV. */
static void replay_start(struct test_ctx *t, size_t n, const struct step *step,
                         const char *const *env)
{
    struct strbuf line = {0};
    char *taken;

    strbuf_printf(&line, "program %zu", n);
    if (step->keep_stdin)
        strbuf_printf(&line, " --keep-stdin");
    else if (step->stdin_text != NULL)
        strbuf_printf(&line, " --stdin %s", shell_text(t, step->stdin_text));
    for (size_t i = 0; env[i] != NULL; i++) {
        const char *lib = harness_options.perturb_library;
        if (strncmp(env[i], "TMPDIR=", 7) == 0 && under_valgrind(t))
            continue; /* valgrind's, and the script runs no valgrind */
        if (lib != NULL && strncmp(env[i], "LD_PRELOAD=", 11) == 0 && strcmp(env[i] + 11, lib) == 0)
            strbuf_printf(&line, " --env \"LD_PRELOAD=$SHMLAB_PERTURB\"");
        else
            strbuf_printf(&line, " --env %s", shell_text(t, env[i]));
    }
    strbuf_printf(&line, " -- ./%s", shell_text(t, step->argv[0]));
    for (size_t i = 1; step->argv[i] != NULL; i++)
        strbuf_printf(&line, " %s", replay_arg(t, step->argv[i]));
    taken = strbuf_take(&line);
    replay_add(t, "%s", taken);
    free(taken);
}

/* Program P's number in the replay script (1 for the first started). */
static size_t replay_number(struct test_ctx *t, const struct proc *p)
{
    const struct test_program *program = program_of(t, p);
    return program != NULL ? (size_t)(program - t->programs) + 1 : 0;
}

/* Seconds of a step's TIMEOUT_MS (0: the default) for the replay script. */
static double replay_seconds(int timeout_ms)
{
    return (timeout_ms > 0 ? timeout_ms : DEFAULT_STEP_TIMEOUT_MS) / 1000.0;
}

/* A copy of the NULL-terminated LIST that lives until the test ends. */
static const char **kept_list(struct test_ctx *t, const char *const *list)
{
    size_t n = 0;
    const char **copy;

    while (list[n] != NULL)
        n++;
    copy = calloc(n + 1, sizeof(*copy));
    if (copy == NULL)
        grader_error(t, "internal: out of memory");
    for (size_t i = 0; i < n; i++)
        copy[i] = textf(t, "%s", list[i]);
    return copy;
}

/* How PROGRAM starts, to run it again if it crashes (crashes.c). */
static void remember_start(struct test_ctx *t, struct test_program *program,
                           const struct step *step, const char *const *env)
{
    program->argv = kept_list(t, step->argv);
    program->env = kept_list(t, env);
    program->input = (struct strbuf){0};
    if (step->stdin_text != NULL)
        strbuf_add(&program->input, step->stdin_text, strlen(step->stdin_text));
}

struct proc *step_start(struct test_ctx *t, const struct step *step)
{
    const char *args[64], *env[PROGRAM_ENV_MAX];
    struct proc_opts opts = {
        .stdin_text = step->stdin_text,
        .keep_stdin_open = step->keep_stdin,
        .cwd = t->build_dir,
        .env = env,
        .before_exec = sandbox_student_exec,
        .before_exec_arg = &t->exec,
        .output_limit = RUN_OUTPUT_LIMIT,
    };
    struct test_program *program;
    size_t n = 0;

    program_env(t, step, env);
    if (t->n_programs >= MAX_PROCS)
        grader_error(t, "internal: the test started too many programs");
    program = &t->programs[t->n_programs];
    if (t->checked_live == 0)
        replay_start(t, t->n_programs + 1, step, env);
    args[n++] = textf(t, "%s/%s", t->build_dir, step->argv[0]);
    while (step->argv[n] != NULL && n < ARRAY_LEN(args) - 1) {
        args[n] = step->argv[n];
        n++;
    }
    args[n] = NULL;
    remember_start(t, program, step, env);
    program->under_valgrind = under_valgrind(t);
    if (program->under_valgrind) {
        opts.wrapper = valgrind_wrapper(t);
        opts.tool_output = true;
    }
    program->proc = proc_spawn(args, &opts);
    if (program->proc == NULL)
        grader_error(t, "internal: cannot start %s: %s", step->argv[0], strerror(errno));
    t->n_programs++;
    if (program->proc->confine_error != NULL)
        grader_error(t, "internal: cannot confine %s, so it was not run: %s", step->argv[0],
                     program->proc->confine_error);
    return program->proc;
}

/* --- expectations at the end ------------------------------------------------- */

/* Lines of stderr that are not empty, and the last of them. */
static size_t stderr_lines(const struct proc *p, const char **last, size_t *last_len)
{
    size_t start, len, n = 0;

    *last = NULL;
    *last_len = 0;
    for (size_t i = 0; capture_line_span(&p->err, i, &start, &len); i++) {
        if (len == 0)
            continue;
        n++;
        *last = p->err.head + start;
        *last_len = len;
    }
    return n;
}

static bool contains(const char *text, size_t len, const char *needle)
{
    return memmem(text, len, needle, strlen(needle)) != NULL;
}

/* Does TEXT name one of CALLS ("semop|semtimedop")? */
static bool names_call(const char *text, size_t len, const char *calls)
{
    for (const char *call = calls;; call++) {
        size_t call_len = strcspn(call, "|");
        if (memmem(text, len, call, call_len) != NULL)
            return true;
        call += call_len;
        if (*call == '\0')
            return false;
    }
}

/* " (semop or semtimedop)" for the calls "semop|semtimedop"; "" for any. */
static const char *calls_named(struct test_ctx *t, const char *calls)
{
    struct strbuf text = {0};
    char *taken;
    const char *kept;

    if (calls == NULL)
        return "";
    strbuf_printf(&text, " (");
    for (const char *call = calls;; call++) {
        size_t call_len = strcspn(call, "|");
        strbuf_printf(&text, "%.*s", (int)call_len, call);
        call += call_len;
        if (*call == '\0')
            break;
        strbuf_printf(&text, " or ");
    }
    strbuf_printf(&text, ")");
    taken = strbuf_take(&text);
    kept = textf(t, "%s", taken);
    free(taken);
    return kept;
}

bool wait_end(struct test_ctx *t, struct proc *p, int timeout_ms)
{
    bool cut;
    int budget;

    if (t->checked_live == 0)
        replay_add(t, "wait_end %zu %g", replay_number(t, p), replay_seconds(timeout_ms));
    if (has_ended(p))
        return true;
    set_step(t, "waiting for `%s` to end", p->command);
    budget = step_budget(t, timeout_ms, &cut);
    if (!proc_wait(p, budget) && cut)
        out_of_time(t, p);
    t->rec->step[0] = '\0';
    return p->state != PROC_RUNNING;
}

/* Wait for P to end within the step's time; a hang fails the test. */
static void await_end(struct test_ctx *t, struct proc *p, int timeout_ms)
{
    if (wait_end(t, p, timeout_ms))
        return;
    p->timed_out = true;
    proc_kill(p, SIGKILL);
    fail_about(t, p,
               "`%s` did not end within %.1f s (it hangs, or waits for something that never "
               "comes)",
               p->command,
               scaled_timeout_ms(timeout_ms > 0 ? timeout_ms : DEFAULT_STEP_TIMEOUT_MS) / 1000.0);
}

/* The replay lines of what STEP expects of program N at its end. */
static void replay_expectations(struct test_ctx *t, size_t n, const struct step *step)
{
    replay_add(t, "expect_end %zu %g", n, replay_seconds(step->timeout_ms));
    if (step->usage)
        replay_add(t, "expect_usage %zu", n);
    if (step->check_exit)
        replay_add(t, "expect_exit %zu %d", n, step->exit_status);
    if (step->check_error)
        replay_add(t, "expect_error %zu %s %s", n,
                   shell_text(t, step->error_call ? step->error_call : ""),
                   shell_text(t, strerror(step->error_errno)));
    if (step->error_mentions != NULL)
        replay_add(t, "expect_error_mentions %zu %s", n, shell_text(t, step->error_mentions));
    if (step->error_said)
        replay_add(t, "expect_error_said %zu", n);
    if (step->no_stdout)
        replay_add(t, "expect_no_stdout %zu", n);
    if (step->stdout_text != NULL)
        replay_add(t, "expect_stdout %zu %s", n, shell_text(t, step->stdout_text));
    if (step->stdout_has != NULL) {
        struct strbuf line = {0};
        strbuf_printf(&line, "expect_stdout_has %zu", n);
        for (size_t i = 0; step->stdout_has[i] != NULL; i++)
            strbuf_printf(&line, " %s", shell_text(t, step->stdout_has[i]));
        char *taken = strbuf_take(&line);
        replay_add(t, "%s", taken);
        free(taken);
    }
}

void step_expect_end(struct test_ctx *t, struct proc *p, const struct step *step)
{
    const char *last;
    size_t last_len;

    if (t->checked_live == 0)
        replay_expectations(t, replay_number(t, p), step);
    t->checked_live++;
    await_end(t, p, step->timeout_ms);
    if (variant_report(t, p))
        test_end(t);
    if (step->usage) {
        if (p->state != PROC_EXITED || p->exit_code != 2)
            fail_about(t, p, "`%s` is a usage error: it should exit with status 2, but it %s",
                       p->command, proc_describe_end(p).text);
        if (stderr_lines(p, &last, &last_len) == 0)
            fail_about(t, p,
                       "`%s` is a usage error: it should say what is wrong on stderr, but it "
                       "printed nothing there",
                       p->command);
        if (p->out.total > 0)
            fail_about(t, p, "`%s` is a usage error: it should print nothing on stdout",
                       p->command);
    }
    if (step->check_exit && (p->state != PROC_EXITED || p->exit_code != step->exit_status))
        fail_about(t, p, "`%s` should exit with status %d, but it %s", p->command,
                   step->exit_status, proc_describe_end(p).text);
    if (step->check_error) {
        const char *reason = strerror(step->error_errno);
        const char *calls = calls_named(t, step->error_call);
        if (stderr_lines(p, &last, &last_len) == 0)
            fail_about(t, p,
                       "`%s` should report the failure on stderr, naming the call%s and its "
                       "error \"%s\", but it printed nothing there",
                       p->command, calls, reason);
        if ((step->error_call != NULL && !names_call(last, last_len, step->error_call)) ||
            !contains(last, last_len, reason))
            fail_about(t, p,
                       "the last line `%s` prints on stderr should name the call%s and its "
                       "error \"%s\" (strerror), but it is: %s",
                       p->command, calls, reason,
                       visible(t, last, last_len > 300 ? 300 : last_len));
    }
    if (step->error_mentions != NULL) {
        if (stderr_lines(p, &last, &last_len) == 0)
            fail_about(t, p,
                       "`%s` should say what is wrong on stderr (mentioning \"%s\"), but "
                       "it printed nothing there",
                       p->command, step->error_mentions);
        if (!contains(last, last_len, step->error_mentions))
            fail_about(t, p,
                       "the last line `%s` prints on stderr should mention \"%s\", but it is: %s",
                       p->command, step->error_mentions,
                       visible(t, last, last_len > 300 ? 300 : last_len));
    }
    if (step->error_said && stderr_lines(p, &last, &last_len) == 0)
        fail_about(t, p, "`%s` should say on stderr what went wrong, but it printed nothing there",
                   p->command);
    if (step->no_stdout && p->out.total > 0)
        fail_about(t, p, "`%s` should print nothing on stdout", p->command);
    if (step->stdout_text != NULL && !stdout_matches(t, p, step->stdout_text)) {
        show_transcript(t, p);
        test_end(t);
    }
    if (step->stdout_has != NULL && !stdout_has_lines(t, p, step->stdout_has)) {
        show_transcript(t, p);
        test_end(t);
    }
    t->checked_live--;
}

struct proc *step_run(struct test_ctx *t, const struct step *step)
{
    struct proc *p = step_start(t, step);
    step_expect_end(t, p, step);
    return p;
}

bool has_ended(struct proc *p)
{
    return p->state != PROC_RUNNING || proc_wait(p, 0);
}

/* --- while it runs ---------------------------------------------------------- */

/*
 * Why a line awaited from P, still running, never came, when its output
 * shows it: nothing reached the pipe (printf output waits in a buffer
 * until fflush when stdout is no terminal, so an interactive program that
 * looks fine by hand says nothing to the grader), or its last output is
 * a line without its newline. "" when neither.
 */
static const char *silence_reason(const struct proc *p)
{
    const struct capture *out = &p->out;

    if (p->state != PROC_RUNNING)
        return "";
    if (out->total == 0)
        return ". Nothing it printed reached the grader: its stdout is a pipe here, not a "
               "terminal, so what printf writes waits in a buffer until the program calls "
               "fflush(stdout) (do so before waiting for input) or exits";
    if (out->total == out->head_len && out->head[out->head_len - 1] != '\n')
        return ". Its last output has no newline at the end: a line is complete, and can be "
               "read, only with its newline";
    return "";
}

/* The end of a wait for P's output within a step's budget: a test whose
 * time ran out while P still runs ends here; the step shown is over. */
static void end_output_wait(struct test_ctx *t, struct proc *p, bool got_line, bool cut)
{
    if (!got_line && cut && p->state == PROC_RUNNING)
        out_of_time(t, p);
    t->rec->step[0] = '\0';
}

const char *await_line(struct test_ctx *t, struct proc *p, const char *pattern)
{
    bool cut;
    int budget = step_budget(t, 0, &cut);
    char *line;

    replay_step_begin(t, "await_line %zu %s %g", replay_number(t, p), shell_text(t, pattern),
                      replay_seconds(0));
    set_step(t, "waiting for `%s` to print a line matching /%s/", p->command, pattern);
    line = proc_await_line(p, pattern, budget);
    end_output_wait(t, p, line != NULL, cut);
    if (line == NULL && p->state == PROC_RUNNING)
        fail_about(t, p,
                   "`%s` should print a line matching /%s/ within %.1f s, but it did not (it is "
                   "still running)%s",
                   p->command, pattern, budget / 1000.0, silence_reason(p));
    if (line == NULL)
        fail_about(t, p, "`%s` should print a line matching /%s/, but it %s first", p->command,
                   pattern, proc_describe_end(p).text);
    const char *kept = textf(t, "%s", line);
    free(line);
    replay_step_end(t);
    return kept;
}

long await_number(struct test_ctx *t, struct proc *p, const char *pattern)
{
    const char *variable = NULL, *line;
    regmatch_t group[2];
    regex_t re;
    long value;

    if (t->checked_live == 0) {
        variable = replay_new_variable(t, "number");
        replay_add(t, "await_number %zu %s %g %s", replay_number(t, p), shell_text(t, pattern),
                   replay_seconds(0), variable);
    }
    t->checked_live++;
    line = await_line(t, p, pattern);
    if (regcomp(&re, pattern, REG_EXTENDED) != 0 || regexec(&re, line, 2, group, 0) != 0 ||
        group[1].rm_so < 0)
        grader_error(t, "internal: the pattern /%s/ has no group of digits", pattern);
    regfree(&re);
    errno = 0;
    value = strtol(line + group[1].rm_so, NULL, 10);
    if (errno != 0)
        fail_about(t, p, "`%s` printed a number too large to be an id: %s", p->command,
                   visible(t, line, strlen(line)));
    t->checked_live--;
    if (variable != NULL)
        replay_value(t, value, variable);
    return value;
}

void expect_next_line(struct test_ctx *t, struct proc *p, const char *expected)
{
    bool cut, newline;
    int budget = step_budget(t, 0, &cut);
    char *line;

    replay_step_begin(t, "expect_next_line %zu %s %g", replay_number(t, p), shell_text(t, expected),
                      replay_seconds(0));
    set_step(t, "waiting for `%s` to print \"%.200s\"", p->command, expected);
    line = proc_next_line(p, budget, &newline);
    end_output_wait(t, p, line != NULL, cut);
    if (line == NULL)
        fail_about(t, p, "`%s` should print the line \"%.200s\" next, but it %s%s", p->command,
                   expected,
                   p->state == PROC_RUNNING
                       ? textf(t, "printed nothing more within %.1f s", budget / 1000.0)
                       : textf(t, "%s first", proc_describe_end(p).text),
                   silence_reason(p));
    if (strcmp(line, expected) != 0) {
        check(t, false, "`%s` printed another line than the handout asks", p->command);
        show_mismatch(t, expected, line);
        free(line);
        show_transcript(t, p);
        test_end(t);
    }
    free(line);
    replay_step_end(t);
}

void send_line(struct test_ctx *t, struct proc *p, const char *line)
{
    replay_step_begin(t, "send_line %zu %s", replay_number(t, p), shell_text(t, line));
    struct test_program *program = program_of(t, p);
    if (program != NULL) {
        strbuf_add(&program->input, line, strlen(line));
        strbuf_add(&program->input, "\n", 1);
    }
    if (!proc_write_line(p, line))
        fail_about(t, p, "`%s` closed its stdin (or ended) instead of reading its input",
                   p->command);
    replay_step_end(t);
}

void close_stdin(struct test_ctx *t, struct proc *p)
{
    if (t->checked_live == 0)
        replay_add(t, "close_stdin %zu", replay_number(t, p));
    proc_close_stdin(p);
}

/* --- waiting until blocked -------------------------------------------------- */

struct blocked_wait {
    struct proc *p;
    long syscall;
};

static bool blocked_or_ended(void *arg)
{
    struct blocked_wait *w = arg;
    return w->p->state != PROC_RUNNING || process_is_blocked(w->p->pid, &w->syscall);
}

bool is_blocked(struct proc *p)
{
    return p->state == PROC_RUNNING && process_is_blocked(p->pid, NULL);
}

long wait_blocked(struct test_ctx *t, struct proc *p)
{
    struct blocked_wait w = {.p = p, .syscall = -1};
    bool cut;
    int budget = step_budget(t, 0, &cut);

    if (t->checked_live == 0)
        replay_add(t, "wait_blocked %zu %g", replay_number(t, p), replay_seconds(0));
    t->checked_live++;
    set_step(t, "waiting for `%s` to wait (asleep in a system call)", p->command);
    if (!proc_wait_until(blocked_or_ended, &w, budget)) {
        if (cut)
            out_of_time(t, p);
        fail_about(t, p,
                   "`%s` should wait (for input, or a signal) but it kept running for %.1f s "
                   "(a busy loop?)",
                   p->command, budget / 1000.0);
    }
    t->rec->step[0] = '\0';
    if (p->state != PROC_RUNNING)
        fail_about(t, p, "`%s` should be waiting, but it %s", p->command,
                   proc_describe_end(p).text);
    t->checked_live--;
    return w.syscall;
}

void send_signal(struct test_ctx *t, struct proc *p, int sig)
{
    if (t->checked_live == 0)
        replay_add(t, "send_signal %zu %s %g", replay_number(t, p), signal_name(sig).text,
                   replay_seconds(0));
    t->checked_live++;
    /* A program held at its stop point gets SIG when it is resumed. */
    if (!has_stopped(p))
        wait_blocked(t, p);
    proc_kill(p, sig);
    t->checked_live--;
}

bool wait_for(struct test_ctx *t, bool (*done)(void *arg), void *arg, int timeout_ms,
              const char *what)
{
    bool cut, ok;
    int budget = step_budget(t, timeout_ms, &cut);

    if (t->checked_live == 0)
        replay_add(t, "settle %s", shell_text(t, textf(t, "the grader waited %s", what)));
    set_step(t, "waiting %s", what);
    ok = proc_wait_until(done, arg, budget);
    if (!ok && cut) {
        int total = t->test->timeout_ms > 0 ? t->test->timeout_ms : DEFAULT_TEST_TIMEOUT_MS;
        t->rec->out_of_time = true;
        fail(t, "the test ran out of time (%.0f s in all) while %s",
             scaled_timeout_ms(total) / 1000.0, t->rec->step);
    }
    t->rec->step[0] = '\0';
    return ok;
}
