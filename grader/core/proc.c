/* proc.c - see proc.h. */
#define _GNU_SOURCE
#include "core/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <poll.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/text.h"

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- capture ------------------------------------------------------------- */

static void capture_init(struct capture *c)
{
    memset(c, 0, sizeof(*c));
    c->head = malloc(CAPTURE_HEAD_CAP + 1);
    c->tail = malloc(CAPTURE_TAIL_CAP);
    if (c->head == NULL || c->tail == NULL) {
        perror("malloc");
        abort();
    }
    c->head[0] = '\0';
}

static void capture_free(struct capture *c)
{
    free(c->head);
    free(c->tail);
}

static void capture_append(struct capture *c, const char *data, size_t n)
{
    size_t room = CAPTURE_HEAD_CAP - c->head_len;
    size_t to_head = n < room ? n : room;

    memcpy(c->head + c->head_len, data, to_head);
    c->head_len += to_head;
    c->head[c->head_len] = '\0';
    c->total += n;
    for (size_t i = to_head; i < n; i++) {
        size_t end = (c->tail_start + c->tail_len) % CAPTURE_TAIL_CAP;
        c->tail[end] = data[i];
        if (c->tail_len < CAPTURE_TAIL_CAP)
            c->tail_len++;
        else
            c->tail_start = (c->tail_start + 1) % CAPTURE_TAIL_CAP;
    }
}

char *capture_text(const struct capture *c)
{
    size_t cut = c->total - c->head_len - c->tail_len;
    size_t size = c->head_len + c->tail_len + 64;
    char *text = malloc(size);
    size_t len;

    if (text == NULL)
        return NULL;
    memcpy(text, c->head, c->head_len);
    len = c->head_len;
    if (cut > 0)
        len += snprintf(text + len, size - len, "\n[... %zu bytes cut ...]\n", cut);
    for (size_t i = 0; i < c->tail_len; i++)
        text[len++] = c->tail[(c->tail_start + i) % CAPTURE_TAIL_CAP];
    text[len] = '\0';
    return text;
}

char *capture_last_bytes(const struct capture *c, size_t *len)
{
    /* The end of the head joins the tail when nothing was dropped between. */
    size_t from_head = c->total - c->head_len == c->tail_len ? c->head_len : 0;
    char *text;

    if (from_head > CAPTURE_TAIL_CAP - c->tail_len)
        from_head = CAPTURE_TAIL_CAP - c->tail_len;
    text = malloc(from_head + c->tail_len + 1);
    if (text == NULL) {
        fputs("shmgrade: out of memory\n", stderr);
        exit(3);
    }
    memcpy(text, c->head + c->head_len - from_head, from_head);
    for (size_t i = 0; i < c->tail_len; i++)
        text[from_head + i] = c->tail[(c->tail_start + i) % CAPTURE_TAIL_CAP];
    *len = from_head + c->tail_len;
    text[*len] = '\0';
    return text;
}

bool capture_line_span(const struct capture *c, size_t n, size_t *start, size_t *len)
{
    size_t pos = 0;

    for (size_t line = 0; pos < c->head_len; line++) {
        const char *nl = memchr(c->head + pos, '\n', c->head_len - pos);
        size_t end = nl ? (size_t)(nl - c->head) : c->head_len;
        if (line == n) {
            *start = pos;
            *len = end - pos;
            return true;
        }
        pos = end + 1;
    }
    return false;
}

size_t capture_line_count(const struct capture *c)
{
    size_t start, len, n = 0;
    while (capture_line_span(c, n, &start, &len))
        n++;
    return n;
}

bool capture_line(const struct capture *c, size_t n, char *buf, size_t size)
{
    size_t start, len;

    if (!capture_line_span(c, n, &start, &len))
        return false;
    if (len >= size)
        len = size - 1;
    memcpy(buf, c->head + start, len);
    buf[len] = '\0';
    return true;
}

/* --- spawning ------------------------------------------------------------ */

/* Every process spawned and not yet freed: each wait drains them all. */
static struct proc *live;

static void live_add(struct proc *p)
{
    p->next_live = live;
    live = p;
}

static void live_remove(struct proc *p)
{
    for (struct proc **at = &live; *at != NULL; at = &(*at)->next_live) {
        if (*at == p) {
            *at = p->next_live;
            return;
        }
    }
}

/* ARG as a shell would need it, cut to a readable length. */
static void append_arg(struct strbuf *s, const char *arg)
{
    size_t arg_len = strlen(arg);
    bool quote = arg[0] == '\0' || strpbrk(arg, " \t'\"") != NULL;
    int shown = arg_len > 60 ? 40 : (int)arg_len;

    strbuf_printf(s, "%s%.*s%s%s", quote ? "'" : "", shown, arg, shown < (int)arg_len ? "..." : "",
                  quote ? "'" : "");
    if (shown < (int)arg_len)
        strbuf_printf(s, "(%zu bytes)", arg_len);
}

