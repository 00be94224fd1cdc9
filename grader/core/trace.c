/*
 * trace.c - see trace.h.
 *
 * The helper is a child of the caller that attaches to the program with
 * PTRACE_SEIZE (the program stays the child of whoever started it, which
 * still reaps it and sees its exit status; ptrace stops are reported to
 * the helper alone). It counts syscall-entry stops and watchpoint traps,
 * lets every other stop through unchanged (signals are delivered, a group
 * stop stays a group stop until SIGCONT), and writes its counts into a
 * pipe once the program has ended.
 */
#define _GNU_SOURCE
#include "core/trace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/proc.h"

#ifndef TRAP_HWBKPT
#define TRAP_HWBKPT 4
#endif

struct trace {
    pid_t helper;
    int from_helper; /* read end of the pipe */
    bool finished;
};

/* What the helper sends first: attached, or why not. */
struct attach_report {
    bool attached;
    bool by_program; /* not attached because of what the program did */
    char why[256];
};

/* What the helper asks the kernel to report of every task it follows. */
#define TRACE_OPTIONS                                                                              \
    (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |      \
     PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)

/* --- the helper -------------------------------------------------------------- */

/* A task followed: whether it is inside a system call (for kernels
 * without PTRACE_GET_SYSCALL_INFO), and whether its debug registers hold
 * the watchpoints (they are per thread: a thread or child the program
 * makes gets them at its first stop). */
struct task {
    pid_t tid;
    bool in_syscall, watched;
};

/* The file the watched words are in, as /proc/PID/maps names it: its
 * device and inode, and the offset in it of the first watched word. */
struct watched_file {
    bool known;
    dev_t dev;
    ino_t ino;
    unsigned long long offset;
};

#define MAX_TASKS 256
struct helper_state {
    struct task tasks[MAX_TASKS];
    int n_tasks;
    const uintptr_t *watch;
    int n_watch;
    struct watched_file file;
    struct trace_counts counts;
};

/* The program did something its counts cannot stand for: said once, the
 * first time. */
__attribute__((format(printf, 2, 3))) static void evaded(struct helper_state *h, const char *format,
                                                         ...)
{
    va_list args;

    if (h->counts.evaded[0] != '\0')
        return;
    va_start(args, format);
    vsnprintf(h->counts.evaded, sizeof(h->counts.evaded), format, args);
    va_end(args);
}

/* TID's entry, made at its first stop; NULL when too many are followed. */
static struct task *task_entry(struct helper_state *h, pid_t tid)
{
    for (int i = 0; i < h->n_tasks; i++)
        if (h->tasks[i].tid == tid)
            return &h->tasks[i];
    if (h->n_tasks == MAX_TASKS)
        return NULL;
    h->tasks[h->n_tasks] = (struct task){.tid = tid};
    return &h->tasks[h->n_tasks++];
}

static void write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the caller gave up: nothing to tell */
        p += n;
        len -= (size_t)n;
    }
}

/* Which file (if any) the watched word at ADDRESS is in: a visitor of
 * process_find_mapping(). */
struct word_in_file {
    uintptr_t address;
    struct watched_file *file;
};

static bool holds_the_word(const struct mapping *m, void *ctx)
{
    struct word_in_file *w = ctx;

    if (m->ino == 0 || w->address < m->start || w->address >= m->end)
        return false;
    *w->file = (struct watched_file){
        .known = true, .dev = m->dev, .ino = m->ino, .offset = m->offset + (w->address - m->start)};
    return true;
}

static void find_watched_file(pid_t pid, uintptr_t address, struct watched_file *file)
{
    struct word_in_file w = {.address = address, .file = file};

    process_find_mapping(pid, holds_the_word, &w);
}

/* A mapping of the watched file that shows the watched word elsewhere
 * than where the watchpoints are: a visitor of process_find_mapping(). */
struct alias_search {
    const struct helper_state *h;
    uintptr_t at;
};

