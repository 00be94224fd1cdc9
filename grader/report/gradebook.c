/* gradebook.c - see gradebook.h. */
#define _GNU_SOURCE
#include "report/gradebook.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/markup.h"
#include "core/text.h"

/* --- the columns: the labs and tests the results describe ------------------ */

struct column_test {
    const char *id, *title;
    unsigned flags;
};

struct column_lab {
    const char *id, *title;
    struct column_test *tests;
    size_t n_tests;
};

struct columns {
    struct column_lab *labs;
    size_t n_labs;
    bool hidden; /* some column is a hidden test's */
};

static void *grow(void *array, size_t n, size_t size)
{
    void *bigger = realloc(array, (n + 1) * size);

    if (bigger == NULL) {
        perror("shmgrade: realloc");
        exit(3);
    }
    return bigger;
}

static struct column_lab *column_lab(struct columns *columns, const struct lab_result *lab)
{
    for (size_t i = 0; i < columns->n_labs; i++)
        if (strcmp(columns->labs[i].id, lab->id) == 0)
            return &columns->labs[i];
    columns->labs = grow(columns->labs, columns->n_labs, sizeof(*columns->labs));
    columns->labs[columns->n_labs] = (struct column_lab){.id = lab->id, .title = lab->title};
    return &columns->labs[columns->n_labs++];
}

static void add_test_column(struct columns *columns, struct column_lab *lab,
                            const struct test_verdict *test)
{
    for (size_t i = 0; i < lab->n_tests; i++)
        if (strcmp(lab->tests[i].id, test->id) == 0)
            return;
    lab->tests = grow(lab->tests, lab->n_tests, sizeof(*lab->tests));
    lab->tests[lab->n_tests++] =
        (struct column_test){.id = test->id, .title = test->title, .flags = test->flags};
    columns->hidden |= (test->flags & TEST_HIDDEN) != 0;
}

/* Every lab and test of CLASS's results, in the order they first come.
 * The columns borrow the results' strings. */
static struct columns class_columns(const struct class_results *class)
{
    struct columns columns = {0};

    for (size_t e = 0; e < class->n_entries; e++) {
        const struct grade_result *grade = class->entries[e].grade;
        for (size_t i = 0; grade != NULL && i < grade->n_labs; i++) {
            struct column_lab *lab = column_lab(&columns, &grade->labs[i]);
            for (size_t j = 0; j < grade->labs[i].n_tests; j++)
                add_test_column(&columns, lab, &grade->labs[i].tests[j]);
        }
    }
    return columns;
}

static void columns_free(struct columns *columns)
{
    for (size_t i = 0; i < columns->n_labs; i++)
        free(columns->labs[i].tests);
    free(columns->labs);
}

/* --- looking things up in one student's grade ------------------------------ */

/* GRADE's result for the lab LAB_ID, if its code was graded; else NULL. */
static const struct lab_result *graded_lab(const struct grade_result *grade, const char *lab_id)
{
    for (size_t i = 0; grade != NULL && i < grade->n_labs; i++)
        if (strcmp(grade->labs[i].id, lab_id) == 0)
            return lab_result_graded(&grade->labs[i]) ? &grade->labs[i] : NULL;
    return NULL;
}

static const struct test_verdict *verdict_of(const struct lab_result *lab, const char *test_id)
{
    for (size_t i = 0; lab != NULL && i < lab->n_tests; i++)
        if (strcmp(lab->tests[i].id, test_id) == 0)
            return &lab->tests[i];
    return NULL;
}

bool class_entry_graded(const struct class_entry *entry)
{
    if (entry->grade == NULL)
        return false;
    for (size_t i = 0; i < entry->grade->n_labs; i++)
        if (!lab_result_graded(&entry->grade->labs[i]))
            return false;
    return true;
}

