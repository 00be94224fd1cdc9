/*
 * Lab 01 - POSIX shared memory: the graded promises of README.md.
 *
 * Each test names one promise of the handout's contract. The grader picks
 * every shm name itself (unique to the run) and removes leftovers after
 * each test, so one mistake costs only the points of the promise it breaks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

#define SHM_SIZE 4096

static char *printed(const char *prefix, const char *message)
{
    char *line;
    if (asprintf(&line, "%s%s", prefix, message) < 0)
        abort();
    return line;
}

/* `writer NAME MESSAGE` succeeds and says what it wrote. */
static bool write_message(struct test_ctx *t, const char *name, const char *message)
{
    struct proc *writer = RUN(t, "writer", name, message);
    char *line = printed("Data written to shared memory: ", message);
    bool ok = expect_exit(t, writer, 0) && expect_stdout_line(t, writer, line);
    free(line);
    return ok;
}

/* `reader NAME` succeeds and prints exactly MESSAGE. */
static bool read_message(struct test_ctx *t, const char *name, const char *message)
{
    struct proc *reader = RUN(t, "reader", name);
    char *line = printed("Received: ", message);
    bool ok = expect_exit(t, reader, 0) && expect_stdout_line(t, reader, line);
    free(line);
    return ok;
}

/* A message of LENGTH bytes whose every position is visible. */
static char *message_of_length(size_t length)
{
    char *message = malloc(length + 1);
    if (message == NULL)
        abort();
    for (size_t i = 0; i < length; i++)
        message[i] = (char)('a' + i % 26);
    message[length] = '\0';
    return message;
}

static void round_trip(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    if (write_message(t, name, "hello, shared memory"))
        read_message(t, name, "hello, shared memory");
}

static void spaces_and_utf8(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    const char *message = "  Grüße aus Köln — ☕ naïve café  ";
    if (write_message(t, name, message))
        read_message(t, name, message);
}

static void longest_message(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    char *message = message_of_length(SHM_SIZE - 1);
    if (write_message(t, name, message))
        read_message(t, name, message);
    free(message);
}

static void too_long_refused(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    char *message = message_of_length(SHM_SIZE);
    struct proc *writer = RUN(t, "writer", name, message);

    if (expect_exit(t, writer, 1) && expect_one_stderr_line(t, writer)) {
        check(t, strstr(writer->err.head, "4095") != NULL,
              "the writer's message should name the limit, 4095 bytes, but it was: %.200s",
              writer->err.head);
        expect_stdout_empty(t, writer);
    }
    check(t, !shm_object_exists(name),
          "a refused message must leave nothing behind, but %s exists in %s", name, SHM_FOLDER);
    free(message);
}

static void object_size_and_mode(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    struct shm_object_info info;

    if (!write_message(t, name, "size and mode"))
        return;
    require(t, shm_object_stat(name, &info),
            "after the writer ended, %s should exist in %s for the reader, but it does not", name,
            SHM_FOLDER);
    check(t, info.size == SHM_SIZE, "the object should be %d bytes (ftruncate), but it is %lld",
          SHM_SIZE, (long long)info.size);
    check(t, info.mode == 0600,
          "the object's mode should be 0600 (only its owner may read or write), but it is %04o",
          (unsigned)info.mode);
}

static void no_stale_tail(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);

    if (write_message(t, name, "a rather long first message that fills the object") &&
        write_message(t, name, "short"))
        read_message(t, name, "short");
}

static void reader_removes_object(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);

    if (!write_message(t, name, "read me once") || !read_message(t, name, "read me once"))
        return;
    check(t, !shm_object_exists(name),
          "after the reader ended, %s should be gone (shm_unlink), but it is still in %s", name,
          SHM_FOLDER);
}

static void missing_object(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    struct proc *reader = RUN(t, "reader", name);

    if (expect_exit(t, reader, 1) && expect_error_line(t, reader, "shm_open", ENOENT))
        expect_stdout_empty(t, reader);
}

