# lib/: what several programs share.
noinst_LTLIBRARIES += lib/libcutover.la
lib_libcutover_la_SOURCES = \
	lib/cli.c \
	lib/cli.h \
	lib/control.c \
	lib/control.h \
	lib/hold-tag.h \
	lib/kernel-neigh.c \
	lib/kernel-neigh.h \
	lib/model.c \
	lib/model.h \
	lib/model-idl.c \
	lib/model-idl.h \
	lib/nb-check.c \
	lib/nb-check.h \
	lib/nb-rules.c \
	lib/nb-rules.h \
	lib/stats.c \
	lib/stats.h \
	lib/timing.c \
	lib/timing.h
nodist_lib_libcutover_la_SOURCES = \
	lib/cutover-nb-idl.c \
	lib/cutover-nb-idl.h

# The northbound database: its schema (installed) and the C bindings that
# Open vSwitch's ovsdb-idlc generates from it (with the annotations in
# lib/cutover-nb-idl.ann), as OVN does for its own databases.
lib_libcutover_la_CPPFLAGS = $(AM_CPPFLAGS) $(NL_CFLAGS)
lib_libcutover_la_LIBADD = $(NL_LIBS)

pkgdata_DATA = lib/cutover.ovsschema
EXTRA_DIST += lib/cutover.ovsschema lib/cutover-nb-idl.ann
BUILT_SOURCES += lib/cutover-nb-idl.c lib/cutover-nb-idl.h
CLEANFILES += lib/cutover-nb-idl.c lib/cutover-nb-idl.h lib/cutover-nb-idl.ovsidl

lib/cutover-nb-idl.ovsidl: lib/cutover.ovsschema lib/cutover-nb-idl.ann
	$(AM_V_GEN)$(OVSDB_IDLC) annotate $(srcdir)/lib/cutover.ovsschema \
		$(srcdir)/lib/cutover-nb-idl.ann > $@.tmp && mv $@.tmp $@
lib/cutover-nb-idl.c: lib/cutover-nb-idl.ovsidl
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-source $< > $@.tmp && mv $@.tmp $@
lib/cutover-nb-idl.h: lib/cutover-nb-idl.ovsidl
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-header $< > $@.tmp && mv $@.tmp $@
