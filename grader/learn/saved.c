/* saved.c - see saved.h. */
#define _GNU_SOURCE
#include "learn/saved.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "core/text.h"
#include "report/formats.h"
#include "report/report.h"

#define RESULTS_FOLDER ".shmlab/results"

/* The files of a lab folder that decide its grade. */
static int is_source(const struct dirent *entry)
{
    static const char *const patterns[] = {"*.c", "*.h", "Makefile", "*.mk"};

    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
        if (fnmatch(patterns[i], entry->d_name, 0) == 0)
            return 1;
    return 0;
}

/* FNV-1a: enough to tell one set of sources from another, not a defence. */
static void hash_bytes(uint64_t *hash, const void *data, size_t len)
{
    const unsigned char *bytes = data;

    for (size_t i = 0; i < len; i++) {
        *hash ^= bytes[i];
        *hash *= 1099511628211ULL;
    }
}

/* PATH's bytes (allocated, *SIZE of them), or NULL with errno. */
static char *file_bytes(const char *path, size_t *size)
{
    FILE *in = fopen(path, "re");
    struct strbuf bytes = {0};
    char chunk[8192];
    size_t n;

    if (in == NULL)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        strbuf_add(&bytes, chunk, n);
    if (ferror(in)) {
        int saved_errno = errno;
        fclose(in);
        free(strbuf_take(&bytes));
        errno = saved_errno;
        return NULL;
    }
    fclose(in);
    *size = bytes.len;
    return strbuf_take(&bytes);
}

/* Add FOLDER's sources (names and contents, in name order) to HASH. */
static int hash_folder(uint64_t *hash, const char *folder)
{
    struct dirent **entries;
    int n = scandir(folder, &entries, is_source, alphasort);
    int rc = 0;

    if (n < 0) {
        fprintf(stderr, "shmgrade: scandir %s: %s\n", folder, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", folder, entries[i]->d_name);
        size_t size;
        char *text = file_bytes(path, &size);
        if (text == NULL) {
            fprintf(stderr, "shmgrade: cannot read %s: %s\n", path, strerror(errno));
            rc = -1;
        }
        hash_bytes(hash, entries[i]->d_name, strlen(entries[i]->d_name) + 1);
        if (text != NULL)
            hash_bytes(hash, text, size);
        free(text);
        free(path);
        free(entries[i]);
    }
    free(entries);
    return rc;
}

char *saved_fingerprint(const char *root, const char *lab, const char *shmgrade)
{
    uint64_t hash = 14695981039346656037ULL;
    char *folder = xasprintf("%s/labs/%s", root, lab);
    char *common = xasprintf("%s/labs/common", root);
    struct stat grader;
    int rc = hash_folder(&hash, folder) | hash_folder(&hash, common);

    free(common);
    free(folder);
    if (stat(shmgrade, &grader) < 0) {
        fprintf(stderr, "shmgrade: stat %s: %s\n", shmgrade, strerror(errno));
        return NULL;
    }
    return rc < 0 ? NULL
                  : xasprintf("%016llx-%lld-%lld.%09ld", (unsigned long long)hash,
                              (long long)grader.st_size, (long long)grader.st_mtim.tv_sec,
                              grader.st_mtim.tv_nsec);
}

static char *saved_path(const char *root, const char *lab)
{
    return xasprintf("%s/" RESULTS_FOLDER "/%s.json", root, lab);
}

bool saved_load(const char *root, const char *lab, const char *fingerprint,
                struct lab_result *result)
{
    char *path = saved_path(root, lab);
    json_t *saved = json_load_file(path, 0, NULL);
    const char *was = json_string_value(json_object_get(saved, "fingerprint"));
    struct grade_result grade;
    char why[256];
    bool loaded = false;

    free(path);
    if (was == NULL || strcmp(was, fingerprint) != 0) {
        json_decref(saved);
        return false;
    }
    if (grade_result_from_json(json_object_get(saved, "report"), &grade, why, sizeof(why)) == 0 &&
        grade.n_labs == 1 && strcmp(grade.labs[0].id, lab) == 0) {
        /* The lab result is the caller's now; the rest goes. */
        *result = grade.labs[0];
        grade.labs[0] = (struct lab_result){0};
        loaded = true;
    }
    grade_result_free(&grade);
    json_decref(saved);
    return loaded;
}

/* mkdir -p ROOT/.shmlab/results */
static int make_results_folder(const char *root)
{
    char *state = xasprintf("%s/.shmlab", root);
    char *results = xasprintf("%s/" RESULTS_FOLDER, root);
    int rc = 0;

    if ((mkdir(state, 0755) < 0 && errno != EEXIST) ||
        (mkdir(results, 0755) < 0 && errno != EEXIST)) {
        fprintf(stderr, "shmgrade: mkdir %s: %s\n", results, strerror(errno));
        rc = -1;
    }
    free(results);
    free(state);
    return rc;
}

int saved_store(const char *root, const struct lab_result *result, const char *fingerprint)
{
    struct grade_result grade = {.submission = "working copy",
                                 .labs = (struct lab_result *)result,
                                 .n_labs = 1,
                                 .score = result->score,
                                 .max_score = result->max_score};
    char *path = saved_path(root, result->id);
    char *partial = xasprintf("%s.new", path);
    json_t *saved;
    int rc = -1;

    if (make_results_folder(root) < 0)
        goto done;
    saved = json_pack("{s:s, s:o}", "fingerprint", fingerprint, "report", report_json(&grade));
    /* Written whole, then renamed: a grading stopped half-way leaves the
     * last result as it was. */
    if (saved == NULL || json_dump_file(saved, partial, JSON_INDENT(2)) != 0)
        fprintf(stderr, "shmgrade: cannot write %s\n", partial);
    else if (rename(partial, path) < 0)
        fprintf(stderr, "shmgrade: rename %s: %s\n", partial, strerror(errno));
    else
        rc = 0;
    json_decref(saved);
done:
    free(partial);
    free(path);
    return rc;
}
