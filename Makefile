# shmlab - labs on shared memory, and the grader that grades them.
#
#   make grade [LAB=01] [SUBMISSION=DIR] [FORMAT=json]   grade labs
#   make test                                             the project's own tests
#   make slides | slides-check                           the decks (slides/README.md)
#   make ipcbench                                         lab 06's measurements and plot
#   make corpus-table                                     each corpus entry, its tests, its class
#   make coverage | memcheck | format | format-check | clean
#
# See README.md.

BUILD    ?= build
CC       := cc
PKGS     := jansson libarchive libseccomp
CFLAGS   := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 -g \
            $(shell pkg-config --cflags $(PKGS)) $(EXTRA_CFLAGS)
LDLIBS   := $(shell pkg-config --libs $(PKGS)) $(EXTRA_LDLIBS)
# Deferred (=): Check comes with install-deps --dev, and grading needs none
# of it, so `make grade` must not even ask pkg-config about it.
CHECK_LIBS = $(shell pkg-config --libs check)
# Test code builds paths in fixed buffers freely; a cut path fails a test.
TEST_CFLAGS = -Wno-format-truncation $(shell pkg-config --cflags check)

# grader/cli/ holds the two programs, grader/inject/ what the grader puts
# into student programs; every other folder is library.
LIB_SRC  := $(filter-out grader/cli/% grader/inject/%,$(wildcard grader/*/*.c))
LIB_HDR  := $(wildcard grader/*/*.h)
LAB_DIRS := $(sort $(dir $(wildcard labs/[0-9]*/tests.c)))
LAB_TESTS := $(addsuffix tests.c,$(LAB_DIRS))
# A lab's hidden tests (instructors and platforms only; make dist leaves them out).
LAB_TESTS += $(wildcard labs/[0-9]*/hidden_tests.c)
UNIT_SRC := $(wildcard tests/unit/*.c)

LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
LAB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LAB_TESTS))

SHMGRADE := $(BUILD)/shmgrade
# Preloaded into student programs by race-prone tests; shmgrade carries it.
PERTURB  := $(BUILD)/libshmlab-perturb.so

.PHONY: all grade progress repro hint watch test unit-test cli-test verdict-test hostile-test learn-test coverage memcheck format format-check layering-check docs docs-check clean

all: $(SHMGRADE)

$(BUILD)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Igrader -c -o $@ $<

$(BUILD)/libshmgrade.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# Lab objects are linked directly (not from the archive): they register
# themselves, and nothing would otherwise pull them in.
$(SHMGRADE): $(BUILD)/grader/cli/shmgrade.o $(LAB_OBJ) $(BUILD)/libshmgrade.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The grader carries the preload library inside itself (.incbin).
$(BUILD)/grader/run/inject.o: CFLAGS += -DPERTURB_LIBRARY_PATH='"$(PERTURB)"'
$(BUILD)/grader/run/inject.o: $(PERTURB)

$(PERTURB): grader/inject/perturb.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -g -fPIC -shared -o $@ $< -ldl

# --- grading ------------------------------------------------------------------

GRADE_ARGS := $(if $(LAB),--lab $(LAB)) $(if $(SUBMISSION),--submission $(SUBMISSION)) \
              $(if $(FORMAT),--format $(FORMAT)) $(if $(TEST),--test $(TEST)) $(GRADE_FLAGS)

# A grading that ran is no failed build: whatever the score, the report is
# the summary and make succeeds. shmgrade's own status (1: some test failed;
# 130: stopped with Ctrl-C, after reporting what it graded) is for scripts;
# only bad usage (2) or a failing grader (3) fails the target.
HUMAN_STATUS = || { status=$$?; [ $$status -eq 1 ] || [ $$status -eq 130 ] || exit $$status; }
# Ctrl-C reaches make, the shell and the grader at once: the grader reports
# what it graded and ends (130); the shell waits for it (a trap, not an
# ignored signal, which the grader would inherit) and ends as it says, so
# make ends by the signal without an "Interrupt" error of its own.
HUMAN_RUN = trap : INT;

grade: $(SHMGRADE)
	@$(HUMAN_RUN) $(SHMGRADE) $(GRADE_ARGS) $(HUMAN_STATUS)

# A script that replays TEST step by step from its lab folder
# (labs/LAB/repro/TEST.sh); a failing test gets one at every grading.
repro: $(SHMGRADE)
	@test -n "$(TEST)" || { echo "make repro: name the test: make repro LAB=NN TEST=ID" >&2; exit 2; }
	@$(HUMAN_RUN) $(SHMGRADE) $(if $(LAB),--lab $(LAB)) --repro $(TEST) $(GRADE_FLAGS) $(HUMAN_STATUS)

# The hints of TEST seen so far and one level more: the idea, where to look,
# a nudge (labs/LAB/hints.json); remembered in .shmlab/.
hint: $(SHMGRADE)
	@test -n "$(TEST)" || { echo "make hint: name the test: make hint LAB=NN TEST=ID" >&2; exit 2; }
	@$(SHMGRADE) $(if $(LAB),--lab $(LAB)) --hint $(TEST)

# Grade again on every save (LAB=NN: that lab), with what changed; Ctrl-C ends.
watch: $(SHMGRADE)
	@$(HUMAN_RUN) $(SHMGRADE) --watch $(GRADE_ARGS) $(HUMAN_STATUS)

# Where a self-learner stands: a line per lab and the next test to fix; a
# lab whose files did not change since its last grading is not graded again.
progress: $(SHMGRADE)
	@$(HUMAN_RUN) $(SHMGRADE) --summary $(GRADE_ARGS) $(HUMAN_STATUS)

# --- the project's own tests ---------------------------------------------------

# What the project's suites share: registering suites (tests/suite.h),
# asserting that reports show untrusted text inertly (tests/shown.h), and
# for the end-to-end ones, running the grader and staging submissions
# (tests/support.h).
SUITE_OBJ   := $(BUILD)/tests/suite.o $(BUILD)/tests/shown.o
SUPPORT_OBJ := $(BUILD)/tests/support.o $(SUITE_OBJ)

$(BUILD)/tests/%.o: tests/%.c tests/suite.h tests/shown.h tests/support.h $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Igrader -c -o $@ $<

$(BUILD)/check_unit: $(UNIT_SRC) tests/unit/suites.h $(SUITE_OBJ) $(LAB_OBJ) $(BUILD)/libshmgrade.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Igrader -o $@ $(UNIT_SRC) $(SUITE_OBJ) $(LAB_OBJ) \
	    $(BUILD)/libshmgrade.a $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/check_verdicts $(BUILD)/check_cli $(BUILD)/check_hostile $(BUILD)/check_learn: \
    $(BUILD)/%: tests/%.c \
    tests/support.h $(SUPPORT_OBJ) $(BUILD)/libshmgrade.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Igrader -o $@ $< $(SUPPORT_OBJ) $(BUILD)/libshmgrade.a \
	    $(LDLIBS) $(CHECK_LIBS)

TEST_ENV := SHMLAB_ROOT=$(CURDIR) SHMGRADE=$(abspath $(SHMGRADE)) CK_DEFAULT_TIMEOUT=60

unit-test: $(BUILD)/check_unit
	$(TEST_ENV) $(BUILD)/check_unit

verdict-test: $(BUILD)/check_verdicts $(SHMGRADE)
	$(TEST_ENV) $(BUILD)/check_verdicts

cli-test: $(BUILD)/check_cli $(SHMGRADE)
	$(TEST_ENV) $(BUILD)/check_cli

# The loop around the grader, as a student uses it: replay scripts, hints,
# saved progress, watch mode.
learn-test: $(BUILD)/check_learn $(SHMGRADE)
	$(TEST_ENV) $(BUILD)/check_learn

# Submissions that attack the grader (tests/hostile/), in every isolation
# level the machine has, as root and as an ordinary user
# (SHMLAB_REQUIRE_ISOLATION=namespaces,none,user-namespaces,none-user: all,
# or fail), and bad input (archives, links, binary and enormous files);
# then the attacks on the checkout again with the checkout under /opt (the
# Docker image's layout: scripts/hostile-in-opt, as root).
hostile-test: $(BUILD)/check_hostile $(SHMGRADE)
	$(TEST_ENV) $(BUILD)/check_hostile
	scripts/hostile-in-opt $(BUILD)

# The project's own tests (tests/) are not part of the student pack: there,
# make test says so at once instead of failing half-way.
test:
	@test -d tests || { echo "make test: the project's own tests are not part of the" \
	    "student pack; make grade grades your labs" >&2; exit 2; }
	$(MAKE) --no-print-directory format-check layering-check
	$(MAKE) --no-print-directory docs-check
	$(MAKE) --no-print-directory unit-test
	$(MAKE) --no-print-directory cli-test
	$(MAKE) --no-print-directory learn-test
	$(MAKE) --no-print-directory verdict-test
	$(MAKE) --no-print-directory hostile-test
	$(MAKE) --no-print-directory instructor-test
	$(MAKE) --no-print-directory stability-short
	$(MAKE) --no-print-directory slides-if-installed
	@echo "make test: NOT CHECKED here: the Docker images (make docker-check, docker/README.md)"
	@echo "make test: all suites passed"

# The stability target: every solution, corpus entry and correct variant
# (and the hostile corpus) graded ROUNDS times with both cores loaded, other
# seeded schedules each round, both isolation levels; any verdict other than
# EXPECTED's, any change between rounds, anything left behind fails it.
ROUNDS ?= 4
stability: $(SHMGRADE)
	scripts/soak $(ROUNDS)

# Its short version, part of make test: one more round of the labs' corpus,
# without namespaces and under other schedules than verdict-test's.
stability-short: $(SHMGRADE)
	scripts/soak --short

# The slides need TeX and pandoc (scripts/install-deps --slides): make test
# builds and checks them where those are installed, and says loudly when it
# skips them; CI sets SHMLAB_REQUIRE_SLIDES=1, which makes them mandatory.
slides-if-installed:
	@if command -v pandoc >/dev/null && command -v pdflatex >/dev/null; then \
	    $(MAKE) --no-print-directory -j2 slides-check; \
	elif [ -n "$$SHMLAB_REQUIRE_SLIDES" ]; then \
	    echo "make test: SHMLAB_REQUIRE_SLIDES is set, but pandoc or pdflatex is missing" \
	         "(scripts/install-deps --slides)" >&2; exit 1; \
	else \
	    echo "make test: SKIPPED the slides: pandoc or pdflatex is not installed" \
	         "(scripts/install-deps --slides installs them)"; \
	fi

# The corpus verdict table: each entry, the tests it fails, its class of
# mistake (EXPECTED's class:), and the count of each class per lab.
corpus-table:
	scripts/corpus-table

.PHONY: stability stability-short slides-if-installed corpus-table

# The Docker images and the dev container (docker/README.md), built from
# committed files and checked in containers: what students and graders get,
# nothing secret in the student image, grading at each isolation level.
# Needs root (or the docker group); starts a Docker engine if none runs. Not
# part of make test: 20 to 35 minutes on two cores (DOCKER_BASE=IMAGE, an
# image the engine has, skips making a Debian base with debootstrap).
docker-check:
	docker/check-image.sh $(if $(DOCKER_BASE),--base $(DOCKER_BASE))

.PHONY: docker-check

# Line coverage of the grader (library and command line) from the whole
# test suite, measured by gcovr. Test processes end with _exit() and run in
# namespaces with the system read-only: a coverage build writes its counters
# first (core/coverage.h) and keeps its own folder writable there.
coverage:
	rm -rf $(BUILD)/coverage
	$(MAKE) --no-print-directory BUILD=$(BUILD)/coverage \
	    EXTRA_CFLAGS='--coverage -O0 -DSHMLAB_COVERAGE -DSHMLAB_COVERAGE_DIR=\"$(abspath $(BUILD))/coverage\"' \
	    EXTRA_LDLIBS=--coverage unit-test cli-test learn-test verdict-test hostile-test instructor-test
	gcovr --root . --filter 'grader/' --object-directory $(BUILD)/coverage \
	    --print-summary --txt $(BUILD)/coverage/summary.txt \
	    --html-details $(BUILD)/coverage/index.html
	@echo "coverage report: $(BUILD)/coverage/index.html"

# Every reference solution, run through its lab's tests under valgrind:
# zero errors and zero leaks, or the target fails.
memcheck: $(SHMGRADE)
	$(SHMGRADE) --submission solutions --valgrind

# --- style ---------------------------------------------------------------------

FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h')

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

# The handouts' tables of tests (labs/*/README.md) are generated from the
# grader's list: docs rewrites them, docs-check fails when they differ.
docs: $(SHMGRADE)
	@SHMGRADE=$(SHMGRADE) scripts/update-readme-tests

docs-check: $(SHMGRADE)
	@SHMGRADE=$(SHMGRADE) scripts/update-readme-tests --check

# grader/'s folders depend one way only (core <- sandbox <- harness <- run <-
# cli; core <- report <- run): every #include checked.
layering-check:
	@scripts/check-layering

clean:
	rm -rf $(BUILD)
	for d in $(LAB_DIRS) ; do $(MAKE) -s -C $$d clean ; done

# --- instructors: a class at once, platforms, the student pack ----------------

SHMCLASS := $(BUILD)/shmclass

all: $(SHMCLASS)

$(SHMCLASS): $(BUILD)/grader/cli/shmclass.o $(LAB_OBJ) $(BUILD)/libshmgrade.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs libcrypto)

