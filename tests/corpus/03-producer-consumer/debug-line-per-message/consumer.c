/*
 * consumer.c - receive COUNT messages from a running producer, each
 * exactly once and in order, then remove the shared segment.
 *
 * Usage: consumer [COUNT]   (default: 5 messages)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "channel.h"

#define DEFAULT_COUNT 5
#define MAX_COUNT     1000000

/* The producer's segment at KEY; the consumer never creates one. */
static int find_segment(key_t key)
{
    int id = shmget(key, sizeof(struct channel), 0);

    if (id == -1 && errno == ENOENT)
        die("shmget: %s: no segment with key 0x%x: start the producer first", strerror(ENOENT),
            (unsigned)key);
    if (id == -1)
        die_errno("shmget");
    return id;
}

int main(int argc, char *argv[])
{
    long count = DEFAULT_COUNT;
    char message[MESSAGE_SIZE];
    struct channel *ch;
    int id, counter;

    if (argc > 2)
        die_usage("usage: %s [COUNT]", program_name());
    if (argc > 1 && parse_long(argv[1], 1, MAX_COUNT, &count) == -1)
        die_usage("COUNT must be a number from 1 to %d, not '%s'", MAX_COUNT, argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);

    id = find_segment(shmlab_key(CHANNEL_DEFAULT_KEY));
    ch = shmat(id, NULL, 0);
    if (ch == (void *)-1)
        die_errno("shmat");
    printf("Consumer: Connected to shared memory\n");
    printf("Shared memory ID: %d\n", id);

    for (long i = 1; i <= count; i++) {
        channel_wait(&ch->ready, CHANNEL_FULL);
        /* Copy out before handing the struct back: after channel_set the
         * producer may overwrite it at once. Never trust the other side
         * to have terminated the string. */
        counter = ch->counter;
        memcpy(message, ch->message, sizeof(message));
        message[sizeof(message) - 1] = '\0';
        channel_set(&ch->ready, CHANNEL_EMPTY);
        /* A debugging line per message, on stderr: allowed by the contract. */
        fprintf(stderr,
                "consumer: debug: took message %ld (counter %d) and handed the struct back\n", i,
                counter);
        printf("Consumer: Received - Counter: %d, Message: %s\n", counter, message);
    }

    if (shmctl(id, IPC_RMID, NULL) == -1)
        die_errno("shmctl");
    if (shmdt(ch) == -1)
        die_errno("shmdt");
    printf("Consumer: Finished and cleaned up\n");
    return 0;
}
