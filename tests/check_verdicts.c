/*
 * check_verdicts.c - the grader's verdicts, asserted end to end.
 *
 * For every lab: its reference solution gets full marks, its skeleton
 * gets 0, and every entry of the corpus (tests/corpus/README.md: the
 * solution with a patch applied) fails exactly the tests its EXPECTED file
 * names - no more, no fewer, none for a correct variant - and keeps the
 * points of all the others.
 *
 * Environment: SHMLAB_ROOT (the checkout), SHMGRADE (the grader binary),
 * SHMLAB_REPEAT (grade each submission this many times; default 1),
 * SHMGRADE_ISOLATION (passed on to the grader: namespaces, none, auto).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

struct corpus_case {
    char *lab, *name, *dir;
};

static struct corpus_case *cases;
static size_t n_cases;
static struct names lab_ids;
static int repeat = 1;

static void discover(void)
{
    char *path = xasprintf("%s/solutions", shmlab_root);

    lab_ids = sub_folders(path);
    free(path);
    for (size_t i = 0; i < lab_ids.n; i++) {
        char *folder = xasprintf("%s/tests/corpus/%s", shmlab_root, lab_ids.names[i]);
        struct names entries = sub_folders(folder);

        cases = realloc(cases, (n_cases + entries.n) * sizeof(*cases));
        if (cases == NULL && n_cases + entries.n > 0) {
            perror("check_verdicts: realloc");
            exit(2);
        }
        for (size_t j = 0; j < entries.n; j++) {
            struct corpus_case *c = &cases[n_cases++];
            c->lab = lab_ids.names[i];
            c->name = entries.names[j];
            c->dir = xasprintf("%s/%s", folder, entries.names[j]);
        }
        free(entries.names); /* the names live on in CASES */
        free(folder);
    }
}

/* Grade SUBMISSION's LAB; check that it fails exactly EXPECTED (sorted ids,
 * "" for full marks) and loses exactly their points, REPEAT times. */
static void assert_verdict(const char *lab, const char *name, const char *submission,
                           const char *expected, const char *about)
{
    for (int run = 0; run < repeat; run++) {
        json_t *report = grade_json(lab, submission, NULL);
        int score = (int)json_int(report, "score");
        int max = (int)json_int(report, "max_score");
        char *failed = failed_ids(report);

        ck_assert_msg(max > 0, "%s has no points to give", lab);
        ck_assert_msg(strcmp(failed, expected) == 0,
                      "%s/%s (%s), run %d: expected to fail [%s] but failed [%s]", lab, name, about,
                      run + 1, expected, failed);
        ck_assert_int_eq(score, max - points_lost(report));
        if (run == 0)
            printf("verdict %-22s %-26s %3d/%-3d fails: %s\n", lab, name, score, max,
                   failed[0] ? failed : "none");
        free(failed);
        json_decref(report);
    }
}

START_TEST(solution_gets_full_marks)
{
    const char *lab = lab_ids.names[_i];
    struct staged sub = stage_in_temp(lab, NULL);

    assert_verdict(lab, "solution", sub.dir, "", "the reference solution");
    staged_remove(&sub);
}
END_TEST

START_TEST(skeleton_gets_zero)
{
    const char *lab = lab_ids.names[_i];
    char *skeletons = xasprintf("%s/labs", shmlab_root);
    json_t *report = grade_json(lab, skeletons, NULL);
    json_t *test;
    size_t index;

    ck_assert_int_eq(json_int(report, "score"), 0);
    json_array_foreach(json_object_get(report, "tests"), index, test)
    {
        /* Zero, but with feedback: a skeleton must build and fail by a
         * stated expectation, not by a build error. */
        const char *message = json_str(test, "message");
        ck_assert_msg(message != NULL && message[0] != '\0', "%s test %s failed without a reason",
                      lab, json_str(test, "id"));
        /* Failed, or not counted because a test it builds on failed. */
        const char *verdict = json_str(test, "verdict");
        ck_assert_msg(strcmp(verdict, "failed") == 0 || strcmp(verdict, "not run") == 0,
                      "%s test %s: %s", lab, json_str(test, "id"), verdict);
    }
    json_decref(report);
    free(skeletons);
}
END_TEST

/* An entry whose patch no longer applies (its solution changed) is no
 * submission to grade: staging it fails, naming the entry and the file. */
START_TEST(a_patch_that_no_longer_applies_fails_loudly)
{
    char *entry = temp_folder("stale-entry"), *dest = temp_folder("stale-dest");
    char *patch = xasprintf("%s/submission.patch", entry);
    char *script = xasprintf("%s/scripts/stage-submission", shmlab_root);
    struct proc *p;

    write_text(patch, "stale: a line the solution no longer has\n\n"
                      "--- a/writer.c\n+++ b/writer.c\n@@ -1,3 +1,3 @@\n"
                      " no such line\n-in the solution\n+at all\n no such line\n");
    p = RUN_IN(NULL, NULL, script, "01-posix-shm", dest, entry);
    assert_exit_saying(p, 1, patch);
    ck_assert_ptr_nonnull(strstr(p->err.head, "no longer applies to solutions/01-posix-shm"));
    proc_free(p);
    p = RUN_IN(NULL, NULL, "sh", "-c", "ls -A \"$0\"", dest);
    ck_assert_msg(p->out.head[0] == '\0', "a failed staging left files behind: %s", p->out.head);
    proc_free(p);
    ck_assert_int_eq(remove_tree(entry, NULL), 0);
    ck_assert_int_eq(remove_tree(dest, NULL), 0);
    free(script);
    free(patch);
    free(dest);
    free(entry);
}
END_TEST

