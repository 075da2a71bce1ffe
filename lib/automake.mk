# lib/: what several programs share.
noinst_LTLIBRARIES += lib/libcutover.la
lib_libcutover_la_SOURCES = \
	lib/stats.c \
	lib/stats.h \
	lib/timing.c \
	lib/timing.h
