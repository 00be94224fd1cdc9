/* grade.c - see grade.h. */
#define _GNU_SOURCE
#include "run/grade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"
#include "core/proc.h"
#include "run/runner.h"
#include "run/verdict.h"
#include "sandbox/sandbox.h"

/* A student's source file larger than this is not source code. */
#define MAX_STUDENT_FILE (1024 * 1024)
#define BUILD_TIMEOUT_MS 120000
/* What the compiler may print before it is stopped. */
#define BUILD_OUTPUT_LIMIT (4 * 1024 * 1024)

/* snprintf into a path buffer; a path too long for it is the grader's
 * own failure (the work folder is too deep), never a silent cut. */
static void format_path(char *path, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void format_path(char *path, size_t size, const char *format, ...)
{
    va_list args;
    int n;

    va_start(args, format);
    n = vsnprintf(path, size, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "shmgrade: path too long: %s...\n", path);
        exit(3);
    }
}

/* The linker gathers SHMLAB_REGISTER_LAB pointers between these two. */
extern const struct lab *const __start_shmlab_labs[] __attribute__((weak));
extern const struct lab *const __stop_shmlab_labs[] __attribute__((weak));

static int compare_labs(const void *a, const void *b)
{
    const struct lab *const *x = a, *const *y = b;
    return strcmp((*x)->id, (*y)->id);
}

const struct lab *const *registered_labs(size_t *n)
{
    static const struct lab **sorted;
    static size_t count;

    if (sorted == NULL && __start_shmlab_labs != NULL) {
        count = (size_t)(__stop_shmlab_labs - __start_shmlab_labs);
        sorted = malloc((count ? count : 1) * sizeof(*sorted));
        if (sorted == NULL) {
            perror("malloc");
            exit(3);
        }
        memcpy(sorted, __start_shmlab_labs, count * sizeof(*sorted));
        qsort(sorted, count, sizeof(*sorted), compare_labs);
    }
    *n = count;
    return sorted;
}

const struct lab *find_lab(const char *id)
{
    size_t n;
    const struct lab *const *labs = registered_labs(&n);
    const struct lab *found = NULL;
    size_t len = strlen(id);

    if (len == 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(labs[i]->id, id) == 0)
            return labs[i];
        if (strncmp(labs[i]->id, id, len) == 0) {
            if (found != NULL)
                return NULL; /* ambiguous */
            found = labs[i];
        }
    }
    return found;
}

const struct lab_test *lab_find_test(const struct lab *lab, const char *id)
{
    for (size_t i = 0; i < lab->n_tests; i++)
        if (strcmp(lab->tests[i].id, id) == 0)
            return &lab->tests[i];
    return NULL;
}

/* --- staging -------------------------------------------------------------- */

static bool is_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool locate_student_file(const char *submission, const struct lab *lab, const char *file,
                         bool flat_ok, char *path, size_t size)
{
    format_path(path, size, "%s/%s/%s", submission, lab->id, file);
    if (is_file(path))
        return true;
    format_path(path, size, "%s/labs/%s/%s", submission, lab->id, file);
    if (is_file(path))
        return true;
    format_path(path, size, "%s/%s", submission, file);
    return flat_ok && is_file(path);
}

/*
 * Copy SRC to DST if it is a plain text file of sane size. Returns NULL,
 * or why the file cannot be used (allocated).
 */
static char *copy_source_file(const char *src, const char *dst)
{
    struct stat st;
    char *data;
    ssize_t got;
    int in, out;
    char *problem = NULL;

    if (lstat(src, &st) < 0)
        return xasprintf("cannot read %s: %s", src, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return xasprintf("%s is a symbolic link; submit the file itself", src);
    if (!S_ISREG(st.st_mode))
        return xasprintf("%s is not a regular file", src);
    if (st.st_size > MAX_STUDENT_FILE)
        return xasprintf("%s is %lld bytes; a source file may have at most %d", src,
                         (long long)st.st_size, MAX_STUDENT_FILE);
    in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return xasprintf("cannot open %s: %s", src, strerror(errno));
    data = malloc((size_t)st.st_size + 1);
    if (data == NULL) {
        close(in);
        return xasprintf("out of memory reading %s", src);
    }
    got = read(in, data, (size_t)st.st_size + 1);
    close(in);
    if (got < 0 || got > st.st_size) {
        free(data);
        return xasprintf("cannot read %s: it changed while being read", src);
    }
    if (memchr(data, '\0', (size_t)got) != NULL) {
        free(data);
        return xasprintf("%s is a binary file, not C source", src);
    }
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || write(out, data, (size_t)got) != got)
        problem = xasprintf("cannot write %s: %s", dst, strerror(errno));
    if (out >= 0)
        close(out);
    free(data);
    return problem;
}