# The hostile suite grades a class of attackers with the shmclass next to shmgrade.
hostile-test: $(SHMCLASS)

# One platform bundle per lab (LAB=01 for just one): Gradescope's
# build/gradescope/LAB/autograder.zip, Autolab's build/autolab/LAB/autograde.tar
# and autograde-Makefile. See platforms/.
BUNDLE_LABS = $(if $(LAB),$(LAB),$(notdir $(patsubst %/,%,$(LAB_DIRS))))

# Packs and bundles are made from a checkout's committed files; an unpacked
# student pack has neither the scripts nor the history.
IN_REPOSITORY = @test -x scripts/make-dist || { echo "make $@: packs and bundles are made in \
the shmlab repository (from its committed files), not in a student pack" >&2; exit 2; }

gradescope:
	$(IN_REPOSITORY)
	@for lab in $(BUNDLE_LABS); do platforms/make-bundle gradescope $$lab $(BUILD)/gradescope || exit 1; done

autolab:
	$(IN_REPOSITORY)
	@for lab in $(BUNDLE_LABS); do platforms/make-bundle autolab $$lab $(BUILD)/autolab || exit 1; done

# The student starter pack, build/shmlab-student.tar.gz: committed files only,
# no solutions, no hidden tests.
dist:
	$(IN_REPOSITORY)
	@scripts/make-dist $(BUILD)

