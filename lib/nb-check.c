/* Checks of northbound values.  See nb-check.h. */

#include <config.h>
#include "nb-check.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "packets.h"
#include "stream.h"
#include "util.h"
#include "uuid.h"

char *
nb_check_name(const char *what, const char *name)
{
    if (!name[0]) {
        return xasprintf("%s name is empty", what);
    }
    if (strlen(name) > 63) {
        return xasprintf("%s name '%s' is longer than 63 characters", what,
                         name);
    }
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char) *p) && !strchr("-_.:", *p)) {
            return xasprintf("%s name '%s' has '%c': use letters, digits "
                             "and - _ . :", what, name, *p);
        }
    }
    return NULL;
}

char *
nb_check_port_name(const char *name)
{
    if (!strcmp(name, NB_ANNOUNCER_IFACE_ID)) {
        return xasprintf("port name '%s' is reserved for the host's "
                         "announcer (its interface's iface-id): choose "
                         "another", name);
    }
    if (!strncmp(name, NB_EIP_ANNOUNCE_PREFIX,
                 strlen(NB_EIP_ANNOUNCE_PREFIX))) {
        return xasprintf("port name '%s' begins with '%s', which the hosts' "
                         "agents name elastic IPs by: choose another", name,
                         NB_EIP_ANNOUNCE_PREFIX);
    }
    return nb_check_name("port", name);
}

char *
nb_check_mac(const char *what, const char *mac)
{
    struct eth_addr ea;

    if (!eth_addr_from_string(mac, &ea)) {
        return xasprintf("%s '%s' is not a MAC address (expected "
                         "xx:xx:xx:xx:xx:xx)", what, mac);
    }
    if (eth_addr_is_zero(ea)) {
        return xasprintf("%s '%s' is the zero MAC address", what, mac);
    }
    if (eth_addr_is_multicast(ea)) {
        return xasprintf("%s '%s' is a multicast MAC address (its first "
                         "byte is odd): a port needs a unicast one", what,
                         mac);
    }
    return NULL;
}

char *
nb_check_ipv4(const char *what, const char *ip, ovs_be32 *addrp)
{
    ovs_be32 addr;

    if (!ip_parse(ip, &addr)) {
        return xasprintf("%s '%s' is not an IPv4 address", what, ip);
    }
    if (!addr || ip_is_multicast(addr) || addr == htonl(0xffffffff)) {
        return xasprintf("%s '%s' is not a unicast IPv4 address", what, ip);
    }
    if (addrp) {
        *addrp = addr;
    }
    return NULL;
}

char *
nb_check_ipv6(const char *what, const char *ip, struct in6_addr *addrp)
{
    struct in6_addr addr;

    if (!ipv6_parse(ip, &addr)) {
        return xasprintf("%s '%s' is not an IPv6 address", what, ip);
    }
    if (!ipv6_addr_is_set(&addr) || ipv6_addr_is_multicast(&addr)) {
        return xasprintf("%s '%s' is not a unicast IPv6 address", what, ip);
    }
    if (addrp) {
        *addrp = addr;
    }
    return NULL;
}

char *
nb_check_datapath_id(const char *dpid)
{
    if (strlen(dpid) != 16 || strspn(dpid, "0123456789abcdefABCDEF") != 16) {
        return xasprintf("datapath id '%s' is not 16 hexadecimal digits",
                         dpid);
    }
    return NULL;
}

char *
nb_check_target(const char *what, const char *target)
{
    const char *colon = strchr(target, ':');

    /* Open vSwitch's own stream classes say which types exist (tcp, ssl,
     * unix and their passive forms); the part after the type must not be
     * empty. */
    if (colon && colon[1]
        && (!stream_verify_name(target) || !pstream_verify_name(target))) {
        return NULL;
    }
    return xasprintf("%s '%s' is not a connection target (expected "
                     "tcp:IP:PORT, ssl:IP:PORT, unix:FILE or their passive "
                     "forms ptcp:, pssl:, punix:)", what, target);
}

