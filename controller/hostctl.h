/* One host as the controller manages it.
 *
 * A host of the northbound database that says how to reach its Open vSwitch
 * (Host.ovsdb_target and Host.openflow_target) gets a hostctl: host
 * provisioning over OVSDB (datapath/provision.h), which also tells the
 * OpenFlow port numbers of its VM interfaces and tunnels, and an installer
 * (datapath/installer.h) that keeps the integration bridge's flows what the
 * pipeline computes for this host (datapath/pipeline.h).
 *
 * The controller calls hostctl_compute() whenever the model or the host's
 * ports change; a hostctl never reads the northbound database itself. */

#ifndef HOSTCTL_H
#define HOSTCTL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct announcer_client;
struct of_flow_set;
struct ds;
struct kernel_neigh;
struct model;
struct model_port;
struct packet_announce;
struct provision_config;

/* 'cfg' (NULL for provisioning's defaults) must outlive the hostctl. */
struct hostctl *hostctl_create(const char *name,
                               const struct provision_config *cfg);
void hostctl_destroy(struct hostctl *);

/* Sets how to reach the host's Open vSwitch.  A changed OVSDB target
 * reconnects provisioning, a changed OpenFlow target the installer (which
 * then replaces every flow, as after any reconnection).  The OpenFlow target
 * is active (the installer connects to the switch) or passive (it listens
 * and provisioning makes the integration bridge connect there; see
 * nb_openflow_bridge_target()).  Returns NULL, or an error message (to free)
 * if the OpenFlow target is not one the controller can use, and then
 * changes nothing. */
char *hostctl_set_targets(struct hostctl *, const char *ovsdb_target,
                          const char *openflow_target);

/* Underlay neighbour pre-resolution (gratuitous/neighbours.h): the host's
 * tunnel peers, which its agent sets on the host (the controller sends
 * them there: hostctl_set_agent()).  A host without an agent, or a
 * controller without an uplink bridge, does without. */
void hostctl_set_neighbours(struct hostctl *,
                            const struct kernel_neigh *peers, size_t n);

/* Runs provisioning and the installer.  Returns true if the host's ports
 * changed since the last hostctl_compute(), so that its flows must be
 * computed again. */
/* The controller's role (docs/ha.md), for every connection to the host: a
 * standby ('active' false) keeps them open, reads, and changes nothing (its
 * switch connection is OpenFlow secondary, provisioning is read-only, the
 * agent gets nothing); the active controller is the switch's primary with
 * 'generation' and claims the agent with it.  A new host is a standby's. */
void hostctl_set_role(struct hostctl *, bool active, uint64_t generation);

bool hostctl_run(struct hostctl *);
void hostctl_wait(struct hostctl *);
/* Sends what is due to the switch.  The controller calls it once per turn
 * of its loop, after every decision of that turn: nothing else sends flows,
 * so no handler or engine step does I/O in the middle of another's work. */
void hostctl_flush(struct hostctl *);

/* Computes the host's flows from 'model' and hands them to the installer.
 * Does nothing (and returns false) until provisioning knows the host's
 * ports, or if the host is not in 'model'.  Either way, the host is no
 * longer stale. */
bool hostctl_compute(struct hostctl *, const struct model *);

/* A stale host's flows must be computed again (hostctl_compute()): the
 * model or its ports changed.  The controller marks hosts stale and
 * computes them a few per turn of its loop (docs/scale.md). */
void hostctl_mark_stale(struct hostctl *);
bool hostctl_is_stale(const struct hostctl *);

/* Whether the host is not stale, the switch has confirmed the newest flows
 * computed for it and, if the host has an agent, the agent has set every
 * tunnel neighbour. */
bool hostctl_is_synced(const struct hostctl *);

/* The audit of the host's flows (installer_set_audit()): every
 * 'interval_ms', 0 for on request only. */
void hostctl_set_audit(struct hostctl *, long long int interval_ms);
/* Pacing the audits of many hosts: installer_audit_hold(),
 * installer_audit_is_reading() and installer_audit_next(). */
void hostctl_audit_hold(struct hostctl *, bool hold);
/* Pacing of the switch's heavy exchanges: installer_hold_full(),
 * installer_wants_full() and installer_is_full_busy(). */
void hostctl_hold_full(struct hostctl *, bool hold);
bool hostctl_wants_full(const struct hostctl *);
bool hostctl_is_full_busy(const struct hostctl *);
bool hostctl_audit_is_reading(const struct hostctl *);
long long int hostctl_audit_next(const struct hostctl *);
/* Asks for an audit round now; returns its number for
 * hostctl_audit_answer(). */
uint64_t hostctl_audit_request(struct hostctl *);
/* Once round 'round' completed, appends what it found and returns true;
 * returns false while it has not (also while the host is not connected:
 * the caller decides how long to wait). */
bool hostctl_audit_answer(const struct hostctl *, uint64_t round,
                          struct ds *);
/* Whether hostctl_is_synced() and the last audit round found the switch's
 * flows as they should be: what cutoverd/status calls "in sync". */
bool hostctl_is_checked(const struct hostctl *);

/* Appends the flows hostctl_compute() would give the host now, in
 * ovs-ofctl syntax, one per line.  Returns false if the host's ports are not
 * known yet. */
bool hostctl_format_flows(const struct hostctl *, const struct model *,
                          struct ds *);

void hostctl_format_status(const struct hostctl *, struct ds *);

/* For the migration engine. */

/* Computes only 'port''s flows for this host from 'model' and hands them to
 * the installer, which sends them (one small bundle) at the next
 * hostctl_flush() unless a transaction is in flight.  Returns the installer's sequence number for
 * them (see hostctl_is_confirmed()), or 0 if the host's ports are not known
 * yet or the host is not in 'model'. */
uint64_t hostctl_update_port(struct hostctl *, const struct model *,
                             const struct model_port *);
/* Whether the switch confirmed the flows of sequence number 'seqno'. */
bool hostctl_is_confirmed(const struct hostctl *, uint64_t seqno);
bool hostctl_is_connected(const struct hostctl *);
/* Whether the host's tunnel neighbours are set (or not pre-resolved: no
 * agent). */
bool hostctl_neighbours_synced(const struct hostctl *);
/* The OpenFlow port of the VM interface with iface-id 'port' here, or 0. */
unsigned int hostctl_iface_ofport(const struct hostctl *, const char *port);
unsigned int hostctl_incoming_ofport(const struct hostctl *,
                                     const char *port);
void hostctl_promote_incoming(struct hostctl *, const char *port);

/* See installer_hold() and installer_get_readback(). */
void hostctl_hold(struct hostctl *, bool hold);
const struct of_flow_set *hostctl_get_readback(const struct hostctl *);

/* The host's agent (cutover-announcer's control connection, Host.agent: a
 * stream target, or an absolute file name for a unix socket), or NULL if
 * it has none: it announces, holds and sets tunnel neighbours on the host.
 * The returned client belongs to the hostctl. */
void hostctl_set_agent(struct hostctl *, const char *target);
struct announcer_client *hostctl_announcer(const struct hostctl *);

/* The host's announcements as packet-outs through its OpenFlow connection
 * (controller/packet-announce.h): the fallback for a host without a
 * working announcer.  It belongs to the hostctl. */
struct packet_announce *hostctl_packet_announce(const struct hostctl *);

#endif /* hostctl.h */
