/* compute-flows: the flows the pipeline computes for one host of a
 * northbound database, given the host's OpenFlow port numbers, as
 * 'ovs-ofctl add-flows' takes them.  For tests and benchmarks that
 * program a switch without cutoverd (tests/integration/pipeline.sh,
 * install-flows); cutoverd shows what it computes for the hosts it manages
 * with cutoverd/flows.
 *
 *   compute-flows --db=DATABASE HOST [IFACE-ID=OFPORT]... [vxlan=OFPORT]
 *                 [geneve=OFPORT] [provider=OFPORT]
 *
 * Exits 1 if the database is inconsistent (some flows conflicted: printed
 * without them) or cannot be read, 2 on a usage error. */

#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow-set.h"
#include "lib/cutover-nb-idl.h"
#include "model-idl.h"
#include "model.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "pipeline.h"
#include "timeval.h"
#include "util.h"

/* Parses the port arguments 'argv[0..argc-1]' into 'ports'. */
static void
parse_ports(int argc, char *argv[], struct pipeline_ports *ports)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        unsigned int ofport;
        char *name;

        if (!eq || eq == arg || !str_to_uint(eq + 1, 10, &ofport)
            || !ofport || ofport >= 0xff00) {
            fprintf(stderr, "compute-flows: '%s' is not NAME=OFPORT (an "
                    "iface-id, or vxlan, geneve or provider, and an "
                    "OpenFlow port number)\n", arg);
            exit(2);
        }
        name = xmemdup0(arg, eq - arg);
        if (!strcmp(name, "vxlan")) {
            ports->vxlan_ofport = ofport;
        } else if (!strcmp(name, "geneve")) {
            ports->geneve_ofport = ofport;
        } else if (!strcmp(name, "provider")) {
            ports->provider_ofport = ofport;
        } else {
            simap_put(&ports->ifaces, name, ofport);
        }
        free(name);
    }
}

int
main(int argc, char *argv[])
{
    const struct model_host *mh;
    struct pipeline_ports ports;
    struct of_flow_set flows;
    struct ovsdb_idl *idl;
    struct model model;
    long long int deadline;
    size_t n_conflicts;
    unsigned int seqno;
    const char *db;

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    vlog_set_levels_from_string_assert("reconnect:emer");
    if (argc < 3 || strncmp(argv[1], "--db=", 5)) {
        fprintf(stderr, "usage: compute-flows --db=DATABASE HOST "
                "[IFACE-ID=OFPORT]... [vxlan=N] [geneve=N] [provider=N]\n");
        return 2;
    }
    db = argv[1] + 5;
    pipeline_ports_init(&ports);
    parse_ports(argc - 3, argv + 3, &ports);

    idl = ovsdb_idl_create(db, &nbrec_idl_class, true, true);
    deadline = time_msec() + 10000;
    seqno = ovsdb_idl_get_seqno(idl);
    for (;;) {
        /* The contents have arrived once the seqno changed after the
         * connection. */
        ovsdb_idl_run(idl);
        if (ovsdb_idl_has_ever_connected(idl)
            && ovsdb_idl_get_seqno(idl) != seqno) {
            break;
        }
        if (time_msec() >= deadline) {
            fprintf(stderr, "compute-flows: cannot read %s\n", db);
            return 1;
        }
        ovsdb_idl_wait(idl);
        poll_timer_wait_until(deadline);
        poll_block();
    }

    model_init(&model);
    model_from_idl(&model, idl);
    mh = model_find_host(&model, argv[2]);
    if (!mh) {
        fprintf(stderr, "compute-flows: no host named '%s'\n", argv[2]);
        return 1;
    }
    of_flow_set_init(&flows);
    n_conflicts = pipeline_compute(&model, mh, &ports, &flows);
    of_flow_set_print(&flows, stdout);
    if (n_conflicts) {
        fprintf(stderr, "compute-flows: %"PRIuSIZE" flows conflicted: the "
                "database is inconsistent (see the warnings)\n",
                n_conflicts);
    }
    of_flow_set_destroy(&flows);
    model_destroy(&model);
    pipeline_ports_destroy(&ports);
    ovsdb_idl_destroy(idl);
    return n_conflicts ? 1 : 0;
}