char *
nb_check_agent(const char *target)
{
    if (target[0] == '/') {
        if (strstr(target, "/../") || target[1] == '\0') {
            return xasprintf("agent '%s' is not an absolute file name",
                             target);
        }
        return NULL;
    }
    if (strchr(target, ':') && target[strcspn(target, ":") + 1]
        && !stream_verify_name(target)) {
        return NULL;
    }
    return xasprintf("agent '%s' is not where a controller can reach "
                     "the host's agent (expected ssl:IP:PORT, tcp:IP:PORT, "
                     "unix:FILE or a socket's absolute file name)", target);
}

/* For a passive "ptcp:PORT:IP" or "pssl:PORT:IP" Host.openflow_target,
 * stores in '*activep' (to free) the target the switch connects to,
 * "tcp:IP:PORT" or "ssl:IP:PORT", and returns NULL, or returns an error
 * message (to free). */
static char *
openflow_passive_inet(const char *target, char **activep)
{
    const char *args = target + 5;      /* After "ptcp:" or "pssl:". */
    const char *colon = strchr(args, ':');
    char *port = xmemdup0(args, colon ? colon - args : strlen(args));
    char *ip = NULL, *error = NULL;
    struct in6_addr ip6;
    ovs_be32 ip4;
    int port_no;

    if (!str_to_int(port, 10, &port_no) || port_no < 1 || port_no > 65535) {
        error = xasprintf("OpenFlow target '%s': '%s' is not a port number "
                          "from 1 to 65535", target, port);
        goto out;
    }
    if (!colon || !colon[1]) {
        error = xasprintf("OpenFlow target '%s' has no IP address: the "
                          "switch must be told where to connect, so a "
                          "passive target needs one (%.4s:%s:IP)", target,
                          target, port);
        goto out;
    }
    ip = (colon[1] == '[' && colon[strlen(colon) - 1] == ']'
          ? xmemdup0(colon + 2, strlen(colon) - 3)
          : xstrdup(colon + 1));
    if (ip_parse(ip, &ip4)) {
        if (!ip4) {
            error = xasprintf("OpenFlow target '%s': the switch cannot "
                              "connect to 0.0.0.0 (give the address it can "
                              "reach the controller at)", target);
            goto out;
        }
        *activep = xasprintf("%.3s:%s:%d", target + 1, ip, port_no);
    } else if (ipv6_parse(ip, &ip6)) {
        if (!ipv6_addr_is_set(&ip6)) {
            error = xasprintf("OpenFlow target '%s': the switch cannot "
                              "connect to :: (give the address it can "
                              "reach the controller at)", target);
            goto out;
        }
        *activep = xasprintf("%.3s:[%s]:%d", target + 1, ip, port_no);
    } else {
        error = xasprintf("OpenFlow target '%s': '%s' is not an IP address",
                          target, ip);
    }
out:
    free(port);
    free(ip);
    return error;
}

char *
nb_openflow_bridge_target(const char *target, char **bridgep)
{
    const char *colon;
    size_t len = strlen(target);

    *bridgep = NULL;
    if (!strncmp(target, "unix:", 5) && len > 5) {
        if (!strcmp(target + len - 5, ".mgmt")) {
            return NULL;        /* Every bridge listens there anyway. */
        }
        *bridgep = xasprintf("punix:%s", target + 5);
        return NULL;
    }
    colon = strrchr(target, ':');
    if ((!strncmp(target, "tcp:", 4) || !strncmp(target, "ssl:", 4))
        && colon > target + 4 && colon[1]) {
        /* tcp:IP:PORT -> ptcp:PORT:IP (an IPv6 address keeps its
         * brackets, which ptcp: accepts). */
        *bridgep = xasprintf("p%.3s:%s:%.*s", target, colon + 1,
                             (int) (colon - target - 4), target + 4);
        return NULL;
    }
    if (!strncmp(target, "punix:", 6) && len > 6) {
        *bridgep = xasprintf("unix:%s", target + 6);
        return NULL;
    }
    if (!strncmp(target, "ptcp:", 5) || !strncmp(target, "pssl:", 5)) {
        return openflow_passive_inet(target, bridgep);
    }
    return xasprintf("OpenFlow target '%s' is not one the controller can "
                     "use (expected tcp:IP:PORT, ssl:IP:PORT or unix:FILE, "
                     "where the controller connects, or ptcp:PORT:IP, "
                     "pssl:PORT:IP or punix:FILE, where it listens)",
                     target);
}

