/* bench-pipeline: how long computing a host's flows takes for 10, 100,
 * 1,000 and 10,000 ports, a whole host's (pipeline_compute()) and one
 * port's (pipeline_compute_port(), what a migration recomputes: it must not
 * grow with the number of ports, nor must the number of flows a port move
 * changes on each host).  A whole host's is timed twice: with nothing
 * computed before ("compute": every flow parsed, flow-set.h), and again
 * while the last computation's flows are kept, as cutoverd computes a host
 * again ("again": a flow that did not change shares its parse).  Prints
 * figures; asserts nothing.
 *
 *   bench-pipeline                  the table
 *   bench-pipeline --print N HOST [prepared|moved]
 *                                   host HOST's (1-3) flows for N ports, as
 *                                   tests/harness/compute-flows prints them
 *                                   (for tests/bench/bench-install); with
 *                                   'prepared', port p0 (on h1) has a
 *                                   migration to h2 prepared, with 'moved'
 *                                   it has switched over to h2 */

#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow-set.h"
#include "model.h"
#include "openvswitch/dynamic-string.h"
#include "pipeline.h"
#include "stats.h"
#include "timing.h"
#include "util.h"

#define N_HOSTS 3

/* A VPC of 'n' ports in one /16 subnet, spread over 3 hosts, each with an
 * elastic IP for every tenth port. */
static void
build(struct model *m, size_t n, struct model_host *hosts[N_HOSTS])
{
    struct model_network *vpc, *prov;
    struct model_subnet *s;
    char *error = NULL;

    model_init(m);
    for (int i = 0; i < N_HOSTS; i++) {
        char name[8], ip[32];

        snprintf(name, sizeof name, "h%d", i + 1);
        snprintf(ip, sizeof ip, "172.16.0.%d", 11 + i);
        hosts[i] = model_add_host(m, name, ip, &error);
    }
    vpc = model_add_network(m, "vpc", MODEL_NET_VXLAN, 1001, &error);
    prov = model_add_network(m, "provider", MODEL_NET_VLAN, 100, &error);
    s = model_add_subnet(m, vpc, "web", "10.0.0.0/16", "10.0.0.1",
                         "02:00:00:00:01:01", &error);
    model_add_subnet(m, prov, "public", "203.0.0.0/16", "203.0.0.1",
                     "02:00:cb:00:00:01", &error);
    for (size_t i = 0; i < n; i++) {
        char name[32], mac[32], ip[32], eip[32], eip_mac[32];
        const char *ipp = ip;
        struct model_port *p;

        snprintf(name, sizeof name, "p%"PRIuSIZE, i);
        snprintf(mac, sizeof mac, "02:00:0a:00:%02x:%02x",
                 (unsigned) (i >> 8) & 0xff, (unsigned) i & 0xff);
        snprintf(ip, sizeof ip, "10.0.%u.%u", (unsigned) (i + 2) >> 8,
                 (unsigned) (i + 2) & 0xff);
        p = model_add_port(m, s, name, i + 1, mac, &ipp, 1,
                           hosts[i % N_HOSTS], &error);
        if (!p) {
            ovs_fatal(0, "%s", error);
        }
        if (i % 10 == 0) {
            snprintf(eip, sizeof eip, "203.0.%u.%u", (unsigned) (i + 2) >> 8,
                     (unsigned) (i + 2) & 0xff);
            snprintf(eip_mac, sizeof eip_mac, "02:00:cb:00:%02x:%02x",
                     (unsigned) (i >> 8) & 0xff, (unsigned) i & 0xff);
            model_add_eip(m, prov, eip, eip_mac, p, NULL, &error);
        }
    }
}

/* Host 'h''s switch has every port active or standby there, numbered from
 * 1, and the tunnel and patch ports. */
static void
ports_of(const struct model *m, const struct model_host *h,
         struct pipeline_ports *ports)
{
    unsigned int ofport = 1;

    pipeline_ports_init(ports);
    ports->vxlan_ofport = 60001;
    ports->geneve_ofport = 60002;
    ports->provider_ofport = 60003;
    for (size_t i = 0; i < m->n_ports; i++) {
        if (m->ports[i]->active == h || m->ports[i]->standby == h) {
            simap_put(&ports->ifaces, m->ports[i]->name, ofport++);
        }
    }
}

static size_t
compute(const struct model *m, const struct model_host *h,
        struct of_flow_set *flows)
{
    struct pipeline_ports ports;
    size_t n;

    ports_of(m, h, &ports);
    of_flow_set_init(flows);
    pipeline_compute(m, h, &ports, flows);
    n = of_flow_set_count(flows);
    pipeline_ports_destroy(&ports);
    return n;
}

