/*
 * support.c - what the project's own suites share (see support.h).
 */
#define _GNU_SOURCE
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *shmlab_root;
const char *shmgrade_path;

/* SHMLAB_ROOT=..., for every program a suite runs. */
static char *root_env;

void support_init(const char *suite, const char *make_target)
{
    shmlab_root = getenv("SHMLAB_ROOT");
    shmgrade_path = getenv("SHMGRADE");
    if (shmlab_root == NULL || shmgrade_path == NULL) {
        fprintf(stderr, "%s: set SHMLAB_ROOT and SHMGRADE (make %s does)\n", suite, make_target);
        exit(2);
    }
    if (asprintf(&root_env, "SHMLAB_ROOT=%s", shmlab_root) < 0) {
        perror("asprintf");
        exit(2);
    }
    /* Progress lines arrive as they are printed, even through a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* PTR, unless an allocation failed. No ck_assert here: a suite's main()
 * uses these too, before any test runs (xasprintf, too, needs none). */
static void *allocated(void *ptr)
{
    if (ptr == NULL) {
        perror("support: out of memory");
        abort();
    }
    return ptr;
}

/* --- running programs ------------------------------------------------------ */

/* NAME as a path: itself if it holds a '/', else found on the PATH that
 * proc.h gives every program. The caller frees it. */
static char *program_path(const char *name)
{
    static const char *const folders[] = {"/usr/local/bin", "/usr/bin", "/bin"};

    if (strchr(name, '/') != NULL)
        return xstrdup(name);
    for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
        char *path = xasprintf("%s/%s", folders[i], name);
        if (access(path, X_OK) == 0)
            return path;
        free(path);
    }
    ck_abort_msg("%s is not installed (scripts/install-deps --dev installs it)", name);
    return NULL;
}

int become_user(void *arg, char *why, size_t size)
{
    uid_t user = *(const uid_t *)arg;

    if (setgroups(0, NULL) < 0 || setresgid(user, user, user) < 0 ||
        setresuid(user, user, user) < 0) {
        snprintf(why, size, "become user %u: %s", (unsigned)user, strerror(errno));
        return -1;
    }
    return 0;
}

struct proc *start_program(const char *cwd, const char *const *env, const char *const argv[])
{
    return start_program_as(0, cwd, env, argv);
}

struct proc *start_program_as(uid_t user, const char *cwd, const char *const *env,
                              const char *const argv[])
{
    const char *all_env[32] = {root_env};
    const char *full[64];
    struct proc_opts opts = {.cwd = cwd, .env = all_env};
    struct proc *p;
    size_t n = 0;

    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        ck_assert_msg(i + 2 < 32, "too many environment entries");
        all_env[i + 1] = env[i];
    }
    full[0] = program_path(argv[0]);
    for (n = 1; argv[n] != NULL; n++) {
        ck_assert_msg(n + 1 < 64, "too many arguments for %s", argv[0]);
        full[n] = argv[n];
    }
    full[n] = NULL;
    if (user != 0) {
        opts.before_exec = become_user;
        opts.before_exec_arg = &user;
    }
    p = proc_spawn(full, &opts);
    ck_assert_msg(p != NULL, "cannot start %s: %s", full[0], strerror(errno));
    free((char *)full[0]);
    return p;
}

struct proc *run_program(const char *cwd, const char *const *env, const char *const argv[])
{
    struct proc *p = start_program(cwd, env, argv);

    ck_assert_msg(proc_wait(p, SUPPORT_TIMEOUT_MS), "`%s` did not finish", p->command);
    return p;
}

void assert_exit(const struct proc *p, int code)
{
    ck_assert_msg(p->state == PROC_EXITED && p->exit_code == code,
                  "`%.300s` %s, expected exit status %d\nstdout: %.2000s\nstderr: %.3000s",
                  p->command, proc_describe_end(p).text, code, p->out.head, p->err.head);
}

void assert_exit_saying(const struct proc *p, int code, const char *needle)
{
    assert_exit(p, code);
    ck_assert_msg(strstr(p->out.head, needle) || strstr(p->err.head, needle),
                  "`%.300s` did not say \"%s\"\nstdout: %.2000s\nstderr: %.2000s", p->command,
                  needle, p->out.head, p->err.head);
}

void sh(const char *cwd, const char *fmt, ...)
{
    va_list args;
    char *script;
    struct proc *p;

    va_start(args, fmt);
    ck_assert_int_ge(vasprintf(&script, fmt, args), 0);
    va_end(args);
    p = RUN_IN(cwd, NULL, "sh", "-euc", script);
    assert_exit(p, 0);
    proc_free(p);
    free(script);
}

/* --- the grader ------------------------------------------------------------- */

struct proc *shmgrade_start(const char *const args[], const char *const *env)
{
    return shmgrade_start_as(0, args, env);
}

