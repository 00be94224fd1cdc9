/*
 * shmclass - grade a whole class: a folder with one sub-folder or archive
 * per student.
 *
 * Each submission is graded by shmgrade in a process (group) of its own,
 * several at once, so one student's broken or hostile code can only ever
 * cost that student's run: if it outlives its time, shmclass kills it and
 * anything it left behind. The results land in an output folder:
 *
 *   gradebook.csv                 student, each lab, each test, total, status
 *   summary.html                  score distributions and most-failed tests
 *   students/NAME/report.json     shmgrade's JSON report
 *   students/NAME/report.txt      the same, as text
 *   students/NAME/grader.log      what shmgrade said on stderr (its last attempt)
 *   students/NAME/grader.log.N    what attempt N said, when it ended in a grader error
 *   students/NAME/sha256          the submission's content hash, grader included
 *
 * A submission whose hash is unchanged since the last run is not graded
 * again (unless --force): the hash covers every byte of the submission and
 * the grader (its binary and the labs folder), so a fixed test regrades all.
 *
 * A grading that ends in a grader error (shmgrade's exit status 3: the
 * machine ran out of room by others' doing, a limit could not be applied)
 * says nothing about the submission: it is graded again, up to
 * MAX_GRADING_ATTEMPTS times in all; the status column says how many it
 * took, and one that never got through "could not be graded" (no score).
 *
 * Exit status: 0 every submission was graded (whatever its score), 1 some
 * could not be, 2 bad command line, 3 shmclass itself failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/options.h"
#include "core/text.h"
#include "report/formats.h"
#include "run/grade.h"
#include "report/gradebook.h"
#include "run/hidden.h"
#include "run/unpack.h"
#include "sandbox/sandbox.h"
#include "report/report.h"

#define MAX_LABS       64
#define MAX_TREE_DEPTH 64
/* Gradings of one submission, the first included, when each ends in a
 * grader error. */
#define MAX_GRADING_ATTEMPTS 3
/* shmgrade's exit status when the grader failed, not the submission. */
#define SHMGRADE_GRADER_ERROR 3

struct options {
    const char *submissions;
    const char *output;
    const char *shmgrade;
    const char *root;
    const char *labs[MAX_LABS];
    size_t n_labs;
    long jobs;
    long timeout_s;
    bool force, no_hidden, progress;
};

enum student_state { PENDING, RUNNING, GRADED, UNCHANGED, FAILED };

struct student {
    char *name;   /* the entry's name without an archive's extension */
    char *path;   /* the submission: SUBMISSIONS/ENTRY */
    char *folder; /* OUT/students/NAME */
    char hash[2 * EVP_MAX_MD_SIZE + 1];
    enum student_state state;
    pid_t pid;
    uid_t sandbox_uid; /* as root: the user its programs run as, else 0 */
    long long started_ms;
    bool timed_out;
    int attempts;          /* gradings started */
    struct strbuf retries; /* why the attempts before the last were not kept */
    char *error;
    json_t *json;
    struct grade_result grade;
};

static const char *program = "shmclass";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: shmclass [options] SUBMISSIONS\n"
            "Grade a class: every sub-folder or archive (.tar, .tar.gz, .tgz, .zip) of\n"
            "SUBMISSIONS is one student's submission, graded by shmgrade in a process of\n"
            "its own. Writes a gradebook (CSV), each student's reports and an HTML summary.\n"
            "\n"
            "  -o, --output DIR      the output folder (default: ./grades)\n"
            "  -j, --jobs N          grade N submissions at once (default: the core count;\n"
            "                        one at a time without root or namespaces)\n"
            "  -l, --lab LAB         grade only LAB (repeatable; default: every lab)\n"
            "      --no-hidden       leave out tests marked hidden (default: they count)\n"
            "  -f, --force           regrade every submission, even unchanged ones\n"
            "      --progress        show progress on stderr even when it is not a terminal\n"
            "      --timeout SEC     stop grading one submission after SEC seconds (3600)\n"
            "      --shmgrade PATH   the grader (default: shmgrade next to shmclass)\n"
            "      --root DIR        the shmlab checkout, passed on to shmgrade\n"
            "  -h, --help            show this help\n"
            "\n"
            "A grading that ends in a grader error (shmgrade's status 3) is graded again,\n"
            "up to %d attempts; one that never gets through could not be graded.\n"
            "\n"
            "Exit status: 0 all graded, 1 some could not be graded, 2 bad usage, 3 error.\n",
            MAX_GRADING_ATTEMPTS);
}

/* "shmclass: ", the message and END on stderr; then exit with STATUS. */
static _Noreturn void vexit_saying(int status, const char *end, const char *format, va_list args)
{
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, format, args);
    fputs(end, stderr);
    exit(status);
}

/* A bad command line: status 2. */
static _Noreturn void usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void usage_error(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vexit_saying(2, "\nTry 'shmclass --help'.\n", format, args);
}

/* shmclass itself cannot go on: status 3. */
static _Noreturn void fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void fail(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vexit_saying(3, "\n", format, args);
}

