/* The pipeline: a host's flows from the model.  See pipeline.h and
 * docs/pipeline.md. */

#include <config.h>
#include "pipeline.h"

#include <inttypes.h>
#include <string.h>

#include "flow.h"
#include "flow-set.h"
#include "hold-tag.h"
#include "model.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(pipeline);

void
pipeline_ports_init(struct pipeline_ports *ports)
{
    memset(ports, 0, sizeof *ports);
    simap_init(&ports->ifaces);
    simap_init(&ports->incoming);
}

void
pipeline_ports_destroy(struct pipeline_ports *ports)
{
    simap_destroy(&ports->ifaces);
    simap_destroy(&ports->incoming);
}

/* What every flow-adding function needs. */
struct pipeline_ctx {
    const struct model *model;
    const struct model_host *host;
    const struct pipeline_ports *ports;
    struct of_flow_set *flows;
    size_t n_conflicts;
};

static void OVS_PRINTF_FORMAT(6, 7)
add_flow(struct pipeline_ctx *ctx, uint8_t table, uint16_t priority,
         uint64_t cookie, const char *actions, const char *match_format, ...)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    size_t n_unparsed;
    va_list args;
    char *match;

    va_start(args, match_format);
    match = xvasprintf(match_format, args);
    va_end(args);
    n_unparsed = ctx->flows->n_unparsed;
    if (!of_flow_set_add(ctx->flows, table, priority, cookie, match,
                         actions) && ctx->flows->n_unparsed == n_unparsed) {
        /* (A flow that does not parse is counted and logged by the set.) */
        VLOG_WARN_RL(&rl, "two flows claim table=%u,priority=%u,%s: the "
                     "model is inconsistent (duplicate MAC or address?)",
                     table, priority, match);
        ctx->n_conflicts++;
    }
    free(match);
}

/* Which packets an answer from the model is for, in a match: those of local
 * VMs and the physical network alike (overlays), only those of local VMs, or
 * only those of the physical network (VLAN networks: see add_location()). */
#define FROM_ANY ""
#define FROM_VMS PIPELINE_REG_FLAGS"=0/0x1,"
#define FROM_PROVIDER PIPELINE_REG_FLAGS"=0x1/0x1,"
BUILD_ASSERT_DECL(PIPELINE_F_FROM_PROVIDER == 0x1);

/* Puts into 'buf' the actions that tag an answer with 'vlan' if nonzero (a
 * request from the physical network came in tagged, and the classifier
 * popped the tag), else nothing. */
static void
vlan_tag_actions(uint16_t vlan, char buf[64])
{
    buf[0] = '\0';
    if (vlan) {
        snprintf(buf, 64, "push_vlan:0x8100,set_field:%u->vlan_vid,",
                 4096 | vlan);
    }
}

/* Actions that turn an ARP request into the reply "'ip' is at 'mac'" and
 * send it back where it came from; tagged with 'vlan' if nonzero. */
static char *
arp_reply_actions(struct eth_addr mac, ovs_be32 ip, uint16_t vlan)
{
    char vlan_actions[64];

    vlan_tag_actions(vlan, vlan_actions);
    return xasprintf("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                     "set_field:"ETH_ADDR_FMT"->eth_src,"
                     "set_field:2->arp_op,"
                     "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
                     "set_field:"ETH_ADDR_FMT"->arp_sha,"
                     "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],"
                     "set_field:"IP_FMT"->arp_spa,"
                     "%sIN_PORT",
                     ETH_ADDR_ARGS(mac), ETH_ADDR_ARGS(mac), IP_ARGS(ip),
                     vlan_actions);
}

/* Neighbor Advertisement flags (RFC 4861 4.4), the first 32 bits after the
 * ICMPv6 checksum: OpenFlow's nd_reserved. */
#define ND_RSO_ROUTER 0x80000000
#define ND_RSO_SOLICITED 0x40000000
#define ND_RSO_OVERRIDE 0x20000000

/* Adds to table PT_ARP the answer to IPv6 neighbour discovery for 'ip6' in
 * network 'nkey': a Neighbor Solicitation for it (from the packets 'from'
 * says, one of the FROM_* above), turned into the solicited advertisement
 * "'ip6' is at 'mac'" (with the router flag if 'router') and sent back where
 * it came from, tagged with 'vlan' if nonzero.
 *
 * Open vSwitch 3.1 cannot do it in one flow: the advertisement's target
 * link-layer address (nd_tll) may only be set by a flow that matches an
 * advertisement, and setting the solicitation's source link-layer address
 * (nd_sll) before changing the option's type to 2 does not work in the
 * userspace datapath (it commits the new type before the address, then
 * writes the address into the option of the type it finds).  So this flow
 * makes the packet an advertisement, with the option's type changed, and
 * goes on to PT_ND_REPLY, whose one flow copies the answer's MAC (now the
 * Ethernet source) into nd_tll and sends it back.  Open vSwitch recomputes
 * the ICMPv6 checksum; the hop limit is 255, as RFC 4861 7.1.2 requires. */
static void
add_nd_answer(struct pipeline_ctx *ctx, uint64_t cookie, uint32_t nkey,
              const char *from, struct eth_addr mac,
              const struct in6_addr *ip6, bool router, uint16_t vlan)
{
    char vlan_actions[64];
    char ip6s[INET6_ADDRSTRLEN];
    char *actions;

    vlan_tag_actions(vlan, vlan_actions);
    ipv6_string_mapped(ip6s, ip6);
    actions = xasprintf("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                        "set_field:"ETH_ADDR_FMT"->eth_src,"
                        "move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
                        "set_field:%s->ipv6_src,set_field:255->nw_ttl,"
                        "set_field:136->icmpv6_type,"
                        "set_field:%#"PRIx32"->nd_reserved,"
                        "set_field:2->nd_options_type,%sgoto_table:%d",
                        ETH_ADDR_ARGS(mac), ip6s,
                        (uint32_t) ((router ? ND_RSO_ROUTER : 0)
                                    | ND_RSO_SOLICITED | ND_RSO_OVERRIDE),
                        vlan_actions, PT_ND_REPLY);
    add_flow(ctx, PT_ARP, 100, cookie, actions,
             "metadata=%#"PRIx32",%sicmp6,icmp_type=135,icmp_code=0,"
             "nd_target=%s", nkey, from, ip6s);
    free(actions);
}