bool
nb_openflow_is_passive(const char *target)
{
    return (!strncmp(target, "ptcp:", 5) || !strncmp(target, "pssl:", 5)
            || !strncmp(target, "punix:", 6));
}

char *
nb_check_cidr4(const char *cidr, struct nb_cidr4 *out)
{
    ovs_be32 addr, mask;
    unsigned int plen;
    char *error;

    if (!strchr(cidr, '/')) {
        return xasprintf("'%s' is not an IPv4 CIDR (expected A.B.C.D/LEN)",
                         cidr);
    }
    error = ip_parse_cidr(cidr, &addr, &plen);
    if (error) {
        free(error);
        return xasprintf("'%s' is not an IPv4 CIDR (expected A.B.C.D/LEN)",
                         cidr);
    }
    if (plen < 8 || plen > 30) {
        return xasprintf("'%s': prefix length %u is out of range (8 to 30)",
                         cidr, plen);
    }
    mask = be32_prefix_mask(plen);
    if (addr & ~mask) {
        return xasprintf("'%s' has host bits set: did you mean "
                         IP_FMT"/%u?", cidr, IP_ARGS(addr & mask), plen);
    }
    out->addr = addr;
    out->plen = plen;
    return NULL;
}

char *
nb_check_cidr6(const char *cidr, struct nb_cidr6 *out)
{
    struct in6_addr addr, mask, net;
    unsigned int plen;
    char *error;

    if (!strchr(cidr, '/')) {
        return xasprintf("'%s' is not an IPv6 CIDR (expected ADDR/LEN)",
                         cidr);
    }
    error = ipv6_parse_cidr(cidr, &addr, &plen);
    if (error) {
        free(error);
        return xasprintf("'%s' is not an IPv6 CIDR (expected ADDR/LEN)",
                         cidr);
    }
    if (plen < 8 || plen > 126) {
        return xasprintf("'%s': prefix length %u is out of range (8 to 126)",
                         cidr, plen);
    }
    mask = ipv6_create_mask(plen);
    net = ipv6_addr_bitand(&addr, &mask);
    if (!ipv6_addr_equals(&net, &addr)) {
        char buf[INET6_ADDRSTRLEN];

        inet_ntop(AF_INET6, &net, buf, sizeof buf);
        return xasprintf("'%s' has host bits set: did you mean %s/%u?",
                         cidr, buf, plen);
    }
    out->addr = addr;
    out->plen = plen;
    return NULL;
}

char *
nb_check_network(const char *kind, int64_t vni, int64_t vlan)
{
    if (!strcmp(kind, "vxlan") || !strcmp(kind, "geneve")) {
        if (vni < 1 || vni > MODEL_MAX_VNI) {
            return xasprintf("a %s network needs a VNI from 1 to %d (VNIs "
                             "above carry migrations' copies and VLAN "
                             "networks between hosts)",
                             kind, MODEL_MAX_VNI);
        }
        if (vlan >= 0) {
            return xasprintf("a %s network has a VNI, not a VLAN", kind);
        }
        return NULL;
    }
    if (!strcmp(kind, "vlan")) {
        if (vlan < 1 || vlan > 4094) {
            return xstrdup("a vlan network needs a VLAN id from 1 to 4094");
        }
        if (vni >= 0) {
            return xstrdup("a vlan network has a VLAN id, not a VNI");
        }
        return NULL;
    }
    return xasprintf("network kind '%s' is unknown (expected vxlan, geneve "
                     "or vlan)", kind);
}

