/*
 * Lab 06 - a single-producer, single-consumer ring in shared memory: the
 * graded promises of README.md.
 *
 * The student writes ring.c; the kit's sender and receiver drive it (the
 * receiver checks every message it reads: order, exactly once, whole).
 * The grader starts them in the orders the contract allows, holds one
 * side where the handout says it must wait (a full ring, an empty one)
 * and checks that it sleeps there, reads the object for itself, plays
 * the sender by making a ring of its own, and counts, rather than times,
 * what the ring costs: the system calls a side makes for thousands of
 * messages, and how often it reads the other side's counter (a hardware
 * watchpoint). A verdict never rests on how fast anything ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/harness.h"
#include "messages.h"
#include "ring.h"

/* A ring that holds every message of the counted runs: nobody waits. */
#define BIG_RING   1048576
#define SMALL_RING 4096
/* Counted runs: this many messages of this size. */
#define COUNTED_MESSAGES 10000
#define COUNTED_SIZE     64
/* System calls a side may make, in all, in a counted run (closing,
 * unmapping, its last line, its exit): a call per message is thousands. */
#define CALLS_ALLOWED 50
/* Reads of the other side's counter allowed in a counted run: a few at
 * the start and the end. One per message is thousands. */
#define PEER_READS_ALLOWED 50
/* The first 32 bytes of the other side's line: four watchpoints. */
#define WATCHED_BYTES 32

/* --- the kit's programs and their lines ----------------------------------- */

static const char *number(struct test_ctx *t, long n)
{
    return textf(t, "%ld", n);
}

static const char *created_line(struct test_ctx *t, const char *name, long capacity)
{
    return textf(t, "created ring %s of %ld bytes\n", name, capacity);
}

static const char *sender_lines(struct test_ctx *t, const char *name, long count, long size,
                                long capacity)
{
    return textf(t, "%ssent %ld messages of %ld bytes\nclosed the ring\n",
                 created_line(t, name, capacity), count, size);
}

static const char *receiver_lines(struct test_ctx *t, const char *name, long count, long size,
                                  long capacity)
{
    return textf(t,
                 "opened ring %s of %ld bytes\nreceived %ld messages of %ld bytes\nclosed the "
                 "ring\n",
                 name, capacity, count, size);
}

static struct proc *start_sender(struct test_ctx *t, const char *name, long count, long size,
                                 long capacity)
{
    return start(t, ARGS("sender", name, number(t, count), number(t, size), number(t, capacity)));
}

/* The sender, stopped right after its first line: the ring exists, and
 * nothing is in it yet. */
static struct proc *held_sender(struct test_ctx *t, const char *name, long count, long size,
                                long capacity)
{
    struct proc *sender =
        start(t, ARGS("sender", name, number(t, count), number(t, size), number(t, capacity)),
              STOP_AFTER("stdout-line:1"));
    wait_stopped(t, sender);
    return sender;
}

/* The receiver, stopped right after its first line: it has opened the
 * ring, and read nothing yet. */
static struct proc *held_receiver(struct test_ctx *t, const char *name, long size, long count)
{
    struct proc *receiver =
        count < 0 ? start(t, ARGS("receiver", name, number(t, size)), STOP_AFTER("stdout-line:1"))
                  : start(t, ARGS("receiver", name, number(t, size), number(t, count)),
                          STOP_AFTER("stdout-line:1"));
    wait_stopped(t, receiver);
    return receiver;
}

/* COUNT messages of SIZE bytes from a sender to a receiver started once
 * the ring exists; both end with their lines. */
static void exchange(struct test_ctx *t, long count, long size, long capacity)
{
    const char *name = unique_shm_name(t);
    struct proc *sender = start_sender(t, name, count, size, capacity);

    await_line(t, sender, "^created ring ");
    expect_run(t, ARGS("receiver", name, number(t, size)), EXIT(0),
               STDOUT(receiver_lines(t, name, count, size, capacity)), WITHIN_MS(60000));
    expect_end(t, sender, EXIT(0), STDOUT(sender_lines(t, name, count, size, capacity)));
}

/* --- sleeping ------------------------------------------------------------------ */

/* The calls a side may sleep in: a futex (what sem_wait and
 * pthread_cond_wait use too), or a System V semaphore. */
static bool sleeps_in_the_kernel(long nr)
{
    if (nr == SYS_futex)
        return true;
#ifdef SYS_futex_waitv
    if (nr == SYS_futex_waitv)
        return true;
#endif
#ifdef SYS_semop
    if (nr == SYS_semop || nr == SYS_semtimedop)
        return true;
#endif
    return false;
}

