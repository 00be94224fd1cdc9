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
 * its whole path; *STUDENTS says whether it is in BUILD_DIR itself (not
 * ../common/, the lab's own code), which is then left out of the place
 * written to PLACE. */
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
    *students = strncmp(paren + 1, build_dir, dir_len) == 0 && paren[1 + dir_len] == '/' &&
                strchr(paren + 2 + dir_len, '/') == NULL;
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

/* One line of the log into R (IN_FIRST, IN_FAULT and the places found so
 * far carried from line to line). */
struct log_state {
    bool in_first, in_fault, first_students, fault_students;
    int shown, blocks;
    char first_place[512], fault_place[512];
};

static void read_log_line(char *line, const char *build_dir, struct valgrind_report *r,
                          struct log_state *s)
{
    char place[512];
    bool students;
    int errors;

    if (strncmp(line, "==", 2) == 0 && strstr(line + 2, "==") != NULL) /* "==123== " */
        line = strstr(line + 2, "==") + 2;
    while (*line == ' ')
        line++;
    /* The program shares valgrind's descriptor and may write there too:
     * it can add lines, never take valgrind's away. So every summary
     * counts, and the most errors any says is the verdict. */
    if (sscanf(line, "ERROR SUMMARY: %d errors", &errors) == 1) {
        r->summary = true;
        r->errors = errors > r->errors ? errors : r->errors;
        return;
    }
    if (!is_log_header(line) && s->shown++ < LOG_LINES_SHOWN)
        add_shown_line(r->log, sizeof(r->log), line);
    if (starts_valgrind_error(line) && strstr(line, "Process terminating") != line)
        s->blocks++;
    if (r->first[0] == '\0' && starts_valgrind_error(line) &&
        strstr(line, "Process terminating") != line) {
        set_first(r, line);
        s->in_first = true;
    } else if (strstr(line, "Process terminating") == line) {
        s->in_fault = true;
    } else if (line[0] == '\0') {
        s->in_first = s->in_fault = false;
    }
    if (s->in_first)
        add_shown_line(r->block, sizeof(r->block), line);
    if (!source_frame(line, build_dir, place, sizeof(place), &students))
        return;
    /* The first frame in the student's files, else the first with a
     * line at all. */
    if (s->in_first && !s->first_students && (students || s->first_place[0] == '\0')) {
        snprintf(s->first_place, sizeof(s->first_place), "%s", place);
        s->first_students = students;
    }
    if (s->in_fault && !s->fault_students && (students || s->fault_place[0] == '\0')) {
        snprintf(s->fault_place, sizeof(s->fault_place), "%s", place);
        s->fault_students = students;
    }
}

void read_valgrind_log(const char *log, const char *build_dir, struct valgrind_report *r)
{
    struct log_state s = {0};
    char *copy = xstrdup(log), *save = NULL;

    memset(r, 0, sizeof(*r));
    for (char *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
        read_log_line(line, build_dir, r, &s);
    free(copy);
    if (s.blocks > r->errors)
        r->errors = s.blocks;
    if (s.first_place[0] != '\0') {
        size_t len = strlen(r->first);
        snprintf(r->first + len, sizeof(r->first) - len, ", at %s", s.first_place);
    }
    snprintf(r->fault, sizeof(r->fault), "%s", s.fault_place);
    r->fault_in_student_files = s.fault_students;
}

/* Valgrind's report on P, read to its end. */
static void report_of(struct test_ctx *t, struct proc *p, struct valgrind_report *r)
{
    char *log;

    proc_drain(p);
    log = capture_text(&p->tool);
    if (log == NULL)
        grader_error(t, "internal: out of memory");
    read_valgrind_log(log, t->build_dir, r);
    free(log);
}

/* Under --valgrind, memory errors and leaks in a program that ended on
 * its own fail the test; so does a program that left valgrind before its
 * end (an exec), whose leaks no one checked. */
void check_valgrind_logs(struct test_ctx *t)
{
    for (size_t i = 0; i < t->n_programs; i++) {
        struct proc *p = t->programs[i].proc;
        struct valgrind_report r;
        if (!t->programs[i].under_valgrind || p->state == PROC_RUNNING || p->timed_out ||
            p->output_limited)
            continue;
        report_of(t, p, &r);
        if (!r.summary && p->state == PROC_EXITED) {
            check(t, false,
                  "valgrind could not finish checking `%s`: its report ends without a summary "
                  "(did the program run another one, out of valgrind's sight?)",
                  p->command);
            continue;
        }
        if (r.errors <= 0)
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

    if (p->state != PROC_SIGNALED || program == NULL || !program->under_valgrind)
        return;
    report_of(t, program->proc, &r);
    if (r.fault[0] != '\0')
        record_append(t->rec, "    the fault is in %s (valgrind)\n", r.fault);
}

const char *const *valgrind_wrapper(struct test_ctx *t)
{
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
        /* A pipe the grader reads as valgrind writes: no file the program
         * could delete or replace. */
        textf(t, "--log-fd=%d", TOOL_FD),
        NULL,
    };
    const char **copy = malloc(sizeof(wrapper));
    if (copy == NULL)
        grader_error(t, "internal: out of memory");
    memcpy(copy, wrapper, sizeof(wrapper));
    return copy;
}
