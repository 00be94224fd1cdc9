/* live.c - see live.h. */
#define _GNU_SOURCE
#include "learn/live.h"

#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "run/runner.h"

void live_clear(struct live_report *live)
{
    if (!live->status_shown)
        return;
    /* Back to the line's start, and erase it. */
    fputs("\r\033[K", live->out);
    fflush(live->out);
    live->status_shown = false;
}

static void lab_built(const struct lab_result *lab, void *arg)
{
    struct live_report *live = arg;

    live_clear(live);
    live->lab = lab;
    live->shown = 0;
    live->not_run = 0;
    report_lab_start(live->out, lab, live->style);
    fflush(live->out);
}

static void verdict_in(const struct lab_result *lab, size_t index, void *arg)
{
    struct live_report *live = arg;

    live_clear(live);
    /* After Ctrl-C, the tests not run are counted, not listed. */
    if (runner_stopped() && lab->tests[index].status == STATUS_NOT_RUN) {
        live->not_run++;
        live->shown = index + 1;
        return;
    }
    report_test(live->out, lab, index, live->style);
    live->shown = index + 1;
    fflush(live->out);
}

/* The running test to speak of: the one the next verdict waits for, else
 * the one running longest. */
static const struct test_progress *test_to_show(const struct live_report *live,
                                                const struct test_progress *running, size_t n)
{
    const struct test_progress *longest = &running[0];

    for (size_t i = 0; i < n; i++) {
        if (live->lab != NULL && live->shown < live->lab->n_tests &&
            strcmp(running[i].id, live->lab->tests[live->shown].id) == 0)
            return &running[i];
        if (running[i].seconds > longest->seconds)
            longest = &running[i];
    }
    return longest;
}

/*
 * "  ... round-trip (4 s): waiting for `client` to print a line ..." on
 * one line that fits, so that it can be erased: a test running for a while
 * says what it waits for.
 */
static void tests_running(const struct test_progress *running, size_t n, void *arg)
{
    struct live_report *live = arg;
    const struct test_progress *test;
    char more[48] = "", *line;

    if (!live->status_lines || n == 0)
        return;
    test = test_to_show(live, running, n);
    if (test->seconds * 1000 < LIVE_STATUS_AFTER_MS)
        return;
    if (n > 1)
        snprintf(more, sizeof(more), " [%zu tests running]", n);
    line = xasprintf("  ... %s (%.0f s): %s%s", test->id, test->seconds,
                     test->step[0] != '\0' ? test->step : "running", more);
    size_t width = live->style->width > 0 ? (size_t)live->style->width : REPORT_WIDTH;
    size_t len = strlen(line), fit = text_fit(line, len, width - 1);
    live_clear(live);
    fprintf(live->out, "%s%.*s%s", live->style->colour ? "\033[2m" : "", (int)fit, line,
            live->style->colour ? "\033[0m" : "");
    fflush(live->out);
    live->status_shown = true;
    free(line);
}

void live_init(struct live_report *live, FILE *out, const struct text_style *style,
               bool status_lines)
{
    *live = (struct live_report){.out = out, .style = style, .status_lines = status_lines};
    live->observer = (struct grade_observer){
        .built = lab_built,
        .verdict = verdict_in,
        .tick = tests_running,
        .arg = live,
    };
}

void live_lab_end(struct live_report *live, const struct lab_result *lab)
{
    live_clear(live);
    if (live->not_run > 0)
        fprintf(live->out, "  %zu test%s not run: the grading was interrupted\n", live->not_run,
                live->not_run == 1 ? "" : "s");
    report_lab_end(live->out, lab, live->style);
    fflush(live->out);
    live->lab = NULL;
}
