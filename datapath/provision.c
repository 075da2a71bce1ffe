/* Host provisioning over OVSDB.  See provision.h. */

#include <config.h>
#include "provision.h"

#include <stdlib.h>
#include <string.h>

#include "lib/vswitch-idl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "openvswitch/poll-loop.h"
#include "ovsdb-idl.h"
#include "pipeline.h"
#include "smap.h"
#include "sset.h"
#include "stream.h"
#include "util.h"
#include "vlan-bitmap.h"

VLOG_DEFINE_THIS_MODULE(provision);

struct provision {
    char *name;
    struct ovsdb_idl *idl;
    struct ovsdb_idl_txn *txn;  /* Our changes, while being made. */
    struct ovsdb_idl_txn *committing;   /* Our changes, being committed. */
    bool changing;              /* The last reconciliation changed things. */
    char *integration_bridge;
    char *uplink_bridge;
    char *datapath_type;
    char *controller;           /* Bridge controller target, or NULL. */
    struct sset promote;        /* iface-ids whose incoming interface
                                 * becomes their only one. */
    unsigned long *flood_vlans; /* A VLAN bitmap, NULL for none. */
    bool read_only;             /* provision_set_read_only(). */
    /* Reconciliation looks again only when the database or what we want
     * changed: every turn of the loop would walk every interface of every
     * host for nothing (docs/scale.md). */
    unsigned int looked_seqno;  /* The IDL's seqno when it last looked. */
    bool look_again;            /* What we want changed since. */
    char *last_error;
};

struct provision *
provision_create(const char *name, const char *target,
                 const struct provision_config *cfg)
{
    struct provision *p = xzalloc(sizeof *p);

    p->name = xstrdup(name);
    p->look_again = true;
    p->idl = ovsdb_idl_create(target, &ovsrec_idl_class, true, true);
    /* Columns that Open vSwitch rewrites all the time and provisioning
     * never reads: without them, a host's counters and link states do not
     * reach the controller every few seconds (docs/scale.md). */
    const struct ovsdb_idl_column *busy[] = {
        &ovsrec_interface_col_statistics, &ovsrec_interface_col_status,
        &ovsrec_interface_col_link_state, &ovsrec_interface_col_link_resets,
        &ovsrec_interface_col_link_speed, &ovsrec_interface_col_duplex,
        &ovsrec_interface_col_admin_state, &ovsrec_interface_col_mtu,
        &ovsrec_interface_col_ifindex, &ovsrec_interface_col_bfd_status,
        &ovsrec_interface_col_cfm_health, &ovsrec_interface_col_cfm_fault,
        &ovsrec_interface_col_cfm_remote_mpids,
        &ovsrec_interface_col_lacp_current, &ovsrec_port_col_statistics,
        &ovsrec_port_col_status, &ovsrec_port_col_rstp_statistics,
        &ovsrec_port_col_rstp_status, &ovsrec_bridge_col_status,
        &ovsrec_bridge_col_rstp_status, &ovsrec_controller_col_status,
        &ovsrec_controller_col_is_connected, &ovsrec_controller_col_role,
        &ovsrec_open_vswitch_col_statistics,
    };
    for (size_t i = 0; i < ARRAY_SIZE(busy); i++) {
        ovsdb_idl_omit(p->idl, busy[i]);
    }
    p->integration_bridge = xstrdup(cfg && cfg->integration_bridge
                                    ? cfg->integration_bridge : "br-int");
    p->uplink_bridge = nullable_xstrdup(cfg ? cfg->uplink_bridge : "br-phy");
    p->datapath_type = xstrdup(cfg && cfg->datapath_type
                               ? cfg->datapath_type : "");
    sset_init(&p->promote);
    return p;
}

void
provision_destroy(struct provision *p)
{
    if (p) {
        if (p->committing) {
            ovsdb_idl_txn_destroy(p->committing);
        }
        ovsdb_idl_destroy(p->idl);
        free(p->name);
        free(p->integration_bridge);
        free(p->uplink_bridge);
        free(p->datapath_type);
        free(p->controller);
        sset_destroy(&p->promote);
        bitmap_free(p->flood_vlans);
        free(p->last_error);
        free(p);
    }
}

