/* The installer: makes one switch's flow table what the pipeline wants.
 *
 * One installer per host's integration bridge.  It keeps an OpenFlow
 * connection (rconn: TCP, SSL or unix socket) and the set of flows the
 * switch has once what was sent is confirmed.  Either it connects to the
 * switch (an active target,
 * reconnecting with backoff) or it listens where the switch connects (a
 * passive target, of-listener.h; the switch's newest connection replaces
 * the one before): once connected, both work the same.  Whenever the desired set
 * differs, it sends the difference as one atomic bundle (OpenFlow 1.4+:
 * open, the flow mods, commit) followed by a barrier, and counts the
 * desired state as installed only when the barrier's reply comes back with
 * no error.  Several bundles may be in flight (up to 8; the switch applies
 * them in order): a change decided while a bundle is out goes at once,
 * as a difference from what that bundle makes, instead of waiting for its
 * barrier.  If a bundle fails, those sent after it are forgotten and the
 * next bundle replaces the whole table.
 *
 * After every (re)connection, to a restarted ovs-vswitchd as much as to one
 * that kept its flows while we were away (fail_mode=secure), the first
 * bundle deletes every flow and adds every desired flow: atomically, so
 * traffic never sees a half-installed table, and afterwards the switch has
 * exactly our flows (anything someone else added is gone).
 *
 * The flows come parsed (flow-set.h): libopenvswitch's parser checked
 * their actions against their matches as the switch would when they were
 * computed, so a bundle does not fail half way for a malformed flow (one
 * that did not parse never reached the desired set; 'bad_flows' counts
 * it).  Bundles are encoded from the parsed flows, and the flows read back
 * are compared with them parsed: no text in between.
 *
 * A confirmed bundle says what the switch had then; someone may change its
 * flows afterwards ('ovs-ofctl mod-flows' by hand, another controller).  The
 * audit (installer_set_audit()) reads the switch's flows back now and then,
 * in parts (flow-audit.h), compares each part with what the switch
 * confirmed and repairs what differs with the next bundle, as any other
 * change.  It reads only while the installer is idle (no transaction in
 * flight or due, nothing held), and a part whose answer a transaction
 * overtook is read again: an audit never delays a switchover by more than
 * one part's dump that was already under way, and never repairs from a
 * stale reading. */

#ifndef INSTALLER_H
#define INSTALLER_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openvswitch/ofp-errors.h"

struct of_flow_set;
struct ds;
struct ofpbuf;

/* One audit round: every part of the switch's table read once. */
struct installer_audit {
    uint64_t round;             /* Its number (1, 2, ...). */
    long long int done_msec;    /* When it completed (wall clock). */
    unsigned int n_parts;       /* Requests it took. */
    size_t n_checked;           /* Flows the switch should have, compared. */
    size_t n_missing;           /* Repaired: flows the switch lacked, */
    size_t n_changed;           /* had with other actions or cookie, */
    size_t n_extra;             /* or had, with our cookies, for nothing. */
    size_t n_foreign;           /* Flows of others' cookies (left alone). */
    size_t n_discarded;         /* Parts read again: a bundle overtook. */
    uint64_t usec;              /* From its first request to its last
                                 * reply. */
    uint64_t compare_usec;      /* Of which, comparing in the installer. */
};

struct installer_stats {
    uint64_t connections;       /* Successful (re)connections. */
    uint64_t txns;              /* Bundles committed and confirmed. */
    uint64_t failed_txns;       /* Bundles the switch refused. */
    uint64_t flow_mods;         /* Flow mods in confirmed bundles. */
    uint64_t bad_flows;         /* Desired flows that did not parse (left
                                 * out of the sets given to the installer:
                                 * of_flow_set 'n_unparsed'). */
    uint64_t last_flow_mods;    /* In the last confirmed bundle. */
    uint64_t last_usec;         /* Its time from first send to the
                                 * barrier's reply. */
    uint64_t last_build_usec;   /* The last bundle sent: its time to build
                                 * (compare, encode) and hand over to the
                                 * connection, the part of 'last_usec'
                                 * spent in the controller. */
    uint64_t most_in_flight;    /* The most bundles in flight at once. */
    uint64_t audit_rounds;      /* Audit rounds completed. */
    uint64_t audit_repaired;    /* Flows they repaired. */
    uint64_t audit_discarded;   /* Parts read again. */
};

