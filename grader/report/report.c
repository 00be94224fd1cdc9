/* report.c - see report.h. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"

bool want_colour(FILE *out)
{
    const char *no_colour = getenv("NO_COLOR");
    /* https://no-color.org: any non-empty value turns colour off. */
    if (no_colour != NULL && no_colour[0] != '\0')
        return false;
    return isatty(fileno(out));
}

/* --- text ----------------------------------------------------------------- */

struct palette {
    const char *pass, *fail, *skip, *dim, *bold, *reset;
};

static struct palette palette_for(const struct text_style *style)
{
    if (style->colour)
        return (struct palette){"\033[32m", "\033[31m", "\033[33m",
                                "\033[2m",  "\033[1m",  "\033[0m"};
    return (struct palette){"", "", "", "", "", ""};
}

static size_t width_of(const struct text_style *style)
{
    return style->width > 0 ? (size_t)style->width : REPORT_WIDTH;
}

/* The indentation of LINE: how many spaces it starts with. */
static size_t indentation(const char *line, size_t len)
{
    size_t n = 0;
    while (n < len && line[n] == ' ')
        n++;
    return n;
}

/*
 * One line of a test's output, fitted to WIDTH columns after INDENT: a
 * program's own line ("| ...", verbatim) is cut with an ellipsis, a
 * sentence is wrapped at spaces with its continuation indented two more.
 * Verbose reports cut nothing.
 */
static void print_fitted(FILE *out, const char *indent, const char *line, size_t len,
                         const struct text_style *style)
{
    size_t room = width_of(style) > strlen(indent) ? width_of(style) - strlen(indent) : 20;
    size_t own = indentation(line, len);
    /* A program's lines, and the expected and actual lines of a mismatch
     * with the marker under their first difference: cut, never wrapped,
     * or the marker would point elsewhere. */
    bool verbatim = own < len && (line[own] == '|' || line[own] == '^' ||
                                  (line[own] == '$' && own + 1 < len && line[own + 1] == ' ') ||
                                  strncmp(line + own, "expected: ", 10) == 0 ||
                                  strncmp(line + own, "actual:   ", 10) == 0);

    if (style->verbose || text_columns(line, len) <= room) {
        fprintf(out, "%s%.*s\n", indent, (int)len, line);
        return;
    }
    if (verbatim) {
        size_t fit = text_fit(line, len, room - 1);
        fprintf(out, "%s%.*s\u2026\n", indent, (int)fit, line);
        return;
    }
    /* Wrap: break at the last space that fits, else at the first after. */
    size_t hang = own + 2 < room / 2 ? own + 2 : 0;
    bool first = true;
    while (len > 0) {
        size_t lead = first ? 0 : hang;
        size_t fit = text_fit(line, len, room - lead);
        size_t cut = fit;
        if (fit < len) {
            while (cut > own && line[cut] != ' ')
                cut--;
            if (cut <= own) { /* one word longer than the line */
                cut = fit;
                while (cut < len && line[cut] != ' ')
                    cut++;
            }
        }
        fprintf(out, "%s%*s%.*s\n", indent, (int)lead, "", (int)cut, line);
        while (cut < len && line[cut] == ' ')
            cut++;
        line += cut;
        len -= cut;
        if (first) {
            first = false;
            /* The continuation's own indentation is the hang. */
            size_t skip = indentation(line, len);
            line += skip;
            len -= skip;
        }
    }
}

/*
 * LABEL (in LABEL_STYLE, then RESET) and WORDS after it, on lines of the
 * report's width: where they do not fit on one, WORDS wrap at spaces onto
 * lines indented by HANG. A narrow terminal then breaks no word in two,
 * and the label keeps its colour.
 */
