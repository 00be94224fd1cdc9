/*
 * record.c - what a test records (failures, notes), and the names, keys
 * and environment it hands to the student's programs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/text.h"
#include "harness/context.h"

struct harness_options harness_options = {.slowdown = 1, .only_seed = -1};

/* How much slower programs run under valgrind: every timeout grows. */
#define VALGRIND_SLOWDOWN 8

void harness_use_valgrind(bool on)
{
    harness_options.valgrind = on;
    harness_options.slowdown = on ? VALGRIND_SLOWDOWN : 1;
}

int scaled_timeout_ms(int timeout_ms)
{
    return timeout_ms * harness_options.slowdown;
}

void harness_begin(struct test_ctx *t, const struct lab_test *test, const char *build_dir,
                   struct test_record *rec, int timeout_ms)
{
    memset(t, 0, sizeof(*t));
    t->test = test;
    t->build_dir = build_dir;
    t->rec = rec;
    t->schedule_seed = -1;
    /* Steps end a little before the test's own limit, so a test that
     * runs out of time can still say where it was. */
    t->deadline = now_ms() + timeout_ms - (timeout_ms > 20000 ? 2000 : timeout_ms / 10);
    /* Sanitizers reserve terabytes of address space: their programs run
     * without RLIMIT_AS, under the sanitizer allocator's own limits. */
    t->exec = (struct sandbox_exec){.limits = test->build == BUILD_NORMAL ? &RUN_LIMITS
                                                                          : &SANITIZED_RUN_LIMITS,
                                    .dir = build_dir};
}

/* --- recording ------------------------------------------------------------ */

static void record_vappend(struct test_record *rec, const char *format, va_list args)
{
    size_t room = sizeof(rec->output) - rec->output_len;
    int n;

    if (room <= 1)
        return;
    n = vsnprintf(rec->output + rec->output_len, room, format, args);
    if (n < 0)
        return;
    if ((size_t)n >= room) {
        static const char cut[] = "\n[... output of this test cut ...]\n";
        rec->output_len = sizeof(rec->output) - sizeof(cut);
        memcpy(rec->output + rec->output_len, cut, sizeof(cut));
        rec->output_len += sizeof(cut) - 1;
        return;
    }
    rec->output_len += (size_t)n;
}

void record_append(struct test_record *rec, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    record_vappend(rec, format, args);
    va_end(args);
}

void record_failure(struct test_ctx *t, const char *format, va_list args)
{
    struct test_record *rec = t->rec;
    char text[2048];

    vsnprintf(text, sizeof(text), format, args);
    if (t->schedule_seed >= 0) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof(text) - len, " (under schedule %ld: `--seed %ld` replays it)",
                 t->schedule_seed, t->schedule_seed);
    }
    if (rec->failures++ == 0)
        snprintf(rec->message, sizeof(rec->message), "%s", text);
    record_append(rec, "FAILED: %s\n", text);
    if (!rec->grader_error)
        replay_grader_check(t, text);
}

bool check(struct test_ctx *t, bool cond, const char *format, ...)
{
    va_list args;

    if (cond)
        return true;
    va_start(args, format);
    record_failure(t, format, args);
    va_end(args);
    return false;
}

void fail(struct test_ctx *t, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    record_failure(t, format, args);
    va_end(args);
    test_end(t);
}

void note(struct test_ctx *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    record_vappend(t->rec, format, args);
    va_end(args);
    record_append(t->rec, "\n");
}

bool test_failed(const struct test_ctx *t)
{
    return t->rec->failures > 0;
}

void set_step(struct test_ctx *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(t->rec->step, sizeof(t->rec->step), format, args);
    va_end(args);
}

const char *textf(struct test_ctx *t, const char *format, ...)
{
    va_list args;
    char **grown = realloc(t->texts, (t->n_texts + 1) * sizeof(*t->texts));
    char *text;

    if (grown == NULL) {
        fputs("shmgrade: out of memory\n", stderr);
        exit(3);
    }
    t->texts = grown;
    va_start(args, format);
    text = xvasprintf(format, args);
    va_end(args);
    t->texts[t->n_texts++] = text;
    return text;
}

void grader_error(struct test_ctx *t, const char *format, ...)
{
    va_list args;

    t->rec->grader_error = true;
    va_start(args, format);
    record_failure(t, format, args);
    va_end(args);
    test_end(t);
}

/* --- names, keys, environment ----------------------------------------- */

/* 64 random bits: names and keys no one can guess ahead of the test, to
 * squat them (without namespaces, /dev/shm and the key space are shared
 * with every other grading and user of the machine). */
static unsigned long long random_bits(struct test_ctx *t)
{
    unsigned long long bits;
    if (getrandom(&bits, sizeof(bits), 0) != (ssize_t)sizeof(bits))
        grader_error(t, "internal: getrandom: %s", strerror(errno));
    return bits;
}

