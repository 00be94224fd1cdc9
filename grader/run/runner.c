/* runner.c - see runner.h; also the test side of harness.h. */
#define _GNU_SOURCE
#include "run/runner.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "run/verdict.h"

#define MAX_PROCS 64
#define MAX_NAMES 64

/* What one stream of a student program may carry before it is stopped. */
#define RUN_OUTPUT_LIMIT (8 * 1024 * 1024)
/* How much slower programs run under valgrind: every timeout grows. */
#define VALGRIND_SLOWDOWN 8
/* Leftover IPC objects listed by name in a test's output; the rest counted. */
#define MAX_LISTED_LEFTOVERS 10

static struct {
    bool valgrind;
    int slowdown;
} options = {.slowdown = 1};

/* Host pid of the test process, in every name and key it hands out: in a
 * PID namespace getpid() is 1 for every test. */
static long unique_id;

void runner_use_valgrind(bool on)
{
    options.valgrind = on;
    options.slowdown = on ? VALGRIND_SLOWDOWN : 1;
}

int scaled_timeout_ms(int timeout_ms)
{
    return timeout_ms * options.slowdown;
}

/*
 * What a test process reports to the grader. It lives in a shared
 * anonymous mapping made before fork(), so whatever the test recorded
 * survives even if the test process is killed halfway.
 */
struct test_record {
    bool finished;
    bool out_of_time; /* a step ran into the test's own deadline */
    char step[512];   /* what the test is waiting for right now */
    int failures;
    char message[2048];
    size_t output_len;
    char output[60 * 1024];
    int n_names;
    char names[MAX_NAMES][64];
    int n_keys;
    key_t keys[MAX_NAMES];
};

struct test_ctx {
    const struct lab_test *test;
    const char *build_dir;
    struct test_record *rec;
    struct proc *procs[MAX_PROCS];
    char *valgrind_logs[MAX_PROCS]; /* per process, under --valgrind */
    size_t n_procs;
    unsigned seq;
    long long deadline; /* steps end by then, so the test can report */
    struct sandbox_exec exec;
};

const struct student_limits RUN_LIMITS = {
    .cpu_seconds = 20,
    .address_space_mb = 1024,
    .file_size_mb = 16,
    .open_files = 256,
    .processes = 256,
};

const struct student_limits BUILD_LIMITS = {
    .cpu_seconds = 120,
    .address_space_mb = 4096,
    .file_size_mb = 64,
    .open_files = 1024,
    .processes = 256,
};

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard};
    setrlimit(resource, &limit);
}

void apply_student_limits(void *arg)
{
    const struct student_limits *limits = arg;
    const rlim_t mb = 1024 * 1024;

    set_limit(RLIMIT_CORE, 0, 0);
    /* The soft CPU limit sends SIGXCPU, which names the cause in reports. */
    set_limit(RLIMIT_CPU, (rlim_t)limits->cpu_seconds, (rlim_t)limits->cpu_seconds + 1);
    set_limit(RLIMIT_AS, (rlim_t)limits->address_space_mb * mb,
              (rlim_t)limits->address_space_mb * mb);
    set_limit(RLIMIT_FSIZE, (rlim_t)limits->file_size_mb * mb, (rlim_t)limits->file_size_mb * mb);
    set_limit(RLIMIT_NOFILE, (rlim_t)limits->open_files, (rlim_t)limits->open_files);
    set_limit(RLIMIT_NPROC, (rlim_t)limits->processes, (rlim_t)limits->processes);
}

/* --- recording ----------------------------------------------------------- */

static void record_vappend(struct test_record *rec, const char *format, va_list args)
{
    size_t room = sizeof(rec->output) - rec->output_len;
    int n;

    if (room <= 1)
        return;
    n = vsnprintf(rec->output + rec->output_len, room, format, args);
    if (n < 0)
        return;
    if ((size_t)n >= room) {
        static const char cut[] = "\n[... output of this test cut ...]\n";
        rec->output_len = sizeof(rec->output) - sizeof(cut);
        memcpy(rec->output + rec->output_len, cut, sizeof(cut));
        rec->output_len += sizeof(cut) - 1;
        return;
    }
    rec->output_len += (size_t)n;
}

