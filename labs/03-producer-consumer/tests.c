/*
 * Lab 03 - producer and consumer through a shared struct with a ready
 * flag: the graded promises of README.md.
 *
 * Every test starts the programs itself, in the order the contract allows
 * (the producer first; the consumer once the producer has printed its id),
 * and synchronises on the lines they print, never on time. The consumer's
 * lines are followed as they come, so a lost, repeated or torn message is
 * reported at the first wrong line, and a hung exchange after STALL_MS
 * without a new line. Each test gets its own key from the grader (and,
 * in the namespaces sandbox, an IPC namespace of its own), so a
 * submission that ignores SHMLAB_KEY loses only the tests about the key.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

/* int counter, char message[256], int ready: the least a segment holds. */
#define SEGMENT_MIN_SIZE (4 + 256 + 4)
/* A line the programs print at once (their id, "Sent message 1"). */
#define LINE_MS 15000
/* No new line from the consumer for this long: the exchange hangs. A
 * correct handshake delivers a message in microseconds, even on a machine
 * loaded to the hilt. */
#define STALL_MS 10000
/* A few messages, from the consumer's start to its end. */
#define SMALL_MS  60000
#define BIG_COUNT 10000
/* 10,000 messages: a correct handshake needs 1 to 3 s on a loaded machine;
 * the seed's 100 ms polling would need 17 minutes. */
#define BIG_MS 120000

/* --- starting the programs -------------------------------------------------- */

/* The test's first key (the grader removes whatever is left at it). */
static key_t first_key(struct test_ctx *t)
{
    return unique_ipc_key(t);
}

static struct proc *spawn_with_key(struct test_ctx *t, key_t key, const char *const argv[])
{
    const char *env[] = {shmlab_key_env(t, key), NULL};
    struct proc_opts opts = {.env = env};
    return spawn(t, argv, &opts);
}

static struct proc *run_with_key(struct test_ctx *t, key_t key, const char *const argv[])
{
    const char *env[] = {shmlab_key_env(t, key), NULL};
    struct proc_opts opts = {.env = env};
    return run(t, argv, &opts);
}

#define SPAWN_KEY(t, key, ...) spawn_with_key((t), (key), (const char *const[]){__VA_ARGS__, NULL})
#define RUN_KEY(t, key, ...)   run_with_key((t), (key), (const char *const[]){__VA_ARGS__, NULL})

/* Wait for P's "Shared memory ID: N" line; N, or -1 (a failure is recorded). */
static int printed_id(struct test_ctx *t, struct proc *p)
{
    char line[256];
    int id;

    if (!expect_line_soon(t, p, "^Shared memory ID: [0-9]+$", LINE_MS, line, sizeof(line)))
        return -1;
    id = atoi(line + strlen("Shared memory ID: "));
    return id;
}

/* Start `producer ARGS...` and wait until it has printed its id. */
static struct proc *start_producer(struct test_ctx *t, key_t key, const char *const argv[], int *id)
{
    struct proc *producer = spawn_with_key(t, key, argv);
    *id = printed_id(t, producer);
    return producer;
}

#define START_PRODUCER(t, key, id, ...)                                                            \
    start_producer((t), (key), (const char *const[]){"producer", __VA_ARGS__, NULL}, (id))

/* The producer has published message 1 and waits for the consumer. */
static bool wait_for_first_message(struct test_ctx *t, struct proc *producer)
{
    return expect_line_soon(t, producer, "^Producer: Sent message 1$", LINE_MS, NULL, 0);
}

/* --- following the consumer ------------------------------------------------- */

struct follow {
    long count;    /* messages expected */
    int id;        /* the id the consumer must print */
    long lines;    /* lines seen */
    long received; /* messages received correctly so far */
    bool finished; /* its last line */
    char problem[1024];
    char recent[4][320]; /* the last lines, for the report */
};

static void remember(struct follow *f, const char *line)
{
    for (int i = 0; i < 3; i++)
        memcpy(f->recent[i], f->recent[i + 1], sizeof(f->recent[0]));
    snprintf(f->recent[3], sizeof(f->recent[3]), "%.300s", line);
}

