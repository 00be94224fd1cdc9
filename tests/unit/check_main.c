/* check_main.c - runs every unit suite of the grader's library. */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

int main(void)
{
    SRunner *runner = srunner_create(proc_suite());
    int failed;

    srunner_add_suite(runner, ipc_suite());
    srunner_add_suite(runner, runner_suite());
    srunner_add_suite(runner, report_suite());
    srunner_add_suite(runner, labs_suite());
    srunner_add_suite(runner, text_suite());
    srunner_add_suite(runner, markup_suite());
    srunner_add_suite(runner, layering_suite());
    srunner_add_suite(runner, preflight_suite());
    srunner_add_suite(runner, sandbox_suite());
    srunner_add_suite(runner, trace_suite());
    srunner_add_suite(runner, leftovers_suite());
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
