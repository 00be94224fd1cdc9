/*
 * result.h - the one result model every report is a view of.
 *
 * grade → labs → tests; text, JSON and the platform formats read this and
 * nothing else, so they can never disagree about a score.
 */
#ifndef SHMGRADE_RESULT_H
#define SHMGRADE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/harness.h"

enum test_status {
    STATUS_PASSED,
    STATUS_FAILED,    /* a check failed */
    STATUS_TIMED_OUT, /* the whole test ran past its limit */
    STATUS_NOT_RUN,   /* the lab did not build, or files were missing */
    /* The grader could not do its part (a limit it could not apply, a
     * namespace it could not make): no verdict on the student's code,
     * and the grading ends with the grader's own exit status, 3. */
    STATUS_GRADER_ERROR,
};

struct test_verdict {
    const struct lab_test *test;
    enum test_status status;
    int score, max_score;
    char *message; /* the first failed expectation, one paragraph */
    char *output;  /* everything the test noted: failures, transcripts */
    double seconds;
};

enum lab_state {
    LAB_GRADED,
    LAB_BUILD_FAILED,
    LAB_BAD_SUBMISSION, /* files missing or unusable */
};

struct lab_result {
    const struct lab *lab;
    enum lab_state state;
    char *problem;   /* why the lab was not graded, for LAB_BAD_SUBMISSION */
    char *build_log; /* the compiler's output, warnings included */
    struct test_verdict *tests;
    size_t n_tests;
    int score, max_score;
    double seconds;
};

struct grade_result {
    const char *submission; /* as the user named it */
    const char *isolation;  /* which isolation was in force */
    struct lab_result *labs;
    size_t n_labs;
    int score, max_score;
    double seconds;
};

const char *test_status_name(enum test_status status);

/* Add up scores of a lab and of the whole grade. */
void lab_result_total(struct lab_result *lab);
void grade_result_total(struct grade_result *grade);

/* Did the grader fail on some test (STATUS_GRADER_ERROR)? */
bool grade_result_grader_failed(const struct grade_result *grade);

/* Full marks on everything graded? */
bool grade_result_perfect(const struct grade_result *grade);

void grade_result_free(struct grade_result *grade);

/*
 * A copy of TEXT fit for every report: invalid UTF-8 (a student's program
 * may print any bytes) becomes '?', so JSON writers never refuse it.
 * Exits the grader if memory runs out.
 */
char *report_text_copy(const char *text);

#endif
