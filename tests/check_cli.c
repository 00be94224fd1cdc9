/*
 * check_cli.c - shmgrade's command line: bad input gets a clear message
 * and a non-zero status, never a crash or a silent pass.
 *
 * Environment: SHMLAB_ROOT (the checkout), SHMGRADE (the grader binary).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

/* Run shmgrade with the NULL-terminated ARGS; it must end by itself. */
static struct proc *run_shmgrade(const char *const args[])
{
    struct proc *p = shmgrade_start(args, NULL);

    ck_assert_msg(proc_wait(p, SUPPORT_TIMEOUT_MS), "shmgrade did not finish");
    return p;
}
#define SHMGRADE(...) run_shmgrade((const char *const[]){__VA_ARGS__, NULL})

/* Write TEXT (SIZE bytes) to the file NAME of the staged lab folder. */
static void put_file(const struct staged *sub, const char *name, const char *text, size_t size)
{
    char *path = staged_file(sub, name);
    write_file(path, text, size);
    free(path);
}

START_TEST(help_and_list_succeed)
{
    struct proc *p = SHMGRADE("--help");
    assert_exit_saying(p, 0, "usage: shmgrade");
    proc_free(p);
    p = SHMGRADE("--list");
    assert_exit_saying(p, 0, "01-posix-shm");
    ck_assert_ptr_nonnull(strstr(p->out.head, "round-trip"));
    proc_free(p);
}
END_TEST

START_TEST(bad_command_lines_exit_2_with_a_reason)
{
    static const char *const cases[][3] = {
        {"--lab", "99", "no lab '99'"},
        {"--format", "xml", "unknown format"},
        {"--submission", "/nonexistent/folder", "not a folder"},
        {"--root", "/tmp", "no labs/ folder"},
    };
    struct proc *p;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        p = SHMGRADE(cases[i][0], cases[i][1]);
        assert_exit_saying(p, 2, cases[i][2]);
        proc_free(p);
    }
    p = SHMGRADE("--no-such-option");
    assert_exit_saying(p, 2, "--help");
    proc_free(p);
}
END_TEST

START_TEST(a_missing_file_is_reported_and_scores_zero)
{
    struct staged sub = stage_in_temp("01-posix-shm", NULL);
    char *reader = staged_file(&sub, "reader.c");

    ck_assert_int_eq(unlink(reader), 0);
    struct proc *p = SHMGRADE("--lab", "01", "--submission", sub.dir);
    assert_exit_saying(p, 1, "reader.c is missing from the submission");
    ck_assert_ptr_nonnull(strstr(p->out.head, "TOTAL: 0/95 visible"));
    proc_free(p);
    free(reader);
    staged_remove(&sub);
}
END_TEST

START_TEST(binary_files_and_symlinks_are_refused)
{
    struct staged sub = stage_in_temp("01-posix-shm", NULL);
    char *link = staged_file(&sub, "reader.c");
    char *target = xasprintf("%s/solutions/01-posix-shm/reader.c", shmlab_root);

    put_file(&sub, "reader.c", "int main(void)\0{}", 17);
    struct proc *p = SHMGRADE("--lab", "01", "--submission", sub.dir);
    assert_exit_saying(p, 1, "is a binary file");
    proc_free(p);

    ck_assert_int_eq(unlink(link), 0);
    ck_assert_int_eq(symlink(target, link), 0);
    p = SHMGRADE("--lab", "01", "--submission", sub.dir);
    assert_exit_saying(p, 1, "symbolic link");
    proc_free(p);
    free(target);
    free(link);
    staged_remove(&sub);
}
END_TEST

