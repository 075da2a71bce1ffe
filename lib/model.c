/* The logical model.  See model.h. */

#include <config.h>
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "openvswitch/hmap.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "util.h"

void
model_init(struct model *m)
{
    memset(m, 0, sizeof *m);
    shash_init(&m->host_index);
    shash_init(&m->network_index);
    shash_init(&m->subnet_index);
    shash_init(&m->port_index);
}

void
model_move(struct model *dst, struct model *src)
{
    *dst = *src;
    hmap_moved(&dst->host_index.map);
    hmap_moved(&dst->network_index.map);
    hmap_moved(&dst->subnet_index.map);
    hmap_moved(&dst->port_index.map);
    model_init(src);
}

void
model_destroy(struct model *m)
{
    for (size_t i = 0; i < m->n_hosts; i++) {
        free(m->hosts[i]->name);
        free(m->hosts[i]);
    }
    for (size_t i = 0; i < m->n_networks; i++) {
        free(m->networks[i]->name);
        free(m->networks[i]);
    }
    for (size_t i = 0; i < m->n_subnets; i++) {
        free(m->subnets[i]->name);
        free(m->subnets[i]);
    }
    for (size_t i = 0; i < m->n_ports; i++) {
        free(m->ports[i]->name);
        free(m->ports[i]->ipv4);
        free(m->ports[i]->ipv6);
        free(m->ports[i]->eips);
        free(m->ports[i]);
    }
    for (size_t i = 0; i < m->n_eips; i++) {
        free(m->eips[i]);
    }
    free(m->hosts);
    free(m->networks);
    free(m->subnets);
    free(m->ports);
    free(m->eips);
    shash_destroy(&m->host_index);
    shash_destroy(&m->network_index);
    shash_destroy(&m->subnet_index);
    shash_destroy(&m->port_index);
    model_init(m);
}

/* Appends 'p' to the array '*array' of '*n' pointers. */
#define MODEL_APPEND(ARRAY, N, ALLOCATED, P)                    \
    do {                                                        \
        if ((N) >= (ALLOCATED)) {                               \
            (ARRAY) = x2nrealloc((ARRAY), &(ALLOCATED),         \
                                 sizeof *(ARRAY));              \
        }                                                       \
        (ARRAY)[(N)++] = (P);                                   \
    } while (0)

struct model_host *
model_add_host(struct model *m, const char *name, const char *tunnel_ip,
               char **errorp)
{
    struct model_host *h;
    ovs_be32 ip;

    if (!ip_parse(tunnel_ip, &ip)) {
        *errorp = xasprintf("host %s: tunnel IP '%s' is not an IPv4 address",
                            name, tunnel_ip);
        return NULL;
    }
    h = xzalloc(sizeof *h);
    h->name = xstrdup(name);
    h->tunnel_ip = ip;
    MODEL_APPEND(m->hosts, m->n_hosts, m->allocated_hosts, h);
    shash_add_once(&m->host_index, h->name, h);
    return h;
}

struct model_network *
model_add_network(struct model *m, const char *name,
                  enum model_network_kind kind, uint32_t id, char **errorp)
{
    struct model_network *n;

    if (kind == MODEL_NET_VLAN ? !id || id > 4094
                               : !id || id > MODEL_MAX_VNI) {
        *errorp = xasprintf("network %s: %s %"PRIu32" is out of range", name,
                            kind == MODEL_NET_VLAN ? "VLAN" : "VNI", id);
        return NULL;
    }
    n = xzalloc(sizeof *n);
    n->name = xstrdup(name);
    n->kind = kind;
    if (kind == MODEL_NET_VLAN) {
        n->vlan = id;
    } else {
        n->vni = id;
    }
    MODEL_APPEND(m->networks, m->n_networks, m->allocated_networks, n);
    shash_add_once(&m->network_index, n->name, n);
    return n;
}

