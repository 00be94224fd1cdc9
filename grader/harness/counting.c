/*
 * counting.c - counting what a program does (harness.h), on top of
 * grader/core/trace.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ipc.h"
#include "core/trace.h"
#include "harness/context.h"
#include "harness/harness.h"

struct counting {
    struct proc *p;
    struct trace *trace;
    struct trace_counts counts;
};

/* How long the helper may take to report once the program has ended. */
#define REPORT_TIMEOUT_MS 5000

struct counting *start_counting(struct test_ctx *t, struct proc *p, const char *shm_name,
                                size_t watch_offset, size_t watch_bytes)
{
    uintptr_t watch[TRACE_MAX_WATCHES];
    int n_watch = 0;
    char why[256];
    struct counting *c;

    if (p->state != PROC_RUNNING)
        fail_about(t, p, "`%s` %s before the grader could count what it does", p->command,
                   proc_describe_end(p).text);
    if (shm_name != NULL) {
        char path[300];
        uintptr_t start;
        size_t length;

        if (watch_offset % TRACE_WATCH_BYTES != 0 || watch_bytes == 0 ||
            watch_bytes > TRACE_MAX_WATCHES * TRACE_WATCH_BYTES)
            grader_error(t, "start_counting: cannot watch %zu bytes at offset %zu", watch_bytes,
                         watch_offset);
        snprintf(path, sizeof(path), "%s%s", SHM_FOLDER, shm_name);
        if (!find_mapping(p->pid, path, &start, &length))
            fail_about(t, p, "`%s` has not mapped the object %s (from its start) at this point",
                       p->command, shm_name);
        if (length < watch_offset + watch_bytes)
            fail_about(t, p, "`%s` mapped only %zu bytes of %s", p->command, length, shm_name);
        for (size_t at = 0; at < watch_bytes; at += TRACE_WATCH_BYTES)
            watch[n_watch++] = start + watch_offset + at;
    }
    if (!trace_probe(why, sizeof(why)))
        grader_error(t, "the grader cannot count what a program does on this machine: %s", why);
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        grader_error(t, "start_counting: out of memory");
    c->p = p;
    c->trace = trace_start(p->pid, watch, n_watch, why, sizeof(why));
    if (c->trace == NULL && errno == EPERM)
        fail_about(t, p, "`%s` cannot be counted, by its own doing: %s", p->command, why);
    if (c->trace == NULL)
        grader_error(t, "the grader cannot count what a program does on this machine: %s", why);
    /* The helper follows the program's session: a process that left it
     * before the helper looked (setsid) goes uncounted. Looked for once
     * the helper follows the rest: leaving cannot be undone, and what
     * leaves later is followed already. */
    if (escaped_processes(t, trace_helper(c->trace), why, sizeof(why)) > 0) {
        trace_free(c->trace);
        c->trace = NULL;
        fail_about(t, p,
                   "cannot count what `%s` does: processes left its process group before "
                   "counting began (%s), where the grader cannot follow them",
                   p->command, why);
    }
    return c;
}

const struct trace_counts *counted(struct test_ctx *t, struct counting *c)
{
    if (!wait_end(t, c->p, 0)) {
        c->p->timed_out = true;
        proc_kill(c->p, SIGKILL);
        fail_about(t, c->p,
                   "`%s` did not end within %.1f s (it hangs, or waits for something "
                   "that never comes)",
                   c->p->command, scaled_timeout_ms(DEFAULT_STEP_TIMEOUT_MS) / 1000.0);
    }
    if (!trace_finish(c->trace, &c->counts, scaled_timeout_ms(REPORT_TIMEOUT_MS)))
        grader_error(t, "the helper that counted what `%s` did never reported", c->p->command);
    trace_free(c->trace);
    c->trace = NULL;
    if (c->counts.evaded[0] != '\0')
        fail_about(t, c->p, "`%s` cannot be counted: it %s", c->p->command, c->counts.evaded);
    if (!c->counts.ended || c->counts.error[0] != '\0')
        grader_error(t, "counting what `%s` did %s: %s", c->p->command,
                     c->counts.ended ? "went wrong" : "stopped before its end", c->counts.error);
    return &c->counts;
}

const char *count_breakdown(struct test_ctx *t, const struct trace_counts *counts)
{
    char text[512] = "";
    bool shown[TRACE_MAX_SYSCALL_NR] = {false};
    size_t len = 0;

    /* The five calls made most, most first. */
    for (int rank = 0; rank < 5; rank++) {
        int most = -1;
        for (int nr = 0; nr < TRACE_MAX_SYSCALL_NR; nr++)
            if (!shown[nr] && counts->by_number[nr] > 0 &&
                (most < 0 || counts->by_number[nr] > counts->by_number[most]))
                most = nr;
        if (most < 0)
            break;
        shown[most] = true;
        const char *name = syscall_name(most);
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%ld %s%s", rank > 0 ? ", " : "",
                                counts->by_number[most], name != NULL ? name : "call number ",
                                name != NULL ? "" : textf(t, "%d", most));
        if (len >= sizeof(text))
            break;
    }
    return textf(t, "%s", text[0] != '\0' ? text : "none");
}
