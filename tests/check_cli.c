/*
 * check_cli.c - shmgrade's command line: bad input gets a clear message
 * and a non-zero status, never a crash or a silent pass.
 *
 * Environment: SHMLAB_ROOT (the checkout), SHMGRADE (the grader binary).
 */
#define _GNU_SOURCE
#include <check.h>
#include <ftw.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/proc.h"

static const char *root, *shmgrade;

/* Run shmgrade with ARGS (NULL-terminated); the caller frees the result. */
static struct proc *shmgrade_run(const char *first, ...)
{
    const char *argv[32] = {shmgrade};
    const char *env[] = {NULL, NULL};
    char env_root[4200];
    struct proc_opts opts = {.env = env};
    struct proc *p;
    va_list args;
    size_t n = 1;

    snprintf(env_root, sizeof(env_root), "SHMLAB_ROOT=%s", root);
    env[0] = env_root;
    va_start(args, first);
    for (const char *arg = first; arg != NULL && n < 31; arg = va_arg(args, const char *))
        argv[n++] = arg;
    va_end(args);
    argv[n] = NULL;
    p = proc_spawn(argv, &opts);
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(proc_wait(p, 120000), "shmgrade did not finish");
    ck_assert_msg(p->state == PROC_EXITED, "shmgrade %s", proc_describe_end(p));
    return p;
}

static void assert_exit(struct proc *p, int code, const char *needle)
{
    ck_assert_msg(p->exit_code == code, "`%s` exited %d, expected %d; stderr: %s", p->command,
                  p->exit_code, code, p->err.head);
    if (needle != NULL)
        ck_assert_msg(strstr(p->out.head, needle) || strstr(p->err.head, needle),
                      "`%s` did not say \"%s\"; stdout: %.500s stderr: %.500s", p->command, needle,
                      p->out.head, p->err.head);
}

static char folder[256];

