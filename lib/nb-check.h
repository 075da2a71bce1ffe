/* Checks of the values that go into the northbound database.
 *
 * Pure functions, no database: each takes values as an operator typed them
 * and returns NULL if they are good, or a message (to free) saying what is
 * wrong and what was expected.  cutoverctl uses them before it writes; the
 * checks that compare a row with the others (duplicates, overlaps) use the
 * parsed forms below. */

#ifndef NB_CHECK_H
#define NB_CHECK_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "openvswitch/types.h"
#include "openvswitch/uuid.h"

/* An IPv4 prefix. */
struct nb_cidr4 {
    ovs_be32 addr;              /* Network address (host bits zero). */
    unsigned int plen;
};

/* An IPv6 prefix. */
struct nb_cidr6 {
    struct in6_addr addr;
    unsigned int plen;
};

char *nb_check_name(const char *what, const char *name);

/* The iface-id of the host's announcer port (cutover-announcer(8)): the
 * pipeline lets out what it sends as if the VMs had sent it, so no port of
 * the model may be called so. */
#define NB_ANNOUNCER_IFACE_ID "cutover-announcer"

/* What the hosts' agents name an elastic IP's registration by: this, then
 * its address ("eip:203.0.113.10"). */
#define NB_EIP_ANNOUNCE_PREFIX "eip:"

/* A port's name: nb_check_name(), not NB_ANNOUNCER_IFACE_ID and not
 * beginning with NB_EIP_ANNOUNCE_PREFIX. */
char *nb_check_port_name(const char *name);
char *nb_check_mac(const char *what, const char *mac);
char *nb_check_ipv4(const char *what, const char *ip, ovs_be32 *addr);
char *nb_check_ipv6(const char *what, const char *ip, struct in6_addr *addr);
char *nb_check_datapath_id(const char *dpid);
char *nb_check_target(const char *what, const char *target);

/* A Host.agent: where the controller reaches the host's agent
 * (cutover-announcer), an active stream (ssl:IP:PORT, tcp:IP:PORT,
 * unix:FILE) or the absolute name of a unix socket (as unix:FILE). */
char *nb_check_agent(const char *target);

/* Where a host's integration bridge meets the controller, for
 * Host.openflow_target 'target'.  Either the controller connects to the
 * bridge (an active target), which then must listen: on "ptcp:PORT:IP" for
 * "tcp:IP:PORT" (likewise ssl), on "punix:FILE" for "unix:FILE", or nowhere
 * new if FILE is the bridge's own management socket (FILE ending in
 * ".mgmt"), where every bridge listens anyway.  Or the controller listens
 * (a passive target) and the bridge's controller is the matching active
 * target: "tcp:IP:PORT" for "ptcp:PORT:IP" (likewise pssl), "unix:FILE" for
 * "punix:FILE"; a passive TCP or SSL target must then name a specific IP
 * address, since the switch must be told where to connect.
 *
 * Stores the bridge's controller target, or NULL if none is needed, in
 * '*bridgep' (to free) and returns NULL, or returns an error message (to
 * free) if 'target' is not one the controller can use. */
char *nb_openflow_bridge_target(const char *target, char **bridgep);

/* Whether 'target' is passive (ptcp:, pssl:, punix:): the controller
 * listens there and the switch connects. */
bool nb_openflow_is_passive(const char *target);

char *nb_check_cidr4(const char *cidr, struct nb_cidr4 *);
char *nb_check_cidr6(const char *cidr, struct nb_cidr6 *);

/* Network kind "vxlan" or "geneve" needs 'vni' (1 to MODEL_MAX_VNI: the
 * keys above are the pipeline's, model.h) and no
 * 'vlan'; "vlan" needs 'vlan' (1 to 4094) and no 'vni'.  Negative means
 * not given. */
char *nb_check_network(const char *kind, int64_t vni, int64_t vlan);

/* A subnet: its CIDR, the gateway inside it (not its network or broadcast
 * address) and the gateway's MAC; optionally an IPv6 prefix and gateway. */
char *nb_check_subnet(const char *cidr, const char *gateway_ip,
                      const char *gateway_mac, const char *cidr6,
                      const char *gateway_ip6);

/* A port's address 'ip' (IPv4 or IPv6, told apart by a ':') fits its
 * subnet: inside the prefix, not the network, broadcast or gateway
 * address. */
char *nb_check_port_ip(const char *ip, const char *subnet_name,
                       const char *cidr, const char *gateway_ip,
                       const char *cidr6, const char *gateway_ip6);

bool nb_cidr4_overlap(const struct nb_cidr4 *, const struct nb_cidr4 *);
bool nb_cidr6_overlap(const struct nb_cidr6 *, const struct nb_cidr6 *);
bool nb_cidr4_contains(const struct nb_cidr4 *, ovs_be32 addr);
bool nb_cidr6_contains(const struct nb_cidr6 *, const struct in6_addr *);

/* True if 'a' and 'b' are the same address of the same family, whatever
 * their spelling ("10.0.0.1" and "010.0.0.1" are not both valid, but
 * "fd00::1" and "fd00:0::1" are the same). */
bool nb_ip_equal(const char *a, const char *b);
bool nb_mac_equal(const char *a, const char *b);

/* Migration history.
 *
 * A Migration row is finished once its state is "complete", "aborted" or
 * "failed": the migration engine never changes it again, and it is history
 * that blocks nothing.  Any other state (also "new", which the engine does
 * not write) is unfinished: the port is migrating. */
bool nb_migration_is_finished(const char *state);

/* The latest of the 'n' timestamps in 'values' (a Migration row's
 * 'timestamps' column: state name to wall-clock ms), or 0 if there are
 * none. */
int64_t nb_migration_time(const int64_t *values, size_t n);

/* A Migration row, as nb_migration_select_purge() sees it. */
struct nb_migration_age {
    const char *port;           /* The port's name. */
    bool finished;              /* nb_migration_is_finished() of its state. */
    int64_t time;               /* nb_migration_time() of its timestamps. */
    struct uuid uuid;           /* The row's: orders rows of the same time. */
};

/* Orders rows by port name, then newest first (the latest time, then the
 * greatest UUID), for qsort() on an array of struct nb_migration_age. */
int nb_migration_age_compare(const void *, const void *);

/* Chooses the rows to delete among the 'n' of 'rows' so that each port
 * keeps its 'keep' newest finished rows: sets 'purge[i]' for each row
 * 'rows[i]' to delete, clears it for the others, and returns how many were
 * chosen.  Unfinished rows are never chosen and do not count towards
 * 'keep'. */
size_t nb_migration_select_purge(const struct nb_migration_age *rows,
                                 size_t n, size_t keep, bool *purge);

#endif /* nb-check.h */
