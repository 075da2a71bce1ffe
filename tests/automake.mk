# tests/: cmocka unit tests, the lab, integration tests and the harness.

# The loss meter (installed: engineers use it outside the lab too).
bin_PROGRAMS += tests/harness/cutover-lossmeter
noinst_LTLIBRARIES += tests/harness/liblossmeter.la
tests_harness_liblossmeter_la_SOURCES = \
	tests/harness/lossacct.c \
	tests/harness/lossacct.h \
	tests/harness/lossmeter-log.c \
	tests/harness/lossmeter-log.h
tests_harness_cutover_lossmeter_SOURCES = tests/harness/lossmeter.c
tests_harness_cutover_lossmeter_LDADD = \
	tests/harness/liblossmeter.la lib/libcutover.la $(OVS_LIBADD) -lm

# cutover-blackout: the migration scenario runner (installed, with the lab
# library and its report helper in $(pkgdatadir); docs/blackout.md).
bin_SCRIPTS += tests/harness/cutover-blackout
CLEANFILES += tests/harness/cutover-blackout
pkgdata_DATA += tests/harness/blackout-report.py tests/lab/lab-lib.sh
# The QMP stand-in it plays QEMU with (cutover-blackout --hook qmp), and
# what it runs real QEMU guests with (--vmm qemu).
pkgdata_SCRIPTS = tests/harness/fake-qemu tests/harness/qmp-migrate \
	tests/harness/guest-ctl tests/lab/guest-image
EXTRA_DIST += tests/harness/cutover-blackout.in tests/harness/blackout-report.py
tests/harness/cutover-blackout: tests/harness/cutover-blackout.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/harness && \
	sed -e 's|@pkgdatadir[@]|$(pkgdatadir)|g' -e 's|@bindir[@]|$(bindir)|g' \
	    -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/tests/harness/cutover-blackout.in \
	    > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@

# compute-flows: the flows the pipeline computes for a host of a northbound
# database, given its port numbers (tests that program switches without
# cutoverd).
noinst_PROGRAMS += tests/harness/compute-flows
tests_harness_compute_flows_SOURCES = tests/harness/compute-flows.c
tests_harness_compute_flows_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(OVS_LIBADD)

# install-flows: drives the installer against a real switch (tests).
noinst_PROGRAMS += tests/harness/install-flows
tests_harness_install_flows_SOURCES = tests/harness/install-flows.c
tests_harness_install_flows_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(OVS_LIBADD)

# Benchmarks: print figures, assert nothing (docs/benchmarks.md).
noinst_PROGRAMS += tests/bench/bench-pipeline
tests_bench_bench_pipeline_SOURCES = tests/bench/bench-pipeline.c
tests_bench_bench_pipeline_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(OVS_LIBADD) -lm
EXTRA_DIST += tests/bench/bench-install tests/bench/bench-switchover tests/bench/agent-latency
EXTRA_DIST += tests/bench/announcer-latency tests/bench/hook-start \
	tests/bench/bench-failover tests/bench/bench-scale

# Announcements from fire to wire, per emitter (tests/bench/announce-latency
# sets up the namespaces and the switch and runs it).
noinst_PROGRAMS += tests/bench/bench-announce
tests_bench_bench_announce_SOURCES = tests/bench/bench-announce.c
tests_bench_bench_announce_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/gratuitous
tests_bench_bench_announce_LDADD = \
	gratuitous/libgratuitous.la lib/libcutover.la $(OVS_LIBADD)
EXTRA_DIST += tests/bench/announce-latency

# provision-host: drives host provisioning against a real ovsdb-server.
noinst_PROGRAMS += tests/harness/provision-host
tests_harness_provision_host_SOURCES = tests/harness/provision-host.c
tests_harness_provision_host_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(OVS_LIBADD)

# Unit tests (cmocka): one driver per module.
UNIT_LDADD = $(CMOCKA_LIBS) $(OVS_LIBADD) -lm
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/tests/harness

check_PROGRAMS += tests/unit/test-lossmeter tests/unit/test-lib
tests_unit_test_lossmeter_SOURCES = tests/unit/test-lossmeter.c
tests_unit_test_lossmeter_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lossmeter_LDADD = \
	tests/harness/liblossmeter.la lib/libcutover.la $(UNIT_LDADD)
tests_unit_test_lib_SOURCES = tests/unit/test-lib.c
tests_unit_test_lib_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lib_LDADD = lib/libcutover.la $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-nb-check
tests_unit_test_nb_check_SOURCES = tests/unit/test-nb-check.c tests/unit/unit-util.h
tests_unit_test_nb_check_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_nb_check_LDADD = lib/libcutover.la $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-pipeline
tests_unit_test_pipeline_SOURCES = tests/unit/test-pipeline.c
tests_unit_test_pipeline_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pipeline_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(UNIT_LDADD)

# The controller's packet-out announcements, with the clock and the
# installer's connection replaced by the test's own (--wrap).
check_PROGRAMS += tests/unit/test-packet-announce
tests_unit_test_packet_announce_SOURCES = \
	tests/unit/test-packet-announce.c \
	controller/packet-announce.c \
	controller/packet-announce.h
tests_unit_test_packet_announce_CFLAGS = $(UNIT_CFLAGS) \
	-I$(top_srcdir)/controller
tests_unit_test_packet_announce_LDFLAGS = \
	-Wl,--wrap=time_msec -Wl,--wrap=installer_send_raw \
	-Wl,--wrap=installer_get_version \
	-Wl,--wrap=installer_set_error_handler
tests_unit_test_packet_announce_LDADD = \
	datapath/libdatapath.la gratuitous/libgratuitous.la lib/libcutover.la \
	$(UNIT_LDADD)

