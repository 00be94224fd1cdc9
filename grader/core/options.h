/*
 * options.h - command lines read from tables.
 *
 * Each program lists its options once, in a table that getopt_long's
 * arguments are made from; most options only store their argument or set
 * a flag, and the table says where, so each program's getopt loop keeps
 * only the options that need checking. A word that names one of a few values (a
 * report format, an isolation level, a kind of IPC object) is looked up
 * in a table of names, so the list of accepted words lives once, beside
 * the values it gives.
 */
#ifndef SHMGRADE_OPTIONS_H
#define SHMGRADE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * One option of a command line, listed once: its long name, its letter
 * (or a number above 255 when it has none), whether it takes an argument,
 * and, for a plain option, where its argument goes (TEXT) or the flag it
 * sets (FLAG). Options with neither are the program's to handle.
 */
struct option_spec {
    const char *name;
    int code;
    bool argument;
    const char **text;
    bool *flag;
};

/*
 * The next option in ARGV that SPECS[0..N) (at most 32) do not store
 * themselves, as getopt_long returns it: its code, '?' for an unknown
 * option or a missing argument (getopt has said which), -1 at the end
 * (then optind is the first operand). optarg holds its argument.
 */
int option_next(int argc, char *argv[], const struct option_spec *specs, size_t n);

/* A word and the value it names. */
struct named_value {
    const char *name;
    int value;
};

/* The value NAME names in TABLE[0..N) into *VALUE; false if none. */
bool named_value_find(const struct named_value *table, size_t n, const char *name, int *value);

/* The name of VALUE in TABLE[0..N), or NULL. */
const char *named_value_name(const struct named_value *table, size_t n, int value);

#define TABLE_LENGTH(table) (sizeof(table) / sizeof((table)[0]))

#endif
