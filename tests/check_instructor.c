/*
 * check_instructor.c - instructor workflows: every report format as a view
 * of one result model, class grading, the Gradescope and Autolab bundles in
 * simulated runs, and the student pack (no solutions, no hidden tests, no
 * instructor slides).
 *
 * Formats are checked by independent readers: xmllint with a JUnit schema,
 * Perl's TAP::Parser, jansson against Gradescope's and Autolab's
 * specifications. The platform bundles are built by `make gradescope` and
 * `make autolab`, set up in a fake /autograder tree (or Autolab's grading
 * folder) and run exactly as the platform runs them.
 *
 * Environment: SHMLAB_ROOT (the checkout), SHMGRADE and SHMCLASS (the
 * programs under test).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/formats.h"
#include "run/grade.h"
#include "report/gradebook.h"
#include "run/hidden.h"
#include "run/verdict.h"
#include "core/ipc.h"
#include "core/proc.h"
#include "report/report.h"
#include "shown.h"
#include "support.h"

#define LAB01     "01-posix-shm"
#define PATH_SIZE 4096
#define HOSTILE                                                                                    \
    "expected <tag> & \"quotes\" 'apos' ]]> \x01\x1b[31mred\x1b[0m\r\n\ttab # hash \\ "            \
    "bs \xff\xfe bad \xef\xbf\xbe nonchar \xc3\xbc \xe2\x98\x95 end"

static const char *root, *shmgrade, *shmclass;
static char work[PATH_SIZE];

/* --- helpers -------------------------------------------------------------------- */

static json_t *load_json(const char *path)
{
    json_error_t error;
    json_t *json = json_load_file(path, 0, &error);
    ck_assert_msg(json != NULL, "%s is not JSON: %s (line %d)", path, error.text, error.line);
    return json;
}

/* A fresh folder under the run's work folder. */
static char *fresh_folder(const char *name)
{
    char *path = xasprintf("%s/%s", work, name);
    sh(work, "rm -rf '%s' && mkdir -p '%s'", path, path);
    return path;
}

/* xmllint --xpath EXPR FILE, as a string. */
static char *xpath(const char *file, const char *expr)
{
    struct proc *p = RUN_IN(NULL, NULL, "xmllint", "--xpath", expr, file);
    char *value;

    assert_exit(p, 0);
    value = strdup(p->out.head);
    if (value[0] != '\0' && value[strlen(value) - 1] == '\n')
        value[strlen(value) - 1] = '\0';
    proc_free(p);
    return value;
}

static void assert_xpath(const char *file, const char *expr, const char *expected)
{
    char *value = xpath(file, expr);
    ck_assert_msg(strcmp(value, expected) == 0, "%s in %s is '%s', expected '%s'", expr, file,
                  value, expected);
    free(value);
}

/* What the grader preloads into student programs; it looks for it next
 * to itself. */
#define PERTURB_LIBRARY "libshmlab-perturb.so"

static const struct lab *lab01(void)
{
    const struct lab *lab = find_lab("01");
    ck_assert_ptr_nonnull(lab);
    return lab_with_hidden_tests(lab);
}

static size_t test_index(const struct lab *lab, const char *id)
{
    for (size_t i = 0; i < lab->n_tests; i++)
        if (strcmp(lab->tests[i].id, id) == 0)
            return i;
    ck_abort_msg("lab %s has no test %s", lab->id, id);
    return 0;
}

/* A process name (at most 15 characters) unique to this run of the suite,
 * so that runs side by side never see each other's processes. */
static const char *process_tag(const char *what)
{
    static char tags[4][16];
    static int next;
    char *tag = tags[next++ % 4];

    snprintf(tag, sizeof(tags[0]), "%.6s-%s", what, work + strlen(work) - 6);
    return tag;
}

/* --- a result model to render ------------------------------------------------------ */

/*
 * A grade of LAB: test I fails when bit I of FAILED is set (every other
 * failure a timeout), with hostile text (raw unless CLEAN) in its message
 * and output; STATE other than LAB_GRADED runs no test.
 */
static void sample(struct grade_result *grade, const struct lab *lab, unsigned failed,
                   enum lab_state state, bool clean)
{
    struct lab_result *l;

    memset(grade, 0, sizeof(*grade));
    grade->labs = calloc(1, sizeof(*grade->labs));
    ck_assert_ptr_nonnull(grade->labs);
    grade->n_labs = 1;
    grade->submission = "sample \"submission\"";
    grade->isolation = "test";
    grade->seconds = 1.25;
    l = &grade->labs[0];
    lab_result_init(l, lab);
    l->state = state;
    l->seconds = 1.25;
    l->build_log = clean ? report_text_copy(HOSTILE) : strdup(HOSTILE);
    if (state == LAB_BAD_SUBMISSION)
        l->problem = strdup("reader.c is missing from the submission");
    l->tests = calloc(lab->n_tests, sizeof(*l->tests));
    ck_assert_ptr_nonnull(l->tests);
    l->n_tests = lab->n_tests;
    for (size_t i = 0; i < lab->n_tests; i++) {
        struct test_verdict *v = &l->tests[i];
        bool fails = (failed >> i) & 1;

        verdict_init(v, &lab->tests[i]);
        v->seconds = 0.5;
        if (state != LAB_GRADED) {
            v->status = STATUS_NOT_RUN;
            v->message = strdup("not run: the lab did not build");
            v->output = strdup("");
        } else if (fails) {
            v->status = i % 2 ? STATUS_TIMED_OUT : STATUS_FAILED;
            v->message = clean ? report_text_copy(HOSTILE) : strdup(HOSTILE);
            v->output = clean ? report_text_copy("FAILED: " HOSTILE "\n  $ writer\n")
                              : strdup("FAILED: " HOSTILE "\n  $ writer\n");
        } else {
            v->status = STATUS_PASSED;
            v->score = v->max_score;
            v->message = strdup("");
            v->output = strdup("");
        }
    }
    grade_result_total(grade);
}

/* Render GRADE with WRITER into FILE (under the work folder); its path. */
static char *render(const char *file, int (*writer)(FILE *, const struct grade_result *),
                    const struct grade_result *grade)
{
    char *path = xasprintf("%s/%s", work, file);
    FILE *out = fopen(path, "w");

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(writer(out, grade), 0);
    ck_assert_int_eq(fclose(out), 0);
    return path;
}

/* --- JUnit XML ---------------------------------------------------------------------- */

static void assert_junit_valid(const char *file)
{
    char *schema = xasprintf("%s/tests/instructor/junit.xsd", root);
    struct proc *p = RUN_IN(NULL, NULL, "xmllint", "--noout", "--schema", schema, file);

    assert_exit(p, 0);
    proc_free(p);
    free(schema);
}

START_TEST(junit_is_schema_valid_with_hostile_output)
{
    const struct lab *lab = lab01();
    struct grade_result grade;
    char *file, *text;
    char *n_tests = xasprintf("%zu", lab->n_tests);
    /* The first and the third test fail. */
    char *score = xasprintf("%d", 100 - lab->tests[0].points - lab->tests[2].points);

    sample(&grade, lab, 0x5, LAB_GRADED, false);
    file = render("failing.xml", write_junit_report, &grade);
    assert_junit_valid(file);
    assert_xpath(file, "count(//testcase)", n_tests);
    assert_xpath(file, "count(//failure)", "2");
    assert_xpath(file, "string(/testsuites/@tests)", n_tests);
    assert_xpath(file, "string(/testsuites/@failures)", "2");
    assert_xpath(file, "string(//property[@name='score']/@value)", score);
    assert_xpath(file, "string(//property[@name='max_score']/@value)", "100");
    assert_xpath(file, "string(//testcase[1]/@classname)", LAB01);
    /* The hostile text survives, escaped: what a reader gets back is it. */
    text = xpath(file, "string(//testcase[1]/failure/@message)");
    ck_assert_msg(strstr(text, "expected <tag> & \"quotes\" 'apos' ]]>") != NULL,
                  "message attribute reads back as '%s'", text);
    ck_assert_ptr_nonnull(strstr(text, "0/10 points"));
    free(text);
    text = xpath(file, "string(//testcase[1]/failure)");
    ck_assert_msg(strstr(text, "\xc3\xbc \xe2\x98\x95 end") && strstr(text, "hint: "),
                  "failure text reads back as '%s'", text);
    free(text);
    free(file);
    grade_result_free(&grade);

    sample(&grade, lab, 0, LAB_BUILD_FAILED, false);
    file = render("unbuilt.xml", write_junit_report, &grade);
    text = xpath(file, "string(/testsuites/testsuite/system-out)");
    ck_assert_msg(strstr(text, "build failed") != NULL, "system-out: %s", text);
    free(text);
    assert_junit_valid(file);
    assert_xpath(file, "count(//error)", n_tests);
    assert_xpath(file, "count(//failure)", "0");
    assert_xpath(file, "string(/testsuites/@errors)", n_tests);
    free(file);
    free(n_tests);
    free(score);
    grade_result_free(&grade);
}
END_TEST

/* --- TAP -------------------------------------------------------------------------------- */

/* The TAP in FILE as Perl's TAP::Parser understands it. */
static json_t *parse_tap(const char *file)
{
    char *script = xasprintf("%s/tests/instructor/tap2json.pl", root);
    struct proc *p = RUN_IN(NULL, NULL, "perl", script, file);
    json_error_t error;
    json_t *json;

    assert_exit(p, 0);
    json = json_loads(p->out.head, 0, &error);
    ck_assert_msg(json != NULL, "tap2json printed no JSON: %s", error.text);
    proc_free(p);
    free(script);
    return json;
}

START_TEST(tap_is_parsed_by_tap_parser)
{
    const struct lab *lab = lab01();
    struct grade_result grade;
    char *file, *clean;
    json_t *tap, *tests, *second;

    sample(&grade, lab, 0x6, LAB_GRADED, false);
    file = render("failing.tap", write_tap_report, &grade);
    tap = parse_tap(file);
    tests = json_object_get(tap, "tests");
    ck_assert_int_eq(json_integer_value(json_object_get(tap, "version")), 13);
    ck_assert_int_eq(json_integer_value(json_object_get(tap, "planned")), (long)lab01()->n_tests);
    ck_assert_uint_eq(json_array_size(json_object_get(tap, "parse_errors")), 0);
    ck_assert_uint_eq(json_array_size(tests), lab01()->n_tests);
    ck_assert_int_eq(json_integer_value(json_object_get(tap, "failed")), 2);
    ck_assert(json_is_true(json_object_get(json_array_get(tests, 0), "ok")));
    second = json_array_get(tests, 1);
    ck_assert(json_is_false(json_object_get(second, "ok")));
    /* The YAML block carries the output exactly (made valid UTF-8). */
    clean = report_text_copy("FAILED: " HOSTILE "\n  $ writer\n");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(second, "yaml"), "output")),
                     clean);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(second, "yaml"), "verdict")),
                     "timed out");
    ck_assert_ptr_nonnull(strstr(
        json_string_value(json_object_get(json_array_get(tests, 0), "description")), "round-trip"));
    free(clean);
    json_decref(tap);
    free(file);
    grade_result_free(&grade);
}
END_TEST

/* --- Gradescope -------------------------------------------------------------------------- */

