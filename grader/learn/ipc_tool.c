/* ipc_tool.c - see ipc_tool.h. */
#define _GNU_SOURCE
#include "learn/ipc_tool.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "core/ipc.h"
#include "run/inject.h"

/* The caller of semctl defines this union (SUSv3). */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int usage(void)
{
    fputs("usage: shmgrade --ipc ACTION ARG... (for replay scripts: labs/common/replay.sh)\n"
          "  make-segment SIZE VALUE        a private segment (0600) holding VALUE; its id\n"
          "  exchange ID VALUE              the int segment ID holds, and VALUE stored there\n"
          "  make-segment-at KEY SIZE       a segment (0600) at KEY, as a lab's program makes it\n"
          "  read-int ID OFFSET             the int at OFFSET of segment ID (acquire)\n"
          "  write-int ID OFFSET VALUE      VALUE into the int at OFFSET (release)\n"
          "  write-bytes ID OFFSET ZEROS    the bytes of stdin at OFFSET, then ZEROS zero bytes\n"
          "  show-segment ID                the segment's size, mode and users\n"
          "  remove-segment ID              remove it\n"
          "  segments-made-by PID           ids of the segments PID created\n"
          "  make-semaphores KEY N MODE     a set of N semaphores, not initialised; its id\n"
          "  set-semaphore ID NUM VALUE     SETVAL\n"
          "  change-semaphore ID NUM DELTA  semop, without waiting\n"
          "  waiters KEY                    processes waiting on the set at KEY\n"
          "  show KIND KEY, mode KIND KEY   the object of KIND (segment, semaphores,\n"
          "                                 queue) at KEY, or its mode\n"
          "  at-key KEY                     every object at KEY\n"
          "  remove KIND KEY                remove the object of KIND at KEY\n"
          "  remove-at segment:ID|key:KEY   remove that segment, or all at KEY\n"
          "  perturb-library PATH           write libshmlab-perturb.so there\n",
          stderr);
    return 2;
}

/* TEXT as a whole number (any base strtol reads: 0x... for keys). */
static bool number(const char *text, long *value)
{
    char *end;
    errno = 0;
    *value = strtol(text, &end, 0);
    return errno == 0 && end != text && *end == '\0';
}

static int failed(const char *call)
{
    fprintf(stderr, "shmgrade --ipc: %s: %s\n", call, strerror(errno));
    return 3;
}

/* A System V kind, as replay scripts name it. */
static bool kind_named(const char *word, enum ipc_kind *kind)
{
    return ipc_kind_from_word(word, kind) && *kind != IPC_KIND_POSIX_SHM;
}

static int make_segment(long size, long value)
{
    int id = shmget(IPC_PRIVATE, (size_t)size, IPC_CREAT | 0600);
    int *at;

    if (id == -1)
        return failed("shmget");
    at = shmat(id, NULL, 0);
    if (at == (void *)-1)
        return failed("shmat");
    *at = (int)value;
    if (shmdt(at) != 0)
        return failed("shmdt");
    printf("%d\n", id);
    return 0;
}

static int exchange(long id, long value)
{
    int *at = shmat((int)id, NULL, 0), found;

    if (at == (void *)-1)
        return failed("shmat");
    found = *at;
    *at = (int)value;
    if (shmdt(at) != 0)
        return failed("shmdt");
    printf("%d\n", found);
    return 0;
}

static int make_segment_at(long key, long size)
{
    int id = shmget((key_t)key, (size_t)size, IPC_CREAT | IPC_EXCL | 0600);

    if (id == -1)
        return failed("shmget");
    printf("%d\n", id);
    return 0;
}

/* Segment ID attached, and LEN bytes at OFFSET within it; NULL (the
 * reason said) if it cannot be attached, or they are not all inside. */
