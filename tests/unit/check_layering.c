/* check_layering.c - scripts/check-layering finds every include that points
 * the wrong way (core <- sandbox <- harness <- run <- cli, core <- report). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/proc.h"
#include "suites.h"

static char tree[64];

static void write_source(const char *file, const char *text)
{
    char path[256], *slash;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tree, file);
    for (slash = strchr(path + strlen(tree) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A tree that follows the layering. */
static void make_tree(void)
{
    snprintf(tree, sizeof(tree), "/tmp/shmlab-layers-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tree));
    write_source("grader/core/text.h", "#include <stdio.h>\n");
    write_source("grader/sandbox/sandbox.c", "#include \"core/text.h\"\n");
    write_source("grader/harness/harness.h",
                 "#include \"core/text.h\"\n#include \"sandbox/s.h\"\n");
    write_source("grader/report/result.c", "#include \"report/result.h\"\n#include \"core/x.h\"\n");
    write_source("grader/run/grade.c", "#include \"harness/harness.h\"\n#include \"report/r.h\"\n");
    write_source("grader/cli/shmgrade.c", "#include \"run/grade.h\"\n");
    write_source("labs/01-x/tests.c", "#include \"harness/harness.h\"\n");
    write_source("labs/01-x/hidden_tests.c", "#include \"run/hidden.h\"\n");
    write_source("labs/01-x/writer.c", "#include \"shmlab.h\"\n"); /* student code: not ours */
}

/* scripts/check-layering on the tree: its exit status; stderr in ERR. */
static int check_layering(char *err, size_t size)
{
    char script[4200];
    const char *argv[] = {"/bin/sh", script, tree, NULL};
    struct proc *p;
    int code;

    snprintf(script, sizeof(script), "%s/scripts/check-layering", getenv("SHMLAB_ROOT"));
    p = proc_spawn(argv, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert(proc_wait(p, 30000));
    ck_assert(p->state == PROC_EXITED);
    code = p->exit_code;
    snprintf(err, size, "%s", p->err.head);
    proc_free(p);
    return code;
}

static void assert_refused(const char *file, const char *include, const char *needle)
{
    char err[4096], text[256];

    make_tree();
    snprintf(text, sizeof(text), "#include <stdlib.h>\n#include \"%s\"\n", include);
    write_source(file, text);
    ck_assert_msg(check_layering(err, sizeof(err)) == 1, "%s including %s passed", file, include);
    ck_assert_msg(strstr(err, needle) != NULL, "check-layering said: %s", err);
    remove_tree(tree, NULL);
}

START_TEST(a_tree_that_follows_the_layers_passes)
{
    char err[4096];

    make_tree();
    ck_assert_msg(check_layering(err, sizeof(err)) == 0, "check-layering said: %s", err);
    remove_tree(tree, NULL);
}
END_TEST

START_TEST(every_wrong_way_include_is_refused)
{
    assert_refused("grader/report/formats.c", "run/grade.h",
                   "grader/report/formats.c:2: report may not include run/grade.h");
    assert_refused("grader/report/result.h", "harness/harness.h", "report may not include");
    assert_refused("grader/core/proc.c", "sandbox/sandbox.h", "core may not include");
    assert_refused("grader/sandbox/policy.c", "run/runner.h", "sandbox may not include");
    assert_refused("grader/harness/follow.c", "report/result.h", "harness may not include");
    assert_refused("grader/run/grade.c", "cli/options.h", "run may not include");
    assert_refused("labs/02-y/tests.c", "sandbox/sandbox.h", "labs may not include");
    assert_refused("grader/run/grade.c", "grade.h", "names no folder");
    assert_refused("grader/lib/old.c", "core/proc.h", "no layer of grader/");
}
END_TEST

Suite *layering_suite(void)
{
    return SUITE_OF("layering", 0, a_tree_that_follows_the_layers_passes,
                    every_wrong_way_include_is_refused);
}
