/* The installer: one switch's flow table made what the pipeline wants.  See
 * installer.h.
 *
 * One transaction at a time: [bundle open] [bundle add: flow mod]...
 * [bundle commit] [barrier], sent back to back.  The transaction keeps a
 * copy of what it changes (only that: a port move copies a few flows, not
 * the table); when the barrier's reply arrives with no error for any of the
 * transaction's messages, those changes are applied to the installed set.
 * An error (or a disconnection) makes the next transaction a full one:
 * delete everything, add everything, atomically.
 *
 * The audit reads the switch's table back in parts (flow-audit.h), one flow
 * stats request at a time, only while nothing is in flight or due.  When a
 * part's last reply arrives and no transaction was sent since its request,
 * the switch's answer and 'installed' describe the same moment: the part's
 * differences are then made true in 'installed' (a flow the switch lacks or
 * has otherwise is taken out of it, a flow it should not have is put in) and
 * their cookies marked dirty, so that the next transaction, an ordinary
 * incremental bundle, repairs them.  If a transaction was sent meanwhile (a
 * switchover), the answer may predate it: the part is read again later. */

#include <config.h>
#include "installer.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "byte-order.h"
#include "flow-audit.h"
#include "flow-set.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-connection.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-match.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/rconn.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "of-listener.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(installer);

/* After a bundle fails, wait this long before the next full attempt, so that
 * a flow the switch keeps refusing does not make us spin. */
#define RETRY_MSEC 1000

/* After an audit round that repaired something, the next one comes this
 * soon (doubling while rounds keep repairing, up to the interval), to
 * confirm the repair. */
#define AUDIT_RECHECK_MSEC 200

/* The OpenFlow versions the installer speaks: bundles need 1.4. */
#define INSTALLER_VERSIONS ((1u << OFP14_VERSION) | (1u << OFP15_VERSION))

/* A transaction in flight: a bundle and its barrier.  Up to
 * INSTALLER_MAX_TXNS incremental ones are in flight at once (a switch
 * applies bundles in the order they come), so that what the loop decides
 * while a bundle is out (the next switchovers of an evacuation) goes out
 * at once instead of waiting for that bundle's barrier.  A full one goes
 * alone.  If a bundle fails, the ones sent after it were differences from
 * a table the switch does not have: they are forgotten (their replies
 * ignored), and the next bundle replaces the whole table. */
#define INSTALLER_MAX_TXNS 8
struct installer_txn {
    uint32_t first_xid, barrier_xid;
    uint64_t seqno;             /* The desired state it makes true. */
    bool full;                  /* It replaces the whole table. */
    bool error;                 /* The switch refused part of it. */
    long long int start_usec;
    size_t flow_mods;
};

struct installer {
    char *name;
    char *target;
    struct rconn *rconn;
    /* A passive target: where the switch connects to us.  Each connection
     * it accepts goes to 'rconn', replacing the one before.  NULL for an
     * active target, which 'rconn' connects to itself. */
    struct of_listener *listener;
    unsigned int conn_seqno;    /* rconn connection we last synced with. */
    bool need_full;             /* Next transaction replaces everything. */
    uint32_t next_bundle_id;

    struct of_flow_set desired;
    uint64_t desired_seqno;
    /* What changed in 'desired' since the last transaction was sent: all
     * of it ('diff_all', after installer_set_desired()), or only the flows
     * of the cookies in 'dirty' (installer_update()). */
    bool diff_all;
    uint64_t *dirty;
    size_t n_dirty, allocated_dirty;
    bool held;                  /* installer_hold(). */
    /* What the switch has once every transaction in flight is confirmed
     * (each is applied here when it is sent): the next transaction is the
     * difference from it. */
    struct of_flow_set installed;
    uint64_t confirmed_seqno;

    /* The transactions in flight, oldest first (txns[0]). */
    struct installer_txn txns[INSTALLER_MAX_TXNS];
    size_t n_txns;

    /* Read-back (installer_set_readback()): after each connection (and
     * each new role), the whole table is dumped before anything is
     * sent. */
    bool rb_enabled;
    uint32_t rb_xid;            /* Of the dump request in flight, or 0. */
    long long int rb_start_usec;        /* When it was sent. */
    bool rb_done;               /* 'found' holds this connection's. */
    bool rb_fresh;              /* ...and nothing was sent since: the first
                                 * transaction may send only what differs
                                 * (reconcile()). */
    struct of_flow_set found;

    uint64_t txns_sent;         /* Transactions sent, ever. */
    uint64_t reconciled;        /* Connections whose flows were found right
                                 * (nothing sent), ever. */

    /* The audit (installer_set_audit()). */
    long long int audit_interval;       /* Msec; 0: on request only. */
    uint64_t audit_foreign_cookie, audit_foreign_mask;
    long long int audit_next;   /* Next round due (msec), or LLONG_MAX. */
    uint64_t audit_wanted;      /* Round asked for (installer_audit_request). */
    unsigned int audit_repeats; /* Repairing rounds in a row. */
    bool audit_held;            /* installer_audit_hold(). */
    bool full_held;             /* installer_hold_full(). */
    bool audit_running;         /* A round is under way, */
    unsigned int audit_part;    /* reading this part */
    unsigned int audit_n_parts; /* of so many. */
    uint32_t audit_xid;         /* Its request in flight, or 0. */
    uint64_t audit_txn_mark;    /* 'txns_sent' when it was sent. */
    struct of_flow_set audit_found;     /* Its replies so far. */
    long long int audit_start_usec;
    struct installer_audit audit_cur;   /* The round under way. */
    struct installer_audit audit_last;  /* The last one completed, */
    unsigned int audit_last_conn;       /* on this connection seqno. */
    /* The round's expected flows: 'installed' split into its parts
     * (flow_audit_split()), once a round, and again only if 'installed'
     * changed since ('installed_changes' is then other than
     * 'audit_split_mark'). */
    struct of_flow_set *audit_parts;    /* 'audit_n_split' sets, or NULL. */
    unsigned int audit_n_split;
    uint64_t audit_split_mark;
    uint64_t installed_changes; /* Counts changes of 'installed'. */

    /* The OpenFlow role (installer_set_role()). */
    enum installer_role role;
    uint64_t generation;        /* Its generation id. */
    uint32_t role_xid;          /* Of the role request in flight, or 0. */
    bool role_ok;               /* The switch confirmed it. */
    bool role_refused;          /* The switch refused it or demoted us:
                                 * nothing is sent until a new role. */

