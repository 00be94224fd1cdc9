/*
 * Lab 02 - System V shared memory, a client and a server: the graded
 * promises of README.md.
 *
 * The client is interactive: the tests follow it line by line (its id
 * line, then its prompt) and only then act; a signal goes only once the
 * client is asleep waiting for Enter. Where a promise is about one
 * program, the grader plays the other one itself (it attaches to the
 * client's segment, or makes a segment for the server), so a broken
 * client never costs the server's points, and back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>

#include "harness/harness.h"

#define SHM_SIZE 4096

#define ID_LINE        "^Allocated with shm id ([0-9]+)$"
#define CONTENTS_ZERO  "Attached --> Mem contents 0"
#define PROMPT         "Start other process, then press Enter"
#define SERVER_FOUND   "Attached --> Mem contents 100"
#define SERVER_CHANGED "Changed mem is now 200"

/* A value no program of the lab writes, to see whether one wrote. */
#define BAIT_VALUE 4242

/* A client waiting for Enter, and the id of the segment it printed. */
struct session {
    struct proc *client;
    int id;
};

/* Start the client and follow it up to its prompt: from then on it
 * waits, with 100 stored in the segment whose id it printed. */
static struct session client_waiting(struct test_ctx *t)
{
    struct session s = {.client = start(t, ARGS("client"), KEEP_STDIN)};
    s.id = (int)await_number(t, s.client, ID_LINE);
    await_line(t, s.client, "^" PROMPT "$");
    return s;
}

/* Press Enter: the client prints what the segment holds and exits 0. */
static void press_enter(struct test_ctx *t, struct proc *client, int expected)
{
    send_line(t, client, "");
    expect_next_line(t, client, textf(t, "mem is now %d", expected));
    expect_end(t, client, EXIT(0));
}

/* After WHAT, the client ends by itself, and neither its segment nor any
 * other it made is left. SUSPECT says what to look at if it never ends. */
static void expect_ends_cleaned_up(struct test_ctx *t, struct session s, const char *what,
                                   const char *suspect)
{
    if (!wait_end(t, s.client, 0))
        fail_about(t, s.client,
                   "%s, the client should remove its segment and end, but it is still running "
                   "%.1f s later (%s)",
                   what, scaled_timeout_ms(DEFAULT_STEP_TIMEOUT_MS) / 1000.0, suspect);
    const char *after = textf(t, "%s and the client %s", what, proc_describe_end(s.client).text);
    expect_no_segment(t, s.id, after, "IPC_RMID: else it stays until the machine reboots");
    expect_no_segment_made_by(t, s.client, after);
}

static const char *id_arg(struct test_ctx *t, int id)
{
    return textf(t, "%d", id);
}

/* A segment of the grader's holding BAIT_VALUE, for a server that must
 * touch nothing. */
struct bait {
    int id;
    volatile int *mem;
};

static struct bait make_bait(struct test_ctx *t)
{
    struct bait bait;
    bait.id = make_segment(t, SHM_SIZE, BAIT_VALUE, &bait.mem);
    return bait;
}

/* `server ARG [EXTRA]` is a usage error that leaves the bait as it was
 * (unchanged, nobody but the grader attached); WHY says why it must. The
 * bait is looked at first: a changed bait says more than a wrong status. */
static void expect_server_refuses(struct test_ctx *t, struct bait bait, const char *arg,
                                  const char *extra, const char *why)
{
    struct proc *server = expect_run(t, ARGS("server", arg, extra));
    if (*bait.mem != BAIT_VALUE)
        fail_about(t, server, "`%s` changed segment %d (it held %d, then %d): %s", server->command,
                   bait.id, BAIT_VALUE, *bait.mem, why);
    if (segment_attaches(bait.id) != 1)
        fail_about(t, server, "`%s` left %ld processes attached to segment %d", server->command,
                   segment_attaches(bait.id) - 1, bait.id);
    expect_end(t, server, USAGE);
}

/* --- the tests ----------------------------------------------------------------- */

