/*
 * proc.h - a child process with its three standard streams on pipes.
 *
 * The grader never trusts a child to end, to print a newline, or to stop
 * printing: every wait has a deadline, output is captured up to a cap (the
 * head and the tail are kept), and ending a process kills its whole
 * process group.
 */
#ifndef SHMGRADE_PROC_H
#define SHMGRADE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Captured output of one stream: the first HEAD_CAP bytes, and the last
 * TAIL_CAP bytes of whatever came after them. */
struct capture {
    char *head;
    size_t head_len;
    char *tail; /* ring buffer */
    size_t tail_len, tail_start;
    size_t total;   /* bytes the process wrote, kept or not */
    size_t scanned; /* offset in head up to which lines were consumed */
};

#define CAPTURE_HEAD_CAP (256 * 1024)
#define CAPTURE_TAIL_CAP (16 * 1024)

enum proc_state { PROC_RUNNING, PROC_EXITED, PROC_SIGNALED };

struct proc_opts {
    const char *const *env; /* extra NAME=VALUE entries, NULL-terminated */
    const char *stdin_text; /* written to stdin, which is then closed */
    bool keep_stdin_open;   /* leave stdin open for proc_write_line() */
    const char *cwd;        /* working folder; default: inherited */
    /* Called in the child between fork and exec (limits, sandbox). */
    void (*before_exec)(void *arg);
    void *before_exec_arg;
    /* Run ARGV under this command (e.g. valgrind and its options); the
     * transcript still shows ARGV alone. NULL-terminated, or NULL. */
    const char *const *wrapper;
    /* Bytes a stream may carry before the process group is killed (a
     * program printing gigabytes); 0 for no limit. */
    size_t output_limit;
};

struct proc {
    pid_t pid;
    int stdin_fd, stdout_fd, stderr_fd, pidfd;
    struct capture out, err;
    enum proc_state state;
    int exit_code; /* PROC_EXITED */
    int signal;    /* PROC_SIGNALED */
    bool timed_out;
    char *command; /* argv joined by spaces, for messages */
    bool transcript_shown;
    size_t output_limit; /* from proc_opts */
    bool output_limited; /* killed for printing more than output_limit */
};

/* Start ARGV[0] (a path) with ARGV; NULL with errno set when fork/pipe fail.
 * A failing exec shows as exit status 127 with the reason on stderr. */
struct proc *proc_spawn(const char *const argv[], const struct proc_opts *opts);

/* Write LINE and a newline to stdin; false if the process closed it. */
bool proc_write_line(struct proc *p, const char *line);
void proc_close_stdin(struct proc *p);

/*
 * Wait up to TIMEOUT_MS for the process to end, draining its output all
 * the while (a child blocked on a full pipe would otherwise never end).
 * Returns true once it has ended; false on timeout (it keeps running).
 */
bool proc_wait(struct proc *p, int timeout_ms);

/*
 * Wait up to TIMEOUT_MS for a stdout line matching the extended regular
 * expression PATTERN. Lines before it are consumed. Returns a pointer to a
 * static copy of the matched line, or NULL on timeout or end of output.
 */
const char *proc_expect_line(struct proc *p, const char *pattern, int timeout_ms);

/* Send SIG to the process group; SIGKILL also waits for the leader. */
void proc_kill(struct proc *p, int sig);

/* Kill, reap and free. */
void proc_free(struct proc *p);

/* "exited with status 1", "was killed by SIGSEGV (Segmentation fault)",
 * "did not end within 5.0 s", "is still running". Static storage. */
const char *proc_describe_end(const struct proc *p);

/* Name of a signal: "SIGSEGV". Static storage. */
const char *signal_name(int sig);

/* The kept output of a stream as one string (head, a "[... N bytes cut
 * ...]" marker, tail). The caller frees it. */
char *capture_text(const struct capture *c);

/* Number of complete or final lines in the head of a capture, and the
 * Nth of them copied into BUF. */
size_t capture_line_count(const struct capture *c);
bool capture_line(const struct capture *c, size_t n, char *buf, size_t size);

/* Last N lines of the kept output, for reports. The caller frees it. */
char *capture_last_lines(const struct capture *c, size_t n);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

/*
 * Kill every descendant of this process (SIGKILL) and reap them, until
 * none is left. The caller must be a child subreaper, so that processes
 * which escaped into new sessions or double-forked are still ours.
 * Returns the number of processes it killed.
 */
int kill_all_descendants(void);

/* A process below this one, as /proc shows it. */
struct task_info {
    pid_t pid, ppid, pgid;
    uid_t uid;
    bool zombie;
    char name[32]; /* its command name */
};

/* Every descendant of this process (zombies too): the count, or -1. The
 * caller frees *TASKS. */
int list_descendants(struct task_info **tasks);

#endif
