/* check_report.c - text and JSON views of one result model. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "suites.h"

static const struct lab_test tests[] = {
    {.id = "works", .title = "It works", .points = 10, .hint = "never shown"},
    {.id = "breaks", .title = "It breaks", .points = 15, .hint = "look at step 2"},
};
static const struct lab lab = {.id = "00-unit", .title = "Unit lab", .tests = tests, .n_tests = 2};

static struct grade_result sample(struct test_verdict *results, struct lab_result *lab_result)
{
    results[0] = (struct test_verdict){.test = &tests[0],
                                       .status = STATUS_PASSED,
                                       .score = 10,
                                       .max_score = 10,
                                       .message = "",
                                       .output = ""};
    results[1] = (struct test_verdict){.test = &tests[1],
                                       .status = STATUS_FAILED,
                                       .score = 0,
                                       .max_score = 15,
                                       .message = "expected \"x\"",
                                       .output = "FAILED: expected \"x\"\n  $ prog\n"};
    *lab_result = (struct lab_result){
        .lab = &lab, .state = LAB_GRADED, .tests = results, .n_tests = 2, .build_log = ""};
    struct grade_result grade = {
        .submission = "sub", .isolation = "test", .labs = lab_result, .n_labs = 1};
    grade_result_total(&grade);
    return grade;
}

START_TEST(totals_add_up)
{
    struct test_verdict results[2];
    struct lab_result lab_result;
    struct grade_result grade = sample(results, &lab_result);

    ck_assert_int_eq(grade.score, 10);
    ck_assert_int_eq(grade.max_score, 25);
    ck_assert(!grade_result_perfect(&grade));
}
END_TEST

START_TEST(json_has_the_promised_fields)
{
    struct test_verdict results[2];
    struct lab_result lab_result;
    struct grade_result grade = sample(results, &lab_result);
    json_t *json = report_json(&grade);
    json_t *second;

    ck_assert_ptr_nonnull(json);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "score")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(json, "max_score")), 25);
    ck_assert_uint_eq(json_array_size(json_object_get(json, "tests")), 2);
    second = json_array_get(json_object_get(json, "tests"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(second, "name")), "00-unit: It breaks");
    ck_assert_str_eq(json_string_value(json_object_get(second, "status")), "failed");
    ck_assert_int_eq(json_integer_value(json_object_get(second, "score")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(second, "max_score")), 15);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(second, "output")), "$ prog"));
    json_decref(json);
}
END_TEST

/* The text report of the sample, in a string the caller frees. */
static char *text_report(bool colour, bool verbose)
{
    struct test_verdict results[2];
    struct lab_result lab_result;
    struct grade_result grade = sample(results, &lab_result);
    struct text_style style = {.colour = colour, .verbose = verbose};
    char *text;
    size_t size;
    FILE *out = open_memstream(&text, &size);

    report_text(out, &grade, &style);
    fclose(out);
    return text;
}

START_TEST(text_shows_verdicts_points_and_hints)
{
    char *text = text_report(false, false);

    ck_assert_ptr_nonnull(strstr(text, "PASS  works"));
    ck_assert_ptr_nonnull(strstr(text, "FAIL  breaks"));
    ck_assert_ptr_nonnull(strstr(text, "0/15"));
    ck_assert_ptr_nonnull(strstr(text, "hint: look at step 2"));
    ck_assert_ptr_null(strstr(text, "never shown"));
    ck_assert_ptr_nonnull(strstr(text, "TOTAL: 10/25"));
    ck_assert_ptr_null(strchr(text, '\033'));
    free(text);
}
END_TEST

START_TEST(summary_names_the_next_test_and_its_hint)
{
    struct test_verdict results[2];
    struct lab_result lab_result;
    struct grade_result grade = sample(results, &lab_result);
    struct text_style style = {0};
    char *text;
    size_t size;
    FILE *out = open_memstream(&text, &size);

    report_summary(out, &grade, &style);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(text, "00-unit"));
    ck_assert_ptr_nonnull(strstr(text, "[########------------]  10/25"));
    ck_assert_ptr_nonnull(strstr(text, "next: breaks"));
    ck_assert_ptr_nonnull(strstr(text, "hint: look at step 2"));
    ck_assert_ptr_nonnull(strstr(text, "0 of 1 labs complete"));
    free(text);
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

START_TEST(invalid_utf8_becomes_question_marks)
{
    char *copy = report_text_copy("ok \xff\xfe caf\xc3\xa9 \xe2\x82");
    ck_assert_str_eq(copy, "ok ?? café ??");
    free(copy);
    copy = report_text_copy("\xc0\xaf overlong");
    ck_assert_str_eq(copy, "?? overlong");
    free(copy);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, totals_add_up);
    tcase_add_test(tc, json_has_the_promised_fields);
    tcase_add_test(tc, text_shows_verdicts_points_and_hints);
    tcase_add_test(tc, summary_names_the_next_test_and_its_hint);
    tcase_add_test(tc, colour_only_when_asked);
    tcase_add_test(tc, invalid_utf8_becomes_question_marks);
    suite_add_tcase(s, tc);
    return s;
}
