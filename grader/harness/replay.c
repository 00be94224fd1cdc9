/*
 * replay.c - every step of a test as a line of shell, recorded as the test
 * runs: a call of one of labs/common/replay.sh's functions, which runs the
 * step from the lab folder and checks what the step checks. The grader
 * writes the lines into a script (grader/learn/replay.c) that a student
 * runs to see the test's failure again, one step at a time.
 *
 * What the harness checks itself (an exit status, the lines printed, an
 * object's size) the script checks again, live. What a lab's tests.c
 * checks in C (require(), check()) a script cannot repeat: where such a
 * check failed, the script says what the grader found there.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "harness/context.h"

static void replay_vadd(struct test_ctx *t, const char *format, va_list args)
{
    struct test_record *rec = t->rec;
    size_t room = sizeof(rec->replay) - rec->replay_len;
    int n;

    if (rec->replay_cut)
        return;
    n = vsnprintf(rec->replay + rec->replay_len, room, format, args);
    if (n < 0 || (size_t)n + 1 >= room) {
        /* A script cut short replays nothing faithfully: none at all. */
        rec->replay_cut = true;
        rec->replay[rec->replay_len] = '\0';
        return;
    }
    rec->replay_len += (size_t)n;
    rec->replay[rec->replay_len++] = '\n';
    rec->replay[rec->replay_len] = '\0';
}

void replay_add(struct test_ctx *t, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    replay_vadd(t, format, args);
    va_end(args);
}

void replay_step_begin(struct test_ctx *t, const char *format, ...)
{
    va_list args;

    if (t->checked_live++ > 0)
        return;
    va_start(args, format);
    replay_vadd(t, format, args);
    va_end(args);
}

void replay_step_end(struct test_ctx *t)
{
    t->checked_live--;
}

size_t replay_mark(const struct test_ctx *t)
{
    return t->rec->replay_len;
}

void replay_back_to(struct test_ctx *t, size_t mark)
{
    if (mark <= t->rec->replay_len) {
        t->rec->replay_len = mark;
        t->rec->replay[mark] = '\0';
    }
}

/* Can C stand inside single quotes as it is (printable ASCII or UTF-8)? */
static bool plain(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence_length(s + i, len - i);
        if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)))
            return false;
        i += n;
    }
    return true;
}

const char *shell_word(struct test_ctx *t, const char *data, size_t len)
{
    struct strbuf word = {0};
    const unsigned char *s = (const unsigned char *)data;
    char *taken;
    const char *kept;

    if (len > 0 && strspn(data, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "/._-+=:,@%^") >= len)
        return textf(t, "%.*s", (int)len, data);
    if (plain(s, len)) {
        strbuf_add(&word, "'", 1);
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '\'')
                strbuf_add(&word, "'\\''", 4);
            else
                strbuf_add(&word, data + i, 1);
        }
        strbuf_add(&word, "'", 1);
    } else {
        /* Bash's $'...': every byte that is not plain as \xHH. */
        strbuf_add(&word, "$'", 2);
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '\'' || s[i] == '\\')
                strbuf_printf(&word, "\\%c", s[i]);
            else if (s[i] < 0x20 || s[i] >= 0x7f)
                strbuf_printf(&word, "\\x%02x", s[i]);
            else
                strbuf_add(&word, data + i, 1);
        }
        strbuf_add(&word, "'", 1);
    }
    taken = strbuf_take(&word);
    kept = textf(t, "%s", taken);
    free(taken);
    return kept;
}

const char *shell_text(struct test_ctx *t, const char *text)
{
    return shell_word(t, text, strlen(text));
}

const char *printf_bytes(struct test_ctx *t, const void *data, size_t len)
{
    struct strbuf format = {0};
    const unsigned char *s = data;
    char *taken;
    const char *kept;

    /* For printf's format, in single quotes: \xHH for anything else than
     * printable ASCII, \\ and %% for its own signs. */
    strbuf_add(&format, "'", 1);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            strbuf_add(&format, "\\\\", 2);
        else if (s[i] == '%')
            strbuf_add(&format, "%%", 2);
        else if (s[i] == '\'' || s[i] < 0x20 || s[i] >= 0x7f)
            strbuf_printf(&format, "\\x%02x", s[i]);
        else
            strbuf_add(&format, (const char *)s + i, 1);
    }
    strbuf_add(&format, "'", 1);
    taken = strbuf_take(&format);
    kept = textf(t, "%s", taken);
    free(taken);
    return kept;
}

void replay_value(struct test_ctx *t, long value, const char *variable)
{
    if (t->n_replay_values >= MAX_REPLAY_VALUES)
        return;
    t->replay_values[t->n_replay_values].value = value;
    snprintf(t->replay_values[t->n_replay_values].variable, sizeof(t->replay_values[0].variable),
             "%s", variable);
    t->n_replay_values++;
}

const char *replay_new_variable(struct test_ctx *t, const char *stem)
{
    return textf(t, "%s%u", stem, ++t->replay_variables);
}

const char *replay_arg(struct test_ctx *t, const char *arg)
{
    char *end;
    long value;

    /* A number the test learnt as it ran (an id a program printed, a
     * segment the grader made) is another number in the replay: the
     * variable that holds it there. The latest such number wins. Only
     * arguments the test made from such a number (the same text, not an
     * equal one): a literal 0 stays 0 when a segment's id is 0 too. */
    bool learnt = false;
    for (size_t i = 0; i < t->n_learnt_args; i++)
        learnt = learnt || t->learnt_args[i] == arg;
    if (learnt) {
        value = strtol(arg, &end, 10);
        for (size_t i = t->n_replay_values; i-- > 0;) {
            if (t->replay_values[i].value != value)
                continue;
            return textf(t, "\"$%s\"%s", t->replay_values[i].variable,
                         *end != '\0' ? shell_text(t, end) : "");
        }
    }
    return shell_text(t, arg);
}

const char *learnt_number_arg(struct test_ctx *t, long value)
{
    const char *text = textf(t, "%ld", value);

    if (t->n_learnt_args < MAX_REPLAY_VALUES)
        t->learnt_args[t->n_learnt_args++] = text;
    return text;
}

const char *replay_id(struct test_ctx *t, long id)
{
    for (size_t i = t->n_replay_values; i-- > 0;)
        if (t->replay_values[i].value == id)
            return textf(t, "\"$%s\"", t->replay_values[i].variable);
    return textf(t, "%ld", id);
}

void replay_grader_check(struct test_ctx *t, const char *message)
{
    if (t->checked_live == 0)
        replay_add(t, "grader_check %s", shell_text(t, message));
}