static bool is_an_alias(const struct mapping *m, void *ctx)
{
    struct alias_search *a = ctx;
    const struct watched_file *file = &a->h->file;

    if (m->ino != file->ino || m->dev != file->dev || file->offset < m->offset ||
        file->offset >= m->offset + (m->end - m->start))
        return false;
    a->at = m->start + (uintptr_t)(file->offset - m->offset);
    return a->at != a->h->watch[0];
}

/*
 * Is the watched file mapped in TASK's memory only where the watchpoints
 * are? A second mapping of it (or the only one, moved) is a way to its
 * words the watchpoints do not see: the counts would be too low.
 */
static void check_mappings(struct helper_state *h, pid_t task)
{
    struct alias_search a = {.h = h};

    if (h->n_watch == 0 || !h->file.known || h->counts.evaded[0] != '\0')
        return;
    if (process_find_mapping(task, is_an_alias, &a))
        evaded(h,
               "mapped the watched words a second time (at %#lx), where the grader's "
               "watchpoints do not see them",
               (unsigned long)a.at);
}

/* Put the watchpoints on TASK (stopped under ptrace): DR0..DR3 hold the
 * addresses, DR7 enables each for reads and writes of 8 bytes. */
static bool set_watchpoints(pid_t task, const uintptr_t *watch, int n, char *why, size_t size)
{
    if (n == 0)
        return true;
#if defined(__x86_64__)
    unsigned long control = 0;

    for (int i = 0; i < n; i++) {
        if (ptrace(PTRACE_POKEUSER, task, offsetof(struct user, u_debugreg[i]), watch[i]) == -1) {
            snprintf(why, size, "ptrace(PTRACE_POKEUSER) of a debug register: %s", strerror(errno));
            return false;
        }
        /* Local enable; RW = 11 (reads and writes); LEN = 10 (8 bytes). */
        control |= 1ul << (2 * i) | 3ul << (16 + 4 * i) | 2ul << (18 + 4 * i);
    }
    if (ptrace(PTRACE_POKEUSER, task, offsetof(struct user, u_debugreg[7]), control) == -1) {
        snprintf(why, size, "ptrace(PTRACE_POKEUSER) of the debug control register: %s",
                 strerror(errno));
        return false;
    }
    return true;
#else
    (void)task;
    (void)watch;
    snprintf(why, size, "hardware watchpoints are only set up on x86-64");
    return false;
#endif
}

/*
 * A thread or process made with CLONE_UNTRACED is not followed (the kernel
 * does not attach it to the helper): what it does would not be counted.
 * Its flags are clone's first argument, or the first word of clone3's.
 */
static void check_clone(struct helper_state *h, pid_t task, long nr, unsigned long argument)
{
    unsigned long flags = argument;

    if (nr == SYS_clone3) {
        errno = 0;
        flags = (unsigned long)ptrace(PTRACE_PEEKDATA, task, (void *)argument, NULL);
        if (errno != 0)
            return; /* the call fails with EFAULT */
    } else if (nr != SYS_clone) {
        return;
    }
    if (flags & CLONE_UNTRACED)
        evaded(h,
               "made a thread or process the grader cannot follow (clone flags %#lx: "
               "CLONE_UNTRACED)",
               flags);
}

/* A syscall stop of TASK: count it if it is an entry. */
static void count_syscall_stop(struct helper_state *h, pid_t task)
{
    unsigned long first_argument = 0;
    long nr = -1;
    bool entry;
#ifdef PTRACE_GET_SYSCALL_INFO
    struct __ptrace_syscall_info info;

    if (ptrace(PTRACE_GET_SYSCALL_INFO, task, sizeof(info), &info) > 0) {
        if (info.op != PTRACE_SYSCALL_INFO_ENTRY)
            return;
        entry = true;
        nr = (long)info.entry.nr;
        first_argument = (unsigned long)info.entry.args[0];
    } else
#endif
    {
        struct task *followed = task_entry(h, task);
        entry = followed == NULL || !followed->in_syscall;
        if (followed != NULL)
            followed->in_syscall = !followed->in_syscall;
        if (entry) {
            struct user_regs_struct regs;
#if defined(__x86_64__)
            if (ptrace(PTRACE_GETREGS, task, NULL, &regs) == 0) {
                nr = (long)regs.orig_rax;
                first_argument = (unsigned long)regs.rdi;
            }
#else
            (void)regs;
#endif
        }
    }
    check_mappings(h, task); /* a call may have made one */
    if (!entry)
        return;
    h->counts.syscalls++;
    if (nr >= 0 && nr < TRACE_MAX_SYSCALL_NR)
        h->counts.by_number[nr]++;
    check_clone(h, task, nr, first_argument);
}