static void print_labelled(FILE *out, const char *indent, const char *label_style,
                           const char *label, const char *reset, const char *words,
                           const char *hang, const struct text_style *style)
{
    size_t width = width_of(style);
    size_t column = strlen(indent) + text_columns(label, strlen(label));
    size_t len = strlen(words);

    fprintf(out, "%s%s%s%s", indent, label_style, label, reset);
    if (style->verbose || column + text_columns(words, len) <= width) {
        fprintf(out, "%s\n", words);
        return;
    }
    while (len > 0) {
        size_t word = strcspn(words + (words[0] == ' '), " ") + (words[0] == ' ');
        size_t word_columns = text_columns(words, word);
        if (column > strlen(hang) && column + word_columns > width) {
            /* The space before the word ends this line. */
            fprintf(out, "\n%s", hang);
            column = strlen(hang);
            if (words[0] == ' ') {
                words++;
                len--;
                word--;
                word_columns--;
            }
        }
        fprintf(out, "%.*s", (int)word, words);
        column += word_columns;
        words += word;
        len -= word;
    }
    fputc('\n', out);
}

/* Print TEXT with every line indented by INDENT, fitted to the width. */
static void print_indented(FILE *out, const char *indent, const char *text,
                           const struct text_style *style)
{
    const char *line = text;

    while (*line != '\0') {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        print_fitted(out, indent, line, len, style);
        line += len + (nl ? 1 : 0);
    }
}

void report_paragraph(FILE *out, const char *indent, const char *text,
                      const struct text_style *style)
{
    print_indented(out, indent, text, style);
}

/* The word a test's line starts with, and its colour. */
static const char *status_word(const struct test_verdict *test, const struct palette *c,
                               const char **colour)
{
    switch (test->status) {
    case STATUS_PASSED:
        *colour = c->pass;
        return "PASS";
    case STATUS_NOT_RUN:
        *colour = c->skip;
        return "SKIP";
    case STATUS_GRADER_ERROR:
        *colour = c->fail;
        return "ERR";
    case STATUS_FAILED:
    case STATUS_TIMED_OUT:
        break;
    }
    *colour = c->fail;
    return "FAIL";
}

/* The test ids' column: wide enough for every id of the labs. */
#define ID_COLUMN 22

/*
 * "  PASS  round-trip   10/10  A message the writer stores..." in one
 * line of the report's width: the title is cut to fit (-v shows it
 * whole). A test not run says why instead of its title.
 */
static void print_test_line(FILE *out, const struct test_verdict *test,
                            const struct text_style *style, const struct palette *c)
{
    const char *colour, *word = status_word(test, c, &colour);
    char *score = xasprintf("%d/%d", test->score, test->max_score);
    const char *what =
        test->status == STATUS_NOT_RUN && test->message[0] != '\0' ? test->message : test->title;
    size_t used =
        2 + 4 + 2 + (strlen(test->id) > ID_COLUMN ? strlen(test->id) : ID_COLUMN) + 1 + 5 + 2;
    size_t room = width_of(style) > used + 10 ? width_of(style) - used : 10;
    size_t len = strlen(what), fit = text_fit(what, len, room);

    if (fit < len && !style->verbose)
        fit = text_fit(what, len, room - 1);
    fprintf(out, "  %s%-4s%s  %-*s %s%5s%s  %.*s%s\n", colour, word, c->reset, ID_COLUMN, test->id,
            c->bold, score, c->reset, (int)(style->verbose ? len : fit), what,
            fit < len && !style->verbose ? "\u2026" : "");
    free(score);
}