static char *join_argv(const char *const argv[])
{
    struct strbuf s = {0};

    for (size_t i = 0; argv[i] != NULL; i++) {
        const char *arg = argv[i];
        /* Show the program by its name, not the staged path. */
        if (i == 0 && strrchr(arg, '/') != NULL)
            arg = strrchr(arg, '/') + 1;
        if (i > 0)
            strbuf_add(&s, " ", 1);
        append_arg(&s, arg);
    }
    return strbuf_take(&s);
}

/* The whole environment of a student process: nothing of the grader's. */
static char **child_environment(const char *const *extra)
{
    static const char *const base[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8",
                                       "HOME=/tmp"};
    const size_t n_base = sizeof(base) / sizeof(base[0]);
    size_t n_extra = 0, n = 0;
    char **env;

    while (extra != NULL && extra[n_extra] != NULL)
        n_extra++;
    env = calloc(n_base + n_extra + 1, sizeof(*env));
    if (env == NULL)
        return NULL;
    for (size_t i = 0; i < n_base; i++)
        env[n++] = (char *)base[i];
    for (size_t i = 0; i < n_extra; i++)
        env[n++] = (char *)extra[i];
    return env;
}

/* What the child tells the parent through the exec pipe when it cannot
 * run the program: a kind byte, then the reason. */
#define EXEC_CONFINE_FAILED 'C'
#define EXEC_FAILED         'E'

static _Noreturn void report_to_parent(int exec_fd, char kind, const char *why)
{
    char message[1024];
    int n = snprintf(message, sizeof(message), "%c%s", kind, why);
    if (n > 0 && write(exec_fd, message,
                       (size_t)n < sizeof(message) ? (size_t)n : sizeof(message) - 1) < 0) {
        /* The parent learns of the failure from the exit status alone. */
    }
    _exit(127);
}

/*
 * The child's path from fork to the program: a session of its own (no
 * controlling terminal to reach the grader's), the three pipes, no other
 * descriptor, default signal handling, then the caller's confinement.
 * Every step is checked; a failure is reported through EXEC_FD (closed on
 * exec, so the parent reads end of file when the program runs).
 */
static _Noreturn void exec_child(const char *const argv[], const struct proc_opts *opts, int in_fd,
                                 int out_fd, int err_fd, int tool_fd, int exec_fd)
{
    char **env = child_environment(opts ? opts->env : NULL);
    char why[512];
    sigset_t none;

    if (env == NULL)
        report_to_parent(exec_fd, EXEC_CONFINE_FAILED, "out of memory");
    if (setsid() < 0)
        report_to_parent(exec_fd, EXEC_CONFINE_FAILED, "setsid failed");
    if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(err_fd, STDERR_FILENO) < 0)
        report_to_parent(exec_fd, EXEC_CONFINE_FAILED, "dup2 of the standard streams failed");
    /* The tool's pipe at TOOL_FD, kept across exec (dup2 onto itself
     * would keep close-on-exec). */
    if (tool_fd >= 0 &&
        (tool_fd == TOOL_FD ? fcntl(TOOL_FD, F_SETFD, 0) : dup2(tool_fd, TOOL_FD)) < 0)
        report_to_parent(exec_fd, EXEC_CONFINE_FAILED, "dup2 of the tool's pipe failed");
    /* Whatever else the grader holds open (a terminal, a report file)
     * must not reach the program. */
    if (syscall(SYS_close_range, tool_fd >= 0 ? TOOL_FD + 1 : 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        report_to_parent(exec_fd, EXEC_CONFINE_FAILED, "close_range failed");
    /* The grader ignores SIGPIPE and may block signals: a student program
     * starts with the defaults it would get from a shell. */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL); /* fails only for numbers that are no signal */
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        report_to_parent(exec_fd, EXEC_CONFINE_FAILED, "sigprocmask failed");
    umask(022);
    if (opts != NULL && opts->cwd != NULL && chdir(opts->cwd) < 0) {
        snprintf(why, sizeof(why), "chdir %s: %s", opts->cwd, strerror(errno));
        report_to_parent(exec_fd, EXEC_CONFINE_FAILED, why);
    }
    if (opts != NULL && opts->before_exec != NULL &&
        opts->before_exec(opts->before_exec_arg, why, sizeof(why)) < 0)
        report_to_parent(exec_fd, EXEC_CONFINE_FAILED, why);
    execve(argv[0], (char *const *)argv, env);
    snprintf(why, sizeof(why), "%s", strerror(errno));
    dprintf(STDERR_FILENO, "shmgrade: cannot run %s: %s\n", argv[0], why);
    report_to_parent(exec_fd, EXEC_FAILED, why);
}

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* WRAPPER followed by ARGV, in one NULL-terminated array. */
static const char **wrapped_argv(const char *const *wrapper, const char *const argv[])
{
    size_t n_wrapper = 0, n = 0, k = 0;
    const char **all;

    while (wrapper != NULL && wrapper[n_wrapper] != NULL)
        n_wrapper++;
    while (argv[n] != NULL)
        n++;
    all = calloc(n_wrapper + n + 1, sizeof(*all));
    if (all == NULL)
        return NULL;
    for (size_t i = 0; i < n_wrapper; i++)
        all[k++] = wrapper[i];
    for (size_t i = 0; i < n; i++)
        all[k++] = argv[i];
    return all;
}

