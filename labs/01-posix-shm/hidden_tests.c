/*
 * Lab 01 - hidden tests: promises of the handout's contract that the
 * visible tests do not spell out. Instructors and the platforms grade them
 * (shmgrade --hidden); `make dist` leaves this file out of the student pack,
 * and students see the result after the due date.
 */
#include "run/hidden.h"

/* The contract takes any MESSAGE up to 4095 bytes: none at all is one. */
static void empty_message(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    struct proc *writer = RUN(t, "writer", name, "");
    struct proc *reader;

    if (!expect_exit(t, writer, 0) ||
        !expect_stdout_line(t, writer, "Data written to shared memory: "))
        return;
    reader = RUN(t, "reader", name);
    if (expect_exit(t, reader, 0) && expect_stdout_line(t, reader, "Received: "))
        check(t, capture_line_count(&reader->out) == 1,
              "the reader should print one line, 'Received: ', but printed %zu lines",
              capture_line_count(&reader->out));
}

static const struct lab_test hidden_tests[] = {
    {.id = "empty-message",
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