void report_test(FILE *out, const struct lab_result *lab, size_t index,
                 const struct text_style *style)
{
    const struct test_verdict *test = &lab->tests[index];
    struct palette c = palette_for(style);
    bool passed = test->status == STATUS_PASSED;

    /* Tests of a lab that did not build or stage have nothing to add to
     * what the lab's own lines already said. */
    if (test->status == STATUS_NOT_RUN && lab->state != LAB_GRADED && !style->verbose)
        return;
    print_test_line(out, test, style, &c);
    if (test->status == STATUS_NOT_RUN) {
        if (style->verbose)
            print_indented(out, "        ", test->message, style);
        return;
    }
    if (passed && !style->verbose)
        return;
    /* The output holds every failed expectation with the transcripts
     * behind it; the message is its first line, so it is not repeated. */
    if (test->output[0] != '\0')
        print_indented(out, "        ", test->output, style);
    else if (!passed)
        print_indented(out, "        ", test->message, style);
    if (passed)
        return;
    /* A test the grader could not run is no mistake of the student's: no
     * hint to fix it, and its 0 is no verdict. */
    if (test->status == STATUS_GRADER_ERROR) {
        fprintf(out, "        %snot graded:%s the grader failed here, not the submission\n", c.fail,
                c.reset);
        return;
    }
    char *replay = style->replay_command ? style->replay_command(lab, test, style->arg) : NULL;
    char *hint = style->hint_command ? style->hint_command(lab, test, style->arg) : NULL;
    if (replay != NULL) {
        char *words = xasprintf(" %s", replay);
        print_labelled(out, "        ", c.bold, "replay:", c.reset, words, "          ", style);
        free(words);
    }
    if (hint != NULL) {
        fprintf(out, "        %shint:%s %s\n", c.bold, c.reset, hint);
    } else if (style->hint_command == NULL && test->hint != NULL) {
        char *line = xasprintf("hint: %s", test->hint);
        print_indented(out, "        ", line, style);
        free(line);
    }
    free(replay);
    free(hint);
}

static void report_build(FILE *out, const struct lab_result *lab, const struct text_style *style,
                         const struct palette *c)
{
    const char *log = lab->build_log ? lab->build_log : "";
    bool warnings = strstr(log, "warning:") != NULL;

    if (lab->state == LAB_BUILD_FAILED) {
        fprintf(out, "  %sbuild failed%s: every test of this lab scores 0. The compiler said:\n",
                c->fail, c->reset);
        print_indented(out, "    ", log, style);
    } else if (warnings) {
        fprintf(out, "  build: ok, with warnings (worth fixing: most point at real bugs):\n");
        print_indented(out, "    ", log, style);
    }
}

void report_lab_start(FILE *out, const struct lab_result *lab, const struct text_style *style)
{
    struct palette c = palette_for(style);

    char *label = xasprintf("== %s:", lab->id);
    size_t columns =
        text_columns(label, strlen(label)) + 1 + text_columns(lab->title, strlen(lab->title));
    /* The closing "==" only where the line fits: alone on a line of its
     * own it says nothing. */
    char *words = xasprintf(" %s%s", lab->title, columns + 3 <= width_of(style) ? " ==" : "");
    /* Bold to the end, reset once the line is out. */
    print_labelled(out, "", c.bold, label, "", words, "   ", style);
    fputs(c.reset, out);
    free(words);
    free(label);
    if (lab->state == LAB_BAD_SUBMISSION)
        fprintf(out, "  %scould not be graded%s: %s\n", c.fail, c.reset, lab->problem);
    report_build(out, lab, style, &c);
}

/*
 * "LABEL: SCORE/MAX", and when not every test of the labs ran (ALL points
 * in all, HIDDEN of the rest from hidden tests), what the rest is: a
 * student grading locally must not take 95/95 for the whole story. *BOLD
 * gets the length of the part shown in bold ("LABEL: SCORE/MAX").
 */
static char *score_text(const char *label, int score, int max, int all, int hidden, size_t *bold)
{
    struct strbuf text = {0};

    strbuf_printf(&text, "%s: %d/%d", label, score, max);
    *bold = text.len;
    if (all > max && all - max == hidden)
        strbuf_printf(&text,
                      " visible \u2014 %d more point%s come%s from hidden tests run at final "
                      "grading (%d in all)",
                      hidden, hidden == 1 ? "" : "s", hidden == 1 ? "s" : "", all);
    else if (all > max)
        strbuf_printf(&text,
                      " for the tests run \u2014 the other %d point%s come%s from tests not run "
                      "here (%d in all)",
                      all - max, all - max == 1 ? "" : "s", all - max == 1 ? "s" : "", all);
    return strbuf_take(&text);
}