static bool one_of(const char *value, const char *const *allowed)
{
    for (; value != NULL && *allowed != NULL; allowed++)
        if (strcmp(value, *allowed) == 0)
            return true;
    return false;
}

static void assert_only_keys(json_t *object, const char *const *allowed, const char *what)
{
    const char *key;
    json_t *value;

    ck_assert_msg(json_is_object(object), "%s is not an object", what);
    json_object_foreach(object, key, value)
    {
        ck_assert_msg(one_of(key, allowed), "%s has a key '%s' Gradescope does not define", what,
                      key);
    }
}

/*
 * RESULTS follows gradescope-autograders.readthedocs.io/en/latest/specs/:
 * only the keys it defines, each of its type and values; the top-level
 * score is the tests' sum.
 */
static void assert_gradescope_results(json_t *results)
{
    static const char *const top_keys[] = {
        "score",         "execution_time",     "output",
        "output_format", "test_output_format", "test_name_format",
        "visibility",    "stdout_visibility",  "extra_data",
        "tests",         "leaderboard",        NULL};
    static const char *const test_keys[] = {
        "score",  "max_score",     "status", "name",       "name_format", "number",
        "output", "output_format", "tags",   "visibility", "extra_data",  NULL};
    static const char *const visibilities[] = {"hidden", "after_due_date", "after_published",
                                               "visible", NULL};
    static const char *const formats[] = {"text", "html", "simple_format", "md", "ansi", NULL};
    static const char *const statuses[] = {"passed", "failed", NULL};
    json_t *tests = json_object_get(results, "tests"), *test;
    double sum = 0;
    size_t index;

    assert_only_keys(results, top_keys, "results.json");
    ck_assert(json_is_number(json_object_get(results, "score")));
    ck_assert(json_is_integer(json_object_get(results, "execution_time")));
    ck_assert_int_ge(json_integer_value(json_object_get(results, "execution_time")), 0);
    ck_assert(json_is_string(json_object_get(results, "output")));
    ck_assert(one_of(json_string_value(json_object_get(results, "output_format")), formats));
    ck_assert(one_of(json_string_value(json_object_get(results, "test_output_format")), formats));
    ck_assert(one_of(json_string_value(json_object_get(results, "test_name_format")), formats));
    ck_assert(
        one_of(json_string_value(json_object_get(results, "stdout_visibility")), visibilities));
    ck_assert(json_object_get(results, "visibility") == NULL ||
              one_of(json_string_value(json_object_get(results, "visibility")), visibilities));
    ck_assert(json_is_array(tests));
    json_array_foreach(tests, index, test)
    {
        assert_only_keys(test, test_keys, "a test of results.json");
        ck_assert(json_is_string(json_object_get(test, "name")));
        ck_assert(json_is_string(json_object_get(test, "number")));
        ck_assert(json_is_number(json_object_get(test, "score")));
        ck_assert(json_is_number(json_object_get(test, "max_score")));
        ck_assert(json_is_string(json_object_get(test, "output")));
        ck_assert(one_of(json_string_value(json_object_get(test, "status")), statuses));
        ck_assert(one_of(json_string_value(json_object_get(test, "visibility")), visibilities));
        ck_assert(json_number_value(json_object_get(test, "score")) <=
                  json_number_value(json_object_get(test, "max_score")));
        /* A passed test has all its points, a failed one not all. */
        ck_assert((strcmp(json_string_value(json_object_get(test, "status")), "passed") == 0) ==
                  (json_number_value(json_object_get(test, "score")) ==
                   json_number_value(json_object_get(test, "max_score"))));
        sum += json_number_value(json_object_get(test, "score"));
    }
    ck_assert_msg(sum == json_number_value(json_object_get(results, "score")),
                  "the tests add up to %g, the score is %g", sum,
                  json_number_value(json_object_get(results, "score")));
}

static json_t *test_named(json_t *tests, const char *prefix)
{
    json_t *test;
    size_t index;

    json_array_foreach(tests, index, test)
    {
        if (strncmp(json_string_value(json_object_get(test, "name")), prefix, strlen(prefix)) == 0)
            return test;
    }
    ck_abort_msg("no test named '%s...'", prefix);
    return NULL;
}

START_TEST(gradescope_json_follows_the_specification)
{
    static const struct lab_test tests[] = {
        {.id = "shown", .title = "Shown", .points = 10, .hint = "h"},
        {.id = "never", .title = "Never shown", .points = 5, .hint = "h", .flags = TEST_HIDDEN},
        {.id = "later",
         .title = "Shown after the due date",
         .points = 5,
         .hint = "h",
         .flags = TEST_HIDDEN | TEST_AFTER_DUE_DATE},
    };
    static const struct lab lab = {.id = "07-unit", .title = "Unit", .tests = tests, .n_tests = 3};
    struct grade_result grade;
    json_t *results;

    sample(&grade, &lab, 0x2, LAB_GRADED, true);
    results = gradescope_json(&grade);
    assert_gradescope_results(results);
    ck_assert_int_eq(json_integer_value(json_object_get(results, "score")), 15);
    static const char *const expected[][3] = {
        {"shown", "visibility", "visible"},
        {"never", "visibility", "hidden"},
        {"later", "visibility", "after_due_date"},
        {"never", "number", "7.2"},
    };
    json_t *list = json_object_get(results, "tests");
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        ck_assert_str_eq(
            json_string_value(json_object_get(test_named(list, expected[i][0]), expected[i][1])),
            expected[i][2]);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(test_named(list, "never"), "output")), "hint: h"));
    json_decref(results);
    grade_result_free(&grade);

    sample(&grade, lab01(), 0, LAB_BUILD_FAILED, true);
    results = gradescope_json(&grade);
    assert_gradescope_results(results);
    ck_assert_int_eq(json_integer_value(json_object_get(results, "score")), 0);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(results, "output")), "build failed"));
    json_decref(results);
    grade_result_free(&grade);
}
END_TEST

/* --- Autolab ------------------------------------------------------------------------------- */

/* The last line of TEXT (Autolab's autoresult), as JSON. */
static json_t *autoresult(const char *text)
{
    const char *end = text + strlen(text), *line;
    json_error_t error;
    json_t *json;
    char *copy;

    while (end > text && end[-1] == '\n')
        end--;
    line = end;
    while (line > text && line[-1] != '\n')
        line--;
    copy = strndup(line, (size_t)(end - line));
    json = json_loads(copy, 0, &error);
    ck_assert_msg(json != NULL, "the last line is not JSON (%s): %s", error.text, copy);
    ck_assert(json_is_object(json_object_get(json, "scores")));
    ck_assert(json_is_array(json_object_get(json, "scoreboard")));
    ck_assert_uint_eq(json_object_size(json), 2);
    free(copy);
    return json;
}

START_TEST(autolab_prints_the_autoresult_last_and_keeps_hidden_details_back)
{
    const struct lab *lab = lab01();
    size_t hidden = test_index(lab, "empty-message");
    struct grade_result grade;
    char *file, *text;
    json_t *result, *scores;

    sample(&grade, lab, 1u << hidden | 1u << 0, LAB_GRADED, true);
    file = render("autolab.out", write_autolab_report, &grade);
    text = read_file(file, NULL);
    result = autoresult(text);
    scores = json_object_get(result, "scores");
    ck_assert_uint_eq(json_object_size(scores), lab->n_tests);
    for (size_t i = 0; i < lab->n_tests; i++)
        ck_assert_int_eq(json_integer_value(json_object_get(scores, lab->tests[i].id)),
                         grade.labs[0].tests[i].score);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(result, "scoreboard"), 0)),
                     grade.score);
    ck_assert_uint_eq(json_array_size(json_object_get(result, "scoreboard")), lab->n_tests + 1);
    /* The student sees the hidden test's points, not what it checks. */
    ck_assert_ptr_null(strstr(text, lab->tests[hidden].title));
    ck_assert_ptr_nonnull(strstr(text, "Hidden tests: 0/5 points"));
    ck_assert_ptr_nonnull(strstr(text, lab->tests[0].title));
    json_decref(result);
    free(text);
    free(file);
    grade_result_free(&grade);
}
END_TEST

/* --- the JSON report reads back into the same model -------------------------------------- */

START_TEST(json_report_reads_back_into_the_same_model)
{
    struct grade_result grade, back;
    json_t *json, *again, *broken;
    char error[256];

    sample(&grade, lab01(), 0x41, LAB_GRADED, true);
    json = report_json(&grade);
    ck_assert_ptr_nonnull(json);
    ck_assert_int_eq(grade_result_from_json(json, &back, error, sizeof(error)), 0);
    again = report_json(&back);
    ck_assert_msg(json_equal(json, again), "the model changed on the way through JSON");
    ck_assert_int_eq(back.score, grade.score);
    /* Each verdict describes its test by itself. */
    for (size_t i = 0; i < lab01()->n_tests; i++) {
        const struct lab_test *test = &lab01()->tests[i];
        const struct test_verdict *v = &back.labs[0].tests[i];
        ck_assert_str_eq(v->id, test->id);
        ck_assert_str_eq(v->title, test->title);
        ck_assert_str_eq(v->hint, test->hint);
        ck_assert_uint_eq(v->flags, test->flags);
        ck_assert_int_eq(v->max_score, test->points);
    }
    ck_assert_str_eq(back.labs[0].title, lab01()->title);
    json_decref(again);
    grade_result_free(&back);

    /* A test that scores more than it is worth is no report of ours. */
    broken = json_deep_copy(json);
    json_object_set_new(json_array_get(json_object_get(broken, "tests"), 1), "score",
                        json_integer(1000));
    ck_assert_int_eq(grade_result_from_json(broken, &back, error, sizeof(error)), -1);
    ck_assert_msg(strstr(error, "test spaces-utf8 has no valid score") != NULL, "%s", error);
    grade_result_free(&back);
    json_decref(broken);
    json_decref(json);
    grade_result_free(&grade);
}
END_TEST

/* --- CSV ------------------------------------------------------------------------------------ */

static char *csv_cell(const char *text)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);

    csv_write_cell(f, text);
    fclose(f);
    return out;
}

