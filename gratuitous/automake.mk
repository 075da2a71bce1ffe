# gratuitous/: announcements (RARP, gratuitous ARP, IPv6 NA): the frame
# builders and schedules (pure code), the emitters that send them, and the
# operators' one-shot cutover-announce.  The DPDK fast path
# (cutover-announcer) will add its emitter here; configure finds DPDK
# (DPDK_CFLAGS, DPDK_LIBS) for it.
noinst_LTLIBRARIES += gratuitous/libgratuitous.la
gratuitous_libgratuitous_la_SOURCES = \
	gratuitous/emit-af-packet.c \
	gratuitous/emit-packet-out.c \
	gratuitous/emitter.c \
	gratuitous/emitter.h \
	gratuitous/emitter-provider.h \
	gratuitous/frames.c \
	gratuitous/frames.h \
	gratuitous/packet-out.c \
	gratuitous/packet-out.h \
	gratuitous/schedule.c \
	gratuitous/schedule.h

# cutover-announce: operators announce a VM by hand (needs CAP_NET_RAW).
sbin_PROGRAMS += gratuitous/cutover-announce
gratuitous_cutover_announce_SOURCES = gratuitous/announce.c
gratuitous_cutover_announce_LDADD = \
	gratuitous/libgratuitous.la lib/libcutover.la $(OVS_LIBADD)

EXTRA_DIST += gratuitous/README.md

# Unit tests (cmocka), one driver per module.
GRATUITOUS_UNIT_LDADD = gratuitous/libgratuitous.la lib/libcutover.la \
	$(UNIT_LDADD)
GRATUITOUS_UNIT_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/gratuitous
check_PROGRAMS += \
	tests/unit/test-frames \
	tests/unit/test-schedule \
	tests/unit/test-emitter \
	tests/unit/test-packet-out
tests_unit_test_frames_SOURCES = tests/unit/test-frames.c tests/unit/unit-util.h
tests_unit_test_frames_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_frames_LDADD = $(GRATUITOUS_UNIT_LDADD)
tests_unit_test_schedule_SOURCES = tests/unit/test-schedule.c
tests_unit_test_schedule_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_schedule_LDADD = $(GRATUITOUS_UNIT_LDADD)
tests_unit_test_emitter_SOURCES = tests/unit/test-emitter.c
tests_unit_test_emitter_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_emitter_LDADD = $(GRATUITOUS_UNIT_LDADD)
tests_unit_test_packet_out_SOURCES = tests/unit/test-packet-out.c
tests_unit_test_packet_out_CFLAGS = $(GRATUITOUS_UNIT_CFLAGS)
tests_unit_test_packet_out_LDADD = $(GRATUITOUS_UNIT_LDADD)
