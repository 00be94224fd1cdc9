/*
 * report.h - views of a struct grade_result.
 */
#ifndef SHMGRADE_REPORT_H
#define SHMGRADE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "report/result.h"

/* The longest line of a text report, when the terminal has room. */
#define REPORT_WIDTH 100
/* The width of a report read on a page that wraps lines itself (Autolab's
 * feedback): no line is cut. */
#define REPORT_WIDTH_WHOLE 32767

struct text_style {
    bool colour;  /* ANSI colours: only on a terminal, never with NO_COLOR */
    bool verbose; /* show the output of passed tests too, and lines whole */
    int width;    /* columns a line may take; 0: REPORT_WIDTH */
    /*
     * For a student grading their own working copy (NULL otherwise): the
     * command that shows TEST's next hint, and the one that replays it
     * step by step; each allocated, or NULL when there is none. With
     * hint_command, the report says how to see a hint instead of showing
     * it.
     */
    char *(*hint_command)(const struct lab_result *lab, const struct test_verdict *test, void *arg);
    char *(*replay_command)(const struct lab_result *lab, const struct test_verdict *test,
                            void *arg);
    void *arg;
};

/* Should a report written to OUT use colour? (isatty and NO_COLOR) */
bool want_colour(FILE *out);

/*
 * The text report: each lab's header and build, a line per test (a
 * failing one followed by what went wrong), the lab's score; then a short
 * summary and the total. report_text() is the whole of it; the parts are
 * for a report written as the grading goes.
 */
void report_text(FILE *out, const struct grade_result *grade, const struct text_style *style);
void report_lab_start(FILE *out, const struct lab_result *lab, const struct text_style *style);
void report_test(FILE *out, const struct lab_result *lab, size_t index,
                 const struct text_style *style);
void report_lab_end(FILE *out, const struct lab_result *lab, const struct text_style *style);
void report_end(FILE *out, const struct grade_result *grade, const struct text_style *style);

/* TEXT, each line indented by INDENT and fitted to STYLE's width (a
 * sentence wrapped, a program's line "| ..." cut). */
void report_paragraph(FILE *out, const char *indent, const char *text,
                      const struct text_style *style);

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