static void expected_received(long i, char *buf, size_t size)
{
    snprintf(buf, size,
             "Consumer: Received - Counter: %ld, Message: Message number %ld from producer", i, i);
}

/* Why LINE, where message I was due, is wrong. */
static void diagnose_message(struct follow *f, long i, const char *line)
{
    long counter;
    int at = 0;

    if (sscanf(line, "Consumer: Received - Counter: %ld, Message: %n", &counter, &at) < 1 ||
        at == 0)
        snprintf(f->problem, sizeof(f->problem),
                 "after message %ld the consumer printed \"%.200s\" instead of message %ld", i - 1,
                 line, i);
    else if (counter > i && i == 1)
        snprintf(f->problem, sizeof(f->problem),
                 "message 1 was lost: the consumer's first message was message %ld (the producer "
                 "overwrote the struct before the consumer had taken it)",
                 counter);
    else if (counter > i)
        snprintf(f->problem, sizeof(f->problem),
                 "message %ld was lost: after message %ld the consumer received message %ld (the "
                 "producer overwrote the struct before the consumer had taken it)",
                 i, i - 1, counter);
    else if (counter < i)
        snprintf(f->problem, sizeof(f->problem),
                 "message %ld was received again after message %ld (the consumer read the struct "
                 "before the producer had put a new message in it)",
                 counter, i - 1);
    else
        snprintf(f->problem, sizeof(f->problem),
                 "message %ld arrived torn or stale: \"%.200s\" (read the struct only after the "
                 "flag says it is full, and copy it before handing it back)",
                 i, line + at);
}

static bool on_consumer_line(const char *line, void *arg)
{
    struct follow *f = arg;
    long n = f->lines++;
    char want[256];

    remember(f, line);
    if (n == 0)
        snprintf(want, sizeof(want), "Consumer: Connected to shared memory");
    else if (n == 1)
        snprintf(want, sizeof(want), "Shared memory ID: %d", f->id);
    else if (n - 1 <= f->count)
        expected_received(n - 1, want, sizeof(want));
    else if (n - 2 == f->count)
        snprintf(want, sizeof(want), "Consumer: Finished and cleaned up");
    else
        snprintf(want, sizeof(want), "(nothing more)");

    if (strcmp(line, want) == 0) {
        if (n >= 2 && n - 1 <= f->count)
            f->received = n - 1;
        f->finished = n - 2 == f->count;
        return true;
    }
    if (n >= 2 && n - 1 <= f->count && strncmp(line, "Consumer: Received - ", 21) == 0)
        diagnose_message(f, n - 1, line);
    else
        snprintf(f->problem, sizeof(f->problem),
                 "line %ld of the consumer's output should be \"%s\", but it is \"%.200s\"", n + 1,
                 want, line);
    return false;
}

static void show_recent(struct test_ctx *t, const struct follow *f)
{
    note(t, "  the consumer's last lines:");
    for (int i = 0; i < 4; i++)
        if (f->recent[i][0] != '\0')
            note(t, "      | %s", f->recent[i]);
}

/*
 * The consumer prints its two opening lines, messages 1..COUNT in order,
 * each once, and its closing line, within TOTAL_MS; then both programs
 * exit with status 0.
 */
static bool expect_exchange(struct test_ctx *t, struct proc *consumer, struct proc *producer,
                            long count, int id, int total_ms)
{
    struct proc *drain[] = {producer, NULL};
    struct follow f = {.count = count, .id = id};
    enum follow_end end =
        follow_stdout_lines(consumer, drain, STALL_MS, total_ms, on_consumer_line, &f);

    if (f.problem[0] != '\0') {
        check(t, false, "%s", f.problem);
        show_recent(t, &f);
        return false;
    }
    if (!f.finished) {
        const char *producer_state = "";
        proc_wait(producer, 0);
        if (producer->state != PROC_RUNNING && f.received < count)
            producer_state = "; the producer had already ended, without waiting for the consumer "
                             "to take each message";
        if (end == FOLLOW_EOF) {
            proc_wait(consumer, LINE_MS);
            check(t, false,
                  "the consumer %s after receiving %ld of %ld messages, without its last line%s",
                  proc_describe_end(consumer), f.received, count, producer_state);
        } else if (end == FOLLOW_STALLED) {
            check(t, false,
                  "the exchange hangs: the consumer received %ld of %ld messages, then printed "
                  "nothing for %d s%s",
                  f.received, count, STALL_MS / 1000, producer_state);
        } else {
            check(t, false, "only %ld of %ld messages arrived within %d s (too slow)", f.received,
                  count, total_ms / 1000);
        }
        show_recent(t, &f);
        return false;
    }
    return expect_exit(t, consumer, 0) && expect_exit(t, producer, 0);
}

