/* The migration engine.  See migration.h and docs/migration.md.
 *
 * Design.  Each migration is a small state machine (the 'states' table:
 * where the port lives in each state, whether it is final) driven by
 * commands (the 'commands' table: from which states each may start, in
 * which it is already done) and by progress the engine sees on each run:
 * barriers confirmed by the hosts' installers, the database's commit, the
 * announcer's answer, deadlines.  A command that must wait keeps its
 * control request and answers it from migration_engine_run(); a migration
 * has at most one request waiting (abort takes over from another).
 *
 * The engine never recomputes a whole host: it sets the port's placement
 * in the model and hands the hosts that port's flows only
 * (hostctl_update_port()), so a switchover sends one small bundle to the
 * source and one to the destination back to back and the reply goes as
 * soon as both barriers are back.  The other hosts get theirs afterwards
 * (the source forwards for them meanwhile).
 *
 * Records.  Every state is written to the port's Migration row, one
 * transaction at a time for all migrations that changed.  prepare waits for
 * its row to be committed before it sends anything; the switchover does
 * not wait: its record is committed in parallel with the bundles.  A
 * restarted engine that finds a migration 'prepared' or 'switching' holds
 * the source's and destination's installers and reads back the
 * destination's location flows: if the port's ingress is open there, the
 * switchover happened, whatever the record says.  docs/migration.md
 * explains why this is correct either way. */

#include <config.h>
#include "migration.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "announcer-client.h"
#include "control.h"
#include "flow-set.h"
#include "hostctl.h"
#include "lib/cutover-nb-idl.h"
#include "model.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "packet-announce.h"
#include "pipeline.h"
#include "provision.h"
#include "timeval.h"
#include "timing.h"
#include "util.h"
#include "uuid.h"

VLOG_DEFINE_THIS_MODULE(migration);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

/* Where a migrating port lives. */
enum placement {
    AT_SOURCE,                  /* Active at the source, standby at the
                                 * destination. */
    AT_DEST,                    /* Active at the destination, standby (and
                                 * forwarding) at the source. */
    SOURCE_ONLY,                /* Back at the source (aborted). */
    DEST_ONLY,                  /* Moved for good (complete). */
};

enum mig_state {
    MS_PREPARING,
    MS_PREPARED,
    MS_SWITCHING,
    MS_SWITCHED,
    MS_ACTIVE,
    MS_COMPLETING,
    MS_COMPLETE,
    MS_ABORTING,
    MS_ABORTED,
    MS_FAILED,
    N_MS
};

#define BIT(STATE) (1u << (STATE))

static const struct state_info {
    const char *name;           /* As the schema's Migration.state. */
    enum placement placement;
    bool final;
} states[N_MS] = {
    [MS_PREPARING] = { "preparing", AT_SOURCE, false },
    [MS_PREPARED] = { "prepared", AT_SOURCE, false },
    [MS_SWITCHING] = { "switching", AT_DEST, false },
    [MS_SWITCHED] = { "switched", AT_DEST, false },
    [MS_ACTIVE] = { "active", AT_DEST, false },
    [MS_COMPLETING] = { "completing", AT_DEST, false },
    [MS_COMPLETE] = { "complete", DEST_ONLY, true },
    [MS_ABORTING] = { "aborting", SOURCE_ONLY, false },
    [MS_ABORTED] = { "aborted", SOURCE_ONLY, true },
    [MS_FAILED] = { "failed", SOURCE_ONLY, true },
};

enum mig_cmd {
    CMD_PREPARE,
    CMD_SWITCHOVER,
    CMD_ACTIVATE,
    CMD_COMPLETE,
    CMD_ABORT,
    N_CMD
};

struct migration;
struct migration_engine;

static void start_prepare(struct migration_engine *, struct migration *);
static void start_switchover(struct migration_engine *, struct migration *);
static void start_activate(struct migration_engine *, struct migration *);
static void start_complete(struct migration_engine *, struct migration *);
static void start_abort(struct migration_engine *, struct migration *);

static const struct cmd_info {
    const char *name;           /* migration/NAME. */
    uint32_t from;              /* States it may start from. */
    uint32_t done;              /* States in which it is already done. */
    void (*start)(struct migration_engine *, struct migration *);
} commands[N_CMD] = {
    [CMD_PREPARE] = {
        "prepare", 0, BIT(MS_PREPARED), start_prepare,
    },
    [CMD_SWITCHOVER] = {
        "switchover", BIT(MS_PREPARED),
        BIT(MS_SWITCHED) | BIT(MS_ACTIVE), start_switchover,
    },
    [CMD_ACTIVATE] = {
        "activate", BIT(MS_SWITCHED) | BIT(MS_ACTIVE), 0, start_activate,
    },
    [CMD_COMPLETE] = {
        "complete", BIT(MS_SWITCHED) | BIT(MS_ACTIVE) | BIT(MS_COMPLETING),
        BIT(MS_COMPLETE),
        start_complete,
    },
    [CMD_ABORT] = {
        "abort", (BIT(MS_PREPARING) | BIT(MS_PREPARED) | BIT(MS_SWITCHING)
                  | BIT(MS_SWITCHED) | BIT(MS_ACTIVE) | BIT(MS_COMPLETING)
                  | BIT(MS_ABORTING)),
        BIT(MS_ABORTED) | BIT(MS_FAILED), start_abort,
    },
};

/* A remote host's confirmation of the port's new location. */
struct remote {
    char *host;
    uint64_t seqno;             /* 0: not sent (host not ready). */
};

struct migration {
    struct hmap_node node;      /* In engine's 'migrations', by port. */
    char *port, *src, *dst;
    struct uuid uuid;           /* Its Migration row. */
    enum mig_state state;

    /* The database. */
    enum mig_state recorded;    /* State committed, N_MS if none yet. */
    bool row_exists;
    char *error;                /* Last failure, for the record. */
    int64_t stamps[N_MS];       /* Wall clock ms each state began, or 0. */