static long parse_count(const char *text, const char *what, long min)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || n < min)
        usage_error("%s must be a whole number of at least %ld, not '%s'", what, min, text);
    return n;
}

static void parse_options(int argc, char *argv[], struct options *o)
{
    enum { OPT_NO_HIDDEN = 256, OPT_PROGRESS, OPT_TIMEOUT, OPT_SHMGRADE, OPT_ROOT };
    const struct option_spec options[] = {
        {"output", 'o', true, &o->output, NULL},
        {"jobs", 'j', true, NULL, NULL},
        {"lab", 'l', true, NULL, NULL},
        {"no-hidden", OPT_NO_HIDDEN, false, NULL, &o->no_hidden},
        {"force", 'f', false, NULL, &o->force},
        {"progress", OPT_PROGRESS, false, NULL, &o->progress},
        {"timeout", OPT_TIMEOUT, true, NULL, NULL},
        {"shmgrade", OPT_SHMGRADE, true, &o->shmgrade, NULL},
        {"root", OPT_ROOT, true, &o->root, NULL},
        {"help", 'h', false, NULL, NULL},
    };
    int c;

    o->output = "grades";
    o->jobs = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->jobs < 1)
        o->jobs = 1;
    o->timeout_s = 3600;
    while ((c = option_next(argc, argv, options, TABLE_LENGTH(options))) != -1) {
        switch (c) {
        case 'j':
            o->jobs = parse_count(optarg, "--jobs", 1);
            break;
        case 'l':
            if (o->n_labs == MAX_LABS)
                usage_error("too many labs: %s", optarg);
            o->labs[o->n_labs++] = optarg;
            break;
        case OPT_TIMEOUT:
            o->timeout_s = parse_count(optarg, "--timeout", 1);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "Try 'shmclass --help'.\n");
            exit(2);
        }
    }
    if (optind != argc - 1)
        usage_error("name one folder of submissions");
    o->submissions = argv[optind];
}

/* --- files ------------------------------------------------------------------ */

static void make_folder(const char *path)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        fail("mkdir %s: %s", path, strerror(errno));
}

/* Write TEXT to PATH through a temporary file and rename: a reader (or a
 * crash) never sees half a file. */
static void write_file(const char *path, const char *text, size_t len)
{
    char *tmp = xasprintf("%s.part", path);
    FILE *f = fopen(tmp, "w");

    if (f == NULL)
        fail("cannot write %s: %s", tmp, strerror(errno));
    if (fwrite(text, 1, len, f) != len || fclose(f) != 0)
        fail("cannot write %s: %s", tmp, strerror(errno));
    if (rename(tmp, path) < 0)
        fail("rename %s: %s", tmp, strerror(errno));
    free(tmp);
}

/* Write PATH with WRITER's view of DATA. */
static void write_view(const char *path, int (*writer)(FILE *, const void *), const void *data)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    if (out == NULL)
        fail("open_memstream: %s", strerror(errno));
    if (writer(out, data) != 0 || fclose(out) != 0)
        fail("cannot render %s", path);
    write_file(path, text, size);
    free(text);
}

static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[512];
    size_t n;

    if (f == NULL)
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return strdup(buf);
}

/* --- content hashes ----------------------------------------------------------- */

static void hash_bytes(EVP_MD_CTX *ctx, const void *data, size_t len)
{
    if (EVP_DigestUpdate(ctx, data, len) != 1)
        fail("EVP_DigestUpdate failed");
}

static void hash_string(EVP_MD_CTX *ctx, const char *s)
{
    hash_bytes(ctx, s, strlen(s) + 1); /* with its NUL: "ab"+"c" differs from "a"+"bc" */
}

static int hash_file_at(EVP_MD_CTX *ctx, int dir, const char *name)
{
    char buf[65536];
    ssize_t n;
    /* O_NONBLOCK: a FIFO in a submission must not hang us. */
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        hash_bytes(ctx, buf, (size_t)n);
    close(fd);
    return n < 0 ? -1 : 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the folder DIR (closed), sorted; NULL on error. */
static char **sorted_names(int dir, size_t *count)
{
    DIR *d = fdopendir(dir);
    struct dirent *entry;
    char **names = NULL;
    size_t n = 0, cap = 0;

    if (d == NULL) {
        close(dir);
        return NULL;
    }
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **bigger = realloc(names, cap * sizeof(*names));
            if (bigger == NULL)
                fail("out of memory");
            names = bigger;
        }
        names[n] = strdup(entry->d_name);
        if (names[n++] == NULL)
            fail("out of memory");
    }
    closedir(d);
    /* Not qsort(NULL, 0, ...): its pointer is declared non-null, and the
     * compiler may then drop a later NULL check. */
    if (names == NULL && (names = calloc(1, sizeof(*names))) == NULL)
        fail("out of memory");
    qsort(names, n, sizeof(*names), compare_names);
    *count = n;
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Hash every entry under the folder DIR (closed here): type, path, content
 * of files, target of links; never following a link. */
