/* One host as the controller manages it.  See hostctl.h. */

#include <config.h>
#include "hostctl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "announcer-client.h"
#include "bitmap.h"
#include "cli.h"
#include "flow-set.h"
#include "installer.h"
#include "kernel-neigh.h"
#include "model.h"
#include "nb-check.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "packet-announce.h"
#include "pipeline.h"
#include "provision.h"
#include "timeval.h"
#include "timing.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(hostctl);

struct hostctl {
    char *name;
    const struct provision_config *cfg; /* The caller's; may be NULL. */

    char *ovsdb_target;
    char *openflow_target;
    struct provision *provision;        /* NULL without an OVSDB target. */
    struct installer *installer;
    struct announcer_client *announcer; /* The agent, NULL if none. */
    struct kernel_neigh *peers;         /* Tunnel neighbours, for the agent. */
    size_t n_peers;
    struct packet_announce *packet_announce; /* Through 'installer'. */

    /* The host's ports ('have_ports' false until provisioning first knew
     * them), and the provisioning seqno they were last read at. */
    struct pipeline_ports ports;
    bool have_ports;
    unsigned int ports_seqno;

    uint64_t computed_seqno;    /* Installer seqno of the newest flows. */
    size_t n_flows;             /* How many flows that was. */
    size_t n_conflicts;         /* Flows left out (inconsistent model). */
    uint64_t compute_usec;      /* How long computing them took. */
    bool stale;                 /* hostctl_mark_stale(). */
    long long int audit_interval;       /* hostctl_set_audit(). */

    /* hostctl_set_role(). */
    bool active;
    uint64_t generation;
};

struct hostctl *
hostctl_create(const char *name, const struct provision_config *cfg)
{
    struct hostctl *hc = xzalloc(sizeof *hc);

    hc->name = xstrdup(name);
    hc->cfg = cfg;
    hc->installer = installer_create(name);
    /* What the switch has: where every port lives (what a restarted
     * controller needs to know which side of a switchover it is on), and
     * what the first bundle then need not send again. */
    installer_set_readback(hc->installer);
    hc->packet_announce = packet_announce_create(name, hc->installer);
    pipeline_ports_init(&hc->ports);
    installer_set_role(hc->installer, INSTALLER_ROLE_SECONDARY, 0);
    return hc;
}

/* Gives the host's connections the controller's role. */
static void
apply_role(struct hostctl *hc)
{
    installer_set_role(hc->installer, (hc->active ? INSTALLER_ROLE_PRIMARY
                                       : INSTALLER_ROLE_SECONDARY),
                       hc->generation);
    if (hc->provision) {
        provision_set_read_only(hc->provision, !hc->active);
    }
    if (hc->announcer) {
        announcer_client_set_generation(hc->announcer,
                                        hc->active ? hc->generation : 0);
    }
}

void
hostctl_set_role(struct hostctl *hc, bool active, uint64_t generation)
{
    if (active != hc->active || generation != hc->generation) {
        hc->active = active;
        hc->generation = generation;
        apply_role(hc);
    }
}

void
hostctl_destroy(struct hostctl *hc)
{
    if (hc) {
        provision_destroy(hc->provision);
        packet_announce_destroy(hc->packet_announce);
        installer_destroy(hc->installer);
        announcer_client_destroy(hc->announcer);
        free(hc->peers);
        pipeline_ports_destroy(&hc->ports);
        free(hc->ovsdb_target);
        free(hc->openflow_target);
        free(hc->name);
        free(hc);
    }
}

char *
hostctl_set_targets(struct hostctl *hc, const char *ovsdb_target,
                    const char *openflow_target)
{
    char *bridge_target = NULL;

    if (openflow_target) {
        char *error = nb_openflow_bridge_target(openflow_target,
                                                &bridge_target);

        if (error) {
            return error;
        }
    }

    if (!nullable_string_is_equal(hc->ovsdb_target, ovsdb_target)) {
        provision_destroy(hc->provision);
        hc->provision = (ovsdb_target
                         ? provision_create(hc->name, ovsdb_target, hc->cfg)
                         : NULL);
        apply_role(hc);
        free(hc->ovsdb_target);
        hc->ovsdb_target = nullable_xstrdup(ovsdb_target);
        hc->have_ports = false;
        hc->ports_seqno = 0;
    }
    if (hc->provision) {
        provision_set_controller(hc->provision, bridge_target);
    }
    if (!nullable_string_is_equal(hc->openflow_target, openflow_target)) {
        installer_set_target(hc->installer, openflow_target);
        free(hc->openflow_target);
        hc->openflow_target = nullable_xstrdup(openflow_target);
    }
    free(bridge_target);
    return NULL;
}

