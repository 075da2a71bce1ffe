# 'make check-sanitizers': the unit tests, the fuzz targets and the
# controller's integration tests again, built with AddressSanitizer (with
# LeakSanitizer) and UndefinedBehaviorSanitizer (docs/testing.md).
#
# The build is a separate one in $(SANITIZER_DIR): 'make distdir' copies the
# sources there (so this also checks that the distribution is complete), and
# a VPATH build next to it compiles them with the sanitizers.  Copies keep
# their times, so a second run rebuilds only what changed.  No -Werror
# there: the sanitizers change what the compiler warns about (false
# truncation warnings at -O1); the normal build keeps it.  libopenvswitch
# is the usual uninstrumented one: the sanitizers still see every allocation
# and every access our code makes.
#
# Every sanitized process writes AddressSanitizer's and LeakSanitizer's
# reports to a file in $(SANITIZER_DIR)/reports (log_path), also the daemons
# that the integration tests start in the background.  UBSan's reports go
# to stderr whatever log_path says when it runs with ASan: the unit tests'
# land in their logs (and the test fails: no recovery), and the integration
# tests copy the daemons' stderr files that hold one into the same
# directory ($CUTOVER_SANITIZER_REPORTS, tests/test-lib.sh).  The target
# fails if a test fails or if any report is there, and prints them.

SANITIZER_DIR = build-asan
SANITIZER_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
SANITIZER_CONFIGURE = \
	--with-ovs-source=$(OVS_SRCDIR) --with-ovs-build=$(OVS_BUILDDIR) \
	CFLAGS='-g -O1 $(SANITIZER_FLAGS)' \
	LDFLAGS='$(SANITIZER_FLAGS)'
SANITIZER_TESTS = $(UNIT_TESTS) $(FUZZ_TESTS) \
	tests/integration/cutoverctl.sh \
	tests/integration/cutoverd.sh \
	tests/integration/migration.sh \
	tests/integration/migration-local.sh \
	tests/integration/hook-cli.sh
# What the tests run besides check_PROGRAMS ('make check' builds those,
# after BUILT_SOURCES, which naming programs as targets does not make:
# they go first):
# the hosts' agents (the lab runs one on every host), not the benchmarks
# and the harness's other tools, which none of SANITIZER_TESTS runs, to
# keep the build short.
SANITIZER_BINARIES = controller/cutoverd controller/cutoverctl \
	controller/cutover-hook controller/cutover-hook-full \
	gratuitous/cutover-announce gratuitous/cutover-announcer \
	tests/harness/cutover-lossmeter
EXTRA_DIST += tests/sanitizer.supp

check-sanitizers:
	@set -e; san=$(abs_top_builddir)/$(SANITIZER_DIR); \
	mkdir -p "$$san/build"; \
	echo "check-sanitizers: sources in $$san/dist"; \
	$(MAKE) $(AM_MAKEFLAGS) distdir distdir="$$san/dist" >/dev/null; \
	cd "$$san/build"; \
	args="$(SANITIZER_CONFIGURE)"; \
	if test ! -f config.status \
	   || test "`cat configure.args 2>/dev/null`" != "$$args"; then \
	    echo "check-sanitizers: configure $$args"; \
	    rm -f configure.args; \
	    ../dist/configure $(SANITIZER_CONFIGURE) >/dev/null; \
	    echo "$$args" > configure.args; \
	fi; \
	echo "check-sanitizers: build (log in $$san/build.log)"; \
	$(MAKE) $(BUILT_SOURCES) > "$$san/build.log" 2>&1 \
	    && $(MAKE) $(SANITIZER_BINARIES) >> "$$san/build.log" 2>&1 \
	    && $(MAKE) check TESTS= >> "$$san/build.log" 2>&1 \
	    || { tail -n 40 "$$san/build.log"; exit 1; }; \
	rm -rf "$$san/reports"; mkdir "$$san/reports"; \
	rc=0; \
	CUTOVER_SANITIZER_REPORTS="$$san/reports" \
	ASAN_OPTIONS="log_path=$$san/reports/asan:detect_leaks=1:fast_unwind_on_malloc=0" \
	LSAN_OPTIONS="suppressions=$$san/dist/tests/sanitizer.supp:print_suppressions=0" \
	UBSAN_OPTIONS="log_path=$$san/reports/ubsan:print_stacktrace=1:halt_on_error=1" \
	    $(MAKE) -j1 check TESTS="$(SANITIZER_TESTS)" || rc=$$?; \
	for f in "$$san"/reports/*; do \
	    test -f "$$f" || continue; \
	    echo "check-sanitizers: report $$f:"; cat "$$f"; rc=1; \
	done; \
	if test $$rc = 0; then \
	    echo "check-sanitizers: no sanitizer reports"; \
	else \
	    echo "check-sanitizers: FAILED (test logs in $$san/build/tests)"; \
	fi; \
	exit $$rc
.PHONY: check-sanitizers
