/*
 * check_leftovers.c - without namespaces, what a test removes after it,
 * and what it blames on the student's programs, is what they made: never
 * an object another root process (an instructor, a daemon) or another
 * grading makes while the test runs.
 *
 * The other party acts while the test runs, past the snapshot the test
 * takes when it starts: the test and the other party hand each other a
 * byte through pipes (events, not sleeps), so the window is there every
 * run. Root only: root's objects, and sandbox users, are what is at stake.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/context.h"
#include "run/runner.h"
#include "sandbox/sandbox.h"
#include "suites.h"

/* Check's deprecated fail() macro would hide the harness's fail(). */
#undef fail

/* What the parties share, in a mapping made before they fork. */
struct shared_state {
    /* The test's name and key, which its programs never use. */
    key_t key;
    char name[128];
    /* What the other party (root) made while the test ran. */
    int sem, shm, msg, sem_at_key;
    char posix[128];
    /* A party's verdict (0: passed), its message and output, and the
     * user its programs ran as. */
    int failed[2];
    uid_t user[2];
    char message[2][1024];
};

static struct shared_state *shared;

/* One pipe per event: [0] is read by whoever waits for it. Root's
 * objects: the test is past its snapshot, root made its objects. Two
 * gradings: B's test is past its snapshot, A made its objects, B ended
 * and cleaned up. */
enum event { TEST_MARKED, OTHER_DONE, B_MARKED, A_MADE, B_DONE, EVENTS };
static int events[EVENTS][2];

static void open_events(void)
{
    shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(shared, MAP_FAILED);
    memset(shared, 0, sizeof(*shared));
    for (int e = 0; e < EVENTS; e++)
        ck_assert_int_eq(pipe2(events[e], O_CLOEXEC), 0);
}

static void close_events(void)
{
    for (int e = 0; e < EVENTS; e++) {
        close(events[e][0]);
        close(events[e][1]);
    }
    munmap(shared, sizeof(*shared));
}

static bool signal_event(enum event e)
{
    char byte = 1;
    return write(events[e][1], &byte, 1) == 1;
}

/* False if every party that could signal E ended without it. */
static bool await_event(enum event e)
{
    char byte;
    ssize_t got;

    while ((got = read(events[e][0], &byte, 1)) < 0 && errno == EINTR)
        ;
    return got == 1;
}

static bool is_root(const char *what)
{
    if (geteuid() == 0)
        return true;
    fprintf(stderr, "leftovers: not root, %s is not tested\n", what);
    return false;
}

