/* formats.c - see formats.h. */
#define _GNU_SOURCE
#include "report/formats.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/markup.h"
#include "core/text.h"
#include "report/report.h"

/* --- pieces every format shares ------------------------------------------ */

static bool failed_to_run(const struct test_verdict *test)
{
    return test->status == STATUS_NOT_RUN;
}

/* What a student needs to see about TEST: what went wrong, and the hint.
 * Empty for a passed test that noted nothing. The caller frees it. */
static char *test_details(const struct test_verdict *test)
{
    const char *what = test->output != NULL && test->output[0] != '\0' ? test->output
                       : test->message != NULL                         ? test->message
                                                                       : "";
    const char *hint = test->hint;
    bool passed = test->status == STATUS_PASSED;
    size_t len = strlen(what);

    if (passed || failed_to_run(test) || hint == NULL)
        return xasprintf("%s", what);
    return xasprintf("%s%shint: %s", what, len && what[len - 1] != '\n' ? "\n" : "", hint);
}

/* What a student needs to see about LAB as a whole: why it was not graded,
 * or the compiler's complaints. The caller frees it. */
static char *lab_notes(const struct lab_result *lab)
{
    const char *log = lab->build_log ? lab->build_log : "";

    switch (lab->state) {
    case LAB_BAD_SUBMISSION:
        return xasprintf("%s: could not be graded: %s\n", lab->id,
                         lab->problem ? lab->problem : "the submission could not be staged");
    case LAB_BUILD_FAILED:
        return xasprintf("%s: the build failed, so no test ran. The compiler said:\n%s", lab->id,
                         log);
    case LAB_GRADED:
        if (strstr(log, "warning:") != NULL)
            return xasprintf("%s: built with warnings (most point at real bugs):\n%s", lab->id,
                             log);
        break;
    }
    return xasprintf("%s", "");
}

/* --- JUnit XML ------------------------------------------------------------ */

static void xml_attribute(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    markup_write(out, value, MARKUP_ATTRIBUTE);
    fputc('"', out);
}

struct tally {
    size_t tests, failures, errors;
    double seconds;
};

static struct tally tally_lab(const struct lab_result *lab)
{
    struct tally t = {.tests = lab->n_tests, .seconds = lab->seconds};

    for (size_t i = 0; i < lab->n_tests; i++) {
        if (failed_to_run(&lab->tests[i]))
            t.errors++;
        else if (lab->tests[i].status != STATUS_PASSED)
            t.failures++;
    }
    return t;
}

static void junit_property(FILE *out, const char *name, const char *value)
{
    fputs("      <property", out);
    xml_attribute(out, "name", name);
    xml_attribute(out, "value", value ? value : "");
    fputs("/>\n", out);
}

static void junit_testcase(FILE *out, const struct lab_result *lab, const struct test_verdict *test)
{
    char *name = xasprintf("%s: %s", test->id, test->title);
    char *details = test_details(test);
    char *message;
    const char *first = test->message ? test->message : "";
    int first_len = (int)strcspn(first, "\n");

    fputs("    <testcase", out);
    xml_attribute(out, "classname", lab->id);
    xml_attribute(out, "name", name);
    fprintf(out, " time=\"%.3f\"", test->seconds);
    if (test->status == STATUS_PASSED) {
        fputs("/>\n", out);
    } else {
        const char *element = failed_to_run(test) ? "error" : "failure";
        message = xasprintf("%d/%d points: %.*s", test->score, test->max_score, first_len, first);
        fprintf(out, ">\n      <%s", element);
        xml_attribute(out, "type", test_status_name(test->status));
        xml_attribute(out, "message", message);
        fputs(">", out);
        markup_write(out, details, 0);
        fprintf(out, "</%s>\n    </testcase>\n", element);
        free(message);
    }
    free(details);
    free(name);
}

static void junit_testsuite(FILE *out, const struct grade_result *grade,
                            const struct lab_result *lab)
{
    struct tally t = tally_lab(lab);
    char score[32], max_score[32];
    char *notes = lab_notes(lab);

    fputs("  <testsuite", out);
    xml_attribute(out, "name", lab->id);
    fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n",
            t.tests, t.failures, t.errors, t.seconds);
    snprintf(score, sizeof(score), "%d", lab->score);
    snprintf(max_score, sizeof(max_score), "%d", lab->max_score);
    fputs("    <properties>\n", out);
    junit_property(out, "title", lab->title);
    junit_property(out, "state", lab_state_name(lab->state));
    junit_property(out, "score", score);
    junit_property(out, "max_score", max_score);
    junit_property(out, "submission", grade->submission);
    fputs("    </properties>\n", out);
    for (size_t i = 0; i < lab->n_tests; i++)
        junit_testcase(out, lab, &lab->tests[i]);
    if (notes[0] != '\0') {
        fputs("    <system-out>", out);
        markup_write(out, notes, 0);
        fputs("</system-out>\n", out);
    }
    fputs("  </testsuite>\n", out);
    free(notes);
}

