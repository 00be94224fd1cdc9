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
 *
 * The moments the handout names are forced, not hoped for: the client is
 * held (a stop point of the preload library) right after the prompt has
 * reached its stdout, and the segment must hold 100 then; right after
 * shmget made its segment, and right before it starts to wait, a signal
 * comes, and the client must still remove the segment and end. Its shmat
 * is made to fail, and the segment must go too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "harness/harness.h"

#define SHM_SIZE 4096

#define ID_LINE        "^Allocated with shm id ([0-9]+)$"
#define CONTENTS_ZERO  "Attached --> Mem contents 0"
#define PROMPT         "Start other process, then press Enter"
#define SERVER_FOUND   "Attached --> Mem contents 100"
#define SERVER_CHANGED "Changed mem is now 200"

/* A value no program of the lab writes, to see whether one wrote. */
#define BAIT_VALUE 4242

/* Longer than any buffer a client or server is likely to read into. */
#define LONG_TEXT 10000

/* A client waiting for Enter, and the id of the segment it printed. */
struct session {
    struct proc *client;
    int id;
};

/* Start the client and follow it up to its prompt, and until it waits:
 * from then on it waits for Enter, with 100 stored in the segment whose
 * id it printed (whether it stored 100 before the prompt is for
 * client-sees-200 to see). */
static struct session client_waiting(struct test_ctx *t)
{
    struct session s = {.client = start(t, ARGS("client"), KEEP_STDIN)};
    s.id = (int)await_number(t, s.client, ID_LINE);
    await_line(t, s.client, "^" PROMPT "$");
    wait_blocked(t, s.client);
    return s;
}

/* The three lines a client prints up to its prompt, with its id ID. */
static const char *client_lines(struct test_ctx *t, int id)
{
    return textf(t, "Allocated with shm id %d\n%s\n%s\n", id, CONTENTS_ZERO, PROMPT);
}

/* Press Enter: the client prints what the segment holds and exits 0. */
static void press_enter(struct test_ctx *t, struct proc *client, int expected)
{
    send_line(t, client, "");
    expect_next_line(t, client, textf(t, "mem is now %d", expected));
    expect_end(t, client, EXIT(0));
}

struct stop_watch {
    struct proc *p;
    const char *line; /* what it prints before it waits */
};

/* P stopped at its stop point, ended, or asleep having printed its line
 * (it waited without passing the stop point). */
static bool stopped_or_waiting(void *arg)
{
    struct stop_watch *w = arg;
    const struct capture *out = &w->p->out;

    return has_stopped(w->p) || has_ended(w->p) ||
           (is_blocked(w->p) && memmem(out->head, out->head_len, w->line, strlen(w->line)) != NULL);
}

/*
 * Wait until CLIENT, started with a stop point, is held there (true), or
 * waits having printed LINE without getting there (false: it printed or
 * waited through calls the preload library does not see, so the moment
 * cannot be forced, and the test goes on with the client waiting, as it
 * would by hand). An end first fails the test.
 */
static bool held_at_stop(struct test_ctx *t, struct proc *client, const char *line)
{
    struct stop_watch w = {client, line};

    if (!wait_for(t, stopped_or_waiting, &w, 0,
                  textf(t, "for `%s` to reach the moment the test holds it at", client->command)))
        fail_about(t, client, "`%s` should print \"%s\" and wait for Enter, but it did not",
                   client->command, line);
    if (has_stopped(client))
        return true;
    if (has_ended(client))
        fail_about(t, client, "`%s` should wait for Enter, but it %s", client->command,
                   proc_describe_end(client).text);
    note(t,
         "  (`%s` waited without passing the point the test holds it at: the test went on "
         "with it waiting)",
         client->command);
    return false;
}

static bool ended_or_stopped(void *arg)
{
    struct proc *p = arg;
    return has_ended(p) || has_stopped(p);
}

/* Wait up to the step time for P to end, letting it go on whenever it
 * stops at its stop point: true if it ended. */
static bool wait_end_resuming(struct test_ctx *t, struct proc *p)
{
    while (wait_for(t, ended_or_stopped, p, 0, textf(t, "for `%s` to end", p->command))) {
        if (has_ended(p))
            return true;
        resume(t, p);
    }
    return false;
}

