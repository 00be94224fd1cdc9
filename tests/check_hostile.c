/*
 * check_hostile.c - submissions that attack the grader, and bad input.
 *
 * Every entry of tests/hostile/ (a lab 01 submission: the student files
 * that differ from the solution, and an EXPECTED file) is graded in both
 * isolation levels at once, and for each the suite asserts:
 *   - the verdict: exactly the tests EXPECTED names fail ("fails: none"
 *     for an attack that must not work), each with a reason, and the
 *     reason EXPECTED quotes ("says:") is in the report;
 *   - bounded time: the grading ends within GRADE_SECONDS_MAX;
 *   - nothing left behind: no process, IPC object or file of the sandbox
 *     user anywhere, nothing in the grader's TMPDIR, the tests unchanged.
 * EXPECTED:
 *     about: what the submission does
 *     fails: test-id ... | none
 *     says: text the first failure's message has (or, with "fails: none",
 *           some test's output)
 * "@SHMLAB_ROOT@" in an entry's files becomes the checkout's path.
 *
 * Then bad input: archives that escape their folder, links, enormous or
 * binary files, garbage; each must get a clear message and write nothing
 * outside the grader's work folder.
 *
 * Environment: SHMLAB_ROOT (the checkout), SHMGRADE (the grader binary).
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ipc.h"
#include "core/proc.h"

#define LAB               "01-posix-shm"
#define TESTS             "round-trip,missing-object"
#define GRADE_TIMEOUT_MS  (5 * 60 * 1000)
#define GRADE_SECONDS_MAX 60.0
#define MAX_ENTRIES       64
#define N_LEVELS          2

static const char *const levels[N_LEVELS] = {"namespaces", "none"};
static char entries[MAX_ENTRIES][128];
static int n_entries;
static const char *root, *shmgrade;

static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void discover(void)
{
    char path[4096];
    DIR *dir;
    struct dirent *entry;

    snprintf(path, sizeof(path), "%s/tests/hostile", root);
    dir = opendir(path);
    if (dir == NULL)
        return;
    while ((entry = readdir(dir)) != NULL && n_entries < MAX_ENTRIES)
        if (entry->d_name[0] != '.')
            snprintf(entries[n_entries++], sizeof(entries[0]), "%s", entry->d_name);
    closedir(dir);
    qsort(entries, (size_t)n_entries, sizeof(entries[0]), compare_names);
}

/* --- files ----------------------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t size = 0;

    if (f == NULL)
        return NULL;
    FILE *out = open_memstream(&text, &size);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, out);
    fclose(f);
    fclose(out);
    return text;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* TEXT with every "@SHMLAB_ROOT@" replaced by the checkout's path. */
static char *with_root(const char *text)
{
    static const char marker[] = "@SHMLAB_ROOT@";
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);

    for (const char *p = text; *p != '\0';) {
        const char *at = strstr(p, marker);
        if (at == NULL) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(at - p), f);
        fputs(root, f);
        p = at + sizeof(marker) - 1;
    }
    fclose(f);
    return out;
}

