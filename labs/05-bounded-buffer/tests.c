/*
 * Lab 05 - a bounded buffer in POSIX shared memory with POSIX semaphores:
 * the graded promises of README.md.
 *
 * The grader looks at the ring itself (ring.h gives its layout): which
 * items are in which slots, where in and out point, what each of the
 * three semaphores holds. It sees which semaphore a program sleeps on
 * (the futex wait /proc shows), so "the consumer waits for an item" is a
 * state it waits for, never a sleep, and a deadlock is recognised as soon
 * as every program still running sleeps on a semaphore.
 *
 * The moments the handout warns about are made to happen on every run,
 * with stop points (grader/inject/perturb.c): a producer stopped with the
 * mutex in hand while another arrives, one stopped between its two waits
 * while another goes all the way through, a consumer stopped right after
 * it gave its slot back while a producer fills the slot again, a consumer
 * killed while it holds the mutex. No verdict depends on how the
 * scheduler happens to interleave the programs.
 *
 * Every item taken is checked against what was put, by the grader: each
 * exactly once, each consumer taking a producer's items in order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/harness.h"
#include "ring.h"

/* Deadlines, generous for a loaded machine (and scaled under valgrind):
 * for a program to reach the state a test waits for, and for programs to
 * finish their work. */
#define STATE_MS 15000
#define RUN_MS   60000
/* Long enough for every step of the longest test to reach its deadline. */
#define TEST_TIMEOUT_MS 240000
/* TIMEOUT_MS of programs that should never give up waiting, and of those
 * that should. */
#define PATIENT_MS   "60000"
#define IMPATIENT_MS "100"

#define MAX_PROGRAMS 8
#define MAX_PLANS    4

/* The three semaphores of a ring. */
enum role { EMPTY, FULL, MUTEX, ROLES };

static const char *const role_name[ROLES] = {"empty", "full", "mutex"};
static const char *const role_suffix[ROLES] = {RING_EMPTY_SUFFIX, RING_FULL_SUFFIX,
                                               RING_MUTEX_SUFFIX};
static const size_t role_offset[ROLES] = {offsetof(struct ring, empty), offsetof(struct ring, full),
                                          offsetof(struct ring, mutex)};

/* A ring of the test: its name, and where its semaphores are (in the
 * object, or in the named semaphores' own objects). */
struct ring_ref {
    const char *name;
    bool named;
    const char *object[ROLES]; /* the POSIX object holding each semaphore */
    size_t offset[ROLES];      /* and where in it */
};

/* A producer's share of a test: ID puts (ID, 1) ... (ID, COUNT). */
struct plan {
    int id, count;
};

/* The ring as the grader reads it. */
struct ring_state {
    unsigned slots, named, in, out;
    int value[ROLES];
    const struct item *slot;
    size_t size;
};

static const char *number(struct test_ctx *t, long n)
{
    return textf(t, "%ld", n);
}

/* The name of the named semaphore ROLE of ring NAME, as sem_open takes it. */
static const char *semaphore_name(struct test_ctx *t, const char *name, enum role role)
{
    return textf(t, "%s%s", name, role_suffix[role]);
}

static struct ring_ref ring_named(struct test_ctx *t, const char *name, bool named)
{
    struct ring_ref r = {.name = name, .named = named};

    for (int role = 0; role < ROLES; role++) {
        /* glibc keeps a named semaphore "/N" in /dev/shm/sem.N. */
        r.object[role] =
            named ? textf(t, "/sem.%s", semaphore_name(t, name, (enum role)role) + 1) : name;
        r.offset[role] = named ? 0 : role_offset[role];
    }
    return r;
}

/* --- the programs ---------------------------------------------------------- */

static void create_ring(struct test_ctx *t, const struct ring_ref *r, int slots)
{
    if (r->named)
        expect_run(t, ARGS("ring", "create", "--named", r->name, number(t, slots)), EXIT(0),
                   NO_STDOUT);
    else
        expect_run(t, ARGS("ring", "create", r->name, number(t, slots)), EXIT(0), NO_STDOUT);
}

/* A ring of SLOTS slots made by `ring create`, under a name of the test. */
static struct ring_ref new_ring(struct test_ctx *t, int slots, bool named)
{
    struct ring_ref r = ring_named(t, unique_shm_name(t), named);

    create_ring(t, &r, slots);
    return r;
}

static struct proc *start_producer(struct test_ctx *t, const struct ring_ref *r, int id, int count)
{
    return start(t, ARGS("ring", "produce", r->name, number(t, id), number(t, count), PATIENT_MS));
}

static struct proc *start_consumer(struct test_ctx *t, const struct ring_ref *r, int count)
{
    return start(t, ARGS("ring", "consume", r->name, number(t, count), PATIENT_MS));
}

/* --- what the grader reads ------------------------------------------------- */

/* The value of the semaphore whose bytes are at BYTES (a copy). */
static int semaphore_value_in(const unsigned char *bytes)
{
    sem_t copy;
    int value;

    memcpy(&copy, bytes, sizeof(copy));
    return sem_getvalue(&copy, &value) == 0 ? value : -1;
}

/* The ring R as it is now; WHEN says at what point of the test. */
static struct ring_state read_ring(struct test_ctx *t, const struct ring_ref *r, const char *when)
{
    struct ring_state s = {0};
    const struct ring *ring;
    const unsigned char *bytes = read_shm_object(t, r->name, &s.size, when);

    require(t, s.size >= sizeof(struct ring),
            "%s, %s should hold a struct ring (ring.h), but it is only %zu bytes", when, r->name,
            s.size);
    ring = (const struct ring *)bytes;
    s.slots = ring->slots;
    s.named = ring->named;
    s.in = ring->in;
    s.out = ring->out;
    s.slot = ring->slot;
    for (int role = 0; role < ROLES; role++) {
        size_t size;
        const unsigned char *holder =
            r->named ? read_shm_object(t, r->object[role], &size, when) : bytes;
        require(t, !r->named || size >= sizeof(sem_t),
                "%s, the named semaphore %s should exist, but %s is only %zu bytes", when,
                semaphore_name(t, r->name, (enum role)role), r->object[role], size);
        s.value[role] = semaphore_value_in(holder + r->offset[role]);
    }
    return s;
}

/* Slot I of S, if the object holds it. */
static bool slot_of(const struct ring_state *s, unsigned i, struct item *item)
{
    if (RING_SIZE(i + 1) > s->size)
        return false;
    *item = s->slot[i];
    return true;
}

/* The semaphore of R that P sleeps on: a role, ROLES for a semaphore
 * that is not R's, -1 when P does not sleep on a semaphore. *TIMED says
 * whether its wait has a timeout. */
static int sleeping_on(const struct ring_ref *r, const struct proc *p, bool *timed)
{
    char place[300];
    size_t at;

    if (!futex_wait_place(p, place, sizeof(place), &at, timed))
        return -1;
    for (int role = 0; role < ROLES; role++)
        if (strcmp(place, r->object[role]) == 0 && at >= r->offset[role] &&
            at < r->offset[role] + sizeof(sem_t))
            return role;
    return ROLES;
}

/* --- waiting for the programs ------------------------------------------------- */

struct settling {
    const struct ring_ref *ring;
    struct proc *p;
    int role; /* what it sleeps on, when it does */
};

