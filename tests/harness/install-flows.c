/* install-flows: drives the installer (datapath/installer.c) against a real
 * switch, for tests and measurements.
 *
 *   install-flows [--audit N] [--switch N] [--back-to-back] TARGET FILE...
 *
 * Connects to TARGET (e.g. unix:.../br-int.mgmt), installs the flows of the
 * first FILE (as tests/harness/compute-flows prints them), waits until the switch
 * confirms, then does the same with each further FILE (an incremental
 * bundle each), and prints for each step the flows, the flow mods sent, the
 * time the installer took to build the bundle and the time from the first
 * message to the barrier's reply.
 *
 * With --back-to-back, each further FILE's bundle is sent without waiting
 * for the one before to be confirmed (several in flight), and only the
 * last is waited for; then prints the bundles the switch refused and the
 * flows the installer believes the switch has.
 *
 * With --switch N (and two FILEs, a host's flows before and after a
 * switchover), then switches N times between the two as cutoverd does,
 * through installer_update() with the cookies whose flows differ, and
 * prints the median and 95th percentile of the bundles' build and
 * confirmation times.  With --audit N, then runs N audit rounds
 * (installer_audit_request()) one after the other and prints what each
 * found and how long it took, and the median and 95th percentile. */

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
read_flows(const char *file_name, struct of_flow_set *set)
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
            ovs_fatal(0, "%s:%d: not a flow as tests/harness/compute-flows prints "
                      "it", file_name, n);
        }
        *actions = '\0';
        s += len;
        if (*s == ',') {
            s++;
        }
        if (!of_flow_set_add(set, table, priority, cookie, s,
                             actions + strlen(" actions="))) {
            ovs_fatal(0, "%s:%d: a second flow with the same table, "
                      "priority and match", file_name, n);
        }
    }
    ds_destroy(&line);
    fclose(f);
}

/* Runs 'inst' until 'done' says so, for at most 30 s ('what' names the
 * wait). */