static bool
pipeline_ports_equal(const struct pipeline_ports *a,
                     const struct pipeline_ports *b)
{
    return (a->vxlan_ofport == b->vxlan_ofport
            && a->geneve_ofport == b->geneve_ofport
            && a->provider_ofport == b->provider_ofport
            && simap_equal(&a->ifaces, &b->ifaces)
            && simap_equal(&a->incoming, &b->incoming));
}

/* Reads the host's ports from provisioning when its database changed.
 * Returns true if they differ from those the flows were last computed
 * with.  (The database changes often for nothing of ours: interface
 * statistics, for one.) */
static bool
hostctl_update_ports(struct hostctl *hc)
{
    unsigned int seqno = provision_seqno(hc->provision);
    struct pipeline_ports ports;
    bool changed = false;

    if (seqno == hc->ports_seqno) {
        return false;
    }
    pipeline_ports_init(&ports);
    if (provision_get_ports(hc->provision, &ports)) {
        hc->ports_seqno = seqno;
        if (!hc->have_ports || !pipeline_ports_equal(&ports, &hc->ports)) {
            simap_swap(&ports.ifaces, &hc->ports.ifaces);
            simap_swap(&ports.incoming, &hc->ports.incoming);
            hc->ports.vxlan_ofport = ports.vxlan_ofport;
            hc->ports.geneve_ofport = ports.geneve_ofport;
            hc->ports.provider_ofport = ports.provider_ofport;
            hc->have_ports = true;
            changed = true;
        }
    }
    pipeline_ports_destroy(&ports);
    return changed;
}

/* The bridge whose tunnel neighbours are pre-resolved, or NULL if none
 * is: the controller's provisioning has no uplink bridge. */
static const char *
neighbours_bridge(const struct hostctl *hc)
{
    return (!hc->cfg ? "br-phy" : hc->cfg->uplink_bridge);
}

/* Sends the tunnel peers to the agent, if there is one and they are
 * pre-resolved (sent only if they changed: announcer-client.h). */
static void
push_neighbours(struct hostctl *hc)
{
    if (hc->announcer && neighbours_bridge(hc)) {
        announcer_client_set_neighbours(hc->announcer, neighbours_bridge(hc),
                                        hc->peers, hc->n_peers);
    }
}

void
hostctl_set_neighbours(struct hostctl *hc, const struct kernel_neigh *peers,
                       size_t n)
{
    free(hc->peers);
    hc->peers = n ? xmemdup(peers, n * sizeof *peers) : NULL;
    hc->n_peers = n;
    push_neighbours(hc);
}

bool
hostctl_run(struct hostctl *hc)
{
    installer_run(hc->installer);
    packet_announce_run(hc->packet_announce);
    if (hc->announcer) {
        announcer_client_run(hc->announcer);
    }
    if (!hc->provision) {
        return false;
    }
    provision_run(hc->provision);
    return hostctl_update_ports(hc);
}

void
hostctl_wait(struct hostctl *hc)
{
    installer_wait(hc->installer);
    packet_announce_wait(hc->packet_announce);
    if (hc->announcer) {
        announcer_client_wait(hc->announcer);
    }
    if (hc->provision) {
        provision_wait(hc->provision);
    }
}

/* Tells provisioning the provider VLANs of 'model''s VLAN networks, for the
 * uplink bridge to flood (provision_set_flood_vlans()). */
static void
hostctl_set_flood_vlans(struct hostctl *hc, const struct model *model)
{
    unsigned long *vlans = NULL;

    for (size_t i = 0; i < model->n_networks; i++) {
        if (model->networks[i]->kind == MODEL_NET_VLAN) {
            if (!vlans) {
                vlans = bitmap_allocate(4096);
            }
            bitmap_set1(vlans, model->networks[i]->vlan);
        }
    }
    provision_set_flood_vlans(hc->provision, vlans);
    bitmap_free(vlans);
}

bool
hostctl_compute(struct hostctl *hc, const struct model *model)
{
    const struct model_host *mh = model_find_host(model, hc->name);
    struct of_flow_set flows;
    uint64_t start;

    hc->stale = false;
    if (hc->provision) {
        hostctl_set_flood_vlans(hc, model);
    }
    if (!mh || !hc->have_ports) {
        return false;
    }
    start = timing_mono_ns();
    of_flow_set_init(&flows);
    hc->n_conflicts = pipeline_compute(model, mh, &hc->ports, &flows);
    hc->n_flows = of_flow_set_count(&flows);
    hc->compute_usec = (timing_mono_ns() - start) / 1000;
    hc->computed_seqno = installer_set_desired(hc->installer, &flows);
    of_flow_set_destroy(&flows);
    if (hc->n_conflicts) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "%s: %"PRIuSIZE" flows conflicted and were left "
                     "out: the northbound database is inconsistent",
                     hc->name, hc->n_conflicts);
    }
    return true;
}

