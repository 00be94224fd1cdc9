/*
 * context.h - the inside of a test: what the harness's parts share, and
 * what the runner (grader/run/runner.c) sets up before a test's body and
 * reads after it. Not for tests.c.
 */
#ifndef SHMGRADE_HARNESS_CONTEXT_H
#define SHMGRADE_HARNESS_CONTEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "core/text.h"
#include "harness/harness.h"
#include "sandbox/sandbox.h"

#define MAX_PROCS 64
#define MAX_NAMES 64
#define MAX_ENV   16

/* What one stream of a student program may carry before it is stopped. */
#define RUN_OUTPUT_LIMIT (8 * 1024 * 1024)

/*
 * What a test process reports to the grader. It lives in a shared
 * anonymous mapping made before fork(), so whatever the test recorded
 * survives even if the test process is killed halfway.
 */
struct test_record {
    bool finished;
    bool out_of_time;  /* a step ran into the test's own deadline */
    bool grader_error; /* the harness could not do its part (exit 3) */
    char step[512];    /* what the test is waiting for right now */
    /* Held more than a test may (the watcher, the test's end, or the
     * grader without namespaces says so): the test's verdict. */
    struct holdings_verdict holdings;
    int failures;
    char message[2048];
    size_t output_len;
    char output[60 * 1024];
    int n_names;
    char names[MAX_NAMES][64];
    int n_keys;
    key_t keys[MAX_NAMES];
    /* Every step as a line of shell (replay.c), for a replay script. */
    bool replay_cut; /* too long: no script */
    size_t replay_len;
    char replay[64 * 1024];
};

/* A program the test started. */
struct test_program {
    struct proc *proc;
    bool under_valgrind; /* its report comes through proc->tool */
    /* How it was started, to run it again if it crashes (crashes.c):
     * its arguments (argv[0] as the step names it) and environment, both
     * NULL-terminated, and its input: the step's, or the lines sent. */
    const char **argv;
    const char **env;
    struct strbuf input;
};

/* A file as the test found it (channels.c): in the build folder, by its
 * name; in the folders anyone may write, by its path. */
struct file_mark {
    char name[288];
    ino_t ino;
    struct timespec ctime;
};

/* The files a test found. */
struct file_marks {
    struct file_mark *marks;
    size_t n, room;
};

/* A segment the grader made for the programs (make_segment()). */
struct grader_segment {
    int id;
    void *at;      /* where the grader attached it, or NULL */
    bool borrowed; /* a program's segment, which the grader only attached */
};

#define MAX_REPLAY_VALUES 16

/* A number the test learnt as it ran, and the replay script's variable
 * that holds it there (replay.c). */
struct replay_value {
    long value;
    char variable[16];
};

struct test_ctx {
    const struct lab_test *test;
    const char *build_dir;
    /* The sanitize build of the lab, where a crashed program of a normal
     * test runs again to find its line (crashes.c); NULL if none. */
    const char *crash_build_dir;
    struct test_record *rec;
    struct test_program programs[MAX_PROCS];
    size_t n_programs;
    struct grader_segment segments[8];
    size_t n_segments;
    char *env[MAX_ENV]; /* set_program_env() */
    size_t n_env;
    char **texts; /* textf() */
    size_t n_texts;
    long unique_id; /* in every name and key the test hands out */
    unsigned seq;
    long long deadline; /* steps end by then, so the test can report */
    long schedule_seed; /* under_schedules(): the schedule running, or -1 */
    struct sandbox_exec exec;
    struct file_marks build_files, shared_files; /* harness_mark_files() */
    struct replay_value replay_values[MAX_REPLAY_VALUES];
    size_t n_replay_values;
    unsigned replay_variables;                  /* variables named so far */
    const char *learnt_args[MAX_REPLAY_VALUES]; /* learnt_number_arg()'s texts */
    size_t n_learnt_args;
    /* Above zero while the harness checks what its last replay line
     * checks again: a failure then needs no line of its own. */
    int checked_live;
};