struct model_subnet *
model_add_subnet(struct model *m, struct model_network *net,
                 const char *name, const char *cidr, const char *gateway_ip,
                 const char *gateway_mac, char **errorp)
{
    struct model_subnet *s;
    struct eth_addr mac;
    ovs_be32 addr, gw;
    unsigned int plen;
    char *error;

    error = ip_parse_cidr(cidr, &addr, &plen);
    if (error) {
        *errorp = xasprintf("subnet %s: %s", name, error);
        free(error);
        return NULL;
    }
    if (!ip_parse(gateway_ip, &gw) || !eth_addr_from_string(gateway_mac,
                                                            &mac)) {
        *errorp = xasprintf("subnet %s: bad gateway %s %s", name, gateway_ip,
                            gateway_mac);
        return NULL;
    }
    s = xzalloc(sizeof *s);
    s->name = xstrdup(name);
    s->network = net;
    s->addr = addr & be32_prefix_mask(plen);
    s->plen = plen;
    s->gateway_ip = gw;
    s->gateway_mac = mac;
    MODEL_APPEND(m->subnets, m->n_subnets, m->allocated_subnets, s);
    shash_add_once(&m->subnet_index, s->name, s);
    return s;
}

/* Gives 's' the IPv6 prefix 'cidr6' with gateway 'gateway_ip6' (whose MAC
 * is the subnet's gateway MAC, as for IPv4).  Returns 0, or EINVAL with a
 * message in '*errorp' (to free) if one does not parse; 's' is unchanged
 * then. */
int
model_subnet_set_ipv6(struct model_subnet *s, const char *cidr6,
                      const char *gateway_ip6, char **errorp)
{
    struct in6_addr addr, gw, mask;
    unsigned int plen;
    char *error;

    error = ipv6_parse_cidr(cidr6, &addr, &plen);
    if (error) {
        *errorp = xasprintf("subnet %s: %s", s->name, error);
        free(error);
        return EINVAL;
    }
    if (!ipv6_parse(gateway_ip6, &gw)) {
        *errorp = xasprintf("subnet %s: bad IPv6 gateway %s", s->name,
                            gateway_ip6);
        return EINVAL;
    }
    mask = ipv6_create_mask(plen);
    s->has_ipv6 = true;
    s->addr6 = ipv6_addr_bitand(&addr, &mask);
    s->plen6 = plen;
    s->gateway_ip6 = gw;
    return 0;
}

struct model_port *
model_add_port(struct model *m, struct model_subnet *subnet,
               const char *name, uint32_t key, const char *mac,
               const char *const *ips, size_t n_ips,
               struct model_host *active, char **errorp)
{
    struct model_port *p;
    struct eth_addr ea;

    if (!eth_addr_from_string(mac, &ea)) {
        *errorp = xasprintf("port %s: bad MAC %s", name, mac);
        return NULL;
    }
    if (!key || key > 0xffffff) {
        *errorp = xasprintf("port %s: key %"PRIu32" is out of range", name,
                            key);
        return NULL;
    }
    p = xzalloc(sizeof *p);
    p->name = xstrdup(name);
    p->key = key;
    p->subnet = subnet;
    p->mac = ea;
    p->ipv4 = xmalloc((n_ips ? n_ips : 1) * sizeof *p->ipv4);
    p->ipv6 = xmalloc((n_ips ? n_ips : 1) * sizeof *p->ipv6);
    for (size_t i = 0; i < n_ips; i++) {
        if (ip_parse(ips[i], &p->ipv4[p->n_ipv4])) {
            p->n_ipv4++;
        } else if (ipv6_parse(ips[i], &p->ipv6[p->n_ipv6])) {
            p->n_ipv6++;
        } else {
            *errorp = xasprintf("port %s: bad address %s", name, ips[i]);
            free(p->name);
            free(p->ipv4);
            free(p->ipv6);
            free(p);
            return NULL;
        }
    }
    p->active = active;
    MODEL_APPEND(m->ports, m->n_ports, m->allocated_ports, p);
    shash_add_once(&m->port_index, p->name, p);
    return p;
}