static int hash_tree(EVP_MD_CTX *ctx, int dir, const char *prefix, int depth)
{
    size_t n;
    char **names;
    int rc = 0;
    int dup_fd = dup(dir);

    if (depth > MAX_TREE_DEPTH || dup_fd < 0) {
        close(dir);
        if (dup_fd >= 0)
            close(dup_fd);
        return -1;
    }
    names = sorted_names(dup_fd, &n);
    if (names == NULL) {
        close(dir);
        return -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        char *path = xasprintf("%s/%s", prefix, names[i]);

        if (fstatat(dir, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = -1;
        } else if (S_ISREG(st.st_mode)) {
            hash_string(ctx, "file");
            hash_string(ctx, path);
            rc = hash_file_at(ctx, dir, names[i]);
        } else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dir, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            hash_string(ctx, "folder");
            hash_string(ctx, path);
            rc = sub < 0 ? -1 : hash_tree(ctx, sub, path, depth + 1);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t len = readlinkat(dir, names[i], target, sizeof(target) - 1);
            if (len < 0) {
                rc = -1;
            } else {
                target[len] = '\0';
                hash_string(ctx, "link");
                hash_string(ctx, path);
                hash_string(ctx, target);
            }
        } else {
            hash_string(ctx, "special");
            hash_string(ctx, path);
        }
        free(path);
    }
    free_names(names, n);
    close(dir);
    return rc;
}

/* Add PATH (a file or a folder tree) to CTX; -1 if some of it is unreadable. */
static int hash_path(EVP_MD_CTX *ctx, const char *path)
{
    struct stat st;
    int fd;

    if (stat(path, &st) < 0)
        return -1;
    if (S_ISREG(st.st_mode)) {
        hash_string(ctx, "archive");
        return hash_file_at(ctx, AT_FDCWD, path);
    }
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    return hash_tree(ctx, fd, ".", 0);
}

/*
 * The hash a submission's result depends on: GRADER (the grader's own
 * hash) and every byte of PATH. Empty when PATH cannot be read in full:
 * such a submission is always regraded.
 */
static void submission_hash(const char *grader, const char *path, char *hex)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;

    hex[0] = '\0';
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        fail("cannot set up SHA-256");
    hash_string(ctx, grader);
    if (hash_path(ctx, path) == 0 && EVP_DigestFinal_ex(ctx, md, &len) == 1)
        for (unsigned i = 0; i < len; i++)
            sprintf(hex + 2 * i, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
}

static bool is_student_file(const struct lab *lab, const char *name)
{
    for (const char *const *f = lab->student_files; *f != NULL; f++)
        if (strcmp(*f, name) == 0)
            return true;
    return false;
}

/* A lab's source (not a student's file, not a build product) decides a grade. */
static bool lab_source(const struct lab *lab, const char *name)
{
    const char *dot = strrchr(name, '.');

    if (is_student_file(lab, name))
        return false;
    return strcmp(name, "Makefile") == 0 ||
           (dot && (strcmp(dot, ".c") == 0 || strcmp(dot, ".h") == 0 || strcmp(dot, ".mk") == 0));
}