static bool asleep_or_ended(void *arg)
{
    struct settling *s = arg;

    s->role = sleeping_on(s->ring, s->p, NULL);
    return has_ended(s->p) || s->role >= 0;
}

/*
 * Wait until P sleeps on a semaphore of R or ends: the semaphore it
 * sleeps on, or -1 once it has ended. Fails the test if it does neither
 * within STATE_MS (it runs, or waits for something else).
 */
static int await_settled(struct test_ctx *t, const struct ring_ref *r, struct proc *p,
                         const char *when)
{
    struct settling s = {.ring = r, .p = p};

    if (!wait_for(t, asleep_or_ended, &s, STATE_MS,
                  textf(t, "for `%s` to wait on a semaphore or end", p->command)))
        fail_about(t, p,
                   "%s, `%s` should wait on one of the ring's semaphores (asleep in "
                   "sem_timedwait) or end, but after %d s it does neither (does it poll instead of "
                   "waiting?)",
                   when, p->command, scaled_timeout_ms(STATE_MS) / 1000);
    return has_ended(p) ? -1 : s.role;
}

/* Wait until P sleeps on semaphore ROLE of R (WHEN says at what point and
 * why it must). */
static void await_asleep_on(struct test_ctx *t, const struct ring_ref *r, struct proc *p,
                            enum role role, const char *when)
{
    int on = await_settled(t, r, p, when);

    if (on == (int)role)
        return;
    if (on < 0)
        fail_about(t, p, "%s, `%s` should wait on `%s`, but it %s", when, p->command,
                   role_name[role], proc_describe_end(p).text);
    fail_about(t, p, "%s, `%s` should wait on `%s`, but it waits on %s", when, p->command,
               role_name[role],
               on < ROLES ? textf(t, "`%s`", role_name[on]) : "a semaphore that is not the ring's");
}

struct ending {
    struct deadlock_watch stuck;
    size_t running;
};

static bool ended_or_stuck(void *arg)
{
    struct ending *e = arg;

    e->running = 0;
    for (size_t i = 0; i < e->stuck.n; i++)
        e->running += !has_ended(e->stuck.procs[i]);
    return e->running == 0 || deadlocked(&e->stuck);
}

/* Say why the programs of a deadlock cannot go on: what each waits on,
 * and what the semaphores hold. */
static void explain_deadlock(struct test_ctx *t, const struct ring_ref *r,
                             struct proc *const *procs, size_t n)
{
    struct ring_state s = read_ring(t, r, "in the deadlock");
    bool lost_wakeup = false;

    for (size_t i = 0; i < n; i++) {
        int on = sleeping_on(r, procs[i], NULL);
        if (has_ended(procs[i]) || on < 0 || on == ROLES)
            continue;
        note(t, "`%s` waits on `%s`, which is %d", procs[i]->command, role_name[on], s.value[on]);
        lost_wakeup |= s.value[on] > 0;
    }
    if (lost_wakeup)
        check(t, false,
              "deadlock: every program still running sleeps on a semaphore, and one of them "
              "sleeps on a semaphore that is not 0: the post that raised it never woke it up. "
              "A semaphore made with pshared 0 (sem_init's second argument) wakes only threads "
              "of the process that posts: between processes it must be 1");
    else
        check(t, false,
              "deadlock: every program still running sleeps on a semaphore that is 0, and none "
              "of them can ever post one (a program that waits for a free slot or an item while "
              "it holds the mutex? a semaphore not given back?)");
}

/* Wait until the N programs PROCS, which use the ring R, have all ended;
 * a deadlock among them fails the test at once. */
static void await_all_ended(struct test_ctx *t, const struct ring_ref *r, struct proc *const *procs,
                            size_t n)
{
    struct ending e = {.stuck = {.key = ON_POSIX_SEMAPHORES, .procs = procs, .n = n}};
    bool done = wait_for(t, ended_or_stuck, &e, RUN_MS, "for the ring's programs to end");

    if (done && e.running == 0)
        return;
    if (done)
        explain_deadlock(t, r, procs, n);
    else
        check(t, false, "the programs should end within %d s, but %zu of %zu are still running",
              scaled_timeout_ms(RUN_MS) / 1000, e.running, n);
    for (size_t i = 0; i < n; i++)
        if (!has_ended(procs[i]))
            show_transcript(t, procs[i]);
    test_end(t);
}

struct stopping {
    const struct ring_ref *ring;
    struct proc *p;
    int role;
};

static bool stopped_asleep_or_ended(void *arg)
{
    struct stopping *s = arg;

    s->role = sleeping_on(s->ring, s->p, NULL);
    return has_stopped(s->p) || has_ended(s->p) || s->role >= 0;
}

/*
 * Wait until P has stopped itself at its stop point, WHERE. Nobody holds
 * a semaphore it needs on its way there, so it must not wait on one.
 */
static void await_stop(struct test_ctx *t, const struct ring_ref *r, struct proc *p,
                       const char *where)
{
    struct stopping s = {.ring = r, .p = p, .role = -1};

    if (!wait_for(t, stopped_asleep_or_ended, &s, STATE_MS,
                  textf(t, "for `%s` to reach its stop point", p->command)))
        fail_about(t, p, "`%s` should get %s within %d s, but it did not", p->command, where,
                   scaled_timeout_ms(STATE_MS) / 1000);
    if (has_stopped(p)) {
        note(t, "stopped `%s` %s", p->command, where);
        return;
    }
    if (has_ended(p))
        fail_about(t, p, "`%s` should get %s, but it %s first", p->command, where,
                   proc_describe_end(p).text);
    fail_about(t, p,
               "`%s` should get %s without waiting (nobody holds what it needs), but it waits on "
               "%s",
               p->command, where,
               s.role < ROLES ? textf(t, "`%s`", role_name[s.role]) : "a semaphore");
}

/* Stop P, which sleeps on a semaphore holding nothing, until resume():
 * the programs the test starts meanwhile run without it. */
static void hold(struct test_ctx *t, struct proc *p)
{
    proc_kill(p, SIGSTOP);
    wait_stopped(t, p);
    note(t, "held `%s` (SIGSTOP) while it waited", p->command);
}

/* --- what the consumers took ----------------------------------------------------- */

/* Where item (ID, SEQ) of PLANS is counted in a table of every item. */
static long item_index(const struct plan *plans, size_t n_plans, int id, int seq)
{
    long base = 0;

    for (size_t i = 0; i < n_plans; i++) {
        if (plans[i].id == id)
            return seq >= 1 && seq <= plans[i].count ? base + seq - 1 : -1;
        base += plans[i].count;
    }
    return -1;
}

/* Line I of P's stdout (without its newline), or NULL past the last. */
static const char *output_line(struct test_ctx *t, const struct proc *p, size_t i)
{
    size_t start, len;

    if (!capture_line_span(&p->out, i, &start, &len))
        return NULL;
    return textf(t, "%.*s", (int)len, p->out.head + start);
}

/*
 * The N CONSUMERS have ended, each having been told to take COUNTS[i]
 * items, while the producers of PLANS put theirs: every item put must
 * have been taken exactly once, and each consumer must have taken a
 * producer's items in the order they were put.
 */