/* Wait for PID; its exit status, or -1 if it did not exit. */
static int exit_status_of(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run BODY as a test of its own (in this process: it may have set the
 * sandbox up), and keep its verdict as party WHO's. */
static void run_as_party(int who, void (*body)(struct test_ctx *))
{
    static struct lab_test test;
    struct test_verdict result;

    test = (struct lab_test){
        .id = "unit", .title = "unit", .points = 7, .run = body, .timeout_ms = 20000};
    run_test(&test, "/bin", &result);
    shared->failed[who] = result.status != STATUS_PASSED;
    shared->user[who] = sandbox_uid();
    snprintf(shared->message[who], sizeof(shared->message[who]), "%s%s%s", result.message,
             result.output[0] != '\0' ? "\n" : "", result.output);
}

/* Give the programs a sandbox user of their own, as shmgrade does as
 * root; false (and why on stderr) if it cannot be had. */
static bool with_sandbox_user(void)
{
    char why[2048];

    if (sandbox_setup(SANDBOX_NONE, "/nonexistent-checkout", NULL, why, sizeof(why)))
        return true;
    fprintf(stderr, "leftovers: sandbox_setup: %s\n", why);
    return false;
}

/* --- root makes objects while a test runs --------------------------------------------- */

/* The other party: root, outside the test's processes. Once the test is
 * under way, it makes objects of each kind, one of them at the key and
 * one at the name the test handed out (a name or key is only the test's
 * while it holds it). */
static _Noreturn void root_makes_objects(void)
{
    int fd;

    if (!await_event(TEST_MARKED))
        _exit(1);
    shared->sem = semget(IPC_PRIVATE, 1, 0600);
    shared->shm = shmget(IPC_PRIVATE, 4096, 0600);
    shared->msg = msgget(IPC_PRIVATE, 0600);
    shared->sem_at_key = semget(shared->key, 1, IPC_CREAT | IPC_EXCL | 0600);
    snprintf(shared->posix, sizeof(shared->posix), "/shmlab-unit-root-%d", (int)getpid());
    fd = shm_open(shared->posix, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd >= 0)
        close(fd);
    fd = shm_open(shared->name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd >= 0)
        close(fd);
    _exit(signal_event(OTHER_DONE) ? 0 : 1);
}

/* Whether the test's programs leave an object of their own. */
static bool programs_leave_one;

/* The test: hands out a name and a key its programs never use, lets a
 * program leave a semaphore set behind (a leftover of the student's),
 * then lets root make its objects and ends. */
static void root_makes_objects_meanwhile(struct test_ctx *t)
{
    shared->key = unique_ipc_key(t);
    snprintf(shared->name, sizeof(shared->name), "%s", unique_shm_name(t));
    if (programs_leave_one)
        expect_run(t, ARGS("ipcmk", "-S", "1"), EXIT(0));
    require(t, signal_event(TEST_MARKED), "internal: cannot tell root to make its objects");
    require(t, await_event(OTHER_DONE), "root did not make its objects");
}

/* Is the System V object of KIND with id ID still there? */
static bool sysv_exists(enum ipc_kind kind, int id)
{
    struct ipc_snapshot all;
    bool found = false;

    ck_assert_int_eq(ipc_snapshot_take(&all), 0);
    for (size_t i = 0; i < all.n && !found; i++)
        found = all.objects[i].kind == kind && all.objects[i].id == id;
    ipc_snapshot_free(&all);
    return found;
}

/* Root's objects are all there, none named in the test's output; then
 * they go. Those at the test's name and key too if OWN_USER: without a
 * sandbox user, what is at the names and keys a test handed out is taken
 * for its programs' (root's, as everything else of theirs). */
static void assert_roots_objects_kept(const char *output, bool own_user)
{
    const struct {
        enum ipc_kind kind;
        int id;
        const char *what;
    } made[] = {{IPC_KIND_SYSV_SEM, shared->sem, "semaphore set"},
                {IPC_KIND_SYSV_SHM, shared->shm, "segment"},
                {IPC_KIND_SYSV_MSG, shared->msg, "message queue"},
                {IPC_KIND_SYSV_SEM, shared->sem_at_key, "semaphore set at the test's key"}};
    size_t n = sizeof(made) / sizeof(made[0]) - (own_user ? 0 : 1);
    char id[32];

    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(made[i].id >= 0, "root could not make its %s", made[i].what);
        ck_assert_msg(sysv_exists(made[i].kind, made[i].id),
                      "root's %s (id %d), made while the test ran, was removed", made[i].what,
                      made[i].id);
        snprintf(id, sizeof(id), " id %d ", made[i].id);
        ck_assert_msg(strstr(output, id) == NULL, "root's %s is blamed on the test: %s",
                      made[i].what, output);
        ipc_object_remove(&(struct ipc_object){.kind = made[i].kind, .id = made[i].id});
    }
    ck_assert_msg(shm_object_remove(shared->posix), "root's %s was removed by the test",
                  shared->posix);
    ck_assert_msg(strstr(output, shared->posix) == NULL, "root's %s is blamed on the test: %s",
                  shared->posix, output);
    if (!own_user) {
        sysv_remove_key(shared->key);
        shm_object_remove(shared->name);
        return;
    }
    ck_assert_msg(shm_object_remove(shared->name),
                  "root's %s, at the name the test had handed out, was removed by the test",
                  shared->name);
    ck_assert_msg(strstr(output, shared->name) == NULL, "root's %s is blamed on the test: %s",
                  shared->name, output);
}