struct model_eip *
model_add_eip(struct model *m, struct model_network *net, const char *addr,
              const char *mac, struct model_port *port,
              const char *private_ip, char **errorp)
{
    struct model_eip *e;
    ovs_be32 a, priv = 0;
    struct eth_addr ea;

    if (!ip_parse(addr, &a) || !eth_addr_from_string(mac, &ea)) {
        *errorp = xasprintf("elastic IP %s: bad address or MAC %s", addr,
                            mac);
        return NULL;
    }
    if (net->kind != MODEL_NET_VLAN) {
        *errorp = xasprintf("elastic IP %s: network %s is not a VLAN "
                            "network", addr, net->name);
        return NULL;
    }
    if (port) {
        if (private_ip) {
            if (!ip_parse(private_ip, &priv)) {
                *errorp = xasprintf("elastic IP %s: bad private IP %s", addr,
                                    private_ip);
                return NULL;
            }
        } else if (port->n_ipv4) {
            priv = port->ipv4[0];
        } else {
            *errorp = xasprintf("elastic IP %s: port %s has no IPv4 "
                                "address", addr, port->name);
            return NULL;
        }
    }
    e = xzalloc(sizeof *e);
    e->addr = a;
    e->mac = ea;
    e->network = net;
    e->port = port;
    e->private_ip = priv;
    MODEL_APPEND(m->eips, m->n_eips, m->allocated_eips, e);
    if (port) {
        MODEL_APPEND(port->eips, port->n_eips, port->allocated_eips, e);
    }
    return e;
}

struct model_host *
model_find_host(const struct model *m, const char *name)
{
    return shash_find_data(&m->host_index, name);
}

struct model_network *
model_find_network(const struct model *m, const char *name)
{
    return shash_find_data(&m->network_index, name);
}

struct model_subnet *
model_find_subnet(const struct model *m, const char *name)
{
    return shash_find_data(&m->subnet_index, name);
}

struct model_port *
model_find_port(const struct model *m, const char *name)
{
    return shash_find_data(&m->port_index, name);
}

uint32_t
model_network_key(const struct model_network *net)
{
    return (net->kind == MODEL_NET_VLAN
            ? MODEL_VLAN_TUNNEL_BASE + net->vlan
            : net->vni);
}

struct model_subnet *
model_subnet_for_ip(const struct model *m, const struct model_network *net,
                    ovs_be32 ip)
{
    for (size_t i = 0; i < m->n_subnets; i++) {
        struct model_subnet *s = m->subnets[i];

        if (s->network == net
            && (ip & be32_prefix_mask(s->plen)) == s->addr) {
            return s;
        }
    }
    return NULL;
}

const char *
model_network_kind_to_string(enum model_network_kind kind)
{
    switch (kind) {
    case MODEL_NET_VXLAN:
        return "vxlan";
    case MODEL_NET_GENEVE:
        return "geneve";
    case MODEL_NET_VLAN:
        return "vlan";
    }
    return "unknown";
}

static bool
hosts_equal(const struct model *a, const struct model *b)
{
    if (a->n_hosts != b->n_hosts) {
        return false;
    }
    for (size_t i = 0; i < a->n_hosts; i++) {
        const struct model_host *h = model_find_host(b, a->hosts[i]->name);

        if (!h || h->tunnel_ip != a->hosts[i]->tunnel_ip) {
            return false;
        }
    }
    return true;
}

static bool
networks_equal(const struct model *a, const struct model *b)
{
    if (a->n_networks != b->n_networks) {
        return false;
    }
    for (size_t i = 0; i < a->n_networks; i++) {
        const struct model_network *x = a->networks[i];
        const struct model_network *y = model_find_network(b, x->name);

        if (!y || x->kind != y->kind || x->vni != y->vni
            || x->vlan != y->vlan) {
            return false;
        }
    }
    return true;
}

static bool
subnet_equal(const struct model_subnet *x, const struct model_subnet *y)
{
    return (!strcmp(x->name, y->name)
            && !strcmp(x->network->name, y->network->name)
            && x->addr == y->addr && x->plen == y->plen
            && x->gateway_ip == y->gateway_ip
            && eth_addr_equals(x->gateway_mac, y->gateway_mac)
            && x->has_ipv6 == y->has_ipv6
            && (!x->has_ipv6
                || (ipv6_addr_equals(&x->addr6, &y->addr6)
                    && x->plen6 == y->plen6
                    && ipv6_addr_equals(&x->gateway_ip6, &y->gateway_ip6))));
}