    long long int retry_at;     /* No transaction before (msec), or 0. */
    char *last_error;
    struct installer_stats stats;

    /* installer_set_error_handler(). */
    installer_error_handler *error_handler;
    void *error_aux;
};

static void audit_parts_free(struct installer *);

struct installer *
installer_create(const char *name)
{
    struct installer *inst = xzalloc(sizeof *inst);

    inst->name = xstrdup(name);
    inst->rconn = rconn_create(5, 4, 0, INSTALLER_VERSIONS);
    of_flow_set_init(&inst->desired);
    of_flow_set_init(&inst->installed);
    of_flow_set_init(&inst->found);
    of_flow_set_init(&inst->audit_found);
    inst->audit_next = LLONG_MAX;
    inst->need_full = true;
    return inst;
}

void
installer_destroy(struct installer *inst)
{
    if (inst) {
        rconn_destroy(inst->rconn);
        of_listener_destroy(inst->listener);
        of_flow_set_destroy(&inst->desired);
        of_flow_set_destroy(&inst->installed);
        of_flow_set_destroy(&inst->found);
        of_flow_set_destroy(&inst->audit_found);
        audit_parts_free(inst);
        free(inst->dirty);
        free(inst->name);
        free(inst->target);
        free(inst->last_error);
        free(inst);
    }
}

void
installer_set_target(struct installer *inst, const char *target)
{
    if (nullable_string_is_equal(target, inst->target)) {
        return;
    }
    free(inst->target);
    inst->target = nullable_xstrdup(target);
    inst->n_txns = 0;
    inst->need_full = true;
    of_listener_destroy(inst->listener);
    inst->listener = NULL;
    if (target && !pvconn_verify_name(target)) {
        rconn_disconnect(inst->rconn);
        inst->listener = of_listener_create(inst->name, target,
                                            INSTALLER_VERSIONS);
    } else if (target) {
        VLOG_INFO("%s: connecting to %s", inst->name, target);
        rconn_connect(inst->rconn, target, inst->name);
    } else {
        rconn_disconnect(inst->rconn);
    }
}

/* Hands a connection the switch made to a passive target to 'rconn',
 * which drops the one it had: the switch's newest connection is the one
 * that counts (a restarted ovs-vswitchd, or one that gave up on the old
 * connection before we noticed it was gone). */
static void
installer_accept(struct installer *inst)
{
    struct vconn *vconn = of_listener_run(inst->listener);

    if (!vconn) {
        return;
    }
    if (rconn_is_alive(inst->rconn)) {
        VLOG_INFO("%s: connection from %s replaces the one from %s",
                  inst->name, vconn_get_name(vconn),
                  rconn_get_target(inst->rconn));
    } else {
        VLOG_INFO("%s: connection from %s", inst->name,
                  vconn_get_name(vconn));
    }
    rconn_connect_unreliably(inst->rconn, vconn, inst->name);
}

uint64_t
installer_set_desired(struct installer *inst, struct of_flow_set *desired)
{
    inst->stats.bad_flows += desired->n_unparsed;
    of_flow_set_clear(&inst->desired);
    of_flow_set_swap(&inst->desired, desired);
    of_flow_set_clear(desired);
    inst->diff_all = true;
    return ++inst->desired_seqno;
}

static bool
cookie_in(uint64_t cookie, const uint64_t *cookies, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cookies[i] == cookie) {
            return true;
        }
    }
    return false;
}

/* Marks 'cookie''s flows for the next incremental transaction to
 * compare. */
static void
mark_dirty(struct installer *inst, uint64_t cookie)
{
    if (!cookie_in(cookie, inst->dirty, inst->n_dirty)) {
        if (inst->n_dirty >= inst->allocated_dirty) {
            inst->dirty = x2nrealloc(inst->dirty, &inst->allocated_dirty,
                                     sizeof *inst->dirty);
        }
        inst->dirty[inst->n_dirty++] = cookie;
    }
}

uint64_t
installer_update(struct installer *inst, const uint64_t *cookies, size_t n,
                 struct of_flow_set *flows)
{
    struct of_flow *f;

    inst->stats.bad_flows += flows->n_unparsed;
    flows->n_unparsed = 0;
    for (size_t i = 0; i < n; i++) {
        of_flow_set_remove_cookie(&inst->desired, cookies[i]);
    }
    HMAP_FOR_EACH_SAFE (f, node, &flows->flows) {
        ovs_assert(cookie_in(f->cookie, cookies, n));
        /* A flow whose identity another cookie's flow has is dropped: the
         * model is inconsistent, and the full computation says so too. */
        of_flow_set_move(&inst->desired, flows, f);
    }
    for (size_t i = 0; i < n; i++) {
        mark_dirty(inst, cookies[i]);
    }
    return ++inst->desired_seqno;
}

void
installer_hold(struct installer *inst, bool hold)
{
    inst->held = hold;
}

void
installer_set_readback(struct installer *inst)
{
    inst->rb_enabled = true;
}

const struct of_flow_set *
installer_get_readback(const struct installer *inst)
{
    return inst->rb_done ? &inst->found : NULL;
}

bool
installer_is_connected(const struct installer *inst)
{
    return rconn_is_connected(inst->rconn);
}

uint64_t
installer_confirmed_seqno(const struct installer *inst)
{
    return inst->confirmed_seqno;
}

uint64_t
installer_desired_seqno(const struct installer *inst)
{
    return inst->desired_seqno;
}

const struct installer_stats *
installer_get_stats(const struct installer *inst)
{
    return &inst->stats;
}

const char *
installer_last_error(const struct installer *inst)
{
    return inst->last_error;
}

static uint32_t
msg_xid(const struct ofpbuf *msg)
{
    const struct ofp_header *oh = msg->data;

    return ntohl(oh->xid);
}

static bool
send_msg(struct installer *inst, struct ofpbuf *msg)
{
    int error = rconn_send(inst->rconn, msg, NULL);

    if (error) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "%s: send failed (%s)", inst->name,
                     ovs_strerror(error));
        return false;
    }
    return true;
}