void
hostctl_mark_stale(struct hostctl *hc)
{
    hc->stale = true;
}

bool
hostctl_is_stale(const struct hostctl *hc)
{
    return hc->stale;
}

bool
hostctl_is_synced(const struct hostctl *hc)
{
    return (!hc->stale && hc->computed_seqno
            && installer_confirmed_seqno(hc->installer) >= hc->computed_seqno
            && hostctl_neighbours_synced(hc));
}

void
hostctl_set_audit(struct hostctl *hc, long long int interval_ms)
{
    /* Flows of cookie class 0 are not ours (pipeline.h). */
    hc->audit_interval = interval_ms;
    installer_set_audit(hc->installer, interval_ms, 0,
                        PIPELINE_COOKIE_CLASS_MASK);
}

void
hostctl_hold_full(struct hostctl *hc, bool hold)
{
    installer_hold_full(hc->installer, hold);
}

bool
hostctl_wants_full(const struct hostctl *hc)
{
    return installer_wants_full(hc->installer);
}

bool
hostctl_is_full_busy(const struct hostctl *hc)
{
    return installer_is_full_busy(hc->installer);
}

void
hostctl_audit_hold(struct hostctl *hc, bool hold)
{
    installer_audit_hold(hc->installer, hold);
}

bool
hostctl_audit_is_reading(const struct hostctl *hc)
{
    return installer_audit_is_reading(hc->installer);
}

long long int
hostctl_audit_next(const struct hostctl *hc)
{
    return installer_audit_next(hc->installer);
}

uint64_t
hostctl_audit_request(struct hostctl *hc)
{
    return installer_audit_request(hc->installer);
}

bool
hostctl_audit_answer(const struct hostctl *hc, uint64_t round, struct ds *s)
{
    const struct installer_audit *a = installer_audit_last(hc->installer);

    if (!installer_audit_done(hc->installer, round) || !a) {
        return false;
    }
    ds_put_format(s, "%s: ", hc->name);
    installer_audit_format(a, s);
    ds_put_char(s, '\n');
    return true;
}

bool
hostctl_is_checked(const struct hostctl *hc)
{
    const struct installer_audit *a = installer_audit_last(hc->installer);

    return (hostctl_is_synced(hc) && a
            && !a->n_missing && !a->n_changed && !a->n_extra);
}

/* Appends what the host's flows are known to be: being installed,
 * installed (confirmed by the switch's barrier), checked by an audit or
 * repaired by one. */
static void
hostctl_format_sync(const struct hostctl *hc, struct ds *s)
{
    const struct installer_audit *a = installer_audit_last(hc->installer);

    if (hc->stale) {
        ds_put_cstr(s, "to be computed");
    } else if (!hostctl_is_synced(hc)) {
        ds_put_cstr(s, "installing");
    } else if (!a) {
        ds_put_format(s, "installed, not yet checked%s",
                      hc->audit_interval ? "" : " (audit on request only)");
    } else if (a->n_missing || a->n_changed || a->n_extra) {
        char *when = xastrftime_msec("%H:%M:%S", a->done_msec, false);

        ds_put_format(s, "%"PRIuSIZE" flows repaired at %s",
                      a->n_missing + a->n_changed + a->n_extra, when);
        free(when);
    } else {
        ds_put_format(s, "in sync, checked %lld s ago",
                      MAX(0, time_wall_msec() - a->done_msec) / 1000);
    }
}

bool
hostctl_format_flows(const struct hostctl *hc, const struct model *model,
                     struct ds *s)
{
    const struct model_host *mh = model_find_host(model, hc->name);
    struct of_flow_set flows;

    if (!mh || !hc->have_ports) {
        return false;
    }
    of_flow_set_init(&flows);
    pipeline_compute(model, mh, &hc->ports, &flows);
    of_flow_set_format(&flows, s);
    of_flow_set_destroy(&flows);
    return true;
}

