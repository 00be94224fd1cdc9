/*
 * syscalls.c - the system calls no student program may make, refused by a
 * seccomp filter (libseccomp) in every isolation level.
 *
 * The kernel's keyrings: every program gets a fresh session keyring
 * (confine.c), but the user keyring is one for all the programs of a user,
 * and outlives them: a writer could leave the message there and the
 * reader take it, past every check of what carried it
 * (harness/channels.c); and where the programs run as the grader's own
 * user, the keys there are the instructor's. No lab needs a key, so
 * add_key, keyctl and request_key fail with EPERM, whatever they ask.
 *
 * The terminal: TIOCSTI pushes bytes into a terminal's input, and
 * TIOCLINUX pastes a virtual console's selection there. A program has no
 * controlling terminal (proc.c's session of its own), so the kernel
 * already refuses the first; the filter refuses both on any descriptor
 * as well, so that no terminal a program might find is one it can type into.
 *
 * Counting (core/trace.c): the grader follows a program with ptrace and
 * hardware watchpoints; perf_event_open could take the debug registers
 * the watchpoints need. No lab needs it: it fails with EPERM.
 *
 * Only the native architecture's system calls run at all: another one's
 * (int 0x80 on x86-64) kills the program, so no second table of numbers
 * goes around the rules.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/keyctl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/state.h"

/* An ioctl's request is an int: the upper half of the register must not
 * hide a refused request (CVE-2019-10063). */
#define REQUEST_MASK 0xffffffffu

static const int REFUSED_CALLS[] = {SCMP_SYS(add_key), SCMP_SYS(keyctl), SCMP_SYS(request_key),
                                    SCMP_SYS(perf_event_open)};
static const unsigned long TERMINAL_REQUESTS[] = {TIOCSTI, TIOCLINUX};

/* The filter of this module, in CTX: 0, or a negative errno. */
static int add_rules(scmp_filter_ctx ctx)
{
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);

    for (size_t i = 0; rc == 0 && i < sizeof(REFUSED_CALLS) / sizeof(REFUSED_CALLS[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), REFUSED_CALLS[i], 0);
    for (size_t i = 0; rc == 0 && i < sizeof(TERMINAL_REQUESTS) / sizeof(TERMINAL_REQUESTS[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, REQUEST_MASK, TERMINAL_REQUESTS[i]));
    return rc;
}

/* Is the filter in force? Each kind of refused call, tried: the filter
 * answers before the kernel looks at the arguments, so EPERM can only be
 * the filter's. */
static bool filter_in_force(void)
{
    errno = 0;
    if (syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) != -1 ||
        errno != EPERM)
        return false;
    errno = 0;
    return ioctl(-1, TIOCSTI, "") == -1 && errno == EPERM;
}

int refuse_system_calls(char *why, size_t size)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc;

    if (ctx == NULL) {
        snprintf(why, size, "sandbox: seccomp_init failed");
        return -1;
    }
    rc = add_rules(ctx);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc < 0) {
        snprintf(why, size,
                 "sandbox: seccomp filter (no keyrings, no terminal input, no debug registers): %s",
                 strerror(-rc));
        return -1;
    }
    if (!filter_in_force()) {
        snprintf(why, size,
                 "sandbox: the seccomp filter did not take: keyctl or ioctl(TIOCSTI) is not "
                 "refused");
        return -1;
    }
    return 0;
}
