/*
 * Lab 03 - producer and consumer through a shared struct with a ready
 * flag: the graded promises of README.md.
 *
 * Every test gives the programs a key of its own (SHMLAB_KEY), starts them
 * in the orders the contract allows, and synchronises on events, never on
 * time:
 *
 *   - The grader plays one side itself. The struct is the handout's (C1),
 *     so the grader attaches the producer's segment and takes each message
 *     out of it as a consumer would, or makes the segment and puts each
 *     message into it as a producer would. Where the handout names an
 *     order ("only after the message was taken"), the grader holds the
 *     message back until the program shows that it waits (it naps again
 *     and again, or spins: await_waiting()), then looks at the struct: a
 *     program that goes on instead does so on every run.
 *   - When both programs are the student's, the producer's pause
 *     (INTERVAL_MS) is the grader's clock: the producer stops where it
 *     would sleep (STOP_AT_SLEEPS), and goes on once the consumer has
 *     printed the message. No test waits for a second to pass, and no
 *     message is written while the consumer may still be copying the one
 *     before: a consumer that reads the struct after handing it back is
 *     judged by no-data-race alone, on every run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>

#include "harness/harness.h"

/* The struct of channel.h (C1), as the grader reads and writes it when it
 * plays one side. */
#define MESSAGE_SIZE 256
struct channel_image {
    int counter;
    char message[MESSAGE_SIZE];
    atomic_int ready;
};
enum { CHANNEL_EMPTY = 0, CHANNEL_FULL = 1 };

/* No new line from the consumer for this long: the exchange hangs. A
 * correct handshake delivers a message in microseconds, even on a machine
 * loaded to the hilt. */
#define STALL_MS 10000
/* Messages at full speed, once the first ones were held back: a correct
 * handshake needs a few hundredths of a second for them, even on a loaded
 * machine. Speed is no clause (C5: "however long that takes"): the run
 * ends when no message comes for STALL_MS, or after MANY_MS in all, which
 * even the seed's 100 ms polling (20 s) stays far below. */
#define MANY    200
#define MANY_MS 120000
#define TEST_MS 180000
/* Messages the grader holds back, one after the other, before it lets the
 * exchange run at full speed. */
#define HOLDS 3
/* The producer's pause in the tests that run both programs: the seed's
 * default, timed by the grader. A sleep of half of it or more is the
 * pause (one that sleeps until a deadline asks for a little less). */
#define INTERVAL_MS   1000
#define INTERVAL_TEXT "1000"
#define PAUSE_MS      (INTERVAL_MS / 2)

#define RECEIVED_PREFIX "Consumer: Received - Counter: "
#define RECEIVED        RECEIVED_PREFIX "%ld, Message: Message number %ld from producer"
#define RECEIVED_LINE   "^Consumer: Received - "
#define SENT_LINE       "^Producer: Sent message ([0-9]+)$"
#define ANY_LINE        ".*"

/* A command line, for a function that starts a program. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* --- lines and messages ---------------------------------------------------------- */

/* The segment's id, as P prints it once it has attached the segment. */
static int printed_id(struct test_ctx *t, struct proc *p)
{
    return (int)await_number(t, p, "^Shared memory ID: ([0-9]+)$");
}

/* The text of message I. */
static const char *message_text(struct test_ctx *t, long i)
{
    return textf(t, "Message number %ld from producer", i);
}

/* The counter of a "Received" line, or -1 if LINE is no such line. */
static long received_counter(const char *line)
{
    const char *digits = line + strlen(RECEIVED_PREFIX);
    char *end;
    long counter;

    if (strncmp(line, RECEIVED_PREFIX, strlen(RECEIVED_PREFIX)) != 0)
        return -1;
    errno = 0;
    counter = strtol(digits, &end, 10);
    if (errno != 0 || end == digits || counter < 0 || strncmp(end, ", Message: ", 11) != 0)
        return -1;
    return counter;
}

/* What went wrong where message I was due and LINE came: lost, repeated,
 * torn. */
static const char *message_problem(struct test_ctx *t, long i, const char *line)
{
    long counter = received_counter(line);

    if (counter < 0)
        return textf(t, "the consumer printed another line where message %ld was due", i);
    if (counter > i && i == 1)
        return textf(t,
                     "message 1 was lost: the consumer's first message was message %ld (the "
                     "producer overwrote the struct before the consumer had taken it)",
                     counter);
    if (counter > i)
        return textf(t,
                     "message %ld was lost: after message %ld the consumer received message %ld "
                     "(the producer overwrote the struct before the consumer had taken it)",
                     i, i - 1, counter);
    if (counter < i)
        return textf(t,
                     "message %ld was received again after message %ld (the consumer read the "
                     "struct before the producer had put a new message in it)",
                     counter, i - 1);
    return textf(t,
                 "message %ld arrived torn or stale (read the struct only after the flag says it "
                 "is full, and copy it before handing it back)",
                 i);
}

/* LINE, a "Received" line of CONSUMER, is message I, or the test fails. */
static void expect_received(struct test_ctx *t, struct proc *consumer, long i, const char *line)
{
    const char *due = textf(t, RECEIVED, i, i);

    if (strcmp(line, due) == 0)
        return;
    check(t, false, "%s", message_problem(t, i, line));
    show_mismatch(t, due, line);
    show_transcript(t, consumer);
    test_end(t);
}

/* The consumer's next "Received" line (other lines are passed over) is
 * message I. */
static void await_received(struct test_ctx *t, struct proc *consumer, long i)
{
    expect_received(t, consumer, i, await_line(t, consumer, RECEIVED_LINE));
}

/* The producer's next "Sent" line (other lines are passed over) says it
 * sent message I. */
static void await_sent(struct test_ctx *t, struct proc *producer, long i)
{
    long sent = await_number(t, producer, SENT_LINE);

    if (sent != i)
        fail_about(t, producer,
                   "the producer should print \"Producer: Sent message %ld\" next, "
                   "but it printed \"Producer: Sent message %ld\"",
                   i, sent);
}

/* --- the grader as the consumer -------------------------------------------------------- */

/* The student's producer, and the grader taking its messages out of the
 * struct. */
struct graders_consumer {
    struct test_ctx *t;
    struct proc *producer;
    struct channel_image *ch;
    key_t key;
    int id;
    long count, taken;
    const char *problem; /* what went wrong in take_available(), or NULL */
};

/* Start `producer COUNT 0` (stopping after STOP_AFTER, if not NULL) and attach the
 * segment at the id it prints. */
