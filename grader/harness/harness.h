/*
 * harness.h - what a lab's tests.c is written against.
 *
 * A lab is a table of tests; each test is a promise of the handout with
 * points, a title and a hint. A test function spawns the student's programs
 * through the harness, which owns pipes, timeouts and the process tree, and
 * records what it expected and what happened with check()/require().
 *
 * Every test runs in a process of its own, forked by the grader, so a test
 * that calls require() and fails simply ends that process; nothing a test
 * does can take the grader down with it.
 */
#ifndef SHMGRADE_HARNESS_H
#define SHMGRADE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/proc.h"
#include "core/ipc.h"
#include "core/test_flags.h" /* a test's flags: TEST_HIDDEN, TEST_AFTER_DUE_DATE */

struct test_ctx;

/* One graded promise of a handout. */
struct lab_test {
    const char *id;    /* stable slug, used by the corpus: "round-trip" */
    const char *title; /* the promise, as the handout words it */
    int points;
    const char *hint; /* what to look at when the test fails */
    void (*run)(struct test_ctx *t);
    int timeout_ms; /* the whole test; 0 means DEFAULT_TEST_TIMEOUT_MS */
    unsigned flags; /* enum test_flag */
};

/* A lab: its folder, the files a student edits, and its tests. */
struct lab {
    const char *id; /* folder under labs/: "01-posix-shm" */
    const char *title;
    const char *const *student_files; /* NULL-terminated */
    const struct lab_test *tests;
    size_t n_tests;
};

#define DEFAULT_TEST_TIMEOUT_MS 30000
/* How long one step (a program run to its end, a line awaited) may take. */
#define DEFAULT_STEP_TIMEOUT_MS 5000

/* TIMEOUT_MS as it applies in this run: longer when the programs run
 * under valgrind. The harness scales its own waits; a helper that keeps
 * its own clock must scale its timeouts with this. */
int scaled_timeout_ms(int timeout_ms);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Put a lab into the grader. The pointer lands in a section of its own, so
 * the grader finds every linked-in lab without a hand-kept list.
 */
#define SHMLAB_REGISTER_LAB(var)                                                                   \
    static const struct lab *const shmlab_registered_##var                                         \
        __attribute__((used, section("shmlab_labs"))) = &var

/* --- checking ---------------------------------------------------------- */

/*
 * Record a failure (the formatted message says what was expected and what
 * happened) unless COND holds. Returns COND, so a test can go on or stop.
 */
bool check(struct test_ctx *t, bool cond, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Like check(), but a failure ends the test at once. */
void require(struct test_ctx *t, bool cond, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Add a line of context to the test's output (shown with its verdict). */
void note(struct test_ctx *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* End the test now: it has failed already, or a check cannot go on. */
_Noreturn void test_end(struct test_ctx *t);

/* Has any check of this test failed so far? */
bool test_failed(const struct test_ctx *t);

/* --- names and keys that never collide between runs --------------------- */

/*
 * A POSIX shm name unique to this grading run ("/shmlab-PID-N"). The
 * harness removes the object when the test ends, so a submission that
 * forgets shm_unlink loses only the test that checks for it.
 */
const char *unique_shm_name(struct test_ctx *t);

/*
 * A System V key unique to this grading run; segments and semaphore sets
 * with it are removed when the test ends.
 */
key_t unique_ipc_key(struct test_ctx *t);

/* The environment entry that hands KEY to a lab program. */
const char *shmlab_key_env(struct test_ctx *t, key_t key);

/* --- the student's programs ------------------------------------------------ */

/* Absolute path of PROGRAM in the staged build folder. */
const char *program_path(struct test_ctx *t, const char *program);

/*
 * Start a built program: ARGV[0] names it (e.g. "writer"), the rest are its
 * arguments. The process runs in its own process group under the student
 * limits; the harness kills it, and anything it started, when the test ends.
 */
struct proc *spawn(struct test_ctx *t, const char *const argv[], const struct proc_opts *opts);

/* spawn(), then wait up to DEFAULT_STEP_TIMEOUT_MS for it to end. */
struct proc *run(struct test_ctx *t, const char *const argv[], const struct proc_opts *opts);

#define SPAWN(t, ...) spawn((t), (const char *const[]){__VA_ARGS__, NULL}, NULL)
#define RUN(t, ...)   run((t), (const char *const[]){__VA_ARGS__, NULL}, NULL)

/* --- expectations: each records a failure that shows the program's output -- */

/* The process ends (within the step timeout) with exit status CODE. */
bool expect_exit(struct test_ctx *t, struct proc *p, int code);

/* Its stdout has a line exactly equal to LINE (the process must have ended). */
bool expect_stdout_line(struct test_ctx *t, struct proc *p, const char *line);

/* Its stdout has no line at all. */
bool expect_stdout_empty(struct test_ctx *t, struct proc *p);

/*
 * Its stderr is one line that names CALL and the text of strerror(ERRNUM),
 * as die_errno() prints it; a CALL of NULL accepts any call.
 */
bool expect_error_line(struct test_ctx *t, struct proc *p, const char *call, int errnum);

/* Its stderr is exactly one non-empty line (a usage message, say). */
bool expect_one_stderr_line(struct test_ctx *t, struct proc *p);

/* A line matching the extended regular expression PATTERN appears on its
 * stdout within TIMEOUT_MS (the process may still be running). On success
 * and when MATCH is not NULL, the line is copied into MATCH (SIZE bytes). */
bool expect_line_soon(struct test_ctx *t, struct proc *p, const char *pattern, int timeout_ms,
                      char *match, size_t size);

/*
 * No IPC object made by the test's programs exists now (those at the
 * names and keys the test handed out included); a failure lists each one
 * (kind, key, id, size, creator). For rubrics that grade cleaning up.
 * The harness removes leftovers after every test either way.
 */
bool expect_nothing_left(struct test_ctx *t);

/* --- helpers first needed by lab 03 (grader/lib/lab_helpers_03.c) ------- */

enum follow_end {
    FOLLOW_EOF,       /* the process closed its stdout (it ended) */
    FOLLOW_STOPPED,   /* ON_LINE returned false */
    FOLLOW_STALLED,   /* no line for STALL_MS */
    FOLLOW_TIMED_OUT, /* TOTAL_MS passed */
};

/*
 * Read P's stdout line by line as it is written, without keeping it: for
 * programs that print more than a capture holds (10,000 lines). Each line,
 * without its newline, goes to ON_LINE; returning false stops. Meanwhile
 * the output of the processes in DRAIN (NULL-terminated, or NULL) is
 * captured as usual, so that none of them blocks on a full pipe. P's
 * stderr is left in its pipe for proc_wait().
 */
enum follow_end follow_stdout_lines(struct proc *p, struct proc *const drain[], int stall_ms,
                                    int total_ms, bool (*on_line)(const char *line, void *arg),
                                    void *arg);

/* --- helpers first needed by lab 02 (grader/lib/lab_helpers_02.c) ------- */

/*
 * The user the student's programs run as: a user of their own when the
 * grader runs as root, else the grader's. An IPC object the grader makes
 * for them to use (a segment for a server to attach) must be given to
 * this user (IPC_SET), or a mode of 0600 keeps them out.
 */
uid_t student_uid(void);

#endif
