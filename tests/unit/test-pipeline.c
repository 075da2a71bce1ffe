/* Unit tests for the pipeline (datapath/pipeline.c) and flow sets: the flows
 * a host gets from a model, isolation between VPCs, port security only where
 * a VM is attached, IPv6 neighbour discovery and routing, and the property
 * the whole project rests on: moving a port changes only its location flows,
 * O(1) per host whatever the number of ports.  Some tests look packets up in
 * the computed flows, parsed by libopenvswitch as the switch parses them. */

#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow-set.h"
#include "model.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "flow.h"
#include "openvswitch/ofp-flow.h"
#include "packets.h"
#include "pipeline.h"
#include "sset.h"
#include "util.h"

#define VXLAN 100
#define GENEVE 101
#define PROVIDER 200
#define ANNOUNCER 300

/* The lab's world: 3 hosts, VPC vpc1 (VXLAN 1001: subnets web and db),
 * VPC vpc2 (Geneve 1002: subnet app, overlapping web), provider VLAN 100
 * (subnet public), ports vm1 (web, h1), vm2 (db, h2), vm3 (app, h3), vm4
 * (public, h1), elastic IP 203.0.113.10 on vm1.  Every subnet and port has
 * an IPv6 address too (app and vm3 overlap web and vm1 again).  'extra' more
 * ports in web, spread over the hosts. */
struct world {
    struct model m;
    struct model_host *h[3];
    struct model_port *vm1, *vm2, *vm3, *vm4;
};

static void
must(const void *p, char *error)
{
    if (!p) {
        fail_msg("model: %s", error);
    }
}

static void
world_init(struct world *w, size_t extra)
{
    struct model_network *vpc1, *vpc2, *prov;
    struct model_subnet *web, *db, *app, *pub;
    char *error = NULL;
    const char *ips[2];

    model_init(&w->m);
    for (int i = 0; i < 3; i++) {
        char name[8], tip[32];

        snprintf(name, sizeof name, "h%d", i + 1);
        snprintf(tip, sizeof tip, "172.16.0.%d", 11 + i);
        must(w->h[i] = model_add_host(&w->m, name, tip, &error), error);
    }
    must(vpc1 = model_add_network(&w->m, "vpc1", MODEL_NET_VXLAN, 1001,
                                  &error), error);
    must(vpc2 = model_add_network(&w->m, "vpc2", MODEL_NET_GENEVE, 1002,
                                  &error), error);
    must(prov = model_add_network(&w->m, "provider", MODEL_NET_VLAN, 100,
                                  &error), error);
    must(web = model_add_subnet(&w->m, vpc1, "web", "10.0.0.0/24",
                                "10.0.0.1", "02:00:00:00:01:01", &error),
         error);
    must(db = model_add_subnet(&w->m, vpc1, "db", "10.0.1.0/24", "10.0.1.1",
                               "02:00:00:00:01:02", &error), error);
    must(app = model_add_subnet(&w->m, vpc2, "app", "10.0.0.0/24",
                                "10.0.0.1", "02:00:00:00:02:01", &error),
         error);
    must(pub = model_add_subnet(&w->m, prov, "public", "203.0.113.0/24",
                                "203.0.113.1", "02:00:cb:00:71:01", &error),
         error);
    assert_int_equal(model_subnet_set_ipv6(web, "fd00:0:0:1::/64",
                                           "fd00:0:0:1::1", &error), 0);
    assert_int_equal(model_subnet_set_ipv6(db, "fd00:0:0:2::/64",
                                           "fd00:0:0:2::1", &error), 0);
    assert_int_equal(model_subnet_set_ipv6(app, "fd00:0:0:1::/64",
                                           "fd00:0:0:1::1", &error), 0);
    assert_int_equal(model_subnet_set_ipv6(pub, "2001:db8:cafe::/64",
                                           "2001:db8:cafe::1", &error), 0);
    ips[0] = "10.0.0.5";
    ips[1] = "fd00:0:0:1::5";
    must(w->vm1 = model_add_port(&w->m, web, "vm1", 1, "02:00:0a:00:00:01",
                                 ips, 2, w->h[0], &error), error);
    ips[0] = "10.0.1.5";
    ips[1] = "fd00:0:0:2::5";
    must(w->vm2 = model_add_port(&w->m, db, "vm2", 2, "02:00:0a:00:01:02",
                                 ips, 2, w->h[1], &error), error);
    ips[0] = "10.0.0.5";
    ips[1] = "fd00:0:0:1::5";
    must(w->vm3 = model_add_port(&w->m, app, "vm3", 3, "02:00:0a:00:02:03",
                                 ips, 2, w->h[2], &error), error);
    ips[0] = "203.0.113.50";
    ips[1] = "2001:db8:cafe::50";
    must(w->vm4 = model_add_port(&w->m, pub, "vm4", 4, "02:00:cb:00:71:04",
                                 ips, 2, w->h[0], &error), error);
    must(model_add_eip(&w->m, prov, "203.0.113.10", "02:00:cb:00:71:0a",
                       w->vm1, NULL, &error), error);
    for (size_t i = 0; i < extra; i++) {
        char name[16], mac[32], addr[32], addr6[32];

        snprintf(name, sizeof name, "x%"PRIuSIZE, i);
        snprintf(mac, sizeof mac, "02:00:0b:00:%02x:%02x",
                 (unsigned) (i >> 8), (unsigned) (i & 0xff));
        snprintf(addr, sizeof addr, "10.0.0.%"PRIuSIZE, 10 + i % 240);
        snprintf(addr6, sizeof addr6, "fd00:0:0:1::%"PRIxSIZE, 0x1000 + i);
        /* Keep addresses unique: extra ports beyond 240 have only an IPv6
         * address. */
        ips[0] = i < 240 ? addr : addr6;
        ips[1] = addr6;
        must(model_add_port(&w->m, web, name, 100 + i, mac, ips,
                            i < 240 ? 2 : 1, w->h[i % 3], &error), error);
    }
}

/* The ports host 'h' has: every port whose active or standby host it is
 * has its VM interface attached, numbered 1, 2, ... */
static void
world_ports(const struct world *w, const struct model_host *h,
            struct pipeline_ports *ports)
{
    unsigned int ofport = 1;

    pipeline_ports_init(ports);
    ports->vxlan_ofport = VXLAN;
    ports->geneve_ofport = GENEVE;
    ports->provider_ofport = PROVIDER;
    simap_put(&ports->ifaces, PIPELINE_ANNOUNCER_IFACE_ID, ANNOUNCER);
    for (size_t i = 0; i < w->m.n_ports; i++) {
        const struct model_port *p = w->m.ports[i];

        if (p->active == h || p->standby == h) {
            simap_put(&ports->ifaces, p->name, ofport++);
        }
    }
}

/* Computes host 'h''s flows in 'w' into 'flows'. */
static void
compute(const struct world *w, const struct model_host *h,
        struct of_flow_set *flows)
{
    struct pipeline_ports ports;

    world_ports(w, h, &ports);
    of_flow_set_init(flows);
    assert_int_equal(pipeline_compute(&w->m, h, &ports, flows), 0);
    pipeline_ports_destroy(&ports);
}

static void
assert_flow(const struct of_flow_set *flows, uint8_t table,
            uint16_t priority, const char *match, const char *actions)
{
    const struct of_flow *f = of_flow_set_find(flows, table, priority, match);

    if (!f) {
        fail_msg("no flow table=%u,priority=%u,%s", table, priority, match);
    }
    if (actions && strcmp(of_flow_actions_text(f), actions)) {
        fail_msg("flow table=%u,priority=%u,%s has actions\n  %s\n"
                 "expected\n  %s", table, priority, match,
                 of_flow_actions_text(f),
                 actions);
    }
}

static void
assert_no_flow(const struct of_flow_set *flows, uint8_t table,
               uint16_t priority, const char *match)
{
    if (of_flow_set_find(flows, table, priority, match)) {
        fail_msg("unexpected flow table=%u,priority=%u,%s", table, priority,
                 match);
    }
}

/* Fails if 'flows' has any flow in 'table' with 'cookie'. */
static void
assert_no_cookie(const struct of_flow_set *flows, uint8_t table,
                 uint64_t cookie)
{
    const struct of_flow *f;

    HMAP_FOR_EACH (f, node, &flows->flows) {
        if (f->table == table && f->cookie == cookie) {
            fail_msg("unexpected flow table=%u,%s with cookie %#"PRIx64,
                     table, of_flow_match_text(f), cookie);
        }
    }
}

/* Parses 'f' as the switch would (actions checked against the match);
 * fails the test if it does not parse.  The caller must destroy
 * 'fm->match' and free 'fm->ofpacts'. */
static void
parse_flow(const struct of_flow *f, struct ofputil_flow_mod *fm)
{
    enum ofputil_protocol usable;
    struct ds s = DS_EMPTY_INITIALIZER;
    char *error;

    of_flow_format(f, &s);
    error = parse_ofp_flow_mod_str(fm, ds_cstr(&s), NULL, NULL, OFPFC_ADD,
                                   &usable);
    if (error) {
        fail_msg("flow does not parse (%s): %s", error, ds_cstr(&s));
    }
    ds_destroy(&s);
}

/* The flow of 'flows' in 'table' that packet 'pkt' hits: the one of the
 * highest priority that matches (flows of one priority must not overlap),
 * or NULL. */
static const struct of_flow *
lookup(const struct of_flow_set *flows, uint8_t table, const struct flow *pkt)
{
    const struct of_flow *best = NULL, *f;

    HMAP_FOR_EACH (f, node, &flows->flows) {
        struct ofputil_flow_mod fm;

        if (f->table != table || (best && f->priority < best->priority)) {
            continue;
        }
        parse_flow(f, &fm);
        if (minimatch_matches_flow(&fm.match, pkt)) {
            if (best && best->priority == f->priority) {
                fail_msg("two flows of priority %u in table %u match: %s "
                         "and %s", f->priority, table,
                         of_flow_match_text(best), of_flow_match_text(f));
            }
            best = f;
        }
        minimatch_destroy(&fm.match);
        free(CONST_CAST(struct ofpact *, fm.ofpacts));
    }
    return best;
}

/* Asserts that 'pkt' hits a flow in 'table' with actions 'actions'. */
static void
assert_lookup(const struct of_flow_set *flows, uint8_t table,
              const struct flow *pkt, const char *actions)
{
    const struct of_flow *f = lookup(flows, table, pkt);

    if (!f) {
        fail_msg("no flow in table %u for the packet", table);
    }
    if (strcmp(of_flow_actions_text(f), actions)) {
        fail_msg("the packet hits table=%u,priority=%u,%s with actions\n"
                 "  %s\nexpected\n  %s", table, f->priority,
                 of_flow_match_text(f),
                 of_flow_actions_text(f), actions);
    }
}

/* An ICMPv6 neighbour discovery packet ('type' 135 or 136) from port 'p'
 * (reg7, its MAC), from 'src' about 'target', with link-layer address 'lla'
 * (source for a solicitation, target for an advertisement). */
static struct flow
nd_packet(const struct model_port *p, const char *src, int type,
          const char *target, const char *lla)
{
    struct flow f;

    memset(&f, 0, sizeof f);
    f.regs[7] = p->key;
    f.metadata = htonll(model_network_key(p->subnet->network));
    f.dl_src = p->mac;
    f.dl_type = htons(ETH_TYPE_IPV6);
    f.nw_proto = IPPROTO_ICMPV6;
    f.nw_ttl = 255;
    f.tp_src = htons(type);
    assert_true(ipv6_parse(src, &f.ipv6_src));
    assert_true(ipv6_parse(target, &f.nd_target));
    assert_true(eth_addr_from_string(lla, type == 135 ? &f.arp_sha
                                                      : &f.arp_tha));
    return f;
}

