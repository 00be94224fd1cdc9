/*
 * thread_sanitizer.c - tests that run the threads build (BUILD_THREADS):
 * the lab's programs as threads of one process (labs/common/threads.c)
 * under ThreadSanitizer. The options every run gets, and the verdict on
 * its report: a data race fails the test with the student's two lines,
 * and the program each of them ran in.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "harness/context.h"

/*
 * What the threads build runs with. The first report ends the run
 * (halt_on_error), so a race fails the step it happens in. io_sync=0:
 * a write and a read of the same file descriptor order nothing, as they
 * would not between processes that never talk through one. A long
 * history keeps the earlier access's stack, so both lines are named.
 * Sanitizers cannot run under RLIMIT_AS; the allocator's limits stand in.
 */
const char *const THREAD_SANITIZER_ENV[] = {
    "TSAN_OPTIONS=halt_on_error=1:exitcode=86:second_deadlock_stack=1:history_size=7:"
    "io_sync=0:report_signal_unsafe=0:report_thread_leaks=0:atexit_sleep_ms=0:"
    "hard_rss_limit_mb=1024:allocator_may_return_null=1:color=never",
    NULL,
};

#define REPORT_START "WARNING: ThreadSanitizer: "
#define MAX_ACCESSES 4
#define MAX_THREADS  16

/* One access of a race: what it was, who made it, where. */
struct access {
    char what[64];   /* "a read", "an atomic write" */
    char thread[16]; /* "T2", or "main" */
    char where[512]; /* "channel.h:34 (channel_wait), called from consumer.c:52 (main)" */
    int n_frames;
};

/* "T2" -> "consumer": the names threads.c gives its programs' threads. */
struct thread_name {
    char id[16];
    char name[64];
};

struct tsan_report {
    char kind[128]; /* "data race" */
    struct access accesses[MAX_ACCESSES];
    int n_accesses;
    struct thread_name threads[MAX_THREADS];
    int n_threads;
    char where[512]; /* the first line of the student's, for other kinds */
};

static bool starts_with(const char *line, const char *end, const char *prefix)
{
    size_t len = strlen(prefix);
    return (size_t)(end - line) >= len && memcmp(line, prefix, len) == 0;
}

/*
 * "channel.h:34 (channel_wait)" from a frame "    #0 channel_wait
 * /build/labs/03/channel.h:34 (consumer.so+0x1337)", if the frame is in
 * the student's files: in the build folder itself, not ../common (the
 * lab's helpers and the threads driver).
 */
static bool student_line(const char *line, const char *end, const char *build_dir, char *out,
                         size_t size)
{
    const char *function, *function_end, *path, *path_end;
    size_t dir_len = strlen(build_dir);

    while (line < end && *line == ' ')
        line++;
    if (!starts_with(line, end, "#"))
        return false;
    function = memchr(line, ' ', (size_t)(end - line));
    if (function == NULL)
        return false;
    function++;
    function_end = memchr(function, ' ', (size_t)(end - function));
    if (function_end == NULL)
        return false;
    path = function_end + 1;
    path_end = memchr(path, ' ', (size_t)(end - path));
    if (path_end == NULL)
        path_end = end;
    if ((size_t)(path_end - path) <= dir_len + 1 || strncmp(path, build_dir, dir_len) != 0 ||
        path[dir_len] != '/' || memmem(path, (size_t)(path_end - path), "/../", 4) != NULL)
        return false;
    path += dir_len + 1;
    snprintf(out, size, "%.*s (%.*s)", (int)(path_end - path), path, (int)(function_end - function),
             function);
    return true;
}

/* "Previous atomic write of size 4 at 0x... by thread T1:" -> "an atomic
 * write" by "T1"; false if LINE is not an access's first line. */
static bool access_header(const char *line, const char *end, struct access *a)
{
    const char *size = memmem(line, (size_t)(end - line), " of size ", 9);
    const char *by = memmem(line, (size_t)(end - line), " by ", 4);
    char what[48];
    size_t len;

    if (!starts_with(line, end, "  ") || line[2] == ' ' || size == NULL || by == NULL)
        return false;
    line += 2;
    if (starts_with(line, end, "Previous "))
        line += 9;
    len = (size_t)(size - line) < sizeof(what) - 1 ? (size_t)(size - line) : sizeof(what) - 1;
    memcpy(what, line, len);
    what[len] = '\0';
    what[0] = (char)(what[0] | 0x20); /* "Read" -> "read" */
    snprintf(a->what, sizeof(a->what), "%s %s", strchr("aeiou", what[0]) ? "an" : "a", what);
    by += 4;
    if (starts_with(by, end, "main thread"))
        snprintf(a->thread, sizeof(a->thread), "main");
    else if (starts_with(by, end, "thread "))
        snprintf(a->thread, sizeof(a->thread), "%.*s", (int)strcspn(by + 7, ": \n"), by + 7);
    else
        a->thread[0] = '\0';
    a->where[0] = '\0';
    a->n_frames = 0;
    return true;
}

/* "  Thread T2 'consumer' (tid=...": T2 is the program consumer. */
static void thread_line(const char *line, const char *end, struct tsan_report *r)
{
    const char *quote, *close;

    if (!starts_with(line, end, "  Thread T") || r->n_threads == MAX_THREADS)
        return;
    quote = memchr(line, '\'', (size_t)(end - line));
    close = quote ? memchr(quote + 1, '\'', (size_t)(end - quote - 1)) : NULL;
    if (close == NULL)
        return;
    struct thread_name *n = &r->threads[r->n_threads++];
    snprintf(n->id, sizeof(n->id), "%.*s", (int)strcspn(line + 9, " "), line + 9);
    snprintf(n->name, sizeof(n->name), "%.*s", (int)(close - quote - 1), quote + 1);
}