static void expect_items(struct test_ctx *t, struct proc *const *consumers, const int *counts,
                         size_t n, const struct plan *plans, size_t n_plans)
{
    long total = 0;
    int *taken_by;

    for (size_t i = 0; i < n_plans; i++)
        total += plans[i].count;
    taken_by = (int *)textf(t, "%*s", (int)(total * (long)sizeof(int)), "");
    memset(taken_by, 0xff, (size_t)total * sizeof(int));
    for (size_t c = 0; c < n; c++) {
        struct proc *p = consumers[c];
        int last_seq[MAX_PLANS] = {0};
        size_t lines = 0;
        const char *line;
        for (; (line = output_line(t, p, lines)) != NULL; lines++) {
            int id, seq, end = 0;
            if (sscanf(line, "item %d %d%n", &id, &seq, &end) != 2 || line[end] != '\0' ||
                strcmp(line, textf(t, "item %d %d", id, seq)) != 0)
                fail_about(t, p, "`%s` printed \"%s\" where an item line (\"item P S\") was due",
                           p->command, line);
            long at = item_index(plans, n_plans, id, seq);
            if (at < 0)
                fail_about(t, p,
                           "`%s` took item %d %d, which no producer put (a slot read before it "
                           "was filled, or after it was filled again?)",
                           p->command, id, seq);
            if (taken_by[at] >= 0) {
                check(t, false, "item %d %d was taken twice: by `%s` and by `%s`", id, seq,
                      consumers[taken_by[at]]->command, p->command);
                show_transcript(t, consumers[taken_by[at]]);
                fail_about(t, p, "each item must be taken exactly once");
            }
            taken_by[at] = (int)c;
            for (size_t k = 0; k < n_plans; k++) {
                if (plans[k].id != id)
                    continue;
                if (seq < last_seq[k])
                    fail_about(t, p,
                               "`%s` took producer %d's items out of order: item %d %d after "
                               "item %d %d (the ring is first in, first out)",
                               p->command, id, id, seq, id, last_seq[k]);
                last_seq[k] = seq;
            }
        }
        if ((long)lines != counts[c])
            fail_about(t, p,
                       "`%s` should take %d items and print a line for each, but it printed %zu",
                       p->command, counts[c], lines);
    }
    for (size_t k = 0; k < n_plans; k++)
        for (int seq = 1; seq <= plans[k].count; seq++)
            if (taken_by[item_index(plans, n_plans, plans[k].id, seq)] < 0)
                fail(t, "item %d %d was put but never taken", plans[k].id, seq);
}

/* The programs ALL ended with status 0, the producers printing nothing. */
static void expect_clean_ends(struct test_ctx *t, struct proc *const *all, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strstr(all[i]->command, " produce ") != NULL)
            expect_end(t, all[i], EXIT(0), NO_STDOUT);
        else
            expect_end(t, all[i], EXIT(0));
    }
}

/* P, the only program running on R, ends with status 0. */
static struct proc *run_alone(struct test_ctx *t, const struct ring_ref *r, struct proc *p)
{
    await_all_ended(t, r, &p, 1);
    expect_clean_ends(t, &p, 1);
    return p;
}

/* --- the tests -------------------------------------------------------------------- */

/*
 * Most tests run one program at a time, or two whose interleaving cannot
 * change the outcome: with several programs free to run at once, a
 * mistake would show on some runs and not on others. Where programs
 * compete, the test has put them at the moment that matters first.
 */
static void one_to_one(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 4, false);
    const struct plan plans[] = {{1, 3}, {2, 4}};
    struct proc *consumers[2];

    run_alone(t, &r, start_producer(t, &r, 1, 3));
    consumers[0] = run_alone(t, &r, start_consumer(t, &r, 3));
    /* Again, round the end of the ring: in and out start at 3. */
    run_alone(t, &r, start_producer(t, &r, 2, 4));
    consumers[1] = run_alone(t, &r, start_consumer(t, &r, 4));
    expect_items(t, consumers, (int[]){3, 4}, 2, plans, 2);
}

static void ring_layout(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 3, false);
    const char *when = "after `ring create NAME 3`";
    struct ring_state s;

    expect_shm_object(t, r.name, (long long)RING_SIZE(3), 0600, when);
    s = read_ring(t, &r, when);
    require(t, s.slots == 3 && s.named == 0 && s.in == 0 && s.out == 0,
            "%s, the ring's header should say slots 3, named 0, in 0, out 0, but it says slots "
            "%u, named %u, in %u, out %u",
            when, s.slots, s.named, s.in, s.out);
    require(t, s.value[EMPTY] == 3 && s.value[FULL] == 0 && s.value[MUTEX] == 1,
            "%s, the semaphores in the ring should be empty 3 (every slot free), full 0 (no "
            "item) and mutex 1 (free), but they are %d, %d and %d",
            when, s.value[EMPTY], s.value[FULL], s.value[MUTEX]);
}

/* The ring's slot I should hold item ID SEQ. */
static void expect_slot(struct test_ctx *t, const struct ring_state *s, unsigned i, int id, int seq,
                        const char *when)
{
    struct item item = {0, 0};

    require(t, slot_of(s, i, &item) && item.producer == id && item.seq == seq,
            "%s, slot %u should hold item %d %d, but it holds %d %d", when, i, id, seq,
            item.producer, item.seq);
}

static void producer_fills(struct test_ctx *t)
{
    const char *when = "while the producer waits for a free slot";
    struct ring_ref r = new_ring(t, 4, false);
    const struct plan plan = {7, 6};
    struct proc *all[1], *consumers[2];
    struct ring_state s;

    all[0] = start_producer(t, &r, 7, 6);
    await_asleep_on(t, &r, all[0], EMPTY, "once it has filled the 4 slots of the ring");
    s = read_ring(t, &r, when);
    if (s.value[MUTEX] != 1)
        fail_about(t, all[0],
                   "%s, the mutex should be free (1), but it is %d: a producer that waits for a "
                   "slot while it holds the mutex keeps every consumer out, so nobody can ever "
                   "free a slot (take empty first, then the mutex)",
                   when, s.value[MUTEX]);
    for (unsigned i = 0; i < 4; i++)
        expect_slot(t, &s, i, 7, (int)i + 1, when);
    require(t, s.in == 0 && s.out == 0,
            "%s, in and out should both be 0 (4 items put into 4 slots: in went round, in = (in + "
            "1) %% slots), but in is %u and out %u",
            when, s.in, s.out);
    require(t, s.value[FULL] == 4 && s.value[EMPTY] == 0,
            "%s, full should be 4 and empty 0 (4 items, no free slot), but they are %d and %d",
            when, s.value[FULL], s.value[EMPTY]);
    /* The consumer takes what is there alone; then the producer puts
     * the rest, alone. */
    hold(t, all[0]);
    consumers[0] = run_alone(t, &r, start_consumer(t, &r, 4));
    resume(t, all[0]);
    run_alone(t, &r, all[0]);
    consumers[1] = run_alone(t, &r, start_consumer(t, &r, 2));
    expect_items(t, consumers, (int[]){4, 2}, 2, &plan, 1);
}

/*
 * Twice: a consumer on an empty ring waits for an item without holding
 * the mutex, and a producer in another process wakes it. The producer
 * puts one item and ends, so the two never compete for the mutex: a
 * mistake in it shows in the tests that make them compete on purpose.
 */
