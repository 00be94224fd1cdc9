/*
 * preflight.h - what the machine must give a grading run, checked once
 * before any test, so that a run that cannot grade fairly says why and
 * grades nothing rather than failing tests the submission would pass.
 */
#ifndef SHMGRADE_PREFLIGHT_H
#define SHMGRADE_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Without namespaces, every test's POSIX shared memory objects live in the
 * machine's /dev/shm (with namespaces each test has a private 64 MiB one,
 * and the machine's does not matter). It must be at least as large as that
 * private one, so that a submission has the same room in both levels, and
 * hold enough free space for the biggest file a student program may write
 * (the 16 MiB of its RLIMIT_FSIZE). Docker gives a container 64 MiB unless
 * told otherwise (--shm-size).
 */
#define PREFLIGHT_SHM_MIN_SIZE (64ull * 1024 * 1024)
#define PREFLIGHT_SHM_MIN_FREE (16ull * 1024 * 1024)

/*
 * Is a /dev/shm at DIR of TOTAL bytes, AVAILABLE of them free, room enough? If
 * not, false with the reason and the remedy in WHY.
 */
bool preflight_shm_room(const char *dir, unsigned long long total, unsigned long long available,
                        char *why, size_t size);

/* DIR exists, is a folder anyone may create objects in (mode 1777, as
 * shm_open needs), and has room enough. */
bool preflight_shared_memory(const char *dir, char *why, size_t size);

/*
 * The grader inspects the System V objects student programs make (IPC_STAT,
 * shmat, semctl), removes them (IPC_RMID: a test's own cleanup, and the
 * leftovers after each test), and reads in which system call they wait
 * (/proc/PID/syscall). When they run as another user (STUDENTS, not the
 * GRADER's own), it can do none of it without CAP_IPC_OWNER, CAP_SYS_ADMIN
 * and CAP_SYS_PTRACE, and containers drop all three (Docker does by
 * default): the grader would fail tests the programs pass. False, with the
 * remedy in WHY, in that case.
 */
bool preflight_students_objects(uid_t grader, uid_t students, char *why, size_t size);

/* Every check the grading run needs, for the isolation level sandbox_setup()
 * chose: call it after that. False, with the reason in WHY, if grading here
 * cannot be fair. */
bool preflight_check(char *why, size_t size);

#endif