START_TEST(csv_cells_are_quoted_when_they_must_be)
{
    static const char *const cases[][2] = {
        {"alice", "alice"},
        {"o'brien, jr", "\"o'brien, jr\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""},
        {"@sum", "\"'@sum\""},
        {" padded", "\" padded\""},
        {"", ""},
        /* OWASP: a tab or carriage return before the formula, or blanks. */
        {"\t=1+1", "\"'\t=1+1\""},
        {"  =1+1", "\"'  =1+1\""},
        {"+1", "\"'+1\""},
        {"-2+3", "\"'-2+3\""},
        /* A carriage return is shown, not written: no parser reads it. */
        {"\r=1+1", "\\r=1+1"},
        {"\x1b[31mred", "\\e[31mred"},
        /* Names that differ only in bytes that are not UTF-8 stay apart. */
        {"bob\xff", "bob\\xff"},
        {"bob\xfe", "bob\\xfe"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *cell = csv_cell(cases[i][0]);
        ck_assert_str_eq(cell, cases[i][1]);
        free(cell);
    }
}
END_TEST

/* Parse RFC 4180 TEXT: rows of cells, NULL-terminated, all allocated. */
static char ***parse_csv(const char *text, size_t *n_rows)
{
    char ***rows = calloc(1024, sizeof(*rows));
    size_t r = 0;
    const char *s = text;

    ck_assert_ptr_nonnull(rows);
    while (*s != '\0' && r < 1023) {
        char **cells = calloc(256, sizeof(*cells));
        size_t c = 0;
        for (;;) {
            char *cell = malloc(strlen(s) + 1);
            size_t len = 0;
            if (*s == '"') {
                for (s++; *s != '\0'; s++) {
                    if (*s == '"' && s[1] == '"')
                        cell[len++] = *s++;
                    else if (*s == '"')
                        break;
                    else
                        cell[len++] = *s;
                }
                ck_assert_msg(*s == '"', "unterminated quoted cell");
                s++;
            } else {
                while (*s != ',' && *s != '\r' && *s != '\n' && *s != '\0')
                    cell[len++] = *s++;
            }
            cell[len] = '\0';
            cells[c++] = cell;
            if (*s == ',') {
                s++;
                continue;
            }
            ck_assert_msg(s[0] == '\r' && s[1] == '\n', "a row must end with CRLF");
            s += 2;
            break;
        }
        rows[r++] = cells;
    }
    *n_rows = r;
    return rows;
}

static size_t column(char **header, const char *name)
{
    for (size_t i = 0; header[i] != NULL; i++)
        if (strcmp(header[i], name) == 0)
            return i;
    ck_abort_msg("the gradebook has no column %s", name);
    return 0;
}

/* --- class grading -------------------------------------------------------------------------- */

/* The solution of lab 01 into DEST (made if need be), with the corpus
 * entry MISTAKE applied, if any. No shell: DEST may hold any character a
 * student's name does. */
static void copy_solution(const char *dest, const char *mistake)
{
    char *entry = mistake ? xasprintf("%s/tests/corpus/" LAB01 "/%s", root, mistake) : NULL;

    stage_submission(LAB01, entry, dest);
    free(entry);
}

/*
 * Writer code prepended to a solution: a process that leaves the writer's
 * process group and outlives it, holding on forever. The writer goes on only
 * once it has left (a pipe says so), so the grader always finds it the same
 * way: as a process left running after every test that runs the writer.
 */
static const char LINGERER[] = "#include <sys/prctl.h>\n#include <unistd.h>\n"
                               "__attribute__((constructor)) static void linger(void)\n"
                               "{\n"
                               "    int fds[2];\n"
                               "    char c;\n"
                               "    if (pipe(fds) < 0)\n"
                               "        return;\n"
                               "    if (fork() == 0) {\n"
                               "        setsid();\n"
                               "        prctl(PR_SET_NAME, \"%s\");\n"
                               "        close(0), close(1), close(2), close(fds[0]);\n"
                               "        (void)!write(fds[1], \"x\", 1);\n"
                               "        close(fds[1]);\n"
                               "        for (;;)\n"
                               "            pause();\n"
                               "    }\n"
                               "    close(fds[1]);\n"
                               "    (void)!read(fds[0], &c, 1);\n"
                               "    close(fds[0]);\n"
                               "}\n";

/* A student's total when the submission could not be graded: no number. */
#define NOT_GRADED (-1)
/* Some points, not all: what is left depends on which tests never run the
 * program that misbehaves. */
#define PARTIAL (-2)

/* The class of the end-to-end test, in the order of their names: each
 * student's expected total (out of 100) and status (a part of it). */
static const struct {
    const char *name;
    int total;
    const char *status;
} CLASS[] = {
    {"Heidi", 100, "graded"}, /* Heidi.ZIP: a suffix in capitals is still a zip */
    {"alice", 100, "graded"},
    {"bob", PARTIAL, "graded"},                 /* no-nul-terminator: no-stale-tail fails */
    {"carol", 0, "01-posix-shm: build failed"}, /* code that does not build is graded: 0 */
    {"dave", NOT_GRADED, "could not be graded: 01-posix-shm: reader.c is missing"},
    {"eve", PARTIAL, "graded"}, /* her lingering process fails every test that runs the writer */
    {"frank", 100, "graded"},
    {"grace", 100, "graded"}, /* tar -C grace -czf grace.tar.gz .: members start with ./ */
    {"ivan", NOT_GRADED, "could not be graded: 01-posix-shm: the archive"},
    {"o'brien, \"jr\"", 100, "graded"},
};
#define CLASS_SIZE (sizeof(CLASS) / sizeof(CLASS[0]))

static void make_class(const char *subs)
{
    char *path = xasprintf("%s/alice/" LAB01, subs);
    copy_solution(path, NULL); /* the DIR/LAB/FILE layout */
    free(path);
    path = xasprintf("%s/bob", subs);
    copy_solution(path, "no-nul-terminator"); /* flat */
    free(path);
    path = xasprintf("%s/carol", subs);
    copy_solution(path, NULL);
    sh(path, "printf 'int main(void) { return 0 }\\n' > writer.c");
    free(path);
    path = xasprintf("%s/dave", subs);
    copy_solution(path, NULL);
    sh(path, "rm reader.c");
    free(path);
    path = xasprintf("%s/eve", subs);
    copy_solution(path, NULL);
    write_text(xasprintf("%s/lingerer.c", path), xasprintf(LINGERER, process_tag("linger")));
    sh(path, "cat lingerer.c writer.c > both.c && mv both.c writer.c && rm lingerer.c");
    free(path);
    path = xasprintf("%s/frank.src", work);
    copy_solution(path, NULL);
    sh(path, "tar -czf '%s/frank.tar.gz' writer.c reader.c", subs);
    free(path);
    path = xasprintf("%s/grace.src/" LAB01, work);
    copy_solution(path, NULL);
    sh(work, "tar -C grace.src -czf '%s/grace.tar.gz' .", subs);
    free(path);
    path = xasprintf("%s/heidi.src", work);
    copy_solution(path, NULL);
    sh(path, "zip -q '%s/Heidi.ZIP' writer.c reader.c", subs);
    free(path);
    write_text(xasprintf("%s/ivan.tar.gz", subs), "not an archive at all\n");
    path = xasprintf("%s/o'brien, \"jr\"", subs);
    copy_solution(path, NULL);
    free(path);
    write_text(xasprintf("%s/notes.txt", subs), "not a submission\n");
}

/* shmclass on SUBS into OUT, with up to two more options (or NULL). */
static struct proc *run_shmclass(const char *subs, const char *out, const char *extra,
                                 const char *more)
{
    const char *argv[] = {shmclass, "--lab", "01",  "--jobs", "2", "--output",
                          out,      subs,    extra, more,     NULL};
    return run_program(NULL, NULL, argv);
}

/* Grades SUBS again and expects shmclass's count line, e.g. "2 graded, 0 unchanged". */
static void expect_class_counts(const char *subs, const char *out, const char *extra,
                                const char *more, const char *counts)
{
    struct proc *p = run_shmclass(subs, out, extra, more);
    char *line = xasprintf("2 submissions: %s", counts);

    assert_exit(p, 0);
    ck_assert_msg(strstr(p->out.head, line) != NULL, "expected '%s'; shmclass said:\n%s", line,
                  p->out.head);
    free(line);
    proc_free(p);
}

static bool process_named(const char *name)
{
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    bool found = false;

    ck_assert_ptr_nonnull(proc);
    while (!found && (entry = readdir(proc)) != NULL) {
        char path[300], comm[64] = "";
        FILE *f;
        if (atoi(entry->d_name) <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%s/comm", entry->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(comm, sizeof(comm), f) != NULL)
            found = strncmp(comm, name, strlen(name)) == 0;
        fclose(f);
    }
    closedir(proc);
    return found;
}

static void check_gradebook(const char *out)
{
    char *csv_path = xasprintf("%s/gradebook.csv", out);
    char *text = read_file(csv_path, NULL);
    const struct lab *lab = lab01();
    size_t n_rows;
    char ***rows = parse_csv(text, &n_rows);
    char **header = rows[0];

    ck_assert_uint_eq(n_rows, CLASS_SIZE + 1);
    ck_assert_str_eq(header[0], "student");
    ck_assert_str_eq(header[1], LAB01);
    for (size_t i = 0; i < lab->n_tests; i++) {
        char *name = xasprintf(LAB01 "/%s", lab->tests[i].id);
        ck_assert_str_eq(header[2 + i], name);
        free(name);
    }
    ck_assert_str_eq(header[2 + lab->n_tests], "total");
    for (size_t s = 0; s < CLASS_SIZE; s++) {
        char **row = rows[s + 1];
        char *report = xasprintf("%s/students/%s/report.json", out, CLASS[s].name);
        json_t *json = load_json(report);
        json_t *tests = json_object_get(json, "tests"), *test;
        bool graded = CLASS[s].total != NOT_GRADED;
        size_t index;

        ck_assert_str_eq(row[0], CLASS[s].name);
        ck_assert_msg(strstr(row[column(header, "status")], CLASS[s].status) != NULL,
                      "%s's status is '%s'", CLASS[s].name, row[column(header, "status")]);
        ck_assert_uint_eq(json_array_size(tests), lab->n_tests);
        if (!graded) {
            /* No cell shows a 0 that looks real. */
            for (size_t c = 1; c < lab->n_tests + 4; c++)
                ck_assert_msg(row[c][0] == '\0', "%s has '%s' in column %s", CLASS[s].name, row[c],
                              header[c]);
            json_decref(json);
            free(report);
            continue;
        }
        int total = atoi(row[column(header, "total")]);
        if (CLASS[s].total == PARTIAL)
            ck_assert_msg(total > 0 && total < 100, "%s scored %d", CLASS[s].name, total);
        else
            ck_assert_int_eq(total, CLASS[s].total);
        ck_assert_int_eq(atoi(row[column(header, LAB01)]), total);
        ck_assert_int_eq(atoi(row[column(header, "max_total")]), 100);
        /* Every cell is the student's JSON report, seen another way. */
        ck_assert_int_eq(json_integer_value(json_object_get(json, "score")), total);
        json_array_foreach(tests, index, test)
        {
            char *name = xasprintf(LAB01 "/%s", json_string_value(json_object_get(test, "id")));
            ck_assert_int_eq(atoi(row[column(header, name)]),
                             json_integer_value(json_object_get(test, "score")));
            free(name);
        }
        json_decref(json);
        free(report);
        report = xasprintf("%s/students/%s/report.txt", out, CLASS[s].name);
        char *txt = read_file(report, NULL);
        char *total_line = xasprintf("TOTAL: %d/100", total);
        ck_assert_msg(strstr(txt, total_line) != NULL, "%s has no '%s'", report, total_line);
        free(total_line);
        free(txt);
        free(report);
    }
    ck_assert_str_eq(rows[3][column(header, LAB01 "/no-stale-tail")], "0"); /* bob */
    free(text);
    free(csv_path);
}

static void check_summary(const char *out)
{
    char *html = xasprintf("%s/summary.html", out);
    char *text = read_file(html, NULL);
    struct proc *p = RUN_IN(NULL, NULL, "xmllint", "--noout", html);

    assert_exit(p, 0); /* well-formed, so a browser and xmllint read the same page */
    proc_free(p);
    assert_xpath(html, "count(//section[@class='lab'])", "1");
    /* Statistics over the code that was graded: carol's, which does not
     * build, scores 0; dave's and ivan's, which could not be used, count
     * nowhere. A test fails only where it ran. */
    assert_xpath(html, "sum(//svg[@class='histogram']/rect/@data-count)", "8");
    assert_xpath(html, "string(//svg[@class='histogram']/rect[@data-bin='100']/@data-count)", "5");
    assert_xpath(html,
                 "string(//svg[@class='histogram']/rect[@data-bin='0\xe2\x80\x93"
                 "9']/@data-count)",
                 "1");
    assert_xpath(html, "string(//rect[@data-test='no-stale-tail']/@data-failed)", "2");
    assert_xpath(html, "string(//rect[@data-test='no-stale-tail']/@data-of)", "7");
    assert_xpath(html, "string(//rect[@data-test='bad-name']/@data-failed)", "1");
    /* Most-failed first: no-stale-tail, which bob fails besides eve. */
    assert_xpath(html, "string(//svg[@class='failures']/rect[1]/@data-test)", "no-stale-tail");
    assert_xpath(html, "count(//table/tbody/tr)", "10");
    /* Could not be graded: a status, a style and no number of their own. */
    assert_xpath(html, "count(//tbody/tr[@class='not-graded'])", "2");
    assert_xpath(html,
                 "starts-with(//tbody/tr[td[1]/a='dave']/td[@class='status not-graded'], "
                 "'could not be graded: " LAB01 ": reader.c is missing')",
                 "true");
    assert_xpath(html, "count(//tbody/tr[@class='not-graded']/td[@class='num'])", "0");
    assert_xpath(html, "string(//tbody/tr[td[1]/a='carol']/@class)", "build-failed");
    assert_xpath(html, "string(//tbody/tr[td[1]/a='carol']/td[@class='num'][1])", "0");
    ck_assert_ptr_nonnull(strstr(text, "10 submissions: 8 graded, <span class=\"not-graded\">2 "
                                       "could not be graded</span>"));
    ck_assert_ptr_nonnull(strstr(text, "tr.not-graded{"));
    ck_assert_ptr_nonnull(strstr(text, "o&#39;brien, &quot;jr&quot;"));
    /* Rendered without network access: nothing to fetch, nothing to run. */
    ck_assert_ptr_null(strstr(text, "http:"));
    ck_assert_ptr_null(strstr(text, "https:"));
    ck_assert_ptr_null(strstr(text, "<script"));
    ck_assert_ptr_null(strstr(text, " src="));
    ck_assert_ptr_nonnull(strstr(text, "default-src 'none'"));
    free(text);
    free(html);
}

START_TEST(a_class_is_graded_into_a_gradebook_reports_and_a_summary)
{
    char *subs = fresh_folder("class/submissions");
    char *out = xasprintf("%s/class/out", work);
    struct proc *p;

    make_class(subs);
    p = run_shmclass(subs, out, NULL, NULL);
    /* Two could not be graded: shmclass says who, and exits 1. */
    assert_exit(p, 1);
    ck_assert_msg(strstr(p->out.head, "10 submissions: 8 graded, 0 unchanged, 2 could not be "
                                      "graded\n  dave: could not be graded: " LAB01
                                      ": reader.c is missing") != NULL,
                  "shmclass said: %s", p->out.head);
    ck_assert_ptr_nonnull(
        strstr(p->out.head, "\n  ivan: could not be graded: " LAB01 ": the archive "));
    ck_assert_ptr_nonnull(strstr(p->err.head, "notes.txt: neither a folder nor an archive"));
    proc_free(p);
    check_gradebook(out);
    check_summary(out);
    free(out);
    free(subs);
    /* Eve's lingering process died with her tests. */
    ck_assert_msg(!process_named(process_tag("linger")),
                  "a student's process outlived the grading");
}
END_TEST

START_TEST(unchanged_submissions_are_not_graded_again)
{
    char *subs = fresh_folder("rerun/submissions");
    char *out = xasprintf("%s/rerun/out", work);
    char *csv = xasprintf("%s/gradebook.csv", out);
    char *bob = xasprintf("%s/bob", subs);
    /* A grader of our own: a rebuild of build/shmgrade meanwhile (the tree
     * is shared) must not look like a change of grader to this test. */
    char *pinned = xasprintf("%s/rerun/shmgrade", work),
         *changed = xasprintf("%s/rerun/other", work);
    char *use_pinned = xasprintf("--shmgrade=%s", pinned),
         *use_changed = xasprintf("--shmgrade=%s", changed);
    char *first, *second;

    sh(work,
       "cp '%s' '%s' && cp '%s' '%s' && printf x >> '%s' && cp '%s/bin/" PERTURB_LIBRARY
       "' '%s/rerun/'",
       shmgrade, pinned, shmgrade, changed, changed, work, work);
    copy_solution(xasprintf("%s/alice", subs), NULL);
    copy_solution(bob, "no-nul-terminator");
    expect_class_counts(subs, out, use_pinned, NULL, "2 graded, 0 unchanged");
    first = read_file(csv, NULL);

    expect_class_counts(subs, out, use_pinned, NULL, "0 graded, 2 unchanged");
    second = read_file(csv, NULL);
    ck_assert_str_eq(first, second);
    free(second);
    free(first);

    /* One file changed: that submission alone is graded. */
    sh(root, "cp solutions/" LAB01 "/writer.c '%s/'", bob);
    expect_class_counts(subs, out, use_pinned, NULL, "1 graded, 1 unchanged");
    second = read_file(csv, NULL);
    ck_assert_msg(strstr(second, "\r\nbob,100,") != NULL, "bob was not regraded: %s", second);
    free(second);
    free(csv);
    free(bob);

    expect_class_counts(subs, out, use_pinned, "--force", "2 graded, 0 unchanged");
    /* A changed grader is a different grader: everything is graded again. */
    expect_class_counts(subs, out, use_changed, NULL, "2 graded, 0 unchanged");
    free(use_changed);
    free(use_pinned);
    free(changed);
    free(pinned);
    free(out);
    free(subs);
}
END_TEST

START_TEST(shmclass_refuses_bad_command_lines)
{
    char *dir = fresh_folder("usage");
    char *out = xasprintf("%s/out", dir);
    static const char *const cases[][3] = {
        {"--jobs", "0", "--jobs must be a whole number"},
        {"--timeout", "soon", "--timeout must be a whole number"},
        {"--lab", "99", "no lab '99'"},
    };
    struct proc *p;

    p = RUN_IN(NULL, NULL, shmclass);
    assert_exit(p, 2);
    ck_assert_ptr_nonnull(strstr(p->err.head, "name one folder of submissions"));
    proc_free(p);
    p = RUN_IN(NULL, NULL, shmclass, "--output", out, "/nonexistent/class");
    assert_exit(p, 2);
    ck_assert_ptr_nonnull(strstr(p->err.head, "cannot read the submissions folder"));
    proc_free(p);
    p = RUN_IN(NULL, NULL, shmclass, "--output", dir, dir);
    assert_exit(p, 2);
    ck_assert_ptr_nonnull(strstr(p->err.head, "cannot be the submissions folder"));
    proc_free(p);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        p = RUN_IN(NULL, NULL, shmclass, cases[i][0], cases[i][1], "--output", out, dir);
        assert_exit(p, 2);
        ck_assert_msg(strstr(p->err.head, cases[i][2]) != NULL, "stderr: %s", p->err.head);
        proc_free(p);
    }
    /* An empty class is a class: a gradebook with its header alone. */
    p = RUN_IN(NULL, NULL, shmclass, "--lab", "01", "--output", out, fresh_folder("usage/empty"));
    assert_exit(p, 0);
    ck_assert_ptr_nonnull(strstr(p->out.head, "0 submissions: 0 graded"));
    proc_free(p);
    free(out);
    free(dir);
}
END_TEST

/* The user gradings run as here: the suite's own, or, as root, nobody
 * (65534), when every folder above the checkout and the work folder lets
 * it through; 0 (and WHY) when it cannot be had. */
static uid_t ordinary_user(char *why, size_t size)
{
    const char *const paths[] = {root, work};

    if (geteuid() != 0)
        return geteuid();
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char path[PATH_SIZE];
        snprintf(path, sizeof(path), "%s/", paths[i]);
        for (char *slash = strrchr(path, '/'); slash != NULL && slash != path;
             slash = strrchr(path, '/')) {
            struct stat st;
            *slash = '\0';
            if (strcmp(path, work) == 0)
                ck_assert_int_eq(chmod(work, 0711), 0); /* ours: let nobody through */
            if (stat(path, &st) < 0 || (st.st_mode & S_IXOTH) == 0) {
                snprintf(why, size, "%s is closed to others (chmod o+x)", path);
                return 0;
            }
        }
    }
    return 65534;
}

/* Without root or namespaces (isolation none), gradings share the
 * grader's user and each removes what that user made since its test
 * began: two at once would remove each other's IPC objects. shmclass says
 * it grades one at a time, and two correct submissions get full marks. */
START_TEST(gradings_that_would_share_a_user_run_one_at_a_time)
{
    char why[PATH_SIZE + 64] = "";
    uid_t user = ordinary_user(why, sizeof(why));
    char *subs = fresh_folder("shared-user/submissions"), *out = fresh_folder("shared-user/out");
    const char *const env[] = {"SHMGRADE_ISOLATION=none", NULL};
    const char *const argv[] = {shmclass,   "--lab", "01", "--jobs", "2",
                                "--output", out,     subs, NULL};
    const char *const names[] = {"ann", "ben"};
    struct proc *p;

    if (user == 0) {
        fprintf(stderr, "check_instructor: SKIPPED %s: the grader cannot run as nobody: %s\n",
                __func__, why);
        return;
    }
    for (size_t i = 0; i < 2; i++)
        copy_solution(xasprintf("%s/%s", subs, names[i]), NULL);
    sh(work, "chmod -R a+rX shared-user && chown -R %u '%s'", (unsigned)user, out);
    p = start_program_as(user == geteuid() ? 0 : user, NULL, env, argv);
    ck_assert_msg(proc_wait(p, 10 * 60 * 1000), "shmclass did not finish");
    assert_exit(p, 0);
    ck_assert_msg(strstr(p->err.head, "shmclass: grading one submission at a time, not 2") != NULL,
                  "stderr: %s", p->err.head);
    proc_free(p);
    for (size_t i = 0; i < 2; i++) {
        json_t *report = load_json(xasprintf("%s/students/%s/report.json", out, names[i]));
        ck_assert_msg(strstr(json_str(report, "isolation"), "none") ==
                          json_str(report, "isolation"),
                      "%s: %s", names[i], json_str(report, "isolation"));
        ck_assert_msg(json_int(report, "score") == 100, "%s scored %lld, failing %s", names[i],
                      json_int(report, "score"), failed_ids(report));
        json_decref(report);
    }
    free(out);
    free(subs);
}
END_TEST

/* DIR/good.json: the real grader's report of SUBMISSION, graded once
 * beforehand so that no verdict depends on how fast the machine is; and
 * DIR/NAME, a stand-in grader running SCRIPT. */
static void make_fake_grader(const char *dir, const char *submission, const char *name,
                             const char *script)
{
    char *path = xasprintf("%s/%s", dir, name);

    sh(dir, "'%s' --lab 01 --hidden --submission '%s' --format json > good.json || [ $? -eq 1 ]",
       shmgrade, submission);
    write_text(path, script);
    sh(dir, "chmod +x '%s'", name);
}

/* A stand-in for shmgrade that misbehaves as its submission's name says;
 * for "good" it prints the real grader's report, graded beforehand, so
 * that no verdict here depends on how fast the machine is. */
static const char FAKE_GRADER[] =
    "#!/bin/sh\n"
    "sub= prev=\n"
    "for a in \"$@\"; do [ \"$prev\" = --submission ] && sub=$a; prev=$a; done\n"
    "case $sub in\n"
    "*/hang) exec sleep 600 ;;\n"
    "*/orphan) setsid %s/%s 600 </dev/null >/dev/null 2>&1 &\n"
    "    echo '{}' ;;\n"
    "*/crash) kill -SEGV $$ ;;\n"
    "*/good) cat %s/good.json ;;\n"
    "*) exit 3 ;;\n"
    "esac\n";

START_TEST(a_grader_that_hangs_or_crashes_costs_only_that_submission)
{
    char *dir = fresh_folder("faults");
    char *subs = xasprintf("%s/submissions", dir), *out = xasprintf("%s/out", dir);
    char *fake = xasprintf("%s/fake-shmgrade", dir), *option = xasprintf("--shmgrade=%s", fake);
    const char *argv[] = {shmclass, "--lab",    "01", "--jobs", "2",  "--timeout",
                          "10",     "--output", out,  option,   subs, NULL};
    static const char *const names[] = {"crash", "good", "hang", "orphan"};
    struct proc *p;
    char *csv, *script;
    char ***rows;
    size_t n_rows;

    for (size_t i = 0; i < 4; i++)
        copy_solution(xasprintf("%s/%s", subs, names[i]), NULL);
    sh(dir, "cp \"$(command -v sleep)\" '%s'", process_tag("orphan"));
    script = xasprintf(FAKE_GRADER, dir, process_tag("orphan"), dir);
    make_fake_grader(dir, xasprintf("%s/good", subs), "fake-shmgrade", script);
    p = run_program(NULL, NULL, argv);
    assert_exit(p, 1);
    ck_assert_msg(strstr(p->out.head, "4 submissions: 1 graded, 0 unchanged, 3 could not be "
                                      "graded") != NULL,
                  "%s", p->out.head);
    ck_assert_ptr_nonnull(
        strstr(p->out.head, "crash: could not be graded: shmgrade was killed by signal 11"));
    ck_assert_ptr_nonnull(
        strstr(p->out.head, "hang: could not be graded: grading took longer than 10 s"));
    ck_assert_ptr_nonnull(
        strstr(p->out.head, "orphan: could not be graded: shmgrade's report cannot be read"));
    proc_free(p);
    /* What the broken ones left behind died with them. */
    ck_assert_msg(!process_named(process_tag("orphan")), "an orphan outlived shmclass");
    csv = read_file(xasprintf("%s/gradebook.csv", out), NULL);
    rows = parse_csv(csv, &n_rows);
    ck_assert_uint_eq(n_rows, 5);
    for (size_t i = 0; i < 4; i++) {
        char **row = rows[i + 1];
        const char *total = row[column(rows[0], "total")];
        const char *status = row[column(rows[0], "status")];
        ck_assert_str_eq(row[0], names[i]);
        if (strcmp(names[i], "good") == 0) {
            ck_assert_str_eq(total, "100");
            ck_assert_str_eq(status, "graded");
        } else {
            ck_assert_str_eq(total, "");
            ck_assert_msg(strncmp(status, "could not be graded: ", 21) == 0, "status: %s", status);
        }
    }
    free(csv);
    free(script);
    free(option);
    free(fake);
    free(out);
    free(subs);
    free(dir);
}
END_TEST

/* A stand-in for shmgrade that ends in a grader error (status 3, as when
 * others filled the machine) on its first N attempts at a submission named
 * "...-N", then prints the real grader's report of the solution; it counts
 * its attempts, a line each, in attempts/NAME. */
static const char FLAKY_GRADER[] =
    "#!/bin/sh\n"
    "sub= prev=\n"
    "for a in \"$@\"; do [ \"$prev\" = --submission ] && sub=$a; prev=$a; done\n"
    "name=${sub##*/}\n"
    "echo attempt >> \"%s/attempts/$name\"\n"
    "n=$(wc -l < \"%s/attempts/$name\")\n"
    "if [ \"$n\" -le \"${name##*-}\" ]; then\n"
    "    echo \"shmgrade: no room on attempt $n\" >&2\n"
    "    exit 3\n"
    "fi\n"
    "cat '%s/good.json'\n";

/* Lines in the file PATH (0 if there is none). */
static int lines_in(const char *path)
{
    char *text = read_file(path, NULL);
    int n = 0;

    for (const char *c = text; c != NULL && *c; c++)
        n += *c == '\n';
    free(text);
    return n;
}

/*
 * A grading that ends in a grader error is graded again, up to three
 * attempts: one that gets through on its third is scored, its status says
 * what the attempts before said and their logs are kept; one that never
 * does "could not be graded", with no number; one that gets through at
 * once is graded once.
 */
START_TEST(a_grader_error_is_graded_again)
{
    char *dir = fresh_folder("retries");
    char *subs = xasprintf("%s/submissions", dir), *out = xasprintf("%s/out", dir);
    char *fake = xasprintf("%s/flaky-shmgrade", dir), *option = xasprintf("--shmgrade=%s", fake);
    const char *argv[] = {shmclass,   "--lab", "01",   "--jobs", "2",
                          "--output", out,     option, subs,     NULL};
    static const struct {
        const char *name, *total, *status;
        int attempts;
    } cases[] = {
        /* In the gradebook's order. */
        {"at-once-0", "100", "graded", 1},
        {"never-9", "",
         "could not be graded: the grader failed on each of its 3 attempts (a grader error, not "
         "the submission's: attempt 1 ended in a grader error (shmgrade: no room on attempt 1); "
         "attempt 2 ended in a grader error (shmgrade: no room on attempt 2)); the last said: "
         "shmgrade: no room on attempt 3",
         3},
        {"on-the-third-2", "100",
         "graded; graded again: attempt 1 ended in a grader error (shmgrade: no room on attempt "
         "1); attempt 2 ended in a grader error (shmgrade: no room on attempt 2)",
         3},
    };
    struct proc *p;
    char *csv, *script;
    char ***rows;
    size_t n_rows;

    for (size_t i = 0; i < 3; i++)
        copy_solution(xasprintf("%s/%s", subs, cases[i].name), NULL);
    sh(dir, "mkdir attempts");
    script = xasprintf(FLAKY_GRADER, dir, dir, dir);
    make_fake_grader(dir, xasprintf("%s/%s", subs, cases[0].name), "flaky-shmgrade", script);
    p = run_program(NULL, NULL, argv);
    assert_exit(p, 1);
    ck_assert_msg(strstr(p->out.head, "3 submissions: 2 graded, 0 unchanged, 1 could not be "
                                      "graded") != NULL,
                  "%s", p->out.head);
    proc_free(p);
    csv = read_file(xasprintf("%s/gradebook.csv", out), NULL);
    rows = parse_csv(csv, &n_rows);
    ck_assert_uint_eq(n_rows, 4);
    for (size_t i = 0; i < 3; i++) {
        char **row = rows[i + 1];
        char *attempts = xasprintf("%s/attempts/%s", dir, cases[i].name);
        ck_assert_str_eq(row[0], cases[i].name);
        ck_assert_str_eq(row[column(rows[0], "total")], cases[i].total);
        ck_assert_str_eq(row[column(rows[0], "status")], cases[i].status);
        ck_assert_int_eq(lines_in(attempts), cases[i].attempts);
        /* Each attempt's log: the last as grader.log, the others numbered. */
        for (int a = 1; a < cases[i].attempts; a++) {
            char *log = xasprintf("%s/students/%s/grader.log.%d", out, cases[i].name, a);
            char *said = read_file(log, NULL), *want = xasprintf("no room on attempt %d", a);
            ck_assert_msg(said != NULL && strstr(said, want) != NULL, "%s: %s", log, said);
            free(want);
            free(said);
            free(log);
        }
        free(attempts);
    }
    free(dir);
    free(subs);
    free(out);
    free(fake);
    free(option);
    free(script);
    free(csv);
}
END_TEST

START_TEST(shmgrade_junit_and_tap_of_a_real_submission_are_valid)
{
    char *sub = fresh_folder("formats/bob");
    char *xml = xasprintf("%s/formats/bob.xml", work), *tap = xasprintf("%s/formats/bob.tap", work);
    struct proc *p;
    json_t *parsed;

    copy_solution(sub, "no-nul-terminator");
    p = RUN_IN(NULL, NULL, shmgrade, "--lab", "01", "--hidden", "--submission", sub, "--format",
               "junit", "--output", xml);
    assert_exit(p, 1);
    proc_free(p);
    assert_junit_valid(xml);
    assert_xpath(xml, "count(//failure)", "1");
    assert_xpath(xml, "string(//failure/../@name)",
                 "no-stale-tail: A shorter second message reads back without the first one's "
                 "tail");
    p = RUN_IN(NULL, NULL, shmgrade, "--lab", "01", "--hidden", "--submission", sub, "--format",
               "tap", "--output", tap);
    assert_exit(p, 1);
    proc_free(p);
    parsed = parse_tap(tap);
    ck_assert_uint_eq(json_array_size(json_object_get(parsed, "parse_errors")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(parsed, "failed")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(parsed, "planned")),
                     (long)lab01()->n_tests);
    json_decref(parsed);
    free(tap);
    free(xml);
    free(sub);
}
END_TEST

/* --- Gradescope and Autolab, simulated ---------------------------------------------------------
 */

static void make_target(const char *target, const char *build)
{
    char *build_arg = xasprintf("BUILD=%s", build);
    struct proc *p =
        RUN_IN(root, NULL, "make", "--no-print-directory", target, "LAB=01", build_arg);
    assert_exit(p, 0);
    proc_free(p);
    free(build_arg);
}

/* Runs the autograder as Gradescope does, and returns its valid results.json. */
static json_t *run_autograder(const char *base, const char *const env[], const char *runner,
                              const char *results)
{
    struct proc *p = RUN_IN(base, env, runner);
    json_t *json;

    assert_exit(p, 0);
    proc_free(p);
    json = load_json(results);
    assert_gradescope_results(json);
    return json;
}

START_TEST(gradescope_bundle_grades_in_a_fake_autograder_tree)
{
    char *build = xasprintf("%s/gs-build", work);
    char *base = fresh_folder("gs/autograder");
    char *env_base = xasprintf("SHMLAB_AUTOGRADER=%s", base);
    const char *env[] = {env_base, "SHMLAB_SKIP_INSTALL=1", NULL};
    char *results = xasprintf("%s/results/results.json", base);
    char *runner = xasprintf("%s/run_autograder", base);
    struct proc *p;
    json_t *json, *tests;

    make_target("gradescope", build);
    /* What Gradescope does with the zip: unpack it into source/, run
     * setup.sh once, copy run_autograder up, then run it per submission. */
    sh(base,
       "mkdir source submission results && cd source && unzip -q '%s/gradescope/" LAB01
       "/autograder.zip' && test -x setup.sh && test -x run_autograder",
       build);
    p = RUN_IN(NULL, env, xasprintf("%s/source/setup.sh", base));
    assert_exit(p, 0);
    proc_free(p);
    sh(base, "cp source/run_autograder run_autograder");

    copy_solution(xasprintf("%s/submission", base), "no-nul-terminator");
    json = run_autograder(base, env, runner, results);
    tests = json_object_get(json, "tests");
    ck_assert_int_eq(json_integer_value(json_object_get(json, "score")),
                     100 - lab01()->tests[test_index(lab01(), "no-stale-tail")].points);
    ck_assert_uint_eq(json_array_size(tests), lab01()->n_tests);
    ck_assert_str_eq(
        json_string_value(json_object_get(test_named(tests, "no-stale-tail"), "status")), "failed");
    ck_assert_str_eq(
        json_string_value(json_object_get(test_named(tests, "empty-message"), "visibility")),
        "after_due_date");
    ck_assert_str_eq(
        json_string_value(json_object_get(test_named(tests, "round-trip"), "visibility")),
        "visible");
    json_decref(json);

    /* A submission that does not build still gets a valid results.json. */
    sh(base, "rm -f results/* && printf 'int main(void) { return 0 }\\n' > submission/writer.c");
    json = run_autograder(base, env, runner, results);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "score")), 0);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json, "output")), "error"));
    json_decref(json);

    /* A zip of a folder (from a Mac, too): what is inside the folder is graded. */
    sh(base, "rm -rf results/* submission/* && mkdir submission/__MACOSX");
    copy_solution(xasprintf("%s/submission/my lab", base), NULL);
    json = run_autograder(base, env, runner, results);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "score")), 100);
    json_decref(json);
    free(runner);
    free(results);
    free(env_base);
    free(base);
    free(build);
}
END_TEST