static void consumers_wait(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 8, false);
    const struct plan plans[] = {{1, 1}, {2, 1}};
    struct proc *all[2], *consumers[2];

    for (int i = 0; i < 2; i++) {
        all[0] = consumers[i] = start_consumer(t, &r, plans[i].count);
        await_asleep_on(t, &r, all[0], FULL, "on an empty ring");
        if (read_ring(t, &r, "while a consumer waits for an item").value[MUTEX] != 1)
            fail_about(t, all[0],
                       "while the consumer waits for an item, the mutex should be free (1), but it "
                       "is taken: a consumer that waits for an item while it holds the mutex keeps "
                       "every producer out, so nobody can ever put one (take full first, then the "
                       "mutex)");
        all[1] = start_producer(t, &r, plans[i].id, plans[i].count);
        await_all_ended(t, &r, all, 2);
        expect_clean_ends(t, all, 2);
    }
    expect_items(t, consumers, (int[]){1, 1}, 2, plans, 2);
}

/*
 * Three producers and two consumers on a ring of 3, each started when the
 * one before has ended or waits: a producer waits on a full ring and is
 * held while a consumer and another producer go through; a consumer waits
 * on an empty ring until the held producer puts its last item.
 */
static void mixes(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 3, false);
    const struct plan plans[] = {{1, 2}, {2, 2}, {3, 2}};
    struct proc *held, *consumers[2], *last[2];

    run_alone(t, &r, start_producer(t, &r, 1, 2));
    held = start_producer(t, &r, 2, 3);
    await_asleep_on(t, &r, held, EMPTY, "once it has filled the ring");
    hold(t, held);
    consumers[0] = run_alone(t, &r, start_consumer(t, &r, 2));
    run_alone(t, &r, start_producer(t, &r, 3, 2));
    consumers[1] = start_consumer(t, &r, 4);
    await_asleep_on(t, &r, consumers[1], FULL, "once it has taken the 3 items in the ring");
    resume(t, held);
    last[0] = held;
    last[1] = consumers[1];
    await_all_ended(t, &r, last, 2);
    expect_clean_ends(t, last, 2);
    expect_items(t, consumers, (int[]){2, 4}, 2, plans, 3);
}

/* The mutex is taken, as the stopped program P should hold it. */
static void expect_mutex_held(struct test_ctx *t, const struct ring_ref *r, struct proc *p,
                              const char *who)
{
    int mutex = read_ring(t, r, "while it is stopped").value[MUTEX];

    if (mutex != 0)
        fail_about(t, p,
                   "%s that has taken two semaphores (%s, then the mutex) should hold the mutex, "
                   "but the mutex is %d (free): nothing keeps the others out of the ring",
                   who, strstr(who, "producer") != NULL ? "empty" : "full", mutex);
}

static void producers_take_turns(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 4, false);
    const struct plan plans[] = {{1, 2}, {2, 1}};
    struct proc *all[3];

    all[0] =
        start(t, ARGS("ring", "produce", r.name, "1", "2", PATIENT_MS), STOP_AFTER("sem-take:2"));
    await_stop(t, &r, all[0], "right after it took its second semaphore");
    expect_mutex_held(t, &r, all[0], "a producer");
    all[1] = start_producer(t, &r, 2, 1);
    await_asleep_on(t, &r, all[1], MUTEX, "while another producer holds the mutex");
    resume(t, all[0]);
    await_all_ended(t, &r, all, 2);
    expect_clean_ends(t, all, 2);
    all[2] = run_alone(t, &r, start_consumer(t, &r, 3));
    expect_items(t, &all[2], (int[]){3}, 1, plans, 2);
}

static void consumers_take_turns(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 4, false);
    const struct plan plan = {1, 3};
    struct proc *all[3];

    all[0] = start_producer(t, &r, 1, 3);
    await_all_ended(t, &r, all, 1);
    all[1] = start(t, ARGS("ring", "consume", r.name, "2", PATIENT_MS), STOP_AFTER("sem-take:2"));
    await_stop(t, &r, all[1], "right after it took its second semaphore");
    expect_mutex_held(t, &r, all[1], "a consumer");
    all[2] = start_consumer(t, &r, 1);
    await_asleep_on(t, &r, all[2], MUTEX, "while another consumer holds the mutex");
    resume(t, all[1]);
    await_all_ended(t, &r, all + 1, 2);
    expect_clean_ends(t, all, 3);
    expect_items(t, all + 1, (int[]){2, 1}, 2, &plan, 1);
}

/*
 * The first of two programs is stopped between its two waits (it has a
 * slot or an item, not yet the mutex) while the second goes all the way
 * through; P is the second: it must end, not wait.
 */
static void expect_went_through(struct test_ctx *t, const struct ring_ref *r, struct proc *p,
                                const char *first)
{
    int on = await_settled(t, r, p, textf(t, "while %s was stopped", first));

    if (on >= 0)
        fail_about(t, p,
                   "while %s was stopped before it waited for the mutex (holding nothing else "
                   "the second needs), `%s` should go through, but it waits on %s",
                   first, p->command,
                   on < ROLES ? textf(t, "`%s`", role_name[on]) : "another semaphore");
    expect_end(t, p, EXIT(0));
}

static void indexes_under_mutex(struct test_ctx *t)
{
    const char *when = "after two producers put an item each";
    struct ring_ref r = new_ring(t, 4, false), q;
    const struct plan plan = {1, 2};
    struct proc *p[2], *c[2];
    struct ring_state s;

    /* Two producers: the first stopped after it has its slot. */
    p[0] =
        start(t, ARGS("ring", "produce", r.name, "1", "1", PATIENT_MS), STOP_BEFORE("sem-wait:2"));
    await_stop(t, &r, p[0], "after its first wait, before its second");
    p[1] = start_producer(t, &r, 2, 1);
    expect_went_through(t, &r, p[1], "a producer");
    resume(t, p[0]);
    await_all_ended(t, &r, p, 1);
    expect_end(t, p[0], EXIT(0));
    s = read_ring(t, &r, when);
    require(t, s.in == 2,
            "%s, in should be 2, but it is %u: the first producer read in before it held the "
            "mutex, and put its item in the second's slot",
            when, s.in);
    expect_slot(t, &s, 0, 2, 1, when);
    expect_slot(t, &s, 1, 1, 1, when);

    /* Two consumers: the first stopped after it has its item's full. */
    q = new_ring(t, 4, false);
    p[0] = start_producer(t, &q, 1, 2);
    await_all_ended(t, &q, p, 1);
    c[0] = start(t, ARGS("ring", "consume", q.name, "1", PATIENT_MS), STOP_BEFORE("sem-wait:2"));
    await_stop(t, &q, c[0], "after its first wait, before its second");
    c[1] = start_consumer(t, &q, 1);
    expect_went_through(t, &q, c[1], "a consumer");
    resume(t, c[0]);
    await_all_ended(t, &q, c, 1);
    expect_end(t, c[0], EXIT(0));
    expect_items(t, c, (int[]){1, 1}, 2, &plan, 1);
}

