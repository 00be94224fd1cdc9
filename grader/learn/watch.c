/* watch.c - see watch.h. */
#define _GNU_SOURCE
#include "learn/watch.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "core/text.h"
#include "learn/saved.h"
#include "report/formats.h"

/* How often the fingerprints are compared when inotify is silent. */
#define POLL_MS 1000

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* The fingerprint of every watched lab, joined; NULL if one cannot be made. */
static char *fingerprints(const struct watch_config *config)
{
    struct strbuf all = {0};

    for (size_t i = 0; i < config->n_labs; i++) {
        char *one = saved_fingerprint(config->root, config->labs[i], config->shmgrade);
        if (one == NULL) {
            free(strbuf_take(&all));
            return NULL;
        }
        strbuf_printf(&all, "%s;", one);
        free(one);
    }
    return strbuf_take(&all);
}

/* An inotify descriptor watching the labs' folders and labs/common for
 * saves, or -1 (polling only). */
static int watch_folders(const struct watch_config *config)
{
    const char *force_poll = getenv("SHMLAB_WATCH_POLL");
    const uint32_t events = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM;
    int fd;

    if (force_poll != NULL && strcmp(force_poll, "1") == 0)
        return -1;
    fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "shmgrade: inotify_init1: %s (saves are found by polling)\n",
                strerror(errno));
        return -1;
    }
    for (size_t i = 0; i <= config->n_labs; i++) {
        char *folder = i < config->n_labs ? xasprintf("%s/labs/%s", config->root, config->labs[i])
                                          : xasprintf("%s/labs/common", config->root);
        if (inotify_add_watch(fd, folder, events) < 0)
            fprintf(stderr, "shmgrade: inotify_add_watch %s: %s (saves are found by polling)\n",
                    folder, strerror(errno));
        free(folder);
    }
    return fd;
}

/* Read away what inotify has to say: only that something changed counts. */
static void drain(int fd)
{
    char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

    while (read(fd, events, sizeof(events)) > 0)
        ;
}

/* Run one grading, its JSON result into RESULTS; its exit status, 130
 * after Ctrl-C, or -1 if it could not run. */
