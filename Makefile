# uring-buffer-conformance: static KTAP case binaries, and the project's own checks.
#   make            build every case (fetches pinned deps once, see deps.conf): one static
#                   multi-call binary build/multi/ubc-cases holding them all, and
#                   build/bin/<name> a symlink to it per case (it runs the case its name says)
#   make check      set up (scripts/setup), build, test the helpers, run the fast mutants,
#                   run the suite on this kernel, run the runner's tests
#   make setup      install what a fresh Debian machine lacks (root), or say what to run
#   make harness-test   the helpers' own tests (harness/tests/*.c)
#   make mutate     every mutant of cases/*/mutants.txt and harness/mutants.txt (scripts/mutate)
#   make bench      bench/run: the suite's speed on this machine (make bench BENCH=--matrix: + the matrix)
#   make clean      remove build/ (the download cache is kept: UBC_CACHE)
#   make kselftest-install INSTALL_PATH=DIR   the cases as the kselftest collection uring_buffer,
#                   with the kernel's run_kselftest.sh (default DIR: build/kselftest_install)
#   make kselftest-tar  that, as DIR/kselftest-packages/kselftest.tar.gz (the kernel's gen_tar)
#   make overlay    build/uring_buffer-overlay.tar.xz, for tuxrun --overlay (docs/kselftest.md)
# KDIR=/path/to/linux takes kselftest_harness.h from that tree instead of a Debian package.
# ARCH=arm64: the same cases for arm64 guests, built with Debian's cross compiler
#                 (CROSS_COMPILE, default aarch64-linux-gnu-: scripts/setup --arm64) against
#                 Debian's arm64 liburing-dev, into build-arm64/ (docs/arm64.md); the x86_64
#                 build/ is untouched.

# The architecture of the cases: the host's unless ARCH says arm64 (aarch64).
ifneq ($(filter arm64 aarch64,$(ARCH)),)
UBC_ARCH      := arm64
CROSS_COMPILE ?= aarch64-linux-gnu-
BUILD         ?= build-arm64
ifeq ($(origin CC),default)
CC            := $(CROSS_COMPILE)gcc
endif
OBJCOPY       ?= $(CROSS_COMPILE)objcopy
READELF       ?= $(CROSS_COMPILE)readelf
DEPS_ENV      := ARCH=arm64 CC="$(CC)"
else
UBC_ARCH      :=
DEPS_ENV      :=
endif

BUILD   ?= build
CC      ?= gcc
OBJCOPY ?= objcopy
READELF ?= readelf
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
# A case's name is part of a C identifier (its main is ubc_main_<name>).
BAD_NAMES := $(shell printf '%s\n' $(CASES) | grep -v '^[A-Za-z0-9_]*$$')
ifneq ($(BAD_NAMES),)
$(error case names must be letters, digits and _ only: $(BAD_NAMES))
endif

all: $(BINS) $(BUILD)/versions.txt $(BUILD)/bin/run-cases.sh

# deps.mk names the fetched liburing and kselftest headers; it is remade when the pins change.
$(BUILD)/deps.mk $(BUILD)/versions.txt: deps.conf scripts/get-deps.sh scripts/papt
	@mkdir -p $(BUILD)
	@KDIR="$(KDIR)" $(DEPS_ENV) scripts/get-deps.sh $(BUILD) || { echo "make: could not obtain liburing/kselftest headers (see above)" >&2; exit 1; }

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

# The cases, linked into one static multi-call binary (one copy of glibc, liburing and the
# helpers; under TCG the shared code is translated once per boot, not once per case).
# Each case is compiled alone, its TEST_HARNESS_MAIN's main renamed ubc_main_<name>; then
# scripts/multi-obj makes every other global symbol of its object local, because the
# harness defines the same globals in every case (__active_test, __run_test,
# _fixture_global, the fixtures' <name>_setup, ...), and moves its constructors out of
# .init_array, so an exec runs only the chosen case's (the dispatcher calls them).
# vpath finds cases/<group>/<name>.c for build/obj/<name>.o.
vpath %.c $(sort $(dir $(CASE_SRCS)))
CASE_OBJS := $(addprefix $(BUILD)/obj/,$(addsuffix .o,$(CASES)))
MULTI     := $(BUILD)/multi/ubc-cases
$(BUILD)/obj/%.o: %.c $(HARNESS_HDRS) $(BUILD)/deps.mk scripts/multi-obj
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEP_CFLAGS) -Dmain=ubc_main_$* -c $< -o $@.tmp
	scripts/multi-obj $(OBJCOPY) $(READELF) $* $@.tmp $@ && rm -f $@.tmp