/* Hash the sources of LAB and of labs/common that grading stages. */
static int hash_lab_sources(EVP_MD_CTX *ctx, const char *root, const struct lab *lab)
{
    const char *folders[] = {"common", lab->id};

    for (size_t i = 0; i < 2; i++) {
        char *path = xasprintf("%s/labs/%s", root, folders[i]);
        int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), copy;
        char **names;
        size_t n;
        int rc = 0;

        free(path);
        if (dir < 0 || (copy = dup(dir)) < 0 || (names = sorted_names(copy, &n)) == NULL) {
            if (dir >= 0)
                close(dir);
            return -1;
        }
        for (size_t j = 0; j < n && rc == 0; j++) {
            if (!lab_source(lab, names[j]))
                continue;
            hash_string(ctx, folders[i]);
            hash_string(ctx, names[j]);
            rc = hash_file_at(ctx, dir, names[j]);
        }
        free_names(names, n);
        close(dir);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/*
 * The grader's identity: its binary (every lab's tests are in it), the
 * sources of the labs graded that it stages (Makefiles, headers, common
 * code; not the skeletons, not build products), and the options.
 */
static char *grader_hash(const char *shmgrade, const char *root, const struct options *o,
                         const struct lab *const *labs, size_t n_labs)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    unsigned len = 0;
    int rc;

    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        fail("cannot set up SHA-256");
    hash_string(ctx, o->no_hidden ? "hidden=0" : "hidden=1");
    rc = hash_path(ctx, shmgrade);
    for (size_t i = 0; i < n_labs && rc == 0; i++) {
        hash_string(ctx, labs[i]->id);
        rc = hash_lab_sources(ctx, root, labs[i]);
    }
    if (rc < 0 || EVP_DigestFinal_ex(ctx, md, &len) != 1)
        fail("cannot read the grader (%s) or the labs in %s/labs to hash them", shmgrade, root);
    for (unsigned i = 0; i < len; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
    return strdup(hex);
}

/* --- the class ----------------------------------------------------------------- */

/* NAME without an archive suffix (any case: Bob.ZIP is bob's zip), or
 * NULL if NAME is no archive shmgrade unpacks. */
static char *archive_student(const char *name)
{
    size_t suffix = archive_suffix_length(name);

    return suffix > 0 && suffix < strlen(name) ? strndup(name, strlen(name) - suffix) : NULL;
}

static bool same_file(const char *a, const struct stat *b)
{
    struct stat st;
    return stat(a, &st) == 0 && st.st_dev == b->st_dev && st.st_ino == b->st_ino;
}

/* Every submission in O->submissions, sorted by student. */
static struct student *list_students(const struct options *o, size_t *count)
{
    int dir = open(o->submissions, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct student *students;
    size_t n_names, n = 0;
    char **names;

    if (dir < 0)
        usage_error("cannot read the submissions folder '%s': %s", o->submissions, strerror(errno));
    names = sorted_names(dir, &n_names);
    if (names == NULL)
        fail("cannot list %s: %s", o->submissions, strerror(errno));
    students = calloc(n_names ? n_names : 1, sizeof(*students));
    if (students == NULL)
        fail("out of memory");
    for (size_t i = 0; i < n_names; i++) {
        char *path = xasprintf("%s/%s", o->submissions, names[i]);
        char *name = NULL;
        struct stat st;

        if (names[i][0] == '.' || stat(path, &st) < 0 || same_file(o->output, &st)) {
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode))
            name = strdup(names[i]);
        else if (S_ISREG(st.st_mode))
            name = archive_student(names[i]);
        if (name == NULL) {
            char *shown = text_visible_lines(path);
            fprintf(stderr, "%s: skipping %s: neither a folder nor an archive\n", program, shown);
            free(shown);
            free(path);
            continue;
        }
        bool twice = false;
        for (size_t j = 0; j < n && !twice; j++)
            twice = strcmp(students[j].name, name) == 0;
        if (twice) {
            char *shown = text_visible_lines(path);
            fprintf(stderr, "%s: skipping %s: another submission has its name\n", program, shown);
            free(shown);
            free(name);
            free(path);
            continue;
        }
        students[n].name = name;
        students[n].path = path;
        students[n].folder = xasprintf("%s/students/%s", o->output, name);
        n++;
    }
    free_names(names, n_names);
    *count = n;
    return students;
}

/* Read STUDENT's report.json into the model; false with the reason. */
static bool load_report(struct student *s, const char *path)
{
    json_error_t error;
    char why[512];

    s->json = json_load_file(path, 0, &error);
    if (s->json == NULL) {
        s->error = xasprintf("shmgrade's report is not JSON (%s)", error.text);
        return false;
    }
    if (grade_result_from_json(s->json, &s->grade, why, sizeof(why)) < 0) {
        grade_result_free(&s->grade);
        json_decref(s->json);
        s->json = NULL;
        s->error = xasprintf("shmgrade's report cannot be read: %s", why);
        return false;
    }
    return true;
}

/* Is STUDENT's stored result for exactly this hash? Then load it. */
static bool reuse_result(struct student *s)
{
    char *hash_path = xasprintf("%s/sha256", s->folder);
    char *report = xasprintf("%s/report.json", s->folder);
    char *stored = read_small_file(hash_path);
    bool same = stored != NULL && s->hash[0] != '\0' && strcmp(stored, s->hash) == 0;

    if (same && !load_report(s, report)) {
        free(s->error);
        s->error = NULL;
        same = false;
    }
    free(stored);
    free(report);
    free(hash_path);
    return same;
}

/* --- running shmgrade ------------------------------------------------------------- */

struct runner {
    const struct options *o;
    const char *shmgrade;
    const char *root;
    struct student *students;
    size_t n;
    size_t running, to_grade, finished, failed, unchanged;
    long long started_ms;
    bool show_progress, terminal, orphans_possible;
};

static long long now_in_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static _Noreturn void exec_shmgrade(const struct runner *r, const struct student *s)
{
    const char *argv[2 * MAX_LABS + 16];
    size_t n = 0;
    char *out = xasprintf("%s/report.json.part", s->folder);
    char *log = xasprintf("%s/grader.log", s->folder);
    int out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    sigset_t none;

    /* A group of its own: its end (or a timeout) is ours to decide, and
     * the terminal's ^C reaches us, not it. */
    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (out_fd < 0 || log_fd < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(log_fd, STDERR_FILENO) < 0)
        _exit(126);
    argv[n++] = r->shmgrade;
    argv[n++] = "--submission";
    argv[n++] = s->path;
    argv[n++] = "--format";
    argv[n++] = "json";
    if (!r->o->no_hidden)
        argv[n++] = "--hidden";
    argv[n++] = "--root"; /* the labs we hashed, wherever the grader lives */
    argv[n++] = r->root;
    for (size_t i = 0; i < r->o->n_labs; i++) {
        argv[n++] = "--lab";
        argv[n++] = r->o->labs[i];
    }
    argv[n] = NULL;
    if (s->sandbox_uid != 0) {
        char uid[16];
        snprintf(uid, sizeof(uid), "%u", (unsigned)s->sandbox_uid);
        if (setenv(SANDBOX_UID_ENV, uid, 1) < 0)
            _exit(126);
    }
    execv(r->shmgrade, (char *const *)argv);
    fprintf(stderr, "shmclass: cannot run %s: %s\n", r->shmgrade, strerror(errno));
    _exit(127);
}

/* Remove NAME from STUDENT's folder, if it is there. */
static void remove_stale(const struct student *s, const char *name)
{
    char *path = xasprintf("%s/%s", s->folder, name);

    if (unlink(path) < 0 && errno != ENOENT)
        fail("unlink %s: %s", path, strerror(errno));
    free(path);
}

static void start(struct runner *r, struct student *s)
{
    make_folder(s->folder);
    /* Whatever was stored is stale from now on: the hash first, so a crash
     * in between never leaves a reusable hash beside an old report; and
     * the logs of a run before this one's attempts. */
    if (s->attempts == 0) {
        const char *stale[] = {"sha256", "report.json", "report.txt"};
        for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++)
            remove_stale(s, stale[i]);
        for (int attempt = 1; attempt < MAX_GRADING_ATTEMPTS; attempt++) {
            char *name = xasprintf("grader.log.%d", attempt);
            remove_stale(s, name);
            free(name);
        }
    }
    s->attempts++;
    /* As root, the grading's sandbox user is ours to choose: whatever its
     * programs leave if we must kill it is then found by that user. */
    if (geteuid() == 0) {
        char why[256];
        if (!sandbox_pick_uid(&s->sandbox_uid, why, sizeof(why)))
            fail("cannot choose a sandbox user: %s", why);
    }
    s->pid = fork();
    if (s->pid < 0)
        fail("fork: %s", strerror(errno));
    if (s->pid == 0)
        exec_shmgrade(r, s);
    setpgid(s->pid, s->pid); /* also here: no race with a kill before the child's own */
    s->state = RUNNING;
    s->started_ms = now_in_ms();
    r->running++;
}