/* The score line: INDENT, the score text, and AFTER when the line has room. */
static void report_score(FILE *out, const char *indent, const char *label, int score, int max,
                         int all, int hidden, const char *after, const struct text_style *style)
{
    struct palette c = palette_for(style);
    size_t bold;
    char *text = score_text(label, score, max, all, hidden, &bold);
    size_t columns = strlen(indent) + text_columns(text, strlen(text)) + strlen(after);
    char *shown = xasprintf("%.*s", (int)bold, text);
    char *words =
        xasprintf("%s%s", text + bold, columns <= width_of(style) || style->verbose ? after : "");
    char *hang = xasprintf("%s  ", indent);

    print_labelled(out, indent, c.bold, shown, c.reset, words, hang, style);
    free(hang);
    free(words);
    free(shown);
    free(text);
}

void report_lab_end(FILE *out, const struct lab_result *lab, const struct text_style *style)
{
    char after[64];

    if (lab->state != LAB_GRADED && !style->verbose && lab->n_tests > 0)
        fprintf(out, "  %zu test%s not run\n", lab->n_tests, lab->n_tests == 1 ? "" : "s");
    snprintf(after, sizeof(after), "  (%.1f s)", lab->seconds);
    report_score(out, "  ", "score", lab->score, lab->max_score, lab->lab_points,
                 lab_result_hidden_points_not_run(lab), after, style);
    fputc('\n', out);
}

/* How many of LAB's tests have STATUS (and those like it: failed counts
 * timed out and grader errors too). */
static size_t count_status(const struct lab_result *lab, enum test_status status)
{
    size_t n = 0;

    for (size_t i = 0; i < lab->n_tests; i++) {
        enum test_status s = lab->tests[i].status;
        if (s == status ||
            (status == STATUS_FAILED && (s == STATUS_TIMED_OUT || s == STATUS_GRADER_ERROR)))
            n++;
    }
    return n;
}

/* "summary: 01-posix-shm 3 passed, 2 failed (size-and-mode, ...), 1 skipped", fitted. */
static void summarise_lab(FILE *out, const struct lab_result *lab, const struct text_style *style,
                          const struct palette *c)
{
    struct strbuf line = {0};
    size_t failed = count_status(lab, STATUS_FAILED), listed = 0;

    strbuf_printf(&line, "  %-24s %zu passed", lab->id, count_status(lab, STATUS_PASSED));
    if (lab->state == LAB_BUILD_FAILED)
        strbuf_printf(&line, ", does not build");
    else if (lab->state == LAB_BAD_SUBMISSION)
        strbuf_printf(&line, ", could not be graded");
    if (failed > 0) {
        strbuf_printf(&line, ", %zu failed:", failed);
        for (size_t i = 0; i < lab->n_tests; i++) {
            enum test_status s = lab->tests[i].status;
            if (s == STATUS_PASSED || s == STATUS_NOT_RUN)
                continue;
            strbuf_printf(&line, "%s %s", listed++ ? "," : "", lab->tests[i].id);
        }
    }
    if (lab->state == LAB_GRADED && count_status(lab, STATUS_NOT_RUN) > 0)
        strbuf_printf(&line, "%s %zu not run", failed > 0 ? ";" : ",",
                      count_status(lab, STATUS_NOT_RUN));
    char *text = strbuf_take(&line);
    size_t len = strlen(text), fit = text_fit(text, len, width_of(style) - 1);
    if (style->verbose || fit == len)
        fprintf(out, "%s\n", text);
    else
        fprintf(out, "%.*s\u2026\n", (int)fit, text);
    (void)c;
    free(text);
}

/* The first test of the labs that failed (ran, and did not pass), and its
 * lab; a test the grader failed on is nothing for the student to start with. */