/* P's stdout is exactly LINES (P has ended). */
static bool expect_exact_output(struct test_ctx *t, struct proc *p, char lines[][128], size_t n)
{
    char line[512];
    size_t have = capture_line_count(&p->out);

    for (size_t i = 0; i < n; i++) {
        if (!capture_line(&p->out, i, line, sizeof(line)))
            return check(t, false,
                         "`%s` should print \"%s\" as line %zu, but it printed only %zu "
                         "lines",
                         p->command, lines[i], i + 1, have);
        if (strcmp(line, lines[i]) != 0)
            return check(t, false, "line %zu of `%s` should be \"%s\", but it is \"%.200s\"", i + 1,
                         p->command, lines[i], line);
    }
    return check(t, have == n, "`%s` should print %zu lines, but it printed %zu", p->command, n,
                 have);
}

/* --- the tests ---------------------------------------------------------------- */

static void five_messages(struct test_ctx *t)
{
    key_t key = first_key(t);
    char lines[8][128];
    int id;
    struct proc *producer = START_PRODUCER(t, key, &id, NULL), *consumer;

    if (id < 0)
        return;
    consumer = SPAWN_KEY(t, key, "consumer");
    if (!expect_exchange(t, consumer, producer, 5, id, SMALL_MS))
        return;
    snprintf(lines[0], sizeof(lines[0]), "Producer: Shared memory initialized");
    snprintf(lines[1], sizeof(lines[1]), "Shared memory ID: %d", id);
    for (int i = 1; i <= 5; i++)
        snprintf(lines[i + 1], sizeof(lines[0]), "Producer: Sent message %d", i);
    snprintf(lines[7], sizeof(lines[7]), "Producer: Finished");
    expect_exact_output(t, producer, lines, 8);
}

static void ten_thousand(struct test_ctx *t)
{
    key_t key = first_key(t);
    int id;
    struct proc *producer = START_PRODUCER(t, key, &id, "10000", "0"), *consumer;

    if (id < 0)
        return;
    consumer = SPAWN_KEY(t, key, "consumer", "10000");
    expect_exchange(t, consumer, producer, BIG_COUNT, id, BIG_MS);
}

static void late_consumer(struct test_ctx *t)
{
    key_t key = first_key(t);
    int id;
    struct proc *producer = START_PRODUCER(t, key, &id, "20", "0"), *consumer;

    if (id < 0 || !wait_for_first_message(t, producer))
        return;
    consumer = SPAWN_KEY(t, key, "consumer", "20");
    expect_exchange(t, consumer, producer, 20, id, SMALL_MS);
}

static void ids_agree(struct test_ctx *t)
{
    key_t key = first_key(t);
    struct ipc_object segment;
    int id, consumer_id;
    struct proc *producer = START_PRODUCER(t, key, &id, "2", "0"), *consumer;

    if (id < 0 || !wait_for_first_message(t, producer))
        return;
    require(t, sysv_find_key(IPC_KIND_SYSV_SHM, key, &segment),
            "there is no segment with key 0x%08x, the key the grader gave in SHMLAB_KEY (get the "
            "key with shmlab_key(), never a fixed number)",
            (unsigned)key);
    check(t, segment.id == id,
          "the producer printed id %d, but the segment with key 0x%08x has id %d", id,
          (unsigned)key, segment.id);
    check(t, segment.creator == producer->pid,
          "the segment with key 0x%08x was created by pid %d, not by the producer (pid %d)",
          (unsigned)key, (int)segment.creator, (int)producer->pid);
    consumer = SPAWN_KEY(t, key, "consumer", "2");
    consumer_id = printed_id(t, consumer);
    check(t, consumer_id < 0 || consumer_id == id,
          "the consumer printed id %d, but the producer printed %d", consumer_id, id);
}

