/*
 * text.h - strings the grader builds, and untrusted bytes made readable.
 *
 * Everything a student program prints is untrusted: it may hold escape
 * sequences that repaint a terminal, carriage returns that hide a line,
 * or bytes that are not UTF-8. text_visible() is the one place that turns
 * such bytes into text a person can read and no terminal can act on.
 */
#ifndef SHMGRADE_TEXT_H
#define SHMGRADE_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A formatted string on the heap; the grader exits with status 3 (its
 * own failure) when memory runs out. The caller frees it. */
char *xasprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *format, va_list args) __attribute__((format(printf, 1, 0)));

/* strdup() that exits with status 3 when memory runs out. */
char *xstrdup(const char *text);

/* A growing string. */
struct strbuf {
    char *text; /* always NUL-terminated once anything was added */
    size_t len, cap;
};

void strbuf_add(struct strbuf *b, const char *data, size_t n);
void strbuf_printf(struct strbuf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* The text (an empty string if nothing was added); the caller frees it. */
char *strbuf_take(struct strbuf *b);

/*
 * LEN bytes of untrusted DATA as text that shows every byte: valid UTF-8
 * printable characters stay as they are; backslash, control characters,
 * DEL, C1 controls, U+FFFE/U+FFFF and bytes that are not UTF-8 become C
 * escapes (\\, \t, \r, \e, \x7f, \u0085, \xff). With QUOTE, the result is
 * in double quotes (and " is escaped), so leading and trailing spaces show.
 * The caller frees it.
 */
char *text_visible(const char *data, size_t len, bool quote);

/*
 * TEXT (a NUL-terminated string; NULL gives "") as text_visible shows it,
 * but as lines: newlines, tabs and backslashes stay as they are, so text
 * already shown (a transcript, "\\e" in it) is not escaped again. What
 * every report shows: nothing in it can act on a terminal, a browser or a
 * spreadsheet's parser, and bytes that are not UTF-8 stay distinct (\xff
 * and \xfe are not the same name). The caller frees it.
 */
char *text_visible_lines(const char *text);

/*
 * Columns DATA[0..LEN) takes once shown by text_visible (without quotes):
 * where a marker under a character must go.
 */
size_t text_visible_width(const char *data, size_t len);

/*
 * Columns a terminal gives the valid UTF-8 text S[0..LEN) (report text,
 * not untrusted bytes): one per character, two for East Asian wide
 * characters and emoji, none for combining marks.
 */
size_t text_columns(const char *s, size_t len);

/* How many bytes of the valid UTF-8 text S[0..LEN) fit in COLUMNS
 * columns, cut before a character, never inside one. */
size_t text_fit(const char *s, size_t len, size_t columns);

/* Length of the valid UTF-8 sequence at S (1 to 4 bytes), or 0 if the
 * bytes there are not valid UTF-8 (a truncated, overlong or surrogate
 * sequence). AVAIL is how many bytes S holds. */
size_t utf8_sequence_length(const unsigned char *s, size_t avail);

/* The code point of the valid UTF-8 sequence of LEN bytes at S (LEN from
 * utf8_sequence_length). */
uint32_t utf8_code_point(const unsigned char *s, size_t len);

#endif