static bool
eip_equal(const struct model_eip *x, const struct model_eip *y)
{
    return (x->addr == y->addr && eth_addr_equals(x->mac, y->mac)
            && !strcmp(x->network->name, y->network->name)
            && !x->port == !y->port
            && (!x->port || !strcmp(x->port->name, y->port->name))
            && x->private_ip == y->private_ip);
}

/* Whether 'a' and 'b' have the same subnets (by name, through the index). */
static bool
subnets_equal(const struct model *a, const struct model *b)
{
    if (a->n_subnets != b->n_subnets) {
        return false;
    }
    for (size_t i = 0; i < a->n_subnets; i++) {
        const struct model_subnet *x = a->subnets[i];
        const struct model_subnet *y = model_find_subnet(b, x->name);

        if (!y || !subnet_equal(x, y)) {
            return false;
        }
    }
    return true;
}

/* Whether 'a' and 'b' have the same elastic IPs (by address: an address has
 * one elastic IP in a consistent database). */
static bool
eips_equal(const struct model *a, const struct model *b)
{
    struct hmap by_addr = HMAP_INITIALIZER(&by_addr);
    struct eip_node {
        struct hmap_node node;
        const struct model_eip *eip;
    } *nodes;
    bool ok = true;

    if (a->n_eips != b->n_eips) {
        return false;
    }
    nodes = xmalloc((b->n_eips ? b->n_eips : 1) * sizeof *nodes);
    for (size_t i = 0; i < b->n_eips; i++) {
        nodes[i].eip = b->eips[i];
        hmap_insert(&by_addr, &nodes[i].node,
                    hash_int(ntohl(b->eips[i]->addr), 0));
    }
    for (size_t i = 0; ok && i < a->n_eips; i++) {
        const struct model_eip *x = a->eips[i];
        const struct eip_node *n;
        bool found = false;

        HMAP_FOR_EACH_WITH_HASH (n, node, hash_int(ntohl(x->addr), 0),
                                 &by_addr) {
            found = found || eip_equal(x, n->eip);
        }
        ok = found;
    }
    hmap_destroy(&by_addr);
    free(nodes);
    return ok;
}

static const char *
host_name(const struct model_host *h)
{
    return h ? h->name : "";
}

/* Whether the port's addresses are the same: an elastic IP's flows use
 * them (its placement they do not). */
static bool
port_addresses_equal(const struct model_port *x, const struct model_port *y)
{
    return (eth_addr_equals(x->mac, y->mac)
            && x->n_ipv4 == y->n_ipv4
            && !memcmp(x->ipv4, y->ipv4, x->n_ipv4 * sizeof *x->ipv4)
            && x->n_ipv6 == y->n_ipv6
            && !memcmp(x->ipv6, y->ipv6, x->n_ipv6 * sizeof *x->ipv6));
}

static bool
port_placement_equal(const struct model_port *x, const struct model_port *y)
{
    return (!strcmp(host_name(x->active), host_name(y->active))
            && !strcmp(host_name(x->standby), host_name(y->standby))
            && x->incoming == y->incoming
            && x->hold.phase == y->hold.phase
            && x->hold.id == y->hold.id
            && !strcmp(host_name(x->hold.host), host_name(y->hold.host)));
}

bool
model_ports_changed(const struct model *old, const struct model *new,
                    struct sset *changed)
{
    struct shash by_name = SHASH_INITIALIZER(&by_name);
    bool ok = true;

    if (!hosts_equal(old, new) || !networks_equal(old, new)
        || !subnets_equal(old, new) || !eips_equal(old, new)
        || old->n_ports != new->n_ports) {
        return false;
    }
    for (size_t i = 0; i < new->n_ports; i++) {
        shash_add_once(&by_name, new->ports[i]->name, new->ports[i]);
    }
    for (size_t i = 0; ok && i < old->n_ports; i++) {
        const struct model_port *x = old->ports[i];
        const struct model_port *y = shash_find_data(&by_name, x->name);

        if (!y || x->key != y->key
            || strcmp(x->subnet->name, y->subnet->name)) {
            ok = false;
        } else if (!port_addresses_equal(x, y)) {
            ok = !y->n_eips;
            sset_add(changed, y->name);
        } else if (!port_placement_equal(x, y)) {
            sset_add(changed, y->name);
        }
    }
    shash_destroy(&by_name);
    return ok;
}
