/*
 * mismatch.c - the one way a test shows how output differs from what the
 * handout asks: the expected and the actual line, each in quotes with
 * invisible characters made visible (tabs, trailing spaces, carriage
 * returns, escape sequences), and a marker under the first difference.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "harness/context.h"

/* Byte offset of the first character where A and B differ (a whole
 * UTF-8 sequence counts as one character). */
static size_t first_difference(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t i = 0;

    while (i < a_len && i < b_len) {
        size_t n = utf8_sequence_length((const unsigned char *)a + i, a_len - i);
        if (n == 0)
            n = 1;
        if (i + n > b_len || memcmp(a + i, b + i, n) != 0)
            break;
        i += n;
    }
    return i;
}

/* The label column: "expected: " and "actual:   " are as wide. */
#define MISMATCH_INDENT "      "

static void show_pair(struct test_ctx *t, const char *expected, size_t expected_len,
                      const char *actual, size_t actual_len)
{
    char *shown_expected = text_visible(expected, expected_len, true);
    char *shown_actual = text_visible(actual, actual_len, true);
    size_t at = first_difference(expected, expected_len, actual, actual_len);
    /* One column for the opening quote. */
    size_t column = 1 + text_visible_width(actual, at);
    const char *what = at == actual_len     ? "the actual line ends here"
                       : at == expected_len ? "the actual line goes on here"
                                            : "first difference";

    record_append(t->rec, MISMATCH_INDENT "expected: %s\n", shown_expected);
    record_append(t->rec, MISMATCH_INDENT "actual:   %s\n", shown_actual);
    record_append(t->rec, MISMATCH_INDENT "          %*s^ %s\n", (int)column, "", what);
    free(shown_expected);
    free(shown_actual);
}

void show_mismatch(struct test_ctx *t, const char *expected, const char *actual)
{
    char *shown;

    if (expected != NULL && actual != NULL) {
        show_pair(t, expected, strlen(expected), actual, strlen(actual));
        return;
    }
    if (expected == NULL && actual == NULL)
        return;
    /* A line where the output should have ended, or an end where a line
     * was due. */
    shown = text_visible(expected != NULL ? expected : actual,
                         strlen(expected != NULL ? expected : actual), true);
    record_append(t->rec, MISMATCH_INDENT "expected: %s\n",
                  expected != NULL ? shown : "(no more lines)");
    record_append(t->rec, MISMATCH_INDENT "actual:   %s\n",
                  actual != NULL ? shown : "(no more lines)");
    free(shown);
}

/* A line of the expected text: where it starts and how long it is. */
struct text_line {
    const char *start;
    size_t len;
    bool newline;
};

/* Line N of TEXT[0..LEN); false past the end. */
static bool nth_line(const char *text, size_t len, size_t n, struct text_line *line)
{
    size_t pos = 0;

    for (size_t i = 0; pos < len; i++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (i == n) {
            *line = (struct text_line){text + pos, end - pos, nl != NULL};
            return true;
        }
        pos = end + 1;
    }
    return false;
}

static void show_line(struct test_ctx *t, const char *label, const struct text_line *line)
{
    char *shown = text_visible(line->start, line->len, true);
    record_append(t->rec, MISMATCH_INDENT "%s %s\n", label, shown);
    free(shown);
}

bool stdout_matches(struct test_ctx *t, struct proc *p, const char *expected)
{
    const struct capture *out = &p->out;
    size_t expected_len = strlen(expected);
    struct text_line want = {0}, got = {0};
    size_t n = 0;

    if (out->total > out->head_len)
        return check(t, false, "`%s` printed %zu bytes on stdout, far more than the handout asks",
                     p->command, out->total);
    for (;; n++) {
        bool has_want = nth_line(expected, expected_len, n, &want);
        bool has_got = nth_line(out->head, out->head_len, n, &got);
        if (!has_want && !has_got)
            return true;
        if (has_want && has_got && want.len == got.len &&
            memcmp(want.start, got.start, want.len) == 0) {
            if (want.newline == got.newline)
                continue;
            check(t, false, "line %zu of `%s`'s stdout %s", n + 1, p->command,
                  want.newline ? "lacks its newline (\\n) at the end"
                               : "should not end with a newline");
            show_line(t, "line:    ", &got);
            return false;
        }
        if (!has_got) {
            check(t, false, "`%s` should print the line \"%.*s\" on stdout%s, but %s", p->command,
                  want.len > 200 ? 200 : (int)want.len, want.start,
                  n == 0 ? "" : textf(t, " (its line %zu)", n + 1),
                  n == 0 ? "it printed nothing"
                         : textf(t, "its stdout ended after %zu line%s", n, n == 1 ? "" : "s"));
            show_line(t, textf(t, "expected line %zu:", n + 1), &want);
            return false;
        }
        if (!has_want) {
            check(t, false, "`%s` should print %zu line%s on stdout, but it printed more",
                  p->command, n, n == 1 ? "" : "s");
            show_line(t, textf(t, "extra line %zu:   ", n + 1), &got);
            return false;
        }
        check(t, false, "line %zu of `%s`'s stdout is not what the handout asks", n + 1,
              p->command);
        if (n > 0 && nth_line(out->head, out->head_len, n - 1, &got))
            show_line(t, textf(t, "line %zu:  ", n), &got);
        nth_line(out->head, out->head_len, n, &got);
        show_pair(t, want.start, want.len, got.start, got.len);
        return false;
    }
}

bool stdout_has_lines(struct test_ctx *t, struct proc *p, const char *const *lines)
{
    const struct capture *out = &p->out;
    struct text_line got;
    size_t from = 0;

    for (size_t i = 0; lines[i] != NULL; i++) {
        size_t want_len = strlen(lines[i]), best = 0, best_common = 0;
        bool found = false;
        for (size_t n = from; nth_line(out->head, out->head_len, n, &got); n++) {
            if (got.len == want_len && memcmp(got.start, lines[i], want_len) == 0) {
                found = true;
                from = n + 1;
                break;
            }
            size_t common = first_difference(lines[i], want_len, got.start, got.len);
            if (common >= best_common) {
                best_common = common;
                best = n;
            }
        }
        if (found)
            continue;
        check(t, false, "`%s` should print the line %s on stdout%s", p->command,
              textf(t, "\"%.200s%s\"", lines[i], want_len > 200 ? "..." : ""),
              i > 0 ? textf(t, " after \"%.100s\"", lines[i - 1]) : "");
        if (nth_line(out->head, out->head_len, best, &got) && best >= from) {
            record_append(t->rec, MISMATCH_INDENT "the closest line it printed:\n");
            show_pair(t, lines[i], want_len, got.start, got.len);
        }
        return false;
    }
    return true;
}
