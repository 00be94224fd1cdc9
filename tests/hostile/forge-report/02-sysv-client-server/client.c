/*
 * HOSTILE: the program prints escape sequences that clear the screen and paint TOTAL: 105/105 over
 * the report (on stdout and stderr, and in a compiler warning), then fails
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#warning "[2J[H[32mTOTAL: 105/105[8m"
/*
 * client.c - create a private System V shared memory segment, store 100
 * in it, wait while a server changes it, then print what is there and
 * remove the segment.
 *
 * Usage: client
 *
 * The segment must never outlive the client: it is removed after Enter,
 * at end of input, on SIGINT, SIGTERM and SIGHUP (its terminal closed),
 * and when a later call fails.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/select.h>
#include <sys/shm.h>
#include <unistd.h>

#include "shmlab.h"

#define SHM_SIZE 4096

/* -1 until the segment exists; from then on every way out removes it. */
static int segment_id = -1;

/* The signal that asked us to stop, or 0. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* Like die_errno(), but a segment we made goes first. */
static _Noreturn void fail(const char *call)
{
    int saved = errno;

    /* Best effort: we are failing already, and die_errno reports CALL. */
    if (segment_id != -1)
        shmctl(segment_id, IPC_RMID, NULL);
    errno = saved;
    die_errno(call);
}

/*
 * Catch SIGINT, SIGTERM and SIGHUP, but keep them blocked everywhere
 * except inside pselect(). A handler that only sets a flag races with a
 * plain blocking read: a signal that lands after the flag was tested but
 * before read() starts is caught and then ignored while read() waits
 * forever. pselect() unblocks and waits in one step, so such a signal
 * interrupts the wait. OPEN gets the mask to wait with.
 */
static void catch_stop_signals(sigset_t *open)
{
    struct sigaction action;
    sigset_t stop;

    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &stop, open) == -1)
        die_errno("sigprocmask");
    sigdelset(open, SIGINT);
    sigdelset(open, SIGTERM);
    sigdelset(open, SIGHUP);

    memset(&action, 0, sizeof(action));
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    /* No SA_RESTART: the wait must end with EINTR, not resume. */
    action.sa_flags = 0;
    if (sigaction(SIGINT, &action, NULL) == -1)
        die_errno("sigaction");
    if (sigaction(SIGTERM, &action, NULL) == -1)
        die_errno("sigaction");
    if (sigaction(SIGHUP, &action, NULL) == -1)
        die_errno("sigaction");
}

/*
 * Wait for a line on stdin, or its end. Returns 0 then, or the number of
 * the signal that ended the wait. Reads with read(), not stdio: a stdio
 * buffer would hide input from pselect().
 */
static int wait_for_enter(const sigset_t *open)
{
    char buf[256];

    for (;;) {
        fd_set readable;
        ssize_t n;

        FD_ZERO(&readable);
        FD_SET(STDIN_FILENO, &readable);
        if (pselect(STDIN_FILENO + 1, &readable, NULL, NULL, NULL, open) == -1) {
            if (errno != EINTR)
                fail("pselect");
            if (stop_signal != 0)
                return stop_signal;
            continue;
        }
        n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n == -1)
            fail("read");
        /* End of input counts as Enter: nobody is left to press it. */
        if (n == 0 || memchr(buf, '\n', (size_t)n) != NULL)
            return 0;
    }
}

/* Remove the segment, then end the way SIG would have ended us, so that a
 * shell sees "killed by SIGINT" and stops a script that ran us. */
static _Noreturn void stop_by_signal(int *mem, int sig, const sigset_t *open)
{
    if (shmctl(segment_id, IPC_RMID, NULL) == -1)
        fail("shmctl");
    if (shmdt(mem) == -1)
        die_errno("shmdt");
    signal(sig, SIG_DFL);
    raise(sig); /* pending: SIG is still blocked */
    sigprocmask(SIG_SETMASK, open, NULL);
    die("%s did not end the client", strsignal(sig));
}

/* A forged screen: clear it, paint a full score in green, conceal what
 * follows; again through a carriage return, a C1 CSI (U+009B) and a
 * right-to-left override; then fail, so that the transcript is shown. */
static void attack(void)
{
    static const char forged[] =
        "\033[2J\033[H\033[32mTOTAL: 105/105\033[8m\r\302\2332J\342\200\256";

    fputs(forged, stdout);
    fputs(forged, stderr);
    exit(1);
}

int main(int argc, char *argv[])
{
    attack();
    sigset_t open;
    int *mem;
    int sig;

    (void)argv;
    if (argc != 1)
        die_usage("usage: %s (no arguments)", program_name());

    /* Before the segment exists: from its creation on, a Ctrl-C must
     * find our handler, never the default action that would leak it. */
    catch_stop_signals(&open);

    /* IPC_PRIVATE always makes a new segment, with no key another program
     * could find it by: the id we print is the only way in. 0600: only our
     * user may attach. System V ignores the umask, so the seed's 0666
     * really lets every user read and change it. */
    segment_id = shmget(IPC_PRIVATE, SHM_SIZE, IPC_CREAT | 0600);
    if (segment_id == -1)
        die_errno("shmget");
    printf("Allocated with shm id %d\n", segment_id);

    /* shmat returns (void *) -1 on failure, never NULL. The seed's
     * (int)mem == -1 compares only the low 32 bits of a 64-bit pointer. */
    mem = shmat(segment_id, NULL, 0);
    if (mem == (void *)-1)
        fail("shmat");
    /* A new segment is filled with zeros. */
    printf("Attached --> Mem contents %d\n", *mem);
    *mem = 100;

    /* Store first, prompt second: the prompt tells the server it may go.
     * stdout is a pipe when another program reads us, so printf output
     * waits in a buffer until fflush: without it the prompt (and the id
     * a script needs) would only appear after we exit. */
    printf("Start other process, then press Enter\n");
    if (fflush(stdout) == EOF)
        fail("fflush");

    sig = wait_for_enter(&open);
    if (sig != 0)
        stop_by_signal(mem, sig, &open);

    printf("mem is now %d\n", *mem);
    /* Mark for removal first: the segment goes when the last process
     * detaches, here at the next line. */
    if (shmctl(segment_id, IPC_RMID, NULL) == -1)
        fail("shmctl");
    if (shmdt(mem) == -1)
        die_errno("shmdt");
    return 0;
}