static const struct test_verdict *first_failure(const struct grade_result *grade,
                                                const struct lab_result **lab)
{
    for (size_t i = 0; i < grade->n_labs; i++)
        for (size_t j = 0; j < grade->labs[i].n_tests; j++) {
            enum test_status s = grade->labs[i].tests[j].status;
            if (s != STATUS_PASSED && s != STATUS_NOT_RUN && s != STATUS_GRADER_ERROR) {
                *lab = &grade->labs[i];
                return &grade->labs[i].tests[j];
            }
        }
    return NULL;
}

void report_end(FILE *out, const struct grade_result *grade, const struct text_style *style)
{
    struct palette c = palette_for(style);
    const struct lab_result *lab = NULL;
    const struct test_verdict *first = first_failure(grade, &lab);

    if (!grade_result_perfect(grade)) {
        fprintf(out, "%ssummary%s\n", c.bold, c.reset);
        for (size_t i = 0; i < grade->n_labs; i++)
            summarise_lab(out, &grade->labs[i], style, &c);
        if (first != NULL) {
            char *hint = style->hint_command ? style->hint_command(lab, first, style->arg) : NULL;
            fprintf(out, "  start with %s%s%s (%s)\n", c.bold, first->id, c.reset, lab->id);
            if (hint != NULL)
                fprintf(out, "  its hint: %s\n", hint);
            free(hint);
        }
    }
    report_score(out, "", "TOTAL", grade->score, grade->max_score, grade_result_lab_points(grade),
                 grade_result_hidden_points_not_run(grade), "", style);
    if (grade->isolation != NULL && style->verbose)
        fprintf(out, "%s(isolation: %s)%s\n", c.dim, grade->isolation, c.reset);
    if (grade_result_grader_failed(grade))
        fprintf(out,
                "%sNOT A GRADE%s: the grader failed on some tests (\"not graded\" above), "
                "which scored 0 here; fix what their messages name and grade again\n",
                c.fail, c.reset);
}

void report_text(FILE *out, const struct grade_result *grade, const struct text_style *style)
{
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        report_lab_start(out, lab, style);
        for (size_t j = 0; j < lab->n_tests; j++)
            report_test(out, lab, j, style);
        report_lab_end(out, lab, style);
    }
    report_end(out, grade, style);
}

/* --- progress ----------------------------------------------------------- */

static void print_bar(FILE *out, int score, int max, const struct palette *c)
{
    enum { WIDTH = 20 };
    int filled = max > 0 ? score * WIDTH / max : 0;

    fprintf(out, "[%s", c->pass);
    for (int i = 0; i < WIDTH; i++)
        fputc(i < filled ? '#' : '-', out);
    fprintf(out, "%s]", c->reset);
}

/* The first test of LAB that did not pass, or NULL. */
static const struct test_verdict *next_to_fix(const struct lab_result *lab)
{
    for (size_t i = 0; i < lab->n_tests; i++)
        if (lab->tests[i].status != STATUS_PASSED)
            return &lab->tests[i];
    return NULL;
}

/* The progress view's "next: ID - title" (cut to the width) and how to
 * get NEXT's hint. */
static void summarise_next(FILE *out, const struct lab_result *lab, const struct test_verdict *next,
                           const struct text_style *style, const struct palette *c)
{
    enum { USED = 2 + 24 + 1 + 22 + 1 + 9 }; /* what the lab's columns took */
    size_t room = width_of(style) > USED + 20 ? width_of(style) - USED : 20;
    size_t id_len = strlen(next->id), len = strlen(next->title);
    size_t left = room > id_len + 3 ? room - id_len - 3 : 0;
    size_t fit = style->verbose || text_columns(next->title, len) <= left
                     ? len
                     : text_fit(next->title, len, left > 0 ? left - 1 : 0);
    char *command = style->hint_command ? style->hint_command(lab, next, style->arg) : NULL;

    fprintf(out, "next: %s%s%s - %.*s%s\n", c->bold, next->id, c->reset, (int)fit, next->title,
            fit < len ? "\u2026" : "");
    if (command != NULL) {
        fprintf(out, "  %-24s %shint: %s%s\n", "", c->dim, command, c->reset);
    } else if (next->hint != NULL) {
        char *line = xasprintf("hint: %s", next->hint);
        print_indented(out, "                           ", line, style);
        free(line);
    }
    free(command);
}

