/* Underlay neighbour pre-resolution for one host.
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
 * Both need to reach the host's machine: the controller must share it (its
 * ovs-vswitchd control socket is a file; the kernel side may be another
 * network namespace, as in the lab).  The control socket is kept open and
 * everything is set again whenever it reconnects (an ovs-vswitchd restarted
 * with an empty cache) or the peers change. */

#ifndef NEIGHBOURS_H
#define NEIGHBOURS_H 1

#include <stdbool.h>
#include <stddef.h>

struct ds;
struct kernel_neigh;

struct neighbours *neighbours_create(const char *name, const char *bridge);
void neighbours_destroy(struct neighbours *);

/* 'vswitchd_unixctl': the host's ovs-vswitchd control socket (a file
 * name); NULL turns pre-resolution off.  'netns': the network namespace of
 * the host's kernel, NULL for the controller's own. */
void neighbours_set_config(struct neighbours *, const char *vswitchd_unixctl,
                           const char *netns);

/* The host's tunnel peers: their tunnel IPs and MACs. */
void neighbours_set_peers(struct neighbours *, const struct kernel_neigh *,
                          size_t n);

void neighbours_run(struct neighbours *);
void neighbours_wait(struct neighbours *);

/* Whether both sides have every current peer (true if pre-resolution is
 * off). */
bool neighbours_is_synced(const struct neighbours *);

void neighbours_format_status(const struct neighbours *, struct ds *);

#endif /* neighbours.h */