/* After WHAT, CLIENT ends by itself, and no segment it made is left (ID
 * among them, if it is not -1). SUSPECT says what to look at if it never
 * ends. */
static void expect_ends_cleaned_up(struct test_ctx *t, struct proc *client, int id,
                                   const char *what, const char *suspect)
{
    if (!wait_end_resuming(t, client))
        fail_about(t, client,
                   "%s, the client should remove its segment and end, but it is still running "
                   "%.1f s later (%s)",
                   what, scaled_timeout_ms(DEFAULT_STEP_TIMEOUT_MS) / 1000.0, suspect);
    const char *after = textf(t, "%s and the client %s", what, proc_describe_end(client).text);
    if (id != -1)
        expect_no_segment(t, id, after, "IPC_RMID: else it stays until the machine reboots");
    expect_no_segment_made_by(t, client, after);
}

static const char *id_arg(struct test_ctx *t, int id)
{
    return learnt_number_arg(t, id);
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

/*
 * The prompt says "go": the client is held right after its third line,
 * the prompt, has reached its stdout, and the grader, playing the server,
 * must find 100 in the segment then. A client that stores 100 after
 * printing the prompt is caught on every run, not only when a server
 * happens to be quicker than its store.
 */
static void client_sees_200(struct test_ctx *t)
{
    struct session s = {.client =
                            start(t, ARGS("client"), KEEP_STDIN, STOP_AFTER("stdout-line:3"))};
    s.id = (int)await_number(t, s.client, ID_LINE);
    bool held = held_at_stop(t, s.client, PROMPT);
    await_line(t, s.client, "^" PROMPT "$");
    int found = exchange_segment_int(t, s.id, 200); /* the grader plays the server */
    if (found != 100)
        fail_about(t, s.client,
                   "when the prompt had reached the client's stdout%s, its segment should hold "
                   "100, but the grader found %d there: the prompt tells the server to go, so "
                   "store 100 before printing it",
                   held ? " (the grader held the client right there)" : "", found);
    if (held)
        resume(t, s.client);
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

/* The line "mem is now N" in what P printed, with its newline, or ""
 * if there is none. */
static const char *value_line(struct test_ctx *t, const struct proc *p)
{
    const struct capture *out = &p->out;
    const char *prefix = "mem is now ";

    for (const char *line = out->head, *end = out->head + out->head_len; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (len >= strlen(prefix) && memcmp(line, prefix, strlen(prefix)) == 0)
            return textf(t, "%.*s\n", (int)len, line);
        line += len + 1;
    }
    return "";
}

/*
 * stdout carries the handout's lines and nothing else: the server's two
 * (on a segment of the grader's), the client's four after Enter, its
 * three when SIGTERM ends it while it waits. What the lines say is for
 * the other tests: the client's "mem is now N" is taken as it printed it,
 * and a client that does not end on SIGTERM is killed and judged on what
 * it printed.
 */
static void only_these_lines(struct test_ctx *t)
{
    volatile int *mem;
    int id = make_segment(t, SHM_SIZE, 100, &mem);
    struct session s;

    expect_run(t, ARGS("server", id_arg(t, id)), STDOUT(SERVER_FOUND "\n" SERVER_CHANGED "\n"));
    s = client_waiting(t);
    send_line(t, s.client, "");
    if (wait_end(t, s.client, 0))
        expect_end(t, s.client,
                   STDOUT(textf(t, "%s%s", client_lines(t, s.id), value_line(t, s.client))));
    s = client_waiting(t);
    send_signal(t, s.client, SIGTERM);
    note(t, "sent SIGTERM to `%s` while it waited for Enter", s.client->command);
    if (!wait_end(t, s.client, 0)) {
        note(t, "  (it did not end: the grader killed it)");
        send_signal(t, s.client, SIGKILL);
    }
    expect_end(t, s.client, STDOUT(client_lines(t, s.id)));
}

static void client_removes(struct test_ctx *t)
{
    struct session s = client_waiting(t);
    press_enter(t, s.client, 100);
    expect_ends_cleaned_up(t, s.client, s.id, "after Enter", "");
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

/* The client's shmat fails (the grader makes it: ENOMEM, as when the
 * kernel cannot map it): the segment shmget made must go too. */
static void attach_fails(struct test_ctx *t)
{
    struct proc *client = start(t, ARGS("client"), FAIL_CALL("shmat", ENOMEM));
    const char *when = "after its shmat failed (the grader made it fail with ENOMEM)";

    if (!wait_end(t, client, 0))
        fail_about(t, client,
                   "%s, the client should remove its segment and exit 1, but it is "
                   "still running",
                   when);
    expect_no_segment_made_by(
        t, client, textf(t, "%s and the client %s", when, proc_describe_end(client).text));
    expect_end(t, client, EXIT(1), ERROR("shmat", ENOMEM));
}

/* End of input counts as Enter: with no input at all, and when stdin is
 * closed while the client waits (Ctrl-D), it prints the value, removes
 * the segment and exits 0. */
static void end_of_input(struct test_ctx *t)
{
    struct session s = {.client = start(t, ARGS("client"))};
    const char *suspect = "does it wait for a '\\n' that never comes?";

    s.id = (int)await_number(t, s.client, ID_LINE);
    note(t, "`%s` ran with no input at all", s.client->command);
    expect_next_line(t, s.client, CONTENTS_ZERO);
    expect_next_line(t, s.client, PROMPT);
    expect_next_line(t, s.client, "mem is now 100");
    expect_ends_cleaned_up(t, s.client, s.id, "at the end of its input", suspect);
    expect_end(t, s.client, EXIT(0));

    s = client_waiting(t);
    exchange_segment_int(t, s.id, 200);
    close_stdin(t, s.client);
    note(t, "the grader stored 200, then closed the stdin of `%s` (Ctrl-D) while it waited",
         s.client->command);
    expect_next_line(t, s.client, "mem is now 200");
    expect_ends_cleaned_up(t, s.client, s.id, "at the end of its input", suspect);
    expect_end(t, s.client, EXIT(0));
}

static void signal_removes(struct test_ctx *t, int sig)
{
    struct session s = client_waiting(t);
    send_signal(t, s.client, sig);
    expect_ends_cleaned_up(t, s.client, s.id,
                           textf(t, "after %s while it waited", signal_name(sig).text),
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

/* SIGTERM the moment the segment exists: the client is held right after
 * its shmget, gets the signal, and goes on. Its handlers must be there
 * already, and it must notice the flag before it waits. */
static void signal_during_setup(struct test_ctx *t)
{
    struct proc *client = start(t, ARGS("client"), KEEP_STDIN, STOP_AFTER("shmget"));

    wait_stopped(t, client);
    send_signal(t, client, SIGTERM);
    note(t, "held `%s` right after its shmget, sent SIGTERM, then let it go on", client->command);
    resume(t, client);
    expect_ends_cleaned_up(t, client, -1, "after SIGTERM right after shmget made the segment",
                           "a signal before the wait is caught, but is it looked at before the "
                           "client starts to wait?");
}

/* SIGINT right before the wait: the client is held before the call it
 * waits with (fgets, read, poll, pselect...). Checking a flag and then
 * calling read() loses it: read() then waits for Enter regardless. */
static void signal_before_wait(struct test_ctx *t)
{
    struct proc *client = start(t, ARGS("client"), KEEP_STDIN, STOP_BEFORE("wait"));
    bool held = held_at_stop(t, client, PROMPT);

    send_signal(t, client, SIGINT);
    if (held) {
        note(t, "held `%s` right before the call it waits with, sent SIGINT, then let it go on",
             client->command);
        resume(t, client);
    }
    expect_ends_cleaned_up(t, client, -1, "after SIGINT right before the client started to wait",
                           "a flag set by the handler and then looked at before read() leaves a "
                           "window: the handler runs, then read() waits anyway. Keep the "
                           "signals blocked and wait with pselect(), which unblocks them and "
                           "waits in one step");
}

/*
 * The sanitizer build: no memory error, undefined behaviour or leak with
 * long texts: a server given an argument of LONG_TEXT characters (a usage
 * error), a server on a segment of the grader's, and a client whose Enter
 * is a line of LONG_TEXT characters (its input is there from the start,
 * so the test waits for none of its lines). How the servers end is for
 * the other tests (this one needs server-sees-100); the client must run
 * through to exit 0, so a client that does nothing scores 0 here too.
 */
static void memory_safety(struct test_ctx *t)
{
    const char *text = textf(t, "%0*d", LONG_TEXT, 0);
    volatile int *mem;
    int id = make_segment(t, SHM_SIZE, 100, &mem);

    expect_end(t, start(t, ARGS("server", textf(t, "%sx", text))));
    expect_end(t, start(t, ARGS("server", id_arg(t, id))));
    expect_run(t, ARGS("client"), STDIN(textf(t, "%s\n", text)), EXIT(0));
}

static const struct lab_test tests[] = {
    {.id = "segment",
     .clauses = "C1 C2",
     .points = 10,
     .run = segment_is_private,
     .title = "The id the client prints is its own private segment: 4096 bytes, mode 0600, "
              "attached once",
     .hint = "Steps 1 and 2: a private key, the size and mode of the contract (System V ignores "
             "the umask), and stdout flushed after the prompt."},
    {.id = "client-sees-200",
     .clauses = "C2 C3",
     .points = 10,
     .run = client_sees_200,
     .title = "The segment holds 100 the moment the prompt reaches stdout, and after Enter the "
              "client prints mem is now 200",
     .hint = "Steps 1 to 3: the prompt says \"go\", so store 100 first, then print the prompt; "
             "after Enter, read the segment again: the server changed it."},
    {.id = "server-sees-100",
     .clauses = "C8",
     .points = 10,
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
     .points = 5,
     .run = together,
     .title = "Client and server together: the session of the handout, line for line",
     .hint = "Run the sample session of the handout by hand, in two terminals."},
    {.id = "only-these-lines",
     .clauses = "C12",
     .points = 5,
     .run = only_these_lines,
     .title = "stdout carries the handout's lines and nothing else (the client's four, three "
              "when a signal ends it; the server's two)",
     .hint = "Anything you print for yourself (progress, \"segment removed\", \"caught "
             "signal\") goes to stderr: fprintf(stderr, ...)."},
    {.id = "client-removes",
     .clauses = "C3 C6",
     .points = 5,
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
     .points = 5,
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
    {.id = "attach-fails",
     .clauses = "C6 C11",
     .points = 5,
     .run = attach_fails,
     .title = "When the client's shmat fails, it removes the segment it made, then exits 1 "
              "naming the call",
     .hint = "Step 1: once the segment exists, every way out removes it, a failed call too: "
             "shmctl(id, IPC_RMID, NULL), then die_errno(\"shmat\") (keep errno for it)."},
    {.id = "end-of-input",
     .clauses = "C4 C6",
     .points = 5,
     .run = end_of_input,
     .title = "At the end of its input (Ctrl-D, or none at all) the client does what Enter does: "
              "prints mem is now N, removes its segment, exits 0",
     .hint = "Step 2: end of input counts as Enter: a loop waiting for '\\n' must stop at EOF "
             "too, and EOF is no error."},
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
    {.id = "signal-during-setup",
     .clauses = "C5 C6",
     .points = 5,
     .run = signal_during_setup,
     .title = "A SIGTERM right after shmget made the segment: the client still removes it and "
              "ends",
     .hint = "Step 4: install the handlers (or block the signals) before shmget, and look at "
             "what the handler recorded before you start to wait."},
    {.id = "signal-before-wait",
     .clauses = "C5 C6",
     .points = 5,
     .run = signal_before_wait,
     .title = "A SIGINT right before the client starts to wait: it still removes its segment "
              "and ends",
     .hint = "Step 4, the race: \"check the flag, then read()\" loses a signal that lands "
             "between the two. Keep SIGINT and SIGTERM blocked and wait with pselect() (or "
             "signalfd, or a self-pipe)."},
    {.id = "memory-safety",
     .needs = "server-sees-100",
     .clauses = "C13",
     .points = 5,
     .run = memory_safety,
     .build = BUILD_SANITIZE,
     .title = "No memory error, undefined behaviour or leak (AddressSanitizer, UBSan) with a "
              "10000-character line as Enter and as the server's argument",
     .hint = "Run `make VARIANT=sanitize`, then the client, and paste a very long line as "
             "Enter (and give the server a very long argument): the sanitizer names the line. "
             "How big is the buffer you read into, and is what you allocate freed?"},
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
