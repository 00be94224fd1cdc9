/*
 * markup.h - untrusted text as XML or HTML: the one escaper of the JUnit
 * report and the class summary page.
 *
 * XML 1.0 cannot carry most C0 control characters nor U+FFFE and U+FFFF,
 * not even as character references, and a raw carriage return comes back
 * from a parser as a newline. Such characters are shown instead, as the C
 * escapes text_visible() uses (\r, \e, \x01, \ufffe); so are DEL, the C1
 * controls and the bidirectional overrides, which a browser would act on,
 * and bytes that are not UTF-8 (\xff): text_visible_lines(), as everywhere
 * in the result model.
 */
#ifndef SHMGRADE_MARKUP_H
#define SHMGRADE_MARKUP_H

#include <stdio.h>

enum markup_option {
    /* Inside a double-quoted attribute value: newline and tab become
     * character references (a parser would turn them into spaces). */
    MARKUP_ATTRIBUTE = 1u << 0,
    /* The apostrophe as &#39; (HTML, where values may be single-quoted). */
    MARKUP_APOSTROPHE = 1u << 1,
};

/* Write TEXT (NULL writes nothing) escaped for markup; OPTIONS are enum
 * markup_option flags. */
void markup_write(FILE *out, const char *text, unsigned options);

#endif