static void record_append(struct test_record *rec, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void record_append(struct test_record *rec, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    record_vappend(rec, format, args);
    va_end(args);
}

static void record_failure(struct test_ctx *t, const char *format, va_list args)
{
    struct test_record *rec = t->rec;
    char text[2048];

    vsnprintf(text, sizeof(text), format, args);
    if (rec->failures++ == 0)
        snprintf(rec->message, sizeof(rec->message), "%s", text);
    record_append(rec, "FAILED: %s\n", text);
}

bool check(struct test_ctx *t, bool cond, const char *format, ...)
{
    va_list args;

    if (cond)
        return true;
    va_start(args, format);
    record_failure(t, format, args);
    va_end(args);
    return false;
}

void require(struct test_ctx *t, bool cond, const char *format, ...)
{
    va_list args;

    if (cond)
        return;
    va_start(args, format);
    record_failure(t, format, args);
    va_end(args);
    test_end(t);
}

void note(struct test_ctx *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    record_vappend(t->rec, format, args);
    va_end(args);
    record_append(t->rec, "\n");
}

bool test_failed(const struct test_ctx *t)
{
    return t->rec->failures > 0;
}

/* Remove what the harness handed out: names, keys, processes. */
static void clean_up_test(struct test_record *rec)
{
    for (int i = 0; i < rec->n_names; i++)
        shm_object_remove(rec->names[i]);
    for (int i = 0; i < rec->n_keys; i++)
        sysv_remove_key(rec->keys[i]);
}

static void check_valgrind_logs(struct test_ctx *t);
static void check_no_strays(struct test_ctx *t);
static void list_leftovers(struct test_ctx *t);

_Noreturn void test_end(struct test_ctx *t)
{
    /* Programs that ended on their own have complete valgrind logs. */
    for (size_t i = 0; i < t->n_procs; i++)
        proc_wait(t->procs[i], 0);
    check_valgrind_logs(t);
    for (size_t i = 0; i < t->n_procs; i++)
        proc_kill(t->procs[i], SIGKILL);
    check_no_strays(t);
    for (size_t i = 0; i < t->n_procs; i++) {
        proc_free(t->procs[i]);
        if (t->valgrind_logs[i] != NULL)
            unlink(t->valgrind_logs[i]);
        free(t->valgrind_logs[i]);
    }
    t->n_procs = 0;
    sandbox_kill_all();
    kill_all_descendants();
    list_leftovers(t);
    clean_up_test(t->rec);
    t->rec->finished = true;
    _exit(0);
}

/* --- names and keys ------------------------------------------------------ */

const char *unique_shm_name(struct test_ctx *t)
{
    struct test_record *rec = t->rec;
    char *name;

    require(t, rec->n_names < MAX_NAMES, "internal: the test asked for too many names");
    name = rec->names[rec->n_names];
    snprintf(name, sizeof(rec->names[0]), "/shmlab-%ld-%u", unique_id, ++t->seq);
    rec->n_names++;
    shm_object_remove(name); /* a stale one from a crashed run with our pid */
    return name;
}

key_t unique_ipc_key(struct test_ctx *t)
{
    struct test_record *rec = t->rec;
    struct ipc_object existing;
    key_t key;

    require(t, rec->n_keys < MAX_NAMES, "internal: the test asked for too many keys");
    /* Keys are 0x5Axxxxxx: pid and a counter; skip any that are in use. */
    do {
        unsigned n = ((unsigned)unique_id * 64u + ++t->seq) & 0x00ffffffu;
        key = (key_t)(0x5a000000u | n);
    } while (sysv_find_key(IPC_KIND_SYSV_SHM, key, &existing) ||
             sysv_find_key(IPC_KIND_SYSV_SEM, key, &existing));
    rec->keys[rec->n_keys++] = key;
    return key;
}

const char *shmlab_key_env(struct test_ctx *t, key_t key)
{
    static char env[MAX_NAMES][32];
    char *entry = env[t->seq % MAX_NAMES];

    snprintf(entry, sizeof(env[0]), "SHMLAB_KEY=0x%08x", (unsigned)key);
    return entry;
}

/* --- programs ------------------------------------------------------------ */

const char *program_path(struct test_ctx *t, const char *program)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", t->build_dir, program);
    return path;
}

/* The valgrind command a program runs under, logging to LOG. */
static const char *const *valgrind_wrapper(const char *log)
{
    static char log_option[4200];
    static const char *wrapper[] = {
        "/usr/bin/valgrind",
        "--tool=memcheck",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect,possible",
        "--errors-for-leak-kinds=definite,indirect,possible",
        "--track-origins=yes",
        "--vgdb=no",
        "--child-silent-after-fork=yes",
        log_option,
        NULL,
    };
    snprintf(log_option, sizeof(log_option), "--log-file=%s", log);
    return wrapper;
}

