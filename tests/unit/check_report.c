/* check_report.c - text and JSON views of one result model. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "report/formats.h"
#include "report/report.h"
#include "../shown.h"
#include "suites.h"

/* A grade of one lab worth 100 points: "works" passes (10), "breaks" fails
 * (15), and a hidden test of 5 points did not run. */
static struct grade_result sample(void)
{
    struct grade_result grade = {.submission = "sub", .isolation = "test", .n_labs = 1};
    struct lab_result *lab = calloc(1, sizeof(*lab));
    struct test_verdict *tests = calloc(2, sizeof(*tests));

    ck_assert(lab != NULL && tests != NULL);
    test_verdict_describe(&tests[0], "works", "It works", "never shown", 0, 10);
    tests[0].status = STATUS_PASSED;
    tests[0].score = 10;
    tests[0].message = report_text_copy("");
    tests[0].output = report_text_copy("");
    test_verdict_describe(&tests[1], "breaks", "It breaks", "look at step 2", 0, 15);
    tests[1].status = STATUS_FAILED;
    tests[1].message = report_text_copy("expected \"x\"");
    tests[1].output = report_text_copy("FAILED: expected \"x\"\n  $ prog\n");
    lab_result_describe(lab, "00-unit", "Unit lab", 30, 5);
    lab->state = LAB_GRADED;
    lab->tests = tests;
    lab->n_tests = 2;
    lab->build_log = report_text_copy("");
    grade.labs = lab;
    grade_result_total(&grade);
    return grade;
}

START_TEST(totals_add_up)
{
    struct grade_result grade = sample();

    ck_assert_int_eq(grade.score, 10);
    ck_assert_int_eq(grade.max_score, 25);
    ck_assert_int_eq(grade_result_lab_points(&grade), 30);
    ck_assert_int_eq(grade_result_hidden_points_not_run(&grade), 5);
    ck_assert(!grade_result_perfect(&grade));
    grade_result_free(&grade);
}
END_TEST

START_TEST(json_has_the_promised_fields)
{
    struct grade_result grade = sample();
    json_t *json = report_json(&grade);
    json_t *second, *lab;

    ck_assert_ptr_nonnull(json);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "score")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "max_score")), 25);
    ck_assert_uint_eq(json_array_size(json_object_get(json, "tests")), 2);
    second = json_array_get(json_object_get(json, "tests"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(second, "name")), "00-unit: It breaks");
    ck_assert_str_eq(json_string_value(json_object_get(second, "status")), "failed");
    ck_assert_int_eq(json_integer_value(json_object_get(second, "score")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(second, "max_score")), 15);
    ck_assert_str_eq(json_string_value(json_object_get(second, "hint")), "look at step 2");
    ck_assert(json_is_false(json_object_get(second, "hidden")));
    ck_assert(json_is_false(json_object_get(second, "after_due_date")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(second, "output")), "$ prog"));
    /* The lab's points in all: what a platform that ran every test shows. */
    lab = json_array_get(json_object_get(json, "labs"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(lab, "title")), "Unit lab");
    ck_assert_int_eq(json_integer_value(json_object_get(lab, "max_score")), 25);
    ck_assert_int_eq(json_integer_value(json_object_get(lab, "lab_points")), 30);
    ck_assert_int_eq(json_integer_value(json_object_get(lab, "hidden_points")), 5);
    json_decref(json);
    grade_result_free(&grade);
}
END_TEST

typedef void text_view(FILE *out, const struct grade_result *grade, const struct text_style *style);

/* GRADE as VIEW shows it, in a string the caller frees. */
static char *view_of(text_view *view, const struct grade_result *grade, bool colour, bool verbose)
{
    struct text_style style = {.colour = colour, .verbose = verbose};
    char *text;
    size_t size;
    FILE *out = open_memstream(&text, &size);

    ck_assert_ptr_nonnull(out);
    view(out, grade, &style);
    ck_assert_int_eq(fclose(out), 0);
    return text;
}