static int make_folder(const char *path)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "shmgrade: mkdir %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* PATH and the folders above it. */
static int make_folders_for(const char *path)
{
    char buf[4096];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *slash = strchr(buf + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "shmgrade: mkdir %s: %s\n", buf, strerror(errno));
            return -1;
        }
        *slash = '/';
    }
    return make_folder(path);
}

static bool is_listed(const char *const *files, const char *name)
{
    for (const char *const *f = files; f != NULL && *f != NULL; f++)
        if (strcmp(*f, name) == 0)
            return true;
    return false;
}

/* Copy the lab's own build files (Makefile, headers, its kit's programs,
 * common/). */
static char *stage_lab_files(const char *root, const struct lab *lab, const char *stage_labs)
{
    static const char *const folders[] = {"common", NULL};
    char src[4096], dst[4096];

    for (int pass = 0; pass < 2; pass++) {
        const char *folder = pass == 0 ? folders[0] : lab->id;
        DIR *dir;
        struct dirent *entry;

        format_path(src, sizeof(src), "%s/labs/%s", root, folder);
        format_path(dst, sizeof(dst), "%s/%s", stage_labs, folder);
        if (make_folder(dst) < 0)
            return xasprintf("cannot create the work folder %s", dst);
        dir = opendir(src);
        if (dir == NULL)
            return xasprintf("the lab folder %s is missing: %s", src, strerror(errno));
        while ((entry = readdir(dir)) != NULL) {
            const char *name = entry->d_name;
            const char *dot = strrchr(name, '.');
            bool wanted =
                strcmp(name, "Makefile") == 0 || strcmp(name, "lab.mk") == 0 ||
                (dot && (strcmp(dot, ".h") == 0 || (pass == 0 && strcmp(dot, ".c") == 0))) ||
                (pass == 1 && is_listed(lab->kit_files, name));
            if (!wanted || is_listed(lab->student_files, name))
                continue;
            format_path(src, sizeof(src), "%s/labs/%s/%s", root, folder, name);
            format_path(dst, sizeof(dst), "%s/%s/%s", stage_labs, folder, name);
            char *problem = copy_source_file(src, dst);
            if (problem != NULL) {
                closedir(dir);
                return problem;
            }
        }
        closedir(dir);
    }
    return NULL;
}

/* Is SRC inside the submission, once every link on its way is followed?
 * A linked folder could otherwise hand in anyone's files. */
static char *check_inside(const char *submission, const char *src)
{
    char real_submission[PATH_MAX], real_src[PATH_MAX];
    size_t len;

    if (realpath(submission, real_submission) == NULL || realpath(src, real_src) == NULL)
        return xasprintf("cannot resolve %s: %s", src, strerror(errno));
    len = strlen(real_submission);
    if (strncmp(real_src, real_submission, len) != 0 || real_src[len] != '/')
        return xasprintf("%s leads outside the submission folder (through a symbolic "
                         "link); submit the files themselves",
                         src);
    return NULL;
}

static char *stage_student_files(const struct grade_config *config, const struct lab *lab,
                                 bool flat_ok, const char *stage_lab)
{
    char src[4096], dst[4096];

    for (const char *const *f = lab->student_files; *f != NULL; f++) {
        if (!locate_student_file(config->submission, lab, *f, flat_ok, src, sizeof(src)))
            return xasprintf("%s is missing from the submission (looked for %s/%s/%s)", *f,
                             config->submission, lab->id, *f);
        char *outside = check_inside(config->submission, src);
        if (outside != NULL)
            return outside;
        format_path(dst, sizeof(dst), "%s/%s", stage_lab, *f);
        char *problem = copy_source_file(src, dst);
        if (problem != NULL)
            return problem;
    }
    return NULL;
}

