/*
 * report.h - views of a struct grade_result.
 */
#ifndef SHMGRADE_REPORT_H
#define SHMGRADE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "report/result.h"

struct text_style {
    bool colour;  /* ANSI colours: only on a terminal, never with NO_COLOR */
    bool verbose; /* show the output of passed tests too */
};

/* Should a report written to OUT use colour? (isatty and NO_COLOR) */
bool want_colour(FILE *out);

void report_text(FILE *out, const struct grade_result *grade, const struct text_style *style);

/*
 * The progress view for self-learners: one line per lab with a bar and
 * its score, then the next test to make pass and its hint.
 */
void report_summary(FILE *out, const struct grade_result *grade, const struct text_style *style);

/* The grade as a JSON object (caller owns the reference). */
json_t *report_json(const struct grade_result *grade);

/* Write report_json() to OUT, indented; 0 on success. */
int write_json_report(FILE *out, const struct grade_result *grade);

#endif