static void handed_over_whole(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 2, false), q;
    const struct plan plan = {1, 2};
    struct proc *p, *c[2];
    struct ring_state s;

    /* A producer stopped right after its first post: whichever it posts
     * first, the item must be in its slot by then. */
    p = start(t, ARGS("ring", "produce", r.name, "3", "1", PATIENT_MS), STOP_AFTER("sem_post:1"));
    await_stop(t, &r, p, "right after its first post");
    s = read_ring(t, &r, "once the producer has posted its first semaphore");
    expect_slot(t, &s, 0, 3, 1, "once the producer has posted a semaphore (the mutex or full)");
    resume(t, p);
    await_all_ended(t, &r, &p, 1);
    expect_end(t, p, EXIT(0));

    /* A consumer of one item, stopped right after it gave its slot back
     * (the mutex and empty, in either order), while the producer fills
     * that slot, the only one, again. */
    q = new_ring(t, 1, false);
    p = start_producer(t, &q, 1, 2);
    await_asleep_on(t, &q, p, EMPTY, "with its first item in the only slot");
    c[0] = start(t, ARGS("ring", "consume", q.name, "1", PATIENT_MS), STOP_AFTER("sem_post:2"));
    await_stop(t, &q, c[0],
               "right after it gave back the slot of its item (its second post: the mutex and "
               "empty)");
    run_alone(t, &q, p);
    note(t, "then the producer put its second item into that slot");
    resume(t, c[0]);
    run_alone(t, &q, c[0]);
    c[1] = run_alone(t, &q, start_consumer(t, &q, 1));
    expect_items(t, c, (int[]){1, 1}, 2, &plan, 1);
}

/* P gave up waiting on ROLE: exit 1, the last line on stderr saying so. */
static void expect_gave_up(struct test_ctx *t, struct proc *p, enum role role)
{
    const char *last;
    size_t len;

    expect_end(t, p, EXIT(1), NO_STDOUT, ERROR_MENTIONS("timed out"));
    last = (const char *)capture_last_bytes(&p->err, &len);
    if (strstr(last, role_name[role]) == NULL)
        fail_about(t, p,
                   "`%s` gave up waiting on `%s`: its last line on stderr should name the "
                   "semaphore (\"%s\"), so that the user knows what it waited for",
                   p->command, role_name[role], role_name[role]);
}

/* Wait until P ends; fail at once if it sleeps on a semaphore with no
 * timeout (sem_wait): it would never give up. */
struct giving_up {
    const struct ring_ref *ring;
    struct proc *p;
    bool untimed;
};

static bool ended_or_untimed(void *arg)
{
    struct giving_up *g = arg;
    bool timed = true;

    g->untimed = sleeping_on(g->ring, g->p, &timed) >= 0 && !timed;
    return has_ended(g->p) || g->untimed;
}

static void await_gave_up(struct test_ctx *t, const struct ring_ref *r, struct proc *p,
                          enum role role)
{
    struct giving_up g = {.ring = r, .p = p};

    if (!wait_for(t, ended_or_untimed, &g, RUN_MS, textf(t, "for `%s` to give up", p->command)))
        fail_about(t, p, "`%s` should give up waiting after " IMPATIENT_MS " ms, but it still runs",
                   p->command);
    if (g.untimed)
        fail_about(t, p,
                   "`%s` waits on `%s` with no timeout (sem_wait): it would wait for ever. Every "
                   "wait is sem_timedwait, with TIMEOUT_MS",
                   p->command, role_name[role]);
    expect_gave_up(t, p, role);
}

static void gives_up(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 2, false), q = new_ring(t, 2, false);
    const char *when = "after the producer gave up";
    struct proc *c, *p;
    struct ring_state s;

    /* At once: a consumer with no producer, a producer with no consumer. */
    c = start(t, ARGS("ring", "consume", r.name, "1", IMPATIENT_MS));
    p = start(t, ARGS("ring", "produce", q.name, "1", "3", IMPATIENT_MS));
    await_gave_up(t, &r, c, FULL);
    await_gave_up(t, &q, p, EMPTY);
    s = read_ring(t, &q, when);
    expect_slot(t, &s, 0, 1, 1, when);
    expect_slot(t, &s, 1, 1, 2, when);
    require(t, s.value[FULL] == 2 && s.value[MUTEX] == 1,
            "%s, the ring should hold its 2 items with the mutex free: full 2, mutex 1, but they "
            "are %d and %d",
            when, s.value[FULL], s.value[MUTEX]);
}

/*
 * A consumer is killed with the mutex in hand, inside its second item: the
 * others must give up with a clear message. The line of its first item
 * must be out already: a line left in a buffer dies with the program.
 */
static void dies_holding_mutex(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 4, false);
    struct proc *first[1], *c, *p;
    const char *line;

    first[0] = start_producer(t, &r, 1, 3);
    await_all_ended(t, &r, first, 1);
    c = start(t, ARGS("ring", "consume", r.name, "3", PATIENT_MS), STOP_AFTER("sem-take:4"));
    await_stop(t, &r, c, "right after it took its fourth semaphore, the mutex of its second item");
    proc_drain_all();
    line = output_line(t, c, 0);
    if (line == NULL || strcmp(line, "item 1 1") != 0 || output_line(t, c, 1) != NULL)
        fail_about(t, c,
                   "inside its second item, `%s` should have printed the line of its first, "
                   "\"item 1 1\", and no other (each line flushed as it is printed: stdout to a "
                   "pipe is block-buffered)",
                   c->command);
    proc_kill(c, SIGKILL);
    note(t, "killed `%s` (SIGKILL) there, the mutex in hand", c->command);
    c = start(t, ARGS("ring", "consume", r.name, "1", IMPATIENT_MS));
    p = start(t, ARGS("ring", "produce", r.name, "2", "1", IMPATIENT_MS));
    await_gave_up(t, &r, c, MUTEX);
    await_gave_up(t, &r, p, MUTEX);
}

/* Has P printed a line on stderr that ends with TEXT? */
struct said {
    struct proc *p;
    const char *text;
    unsigned long sleeps_before;
    bool slept_again;
};

static bool stderr_line_ends_with(const struct proc *p, const char *text)
{
    size_t start, len, text_len = strlen(text);

    for (size_t i = 0; capture_line_span(&p->err, i, &start, &len); i++)
        if (len >= text_len && memcmp(p->err.head + start + len - text_len, text, text_len) == 0 &&
            (len == text_len || p->err.head[start + len - text_len - 1] == ' '))
            return true;
    return false;
}

static bool said_or_slept(void *arg)
{
    struct said *s = arg;
    char place[300];
    size_t at;
    /* Woken by the signal, then asleep again: whatever it wrote before
     * that is in the pipe by now. */
    bool asleep_again = futex_wait_place(s->p, place, sizeof(place), &at, NULL) &&
                        process_times_asleep(s->p->pid) > s->sleeps_before;

    if (asleep_again)
        proc_drain_all();
    if (stderr_line_ends_with(s->p, s->text) || has_ended(s->p))
        return true;
    s->slept_again = asleep_again;
    return asleep_again;
}

/*
 * P sleeps on semaphore ROLE of R, having done DONE of its COUNT items:
 * SIGUSR1 must make it say so on stderr at once, and go on waiting.
 */
static void expect_progress(struct test_ctx *t, const struct ring_ref *r, struct proc *p,
                            enum role role, int done, int count)
{
    struct said s = {.p = p, .text = textf(t, "%d of %d items", done, count)};