int write_junit_report(FILE *out, const struct grade_result *grade)
{
    struct tally all = {.seconds = grade->seconds};

    for (size_t i = 0; i < grade->n_labs; i++) {
        struct tally t = tally_lab(&grade->labs[i]);
        all.tests += t.tests;
        all.failures += t.failures;
        all.errors += t.errors;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<testsuites name=\"shmlab\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
            "time=\"%.3f\">\n",
            all.tests, all.failures, all.errors, all.seconds);
    for (size_t i = 0; i < grade->n_labs; i++)
        junit_testsuite(out, grade, &grade->labs[i]);
    fputs("</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}

/* --- TAP ------------------------------------------------------------------ */

/* A test line's description: one line, with '#' (which would start a
 * directive) and '\' escaped as TAP 13 asks. */
static void tap_description(FILE *out, const char *text)
{
    for (const unsigned char *s = (const unsigned char *)text; *s != '\0'; s++) {
        if (*s == '#' || *s == '\\')
            fputc('\\', out);
        fputc(*s < 0x20 || *s == 0x7f ? '?' : *s, out);
    }
}

/* A YAML double-quoted scalar: one line whatever TEXT holds. */
static void yaml_string(FILE *out, const char *key, const char *text)
{
    char *clean = report_text_copy(text);

    fprintf(out, "  %s: \"", key);
    for (const unsigned char *s = (const unsigned char *)clean; *s != '\0'; s++) {
        const char *escape = *s == '"'    ? "\\\""
                             : *s == '\\' ? "\\\\"
                             : *s == '\n' ? "\\n"
                             : *s == '\t' ? "\\t"
                                          : NULL;
        if (escape != NULL)
            fputs(escape, out);
        else if (*s < 0x20 || *s == 0x7f)
            fprintf(out, "\\x%02x", *s);
        else
            fputc(*s, out);
    }
    fputs("\"\n", out);
    free(clean);
}

/* Each line of TEXT as a TAP comment. */
static void tap_comment(FILE *out, const char *text)
{
    char *clean = report_text_copy(text);
    const char *line = clean;

    while (*line != '\0') {
        size_t len = strcspn(line, "\n");
        fputs("# ", out);
        for (size_t i = 0; i < len; i++)
            fputc((unsigned char)line[i] < 0x20 ? '?' : line[i], out);
        fputc('\n', out);
        line += len + (line[len] == '\n');
    }
    free(clean);
}

int write_tap_report(FILE *out, const struct grade_result *grade)
{
    size_t total = 0, number = 0;

    for (size_t i = 0; i < grade->n_labs; i++)
        total += grade->labs[i].n_tests;
    fprintf(out, "TAP version 13\n1..%zu\n", total);
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        char *notes = lab_notes(lab);

        tap_comment(out, notes);
        for (size_t j = 0; j < lab->n_tests; j++) {
            const struct test_verdict *test = &lab->tests[j];
            bool passed = test->status == STATUS_PASSED;

            fprintf(out, "%s %zu - ", passed ? "ok" : "not ok", ++number);
            tap_description(out, lab->id);
            fputc(' ', out);
            tap_description(out, test->id);
            fputs(": ", out);
            tap_description(out, test->title);
            fprintf(out, " (%d/%d)\n", test->score, test->max_score);
            if (passed)
                continue;
            fputs("  ---\n", out);
            yaml_string(out, "verdict", test_status_name(test->status));
            fprintf(out, "  score: %d\n  max_score: %d\n", test->score, test->max_score);
            yaml_string(out, "message", test->message ? test->message : "");
            if (test->output != NULL && test->output[0] != '\0')
                yaml_string(out, "output", test->output);
            if (test->hint != NULL && !failed_to_run(test))
                yaml_string(out, "hint", test->hint);
            fputs("  ...\n", out);
        }
        fprintf(out, "# %s: %d/%d\n", lab->id, lab->score, lab->max_score);
        free(notes);
    }
    fprintf(out, "# TOTAL: %d/%d\n", grade->score, grade->max_score);
    return ferror(out) ? -1 : 0;
}

/* --- Gradescope ------------------------------------------------------------ */

const char *gradescope_visibility(unsigned flags)
{
    if (flags & TEST_AFTER_DUE_DATE)
        return "after_due_date";
    if (flags & TEST_HIDDEN)
        return "hidden";
    return "visible";
}

/* "01-posix-shm" is lab 1; a lab without a number is numbered by place. */
static long lab_number(const struct lab_result *lab, size_t index)
{
    char *end;
    long n = strtol(lab->id, &end, 10);
    return end != lab->id && n > 0 ? n : (long)index + 1;
}

static json_t *gradescope_test(const struct grade_result *grade, size_t lab_index, size_t index)
{
    const struct lab_result *lab = &grade->labs[lab_index];
    const struct test_verdict *test = &lab->tests[index];
    char *name = grade->n_labs > 1 ? xasprintf("%s %s: %s", lab->id, test->id, test->title)
                                   : xasprintf("%s: %s", test->id, test->title);
    char *number = xasprintf("%ld.%zu", lab_number(lab, lab_index), index + 1);
    char *details = test_details(test);
    char *clean = report_text_copy(details);
    json_t *json = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s}", "name", name, "number", number,
                             "score", test->score, "max_score", test->max_score, "status",
                             test->status == STATUS_PASSED ? "passed" : "failed", "output", clean,
                             "visibility", gradescope_visibility(test->flags));
    free(clean);
    free(details);
    free(number);
    free(name);
    return json;
}

