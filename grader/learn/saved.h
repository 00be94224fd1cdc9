/*
 * saved.h - a student's results, kept in their checkout
 * (.shmlab/results/LAB.json) with a fingerprint of what was graded: the
 * lab's sources, the shared code and the grader itself. `make progress`
 * shows a saved result at once while its fingerprint still holds, and
 * grades again only the labs whose files changed since.
 */
#ifndef SHMGRADE_SAVED_H
#define SHMGRADE_SAVED_H

#include <stdbool.h>

#include "report/result.h"

/*
 * The fingerprint of LAB in ROOT's working copy as graded by the program
 * SHMGRADE: a hash of the lab's and labs/common's sources (*.c, *.h,
 * Makefile, *.mk) and the grader's size and time. Allocated; NULL (with
 * the reason on stderr) if a file cannot be read.
 */
char *saved_fingerprint(const char *root, const char *lab, const char *shmgrade);

/* LAB's saved result into RESULT, if one was saved for FINGERPRINT. */
bool saved_load(const char *root, const char *lab, const char *fingerprint,
                struct lab_result *result);

/* Save RESULT (a whole lab graded) for FINGERPRINT; 0, or -1 with the
 * reason on stderr. */
int saved_store(const char *root, const struct lab_result *result, const char *fingerprint);

#endif