static void segment_is_private(struct test_ctx *t)
{
    struct proc *client = start(t, ARGS("client"), KEEP_STDIN);
    int id = (int)await_number(t, client, ID_LINE);
    expect_next_line(t, client, CONTENTS_ZERO);
    expect_next_line(t, client, PROMPT);
    struct ipc_object seg = expect_sysv_segment(t, id, "the id the client printed");
    require(t, seg.size == SHM_SIZE, "segment %d should be %d bytes, but it is %zu", id, SHM_SIZE,
            seg.size);
    require(t, seg.mode == 0600,
            "segment %d should have mode 0600 (only its owner may attach), but it has %04o: the "
            "umask does not apply to System V segments",
            id, (unsigned)seg.mode);
    require(t, seg.creator == client->pid,
            "segment %d should be created by the client (pid %d), but pid %d created it", id,
            (int)client->pid, (int)seg.creator);
    require(t, seg.key == IPC_PRIVATE,
            "segment %d should be private (IPC_PRIVATE), but has key %#x", id, (unsigned)seg.key);
    require(t, seg.attaches == 1,
            "while the client waits, it alone should be attached to segment %d, but %lu processes "
            "are",
            id, seg.attaches);
}

static void client_sees_200(struct test_ctx *t)
{
    struct session s = client_waiting(t);
    int found = exchange_segment_int(t, s.id, 200); /* the grader plays the server */
    require(t, found == 100,
            "while the client waits, its segment should hold 100, but the grader found %d", found);
    press_enter(t, s.client, 200);
}

static void server_sees_100(struct test_ctx *t)
{
    volatile int *mem;
    int id = make_segment(t, SHM_SIZE, 100, &mem); /* the grader plays the client */
    expect_run(t, ARGS("server", id_arg(t, id)), EXIT(0), STDOUT_HAS(SERVER_FOUND, SERVER_CHANGED));
    require(t, *mem == 200, "after the server ended, segment %d should hold 200, but it holds %d",
            id, *mem);
}

static void server_detaches(struct test_ctx *t)
{
    volatile int *mem;
    int id = make_segment(t, SHM_SIZE, 100, &mem);
    expect_run(t, ARGS("server", id_arg(t, id)), EXIT(0));
    require(t, *mem == 200, "the server should store 200 in segment %d, but it holds %d", id, *mem);
    require(t, segment_attaches(id) == 1,
            "after the server ended, only the grader should still be attached to segment %d, but "
            "%ld processes are",
            id, segment_attaches(id));
}

static void together(struct test_ctx *t)
{
    struct session s = client_waiting(t);
    expect_run(t, ARGS("server", id_arg(t, s.id)), EXIT(0),
               STDOUT_HAS(SERVER_FOUND, SERVER_CHANGED));
    press_enter(t, s.client, 200);
}

static void client_removes(struct test_ctx *t)
{
    struct session s = client_waiting(t);
    press_enter(t, s.client, 100);
    expect_ends_cleaned_up(t, s, "after Enter", "");
}

static void usage(struct test_ctx *t)
{
    struct bait bait = make_bait(t);
    expect_run(t, ARGS("server"), USAGE);
    expect_server_refuses(t, bait, id_arg(t, bait.id), "extra",
                          "a command line the server refuses must touch nothing");
    struct proc *client = expect_run(t, ARGS("client", "extra"), USAGE);
    expect_no_segment_made_by(t, client, "after `client extra`, a usage error");
}

static void not_a_number(struct test_ctx *t)
{
    struct bait bait = make_bait(t);
    const char *digits_then_more[] = {textf(t, "%dabc", bait.id), textf(t, "%d ", bait.id)};
    const char *ids[] = {"abc", "", digits_then_more[0], digits_then_more[1], "-1", "99999999999"};
    size_t first = 0;

    /* atoi("abc") is 0. Without an IPC namespace of the test's own, a
     * segment 0 may be somebody else's, which a broken server would write
     * into: then the arguments without digits are not tried. */
    if (bait.id != 0 && segment_exists(0)) {
        note(t, "  (there is a segment 0 that is not the grader's: 'abc' and '' were not tried)");
        first = 2;
    }
    for (size_t i = first; i < ARRAY_LEN(ids); i++)
        expect_server_refuses(t, bait, ids[i], NULL,
                              "that is not a whole number, but sscanf(\"%d\") and atoi() take its "
                              "leading digits, or 0 when there are none, and ignore the rest");
}

static void no_such_segment(struct test_ctx *t)
{
    volatile int *mem;
    int id = make_segment(t, SHM_SIZE, 0, &mem);
    remove_segment(t, id); /* its id is now one that no segment has */
    expect_run(t, ARGS("server", id_arg(t, id)), EXIT(1), NO_STDOUT, ERROR(NULL, EINVAL));
}

static void eof_removes(struct test_ctx *t)
{
    /* No input at all: the client finds its stdin closed when it waits. */
    struct session s = {.client = start(t, ARGS("client"))};
    s.id = (int)await_number(t, s.client, ID_LINE);
    expect_ends_cleaned_up(t, s, "at the end of its input (as after Ctrl-D)",
                           "end of input counts as Enter: does it wait for a '\\n' that never "
                           "comes?");
}

