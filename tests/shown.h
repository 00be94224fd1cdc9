/*
 * shown.h - assertions that untrusted text in a report acts on nothing:
 * no terminal, browser or parser reading the report would treat any of it
 * as anything but characters to show.
 */
#ifndef SHMLAB_TESTS_SHOWN_H
#define SHMLAB_TESTS_SHOWN_H

#include <jansson.h>

/* TEXT (WHAT, in a failure) holds only newline and tab among the C0
 * controls, no DEL, no C1 control, no bidirectional override, and nothing
 * that is not UTF-8. */
void assert_shows_no_control(const char *what, const char *text);

/* The same for every string in JSON, as a program reading it sees it. */
void assert_json_shows_no_control(const char *what, json_t *json);

#endif