/* Options of the whole grading run. */
struct harness_options {
    bool valgrind;
    int slowdown; /* every timeout is multiplied by it */
    /* libshmlab-perturb.so where student programs can read it, or NULL:
     * then race-prone tests cannot run (a grader error). */
    const char *perturb_library;
    long only_seed;       /* --seed: run just this schedule; -1 for all */
    long schedule_offset; /* added to every test's first seed (stability runs) */
};
extern struct harness_options harness_options;

/* Where the preload library is (see struct harness_options). */
void harness_use_perturb_library(const char *path);
/* Run only this schedule of race-prone tests (--seed). */
void harness_use_seed(long seed);
/* Shift every test's schedules by OFFSET: a stability run tries others. */
void harness_use_schedule_offset(long offset);

/* Run every student program under valgrind's memcheck. */
void harness_use_valgrind(bool on);

/* Set up T for TEST in the test process; then run the body. */
void harness_begin(struct test_ctx *t, const struct lab_test *test, const char *build_dir,
                   struct test_record *rec, int timeout_ms);

/* Note the files of the build folder and the folders anyone may write as
 * the test finds them, once it is isolated (before its first program):
 * expect_only_channel() names what the programs made or changed since. */
void harness_mark_files(struct test_ctx *t);

/* Record a failure. */
void record_failure(struct test_ctx *t, const char *format, va_list args)
    __attribute__((format(printf, 2, 0)));
/* An internal failure: the grader could not do its part. The test ends,
 * and the grading ends with the grader's own exit status (3). */
