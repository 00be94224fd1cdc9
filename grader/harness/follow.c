/*
 * follow.c - following output too long to capture (lab 03's ten thousand
 * messages), and waiting for states without events.
 */
#include "harness/context.h"

enum follow_end follow_stdout(struct test_ctx *t, struct proc *p, int stall_ms, int total_ms,
                              bool (*on_line)(const char *line, void *arg), void *arg)
{
    enum follow_end end;
    size_t n = (size_t)(program_of(t, p) - t->programs) + 1;

    set_step(t, "following the output of `%s`", p->command);
    /* Under valgrind every program is slower: wait as much longer. */
    end = proc_follow_stdout(p, scaled_timeout_ms(stall_ms), scaled_timeout_ms(total_ms), on_line,
                             arg);
    t->rec->step[0] = '\0';
    /* After what ON_LINE recorded of the lines it saw (replay_line_seen,
     * the grader's answers): the script follows what comes after them. */
    if (t->checked_live == 0)
        replay_add(t, "follow %zu %g %g", n, stall_ms / 1000.0, total_ms / 1000.0);
    return end;
}