static bool reap(struct proc *p, bool block);

/* Wait for the child to exec or fail: what it wrote to the exec pipe. */
static void await_exec(struct proc *p, int exec_fd)
{
    char message[1024];
    size_t len = 0;
    ssize_t n;

    while (len < sizeof(message) - 1 &&
           ((n = read(exec_fd, message + len, sizeof(message) - 1 - len)) > 0 ||
            (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    message[len] = '\0';
    if (len > 0 && message[0] == EXEC_CONFINE_FAILED) {
        p->confine_error = xstrdup(message + 1);
        reap(p, true);
    }
}

struct proc *proc_spawn(const char *const argv[], const struct proc_opts *opts)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, exec[2] = {-1, -1};
    int tool[2] = {-1, -1};
    struct proc *p = calloc(1, sizeof(*p));
    const char **all = wrapped_argv(opts ? opts->wrapper : NULL, argv);

    if (p == NULL || all == NULL) {
        free(p);
        free(all);
        errno = ENOMEM;
        return NULL;
    }
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
        pipe2(exec, O_CLOEXEC) < 0 || (opts && opts->tool_output && pipe2(tool, O_CLOEXEC) < 0))
        goto fail;
    fflush(NULL); /* or buffered output would be written twice */
    p->pid = fork();
    if (p->pid < 0)
        goto fail;
    if (p->pid == 0)
        exec_child(all, opts, in[0], out[1], err[1], tool[1], exec[1]);
    free(all);
    all = NULL;
    p->output_limit = opts ? opts->output_limit : 0;
    close(in[0]);
    close(out[1]);
    close(err[1]);
    close(exec[1]);
    close_fd(&tool[1]);
    p->stdin_fd = in[1];
    p->stdout_fd = out[0];
    p->stderr_fd = err[0];
    p->tool_fd = tool[0];
    set_nonblocking(p->stdout_fd);
    set_nonblocking(p->stderr_fd);
    if (p->tool_fd >= 0)
        set_nonblocking(p->tool_fd);
    p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    p->state = PROC_RUNNING;
    p->command = join_argv(argv);
    capture_init(&p->out);
    capture_init(&p->err);
    capture_init(&p->tool);
    live_add(p);
    /* From here on the child is in its own session: killing the group
     * reaches everything it starts. */
    await_exec(p, exec[0]);
    close(exec[0]);
    if (opts != NULL && opts->stdin_text != NULL && p->confine_error == NULL) {
        if (!proc_write_line(p, opts->stdin_text) && errno != EPIPE)
            perror("shmgrade: write to a program's stdin");
    }
    if (opts == NULL || !opts->keep_stdin_open)
        proc_close_stdin(p);
    return p;
fail : {
    int saved = errno;
    for (int i = 0; i < 2; i++) {
        close_fd(&in[i]);
        close_fd(&out[i]);
        close_fd(&err[i]);
        close_fd(&exec[i]);
        close_fd(&tool[i]);
    }
    free(p);
    free(all);
    errno = saved;
    return NULL;
}
}

bool proc_write_line(struct proc *p, const char *line)
{
    size_t len = strlen(line);
    const char *parts[2] = {line, "\n"};
    size_t lens[2] = {len, 1};

    if (p->stdin_fd < 0) {
        errno = EPIPE;
        return false;
    }
    /* Text that already ends in a newline is sent as it is. */
    if (len > 0 && line[len - 1] == '\n')
        lens[1] = 0;
    for (int i = 0; i < 2; i++) {
        size_t done = 0;
        while (done < lens[i]) {
            ssize_t n = write(p->stdin_fd, parts[i] + done, lens[i] - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return false;
            done += (size_t)n;
        }
    }
    return true;
}

void proc_close_stdin(struct proc *p)
{
    close_fd(&p->stdin_fd);
}

/* --- waiting ------------------------------------------------------------- */

/* Bytes one pump reads from a stream at most: a program that prints
 * without pause must not keep its reader from its deadlines. */
#define PUMP_BUDGET (1024 * 1024)

/* Read whatever FD has now (up to PUMP_BUDGET); close it at end of file.
 * False if the stream went past LIMIT. */
static bool pump_fd(int *fd, struct capture *c, size_t limit)
{
    char buf[65536];
    size_t budget = PUMP_BUDGET;

    while (*fd >= 0 && budget > 0) {
        ssize_t n = read(*fd, buf, sizeof(buf));
        if (n > 0) {
            capture_append(c, buf, (size_t)n);
            budget -= (size_t)n < budget ? (size_t)n : budget;
            if (limit > 0 && c->total > limit) {
                close_fd(fd);
                return false;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            close_fd(fd);
        break;
    }
    return true;
}

static void pump(struct proc *p)
{
    bool within = p->following || pump_fd(&p->stdout_fd, &p->out, p->output_limit);
    within = pump_fd(&p->stderr_fd, &p->err, p->output_limit) && within;
    within = pump_fd(&p->tool_fd, &p->tool, p->output_limit) && within;
    if (!within && !p->output_limited && p->state == PROC_RUNNING) {
        /* Kept: the head and the tail. The rest would only cost time. */
        p->output_limited = true;
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
    }
}

void proc_drain(struct proc *p)
{
    size_t before;

    do {
        before = p->out.total + p->err.total + p->tool.total;
        pump(p);
    } while (p->out.total + p->err.total + p->tool.total != before);
}

static void record_status(struct proc *p, int status)
{
    if (WIFEXITED(status)) {
        p->state = PROC_EXITED;
        p->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        p->state = PROC_SIGNALED;
        p->signal = WTERMSIG(status);
    }
}

static bool reap(struct proc *p, bool block)
{
    int status;
    pid_t r;

    if (p->state != PROC_RUNNING)
        return true;
    do
        r = waitpid(p->pid, &status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == p->pid) {
        record_status(p, status);
        close_fd(&p->pidfd);
        return true;
    }
    if (r < 0) { /* reaped elsewhere: treat as gone */
        p->state = PROC_EXITED;
        p->exit_code = 255;
        close_fd(&p->pidfd);
        return true;
    }
    return false;
}

/* Drain every live process's pipes and note which have ended. */
static void pump_all(void)
{
    for (struct proc *p = live; p != NULL; p = p->next_live) {
        pump(p);
        if (p->state == PROC_RUNNING && reap(p, false))
            pump(p); /* what it wrote before it ended is in the pipe */
    }
}

void proc_drain_all(void)
{
    pump_all();
}

/* Block until output from any live process, the end of one, the
 * deadline, or MAX_MS (-1: no such bound). */
static void wait_for_event(long long deadline, int max_ms)
{
    struct pollfd fds[4 * 64];
    nfds_t n = 0;
    long long left = deadline - now_ms();
    int timeout;

    if (left <= 0)
        return;
    for (struct proc *p = live; p != NULL && n + 4 <= sizeof(fds) / sizeof(fds[0]);
         p = p->next_live) {
        if (p->stdout_fd >= 0)
            fds[n++] = (struct pollfd){.fd = p->stdout_fd, .events = POLLIN};
        if (p->stderr_fd >= 0)
            fds[n++] = (struct pollfd){.fd = p->stderr_fd, .events = POLLIN};
        if (p->tool_fd >= 0)
            fds[n++] = (struct pollfd){.fd = p->tool_fd, .events = POLLIN};
        if (p->pidfd >= 0 && p->state == PROC_RUNNING)
            fds[n++] = (struct pollfd){.fd = p->pidfd, .events = POLLIN};
    }
    timeout = left > 60000 ? 60000 : (int)left;
    if (max_ms >= 0 && max_ms < timeout)
        timeout = max_ms;
    if (poll(fds, n, timeout) < 0 && errno != EINTR)
        perror("shmgrade: poll");
}

bool proc_wait(struct proc *p, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;

    for (;;) {
        pump_all();
        if (reap(p, false)) {
            pump(p);
            return true;
        }
        if (now_ms() >= deadline)
            return false;
        wait_for_event(deadline, -1);
    }
}

bool proc_wait_until(bool (*done)(void *arg), void *arg, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    int interval = 1;

    for (;;) {
        pump_all();
        if (done(arg))
            return true;
        if (now_ms() >= deadline)
            return false;
        wait_for_event(deadline, interval);
        /* States without events are looked at often at first, then less. */
        interval = interval < 8 ? interval * 2 : 10;
    }
}

/* Next stdout line after p->out.scanned, consumed, into *LINE; or false.
 * FINAL: the stream has ended, so a last line without newline counts. */
static bool next_line(struct proc *p, bool final, char **line, bool *newline)
{
    struct capture *c = &p->out;
    const char *start = c->head + c->scanned;
    size_t avail = c->head_len - c->scanned;
    const char *nl = memchr(start, '\n', avail);
    size_t len;

    if (nl == NULL && !(final && avail > 0))
        return false;
    len = nl ? (size_t)(nl - start) : avail;
    c->scanned += nl ? len + 1 : len;
    *line = malloc(len + 1);
    if (*line == NULL) {
        fputs("shmgrade: out of memory\n", stderr);
        exit(3);
    }
    memcpy(*line, start, len);
    (*line)[len] = '\0';
    if (newline != NULL)
        *newline = nl != NULL;
    return true;
}

char *proc_next_line(struct proc *p, int timeout_ms, bool *newline)
{
    long long deadline = now_ms() + timeout_ms;
    char *line;

    for (;;) {
        pump_all();
        /* Once it has ended and its pipe is drained, a last line without
         * a newline is a line. */
        bool final = p->state != PROC_RUNNING && p->stdout_fd < 0;
        if (next_line(p, final, &line, newline))
            return line;
        if (final || now_ms() >= deadline)
            return NULL;
        wait_for_event(deadline, -1);
    }
}

char *proc_await_line(struct proc *p, const char *pattern, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    regex_t re;
    char *line;

    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "shmgrade: bad pattern in a test: %s\n", pattern);
        exit(3);
    }
    for (;;) {
        long long left = deadline - now_ms();
        line = proc_next_line(p, left > 0 ? (int)left : 0, NULL);
        if (line == NULL || regexec(&re, line, 0, NULL, 0) == 0)
            break;
        free(line);
    }
    regfree(&re);
    return line;
}

/* --- following a long output ------------------------------------------- */

/* Hand each complete line in BUF[0..*LEN) to ON_LINE and keep the rest;
 * false if ON_LINE asked to stop. BUF has room for CAP bytes and a NUL; a
 * line longer than CAP is handed over cut. */
static bool deliver_lines(char *buf, size_t *len, size_t cap, bool final,
                          bool (*on_line)(const char *line, void *arg), void *arg, bool *any)
{
    size_t start = 0;
    bool go_on = true;

    for (;;) {
        char *nl = memchr(buf + start, '\n', *len - start);
        size_t end;
        if (nl != NULL)
            end = (size_t)(nl - buf);
        else if ((final && *len > start) || (start == 0 && *len == cap))
            end = *len;
        else
            break;
        buf[end] = '\0';
        *any = true;
        go_on = on_line(buf + start, arg);
        start = nl != NULL ? end + 1 : end;
        if (!go_on)
            break;
    }
    memmove(buf, buf + start, *len - start);
    *len -= start;
    return go_on;
}

/* Read what P's stdout holds now and deliver its lines. */
static enum follow_end follow_read(struct proc *p, char *buf, size_t *len, size_t cap,
                                   bool (*on_line)(const char *line, void *arg), void *arg,
                                   bool *any)
{
    for (;;) {
        ssize_t n = p->stdout_fd >= 0 ? read(p->stdout_fd, buf + *len, cap - *len) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return FOLLOW_STALLED; /* nothing more now */
        if (n <= 0) {              /* the end of its output: the last line may lack \n */
            close_fd(&p->stdout_fd);
            return deliver_lines(buf, len, cap, true, on_line, arg, any) ? FOLLOW_EOF
                                                                         : FOLLOW_STOPPED;
        }
        /* Kept as any stream is (its head and tail), for the transcript. */
        capture_append(&p->out, buf + *len, (size_t)n);
        *len += (size_t)n;
        if (!deliver_lines(buf, len, cap, false, on_line, arg, any))
            return FOLLOW_STOPPED;
    }
}

/* Deliver the lines an earlier wait captured and nobody consumed yet (a
 * program's output is drained during every wait, followed or not). */
static enum follow_end follow_captured(struct proc *p, char *buf, size_t *len, size_t cap,
                                       bool (*on_line)(const char *line, void *arg), void *arg)
{
    struct capture *c = &p->out;
    bool any = false;

    while (c->scanned < c->head_len) {
        size_t n = c->head_len - c->scanned < cap - *len ? c->head_len - c->scanned : cap - *len;
        memcpy(buf + *len, c->head + c->scanned, n);
        c->scanned += n;
        *len += n;
        if (!deliver_lines(buf, len, cap, false, on_line, arg, &any))
            return FOLLOW_STOPPED;
    }
    return FOLLOW_STALLED; /* nothing more now */
}

enum follow_end proc_follow_stdout(struct proc *p, int stall_ms, int total_ms,
                                   bool (*on_line)(const char *line, void *arg), void *arg)
{
    char buf[8192 + 1];
    size_t len = 0;
    long long deadline = now_ms() + total_ms, last_line = now_ms();
    enum follow_end end;

    p->following = true;
    end = follow_captured(p, buf, &len, sizeof(buf) - 1, on_line, arg);
    while (end == FOLLOW_STALLED) {
        bool any = false;
        end = follow_read(p, buf, &len, sizeof(buf) - 1, on_line, arg, &any);
        if (end != FOLLOW_STALLED)
            break;
        if (any)
            last_line = now_ms();
        pump_all();
        long long now = now_ms(), wake = last_line + stall_ms;
        if (now >= deadline) {
            end = FOLLOW_TIMED_OUT;
            break;
        }
        if (now >= wake)
            break; /* FOLLOW_STALLED */
        wait_for_event(wake < deadline ? wake : deadline, -1);
    }
    p->following = false;
    /* A later wait for a line starts after the last line followed (the
     * LEN bytes read after it are still to come), if that is in the head. */
    p->out.scanned = p->out.total > p->out.head_len ? p->out.head_len : p->out.head_len - len;
    pump_all();
    return end;
}

/* --- asleep in a system call --------------------------------------------- */

/* The state letter of a task from its stat file ('S', 'R', ...), or 0. */
static char task_state(const char *stat_path)
{
    char buf[512];
    FILE *f = fopen(stat_path, "re");
    char *close_paren, state = 0;

    if (f == NULL)
        return 0;
    if (fgets(buf, sizeof(buf), f) != NULL && (close_paren = strrchr(buf, ')')) != NULL)
        sscanf(close_paren + 1, " %c", &state);
    fclose(f);
    return state;
}

/* Is the task whose /proc folder is DIR asleep in a system call that
 * only an outside event ends? *NUMBER gets the call's number. */
static bool task_is_blocked(const char *dir, long *number)
{
    char path[128], buf[256];
    long nr, arg0;
    FILE *f;
    char state;

    snprintf(path, sizeof(path), "%s/stat", dir);
    state = task_state(path);
    if (state != 'S' && state != 'D')
        return false;
    snprintf(path, sizeof(path), "%s/syscall", dir);
    f = fopen(path, "re");
    if (f == NULL) /* no such file on this kernel, or no access: the state must do */
        return true;
    bool read_ok = fgets(buf, sizeof(buf), f) != NULL;
    fclose(f);
    if (!read_ok || strncmp(buf, "running", 7) == 0)
        return false;
    if (sscanf(buf, "%ld 0x%lx", &nr, &arg0) < 1 || nr < 0)
        return false; /* asleep, but not in a system call (a page fault) */
    *number = nr;
    /* A write to its own stdout or stderr ends as soon as the grader
     * drains the pipe: that is not waiting for anything. */
    if ((nr == SYS_write || nr == SYS_writev) && (arg0 == 1 || arg0 == 2))
        return false;
    return true;
}

bool process_is_blocked(pid_t pid, long *syscall_number)
{
    char dir[64], task[96];
    DIR *tasks;
    struct dirent *entry;
    bool blocked = true, any = false;
    long main_number = -1;

    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    tasks = opendir(dir);
    if (tasks == NULL)
        return false;
    while (blocked && (entry = readdir(tasks)) != NULL) {
        long number = -1;
        if (entry->d_name[0] == '.')
            continue;
        snprintf(task, sizeof(task), "%s/%.20s", dir, entry->d_name);
        blocked = task_is_blocked(task, &number);
        any = true;
        if (atoi(entry->d_name) == (int)pid)
            main_number = number;
    }
    closedir(tasks);
    if (syscall_number != NULL)
        *syscall_number = main_number;
    return blocked && any;
}

/* Processor time of the task whose /proc folder is DIR, in ns: schedstat
 * where the kernel keeps it, else utime + stime from stat (clock ticks). */
static long long task_cpu_ns(const char *dir)
{
    char path[128], buf[512], *paren;
    unsigned long long ns, utime, stime;
    bool found;
    FILE *f;

    snprintf(path, sizeof(path), "%s/schedstat", dir);
    f = fopen(path, "re");
    if (f != NULL) {
        found = fscanf(f, "%llu", &ns) == 1;
        fclose(f);
        if (found)
            return (long long)ns;
    }
    snprintf(path, sizeof(path), "%s/stat", dir);
    f = fopen(path, "re");
    if (f == NULL)
        return 0;
    found = fgets(buf, sizeof(buf), f) != NULL && (paren = strrchr(buf, ')')) != NULL &&
            sscanf(paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                   &stime) == 2;
    fclose(f);
    return found ? (long long)(utime + stime) * (1000000000 / sysconf(_SC_CLK_TCK)) : 0;
}

/* How often the task whose /proc folder is DIR went to sleep. */
static long long task_sleeps(const char *dir)
{
    char path[128], line[256];
    long long sleeps = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/status", dir);
    f = fopen(path, "re");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "voluntary_ctxt_switches: %lld", &sleeps) == 1)
            break;
    fclose(f);
    return sleeps;
}