/* --- building ------------------------------------------------------------- */

/* Run the lab's Makefile in the sandbox, as the sandbox user; the log is
 * the compiler's output. */
/* One build of a lab: normal, or a variant (make VARIANT=...). */
struct lab_build {
    enum build_variant variant;
    bool wanted;
    char stage_labs[4096], dir[4096]; /* labs/ of the stage, and the lab's folder in it */
    char *problem;                    /* why it could not be staged, or NULL */
    struct proc *make;
    long long started;
    bool built;
    char *log; /* the compiler's output */
};

/* Start the lab's Makefile in B's staged folder, in the sandbox, as the
 * sandbox user. */
static void start_build(struct lab_build *b, const char *variant)
{
    char variant_arg[64], tmpdir[4200];
    const char *argv[] = {"/usr/bin/make", "-s", "--no-print-directory", variant_arg, NULL};
    const char *env[] = {tmpdir, NULL};
    struct sandbox_exec exec = {.limits = &BUILD_LIMITS, .dir = b->dir, .stage = b->stage_labs};
    struct proc_opts opts = {
        .cwd = b->dir,
        .env = env,
        .before_exec = sandbox_build_exec,
        .before_exec_arg = &exec,
        .output_limit = BUILD_OUTPUT_LIMIT,
    };

    snprintf(variant_arg, sizeof(variant_arg), "VARIANT=%s", variant);
    /* The compiler keeps its temporary files next to its output. */
    format_path(tmpdir, sizeof(tmpdir), "TMPDIR=%s", b->dir);
    sandbox_give_folder(b->dir);
    b->started = now_ms();
    b->make = proc_spawn(argv, &opts);
    if (b->make == NULL) {
        b->log = xasprintf("cannot run make: %s", strerror(errno));
        return;
    }
    if (b->make->confine_error != NULL) {
        /* Fail closed: never build student code with fewer limits. */
        fprintf(stderr, "shmgrade: cannot confine the build, so it was not run: %s\n",
                b->make->confine_error);
        exit(3);
    }
}

/* Wait for B's build (every other build is drained meanwhile). */
static void finish_build(struct lab_build *b)
{
    long long left = b->started + BUILD_TIMEOUT_MS - now_ms();
    bool ended;

    if (b->make == NULL)
        return;
    ended = proc_wait(b->make, left > 0 ? (int)left : 0);
    if (!ended)
        proc_kill(b->make, SIGKILL);
    char *out = capture_text(&b->make->out), *err = capture_text(&b->make->err);
    char *log = xasprintf("%s%s%s", out ? out : "", err ? err : "",
                          ended ? "" : "\n[the build did not finish in time and was stopped]\n");
    b->log = report_text_copy(log);
    free(log);
    free(out);
    free(err);
    b->built = ended && b->make->state == PROC_EXITED && b->make->exit_code == 0;
    proc_free(b->make);
    b->make = NULL;
}

/* --- grading -------------------------------------------------------------- */

static bool test_selected(const struct lab_test *test, const struct grade_config *config)
{
    size_t len = strlen(test->id);

    if ((test->flags & TEST_HIDDEN) && !config->include_hidden)
        return false;
    if (config->only_test == NULL)
        return true;
    for (const char *id = config->only_test; *id != '\0'; id += strcspn(id, ",")) {
        id += *id == ',';
        if (strncmp(id, test->id, len) == 0 && (id[len] == ',' || id[len] == '\0'))
            return true;
    }
    return false;
}

/* A verdict on a test the grader could not run: its own failure. WHY is
 * taken over. */
static void grader_error_verdict(struct test_verdict *result, const struct lab_test *test,
                                 char *why)
{
    verdict_init(result, test);
    result->status = STATUS_GRADER_ERROR;
    result->message = report_text_copy(why);
    result->output = report_text_copy(why);
    free(why);
}

static void mark_not_run(struct test_verdict *result, const struct lab_test *test, const char *why)
{
    verdict_init(result, test);
    result->message = report_text_copy(why);
    result->output = report_text_copy("");
}

