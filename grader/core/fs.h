/*
 * fs.h - the file system chores every program of the grader shares.
 */
#ifndef SHMGRADE_FS_H
#define SHMGRADE_FS_H

#include <stddef.h>

/*
 * Remove PATH and, when it is a folder, everything in it. A symbolic link
 * is removed, never followed, so a link a student's program left cannot
 * lead the removal anywhere else. Goes on past what it cannot remove.
 * Returns 0 when PATH is gone (or never was), else -1 with errno from the
 * first failure. *REMOVED (if not NULL) counts the entries removed.
 */
int remove_tree(const char *path, size_t *removed);

#endif