bool process_usage(pid_t pid, struct proc_usage *usage)
{
    char dir[64], task[96];
    DIR *tasks;
    struct dirent *entry;

    *usage = (struct proc_usage){0};
    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    tasks = opendir(dir);
    if (tasks == NULL)
        return false;
    while ((entry = readdir(tasks)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        snprintf(task, sizeof(task), "%s/%.20s", dir, entry->d_name);
        usage->cpu_ns += task_cpu_ns(task);
        usage->sleeps += task_sleeps(task);
    }
    closedir(tasks);
    return true;
}

unsigned long process_times_asleep(pid_t pid)
{
    char dir[64];

    snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
    return (unsigned long)task_sleeps(dir);
}

/* --- ending -------------------------------------------------------------- */

void proc_kill(struct proc *p, int sig)
{
    if (p->state != PROC_RUNNING)
        return;
    kill(-p->pid, sig);
    /* The leader gets SIG through its group; only a leader that left the
     * group (setpgid, setsid) needs it sent apart. Never twice: a second
     * copy would reach a handler installed with SA_RESETHAND (System V
     * signal()) as the default action, or not, depending on whether the
     * first was delivered yet. */
    if (getpgid(p->pid) != p->pid)
        kill(p->pid, sig);
    if (sig == SIGKILL) {
        reap(p, true);
        pump(p);
    }
}

void proc_free(struct proc *p)
{
    if (p == NULL)
        return;
    proc_kill(p, SIGKILL);
    live_remove(p);
    close_fd(&p->stdin_fd);
    close_fd(&p->stdout_fd);
    close_fd(&p->stderr_fd);
    close_fd(&p->tool_fd);
    close_fd(&p->pidfd);
    capture_free(&p->out);
    capture_free(&p->err);
    capture_free(&p->tool);
    free(p->command);
    free(p->confine_error);
    free(p);
}

struct short_text signal_name(int sig)
{
    struct short_text name;
    const char *abbrev = sigabbrev_np(sig);

    if (abbrev == NULL)
        snprintf(name.text, sizeof(name.text), "signal %d", sig);
    else
        snprintf(name.text, sizeof(name.text), "SIG%s", abbrev);
    return name;
}

struct short_text proc_describe_end(const struct proc *p)
{
    struct short_text end;

    if (p->output_limited) {
        snprintf(end.text, sizeof(end.text),
                 "was stopped after printing more than %zu MiB (the output is cut: its head and "
                 "tail are kept)",
                 p->output_limit / (1024 * 1024));
        return end;
    }
    switch (p->state) {
    case PROC_EXITED:
        snprintf(end.text, sizeof(end.text), "exited with status %d", p->exit_code);
        break;
    case PROC_SIGNALED:
        snprintf(end.text, sizeof(end.text), "was killed by %.32s (%.100s)",
                 signal_name(p->signal).text, strsignal(p->signal));
        break;
    default:
        snprintf(end.text, sizeof(end.text), "is still running");
    }
    return end;
}

/* --- the whole tree ------------------------------------------------------ */

struct task {
    pid_t pid, ppid, pgid;
    uid_t uid;
    bool zombie;
    char name[32];
};

/* Every process on the system with its parent; the count, or -1. */
static int list_tasks(struct task **out)
{
    DIR *dir = opendir("/proc");
    struct dirent *entry;
    struct task *tasks = NULL;
    int n = 0, cap = 0;

    if (dir == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL) {
        char path[64], buf[512];
        pid_t pid = (pid_t)atoi(entry->d_name);
        FILE *f;
        char *close_paren;
        if (pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        f = fopen(path, "re");
        if (f == NULL)
            continue;
        if (fgets(buf, sizeof(buf), f) == NULL) {
            fclose(f);
            continue;
        }
        fclose(f);
        /* The command name may hold spaces and parentheses: parse after
         * the last ')'. */
        close_paren = strrchr(buf, ')');
        if (close_paren == NULL)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            struct task *grown = realloc(tasks, (size_t)cap * sizeof(*tasks));
            if (grown == NULL)
                break;
            tasks = grown;
        }
        char state;
        int ppid, pgid;
        struct stat st;
        if (sscanf(close_paren + 1, " %c %d %d", &state, &ppid, &pgid) != 3)
            continue;
        snprintf(path, sizeof(path), "/proc/%d", pid);
        tasks[n] = (struct task){.pid = pid,
                                 .ppid = ppid,
                                 .pgid = pgid,
                                 .uid = stat(path, &st) == 0 ? st.st_uid : (uid_t)-1,
                                 .zombie = state == 'Z'};
        char *open_paren = strchr(buf, '(');
        if (open_paren != NULL && open_paren < close_paren)
            snprintf(tasks[n].name, sizeof(tasks[n].name), "%.*s",
                     (int)(close_paren - open_paren - 1), open_paren + 1);
        n++;
    }
    closedir(dir);
    *out = tasks;
    return n;
}

/* Mark descendants of ROOT; returns how many there are. */
static int mark_descendants(struct task *tasks, int n, pid_t root, bool *mine)
{
    int count = 0;
    bool grew = true;

    memset(mine, 0, (size_t)n * sizeof(*mine));
    while (grew) {
        grew = false;
        for (int i = 0; i < n; i++) {
            if (mine[i])
                continue;
            bool child = tasks[i].ppid == root;
            for (int j = 0; !child && j < n; j++)
                child = mine[j] && tasks[j].pid == tasks[i].ppid;
            if (child) {
                mine[i] = true;
                grew = true;
                count++;
            }
        }
    }
    return count;
}

int kill_all_descendants(void)
{
    pid_t self = getpid();
    int killed = 0;

    for (;;) {
        struct task *tasks = NULL;
        int n = list_tasks(&tasks);
        bool *mine;
        int count;

        if (n <= 0) {
            free(tasks);
            break;
        }
        mine = malloc((size_t)n * sizeof(*mine));
        if (mine == NULL) {
            free(tasks);
            break;
        }
        count = mark_descendants(tasks, n, self, mine);
        for (int i = 0; i < n; i++) {
            if (mine[i] && !tasks[i].zombie) {
                kill(tasks[i].pid, SIGKILL);
                killed++;
            }
        }
        free(mine);
        free(tasks);
        if (count == 0)
            break;
        /* Every remaining descendant will end up our child (we are a
         * subreaper), so a blocking wait makes progress without polling. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            sched_yield();
    }
    return killed;
}

int list_descendants(struct task_info **out)
{
    struct task *tasks = NULL;
    int n = list_tasks(&tasks), count = 0;
    bool *mine;

    *out = NULL;
    if (n < 0)
        return -1;
    mine = malloc((size_t)(n ? n : 1) * sizeof(*mine));
    *out = calloc((size_t)(n ? n : 1), sizeof(**out));
    if (mine == NULL || *out == NULL) {
        free(mine);
        free(tasks);
        free(*out);
        *out = NULL;
        return -1;
    }
    mark_descendants(tasks, n, getpid(), mine);
    for (int i = 0; i < n; i++) {
        if (!mine[i])
            continue;
        struct task_info *info = &(*out)[count++];
        info->pid = tasks[i].pid;
        info->ppid = tasks[i].ppid;
        info->pgid = tasks[i].pgid;
        info->uid = tasks[i].uid;
        info->zombie = tasks[i].zombie;
        snprintf(info->name, sizeof(info->name), "%s", tasks[i].name);
    }
    free(mine);
    free(tasks);
    return count;
}

bool process_find_mapping(pid_t pid, bool (*visit)(const struct mapping *m, void *ctx), void *ctx)
{
    char maps[64], line[4400];
    bool found = false;
    FILE *f;

    snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
    f = fopen(maps, "re");
    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        unsigned long long start, end, offset, inode;
        unsigned major_nr, minor_nr;
        int path_at = 0;

        if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu %n", &start, &end, &offset, &major_nr,
                   &minor_nr, &inode, &path_at) < 6)
            continue;
        line[strcspn(line, "\n")] = '\0';
        struct mapping m = {
            .start = (uintptr_t)start,
            .end = (uintptr_t)end,
            .offset = offset,
            .dev = makedev(major_nr, minor_nr),
            .ino = (ino_t)inode,
            .path = path_at > 0 ? line + path_at : "",
        };
        found = visit(&m, ctx);
    }
    fclose(f);
    return found;
}
