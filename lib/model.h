/* The logical model: hosts, networks, subnets, ports and elastic IPs, as
 * plain C structures with parsed addresses.
 *
 * The controller fills a model from the northbound database; the pipeline
 * (datapath/pipeline.c) computes each host's flows from a model, so that it
 * can be tested without any database or switch.  A model owns everything it
 * points to. */

#ifndef MODEL_H
#define MODEL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "openvswitch/shash.h"
#include "openvswitch/types.h"
#include "packets.h"

/* The tunnel keys, the one place that says which are whose.  VLAN networks
 * travel between hosts' tunnels (stragglers forwarded after a move) with
 * tunnel key MODEL_VLAN_TUNNEL_BASE + VLAN id, and copies of a migrating
 * port's frames with MODEL_COPY_TUNNEL_KEY (docs/hold.md): overlay networks'
 * VNIs are 1 to MODEL_MAX_VNI, below both (the northbound checks,
 * nb_check_network(), and the model's builder refuse others). */
#define MODEL_VLAN_TUNNEL_BASE 0xfff000
#define MODEL_COPY_TUNNEL_KEY (MODEL_VLAN_TUNNEL_BASE - 1)
#define MODEL_MAX_VNI (MODEL_COPY_TUNNEL_KEY - 1)

struct model_host {
    char *name;
    ovs_be32 tunnel_ip;
};

enum model_network_kind {
    MODEL_NET_VXLAN,
    MODEL_NET_GENEVE,
    MODEL_NET_VLAN,
};

struct model_network {
    char *name;
    enum model_network_kind kind;
    uint32_t vni;               /* Overlays. */
    uint16_t vlan;              /* VLAN networks. */
};

struct model_subnet {
    char *name;
    struct model_network *network;
    ovs_be32 addr;              /* Network address. */
    unsigned int plen;
    ovs_be32 gateway_ip;
    struct eth_addr gateway_mac;       /* For IPv4 and IPv6 alike. */

    /* An optional IPv6 prefix and gateway (model_subnet_set_ipv6()). */
    bool has_ipv6;
    struct in6_addr addr6;             /* Network prefix. */
    unsigned int plen6;
    struct in6_addr gateway_ip6;
};

/* A migrating port's hold (docs/hold.md): the host whose DPDK daemon keeps
 * the port's frames for the VM until it runs there, and what the hosts do
 * about it. */
enum model_hold_phase {
    MODEL_HOLD_NONE,
    MODEL_HOLD_COPY,            /* Before the switchover: the active host
                                 * also copies the port's inbound frames to
                                 * the hold's host, whose switch hands them
                                 * to its hold. */
    MODEL_HOLD_HOLD,            /* After it: the hold's host, active,
                                 * hands the port's frames to its hold
                                 * instead of the VM's interface. */
    MODEL_HOLD_PASS,            /* After the replay: the VM's interface
                                 * again; what the hold sends back still
                                 * reaches it. */
    MODEL_HOLD_RELEASE,         /* After an abort: what the hold sends
                                 * back goes where the port lives. */
};

struct model_hold {
    enum model_hold_phase phase;
    const struct model_host *host;  /* The destination; NULL with
                                     * MODEL_HOLD_NONE. */
    uint16_t id;                /* The hold tag's VLAN id on 'host'. */
};

struct model_port {
    char *name;                 /* The VM interface's iface-id. */
    uint32_t key;               /* Tunnel key: 1 to 2**24 - 1. */
    struct model_subnet *subnet;
    struct eth_addr mac;
    ovs_be32 *ipv4;
    size_t n_ipv4;
    struct in6_addr *ipv6;
    size_t n_ipv6;

    /* Where the port lives.  'active' forwards to the VM and takes its
     * traffic in; 'standby' (a migration's destination before the
     * switchover, or its source after) has the VM interface's pipeline but
     * its ingress closed.  Either may be NULL (a port nowhere yet). */
    struct model_host *active;
    struct model_host *standby;

    /* On its active host, the port lives on its incoming interface rather
     * than its usual one: a local migration (active == standby) that has
     * switched over.  See pipeline.h. */
    bool incoming;

    /* Its hold, while it migrates with one. */
    struct model_hold hold;

