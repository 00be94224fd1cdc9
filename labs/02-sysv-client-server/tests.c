/*
 * Lab 02 - System V shared memory, a client and a server: the graded
 * promises of README.md.
 *
 * The client is interactive: the tests follow it line by line (its id
 * line, then its prompt) and only then act, so nothing depends on timing.
 * Where a promise is about one program, the grader plays the other one
 * itself (it attaches to the client's segment, or makes a segment for the
 * server), so a broken client never costs the server's points, and back.
 *
 * IPC_PRIVATE segments have no key to sweep by: every test ends by killing
 * what it started and removing each segment that one of its processes, or
 * the grader itself, made (finish()). The harness's own sweep after the
 * test then finds nothing, and lists nothing as left behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "harness/harness.h"

#define SHM_SIZE 4096
#define STEP_MS  DEFAULT_STEP_TIMEOUT_MS
/* Long enough that a test always ends by itself, failed steps included,
 * and so always reaches its clean-up. */
#define TEST_TIMEOUT_MS 120000

#define ID_PATTERN     "^Allocated with shm id [0-9]+$"
#define CONTENTS_ZERO  "Attached --> Mem contents 0"
#define PROMPT         "Start other process, then press Enter"
#define SERVER_FOUND   "Attached --> Mem contents 100"
#define SERVER_CHANGED "Changed mem is now 200"

/* A value no program of the lab writes, to see whether one wrote. */
#define BAIT_VALUE 4242

/* What this test started and made; each test runs in a process of its
 * own, so these start empty every time. */
static struct proc *started[32];
static size_t n_started;
static struct {
    int id;
    void *at; /* where the grader attached it, or NULL */
} grader_segments[8];
static size_t n_grader_segments;

/* --- processes and clean-up ---------------------------------------------- */

static void track(struct test_ctx *t, struct proc *p)
{
    require(t, n_started < ARRAY_LEN(started), "internal: the test started too many programs");
    started[n_started++] = p;
}

static struct proc *start(struct test_ctx *t, const char *const argv[],
                          const struct proc_opts *opts)
{
    struct proc *p = spawn(t, argv, opts);
    track(t, p);
    return p;
}

/* run(), and remember the process for finish(). */
static struct proc *run_to_end(struct test_ctx *t, const char *const argv[])
{
    struct proc *p = run(t, argv, NULL);
    track(t, p);
    return p;
}

static bool started_by_test(pid_t pid)
{
    for (size_t i = 0; i < n_started; i++)
        if (started[i]->pid == pid)
            return true;
    return false;
}

/* Segments still there that a program of this test created. */
static size_t count_left_by(pid_t pid, int *first_id)
{
    struct ipc_snapshot snap;
    size_t n = 0;

    if (ipc_snapshot_take(&snap) < 0)
        return 0;
    for (size_t i = 0; i < snap.n; i++) {
        const struct ipc_object *obj = &snap.objects[i];
        if (obj->kind == IPC_KIND_SYSV_SHM && obj->creator == pid) {
            if (n++ == 0 && first_id != NULL)
                *first_id = obj->id;
        }
    }
    ipc_snapshot_free(&snap);
    return n;
}

/* Kill what the test started, then remove every segment it left. */
static void finish(void)
{
    struct ipc_snapshot snap;

    for (size_t i = 0; i < n_started; i++)
        proc_kill(started[i], SIGKILL);
    if (ipc_snapshot_take(&snap) == 0) {
        for (size_t i = 0; i < snap.n; i++) {
            const struct ipc_object *obj = &snap.objects[i];
            if (obj->kind == IPC_KIND_SYSV_SHM && started_by_test(obj->creator))
                ipc_object_remove(obj);
        }
        ipc_snapshot_free(&snap);
    }
    /* Detach first: a segment goes only when nobody is attached. */
    for (size_t i = 0; i < n_grader_segments; i++) {
        if (grader_segments[i].at != NULL)
            shmdt(grader_segments[i].at);
        shmctl(grader_segments[i].id, IPC_RMID, NULL);
    }
}

/* A graded test: its body, then finish() whatever the body did. */
#define LAB_TEST(name)                                                                             \
    static void name##_body(struct test_ctx *t);                                                   \
    static void name(struct test_ctx *t)                                                           \
    {                                                                                              \
        name##_body(t);                                                                            \
        finish();                                                                                  \
    }                                                                                              \
    static void name##_body(struct test_ctx *t)

/* --- what the grader sees --------------------------------------------------- */