/* A SIGTRAP that is no syscall stop: a watchpoint's (swallowed and
 * counted), or a real one (delivered). */
static int trap_signal(struct helper_state *h, pid_t task)
{
    siginfo_t info;

    if (ptrace(PTRACE_GETSIGINFO, task, NULL, &info) == 0 && info.si_code == TRAP_HWBKPT) {
        h->counts.watch_hits++;
#if defined(__x86_64__)
        ptrace(PTRACE_POKEUSER, task, offsetof(struct user, u_debugreg[6]), 0ul);
#endif
        return 0;
    }
    return SIGTRAP;
}

static bool is_stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* A task's first stop: give it the watchpoints. A touch in a thread the
 * grader could not watch would go uncounted: the counts then carry an
 * error, and a count with an error is no count (the grader's error,
 * never a pass). */
static void watch_task(struct helper_state *h, pid_t task)
{
    struct task *followed = task_entry(h, task);
    char why[200];

    if (h->n_watch == 0 || (followed != NULL && followed->watched))
        return;
    if (followed == NULL) {
        /* The program's doing, and no count: the test fails. */
        evaded(h, "made more than %d threads and processes, more than the grader can watch",
               MAX_TASKS);
        return;
    }
    if (!set_watchpoints(task, h->watch, h->n_watch, why, sizeof(why))) {
        snprintf(h->counts.error, sizeof(h->counts.error), "task %d: %s", (int)task, why);
        return;
    }
    followed->watched = true;
    check_mappings(h, task);
}

/* Let TASK go on from the stop STATUS reports, counting what it is. */
static void go_on(struct helper_state *h, pid_t task, int status)
{
    int sig = WSTOPSIG(status), event = (unsigned)status >> 16, deliver = 0;

    watch_task(h, task);
    if (sig == (SIGTRAP | 0x80)) {
        count_syscall_stop(h, task);
    } else if (event == PTRACE_EVENT_STOP) {
        /* A group stop stays one until SIGCONT, as without the helper. */
        if (is_stop_signal(sig)) {
            ptrace(PTRACE_LISTEN, task, NULL, NULL);
            return;
        }
    } else if (event == PTRACE_EVENT_EXEC) {
        /* A new program: its memory, and the watchpoints, are gone. */
        if (h->n_watch > 0)
            evaded(h, "ran another program (execve) while counted: the watched words went "
                      "with its memory");
    } else if (event == PTRACE_EVENT_EXIT) {
        check_mappings(h, task); /* the last look at its memory */
    } else if (event != 0) {
        /* A new thread or child (followed from now on). */
    } else if (sig == SIGTRAP) {
        deliver = trap_signal(h, task);
    } else {
        deliver = sig;
    }
    ptrace(h->counts.syscalls < TRACE_SYSCALL_CEILING ? PTRACE_SYSCALL : PTRACE_CONT, task, NULL,
           (void *)(long)deliver);
}

/* Close every descriptor but KEEP: the helper must not hold a copy of
 * a program's pipes (a stdin the grader closes would stay open). */
static void close_all_but(int keep)
{
    DIR *fds = opendir("/proc/self/fd");
    struct dirent *entry;

    if (fds == NULL) {
        for (int fd = 3; fd < 1024; fd++)
            if (fd != keep)
                close(fd);
        return;
    }
    while ((entry = readdir(fds)) != NULL) {
        int fd = atoi(entry->d_name);
        if (entry->d_name[0] != '.' && fd > 2 && fd != keep && fd != dirfd(fds))
            close(fd);
    }
    closedir(fds);
}

/* Fields 3 (state) and 6 (session) of /proc/PID/stat; false when PID is
 * gone. */