# The migration engine, every command from every state, with the hosts,
# the announcer, the control channel and the records faked in the test and
# the clock and the packet-out announcements wrapped (--wrap).
check_PROGRAMS += tests/unit/test-migration
tests_unit_test_migration_SOURCES = \
	tests/unit/test-migration.c \
	controller/migration.c \
	controller/migration-control.c \
	controller/migration-hold.c \
	controller/packet-announce.c
tests_unit_test_migration_CFLAGS = $(UNIT_CFLAGS) \
	-I$(top_srcdir)/controller
tests_unit_test_migration_LDFLAGS = \
	-Wl,--wrap=time_msec -Wl,--wrap=packet_announce_start \
	-Wl,--wrap=packet_announce_claim -Wl,--wrap=packet_announce_cancel
tests_unit_test_migration_LDADD = \
	datapath/libdatapath.la gratuitous/libgratuitous.la lib/libcutover.la \
	$(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-flow-set
tests_unit_test_flow_set_SOURCES = tests/unit/test-flow-set.c
tests_unit_test_flow_set_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_flow_set_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(UNIT_LDADD)

# The audit's decisions (datapath/flow-audit.c).
check_PROGRAMS += tests/unit/test-flow-audit
tests_unit_test_flow_audit_SOURCES = tests/unit/test-flow-audit.c
tests_unit_test_flow_audit_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_flow_audit_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-of-listener
tests_unit_test_of_listener_SOURCES = tests/unit/test-of-listener.c
tests_unit_test_of_listener_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_of_listener_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(UNIT_LDADD)

# cutover-libvirt's decisions and its port lookup, from the event sequences
# of real libvirt migrations (no libvirt needed).
check_PROGRAMS += tests/unit/test-libvirt-follower
tests_unit_test_libvirt_follower_SOURCES = \
	tests/unit/test-libvirt-follower.c \
	virt/domain-port.c \
	virt/libvirt-follower.c
tests_unit_test_libvirt_follower_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/virt \
	$(LIBXML_CFLAGS)
tests_unit_test_libvirt_follower_LDADD = lib/libcutover.la $(UNIT_LDADD) \
	$(LIBXML_LIBS)

UNIT_TESTS = tests/unit/test-lossmeter tests/unit/test-lib \
	tests/unit/test-nb-check tests/unit/test-pipeline \
	tests/unit/test-packet-announce tests/unit/test-of-listener \
	tests/unit/test-flow-set tests/unit/test-flow-audit \
	tests/unit/test-migration \
	tests/unit/test-frames tests/unit/test-schedule tests/unit/test-emitter \
	tests/unit/test-announcer-args \
	tests/unit/test-packet-out tests/unit/test-hold \
	tests/unit/test-libvirt-follower

# Integration tests: real daemons, real packets, network namespaces.  Each
# is a bash script run by the automake harness; exit status 77 means
# skipped, with the reason on the last line of its log.
INTEGRATION_TESTS = \
	tests/integration/lossmeter-cli.sh \
	tests/integration/lossmeter-loopback.sh \
	tests/integration/lab-up.sh \
	tests/integration/lab-two-labs.sh \
	tests/integration/lab-killed.sh \
	tests/integration/lab-traffic.sh \
	tests/integration/cutoverctl.sh \
	tests/integration/pipeline.sh \
	tests/integration/cutoverd.sh \
	tests/integration/cutoverd-passive.sh \
	tests/integration/migration.sh \
	tests/integration/migration-restart.sh \
	tests/integration/ha.sh \
	tests/integration/migration-local.sh \
	tests/integration/migration-evacuate.sh \
	tests/integration/migration-hold.sh \
	tests/integration/migration-hook.sh \
	tests/integration/migration-packet-out.sh \
	tests/integration/audit.sh \
	tests/integration/announce-cli.sh \
	tests/integration/announce-frames.sh \
	tests/integration/announce-peers.sh \
	tests/integration/hook-cli.sh \
	tests/integration/hook-qmp.sh \
	tests/integration/announcer.sh \
	tests/integration/announcer-hold.sh \
	tests/integration/announcer-remote.sh \
	tests/integration/deploy-ssl.sh \
	tests/integration/control-access.sh \
	tests/integration/qemu-guest.sh \
	tests/integration/libvirt.sh \
	tests/integration/announce-packet-out.sh \
	tests/integration/blackout.sh \
	tests/integration/underlay-spoof.sh

TESTS += $(UNIT_TESTS) $(INTEGRATION_TESTS)
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = bash
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	PATH='$(abs_top_builddir)/tests/harness:$(abs_top_srcdir)/tests/lab:'"$$PATH"; \
	export PATH;

# The lab, the harness scripts and the test library.
LAB_FILES = \
	tests/lab/lab \
	tests/lab/lab-lib.sh \
	tests/lab/guest-image \
	tests/harness/qmp-migrate \
	tests/harness/guest-ctl \
	tests/harness/lab-traffic \
	tests/harness/nd-frame \
	tests/harness/hold-frames \
	tests/harness/tunnel-frame \
	tests/harness/fake-cutoverd \
	tests/harness/fake-qemu \
	tests/harness/fake-announcer \
	tests/test-lib.sh \
	tests/summary
EXTRA_DIST += $(LAB_FILES) $(INTEGRATION_TESTS)

# Prints the one-line summary of the last 'make check' (and names skipped
# and failed tests with their reasons).
check-summary:
	@$(SHELL) $(top_srcdir)/tests/summary $(top_builddir)
.PHONY: check-summary

# The unit tests' names, for a build that runs only them (debian/rules).
print-unit-tests:
	@echo $(UNIT_TESTS)
.PHONY: print-unit-tests