/* P, which has nothing to do until the other side acts (WHY), must fall
 * asleep in the kernel: a spin that never ends burns a core; a nap in a
 * loop polls. */
static void expect_asleep(struct test_ctx *t, struct proc *p, const char *why)
{
    long nr = wait_blocked(t, p);
    const char *name = syscall_name(nr);

    if (nr >= 0 && !sleeps_in_the_kernel(nr))
        fail_about(t, p,
                   "`%s` waits %s in %s, not on a futex or a semaphore: it polls (wakes up, looks, "
                   "sleeps again) instead of sleeping until the other side wakes it",
                   p->command, why, name != NULL ? name : textf(t, "system call %ld", nr));
}

/* --- the object, as the grader reads it ------------------------------------------ */

static uint64_t u64_at(const unsigned char *bytes, size_t offset)
{
    uint64_t value = 0;

    for (int i = 7; i >= 0; i--)
        value = value << 8 | bytes[offset + (size_t)i];
    return value;
}

static void put_u64(unsigned char *bytes, size_t offset, uint64_t value)
{
    for (int i = 0; i < 8; i++, value >>= 8)
        bytes[offset + (size_t)i] = (unsigned char)value;
}

/* Byte AT of the stream of messages of SIZE bytes (message 1 first). */
static unsigned char stream_byte(uint64_t at, size_t size)
{
    return message_byte(at / size + 1, (size_t)(at % size));
}

/* The object NAME, which must be a ring of CAPACITY bytes (WHEN says at
 * what point of the test). */
static const unsigned char *read_ring(struct test_ctx *t, const char *name, long capacity,
                                      const char *when)
{
    size_t size;
    const unsigned char *bytes = read_shm_object(t, name, &size, when);

    require(t, size == (size_t)(RING_HEADER_SIZE + capacity),
            "the ring of %ld bytes should be an object of %d + %ld bytes, but it has %zu", capacity,
            RING_HEADER_SIZE, capacity, size);
    return bytes;
}

/* The counter at OFFSET of RING (WHOSE: "head", "tail") is EXPECTED. */
static void expect_counter(struct test_ctx *t, const unsigned char *ring, size_t offset,
                           const char *whose, uint64_t expected, const char *when)
{
    uint64_t found = u64_at(ring, offset);

    if (found == expected)
        return;
    for (size_t at = 0; at + 8 <= 128; at += 8)
        if (at != offset && u64_at(ring, at) == expected && expected != 0)
            fail(t,
                 "%s, %s should be %llu at offset %zu, but it is %llu there, and %llu is at "
                 "offset %zu: head and tail each have a place of their own, at 0 and 64 (their "
                 "own cache lines)",
                 when, whose, (unsigned long long)expected, offset, (unsigned long long)found,
                 (unsigned long long)expected, at);
    fail(t, "%s, %s (the 8 bytes at offset %zu) should be %llu, but they hold %llu", when, whose,
         offset, (unsigned long long)expected, (unsigned long long)found);
}

/* --- the tests ---------------------------------------------------------------- */

/*
 * Tests other than wrap-around (and layout, which plants a ring) use
 * messages whose size divides the capacity, or is a multiple of it: then
 * the counters either side publishes stay multiples of it, and no message
 * crosses the end of the data in one piece, whatever the timing. A copy
 * that is wrong only across the end costs wrap-around's points on every
 * run, never these tests' on some runs.
 */
#define ALIGNED_SIZE 128

static void in_order(struct test_ctx *t)
{
    exchange(t, 20000, ALIGNED_SIZE, SMALL_RING);
}

/* Waiting for a counter of a ring, read from the object as the programs
 * run (a wait_for() condition). */
struct counter_wait {
    const char *name;
    size_t offset;
    uint64_t wanted, found;
};

static bool counter_reached(void *arg)
{
    struct counter_wait *w = arg;
    unsigned char bytes[8];
    int fd = shm_open(w->name, O_RDONLY, 0);
    bool got;

    if (fd < 0)
        return false;
    got = pread(fd, bytes, sizeof(bytes), (off_t)w->offset) == (ssize_t)sizeof(bytes);
    close(fd);
    if (got)
        w->found = u64_at(bytes, 0);
    return got && w->found == w->wanted;
}

