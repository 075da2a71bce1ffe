/* Underlay neighbour pre-resolution, done by the host's agent
 * (cutover-announcer) on its own host.
 *
 * Open vSwitch's userspace tunnels look up the tunnel peer's MAC in their
 * own neighbour cache, and on a miss drop the packet and send an ARP
 * request.  After a switchover the first packets to a new destination must
 * not be lost that way, so the MAC of every other host's tunnel IP is set in
 * advance: in ovs-vswitchd's cache ('tnl/arp/set BRIDGE IP MAC' over its
 * control socket), and as permanent entries in the kernel's neighbour table
 * on the uplink bridge's device (libnl, lib/kernel-neigh.h), for whatever
 * else of the host's talks to its peers.
 *
 * Both are local to the host, so the controller does neither: it sends the
 * peers to the host's agent (neighbours/set, docs/cutover-announcer.8),
 * which runs this module in the host's own network namespace.  The
 * ovs-vswitchd control socket is kept open and everything is set again
 * whenever it reconnects (an ovs-vswitchd restarted with an empty cache) or
 * the peers change. */

#ifndef NEIGHBOURS_H
#define NEIGHBOURS_H 1

#include <stdbool.h>
#include <stddef.h>

struct ds;
struct kernel_neigh;

/* 'vswitchd_unixctl': the host's ovs-vswitchd control socket, a file name;
 * NULL to find it as ovs-appctl does, from the pidfile ovs-vswitchd.pid in
 * Open vSwitch's run directory (ovs_rundir(): $OVS_RUNDIR, or
 * /var/run/openvswitch), looked up again while it is not connected (a
 * restarted ovs-vswitchd has a new process ID, so a new socket). */
struct neighbours *neighbours_create(const char *vswitchd_unixctl);
void neighbours_destroy(struct neighbours *);

/* The host's tunnel peers, their tunnel IPs and MACs, to set on 'bridge'
 * (the uplink bridge, where the tunnel IP lives: ovs-vswitchd's bridge
 * and the kernel's device of that name).  Until the first call, there is
 * nothing to do. */
void neighbours_set(struct neighbours *, const char *bridge,
                    const struct kernel_neigh *, size_t n);

void neighbours_run(struct neighbours *);
void neighbours_wait(struct neighbours *);

/* Whether both sides have every current peer. */
bool neighbours_is_synced(const struct neighbours *);

void neighbours_format_status(const struct neighbours *, struct ds *);

#endif /* neighbours.h */
