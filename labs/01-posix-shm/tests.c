/*
 * Lab 01 - POSIX shared memory: the graded promises of README.md.
 *
 * Each test names one promise of the handout's contract. The grader picks
 * every shm name itself (unique to the test) and removes leftovers after
 * each test, so one mistake costs only the points of the promise it breaks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "harness/harness.h"

#define SHM_SIZE 4096
#define WRITTEN  "Data written to shared memory: "
#define RECEIVED "Received: "

/* A message of LENGTH bytes whose every position is visible. */
static const char *message_of_length(struct test_ctx *t, size_t length)
{
    char *message = (char *)textf(t, "%*s", (int)length, "");
    for (size_t i = 0; i < length; i++)
        message[i] = (char)('a' + i % 26);
    return message;
}

/* `writer NAME MESSAGE` stores it and says so. Only round-trip holds it
 * to that line alone: one stray line costs the points of that promise. */
static void write_message(struct test_ctx *t, const char *name, const char *message)
{
    expect_run(t, ARGS("writer", name, message), EXIT(0),
               STDOUT_HAS(textf(t, WRITTEN "%s", message)));
}

/* `reader NAME` prints MESSAGE. */
static void read_message(struct test_ctx *t, const char *name, const char *message)
{
    expect_run(t, ARGS("reader", name), EXIT(0), STDOUT_HAS(textf(t, RECEIVED "%s", message)));
}

static void round_trip_of(struct test_ctx *t, const char *message)
{
    const char *name = unique_shm_name(t);
    write_message(t, name, message);
    read_message(t, name, message);
}

/* Each program prints its one line and nothing else on stdout. */
static void round_trip(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *message = "hello, shared memory";
    expect_run(t, ARGS("writer", name, message), EXIT(0),
               STDOUT(textf(t, WRITTEN "%s\n", message)));
    expect_run(t, ARGS("reader", name), EXIT(0), STDOUT(textf(t, RECEIVED "%s\n", message)));
}

static void spaces_and_utf8(struct test_ctx *t)
{
    round_trip_of(t, "  Grüße aus Köln — ☕ naïve café  ");
}

static void longest_message(struct test_ctx *t)
{
    round_trip_of(t, message_of_length(t, SHM_SIZE - 1));
}

static void too_long_refused(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    expect_run(t, ARGS("writer", name, message_of_length(t, SHM_SIZE)), EXIT(1), NO_STDOUT,
               ERROR_MENTIONS("4095"));
    expect_no_shm_object(t, name, "after a refused message", "a refused message creates nothing");
}

static void size_and_mode(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    write_message(t, name, "size and mode");
    expect_shm_object(t, name, SHM_SIZE, 0600, "after the writer ended");
}

static void no_stale_tail(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    write_message(t, name, "a rather long first message that fills the object");
    write_message(t, name, "short");
    read_message(t, name, "short");
}

static void reader_removes(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    write_message(t, name, "read me once");
    read_message(t, name, "read me once");
    expect_no_shm_object(t, name, "after the reader ended", "shm_unlink");
}

static void missing_object(struct test_ctx *t)
{
    expect_run(t, ARGS("reader", unique_shm_name(t)), EXIT(1), NO_STDOUT,
               ERROR("shm_open", ENOENT));
}

/* An object of 4096 bytes and no NUL (a writer that forgot it): the
 * reader prints them all and not a byte more. A page no one may touch
 * follows the object, so a reader that reads on faults every run. */
static void no_nul_object(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *full = message_of_length(t, SHM_SIZE);

    guard_mappings(t);
    make_shm_object(t, name, full, SHM_SIZE, SHM_SIZE, 0600);
    read_message(t, name, full);
}

/* The reader opens read-only: it reads an object it may not write. */
static void reader_read_only(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *message = "read, but do not touch";

    make_shm_object(t, name, message, strlen(message) + 1, SHM_SIZE, 0400);
    read_message(t, name, message);
}

/* Objects the reader cannot use: an empty one (a writer that died before
 * ftruncate), where a mapping of 4096 bytes has no page behind it, and one
 * it may not open. Each fails cleanly. */