/* The environment for one program: the test's entries, plus TMPDIR under
 * valgrind (it keeps files there; the sandbox allows only the build
 * folder). */
static const char *const *program_env(struct test_ctx *t, const char *const *extra)
{
    static char tmpdir[4200];
    static const char *env[64];
    size_t n = 0;

    while (extra != NULL && extra[n] != NULL && n < ARRAY_LEN(env) - 2) {
        env[n] = extra[n];
        n++;
    }
    if (options.valgrind) {
        snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", t->build_dir);
        env[n++] = tmpdir;
    }
    env[n] = NULL;
    return env;
}

struct proc *spawn(struct test_ctx *t, const char *const argv[], const struct proc_opts *opts)
{
    const char *args[64];
    struct proc_opts full = {0};
    struct proc *p;
    char *log = NULL;
    size_t n = 0;

    require(t, t->n_procs < MAX_PROCS, "internal: the test started too many processes");
    args[n++] = program_path(t, argv[0]);
    while (argv[n] != NULL && n < ARRAY_LEN(args) - 1) {
        args[n] = argv[n];
        n++;
    }
    args[n] = NULL;
    if (opts != NULL)
        full = *opts;
    full.cwd = t->build_dir;
    full.env = program_env(t, full.env);
    full.before_exec = sandbox_student_exec;
    full.before_exec_arg = &t->exec;
    full.output_limit = RUN_OUTPUT_LIMIT;
    if (options.valgrind) {
        if (asprintf(&log, "%s/.valgrind-%ld-%zu.log", t->build_dir, unique_id, t->n_procs) < 0)
            log = NULL;
        require(t, log != NULL, "internal: out of memory");
        full.wrapper = valgrind_wrapper(log);
    }
    p = proc_spawn(args, &full);
    require(t, p != NULL, "internal: cannot start %s: %s", argv[0], strerror(errno));
    t->valgrind_logs[t->n_procs] = log;
    t->procs[t->n_procs++] = p;
    return p;
}

static void show_stream(struct test_ctx *t, const char *label, const struct capture *c)
{
    char *text;

    if (c->total == 0) {
        record_append(t->rec, "    %s: (nothing)\n", label);
        return;
    }
    text = capture_last_lines(c, 15);
    record_append(t->rec, "    %s%s:\n", label,
                  capture_line_count(c) > 15 ? " (last 15 lines)" : "");
    for (char *line = strtok(text ? text : "", "\n"); line; line = strtok(NULL, "\n"))
        record_append(t->rec, "      | %s\n", line);
    if (c->total > CAPTURE_HEAD_CAP)
        record_append(t->rec, "      (%zu bytes in all)\n", c->total);
    free(text);
}

static void show_fault_line(struct test_ctx *t, const struct proc *p);

/* Show what P was run as and what it did, once per process. */
static void show_transcript(struct test_ctx *t, struct proc *p)
{
    if (p->transcript_shown)
        return;
    p->transcript_shown = true;
    record_append(t->rec, "  $ %s\n", p->command);
    if (p->timed_out)
        record_append(t->rec, "    did not end in time and was killed\n");
    else
        record_append(t->rec, "    %s\n", proc_describe_end(p));
    show_fault_line(t, p);
    show_stream(t, "stdout", &p->out);
    show_stream(t, "stderr", &p->err);
}

