/*
 * schedules.c - races exposed on purpose: seeded schedules and stop
 * points, carried out inside student programs by the preload library
 * (grader/inject/perturb.c).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness/context.h"

void harness_use_perturb_library(const char *path)
{
    harness_options.perturb_library = path;
}

void harness_use_seed(long seed)
{
    harness_options.only_seed = seed;
}

void harness_use_schedule_offset(long offset)
{
    harness_options.schedule_offset = offset;
}

/* The library every program of T must preload from now on. */
static void preload(struct test_ctx *t)
{
    if (harness_options.perturb_library == NULL)
        grader_error(t, "internal: this test exposes races with libshmlab-perturb.so, which the "
                        "grading run has not installed (prepare_injected_library)");
    set_program_env(t, textf(t, "LD_PRELOAD=%s", harness_options.perturb_library));
}

void add_perturb_env(struct test_ctx *t, const struct step *step, const char **env, size_t *n)
{
    if (step->stop_after == NULL && step->stop_before == NULL && step->fail_call == NULL &&
        step->stop_at_sleep_ms <= 0)
        return;
    if (t->schedule_seed < 0) {
        preload(t); /* for later programs too: harmless without a seed */
        env[(*n)++] = textf(t, "LD_PRELOAD=%s", harness_options.perturb_library);
    }
    if (step->stop_after != NULL)
        env[(*n)++] = textf(t, "SHMLAB_STOP_AFTER=%s", step->stop_after);
    if (step->stop_before != NULL)
        env[(*n)++] = textf(t, "SHMLAB_STOP_BEFORE=%s", step->stop_before);
    if (step->fail_call != NULL) {
        env[(*n)++] = textf(t, "SHMLAB_FAIL=%s", step->fail_call);
        env[(*n)++] = textf(t, "SHMLAB_FAIL_ERRNO=%d", step->fail_errno);
    }
    if (step->stop_at_sleep_ms > 0)
        env[(*n)++] = textf(t, "SHMLAB_STOP_AT_SLEEP_MS=%d", step->stop_at_sleep_ms);
}

/* /proc/PID/stat says the process is stopped ('T'), and it is not the
 * stop resume() ended: SIGCONT may wake a process on another processor a
 * moment after kill() returns. */
static bool is_stopped(void *arg)
{
    struct proc *p = arg;
    char path[64], buf[512], *paren, state = 0;
    struct proc_usage usage;
    FILE *f;

    if (p->state != PROC_RUNNING)
        return true;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
    f = fopen(path, "re");
    if (f == NULL)
        return false;
    if (fgets(buf, sizeof(buf), f) != NULL && (paren = strrchr(buf, ')')) != NULL)
        sscanf(paren + 1, " %c", &state);
    fclose(f);
    if (state != 'T' || !p->resumed)
        return state == 'T';
    /* Stopping again, it went to sleep once more. */
    return process_usage(p->pid, &usage) && usage.sleeps > p->resumed_at_sleeps;
}

/* Program P's number in the replay script. */
static size_t replay_number(struct test_ctx *t, const struct proc *p)
{
    const struct test_program *program = program_of(t, p);
    return program != NULL ? (size_t)(program - t->programs) + 1 : 0;
}

bool has_stopped(struct proc *p)
{
    return p->state == PROC_RUNNING && is_stopped(p);
}

void wait_stopped(struct test_ctx *t, struct proc *p)
{
    if (t->checked_live == 0)
        replay_add(t, "wait_stopped %zu %g", replay_number(t, p), DEFAULT_STEP_TIMEOUT_MS / 1000.0);
    t->checked_live++;
    if (!wait_for(t, is_stopped, p, 0, textf(t, "for `%s` to reach its stop point", p->command)))
        fail(t, "`%s` never reached the point where the test stops it (%s)", p->command,
             "it should make the call the handout names");
    if (p->state != PROC_RUNNING) {
        show_transcript(t, p);
        fail(t, "`%s` %s before it reached the point where the test stops it", p->command,
             proc_describe_end(p).text);
    }
    t->checked_live--;
}

void resume(struct test_ctx *t, struct proc *p)
{
    struct proc_usage usage;

    if (t->checked_live == 0)
        replay_add(t, "resume %zu", replay_number(t, p));
    p->resumed = process_usage(p->pid, &usage);
    p->resumed_at_sleeps = usage.sleeps;
    proc_kill(p, SIGCONT);
}

void stop_now(struct test_ctx *t, struct proc *p)
{
    proc_kill(p, SIGSTOP);
    wait_stopped(t, p);
}

/* The first seed of TEST: the same on every run, different per test. */
static long base_seed(const struct lab_test *test)
{
    unsigned long hash = 5381;
    for (const char *c = test->id; *c != '\0'; c++)
        hash = hash * 33 + (unsigned char)*c;
    return (long)(hash % 100000) * 100;
}

void under_schedules(struct test_ctx *t, int n, int budget_ms, void (*scenario)(struct test_ctx *t))
{
    long long until = now_ms() + scaled_timeout_ms(budget_ms);

    preload(t);
    for (int i = 0; i < n; i++) {
        long seed = base_seed(t->test) + harness_options.schedule_offset * n + i;
        if (harness_options.only_seed >= 0) {
            seed = harness_options.only_seed;
            i = n; /* just this one */
        }
        size_t mark = replay_mark(t);
        int failures = t->rec->failures;
        t->schedule_seed = seed;
        set_program_env(t, textf(t, "SHMLAB_SEED=%ld", seed));
        scenario(t);
        if (t->rec->failures > failures || now_ms() >= until || i + 1 >= n)
            break;
        /* A schedule that passed: the replay keeps only the one that fails. */
        replay_back_to(t, mark);
    }
    t->schedule_seed = -1;
}

void guard_mappings(struct test_ctx *t)
{
    preload(t);
    set_program_env(t, "SHMLAB_GUARD_PAGES=1");
}
