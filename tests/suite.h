/*
 * suite.h - registering and running Check suites in a statement, for every
 * suite of the project (the unit suites and the end-to-end ones).
 */
#ifndef SHMLAB_TESTS_SUITE_H
#define SHMLAB_TESTS_SUITE_H

#include <check.h>

/* Add to SUITE a test case NAME of the NULL-terminated TESTS (or none),
 * each allowed TIMEOUT seconds (0: Check's default, CK_DEFAULT_TIMEOUT);
 * the case, for loop tests. */
TCase *add_tests(Suite *suite, const char *name, double timeout, const TTest *const tests[]);
#define ADD_TESTS(suite, name, timeout, ...)                                                       \
    add_tests((suite), (name), (timeout), (const TTest *const[]){__VA_ARGS__, NULL})

/* A suite NAME of one test case of the TESTS: a unit suite in a statement. */
Suite *suite_of(const char *name, double timeout, const TTest *const tests[]);
#define SUITE_OF(name, timeout, ...)                                                               \
    suite_of((name), (timeout), (const TTest *const[]){__VA_ARGS__, NULL})

/* Run SUITE (freed here); the exit status: 0 when every test passed. */
int run_suite(Suite *suite);

#endif
