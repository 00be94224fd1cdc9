/* hints.c - see hints.h. */
#define _GNU_SOURCE
#include "learn/hints.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/text.h"
#include "report/report.h"
#include "run/grade.h"

/* The checkout's state folder and the file of hints seen. */
#define STATE_FOLDER ".shmlab"
#define HINTS_SEEN   STATE_FOLDER "/hints.json"

const char *hint_level_name(size_t i, size_t n)
{
    if (n == 1)
        return "the hint";
    if (i == 0)
        return "the idea";
    return i + 1 == n ? "a nudge" : "where to look";
}

void hints_free(struct hint_levels *hints)
{
    for (size_t i = 0; i < hints->n; i++)
        free(hints->levels[i]);
    hints->n = 0;
}

int hints_load(const char *root, const char *lab, const char *test, const char *fallback,
               struct hint_levels *hints)
{
    char *path = xasprintf("%s/labs/%s/hints.json", root, lab);
    json_error_t error;
    json_t *all, *levels;
    int rc = 0;

    hints->n = 0;
    all = json_load_file(path, 0, &error);
    if (all == NULL && access(path, F_OK) == 0) {
        fprintf(stderr, "shmgrade: %s:%d: %s\n", path, error.line, error.text);
        free(path);
        return -1;
    }
    levels = all ? json_object_get(all, test) : NULL;
    if (levels != NULL) {
        size_t n = json_array_size(levels);
        if (!json_is_array(levels) || n == 0 || n > MAX_HINT_LEVELS) {
            fprintf(stderr, "shmgrade: %s: \"%s\" should be a list of 1 to %d hints\n", path, test,
                    MAX_HINT_LEVELS);
            rc = -1;
        }
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const char *text = json_string_value(json_array_get(levels, i));
            if (text == NULL) {
                fprintf(stderr, "shmgrade: %s: hint %zu of \"%s\" is not a string\n", path, i + 1,
                        test);
                rc = -1;
                break;
            }
            hints->levels[hints->n++] = xstrdup(text);
        }
    } else if (fallback != NULL) {
        hints->levels[hints->n++] = xstrdup(fallback);
    }
    if (rc < 0)
        hints_free(hints);
    json_decref(all);
    free(path);
    return rc;
}

/* The state of hints seen in ROOT (an empty object if there is none yet). */
static json_t *seen_state(const char *root)
{
    char *path = xasprintf("%s/" HINTS_SEEN, root);
    json_t *state = json_load_file(path, 0, NULL);

    free(path);
    if (!json_is_object(state)) {
        json_decref(state);
        state = json_object();
    }
    return state;
}

size_t hints_seen(const char *root, const char *lab, const char *test)
{
    json_t *state = seen_state(root);
    json_int_t n = json_integer_value(json_object_get(json_object_get(state, lab), test));

    json_decref(state);
    return n > 0 ? (size_t)n : 0;
}

int hints_remember(const char *root, const char *lab, const char *test, size_t n)
{
    char *folder = xasprintf("%s/" STATE_FOLDER, root);
    char *path = xasprintf("%s/" HINTS_SEEN, root);
    json_t *state = seen_state(root), *of_lab;
    int rc = 0;

    of_lab = json_object_get(state, lab);
    if (!json_is_object(of_lab)) {
        of_lab = json_object();
        json_object_set_new(state, lab, of_lab);
    }
    json_object_set_new(of_lab, test, json_integer((json_int_t)n));
    if (mkdir(folder, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "shmgrade: mkdir %s: %s\n", folder, strerror(errno));
        rc = -1;
    } else if (json_dump_file(state, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
        fprintf(stderr, "shmgrade: cannot write %s\n", path);
        rc = -1;
    }
    json_decref(state);
    free(path);
    free(folder);
    return rc;
}

int hints_show(FILE *out, const char *root, const struct lab *lab, const char *test_id,
               const char *again, const struct text_style *style)
{
    const struct lab_test *test = lab_find_test(lab, test_id);
    struct hint_levels hints;
    size_t before, seen;

    if (test == NULL || hints_load(root, lab->id, test->id, test->hint, &hints) < 0)
        return -1;
    char *heading = xasprintf("%s (%s): %s", test->id, lab->id, test->title);
    report_paragraph(out, "", heading, style);
    free(heading);
    if (hints.n == 0) {
        fprintf(out, "  This test has no hint: its title and the handout are all there is.\n");
        return 0;
    }
    before = hints_seen(root, lab->id, test->id);
    seen = before < hints.n ? before + 1 : hints.n;
    for (size_t i = 0; i < seen; i++) {
        char *text = hints.n == 1
                         ? xasprintf("hint: %s", hints.levels[i])
                         : xasprintf("hint %zu of %zu, %s%s: %s", i + 1, hints.n,
                                     hint_level_name(i, hints.n),
                                     i == before && i > 0 ? " (new)" : "", hints.levels[i]);
        report_paragraph(out, "  ", text, style);
        free(text);
    }
    if (seen < hints.n)
        fprintf(out, "  %zu more level%s, closer to the code: %s\n", hints.n - seen,
                hints.n - seen == 1 ? "" : "s", again);
    else
        fprintf(out, "  That is every hint of this test: the rest is yours to write.\n");
    int rc = hints_remember(root, lab->id, test->id, seen);
    hints_free(&hints);
    return rc;
}
