/*
 * hints.h - hints in levels, on request: the idea behind a test first,
 * then where to look, then a nudge close to the code (never the
 * solution's code). A lab keeps them in labs/LAB/hints.json, an object of
 * test ids, each with a list of levels:
 *
 *     { "round-trip": ["the idea...", "where to look...", "a nudge..."] }
 *
 * A test without an entry has one level: its hint in tests.c. What a
 * student has seen is remembered in the checkout (.shmlab/hints.json), so
 * each request shows what was shown before and one level more.
 */
#ifndef SHMGRADE_HINTS_H
#define SHMGRADE_HINTS_H

#include <stddef.h>
#include <stdio.h>

#define MAX_HINT_LEVELS 3

struct hint_levels {
    size_t n;                      /* 0: the test has no hint */
    char *levels[MAX_HINT_LEVELS]; /* each allocated */
};

/*
 * The levels of TEST of LAB in ROOT: from labs/LAB/hints.json, else the
 * test's own hint (FALLBACK, or NULL). -1 with the reason on stderr when
 * the file cannot be read or is not as above.
 */
int hints_load(const char *root, const char *lab, const char *test, const char *fallback,
               struct hint_levels *hints);
void hints_free(struct hint_levels *hints);

/* How many levels of TEST of LAB the student has seen (the state in ROOT). */
size_t hints_seen(const char *root, const char *lab, const char *test);

/* Remember that the student has seen N levels; 0, or -1 with the reason
 * on stderr. */
int hints_remember(const char *root, const char *lab, const char *test, size_t n);

/*
 * `make hint`: the levels of TEST of LAB the student has seen and one
 * more (up to the last), remembered; AGAIN is the command that shows the
 * next. 0, or -1 with the reason on stderr.
 */
struct lab;
struct text_style;
int hints_show(FILE *out, const char *root, const struct lab *lab, const char *test,
               const char *again, const struct text_style *style);

/* The name of level I (0-based) of N: "the idea", "where to look", "a nudge". */
const char *hint_level_name(size_t i, size_t n);

#endif