    /* The step under way. */
    enum mig_cmd cmd;           /* Valid with 'req' or 'busy'. */
    bool busy;
    struct control_req *req;    /* Waiting for an answer, or NULL. */
    long long int deadline;     /* msec. */
    uint64_t start_ns;
    uint64_t src_seqno, dst_seqno;
    uint64_t src_done_ns, dst_done_ns;
    bool sent;                  /* This step's flows were sent. */
    uint64_t fire_token;
    long long int grace_until;  /* msec, 0: remotes not all confirmed. */
    bool recovering;            /* Restarted in an ambiguous state. */
    bool reclaim;               /* Abort: the source claims the MACs back
                                 * once both hosts confirmed. */

    struct remote *remotes;
    size_t n_remotes;

    /* Figures for migration/show. */
    uint64_t step_us[N_CMD];
    uint64_t switch_src_us, switch_dst_us;
    char *announce_result;
};

struct migration_engine {
    struct ovsdb_idl *idl;
    const struct shash *hosts;
    struct model *model;
    struct migration_config cfg;
    struct hmap migrations;
    bool loaded;

    /* The transaction recording states, if one is being committed, and
     * what it records. */
    struct ovsdb_idl_txn *txn;
    struct migration **txn_migs;
    enum mig_state *txn_states;
    size_t n_txn;
};

static void answer(struct migration *, bool ok, const char *format, ...)
    OVS_PRINTF_FORMAT(3, 4);

static struct migration *
find_migration(const struct migration_engine *me, const char *port)
{
    struct migration *m;

    HMAP_FOR_EACH_WITH_HASH (m, node, hash_string(port, 0),
                             &me->migrations) {
        if (!strcmp(m->port, port)) {
            return m;
        }
    }
    return NULL;
}

static void
migration_free(struct migration_engine *me, struct migration *m)
{
    if (m->req) {
        answer(m, false, "migration of %s forgotten", m->port);
    }
    hmap_remove(&me->migrations, &m->node);
    for (size_t i = 0; i < me->n_txn; i++) {
        if (me->txn_migs[i] == m) {
            me->txn_migs[i] = NULL;
        }
    }
    for (size_t i = 0; i < m->n_remotes; i++) {
        free(m->remotes[i].host);
    }
    free(m->remotes);
    free(m->port);
    free(m->src);
    free(m->dst);
    free(m->error);
    free(m->announce_result);
    free(m);
}

static struct migration *
migration_create(struct migration_engine *me, const char *port,
                 const char *src, const char *dst)
{
    struct migration *m = xzalloc(sizeof *m);

    m->port = xstrdup(port);
    m->src = xstrdup(src);
    m->dst = xstrdup(dst);
    m->recorded = N_MS;
    hmap_insert(&me->migrations, &m->node, hash_string(port, 0));
    return m;
}

static void
answer(struct migration *m, bool ok, const char *format, ...)
{
    va_list args;
    char *text;

    va_start(args, format);
    text = xvasprintf(format, args);
    va_end(args);
    if (!ok) {
        VLOG_WARN_RL(&rl, "%s %s: %s", commands[m->cmd].name, m->port, text);
    } else {
        VLOG_INFO("%s %s: %s", commands[m->cmd].name, m->port, text);
    }
    if (m->req) {
        control_reply(m->req, ok, text);
        m->req = NULL;
    }
    m->busy = false;
    free(text);
}

static struct hostctl *
host(const struct migration_engine *me, const char *name)
{
    return shash_find_data(me->hosts, name);
}

static void
set_state(struct migration *m, enum mig_state state)
{
    if (m->state != state) {
        VLOG_INFO("migration of %s (%s -> %s): %s -> %s", m->port, m->src,
                  m->dst, states[m->state].name, states[state].name);
    }
    m->state = state;
    m->stamps[state] = time_wall_msec();
}

/* Whether 'm' is a local migration: from one VMM process's interface to
 * another's on the same host. */
static bool
is_local(const struct migration *m)
{
    return !strcmp(m->src, m->dst);
}

/* The OpenFlow port of the interface 'm''s port moves to on the
 * destination, 0 if the destination has none yet. */
static unsigned int
dest_ofport(const struct migration *m, const struct hostctl *d)
{
    return (is_local(m) ? hostctl_incoming_ofport(d, m->port)
            : hostctl_iface_ofport(d, m->port));
}

/* Sets the port's placement in 'model' for 'm''s state.  Returns the port,
 * or NULL if the model lacks it or its hosts. */
static struct model_port *
place(struct migration *m, struct model *model)
{
    struct model_port *p = model_find_port(model, m->port);
    struct model_host *s = model_find_host(model, m->src);
    struct model_host *d = model_find_host(model, m->dst);

    if (!p || !s || !d) {
        return NULL;
    }
    switch (states[m->state].placement) {
    case AT_SOURCE:
        p->active = s;
        p->standby = d;
        break;
    case AT_DEST:
        p->active = d;
        p->standby = s;
        break;
    case SOURCE_ONLY:
        p->active = s;
        p->standby = NULL;
        break;
    case DEST_ONLY:
        p->active = d;
        p->standby = NULL;
        break;
    }
    /* A local migration lives on the new VMM's interface once at the
     * destination.  (Once complete, that interface is the port's only
     * one: run_complete().) */
    p->incoming = is_local(m) && states[m->state].placement == AT_DEST;
    return p;
}

/* Places the port and sends its flows to host 'name'.  Returns the
 * installer seqno to wait for, 0 if the host cannot take them now. */
static uint64_t
send_port(struct migration_engine *me, struct migration *m, const char *name)
{
    struct model_port *p = place(m, me->model);
    struct hostctl *hc = host(me, name);

    return p && hc ? hostctl_update_port(hc, me->model, p) : 0;
}

/* Sends the port's flows to every host but the source and destination, and
 * remembers what each must confirm. */
