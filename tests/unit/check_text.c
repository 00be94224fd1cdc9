/* check_text.c - strings the grader builds, and untrusted bytes shown. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "suites.h"

static void assert_visible(const char *data, size_t len, bool quote, const char *shown)
{
    char *text = text_visible(data, len, quote);
    ck_assert_str_eq(text, shown);
    free(text);
}

START_TEST(printable_text_and_utf8_stay_as_they_are)
{
    const char *text = "  Grüße aus Köln — ☕ naïve café  ";
    assert_visible(text, strlen(text), false, text);
    assert_visible("two  spaces ", 12, true, "\"two  spaces \"");
}
END_TEST

START_TEST(control_characters_become_escapes)
{
    assert_visible("\033[2J\rTOTAL\t\x01\x7f", 13, false, "\\e[2J\\rTOTAL\\t\\x01\\x7f");
    assert_visible("a\\b\"c", 5, true, "\"a\\\\b\\\"c\"");
    assert_visible("nul\0byte", 8, false, "nul\\x00byte");
}
END_TEST

START_TEST(bytes_that_are_not_utf8_or_not_characters_become_escapes)
{
    /* A lone continuation byte, an overlong '/', a surrogate, U+FFFE, a C1
     * control (CSI) and a bidirectional override. */
    assert_visible("\x80", 1, false, "\\x80");
    assert_visible("\xc0\xaf", 2, false, "\\xc0\\xaf");
    assert_visible("\xed\xa0\x80", 3, false, "\\xed\\xa0\\x80");
    assert_visible("\xef\xbf\xbe", 3, false, "\\ufffe");
    assert_visible("\xc2\x9b", 2, false, "\\u009b");
    assert_visible("\xe2\x80\xae", 3, false, "\\u202e");
}
END_TEST

START_TEST(widths_count_what_is_shown)
{
    ck_assert_uint_eq(text_visible_width("abc", 3), 3);
    ck_assert_uint_eq(text_visible_width("é\t", 3), 3); /* é is one column, \t two */
    ck_assert_uint_eq(text_visible_width("\"", 1), 2);
}
END_TEST

START_TEST(strings_are_built_on_the_heap)
{
    struct strbuf b = {0};
    char *text = xasprintf("%s-%d", "x", 42);

    ck_assert_str_eq(text, "x-42");
    free(text);
    text = strbuf_take(&b);
    ck_assert_str_eq(text, "");
    free(text);
    strbuf_printf(&b, "%d", 1);
    strbuf_add(&b, "23", 2);
    text = strbuf_take(&b);
    ck_assert_str_eq(text, "123");
    free(text);
}
END_TEST

Suite *text_suite(void)
{
    return SUITE_OF("text", 0, printable_text_and_utf8_stay_as_they_are,
                    control_characters_become_escapes,
                    bytes_that_are_not_utf8_or_not_characters_become_escapes,
                    widths_count_what_is_shown, strings_are_built_on_the_heap);
}
