/*
 * client.c - catches SIGINT and SIGTERM with a handler that sets a flag,
 * but installs it with SA_RESTART: the read inside fgets() resumes after
 * the handler, the flag is never looked at, and the client never ends.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "shmlab.h"

#define SHM_SIZE 4096

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

int main(int argc, char *argv[])
{
    struct sigaction action;
    char line[256];
    int id;
    int *mem;

    (void)argv;
    if (argc != 1)
        die_usage("usage: %s (no arguments)", program_name());

    memset(&action, 0, sizeof(action));
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) == -1 || sigaction(SIGTERM, &action, NULL) == -1)
        die_errno("sigaction");

    id = shmget(IPC_PRIVATE, SHM_SIZE, IPC_CREAT | 0600);
    if (id == -1)
        die_errno("shmget");
    printf("Allocated with shm id %d\n", id);

    mem = shmat(id, NULL, 0);
    if (mem == (void *)-1) {
        shmctl(id, IPC_RMID, NULL);
        die_errno("shmat");
    }
    printf("Attached --> Mem contents %d\n", *mem);
    *mem = 100;

    printf("Start other process, then press Enter\n");
    fflush(stdout);
    /* End of input counts as Enter. */
    (void)fgets(line, sizeof(line), stdin);

    if (shmctl(id, IPC_RMID, NULL) == -1)
        die_errno("shmctl");
    if (stop_signal == 0)
        printf("mem is now %d\n", *mem);
    if (shmdt(mem) == -1)
        die_errno("shmdt");
    return 0;
}
