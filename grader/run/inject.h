/*
 * inject.h - what the grader puts into student programs (grader/inject/),
 * set up for a grading run.
 */
#ifndef SHMGRADE_INJECT_H
#define SHMGRADE_INJECT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Write libshmlab-perturb.so, which the grader carries inside itself, into
 * WORK/inject: a folder only the grader can change and student programs
 * can read in every isolation level; then tell the harness where it is.
 * Call after sandbox_setup(). False, with the reason in WHY, when the
 * library cannot be written there.
 */
bool prepare_injected_library(const char *work, char *why, size_t size);

/* Write the library to the new file PATH (a replay script preloads it);
 * false, with errno, if it cannot. */
bool write_injected_library(const char *path);

#endif