/* Say what the test waits for, for a report if it never comes. */
static void set_step(struct test_ctx *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void set_step(struct test_ctx *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(t->rec->step, sizeof(t->rec->step), format, args);
    va_end(args);
}

/* A step's time: its own timeout, but never past the test's deadline. */
static int step_budget(struct test_ctx *t, int timeout_ms, bool *cut)
{
    long long left = t->deadline - now_ms();
    int wanted = scaled_timeout_ms(timeout_ms);

    *cut = left < wanted;
    if (!*cut)
        return wanted;
    return left > 0 ? (int)left : 0;
}

/* The step ran into the test's deadline: say where, and end the test. */
static _Noreturn void out_of_time(struct test_ctx *t, struct proc *p)
{
    t->rec->out_of_time = true;
    p->timed_out = true;
    proc_kill(p, SIGKILL);
    check(
        t, false, "the test ran out of time (%.0f s in all) while %s",
        scaled_timeout_ms(t->test->timeout_ms > 0 ? t->test->timeout_ms : DEFAULT_TEST_TIMEOUT_MS) /
            1000.0,
        t->rec->step);
    show_transcript(t, p);
    test_end(t);
}

/* Wait for P to end within the step timeout; a hang is a failure. */
static bool await_end(struct test_ctx *t, struct proc *p)
{
    bool cut;
    int budget;

    if (p->timed_out)
        return false;
    set_step(t, "waiting for `%s` to end", p->command);
    budget = step_budget(t, DEFAULT_STEP_TIMEOUT_MS, &cut);
    if (proc_wait(p, budget)) {
        t->rec->step[0] = '\0';
        return true;
    }
    if (cut)
        out_of_time(t, p);
    p->timed_out = true;
    proc_kill(p, SIGKILL);
    check(t, false,
          "`%s` did not end within %.1f s (it hangs, or waits for something "
          "that never comes)",
          p->command, scaled_timeout_ms(DEFAULT_STEP_TIMEOUT_MS) / 1000.0);
    show_transcript(t, p);
    t->rec->step[0] = '\0';
    return false;
}

struct proc *run(struct test_ctx *t, const char *const argv[], const struct proc_opts *opts)
{
    struct proc *p = spawn(t, argv, opts);
    await_end(t, p);
    return p;
}

/* --- expectations -------------------------------------------------------- */

static bool fail_with_transcript(struct test_ctx *t, struct proc *p, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail_with_transcript(struct test_ctx *t, struct proc *p, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    record_failure(t, format, args);
    va_end(args);
    show_transcript(t, p);
    return false;
}

bool expect_exit(struct test_ctx *t, struct proc *p, int code)
{
    if (!await_end(t, p))
        return false;
    if (p->state == PROC_EXITED && p->exit_code == code)
        return true;
    return fail_with_transcript(t, p, "`%s` should exit with status %d, but it %s", p->command,
                                code, proc_describe_end(p));
}

static bool stdout_has_line(const struct proc *p, const char *line)
{
    char buf[8192];
    for (size_t i = 0; capture_line(&p->out, i, buf, sizeof(buf)); i++)
        if (strcmp(buf, line) == 0)
            return true;
    return false;
}

bool expect_stdout_line(struct test_ctx *t, struct proc *p, const char *line)
{
    if (!await_end(t, p))
        return false;
    if (stdout_has_line(p, line))
        return true;
    return fail_with_transcript(t, p, "`%s` should print the line \"%.200s%s\" on stdout",
                                p->command, line, strlen(line) > 200 ? "..." : "");
}

bool expect_stdout_empty(struct test_ctx *t, struct proc *p)
{
    if (!await_end(t, p))
        return false;
    if (p->out.total == 0)
        return true;
    return fail_with_transcript(t, p, "`%s` should print nothing on stdout", p->command);
}

/* Lines of stderr that are not empty; the first one into FIRST. */
static size_t stderr_lines(const struct proc *p, char *first, size_t size)
{
    char buf[8192];
    size_t n = 0;

    first[0] = '\0';
    for (size_t i = 0; capture_line(&p->err, i, buf, sizeof(buf)); i++) {
        if (buf[0] == '\0')
            continue;
        if (n++ == 0)
            snprintf(first, size, "%s", buf);
    }
    return n;
}

bool expect_one_stderr_line(struct test_ctx *t, struct proc *p)
{
    char first[8192];
    size_t n;

    if (!await_end(t, p))
        return false;
    n = stderr_lines(p, first, sizeof(first));
    if (n == 1)
        return true;
    return fail_with_transcript(t, p,
                                "`%s` should print one line on stderr saying what is wrong, "
                                "but it printed %zu",
                                p->command, n);
}

bool expect_error_line(struct test_ctx *t, struct proc *p, const char *call, int errnum)
{
    char first[8192];
    const char *reason = strerror(errnum);

    if (!expect_one_stderr_line(t, p))
        return false;
    stderr_lines(p, first, sizeof(first));
    if ((call == NULL || strstr(first, call) != NULL) && strstr(first, reason) != NULL)
        return true;
    return fail_with_transcript(t, p,
                                "`%s` should report the failure on stderr naming the call%s%s%s "
                                "and its error \"%s\" (strerror), but it printed: %.300s",
                                p->command, call ? " (" : "", call ? call : "", call ? ")" : "",
                                reason, first);
}

bool expect_line_soon(struct test_ctx *t, struct proc *p, const char *pattern, int timeout_ms,
                      char *match, size_t size)
{
    bool cut;
    const char *line;

    set_step(t, "waiting for `%s` to print a line matching /%s/", p->command, pattern);
    line = proc_expect_line(p, pattern, step_budget(t, timeout_ms, &cut));
    if (line == NULL && cut && p->state == PROC_RUNNING)
        out_of_time(t, p);
    t->rec->step[0] = '\0';
    timeout_ms = scaled_timeout_ms(timeout_ms);
    if (line != NULL) {
        if (match != NULL)
            snprintf(match, size, "%s", line);
        return true;
    }
    if (p->state == PROC_RUNNING)
        return fail_with_transcript(t, p,
                                    "`%s` should print a line matching /%s/ within %.1f s, "
                                    "but it did not (it is still running)",
                                    p->command, pattern, timeout_ms / 1000.0);
    return fail_with_transcript(t, p, "`%s` should print a line matching /%s/, but it %s first",
                                p->command, pattern, proc_describe_end(p));
}

/* --- valgrind ------------------------------------------------------------- */

/* Does LINE of a valgrind log start an error report? */
static bool starts_valgrind_error(const char *line)
{
    static const char *const starts[] = {
        "Invalid read",     "Invalid write",        "Invalid free",  "Mismatched free",
        "Conditional jump", "Use of uninitialised", "Syscall param", "Source and destination",
        "Argument 'size'",  "Process terminating",  "bytes in",      "Invalid memory pool",
    };
    for (size_t i = 0; i < ARRAY_LEN(starts); i++)
        if (strstr(line, starts[i]) == line)
            return strcmp(starts[i], "bytes in") != 0 || strstr(line, "lost in loss record");
    /* Leak records start with a byte count: "16 bytes in 1 blocks are ..." */
    return false;
}

/* The first frame of the student's code in a stack line ("main
 * (writer.c:42)"), or NULL. */
static const char *source_frame(const char *line)
{
    const char *colon = strstr(line, ": ");
    if ((strstr(line, "at 0x") == NULL && strstr(line, "by 0x") == NULL) || colon == NULL)
        return NULL;
    if (strstr(line, ".c:") == NULL)
        return NULL;
    return colon + 2;
}

struct valgrind_report {
    int errors;       /* -1: no summary (the process did not finish) */
    char first[1024]; /* the first error, with its first source line */
    char fault[512];  /* for a crash: where it happened */
    char block[2048]; /* the first error's lines, for the output */
};

static bool read_valgrind_log(const char *path, struct valgrind_report *r)
{
    FILE *f = fopen(path, "re");
    char raw[1024];
    bool in_first = false, in_fault = false;

    memset(r, 0, sizeof(*r));
    r->errors = -1;
    if (f == NULL)
        return false;
    while (fgets(raw, sizeof(raw), f) != NULL) {
        char *line = raw;
        const char *frame;
        raw[strcspn(raw, "\n")] = '\0';
        if (strncmp(line, "==", 2) == 0 && strstr(line + 2, "==") != NULL) /* "==123== " */
            line = strstr(line + 2, "==") + 2;
        while (*line == ' ')
            line++;
        if (sscanf(line, "ERROR SUMMARY: %d errors", &r->errors) == 1)
            continue;
        if (r->first[0] == '\0' && starts_valgrind_error(line) &&
            strstr(line, "Process terminating") != line) {
            snprintf(r->first, sizeof(r->first), "%s", line);
            in_first = true;
        } else if (strstr(line, "Process terminating") == line) {
            in_fault = true;
        } else if (line[0] == '\0') {
            in_first = false;
        }
        if (in_first) {
            size_t len = strlen(r->block);
            snprintf(r->block + len, sizeof(r->block) - len, "    | %s\n", line);
        }
        frame = source_frame(line);
        if (frame != NULL && in_first && strstr(r->first, " at ") == NULL) {
            size_t len = strlen(r->first);
            snprintf(r->first + len, sizeof(r->first) - len, ", at %s", frame);
        }
        if (frame != NULL && in_fault && r->fault[0] == '\0') {
            snprintf(r->fault, sizeof(r->fault), "%s", frame);
            in_fault = false;
        }
    }
    fclose(f);
    return true;
}

/* Under --valgrind, memory errors and leaks in a program that ended on
 * its own fail the test. */
static void check_valgrind_logs(struct test_ctx *t)
{
    for (size_t i = 0; i < t->n_procs; i++) {
        struct proc *p = t->procs[i];
        struct valgrind_report r;
        if (t->valgrind_logs[i] == NULL || p->state == PROC_RUNNING || p->timed_out ||
            p->output_limited || !read_valgrind_log(t->valgrind_logs[i], &r) || r.errors <= 0)
            continue;
        check(t, false, "valgrind found %d error%s in `%s`: %s", r.errors, r.errors == 1 ? "" : "s",
              p->command, r.first[0] ? r.first : "(see its log)");
        if (r.block[0] != '\0')
            record_append(t->rec, "  valgrind's first report:\n%s", r.block);
    }
}

static void show_fault_line(struct test_ctx *t, const struct proc *p)
{
    struct valgrind_report r;

    if (p->state != PROC_SIGNALED)
        return;
    for (size_t i = 0; i < t->n_procs; i++) {
        if (t->procs[i] != p || t->valgrind_logs[i] == NULL)
            continue;
        if (read_valgrind_log(t->valgrind_logs[i], &r) && r.fault[0] != '\0')
            record_append(t->rec, "    the fault is in %s (valgrind)\n", r.fault);
    }
}

/* --- what a test leaves behind ---------------------------------------------- */

/*
 * Processes still alive once every program's process group is killed
 * escaped on purpose (setsid, double fork): a daemon the test never asked
 * for. They fail the test, and die with everything else.
 */
static void check_no_strays(struct test_ctx *t)
{
    struct task_info *tasks;
    int n = list_descendants(&tasks), strays = 0;
    char names[256] = "";

    /* Only programs of a user of their own can be told from the test's
     * own helpers. */
    if (sandbox_uid() == getuid()) {
        free(tasks);
        return;
    }
    for (int i = 0; i < n; i++) {
        bool in_group = false;
        if (tasks[i].zombie || tasks[i].uid != sandbox_uid())
            continue;
        for (size_t j = 0; j < t->n_procs && !in_group; j++)
            in_group = tasks[i].pgid == t->procs[j]->pid;
        if (in_group)
            continue;
        if (strays++ < 5) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "", tasks[i].name);
        }
    }
    free(tasks);
    check(t, strays == 0,
          "%d process%s (%s) kept running in the background after the test, outside the "
          "process group of the program that started %s (a daemon?); the grader killed %s",
          strays, strays == 1 ? "" : "es", names, strays == 1 ? "it" : "them",
          strays == 1 ? "it" : "them");
}

