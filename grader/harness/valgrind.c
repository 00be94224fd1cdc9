/*
 * valgrind.c - student programs under valgrind's memcheck (--valgrind):
 * memory errors and leaks fail the test, and a crash names its line.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "harness/context.h"

/* Does LINE of a valgrind log start an error report? */
static bool starts_valgrind_error(const char *line)
{
    static const char *const starts[] = {
        "Invalid read",     "Invalid write",        "Invalid free",  "Mismatched free",
        "Conditional jump", "Use of uninitialised", "Syscall param", "Source and destination",
        "Argument 'size'",  "Process terminating",  "bytes in",      "Invalid memory pool",
    };
    for (size_t i = 0; i < ARRAY_LEN(starts); i++)
        if (strstr(line, starts[i]) == line)
            return strcmp(starts[i], "bytes in") != 0 || strstr(line, "lost in loss record");
    /* Leak records start with a byte count: "16 bytes in 1 blocks are ..." */
    return false;
}

/* The first frame of the student's code in a stack line ("main
 * (writer.c:42)"), or NULL. */
static const char *source_frame(const char *line)
{
    const char *colon = strstr(line, ": ");
    if ((strstr(line, "at 0x") == NULL && strstr(line, "by 0x") == NULL) || colon == NULL)
        return NULL;
    if (strstr(line, ".c:") == NULL)
        return NULL;
    return colon + 2;
}

struct valgrind_report {
    int errors;       /* -1: no summary (the process did not finish) */
    char first[1024]; /* the first error, with its first source line */
    char fault[512];  /* for a crash: where it happened */
    char block[2048]; /* the first error's lines, for the output */
};

static bool read_valgrind_log(const char *path, struct valgrind_report *r)
{
    FILE *f = fopen(path, "re");
    char raw[1024];
    bool in_first = false, in_fault = false;

    memset(r, 0, sizeof(*r));
    r->errors = -1;
    if (f == NULL)
        return false;
    while (fgets(raw, sizeof(raw), f) != NULL) {
        char *line = raw;
        const char *frame;
        raw[strcspn(raw, "\n")] = '\0';
        if (strncmp(line, "==", 2) == 0 && strstr(line + 2, "==") != NULL) /* "==123== " */
            line = strstr(line + 2, "==") + 2;
        while (*line == ' ')
            line++;
        if (sscanf(line, "ERROR SUMMARY: %d errors", &r->errors) == 1)
            continue;
        if (r->first[0] == '\0' && starts_valgrind_error(line) &&
            strstr(line, "Process terminating") != line) {
            snprintf(r->first, sizeof(r->first), "%s", line);
            in_first = true;
        } else if (strstr(line, "Process terminating") == line) {
            in_fault = true;
        } else if (line[0] == '\0') {
            in_first = false;
        }
        if (in_first) {
            size_t len = strlen(r->block);
            snprintf(r->block + len, sizeof(r->block) - len, "    | %s\n", line);
        }
        frame = source_frame(line);
        if (frame != NULL && in_first && strstr(r->first, " at ") == NULL) {
            size_t len = strlen(r->first);
            snprintf(r->first + len, sizeof(r->first) - len, ", at %s", frame);
        }
        if (frame != NULL && in_fault && r->fault[0] == '\0') {
            snprintf(r->fault, sizeof(r->fault), "%s", frame);
            in_fault = false;
        }
    }
    fclose(f);
    return true;
}

/* Under --valgrind, memory errors and leaks in a program that ended on
 * its own fail the test. */
void check_valgrind_logs(struct test_ctx *t)
{
    for (size_t i = 0; i < t->n_programs; i++) {
        struct proc *p = t->programs[i].proc;
        struct valgrind_report r;
        if (t->programs[i].valgrind_log == NULL || p->state == PROC_RUNNING || p->timed_out ||
            p->output_limited || !read_valgrind_log(t->programs[i].valgrind_log, &r) ||
            r.errors <= 0)
            continue;
        check(t, false, "valgrind found %d error%s in `%s`: %s", r.errors, r.errors == 1 ? "" : "s",
              p->command, r.first[0] ? r.first : "(see its log)");
        if (r.block[0] != '\0')
            record_append(t->rec, "  valgrind's first report:\n%s", r.block);
    }
}

void show_valgrind_fault(struct test_ctx *t, const struct proc *p)
{
    const struct test_program *program = program_of(t, p);
    struct valgrind_report r;

    if (p->state != PROC_SIGNALED || program == NULL || program->valgrind_log == NULL)
        return;
    if (read_valgrind_log(program->valgrind_log, &r) && r.fault[0] != '\0')
        record_append(t->rec, "    the fault is in %s (valgrind)\n", r.fault);
}

const char *const *valgrind_wrapper(struct test_ctx *t, char **log)
{
    *log = xasprintf("%s/" VALGRIND_LOG_PREFIX "%ld-%zu.log", t->build_dir, t->unique_id,
                     t->n_programs);
    const char *const wrapper[] = {
        "/usr/bin/valgrind",
        "--tool=memcheck",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect,possible",
        "--errors-for-leak-kinds=definite,indirect,possible",
        "--track-origins=yes",
        "--vgdb=no",
        "--child-silent-after-fork=yes",
        textf(t, "--log-file=%s", *log),
        NULL,
    };
    const char **copy = malloc(sizeof(wrapper));
    if (copy == NULL)
        grader_error(t, "internal: out of memory");
    memcpy(copy, wrapper, sizeof(wrapper));
    return copy;
}