/* Adds to bundle 'bc' of transaction 't' a flow mod with 'command' for
 * flow 'f' (NULL: every flow, for a delete), encoded from its parsed form,
 * and, if it was sent, makes it true in 'installed' (where 'f' may be: it
 * is not used afterwards).  Returns false if the connection failed. */
static bool
send_flow_mod(struct installer *inst, struct installer_txn *t,
              const struct ofputil_bundle_ctrl_msg *bc,
              enum ofputil_protocol protocol, int command,
              const struct of_flow *f)
{
    enum ofp_version version = ofputil_protocol_to_ofp_version(protocol);
    struct ofputil_flow_mod fm = {
        .priority = f ? f->priority : OFP_DEFAULT_PRIORITY,
        .table_id = f ? f->table : OFPTT_ALL,
        .command = command,
        .buffer_id = UINT32_MAX,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
    };
    struct ofputil_bundle_add_msg bam;
    struct ofpbuf *fm_msg;
    bool sent;

    if (f) {
        fm.match = f->parsed->match;
        if (command == OFPFC_ADD) {
            fm.new_cookie = htonll(f->cookie);
            fm.ofpacts = f->parsed->ofpacts;
            fm.ofpacts_len = f->parsed->ofpacts_len;
        }
    } else {
        minimatch_init_catchall(&fm.match);
    }
    fm_msg = ofputil_encode_flow_mod(&fm, protocol);
    if (!f) {
        minimatch_destroy(&fm.match);
    }
    ofpmsg_update_length(fm_msg);

    bam.bundle_id = bc->bundle_id;
    bam.flags = bc->flags;
    bam.msg = fm_msg->data;
    sent = send_msg(inst, ofputil_encode_bundle_add(version, &bam));
    ofpbuf_delete(fm_msg);
    t->flow_mods++;
    if (sent && f) {
        struct of_flow *old = of_flow_set_find_flow(&inst->installed, f);

        if (command == OFPFC_ADD) {
            if (old) {
                of_flow_set_remove(&inst->installed, old);
            }
            of_flow_set_add_flow(&inst->installed, f);
        } else if (old) {
            of_flow_set_remove(&inst->installed, old);
        }
    }
    return sent;
}

/* Sends the transaction that turns the switch's table into the desired
 * set: everything after a (re)connection or a failure, else the
 * difference from what the switch confirmed. */
static void
send_txn(struct installer *inst)
{
    enum ofp_version version = rconn_get_version(inst->rconn);
    enum ofputil_protocol protocol = ofputil_protocol_from_ofp_version(version);
    struct ofputil_bundle_ctrl_msg bc = {
        .bundle_id = ++inst->next_bundle_id,
        .type = OFPBCT_OPEN_REQUEST,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };
    struct installer_txn *t = &inst->txns[inst->n_txns];
    struct ofpbuf *msg;
    bool ok;

    *t = (struct installer_txn) {
        .seqno = inst->desired_seqno,
        .full = inst->need_full,
        .start_usec = time_usec(),
    };
    inst->txns_sent++;
    inst->rb_fresh = false;
    inst->installed_changes++;

    msg = ofputil_encode_bundle_ctrl_request(version, &bc);
    t->first_xid = msg_xid(msg);
    ok = send_msg(inst, msg);

    if (t->full) {
        const struct of_flow *f;

        of_flow_set_clear(&inst->installed);
        ok = ok && send_flow_mod(inst, t, &bc, protocol, OFPFC_DELETE, NULL);
        HMAP_FOR_EACH (f, node, &inst->desired.flows) {
            if (!ok) {
                break;
            }
            ok = send_flow_mod(inst, t, &bc, protocol, OFPFC_ADD, f);
        }
    } else {
        struct of_flow_diff d;

        if (inst->diff_all) {
            of_flow_set_diff(&inst->installed, &inst->desired, &d);
        } else {
            of_flow_set_diff_cookies(&inst->installed, &inst->desired,
                                     inst->dirty, inst->n_dirty, &d);
        }
        for (size_t i = 0; ok && i < d.n_del; i++) {
            ok = send_flow_mod(inst, t, &bc, protocol, OFPFC_DELETE_STRICT,
                               d.del[i]);
        }
        /* An add replaces a flow with the same identity. */
        for (size_t i = 0; ok && i < d.n_add + d.n_modify; i++) {
            ok = send_flow_mod(inst, t, &bc, protocol, OFPFC_ADD,
                               i < d.n_add ? d.add[i]
                                           : d.modify[i - d.n_add]);
        }
        of_flow_diff_destroy(&d);
    }

    bc.type = OFPBCT_COMMIT_REQUEST;
    ok = ok && send_msg(inst, ofputil_encode_bundle_ctrl_request(version,
                                                                 &bc));
    msg = ofputil_encode_barrier_request(version);
    t->barrier_xid = msg_xid(msg);
    ok = ok && send_msg(inst, msg);

    inst->diff_all = false;
    inst->n_dirty = 0;
    inst->stats.last_build_usec = time_usec() - t->start_usec;
    if (ok) {
        inst->n_txns++;
        inst->stats.most_in_flight = MAX(inst->stats.most_in_flight,
                                         inst->n_txns);
        inst->need_full = false;
        VLOG_DBG("%s: sent %s bundle %"PRIu32" with %"PRIuSIZE" flow mods "
                 "(desired state %"PRIu64", %"PRIuSIZE" in flight) in %lld "
                 "us", inst->name, t->full ? "full" : "incremental",
                 bc.bundle_id, t->flow_mods, t->seqno, inst->n_txns,
                 time_usec() - t->start_usec);
    } else {
        /* The connection broke: start over once it is back. */
        inst->n_txns = 0;
        inst->need_full = true;
    }
}

/* The transaction in flight that 'xid' belongs to, or NULL. */
static struct installer_txn *
txn_of_xid(struct installer *inst, uint32_t xid)
{
    for (size_t i = 0; i < inst->n_txns; i++) {
        struct installer_txn *t = &inst->txns[i];

        if (xid - t->first_xid <= t->barrier_xid - t->first_xid) {
            return t;
        }
    }
    return NULL;
}