static char *attach_range(long id, long offset, long len)
{
    struct ipc_object seg;
    char *at;

    if (!sysv_shm_stat((int)id, &seg)) {
        fprintf(stderr, "shmgrade --ipc: no segment %ld\n", id);
        return NULL;
    }
    if (offset < 0 || len < 0 || (size_t)offset + (size_t)len > seg.size) {
        fprintf(stderr, "shmgrade --ipc: %ld bytes at %ld are not inside segment %ld (%zu bytes)\n",
                len, offset, id, seg.size);
        return NULL;
    }
    at = shmat((int)id, NULL, 0);
    if (at == (void *)-1) {
        failed("shmat");
        return NULL;
    }
    return at;
}

static int read_int(long id, long offset)
{
    char *at = attach_range(id, offset, (long)sizeof(int));
    int value;

    if (at == NULL)
        return 3;
    value = atomic_load_explicit((atomic_int *)(at + offset), memory_order_acquire);
    if (shmdt(at) != 0)
        return failed("shmdt");
    printf("%d\n", value);
    return 0;
}

static int write_int(long id, long offset, long value)
{
    char *at = attach_range(id, offset, (long)sizeof(int));

    if (at == NULL)
        return 3;
    atomic_store_explicit((atomic_int *)(at + offset), (int)value, memory_order_release);
    return shmdt(at) == 0 ? 0 : failed("shmdt");
}

/* Stdin's bytes (as many as fit from OFFSET), then ZEROS zero bytes. */
static int write_bytes(long id, long offset, long zeros)
{
    char data[65536];
    size_t len = fread(data, 1, sizeof(data), stdin);
    char *at;

    if (ferror(stdin))
        return failed("read of stdin");
    at = attach_range(id, offset, (long)len + zeros);
    if (at == NULL)
        return 3;
    memcpy(at + offset, data, len);
    memset(at + offset + len, 0, (size_t)zeros);
    return shmdt(at) == 0 ? 0 : failed("shmdt");
}

static int show_segment(long id)
{
    struct ipc_object seg;

    if (!sysv_shm_stat((int)id, &seg))
        return 1;
    printf("%zu bytes, mode %04o, %lu attached, made by pid %d, key 0x%08x\n", seg.size,
           (unsigned)seg.mode, seg.attaches, (int)seg.creator, (unsigned)seg.key);
    return 0;
}

static int segments_made_by(long pid)
{
    struct ipc_snapshot now;
    const char *sep = "";

    if (ipc_snapshot_take(&now) < 0)
        return failed("/proc/sysvipc");
    for (size_t i = 0; i < now.n; i++) {
        if (now.objects[i].kind == IPC_KIND_SYSV_SHM && now.objects[i].creator == (pid_t)pid) {
            printf("%s%d", sep, now.objects[i].id);
            sep = " ";
        }
    }
    if (*sep != '\0')
        putchar('\n');
    ipc_snapshot_free(&now);
    return 0;
}

static int make_semaphores(long key, long n, long mode)
{
    int id = semget((key_t)key, (int)n, IPC_CREAT | IPC_EXCL | (int)mode);

    if (id == -1)
        return failed("semget");
    printf("%d\n", id);
    return 0;
}

static int waiters(long key)
{
    struct ipc_object set;
    int waiting = 0;

    if (sysv_find_key(IPC_KIND_SYSV_SEM, (key_t)key, &set))
        for (size_t i = 0; i < set.size; i++) {
            int increase = semctl(set.id, (int)i, GETNCNT), zero = semctl(set.id, (int)i, GETZCNT);
            waiting += (increase > 0 ? increase : 0) + (zero > 0 ? zero : 0);
        }
    printf("%d\n", waiting);
    return 0;
}

static int at_key(long key)
{
    static const enum ipc_kind kinds[] = {IPC_KIND_SYSV_SHM, IPC_KIND_SYSV_SEM, IPC_KIND_SYSV_MSG};
    struct ipc_object obj;
    char what[512];

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (!sysv_find_key(kinds[i], (key_t)key, &obj))
            continue;
        ipc_object_describe(&obj, what, sizeof(what));
        printf("%s\n", what);
    }
    return 0;
}