/* The node of 'ifaces' for VM port 'p''s interface on this host, or NULL
 * if it has none here.  A port of the model that bears the announcer's
 * reserved iface-id (cutoverctl refuses the name; the database may still
 * have it) is never attached: its interface would be the announcer's. */
static const struct simap_node *
port_iface(const struct pipeline_ctx *ctx, const struct model_port *p)
{
    if (!strcmp(p->name, PIPELINE_ANNOUNCER_IFACE_ID)) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "port %s bears the announcer's reserved iface-id: "
                     "ignoring its interface", p->name);
        return NULL;
    }
    return simap_find(&ctx->ports->ifaces, p->name);
}

/* The node of 'incoming' for port 'p''s incoming interface on this host (a
 * local migration's new VMM), or NULL if it has none here. */
static const struct simap_node *
port_incoming(const struct pipeline_ctx *ctx, const struct model_port *p)
{
    return (port_iface(ctx, p)
            ? simap_find(&ctx->ports->incoming, p->name) : NULL);
}

/* The interface port 'p' lives on when it is active here: its incoming
 * one once a local migration switched over to it, else its usual one. */
static const struct simap_node *
port_live_iface(const struct pipeline_ctx *ctx, const struct model_port *p)
{
    const struct simap_node *incoming = port_incoming(ctx, p);

    return p->incoming && incoming ? incoming : port_iface(ctx, p);
}

static int
tunnel_ofport(const struct pipeline_ctx *ctx, const struct model_network *net)
{
    return (net->kind == MODEL_NET_GENEVE ? ctx->ports->geneve_ofport
                                          : ctx->ports->vxlan_ofport);
}

/* Every table ends in a default. */
static void
add_defaults(struct pipeline_ctx *ctx)
{
    uint64_t c = PIPELINE_COOKIE(PIPELINE_C_HOST, 0);

    add_flow(ctx, PT_CLASSIFY, 0, c, "drop", "%s", "");
    add_flow(ctx, PT_ANNOUNCE, 0, c, "drop", "%s", "");
    add_flow(ctx, PT_ADMISSION, 0, c, "drop", "%s", "");
    add_flow(ctx, PT_PORT_SECURITY, 0, c, "drop", "%s", "");

    /* Neighbour discovery from a VM: a solicitation or advertisement that
     * no flow of the VM's port allows is a lie (add_port()); a VM is
     * neither a router (advertisements) nor redirects anyone.  Anything
     * else goes on. */
    add_flow(ctx, PT_ND_SECURITY, 0, c, "goto_table:15", "%s", "");
    add_flow(ctx, PT_ND_SECURITY, 50, c, "drop", "%s",
             "icmp6,icmp_type=135");
    add_flow(ctx, PT_ND_SECURITY, 50, c, "drop", "%s",
             "icmp6,icmp_type=136");
    add_flow(ctx, PT_ND_SECURITY, 50, c, "drop", "%s",
             "icmp6,icmp_type=134");
    add_flow(ctx, PT_ND_SECURITY, 50, c, "drop", "%s",
             "icmp6,icmp_type=137");

    /* Not an ARP request or Neighbor Solicitation we answer: on to L3 (an
     * overlay then drops broadcasts and multicasts at L2: no flooding).  A
     * solicitation without a source link-layer address option (a unicast
     * one, RFC 4861 7.2.2) is not answered here: add_nd_answer()'s actions
     * need the option; it goes to its destination, which answers. */
    add_flow(ctx, PT_ARP, 0, c, "goto_table:20", "%s", "");
    add_flow(ctx, PT_ARP, 110, c, "goto_table:20", "%s",
             "icmp6,icmp_type=135,icmp_code=0,nd_sll=00:00:00:00:00:00");
    add_flow(ctx, PT_ND_REPLY, 0, c, "drop", "%s", "");
    add_flow(ctx, PT_ND_REPLY, 100, c,
             "move:NXM_OF_ETH_SRC[]->NXM_NX_ND_TLL[],IN_PORT", "%s",
             "icmp6,icmp_type=136,icmp_code=0");
    add_flow(ctx, PT_L3, 0, c, "goto_table:30", "%s", "");
    add_flow(ctx, PT_ROUTE, 0, c, "drop", "%s", "");
    add_flow(ctx, PT_L2, 0, c, "drop", "%s", "");
    add_flow(ctx, PT_LOCATION, 0, c, "drop", "%s", "");
}

/* Traffic from the underlay.  Table 0 takes a tunnel's packets only with
 * the tunnel key of a network (add_network()); the rest is dropped here,
 * and counted.  Then PT_TUNNEL_SOURCE takes them only from the tunnel IP
 * of another host of the model, and PT_TUNNEL_SECURITY only for the ports
 * that host may send for (add_tunnel_security()) and towards the elastic
 * IPs (add_eip()).  Each drop has a cookie of its own, so that its flow's
 * statistics count what it stopped. */
static void
add_underlay(struct pipeline_ctx *ctx)
{
    uint64_t hosts = PIPELINE_COOKIE(PIPELINE_C_UNDERLAY,
                                     PIPELINE_UNDERLAY_HOSTS);
    int tunnels[2] = { ctx->ports->vxlan_ofport, ctx->ports->geneve_ofport };
    char *actions;

    for (size_t i = 0; i < ARRAY_SIZE(tunnels); i++) {
        if (tunnels[i]) {
            add_flow(ctx, PT_CLASSIFY, 50,
                     PIPELINE_COOKIE(PIPELINE_C_UNDERLAY,
                                     PIPELINE_UNDERLAY_BAD_VNI),
                     "drop", "in_port=%d", tunnels[i]);
        }
    }

    /* This host's own address is no other host's: a packet that claims it
     * comes from the underlay, not from here. */
    actions = xasprintf("goto_table:%d", PT_TUNNEL_SECURITY);
    for (size_t i = 0; i < ctx->model->n_hosts; i++) {
        const struct model_host *h = ctx->model->hosts[i];

        if (h != ctx->host && h->tunnel_ip != ctx->host->tunnel_ip) {
            add_flow(ctx, PT_TUNNEL_SOURCE, 100, hosts, actions,
                     "tun_src="IP_FMT, IP_ARGS(h->tunnel_ip));
        }
    }
    free(actions);
    add_flow(ctx, PT_TUNNEL_SOURCE, 0,
             PIPELINE_COOKIE(PIPELINE_C_UNDERLAY,
                             PIPELINE_UNDERLAY_BAD_SOURCE), "drop", "%s", "");
    add_flow(ctx, PT_TUNNEL_SECURITY, 0,
             PIPELINE_COOKIE(PIPELINE_C_UNDERLAY, PIPELINE_UNDERLAY_BAD_PORT),
             "drop", "%s", "");
}

/* Frames that speak for the VMs on this host: those of the announcer's
 * port and the controller's packet-outs (in_port=CONTROLLER) go to
 * PT_ANNOUNCE, which tells by their source MAC whose they are (see
 * add_port_announce()); anything else from there is dropped. */
static void
add_announce_classify(struct pipeline_ctx *ctx)
{
    uint64_t c = PIPELINE_COOKIE(PIPELINE_C_HOST, 0);
    const struct simap_node *announcer;
    char *actions = xasprintf("goto_table:%d", PT_ANNOUNCE);

    announcer = simap_find(&ctx->ports->ifaces, PIPELINE_ANNOUNCER_IFACE_ID);
    if (announcer) {
        add_flow(ctx, PT_CLASSIFY, 100, c, actions, "in_port=%u",
                 announcer->data);
    }
    add_flow(ctx, PT_CLASSIFY, 100, c, actions, "%s", "in_port=CONTROLLER");
    free(actions);
}

/* An untagged frame: the pipeline tags for a VLAN network itself. */
#define ANNOUNCE_UNTAGGED "vlan_tci=0x0000/0x1000"

/* In PT_ANNOUNCE, a frame with source MAC 'mac' speaks for port 'p' in
 * network 'nkey': it gets the port's registers, as the VM's own ingress
 * would, and goes on to 'table', where the VM's own frame would go after
 * its checks: PT_L3 after port security and the ARP and ND answers (an
 * announcement is a broadcast or multicast that must not be answered:
 * on a VLAN network it goes out on the VLAN, on an overlay it is dropped
 * at L2), PT_L2 for an elastic IP (as after its SNAT). */
static void
add_announce(struct pipeline_ctx *ctx, uint64_t cookie,
             const struct model_port *p, uint32_t nkey, struct eth_addr mac,
             int table)
{
    char *actions = xasprintf("set_field:%#"PRIx32"->"PIPELINE_REG_SRC_PORT
                              ",set_field:%#"PRIx32"->metadata,"
                              "goto_table:%d", p->key, nkey, table);

    add_flow(ctx, PT_ANNOUNCE, 100, cookie, actions,
             "dl_src="ETH_ADDR_FMT","ANNOUNCE_UNTAGGED, ETH_ADDR_ARGS(mac));
    free(actions);
}

/* A network's flows: where its traffic comes in from other hosts and from
 * the physical network, its gateways, its default at L2. */
static void
add_network(struct pipeline_ctx *ctx, const struct model_network *net)
{
    uint32_t key = model_network_key(net);
    uint64_t c = PIPELINE_COOKIE(PIPELINE_C_NETWORK, key);
    int tunnel = tunnel_ofport(ctx, net);
    char *actions;

    /* From another host (for a VLAN network: stragglers a host forwards
     * after a move, always through VXLAN), if it is one of the model's
     * and sends for one of its ports: add_underlay(). */
    if (tunnel) {
        actions = xasprintf("set_field:%#"PRIx32"->metadata,"
                            "set_field:%#x->"PIPELINE_REG_FLAGS","
                            "goto_table:%d", key, PIPELINE_F_FROM_TUNNEL,
                            PT_TUNNEL_SOURCE);
        add_flow(ctx, PT_CLASSIFY, 100, c, actions,
                 "in_port=%d,tun_id=%#"PRIx32, tunnel, key);
        free(actions);
    }

    if (net->kind == MODEL_NET_VLAN) {
        int provider = ctx->ports->provider_ofport;

        if (!provider) {
            return;
        }
        /* From the physical network. */
        actions = xasprintf("pop_vlan,set_field:%#"PRIx32"->metadata,"
                            "set_field:%#x->"PIPELINE_REG_FLAGS","
                            "goto_table:15", key, PIPELINE_F_FROM_PROVIDER);
        add_flow(ctx, PT_CLASSIFY, 100, c, actions,
                 "in_port=%d,dl_vlan=%u", provider, net->vlan);
        free(actions);

        /* A provider network is a real L2 segment: what a local VM sends
         * to an unknown MAC (the edge router, a broadcast ARP for it) goes
         * out on the VLAN.  Never what came from the VLAN or a tunnel. */
        actions = xasprintf("push_vlan:0x8100,set_field:%u->vlan_vid,"
                            "output:%d", 4096 | net->vlan, provider);
        add_flow(ctx, PT_L2, 1, c, actions,
                 "metadata=%#"PRIx32","PIPELINE_REG_FLAGS"=0/%#x", key,
                 PIPELINE_F_FROM_PROVIDER | PIPELINE_F_FROM_TUNNEL);
        free(actions);
        return;
    }

    /* An overlay's subnets have a distributed gateway: every host answers
     * ARP and IPv6 ND for it and routes what is sent to it. */
    for (size_t i = 0; i < ctx->model->n_subnets; i++) {
        const struct model_subnet *s = ctx->model->subnets[i];

        if (s->network != net) {
            continue;
        }
        actions = arp_reply_actions(s->gateway_mac, s->gateway_ip, 0);
        add_flow(ctx, PT_ARP, 100, c, actions,
                 "metadata=%#"PRIx32",arp,arp_op=1,arp_tpa="IP_FMT, key,
                 IP_ARGS(s->gateway_ip));
        free(actions);
        add_flow(ctx, PT_L3, 100, c, "goto_table:21",
                 "metadata=%#"PRIx32",ip,dl_dst="ETH_ADDR_FMT, key,
                 ETH_ADDR_ARGS(s->gateway_mac));
        if (s->has_ipv6) {
            add_nd_answer(ctx, c, key, FROM_ANY, s->gateway_mac,
                          &s->gateway_ip6, true, 0);
            add_flow(ctx, PT_L3, 100, c, "goto_table:21",
                     "metadata=%#"PRIx32",ipv6,dl_dst="ETH_ADDR_FMT, key,
                     ETH_ADDR_ARGS(s->gateway_mac));
        }
    }
}

/* Flows that are the port's wherever it lives. */
static void
add_port(struct pipeline_ctx *ctx, const struct model_port *p)
{
    const struct model_network *net = p->subnet->network;
    uint32_t nkey = model_network_key(net);
    uint64_t c = PIPELINE_COOKIE(PIPELINE_C_PORT, p->key);
    bool vlan = net->kind == MODEL_NET_VLAN;
    char *route_actions;
    char *actions;

    /* L2: the port's MAC in its network. */
    actions = xasprintf("set_field:%#"PRIx32"->"PIPELINE_REG_DST_PORT","
                        "goto_table:40", p->key);
    add_flow(ctx, PT_L2, 100, c, actions,
             "metadata=%#"PRIx32",dl_dst="ETH_ADDR_FMT, nkey,
             ETH_ADDR_ARGS(p->mac));
    free(actions);

    /* What routing to the port does (below, for IPv4 and IPv6 alike): the
     * port's subnet's gateway sends it to the port's MAC. */
    route_actions = xasprintf("set_field:"ETH_ADDR_FMT"->eth_src,"
                              "set_field:"ETH_ADDR_FMT"->eth_dst,"
                              "dec_ttl,goto_table:30",
                              ETH_ADDR_ARGS(p->subnet->gateway_mac),
                              ETH_ADDR_ARGS(p->mac));
    for (size_t i = 0; i < p->n_ipv4; i++) {
        ovs_be32 ip = p->ipv4[i];

        /* ARP for the port's addresses, answered to local VMs.  (On a
         * VLAN network the physical network's requests are answered only
         * where the port lives: see add_location().) */
        actions = arp_reply_actions(p->mac, ip, 0);
        if (vlan) {
            add_flow(ctx, PT_ARP, 100, c, actions,
                     "metadata=%#"PRIx32","PIPELINE_REG_FLAGS"=0/%#x,arp,"
                     "arp_op=1,arp_tpa="IP_FMT, nkey,
                     PIPELINE_F_FROM_PROVIDER, IP_ARGS(ip));
        } else {
            add_flow(ctx, PT_ARP, 100, c, actions,
                     "metadata=%#"PRIx32",arp,arp_op=1,arp_tpa="IP_FMT,
                     nkey, IP_ARGS(ip));
        }
        free(actions);

        /* Routing to the port from another subnet of its VPC. */
        if (!vlan) {
            add_flow(ctx, PT_ROUTE, 100, c, route_actions,
                     "metadata=%#"PRIx32",ip,nw_dst="IP_FMT, nkey,
                     IP_ARGS(ip));
        }
    }
    for (size_t i = 0; i < p->n_ipv6; i++) {
        char ip6s[INET6_ADDRSTRLEN];

        /* Neighbour discovery for the port's addresses, as ARP above. */
        add_nd_answer(ctx, c, nkey, vlan ? FROM_VMS : FROM_ANY, p->mac,
                      &p->ipv6[i], false, 0);
        if (!vlan) {
            ipv6_string_mapped(ip6s, &p->ipv6[i]);
            add_flow(ctx, PT_ROUTE, 100, c, route_actions,
                     "metadata=%#"PRIx32",ipv6,ipv6_dst=%s", nkey, ip6s);
        }
    }
    free(route_actions);

    /* Ingress from the VM's interface, if it is attached here. */
    const struct simap_node *iface = port_iface(ctx, p);
    if (!iface) {
        return;
    }

    /* What the announcer and packet-outs send for the VM: wherever the VM
     * interface is (active or standby), so that a move changes nothing
     * here. */
    add_announce(ctx, c, p, nkey, p->mac, PT_L3);

    actions = xasprintf("set_field:%#"PRIx32"->"PIPELINE_REG_SRC_PORT","
                        "set_field:%#"PRIx32"->metadata,goto_table:5",
                        p->key, nkey);
    add_flow(ctx, PT_CLASSIFY, 100, c, actions, "in_port=%u", iface->data);
    const struct simap_node *incoming = port_incoming(ctx, p);
    if (incoming) {
        add_flow(ctx, PT_CLASSIFY, 100, c, actions, "in_port=%u",
                 incoming->data);
    }
    free(actions);

    /* Port security: the VM's own MAC, and its own addresses in IP and ARP
     * (ARP requests and replies alike). */
    for (size_t i = 0; i < p->n_ipv4; i++) {
        add_flow(ctx, PT_PORT_SECURITY, 100, c, "goto_table:15",
                 PIPELINE_REG_SRC_PORT"=%#"PRIx32",dl_src="ETH_ADDR_FMT
                 ",ip,nw_src="IP_FMT, p->key, ETH_ADDR_ARGS(p->mac),
                 IP_ARGS(p->ipv4[i]));
        add_flow(ctx, PT_PORT_SECURITY, 100, c, "goto_table:15",
                 PIPELINE_REG_SRC_PORT"=%#"PRIx32",dl_src="ETH_ADDR_FMT
                 ",arp,arp_sha="ETH_ADDR_FMT",arp_spa="IP_FMT, p->key,
                 ETH_ADDR_ARGS(p->mac), ETH_ADDR_ARGS(p->mac),
                 IP_ARGS(p->ipv4[i]));
    }
    /* In IPv6 its own addresses or link-local, then on to the checks of
     * neighbour discovery: a solicitation only with the VM's MAC as source
     * link-layer address (or none), an advertisement only for one of its
     * addresses and with its MAC as target link-layer address (or none). */
    for (size_t i = 0; i < p->n_ipv6; i++) {
        char buf[INET6_ADDRSTRLEN];

        ipv6_string_mapped(buf, &p->ipv6[i]);
        add_flow(ctx, PT_PORT_SECURITY, 100, c, "goto_table:11",
                 PIPELINE_REG_SRC_PORT"=%#"PRIx32",dl_src="ETH_ADDR_FMT
                 ",ipv6,ipv6_src=%s", p->key, ETH_ADDR_ARGS(p->mac), buf);
        for (int own = 0; own < 2; own++) {
            add_flow(ctx, PT_ND_SECURITY, 100, c, "goto_table:15",
                     PIPELINE_REG_SRC_PORT"=%#"PRIx32",icmp6,icmp_type=136,"
                     "icmp_code=0,nd_target=%s,nd_tll="ETH_ADDR_FMT, p->key,
                     buf, ETH_ADDR_ARGS(own ? p->mac : eth_addr_zero));
        }
    }
    if (p->n_ipv6) {
        add_flow(ctx, PT_PORT_SECURITY, 90, c, "goto_table:11",
                 PIPELINE_REG_SRC_PORT"=%#"PRIx32",dl_src="ETH_ADDR_FMT
                 ",ipv6,ipv6_src=fe80::/10", p->key, ETH_ADDR_ARGS(p->mac));
        for (int own = 0; own < 2; own++) {
            add_flow(ctx, PT_ND_SECURITY, 100, c, "goto_table:15",
                     PIPELINE_REG_SRC_PORT"=%#"PRIx32",icmp6,icmp_type=135,"
                     "icmp_code=0,nd_sll="ETH_ADDR_FMT, p->key,
                     ETH_ADDR_ARGS(own ? p->mac : eth_addr_zero));
        }
    }
}

/* In PT_TUNNEL_SECURITY, what the hosts where port 'p' lives may send
 * through a tunnel: a host where it is active or standby (a migration's
 * source and destination alike) may send as the port, and the one of the
 * two that is not this host may forward to it.  With cookie 'c' (the
 * port's location: these flows depend on where it lives, and only on the
 * set of its active and standby hosts, which a switchover does not change:
 * it only swaps them).
 *
 * As the port: from its MAC (its L2 frames: port security on its host
 * made sure of the rest), or from its addresses (what the gateway routed
 * for it: the source MAC is then a gateway's).  A VLAN port's own traffic
 * never takes a tunnel.  To the port: stragglers that one of its hosts
 * still receives for it (from remote hosts that did not learn the move
 * yet, from the physical network, an elastic IP's traffic after its DNAT)
 * and forwards to the other, whatever their source. */
static void
add_tunnel_security(struct pipeline_ctx *ctx, const struct model_port *p,
                    uint64_t c)
{
    const struct model_host *here = ctx->host;
    const struct model_host *hosts[2] = { p->active, p->standby };
    uint32_t nkey = model_network_key(p->subnet->network);

    if (p->subnet->network->kind != MODEL_NET_VLAN) {
        for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
            const struct model_host *h = hosts[i];

            if (!h || h == here || (i && h == hosts[0])) {
                continue;
            }
            add_flow(ctx, PT_TUNNEL_SECURITY, 100, c, "goto_table:30",
                     "metadata=%#"PRIx32",tun_src="IP_FMT",dl_src="
                     ETH_ADDR_FMT, nkey, IP_ARGS(h->tunnel_ip),
                     ETH_ADDR_ARGS(p->mac));
            for (size_t j = 0; j < p->n_ipv4; j++) {
                add_flow(ctx, PT_TUNNEL_SECURITY, 90, c, "goto_table:30",
                         "metadata=%#"PRIx32",tun_src="IP_FMT",ip,nw_src="
                         IP_FMT, nkey, IP_ARGS(h->tunnel_ip),
                         IP_ARGS(p->ipv4[j]));
            }
            for (size_t j = 0; j < p->n_ipv6; j++) {
                char ip6s[INET6_ADDRSTRLEN];

                ipv6_string_mapped(ip6s, &p->ipv6[j]);
                add_flow(ctx, PT_TUNNEL_SECURITY, 90, c, "goto_table:30",
                         "metadata=%#"PRIx32",tun_src="IP_FMT",ipv6,"
                         "ipv6_src=%s", nkey, IP_ARGS(h->tunnel_ip), ip6s);
            }
        }
    }

    if (hosts[0] && hosts[1] && hosts[0] != hosts[1]
        && (here == hosts[0] || here == hosts[1])) {
        const struct model_host *other = here == hosts[0] ? hosts[1]
                                                          : hosts[0];

        add_flow(ctx, PT_TUNNEL_SECURITY, 80, c, "goto_table:30",
                 "metadata=%#"PRIx32",tun_src="IP_FMT",dl_dst="ETH_ADDR_FMT,
                 nkey, IP_ARGS(other->tunnel_ip), ETH_ADDR_ARGS(p->mac));
    } else if (p->hold.phase == MODEL_HOLD_RELEASE && p->hold.host
               && p->hold.host != here && here == p->active) {
        /* After an abort the destination's hold sends back here what it
         * kept for the port, whatever its source. */
        add_flow(ctx, PT_TUNNEL_SECURITY, 80, c, "goto_table:30",
                 "metadata=%#"PRIx32",tun_src="IP_FMT",dl_dst="ETH_ADDR_FMT,
                 nkey, IP_ARGS(p->hold.host->tunnel_ip),
                 ETH_ADDR_ARGS(p->mac));
    }
}

/* The flows that say where the port lives: the only ones a move changes. */
/* The tunnel port that carries network 'net''s traffic to other hosts (a
 * VLAN network's stragglers take VXLAN), 0 if the host has none. */
static int
net_tunnel_ofport(const struct pipeline_ctx *ctx,
                  const struct model_network *net)
{
    return (net->kind == MODEL_NET_VLAN ? ctx->ports->vxlan_ofport
            : tunnel_ofport(ctx, net));
}

/* The actions that hand a frame to hold 'id' in the announcer's port
 * 'ann' as 'kind' (hold.h's hold tag: VLAN id 'id', PCP 'pcp'). */
static char *
hold_actions(uint16_t id, unsigned int pcp, unsigned int ann)
{
    return xasprintf("push_vlan:0x8100,set_field:%u->vlan_vid,"
                     "set_field:%u->vlan_pcp,output:%u", 4096 | id, pcp,
                     ann);
}

/* The host a migrating port's frames come from into its hold: its source,
 * active before the switchover and standby after it. */
static const struct model_host *
hold_source(const struct model_port *p)
{
    return p->hold.phase == MODEL_HOLD_COPY ? p->active : p->standby;
}

/* A migrating port's hold on its destination (docs/hold.md), the flows of
 * the hold's host in table 0: copies from the source into the hold, and
 * what the hold sends back (replayed: to the VM's interface; released:
 * where the port lives).  Location flows: they change with the migration's
 * steps. */
static void
add_hold(struct pipeline_ctx *ctx, const struct model_port *p, uint64_t c,
         const struct simap_node *ann, const struct simap_node *iface)
{
    const struct model_network *net = p->subnet->network;
    const struct model_host *src = hold_source(p);
    int tunnel = net_tunnel_ofport(ctx, net);
    char *actions;

    if ((p->hold.phase == MODEL_HOLD_COPY || p->hold.phase == MODEL_HOLD_HOLD)
        && src && src != ctx->host && tunnel) {
        actions = hold_actions(p->hold.id, HOLD_KIND_PCP_COPY, ann->data);
        add_flow(ctx, PT_CLASSIFY, 110, c, actions,
                 "in_port=%d,tun_id=%#x,tun_src="IP_FMT",dl_dst="ETH_ADDR_FMT,
                 tunnel, MODEL_COPY_TUNNEL_KEY, IP_ARGS(src->tunnel_ip),
                 ETH_ADDR_ARGS(p->mac));
        free(actions);
    }
    if (iface) {
        actions = xasprintf("pop_vlan,output:%u", iface->data);
        add_flow(ctx, PT_CLASSIFY, 110, c, actions,
                 "in_port=%u,dl_vlan=%u,dl_vlan_pcp=%d", ann->data,
                 p->hold.id, HOLD_PCP_REPLAY);
        free(actions);
    }
    /* The daemon's markers go straight back to it: when one comes back,
     * the switch took every frame the daemon sent before it (hold-tag.h). */
    add_flow(ctx, PT_CLASSIFY, 110, c, "in_port",
             "in_port=%u,dl_vlan=%u,dl_vlan_pcp=%d", ann->data, p->hold.id,
             HOLD_PCP_MARKER);
    actions = xasprintf("pop_vlan,set_field:%#"PRIx32"->"PIPELINE_REG_DST_PORT
                        ",set_field:%#"PRIx32"->metadata,goto_table:%d",
                        p->key, model_network_key(net), PT_LOCATION);
    add_flow(ctx, PT_CLASSIFY, 110, c, actions,
             "in_port=%u,dl_vlan=%u,dl_vlan_pcp=%d", ann->data, p->hold.id,
             HOLD_PCP_RELEASE);
    free(actions);
}

static void
add_location(struct pipeline_ctx *ctx, const struct model_port *p)
{
    const struct model_network *net = p->subnet->network;
    const struct model_host *here = ctx->host;
    uint32_t nkey = model_network_key(net);
    uint64_t c = PIPELINE_COOKIE(PIPELINE_C_LOCATION, p->key);
    const struct simap_node *iface = port_live_iface(ctx, p);
    const struct simap_node *ifaces[2] = { port_iface(ctx, p),
                                           port_incoming(ctx, p) };
    bool active = p->active == here;
    const struct simap_node *ann = NULL;
    char *actions;

    add_tunnel_security(ctx, p, c);
    if (p->hold.phase != MODEL_HOLD_NONE && p->hold.host == here) {
        ann = simap_find(&ctx->ports->ifaces, PIPELINE_ANNOUNCER_IFACE_ID);
        if (ann) {
            add_hold(ctx, p, c, ann, iface);
        }
    }

    /* Admission: a VM interface's ingress is open only where the port is
     * active, and there only on the interface it lives on (a standby
     * destination's VM must not talk yet; a source's paused VM cannot). */
    for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++) {
        if (ifaces[i]) {
            add_flow(ctx, PT_ADMISSION, 100, c,
                     active && ifaces[i] == iface ? "goto_table:10" : "drop",
                     PIPELINE_REG_SRC_PORT"=%#"PRIx32",in_port=%u", p->key,
                     ifaces[i]->data);
        }
    }
    if (p->draining == here && ifaces[0]) {
        /* Drain: from prepare until the VM runs at the destination, the
         * source's VM interface may send whatever the admission flow says:
         * after the switchover the VM is paused, and what its interface
         * still delivers was sent before it stopped (a switch that had not
         * taken it in yet at the flip would drop it).  Set at prepare, so
         * that the switchover does not touch it. */
        add_flow(ctx, PT_ADMISSION, 105, c, "goto_table:10",
                 PIPELINE_REG_SRC_PORT"=%#"PRIx32",in_port=%u", p->key,
                 ifaces[0]->data);
    }
    if (ann && iface && (p->hold.phase == MODEL_HOLD_COPY
                         || p->hold.phase == MODEL_HOLD_HOLD)) {
        /* Early egress: the destination of a migration with a hold lets
         * the VM's interface send before the switchover, so that a VM that
         * resumes before the switchover is confirmed (the ungated hook,
         * libvirt) loses nothing it sends.  A VMM runs the guest on one
         * side at a time.  Its own priority: the admission flow at 100
         * still says where the port lives (pipeline_admission_read()).
         * It stays while the port holds, so that the switchover does not
         * touch it. */
        add_flow(ctx, PT_ADMISSION, 105, c, "goto_table:10",
                 PIPELINE_REG_SRC_PORT"=%#"PRIx32",in_port=%u", p->key,
                 iface->data);
        /* The VM's RARP (QEMU's announcement as it resumes here) also
         * tells the hold that the VM runs: an armed hold replays at once
         * (hold-tag.h). */
        actions = xasprintf("push_vlan:0x8100,set_field:%u->vlan_vid,"
                            "set_field:%d->vlan_pcp,output:%u,pop_vlan,"
                            "goto_table:10", 4096 | p->hold.id,
                            HOLD_PCP_VM_RUNS, ann->data);
        add_flow(ctx, PT_ADMISSION, 106, c, actions,
                 PIPELINE_REG_SRC_PORT"=%#"PRIx32",in_port=%u,rarp", p->key,
                 iface->data);
        free(actions);
    }

    /* Location: deliver here, or send to where the port is active. */
    if (active && ann && p->hold.phase == MODEL_HOLD_HOLD) {
        /* Into the hold until the VM runs here: what the source forwards,
         * then what comes straight from elsewhere. */
        const struct model_host *src = hold_source(p);

        if (src && src != here) {
            actions = hold_actions(p->hold.id, HOLD_KIND_PCP_FORWARDED,
                                   ann->data);
            add_flow(ctx, PT_LOCATION, 110, c, actions,
                     PIPELINE_REG_DST_PORT"=%#"PRIx32",tun_src="IP_FMT,
                     p->key, IP_ARGS(src->tunnel_ip));
            free(actions);
        }
        actions = hold_actions(p->hold.id, HOLD_KIND_PCP_DIRECT, ann->data);
        add_flow(ctx, PT_LOCATION, 100, c, actions,
                 PIPELINE_REG_DST_PORT"=%#"PRIx32, p->key);
        free(actions);
    } else if (active) {
        int copy = (p->hold.phase == MODEL_HOLD_COPY && p->hold.host
                    && p->hold.host != here
                    ? net_tunnel_ofport(ctx, net) : 0);

        if (iface && copy) {
            /* Delivered here, and copied to the hold on the destination
             * (with the copies' tunnel key: docs/hold.md). */
            actions = xasprintf("output:%u,set_field:0->in_port,"
                                "set_field:"IP_FMT"->tun_dst,"
                                "set_field:%#x->tun_id,output:%d",
                                iface->data,
                                IP_ARGS(p->hold.host->tunnel_ip),
                                MODEL_COPY_TUNNEL_KEY, copy);
        } else if (iface) {
            actions = xasprintf("output:%u", iface->data);
        } else {
            /* Active here, but its interface is not attached (yet). */
            actions = xstrdup("drop");
        }
        add_flow(ctx, PT_LOCATION, 100, c, actions,
                 PIPELINE_REG_DST_PORT"=%#"PRIx32, p->key);
        free(actions);
    } else if (p->active) {
        int tunnel = net_tunnel_ofport(ctx, net);

        /* Through a tunnel: for an overlay always; for a VLAN network what
         * came from the physical network (a switch that has not learned
         * the move yet: sending it back there could loop). */
        actions = tunnel
            ? xasprintf("set_field:0->in_port,"
                        "set_field:"IP_FMT"->tun_dst,"
                        "set_field:%#"PRIx32"->tun_id,output:%d",
                        IP_ARGS(p->active->tunnel_ip), nkey, tunnel)
            : xstrdup("drop");
        if (net->kind == MODEL_NET_VLAN) {
            add_flow(ctx, PT_LOCATION, 110, c, actions,
                     PIPELINE_REG_DST_PORT"=%#"PRIx32","PIPELINE_REG_FLAGS
                     "=%#x/%#x", p->key, PIPELINE_F_FROM_PROVIDER,
                     PIPELINE_F_FROM_PROVIDER);
            free(actions);
            actions = ctx->ports->provider_ofport
                ? xasprintf("push_vlan:0x8100,set_field:%u->vlan_vid,"
                            "output:%d", 4096 | net->vlan,
                            ctx->ports->provider_ofport)
                : xstrdup("drop");
        }
        add_flow(ctx, PT_LOCATION, 100, c, actions,
                 PIPELINE_REG_DST_PORT"=%#"PRIx32, p->key);
        free(actions);
    } else {
        add_flow(ctx, PT_LOCATION, 100, c, "drop",
                 PIPELINE_REG_DST_PORT"=%#"PRIx32, p->key);
    }

    /* The physical network's ARP and ND for a VLAN port's addresses, and
     * ARP for the elastic IPs mapped to the port, are answered by the
     * port's active host only: the physical switch learns the answer's MAC
     * where it came from. */
    if (!active) {
        return;
    }
    if (net->kind == MODEL_NET_VLAN) {
        for (size_t i = 0; i < p->n_ipv4; i++) {
            actions = arp_reply_actions(p->mac, p->ipv4[i], net->vlan);
            add_flow(ctx, PT_ARP, 100, c, actions,
                     "metadata=%#"PRIx32","PIPELINE_REG_FLAGS"=%#x/%#x,arp,"
                     "arp_op=1,arp_tpa="IP_FMT, nkey,
                     PIPELINE_F_FROM_PROVIDER, PIPELINE_F_FROM_PROVIDER,
                     IP_ARGS(p->ipv4[i]));
            free(actions);
        }
        for (size_t i = 0; i < p->n_ipv6; i++) {
            add_nd_answer(ctx, c, nkey, FROM_PROVIDER, p->mac, &p->ipv6[i],
                          false, net->vlan);
        }
    }
    for (size_t i = 0; i < p->n_eips; i++) {
        const struct model_eip *e = p->eips[i];

        actions = arp_reply_actions(e->mac, e->addr, e->network->vlan);
        add_flow(ctx, PT_ARP, 100, c, actions,
                 "metadata=%#"PRIx32","PIPELINE_REG_FLAGS"=%#x/%#x,arp,"
                 "arp_op=1,arp_tpa="IP_FMT, model_network_key(e->network),
                 PIPELINE_F_FROM_PROVIDER, PIPELINE_F_FROM_PROVIDER,
                 IP_ARGS(e->addr));
        free(actions);
    }
}

/* Elastic IP 1:1 NAT, on every host: inbound from the physical network to
 * the port's private address (then delivered wherever the port lives), and
 * outbound from the port to outside its VPC with the elastic IP as
 * source. */
static void
add_eip(struct pipeline_ctx *ctx, const struct model_eip *e)
{
    const struct model_port *p = e->port;
    const struct model_subnet *provider_subnet;
    uint64_t c = PIPELINE_COOKIE(PIPELINE_C_EIP, ntohl(e->addr));
    uint32_t pkey = model_network_key(e->network);
    uint32_t nkey;
    char *actions;

    if (!p || p->subnet->network->kind == MODEL_NET_VLAN) {
        return;
    }
    nkey = model_network_key(p->subnet->network);

    /* VMs on the provider network itself get the elastic IP's ARP answer
     * from their own host (the physical network's requests are answered
     * only where the port lives: see add_location()). */
    actions = arp_reply_actions(e->mac, e->addr, 0);
    add_flow(ctx, PT_ARP, 100, c, actions,
             "metadata=%#"PRIx32","PIPELINE_REG_FLAGS"=0/%#x,arp,arp_op=1,"
             "arp_tpa="IP_FMT, pkey, PIPELINE_F_FROM_PROVIDER,
             IP_ARGS(e->addr));
    free(actions);

    actions = xasprintf("set_field:"IP_FMT"->ip_dst,"
                        "set_field:"ETH_ADDR_FMT"->eth_src,"
                        "set_field:"ETH_ADDR_FMT"->eth_dst,dec_ttl,"
                        "set_field:%#"PRIx32"->metadata,goto_table:30",
                        IP_ARGS(e->private_ip),
                        ETH_ADDR_ARGS(p->subnet->gateway_mac),
                        ETH_ADDR_ARGS(p->mac), nkey);
    add_flow(ctx, PT_L3, 110, c, actions,
             "metadata=%#"PRIx32",ip,nw_dst="IP_FMT, pkey, IP_ARGS(e->addr));
    free(actions);

    /* Every host does that DNAT for its own VMs on the provider network:
     * what it sends the port after it, through a tunnel, is taken from any
     * host of the model (PT_TUNNEL_SOURCE), whatever its source address:
     * the elastic IP is open to the physical network anyway. */
    add_flow(ctx, PT_TUNNEL_SECURITY, 70, c, "goto_table:30",
             "metadata=%#"PRIx32",ip,dl_src="ETH_ADDR_FMT",dl_dst="
             ETH_ADDR_FMT",nw_dst="IP_FMT, nkey,
             ETH_ADDR_ARGS(p->subnet->gateway_mac), ETH_ADDR_ARGS(p->mac),
             IP_ARGS(e->private_ip));

    /* What the announcer sends for the elastic IP (its own MAC, on the
     * provider VLAN) where the port's VM interface is. */
    if (port_iface(ctx, p)) {
        add_announce(ctx, c, p, pkey, e->mac, PT_L2);
    }

    /* Outbound goes to the provider subnet's gateway (the edge router). */
    provider_subnet = model_subnet_for_ip(ctx->model, e->network, e->addr);
    if (!provider_subnet) {
        return;
    }
    actions = xasprintf("set_field:"IP_FMT"->ip_src,"
                        "set_field:"ETH_ADDR_FMT"->eth_src,"
                        "set_field:"ETH_ADDR_FMT"->eth_dst,dec_ttl,"
                        "set_field:%#"PRIx32"->metadata,goto_table:30",
                        IP_ARGS(e->addr), ETH_ADDR_ARGS(e->mac),
                        ETH_ADDR_ARGS(provider_subnet->gateway_mac), pkey);
    add_flow(ctx, PT_ROUTE, 50, c, actions,
             "metadata=%#"PRIx32","PIPELINE_REG_SRC_PORT"=%#"PRIx32","
             "ip,nw_src="IP_FMT, nkey, p->key, IP_ARGS(e->private_ip));
    free(actions);
}

#define PIPELINE_CTX_INITIALIZER(MODEL, HOST, PORTS, FLOWS) \
    { .model = MODEL, .host = HOST, .ports = PORTS, .flows = FLOWS }

size_t
pipeline_compute(const struct model *model, const struct model_host *host,
                 const struct pipeline_ports *ports,
                 struct of_flow_set *flows)
{
    struct pipeline_ctx ctx = PIPELINE_CTX_INITIALIZER(model, host, ports,
                                                       flows);

    add_defaults(&ctx);
    add_underlay(&ctx);
    add_announce_classify(&ctx);
    for (size_t i = 0; i < model->n_networks; i++) {
        add_network(&ctx, model->networks[i]);
    }
    for (size_t i = 0; i < model->n_ports; i++) {
        add_port(&ctx, model->ports[i]);
        add_location(&ctx, model->ports[i]);
    }
    for (size_t i = 0; i < model->n_eips; i++) {
        add_eip(&ctx, model->eips[i]);
    }
    return ctx.n_conflicts;
}

size_t
pipeline_compute_port(const struct model *model,
                      const struct model_host *host,
                      const struct pipeline_ports *ports,
                      const struct model_port *port,
                      struct of_flow_set *flows)
{
    struct pipeline_ctx ctx = PIPELINE_CTX_INITIALIZER(model, host, ports,
                                                       flows);

    add_port(&ctx, port);
    add_location(&ctx, port);
    return ctx.n_conflicts;
}

/* Whether flow 'f' matches exactly on in_port 'ofport'. */
static bool
matches_in_port(const struct of_flow *f, unsigned int ofport)
{
    struct match m;

    minimatch_expand(&f->parsed->match, &m);
    return (m.wc.masks.in_port.ofp_port == u16_to_ofp(UINT16_MAX)
            && m.flow.in_port.ofp_port == u16_to_ofp(ofport));
}

/* Whether flow 'f' continues the pipeline (has a goto_table). */
static bool
continues(const struct of_flow *f)
{
    const struct ofpact *a;

    OFPACT_FOR_EACH (a, f->parsed->ofpacts, f->parsed->ofpacts_len) {
        if (a->type == OFPACT_GOTO_TABLE) {
            return true;
        }
    }
    return false;
}

enum pipeline_admission
pipeline_admission_read(const struct of_flow_set *readback,
                        uint32_t port_key, unsigned int ofport)
{
    uint64_t cookie = PIPELINE_COOKIE(PIPELINE_C_LOCATION, port_key);
    enum pipeline_admission state = PIPELINE_ADMISSION_UNKNOWN;
    const struct of_flow *f;

    OF_FLOW_SET_FOR_EACH_WITH_COOKIE (f, cookie, readback) {
        if (f->table == PT_ADMISSION && f->priority == 100
            && (!ofport || matches_in_port(f, ofport))) {
            /* An open admission continues the pipeline; a closed one
             * drops (pipeline_compute_port()'s location flows). */
            state = (continues(f) ? PIPELINE_ADMISSION_OPEN
                     : PIPELINE_ADMISSION_CLOSED);
        }
    }
    return state;
}