static const struct ovsrec_bridge *
find_bridge(const struct provision *p, const char *name)
{
    const struct ovsrec_bridge *br;

    OVSREC_BRIDGE_FOR_EACH (br, p->idl) {
        if (!strcmp(br->name, name)) {
            return br;
        }
    }
    return NULL;
}

static const struct ovsrec_interface *
find_iface(const struct ovsrec_bridge *br, const char *name)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];

        for (size_t k = 0; k < port->n_interfaces; k++) {
            if (!strcmp(port->interfaces[k]->name, name)) {
                return port->interfaces[k];
            }
        }
    }
    return NULL;
}

/* Makes sure 'br' has a port 'name' with one interface of 'type' and
 * 'options'.  Returns true if it had to change something. */
static bool
ensure_port(struct provision *p, const struct ovsrec_bridge *br,
            const char *name, const char *type, const struct smap *options)
{
    const struct ovsrec_interface *iface = find_iface(br, name);
    struct ovsrec_interface *new_iface;
    struct ovsrec_port *port;

    if (iface) {
        if (strcmp(iface->type, type) || !smap_equal(&iface->options,
                                                     options)) {
            ovsrec_interface_set_type(iface, type);
            ovsrec_interface_set_options(iface, options);
            return true;
        }
        return false;
    }
    new_iface = ovsrec_interface_insert(p->txn);
    ovsrec_interface_set_name(new_iface, name);
    ovsrec_interface_set_type(new_iface, type);
    ovsrec_interface_set_options(new_iface, options);
    port = ovsrec_port_insert(p->txn);
    ovsrec_port_set_name(port, name);
    ovsrec_port_set_interfaces(port, &new_iface, 1);
    ovsrec_bridge_update_ports_addvalue(br, port);
    return true;
}

void
provision_set_read_only(struct provision *p, bool read_only)
{
    if (read_only != p->read_only) {
        p->read_only = read_only;
        p->look_again = true;
        poll_immediate_wake();
    }
}

void
provision_set_controller(struct provision *p, const char *target)
{
    if (!nullable_string_is_equal(p->controller, target)) {
        free(p->controller);
        p->controller = nullable_xstrdup(target);
        p->look_again = true;
        poll_immediate_wake();
    }
}

/* Whether controller 'ctl' is 'target' with the settings we give it: none
 * for a passive target; for an active one, out of band and our backoff. */
static bool
controller_is(const struct ovsrec_controller *ctl, const char *target,
              bool active)
{
    return (!strcmp(ctl->target, target)
            && (!active
                || (ctl->connection_mode
                    && !strcmp(ctl->connection_mode, "out-of-band")
                    && ctl->n_max_backoff == 1
                    && (ctl->max_backoff[0]
                        == PROVISION_CONTROLLER_MAX_BACKOFF_MS))));
}

/* Makes sure 'br''s only controller is 'target'.  Returns true if it had to
 * change something. */
static bool
ensure_controller(struct provision *p, const struct ovsrec_bridge *br,
                  const char *target)
{
    bool active = !stream_verify_name(target);
    struct ovsrec_controller *ctl;

    if (br->n_controller == 1
        && controller_is(br->controller[0], target, active)) {
        return false;
    }
    ctl = ovsrec_controller_insert(p->txn);
    ovsrec_controller_set_target(ctl, target);
    if (active) {
        int64_t backoff = PROVISION_CONTROLLER_MAX_BACKOFF_MS;

        ovsrec_controller_set_connection_mode(ctl, "out-of-band");
        ovsrec_controller_set_max_backoff(ctl, &backoff, 1);
    }
    ovsrec_bridge_set_controller(br, &ctl, 1);
    VLOG_INFO("%s: %s's controller target becomes %s", p->name, br->name,
              target);
    return true;
}

void
provision_promote_incoming(struct provision *p, const char *iface_id)
{
    if (sset_add(&p->promote, iface_id)) {
        p->look_again = true;
        poll_immediate_wake();
    }
}