static void
print_flows(size_t n, int host, const char *state)
{
    struct model_host *hosts[N_HOSTS];
    struct of_flow_set flows;
    struct model m;

    if (host < 1 || host > N_HOSTS) {
        ovs_fatal(0, "--print: host %d is not one of 1 to %d", host, N_HOSTS);
    }
    build(&m, n, hosts);
    if (state && (!strcmp(state, "prepared") || !strcmp(state, "moved"))) {
        m.ports[0]->standby = hosts[1];
        if (!strcmp(state, "moved")) {
            m.ports[0]->active = hosts[1];
            m.ports[0]->standby = hosts[0];
        }
    } else if (state) {
        ovs_fatal(0, "--print: '%s' is not 'prepared' or 'moved'", state);
    }
    compute(&m, hosts[host - 1], &flows);
    of_flow_set_print(&flows, stdout);
    of_flow_set_destroy(&flows);
    model_destroy(&m);
}

int
main(int argc, char *argv[])
{
    static const size_t sizes[] = { 10, 100, 1000, 10000 };

    set_program_name(argv[0]);
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--print")) {
        print_flows(strtoul(argv[2], NULL, 10), atoi(argv[3]),
                    argc == 5 ? argv[4] : NULL);
        return 0;
    }

    printf("%-6s %8s %12s %12s %12s %12s   %s\n", "ports", "flows/h1",
           "compute p50", "compute max", "again p50", "1 port p50",
           "flows changed by a move (h1 h2 h3)");
    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        struct model_host *hosts[N_HOSTS];
        struct sample_set times = SAMPLE_SET_INITIALIZER;
        struct sample_set port_times = SAMPLE_SET_INITIALIZER;
        struct sample_set again_times = SAMPLE_SET_INITIALIZER;
        struct of_flow_set kept;
        struct pipeline_ports ports;
        struct of_flow_set before[N_HOSTS], after[N_HOSTS];
        size_t n_flows = 0, changed[N_HOSTS];
        struct model_port *p;
        struct model m;
        char b1[32], b2[32], b3[32], b4[32];

        build(&m, sizes[k], hosts);
        for (int run = 0; run < 21; run++) {
            struct of_flow_set flows;
            uint64_t t0 = timing_mono_ns();

            n_flows = compute(&m, hosts[0], &flows);
            sample_set_add(&times, timing_mono_ns() - t0);
            of_flow_set_destroy(&flows);
        }
        /* Again, as cutoverd computes a host again: its flows of the last
         * computation are still there (the installer's), and each flow
         * that did not change shares their parse. */
        compute(&m, hosts[0], &kept);
        for (int run = 0; run < 21; run++) {
            struct of_flow_set flows;
            uint64_t t0 = timing_mono_ns();

            compute(&m, hosts[0], &flows);
            sample_set_add(&again_times, timing_mono_ns() - t0);
            of_flow_set_swap(&kept, &flows);
            of_flow_set_destroy(&flows);
        }
        ports_of(&m, hosts[0], &ports);
        for (int run = 0; run < 101; run++) {
            struct of_flow_set flows;
            uint64_t t0;

            of_flow_set_init(&flows);
            t0 = timing_mono_ns();
            pipeline_compute_port(&m, hosts[0], &ports,
                                  m.ports[run % m.n_ports], &flows);
            sample_set_add(&port_times, timing_mono_ns() - t0);
            of_flow_set_destroy(&flows);
        }
        pipeline_ports_destroy(&ports);
        of_flow_set_destroy(&kept);

        /* Move port p0 from h1 to h2 (prepared: standby on h2 first). */
        p = m.ports[0];
        p->standby = hosts[1];
        for (int h = 0; h < N_HOSTS; h++) {
            compute(&m, hosts[h], &before[h]);
        }
        p->active = hosts[1];
        p->standby = hosts[0];
        for (int h = 0; h < N_HOSTS; h++) {
            struct of_flow_diff d;

            compute(&m, hosts[h], &after[h]);
            of_flow_set_diff(&before[h], &after[h], &d);
            changed[h] = d.n_add + d.n_modify + d.n_del;
            of_flow_diff_destroy(&d);
            of_flow_set_destroy(&before[h]);
            of_flow_set_destroy(&after[h]);
        }

        printf("%-6"PRIuSIZE" %8"PRIuSIZE" %12s %12s %12s %12s   %"PRIuSIZE
               " %"PRIuSIZE" %"PRIuSIZE"\n", sizes[k], n_flows,
               timing_format_duration(b1, sizeof b1,
                                      sample_set_percentile(&times, 50)),
               timing_format_duration(b2, sizeof b2,
                                      sample_set_max(&times)),
               timing_format_duration(b4, sizeof b4,
                                      sample_set_percentile(&again_times,
                                                            50)),
               timing_format_duration(b3, sizeof b3,
                                      sample_set_percentile(&port_times,
                                                            50)),
               changed[0], changed[1], changed[2]);
        sample_set_destroy(&times);
        sample_set_destroy(&port_times);
        sample_set_destroy(&again_times);
        model_destroy(&m);
    }
    return 0;
}