char *class_entry_status(const struct class_entry *entry)
{
    struct strbuf status = {0};
    const char *sep = "";

    if (entry->grade == NULL) {
        strbuf_printf(&status, "could not be graded: %s",
                      entry->error ? entry->error : "the grader gave no report");
        return strbuf_take(&status);
    }
    if (!class_entry_graded(entry))
        strbuf_printf(&status, "could not be graded: ");
    /* What could not be used first: it is what the instructor must act on. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < entry->grade->n_labs; i++) {
            const struct lab_result *lab = &entry->grade->labs[i];
            if (pass == 0 && lab->state == LAB_BAD_SUBMISSION)
                strbuf_printf(&status, "%s%s: %s", sep, lab->id,
                              lab->problem ? lab->problem : "the submission could not be used");
            else if (pass == 1 && lab->state == LAB_BUILD_FAILED)
                strbuf_printf(&status, "%s%s: %s", sep, lab->id, lab_state_name(lab->state));
            else
                continue;
            sep = "; ";
        }
    }
    if (sep[0] == '\0')
        strbuf_printf(&status, "graded");
    if (entry->retried != NULL)
        strbuf_printf(&status, "; graded again: %s", entry->retried);
    return strbuf_take(&status);
}

/* --- CSV -------------------------------------------------------------------- */

/*
 * Would a spreadsheet run CELL as a formula? OWASP's CSV-injection rules:
 * a cell beginning with =, +, -, @, a tab or a carriage return; and since
 * some spreadsheets drop leading blanks, one of the four after them too.
 */
static bool csv_formula(const char *cell)
{
    size_t blanks = strspn(cell, " \t\r");

    return (cell[0] == '\t' || cell[0] == '\r') ||
           (cell[blanks] != '\0' && strchr("=+-@", cell[blanks]) != NULL);
}

void csv_write_cell(FILE *out, const char *text)
{
    char *clean = report_text_copy(text);
    bool formula = csv_formula(clean);
    bool quote = formula || strpbrk(clean, ",\"\r\n\t") != NULL || clean[0] == ' ' ||
                 (clean[0] != '\0' && clean[strlen(clean) - 1] == ' ');

    if (quote)
        fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (const char *s = clean; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    if (quote)
        fputc('"', out);
    free(clean);
}

static void csv_write_int(FILE *out, bool known, int value)
{
    fputc(',', out);
    if (known)
        fprintf(out, "%d", value);
}

static void csv_header(FILE *out, const struct columns *columns)
{
    fputs("student", out);
    for (size_t i = 0; i < columns->n_labs; i++) {
        fputc(',', out);
        csv_write_cell(out, columns->labs[i].id);
    }
    for (size_t i = 0; i < columns->n_labs; i++) {
        const struct column_lab *lab = &columns->labs[i];
        for (size_t j = 0; j < lab->n_tests; j++) {
            char *name = xasprintf("%s/%s", lab->id, lab->tests[j].id);
            fputc(',', out);
            csv_write_cell(out, name);
            free(name);
        }
    }
    fputs(",total,max_total,status\r\n", out);
}

/* A row: cells of what could not be graded stay empty, never a 0. */
static void csv_row(FILE *out, const struct columns *columns, const struct class_entry *entry)
{
    const struct grade_result *grade = entry->grade;
    bool graded = class_entry_graded(entry);
    char *status = class_entry_status(entry);

    csv_write_cell(out, entry->student);
    for (size_t i = 0; i < columns->n_labs; i++) {
        const struct lab_result *lab = graded_lab(grade, columns->labs[i].id);
        csv_write_int(out, lab != NULL, lab ? lab->score : 0);
    }
    for (size_t i = 0; i < columns->n_labs; i++) {
        const struct column_lab *lab = &columns->labs[i];
        const struct lab_result *result = graded_lab(grade, lab->id);
        for (size_t j = 0; j < lab->n_tests; j++) {
            const struct test_verdict *verdict = verdict_of(result, lab->tests[j].id);
            csv_write_int(out, verdict != NULL, verdict ? verdict->score : 0);
        }
    }
    csv_write_int(out, graded, graded ? grade->score : 0);
    csv_write_int(out, graded, graded ? grade->max_score : 0);
    fputc(',', out);
    csv_write_cell(out, status);
    fputs("\r\n", out);
    free(status);
}

int write_gradebook_csv(FILE *out, const struct class_results *class)
{
    struct columns columns = class_columns(class);

    csv_header(out, &columns);
    for (size_t i = 0; i < class->n_entries; i++)
        csv_row(out, &columns, &class->entries[i]);
    columns_free(&columns);
    return ferror(out) ? -1 : 0;
}

/* --- HTML ------------------------------------------------------------------- */

static void html(FILE *out, const char *text)
{
    markup_write(out, text, MARKUP_APOSTROPHE);
}

static void html_attribute(FILE *out, const char *text)
{
    markup_write(out, text, MARKUP_APOSTROPHE | MARKUP_ATTRIBUTE);
}

/* A relative link to PATH: every byte but the unreserved ones and '/' escaped. */
static void url_path(FILE *out, const char *path)
{
    for (const unsigned char *s = (const unsigned char *)path; *s != '\0'; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            strchr("-._~/", *s) != NULL)
            fputc(*s, out);
        else
            fprintf(out, "%%%02X", *s);
    }
}

/* The scores of a lab among the students whose code for it was graded. */
struct lab_stats {
    int max_score;
    size_t n;          /* students whose code for the lab was graded */
    size_t not_graded; /* students with a result that could not be graded */
    size_t bins[11];   /* by percent rounded down: 0-9, ..., 90-99, 100 */
    size_t full_marks;
    double mean, median;
    int lowest, highest;
};

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static struct lab_stats lab_stats(const struct class_results *class, const struct column_lab *lab)
{
    struct lab_stats st = {0};
    int *scores = calloc(class->n_entries ? class->n_entries : 1, sizeof(*scores));
    double sum = 0;

    if (scores == NULL) {
        perror("calloc");
        exit(3);
    }
    for (size_t i = 0; i < class->n_entries; i++) {
        const struct class_entry *entry = &class->entries[i];
        const struct lab_result *result = graded_lab(entry->grade, lab->id);
        int percent;
        if (result == NULL) {
            st.not_graded += entry->grade == NULL || !class_entry_graded(entry);
            continue;
        }
        if (result->max_score <= 0)
            continue;
        st.max_score = result->max_score;
        scores[st.n++] = result->score;
        sum += result->score;
        percent = result->score * 100 / result->max_score;
        if (result->score >= result->max_score) {
            st.bins[10]++;
            st.full_marks++;
        } else {
            st.bins[percent / 10 < 10 ? percent / 10 : 9]++;
        }
    }
    if (st.n > 0) {
        qsort(scores, st.n, sizeof(*scores), compare_ints);
        st.mean = sum / (double)st.n;
        st.median = st.n % 2 ? scores[st.n / 2] : (scores[st.n / 2 - 1] + scores[st.n / 2]) / 2.0;
        st.lowest = scores[0];
        st.highest = scores[st.n - 1];
    }
    free(scores);
    return st;
}

#define CHART_WIDTH  660
#define CHART_HEIGHT 220

static void histogram_svg(FILE *out, const struct column_lab *lab, const struct lab_stats *st)
{
    const int left = 40, top = 20, plot_h = 150, bar_gap = 6;
    const int bar_w = (CHART_WIDTH - left - 10) / 11 - bar_gap;
    size_t most = 1;

    for (int b = 0; b < 11; b++)
        if (st->bins[b] > most)
            most = st->bins[b];
    fprintf(out,
            "<svg class=\"histogram\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "role=\"img\" aria-label=\"",
            CHART_WIDTH, CHART_HEIGHT, CHART_WIDTH, CHART_HEIGHT);
    html_attribute(out, lab->id);
    fputs(": how many students scored each share of the points\">\n", out);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", left,
            top + plot_h, CHART_WIDTH - 10, top + plot_h);
    for (int b = 0; b < 11; b++) {
        char label[16];
        int h = (int)(st->bins[b] * (size_t)plot_h / most);
        int x = left + b * (bar_w + bar_gap);

        if (b == 10)
            snprintf(label, sizeof(label), "100");
        else
            snprintf(label, sizeof(label), "%d\xe2\x80\x93%d", b * 10, b * 10 + 9);
        fprintf(out,
                "<rect class=\"bar%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                "data-bin=\"%s\" data-count=\"%zu\"><title>%s%%: %zu student%s</title></rect>\n",
                b == 10 ? " full" : "", x, top + plot_h - h, bar_w, h, label, st->bins[b], label,
                st->bins[b], st->bins[b] == 1 ? "" : "s");
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"count\">%zu</text>\n", x + bar_w / 2,
                top + plot_h - h - 4, st->bins[b]);
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"label\">%s</text>\n", x + bar_w / 2,
                top + plot_h + 16, label);
    }
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" class=\"caption\">percent of the lab's points (rounded "
            "down)</text>\n",
            CHART_WIDTH / 2, top + plot_h + 40);
    fputs("</svg>\n", out);
}