static bool printed_line(const struct proc *p, const char *line)
{
    char buf[8192];
    for (size_t i = 0; capture_line(&p->out, i, buf, sizeof(buf)); i++)
        if (strcmp(buf, line) == 0)
            return true;
    return false;
}

/* The id in an "Allocated with shm id ID" line anywhere in P's output. */
static bool printed_id(const struct proc *p, int *id)
{
    static const char prefix[] = "Allocated with shm id ";
    char buf[8192], *end;
    long value;

    for (size_t i = 0; capture_line(&p->out, i, buf, sizeof(buf)); i++) {
        if (strncmp(buf, prefix, strlen(prefix)) != 0)
            continue;
        errno = 0;
        value = strtol(buf + strlen(prefix), &end, 10);
        if (errno == 0 && *end == '\0' && end != buf + strlen(prefix) && value >= 0 &&
            value <= INT_MAX) {
            *id = (int)value;
            return true;
        }
    }
    return false;
}

/* Is segment ID gone? (IPC_STAT fails once the last process detached from
 * a segment marked for removal.) */
static bool segment_gone(int id)
{
    struct ipc_object obj;
    return !sysv_shm_stat(id, &obj);
}

/*
 * A client that stays silent on a pipe has almost always forgotten
 * fflush: say so, since from a terminal the same program looks fine.
 */
static void explain_silence(struct test_ctx *t, const struct proc *p)
{
    if (p->state != PROC_RUNNING)
        return;
    if (p->out.total == 0)
        note(t, "  The client is running but nothing it printed reached the grader. Its stdout is "
                "a pipe here, not a terminal, so printf output waits in a buffer: call "
                "fflush(stdout) after the prompt, before waiting for Enter.");
    else if (p->out.head_len > 0 && p->out.head[p->out.head_len - 1] != '\n')
        note(t,
             "  The client's last output does not end with a newline: the prompt is a whole "
             "line, \"%s\" and a newline.",
             PROMPT);
}

/* --- the client, waiting for Enter ----------------------------------------- */

struct session {
    struct proc *client;
    int id;
};

/* Start the client and follow it up to its prompt: from then on it waits,
 * with 100 stored in the segment whose id it printed. */
static bool client_waiting(struct test_ctx *t, struct session *s)
{
    static const struct proc_opts keep_stdin = {.keep_stdin_open = true};
    char line[256];

    s->id = -1;
    s->client = start(t, (const char *const[]){"client", NULL}, &keep_stdin);
    if (!expect_line_soon(t, s->client, ID_PATTERN, STEP_MS, line, sizeof(line)) ||
        !printed_id(s->client, &s->id)) {
        explain_silence(t, s->client);
        return false;
    }
    if (!expect_line_soon(t, s->client, "^" PROMPT "$", STEP_MS, NULL, 0)) {
        explain_silence(t, s->client);
        return false;
    }
    return true;
}

/* Press Enter; the client prints "mem is now N" and exits 0. */
static bool client_finishes(struct test_ctx *t, struct session *s, int expected)
{
    char wanted[64], line[256];

    check(t, proc_write_line(s->client, ""), "the client closed its stdin instead of waiting");
    snprintf(wanted, sizeof(wanted), "mem is now %d", expected);
    if (!expect_line_soon(t, s->client, "^mem is now ", STEP_MS, line, sizeof(line)))
        return false;
    if (!check(t, strcmp(line, wanted) == 0,
               "after Enter the client should print \"%s\", but it printed \"%s\"", wanted, line))
        return false;
    return expect_exit(t, s->client, 0);
}

/* After the client ended: its segment, and any other it made, is gone. */
static void expect_client_cleaned_up(struct test_ctx *t, const struct session *s, const char *after)
{
    int other = -1;
    size_t left;

    if (!check(t, segment_gone(s->id),
               "%s, segment %d should be gone (IPC_RMID), but it is still there: it would stay "
               "until the machine reboots",
               after, s->id))
        return;
    left = count_left_by(s->client->pid, &other);
    check(t, left == 0, "%s, %zu segment(s) the client created are still there (first: id %d)",
          after, left, other);
}

/* --- segments the grader makes for the server ---------------------------- */

/*
 * A private segment holding VALUE, attached by the grader at *MEM, and
 * owned by the user the student's programs run as (the grader may give
 * them a user of their own): to the server it is like a client's segment.
 */