/* The barrier of the oldest transaction in flight came back. */
static void
finish_txn(struct installer *inst)
{
    struct installer_txn t = inst->txns[0];

    inst->n_txns--;
    memmove(&inst->txns[0], &inst->txns[1],
            inst->n_txns * sizeof inst->txns[0]);
    if (t.error) {
        /* What was sent after it assumed it: forget it all, and replace
         * the whole table. */
        inst->n_txns = 0;
        inst->stats.failed_txns++;
        inst->need_full = true;
        inst->retry_at = time_msec() + RETRY_MSEC;
        return;
    }
    inst->confirmed_seqno = t.seqno;
    inst->stats.txns++;
    inst->stats.flow_mods += t.flow_mods;
    inst->stats.last_flow_mods = t.flow_mods;
    inst->stats.last_usec = time_usec() - t.start_usec;
    free(inst->last_error);
    inst->last_error = NULL;
    VLOG_DBG("%s: desired state %"PRIu64" confirmed: %"PRIu64" flow mods "
             "in %"PRIu64" us", inst->name, inst->confirmed_seqno,
             inst->stats.last_flow_mods, inst->stats.last_usec);
}

/* Whether the installer would read the switch's whole table back now (a
 * connection's or a new role's first exchange) but for
 * installer_hold_full(). */
static bool
wants_readback(const struct installer *inst)
{
    return (inst->rb_enabled && !inst->rb_done && !inst->rb_xid
            && rconn_is_connected(inst->rconn));
}

/* Asks the switch for every flow of every table (installer_set_readback()). */
static void
send_readback_request(struct installer *inst)
{
    enum ofp_version version = rconn_get_version(inst->rconn);
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
        /* Every flow: what the first transaction compares with. */
        .cookie = htonll(0),
        .cookie_mask = htonll(0),
    };
    struct ofpbuf *msg;

    match_init_catchall(&fsr.match);
    msg = ofputil_encode_flow_stats_request(
        &fsr, ofputil_protocol_from_ofp_version(version));
    inst->rb_xid = msg_xid(msg);
    inst->rb_start_usec = time_usec();
    if (!send_msg(inst, msg)) {
        inst->rb_xid = 0;
    }
}

/* Asks the switch for the installer's role.  (libopenvswitch encodes role
 * replies, not requests.) */
static void
send_role_request(struct installer *inst)
{
    enum ofp_version version = rconn_get_version(inst->rconn);
    struct ofp12_role_request *rr;
    struct ofpbuf *msg;

    msg = ofpraw_alloc(OFPRAW_OFPT12_ROLE_REQUEST, version, 0);
    rr = ofpbuf_put_zeros(msg, sizeof *rr);
    rr->role = htonl(inst->role == INSTALLER_ROLE_PRIMARY
                     ? OFPCR12_ROLE_PRIMARY : OFPCR12_ROLE_SECONDARY);
    rr->generation_id = htonll(inst->generation);
    inst->role_ok = false;
    inst->role_xid = msg_xid(msg);
    if (!send_msg(inst, msg)) {
        inst->role_xid = 0;
    }
}

/* Forgets what was in flight and what the switch was known to have, as a
 * new connection (or a new role) must; on a connection, asks for the role
 * and reads back, before anything else is sent. */
static void
start_over(struct installer *inst)
{
    inst->n_txns = 0;
    inst->need_full = true;
    inst->retry_at = 0;
    inst->rb_done = false;
    inst->rb_fresh = false;
    inst->rb_xid = 0;
    of_flow_set_clear(&inst->found);
    /* An audit round under way is abandoned; the next one starts once the
     * first bundle is confirmed. */
    inst->audit_running = false;
    inst->audit_xid = 0;
    inst->audit_repeats = 0;
    of_flow_set_clear(&inst->audit_found);
    audit_parts_free(inst);
    inst->role_ok = false;
    inst->role_refused = false;
    inst->role_xid = 0;
    if (rconn_is_connected(inst->rconn)) {
        if (inst->role != INSTALLER_ROLE_NONE) {
            send_role_request(inst);
        }
        if (wants_readback(inst) && !inst->full_held) {
            send_readback_request(inst);
        }
    }
}

static const char *
role_name(enum installer_role role)
{
    return (role == INSTALLER_ROLE_PRIMARY ? "primary"
            : role == INSTALLER_ROLE_SECONDARY ? "secondary" : "equal");
}

void
installer_set_role(struct installer *inst, enum installer_role role,
                   uint64_t generation)
{
    if (role == inst->role && generation == inst->generation) {
        return;
    }
    inst->role = role;
    inst->generation = generation;
    /* Whatever was in flight was sent in another role; what the switch
     * has is read again, as after a new connection (a controller that has
     * just become primary must see what its predecessor left there). */
    start_over(inst);
}

bool
installer_role_confirmed(const struct installer *inst)
{
    return (rconn_is_connected(inst->rconn)
            && (inst->role == INSTALLER_ROLE_NONE || inst->role_ok));
}

/* The switch no longer takes changes from us: 'why' says what it did. */
static void
role_lost(struct installer *inst, char *why)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

    inst->role_ok = false;
    inst->role_refused = true;
    free(inst->last_error);
    inst->last_error = why;
    VLOG_WARN_RL(&rl, "%s: %s", inst->name, why);
}

/* A role reply or a role status: 'oh' tells our role now. */
static void
handle_role_reply(struct installer *inst, const struct ofp_header *oh)
{
    struct ofputil_role_request reply;
    enum ofp12_controller_role want = (inst->role == INSTALLER_ROLE_PRIMARY
                                       ? OFPCR12_ROLE_PRIMARY
                                       : OFPCR12_ROLE_SECONDARY);

    inst->role_xid = 0;
    if (ofputil_decode_role_message(oh, &reply)) {
        return;
    }
    if (reply.role == want) {
        inst->role_ok = true;
        VLOG_INFO("%s: the switch confirmed our %s role (generation %"
                  PRIu64")", inst->name, role_name(inst->role),
                  inst->generation);
    } else {
        role_lost(inst, xasprintf("the switch answered our %s role request "
                                  "with role %d", role_name(inst->role),
                                  (int) reply.role));
    }
}

static void
handle_role_status(struct installer *inst, const struct ofp_header *oh)
{
    struct ofputil_role_status rs;

    if (ofputil_decode_role_status(oh, &rs)
        || inst->role != INSTALLER_ROLE_PRIMARY
        || rs.role == OFPCR12_ROLE_PRIMARY) {
        return;
    }
    role_lost(inst, xasprintf("demoted by the switch: another controller "
                              "became primary with generation %"PRIu64
                              " (ours: %"PRIu64")", rs.generation_id,
                              inst->generation));
}

