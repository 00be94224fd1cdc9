/* shmlab.c - see shmlab.h. */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "shmlab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Defined only where the lab's programs run as threads of one process
 * (make VARIANT=threads, threads.c): each thread's own program name. */
const char *shmlab_thread_program_name(void) __attribute__((weak));

const char *program_name(void)
{
    if (shmlab_thread_program_name != NULL)
        return shmlab_thread_program_name();
    return program_invocation_short_name;
}

_Noreturn void die_errno(const char *call)
{
    /* Save errno first: fprintf itself may change it. */
    int saved = errno;
    fprintf(stderr, "%s: %s: %s\n", program_name(), call, strerror(saved));
    exit(SHMLAB_EXIT_FAILURE);
}

static _Noreturn void die_with(int status, const char *format, va_list args)
{
    fprintf(stderr, "%s: ", program_name());
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    exit(status);
}

_Noreturn void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    die_with(SHMLAB_EXIT_FAILURE, format, args);
}

_Noreturn void die_usage(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    die_with(SHMLAB_EXIT_USAGE, format, args);
}

int parse_long(const char *text, long min, long max, long *out)
{
    char *end;
    long value;

    if (text == NULL || *text == '\0')
        return -1;
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

key_t shmlab_key(key_t fallback)
{
    const char *text = getenv("SHMLAB_KEY");
    char *end;
    long long value;

    if (text == NULL || *text == '\0')
        return fallback;
    errno = 0;
    value = strtoll(text, &end, 0);
    if (errno != 0 || *end != '\0' || value <= 0 || value > 0x7fffffff)
        die_usage("SHMLAB_KEY='%s' is not a positive key", text);
    return (key_t)value;
}

int is_valid_shm_name(const char *name)
{
    size_t length = strlen(name);
    return name[0] == '/' && length > 1 && length < 256 && strchr(name + 1, '/') == NULL;
}