/* GRADE's text report, in a string the caller frees. */
static char *text_of(const struct grade_result *grade, bool colour, bool verbose)
{
    return view_of(report_text, grade, colour, verbose);
}

/* The text report of the sample, in a string the caller frees. */
static char *text_report(bool colour, bool verbose)
{
    struct grade_result grade = sample();
    char *text = text_of(&grade, colour, verbose);

    grade_result_free(&grade);
    return text;
}

/* TEXT holds each of NEEDLES (NULL-terminated). */
static void assert_contains_all(const char *text, const char *const *needles)
{
    for (; *needles != NULL; needles++)
        ck_assert_msg(strstr(text, *needles) != NULL, "no '%s' in:\n%s", *needles, text);
}

START_TEST(text_shows_verdicts_points_and_hints)
{
    char *text = text_report(false, false);

    assert_contains_all(text, (const char *const[]){"PASS  works", "FAIL  breaks", "0/15",
                                                    "hint: look at step 2", "TOTAL: 10/25", NULL});
    ck_assert_ptr_null(strstr(text, "never shown"));
    ck_assert_ptr_null(strchr(text, '\033'));
    free(text);
}
END_TEST

/* One score model: a lab is worth its lab_points in all. A grading that
 * ran only the visible tests says where the rest of the points are. */
