/* proc.c - see proc.h. */
#define _GNU_SOURCE
#include "core/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* Start and length of line N of the head, or false past the last line. */
static bool head_line_span(const struct capture *c, size_t n, size_t *start, size_t *len)
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
    while (head_line_span(c, n, &start, &len))
        n++;
    return n;
}

bool capture_line(const struct capture *c, size_t n, char *buf, size_t size)
{
    size_t start, len;

    if (!head_line_span(c, n, &start, &len))
        return false;
    if (len >= size)
        len = size - 1;
    memcpy(buf, c->head + start, len);
    buf[len] = '\0';
    return true;
}

char *capture_last_lines(const struct capture *c, size_t n)
{
    char *text = capture_text(c);
    size_t len, seen = 0;

    if (text == NULL)
        return NULL;
    len = strlen(text);
    while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    for (size_t i = len; i > 0; i--) {
        if (text[i - 1] == '\n' && ++seen == n) {
            memmove(text, text + i, len - i + 1);
            break;
        }
    }
    return text;
}

/* --- spawning ------------------------------------------------------------ */

/* ARG as a shell would need it, cut to a readable length. */
static void append_arg(char *s, size_t size, const char *arg)
{
    size_t len = strlen(s);
    size_t arg_len = strlen(arg);
    bool quote = arg[0] == '\0' || strpbrk(arg, " \t'\"") != NULL;
    int shown = arg_len > 60 ? 40 : (int)arg_len;

    snprintf(s + len, size - len, "%s%.*s%s%s", quote ? "'" : "", shown, arg,
             shown < (int)arg_len ? "..." : "", quote ? "'" : "");
    if (shown < (int)arg_len) {
        len = strlen(s);
        snprintf(s + len, size - len, "(%zu bytes)", arg_len);
    }
}

static char *join_argv(const char *const argv[])
{
    size_t size = 1;
    char *s;

    for (size_t i = 0; argv[i] != NULL; i++)
        size += 80;
    s = malloc(size);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; argv[i] != NULL; i++) {
        const char *arg = argv[i];
        /* Show the program by its name, not the staged path. */
        if (i == 0 && strrchr(arg, '/') != NULL)
            arg = strrchr(arg, '/') + 1;
        if (i > 0)
            strcat(s, " ");
        append_arg(s, size, arg);
    }
    return s;
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