/* Adds the flows of flow stats reply 'oh' to 'set', as text in the syntax
 * the audit compares (flow_audit_add_stats()). */
static void
decode_flow_stats(const struct installer *inst, const struct ofp_header *oh,
                  struct of_flow_set *set)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofpbuf ofpacts;

    ofpbuf_init(&ofpacts, 64);
    for (;;) {
        struct ofputil_flow_stats fs;
        int retval = ofputil_decode_flow_stats_reply(&fs, &b, false,
                                                     &ofpacts);

        if (retval) {
            if (retval != EOF) {
                VLOG_WARN_RL(&rl, "%s: bad flow stats reply (%s)",
                             inst->name, ofperr_to_string(retval));
            }
            break;
        }
        flow_audit_add_stats(set, &fs);
    }
    ofpbuf_uninit(&ofpacts);
}

/* Adds the flows of a read-back reply to 'found'. */
static void
handle_readback_reply(struct installer *inst, const struct ofp_header *oh)
{
    decode_flow_stats(inst, oh, &inst->found);
    if (!ofpmp_more(oh)) {
        inst->rb_done = true;
        inst->rb_fresh = true;
        inst->rb_xid = 0;
        VLOG_DBG("%s: read back %"PRIuSIZE" flows", inst->name,
                 of_flow_set_count(&inst->found));
    }
}

static void handle_audit_reply(struct installer *, const struct ofp_header *);

static void
handle_msg(struct installer *inst, struct ofpbuf *msg)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    const struct ofp_header *oh = msg->data;
    uint32_t xid = ntohl(oh->xid);
    enum ofptype type;

    if (ofptype_decode(&type, oh)) {
        return;
    }
    switch (type) {
    case OFPTYPE_ECHO_REQUEST:
        send_msg(inst, ofputil_encode_echo_reply(oh));
        break;

    case OFPTYPE_ERROR:
        if (inst->role_xid && xid == inst->role_xid) {
            enum ofperr error = ofperr_decode_msg(oh, NULL);

            inst->role_xid = 0;
            role_lost(inst, xasprintf("the switch refused our %s role "
                                      "with generation %"PRIu64": %s%s",
                                      role_name(inst->role),
                                      inst->generation,
                                      ofperr_to_string(error),
                                      error == OFPERR_OFPRRFC_STALE
                                      ? " (a controller with a newer "
                                      "generation took over: this one is "
                                      "stale)" : ""));
        } else if (txn_of_xid(inst, xid)) {
            struct ofpbuf payload;
            enum ofperr error = ofperr_decode_msg(oh, &payload);

            txn_of_xid(inst, xid)->error = true;
            free(inst->last_error);
            inst->last_error = xasprintf("the switch refused bundle "
                                         "message xid %#"PRIx32": %s",
                                         xid, ofperr_to_string(error));
            VLOG_WARN_RL(&rl, "%s: %s", inst->name, inst->last_error);
            if (error == OFPERR_OFPBRC_IS_SECONDARY) {
                role_lost(inst, xasprintf("the switch refused our bundle: "
                                          "we are not its primary "
                                          "controller"));
            }
        } else if (inst->error_handler) {
            inst->error_handler(xid, ofperr_decode_msg(oh, NULL),
                                inst->error_aux);
        } else {
            VLOG_DBG_RL(&rl, "%s: unexpected error message xid %#"PRIx32,
                        inst->name, xid);
        }
        break;

    case OFPTYPE_FLOW_STATS_REPLY:
        if (inst->rb_xid && xid == inst->rb_xid) {
            handle_readback_reply(inst, oh);
        } else if (inst->audit_xid && xid == inst->audit_xid) {
            handle_audit_reply(inst, oh);
        }
        break;

    case OFPTYPE_ROLE_REPLY:
        if (inst->role_xid && xid == inst->role_xid) {
            handle_role_reply(inst, oh);
        }
        break;

    case OFPTYPE_ROLE_STATUS:
        handle_role_status(inst, oh);
        break;

    case OFPTYPE_BARRIER_REPLY:
        if (inst->n_txns && xid == inst->txns[0].barrier_xid) {
            finish_txn(inst);
        }
        break;

    default:
        break;
    }
}

/* Whether our role lets us change the switch's flows. */
static bool
may_change(const struct installer *inst)
{
    return (inst->role == INSTALLER_ROLE_NONE
            || (inst->role == INSTALLER_ROLE_PRIMARY && inst->role_ok));
}

/* Whether a transaction is due and nothing stops it.  (Dirty cookies
 * with nothing new desired: an audit's repair.) */
static bool
may_send(const struct installer *inst)
{
    /* Nothing before the first desired state: a full transaction would
     * empty the switch (a restarted controller, before it knows a host's
     * ports). */
    uint64_t sent_seqno = (inst->n_txns
                           ? inst->txns[inst->n_txns - 1].seqno
                           : inst->confirmed_seqno);

    return (rconn_is_connected(inst->rconn)
            && (!inst->n_txns
                || (inst->n_txns < INSTALLER_MAX_TXNS && !inst->need_full
                    && !inst->txns[inst->n_txns - 1].full))
            && !inst->held && (!inst->rb_enabled || inst->rb_done)
            && may_change(inst) && inst->desired_seqno
            && (inst->need_full || inst->n_dirty || inst->diff_all
                || sent_seqno != inst->desired_seqno));
}

/* Whether the audit may read the switch now: connected, nothing in flight,
 * due or held, so that the switch's answer describes 'installed'. */
static bool
audit_may_read(const struct installer *inst)
{
    return (rconn_is_connected(inst->rconn) && !inst->n_txns
            && !inst->held && (!inst->rb_enabled || inst->rb_done)
            && may_change(inst) && !inst->need_full && !inst->retry_at && !inst->diff_all
            && !inst->n_dirty
            && inst->confirmed_seqno == inst->desired_seqno);
}

/* Whether an audit round should start now (if the installer is idle). */
static bool
audit_due(const struct installer *inst)
{
    return (!inst->audit_running
            && (inst->audit_wanted > inst->stats.audit_rounds
                || time_msec() >= inst->audit_next));
}

