/* markup.c - see markup.h. */
#include "core/markup.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/text.h"

/* Is CP a character markup may not carry, or a browser would act on? */
static bool shown_escaped(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe ||
           cp == 0xffff || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void write_escaped(FILE *out, uint32_t cp)
{
    static const char named[][3] = {['\a'] = "\\a", ['\b'] = "\\b", ['\v'] = "\\v",
                                    ['\f'] = "\\f", ['\r'] = "\\r", [0x1b] = "\\e"};

    if (cp < sizeof(named) / sizeof(named[0]) && named[cp][0] != '\0')
        fputs(named[cp], out);
    else if (cp < 0x80)
        fprintf(out, "\\x%02x", (unsigned)cp);
    else
        fprintf(out, "\\u%04x", (unsigned)cp);
}

void markup_write(FILE *out, const char *text, unsigned options)
{
    const unsigned char *s = (const unsigned char *)(text != NULL ? text : "");
    size_t left = strlen((const char *)s);
    bool attribute = options & MARKUP_ATTRIBUTE;

    while (left > 0) {
        size_t len = utf8_sequence_length(s, left);
        uint32_t cp;

        if (len == 0) { /* not UTF-8 */
            fputc('?', out);
            s++;
            left--;
            continue;
        }
        cp = utf8_code_point(s, len);
        if (cp == '&')
            fputs("&amp;", out);
        else if (cp == '<')
            fputs("&lt;", out);
        else if (cp == '>')
            fputs("&gt;", out);
        else if (cp == '"')
            fputs("&quot;", out);
        else if (cp == '\'' && (options & MARKUP_APOSTROPHE))
            fputs("&#39;", out);
        else if (cp == '\n' || cp == '\t')
            fputs(!attribute ? (cp == '\n' ? "\n" : "\t") : cp == '\n' ? "&#10;" : "&#9;", out);
        else if (shown_escaped(cp))
            write_escaped(out, cp);
        else
            fwrite(s, 1, len, out);
        s += len;
        left -= len;
    }
}
