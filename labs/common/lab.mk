# Build rules shared by every lab. A lab's Makefile sets PROGRAMS (and
# EXTRA_SOURCES, files every program is built with; EXTRA_HEADERS, files
# every program depends on) and includes this file, so "make" inside a lab
# folder builds exactly what the grader builds, with the same flags.
#
# Student code is compiled with warnings shown but not fatal: a warning is
# feedback, not a reason to score zero. -O2 is deliberate: races that hide
# at -O0 (a flag the compiler may read once) show up the way they would in
# production code.

COMMON   := ../common
CC       := cc
CFLAGS   := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -O2 -g -I$(COMMON)
LDLIBS   := -lrt -pthread
LAB      := $(notdir $(CURDIR))

# The grader also builds other variants of the same files (make
# VARIANT=...); you can too, to see what its tests see:
#   sanitize  AddressSanitizer, UndefinedBehaviorSanitizer, LeakSanitizer:
#             a memory error or leak stops the program with its file and line
#   threads   the programs as threads of one process under ThreadSanitizer,
#             which names both lines of a data race between them:
#               ./threads producer 5 0 --after='Shared memory ID' consumer 5
#               ./threads counter 2 100 0 -- counter 2 100 0
#             (see ../common/threads.c)
VARIANT  ?=
TARGETS  := $(PROGRAMS)
ifeq ($(VARIANT),sanitize)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
LDLIBS   += -fsanitize=address,undefined
endif
ifeq ($(VARIANT),threads)
# -Wno-tsan: threads.c makes ThreadSanitizer follow atomic_thread_fence.
CFLAGS   += -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TARGETS  := threads $(addsuffix .so,$(PROGRAMS))
endif

# The calls threads.c stands in for, so that the programs behave as
# separate processes: each program's CALL becomes threads.c's __wrap_CALL.
THREAD_CALLS := shmat shmdt shmctl mmap munmap semop semtimedop semctl exit _exit _Exit getpid \
                printf vprintf fprintf vfprintf puts putchar putc fputc fputs fwrite fflush \
                setvbuf setbuf setlinebuf perror write nanosleep clock_nanosleep usleep sleep \
                sched_yield __tsan_atomic_thread_fence \
                $(foreach n,8 16 32 64,$(addprefix __tsan_atomic$(n)_,load store exchange \
                    fetch_add fetch_sub fetch_and fetch_or fetch_xor fetch_nand \
                    compare_exchange_strong compare_exchange_weak compare_exchange_val))
comma    := ,

.PHONY: all clean grade
all: $(TARGETS)

%: %.c $(EXTRA_SOURCES) $(COMMON)/shmlab.c $(COMMON)/shmlab.h $(EXTRA_HEADERS)
	$(CC) $(CFLAGS) -o $@ $< $(EXTRA_SOURCES) $(COMMON)/shmlab.c $(LDLIBS)

# A program as a library for threads: main() exported, its own symbols
# bound inside it (-Bsymbolic), the shared calls wrapped. Code that turns
# ThreadSanitizer off, or stands in for its functions or threads.c's, is
# refused: the race test would see nothing.
%.so: %.c $(EXTRA_SOURCES) $(COMMON)/shmlab.c $(COMMON)/shmlab.h $(EXTRA_HEADERS)
	@if grep -l 'no_sanitize' $< $(EXTRA_SOURCES) $(EXTRA_HEADERS); then \
	    echo "$@: no_sanitize is not allowed: the threads build must see every access" >&2; \
	    exit 1; fi
	$(CC) $(CFLAGS) -fPIC -shared -Wl,-Bsymbolic \
	    $(addprefix -Wl$(comma)--wrap=,$(THREAD_CALLS)) -o $@ $< $(EXTRA_SOURCES) $(COMMON)/shmlab.c \
	    $(LDLIBS)
	@if nm $@ | grep -E ' [TtWwDdBbRr] (__tsan_|__wrap_|Annotate)'; then \
	    echo "$@: defines functions of ThreadSanitizer or threads.c (above)" >&2; \
	    rm -f $@; exit 1; fi

threads: $(COMMON)/threads.c
	$(CC) $(CFLAGS) -O0 -rdynamic -o $@ $< $(LDLIBS) -ldl

clean:
	rm -f $(PROGRAMS) threads $(addsuffix .so,$(PROGRAMS)) $(addsuffix .so.*,$(PROGRAMS))

# --- the grader, from this folder -----------------------------------------------
#
#   make grade [TEST=ID]   grade this lab (your working copy)
#   make repro TEST=ID     a script that replays the test step by step
#   make hint TEST=ID      the test's hints seen so far, and one level more
#   make watch             grade this lab again on every save (Ctrl-C ends)
#   make progress          where you stand in every lab (saved results; only
#                          labs whose files changed are graded again)
#
# The grader runs here, so what it names (repro/ID.sh, make hint TEST=ID) is
# as you type it here. A grading that ran succeeds whatever the score (see
# the top folder's Makefile): no make noise.
# The top folder's build folder (make BUILD=... there), as seen from here.
BUILD    ?= build
TOP_BUILD := $(if $(filter /%,$(BUILD)),$(BUILD),../../$(BUILD))
SHMGRADE := $(TOP_BUILD)/shmgrade
HUMAN_STATUS = || { status=$$?; [ $$status -eq 1 ] || [ $$status -eq 130 ] || exit $$status; }
HUMAN_RUN = trap : INT;

.PHONY: grader repro hint progress watch
grader:
	@$(MAKE) -s --no-print-directory -C ../.. BUILD=$(BUILD) $(BUILD)/shmgrade

grade: grader
	@$(HUMAN_RUN) $(SHMGRADE) --lab $(LAB) $(if $(TEST),--test $(TEST)) $(GRADE_FLAGS) $(HUMAN_STATUS)

repro: grader
	@test -n "$(TEST)" || { echo "make repro: name the test: make repro TEST=ID" >&2; exit 2; }
	@$(HUMAN_RUN) $(SHMGRADE) --lab $(LAB) --repro $(TEST) $(GRADE_FLAGS) $(HUMAN_STATUS)

hint: grader
	@test -n "$(TEST)" || { echo "make hint: name the test: make hint TEST=ID" >&2; exit 2; }
	@$(SHMGRADE) --lab $(LAB) --hint $(TEST)

progress: grader
	@$(HUMAN_RUN) $(SHMGRADE) --summary $(GRADE_FLAGS) $(HUMAN_STATUS)

watch: grader
	@$(HUMAN_RUN) $(SHMGRADE) --lab $(LAB) --watch $(if $(TEST),--test $(TEST)) $(GRADE_FLAGS) $(HUMAN_STATUS)
