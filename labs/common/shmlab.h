/*
 * shmlab.h - the few helpers every lab may use.
 *
 * They exist so that each lab program can check every system call in one
 * line, in the style of The Linux Programming Interface: a failure prints
 * one line on stderr naming the call and strerror(errno), then exits.
 */
#ifndef SHMLAB_H
#define SHMLAB_H

#include <sys/ipc.h> /* key_t */
#include <sys/types.h>

/* Exit status of a program given a command line it cannot use. */
#define SHMLAB_EXIT_USAGE 2
/* Exit status of a program whose work failed (a system call, bad data). */
#define SHMLAB_EXIT_FAILURE 1

/* Print "PROGRAM: CALL: strerror(errno)" on stderr and exit 1. */
_Noreturn void die_errno(const char *call);

/* Print "PROGRAM: " and the formatted message on stderr and exit 1. */
_Noreturn void die(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Print "PROGRAM: " and the formatted message on stderr and exit 2. */
_Noreturn void die_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parse TEXT as a whole decimal number in [MIN, MAX] into *OUT.
 * Returns 0 on success and -1 (leaving *OUT alone) when TEXT is empty, has
 * trailing characters, or is out of range: atoi() and sscanf("%d") accept
 * "12abc" and overflow silently, which is how the seeds' server misreads ids.
 */
int parse_long(const char *text, long min, long max, long *out);

/*
 * The System V IPC key a lab program should use: SHMLAB_KEY from the
 * environment when it is set (decimal or 0x hexadecimal), else FALLBACK.
 * Fixed keys collide when two runs share a machine, so the grader gives
 * every run its own key. Exits with status 2 if SHMLAB_KEY is malformed.
 */
key_t shmlab_key(key_t fallback);

/*
 * Is NAME a portable POSIX shared memory name: "/" then 1 to 254
 * characters, none of them "/"? Other forms are implementation-defined,
 * and glibc quietly accepts some of them.
 */
int is_valid_shm_name(const char *name);

/* The name this program was started as, for messages. */
const char *program_name(void);

#endif
