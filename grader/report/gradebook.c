/* gradebook.c - see gradebook.h. */
#define _GNU_SOURCE
#include "report/gradebook.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/harness.h"

/* --- looking things up in one student's grade ------------------------------ */

static const struct lab_result *lab_of(const struct grade_result *grade, const struct lab *lab)
{
    for (size_t i = 0; grade != NULL && i < grade->n_labs; i++)
        if (strcmp(grade->labs[i].lab->id, lab->id) == 0)
            return &grade->labs[i];
    return NULL;
}

static const struct test_verdict *verdict_of(const struct lab_result *lab,
                                             const struct lab_test *test)
{
    for (size_t i = 0; lab != NULL && i < lab->n_tests; i++)
        if (strcmp(lab->tests[i].test->id, test->id) == 0)
            return &lab->tests[i];
    return NULL;
}

static bool column_wanted(const struct class_results *class, const struct lab_test *test)
{
    return class->include_hidden || !(test->flags & TEST_HIDDEN);
}

/* One line on how grading went for ENTRY: "graded", or what went wrong. */
static char *entry_status(const struct class_entry *entry)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    const char *sep = "";

    if (out == NULL) {
        perror("open_memstream");
        exit(3);
    }
    if (entry->grade == NULL) {
        fprintf(out, "not graded: %s", entry->error ? entry->error : "unknown error");
    } else {
        for (size_t i = 0; i < entry->grade->n_labs; i++) {
            const struct lab_result *lab = &entry->grade->labs[i];
            if (lab->state == LAB_BUILD_FAILED)
                fprintf(out, "%s%s: build failed", sep, lab->lab->id);
            else if (lab->state == LAB_BAD_SUBMISSION)
                fprintf(out, "%s%s: %s", sep, lab->lab->id,
                        lab->problem ? lab->problem : "not graded");
            else
                continue;
            sep = "; ";
        }
        if (sep[0] == '\0')
            fputs("graded", out);
    }
    fclose(out);
    return text;
}

/* --- CSV -------------------------------------------------------------------- */

void csv_write_cell(FILE *out, const char *text)
{
    char *clean = report_text_copy(text);
    bool formula = strchr("=+-@", clean[0]) != NULL && clean[0] != '\0';
    bool quote = formula || strpbrk(clean, ",\"\r\n") != NULL || clean[0] == ' ' ||
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

static void csv_header(FILE *out, const struct class_results *class)
{
    fputs("student", out);
    for (size_t i = 0; i < class->n_labs; i++) {
        fputc(',', out);
        csv_write_cell(out, class->labs[i]->id);
    }
    for (size_t i = 0; i < class->n_labs; i++) {
        const struct lab *lab = class->labs[i];
        for (size_t j = 0; j < lab->n_tests; j++) {
            char *name;
            if (!column_wanted(class, &lab->tests[j]))
                continue;
            if (asprintf(&name, "%s/%s", lab->id, lab->tests[j].id) < 0) {
                perror("asprintf");
                exit(3);
            }
            fputc(',', out);
            csv_write_cell(out, name);
            free(name);
        }
    }
    fputs(",total,max_total,status\r\n", out);
}

static void csv_row(FILE *out, const struct class_results *class, const struct class_entry *entry)
{
    const struct grade_result *grade = entry->grade;
    char *status = entry_status(entry);

    csv_write_cell(out, entry->student);
    for (size_t i = 0; i < class->n_labs; i++) {
        const struct lab_result *lab = lab_of(grade, class->labs[i]);
        csv_write_int(out, lab != NULL, lab ? lab->score : 0);
    }
    for (size_t i = 0; i < class->n_labs; i++) {
        const struct lab *lab = class->labs[i];
        const struct lab_result *result = lab_of(grade, lab);
        for (size_t j = 0; j < lab->n_tests; j++) {
            const struct test_verdict *verdict;
            if (!column_wanted(class, &lab->tests[j]))
                continue;
            verdict = verdict_of(result, &lab->tests[j]);
            csv_write_int(out, verdict != NULL, verdict ? verdict->score : 0);
        }
    }
    csv_write_int(out, grade != NULL, grade ? grade->score : 0);
    csv_write_int(out, grade != NULL, grade ? grade->max_score : 0);
    fputc(',', out);
    csv_write_cell(out, status);
    fputs("\r\n", out);
    free(status);
}

int write_gradebook_csv(FILE *out, const struct class_results *class)
{
    csv_header(out, class);
    for (size_t i = 0; i < class->n_entries; i++)
        csv_row(out, class, &class->entries[i]);
    return ferror(out) ? -1 : 0;
}

/* --- HTML ------------------------------------------------------------------- */

static void html(FILE *out, const char *text)
{
    char *clean = report_text_copy(text);

    for (const unsigned char *s = (const unsigned char *)clean; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            /* Control characters are not allowed in XML, even escaped. */
            fputc(*s < 0x20 && *s != '\n' && *s != '\t' ? '?' : *s, out);
        }
    }
    free(clean);
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

/* The scores of LAB among the graded students. */
struct lab_stats {
    int max_score;
    size_t n;        /* students with a result for the lab */
    size_t bins[11]; /* by percent rounded down: 0-9, ..., 90-99, 100 */
    size_t full_marks;
    double mean, median;
    int lowest, highest;
};

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static struct lab_stats lab_stats(const struct class_results *class, const struct lab *lab)
{
    struct lab_stats st = {0};
    int *scores = calloc(class->n_entries ? class->n_entries : 1, sizeof(*scores));
    double sum = 0;

    if (scores == NULL) {
        perror("calloc");
        exit(3);
    }
    for (size_t i = 0; i < class->n_entries; i++) {
        const struct lab_result *result = lab_of(class->entries[i].grade, lab);
        int percent;
        if (result == NULL || result->max_score <= 0)
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

static void histogram_svg(FILE *out, const struct lab *lab, const struct lab_stats *st)
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
    html(out, lab->id);
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
    const struct lab_test *test;
    size_t failed, of;
};

static int compare_failures(const void *a, const void *b)
{
    const struct test_failures *x = a, *y = b;
    if (x->failed != y->failed)
        return x->failed < y->failed ? 1 : -1;
    return x->test < y->test ? -1 : x->test > y->test;
}

static void failures_svg(FILE *out, const struct class_results *class, const struct lab *lab)
{
    struct test_failures *rows = calloc(lab->n_tests ? lab->n_tests : 1, sizeof(*rows));
    const int label_w = 210, bar_max = 300, row_h = 24;
    size_t n = 0;

    if (rows == NULL) {
        perror("calloc");
        exit(3);
    }
    for (size_t j = 0; j < lab->n_tests; j++) {
        if (!column_wanted(class, &lab->tests[j]))
            continue;
        rows[n].test = &lab->tests[j];
        for (size_t i = 0; i < class->n_entries; i++) {
            const struct test_verdict *v =
                verdict_of(lab_of(class->entries[i].grade, lab), &lab->tests[j]);
            if (v == NULL)
                continue;
            rows[n].of++;
            if (v->status != STATUS_PASSED)
                rows[n].failed++;
        }
        n++;
    }
    qsort(rows, n, sizeof(*rows), compare_failures);
    fprintf(out,
            "<svg class=\"failures\" width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\" "
            "role=\"img\" aria-label=\"",
            CHART_WIDTH, n * row_h + 10, CHART_WIDTH, n * row_h + 10);
    html(out, lab->id);
    fputs(": share of students failing each test, most failed first\">\n", out);
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
        html(out, rows[r].test->id);
        fprintf(out, "\" data-failed=\"%zu\" data-of=\"%zu\"><title>", rows[r].failed, rows[r].of);
        html(out, rows[r].test->title);
        fprintf(out, "</title></rect>\n");
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"share\">%zu of %zu (%d%%)</text>\n",
                label_w + w + 6, y + 16, rows[r].failed, rows[r].of, percent);
    }
    fputs("</svg>\n", out);
    free(rows);
}