START_TEST(a_build_failure_shows_the_compiler_and_scores_zero)
{
    static const char broken[] = "int main(void) { return undeclared; }\n";
    struct staged sub = stage_in_temp("01-posix-shm", NULL);

    put_file(&sub, "reader.c", broken, sizeof(broken) - 1);
    struct proc *p = SHMGRADE("--lab", "01", "--submission", sub.dir, "--format", "json");
    json_t *report = json_loads(p->out.head, 0, NULL);
    json_t *graded = json_array_get(json_object_get(report, "labs"), 0);

    assert_exit(p, 1);
    ck_assert_ptr_nonnull(report);
    ck_assert_str_eq(json_str(graded, "state"), "build failed");
    ck_assert_ptr_nonnull(strstr(json_str(graded, "build_log"), "undeclared"));
    ck_assert_int_eq(json_int(report, "score"), 0);
    /* The points of the tests run; the lab is worth 100 with its hidden test. */
    ck_assert_int_eq(json_int(report, "max_score"), 95);
    ck_assert_int_eq(json_int(graded, "lab_points"), 100);
    ck_assert_int_eq(json_int(graded, "hidden_points"), 5);
    json_decref(report);
    proc_free(p);
    staged_remove(&sub);
}
END_TEST

START_TEST(the_exit_status_says_whether_everything_passed)
{
    char *skeletons = xasprintf("%s/labs", shmlab_root);
    struct proc *p = SHMGRADE("--lab", "01", "--submission", skeletons);

    assert_exit_saying(p, 1,
                       "TOTAL: 0/95 visible \u2014 5 more points come from hidden tests run at "
                       "final grading (100 in all)");
    /* Not a terminal: no colour codes. */
    ck_assert_ptr_null(strchr(p->out.head, '\033'));
    proc_free(p);
    free(skeletons);
}
END_TEST

/* --list: each lab's 100 points, and how many of them hidden tests carry. */
START_TEST(list_shows_each_lab_worth_100_points)
{
    struct proc *p = SHMGRADE("--list");

    assert_exit_saying(p, 0, "01-posix-shm: ");
    ck_assert_msg(strstr(p->out.head, "\u2014 100 points (95 visible, 5 hidden)\n") != NULL, "%s",
                  p->out.head);
    ck_assert_ptr_nonnull(strstr(p->out.head, "02-sysv-client-server: "));
    ck_assert_ptr_nonnull(strstr(p->out.head, "\u2014 100 points (all visible)\n"));
    proc_free(p);
}
END_TEST

START_TEST(flat_layout_one_test_and_output_file)
{
    struct stat st;
    struct staged sub = stage_in_temp("01-posix-shm", NULL);
    char *out = xasprintf("%s/report.txt", sub.dir);

    /* A flat folder works when one lab is graded. */
    struct proc *p =
        SHMGRADE("--lab", "01", "--submission", sub.lab_dir, "--test", "usage", "-o", out);
    assert_exit(p, 0);
    ck_assert_int_eq(stat(out, &st), 0);
    ck_assert_int_gt(st.st_size, 0);
    proc_free(p);
    free(out);
    staged_remove(&sub);
}
END_TEST

/* A typo in --test is a usage error that lists the lab's tests, never a
 * grading of nothing that exits 0. */
START_TEST(an_unknown_test_id_is_a_usage_error_listing_the_ids)
{
    struct proc *p = SHMGRADE("--lab", "01", "--test", "roundtrip");

    assert_exit_saying(p, 2, "lab 01-posix-shm has no test 'roundtrip'; its tests: round-trip, ");
    ck_assert_ptr_nonnull(strstr(p->err.head, "bad-name"));
    ck_assert_ptr_null(strstr(p->out.head, "score"));
    proc_free(p);
    p = SHMGRADE("--lab", "01", "--test", "usage,roundtrip");
    assert_exit_saying(p, 2, "no test 'roundtrip'");
    proc_free(p);
    p = SHMGRADE("--lab", "01", "--test", "usage,");
    assert_exit_saying(p, 2, "separated by commas");
    proc_free(p);
    p = SHMGRADE("--test", "roundtrip");
    assert_exit_saying(p, 2, "no lab has a test 'roundtrip'");
    proc_free(p);
    /* A hidden test runs only when hidden tests are asked for. */
    p = SHMGRADE("--lab", "01", "--test", "empty-message");
    assert_exit_saying(p, 2, "test 'empty-message' of 01-posix-shm is hidden: add --hidden");
    proc_free(p);
}
END_TEST

/* --test without --lab: an id of one lab grades that lab alone; an id
 * several labs have is refused, naming them. */
