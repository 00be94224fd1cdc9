/*
 * channel.h - the seed's struct, as it is.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include "shmlab.h"

#define CHANNEL_DEFAULT_KEY 12345

typedef struct {
    int counter;
    char message[256];
    int ready;
} shared_data_t;

#endif
