/*
 * student.h - a student grading their own working copy: what the report
 * says to do next, written for where they are (the top folder or a lab
 * folder): the command that shows a failing test's hint, and the replay
 * script written for it.
 */
#ifndef SHMGRADE_STUDENT_H
#define SHMGRADE_STUDENT_H

#include <limits.h>
#include <stdbool.h>

#include "report/report.h"

struct student_view {
    const char *root;        /* the checkout graded */
    char shmgrade[PATH_MAX]; /* this grader, for replay scripts */
    char cwd[PATH_MAX];      /* where the student is */
};

/* Set VIEW up for the working copy of ROOT. */
void student_view_init(struct student_view *view, const char *root);

/* STYLE speaks to the student: hints as commands, replay scripts
 * written for failing tests and named. */
void student_style(struct student_view *view, struct text_style *style);

/* PATH (inside the checkout) as the student types it from where they are. */
char *student_path(const struct student_view *view, const char *path);

/* "make hint TEST=ID" in the lab's folder, else "make hint LAB=NN TEST=ID". */
char *student_make_command(const struct student_view *view, const char *target, const char *lab,
                           const char *test);

/* LAB was graded: the replay scripts of its tests that pass now go. */
void student_lab_graded(const struct student_view *view, const struct lab_result *lab);

#endif