static void segment_mode(struct test_ctx *t)
{
    key_t key = first_key(t);
    struct ipc_object segment;
    int id;
    struct proc *producer = START_PRODUCER(t, key, &id, "2", "0");

    if (id < 0 || !wait_for_first_message(t, producer))
        return;
    require(t, sysv_shm_stat(id, &segment),
            "the producer printed id %d, but there is no such segment (IPC_STAT fails)", id);
    check(t, (segment.mode & 0777) == 0600,
          "the segment's mode should be 0600 (only its owner may read or write), but it is %04o",
          (unsigned)(segment.mode & 0777));
    check(t, segment.size >= SEGMENT_MIN_SIZE,
          "the segment should hold the struct (at least %d bytes), but it has %zu",
          SEGMENT_MIN_SIZE, segment.size);
}

static void segment_removed(struct test_ctx *t)
{
    key_t key = first_key(t);
    struct ipc_object segment;
    int id;
    struct proc *producer = START_PRODUCER(t, key, &id, "1"), *consumer;

    if (id < 0)
        return;
    consumer = SPAWN_KEY(t, key, "consumer", "1");
    if (!expect_exchange(t, consumer, producer, 1, id, SMALL_MS))
        return;
    check(t, !sysv_shm_stat(id, &segment),
          "after both programs ended, segment %d (%zu bytes) is still there: the consumer must "
          "remove it with shmctl(id, IPC_RMID, NULL)",
          id, segment.size);
    check(t, !sysv_find_key(IPC_KIND_SYSV_SHM, key, &segment),
          "after both programs ended, a segment with key 0x%08x (id %d) is still there",
          (unsigned)key, segment.id);
}

static void no_producer(struct test_ctx *t)
{
    key_t key = first_key(t);
    struct ipc_object segment;
    struct proc *consumer = RUN_KEY(t, key, "consumer");

    if (expect_exit(t, consumer, 1) && expect_error_line(t, consumer, "shmget", ENOENT))
        expect_stdout_empty(t, consumer);
    check(t, !sysv_find_key(IPC_KIND_SYSV_SHM, key, &segment),
          "a consumer without a producer must create nothing, but segment %d has key 0x%08x",
          segment.id, (unsigned)key);
}

static void busy_key(struct test_ctx *t)
{
    key_t key = first_key(t);
    int id;
    struct proc *first = START_PRODUCER(t, key, &id, "3", "0"), *second;

    if (id < 0 || !wait_for_first_message(t, first))
        return;
    second = RUN_KEY(t, key, "producer", "3", "0");
    if (expect_exit(t, second, 1) && expect_error_line(t, second, "shmget", EEXIST))
        expect_stdout_empty(t, second);
}

static void two_at_once(struct test_ctx *t)
{
    key_t key_a = first_key(t), key_b = unique_ipc_key(t);
    int id_a, id_b;
    struct proc *producer_a = START_PRODUCER(t, key_a, &id_a, "20", "0"), *producer_b;
    struct proc *consumer_a, *consumer_b;

    if (id_a < 0)
        return;
    producer_b = START_PRODUCER(t, key_b, &id_b, "20", "0");
    if (id_b < 0)
        return;
    check(t, id_a != id_b, "two producers with different keys printed the same id %d", id_a);
    consumer_a = SPAWN_KEY(t, key_a, "consumer", "20");
    consumer_b = SPAWN_KEY(t, key_b, "consumer", "20");
    /* B's programs print little: their pipes hold it while we follow A. */
    if (expect_exchange(t, consumer_a, producer_a, 20, id_a, SMALL_MS))
        expect_exchange(t, consumer_b, producer_b, 20, id_b, SMALL_MS);
}

