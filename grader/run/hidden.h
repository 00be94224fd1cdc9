/*
 * hidden.h - tests a lab keeps out of the student pack.
 *
 * A lab's hidden tests live in labs/NN-name/hidden_tests.c, a file of their
 * own: the grader links it in when it is there (instructors, Gradescope,
 * Autolab), and `make dist` leaves it out, so the student pack holds
 * neither the tests nor a trace of what they check. Each hidden test also
 * carries TEST_HIDDEN, so it runs only with `shmgrade --hidden`.
 */
#ifndef SHMGRADE_HIDDEN_H
#define SHMGRADE_HIDDEN_H

#include <stddef.h>

#include "harness/lab.h"

struct lab_hidden_tests {
    const char *lab_id; /* the lab they extend: "01-posix-shm" */
    const struct lab_test *tests;
    size_t n_tests;
};

/* Put a lab's hidden tests into the grader (see SHMLAB_REGISTER_LAB). */
#define SHMLAB_REGISTER_HIDDEN_TESTS(var)                                                          \
    static const struct lab_hidden_tests *const shmlab_hidden_##var                                \
        __attribute__((used, section("shmlab_hidden"))) = &var

/*
 * LAB with every hidden test registered for it appended (each flagged
 * TEST_HIDDEN); LAB itself when it has none. The result lives as long as
 * the program. Exits the grader if memory runs out.
 */
const struct lab *lab_with_hidden_tests(const struct lab *lab);

#endif
