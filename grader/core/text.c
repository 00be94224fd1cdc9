/* text.c - see text.h. */
#define _GNU_SOURCE
#include "core/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void out_of_memory(void)
{
    fputs("shmgrade: out of memory\n", stderr);
    exit(3);
}

char *xvasprintf(const char *format, va_list args)
{
    char *s;
    if (vasprintf(&s, format, args) < 0)
        out_of_memory();
    return s;
}

char *xasprintf(const char *format, ...)
{
    va_list args;
    char *s;

    va_start(args, format);
    s = xvasprintf(format, args);
    va_end(args);
    return s;
}

char *xstrdup(const char *text)
{
    char *copy = strdup(text);
    if (copy == NULL)
        out_of_memory();
    return copy;
}

void strbuf_add(struct strbuf *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->text, cap);
        if (grown == NULL)
            out_of_memory();
        b->text = grown;
        b->cap = cap;
    }
    memcpy(b->text + b->len, data, n);
    b->len += n;
    b->text[b->len] = '\0';
}

void strbuf_printf(struct strbuf *b, const char *format, ...)
{
    va_list args;
    char *s;

    va_start(args, format);
    s = xvasprintf(format, args);
    va_end(args);
    strbuf_add(b, s, strlen(s));
    free(s);
}

char *strbuf_take(struct strbuf *b)
{
    char *text = b->text != NULL ? b->text : xstrdup("");
    *b = (struct strbuf){0};
    return text;
}

size_t utf8_sequence_length(const unsigned char *s, size_t avail)
{
    size_t len;
    uint32_t cp;

    if (avail == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (avail < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF. */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

uint32_t utf8_code_point(const unsigned char *s, size_t len)
{
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t cp = s[0] & lead_mask[len];
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

/* How text_visible shows bytes: in double quotes (" escaped too), or as
 * lines (newline, tab and backslash as themselves). */
enum shown_as { SHOWN_PLAIN, SHOWN_QUOTED, SHOWN_LINES };

/* How the byte or sequence at S shows: its escape in ESCAPE (and true),
 * or false when it shows as itself. *LEN is how many bytes it covers. */
static bool escape_of(const unsigned char *s, size_t avail, enum shown_as as, size_t *len,
                      char escape[16])
{
    static const char named[][3] = {['\t'] = "\\t", ['\n'] = "\\n", ['\r'] = "\\r", ['\a'] = "\\a",
                                    ['\b'] = "\\b", ['\f'] = "\\f", ['\v'] = "\\v", [0x1b] = "\\e"};
    size_t n = utf8_sequence_length(s, avail);

    *len = n ? n : 1;
    if (n == 0) {
        snprintf(escape, 16, "\\x%02x", s[0]);
        return true;
    }
    if (n == 1) {
        if (as == SHOWN_LINES && (s[0] == '\n' || s[0] == '\t' || s[0] == '\\'))
            return false;
        if (s[0] == '\\' || (as == SHOWN_QUOTED && s[0] == '"')) {
            snprintf(escape, 16, "\\%c", s[0]);
            return true;
        }
        if (s[0] < 0x20 && s[0] < sizeof(named) / sizeof(named[0]) && named[s[0]][0] != '\0') {
            snprintf(escape, 16, "%s", named[s[0]]);
            return true;
        }
        if (s[0] < 0x20 || s[0] == 0x7f) {
            snprintf(escape, 16, "\\x%02x", s[0]);
            return true;
        }
        return false;
    }
    uint32_t cp = utf8_code_point(s, n);
    /* C1 controls act on some terminals; U+FFFE/U+FFFF are not characters
     * (XML refuses them); bidirectional overrides reorder what is shown. */
    if ((cp >= 0x80 && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff ||
        (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
        snprintf(escape, 16, "\\u%04x", (unsigned)cp);
        return true;
    }
    return false;
}

static char *shown(const char *data, size_t len, enum shown_as as)
{
    const unsigned char *s = (const unsigned char *)data;
    struct strbuf b = {0};
    char escape[16];
    size_t i = 0;
    bool quote = as == SHOWN_QUOTED;

    if (quote)
        strbuf_add(&b, "\"", 1);
    while (i < len) {
        size_t n;
        if (escape_of(s + i, len - i, as, &n, escape))
            strbuf_add(&b, escape, strlen(escape));
        else
            strbuf_add(&b, data + i, n);
        i += n;
    }
    if (quote)
        strbuf_add(&b, "\"", 1);
    return strbuf_take(&b);
}

char *text_visible(const char *data, size_t len, bool quote)
{
    return shown(data, len, quote ? SHOWN_QUOTED : SHOWN_PLAIN);
}

char *text_visible_lines(const char *text)
{
    return shown(text != NULL ? text : "", text != NULL ? strlen(text) : 0, SHOWN_LINES);
}

size_t text_visible_width(const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    char escape[16];
    size_t i = 0, width = 0;

    while (i < len) {
        size_t n;
        /* Inside quotes a " takes two columns; the marker line is drawn
         * for quoted text, so count as quoted. */
        width += escape_of(s + i, len - i, SHOWN_QUOTED, &n, escape) ? strlen(escape) : 1;
        i += n;
    }
    return width;
}

/* --- columns ---------------------------------------------------------------- */

/* Code points a terminal shows two columns wide (East Asian Width W and
 * F, and the emoji shown as pictures), as ranges. */
static const uint32_t WIDE[][2] = {
    {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},
    {0x23f0, 0x23f0},   {0x23f3, 0x23f3},   {0x25fd, 0x25fe},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
    {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},   {0x26ce, 0x26ce},
    {0x26d4, 0x26d4},   {0x26ea, 0x26ea},   {0x26f2, 0x26f3},   {0x26f5, 0x26f5},
    {0x26fa, 0x26fa},   {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
    {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27b0, 0x27b0},   {0x27bf, 0x27bf},
    {0x2b1b, 0x2b1c},   {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x303e},
    {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},
    {0xa960, 0xa97f},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},
    {0xfe30, 0xfe6f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x1f004, 0x1f004},
    {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f251},
    {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff}, {0x1f900, 0x1f9ff}, {0x1fa70, 0x1faff},
    {0x20000, 0x3fffd},
};

static size_t columns_of(uint32_t c)
{
    if ((c >= 0x0300 && c <= 0x036f) || c == 0x200b || (c >= 0xfe00 && c <= 0xfe0f))
        return 0; /* combining marks, zero width space, variation selectors */
    for (size_t i = 0; i < sizeof(WIDE) / sizeof(WIDE[0]); i++)
        if (c >= WIDE[i][0] && c <= WIDE[i][1])
            return 2;
    return 1;
}

/* The columns of the character at S (LEFT bytes there), and its length. */
static size_t character_columns(const char *s, size_t left, size_t *n)
{
    *n = utf8_sequence_length((const unsigned char *)s, left);
    if (*n == 0) {
        *n = 1;
        return 1;
    }
    return columns_of(utf8_code_point((const unsigned char *)s, *n));
}

size_t text_columns(const char *s, size_t len)
{
    size_t i = 0, columns = 0, n;

    while (i < len) {
        columns += character_columns(s + i, len - i, &n);
        i += n;
    }
    return columns;
}

size_t text_fit(const char *s, size_t len, size_t columns)
{
    size_t i = 0, used = 0, n;

    while (i < len) {
        size_t c = character_columns(s + i, len - i, &n);
        if (used + c > columns)
            break;
        used += c;
        i += n;
    }
    return i;
}