char *
nb_check_subnet(const char *cidr, const char *gateway_ip,
                const char *gateway_mac, const char *cidr6,
                const char *gateway_ip6)
{
    struct nb_cidr4 c4;
    ovs_be32 gw, mask;
    char *error;

    error = nb_check_cidr4(cidr, &c4);
    if (error) {
        return error;
    }
    error = nb_check_ipv4("gateway", gateway_ip, &gw);
    if (error) {
        return error;
    }
    mask = be32_prefix_mask(c4.plen);
    if (!nb_cidr4_contains(&c4, gw)) {
        return xasprintf("gateway %s is outside %s", gateway_ip, cidr);
    }
    if (gw == c4.addr || gw == (c4.addr | ~mask)) {
        return xasprintf("gateway %s is the network or broadcast address "
                         "of %s", gateway_ip, cidr);
    }
    error = nb_check_mac("gateway MAC", gateway_mac);
    if (error) {
        return error;
    }
    if (cidr6 || gateway_ip6) {
        struct nb_cidr6 c6;
        struct in6_addr gw6;

        if (!cidr6 || !gateway_ip6) {
            return xstrdup("an IPv6 prefix needs an IPv6 gateway, and the "
                           "other way round");
        }
        error = nb_check_cidr6(cidr6, &c6);
        if (error) {
            return error;
        }
        error = nb_check_ipv6("IPv6 gateway", gateway_ip6, &gw6);
        if (error) {
            return error;
        }
        if (!nb_cidr6_contains(&c6, &gw6)) {
            return xasprintf("IPv6 gateway %s is outside %s", gateway_ip6,
                             cidr6);
        }
    }
    return NULL;
}

char *
nb_check_port_ip(const char *ip, const char *subnet_name, const char *cidr,
                 const char *gateway_ip, const char *cidr6,
                 const char *gateway_ip6)
{
    char *error;

    if (strchr(ip, ':')) {
        struct nb_cidr6 c6;
        struct in6_addr a;

        error = nb_check_ipv6("port address", ip, &a);
        if (error) {
            return error;
        }
        /* A subnet whose IPv6 prefix is not valid has none, as far as its
         * ports are concerned (nb_check_subnet() says what is wrong with
         * it). */
        error = cidr6 ? nb_check_cidr6(cidr6, &c6) : NULL;
        if (!cidr6 || error) {
            free(error);
            return xasprintf("port address %s is IPv6 but subnet %s has no "
                             "IPv6 prefix", ip, subnet_name);
        }
        if (!nb_cidr6_contains(&c6, &a)) {
            return xasprintf("port address %s is outside subnet %s (%s)",
                             ip, subnet_name, cidr6);
        }
        if (gateway_ip6 && nb_ip_equal(ip, gateway_ip6)) {
            return xasprintf("port address %s is subnet %s's gateway", ip,
                             subnet_name);
        }
        return NULL;
    }

    struct nb_cidr4 c4;
    ovs_be32 a, mask;

    error = nb_check_ipv4("port address", ip, &a);
    if (error) {
        return error;
    }
    error = nb_check_cidr4(cidr, &c4);
    if (error) {
        return error;
    }
    mask = be32_prefix_mask(c4.plen);
    if (!nb_cidr4_contains(&c4, a)) {
        return xasprintf("port address %s is outside subnet %s (%s)", ip,
                         subnet_name, cidr);
    }
    if (a == c4.addr || a == (c4.addr | ~mask)) {
        return xasprintf("port address %s is the network or broadcast "
                         "address of subnet %s (%s)", ip, subnet_name, cidr);
    }
    if (nb_ip_equal(ip, gateway_ip)) {
        return xasprintf("port address %s is subnet %s's gateway", ip,
                         subnet_name);
    }
    return NULL;
}

