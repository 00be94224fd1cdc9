/* check_trace.c - counting a program's system calls and touches of
 * watched words (ptrace and hardware watchpoints), and refusing to count
 * where the kernel will not let the grader do it right. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/trace.h"
#include "suites.h"

#define TOUCHES 250

/* pthread_create uses clone3 where the kernel has it. */
#ifdef SYS_clone3
#define CLONE3 SYS_clone3
#else
#define CLONE3 SYS_clone
#endif

static _Alignas(TRACE_WATCH_BYTES) volatile uint64_t watched_word;

static void *read_the_word(void *arg)
{
    uint64_t *sum = arg;

    for (int i = 0; i < TOUCHES; i++)
        *sum += watched_word;
    return NULL;
}

/* What a program may have set going before counting began. */
enum before { ITSELF, THREAD_AFTER, THREAD_BEFORE, CHILD_BEFORE, UNTRACED_AFTER };

static int untraced_child(void *unused)
{
    (void)unused;
    return 0;
}

/*
 * A child that leads a session (as every program the grader runs), sets
 * going what BEFORE names, stops itself, then reads the watched word
 * TOUCHES times and makes TOUCHES getppid calls: itself, or in a thread
 * it makes (THREAD_AFTER), or by a thread or a child it made before it
 * stopped (the child waits on a shared flag), or itself after making a
 * process the kernel will not let a tracer follow (UNTRACED_AFTER).
 */
static pid_t stopped_child(enum before before)
{
    pid_t pid = fork();
    int status;

    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        static char stack[1 << 16];
        _Atomic int *go =
            mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        uint64_t sum = 0;
        pthread_t thread;
        pid_t helper = 0;

        if (go == MAP_FAILED || setsid() < 0)
            _exit(2);
        if (before == THREAD_BEFORE && pthread_create(&thread, NULL, read_the_word, &sum) != 0)
            _exit(2);
        if (before == CHILD_BEFORE && (helper = fork()) == 0) {
            while (*go == 0)
                ;
            for (int i = 0; i < TOUCHES; i++)
                syscall(SYS_getppid);
            _exit(0);
        }
        raise(SIGSTOP);
        *go = 1;
        if (before == THREAD_AFTER && pthread_create(&thread, NULL, read_the_word, &sum) != 0)
            _exit(2);
        if ((before == THREAD_BEFORE || before == THREAD_AFTER) && pthread_join(thread, NULL) != 0)
            _exit(2);
        if (before == ITSELF || before == UNTRACED_AFTER)
            read_the_word(&sum);
        if (before == CHILD_BEFORE && waitpid(helper, NULL, 0) != helper)
            _exit(2);
        if (before == UNTRACED_AFTER) {
            pid_t untraced = clone(untraced_child, stack + sizeof(stack),
                                   CLONE_VM | CLONE_UNTRACED | SIGCHLD, NULL);
            if (untraced < 0 || waitpid(untraced, NULL, 0) != untraced)
                _exit(2);
        }
        if (before != CHILD_BEFORE)
            for (int i = 0; i < TOUCHES; i++)
                syscall(SYS_getppid);
        _exit(sum == 0 ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
    ck_assert(WIFSTOPPED(status));
    return pid;
}

/* Count CHILD (stopped) from SIGCONT to its end, watching the word. */
static void count_child(pid_t child, struct trace_counts *counts)
{
    uintptr_t watch = (uintptr_t)&watched_word;
    char why[256] = "";
    struct trace *trace = trace_start(child, &watch, 1, why, sizeof(why));
    int status;

    ck_assert_msg(trace != NULL, "trace_start: %s", why);
    ck_assert_int_eq(kill(child, SIGCONT), 0);
    ck_assert(trace_finish(trace, counts, 30000));
    trace_free(trace);
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert(counts->ended);
    ck_assert_str_eq(counts->error, "");
}

/* A child set going as BEFORE says, counted from start to end, into
 * COUNTS (zeroed first). */
static void count_new_child(enum before before, struct trace_counts *counts)
{
    memset(counts, 0, sizeof(*counts));
    count_child(stopped_child(before), counts);
}

/* The counts of a child set going as BEFORE says; the caller frees them. */
static struct trace_counts *counts_of_child(enum before before)
{
    struct trace_counts *counts = malloc(sizeof(*counts));

    ck_assert_ptr_nonnull(counts);
    count_new_child(before, counts);
    return counts;
}

/* Each of the child's TOUCHES getppid() calls and touches of the
 * watched word was counted, once. */
static void expect_every_touch_counted(const struct trace_counts *counts)
{
    ck_assert_int_eq(counts->watch_hits, TOUCHES);
    ck_assert_int_eq(counts->by_number[SYS_getppid], TOUCHES);
}

START_TEST(every_call_and_every_touch_is_counted_exactly)
{
    struct trace_counts *counts = counts_of_child(ITSELF);

    ck_assert_int_eq(counts->by_number[SYS_getppid], TOUCHES);
    ck_assert_int_ge(counts->syscalls, TOUCHES + 1); /* and exit_group */
    ck_assert_int_eq(counts->by_number[SYS_exit_group], 1);
    ck_assert_int_eq(counts->watch_hits, TOUCHES);
    ck_assert_str_eq(syscall_name(SYS_getppid), "getppid");
    free(counts);
}
END_TEST

/* Debug registers are per thread: a thread made after counting started
 * gets the watchpoints too, or its touches would go uncounted. */
START_TEST(a_thread_made_while_counting_is_watched_too)
{
    struct trace_counts *counts = counts_of_child(THREAD_AFTER);

    expect_every_touch_counted(counts);
    ck_assert_int_ge(counts->by_number[SYS_clone] + counts->by_number[CLONE3], 1);
    free(counts);
}
END_TEST

/*
 * What a program set going before counting began is counted too: a
 * thread (its touches of the watched word as well), a child of its
 * session. The helper follows every thread and every process of the
 * session, not only the one it stopped.
 */
START_TEST(a_thread_or_child_made_before_counting_is_counted_too)
{
    struct trace_counts *counts = counts_of_child(THREAD_BEFORE);

    expect_every_touch_counted(counts);
    count_new_child(CHILD_BEFORE, counts);
    ck_assert_int_eq(counts->by_number[SYS_getppid], TOUCHES);
    ck_assert_str_eq(counts->evaded, "");
    free(counts);
}
END_TEST

/* What no count can stand for is said, never counted as nothing: a
 * process made with CLONE_UNTRACED (which the kernel does not let the
 * helper follow). */
START_TEST(a_process_the_helper_cannot_follow_is_said)
{
    struct trace_counts *counts = counts_of_child(UNTRACED_AFTER);

    ck_assert_msg(strstr(counts->evaded, "CLONE_UNTRACED") != NULL, "evaded: '%s'", counts->evaded);
    free(counts);
}
END_TEST

START_TEST(the_probe_passes_where_counting_works)
{
    char why[256] = "";

    ck_assert_msg(trace_probe(why, sizeof(why)), "trace_probe: %s", why);
}
END_TEST

/* A container whose seccomp profile forbids ptrace: the probe says so,
 * naming the call, instead of counting nothing (which would pass every
 * program). */
START_TEST(without_ptrace_the_probe_refuses_naming_the_call)
{
    int fds[2], status;
    pid_t pid;
    char why[256] = "";

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
        bool counted;

        if (filter == NULL ||
            seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0) != 0 ||
            seccomp_load(filter) != 0)
            _exit(2);
        counted = trace_probe(why, sizeof(why));
        if (write(fds[1], why, strlen(why)) < 0)
            _exit(3);
        _exit(counted ? 1 : 0);
    }
    close(fds[1]);
    ck_assert_int_ge(read(fds[0], why, sizeof(why) - 1), 0);
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_msg(WEXITSTATUS(status) == 0, "status %d, why: %s", WEXITSTATUS(status), why);
    ck_assert_msg(strstr(why, "ptrace(PTRACE_SEIZE)") != NULL &&
                      strstr(why, strerror(EPERM)) != NULL,
                  "%s", why);
}
END_TEST

