/*
 * harness.h - what a lab's tests.c is written against.
 *
 * A lab is a table of tests; each test is a promise of the handout with
 * points, a title and a hint, and a body of a few steps that read like the
 * promise, in the manner of check50:
 *
 *     static void round_trip(struct test_ctx *t)
 *     {
 *         const char *name = unique_shm_name(t);
 *         expect_run(t, ARGS("writer", name, "hello"), EXIT(0),
 *                    STDOUT("Data written to shared memory: hello\n"));
 *         expect_run(t, ARGS("reader", name), EXIT(0), STDOUT("Received: hello\n"));
 *     }
 *
 * Every expect_*() step stops the test at its first failure, with a
 * message that says what the handout asks and what happened (expected
 * and actual lines, a marker under the first difference, invisible
 * characters made visible), and the transcript of the program once.
 *
 * Every test runs in a process of its own, forked by the grader; whatever
 * it started is killed when it ends, and everything it left is removed.
 * While a step waits for anything, the harness reads the output of every
 * program the test started, so no program ever blocks on a full pipe.
 */
#ifndef SHMGRADE_HARNESS_H
#define SHMGRADE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/ipc.h"
#include "core/proc.h"
#include "core/trace.h"

#include "harness/lab.h"

/* --- recording ------------------------------------------------------------ */

/*
 * Record a failure (the formatted message says what was expected and what
 * happened) unless COND holds. Returns COND, so a test can go on.
 */
