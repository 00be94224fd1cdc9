/*
 * check_learn.c - the loop around the grader, as a student uses it, end to
 * end: replay scripts that show a test's failure again, hints in levels,
 * saved progress, watch mode.
 *
 * Each test works in a checkout of its own: a copy of labs/ in a fresh
 * folder, graded with --root, so that what the grader writes into a
 * working copy (replay scripts, saved results) lands there.
 *
 * Environment: SHMLAB_ROOT (the checkout), SHMGRADE (the grader binary).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "support.h"

/* A scratch checkout: labs/ as committed, a lab's files replaced at will. */
struct checkout {
    char *root;
};

static struct checkout checkout_make(void)
{
    struct checkout c = {.root = temp_folder("checkout")};

    sh(NULL, "cp -r '%s/labs' '%s/labs' && rm -rf '%s'/labs/*/repro", shmlab_root, c.root, c.root);
    return c;
}

static void checkout_remove(struct checkout *c)
{
    remove_tree(c->root, NULL);
    free(c->root);
}

/* LAB's files in the checkout: the solution with ENTRY (a corpus entry's
 * name; NULL for the solution itself) applied. */
static void checkout_stage(const struct checkout *c, const char *lab, const char *entry)
{
    char *dest = xasprintf("%s/labs/%s", c->root, lab);
    char *entry_dir = entry ? xasprintf("%s/tests/corpus/%s/%s", shmlab_root, lab, entry) : NULL;

    stage_submission(lab, entry_dir, dest);
    free(entry_dir);
    free(dest);
}

/* The folder FROM of checkout C (NULL: its top); the caller frees it. */
static char *checkout_folder(const struct checkout *c, const char *from)
{
    return from ? xasprintf("%s/%s", c->root, from) : xstrdup(c->root);
}

/* ARGV[N...] = ARGS (NULL-terminated), and a NULL after them, within
 * ARGV's SLOTS. */
static void append_arguments(const char **argv, size_t slots, size_t n, const char *const *args)
{
    for (; *args != NULL; args++) {
        ck_assert_uint_lt(n + 1, slots);
        argv[n++] = *args;
    }
    argv[n] = NULL;
}

/* shmgrade on the checkout's working copy, from FROM (a folder of it, or
 * NULL for its top), with ARGS; it must end by itself. */
static struct proc *grade_checkout(const struct checkout *c, const char *from,
                                   const char *const *args)
{
    const char *argv[32] = {shmgrade_path, "--root", c->root};
    size_t n = 3;
    char *cwd = checkout_folder(c, from);
    struct proc *p;

    append_arguments(argv, sizeof(argv) / sizeof(argv[0]), n, args);
    p = run_program(cwd, NULL, argv);
    free(cwd);
    return p;
}
#define GRADE(c, from, ...) grade_checkout((c), (from), (const char *const[]){__VA_ARGS__, NULL})

/* --- replay scripts ------------------------------------------------------------ */

static char *script_of(const struct checkout *c, const char *lab, const char *test)
{
    return xasprintf("%s/labs/%s/repro/%s.sh", c->root, lab, test);
}

/* Can this machine give a replay script IPC objects and a /dev/shm of its
 * own? Not in a container that cannot make namespaces (a bare chroot). */
static bool replays_get_namespaces(void)
{
    static int works = -1;

    if (works < 0) {
        struct proc *p = RUN_IN(NULL, NULL, "unshare", "--ipc", "--mount", "--", "sh", "-c",
                                "mount -t tmpfs shm /dev/shm");
        works = p->state == PROC_EXITED && p->exit_code == 0;
        proc_free(p);
    }
    return works;
}

/*
 * Run the replay script of TEST; it ends with STATUS, saying SAYS. The
 * script runs as root, as a student's runs as them: a grading without
 * namespaces that runs meanwhile (another suite) removes every object its
 * user makes while it runs, so the script gets IPC objects and a /dev/shm
 * of its own where the machine can make them. Where it cannot, the script
 * runs as it is (make test runs one suite at a time).
 */
static void assert_replay(const struct checkout *c, const char *lab, const char *test, int status,
                          const char *says)
{
    char *script = script_of(c, lab, test);
    struct proc *p = replays_get_namespaces()
                         ? RUN_IN(NULL, NULL, "unshare", "--ipc", "--mount", "--", "sh", "-c",
                                  "mount -t tmpfs shm /dev/shm && exec bash \"$0\"", script)
                         : RUN_IN(NULL, NULL, "bash", script);

    ck_assert_msg(p->state == PROC_EXITED && p->exit_code == status,
                  "%s %s: the replay %s, not status %d:\n%s\n%s", lab, test,
                  proc_describe_end(p).text, status, p->out.head, p->err.head);
    ck_assert_msg(strstr(p->out.head, says) != NULL, "%s %s: the replay does not say \"%s\":\n%s",
                  lab, test, says, p->out.head);
    proc_free(p);
    free(script);
}

/* What a replay of a failure must show, per test: a corpus entry, the test
 * it fails, and what the replay says when it fails there the same way. */
struct replay_case {
    const char *lab, *entry, *test, *says;
};

