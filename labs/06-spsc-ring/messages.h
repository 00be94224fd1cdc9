/*
 * messages.h - the messages the sender writes and the receiver checks
 * (the grader uses the same ones when it plays a side).
 *
 * Message I (from 1) of SIZE bytes is made of 8-byte words, little-endian,
 * cut at SIZE: word 0 is I itself, every other word a mix of I and its
 * place. Every byte depends on both, so a message lost, repeated, shifted
 * by a few bytes or made of two halves is told from the right one, and
 * word 0 says which message arrived instead.
 */
#ifndef MESSAGES_H
#define MESSAGES_H

#include <stddef.h>
#include <stdint.h>

/* Word K of message I. */
static inline uint64_t message_word(uint64_t i, size_t k)
{
    uint64_t x;

    if (k == 0)
        return i;
    x = i * 0x9E3779B97F4A7C15ull + k;
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Byte J of message I. */
static inline unsigned char message_byte(uint64_t i, size_t j)
{
    return (unsigned char)(message_word(i, j / 8) >> (8 * (j % 8)));
}

/* Fill BUF with message I of SIZE bytes. */
static inline void make_message(unsigned char *buf, size_t size, uint64_t i)
{
    for (size_t k = 0; k * 8 < size; k++) {
        uint64_t word = message_word(i, k);
        for (size_t j = k * 8; j < size && j < k * 8 + 8; j++, word >>= 8)
            buf[j] = (unsigned char)word;
    }
}

/* The first byte of BUF (SIZE bytes) that differs from message I, or SIZE
 * when BUF is message I. */
static inline size_t message_differs_at(const unsigned char *buf, size_t size, uint64_t i)
{
    for (size_t j = 0; j < size; j++)
        if (buf[j] != message_byte(i, j))
            return j;
    return size;
}

/* Word 0 of BUF: which message BUF claims to be (when SIZE >= 8). */
static inline uint64_t message_number(const unsigned char *buf)
{
    uint64_t i = 0;

    for (int j = 7; j >= 0; j--)
        i = i << 8 | buf[j];
    return i;
}

#endif