struct proc *shmgrade_start_as(uid_t user, const char *const args[], const char *const *env)
{
    const char *argv[64] = {shmgrade_path};
    const char *all_env[32] = {NULL};
    const char *isolation = getenv("SHMGRADE_ISOLATION");
    char *isolation_env = NULL;
    size_t n_env = 0;
    struct proc *p;

    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        ck_assert_msg(i + 2 < 64, "too many arguments for shmgrade");
        argv[i + 1] = args[i];
    }
    /* The isolation level under test, e.g. SHMGRADE_ISOLATION=none. */
    if (isolation != NULL) {
        isolation_env = xasprintf("SHMGRADE_ISOLATION=%s", isolation);
        all_env[n_env++] = isolation_env;
    }
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        ck_assert_msg(n_env + 1 < 32, "too many environment entries");
        all_env[n_env++] = env[i];
    }
    p = start_program_as(user, NULL, all_env, argv);
    free(isolation_env);
    return p;
}

int shmgrade_finish(struct proc *p, const char *what)
{
    ck_assert_msg(proc_wait(p, SUPPORT_TIMEOUT_MS), "shmgrade did not finish grading %s", what);
    ck_assert_msg(p->state == PROC_EXITED && (p->exit_code == 0 || p->exit_code == 1),
                  "shmgrade %s grading %s\nstderr: %.3000s", proc_describe_end(p).text, what,
                  p->err.head);
    return p->exit_code;
}

json_t *grade_json(const char *lab, const char *submission, const char *const *args)
{
    const char *argv[64] = {"--lab",    lab,    "--submission", submission,
                            "--format", "json", "--hidden"};
    size_t n = 7;
    json_error_t error;
    json_t *report;
    struct proc *p;

    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        ck_assert_msg(n + 1 < 64, "too many arguments for shmgrade");
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    p = shmgrade_start(argv, NULL);
    shmgrade_finish(p, submission);
    report = json_loads(p->out.head, 0, &error);
    ck_assert_msg(report != NULL, "shmgrade printed no JSON (%s): %.300s", error.text, p->out.head);
    proc_free(p);
    return report;
}

/* --- reading a report -------------------------------------------------------- */

long long json_int(json_t *object, const char *key)
{
    return json_integer_value(json_object_get(object, key));
}

const char *json_str(json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

bool test_passed(json_t *test)
{
    const char *status = json_str(test, "status");
    return status != NULL && strcmp(status, "passed") == 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The N strings of LIST sorted and joined by spaces; the caller frees it. */
static char *join_sorted(const char **list, size_t n)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);

    ck_assert_ptr_nonnull(f);
    qsort(list, n, sizeof(list[0]), compare_strings);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? " " : "", list[i]);
    ck_assert_int_eq(fclose(f), 0);
    return out;
}

char *failed_ids(json_t *report)
{
    json_t *tests = json_object_get(report, "tests"), *test;
    const char **ids = allocated(calloc(json_array_size(tests) + 1, sizeof(*ids)));
    size_t n = 0, index;
    char *joined;

    json_array_foreach(tests, index, test)
    {
        if (!test_passed(test))
            ids[n++] = json_str(test, "id");
    }
    joined = join_sorted(ids, n);
    free(ids);
    return joined;
}

int points_lost(json_t *report)
{
    json_t *test;
    size_t index;
    int lost = 0;

    json_array_foreach(json_object_get(report, "tests"), index, test)
    {
        if (!test_passed(test))
            lost += (int)json_int(test, "max_score");
    }
    return lost;
}

char *sorted_words(const char *words)
{
    char *copy = xstrdup(words), *save = NULL, *joined;
    const char **list = allocated(calloc(strlen(words) / 2 + 1, sizeof(*list)));
    size_t n = 0;

    for (char *w = strtok_r(copy, " \t\n", &save); w != NULL; w = strtok_r(NULL, " \t\n", &save))
        list[n++] = w;
    joined = join_sorted(list, n);
    free(list);
    free(copy);
    return joined;
}

/* --- corpus entries -------------------------------------------------------------- */

