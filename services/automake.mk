# services/: what runs cutover's daemons on a machine: systemd units for
# the northbound database (cutover-nb), cutoverd and each hypervisor's agent
# (cutover-agent), their defaults in $(sysconfdir)/default, logrotate, and
# cutover-agent-port, which plugs the agent's DPDK port into br-int, and
# cutover-appctl, ovs-appctl in cutover's run directory (docs/deploy.md,
# "Services").  Units go to $(systemdsystemunitdir)
# (configure --with-systemdsystemunitdir, default $(prefix)/lib/systemd/system).
SERVICES_UNITS = \
	services/cutover-nb.service \
	services/cutoverd.service \
	services/cutover-agent.service
SERVICES_DEFAULTS = \
	services/default-cutover-nb \
	services/default-cutoverd \
	services/default-cutover-agent
systemdunit_DATA = $(SERVICES_UNITS)
sbin_SCRIPTS = services/cutover-agent-port
bin_SCRIPTS += services/cutover-appctl
EXTRA_DIST += $(SERVICES_UNITS:=.in) $(SERVICES_DEFAULTS) services/logrotate \
	services/cutover-agent-port services/cutover-appctl
CLEANFILES += $(SERVICES_UNITS) $(SERVICES_DEFAULTS:=.out) services/logrotate.out

SERVICES_SUBST = sed -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@sbindir[@]|$(sbindir)|g' -e 's|@pkgdatadir[@]|$(pkgdatadir)|g'
$(SERVICES_UNITS): %: %.in Makefile
	$(AM_V_GEN)$(MKDIR_P) services && $(SERVICES_SUBST) $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
services/%.out: services/% Makefile
	$(AM_V_GEN)$(MKDIR_P) services && $(SERVICES_SUBST) $< > $@.tmp && mv $@.tmp $@
all-local: $(SERVICES_DEFAULTS:=.out) services/logrotate.out

# The defaults and logrotate's file take their names where they go.
install-data-local: $(SERVICES_DEFAULTS:=.out) services/logrotate.out
	$(MKDIR_P) $(DESTDIR)$(sysconfdir)/default $(DESTDIR)$(sysconfdir)/logrotate.d
	for f in $(SERVICES_DEFAULTS); do \
	    $(INSTALL_DATA) $$f.out \
	        $(DESTDIR)$(sysconfdir)/default/$${f#services/default-} || exit 1; \
	done
	$(INSTALL_DATA) services/logrotate.out $(DESTDIR)$(sysconfdir)/logrotate.d/cutover
uninstall-local:
	for f in $(SERVICES_DEFAULTS); do \
	    rm -f $(DESTDIR)$(sysconfdir)/default/$${f#services/default-}; \
	done
	rm -f $(DESTDIR)$(sysconfdir)/logrotate.d/cutover