/* The text for the whole submission: each lab's score and notes. */
static char *gradescope_output(const struct grade_result *grade)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    if (out == NULL) {
        perror("shmgrade: open_memstream");
        exit(3);
    }
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        char *notes = lab_notes(lab);
        fprintf(out, "%s (%s): %d/%d\n", lab->id, lab->title, lab->score, lab->max_score);
        fputs(notes, out);
        free(notes);
    }
    fprintf(out, "TOTAL: %d/%d\n", grade->score, grade->max_score);
    fclose(out);
    return text;
}

json_t *gradescope_json(const struct grade_result *grade)
{
    json_t *tests = json_array();
    char *output = gradescope_output(grade);
    char *clean = report_text_copy(output);
    json_t *json;

    for (size_t i = 0; i < grade->n_labs; i++)
        for (size_t j = 0; j < grade->labs[i].n_tests; j++)
            json_array_append_new(tests, gradescope_test(grade, i, j));
    /* execution_time is whole seconds, rounded up. */
    int seconds = (int)grade->seconds;
    if (seconds < grade->seconds || seconds == 0)
        seconds++;
    json = json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:o}", "score", grade->score,
                     "execution_time", seconds, "output", clean, "output_format", "text",
                     "test_output_format", "text", "test_name_format", "text", "stdout_visibility",
                     "hidden", "tests", tests);
    free(clean);
    free(output);
    return json;
}

static int write_json(FILE *out, json_t *json, size_t flags)
{
    int rc;

    if (json == NULL)
        return -1;
    rc = json_dumpf(json, out, flags | JSON_ENSURE_ASCII);
    fputc('\n', out);
    json_decref(json);
    return rc == 0 && !ferror(out) ? 0 : -1;
}

int write_gradescope_report(FILE *out, const struct grade_result *grade)
{
    return write_json(out, gradescope_json(grade), JSON_INDENT(2));
}

/* --- Autolab --------------------------------------------------------------- */

json_t *autolab_json(const struct grade_result *grade)
{
    json_t *scores = json_object();
    json_t *scoreboard = json_array();

    json_array_append_new(scoreboard, json_integer(grade->score));
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        for (size_t j = 0; j < lab->n_tests; j++) {
            const struct test_verdict *test = &lab->tests[j];
            char *problem = grade->n_labs > 1 ? xasprintf("%s/%s", lab->id, test->id)
                                              : xasprintf("%s", test->id);
            json_object_set_new(scores, problem, json_integer(test->score));
            json_array_append_new(scoreboard, json_integer(test->score));
            free(problem);
        }
    }
    return json_pack("{s:o, s:o}", "scores", scores, "scoreboard", scoreboard);
}

