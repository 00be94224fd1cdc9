/* report.c - see report.h. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"

bool want_colour(FILE *out)
{
    const char *no_colour = getenv("NO_COLOR");
    /* https://no-color.org: any non-empty value turns colour off. */
    if (no_colour != NULL && no_colour[0] != '\0')
        return false;
    return isatty(fileno(out));
}

/* --- text ----------------------------------------------------------------- */

struct palette {
    const char *pass, *fail, *dim, *bold, *reset;
};

static struct palette palette_for(const struct text_style *style)
{
    if (style->colour)
        return (struct palette){"\033[32m", "\033[31m", "\033[2m", "\033[1m", "\033[0m"};
    return (struct palette){"", "", "", "", ""};
}

/* Print TEXT with every line indented by INDENT. */
static void print_indented(FILE *out, const char *indent, const char *text)
{
    const char *line = text;

    while (*line != '\0') {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        fprintf(out, "%s%.*s\n", indent, len, line);
        line += len + (nl ? 1 : 0);
    }
}

static void report_test(FILE *out, const struct lab_result *lab, const struct test_verdict *test,
                        const struct text_style *style, const struct palette *c)
{
    bool passed = test->status == STATUS_PASSED;

    fprintf(out, "  %s%-4s%s  %-24s %s  %s%d/%d%s\n", passed ? c->pass : c->fail,
            passed ? "PASS" : "FAIL", c->reset, test->id, test->title, c->bold, test->score,
            test->max_score, c->reset);
    /* Tests of a lab that did not build or stage have nothing to add to
     * what the lab's own lines already said; one not counted because a
     * test it builds on failed says which. */
    if ((passed && !style->verbose) || (test->status == STATUS_NOT_RUN && lab->state != LAB_GRADED))
        return;
    if (test->status == STATUS_NOT_RUN) {
        print_indented(out, "        ", test->message);
        return;
    }
    /* The output holds every failed expectation with the transcripts
     * behind it; the message is its first line, so it is not repeated. */
    if (test->output[0] != '\0')
        print_indented(out, "        ", test->output);
    else if (!passed)
        print_indented(out, "        ", test->message);
    if (!passed && test->hint != NULL)
        fprintf(out, "        %shint:%s %s\n", c->bold, c->reset, test->hint);
}

static void report_build(FILE *out, const struct lab_result *lab, const struct palette *c)
{
    const char *log = lab->build_log ? lab->build_log : "";
    bool warnings = strstr(log, "warning:") != NULL;

    if (lab->state == LAB_BUILD_FAILED) {
        fprintf(out, "  %sbuild failed%s: every test of this lab scores 0. The compiler said:\n",
                c->fail, c->reset);
        print_indented(out, "    ", log);
    } else if (warnings) {
        fprintf(out, "  build: ok, with warnings (worth fixing: most point at real bugs):\n");
        print_indented(out, "    ", log);
    }
}

/*
 * "LABEL: SCORE/MAX", and when not every test of the labs ran (ALL points
 * in all, HIDDEN of the rest from hidden tests), what the rest is: a
 * student grading locally must not take 95/95 for the whole story.
 */
static void report_score(FILE *out, const char *label, int score, int max, int all, int hidden,
                         const struct palette *c)
{
    fprintf(out, "%s%s: %d/%d%s", c->bold, label, score, max, c->reset);
    if (all <= max)
        return;
    if (all - max == hidden)
        fprintf(out,
                " visible \u2014 %d more point%s come%s from hidden tests run at final "
                "grading (%d in all)",
                hidden, hidden == 1 ? "" : "s", hidden == 1 ? "s" : "", all);
    else
        fprintf(out,
                " for the tests run \u2014 the other %d point%s come%s from tests not run "
                "here (%d in all)",
                all - max, all - max == 1 ? "" : "s", all - max == 1 ? "s" : "", all);
}

void report_text(FILE *out, const struct grade_result *grade, const struct text_style *style)
{
    struct palette c = palette_for(style);

    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        fprintf(out, "%s== %s: %s ==%s\n", c.bold, lab->id, lab->title, c.reset);
        if (lab->state == LAB_BAD_SUBMISSION)
            fprintf(out, "  %scould not be graded%s: %s\n", c.fail, c.reset, lab->problem);
        report_build(out, lab, &c);
        for (size_t j = 0; j < lab->n_tests; j++)
            report_test(out, lab, &lab->tests[j], style, &c);
        fprintf(out, "  ");
        report_score(out, "score", lab->score, lab->max_score, lab->lab_points,
                     lab_result_hidden_points_not_run(lab), &c);
        fprintf(out, "  (%.1f s)\n\n", lab->seconds);
    }
    report_score(out, "TOTAL", grade->score, grade->max_score, grade_result_lab_points(grade),
                 grade_result_hidden_points_not_run(grade), &c);
    if (grade->isolation != NULL)
        fprintf(out, "  %s(isolation: %s)%s", c.dim, grade->isolation, c.reset);
    fprintf(out, "\n");
}

