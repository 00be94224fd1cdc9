/*
 * proc.h - child processes with their three standard streams on pipes.
 *
 * The grader never trusts a child to end, to print a newline, or to stop
 * printing: every wait has a deadline, output is captured up to a cap (the
 * head and the tail are kept), and ending a process kills its whole
 * session.
 *
 * Every process spawned here and not yet freed is in one set, and every
 * wait drains the pipes of all of them, whatever it waits for: a program
 * that writes much to stderr while the grader follows its stdout, or
 * while the grader waits for another program, never blocks on a full pipe.
 */
#ifndef SHMGRADE_PROC_H
#define SHMGRADE_PROC_H

#include <stdbool.h>
#include <stdint.h>
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
    /*
     * Called in the child between fork and exec, after the standard
     * streams are in place: confinement (limits, sandbox). It returns 0,
     * or -1 with the reason in WHY; then the program is not run, and
     * proc_spawn() reports the reason (struct proc.confine_error).
     */
    int (*before_exec)(void *arg, char *why, size_t size);
    void *before_exec_arg;
    /* Run ARGV under this command (e.g. valgrind and its options); the
     * transcript still shows ARGV alone. NULL-terminated, or NULL. */
    const char *const *wrapper;
    /* Bytes a stream may carry before the process group is killed (a
     * program printing gigabytes); 0 for no limit. */
    size_t output_limit;
    /* A fourth pipe, descriptor TOOL_FD in the child, captured in
     * struct proc.tool: the report of the wrapper (valgrind --log-fd), read
     * as it is written, from a place the program cannot delete or replace
     * (a file in a folder it may write). */
    bool tool_output;
};

#define TOOL_FD 3

struct proc {
    pid_t pid; /* also its session and process group */
    int stdin_fd, stdout_fd, stderr_fd, tool_fd, pidfd;
    struct capture out, err, tool; /* tool: proc_opts.tool_output */
    enum proc_state state;
    int exit_code; /* PROC_EXITED */
    int signal;    /* PROC_SIGNALED */
    bool timed_out;
    char *command; /* argv joined by spaces, for messages */
    bool transcript_shown;
    size_t output_limit; /* from proc_opts */
    bool output_limited; /* killed for printing more than output_limit */
    /* Why the program was never run: its confinement failed (the
     * grader's problem, not the program's), or NULL. */
    char *confine_error;
    bool following; /* proc_follow_stdout() reads stdout itself */
    /* Let go on from a stop (SIGCONT) when it had gone to sleep
     * RESUMED_AT_SLEEPS times (proc_usage.sleeps): until it sleeps or
     * stops once more, a stopped state in /proc is the old stop, which the
     * kernel may not have ended yet. */
    bool resumed;
    long long resumed_at_sleeps;
    struct proc *next_live; /* the set every wait drains */
};

/*
 * Start ARGV[0] (a path) with ARGV in a session of its own (no
 * controlling terminal). NULL with errno set when fork or pipe fail.
 * Returns once the program runs, or once it is known not to: a failed
 * exec shows as exit status 127 with the reason on stderr, a failed
 * confinement as confine_error.
 */
struct proc *proc_spawn(const char *const argv[], const struct proc_opts *opts);

/* Read whatever P's pipes hold now, to the last byte written so far. */
void proc_drain(struct proc *p);

/* Write LINE and a newline to stdin; false if the process closed it. */
bool proc_write_line(struct proc *p, const char *line);
void proc_close_stdin(struct proc *p);

/*
 * Wait up to TIMEOUT_MS for the process to end, draining the output of
 * every live process all the while. Returns true once it has ended; false
 * on timeout (it keeps running).
 */
bool proc_wait(struct proc *p, int timeout_ms);

/*
 * Wait up to TIMEOUT_MS until DONE(ARG) holds, draining every live
 * process's output meanwhile. DONE is asked again whenever something
 * happens (output, a process ending) and at short intervals between, for
 * states the kernel sends no event for (a process falling asleep).
 */
bool proc_wait_until(bool (*done)(void *arg), void *arg, int timeout_ms);

/*
 * Wait up to TIMEOUT_MS for a stdout line matching the extended regular
 * expression PATTERN. Lines before it are consumed. Returns the matched
 * line (the caller frees it), or NULL on timeout or end of output.
 */