static void
send_remotes(struct migration_engine *me, struct migration *m)
{
    struct shash_node *node;

    for (size_t i = 0; i < m->n_remotes; i++) {
        free(m->remotes[i].host);
    }
    m->n_remotes = 0;
    m->remotes = xrealloc(m->remotes,
                          shash_count(me->hosts) * sizeof *m->remotes);
    SHASH_FOR_EACH (node, me->hosts) {
        if (!strcmp(node->name, m->src) || !strcmp(node->name, m->dst)) {
            continue;
        }
        struct remote *r = &m->remotes[m->n_remotes++];
        r->host = xstrdup(node->name);
        r->seqno = send_port(me, m, node->name);
    }
}

/* How many remote hosts have confirmed; a host that could not be sent the
 * flows (not connected) counts as confirmed: it gets them in full when it
 * comes back, and the source forwards for it meanwhile. */
static size_t
remotes_confirmed(const struct migration_engine *me, const struct migration *m)
{
    size_t n = 0;

    for (size_t i = 0; i < m->n_remotes; i++) {
        const struct remote *r = &m->remotes[i];
        const struct hostctl *hc = host(me, r->host);

        n += !r->seqno || !hc || hostctl_is_confirmed(hc, r->seqno);
    }
    return n;
}

static void
begin_step(struct migration *m, unsigned int timeout_ms)
{
    m->busy = true;
    m->start_ns = timing_mono_ns();
    m->deadline = time_msec() + timeout_ms;
    m->src_seqno = m->dst_seqno = 0;
    m->src_done_ns = m->dst_done_ns = 0;
    m->sent = false;
    m->fire_token = 0;
    m->grace_until = 0;
}

static uint64_t
step_usec(const struct migration *m)
{
    return (timing_mono_ns() - m->start_ns) / 1000;
}

/* Recording states in the database. */

static const struct nbrec_port *
find_port_row(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_port *p;

    NBREC_PORT_FOR_EACH (p, idl) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

static const struct nbrec_host *
find_host_row(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_host *h;

    NBREC_HOST_FOR_EACH (h, idl) {
        if (!strcmp(h->name, name)) {
            return h;
        }
    }
    return NULL;
}

/* Writes 'm''s state into 'txn'.  Returns false if the rows it refers to
 * are gone. */
static bool
record_migration(struct migration_engine *me, struct ovsdb_idl_txn *txn,
                 struct migration *m)
{
    const struct nbrec_migration *row;
    const char *keys[N_MS];
    int64_t values[N_MS];
    size_t n = 0;

    if (m->row_exists) {
        row = nbrec_migration_get_for_uuid(me->idl, &m->uuid);
        if (!row) {
            return false;
        }
    } else {
        const struct nbrec_port *p = find_port_row(me->idl, m->port);
        const struct nbrec_host *s = find_host_row(me->idl, m->src);
        const struct nbrec_host *d = find_host_row(me->idl, m->dst);

        if (!p || !s || !d) {
            return false;
        }
        row = nbrec_migration_insert_persist_uuid(txn, &m->uuid);
        nbrec_migration_set_port(row, p);
        nbrec_migration_set_source(row, s);
        nbrec_migration_set_destination(row, d);
    }
    nbrec_migration_set_state(row, states[m->state].name);
    nbrec_migration_set_error(row, m->error);
    for (int i = 0; i < N_MS; i++) {
        if (m->stamps[i]) {
            keys[n] = states[i].name;
            values[n++] = m->stamps[i];
        }
    }
    nbrec_migration_set_timestamps(row, keys, values, n);
    if (m->state == MS_COMPLETE) {
        const struct nbrec_port *p = find_port_row(me->idl, m->port);
        const struct nbrec_host *d = find_host_row(me->idl, m->dst);

        if (!p || !d) {
            return false;
        }
        nbrec_port_set_home(p, d);
    }
    return true;
}

static void
recorder_run(struct migration_engine *me)
{
    struct migration *m;

    if (me->txn) {
        enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(me->txn);

        if (status == TXN_INCOMPLETE) {
            return;
        }
        for (size_t i = 0; i < me->n_txn; i++) {
            m = me->txn_migs[i];
            if (!m) {
                continue;
            }
            if (status == TXN_SUCCESS || status == TXN_UNCHANGED) {
                m->recorded = me->txn_states[i];
                m->row_exists = true;
            }
        }
        if (status != TXN_SUCCESS && status != TXN_UNCHANGED) {
            VLOG_WARN_RL(&rl, "recording migrations: %s (%s)",
                         ovsdb_idl_txn_status_to_string(status),
                         ovsdb_idl_txn_get_error(me->txn));
        }
        ovsdb_idl_txn_destroy(me->txn);
        me->txn = NULL;
        me->n_txn = 0;
        /* Steps waiting for their record go on at once. */
        poll_immediate_wake();
    }
    if (!ovsdb_idl_is_connected(me->idl)) {
        return;
    }

    HMAP_FOR_EACH (m, node, &me->migrations) {
        if (m->recorded == m->state) {
            continue;
        }
        if (!me->txn) {
            me->txn = ovsdb_idl_txn_create(me->idl);
            ovsdb_idl_txn_add_comment(me->txn, "cutoverd: migrations");
            size_t max = hmap_count(&me->migrations);
            me->txn_migs = xrealloc(me->txn_migs, max * sizeof *me->txn_migs);
            me->txn_states = xrealloc(me->txn_states,
                                      max * sizeof *me->txn_states);
        }
        if (record_migration(me, me->txn, m)) {
            me->txn_migs[me->n_txn] = m;
            me->txn_states[me->n_txn++] = m->state;
        } else {
            /* Its port or hosts were deleted: nothing left to record. */
            m->recorded = m->state;
        }
    }
    if (me->txn) {
        ovsdb_idl_txn_commit(me->txn);
    }
}

/* Steps. */

static const char *
refuse_hosts(const struct migration_engine *me, const struct migration *m,
             struct ds *why)
{
    const struct hostctl *s = host(me, m->src);
    const struct hostctl *d = host(me, m->dst);

    if (!d || !hostctl_is_connected(d)) {
        ds_put_format(why, "destination host %s not connected", m->dst);
    } else if (!s || !hostctl_is_connected(s)) {
        ds_put_format(why, "source host %s not connected", m->src);
    }
    return why->length ? ds_cstr(why) : NULL;
}

/* The arguments announcer/register takes for the port after its name. */
static size_t
announce_args(const struct model_port *p, char ***argsp)
{
    size_t n = 1 + p->n_ipv4 + p->n_ipv6;
    char **args = xmalloc(n * sizeof *args);
    size_t i = 0;

    args[i++] = xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(p->mac));
    for (size_t j = 0; j < p->n_ipv4; j++) {
        args[i++] = xasprintf(IP_FMT, IP_ARGS(p->ipv4[j]));
    }
    for (size_t j = 0; j < p->n_ipv6; j++) {
        char buf[INET6_ADDRSTRLEN];

        ipv6_string_mapped(buf, &p->ipv6[j]);
        args[i++] = xstrdup(buf);
    }
    *argsp = args;
    return n;
}