/* Frees the round's expected flows. */
static void
audit_parts_free(struct installer *inst)
{
    for (unsigned int i = 0; i < inst->audit_n_split; i++) {
        of_flow_set_destroy(&inst->audit_parts[i]);
    }
    free(inst->audit_parts);
    inst->audit_parts = NULL;
    inst->audit_n_split = 0;
}

/* The flows the switch should answer for part 'part' of the round under
 * way. */
static const struct of_flow_set *
audit_expected(struct installer *inst, unsigned int part)
{
    if (!inst->audit_parts || inst->audit_n_split != inst->audit_n_parts
        || inst->audit_split_mark != inst->installed_changes) {
        audit_parts_free(inst);
        inst->audit_n_split = inst->audit_n_parts;
        inst->audit_parts = xmalloc(inst->audit_n_split
                                    * sizeof *inst->audit_parts);
        for (unsigned int i = 0; i < inst->audit_n_split; i++) {
            of_flow_set_init(&inst->audit_parts[i]);
        }
        flow_audit_split(&inst->installed, inst->audit_n_split,
                         inst->audit_parts);
        inst->audit_split_mark = inst->installed_changes;
    }
    return &inst->audit_parts[part];
}

/* Sends the request for the current part of the audit round under way,
 * starting a round if one is due. */
static void
audit_run(struct installer *inst)
{
    enum ofp_version version;
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    uint64_t cookie, mask;
    struct ofpbuf *msg;

    if (inst->audit_xid || inst->audit_held || !audit_may_read(inst)
        || (!inst->audit_running && !audit_due(inst))) {
        return;
    }
    if (!inst->audit_running) {
        inst->audit_running = true;
        inst->audit_part = 0;
        inst->audit_n_parts = flow_audit_n_parts(
            of_flow_set_count(&inst->installed));
        memset(&inst->audit_cur, 0, sizeof inst->audit_cur);
        inst->audit_cur.n_parts = inst->audit_n_parts;
        inst->audit_start_usec = time_usec();
    }

    version = rconn_get_version(inst->rconn);
    flow_audit_part_cookie(inst->audit_part, inst->audit_n_parts, &cookie,
                           &mask);
    fsr.cookie = htonll(cookie);
    fsr.cookie_mask = htonll(mask);
    match_init_catchall(&fsr.match);
    msg = ofputil_encode_flow_stats_request(
        &fsr, ofputil_protocol_from_ofp_version(version));
    of_flow_set_clear(&inst->audit_found);
    inst->audit_xid = msg_xid(msg);
    inst->audit_txn_mark = inst->txns_sent;
    if (!send_msg(inst, msg)) {
        inst->audit_xid = 0;
    }
}

/* Logs flow 'f' of an audit's difference 'what'. */
static void
audit_log(const struct installer *inst, const char *who, const char *what,
          const struct of_flow *f)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);
    struct ds s = DS_EMPTY_INITIALIZER;

    if (who && !VLOG_DROP_WARN(&rl)) {
        of_flow_format(f, &s);
        VLOG_WARN("%s: %s: %s: %s", inst->name, who, what, ds_cstr(&s));
        ds_destroy(&s);
    }
}

/* Makes the differences of 'd' true in 'installed' and marks their
 * cookies dirty: the next transaction repairs them.  Each is logged as
 * found by 'who', unless it is NULL. */
static void
audit_repair(struct installer *inst, const char *who,
             const struct flow_audit_diff *d)
{
    if (flow_audit_diff_count(d)) {
        inst->installed_changes++;
    }
    for (size_t i = 0; i < d->n_missing + d->n_changed; i++) {
        const struct of_flow *f = (i < d->n_missing ? d->missing[i]
                                   : d->changed[i - d->n_missing]);

        audit_log(inst, who, (i < d->n_missing ? "the switch lacks a flow"
                         : "the switch has this flow otherwise"), f);
        /* Every flow of its cookie goes again: an add replaces. */
        of_flow_set_remove_cookie(&inst->installed, f->cookie);
        mark_dirty(inst, f->cookie);
    }
    for (size_t i = 0; i < d->n_extra; i++) {
        const struct of_flow *f = d->extra[i];

        audit_log(inst, who, "the switch has a flow it should not have", f);
        of_flow_set_add_flow(&inst->installed, f);
        mark_dirty(inst, f->cookie);
    }
    for (size_t i = 0; i < d->n_foreign; i++) {
        audit_log(inst, who, "left alone, someone else's flow",
                  d->foreign[i]);
    }
}

/* Ends the round under way. */
static void
audit_finish_round(struct installer *inst)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct installer_audit *a = &inst->audit_cur;
    size_t repaired = a->n_missing + a->n_changed + a->n_extra;
    long long int now = time_msec();

    a->round = ++inst->stats.audit_rounds;
    a->done_msec = time_wall_msec();
    a->usec = time_usec() - inst->audit_start_usec;
    inst->audit_last = *a;
    inst->audit_last_conn = inst->conn_seqno;
    inst->audit_running = false;
    audit_parts_free(inst);
    inst->stats.audit_repaired += repaired;

    if (repaired) {
        struct ds s = DS_EMPTY_INITIALIZER;
        long long int recheck = AUDIT_RECHECK_MSEC << MIN(inst->audit_repeats,
                                                          8);

        if (inst->audit_interval) {
            recheck = MIN(recheck, MAX(inst->audit_interval,
                                       AUDIT_RECHECK_MSEC));
        }
        inst->audit_repeats++;
        inst->audit_next = now + recheck;
        installer_audit_format(a, &s);
        VLOG_WARN_RL(&rl, "%s: audit round %"PRIu64": %s", inst->name,
                     a->round, ds_cstr(&s));
        ds_destroy(&s);
    } else {
        inst->audit_repeats = 0;
        inst->audit_next = (inst->audit_interval
                            ? now + inst->audit_interval : LLONG_MAX);
        VLOG_DBG("%s: audit round %"PRIu64": in sync, %"PRIuSIZE" flows "
                 "checked in %u parts, %"PRIu64" us", inst->name, a->round,
                 a->n_checked, a->n_parts, a->usec);
    }
}

/* Compares the part just read with 'installed' and repairs what differs,
 * unless a transaction overtook the reading. */