/* --- progress ----------------------------------------------------------- */

static void print_bar(FILE *out, int score, int max, const struct palette *c)
{
    enum { WIDTH = 20 };
    int filled = max > 0 ? score * WIDTH / max : 0;

    fprintf(out, "[%s", c->pass);
    for (int i = 0; i < WIDTH; i++)
        fputc(i < filled ? '#' : '-', out);
    fprintf(out, "%s]", c->reset);
}

/* The first test of LAB that did not pass, or NULL. */
static const struct test_verdict *next_to_fix(const struct lab_result *lab)
{
    for (size_t i = 0; i < lab->n_tests; i++)
        if (lab->tests[i].status != STATUS_PASSED)
            return &lab->tests[i];
    return NULL;
}

void report_summary(FILE *out, const struct grade_result *grade, const struct text_style *style)
{
    struct palette c = palette_for(style);
    size_t complete = 0;

    fprintf(out, "%sshmlab progress%s\n", c.bold, c.reset);
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        const struct test_verdict *next = next_to_fix(lab);

        fprintf(out, "  %-24s ", lab->id);
        print_bar(out, lab->score, lab->max_score, &c);
        fprintf(out, " %3d/%-3d ", lab->score, lab->max_score);
        if (next == NULL) {
            fprintf(out, "%sdone%s\n", c.pass, c.reset);
            complete++;
        } else if (lab->state == LAB_BUILD_FAILED) {
            fprintf(out, "%sdoes not build%s: run make in labs/%s\n", c.fail, c.reset, lab->id);
        } else if (lab->state == LAB_BAD_SUBMISSION) {
            fprintf(out, "%scould not be graded%s: %s\n", c.fail, c.reset, lab->problem);
        } else {
            fprintf(out, "next: %s%s%s - %s\n", c.bold, next->id, c.reset, next->title);
            if (next->hint != NULL)
                fprintf(out, "  %-24s %shint: %s%s\n", "", c.dim, next->hint, c.reset);
        }
    }
    fprintf(out, "%zu of %zu labs complete. Details: make grade LAB=NN\n", complete, grade->n_labs);
}

/* --- JSON ----------------------------------------------------------------- */

static json_t *test_json(const struct lab_result *lab, size_t index)
{
    const struct test_verdict *test = &lab->tests[index];
    char *number = xasprintf("%.2s.%zu", lab->id, index + 1);
    char *name = xasprintf("%s: %s", lab->id, test->title);
    json_t *json = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:i, s:i, s:s, s:s, s:s, s:s, s:f, s:b, s:b}", "lab",
        lab->id, "id", test->id, "number", number, "name", name, "title", test->title, "hint",
        test->hint, "score", test->score, "max_score", test->max_score, "status",
        test->status == STATUS_PASSED ? "passed" : "failed", "verdict",
        test_status_name(test->status), "message", test->message, "output", test->output, "seconds",
        test->seconds, "hidden", (test->flags & TEST_HIDDEN) != 0, "after_due_date",
        (test->flags & TEST_AFTER_DUE_DATE) != 0);

    free(name);
    free(number);
    return json;
}

static json_t *lab_json(const struct lab_result *lab)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s?, s:s?, s:f}", "id", lab->id, "title",
                     lab->title, "state", lab_state_name(lab->state), "score", lab->score,
                     "max_score", lab->max_score, "lab_points", lab->lab_points, "hidden_points",
                     lab->hidden_points, "problem", lab->problem, "build_log", lab->build_log,
                     "seconds", lab->seconds);
}

json_t *report_json(const struct grade_result *grade)
{
    json_t *labs = json_array();
    json_t *tests = json_array();

    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        json_array_append_new(labs, lab_json(lab));
        for (size_t j = 0; j < lab->n_tests; j++)
            json_array_append_new(tests, test_json(lab, j));
    }
    return json_pack("{s:s?, s:s?, s:i, s:i, s:f, s:o, s:o}", "submission", grade->submission,
                     "isolation", grade->isolation, "score", grade->score, "max_score",
                     grade->max_score, "seconds", grade->seconds, "labs", labs, "tests", tests);
}

int write_json_report(FILE *out, const struct grade_result *grade)
{
    json_t *json = report_json(grade);
    int rc;

    if (json == NULL)
        return -1;
    rc = json_dumpf(json, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    fputc('\n', out);
    json_decref(json);
    return rc;
}
