# controller/: cutoverd (the controller), cutover-hook, cutoverctl.

# cutoverd: follows the northbound database and programs every host.
sbin_PROGRAMS += controller/cutoverd
controller_cutoverd_SOURCES = \
	controller/announcer-client.c \
	controller/announcer-client.h \
	controller/cutoverd.c \
	controller/hostctl.c \
	controller/hostctl.h \
	controller/migration.c \
	controller/migration.h \
	controller/migration-control.c \
	controller/migration-hold.c \
	controller/migration-private.h \
	controller/migration-record.c \
	controller/packet-announce.c \
	controller/packet-announce.h
controller_cutoverd_LDADD = \
	datapath/libdatapath.la gratuitous/libgratuitous.la lib/libcutover.la \
	$(OVS_LIBADD)

# cutoverctl: the operators' command line for the northbound database, on
# Open vSwitch's db-ctl-base (in libopenvswitch).
bin_PROGRAMS += controller/cutoverctl
controller_cutoverctl_SOURCES = controller/cutoverctl.c
controller_cutoverctl_LDADD = \
	lib/libcutover.la $(OVS_LIBADD)

EXTRA_DIST += controller/README.md

# cutover-hook: what a VMM runs at migration time.  The front links only
# the C library and takes well-formed one-shot steps itself, in about a
# millisecond; everything else (the QEMU follower, SSL, help, errors) it
# hands to cutover-hook-full, installed in $(pkglibexecdir).
bin_PROGRAMS += controller/cutover-hook
controller_cutover_hook_SOURCES = \
	controller/hook-step.c \
	controller/hook-answer.c \
	controller/hook-answer.h \
	controller/hook-exit.h
controller_cutover_hook_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPKGLIBEXECDIR='"$(pkglibexecdir)"'
controller_cutover_hook_LDADD =
pkglibexec_PROGRAMS = controller/cutover-hook-full
controller_cutover_hook_full_SOURCES = \
	controller/hook.c \
	controller/hook-exit.h \
	controller/migration-client.c \
	controller/migration-client.h \
	controller/qmp.c \
	controller/qmp.h \
	controller/qmp-follower.c \
	controller/qmp-follower.h
controller_cutover_hook_full_LDADD = lib/libcutover.la $(OVS_LIBADD)