/* Wait until the counter at OFFSET of the ring NAME (WHOSE: "head",
 * "tail") is WANTED, which it must reach (WHY says why). */
static void await_counter(struct test_ctx *t, const char *name, size_t offset, const char *whose,
                          uint64_t wanted, const char *why)
{
    struct counter_wait w = {.name = name, .offset = offset, .wanted = wanted};

    if (!wait_for(t, counter_reached, &w, 0,
                  textf(t, "for %s to reach %llu", whose, (unsigned long long)wanted)))
        fail(t, "%s: %s (offset %zu) should reach %llu, but it stayed at %llu", why, whose, offset,
             (unsigned long long)wanted, (unsigned long long)w.found);
}

/*
 * A message across the end of the data in one piece, on both sides,
 * whatever the timing (in the exchanges above the two sides cross it in
 * one piece only when they happen to meet there). Messages of 100 bytes
 * through a ring of 4096, handed from receiver to receiver, each held
 * after its last message and never closing, so the grader knows where
 * everyone is: a first receiver takes messages 1 and 2 (tail = 200); the
 * sender fills the ring again (head = 4296) and is stopped; a second one
 * takes messages 3 to 42 (tail = 4200), message 41 (bytes 4000 to 4099
 * of the stream) all in the ring: one read across the end. The sender,
 * let go, finds 4096 bytes of room from 4296 on, and writes message 82
 * (bytes 8100 to 8199) in one piece across the end; a third receiver
 * reads the rest.
 */
static void across_the_end(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    struct proc *sender = start_sender(t, name, 120, 100, SMALL_RING), *first, *second;

    await_line(t, sender, "^created ring ");
    first = start(t, ARGS("receiver", name, "100", "2"), STOP_AFTER("stdout-line:2"));
    wait_stopped(t, first);
    await_counter(t, name, RING_HEAD_OFFSET, "head", SMALL_RING + 200,
                  "once a receiver took 2 messages of 100 bytes, the sender should fill the ring "
                  "of 4096 bytes again");
    stop_now(t, sender);
    second = start(t, ARGS("receiver", name, "100", "40", "3"), STOP_AFTER("stdout-line:2"));
    wait_stopped(t, second);
    note(t, "a receiver took messages 1 and 2 and was held (never closing); the sender filled "
            "the ring again (head = 4296) and was stopped; a second receiver took messages 3 to "
            "42 (41 across the end of the data) and was held; then the sender went on (message "
            "82 across the end) and a third receiver read messages 43 to 120");
    resume(t, sender);
    expect_run(t, ARGS("receiver", name, "100", "78", "43"), EXIT(0),
               STDOUT(receiver_lines(t, name, 78, 100, SMALL_RING)));
    expect_end(t, sender, EXIT(0), STDOUT(sender_lines(t, name, 120, 100, SMALL_RING)));
}

static void wrap_around(struct test_ctx *t)
{
    static const long cases[][3] = {
        /* count, size, capacity */
        {5000, 1, SMALL_RING},        /* a byte at a time */
        {40, SMALL_RING, SMALL_RING}, /* a message as big as the ring */
        {30, 5000, SMALL_RING},       /* bigger than the ring: written in pieces */
        {100, 4095, SMALL_RING},      /* one byte short: every wrap in another place */
        {30, 65536, 8192},            /* much bigger than the ring */
    };

    guard_mappings(t);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        exchange(t, cases[i][0], cases[i][1], cases[i][2]);
    across_the_end(t);
}

static void full_ring(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    struct proc *sender = start_sender(t, name, 200, 64, SMALL_RING);
    const unsigned char *ring;

    await_line(t, sender, "^created ring ");
    expect_asleep(t, sender,
                  "on a full ring (200 messages of 64 bytes, a ring of 4096, no receiver)");
    ring = read_ring(t, name, SMALL_RING, "while the sender waits on a full ring");
    expect_counter(t, ring, RING_TAIL_OFFSET, "tail", 0,
                   "while the sender waits on a full ring, before any receiver");
    expect_counter(t, ring, RING_HEAD_OFFSET, "head", SMALL_RING,
                   "while the sender waits on a full ring of 4096 bytes");
    for (size_t at = 0; at < SMALL_RING; at++)
        if (ring[RING_HEADER_SIZE + at] != stream_byte(at, 64))
            fail(t,
                 "while the sender waits on a full ring, byte %zu of the data (offset %zu of "
                 "the object) should be byte %zu of message %zu, but it is not",
                 at, RING_HEADER_SIZE + at, at % 64, at / 64 + 1);
    expect_run(t, ARGS("receiver", name, "64"), EXIT(0),
               STDOUT(receiver_lines(t, name, 200, 64, SMALL_RING)));
    expect_end(t, sender, EXIT(0), STDOUT(sender_lines(t, name, 200, 64, SMALL_RING)));
}