    s.sleeps_before = process_times_asleep(p->pid);
    send_signal(t, p, SIGUSR1);
    note(t, "sent SIGUSR1 to `%s` while it waited on `%s`", p->command, role_name[role]);
    if (!wait_for(t, said_or_slept, &s, STATE_MS, "for the progress line"))
        s.slept_again = true;
    if (has_ended(p) && !stderr_line_ends_with(p, s.text))
        fail_about(t, p, "`%s` should write \"%s\" on stderr and go on, but it %s", p->command,
                   s.text, proc_describe_end(p).text);
    if (s.slept_again)
        fail_about(t, p,
                   "`%s` should write \"%s\" on stderr at once, while it waits, but it went back "
                   "to waiting without it",
                   p->command, s.text);
    await_asleep_on(t, r, p, role, "after its progress line (the signal interrupted its wait)");
}

static void progress_signal(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 4, false);
    const struct plan plans[] = {{1, 1}, {2, 5}};
    struct proc *all[2], *consumers[3], *producer;

    /* A consumer on an empty ring. */
    all[0] = consumers[0] = start_consumer(t, &r, 1);
    await_asleep_on(t, &r, all[0], FULL, "on an empty ring");
    expect_progress(t, &r, all[0], FULL, 0, 1);
    all[1] = start_producer(t, &r, 1, 1);
    await_all_ended(t, &r, all, 2);
    expect_clean_ends(t, all, 2);
    /* A producer on a full ring. */
    producer = start_producer(t, &r, 2, 5);
    await_asleep_on(t, &r, producer, EMPTY, "on a full ring");
    expect_progress(t, &r, producer, EMPTY, 4, 5);
    hold(t, producer);
    consumers[1] = run_alone(t, &r, start_consumer(t, &r, 4));
    resume(t, producer);
    run_alone(t, &r, producer);
    consumers[2] = run_alone(t, &r, start_consumer(t, &r, 1));
    expect_items(t, consumers, (int[]){1, 4, 1}, 3, plans, 2);
}

/*
 * A ring made by the grader as a damaged or hostile program might leave
 * it: SLOTS in its header, an object of OBJECT_SLOTS slots, in and out as
 * given, ITEMS items announced (full).
 */
static void plant_ring(struct test_ctx *t, const char *name, unsigned slots, unsigned object_slots,
                       unsigned in, unsigned out, unsigned items)
{
    size_t size = RING_SIZE(object_slots);
    struct ring *ring = (struct ring *)textf(t, "%*s", (int)size, "");

    memset(ring, 0, size);
    ring->slots = slots;
    ring->in = in;
    ring->out = out;
    if (sem_init(&ring->empty, 1, slots - items) != 0 || sem_init(&ring->full, 1, items) != 0 ||
        sem_init(&ring->mutex, 1, 1) != 0)
        fail(t, "internal: the grader's sem_init: %s", strerror(errno));
    make_shm_object(t, name, ring, size, size, 0600);
}

static void damaged_ring(struct test_ctx *t)
{
    const char *too_small = unique_shm_name(t), *bad_out = unique_shm_name(t),
               *bad_in = unique_shm_name(t);

    guard_mappings(t);
    plant_ring(t, too_small, 1000, 4, 0, 0, 1);
    note(t, "the grader made %s: its header says 1000 slots, its object holds 4", too_small);
    expect_run(t, ARGS("ring", "consume", too_small, "1", PATIENT_MS), EXIT(1), NO_STDOUT,
               ERROR_SAID);
    plant_ring(t, bad_out, 4, 4, 1, 600, 1);
    note(t, "the grader made %s: 4 slots, one item announced, but out is 600", bad_out);
    expect_run(t, ARGS("ring", "consume", bad_out, "1", PATIENT_MS), EXIT(1), NO_STDOUT,
               ERROR_SAID);
    plant_ring(t, bad_in, 4, 4, 4, 0, 0);
    note(t, "the grader made %s: 4 slots, but in is 4", bad_in);
    expect_run(t, ARGS("ring", "produce", bad_in, "1", "1", PATIENT_MS), EXIT(1), NO_STDOUT,
               ERROR_SAID);
}

static void named_semaphores(struct test_ctx *t)
{
    const char *when = "after `ring create --named NAME 8`";
    struct ring_ref r = new_ring(t, 8, true);
    const struct plan plans[] = {{1, 2}, {2, 2}};
    struct proc *all[4];
    struct ring_state s;

    expect_shm_object(t, r.name, (long long)RING_SIZE(8), 0600, when);
    for (int role = 0; role < ROLES; role++)
        expect_shm_object(t, r.object[role], (long long)sizeof(sem_t), 0600, when);
    s = read_ring(t, &r, when);
    require(t, s.slots == 8 && s.named == 1,
            "%s, the ring's header should say slots 8 and named 1, but it says %u and %u", when,
            s.slots, s.named);
    require(t, s.value[EMPTY] == 8 && s.value[FULL] == 0 && s.value[MUTEX] == 1,
            "%s, the named semaphores should be empty 8, full 0 and mutex 1, but they are %d, %d "
            "and %d",
            when, s.value[EMPTY], s.value[FULL], s.value[MUTEX]);
    /* A consumer waits; one producer wakes it, then another. It is held
     * while each producer puts both its items, so it finds two every
     * time and must take the older first (unheld, it sometimes took each
     * as it came, and a stack passed). */
    all[0] = start_consumer(t, &r, 3);
    await_asleep_on(t, &r, all[0], FULL, "on an empty ring with named semaphores");
    hold(t, all[0]);
    all[1] = run_alone(t, &r, start_producer(t, &r, 1, 2));
    resume(t, all[0]);
    await_asleep_on(t, &r, all[0], FULL, "once it has taken 2 of its 3 items");
    hold(t, all[0]);
    all[2] = run_alone(t, &r, start_producer(t, &r, 2, 2));
    resume(t, all[0]);
    await_all_ended(t, &r, all, 3);
    expect_clean_ends(t, all, 3);
    all[3] = run_alone(t, &r, start_consumer(t, &r, 1));
    expect_items(t, (struct proc *[]){all[0], all[3]}, (int[]){3, 1}, 2, plans, 2);
    expect_run(t, ARGS("ring", "remove", r.name), EXIT(0), NO_STDOUT);
    expect_no_shm_object(t, r.name, "after `ring remove`", "remove unlinks the ring");
    for (int role = 0; role < ROLES; role++)
        expect_no_shm_object(t, r.object[role], "after `ring remove`",
                             "remove unlinks the named semaphores (sem_unlink)");
}

static void named_leftover(struct test_ctx *t)
{
    struct ring_ref r = ring_named(t, unique_shm_name(t), true);
    const char *stale = semaphore_name(t, r.name, FULL), *when = "after the refused create";
    sem_t *sem = sem_open(stale, O_CREAT | O_EXCL, 0600, 0);

    if (sem == SEM_FAILED || sem_close(sem) != 0 ||
        chown(textf(t, "/dev/shm%s", r.object[FULL]), student_uid(), student_uid()) != 0)
        fail(t, "internal: the grader cannot make the named semaphore %s: %s", stale,
             strerror(errno));
    note(t, "the grader left a named semaphore %s, as a run that crashed would", stale);
    expect_run(t, ARGS("ring", "create", "--named", r.name, "2"), EXIT(1), NO_STDOUT,
               ERROR("sem_open", EEXIST));
    expect_no_shm_object(t, r.name, when,
                         "a create that fails removes what it made: the object is its own");
    expect_no_shm_object(t, r.object[EMPTY], when, "it made that semaphore, so it removes it");
    expect_no_shm_object(t, r.object[MUTEX], when, "it made that semaphore, so it removes it");
    require(t, shm_object_exists(r.object[FULL]),
            "%s, %s should still be there: it was not made by this create (another ring's, "
            "perhaps in use), so it is not its to remove",
            when, stale);
}

