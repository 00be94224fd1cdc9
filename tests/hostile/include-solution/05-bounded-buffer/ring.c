/*
 * HOSTILE: hands in the reference solution itself, by including it from
 * the checkout at build time (@SHMLAB_ROOT@ is the checkout). The compiler
 * must not find it, or not be allowed to read it.
 */
#include "@SHMLAB_ROOT@/solutions/05-bounded-buffer/ring.c"