/*
 * A receiver asleep on an empty ring is woken by the sender's messages;
 * then, by the sender's close alone: the sender is held after its last
 * message (its "sent" line), the receiver reads them all and sleeps
 * again, and only then does the sender close.
 */
static void empty_ring(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *other = unique_shm_name(t);
    struct proc *sender = held_sender(t, name, 3, 64, SMALL_RING);
    struct proc *receiver = start(t, ARGS("receiver", name, "64"));

    await_line(t, receiver, "^opened ring ");
    expect_asleep(t, receiver, "on an empty ring");
    note(t, "the receiver slept on the empty ring; then the sender wrote 3 messages and closed");
    resume(t, sender);
    expect_end(t, sender, EXIT(0), STDOUT(sender_lines(t, name, 3, 64, SMALL_RING)));
    expect_end(t, receiver, EXIT(0), STDOUT(receiver_lines(t, name, 3, 64, SMALL_RING)));

    sender = start(t, ARGS("sender", other, "3", "64", number(t, SMALL_RING)),
                   STOP_AFTER("stdout-line:2"));
    wait_stopped(t, sender);
    receiver = start(t, ARGS("receiver", other, "64"));
    await_line(t, receiver, "^opened ring ");
    expect_asleep(t, receiver, "on an empty ring, every message read, the sender not closed yet");
    note(t, "the receiver read the 3 messages and slept; then the sender closed");
    resume(t, sender);
    expect_end(t, sender, EXIT(0), STDOUT(sender_lines(t, other, 3, 64, SMALL_RING)));
    expect_end(t, receiver, EXIT(0), STDOUT(receiver_lines(t, other, 3, 64, SMALL_RING)));
}

/*
 * A sender asleep on a full ring; a receiver takes 10 messages (which
 * wakes the sender: it fills the ring again and sleeps again) and is held
 * before it closes; only once the sender sleeps does the receiver close.
 */
static void receiver_closes(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    struct proc *sender = start_sender(t, name, 1000, 64, SMALL_RING), *receiver;

    await_line(t, sender, "^created ring ");
    wait_blocked(t, sender);
    receiver = start(t, ARGS("receiver", name, "64", "10"), STOP_AFTER("stdout-line:2"));
    wait_stopped(t, receiver);
    wait_blocked(t, sender);
    note(t, "the sender slept on a full ring; a receiver took 10 messages, the sender filled the "
            "ring and slept again, then the receiver closed");
    resume(t, receiver);
    expect_end(t, receiver, EXIT(0), STDOUT(receiver_lines(t, name, 10, 64, SMALL_RING)));
    expect_end(t, sender, EXIT(1), STDOUT(textf(t, "%s", created_line(t, name, SMALL_RING))),
               ERROR("ring_write", EPIPE));
    expect_no_shm_object(t, name, "after the receiver closed",
                         "the receiver removes the name when it closes");
}

static void sender_first(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    long capacity = 65536;

    expect_run(t, ARGS("sender", name, "100", "64", number(t, capacity)), EXIT(0),
               STDOUT(sender_lines(t, name, 100, 64, capacity)));
    expect_shm_object(t, name, RING_HEADER_SIZE + capacity, 0600,
                      "after the sender wrote 100 messages and ended");
    expect_run(t, ARGS("receiver", name, "64"), EXIT(0),
               STDOUT(receiver_lines(t, name, 100, 64, capacity)));
    expect_no_shm_object(t, name, "after the receiver ended",
                         "the receiver removes the name when it closes");
}

/* The sender's side of the layout: what a sender alone left. */
static void sender_layout(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    long capacity = 65536, count = 100, size = 64;
    const unsigned char *ring;

    expect_run(t, ARGS("sender", name, number(t, count), number(t, size), number(t, capacity)),
               EXIT(0), STDOUT(sender_lines(t, name, count, size, capacity)));
    ring = read_ring(t, name, capacity, "after a sender wrote 100 messages of 64 bytes");
    expect_counter(t, ring, RING_HEAD_OFFSET, "head", (uint64_t)(count * size),
                   "after a sender wrote 100 messages of 64 bytes");
    expect_counter(t, ring, RING_TAIL_OFFSET, "tail", 0, "before any receiver");
    for (size_t at = 0; at < (size_t)(count * size); at++)
        if (ring[RING_HEADER_SIZE + at] != stream_byte(at, (size_t)size))
            fail(t,
                 "byte %zu of the stream should be at offset %zu of the object (4096 + its "
                 "place), but that offset holds something else",
                 at, RING_HEADER_SIZE + at);
}

