/* inject.c - see inject.h. */
#define _GNU_SOURCE
#include "run/inject.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/context.h"
#include "sandbox/sandbox.h"

#define PERTURB_LIBRARY "libshmlab-perturb.so"

/* Copy FROM to TO (mode 0444); -1 with errno on failure. */
static int copy_read_only(const char *from, const char *to)
{
    struct stat st;
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;

    if (in >= 0 && fstat(in, &st) == 0 &&
        (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) >= 0) {
        off_t offset = 0;
        while (offset < st.st_size && sendfile(out, in, &offset, (size_t)(st.st_size - offset)) > 0)
            ;
        rc = offset == st.st_size ? 0 : -1;
    }
    int saved = errno;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    errno = saved;
    return rc;
}

bool prepare_injected_library(const char *work, char *why, size_t size)
{
    char self[PATH_MAX], from[PATH_MAX + 32], folder[PATH_MAX + 16], to[PATH_MAX + 48];
    static char installed[PATH_MAX + 48]; /* lives as long as the grading run */
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n < 0) {
        snprintf(why, size, "readlink /proc/self/exe: %s", strerror(errno));
        return false;
    }
    self[n] = '\0';
    snprintf(from, sizeof(from), "%s/%s", dirname(self), PERTURB_LIBRARY);
    if (access(from, R_OK) != 0)
        return true;
    snprintf(folder, sizeof(folder), "%s/inject", work);
    snprintf(to, sizeof(to), "%s/%s", folder, PERTURB_LIBRARY);
    if (mkdir(folder, 0755) < 0 || chmod(folder, 0755) < 0 || copy_read_only(from, to) < 0 ||
        !sandbox_share_read_only(folder)) {
        snprintf(why, size, "cannot install %s in %s: %s", from, folder, strerror(errno));
        return false;
    }
    snprintf(installed, sizeof(installed), "%s", to);
    harness_use_perturb_library(installed);
    return true;
}