static void reader_bad_object(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);

    make_shm_object(t, name, "", 0, 0, 0600);
    expect_run(t, ARGS("reader", name), EXIT(1), NO_STDOUT, ERROR_SAID);
    name = unique_shm_name(t);
    make_shm_object(t, name, "not yours", 10, SHM_SIZE, 0000);
    expect_run(t, ARGS("reader", name), EXIT(1), NO_STDOUT, ERROR("shm_open", EACCES));
}

/* The message travels through the object, and only through it: the
 * grader finds it there itself, and nothing else the writer left could
 * carry it; a reader prints what the grader put there, which no writer
 * ever saw. */
static void through_shared_memory(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *message = "in the object, NUL-terminated";
    size_t size, length = strlen(message);
    const unsigned char *bytes;

    write_message(t, name, message);
    expect_only_channel(t, name, "after the writer ended");
    bytes = read_shm_object(t, name, &size, "after the writer ended");
    require(t, size >= length + 1 && memcmp(bytes, message, length + 1) == 0,
            "after the writer ended, %s should begin with the message and its NUL, but it begins "
            "with %s",
            name, textf(t, "\"%.*s\"", (int)(size < length + 8 ? size : length + 8), bytes));
    name = unique_shm_name(t);
    message = "put here by the grader";
    make_shm_object(t, name, message, strlen(message) + 1, SHM_SIZE, 0600);
    read_message(t, name, message);
}

/* The sanitizer build: no memory error, undefined behaviour or leak on
 * the longest message, the one just too long, and an object without a
 * NUL (guarded, as in no-nul-object: the sanitizers do not watch the
 * ends of mappings). */
static void memory_safety(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *full = message_of_length(t, SHM_SIZE);

    guard_mappings(t);
    round_trip_of(t, message_of_length(t, SHM_SIZE - 1));
    expect_run(t, ARGS("writer", unique_shm_name(t), full), EXIT(1));
    make_shm_object(t, name, full, SHM_SIZE, SHM_SIZE, 0600);
    read_message(t, name, full);
}

static void usage(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    expect_run(t, ARGS("writer"), USAGE);
    expect_run(t, ARGS("writer", name), USAGE);
    expect_run(t, ARGS("writer", name, "two", "messages"), USAGE);
    expect_run(t, ARGS("reader"), USAGE);
    expect_run(t, ARGS("reader", name, "extra"), USAGE);
    expect_no_shm_object(t, name, "after usage errors", "a usage error creates nothing");
}

static void bad_name(struct test_ctx *t)
{
    const char *name = unique_shm_name(t), *no_slash = name + 1;
    expect_run(t, ARGS("writer", no_slash, "message"), USAGE);
    expect_run(t, ARGS("writer", textf(t, "%s/inner", name), "message"), USAGE);
    expect_run(t, ARGS("writer", "/", "message"), USAGE);
    expect_run(t, ARGS("reader", no_slash), USAGE);
    expect_no_shm_object(t, name, "after bad names",
                         "glibc accepts a name without its leading /: check the name yourself");
}