/* The receiver's side: a ring the grader made, its counters just below
 * 2^32 and its bytes wrapping around the end of the data. */
#define PLANTED_TAIL     ((UINT64_C(1) << 32) - 1950)
#define PLANTED_MESSAGES 40
#define PLANTED_SIZE     100
static void receiver_layout(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    uint64_t tail = PLANTED_TAIL, head = tail + PLANTED_MESSAGES * PLANTED_SIZE;
    size_t object_size = RING_HEADER_SIZE + SMALL_RING;
    unsigned char *ring = calloc(1, object_size);
    struct proc *receiver;

    require(t, ring != NULL, "out of memory");
    put_u64(ring, RING_HEAD_OFFSET, head);
    put_u64(ring, RING_TAIL_OFFSET, tail);
    for (uint64_t at = tail; at < head; at++)
        ring[RING_HEADER_SIZE + at % SMALL_RING] = stream_byte(at - tail, PLANTED_SIZE);
    make_shm_object(t, name, ring, object_size, object_size, 0600);
    free(ring);
    note(t,
         "the grader made a ring of 4096 bytes holding 40 messages of 100 bytes, with tail = %llu "
         "and head = %llu (just below and past 2^32; the bytes wrap around the end of the data)",
         (unsigned long long)tail, (unsigned long long)head);
    /* Held after its "received" line: every message read, not closed yet. */
    receiver =
        start(t, ARGS("receiver", name, number(t, PLANTED_SIZE), number(t, PLANTED_MESSAGES)),
              STOP_AFTER("stdout-line:2"));
    wait_stopped(t, receiver);
    expect_counter(t, read_ring(t, name, SMALL_RING, "once the receiver had read the 40 messages"),
                   RING_TAIL_OFFSET, "tail", head,
                   "once the receiver had read the 40 messages, before it closed");
    resume(t, receiver);
    expect_end(t, receiver, EXIT(0),
               STDOUT(receiver_lines(t, name, PLANTED_MESSAGES, PLANTED_SIZE, SMALL_RING)));
}

static void layout(struct test_ctx *t)
{
    sender_layout(t);
    receiver_layout(t);
}

static void errors(struct test_ctx *t)
{
    static const char *const bad_capacities[] = {"1000", "2048", "134217728", "12288"};
    /* Objects no sender makes: too small for a header, empty, and a
     * header with 5000 bytes of data (no power of two). */
    static const size_t not_rings[] = {100, 0, RING_HEADER_SIZE + 5000};
    const char *name = unique_shm_name(t);

    expect_run(t, ARGS("receiver", name, "64"), EXIT(1), NO_STDOUT, ERROR("ring_open", ENOENT));
    expect_no_shm_object(t, name, "after a receiver without a sender",
                         "a receiver never creates the ring");
    for (size_t i = 0; i < ARRAY_LEN(bad_capacities); i++) {
        expect_run(t, ARGS("sender", name, "1", "64", bad_capacities[i]), EXIT(1), NO_STDOUT,
                   ERROR("ring_create", EINVAL));
        expect_no_shm_object(t, name,
                             textf(t, "after a sender asked for %s bytes", bad_capacities[i]),
                             "a capacity that is no power of two in range creates nothing");
    }
    expect_run(t, ARGS("sender", name, "0", "64"), EXIT(0),
               STDOUT(sender_lines(t, name, 0, 64, 65536)));
    expect_run(t, ARGS("sender", name, "0", "64"), EXIT(1), NO_STDOUT,
               ERROR("ring_create", EEXIST));
    for (size_t i = 0; i < ARRAY_LEN(not_rings); i++) {
        const char *other = unique_shm_name(t);
        make_shm_object(t, other, "", 0, not_rings[i], 0600);
        expect_run(t, ARGS("receiver", other, "64"), EXIT(1), NO_STDOUT,
                   ERROR("ring_open", EINVAL));
    }
}

/* --- counted: system calls and reads of the other side's counter ----------------- */