static const struct replay_case replay_cases[] = {
    /* A program's end, and the object the grader looks at itself. */
    {"01-posix-shm", "mode-0666", "size-and-mode", "should have mode 0600"},
    /* The sanitizer build, and a guard page from the preloaded library. */
    {"01-posix-shm", "reader-prints-with-percent-s", "no-nul-object", "killed by SIGSEGV"},
    {"01-posix-shm", "stack-buffer-overflow", "memory-safety", "the sanitizer found a problem"},
    /* An interactive client: lines awaited, Enter sent, a segment's id. */
    {"02-sysv-client-server", "no-rmid", "client-removes", "should be gone"},
    {"02-sysv-client-server", "stale-value", "client-sees-200", "expected: \"mem is now 200\""},
    /* Two programs as threads under ThreadSanitizer. */
    {"03-producer-consumer", "relaxed-flag", "no-data-race", "the sanitizer found a problem"},
    /* The grader as the consumer (it takes message 1: the flag set EMPTY,
     * which a producer spinning on a plain int never sees), and as the
     * producer (its segment at the key, the messages it puts). */
    {"03-producer-consumer", "plain-int-spin", "finished-after-last",
     "should print a line matching /^Producer: Sent message"},
    {"03-producer-consumer", "consumer-strcpy", "memory-safety", "exited with status 86"},
    /* A program killed inside its critical section, at a stop point. */
    {"04-semaphore-counter", "no-sem-undo", "killed-inside", "FAILED"},
};

/*
 * A failing test's replay script fails where the test did, saying what
 * the test says; the same script on the solution goes through (and says
 * the test had more steps); a script asked for (--repro) on the solution
 * replays every step and passes.
 */
START_TEST(a_replay_script_shows_the_same_failure)
{
    const struct replay_case *rc = &replay_cases[_i];
    struct checkout c = checkout_make();
    struct proc *p;

    checkout_stage(&c, rc->lab, rc->entry);
    p = GRADE(&c, NULL, "--lab", rc->lab, "--repro", rc->test);
    assert_exit(p, 1);
    proc_free(p);
    assert_replay(&c, rc->lab, rc->test, 1, rc->says);
    assert_replay(&c, rc->lab, rc->test, 1, "The test fails here, as it did when graded");

    checkout_stage(&c, rc->lab, NULL);
    assert_replay(&c, rc->lab, rc->test, 0, "When graded, the test stopped at the");
    p = GRADE(&c, NULL, "--lab", rc->lab, "--repro", rc->test);
    assert_exit(p, 0);
    proc_free(p);
    assert_replay(&c, rc->lab, rc->test, 0, "Every step went as the test expects: it passes.");
    checkout_remove(&c);
}
END_TEST

/* Grading a working copy writes a replay script for every failing test and
 * names it in the report, as typed from where the student is; a test that
 * passes loses its script. */
START_TEST(the_report_names_each_failing_tests_replay_script)
{
    struct checkout c = checkout_make();
    char *round_trip = script_of(&c, "01-posix-shm", "round-trip");
    struct proc *p = GRADE(&c, "labs/01-posix-shm", "--lab", "01", "--test", "round-trip,usage");

    assert_exit(p, 1);
    ck_assert_msg(strstr(p->out.head, "replay: bash repro/round-trip.sh") != NULL, "%s",
                  p->out.head);
    ck_assert_msg(strstr(p->out.head, "hint: make hint TEST=round-trip") != NULL, "%s",
                  p->out.head);
    ck_assert_int_eq(access(round_trip, X_OK), 0);
    proc_free(p);

    p = GRADE(&c, NULL, "--lab", "01", "--test", "round-trip");
    ck_assert_msg(strstr(p->out.head, "replay: bash labs/01-posix-shm/repro/round-trip.sh"), "%s",
                  p->out.head);
    ck_assert_msg(strstr(p->out.head, "hint: make hint LAB=01 TEST=round-trip"), "%s", p->out.head);
    proc_free(p);

    checkout_stage(&c, "01-posix-shm", NULL);
    p = GRADE(&c, NULL, "--lab", "01", "--test", "round-trip");
    assert_exit(p, 0);
    ck_assert_ptr_null(strstr(p->out.head, "replay:"));
    ck_assert_int_ne(access(round_trip, F_OK), 0);
    proc_free(p);
    free(round_trip);
    checkout_remove(&c);
}
END_TEST

/* An instructor's grading of a submission folder writes nothing into it. */
START_TEST(grading_a_submission_writes_no_replay_script)
{
    struct staged sub = stage_in_temp("01-posix-shm", NULL);
    char *repro = xasprintf("%s/repro", sub.lab_dir);
    struct proc *p;

    sh(NULL, "cp '%s/labs/01-posix-shm/writer.c' '%s/writer.c'", shmlab_root, sub.lab_dir);
    p = shmgrade_start(
        (const char *const[]){"--lab", "01", "--test", "round-trip", "--submission", sub.dir, NULL},
        NULL);
    ck_assert_int_eq(shmgrade_finish(p, sub.dir), 1);
    ck_assert_ptr_null(strstr(p->out.head, "replay:"));
    ck_assert_int_ne(access(repro, F_OK), 0);
    proc_free(p);
    p = shmgrade_start((const char *const[]){"--lab", "01", "--repro", "round-trip", "--submission",
                                             sub.dir, NULL},
                       NULL);
    ck_assert(proc_wait(p, SUPPORT_TIMEOUT_MS));
    assert_exit_saying(p, 2, "--repro round-trip: a replay script runs in a lab folder");
    proc_free(p);
    free(repro);
    staged_remove(&sub);
}
END_TEST

/* --- hints ---------------------------------------------------------------------- */