/* Where 'pkt' goes through 'flows' from table 'table': follows goto_table,
 * applying set_field to 'pkt' on the way (registers and metadata: enough
 * for the tables a packet crosses before L2 and location), and returns the
 * last flow it hits. */
static const struct of_flow *
walk_to(const struct of_flow_set *flows, uint8_t table, struct flow *pkt)
{
    for (int hops = 0; hops < 16; hops++) {
        const struct of_flow *f = lookup(flows, table, pkt);
        struct ofputil_flow_mod fm;
        const struct ofpact *a;
        int next = -1;

        if (!f) {
            fail_msg("no flow in table %u for the packet", table);
        }
        parse_flow(f, &fm);
        OFPACT_FOR_EACH (a, fm.ofpacts, fm.ofpacts_len) {
            if (a->type == OFPACT_SET_FIELD) {
                const struct ofpact_set_field *sf = ofpact_get_SET_FIELD(a);

                mf_set_flow_value(sf->field, sf->value, pkt);
            } else if (a->type == OFPACT_GOTO_TABLE) {
                next = ofpact_get_GOTO_TABLE(a)->table_id;
            }
        }
        minimatch_destroy(&fm.match);
        free(CONST_CAST(struct ofpact *, fm.ofpacts));
        if (next < 0) {
            return f;
        }
        table = next;
    }
    fail_msg("a packet loops through the tables");
    return NULL;
}

/* The actions of the last flow 'pkt' hits from 'table' (walk_to()). */
static const char *
walk(const struct of_flow_set *flows, uint8_t table, struct flow *pkt)
{
    return of_flow_actions_text(walk_to(flows, table, pkt));
}

/* A broadcast from 'mac' as the announcer sends it (a RARP) into port
 * 'in_port' of br-int. */
static struct flow
announce_packet(ofp_port_t in_port, struct eth_addr mac)
{
    struct flow f;

    memset(&f, 0, sizeof f);
    f.in_port.ofp_port = in_port;
    f.dl_src = mac;
    f.dl_dst = eth_addr_broadcast;
    f.dl_type = htons(ETH_TYPE_RARP);
    return f;
}

/* The announcer's frames and the controller's packet-outs leave as the
 * VMs' own: on the provider VLAN tagged, on an overlay nowhere; nothing for
 * a MAC that is not a VM's on this host. */
static void
test_announcer(void **state OVS_UNUSED)
{
    static const char *vlan_out =
        "push_vlan:0x8100,set_field:4196->vlan_vid,output:200";
    struct eth_addr eip_mac, stranger;
    struct of_flow_set f1, f2;
    struct flow pkt;

    struct world w;

    world_init(&w, 0);
    compute(&w, w.h[0], &f1);
    compute(&w, w.h[1], &f2);
    assert_true(eth_addr_from_string("02:00:cb:00:71:0a", &eip_mac));
    assert_true(eth_addr_from_string("02:00:0a:00:00:99", &stranger));

    /* Golden: into the announcement table from the announcer's port and
     * from the controller; there, by source MAC, the port's registers. */
    assert_flow(&f1, PT_CLASSIFY, 100, "in_port=300", "goto_table:2");
    assert_flow(&f1, PT_CLASSIFY, 100, "in_port=CONTROLLER", "goto_table:2");
    assert_flow(&f1, PT_ANNOUNCE, 0, "", "drop");
    assert_flow(&f1, PT_ANNOUNCE, 100,
                "dl_src=02:00:cb:00:71:04,vlan_tci=0x0000/0x1000",
                "set_field:0x4->reg7,set_field:0xfff064->metadata,"
                "goto_table:20");
    assert_flow(&f1, PT_ANNOUNCE, 100,
                "dl_src=02:00:0a:00:00:01,vlan_tci=0x0000/0x1000",
                "set_field:0x1->reg7,set_field:0x3e9->metadata,"
                "goto_table:20");
    /* The elastic IP's own MAC, on the provider network, as after SNAT. */
    assert_flow(&f1, PT_ANNOUNCE, 100,
                "dl_src=02:00:cb:00:71:0a,vlan_tci=0x0000/0x1000",
                "set_field:0x1->reg7,set_field:0xfff064->metadata,"
                "goto_table:30");
    assert_true(PIPELINE_COOKIE_CLASS(of_flow_set_find(
                    &f1, PT_ANNOUNCE, 100,
                    "dl_src=02:00:0a:00:00:01,vlan_tci=0x0000/0x1000")
                    ->cookie) == PIPELINE_C_PORT);
    /* Only for the VMs attached here: vm2 lives on h2. */
    assert_no_flow(&f1, PT_ANNOUNCE, 100,
                   "dl_src=02:00:0a:00:01:02,vlan_tci=0x0000/0x1000");
    assert_flow(&f2, PT_ANNOUNCE, 100,
                "dl_src=02:00:0a:00:01:02,vlan_tci=0x0000/0x1000", NULL);
    assert_no_flow(&f2, PT_ANNOUNCE, 100,
                   "dl_src=02:00:cb:00:71:0a,vlan_tci=0x0000/0x1000");

    /* Walked through the tables: vm4 (provider VLAN) and the elastic IP
     * go out tagged on the VLAN, and only there; vm1 (an overlay) goes
     * nowhere: nothing learns on an overlay. */
    pkt = announce_packet(u16_to_ofp(ANNOUNCER), w.vm4->mac);
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), vlan_out);
    assert_int_equal(pkt.regs[7], 4);
    pkt = announce_packet(u16_to_ofp(ANNOUNCER), eip_mac);
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), vlan_out);
    pkt = announce_packet(OFPP_CONTROLLER, w.vm4->mac);
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), vlan_out);
    pkt = announce_packet(u16_to_ofp(ANNOUNCER), w.vm1->mac);
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), "drop");
    /* A gratuitous ARP for vm4's address is not answered back. */
    pkt = announce_packet(u16_to_ofp(ANNOUNCER), w.vm4->mac);
    pkt.dl_type = htons(ETH_TYPE_ARP);
    pkt.nw_proto = 1;
    pkt.nw_src = pkt.nw_dst = w.vm4->ipv4[0];
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), vlan_out);

    /* Anything else from there goes nowhere: an unknown MAC, a VM's MAC
     * on a host where the VM is not, a tagged frame. */
    pkt = announce_packet(u16_to_ofp(ANNOUNCER), stranger);
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), "drop");
    pkt = announce_packet(OFPP_CONTROLLER, stranger);
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), "drop");
    pkt = announce_packet(u16_to_ofp(ANNOUNCER), w.vm2->mac);
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), "drop");
    pkt = announce_packet(u16_to_ofp(ANNOUNCER), w.vm4->mac);
    pkt.vlans[0].tci = htons(VLAN_CFI | 100);
    pkt.vlans[0].tpid = htons(ETH_TYPE_VLAN);
    assert_string_equal(walk(&f1, PT_CLASSIFY, &pkt), "drop");

    /* Every flow of every host: whatever comes from the announcer or the
     * controller either is dropped in PT_ANNOUNCE or becomes one VM's. */
    for (int h = 0; h < 3; h++) {
        struct of_flow_set f;
        const struct of_flow *flow;

        compute(&w, w.h[h], &f);
        HMAP_FOR_EACH (flow, node, &f.flows) {
            if (flow->table == PT_CLASSIFY
                && (strstr(of_flow_match_text(flow), "in_port=300")
                    || strstr(of_flow_match_text(flow),
                              "in_port=CONTROLLER"))) {
                assert_string_equal(of_flow_actions_text(flow),
                                    "goto_table:2");
            }
            if (flow->table == PT_ANNOUNCE && flow->priority) {
                assert_non_null(strstr(of_flow_match_text(flow), "dl_src="));
                assert_non_null(strstr(of_flow_actions_text(flow), "->reg7,"));
            }
        }
        of_flow_set_destroy(&f);
    }

    of_flow_set_destroy(&f1);
    of_flow_set_destroy(&f2);
    model_destroy(&w.m);
}

/* A port of the model that bears the announcer's iface-id never takes
 * the announcer's interface as its own. */
static void
test_announcer_name_reserved(void **state OVS_UNUSED)
{
    struct world w;
    struct of_flow_set f;
    char *error = NULL;
    const char *ip = "10.0.0.98";

    struct pipeline_ports ports;

    world_init(&w, 0);
    must(model_add_port(&w.m, w.vm1->subnet, PIPELINE_ANNOUNCER_IFACE_ID,
                        78, "02:00:0a:00:00:98", &ip, 1, w.h[0], &error),
         error);
    world_ports(&w, w.h[0], &ports);
    simap_put(&ports.ifaces, PIPELINE_ANNOUNCER_IFACE_ID, ANNOUNCER);
    of_flow_set_init(&f);
    assert_int_equal(pipeline_compute(&w.m, w.h[0], &ports, &f), 0);
    pipeline_ports_destroy(&ports);
    assert_flow(&f, PT_CLASSIFY, 100, "in_port=300", "goto_table:2");
    assert_no_flow(&f, PT_ANNOUNCE, 100,
                   "dl_src=02:00:0a:00:00:98,vlan_tci=0x0000/0x1000");
    assert_no_cookie(&f, PT_ADMISSION,
                     PIPELINE_COOKIE(PIPELINE_C_LOCATION, 0x4e));
    assert_flow(&f, PT_LOCATION, 100, "reg5=0x4e", "drop");
    of_flow_set_destroy(&f);
    model_destroy(&w.m);
}