/*
 * A sender alone writes COUNTED_MESSAGES into a ring that holds them all,
 * counted from its first line to its end; then a receiver alone reads
 * them, counted the same way. Nobody ever waits: this is the steady state,
 * and it costs no system call. The other side's line is watched (WATCH).
 */
static void counted_alone(struct test_ctx *t, bool watch, const struct trace_counts **sent,
                          const struct trace_counts **received)
{
    const char *name = unique_shm_name(t);
    struct proc *sender = held_sender(t, name, COUNTED_MESSAGES, COUNTED_SIZE, BIG_RING), *receiver;
    struct counting *c;

    c = start_counting(t, sender, watch ? name : NULL, RING_TAIL_OFFSET, WATCHED_BYTES);
    resume(t, sender);
    *sent = counted(t, c);
    expect_end(t, sender, EXIT(0),
               STDOUT(sender_lines(t, name, COUNTED_MESSAGES, COUNTED_SIZE, BIG_RING)));
    receiver = held_receiver(t, name, COUNTED_SIZE, -1);
    c = start_counting(t, receiver, watch ? name : NULL, RING_HEAD_OFFSET, WATCHED_BYTES);
    resume(t, receiver);
    *received = counted(t, c);
    expect_end(t, receiver, EXIT(0),
               STDOUT(receiver_lines(t, name, COUNTED_MESSAGES, COUNTED_SIZE, BIG_RING)));
}

static void expect_few_calls(struct test_ctx *t, const struct trace_counts *counts, const char *who,
                             const char *what, long allowed)
{
    const char *more = counts->syscalls >= TRACE_SYSCALL_CEILING ? " or more" : "";

    note(t, "%s made %ld%s system call(s) %s: %s", who, counts->syscalls, more, what,
         count_breakdown(t, counts));
    check(t, counts->syscalls <= allowed,
          "%s should make no system call per message, but made %ld%s %s (%s): at most %ld were "
          "allowed, for closing and printing",
          who, counts->syscalls, more, what, count_breakdown(t, counts), allowed);
}

static void no_syscalls(struct test_ctx *t)
{
    const struct trace_counts *sent, *received;

    counted_alone(t, false, &sent, &received);
    expect_few_calls(t, sent, "the sender", "writing 10000 messages into a ring with room for all",
                     CALLS_ALLOWED);
    expect_few_calls(t, received, "the receiver",
                     "reading 10000 messages that were all in the ring", CALLS_ALLOWED);
}

static void expect_few_peer_reads(struct test_ctx *t, const struct trace_counts *counts,
                                  const char *who, const char *line, const char *what)
{
    note(t, "%s touched %s %ld time(s) %s", who, line, counts->watch_hits, what);
    check(t, counts->watch_hits <= PEER_READS_ALLOWED,
          "%s should read the other side's counter only when its own copy says the ring is %s, "
          "but it touched %s %ld times %s (at most %d were allowed)",
          who, strcmp(who, "the sender") == 0 ? "full" : "empty", line, counts->watch_hits, what,
          PEER_READS_ALLOWED);
}

static void cached_index(struct test_ctx *t)
{
    const struct trace_counts *sent, *received;

    counted_alone(t, true, &sent, &received);
    expect_few_peer_reads(t, sent, "the sender", "the receiver's line (offsets 64 to 95)",
                          "writing 10000 messages into a ring with room for all");
    expect_few_peer_reads(t, received, "the receiver", "the sender's line (offsets 0 to 31)",
                          "reading 10000 messages that were all in the ring");
}

/*
 * A side that wakes the other wakes it once per sleep, not once per
 * message. The sleeper is stopped (SIGSTOP) while it sleeps, so it cannot
 * take its flag down itself; the other side is counted while it does a
 * thousand messages' work.
 */