/* Copy the .c files of SRC into DST, placing the checkout's path. */
static void copy_sources(const char *src, const char *dst)
{
    DIR *dir = opendir(src);
    struct dirent *entry;

    ck_assert_msg(dir != NULL, "cannot open %s", src);
    while ((entry = readdir(dir)) != NULL) {
        char from[8192], to[8192];
        const char *dot = strrchr(entry->d_name, '.');
        if (dot == NULL || strcmp(dot, ".c") != 0)
            continue;
        snprintf(from, sizeof(from), "%s/%s", src, entry->d_name);
        snprintf(to, sizeof(to), "%s/%s", dst, entry->d_name);
        char *text = read_text(from), *placed;
        ck_assert_msg(text != NULL, "cannot read %s", from);
        placed = with_root(text);
        write_text(to, placed);
        free(text);
        free(placed);
    }
    closedir(dir);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh folder under /tmp that the sandbox user may pass through. */
static void make_temp_folder(char *dir, size_t size, const char *what)
{
    snprintf(dir, size, "/tmp/shmlab-%s-XXXXXX", what);
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    ck_assert_int_eq(chmod(dir, 0711), 0);
}

/* A submission folder: the lab 01 solution with OVERLAY's files on top. */
static void stage_submission(const char *overlay, char *dir, size_t size)
{
    char path[8192], solution[8192];

    make_temp_folder(dir, size, "hostile-sub");
    snprintf(path, sizeof(path), "%s/%s", dir, LAB);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(solution, sizeof(solution), "%s/solutions/%s", root, LAB);
    copy_sources(solution, path);
    if (overlay != NULL)
        copy_sources(overlay, path);
}

/* --- grading ------------------------------------------------------------------- */

struct grading {
    char tmpdir[256];
    char report_path[512];
    struct proc *p;
    pid_t pid;
    json_t *report;
    int exit_code;
};

/* Start the grader on SUBMISSION with EXTRA options, its TMPDIR private. */
static void start_grading(struct grading *g, const char *submission, const char *const extra[])
{
    char env_root[4200], env_tmp[300];
    const char *env[] = {env_root, env_tmp, NULL};
    const char *argv[32] = {shmgrade,   "--lab",    LAB,    "--submission",
                            submission, "--format", "json", "--output"};
    size_t n = 8;
    struct proc_opts opts = {.env = env};

    make_temp_folder(g->tmpdir, sizeof(g->tmpdir), "hostile-tmp");
    snprintf(g->report_path, sizeof(g->report_path), "%s.json", g->tmpdir);
    argv[n++] = g->report_path;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    snprintf(env_root, sizeof(env_root), "SHMLAB_ROOT=%s", root);
    snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", g->tmpdir);
    g->p = proc_spawn(argv, &opts);
    ck_assert_msg(g->p != NULL, "cannot run %s", shmgrade);
    g->pid = g->p->pid;
}

/* Wait for the grader; its report must be JSON. */
static void finish_grading(struct grading *g)
{
    json_error_t error;

    ck_assert_msg(proc_wait(g->p, GRADE_TIMEOUT_MS), "shmgrade did not finish");
    ck_assert_msg(g->p->state == PROC_EXITED && (g->p->exit_code == 0 || g->p->exit_code == 1),
                  "shmgrade %s; stderr: %s", proc_describe_end(g->p), g->p->err.head);
    g->exit_code = g->p->exit_code;
    g->report = json_load_file(g->report_path, 0, &error);
    ck_assert_msg(g->report != NULL, "shmgrade wrote no JSON report: %s", error.text);
    proc_free(g->p);
    g->p = NULL;
    unlink(g->report_path);
}

/* The sandbox user the report names ("... as user N ..."), or 0. */
static unsigned sandbox_user(json_t *report)
{
    const char *isolation = json_string_value(json_object_get(report, "isolation"));
    const char *at = isolation ? strstr(isolation, " as user ") : NULL;
    return at ? (unsigned)strtoul(at + 9, NULL, 10) : 0;
}

/* --- nothing left behind ----------------------------------------------------------- */

static int processes_of(unsigned uid)
{
    DIR *dir = opendir("/proc");
    struct dirent *entry;
    int n = 0;

    while (dir != NULL && (entry = readdir(dir)) != NULL) {
        char path[300];
        struct stat st;
        if (atoi(entry->d_name) <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%s", entry->d_name);
        if (stat(path, &st) == 0 && st.st_uid == uid)
            n++;
    }
    if (dir != NULL)
        closedir(dir);
    return n;
}

static int ipc_objects_of(unsigned uid)
{
    struct ipc_snapshot snap;
    int n = 0;

    ck_assert_int_eq(ipc_snapshot_take(&snap), 0);
    for (size_t i = 0; i < snap.n; i++)
        n += snap.objects[i].uid == uid;
    ipc_snapshot_free(&snap);
    return n;
}

static int files_of(unsigned uid)
{
    static const char *const folders[] = {"/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue"};
    int n = 0;

    for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
        DIR *dir = opendir(folders[i]);
        struct dirent *entry;
        while (dir != NULL && (entry = readdir(dir)) != NULL) {
            char path[4096];
            struct stat st;
            snprintf(path, sizeof(path), "%s/%s", folders[i], entry->d_name);
            if (lstat(path, &st) == 0 && st.st_uid == uid)
                n++;
        }
        if (dir != NULL)
            closedir(dir);
    }
    return n;
}

static bool folder_is_empty(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    bool empty = true;

    while (dir != NULL && (entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            empty = false;
    if (dir != NULL)
        closedir(dir);
    return empty;
}

static void assert_nothing_left(struct grading *g, const char *what)
{
    unsigned uid = sandbox_user(g->report);

    ck_assert_msg(uid != 0, "%s: the report names no sandbox user: %s", what,
                  json_string_value(json_object_get(g->report, "isolation")));
    ck_assert_msg(processes_of(uid) == 0, "%s: processes of the sandbox user %u survived", what,
                  uid);
    ck_assert_msg(ipc_objects_of(uid) == 0, "%s: IPC objects of the sandbox user %u survived", what,
                  uid);
    ck_assert_msg(files_of(uid) == 0,
                  "%s: files of the sandbox user %u were left in /tmp, /var/tmp or /dev/shm", what,
                  uid);
    ck_assert_msg(folder_is_empty(g->tmpdir), "%s: the grader left files in its TMPDIR %s", what,
                  g->tmpdir);
    rmdir(g->tmpdir);
}

/* --- verdicts ----------------------------------------------------------------------- */

struct expected {
    char about[1024], fails[1024], says[1024];
};

static void read_expected(const char *dir, struct expected *e)
{
    char path[8192], line[2048];
    FILE *f;

    snprintf(path, sizeof(path), "%s/EXPECTED", dir);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s is missing", path);
    memset(e, 0, sizeof(*e));
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *value = strchr(line, ':');
        if (value == NULL)
            continue;
        *value++ = '\0';
        value += strspn(value, " ");
        if (strcmp(line, "about") == 0)
            snprintf(e->about, sizeof(e->about), "%s", value);
        else if (strcmp(line, "fails") == 0)
            snprintf(e->fails, sizeof(e->fails), "%s", strcmp(value, "none") ? value : "");
        else if (strcmp(line, "says") == 0)
            snprintf(e->says, sizeof(e->says), "%s", value);
    }
    fclose(f);
    ck_assert_msg(e->about[0] != '\0', "%s has no 'about:' line", path);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Space-separated ids of the tests that did not pass, sorted. */
static void failed_ids(json_t *report, char *out, size_t size)
{
    const char *ids[64];
    size_t n = 0, index;
    json_t *test;

    json_array_foreach(json_object_get(report, "tests"), index, test)
    {
        if (strcmp(json_string_value(json_object_get(test, "status")), "passed") != 0 && n < 64)
            ids[n++] = json_string_value(json_object_get(test, "id"));
    }
    qsort(ids, n, sizeof(ids[0]), compare_strings);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", ids[i]);
    }
}

static void sorted_words(const char *words, char *out, size_t size)
{
    char *copy = strdup(words), *save = NULL;
    const char *list[64];
    size_t n = 0;

    for (char *w = strtok_r(copy, " ", &save); w && n < 64; w = strtok_r(NULL, " ", &save))
        list[n++] = w;
    qsort(list, n, sizeof(list[0]), compare_strings);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", list[i]);
    }
    free(copy);
}

/* Does some test's FIELD (message or output) hold TEXT? Every failed
 * test must have a message, whatever it is. */
static bool report_says(json_t *report, const char *field, const char *text, const char *what)
{
    size_t index;
    json_t *test;
    bool found = false;

    json_array_foreach(json_object_get(report, "tests"), index, test)
    {
        const char *message = json_string_value(json_object_get(test, "message"));
        const char *value = json_string_value(json_object_get(test, field));
        bool passed = strcmp(json_string_value(json_object_get(test, "status")), "passed") == 0;
        ck_assert_msg(passed || (message && message[0]), "%s: test %s failed without a reason",
                      what, json_string_value(json_object_get(test, "id")));
        if (value != NULL && strstr(value, text) != NULL)
            found = true;
    }
    return found;
}

static void check_entry(const char *name, const char *level, struct grading *g,
                        const struct expected *e, const char *tests_before)
{
    char what[256], failed[1024], wanted[1024];
    double seconds = json_real_value(json_object_get(g->report, "seconds"));
    const char *isolation = json_string_value(json_object_get(g->report, "isolation"));
    char *tests_after;
    char tests_path[4200];

    snprintf(what, sizeof(what), "%s (isolation %s)", name, level);
    ck_assert_msg(isolation != NULL && strncmp(isolation, level, strlen(level)) == 0,
                  "%s: the report says the isolation is '%s'", what, isolation);
    failed_ids(g->report, failed, sizeof(failed));
    sorted_words(e->fails, wanted, sizeof(wanted));
    ck_assert_msg(strcmp(failed, wanted) == 0, "%s (%s): expected to fail [%s] but failed [%s]",
                  what, e->about, wanted, failed);
    ck_assert_int_eq(g->exit_code, wanted[0] ? 1 : 0);
    if (e->says[0] != '\0')
        ck_assert_msg(report_says(g->report, wanted[0] ? "message" : "output", e->says, what),
                      "%s: no test's %s says \"%s\"", what, wanted[0] ? "message" : "output",
                      e->says);
    else
        report_says(g->report, "message", "", what);
    ck_assert_msg(seconds < GRADE_SECONDS_MAX, "%s: grading took %.1f s (bound: %.0f s)", what,
                  seconds, GRADE_SECONDS_MAX);
    snprintf(tests_path, sizeof(tests_path), "%s/labs/%s/tests.c", root, LAB);
    tests_after = read_text(tests_path);
    ck_assert_msg(tests_after != NULL && strcmp(tests_before, tests_after) == 0,
                  "%s: the lab's tests.c changed while it was graded", what);
    free(tests_after);
    assert_nothing_left(g, what);
    printf("hostile %-20s %-10s %5.1f s  fails: %s\n", name, level, seconds,
           failed[0] ? failed : "none");
}

START_TEST(hostile_entry_is_contained)
{
    const char *name = entries[_i];
    char entry_dir[4200], submission[256], tests_path[4200];
    struct grading g[N_LEVELS];
    struct expected e;
    char *tests_before;

    snprintf(entry_dir, sizeof(entry_dir), "%s/tests/hostile/%s", root, name);
    snprintf(tests_path, sizeof(tests_path), "%s/labs/%s/tests.c", root, LAB);
    read_expected(entry_dir, &e);
    tests_before = read_text(tests_path);
    ck_assert_ptr_nonnull(tests_before);
    stage_submission(entry_dir, submission, sizeof(submission));
    /* Both levels at once: half the time, and a harder test of both. */
    for (int i = 0; i < N_LEVELS; i++) {
        const char *extra[] = {"--test", TESTS, "--isolation", levels[i], NULL};
        start_grading(&g[i], submission, extra);
    }
    for (int i = 0; i < N_LEVELS; i++)
        finish_grading(&g[i]);
    for (int i = 0; i < N_LEVELS; i++) {
        check_entry(name, levels[i], &g[i], &e, tests_before);
        json_decref(g[i].report);
    }
    free(tests_before);
    remove_tree(submission);
}
END_TEST

/* --- bad input ------------------------------------------------------------------------ */

/* One entry of an archive made for a test. */
struct member {
    const char *path;
    const char *text; /* a file's contents; NULL for a link or folder */
    const char *link; /* a symbolic link's target */
    size_t filler;    /* or a file of this many bytes of 'x' */
};

/* Write an archive (zip if ZIP, else tar.gz) of MEMBERS to PATH. */
static void make_archive(const char *path, bool zip, const struct member *members, size_t n)
{
    struct archive *a = archive_write_new();

    if (zip) {
        archive_write_set_format_zip(a);
    } else {
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
    }
    ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *entry = archive_entry_new();
        const struct member *m = &members[i];
        size_t size = m->text ? strlen(m->text) : m->filler;
        archive_entry_set_pathname(entry, m->path);
        archive_entry_set_perm(entry, 0644);
        if (m->link != NULL) {
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, m->link);
            size = 0;
        } else {
            archive_entry_set_filetype(entry, AE_IFREG);
        }
        archive_entry_set_size(entry, (la_int64_t)size);
        ck_assert_int_eq(archive_write_header(a, entry), ARCHIVE_OK);
        if (m->text != NULL) {
            archive_write_data(a, m->text, size);
        } else if (m->link == NULL) {
            char *filler = malloc(size);
            memset(filler, 'x', size);
            archive_write_data(a, filler, size);
            free(filler);
        }
        archive_entry_free(entry);
    }
    ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