static struct graders_consumer producer_for_grader(struct test_ctx *t, long count,
                                                   const char *stop_after)
{
    struct graders_consumer gc = {.t = t, .count = count};

    gc.key = use_unique_ipc_key(t);
    gc.producer = start(t, ARGS("producer", textf(t, "%ld", count), "0"), STOP_AFTER(stop_after));
    gc.id = printed_id(t, gc.producer);
    gc.ch = attach_segment(t, gc.id, "the id the producer printed");
    return gc;
}

/* Where the flag is in the struct. */
#define READY offsetof(struct channel_image, ready)

/* What the struct holds, for messages. */
static const char *struct_holds(struct test_ctx *t, const struct channel_image *ch)
{
    int ready = atomic_load_explicit(&ch->ready, memory_order_acquire);

    return textf(t, "counter %d, message \"%.*s\", flag %d%s", ch->counter, 64, ch->message, ready,
                 ready == CHANNEL_EMPTY  ? " (EMPTY)"
                 : ready == CHANNEL_FULL ? " (FULL)"
                                         : " (neither EMPTY nor FULL: is the struct laid out as "
                                           "in C1, counter, message, flag?)");
}

/* The struct holds message I: counter I and its text. */
static bool holds_message(struct test_ctx *t, const struct channel_image *ch, long i)
{
    return ch->counter == i && strncmp(ch->message, message_text(t, i), MESSAGE_SIZE) == 0;
}

/* The producer has handed message I over (the flag is FULL) and the
 * struct holds it; WHEN says at what point. */
static void expect_handed_over(struct graders_consumer *gc, long i, const char *when)
{
    struct test_ctx *t = gc->t;

    await_segment_int(t, gc->id, gc->ch, READY, CHANNEL_FULL, gc->producer,
                      textf(t, "for the producer to hand message %ld over", i));
    if (atomic_load_explicit(&gc->ch->ready, memory_order_acquire) != CHANNEL_FULL)
        fail_about(t, gc->producer,
                   "%s, the struct should be FULL with message %ld, but it holds %s%s", when, i,
                   struct_holds(t, gc->ch),
                   has_ended(gc->producer) ? " and the producer has ended" : "");
    if (!holds_message(t, gc->ch, i))
        fail_about(t, gc->producer,
                   "%s, the struct should hold message %ld (counter %ld, \"%s\"), but it holds %s",
                   when, i, i, message_text(t, i), struct_holds(t, gc->ch));
}

/* Take the message in the struct: hand it back to the producer. (The
 * replay script waits for the flag the grader found, FULL, first.) */
static void take(struct graders_consumer *gc)
{
    struct test_ctx *t = gc->t;

    if (segment_int(gc->ch, READY) == CHANNEL_FULL)
        replay_segment_int(t, gc->id, READY, CHANNEL_FULL, gc->producer,
                           textf(t, "for the producer to hand message %ld over", gc->taken + 1));
    store_segment_int(t, gc->id, gc->ch, READY, CHANNEL_EMPTY);
    gc->taken++;
}

/*
 * The grader holds back message I, which the producer has handed over:
 * the producer must wait (and, if JUDGE_CONTENT, leave message I in the
 * struct) until the grader takes it. Lines that do not start with
 * DUE_NEXT (what the producer prints once message I is taken) are passed
 * over; the producer fails if it prints DUE_NEXT or ends first; WHAT_NEXT
 * names that line.
 */
static void hold_message(struct graders_consumer *gc, long i, const char *due_next,
                         const char *what_next, bool judge_content)
{
    struct test_ctx *t = gc->t;
    enum waiting seen;

    while ((seen = await_waiting(t, gc->producer)) == WAIT_PRINTED) {
        const char *line = await_line(t, gc->producer, ANY_LINE);
        if (strncmp(line, due_next, strlen(due_next)) == 0)
            fail_about(t, gc->producer,
                       "the grader held message %ld back (it had not taken it: the flag stayed "
                       "FULL), so the producer should wait, but it printed \"%s\" (%s); the "
                       "struct holds %s",
                       i, line, what_next, struct_holds(t, gc->ch));
    }
    if (seen == WAIT_ENDED)
        fail_about(t, gc->producer,
                   "the grader held message %ld back (it had not taken it: the flag stayed FULL), "
                   "so the producer should wait, but it %s; the struct holds %s",
                   i, proc_describe_end(gc->producer).text, struct_holds(t, gc->ch));
    if (judge_content &&
        (!holds_message(t, gc->ch, i) ||
         atomic_load_explicit(&gc->ch->ready, memory_order_acquire) != CHANNEL_FULL))
        fail_about(t, gc->producer,
                   "the grader held message %ld back (it had not taken it), and the producer, "
                   "waiting, should have left it as it was, but the struct holds %s: the producer "
                   "wrote into the struct before the flag said EMPTY",
                   i, struct_holds(t, gc->ch));
    note(t, "held message %ld back: the producer waited%s", i,
         judge_content ? ", and left it in the struct" : "");
}

/* Take every message that is there, checking each, until none comes for
 * a moment (the wait then drains the programs' output) or all are taken. */
static bool take_available(void *arg)
{
    struct graders_consumer *gc = arg;
    struct test_ctx *t = gc->t;

    for (int idle = 0; idle < 5000 && gc->taken < gc->count;) {
        if (atomic_load_explicit(&gc->ch->ready, memory_order_acquire) != CHANNEL_FULL) {
            idle++;
            continue;
        }
        long i = gc->taken + 1;
        if (!holds_message(t, gc->ch, i)) {
            gc->problem = textf(t,
                                "message %ld should be in the struct when the flag says FULL, "
                                "but it holds %s (%s)",
                                i, struct_holds(t, gc->ch),
                                gc->ch->counter > i ? "a later message overwrote it before the "
                                                      "consumer had taken it"
                                                    : "an old or torn message");
            return true;
        }
        take(gc);
        idle = 0;
    }
    return gc->taken == gc->count || has_ended(gc->producer);
}

/* Take the remaining messages as fast as the producer hands them over,
 * within TOTAL_MS; none handed over for STALL_MS: the exchange hangs. */
