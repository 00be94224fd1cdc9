/* suites.h - the unit suites of the grader's library. */
#ifndef SHMLAB_TEST_SUITES_H
#define SHMLAB_TEST_SUITES_H

#include <check.h>

#include "../suite.h" /* SUITE_OF */

Suite *proc_suite(void);
Suite *ipc_suite(void);
Suite *runner_suite(void);
Suite *report_suite(void);
Suite *labs_suite(void);
Suite *text_suite(void);
Suite *markup_suite(void);
Suite *layering_suite(void);
Suite *preflight_suite(void);
Suite *sandbox_suite(void);
Suite *trace_suite(void);
Suite *leftovers_suite(void);

#endif
