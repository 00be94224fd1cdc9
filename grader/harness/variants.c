/*
 * variants.c - what a test's build variant adds to it: the environment
 * of its programs, and the sanitizer report that fails it.
 */
#include "harness/context.h"

const char *const *variant_env(const struct test_ctx *t)
{
    static const char *const none[] = {NULL};

    switch (t->test->build) {
    case BUILD_SANITIZE:
        return SANITIZER_ENV;
    case BUILD_THREADS:
        return THREAD_SANITIZER_ENV;
    case BUILD_NORMAL:
        break;
    }
    return none;
}

bool variant_report(struct test_ctx *t, struct proc *p)
{
    switch (t->test->build) {
    case BUILD_SANITIZE:
        return sanitizer_report(t, p);
    case BUILD_THREADS:
        return thread_sanitizer_report(t, p);
    case BUILD_NORMAL:
        break;
    }
    return false;
}