/* Grade SUBMISSION (all tests, default isolation); the report. */
static json_t *grade_input(const char *submission, struct grading *g)
{
    start_grading(g, submission, NULL);
    finish_grading(g);
    return g->report;
}

/* The lab's "problem" (why it was not graded), or "". */
static const char *lab_problem(json_t *report)
{
    json_t *lab = json_array_get(json_object_get(report, "labs"), 0);
    const char *problem = json_string_value(json_object_get(lab, "problem"));
    return problem ? problem : "";
}

static char *solution_text(const char *file)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/solutions/%s/%s", root, LAB, file);
    char *text = read_text(path);
    ck_assert_ptr_nonnull(text);
    return text;
}

static void expect_graded(const char *submission, bool full_marks, const char *problem)
{
    struct grading g;
    json_t *report = grade_input(submission, &g);
    int score = (int)json_integer_value(json_object_get(report, "score"));
    int max = (int)json_integer_value(json_object_get(report, "max_score"));

    if (full_marks) {
        ck_assert_msg(score == max && max > 0, "%s scored %d/%d (%s)", submission, score, max,
                      lab_problem(report));
    } else {
        ck_assert_int_eq(score, 0);
        ck_assert_int_eq(g.exit_code, 1);
        ck_assert_msg(strstr(lab_problem(report), problem) != NULL,
                      "%s: the problem should say \"%s\", but it is: %s", submission, problem,
                      lab_problem(report));
    }
    assert_nothing_left(&g, submission);
    json_decref(report);
}