static _Noreturn void exec_child(const char *const argv[], const struct proc_opts *opts, int in_fd,
                                 int out_fd, int err_fd)
{
    char **env = child_environment(opts ? opts->env : NULL);
    sigset_t none;

    setpgid(0, 0);
    if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(err_fd, STDERR_FILENO) < 0)
        _exit(127);
    /* The grader ignores SIGPIPE and may block signals: a student program
     * must start with the defaults it would get from a shell. */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    umask(022);
    if (opts != NULL && opts->cwd != NULL && chdir(opts->cwd) < 0) {
        dprintf(STDERR_FILENO, "shmgrade: chdir %s: %s\n", opts->cwd, strerror(errno));
        _exit(127);
    }
    if (opts != NULL && opts->before_exec != NULL)
        opts->before_exec(opts->before_exec_arg);
    execve(argv[0], (char *const *)argv, env);
    dprintf(STDERR_FILENO, "shmgrade: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int make_pipe(int fds[2])
{
    return pipe2(fds, O_CLOEXEC);
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

struct proc *proc_spawn(const char *const argv[], const struct proc_opts *opts)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    struct proc *p = calloc(1, sizeof(*p));
    const char **all = wrapped_argv(opts ? opts->wrapper : NULL, argv);

    if (p == NULL || all == NULL) {
        free(p);
        free(all);
        errno = ENOMEM;
        return NULL;
    }
    if (make_pipe(in) < 0 || make_pipe(out) < 0 || make_pipe(err) < 0)
        goto fail;
    fflush(NULL); /* or buffered output would be written twice */
    p->pid = fork();
    if (p->pid < 0)
        goto fail;
    if (p->pid == 0)
        exec_child(all, opts, in[0], out[1], err[1]);
    free(all);
    all = NULL;
    p->output_limit = opts ? opts->output_limit : 0;
    setpgid(p->pid, p->pid); /* also here: no race with an early kill */
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->stdin_fd = in[1];
    p->stdout_fd = out[0];
    p->stderr_fd = err[0];
    set_nonblocking(p->stdout_fd);
    set_nonblocking(p->stderr_fd);
    p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    p->state = PROC_RUNNING;
    p->command = join_argv(argv);
    capture_init(&p->out);
    capture_init(&p->err);
    if (opts != NULL && opts->stdin_text != NULL) {
        if (!proc_write_line(p, opts->stdin_text) && errno != EPIPE)
            perror("write");
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
    bool within = pump_fd(&p->stdout_fd, &p->out, p->output_limit);
    within = pump_fd(&p->stderr_fd, &p->err, p->output_limit) && within;
    if (!within && !p->output_limited && p->state == PROC_RUNNING) {
        /* Kept: the head and the tail. The rest would only cost time. */
        p->output_limited = true;
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
    }
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

/* Block until output, the process's end, or the deadline. */
static void wait_for_event(struct proc *p, long long deadline)
{
    struct pollfd fds[3];
    int n = 0;
    long long left = deadline - now_ms();

    if (left <= 0)
        return;
    if (p->stdout_fd >= 0)
        fds[n++] = (struct pollfd){.fd = p->stdout_fd, .events = POLLIN};
    if (p->stderr_fd >= 0)
        fds[n++] = (struct pollfd){.fd = p->stderr_fd, .events = POLLIN};
    if (p->pidfd >= 0 && p->state == PROC_RUNNING)
        fds[n++] = (struct pollfd){.fd = p->pidfd, .events = POLLIN};
    if (n == 0)
        return;
    if (poll(fds, (nfds_t)n, left > 60000 ? 60000 : (int)left) < 0 && errno != EINTR)
        perror("poll");
}

bool proc_wait(struct proc *p, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;

    for (;;) {
        pump(p);
        if (reap(p, false)) {
            pump(p); /* what it wrote before it ended is in the pipe */
            return true;
        }
        if (now_ms() >= deadline)
            return false;
        wait_for_event(p, deadline);
    }
}

/* Next complete stdout line after p->out.scanned, consumed; or false. */
static bool next_line(struct proc *p, bool final, char *buf, size_t size)
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
    if (len >= size)
        len = size - 1;
    memcpy(buf, start, len);
    buf[len] = '\0';
    return true;
}

const char *proc_expect_line(struct proc *p, const char *pattern, int timeout_ms)
{
    static char line[8192];
    long long deadline = now_ms() + timeout_ms;
    regex_t re;
    const char *found = NULL;

    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "shmgrade: bad pattern in a test: %s\n", pattern);
        abort();
    }
    for (;;) {
        bool ended;
        pump(p);
        ended = reap(p, false) && p->stdout_fd < 0;
        if (p->state != PROC_RUNNING)
            pump(p);
        while (next_line(p, ended || p->state != PROC_RUNNING, line, sizeof(line))) {
            if (regexec(&re, line, 0, NULL, 0) == 0) {
                found = line;
                goto done;
            }
        }
        if (p->state != PROC_RUNNING || now_ms() >= deadline)
            break;
        wait_for_event(p, deadline);
    }
done:
    regfree(&re);
    return found;
}

/* --- ending -------------------------------------------------------------- */

void proc_kill(struct proc *p, int sig)
{
    if (p->state != PROC_RUNNING)
        return;
    kill(-p->pid, sig);
    kill(p->pid, sig); /* in case it left its process group */
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
    close_fd(&p->stdin_fd);
    close_fd(&p->stdout_fd);
    close_fd(&p->stderr_fd);
    close_fd(&p->pidfd);
    capture_free(&p->out);
    capture_free(&p->err);
    free(p->command);
    free(p);
}

const char *signal_name(int sig)
{
    static char buf[32];
    const char *abbrev = sigabbrev_np(sig);

    if (abbrev == NULL) {
        snprintf(buf, sizeof(buf), "signal %d", sig);
        return buf;
    }
    snprintf(buf, sizeof(buf), "SIG%s", abbrev);
    return buf;
}

const char *proc_describe_end(const struct proc *p)
{
    static char buf[160];

    if (p->output_limited) {
        snprintf(buf, sizeof(buf),
                 "was stopped after printing more than %zu MiB (the output is cut: its head and "
                 "tail are kept)",
                 p->output_limit / (1024 * 1024));
        return buf;
    }
    switch (p->state) {
    case PROC_EXITED:
        snprintf(buf, sizeof(buf), "exited with status %d", p->exit_code);
        break;
    case PROC_SIGNALED:
        snprintf(buf, sizeof(buf), "was killed by %s (%s)", signal_name(p->signal),
                 strsignal(p->signal));
        break;
    default:
        snprintf(buf, sizeof(buf), "is still running");
    }
    return buf;
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
