# Build rules shared by every lab. A lab's Makefile sets PROGRAMS and
# includes this file, so "make" inside a lab folder builds exactly what the
# grader builds, with the same flags.
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
VARIANT  ?=
ifeq ($(VARIANT),sanitize)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
LDLIBS   += -fsanitize=address,undefined
endif

.PHONY: all clean grade
all: $(PROGRAMS)

%: %.c $(COMMON)/shmlab.c $(COMMON)/shmlab.h $(EXTRA_HEADERS)
	$(CC) $(CFLAGS) -o $@ $< $(COMMON)/shmlab.c $(LDLIBS)

clean:
	rm -f $(PROGRAMS)

# Grade this lab's working copy from inside its folder: the report, and no
# make noise (a grading that ran succeeds whatever the score; see the top
# Makefile).
grade:
	@$(MAKE) --no-print-directory -C ../.. grade LAB=$(LAB)
