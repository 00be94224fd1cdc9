/* verdict.c - see verdict.h. */
#include "run/verdict.h"

void verdict_init(struct test_verdict *verdict, const struct lab_test *test)
{
    test_verdict_describe(verdict, test->id, test->title, test->hint, test->flags, test->points);
}

int lab_visible_points(const struct lab *lab)
{
    int points = 0;

    for (size_t i = 0; i < lab->n_tests; i++)
        if (!(lab->tests[i].flags & TEST_HIDDEN))
            points += lab->tests[i].points;
    return points;
}

void lab_result_init(struct lab_result *result, const struct lab *lab)
{
    int visible = lab_visible_points(lab);

    lab_result_describe(result, lab->id, lab->title, LAB_POINTS,
                        visible < LAB_POINTS ? LAB_POINTS - visible : 0);
}
