/*
 * result.h - the one result model every report is a view of.
 *
 * grade → labs → tests; text, JSON, the platform formats and the class
 * gradebook read this and nothing else, so they can never disagree about a
 * score. The model describes itself: each verdict carries its test's id,
 * title, points, hint and flags, and each lab result its lab's id and
 * title, so a report read back from JSON is the whole model, with no lab
 * compiled into the program that reads it.
 *
 * Score model: every lab is worth LAB_POINTS (100) in all, hidden tests
 * included. A lab result's max_score is the points of the tests that ran;
 * lab_points says what the whole lab is worth, so a report can say what
 * was not run (hidden tests, in a student's local grading).
 */
#ifndef SHMGRADE_RESULT_H
#define SHMGRADE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/test_flags.h"

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

/* One test's verdict. Every string is the verdict's own (freed with it). */
struct test_verdict {
    /* The test, as its lab describes it. */
    char *id;       /* stable slug: "round-trip" */
    char *title;    /* the promise, as the handout words it */
    char *hint;     /* what to look at when it fails; may be NULL */
    unsigned flags; /* enum test_flag */
    /* What happened. */
    enum test_status status;
    int score, max_score; /* max_score is the test's points */
    char *message;        /* the first failed expectation, one paragraph */
    char *output;         /* everything the test noted: failures, transcripts */
    double seconds;
    /* The test's steps as lines of shell (labs/common/replay.sh's
     * functions), for a replay script; NULL if it did not run, or did
     * more than a script can hold. Not part of any report format. */
    char *replay;
};

enum lab_state {
    LAB_GRADED,
    LAB_BUILD_FAILED,   /* graded: code that does not build scores 0 */
    LAB_BAD_SUBMISSION, /* not graded: files missing or unusable, an archive unreadable */
};

struct lab_result {
    char *id;    /* the lab's folder: "01-posix-shm" */
    char *title; /* the lab's title */
    enum lab_state state;
    char *problem;   /* why the lab was not graded, for LAB_BAD_SUBMISSION */
    char *build_log; /* the compiler's output, warnings included */
    struct test_verdict *tests;
    size_t n_tests;
    int score, max_score; /* over the tests that ran (lab_result_total) */
    int lab_points;       /* what the whole lab is worth, tests not run included */
    int hidden_points;    /* the part of lab_points that hidden tests carry */
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

/* The name every report gives STATE ("graded", "build failed", "bad
 * submission"), and back: false if NAME is none of them. */
const char *lab_state_name(enum lab_state state);
bool lab_state_from_name(const char *name, enum lab_state *state);

/* Was LAB's code graded? A lab that does not build was (it scores 0); a
 * submission that could not be staged was not, and has no score. */
bool lab_result_graded(const struct lab_result *lab);

/*
 * Fill in what VERDICT says about its test (copies of the strings; HINT
 * may be NULL), after clearing VERDICT: it has not run yet.
 */
void test_verdict_describe(struct test_verdict *verdict, const char *id, const char *title,
                           const char *hint, unsigned flags, int points);

/* The same for a lab result: its lab's id and title, and its points. */
void lab_result_describe(struct lab_result *lab, const char *id, const char *title, int lab_points,
                         int hidden_points);

/* Points of LAB's hidden tests that did not run (a student's local grading),
 * and the same over every lab of GRADE. */
int lab_result_hidden_points_not_run(const struct lab_result *lab);
int grade_result_hidden_points_not_run(const struct grade_result *grade);

/* What GRADE's labs are worth in all, tests not run included. */
int grade_result_lab_points(const struct grade_result *grade);

/* Add up scores of a lab and of the whole grade. */
void lab_result_total(struct lab_result *lab);
void grade_result_total(struct grade_result *grade);

/* Did the grader fail on some test (STATUS_GRADER_ERROR)? */
bool grade_result_grader_failed(const struct grade_result *grade);

/* Full marks on everything graded? */
bool grade_result_perfect(const struct grade_result *grade);

void test_verdict_free(struct test_verdict *verdict);
void lab_result_free(struct lab_result *lab);
void grade_result_free(struct grade_result *grade);

/*
 * A copy of TEXT fit for every report: control characters, escape
 * sequences and bytes that are not UTF-8 (a student's program may print
 * any bytes) shown as C escapes (text_visible_lines), so no terminal,
 * browser or JSON writer acts on them or refuses them, and colour in a
 * report can only be the grader's. NULL gives "". Exits the grader
 * (status 3) if memory runs out.
 */
char *report_text_copy(const char *text);

#endif
