/*
 * finish.c - the end of every test: whatever it started is killed, and
 * what the programs left behind is named and removed. A test ends here
 * whether it passed, failed or ran out of time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

#include "core/coverage.h"
#include "harness/context.h"

/* Leftover IPC objects listed by name in a test's output; the rest counted. */
#define MAX_LISTED_LEFTOVERS 10

/*
 * How many processes of the test (but the grader's own BUT, or 0) escaped
 * the process groups of its programs (setsid, setpgid, double fork), the
 * names of the first few in NAMES. The test starts nothing but programs, and orphans come to it (a
 * subreaper): whatever user the programs run as, every live descendant
 * outside their process groups escaped.
 */
int escaped_processes(struct test_ctx *t, pid_t but, char *names, size_t size)
{
    struct task_info *tasks;
    int n = list_descendants(&tasks), escaped = 0;

    names[0] = '\0';
    for (int i = 0; i < n; i++) {
        bool in_group = false;
        if (tasks[i].zombie || tasks[i].pid == but)
            continue;
        for (size_t j = 0; j < t->n_programs && !in_group; j++)
            in_group = tasks[i].pgid == t->programs[j].proc->pid;
        if (in_group)
            continue;
        if (escaped++ < 5) {
            size_t len = strlen(names);
            snprintf(names + len, size - len, "%s%s", len ? ", " : "", tasks[i].name);
        }
    }
    free(tasks);
    return escaped;
}

/*
 * Processes still alive once every program's process group is killed
 * escaped on purpose: a daemon the test never asked for. They fail the
 * test, and die with everything else.
 */
static void check_no_strays(struct test_ctx *t)
{
    char names[256];
    int strays = escaped_processes(t, 0, names, sizeof(names));

    check(t, strays == 0,
          "%d process%s (%s) kept running in the background after the test, outside the "
          "process group of the program that started %s (a daemon?); the grader killed %s",
          strays, strays == 1 ? "" : "es", names, strays == 1 ? "it" : "them",
          strays == 1 ? "it" : "them");
}

/* Did a program that the test itself ended (it was still running when
 * the test was over) create OBJ? Then leaving it is not the program's
 * doing. */
static bool made_by_interrupted(const pid_t *interrupted, size_t n, const struct ipc_object *obj)
{
    for (size_t i = 0; i < n; i++)
        if (obj->creator == interrupted[i])
            return true;
    return false;
}

/* Name the IPC objects the programs left (beyond the names and keys the
 * test handed out, which it may mean to leave, and what the programs it
 * interrupted made), then remove them all. */
static void list_leftovers(struct test_ctx *t, const pid_t *interrupted, size_t n_interrupted)
{
    struct ipc_snapshot left;
    size_t listed = 0, extra = 0;

    if (sandbox_ipc_objects(&left) < 0)
        return;
    for (size_t i = 0; i < left.n; i++) {
        char text[512];
        const struct ipc_object *obj = &left.objects[i];
        if (!handed_out(t->rec, obj) && !made_by_interrupted(interrupted, n_interrupted, obj)) {
            if (listed++ == 0)
                record_append(t->rec, "  left behind, and removed by the grader:\n");
            if (listed <= MAX_LISTED_LEFTOVERS) {
                ipc_object_describe(obj, text, sizeof(text));
                record_append(t->rec, "    %s\n", text);
            } else {
                extra++;
            }
        }
        ipc_object_remove(obj);
    }
    if (extra > 0)
        record_append(t->rec, "    ... and %zu more\n", extra);
    ipc_snapshot_free(&left);
}

/* The segments the grader made for the programs go, and it lets go of
 * the programs' segments it attached: detached first, for a segment goes
 * only when nobody is attached. */
static void remove_grader_segments(struct test_ctx *t)
{
    for (size_t i = 0; i < t->n_segments; i++) {
        if (t->segments[i].at != NULL)
            shmdt(t->segments[i].at);
        if (!t->segments[i].borrowed)
            shmctl(t->segments[i].id, IPC_RMID, NULL);
    }
    t->n_segments = 0;
}

/* A test that failed while others had filled the machine's /dev/shm or
 * System V tables (without namespaces, they are shared) is no verdict on
 * the student's code: the grader's error, and a regrade. Looked at while
 * the programs' objects are still there, to tell theirs from others'. */
static void blame_an_exhausted_machine(struct test_ctx *t)
{
    char why[512];

    if (t->rec->failures == 0 || t->rec->grader_error ||
        !sandbox_exhausted_by_others(why, sizeof(why)))
        return;
    t->rec->grader_error = true;
    snprintf(t->rec->message, sizeof(t->rec->message),
             "the machine ran out of room for the test: %s; the failure says nothing about the "
             "submission: grade it again once there is room",
             why);
    record_append(t->rec, "GRADER ERROR: %s\n", t->rec->message);
}

_Noreturn void test_end(struct test_ctx *t)
{
    pid_t interrupted[MAX_PROCS];
    size_t n_interrupted = 0;

    /* What the programs hold as the test ends, once more: an excess that
     * lasts until then fails the test whether or not the watcher saw it
     * (whose verdict, when it did, comes first: runner.c). */
    if (!sandbox_check_holdings(t->build_dir, t->crash_build_dir, &t->rec->holdings.at_end))
        blame_an_exhausted_machine(t);

    /* Programs that ended on their own have complete valgrind logs. One
     * the harness killed for hanging was interrupted too. */
    for (size_t i = 0; i < t->n_programs; i++)
        if (!has_ended(t->programs[i].proc) || t->programs[i].proc->timed_out)
            interrupted[n_interrupted++] = t->programs[i].proc->pid;
    check_valgrind_logs(t);
    for (size_t i = 0; i < t->n_programs; i++)
        if (!t->programs[i].proc->transcript_shown)
            variant_report(t, t->programs[i].proc);
    for (size_t i = 0; i < t->n_programs; i++)
        proc_kill(t->programs[i].proc, SIGKILL);
    check_no_strays(t);
    for (size_t i = 0; i < t->n_programs; i++)
        proc_free(t->programs[i].proc);
    t->n_programs = 0;
    sandbox_kill_all();
    kill_all_descendants();
    remove_grader_segments(t);
    list_leftovers(t, interrupted, n_interrupted);
    clean_up_handed_out(t->rec);
    t->rec->finished = true;
    coverage_flush();
    _exit(0);
}
