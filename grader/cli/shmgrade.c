/*
 * shmgrade - grade shmlab submissions.
 *
 * Stages each lab in a fresh work folder (the lab's own build files plus
 * only the student-editable files of the submission), builds it with the
 * lab's rules, runs every test in a process of its own, and reports.
 *
 * Exit status: 0 full marks, 1 some test failed, 2 bad command line or
 * unusable submission path, 3 the grader itself failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/options.h"
#include "core/fs.h"
#include "core/text.h"
#include "report/formats.h"
#include "core/proc.h"
#include "learn/hints.h"
#include "learn/ipc_tool.h"
#include "learn/live.h"
#include "learn/replay.h"
#include "learn/saved.h"
#include "learn/student.h"
#include "learn/terminal.h"
#include "learn/watch.h"
#include "run/grade.h"
#include "run/hidden.h"
#include "run/inject.h"
#include "report/report.h"
#include "run/preflight.h"
#include "run/runner.h"
#include "sandbox/sandbox.h"
#include "run/unpack.h"
#include "run/verdict.h"

enum format {
    FORMAT_TEXT,
    FORMAT_JSON,
    FORMAT_JUNIT,
    FORMAT_TAP,
    FORMAT_GRADESCOPE,
    FORMAT_AUTOLAB
};

struct options {
    const char *labs[64];
    size_t n_labs;
    const char *submission;
    const char *output;
    const char *root;
    const char *only_test;
    const char *repro;     /* --repro: the test to write a replay script of */
    const char *hint;      /* --hint: the test whose next hint to show */
    const char *also_json; /* --also-json: the grade as JSON there too (for --watch) */
    bool watch;
    enum format format;
    bool hidden, list, verbose, keep, summary;
    enum sandbox_level isolation;
    bool valgrind;
    long seed;            /* --seed, or -1 */
    long schedule_offset; /* $SHMGRADE_SCHEDULE_OFFSET */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: shmgrade [options] [LAB...]\n"
            "Grade shmlab labs: build the student's files with the lab's rules, run the\n"
            "lab's tests, report each test's verdict, points and hint.\n"
            "\n"
            "  -l, --lab LAB         grade LAB (its folder name or number, e.g. 01);\n"
            "                        repeatable; default: every lab\n"
            "  -s, --submission DIR  the student's files, as DIR/LAB/FILE (or DIR/FILE\n"
            "                        when one lab is graded); default: this checkout's labs/;\n"
            "                        or an archive of them: .tar.gz, .tgz, .tar or .zip\n"
            "  -f, --format FORMAT   text (default), json, junit (JUnit XML), tap,\n"
            "                        gradescope (results.json) or autolab\n"
            "  -o, --output FILE     write the report to FILE instead of stdout\n"
            "  -t, --test ID         run only the test ID (or IDs, comma-separated)\n"
            "      --hint ID         show the hints of test ID seen so far and the next\n"
            "                        level (the idea, where to look, a nudge); no grading\n"
            "      --repro ID        run the test ID and write a script that replays it,\n"
            "                        step by step, from its lab folder\n"
            "                        (labs/LAB/repro/ID.sh); failing tests get one anyway\n"
            "      --watch           grade your working copy again on every save, with what\n"
            "                        changed since the last run (Ctrl-C ends)\n"
            "      --hidden          also run tests marked hidden (for instructors)\n"
            "      --list            list the labs and their tests, then exit\n"
            "      --summary         a progress view: one line per lab and the next\n"
            "                        test to make pass, with its hint\n"
            "  -v, --verbose         show the output of passed tests too\n"
            "      --keep            keep the work folder and print where it is\n"
            "      --root DIR        the shmlab checkout (default: found from this program)\n"
            "      --isolation LEVEL namespaces, none or auto (default; or\n"
            "                        $SHMGRADE_ISOLATION): how student programs are contained\n"
            "      --valgrind        run student programs under valgrind's memcheck: memory\n"
            "                        errors and leaks fail the test\n"
            "      --seed N          race-prone tests run only schedule N (the one a\n"
            "                        failure names), to replay it\n"
            "  -h, --help            show this help\n"
            "\n"
            "Exit status: 0 full marks, 1 a test failed, 2 bad usage, 3 grader error.\n");
}