static int of_kind(const char *action, enum ipc_kind kind, long key)
{
    struct ipc_object obj;
    char what[512];

    if (!sysv_find_key(kind, (key_t)key, &obj))
        return 1;
    if (strcmp(action, "mode") == 0) {
        printf("%04o\n", (unsigned)(obj.mode & 0777));
    } else if (strcmp(action, "show") == 0) {
        ipc_object_describe(&obj, what, sizeof(what));
        printf("%s\n", what);
    } else if (!ipc_object_remove(&obj)) {
        return failed("remove");
    }
    return 0;
}

static int remove_at(const char *what)
{
    long value;

    if (strncmp(what, "segment:", 8) == 0 && number(what + 8, &value))
        return shmctl((int)value, IPC_RMID, NULL) == 0 || errno == EINVAL ? 0 : failed("shmctl");
    if (strncmp(what, "key:", 4) == 0 && number(what + 4, &value)) {
        sysv_remove_key((key_t)value);
        return 0;
    }
    return usage();
}

int ipc_tool(int argc, char *const argv[])
{
    long a = 0, b = 0, c = 0;
    enum ipc_kind kind;
    const char *action = argc > 0 ? argv[0] : "";
    int numbers = 0;

    /* Every action takes numbers, but for a kind's name or remove-at. */
    for (int i = 1; i < argc; i++) {
        long *slot = numbers == 0 ? &a : numbers == 1 ? &b : &c;
        if (i == 1 && (kind_named(argv[1], &kind) || strcmp(action, "remove-at") == 0 ||
                       strcmp(action, "perturb-library") == 0))
            continue;
        if (numbers == 3 || !number(argv[i], slot))
            return usage();
        numbers++;
    }
    if (strcmp(action, "make-segment") == 0 && argc == 3)
        return make_segment(a, b);
    if (strcmp(action, "exchange") == 0 && argc == 3)
        return exchange(a, b);
    if (strcmp(action, "make-segment-at") == 0 && argc == 3)
        return make_segment_at(a, b);
    if (strcmp(action, "read-int") == 0 && argc == 3)
        return read_int(a, b);
    if (strcmp(action, "write-int") == 0 && argc == 4)
        return write_int(a, b, c);
    if (strcmp(action, "write-bytes") == 0 && argc == 4)
        return write_bytes(a, b, c);
    if (strcmp(action, "show-segment") == 0 && argc == 2)
        return show_segment(a);
    if (strcmp(action, "remove-segment") == 0 && argc == 2)
        return shmctl((int)a, IPC_RMID, NULL) == 0 ? 0 : failed("shmctl IPC_RMID");
    if (strcmp(action, "segments-made-by") == 0 && argc == 2)
        return segments_made_by(a);
    if (strcmp(action, "make-semaphores") == 0 && argc == 4)
        return make_semaphores(a, b, c);
    if (strcmp(action, "set-semaphore") == 0 && argc == 4) {
        union semun arg = {.val = (int)c};
        return semctl((int)a, (int)b, SETVAL, arg) == 0 ? 0 : failed("semctl SETVAL");
    }
    if (strcmp(action, "change-semaphore") == 0 && argc == 4) {
        struct sembuf op = {
            .sem_num = (unsigned short)b, .sem_op = (short)c, .sem_flg = IPC_NOWAIT};
        return semop((int)a, &op, 1) == 0 ? 0 : failed("semop");
    }
    if (strcmp(action, "waiters") == 0 && argc == 2)
        return waiters(a);
    if (strcmp(action, "at-key") == 0 && argc == 2)
        return at_key(a);
    if ((strcmp(action, "show") == 0 || strcmp(action, "mode") == 0 ||
         strcmp(action, "remove") == 0) &&
        argc == 3 && kind_named(argv[1], &kind))
        return of_kind(action, kind, a);
    if (strcmp(action, "remove-at") == 0 && argc == 2)
        return remove_at(argv[1]);
    if (strcmp(action, "perturb-library") == 0 && argc == 2)
        return write_injected_library(argv[1]) ? 0 : failed(argv[1]);
    return usage();
}
