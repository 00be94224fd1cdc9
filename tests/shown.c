/* shown.c - see shown.h. */
#include "shown.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "core/text.h"

void assert_shows_no_control(const char *what, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t left = strlen(text);

    while (left > 0) {
        size_t len = utf8_sequence_length(s, left);
        ck_assert_msg(len > 0, "%s: a byte that is not UTF-8 (0x%02x) in:\n%s", what, s[0], text);
        uint32_t cp = utf8_code_point(s, len);
        ck_assert_msg(!(cp < 0x20 && cp != '\n' && cp != '\t') && !(cp >= 0x7f && cp <= 0x9f) &&
                          !(cp >= 0x202a && cp <= 0x202e) && !(cp >= 0x2066 && cp <= 0x2069),
                      "%s: U+%04X shown raw in:\n%s", what, (unsigned)cp, text);
        s += len;
        left -= len;
    }
}

void assert_json_shows_no_control(const char *what, json_t *json)
{
    const char *key;
    json_t *value;
    size_t index;

    if (json_is_string(json))
        assert_shows_no_control(what, json_string_value(json));
    else if (json_is_object(json))
        json_object_foreach(json, key, value) assert_json_shows_no_control(what, value);
    else if (json_is_array(json))
        json_array_foreach(json, index, value) assert_json_shows_no_control(what, value);
}
