/* cutover-announcer's tunnel neighbours: the host's own part of underlay
 * neighbour pre-resolution (neighbours.h).  The controller computes every
 * host's peers (the other hosts' tunnel IPs and MACs) and sends them here
 * with "neighbours/set"; the agent sets them in its host's ovs-vswitchd
 * and kernel, keeps them set, and answers the command once both sides
 * have every peer.
 *
 * Control commands (ovs-appctl): neighbours/set BRIDGE [IP=MAC...],
 * neighbours/show: see cutover-announcer(8). */

#ifndef GRATUITOUS_ANNOUNCER_NEIGH_H
#define GRATUITOUS_ANNOUNCER_NEIGH_H 1

struct announcer_neigh;

/* Creates the neighbours' state and registers their control commands.
 * 'vswitchd_unixctl' is the host's ovs-vswitchd control socket, NULL to
 * find it from ovs-vswitchd's pidfile (neighbours_create()). */
struct announcer_neigh *announcer_neigh_create(const char *vswitchd_unixctl);
void announcer_neigh_destroy(struct announcer_neigh *);

void announcer_neigh_run(struct announcer_neigh *);
void announcer_neigh_wait(struct announcer_neigh *);

#endif /* announcer-neigh.h */
