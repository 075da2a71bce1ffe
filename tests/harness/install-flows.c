/* install-flows: drives the installer (datapath/installer.c) against a real
 * switch, for tests and measurements.
 *
 *   install-flows TARGET FILE...
 *
 * Connects to TARGET (e.g. unix:.../br-int.mgmt), installs the flows of the
 * first FILE (as 'cutoverctl flows' prints them), waits until the switch
 * confirms, then does the same with each further FILE (an incremental
 * bundle each), and prints for each step the flows, the flow mods sent and
 * the time from the first message to the barrier's reply. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow-set.h"
#include "installer.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

/* Reads the flows of 'file_name' into 'set'. */
static void
read_flows(const char *file_name, struct dp_flow_set *set)
{
    FILE *f = fopen(file_name, "r");
    struct ds line = DS_EMPTY_INITIALIZER;
    int n = 0;

    if (!f) {
        ovs_fatal(errno, "%s: cannot open", file_name);
    }
    while (!ds_get_line(&line, f)) {
        char *s = ds_cstr(&line);
        char *actions = strstr(s, " actions=");
        unsigned int table, priority;
        uint64_t cookie;
        int len = 0;

        n++;
        if (!*s || *s == '#') {
            continue;
        }
        if (!actions
            || sscanf(s, "table=%u,priority=%u,cookie=%"SCNx64"%n", &table,
                      &priority, &cookie, &len) != 3) {
            ovs_fatal(0, "%s:%d: not a flow as 'cutoverctl flows' prints "
                      "it", file_name, n);
        }
        *actions = '\0';
        s += len;
        if (*s == ',') {
            s++;
        }
        if (!dp_flow_set_add(set, table, priority, cookie, s,
                             actions + strlen(" actions="))) {
            ovs_fatal(0, "%s:%d: a second flow with the same table, "
                      "priority and match", file_name, n);
        }
    }
    ds_destroy(&line);
    fclose(f);
}

int
main(int argc, char *argv[])
{
    struct installer *inst;

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    if (argc < 3) {
        ovs_fatal(0, "usage: %s TARGET FILE...", program_name);
    }

    inst = installer_create("switch");
    installer_set_target(inst, argv[1]);
    for (int i = 2; i < argc; i++) {
        const struct installer_stats *st;
        long long int deadline = time_msec() + 30000;
        struct dp_flow_set set;
        uint64_t seqno;
        size_t n;

        dp_flow_set_init(&set);
        read_flows(argv[i], &set);
        n = dp_flow_set_count(&set);
        seqno = installer_set_desired(inst, &set);
        dp_flow_set_destroy(&set);
        while (installer_confirmed_seqno(inst) < seqno) {
            installer_run(inst);
            if (installer_confirmed_seqno(inst) >= seqno) {
                break;
            }
            if (time_msec() > deadline) {
                struct ds s = DS_EMPTY_INITIALIZER;

                installer_format_status(inst, &s);
                ovs_fatal(0, "%s: not confirmed within 30 s: %s", argv[i],
                          ds_cstr(&s));
            }
            installer_wait(inst);
            poll_timer_wait_until(deadline);
            poll_block();
        }
        st = installer_get_stats(inst);
        printf("%s: %"PRIuSIZE" flows, %"PRIu64" flow mods, %"PRIu64" us\n",
               argv[i], n, st->last_flow_mods, st->last_usec);
        if (st->bad_flows) {
            ovs_fatal(0, "%"PRIu64" flows did not parse", st->bad_flows);
        }
    }
    installer_destroy(inst);
    return 0;
}