static int grader_segment(struct test_ctx *t, int value, volatile int **mem)
{
    struct shmid_ds ds;
    int id;
    void *at;

    require(t, n_grader_segments < ARRAY_LEN(grader_segments), "internal: too many segments");
    id = shmget(IPC_PRIVATE, SHM_SIZE, IPC_CREAT | 0600);
    require(t, id != -1, "internal: the grader's shmget failed: %s", strerror(errno));
    grader_segments[n_grader_segments].id = id;
    grader_segments[n_grader_segments].at = NULL;
    n_grader_segments++;
    require(t, shmctl(id, IPC_STAT, &ds) == 0, "internal: IPC_STAT: %s", strerror(errno));
    ds.shm_perm.uid = student_uid();
    ds.shm_perm.gid = student_uid();
    require(t, shmctl(id, IPC_SET, &ds) == 0, "internal: IPC_SET: %s", strerror(errno));
    at = shmat(id, NULL, 0);
    require(t, at != (void *)-1, "internal: the grader's shmat failed: %s", strerror(errno));
    grader_segments[n_grader_segments - 1].at = at;
    *mem = at;
    **mem = value;
    return id;
}

/* Detach the grader from its segment ID, which stays. */
static bool grader_detach(int id)
{
    for (size_t i = 0; i < n_grader_segments; i++) {
        if (grader_segments[i].id == id && grader_segments[i].at != NULL) {
            void *at = grader_segments[i].at;
            grader_segments[i].at = NULL;
            return shmdt(at) == 0;
        }
    }
    return false;
}

/* How many processes are attached to segment ID; -1 if it is gone. */
static long attach_count(int id)
{
    struct ipc_object obj;
    return sysv_shm_stat(id, &obj) ? (long)obj.attaches : -1;
}

static const char *id_text(int id)
{
    static char text[8][32];
    static unsigned next;
    char *s = text[next++ % ARRAY_LEN(text)];

    snprintf(s, sizeof(text[0]), "%d", id);
    return s;
}

/* --- the tests ----------------------------------------------------------------- */

LAB_TEST(segment_is_private)
{
    struct session s;
    struct ipc_object seg;

    if (!client_waiting(t, &s))
        return;
    if (!check(t, sysv_shm_stat(s.id, &seg),
               "while the client waits, %d (the id it printed) should be a System V segment, but "
               "IPC_STAT on it fails: %s",
               s.id, strerror(errno)))
        return;
    check(t, seg.creator == s.client->pid,
          "segment %d should be created by the client (pid %d), but pid %d created it", s.id,
          (int)s.client->pid, (int)seg.creator);
    check(t, seg.key == IPC_PRIVATE,
          "segment %d should be private (shmget(IPC_PRIVATE, ...)), but it has key 0x%08x", s.id,
          (unsigned)seg.key);
    check(t, seg.size == SHM_SIZE, "segment %d should be %d bytes, but it is %zu", s.id, SHM_SIZE,
          seg.size);
    check(t, seg.mode == 0600,
          "segment %d should have mode 0600 (only its owner may attach), but it has %04o: the "
          "umask does not apply to System V segments",
          s.id, (unsigned)seg.mode);
    check(t, seg.attaches == 1,
          "while the client waits, it alone should be attached to segment %d, but %lu processes "
          "are",
          s.id, seg.attaches);
    check(t, printed_line(s.client, CONTENTS_ZERO),
          "before storing 100, the client should print what a new segment holds: \"%s\"",
          CONTENTS_ZERO);
}

LAB_TEST(client_sees_200)
{
    struct session s;
    volatile int *mem;
    void *at;
    int found;

    if (!client_waiting(t, &s))
        return;
    /* The grader plays the server. */
    at = shmat(s.id, NULL, 0);
    if (!check(t, at != (void *)-1, "the grader cannot attach to segment %d, the client's: %s",
               s.id, strerror(errno)))
        return;
    mem = at;
    found = *mem;
    *mem = 200;
    shmdt(at);
    if (!check(t, found == 100,
               "while the client waits, its segment should hold 100, but the grader found %d",
               found))
        return;
    client_finishes(t, &s, 200);
}

LAB_TEST(server_sees_100)
{
    volatile int *mem;
    int id = grader_segment(t, 100, &mem);
    struct proc *server = run_to_end(t, (const char *const[]){"server", id_text(id), NULL});

    if (expect_exit(t, server, 0) && expect_stdout_line(t, server, SERVER_FOUND) &&
        expect_stdout_line(t, server, SERVER_CHANGED))
        check(t, *mem == 200, "after the server ended, segment %d should hold 200, but it holds %d",
              id, *mem);
}

