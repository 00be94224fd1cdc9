/*
 * replay.h - replay scripts: a test's steps, as the harness recorded them
 * (struct test_verdict.replay), in a script a student runs from the lab
 * folder to see the test fail again, one step at a time. The steps are
 * labs/common/replay.sh's functions.
 *
 * Scripts live in the working copy, next to the code they run:
 * labs/LAB/repro/TEST.sh (left out of git by .gitignore).
 */
#ifndef SHMGRADE_REPLAY_H
#define SHMGRADE_REPLAY_H

#include "report/result.h"

/* ROOT/labs/LAB/repro/TEST.sh; the caller frees it. */
char *replay_script_path(const char *root, const char *lab, const char *test);

/*
 * Write TEST's replay script (TEST of LAB, graded from ROOT's working copy)
 * to replay_script_path(); SHMGRADE is the grader the script asks for what
 * shell cannot do (shmgrade --ipc). 0, or -1 with the reason on stderr
 * (also when the test recorded no steps).
 */
int replay_write(const char *root, const char *shmgrade, const struct lab_result *lab,
                 const struct test_verdict *test);

/* Remove TEST's replay script, if there is one (the test passes now). */
void replay_forget(const char *root, const char *lab, const char *test);

#endif