START_TEST(test_without_lab_resolves_the_lab_or_refuses)
{
    char *solutions = xasprintf("%s/solutions", shmlab_root);
    struct proc *p = SHMGRADE("--test", "usage");
    json_t *report, *labs;

    assert_exit_saying(p, 2,
                       "test 'usage' is in more than one lab (01-posix-shm, 02-sysv-client-server");
    ck_assert_ptr_nonnull(strstr(p->err.head, "name the lab with --lab"));
    proc_free(p);

    p = SHMGRADE("--test", "round-trip,size-and-mode", "--submission", solutions, "--format",
                 "json");
    assert_exit(p, 0);
    report = json_loads(p->out.head, 0, NULL);
    ck_assert_ptr_nonnull(report);
    labs = json_object_get(report, "labs");
    ck_assert_uint_eq(json_array_size(labs), 1);
    ck_assert_str_eq(json_str(json_array_get(labs, 0), "id"), "01-posix-shm");
    /* Full marks out of the points of the two tests that ran. */
    ck_assert_int_eq(json_int(report, "score"), 20);
    ck_assert_int_eq(json_int(report, "max_score"), 20);
    ck_assert_uint_eq(json_array_size(json_object_get(report, "tests")), 2);
    json_decref(report);
    proc_free(p);
    free(solutions);
}
END_TEST

/* With the hidden tests run, the lab is graded out of its 100 points and
 * the report has nothing to add about points not run. */
START_TEST(hidden_tests_complete_the_100_points)
{
    char *solutions = xasprintf("%s/solutions", shmlab_root);
    struct proc *p = SHMGRADE("--lab", "01", "--hidden", "--submission", solutions);

    assert_exit_saying(p, 0, "TOTAL: 100/100");
    ck_assert_ptr_nonnull(strstr(p->out.head, "score: 100/100  ("));
    ck_assert_ptr_null(strstr(p->out.head, "in all"));
    proc_free(p);
    free(solutions);
}
END_TEST

/* make's failure lines: "make: *** [Makefile:61: grade] Error 1". */
static void assert_no_make_error(const struct proc *p)
{
    ck_assert_msg(!strstr(p->out.head, "] Error ") && !strstr(p->err.head, "] Error ") &&
                      !strstr(p->err.head, "*** "),
                  "`%s` reads like a failed build:\nstdout: %.2000s\nstderr: %.2000s", p->command,
                  p->out.head, p->err.head);
}

/* The student-facing targets (make grade at the top and in a lab's
 * folder, make progress): a grading that ran is no failed build, whatever
 * the score; bad usage still fails, saying why. */
START_TEST(make_grade_of_a_skeleton_succeeds_with_a_clean_summary)
{
    char *build = xasprintf("BUILD=%s", shmgrade_path), *lab = NULL;
    struct proc *p;

    *strrchr(build, '/') = '\0'; /* the grader under test's build folder */
    lab = xasprintf("%s/labs/01-posix-shm", shmlab_root);
    p = RUN_IN(shmlab_root, NULL, "make", "--no-print-directory", "grade", "LAB=01", build);
    assert_exit_saying(p, 0, "TOTAL: 0/95 visible");
    assert_no_make_error(p);
    proc_free(p);
    p = RUN_IN(lab, NULL, "make", "grade", build);
    assert_exit_saying(p, 0, "TOTAL: 0/95 visible");
    assert_no_make_error(p);
    proc_free(p);
    p = RUN_IN(shmlab_root, NULL, "make", "--no-print-directory", "progress", "LAB=01", build);
    assert_exit_saying(p, 0, "next: round-trip");
    assert_no_make_error(p);
    proc_free(p);

    p = RUN_IN(shmlab_root, NULL, "make", "--no-print-directory", "grade", "LAB=99", build);
    assert_exit_saying(p, 2, "no lab '99'");
    proc_free(p);
    free(lab);
    free(build);
}
END_TEST

/* How many running processes have TEXT in their command line. */
static int processes_mentioning(const char *text)
{
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    int found = 0;

    ck_assert_ptr_nonnull(proc);
    while ((entry = readdir(proc)) != NULL) {
        char path[300], cmdline[4096];
        size_t n;
        FILE *f;
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", entry->d_name);
        f = fopen(path, "re");
        if (f == NULL)
            continue;
        n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (cmdline[i] == '\0')
                cmdline[i] = ' ';
        cmdline[n] = '\0';
        found += strstr(cmdline, text) != NULL;
    }
    closedir(proc);
    return found;
}