LAB_TEST(server_detaches)
{
    volatile int *mem;
    int id = grader_segment(t, 100, &mem);
    struct proc *server = run_to_end(t, (const char *const[]){"server", id_text(id), NULL});
    long attached;

    if (!expect_exit(t, server, 0))
        return;
    if (!check(t, *mem == 200, "the server should store 200 in segment %d, but it holds %d", id,
               *mem))
        return;
    attached = attach_count(id);
    check(t, attached == 1,
          "after the server ended, only the grader should still be attached to segment %d, but "
          "%ld processes are",
          id, attached);
}

LAB_TEST(together)
{
    struct session s;
    struct proc *server;

    if (!client_waiting(t, &s))
        return;
    server = run_to_end(t, (const char *const[]){"server", id_text(s.id), NULL});
    if (expect_exit(t, server, 0) && expect_stdout_line(t, server, SERVER_FOUND) &&
        expect_stdout_line(t, server, SERVER_CHANGED))
        client_finishes(t, &s, 200);
}

LAB_TEST(client_removes)
{
    struct session s;

    if (!client_waiting(t, &s))
        return;
    if (client_finishes(t, &s, 100))
        expect_client_cleaned_up(t, &s, "after the client exited");
}

/* ARGV gets a usage message on stderr, exit status 2 and no output. */
static struct proc *expect_usage_error(struct test_ctx *t, const char *const argv[])
{
    struct proc *p = start(t, argv, NULL);
    if (expect_exit(t, p, 2) && expect_one_stderr_line(t, p))
        expect_stdout_empty(t, p);
    return p;
}

/* The grader's bait segment still holds its value, and only the grader is
 * attached, after P. A changed value is put back, so that each program
 * run is judged on its own. */
static bool bait_untouched(struct test_ctx *t, int id, volatile int *mem, const struct proc *p,
                           const char *why)
{
    int value = *mem;
    long attached = attach_count(id);

    *mem = BAIT_VALUE;
    if (!check(t, value == BAIT_VALUE, "`%s` changed segment %d (it held %d, then %d): %s",
               p->command, id, BAIT_VALUE, value, why))
        return false;
    return check(t, attached == 1, "`%s` left %ld processes attached to segment %d", p->command,
                 attached, id);
}

LAB_TEST(usage)
{
    volatile int *bait;
    int id = grader_segment(t, BAIT_VALUE, &bait);
    struct proc *server, *client;

    expect_usage_error(t, (const char *const[]){"server", NULL});
    server = expect_usage_error(t, (const char *const[]){"server", id_text(id), "extra", NULL});
    bait_untouched(t, id, bait, server, "a command line the server refuses must touch nothing");
    client = expect_usage_error(t, (const char *const[]){"client", "extra", NULL});
    check(t, count_left_by(client->pid, NULL) == 0,
          "`client extra` must create no segment, but it left one behind");
}

LAB_TEST(not_a_number)
{
    volatile int *bait;
    int id = grader_segment(t, BAIT_VALUE, &bait);
    char digits_then_letters[48], digits_then_space[48];
    const char *arguments[] = {"abc", "",           digits_then_letters, digits_then_space,
                               "-1",  "99999999999"};
    struct ipc_object zero;
    bool foreign_zero;

    snprintf(digits_then_letters, sizeof(digits_then_letters), "%dabc", id);
    snprintf(digits_then_space, sizeof(digits_then_space), "%d ", id);
    /* atoi("abc") is 0. Without an IPC namespace of the test's own, a
     * segment 0 may be somebody else's, which a broken server would write
     * into: then the arguments without digits are not tried. */
    foreign_zero = id != 0 && sysv_shm_stat(0, &zero);
    if (foreign_zero)
        note(t, "  (there is a segment 0 that is not the grader's: 'abc' and '' were not tried)");
    for (size_t i = foreign_zero ? 2 : 0; i < ARRAY_LEN(arguments); i++)
        bait_untouched(t, id, bait,
                       expect_usage_error(t, (const char *const[]){"server", arguments[i], NULL}),
                       "that is not a whole number, but sscanf(\"%d\") and atoi() take its leading "
                       "digits, or 0 when there are none, and ignore the rest");
}

LAB_TEST(no_such_segment)
{
    volatile int *mem;
    int id = grader_segment(t, 0, &mem);
    struct proc *server;

    /* Remove it: its id is now one that no segment has. */
    (void)mem;
    require(t, grader_detach(id) && shmctl(id, IPC_RMID, NULL) == 0 && segment_gone(id),
            "internal: the grader could not remove its segment %d: %s", id, strerror(errno));
    server = start(t, (const char *const[]){"server", id_text(id), NULL}, NULL);
    if (expect_exit(t, server, 1) && expect_error_line(t, server, NULL, EINVAL))
        expect_stdout_empty(t, server);
}