static void
start_prepare(struct migration_engine *me, struct migration *m)
{
    set_state(m, MS_PREPARING);
    begin_step(m, me->cfg.switchover_timeout_ms * 2);
}

/* prepare: once the row is in the database, the destination gets the
 * port's flows (standby) and its announcer the frames; done when the
 * destination confirmed them and has its tunnel neighbours. */
static void
run_prepare(struct migration_engine *me, struct migration *m)
{
    struct hostctl *s = host(me, m->src);
    struct hostctl *d = host(me, m->dst);
    struct announcer_client *ac = d ? hostctl_announcer(d) : NULL;
    struct ds why = DS_EMPTY_INITIALIZER;

    if (m->recorded == N_MS) {
        /* Not in the database yet: nothing is sent before it is. */
    } else if (!m->sent) {
        /* The source gets the port's flows too (nothing changes there):
         * once it confirms them, no older transaction is in flight on
         * either host, and the switchover's bundles leave at once. */
        m->src_seqno = send_port(me, m, m->src);
        m->dst_seqno = send_port(me, m, m->dst);
        if (ac) {
            const struct model_port *p = model_find_port(me->model, m->port);
            char **args;
            size_t n = announce_args(p, &args);

            announcer_client_register(ac, m->port, (const char **) args, n);
            for (size_t i = 0; i < n; i++) {
                free(args[i]);
            }
            free(args);
        }
        m->sent = m->dst_seqno != 0;
    } else if (hostctl_is_confirmed(d, m->dst_seqno)
               && (!s || !m->src_seqno
                   || hostctl_is_confirmed(s, m->src_seqno))
               && hostctl_neighbours_synced(d)
               && (!ac || !announcer_client_is_connected(ac)
                   || announcer_client_is_registered(ac, m->port))) {
        /* An announcer that is away does not hold the migration up:
         * activate falls back to packet-outs (and the registration is sent
         * if it comes back). */
        char *note = (!ac ? xstrdup("no announcer: packet-outs at activate")
                      : announcer_client_is_registered(ac, m->port)
                      ? xstrdup("announcements registered")
                      : xasprintf("announcer of %s not connected: "
                                  "packet-outs at activate", m->dst));

        m->step_us[CMD_PREPARE] = step_usec(m);
        set_state(m, MS_PREPARED);
        answer(m, true, "%s prepared on %s in %"PRIu64" us, %s", m->port,
               m->dst, m->step_us[CMD_PREPARE], note);
        free(note);
        return;
    }
    if (time_msec() < m->deadline) {
        return;
    }

    if (m->recorded == N_MS) {
        ds_put_cstr(&why, "the northbound database did not record it");
    } else if (!m->sent) {
        ds_put_format(&why, "destination host %s not ready (its ports are "
                      "not known)", m->dst);
    } else if (!hostctl_is_confirmed(d, m->dst_seqno)) {
        ds_put_format(&why, "destination host %s did not confirm the flows",
                      m->dst);
    } else if (m->src_seqno && !hostctl_is_confirmed(s, m->src_seqno)) {
        ds_put_format(&why, "source host %s did not confirm its flows",
                      m->src);
    } else if (!hostctl_neighbours_synced(d)) {
        ds_put_format(&why, "destination host %s: tunnel neighbours not set",
                      m->dst);
    } else {
        ds_put_format(&why, "announcer of %s did not register the port",
                      m->dst);
    }
    free(m->error);
    m->error = xasprintf("prepare timed out: %s", ds_cstr(&why));
    if (ac) {
        announcer_client_withdraw(ac, m->port);
    }
    set_state(m, MS_FAILED);
    send_port(me, m, m->dst);
    answer(m, false, "timeout preparing %s on %s: %s", m->port, m->dst,
           ds_cstr(&why));
    ds_destroy(&why);
}

static void
start_switchover(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    struct ds why = DS_EMPTY_INITIALIZER;

    if (refuse_hosts(me, m, &why)) {
        answer(m, false, "%s", ds_cstr(&why));
        ds_destroy(&why);
        return;
    }
    if (!dest_ofport(m, d)) {
        if (is_local(m)) {
            answer(m, false, "host %s has no incoming interface for %s "
                   "(external_ids:iface-id=%s and %s=true): the VM would be "
                   "unreachable", m->dst, m->port, m->port,
                   PROVISION_INCOMING_KEY);
        } else {
            answer(m, false, "destination host %s has no interface for %s "
                   "(external_ids:iface-id=%s): the VM would be "
                   "unreachable", m->dst, m->port, m->port);
        }
        return;
    }

    /* The critical path: both bundles out back to back, the record in
     * parallel. */
    begin_step(m, me->cfg.switchover_timeout_ms);
    set_state(m, MS_SWITCHING);
    m->src_seqno = send_port(me, m, m->src);
    m->dst_seqno = send_port(me, m, m->dst);
    m->sent = true;
    recorder_run(me);
}

/* Claims the port's MACs on the physical network (its own on a provider
 * VLAN, its elastic IPs') for host 'name' with one round of packet-outs
 * (packet_announce_claim()): for the destination once a switchover is
 * confirmed, so that the physical switch and the destination's uplink
 * bridge send the port's traffic there while the VM is still paused
 * (where it waits in the VM's queue) instead of through the source; for
 * the source once an abort undid a switchover.  A local migration's MACs
 * never move. */
