/*
 * grade.h - grade one lab of one submission: stage, build, run, score.
 */
#ifndef SHMGRADE_GRADE_H
#define SHMGRADE_GRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/lab.h"
#include "report/result.h"

struct test_progress;

/*
 * Who hears about a lab's grading as it goes, for a person watching (every
 * member may be NULL). Verdicts come in table order, each as soon as it
 * and every one before it are in: the same order on every run, whatever
 * order the tests, which run side by side, end in.
 */
struct grade_observer {
    /* RESULT is built (or could not be): its state and build log are in. */
    void (*built)(const struct lab_result *result, void *arg);
    /* RESULT->tests[INDEX] is final. */
    void (*verdict)(const struct lab_result *result, size_t index, void *arg);
    /* About once a second while tests run: the N running ones. */
    void (*tick)(const struct test_progress *running, size_t n, void *arg);
    void *arg;
};

struct grade_config {
    const char *root;       /* the shmlab checkout: labs/ lives here */
    const char *submission; /* folder with the student's files */
    const char *work_dir;   /* an empty folder the grader may fill */
    const char *only_test;  /* run just this test id (or ids, comma-separated), or NULL */
    bool include_hidden;    /* run tests marked TEST_HIDDEN */
    const char *problem;    /* why the submission cannot be used at all, or NULL */
    const struct grade_observer *observer; /* or NULL */
};

/* Every lab linked into the grader, in folder order. */
const struct lab *const *registered_labs(size_t *n);

/* The lab whose id is ID or starts with ID ("01"); NULL if none or many. */
const struct lab *find_lab(const char *id);

/* LAB's test ID, or NULL. */
const struct lab_test *lab_find_test(const struct lab *lab, const char *id);

/*
 * Where the submission keeps FILE of LAB: SUBMISSION/LAB/FILE,
 * SUBMISSION/labs/LAB/FILE, or (if FLAT_OK) SUBMISSION/FILE. Fills PATH
 * and returns true if one of them exists.
 */
bool locate_student_file(const char *submission, const struct lab *lab, const char *file,
                         bool flat_ok, char *path, size_t size);

/* Grade LAB; never fails: problems become the lab's state and message. */
void grade_lab(const struct lab *lab, const struct grade_config *config, bool flat_ok,
               struct lab_result *result);

#endif