LAB_TEST(eof_removes)
{
    struct session s = {.id = -1};

    /* No input at all: the client finds its stdin closed when it waits. */
    s.client = run_to_end(t, (const char *const[]){"client", NULL});
    if (test_failed(t))
        return;
    /* It has ended: this only looks through what it printed. */
    if (!expect_line_soon(t, s.client, ID_PATTERN, 0, NULL, 0) || !printed_id(s.client, &s.id))
        return;
    expect_client_cleaned_up(t, &s, "after the client's input ended and it exited");
}

static void signal_removes(struct test_ctx *t, int sig)
{
    struct session s;
    char after[128];

    if (!client_waiting(t, &s))
        return;
    proc_kill(s.client, sig);
    if (!check(t, proc_wait(s.client, scaled_timeout_ms(STEP_MS)),
               "the client got %s while waiting and should remove its segment and end, but it is "
               "still running after %.1f s (is the wait restarted after the handler? SA_RESTART)",
               signal_name(sig), scaled_timeout_ms(STEP_MS) / 1000.0))
        return;
    snprintf(after, sizeof(after), "after the client got %s while waiting and %s", signal_name(sig),
             proc_describe_end(s.client));
    expect_client_cleaned_up(t, &s, after);
}

LAB_TEST(sigterm_removes)
{
    signal_removes(t, SIGTERM);
}

LAB_TEST(sigint_removes)
{
    signal_removes(t, SIGINT);
}

static const struct lab_test tests[] = {
    {.id = "segment",
     .points = 15,
     .run = segment_is_private,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "The id the client prints is its own private segment: 4096 bytes, mode 0600, "
              "attached once",
     .hint = "Steps 1 and 2: shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600), print the id, shmat, "
             "then print the prompt and fflush(stdout)."},
    {.id = "client-sees-200",
     .points = 10,
     .run = client_sees_200,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "The client stores 100 before its prompt, and after Enter prints mem is now 200",
     .hint = "Steps 1 to 3: store 100 before printing the prompt; after Enter, read *mem again: "
             "the server changed it."},
    {.id = "server-sees-100",
     .points = 15,
     .run = server_sees_100,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "The server prints the 100 it finds and stores 200",
     .hint = "Step 6: shmat(id, NULL, 0), check for (void *) -1, print, store 200, print, shmdt."},
    {.id = "server-detaches",
     .points = 5,
     .run = server_detaches,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "After the server ends, it is no longer attached",
     .hint = "Step 6: shmdt(mem) once the server is done, and end: stay attached in no child."},
    {.id = "together",
     .points = 10,
     .run = together,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "Client and server together: the session of the handout, line for line",
     .hint = "Run the sample session of the handout by hand, in two terminals."},
    {.id = "client-removes",
     .points = 10,
     .run = client_removes,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "The client removes its segment (IPC_RMID) before it exits",
     .hint = "Step 3: segments outlive processes: shmctl(id, IPC_RMID, NULL), then shmdt."},
    {.id = "usage",
     .points = 5,
     .run = usage,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "Wrong argument counts print a usage line and exit 2",
     .hint = "Steps 1 and 5: check argc first and call die_usage()."},
    {.id = "not-a-number",
     .points = 10,
     .run = not_a_number,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "The server refuses ids that are not whole numbers (abc, 12abc, -1) with exit 2, "
              "touching nothing",
     .hint = "Step 5: parse_long(argv[1], 0, INT_MAX, &id) rejects what sscanf and atoi let "
             "through."},
    {.id = "no-such-segment",
     .points = 5,
     .run = no_such_segment,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "The server on an id that is no segment fails cleanly: exit 1, the call's error",
     .hint = "Step 6: if shmat returns (void *) -1, die_errno(\"shmat\"): never go on to use the "
             "pointer."},
    {.id = "eof-removes",
     .points = 5,
     .run = eof_removes,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "The client removes its segment when its input ends early (Ctrl-D)",
     .hint = "Step 2: end of input counts as Enter: a loop waiting for '\\n' must stop at EOF "
             "too."},
    {.id = "sigterm-removes",
     .points = 5,
     .run = sigterm_removes,
     .timeout_ms = TEST_TIMEOUT_MS,
     .title = "The client removes its segment when it gets SIGTERM while waiting",
     .hint = "Step 4: catch SIGTERM without SA_RESTART, and remove the segment before ending."},
    {.id = "sigint-removes",
     .points = 5,
     .run = sigint_removes,
     .timeout_ms = TEST_TIMEOUT_MS,
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
