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

/* How many of a log's lines a failure shows, when it cannot pick out the
 * first error. */
#define LOG_LINES_SHOWN 20

/* Is LINE a leak record: "6 bytes in 1 blocks are definitely lost in
 * loss record 1 of 1" (counts may have thousands separators)? */
static bool is_leak_record(const char *line)
{
    size_t digits = strspn(line, "0123456789,");
    return digits > 0 && strncmp(line + digits, " bytes in ", 10) == 0 &&
           strstr(line, " lost in loss record ") != NULL;
}

/* Does LINE of a valgrind log start an error report? */
static bool starts_valgrind_error(const char *line)
{
    static const char *const starts[] = {
        "Invalid read",     "Invalid write",        "Invalid free",        "Mismatched free",
        "Conditional jump", "Use of uninitialised", "Syscall param",       "Source and destination",
        "Argument 'size'",  "Invalid memory pool",  "Process terminating",
    };
    for (size_t i = 0; i < ARRAY_LEN(starts); i++)
        if (strstr(line, starts[i]) == line)
            return true;
    return is_leak_record(line);
}

/* The place a stack line names ("main (reader.c:42)"), or NULL: a frame
 * with a source line, not in valgrind's own replacements
 * (vg_replace_malloc.c...). With --fullpath-after= the file is named by
 * its whole path; *STUDENTS says whether it is in BUILD_DIR, which is then
 * left out of the place written to PLACE. */
static bool source_frame(const char *line, const char *build_dir, char *place, size_t size,
                         bool *students)
{
    const char *colon = strstr(line, ": "), *paren;
    size_t dir_len = strlen(build_dir);

    if ((strstr(line, "at 0x") == NULL && strstr(line, "by 0x") == NULL) || colon == NULL)
        return false;
    paren = strrchr(colon, '(');
    if (paren == NULL || strstr(paren, ".c:") == NULL || strstr(paren, "/vg_replace_") != NULL ||
        strncmp(paren + 1, "vg_", 3) == 0)
        return false;
    *students = strncmp(paren + 1, build_dir, dir_len) == 0 && paren[1 + dir_len] == '/';
    if (*students)
        snprintf(place, size, "%.*s(%s", (int)(paren - colon - 2), colon + 2, paren + 2 + dir_len);
    else
        snprintf(place, size, "%s", colon + 2);
    return true;
}

/* A line of the log's header or footer ("Memcheck, a memory error
 * detector", "Command: ./reader /x"...): nothing about the program. */
static bool is_log_header(const char *line)
{
    static const char *const headers[] = {"Memcheck,",  "Copyright",    "Using Valgrind",
                                          "Command:",   "Parent PID",   "For lists of",
                                          "For counts", "ERROR SUMMARY"};
    for (size_t i = 0; i < ARRAY_LEN(headers); i++)
        if (strncmp(line, headers[i], strlen(headers[i])) == 0)
            return true;
    return line[0] == '\0';
}

/* Append "    | LINE" to BUF (of SIZE bytes), as far as it fits. */
static void add_shown_line(char *buf, size_t size, const char *line)
{
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "    | %s\n", line);
}

/* The first error's headline: a leak record without its place among the
 * others, and saying what a leak is. */
static void set_first(struct valgrind_report *r, const char *line)
{
    const char *record = strstr(line, " in loss record ");

    snprintf(r->first, sizeof(r->first), "%.*s", record ? (int)(record - line) : 900, line);
    if (record != NULL)
        snprintf(r->first + strlen(r->first), sizeof(r->first) - strlen(r->first),
                 " (allocated, and never freed)");
}

bool read_valgrind_log(const char *path, const char *build_dir, struct valgrind_report *r)
{
    FILE *f = fopen(path, "re");
    char raw[1024], first_place[512] = "", fault_place[512] = "";
    bool in_first = false, in_fault = false, first_students = false, fault_students = false;
    int shown = 0;

    memset(r, 0, sizeof(*r));
    r->errors = -1;
    if (f == NULL)
        return false;
    while (fgets(raw, sizeof(raw), f) != NULL) {
        char *line = raw, place[512];
        bool students;
        raw[strcspn(raw, "\n")] = '\0';
        if (strncmp(line, "==", 2) == 0 && strstr(line + 2, "==") != NULL) /* "==123== " */
            line = strstr(line + 2, "==") + 2;
        while (*line == ' ')
            line++;
        if (sscanf(line, "ERROR SUMMARY: %d errors", &r->errors) == 1)
            continue;
        if (!is_log_header(line) && shown++ < LOG_LINES_SHOWN)
            add_shown_line(r->log, sizeof(r->log), line);
        if (r->first[0] == '\0' && starts_valgrind_error(line) &&
            strstr(line, "Process terminating") != line) {
            set_first(r, line);
            in_first = true;
        } else if (strstr(line, "Process terminating") == line) {
            in_fault = true;
        } else if (line[0] == '\0') {
            in_first = in_fault = false;
        }
        if (in_first)
            add_shown_line(r->block, sizeof(r->block), line);
        if (!source_frame(line, build_dir, place, sizeof(place), &students))
            continue;
        /* The first frame in the student's files, else the first with a
         * line at all. */
        if (in_first && !first_students && (students || first_place[0] == '\0')) {
            snprintf(first_place, sizeof(first_place), "%s", place);
            first_students = students;
        }
        if (in_fault && !fault_students && (students || fault_place[0] == '\0')) {
            snprintf(fault_place, sizeof(fault_place), "%s", place);
            fault_students = students;
        }
    }
    fclose(f);
    if (first_place[0] != '\0') {
        size_t len = strlen(r->first);
        snprintf(r->first + len, sizeof(r->first) - len, ", at %s", first_place);
    }
    snprintf(r->fault, sizeof(r->fault), "%s", fault_place);
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
            p->output_limited ||
            !read_valgrind_log(t->programs[i].valgrind_log, t->build_dir, &r) || r.errors <= 0)
            continue;
        check(t, false, "valgrind found %d error%s in `%s`: %s", r.errors, r.errors == 1 ? "" : "s",
              p->command, r.first[0] ? r.first : "its log says");
        if (r.block[0] != '\0')
            record_append(t->rec, "  valgrind's first report:\n%s", r.block);
        else
            record_append(t->rec, "  valgrind's log:\n%s", r.log);
    }
}

void show_valgrind_fault(struct test_ctx *t, const struct proc *p)
{
    const struct test_program *program = program_of(t, p);
    struct valgrind_report r;

    if (p->state != PROC_SIGNALED || program == NULL || program->valgrind_log == NULL)
        return;
    if (read_valgrind_log(program->valgrind_log, t->build_dir, &r) && r.fault[0] != '\0')
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
        /* Whole paths: the student's frames are those in the build folder. */
        "--fullpath-after=",
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
