/* check_labs.c - every lab linked into the grader is well formed. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/grade.h"
#include "run/hidden.h"
#include "run/verdict.h"
#include "suites.h"

START_TEST(labs_are_found_by_folder_or_number)
{
    size_t n;
    const struct lab *const *labs = registered_labs(&n);

    ck_assert_uint_ge(n, 1);
    ck_assert_str_eq(labs[0]->id, "01-posix-shm");
    ck_assert_ptr_eq(find_lab("01"), labs[0]);
    ck_assert_ptr_eq(find_lab("01-posix-shm"), labs[0]);
    ck_assert_ptr_null(find_lab("99"));
    ck_assert_ptr_null(find_lab(""));
    for (size_t i = 1; i < n; i++)
        ck_assert_int_lt(strcmp(labs[i - 1]->id, labs[i]->id), 0);
}
END_TEST

/* The tests below check one lab each: lab _i of the registry, with its
 * hidden tests (Check runs them as loop tests over every lab). */
static const struct lab *lab_number(int i)
{
    size_t n;
    const struct lab *const *labs = registered_labs(&n);

    ck_assert_int_lt(i, (int)n);
    return lab_with_hidden_tests(labs[i]);
}

static int lab_count(void)
{
    size_t n;
    registered_labs(&n);
    return (int)n;
}

START_TEST(every_test_has_an_id_title_hint_and_points)
{
    const struct lab *lab = lab_number(_i);

    ck_assert_uint_ge(lab->n_tests, 1);
    for (size_t j = 0; j < lab->n_tests; j++) {
        const struct lab_test *t = &lab->tests[j];
        ck_assert_msg(t->id && t->title && t->hint && t->run && t->points > 0,
                      "%s test %zu is incomplete", lab->id, j);
        for (size_t k = 0; k < j; k++)
            ck_assert_msg(strcmp(t->id, lab->tests[k].id) != 0, "%s: test id %s twice", lab->id,
                          t->id);
    }
}
END_TEST

/* A test builds only on tests before it in its lab's table (lab_test.needs):
 * they run first, and no two tests wait for each other. */
START_TEST(needs_name_earlier_tests_of_the_lab)
{
    const struct lab *lab = lab_number(_i);

    for (size_t j = 0; j < lab->n_tests; j++) {
        const char *id = lab->tests[j].needs;
        while (id != NULL && *id != '\0') {
            size_t len = strcspn(id, " "), k = 0;
            while (k < j &&
                   !(strlen(lab->tests[k].id) == len && strncmp(lab->tests[k].id, id, len) == 0))
                k++;
            ck_assert_msg(k < j, "%s: %s needs '%.*s', which is no test before it", lab->id,
                          lab->tests[j].id, (int)len, id);
            id += len;
            id += strspn(id, " ");
        }
    }
}
END_TEST

/* One score model: every lab is worth LAB_POINTS in all, its hidden tests
 * included, and the visible tests alone never more. */
START_TEST(every_lab_is_worth_lab_points_hidden_tests_included)
{
    const struct lab *lab = lab_number(_i);
    struct lab_result result;
    int all = 0;

    for (size_t j = 0; j < lab->n_tests; j++)
        all += lab->tests[j].points;
    ck_assert_msg(all == LAB_POINTS, "%s's tests add up to %d points, not %d", lab->id, all,
                  LAB_POINTS);
    lab_result_init(&result, lab);
    ck_assert_int_eq(result.lab_points, LAB_POINTS);
    ck_assert_int_eq(result.hidden_points, LAB_POINTS - lab_visible_points(lab));
    ck_assert_str_eq(result.id, lab->id);
    lab_result_free(&result);
    /* Lab 01 keeps 5 of its points in a hidden test. */
    if (strcmp(lab->id, "01-posix-shm") == 0)
        ck_assert_int_eq(lab_visible_points(find_lab("01")), 95);
}
END_TEST

START_TEST(student_files_exist_as_skeleton_and_solution)
{
    const char *root = getenv("SHMLAB_ROOT");
    const struct lab *lab = lab_number(_i);
    char path[4096];

    ck_assert_ptr_nonnull(root);
    for (const char *const *f = lab->student_files; *f; f++) {
        snprintf(path, sizeof(path), "%s/labs/%s/%s", root, lab->id, *f);
        ck_assert_msg(access(path, R_OK) == 0, "skeleton %s is missing", path);
        snprintf(path, sizeof(path), "%s/solutions/%s/%s", root, lab->id, *f);
        ck_assert_msg(access(path, R_OK) == 0, "solution %s is missing", path);
    }
    snprintf(path, sizeof(path), "%s/labs/%s/README.md", root, lab->id);
    ck_assert_msg(access(path, R_OK) == 0, "handout %s is missing", path);
}
END_TEST