static void signal_removes(struct test_ctx *t, int sig)
{
    struct session s = client_waiting(t);
    send_signal(t, s.client, sig);
    expect_ends_cleaned_up(t, s, textf(t, "after %s while it waited", signal_name(sig).text),
                           "is the wait restarted after the handler? SA_RESTART");
}

static void sigterm_removes(struct test_ctx *t)
{
    signal_removes(t, SIGTERM);
}

static void sigint_removes(struct test_ctx *t)
{
    signal_removes(t, SIGINT);
}

static const struct lab_test tests[] = {
    {.id = "segment",
     .clauses = "C1 C2",
     .points = 15,
     .run = segment_is_private,
     .title = "The id the client prints is its own private segment: 4096 bytes, mode 0600, "
              "attached once",
     .hint = "Steps 1 and 2: a private key, the size and mode of the contract (System V ignores "
             "the umask), and stdout flushed after the prompt."},
    {.id = "client-sees-200",
     .clauses = "C2 C3",
     .points = 10,
     .run = client_sees_200,
     .title = "The client stores 100 before its prompt, and after Enter prints mem is now 200",
     .hint = "Steps 1 to 3: the prompt says \"go\", so store first; after Enter, read the segment "
             "again: the server changed it."},
    {.id = "server-sees-100",
     .clauses = "C8",
     .points = 15,
     .run = server_sees_100,
     .title = "The server prints the 100 it finds and stores 200",
     .hint = "Step 6: attach by the id you were given, check the result against shmat's failure "
             "value (not NULL), then print, store, print, detach."},
    {.id = "server-detaches",
     .clauses = "C8",
     .points = 5,
     .run = server_detaches,
     .title = "After the server ends, it is no longer attached",
     .hint = "Step 6: detach once the server is done, and end: stay attached in no child."},
    {.id = "together",
     .clauses = "C2 C3 C8",
     .points = 10,
     .run = together,
     .title = "Client and server together: the session of the handout, line for line",
     .hint = "Run the sample session of the handout by hand, in two terminals."},
    {.id = "client-removes",
     .clauses = "C3 C6",
     .points = 10,
     .run = client_removes,
     .title = "The client removes its segment (IPC_RMID) before it exits",
     .hint = "Step 3 and Background 3-4: detaching does not free a segment; marking it for "
             "removal does."},
    {.id = "usage",
     .clauses = "C10",
     .points = 5,
     .run = usage,
     .title = "Wrong argument counts print a usage line and exit 2",
     .hint = "Steps 1 and 5: check argc first and call die_usage()."},
    {.id = "not-a-number",
     .clauses = "C7 C10",
     .points = 10,
     .run = not_a_number,
     .title = "The server refuses ids that are not whole numbers (abc, 12abc, -1) with exit 2, "
              "touching nothing",
     .hint = "Step 5: parse_long() in shmlab.h checks the whole argument and its range; sscanf and "
             "atoi check neither."},
    {.id = "no-such-segment",
     .clauses = "C9 C11",
     .points = 5,
     .run = no_such_segment,
     .title = "The server on an id that is no segment fails cleanly: exit 1, the call's error",
     .hint = "Step 6: when shmat fails, report it with die_errno(): never go on to use the "
             "pointer."},
    {.id = "eof-removes",
     .clauses = "C4 C6",
     .points = 5,
     .run = eof_removes,
     .title = "The client removes its segment when its input ends early (Ctrl-D)",
     .hint = "Step 2: end of input counts as Enter: a loop waiting for '\\n' must stop at EOF "
             "too."},
    {.id = "sigterm-removes",
     .clauses = "C5 C6",
     .points = 5,
     .run = sigterm_removes,
     .title = "The client removes its segment when it gets SIGTERM while waiting",
     .hint = "Step 4: catch SIGTERM with sigaction, without SA_RESTART, and remove the segment "
             "before ending."},
    {.id = "sigint-removes",
     .clauses = "C5 C6",
     .points = 5,
     .run = sigint_removes,
     .title = "The client removes its segment when it gets SIGINT (Ctrl-C) while waiting",
     .hint = "Step 4: catch SIGINT the same way as SIGTERM."},
};

static const char *const student_files[] = {"client.c", "server.c", NULL};

static const struct lab lab02 = {
    .id = "02-sysv-client-server",
    .title = "System V shared memory: a client and a server",
    .student_files = student_files,
    .tests = tests,
    .n_tests = ARRAY_LEN(tests),
};

SHMLAB_REGISTER_LAB(lab02);