static _Noreturn void usage_error(const char *format, const char *arg)
{
    fprintf(stderr, "shmgrade: ");
    fprintf(stderr, format, arg);
    fprintf(stderr, "\nTry 'shmgrade --help'.\n");
    exit(2);
}

static void parse_options(int argc, char *argv[], struct options *o)
{
    enum {
        OPT_HIDDEN = 256,
        OPT_LIST,
        OPT_KEEP,
        OPT_ROOT,
        OPT_SUMMARY,
        OPT_ISOLATION,
        OPT_VALGRIND,
        OPT_SEED,
        OPT_REPRO,
        OPT_HINT,
        OPT_WATCH,
        OPT_ALSO_JSON
    };
    const struct option_spec options[] = {
        {"lab", 'l', true, NULL, NULL},
        {"submission", 's', true, &o->submission, NULL},
        {"format", 'f', true, NULL, NULL},
        {"output", 'o', true, &o->output, NULL},
        {"test", 't', true, &o->only_test, NULL},
        {"hidden", OPT_HIDDEN, false, NULL, &o->hidden},
        {"list", OPT_LIST, false, NULL, &o->list},
        {"summary", OPT_SUMMARY, false, NULL, &o->summary},
        {"verbose", 'v', false, NULL, &o->verbose},
        {"keep", OPT_KEEP, false, NULL, &o->keep},
        {"root", OPT_ROOT, true, &o->root, NULL},
        {"isolation", OPT_ISOLATION, true, NULL, NULL},
        {"valgrind", OPT_VALGRIND, false, NULL, &o->valgrind},
        {"seed", OPT_SEED, true, NULL, NULL},
        {"repro", OPT_REPRO, true, NULL, NULL},
        {"hint", OPT_HINT, true, NULL, NULL},
        {"watch", OPT_WATCH, false, NULL, &o->watch},
        {"also-json", OPT_ALSO_JSON, true, &o->also_json, NULL},
        {"help", 'h', false, NULL, NULL},
    };
    const char *isolation = getenv("SHMGRADE_ISOLATION");
    int c;

    if (isolation != NULL && isolation[0] != '\0' && !sandbox_parse_level(isolation, &o->isolation))
        usage_error("SHMGRADE_ISOLATION='%s': use namespaces, none or auto", isolation);
    const char *offset = getenv("SHMGRADE_SCHEDULE_OFFSET");
    if (offset != NULL && offset[0] != '\0') {
        char *end;
        errno = 0;
        o->schedule_offset = strtol(offset, &end, 10);
        if (errno != 0 || *end != '\0' || o->schedule_offset < 0)
            usage_error("SHMGRADE_SCHEDULE_OFFSET='%s': use a whole number", offset);
    }
    static const struct named_value formats[] = {
        {"text", FORMAT_TEXT},
        {"json", FORMAT_JSON},
        {"junit", FORMAT_JUNIT},
        {"tap", FORMAT_TAP},
        {"gradescope", FORMAT_GRADESCOPE},
        {"autolab", FORMAT_AUTOLAB},
    };
    while ((c = option_next(argc, argv, options, TABLE_LENGTH(options))) != -1) {
        switch (c) {
        case 'l':
            if (o->n_labs == sizeof(o->labs) / sizeof(o->labs[0]))
                usage_error("too many labs: %s", optarg);
            o->labs[o->n_labs++] = optarg;
            break;
        case 'f': {
            int format;
            if (!named_value_find(formats, TABLE_LENGTH(formats), optarg, &format))
                usage_error("unknown format '%s' (use text, json, junit, tap, gradescope or "
                            "autolab)",
                            optarg);
            o->format = (enum format)format;
            break;
        }
        case OPT_HINT:
            o->hint = optarg;
            o->only_test = optarg;
            break;
        case OPT_REPRO:
            o->repro = optarg;
            o->only_test = optarg;
            break;
        case OPT_ISOLATION:
            if (!sandbox_parse_level(optarg, &o->isolation))
                usage_error("unknown isolation '%s' (use namespaces, none or auto)", optarg);
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            o->seed = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || o->seed < 0)
                usage_error("--seed takes a whole number, not '%s'", optarg);
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "Try 'shmgrade --help'.\n");
            exit(2);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (o->n_labs == sizeof(o->labs) / sizeof(o->labs[0]))
            usage_error("too many labs: %s", argv[i]);
        o->labs[o->n_labs++] = argv[i];
    }
}