static bool handed_out(const struct test_record *rec, const struct ipc_object *obj)
{
    for (int i = 0; i < rec->n_names; i++)
        if (obj->kind == IPC_KIND_POSIX_SHM && strcmp(obj->name, rec->names[i]) == 0)
            return true;
    for (int i = 0; i < rec->n_keys; i++)
        if (obj->kind != IPC_KIND_POSIX_SHM && obj->key == rec->keys[i])
            return true;
    return false;
}

/* Name the IPC objects the programs left (beyond the names and keys the
 * test handed out, which it may mean to leave), then remove them. */
static void list_leftovers(struct test_ctx *t)
{
    struct ipc_snapshot left;
    size_t listed = 0, extra = 0;

    if (sandbox_ipc_objects(&left) < 0)
        return;
    for (size_t i = 0; i < left.n; i++) {
        char text[512];
        if (handed_out(t->rec, &left.objects[i]))
            continue;
        if (listed++ == 0)
            record_append(t->rec, "  left behind, and removed by the grader:\n");
        if (listed <= MAX_LISTED_LEFTOVERS) {
            ipc_object_describe(&left.objects[i], text, sizeof(text));
            record_append(t->rec, "    %s\n", text);
        } else {
            extra++;
        }
        ipc_object_remove(&left.objects[i]);
    }
    if (extra > 0)
        record_append(t->rec, "    ... and %zu more\n", extra);
    ipc_snapshot_free(&left);
}