START_TEST(text_says_which_points_were_not_run)
{
    struct grade_result grade = sample();
    char *text = text_of(&grade, false, false);

    ck_assert_msg(strstr(text, "score: 10/25 visible \u2014 5 more points come from hidden tests "
                               "run at final grading (30 in all)") != NULL,
                  "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "TOTAL: 10/25 visible \u2014 5 more points"));
    free(text);

    /* Every test ran, hidden ones included: nothing to add. */
    grade.labs[0].lab_points = 25;
    grade.labs[0].hidden_points = 0;
    grade_result_total(&grade);
    text = text_of(&grade, false, false);
    ck_assert_ptr_nonnull(strstr(text, "score: 10/25  ("));
    ck_assert_ptr_null(strstr(text, "in all"));
    free(text);

    /* Only some tests asked for (--test): the rest is named as such. */
    grade.labs[0].lab_points = 100;
    grade.labs[0].hidden_points = 5;
    text = text_of(&grade, false, false);
    ck_assert_msg(strstr(text, "score: 10/25 for the tests run \u2014 the other 75 points come "
                               "from tests not run here (100 in all)") != NULL,
                  "%s", text);
    free(text);
    grade_result_free(&grade);
}
END_TEST

START_TEST(summary_names_the_next_test_and_its_hint)
{
    struct grade_result grade = sample();
    char *text = view_of(report_summary, &grade, false, false);

    assert_contains_all(text, (const char *const[]){"00-unit", "[########------------]  10/25",
                                                    "next: breaks", "hint: look at step 2",
                                                    "0 of 1 labs complete", NULL});
    free(text);
    grade_result_free(&grade);
}
END_TEST

START_TEST(colour_only_when_asked)
{
    char *text = text_report(true, false);
    ck_assert_ptr_nonnull(strchr(text, '\033'));
    free(text);
    setenv("NO_COLOR", "1", 1);
    ck_assert(!want_colour(stdout));
}
END_TEST

START_TEST(invalid_utf8_is_shown_byte_by_byte)
{
    char *copy = report_text_copy("ok \xff\xfe caf\xc3\xa9 \xe2\x82");
    ck_assert_str_eq(copy, "ok \\xff\\xfe café \\xe2\\x82");
    free(copy);
    copy = report_text_copy("\xc0\xaf overlong");
    ck_assert_str_eq(copy, "\\xc0\\xaf overlong");
    free(copy);
}
END_TEST

/*
 * The JSON report is the whole model: read back by a program that knows
 * no lab called 00-unit (none is linked in by that name), it renders the
 * same report, hint, flags and points included.
 */
START_TEST(json_reads_back_without_any_lab_linked_in)
{
    struct grade_result grade = sample(), back;
    json_t *json, *again;
    char error[256] = "";
    char *before, *after;

    grade.labs[0].tests[1].flags = TEST_HIDDEN | TEST_AFTER_DUE_DATE;
    json = report_json(&grade);
    ck_assert_msg(grade_result_from_json(json, &back, error, sizeof(error)) == 0, "%s", error);
    again = report_json(&back);
    ck_assert_msg(json_equal(json, again), "the model changed on the way through JSON");
    ck_assert_str_eq(back.labs[0].id, "00-unit");
    ck_assert_str_eq(back.labs[0].title, "Unit lab");
    ck_assert_int_eq(back.labs[0].lab_points, 30);
    ck_assert_int_eq(back.labs[0].hidden_points, 5);
    ck_assert_str_eq(back.labs[0].tests[1].hint, "look at step 2");
    ck_assert_uint_eq(back.labs[0].tests[1].flags, TEST_HIDDEN | TEST_AFTER_DUE_DATE);
    ck_assert_int_eq(back.labs[0].tests[1].max_score, 15);
    before = text_of(&grade, false, true);
    after = text_of(&back, false, true);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    json_decref(again);
    grade_result_free(&back);
    json_decref(json);
    grade_result_free(&grade);
}
END_TEST

/* Change JSON's MEMBER of the first test (or of the first lab) to VALUE;
 * the reader must refuse it, saying NEEDLE. */
static void assert_refused(const char *array, const char *member, json_t *value, const char *needle)
{
    struct grade_result grade = sample(), back;
    json_t *json = report_json(&grade);
    char error[256] = "";

    json_object_set_new(json_array_get(json_object_get(json, array), 0), member, value);
    ck_assert_int_eq(grade_result_from_json(json, &back, error, sizeof(error)), -1);
    ck_assert_msg(strstr(error, needle) != NULL, "refused %s.%s saying '%s'", array, member, error);
    grade_result_free(&back);
    json_decref(json);
    grade_result_free(&grade);
}

START_TEST(json_that_is_no_report_is_refused)
{
    assert_refused("tests", "lab", json_string("99-other"), "names no lab");
    assert_refused("tests", "id", json_string("breaks"), "twice");
    assert_refused("tests", "title", json_null(), "no id or title");
    assert_refused("tests", "verdict", json_string("fine"), "no valid verdict");
    assert_refused("tests", "score", json_integer(16), "no valid score");
    assert_refused("tests", "max_score", json_integer(-1), "no valid score");
    assert_refused("labs", "state", json_string("lost"), "no valid state");
    assert_refused("labs", "lab_points", json_string("100"), "lab_points");
    assert_refused("labs", "score", json_integer(11), "does not add up");
}
END_TEST

START_TEST(lab_states_have_one_name_each_way)
{
    enum lab_state states[] = {LAB_GRADED, LAB_BUILD_FAILED, LAB_BAD_SUBMISSION};
    enum lab_state back;

    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        ck_assert(lab_state_from_name(lab_state_name(states[i]), &back));
        ck_assert_int_eq(back, states[i]);
    }
    ck_assert_str_eq(lab_state_name(LAB_BUILD_FAILED), "build failed");
    ck_assert(!lab_state_from_name("unknown", &back));
    ck_assert(!lab_state_from_name(NULL, &back));
}
END_TEST

/* --- forged text ----------------------------------------------------------- */

/* What a program could print to forge a report: clear the screen, paint a
 * score, hide the rest, move back over a line, a C1 CSI, a bidirectional
 * override, and bytes that are not UTF-8. */
#define FORGED                                                                                     \
    "\x1b[2J\x1b[H\x1b[32mTOTAL: 105/105\x1b[8m\rwarning: \x9b\xc2\x9b"                            \
    "31m \xe2\x80\xae"                                                                             \
    "evil \a\b\x7f\x01 \xff\xfe end"

/* The sample, failing with FORGED as its message, output and build log
 * (warnings: shown even though the lab built). */
static struct grade_result forged_sample(void)
{
    struct grade_result grade = sample();
    struct lab_result *lab = &grade.labs[0];