START_TEST(a_process_that_is_gone_is_refused)
{
    pid_t pid = fork();
    char why[256] = "";

    ck_assert_int_ne(pid, -1);
    if (pid == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    ck_assert_ptr_null(trace_start(pid, NULL, 0, why, sizeof(why)));
    ck_assert_msg(strstr(why, "ptrace(PTRACE_SEIZE)") != NULL, "%s", why);
}
END_TEST

START_TEST(misaligned_or_too_many_watches_are_refused)
{
    uintptr_t watch[TRACE_MAX_WATCHES + 1] = {(uintptr_t)&watched_word + 4};
    char why[256] = "";

    ck_assert_ptr_null(trace_start(getpid(), watch, 1, why, sizeof(why)));
    ck_assert_msg(strstr(why, "not 8-byte aligned") != NULL, "%s", why);
    ck_assert_ptr_null(trace_start(getpid(), watch, TRACE_MAX_WATCHES + 1, why, sizeof(why)));
    ck_assert_msg(strstr(why, "watchpoints asked for") != NULL, "%s", why);
}
END_TEST

START_TEST(a_shared_mapping_is_found_by_its_path)
{
    char name[64], path[80];
    uintptr_t start = 0;
    size_t length = 0;
    void *at;
    int fd;

    snprintf(name, sizeof(name), "/shmlab-check-trace-%d", (int)getpid());
    snprintf(path, sizeof(path), "/dev/shm%s", name);
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 8192), 0);
    at = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ck_assert_ptr_ne(at, MAP_FAILED);
    close(fd);
    ck_assert(find_mapping(getpid(), path, &start, &length));
    ck_assert_ptr_eq((void *)start, at);
    ck_assert_uint_eq(length, 8192);
    ck_assert_int_eq(shm_unlink(name), 0);
    /* Removed, it shows as "PATH (deleted)", and is still found. */
    ck_assert(find_mapping(getpid(), path, &start, &length));
    ck_assert_int_eq(munmap(at, 8192), 0);
    ck_assert(!find_mapping(getpid(), path, &start, &length));
}
END_TEST

Suite *trace_suite(void)
{
    return SUITE_OF(
        "trace", 60, every_call_and_every_touch_is_counted_exactly,
        a_thread_made_while_counting_is_watched_too,
        a_thread_or_child_made_before_counting_is_counted_too,
        a_process_the_helper_cannot_follow_is_said, the_probe_passes_where_counting_works,
        without_ptrace_the_probe_refuses_naming_the_call, a_process_that_is_gone_is_refused,
        misaligned_or_too_many_watches_are_refused, a_shared_mapping_is_found_by_its_path);
}
