/*
 * test_flags.h - how a test is shown: set in a lab's test table (harness.h),
 * carried by each verdict of the result model (report/result.h).
 */
#ifndef SHMGRADE_TEST_FLAGS_H
#define SHMGRADE_TEST_FLAGS_H

enum test_flag {
    TEST_HIDDEN = 1u << 0, /* graded by instructors and platforms, not in the student pack */
    /* Platforms show the result to students only after the due date
     * (Gradescope "after_due_date"); a hidden test without it is never shown. */
    TEST_AFTER_DUE_DATE = 1u << 1,
};

#endif