START_TEST(autolab_bundle_prints_the_autoresult_last)
{
    char *build = xasprintf("%s/al-build", work);
    char *dir = fresh_folder("al/job");
    char *src = xasprintf("%s/al/handin", work);
    const struct lab *lab = lab01();
    struct proc *p;
    json_t *result, *scores;

    make_target("autolab", build);
    /* What Tango does: the bundle, the Makefile and the handin in one folder, then `make`. */
    sh(dir,
       "cp '%s/autolab/" LAB01 "/autograde.tar' . && cp '%s/autolab/" LAB01
       "/autograde-Makefile' Makefile",
       build, build);
    copy_solution(src, NULL);
    sh(src, "tar -cf '%s/handin.tar' writer.c reader.c", dir);
    p = RUN_IN(dir, NULL, "sh", "-c", "make 2>&1");
    assert_exit(p, 0);
    result = autoresult(p->out.head);
    proc_free(p);
    scores = json_object_get(result, "scores");
    ck_assert_uint_eq(json_object_size(scores), lab->n_tests);
    for (size_t i = 0; i < lab->n_tests; i++)
        ck_assert_int_eq(json_integer_value(json_object_get(scores, lab->tests[i].id)),
                         lab->tests[i].points);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(result, "scoreboard"), 0)),
                     100);
    json_decref(result);

    /* A failing test is status 1 for shmgrade, but the job still ends well;
     * a zip of a folder is a handin too. */
    copy_solution(xasprintf("%s/lab01", src), "no-nul-terminator");
    sh(src, "rm -f '%s/handin.tar' && zip -q -r '%s/handin.zip' lab01", dir, dir);
    p = RUN_IN(dir, NULL, "sh", "-c", "make HANDIN=handin.zip 2>&1");
    assert_exit(p, 0);
    result = autoresult(p->out.head);
    ck_assert_ptr_nonnull(strstr(p->out.head, "FAIL  no-stale-tail"));
    proc_free(p);
    scores = json_object_get(result, "scores");
    ck_assert_int_eq(json_integer_value(json_object_get(scores, "no-stale-tail")), 0);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(result, "scoreboard"), 0)),
                     90);
    json_decref(result);
    free(src);
    free(dir);
    free(build);
}
END_TEST

