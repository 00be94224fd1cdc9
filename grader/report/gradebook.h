/*
 * gradebook.h - views of a whole class's results: the gradebook CSV and
 * the HTML summary an instructor opens in a browser.
 *
 * Like every report, they read the result model (one struct grade_result
 * per student) and nothing else.
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
    const struct grade_result *grade; /* NULL when the submission could not be graded */
    const char *error;                /* why not, when GRADE is NULL */
};

struct class_results {
    const char *title;             /* e.g. the submissions folder */
    const struct lab *const *labs; /* the columns, with hidden tests if they were run */
    size_t n_labs;
    bool include_hidden; /* columns for tests marked hidden */
    const struct class_entry *entries;
    size_t n_entries;
};

/*
 * One row per student: student, each lab's score, each test's score,
 * total, max_total, status. RFC 4180 quoting; a cell a spreadsheet would
 * run as a formula (=, +, -, @ first) is prefixed with '. 0 on success.
 */
int write_gradebook_csv(FILE *out, const struct class_results *class);

/*
 * A self-contained HTML page (no script, no network: a Content-Security-
 * Policy forbids loading anything): per lab, the distribution of scores and
 * the tests most students fail, as inline SVG charts; then every student.
 * It is well-formed XML too, so tools can check and query it. 0 on success.
 */
int write_class_summary_html(FILE *out, const struct class_results *class);

/* Write TEXT quoted for a CSV cell when it needs to be. */
void csv_write_cell(FILE *out, const char *text);

#endif