static void
audit_part_done(struct installer *inst)
{
    struct installer_audit *a = &inst->audit_cur;
    long long int start = time_usec();
    const struct of_flow_set *expected;
    struct flow_audit_diff d;

    if (inst->txns_sent != inst->audit_txn_mark) {
        /* The switch answered before (or while) it took a newer bundle:
         * read this part again once that is confirmed. */
        a->n_discarded++;
        inst->stats.audit_discarded++;
        of_flow_set_clear(&inst->audit_found);
        return;
    }

    expected = audit_expected(inst, inst->audit_part);
    flow_audit_compare(expected, &inst->audit_found,
                       inst->audit_foreign_cookie, inst->audit_foreign_mask,
                       &d);
    a->n_checked += of_flow_set_count(expected);
    a->n_missing += d.n_missing;
    a->n_changed += d.n_changed;
    a->n_extra += d.n_extra;
    a->n_foreign += d.n_foreign;
    audit_repair(inst, "audit", &d);
    flow_audit_diff_destroy(&d);
    of_flow_set_clear(&inst->audit_found);
    a->compare_usec += time_usec() - start;

    if (++inst->audit_part >= inst->audit_n_parts) {
        audit_finish_round(inst);
    }
}

/* Adds the flows of an audit's flow stats reply to 'audit_found'; after
 * the last, compares. */
static void
handle_audit_reply(struct installer *inst, const struct ofp_header *oh)
{
    decode_flow_stats(inst, oh, &inst->audit_found);
    if (!ofpmp_more(oh)) {
        inst->audit_xid = 0;
        audit_part_done(inst);
    }
}

void
installer_set_audit(struct installer *inst, long long int interval_ms,
                    uint64_t foreign_cookie, uint64_t foreign_mask)
{
    if (interval_ms != inst->audit_interval) {
        inst->audit_interval = interval_ms;
        inst->audit_next = interval_ms ? time_msec() : LLONG_MAX;
    }
    inst->audit_foreign_cookie = foreign_cookie;
    inst->audit_foreign_mask = foreign_mask;
}

void
installer_hold_full(struct installer *inst, bool hold)
{
    inst->full_held = hold;
}

bool
installer_wants_full(const struct installer *inst)
{
    return wants_readback(inst) || (may_send(inst) && inst->need_full);
}

bool
installer_is_full_busy(const struct installer *inst)
{
    return (inst->rb_xid || (inst->n_txns && inst->txns[0].full)
            || (inst->rb_done && may_send(inst) && inst->need_full));
}

void
installer_audit_hold(struct installer *inst, bool hold)
{
    inst->audit_held = hold;
}

bool
installer_audit_is_reading(const struct installer *inst)
{
    return (rconn_is_connected(inst->rconn)
            && (inst->audit_running || inst->audit_xid));
}

long long int
installer_audit_next(const struct installer *inst)
{
    if (!audit_may_read(inst)) {
        return LLONG_MAX;
    }
    return (inst->audit_wanted > inst->stats.audit_rounds ? LLONG_MIN
            : inst->audit_next);
}

uint64_t
installer_audit_request(struct installer *inst)
{
    uint64_t round = inst->stats.audit_rounds + (inst->audit_running ? 2 : 1);

    inst->audit_wanted = MAX(inst->audit_wanted, round);
    poll_immediate_wake();
    return round;
}

const struct installer_audit *
installer_audit_last(const struct installer *inst)
{
    return (inst->audit_last.round
            && inst->audit_last_conn == inst->conn_seqno
            && rconn_is_connected(inst->rconn)
            ? &inst->audit_last : NULL);
}

bool
installer_audit_done(const struct installer *inst, uint64_t round)
{
    return inst->stats.audit_rounds >= round;
}

void
installer_audit_format(const struct installer_audit *a, struct ds *s)
{
    size_t repaired = a->n_missing + a->n_changed + a->n_extra;

    if (repaired) {
        ds_put_format(s, "%"PRIuSIZE" flows repaired (%"PRIuSIZE" missing, "
                      "%"PRIuSIZE" changed, %"PRIuSIZE" extra)", repaired,
                      a->n_missing, a->n_changed, a->n_extra);
    } else {
        ds_put_cstr(s, "in sync");
    }
    ds_put_format(s, ", %"PRIuSIZE" foreign, %"PRIuSIZE" flows checked in "
                  "%u part%s in %"PRIu64" us", a->n_foreign, a->n_checked,
                  a->n_parts, a->n_parts == 1 ? "" : "s", a->usec);
    if (a->n_discarded) {
        ds_put_format(s, " (%"PRIuSIZE" parts read again)", a->n_discarded);
    }
}

void
installer_run(struct installer *inst)
{
    unsigned int seqno;

    if (inst->listener) {
        installer_accept(inst);
    }
    rconn_run(inst->rconn);
    seqno = rconn_get_connection_seqno(inst->rconn);
    if (seqno != inst->conn_seqno) {
        /* A new connection (or a lost one): whatever was in flight is
         * gone, and the switch's table is unknown. */
        inst->conn_seqno = seqno;
        if (inst->audit_interval) {
            inst->audit_next = time_msec();
        }
        if (rconn_is_connected(inst->rconn)) {
            inst->stats.connections++;
            VLOG_INFO("%s: connected (OpenFlow 0x%02x)", inst->name,
                      rconn_get_version(inst->rconn));
        }
        start_over(inst);
    }

    for (int i = 0; i < 50; i++) {
        struct ofpbuf *msg = rconn_recv(inst->rconn);

        if (!msg) {
            break;
        }
        handle_msg(inst, msg);
        ofpbuf_delete(msg);
    }

    audit_run(inst);
    installer_flush(inst);
}

/* The first transaction of a connection, instead of replacing the whole
 * table: compares what the switch has ('found', read back before anything
 * was sent) with the desired flows as the audit does, takes what the
 * switch has right as installed, and marks the cookies of what differs
 * dirty.  Returns true if the switch has exactly the desired flows: then
 * they are confirmed without sending anything, and a controller that
 * restarted or took over changes no flow of a switch that was right.
 * Otherwise the next transaction is an ordinary incremental one. */
