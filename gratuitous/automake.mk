# gratuitous/: announcements (RARP, gratuitous ARP, IPv6 NA): the frame
# builders and schedules (pure code), the emitters that send them, the
# operators' one-shot cutover-announce and the DPDK fast path
# cutover-announcer (the only program linked with DPDK: libgratuitous stays
# free of it).
noinst_LTLIBRARIES += gratuitous/libgratuitous.la
gratuitous_libgratuitous_la_SOURCES = \
	gratuitous/announcer-args.c \
	gratuitous/announcer-args.h \
	gratuitous/emit-af-packet.c \
	gratuitous/emit-packet-out.c \
	gratuitous/emitter.c \
	gratuitous/emitter.h \
	gratuitous/emitter-provider.h \
	gratuitous/frames.c \
	gratuitous/frames.h \
	gratuitous/hold.c \
	gratuitous/hold.h \
	gratuitous/neighbours.c \
	gratuitous/neighbours.h \
	gratuitous/packet-out.c \
	gratuitous/packet-out.h \
	gratuitous/schedule.c \
	gratuitous/schedule.h

# cutover-announce: operators announce a VM by hand (needs CAP_NET_RAW).
sbin_PROGRAMS += gratuitous/cutover-announce
gratuitous_cutover_announce_SOURCES = gratuitous/announce.c
gratuitous_cutover_announce_LDADD = \
	gratuitous/libgratuitous.la lib/libcutover.la $(OVS_LIBADD)

# cutover-announcer: the DPDK announcement fast path, one per host.
sbin_PROGRAMS += gratuitous/cutover-announcer
gratuitous_cutover_announcer_SOURCES = \
	gratuitous/announcer.c \
	gratuitous/announcer-dpdk.c \
	gratuitous/announcer-dpdk.h \
	gratuitous/announcer-hold.c \
	gratuitous/announcer-hold.h \
	gratuitous/announcer-neigh.c \
	gratuitous/announcer-neigh.h
gratuitous_cutover_announcer_CFLAGS = $(AM_CFLAGS) $(DPDK_CFLAGS)
gratuitous_cutover_announcer_LDADD = \
	gratuitous/libgratuitous.la lib/libcutover.la $(OVS_LIBADD) \
	$(DPDK_LIBS)

EXTRA_DIST += gratuitous/README.md

# Unit tests (cmocka), one driver per module.
GRATUITOUS_UNIT_LDADD = gratuitous/libgratuitous.la lib/libcutover.la \
	$(UNIT_LDADD)
GRATUITOUS_UNIT_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/gratuitous
check_PROGRAMS += \
	tests/unit/test-frames \
	tests/unit/test-schedule \
	tests/unit/test-emitter \
	tests/unit/test-announcer-args \
	tests/unit/test-packet-out \
	tests/unit/test-hold
tests_unit_test_frames_SOURCES = tests/unit/test-frames.c tests/unit/unit-util.h
tests_unit_test_frames_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_frames_LDADD = $(GRATUITOUS_UNIT_LDADD)
tests_unit_test_schedule_SOURCES = tests/unit/test-schedule.c
tests_unit_test_schedule_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_schedule_LDADD = $(GRATUITOUS_UNIT_LDADD)
tests_unit_test_emitter_SOURCES = tests/unit/test-emitter.c
tests_unit_test_emitter_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_emitter_LDADD = $(GRATUITOUS_UNIT_LDADD)
tests_unit_test_announcer_args_SOURCES = tests/unit/test-announcer-args.c
tests_unit_test_announcer_args_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_announcer_args_LDADD = $(GRATUITOUS_UNIT_LDADD)
tests_unit_test_packet_out_SOURCES = tests/unit/test-packet-out.c
tests_unit_test_packet_out_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_packet_out_LDADD = $(GRATUITOUS_UNIT_LDADD)
tests_unit_test_hold_SOURCES = tests/unit/test-hold.c
tests_unit_test_hold_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_hold_LDADD = $(GRATUITOUS_UNIT_LDADD)