void
provision_set_flood_vlans(struct provision *p, const unsigned long *vlans)
{
    if (!vlan_bitmap_equal(p->flood_vlans, vlans)) {
        bitmap_free(p->flood_vlans);
        p->flood_vlans = vlan_bitmap_clone(vlans);
        p->look_again = true;
        poll_immediate_wake();
    }
}

/* Adds to 'br''s flood_vlans those of p->flood_vlans it lacks.  Returns true
 * if it had to. */
static bool
ensure_flood_vlans(struct provision *p, const struct ovsrec_bridge *br)
{
    unsigned long *have, *want;
    bool changed;

    if (!p->flood_vlans) {
        return false;
    }
    have = vlan_bitmap_from_array(br->flood_vlans, br->n_flood_vlans);
    want = vlan_bitmap_clone(p->flood_vlans);
    if (have) {
        bitmap_or(want, have, 4096);
    }
    changed = !vlan_bitmap_equal(want, have);
    if (changed) {
        int64_t *vlans = xmalloc(bitmap_count1(want, 4096) * sizeof *vlans);
        size_t n = 0, vlan;

        BITMAP_FOR_EACH_1 (vlan, 4096, want) {
            vlans[n++] = vlan;
        }
        ovsrec_bridge_set_flood_vlans(br, vlans, n);
        VLOG_INFO("%s: %s floods its provider VLANs rather than learning "
                  "MACs on them (%"PRIuSIZE" VLANs)", p->name, br->name, n);
        free(vlans);
    }
    bitmap_free(have);
    bitmap_free(want);
    return changed;
}

static bool
iface_has_flag(const struct ovsrec_interface *iface, const char *key)
{
    return smap_get_bool(&iface->external_ids, key, false);
}

/* The interfaces of 'br' with external_ids:iface-id 'id', into 'ifaces'
 * (room for every interface of 'br').  Returns how many. */
static size_t
ifaces_with_id(const struct ovsrec_bridge *br, const char *id,
               const struct ovsrec_interface **ifaces)
{
    size_t n = 0;

    for (size_t i = 0; i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];

        for (size_t k = 0; k < port->n_interfaces; k++) {
            const char *iid = smap_get(&port->interfaces[k]->external_ids,
                                       "iface-id");
            if (iid && !strcmp(iid, id)) {
                ifaces[n++] = port->interfaces[k];
            }
        }
    }
    return n;
}

/* For each iface-id in p->promote, in p->txn: its incoming interface
 * loses the mark, the others are retired.  An iface-id without an incoming
 * interface is done.  Returns true if anything changed. */
static bool
promote_incoming(struct provision *p, const struct ovsrec_bridge *br)
{
    const char *id, *next;
    bool changed = false;
    size_t max = 0;

    for (size_t i = 0; i < br->n_ports; i++) {
        max += br->ports[i]->n_interfaces;
    }
    const struct ovsrec_interface **ifaces = xmalloc((max + 1)
                                                     * sizeof *ifaces);
    SSET_FOR_EACH_SAFE (id, next, &p->promote) {
        size_t n = ifaces_with_id(br, id, ifaces);
        bool found = false;

        for (size_t i = 0; i < n; i++) {
            found |= iface_has_flag(ifaces[i], PROVISION_INCOMING_KEY);
        }
        if (!found) {
            sset_delete(&p->promote, SSET_NODE_FROM_NAME(id));
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (iface_has_flag(ifaces[i], PROVISION_INCOMING_KEY)) {
                ovsrec_interface_update_external_ids_delkey(
                    ifaces[i], PROVISION_INCOMING_KEY);
            } else if (!iface_has_flag(ifaces[i], PROVISION_RETIRED_KEY)) {
                ovsrec_interface_update_external_ids_setkey(
                    ifaces[i], PROVISION_RETIRED_KEY, "true");
                VLOG_INFO("%s: interface %s of %s retired", p->name,
                          ifaces[i]->name, id);
            }
        }
        changed = true;
    }
    free(ifaces);
    return changed;
}