/* --- the student pack ------------------------------------------------------------------------- */

struct file_list {
    char **paths;
    size_t n;
};

static struct file_list *collecting;

static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag == FTW_F) {
        collecting->paths = realloc(collecting->paths, (collecting->n + 1) * sizeof(char *));
        collecting->paths[collecting->n++] = strdup(path);
    }
    return 0;
}

static struct file_list files_under(const char *folder)
{
    struct file_list list = {0};
    collecting = &list;
    ck_assert_int_eq(nftw(folder, collect, 16, FTW_PHYS), 0);
    return list;
}

/* Every corpus entry of every lab, staged as a submission under INTO. */
static void stage_corpus(const char *into)
{
    char *folder = xasprintf("%s/tests/corpus", root);
    struct names labs = sub_folders(folder);

    for (size_t l = 0; l < labs.n; l++) {
        char *lab_folder = xasprintf("%s/%s", folder, labs.names[l]);
        struct names entries = sub_folders(lab_folder);
        for (size_t e = 0; e < entries.n; e++) {
            char *entry = xasprintf("%s/%s", lab_folder, entries.names[e]);
            char *dest = xasprintf("%s/%s/%s", into, labs.names[l], entries.names[e]);
            stage_submission(labs.names[l], entry, dest);
            free(dest);
            free(entry);
        }
        names_free(&entries);
        free(lab_folder);
    }
    ck_assert_uint_ge(labs.n, 1);
    names_free(&labs);
    free(folder);
}