/* ARGV gets a usage message on stderr, exit status 2 and no output. */
static void expect_usage_error(struct test_ctx *t, const char *const argv[])
{
    struct proc *p = run(t, argv, NULL);
    if (expect_exit(t, p, 2) && expect_one_stderr_line(t, p))
        expect_stdout_empty(t, p);
}

static void usage_errors(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);

    expect_usage_error(t, (const char *const[]){"writer", NULL});
    expect_usage_error(t, (const char *const[]){"writer", name, NULL});
    expect_usage_error(t, (const char *const[]){"writer", name, "two", "messages", NULL});
    expect_usage_error(t, (const char *const[]){"reader", NULL});
    expect_usage_error(t, (const char *const[]){"reader", name, "extra", NULL});
    check(t, !shm_object_exists(name), "a usage error must create nothing, but %s exists", name);
}

static void bad_names(struct test_ctx *t)
{
    const char *name = unique_shm_name(t);
    const char *no_slash = name + 1;
    char nested[128];

    snprintf(nested, sizeof(nested), "%s/inner", name);
    expect_usage_error(t, (const char *const[]){"writer", no_slash, "message", NULL});
    expect_usage_error(t, (const char *const[]){"writer", nested, "message", NULL});
    expect_usage_error(t, (const char *const[]){"writer", "/", "message", NULL});
    expect_usage_error(t, (const char *const[]){"reader", no_slash, NULL});
    check(t, !shm_object_exists(name),
          "a bad name must create nothing, but %s%s exists (glibc accepts a name without its "
          "leading /: check the name yourself)",
          SHM_FOLDER, name);
}

static const struct lab_test tests[] = {
    {.id = "round-trip",
     .points = 10,
     .run = round_trip,
     .title = "A message the writer stores is what the reader prints",
     .hint =
         "Step 2 and 3 of the handout: shm_open, ftruncate, mmap, copy; then open, map and print."},
    {.id = "spaces-utf8",
     .points = 10,
     .run = spaces_and_utf8,
     .title = "Spaces and UTF-8 text survive exactly",
     .hint = "Store the bytes of argv[2] as they are: no scanf(\"%s\"), no trimming."},
    {.id = "longest-message",
     .points = 10,
     .run = longest_message,
     .title = "A 4095-byte message (the most that fits) round-trips",
     .hint = "4095 bytes of text plus its NUL fill the 4096-byte object exactly."},
    {.id = "too-long-refused",
     .points = 10,
     .run = too_long_refused,
     .title =
         "A 4096-byte message is refused (exit 1, naming the 4095-byte limit), nothing left behind",
     .hint = "Check the length before shm_open, so there is nothing to clean up."},
    {.id = "size-and-mode",
     .points = 15,
     .run = object_size_and_mode,
     .title = "The object is 4096 bytes with mode 0600 while it waits for the reader",
     .hint = "shm_open(name, O_CREAT | O_RDWR, 0600), then ftruncate(fd, 4096)."},
    {.id = "no-stale-tail",
     .points = 10,
     .run = no_stale_tail,
     .title = "A shorter second message reads back without the first one's tail",
     .hint = "Copy the terminating NUL too (memcpy length + 1, or strcpy)."},
    {.id = "reader-removes",
     .points = 10,
     .run = reader_removes_object,
     .title = "The reader removes the object (shm_unlink) after reading it",
     .hint = "An object outlives every process until shm_unlink: see 'kernel persistence'."},
    {.id = "missing-object",
     .points = 10,
     .run = missing_object,
     .title = "The reader on a missing object fails cleanly: exit 1, shm_open's error",
     .hint = "Check shm_open's result and report with die_errno(\"shm_open\")."},
    {.id = "usage",
     .points = 5,
     .run = usage_errors,
     .title = "Wrong argument counts print a usage line and exit 2",
     .hint = "Check argc first and call die_usage()."},
    {.id = "bad-name",
     .points = 5,
     .run = bad_names,
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