static int write_text_view(FILE *out, const void *grade)
{
    struct text_style style = {0};
    report_text(out, grade, &style);
    return ferror(out) ? -1 : 0;
}

/* The first line of what shmgrade said in LOG (at most 300 bytes), or a
 * pointer to its log. The caller frees it. */
static char *first_words(const char *log)
{
    char *said = read_small_file(log), *line;

    if (said == NULL || said[0] == '\0') {
        free(said);
        return xstrdup("(see grader.log)");
    }
    said[strcspn(said, "\n")] = '\0';
    line = xasprintf("%.300s", said);
    free(said);
    return line;
}

/*
 * STUDENT's grading ended with grader error (shmgrade's status 3): if it
 * has attempts left, its log is kept as grader.log.N, the attempt noted,
 * and it waits to be graded again (true). False on its last attempt.
 */
static bool grade_again(struct runner *r, struct student *s, const char *log)
{
    char *kept, *said;

    if (s->attempts >= MAX_GRADING_ATTEMPTS)
        return false;
    kept = xasprintf("%s.%d", log, s->attempts);
    said = first_words(log);
    if (rename(log, kept) < 0 && errno != ENOENT)
        fail("rename %s: %s", log, strerror(errno));
    strbuf_printf(&s->retries, "%sattempt %d ended in a grader error (%s)",
                  s->retries.len ? "; " : "", s->attempts, said);
    s->state = PENDING;
    r->running--;
    free(said);
    free(kept);
    return true;
}

/* STUDENT's shmgrade ended with wait status STATUS: keep the result, or
 * grade it again after a grader error. */
