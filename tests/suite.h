/*
 * suite.h - registering and running Check suites in a statement, for every
 * suite of the project (the unit suites and the end-to-end ones).
 */
#ifndef SHMLAB_TESTS_SUITE_H
#define SHMLAB_TESTS_SUITE_H

#include <check.h>
#include <stdbool.h>

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

/* Whether this machine lets the test make a mount namespace (a chroot or a
 * container may not). When it does not, WHAT is said to be left out on
 * stderr, and the test fails instead when SHMLAB_REQUIRE_ISOLATION names
 * "namespaces" (CI), so a regression cannot hide as a skip. */
bool mount_namespaces_or_skip(const char *what);

/* Run SUITE (freed here); the exit status: 0 when every test passed. */
int run_suite(Suite *suite);

#endif