/* `shmgrade --hint ID` from FROM (a folder of the checkout): it ends 0. */
static char *ask_hint(const struct checkout *c, const char *from, const char *lab, const char *test)
{
    struct proc *p = GRADE(c, from, "--lab", lab, "--hint", test);
    char *out;

    assert_exit(p, 0);
    out = xstrdup(p->out.head);
    proc_free(p);
    return out;
}

#define ASSERT_SAYS(text, needle)                                                                  \
    ck_assert_msg(strstr((text), (needle)) != NULL, "no \"%s\" in:\n%s", (needle), (text))
#define ASSERT_DOES_NOT_SAY(text, needle)                                                          \
    ck_assert_msg(strstr((text), (needle)) == NULL, "\"%s\" in:\n%s", (needle), (text))

/*
 * Each request shows the levels seen so far and one more, remembered in
 * the checkout (whichever folder the student asks from); past the last,
 * the same levels and nothing new. Another test's levels are its own.
 */
START_TEST(hints_come_a_level_at_a_time_and_are_remembered)
{
    struct checkout c = checkout_make();
    char *out = ask_hint(&c, "labs/01-posix-shm", "01", "round-trip");

    ASSERT_SAYS(out, "hint 1 of 3, the idea:");
    ASSERT_DOES_NOT_SAY(out, "hint 2 of 3");
    ASSERT_SAYS(out, "2 more levels, closer to the code: make hint TEST=round-trip");
    free(out);

    out = ask_hint(&c, NULL, "01", "round-trip");
    ASSERT_SAYS(out, "hint 1 of 3, the idea:");
    ASSERT_SAYS(out, "hint 2 of 3, where to look (new):");
    ASSERT_DOES_NOT_SAY(out, "hint 3 of 3");
    ASSERT_SAYS(out, "1 more level, closer to the code: make hint LAB=01 TEST=round-trip");
    free(out);

    out = ask_hint(&c, NULL, "01", "usage");
    ASSERT_SAYS(out, "hint 1 of 3, the idea:");
    ASSERT_DOES_NOT_SAY(out, "hint 2 of 3");
    free(out);

    for (int i = 0; i < 2; i++) {
        out = ask_hint(&c, "labs/01-posix-shm", "01", "round-trip");
        ASSERT_SAYS(out, "hint 3 of 3, a nudge");
        ASSERT_SAYS(out, "That is every hint of this test");
        if (i == 0)
            ASSERT_SAYS(out, "a nudge (new):");
        else
            ASSERT_DOES_NOT_SAY(out, "(new)");
        free(out);
    }
    checkout_remove(&c);
}
END_TEST

/* A hint for no test, or for a test of no lab named, is refused. */
START_TEST(a_hint_for_an_unknown_test_is_refused)
{
    struct checkout c = checkout_make();
    struct proc *p = GRADE(&c, NULL, "--lab", "01", "--hint", "no-such-test");

    assert_exit_saying(p, 2, "has no test 'no-such-test'");
    proc_free(p);
    p = GRADE(&c, NULL, "--hint", "usage");
    assert_exit_saying(p, 2, "name the lab with --lab");
    proc_free(p);
    checkout_remove(&c);
}
END_TEST