/* The kinds of entry (tests/corpus/README.md), for scripts/corpus-table. */
static const char *const MISTAKE_CLASSES[] = {"race", "memory", "clause", "mechanism", "correct"};

/* E has a class, one of MISTAKE_CLASSES, "correct" exactly when it fails
 * nothing. */
static void assert_class(const struct corpus_case *c, const struct expected *e)
{
    bool known = false;

    ck_assert_msg(e->mistake_class != NULL, "%s/%s: EXPECTED has no 'class:' line", c->lab,
                  c->name);
    for (size_t i = 0; i < sizeof(MISTAKE_CLASSES) / sizeof(MISTAKE_CLASSES[0]); i++)
        known = known || strcmp(e->mistake_class, MISTAKE_CLASSES[i]) == 0;
    ck_assert_msg(known, "%s/%s: class '%s' is not race, memory, clause, mechanism or correct",
                  c->lab, c->name, e->mistake_class);
    ck_assert_msg((strcmp(e->mistake_class, "correct") == 0) == (e->fails[0] == '\0'),
                  "%s/%s: class %s with fails: %s", c->lab, c->name, e->mistake_class,
                  e->fails[0] ? e->fails : "none");
}

START_TEST(corpus_entry_fails_exactly_its_tests)
{
    const struct corpus_case *c = &cases[_i];
    struct expected e;
    struct staged sub;

    expected_read(c->dir, &e);
    assert_class(c, &e);
    sub = stage_in_temp(c->lab, c->dir);
    assert_verdict(c->lab, c->name, sub.dir, e.fails, e.about);
    staged_remove(&sub);
    expected_free(&e);
}
END_TEST

/*
 * The forced window of the threads driver (labs/common/threads.c): with
 * --hold-handovers, a program that sees another program's change to an
 * atomic goes on only once that program looked at an atomic again. Here
 * (tests/threads-driver), 20 times, handing sets a flag, works 5 ms
 * without looking, says it is back at its check and looks; taking waits
 * for the flag and says it acts. Held, taking speaks second in every
 * round; without the hold it speaks first in nearly every one (the test
 * fails if the hold breaks, or misses a change counted too late). lab
 * 03's no-data-race rests on this: a consumer that checks the flag once
 * finds it EMPTY every time. The driver refuses an unknown option.
 */
START_TEST(threads_driver_holds_a_handover_until_the_other_side_looks_again)
{
    char *work = temp_folder("threads-driver");
    char *folder = xasprintf("%s/labs/handover", work);
    char *key = xasprintf("SHMLAB_KEY=%d", 0x5e000000 | (getpid() & 0xffffff));
    const char *env[] = {key, NULL};
    struct proc *held, *refused;

    sh(NULL,
       "mkdir -p '%s' && cp -r '%s/labs/common' '%s/labs/' && cp '%s'/tests/threads-driver/* "
       "'%s' && make -s -C '%s' VARIANT=threads >/dev/null",
       folder, shmlab_root, work, shmlab_root, folder, folder);
    held = RUN_IN(folder, env, "./threads", "--hold-handovers", "handing",
                  "--after=handing: created", "taking");
    refused = RUN_IN(folder, env, "./threads", "--hold-handover", "handing");
    ck_assert_int_eq(remove_tree(work, NULL), 0);

    assert_exit(held, 0);
    for (int round = 1; round <= 20; round++) {
        char *back = xasprintf("[handing] handing: back at its check %d\n", round);
        char *acted = xasprintf("[taking] taking: acted %d\n", round);
        const char *back_at = strstr(held->out.head, back),
                   *acted_at = strstr(held->out.head, acted);
        ck_assert_msg(back_at != NULL && acted_at != NULL && back_at < acted_at,
                      "round %d: taking acted before handing was back at its check:\n%s", round,
                      held->out.head);
        free(acted);
        free(back);
    }
    assert_exit_saying(refused, 2, "unknown option");
    proc_free(refused);
    proc_free(held);
    free(key);
    free(folder);
    free(work);
}
END_TEST

/* Solutions get full marks and skeletons zero, lab by lab; each corpus
 * entry fails exactly the tests its EXPECTED names. */
static Suite *verdict_suite(void)
{
    Suite *s = suite_create("verdicts");
    TCase *ends = add_tests(s, "solutions and skeletons", 1200, NULL);
    TCase *corpus = ADD_TESTS(s, "corpus", 1200, a_patch_that_no_longer_applies_fails_loudly);

    ADD_TESTS(s, "threads driver", 300,
              threads_driver_holds_a_handover_until_the_other_side_looks_again);

    tcase_add_loop_test(ends, solution_gets_full_marks, 0, (int)lab_ids.n);
    tcase_add_loop_test(ends, skeleton_gets_zero, 0, (int)lab_ids.n);
    tcase_add_loop_test(corpus, corpus_entry_fails_exactly_its_tests, 0, (int)n_cases);
    return s;
}

int main(void)
{
    const char *repeat_env = getenv("SHMLAB_REPEAT");

    support_init("check_verdicts", "verdict-test");
    if (repeat_env != NULL && atoi(repeat_env) > 0)
        repeat = atoi(repeat_env);
    discover();
    if (lab_ids.n == 0) {
        fprintf(stderr, "check_verdicts: no labs under %s/solutions\n", shmlab_root);
        return 2;
    }
    return run_suite(verdict_suite());
}
