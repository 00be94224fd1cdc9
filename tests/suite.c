/*
 * suite.c - registering and running Check suites (see suite.h).
 */
#define _GNU_SOURCE /* unshare */
#include "suite.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

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

bool mount_namespaces_or_skip(const char *what)
{
    const char *required = getenv("SHMLAB_REQUIRE_ISOLATION");
    pid_t pid = fork();
    int status;

    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0
                  ? 0
                  : 1);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    ck_assert_msg(
        required == NULL || strstr(required, "namespaces") == NULL,
        "%s: this machine cannot make a mount namespace of its own (unshare, or a private /), and "
        "SHMLAB_REQUIRE_ISOLATION=%s requires namespaces",
        what, required);
    fprintf(stderr, "SKIPPED: %s: this machine cannot make a mount namespace of its own\n", what);
    return false;
}
