/* markup.c - see markup.h. */
#include "core/markup.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/text.h"

void markup_write(FILE *out, const char *text, unsigned options)
{
    /* What markup cannot carry or a browser would act on is already shown
     * as an escape; what is left is markup's own. */
    char *visible = text_visible_lines(text);
    bool attribute = options & MARKUP_ATTRIBUTE;

    for (const char *c = visible; *c != '\0'; c++) {
        if (*c == '&')
            fputs("&amp;", out);
        else if (*c == '<')
            fputs("&lt;", out);
        else if (*c == '>')
            fputs("&gt;", out);
        else if (*c == '"')
            fputs("&quot;", out);
        else if (*c == '\'' && (options & MARKUP_APOSTROPHE))
            fputs("&#39;", out);
        else if (attribute && (*c == '\n' || *c == '\t'))
            fputs(*c == '\n' ? "&#10;" : "&#9;", out);
        else
            fputc(*c, out);
    }
    free(visible);
}
