/*
 * formats.h - the platform views of a struct grade_result.
 *
 * Like report.h's text and JSON, every format here reads the one result
 * model and nothing else: a score can never differ between the gradebook
 * CSV, Gradescope, Autolab, JUnit XML and TAP.
 */
#ifndef SHMGRADE_FORMATS_H
#define SHMGRADE_FORMATS_H

#include <stdio.h>

#include <jansson.h>

#include "report/result.h"

/*
 * JUnit XML as Jenkins, GitHub and GitLab read it: <testsuites>, one
 * <testsuite> per lab, one <testcase> per test. A failed or timed-out test
 * has a <failure>, a test that could not run (the lab did not build) an
 * <error>; points are properties of each suite. 0 on success.
 */
int write_junit_report(FILE *out, const struct grade_result *grade);

/* TAP version 13: one line per test, a YAML block for each failure. */
int write_tap_report(FILE *out, const struct grade_result *grade);

/*
 * Gradescope's results.json (gradescope-autograders.readthedocs.io, "specs"):
 * score, execution_time, output, tests[] with name, number, score, max_score,
 * status, output, visibility. Caller owns the reference.
 */
json_t *gradescope_json(const struct grade_result *grade);
int write_gradescope_report(FILE *out, const struct grade_result *grade);

/* The Gradescope visibility of a test with FLAGS (enum test_flag):
 * "visible", "hidden" or "after_due_date". */
const char *gradescope_visibility(unsigned flags);

/*
 * Autolab's autoresult, {"scores": {PROBLEM: points}, "scoreboard": [total,
 * points of each test]}. A problem is named by its test id, or LAB/ID when
 * more than one lab is graded. Caller owns the reference.
 */
json_t *autolab_json(const struct grade_result *grade);

/*
 * What an Autolab run prints: the text report as a student may see it
 * (hidden tests only as a sum of points), then the autoresult as the last
 * line, as Autolab requires.
 */
int write_autolab_report(FILE *out, const struct grade_result *grade);

/*
 * Read a JSON report (report_json()) back into GRADE: the whole model, from
 * the JSON alone (no lab need be linked into the program). The totals must
 * add up. GRADE's submission and isolation point into JSON, which must
 * outlive them; free GRADE with grade_result_free() whatever the outcome.
 * 0, or -1 with the reason in ERROR.
 */
int grade_result_from_json(json_t *json, struct grade_result *grade, char *error, size_t size);

#endif
