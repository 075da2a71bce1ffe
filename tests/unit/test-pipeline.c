/* Unit tests for the pipeline (datapath/pipeline.c) and flow sets: the flows
 * a host gets from a model, isolation between VPCs, port security only where
 * a VM is attached, and the property the whole project rests on: moving a
 * port changes only its location flows, O(1) per host whatever the number of
 * ports. */

#include <config.h>

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
#include "pipeline.h"
#include "util.h"

#define VXLAN 100
#define GENEVE 101
#define PROVIDER 200

/* The lab's world: 3 hosts, VPC vpc1 (VXLAN 1001: subnets web and db),
 * VPC vpc2 (Geneve 1002: subnet app, overlapping web), provider VLAN 100
 * (subnet public), ports vm1 (web, h1), vm2 (db, h2), vm3 (app, h3), vm4
 * (public, h1), elastic IP 203.0.113.10 on vm1.  'extra' more ports in web,
 * spread over the hosts. */
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
    const char *ip;

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
    ip = "10.0.0.5";
    must(w->vm1 = model_add_port(&w->m, web, "vm1", 1, "02:00:0a:00:00:01",
                                 &ip, 1, w->h[0], &error), error);
    ip = "10.0.1.5";
    must(w->vm2 = model_add_port(&w->m, db, "vm2", 2, "02:00:0a:00:01:02",
                                 &ip, 1, w->h[1], &error), error);
    ip = "10.0.0.5";
    must(w->vm3 = model_add_port(&w->m, app, "vm3", 3, "02:00:0a:00:02:03",
                                 &ip, 1, w->h[2], &error), error);
    ip = "203.0.113.50";
    must(w->vm4 = model_add_port(&w->m, pub, "vm4", 4, "02:00:cb:00:71:04",
                                 &ip, 1, w->h[0], &error), error);
    must(model_add_eip(&w->m, prov, "203.0.113.10", "02:00:cb:00:71:0a",
                       w->vm1, NULL, &error), error);
    for (size_t i = 0; i < extra; i++) {
        char name[16], mac[32], addr[32];

        snprintf(name, sizeof name, "x%"PRIuSIZE, i);
        snprintf(mac, sizeof mac, "02:00:0b:00:%02x:%02x",
                 (unsigned) (i >> 8), (unsigned) (i & 0xff));
        snprintf(addr, sizeof addr, "10.0.0.%"PRIuSIZE, 10 + i % 240);
        ip = addr;
        /* Keep addresses unique: extra ports beyond 240 have none. */
        must(model_add_port(&w->m, web, name, 100 + i, mac, &ip,
                            i < 240 ? 1 : 0, w->h[i % 3], &error), error);
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
        struct dp_flow_set *flows)
{
    struct pipeline_ports ports;

    world_ports(w, h, &ports);
    dp_flow_set_init(flows);
    assert_int_equal(pipeline_compute(&w->m, h, &ports, flows), 0);
    pipeline_ports_destroy(&ports);
}

static void
assert_flow(const struct dp_flow_set *flows, uint8_t table,
            uint16_t priority, const char *match, const char *actions)
{
    const struct dp_flow *f = dp_flow_set_find(flows, table, priority, match);

    if (!f) {
        fail_msg("no flow table=%u,priority=%u,%s", table, priority, match);
    }
    if (actions && strcmp(f->actions, actions)) {
        fail_msg("flow table=%u,priority=%u,%s has actions\n  %s\n"
                 "expected\n  %s", table, priority, match, f->actions,
                 actions);
    }
}

static void
assert_no_flow(const struct dp_flow_set *flows, uint8_t table,
               uint16_t priority, const char *match)
{
    if (dp_flow_set_find(flows, table, priority, match)) {
        fail_msg("unexpected flow table=%u,priority=%u,%s", table, priority,
                 match);
    }
}

