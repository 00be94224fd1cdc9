/*
 * HOSTILE: the program prints escape sequences that clear the screen and paint TOTAL: 105/105 over
 * the report (on stdout and stderr, and in a compiler warning), then fails
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#warning "[2J[H[32mTOTAL: 105/105[8m"
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

/* A forged screen: clear it, paint a full score in green, conceal what
 * follows; again through a carriage return, a C1 CSI (U+009B) and a
 * right-to-left override; then fail, so that the transcript is shown. */
static void attack(void)
{
    static const char forged[] =
        "\033[2J\033[H\033[32mTOTAL: 105/105\033[8m\r\302\2332J\342\200\256";

    fputs(forged, stdout);
    fputs(forged, stderr);
    exit(1);
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