static void
claim_macs(struct migration_engine *me, struct migration *m,
           const char *name)
{
    const struct model_port *p = model_find_port(me->model, m->port);
    struct hostctl *h = host(me, name);
    struct ds s = DS_EMPTY_INITIALIZER;

    if (h && p && !is_local(m)) {
        packet_announce_claim(hostctl_packet_announce(h), me->model, p, &s);
    }
    ds_destroy(&s);
}

static void
run_switchover(struct migration_engine *me, struct migration *m)
{
    struct hostctl *s = host(me, m->src);
    struct hostctl *d = host(me, m->dst);
    uint64_t now = timing_mono_ns();

    if (!m->src_done_ns && s && hostctl_is_confirmed(s, m->src_seqno)) {
        m->src_done_ns = now;
    }
    if (!m->dst_done_ns && d && hostctl_is_confirmed(d, m->dst_seqno)) {
        m->dst_done_ns = now;
    }
    if (m->src_done_ns && m->dst_done_ns) {
        m->step_us[CMD_SWITCHOVER] = (now - m->start_ns) / 1000;
        m->switch_src_us = (m->src_done_ns - m->start_ns) / 1000;
        m->switch_dst_us = (m->dst_done_ns - m->start_ns) / 1000;
        set_state(m, MS_SWITCHED);
        answer(m, true, "%s switched over from %s to %s: confirmed in %"
               PRIu64" us (%s %"PRIu64" us, %s %"PRIu64" us)", m->port,
               m->src, m->dst, m->step_us[CMD_SWITCHOVER], m->src,
               m->switch_src_us, m->dst, m->switch_dst_us);
        /* Off the critical path: the other hosts, and the physical
         * network's learning. */
        send_remotes(me, m);
        if (s && !is_local(m)) {
            /* An earlier migration's rounds for the port, still under way
             * at the source, would call its traffic back there. */
            packet_announce_cancel(hostctl_packet_announce(s), m->port);
        }
        claim_macs(me, m, m->dst);
        return;
    }
    if (time_msec() < m->deadline) {
        return;
    }

    /* Undo: the port stays at the source. */
    const char *late = !m->dst_done_ns ? m->dst : m->src;
    free(m->error);
    m->error = xasprintf("switchover timed out waiting for the barrier "
                         "from %s", late);
    set_state(m, MS_PREPARED);
    send_port(me, m, m->src);
    send_port(me, m, m->dst);
    answer(m, false, "timeout waiting for barrier from %s after %u ms: "
           "switchover undone, %s stays on %s", late,
           me->cfg.switchover_timeout_ms, m->port, m->src);
}

/* How long activate waits for the announcer's answer before the
 * destination's switch is handed the frames as packet-outs instead. */
#define ANNOUNCER_TIMEOUT_MS 1000

/* Ends activate: the port is active at the destination.  'fallback' (to
 * free), if not NULL, says why the destination's announcer did not
 * announce: the controller then announces with packet-outs through the
 * destination's OpenFlow connection, and answers once their first round
 * is handed to the switch (the others follow on their own). */
static void
finish_activate(struct migration_engine *me, struct migration *m,
                char *fallback)
{
    if (fallback) {
        struct hostctl *d = host(me, m->dst);
        const struct model_port *p = model_find_port(me->model, m->port);
        struct ds s = DS_EMPTY_INITIALIZER;

        ds_put_cstr(&s, "packet-out: ");
        if (d && p) {
            packet_announce_start(hostctl_packet_announce(d), me->model, p,
                                  &s);
        } else {
            ds_put_cstr(&s, "nothing announced (host or port gone)");
        }
        ds_put_format(&s, " (fallback: %s)", fallback);
        free(m->announce_result);
        m->announce_result = ds_steal_cstr(&s);
        free(fallback);
    }
    m->fire_token = 0;
    m->step_us[CMD_ACTIVATE] = step_usec(m);
    set_state(m, MS_ACTIVE);
    /* Announcing is best effort: the port is active either way. */
    answer(m, true, "%s active on %s (%s)", m->port, m->dst,
           m->announce_result);
}

static void
start_activate(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    struct announcer_client *ac = d ? hostctl_announcer(d) : NULL;

    begin_step(m, ANNOUNCER_TIMEOUT_MS);
    if (!ac) {
        finish_activate(me, m, xasprintf("no announcer on %s", m->dst));
        return;
    }
    m->fire_token = announcer_client_fire(ac, m->port);
    if (!m->fire_token) {
        finish_activate(me, m, xasprintf("announcer of %s not connected",
                                         m->dst));
    }
}

static void
run_activate(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    struct announcer_client *ac = d ? hostctl_announcer(d) : NULL;
    char *text = NULL;
    bool ok;

    if (ac && m->fire_token
        && announcer_client_result(ac, m->fire_token, &ok, &text)) {
        if (ok) {
            free(m->announce_result);
            m->announce_result = xasprintf("announcer: %s", text);
            finish_activate(me, m, NULL);
        } else {
            finish_activate(me, m, xasprintf("announcer of %s failed: %s",
                                             m->dst, text));
        }
        free(text);
    } else if (!ac || !m->fire_token) {
        finish_activate(me, m, xasprintf("announcer of %s removed",
                                         m->dst));
    } else if (time_msec() >= m->deadline) {
        finish_activate(me, m, xasprintf("announcer of %s did not answer "
                                         "within %d ms", m->dst,
                                         ANNOUNCER_TIMEOUT_MS));
    }
}

static void
start_complete(struct migration_engine *me, struct migration *m)
{
    begin_step(m, me->cfg.switchover_timeout_ms
               + me->cfg.grace_ms);
    set_state(m, MS_COMPLETING);
}

/* complete: every remote host confirmed, then the grace period, then the
 * port's home becomes the destination (recorded), then it is done. */