struct test_failures {
    const struct column_test *test;
    size_t column; /* its place among the lab's tests: the order of a tie */
    size_t failed, of;
};

static int compare_failures(const void *a, const void *b)
{
    const struct test_failures *x = a, *y = b;
    if (x->failed != y->failed)
        return x->failed < y->failed ? 1 : -1;
    return (x->column > y->column) - (x->column < y->column);
}

/*
 * How many students each test of LAB failed, of those whose code ran it:
 * a test that did not run (the code did not build) broke no promise, and
 * code that could not be graded is no one's attempt.
 */
static struct test_failures *count_failures(const struct class_results *class,
                                            const struct column_lab *lab)
{
    struct test_failures *rows = calloc(lab->n_tests ? lab->n_tests : 1, sizeof(*rows));

    if (rows == NULL) {
        perror("calloc");
        exit(3);
    }
    for (size_t j = 0; j < lab->n_tests; j++) {
        rows[j].test = &lab->tests[j];
        rows[j].column = j;
        for (size_t i = 0; i < class->n_entries; i++) {
            const struct test_verdict *v =
                verdict_of(graded_lab(class->entries[i].grade, lab->id), lab->tests[j].id);
            if (v == NULL || v->status == STATUS_NOT_RUN)
                continue;
            rows[j].of++;
            if (v->status != STATUS_PASSED)
                rows[j].failed++;
        }
    }
    qsort(rows, lab->n_tests, sizeof(*rows), compare_failures);
    return rows;
}

