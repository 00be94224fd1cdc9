/*
 * options.c - command lines read from tables (see options.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"

enum { MAX_OPTIONS = 32 };

int option_next(int argc, char *argv[], const struct option_spec *specs, size_t n)
{
    struct option longopts[MAX_OPTIONS + 1] = {{0}};
    char shortopts[2 * MAX_OPTIONS + 1];
    size_t short_len = 0;
    int code;

    if (n > MAX_OPTIONS) {
        fprintf(stderr, "internal error: %zu options, at most %d\n", n, MAX_OPTIONS);
        exit(3);
    }
    for (size_t i = 0; i < n; i++) {
        longopts[i] =
            (struct option){specs[i].name, specs[i].argument ? required_argument : no_argument,
                            NULL, specs[i].code};
        if (specs[i].code < 256) {
            shortopts[short_len++] = (char)specs[i].code;
            if (specs[i].argument)
                shortopts[short_len++] = ':';
        }
    }
    shortopts[short_len] = '\0';
    while ((code = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        const struct option_spec *spec = NULL;
        for (size_t i = 0; i < n && spec == NULL; i++)
            if (specs[i].code == code)
                spec = &specs[i];
        if (spec == NULL || (spec->text == NULL && spec->flag == NULL))
            return code;
        if (spec->text != NULL)
            *spec->text = optarg;
        else
            *spec->flag = true;
    }
    return -1;
}

bool named_value_find(const struct named_value *table, size_t n, const char *name, int *value)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, name) == 0) {
            *value = table[i].value;
            return true;
        }
    return false;
}

const char *named_value_name(const struct named_value *table, size_t n, int value)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].value == value)
            return table[i].name;
    return NULL;
}