START_TEST(the_student_pack_has_no_solutions_and_no_hidden_tests)
{
    char *build = xasprintf("%s/dist-build", work);
    char *pack = fresh_folder("dist");
    char *tarball = xasprintf("%s/shmlab-student.tar.gz", build);
    char *solutions = xasprintf("%s/solutions", root), *corpus = xasprintf("%s/tests/corpus", root);
    char *staged_corpus = fresh_folder("dist-corpus");
    char *top = xasprintf("%s/shmlab-student", pack);
    char *build_arg = xasprintf("BUILD=%s", build);
    struct proc *p;
    struct file_list shipped, secret[3];
    size_t n_labs;
    const struct lab *const *labs = registered_labs(&n_labs);

    p = RUN_IN(root, NULL, "make", "--no-print-directory", "dist", build_arg);
    assert_exit(p, 0);
    proc_free(p);
    p = RUN_IN(NULL, NULL, "tar", "-tzf", tarball);
    assert_exit(p, 0);
    /* The listing: what belongs in, and nothing that must stay out. */
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/README.md\n"));
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/grader/cli/shmgrade.c\n"));
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/labs/" LAB01 "/README.md\n"));
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/labs/" LAB01 "/writer.c\n"));
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/labs/" LAB01 "/tests.c\n"));
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/slides/"));
    /* What the README's Docker commands and the dev container need. */
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/docker/Dockerfile\n"));
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/docker/entrypoint\n"));
    ck_assert_ptr_nonnull(strstr(p->out.head, "shmlab-student/.devcontainer/devcontainer.json\n"));
    for (const char *line = p->out.head; *line != '\0'; line += strcspn(line, "\n") + 1) {
        int len = (int)strcspn(line, "\n");
        ck_assert_msg(strncmp(line, "shmlab-student/", 15) == 0, "%.*s is outside the pack", len,
                      line);
        ck_assert_msg(memmem(line, (size_t)len, "solutions", 9) == NULL &&
                          memmem(line, (size_t)len, "hidden_tests", 12) == NULL &&
                          memmem(line, (size_t)len, "/tests/", 7) == NULL &&
                          memmem(line, (size_t)len, "platforms/", 10) == NULL,
                      "the pack holds %.*s", len, line);
    }
    proc_free(p);

    /* The contents: no file is a solution, a corpus entry's patch or the
     * submission it makes, under another name, and no hidden test's title
     * appears anywhere. */
    sh(pack, "tar -xzf '%s'", tarball);
    /* Its README is the students' own: their commands, nothing of the
     * instructors' or of the project's own tests. */
    char *readme_path = xasprintf("%s/README.md", top);
    char *readme = read_file(readme_path, NULL);
    ck_assert_ptr_nonnull(strstr(readme, "make hint TEST=ID"));
    ck_assert_ptr_nonnull(strstr(readme, "A learning path"));
    ck_assert_msg(strcasestr(readme, "instructor") == NULL && strstr(readme, "make test") == NULL &&
                      strstr(readme, "shmclass") == NULL && strstr(readme, "solutions/") == NULL,
                  "the pack's README speaks to instructors or contributors:\n%s", readme);
    free(readme);
    free(readme_path);
    p = RUN_IN(top, NULL, "make", "--no-print-directory", "test");
    assert_exit_saying(p, 2, "not part of the student pack; make grade grades your labs");
    proc_free(p);
    stage_corpus(staged_corpus);
    shipped = files_under(top);
    secret[0] = files_under(solutions);
    secret[1] = files_under(corpus);
    secret[2] = files_under(staged_corpus);
    for (size_t i = 0; i < shipped.n; i++) {
        size_t size;
        char *data = read_file(shipped.paths[i], &size);
        for (int k = 0; k < 3; k++) {
            for (size_t j = 0; j < secret[k].n; j++) {
                size_t secret_size;
                char *other = read_file(secret[k].paths[j], &secret_size);
                ck_assert_msg(size != secret_size || memcmp(data, other, size) != 0 ||
                                  strstr(secret[k].paths[j], "EXPECTED") != NULL,
                              "%s is %s", shipped.paths[i], secret[k].paths[j]);
                free(other);
            }
        }
        for (size_t l = 0; l < n_labs; l++) {
            const struct lab *lab = lab_with_hidden_tests(labs[l]);
            for (size_t t = 0; t < lab->n_tests; t++)
                ck_assert_msg(!(lab->tests[t].flags & TEST_HIDDEN) ||
                                  memmem(data, size, lab->tests[t].title,
                                         strlen(lab->tests[t].title)) == NULL,
                              "%s gives away the hidden test %s", shipped.paths[i],
                              lab->tests[t].id);
        }
        free(data);
    }
    ck_assert_uint_ge(secret[0].n, 2);
    ck_assert_uint_ge(secret[2].n, secret[0].n);

    /* And it works: it builds, lists only visible tests, grades a skeleton. */
    p = RUN_IN(top, NULL, "make", "-s", "--no-print-directory", "build/shmgrade");
    assert_exit(p, 0);
    proc_free(p);
    p = RUN_IN(top, NULL, "build/shmgrade", "--list");
    assert_exit(p, 0);
    ck_assert_ptr_nonnull(strstr(p->out.head, "round-trip"));
    ck_assert_ptr_null(strstr(p->out.head, "(hidden)"));
    ck_assert_ptr_null(strstr(p->out.head, "empty-message"));
    proc_free(p);
    /* The pack has no hidden test, yet knows what hidden tests are worth. */
    p = RUN_IN(top, NULL, "build/shmgrade", "--lab", "01", "--hidden");
    assert_exit(p, 1);
    ck_assert_msg(strstr(p->out.head, "TOTAL: 0/95 visible \u2014 5 more points come from "
                                      "hidden tests run at final grading (100 in all)") != NULL,
                  "%s", p->out.head);
    proc_free(p);
    /* A pack is no place to make packs: it says so. */
    p = RUN_IN(top, NULL, "make", "--no-print-directory", "dist");
    assert_exit_saying(p, 2, "made in the shmlab repository");
    proc_free(p);
    free(staged_corpus);
    free(build_arg);
    free(top);
    free(corpus);
    free(solutions);
    free(tarball);
    free(pack);
    free(build);
}
END_TEST

