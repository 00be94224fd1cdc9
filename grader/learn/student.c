/* student.c - see student.h. */
#define _GNU_SOURCE
#include "learn/student.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "learn/replay.h"

void student_view_init(struct student_view *view, const char *root)
{
    ssize_t n = readlink("/proc/self/exe", view->shmgrade, sizeof(view->shmgrade) - 1);

    view->root = root;
    view->shmgrade[n > 0 ? n : 0] = '\0';
    if (n <= 0)
        snprintf(view->shmgrade, sizeof(view->shmgrade), "%s/build/shmgrade", root);
    if (getcwd(view->cwd, sizeof(view->cwd)) == NULL)
        view->cwd[0] = '\0';
}

/* Is the student in the folder of LAB? */
static bool in_lab_folder(const struct student_view *view, const char *lab)
{
    char *folder = xasprintf("%s/labs/%s", view->root, lab);
    bool in = strcmp(view->cwd, folder) == 0;
    free(folder);
    return in;
}

char *student_path(const struct student_view *view, const char *path)
{
    size_t len = strlen(view->cwd);

    /* Below where the student is: the rest of the path. */
    if (len > 0 && strncmp(path, view->cwd, len) == 0 && path[len] == '/')
        return xstrdup(path + len + 1);
    return xstrdup(path);
}

char *student_make_command(const struct student_view *view, const char *target, const char *lab,
                           const char *test)
{
    if (in_lab_folder(view, lab))
        return xasprintf("make %s TEST=%s", target, test);
    return xasprintf("make %s LAB=%.2s TEST=%s", target, lab, test);
}

static char *hint_command(const struct lab_result *lab, const struct test_verdict *test, void *arg)
{
    if (test->hint == NULL)
        return NULL;
    return student_make_command(arg, "hint", lab->id, test->id);
}

/* Write TEST's replay script; the command that runs it, or NULL. */
static char *replay_command(const struct lab_result *lab, const struct test_verdict *test,
                            void *arg)
{
    const struct student_view *view = arg;
    char *path, *shown, *command;

    if (test->status == STATUS_GRADER_ERROR || test->replay == NULL ||
        replay_write(view->root, view->shmgrade, lab, test) < 0)
        return NULL;
    path = replay_script_path(view->root, lab->id, test->id);
    shown = student_path(view, path);
    command = xasprintf("bash %s   (the test's steps, run from the lab folder)", shown);
    free(shown);
    free(path);
    return command;
}

void student_style(struct student_view *view, struct text_style *style)
{
    style->hint_command = hint_command;
    style->replay_command = replay_command;
    style->arg = view;
}

void student_lab_graded(const struct student_view *view, const struct lab_result *lab)
{
    for (size_t i = 0; i < lab->n_tests; i++)
        if (lab->tests[i].status == STATUS_PASSED)
            replay_forget(view->root, lab->id, lab->tests[i].id);
}