/* Compares what the host has with what it must have, and makes a
 * transaction of the difference (p->txn), or none if there is none. */
static void
provision_reconcile(struct provision *p)
{
    const struct ovsrec_open_vswitch *ovs
        = ovsrec_open_vswitch_first(p->idl);
    const struct ovsrec_bridge *br, *uplink;
    static const char *protocols[] = {
        "OpenFlow13", "OpenFlow14", "OpenFlow15",
    };
    struct smap tunnel = SMAP_INITIALIZER(&tunnel);
    struct smap patch = SMAP_INITIALIZER(&patch);
    bool changed = false;

    p->changing = false;
    if (!ovs) {
        return;                 /* Not initialized yet ('ovs-vsctl init'). */
    }

    br = find_bridge(p, p->integration_bridge);
    if (!br) {
        struct ovsrec_bridge *new_br = ovsrec_bridge_insert(p->txn);
        struct ovsrec_interface *iface = ovsrec_interface_insert(p->txn);
        struct ovsrec_port *port = ovsrec_port_insert(p->txn);

        ovsrec_interface_set_name(iface, p->integration_bridge);
        ovsrec_interface_set_type(iface, "internal");
        ovsrec_port_set_name(port, p->integration_bridge);
        ovsrec_port_set_interfaces(port, &iface, 1);
        ovsrec_bridge_set_name(new_br, p->integration_bridge);
        ovsrec_bridge_set_ports(new_br, &port, 1);
        ovsrec_bridge_set_datapath_type(new_br, p->datapath_type);
        ovsrec_bridge_set_fail_mode(new_br, "secure");
        ovsrec_bridge_set_protocols(new_br, protocols,
                                    ARRAY_SIZE(protocols));
        ovsrec_open_vswitch_update_bridges_addvalue(ovs, new_br);
        VLOG_INFO("%s: creating bridge %s", p->name, p->integration_bridge);
        changed = true;
        goto done;              /* The ports follow once it exists. */
    }
    if (!br->fail_mode || strcmp(br->fail_mode, "secure")) {
        ovsrec_bridge_set_fail_mode(br, "secure");
        changed = true;
    }
    if (br->n_protocols != ARRAY_SIZE(protocols)) {
        ovsrec_bridge_set_protocols(br, protocols, ARRAY_SIZE(protocols));
        changed = true;
    }

    if (p->controller) {
        changed |= ensure_controller(p, br, p->controller);
    }

    smap_add(&tunnel, "remote_ip", "flow");
    smap_add(&tunnel, "key", "flow");
    changed |= ensure_port(p, br, PROVISION_VXLAN_PORT, "vxlan", &tunnel);
    changed |= ensure_port(p, br, PROVISION_GENEVE_PORT, "geneve", &tunnel);

    uplink = p->uplink_bridge ? find_bridge(p, p->uplink_bridge) : NULL;
    if (uplink) {
        smap_add(&patch, "peer", PROVISION_PATCH_PEER);
        changed |= ensure_port(p, br, PROVISION_PATCH_PORT, "patch", &patch);
        smap_clear(&patch);
        smap_add(&patch, "peer", PROVISION_PATCH_PORT);
        changed |= ensure_port(p, uplink, PROVISION_PATCH_PEER, "patch",
                               &patch);
        changed |= ensure_flood_vlans(p, uplink);
    }
    if (changed) {
        VLOG_INFO("%s: provisioning %s's tunnel and patch ports", p->name,
                  p->integration_bridge);
    }
    changed |= promote_incoming(p, br);

done:
    smap_destroy(&tunnel);
    smap_destroy(&patch);
    if (changed) {
        ovsdb_idl_txn_add_comment(p->txn, "cutover: provisioning %s",
                                  p->name);
    }
    p->changing = changed;
}

