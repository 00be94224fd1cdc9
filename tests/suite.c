/*
 * suite.c - registering and running Check suites (see suite.h).
 */
#include "suite.h"

TCase *add_tests(Suite *suite, const char *name, double timeout, const TTest *const tests[])
{
    TCase *tc = tcase_create(name);

    if (timeout > 0)
        tcase_set_timeout(tc, timeout);
    for (size_t i = 0; tests != NULL && tests[i] != NULL; i++)
        tcase_add_test(tc, tests[i]);
    suite_add_tcase(suite, tc);
    return tc;
}

Suite *suite_of(const char *name, double timeout, const TTest *const tests[])
{
    Suite *suite = suite_create(name);

    add_tests(suite, name, timeout, tests);
    return suite;
}

int run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
