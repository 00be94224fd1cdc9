/*
 * sanitizers.c - tests that run the sanitizer build (BUILD_SANITIZE): the
 * options every program gets, and the verdict on what the sanitizers
 * print. A report fails the test with the kind of error and the first
 * line of the student's own code on its stack.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "harness/context.h"

/* What a sanitized program runs with. Reports go to stderr, which the
 * grader reads through a pipe (a file the program could delete); the
 * allocator's own limits stand in for RLIMIT_AS, which sanitizers cannot
 * run under (they reserve terabytes of address space for their shadow). */
const char *const SANITIZER_ENV[] = {
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86:malloc_limit_mb=1024:"
    "hard_rss_limit_mb=1024:allocator_may_return_null=1:detect_stack_use_after_return=1:"
    "strict_string_checks=1:verify_asan_link_order=0:color=never",
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86:color=never",
    "LSAN_OPTIONS=exitcode=86",
    NULL,
};

/* The first line of a report: "ERROR: AddressSanitizer: ..." or a UBSan
 * "FILE:LINE:COL: runtime error: ...". */
const char *sanitizer_report_start(const char *text, size_t len, bool *ubsan)
{
    const char *asan = memmem(text, len, "ERROR: AddressSanitizer", 23);
    const char *lsan = memmem(text, len, "ERROR: LeakSanitizer", 20);
    const char *ub = memmem(text, len, ": runtime error: ", 17);
    const char *first = NULL;

    first = asan;
    if (lsan != NULL && (first == NULL || lsan < first))
        first = lsan;
    *ubsan = false;
    if (ub != NULL && (first == NULL || ub < first)) {
        /* Back to the start of its line. */
        while (ub > text && ub[-1] != '\n')
            ub--;
        first = ub;
        *ubsan = true;
    }
    return first;
}

const char *report_line_end(const char *line, const char *end)
{
    if (line >= end)
        return end;
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    return nl ? nl : end;
}

const char *report_preamble(const char *text, const char *start)
{
    static const char deadly[] = "AddressSanitizer:DEADLYSIGNAL";
    const char *line;

    while (start > text && start[-1] != '\n')
        start--;
    for (int i = 0; i < 4 && start > text; i++) {
        size_t len;
        line = start - 1;
        while (line > text && line[-1] != '\n')
            line--;
        len = (size_t)(start - 1 - line);
        if (strspn(line, "=") != len &&
            !(len == sizeof(deadly) - 1 && memcmp(line, deadly, len) == 0))
            break;
        start = line;
    }
    return start;
}

/* "writer.c:23 (main)" from a frame "#1 0x... in main /x/labs/01/writer.c:23":
 * a file of the lab folder itself, not ../common/ (the lab's own code). */
static bool student_frame(const char *line, const char *end, const char *build_dir, char *out,
                          size_t size)
{
    const char *in = memmem(line, (size_t)(end - line), " in ", 4);
    const char *path, *space;
    size_t dir_len = strlen(build_dir);

    if (in == NULL)
        return false;
    space = memchr(in + 4, ' ', (size_t)(end - (in + 4)));
    if (space == NULL)
        return false;
    path = space + 1;
    if ((size_t)(end - path) <= dir_len + 1 || strncmp(path, build_dir, dir_len) != 0 ||
        path[dir_len] != '/' || memchr(path + dir_len + 1, '/', (size_t)(end - path - dir_len - 1)))
        return false;
    snprintf(out, size, "%.*s (%.*s)", (int)(end - path - dir_len - 1), path + dir_len + 1,
             (int)(space - in - 4), in + 4);
    return true;
}

/* AddressSanitizer's kinds of error ("ERROR: AddressSanitizer: SEGV on
 * unknown address"), as a student reads them. */
static const struct {
    const char *kind, *headline;
} ASAN_KINDS[] = {
    {"stack-buffer-overflow", "AddressSanitizer found a stack buffer overflow (a write or read "
                              "past the end of a local array)"},
    {"heap-buffer-overflow",
     "AddressSanitizer found a heap buffer overflow (past the end of a malloc'd block)"},
    {"heap-use-after-free", "AddressSanitizer found a use of freed memory"},
    {"SEGV", "AddressSanitizer found an access to an invalid address (SIGSEGV)"},
    {"BUS", "AddressSanitizer found an access past the end of a mapped object (SIGBUS)"},
    {"FPE", "AddressSanitizer found an arithmetic error, such as a division by zero (SIGFPE)"},
    {"ABRT", "AddressSanitizer found the program aborting: abort(), or an assert() that failed "
             "(SIGABRT)"},
    {"ILL", "AddressSanitizer found an illegal instruction (SIGILL)"},
};

