/* Host provisioning over OVSDB: what a host's Open vSwitch must have for the
 * pipeline, and the OpenFlow port numbers the pipeline's flows refer to.
 *
 * One per host, with its own IDL connection (Open vSwitch's own schema) to
 * the host's ovsdb-server.  It makes sure the integration bridge exists
 * (fail_mode=secure, OpenFlow 1.3 to 1.5), with one flow-based VXLAN port
 * and one flow-based Geneve port (remote_ip=flow, key=flow) and, if the host
 * has an uplink bridge, a patch port pair to it; and it reads, as VM
 * interfaces come and go, the map from external_ids:iface-id to ofport. */

#ifndef PROVISION_H
#define PROVISION_H 1

#include <stdbool.h>

struct ds;
struct pipeline_ports;

struct provision_config {
    const char *integration_bridge;     /* Default "br-int". */
    const char *uplink_bridge;          /* Default "br-phy"; NULL: none. */
    const char *datapath_type;          /* For a new integration bridge. */
};

/* Port names on the integration bridge. */
#define PROVISION_VXLAN_PORT "vxlan0"
#define PROVISION_GENEVE_PORT "geneve0"
#define PROVISION_PATCH_PORT "patch-phy"        /* On the integration bridge. */
#define PROVISION_PATCH_PEER "patch-int"        /* On the uplink bridge. */

struct provision *provision_create(const char *name, const char *target,
                                   const struct provision_config *);
void provision_destroy(struct provision *);

/* Makes 'target' the integration bridge's only controller: a passive
 * OpenFlow connection method such as "ptcp:6653:192.0.2.1" or
 * "punix:/run/cutover/br-int.sock", so that the switch listens where the
 * controller will connect, or an active one such as "tcp:192.0.2.1:6653" or
 * "unix:/run/cutover/h1.openflow", so that the switch connects to the
 * controller listening there (out of band: the controller is not reached
 * through the integration bridge; reconnecting with a backoff of at most
 * PROVISION_CONTROLLER_MAX_BACKOFF_MS).  NULL leaves the bridge's
 * controllers alone (the bridge's own management socket,
 * unix:RUNDIR/BRIDGE.mgmt, needs none). */
#define PROVISION_CONTROLLER_MAX_BACKOFF_MS 4000
/* While read-only, provisioning follows the host's database and changes
 * nothing in it: a standby controller's (docs/ha.md). */
void provision_set_read_only(struct provision *, bool read_only);
void provision_set_controller(struct provision *, const char *target);

/* Makes sure the uplink bridge floods rather than learns on 'vlans' (a
 * 4096-bit VLAN bitmap as in OVS's vlan-bitmap.h, NULL for none; copied)
 * (its flood_vlans column): the provider VLANs of the pipeline's VLAN networks
 * (and so of elastic IPs).  On such a VLAN the uplink bridge has one cable
 * and the patch port, so learning tells it nothing that flooding would not,
 * and what it learned goes stale when a port migrates: once a MAC was
 * learned on the cable (the port left this host), Open vSwitch's datapath
 * keeps dropping the port's frames that arrive on the cable for a few
 * milliseconds after the MAC comes back (until its revalidators ran), and
 * those frames never reach the integration bridge or a hold
 * (docs/migration.md).  VLANs are added, never removed: the bridge is the
 * operator's. */
void provision_set_flood_vlans(struct provision *,
                               const unsigned long *vlans);

void provision_run(struct provision *);
void provision_wait(struct provision *);

/* Interfaces' external_ids keys of a local migration (docs/migration.md):
 * the new VMM's interface is marked incoming (by whoever creates it); the
 * old one is retired when the migration completes, and then ignored. */
#define PROVISION_INCOMING_KEY "cutover-incoming"
#define PROVISION_RETIRED_KEY "cutover-retired"

/* Makes the interface with 'iface_id' marked incoming the only one of that
 * iface-id: the mark is removed and the other interfaces with that iface-id
 * are retired, in one transaction.  Idempotent; nothing to do once no
 * interface with 'iface_id' is marked incoming. */
void provision_promote_incoming(struct provision *, const char *iface_id);

/* Once everything is in place and every port of ours has its ofport, fills
 * 'ports' (initialized) and returns true. */
bool provision_get_ports(const struct provision *, struct pipeline_ports *);

/* Changes whenever what provision_get_ports() would return may have. */
unsigned int provision_seqno(const struct provision *);

void provision_format_status(const struct provision *, struct ds *);

#endif /* provision.h */
