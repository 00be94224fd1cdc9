/*
 * trace.h - counting what a running program does that no output shows:
 * the system calls it makes, and how often it touches a few words of its
 * memory (a hardware watchpoint on each), from a moment the grader picks
 * until the program ends.
 *
 * A helper process follows the program with ptrace(2), so the counts are
 * the kernel's: a call made through syscall(), inline assembly or a
 * library the grader cannot see is counted like any other. Counting makes
 * the program slower (each system call and each touch of a watched word
 * stops it for the helper), never different: no call is changed, no
 * signal lost. Counts, unlike times, do not depend on how busy the
 * machine is.
 */
#ifndef SHMGRADE_TRACE_H
#define SHMGRADE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Hardware watchpoints on x86-64: four, of 8 aligned bytes each. */
#define TRACE_MAX_WATCHES 4
#define TRACE_WATCH_BYTES 8

/* The system calls a count keeps apart by number, for messages. */
#define TRACE_MAX_SYSCALL_NR 512

/* System calls counted at most: past this many, a program is followed for
 * its watched words only, at full speed. A program making a call per
 * message would otherwise be stopped twice per message, and under load
 * take longer than any step may (a verdict that depends on timing); its
 * count is then a lower bound, which is all a test needs to fail it. */
#define TRACE_SYSCALL_CEILING 1000

struct trace_counts {
    long syscalls; /* system calls entered (TRACE_SYSCALL_CEILING: or more) */
    long by_number[TRACE_MAX_SYSCALL_NR]; /* of them, per call number */
    long watch_hits;                      /* reads and writes of the watched words */
    bool ended;                           /* followed until the program ended */
    char error[256];  /* why counting stopped early or is wrong (a thread it could
                         not watch), or "" */
    char evaded[256]; /* what the program did that its counts cannot stand for (a
                         thread made with CLONE_UNTRACED, a second mapping of the
                         watched words, another program run), or "": the program's
                         doing, never the grader's */
};

struct trace;

/*
 * Start counting for PID, a process that is stopped (SIGSTOP: a stop
 * point) and stays stopped until it is sent SIGCONT, as if no one
 * followed it. WATCH holds N_WATCH (at most TRACE_MAX_WATCHES) addresses
 * in PID's memory, each TRACE_WATCH_BYTES-aligned: every read or write of
 * those bytes is counted. Threads and children PID makes are followed
 * too (their system calls count; the watchpoints are PID's main
 * thread's), and so is everything that may work for PID already: its
 * other threads, and every process of its session (a child made before
 * counting began). NULL, with the reason in WHY, when the kernel does not
 * let the grader follow PID (ptrace not permitted here, errno EIO) or has
 * no watchpoints (another architecture); errno EPERM when the program
 * keeps the grader out (it is followed by another tracer already:
 * PTRACE_TRACEME; it made itself undumpable), its own doing.
 *
 * Below TRACE_SYSCALL_CEILING the helper sees every call, so a watched
 * word cannot be reached unseen: a thread the kernel would not let it
 * follow (CLONE_UNTRACED), a second mapping of the watched words, or an
 * execve is said in EVADED. Past the ceiling it no longer sees calls.
 */
struct trace *trace_start(pid_t pid, const uintptr_t *watch, int n_watch, char *why, size_t size);

/*
 * Wait up to TIMEOUT_MS for the program to end, then give the counts.
 * False when it has not ended by then (the counts so far are lost; the
 * helper stops following it, and it goes on running).
 */
bool trace_finish(struct trace *trace, struct trace_counts *counts, int timeout_ms);

/* The helper process that follows the program (a child of the caller). */
pid_t trace_helper(const struct trace *trace);

/* Stop following (if still following) and free. */
void trace_free(struct trace *trace);

/*
 * Make sure counting works here, on a child that makes TRACE_PROBE_COUNT
 * system calls (getppid) and as many reads of a watched word: false, with
 * the reason in WHY, when ptrace is not permitted, or when the counts are
 * not exactly those. A machine whose watchpoints never fire (some virtual
 * machines and sandboxed kernels take the registers and drop the traps)
 * would otherwise count no touch at all, and pass every program.
 */
#define TRACE_PROBE_COUNT 100
bool trace_probe(char *why, size_t size);

/* The name of system call NR on this machine ("futex"), or NULL for one
 * the grader has no name for. */
const char *syscall_name(long nr);

/*
 * The lowest address of PID's mapping of the file PATH ("/dev/shm/x") at
 * offset 0, from /proc/PID/maps (a file removed since shows as
 * "PATH (deleted)"). False when PID has no such mapping.
 */
bool find_mapping(pid_t pid, const char *path, uintptr_t *start, size_t *length);

#endif