static bool task_status(pid_t pid, char *state, pid_t *session)
{
    char path[64], text[1024], *after_name;
    ssize_t n;
    int fd, sid;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return false;
    text[n] = '\0';
    /* The name, in parentheses, may hold anything: the fields follow the
     * last ')'. */
    if ((after_name = strrchr(text, ')')) == NULL ||
        sscanf(after_name + 1, " %c %*d %*d %d", state, &sid) != 2)
        return false;
    *session = (pid_t)sid;
    return true;
}

/*
 * Why TASK cannot be followed (ERROR, from PTRACE_SEIZE). The program's
 * doing when another tracer has it already (PTRACE_TRACEME) or when it
 * made itself undumpable (its /proc/PID/mem then belongs to root though it
 * runs as someone else); the machine's otherwise (a seccomp profile or
 * Yama forbidding ptrace).
 */
static void refusal(pid_t task, int error, struct attach_report *report)
{
    char path[64], line[256];
    long tracer = 0, uid = -1;
    struct stat mem;
    bool undumpable;
    FILE *status;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)task);
    if ((status = fopen(path, "re")) != NULL) {
        while (fgets(line, sizeof(line), status) != NULL)
            if (sscanf(line, "TracerPid: %ld", &tracer) != 1)
                sscanf(line, "Uid: %ld", &uid);
        fclose(status);
    }
    snprintf(path, sizeof(path), "/proc/%d/mem", (int)task);
    undumpable = stat(path, &mem) == 0 && mem.st_uid == 0 && uid > 0;
    report->by_program = error == EPERM && (tracer != 0 || undumpable);
    snprintf(report->why, sizeof(report->why), "ptrace(PTRACE_SEIZE) of pid %d: %s%s", (int)task,
             strerror(error),
             error != EPERM ? ""
             : tracer != 0  ? " (another process follows it already: PTRACE_TRACEME)"
             : undumpable   ? " (it made itself undumpable: prctl(PR_SET_DUMPABLE, 0))"
                            : "");
}

/*
 * Follow TASK from now on: seized, stopped once (PTRACE_INTERRUPT) to get
 * the watchpoints, then let go on as it was (a stopped program stays
 * stopped). True, or false with the reason in REPORT; a task that ended
 * meanwhile is no error, unless it is the program itself (MUST_LIVE).
 */
static bool seize_task(struct helper_state *h, pid_t task, bool must_live,
                       struct attach_report *report)
{
    struct task *followed;
    int status;

    if (ptrace(PTRACE_SEIZE, task, NULL, (void *)(long)TRACE_OPTIONS) == -1) {
        if (errno == ESRCH && !must_live)
            return true;
        refusal(task, errno, report);
        return false;
    }
    ptrace(PTRACE_INTERRUPT, task, NULL, NULL);
    if (waitpid(task, &status, __WALL) != task || !WIFSTOPPED(status)) {
        if (!must_live)
            return true;
        snprintf(report->why, sizeof(report->why), "pid %d ended as the grader attached to it",
                 (int)task);
        return false;
    }
    if ((followed = task_entry(h, task)) == NULL) {
        snprintf(report->why, sizeof(report->why),
                 "the program has more than %d threads and processes to follow", MAX_TASKS);
        report->by_program = true;
        return false;
    }
    if (!set_watchpoints(task, h->watch, h->n_watch, report->why, sizeof(report->why)))
        return false;
    followed->watched = true;
    check_mappings(h, task);
    go_on(h, task, status);
    return true;
}

/* Seize every thread of process PID not followed yet; whether any was. */
static bool seize_threads(struct helper_state *h, pid_t pid, struct attach_report *report,
                          bool *seized)
{
    char path[64];
    struct dirent *entry;
    DIR *tasks;
    bool ok = true;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if ((tasks = opendir(path)) == NULL)
        return true; /* ended */
    while (ok && (entry = readdir(tasks)) != NULL) {
        pid_t tid = (pid_t)atoi(entry->d_name);
        bool known = false;
        for (int i = 0; i < h->n_tasks && !known; i++)
            known = h->tasks[i].tid == tid;
        if (tid <= 0 || known)
            continue;
        ok = seize_task(h, tid, false, report);
        *seized = true;
    }
    closedir(tasks);
    return ok;
}