static void failures_svg(FILE *out, const struct class_results *class, const struct column_lab *lab)
{
    struct test_failures *rows = count_failures(class, lab);
    const int label_w = 210, bar_max = 300, row_h = 24;
    size_t n = lab->n_tests;

    fprintf(out,
            "<svg class=\"failures\" width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\" "
            "role=\"img\" aria-label=\"",
            CHART_WIDTH, n * row_h + 10, CHART_WIDTH, n * row_h + 10);
    html_attribute(out, lab->id);
    fputs(": share of students whose code ran each test and failed it, most failed first\">\n",
          out);
    for (size_t r = 0; r < n; r++) {
        int y = 5 + (int)r * row_h;
        int w = rows[r].of ? (int)(rows[r].failed * (size_t)bar_max / rows[r].of) : 0;
        int percent = rows[r].of ? (int)(rows[r].failed * 100 / rows[r].of) : 0;

        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"test\">", label_w - 8, y + 16);
        html(out, rows[r].test->id);
        if (rows[r].test->flags & TEST_HIDDEN)
            fputs(" (hidden)", out);
        fprintf(out,
                "</text>\n<rect class=\"fail\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                "data-test=\"",
                label_w, y + 3, w, row_h - 6);
        html_attribute(out, rows[r].test->id);
        fprintf(out, "\" data-failed=\"%zu\" data-of=\"%zu\"><title>", rows[r].failed, rows[r].of);
        html(out, rows[r].test->title);
        fprintf(out, "</title></rect>\n");
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"share\">%zu of %zu (%d%%)</text>\n",
                label_w + w + 6, y + 16, rows[r].failed, rows[r].of, percent);
    }
    fputs("</svg>\n", out);
    free(rows);
}

static void lab_section(FILE *out, const struct class_results *class, const struct column_lab *lab)
{
    struct lab_stats st = lab_stats(class, lab);

    fputs("<section class=\"lab\" id=\"lab-", out);
    html_attribute(out, lab->id);
    fputs("\">\n<h2>", out);
    html(out, lab->id);
    fputs(": ", out);
    html(out, lab->title);
    fputs("</h2>\n", out);
    if (st.n == 0) {
        fputs("<p>No student's code for this lab was graded.</p>\n</section>\n", out);
        return;
    }
    fprintf(out,
            "<p class=\"stats\">%zu students graded; out of %d points: mean %.1f, median %.1f, "
            "lowest %d, highest %d; full marks: %zu.",
            st.n, st.max_score, st.mean, st.median, st.lowest, st.highest, st.full_marks);
    if (st.not_graded > 0)
        fprintf(out,
                " <span class=\"not-graded\">%zu could not be graded</span> and count in no "
                "figure here.",
                st.not_graded);
    fputs("</p>\n<h3>Score distribution</h3>\n", out);
    histogram_svg(out, lab, &st);
    fputs("<h3>Tests most students fail</h3>\n", out);
    failures_svg(out, class, lab);
    fputs("</section>\n", out);
}

