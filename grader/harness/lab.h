/*
 * lab.h - what a lab is: its tests and their promises, as the grader's
 * registry, runner and command lines see it. Tests themselves are written
 * against harness.h, which includes this.
 */
#ifndef SHMGRADE_LAB_H
#define SHMGRADE_LAB_H

#include <stddef.h>

#include "core/test_flags.h" /* a test's flags: TEST_HIDDEN, TEST_AFTER_DUE_DATE */

struct test_ctx;

/* Which build of the student's programs a test runs. */
enum build_variant {
    BUILD_NORMAL, /* the lab's Makefile, as students run it */
    /* AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer: a
     * memory error, undefined behaviour or leak in any program of the
     * test fails it, shown with the student's file and line. */
    BUILD_SANITIZE,
    /* Protocol labs: the lab's programs as threads of one process under
     * ThreadSanitizer, so a data race between them is found on every run
     * (the lab's Makefile says how: labs/common/lab.mk). */
    BUILD_THREADS,
};

/* One graded promise of a handout. */
struct lab_test {
    const char *id;    /* stable slug, used by the corpus: "round-trip" */
    const char *title; /* the promise, as the handout words it */
    int points;
    const char *hint; /* what to look at when the test fails */
    void (*run)(struct test_ctx *t);
    int timeout_ms; /* the whole test; 0 means DEFAULT_TEST_TIMEOUT_MS */
    unsigned flags; /* enum test_flag */
    enum build_variant build;
    /* The clauses of the handout's contract it checks ("C1 C4"): every
     * clause has a test (tests/unit/check_labs.c sees to it). */
    const char *clauses;
    /* Tests this one builds on (ids, space-separated): when one of them
     * fails in the same grading, this one scores 0 too and says which to
     * fix first (a program that does nothing has nothing to be safe with). */
    const char *needs;
};

/* A lab: its folder, the files a student edits, and its tests. */
struct lab {
    const char *id; /* folder under labs/: "01-posix-shm" */
    const char *title;
    const char *const *student_files; /* NULL-terminated */
    /* Sources of the lab's folder its build needs besides the student's
     * files and the headers: programs of the lab's kit that students do
     * not edit (NULL-terminated, or NULL). The grader stages them from
     * the lab's folder, never from a submission. */
    const char *const *kit_files;
    const struct lab_test *tests;
    size_t n_tests;
};

#define DEFAULT_TEST_TIMEOUT_MS 30000
/* How long one step (a program run to its end, a line awaited) may take. */
#define DEFAULT_STEP_TIMEOUT_MS 5000

/* TIMEOUT_MS as it applies in this run: longer when the programs run
 * under valgrind. The harness scales its own waits; a helper that keeps
 * its own clock must scale its timeouts with this. */
int scaled_timeout_ms(int timeout_ms);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Put a lab into the grader. The pointer lands in a section of its own, so
 * the grader finds every linked-in lab without a hand-kept list.
 */
#define SHMLAB_REGISTER_LAB(var)                                                                   \
    static const struct lab *const shmlab_registered_##var                                         \
        __attribute__((used, section("shmlab_labs"))) = &var

#endif