struct installer *installer_create(const char *name);
void installer_destroy(struct installer *);

/* Connects to 'target' (an OpenFlow connection method such as
 * "unix:/var/run/openvswitch/br-int.mgmt" or "tcp:IP:PORT"), or listens
 * there for the switch if it is passive ("punix:FILE", "ptcp:PORT:IP",
 * "pssl:PORT:IP"), or disconnects if NULL.  Does nothing if the target is
 * unchanged. */
void installer_set_target(struct installer *, const char *target);

/* Makes 'desired' the flows the switch must have: takes its flows (leaving
 * it empty).  Returns a sequence number for this desired state; see
 * installer_confirmed_seqno(). */
uint64_t installer_set_desired(struct installer *, struct of_flow_set *desired);

/* Replaces the desired flows whose cookie is one of the 'n' in 'cookies'
 * by 'flows' (taking them, leaving it empty; each must have one of those
 * cookies).  The next transaction then compares only those cookies' flows,
 * which is what keeps a port move fast whatever the size of the table.
 * Returns the new desired state's sequence number. */
uint64_t installer_update(struct installer *, const uint64_t *cookies,
                          size_t n, struct of_flow_set *flows);

/* While held, the installer sends nothing (the switch keeps what it has);
 * desired states accumulate and go out once released. */
void installer_hold(struct installer *, bool hold);

/* The controller's OpenFlow role on the switch (docs/ha.md).  With
 * INSTALLER_ROLE_NONE (the default) the installer never asks for a role and
 * keeps the switch's default, "equal".  Otherwise it asks for its role on
 * every connection, before anything else: as INSTALLER_ROLE_SECONDARY it
 * never sends a change (reads only); as INSTALLER_ROLE_PRIMARY it sends
 * changes only once the switch confirmed the role with 'generation' as its
 * generation id.  A switch refuses a primary role whose generation is
 * older than one it saw (the controller is stale) and demotes a primary
 * when another controller becomes primary: the installer then sends no
 * change until it is given a newer generation. */
enum installer_role {
    INSTALLER_ROLE_NONE,
    INSTALLER_ROLE_SECONDARY,
    INSTALLER_ROLE_PRIMARY,
};
void installer_set_role(struct installer *, enum installer_role,
                        uint64_t generation);
/* Whether the switch confirmed the role asked for (always true with
 * INSTALLER_ROLE_NONE while connected). */
bool installer_role_confirmed(const struct installer *);

/* After every (re)connection (and every new role), before anything else is
 * sent, dump the switch's whole table.  The first transaction then sends
 * only what differs from the desired flows, nothing at all if the switch
 * has them already (a controller that restarted or took over changes no
 * flow of a switch that was right: that reading then counts as an audit
 * round, installer_audit_last()), and a restarted controller reads what
 * its predecessor left there (installer_get_readback()). */
void installer_set_readback(struct installer *);
/* The flows read back on the current connection (matches and actions as
 * the switch formats them), or NULL while they are not all in yet. */
const struct of_flow_set *installer_get_readback(const struct installer *);

/* The audit.  Every 'interval_ms' (0: only on request), the switch's flows
 * are read back and compared with those it confirmed; what differs is
 * repaired.  A flow that was not expected and whose cookie satisfies
 * (cookie & 'foreign_mask') == 'foreign_cookie' (never, if 'foreign_mask'
 * is 0) is someone else's: counted, logged, left alone.  The first round
 * starts once a connection's first bundle is confirmed; a round that
 * repaired something is followed soon by another one, to confirm. */
void installer_set_audit(struct installer *, long long int interval_ms,
                         uint64_t foreign_cookie, uint64_t foreign_mask);
