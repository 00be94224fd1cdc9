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

/* How the byte or sequence at S shows: its escape in ESCAPE (and true),
 * or false when it shows as itself. *LEN is how many bytes it covers. */
static bool escape_of(const unsigned char *s, size_t avail, bool quote, size_t *len,
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
        if (s[0] == '\\' || (quote && s[0] == '"')) {
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

char *text_visible(const char *data, size_t len, bool quote)
{
    const unsigned char *s = (const unsigned char *)data;
    struct strbuf b = {0};
    char escape[16];
    size_t i = 0;

    if (quote)
        strbuf_add(&b, "\"", 1);
    while (i < len) {
        size_t n;
        if (escape_of(s + i, len - i, quote, &n, escape))
            strbuf_add(&b, escape, strlen(escape));
        else
            strbuf_add(&b, data + i, n);
        i += n;
    }
    if (quote)
        strbuf_add(&b, "\"", 1);
    return strbuf_take(&b);
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
        width += escape_of(s + i, len - i, true, &n, escape) ? strlen(escape) : 1;
        i += n;
    }
    return width;
}