/* Is LINE (trimmed) a line of code worth looking for in a hint? */
static bool is_code_line(const char *line, size_t len)
{
    while (len > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    if (len < 16 || line[0] == '*' || line[0] == '/' || line[0] == '#')
        return false;
    return memchr(line, ';', len) != NULL || memchr(line, '(', len) != NULL;
}

/* A line of code of the solution of LAB found in TEXT, or NULL. */
static char *solution_line_in(const char *lab, const char *text)
{
    char *folder = xasprintf("%s/solutions/%s", shmlab_root, lab);
    struct proc *p = RUN_IN(folder, NULL, "sh", "-c", "cat *.c");
    char *found = NULL;

    assert_exit(p, 0);
    for (const char *line = p->out.head; *line != '\0' && found == NULL;) {
        size_t len = strcspn(line, "\n");
        const char *start = line + strspn(line, " \t");
        size_t trimmed = len - (size_t)(start - line);
        if (is_code_line(line, len) && memmem(text, strlen(text), start, trimmed) != NULL)
            found = xasprintf("%.*s", (int)trimmed, start);
        line += len + (line[len] == '\n');
    }
    proc_free(p);
    free(folder);
    return found;
}

/*
 * Every lab's hints.json: an object of the lab's tests, each 1 to 3
 * levels, and no level holds a line of the solution's code; every test
 * with a hint in the lab's table has its levels there.
 */
START_TEST(hint_files_name_real_tests_and_hold_no_solution_code)
{
    struct proc *list = RUN_IN(NULL, NULL, shmgrade_path, "--list", "--hidden", "--format", "json");
    json_t *labs = json_loads(list->out.head, 0, NULL);
    size_t i;
    json_t *lab;

    ck_assert_msg(json_is_array(labs), "shmgrade --list --format json: %s", list->out.head);
    json_array_foreach(labs, i, lab)
    {
        const char *id = json_string_value(json_object_get(lab, "id"));
        char *path = xasprintf("%s/labs/%s/hints.json", shmlab_root, id);
        json_t *hints = json_load_file(path, 0, NULL), *levels,
               *tests = json_object_get(lab, "tests");
        const char *test_id;

        size_t j;
        json_t *test;

        ck_assert_msg(json_is_object(hints), "%s: missing, or no object of hints", path);
        json_array_foreach(tests, j, test)
        {
            const char *hinted = json_string_value(json_object_get(test, "id"));
            ck_assert_msg(!json_is_true(json_object_get(test, "hinted")) ||
                              json_object_get(hints, hinted) != NULL,
                          "%s: the test %s has a hint in the lab's table, but no levels here", path,
                          hinted);
        }
        json_object_foreach(hints, test_id, levels)
        {
            bool known = false;
            json_array_foreach(tests, j, test) known |=
                strcmp(json_string_value(json_object_get(test, "id")), test_id) == 0;
            ck_assert_msg(known, "%s: \"%s\" is no test of %s", path, test_id, id);
            ck_assert_msg(json_is_array(levels) && json_array_size(levels) >= 1 &&
                              json_array_size(levels) <= 3,
                          "%s: \"%s\" should be a list of 1 to 3 hints", path, test_id);
            for (j = 0; j < json_array_size(levels); j++) {
                const char *text = json_string_value(json_array_get(levels, j));
                ck_assert_msg(text != NULL, "%s: hint %zu of \"%s\" is no string", path, j + 1,
                              test_id);
                char *code = solution_line_in(id, text);
                ck_assert_msg(code == NULL, "%s: hint %zu of \"%s\" holds the solution's line %s",
                              path, j + 1, test_id, code);
            }
        }
        json_decref(hints);
        free(path);
    }
    json_decref(labs);
    proc_free(list);
}
END_TEST

/* --- progress ------------------------------------------------------------------- */

/* `shmgrade --summary 01 02` from FROM: its output (it ends 1: lab 02 fails). */
static char *progress(const struct checkout *c, const char *from)
{
    struct proc *p = GRADE(c, from, "--summary", "01", "02");
    char *out;

    assert_exit(p, 1);
    out = xstrdup(p->out.head);
    proc_free(p);
    return out;
}

/*
 * The progress view grades each lab once, saves the result, and shows it
 * from then on while the lab's files stay as they were; a changed file
 * has its lab (alone) graded again, and a result graded for one test
 * only is not saved.
 */
START_TEST(progress_shows_saved_results_and_grades_changed_labs_again)
{
    struct checkout c = checkout_make();
    char *first, *out;
    struct proc *p;

    checkout_stage(&c, "01-posix-shm", NULL);
    p = GRADE(&c, NULL, "--lab", "02", "--test", "usage");
    proc_free(p);
    first = progress(&c, NULL);
    ASSERT_SAYS(first, "01-posix-shm             [####################]  95/95  done");
    ASSERT_SAYS(first, "next: segment");
    ASSERT_DOES_NOT_SAY(first, "saved results");

    out = progress(&c, "labs/01-posix-shm");
    ASSERT_SAYS(out, "saved results of labs 01, 02: unchanged since graded");
    ck_assert_msg(strncmp(out, first, strlen(first)) == 0, "saved:\n%s\ngraded:\n%s", out, first);
    free(out);

    /* The lab made to fail now: its saved result would say done. */
    checkout_stage(&c, "01-posix-shm", "no-unlink");
    out = progress(&c, NULL);
    ASSERT_SAYS(out, "next: reader-removes");
    ASSERT_SAYS(out, "saved results of lab 02:");
    free(out);
    out = progress(&c, NULL);
    ASSERT_SAYS(out, "next: reader-removes");
    ASSERT_SAYS(out, "saved results of labs 01, 02:");
    free(out);
    free(first);
    checkout_remove(&c);
}
END_TEST

/* --- watch ---------------------------------------------------------------------- */

/*
 * P, started on C's lab 01 (the solution), grades, then watches: a saved
 * file (the reader made to print a debug line on stdout, written whole
 * and renamed into place as editors do) has the lab graded again, with
 * the verdict that changed, and P watches on; then Ctrl-C (SIGINT to P's
 * group, as a terminal sends it) and P's end.
 */
static void save_and_interrupt(const struct checkout *c, struct proc *p)
{
    char *lab_dir = xasprintf("%s/labs/01-posix-shm", c->root);
    char *staged = xasprintf("%s/staged", c->root);
    char *entry = xasprintf("%s/tests/corpus/01-posix-shm/reader-debug-on-stdout", shmlab_root);
    char *line;

    stage_submission("01-posix-shm", entry, staged);
    line = proc_await_line(p, "^watching 01-posix-shm for saves", SUPPORT_TIMEOUT_MS);
    ck_assert_msg(line != NULL, "no first grading:\n%s\n%s", p->out.head, p->err.head);
    free(line);
    sh(NULL, "mv '%s/reader.c' '%s/reader.c'", staged, lab_dir);
    line = proc_await_line(p, "^  round-trip \\(01\\): PASS -> FAIL$", SUPPORT_TIMEOUT_MS);
    ck_assert_msg(line != NULL, "no grading after the save:\n%s\n%s", p->out.head, p->err.head);
    free(line);
    line = proc_await_line(p, "^watching 01-posix-shm for saves", SUPPORT_TIMEOUT_MS);
    ck_assert_ptr_nonnull(line);
    free(line);
    proc_kill(p, SIGINT);
    ck_assert(proc_wait(p, SUPPORT_TIMEOUT_MS));
    free(entry);
    free(staged);
    free(lab_dir);
}

/* `shmgrade --watch` grades again on a save; Ctrl-C ends it with status
 * 130. ENV picks inotify or polling. */
static void assert_watch_grades_again_on_a_save(const char *env_entry)
{
    struct checkout c = checkout_make();
    char *lab_dir = xasprintf("%s/labs/01-posix-shm", c.root);
    const char *env[] = {env_entry, NULL};
    struct proc *p;

    checkout_stage(&c, "01-posix-shm", NULL);
    p = start_program(lab_dir, env,
                      (const char *const[]){shmgrade_path, "--root", c.root, "--lab", "01",
                                            "--test", "round-trip", "--watch", NULL});
    save_and_interrupt(&c, p);
    assert_exit_saying(p, 130, "watch: stopped");
    proc_free(p);
    free(lab_dir);
    checkout_remove(&c);
}

START_TEST(watch_grades_again_when_inotify_sees_a_save)
{
    assert_watch_grades_again_on_a_save("SHMLAB_WATCH_POLL=0");
}
END_TEST

/* Where inotify says nothing (some mounted file systems). */
START_TEST(watch_grades_again_when_polling_finds_a_save)
{
    assert_watch_grades_again_on_a_save("SHMLAB_WATCH_POLL=1");
}
END_TEST

/* --- the make targets a student types ------------------------------------------ */

/*
 * A scratch checkout that make can drive: labs/ as committed (mtimes
 * kept, so nothing is built again), the top Makefile, and the grader's
 * sources where the Makefile looks for them; the grader itself is this
 * build's (BUILD=), pointed at the scratch checkout ($SHMLAB_ROOT).
 */
static struct checkout checkout_for_make(void)
{
    struct checkout c = {.root = temp_folder("make-checkout")};

    sh(NULL,
       "cp -a '%s/labs' '%s/labs' && rm -rf '%s'/labs/*/repro && cp -p '%s/Makefile' '%s/' && "
       "ln -s '%s/grader' '%s/grader'",
       shmlab_root, c.root, c.root, shmlab_root, c.root, shmlab_root, c.root);
    return c;
}

/* The build folder of the grader under test (BUILD= for make). */
static char *build_folder(void)
{
    char *build = xstrdup(shmgrade_path);
    char *slash = strrchr(build, '/');

    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
    return build;
}

/* `make ARGS` typed in FROM (a folder of C, or NULL for its top). */
static struct proc *start_make(const struct checkout *c, const char *from, const char *const *args)
{
    char *cwd = checkout_folder(c, from);
    char *root = xasprintf("SHMLAB_ROOT=%s", c->root);
    char *build = build_folder();
    char *build_arg = xasprintf("BUILD=%s", build);
    const char *argv[32] = {"env", root, "make", "--no-print-directory", build_arg};
    size_t n = 5;
    struct proc *p;

    append_arguments(argv, sizeof(argv) / sizeof(argv[0]), n, args);
    p = start_program(cwd, NULL, argv);
    free(build_arg);
    free(build);
    free(root);
    free(cwd);
    return p;
}
#define START_MAKE(c, from, ...) start_make((c), (from), (const char *const[]){__VA_ARGS__, NULL})

/* `make ARGS` in FROM, to its end: it succeeds, says SAYS, and make says
 * nothing of its own (no "make: ***"). */
static void assert_make(const struct checkout *c, const char *from, const char *says,
                        const char *const *args)
{
    struct proc *p = start_make(c, from, args);

    ck_assert_msg(proc_wait(p, SUPPORT_TIMEOUT_MS), "make %s in %s did not end", args[0],
                  from ? from : "the top folder");
    ck_assert_msg(p->state == PROC_EXITED && p->exit_code == 0, "make %s in %s %s:\n%s\n%s",
                  args[0], from ? from : "the top folder", proc_describe_end(p).text, p->out.head,
                  p->err.head);
    ck_assert_msg(strstr(p->out.head, says) != NULL || strstr(p->err.head, says) != NULL,
                  "make %s in %s does not say \"%s\":\n%s\n%s", args[0],
                  from ? from : "the top folder", says, p->out.head, p->err.head);
    ck_assert_msg(strstr(p->err.head, "make:") == NULL, "make %s in %s: make's own noise:\n%s",
                  args[0], from ? from : "the top folder", p->err.head);
    proc_free(p);
}
#define ASSERT_MAKE(c, from, says, ...)                                                            \
    assert_make((c), (from), (says), (const char *const[]){__VA_ARGS__, NULL})

/*
 * What a student types, from the top folder and from a lab folder, on a
 * failing submission: make grade, make hint (the next level each time,
 * wherever it is typed), make repro (a script in the lab's repro/), make
 * progress; each succeeds without a word of make's own.
 */
START_TEST(make_targets_work_from_the_top_and_from_a_lab_folder)
{
    struct checkout c = checkout_for_make();
    const char *lab = "labs/01-posix-shm";
    char *script;

    checkout_stage(&c, "01-posix-shm", "reader-debug-on-stdout");
    ASSERT_MAKE(&c, lab, "FAIL  round-trip", "grade", "TEST=round-trip");
    ASSERT_MAKE(&c, NULL, "FAIL  round-trip", "grade", "LAB=01", "TEST=round-trip");
    ASSERT_MAKE(&c, NULL, "hint 1 of 3", "hint", "LAB=01", "TEST=round-trip");
    ASSERT_MAKE(&c, lab, "hint 2 of 3", "hint", "TEST=round-trip");
    ASSERT_MAKE(&c, NULL, "repro/round-trip.sh", "repro", "LAB=01", "TEST=round-trip");
    ASSERT_MAKE(&c, lab, "repro/usage.sh", "repro", "TEST=usage");
    script = script_of(&c, "01-posix-shm", "round-trip");
    ck_assert_msg(access(script, X_OK) == 0, "make repro wrote no %s", script);
    free(script);
    script = script_of(&c, "01-posix-shm", "usage");
    ck_assert_msg(access(script, X_OK) == 0, "make repro wrote no %s", script);
    free(script);
    ASSERT_MAKE(&c, NULL, "01-posix-shm", "progress");
    ASSERT_MAKE(&c, lab, "01-posix-shm", "progress");
    checkout_remove(&c);
}
END_TEST

/* Where make watch is typed: the folder, and the lab named if at the top. */
static const struct {
    const char *from, *lab_arg;
} watch_places[] = {{"labs/01-posix-shm", "TEST=round-trip"}, {NULL, "LAB=01"}};

/*
 * make watch grades, then a save (the reader replaced by a failing one)
 * grades again; Ctrl-C, sent to the whole foreground group as a terminal
 * does, ends it: the grader says it stopped, make adds no error of its
 * own, and nothing of the group is left running.
 */
START_TEST(make_watch_grades_again_on_a_save_and_ends_cleanly_on_ctrl_c)
{
    struct checkout c = checkout_for_make();
    struct proc *p;
    pid_t group;

    checkout_stage(&c, "01-posix-shm", NULL);
    p = START_MAKE(&c, watch_places[_i].from, "watch", watch_places[_i].lab_arg, "TEST=round-trip");
    group = p->pid;
    save_and_interrupt(&c, p);
    ck_assert_msg(strstr(p->out.head, "watch: stopped") != NULL, "%s", p->out.head);
    ck_assert_msg(strstr(p->err.head, "make:") == NULL, "make's own noise after Ctrl-C:\n%s",
                  p->err.head);
    ck_assert_msg((p->state == PROC_SIGNALED && p->signal == SIGINT) ||
                      (p->state == PROC_EXITED && (p->exit_code == 0 || p->exit_code == 130)),
                  "make watch %s after Ctrl-C", proc_describe_end(p).text);
    ck_assert_msg(kill(-group, 0) < 0, "a process of make watch's group is still running");
    proc_free(p);
    checkout_remove(&c);
}
END_TEST

/* --- as a person sees it: a real terminal (tmux) ------------------------------- */

/* Is tmux here? If not, the test is skipped, loudly, unless
 * SHMLAB_REQUIRE_TMUX is set (CI: .ci/run), which makes it a failure. */
static bool tmux_present(void)
{
    if (access("/usr/bin/tmux", X_OK) == 0)
        return true;
    ck_assert_msg(getenv("SHMLAB_REQUIRE_TMUX") == NULL,
                  "SHMLAB_REQUIRE_TMUX is set, but tmux is not installed "
                  "(scripts/install-deps --dev installs it)");
    fprintf(stderr, "check_learn: SKIPPED the terminal tests: tmux is not installed "
                    "(scripts/install-deps --dev installs it)\n");
    return false;
}

/* A terminal of COLUMNS, on a tmux server of its own (a socket in the
 * checkout), running a shell in the checkout's lab 01 folder. */
struct terminal {
    char *socket;
};

static struct proc *tmux(const struct terminal *term, const char *const *args)
{
    const char *argv[24] = {"env", "TERM=xterm-256color", "tmux", "-u", "-S", term->socket};
    size_t n = 6;

    append_arguments(argv, sizeof(argv) / sizeof(argv[0]), n, args);
    return run_program(NULL, NULL, argv);
}
#define TMUX(term, ...) tmux((term), (const char *const[]){__VA_ARGS__, NULL})

static struct terminal terminal_open(const struct checkout *c, int columns)
{
    struct terminal term = {.socket = xasprintf("%s/tmux.socket", c->root)};
    char *width = xasprintf("%d", columns);
    char *lab = xasprintf("%s/labs/01-posix-shm", c->root);
    /* The shell, and with it the server, ends by itself should the test
     * die before terminal_close(): killed, as an interactive shell
     * ignores SIGTERM. */
    char *shell =
        xasprintf("env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LC_ALL=C.UTF-8 "
                  "TERM=xterm-256color SHMLAB_ROOT=%s PS1='$ ' timeout -s KILL 600 bash --norc "
                  "--noprofile",
                  c->root);
    struct proc *p = TMUX(&term, "-f", "/dev/null", "new-session", "-d", "-x", width, "-y", "200",
                          "-s", "student", "-c", lab, shell);

    assert_exit(p, 0);
    proc_free(p);
    free(shell);
    free(lab);
    free(width);
    return term;
}

static void terminal_close(struct terminal *term)
{
    proc_free(TMUX(term, "kill-server"));
    free(term->socket);
}

/* Type COMMAND (a line of the shell) and Enter, and wait for it to end:
 * it signals a tmux channel (an event, not a pause). */
static void terminal_type(const struct terminal *term, const char *command)
{
    char *typed = xasprintf("clear; %s; tmux -S %s wait-for -S done", command, term->socket);
    struct proc *p = TMUX(term, "send-keys", "-t", "student", typed, "Enter");

    assert_exit(p, 0);
    proc_free(p);
    p = TMUX(term, "wait-for", "done");
    assert_exit(p, 0);
    proc_free(p);
    free(typed);
}

/* The screen below the typed line, with its colours (capture-pane -e,
 * FLAG "-e"), or with the lines the terminal wrapped joined ("-J"). */
static char *terminal_screen(const struct terminal *term, const char *flag)
{
    struct proc *p = TMUX(term, "capture-pane", "-p", "-t", "student", flag);
    const char *below;
    char *screen;

    assert_exit(p, 0);
    below = strstr(p->out.head, "wait-for -S done");
    below = below != NULL ? strchr(below, '\n') : NULL;
    screen = xstrdup(below != NULL ? below + 1 : p->out.head);
    proc_free(p);
    return screen;
}

/* COMMAND typed, and the screen it leaves (FLAG: see terminal_screen). */
static char *terminal_run(const struct terminal *term, const char *command, const char *flag)
{
    terminal_type(term, command);
    return terminal_screen(term, flag);
}

/* The make command a student types in lab 01's folder, this grader's,
 * after BEFORE ("NO_COLOR=1") and with AFTER (" | cat"). */
static char *make_grade_command(const char *before, const char *after)
{
    char *build = build_folder();
    char *command = xasprintf("%s make --no-print-directory BUILD=%s grade TEST=round-trip,usage%s",
                              before, build, after);

    free(build);
    return command;
}

/* The line of SCREEN that holds TEXT, or NULL. */
static char *line_holding_text(const char *screen, const char *text)
{
    const char *at = strstr(screen, text), *start, *end;

    if (at == NULL)
        return NULL;
    for (start = at; start > screen && start[-1] != '\n'; start--)
        ;
    end = strchr(at, '\n');
    return xasprintf("%.*s", (int)(end ? end - start : (ptrdiff_t)strlen(start)), start);
}

/* A checkout whose lab 01 fails round-trip, and a terminal on it. */
struct failing_lab_terminal {
    struct checkout checkout;
    struct terminal term;
};

/* Open one of COLUMNS; false (the test has nothing to do) when tmux is
 * not here. */
static bool failing_lab_terminal_open(struct failing_lab_terminal *t, int columns)
{
    if (!tmux_present())
        return false;
    t->checkout = checkout_for_make();
    checkout_stage(&t->checkout, "01-posix-shm", "reader-debug-on-stdout");
    t->term = terminal_open(&t->checkout, columns);
    return true;
}

static void failing_lab_terminal_close(struct failing_lab_terminal *t)
{
    terminal_close(&t->term);
    checkout_remove(&t->checkout);
}

/* make grade, with ENVIRONMENT before it and PIPE after it, shows the
 * failing test without a colour (WHERE says when, in the message). */
static void expect_plain_report(struct terminal *term, const char *environment, const char *pipe,
                                const char *where)
{
    char *command = make_grade_command(environment, pipe);
    char *screen = terminal_run(term, command, "-e");

    ck_assert_msg(strstr(screen, "\x1b[") == NULL, "colours %s:\n%s", where, screen);
    ck_assert_msg(strstr(screen, "FAIL  round-trip") != NULL, "%s", screen);
    free(screen);
    free(command);
}

/*
 * make grade in a real terminal: colours there (a failing test's verdict
 * in colour), none with NO_COLOR=1, none when piped; the report is the
 * same words either way.
 */
START_TEST(make_grade_in_a_terminal_has_colours_unless_no_color_or_piped)
{
    struct failing_lab_terminal t;
    char *command, *screen, *fail;

    if (!failing_lab_terminal_open(&t, 100))
        return;

    command = make_grade_command("", "");
    screen = terminal_run(&t.term, command, "-e");
    fail = line_holding_text(screen, "FAIL");
    ck_assert_msg(fail != NULL && strstr(fail, "\x1b[") != NULL,
                  "no colour on the failing test's line in a terminal:\n%s", screen);
    ck_assert_msg(strstr(screen, "round-trip") != NULL && strstr(screen, "TOTAL") != NULL, "%s",
                  screen);
    free(fail);
    free(screen);
    free(command);

    expect_plain_report(&t.term, "NO_COLOR=1", "", "despite NO_COLOR=1");
    expect_plain_report(&t.term, "", " | cat", "in a pipe");

    failing_lab_terminal_close(&t);
}
END_TEST

/*
 * make grade in a terminal of 60 columns: the report fits it (no line
 * wrapped by the terminal: the screen is the same with wrapped lines
 * joined), and what matters stays whole on its line: the verdict, the
 * replay command, the hint command, the total.
 */
START_TEST(make_grade_in_a_narrow_terminal_wraps_nothing)
{
    static const char *const whole[] = {"FAIL  round-trip", "replay: bash repro/round-trip.sh",
                                        "hint: make hint TEST=round-trip", "TOTAL: 5/15"};
    struct failing_lab_terminal t;
    char *command, *screen, *joined;

    if (!failing_lab_terminal_open(&t, 60))
        return;
    command = make_grade_command("", "");
    terminal_type(&t.term, command);
    screen = terminal_screen(&t.term, "-N");
    joined = terminal_screen(&t.term, "-J");
    ck_assert_msg(strcmp(screen, joined) == 0,
                  "lines wrapped by a terminal of 60 columns:\n%s\n-- joined, they are:\n%s",
                  screen, joined);
    for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
        ck_assert_msg(strstr(screen, whole[i]) != NULL,
                      "\"%s\" is not whole on a line of 60 columns:\n%s", whole[i], screen);
    free(joined);
    free(screen);
    free(command);
    failing_lab_terminal_close(&t);
}
END_TEST

/* --- handouts ------------------------------------------------------------------- */

/* A handout stands alone: it names a text by its title, never by a number
 * of the course's reading list a student does not have ("seed 003"). */
START_TEST(handouts_refer_to_no_numbered_reading)
{
    struct proc *p =
        RUN_IN(shmlab_root, NULL, "sh", "-c",
               "grep -n -i -E 'seed[s]? ?[0-9]{2,3}|seeds?/' labs/*/README.md || true");

    assert_exit(p, 0);
    ck_assert_msg(p->out.head[0] == '\0', "handouts that send students to texts they lack:\n%s",
                  p->out.head);
    proc_free(p);
}
END_TEST

/* --- crashes ------------------------------------------------------------------- */

/* A corpus entry whose program crashes in TEST, the line of its FILE the
 * crash is on (the line holding MARK), and its function. */
struct crash_case {
    const char *lab, *entry, *test, *file, *mark, *function, *program;
};

static const struct crash_case crash_cases[] = {
    /* UndefinedBehaviorSanitizer stops it first: NULL passed on. */
    {"01-posix-shm", "reader-no-argc-check", "usage", "reader.c", "is_valid_shm_name(name)", "main",
     "reader"},
    /* AddressSanitizer: a read past the mapping (a guard page in the test). */
    {"01-posix-shm", "reader-prints-with-percent-s", "no-nul-object", "reader.c",
     "printf(\"Received: %s\\n\", data)", "main", "reader"},
};

/* The number of the first line of the file at PATH that holds MARK. */
static int line_holding(const char *path, const char *mark)
{
    char *text = read_file(path, NULL);
    const char *at = strstr(text, mark);
    int line = 1;

    ck_assert_msg(at != NULL, "%s holds no \"%s\"", path, mark);
    for (const char *c = text; c < at; c++)
        line += *c == '\n';
    free(text);
    return line;
}

/*
 * A test whose program crashed says where: the program runs again from
 * the sanitize build, and the report names the file, line and function of
 * the student's code it crashed in, and the gdb command to stop there.
 * Twice, the same words: the run again is no matter of luck.
 */
START_TEST(a_crash_names_the_line_of_the_students_code)
{
    const struct crash_case *cc = &crash_cases[_i];
    struct checkout c = checkout_make();
    char *path = xasprintf("%s/labs/%s/%s", c.root, cc->lab, cc->file);
    char *where, *gdb;
    struct proc *p;

    checkout_stage(&c, cc->lab, cc->entry);
    where =
        xasprintf("crashed at %s:%d (%s)", cc->file, line_holding(path, cc->mark), cc->function);
    gdb = xasprintf("gdb -q -ex run -ex bt --args ./%s", cc->program);
    for (int run = 0; run < 2; run++) {
        p = GRADE(&c, NULL, "--lab", cc->lab, "--test", cc->test);
        assert_exit(p, 1);
        ck_assert_msg(strstr(p->out.head, where) != NULL,
                      "%s %s: the report does not say \"%s\":\n%s", cc->entry, cc->test, where,
                      p->out.head);
        ck_assert_msg(strstr(p->out.head, gdb) != NULL,
                      "%s %s: the report does not say \"%s\":\n%s", cc->entry, cc->test, gdb,
                      p->out.head);
        proc_free(p);
    }
    free(gdb);
    free(where);
    free(path);
    checkout_remove(&c);
}
END_TEST

/* The number of rows of TABLE. */
#define ROWS(table) ((int)(sizeof(table) / sizeof((table)[0])))

int main(void)
{
    Suite *s = suite_create("learn");

    support_init("check_learn", "learn-test");
    tcase_add_loop_test(add_tests(s, "replay scripts", 600, NULL),
                        a_replay_script_shows_the_same_failure, 0, ROWS(replay_cases));
    tcase_add_loop_test(add_tests(s, "crashes", 300, NULL),
                        a_crash_names_the_line_of_the_students_code, 0, ROWS(crash_cases));
    ADD_TESTS(s, "reports", 300, the_report_names_each_failing_tests_replay_script,
              grading_a_submission_writes_no_replay_script);
    ADD_TESTS(s, "hints", 120, hints_come_a_level_at_a_time_and_are_remembered,
              a_hint_for_an_unknown_test_is_refused,
              hint_files_name_real_tests_and_hold_no_solution_code);
    ADD_TESTS(s, "progress", 300, progress_shows_saved_results_and_grades_changed_labs_again);
    ADD_TESTS(s, "handouts", 60, handouts_refer_to_no_numbered_reading);
    ADD_TESTS(s, "make targets", 300, make_targets_work_from_the_top_and_from_a_lab_folder);
    tcase_add_loop_test(add_tests(s, "make watch", 300, NULL),
                        make_watch_grades_again_on_a_save_and_ends_cleanly_on_ctrl_c, 0,
                        ROWS(watch_places));
    ADD_TESTS(s, "terminal", 300, make_grade_in_a_terminal_has_colours_unless_no_color_or_piped,
              make_grade_in_a_narrow_terminal_wraps_nothing);
    ADD_TESTS(s, "watch", 300, watch_grades_again_when_inotify_sees_a_save,
              watch_grades_again_when_polling_finds_a_save);
    return run_suite(s);
}