/*
 * GRADE as a student may see it: hidden tests left out of each lab, which
 * is re-totalled. VIEW shares GRADE's strings; free it with
 * free_student_view(). Returns the hidden tests' points in *HIDDEN.
 */
static void student_view(const struct grade_result *grade, struct grade_result *view,
                         int *hidden_score, int *hidden_max)
{
    *view = *grade;
    *hidden_score = *hidden_max = 0;
    view->labs = calloc(grade->n_labs ? grade->n_labs : 1, sizeof(*view->labs));
    if (view->labs == NULL) {
        perror("shmgrade: calloc");
        exit(3);
    }
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        struct lab_result *shown = &view->labs[i];

        *shown = *lab;
        shown->tests = calloc(lab->n_tests ? lab->n_tests : 1, sizeof(*shown->tests));
        if (shown->tests == NULL) {
            perror("shmgrade: calloc");
            exit(3);
        }
        shown->n_tests = 0;
        for (size_t j = 0; j < lab->n_tests; j++) {
            if (lab->tests[j].flags & TEST_HIDDEN) {
                *hidden_score += lab->tests[j].score;
                *hidden_max += lab->tests[j].max_score;
            } else {
                shown->tests[shown->n_tests++] = lab->tests[j];
            }
        }
    }
    grade_result_total(view);
}

static void free_student_view(struct grade_result *view)
{
    for (size_t i = 0; i < view->n_labs; i++)
        free(view->labs[i].tests);
    free(view->labs);
}

int write_autolab_report(FILE *out, const struct grade_result *grade)
{
    struct grade_result view;
    struct text_style style = {.width = REPORT_WIDTH_WHOLE};
    int hidden_score, hidden_max;

    student_view(grade, &view, &hidden_score, &hidden_max);
    report_text(out, &view, &style);
    if (hidden_max > 0)
        fprintf(out, "Hidden tests: %d/%d points. With them: %d/%d\n", hidden_score, hidden_max,
                grade->score, grade->max_score);
    free_student_view(&view);
    /* Autolab reads the last line: the autoresult, on one line. */
    return write_json(out, autolab_json(grade), JSON_COMPACT);
}

/* --- reading a JSON report back ---------------------------------------------- */

/* Points and seconds beyond these are no report shmgrade wrote. */
#define MAX_POINTS 100000