char *proc_await_line(struct proc *p, const char *pattern, int timeout_ms);

/*
 * The next stdout line within TIMEOUT_MS, consumed (the caller frees it);
 * NULL on timeout or end of output. *NEWLINE says whether it ended with a
 * newline (the last line of a program may not).
 */
char *proc_next_line(struct proc *p, int timeout_ms, bool *newline);

/*
 * Read P's stdout line by line as it is written: for programs that print
 * more than a capture holds. Each line, without its newline, goes to
 * ON_LINE; returning false stops. Following starts at the first line no
 * wait has consumed yet (what earlier waits drained into the head of the
 * capture comes first), and a later wait starts after the last line
 * followed. The capture keeps what it keeps of any stream (its head and
 * tail, for transcripts). Every other stream of every live process is
 * drained meanwhile, as by any wait.
 */
enum follow_end {
    FOLLOW_EOF,       /* P closed its stdout (it ended) */
    FOLLOW_STOPPED,   /* ON_LINE returned false */
    FOLLOW_STALLED,   /* no line for STALL_MS */
    FOLLOW_TIMED_OUT, /* TOTAL_MS passed */
};
enum follow_end proc_follow_stdout(struct proc *p, int stall_ms, int total_ms,
                                   bool (*on_line)(const char *line, void *arg), void *arg);

/* Read what every live process has written so far, without waiting: a
 * test that saw a program fall asleep then finds everything it wrote
 * before. */
void proc_drain_all(void);

/* Send SIG to the session's process group; SIGKILL also reaps the leader. */
void proc_kill(struct proc *p, int sig);

/* Kill, reap and free. */
void proc_free(struct proc *p);

/* Texts for messages, returned by value: two in one printf() are safe. */
struct short_text {
    char text[192];
};

/* "exited with status 1", "was killed by SIGSEGV (Segmentation fault)",
 * "is still running". */
struct short_text proc_describe_end(const struct proc *p);

/* Name of a signal: "SIGSEGV". */
struct short_text signal_name(int sig);

/* The kept output of a stream as one string (head, a "[... N bytes cut
 * ...]" marker, tail). The caller frees it. */
char *capture_text(const struct capture *c);

/* The last bytes a stream carried (at most CAPTURE_TAIL_CAP, across the
 * end of the head and the tail), NUL-terminated; their number in *LEN.
 * The caller frees them. */
char *capture_last_bytes(const struct capture *c, size_t *len);

/* Number of complete or final lines in the head of a capture, and the
 * Nth of them copied into BUF. */
size_t capture_line_count(const struct capture *c);
bool capture_line(const struct capture *c, size_t n, char *buf, size_t size);

/* Where line N of the head starts and how long it is (without its
 * newline); false past the last line. */
bool capture_line_span(const struct capture *c, size_t n, size_t *start, size_t *len);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

/*
 * Is PID asleep in a system call (every thread of it), and not one that
 * would end by itself soon because the grader drains the pipe it writes
 * to? Reads /proc/PID/task/TID/stat and .../syscall. *SYSCALL gets the
 * number of the call the main thread sleeps in (or -1).
 */
bool process_is_blocked(pid_t pid, long *syscall_number);

/* How many times PID has fallen asleep (its voluntary context switches):
 * a program woken by a signal that sleeps again has a larger count. 0 if
 * /proc cannot say. */
unsigned long process_times_asleep(pid_t pid);

/* What the kernel has counted for PID so far, over all its threads: the
 * processor time it used, and how often it went to sleep (voluntary
 * context switches). False if there is no such process. */
struct proc_usage {
    long long cpu_ns;
    long long sleeps;
};
bool process_usage(pid_t pid, struct proc_usage *usage);

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

/* One line of /proc/PID/maps. */
struct mapping {
    uintptr_t start, end;
    unsigned long long offset; /* of START in the file */
    dev_t dev;
    ino_t ino;        /* 0 for anonymous memory */
    const char *path; /* "" for anonymous memory; "PATH (deleted)" once removed */
};

/*
 * Call VISIT with each mapping of PID, in address order, until it returns
 * true. Returns whether one did (false too when PID's maps cannot be read).
 */
bool process_find_mapping(pid_t pid, bool (*visit)(const struct mapping *m, void *ctx), void *ctx);

#endif