static void take_the_rest(struct graders_consumer *gc, int total_ms)
{
    struct test_ctx *t = gc->t;
    long long until = now_ms() + scaled_timeout_ms(total_ms);
    long before;

    do {
        before = gc->taken;
        if (wait_for(t, take_available, gc, STALL_MS,
                     textf(t, "for the producer's %ld messages", gc->count)))
            break;
        if (gc->taken == before)
            fail_about(t, gc->producer,
                       "the exchange hangs: the producer handed over %ld of %ld messages, then "
                       "none for %d s; the struct holds %s",
                       gc->taken, gc->count, scaled_timeout_ms(STALL_MS) / 1000,
                       struct_holds(t, gc->ch));
    } while (now_ms() < until);
    if (gc->problem != NULL)
        fail_about(t, gc->producer, "%s", gc->problem);
    if (gc->taken < gc->count && !has_ended(gc->producer))
        fail_about(t, gc->producer,
                   "only %ld of %ld messages were handed over within %d s (too slow); the struct "
                   "holds %s",
                   gc->taken, gc->count, scaled_timeout_ms(total_ms) / 1000,
                   struct_holds(t, gc->ch));
    if (gc->taken < gc->count)
        fail_about(t, gc->producer,
                   "the producer %s after handing over %ld of %ld messages; the struct holds %s",
                   proc_describe_end(gc->producer).text, gc->taken, gc->count,
                   struct_holds(t, gc->ch));
}

/*
 * Take whatever the producer hands over, without judging it, until it
 * ends: for tests about something else. Each message is taken once the
 * producer waits for it to be taken, and then the producer must go on: a
 * producer that waits while the struct is its own (EMPTY), because it
 * read the flag once and never again, hangs on every run.
 */
static void drain(struct graders_consumer *gc)
{
    struct test_ctx *t = gc->t;

    for (;;) {
        while (has_unread_line(gc->producer))
            await_line(t, gc->producer, ANY_LINE);
        enum waiting seen = await_waiting(t, gc->producer);
        if (seen == WAIT_ENDED)
            return;
        if (seen == WAIT_PRINTED)
            continue;
        if (atomic_load_explicit(&gc->ch->ready, memory_order_acquire) != CHANNEL_FULL)
            fail_about(t, gc->producer,
                       "the grader took message %ld (the flag is EMPTY: the struct is the "
                       "producer's again), but the producer waits instead of going on: does it "
                       "read the flag only once (a plain int the compiler keeps in a register)?",
                       gc->taken);
        take(gc);
    }
}

/* --- the grader as the producer ----------------------------------------------------------- */

/* The student's consumer, and the grader putting messages into the struct
 * of a segment it made as the producer would. */
struct graders_producer {
    struct test_ctx *t;
    struct proc *consumer;
    struct channel_image *ch;
    int id;
    long count, received;
    bool finished;       /* the consumer printed its closing line */
    const char *wrong;   /* the first wrong "Received" line, or NULL */
    const char *problem; /* what else went wrong, or NULL */
};

/* The segment as the producer leaves it once it has initialised it (flag
 * EMPTY), and `consumer COUNT` started on it. */
static struct graders_producer consumer_of_grader(struct test_ctx *t, long count)
{
    struct graders_producer gp = {.t = t, .count = count};
    key_t key = use_unique_ipc_key(t);
    void *at;

    gp.id = make_segment_at(t, key, sizeof(struct channel_image), &at);
    gp.ch = at;
    store_segment_int(t, gp.id, gp.ch, READY, CHANNEL_EMPTY);
    gp.consumer = start(t, ARGS("consumer", textf(t, "%ld", count)));
    return gp;
}

/* Write a message into the struct, which is the producer's (EMPTY):
 * COUNTER, and LEN bytes of TEXT (a NUL among them or not). */
static void fill(struct graders_producer *gp, int counter, const char *text, size_t len)
{
    char message[MESSAGE_SIZE] = {0};

    memcpy(message, text, len);
    store_segment_int(gp->t, gp->id, gp->ch, offsetof(struct channel_image, counter), counter);
    store_segment_bytes(gp->t, gp->id, gp->ch, offsetof(struct channel_image, message), message,
                        MESSAGE_SIZE);
}

/* Hand the struct over to the consumer. */
static void hand_over(struct graders_producer *gp)
{
    store_segment_int(gp->t, gp->id, gp->ch, READY, CHANNEL_FULL);
}

/* Write message I into the struct. */
static void fill_message(struct graders_producer *gp, long i)
{
    const char *text = message_text(gp->t, i);
    fill(gp, (int)i, text, strlen(text) + 1);
}

/* Put message I into the struct and hand it over. */
static void put_message(struct graders_producer *gp, long i)
{
    fill_message(gp, i);
    hand_over(gp);
}

/* The consumer has printed message I: wait until it has handed the struct
 * back (it may print before it sets EMPTY); false if it does not within
 * the stall time. Inside a line callback too: no wait of the harness. */
static bool handed_back(struct graders_producer *gp, long i)
{
    long long until = now_ms() + scaled_timeout_ms(STALL_MS);

    replay_segment_int(gp->t, gp->id, READY, CHANNEL_EMPTY, gp->consumer,
                       textf(gp->t, "for the consumer to hand message %ld back", i));
    while (atomic_load_explicit(&gp->ch->ready, memory_order_acquire) != CHANNEL_EMPTY) {
        if (now_ms() >= until)
            return false;
        sched_yield();
    }
    return true;
}

/* The consumer's next "Received" line is message I, and it hands the
 * struct back. */
static void await_taken(struct graders_producer *gp, long i)
{
    struct test_ctx *t = gp->t;

    await_received(t, gp->consumer, i);
    gp->received = i;
    if (!handed_back(gp, i))
        fail_about(t, gp->consumer,
                   "the consumer printed message %ld, but did not hand the struct back (set the "
                   "flag to EMPTY) within %d s; the struct holds %s",
                   i, scaled_timeout_ms(STALL_MS) / 1000, struct_holds(t, gp->ch));
}

/*
 * The flag is EMPTY (the grader, as the producer, holds the next message
 * back): the consumer must wait, print nothing more, and leave the flag
 * alone. WHEN says at what point, HELD what the struct holds then.
 */
static void hold_back(struct graders_producer *gp, const char *when, const char *held)
{
    struct test_ctx *t = gp->t;
    enum waiting seen;

    while ((seen = await_waiting(t, gp->consumer)) == WAIT_PRINTED) {
        const char *line = await_line(t, gp->consumer, ANY_LINE);
        if (strncmp(line, RECEIVED_PREFIX, strlen(RECEIVED_PREFIX)) == 0)
            fail_about(t, gp->consumer,
                       "%s, the grader, as the producer, held the next message back (%s; the "
                       "flag stayed EMPTY), so the consumer should wait, but it printed \"%s\": "
                       "it read the struct without waiting for the flag to say FULL",
                       when, held, line);
    }
    if (seen == WAIT_ENDED)
        fail_about(t, gp->consumer,
                   "%s, the grader, as the producer, held the next message back (the flag stayed "
                   "EMPTY), so the consumer should wait, but it %s",
                   when, proc_describe_end(gp->consumer).text);
    if (atomic_load_explicit(&gp->ch->ready, memory_order_acquire) != CHANNEL_EMPTY)
        fail_about(t, gp->consumer,
                   "%s, the grader held the next message back, and the consumer, waiting, should "
                   "have left the flag EMPTY, but the struct holds %s: only the side that owns "
                   "the struct sets the flag",
                   when, struct_holds(t, gp->ch));
    note(t, "%s, held the next message back (%s): the consumer waited", when, held);
}

