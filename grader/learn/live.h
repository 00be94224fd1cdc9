/*
 * live.h - the text report written as the grading goes, for a person
 * watching: each lab's header once it is built, each test's verdict as
 * soon as it and every test before it are in (the same order on every
 * run, whatever order the tests, which run side by side, end in), and on
 * a terminal a status line that says what a slow test is waiting for.
 */
#ifndef SHMGRADE_LIVE_H
#define SHMGRADE_LIVE_H

#include <stdbool.h>
#include <stdio.h>

#include "report/report.h"
#include "run/grade.h"

/* A status line appears once a test has run this long. */
#define LIVE_STATUS_AFTER_MS 1500

struct live_report {
    FILE *out;
    const struct text_style *style;
    bool status_lines;            /* OUT is a terminal: a status line may be drawn and erased */
    bool status_shown;            /* one is on the screen now */
    const struct lab_result *lab; /* the lab being graded */
    size_t shown;                 /* its verdicts written so far */
    size_t not_run;               /* of them, left out: not run after Ctrl-C */
    struct grade_observer observer;
};

/* Set LIVE up to write to OUT in STYLE; STATUS_LINES when OUT is a
 * terminal. LIVE->observer is what grade_config.observer points to. */
void live_init(struct live_report *live, FILE *out, const struct text_style *style,
               bool status_lines);

/* The lab just graded is over: its score line. */
void live_lab_end(struct live_report *live, const struct lab_result *lab);

/* Erase the status line, if one is shown (before anything else is
 * written, and at the end). */
void live_clear(struct live_report *live);

#endif