static bool is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The checkout: --root, $SHMLAB_ROOT, or the folder above build/shmgrade,
 * into PATH (PATH_MAX bytes). */
static void find_root(const char *given, char path[PATH_MAX])
{
    char labs[PATH_MAX + 8];
    const char *env = getenv("SHMLAB_ROOT");
    ssize_t n;

    if (given == NULL && env != NULL && env[0] != '\0')
        given = env;
    if (given != NULL) {
        if (realpath(given, path) == NULL)
            usage_error("cannot use the root folder '%s'", given);
    } else {
        n = readlink("/proc/self/exe", path, PATH_MAX - 1);
        if (n < 0) {
            perror("shmgrade: readlink /proc/self/exe");
            exit(3);
        }
        path[n] = '\0';
        dirname(path); /* .../build */
        dirname(path); /* the checkout */
    }
    snprintf(labs, sizeof(labs), "%s/labs", path);
    if (!is_folder(labs))
        usage_error("'%s' has no labs/ folder: use --root to name the shmlab checkout", path);
}

/* Every lab, its points in all (visible and hidden: hidden tests the
 * student pack lacks still carry their share), and its tests. */
/* --list --format json: every lab and test, as the handouts' tables and
 * other tools read them. */
static int list_labs_json(void)
{
    size_t n;
    const struct lab *const *all = registered_labs(&n);
    json_t *labs = json_array();

    for (size_t i = 0; i < n; i++) {
        const struct lab *lab = lab_with_hidden_tests(all[i]);
        json_t *tests = json_array();
        for (size_t j = 0; j < lab->n_tests; j++) {
            const struct lab_test *t = &lab->tests[j];
            json_array_append_new(tests, json_pack("{s:s, s:s, s:i, s:b, s:s, s:b}", "id", t->id,
                                                   "title", t->title, "points", t->points, "hidden",
                                                   (t->flags & TEST_HIDDEN) != 0, "clauses",
                                                   t->clauses ? t->clauses : "", "hinted",
                                                   t->hint != NULL && t->hint[0] != '\0'));
        }
        json_array_append_new(labs, json_pack("{s:s, s:s, s:i, s:i, s:o}", "id", lab->id, "title",
                                              lab->title, "points", LAB_POINTS, "visible_points",
                                              lab_visible_points(lab), "tests", tests));
    }
    int rc = json_dumpf(labs, stdout, JSON_INDENT(2)) == 0 && putchar('\n') != EOF ? 0 : 3;
    json_decref(labs);
    return rc;
}

static void list_labs(void)
{
    size_t n;
    const struct lab *const *all = registered_labs(&n);

    for (size_t i = 0; i < n; i++) {
        const struct lab *lab = lab_with_hidden_tests(all[i]);
        int visible = lab_visible_points(lab);

        printf("%s: %s \u2014 %d points ", lab->id, lab->title, LAB_POINTS);
        if (visible < LAB_POINTS)
            printf("(%d visible, %d hidden)\n", visible, LAB_POINTS - visible);
        else
            printf("(all visible)\n");
        for (size_t j = 0; j < lab->n_tests; j++) {
            const struct lab_test *t = &lab->tests[j];
            printf("  %-24s %3d  %s%s  [%s]\n", t->id, t->points, t->title,
                   (t->flags & TEST_HIDDEN) ? " (hidden)" : "", t->clauses ? t->clauses : "");
        }
    }
}