static void
run_until(struct installer *inst, bool (*done)(const struct installer *,
                                               uint64_t),
          uint64_t arg, const char *what)
{
    long long int deadline = time_msec() + 30000;

    for (;;) {
        installer_run(inst);
        if (done(inst, arg)) {
            return;
        }
        if (time_msec() > deadline) {
            struct ds s = DS_EMPTY_INITIALIZER;

            installer_format_status(inst, &s);
            ovs_fatal(0, "%s: not done within 30 s: %s", what, ds_cstr(&s));
        }
        installer_wait(inst);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

static int
compare_u64(const void *a_, const void *b_)
{
    uint64_t a = *(const uint64_t *) a_, b = *(const uint64_t *) b_;

    return a < b ? -1 : a > b;
}

/* Runs 'n' audit rounds, one after the other, and prints their figures. */
static void
audit(struct installer *inst, int n)
{
    uint64_t *usec = xcalloc(n, sizeof *usec);
    uint64_t *compare = xcalloc(n, sizeof *compare);

    for (int i = 0; i < n; i++) {
        uint64_t round = installer_audit_request(inst);
        const struct installer_audit *a;
        struct ds s = DS_EMPTY_INITIALIZER;

        run_until(inst, installer_audit_done, round, "audit");
        a = installer_audit_last(inst);
        installer_audit_format(a, &s);
        printf("audit round %"PRIu64": %s, comparing %"PRIu64" us\n",
               a->round, ds_cstr(&s), a->compare_usec);
        ds_destroy(&s);
        usec[i] = a->usec;
        compare[i] = a->compare_usec;
    }
    qsort(usec, n, sizeof *usec, compare_u64);
    qsort(compare, n, sizeof *compare, compare_u64);
    printf("audit: %d rounds: median %"PRIu64" us, p95 %"PRIu64" us "
           "(comparing: median %"PRIu64" us, p95 %"PRIu64" us)\n", n,
           usec[(n - 1) / 2], usec[(n * 95 + 99) / 100 - 1],
           compare[(n - 1) / 2], compare[(n * 95 + 99) / 100 - 1]);
    free(usec);
    free(compare);
}

static bool
confirmed(const struct installer *inst, uint64_t seqno)
{
    return installer_confirmed_seqno(inst) >= seqno;
}

/* The median and 95th percentile of the 'n' values of 'v' (sorted here),
 * in microseconds. */
static void
print_percentiles(const char *what, uint64_t *v, int n)
{
    qsort(v, n, sizeof *v, compare_u64);
    printf(" %s median %"PRIu64" us, p95 %"PRIu64" us", what, v[(n - 1) / 2],
           v[(n * 95 + 99) / 100 - 1]);
}

/* Adds to 'cookies' (of '*n', room for 'max') each cookie of 'diff''s flows
 * that is not there yet. */
static void
collect_cookies(const struct of_flow *const *flows, size_t n_flows,
                uint64_t *cookies, size_t *n, size_t max)
{
    for (size_t i = 0; i < n_flows; i++) {
        size_t j = 0;

        while (j < *n && cookies[j] != flows[i]->cookie) {
            j++;
        }
        if (j == *n && *n < max) {
            cookies[(*n)++] = flows[i]->cookie;
        }
    }
}

/* Switches 'n' times between the flows of 'a' (installed) and 'b', as a
 * switchover and its way back do: installer_update() with the cookies of
 * the flows that differ. */
static void
switch_runs(struct installer *inst, const char *a_file, const char *b_file,
            int n)
{
    uint64_t *build = xcalloc(n, sizeof *build);
    uint64_t *confirm = xcalloc(n, sizeof *confirm);
    struct of_flow_set sets[2];
    uint64_t cookies[64];
    size_t n_cookies = 0;
    struct of_flow_diff d;

    of_flow_set_init(&sets[0]);
    of_flow_set_init(&sets[1]);
    read_flows(a_file, &sets[0]);
    read_flows(b_file, &sets[1]);
    of_flow_set_diff(&sets[0], &sets[1], &d);
    collect_cookies(d.add, d.n_add, cookies, &n_cookies, ARRAY_SIZE(cookies));
    collect_cookies(d.modify, d.n_modify, cookies, &n_cookies,
                    ARRAY_SIZE(cookies));
    collect_cookies(d.del, d.n_del, cookies, &n_cookies,
                    ARRAY_SIZE(cookies));
    of_flow_diff_destroy(&d);

    for (int run = 0; run < n; run++) {
        const struct of_flow_set *to = &sets[(run + 1) % 2];
        const struct installer_stats *st;
        struct of_flow_set update;
        uint64_t seqno;

        of_flow_set_init(&update);
        for (size_t i = 0; i < n_cookies; i++) {
            const struct of_flow *f;

            OF_FLOW_SET_FOR_EACH_WITH_COOKIE (f, cookies[i], to) {
                of_flow_set_add_flow(&update, f);
            }
        }
        seqno = installer_update(inst, cookies, n_cookies, &update);
        of_flow_set_destroy(&update);
        run_until(inst, confirmed, seqno, "switch");
        st = installer_get_stats(inst);
        build[run] = st->last_build_usec;
        confirm[run] = st->last_usec;
    }
    printf("switch: %d bundles of %"PRIuSIZE" cookies:", n, n_cookies);
    print_percentiles("build", build, n);
    printf(",");
    print_percentiles("confirmed", confirm, n);
    printf("\n");
    of_flow_set_destroy(&sets[0]);
    of_flow_set_destroy(&sets[1]);
    free(build);
    free(confirm);
}

int
main(int argc, char *argv[])
{
    struct installer *inst;
    int n_audits = 0, n_switches = 0;
    bool back_to_back = false;

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    if (argc > 1 && !strcmp(argv[1], "--back-to-back")) {
        back_to_back = true;
        argc--;
        argv++;
    }
    while (argc > 2 && (!strcmp(argv[1], "--audit")
                        || !strcmp(argv[1], "--switch"))) {
        int n = atoi(argv[2]);

        if (n < 1 || n > 100000) {
            ovs_fatal(0, "%s: '%s' is not a number from 1 to 100000",
                      argv[1], argv[2]);
        }
        *(!strcmp(argv[1], "--audit") ? &n_audits : &n_switches) = n;
        argc -= 2;
        argv += 2;
    }
    if (argc < 3 || (n_switches && argc != 4)) {
        ovs_fatal(0, "usage: %s [--audit N] [--switch N] TARGET FILE... "
                  "(--switch: two FILEs)", program_name);
    }

    inst = installer_create("switch");
    installer_set_target(inst, argv[1]);
    if (back_to_back) {
        uint64_t seqno = 0;

        for (int i = 2; i < argc; i++) {
            struct of_flow_set set;

            of_flow_set_init(&set);
            read_flows(argv[i], &set);
            seqno = installer_set_desired(inst, &set);
            of_flow_set_destroy(&set);
            if (i == 2) {
                run_until(inst, confirmed, seqno, argv[i]);
            } else {
                /* Sent now, before anything the switch answered is
                 * read: the bundle before is still in flight. */
                installer_flush(inst);
            }
        }
        run_until(inst, confirmed, seqno, argv[argc - 1]);
        printf("back to back: %"PRIu64" bundles confirmed, %"PRIu64
               " refused, at most %"PRIu64" in flight, %"PRIu64" flows did "
               "not parse\n", installer_get_stats(inst)->txns,
               installer_get_stats(inst)->failed_txns,
               installer_get_stats(inst)->most_in_flight,
               installer_get_stats(inst)->bad_flows);
        installer_destroy(inst);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        const struct installer_stats *st;
        struct of_flow_set set;
        uint64_t seqno;
        size_t n;

        of_flow_set_init(&set);
        read_flows(argv[i], &set);
        n = of_flow_set_count(&set);
        seqno = installer_set_desired(inst, &set);
        of_flow_set_destroy(&set);
        run_until(inst, confirmed, seqno, argv[i]);
        st = installer_get_stats(inst);
        printf("%s: %"PRIuSIZE" flows, %"PRIu64" flow mods, built in "
               "%"PRIu64" us, %"PRIu64" us\n", argv[i], n, st->last_flow_mods,
               st->last_build_usec, st->last_usec);
        if (st->bad_flows) {
            ovs_fatal(0, "%"PRIu64" flows did not parse", st->bad_flows);
        }
    }
    if (n_switches) {
        switch_runs(inst, argv[3], argv[2], n_switches);
    }
    if (n_audits) {
        audit(inst, n_audits);
    }
    installer_destroy(inst);
    return 0;
}