static void nothing_left(struct test_ctx *t)
{
    struct ring_ref r = new_ring(t, 2, false);

    run_alone(t, &r, start_producer(t, &r, 1, 2));
    run_alone(t, &r, start_consumer(t, &r, 2));
    expect_shm_object(t, r.name, (long long)RING_SIZE(2), 0600,
                      "after the producer and the consumer ended (only `ring remove` removes "
                      "the ring: another producer may come)");
    expect_run(t, ARGS("ring", "remove", r.name), EXIT(0), NO_STDOUT);
    expect_no_shm_object(t, r.name, "after `ring remove`", "remove unlinks it (shm_unlink)");
}

static void errors_reported(struct test_ctx *t)
{
    struct ring_ref r = ring_named(t, unique_shm_name(t), false);
    const struct plan plan = {1, 1};
    struct proc *consumer;

    expect_run(t, ARGS("ring", "produce", r.name, "1", "1", PATIENT_MS), EXIT(1), NO_STDOUT,
               ERROR("shm_open", ENOENT));
    expect_run(t, ARGS("ring", "consume", r.name, "1", PATIENT_MS), EXIT(1), NO_STDOUT,
               ERROR("shm_open", ENOENT));
    expect_run(t, ARGS("ring", "remove", r.name), EXIT(1), NO_STDOUT, ERROR("shm_open", ENOENT));
    expect_no_shm_object(t, r.name, "after programs were given a ring that does not exist",
                         "only create makes a ring");
    create_ring(t, &r, 2);
    expect_run(t, ARGS("ring", "create", r.name, "2"), EXIT(1), NO_STDOUT,
               ERROR("shm_open", EEXIST));
    /* The ring in use is left alone: it still works. */
    run_alone(t, &r, start_producer(t, &r, 1, 1));
    consumer = run_alone(t, &r, start_consumer(t, &r, 1));
    expect_items(t, &consumer, (int[]){1}, 1, &plan, 1);
}

/* NAME as long as the handout allows: "/" and 200 characters. */
static const char *longest_name(struct test_ctx *t)
{
    const char *base = unique_shm_name(t);
    return textf(t, "%s-%0*d", base, RING_NAME_MAX - 2 - (int)strlen(base) + 1, 0);
}

static void memory_safety(struct test_ctx *t)
{
    struct ring_ref r = ring_named(t, longest_name(t), true);
    struct proc *all[2];

    create_ring(t, &r, 2);
    all[0] = start_producer(t, &r, 1, 2);
    await_all_ended(t, &r, all, 1);
    all[1] = start_consumer(t, &r, 2);
    await_all_ended(t, &r, all + 1, 1);
    /* How they end is for the other tests to judge: here, only what the
     * sanitizers find (each end is looked at). */
    for (size_t i = 0; i < 2; i++)
        expect_end(t, all[i]);
    expect_run(t, ARGS("ring", "remove", r.name));
}

static bool stopped_or_ended(void *arg)
{
    struct proc *p = arg;
    return has_stopped(p) || has_ended(p);
}

/* P, started with STOP_BEFORE("shm_open"), accepts its arguments: it
 * gets as far as opening the ring. */
static void expect_accepted(struct test_ctx *t, struct proc *p)
{
    wait_for(t, stopped_or_ended, p, STATE_MS, "for the program to get past its arguments");
    if (has_ended(p))
        fail_about(t, p,
                   "the largest values the handout allows should be accepted: `%s` should go on "
                   "to open the ring, but it %s",
                   p->command, proc_describe_end(p).text);
    if (!has_stopped(p))
        fail_about(t, p, "`%s` should go on to open the ring (shm_open) within %d s", p->command,
                   scaled_timeout_ms(STATE_MS) / 1000);
    proc_kill(p, SIGKILL);
}

static void usage(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *longest = longest_name(t);
    const char *too_long = textf(t, "%sx", longest);

    expect_run(t, ARGS("ring"), USAGE);
    expect_run(t, ARGS("ring", "make", name, "4"), USAGE);
    expect_run(t, ARGS("ring", "create", name), USAGE);
    expect_run(t, ARGS("ring", "create", name, "4", "5"), USAGE);
    expect_run(t, ARGS("ring", "create", name, "0"), USAGE);
    expect_run(t, ARGS("ring", "create", name, "1025"), USAGE);
    expect_run(t, ARGS("ring", "create", name, "4x"), USAGE);
    expect_run(t, ARGS("ring", "create", "ring", "4"), USAGE);
    expect_run(t, ARGS("ring", "create", "/a/b", "4"), USAGE);
    expect_run(t, ARGS("ring", "create", too_long, "4"), USAGE);
    expect_run(t, ARGS("ring", "create", "--name", name, "4"), USAGE);
    expect_run(t, ARGS("ring", "produce", name, "0", "5"), USAGE);
    expect_run(t, ARGS("ring", "produce", name, "1001", "5"), USAGE);
    expect_run(t, ARGS("ring", "produce", name, "1", "0"), USAGE);
    expect_run(t, ARGS("ring", "produce", name, "1", "1000001"), USAGE);
    expect_run(t, ARGS("ring", "produce", name, "1", "5", "0"), USAGE);
    expect_run(t, ARGS("ring", "produce", name, "1", "5", "3600001"), USAGE);
    expect_run(t, ARGS("ring", "produce", name, "1", "5", "10", "11"), USAGE);
    expect_run(t, ARGS("ring", "consume", name), USAGE);
    expect_run(t, ARGS("ring", "consume", name, "-1"), USAGE);
    expect_run(t, ARGS("ring", "consume", name, "4294967297"), USAGE);
    expect_run(t, ARGS("ring", "remove"), USAGE);
    expect_run(t, ARGS("ring", "remove", name, "now"), USAGE);
    expect_no_shm_object(t, name, "after usage errors", "a usage error creates nothing");
    /* The ends of each range are accepted. */
    expect_run(t, ARGS("ring", "create", name, "1024"), EXIT(0), NO_STDOUT);
    expect_run(t, ARGS("ring", "create", "--named", longest, "1"), EXIT(0), NO_STDOUT);
    expect_accepted(t, start(t, ARGS("ring", "produce", name, "1000", "1000000", "3600000"),
                             STOP_BEFORE("shm_open")));
    expect_accepted(
        t, start(t, ARGS("ring", "consume", name, "1000000", "1"), STOP_BEFORE("shm_open")));
    /* Not this test's business how they are removed. */
    expect_run(t, ARGS("ring", "remove", name));
    expect_run(t, ARGS("ring", "remove", longest));
}