    free(lab->tests[1].message);
    free(lab->tests[1].output);
    free(lab->build_log);
    lab->tests[1].message = report_text_copy(FORGED);
    lab->tests[1].output = report_text_copy("FAILED: " FORGED "\n  $ prog\n");
    lab->build_log = report_text_copy("x.c:1: warning: " FORGED "\n");
    return grade;
}

typedef int file_view(FILE *out, const struct grade_result *grade);

static char *file_view_of(file_view *view, const struct grade_result *grade)
{
    char *text;
    size_t size;
    FILE *out = open_memstream(&text, &size);

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(view(out, grade), 0);
    ck_assert_int_eq(fclose(out), 0);
    return text;
}

/* TEXT without the grader's own colours. */
static char *without_palette(const char *text)
{
    static const char *const palette[] = {"\033[32m", "\033[31m", "\033[2m", "\033[1m", "\033[0m"};
    char *copy = strdup(text);

    ck_assert_ptr_nonnull(copy);
    for (char *esc = strchr(copy, '\033'); esc != NULL; esc = strchr(esc, '\033')) {
        size_t i = 0;
        while (i < sizeof(palette) / sizeof(palette[0]) &&
               strncmp(esc, palette[i], strlen(palette[i])) != 0)
            i++;
        ck_assert_msg(i < sizeof(palette) / sizeof(palette[0]),
                      "an escape sequence not of the grader's palette: %.12s", esc + 1);
        memmove(esc, esc + strlen(palette[i]), strlen(esc + strlen(palette[i])) + 1);
    }
    return copy;
}

/* A report shows a forged screen as text, in every format: the escape
 * sequences are there to read (\e[2J), and act on nothing; colour comes
 * only from the grader's palette. */
START_TEST(forged_text_is_shown_in_every_format_and_acts_on_nothing)
{
    struct grade_result grade = forged_sample();
    static const struct {
        const char *name;
        file_view *view;
    } files[] = {{"json", write_json_report},
                 {"junit", write_junit_report},
                 {"tap", write_tap_report},
                 {"gradescope", write_gradescope_report},
                 {"autolab", write_autolab_report}};

    for (int colour = 0; colour <= 1; colour++) {
        char *text = text_of(&grade, colour, true), *plain = without_palette(text);
        char *summary = view_of(report_summary, &grade, colour, false);
        char *plain_summary = without_palette(summary);
        assert_shows_no_control("text", plain);
        assert_shows_no_control("summary", plain_summary);
        ck_assert_ptr_nonnull(strstr(plain, "\\e[2J\\e[H\\e[32mTOTAL: 105/105\\e[8m\\rwarning:"));
        ck_assert_ptr_nonnull(
            strstr(plain, "\\x9b\\u009b31m \\u202eevil \\a\\b\\x7f\\x01 \\xff\\xfe end"));
        ck_assert_ptr_nonnull(strstr(plain, "    x.c:1: warning: \\e[2J"));
        free(plain_summary);
        free(summary);
        free(plain);
        free(text);
    }
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *text = file_view_of(files[i].view, &grade);
        json_t *json = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
        assert_shows_no_control(files[i].name, text);
        ck_assert_ptr_nonnull(strstr(text, "TOTAL: 105/105"));
        if (json != NULL)
            assert_json_shows_no_control(files[i].name, json);
        json_decref(json);
        free(text);
    }
    grade_result_free(&grade);
}
END_TEST

Suite *report_suite(void)
{
    return SUITE_OF("report", 0, totals_add_up, json_has_the_promised_fields,
                    text_shows_verdicts_points_and_hints, text_says_which_points_were_not_run,
                    summary_names_the_next_test_and_its_hint, colour_only_when_asked,
                    invalid_utf8_is_shown_byte_by_byte, json_reads_back_without_any_lab_linked_in,
                    json_that_is_no_report_is_refused, lab_states_have_one_name_each_way,
                    forged_text_is_shown_in_every_format_and_acts_on_nothing);
}