/* The corpus entry whose programs hang: each side spins forever on a flag
 * the compiler read once. */
#define HANGING_LAB   "03-producer-consumer"
#define HANGING_ENTRY "tests/corpus/03-producer-consumer/plain-int-spin"

static struct staged stage_hanging(void)
{
    char *entry = xasprintf("%s/" HANGING_ENTRY, shmlab_root);
    struct staged sub = stage_in_temp(HANGING_LAB, entry);
    free(entry);
    return sub;
}

/* The points of the verdicts a text report shows, added up. */
static int points_shown(const char *report)
{
    int sum = 0;

    for (const char *line = report; line != NULL && *line != '\0';) {
        int got, max;
        if (sscanf(line, "  PASS %*s %d/%d", &got, &max) == 2 ||
            sscanf(line, "  FAIL %*s %d/%d", &got, &max) == 2)
            sum += got;
        line = strchr(line, '\n');
        line = line == NULL ? NULL : line + 1;
    }
    return sum;
}

/* Verdicts are written as they come, in table order; Ctrl-C (SIGINT) ends
 * the grading at once with what was graded, and nothing it started keeps
 * running. */
START_TEST(ctrl_c_reports_what_was_graded_and_leaves_nothing_running)
{
    struct staged sub = stage_hanging();
    char *tmp = temp_folder("interrupted");
    char *tmp_env = xasprintf("TMPDIR=%s", tmp);
    const char *env[] = {tmp_env, NULL};
    struct proc *p =
        shmgrade_start((const char *const[]){"--lab", "03", "--submission", sub.dir, NULL}, env);
    char *line = proc_await_line(p, "FAIL  five-messages", 120000);
    long long interrupted;
    const char *total;

    ck_assert_msg(line != NULL, "no verdict came as the grading went:\n%s", p->out.head);
    free(line);
    /* The next tests hang as the first did: wait until one runs. */
    for (long long until = now_ms() + 60000; processes_mentioning(tmp) == 0;) {
        ck_assert_msg(now_ms() < until, "no test runs after the first verdict");
        usleep(50000);
    }
    interrupted = now_ms();
    ck_assert_int_eq(kill(p->pid, SIGINT), 0);
    ck_assert(proc_wait(p, 20000));
    ck_assert_int_lt(now_ms() - interrupted, 10000);
    assert_exit_saying(p, 130, "interrupted");
    ck_assert_ptr_nonnull(strstr(p->out.head, "tests not run: the grading was interrupted"));
    /* The total is what was graded (a test of the entry may pass before
     * the interrupt, or not: the total counts it either way, never a test
     * not run). */
    total = strstr(p->out.head, "TOTAL: ");
    ck_assert_ptr_nonnull(total);
    ck_assert_int_eq(atoi(total + strlen("TOTAL: ")), points_shown(p->out.head));
    ck_assert_ptr_null(strstr(p->out.head, "SKIP"));
    ck_assert_int_eq(processes_mentioning(tmp), 0);
    /* The work folder went too. */
    ck_assert_int_eq(rmdir(tmp), 0);
    proc_free(p);
    free(tmp_env);
    free(tmp);
    staged_remove(&sub);
}
END_TEST

/* On a terminal, a test that runs a while says what it waits for, on a
 * line that the next verdict replaces. */
START_TEST(a_slow_test_says_what_it_waits_for_on_a_terminal)
{
    struct staged sub = stage_hanging();
    char *command =
        xasprintf("'%s' --lab 03 --test five-messages --submission '%s'", shmgrade_path, sub.dir);
    /* script(1) gives the grader a terminal of its own. */
    const char *env[] = {"TERM=dumb", "NO_COLOR=1", NULL};
    struct proc *p = RUN_IN(NULL, env, "script", "-qefc", command, "/dev/null");
    const char *status = strstr(p->out.head, "  ... five-messages (");

    assert_exit(p, 1);
    /* The entry's consumer never sees message 1: the test waits for it. */
    ck_assert_msg(status != NULL && strstr(status, " s): waiting for `consumer` to print"),
                  "no status line in:\n%s", p->out.head);
    /* Erased before the verdict: back to the line's start, then erase. */
    ck_assert_ptr_nonnull(strstr(p->out.head, "\r\033[K  FAIL  five-messages"));
    proc_free(p);
    free(command);
    staged_remove(&sub);
}
END_TEST