/* The name of a build variant: what lab.mk's VARIANT is set to, and the
 * folder of the work area it is built in. */
static const char *variant_name(enum build_variant variant)
{
    static const char *const names[] = {
        [BUILD_NORMAL] = "",
        [BUILD_SANITIZE] = "sanitize",
        [BUILD_THREADS] = "threads",
    };
    return names[variant];
}

/* Stage LAB into WORK_DIR/[VARIANT/]labs/LAB for B, and start its build. */
static void stage_and_start(const struct lab *lab, const struct grade_config *config, bool flat_ok,
                            struct lab_build *b)
{
    if (b->variant == BUILD_NORMAL)
        format_path(b->stage_labs, sizeof(b->stage_labs), "%s/labs", config->work_dir);
    else
        format_path(b->stage_labs, sizeof(b->stage_labs), "%s/%s/labs", config->work_dir,
                    variant_name(b->variant));
    format_path(b->dir, sizeof(b->dir), "%s/%s", b->stage_labs, lab->id);
    if (make_folders_for(b->stage_labs) < 0)
        exit(3);
    b->problem = config->problem != NULL ? xasprintf("%s", config->problem)
                                         : stage_lab_files(config->root, lab, b->stage_labs);
    if (b->problem == NULL)
        b->problem = stage_student_files(config, lab, flat_ok, b->dir);
    if (b->problem == NULL)
        start_build(b, variant_name(b->variant));
}

/* The verdict of the test ID (LEN bytes) among the first N of RESULT,
 * whose tests are TESTED, or NULL if it is not among them. */
static struct test_verdict *verdict_named(struct lab_result *result,
                                          const struct lab_test *const *tested, size_t n,
                                          const char *id, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(tested[i]->id) == len && strncmp(tested[i]->id, id, len) == 0)
            return &result->tests[i];
    return NULL;
}

/* JOB's verdicts to build on: those of the tests its test needs
 * (lab_test.needs) among the first N of RESULT, whose tests are TESTED
 * (a test not selected here is no obstacle). */
static void resolve_needs(struct test_job *job, struct lab_result *result,
                          const struct lab_test *const *tested, size_t n)
{
    for (const char *id = job->test->needs; id != NULL && *id != '\0';) {
        size_t len = strcspn(id, " ");
        const struct test_verdict *needed = len ? verdict_named(result, tested, n, id, len) : NULL;
        if (needed != NULL && job->n_needs < MAX_NEEDS)
            job->needs[job->n_needs++] = needed;
        id += len;
        id += strspn(id, " ");
    }
}

/* Verdicts in table order, for a grade_observer: which are final, and
 * how many have been handed on. */
struct verdict_order {
    const struct grade_observer *observer;
    const struct lab_result *result;
    bool *final;
    size_t n, handed;
    const struct test_job *jobs; /* the run's jobs, whose verdicts come later */
};

/* Hand on every final verdict that comes next in table order. */
static void hand_on(struct verdict_order *order)
{
    while (order->handed < order->n && order->final[order->handed]) {
        if (order->observer != NULL && order->observer->verdict != NULL)
            order->observer->verdict(order->result, order->handed, order->observer->arg);
        order->handed++;
    }
}

static void job_verdict_in(size_t job, void *arg)
{
    struct verdict_order *order = arg;

    order->final[order->jobs[job].result - order->result->tests] = true;
    hand_on(order);
}

static void tests_running(const struct test_progress *running, size_t n, void *arg)
{
    struct verdict_order *order = arg;
    order->observer->tick(running, n, order->observer->arg);
}

void grade_lab(const struct lab *lab, const struct grade_config *config, bool flat_ok,
               struct lab_result *result)
{
    struct lab_build builds[BUILD_THREADS + 1];
    struct lab_build *normal = &builds[BUILD_NORMAL];
    long long start = now_ms();
    size_t n = 0;