/* The labs to grade, in folder order; exits with 2 on an unknown one. */
static size_t select_labs(const struct options *o, const struct lab **chosen)
{
    size_t n_all, n = 0;
    const struct lab *const *all = registered_labs(&n_all);

    if (o->n_labs == 0) {
        for (size_t i = 0; i < n_all; i++)
            chosen[n++] = lab_with_hidden_tests(all[i]);
        return n;
    }
    for (size_t i = 0; i < o->n_labs; i++) {
        const struct lab *lab = find_lab(o->labs[i]);
        if (lab == NULL)
            usage_error("no lab '%s' (see 'shmgrade --list')", o->labs[i]);
        chosen[n++] = lab_with_hidden_tests(lab);
    }
    return n;
}

/* The work folder goes, whatever student programs left in it. */
/* The test ids of LAB, comma-separated; hidden ones marked. The caller frees it. */
static char *test_ids(const struct lab *lab)
{
    struct strbuf ids = {0};

    for (size_t i = 0; i < lab->n_tests; i++)
        strbuf_printf(&ids, "%s%s%s", i ? ", " : "", lab->tests[i].id,
                      (lab->tests[i].flags & TEST_HIDDEN) ? " (hidden)" : "");
    return strbuf_take(&ids);
}

/*
 * Check the ids of --test against the labs chosen, and keep only the labs
 * that have one: a typo is a usage error that lists the lab's tests, never
 * a grading of nothing. Without --lab, each id must name a test of exactly
 * one lab. Returns how many labs are left in CHOSEN.
 */
static size_t select_tests(const struct options *o, const struct lab **chosen, size_t n)
{
    bool wanted[64] = {false};
    char *list = xstrdup(o->only_test), *save = NULL;
    size_t kept = 0;

    if (o->only_test[0] == '\0' || o->only_test[strlen(o->only_test) - 1] == ',' ||
        strstr(o->only_test, ",,") != NULL || o->only_test[0] == ',')
        usage_error("--test '%s': name test ids, separated by commas", o->only_test);
    for (char *id = strtok_r(list, ",", &save); id != NULL; id = strtok_r(NULL, ",", &save)) {
        struct strbuf labs_with_it = {0};
        size_t found = 0;
        for (size_t i = 0; i < n; i++) {
            const struct lab_test *test = lab_find_test(chosen[i], id);
            if (test == NULL)
                continue;
            if ((test->flags & TEST_HIDDEN) && !o->hidden) {
                char *why = xasprintf("test '%s' of %s is hidden: add --hidden to run it", id,
                                      chosen[i]->id);
                usage_error("%s", why);
            }
            strbuf_printf(&labs_with_it, "%s%s", found++ ? ", " : "", chosen[i]->id);
            wanted[i] = true;
        }
        if (found == 0 && n == 1) {
            char *why = xasprintf("lab %s has no test '%s'; its tests: %s", chosen[0]->id, id,
                                  test_ids(chosen[0]));
            usage_error("%s", why);
        }
        if (found == 0)
            usage_error("no lab has a test '%s' (see 'shmgrade --list')", id);
        if (found > 1 && o->n_labs == 0) {
            char *why = xasprintf("test '%s' is in more than one lab (%s): name the lab with "
                                  "--lab",
                                  id, strbuf_take(&labs_with_it));
            usage_error("%s", why);
        }
        free(strbuf_take(&labs_with_it));
    }
    free(list);
    for (size_t i = 0; i < n; i++)
        if (wanted[i])
            chosen[kept++] = chosen[i];
    return kept;
}

static void remove_work_folder(const char *work)
{
    if (remove_tree(work, NULL) < 0)
        fprintf(stderr, "shmgrade: cannot remove the work folder %s: %s\n", work, strerror(errno));
}

/* The student whose working copy is graded (no --submission), or NULL. */
static struct student_view *student;

/* The text report's style for OUT: colour and width as the terminal allows,
 * and for a student grading their working copy, what to do next. */
static struct text_style text_style_for(const struct options *o, FILE *out)
{
    struct text_style style = {
        .colour = want_colour(out), .verbose = o->verbose, .width = terminal_width(out)};

    if (student != NULL)
        student_style(student, &style);
    return style;
}

