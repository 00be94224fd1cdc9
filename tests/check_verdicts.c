/*
 * check_verdicts.c - the grader's verdicts, asserted end to end.
 *
 * For every lab: its reference solution gets full marks, its skeleton
 * gets 0, and every submission of the corpus fails exactly the tests its
 * EXPECTED file names - no more, no fewer - and keeps the points of all
 * the others.
 *
 * A corpus entry, tests/corpus/LAB/MISTAKE/, holds the student files that
 * differ from the solution and an EXPECTED file:
 *     about: one line on what the submission gets wrong
 *     fails: test-id test-id ...
 * A correct variant the grader once got wrong (a program that also writes
 * to stderr, say) says "fails: nothing": it must get full marks.
 *
 * Environment: SHMLAB_ROOT (the checkout), SHMGRADE (the grader binary),
 * SHMLAB_REPEAT (grade each submission this many times; default 1),
 * SHMGRADE_ISOLATION (passed on to the grader: namespaces, none, auto).
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/proc.h"

#define GRADE_TIMEOUT_MS (10 * 60 * 1000)
#define MAX_CASES        256

struct corpus_case {
    char lab[128];
    char name[128];
    char dir[4096];
};

static struct corpus_case cases[MAX_CASES];
static int n_cases;
static char lab_ids[32][128];
static int n_labs;
static const char *root, *shmgrade;
static int repeat = 1;

static void die(const char *what)
{
    fprintf(stderr, "check_verdicts: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* Sorted names of the sub-folders of PATH. */