/*
 * Follow everything that may work for the program: every thread it has,
 * and, when it leads its session (every program the grader runs does),
 * every process of the session (a child it made before counting began,
 * with threads of its own) -- not only what it makes from now on.
 * (One that left the session before is no longer found here: the harness
 * fails a program whose processes left its process group before
 * counting.) What a followed task makes is followed by the kernel. Round
 * after round, until a round finds nothing new.
 */
static bool seize_all(struct helper_state *h, pid_t pid, struct attach_report *report)
{
    pid_t session;
    char state;

    if (!task_status(pid, &state, &session)) {
        snprintf(report->why, sizeof(report->why), "pid %d ended as the grader attached to it",
                 (int)pid);
        return false;
    }
    /* A process that does not lead its session shares it with others (its
     * parent's): only its own threads are its. */
    if (session != pid) {
        bool seized = false;
        return seize_threads(h, pid, report, &seized);
    }
    for (int round = 0; round < 64; round++) {
        bool seized = false;
        DIR *proc = opendir("/proc");
        struct dirent *entry;
        bool ok = proc != NULL;

        while (ok && (entry = readdir(proc)) != NULL) {
            pid_t other = (pid_t)atoi(entry->d_name), its_session;
            if (other > 0 && task_status(other, &state, &its_session) && its_session == session &&
                state != 'Z' && state != 'X') {
                ok = seize_threads(h, other, report, &seized);
            }
        }
        if (proc != NULL)
            closedir(proc);
        if (!ok)
            return false;
        if (!seized)
            return true;
    }
    snprintf(report->why, sizeof(report->why),
             "the program kept making threads and processes while the grader attached");
    report->by_program = true;
    return false;
}

/* Follow PID until it ends; its counts go to OUT. */
static _Noreturn void run_helper(pid_t pid, const uintptr_t *watch, int n_watch, int out)
{
    struct helper_state *h = calloc(1, sizeof(*h));
    struct attach_report report = {.attached = false};
    int status;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close_all_but(out);
    if (h == NULL) {
        snprintf(report.why, sizeof(report.why), "out of memory");
        goto refused;
    }
    h->watch = watch;
    h->n_watch = n_watch;
    if (n_watch > 0)
        find_watched_file(pid, watch[0], &h->file);
    /* The program first (it is stopped at its stop point, and stays so
     * until SIGCONT), then whatever else works for it. */
    if (!seize_task(h, pid, true, &report) || !seize_all(h, pid, &report))
        goto refused;
    report.attached = true;
    write_all(out, &report, sizeof(report));

    for (;;) {
        pid_t task = waitpid(-1, &status, __WALL);
        if (task == -1 && errno == EINTR)
            continue;
        if (task == -1) {
            snprintf(h->counts.error, sizeof(h->counts.error), "waitpid: %s", strerror(errno));
            break;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (task == pid) {
                h->counts.ended = true;
                break;
            }
            continue;
        }
        if (WIFSTOPPED(status))
            go_on(h, task, status);
    }
    write_all(out, &h->counts, sizeof(h->counts));
    _exit(0);

refused:
    /* Whatever was seized is let go as the helper ends. */
    write_all(out, &report, sizeof(report));
    _exit(1);
}

/* --- the caller's side ------------------------------------------------------- */

