/* Announcements as OpenFlow packet-outs: the controller's fallback for a
 * host whose announcer (cutover-announcer) is missing, not connected, or
 * failed to fire (docs/announcements.md, docs/migration.md).
 *
 * One per host, owned by its hostctl, keyed by port: a port's
 * announcement, once started, runs on its own whatever happens to the
 * migration that started it (complete lets it finish; abort cancels it).
 * Each round hands the switch one packet-out per frame
 * (gratuitous/packet-out.h: in port CONTROLLER, output to TABLE) on the
 * installer's own OpenFlow connection (installer_send_raw()); pipeline
 * table 2 (PT_ANNOUNCE) then sends each frame where the VM's own would go.
 * The frames are those the announcer would have been registered with: a
 * RARP, a gratuitous ARP per IPv4 address, an unsolicited NA per IPv6
 * address, untagged (the pipeline tags a provider VLAN port's frames), and
 * the same RARP and gratuitous ARP for each elastic IP mapped to the port,
 * with the elastic IP's MAC.  Rounds follow QEMU's schedule
 * (gratuitous/schedule.h: 0, 50, 200, 450, 800 ms) on poll-loop timers:
 * nothing here ever blocks.
 *
 * The switch's OFPT_ERROR for one of these packet-outs is logged
 * (rate-limited), counted, and shown in the host's status. */

#ifndef PACKET_ANNOUNCE_H
#define PACKET_ANNOUNCE_H 1

#include <stdbool.h>
#include <stddef.h>

#include "gratuitous/frames.h"

struct ds;
struct installer;
struct model;
struct model_port;

/* Who announces a port: the single answer to "which frames announce
 * 'port'", used by the announcer's registration (one registration per
 * identity: cutover-announcer takes one MAC per registration), by
 * packet_announce_build() (all of them) and packet_announce_build_claim()
 * (the RARP of the 'physical' ones). */
struct announce_identity {
    struct frames_spec spec;    /* A MAC, its RARP and its addresses. */
    bool physical;              /* The MAC is learned on the physical
                                 * network: a provider VLAN port's own, an
                                 * elastic IP's. */
};

/* Pure: stores in '*idsp' (to free) the port's own identity first (its
 * MAC, IPv4 and IPv6 addresses), then one per elastic IP mapped to it (the
 * elastic IP's MAC and address), and returns their number (at least 1).
 * The specs point into 'model', which must outlive them. */
size_t packet_announce_identities(const struct model *,
                                  const struct model_port *,
                                  struct announce_identity **idsp);

/* 'installer' (the host's; it must outlive the packet_announce) carries the
 * packet-outs and reports the switch's errors about them. */
struct packet_announce *packet_announce_create(const char *host,
                                               struct installer *installer);
void packet_announce_destroy(struct packet_announce *);

/* Pure: builds into '*framesp' (to free) the frames that announce 'port'
 * of 'model' in the order they are sent (the port's RARP, gratuitous ARPs
 * and NAs, then each of its elastic IPs' RARP and gratuitous ARP) and
 * stores their number in '*np'.  Returns 0, or EINVAL if the port's MAC or
 * an address cannot be announced (frames.h), with nothing allocated. */
int packet_announce_build(const struct model *, const struct model_port *,
                          struct frame **framesp, size_t *np);

/* Starts announcing 'port' of 'model': its first round is handed to the
 * switch before this returns, the others follow on the schedule.  A port
 * already being announced starts its schedule again.  Returns 0 and
 * appends "round 1 of 5, N frames" to 'result'; or returns a positive
 * errno (ENOTCONN if the switch is not connected, EINVAL if the frames
 * cannot be built), appends why to 'result', and announces nothing. */
int packet_announce_start(struct packet_announce *, const struct model *,
                          const struct model_port *, struct ds *result);

/* Pure: builds into '*framesp' (to free) the frames that claim the MACs
 * 'port' of 'model' has on the physical network: one RARP from the port's
 * MAC if its network is a provider VLAN, then one from each of its elastic
 * IPs' MACs; stores their number (maybe 0) in '*np'.  Returns 0, or EINVAL
 * if a MAC cannot be announced, with nothing allocated. */
int packet_announce_build_claim(const struct model *,
                                const struct model_port *,
                                struct frame **framesp, size_t *np);

/* Claims 'port''s MACs for this host at once, in one round of packet-outs
 * (packet_announce_build_claim()): the physical switch and the host's own
 * uplink bridge learn them here now.  Packet-outs, whatever the host's
 * announcer, because Open vSwitch learns MACs only in its slow path: a
 * frame that matches a datapath flow cached from an earlier one teaches a
 * NORMAL bridge nothing until its statistics are pushed, up to a second
 * later, while a packet-out is always translated (docs/migration.md).
 * Replaces any announcement of 'port' under way here.  Returns and
 * reports as packet_announce_start(), "round 1 of 1, N frames", or 0 and
 * "nothing to claim: ..." for a port without such MACs. */
int packet_announce_claim(struct packet_announce *, const struct model *,
                          const struct model_port *, struct ds *result);

/* Cancels the rounds of 'port' still to come, if any. */
void packet_announce_cancel(struct packet_announce *, const char *port);

/* Whether rounds of 'port' are still to come. */
bool packet_announce_is_running(const struct packet_announce *,
                                const char *port);

/* Sends the rounds that are due.  Runs after the installer's run, which
 * reports the switch's errors. */
void packet_announce_run(struct packet_announce *);
void packet_announce_wait(struct packet_announce *);

/* Appends, if anything was ever announced here, the counts, the ports
 * being announced and the last error, each line indented and ending in a
 * new-line. */
void packet_announce_format_status(const struct packet_announce *,
                                   struct ds *);

#endif /* packet-announce.h */
