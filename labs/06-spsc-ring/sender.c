/*
 * sender.c - create a ring and write COUNT numbered messages of SIZE
 * bytes into it, then close it. Part of the lab kit: you do not edit it;
 * it is how the grader (and you) drive your ring.c.
 *
 * Usage: sender NAME COUNT SIZE [CAPACITY]   (CAPACITY default 65536)
 *
 * It prints a line once the ring exists, one once every message is in the
 * ring, and one once its side is closed; the receiver may still be
 * reading then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "messages.h"
#include "ring.h"
#include "shmlab.h"

#define DEFAULT_CAPACITY 65536
#define MAX_COUNT        100000000L
#define MAX_SIZE         (1024L * 1024)
#define MAX_CAPACITY     (1L << 40)

int main(int argc, char *argv[])
{
    long count, size, capacity = DEFAULT_CAPACITY;
    unsigned char *message;
    struct ring *ring;

    if (argc < 4 || argc > 5)
        die_usage("usage: %s NAME COUNT SIZE [CAPACITY]", program_name());
    if (!is_valid_shm_name(argv[1]))
        die_usage("NAME must be '/' and 1 to 254 other characters, not '%s'", argv[1]);
    if (parse_long(argv[2], 0, MAX_COUNT, &count) == -1)
        die_usage("COUNT must be a number from 0 to %ld, not '%s'", MAX_COUNT, argv[2]);
    if (parse_long(argv[3], 1, MAX_SIZE, &size) == -1)
        die_usage("SIZE must be a number from 1 to %ld, not '%s'", MAX_SIZE, argv[3]);
    /* Any size: ring_create says which it takes. */
    if (argc > 4 && parse_long(argv[4], 1, MAX_CAPACITY, &capacity) == -1)
        die_usage("CAPACITY must be a number from 1 to %ld, not '%s'", MAX_CAPACITY, argv[4]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    message = malloc((size_t)size);
    if (message == NULL)
        die_errno("malloc");

    ring = ring_create(argv[1], (size_t)capacity);
    if (ring == NULL)
        die_errno("ring_create");
    printf("created ring %s of %zu bytes\n", argv[1], ring_capacity(ring));
    for (long i = 1; i <= count; i++) {
        make_message(message, (size_t)size, (uint64_t)i);
        if (ring_write(ring, message, (size_t)size) == -1)
            die_errno("ring_write");
    }
    printf("sent %ld messages of %ld bytes\n", count, size);
    if (ring_close(ring) == -1)
        die_errno("ring_close");
    free(message);
    printf("closed the ring\n");
    return 0;
}
