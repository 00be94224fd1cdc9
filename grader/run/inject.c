/*
 * inject.c - see inject.h.
 *
 * The preload library is built into the grader itself (.incbin of what
 * make builds as build/libshmlab-perturb.so): a copy of shmgrade, pinned
 * elsewhere or shipped alone, still has it.
 */
#define _GNU_SOURCE
#include "run/inject.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/context.h"
#include "sandbox/sandbox.h"

#ifndef PERTURB_LIBRARY_PATH
#error "PERTURB_LIBRARY_PATH names the built libshmlab-perturb.so (the Makefile sets it)"
#endif

/* The library's bytes, between these two symbols. */
__asm__(".section .rodata\n"
        ".balign 16\n"
        "shmlab_perturb_library_start:\n"
        ".incbin \"" PERTURB_LIBRARY_PATH "\"\n"
        "shmlab_perturb_library_end:\n"
        ".previous\n");
extern const char shmlab_perturb_library_start[], shmlab_perturb_library_end[];

#define PERTURB_LIBRARY "libshmlab-perturb.so"

/* Write LEN bytes of DATA to the new file PATH (mode 0444); -1 with errno. */
static int write_read_only(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    size_t done = 0;

    if (fd < 0)
        return -1;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        done += (size_t)n;
    }
    return close(fd);
}

bool write_injected_library(const char *path)
{
    return write_read_only(path, shmlab_perturb_library_start,
                           (size_t)(shmlab_perturb_library_end - shmlab_perturb_library_start)) ==
           0;
}

bool prepare_injected_library(const char *work, char *why, size_t size)
{
    static char installed[4300]; /* lives as long as the grading run */
    char folder[4200];
    size_t len = (size_t)(shmlab_perturb_library_end - shmlab_perturb_library_start);

    snprintf(folder, sizeof(folder), "%s/inject", work);
    snprintf(installed, sizeof(installed), "%s/%s", folder, PERTURB_LIBRARY);
    if (mkdir(folder, 0755) < 0 || chmod(folder, 0755) < 0 ||
        write_read_only(installed, shmlab_perturb_library_start, len) < 0 ||
        !sandbox_share_read_only(folder)) {
        snprintf(why, size, "cannot install %s: %s", installed, strerror(errno));
        return false;
    }
    harness_use_perturb_library(installed);
    return true;
}