/* The consumer's opening lines, with the grader's segment id. */
static void await_connected(struct graders_producer *gp)
{
    struct test_ctx *t = gp->t;
    int id = printed_id(t, gp->consumer);

    if (id != gp->id)
        fail_about(t, gp->consumer,
                   "the consumer printed the id %d, but the segment at its key SHMLAB_KEY is %d",
                   id, gp->id);
}

/* A line of the consumer while the grader feeds it at full speed: each
 * "Received" line is the next message; once it has handed the struct
 * back, the grader puts the message after it. Other lines pass. */
static bool on_consumer_line(const char *line, void *arg)
{
    struct graders_producer *gp = arg;
    struct test_ctx *t = gp->t;

    if (strcmp(line, "Consumer: Finished and cleaned up") == 0 && gp->received == gp->count) {
        gp->finished = true;
        return false;
    }
    if (strncmp(line, RECEIVED_PREFIX, strlen(RECEIVED_PREFIX)) != 0)
        return true;
    replay_line_seen(t, gp->consumer, line);
    if (strcmp(line, textf(t, RECEIVED, gp->received + 1, gp->received + 1)) != 0 ||
        gp->received == gp->count) {
        gp->wrong = textf(t, "%s", line);
        return false;
    }
    gp->received++;
    if (!handed_back(gp, gp->received)) {
        gp->problem = textf(t,
                            "the consumer printed message %ld, but did not hand the struct back "
                            "(set the flag to EMPTY) within %d s",
                            gp->received, scaled_timeout_ms(STALL_MS) / 1000);
        return false;
    }
    if (gp->received < gp->count)
        put_message(gp, gp->received + 1);
    return true;
}

/* Feed the consumer its remaining messages, each once it has printed the
 * one before (so nothing is overwritten while it may still copy), then
 * expect its closing line and its end. */
static void feed_the_rest(struct graders_producer *gp, int total_ms)
{
    struct test_ctx *t = gp->t;
    enum follow_end end;

    if (gp->received < gp->count)
        put_message(gp, gp->received + 1);
    end = follow_stdout(t, gp->consumer, STALL_MS, total_ms, on_consumer_line, gp);
    if (gp->wrong != NULL) {
        const char *due = gp->received == gp->count
                              ? "Consumer: Finished and cleaned up"
                              : textf(t, RECEIVED, gp->received + 1, gp->received + 1);
        check(t, false, "%s",
              gp->received == gp->count ? "the consumer received more messages than COUNT"
                                        : message_problem(t, gp->received + 1, gp->wrong));
        show_mismatch(t, due, gp->wrong);
        show_transcript(t, gp->consumer);
        test_end(t);
    }
    if (gp->problem != NULL)
        fail_about(t, gp->consumer, "%s", gp->problem);
    if (!gp->finished && end == FOLLOW_EOF && wait_end(t, gp->consumer, 0))
        fail_about(t, gp->consumer,
                   "the consumer %s after receiving %ld of %ld messages, without its closing line",
                   proc_describe_end(gp->consumer).text, gp->received, gp->count);
    if (!gp->finished && end == FOLLOW_STALLED)
        fail_about(t, gp->consumer,
                   "the exchange hangs: the consumer received %ld of %ld messages, then printed "
                   "nothing for %d s; the struct holds %s",
                   gp->received, gp->count, scaled_timeout_ms(STALL_MS) / 1000,
                   struct_holds(t, gp->ch));
    if (!gp->finished)
        fail_about(t, gp->consumer, "only %ld of %ld messages arrived within %d s (too slow)",
                   gp->received, gp->count, scaled_timeout_ms(total_ms) / 1000);
    expect_end(t, gp->consumer, EXIT(0));
}

/* --- both programs the student's, the pauses timed by the grader -------------------------- */

/* A producer and its consumer, the producer's pauses stopping it. */
struct exchange {
    struct proc *producer, *consumer;
    long count;
    int id;
    bool exact; /* every line as the handout has it, in order (five-messages) */
};

/* Start the producer (ARGV), its pauses the grader's, and read its id. */
static void start_producer(struct test_ctx *t, struct exchange *e, const char *const *argv)
{
    /* An exact exchange holds the producer right after its id line, to
     * start the consumer at once, before message 1. */
    e->producer = start(t, .argv = argv, STOP_AT_SLEEPS(PAUSE_MS),
                        STOP_AFTER(e->exact ? "stdout-line:2" : NULL));
    if (e->exact) {
        expect_next_line(t, e->producer, "Producer: Shared memory initialized");
        e->id = (int)await_number(t, e->producer, "^Shared memory ID: ([0-9]+)$");
    } else {
        e->id = printed_id(t, e->producer);
    }
}

static void start_consumer(struct test_ctx *t, struct exchange *e, const char *const *argv)
{
    e->consumer = start(t, .argv = argv);
    if (e->exact) {
        expect_next_line(t, e->consumer, "Consumer: Connected to shared memory");
        expect_next_line(t, e->consumer, textf(t, "Shared memory ID: %d", e->id));
    }
}

static bool paused_or_went_on(void *arg)
{
    struct proc *p = arg;
    return has_stopped(p) || has_unread_line(p) || has_ended(p);
}

static bool at_once(void *arg)
{
    (void)arg;
    return true;
}

/* Wait until the producer pauses (stopped by the grader's clock), prints a
 * line or ends; true if it paused. Then every line it wrote before has
 * been read: a stopped program writes nothing more, but what it wrote
 * just before may still be in the pipe. */
static bool await_pause(struct test_ctx *t, struct proc *producer, const char *what)
{
    if (!wait_for(t, paused_or_went_on, producer, 0, what))
        fail_about(t, producer, "the producer neither paused nor went on");
    if (!has_stopped(producer))
        return false;
    wait_for(t, at_once, NULL, 0, "for the producer's output");
    return true;
}

/* The producer says it sent message I. An exact exchange wants that line
 * next, with no pause before it; in others, other lines pass, and a
 * producer that pauses elsewhere is let go on. */
