/*
 * consumer.c - the seed's consumer, changed only where the contract says:
 * the key comes from SHMLAB_KEY, COUNT from the command line, and stdout
 * is line-buffered. It polls the plain int flag every 100 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "channel.h"

int usleep(unsigned usec); /* not in POSIX 2008; glibc still has it */

int main(int argc, char *argv[])
{
    int shmid;
    shared_data_t *shared_mem;
    long count = 5;

    if (argc > 2)
        die_usage("usage: %s [COUNT]", program_name());
    if (argc > 1 && parse_long(argv[1], 1, 1000000, &count) == -1)
        die_usage("bad COUNT '%s'", argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);

    // Get existing shared memory segment
    shmid = shmget(shmlab_key(CHANNEL_DEFAULT_KEY), sizeof(shared_data_t), 0666);
    if (shmid == -1) {
        perror("shmget failed - make sure producer is running first");
        exit(1);
    }

    // Attach shared memory
    shared_mem = (shared_data_t *)shmat(shmid, NULL, 0);
    if (shared_mem == (shared_data_t *)(-1)) {
        perror("shmat failed");
        exit(1);
    }

    printf("Consumer: Connected to shared memory\n");
    printf("Shared memory ID: %d\n", shmid);

    // Read data from shared memory
    int last_counter = 0;
    for (int i = 0; i < count; i++) {
        // Wait for new data
        while (shared_mem->ready == 0 || shared_mem->counter == last_counter) {
            usleep(100000); // Sleep for 100ms
        }

        printf("Consumer: Received - Counter: %d, Message: %s\n", shared_mem->counter,
               shared_mem->message);
        last_counter = shared_mem->counter;
    }

    // Detach shared memory
    shmdt(shared_mem);

    // Remove shared memory segment
    shmctl(shmid, IPC_RMID, NULL);

    printf("Consumer: Finished and cleaned up\n");
    return 0;
}