static void finish(struct runner *r, struct student *s, int status)
{
    char *part = xasprintf("%s/report.json.part", s->folder);
    char *report = xasprintf("%s/report.json", s->folder);
    char *log = xasprintf("%s/grader.log", s->folder);
    bool ok = false;
    bool grader_error =
        !s->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == SHMGRADE_GRADER_ERROR;

    /* A grading that ended on its own removed what its programs left; one
     * killed (a timeout, a crash) could not: its user's leftovers go now,
     * its processes first, before any attempt again. (Without root there
     * is no such user: the namespaces level takes everything with it, none
     * cannot.) */
    int left = s->sandbox_uid != 0 ? sandbox_remove_user(s->sandbox_uid) : 0;
    if (grader_error && grade_again(r, s, log)) {
        unlink(part);
        free(log);
        free(report);
        free(part);
        return;
    }
    r->running--;
    r->finished++;
    if (s->timed_out && s->sandbox_uid != 0) {
        s->error = xasprintf("grading took longer than %ld s and was stopped (what its programs "
                             "left, as user %u, was removed: %d objects and files)",
                             r->o->timeout_s, (unsigned)s->sandbox_uid, left > 0 ? left : 0);
    } else if (s->timed_out) {
        s->error = xasprintf("grading took longer than %ld s and was stopped", r->o->timeout_s);
    } else if (WIFSIGNALED(status)) {
        s->error = xasprintf("shmgrade was killed by signal %d", WTERMSIG(status));
    } else if (grader_error) {
        char *said = first_words(log);
        s->error = xasprintf("the grader failed on each of its %d attempts (a grader error, not "
                             "the submission's: %s); the last said: %s",
                             s->attempts, s->retries.len ? s->retries.text : "", said);
        free(said);
    } else if (WEXITSTATUS(status) > 1) {
        char *said = read_small_file(log);
        s->error = xasprintf("shmgrade exited with status %d: %s", WEXITSTATUS(status),
                             said && said[0] ? said : "(see grader.log)");
        free(said);
    } else {
        ok = load_report(s, part);
    }
    if (ok) {
        char *text = xasprintf("%s/report.txt", s->folder);
        char *hash_path = xasprintf("%s/sha256", s->folder);
        char *line = xasprintf("%s\n", s->hash);

        if (rename(part, report) < 0)
            fail("rename %s: %s", part, strerror(errno));
        write_view(text, write_text_view, &s->grade);
        /* Last: only a complete result may be reused. */
        if (s->hash[0] != '\0')
            write_file(hash_path, line, strlen(line));
        s->state = GRADED;
        free(line);
        free(hash_path);
        free(text);
    } else {
        unlink(part);
        s->state = FAILED;
        r->failed++;
    }
    free(log);
    free(report);
    free(part);
}

/*
 * Kill our children that are no job of ours: what a killed or crashed
 * shmgrade left behind (we are a subreaper, so its orphans come to us).
 */
static bool kill_orphans(struct runner *r)
{
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    pid_t self = getpid();
    bool found = false;

    if (proc == NULL)
        return false;
    while ((entry = readdir(proc)) != NULL) {
        char path[64], line[512];
        pid_t pid = (pid_t)atol(entry->d_name), ppid;
        FILE *f;
        char *close_paren;
        bool ours = false;

        if (pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        close_paren = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
        fclose(f);
        /* "PID (COMM) STATE PPID ...": COMM may hold anything, even ')'. */
        if (close_paren == NULL || sscanf(close_paren + 1, " %*c %d", &ppid) != 1 || ppid != self)
            continue;
        for (size_t i = 0; i < r->n && !ours; i++)
            ours = r->students[i].state == RUNNING && r->students[i].pid == pid;
        if (!ours) {
            kill(pid, SIGKILL);
            found = true;
        }
    }
    closedir(proc);
    r->orphans_possible = found;
    return found;
}

/* Kill every child that is no job, and their children in turn as they come
 * to us, until none is left: nothing a student started outlives shmclass. */
static void kill_all_orphans(struct runner *r)
{
    while (kill_orphans(r)) {
        /* One killed orphan ending is enough to look again. */
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            break;
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

static void format_duration(char *buf, size_t size, double seconds)
{
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else
        snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
}

static void show_progress(struct runner *r)
{
    double elapsed = (double)(now_in_ms() - r->started_ms) / 1000.0;
    size_t done = r->finished + r->unchanged, total = r->n;
    char eta[32] = "--", spent[32];

    if (!r->show_progress)
        return;
    if (r->finished > 0 && elapsed > 0) {
        double rate = (double)r->finished / elapsed;
        format_duration(eta, sizeof(eta), (double)(r->to_grade - r->finished) / rate);
    }
    format_duration(spent, sizeof(spent), elapsed);
    fprintf(stderr,
            "%s[%*zu/%zu] %3zu%%  %.1f submissions/min  time left %s  (%zu running, %zu "
            "unchanged, %zu failed, %s)%s",
            r->terminal ? "\r" : "", (int)snprintf(NULL, 0, "%zu", total), done, total,
            total ? done * 100 / total : 100,
            elapsed > 0 ? (double)r->finished * 60.0 / elapsed : 0.0, eta, r->running, r->unchanged,
            r->failed, spent, r->terminal ? "\033[K" : "\n");
}

/* Handle every child that has ended; true if a job finished. */
static bool reap(struct runner *r)
{
    bool any = false;
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < r->n; i++) {
            struct student *s = &r->students[i];
            if (s->state == RUNNING && s->pid == pid) {
                finish(r, s, status);
                any = true;
                break;
            }
        }
        /* A job that ended (or an orphan) may have left others behind. */
        r->orphans_possible = true;
    }
    return any;
}

/* Stop jobs past their time; returns ms until the next deadline. */
static long enforce_timeouts(struct runner *r)
{
    long long now = now_in_ms(), limit = r->o->timeout_s * 1000LL;
    long next = 1000;

    for (size_t i = 0; i < r->n; i++) {
        struct student *s = &r->students[i];
        if (s->state != RUNNING || s->timed_out)
            continue;
        long long left = s->started_ms + limit - now;
        if (left <= 0) {
            s->timed_out = true;
            kill(-s->pid, SIGKILL);
            r->orphans_possible = true;
        } else if (left < next) {
            next = (long)left;
        }
    }
    return next;
}

static void stop_everything(struct runner *r, int sig)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->students[i].state == RUNNING)
            kill(-r->students[i].pid, SIGKILL);
    for (size_t i = 0; i < r->n; i++)
        if (r->students[i].state == RUNNING)
            waitpid(r->students[i].pid, NULL, 0);
    for (size_t i = 0; i < r->n; i++)
        r->students[i].state = FAILED; /* none is RUNNING: every child is now an orphan */
    kill_all_orphans(r);
    fprintf(stderr, "\n%s: stopped by signal %d; finished results are kept\n", program, sig);
    exit(128 + sig);
}

