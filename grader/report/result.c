/* result.c - see result.h. */
#include "report/result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void grade_result_free(struct grade_result *grade)
{
    for (size_t i = 0; i < grade->n_labs; i++) {
        struct lab_result *lab = &grade->labs[i];
        for (size_t j = 0; j < lab->n_tests; j++) {
            free(lab->tests[j].message);
            free(lab->tests[j].output);
        }
        free(lab->tests);
        free(lab->problem);
        free(lab->build_log);
    }
    free(grade->labs);
    grade->labs = NULL;
    grade->n_labs = 0;
}

/* Length of the valid UTF-8 sequence at S, or 0 if it is not one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
    size_t len;
    unsigned min;
    unsigned code;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, min = 0x80, code = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, min = 0x800, code = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, min = 0x10000, code = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past Unicode are not text. */
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        return 0;
    return len;
}

char *report_text_copy(const char *text)
{
    char *copy = strdup(text ? text : "");
    unsigned char *s = (unsigned char *)copy;

    if (copy == NULL) {
        perror("strdup");
        exit(3);
    }
    while (*s != '\0') {
        size_t len = utf8_sequence_length(s);
        if (len == 0) {
            *s++ = '?';
            continue;
        }
        s += len;
    }
    return copy;
}