static void
test_flows_of_h1(void **state OVS_UNUSED)
{
    struct world w;
    struct of_flow_set f;

    world_init(&w, 0);
    compute(&w, w.h[0], &f);

    /* vm1 comes in on ofport 1, into vpc1 (metadata 0x3e9). */
    assert_flow(&f, PT_CLASSIFY, 100, "in_port=1",
                "set_field:0x1->reg7,set_field:0x3e9->metadata,"
                "goto_table:5");
    assert_flow(&f, PT_ADMISSION, 100, "reg7=0x1,in_port=1",
                "goto_table:10");
    assert_flow(&f, PT_PORT_SECURITY, 100,
                "reg7=0x1,dl_src=02:00:0a:00:00:01,ip,nw_src=10.0.0.5",
                "goto_table:15");
    /* Tunnels in. */
    assert_flow(&f, PT_CLASSIFY, 100, "in_port=100,tun_id=0x3e9",
                "set_field:0x3e9->metadata,set_field:0x2->reg4,"
                "goto_table:1");
    assert_flow(&f, PT_CLASSIFY, 100, "in_port=101,tun_id=0x3ea", NULL);
    assert_flow(&f, PT_CLASSIFY, 100, "in_port=200,dl_vlan=100",
                "pop_vlan,set_field:0xfff064->metadata,"
                "set_field:0x1->reg4,goto_table:15");
    /* The distributed gateway. */
    assert_flow(&f, PT_ARP, 100,
                "metadata=0x3e9,arp,arp_op=1,arp_tpa=10.0.1.1",
                "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                "set_field:02:00:00:00:01:02->eth_src,set_field:2->arp_op,"
                "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
                "set_field:02:00:00:00:01:02->arp_sha,"
                "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],"
                "set_field:10.0.1.1->arp_spa,IN_PORT");
    assert_flow(&f, PT_L3, 100, "metadata=0x3e9,ip,dl_dst=02:00:00:00:01:01",
                "goto_table:21");
    /* Routing to vm2 in db, then to h2 through VXLAN. */
    assert_flow(&f, PT_ROUTE, 100, "metadata=0x3e9,ip,nw_dst=10.0.1.5",
                "set_field:02:00:00:00:01:02->eth_src,"
                "set_field:02:00:0a:00:01:02->eth_dst,dec_ttl,goto_table:30");
    assert_flow(&f, PT_L2, 100, "metadata=0x3e9,dl_dst=02:00:0a:00:01:02",
                "set_field:0x2->reg5,goto_table:40");
    assert_flow(&f, PT_LOCATION, 100, "reg5=0x1", "output:1");
    assert_flow(&f, PT_LOCATION, 100, "reg5=0x2",
                "set_field:0->in_port,set_field:172.16.0.12->tun_dst,"
                "set_field:0x3e9->tun_id,output:100");
    assert_flow(&f, PT_LOCATION, 100, "reg5=0x3",
                "set_field:0->in_port,set_field:172.16.0.13->tun_dst,"
                "set_field:0x3ea->tun_id,output:101");
    /* Elastic IP: ARP answered here (vm1 lives here), DNAT, SNAT. */
    assert_flow(&f, PT_ARP, 100,
                "metadata=0xfff064,reg4=0x1/0x1,arp,arp_op=1,"
                "arp_tpa=203.0.113.10",
                "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                "set_field:02:00:cb:00:71:0a->eth_src,set_field:2->arp_op,"
                "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
                "set_field:02:00:cb:00:71:0a->arp_sha,"
                "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],"
                "set_field:203.0.113.10->arp_spa,"
                "push_vlan:0x8100,set_field:4196->vlan_vid,IN_PORT");
    assert_flow(&f, PT_L3, 110, "metadata=0xfff064,ip,nw_dst=203.0.113.10",
                "set_field:10.0.0.5->ip_dst,"
                "set_field:02:00:00:00:01:01->eth_src,"
                "set_field:02:00:0a:00:00:01->eth_dst,dec_ttl,"
                "set_field:0x3e9->metadata,goto_table:30");
    assert_flow(&f, PT_ROUTE, 50, "metadata=0x3e9,reg7=0x1,ip,nw_src=10.0.0.5",
                "set_field:203.0.113.10->ip_src,"
                "set_field:02:00:cb:00:71:0a->eth_src,"
                "set_field:02:00:cb:00:71:01->eth_dst,dec_ttl,"
                "set_field:0xfff064->metadata,goto_table:30");
    /* The provider VLAN: out to the physical network for unknown MACs. */
    assert_flow(&f, PT_L2, 1, "metadata=0xfff064,reg4=0/0x3",
                "push_vlan:0x8100,set_field:4196->vlan_vid,output:200");
    /* The physical network's ARP for vm4 is answered here, where it lives. */
    assert_flow(&f, PT_ARP, 100, "metadata=0xfff064,reg4=0x1/0x1,arp,"
                "arp_op=1,arp_tpa=203.0.113.50", NULL);

    of_flow_set_destroy(&f);
    model_destroy(&w.m);
}

static void
test_flows_of_h2(void **state OVS_UNUSED)
{
    struct world w;
    struct of_flow_set f;

    world_init(&w, 0);
    compute(&w, w.h[1], &f);

    /* vm1 is not attached here: no ingress, no port security. */
    assert_no_cookie(&f, PT_ADMISSION,
                     PIPELINE_COOKIE(PIPELINE_C_LOCATION, 1));
    assert_no_flow(&f, PT_PORT_SECURITY, 100,
                   "reg7=0x1,dl_src=02:00:0a:00:00:01,ip,nw_src=10.0.0.5");
    /* vm1 lives on h1. */
    assert_flow(&f, PT_LOCATION, 100, "reg5=0x1",
                "set_field:0->in_port,set_field:172.16.0.11->tun_dst,"
                "set_field:0x3e9->tun_id,output:100");
    /* Only h1 answers the physical network's ARP for the elastic IP and
     * for vm4; h2 forwards vm4's stragglers from the VLAN to h1 by tunnel,
     * and sends its own VMs' traffic to vm4 on the VLAN. */
    assert_no_flow(&f, PT_ARP, 100,
                   "metadata=0xfff064,reg4=0x1/0x1,arp,arp_op=1,"
                   "arp_tpa=203.0.113.10");
    /* Its own VMs on the VLAN get their answer locally. */
    assert_flow(&f, PT_ARP, 100,
                "metadata=0xfff064,reg4=0/0x1,arp,arp_op=1,"
                "arp_tpa=203.0.113.10", NULL);
    assert_no_flow(&f, PT_ARP, 100, "metadata=0xfff064,reg4=0x1/0x1,arp,"
                   "arp_op=1,arp_tpa=203.0.113.50");
    assert_flow(&f, PT_LOCATION, 110, "reg5=0x4,reg4=0x1/0x1",
                "set_field:0->in_port,set_field:172.16.0.11->tun_dst,"
                "set_field:0xfff064->tun_id,output:100");
    assert_flow(&f, PT_LOCATION, 100, "reg5=0x4",
                "push_vlan:0x8100,set_field:4196->vlan_vid,output:200");
    /* But DNAT for the elastic IP is everywhere. */
    assert_flow(&f, PT_L3, 110, "metadata=0xfff064,ip,nw_dst=203.0.113.10",
                NULL);

    of_flow_set_destroy(&f);
    model_destroy(&w.m);
}

/* Nothing in one VPC reaches a port of another: every L2 and routing flow
 * of a network leads to that network's ports only. */
static void
test_isolation(void **state OVS_UNUSED)
{
    struct world w;

    world_init(&w, 20);
    for (int h = 0; h < 3; h++) {
        struct of_flow_set f;
        const struct of_flow *flow;

        compute(&w, w.h[h], &f);
        HMAP_FOR_EACH (flow, node, &f.flows) {
            unsigned int meta;
            const char *reg5;

            if (flow->table != PT_L2 || flow->priority != 100) {
                continue;
            }
            assert_int_equal(sscanf(of_flow_match_text(flow), "metadata=%x",
                                    &meta), 1);
            reg5 = strstr(of_flow_actions_text(flow), "->reg5");
            assert_non_null(reg5);
            for (size_t i = 0; i < w.m.n_ports; i++) {
                const struct model_port *p = w.m.ports[i];
                char want[32];

                snprintf(want, sizeof want, "set_field:%#"PRIx32"->reg5",
                         p->key);
                if (!strncmp(of_flow_actions_text(flow), want, strlen(want))) {
                    assert_int_equal(meta,
                                     model_network_key(p->subnet->network));
                }
            }
        }
        /* vpc1 and vpc2 both have 10.0.0.5: each routes to its own. */
        assert_flow(&f, PT_ARP, 100,
                    "metadata=0x3e9,arp,arp_op=1,arp_tpa=10.0.0.5", NULL);
        assert_flow(&f, PT_ARP, 100,
                    "metadata=0x3ea,arp,arp_op=1,arp_tpa=10.0.0.5", NULL);
        of_flow_set_destroy(&f);
    }
    model_destroy(&w.m);
}

/* A subnet's IPv6 prefix: normalized, and refused whole when bad. */
static void
test_model_ipv6(void **state OVS_UNUSED)
{
    struct world w;
    struct model_subnet *s;
    struct in6_addr want;
    char *error = NULL;

    world_init(&w, 0);
    s = w.vm1->subnet;
    must(s = model_add_subnet(&w.m, s->network, "more", "10.0.9.0/24",
                              "10.0.9.1", "02:00:00:00:01:09", &error),
         error);
    assert_int_equal(model_subnet_set_ipv6(s, "fd00:0:0:9::/64", "10.0.9.1",
                                           &error), EINVAL);
    assert_non_null(strstr(error, "bad IPv6 gateway"));
    free(error);
    assert_int_equal(model_subnet_set_ipv6(s, "fd00:0:0:9::/129",
                                           "fd00:0:0:9::1", &error), EINVAL);
    free(error);
    assert_false(s->has_ipv6);
    assert_int_equal(model_subnet_set_ipv6(s, "fd00:0:0:9::5/64",
                                           "fd00:0:0:9::1", &error), 0);
    assert_true(s->has_ipv6);
    assert_true(ipv6_parse("fd00:0:0:9::", &want));
    assert_true(ipv6_addr_equals(&s->addr6, &want));
    assert_int_equal(s->plen6, 64);
    model_destroy(&w.m);
}

/* Every flow of every host parses as the switch parses it: matches are
 * well formed and actions meet their prerequisites (e.g. nd_tll only where
 * the packet is an advertisement). */
static void
test_flows_parse(void **state OVS_UNUSED)
{
    struct world w;

    world_init(&w, 20);
    for (int h = 0; h < 3; h++) {
        const struct of_flow *flow;
        struct of_flow_set f;

        compute(&w, w.h[h], &f);
        HMAP_FOR_EACH (flow, node, &f.flows) {
            struct ofputil_flow_mod fm;

            parse_flow(flow, &fm);
            minimatch_destroy(&fm.match);
            free(CONST_CAST(struct ofpact *, fm.ofpacts));
        }
        of_flow_set_destroy(&f);
    }
    model_destroy(&w.m);
}

/* IPv6 neighbour discovery answered from the model, as ARP is. */
static void
test_nd_answers(void **state OVS_UNUSED)
{
    struct world w;
    struct of_flow_set f1, f2;
    struct flow ns;

    world_init(&w, 0);
    compute(&w, w.h[0], &f1);
    compute(&w, w.h[1], &f2);

    /* The distributed gateway of db, on every host, with the router
     * flag. */
    assert_flow(&f2, PT_ARP, 100,
                "metadata=0x3e9,icmp6,icmp_type=135,icmp_code=0,"
                "nd_target=fd00:0:0:2::1",
                "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                "set_field:02:00:00:00:01:02->eth_src,"
                "move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
                "set_field:fd00:0:0:2::1->ipv6_src,set_field:255->nw_ttl,"
                "set_field:136->icmpv6_type,"
                "set_field:0xe0000000->nd_reserved,"
                "set_field:2->nd_options_type,goto_table:16");
    /* vm2's address, on h1 (vm2 lives on h2): solicited, override. */
    assert_flow(&f1, PT_ARP, 100,
                "metadata=0x3e9,icmp6,icmp_type=135,icmp_code=0,"
                "nd_target=fd00:0:0:2::5",
                "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                "set_field:02:00:0a:00:01:02->eth_src,"
                "move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
                "set_field:fd00:0:0:2::5->ipv6_src,set_field:255->nw_ttl,"
                "set_field:136->icmpv6_type,"
                "set_field:0x60000000->nd_reserved,"
                "set_field:2->nd_options_type,goto_table:16");
    /* The answer is finished in table 16: its MAC as target link-layer
     * address, back where the solicitation came from. */
    assert_flow(&f1, PT_ND_REPLY, 100, "icmp6,icmp_type=136,icmp_code=0",
                "move:NXM_OF_ETH_SRC[]->NXM_NX_ND_TLL[],IN_PORT");
    assert_flow(&f1, PT_ND_REPLY, 0, "", "drop");

    /* vm1's solicitation for vm2 is answered; one without a source
     * link-layer address option goes on to be delivered. */
    ns = nd_packet(w.vm1, "fd00:0:0:1::5", 135, "fd00:0:0:2::5",
                   "02:00:0a:00:00:01");
    assert_lookup(&f1, PT_ND_SECURITY, &ns, "goto_table:15");
    assert_true(strstr(of_flow_actions_text(lookup(&f1, PT_ARP, &ns)),
                       "set_field:02:00:0a:00:01:02->eth_src"));
    ns.arp_sha = eth_addr_zero;
    assert_lookup(&f1, PT_ND_SECURITY, &ns, "goto_table:15");
    assert_lookup(&f1, PT_ARP, &ns, "goto_table:20");
    /* Nothing else is answered, and an overlay floods nothing. */
    ns = nd_packet(w.vm1, "fd00:0:0:1::5", 135, "fd00:0:0:1::77",
                   "02:00:0a:00:00:01");
    assert_lookup(&f1, PT_ARP, &ns, "goto_table:20");

    /* vpc1 and vpc2 share fd00:0:0:1::5: each answers with its own. */
    assert_true(strstr(of_flow_actions_text(of_flow_set_find(
                           &f1, PT_ARP, 100, "metadata=0x3ea,icmp6,"
                           "icmp_type=135,icmp_code=0,"
                           "nd_target=fd00:0:0:1::5")),
                       "set_field:02:00:0a:00:02:03->eth_src"));
    assert_true(strstr(of_flow_actions_text(of_flow_set_find(
                           &f1, PT_ARP, 100, "metadata=0x3e9,icmp6,"
                           "icmp_type=135,icmp_code=0,"
                           "nd_target=fd00:0:0:1::5")),
                       "set_field:02:00:0a:00:00:01->eth_src"));

    /* The VLAN port vm4: its host's VMs get an answer everywhere; the
     * physical network's solicitation only where vm4 lives (h1), tagged. */
    assert_flow(&f2, PT_ARP, 100,
                "metadata=0xfff064,reg4=0/0x1,icmp6,icmp_type=135,"
                "icmp_code=0,nd_target=2001:db8:cafe::50", NULL);
    assert_flow(&f1, PT_ARP, 100,
                "metadata=0xfff064,reg4=0x1/0x1,icmp6,icmp_type=135,"
                "icmp_code=0,nd_target=2001:db8:cafe::50",
                "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                "set_field:02:00:cb:00:71:04->eth_src,"
                "move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
                "set_field:2001:db8:cafe::50->ipv6_src,"
                "set_field:255->nw_ttl,set_field:136->icmpv6_type,"
                "set_field:0x60000000->nd_reserved,"
                "set_field:2->nd_options_type,"
                "push_vlan:0x8100,set_field:4196->vlan_vid,goto_table:16");
    assert_true(PIPELINE_COOKIE_CLASS(of_flow_set_find(
                    &f1, PT_ARP, 100, "metadata=0xfff064,reg4=0x1/0x1,icmp6,"
                    "icmp_type=135,icmp_code=0,"
                    "nd_target=2001:db8:cafe::50")->cookie)
                == PIPELINE_C_LOCATION);
    assert_no_flow(&f2, PT_ARP, 100,
                   "metadata=0xfff064,reg4=0x1/0x1,icmp6,icmp_type=135,"
                   "icmp_code=0,nd_target=2001:db8:cafe::50");
    /* The provider's gateway is the edge router: not answered by us. */
    assert_no_flow(&f1, PT_ARP, 100,
                   "metadata=0xfff064,icmp6,icmp_type=135,icmp_code=0,"
                   "nd_target=2001:db8:cafe::1");

    of_flow_set_destroy(&f1);
    of_flow_set_destroy(&f2);
    model_destroy(&w.m);
}

