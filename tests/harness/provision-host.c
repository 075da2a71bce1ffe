/* provision-host: drives host provisioning (datapath/provision.c) against a
 * real ovsdb-server, for tests.
 *
 *   provision-host TARGET
 *
 * Provisions the host whose Open vSwitch database is at TARGET (e.g.
 * unix:.../db.sock) and, once everything is in place, prints on one line
 * the port numbers the pipeline needs, as tests/harness/compute-flows takes them:
 * vxlan=N geneve=N provider=N IFACE-ID=N... */

#include <config.h>

#include <stdio.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "pipeline.h"
#include "provision.h"
#include "timeval.h"
#include "util.h"

int
main(int argc, char *argv[])
{
    struct pipeline_ports ports;
    struct provision *p;
    long long int deadline;

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    if (argc != 2) {
        ovs_fatal(0, "usage: %s TARGET", program_name);
    }
    p = provision_create("host", argv[1], NULL);
    pipeline_ports_init(&ports);
    deadline = time_msec() + 30000;
    for (;;) {
        provision_run(p);
        if (provision_get_ports(p, &ports)) {
            break;
        }
        if (time_msec() > deadline) {
            struct ds s = DS_EMPTY_INITIALIZER;

            provision_format_status(p, &s);
            ovs_fatal(0, "not provisioned within 30 s: %s", ds_cstr(&s));
        }
        provision_wait(p);
        poll_timer_wait_until(deadline);
        poll_block();
    }

    const struct simap_node **ifaces = simap_sort(&ports.ifaces);
    printf("vxlan=%d geneve=%d", ports.vxlan_ofport, ports.geneve_ofport);
    if (ports.provider_ofport) {
        printf(" provider=%d", ports.provider_ofport);
    }
    for (size_t i = 0; i < simap_count(&ports.ifaces); i++) {
        printf(" %s=%u", ifaces[i]->name, ifaces[i]->data);
    }
    putchar('\n');
    free(ifaces);
    pipeline_ports_destroy(&ports);
    provision_destroy(p);
    return 0;
}