static void lab_section(FILE *out, const struct class_results *class, const struct lab *lab)
{
    struct lab_stats st = lab_stats(class, lab);

    fputs("<section class=\"lab\" id=\"lab-", out);
    html(out, lab->id);
    fputs("\">\n<h2>", out);
    html(out, lab->id);
    fputs(": ", out);
    html(out, lab->title);
    fputs("</h2>\n", out);
    if (st.n == 0) {
        fputs("<p>No student has a result for this lab.</p>\n</section>\n", out);
        return;
    }
    fprintf(out,
            "<p class=\"stats\">%zu students; out of %d points: mean %.1f, median %.1f, lowest "
            "%d, highest %d; full marks: %zu.</p>\n",
            st.n, st.max_score, st.mean, st.median, st.lowest, st.highest, st.full_marks);
    fputs("<h3>Score distribution</h3>\n", out);
    histogram_svg(out, lab, &st);
    fputs("<h3>Tests most students fail</h3>\n", out);
    failures_svg(out, class, lab);
    fputs("</section>\n", out);
}

static void students_table(FILE *out, const struct class_results *class)
{
    fputs("<section id=\"students\">\n<h2>Students</h2>\n<table>\n<thead><tr><th>student</th>",
          out);
    for (size_t i = 0; i < class->n_labs; i++) {
        fputs("<th>", out);
        html(out, class->labs[i]->id);
        fputs("</th>", out);
    }
    fputs("<th>total</th><th>status</th></tr></thead>\n<tbody>\n", out);
    for (size_t e = 0; e < class->n_entries; e++) {
        const struct class_entry *entry = &class->entries[e];
        char *status = entry_status(entry);

        fputs("<tr><td>", out);
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
        for (size_t i = 0; i < class->n_labs; i++) {
            const struct lab_result *lab = lab_of(entry->grade, class->labs[i]);
            if (lab != NULL)
                fprintf(out, "<td class=\"num\">%d</td>", lab->score);
            else
                fputs("<td></td>", out);
        }
        if (entry->grade != NULL)
            fprintf(out, "<td class=\"num\">%d/%d</td>", entry->grade->score,
                    entry->grade->max_score);
        else
            fputs("<td></td>", out);
        fprintf(out, "<td class=\"%s\">", entry->grade ? "ok" : "error");
        html(out, status);
        fputs("</td></tr>\n", out);
        free(status);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

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
    "td.error{color:#b00}";

int write_class_summary_html(FILE *out, const struct class_results *class)
{
    size_t graded = 0;
    char when[64];
    time_t now = time(NULL);

    for (size_t i = 0; i < class->n_entries; i++)
        graded += class->entries[i].grade != NULL;
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
            "</h1>\n<p class=\"counts\">%zu submissions: %zu graded, %zu could not be graded. "
            "Generated %s.%s</p>\n",
            class->n_entries, graded, class->n_entries - graded, when,
            class->include_hidden ? " Hidden tests included." : "");
    for (size_t i = 0; i < class->n_labs; i++)
        lab_section(out, class, class->labs[i]);
    students_table(out, class);
    fputs("</body>\n</html>\n", out);
    return ferror(out) ? -1 : 0;
}