/* ARGV gets a usage message on stderr, exit status 2 and no output. */
static void expect_usage_error(struct test_ctx *t, key_t key, const char *const argv[])
{
    struct proc *p = run_with_key(t, key, argv);
    if (expect_exit(t, p, 2) && expect_one_stderr_line(t, p))
        expect_stdout_empty(t, p);
}

static void usage_errors(struct test_ctx *t)
{
    static const char *const cases[][4] = {
        {"producer", "abc"},         {"producer", "0"},       {"producer", "-3"},
        {"producer", "5", "x"},      {"producer", "5", "-1"}, {"producer", "5", "99999999999"},
        {"producer", "1", "2", "3"}, {"consumer", "abc"},     {"consumer", "0"},
        {"consumer", "1", "2"},
    };
    key_t key = first_key(t);
    struct ipc_object segment;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        expect_usage_error(t, key, cases[i]);
    check(t, !sysv_find_key(IPC_KIND_SYSV_SHM, key, &segment),
          "a usage error must create nothing, but segment %d has key 0x%08x", segment.id,
          (unsigned)key);
}

static const struct lab_test tests[] = {
    {.id = "five-messages",
     .points = 15,
     .run = five_messages,
     .timeout_ms = 120000,
     .title = "The seed's run: 5 messages, 1 s apart, arrive once each and in order, with the "
              "seed's lines",
     .hint = "Steps 2 to 4 of the handout; compare your lines with the sample session."},
    {.id = "ten-thousand",
     .points = 25,
     .run = ten_thousand,
     .timeout_ms = 180000,
     .title = "10,000 messages with no pause arrive exactly once each and in order, within 2 "
              "minutes",
     .hint = "The producer must wait until the consumer has taken a message (flag back to EMPTY) "
             "before writing the next; wait with an acquire load, hand over with a release store."},
    {.id = "late-consumer",
     .points = 10,
     .run = late_consumer,
     .timeout_ms = 120000,
     .title = "A consumer started while the producer waits with message 1 still gets all 20",
     .hint = "Only the producer initialises the struct; the consumer takes whatever is there."},
    {.id = "ids-agree",
     .points = 10,
     .run = ids_agree,
     .timeout_ms = 90000,
     .title = "Both print the id of the segment at the key from SHMLAB_KEY, and the ids agree",
     .hint = "Get the key with shmlab_key(CHANNEL_DEFAULT_KEY), in both programs."},
    {.id = "segment-mode",
     .points = 5,
     .run = segment_mode,
     .timeout_ms = 90000,
     .title = "The segment holds the struct and has mode 0600, not the seed's 0666",
     .hint = "shmget(key, sizeof(struct channel), IPC_CREAT | IPC_EXCL | 0600)."},
    {.id = "segment-removed",
     .points = 10,
     .run = segment_removed,
     .timeout_ms = 90000,
     .title = "After the consumer's last message, the segment is removed (IPC_RMID)",
     .hint = "A System V segment outlives every process until shmctl(id, IPC_RMID, NULL)."},
    {.id = "no-producer",
     .points = 10,
     .run = no_producer,
     .timeout_ms = 60000,
     .title = "A consumer with no producer fails at once: exit 1, shmget's error, nothing created",
     .hint = "The consumer calls shmget without IPC_CREAT and reports ENOENT with die_errno or "
             "die."},
    {.id = "busy-key",
     .points = 5,
     .run = busy_key,
     .timeout_ms = 90000,
     .title = "A second producer on a key in use is refused: exit 1, shmget's EEXIST",
     .hint = "IPC_CREAT | IPC_EXCL: without IPC_EXCL the second producer takes over the first "
             "one's struct."},
    {.id = "two-at-once",
     .points = 5,
     .run = two_at_once,
     .timeout_ms = 120000,
     .title = "Two exchanges at once, each with its own SHMLAB_KEY, do not mix",
     .hint = "A fixed key makes every run on the machine share one segment."},
    {.id = "usage",
     .points = 5,
     .run = usage_errors,
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