/* Nothing of UID's is left anywhere. */
static void assert_nothing_of(uid_t uid)
{
    struct ipc_snapshot all;

    ck_assert_int_eq(ipc_snapshot_take(&all), 0);
    for (size_t i = 0; i < all.n; i++)
        ck_assert_msg(all.objects[i].uid != uid && all.objects[i].creator_uid != uid,
                      "an object of the sandbox user %u is left (id %d)", (unsigned)uid,
                      all.objects[i].id);
    ipc_snapshot_free(&all);
}

/* A grading's process (a child: what a grading kills after each test is
 * its own descendants), with a sandbox user of its own (as shmgrade has as
 * root) or none; it runs BODY as party WHO, then AFTER (if not NULL), and
 * exits. */
static pid_t start_grading(int who, bool own_user, void (*body)(struct test_ctx *),
                           bool (*after)(void))
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid > 0)
        return pid;
    if (own_user && !with_sandbox_user())
        _exit(2);
    run_as_party(who, body);
    _exit(after == NULL || after() ? 0 : 1);
}

/* The test, in a grading with a sandbox user or none, while root (a
 * process of no grading) makes objects; root's are kept. The test's
 * output. */
static const char *test_while_root_makes_objects(bool own_user)
{
    pid_t root, grading;

    root = fork();
    ck_assert_int_ge(root, 0);
    if (root == 0)
        root_makes_objects();
    grading = start_grading(0, own_user, root_makes_objects_meanwhile, NULL);
    ck_assert_int_eq(exit_status_of(grading), 0);
    ck_assert_int_eq(exit_status_of(root), 0);
    ck_assert_msg(!shared->failed[0], "%s", shared->message[0]);
    assert_roots_objects_kept(shared->message[0], own_user);
    return shared->message[0];
}

/* shmgrade as root, without namespaces: the programs run as a sandbox
 * user; the semaphore set they leave is named and removed, and root's
 * objects are neither. */
START_TEST(a_test_leaves_root_made_objects_alone)
{
    const char *output;

    if (!is_root("that root's objects outlive a test"))
        return;
    open_events();
    programs_leave_one = true;
    output = test_while_root_makes_objects(true);
    ck_assert_msg(strstr(output, "left behind, and removed by the grader:\n"
                                 "    System V semaphore set id ") != NULL,
                  "the programs' own leftover is not named: %s", output);
    assert_nothing_of(shared->user[0]);
    close_events();
}
END_TEST

/* The runner as root with no sandbox user (sandbox_setup() not called, as
 * in this suite's own tests): the programs run as root, and nothing of
 * root's is the test's by owner, so root's objects stay. */
START_TEST(a_test_without_a_sandbox_user_leaves_root_made_objects_alone)
{
    if (!is_root("that root's objects outlive a test with no sandbox user"))
        return;
    open_events();
    programs_leave_one = false;
    test_while_root_makes_objects(false);
    close_events();
}
END_TEST

/* --- two gradings at once -------------------------------------------------------------- */

/* Grading B has ended its test and cleaned up after it. */
static bool b_done(void)
{
    return signal_event(B_DONE);
}

/* Grading A: once grading B's test is under way, it makes what the labs'
 * tests make for the programs (a segment and a semaphore set at its keys,
 * an object at its name, all given to its sandbox user) and has a program
 * make a set of its own; it holds them while B's test ends and B cleans
 * up after it; then every one must still be there. */
