/* replay.c - see replay.h. */
#define _GNU_SOURCE
#include "learn/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"
#include "run/grade.h"
#include "run/hidden.h"

char *replay_script_path(const char *root, const char *lab, const char *test)
{
    return xasprintf("%s/labs/%s/repro/%s.sh", root, lab, test);
}

/* The make VARIANT TEST of LAB is built with ("" for the usual build). */
static const char *variant_of(const char *lab_id, const char *test_id)
{
    const struct lab *lab = find_lab(lab_id);
    const struct lab_test *test = lab ? lab_find_test(lab_with_hidden_tests(lab), test_id) : NULL;

    if (test == NULL)
        return "";
    return test->build == BUILD_SANITIZE  ? "sanitize"
           : test->build == BUILD_THREADS ? "threads"
                                          : "";
}

/* TEXT on one comment line: its first line, cut. */
static void comment(FILE *out, const char *label, const char *text)
{
    size_t len = strcspn(text, "\n");
    fprintf(out, "# %s%.*s%s\n", label, (int)(len > 300 ? 300 : len), text, len > 300 ? "..." : "");
}

static void write_script(FILE *out, const char *shmgrade, const struct lab_result *lab,
                         const struct test_verdict *test, const char *variant)
{
    const char *status = test->status == STATUS_PASSED ? NULL : test->message;

    fprintf(out, "#!/usr/bin/env bash\n");
    fprintf(out, "# Replays the test %s of lab %s, step by step, as the grader ran it:\n", test->id,
            lab->id);
    comment(out, "  ", test->title);
    if (status != NULL)
        comment(out, "When graded, it failed: ", status);
    else
        fprintf(out, "# When graded, it passed.\n");
    fprintf(out,
            "#\n"
            "# It builds your programs with the lab's Makefile, then does what the test did,\n"
            "# from the lab folder, checking what the test checked, and stops at the first\n"
            "# step that goes wrong. Run it again after each change (bash repro/%s.sh in\n"
            "# the lab folder); REPLAY_PAUSE=1 pauses where it fails, to look around.\n"
            "# The steps are the functions of ../common/replay.sh.\n",
            test->id);
    fprintf(out, "cd \"$(dirname \"$0\")/..\" || exit 2\n");
    fprintf(out, "SHMGRADE=%s\n", shmgrade);
    fprintf(out, ". ../common/replay.sh\n");
    fprintf(out, "replay_build%s%s\n", variant[0] ? " " : "", variant);
    if (strstr(test->replay, "$SHMLAB_PERTURB") != NULL)
        fprintf(out, "replay_perturb\n");
    fprintf(out, "\n%s\nreplay_end %s\n", test->replay, status == NULL ? "passed" : "failed");
}

int replay_write(const char *root, const char *shmgrade, const struct lab_result *lab,
                 const struct test_verdict *test)
{
    char *path = replay_script_path(root, lab->id, test->id);
    char *folder = xasprintf("%s/labs/%s/repro", root, lab->id);
    int rc = -1;
    FILE *out;

    if (test->replay == NULL || test->replay[0] == '\0') {
        fprintf(stderr, "shmgrade: test %s of %s recorded no steps to replay\n", test->id, lab->id);
        goto done;
    }
    if (mkdir(folder, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "shmgrade: mkdir %s: %s\n", folder, strerror(errno));
        goto done;
    }
    out = fopen(path, "we");
    if (out == NULL) {
        fprintf(stderr, "shmgrade: cannot write %s: %s\n", path, strerror(errno));
        goto done;
    }
    write_script(out, shmgrade, lab, test, variant_of(lab->id, test->id));
    if (fchmod(fileno(out), 0755) < 0)
        fprintf(stderr, "shmgrade: chmod %s: %s\n", path, strerror(errno));
    if (fclose(out) != 0)
        fprintf(stderr, "shmgrade: cannot write %s: %s\n", path, strerror(errno));
    else
        rc = 0;
done:
    free(folder);
    free(path);
    return rc;
}

void replay_forget(const char *root, const char *lab, const char *test)
{
    char *path = replay_script_path(root, lab, test);

    if (unlink(path) < 0 && errno != ENOENT)
        fprintf(stderr, "shmgrade: cannot remove %s: %s\n", path, strerror(errno));
    free(path);
}