static void sent(struct test_ctx *t, struct exchange *e, long i)
{
    const char *due = textf(t, "Producer: Sent message %ld", i);

    for (;;) {
        bool paused = await_pause(t, e->producer, "for the producer's next line");
        if (e->exact && has_unread_line(e->producer)) {
            expect_next_line(t, e->producer, due);
            return;
        }
        while (has_unread_line(e->producer)) {
            const char *line = await_line(t, e->producer, ANY_LINE);
            if (strcmp(line, due) == 0)
                return;
            if (strncmp(line, "Producer: Sent message", 22) == 0) {
                show_mismatch(t, due, line);
                fail_about(t, e->producer, "the producer should say it sent message %ld next", i);
            }
        }
        if (!paused && has_ended(e->producer))
            fail_about(t, e->producer, "the producer should print \"%s\", but it %s first", due,
                       proc_describe_end(e->producer).text);
        if (!paused)
            continue;
        if (e->exact)
            fail_about(t, e->producer,
                       "the producer paused (slept INTERVAL_MS) before it printed \"%s\": it "
                       "pauses after each message but the last, between that line and the next "
                       "message",
                       due);
        resume(t, e->producer);
    }
}

/* The consumer receives message I. */
static void received(struct test_ctx *t, struct exchange *e, long i)
{
    if (e->exact)
        expect_next_line(t, e->consumer, textf(t, RECEIVED, i, i));
    else
        await_received(t, e->consumer, i);
}

/*
 * After message I (not the last), which the consumer has printed: the
 * producer pauses, stopped by the grader's clock, and goes on once the
 * consumer waits for the next message. Until then it cannot write message
 * I + 1, so nothing is overwritten while the consumer may still be
 * reading message I, even after its line. Only an exact exchange insists
 * on the pause; in others a producer that does not pause goes on as it
 * likes.
 */
static void pause_after(struct test_ctx *t, struct exchange *e, long i)
{
    await_waiting(t, e->consumer); /* what it does instead, the next step sees */
    if (await_pause(t, e->producer, "for the producer to pause"))
        resume(t, e->producer);
    else if (e->exact)
        fail_about(t, e->producer,
                   "after \"Producer: Sent message %ld\" the producer should pause INTERVAL_MS "
                   "(%d ms, one sleep) before message %ld, but it %s",
                   i, INTERVAL_MS, i + 1,
                   has_unread_line(e->producer) ? "printed its next line without one"
                                                : proc_describe_end(e->producer).text);
}

/* Message I of the exchange: sent, received, and the pause after it. */
static void exchange_message(struct test_ctx *t, struct exchange *e, long i)
{
    sent(t, e, i);
    received(t, e, i);
    if (i < e->count)
        pause_after(t, e, i);
}

/* Both programs print their closing lines and exit 0 (a producer that
 * pauses after its last message too is let go on); then their stdout is
 * PRODUCER_OUT and CONSUMER_OUT, unless NULL. */
static void finish_exchange(struct test_ctx *t, struct exchange *e, const char *producer_out,
                            const char *consumer_out)
{
    if (e->exact)
        expect_next_line(t, e->consumer, "Consumer: Finished and cleaned up");
    else
        await_line(t, e->consumer, "^Consumer: Finished and cleaned up$");
    while (await_pause(t, e->producer, "for the producer to finish"))
        resume(t, e->producer);
    if (e->exact)
        expect_next_line(t, e->producer, "Producer: Finished");
    else
        await_line(t, e->producer, "^Producer: Finished$");
    expect_end(t, e->consumer, EXIT(0), .stdout_text = consumer_out);
    expect_end(t, e->producer, EXIT(0), .stdout_text = producer_out);
}

/* --- the tests ------------------------------------------------------------------ */

/* The seed's run: both programs with their defaults, every line exactly
 * as the handout has it, the consumer started at once. */
static void five_messages(struct test_ctx *t)
{
    struct exchange e = {.count = 5, .exact = true};
    const char *producer_out, *consumer_out;

    use_unique_ipc_key(t);
    start_producer(t, &e, ARGV("producer"));
    wait_stopped(t, e.producer);
    start_consumer(t, &e, ARGV("consumer"));
    if (await_waiting(t, e.consumer) != WAITING)
        fail_about(t, e.consumer,
                   "the consumer started while the producer was held right after printing its "
                   "id, before message 1, so it should wait for message 1, but it %s",
                   has_unread_line(e.consumer)
                       ? textf(t, "printed \"%s\"", await_line(t, e.consumer, ANY_LINE))
                       : proc_describe_end(e.consumer).text);
    resume(t, e.producer);
    for (long i = 1; i <= e.count; i++)
        exchange_message(t, &e, i);
    producer_out = textf(t, "Producer: Shared memory initialized\nShared memory ID: %d\n", e.id);
    consumer_out = textf(t, "Consumer: Connected to shared memory\nShared memory ID: %d\n", e.id);
    for (long i = 1; i <= e.count; i++) {
        producer_out = textf(t, "%sProducer: Sent message %ld\n", producer_out, i);
        consumer_out = textf(t, "%s" RECEIVED "\n", consumer_out, i, i);
    }
    finish_exchange(t, &e, textf(t, "%sProducer: Finished\n", producer_out),
                    textf(t, "%sConsumer: Finished and cleaned up\n", consumer_out));
}

/*
 * The student's producer, the grader its consumer: the grader holds each
 * of the first messages back until the producer waits, and the struct
 * must still hold it; then it takes 200 as fast as they come, each
 * checked in the struct.
 */
static void producer_waits(struct test_ctx *t)
{
    struct graders_consumer gc = producer_for_grader(t, MANY, NULL);

    for (long i = 1; i <= HOLDS; i++) {
        await_sent(t, gc.producer, i);
        expect_handed_over(&gc, i, textf(t, "once the producer said it sent message %ld", i));
        hold_message(&gc, i, "Producer: Sent message", "it sent another message", true);
        take(&gc);
    }
    take_the_rest(&gc, MANY_MS);
    expect_end(t, gc.producer, EXIT(0));
}

/*
 * The student's consumer, the grader its producer: the consumer starts
 * before message 1 is in the struct and must wait for it; the grader
 * holds each of the first messages back, before and after writing it
 * into the struct, and the consumer must wait until the flag says FULL;
 * then 200, each put in once the consumer has printed the one before.
 */