static void
test_flows_of_h1(void **state OVS_UNUSED)
{
    struct world w;
    struct dp_flow_set f;

    world_init(&w, 0);
    compute(&w, w.h[0], &f);

    /* vm1 comes in on ofport 1, into vpc1 (metadata 0x3e9). */
    assert_flow(&f, PT_CLASSIFY, 100, "in_port=1",
                "set_field:0x1->reg7,set_field:0x3e9->metadata,"
                "goto_table:5");
    assert_flow(&f, PT_ADMISSION, 100, "reg7=0x1", "goto_table:10");
    assert_flow(&f, PT_PORT_SECURITY, 100,
                "reg7=0x1,dl_src=02:00:0a:00:00:01,ip,nw_src=10.0.0.5",
                "goto_table:15");
    /* Tunnels in. */
    assert_flow(&f, PT_CLASSIFY, 100, "in_port=100,tun_id=0x3e9",
                "set_field:0x3e9->metadata,set_field:0x2->reg4,"
                "goto_table:30");
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

    dp_flow_set_destroy(&f);
    model_destroy(&w.m);
}

static void
test_flows_of_h2(void **state OVS_UNUSED)
{
    struct world w;
    struct dp_flow_set f;

    world_init(&w, 0);
    compute(&w, w.h[1], &f);

    /* vm1 is not attached here: no ingress, no port security. */
    assert_no_flow(&f, PT_ADMISSION, 100, "reg7=0x1");
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

    dp_flow_set_destroy(&f);
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
        struct dp_flow_set f;
        const struct dp_flow *flow;

        compute(&w, w.h[h], &f);
        HMAP_FOR_EACH (flow, node, &f.flows) {
            unsigned int meta;
            const char *reg5;

            if (flow->table != PT_L2 || flow->priority != 100) {
                continue;
            }
            assert_int_equal(sscanf(flow->match, "metadata=%x", &meta), 1);
            reg5 = strstr(flow->actions, "->reg5");
            assert_non_null(reg5);
            for (size_t i = 0; i < w.m.n_ports; i++) {
                const struct model_port *p = w.m.ports[i];
                char want[32];

                snprintf(want, sizeof want, "set_field:%#"PRIx32"->reg5",
                         p->key);
                if (!strncmp(flow->actions, want, strlen(want))) {
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
        dp_flow_set_destroy(&f);
    }
    model_destroy(&w.m);
}

/* Diffs every host's flows before and after moving vm1 from h1 to h2 (h1
 * standby) with 'extra' other ports; checks only vm1's location flows
 * change, and returns how many changed on each host. */
static void
move_vm1(size_t extra, size_t changes[3])
{
    struct world w;
    struct dp_flow_set before[3], after[3];

    world_init(&w, extra);
    /* Prepared: the destination h2 has vm1's interface, standby. */
    w.vm1->standby = w.h[1];
    for (int h = 0; h < 3; h++) {
        compute(&w, w.h[h], &before[h]);
    }
    /* Switched over: active on h2, h1 standby. */
    w.vm1->active = w.h[1];
    w.vm1->standby = w.h[0];
    for (int h = 0; h < 3; h++) {
        struct dp_flow_diff d;
        const struct dp_flow **all[3];
        size_t n[3];

        compute(&w, w.h[h], &after[h]);
        dp_flow_set_diff(&before[h], &after[h], &d);
        all[0] = d.add;
        n[0] = d.n_add;
        all[1] = d.modify;
        n[1] = d.n_modify;
        all[2] = d.del;
        n[2] = d.n_del;
        for (int k = 0; k < 3; k++) {
            for (size_t i = 0; i < n[k]; i++) {
                const struct dp_flow *f = all[k][i];

                if (PIPELINE_COOKIE_CLASS(f->cookie) != PIPELINE_C_LOCATION
                    || PIPELINE_COOKIE_KEY(f->cookie) != w.vm1->key) {
                    struct ds s = DS_EMPTY_INITIALIZER;

                    dp_flow_format(f, &s);
                    fail_msg("h%d: moving vm1 changed a flow that is not "
                             "vm1's location: %s", h + 1, ds_cstr(&s));
                }
            }
        }
        changes[h] = d.n_add + d.n_modify + d.n_del;
        dp_flow_diff_destroy(&d);
        dp_flow_set_destroy(&before[h]);
        dp_flow_set_destroy(&after[h]);
    }
    model_destroy(&w.m);
}

static void
test_move_changes_only_location(void **state OVS_UNUSED)
{
    size_t small[3], large[3];

    move_vm1(10, small);
    move_vm1(500, large);
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
}

static void
test_standby_admission(void **state OVS_UNUSED)
{
    struct world w;
    struct dp_flow_set f1, f2;

    world_init(&w, 0);
    w.vm1->standby = w.h[1];
    compute(&w, w.h[0], &f1);
    compute(&w, w.h[1], &f2);
    assert_flow(&f1, PT_ADMISSION, 100, "reg7=0x1", "goto_table:10");
    /* The destination has the whole pipeline for vm1, ingress closed,
     * location still pointing at the source. */
    assert_flow(&f2, PT_ADMISSION, 100, "reg7=0x1", "drop");
    assert_flow(&f2, PT_PORT_SECURITY, 100,
                "reg7=0x1,dl_src=02:00:0a:00:00:01,ip,nw_src=10.0.0.5",
                "goto_table:15");
    assert_flow(&f2, PT_LOCATION, 100, "reg5=0x1",
                "set_field:0->in_port,set_field:172.16.0.11->tun_dst,"
                "set_field:0x3e9->tun_id,output:100");
    dp_flow_set_destroy(&f1);
    dp_flow_set_destroy(&f2);
    model_destroy(&w.m);
}

static void
test_conflicts_reported(void **state OVS_UNUSED)
{
    struct world w;
    struct pipeline_ports ports;
    struct dp_flow_set f;
    char *error = NULL;
    const char *ip = "10.0.0.99";

    world_init(&w, 0);
    /* A second port with vm1's MAC in vpc1: an inconsistent model. */
    must(model_add_port(&w.m, w.vm1->subnet, "dup", 77, "02:00:0a:00:00:01",
                        &ip, 1, w.h[0], &error), error);
    world_ports(&w, w.h[0], &ports);
    dp_flow_set_init(&f);
    assert_int_equal(pipeline_compute(&w.m, w.h[0], &ports, &f), 1);
    dp_flow_set_destroy(&f);
    pipeline_ports_destroy(&ports);
    model_destroy(&w.m);
}

static void
test_flow_set(void **state OVS_UNUSED)
{
    struct dp_flow_set a, b;
    struct dp_flow_diff d;
    const struct dp_flow **sorted;
    struct ds s = DS_EMPTY_INITIALIZER;

    dp_flow_set_init(&a);
    dp_flow_set_init(&b);
    assert_non_null(dp_flow_set_add(&a, 0, 100, 1, "in_port=1", "drop"));
    assert_null(dp_flow_set_add(&a, 0, 100, 2, "in_port=1", "output:2"));
    assert_non_null(dp_flow_set_add(&a, 0, 50, 1, "in_port=1", "drop"));
    assert_non_null(dp_flow_set_add(&a, 10, 0, 1, "", "drop"));
    assert_non_null(dp_flow_set_add(&b, 0, 100, 1, "in_port=1", "output:3"));
    assert_non_null(dp_flow_set_add(&b, 10, 0, 1, "", "drop"));
    assert_non_null(dp_flow_set_add(&b, 20, 0, 1, "", "drop"));

    dp_flow_set_diff(&a, &b, &d);
    assert_int_equal(d.n_add, 1);
    assert_int_equal(d.add[0]->table, 20);
    assert_int_equal(d.n_modify, 1);
    assert_string_equal(d.modify[0]->actions, "output:3");
    assert_int_equal(d.n_del, 1);
    assert_int_equal(d.del[0]->priority, 50);
    dp_flow_diff_destroy(&d);

    sorted = dp_flow_set_sorted(&a);
    dp_flow_format(sorted[0], &s);
    assert_string_equal(ds_cstr(&s),
                        "table=0,priority=100,cookie=0x1,in_port=1 "
                        "actions=drop");
    assert_int_equal(sorted[1]->priority, 50);
    assert_int_equal(sorted[2]->table, 10);
    free(sorted);
    ds_destroy(&s);
    dp_flow_set_destroy(&a);
    dp_flow_set_destroy(&b);
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
        cmocka_unit_test(test_move_changes_only_location),
        cmocka_unit_test(test_conflicts_reported),
    };

    return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
