# gratuitous/: announcements (RARP, gratuitous ARP, IPv6 NA) and their
# emitters, the DPDK fast path among them.  Nothing is built here yet: see
# the announcements issue.  DPDK is found by configure (DPDK_CFLAGS,
# DPDK_LIBS) for it.
EXTRA_DIST += gratuitous/README.md
