/*
 * producer.c - the seed's producer, changed only where the contract says:
 * the key comes from SHMLAB_KEY, COUNT and INTERVAL_MS from the command
 * line, and stdout is line-buffered. Its protocol is the seed's: set the
 * flag, sleep, clear the flag - it never waits for the consumer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"

int main(int argc, char *argv[])
{
    int shmid;
    shared_data_t *shared_mem;
    long count = 5, interval_ms = 1000;

    if (argc > 3)
        die_usage("usage: %s [COUNT [INTERVAL_MS]]", program_name());
    if (argc > 1 && parse_long(argv[1], 1, 1000000, &count) == -1)
        die_usage("bad COUNT '%s'", argv[1]);
    if (argc > 2 && parse_long(argv[2], 0, 60000, &interval_ms) == -1)
        die_usage("bad INTERVAL_MS '%s'", argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);

    // Create shared memory segment
    shmid = shmget(shmlab_key(CHANNEL_DEFAULT_KEY), sizeof(shared_data_t), IPC_CREAT | 0666);
    if (shmid == -1) {
        perror("shmget failed");
        exit(1);
    }

    // Attach shared memory
    shared_mem = (shared_data_t *)shmat(shmid, NULL, 0);
    if (shared_mem == (shared_data_t *)(-1)) {
        perror("shmat failed");
        exit(1);
    }

    // Initialize shared data
    shared_mem->counter = 0;
    shared_mem->ready = 0;
    strcpy(shared_mem->message, "Initial message");

    printf("Producer: Shared memory initialized\n");
    printf("Shared memory ID: %d\n", shmid);

    // Simulate data production
    for (int i = 0; i < count; i++) {
        shared_mem->counter = i + 1;
        sprintf(shared_mem->message, "Message number %d from producer", i + 1);
        shared_mem->ready = 1;

        printf("Producer: Sent message %d\n", i + 1);
        nanosleep(&(struct timespec){interval_ms / 1000, interval_ms % 1000 * 1000000L}, NULL);

        shared_mem->ready = 0; // Reset for next message
    }

    // Detach shared memory
    shmdt(shared_mem);

    printf("Producer: Finished\n");
    return 0;
}