static void consumer_waits(struct test_ctx *t)
{
    struct graders_producer gp = consumer_of_grader(t, MANY);

    await_connected(&gp);
    for (long i = 1; i <= HOLDS; i++) {
        const char *when = i == 1 ? "before message 1 (the consumer started at once, as the "
                                    "producer printed its id)"
                                  : textf(t, "after message %ld", i - 1);
        hold_back(&gp, when, "the struct still held what was there before");
        fill_message(&gp, i);
        hold_back(&gp, when, textf(t, "message %ld was in the struct, not yet handed over", i));
        hand_over(&gp);
        await_taken(&gp, i);
    }
    feed_the_rest(&gp, MANY_MS);
}

/* The producer is stopped right after its line "Sent message 1" has
 * reached its stdout: message 1 must be in the struct, FULL, by then. */
static void sent_after_full(struct test_ctx *t)
{
    struct graders_consumer gc = producer_for_grader(t, 2, "stdout-line:3");

    wait_stopped(t, gc.producer);
    await_sent(t, gc.producer, 1);
    if (atomic_load_explicit(&gc.ch->ready, memory_order_acquire) != CHANNEL_FULL ||
        !holds_message(t, gc.ch, 1))
        fail_about(t, gc.producer,
                   "the producer was stopped right after its line \"Producer: Sent message 1\", "
                   "and the struct should then hold message 1 and be FULL, but it holds %s: print "
                   "the line only after the message is in the struct and handed over",
                   struct_holds(t, gc.ch));
    resume(t, gc.producer);
}

/* The grader holds the last message back: the producer must wait, and
 * print its closing line only once the grader has taken it. (Message 1 is
 * taken once the producer waits for it, whatever the struct holds: that
 * is producer-waits' to judge.) */
static void finished_after_last(struct test_ctx *t)
{
    struct graders_consumer gc = producer_for_grader(t, 2, NULL);

    await_sent(t, gc.producer, 1);
    await_segment_int(t, gc.id, gc.ch, READY, CHANNEL_FULL, gc.producer,
                      "for the producer to hand message 1 over");
    await_waiting(t, gc.producer);
    take(&gc);
    await_sent(t, gc.producer, 2);
    await_segment_int(t, gc.id, gc.ch, READY, CHANNEL_FULL, gc.producer,
                      "for the producer to hand message 2 over");
    hold_message(&gc, 2, "Producer: Finished",
                 "its closing line, before the last message was taken", false);
    take(&gc);
    await_line(t, gc.producer, "^Producer: Finished$");
    expect_end(t, gc.producer, EXIT(0));
}

/* The producer leaves the segment to the consumer, who removes it. */
static void producer_keeps_segment(struct test_ctx *t)
{
    struct graders_consumer gc = producer_for_grader(t, 3, NULL);
    struct shmid_ds segment;

    drain(&gc);
    /* Removed, the segment would stay while the grader is attached; but
     * it would be marked for removal. */
    require(t, shmctl(gc.id, IPC_STAT, &segment) == 0 && !(segment.shm_perm.mode & SHM_DEST),
            "after the producer ended, its segment %d should still be there (the consumer "
            "removes it, once it has taken the last message), but %s",
            gc.id,
            shmctl(gc.id, IPC_STAT, &segment) == 0 ? "the producer marked it for removal (IPC_RMID)"
                                                   : "it is gone");
}

/* A consumer started while message 1 waits in the struct takes it: it
 * does not reset the struct or the flag. */
static void late_consumer(struct test_ctx *t)
{
    struct exchange e = {.count = 3};

    use_unique_ipc_key(t);
    start_producer(t, &e, ARGV("producer", "3", INTERVAL_TEXT));
    sent(t, &e, 1);
    struct channel_image *ch = attach_segment(t, e.id, "the id the producer printed");
    start_consumer(t, &e, ARGV("consumer", "3"));
    printed_id(t, e.consumer);
    if (await_waiting(t, e.consumer) == WAITING)
        fail_about(t, e.consumer,
                   "message 1 was in the struct when the consumer started, so it should take it "
                   "at once, but it waits; the struct holds %s (did it reset the flag or the "
                   "struct? only the producer initialises them)",
                   struct_holds(t, ch));
    received(t, &e, 1);
    pause_after(t, &e, 1);
    for (long i = 2; i <= e.count; i++)
        exchange_message(t, &e, i);
    finish_exchange(t, &e, NULL, NULL);
}

static void ids_agree(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *producer = start(t, ARGS("producer", "2", "0"));
    int id = printed_id(t, producer);
    await_sent(t, producer, 1);
    struct ipc_object segment =
        existing_sysv_object(t, IPC_KIND_SYSV_SHM, key, "while the producer waits for a consumer");
    require(t, segment.id == id, "the producer printed id %d, but the segment at its key has id %d",
            id, segment.id);
    require(t, segment.creator == producer->pid,
            "segment %d was created by pid %d, not by the producer (pid %d)", id,
            (int)segment.creator, (int)producer->pid);
    int consumer_id = printed_id(t, start(t, ARGS("consumer", "2")));
    require(t, consumer_id == id, "the consumer printed id %d, but the producer printed %d",
            consumer_id, id);
}

static void segment_mode(struct test_ctx *t)
{
    use_unique_ipc_key(t);
    struct proc *producer = start(t, ARGS("producer", "2", "0"));
    int id = printed_id(t, producer);
    await_sent(t, producer, 1);
    struct ipc_object segment = expect_sysv_segment(t, id, "the id the producer printed");
    require(t, segment.mode == 0600,
            "the segment's mode should be 0600 (only its owner may read or write), but it is %04o",
            (unsigned)segment.mode);
    require(t, segment.size >= sizeof(struct channel_image),
            "the segment should hold the struct (at least %zu bytes), but it has %zu",
            sizeof(struct channel_image), segment.size);
}

/* The consumer, started once message 1 is in the struct, takes it and
 * removes the segment (while the producer may still be attached; one
 * that pauses after its last message too is held there). */
static void segment_removed(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct exchange e = {.count = 1};

    start_producer(t, &e, ARGV("producer", "1", INTERVAL_TEXT));
    sent(t, &e, 1);
    start_consumer(t, &e, ARGV("consumer", "1"));
    received(t, &e, 1);
    await_line(t, e.consumer, "^Consumer: Finished and cleaned up$");
    expect_end(t, e.consumer, EXIT(0));
    expect_no_sysv_object(t, key, "after the consumer ended",
                          "the consumer removes the segment with IPC_RMID");
}

static void no_producer(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    expect_run(t, ARGS("consumer"), EXIT(1), NO_STDOUT, ERROR("shmget", ENOENT));
    expect_no_sysv_object(t, key, "after a consumer without a producer",
                          "a consumer never creates the segment");
}