/* A VM's neighbour discovery: only about itself, with its own MAC. */
static void
test_nd_port_security(void **state OVS_UNUSED)
{
    struct world w;
    struct of_flow_set f;
    struct flow pkt;

    world_init(&w, 0);
    compute(&w, w.h[0], &f);

    /* IPv6 from its addresses and link-local goes on to the ND checks. */
    assert_flow(&f, PT_PORT_SECURITY, 100,
                "reg7=0x1,dl_src=02:00:0a:00:00:01,ipv6,"
                "ipv6_src=fd00:0:0:1::5", "goto_table:11");
    assert_flow(&f, PT_PORT_SECURITY, 90,
                "reg7=0x1,dl_src=02:00:0a:00:00:01,ipv6,ipv6_src=fe80::/10",
                "goto_table:11");
    pkt = nd_packet(w.vm1, "fd00:0:0:1::99", 135, "fd00:0:0:1::1",
                    "02:00:0a:00:00:01");
    assert_lookup(&f, PT_PORT_SECURITY, &pkt, "drop");
    /* Not from :: either (duplicate address detection is not answered:
     * the VM's own probes never come back as a conflict). */
    pkt = nd_packet(w.vm1, "::", 135, "fd00:0:0:1::5", "00:00:00:00:00:00");
    assert_lookup(&f, PT_PORT_SECURITY, &pkt, "drop");

    /* Solicitations: with its MAC as source link-layer address. */
    pkt = nd_packet(w.vm1, "fe80::1", 135, "fd00:0:0:1::1",
                    "02:00:0a:00:00:01");
    assert_lookup(&f, PT_PORT_SECURITY, &pkt, "goto_table:11");
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "goto_table:15");
    pkt.arp_sha = w.vm2->mac;
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "drop");

    /* Advertisements: for its own address, with its MAC. */
    pkt = nd_packet(w.vm1, "fd00:0:0:1::5", 136, "fd00:0:0:1::5",
                    "02:00:0a:00:00:01");
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "goto_table:15");
    pkt.arp_tha = eth_addr_zero;
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "goto_table:15");
    pkt.arp_tha = w.vm2->mac;
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "drop");
    pkt = nd_packet(w.vm1, "fd00:0:0:1::5", 136, "fd00:0:0:1::1",
                    "02:00:0a:00:00:01");
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "drop");
    pkt = nd_packet(w.vm1, "fd00:0:0:1::5", 136, "fd00:0:0:2::5",
                    "02:00:0a:00:00:01");
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "drop");
    /* Another port's rules are not vm1's: vm4 (also on h1) may not claim
     * vm1's address. */
    pkt = nd_packet(w.vm4, "2001:db8:cafe::50", 136, "fd00:0:0:1::5",
                    "02:00:cb:00:71:04");
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "drop");

    /* No router advertisements or redirects from a VM. */
    pkt = nd_packet(w.vm1, "fe80::1", 134, "::", "00:00:00:00:00:00");
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "drop");
    pkt.tp_src = htons(137);
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "drop");
    /* Anything else goes on. */
    pkt.tp_src = htons(128);
    assert_lookup(&f, PT_ND_SECURITY, &pkt, "goto_table:15");

    of_flow_set_destroy(&f);
    model_destroy(&w.m);
}

/* IPv6 routing between the subnets of a VPC, through the gateway's MAC as
 * for IPv4. */
static void
test_ipv6_routing(void **state OVS_UNUSED)
{
    struct world w;
    struct of_flow_set f;
    struct flow pkt;

    world_init(&w, 0);
    compute(&w, w.h[0], &f);

    assert_flow(&f, PT_L3, 100,
                "metadata=0x3e9,ipv6,dl_dst=02:00:00:00:01:01",
                "goto_table:21");
    assert_flow(&f, PT_ROUTE, 100,
                "metadata=0x3e9,ipv6,ipv6_dst=fd00:0:0:2::5",
                "set_field:02:00:00:00:01:02->eth_src,"
                "set_field:02:00:0a:00:01:02->eth_dst,dec_ttl,goto_table:30");
    assert_flow(&f, PT_ROUTE, 100,
                "metadata=0x3e9,ipv6,ipv6_dst=fd00:0:0:1::5",
                "set_field:02:00:00:00:01:01->eth_src,"
                "set_field:02:00:0a:00:00:01->eth_dst,dec_ttl,goto_table:30");

    /* vm1 to vm2's address through web's gateway: routed. */
    memset(&pkt, 0, sizeof pkt);
    pkt.metadata = htonll(0x3e9);
    pkt.dl_dst = w.vm1->subnet->gateway_mac;
    pkt.dl_type = htons(ETH_TYPE_IPV6);
    pkt.nw_proto = IPPROTO_ICMPV6;
    pkt.tp_src = htons(128);
    assert_true(ipv6_parse("fd00:0:0:1::5", &pkt.ipv6_src));
    assert_true(ipv6_parse("fd00:0:0:2::5", &pkt.ipv6_dst));
    assert_lookup(&f, PT_L3, &pkt, "goto_table:21");
    assert_true(strstr(of_flow_actions_text(lookup(&f, PT_ROUTE, &pkt)),
                       "dec_ttl"));
    /* To an address no port of vpc1 has: no route. */
    assert_true(ipv6_parse("fd00:0:0:1::6", &pkt.ipv6_dst));
    assert_lookup(&f, PT_ROUTE, &pkt, "drop");
    /* Nor from vpc2 to vpc1's addresses. */
    pkt.metadata = htonll(0x3ea);
    pkt.dl_dst = w.vm3->subnet->gateway_mac;
    assert_true(ipv6_parse("fd00:0:0:2::5", &pkt.ipv6_dst));
    assert_lookup(&f, PT_ROUTE, &pkt, "drop");
    /* No IPv6 routing on the provider VLAN: the edge router routes. */
    assert_no_flow(&f, PT_ROUTE, 100,
                   "metadata=0xfff064,ipv6,ipv6_dst=2001:db8:cafe::50");

    of_flow_set_destroy(&f);
    model_destroy(&w.m);
}

/* Diffs every host's flows before and after moving port 'name' (which lives
 * on h1) to h2 (h1 standby) with 'extra' other ports; checks only that
 * port's location flows change, and returns how many changed on each
 * host. */
static void
move_port(size_t extra, const char *name, size_t changes[3])
{
    struct world w;
    struct of_flow_set before[3], after[3];
    struct model_port *p;

    world_init(&w, extra);
    p = model_find_port(&w.m, name);
    assert_non_null(p);
    assert_ptr_equal(p->active, w.h[0]);
    /* Prepared: the destination h2 has the port's interface, standby. */
    p->standby = w.h[1];
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &before[h]);
    }
    /* Switched over: active on h2, h1 standby. */
    p->active = w.h[1];
    p->standby = w.h[0];
    for (int h = 0; h < 3; h++) {
        struct of_flow_diff d;
        const struct of_flow **all[3];
        size_t n[3];

        compute(&w, w.h[h], &after[h]);
        of_flow_set_diff(&before[h], &after[h], &d);
        all[0] = d.add;
        n[0] = d.n_add;
        all[1] = d.modify;
        n[1] = d.n_modify;
        all[2] = d.del;
        n[2] = d.n_del;
        for (int k = 0; k < 3; k++) {
            for (size_t i = 0; i < n[k]; i++) {
                const struct of_flow *f = all[k][i];

                if (PIPELINE_COOKIE_CLASS(f->cookie) != PIPELINE_C_LOCATION
                    || PIPELINE_COOKIE_KEY(f->cookie) != p->key) {
                    struct ds s = DS_EMPTY_INITIALIZER;

                    of_flow_format(f, &s);
                    fail_msg("h%d: moving %s changed a flow that is not "
                             "its location: %s", h + 1, name, ds_cstr(&s));
                }
            }
        }
        changes[h] = d.n_add + d.n_modify + d.n_del;
        of_flow_diff_destroy(&d);
        of_flow_set_destroy(&before[h]);
        of_flow_set_destroy(&after[h]);
    }
    model_destroy(&w.m);
}

static void
test_move_changes_only_location(void **state OVS_UNUSED)
{
    size_t small[3], large[3];

    /* vm1 (IPv4 and IPv6 addresses, an elastic IP) in an overlay. */
    move_port(10, "vm1", small);
    move_port(500, "vm1", large);
    for (int h = 0; h < 3; h++) {
        /* O(1): the same few flows whatever the number of ports. */
        assert_int_equal(small[h], large[h]);
        assert_true(small[h] >= 1);
        assert_true(small[h] <= 3);
    }
    /* h1: admission closes, location becomes the tunnel, the elastic IP's
     * ARP answer goes.  h2: admission opens, location becomes local, the
     * ARP answer comes.  h3: location's tunnel now points at h2. */
    assert_int_equal(small[0], 3);
    assert_int_equal(small[1], 3);
    assert_int_equal(small[2], 1);

    /* vm4 (IPv4 and IPv6 addresses) on the provider VLAN.  h1: admission
     * closes, location becomes the VLAN, stragglers from the VLAN now go by
     * tunnel, the physical network's ARP and ND answers go.  h2: the
     * reverse.  h3: the stragglers' tunnel now points at h2 (the VLAN
     * location does not change). */
    move_port(10, "vm4", small);
    move_port(500, "vm4", large);
    for (int h = 0; h < 3; h++) {
        assert_int_equal(small[h], large[h]);
    }
    assert_int_equal(small[0], 5);
    assert_int_equal(small[1], 5);
    assert_int_equal(small[2], 1);
}