/* --hint: the hints of the test seen so far, and one level more. */
static int show_hint(const struct options *o, const char *root, const struct lab *lab)
{
    struct student_view view;
    struct text_style style = text_style_for(o, stdout);
    char *again;
    int rc;

    student_view_init(&view, root);
    again = student_make_command(&view, "hint", lab->id, o->hint);
    rc = hints_show(stdout, root, lab, o->hint, again, &style) == 0 ? 0 : 3;
    free(again);
    return rc;
}

/* --repro: write the replay script of the test asked for, and say where. */
static int write_repro(const struct options *o, const struct grade_result *grade)
{
    for (size_t i = 0; i < grade->n_labs; i++) {
        const struct lab_result *lab = &grade->labs[i];
        for (size_t j = 0; j < lab->n_tests; j++) {
            if (strcmp(lab->tests[j].id, o->repro) != 0)
                continue;
            if (replay_write(student->root, student->shmgrade, lab, &lab->tests[j]) < 0)
                return 3;
            char *path = replay_script_path(student->root, lab->id, o->repro);
            char *shown = student_path(student, path);
            fprintf(stderr, "shmgrade: the replay script of %s is %s: run it with `bash %s`\n",
                    o->repro, shown, shown);
            free(shown);
            free(path);
            return 0;
        }
    }
    fprintf(stderr, "shmgrade: %s did not run, so it has no replay script\n", o->repro);
    return 3;
}

/* --watch: grade again on every save, with argv's other options. */
static int watch(const struct options *o, const char *root, const struct lab *const *labs,
                 size_t n_labs, int argc, char *argv[])
{
    const char *ids[64];
    char **grading = calloc((size_t)argc + 1, sizeof(*grading));
    size_t n = 0;
    int rc;

    if (student == NULL || o->summary || o->repro != NULL || o->output != NULL)
        usage_error("%s: watch grades your working copy as text (no --submission, --format, "
                    "--summary, --repro or --output)",
                    "--watch");
    if (grading == NULL) {
        perror("shmgrade: calloc");
        return 3;
    }
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--watch") != 0)
            grading[n++] = argv[i];
    for (size_t i = 0; i < n_labs; i++)
        ids[i] = labs[i]->id;
    struct watch_config config = {.root = root,
                                  .shmgrade = student->shmgrade,
                                  .labs = ids,
                                  .n_labs = n_labs,
                                  .grading_argv = grading};
    rc = watch_run(&config);
    free(grading);
    return rc;
}

