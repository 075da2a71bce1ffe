# tests/fuzz/: fuzz targets for the parsers of outside input, as Open
# vSwitch keeps them in tests/oss-fuzz/ (docs/testing.md).
#
# Each target defines LLVMFuzzerTestOneInput().  By default it links with
# the plain driver tests/fuzz/fuzz-driver.c, which 'make check' runs on the
# target's seed corpus (tests/fuzz/corpus/TARGET/) and a few thousand
# deterministic mutations of it; with configure --enable-fuzz (CC=clang) it
# links with libFuzzer instead.  'make fuzz-run' runs every target longer.

FUZZ_TARGETS = nb-check announcer-args qmp control hook-answer
FUZZ_BINARIES = \
	tests/fuzz/fuzz-nb-check \
	tests/fuzz/fuzz-announcer-args \
	tests/fuzz/fuzz-qmp \
	tests/fuzz/fuzz-control \
	tests/fuzz/fuzz-hook-answer
check_PROGRAMS += $(FUZZ_BINARIES)

if ENABLE_FUZZ
FUZZ_MAIN =
FUZZ_LINK = -fsanitize=fuzzer
else
FUZZ_MAIN = tests/fuzz/fuzz-driver.c
FUZZ_LINK =
endif
FUZZ_COMPILE = $(AM_CFLAGS) -I$(top_srcdir)/tests/fuzz

tests_fuzz_fuzz_nb_check_SOURCES = \
	tests/fuzz/nb-check-target.c tests/fuzz/fuzzer.h $(FUZZ_MAIN)
tests_fuzz_fuzz_nb_check_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_nb_check_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_nb_check_LDADD = lib/libcutover.la $(OVS_LIBADD)

tests_fuzz_fuzz_announcer_args_SOURCES = \
	tests/fuzz/announcer-args-target.c tests/fuzz/fuzzer.h $(FUZZ_MAIN)
tests_fuzz_fuzz_announcer_args_CFLAGS = $(FUZZ_COMPILE) \
	-I$(top_srcdir)/gratuitous
tests_fuzz_fuzz_announcer_args_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_announcer_args_LDADD = \
	gratuitous/libgratuitous.la lib/libcutover.la $(OVS_LIBADD)

tests_fuzz_fuzz_qmp_SOURCES = \
	tests/fuzz/qmp-target.c tests/fuzz/fuzzer.h controller/qmp.c \
	controller/qmp.h $(FUZZ_MAIN)
tests_fuzz_fuzz_qmp_CFLAGS = $(FUZZ_COMPILE) -I$(top_srcdir)/controller
tests_fuzz_fuzz_qmp_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_qmp_LDADD = lib/libcutover.la $(OVS_LIBADD)

tests_fuzz_fuzz_control_SOURCES = \
	tests/fuzz/control-target.c tests/fuzz/fuzzer.h lib/control.c \
	lib/control.h $(FUZZ_MAIN)
tests_fuzz_fuzz_control_CFLAGS = $(FUZZ_COMPILE) -I$(top_srcdir)/lib
tests_fuzz_fuzz_control_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_control_LDADD = lib/libcutover.la $(OVS_LIBADD)

tests_fuzz_fuzz_hook_answer_SOURCES = \
	tests/fuzz/hook-answer-target.c tests/fuzz/fuzzer.h \
	controller/hook-answer.c controller/hook-answer.h $(FUZZ_MAIN)
tests_fuzz_fuzz_hook_answer_CFLAGS = $(FUZZ_COMPILE) -I$(top_srcdir)/controller
tests_fuzz_fuzz_hook_answer_LDFLAGS = $(FUZZ_LINK)

# 'make check' runs each target through tests/fuzz/run-target (bounded:
# $(FUZZ_CHECK_RUNS) mutations, a few seconds).
FUZZ_TESTS = \
	tests/fuzz/nb-check.sh \
	tests/fuzz/announcer-args.sh \
	tests/fuzz/qmp.sh \
	tests/fuzz/control.sh \
	tests/fuzz/hook-answer.sh
TESTS += $(FUZZ_TESTS)
AM_TESTS_ENVIRONMENT += \
	FUZZ_ENGINE='$(FUZZ_ENGINE)'; export FUZZ_ENGINE;
EXTRA_DIST += $(FUZZ_TESTS) tests/fuzz/run-target tests/fuzz/corpus

# Longer runs: FUZZ_RUNS inputs per target (mutations with the driver,
# libFuzzer's -runs= with --enable-fuzz).
FUZZ_RUNS = 200000
fuzz-run: $(FUZZ_BINARIES)
	@for t in $(FUZZ_TARGETS); do \
	    FUZZ_ENGINE='$(FUZZ_ENGINE)' FUZZ_RUNS='$(FUZZ_RUNS)' \
	    top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	    $(SHELL) $(top_srcdir)/tests/fuzz/run-target $$t || exit 1; \
	done
.PHONY: fuzz-run
