/* The migration engine: the state machine.  See migration.h,
 * migration-private.h and docs/migration.md.
 *
 * Design.  Each migration is a small state machine (the 'mig_states'
 * table: where the port lives in each state, whether it is final) driven by
 * commands (the 'mig_commands' table: from which states each may start, in
 * which it is already done, and the function that starts it) and by
 * progress the engine sees on each run: barriers confirmed by the hosts'
 * installers, the database's commit, the announcer's answer, deadlines.
 * A control command only queues its step (migration-control.c);
 * migration_engine_run() starts it, and a step that must wait keeps its
 * control request and answers it from a later run.  A migration has at
 * most one step under way (abort takes over from another).
 *
 * The engine never recomputes a whole host: it sets the port's placement
 * in the model and hands the hosts that port's flows only
 * (hostctl_update_port(), which sends nothing); the daemon's loop sends
 * them right after the run (hostctl_flush()).  So a switchover sends one
 * small bundle to the source and one to the destination back to back, and
 * the reply goes as soon as both barriers are back.  The other hosts get
 * theirs afterwards (the source forwards for them meanwhile).
 *
 * Sequence numbers.  A step remembers, per host, the installer sequence
 * number of the flows it handed over, 0 when it could hand none (the
 * host's ports are not known yet).  confirmed() is true only for flows
 * that were handed over and confirmed; settled() also accepts a host that
 * was not ready, which gets everything in full once it is: each step says
 * which one it needs.
 *
 * Records (migration-record.c).  prepare waits for its row to be committed
 * before it sends anything; the switchover does not wait: its record is
 * committed in parallel with the bundles.  A restarted engine that finds a
 * migration 'prepared' or 'switching' holds the source's and destination's
 * installers and reads back the destination's admission flow
 * (pipeline_admission_read()): if the port's ingress is open there, the
 * switchover happened, whatever the record says. */

#include <config.h>
#include "migration-private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "announcer-client.h"
#include "control.h"
#include "hostctl.h"
#include "model.h"
#include "nb-check.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "packet-announce.h"
#include "pipeline.h"
#include "provision.h"
#include "svec.h"
#include "timeval.h"
#include "timing.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(migration);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

