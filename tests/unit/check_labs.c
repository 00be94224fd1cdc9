/* check_labs.c - every lab linked into the grader is well formed. */
#define _GNU_SOURCE
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

START_TEST(every_test_has_an_id_title_hint_and_points)
{
    size_t n;
    const struct lab *const *labs = registered_labs(&n);

    for (size_t i = 0; i < n; i++) {
        const struct lab *lab = labs[i];
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
}
END_TEST

/* One score model: every lab is worth LAB_POINTS in all, its hidden tests
 * included, and the visible tests alone never more. */
START_TEST(every_lab_is_worth_lab_points_hidden_tests_included)
{
    size_t n;
    const struct lab *const *labs = registered_labs(&n);

    for (size_t i = 0; i < n; i++) {
        const struct lab *lab = lab_with_hidden_tests(labs[i]);
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
    }
    /* Lab 01 keeps 5 of its points in a hidden test. */
    ck_assert_int_eq(lab_visible_points(find_lab("01")), 95);
}
END_TEST

START_TEST(student_files_exist_as_skeleton_and_solution)
{
    const char *root = getenv("SHMLAB_ROOT");
    size_t n;
    const struct lab *const *labs = registered_labs(&n);
    char path[4096];

    ck_assert_ptr_nonnull(root);
    for (size_t i = 0; i < n; i++) {
        for (const char *const *f = labs[i]->student_files; *f; f++) {
            snprintf(path, sizeof(path), "%s/labs/%s/%s", root, labs[i]->id, *f);
            ck_assert_msg(access(path, R_OK) == 0, "skeleton %s is missing", path);
            snprintf(path, sizeof(path), "%s/solutions/%s/%s", root, labs[i]->id, *f);
            ck_assert_msg(access(path, R_OK) == 0, "solution %s is missing", path);
        }
        snprintf(path, sizeof(path), "%s/labs/%s/README.md", root, labs[i]->id);
        ck_assert_msg(access(path, R_OK) == 0, "handout %s is missing", path);
    }
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

Suite *labs_suite(void)
{
    return SUITE_OF(
        "labs", 0, labs_are_found_by_folder_or_number, every_test_has_an_id_title_hint_and_points,
        every_lab_is_worth_lab_points_hidden_tests_included,
        student_files_exist_as_skeleton_and_solution, student_files_are_located_in_every_layout);
}