static bool
reconcile(struct installer *inst)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct of_flow_set expected;
    long long int compare_start = time_usec();
    struct flow_audit_diff d;
    const struct of_flow *f;
    size_t n_diff;

    of_flow_set_clear(&inst->installed);
    inst->installed_changes++;
    of_flow_set_init(&expected);
    HMAP_FOR_EACH (f, node, &inst->desired.flows) {
        of_flow_set_add_flow(&inst->installed, f);
        /* A set apart: repairing changes 'installed'. */
        of_flow_set_add_flow(&expected, f);
    }
    /* Every flow we do not want goes, someone else's too (the audit leaves
     * those alone): the bridge is ours. */
    flow_audit_compare(&expected, &inst->found, 0, 0, &d);
    of_flow_set_share(&inst->found, &expected);
    n_diff = d.n_missing + d.n_changed + d.n_extra;
    if (n_diff) {
        VLOG_INFO_RL(&rl, "%s: the switch lacks %"PRIuSIZE", has %"PRIuSIZE
                     " otherwise and %"PRIuSIZE" more than the %"PRIuSIZE
                     " flows it should have: sending only those",
                     inst->name, d.n_missing, d.n_changed, d.n_extra,
                     of_flow_set_count(&inst->desired));
    }
    inst->n_dirty = 0;
    /* (A reconnected switch lacks all of them: no log of each.) */
    audit_repair(inst, NULL, &d);
    flow_audit_diff_destroy(&d);
    of_flow_set_destroy(&expected);
    inst->need_full = false;
    inst->diff_all = false;
    inst->rb_fresh = false;
    if (n_diff) {
        return false;
    }
    inst->confirmed_seqno = inst->desired_seqno;
    inst->reconciled++;
    VLOG_INFO("%s: the switch has its %"PRIuSIZE" flows already: nothing "
              "sent", inst->name, of_flow_set_count(&inst->desired));

    /* The reading compared every flow the switch has with every flow it
     * should have, as an audit round does: it counts as one, and the
     * switch is in sync, checked now, without a second reading. */
    memset(&inst->audit_cur, 0, sizeof inst->audit_cur);
    inst->audit_cur.n_parts = 1;
    inst->audit_cur.n_checked = of_flow_set_count(&inst->installed);
    inst->audit_cur.compare_usec = time_usec() - compare_start;
    inst->audit_start_usec = inst->rb_start_usec;
    audit_finish_round(inst);
    return true;
}

void
installer_flush(struct installer *inst)
{
    if (wants_readback(inst) && !inst->full_held) {
        send_readback_request(inst);
    }
    if (may_send(inst) && !(inst->need_full && inst->full_held)
        && (!inst->retry_at || time_msec() >= inst->retry_at)) {
        inst->retry_at = 0;
        if (inst->need_full && inst->rb_fresh && reconcile(inst)) {
            return;
        }
        send_txn(inst);
    }
}

void
installer_wait(struct installer *inst)
{
    if (inst->listener) {
        of_listener_wait(inst->listener);
    }
    rconn_run_wait(inst->rconn);
    rconn_recv_wait(inst->rconn);
    if (wants_readback(inst) && !inst->full_held) {
        poll_immediate_wake();
    }
    if (may_send(inst) && !(inst->need_full && inst->full_held)) {
        if (inst->retry_at) {
            poll_timer_wait_until(inst->retry_at);
        } else {
            poll_immediate_wake();
        }
    }
    if (!inst->audit_xid && !inst->audit_held && audit_may_read(inst)) {
        if (inst->audit_running
            || inst->audit_wanted > inst->stats.audit_rounds) {
            poll_immediate_wake();
        } else if (inst->audit_next != LLONG_MAX) {
            poll_timer_wait_until(inst->audit_next);
        }
    }
}

void
installer_format_status(const struct installer *inst, struct ds *s)
{
    const struct installer_stats *st = &inst->stats;

    ds_put_format(s, "%s: ", inst->name);
    if (inst->listener) {
        of_listener_format_status(inst->listener, s);
        if (rconn_is_connected(inst->rconn)) {
            ds_put_format(s, ", connected from %s",
                          rconn_get_target(inst->rconn));
        } else {
            ds_put_cstr(s, ", the switch is not connected");
        }
    } else {
        ds_put_format(s, "%s %s", (rconn_is_connected(inst->rconn)
                                   ? "connected to" : "not connected to"),
                      inst->target ? inst->target : "(nothing)");
    }
    if (inst->role != INSTALLER_ROLE_NONE) {
        ds_put_format(s, ", %s%s (generation %"PRIu64")",
                      inst->role_ok ? "" : inst->role_refused ? "refused "
                      : "asking for ", role_name(inst->role),
                      inst->generation);
    }
    ds_put_format(s, ", %"PRIuSIZE" flows installed (state %"PRIu64
                  " of %"PRIu64"), %"PRIu64" connections found right, "
                  "%"PRIu64" bundles (%"PRIu64" failed), "
                  "last %"PRIu64" flow mods in %"PRIu64" us",
                  of_flow_set_count(&inst->installed),
                  inst->confirmed_seqno, inst->desired_seqno,
                  inst->reconciled, st->txns,
                  st->failed_txns, st->last_flow_mods, st->last_usec);
    if (st->bad_flows) {
        ds_put_format(s, ", %"PRIu64" flows did not parse", st->bad_flows);
    }
    if (inst->last_error) {
        ds_put_format(s, ", last error: %s", inst->last_error);
    }
    ds_put_format(s, ", audit %s",
                  inst->audit_interval ? "every" : "on request only");
    if (inst->audit_interval) {
        ds_put_format(s, " %lld ms", inst->audit_interval);
    }
    if (installer_audit_last(inst)) {
        const struct installer_audit *a = &inst->audit_last;
        char *when = xastrftime_msec("%H:%M:%S.###", a->done_msec, false);

        ds_put_format(s, ": round %"PRIu64" at %s: ", a->round, when);
        installer_audit_format(a, s);
        free(when);
    }
    if (st->audit_repaired) {
        ds_put_format(s, "; %"PRIu64" flows repaired in all",
                      st->audit_repaired);
    }
}

int
installer_send_raw(struct installer *inst, struct ofpbuf *msg)
{
    /* ENOTCONN, with 'msg' freed, if not connected. */
    return rconn_send(inst->rconn, msg, NULL);
}

int
installer_get_version(const struct installer *inst)
{
    return rconn_is_connected(inst->rconn) ? rconn_get_version(inst->rconn)
                                           : -1;
}

void
installer_set_error_handler(struct installer *inst,
                            installer_error_handler *handler, void *aux)
{
    inst->error_handler = handler;
    inst->error_aux = aux;
}