static void
run_complete(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);

    if (m->state == MS_COMPLETING) {
        if (!m->grace_until) {
            if (remotes_confirmed(me, m) < m->n_remotes) {
                if (time_msec() < m->deadline) {
                    return;
                }
                VLOG_WARN_RL(&rl, "complete %s: %"PRIuSIZE" of %"PRIuSIZE
                             " remote hosts did not confirm: the source "
                             "keeps forwarding for them", m->port,
                             m->n_remotes - remotes_confirmed(me, m),
                             m->n_remotes);
            }
            m->grace_until = time_msec() + me->cfg.grace_ms;
        }
        if (time_msec() < m->grace_until) {
            return;
        }
        if (is_local(m) && d && hostctl_incoming_ofport(d, m->port)) {
            /* The new VMM's interface becomes the port's only one here,
             * the old one is retired: then the port's flows no longer
             * depend on the migration's placement. */
            hostctl_promote_incoming(d, m->port);
            if (time_msec() < m->deadline) {
                return;
            }
            answer(m, false, "%s's incoming interface on %s is still marked "
                   "%s: the host's OVSDB did not take the change (try "
                   "again)", m->port, m->dst, PROVISION_INCOMING_KEY);
            return;
        }
        set_state(m, MS_COMPLETE);
        send_port(me, m, m->src);
        send_port(me, m, m->dst);
        if (d && hostctl_announcer(d)) {
            announcer_client_withdraw(hostctl_announcer(d), m->port);
        }
    }
    if (m->recorded == MS_COMPLETE) {
        m->step_us[CMD_COMPLETE] = step_usec(m);
        answer(m, true, "%s complete: its home is now %s", m->port, m->dst);
    }
}

static void
start_abort(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    bool was_switched = states[m->state].placement == AT_DEST;

    begin_step(m, me->cfg.switchover_timeout_ms);
    set_state(m, MS_ABORTING);
    m->src_seqno = send_port(me, m, m->src);
    m->dst_seqno = send_port(me, m, m->dst);
    if (was_switched || m->n_remotes) {
        send_remotes(me, m);
    }
    if (d && hostctl_announcer(d)) {
        announcer_client_withdraw(hostctl_announcer(d), m->port);
    }
    if (d) {
        /* The VM stays at the source: no more rounds for it from here. */
        packet_announce_cancel(hostctl_packet_announce(d), m->port);
    }
    m->reclaim = was_switched;
}

static void
run_abort(struct migration_engine *me, struct migration *m)
{
    struct hostctl *s = host(me, m->src);
    struct hostctl *d = host(me, m->dst);

    if (m->state == MS_ABORTING) {
        bool s_ok = !m->src_seqno || hostctl_is_confirmed(s, m->src_seqno);
        bool d_ok = !m->dst_seqno || hostctl_is_confirmed(d, m->dst_seqno);

        if (!(s_ok && d_ok) && time_msec() < m->deadline) {
            return;
        }
        if (!(s_ok && d_ok)) {
            /* A host that is away gets everything in full when it is back,
             * with the port at the source: the abort stands. */
            VLOG_WARN_RL(&rl, "abort %s: %s did not confirm yet", m->port,
                         !s_ok ? m->src : m->dst);
        }
        set_state(m, MS_ABORTED);
        if (m->reclaim) {
            /* After the destination's barrier: whatever it announced
             * before the abort is on the wire already, and cannot cross
             * the source's claim there. */
            m->reclaim = false;
            claim_macs(me, m, m->src);
        }
    }
    if (m->recorded == MS_ABORTED) {
        m->step_us[CMD_ABORT] = step_usec(m);
        answer(m, true, "%s aborted: back on %s as before", m->port, m->src);
    }
}

/* Whether 'match' (fields separated by commas) has field 'field' ("name=
 * value") exactly. */
static bool
match_has(const char *match, const char *field)
{
    size_t len = strlen(field);

    for (const char *p = match; (p = strstr(p, field)) != NULL; p += len) {
        if ((p == match || p[-1] == ',') && (p[len] == ',' || !p[len])) {
            return true;
        }
    }
    return false;
}

/* Recovery of a migration found 'prepared' or 'switching': which side of
 * the switchover are the switches on? */
static void
run_recovery(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    const struct dp_flow_set *found = d ? hostctl_get_readback(d) : NULL;
    const struct model_port *p = model_find_port(me->model, m->port);
    enum mig_state state;
    const struct dp_flow *f;
    int open = -1;

    if ((!found || (is_local(m) && !dest_ofport(m, d)))
        && time_msec() < m->deadline) {
        /* A local migration's host has two admission flows for the port:
         * the incoming interface's tells. */
        return;
    }
    state = m->state;
    if (found && p) {
        uint64_t cookie = PIPELINE_COOKIE(PIPELINE_C_LOCATION, p->key);
        char *in_port = xasprintf("in_port=%u", dest_ofport(m, d));

        /* The admission flow of the interface the port moves to. */
        HMAP_FOR_EACH (f, node, &found->flows) {
            if (f->cookie == cookie && f->table == PT_ADMISSION
                && (!is_local(m) || match_has(f->match, in_port))) {
                open = strstr(f->actions, "goto_table") != NULL;
            }
        }
        free(in_port);
    }
    if (open == 1) {
        state = MS_SWITCHED;
    } else if (open == 0) {
        state = MS_PREPARED;
    } else if (state == MS_SWITCHING) {
        /* Nothing to read (the destination lost its flows, or is away):
         * the record says a switchover was sent; the VM may run there. */
        state = MS_SWITCHED;
    }
    VLOG_INFO("recovered migration of %s (%s -> %s): recorded %s, the "
              "destination's switch says %s: %s", m->port, m->src, m->dst,
              states[m->state].name,
              open == 1 ? "switched" : open == 0 ? "not switched"
              : "nothing", states[state].name);
    set_state(m, state);
    m->recovering = false;
    m->busy = false;
    send_port(me, m, m->src);
    send_port(me, m, m->dst);
    if (state == MS_SWITCHED) {
        send_remotes(me, m);
    }
}