static void make_submission(void)
{
    char path[512];
    snprintf(folder, sizeof(folder), "/tmp/shmlab-cli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(folder));
    snprintf(path, sizeof(path), "%s/01-posix-shm", folder);
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void write_file(const char *name, const char *text, size_t len)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/01-posix-shm/%s", folder, name);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void copy_solution(const char *name)
{
    char path[4200], *text;
    size_t len;
    FILE *f;
    snprintf(path, sizeof(path), "%s/solutions/01-posix-shm/%s", root, name);
    f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    text = malloc(1 << 20);
    len = fread(text, 1, 1 << 20, f);
    fclose(f);
    write_file(name, text, len);
    free(text);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_submission(void)
{
    nftw(folder, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

START_TEST(help_and_list_succeed)
{
    struct proc *p = shmgrade_run("--help", NULL);
    assert_exit(p, 0, "usage: shmgrade");
    proc_free(p);
    p = shmgrade_run("--list", NULL);
    assert_exit(p, 0, "01-posix-shm");
    ck_assert_ptr_nonnull(strstr(p->out.head, "round-trip"));
    proc_free(p);
}
END_TEST

START_TEST(bad_command_lines_exit_2_with_a_reason)
{
    struct proc *p = shmgrade_run("--lab", "99", NULL);
    assert_exit(p, 2, "no lab '99'");
    proc_free(p);
    p = shmgrade_run("--format", "xml", NULL);
    assert_exit(p, 2, "unknown format");
    proc_free(p);
    p = shmgrade_run("--submission", "/nonexistent/folder", NULL);
    assert_exit(p, 2, "not a folder");
    proc_free(p);
    p = shmgrade_run("--no-such-option", NULL);
    assert_exit(p, 2, "--help");
    proc_free(p);
    p = shmgrade_run("--root", "/tmp", NULL);
    assert_exit(p, 2, "no labs/ folder");
    proc_free(p);
}
END_TEST

START_TEST(a_missing_file_is_reported_and_scores_zero)
{
    make_submission();
    copy_solution("writer.c");
    struct proc *p = shmgrade_run("--lab", "01", "--submission", folder, NULL);
    assert_exit(p, 1, "reader.c is missing from the submission");
    ck_assert_ptr_nonnull(strstr(p->out.head, "TOTAL: 0/95 visible"));
    proc_free(p);
    remove_submission();
}
END_TEST

START_TEST(binary_files_and_symlinks_are_refused)
{
    char target[512], link[512];

    make_submission();
    copy_solution("writer.c");
    write_file("reader.c", "int main(void)\0{}", 17);
    struct proc *p = shmgrade_run("--lab", "01", "--submission", folder, NULL);
    assert_exit(p, 1, "is a binary file");
    proc_free(p);

    snprintf(link, sizeof(link), "%s/01-posix-shm/reader.c", folder);
    snprintf(target, sizeof(target), "%s/solutions/01-posix-shm/reader.c", root);
    ck_assert_int_eq(unlink(link), 0);
    ck_assert_int_eq(symlink(target, link), 0);
    p = shmgrade_run("--lab", "01", "--submission", folder, NULL);
    assert_exit(p, 1, "symbolic link");
    proc_free(p);
    remove_submission();
}
END_TEST

START_TEST(a_build_failure_shows_the_compiler_and_scores_zero)
{
    make_submission();
    copy_solution("writer.c");
    write_file("reader.c", "int main(void) { return undeclared; }\n", 38);
    struct proc *p = shmgrade_run("--lab", "01", "--submission", folder, "--format", "json", NULL);
    json_t *report = json_loads(p->out.head, 0, NULL);
    json_t *lab = json_array_get(json_object_get(report, "labs"), 0);

    assert_exit(p, 1, NULL);
    ck_assert_ptr_nonnull(report);
    ck_assert_str_eq(json_string_value(json_object_get(lab, "state")), "build failed");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(lab, "build_log")), "undeclared"));
    ck_assert_int_eq(json_integer_value(json_object_get(report, "score")), 0);
    /* The points of the tests run; the lab is worth 100 with its hidden test. */
    ck_assert_int_eq(json_integer_value(json_object_get(report, "max_score")), 95);
    ck_assert_int_eq(json_integer_value(json_object_get(lab, "lab_points")), 100);
    ck_assert_int_eq(json_integer_value(json_object_get(lab, "hidden_points")), 5);
    json_decref(report);
    proc_free(p);
    remove_submission();
}
END_TEST

START_TEST(flat_layout_one_test_and_output_file)
{
    char out[512], flat[512];
    struct stat st;

    make_submission();
    copy_solution("writer.c");
    copy_solution("reader.c");
    /* A flat folder works when one lab is graded. */
    snprintf(flat, sizeof(flat), "%s/01-posix-shm", folder);
    snprintf(out, sizeof(out), "%s/report.txt", folder);
    struct proc *p =
        shmgrade_run("--lab", "01", "--submission", flat, "--test", "usage", "-o", out, NULL);
    assert_exit(p, 0, NULL);
    ck_assert_int_eq(stat(out, &st), 0);
    ck_assert_int_gt(st.st_size, 0);
    proc_free(p);
    remove_submission();
}
END_TEST

START_TEST(the_exit_status_says_whether_everything_passed)
{
    char skeletons[4200];
    snprintf(skeletons, sizeof(skeletons), "%s/labs", root);
    struct proc *p = shmgrade_run("--lab", "01", "--submission", skeletons, NULL);
    assert_exit(p, 1,
                "TOTAL: 0/95 visible \u2014 5 more points come from hidden tests run at "
                "final grading (100 in all)");
    /* Not a terminal: no colour codes. */
    ck_assert_ptr_null(strchr(p->out.head, '\033'));
    proc_free(p);
}
END_TEST

/* --list: each lab's 100 points, and how many of them hidden tests carry. */
START_TEST(list_shows_each_lab_worth_100_points)
{
    struct proc *p = shmgrade_run("--list", NULL);

    assert_exit(p, 0, "01-posix-shm: ");
    ck_assert_msg(strstr(p->out.head, "\u2014 100 points (95 visible, 5 hidden)\n") != NULL, "%s",
                  p->out.head);
    ck_assert_ptr_nonnull(strstr(p->out.head, "02-sysv-client-server: "));
    ck_assert_ptr_nonnull(strstr(p->out.head, "\u2014 100 points (all visible)\n"));
    proc_free(p);
}
END_TEST

/* A typo in --test is a usage error that lists the lab's tests, never a
 * grading of nothing that exits 0. */
START_TEST(an_unknown_test_id_is_a_usage_error_listing_the_ids)
{
    struct proc *p = shmgrade_run("--lab", "01", "--test", "roundtrip", NULL);

    assert_exit(p, 2, "lab 01-posix-shm has no test 'roundtrip'; its tests: round-trip, ");
    ck_assert_ptr_nonnull(strstr(p->err.head, "bad-name"));
    ck_assert_ptr_null(strstr(p->out.head, "score"));
    proc_free(p);
    p = shmgrade_run("--lab", "01", "--test", "usage,roundtrip", NULL);
    assert_exit(p, 2, "no test 'roundtrip'");
    proc_free(p);
    p = shmgrade_run("--lab", "01", "--test", "usage,", NULL);
    assert_exit(p, 2, "separated by commas");
    proc_free(p);
    p = shmgrade_run("--test", "roundtrip", NULL);
    assert_exit(p, 2, "no lab has a test 'roundtrip'");
    proc_free(p);
    /* A hidden test runs only when hidden tests are asked for. */
    p = shmgrade_run("--lab", "01", "--test", "empty-message", NULL);
    assert_exit(p, 2, "test 'empty-message' of 01-posix-shm is hidden: add --hidden");
    proc_free(p);
}
END_TEST

/* --test without --lab: an id of one lab grades that lab alone; an id
 * several labs have is refused, naming them. */
START_TEST(test_without_lab_resolves_the_lab_or_refuses)
{
    char solutions[4200];
    struct proc *p = shmgrade_run("--test", "usage", NULL);
    json_t *report, *labs;

    assert_exit(p, 2, "test 'usage' is in more than one lab (01-posix-shm, 02-sysv-client-server");
    ck_assert_ptr_nonnull(strstr(p->err.head, "name the lab with --lab"));
    proc_free(p);

    snprintf(solutions, sizeof(solutions), "%s/solutions", root);
    p = shmgrade_run("--test", "round-trip,size-and-mode", "--submission", solutions, "--format",
                     "json", NULL);
    assert_exit(p, 0, NULL);
    report = json_loads(p->out.head, 0, NULL);
    ck_assert_ptr_nonnull(report);
    labs = json_object_get(report, "labs");
    ck_assert_uint_eq(json_array_size(labs), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(labs, 0), "id")),
                     "01-posix-shm");
    ck_assert_uint_eq(json_array_size(json_object_get(report, "tests")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(report, "score")), 25);
    ck_assert_int_eq(json_integer_value(json_object_get(report, "max_score")), 25);
    json_decref(report);
    proc_free(p);
}
END_TEST