void
hostctl_format_status(const struct hostctl *hc, struct ds *s)
{
    ds_put_format(s, "host %s: ", hc->name);
    if (!hc->provision) {
        ds_put_cstr(s, "no OVSDB target\n");
    } else if (!hc->have_ports) {
        ds_put_cstr(s, "waiting for its ports\n");
    } else if (!hc->computed_seqno) {
        ds_put_cstr(s, "not computed\n");
    } else {
        /* The agent's DPDK port has an iface-id too; it is no VM's. */
        bool agent_port = simap_contains(&hc->ports.ifaces,
                                         PIPELINE_ANNOUNCER_IFACE_ID);

        hostctl_format_sync(hc, s);
        ds_put_format(s, ", %"PRIuSIZE" flows computed in %"PRIu64" us, "
                      "%"PRIuSIZE" VM interfaces%s\n",
                      hc->n_flows, hc->compute_usec,
                      simap_count(&hc->ports.ifaces) - agent_port,
                      agent_port ? " and the agent's port" : "");
    }
    if (hc->n_conflicts) {
        ds_put_format(s, "  %"PRIuSIZE" flows conflicted (inconsistent "
                      "database: see the inconsistencies above)\n",
                      hc->n_conflicts);
    }
    if (hc->provision) {
        ds_put_cstr(s, "  provision ");
        provision_format_status(hc->provision, s);
        ds_put_char(s, '\n');
    }
    ds_put_cstr(s, "  installer ");
    installer_format_status(hc->installer, s);
    ds_put_format(s, "\n  neighbours %s: %"PRIuSIZE" peers, ", hc->name,
                  hc->n_peers);
    if (!neighbours_bridge(hc)) {
        ds_put_cstr(s, "not pre-resolved (no uplink bridge)");
    } else if (!hc->announcer) {
        ds_put_cstr(s, "not pre-resolved (no agent)");
    } else {
        ds_put_format(s, "%s by the agent on %s",
                      !announcer_client_neighbours_synced(hc->announcer)
                      ? "not confirmed yet"
                      : announcer_client_is_connected(hc->announcer) ? "set"
                      : "set (before the agent went away)",
                      neighbours_bridge(hc));
    }
    ds_put_char(s, '\n');
    if (hc->announcer) {
        ds_put_cstr(s, "  agent ");
        announcer_client_format_status(hc->announcer, s);
        ds_put_char(s, '\n');
    }
    packet_announce_format_status(hc->packet_announce, s);
}

uint64_t
hostctl_update_port(struct hostctl *hc, const struct model *model,
                    const struct model_port *port)
{
    const struct model_host *mh = model_find_host(model, hc->name);
    uint64_t cookies[] = {
        PIPELINE_COOKIE(PIPELINE_C_PORT, port->key),
        PIPELINE_COOKIE(PIPELINE_C_LOCATION, port->key),
    };
    struct of_flow_set flows;
    uint64_t seqno;

    if (!mh || !hc->have_ports || !hc->computed_seqno) {
        return 0;
    }
    of_flow_set_init(&flows);
    pipeline_compute_port(model, mh, &hc->ports, port, &flows);
    seqno = installer_update(hc->installer, cookies, ARRAY_SIZE(cookies),
                             &flows);
    of_flow_set_destroy(&flows);
    hc->computed_seqno = seqno;
    return seqno;
}

void
hostctl_flush(struct hostctl *hc)
{
    installer_flush(hc->installer);
}

bool
hostctl_is_confirmed(const struct hostctl *hc, uint64_t seqno)
{
    return seqno && installer_confirmed_seqno(hc->installer) >= seqno;
}

bool
hostctl_is_connected(const struct hostctl *hc)
{
    return installer_is_connected(hc->installer);
}

bool
hostctl_neighbours_synced(const struct hostctl *hc)
{
    return (!hc->announcer || !neighbours_bridge(hc)
            || announcer_client_neighbours_synced(hc->announcer));
}

unsigned int
hostctl_iface_ofport(const struct hostctl *hc, const char *port)
{
    return hc->have_ports ? simap_get(&hc->ports.ifaces, port) : 0;
}

/* The ofport of 'port''s incoming interface here (a local migration's new
 * VMM: see pipeline.h), 0 if it has none. */
unsigned int
hostctl_incoming_ofport(const struct hostctl *hc, const char *port)
{
    return hc->have_ports ? simap_get(&hc->ports.incoming, port) : 0;
}

/* Makes 'port''s incoming interface its only interface here, for good:
 * see provision_promote_incoming().  Done when hostctl_incoming_ofport()
 * returns 0. */
void
hostctl_promote_incoming(struct hostctl *hc, const char *port)
{
    if (hc->provision) {
        provision_promote_incoming(hc->provision, port);
    }
}

void
hostctl_hold(struct hostctl *hc, bool hold)
{
    installer_hold(hc->installer, hold);
}

const struct of_flow_set *
hostctl_get_readback(const struct hostctl *hc)
{
    return installer_get_readback(hc->installer);
}

void
hostctl_set_agent(struct hostctl *hc, const char *target)
{
    char *full = target ? cli_stream_target(target) : NULL;

    if (!nullable_string_is_equal(full, (hc->announcer
                                         ? announcer_client_target(
                                             hc->announcer)
                                         : NULL))) {
        announcer_client_destroy(hc->announcer);
        hc->announcer = full ? announcer_client_create(hc->name, full) : NULL;
        apply_role(hc);
        push_neighbours(hc);
    }
    free(full);
}

struct announcer_client *
hostctl_announcer(const struct hostctl *hc)
{
    return hc->announcer;
}

struct packet_announce *
hostctl_packet_announce(const struct hostctl *hc)
{
    return hc->packet_announce;
}