/* --- the student pack's slides ---------------------------------------------------------------- */

/* A set of lines, each trimmed of the blanks around it. */
struct line_set {
    char **lines;
    size_t n;
};

/* A line is worth looking for once it is long enough to be code of its own
 * rather than a brace, an include or an idiom every deck teaches
 * (die_errno("shmat");). */
#define DISTINCTIVE_LINE 30

static bool line_set_has(const struct line_set *set, const char *line, size_t len)
{
    for (size_t i = 0; i < set->n; i++)
        if (strlen(set->lines[i]) == len && memcmp(set->lines[i], line, len) == 0)
            return true;
    return false;
}

/* Call EACH(line, length, set) for each trimmed line of TEXT of
 * DISTINCTIVE_LINE characters or more. */
static void for_each_distinctive_line(const char *text, struct line_set *set,
                                      void (*each)(const char *, size_t, struct line_set *))
{
    for (const char *line = text; *line != '\0'; line += strcspn(line, "\n") + 1) {
        size_t len = strcspn(line, "\n");
        const char *start = line;
        while (len > 0 && (*start == ' ' || *start == '\t'))
            start++, len--;
        while (len > 0 && strchr(" \t\r", start[len - 1]) != NULL)
            len--;
        if (len >= DISTINCTIVE_LINE)
            each(start, len, set);
        if (line[strcspn(line, "\n")] == '\0')
            break;
    }
}

static void add_line(const char *line, size_t len, struct line_set *set)
{
    if (line_set_has(set, line, len))
        return;
    set->lines = realloc(set->lines, (set->n + 1) * sizeof(char *));
    set->lines[set->n++] = strndup(line, len);
}

static void add_lines_of_files(struct line_set *set, const char *folder)
{
    struct file_list files = files_under(folder);
    for (size_t i = 0; i < files.n; i++) {
        char *text = read_file(files.paths[i], NULL);
        for_each_distinctive_line(text, set, add_line);
        free(text);
    }
}

/*
 * The lines only a solution has: every distinctive line of solutions/LAB/
 * that no file of the lab's skeleton folder (labs/LAB/, labs/common/)
 * holds. A student may read the skeleton; none of these.
 */
static struct line_set solution_only_lines(void)
{
    char *solutions = xasprintf("%s/solutions", root), *common = xasprintf("%s/labs/common", root);
    struct names labs = sub_folders(solutions);
    struct line_set only = {0};

    for (size_t l = 0; l < labs.n; l++) {
        char *solution = xasprintf("%s/%s", solutions, labs.names[l]);
        char *skeleton = xasprintf("%s/labs/%s", root, labs.names[l]);
        struct line_set given = {0}, all = {0};
        add_lines_of_files(&given, skeleton);
        add_lines_of_files(&given, common);
        add_lines_of_files(&all, solution);
        for (size_t i = 0; i < all.n; i++)
            if (!line_set_has(&given, all.lines[i], strlen(all.lines[i])))
                add_line(all.lines[i], strlen(all.lines[i]), &only);
        free(skeleton);
        free(solution);
    }
    names_free(&labs);
    free(common);
    free(solutions);
    return only;
}

/* Set by found_line: the first line of a text that is in the set asked about. */
static const char *leaked;

static void found_line(const char *line, size_t len, struct line_set *set)
{
    if (leaked == NULL && line_set_has(set, line, len))
        leaked = strndup(line, len);
}

/* The first line of TEXT that a solution alone has, or NULL. */
static const char *solution_line_in(const char *text, struct line_set *secret)
{
    leaked = NULL;
    for_each_distinctive_line(text, secret, found_line);
    return leaked;
}

/*
 * Students never see solutions through slides: the pack ships the student
 * decks and what builds them, never slides/instructor/ (whose decks the
 * repository has, and which include solution code), and no slide file in
 * it includes from solutions/ or holds a line of code only a solution has.
 */
START_TEST(the_student_pack_ships_student_decks_only)
{
    char *build = xasprintf("%s/slides-dist", work), *build_arg = xasprintf("BUILD=%s", build);
    char *pack = fresh_folder("slides-pack");
    char *slides = xasprintf("%s/shmlab-student/slides", pack);
    char *instructor = xasprintf("%s/slides/instructor", root);
    char *planted = xasprintf("%s/planted.md", pack);
    struct line_set secret = solution_only_lines();
    struct file_list decks, instructor_decks;
    struct proc *p;

    p = RUN_IN(root, NULL, "make", "--no-print-directory", "dist", build_arg);
    assert_exit(p, 0);
    proc_free(p);
    sh(pack, "tar -xzf '%s/shmlab-student.tar.gz'", build);

    /* The repository has instructor decks, each showing solution code... */
    instructor_decks = files_under(instructor);
    ck_assert_uint_ge(instructor_decks.n, 4);
    for (size_t i = 0; i < instructor_decks.n; i++) {
        char *text = read_file(instructor_decks.paths[i], NULL);
        ck_assert_msg(strstr(text, "include=\"solutions/") != NULL, "%s shows no solution code",
                      instructor_decks.paths[i]);
        free(text);
    }
    /* ...the pack has the student decks and their tools, and none of them. */
    sh(slides, "test -f 00-introduction.md && test -f " LAB01 ".md && test -f README.md && "
               "test -x tools/build-deck && test -f tools/slides.lua && test ! -e instructor");
    decks = files_under(slides);
    ck_assert_uint_ge(decks.n, 10);
    ck_assert_uint_ge(secret.n, 100);
    for (size_t i = 0; i < decks.n; i++) {
        char *text = read_file(decks.paths[i], NULL);
        const char *line = solution_line_in(text, &secret);
        const char *name = strrchr(decks.paths[i], '/') + 1;
        bool is_deck = strlen(name) > 3 && strcmp(name + strlen(name) - 3, ".md") == 0 &&
                       strcmp(name, "README.md") != 0;
        ck_assert_msg(strstr(text, "include=\"solutions/") == NULL, "%s includes solution code",
                      decks.paths[i]);
        ck_assert_msg(!is_deck || strstr(text, "INSTRUCTOR") == NULL, "%s is for instructors",
                      decks.paths[i]);
        ck_assert_msg(line == NULL, "%s holds solution code: %s", decks.paths[i], line);
        free(text);
    }

    /* The search sees what it looks for: a deck with one solution line. */
    sh(pack,
       "cp '%s/" LAB01 ".md' '%s' && sed -n '/shm_open(name, O_RDONLY, 0)/p' "
       "'%s/solutions/" LAB01 "/reader.c' >> '%s'",
       slides, planted, root, planted);
    {
        char *text = read_file(planted, NULL);
        ck_assert_ptr_nonnull(solution_line_in(text, &secret));
        free(text);
    }
    free(planted);
    free(instructor);
    free(slides);
    free(pack);
    free(build_arg);
    free(build);
}
END_TEST

/*
 * An instructor tries a solution in a scratch clone, over the skeleton, and
 * makes the pack and the bundles before putting the skeleton back: what
 * ships is still the committed skeleton (and no untracked file), and the
 * build says what it left out. Without the repository's history (a copy
 * without .git), packing is refused with a reason.
 */
START_TEST(packs_and_bundles_hold_committed_files_only)
{
    char *base = fresh_folder("scratch"), *scratch = xasprintf("%s/repo", base);
    char *build_arg = xasprintf("BUILD=%s/out", scratch);
    static const char *const targets[] = {"dist", "gradescope", "autolab"};
    struct proc *p;

    sh(work, "git clone -q '%s' '%s'", root, scratch);
    sh(scratch, "git show HEAD:labs/" LAB01 "/writer.c > skeleton.c && "
                "cp solutions/" LAB01 "/writer.c labs/" LAB01 "/ && "
                "! cmp -s skeleton.c labs/" LAB01 "/writer.c && "
                "echo 'my notes' > labs/" LAB01 "/notes.txt");
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        p = RUN_IN(scratch, NULL, "make", "--no-print-directory", targets[i], "LAB=01", build_arg);
        assert_exit_saying(p, 0, "uncommitted changes are left out");
        ck_assert_msg(strstr(p->err.head, "labs/" LAB01 "/writer.c") != NULL,
                      "make %s does not name the changed file: %s", targets[i], p->err.head);
        proc_free(p);
    }
    sh(scratch, "tar -xzOf out/shmlab-student.tar.gz shmlab-student/labs/" LAB01 "/writer.c | "
                "cmp - skeleton.c && "
                "! tar -tzf out/shmlab-student.tar.gz | grep -q notes.txt && "
                "unzip -p out/gradescope/" LAB01 "/autograder.zip labs/" LAB01 "/writer.c | "
                "cmp - skeleton.c && "
                "tar -xOf out/autolab/" LAB01 "/autograde.tar shmlab/labs/" LAB01 "/writer.c | "
                "cmp - skeleton.c");

    sh(scratch, "rm -rf .git");
    p = RUN_IN(scratch, NULL, "scripts/make-dist", "out");
    assert_exit_saying(p, 2, "is not a git checkout of shmlab");
    proc_free(p);
    p = RUN_IN(scratch, NULL, "platforms/make-bundle", "gradescope", "01", "out");
    assert_exit_saying(p, 2, "is not a git checkout of shmlab");
    proc_free(p);
    free(build_arg);
    free(scratch);
    free(base);
}
END_TEST

/* --- running
 * --------------------------------------------------------------------------------------- */

/* Copy FROM to WORK/bin/NAME (made executable) and say where: TO.
 * Before any test runs, so without support.h's asserting helpers. */
static int copy_to_bin(const char *from, const char *name, char *to, size_t size)
{
    char buf[65536];
    ssize_t n = 0;
    int in, out;

    snprintf(to, size, "%s/bin", work);
    if (mkdir(to, 0755) < 0 && errno != EEXIST)
        return -1;
    snprintf(to, size, "%s/bin/%s", work, name);
    in = open(from, O_RDONLY | O_CLOEXEC);
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (in < 0 || out < 0)
        return -1;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            return -1;
    if (n < 0 || close(in) < 0 || close(out) < 0)
        return -1;
    return 0;
}

/* Copy *PROGRAM to WORK/bin/NAME and point *PROGRAM there. */
static int pin_program(const char **program, const char *name)
{
    static char paths[2][PATH_SIZE + 64];
    static int used;
    char *bin = paths[used++];

    if (copy_to_bin(*program, name, bin, PATH_SIZE + 64) < 0)
        return -1;
    *program = bin;
    return 0;
}

/* The library the grader preloads into student programs, found next to
 * it: into WORK/bin, next to the pinned grader. */
