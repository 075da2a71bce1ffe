# controller/: cutoverd (later), cutover-hook (later), cutoverctl.

# cutoverctl: the operators' command line for the northbound database.
bin_PROGRAMS += controller/cutoverctl
controller_cutoverctl_SOURCES = controller/cutoverctl.c
controller_cutoverctl_LDADD = \
	datapath/libdatapath.la lib/libcutover.la $(OVS_LIBADD)

EXTRA_DIST += controller/README.md