static void wake_once(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *full = unique_shm_name(t);
    const struct trace_counts *counts;
    struct proc *sender, *receiver;
    struct counting *c;

    /* A receiver asleep on an empty ring, stopped; the sender writes. */
    sender = held_sender(t, name, 1000, COUNTED_SIZE, BIG_RING);
    receiver = start(t, ARGS("receiver", name, number(t, COUNTED_SIZE)));
    await_line(t, receiver, "^opened ring ");
    expect_asleep(t, receiver, "on an empty ring");
    send_signal(t, receiver, SIGSTOP);
    wait_stopped(t, receiver);
    c = start_counting(t, sender, NULL, 0, 0);
    resume(t, sender);
    counts = counted(t, c);
    expect_end(t, sender, EXIT(0), STDOUT(sender_lines(t, name, 1000, COUNTED_SIZE, BIG_RING)));
    expect_few_calls(t, counts, "the sender",
                     "writing 1000 messages while the receiver slept (stopped)", CALLS_ALLOWED);
    resume(t, receiver);
    expect_end(t, receiver, EXIT(0), STDOUT(receiver_lines(t, name, 1000, COUNTED_SIZE, BIG_RING)));

    /* A sender asleep on a full ring, stopped; the receiver reads it all. */
    sender = start_sender(t, full, 2000, COUNTED_SIZE, 65536);
    await_line(t, sender, "^created ring ");
    expect_asleep(t, sender, "on a full ring");
    send_signal(t, sender, SIGSTOP);
    wait_stopped(t, sender);
    receiver = held_receiver(t, full, COUNTED_SIZE, 1024);
    c = start_counting(t, receiver, NULL, 0, 0);
    resume(t, receiver);
    counts = counted(t, c);
    expect_end(t, receiver, EXIT(0), STDOUT(receiver_lines(t, full, 1024, COUNTED_SIZE, 65536)));
    expect_few_calls(t, counts, "the receiver",
                     "reading the 1024 messages of a full ring while the sender slept (stopped)",
                     CALLS_ALLOWED);
    resume(t, sender);
    expect_end(t, sender, EXIT(1), ERROR("ring_write", EPIPE));
}

/* --- memory ------------------------------------------------------------------------- */

/*
 * The two programs as threads of one process under ThreadSanitizer: the
 * counters' release stores and acquire loads must order every copy into
 * and out of the data; a volatile or relaxed counter, or a counter
 * published before the copy, is a race on every run.
 */
static void no_data_race(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);

    expect_run(t,
               ARGS("threads", "sender", name, "3000", "128", "4096", "--after=created ring",
                    "receiver", name, "128"),
               EXIT(0), STDOUT_HAS("[receiver] received 3000 messages of 128 bytes"),
               WITHIN_MS(60000));
}

static void memory_safety(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);

    guard_mappings(t);
    exchange(t, 2000, ALIGNED_SIZE, SMALL_RING);
    exchange(t, 10, 2 * SMALL_RING, SMALL_RING); /* bigger than the ring: in pieces */
    make_shm_object(t, name, "", 0, 100, 0600);
    expect_run(t, ARGS("receiver", name, "64"), EXIT(1), ERROR("ring_open", EINVAL));
    expect_run(t, ARGS("receiver", unique_shm_name(t), "64"), EXIT(1), ERROR("ring_open", ENOENT));
}