_Noreturn void grader_error(struct test_ctx *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Append to the test's output. */
void record_append(struct test_record *rec, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* The program P of the test, or NULL. */
struct test_program *program_of(struct test_ctx *t, const struct proc *p);

/* What a valgrind log says (valgrind.c). */
struct valgrind_report {
    int errors;                  /* the most any summary or the error reports say */
    bool summary;                /* it has an ERROR SUMMARY: valgrind saw the end */
    char first[1024];            /* the first error, with its first source line */
    char fault[512];             /* for a crash: where it happened */
    bool fault_in_student_files; /* FAULT is a line of the student's */
    char block[2048];            /* the first error's lines, for the output */
    char log[2048];              /* the log's first lines past its header */
};

/* Read the log LOG (valgrind's text, as its pipe brought it) into R,
 * naming places in the student's files (under BUILD_DIR) first. */
void read_valgrind_log(const char *log, const char *build_dir, struct valgrind_report *r);

/* Valgrind (valgrind.c): the wrapper for one program (its log goes to
 * the pipe at TOOL_FD), and the test's verdict on each program's log. */
const char *const *valgrind_wrapper(struct test_ctx *t);
void check_valgrind_logs(struct test_ctx *t);
void show_valgrind_fault(struct test_ctx *t, const struct proc *p);

/* STOP_AFTER/STOP_BEFORE/FAIL_CALL of STEP into ENV[*N...] (schedules.c). */
void add_perturb_env(struct test_ctx *t, const struct step *step, const char **env, size_t *n);

/* Sanitizer build (sanitizers.c): the environment of every program, and
 * a failure (true) when P's stderr holds a sanitizer's report. */
extern const char *const SANITIZER_ENV[];
bool sanitizer_report(struct test_ctx *t, struct proc *p);
/* The end of the line at LINE of a report that ends at END. */
const char *report_line_end(const char *line, const char *end);
/* Where the report starting at START in TEXT really begins: at the start
 * of its line ("==5==ERROR: ..."), before what a sanitizer prints first
 * (a line of '=', an empty line, "AddressSanitizer:DEADLYSIGNAL"). */
const char *report_preamble(const char *text, const char *start);

/* Parts of a sanitizer's report (sanitizers.c): where it starts in TEXT
 * (*UBSAN: an UndefinedBehaviorSanitizer one), or NULL; what it is about;
 * the first frame of the student's sources under BUILD_DIR into WHERE
 * ("" if none). */
const char *sanitizer_report_start(const char *text, size_t len, bool *ubsan);
const char *sanitizer_headline(const char *start, const char *end, bool ubsan);
void sanitizer_place(const char *start, const char *end, bool ubsan, const char *build_dir,
                     char *where, size_t size);

/* A program P of the test crashed (crashes.c): run it again as it was
 * run, from the sanitize build (or under valgrind where there is none),
 * and add to the test's output the line of the student's code it crashed
 * on and the gdb command that stops there. Never changes the verdict. */
void show_crash_place(struct test_ctx *t, const struct proc *p);

/* Threads build (thread_sanitizer.c): the same for ThreadSanitizer. */
extern const char *const THREAD_SANITIZER_ENV[];
bool thread_sanitizer_report(struct test_ctx *t, struct proc *p);

/* The test's build variant (variants.c): what every program of the test
 * gets in its environment (NULL-terminated), and a failure (true) when
 * P's stderr holds a report of the variant's sanitizer. */
const char *const *variant_env(const struct test_ctx *t);
bool variant_report(struct test_ctx *t, struct proc *p);

/* Is OBJ at a name or key the harness handed out (or a named semaphore
 * whose name starts with one)? */
/* Processes of the test outside its programs' process groups, but the
 * grader's own BUT (finish.c): how many, the first few named in NAMES. */
int escaped_processes(struct test_ctx *t, pid_t but, char *names, size_t size);

bool handed_out(const struct test_record *rec, const struct ipc_object *obj);

/* Remove what the harness handed out: the sandbox user's objects at its
 * names and keys (also called by the grader after a test without
 * namespaces). */
void clean_up_handed_out(const struct test_record *rec);

/* Output checks (mismatch.c): each records a failure with the expected
 * and actual lines and returns false, or returns true. */
bool stdout_matches(struct test_ctx *t, struct proc *p, const char *expected);
bool stdout_has_lines(struct test_ctx *t, struct proc *p, const char *const *lines);

/* --- replay (replay.c) --------------------------------------------------- */

/* Add a line (FORMAT, without its newline) to the test's replay script. */
void replay_add(struct test_ctx *t, const char *format, ...) __attribute__((format(printf, 2, 3)));
/*
 * A step the script replays itself begins: its line (as replay_add), unless
 * it runs inside another such step, whose line replays it already (a
 * step's own checks are part of it). replay_step_end() ends it.
 */
void replay_step_begin(struct test_ctx *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void replay_step_end(struct test_ctx *t);
/* Where the script is now, and back there: what a schedule that passed
 * recorded is left out (under_schedules replays the one that failed). */
size_t replay_mark(const struct test_ctx *t);
void replay_back_to(struct test_ctx *t, size_t mark);
/* DATA[0..LEN), or TEXT, as one shell word: bare, '...' or bash's $'...'. */
const char *shell_word(struct test_ctx *t, const char *data, size_t len);
const char *shell_text(struct test_ctx *t, const char *text);
/* DATA[0..LEN) as a quoted format for printf(1) that writes those bytes. */
const char *printf_bytes(struct test_ctx *t, const void *data, size_t len);
/* VALUE, learnt as the test ran, is held by VARIABLE in the script: an
 * argument made by learnt_number_arg() from it is written as "$VARIABLE". */
void replay_value(struct test_ctx *t, long value, const char *variable);
/* A fresh variable name: STEM and a number. */
const char *replay_new_variable(struct test_ctx *t, const char *stem);
/* ARG as the script writes it: a shell word, or the variable of a value
 * for an argument learnt_number_arg() made. */
const char *replay_arg(struct test_ctx *t, const char *arg);
/* The id ID as the script writes it: its variable, or the number. */
const char *replay_id(struct test_ctx *t, long id);
/* A failure the script cannot check again (a C check of tests.c): it
 * says, at this point, what the grader found. */
void replay_grader_check(struct test_ctx *t, const char *message);

/* Say what the test waits for, for a report if it never comes. */
void set_step(struct test_ctx *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