static void busy_key(struct test_ctx *t)
{
    use_unique_ipc_key(t);
    struct proc *first = start(t, ARGS("producer", "3", "0"));
    printed_id(t, first);
    await_sent(t, first, 1);
    expect_run(t, ARGS("producer", "3", "0"), EXIT(1), NO_STDOUT, ERROR("shmget", EEXIST));
}

/* Two exchanges at once, each with its key, message by message; each
 * consumer started once its producer has sent message 1. */
static void two_at_once(struct test_ctx *t)
{
    struct exchange e[2] = {{.count = 3}, {.count = 3}};
    key_t keys[2];

    for (int k = 0; k < 2; k++) {
        keys[k] = use_unique_ipc_key(t);
        start_producer(t, &e[k], ARGV("producer", "3", INTERVAL_TEXT));
    }
    require(t, e[0].id != e[1].id, "two producers with different keys printed the same id %d",
            e[0].id);
    for (int k = 0; k < 2; k++)
        sent(t, &e[k], 1);
    for (int k = 0; k < 2; k++) {
        use_ipc_key(t, keys[k]);
        start_consumer(t, &e[k], ARGV("consumer", "3"));
        require(t, printed_id(t, e[k].consumer) == e[k].id,
                "the consumer started with the key of producer %d should print its id %d", k + 1,
                e[k].id);
    }
    for (int k = 0; k < 2; k++) {
        received(t, &e[k], 1);
        pause_after(t, &e[k], 1);
    }
    for (long i = 2; i <= 3; i++)
        for (int k = 0; k < 2; k++)
            exchange_message(t, &e[k], i);
    for (int k = 0; k < 2; k++)
        finish_exchange(t, &e[k], NULL, NULL);
}

static bool stopped_or_ended(void *arg)
{
    struct proc *p = arg;
    return has_stopped(p) || has_ended(p);
}

static void usage(struct test_ctx *t)
{
    static const char *const bad_arguments[][4] = {
        {"producer", "abc"},         {"producer", "0"},
        {"producer", "-3"},          {"producer", "1000001"},
        {"producer", "5", "x"},      {"producer", "5", "-1"},
        {"producer", "5", "60001"},  {"producer", "5", "99999999999"},
        {"producer", "1", "2", "3"}, {"consumer", "abc"},
        {"consumer", "0"},           {"consumer", "1000001"},
        {"consumer", "1", "2"},
    };
    key_t key = use_unique_ipc_key(t);
    struct proc *largest[2];

    for (size_t i = 0; i < ARRAY_LEN(bad_arguments); i++)
        expect_run(t, .argv = bad_arguments[i], USAGE);
    expect_no_sysv_object(t, key, "after usage errors", "a usage error creates nothing");
    /* The largest values are accepted: each program goes on to its
     * shmget, where it is stopped (a million messages a minute apart take
     * years). */
    largest[0] = start(t, ARGS("producer", "1000000", "60000"), STOP_BEFORE("shmget"));
    largest[1] = start(t, ARGS("consumer", "1000000"), STOP_BEFORE("shmget"));
    for (int i = 0; i < 2; i++) {
        wait_for(t, stopped_or_ended, largest[i], 0, "for the program to get past its arguments");
        if (!has_stopped(largest[i]))
            fail_about(t, largest[i],
                       "COUNT 1000000%s the largest the handout allows: `%s` should accept "
                       "it and go on to %s the segment, but it %s",
                       i == 0 ? " and INTERVAL_MS 60000 are" : " is", largest[i]->command,
                       i == 0 ? "create" : "look for", proc_describe_end(largest[i]).text);
    }
}

/*
 * The two programs as threads of one process under ThreadSanitizer (make
 * VARIANT=threads, labs/common/threads.c), the consumer started once the
 * producer has sent message 1 (a consumer that resets the flag then loses
 * it on every run, not only sometimes): an access to the struct that the
 * flag does not order (a plain, volatile or relaxed flag, a message read
 * after it was handed back) is a data race on every run, reported with
 * both lines, even where the hardware happens to keep the order. Each
 * side that sees the flag change is held until the other side is back at
 * its check (threads --hold-handovers): a consumer that checks the flag
 * once and reads the struct anyway finds it EMPTY and reads while the
 * producer writes on every run; without the hold it found it FULL (no
 * race to report) about one run in thirty on a busy machine. (A
 * producer that does not wait for the consumer may finish before the
 * consumer starts; then the consumer waits for ever, and the step's time
 * ends it.)
 */
static void no_data_race(struct test_ctx *t)
{
    use_unique_ipc_key(t);
    expect_run(t,
               ARGS("threads", "--hold-handovers", "producer", "20", "0",
                    "--after=Producer: Sent message 1", "consumer", "20"),
               EXIT(0), STDOUT_HAS("[consumer] Consumer: Finished and cleaned up"),
               WITHIN_MS(2 * STALL_MS));
}

/*
 * The sanitizer build: no memory error, undefined behaviour or leak in
 * either program. The consumer gets, from the grader, the longest counter,
 * a message of 255 characters, and one that fills all 256 bytes with no
 * NUL (the other side is never trusted to terminate it); the producer
 * hands three messages to the grader. Both must run through.
 */
static void memory_safety(struct test_ctx *t)
{
    static const int counters[] = {1, 1000000, 3, 4};
    struct graders_producer gp = consumer_of_grader(t, 4);
    char longest[MESSAGE_SIZE];

    await_connected(&gp);
    for (int i = 0; i < 4; i++) {
        const char *text = i < 2 ? message_text(t, counters[i]) : longest;
        memset(longest, 'x', sizeof(longest));
        longest[MESSAGE_SIZE - 1] = i == 2 ? '\0' : 'x';
        fill(&gp, counters[i], text, i < 2 ? strlen(text) + 1 : MESSAGE_SIZE);
        hand_over(&gp);
        await_line(t, gp.consumer, RECEIVED_LINE);
        if (!handed_back(&gp, i + 1))
            fail_about(t, gp.consumer, "the consumer did not hand message %d back", i + 1);
    }
    expect_end(t, gp.consumer, EXIT(0));

    struct graders_consumer gc = producer_for_grader(t, 3, NULL);
    take_the_rest(&gc, STALL_MS);
    expect_end(t, gc.producer, EXIT(0));
}