static int list_folders(const char *path, char names[][128], int max)
{
    struct dirent **entries;
    int n = scandir(path, &entries, NULL, alphasort), count = 0;

    if (n < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", path, entries[i]->d_name);
        if (entries[i]->d_name[0] != '.' && stat(full, &st) == 0 && S_ISDIR(st.st_mode) &&
            count < max)
            snprintf(names[count++], 128, "%s", entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
    return count;
}

static void discover(void)
{
    char path[4096];
    static char mistakes[MAX_CASES][128];

    snprintf(path, sizeof(path), "%s/solutions", root);
    n_labs = list_folders(path, lab_ids, 32);
    for (int i = 0; i < n_labs; i++) {
        snprintf(path, sizeof(path), "%s/tests/corpus/%s", root, lab_ids[i]);
        int n = list_folders(path, mistakes, MAX_CASES);
        for (int j = 0; j < n && n_cases < MAX_CASES; j++) {
            struct corpus_case *c = &cases[n_cases++];
            snprintf(c->lab, sizeof(c->lab), "%s", lab_ids[i]);
            snprintf(c->name, sizeof(c->name), "%s", mistakes[j]);
            snprintf(c->dir, sizeof(c->dir), "%s/%s", path, mistakes[j]);
        }
    }
}

/* --- running the grader ------------------------------------------------------ */

/* Grade LAB of SUBMISSION; the JSON report (caller owns it). */
static json_t *grade(const char *lab, const char *submission)
{
    const char *argv[] = {shmgrade, "--lab",    lab, "--submission", submission, "--format",
                          "json",   "--hidden", NULL};
    char env_root[4200], env_isolation[256];
    const char *isolation = getenv("SHMGRADE_ISOLATION");
    const char *env[] = {env_root, isolation ? env_isolation : NULL, NULL};
    struct proc_opts opts = {.env = env};
    struct proc *p;
    json_error_t error;
    json_t *report;

    snprintf(env_root, sizeof(env_root), "SHMLAB_ROOT=%s", root);
    /* The isolation level under test, e.g. SHMGRADE_ISOLATION=none. */
    if (isolation != NULL)
        snprintf(env_isolation, sizeof(env_isolation), "SHMGRADE_ISOLATION=%s", isolation);
    p = proc_spawn(argv, &opts);
    ck_assert_msg(p != NULL, "cannot run %s", shmgrade);
    ck_assert_msg(proc_wait(p, GRADE_TIMEOUT_MS), "shmgrade did not finish grading %s", lab);
    ck_assert_msg(p->state == PROC_EXITED && (p->exit_code == 0 || p->exit_code == 1),
                  "shmgrade %s on %s; stderr: %s", proc_describe_end(p).text, submission,
                  p->err.head);
    report = json_loads(p->out.head, 0, &error);
    ck_assert_msg(report != NULL, "shmgrade printed no JSON (%s): %.300s", error.text, p->out.head);
    proc_free(p);
    return report;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of the failed tests, space-separated and sorted. */
static void failed_tests(json_t *report, char *out, size_t size)
{
    json_t *tests = json_object_get(report, "tests");
    const char *ids[256];
    size_t n = 0, index;
    json_t *test;

    json_array_foreach(tests, index, test)
    {
        if (strcmp(json_string_value(json_object_get(test, "status")), "passed") != 0 && n < 256)
            ids[n++] = json_string_value(json_object_get(test, "id"));
    }
    qsort(ids, n, sizeof(ids[0]), compare_strings);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", ids[i]);
    }
}

/* WORDS sorted, as one space-separated string. */
static void sort_words(const char *words, char *out, size_t size)
{
    char *copy = strdup(words), *save = NULL;
    const char *list[256];
    size_t n = 0;

    for (char *w = strtok_r(copy, " \t\n", &save); w && n < 256; w = strtok_r(NULL, " \t\n", &save))
        list[n++] = w;
    qsort(list, n, sizeof(list[0]), compare_strings);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", list[i]);
    }
    free(copy);
}

/* --- staging a corpus entry ----------------------------------------------- */

static void copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out;
    char buf[8192];
    size_t n;

    ck_assert_msg(in != NULL, "cannot read %s", src);
    out = fopen(dst, "wb");
    ck_assert_msg(out != NULL, "cannot write %s", dst);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

/* Copy every plain file of SRC except EXPECTED into DST. */
static void copy_folder(const char *src, const char *dst)
{
    DIR *dir = opendir(src);
    struct dirent *entry;

    ck_assert_msg(dir != NULL, "cannot open %s", src);
    while ((entry = readdir(dir)) != NULL) {
        char from[8192], to[8192];
        struct stat st;
        snprintf(from, sizeof(from), "%s/%s", src, entry->d_name);
        snprintf(to, sizeof(to), "%s/%s", dst, entry->d_name);
        if (stat(from, &st) == 0 && S_ISREG(st.st_mode) && strcmp(entry->d_name, "EXPECTED") != 0)
            copy_file(from, to);
    }
    closedir(dir);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A submission folder: the solution of LAB with OVERLAY's files on top. */
static void stage_submission(const char *lab, const char *overlay, char *dir, size_t size)
{
    char path[8192], solution[8192];

    snprintf(dir, size, "/tmp/shmlab-verdict-XXXXXX");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp");
    snprintf(path, sizeof(path), "%s/%s", dir, lab);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(solution, sizeof(solution), "%s/solutions/%s", root, lab);
    copy_folder(solution, path);
    if (overlay != NULL)
        copy_folder(overlay, path);
}

/* The "about:" and "fails:" lines of an EXPECTED file. */
static void read_expected(const char *dir, char *about, char *fails, size_t size)
{
    char path[8192], line[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/EXPECTED", dir);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s is missing: every corpus entry states its verdict", path);
    about[0] = fails[0] = '\0';
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "about:", 6) == 0)
            snprintf(about, size, "%s", line + 6 + strspn(line + 6, " "));
        else if (strncmp(line, "fails:", 6) == 0)
            snprintf(fails, size, "%s", line + 6);
    }
    fclose(f);
    ck_assert_msg(about[0] != '\0', "%s has no 'about:' line", path);
    ck_assert_msg(fails[strspn(fails, " \t")] != '\0',
                  "%s has no 'fails:' line: it names the tests the entry fails, or says "
                  "'fails: nothing'",
                  path);
    /* A correct variant: no test may fail. */
    if (strcmp(fails + strspn(fails, " \t"), "nothing") == 0)
        fails[0] = '\0';
}

static int points_of_failed(json_t *report)
{
    json_t *test;
    size_t index;
    int lost = 0;

    json_array_foreach(json_object_get(report, "tests"), index, test)
    {
        if (strcmp(json_string_value(json_object_get(test, "status")), "passed") != 0)
            lost += (int)json_integer_value(json_object_get(test, "max_score"));
    }
    return lost;
}

/* --- the tests --------------------------------------------------------------- */