/* --also-json FILE: the grade as JSON in FILE, for the watch that ran us. */
static int write_also_json(const char *path, const struct grade_result *grade)
{
    FILE *out = fopen(path, "we");
    int rc;

    if (out == NULL) {
        fprintf(stderr, "shmgrade: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    rc = write_json_report(out, grade);
    if (fclose(out) != 0 || rc != 0) {
        fprintf(stderr, "shmgrade: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* Did the grader fail on one of LAB's tests? Such a result is not saved. */
static bool lab_grader_failed(const struct lab_result *lab)
{
    for (size_t i = 0; i < lab->n_tests; i++)
        if (lab->tests[i].status == STATUS_GRADER_ERROR)
            return true;
    return false;
}

/* Is the report written as the grading goes: text, for a person, on stdout? */
static bool report_live(const struct options *o)
{
    return o->format == FORMAT_TEXT && !o->summary && o->output == NULL;
}

static int write_report(const struct options *o, const struct grade_result *grade)
{
    FILE *out = stdout;
    int rc = 0;

    if (o->output != NULL) {
        out = fopen(o->output, "w");
        if (out == NULL) {
            fprintf(stderr, "shmgrade: cannot write %s: %s\n", o->output, strerror(errno));
            return -1;
        }
    }
    if (o->format == FORMAT_JSON) {
        rc = write_json_report(out, grade);
    } else if (o->format == FORMAT_JUNIT) {
        rc = write_junit_report(out, grade);
    } else if (o->format == FORMAT_TAP) {
        rc = write_tap_report(out, grade);
    } else if (o->format == FORMAT_GRADESCOPE) {
        rc = write_gradescope_report(out, grade);
    } else if (o->format == FORMAT_AUTOLAB) {
        rc = write_autolab_report(out, grade);
    } else {
        struct text_style style = text_style_for(o, out);
        if (o->summary)
            report_summary(out, grade, &style);
        else
            report_text(out, grade, &style);
    }
    if (fflush(out) != 0)
        rc = -1;
    if (out != stdout && fclose(out) != 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "shmgrade: cannot write the report to %s\n",
                o->output ? o->output : "standard output");
    return rc;
}

int main(int argc, char *argv[])
{
    struct options o = {.seed = -1};
    const struct lab *labs[64];
    struct grade_result grade = {0};
    char work[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    long long start;
    size_t n_labs;

    /* For replay scripts: no grading at all. */
    if (argc >= 2 && strcmp(argv[1], "--ipc") == 0)
        return ipc_tool(argc - 2, argv + 2);
    parse_options(argc, argv, &o);
    if (o.list && o.format == FORMAT_JSON)
        return list_labs_json();
    if (o.list) {
        list_labs();
        return 0;
    }
    char root[PATH_MAX];
    find_root(o.root, root);
    static struct student_view view;
    if (o.submission == NULL && o.format == FORMAT_TEXT) {
        student_view_init(&view, root);
        student = &view;
    } else if (o.repro != NULL) {
        usage_error("--repro %s: a replay script runs in a lab folder of this checkout: grade "
                    "its working copy (no --submission, --format text)",
                    o.repro);
    }
    n_labs = select_labs(&o, labs);
    if (o.only_test != NULL)
        n_labs = select_tests(&o, labs, n_labs);
    if (o.hint != NULL)
        return show_hint(&o, root, labs[0]);
    if (o.watch)
        return watch(&o, root, labs, n_labs, argc, argv);
    bool archive = o.submission != NULL && !is_folder(o.submission) &&
                   archive_name_supported(o.submission) && access(o.submission, R_OK) == 0;
    if (o.submission != NULL && !is_folder(o.submission) && !archive)
        usage_error("the submission '%s' is not a folder, nor a readable .tar.gz, .tgz, .tar or "
                    ".zip archive",
                    o.submission);
    if (o.valgrind && access("/usr/bin/valgrind", X_OK) != 0)
        usage_error("--valgrind: %s is not installed (scripts/install-deps installs it)",
                    "/usr/bin/valgrind");

    /* Orphans of student programs come to us, so nothing escapes; a
     * student program that closes its pipes must not kill us. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGPIPE, SIG_IGN);
    snprintf(work, sizeof(work), "%s/shmgrade-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(work) == NULL) {
        fprintf(stderr, "shmgrade: mkdtemp %s: %s\n", work, strerror(errno));
        return 3;
    }
    /* Student programs run as a user of their own: it must reach its
     * build folder, and no more (the folder cannot be listed). */
    chmod(work, 0711);
    char why[1024];
    if (!sandbox_setup(o.isolation, root, work, why, sizeof(why))) {
        fprintf(stderr, "shmgrade: %s\n", why);
        remove_work_folder(work);
        return 2;
    }
    if (!preflight_check(why, sizeof(why))) {
        fprintf(stderr, "shmgrade: cannot grade here: %s\n", why);
        remove_work_folder(work);
        return 3;
    }
    runner_use_valgrind(o.valgrind);
    if (!prepare_injected_library(work, why, sizeof(why))) {
        fprintf(stderr, "shmgrade: %s\n", why);
        remove_work_folder(work);
        return 3;
    }
    if (o.seed >= 0)
        runner_use_seed(o.seed);
    runner_use_schedule_offset(o.schedule_offset);

    /* An archive is unpacked, checked entry by entry, into the work folder. */
    char unpacked[PATH_MAX + 64], submission_root[PATH_MAX + 64];
    char *archive_problem = NULL;
    const char *submission = o.submission;
    if (archive) {
        snprintf(unpacked, sizeof(unpacked), "%s/submission", work);
        if (mkdir(unpacked, 0700) < 0) {
            fprintf(stderr, "shmgrade: mkdir %s: %s\n", unpacked, strerror(errno));
            return 3;
        }
        archive_problem =
            archive_unpack(o.submission, unpacked, submission_root, sizeof(submission_root));
        submission = submission_root;
        if (archive_problem != NULL) {
            char *full =
                xasprintf("the archive %s cannot be graded: %s", o.submission, archive_problem);
            free(archive_problem);
            archive_problem = full;
            submission = unpacked;
        }
    }

    start = now_ms();
    grade.submission = o.submission ? o.submission : "working copy";
    grade.isolation = sandbox_description();
    grade.labs = calloc(n_labs ? n_labs : 1, sizeof(*grade.labs));
    if (grade.labs == NULL) {
        perror("calloc");
        return 3;
    }
    struct text_style live_style = text_style_for(&o, stdout);
    struct live_report live;
    live_init(&live, stdout, &live_style, isatty(STDOUT_FILENO));
    if (report_live(&o)) {
        terminal_take();
        terminal_on_interrupt(runner_stop);
    }
    struct strbuf saved_labs = {0};
    for (size_t i = 0; i < n_labs && !runner_stopped(); i++) {
        /* A whole lab of a working copy is saved once graded; the progress
         * view shows a saved result while the lab's files are unchanged. */
        char *fingerprint = student != NULL && o.only_test == NULL && !o.hidden
                                ? saved_fingerprint(root, labs[i]->id, student->shmgrade)
                                : NULL;
        if (o.summary && fingerprint != NULL &&
            saved_load(root, labs[i]->id, fingerprint, &grade.labs[i])) {
            strbuf_printf(&saved_labs, "%s%.2s", saved_labs.len ? ", " : "", labs[i]->id);
            grade.n_labs++;
            free(fingerprint);
            continue;
        }
        char lab_work[PATH_MAX + 64];
        snprintf(lab_work, sizeof(lab_work), "%s/%s", work, labs[i]->id);
        mkdir(lab_work, 0755);
        struct grade_config config = {
            .root = root,
            .submission = submission ? submission : root,
            .work_dir = lab_work,
            .only_test = o.only_test,
            .include_hidden = o.hidden,
            .problem = archive_problem,
            .observer = report_live(&o) ? &live.observer : NULL,
        };
        grade_lab(labs[i], &config, o.submission != NULL && n_labs == 1, &grade.labs[i]);
        grade.n_labs++;
        if (report_live(&o))
            live_lab_end(&live, &grade.labs[i]);
        if (student != NULL)
            student_lab_graded(student, &grade.labs[i]);
        if (fingerprint != NULL && !runner_stopped() && !lab_grader_failed(&grade.labs[i]))
            saved_store(root, &grade.labs[i], fingerprint);
        free(fingerprint);
    }
    grade.seconds = (double)(now_ms() - start) / 1000.0;
    grade_result_total(&grade);

    if (o.keep)
        fprintf(stderr, "shmgrade: the work folder is kept in %s\n", work);
    else
        remove_work_folder(work);
    int written = 0;
    if (report_live(&o)) {
        live_clear(&live);
        report_end(stdout, &grade, &live_style);
        if (runner_stopped())
            printf("interrupted: the grading stopped at Ctrl-C; above is what was graded so far\n");
        written = fflush(stdout) == 0 ? 0 : -1;
        terminal_give_back();
    } else {
        written = write_report(&o, &grade);
    }
    char *saved_list = strbuf_take(&saved_labs);
    if (written == 0 && saved_list[0] != '\0' && o.output == NULL)
        printf("saved results of lab%s %s: unchanged since graded (make grade grades again)\n",
               strchr(saved_list, ',') != NULL ? "s" : "", saved_list);
    free(saved_list);
    if (written == 0 && o.also_json != NULL && !runner_stopped())
        written = write_also_json(o.also_json, &grade);
    if (written == 0 && o.repro != NULL && !runner_stopped())
        written = write_repro(&o, &grade) == 0 ? 0 : -1;
    int rc = written != 0                         ? 3
             : runner_stopped()                   ? 130
             : grade_result_grader_failed(&grade) ? 3
             : grade_result_perfect(&grade)       ? 0
                                                  : 1;
    grade_result_free(&grade);
    free(archive_problem);
    return rc;
}
