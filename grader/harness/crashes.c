/*
 * crashes.c - a program that crashed in a test, run again to find the
 * line: a signal names no place, a sanitizer does. The program runs once
 * more as the test ran it (its arguments, environment and input), built
 * with the lab's sanitize variant (AddressSanitizer and
 * UndefinedBehaviorSanitizer), or under valgrind where that build is
 * missing; the test's output gains the first line of the student's own
 * code on the report's stack, and the gdb command that stops there.
 *
 * The test has failed already (a crash fails its step): the run again
 * only adds words to a failure, never changes a verdict. It runs in the
 * test's sandbox like any student program, within a bounded time, and
 * gives up quietly when the test's own time is nearly spent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "harness/context.h"

/* The longest the run again may take, and the least worth starting. */
#define CRASH_RERUN_MS     5000
#define CRASH_RERUN_MIN_MS 300

/* Input longer than this is not written into the gdb command. */
#define GDB_INPUT_MAX 200

#define VALGRIND "/usr/bin/valgrind"

/* What the sanitized program runs with: every crash signal caught and
 * reported with its stack (abort() and SIGILL too), no leak report. */
static const char *const CRASH_SANITIZER_ENV[] = {
    "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=86:handle_segv=1:handle_sigbus=1:"
    "handle_sigfpe=1:handle_sigill=1:handle_abort=1:malloc_limit_mb=1024:hard_rss_limit_mb=1024:"
    "allocator_may_return_null=1:verify_asan_link_order=0:color=never",
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86:color=never",
    NULL,
};

/* How the program runs again. */
enum rerun_tool {
    RERUN_SANITIZER, /* from the sanitize build */
    RERUN_VALGRIND,  /* the normal build under valgrind */
    RERUN_NONE,      /* neither is here: only gdb is named */
};

/* Is ENTRY one of the environment entries that stop a program at a
 * chosen moment (STOP_AFTER...)? Run again, nothing would resume it. */
static bool stops_program(const char *entry)
{
    return strncmp(entry, "SHMLAB_STOP_", 12) == 0;
}

/* The environment of the run again: the program's, without stop points,
 * and the tool's own entries. */
static const char **rerun_env(struct test_ctx *t, const struct test_program *program,
                              enum rerun_tool tool)
{
    size_t n = 0, room = 4;
    const char **env;

    for (size_t i = 0; program->env[i] != NULL; i++)
        room++;
    env = calloc(room, sizeof(*env));
    if (env == NULL)
        grader_error(t, "internal: out of memory");
    for (size_t i = 0; program->env[i] != NULL; i++)
        if (!stops_program(program->env[i]))
            env[n++] = program->env[i];
    if (tool == RERUN_SANITIZER) {
        env[n++] = CRASH_SANITIZER_ENV[0];
        env[n++] = CRASH_SANITIZER_ENV[1];
    } else {
        /* valgrind keeps files in TMPDIR; the sandbox allows the build
         * folder alone. */
        env[n++] = textf(t, "TMPDIR=%s", t->build_dir);
    }
    env[n] = NULL;
    return env;
}

/* Valgrind's "main (reader.c:47)" as the sanitizers say it: "reader.c:47
 * (main)". */
static void file_first(const char *place, char *where, size_t size)
{
    const char *paren = strstr(place, " (");
    size_t len = strlen(place);

    if (paren == NULL || len < 2 || place[len - 1] != ')')
        snprintf(where, size, "%s", place);
    else
        snprintf(where, size, "%.*s (%.*s)", (int)(place + len - 1 - paren - 2), paren + 2,
                 (int)(paren - place), place);
}

/* What UBSan's report at START says after "runtime error: " ("null
 * pointer passed as argument 1, which is declared to never be null"). */
static const char *ubsan_message(struct test_ctx *t, const char *start, const char *end)
{
    static const char mark[] = "runtime error: ";
    const char *line_end = report_line_end(start, end);
    const char *text = memmem(start, (size_t)(line_end - start), mark, sizeof(mark) - 1);
    size_t len;
    char *shown;
    const char *kept;

    if (text == NULL)
        return "UndefinedBehaviorSanitizer found undefined behaviour";
    text += sizeof(mark) - 1;
    len = (size_t)(line_end - text);
    shown = text_visible(text, len > 160 ? 160 : len, false);
    kept = textf(t, "UndefinedBehaviorSanitizer says: %s", shown);
    free(shown);
    return kept;
}

/* Run PROGRAM again with TOOL from DIR; where it crashed goes to WHERE
 * ("" if it named no line of the student's), what the tool found to
 * *FOUND. False if it could not be run, or did not end in time. */