static int parse_error(char *error, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static int parse_error(char *error, size_t size, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vsnprintf(error, size, format, args);
    va_end(args);
    return -1;
}

static const char *string_member(json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

static char *optional_copy(json_t *object, const char *key)
{
    const char *s = string_member(object, key);
    return s ? report_text_copy(s) : NULL;
}

/* The whole number KEY of OBJECT into *VALUE, if it is one in [0, MAX_POINTS]. */
static bool points_member(json_t *object, const char *key, int *value)
{
    json_t *member = json_object_get(object, key);
    json_int_t n = json_integer_value(member);

    if (!json_is_integer(member) || n < 0 || n > MAX_POINTS)
        return false;
    *value = (int)n;
    return true;
}

static bool parse_status(const char *name, enum test_status *status)
{
    for (enum test_status s = STATUS_PASSED; s <= STATUS_GRADER_ERROR; s++) {
        if (name != NULL && strcmp(name, test_status_name(s)) == 0) {
            *status = s;
            return true;
        }
    }
    return false;
}

static struct lab_result *lab_named(struct grade_result *grade, const char *id)
{
    for (size_t i = 0; id != NULL && i < grade->n_labs; i++)
        if (strcmp(grade->labs[i].id, id) == 0)
            return &grade->labs[i];
    return NULL;
}

static int parse_lab(json_t *json, struct grade_result *grade, char *error, size_t size)
{
    const char *id = string_member(json, "id"), *title = string_member(json, "title");
    struct lab_result *lab = &grade->labs[grade->n_labs];
    int lab_points, hidden_points;

    if (id == NULL || title == NULL)
        return parse_error(error, size, "a lab of the report has no id or title");
    if (lab_named(grade, id) != NULL)
        return parse_error(error, size, "the report has lab %s twice", id);
    if (!points_member(json, "lab_points", &lab_points) ||
        !points_member(json, "hidden_points", &hidden_points))
        return parse_error(error, size, "lab %s has no lab_points and hidden_points", id);
    lab_result_describe(lab, id, title, lab_points, hidden_points);
    /* Counted now, so grade_result_free() frees a half-read lab. */
    grade->n_labs++;
    if (!lab_state_from_name(string_member(json, "state"), &lab->state))
        return parse_error(error, size, "lab %s has no valid state", id);
    lab->problem = optional_copy(json, "problem");
    lab->build_log = optional_copy(json, "build_log");
    lab->seconds = json_number_value(json_object_get(json, "seconds"));
    return 0;
}

/* Room for one more verdict in LAB. */
static struct test_verdict *new_verdict(struct lab_result *lab)
{
    struct test_verdict *tests = realloc(lab->tests, (lab->n_tests + 1) * sizeof(*tests));

    if (tests == NULL) {
        perror("shmgrade: realloc");
        exit(3);
    }
    lab->tests = tests;
    return &tests[lab->n_tests];
}

static int parse_test(json_t *json, struct grade_result *grade, char *error, size_t size)
{
    const char *lab_id = string_member(json, "lab"), *id = string_member(json, "id");
    const char *title = string_member(json, "title");
    struct lab_result *lab = lab_named(grade, lab_id);
    struct test_verdict *verdict;
    enum test_status status;
    int score, max_score;
    unsigned flags = 0;

    if (lab == NULL || id == NULL || title == NULL)
        return parse_error(error, size,
                           "a test of the report names no lab of it, or has no id "
                           "or title");
    for (size_t i = 0; i < lab->n_tests; i++)
        if (strcmp(lab->tests[i].id, id) == 0)
            return parse_error(error, size, "the report has test %s of lab %s twice", id, lab_id);
    if (!parse_status(string_member(json, "verdict"), &status))
        return parse_error(error, size, "test %s has no valid verdict", id);
    if (!points_member(json, "score", &score) || !points_member(json, "max_score", &max_score) ||
        score > max_score)
        return parse_error(error, size, "test %s has no valid score and max_score", id);
    if (json_is_true(json_object_get(json, "hidden")))
        flags |= TEST_HIDDEN;
    if (json_is_true(json_object_get(json, "after_due_date")))
        flags |= TEST_AFTER_DUE_DATE;
    verdict = new_verdict(lab);
    test_verdict_describe(verdict, id, title, string_member(json, "hint"), flags, max_score);
    lab->n_tests++;
    verdict->status = status;
    verdict->score = score;
    verdict->message = report_text_copy(string_member(json, "message"));
    verdict->output = report_text_copy(string_member(json, "output"));
    verdict->seconds = json_number_value(json_object_get(json, "seconds"));
    return 0;
}

/* Do GRADE's totals, added up from its tests, agree with what JSON says? */
static int check_totals(json_t *json, const struct grade_result *grade, char *error, size_t size)
{
    json_t *labs = json_object_get(json, "labs");

    for (size_t i = 0; i < grade->n_labs; i++) {
        json_t *lab = json_array_get(labs, i);
        if (json_integer_value(json_object_get(lab, "score")) != grade->labs[i].score ||
            json_integer_value(json_object_get(lab, "max_score")) != grade->labs[i].max_score)
            return parse_error(error, size, "lab %s's score does not add up from its tests",
                               grade->labs[i].id);
    }
    if (json_integer_value(json_object_get(json, "score")) != grade->score ||
        json_integer_value(json_object_get(json, "max_score")) != grade->max_score)
        return parse_error(error, size, "the report's score does not add up from its labs");
    return 0;
}

int grade_result_from_json(json_t *json, struct grade_result *grade, char *error, size_t size)
{
    json_t *labs = json_object_get(json, "labs"), *tests = json_object_get(json, "tests");
    json_t *item;
    size_t index;

    memset(grade, 0, sizeof(*grade));
    if (!json_is_array(labs) || !json_is_array(tests))
        return parse_error(error, size, "not a shmgrade JSON report (no labs and tests)");
    grade->submission = string_member(json, "submission");
    grade->isolation = string_member(json, "isolation");
    grade->seconds = json_number_value(json_object_get(json, "seconds"));
    grade->labs = calloc(json_array_size(labs) ? json_array_size(labs) : 1, sizeof(*grade->labs));
    if (grade->labs == NULL)
        return parse_error(error, size, "out of memory");
    json_array_foreach(labs, index, item)
    {
        if (parse_lab(item, grade, error, size) < 0)
            return -1;
    }
    json_array_foreach(tests, index, item)
    {
        if (parse_test(item, grade, error, size) < 0)
            return -1;
    }
    grade_result_total(grade);
    return check_totals(json, grade, error, size);
}