/* Pacing, for a controller of many switches (cutoverd lets one switch be
 * audited at a time, and none while a switchover waits for its barriers:
 * docs/scale.md).  While the audit is held (it is not, from creation), it
 * sends no request: a round under way waits between two parts.
 * installer_audit_is_reading() says whether a round is under way on a
 * connected switch (the one to let go on), installer_audit_next() when
 * the audit would like to read next, if the installer is idle then: in
 * msec on time_msec()'s clock, LLONG_MIN if a round was asked for,
 * LLONG_MAX for no reading planned or an installer that may not read now
 * (disconnected, busy). */
void installer_audit_hold(struct installer *, bool hold);
bool installer_audit_is_reading(const struct installer *);
long long int installer_audit_next(const struct installer *);
/* Asks for an audit round as soon as the installer is idle.  Returns the
 * number of the round that will answer: one that starts after this
 * call. */
uint64_t installer_audit_request(struct installer *);
/* The last round completed on the current connection, or NULL if none. */
const struct installer_audit *installer_audit_last(const struct installer *);
/* Whether round 'round' (from installer_audit_request()) or a newer one
 * completed. */
bool installer_audit_done(const struct installer *, uint64_t round);
/* Describes 'a' (e.g. "3 flows repaired (1 missing, 1 changed, 1 extra),
 * 0 foreign, 57 checked in 1 part"). */
void installer_audit_format(const struct installer_audit *a, struct ds *);

/* Pacing of the heavy exchanges, for a controller of many switches: reading
 * the switch's whole table back (a connection's or a new role's first
 * request), and the transaction that replaces the whole table or makes it
 * what it should be after that reading.  At tens of thousands of flows,
 * each is a second or more of CPU (decoded, or built from text); cutoverd
 * lets one switch's exchange run at a time (docs/scale.md).  While held (it
 * is not, from creation), the installer starts no such reading and sends
 * no such transaction, and nothing else goes to that switch meanwhile (the
 * next transaction is that one).  installer_wants_full() says whether it
 * would start one now but for the hold; installer_is_full_busy() whether
 * one is under way (a reading not finished, a transaction that has one to
 * send after its reading, or its transaction in flight). */
void installer_hold_full(struct installer *, bool hold);
bool installer_wants_full(const struct installer *);
bool installer_is_full_busy(const struct installer *);

/* Receives what the switch sent, then sends what is due
 * (installer_flush()). */
void installer_run(struct installer *);
void installer_wait(struct installer *);
/* Sends the transaction that is due, if any and if nothing stops it: what
 * installer_set_desired() and installer_update() asked for goes out here
 * (or in the next installer_run()), never from those calls. */
void installer_flush(struct installer *);

bool installer_is_connected(const struct installer *);

/* The sequence number of the newest desired state the switch has confirmed
 * (0 before the first).  The switch has exactly the flows of desired state
 * N once this returns N or more. */
uint64_t installer_confirmed_seqno(const struct installer *);
uint64_t installer_desired_seqno(const struct installer *);

const struct installer_stats *installer_get_stats(const struct installer *);

/* Why the last bundle failed, or NULL. */
const char *installer_last_error(const struct installer *);

void installer_format_status(const struct installer *, struct ds *);

/* Other messages on the installer's connection (the controller's
 * announcement packet-outs, controller/packet-announce.h).
 *
 * installer_send_raw() sends 'msg' (taking it) on the current connection,
 * beside the installer's own transactions; it must be encoded for
 * installer_get_version().  Returns 0 once it is handed to the connection
 * (sent, or queued behind what is), or ENOTCONN if there is none.
 * installer_get_version() is the negotiated OpenFlow version, or -1 while
 * not connected.  The switch's OFPT_ERROR replies to messages that are not
 * the installer's own go to the handler set with
 * installer_set_error_handler() (only one: NULL removes it), with the
 * refused message's transaction ID. */
typedef void installer_error_handler(uint32_t xid, enum ofperr, void *aux);
int installer_send_raw(struct installer *, struct ofpbuf *msg);
int installer_get_version(const struct installer *);
void installer_set_error_handler(struct installer *,
                                 installer_error_handler *, void *aux);

#endif /* installer.h */
