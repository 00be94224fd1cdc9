/*
 * watch.h - `shmgrade --watch`: grade a working copy's labs, then again on
 * every save, the screen cleared, with what changed since the last run.
 * A save is seen by inotify on the labs' folders and labs/common; a file
 * system where inotify says nothing (some mounts) is caught by comparing
 * the sources' fingerprint (learn/saved.h) every second, which is all
 * there is with SHMLAB_WATCH_POLL=1. Ctrl-C ends the grading running (it
 * reports what it graded) and then the watch, with nothing left running.
 */
#ifndef SHMGRADE_WATCH_H
#define SHMGRADE_WATCH_H

#include <stddef.h>

struct watch_config {
    const char *root;        /* the checkout whose working copy is graded */
    const char *shmgrade;    /* this program, run for each grading */
    const char *const *labs; /* the lab ids watched */
    size_t n_labs;
    char *const *grading_argv; /* shmgrade's arguments for a grading (NULL-ended) */
};

/* Watch until Ctrl-C (then 130), or a grading that cannot run (3). */
int watch_run(const struct watch_config *config);

#endif
