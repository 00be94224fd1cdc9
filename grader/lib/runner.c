/* runner.c - see runner.h; also the test side of harness.h. */
#define _GNU_SOURCE
#include "runner.h"

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

#define MAX_PROCS 64
#define MAX_NAMES 64

/*
 * What a test process reports to the grader. It lives in a shared
 * anonymous mapping made before fork(), so whatever the test recorded
 * survives even if the test process is killed halfway.
 */
struct test_record {
    bool finished;
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
    size_t n_procs;
    unsigned seq;
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

_Noreturn void test_end(struct test_ctx *t)
{
    for (size_t i = 0; i < t->n_procs; i++)
        proc_free(t->procs[i]);
    t->n_procs = 0;
    kill_all_descendants();
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
    snprintf(name, sizeof(rec->names[0]), "/shmlab-%d-%u", (int)getpid(), ++t->seq);
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
        unsigned n = ((unsigned)getpid() * 64u + ++t->seq) & 0x00ffffffu;
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

struct proc *spawn(struct test_ctx *t, const char *const argv[], const struct proc_opts *opts)
{
    const char *args[64];
    struct proc_opts full = {0};
    struct proc *p;
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
    full.before_exec = apply_student_limits;
    full.before_exec_arg = (void *)&RUN_LIMITS;
    p = proc_spawn(args, &full);
    require(t, p != NULL, "internal: cannot start %s: %s", argv[0], strerror(errno));
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

/* Show what P was run as and what it did, once per process. */
static void show_transcript(struct test_ctx *t, struct proc *p)
{
    if (p->transcript_shown)
        return;
    p->transcript_shown = true;
    record_append(t->rec, "  $ %s\n", p->command);
    if (p->timed_out)
        record_append(t->rec, "    did not end within %.1f s and was killed\n",
                      DEFAULT_STEP_TIMEOUT_MS / 1000.0);
    else
        record_append(t->rec, "    %s\n", proc_describe_end(p));
    show_stream(t, "stdout", &p->out);
    show_stream(t, "stderr", &p->err);
}

/* Wait for P to end within the step timeout; a hang is a failure. */
static bool await_end(struct test_ctx *t, struct proc *p)
{
    if (p->timed_out)
        return false;
    if (proc_wait(p, DEFAULT_STEP_TIMEOUT_MS))
        return true;
    p->timed_out = true;
    proc_kill(p, SIGKILL);
    check(t, false,
          "`%s` did not end within %.1f s (it hangs, or waits for something "
          "that never comes)",
          p->command, DEFAULT_STEP_TIMEOUT_MS / 1000.0);
    show_transcript(t, p);
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
    const char *line = proc_expect_line(p, pattern, timeout_ms);

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

/* --- running a test ------------------------------------------------------- */

static _Noreturn void test_process(const struct lab_test *test, const char *build_dir,
                                   struct test_record *rec)
{
    struct test_ctx t = {.test = test, .build_dir = build_dir, .rec = rec};

    /* Orphans of the student's programs become ours, so we can end them;
     * and if the grader dies, so do we. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
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
    int timeout_ms = test->timeout_ms > 0 ? test->timeout_ms : DEFAULT_TEST_TIMEOUT_MS;
    struct test_record *rec =
        mmap(NULL, sizeof(*rec), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    long long start = now_ms();
    int status = 0;
    bool ended;
    pid_t pid;

    memset(result, 0, sizeof(*result));
    result->test = test;
    result->max_score = test->points;
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
        test_process(test, build_dir, rec);

    ended = wait_with_timeout(pid, timeout_ms, &status);
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    kill_all_descendants();
    clean_up_test(rec);

    if (!ended) {
        result->status = STATUS_TIMED_OUT;
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
        result->status = rec->failures == 0 ? STATUS_PASSED : STATUS_FAILED;
    }
    if (result->status != STATUS_PASSED && rec->failures == 0)
        record_append(rec, "FAILED: %s\n", rec->message);
    result->score = result->status == STATUS_PASSED ? test->points : 0;
    result->message = report_text_copy(result->status == STATUS_PASSED ? "" : rec->message);
    result->output = report_text_copy(rec->output);
    result->seconds = (double)(now_ms() - start) / 1000.0;
    munmap(rec, sizeof(*rec));
}