START_TEST(archives_of_a_solution_get_full_marks)
{
    char dir[256], tgz[512], zip[512];
    char *writer = solution_text("writer.c"), *reader = solution_text("reader.c");
    const struct member flat[] = {{.path = LAB "/writer.c", .text = writer},
                                  {.path = LAB "/reader.c", .text = reader},
                                  {.path = LAB "/notes.txt", .text = "extra files are ignored\n"}};
    const struct member wrapped[] = {{.path = "alice/" LAB "/writer.c", .text = writer},
                                     {.path = "alice/" LAB "/reader.c", .text = reader}};

    make_temp_folder(dir, sizeof(dir), "hostile-archive");
    snprintf(tgz, sizeof(tgz), "%s/submission.tar.gz", dir);
    snprintf(zip, sizeof(zip), "%s/submission.zip", dir);
    make_archive(tgz, false, flat, 3);
    make_archive(zip, true, wrapped, 2);
    expect_graded(tgz, true, NULL);
    expect_graded(zip, true, NULL);
    free(writer);
    free(reader);
    remove_tree(dir);
}
END_TEST

START_TEST(bad_archives_get_a_clear_message_and_write_nothing_outside)
{
    char dir[256], path[512], escape[512];
    struct stat st;
    const struct member dot_dot[] = {
        {.path = LAB "/writer.c", .text = "int x;\n"},
        {.path = "../../../../../../../../tmp/shmlab-hostile-escape", .text = "escaped\n"}};
    const struct member absolute[] = {{.path = "/tmp/shmlab-hostile-escape", .text = "escaped\n"}};
    const struct member link[] = {
        {.path = LAB "/writer.c", .link = "/etc/passwd"},
        {.path = LAB "/reader.c", .text = "int main(void) { return 0; }\n"}};
    const struct member enormous[] = {{.path = LAB "/writer.c", .filler = 9u << 20}};

    make_temp_folder(dir, sizeof(dir), "hostile-archive");
    snprintf(escape, sizeof(escape), "/tmp/shmlab-hostile-escape");
    unlink(escape);

    snprintf(path, sizeof(path), "%s/dot-dot.tar.gz", dir);
    make_archive(path, false, dot_dot, 2);
    expect_graded(path, false, "leads outside its folder");
    snprintf(path, sizeof(path), "%s/absolute.tar.gz", dir);
    make_archive(path, false, absolute, 1);
    expect_graded(path, false, "leads outside its folder");
    snprintf(path, sizeof(path), "%s/dot-dot.zip", dir);
    make_archive(path, true, dot_dot, 2);
    expect_graded(path, false, "leads outside its folder");
    ck_assert_msg(stat(escape, &st) < 0, "an archive wrote %s", escape);

    snprintf(path, sizeof(path), "%s/link.tar.gz", dir);
    make_archive(path, false, link, 2);
    expect_graded(path, false, "symbolic link");
    snprintf(path, sizeof(path), "%s/enormous.tar.gz", dir);
    make_archive(path, false, enormous, 1);
    expect_graded(path, false, "an archive entry may have at most");
    snprintf(path, sizeof(path), "%s/garbage.tar.gz", dir);
    write_text(path, "this is not an archive\n");
    expect_graded(path, false, "not a readable");
    remove_tree(dir);
}
END_TEST

