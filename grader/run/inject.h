/*
 * inject.h - what the grader puts into student programs (grader/inject/),
 * set up for a grading run.
 */
#ifndef SHMGRADE_INJECT_H
#define SHMGRADE_INJECT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy libshmlab-perturb.so, found next to the running grader, into
 * WORK/inject: a folder only the grader can change and student programs
 * can read in every isolation level; then tell the harness where it is.
 * Call after sandbox_setup(). A library that is not there is no error
 * (tests that need it then say so); failing to copy one that is, is.
 */
bool prepare_injected_library(const char *work, char *why, size_t size);

#endif
