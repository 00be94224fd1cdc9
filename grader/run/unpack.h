/*
 * unpack.h - a submission handed in as one archive (.tar.gz, .tgz, .tar,
 * .zip), unpacked with libarchive into the grader's work folder.
 *
 * An archive is untrusted input: an entry may try to escape the folder
 * (absolute paths, ".."), be a link, a device, or enormous. Every entry is
 * checked before a byte is written, files are written by this code alone
 * (never by archive_write_disk), and nothing lands outside the folder.
 */
#ifndef SHMGRADE_UNPACK_H
#define SHMGRADE_UNPACK_H

#include <stdbool.h>
#include <stddef.h>

/* Caps on what an archive may hold. */
#define ARCHIVE_MAX_ENTRIES    1000
#define ARCHIVE_MAX_ENTRY_SIZE (8 * 1024 * 1024)
#define ARCHIVE_MAX_TOTAL_SIZE (64 * 1024 * 1024)

/* The length of NAME's archive suffix (.tar.gz, .tgz, .tar or .zip, in any
 * case: Bob.ZIP is a zip), or 0 if NAME is no archive this grader unpacks. */
size_t archive_suffix_length(const char *name);

/* Does PATH name an archive this grader unpacks (by its name)? */
bool archive_name_supported(const char *path);

/*
 * Unpack ARCHIVE into DEST (an existing empty folder). On success returns
 * NULL and fills ROOT with the folder to grade: DEST, or the one folder
 * that wraps everything in it. Otherwise returns why the archive cannot
 * be used, one sentence (the caller frees it); DEST may then hold part of
 * it, and nothing outside DEST.
 */
char *archive_unpack(const char *archive, const char *dest, char *root, size_t size);

#endif