/* pipeline_compute_port() gives exactly the port's flows (cookies PORT and
 * LOCATION of its key) of pipeline_compute(), on every host, for every
 * port: what a migration sends instead of the whole table. */
static void
test_compute_port_is_subset(void **state OVS_UNUSED)
{
    struct world w;

    world_init(&w, 20);
    w.vm1->standby = w.h[1];
    for (int h = 0; h < 3; h++) {
        struct pipeline_ports ports;
        struct of_flow_set all;

        world_ports(&w, w.h[h], &ports);
        of_flow_set_init(&all);
        assert_int_equal(pipeline_compute(&w.m, w.h[h], &ports, &all), 0);
        for (size_t i = 0; i < w.m.n_ports; i++) {
            const struct model_port *p = w.m.ports[i];
            uint64_t c_port = PIPELINE_COOKIE(PIPELINE_C_PORT, p->key);
            uint64_t c_loc = PIPELINE_COOKIE(PIPELINE_C_LOCATION, p->key);
            struct of_flow_set one, want;
            const struct of_flow *f;
            struct of_flow_diff d;

            of_flow_set_init(&one);
            of_flow_set_init(&want);
            assert_int_equal(pipeline_compute_port(&w.m, w.h[h], &ports, p,
                                                   &one), 0);
            HMAP_FOR_EACH (f, node, &all.flows) {
                if (f->cookie == c_port || f->cookie == c_loc) {
                    of_flow_set_add_flow(&want, f);
                }
            }
            HMAP_FOR_EACH (f, node, &one.flows) {
                assert_true(f->cookie == c_port || f->cookie == c_loc);
            }
            of_flow_set_diff(&want, &one, &d);
            if (d.n_add || d.n_modify || d.n_del) {
                fail_msg("h%d %s: pipeline_compute_port() differs from "
                         "pipeline_compute() (%"PRIuSIZE" added, %"PRIuSIZE
                         " modified, %"PRIuSIZE" missing)", h + 1, p->name,
                         d.n_add, d.n_modify, d.n_del);
            }
            assert_true(of_flow_set_count(&one) > 0);
            of_flow_diff_destroy(&d);
            of_flow_set_destroy(&one);
            of_flow_set_destroy(&want);
        }
        of_flow_set_destroy(&all);
        pipeline_ports_destroy(&ports);
    }
    model_destroy(&w.m);
}

/* model_ports_changed(): which changes cutoverd may apply port by port. */
static void
test_ports_changed(void **state OVS_UNUSED)
{
    struct sset changed = SSET_INITIALIZER(&changed);
    struct world a, b;

    world_init(&a, 5);
    world_init(&b, 5);
    assert_true(model_ports_changed(&a.m, &b.m, &changed));
    assert_int_equal(sset_count(&changed), 0);

    /* Moves, even of a port with an elastic IP (vm1): placement only. */
    b.vm2->active = b.h[2];
    b.vm1->standby = b.h[1];
    assert_true(model_ports_changed(&a.m, &b.m, &changed));
    assert_int_equal(sset_count(&changed), 2);
    assert_true(sset_contains(&changed, "vm1"));
    assert_true(sset_contains(&changed, "vm2"));

    /* New addresses of a port without an elastic IP: that port alone. */
    sset_clear(&changed);
    b.vm2->mac.ea[5] ^= 1;
    assert_true(model_ports_changed(&a.m, &b.m, &changed));
    assert_int_equal(sset_count(&changed), 2);

    /* ... of a port with one: its flows change too: not port by port. */
    b.vm1->mac.ea[5] ^= 1;
    assert_false(model_ports_changed(&a.m, &b.m, &changed));
    b.vm1->mac.ea[5] ^= 1;
    assert_true(model_ports_changed(&a.m, &b.m, &changed));

    /* Anything but ports: not port by port. */
    b.h[1]->tunnel_ip ^= htonl(1);
    assert_false(model_ports_changed(&a.m, &b.m, &changed));
    b.h[1]->tunnel_ip ^= htonl(1);
    b.vm3->key++;
    assert_false(model_ports_changed(&a.m, &b.m, &changed));
    b.vm3->key--;
    b.m.eips[0]->private_ip ^= htonl(1);
    assert_false(model_ports_changed(&a.m, &b.m, &changed));

    sset_destroy(&changed);
    model_destroy(&a.m);
    model_destroy(&b.m);
}

/* A local migration: vm1 has a second, incoming interface on h1 (ofport
 * 9).  Both take its ingress; before the switchover the usual one is open
 * and delivered to, after it the incoming one; nothing else changes. */
static void
test_local_migration(void **state OVS_UNUSED)
{
    uint64_t loc = PIPELINE_COOKIE(PIPELINE_C_LOCATION, 1);
    struct pipeline_ports ports;
    struct of_flow_set before, after;
    struct world w;

    world_init(&w, 0);
    w.vm1->standby = w.h[0];
    world_ports(&w, w.h[0], &ports);
    simap_put(&ports.incoming, "vm1", 9);

    of_flow_set_init(&before);
    assert_int_equal(pipeline_compute(&w.m, w.h[0], &ports, &before), 0);
    assert_flow(&before, PT_CLASSIFY, 100, "in_port=9",
                "set_field:0x1->reg7,set_field:0x3e9->metadata,"
                "goto_table:5");
    assert_flow(&before, PT_ADMISSION, 100, "reg7=0x1,in_port=1",
                "goto_table:10");
    assert_flow(&before, PT_ADMISSION, 100, "reg7=0x1,in_port=9", "drop");
    assert_flow(&before, PT_LOCATION, 100, "reg5=0x1", "output:1");

    w.vm1->incoming = true;
    of_flow_set_init(&after);
    assert_int_equal(pipeline_compute(&w.m, w.h[0], &ports, &after), 0);
    assert_flow(&after, PT_ADMISSION, 100, "reg7=0x1,in_port=1", "drop");
    assert_flow(&after, PT_ADMISSION, 100, "reg7=0x1,in_port=9",
                "goto_table:10");
    assert_flow(&after, PT_LOCATION, 100, "reg5=0x1", "output:9");

    /* The flip: three flows modified, all of the port's location class. */
    struct of_flow_diff diff;
    of_flow_set_diff(&before, &after, &diff);
    assert_int_equal(diff.n_add, 0);
    assert_int_equal(diff.n_del, 0);
    assert_int_equal(diff.n_modify, 3);
    for (size_t i = 0; i < diff.n_modify; i++) {
        assert_true(diff.modify[i]->cookie == loc);
    }
    of_flow_diff_destroy(&diff);

    /* Without an incoming interface the flag changes nothing. */
    simap_clear(&ports.incoming);
    of_flow_set_destroy(&after);
    of_flow_set_init(&after);
    assert_int_equal(pipeline_compute(&w.m, w.h[0], &ports, &after), 0);
    assert_flow(&after, PT_LOCATION, 100, "reg5=0x1", "output:1");
    assert_no_flow(&after, PT_CLASSIFY, 100, "in_port=9");

    pipeline_ports_destroy(&ports);
    of_flow_set_destroy(&before);
    of_flow_set_destroy(&after);
    model_destroy(&w.m);
}

static void
test_standby_admission(void **state OVS_UNUSED)
{
    struct world w;
    struct of_flow_set f1, f2;

    world_init(&w, 0);
    w.vm1->standby = w.h[1];
    compute(&w, w.h[0], &f1);
    compute(&w, w.h[1], &f2);
    assert_flow(&f1, PT_ADMISSION, 100, "reg7=0x1,in_port=1",
                "goto_table:10");
    /* The destination has the whole pipeline for vm1, ingress closed,
     * location still pointing at the source. */
    assert_flow(&f2, PT_ADMISSION, 100, "reg7=0x1,in_port=1", "drop");
    assert_flow(&f2, PT_PORT_SECURITY, 100,
                "reg7=0x1,dl_src=02:00:0a:00:00:01,ip,nw_src=10.0.0.5",
                "goto_table:15");
    assert_flow(&f2, PT_LOCATION, 100, "reg5=0x1",
                "set_field:0->in_port,set_field:172.16.0.11->tun_dst,"
                "set_field:0x3e9->tun_id,output:100");
    of_flow_set_destroy(&f1);
    of_flow_set_destroy(&f2);
    model_destroy(&w.m);
}

/* From prepare until the VM runs at the destination, the source's VM
 * interface drains (table 5, priority 105): set while its admission is
 * still open, so that the switchover, which closes that, leaves it; the
 * admission flow alone still says where the port lives.  The switchover
 * changes no more flows on the source than without it. */
static void
test_drain(void **state OVS_UNUSED)
{
    struct world w;
    struct of_flow_set plain, prepared, switched, switched_plain, f2;
    struct of_flow_diff d;

    world_init(&w, 0);
    w.vm1->standby = w.h[1];
    compute(&w, w.h[0], &plain);
    w.vm1->draining = w.h[0];
    compute(&w, w.h[0], &prepared);
    compute(&w, w.h[1], &f2);
    assert_flow(&prepared, PT_ADMISSION, 105, "reg7=0x1,in_port=1",
                "goto_table:10");
    assert_no_flow(&f2, PT_ADMISSION, 105, "reg7=0x1,in_port=1");
    of_flow_set_diff(&plain, &prepared, &d);
    assert_int_equal(d.n_add, 1);
    assert_int_equal(d.n_modify + d.n_del, 0);
    of_flow_diff_destroy(&d);

    w.vm1->active = w.h[1];
    w.vm1->standby = w.h[0];
    compute(&w, w.h[0], &switched);
    assert_flow(&switched, PT_ADMISSION, 105, "reg7=0x1,in_port=1",
                "goto_table:10");
    assert_flow(&switched, PT_ADMISSION, 100, "reg7=0x1,in_port=1", "drop");
    assert_int_equal(pipeline_admission_read(&switched, w.vm1->key, 0),
                     PIPELINE_ADMISSION_CLOSED);
    w.vm1->draining = NULL;
    compute(&w, w.h[0], &switched_plain);
    assert_no_flow(&switched_plain, PT_ADMISSION, 105, "reg7=0x1,in_port=1");
    {
        struct of_flow_diff a, b;

        of_flow_set_diff(&prepared, &switched, &a);
        of_flow_set_diff(&plain, &switched_plain, &b);
        assert_int_equal(a.n_add + a.n_modify + a.n_del,
                         b.n_add + b.n_modify + b.n_del);
        of_flow_diff_destroy(&a);
        of_flow_diff_destroy(&b);
    }
    of_flow_set_destroy(&plain);
    of_flow_set_destroy(&prepared);
    of_flow_set_destroy(&switched);
    of_flow_set_destroy(&switched_plain);
    of_flow_set_destroy(&f2);
    model_destroy(&w.m);
}

static void
test_conflicts_reported(void **state OVS_UNUSED)
{
    struct world w;
    struct pipeline_ports ports;
    struct of_flow_set f;
    char *error = NULL;
    const char *ip = "10.0.0.99";

    world_init(&w, 0);
    /* A second port with vm1's MAC in vpc1: an inconsistent model.  Its
     * L2 flow and its announcements' flow are vm1's. */
    must(model_add_port(&w.m, w.vm1->subnet, "dup", 77, "02:00:0a:00:00:01",
                        &ip, 1, w.h[0], &error), error);
    world_ports(&w, w.h[0], &ports);
    of_flow_set_init(&f);
    assert_int_equal(pipeline_compute(&w.m, w.h[0], &ports, &f), 2);
    of_flow_set_destroy(&f);
    pipeline_ports_destroy(&ports);
    model_destroy(&w.m);
}