static const struct lab_test tests[] = {
    {.id = "one-to-one",
     .clauses = "C1 C4 C5",
     .points = 5,
     .run = one_to_one,
     .title = "A producer, then a consumer, twice: 7 items pass through a ring of 4 in order, "
              "round its end",
     .hint = "Steps 2 to 4: create the ring, then put and take items with empty, full and the "
             "mutex; the consumer prints \"item P S\" for each.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "ring-layout",
     .clauses = "C1",
     .points = 5,
     .run = ring_layout,
     .title = "create makes NAME: RING_SIZE(SLOTS) bytes, mode 0600, the header of ring.h and the "
              "semaphores at SLOTS, 0 and 1",
     .hint = "shm_open with O_CREAT | O_EXCL and 0600, ftruncate to RING_SIZE(slots), then "
             "sem_init(&ring->empty, 1, slots), full 0, mutex 1.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "producer-fills",
     .clauses = "C4 C6",
     .points = 5,
     .run = producer_fills,
     .title = "A producer alone fills every slot in order, then waits for a free slot without "
              "holding the mutex",
     .hint = "Items go to slot[in], then in = (in + 1) % slots. Take empty before the mutex: a "
             "producer waiting for a slot with the mutex in hand keeps the consumers out.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "consumers-wait",
     .clauses = "C1 C5 C6",
     .points = 5,
     .run = consumers_wait,
     .title = "A consumer on an empty ring waits for an item without holding the mutex, and a "
              "producer in another process wakes it",
     .hint = "Take full before the mutex. sem_init's second argument (pshared) must be 1, or a "
             "post in one process never wakes a waiter in another.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "mixes",
     .clauses = "C5 C6",
     .points = 5,
     .run = mixes,
     .title = "Three producers and two consumers, some waiting on a full or an empty ring, take "
              "every item exactly once, each producer's in order",
     .hint = "Every item is put and taken under the mutex, at slot[in] and slot[out]; each "
             "producer's items leave the ring in the order they entered it.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "producers-take-turns",
     .clauses = "C6",
     .points = 5,
     .run = producers_take_turns,
     .title = "A producer waits for the mutex while another producer holds it",
     .hint = "Between taking the mutex and posting it, a producer is alone in the ring: it "
             "writes slot[in] and moves in there, and nowhere else.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "consumers-take-turns",
     .clauses = "C6",
     .points = 5,
     .run = consumers_take_turns,
     .title = "A consumer waits for the mutex while another consumer holds it",
     .hint = "A consumer takes full, then the mutex, and only then reads out and slot[out].",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "indexes-under-mutex",
     .clauses = "C6",
     .points = 5,
     .run = indexes_under_mutex,
     .title = "in and out are read only with the mutex held, never before it",
     .hint = "Read ring->in (or ring->out) after sem_timedwait on the mutex returns, not "
             "before: another program may move it while you wait.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "handed-over-whole",
     .clauses = "C6",
     .points = 5,
     .run = handed_over_whole,
     .title = "An item is in its slot before the producer posts, and copied out of it before "
              "the consumer posts",
     .hint = "Write the slot before you post (mutex or full); copy the item into a local "
             "variable before you post, and print the copy.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "gives-up",
     .clauses = "C7",
     .points = 5,
     .run = gives_up,
     .title = "A wait that lasts TIMEOUT_MS gives up: exit 1, naming the semaphore, the ring "
              "left as it was",
     .hint = "sem_timedwait with a deadline TIMEOUT_MS from now (CLOCK_REALTIME); on ETIMEDOUT, "
             "say which semaphore you waited for and exit 1.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "dies-holding-mutex",
     .needs = "consumers-take-turns",
     .clauses = "C5 C7",
     .points = 10,
     .run = dies_holding_mutex,
     .title = "A consumer killed while it holds the mutex does not hang the others: they give up "
              "with a clear message",
     .hint = "A POSIX semaphore has no SEM_UNDO: nobody gives back a dead process's mutex. Wait "
             "for the mutex with sem_timedwait too, and say what timed out.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "progress-signal",
     .clauses = "C8",
     .points = 5,
     .run = progress_signal,
     .title = "SIGUSR1 makes a waiting program say \"N of COUNT items\" at once, then wait on",
     .hint = "A handler that sets a flag (sigaction, no SA_RESTART); sem_timedwait then fails "
             "with EINTR: print the line and wait again, until the same deadline.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "damaged-ring",
     .needs = "one-to-one",
     .clauses = "C9",
     .points = 5,
     .run = damaged_ring,
     .title = "A ring whose header does not fit its object, or whose in or out is out of range, "
              "is refused",
     .hint = "Shared memory is written by other programs: check slots against the object's size "
             "(fstat) and every index you read from it before you use it.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "named-semaphores",
     .clauses = "C2 C5 C10",
     .points = 5,
     .run = named_semaphores,
     .title = "create --named makes NAME-empty, NAME-full and NAME-mutex (0600); producers and "
              "consumers use them; remove unlinks them",
     .hint = "sem_open(NAME-empty, O_CREAT | O_EXCL, 0600, slots) in create, sem_open(name, 0) "
             "in produce and consume, sem_unlink in remove.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "named-leftover",
     .clauses = "C3 C12",
     .points = 5,
     .run = named_leftover,
     .title = "create --named refuses a semaphore left by another run, and removes what it made "
              "itself",
     .hint = "O_EXCL on every sem_open; when one fails, sem_unlink the ones you made and "
             "shm_unlink the object, then report the failing call.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "nothing-left",
     .clauses = "C10",
     .points = 5,
     .run = nothing_left,
     .title = "The ring stays until remove, and remove leaves nothing",
     .hint = "produce and consume never unlink; remove destroys the semaphores (sem_destroy) "
             "and unlinks the object (shm_unlink).",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "errors-reported",
     .clauses = "C3 C12",
     .points = 5,
     .run = errors_reported,
     .title = "A missing ring or a name in use is reported (exit 1, naming the call), and a "
              "ring in use is left alone",
     .hint = "Only create uses O_CREAT, always with O_EXCL; on EEXIST remove nothing: the ring is "
             "somebody else's.",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "memory-safety",
     .needs = "one-to-one",
     .clauses = "C13",
     .points = 5,
     .run = memory_safety,
     .build = BUILD_SANITIZE,
     .title = "No memory error, undefined behaviour or leak (AddressSanitizer, UBSan) with the "
              "longest NAME and named semaphores",
     .hint = "Run `make VARIANT=sanitize` and try a NAME of 200 characters with --named: how "
             "big is the buffer you build NAME-empty in?",
     .timeout_ms = TEST_TIMEOUT_MS},
    {.id = "usage",
     .clauses = "C11",
     .points = 5,
     .run = usage,
     .title = "Bad arguments print a usage line, exit 2 and create nothing; the ends of every "
              "range are accepted",
     .hint = "parse_long() each number with its range, is_valid_shm_name() and the length for "
             "NAME, before any shm_open.",
     .timeout_ms = TEST_TIMEOUT_MS},
};

static const char *const student_files[] = {"ring.c", NULL};

static const struct lab lab05 = {
    .id = "05-bounded-buffer",
    .title = "A bounded buffer in POSIX shared memory with POSIX semaphores",
    .student_files = student_files,
    .tests = tests,
    .n_tests = ARRAY_LEN(tests),
};

SHMLAB_REGISTER_LAB(lab05);