bool check(struct test_ctx *t, bool cond, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Like check(), but a failure ends the test at once. */
#define require(t, cond, ...)                                                                      \
    do {                                                                                           \
        if (!check((t), (cond), __VA_ARGS__))                                                      \
            test_end(t);                                                                           \
    } while (0)

/* Record a failure and end the test. */
_Noreturn void fail(struct test_ctx *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Add a line of context to the test's output (shown with its verdict). */
void note(struct test_ctx *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* End the test now. */
_Noreturn void test_end(struct test_ctx *t);

/* Has any check of this test failed so far? */
bool test_failed(const struct test_ctx *t);

/* A formatted string that lives until the test ends. */
const char *textf(struct test_ctx *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* VALUE, a number the test learnt as it ran (an id a program printed, a
 * segment the grader made), as a program's argument: the replay script
 * passes the variable that holds it there, not this run's number. Every
 * other argument is replayed as written, even one equal to such a number
 * (a count of 0 is no segment id 0). */
const char *learnt_number_arg(struct test_ctx *t, long value);

/* --- names, keys and the programs' environment ------------------------- */

/*
 * A POSIX shm name unique to this test ("/shmlab-..."). The harness
 * removes the object when the test ends, so a submission that forgets
 * shm_unlink loses only the test that checks for it.
 */
const char *unique_shm_name(struct test_ctx *t);

/* A System V key unique to this test; what is left at it is removed when
 * the test ends. */
key_t unique_ipc_key(struct test_ctx *t);

/* unique_ipc_key(), also handed to every program the test starts from
 * now on as SHMLAB_KEY (labs/common/shmlab.h: shmlab_key()). */
key_t use_unique_ipc_key(struct test_ctx *t);

/* Hand KEY (from unique_ipc_key()) to every program the test starts from
 * now on as SHMLAB_KEY: for tests that run several exchanges at once,
 * each at a key of its own. */
void use_ipc_key(struct test_ctx *t, key_t key);

/* "NAME=VALUE" in the environment of every program started from now on
 * (replacing an earlier NAME). */
void set_program_env(struct test_ctx *t, const char *entry);

/*
 * The user the student's programs run as: a user of their own when the
 * grader runs as root, else the grader's. An IPC object the grader makes
 * for them must be given to this user (IPC_SET), or a mode of 0600 keeps
 * them out.
 */
uid_t student_uid(void);

/* --- steps: the student's programs ---------------------------------------- */

/*
 * One step: what to run, with which input, and what the handout promises
 * about its end. Written with the macros below, in any order:
 *
 *   ARGS("writer", name, msg)  the program (built in the lab folder) and
 *                              its arguments
 *   STDIN("text\n")            its whole input (default: none at all)
 *   KEEP_STDIN                 input stays open for send_line()
 *   EXIT(0)                    it exits with this status
 *   STDOUT("a\nb\n")           its stdout is exactly these lines
 *   STDOUT_HAS("line", ...)    its stdout has these lines, in this order,
 *                              among others
 *   NO_STDOUT                  it prints nothing on stdout
 *   ERROR("shm_open", ENOENT)  its last line on stderr names the call and
 *                              strerror() of the error (die_errno()'s form;
 *                              informational lines before it are allowed);
 *                              "semop|semtimedop": any one of these calls
 *   ERROR_MENTIONS("4095")     its last line on stderr contains this text
 *   ERROR_SAID                 it says on stderr what went wrong (its last
 *                              line, any text: no call failed to name)
 *   USAGE                      a usage error: exit 2, a message as its last
 *                              stderr line, nothing on stdout
 *   WITHIN_MS(n)               the step's time (default 5 s, scaled)
 *   STOP_AFTER("semget")       the program stops itself right after its
 *                              first semget() (or "semget:2", the second;
 *                              "stdout-line:1", its first line on stdout),
 *   STOP_BEFORE("stdin-read")  or right before: wait_stopped(), then do
 *                              what the unlucky moment needs, then resume()
 *                              ("wait": any call that may wait for input
 *                              or a signal, poll, pselect, fgets...)
 *   FAIL_CALL("shmat", ENOMEM) the program's first shmat() (or "shmat:2",
 *                              the second) is not made: it fails with
 *                              ENOMEM, for a failure path no friendly run
 *                              reaches
 *   STOP_AT_SLEEPS(1000)       a sleep of 1000 ms or more (sleep, usleep,
 *                              nanosleep, clock_nanosleep) stops the
 *                              program instead, every time: the test sees
 *                              where it pauses (has_stopped()), and once
 *                              resume()d it goes on as though the time had
 *                              passed; no test waits for the clock
 */
struct step {
    const char *const *argv;
    const char *stdin_text;
    bool keep_stdin;
    const char *const *env;
    bool check_exit;
    int exit_status;
    const char *stdout_text;
    const char *const *stdout_has;
    bool no_stdout;
    bool check_error;
    const char *error_call; /* NULL: any call; "a|b": a or b */
    int error_errno;
    const char *error_mentions;
    bool error_said;
    bool usage;
    int timeout_ms;
    const char *stop_after, *stop_before;
    const char *fail_call;
    int fail_errno;
    int stop_at_sleep_ms;
};

#define ARGS(...)                                                                                  \
    .argv = (const char *const[])                                                                  \
    {                                                                                              \
        __VA_ARGS__, NULL                                                                          \
    }
#define STDIN(text) .stdin_text = (text)
#define KEEP_STDIN  .keep_stdin = true
#define ENV(...)                                                                                   \
    .env = (const char *const[])                                                                   \
    {                                                                                              \
        __VA_ARGS__, NULL                                                                          \
    }
#define EXIT(status) .check_exit = true, .exit_status = (status)
#define STDOUT(text) .stdout_text = (text)
#define STDOUT_HAS(...)                                                                            \
    .stdout_has = (const char *const[])                                                            \
    {                                                                                              \
        __VA_ARGS__, NULL                                                                          \
    }
#define NO_STDOUT               .no_stdout = true
#define ERROR(call, errnum)     .check_error = true, .error_call = (call), .error_errno = (errnum)
#define STOP_AFTER(event)       .stop_after = (event)
#define STOP_BEFORE(event)      .stop_before = (event)
#define STOP_AT_SLEEPS(ms)      .stop_at_sleep_ms = (ms)
#define FAIL_CALL(call, errnum) .fail_call = (call), .fail_errno = (errnum)
#define ERROR_MENTIONS(text)    .error_mentions = (text)
#define ERROR_SAID              .error_said = true
#define USAGE                   .usage = true
#define WITHIN_MS(ms)           .timeout_ms = (ms)

/* Run a program to its end and check what the step promises. */
#define expect_run(t, ...) step_run((t), &(const struct step){__VA_ARGS__})
/* Start a program and go on while it runs (no expectations yet). */
#define start(t, ...) step_start((t), &(const struct step){__VA_ARGS__})
/* Wait for a started program to end and check what the step promises. */
#define expect_end(t, p, ...) step_expect_end((t), (p), &(const struct step){__VA_ARGS__})

struct proc *step_run(struct test_ctx *t, const struct step *step);
struct proc *step_start(struct test_ctx *t, const struct step *step);
void step_expect_end(struct test_ctx *t, struct proc *p, const struct step *step);

/*
 * Wait for a line on P's stdout that matches the extended regular
 * expression PATTERN (lines before it are passed over); the line, which
 * lives until the test ends. Fails the test if none comes within the step
 * time or P ends first.
 */
const char *await_line(struct test_ctx *t, struct proc *p, const char *pattern);

/* await_line() for a PATTERN with one group of digits: their value. */
long await_number(struct test_ctx *t, struct proc *p, const char *pattern);

/* P's next stdout line is exactly EXPECTED (shown against the actual line
 * when it is not). */
void expect_next_line(struct test_ctx *t, struct proc *p, const char *expected);

/* Send LINE and a newline to P's stdin (started with KEEP_STDIN). */
void send_line(struct test_ctx *t, struct proc *p, const char *line);

/* Close P's stdin: the program reads end of file (Ctrl-D). */
void close_stdin(struct test_ctx *t, struct proc *p);

/*
 * Wait until P is asleep in a system call: it waits for input, a
 * semaphore, a signal. A test that sends a signal or input at "the moment
 * the program waits" uses it, so the verdict never depends on whether the
 * signal came before or after the program got there. Returns the number
 * of the call it sleeps in (syscall_name() names it), or -1 when the
 * kernel does not say.
 */
long wait_blocked(struct test_ctx *t, struct proc *p);

/* Is P asleep in a system call now, as wait_blocked() waits for? Without
 * waiting: for wait_for() conditions. */
bool is_blocked(struct proc *p);

/* wait_blocked(), then send SIG to P's process group. A program stopped
 * at its stop point (STOP_AFTER, STOP_BEFORE) gets it at once, and
 * handles it when resume() lets it go on. */
void send_signal(struct test_ctx *t, struct proc *p, int sig);

/* Wait until P has stopped itself (STOP_AFTER, STOP_BEFORE). */
void wait_stopped(struct test_ctx *t, struct proc *p);

/* Let a stopped P go on. */
void resume(struct test_ctx *t, struct proc *p);

/* Stop P where it is, busy or asleep (SIGSTOP), and wait until it has
 * stopped: it makes no progress until resume(). For a test that must know
 * where a program is while another one runs. */
void stop_now(struct test_ctx *t, struct proc *p);

/*
 * Race exposure you can replay: run SCENARIO once per seeded schedule,
 * up to N schedules or until BUDGET_MS (scaled) is used, stopping at the
 * first that fails. Under a schedule every program pauses and yields at
 * random, seeded points where interleavings matter (grader/inject/
 * perturb.c). The seeds are the same every run, so a verdict never
 * depends on luck, and a failure names its seed: `shmgrade --seed N`
 * runs that schedule alone. SCENARIO must make its own names and keys.
 */
void under_schedules(struct test_ctx *t, int n, int budget_ms,
                     void (*scenario)(struct test_ctx *t));

/*
 * From now on, every shared mapping a program of T makes where the kernel
 * chooses the place (mmap of an object, shmat of a segment) is followed by
 * a page it may not touch (grader/inject/perturb.c): a program that reads
 * or writes past the end of an object dies of SIGSEGV on every run,
 * instead of reaching whatever memory happens to lie next to it.
 */
void guard_mappings(struct test_ctx *t);

/* Has P ended (without waiting)? */
bool has_ended(struct proc *p);

/* Wait up to TIMEOUT_MS (0: the step time; scaled) for P to end, draining
 * every program: false if it is still running then (it goes on running;
 * the test decides what that means). */
bool wait_end(struct test_ctx *t, struct proc *p, int timeout_ms);

/*
 * Read P's stdout line by line as it is written: for programs that print
 * more than a capture holds. Each line, without its newline, goes to
 * ON_LINE; returning false stops. Every stream of every program of the
 * test is drained meanwhile (a program that writes much to stderr never
 * blocks), and P's transcript still shows its last lines. STALL_MS and
 * TOTAL_MS are scaled.
 */
enum follow_end follow_stdout(struct test_ctx *t, struct proc *p, int stall_ms, int total_ms,
                              bool (*on_line)(const char *line, void *arg), void *arg);

/* Show P's command, how it ended and its output in the test's report
 * (once per program). */
void show_transcript(struct test_ctx *t, struct proc *p);

/* Record a failure about P (the message says what the handout asks and
 * what happened), show P's transcript, and end the test. */
_Noreturn void fail_about(struct test_ctx *t, struct proc *p, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Show how a line differs from the expected one: both in quotes with
 * invisible characters made visible, and a marker under the first
 * difference. EXPECTED NULL: the output should have ended before ACTUAL;
 * ACTUAL NULL: it ended where EXPECTED was due. */
void show_mismatch(struct test_ctx *t, const char *expected, const char *actual);

/* --- counting what a program does (counting.c) ------------------------------ */

/*
 * Counts are verdicts that timing cannot change: how many system calls a
 * program makes for some work, how often it touches a word of shared
 * memory. The grader follows the program from a stop point to its end
 * (grader/core/trace.h: the kernel's own counts, through ptrace).
 */
struct counting;

/*
 * Start counting what P does, P being stopped at its stop point
 * (wait_stopped()): its system calls, and, when SHM_NAME is not NULL, its
 * reads and writes of the WATCH_BYTES bytes (8, 16, 24 or 32) at offset
 * WATCH_OFFSET (a multiple of 8) of its mapping of the POSIX object
 * SHM_NAME. Then resume(P). A machine that does not let the grader count
 * (ptrace not permitted, no watchpoints) is a grader error, never a
 * verdict.
 */
struct counting *start_counting(struct test_ctx *t, struct proc *p, const char *shm_name,
                                size_t watch_offset, size_t watch_bytes);

/* Wait for P to end (within the step's time; a hang fails the test) and
 * give what was counted. */
const struct trace_counts *counted(struct test_ctx *t, struct counting *c);

/* The calls counted most, for a message: "2000 futex, 3 write, 1 munmap". */
const char *count_breakdown(struct test_ctx *t, const struct trace_counts *counts);

/* --- what the grader sees for itself ------------------------------------- */

/* The POSIX object NAME exists with SIZE bytes and MODE; WHEN says at
 * what point of the test ("while it waits for the reader"). */
void expect_shm_object(struct test_ctx *t, const char *name, long long size, unsigned mode,
                       const char *when);

/* No POSIX object NAME exists; WHEN says at what point, WHY what the
 * handout asks. */
void expect_no_shm_object(struct test_ctx *t, const char *name, const char *when, const char *why);

/*
 * The POSIX object NAME, made by the grader as a program of the lab would
 * leave it: SIZE bytes holding DATA[0..LEN), MODE, owned by the student's
 * user. Removed when the test ends.
 */
void make_shm_object(struct test_ctx *t, const char *name, const void *data, size_t len,
                     size_t size, unsigned mode);

/* The bytes of the POSIX object NAME, as the grader reads them itself
 * (*SIZE gets how many; they live until the test ends). Fails the test
 * if there is no such object; WHEN says at what point of the test. */
const unsigned char *read_shm_object(struct test_ctx *t, const char *name, size_t *size,
                                     const char *when);

/*
 * The POSIX object NAME is the only way a message could have travelled
 * between the test's programs up to now: they left no file made or
 * changed in the working folder, none of their user's in /tmp, /var/tmp,
 * /dev/shm (other than the objects the test named) or /dev/mqueue, no
 * System V object, no extended attribute on NAME, and no process still
 * running that a running program does not account for. WHEN says at what
 * point ("after the writer ended"). With the grader reading the object
 * and planting one for the other side, this catches programs that keep a
 * second copy of the message elsewhere and prefer it.
 */
void expect_only_channel(struct test_ctx *t, const char *name, const char *when);

/*
 * A System V segment the grader makes for the student's programs (a
 * server to attach), holding the int VALUE, attached by the grader at
 * *MEM and given to the student's user; removed when the test ends.
 */
int make_segment(struct test_ctx *t, size_t size, int value, volatile int **mem);

/*
 * A System V segment of SIZE bytes (zeros) at KEY, made by the grader as
 * the program of the lab that creates it would (IPC_CREAT | IPC_EXCL,
 * mode 0600, the student's user its owner), and attached by the grader at
 * *MEM to play that program. Removed when the test ends, unless the
 * programs removed it. Its id.
 */
int make_segment_at(struct test_ctx *t, key_t key, size_t size, void **mem);

/*
 * The grader attaches segment ID, which a program made, to play the
 * program's partner through it; WHOSE says where the id comes from ("the
 * id the producer printed"). Detached when the test ends. Fails the test
 * if the grader cannot attach it.
 */
void *attach_segment(struct test_ctx *t, int id, const char *whose);

/* Detach the grader from its segment ID and remove it: ID is then an id
 * that no segment has. */
void remove_segment(struct test_ctx *t, int id);

/* No System V segment ID exists any more; WHEN says at what point, WHY
 * what the handout asks. */
void expect_no_segment(struct test_ctx *t, int id, const char *when, const char *why);

/* No System V segment that P created is left; WHEN says at what point. */
void expect_no_segment_made_by(struct test_ctx *t, struct proc *p, const char *when);

/* Is there a segment ID, whoever's it is (also one the grader may not
 * IPC_STAT)? True when the grader cannot tell. */
bool segment_exists(int id);

/* How many processes are attached to segment ID; -1 if there is none. */
long segment_attaches(int id);

/*
 * The grader plays a program's partner on a segment a program made: it
 * attaches segment ID, reads the int at its start, stores VALUE there and
 * detaches. Returns what the segment held. Fails the test if the grader
 * cannot attach.
 */
int exchange_segment_int(struct test_ctx *t, int id, int value);

/*
 * The grader as one side of a struct in a segment (lab 03's flag
 * protocol): segment ID, attached by the grader at BASE (make_segment_at,
 * attach_segment). Each store and wait is a step of the replay script
 * too, which stores and waits the same way through shmgrade --ipc.
 */

/* The int at OFFSET (an acquire load): a look, no step of its own. */
int segment_int(const void *base, size_t offset);

/* Store VALUE in the int at OFFSET (a release store). */
void store_segment_int(struct test_ctx *t, int id, void *base, size_t offset, int value);

/* Store the LEN bytes of DATA at OFFSET (the store that publishes them
 * comes after, with store_segment_int). */
void store_segment_bytes(struct test_ctx *t, int id, void *base, size_t offset, const void *data,
                         size_t len);

/* Wait until the int at OFFSET is VALUE, or P ends (WHAT: "for the
 * producer to hand message 2 over"); true if it is VALUE. The replay
 * script fails there if the value does not come. */
bool await_segment_int(struct test_ctx *t, int id, const void *base, size_t offset, int value,
                       struct proc *p, const char *what);

/* The grader found the int at OFFSET to be VALUE, or waits for it, in a
 * place no step of the harness records (a wait_for() condition, a line
 * callback): the replay script waits for it at this point. */
void replay_segment_int(struct test_ctx *t, int id, size_t offset, int value, struct proc *p,
                        const char *what);

/* P printed LINE, seen where no step records it (a line callback of
 * follow_stdout): the replay script waits for that line at this point. */
void replay_line_seen(struct test_ctx *t, struct proc *p, const char *line);

/* How many processes wait on the semaphores of the set with KEY (GETNCNT
 * and GETZCNT of each): they are asleep in semop() there. 0 if there is
 * no such set. */
int semaphore_waiters(key_t key);

/*
 * Wait, draining every program's output, until DONE(ARG) holds (true) or
 * TIMEOUT_MS (scaled, and never past the test's own deadline) passes
 * (false). DONE is asked whenever a program prints or ends, and every few
 * milliseconds between, for states the kernel sends no event for.
 * WHAT says what the test waits for, should the test run out of time.
 */
bool wait_for(struct test_ctx *t, bool (*done)(void *arg), void *arg, int timeout_ms,
              const char *what);

/* --- System V objects at a key ----------------------------------------------- */

/*
 * The System V object of KIND (IPC_KIND_SYSV_SHM, _SEM or _MSG) with KEY
 * exists and has MODE; WHEN says at what point of the test ("while a
 * worker is inside"), WHY what a wrong mode would let others do.
 */
void expect_sysv_object(struct test_ctx *t, enum ipc_kind kind, key_t key, unsigned mode,
                        const char *when, const char *why);

/* No System V object of any kind has KEY (each one found is named); WHEN
 * says at what point, WHY what the handout asks. */
void expect_no_sysv_object(struct test_ctx *t, key_t key, const char *when, const char *why);

/* Remove the System V object of KIND with KEY, which must exist WHEN
 * (else the test fails): the programs using it find it gone. */
void remove_sysv_object(struct test_ctx *t, enum ipc_kind kind, key_t key, const char *when);

/* The System V object of KIND with KEY as the kernel shows it (its id,
 * creator, mode...), which must exist WHEN (else the test fails). */
struct ipc_object existing_sysv_object(struct test_ctx *t, enum ipc_kind kind, key_t key,
                                       const char *when);

/* The System V segment ID as IPC_STAT shows it; the test fails if there
 * is none. WHOSE says where the id comes from ("the id the producer
 * printed"): a program may print an id and use another key than SHMLAB_KEY. */
struct ipc_object expect_sysv_segment(struct test_ctx *t, int id, const char *whose);

/* --- several programs, and the semaphores they wait on ----------------------- */

/*
 * Has P printed a whole stdout line that no await_line() or
 * expect_next_line() has read yet? For wait_for() conditions.
 */
bool has_unread_line(const struct proc *p);

/*
 * Wait until each of the N programs PROCS waits on the semaphore set with
 * KEY (asleep in semop, as semaphore_waiters() shows) or has ended, and
 * return how many have ended. For a set on which only PROCS wait. Fails
 * the test, showing each transcript, if they do neither within TIMEOUT_MS;
 * WHEN says at what point they should wait ("while one worker is inside").
 */
size_t await_semaphore_queue(struct test_ctx *t, key_t key, struct proc *const *procs, size_t n,
                             int timeout_ms, const char *when);

/*
 * A deadlock among the N programs PROCS on the semaphore set with KEY:
 * every one of them still running waits on the set, so none of them can
 * give a semaphore back and none can ever end. For a set that only PROCS
 * use. deadlocked() is asked in wait_for() conditions; it holds once two
 * looks in a row have seen it (LOOKS counts them), so a look taken while
 * the programs change state is never enough. Start with looks = 0.
 * KEY ON_POSIX_SEMAPHORES: programs that wait on POSIX semaphores in
 * shared memory instead, each asleep on one (futex_wait_place()).
 */
#define ON_POSIX_SEMAPHORES IPC_PRIVATE
struct deadlock_watch {
    key_t key;
    struct proc *const *procs;
    size_t n;
    int looks;
};
bool deadlocked(struct deadlock_watch *watch);

/*
 * Wait until every one of the N programs PROCS has ended. Fails the test,
 * showing those still running, at once when they are deadlocked on the
 * semaphore set with KEY, or on POSIX semaphores (ON_POSIX_SEMAPHORES)
 * (CAUSES, if not NULL, says what usually leads there), or when
 * TIMEOUT_MS passes. Their exit statuses are not checked:
 * expect_end() on each does that at once.
 */
void await_all_end(struct test_ctx *t, key_t key, struct proc *const *procs, size_t n,
                   int timeout_ms, const char *causes);

/* --- POSIX semaphores in shared memory ---------------------------------------- */

/*
 * Where P sleeps in a futex wait, as a POSIX semaphore's wait (sem_wait,
 * sem_timedwait, sem_clockwait) does: the object in /dev/shm whose memory
 * holds the futex word ("/NAME" for a shm_open object, "/sem.NAME" for a
 * named semaphore) into OBJECT, and the word's offset in it; *TIMED (if
 * not NULL) says whether the wait ends by itself (sem_timedwait) or not
 * (sem_wait). False when P is not asleep in a futex wait on such an
 * object (it runs, it is stopped, it sleeps in another call).
 */
bool futex_wait_place(const struct proc *p, char *object, size_t size, size_t *offset, bool *timed);

/* How many of the N programs PROCS sleep on a POSIX semaphore in shared
 * memory (futex_wait_place()). */
size_t count_sleeping_on_semaphores(struct proc *const *procs, size_t n);

/* --- semaphore sets the grader makes ------------------------------------------ */

/*
 * A System V semaphore set of NSEMS semaphores with KEY and MODE, made by
 * the grader as a program that has just created it (IPC_CREAT | IPC_EXCL)
 * and not yet initialised it: its sem_otime is 0, and its values are
 * what the kernel gave it until set_semaphore_value(). Given to the
 * student's user; removed with the test's key when the test ends. Its id.
 */
int make_semaphore_set(struct test_ctx *t, key_t key, int nsems, unsigned mode);

/* SETVAL semaphore NUM of the set ID to VALUE (sem_otime stays as it is:
 * only a semop sets it). */
void set_semaphore_value(struct test_ctx *t, int id, int num, int value);

/* semop DELTA on semaphore NUM of the set ID, without SEM_UNDO and
 * without waiting (a DELTA that would wait is a grader error); it sets
 * sem_otime, which is how programs know the set is initialised. */
void change_semaphore_value(struct test_ctx *t, int id, int num, int delta);

/* The value of semaphore NUM of the set with KEY (GETVAL); -1 if there is
 * no such set or semaphore. */
int semaphore_value(key_t key, int num);

/* Has P stopped itself at its stop point (STOP_AFTER, STOP_BEFORE,
 * STOP_AT_SLEEPS), and not been resumed? Without waiting: for wait_for()
 * conditions. */
bool has_stopped(struct proc *p);

/* --- a program that waits on shared memory ------------------------------------ */

/* What a program did while the test held back what it waits for. */
enum waiting {
    WAITING,      /* it waits */
    WAIT_PRINTED, /* it printed a line that no await_line() has read */
    WAIT_ENDED,   /* it ended */
};

/*
 * Wait until P shows whether it waits for something that only another
 * program (here: the test) can do, such as a flag in shared memory that
 * the kernel knows nothing of. It counts as waiting once, since this
 * call, without printing a line or ending, it has gone to sleep again and
 * again (a loop that naps) or used some milliseconds of processor time (a
 * loop that spins or yields), or has slept through the step's time. Its own
 * counters decide, not the clock: a program that goes on instead prints
 * or ends long before it could count as waiting, however busy the
 * machine. The test then looks at what P left in the memory.
 */
enum waiting await_waiting(struct test_ctx *t, struct proc *p);

#endif