/*
 * Where the kernel will not let the grader follow a program (a container
 * whose seccomp profile forbids ptrace), a test that counts what the
 * program does is the grader's error, said as such: exit status 3, the
 * test "not graded", no hint to the student, and NOT A GRADE under the
 * total. Never a pass (nothing counted) nor a plain fail.
 */
static int grade_without_ptrace(const char *solution)
{
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
    static const char *const says[] = {"ptrace(PTRACE_SEIZE)",
                                       "not graded: the grader failed here, not the submission",
                                       "NOT A GRADE: the grader failed on some tests"};
    struct proc *p;

    if (filter == NULL ||
        seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0) != 0 ||
        seccomp_load(filter) != 0) {
        fprintf(stderr, "check_cli: could not forbid ptrace with seccomp\n");
        return 2;
    }
    p = SHMGRADE("--lab", "06", "--submission", solution, "--test", "no-syscalls");
    if (p->exit_code != 3) {
        fprintf(stderr, "shmgrade exited with %d, not 3:\n%s\n%s", p->exit_code, p->out.head,
                p->err.head);
        return 1;
    }
    for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++)
        if (strstr(p->out.head, says[i]) == NULL) {
            fprintf(stderr, "shmgrade's report does not say \"%s\":\n%s", says[i], p->out.head);
            return 1;
        }
    proc_free(p);
    return 0;
}

START_TEST(counting_without_ptrace_is_the_graders_error_not_a_verdict)
{
    char *solution = xasprintf("%s/solutions/06-spsc-ring", shmlab_root);
    int status;
    pid_t pid;

    fflush(NULL);
    pid = fork(); /* the filter stays in the child, whatever CK_FORK says */
    ck_assert_int_ne(pid, -1);
    if (pid == 0)
        _exit(grade_without_ptrace(solution));
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "see the lines above");
    free(solution);
}
END_TEST

/* A program that crashes in a test of the usual build is run again from
 * the sanitize build, which names its line (tests/check_learn.c checks
 * which line), and the gdb command that stops there is shown. */
START_TEST(a_crash_names_its_line_and_the_gdb_command)
{
    char *entry =
        xasprintf("%s/tests/corpus/01-posix-shm/reader-prints-with-percent-s", shmlab_root);
    struct staged sub = stage_in_temp("01-posix-shm", entry);
    struct proc *p = SHMGRADE("--lab", "01", "--submission", sub.dir, "--test", "no-nul-object");

    assert_exit(p, 1);
    ck_assert_msg(strstr(p->out.head, "was killed by SIGSEGV") != NULL, "%s", p->out.head);
    ck_assert_msg(strstr(p->out.head, "crashed at reader.c:") != NULL &&
                      strstr(p->out.head, "(main): run again, AddressSanitizer found") != NULL &&
                      strstr(p->out.head, "gdb -q -ex run -ex bt --args ./reader") != NULL,
                  "%s", p->out.head);
    proc_free(p);
    staged_remove(&sub);
    free(entry);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");

    support_init("check_cli", "cli-test");
    ADD_TESTS(s, "command line", 300, help_and_list_succeed, bad_command_lines_exit_2_with_a_reason,
              a_missing_file_is_reported_and_scores_zero, binary_files_and_symlinks_are_refused,
              a_build_failure_shows_the_compiler_and_scores_zero,
              flat_layout_one_test_and_output_file, the_exit_status_says_whether_everything_passed,
              list_shows_each_lab_worth_100_points,
              an_unknown_test_id_is_a_usage_error_listing_the_ids,
              test_without_lab_resolves_the_lab_or_refuses, hidden_tests_complete_the_100_points,
              make_grade_of_a_skeleton_succeeds_with_a_clean_summary,
              ctrl_c_reports_what_was_graded_and_leaves_nothing_running,
              a_slow_test_says_what_it_waits_for_on_a_terminal,
              counting_without_ptrace_is_the_graders_error_not_a_verdict,
              a_crash_names_its_line_and_the_gdb_command);
    return run_suite(s);
}