    /* While it migrates to another host, until its VM runs at the
     * destination (prepare to switched): the source, whose VM interface
     * keeps sending after the switchover closed its admission, so that
     * what the paused VM sent before it stopped, and the source's switch
     * had not taken in yet, is not dropped there.  NULL otherwise. */
    struct model_host *draining;

    /* The elastic IPs that map to the port (model_add_eip() adds them). */
    struct model_eip **eips;
    size_t n_eips, allocated_eips;
};

struct model_eip {
    ovs_be32 addr;
    struct eth_addr mac;
    struct model_network *network;     /* A VLAN network. */
    struct model_port *port;           /* NULL: unmapped. */
    ovs_be32 private_ip;               /* One of port's IPv4 addresses. */
};

/* A model keeps its items in the order they were added (the arrays) and,
 * except elastic IPs, indexed by name (the shashes: the first of a name, if
 * two have one).  Move a model with model_move(), not by assignment: the
 * indexes do not survive a copy. */
struct model {
    struct shash host_index;
    struct shash network_index;
    struct shash subnet_index;
    struct shash port_index;

    struct model_host **hosts;
    size_t n_hosts, allocated_hosts;
    struct model_network **networks;
    size_t n_networks, allocated_networks;
    struct model_subnet **subnets;
    size_t n_subnets, allocated_subnets;
    struct model_port **ports;
    size_t n_ports, allocated_ports;
    struct model_eip **eips;
    size_t n_eips, allocated_eips;
};

void model_init(struct model *);
void model_destroy(struct model *);
/* Moves everything 'src' has into 'dst' (uninitialized) and leaves 'src'
 * empty, initialized. */
void model_move(struct model *dst, struct model *src);

/* Builders.  They take addresses as text and return NULL (with a message in
 * '*errorp', to free) if one does not parse; the northbound checks
 * (nb-check.h) have vetted them before in practice. */
struct model_host *model_add_host(struct model *, const char *name,
                                  const char *tunnel_ip, char **errorp);
struct model_network *model_add_network(struct model *, const char *name,
                                        enum model_network_kind,
                                        uint32_t vni_or_vlan, char **errorp);
struct model_subnet *model_add_subnet(struct model *,
                                      struct model_network *,
                                      const char *name, const char *cidr,
                                      const char *gateway_ip,
                                      const char *gateway_mac,
                                      char **errorp);
int model_subnet_set_ipv6(struct model_subnet *, const char *cidr6,
                          const char *gateway_ip6, char **errorp);
struct model_port *model_add_port(struct model *, struct model_subnet *,
                                  const char *name, uint32_t key,
                                  const char *mac, const char *const *ips,
                                  size_t n_ips, struct model_host *active,
                                  char **errorp);
struct model_eip *model_add_eip(struct model *, struct model_network *,
                                const char *addr, const char *mac,
                                struct model_port *, const char *private_ip,
                                char **errorp);

/* Finders, by name, in O(1). */
struct model_host *model_find_host(const struct model *, const char *name);
struct model_network *model_find_network(const struct model *,
                                         const char *name);
struct model_subnet *model_find_subnet(const struct model *,
                                       const char *name);
struct model_port *model_find_port(const struct model *, const char *name);

/* Compares 'old' with 'new'.  If they differ at most in the placement of
 * ports that both have (same name, key and subnet), or in the addresses of
 * such ports that no elastic IP maps to, adds the names of those ports to
 * 'changed' and returns true:
 * each port's own flows (pipeline_compute_port()) are then all that
 * changed on any host.  Otherwise returns false ('changed' then means
 * nothing). */
struct sset;
bool model_ports_changed(const struct model *old, const struct model *new,
                         struct sset *changed);

/* The key the pipeline uses for 'net' in OpenFlow metadata and, between
 * hosts, as the tunnel key: the VNI of an overlay, MODEL_VLAN_TUNNEL_BASE +
 * VLAN id for a VLAN network. */
uint32_t model_network_key(const struct model_network *);

/* The subnet of 'net' that holds 'ip', or NULL. */
struct model_subnet *model_subnet_for_ip(const struct model *,
                                         const struct model_network *,
                                         ovs_be32 ip);

const char *model_network_kind_to_string(enum model_network_kind);

#endif /* model.h */