    lab_result_init(result, lab);
    result->tests = calloc(lab->n_tests ? lab->n_tests : 1, sizeof(*result->tests));
    struct test_job *jobs = calloc(lab->n_tests ? lab->n_tests : 1, sizeof(*jobs));
    const struct lab_test **tested = calloc(lab->n_tests ? lab->n_tests : 1, sizeof(*tested));
    size_t n_jobs = 0;
    if (result->tests == NULL || jobs == NULL || tested == NULL) {
        perror("calloc");
        exit(3);
    }
    /* Every build a selected test needs, at once: the variants take
     * longer to compile, and the machine has more than one core. */
    /* The sanitize build always: a program that crashes in a test of the
     * normal build runs again from it, to name the line. */
    for (int v = BUILD_NORMAL; v <= BUILD_THREADS; v++)
        builds[v] = (struct lab_build){.variant = (enum build_variant)v,
                                       .wanted = v == BUILD_NORMAL || v == BUILD_SANITIZE};
    for (size_t i = 0; i < lab->n_tests; i++)
        if (test_selected(&lab->tests[i], config))
            builds[lab->tests[i].build].wanted = true;
    stage_and_start(lab, config, flat_ok, normal);
    for (int v = BUILD_SANITIZE; v <= BUILD_THREADS && normal->problem == NULL; v++)
        if (builds[v].wanted)
            stage_and_start(lab, config, flat_ok, &builds[v]);
    for (int v = BUILD_NORMAL; v <= BUILD_THREADS; v++)
        finish_build(&builds[v]);
    sandbox_kill_all();
    kill_all_descendants();

    result->build_log = normal->log;
    normal->log = NULL;
    if (normal->problem != NULL) {
        result->state = LAB_BAD_SUBMISSION;
        result->problem = report_text_copy(normal->problem);
    } else if (!normal->built) {
        result->state = LAB_BUILD_FAILED;
    }
    if (config->observer != NULL && config->observer->built != NULL)
        config->observer->built(result, config->observer->arg);
    for (size_t i = 0; i < lab->n_tests; i++) {
        const struct lab_test *test = &lab->tests[i];
        struct lab_build *b = &builds[test->build];
        if (!test_selected(test, config))
            continue;
        tested[n] = test;
        if (result->state != LAB_GRADED) {
            mark_not_run(&result->tests[n++], test,
                         result->state == LAB_BUILD_FAILED
                             ? "not run: the lab did not build (see the compiler's output)"
                             : "not run: the submission could not be staged");
            continue;
        }
        if (!b->built) {
            /* The sources compiled in the normal build: a variant that
             * does not is the grader's problem (a missing runtime). */
            grader_error_verdict(&result->tests[n++], test,
                                 xasprintf("the %s build of the lab failed:\n%s",
                                           variant_name(test->build), b->log ? b->log : ""));
            continue;
        }
        jobs[n_jobs] = (struct test_job){.test = test,
                                         .build_dir = b->dir,
                                         .crash_build_dir = test->build == BUILD_NORMAL &&
                                                                    builds[BUILD_SANITIZE].built
                                                                ? builds[BUILD_SANITIZE].dir
                                                                : NULL,
                                         .result = &result->tests[n]};
        resolve_needs(&jobs[n_jobs++], result, tested, n);
        n++;
    }
    result->n_tests = n;
    struct verdict_order order = {
        config->observer, result, calloc(n ? n : 1, sizeof(bool)), n, 0, jobs};
    if (order.final == NULL) {
        perror("calloc");
        exit(3);
    }
    for (size_t i = 0; i < n; i++)
        order.final[i] = true;
    for (size_t j = 0; j < n_jobs; j++)
        order.final[jobs[j].result - result->tests] = false;
    hand_on(&order);
    struct run_observer run_observer = {
        .done = job_verdict_in,
        .tick = config->observer != NULL && config->observer->tick != NULL ? tests_running : NULL,
        .arg = &order,
    };
    run_tests(jobs, n_jobs, test_parallelism(), &run_observer);
    free(order.final);
    free(jobs);
    free(tested);
    kill_all_descendants();
    for (int v = BUILD_NORMAL; v <= BUILD_THREADS; v++) {
        free(builds[v].problem);
        free(builds[v].log);
    }
    lab_result_total(result);
    result->seconds = (double)(now_ms() - start) / 1000.0;
}