static const struct lab_test tests[] = {
    {.id = "five-messages",
     .clauses = "C4 C5 C7 C9",
     .points = 10,
     .run = five_messages,
     .timeout_ms = TEST_MS,
     .title = "The seed's run (5 messages, 1 s apart): each pause between two messages, every "
              "line exactly as the handout has it, nothing more on stdout",
     .hint = "Steps 2 to 6 of the handout; compare your lines with the sample session. Pause "
             "(one nanosleep of INTERVAL_MS) after printing each \"Sent\" line but the last. "
             "Debugging lines go to stderr."},
    {.id = "producer-waits",
     .clauses = "C5",
     .points = 10,
     .run = producer_waits,
     .timeout_ms = TEST_MS,
     .title = "The producer writes each message only once the one before was taken: held back, "
              "it waits; then 200 with no pause, each in the struct in turn",
     .hint = "Before writing a message, wait until the flag is EMPTY again (an acquire load); "
             "hand it over with a release store of FULL. Sleeping is not waiting."},
    {.id = "consumer-waits",
     .clauses = "C7 C9",
     .points = 10,
     .run = consumer_waits,
     .timeout_ms = TEST_MS,
     .title = "The consumer reads each message only once the flag says FULL: started before "
              "message 1, and between messages, it waits; then 200 with no pause, each once",
     .hint = "Wait until the flag is FULL (an acquire load) before every read, the first one "
             "too; copy, then set EMPTY. Never touch the flag while it is EMPTY."},
    {.id = "sent-after-full",
     .clauses = "C4",
     .points = 5,
     .run = sent_after_full,
     .timeout_ms = TEST_MS,
     .title = "The producer prints \"Sent message i\" only once message i is in the struct and "
              "the flag says FULL",
     .hint = "Write the counter and the message, set the flag to FULL, then print the line."},
    {.id = "finished-after-last",
     .clauses = "C4 C5",
     .points = 5,
     .run = finished_after_last,
     .timeout_ms = TEST_MS,
     .title = "The producer prints \"Producer: Finished\" only once the consumer has taken the "
              "last message, and exits 0",
     .hint = "After the last message, wait for the flag to be EMPTY once more before detaching "
             "and printing the closing line."},
    {.id = "producer-keeps-segment",
     .clauses = "C5",
     .points = 5,
     .run = producer_keeps_segment,
     .timeout_ms = TEST_MS,
     .title = "The producer detaches and leaves the segment to the consumer, who removes it",
     .hint = "The producer only detaches (shmdt); IPC_RMID is the consumer's."},
    {.id = "late-consumer",
     .clauses = "C7 C9",
     .points = 5,
     .run = late_consumer,
     .timeout_ms = TEST_MS,
     .title = "A consumer started while message 1 waits in the struct takes it, and all the rest",
     .hint = "Only the producer initialises the struct; the consumer takes whatever is there."},
    {.id = "no-data-race",
     .clauses = "C12",
     .points = 10,
     .run = no_data_race,
     .build = BUILD_THREADS,
     .timeout_ms = 90000,
     .title = "No data race: the flag orders every access to the struct (ThreadSanitizer, with "
              "the two programs as threads of one process)",
     .hint = "`make VARIANT=threads`, then `./threads --hold-handovers producer 5 0 "
             "--after='Sent message 1' consumer 5` shows ThreadSanitizer's two lines. See \"The "
             "handshake: release and acquire\": which side owns the struct at that moment?"},
    {.id = "ids-agree",
     .clauses = "C2 C3 C4 C7",
     .points = 5,
     .run = ids_agree,
     .timeout_ms = 90000,
     .title = "Both print the id of the segment at the key from SHMLAB_KEY, and the ids agree",
     .hint = "Get the key with shmlab_key(CHANNEL_DEFAULT_KEY), in both programs."},
    {.id = "segment-mode",
     .clauses = "C1",
     .points = 5,
     .run = segment_mode,
     .timeout_ms = 90000,
     .title = "The segment holds the struct and has mode 0600, not the seed's 0666",
     .hint = "shmget's third argument holds the mode: only the owner may read and write; the "
             "size is the struct's."},
    {.id = "segment-removed",
     .clauses = "C8",
     .points = 5,
     .run = segment_removed,
     .timeout_ms = 90000,
     .title = "After the consumer's last message, the segment is removed (IPC_RMID)",
     .hint = "A System V segment outlives every process until it is marked for removal: see "
             "shmctl(2)."},
    {.id = "no-producer",
     .clauses = "C6 C11",
     .points = 5,
     .run = no_producer,
     .timeout_ms = 60000,
     .title = "A consumer with no producer fails at once: exit 1, shmget's error, nothing created",
     .hint = "The consumer looks the segment up without creating it, and reports shmget's error "
             "with die_errno or die."},
    {.id = "busy-key",
     .clauses = "C3 C11",
     .points = 5,
     .run = busy_key,
     .timeout_ms = 90000,
     .title = "A second producer on a key in use is refused: exit 1, shmget's EEXIST",
     .hint = "Without IPC_EXCL the second producer takes over the first one's struct."},
    {.id = "two-at-once",
     .clauses = "C2 C7",
     .points = 5,
     .run = two_at_once,
     .timeout_ms = TEST_MS,
     .title = "Two exchanges at once, each with its own SHMLAB_KEY, do not mix",
     .hint = "A fixed key makes every run on the machine share one segment."},
    {.id = "usage",
     .clauses = "C10",
     .points = 5,
     .run = usage,
     .timeout_ms = 90000,
     .title = "Bad COUNT or INTERVAL_MS (one past either end of its range too), or too many "
              "arguments: a usage line, exit 2, nothing created; the largest values are accepted",
     .hint = "parse_long() with the ranges of the handout (both ends included), then "
             "die_usage()."},
    {.id = "memory-safety",
     .needs = "producer-waits consumer-waits",
     .clauses = "C13",
     .points = 5,
     .run = memory_safety,
     .build = BUILD_SANITIZE,
     .timeout_ms = TEST_MS,
     .title = "No memory error, undefined behaviour or leak (AddressSanitizer, UBSan), also with "
              "a message that fills the struct's 256 bytes with no NUL",
     .hint = "Run `make VARIANT=sanitize` and your programs: the sanitizer names the line. Copy "
             "at most sizeof(message) bytes, terminate the copy yourself, free what you "
             "allocate."},
};

static const char *const student_files[] = {"channel.h", "producer.c", "consumer.c", NULL};

static const struct lab lab03 = {
    .id = "03-producer-consumer",
    .title = "Producer and consumer: a shared struct and a ready flag",
    .student_files = student_files,
    .tests = tests,
    .n_tests = ARRAY_LEN(tests),
};

SHMLAB_REGISTER_LAB(lab03);