static bool run_again(struct test_ctx *t, const struct test_program *program, enum rerun_tool tool,
                      const char *dir, char *where, size_t size, const char **found)
{
    const char *args[64];
    const char **env = rerun_env(t, program, tool);
    struct sandbox_exec exec = {
        .limits = tool == RERUN_SANITIZER ? &SANITIZED_RUN_LIMITS : &RUN_LIMITS, .dir = dir};
    struct proc_opts opts = {
        .stdin_text = program->input.text != NULL ? program->input.text : "",
        .cwd = dir,
        .env = env,
        .before_exec = sandbox_student_exec,
        .before_exec_arg = &exec,
        .output_limit = RUN_OUTPUT_LIMIT,
    };
    long long left = t->deadline - now_ms();
    int budget = scaled_timeout_ms(CRASH_RERUN_MS);
    size_t n = 0;
    struct proc *p;
    bool ended;

    where[0] = '\0';
    *found = NULL;
    if (tool == RERUN_VALGRIND) {
        opts.wrapper = valgrind_wrapper(t);
        opts.tool_output = true;
        budget *= 4; /* valgrind is that much slower */
    }
    if (left < budget)
        budget = (int)left;
    if (budget < CRASH_RERUN_MIN_MS) {
        free(env);
        return false;
    }
    args[n++] = textf(t, "%s/%s", dir, program->argv[0]);
    while (program->argv[n] != NULL && n < ARRAY_LEN(args) - 1) {
        args[n] = program->argv[n];
        n++;
    }
    args[n] = NULL;
    set_step(t, "running `%s` again to find the line it crashed on", program->proc->command);
    p = proc_spawn(args, &opts);
    free(env);
    if (p == NULL || p->confine_error != NULL) {
        if (p != NULL)
            proc_free(p);
        t->rec->step[0] = '\0';
        return false;
    }
    ended = proc_wait(p, budget);
    if (!ended)
        proc_kill(p, SIGKILL);
    proc_drain(p);
    t->rec->step[0] = '\0';
    if (ended && tool == RERUN_SANITIZER) {
        bool ubsan;
        const char *start = sanitizer_report_start(p->err.head, p->err.head_len, &ubsan);
        const char *end = p->err.head + p->err.head_len;
        if (start != NULL) {
            *found = ubsan ? ubsan_message(t, start, end)
                           : sanitizer_headline(start, report_line_end(start, end), ubsan);
            sanitizer_place(start, end, ubsan, dir, where, size);
        }
    } else if (ended) {
        struct valgrind_report r;
        char *log = capture_text(&p->tool);
        if (log == NULL)
            grader_error(t, "internal: out of memory");
        read_valgrind_log(log, dir, &r);
        free(log);
        if (p->state == PROC_SIGNALED)
            *found = textf(t, "valgrind saw it killed by %s", signal_name(p->signal).text);
        if (r.fault_in_student_files)
            file_first(r.fault, where, size);
    }
    proc_free(p);
    return ended;
}

/* The command, typed in the lab folder, that runs PROGRAM as the test did
 * under gdb and shows the stack where it stops. */
static const char *gdb_command(struct test_ctx *t, const struct test_program *program)
{
    struct strbuf line = {0};
    const char *input = program->input.text;
    size_t input_len = program->input.len;
    bool env_named = false;
    char *taken;
    const char *kept;

    if (input_len > 0 && input_len <= GDB_INPUT_MAX)
        strbuf_printf(&line, "printf %s > input.txt && ", printf_bytes(t, input, input_len));
    for (size_t i = 0; program->env[i] != NULL; i++) {
        /* The grader's own machinery (stop points, preloads) is no part
         * of how a student runs the program. */
        if (strncmp(program->env[i], "SHMLAB_", 7) == 0 &&
            strncmp(program->env[i], "SHMLAB_KEY=", 11) != 0)
            continue;
        if (strncmp(program->env[i], "LD_PRELOAD=", 11) == 0)
            continue;
        strbuf_printf(&line, "%s%s ", env_named ? "" : "env ", shell_text(t, program->env[i]));
        env_named = true;
    }
    strbuf_printf(&line, "gdb -q -ex %s -ex bt --args ./%s",
                  input_len > 0 && input_len <= GDB_INPUT_MAX ? "'run < input.txt'" : "run",
                  shell_text(t, program->argv[0]));
    for (size_t i = 1; program->argv[i] != NULL; i++)
        strbuf_printf(&line, " %s", shell_text(t, program->argv[i]));
    taken = strbuf_take(&line);
    kept = textf(t, "%s", taken);
    free(taken);
    return kept;
}

/* How the crash can be run again here. */
static enum rerun_tool rerun_tool(const struct test_ctx *t)
{
    if (t->crash_build_dir != NULL)
        return RERUN_SANITIZER;
    if (access(VALGRIND, X_OK) == 0)
        return RERUN_VALGRIND;
    return RERUN_NONE;
}

void show_crash_place(struct test_ctx *t, const struct proc *p)
{
    const struct test_program *program = program_of(t, p);
    enum rerun_tool tool = rerun_tool(t);
    const char *name = tool == RERUN_SANITIZER ? "AddressSanitizer" : "valgrind";
    const char *dir = tool == RERUN_SANITIZER ? t->crash_build_dir : t->build_dir;
    const char *found = NULL;
    char where[512] = "";

    if (program == NULL || program->argv == NULL)
        return;
    if (tool == RERUN_NONE)
        record_append(t->rec, "    (neither AddressSanitizer nor valgrind is here to name the "
                              "line it crashed on: gdb does)\n");
    else if (!run_again(t, program, tool, dir, where, sizeof(where), &found))
        record_append(t->rec,
                      "    (run again under %s to find its line, it did not end in "
                      "time)\n",
                      name);
    else if (where[0] != '\0')
        record_append(t->rec, "    crashed at %s: run again, %s\n", where,
                      found != NULL ? found : textf(t, "%s named this line", name));
    else if (found != NULL)
        record_append(t->rec,
                      "    run again, %s, but in no line of your files (in a library "
                      "function your code called: gdb's bt shows which)\n",
                      found);
    else
        record_append(t->rec,
                      "    run again under %s, it did not crash: what it crashed on depends "
                      "on more than its arguments and input (gdb, or the repro script, may "
                      "catch it)\n",
                      name);
    record_append(t->rec, "    debug it, in the lab folder: make && %s\n", gdb_command(t, program));
}
