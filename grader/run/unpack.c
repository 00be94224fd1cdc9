/* unpack.c - see unpack.h. */
#define _GNU_SOURCE
#include "run/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"

size_t archive_suffix_length(const char *name)
{
    static const char *const suffixes[] = {".tar.gz", ".tgz", ".tar", ".zip"};
    size_t len = strlen(name);

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t suffix = strlen(suffixes[i]);
        if (len >= suffix && strcasecmp(name + len - suffix, suffixes[i]) == 0)
            return suffix;
    }
    return 0;
}

bool archive_name_supported(const char *path)
{
    return archive_suffix_length(path) > 0;
}

/*
 * NAME as a relative path with no "." or ".." component and no empty one,
 * into CLEAN; false if it would leave the folder or is not a path. Names
 * made only of "." components ("./", as `tar -C dir -czf x.tgz .` writes
 * first) are the folder itself: CLEAN is then empty.
 */
static bool clean_relative_path(const char *name, char *clean, size_t size)
{
    char copy[PATH_MAX];
    char *save = NULL;
    size_t len = 0;

    if (name == NULL || name[0] == '\0' || name[0] == '/' || strlen(name) >= sizeof(copy))
        return false;
    snprintf(copy, sizeof(copy), "%s", name);
    clean[0] = '\0';
    for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0)
            continue;
        if (strcmp(part, "..") == 0 || strchr(part, '\\') != NULL)
            return false;
        int n = snprintf(clean + len, size - len, "%s%s", len ? "/" : "", part);
        if (n < 0 || (size_t)n >= size - len)
            return false;
        len += (size_t)n;
    }
    return true;
}

/* Create the folders of RELATIVE (all but its last part) under DEST;
 * every existing one must be a real folder, never a link. */
static bool make_parents(const char *dest, const char *relative, bool include_last)
{
    char path[PATH_MAX * 2];
    size_t base = (size_t)snprintf(path, sizeof(path), "%s/", dest);
    const char *slash;

    for (const char *p = relative;; p = slash + 1) {
        struct stat st;
        slash = strchr(p, '/');
        if (slash == NULL && !include_last)
            return true;
        size_t end = slash ? (size_t)(slash - relative) : strlen(relative);
        snprintf(path + base, sizeof(path) - base, "%.*s", (int)end, relative);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return false;
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            return false;
        if (slash == NULL)
            return true;
    }
}

/* Write the data of the current entry to DEST/RELATIVE. */
static char *write_entry(struct archive *a, const char *dest, const char *relative, size_t *total)
{
    char path[PATH_MAX * 2], buf[65536];
    size_t written = 0;
    ssize_t n;
    int fd;

    if (!make_parents(dest, relative, false))
        return xasprintf("cannot create the folders of %s in the work folder", relative);
    snprintf(path, sizeof(path), "%s/%s", dest, relative);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
        return xasprintf("%s appears twice in the archive", relative);
    if (fd < 0)
        return xasprintf("cannot write %s: %s", relative, strerror(errno));
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
        written += (size_t)n;
        *total += (size_t)n;
        if (written > ARCHIVE_MAX_ENTRY_SIZE) {
            close(fd);
            return xasprintf("%s is larger than %d MiB; an archive entry may have at most that",
                             relative, ARCHIVE_MAX_ENTRY_SIZE / (1024 * 1024));
        }
        if (*total > ARCHIVE_MAX_TOTAL_SIZE) {
            close(fd);
            return xasprintf("the archive unpacks to more than %d MiB",
                             ARCHIVE_MAX_TOTAL_SIZE / (1024 * 1024));
        }
        if (write(fd, buf, (size_t)n) != n) {
            close(fd);
            return xasprintf("cannot write %s: %s", relative, strerror(errno));
        }
    }
    close(fd);
    if (n < 0)
        return xasprintf("%s cannot be read from the archive: %s", relative,
                         archive_error_string(a));
    return NULL;
}

/* Check one entry, then create it; NULL or the problem. */
static char *unpack_entry(struct archive *a, struct archive_entry *entry, const char *dest,
                          size_t *total)
{
    const char *name = archive_entry_pathname(entry);
    char relative[PATH_MAX];
    mode_t type = archive_entry_filetype(entry);

    if (!clean_relative_path(name, relative, sizeof(relative)))
        return xasprintf("the archive holds the path '%.200s', which leads outside its folder; "
                         "an archive may hold only relative paths inside it",
                         name ? name : "(unreadable name)");
    if (relative[0] == '\0') /* "./": the folder the archive was made of */
        return type == AE_IFDIR ? NULL
                                : xasprintf("the archive holds an entry named '%.200s', which "
                                            "names no file",
                                            name);
    if (archive_entry_hardlink(entry) != NULL || type == AE_IFLNK)
        return xasprintf("%s is a %s link in the archive; submit the file itself", relative,
                         type == AE_IFLNK ? "symbolic" : "hard");
    if (type == AE_IFDIR)
        return make_parents(dest, relative, true)
                   ? NULL
                   : xasprintf("cannot create the folder %s in the work folder", relative);
    if (type != AE_IFREG)
        return xasprintf("%s is not a plain file or folder (a device, pipe or socket)", relative);
    if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > ARCHIVE_MAX_ENTRY_SIZE)
        return xasprintf("%s is %lld bytes; an archive entry may have at most %d MiB", relative,
                         (long long)archive_entry_size(entry),
                         ARCHIVE_MAX_ENTRY_SIZE / (1024 * 1024));
    return write_entry(a, dest, relative, total);
}

/* The one folder that wraps everything in DEST (as "tar czf x.tgz dir"
 * makes), unless DEST itself looks like a submission. */
static void find_root(const char *dest, char *root, size_t size)
{
    DIR *dir = opendir(dest);
    struct dirent *entry;
    char only[NAME_MAX + 1] = "";
    int n = 0;

    snprintf(root, size, "%s", dest);
    if (dir == NULL)
        return;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (n++ == 0)
            snprintf(only, sizeof(only), "%s", entry->d_name);
    }
    closedir(dir);
    if (n == 1 && strcmp(only, "labs") != 0 && !(only[0] >= '0' && only[0] <= '9')) {
        char path[PATH_MAX * 2];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dest, only);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            snprintf(root, size, "%s", path);
    }
}

char *archive_unpack(const char *path, const char *dest, char *root, size_t size)
{
    struct archive *a = archive_read_new();
    struct archive_entry *entry;
    size_t total = 0;
    int entries = 0, r;
    char *why = NULL;

    if (a == NULL)
        return xasprintf("out of memory");
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        why = xasprintf("%s is not a readable .tar.gz, .tar or .zip archive: %s", path,
                        archive_error_string(a));
        archive_read_free(a);
        return why;
    }
    while (why == NULL && (r = archive_read_next_header(a, &entry)) != ARCHIVE_EOF) {
        if (r < ARCHIVE_WARN) {
            why = xasprintf("%s is not a readable .tar.gz, .tar or .zip archive: %s", path,
                            archive_error_string(a));
            break;
        }
        if (++entries > ARCHIVE_MAX_ENTRIES) {
            why = xasprintf("the archive holds more than %d entries", ARCHIVE_MAX_ENTRIES);
            break;
        }
        why = unpack_entry(a, entry, dest, &total);
    }
    archive_read_free(a);
    if (why == NULL && entries == 0)
        why = xasprintf("the archive %s is empty", path);
    if (why == NULL)
        find_root(dest, root, size);
    return why;
}
