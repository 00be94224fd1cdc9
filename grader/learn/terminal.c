/* terminal.c - see terminal.h. */
#define _GNU_SOURCE
#include "learn/terminal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "report/report.h"

int terminal_width(FILE *out)
{
    const char *columns = getenv("COLUMNS");
    struct winsize size;
    long width = 0;

    if (columns != NULL && columns[0] != '\0')
        width = strtol(columns, NULL, 10);
    if (width <= 0 && isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &size) == 0)
        width = size.ws_col;
    if (width <= 0 || width > REPORT_WIDTH)
        return REPORT_WIDTH;
    return width < 40 ? 40 : (int)width;
}

static pid_t group_before = -1;

void terminal_give_back(void)
{
    sigset_t ttou, saved;

    if (group_before < 0)
        return;
    /* A background group that sets the foreground gets SIGTTOU: held. */
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &saved);
    if (tcsetpgrp(STDIN_FILENO, group_before) < 0 && errno != ENOTTY)
        fprintf(stderr, "shmgrade: tcsetpgrp: %s\n", strerror(errno));
    sigprocmask(SIG_SETMASK, &saved, NULL);
    group_before = -1;
}

void terminal_take(void)
{
    pid_t group = getpgrp();
    sigset_t ttou, saved;

    if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != group || group == getpid())
        return;
    if (setpgid(0, 0) < 0)
        return; /* stays in make's group: Ctrl-C reaches both */
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &saved);
    if (tcsetpgrp(STDIN_FILENO, getpid()) == 0) {
        group_before = group;
        atexit(terminal_give_back);
    } else {
        setpgid(0, group); /* back where it was */
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
}

static void (*interrupt_handler)(void);

static void on_signal(int sig)
{
    (void)sig;
    interrupt_handler();
}

void terminal_on_interrupt(void (*on_interrupt)(void))
{
    struct sigaction action = {.sa_handler = on_signal};

    interrupt_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGINT, &action, NULL) < 0 || sigaction(SIGTERM, &action, NULL) < 0) {
        perror("shmgrade: sigaction");
        exit(3);
    }
}