START_TEST(student_files_are_located_in_every_layout)
{
    const struct lab *lab = find_lab("01");
    char path[4096];

    ck_assert(locate_student_file("/nonexistent", lab, "writer.c", true, path, sizeof(path)) ==
              false);
    ck_assert(
        locate_student_file(getenv("SHMLAB_ROOT"), lab, "writer.c", false, path, sizeof(path)));
    ck_assert_ptr_nonnull(strstr(path, "/labs/01-posix-shm/writer.c"));
}
END_TEST

/* The clause ids ("C3") of the contract section of LAB's handout, as one
 * space-separated string with a space at each end. */
static char *handout_clauses(const struct lab *lab)
{
    char path[4096], line[4096];
    size_t size = 2;
    char *clauses = calloc(1, 4096);
    bool in_contract = false;
    FILE *f;

    snprintf(path, sizeof(path), "%s/labs/%s/README.md", getenv("SHMLAB_ROOT"), lab->id);
    f = fopen(path, "re");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    strcpy(clauses, " ");
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "## ", 3) == 0)
            in_contract = strncmp(line, "## The contract", 15) == 0;
        for (char *c = line; in_contract && (c = strstr(c, "**C")) != NULL; c += 3) {
            int n, len = 0;
            if (sscanf(c, "**C%d**%n", &n, &len) == 1 && len > 0 && size < 4000) {
                size +=
                    (size_t)snprintf(clauses + strlen(clauses), 4096 - strlen(clauses), "C%d ", n);
            }
        }
    }
    fclose(f);
    return clauses;
}

START_TEST(every_contract_clause_has_a_test_and_every_test_a_clause)
{
    const struct lab *lab = lab_number(_i);
    char *clauses = handout_clauses(lab), covered[4096] = " ";
    ck_assert_msg(strlen(clauses) > 2, "%s: the handout's contract numbers no clause (**C1**)",
                  lab->id);
    for (size_t j = 0; j < lab->n_tests; j++) {
        const struct lab_test *t = &lab->tests[j];
        char ids[256], *save = NULL;
        ck_assert_msg(t->clauses != NULL && t->clauses[0] != '\0',
                      "%s: test %s names no clause of the contract", lab->id, t->id);
        snprintf(ids, sizeof(ids), "%s", t->clauses);
        for (char *id = strtok_r(ids, " ", &save); id; id = strtok_r(NULL, " ", &save)) {
            char word[64];
            snprintf(word, sizeof(word), " %s ", id);
            ck_assert_msg(strstr(clauses, word) != NULL,
                          "%s: test %s names clause %s, which the handout does not have", lab->id,
                          t->id, id);
            if (strstr(covered, word) == NULL)
                strncat(covered, word + 1, sizeof(covered) - strlen(covered) - 1);
        }
    }
    char copy[4096], *save = NULL;
    snprintf(copy, sizeof(copy), "%s", clauses);
    for (char *id = strtok_r(copy, " ", &save); id; id = strtok_r(NULL, " ", &save)) {
        char word[64];
        snprintf(word, sizeof(word), " %s ", id);
        ck_assert_msg(strstr(covered, word) != NULL, "%s: clause %s of the contract has no test",
                      lab->id, id);
    }
    free(clauses);
}
END_TEST

Suite *labs_suite(void)
{
    Suite *s = SUITE_OF("labs", 0, labs_are_found_by_folder_or_number,
                        student_files_are_located_in_every_layout);
    TCase *each_lab = tcase_create("each lab");
    int n = lab_count();

    tcase_add_loop_test(each_lab, every_test_has_an_id_title_hint_and_points, 0, n);
    tcase_add_loop_test(each_lab, needs_name_earlier_tests_of_the_lab, 0, n);
    tcase_add_loop_test(each_lab, every_lab_is_worth_lab_points_hidden_tests_included, 0, n);
    tcase_add_loop_test(each_lab, student_files_exist_as_skeleton_and_solution, 0, n);
    tcase_add_loop_test(each_lab, every_contract_clause_has_a_test_and_every_test_a_clause, 0, n);
    suite_add_tcase(s, each_lab);
    return s;
}