static int pin_preload_library(const char *grader)
{
    char from[PATH_SIZE + 64], to[PATH_SIZE + 64];
    const char *slash = strrchr(grader, '/');

    snprintf(from, sizeof(from), "%.*s/" PERTURB_LIBRARY, slash ? (int)(slash - grader) : 1,
             slash ? grader : ".");
    return copy_to_bin(from, PERTURB_LIBRARY, to, sizeof(to));
}

/* Students named as an attacker would name them (a folder name is any
 * bytes but '/' and NUL), each with code that does not build (graded: 0,
 * and quick), and their cells as the gradebook must show them. */
static const struct {
    const char *name, *cell;
} ODD_NAMES[] = {
    /* OWASP: formulas, after a tab or a carriage return or blanks too. */
    {"\t=HYPERLINK(\"http:\\\\x\")", "'\t=HYPERLINK(\"http:\\\\x\")"},
    {"\r=1+1", "\\r=1+1"},
    {"  @sum(A1)", "'  @sum(A1)"},
    {"-2+3", "'-2+3"},
    /* Markup, and a terminal's escape sequence. */
    {"<b>mallory<\\b> & \x1b[2J", "<b>mallory<\\b> & \\e[2J"},
    /* Two names that differ only in bytes that are not UTF-8. */
    {"bob\xfe", "bob\\xfe"},
    {"bob\xff", "bob\\xff"},
};
#define N_ODD_NAMES (sizeof(ODD_NAMES) / sizeof(ODD_NAMES[0]))

/* Every name, however odd, gets its own row, its own reports and its own
 * line in the summary, and is graded; nothing in the gradebook, the page
 * or shmclass's own output acts on a spreadsheet, a browser or a terminal. */
START_TEST(odd_student_names_each_get_a_row_and_reports_shown_safely)
{
    char *subs = fresh_folder("odd/submissions");
    char *out = xasprintf("%s/odd/out", work);
    char *csv, *html;
    char ***rows;
    size_t n_rows;
    struct proc *p;

    for (size_t i = 0; i < N_ODD_NAMES; i++) {
        char *path = xasprintf("%s/%s", subs, ODD_NAMES[i].name);
        copy_solution(path, NULL);
        write_text(xasprintf("%s/writer.c", path), "int main(void) { return 0 }\n");
        free(path);
    }
    /* One that cannot be graded, so shmclass names it on the terminal. */
    ck_assert_int_eq(mkdir(xasprintf("%s/\x1b[2J\x1b[Heve", subs), 0755), 0);
    p = run_shmclass(subs, out, NULL, NULL);
    assert_exit(p, 1);
    assert_shows_no_control("shmclass's output", p->out.head);
    assert_shows_no_control("shmclass's errors", p->err.head);
    ck_assert_msg(strstr(p->out.head, "8 submissions: 7 graded") != NULL, "%s", p->out.head);
    ck_assert_msg(strstr(p->out.head, "  \\e[2J\\e[Heve: could not be graded") != NULL, "%s",
                  p->out.head);
    proc_free(p);
    csv = read_file(xasprintf("%s/gradebook.csv", out), NULL);
    /* Lines end in CRLF (RFC 4180): no other carriage return. */
    char *lines = strdup(csv);
    for (char *cr = strstr(lines, "\r\n"); cr != NULL; cr = strstr(cr, "\r\n"))
        memmove(cr, cr + 1, strlen(cr));
    assert_shows_no_control("gradebook.csv", lines);
    free(lines);
    rows = parse_csv(csv, &n_rows);
    ck_assert_uint_eq(n_rows, N_ODD_NAMES + 2);
    for (size_t i = 0; i < N_ODD_NAMES; i++) {
        size_t r = 1;
        while (r < n_rows && strcmp(rows[r][0], ODD_NAMES[i].cell) != 0)
            r++;
        ck_assert_msg(r < n_rows, "no row for '%s'", ODD_NAMES[i].cell);
        ck_assert_str_eq(rows[r][column(rows[0], "total")], "0");
        ck_assert_str_eq(rows[r][column(rows[0], "status")], LAB01 ": build failed");
        char *report = xasprintf("%s/students/%s/report.json", out, ODD_NAMES[i].name);
        json_t *json = load_json(report);
        ck_assert_int_eq(json_integer_value(json_object_get(json, "score")), 0);
        assert_json_shows_no_control(report, json);
        json_decref(json);
        free(report);
    }
    html = xasprintf("%s/summary.html", out);
    assert_xpath(html, "count(//table/tbody/tr)", "8");
    assert_xpath(html, "count(//tbody/tr[td[1]/a='bob\\xff'])", "1");
    assert_xpath(html, "count(//tbody/tr[td[1]/a='bob\\xfe'])", "1");
    assert_xpath(html, "count(//tbody/tr[td[1]/a='<b>mallory<\\b> & \\e[2J'])", "1");
    assert_shows_no_control("summary.html", read_file(html, NULL));
    free(html);
    free(csv);
    free(out);
    free(subs);
}
END_TEST

/* Is anything of UID left: a process, an IPC object it owns or created, a
 * file in the folders anyone may write? What, in WHAT. */
static bool anything_of(uid_t uid, char *what, size_t size)
{
    static const char *const folders[] = {"/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue", "/proc"};
    struct ipc_snapshot snap;
    bool found = false;

    ck_assert_int_eq(ipc_snapshot_take(&snap), 0);
    for (size_t i = 0; i < snap.n && !found; i++)
        if (snap.objects[i].uid == uid || snap.objects[i].creator_uid == uid) {
            snprintf(what, size, "IPC object %d", snap.objects[i].id);
            found = true;
        }
    ipc_snapshot_free(&snap);
    for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]) && !found; i++) {
        DIR *dir = opendir(folders[i]);
        struct dirent *entry;
        while (dir != NULL && !found && (entry = readdir(dir)) != NULL) {
            char path[PATH_SIZE];
            struct stat st;
            snprintf(path, sizeof(path), "%s/%s", folders[i], entry->d_name);
            if (lstat(path, &st) == 0 && st.st_uid == uid) {
                snprintf(what, size, "%s", path);
                found = true;
            }
        }
        if (dir != NULL)
            closedir(dir);
    }
    return found;
}

/*
 * A grading shmclass --timeout kills leaves nothing behind, in either
 * level: the hanging writer of tests/hostile/leave-and-hang has a daemon,
 * a POSIX object, a segment and a semaphore set given to root when the
 * timeout strikes; shmclass gave the grading its sandbox user, and removes
 * everything of that user.
 */
START_TEST(a_grading_killed_by_the_timeout_leaves_nothing)
{
    static const char *const levels[] = {"SHMGRADE_ISOLATION=none", "SHMGRADE_ISOLATION=auto"};
    const char *level = levels[_i];
    char *dir = fresh_folder(_i ? "timeout-auto" : "timeout-none");
    char *subs = xasprintf("%s/submissions", dir), *out = xasprintf("%s/out", dir);
    char *entry = xasprintf("%s/tests/hostile/leave-and-hang/" LAB01, root);
    /* 15 s: past the build (the writer hangs in every test, 5 s each). */
    const char *argv[] = {shmclass, "--lab",    "01", "--jobs", "2", "--timeout",
                          "15",     "--output", out,  subs,     NULL};
    struct proc *p;
    const char *at;
    char what[PATH_SIZE];

    if (geteuid() != 0)
        return; /* only root has sandbox users to assign */
    stage_submission(LAB01, entry, xasprintf("%s/mallory", subs));
    p = run_program(NULL, (const char *const[]){level, NULL}, argv);
    assert_exit(p, 1);
    at = strstr(p->out.head, "mallory: could not be graded: grading took longer than 15 s and was "
                             "stopped (what its programs left, as user ");
    ck_assert_msg(at != NULL, "%s: shmclass said: %s", level, p->out.head);
    uid_t uid = (uid_t)strtoul(strstr(at, " as user ") + 9, NULL, 10);
    ck_assert_msg(uid >= 1600000000u, "%s: %s", level, at);
    /* Without namespaces the killed test's daemon, object, segment and
     * set were there to remove (with them, they went with the test). */
    if (_i == 0)
        ck_assert_msg(strtol(strstr(at, "was removed: ") + 13, NULL, 10) >= 3, "%s: %s", level, at);
    ck_assert_msg(!anything_of(uid, what, sizeof(what)), "%s: %s of user %u outlived shmclass",
                  level, what, (unsigned)uid);
    proc_free(p);
    free(entry);
    free(out);
    free(subs);
    free(dir);
}
END_TEST

static Suite *instructor_suite(void)
{
    Suite *s = suite_create("instructor");

    ADD_TESTS(s, "formats", 300, junit_is_schema_valid_with_hostile_output,
              tap_is_parsed_by_tap_parser, gradescope_json_follows_the_specification,
              autolab_prints_the_autoresult_last_and_keeps_hidden_details_back,
              json_report_reads_back_into_the_same_model, csv_cells_are_quoted_when_they_must_be,
              shmgrade_junit_and_tap_of_a_real_submission_are_valid);
    ADD_TESTS(
        s, "class", 900, a_class_is_graded_into_a_gradebook_reports_and_a_summary,
        unchanged_submissions_are_not_graded_again,
        a_grader_that_hangs_or_crashes_costs_only_that_submission, a_grader_error_is_graded_again,
        odd_student_names_each_get_a_row_and_reports_shown_safely,
        shmclass_refuses_bad_command_lines, gradings_that_would_share_a_user_run_one_at_a_time);
    tcase_add_loop_test(add_tests(s, "timeout", 300, NULL),
                        a_grading_killed_by_the_timeout_leaves_nothing, 0, 2);
    ADD_TESTS(s, "platforms", 900, gradescope_bundle_grades_in_a_fake_autograder_tree,
              autolab_bundle_prints_the_autoresult_last,
              the_student_pack_has_no_solutions_and_no_hidden_tests,
              the_student_pack_ships_student_decks_only,
              packs_and_bundles_hold_committed_files_only);
    return s;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    int status;

    /* The simulated platforms run make as a platform would: at the top,
     * not as a sub-make of `make test`. */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    support_init("check_instructor", "instructor-test");
    root = shmlab_root;
    shmgrade = shmgrade_path;
    shmclass = getenv("SHMCLASS");
    if (shmclass == NULL) {
        fprintf(stderr, "check_instructor: set SHMCLASS (make instructor-test does)\n");
        return 2;
    }
    snprintf(work, sizeof(work), "%s/shmlab-instructor-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(work) == NULL) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    /* Our own copies of the programs under test: other work in a shared
     * tree may rebuild build/ while this suite runs. */
    if (pin_preload_library(shmgrade) < 0 || pin_program(&shmgrade, "shmgrade") < 0 ||
        pin_program(&shmclass, "shmclass") < 0) {
        perror("check_instructor: cannot copy the programs under test");
        return EXIT_FAILURE;
    }
    status = run_suite(instructor_suite());
    if (status != 0 && getenv("SHMLAB_KEEP") != NULL)
        fprintf(stderr, "check_instructor: the work folder is kept in %s\n", work);
    else if (remove_tree(work, NULL) < 0)
        perror("check_instructor: cannot remove the work folder");
    return status;
}
