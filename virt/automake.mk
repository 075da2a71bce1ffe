# virt/: cutover-libvirt, each libvirt-managed host's follower of its
# domains' migrations (docs/cutover-libvirt.8).

sbin_PROGRAMS += virt/cutover-libvirt
virt_cutover_libvirt_SOURCES = \
	virt/cutover-libvirt.c \
	virt/domain-port.c \
	virt/domain-port.h \
	virt/libvirt-events.c \
	virt/libvirt-events.h \
	virt/libvirt-follower.c \
	virt/libvirt-follower.h \
	controller/migration-client.c \
	controller/migration-client.h
virt_cutover_libvirt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/controller
virt_cutover_libvirt_CFLAGS = $(AM_CFLAGS) $(LIBVIRT_CFLAGS) $(LIBXML_CFLAGS)
virt_cutover_libvirt_LDADD = lib/libcutover.la $(OVS_LIBADD) $(LIBVIRT_LIBS) \
	$(LIBXML_LIBS)