void
provision_run(struct provision *p)
{
    ovsdb_idl_run(p->idl);
    if (p->committing) {
        enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(p->committing);

        if (status == TXN_INCOMPLETE) {
            return;
        }
        if (status != TXN_SUCCESS && status != TXN_UNCHANGED
            && status != TXN_TRY_AGAIN) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

            free(p->last_error);
            p->last_error = xasprintf("provisioning transaction %s: %s",
                                      ovsdb_idl_txn_status_to_string(status),
                                      ovsdb_idl_txn_get_error(p->committing));
            VLOG_WARN_RL(&rl, "%s: %s", p->name, p->last_error);
        }
        ovsdb_idl_txn_destroy(p->committing);
        p->committing = NULL;
        p->look_again = true;
        poll_immediate_wake();
        return;                 /* Look again with what the IDL has now. */
    }
    if (!ovsdb_idl_has_ever_connected(p->idl) || p->read_only
        || (!p->look_again
            && ovsdb_idl_get_seqno(p->idl) == p->looked_seqno)) {
        return;
    }
    p->looked_seqno = ovsdb_idl_get_seqno(p->idl);
    p->look_again = false;
    p->txn = ovsdb_idl_txn_create(p->idl);
    provision_reconcile(p);
    if (p->changing) {
        ovsdb_idl_txn_commit(p->txn);
        p->committing = p->txn;
    } else {
        ovsdb_idl_txn_destroy(p->txn);
    }
    p->txn = NULL;
}

void
provision_wait(struct provision *p)
{
    ovsdb_idl_wait(p->idl);
    if (p->committing) {
        ovsdb_idl_txn_wait(p->committing);
    }
}

static int
iface_ofport(const struct ovsrec_interface *iface)
{
    return iface && iface->n_ofport && iface->ofport[0] > 0
           && iface->ofport[0] < 0xff00 ? iface->ofport[0] : 0;
}

bool
provision_get_ports(const struct provision *p, struct pipeline_ports *ports)
{
    const struct ovsrec_bridge *br = find_bridge(p, p->integration_bridge);

    if (!br || p->changing || p->committing) {
        return false;
    }
    ports->vxlan_ofport = iface_ofport(find_iface(br, PROVISION_VXLAN_PORT));
    ports->geneve_ofport = iface_ofport(find_iface(br,
                                                   PROVISION_GENEVE_PORT));
    ports->provider_ofport = iface_ofport(find_iface(br,
                                                     PROVISION_PATCH_PORT));
    if (!ports->vxlan_ofport || !ports->geneve_ofport
        || (p->uplink_bridge && find_bridge(p, p->uplink_bridge)
            && !ports->provider_ofport)) {
        return false;           /* Ours are not all there yet. */
    }
    simap_clear(&ports->ifaces);
    simap_clear(&ports->incoming);
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];

        for (size_t k = 0; k < port->n_interfaces; k++) {
            const struct ovsrec_interface *iface = port->interfaces[k];
            const char *id = smap_get(&iface->external_ids, "iface-id");
            int ofport = iface_ofport(iface);

            if (!id || !ofport || iface_has_flag(iface,
                                                 PROVISION_RETIRED_KEY)) {
                continue;
            }
            simap_put(iface_has_flag(iface, PROVISION_INCOMING_KEY)
                      ? &ports->incoming : &ports->ifaces, id, ofport);
        }
    }

    /* An incoming interface alone (the old one is gone) is the port's
     * interface. */
    struct simap_node *node, *next;
    SIMAP_FOR_EACH_SAFE (node, next, &ports->incoming) {
        if (!simap_contains(&ports->ifaces, node->name)) {
            simap_put(&ports->ifaces, node->name, node->data);
            simap_delete(&ports->incoming, node);
        }
    }
    return true;
}

unsigned int
provision_seqno(const struct provision *p)
{
    return ovsdb_idl_get_seqno(p->idl);
}

void
provision_format_status(const struct provision *p, struct ds *s)
{
    ds_put_format(s, "%s: OVSDB %s", p->name,
                  ovsdb_idl_is_connected(p->idl) ? "connected"
                  : "not connected");
    if (p->last_error) {
        ds_put_format(s, ", last error: %s", p->last_error);
    }
}
