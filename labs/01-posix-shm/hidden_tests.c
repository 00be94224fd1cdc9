/*
 * Lab 01 - hidden tests: promises of the handout's contract that the
 * visible tests do not spell out. Instructors and the platforms grade them
 * (shmgrade --hidden); `make dist` leaves this file out of the student pack,
 * and students see the result after the due date.
 */
#include "harness/harness.h"
#include "run/hidden.h"

/* The contract takes any MESSAGE up to 4095 bytes: none at all is one. */
static void empty_message(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    expect_run(t, ARGS("writer", name, ""), EXIT(0), STDOUT_HAS("Data written to shared memory: "));
    expect_run(t, ARGS("reader", name), EXIT(0), STDOUT_HAS("Received: "));
}

static const struct lab_test hidden_tests[] = {
    {.id = "empty-message",
     .clauses = "C4",
     .points = 5,
     .run = empty_message,
     .flags = TEST_HIDDEN | TEST_AFTER_DUE_DATE,
     .title = "An empty message round-trips: the reader prints 'Received: ' and nothing more",
     .hint = "Nothing in the contract forbids MESSAGE \"\": store its NUL, print the empty line."},
};

static const struct lab_hidden_tests lab01_hidden = {
    .lab_id = "01-posix-shm",
    .tests = hidden_tests,
    .n_tests = ARRAY_LEN(hidden_tests),
};

SHMLAB_REGISTER_HIDDEN_TESTS(lab01_hidden);