/* Holds the installers of the hosts of migrations being recovered. */
static void
update_holds(struct migration_engine *me)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, me->hosts) {
        struct migration *m;
        bool hold = false;

        HMAP_FOR_EACH (m, node, &me->migrations) {
            if (m->recovering && (!strcmp(m->src, node->name)
                                  || !strcmp(m->dst, node->name))) {
                hold = true;
            }
        }
        hostctl_hold(node->data, hold);
    }
}

void
migration_engine_run(struct migration_engine *me)
{
    struct migration *m;
    bool recovering = false;

    HMAP_FOR_EACH (m, node, &me->migrations) {
        if (m->recovering) {
            run_recovery(me, m);
            recovering = true;
            continue;
        }
        if (!m->busy) {
            continue;
        }
        switch (m->state) {
        case MS_PREPARING:
            run_prepare(me, m);
            break;
        case MS_SWITCHING:
            run_switchover(me, m);
            break;
        case MS_SWITCHED:
        case MS_ACTIVE:
            if (m->cmd == CMD_ACTIVATE) {
                run_activate(me, m);
            }
            break;
        case MS_COMPLETING:
        case MS_COMPLETE:
            run_complete(me, m);
            break;
        case MS_ABORTING:
        case MS_ABORTED:
            run_abort(me, m);
            break;
        case MS_PREPARED:
        case MS_FAILED:
        case N_MS:
            m->busy = false;
            break;
        }
    }
    if (recovering) {
        update_holds(me);
    }
    recorder_run(me);
}

void
migration_engine_wait(struct migration_engine *me)
{
    struct migration *m;

    HMAP_FOR_EACH (m, node, &me->migrations) {
        if (m->busy || m->recovering) {
            poll_timer_wait_until(m->deadline);
            if (m->grace_until) {
                poll_timer_wait_until(m->grace_until);
            }
        }
    }
    if (me->txn) {
        ovsdb_idl_txn_wait(me->txn);
    }
}

bool
migration_engine_is_switching(const struct migration_engine *me)
{
    const struct migration *m;

    HMAP_FOR_EACH (m, node, &me->migrations) {
        if (m->state == MS_SWITCHING && m->busy) {
            return true;
        }
    }
    return false;
}

void
migration_engine_apply(struct migration_engine *me, struct model *model)
{
    struct migration *m;

    HMAP_FOR_EACH_SAFE (m, node, &me->migrations) {
        const struct model_port *p = model_find_port(model, m->port);

        if (states[m->state].final && !m->busy && m->recorded == m->state
            && p && p->active
            && !strcmp(p->active->name,
                       states[m->state].placement == DEST_ONLY
                       ? m->dst : m->src)) {
            /* The database says what the engine would: the migration is
             * history, and the database decides from now on. */
            migration_free(me, m);
            continue;
        }
        place(m, model);
    }
}

/* Control commands. */

static enum mig_state
state_from_string(const char *s)
{
    for (int i = 0; i < N_MS; i++) {
        if (!strcmp(states[i].name, s)) {
            return i;
        }
    }
    return N_MS;
}

static void
migration_cmd(struct control_req *req, const char *argv[], enum mig_cmd cmd,
              struct migration_engine *me)
{
    const struct cmd_info *ci = &commands[cmd];
    const char *port = argv[1];
    const struct model_port *p = model_find_port(me->model, port);
    struct migration *m = find_migration(me, port);

    if (!p) {
        control_reply_format(req, false, "unknown port %s", port);
        return;
    }
    if (cmd == CMD_PREPARE) {
        const char *dst = argv[2];
        struct hostctl *d = host(me, dst);

        if (m && !states[m->state].final) {
            if (m->state == MS_PREPARED && !strcmp(m->dst, dst)) {
                control_reply_format(req, true, "%s already prepared on %s",
                                     port, dst);
            } else {
                control_reply_format(req, false, "port %s already migrating "
                                     "to %s (%s)", port, m->dst,
                                     states[m->state].name);
            }
            return;
        }
        if (!model_find_host(me->model, dst)) {
            control_reply_format(req, false, "unknown host %s", dst);
            return;
        }
        if (!p->active) {
            control_reply_format(req, false, "port %s has no home host to "
                                 "migrate from", port);
            return;
        }
        if (!d || !hostctl_is_connected(d)) {
            control_reply_format(req, false, "destination host %s not "
                                 "connected", dst);
            return;
        }
        if (m) {
            migration_free(me, m);
        }
        m = migration_create(me, port, p->active->name, dst);
        uuid_generate(&m->uuid);
    } else if (!m) {
        control_reply_format(req, false, "port %s is not migrating",
                             port);
        return;
    } else if (m->recovering) {
        control_reply_format(req, false, "migration of %s is being "
                             "recovered (waiting for %s's flows): try "
                             "again", port, m->dst);
        return;
    }

    if (ci->done & BIT(m->state) && !m->busy) {
        control_reply_format(req, true, "%s already %s", port,
                             states[m->state].name);
        return;
    }
    if (cmd != CMD_PREPARE && !(ci->from & BIT(m->state))) {
        control_reply_format(req, false, "cannot %s %s: its migration to "
                             "%s is %s", ci->name, port, m->dst,
                             states[m->state].name);
        return;
    }
    if (m->busy) {
        if (cmd != CMD_ABORT) {
            control_reply_format(req, false, "migration of %s is busy: %s "
                                 "under way", port, commands[m->cmd].name);
            return;
        }
        answer(m, false, "aborted by request");
    }
    m->cmd = cmd;
    m->req = req;
    m->busy = true;
    free(m->error);
    m->error = NULL;
    ci->start(me, m);
    /* A step with nothing to wait for may be done at once. */
    migration_engine_run(me);
}

#define MIGRATION_CMD_CB(CMD)                                           \
    static void                                                         \
    CMD##_cb(struct control_req *req, int argc OVS_UNUSED,              \
             const char *argv[], void *aux)                             \
    {                                                                   \
        migration_cmd(req, argv, CMD, aux);                             \
    }