bool expect_nothing_left(struct test_ctx *t)
{
    struct ipc_snapshot left;
    char text[512];

    if (sandbox_ipc_objects(&left) < 0)
        return check(t, false, "internal: cannot list IPC objects: %s", strerror(errno));
    if (left.n == 0) {
        ipc_snapshot_free(&left);
        return true;
    }
    ipc_object_describe(&left.objects[0], text, sizeof(text));
    check(t, false, "the programs left %zu IPC object%s behind, such as: %s", left.n,
          left.n == 1 ? "" : "s", text);
    for (size_t i = 1; i < left.n && i < MAX_LISTED_LEFTOVERS; i++) {
        ipc_object_describe(&left.objects[i], text, sizeof(text));
        record_append(t->rec, "    also: %s\n", text);
    }
    ipc_snapshot_free(&left);
    return false;
}

/* --- running a test ------------------------------------------------------- */

static _Noreturn void test_process(const struct lab_test *test, const char *build_dir,
                                   struct test_record *rec, int timeout_ms)
{
    struct test_ctx t = {.test = test, .build_dir = build_dir, .rec = rec};
    char why[512];

    /* Orphans of the student's programs become ours, so we can end them;
     * and if the grader dies, so do we. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    unique_id = (long)getpid();
    if (!sandbox_enter_test(build_dir, why, sizeof(why))) {
        check(&t, false, "internal: cannot isolate the test: %s", why);
        rec->finished = true;
        _exit(0);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sandbox_ipc_mark();
    /* Steps end a little before the test's own limit, so a test that
     * runs out of time can still say where it was. */
    t.deadline = now_ms() + timeout_ms - (timeout_ms > 20000 ? 2000 : timeout_ms / 10);
    t.exec = (struct sandbox_exec){.limits = &RUN_LIMITS, .dir = build_dir};
    test->run(&t);
    test_end(&t);
}