static void run_all(struct runner *r)
{
    bool changed = true;
    sigset_t wanted;

    sigemptyset(&wanted);
    sigaddset(&wanted, SIGCHLD);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGHUP);
    /* Blocked, so sigtimedwait() receives them: no handler races. */
    if (sigprocmask(SIG_BLOCK, &wanted, NULL) < 0)
        fail("sigprocmask: %s", strerror(errno));
    r->started_ms = now_in_ms();
    for (;;) {
        /* In order; one to grade again after a grader error goes next. */
        bool waiting = false;
        for (size_t i = 0; i < r->n; i++) {
            if (r->students[i].state != PENDING)
                continue;
            if (r->running < (size_t)r->o->jobs)
                start(r, &r->students[i]);
            else
                waiting = true;
        }
        if (changed || r->terminal)
            show_progress(r);
        changed = false;
        if (r->running == 0 && !waiting) {
            if (r->terminal)
                fputc('\n', stderr);
            kill_all_orphans(r);
            break;
        }
        long wait_ms = enforce_timeouts(r);
        struct timespec timeout = {.tv_sec = wait_ms / 1000, .tv_nsec = wait_ms % 1000 * 1000000};
        int sig = sigtimedwait(&wanted, NULL, &timeout);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
            stop_everything(r, sig);
        if (sig < 0 && errno != EAGAIN && errno != EINTR)
            fail("sigtimedwait: %s", strerror(errno));
        changed = reap(r);
        if (r->orphans_possible)
            kill_orphans(r);
    }
}

/*
 * Without root or namespaces, every grading runs student programs as this
 * user and cleans up after a test what this user made since it began: two
 * at once would remove each other's IPC objects, and verdicts would depend
 * on timing. Such gradings run one at a time. SHMGRADE_ISOLATION reaches
 * each shmgrade, which reads it as here.
 */
static void one_at_a_time_if_sharing_user(struct options *o)
{
    const char *asked = getenv("SHMGRADE_ISOLATION");
    enum sandbox_level level = SANDBOX_AUTO;

    if (asked != NULL && asked[0] != '\0' && !sandbox_parse_level(asked, &level))
        usage_error("SHMGRADE_ISOLATION='%s': use namespaces, none or auto", asked);
    if (!sandbox_gradings_share_user(level))
        return;
    fprintf(stderr,
            "%s: grading one submission at a time, not %ld: without root or namespaces "
            "(isolation none), gradings share this user and would remove each other's "
            "IPC objects\n",
            program, o->jobs);
    o->jobs = 1;
}

/* --- main ------------------------------------------------------------------------------- */

/* The shmlab checkout: --root, $SHMLAB_ROOT, or the folder above build/. */
static char *find_root(const char *given, const char *self)
{
    char path[PATH_MAX], *labs;
    const char *env = getenv("SHMLAB_ROOT");
    struct stat st;

    if (given == NULL && env != NULL && env[0] != '\0')
        given = env;
    if (given != NULL) {
        if (realpath(given, path) == NULL)
            usage_error("cannot use the root folder '%s': %s", given, strerror(errno));
    } else {
        snprintf(path, sizeof(path), "%s", self);
        dirname(path); /* build/ */
        dirname(path);
    }
    labs = xasprintf("%s/labs", path);
    if (stat(labs, &st) < 0 || !S_ISDIR(st.st_mode))
        usage_error("'%s' has no labs/ folder: use --root to name the shmlab checkout", path);
    free(labs);
    return strdup(path);
}

/* The labs to grade (every lab, or those of --lab), whose sources the grader hash covers. */
static size_t labs_to_grade(const struct options *o, const struct lab **labs)
{
    size_t n_all, n = 0;
    const struct lab *const *all = registered_labs(&n_all);

    for (size_t i = 0; i < (o->n_labs ? o->n_labs : n_all) && n < MAX_LABS; i++) {
        const struct lab *lab = o->n_labs ? find_lab(o->labs[i]) : all[i];
        if (lab == NULL)
            usage_error("no lab '%s' (see 'shmgrade --list')", o->labs[i]);
        labs[n++] = lab_with_hidden_tests(lab);
    }
    return n;
}