const struct mig_state_info mig_states[N_MS] = {
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

static void start_prepare(struct migration_engine *, struct migration *);
static void start_switchover(struct migration_engine *, struct migration *);
static void start_activate(struct migration_engine *, struct migration *);
static void start_complete(struct migration_engine *, struct migration *);
static void start_abort(struct migration_engine *, struct migration *);

const struct mig_cmd_info mig_commands[N_CMD] = {
    [CMD_PREPARE] = {
        "prepare", 0, MIG_BIT(MS_PREPARED), start_prepare,
    },
    [CMD_SWITCHOVER] = {
        "switchover", MIG_BIT(MS_PREPARED),
        MIG_BIT(MS_SWITCHED) | MIG_BIT(MS_ACTIVE), start_switchover,
    },
    [CMD_ACTIVATE] = {
        "activate", MIG_BIT(MS_SWITCHED) | MIG_BIT(MS_ACTIVE), 0, start_activate,
    },
    [CMD_COMPLETE] = {
        "complete", MIG_BIT(MS_SWITCHED) | MIG_BIT(MS_ACTIVE) | MIG_BIT(MS_COMPLETING),
        MIG_BIT(MS_COMPLETE),
        start_complete,
    },
    [CMD_ABORT] = {
        "abort", (MIG_BIT(MS_PREPARING) | MIG_BIT(MS_PREPARED) | MIG_BIT(MS_SWITCHING)
                  | MIG_BIT(MS_SWITCHED) | MIG_BIT(MS_ACTIVE) | MIG_BIT(MS_COMPLETING)
                  | MIG_BIT(MS_ABORTING)),
        MIG_BIT(MS_ABORTED) | MIG_BIT(MS_FAILED), start_abort,
    },
};

struct migration *
migration_find(const struct migration_engine *me, const char *port)
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

void
migration_free(struct migration_engine *me, struct migration *m)
{
    if (m->superseded) {
        control_reply(m->superseded, false, "aborted by request");
    }
    if (m->req) {
        migration_answer(m, false, "migration of %s forgotten", m->port);
    }
    hmap_remove(&me->migrations, &m->node);
    migration_record_forget(me, m);
    for (size_t i = 0; i < m->n_remotes; i++) {
        free(m->remotes[i].host);
    }
    free(m->remotes);
    free(m->port);
    free(m->src);
    free(m->dst);
    free(m->error);
    free(m->announce_result);
    free(m->claim_result);
    free(m->hold_result);
    svec_destroy(&m->announced);
    free(m);
}

struct migration *
migration_create(struct migration_engine *me, const char *port,
                 const char *src, const char *dst)
{
    struct migration *m = xzalloc(sizeof *m);

    m->port = xstrdup(port);
    m->src = xstrdup(src);
    m->dst = xstrdup(dst);
    m->recorded = N_MS;
    m->switchover_timeout_ms = me->cfg.switchover_timeout_ms;
    hmap_insert(&me->migrations, &m->node, hash_string(port, 0));
    return m;
}

void
migration_answer(struct migration *m, bool ok, const char *format, ...)
{
    va_list args;
    char *text;

    va_start(args, format);
    text = xvasprintf(format, args);
    va_end(args);
    if (!ok) {
        VLOG_WARN_RL(&rl, "%s %s: %s", mig_commands[m->cmd].name, m->port, text);
    } else {
        VLOG_INFO("%s %s: %s", mig_commands[m->cmd].name, m->port, text);
    }
    if (m->req) {
        control_reply(m->req, ok, text);
        m->req = NULL;
    }
    m->busy = false;
    m->queued = false;
    free(text);
}

struct hostctl *
migration_host(const struct migration_engine *me, const char *name)
{
    return shash_find_data(me->hosts, name);
}

static struct hostctl *
host(const struct migration_engine *me, const char *name)
{
    return migration_host(me, name);
}

static void
set_state(struct migration_engine *me, struct migration *m,
          enum mig_state state)
{
    me->rec.status_dirty = true;
    if (m->state != state) {
        VLOG_INFO("migration of %s (%s -> %s): %s -> %s", m->port, m->src,
                  m->dst, mig_states[m->state].name, mig_states[state].name);
    }
    m->state = state;
    m->stamps[state] = time_wall_msec();
}

/* Whether 'm' is a local migration: from one VMM process's interface to
 * another's on the same host. */
bool
migration_is_local(const struct migration *m)
{
    return !strcmp(m->src, m->dst);
}

/* The OpenFlow port of the interface 'm''s port moves to on the
 * destination, 0 if the destination has none yet. */
static unsigned int
dest_ofport(const struct migration *m, const struct hostctl *d)
{
    return (migration_is_local(m) ? hostctl_incoming_ofport(d, m->port)
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
    switch (mig_states[m->state].placement) {
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
    p->incoming = (migration_is_local(m)
                   && mig_states[m->state].placement == AT_DEST);
    p->draining = (!migration_is_local(m) && m->state <= MS_SWITCHED
                   ? s : NULL);
    p->hold.phase = migration_hold_phase(m);
    p->hold.host = p->hold.phase != MODEL_HOLD_NONE ? d : NULL;
    p->hold.id = p->hold.phase != MODEL_HOLD_NONE ? m->hold_id : 0;
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
 * remembers what each must confirm.  At prepare they learn that the
 * destination may send as the port (the pipeline takes a port's tunnel
 * traffic only from its active and standby hosts), at the switchover where
 * it now lives, at complete, abort or failure that the host they no longer
 * need to take it from. */
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

/* Whether host 'hc' confirmed the flows of 'seqno', which were handed
 * over (not 0). */
static bool
confirmed(const struct hostctl *hc, uint64_t seqno)
{
    return hc && seqno && hostctl_is_confirmed(hc, seqno);
}

/* Whether host 'hc' is done with a step's flows: it confirmed them, or it
 * could not be handed them (its ports are not known yet, or it is gone) and
 * gets everything in full, with the port where the engine says, when it
 * is ready. */
static bool
settled(const struct hostctl *hc, uint64_t seqno)
{
    return !seqno || !hc || hostctl_is_confirmed(hc, seqno);
}

/* How many remote hosts are done with the port's flows last sent them
 * (settled()): after the switchover, the source forwards for those that
 * are not; at prepare, those that are not would drop what the destination
 * sends as the port after the switchover. */
size_t
migration_remotes_confirmed(const struct migration_engine *me,
                            const struct migration *m)
{
    size_t n = 0;

    for (size_t i = 0; i < m->n_remotes; i++) {
        const struct remote *r = &m->remotes[i];

        n += settled(host(me, r->host), r->seqno);
    }
    return n;
}

/* The name of the first remote host of 'm' that is not done with the
 * port's flows last sent it, or NULL. */
static const char *
first_unsettled_remote(const struct migration_engine *me,
                       const struct migration *m)
{
    for (size_t i = 0; i < m->n_remotes; i++) {
        const struct remote *r = &m->remotes[i];

        if (!settled(host(me, r->host), r->seqno)) {
            return r->host;
        }
    }
    return NULL;
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

/* Steps. */

/* The name the destination's agent knows an identity of 'p' by
 * (packet_announce_identities()): the port's own is the port's name, an
 * elastic IP's "eip:ADDR" (NB_EIP_ANNOUNCE_PREFIX: nb_check_port_name()
 * keeps it free).
 * Returns a string to free. */
static char *
announce_name(const struct model_port *p, const struct announce_identity *id,
              size_t i)
{
    return (!i ? xstrdup(p->name)
            : xasprintf(NB_EIP_ANNOUNCE_PREFIX IP_FMT,
                        IP_ARGS(id->spec.ipv4[0])));
}

/* Stores in 'names' what the destination's agent knows 'p''s frames by,
 * the port's own first: the names announcer/fire takes. */
static void
announce_names(const struct model *model, const struct model_port *p,
               struct svec *names)
{
    struct announce_identity *ids;
    size_t n = packet_announce_identities(model, p, &ids);

    svec_clear(names);
    for (size_t i = 0; i < n; i++) {
        svec_add_nocopy(names, announce_name(p, &ids[i], i));
    }
    free(ids);
}

/* Appends to 'args' what announcer/register takes after the name for
 * 'spec': its MAC and its addresses. */
static void
spec_args(const struct frames_spec *spec, struct svec *args)
{
    svec_add_nocopy(args, xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(spec->mac)));
    for (size_t j = 0; j < spec->n_ipv4; j++) {
        svec_add_nocopy(args, xasprintf(IP_FMT, IP_ARGS(spec->ipv4[j])));
    }
    for (size_t j = 0; j < spec->n_ipv6; j++) {
        char buf[INET6_ADDRSTRLEN];

        ipv6_string_mapped(buf, &spec->ipv6[j]);
        svec_add(args, buf);
    }
}

/* Registers with the destination's agent every identity of the port
 * (packet_announce_identities()): its own frames under its name, each
 * elastic IP's (the elastic IP's MAC, its RARP and gratuitous ARP) under
 * "eip:ADDR", so that activate fires them all in one burst.  The names go
 * to 'm->announced', for fire and withdraw. */
static void
register_announcements(struct migration_engine *me, struct migration *m,
                       struct announcer_client *ac)
{
    const struct model_port *p = model_find_port(me->model, m->port);
    struct announce_identity *ids;
    size_t n;

    if (!ac || !p) {
        return;
    }
    n = packet_announce_identities(me->model, p, &ids);
    svec_clear(&m->announced);
    for (size_t i = 0; i < n; i++) {
        char *name = announce_name(p, &ids[i], i);
        struct svec args = SVEC_EMPTY_INITIALIZER;

        spec_args(&ids[i].spec, &args);
        announcer_client_register(ac, name, (const char **) args.names,
                                  args.n);
        svec_destroy(&args);
        svec_add_nocopy(&m->announced, name);
    }
    free(ids);
}

/* Whether the destination's agent confirmed every registration of
 * register_announcements(). */
static bool
announcements_registered(const struct migration *m,
                         const struct announcer_client *ac)
{
    for (size_t i = 0; i < m->announced.n; i++) {
        if (!announcer_client_is_registered(ac, m->announced.names[i])) {
            return false;
        }
    }
    return m->announced.n > 0;
}

/* A migration recovered after a restart registered its frames in an
 * earlier life of the controller: the agent kept them, by the names the
 * model gives now. */
static void
recall_announcements(struct migration_engine *me, struct migration *m)
{
    if (!m->announced.n) {
        const struct model_port *p = model_find_port(me->model, m->port);

        if (p) {
            announce_names(me->model, p, &m->announced);
        } else {
            svec_add(&m->announced, m->port);
        }
    }
}

/* Says what the agent registered: "announcements registered", and the
 * elastic IPs' names if any ("(with eip:203.0.113.10)").  To free. */
static char *
registered_note(const struct migration *m)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_cstr(&s, "announcements registered");
    for (size_t i = 1; i < m->announced.n; i++) {
        ds_put_format(&s, "%s%s", i == 1 ? " (with " : " ",
                      m->announced.names[i]);
    }
    if (m->announced.n > 1) {
        ds_put_char(&s, ')');
    }
    return ds_steal_cstr(&s);
}

/* Asks the destination's agent to forget the port's registrations. */
static void
withdraw_announcements(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    struct announcer_client *ac = d ? hostctl_announcer(d) : NULL;

    recall_announcements(me, m);
    for (size_t i = 0; ac && i < m->announced.n; i++) {
        announcer_client_withdraw(ac, m->announced.names[i]);
    }
    svec_clear(&m->announced);
}

static void
start_prepare(struct migration_engine *me, struct migration *m)
{
    set_state(me, m, MS_PREPARING);
    begin_step(m, me->cfg.step_timeout_ms);
}

/* prepare: once the row is in the database, the destination gets the
 * port's flows (standby) and its announcer the frames, and every other
 * host the port's flows that take its tunnel traffic from the destination
 * too; done when the destination confirmed them and has its tunnel
 * neighbours, and every remote host is done with them (before the
 * switchover, not racing it: a remote host that has not learned the
 * destination drops what the VM sends from there). */
static void
run_prepare(struct migration_engine *me, struct migration *m)
{
    struct hostctl *s = host(me, m->src);
    struct hostctl *d = host(me, m->dst);
    struct announcer_client *ac = d ? hostctl_announcer(d) : NULL;
    struct ds why = DS_EMPTY_INITIALIZER;

    if (m->recorded == N_MS) {
        /* Not in the database yet: nothing is sent before it is. */
    } else if (!m->sent && !migration_hold_prepare(me, m)) {
        /* The destination's daemon has not answered hold/start yet: the
         * flows say whether to copy. */
    } else if (!m->sent) {
        /* The source gets the port's flows too (nothing changes there):
         * once it confirms them, no older transaction is in flight on
         * either host, and the switchover's bundles leave at once. */
        m->src_seqno = send_port(me, m, m->src);
        m->dst_seqno = send_port(me, m, m->dst);
        send_remotes(me, m);
        register_announcements(me, m, ac);
        m->sent = m->dst_seqno != 0;
    } else if (confirmed(d, m->dst_seqno) && settled(s, m->src_seqno)
               && migration_remotes_confirmed(me, m) == m->n_remotes
               && hostctl_neighbours_synced(d)
               && (!ac || !announcer_client_is_connected(ac)
                   || announcements_registered(m, ac))) {
        /* An announcer that is away does not hold the migration up:
         * activate falls back to packet-outs (and the registration is sent
         * if it comes back).  A source that was not ready is refused at
         * the switchover, by name. */
        char *note = (!ac ? xstrdup("no announcer: packet-outs at activate")
                      : announcements_registered(m, ac)
                      ? registered_note(m)
                      : xasprintf("announcer of %s not connected: "
                                  "packet-outs at activate", m->dst));

        m->step_us[CMD_PREPARE] = step_usec(m);
        set_state(me, m, MS_PREPARED);
        migration_answer(m, true, "%s prepared on %s in %"PRIu64" us, %s; "
                         "hold: %s", m->port, m->dst,
                         m->step_us[CMD_PREPARE], note,
                         m->hold_result ? m->hold_result : "none");
        free(note);
        return;
    }
    if (time_msec() < m->deadline) {
        return;
    }

    if (m->recorded == N_MS) {
        ds_put_cstr(&why, "the northbound database did not record it");
    } else if (m->hold == MH_STARTING) {
        ds_put_format(&why, "announcer of %s did not answer hold/start",
                      m->dst);
    } else if (!m->sent) {
        ds_put_format(&why, "destination host %s not ready (its ports are "
                      "not known)", m->dst);
    } else if (!confirmed(d, m->dst_seqno)) {
        ds_put_format(&why, "destination host %s did not confirm the flows",
                      m->dst);
    } else if (!settled(s, m->src_seqno)) {
        ds_put_format(&why, "source host %s did not confirm its flows",
                      m->src);
    } else if (migration_remotes_confirmed(me, m) < m->n_remotes) {
        ds_put_format(&why, "remote host %s did not confirm the port's "
                      "flows", first_unsettled_remote(me, m));
    } else if (!hostctl_neighbours_synced(d)) {
        ds_put_format(&why, "destination host %s: tunnel neighbours not set",
                      m->dst);
    } else {
        ds_put_format(&why, "announcer of %s did not register the port",
                      m->dst);
    }
    free(m->error);
    m->error = xasprintf("prepare timed out: %s", ds_cstr(&why));
    withdraw_announcements(me, m);
    migration_hold_stop(me, m, "stopped: prepare failed");
    set_state(me, m, MS_FAILED);
    send_port(me, m, m->dst);
    if (m->n_remotes) {
        send_remotes(me, m);
    }
    migration_answer(m, false, "timeout preparing %s on %s: %s", m->port,
                     m->dst, ds_cstr(&why));
    ds_destroy(&why);
}

/* Why the switchover of 'm' cannot even start, or NULL.  Each reason is
 * known at once: none may keep the VM paused for the timeout. */
static char *
switchover_refusal(const struct migration_engine *me,
                   const struct migration *m)
{
    const struct hostctl *s = host(me, m->src);
    const struct hostctl *d = host(me, m->dst);

    if (!d || !hostctl_is_connected(d)) {
        return xasprintf("destination host %s not connected", m->dst);
    } else if (!s || !hostctl_is_connected(s)) {
        return xasprintf("source host %s not connected", m->src);
    } else if (!dest_ofport(m, d)) {
        return (migration_is_local(m)
                ? xasprintf("host %s has no incoming interface for %s "
                            "(external_ids:iface-id=%s and %s=true): the VM "
                            "would be unreachable", m->dst, m->port, m->port,
                            PROVISION_INCOMING_KEY)
                : xasprintf("destination host %s has no interface for %s "
                            "(external_ids:iface-id=%s): the VM would be "
                            "unreachable", m->dst, m->port, m->port));
    }
    return NULL;
}

static void
start_switchover(struct migration_engine *me, struct migration *m)
{
    char *why = switchover_refusal(me, m);

    if (why) {
        migration_answer(m, false, "%s", why);
        free(why);
        return;
    }

    /* The critical path: both bundles handed over back to back (the loop
     * sends them right after this run), the record in parallel. */
    begin_step(m, m->switchover_timeout_ms);
    set_state(me, m, MS_SWITCHING);
    m->src_seqno = send_port(me, m, m->src);
    m->dst_seqno = send_port(me, m, m->dst);
    m->sent = true;
    if (!m->src_seqno || !m->dst_seqno) {
        /* A host whose ports are not known yet takes no flows: nothing to
         * wait for, the switchover cannot happen. */
        const char *late = !m->src_seqno ? m->src : m->dst;

        free(m->error);
        m->error = xasprintf("host %s not ready: its ports are not known "
                             "yet (see cutoverd/status)", late);
        set_state(me, m, MS_PREPARED);
        send_port(me, m, m->src);
        send_port(me, m, m->dst);
        migration_answer(m, false, "%s: switchover undone, %s stays on %s",
                         m->error, m->port, m->src);
    }
}

/* Claims the port's MACs on the physical network (its own on a provider
 * VLAN, its elastic IPs') for host 'name' with one round of packet-outs
 * (packet_announce_claim()): for the destination once a switchover is
 * confirmed, so that the physical switch and the destination's uplink
 * bridge send the port's traffic there while the VM is still paused
 * (where it waits in the VM's queue) instead of through the source; for
 * the source once an abort undid a switchover.  A local migration's MACs
 * never move.  The outcome is kept for migration/show, and a failure is
 * logged. */
static void
claim_macs(struct migration_engine *me, struct migration *m,
           const char *name)
{
    const struct model_port *p = model_find_port(me->model, m->port);
    struct hostctl *h = host(me, name);
    struct ds s = DS_EMPTY_INITIALIZER;
    int error;

    if (migration_is_local(m)) {
        return;
    }
    ds_put_format(&s, "on %s: ", name);
    if (!h || !p) {
        ds_put_cstr(&s, "nothing claimed (host or port gone)");
        error = ENOENT;
    } else {
        error = packet_announce_claim(hostctl_packet_announce(h), me->model,
                                      p, &s);
    }
    if (error) {
        VLOG_WARN_RL(&rl, "%s: claiming its MACs %s", m->port, ds_cstr(&s));
    }
    free(m->claim_result);
    m->claim_result = ds_steal_cstr(&s);
}

static void
run_switchover(struct migration_engine *me, struct migration *m)
{
    struct hostctl *s = host(me, m->src);
    struct hostctl *d = host(me, m->dst);
    uint64_t now = timing_mono_ns();

    if (!m->src_done_ns && confirmed(s, m->src_seqno)) {
        m->src_done_ns = now;
    }
    if (!m->dst_done_ns && confirmed(d, m->dst_seqno)) {
        m->dst_done_ns = now;
    }
    if (m->src_done_ns && m->dst_done_ns) {
        m->step_us[CMD_SWITCHOVER] = (now - m->start_ns) / 1000;
        m->switch_src_us = (m->src_done_ns - m->start_ns) / 1000;
        m->switch_dst_us = (m->dst_done_ns - m->start_ns) / 1000;
        m->switched_us = time_wall_usec();
        set_state(me, m, MS_SWITCHED);
        migration_answer(m, true, "%s switched over from %s to %s: "
                         "confirmed in %"PRIu64" us (%s %"PRIu64" us, %s %"
                         PRIu64" us)", m->port, m->src, m->dst,
                         m->step_us[CMD_SWITCHOVER], m->src,
                         m->switch_src_us, m->dst, m->switch_dst_us);
        m->switched_pending = true;
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
    set_state(me, m, MS_PREPARED);
    send_port(me, m, m->src);
    send_port(me, m, m->dst);
    migration_answer(m, false, "timeout waiting for barrier from %s after "
                     "%u ms: switchover undone, %s stays on %s", late,
                     m->switchover_timeout_ms, m->port, m->src);
}

/* The work of a confirmed switchover off the critical path: the hold
 * armed, the other hosts, and the physical network's learning.  Left to
 * migration_engine_run_after(), which runs once the bundles of the
 * switchovers that started in the same turn are sent: in an evacuation,
 * the port's flows for every other host (a computation per host and
 * port) would otherwise delay the next VMs' switchovers. */
static void
finish_switched(struct migration_engine *me, struct migration *m)
{
    struct hostctl *s = host(me, m->src);

    m->switched_pending = false;
    migration_hold_arm(me, m);
    send_remotes(me, m);
    if (s && !migration_is_local(m)) {
        /* An earlier migration's rounds for the port, still under way at
         * the source, would call its traffic back there. */
        packet_announce_cancel(hostctl_packet_announce(s), m->port);
    }
    claim_macs(me, m, m->dst);
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
    set_state(me, m, MS_ACTIVE);
    if (!migration_is_local(m)) {
        /* The VM runs at the destination: the source's interface no longer
         * drains. */
        send_port(me, m, m->src);
    }
    /* Announcing is best effort: the port is active either way.  The
     * answer says what the hold replayed, or that it was lost. */
    const char *hold = (m->hold_result && strncmp(m->hold_result, "none", 4)
                        ? m->hold_result : NULL);
    migration_answer(m, true, "%s active on %s (%s%s%s)", m->port, m->dst,
                     hold ? hold : "", hold ? "; " : "", m->announce_result);
}

/* Fires the port's announcements on the destination's announcer (or, if
 * it cannot, falls back to packet-outs). */
static void
fire(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    struct announcer_client *ac = d ? hostctl_announcer(d) : NULL;

    m->deadline = time_msec() + ANNOUNCER_TIMEOUT_MS;
    if (!ac) {
        finish_activate(me, m, xasprintf("no announcer on %s", m->dst));
        return;
    }
    recall_announcements(me, m);
    m->fire_token = announcer_client_fire(ac,
                                          (const char **) m->announced.names,
                                          m->announced.n);
    if (!m->fire_token) {
        finish_activate(me, m, xasprintf("announcer of %s not connected",
                                         m->dst));
    }
}

/* activate: the hold (if any) replays what it kept, the port's frames go
 * to the VM's interface again, then the announcements go out. */
static void
start_activate(struct migration_engine *me, struct migration *m)
{
    bool held = m->hold != MH_NONE;

    begin_step(m, ANNOUNCER_TIMEOUT_MS);
    if (!migration_hold_replay(me, m)) {
        if (held && m->hold == MH_NONE) {
            /* The hold was lost just now: the VM's interface again. */
            send_port(me, m, m->dst);
        }
        fire(me, m);
    }
}

static void
run_activate(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    struct announcer_client *ac = d ? hostctl_announcer(d) : NULL;
    char *text = NULL;
    bool ok;

    if (m->hold == MH_REPLAYING) {
        if (migration_hold_replayed(me, m)) {
            /* What the daemon still gets it passes on: the flip to the
             * VM's interface need not be confirmed first. */
            send_port(me, m, m->dst);
            fire(me, m);
        }
        return;
    }
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
    begin_step(m, me->cfg.step_timeout_ms + me->cfg.grace_ms);
    set_state(me, m, MS_COMPLETING);
}

/* complete: every remote host confirmed, then the grace period, then the
 * port's home becomes the destination (recorded), then it is done. */
static void
run_complete(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);

    if (m->state == MS_COMPLETING) {
        if (!m->grace_until) {
            size_t n_done = migration_remotes_confirmed(me, m);

            if (n_done < m->n_remotes) {
                if (time_msec() < m->deadline) {
                    return;
                }
                VLOG_WARN_RL(&rl, "complete %s: %"PRIuSIZE" of %"PRIuSIZE
                             " remote hosts did not confirm: the source "
                             "keeps forwarding for them", m->port,
                             m->n_remotes - n_done, m->n_remotes);
            }
            m->grace_until = time_msec() + me->cfg.grace_ms;
        }
        if (time_msec() < m->grace_until) {
            return;
        }
        if (migration_is_local(m) && d && hostctl_incoming_ofport(d, m->port)) {
            /* The new VMM's interface becomes the port's only one here,
             * the old one is retired: then the port's flows no longer
             * depend on the migration's placement. */
            hostctl_promote_incoming(d, m->port);
            if (time_msec() < m->deadline) {
                return;
            }
            migration_answer(m, false, "%s's incoming interface on %s is "
                             "still marked %s: the host's OVSDB did not take "
                             "the change (try again)", m->port, m->dst,
                             PROVISION_INCOMING_KEY);
            return;
        }
        set_state(me, m, MS_COMPLETE);
        /* The hold passed everything on long ago (the grace period): its
         * flows go with the source's. */
        migration_hold_stop(me, m, "stopped at complete");
        send_port(me, m, m->src);
        send_port(me, m, m->dst);
        /* The remote hosts no longer take the port's traffic from the
         * source. */
        send_remotes(me, m);
        withdraw_announcements(me, m);
    }
    if (m->recorded == MS_COMPLETE) {
        m->step_us[CMD_COMPLETE] = step_usec(m);
        migration_answer(m, true, "%s complete: its home is now %s", m->port,
                         m->dst);
    }
}

static void
start_abort(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    bool was_switched = mig_states[m->state].placement == AT_DEST;

    begin_step(m, me->cfg.step_timeout_ms);
    set_state(me, m, MS_ABORTING);
    migration_hold_abort(me, m, was_switched);
    m->src_seqno = send_port(me, m, m->src);
    m->dst_seqno = send_port(me, m, m->dst);
    if (was_switched || m->n_remotes) {
        send_remotes(me, m);
    }
    withdraw_announcements(me, m);
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
        /* A host that is away gets everything in full when it is back,
         * with the port at the source: the abort stands. */
        bool s_ok = settled(s, m->src_seqno);
        bool d_ok = settled(d, m->dst_seqno);

        if (!(s_ok && d_ok) && time_msec() < m->deadline) {
            return;
        }
        if (!(s_ok && d_ok)) {
            VLOG_WARN_RL(&rl, "abort %s: %s did not confirm yet", m->port,
                         !s_ok ? m->src : m->dst);
        }
        set_state(me, m, MS_ABORTED);
        if (m->reclaim) {
            /* After the destination's barrier: whatever it announced
             * before the abort is on the wire already, and cannot cross
             * the source's claim there. */
            m->reclaim = false;
            claim_macs(me, m, m->src);
        }
    }
    if (m->state == MS_ABORTED && !migration_hold_released(me, m)
        && time_msec() < m->deadline) {
        /* Once both hosts take the port's frames back to the source, the
         * hold sends there what it kept. */
        return;
    }
    if (m->recorded == MS_ABORTED) {
        m->step_us[CMD_ABORT] = step_usec(m);
        migration_answer(m, true, "%s aborted: back on %s as before%s%s",
                         m->port, m->src,
                         m->hold_switched && m->hold_result ? "; " : "",
                         m->hold_switched && m->hold_result
                         ? m->hold_result : "");
    }
}

/* Recovery of a migration found 'prepared' or 'switching': which side of
 * the switchover are the switches on? */
static void
run_recovery(struct migration_engine *me, struct migration *m)
{
    struct hostctl *d = host(me, m->dst);
    const struct of_flow_set *found = d ? hostctl_get_readback(d) : NULL;
    const struct model_port *p = model_find_port(me->model, m->port);
    enum pipeline_admission admission = PIPELINE_ADMISSION_UNKNOWN;
    enum mig_state state;

    if ((!found || (migration_is_local(m) && !dest_ofport(m, d)))
        && time_msec() < m->deadline) {
        /* A local migration's host has two admission flows for the port:
         * the incoming interface's tells. */
        return;
    }
    if (found && p) {
        admission = pipeline_admission_read(
            found, p->key, migration_is_local(m) ? dest_ofport(m, d) : 0);
    }
    state = m->state;
    if (admission == PIPELINE_ADMISSION_OPEN) {
        state = MS_SWITCHED;
    } else if (admission == PIPELINE_ADMISSION_CLOSED) {
        state = MS_PREPARED;
    } else if (state == MS_SWITCHING) {
        /* Nothing to read (the destination lost its flows, or is away):
         * the record says a switchover was sent; the VM may run there. */
        state = MS_SWITCHED;
    }
    VLOG_INFO("recovered migration of %s (%s -> %s): recorded %s, the "
              "destination's switch says %s: %s", m->port, m->src, m->dst,
              mig_states[m->state].name,
              (admission == PIPELINE_ADMISSION_OPEN ? "switched"
               : admission == PIPELINE_ADMISSION_CLOSED ? "not switched"
               : "nothing"), mig_states[state].name);
    set_state(me, m, state);
    m->recovering = false;
    m->busy = false;
    send_port(me, m, m->src);
    send_port(me, m, m->dst);
    /* Prepared or switched, the remote hosts take the port's traffic from
     * both hosts. */
    send_remotes(me, m);
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

/* Carries 'm''s step on: starts it if it is queued, else looks at what it
 * waits for. */
static void
run_migration(struct migration_engine *me, struct migration *m)
{
    if (m->switched_pending) {
        finish_switched(me, m);
    }
    if (m->superseded) {
        control_reply(m->superseded, false, "aborted by request");
        m->superseded = NULL;
    }
    if (m->queued) {
        m->queued = false;
        free(m->error);
        m->error = NULL;
        mig_commands[m->cmd].start(me, m);
        if (!m->busy) {
            return;
        }
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

void
migration_engine_run(struct migration_engine *me)
{
    struct migration *m;
    bool recovering = false;

    if (!me->active) {
        return;
    }

    HMAP_FOR_EACH (m, node, &me->migrations) {
        bool changed;

        migration_hold_run(me, m, &changed);
        if (changed && (m->sent || m->state != MS_PREPARING)) {
            /* The hold began or ended: the flows copy, hold or not. */
            send_port(me, m, m->src);
            send_port(me, m, m->dst);
        }
        if (m->recovering) {
            run_recovery(me, m);
            recovering = true;
        } else if (m->busy) {
            run_migration(me, m);
        }
    }
    if (recovering) {
        update_holds(me);
    }
}

bool
migration_engine_run_after(struct migration_engine *me)
{
    uint64_t start = timing_mono_ns();
    struct migration *m;
    bool did = false;

    if (!me->active) {
        return false;
    }
    HMAP_FOR_EACH (m, node, &me->migrations) {
        if (m->switched_pending) {
            if (did && timing_turn_spent(start)) {
                /* The rest next turn (migration_engine_wait() wakes): at a
                 * hundred hosts, an evacuation's hundred ports, each
                 * computed for every other host, went in one turn. */
                break;
            }
            finish_switched(me, m);
            did = true;
        }
    }
    return did;
}

void
migration_engine_record(struct migration_engine *me)
{
    if (me->active) {
        migration_record_run(me);
    }
}

void
migration_engine_wait(struct migration_engine *me)
{
    struct migration *m;

    HMAP_FOR_EACH (m, node, &me->migrations) {
        if (m->queued || m->superseded || m->switched_pending) {
            poll_immediate_wake();
        } else if (m->busy || m->recovering) {
            poll_timer_wait_until(m->deadline);
            if (m->grace_until) {
                poll_timer_wait_until(m->grace_until);
            }
        }
        if (m->hold_token) {
            poll_timer_wait_until(m->hold_deadline);
        }
    }
    migration_record_wait(me);
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

        if (mig_states[m->state].final && !m->busy && m->recorded == m->state
            && p && p->active
            && !strcmp(p->active->name,
                       mig_states[m->state].placement == DEST_ONLY
                       ? m->dst : m->src)) {
            /* The database says what the engine would: the migration is
             * history, and the database decides from now on. */
            migration_free(me, m);
            continue;
        }
        place(m, model);
    }
}

enum mig_state
mig_state_from_string(const char *s)
{
    for (int i = 0; i < N_MS; i++) {
        if (!strcmp(mig_states[i].name, s)) {
            return i;
        }
    }
    return N_MS;
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
    migration_record_init(me);
    migration_control_register(me);
    return me;
}

void
migration_engine_destroy(struct migration_engine *me)
{
    if (me) {
        struct migration *m;

        HMAP_FOR_EACH_SAFE (m, node, &me->migrations) {
            if (m->req) {
                migration_answer(m, false, "cutoverd is exiting");
            }
            migration_free(me, m);
        }
        hmap_destroy(&me->migrations);
        migration_record_destroy(me);
        free(me);
    }
}

void
migration_engine_set_active(struct migration_engine *me, bool active)
{
    struct migration *m;

    if (active == me->active) {
        return;
    }
    me->active = active;
    if (active) {
        /* The next migration_engine_load() reads what the database says is
         * under way and carries it on, as after a restart. */
        me->loaded = false;
        return;
    }
    /* What this controller was doing is the next active one's now: it
     * finds it in the database.  Nothing more is sent or written here. */
    HMAP_FOR_EACH_SAFE (m, node, &me->migrations) {
        if (m->req) {
            migration_answer(m, false, "this cutoverd lost the northbound "
                             "database's lock while the step was under "
                             "way: the active controller finishes or "
                             "rolls back the migration; ask it");
        }
        migration_free(me, m);
    }
    migration_record_destroy(me);
    me->rec.hv_cfg = -1;
    me->loaded = false;
}

bool
migration_engine_is_active(const struct migration_engine *me)
{
    return me->active;
}

void
migration_engine_load(struct migration_engine *me)
{
    struct migration *m;

    if (me->loaded || !me->active) {
        return;
    }
    me->loaded = true;
    migration_record_load(me);

    /* Carry on with what was under way. */
    HMAP_FOR_EACH (m, node, &me->migrations) {
        m->deadline = time_msec() + me->cfg.step_timeout_ms;
        m->start_ns = timing_mono_ns();
        switch (m->state) {
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

void
migration_engine_ports_changed(struct migration_engine *me)
{
    me->rec.status_dirty = true;
}

void
migration_engine_set_hv_cfg(struct migration_engine *me, int64_t hv_cfg)
{
    me->rec.hv_cfg = hv_cfg;
}