bool
nb_cidr4_contains(const struct nb_cidr4 *c, ovs_be32 addr)
{
    return (addr & be32_prefix_mask(c->plen)) == c->addr;
}

bool
nb_cidr6_contains(const struct nb_cidr6 *c, const struct in6_addr *addr)
{
    struct in6_addr mask = ipv6_create_mask(c->plen);
    struct in6_addr net = ipv6_addr_bitand(addr, &mask);

    return ipv6_addr_equals(&net, &c->addr);
}

bool
nb_cidr4_overlap(const struct nb_cidr4 *a, const struct nb_cidr4 *b)
{
    /* Two prefixes overlap if and only if the shorter contains the other's
     * network address. */
    return a->plen <= b->plen ? nb_cidr4_contains(a, b->addr)
                              : nb_cidr4_contains(b, a->addr);
}

bool
nb_cidr6_overlap(const struct nb_cidr6 *a, const struct nb_cidr6 *b)
{
    return a->plen <= b->plen ? nb_cidr6_contains(a, &b->addr)
                              : nb_cidr6_contains(b, &a->addr);
}

bool
nb_ip_equal(const char *a, const char *b)
{
    struct in6_addr a6, b6;
    ovs_be32 a4, b4;

    if (ip_parse(a, &a4) && ip_parse(b, &b4)) {
        return a4 == b4;
    }
    if (ipv6_parse(a, &a6) && ipv6_parse(b, &b6)) {
        return ipv6_addr_equals(&a6, &b6);
    }
    return false;
}

bool
nb_mac_equal(const char *a, const char *b)
{
    struct eth_addr ea, eb;

    return (eth_addr_from_string(a, &ea) && eth_addr_from_string(b, &eb)
            && eth_addr_equals(ea, eb));
}

bool
nb_migration_is_finished(const char *state)
{
    return (!strcmp(state, "complete") || !strcmp(state, "aborted")
            || !strcmp(state, "failed"));
}

int64_t
nb_migration_time(const int64_t *values, size_t n)
{
    int64_t latest = 0;

    for (size_t i = 0; i < n; i++) {
        latest = MAX(latest, values[i]);
    }
    return latest;
}

int
nb_migration_age_compare(const void *a_, const void *b_)
{
    const struct nb_migration_age *a = a_;
    const struct nb_migration_age *b = b_;
    int cmp = strcmp(a->port, b->port);

    if (cmp) {
        return cmp;
    }
    if (a->time != b->time) {
        return a->time > b->time ? -1 : 1;
    }
    return -uuid_compare_3way(&a->uuid, &b->uuid);
}

/* For sorting indexes into an array of struct nb_migration_age. */
struct migration_index {
    const struct nb_migration_age *row;
    size_t idx;
};

static int
migration_index_compare(const void *a_, const void *b_)
{
    const struct migration_index *a = a_;
    const struct migration_index *b = b_;

    return nb_migration_age_compare(a->row, b->row);
}

size_t
nb_migration_select_purge(const struct nb_migration_age *rows, size_t n,
                          size_t keep, bool *purge)
{
    struct migration_index *sorted = xmalloc((n ? n : 1) * sizeof *sorted);
    const char *port = NULL;
    size_t kept = 0, n_purge = 0;

    for (size_t i = 0; i < n; i++) {
        sorted[i].row = &rows[i];
        sorted[i].idx = i;
    }
    qsort(sorted, n, sizeof *sorted, migration_index_compare);

    /* Each port's rows are together, newest first. */
    for (size_t i = 0; i < n; i++) {
        const struct nb_migration_age *row = sorted[i].row;

        if (!port || strcmp(port, row->port)) {
            port = row->port;
            kept = 0;
        }
        purge[sorted[i].idx] = row->finished && kept++ >= keep;
        n_purge += purge[sorted[i].idx];
    }
    free(sorted);
    return n_purge;
}
