/*
 * support.h - what the project's own suites (check_verdicts, check_hostile,
 * check_cli, check_instructor) share: the checkout and the
 * grader under test, running programs and the grader, reading its JSON reports, staging submissions
 * from the corpora, EXPECTED files, files and folders.
 *
 * Every helper asserts (Check's ck_assert): a failure ends the test that
 * called it with a message naming what failed, never a crash later on.
 */
#ifndef SHMLAB_TESTS_SUPPORT_H
#define SHMLAB_TESTS_SUPPORT_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/fs.h" /* remove_tree */
#include "core/proc.h"
#include "core/text.h" /* xasprintf */
#include "suite.h"     /* ADD_TESTS, run_suite */

/* The checkout (SHMLAB_ROOT) and the grader under test (SHMGRADE). */
extern const char *shmlab_root;
extern const char *shmgrade_path;

/*
 * Read SHMLAB_ROOT and SHMGRADE; without them, say which make target sets
 * them (MAKE_TARGET) and exit 2. SUITE names the program in messages.
 */
void support_init(const char *suite, const char *make_target);

/* --- running programs ------------------------------------------------------ */

/* How long a program may take before the test fails (ms). */
#define SUPPORT_TIMEOUT_MS (15 * 60 * 1000)

/*
 * Run ARGV in CWD (NULL: this folder) with the clean environment of proc.h,
 * SHMLAB_ROOT, and the NULL-terminated ENV entries (or NULL). ARGV[0] is
 * found on PATH when it holds no '/'. Waits until it ends; the caller frees
 * the result.
 */
struct proc *run_program(const char *cwd, const char *const *env, const char *const argv[]);
#define RUN_IN(cwd, env, ...) run_program((cwd), (env), (const char *const[]){__VA_ARGS__, NULL})

/* Start ARGV the same way without waiting. */
struct proc *start_program(const char *cwd, const char *const *env, const char *const argv[]);

/* ... as the user USER (its own group, no other), from a suite run as
 * root; USER 0: as the suite runs. */
/* proc_opts.before_exec that does it: become the user *(uid_t *)USER. */
int become_user(void *user, char *why, size_t size);
struct proc *start_program_as(uid_t user, const char *cwd, const char *const *env,
                              const char *const argv[]);

/* P ended with exit status CODE. */
void assert_exit(const struct proc *p, int code);
/* ... and its stdout or stderr says NEEDLE. */
void assert_exit_saying(const struct proc *p, int code, const char *needle);

/* Run a shell script (sh -euc) in CWD; it must succeed. */
void sh(const char *cwd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- the grader ------------------------------------------------------------- */

/*
 * Start shmgrade with ARGS (NULL-terminated) and the extra ENV entries (or
 * NULL). SHMGRADE_ISOLATION is passed on when it is set, so that a suite
 * runs in the isolation level it is asked to.
 */
struct proc *shmgrade_start(const char *const args[], const char *const *env);

/* ... as the user USER (0: as the suite runs), as start_program_as(). */
struct proc *shmgrade_start_as(uid_t user, const char *const args[], const char *const *env);

/* Wait for a grading started by shmgrade_start: it must end with 0 (full
 * marks) or 1 (some test failed). Returns that status; P is not freed. */
int shmgrade_finish(struct proc *p, const char *what);

/* Grade LAB of SUBMISSION with hidden tests and the extra ARGS (or NULL);
 * the JSON report, which the caller frees. */
json_t *grade_json(const char *lab, const char *submission, const char *const *args);

/* --- reading a report -------------------------------------------------------- */

/* OBJECT's member KEY as a number (0 if it is none) or a string (NULL). */
long long json_int(json_t *object, const char *key);
const char *json_str(json_t *object, const char *key);

/* Did TEST (an element of a report's "tests") pass? */
bool test_passed(json_t *test);

/* The ids of the tests that did not pass, sorted, space-separated. */
char *failed_ids(json_t *report);

/* The points of the tests that did not pass. */
int points_lost(json_t *report);

/* The whitespace-separated WORDS, sorted, space-separated. */
char *sorted_words(const char *words);

/* --- corpus entries -------------------------------------------------------------- */

/*
 * An entry's EXPECTED file (tests/corpus/README.md):
 *     about: what the submission does             (required)
 *     fails: test-id ... | none                   (required)
 *     class: race | memory | clause | mechanism | correct
 *                                                (a corpus entry: the kind
 *                                                 of mistake, or a correct
 *                                                 variant)
 *     says: text a report must hold               (optional)
 *     tests: test-id ...                         (a hostile entry: the
 *                                                 tests it is graded with)
 *     options: --option ...                      (a hostile entry: more
 *                                                 options of the grader)
 *     shows: text                                (a hostile entry, any
 *                                                 number: text some string
 *                                                 of the report holds)
 *     terminal: yes                              (a hostile entry: graded
 *                                                 inside a pseudo-terminal)
 * FAILS is sorted and space-separated, "" for none; TESTS comma-separated
 * (as --test takes them), NULL if absent; OPTIONS NULL-terminated, empty
 * if absent.
 */
struct expected {
    char *about, *fails, *says, *tests;
    char *mistake_class; /* "class:", NULL if absent */
    char *options_text;
    const char *options[8];
    char *shows[4]; /* NULL-terminated */
    bool terminal;  /* "terminal: yes": graded inside a pseudo-terminal */
};
void expected_read(const char *entry, struct expected *e);
void expected_free(struct expected *e);

/* The sorted names of the sub-folders of PATH (none if it is missing).
 * Usable before the tests run (no assertion). */
struct names {
    char **names;
    size_t n;
};
struct names sub_folders(const char *path);
void names_free(struct names *list);

/*
 * Stage LAB's reference solution into DEST (made if need be) with ENTRY
 * applied (a corpus or hostile entry's folder; NULL for the solution), by
 * scripts/stage-submission: the one way every consumer of the corpora
 * stages a submission.
 */
void stage_submission(const char *lab, const char *entry, const char *dest);

/* A submission staged in a fresh temporary folder DIR, as DIR/LAB/ (LAB_DIR). */
struct staged {
    char *dir, *lab_dir;
};
struct staged stage_in_temp(const char *lab, const char *entry);
/* The path of the file NAME in the staged lab folder; the caller frees it. */
char *staged_file(const struct staged *s, const char *name);
/* Remove the folder and free S. */
void staged_remove(struct staged *s);

/* --- files and folders ------------------------------------------------------------- */

/* A fresh folder /tmp/shmlab-WHAT-XXXXXX (under TMPDIR if set), mode 0711
 * so that a sandbox user may pass through it. The caller frees the path. */
char *temp_folder(const char *what);

/* The whole file (NUL-terminated); its length in *SIZE if SIZE. */
char *read_file(const char *path, size_t *size);
void write_file(const char *path, const void *data, size_t size);
void write_text(const char *path, const char *text);
void copy_file(const char *from, const char *to);
/* PATH and its missing parents. */
void make_dirs(const char *path);
/* (Removing a tree: core/fs.h's remove_tree.) */

#endif
