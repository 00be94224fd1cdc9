/*
 * lab_helpers_03.c - harness helpers first needed by lab 03: following
 * output too long to capture. Declared at the end of harness.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "harness/harness.h"

/* Hand each complete line in BUF[0..*LEN) to ON_LINE and keep the rest;
 * false if ON_LINE asked to stop. BUF has room for CAP bytes and a NUL; a
 * line longer than CAP is handed over cut. */
static bool deliver_lines(char *buf, size_t *len, size_t cap, bool final,
                          bool (*on_line)(const char *line, void *arg), void *arg, bool *any)
{
    size_t start = 0;

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
        if (!on_line(buf + start, arg))
            return false;
        start = nl != NULL ? end + 1 : end;
    }
    memmove(buf, buf + start, *len - start);
    *len -= start;
    return true;
}

/* Read what the processes in DRAIN wrote, so they never block on a pipe. */
static void drain_all(struct proc *const drain[])
{
    for (size_t i = 0; drain != NULL && drain[i] != NULL; i++)
        proc_wait(drain[i], 0);
}

enum follow_end follow_stdout_lines(struct proc *p, struct proc *const drain[], int stall_ms,
                                    int total_ms, bool (*on_line)(const char *line, void *arg),
                                    void *arg)
{
    char buf[8192 + 1];
    const size_t cap = sizeof(buf) - 1;
    size_t len = 0;
    long long deadline, last_line = now_ms();

    /* Under valgrind every program is slower: wait as much longer. */
    stall_ms = scaled_timeout_ms(stall_ms);
    total_ms = scaled_timeout_ms(total_ms);
    deadline = now_ms() + total_ms;

    for (;;) {
        for (;;) {
            ssize_t n = p->stdout_fd >= 0 ? read(p->stdout_fd, buf + len, cap - len) : 0;
            bool any = false;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (n <= 0) { /* the end of its output: the last line may lack \n */
                if (!deliver_lines(buf, &len, cap, true, on_line, arg, &any))
                    return FOLLOW_STOPPED;
                drain_all(drain);
                return FOLLOW_EOF;
            }
            len += (size_t)n;
            if (!deliver_lines(buf, &len, cap, false, on_line, arg, &any))
                return FOLLOW_STOPPED;
            if (any)
                last_line = now_ms();
        }
        drain_all(drain);

        long long now = now_ms(), wake = last_line + stall_ms;
        if (now >= deadline)
            return FOLLOW_TIMED_OUT;
        if (now >= wake)
            return FOLLOW_STALLED;
        if (wake > deadline)
            wake = deadline;

        struct pollfd fds[1 + 2 * 8];
        nfds_t n = 0;
        fds[n++] = (struct pollfd){.fd = p->stdout_fd, .events = POLLIN};
        for (size_t i = 0; drain != NULL && drain[i] != NULL && i < 8; i++) {
            if (drain[i]->stdout_fd >= 0)
                fds[n++] = (struct pollfd){.fd = drain[i]->stdout_fd, .events = POLLIN};
            if (drain[i]->stderr_fd >= 0)
                fds[n++] = (struct pollfd){.fd = drain[i]->stderr_fd, .events = POLLIN};
        }
        long long left = wake - now;
        if (poll(fds, n, left > 60000 ? 60000 : (int)left) < 0 && errno != EINTR)
            return FOLLOW_STALLED;
    }
}
