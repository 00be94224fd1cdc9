/*
 * gradebook.h - views of a whole class's results: the gradebook CSV and
 * the HTML summary an instructor opens in a browser.
 *
 * Like every report, they read the result model (one struct grade_result
 * per student) and nothing else: the columns are the labs and tests the
 * results themselves describe, in the order they come.
 *
 * A submission that could not be used (no report at all, or a lab whose
 * files could not be staged or whose archive could not be unpacked) is
 * "could not be graded": its status says so, its cells stay empty rather
 * than show a 0 that looks real, and no statistic counts it. Code that
 * does not build was graded, and scores 0.
 */
#ifndef SHMGRADE_GRADEBOOK_H
#define SHMGRADE_GRADEBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report/result.h"

struct class_entry {
    const char *student;              /* as named by their folder or archive */
    const char *report_folder;        /* their reports, relative to the output folder */
    const struct grade_result *grade; /* NULL when the grader gave no report */
    const char *error;                /* why not, when GRADE is NULL */
    /* NULL, or why the attempts before the one GRADE comes from were not
     * kept (grader errors: the class grader grades such a submission again) */
    const char *retried;
};

struct class_results {
    const char *title; /* e.g. the submissions folder */
    const struct class_entry *entries;
    size_t n_entries;
};

/* Was all of ENTRY's code graded (whatever its score)? */
bool class_entry_graded(const struct class_entry *entry);

/*
 * One line on how grading went for ENTRY, for the status column:
 * "graded", "01-posix-shm: build failed", or "could not be graded: " and
 * why; then, if it took more than one attempt, "; graded again: " and
 * what the attempts before said. The caller frees it.
 */
char *class_entry_status(const struct class_entry *entry);

/*
 * One row per student: student, each lab's score, each test's score,
 * total, max_total, status. RFC 4180 quoting; a cell a spreadsheet would
 * run as a formula (OWASP: =, +, -, @, tab or carriage return first, or
 * one of the four after blanks) is prefixed with '; control characters
 * and bytes that are not UTF-8 are shown (report_text_copy), so names that
 * differ only there stay distinct. 0 on success.
 */
int write_gradebook_csv(FILE *out, const struct class_results *class);

/*
 * A self-contained HTML page (no script, no network: a Content-Security-
 * Policy forbids loading anything): per lab, the distribution of scores and
 * the tests most students fail, as inline SVG charts, over the code that
 * was graded; then every student. It is well-formed XML too, so tools can
 * check and query it. 0 on success.
 */
int write_class_summary_html(FILE *out, const struct class_results *class);

/* Write TEXT quoted for a CSV cell when it needs to be. */
void csv_write_cell(FILE *out, const char *text);

#endif