/* What the report is about: "AddressSanitizer found a
 * stack-buffer-overflow", "LeakSanitizer found memory leaks". */
const char *sanitizer_headline(const char *start, const char *end, bool ubsan)
{
    static const char asan[] = "ERROR: AddressSanitizer: ";
    const char *kind;
    size_t len;

    if (ubsan)
        return "UndefinedBehaviorSanitizer found undefined behaviour";
    if (memmem(start, (size_t)(end - start), "LeakSanitizer", 13) != NULL)
        return "LeakSanitizer found memory that was never freed";
    kind = memmem(start, (size_t)(end - start), asan, sizeof(asan) - 1);
    if (kind == NULL)
        return "AddressSanitizer found a memory error";
    kind += sizeof(asan) - 1;
    len = strcspn(kind, " \n");
    if (len == 0 || len > 40)
        return "AddressSanitizer found a memory error";
    for (size_t i = 0; i < ARRAY_LEN(ASAN_KINDS); i++)
        if (strlen(ASAN_KINDS[i].kind) == len && strncmp(kind, ASAN_KINDS[i].kind, len) == 0)
            return ASAN_KINDS[i].headline;
    return "AddressSanitizer found a memory error";
}

/* The student's first frame in the report at START (END its end), the
 * sources under BUILD_DIR: "reader.c:49 (main)", or UBSan's
 * "reader.c:49:5"; "" if none. */
void sanitizer_place(const char *start, const char *end, bool ubsan, const char *build_dir,
                     char *where, size_t size)
{
    where[0] = '\0';
    for (const char *line = start; line < end && where[0] == '\0';
         line = report_line_end(line, end) + 1)
        student_frame(line, report_line_end(line, end), build_dir, where, size);
    if (ubsan && where[0] == '\0') {
        /* UBSan names the place first: "writer.c:23:5: runtime error". */
        const char *e = report_line_end(start, end);
        const char *mark = memmem(start, (size_t)(e - start), ": runtime error", 15);
        size_t dir_len = strlen(build_dir);
        const char *file = start;
        if (strncmp(file, build_dir, dir_len) == 0)
            file += dir_len + 1;
        snprintf(where, size, "%.*s", (int)(mark - file), file);
    }
}

bool sanitizer_report(struct test_ctx *t, struct proc *p)
{
    const char *text = p->err.head, *end = p->err.head + p->err.head_len;
    char where[512];
    bool ubsan;
    const char *start = sanitizer_report_start(text, p->err.head_len, &ubsan);
    struct strbuf shown = {0};

    if (start == NULL)
        return false;
    /* The report's headline, the student's frames, its summary. */
    for (const char *line = start; line < end; line = report_line_end(line, end) + 1) {
        const char *e = report_line_end(line, end);
        char frame[512];
        bool is_frame = student_frame(line, e, t->build_dir, frame, sizeof(frame));
        if (line == start || is_frame || memmem(line, (size_t)(e - line), "SUMMARY:", 8)) {
            char *visible = text_visible(line, (size_t)(e - line), false);
            strbuf_printf(&shown, "    | %s\n", visible);
            free(visible);
        }
    }
    sanitizer_place(start, end, ubsan, t->build_dir, where, sizeof(where));
    check(t, false, "%s in `%s`%s%s", sanitizer_headline(start, report_line_end(start, end), ubsan),
          p->command, where[0] ? ", at " : "", where);
    char *report = strbuf_take(&shown);
    record_append(t->rec, "  the sanitizer's report:\n%s", report);
    free(report);
    /* The transcript shows what the program printed before the report,
     * not the report's shadow-memory legend again. */
    p->err.head_len = (size_t)(report_preamble(text, start) - text);
    p->err.total = p->err.head_len;
    show_transcript(t, p);
    return true;
}
