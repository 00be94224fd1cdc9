/*
 * ipc_tool.h - `shmgrade --ipc ACTION ARG...`: what a replay script
 * (labs/common/replay.sh) cannot do in shell, done the way the harness
 * does it: make a System V segment or semaphore set for the student's
 * programs, read one, look for objects at a key, remove them.
 */
#ifndef SHMGRADE_IPC_TOOL_H
#define SHMGRADE_IPC_TOOL_H

/* Run the ARGC ACTION and ARGS of ARGV (ARGV[0] is the action); the exit
 * status: 0 done, 1 no such object, 2 bad usage, 3 a call failed. */
int ipc_tool(int argc, char *const argv[]);

#endif