static int grade_once(const struct watch_config *config, const char *results)
{
    size_t n = 0;
    const char **argv;
    pid_t child;
    int status;

    while (config->grading_argv[n] != NULL)
        n++;
    argv = calloc(n + 4, sizeof(*argv));
    if (argv == NULL)
        return -1;
    argv[0] = config->shmgrade;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = config->grading_argv[i];
    argv[n + 1] = "--also-json";
    argv[n + 2] = results;
    child = fork();
    if (child < 0) {
        fprintf(stderr, "shmgrade: fork: %s\n", strerror(errno));
        free(argv);
        return -1;
    }
    if (child == 0) {
        signal(SIGINT, SIG_DFL);
        execv(config->shmgrade, (char *const *)argv);
        fprintf(stderr, "shmgrade: exec %s: %s\n", config->shmgrade, strerror(errno));
        _exit(127);
    }
    free(argv);
    /* The grading, in our process group, gets a Ctrl-C too: it reports
     * what it graded and ends its tests; we wait for that. */
    bool forwarded = false;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "shmgrade: waitpid: %s\n", strerror(errno));
            return -1;
        }
        /* A Ctrl-C sent to us alone (kill, not the terminal) reaches the
         * grading too; a second one there changes nothing. */
        if (interrupted && !forwarded) {
            kill(child, SIGINT);
            forwarded = true;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

/* The grade in PATH (written by a grading), or false. */
static bool load_grade(const char *path, struct grade_result *grade, json_t **json)
{
    char why[256];

    *json = json_load_file(path, 0, NULL);
    if (*json == NULL)
        return false;
    if (grade_result_from_json(*json, grade, why, sizeof(why)) < 0) {
        grade_result_free(grade);
        json_decref(*json);
        *json = NULL;
        return false;
    }
    return true;
}

/* The verdict of test ID of lab LAB in GRADE, or NULL. */
static const struct test_verdict *verdict_of(const struct grade_result *grade, const char *lab,
                                             const char *id)
{
    for (size_t i = 0; i < grade->n_labs; i++) {
        if (strcmp(grade->labs[i].id, lab) != 0)
            continue;
        for (size_t j = 0; j < grade->labs[i].n_tests; j++)
            if (strcmp(grade->labs[i].tests[j].id, id) == 0)
                return &grade->labs[i].tests[j];
    }
    return NULL;
}

static const char *word_of(const struct test_verdict *test)
{
    return test->status == STATUS_PASSED    ? "PASS"
           : test->status == STATUS_NOT_RUN ? "SKIP"
                                            : "FAIL";
}

/* "changed since the last run: round-trip FAIL -> PASS, ..." */
static void show_changes(const struct grade_result *before, const struct grade_result *now)
{
    size_t changes = 0;

    for (size_t i = 0; i < now->n_labs; i++) {
        const struct lab_result *lab = &now->labs[i];
        for (size_t j = 0; j < lab->n_tests; j++) {
            const struct test_verdict *was = verdict_of(before, lab->id, lab->tests[j].id);
            if (was == NULL || strcmp(word_of(was), word_of(&lab->tests[j])) == 0)
                continue;
            printf("%s  %s (%.2s): %s -> %s\n", changes == 0 ? "changed since the last run:\n" : "",
                   lab->tests[j].id, lab->id, word_of(was), word_of(&lab->tests[j]));
            changes++;
        }
    }
    if (changes == 0)
        printf("no verdict changed since the last run\n");
}

/* Wait for a save: until the fingerprints differ from GRADED. false on Ctrl-C. */
static bool await_save(const struct watch_config *config, int inotify, const char *graded)
{
    for (;;) {
        struct pollfd ready = {.fd = inotify, .events = POLLIN};
        int n = poll(&ready, inotify >= 0 ? 1 : 0, POLL_MS);
        if (interrupted)
            return false;
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "shmgrade: poll: %s\n", strerror(errno));
            return false;
        }
        if (n > 0)
            drain(inotify);
        char *now = fingerprints(config);
        bool changed = now != NULL && strcmp(now, graded) != 0;
        free(now);
        if (changed)
            return true;
    }
}

int watch_run(const struct watch_config *config)
{
    char results[] = "/tmp/shmgrade-watch-XXXXXX";
    struct grade_result before = {0}, now;
    json_t *before_json = NULL, *now_json;
    bool have_before = false, tty = isatty(STDOUT_FILENO);
    int inotify = watch_folders(config), rc = 130;
    struct sigaction sa = {.sa_handler = on_interrupt};
    int fd = mkstemp(results);

    if (fd < 0) {
        fprintf(stderr, "shmgrade: mkstemp %s: %s\n", results, strerror(errno));
        return 3;
    }
    close(fd);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!interrupted) {
        char *graded = fingerprints(config);
        if (graded == NULL) {
            rc = 3;
            break;
        }
        if (tty)
            fputs("\033[H\033[2J", stdout);
        fflush(stdout);
        unlink(results);
        int status = grade_once(config, results);
        if (status < 0 || status == 2 || status == 3) {
            free(graded);
            rc = status < 0 ? 3 : status;
            break;
        }
        if (!interrupted && load_grade(results, &now, &now_json)) {
            if (have_before)
                show_changes(&before, &now);
            grade_result_free(&before);
            json_decref(before_json);
            before = now;
            before_json = now_json;
            have_before = true;
        }
        if (!interrupted)
            printf("watching %s for saves (%s); Ctrl-C ends\n",
                   config->n_labs == 1 ? config->labs[0] : "the labs",
                   inotify >= 0 ? "inotify, and a look every second" : "a look every second");
        fflush(stdout);
        bool saved = !interrupted && await_save(config, inotify, graded);
        free(graded);
        if (!saved)
            break;
    }
    if (rc == 130)
        printf("\nwatch: stopped\n");
    unlink(results);
    grade_result_free(&before);
    json_decref(before_json);
    if (inotify >= 0)
        close(inotify);
    return rc;
}