static const struct lab_test tests[] = {
    {.id = "round-trip",
     .clauses = "C4 C6",
     .points = 10,
     .run = round_trip,
     .title = "A message the writer stores is what the reader prints; each prints its one line "
              "and nothing else on stdout",
     .hint = "Steps 2 to 4 of the handout: the writer creates, sizes and maps the object and "
             "copies the message in; the reader maps it and prints it."},
    {.id = "spaces-utf8",
     .clauses = "C4 C6",
     .points = 5,
     .run = spaces_and_utf8,
     .title = "Spaces and UTF-8 text survive exactly",
     .hint = "Store the bytes of argv[2] as they are: no scanf(\"%s\"), no trimming."},
    {.id = "longest-message",
     .clauses = "C4 C6",
     .points = 5,
     .run = longest_message,
     .title = "A 4095-byte message (the most that fits) round-trips",
     .hint = "4095 bytes of text plus its NUL fill the 4096-byte object exactly."},
    {.id = "too-long-refused",
     .clauses = "C5",
     .points = 5,
     .run = too_long_refused,
     .title =
         "A 4096-byte message is refused (exit 1, naming the 4095-byte limit), nothing left behind",
     .hint = "Check the length before shm_open, so there is nothing to clean up."},
    {.id = "size-and-mode",
     .clauses = "C2",
     .points = 10,
     .run = size_and_mode,
     .title = "The object is 4096 bytes with mode 0600 while it waits for the reader",
     .hint = "Step 2: the mode is shm_open's third argument; a new object has no size until "
             "ftruncate gives it one."},
    {.id = "no-stale-tail",
     .clauses = "C3",
     .points = 10,
     .run = no_stale_tail,
     .title = "A shorter second message reads back without the first one's tail",
     .hint = "Step 3: a C string ends at its NUL. What marks the end of the message in the "
             "object?"},
    {.id = "reader-removes",
     .clauses = "C7",
     .points = 5,
     .run = reader_removes,
     .title = "The reader removes the object (shm_unlink) after reading it",
     .hint = "An object outlives every process until shm_unlink: see 'kernel persistence'."},
    {.id = "missing-object",
     .clauses = "C8 C10",
     .points = 5,
     .run = missing_object,
     .title = "The reader on a missing object fails cleanly: exit 1, shm_open's error",
     .hint = "Check what shm_open returns, and report its failure with die_errno()."},
    {.id = "no-nul-object",
     .clauses = "C6",
     .points = 5,
     .run = no_nul_object,
     .title = "An object of 4096 bytes and no NUL: the reader prints those 4096 bytes and not one "
              "more",
     .hint = "Step 4: the object may hold no NUL (a writer that forgot it). A reader that prints "
             "with %s reads on past the end of the mapping; strnlen() knows where to stop."},
    {.id = "reader-read-only",
     .clauses = "C6",
     .points = 5,
     .run = reader_read_only,
     .title = "The reader opens the object read-only: it reads one it may not write (mode 0400)",
     .hint = "Step 4: a reader needs no write access. Which flag does shm_open need, and which "
             "protection does mmap?"},
    {.id = "reader-bad-object",
     .clauses = "C10",
     .points = 5,
     .run = reader_bad_object,
     .title = "The reader fails cleanly (exit 1, a message on stderr, nothing on stdout) on an "
              "empty object and on one it may not open",
     .hint =
         "An empty object (a writer that died before ftruncate) has no page behind a 4096-byte "
         "mapping: reading it raises SIGBUS. fstat() tells the object's size before you map it; "
         "check shm_open() too."},
    {.id = "through-shared-memory",
     .clauses = "C3 C6",
     .points = 10,
     .run = through_shared_memory,
     .title = "The message travels through the object alone: the grader finds it there and "
              "nowhere else, and the reader prints what the grader put there",
     .hint = "Step 3 and 4: the writer stores the message in the mapping and nowhere else (no "
             "file, no second object, no helper process); the reader prints what the mapping "
             "holds."},
    {.id = "memory-safety",
     .clauses = "C11",
     .points = 5,
     .run = memory_safety,
     .build = BUILD_SANITIZE,
     .title = "No memory error, undefined behaviour or leak (AddressSanitizer, UBSan) with the "
              "longest message, a too-long one, and an object without a NUL",
     .hint = "Run `make VARIANT=sanitize` and your programs on a 4095-byte message: the "
             "sanitizer names the line. Where does a copy of the message go, and how big is it?"},
    {.id = "usage",
     .clauses = "C9",
     .points = 5,
     .run = usage,
     .title = "Wrong argument counts print a usage line and exit 2",
     .hint = "Check argc first and call die_usage()."},
    {.id = "bad-name",
     .clauses = "C1 C9",
     .points = 5,
     .run = bad_name,
     .title = "Names without a leading /, with another /, or just / are refused with exit 2",
     .hint = "Validate with is_valid_shm_name() before shm_open."},
};

static const char *const student_files[] = {"writer.c", "reader.c", NULL};

static const struct lab lab01 = {
    .id = "01-posix-shm",
    .title = "POSIX shared memory: a writer and a reader",
    .student_files = student_files,
    .tests = tests,
    .n_tests = ARRAY_LEN(tests),
};

SHMLAB_REGISTER_LAB(lab01);