/* Read exactly LEN bytes from FD within TIMEOUT_MS; false otherwise. */
static bool read_within(int fd, void *data, size_t len, int timeout_ms)
{
    char *p = data;
    long long until = now_ms() + timeout_ms;

    while (len > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long long left = until - now_ms();
        if (left <= 0)
            return false;
        int ready = poll(&pfd, 1, (int)left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return false;
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* How long the helper may take to attach. */
#define ATTACH_TIMEOUT_MS 10000

struct trace *trace_start(pid_t pid, const uintptr_t *watch, int n_watch, char *why, size_t size)
{
    struct attach_report report;
    struct trace *trace;
    int fds[2];

    if (n_watch < 0 || n_watch > TRACE_MAX_WATCHES) {
        snprintf(why, size, "%d watchpoints asked for; there are %d", n_watch, TRACE_MAX_WATCHES);
        return NULL;
    }
    for (int i = 0; i < n_watch; i++)
        if (watch[i] % TRACE_WATCH_BYTES != 0) {
            snprintf(why, size, "watched address %#lx is not %d-byte aligned",
                     (unsigned long)watch[i], TRACE_WATCH_BYTES);
            return NULL;
        }
    trace = calloc(1, sizeof(*trace));
    if (trace == NULL || pipe2(fds, O_CLOEXEC) == -1) {
        snprintf(why, size, "%s: %s", trace == NULL ? "calloc" : "pipe2", strerror(errno));
        free(trace);
        return NULL;
    }
    fflush(NULL);
    trace->helper = fork();
    if (trace->helper == -1) {
        snprintf(why, size, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        free(trace);
        return NULL;
    }
    if (trace->helper == 0) {
        close(fds[0]);
        run_helper(pid, watch, n_watch, fds[1]);
    }
    close(fds[1]);
    trace->from_helper = fds[0];
    report.by_program = false;
    if (!read_within(trace->from_helper, &report, sizeof(report), ATTACH_TIMEOUT_MS))
        snprintf(report.why, sizeof(report.why), "the helper did not attach within %d s",
                 ATTACH_TIMEOUT_MS / 1000);
    else if (report.attached)
        return trace;
    snprintf(why, size, "%s", report.why);
    trace_free(trace);
    errno = report.by_program ? EPERM : EIO;
    return NULL;
}

bool trace_finish(struct trace *trace, struct trace_counts *counts, int timeout_ms)
{
    if (trace->finished || !read_within(trace->from_helper, counts, sizeof(*counts), timeout_ms))
        return false;
    trace->finished = true;
    waitpid(trace->helper, NULL, 0);
    trace->helper = 0;
    return true;
}

pid_t trace_helper(const struct trace *trace)
{
    return trace->helper;
}

void trace_free(struct trace *trace)
{
    if (trace == NULL)
        return;
    if (trace->helper > 0) {
        /* Its tracee is let go as it ends. */
        kill(trace->helper, SIGKILL);
        waitpid(trace->helper, NULL, 0);
    }
    close(trace->from_helper);
    free(trace);
}

/* --- making sure counting works ------------------------------------------------ */

/* The probe takes milliseconds; a machine this loaded is no place to grade. */
#define PROBE_TIMEOUT_MS 30000

/* What the probe's child reads; 8-byte aligned, as a watchpoint needs. */
static _Alignas(TRACE_WATCH_BYTES) volatile uint64_t probe_word;

static _Noreturn void probe_child(void)
{
    uint64_t sum = 0;

    /* A session of its own, as every program the grader runs: the helper
     * follows the whole session. */
    if (setsid() < 0)
        _exit(2);
    raise(SIGSTOP); /* counted from SIGCONT on, as a program from its stop point */
    for (int i = 0; i < TRACE_PROBE_COUNT; i++) {
        sum += probe_word;
        syscall(SYS_getppid);
    }
    _exit(sum == 0 ? 0 : 1);
}

/* Count what the stopped CHILD does once continued; false (WHY) if the
 * counting itself fails. */
static bool count_probe(pid_t child, struct trace_counts *counts, char *why, size_t size)
{
    uintptr_t watch = (uintptr_t)&probe_word;
    struct trace *trace = trace_start(child, &watch, 1, why, size);
    bool finished;

    if (trace == NULL)
        return false;
    if (kill(child, SIGCONT) == -1) {
        snprintf(why, size, "kill(SIGCONT) of the probe: %s", strerror(errno));
        trace_free(trace);
        return false;
    }
    finished = trace_finish(trace, counts, PROBE_TIMEOUT_MS);
    trace_free(trace);
    if (!finished || !counts->ended) {
        snprintf(why, size, "the helper did not follow the probe to its end%s%s",
                 counts->error[0] != '\0' ? ": " : "", counts->error);
        return false;
    }
    return true;
}

bool trace_probe(char *why, size_t size)
{
    struct trace_counts *counts = calloc(1, sizeof(*counts));
    bool ok = false;
    int status;
    pid_t child;

    if (counts == NULL) {
        snprintf(why, size, "calloc: %s", strerror(errno));
        return false;
    }
    fflush(NULL);
    child = fork();
    if (child == -1) {
        snprintf(why, size, "fork: %s", strerror(errno));
        free(counts);
        return false;
    }
    if (child == 0)
        probe_child();
    if (waitpid(child, &status, WUNTRACED) != child || !WIFSTOPPED(status))
        snprintf(why, size, "the probe did not stop itself (waitpid: %s)", strerror(errno));
    else if (count_probe(child, counts, why, size)) {
        long calls = counts->by_number[SYS_getppid], touches = counts->watch_hits;
        ok = calls == TRACE_PROBE_COUNT && touches == TRACE_PROBE_COUNT;
        if (!ok)
            snprintf(why, size,
                     "a probe that made %d getppid calls and %d reads of a watched word was "
                     "counted %ld calls and %ld reads: %s",
                     TRACE_PROBE_COUNT, TRACE_PROBE_COUNT, calls, touches,
                     touches != TRACE_PROBE_COUNT
                         ? "this machine's hardware watchpoints do not fire as they should"
                         : "this kernel does not report every system call to a tracer");
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    free(counts);
    return ok;
}

/* --- names ------------------------------------------------------------------- */

static const struct {
    long nr;
    const char *name;
} syscall_names[] = {
#define NAME(call)                                                                                 \
    {                                                                                              \
        SYS_##call, #call                                                                          \
    }
    NAME(read),
    NAME(write),
    NAME(readv),
    NAME(writev),
    NAME(futex),
    NAME(nanosleep),
    NAME(clock_nanosleep),
    NAME(sched_yield),
    NAME(getpid),
    NAME(gettid),
    NAME(getppid),
    NAME(kill),
    NAME(tgkill),
    NAME(ppoll),
    NAME(pselect6),
    NAME(epoll_pwait),
    NAME(mmap),
    NAME(munmap),
    NAME(mprotect),
    NAME(madvise),
    NAME(msync),
    NAME(close),
    NAME(openat),
    NAME(fstat),
    NAME(ftruncate),
    NAME(unlinkat),
    NAME(clock_gettime),
    NAME(gettimeofday),
    NAME(rt_sigprocmask),
    NAME(rt_sigaction),
    NAME(exit_group),
    NAME(exit),
    NAME(brk),
    NAME(lseek),
    NAME(fcntl),
    NAME(semop),
    NAME(semtimedop),
    NAME(eventfd2),
    NAME(pipe2),
    NAME(membarrier),
    NAME(ioctl),
#ifdef SYS_unlink /* x86-64 has the old calls too */
    NAME(unlink),
    NAME(poll),
    NAME(select),
    NAME(epoll_wait),
    NAME(newfstatat),
    NAME(open),
    NAME(pause),
#endif
#ifdef SYS_futex_waitv
    NAME(futex_waitv),
#endif
#undef NAME
};

const char *syscall_name(long nr)
{
    for (size_t i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
        if (syscall_names[i].nr == nr)
            return syscall_names[i].name;
    return NULL;
}

/* --- mappings ------------------------------------------------------------------ */

struct mapping_wanted {
    const char *path;
    uintptr_t start;
    size_t length;
};

static bool is_wanted_mapping(const struct mapping *m, void *ctx)
{
    struct mapping_wanted *wanted = ctx;
    size_t path_len = strlen(wanted->path);

    if (m->offset != 0 || strncmp(m->path, wanted->path, path_len) != 0 ||
        (m->path[path_len] != '\0' && strcmp(m->path + path_len, " (deleted)") != 0))
        return false;
    wanted->start = m->start;
    wanted->length = (size_t)(m->end - m->start);
    return true;
}

bool find_mapping(pid_t pid, const char *path, uintptr_t *start, size_t *length)
{
    struct mapping_wanted wanted = {.path = path};

    if (!process_find_mapping(pid, is_wanted_mapping, &wanted))
        return false;
    *start = wanted.start;
    *length = wanted.length;
    return true;
}