# The dispatcher's table (UBC_CASE(name) per case), rewritten only when the set of cases
# changes, so adding or removing a case recompiles the dispatcher and nothing else.
$(BUILD)/multi/cases.inc: FORCE
	@mkdir -p $(@D)
	@printf 'UBC_CASE(%s)\n' $(sort $(CASES)) > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(BUILD)/multi/main.o: harness/multi/main.c $(BUILD)/multi/cases.inc
	$(CC) $(CFLAGS) -I$(BUILD)/multi -c $< -o $@
# Linking also drops build/bin symlinks of cases that no longer exist.
$(MULTI): $(BUILD)/multi/main.o $(CASE_OBJS) $(HARNESS_OBJS) $(BUILD)/deps.mk
	$(CC) $(CFLAGS) -static $(BUILD)/multi/main.o $(CASE_OBJS) $(HARNESS_OBJS) $(URING_LIB) -o $@
	@for l in $(BUILD)/bin/*; do \
		[ -L "$$l" ] || continue; \
		case " $(CASES) " in *" $${l##*/} "*) ;; *) rm -f "$$l" ;; esac; \
	done
# build/bin/<name>: what every consumer runs (run-cases.sh, the runner, mutate, bench).
# Order-only on the binary, so a relink does not remake 114 symlinks; remade when the set of
# cases changes, and in place of a per-case binary of an older build (older than cases.inc).
$(BINS): $(BUILD)/bin/%: $(BUILD)/multi/cases.inc | $(MULTI)
	@mkdir -p $(@D)
	@ln -sfn ../multi/ubc-cases $@

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

# Kernel mutation run and coverage (docs/kmutate.md): builds and boots a kernel per mutant,
# about 30 s each under TCG. Not part of check. KMUTATE: extra options (--count N, --tree DIR).
kmutate: all
	scripts/setup --kbuild
	./run_tests.sh kmutate --no-build $(KMUTATE)
kmutate-coverage: all
	scripts/setup --kbuild
	./run_tests.sh kmutate --coverage --no-build $(KMUTATE)

$(BUILD)/bin/run-cases.sh: runner/guest/run-cases.sh
	@mkdir -p $(@D)
	cp $< $@

# check: set-up first (a fresh machine has no compiler, pytest or QEMU), then the helpers'
# tests and the fast mutants, the suite on this kernel, then the runner's own tests (with
# real boots: UBC_E2E_KERNELS).
check:
	scripts/setup
	$(MAKE) --no-print-directory all harness-test mutate-fast
	./run_tests.sh
	$(PYTEST) -q runner

setup:
	scripts/setup

bench: all
	bench/run $(BENCH)

clean:
	rm -rf $(BUILD)

# The cases as a kselftest collection the kernel's own runner runs (docs/kselftest.md); the
# runner's files come from KDIR, else the pinned linux-source package (scripts/get-kselftest-runner).
INSTALL_PATH ?= $(BUILD)/kselftest_install
KSELFTEST_TAR = $(INSTALL_PATH)/kselftest-packages/kselftest.tar.gz
OVERLAY ?= $(BUILD)/uring_buffer-overlay.tar.xz
kselftest-install: all
	@KDIR="$(KDIR)" scripts/kselftest-install $(BUILD) $(INSTALL_PATH)
kselftest-tar: kselftest-install
	@mkdir -p $(dir $(KSELFTEST_TAR))
	tar -czf $(KSELFTEST_TAR) --exclude=kselftest-packages --sort=name --owner=0 --group=0 \
		--numeric-owner -C $(INSTALL_PATH) .
overlay: all
	@scripts/make-overlay $(BUILD) $(OVERLAY)

FORCE:

.PHONY: all bench check clean setup harness-test kmutate kmutate-coverage mutate mutate-fast kselftest-install kselftest-tar overlay FORCE
.SECONDARY:
