/*
 * terminal.h - the terminal a person grades at: how wide it is, and Ctrl-C
 * for the grader alone.
 */
#ifndef SHMGRADE_TERMINAL_H
#define SHMGRADE_TERMINAL_H

#include <stdbool.h>
#include <stdio.h>

/* Columns a report line may take on OUT: REPORT_WIDTH, or fewer on a
 * narrower terminal ($COLUMNS, else the terminal's own size). */
int terminal_width(FILE *out);

/*
 * When the grader runs at a terminal inside another program's process
 * group (make grade, make watch), make it the terminal's foreground
 * process group of its own, so that Ctrl-C reaches the grader alone: it
 * ends the grading cleanly, and make does not report an interrupted
 * build. terminal_give_back() returns the terminal (also at exit).
 * Nothing happens away from a terminal, or when the grader already leads
 * its group (a shell started it).
 */
void terminal_take(void);
void terminal_give_back(void);

/*
 * Call ON_INTERRUPT (async-signal-safe) on SIGINT and SIGTERM, without
 * restarting system calls: waits end early and the caller looks.
 */
void terminal_on_interrupt(void (*on_interrupt)(void));

#endif