$(BUILD)/check_instructor: tests/check_instructor.c tests/support.h $(SUPPORT_OBJ) $(LAB_OBJ) \
    $(BUILD)/libshmgrade.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Igrader -o $@ $< $(SUPPORT_OBJ) $(LAB_OBJ) \
	    $(BUILD)/libshmgrade.a $(LDLIBS) $(CHECK_LIBS)

# Class grading, every report format, the platform bundles' simulated runs
# and the student pack's contents.
instructor-test: $(BUILD)/check_instructor $(SHMGRADE) $(SHMCLASS)
	$(TEST_ENV) SHMCLASS=$(abspath $(SHMCLASS)) $(BUILD)/check_instructor

.PHONY: gradescope autolab dist instructor-test

# --- lab 06's ipcbench: the reference ring against the other ways, measured ----

# The reference ring when there is one (not in a student pack: then the
# lab's ring.c, the student's). The table goes to the terminal and
# build/ipcbench/ipcbench.txt, the plot to build/ipcbench/ipcbench.svg,
# which the slides show. --realtime where permitted (root): other users'
# load then barely touches the figures (IPCBENCH_FLAGS= without it).
IPCBENCH_DIR   := $(BUILD)/ipcbench
IPCBENCH_LAB   := labs/06-spsc-ring
IPCBENCH_RING  := $(firstword $(wildcard solutions/06-spsc-ring/ring.c) $(IPCBENCH_LAB)/ring.c)
IPCBENCH_FLAGS ?= --realtime

$(IPCBENCH_DIR)/ipcbench: $(IPCBENCH_LAB)/ipcbench.c $(IPCBENCH_RING) $(IPCBENCH_LAB)/ring.h \
    labs/common/shmlab.c labs/common/shmlab.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 -g -I$(IPCBENCH_LAB) \
	    -Ilabs/common -o $@ $(IPCBENCH_LAB)/ipcbench.c $(IPCBENCH_RING) labs/common/shmlab.c \
	    -lrt -pthread -lm

ipcbench: $(IPCBENCH_DIR)/ipcbench
	$(IPCBENCH_DIR)/ipcbench $(IPCBENCH_FLAGS) --svg $(IPCBENCH_DIR)/ipcbench.svg \
	    > $(IPCBENCH_DIR)/ipcbench.txt
	@cat $(IPCBENCH_DIR)/ipcbench.txt

.PHONY: ipcbench

# --- slides: make slides, make slides-check (slides/tools/slides.mk) ----------

# -include: a platform bundle has the Makefile but no slides.
-include slides/tools/slides.mk
