# uring-buffer-conformance: static KTAP case binaries, and the project's own checks.
#   make            build every case under build/bin/ (fetches pinned deps once, see deps.conf)
#   make check      set up (scripts/setup), build, test the helpers, run the fast mutants,
#                   run the suite on this kernel, run the runner's tests
#   make setup      install what a fresh Debian machine lacks (root), or say what to run
#   make harness-test   the helpers' own tests (harness/tests/*.c)
#   make mutate     every mutant of cases/*/mutants.txt and harness/mutants.txt (scripts/mutate)
#   make bench      bench/run: the suite's speed on this machine (make bench BENCH=--matrix: + the matrix)
#   make clean      remove build/ (the download cache is kept: UBC_CACHE)
# KDIR=/path/to/linux takes kselftest_harness.h from that tree instead of a Debian package.

BUILD   ?= build
CC      ?= gcc
CFLAGS  ?= -O2
CFLAGS  += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE
PYTEST  ?= /usr/bin/python3 -m pytest

CASE_SRCS := $(sort $(wildcard cases/*/*.c))
CASES     := $(notdir $(CASE_SRCS:.c=))
BINS      := $(addprefix $(BUILD)/bin/,$(CASES))
# Every harness/*.c is a helper object linked into every case (a new helper file needs no edit here).
HARNESS_SRCS := $(sort $(wildcard harness/*.c))
HARNESS_HDRS := $(wildcard harness/*.h)
HARNESS_OBJS := $(patsubst harness/%.c,$(BUILD)/harness/%.o,$(HARNESS_SRCS))

# Binary names are flat, so two groups must not define the same case name.
ifneq ($(words $(CASES)),$(words $(sort $(CASES))))
$(error two files under cases/ share a name: $(sort $(foreach c,$(CASES),$(if $(filter-out 1,$(words $(filter $(c),$(CASES)))),$(c)))))
endif

all: $(BINS) $(BUILD)/versions.txt $(BUILD)/bin/run-cases.sh

# deps.mk names the fetched liburing and kselftest headers; it is remade when the pins change.
$(BUILD)/deps.mk $(BUILD)/versions.txt: deps.conf scripts/get-deps.sh scripts/papt
	@mkdir -p $(BUILD)
	@KDIR="$(KDIR)" scripts/get-deps.sh $(BUILD) || { echo "make: could not obtain liburing/kselftest headers (see above)" >&2; exit 1; }

ifeq ($(filter clean,$(MAKECMDGOALS)),)
-include $(BUILD)/deps.mk
# A cache emptied since deps.mk was written: drop it, so make fetches again and restarts.
ifneq ($(URING_LIB),)
ifeq ($(wildcard $(URING_LIB)),)
$(shell rm -f $(BUILD)/deps.mk)
endif
endif
endif

DEP_CFLAGS = $(URING_CFLAGS) $(KSELFTEST_INC) -Iharness

$(BUILD)/harness/%.o: harness/%.c $(HARNESS_HDRS) $(BUILD)/deps.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) -c $< -o $@

# vpath finds cases/<group>/<name>.c for build/bin/<name>.
vpath %.c $(sort $(dir $(CASE_SRCS)))
$(BUILD)/bin/%: %.c $(HARNESS_OBJS) $(HARNESS_HDRS) $(BUILD)/deps.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) -static $< $(HARNESS_OBJS) $(URING_LIB) -o $@

# The helpers' own tests: one binary per harness/tests/*.c, linked like a case.
HTEST_SRCS := $(sort $(wildcard harness/tests/*.c))
HTESTS     := $(patsubst harness/tests/%.c,$(BUILD)/harness-tests/%,$(HTEST_SRCS))
$(BUILD)/harness-tests/%: harness/tests/%.c $(HARNESS_OBJS) $(HARNESS_HDRS) $(BUILD)/deps.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) -static $< $(HARNESS_OBJS) $(URING_LIB) -o $@

harness-test: $(HTESTS) $(BUILD)/bin/run-cases.sh
	@$(BUILD)/bin/run-cases.sh $(HTESTS) > $(BUILD)/harness-tests/ktap.txt; rc=$$?; \
	grep '^not ok\|^    not ok' $(BUILD)/harness-tests/ktap.txt; tail -1 $(BUILD)/harness-tests/ktap.txt; exit $$rc

# Mutation run (scripts/mutate, Python 3 standard library only).
MUTATE  ?= /usr/bin/python3 scripts/mutate
mutate: all $(HTESTS)
	$(MUTATE) --build $(BUILD)
mutate-fast: all $(HTESTS)
	$(MUTATE) --build $(BUILD) --fast

$(BUILD)/bin/run-cases.sh: scripts/run-cases.sh
	@mkdir -p $(@D)
	cp $< $@

# check: set-up first (a fresh machine has no compiler, pytest or QEMU), then the helpers'
# tests and the fast mutants, the suite on this kernel, then the runner's own tests (with
# real boots: UBC_E2E_KERNELS).
check:
	scripts/setup
	$(MAKE) --no-print-directory all harness-test mutate-fast
	./run_tests.sh
	$(PYTEST) -q runner/tests

setup:
	scripts/setup

bench: all
	bench/run $(BENCH)

clean:
	rm -rf $(BUILD)

.PHONY: all bench check clean setup harness-test mutate mutate-fast
.SECONDARY:
