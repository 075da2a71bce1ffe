/* The pipeline: the OpenFlow flows a host's integration bridge must have,
 * computed from the model.
 *
 * Pure code: model + host + the host's port numbers in, flow set out.  It
 * never talks to a switch (datapath/installer does), so it is tested without
 * one.  docs/pipeline.md describes the tables, registers and cookies.
 *
 * The flows that decide where a port lives (its admission flow, its
 * location flow, and the ARP and ND answers that only the port's active host
 * may give to the physical network) carry cookie class PIPELINE_C_LOCATION
 * with the port's key, and nothing else depends on where the port lives:
 * moving a port changes O(1) flows per host whatever the size of the
 * pipeline.
 *
 * Traffic from the underlay (the tunnels between hosts) is taken only from
 * the hosts of the model (tun_src), and from each only for the ports it
 * may send for: those active or standby there (a migration's source and
 * destination alike, from prepare until complete or abort, so that the
 * switchover changes none of these flows).  Those flows are the port's
 * location flows too: they depend on where it lives. */

#ifndef PIPELINE_H
#define PIPELINE_H 1

#include <stdint.h>

#include "nb-check.h"
#include "simap.h"

struct of_flow_set;
struct model;
struct model_host;
struct model_port;

/* Tables of br-int. */
enum pipeline_table {
    PT_CLASSIFY = 0,            /* Where a packet comes from. */
    PT_TUNNEL_SOURCE = 1,       /* Tunnel traffic: from a known host? */
    PT_ANNOUNCE = 2,            /* Frames of the announcer and packet-outs:
                                 * whose VM they speak for. */
    PT_TUNNEL_SECURITY = 3,     /* Tunnel traffic: of a port that the
                                 * sending host may send for? */
    PT_ADMISSION = 5,           /* Is a VM interface's ingress open here? */
    PT_PORT_SECURITY = 10,      /* A VM sends only with its MAC and IPs. */
    PT_ND_SECURITY = 11,        /* A VM's neighbour discovery tells truth. */
    PT_ARP = 15,                /* ARP and IPv6 ND answered from the model. */
    PT_ND_REPLY = 16,           /* Finishes an ND answer begun in 15. */
    PT_L3 = 20,                 /* To a gateway? Elastic IP DNAT. */
    PT_ROUTE = 21,              /* Routing inside a VPC, elastic IP SNAT. */
    PT_L2 = 30,                 /* Destination MAC -> destination port. */
    PT_LOCATION = 40,           /* Destination port -> where it lives. */
};

/* Registers.  metadata holds the network key (model_network_key()). */
#define PIPELINE_REG_SRC_PORT "reg7"    /* Source port key, 0 if none. */
#define PIPELINE_REG_DST_PORT "reg5"    /* Destination port key. */
#define PIPELINE_REG_FLAGS "reg4"
#define PIPELINE_F_FROM_PROVIDER 0x1    /* Came in from the physical VLAN. */
#define PIPELINE_F_FROM_TUNNEL 0x2      /* Came in from another host. */

/* Cookies: class in the top byte, a key in the next three. */
enum pipeline_cookie_class {
    PIPELINE_C_HOST = 1,        /* Table defaults; key 0. */
    PIPELINE_C_NETWORK = 2,     /* Key: network key. */
    PIPELINE_C_PORT = 3,        /* Key: port key. */
    PIPELINE_C_LOCATION = 4,    /* Key: port key. */
    PIPELINE_C_EIP = 5,         /* Key: low 24 bits of the address. */
    PIPELINE_C_UNDERLAY = 6,    /* Key: enum pipeline_underlay. */
};

/* The keys of PIPELINE_C_UNDERLAY: the flows that take tunnel traffic from
 * the hosts of the model, and those that drop (and count, in their flow
 * statistics) what the underlay brings from anywhere else or for anyone
 * else.  docs/security.md says what they close and what they do not. */