static const struct lab_test tests[] = {
    {.id = "in-order",
     .clauses = "C4 C5",
     .points = 15,
     .run = in_order,
     .timeout_ms = 90000,
     .title = "20,000 messages of 128 bytes through a ring of 4096 arrive in order, each exactly "
              "once and whole",
     .hint = "Steps 3 and 4: copy in, then publish head (release); load head (acquire), copy "
             "out, then publish tail. The receiver's message says which message came instead."},
    {.id = "wrap-around",
     .clauses = "C2 C3 C4 C5 C11",
     .points = 10,
     .run = wrap_around,
     .timeout_ms = 120000,
     .title = "Messages of 1 byte, of the ring's size, one byte short of it and bigger than it "
              "all arrive whole, also read and written in one piece across the end of the data; "
              "nothing is read or written past the data",
     .hint = "A copy that crosses the end of the data is two copies: up to the end, then from "
             "the start. A message bigger than the free room goes in pieces."},
    {.id = "full-ring",
     .clauses = "C2 C5 C6",
     .points = 10,
     .run = full_ring,
     .timeout_ms = 90000,
     .title = "A sender with no receiver fills the ring exactly, then sleeps in the kernel; a "
              "receiver then gets everything",
     .hint = "The ring is full when head - tail == capacity. Spin a little, then sleep on a "
             "futex (or a semaphore) until the receiver makes room and wakes you."},
    {.id = "empty-ring",
     .clauses = "C5 C6 C7",
     .points = 10,
     .run = empty_ring,
     .timeout_ms = 90000,
     .title = "A receiver on an empty ring sleeps in the kernel, and the sender's messages and "
              "its close wake it",
     .hint = "The sender must wake a sleeping receiver after publishing head, and again when "
             "it closes. Say you sleep, fence, look once more, then futex_wait."},
    {.id = "receiver-closes",
     .clauses = "C3 C7",
     .points = 5,
     .run = receiver_closes,
     .timeout_ms = 90000,
     .title = "A receiver that closes early wakes a sender asleep on a full ring, whose "
              "ring_write then fails with EPIPE; the name is removed",
     .hint = "ring_close on the receiver's side raises a flag the sender looks at before it "
             "sleeps and after it wakes; then shm_unlink."},
    {.id = "sender-first",
     .clauses = "C1 C3 C7",
     .points = 5,
     .run = sender_first,
     .timeout_ms = 90000,
     .title = "A sender may write and end before the receiver starts: the object stays (mode "
              "0600, 4096 + capacity bytes), the receiver gets it all, then removes it",
     .hint = "The sender's ring_close does not remove the name; the receiver's does."},
    {.id = "layout",
     .clauses = "C2",
     .points = 10,
     .run = layout,
     .timeout_ms = 90000,
     .title = "head at offset 0 and tail at 64, as 64-bit byte counts, and byte N of the stream "
              "at 4096 + N % capacity, as the grader reads and writes the object itself",
     .hint = "alignas(64) on each counter, uint64_t, and nothing else on their lines; the "
             "receiver starts at the tail it finds, which may be any number."},
    {.id = "errors",
     .clauses = "C1 C3",
     .points = 5,
     .run = errors,
     .timeout_ms = 90000,
     .title = "Bad capacities (EINVAL), a name in use (EEXIST), no ring (ENOENT) and objects "
              "that are no ring (EINVAL) fail cleanly",
     .hint = "Check the capacity before shm_open; fstat the object before mapping it: its size "
             "must be 4096 + a power of two in range."},
    {.id = "no-syscalls",
     .clauses = "C8",
     .points = 10,
     .run = no_syscalls,
     .timeout_ms = 90000,
     .title = "No system call per message: writing and reading 10,000 messages nobody waits "
              "for takes a handful of calls in all (counted, not timed)",
     .hint = "Only a side that has nothing to do may make a system call (to sleep), and only a "
             "side that publishes while the other sleeps (to wake it). Look at the calls named."},
    {.id = "wake-once",
     .clauses = "C6",
     .points = 5,
     .run = wake_once,
     .timeout_ms = 90000,
     .title = "A sleeping side is woken once, not once per message (counted while it sleeps)",
     .hint = "Take the other side's \"sleeping\" flag down as you wake it (atomic_exchange), so "
             "the next message finds it down."},
    {.id = "cached-index",
     .clauses = "C9",
     .points = 5,
     .run = cached_index,
     .timeout_ms = 90000,
     .title = "Each side keeps the other's counter as last seen and reads the real one only "
              "when its copy says full or empty (counted with a hardware watchpoint)",
     .hint = "Keep tail_cache in the sender's handle: room = capacity - (head - tail_cache); "
             "load tail only when that is 0. The same for the receiver and head."},
    {.id = "no-data-race",
     .clauses = "C10",
     .points = 5,
     .run = no_data_race,
     .build = BUILD_THREADS,
     .timeout_ms = 120000,
     .title = "No data race: head and tail order every copy (ThreadSanitizer, with the two "
              "programs as threads of one process)",
     .hint = "`make VARIANT=threads`, then `./threads sender /r 3000 128 4096 --after='created "
             "ring' receiver /r 128` names both lines. Release after the copy, acquire before."},
    {.id = "memory-safety",
     .clauses = "C11",
     .points = 5,
     .run = memory_safety,
     .build = BUILD_SANITIZE,
     .needs = "in-order",
     .timeout_ms = 120000,
     .title = "No memory error, undefined behaviour or leak (AddressSanitizer, UBSan), no access "
              "past the object, also when opening fails",
     .hint = "`make VARIANT=sanitize` and run the sender and the receiver: the sanitizer names "
             "the line. Free the handle in ring_close and on every error path."},
};

static const char *const student_files[] = {"ring.c", NULL};
static const char *const kit_files[] = {"sender.c", "receiver.c", NULL};

static const struct lab lab06 = {
    .id = "06-spsc-ring",
    .title = "A single-producer, single-consumer ring at memory speed",
    .student_files = student_files,
    .kit_files = kit_files,
    .tests = tests,
    .n_tests = ARRAY_LEN(tests),
};

SHMLAB_REGISTER_LAB(lab06);