static int write_csv_view(FILE *out, const void *class)
{
    return write_gradebook_csv(out, class);
}

static int write_html_view(FILE *out, const void *class)
{
    return write_class_summary_html(out, class);
}

static void write_class_views(const struct options *o, struct student *students, size_t n)
{
    struct class_entry *entries = calloc(n ? n : 1, sizeof(*entries));
    char *csv = xasprintf("%s/gradebook.csv", o->output);
    char *html = xasprintf("%s/summary.html", o->output);
    char *title = xstrdup(o->submissions);

    if (entries == NULL)
        fail("out of memory");
    for (size_t i = 0; i < n; i++) {
        entries[i].student = students[i].name;
        entries[i].report_folder = xasprintf("students/%s", students[i].name);
        entries[i].grade = students[i].json ? &students[i].grade : NULL;
        entries[i].error = students[i].error;
        entries[i].retried = students[i].retries.len ? students[i].retries.text : NULL;
    }
    struct class_results class = {
        .title = basename(title),
        .entries = entries,
        .n_entries = n,
    };
    write_view(csv, write_csv_view, &class);
    write_view(html, write_html_view, &class);
    for (size_t i = 0; i < n; i++)
        free((char *)entries[i].report_folder);
    free(entries);
    free(title);
    free(html);
    free(csv);
}

/*
 * What became of the class, on stdout: how many were graded, and each
 * submission that could not be (shmgrade failed, or its files could not be
 * used); the exit status, 1 if there is any.
 */
static int report_outcome(const struct runner *r)
{
    size_t graded = 0, unchanged = 0, not_graded = 0;

    for (size_t i = 0; i < r->n; i++) {
        const struct student *s = &r->students[i];
        struct class_entry entry = {.grade = s->json ? &s->grade : NULL, .error = s->error};
        if (!class_entry_graded(&entry))
            not_graded++;
        else if (s->state == UNCHANGED)
            unchanged++;
        else
            graded++;
    }
    printf("%zu submissions: %zu graded, %zu unchanged, %zu could not be graded\n", r->n, graded,
           unchanged, not_graded);
    for (size_t i = 0; i < r->n; i++) {
        const struct student *s = &r->students[i];
        struct class_entry entry = {.grade = s->json ? &s->grade : NULL, .error = s->error};
        if (!class_entry_graded(&entry)) {
            /* A name is any bytes a student chose: shown, never acted on
             * by the terminal (the status is the model's, already shown). */
            char *status = class_entry_status(&entry), *name = text_visible_lines(s->name);
            printf("  %s: %s\n", name, status);
            free(name);
            free(status);
        }
    }
    return not_graded > 0 ? 1 : 0;
}

int main(int argc, char *argv[])
{
    struct options o = {0};
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    struct runner r = {.o = &o};

    parse_options(argc, argv, &o);
    if (len < 0)
        fail("readlink /proc/self/exe: %s", strerror(errno));
    self[len] = '\0';
    r.root = find_root(o.root, self);
    if (o.shmgrade != NULL) {
        r.shmgrade = o.shmgrade;
    } else {
        char *dir = strdup(self);
        r.shmgrade = xasprintf("%s/shmgrade", dirname(dir));
        free(dir);
    }
    if (access(r.shmgrade, X_OK) < 0)
        usage_error("cannot run the grader %s: %s (use --shmgrade)", r.shmgrade, strerror(errno));
    make_folder(o.output);
    struct stat out_st;
    if (stat(o.output, &out_st) < 0)
        fail("stat %s: %s", o.output, strerror(errno));
    if (same_file(o.submissions, &out_st))
        usage_error("the output folder cannot be the submissions folder '%s'", o.submissions);
    char *students_dir = xasprintf("%s/students", o.output);
    make_folder(students_dir);
    free(students_dir);

    /* Orphans of a killed shmgrade come to us, to be killed in turn. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        fail("prctl PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
    r.students = list_students(&o, &r.n);
    const struct lab *labs[MAX_LABS];
    size_t n_labs = labs_to_grade(&o, labs);
    char *grader = grader_hash(r.shmgrade, r.root, &o, labs, n_labs);
    for (size_t i = 0; i < r.n; i++) {
        struct student *s = &r.students[i];
        submission_hash(grader, s->path, s->hash);
        if (!o.force && reuse_result(s)) {
            s->state = UNCHANGED;
            r.unchanged++;
        } else {
            r.to_grade++;
        }
    }
    free(grader);
    if (o.jobs > 1 && r.to_grade > 1)
        one_at_a_time_if_sharing_user(&o);
    r.terminal = isatty(STDERR_FILENO);
    r.show_progress = o.progress || r.terminal;
    run_all(&r);
    write_class_views(&o, r.students, r.n);

    int rc = report_outcome(&r);
    printf("gradebook: %s/gradebook.csv\nsummary:   %s/summary.html\n", o.output, o.output);
    for (size_t i = 0; i < r.n; i++) {
        grade_result_free(&r.students[i].grade);
        json_decref(r.students[i].json);
    }
    return rc;
}
