/*
 * HOSTILE: the program works, but first makes a POSIX message queue and leaves it (where
 * /dev/mqueue is not mounted, no file lists it)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <unistd.h>
/*
 * counter.c - add to a count shared by several processes, one at a time.
 *
 * Usage: counter WORKERS ITERATIONS [PAUSE_US | step]
 *
 * WORKERS processes in all run this program with the same SHMLAB_KEY.
 * Each adds 1 to the count ITERATIONS times, inside a critical section
 * guarded by a System V semaphore (1 = free, 0 = taken). Inside, it reads
 * the count, pauses PAUSE_US microseconds (or, with "step", prints the
 * count and waits for a line on stdin), then stores the count plus one.
 * The WORKERS-th process to finish is the last out: it removes the
 * segment and the semaphore set and prints the final count.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "shmlab.h"

/* The seed's SHM_KEY; the grader gives every run its own SHMLAB_KEY. */
#define DEFAULT_KEY   54321
#define MAX_WORKERS   1000
#define MAX_ITERATION 100000000L
#define MAX_PAUSE_US  1000000L
/* How long a process waits for another one to finish creating the set. */
#define INIT_WAIT_MS 10000

/* What lives in the segment. A new segment is zero-filled by the kernel,
 * so both fields start at 0 without anyone initialising them. */
struct shared {
    long count;    /* the shared count */
    long departed; /* workers that have finished their loop */
};

/* The caller of semctl defines this union (SUSv3); glibc does not. */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

struct options {
    long workers, iterations, pause_us;
    int step; /* "step": wait for a line inside the critical section */
};

static void parse_options(int argc, char *argv[], struct options *opt)
{
    if (argc < 3 || argc > 4)
        die_usage("usage: %s WORKERS ITERATIONS [PAUSE_US | step]", program_name());
    if (parse_long(argv[1], 1, MAX_WORKERS, &opt->workers) == -1)
        die_usage("WORKERS must be a whole number from 1 to %d, not '%s'", MAX_WORKERS, argv[1]);
    if (parse_long(argv[2], 1, MAX_ITERATION, &opt->iterations) == -1)
        die_usage("ITERATIONS must be a whole number from 1 to %ld, not '%s'", MAX_ITERATION,
                  argv[2]);
    opt->pause_us = 100;
    opt->step = 0;
    if (argc == 4 && strcmp(argv[3], "step") == 0)
        opt->step = 1;
    else if (argc == 4 && parse_long(argv[3], 0, MAX_PAUSE_US, &opt->pause_us) == -1)
        die_usage("PAUSE_US must be 'step' or a whole number from 0 to %ld, not '%s'", MAX_PAUSE_US,
                  argv[3]);
}

static void pause_briefly(long microseconds)
{
    struct timespec ts = {.tv_sec = microseconds / 1000000,
                          .tv_nsec = (microseconds % 1000000) * 1000};
    if (nanosleep(&ts, NULL) == -1)
        die_errno("nanosleep");
}

/*
 * Add DELTA to the semaphore. SEM_UNDO makes the kernel give back what a
 * process took if it dies holding the semaphore, so a killed worker cannot
 * lock the others out forever.
 */
static void change_semaphore(int semid, short delta)
{
    struct sembuf op = {.sem_num = 0, .sem_op = delta, .sem_flg = SEM_UNDO};

    /* Linux fails a blocked semop with EINTR after SIGSTOP and SIGCONT,
     * even without a handler; nothing was done, so ask again. */
    while (semop(semid, &op, 1) == -1)
        if (errno != EINTR)
            die_errno("semop");
}

static void lock(int semid)
{
    change_semaphore(semid, -1);
}

static void unlock(int semid)
{
    change_semaphore(semid, +1);
}

/*
 * Set up a set we have just created: value 1 (free). SETVAL makes the
 * value defined (POSIX leaves a new set's values unspecified); the semop
 * then raises it to 1 and, as a side effect, sets sem_otime, which is how
 * the others know the set is ready. No SEM_UNDO here: this 1 is the
 * semaphore's initial value, not a lock we hold, and must survive us.
 */
static void initialise_semaphore(int semid)
{
    union semun arg = {.val = 0};
    struct sembuf release = {.sem_num = 0, .sem_op = 1, .sem_flg = 0};

    if (semctl(semid, 0, SETVAL, arg) == -1)
        die_errno("semctl");
    if (semop(semid, &release, 1) == -1)
        die_errno("semop");
}