/* Wait for PID up to TIMEOUT_MS; true if it ended (and was reaped). */
static bool wait_with_timeout(pid_t pid, int timeout_ms, int *status)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    long long deadline = now_ms() + timeout_ms;
    pid_t r;

    for (;;) {
        do
            r = waitpid(pid, status, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == pid || r < 0)
            break;
        long long left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd fd = {.fd = pidfd, .events = POLLIN};
        if (pidfd < 0 || poll(&fd, 1, left > 60000 ? 60000 : (int)left) < 0) {
            if (errno != EINTR)
                break;
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return r == pid;
}

void run_test(const struct lab_test *test, const char *build_dir, struct test_verdict *result)
{
    int timeout_ms =
        scaled_timeout_ms(test->timeout_ms > 0 ? test->timeout_ms : DEFAULT_TEST_TIMEOUT_MS);
    struct test_record *rec =
        mmap(NULL, sizeof(*rec), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    long long start = now_ms();
    int status = 0;
    bool ended;
    pid_t pid;

    verdict_init(result, test);
    if (rec == MAP_FAILED) {
        perror("mmap");
        exit(3);
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(3);
    }
    if (pid == 0)
        test_process(test, build_dir, rec, timeout_ms);

    ended = wait_with_timeout(pid, timeout_ms, &status);
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    kill_all_descendants();
    if (!sandbox_uses_namespaces()) {
        /* Without namespaces, what the programs left is on the system. */
        clean_up_test(rec);
        sandbox_clean_up();
    }

    if (!ended) {
        result->status = STATUS_TIMED_OUT;
        if (rec->step[0] != '\0')
            snprintf(rec->message, sizeof(rec->message),
                     "the test did not finish within %.0f s (it was stuck %s); everything it "
                     "started was killed",
                     timeout_ms / 1000.0, rec->step);
        else
            snprintf(rec->message, sizeof(rec->message),
                     "the test did not finish within %.0f s; everything it started was killed",
                     timeout_ms / 1000.0);
    } else if (!rec->finished) {
        result->status = STATUS_FAILED;
        snprintf(rec->message, sizeof(rec->message),
                 "the test's own process was %s before the test finished (did a program kill "
                 "its parent or process group?)",
                 WIFSIGNALED(status) ? "killed" : "ended");
    } else {
        result->status = rec->out_of_time     ? STATUS_TIMED_OUT
                         : rec->failures == 0 ? STATUS_PASSED
                                              : STATUS_FAILED;
    }
    if (result->status != STATUS_PASSED && rec->failures == 0)
        record_append(rec, "FAILED: %s\n", rec->message);
    result->score = result->status == STATUS_PASSED ? test->points : 0;
    result->message = report_text_copy(result->status == STATUS_PASSED ? "" : rec->message);
    result->output = report_text_copy(rec->output);
    result->seconds = (double)(now_ms() - start) / 1000.0;
    munmap(rec, sizeof(*rec));
}
