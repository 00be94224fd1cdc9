/*
 * verdict.h - the result model filled in from a lab's own tables.
 *
 * The result model (report/result.h) knows nothing of struct lab: each
 * verdict and lab result carries copies of what describes it. These two
 * functions are where that description is taken from the lab, for every
 * test the grader runs or cannot run.
 */
#ifndef SHMGRADE_VERDICT_H
#define SHMGRADE_VERDICT_H

#include "harness/lab.h"
#include "report/result.h"

/* What every lab is worth in every report, its hidden tests included. */
#define LAB_POINTS 100

/* VERDICT cleared and describing TEST (id, title, hint, flags, points);
 * its status is STATUS_NOT_RUN until the test runs. */
void verdict_init(struct test_verdict *verdict, const struct lab_test *test);

/*
 * RESULT cleared and describing LAB: its id, title and LAB_POINTS, of which
 * the hidden tests carry what LAB's visible tests do not (so a student's
 * grader, which has no hidden test linked in, still knows their share).
 */
void lab_result_init(struct lab_result *result, const struct lab *lab);

/* The points of LAB's tests that are not hidden. */
int lab_visible_points(const struct lab *lab);

#endif