/* How many unused names or keys the harness tries before it gives up:
 * with random ones, a second try is already a rarity. */
#define UNIQUE_TRIES 16

const char *unique_shm_name(struct test_ctx *t)
{
    struct test_record *rec = t->rec;
    char *name;

    if (rec->n_names >= MAX_NAMES)
        grader_error(t, "internal: the test asked for too many names");
    name = rec->names[rec->n_names];
    for (int i = 0;; i++) {
        snprintf(name, sizeof(rec->names[0]), "/shmlab-%016llx", random_bits(t));
        if (shm_name_family_free(name))
            break;
        if (i == UNIQUE_TRIES) /* the grader's problem, never the student's */
            grader_error(t, "internal: no unused shm name after %d tries", UNIQUE_TRIES);
    }
    rec->n_names++;
    replay_add(t, "uses_name %s", name);
    return name;
}

key_t unique_ipc_key(struct test_ctx *t)
{
    struct test_record *rec = t->rec;
    struct ipc_object existing;
    key_t key;

    if (rec->n_keys >= MAX_NAMES)
        grader_error(t, "internal: the test asked for too many keys");
    /* Keys are 0x5Axxxxxx, the rest random; one in use is skipped. */
    for (int i = 0;; i++) {
        key = (key_t)(0x5a000000u | (unsigned)(random_bits(t) & 0x00ffffffu));
        if (!sysv_find_key(IPC_KIND_SYSV_SHM, key, &existing) &&
            !sysv_find_key(IPC_KIND_SYSV_SEM, key, &existing) &&
            !sysv_find_key(IPC_KIND_SYSV_MSG, key, &existing))
            break;
        if (i == UNIQUE_TRIES)
            grader_error(t, "internal: no unused IPC key after %d tries", UNIQUE_TRIES);
    }
    rec->keys[rec->n_keys++] = key;
    replay_add(t, "uses_key 0x%08x", (unsigned)key);
    return key;
}

key_t use_unique_ipc_key(struct test_ctx *t)
{
    key_t key = unique_ipc_key(t);
    use_ipc_key(t, key);
    return key;
}

void use_ipc_key(struct test_ctx *t, key_t key)
{
    set_program_env(t, textf(t, "SHMLAB_KEY=0x%08x", (unsigned)key));
}

void set_program_env(struct test_ctx *t, const char *entry)
{
    size_t name_len = strcspn(entry, "=");

    for (size_t i = 0; i < t->n_env; i++) {
        if (strncmp(t->env[i], entry, name_len + 1) == 0) {
            free(t->env[i]);
            t->env[i] = xstrdup(entry);
            return;
        }
    }
    if (t->n_env >= MAX_ENV)
        grader_error(t, "internal: the test set too many environment entries");
    t->env[t->n_env++] = xstrdup(entry);
}

uid_t student_uid(void)
{
    return sandbox_uid();
}

/* Is OBJ (a POSIX object) a named semaphore whose name starts with NAME
 * ("/NAME-full" lives in /dev/shm/sem.NAME-full)? */
static bool named_semaphore_of(const struct ipc_object *obj, const char *name)
{
    return strncmp(obj->name, "/sem.", 5) == 0 &&
           strncmp(obj->name + 5, name + 1, strlen(name + 1)) == 0;
}

bool handed_out(const struct test_record *rec, const struct ipc_object *obj)
{
    for (int i = 0; i < rec->n_names; i++)
        if (obj->kind == IPC_KIND_POSIX_SHM &&
            (strcmp(obj->name, rec->names[i]) == 0 || named_semaphore_of(obj, rec->names[i])))
            return true;
    for (int i = 0; i < rec->n_keys; i++)
        if (obj->kind != IPC_KIND_POSIX_SHM && obj->key == rec->keys[i])
            return true;
    return false;
}

/* How many rounds clean_up_handed_out() makes at most: the programs are
 * dead by then, but an object removed may leave another at its key to
 * find (a segment and a set at one key). */
#define CLEANUP_ROUNDS 4

void clean_up_handed_out(const struct test_record *rec)
{
    if (rec->n_names == 0 && rec->n_keys == 0)
        return;
    for (int round = 0; round < CLEANUP_ROUNDS; round++) {
        struct ipc_snapshot all;
        size_t removed = 0;
        if (ipc_snapshot_take(&all) < 0)
            return;
        /* The sandbox user's only: without namespaces, someone else may
         * have taken a name or key since the test's programs let it go. */
        for (size_t i = 0; i < all.n; i++)
            if (handed_out(rec, &all.objects[i]) && sandbox_owns(&all.objects[i]))
                removed += ipc_object_remove(&all.objects[i]);
        ipc_snapshot_free(&all);
        if (removed == 0)
            return;
    }
}

struct test_program *program_of(struct test_ctx *t, const struct proc *p)
{
    for (size_t i = 0; i < t->n_programs; i++)
        if (t->programs[i].proc == p)
            return &t->programs[i];
    return NULL;
}