static const char *program_of_thread(const struct tsan_report *r, const char *id)
{
    for (int i = 0; i < r->n_threads; i++)
        if (strcmp(r->threads[i].id, id) == 0)
            return r->threads[i].name;
    return strcmp(id, "main") == 0 ? "threads" : "another thread";
}

/* LINE as the student sees it: visible, paths relative to the lab folder. */
static void show_line(struct strbuf *lines, const char *line, const char *end,
                      const char *build_dir)
{
    struct strbuf relative = {0};
    size_t dir_len = strlen(build_dir);

    while (line < end) {
        const char *at = memmem(line, (size_t)(end - line), build_dir, dir_len);
        if (at == NULL || (size_t)(end - at) <= dir_len || at[dir_len] != '/')
            at = end;
        strbuf_add(&relative, line, (size_t)(at - line));
        line = at == end ? end : at + dir_len + 1;
    }
    char *text = strbuf_take(&relative);
    char *visible = text_visible(text, strlen(text), false);
    strbuf_printf(lines, "    | %s\n", visible);
    free(visible);
    free(text);
}

/* Read the report at START; LINES gets what a student needs to see of it. */
static void parse_report(const char *start, const char *end, const char *build_dir,
                         struct tsan_report *r, struct strbuf *lines)
{
    struct access *a = NULL;
    const char *kind = start + strlen(REPORT_START);

    memset(r, 0, sizeof(*r));
    snprintf(r->kind, sizeof(r->kind), "%.*s", (int)strcspn(kind, "(\n"), kind);
    if (r->kind[0] != '\0' && r->kind[strlen(r->kind) - 1] == ' ')
        r->kind[strlen(r->kind) - 1] = '\0';
    for (const char *line = start; line < end; line = report_line_end(line, end) + 1) {
        const char *e = report_line_end(line, end);
        char frame[512];
        bool shown = line == start;

        if (a == NULL || !starts_with(line, e, "    ")) {
            a = NULL;
            if (r->n_accesses < MAX_ACCESSES && access_header(line, e, &r->accesses[r->n_accesses]))
                a = &r->accesses[r->n_accesses++];
            shown = shown || a != NULL;
        }
        if (student_line(line, e, build_dir, frame, sizeof(frame))) {
            if (r->where[0] == '\0')
                snprintf(r->where, sizeof(r->where), "%s", frame);
            if (a != NULL && a->n_frames++ < 2) {
                size_t len = strlen(a->where);
                snprintf(a->where + len, sizeof(a->where) - len, "%s%s",
                         len > 0 ? ", called from " : "", frame);
            }
            strbuf_printf(lines, "    |     %s\n", frame);
        }
        thread_line(line, e, r);
        if (starts_with(line, e, "  Thread T") || starts_with(line, e, "SUMMARY:"))
            shown = true;
        /* "Thread T2 'consumer' (tid=5, running)", without where the
         * driver created it. */
        if (starts_with(line, e, "  Thread T") && memmem(line, (size_t)(e - line), ") created", 9))
            e = (const char *)memmem(line, (size_t)(e - line), ") created", 9) + 1;
        if (shown)
            show_line(lines, line, e, build_dir);
        if (starts_with(line, e, "SUMMARY:"))
            break;
    }
}

/* The failure's message: the two accesses of a race, or the kind and
 * the first line of the student's. */
static void report_failure(struct test_ctx *t, struct proc *p, const struct tsan_report *r)
{
    if (strcmp(r->kind, "data race") == 0 && r->n_accesses >= 2) {
        const struct access *now = &r->accesses[0], *before = &r->accesses[1];
        check(t, false,
              "ThreadSanitizer found a data race: %s in `%s` at %s and %s in `%s` at %s touch the "
              "same shared memory, and nothing orders the two (no semaphore taken and given back "
              "between them, no release store of a flag that the other side's acquire load "
              "sees): the read may see the write, or not, or half of it",
              now->what, program_of_thread(r, now->thread),
              now->where[0] ? now->where : "(no line of yours on its stack)", before->what,
              program_of_thread(r, before->thread),
              before->where[0] ? before->where : "(no line of yours on its stack)");
        return;
    }
    check(t, false, "ThreadSanitizer found a %s in `%s`%s%s", r->kind, p->command,
          r->where[0] ? ", at " : "", r->where);
}

bool thread_sanitizer_report(struct test_ctx *t, struct proc *p)
{
    const char *text = p->err.head, *end = p->err.head + p->err.head_len;
    const char *start = memmem(text, p->err.head_len, REPORT_START, strlen(REPORT_START));
    struct strbuf lines = {0};
    struct tsan_report report;

    if (start == NULL)
        return false;
    parse_report(start, end, t->build_dir, &report, &lines);
    report_failure(t, p, &report);
    char *shown = strbuf_take(&lines);
    record_append(t->rec,
                  "  ThreadSanitizer's report (the lines in your files under each access):\n%s",
                  shown);
    free(shown);
    /* The transcript shows what the programs printed before the report. */
    p->err.head_len = (size_t)(report_preamble(text, start) - text);
    p->err.total = p->err.head_len;
    show_transcript(t, p);
    return true;
}