START_TEST(bad_folders_get_a_clear_message)
{
    char dir[256], lab[512], target[4200], file[600];
    int fd;

    /* The lab's folder is a link to the solutions. */
    make_temp_folder(dir, sizeof(dir), "hostile-folder");
    snprintf(lab, sizeof(lab), "%s/%s", dir, LAB);
    snprintf(target, sizeof(target), "%s/solutions/%s", root, LAB);
    ck_assert_int_eq(symlink(target, lab), 0);
    expect_graded(dir, false, "leads outside the submission folder");
    remove_tree(dir);

    /* A binary file where the source should be. */
    stage_submission(NULL, dir, sizeof(dir));
    snprintf(file, sizeof(file), "%s/%s/writer.c", dir, LAB);
    fd = open(file, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\177ELF\0\0\0", 7), 7);
    close(fd);
    expect_graded(dir, false, "binary file");

    /* A missing file. */
    ck_assert_int_eq(unlink(file), 0);
    expect_graded(dir, false, "missing");

    /* An enormous file. */
    fd = open(file, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
    close(fd);
    expect_graded(dir, false, "a source file may have at most");
    remove_tree(dir);
}
END_TEST

/* Insert LINES into FILE of the staged lab before the line holding AT. */
static void insert_before(const char *dir, const char *file, const char *at, const char *lines)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s/%s", dir, LAB, file);
    char *text = read_text(path), *found;
    ck_assert_ptr_nonnull(text);
    found = strstr(text, at);
    ck_assert_msg(found != NULL, "%s has no \"%s\"", path, at);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%.*s%s%s", (int)(found - text), text, lines, found);
    fclose(f);
    free(text);
}

START_TEST(valgrind_names_the_error_and_the_faulting_line)
{
    char dir[256];
    struct grading g;
    const char *extra[] = {"--test", "round-trip", "--valgrind", NULL};

    stage_submission(NULL, dir, sizeof(dir));
    insert_before(dir, "writer.c", "int main", "char *volatile kept;\n\n");
    insert_before(dir, "writer.c", "    fd = shm_open",
                  "    kept = malloc(10);\n    kept[10] = 1;\n    kept = NULL;\n");
    insert_before(dir, "writer.c", "#include \"shmlab.h\"", "#include <stdlib.h>\n");
    insert_before(dir, "reader.c", "    fd = shm_open", "    *(volatile int *)0 = 1;\n");
    start_grading(&g, dir, extra);
    finish_grading(&g);
    json_t *test = json_array_get(json_object_get(g.report, "tests"), 0);
    const char *output = json_string_value(json_object_get(test, "output"));
    ck_assert_str_eq(json_string_value(json_object_get(test, "status")), "failed");
    ck_assert_msg(strstr(output, "valgrind found") && strstr(output, "Invalid write") &&
                      strstr(output, "(writer.c:"),
                  "the writer's invalid write is not reported: %s", output);
    ck_assert_msg(strstr(output, "SIGSEGV") && strstr(output, "the fault is in main (reader.c:"),
                  "the reader's crash does not name its line: %s", output);
    assert_nothing_left(&g, "valgrind");
    json_decref(g.report);
    remove_tree(dir);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *attacks = tcase_create("attacks");
    TCase *input = tcase_create("bad input");

    tcase_set_timeout(attacks, 600);
    tcase_set_timeout(input, 600);
    tcase_add_loop_test(attacks, hostile_entry_is_contained, 0, n_entries);
    tcase_add_test(input, archives_of_a_solution_get_full_marks);
    tcase_add_test(input, bad_archives_get_a_clear_message_and_write_nothing_outside);
    tcase_add_test(input, bad_folders_get_a_clear_message);
    tcase_add_test(input, valgrind_names_the_error_and_the_faulting_line);
    suite_add_tcase(s, attacks);
    suite_add_tcase(s, input);
    return s;
}

int main(void)
{
    SRunner *runner;
    int failed;

    root = getenv("SHMLAB_ROOT");
    shmgrade = getenv("SHMGRADE");
    if (root == NULL || shmgrade == NULL) {
        fprintf(stderr, "check_hostile: set SHMLAB_ROOT and SHMGRADE (make hostile-test does)\n");
        return 2;
    }
    if (geteuid() != 0)
        fprintf(stderr, "check_hostile: not root: the namespaces level cannot be tested\n");
    discover();
    if (n_entries < 12) {
        fprintf(stderr, "check_hostile: only %d entries under %s/tests/hostile\n", n_entries, root);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    runner = srunner_create(hostile_suite());
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
