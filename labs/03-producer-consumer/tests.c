/*
 * Lab 03 - producer and consumer through a shared struct with a ready
 * flag: the graded promises of README.md.
 *
 * Every test gives the programs a key of its own (SHMLAB_KEY), so a
 * submission that ignores it loses only the tests about the key; starts
 * them in the order the contract allows (the producer first, the consumer
 * once the producer has printed its id); and synchronises on the lines
 * they print, never on time. The consumer's lines are followed as they
 * come, so a lost, repeated or torn message is reported at the first
 * wrong line, and a hung exchange once no line has come for STALL_MS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

/* int counter, char message[256], int ready: the least a segment holds. */
#define SEGMENT_MIN_SIZE (4 + 256 + 4)
/* No new line from the consumer for this long: the exchange hangs. A
 * correct handshake delivers a message in microseconds, even on a machine
 * loaded to the hilt; the seed's run prints a line a second. */
#define STALL_MS 10000
/* A few messages, from the consumer's start to its end. */
#define FEW_MS 60000
/* 10,000 messages: a correct handshake needs 1 to 3 s on a loaded machine;
 * the seed's 100 ms polling would need 17 minutes. */
#define MANY_MS 120000

#define RECEIVED_PREFIX "Consumer: Received - Counter: "
#define RECEIVED        RECEIVED_PREFIX "%ld, Message: Message number %ld from producer"

/* --- the protocol ------------------------------------------------------------ */

/* The segment's id, as P prints it once it has attached the segment. */
static int printed_id(struct test_ctx *t, struct proc *p)
{
    return (int)await_number(t, p, "^Shared memory ID: ([0-9]+)$");
}

/* The producer has put message 1 in the struct and waits for a consumer. */
static void await_first_message(struct test_ctx *t, struct proc *producer)
{
    await_line(t, producer, "^Producer: Sent message 1$");
}

/* The consumer's output, checked line by line as it comes. */
struct consumer_lines {
    struct test_ctx *t;
    long count;        /* messages due */
    int id;            /* the id it must print */
    long right;        /* lines that were right, all in a row */
    const char *wrong; /* the first wrong line, or NULL */
    const char *due;   /* the line due instead of it (NULL: none, the output should end) */
};

/* Line N (from 0) of the consumer's output as the handout has it, or NULL
 * past its last line. */
static const char *consumer_line(const struct consumer_lines *c, long n, char *buf, size_t size)
{
    if (n == 0)
        return "Consumer: Connected to shared memory";
    if (n == 1)
        snprintf(buf, size, "Shared memory ID: %d", c->id);
    else if (n - 1 <= c->count)
        snprintf(buf, size, RECEIVED, n - 1, n - 1);
    else
        return n - 2 == c->count ? "Consumer: Finished and cleaned up" : NULL;
    return buf;
}

static bool on_consumer_line(const char *line, void *arg)
{
    struct consumer_lines *c = arg;
    char buf[256];
    const char *due = consumer_line(c, c->right, buf, sizeof(buf));

    if (due != NULL && strcmp(line, due) == 0) {
        c->right++;
        return true;
    }
    c->wrong = textf(c->t, "%s", line);
    c->due = due != NULL ? textf(c->t, "%s", due) : NULL;
    return false;
}

