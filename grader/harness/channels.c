/*
 * channels.c - the message travels through the object the handout names,
 * and nothing else could have carried it: no file the programs made or
 * changed, no other IPC object, no extended attribute, no process left
 * running to hand it over later.
 *
 * Reading the object and planting one for the other side proves that
 * each side can use it; this proves that they had nothing else to use.
 * Together they catch a writer and a reader that also keep the message in
 * a file of their own and prefer it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/text.h"
#include "harness/context.h"

/* Traces listed by name in a failure; the rest are counted. */
#define MAX_LISTED_TRACES 6

/* --- the files, as the test found them ------------------------------------------ */

static void add_mark(struct test_ctx *t, struct file_marks *marks, const char *name,
                     const struct stat *st)
{
    if (marks->n == marks->room) {
        size_t room = marks->room ? marks->room * 2 : 16;
        struct file_mark *more = realloc(marks->marks, room * sizeof(*more));
        if (more == NULL)
            grader_error(t, "internal: out of memory");
        marks->marks = more;
        marks->room = room;
    }
    struct file_mark *mark = &marks->marks[marks->n++];
    snprintf(mark->name, sizeof(mark->name), "%s", name);
    mark->ino = st->st_ino;
    mark->ctime = st->st_ctim;
}

/* Is NAME as MARKS found it? Any change to a file, its data, owner, mode
 * or attributes, moves its ctime, which no program can set back. */
static bool as_found(const struct file_marks *marks, const char *name, const struct stat *st,
                     bool *found)
{
    for (size_t i = 0; i < marks->n; i++) {
        const struct file_mark *mark = &marks->marks[i];
        if (strcmp(mark->name, name) != 0)
            continue;
        *found = mark->ino == st->st_ino;
        return *found && mark->ctime.tv_sec == st->st_ctim.tv_sec &&
               mark->ctime.tv_nsec == st->st_ctim.tv_nsec;
    }
    *found = false;
    return false;
}

/* Call FN for each entry of the build folder. */
static void each_build_file(struct test_ctx *t,
                            void (*fn)(struct test_ctx *t, const char *name, const struct stat *st,
                                       void *arg),
                            void *arg)
{
    DIR *dir = opendir(t->build_dir);
    struct dirent *entry;

    if (dir == NULL)
        grader_error(t, "internal: opendir %s: %s", t->build_dir, strerror(errno));
    while ((entry = readdir(dir)) != NULL) {
        struct stat st;
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
            fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        fn(t, entry->d_name, &st, arg);
    }
    closedir(dir);
}

/* Call FN for each entry the programs may have in the folders anyone may
 * write (sandbox_user_files()); nothing where that cannot be told. */
static void each_shared_file(struct test_ctx *t,
                             void (*fn)(struct test_ctx *t, const char *path, const struct stat *st,
                                        void *arg),
                             void *arg)
{
    char **paths;
    struct stat st;

    if (sandbox_user_files(&paths) < 0)
        return;
    for (char **path = paths; *path != NULL; path++) {
        if (lstat(*path, &st) == 0)
            fn(t, *path, &st, arg);
        free(*path);
    }
    free(paths);
}

static void mark_file(struct test_ctx *t, const char *name, const struct stat *st, void *marks)
{
    add_mark(t, marks, name, st);
}

void harness_mark_files(struct test_ctx *t)
{
    t->build_files.n = t->shared_files.n = 0;
    each_build_file(t, mark_file, &t->build_files);
    each_shared_file(t, mark_file, &t->shared_files);
}

/* --- traces -------------------------------------------------------------------- */

struct traces {
    struct test_ctx *t;
    size_t n;
    struct strbuf listed;
};