/* The style class of ENTRY's status: graded, build failures, not graded. */
static const char *status_class(const struct class_entry *entry)
{
    if (!class_entry_graded(entry))
        return "not-graded";
    for (size_t i = 0; i < entry->grade->n_labs; i++)
        if (entry->grade->labs[i].state == LAB_BUILD_FAILED)
            return "build-failed";
    return "graded";
}

static void student_row(FILE *out, const struct columns *columns, const struct class_entry *entry)
{
    bool graded = class_entry_graded(entry);
    char *status = class_entry_status(entry);

    fprintf(out, "<tr class=\"%s\"><td>", status_class(entry));
    if (entry->report_folder != NULL) {
        fputs("<a href=\"", out);
        url_path(out, entry->report_folder);
        fputs(entry->grade ? "/report.txt\">" : "/grader.log\">", out);
        html(out, entry->student);
        fputs("</a>", out);
    } else {
        html(out, entry->student);
    }
    fputs("</td>", out);
    for (size_t i = 0; i < columns->n_labs; i++) {
        const struct lab_result *lab = graded_lab(entry->grade, columns->labs[i].id);
        if (lab != NULL)
            fprintf(out, "<td class=\"num\">%d</td>", lab->score);
        else
            fputs("<td class=\"none\">\xe2\x80\x94</td>", out);
    }
    if (graded)
        fprintf(out, "<td class=\"num\">%d/%d</td>", entry->grade->score, entry->grade->max_score);
    else
        fputs("<td class=\"none\">\xe2\x80\x94</td>", out);
    fprintf(out, "<td class=\"status %s\">", status_class(entry));
    html(out, status);
    fputs("</td></tr>\n", out);
    free(status);
}

static void students_table(FILE *out, const struct class_results *class,
                           const struct columns *columns)
{
    fputs("<section id=\"students\">\n<h2>Students</h2>\n<table>\n<thead><tr><th>student</th>",
          out);
    for (size_t i = 0; i < columns->n_labs; i++) {
        fputs("<th>", out);
        html(out, columns->labs[i].id);
        fputs("</th>", out);
    }
    fputs("<th>total</th><th>status</th></tr></thead>\n<tbody>\n", out);
    for (size_t e = 0; e < class->n_entries; e++)
        student_row(out, columns, &class->entries[e]);
    fputs("</tbody>\n</table>\n</section>\n", out);
}

/* Graded code is plain; code that did not build (graded: 0) is red; what
 * could not be graded at all stands out on its own, amber, never as a 0. */
static const char STYLE[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}"
    "h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}"
    "svg{display:block;margin:.5em 0 1.5em}"
    "svg text{font-size:12px;fill:#333}"
    "svg .label,svg .count,svg .caption{text-anchor:middle}"
    "svg .test{text-anchor:end;font-family:monospace}"
    "rect.bar{fill:#4a7fb5}rect.bar.full{fill:#3a9a5b}rect.fail{fill:#c8553d}"
    ".axis{stroke:#888}"
    "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .6em;"
    "text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "td.none{text-align:center;color:#888}"
    "td.status.graded{color:#2a7a45}td.status.build-failed{color:#b00}"
    "tr.not-graded{background:#fff3d6}td.status.not-graded,span.not-graded{color:#8a4b00;"
    "font-weight:bold}";

int write_class_summary_html(FILE *out, const struct class_results *class)
{
    struct columns columns = class_columns(class);
    size_t graded = 0;
    char when[64];
    time_t now = time(NULL);

    for (size_t i = 0; i < class->n_entries; i++)
        graded += class_entry_graded(&class->entries[i]);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", localtime(&now));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          /* Nothing may load: no network, no scripts, only the inline style. */
          "<meta http-equiv=\"Content-Security-Policy\" "
          "content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n<title>shmlab: ",
          out);
    html(out, class->title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Class summary: ", STYLE);
    html(out, class->title);
    fprintf(out,
            "</h1>\n<p class=\"counts\">%zu submissions: %zu graded, <span "
            "class=\"not-graded\">%zu could not be graded</span>. Generated %s.%s</p>\n",
            class->n_entries, graded, class->n_entries - graded, when,
            columns.hidden ? " Hidden tests included." : "");
    for (size_t i = 0; i < columns.n_labs; i++)
        lab_section(out, class, &columns.labs[i]);
    students_table(out, class, &columns);
    fputs("</body>\n</html>\n", out);
    columns_free(&columns);
    return ferror(out) ? -1 : 0;
}
