/* Fuzz target: the northbound checks (lib/nb-check.c) that cutoverctl runs
 * on what operators type.
 *
 * The input is up to eight fields separated by newlines; every checker gets
 * them (a missing field is NULL where a checker takes an optional value,
 * otherwise empty), and what the checkers accept must hold together: a
 * prefix contains its own network address, an address equals itself, a
 * purge never chooses an unfinished row nor more than it was given.  Every
 * message returned is freed, so a leak shows under LeakSanitizer. */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "fuzzer.h"
#include "nb-check.h"
#include "util.h"

#define N_FIELDS 8

/* Frees 'error', a checker's answer. */
static void
drop(char *error)
{
    free(error);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fields[N_FIELDS] = { NULL };
    const char *f[N_FIELDS];
    size_t n = 0, start = 0;

    for (size_t i = 0; i <= size && n < N_FIELDS; i++) {
        if (i == size || data[i] == '\n') {
            fields[n++] = xmemdup0((const char *) data + start, i - start);
            start = i + 1;
        }
    }
    for (size_t i = 0; i < N_FIELDS; i++) {
        f[i] = fields[i] ? fields[i] : "";
    }

    /* Every checker on the first field. */
    drop(nb_check_name("network", f[0]));
    drop(nb_check_port_name(f[0]));
    drop(nb_check_mac("MAC", f[0]));
    drop(nb_check_datapath_id(f[0]));
    drop(nb_check_target("target", f[0]));
    drop(nb_check_agent(f[0]));
    nb_openflow_is_passive(f[0]);
    nb_migration_is_finished(f[0]);

    char *bridge;
    drop(nb_openflow_bridge_target(f[0], &bridge));
    free(bridge);

    ovs_be32 ip4;
    char *error = nb_check_ipv4("IP", f[0], &ip4);
    if (!error) {
        ovs_assert(nb_ip_equal(f[0], f[0]));
    }
    free(error);
    struct in6_addr ip6;
    error = nb_check_ipv6("IP", f[0], &ip6);
    if (!error) {
        ovs_assert(nb_ip_equal(f[0], f[0]));
    }
    free(error);

    /* Prefixes, and how they relate. */
    struct nb_cidr4 a4, b4;
    bool ok_a4 = false, ok_b4 = false;

    error = nb_check_cidr4(f[0], &a4);
    ok_a4 = !error;
    free(error);
    error = nb_check_cidr4(f[1], &b4);
    ok_b4 = !error;
    free(error);
    if (ok_a4) {
        ovs_assert(nb_cidr4_contains(&a4, a4.addr));
        ovs_assert(nb_cidr4_overlap(&a4, &a4));
    }
    if (ok_a4 && ok_b4) {
        ovs_assert(nb_cidr4_overlap(&a4, &b4) == nb_cidr4_overlap(&b4, &a4));
    }

    struct nb_cidr6 a6, b6;
    bool ok_a6, ok_b6;

    error = nb_check_cidr6(f[0], &a6);
    ok_a6 = !error;
    free(error);
    error = nb_check_cidr6(f[1], &b6);
    ok_b6 = !error;
    free(error);
    if (ok_a6) {
        ovs_assert(nb_cidr6_contains(&a6, &a6.addr));
        ovs_assert(nb_cidr6_overlap(&a6, &a6));
    }
    if (ok_a6 && ok_b6) {
        ovs_assert(nb_cidr6_overlap(&a6, &b6) == nb_cidr6_overlap(&b6, &a6));
    }

    nb_ip_equal(f[0], f[1]);
    nb_mac_equal(f[0], f[1]);

    /* Networks: kind, VNI, VLAN. */
    drop(nb_check_network(f[0], fields[1] ? strtoll(f[1], NULL, 10) : -1,
                            fields[2] ? strtoll(f[2], NULL, 10) : -1));

    /* Subnets: CIDR, gateway, gateway MAC, IPv6 prefix, IPv6 gateway. */
    drop(nb_check_subnet(f[0], f[1], f[2], fields[3], fields[4]));

    /* A port's address in its subnet: address, CIDR, gateway, IPv6 prefix,
     * IPv6 gateway. */
    drop(nb_check_port_ip(f[0], "fuzz", f[1], f[2], fields[3], fields[4]));

    /* Migration history: one row per field, its port the field's first
     * byte, finished if the second is odd, its time from the third. */
    struct nb_migration_age rows[N_FIELDS];
    bool purge[N_FIELDS];
    size_t n_rows = 0;

    for (size_t i = 0; i < n; i++) {
        const char *s = fields[i];
        size_t len = strlen(s);

        rows[n_rows].port = len > 0 ? xmemdup0(s, 1) : xstrdup("");
        rows[n_rows].finished = len > 1 && (s[1] & 1);
        rows[n_rows].time = len > 2 ? (int8_t) s[2] : 0;
        memset(&rows[n_rows].uuid, 0, sizeof rows[n_rows].uuid);
        rows[n_rows].uuid.parts[0] = len > 3 ? (uint8_t) s[3] : 0;
        n_rows++;
    }
    size_t keep = size ? data[size - 1] % 3 : 0;
    size_t n_purge = nb_migration_select_purge(rows, n_rows, keep, purge);
    size_t counted = 0;

    ovs_assert(n_purge <= n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        ovs_assert(!purge[i] || rows[i].finished);
        counted += purge[i];
        free((char *) rows[i].port);
    }
    ovs_assert(counted == n_purge);

    for (size_t i = 0; i < N_FIELDS; i++) {
        free(fields[i]);
    }
    return 0;
}
