/*
 * coverage.h - line coverage of code that ends with _exit().
 *
 * gcov writes its counters when a process exits through exit(); the
 * grader's test processes and forks end with _exit(), so in a coverage
 * build (make coverage defines SHMLAB_COVERAGE) they write them first.
 */
#ifndef SHMGRADE_COVERAGE_H
#define SHMGRADE_COVERAGE_H

#ifdef SHMLAB_COVERAGE
void __gcov_dump(void);
static inline void coverage_flush(void)
{
    __gcov_dump();
}
#else
static inline void coverage_flush(void)
{
}
#endif

#endif
