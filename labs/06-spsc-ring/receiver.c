/*
 * receiver.c - open a ring and read messages of SIZE bytes from it,
 * checking each: message 1 first, then 2, each exactly once and whole.
 * Part of the lab kit: you do not edit it.
 *
 * Usage: receiver NAME SIZE [COUNT [FIRST]]
 *
 * Without COUNT it reads to the end of the stream (the sender closed and
 * every byte is read); with COUNT it takes COUNT messages and closes its
 * side early, as a reader that has had enough. FIRST (default 1) is the
 * message it expects first: a receiver that takes over a ring from one
 * that read messages 1 to FIRST - 1 and never closed. A wrong message is
 * reported on stderr (which one was due, which came), with exit status 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "messages.h"
#include "ring.h"
#include "shmlab.h"

#define MAX_COUNT 100000000L
#define MAX_SIZE  (1024L * 1024)

/* Message I (SIZE bytes) in BUF is not message I: say what it is. */
static _Noreturn void wrong_message(const unsigned char *buf, size_t size, long i)
{
    size_t at = message_differs_at(buf, size, (uint64_t)i);
    uint64_t claims = size >= 8 ? message_number(buf) : 0;

    if (at == 0 && claims > (uint64_t)i && message_differs_at(buf, size, claims) == size)
        die("message %ld was lost: message %" PRIu64 " came in its place", i, claims);
    if (at == 0 && claims >= 1 && claims < (uint64_t)i &&
        message_differs_at(buf, size, claims) == size)
        die("message %" PRIu64 " came again in the place of message %ld", claims, i);
    die("message %ld is wrong from byte %zu on (0x%02x where 0x%02x was due): torn, shifted or "
        "overwritten",
        i, at, buf[at], message_byte((uint64_t)i, at));
}

int main(int argc, char *argv[])
{
    long size, count = -1, first = 1, received = 0;
    unsigned char *message;
    struct ring *ring;

    if (argc < 3 || argc > 5)
        die_usage("usage: %s NAME SIZE [COUNT [FIRST]]", program_name());
    if (!is_valid_shm_name(argv[1]))
        die_usage("NAME must be '/' and 1 to 254 other characters, not '%s'", argv[1]);
    if (parse_long(argv[2], 1, MAX_SIZE, &size) == -1)
        die_usage("SIZE must be a number from 1 to %ld, not '%s'", MAX_SIZE, argv[2]);
    if (argc > 3 && parse_long(argv[3], 0, MAX_COUNT, &count) == -1)
        die_usage("COUNT must be a number from 0 to %ld, not '%s'", MAX_COUNT, argv[3]);
    if (argc > 4 && parse_long(argv[4], 1, MAX_COUNT, &first) == -1)
        die_usage("FIRST must be a number from 1 to %ld, not '%s'", MAX_COUNT, argv[4]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    message = malloc((size_t)size);
    if (message == NULL)
        die_errno("malloc");

    ring = ring_open(argv[1]);
    if (ring == NULL)
        die_errno("ring_open");
    printf("opened ring %s of %zu bytes\n", argv[1], ring_capacity(ring));
    while (count < 0 || received < count) {
        ssize_t n = ring_read(ring, message, (size_t)size);
        if (n == -1)
            die_errno("ring_read");
        if (n == 0)
            break;
        if (n < size)
            die("the stream ended inside message %ld: %zd of its %ld bytes came", first + received,
                n, size);
        if (message_differs_at(message, (size_t)size, (uint64_t)(first + received)) < (size_t)size)
            wrong_message(message, (size_t)size, first + received);
        received++;
    }
    if (count >= 0 && received < count)
        die("the stream ended after %ld of %ld messages", received, count);
    printf("received %ld messages of %ld bytes\n", received, size);
    if (ring_close(ring) == -1)
        die_errno("ring_close");
    free(message);
    printf("closed the ring\n");
    return 0;
}