MIGRATION_CMD_CB(CMD_PREPARE)
MIGRATION_CMD_CB(CMD_SWITCHOVER)
MIGRATION_CMD_CB(CMD_ACTIVATE)
MIGRATION_CMD_CB(CMD_COMPLETE)
MIGRATION_CMD_CB(CMD_ABORT)

static void
format_migration(const struct migration_engine *me,
                 const struct migration *m, struct ds *s)
{
    ds_put_format(s, "%s: %s -> %s, %s", m->port, m->src, m->dst,
                  states[m->state].name);
    if (m->busy) {
        ds_put_format(s, " (%s under way)", commands[m->cmd].name);
    }
    if (m->recovering) {
        ds_put_format(s, " (recovering: waiting for %s's flows)", m->dst);
    }
    ds_put_format(s, ", recorded %s\n",
                  m->recorded == N_MS ? "nothing yet"
                  : states[m->recorded].name);
    for (int i = 0; i < N_CMD; i++) {
        if (m->step_us[i]) {
            ds_put_format(s, "  %s: %"PRIu64" us", commands[i].name,
                          m->step_us[i]);
            if (i == CMD_SWITCHOVER) {
                ds_put_format(s, " (%s confirmed in %"PRIu64" us, %s in %"
                              PRIu64" us)", m->src, m->switch_src_us,
                              m->dst, m->switch_dst_us);
            }
            ds_put_char(s, '\n');
        }
    }
    if (m->n_remotes) {
        ds_put_format(s, "  remote hosts: %"PRIuSIZE" of %"PRIuSIZE
                      " confirmed\n", remotes_confirmed(me, m),
                      m->n_remotes);
    }
    if (m->announce_result) {
        ds_put_format(s, "  announcements: %s\n", m->announce_result);
    }
    if (m->error) {
        ds_put_format(s, "  error: %s\n", m->error);
    }
}

static void
show_cb(struct control_req *req, int argc, const char *argv[], void *me_)
{
    struct migration_engine *me = me_;
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct migration *m;

    if (argc > 1) {
        m = find_migration(me, argv[1]);
        if (!m) {
            control_reply_format(req, false, "%s %s",
                                 model_find_port(me->model, argv[1])
                                 ? "no migration of port" : "unknown port",
                                 argv[1]);
            return;
        }
        format_migration(me, m, &s);
    } else {
        HMAP_FOR_EACH (m, node, &me->migrations) {
            format_migration(me, m, &s);
        }
        if (!s.length) {
            ds_put_cstr(&s, "no migrations\n");
        }
    }
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

struct migration_engine *
migration_engine_create(struct ovsdb_idl *idl, const struct shash *hosts,
                        struct model *model,
                        const struct migration_config *cfg)
{
    struct migration_engine *me = xzalloc(sizeof *me);

    me->idl = idl;
    me->hosts = hosts;
    me->model = model;
    me->cfg = *cfg;
    hmap_init(&me->migrations);

    control_register("migration/prepare", "PORT HOST", 2, 2,
                     CMD_PREPARE_cb, me);
    control_register("migration/switchover", "PORT", 1, 1,
                     CMD_SWITCHOVER_cb, me);
    control_register("migration/activate", "PORT", 1, 1,
                     CMD_ACTIVATE_cb, me);
    control_register("migration/complete", "PORT", 1, 1,
                     CMD_COMPLETE_cb, me);
    control_register("migration/abort", "PORT", 1, 1, CMD_ABORT_cb, me);
    control_register("migration/show", "[PORT]", 0, 1, show_cb, me);
    return me;
}

void
migration_engine_destroy(struct migration_engine *me)
{
    if (me) {
        struct migration *m;

        HMAP_FOR_EACH_SAFE (m, node, &me->migrations) {
            if (m->req) {
                answer(m, false, "cutoverd is exiting");
            }
            migration_free(me, m);
        }
        hmap_destroy(&me->migrations);
        ovsdb_idl_txn_destroy(me->txn);
        free(me->txn_migs);
        free(me->txn_states);
        free(me);
    }
}

void
migration_engine_load(struct migration_engine *me)
{
    const struct nbrec_migration *row;

    if (me->loaded) {
        return;
    }
    me->loaded = true;
    NBREC_MIGRATION_FOR_EACH (row, me->idl) {
        enum mig_state state = state_from_string(row->state);
        struct migration *m;

        if (state == N_MS || states[state].final) {
            continue;
        }
        m = find_migration(me, row->port->name);
        if (m) {
            VLOG_WARN("port %s has two unfinished migrations: keeping the "
                      "one to %s", m->port, m->dst);
            continue;
        }
        m = migration_create(me, row->port->name, row->source->name,
                             row->destination->name);
        m->uuid = row->header_.uuid;
        m->state = state;
        m->recorded = state;
        m->row_exists = true;
        for (size_t i = 0; i < row->n_timestamps; i++) {
            enum mig_state s = state_from_string(row->key_timestamps[i]);
            if (s != N_MS) {
                m->stamps[s] = row->value_timestamps[i];
            }
        }
        VLOG_INFO("found migration of %s (%s -> %s) %s", m->port, m->src,
                  m->dst, row->state);

        /* Carry on with what was under way. */
        m->deadline = time_msec() + me->cfg.switchover_timeout_ms * 2;
        m->start_ns = timing_mono_ns();
        switch (state) {
        case MS_PREPARED:
        case MS_SWITCHING:
            m->recovering = true;
            break;
        case MS_PREPARING:
            m->cmd = CMD_PREPARE;
            m->busy = true;
            break;
        case MS_COMPLETING:
            m->cmd = CMD_COMPLETE;
            m->busy = true;
            m->n_remotes = 0;
            break;
        case MS_ABORTING:
            m->cmd = CMD_ABORT;
            m->busy = true;
            break;
        case MS_SWITCHED:
        case MS_ACTIVE:
        case MS_COMPLETE:
        case MS_ABORTED:
        case MS_FAILED:
        case N_MS:
            break;
        }
    }
    update_holds(me);
    migration_engine_apply(me, me->model);
}