static void holds_its_objects(struct test_ctx *t)
{
    key_t segment_key, set_key;
    struct ipc_object found;
    const char *name, *line;
    void *at;
    int set;

    require(t, await_event(B_MARKED), "grading B did not start its test");
    segment_key = use_unique_ipc_key(t);
    make_segment_at(t, segment_key, 4096, &at);
    set_key = unique_ipc_key(t);
    set = make_semaphore_set(t, set_key, 1, 0600);
    name = unique_shm_name(t);
    make_shm_object(t, name, "x", 1, 4096, 0600);
    line = await_line(t, start(t, ARGS("ipcmk", "-S", "1")), "^Semaphore id: [0-9]+$");
    require(t, signal_event(A_MADE), "internal: cannot tell grading B");
    require(t, await_event(B_DONE), "grading B did not end");
    require(t, sysv_find_key(IPC_KIND_SYSV_SHM, segment_key, &found),
            "the grader's segment at key 0x%08x was removed by the other grading",
            (unsigned)segment_key);
    /* Made as the programs' user: theirs by creator, never root's. */
    check(t, found.creator_uid == student_uid(), "the grader's segment was created by %u, not %u",
          (unsigned)found.creator_uid, (unsigned)student_uid());
    require(t, sysv_find_key(IPC_KIND_SYSV_SEM, set_key, &found) && found.id == set,
            "the grader's semaphore set at key 0x%08x was removed by the other grading",
            (unsigned)set_key);
    check(t, found.creator_uid == student_uid(),
          "the grader's semaphore set was created by %u, not %u", (unsigned)found.creator_uid,
          (unsigned)student_uid());
    check(t, shm_object_exists(name), "the grader's %s was removed by the other grading", name);
    check(t, sysv_exists(IPC_KIND_SYSV_SEM, atoi(line + strlen("Semaphore id: "))),
          "the set a program made (%s) was removed by the other grading", line);
}

/* Whether grading B's programs leave objects (they do with a sandbox
 * user of their own, whose objects B can tell). */
static bool b_programs_leave_some;

/* Grading B: a whole test, past its snapshot before A makes anything,
 * whose programs leave objects behind; it ends (and is cleaned up after)
 * while A holds its objects. */
static void leaves_objects_while_another_runs(struct test_ctx *t)
{
    require(t, signal_event(B_MARKED), "internal: cannot tell grading A");
    require(t, await_event(A_MADE), "grading A did not make its objects");
    (void)use_unique_ipc_key(t);
    if (b_programs_leave_some) {
        expect_run(t, ARGS("ipcmk", "-S", "1"), EXIT(0));
        expect_run(t, ARGS("ipcmk", "-M", "4096"), EXIT(0));
    }
}

/* Two gradings at once as root without namespaces, A with a sandbox user
 * as shmgrade has, B with one (_i 0) or none (_i 1): each passes, and
 * nothing of A's is removed by B's cleanup. */
START_TEST(a_grading_never_removes_what_another_made)
{
    pid_t a, b;

    if (!is_root("that two gradings at once are independent"))
        return;
    open_events();
    b_programs_leave_some = _i == 0;
    b = start_grading(1, _i == 0, leaves_objects_while_another_runs, b_done);
    a = start_grading(0, true, holds_its_objects, NULL);
    ck_assert_int_eq(exit_status_of(b), 0);
    ck_assert_int_eq(exit_status_of(a), 0);
    ck_assert_msg(!shared->failed[0], "grading A: %s", shared->message[0]);
    ck_assert_msg(!shared->failed[1], "grading B: %s", shared->message[1]);
    if (_i == 0)
        ck_assert_msg(strstr(shared->message[1], "left behind, and removed by the grader:") != NULL,
                      "grading B's programs' leftovers are not named: %s", shared->message[1]);
    assert_nothing_of(shared->user[0]);
    if (_i == 0)
        assert_nothing_of(shared->user[1]);
    close_events();
}
END_TEST

Suite *leftovers_suite(void)
{
    Suite *suite = SUITE_OF("leftovers", 60, a_test_leaves_root_made_objects_alone,
                            a_test_without_a_sandbox_user_leaves_root_made_objects_alone);
    TCase *gradings = tcase_create("gradings");

    tcase_set_timeout(gradings, 60);
    tcase_add_loop_test(gradings, a_grading_never_removes_what_another_made, 0, 2);
    suite_add_tcase(suite, gradings);
    return suite;
}