void expected_read(const char *entry, struct expected *e)
{
    char *path = xasprintf("%s/EXPECTED", entry), *text = read_file(path, NULL), *save = NULL;

    memset(e, 0, sizeof(*e));
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *value = strchr(line, ':');
        if (value == NULL)
            continue;
        *value++ = '\0';
        value += strspn(value, " \t");
        if (strcmp(line, "about") == 0)
            e->about = xstrdup(value);
        else if (strcmp(line, "fails") == 0) {
            ck_assert_msg(value[0] != '\0', "%s: 'fails:' is empty: list test ids, or 'none'",
                          path);
            e->fails = strcmp(value, "none") == 0 ? xstrdup("") : sorted_words(value);
        } else if (strcmp(line, "class") == 0) {
            e->mistake_class = xstrdup(value);
        } else if (strcmp(line, "says") == 0) {
            e->says = xstrdup(value);
        } else if (strcmp(line, "options") == 0) {
            char *option_save = NULL;
            size_t n = 0;
            e->options_text = xstrdup(value);
            for (char *o = strtok_r(e->options_text, " ", &option_save); o != NULL;
                 o = strtok_r(NULL, " ", &option_save)) {
                ck_assert_msg(n + 1 < sizeof(e->options) / sizeof(e->options[0]),
                              "%s: too many options", path);
                e->options[n++] = o;
            }
        } else if (strcmp(line, "terminal") == 0) {
            e->terminal = strcmp(value, "yes") == 0;
        } else if (strcmp(line, "shows") == 0) {
            size_t n = 0;
            while (e->shows[n] != NULL)
                n++;
            ck_assert_msg(n + 1 < sizeof(e->shows) / sizeof(e->shows[0]), "%s: too many shows",
                          path);
            e->shows[n] = xstrdup(value);
        } else if (strcmp(line, "tests") == 0) {
            e->tests = xstrdup(value);
            for (char *space = strchr(e->tests, ' '); space; space = strchr(space, ' '))
                *space = ',';
        }
    }
    ck_assert_msg(e->about != NULL && e->about[0] != '\0', "%s has no 'about:' line", path);
    ck_assert_msg(e->fails != NULL,
                  "%s has no 'fails:' line: list the tests it must fail, or 'none' for full "
                  "marks",
                  path);
    free(text);
    free(path);
}

void expected_free(struct expected *e)
{
    free(e->about);
    free(e->fails);
    free(e->says);
    free(e->mistake_class);
    free(e->tests);
    free(e->options_text);
    for (size_t i = 0; e->shows[i] != NULL; i++)
        free(e->shows[i]);
    memset(e, 0, sizeof(*e));
}

struct names sub_folders(const char *path)
{
    struct names list = {0};
    struct dirent **entries;
    int n = scandir(path, &entries, NULL, alphasort);

    if (n < 0)
        return list;
    list.names = allocated(calloc((size_t)n + 1, sizeof(*list.names)));
    for (int i = 0; i < n; i++) {
        char *full = xasprintf("%s/%s", path, entries[i]->d_name);
        struct stat st;
        if (entries[i]->d_name[0] != '.' && stat(full, &st) == 0 && S_ISDIR(st.st_mode))
            list.names[list.n++] = xstrdup(entries[i]->d_name);
        free(full);
        free(entries[i]);
    }
    free(entries);
    return list;
}

void names_free(struct names *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->names[i]);
    free(list->names);
    list->names = NULL;
    list->n = 0;
}

void stage_submission(const char *lab, const char *entry, const char *dest)
{
    char *script = xasprintf("%s/scripts/stage-submission", shmlab_root);
    struct proc *p = RUN_IN(NULL, NULL, script, lab, dest, entry);

    assert_exit(p, 0);
    proc_free(p);
    free(script);
}

struct staged stage_in_temp(const char *lab, const char *entry)
{
    struct staged s = {.dir = temp_folder("submission")};

    s.lab_dir = xasprintf("%s/%s", s.dir, lab);
    stage_submission(lab, entry, s.lab_dir);
    return s;
}

char *staged_file(const struct staged *s, const char *name)
{
    return xasprintf("%s/%s", s->lab_dir, name);
}

void staged_remove(struct staged *s)
{
    ck_assert_msg(remove_tree(s->dir, NULL) == 0, "cannot remove %s: %s", s->dir, strerror(errno));
    free(s->lab_dir);
    free(s->dir);
    s->dir = s->lab_dir = NULL;
}

/* --- files and folders ------------------------------------------------------------- */

char *temp_folder(const char *what)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/shmlab-%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp", what);

    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
    ck_assert_msg(chmod(dir, 0711) == 0, "chmod %s: %s", dir, strerror(errno));
    return dir;
}

char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL, buf[65536];
    size_t len = 0, n;
    FILE *out;

    ck_assert_msg(f != NULL, "cannot read %s: %s", path, strerror(errno));
    out = open_memstream(&data, &len);
    ck_assert_ptr_nonnull(out);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
    ck_assert_msg(!ferror(f), "cannot read %s", path);
    fclose(f);
    ck_assert_int_eq(fclose(out), 0);
    if (size != NULL)
        *size = len;
    return data;
}

void write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_msg(fclose(f) == 0, "cannot write %s: %s", path, strerror(errno));
}

void write_text(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

void copy_file(const char *from, const char *to)
{
    size_t size;
    char *data = read_file(from, &size);

    write_file(to, data, size);
    free(data);
}

void make_dirs(const char *path)
{
    char *copy = xstrdup(path);

    for (char *slash = strchr(copy + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        ck_assert_msg(mkdir(copy, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", copy,
                      strerror(errno));
        *slash = '/';
    }
    ck_assert_msg(mkdir(copy, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", copy, strerror(errno));
    free(copy);
}