START_TEST(solution_gets_full_marks)
{
    const char *lab = lab_ids[_i];
    char dir[256], failed[4096];

    stage_submission(lab, NULL, dir, sizeof(dir));
    for (int run = 0; run < repeat; run++) {
        json_t *report = grade(lab, dir);
        int score = (int)json_integer_value(json_object_get(report, "score"));
        int max = (int)json_integer_value(json_object_get(report, "max_score"));
        failed_tests(report, failed, sizeof(failed));
        ck_assert_msg(max > 0, "%s has no points to give", lab);
        ck_assert_msg(score == max, "solution of %s scored %d/%d (run %d); failed: %s", lab, score,
                      max, run + 1, failed);
        json_decref(report);
    }
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
END_TEST

START_TEST(skeleton_gets_zero)
{
    const char *lab = lab_ids[_i];
    char skeletons[4200];

    snprintf(skeletons, sizeof(skeletons), "%s/labs", root);
    json_t *report = grade(lab, skeletons);
    json_t *test;
    size_t index;

    ck_assert_int_eq(json_integer_value(json_object_get(report, "score")), 0);
    json_array_foreach(json_object_get(report, "tests"), index, test)
    {
        /* Zero, but with feedback: a skeleton must build and fail by a
         * stated expectation, not by a build error. */
        const char *message = json_string_value(json_object_get(test, "message"));
        ck_assert_msg(message != NULL && message[0] != '\0', "%s test %s failed without a reason",
                      lab, json_string_value(json_object_get(test, "id")));
        ck_assert_str_eq(json_string_value(json_object_get(test, "verdict")), "failed");
    }
    json_decref(report);
}
END_TEST

START_TEST(corpus_entry_fails_exactly_its_tests)
{
    const struct corpus_case *c = &cases[_i];
    char about[4096], expected_raw[4096], expected[4096], failed[4096], dir[256];

    read_expected(c->dir, about, expected_raw, sizeof(about));
    sort_words(expected_raw, expected, sizeof(expected));
    stage_submission(c->lab, c->dir, dir, sizeof(dir));
    for (int run = 0; run < repeat; run++) {
        json_t *report = grade(c->lab, dir);
        int score = (int)json_integer_value(json_object_get(report, "score"));
        int max = (int)json_integer_value(json_object_get(report, "max_score"));
        failed_tests(report, failed, sizeof(failed));
        ck_assert_msg(strcmp(failed, expected) == 0,
                      "%s/%s (%s), run %d: expected to fail [%s] but failed [%s]", c->lab, c->name,
                      about, run + 1, expected, failed);
        ck_assert_int_eq(score, max - points_of_failed(report));
        if (run == 0)
            printf("verdict %-22s %-26s %3d/%-3d fails: %s\n", c->lab, c->name, score, max, failed);
        json_decref(report);
    }
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
END_TEST

static Suite *verdict_suite(void)
{
    Suite *s = suite_create("verdicts");
    TCase *ends = tcase_create("solutions and skeletons");
    TCase *corpus = tcase_create("corpus");

    tcase_set_timeout(ends, 1200);
    tcase_set_timeout(corpus, 1200);
    tcase_add_loop_test(ends, solution_gets_full_marks, 0, n_labs);
    tcase_add_loop_test(ends, skeleton_gets_zero, 0, n_labs);
    tcase_add_loop_test(corpus, corpus_entry_fails_exactly_its_tests, 0, n_cases);
    suite_add_tcase(s, ends);
    suite_add_tcase(s, corpus);
    return s;
}

int main(void)
{
    const char *repeat_env = getenv("SHMLAB_REPEAT");
    SRunner *runner;
    int failed;

    root = getenv("SHMLAB_ROOT");
    shmgrade = getenv("SHMGRADE");
    if (root == NULL || shmgrade == NULL) {
        fprintf(stderr, "check_verdicts: set SHMLAB_ROOT and SHMGRADE (make verdict-test does)\n");
        return 2;
    }
    if (repeat_env != NULL && atoi(repeat_env) > 0)
        repeat = atoi(repeat_env);
    discover();
    if (n_labs == 0) {
        fprintf(stderr, "check_verdicts: no labs under %s/solutions\n", root);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    runner = srunner_create(verdict_suite());
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