static void add_trace(struct traces *traces, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void add_trace(struct traces *traces, const char *format, ...)
{
    va_list args;
    char *text;

    if (traces->n++ >= MAX_LISTED_TRACES)
        return;
    va_start(args, format);
    if (vasprintf(&text, format, args) < 0)
        text = NULL;
    va_end(args);
    strbuf_printf(&traces->listed, "%s%s", traces->n > 1 ? "; " : "", text ? text : "?");
    free(text);
}

/* A name made visible for a message: untrusted bytes. */
static const char *shown(struct test_ctx *t, const char *name)
{
    char *visible = text_visible(name, strlen(name), true);
    const char *kept = textf(t, "%s", visible);
    free(visible);
    return kept;
}

/* Is P a program the test started that has not ended, or one of its
 * process group? Those may still be at work. */
static bool of_running_program(struct test_ctx *t, const struct task_info *task)
{
    for (size_t i = 0; i < t->n_programs; i++) {
        struct proc *p = t->programs[i].proc;
        if (p->state == PROC_RUNNING && !has_ended(p) && task->pgid == p->pid)
            return true;
    }
    return false;
}

/* Processes still alive that no running program accounts for: a child
 * left behind can hand the message over later (a socket, a pipe). Looked
 * at first: once none is left, whatever they wrote is written. */
static void find_processes(struct traces *traces)
{
    struct task_info *tasks;
    int n = list_descendants(&tasks);

    if (n < 0)
        grader_error(traces->t, "internal: cannot list the test's processes");
    for (int i = 0; i < n; i++)
        if (!tasks[i].zombie && !of_running_program(traces->t, &tasks[i]))
            add_trace(traces, "a process %s (pid %d) still running",
                      shown(traces->t, tasks[i].name), (int)tasks[i].pid);
    free(tasks);
}

/* Extended attributes on PATH: a place for data that no listing shows. */
static void find_attributes(struct traces *traces, const char *path, const char *what)
{
    ssize_t size = llistxattr(path, NULL, 0);

    if (size > 0)
        add_trace(traces, "extended attributes on %s", what);
}

static void check_build_file(struct test_ctx *t, const char *name, const struct stat *st,
                             void *traces)
{
    bool found;

    if (as_found(&t->build_files, name, st, &found))
        return;
    add_trace(traces,
              found ? "a change to the file %s in the working folder"
                    : "a file %s in the working folder",
              shown(t, name));
}

static bool is_handed_out_name(const struct test_ctx *t, const char *path)
{
    size_t folder = strlen(SHM_FOLDER);

    if (strncmp(path, SHM_FOLDER, folder) != 0)
        return false;
    for (int i = 0; i < t->rec->n_names; i++)
        if (strcmp(path + folder, t->rec->names[i]) == 0)
            return true;
    return false;
}

/* In /tmp, /dev/shm...: what is new or changed, except the objects the
 * test named. */
static void check_shared_file(struct test_ctx *t, const char *path, const struct stat *st,
                              void *traces)
{
    bool found;

    if (!is_handed_out_name(t, path) && !as_found(&t->shared_files, path, st, &found))
        add_trace(traces, "%s", shown(t, path));
}

/* System V objects: a segment, queue or even a semaphore set holds bytes
 * as well as the object does. The grader's own segments are not theirs;
 * when the programs run as the grader, without namespaces of their own,
 * nothing tells theirs from another grading's. */
static void find_sysv_objects(struct traces *traces)
{
    struct test_ctx *t = traces->t;
    struct ipc_snapshot objects;

    if (!sandbox_uses_namespaces() && sandbox_uid() == getuid())
        return;
    if (sandbox_ipc_objects(&objects) < 0)
        grader_error(t, "internal: cannot list IPC objects: %s", strerror(errno));
    for (size_t i = 0; i < objects.n; i++) {
        const struct ipc_object *obj = &objects.objects[i];
        bool graders = false;
        char what[512];
        for (size_t j = 0; j < t->n_segments; j++)
            graders = graders || (obj->kind == IPC_KIND_SYSV_SHM && obj->id == t->segments[j].id &&
                                  !t->segments[j].borrowed);
        if (obj->kind == IPC_KIND_POSIX_SHM || graders)
            continue;
        ipc_object_describe(obj, what, sizeof(what));
        add_trace(traces, "%s", what);
    }
    ipc_snapshot_free(&objects);
}

void expect_only_channel(struct test_ctx *t, const char *name, const char *when)
{
    struct traces traces = {.t = t};

    replay_add(t, "settle %s",
               shell_text(t, textf(t,
                                   "%s, the grader looked for other places the message could "
                                   "be than %s",
                                   when, name)));
    find_processes(&traces);
    each_build_file(t, check_build_file, &traces);
    find_attributes(&traces, t->build_dir, "the working folder");
    each_shared_file(t, check_shared_file, &traces);
    find_sysv_objects(&traces);
    find_attributes(&traces, textf(t, "%s%s", SHM_FOLDER, name), name);
    if (traces.n == 0)
        return;
    char *listed = strbuf_take(&traces.listed);
    const char *text = textf(t, "%s", listed);
    free(listed);
    fail(t,
         "%s, %s should be the only place the message can be, but the programs also left %s%s: "
         "the message must travel through the shared memory object alone",
         when, name, text,
         traces.n > MAX_LISTED_TRACES ? textf(t, " and %zu more", traces.n - MAX_LISTED_TRACES)
                                      : "");
}