static void
test_flow_set(void **state OVS_UNUSED)
{
    struct of_flow_set a, b;
    struct of_flow_diff d;
    const struct of_flow **sorted;
    struct ds s = DS_EMPTY_INITIALIZER;

    of_flow_set_init(&a);
    of_flow_set_init(&b);
    assert_non_null(of_flow_set_add(&a, 0, 100, 1, "in_port=1", "drop"));
    assert_null(of_flow_set_add(&a, 0, 100, 2, "in_port=1", "output:2"));
    assert_non_null(of_flow_set_add(&a, 0, 50, 1, "in_port=1", "drop"));
    assert_non_null(of_flow_set_add(&a, 10, 0, 1, "", "drop"));
    assert_non_null(of_flow_set_add(&b, 0, 100, 1, "in_port=1", "output:3"));
    assert_non_null(of_flow_set_add(&b, 10, 0, 1, "", "drop"));
    assert_non_null(of_flow_set_add(&b, 20, 0, 1, "", "drop"));

    of_flow_set_diff(&a, &b, &d);
    assert_int_equal(d.n_add, 1);
    assert_int_equal(d.add[0]->table, 20);
    assert_int_equal(d.n_modify, 1);
    assert_string_equal(of_flow_actions_text(d.modify[0]), "output:3");
    assert_int_equal(d.n_del, 1);
    assert_int_equal(d.del[0]->priority, 50);
    of_flow_diff_destroy(&d);

    sorted = of_flow_set_sorted(&a);
    of_flow_format(sorted[0], &s);
    assert_string_equal(ds_cstr(&s),
                        "table=0,priority=100,cookie=0x1,in_port=1 "
                        "actions=drop");
    assert_int_equal(sorted[1]->priority, 50);
    assert_int_equal(sorted[2]->table, 10);
    free(sorted);
    ds_destroy(&s);
    of_flow_set_destroy(&a);
    of_flow_set_destroy(&b);
}

/* The underlay's cookies, as docs/security.md names them. */
#define UNDERLAY(KEY) PIPELINE_COOKIE(PIPELINE_C_UNDERLAY, \
                                      PIPELINE_UNDERLAY_##KEY)

/* An IPv4 packet that came in through the VXLAN port (the Geneve port for
 * vpc2's key) from underlay address 'tun_src' with tunnel key 'key', from
 * 'src' at 'nw_src' to 'dst' at 'nw_dst'. */
static struct flow
tunnel_packet(const char *tun_src, uint32_t key, struct eth_addr src,
              const char *nw_src, struct eth_addr dst, const char *nw_dst)
{
    struct flow f;

    memset(&f, 0, sizeof f);
    f.in_port.ofp_port = u16_to_ofp(key == 0x3ea ? GENEVE : VXLAN);
    assert_true(ip_parse(tun_src, &f.tunnel.ip_src));
    f.tunnel.tun_id = htonll(key);
    f.tunnel.flags = FLOW_TNL_F_KEY;
    f.dl_src = src;
    f.dl_dst = dst;
    f.dl_type = htons(ETH_TYPE_IP);
    f.nw_proto = IPPROTO_UDP;
    f.nw_ttl = 64;
    assert_true(ip_parse(nw_src, &f.nw_src));
    assert_true(ip_parse(nw_dst, &f.nw_dst));
    return f;
}

/* Walks 'pkt' through 'flows' from table 0 and checks where it ends: at
 * a flow with actions 'actions', or, if 'drop' is not 0, at the drop with
 * that cookie. */
static void
assert_tunnel(const struct of_flow_set *flows, struct flow pkt,
              const char *actions, uint64_t drop, const char *what)
{
    const struct of_flow *f = walk_to(flows, PT_CLASSIFY, &pkt);

    if (drop ? f->cookie != drop || strcmp(of_flow_actions_text(f), "drop")
        : strcmp(of_flow_actions_text(f), actions)) {
        fail_msg("%s: ends at table=%u,priority=%u,cookie=%#"PRIx64",%s "
                 "actions=%s; expected %s %#"PRIx64, what, f->table,
                 f->priority, f->cookie, of_flow_match_text(f),
                 of_flow_actions_text(f), drop ? "the drop" : actions, drop);
    }
}

/* Tunnel traffic is taken only from the model's hosts (tun_src), with the
 * key of a network, and from each host only as the ports that live there
 * (their MAC, or their addresses once routed) or towards an elastic IP's
 * port after the DNAT every host does; everything else is dropped by one of
 * three flows, each with a cookie of its own. */
static void
test_underlay(void **state OVS_UNUSED)
{
    struct model_port *x0, *x1, *x2;
    struct eth_addr gw, edge;
    struct of_flow_set f;
    struct flow pkt;
    struct world w;

    /* x0 (10.0.0.10) lives on h1, x1 (10.0.0.11) on h2, x2 (10.0.0.12) on
     * h3, all in web with vm1 (h1, ofport 1); vm2 (db) is on h2. */
    world_init(&w, 3);
    x0 = model_find_port(&w.m, "x0");
    x1 = model_find_port(&w.m, "x1");
    x2 = model_find_port(&w.m, "x2");
    assert_true(eth_addr_from_string("02:00:00:00:01:01", &gw));
    assert_true(eth_addr_from_string("02:00:00:00:99:99", &edge));
    compute(&w, w.h[0], &f);

    /* Golden. */
    assert_flow(&f, PT_CLASSIFY, 50, "in_port=100", "drop");
    assert_flow(&f, PT_CLASSIFY, 50, "in_port=101", "drop");
    assert_true(of_flow_set_find(&f, PT_CLASSIFY, 50, "in_port=100")->cookie
                == UNDERLAY(BAD_VNI));
    assert_flow(&f, PT_TUNNEL_SOURCE, 100, "tun_src=172.16.0.12",
                "goto_table:3");
    assert_flow(&f, PT_TUNNEL_SOURCE, 100, "tun_src=172.16.0.13",
                "goto_table:3");
    assert_no_flow(&f, PT_TUNNEL_SOURCE, 100, "tun_src=172.16.0.11");
    assert_flow(&f, PT_TUNNEL_SOURCE, 0, "", "drop");
    assert_true(of_flow_set_find(&f, PT_TUNNEL_SOURCE, 0, "")->cookie
                == UNDERLAY(BAD_SOURCE));
    assert_flow(&f, PT_TUNNEL_SECURITY, 0, "", "drop");
    assert_true(of_flow_set_find(&f, PT_TUNNEL_SECURITY, 0, "")->cookie
                == UNDERLAY(BAD_PORT));
    assert_flow(&f, PT_TUNNEL_SECURITY, 100,
                "metadata=0x3e9,tun_src=172.16.0.12,dl_src=02:00:0b:00:00:01",
                "goto_table:30");
    assert_flow(&f, PT_TUNNEL_SECURITY, 90,
                "metadata=0x3e9,tun_src=172.16.0.12,ip,nw_src=10.0.0.11",
                "goto_table:30");
    assert_flow(&f, PT_TUNNEL_SECURITY, 90,
                "metadata=0x3e9,tun_src=172.16.0.12,ipv6,"
                "ipv6_src=fd00:0:0:1::1001", "goto_table:30");
    assert_true(PIPELINE_COOKIE(PIPELINE_C_LOCATION, x1->key)
                == of_flow_set_find(&f, PT_TUNNEL_SECURITY, 100,
                                    "metadata=0x3e9,tun_src=172.16.0.12,"
                                    "dl_src=02:00:0b:00:00:01")->cookie);
    /* x1 from h3, or vm3 (vpc2) from anywhere: nothing.  Nor this host's
     * own ports: nobody else sends as them. */
    assert_no_flow(&f, PT_TUNNEL_SECURITY, 100,
                   "metadata=0x3e9,tun_src=172.16.0.13,"
                   "dl_src=02:00:0b:00:00:01");
    assert_no_cookie(&f, PT_TUNNEL_SECURITY,
                     PIPELINE_COOKIE(PIPELINE_C_LOCATION, x0->key));
    assert_no_cookie(&f, PT_TUNNEL_SECURITY,
                     PIPELINE_COOKIE(PIPELINE_C_LOCATION, w.vm1->key));
    /* Where an elastic IP's port is, what any host's DNAT sends it. */
    assert_flow(&f, PT_TUNNEL_SECURITY, 70,
                "metadata=0x3e9,ip,dl_src=02:00:00:00:01:01,"
                "dl_dst=02:00:0a:00:00:01,nw_dst=10.0.0.5", "goto_table:30");

    /* Walked: what the other hosts' VMs send vm1 arrives... */
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0x3e9, x1->mac,
                                    "10.0.0.11", w.vm1->mac, "10.0.0.5"),
                  "output:1", 0, "x1 (h2) to vm1");
    assert_tunnel(&f, tunnel_packet("172.16.0.13", 0x3e9, x2->mac,
                                    "10.0.0.12", w.vm1->mac, "10.0.0.5"),
                  "output:1", 0, "x2 (h3) to vm1");
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0x3e9, gw, "10.0.1.5",
                                    w.vm1->mac, "10.0.0.5"),
                  "output:1", 0, "vm2 (h2) routed to vm1");
    assert_tunnel(&f, tunnel_packet("172.16.0.13", 0x3e9, gw,
                                    "198.51.100.2", w.vm1->mac, "10.0.0.5"),
                  "output:1", 0, "the elastic IP's DNAT on h3 to vm1");

    /* ... but not from an address of no host, nor from this host's own. */
    assert_tunnel(&f, tunnel_packet("172.16.0.99", 0x3e9, x1->mac,
                                    "10.0.0.11", w.vm1->mac, "10.0.0.5"),
                  NULL, UNDERLAY(BAD_SOURCE), "x1 from 172.16.0.99");
    assert_tunnel(&f, tunnel_packet("172.16.0.11", 0x3e9, x1->mac,
                                    "10.0.0.11", w.vm1->mac, "10.0.0.5"),
                  NULL, UNDERLAY(BAD_SOURCE), "x1 from h1's own address");
    assert_tunnel(&f, tunnel_packet("172.16.0.99", 0x3e9, gw,
                                    "198.51.100.2", w.vm1->mac, "10.0.0.5"),
                  NULL, UNDERLAY(BAD_SOURCE), "DNAT from 172.16.0.99");
    /* Nor with a tunnel key of no network, or of a network of another
     * kind of tunnel. */
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0x999, x1->mac,
                                    "10.0.0.11", w.vm1->mac, "10.0.0.5"),
                  NULL, UNDERLAY(BAD_VNI), "x1 with key 0x999");
    pkt = tunnel_packet("172.16.0.12", 0x3e9, x1->mac, "10.0.0.11",
                        w.vm1->mac, "10.0.0.5");
    pkt.in_port.ofp_port = u16_to_ofp(GENEVE);
    assert_tunnel(&f, pkt, NULL, UNDERLAY(BAD_VNI), "vpc1 through Geneve");
    /* A known host only for its own ports: not as a port of another host,
     * not as this host's own, not as an address none of its ports has,
     * not with the key of a VPC where it has none of them, not as a
     * stranger, and never towards a port's MAC unless it is the port's
     * other host in a migration. */
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0x3e9, x2->mac,
                                    "10.0.0.12", w.vm1->mac, "10.0.0.5"),
                  NULL, UNDERLAY(BAD_PORT), "x2 (h3) from h2");
    assert_tunnel(&f, tunnel_packet("172.16.0.13", 0x3e9, x0->mac,
                                    "10.0.0.10", w.vm1->mac, "10.0.0.5"),
                  NULL, UNDERLAY(BAD_PORT), "x0 (h1) from h3");
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0x3e9, gw, "10.0.0.12",
                                    x0->mac, "10.0.0.10"),
                  NULL, UNDERLAY(BAD_PORT), "x2's address routed from h2");
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0x3ea, x1->mac,
                                    "10.0.0.11", w.vm1->mac, "10.0.0.5"),
                  NULL, UNDERLAY(BAD_PORT), "x1 (h2) in vpc2");
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0x3e9, edge,
                                    "10.0.0.77", w.vm1->mac, "10.0.0.5"),
                  NULL, UNDERLAY(BAD_PORT), "a stranger from h2");
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0x3e9, gw,
                                    "198.51.100.2", x0->mac, "10.0.0.10"),
                  NULL, UNDERLAY(BAD_PORT), "a DNAT for a port without one");
    assert_tunnel(&f, tunnel_packet("172.16.0.12", 0xfff064, edge,
                                    "203.0.113.1", w.vm4->mac,
                                    "203.0.113.50"),
                  NULL, UNDERLAY(BAD_PORT), "h2 forwarding to vm4 (h1)");

    /* Every tunnel flow of every host: each accepting flow of
     * PT_TUNNEL_SECURITY but the elastic IPs' names the sending host. */
    for (int h = 0; h < 3; h++) {
        struct of_flow_set all;
        const struct of_flow *flow;

        compute(&w, w.h[h], &all);
        HMAP_FOR_EACH (flow, node, &all.flows) {
            if (flow->table == PT_TUNNEL_SECURITY && flow->priority
                && PIPELINE_COOKIE_CLASS(flow->cookie) != PIPELINE_C_EIP) {
                assert_non_null(strstr(of_flow_match_text(flow), ",tun_src="));
                assert_true(PIPELINE_COOKIE_CLASS(flow->cookie)
                            == PIPELINE_C_LOCATION);
            }
        }
        of_flow_set_destroy(&all);
    }

    of_flow_set_destroy(&f);
    model_destroy(&w.m);
}

/* During a migration the port's source and destination may both send as
 * it, on every host, from prepare until complete or abort, and each may
 * forward to it on the other: the remote hosts learn the destination at
 * prepare (a few flows of the port's location class), and the switchover
 * changes none of these flows anywhere. */
static void
test_underlay_migration(void **state OVS_UNUSED)
{
    uint64_t loc = PIPELINE_COOKIE(PIPELINE_C_LOCATION, 1);
    struct of_flow_set before[3], prepared[3], switched[3], complete[3];
    struct model_port *x2, *x1;
    struct eth_addr gw;
    struct of_flow_diff d;
    struct world w;

    world_init(&w, 3);
    x1 = model_find_port(&w.m, "x1");
    x2 = model_find_port(&w.m, "x2");
    assert_true(eth_addr_from_string("02:00:00:00:01:01", &gw));
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &before[h]);
    }
    /* vm1 prepared on h2. */
    w.vm1->standby = w.h[1];
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &prepared[h]);
    }
    /* Switched over. */
    w.vm1->active = w.h[1];
    w.vm1->standby = w.h[0];
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &switched[h]);
    }
    /* Complete. */
    w.vm1->standby = NULL;
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &complete[h]);
    }

    /* h3, a remote host: vm1 from h1 only, then from h1 and h2 from
     * prepare on (3 flows: its MAC, its IPv4 and IPv6 addresses, all of its
     * location class), then from h2 only. */
    static const char *const from_h2[] = {
        "metadata=0x3e9,tun_src=172.16.0.12,dl_src=02:00:0a:00:00:01",
        "metadata=0x3e9,tun_src=172.16.0.12,ip,nw_src=10.0.0.5",
        "metadata=0x3e9,tun_src=172.16.0.12,ipv6,ipv6_src=fd00:0:0:1::5",
    };
    static const char *const from_h1[] = {
        "metadata=0x3e9,tun_src=172.16.0.11,dl_src=02:00:0a:00:00:01",
        "metadata=0x3e9,tun_src=172.16.0.11,ip,nw_src=10.0.0.5",
        "metadata=0x3e9,tun_src=172.16.0.11,ipv6,ipv6_src=fd00:0:0:1::5",
    };
    for (size_t i = 0; i < ARRAY_SIZE(from_h1); i++) {
        uint16_t prio = i ? 90 : 100;

        assert_flow(&before[2], PT_TUNNEL_SECURITY, prio, from_h1[i],
                    "goto_table:30");
        assert_no_flow(&before[2], PT_TUNNEL_SECURITY, prio, from_h2[i]);
        assert_flow(&prepared[2], PT_TUNNEL_SECURITY, prio, from_h1[i], NULL);
        assert_flow(&prepared[2], PT_TUNNEL_SECURITY, prio, from_h2[i], NULL);
        assert_flow(&switched[2], PT_TUNNEL_SECURITY, prio, from_h1[i], NULL);
        assert_flow(&switched[2], PT_TUNNEL_SECURITY, prio, from_h2[i], NULL);
        assert_no_flow(&complete[2], PT_TUNNEL_SECURITY, prio, from_h1[i]);
        assert_flow(&complete[2], PT_TUNNEL_SECURITY, prio, from_h2[i], NULL);
    }
    of_flow_set_diff(&before[2], &prepared[2], &d);
    assert_int_equal(d.n_add, 3);
    assert_int_equal(d.n_modify + d.n_del, 0);
    for (size_t i = 0; i < d.n_add; i++) {
        assert_true(d.add[i]->cookie == loc);
    }
    of_flow_diff_destroy(&d);

    /* The switchover changes no tunnel flow on any host (its flow counts
     * are test_move_changes_only_location()'s). */
    for (int h = 0; h < 3; h++) {
        of_flow_set_diff(&prepared[h], &switched[h], &d);
        for (size_t i = 0; i < d.n_add; i++) {
            assert_true(d.add[i]->table != PT_TUNNEL_SECURITY);
        }
        for (size_t i = 0; i < d.n_modify; i++) {
            assert_true(d.modify[i]->table != PT_TUNNEL_SECURITY);
        }
        for (size_t i = 0; i < d.n_del; i++) {
            assert_true(d.del[i]->table != PT_TUNNEL_SECURITY);
        }
        of_flow_diff_destroy(&d);
    }

    /* On h3 while switched, vm1's frames to x2 (ofport 2 there) arrive
     * from either host: the old location's in flight, the new one's. */
    assert_tunnel(&switched[2], tunnel_packet("172.16.0.11", 0x3e9,
                                              w.vm1->mac, "10.0.0.5",
                                              x2->mac, "10.0.0.12"),
                  "output:2", 0, "vm1 from h1 (switched)");
    assert_tunnel(&switched[2], tunnel_packet("172.16.0.12", 0x3e9,
                                              w.vm1->mac, "10.0.0.5",
                                              x2->mac, "10.0.0.12"),
                  "output:2", 0, "vm1 from h2 (switched)");
    assert_tunnel(&prepared[2], tunnel_packet("172.16.0.12", 0x3e9,
                                              w.vm1->mac, "10.0.0.5",
                                              x2->mac, "10.0.0.12"),
                  "output:2", 0, "vm1 from h2 (prepared)");
    assert_tunnel(&before[2], tunnel_packet("172.16.0.12", 0x3e9,
                                            w.vm1->mac, "10.0.0.5",
                                            x2->mac, "10.0.0.12"),
                  NULL, UNDERLAY(BAD_PORT), "vm1 from h2 (no migration)");
    assert_tunnel(&complete[2], tunnel_packet("172.16.0.11", 0x3e9,
                                              w.vm1->mac, "10.0.0.5",
                                              x2->mac, "10.0.0.12"),
                  NULL, UNDERLAY(BAD_PORT), "vm1 from h1 (complete)");

    /* h2 after the switchover (vm1 on its ofport 1): h1 forwards what it
     * still gets for vm1, whoever sent it (x2 on h3, the elastic IP's
     * traffic from the physical network).  Not before the migration, and
     * not once it is complete. */
    assert_tunnel(&switched[1], tunnel_packet("172.16.0.11", 0x3e9, x2->mac,
                                              "10.0.0.12", w.vm1->mac,
                                              "10.0.0.5"),
                  "output:1", 0, "x2's straggler forwarded by h1");
    assert_flow(&switched[1], PT_TUNNEL_SECURITY, 80,
                "metadata=0x3e9,tun_src=172.16.0.11,dl_dst=02:00:0a:00:00:01",
                "goto_table:30");
    assert_flow(&switched[0], PT_TUNNEL_SECURITY, 80,
                "metadata=0x3e9,tun_src=172.16.0.12,dl_dst=02:00:0a:00:00:01",
                "goto_table:30");
    assert_no_flow(&before[1], PT_TUNNEL_SECURITY, 80,
                   "metadata=0x3e9,tun_src=172.16.0.11,"
                   "dl_dst=02:00:0a:00:00:01");
    assert_no_flow(&complete[1], PT_TUNNEL_SECURITY, 80,
                   "metadata=0x3e9,tun_src=172.16.0.11,"
                   "dl_dst=02:00:0a:00:00:01");
    /* Only vm1's: x1 lives on h2 itself, x2 on h3. */
    assert_tunnel(&switched[1], tunnel_packet("172.16.0.11", 0x3e9, x2->mac,
                                              "10.0.0.12", x1->mac,
                                              "10.0.0.11"),
                  NULL, UNDERLAY(BAD_PORT), "h1 forwarding to x1");
    assert_no_flow(&complete[0], PT_TUNNEL_SECURITY, 80,
                   "metadata=0x3e9,tun_src=172.16.0.12,"
                   "dl_dst=02:00:0a:00:00:01");

    for (int h = 0; h < 3; h++) {
        of_flow_set_destroy(&before[h]);
        of_flow_set_destroy(&prepared[h]);
        of_flow_set_destroy(&switched[h]);
        of_flow_set_destroy(&complete[h]);
    }
    model_destroy(&w.m);
}

/* A provider VLAN port's stragglers: during its migration, what the
 * physical network still sends its old host is tunnelled to the new one,
 * with the VLAN's key, and taken there from that host only. */
static void
test_underlay_vlan(void **state OVS_UNUSED)
{
    struct of_flow_set f;
    struct eth_addr edge;
    struct world w;

    world_init(&w, 0);
    assert_true(eth_addr_from_string("02:00:00:00:99:99", &edge));
    w.vm4->active = w.h[1];
    w.vm4->standby = w.h[0];
    compute(&w, w.h[1], &f);
    /* vm4 is h2's ofport 2 (after vm2). */
    assert_tunnel(&f, tunnel_packet("172.16.0.11", 0xfff064, edge,
                                    "203.0.113.1", w.vm4->mac,
                                    "203.0.113.50"),
                  "output:2", 0, "vm4's straggler forwarded by h1");
    assert_tunnel(&f, tunnel_packet("172.16.0.13", 0xfff064, edge,
                                    "203.0.113.1", w.vm4->mac,
                                    "203.0.113.50"),
                  NULL, UNDERLAY(BAD_PORT), "vm4's straggler from h3");
    /* A VLAN port's own traffic never takes a tunnel. */
    assert_tunnel(&f, tunnel_packet("172.16.0.11", 0xfff064, w.vm4->mac,
                                    "203.0.113.50", edge, "203.0.113.1"),
                  NULL, UNDERLAY(BAD_PORT), "vm4 from h1");
    of_flow_set_destroy(&f);
    model_destroy(&w.m);
}

/* A migration with a hold (docs/hold.md), vm1 from h1 to h2, hold 7 on
 * h2: the source copies, the destination hands copies, then the port's
 * frames, to its hold, and what the hold sends back reaches the VM (or,
 * after an abort, the source); h3 sees none of it; the switchover stays a
 * few location flows. */
static void
test_hold(void **state OVS_UNUSED)
{
    uint64_t loc = PIPELINE_COOKIE(PIPELINE_C_LOCATION, 1);
    static const char copy_in[] =
        "in_port=100,tun_id=0xffefff,tun_src=172.16.0.11,"
        "dl_dst=02:00:0a:00:00:01";
    static const char replay[] = "in_port=300,dl_vlan=7,dl_vlan_pcp=5";
    static const char release[] = "in_port=300,dl_vlan=7,dl_vlan_pcp=6";
    struct of_flow_set plain[3], copy[3], hold[3], pass[3], rel[3];
    struct of_flow_diff d;
    struct eth_addr peer;
    struct flow pkt;
    struct world w;

    world_init(&w, 0);
    assert_true(eth_addr_from_string("02:00:0a:00:00:09", &peer));

    /* Prepared, without a hold and with one: only h1's location flow and
     * h2's hold flows differ; h3's are the same. */
    w.vm1->standby = w.h[1];
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &plain[h]);
    }
    w.vm1->hold = (struct model_hold) { MODEL_HOLD_COPY, w.h[1], 7 };
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &copy[h]);
    }
    assert_flow(&copy[0], PT_LOCATION, 100, "reg5=0x1",
                "output:1,set_field:0->in_port,"
                "set_field:172.16.0.12->tun_dst,"
                "set_field:0xffefff->tun_id,output:100");
    assert_flow(&copy[1], PT_CLASSIFY, 110, copy_in,
                "push_vlan:0x8100,set_field:4103->vlan_vid,"
                "set_field:1->vlan_pcp,output:300");
    assert_flow(&copy[1], PT_CLASSIFY, 110, replay, "pop_vlan,output:1");
    assert_flow(&copy[1], PT_CLASSIFY, 110,
                "in_port=300,dl_vlan=7,dl_vlan_pcp=7", "in_port");
    assert_flow(&copy[1], PT_CLASSIFY, 110, release,
                "pop_vlan,set_field:0x1->reg5,set_field:0x3e9->metadata,"
                "goto_table:40");
    of_flow_set_diff(&plain[0], &copy[0], &d);
    assert_int_equal(d.n_add + d.n_del, 0);
    assert_int_equal(d.n_modify, 1);
    of_flow_diff_destroy(&d);
    /* h2 lets vm1's interface send before the switchover (early egress),
     * and its admission flow still says vm1 is not there. */
    assert_flow(&copy[1], PT_ADMISSION, 105, "reg7=0x1,in_port=1",
                "goto_table:10");
    assert_flow(&copy[1], PT_ADMISSION, 100, "reg7=0x1,in_port=1", "drop");
    assert_int_equal(pipeline_admission_read(&copy[1], w.vm1->key, 0),
                     PIPELINE_ADMISSION_CLOSED);
    /* ...and its RARP tells the hold that the VM runs (PCP 4). */
    assert_flow(&copy[1], PT_ADMISSION, 106, "reg7=0x1,in_port=1,rarp",
                "push_vlan:0x8100,set_field:4103->vlan_vid,"
                "set_field:4->vlan_pcp,output:300,pop_vlan,goto_table:10");
    of_flow_set_diff(&plain[1], &copy[1], &d);
    assert_int_equal(d.n_add, 6);
    assert_int_equal(d.n_modify + d.n_del, 0);
    for (size_t i = 0; i < d.n_add; i++) {
        assert_true(d.add[i]->cookie == loc);
    }
    of_flow_diff_destroy(&d);
    of_flow_set_diff(&plain[2], &copy[2], &d);
    assert_int_equal(d.n_add + d.n_modify + d.n_del, 0);
    of_flow_diff_destroy(&d);

    /* A copy reaches h2's hold only from h1, with the copies' key and vm1's
     * MAC; a forged one from h3 is dropped. */
    pkt = tunnel_packet("172.16.0.11", MODEL_COPY_TUNNEL_KEY, peer, "10.0.0.9",
                        w.vm1->mac, "10.0.0.5");
    assert_tunnel(&copy[1], pkt, "push_vlan:0x8100,set_field:4103->vlan_vid,"
                  "set_field:1->vlan_pcp,output:300", 0, "a copy");
    pkt = tunnel_packet("172.16.0.13", MODEL_COPY_TUNNEL_KEY, peer, "10.0.0.9",
                        w.vm1->mac, "10.0.0.5");
    assert_tunnel(&copy[1], pkt, NULL, PIPELINE_COOKIE(PIPELINE_C_UNDERLAY,
                  PIPELINE_UNDERLAY_BAD_VNI), "a copy from h3");
    pkt = tunnel_packet("172.16.0.11", MODEL_COPY_TUNNEL_KEY, peer, "10.0.0.9",
                        peer, "10.0.0.5");
    assert_tunnel(&copy[1], pkt, NULL, PIPELINE_COOKIE(PIPELINE_C_UNDERLAY,
                  PIPELINE_UNDERLAY_BAD_VNI), "a copy for another MAC");

    /* Switched over: h1 forwards (no copy), h2 holds what h1 forwards
     * (PCP 2) and what comes from anywhere else (PCP 3).  The switchover
     * changes 3 flows on h1 and 4 on h2 (one more than without a hold: the
     * forwarded frames' own), 1 on h3, all vm1's location flows. */
    w.vm1->active = w.h[1];
    w.vm1->standby = w.h[0];
    w.vm1->hold.phase = MODEL_HOLD_HOLD;
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &hold[h]);
    }
    assert_flow(&hold[0], PT_LOCATION, 100, "reg5=0x1",
                "set_field:0->in_port,set_field:172.16.0.12->tun_dst,"
                "set_field:0x3e9->tun_id,output:100");
    assert_flow(&hold[1], PT_LOCATION, 110, "reg5=0x1,tun_src=172.16.0.11",
                "push_vlan:0x8100,set_field:4103->vlan_vid,"
                "set_field:2->vlan_pcp,output:300");
    assert_flow(&hold[1], PT_LOCATION, 100, "reg5=0x1",
                "push_vlan:0x8100,set_field:4103->vlan_vid,"
                "set_field:3->vlan_pcp,output:300");
    assert_flow(&hold[1], PT_CLASSIFY, 110, copy_in, NULL);
    assert_flow(&hold[1], PT_ADMISSION, 100, "reg7=0x1,in_port=1",
                "goto_table:10");
    size_t want[3] = { 3, 4, 1 };
    for (int h = 0; h < 3; h++) {
        of_flow_set_diff(&copy[h], &hold[h], &d);
        assert_int_equal(d.n_add + d.n_modify + d.n_del, want[h]);
        for (size_t i = 0; i < d.n_add; i++) {
            assert_true(d.add[i]->cookie == loc);
        }
        for (size_t i = 0; i < d.n_modify; i++) {
            assert_true(d.modify[i]->cookie == loc);
        }
        of_flow_diff_destroy(&d);
    }

    /* Replayed: the VM's interface again; no more copies; what the hold
     * still sends back reaches the VM. */
    w.vm1->hold.phase = MODEL_HOLD_PASS;
    compute(&w, w.h[1], &pass[1]);
    assert_flow(&pass[1], PT_LOCATION, 100, "reg5=0x1", "output:1");
    assert_no_flow(&pass[1], PT_LOCATION, 110, "reg5=0x1,tun_src=172.16.0.11");
    assert_no_flow(&pass[1], PT_CLASSIFY, 110, copy_in);
    assert_flow(&pass[1], PT_CLASSIFY, 110, replay, "pop_vlan,output:1");
    assert_no_flow(&pass[1], PT_ADMISSION, 105, "reg7=0x1,in_port=1");
    assert_no_flow(&pass[1], PT_ADMISSION, 106, "reg7=0x1,in_port=1,rarp");

    /* Aborted after the switchover: vm1 back on h1; h2 sends what its hold
     * releases where vm1 lives, through the tunnel to h1. */
    w.vm1->active = w.h[0];
    w.vm1->standby = NULL;
    w.vm1->hold.phase = MODEL_HOLD_RELEASE;
    compute(&w, w.h[1], &rel[1]);
    assert_flow(&rel[1], PT_CLASSIFY, 110, release, NULL);
    assert_no_flow(&rel[1], PT_CLASSIFY, 110, copy_in);
    assert_flow(&rel[1], PT_LOCATION, 100, "reg5=0x1",
                "set_field:0->in_port,set_field:172.16.0.11->tun_dst,"
                "set_field:0x3e9->tun_id,output:100");
    /* h1 takes them from h2's tunnel, whatever their source; h3 does not. */
    compute(&w, w.h[0], &rel[0]);
    compute(&w, w.h[2], &rel[2]);
    assert_flow(&rel[0], PT_TUNNEL_SECURITY, 80,
                "metadata=0x3e9,tun_src=172.16.0.12,dl_dst=02:00:0a:00:00:01",
                "goto_table:30");
    assert_no_flow(&rel[2], PT_TUNNEL_SECURITY, 80,
                   "metadata=0x3e9,tun_src=172.16.0.12,dl_dst=02:00:0a:00:00:01");

    /* Without an announcer on h2 nothing is held there (the hold needs its
     * daemon): switched over, vm1 is delivered to its interface. */
    struct pipeline_ports ports;
    struct of_flow_set bare;

    w.vm1->active = w.h[1];
    w.vm1->standby = w.h[0];
    w.vm1->hold.phase = MODEL_HOLD_HOLD;
    world_ports(&w, w.h[1], &ports);
    simap_find_and_delete(&ports.ifaces, PIPELINE_ANNOUNCER_IFACE_ID);
    of_flow_set_init(&bare);
    assert_int_equal(pipeline_compute(&w.m, w.h[1], &ports, &bare), 0);
    assert_flow(&bare, PT_LOCATION, 100, "reg5=0x1", "output:1");
    assert_no_flow(&bare, PT_CLASSIFY, 110, copy_in);
    assert_no_flow(&bare, PT_CLASSIFY, 110, replay);
    pipeline_ports_destroy(&ports);
    of_flow_set_destroy(&bare);

    for (int h = 0; h < 3; h++) {
        of_flow_set_destroy(&plain[h]);
        of_flow_set_destroy(&copy[h]);
        of_flow_set_destroy(&hold[h]);
    }
    of_flow_set_destroy(&pass[1]);
    of_flow_set_destroy(&rel[0]);
    of_flow_set_destroy(&rel[1]);
    of_flow_set_destroy(&rel[2]);
    model_destroy(&w.m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_set),
        cmocka_unit_test(test_flows_of_h1),
        cmocka_unit_test(test_flows_of_h2),
        cmocka_unit_test(test_isolation),
        cmocka_unit_test(test_standby_admission),
        cmocka_unit_test(test_drain),
        cmocka_unit_test(test_local_migration),
        cmocka_unit_test(test_ports_changed),
        cmocka_unit_test(test_compute_port_is_subset),
        cmocka_unit_test(test_move_changes_only_location),
        cmocka_unit_test(test_conflicts_reported),
        cmocka_unit_test(test_model_ipv6),
        cmocka_unit_test(test_flows_parse),
        cmocka_unit_test(test_nd_answers),
        cmocka_unit_test(test_nd_port_security),
        cmocka_unit_test(test_ipv6_routing),
        cmocka_unit_test(test_announcer),
        cmocka_unit_test(test_announcer_name_reserved),
        cmocka_unit_test(test_underlay),
        cmocka_unit_test(test_underlay_migration),
        cmocka_unit_test(test_underlay_vlan),
        cmocka_unit_test(test_hold),
    };

    return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