/* Wait until the creator has initialised the set: sem_otime is 0 until
 * the first semop (semget(2), "Semaphore initialization"; TLPI 47.5). */
static void wait_until_initialised(int semid)
{
    struct semid_ds ds;
    union semun arg = {.buf = &ds};

    for (int waited_ms = 0;; waited_ms++) {
        if (semctl(semid, 0, IPC_STAT, arg) == -1)
            die_errno("semctl");
        if (ds.sem_otime != 0)
            return;
        if (waited_ms == INIT_WAIT_MS)
            die("the semaphore set was created but never initialised (did its creator die?)");
        pause_briefly(1000);
    }
}

/*
 * Create the semaphore set, or join the one another worker created.
 * Exactly one process succeeds with IPC_EXCL and initialises the set;
 * every other one waits until that is done, so nobody resets a semaphore
 * that someone already holds (the seed's SETVAL in every process).
 */
static int join_semaphore(key_t key)
{
    for (;;) {
        int semid = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
        if (semid != -1) {
            initialise_semaphore(semid);
            return semid;
        }
        if (errno != EEXIST)
            die_errno("semget");
        semid = semget(key, 1, 0600);
        if (semid != -1) {
            wait_until_initialised(semid);
            return semid;
        }
        /* Removed between our two calls: try to create it again. */
        if (errno != ENOENT)
            die_errno("semget");
    }
}

/* Create or open the segment (zero-filled when new) and attach it. */
static struct shared *attach_segment(key_t key, int *shmid)
{
    struct shared *shared;

    *shmid = shmget(key, sizeof(struct shared), IPC_CREAT | 0600);
    if (*shmid == -1)
        die_errno("shmget");
    shared = shmat(*shmid, NULL, 0);
    if (shared == (void *)-1)
        die_errno("shmat");
    return shared;
}

/* Block until a line (or the end of input) arrives on stdin. */
static void wait_for_line(void)
{
    int c;

    while ((c = getchar()) != EOF && c != '\n')
        ;
    if (ferror(stdin))
        die_errno("read stdin");
}

/* The critical section: a read-modify-write widened on purpose. */
static void add_one(struct shared *shared, const struct options *opt)
{
    long seen = shared->count;

    if (opt->step) {
        printf("Process %d: in critical section, count %ld\n", (int)getpid(), seen);
        /* stdout to a pipe is block-buffered: the line must leave now. */
        if (fflush(stdout) == EOF)
            die_errno("fflush");
        wait_for_line();
    } else if (opt->pause_us > 0) {
        pause_briefly(opt->pause_us);
    }
    shared->count = seen + 1;
}

/* A POSIX message queue made and left, under a name no test uses: where
 * /dev/mqueue is not mounted, no file lists it. */
static void attack(void)
{
    char name[64];
    mqd_t queue;

    snprintf(name, sizeof(name), "/shmlab-leave-queue-%d", (int)getpid());
    queue = mq_open(name, O_CREAT | O_RDWR, 0600, NULL);
    if (queue != (mqd_t)-1)
        mq_close(queue);
}

int main(int argc, char *argv[])
{
    attack();
    struct options opt;
    struct shared *shared;
    long departed, final_count;
    int semid, shmid;
    key_t key;

    parse_options(argc, argv, &opt);
    key = shmlab_key(DEFAULT_KEY);
    semid = join_semaphore(key);
    shared = attach_segment(key, &shmid);

    for (long i = 0; i < opt.iterations; i++) {
        lock(semid);
        add_one(shared, &opt);
        unlock(semid);
    }

    /* Count ourselves out under the lock: two workers leaving together
     * must not both think they are last, or both think they are not. */
    lock(semid);
    departed = ++shared->departed;
    final_count = shared->count;
    unlock(semid);

    if (departed == opt.workers) {
        /* Everyone else has counted out, so nobody touches the objects
         * again; attached segments live on until their last shmdt. */
        if (shmctl(shmid, IPC_RMID, NULL) == -1)
            die_errno("shmctl");
        if (semctl(semid, 0, IPC_RMID) == -1)
            die_errno("semctl");
        printf("Process %d: last out, final count %ld\n", (int)getpid(), final_count);
    } else {
        printf("Process %d: done\n", (int)getpid());
    }
    if (shmdt(shared) == -1)
        die_errno("shmdt");
    return 0;
}