void report_summary(FILE *out, const struct grade_result *grade, const struct text_style *style)
{
    struct palette c = palette_for(style);
    size_t complete = 0;

    fprintf(out, "%sshmlab progress%s\n", c.bold, c.reset);
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        const struct test_verdict *next = next_to_fix(lab);

        fprintf(out, "  %-24s ", lab->id);
        print_bar(out, lab->score, lab->max_score, &c);
        fprintf(out, " %3d/%-3d ", lab->score, lab->max_score);
        if (next == NULL) {
            fprintf(out, "%sdone%s\n", c.pass, c.reset);
            complete++;
        } else if (lab->state == LAB_BUILD_FAILED) {
            fprintf(out, "%sdoes not build%s: run make in labs/%s\n", c.fail, c.reset, lab->id);
        } else if (lab->state == LAB_BAD_SUBMISSION) {
            fprintf(out, "%scould not be graded%s: %s\n", c.fail, c.reset, lab->problem);
        } else {
            summarise_next(out, lab, next, style, &c);
        }
    }
    fprintf(out, "%zu of %zu labs complete. Details: make grade LAB=NN\n", complete, grade->n_labs);
}

/* --- JSON ----------------------------------------------------------------- */

static json_t *test_json(const struct lab_result *lab, size_t index)
{
    const struct test_verdict *test = &lab->tests[index];
    char *number = xasprintf("%.2s.%zu", lab->id, index + 1);
    char *name = xasprintf("%s: %s", lab->id, test->title);
    json_t *json = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:i, s:i, s:s, s:s, s:s, s:s, s:f, s:b, s:b}", "lab",
        lab->id, "id", test->id, "number", number, "name", name, "title", test->title, "hint",
        test->hint, "score", test->score, "max_score", test->max_score, "status",
        test->status == STATUS_PASSED ? "passed" : "failed", "verdict",
        test_status_name(test->status), "message", test->message, "output", test->output, "seconds",
        test->seconds, "hidden", (test->flags & TEST_HIDDEN) != 0, "after_due_date",
        (test->flags & TEST_AFTER_DUE_DATE) != 0);

    free(name);
    free(number);
    return json;
}

static json_t *lab_json(const struct lab_result *lab)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s?, s:s?, s:f}", "id", lab->id, "title",
                     lab->title, "state", lab_state_name(lab->state), "score", lab->score,
                     "max_score", lab->max_score, "lab_points", lab->lab_points, "hidden_points",
                     lab->hidden_points, "problem", lab->problem, "build_log", lab->build_log,
                     "seconds", lab->seconds);
}

json_t *report_json(const struct grade_result *grade)
{
    json_t *labs = json_array();
    json_t *tests = json_array();

    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        json_array_append_new(labs, lab_json(lab));
        for (size_t j = 0; j < lab->n_tests; j++)
            json_array_append_new(tests, test_json(lab, j));
    }
    /* The submission as the user named it: a student's folder, any bytes
     * (JSON takes UTF-8 only, and two names must stay two). */
    char *submission = grade->submission ? report_text_copy(grade->submission) : NULL;
    json_t *json =
        json_pack("{s:s?, s:s?, s:i, s:i, s:f, s:o, s:o}", "submission", submission, "isolation",
                  grade->isolation, "score", grade->score, "max_score", grade->max_score, "seconds",
                  grade->seconds, "labs", labs, "tests", tests);
    free(submission);
    return json;
}

int write_json_report(FILE *out, const struct grade_result *grade)
{
    json_t *json = report_json(grade);
    int rc;

    if (json == NULL)
        return -1;
    rc = json_dumpf(json, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    fputc('\n', out);
    json_decref(json);
    return rc;
}
