/* result.c - see result.h. */
#include "report/result.h"

#include <stdlib.h>
#include <string.h>

#include "core/text.h"

const char *test_status_name(enum test_status status)
{
    switch (status) {
    case STATUS_PASSED:
        return "passed";
    case STATUS_FAILED:
        return "failed";
    case STATUS_TIMED_OUT:
        return "timed out";
    case STATUS_NOT_RUN:
        return "not run";
    case STATUS_GRADER_ERROR:
        return "grader error";
    }
    return "unknown";
}

/* The one table of lab state names: every format writes these, and the
 * JSON reader reads them back. */
static const char *const LAB_STATE_NAMES[] = {
    [LAB_GRADED] = "graded",
    [LAB_BUILD_FAILED] = "build failed",
    [LAB_BAD_SUBMISSION] = "bad submission",
};
#define N_LAB_STATES (sizeof(LAB_STATE_NAMES) / sizeof(LAB_STATE_NAMES[0]))

const char *lab_state_name(enum lab_state state)
{
    return (size_t)state < N_LAB_STATES ? LAB_STATE_NAMES[state] : "unknown";
}

bool lab_state_from_name(const char *name, enum lab_state *state)
{
    for (size_t s = 0; name != NULL && s < N_LAB_STATES; s++) {
        if (strcmp(name, LAB_STATE_NAMES[s]) == 0) {
            *state = (enum lab_state)s;
            return true;
        }
    }
    return false;
}

bool lab_result_graded(const struct lab_result *lab)
{
    return lab->state != LAB_BAD_SUBMISSION;
}

void test_verdict_describe(struct test_verdict *verdict, const char *id, const char *title,
                           const char *hint, unsigned flags, int points)
{
    memset(verdict, 0, sizeof(*verdict));
    verdict->id = report_text_copy(id);
    verdict->title = report_text_copy(title);
    verdict->hint = hint != NULL ? report_text_copy(hint) : NULL;
    verdict->flags = flags;
    verdict->status = STATUS_NOT_RUN;
    verdict->max_score = points;
}

void lab_result_describe(struct lab_result *lab, const char *id, const char *title, int lab_points,
                         int hidden_points)
{
    memset(lab, 0, sizeof(*lab));
    lab->id = report_text_copy(id);
    lab->title = report_text_copy(title);
    lab->lab_points = lab_points;
    lab->hidden_points = hidden_points;
}

int lab_result_hidden_points_not_run(const struct lab_result *lab)
{
    int run = 0;

    for (size_t i = 0; i < lab->n_tests; i++)
        if (lab->tests[i].flags & TEST_HIDDEN)
            run += lab->tests[i].max_score;
    return lab->hidden_points > run ? lab->hidden_points - run : 0;
}

/* POINTS of each lab of GRADE, added up. */
static int sum_over_labs(const struct grade_result *grade,
                         int (*points)(const struct lab_result *lab))
{
    int sum = 0;

    for (size_t i = 0; i < grade->n_labs; i++)
        sum += points(&grade->labs[i]);
    return sum;
}

int grade_result_hidden_points_not_run(const struct grade_result *grade)
{
    return sum_over_labs(grade, lab_result_hidden_points_not_run);
}

static int lab_points(const struct lab_result *lab)
{
    return lab->lab_points;
}

int grade_result_lab_points(const struct grade_result *grade)
{
    return sum_over_labs(grade, lab_points);
}

void lab_result_total(struct lab_result *lab)
{
    lab->score = 0;
    lab->max_score = 0;
    for (size_t i = 0; i < lab->n_tests; i++) {
        lab->score += lab->tests[i].score;
        lab->max_score += lab->tests[i].max_score;
    }
}

void grade_result_total(struct grade_result *grade)
{
    grade->score = 0;
    grade->max_score = 0;
    for (size_t i = 0; i < grade->n_labs; i++) {
        lab_result_total(&grade->labs[i]);
        grade->score += grade->labs[i].score;
        grade->max_score += grade->labs[i].max_score;
    }
}

bool grade_result_grader_failed(const struct grade_result *grade)
{
    for (size_t i = 0; i < grade->n_labs; i++)
        for (size_t j = 0; j < grade->labs[i].n_tests; j++)
            if (grade->labs[i].tests[j].status == STATUS_GRADER_ERROR)
                return true;
    return false;
}

bool grade_result_perfect(const struct grade_result *grade)
{
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        if (lab->state != LAB_GRADED)
            return false;
        for (size_t j = 0; j < lab->n_tests; j++)
            if (lab->tests[j].status != STATUS_PASSED)
                return false;
    }
    return true;
}

/* Free each of the N strings in OWNED. */
static void free_strings(char *const *owned, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
}

void test_verdict_free(struct test_verdict *verdict)
{
    char *const owned[] = {verdict->id,      verdict->title,  verdict->hint,
                           verdict->message, verdict->output, verdict->replay};

    free_strings(owned, sizeof(owned) / sizeof(owned[0]));
    memset(verdict, 0, sizeof(*verdict));
}

void lab_result_free(struct lab_result *lab)
{
    char *const owned[] = {lab->id, lab->title, lab->problem, lab->build_log};

    for (size_t j = 0; j < lab->n_tests; j++)
        test_verdict_free(&lab->tests[j]);
    free(lab->tests);
    free_strings(owned, sizeof(owned) / sizeof(owned[0]));
    memset(lab, 0, sizeof(*lab));
}

void grade_result_free(struct grade_result *grade)
{
    for (size_t i = 0; i < grade->n_labs; i++)
        lab_result_free(&grade->labs[i]);
    free(grade->labs);
    grade->labs = NULL;
    grade->n_labs = 0;
}

char *report_text_copy(const char *text)
{
    return text_visible_lines(text);
}