/* With the hidden tests run, the lab is graded out of its 100 points and
 * the report has nothing to add about points not run. */
START_TEST(hidden_tests_complete_the_100_points)
{
    char solutions[4200];
    struct proc *p;

    snprintf(solutions, sizeof(solutions), "%s/solutions", root);
    p = shmgrade_run("--lab", "01", "--hidden", "--submission", solutions, NULL);
    assert_exit(p, 0, "TOTAL: 100/100");
    ck_assert_ptr_nonnull(strstr(p->out.head, "score: 100/100  ("));
    ck_assert_ptr_null(strstr(p->out.head, "in all"));
    proc_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("command line");
    SRunner *runner;
    int failed;

    root = getenv("SHMLAB_ROOT");
    shmgrade = getenv("SHMGRADE");
    if (root == NULL || shmgrade == NULL) {
        fprintf(stderr, "check_cli: set SHMLAB_ROOT and SHMGRADE (make cli-test does)\n");
        return 2;
    }
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, help_and_list_succeed);
    tcase_add_test(tc, bad_command_lines_exit_2_with_a_reason);
    tcase_add_test(tc, a_missing_file_is_reported_and_scores_zero);
    tcase_add_test(tc, binary_files_and_symlinks_are_refused);
    tcase_add_test(tc, a_build_failure_shows_the_compiler_and_scores_zero);
    tcase_add_test(tc, flat_layout_one_test_and_output_file);
    tcase_add_test(tc, the_exit_status_says_whether_everything_passed);
    tcase_add_test(tc, list_shows_each_lab_worth_100_points);
    tcase_add_test(tc, an_unknown_test_id_is_a_usage_error_listing_the_ids);
    tcase_add_test(tc, test_without_lab_resolves_the_lab_or_refuses);
    tcase_add_test(tc, hidden_tests_complete_the_100_points);
    suite_add_tcase(s, tc);
    runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