/* Messages the consumer received, in order, before anything went wrong. */
static long messages_received(const struct consumer_lines *c)
{
    long n = c->right - 2;
    return n < 0 ? 0 : n > c->count ? c->count : n;
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

static _Noreturn void report_wrong_line(struct test_ctx *t, const struct consumer_lines *c)
{
    long message = c->right - 1; /* line 2 is message 1 */

    if (c->due == NULL)
        check(t, false, "the consumer should end after its last line, but it printed more");
    else if (message >= 1 && message <= c->count)
        check(t, false, "%s", message_problem(t, message, c->wrong));
    else
        check(t, false, "line %ld of the consumer's output is not what the handout asks",
              c->right + 1);
    show_mismatch(t, c->due, c->wrong);
    test_end(t);
}

static bool program_ended(void *p)
{
    return has_ended(p);
}

/* The consumer's output stopped before its last line: it ended, hung, or
 * was too slow. */
static _Noreturn void report_cut_short(struct test_ctx *t, const struct consumer_lines *c,
                                       enum follow_end end, struct proc *consumer,
                                       struct proc *producer, int total_ms)
{
    long got = messages_received(c);
    const char *producer_gone = has_ended(producer) && got < c->count
                                    ? "; the producer had already ended, without waiting for "
                                      "the consumer to take each message"
                                    : "";

    if (end == FOLLOW_EOF) {
        wait_for(t, program_ended, consumer, 0, "for the consumer to end");
        check(t, false,
              "the consumer %s after receiving %ld of %ld messages, without its last line%s",
              proc_describe_end(consumer).text, got, c->count, producer_gone);
    } else if (end == FOLLOW_STALLED) {
        check(t, false,
              "the exchange hangs: the consumer received %ld of %ld messages, then printed "
              "nothing for %d s%s",
              got, c->count, scaled_timeout_ms(STALL_MS) / 1000, producer_gone);
    } else {
        check(t, false, "only %ld of %ld messages arrived within %d s (too slow)", got, c->count,
              scaled_timeout_ms(total_ms) / 1000);
    }
    show_transcript(t, consumer);
    show_transcript(t, producer);
    test_end(t);
}

/*
 * The consumer prints its two opening lines, messages 1..COUNT in order,
 * each once, and its closing line, within TOTAL_MS; then both programs
 * exit with status 0.
 */
static void expect_exchange(struct test_ctx *t, struct proc *consumer, struct proc *producer,
                            long count, int id, int total_ms)
{
    struct consumer_lines c = {.t = t, .count = count, .id = id};
    enum follow_end end = follow_stdout(t, consumer, STALL_MS, total_ms, on_consumer_line, &c);

    if (c.wrong != NULL)
        report_wrong_line(t, &c);
    if (c.right < count + 3)
        report_cut_short(t, &c, end, consumer, producer, total_ms);
    expect_end(t, consumer, EXIT(0));
    expect_end(t, producer, EXIT(0));
}

/* --- the tests ------------------------------------------------------------------ */

static void five_messages(struct test_ctx *t)
{
    use_unique_ipc_key(t);
    struct proc *producer = start(t, ARGS("producer"));
    int id = printed_id(t, producer);
    expect_exchange(t, start(t, ARGS("consumer")), producer, 5, id, FEW_MS);
    expect_end(t, producer,
               STDOUT(textf(t,
                            "Producer: Shared memory initialized\nShared memory ID: %d\n"
                            "Producer: Sent message 1\nProducer: Sent message 2\n"
                            "Producer: Sent message 3\nProducer: Sent message 4\n"
                            "Producer: Sent message 5\nProducer: Finished\n",
                            id)));
}

static void ten_thousand(struct test_ctx *t)
{
    use_unique_ipc_key(t);
    struct proc *producer = start(t, ARGS("producer", "10000", "0"));
    int id = printed_id(t, producer);
    expect_exchange(t, start(t, ARGS("consumer", "10000")), producer, 10000, id, MANY_MS);
}

static void late_consumer(struct test_ctx *t)
{
    use_unique_ipc_key(t);
    struct proc *producer = start(t, ARGS("producer", "20", "0"));
    int id = printed_id(t, producer);
    await_first_message(t, producer);
    expect_exchange(t, start(t, ARGS("consumer", "20")), producer, 20, id, FEW_MS);
}

static void ids_agree(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *producer = start(t, ARGS("producer", "2", "0"));
    int id = printed_id(t, producer);
    await_first_message(t, producer);
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
    await_first_message(t, producer);
    struct ipc_object segment = expect_sysv_segment(t, id, "the id the producer printed");
    require(t, segment.mode == 0600,
            "the segment's mode should be 0600 (only its owner may read or write), but it is %04o",
            (unsigned)segment.mode);
    require(t, segment.size >= SEGMENT_MIN_SIZE,
            "the segment should hold the struct (at least %d bytes), but it has %zu",
            SEGMENT_MIN_SIZE, segment.size);
}

static void segment_removed(struct test_ctx *t)
{
    key_t key = use_unique_ipc_key(t);
    struct proc *producer = start(t, ARGS("producer", "1"));
    int id = printed_id(t, producer);
    expect_exchange(t, start(t, ARGS("consumer", "1")), producer, 1, id, FEW_MS);
    expect_no_sysv_object(t, key, "after both programs ended",
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
    await_first_message(t, first);
    expect_run(t, ARGS("producer", "3", "0"), EXIT(1), NO_STDOUT, ERROR("shmget", EEXIST));
}

static void two_at_once(struct test_ctx *t)
{
    key_t key_a = use_unique_ipc_key(t);
    struct proc *producer_a = start(t, ARGS("producer", "20", "0"));
    int id_a = printed_id(t, producer_a);
    key_t key_b = use_unique_ipc_key(t);
    struct proc *producer_b = start(t, ARGS("producer", "20", "0"));
    int id_b = printed_id(t, producer_b);
    require(t, id_a != id_b, "two producers with different keys printed the same id %d", id_a);
    use_ipc_key(t, key_a);
    struct proc *consumer_a = start(t, ARGS("consumer", "20"));
    use_ipc_key(t, key_b);
    struct proc *consumer_b = start(t, ARGS("consumer", "20"));
    expect_exchange(t, consumer_a, producer_a, 20, id_a, FEW_MS);
    expect_exchange(t, consumer_b, producer_b, 20, id_b, FEW_MS);
}

static void usage(struct test_ctx *t)
{
    static const char *const bad_arguments[][4] = {
        {"producer", "abc"},         {"producer", "0"},       {"producer", "-3"},
        {"producer", "5", "x"},      {"producer", "5", "-1"}, {"producer", "5", "99999999999"},
        {"producer", "1", "2", "3"}, {"consumer", "abc"},     {"consumer", "0"},
        {"consumer", "1", "2"},
    };
    key_t key = use_unique_ipc_key(t);

    for (size_t i = 0; i < ARRAY_LEN(bad_arguments); i++)
        expect_run(t, .argv = bad_arguments[i], USAGE);
    expect_no_sysv_object(t, key, "after usage errors", "a usage error creates nothing");
}

/*
 * The two programs as threads of one process under ThreadSanitizer (make
 * VARIANT=threads, labs/common/threads.c), the consumer started once the
 * producer has printed its id: an access to the struct that the flag does
 * not order (a plain, volatile or relaxed flag, a message read after it
 * was handed back) is a data race on every run, reported with both lines,
 * even where the hardware happens to keep the order. (A producer that does
 * not wait for the consumer may finish before the consumer starts; then
 * the consumer waits for ever, and the step's time ends it.)
 */
static void no_data_race(struct test_ctx *t)
{
    use_unique_ipc_key(t);
    expect_run(t,
               ARGS("threads", "producer", "20", "0", "--after=Shared memory ID", "consumer", "20"),
               EXIT(0), STDOUT_HAS("[consumer] Consumer: Finished and cleaned up"),
               WITHIN_MS(2 * STALL_MS));
}

static const struct lab_test tests[] = {
    {.id = "five-messages",
     .clauses = "C4 C5 C7 C9",
     .points = 10,
     .run = five_messages,
     .timeout_ms = 120000,
     .title = "The seed's run: 5 messages, 1 s apart, arrive once each and in order, with the "
              "seed's lines",
     .hint = "Steps 2 to 4 of the handout; compare your lines with the sample session."},
    {.id = "ten-thousand",
     .clauses = "C5 C7",
     .points = 20,
     .run = ten_thousand,
     .timeout_ms = 180000,
     .title = "10,000 messages with no pause arrive exactly once each and in order, within 2 "
              "minutes",
     .hint = "The producer must wait until the consumer has taken a message (flag back to EMPTY) "
             "before writing the next; wait with an acquire load, hand over with a release store."},
    {.id = "late-consumer",
     .clauses = "C5 C7 C9",
     .points = 10,
     .run = late_consumer,
     .timeout_ms = 120000,
     .title = "A consumer started while the producer waits with message 1 still gets all 20",
     .hint = "Only the producer initialises the struct; the consumer takes whatever is there."},
    {.id = "no-data-race",
     .clauses = "C12",
     .points = 10,
     .run = no_data_race,
     .build = BUILD_THREADS,
     .timeout_ms = 90000,
     .title = "No data race: the flag orders every access to the struct (ThreadSanitizer, with "
              "the two programs as threads of one process)",
     .hint = "`make VARIANT=threads`, then `./threads producer 5 0 --after='Shared memory ID' "
             "consumer 5` shows ThreadSanitizer's two lines. See \"The handshake: release and "
             "acquire\": which side owns the struct at that moment?"},
    {.id = "ids-agree",
     .clauses = "C2 C3 C4 C7",
     .points = 10,
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
     .points = 10,
     .run = segment_removed,
     .timeout_ms = 90000,
     .title = "After the consumer's last message, the segment is removed (IPC_RMID)",
     .hint = "A System V segment outlives every process until it is marked for removal: see "
             "shmctl(2)."},
    {.id = "no-producer",
     .clauses = "C6 C11",
     .points = 10,
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
     .timeout_ms = 120000,
     .title = "Two exchanges at once, each with its own SHMLAB_KEY, do not mix",
     .hint = "A fixed key makes every run on the machine share one segment."},
    {.id = "usage",
     .clauses = "C10",
     .points = 5,
     .run = usage,
     .timeout_ms = 90000,
     .title = "Bad COUNT or INTERVAL_MS, or too many arguments: a usage line, exit 2, nothing "
              "created",
     .hint = "parse_long() with the ranges of the handout, then die_usage()."},
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