enum pipeline_underlay {
    PIPELINE_UNDERLAY_HOSTS = 0,        /* PT_TUNNEL_SOURCE: tun_src = a
                                         * known host's tunnel IP. */
    PIPELINE_UNDERLAY_BAD_VNI = 1,      /* PT_CLASSIFY: a tunnel key of no
                                         * network. */
    PIPELINE_UNDERLAY_BAD_SOURCE = 2,   /* PT_TUNNEL_SOURCE: an underlay
                                         * address of no (other) host. */
    PIPELINE_UNDERLAY_BAD_PORT = 3,     /* PT_TUNNEL_SECURITY: a known host
                                         * sending as, or forwarding to, a
                                         * port it may not. */
};
#define PIPELINE_COOKIE(CLASS, KEY) \
    (((uint64_t) (CLASS) << 56) | ((uint64_t) ((KEY) & 0xffffff) << 32))
#define PIPELINE_COOKIE_CLASS(COOKIE) ((unsigned int) ((COOKIE) >> 56))
#define PIPELINE_COOKIE_KEY(COOKIE) ((uint32_t) ((COOKIE) >> 32) & 0xffffff)
/* Every flow of ours has a non-zero class: cookie=0x0/0xff00000000000000
 * matches flows someone else installed. */
#define PIPELINE_COOKIE_CLASS_MASK UINT64_C(0xff00000000000000)

/* The iface-id of the host's announcer port (cutover-announcer(8)), whose
 * frames, like the controller's packet-outs, leave as the VMs' own. */
#define PIPELINE_ANNOUNCER_IFACE_ID NB_ANNOUNCER_IFACE_ID

/* What the host's switch has: the OpenFlow port numbers the flows refer
 * to.  A VM interface is found by its iface-id; a port of the model without
 * an interface here gets no ingress flows here.  The announcer's port is
 * found in 'ifaces' too, by PIPELINE_ANNOUNCER_IFACE_ID.
 *
 * A port may have a second interface on a host, its incoming interface
 * (external_ids:cutover-incoming=true): the new VMM process of a local
 * migration, where source and destination are the same host.  Both get the
 * port's ingress; the model's 'incoming' says which one the port lives on
 * (docs/migration.md, 'Local migration'). */
struct pipeline_ports {
    struct simap ifaces;        /* iface-id -> ofport. */
    struct simap incoming;      /* iface-id -> ofport of its incoming
                                 * interface, while 'ifaces' has another. */
    int vxlan_ofport;           /* Flow-based VXLAN port; 0 if none. */
    int geneve_ofport;          /* Flow-based Geneve port; 0 if none. */
    int provider_ofport;        /* Patch port to the uplink bridge. */
};

void pipeline_ports_init(struct pipeline_ports *);
void pipeline_ports_destroy(struct pipeline_ports *);

/* Computes every flow 'host''s integration bridge must have into 'flows'
 * (which must be empty).  Returns the number of flows that could not be
 * added because another flow had their identity (0 unless the model is
 * inconsistent, e.g. two ports with one MAC in a network). */
size_t pipeline_compute(const struct model *, const struct model_host *host,
                        const struct pipeline_ports *,
                        struct of_flow_set *flows);

/* Computes into 'flows' (which must be empty) only the flows of 'port'
 * that pipeline_compute() would give 'host': exactly those with cookies
 * PIPELINE_COOKIE(PIPELINE_C_PORT, key) and PIPELINE_COOKIE(
 * PIPELINE_C_LOCATION, key).  This is what a migration recomputes: O(1) in
 * the size of the model.  Returns the number of conflicts, as
 * pipeline_compute(). */
size_t pipeline_compute_port(const struct model *,
                             const struct model_host *host,
                             const struct pipeline_ports *,
                             const struct model_port *port,
                             struct of_flow_set *flows);

/* What a switch's flows say of a port's admission there, as read back
 * (installer_get_readback()): whether the port's traffic from its VM
 * interface may enter the pipeline on this host, i.e. whether the port
 * lives here.  'ofport' names the interface whose admission flow counts
 * (a local migration's host has two: the incoming interface's tells); 0
 * means any.  Only this module knows which flows these are and what "open"
 * looks like in them. */
enum pipeline_admission {
    PIPELINE_ADMISSION_UNKNOWN, /* No admission flow of the port. */
    PIPELINE_ADMISSION_CLOSED,
    PIPELINE_ADMISSION_OPEN,
};
enum pipeline_admission pipeline_admission_read(
    const struct of_flow_set *readback, uint32_t port_key,
    unsigned int ofport);

#endif /* pipeline.h */
