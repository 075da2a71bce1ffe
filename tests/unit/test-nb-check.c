/* Unit tests for lib/nb-check.c: what the northbound database accepts. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nb-check.h"
#include "unit-util.h"
#include "util.h"

/* Asserts that 'error' is NULL. */
static void
ok(char *error)
{
    if (error) {
        fail_msg("unexpected error: %s", error);
    }
}

static void
test_names(void **state OVS_UNUSED)
{
    ok(nb_check_name("host", "h1"));
    ok(nb_check_name("port", "vm-1_a.b:c"));
    refused(nb_check_name("host", ""), "host name is empty");
    refused(nb_check_name("port", "vm 1"), "has ' '");
    refused(nb_check_name("port", "0123456789012345678901234567890123456789"
                          "012345678901234567890123"), "longer than 63");
    ok(nb_check_port_name("vm1"));
    refused(nb_check_port_name("cutover-announcer"),
            "port name 'cutover-announcer' is reserved for the host's "
            "announcer");
    refused(nb_check_port_name("vm 1"), "port name 'vm 1' has ' '");
    refused(nb_check_port_name("eip:203.0.113.10"),
            "port name 'eip:203.0.113.10' begins with 'eip:', which the "
            "hosts' agents name elastic IPs by");
}

static void
test_macs(void **state OVS_UNUSED)
{
    ok(nb_check_mac("MAC", "02:00:0a:00:00:01"));
    refused(nb_check_mac("MAC", "02:00:0a:00:00"), "is not a MAC address");
    refused(nb_check_mac("MAC", "00:00:00:00:00:00"), "zero MAC");
    refused(nb_check_mac("MAC", "01:00:5e:00:00:01"), "multicast");
    refused(nb_check_mac("MAC", "ff:ff:ff:ff:ff:ff"), "multicast");
    assert_true(nb_mac_equal("02:00:0A:00:00:01", "02:00:0a:00:00:01"));
    assert_false(nb_mac_equal("02:00:0a:00:00:01", "02:00:0a:00:00:02"));
}

static void
test_addresses(void **state OVS_UNUSED)
{
    ok(nb_check_ipv4("tunnel IP", "172.16.0.11", NULL));
    refused(nb_check_ipv4("tunnel IP", "172.16.0", NULL), "not an IPv4");
    refused(nb_check_ipv4("tunnel IP", "fd00::1", NULL), "not an IPv4");
    refused(nb_check_ipv4("tunnel IP", "224.0.0.1", NULL), "not a unicast");
    refused(nb_check_ipv4("tunnel IP", "0.0.0.0", NULL), "not a unicast");
    ok(nb_check_ipv6("a", "fd00::1", NULL));
    refused(nb_check_ipv6("a", "ff02::1", NULL), "not a unicast");
    refused(nb_check_ipv6("a", "10.0.0.1", NULL), "not an IPv6");
    assert_true(nb_ip_equal("fd00::1", "fd00:0:0::1"));
    assert_true(nb_ip_equal("10.0.0.1", "10.0.0.1"));
    assert_false(nb_ip_equal("10.0.0.1", "10.0.0.2"));
    assert_false(nb_ip_equal("10.0.0.1", "::ffff:10.0.0.1"));
}

static void
test_dpid_and_targets(void **state OVS_UNUSED)
{
    ok(nb_check_datapath_id("00000000000000aB"));
    refused(nb_check_datapath_id("1"), "16 hexadecimal digits");
    refused(nb_check_datapath_id("000000000000000g"), "16 hexadecimal");
    ok(nb_check_target("openflow", "tcp:172.16.0.11:6653"));
    ok(nb_check_target("openflow", "unix:/run/br-int.mgmt"));
    ok(nb_check_target("openflow", "ptcp:6653"));
    refused(nb_check_target("openflow", "tcp:"), "not a connection target");
    refused(nb_check_target("ovsdb", "http://x"), "not a connection target");
    ok(nb_check_agent("/run/cutover/announcer.ctl"));
    ok(nb_check_agent("ssl:172.16.0.12:6655"));
    ok(nb_check_agent("tcp:172.16.0.12:6655"));
    ok(nb_check_agent("unix:/run/cutover/announcer.ctl"));
    refused(nb_check_agent("pssl:6655"), "not where a controller can reach");
    refused(nb_check_agent("announcer.ctl"), "not where a controller can reach");
    refused(nb_check_agent("ssl:"), "not where a controller can reach");
    refused(nb_check_agent("/a/../b"), "not an absolute file name");
}

static void
test_cidrs(void **state OVS_UNUSED)
{
    struct nb_cidr4 a, b;
    struct nb_cidr6 c, d;

    ok(nb_check_cidr4("10.0.0.0/24", &a));
    assert_int_equal(a.plen, 24);
    refused(nb_check_cidr4("10.0.0.5/24", &a),
            "has host bits set: did you mean 10.0.0.0/24?");
    refused(nb_check_cidr4("10.0.0.0", &a), "not an IPv4 CIDR");
    refused(nb_check_cidr4("10.0.0.0/31", &a), "out of range");
    refused(nb_check_cidr4("10.0.0.0/33", &a), "not an IPv4 CIDR");

    ok(nb_check_cidr4("10.0.0.0/24", &a));
    ok(nb_check_cidr4("10.0.0.128/25", &b));
    assert_true(nb_cidr4_overlap(&a, &b));
    assert_true(nb_cidr4_overlap(&b, &a));
    ok(nb_check_cidr4("10.0.1.0/24", &b));
    assert_false(nb_cidr4_overlap(&a, &b));
    ok(nb_check_cidr4("10.0.0.0/16", &b));
    assert_true(nb_cidr4_overlap(&a, &b));

    ok(nb_check_cidr6("fd00:1::/64", &c));
    ok(nb_check_cidr6("fd00:1:0:0:8000::/65", &d));
    assert_true(nb_cidr6_overlap(&c, &d));
    ok(nb_check_cidr6("fd00:2::/64", &d));
    assert_false(nb_cidr6_overlap(&c, &d));
    refused(nb_check_cidr6("fd00:1::5/64", &c), "did you mean fd00:1::/64?");
}

static void
test_networks(void **state OVS_UNUSED)
{
    ok(nb_check_network("vxlan", 1001, -1));
    ok(nb_check_network("geneve", 16773118, -1));
    refused(nb_check_network("geneve", 16773119, -1), "VNIs above carry "
            "migrations' copies and VLAN");
    refused(nb_check_network("geneve", 16773120, -1), "VNIs above carry");
    ok(nb_check_network("vlan", -1, 100));
    refused(nb_check_network("vxlan", 0, -1), "needs a VNI");
    refused(nb_check_network("geneve", 16777216, -1), "needs a VNI");
    refused(nb_check_network("vxlan", 5, 100), "not a VLAN");
    refused(nb_check_network("vlan", -1, 4095), "needs a VLAN id");
    refused(nb_check_network("vlan", 7, 100), "not a VNI");
    refused(nb_check_network("gre", 1, -1), "kind 'gre' is unknown");
}

static void
test_subnets(void **state OVS_UNUSED)
{
    const char *mac = "02:00:00:00:00:01";

    ok(nb_check_subnet("10.0.0.0/24", "10.0.0.1", mac, NULL, NULL));
    ok(nb_check_subnet("10.0.0.0/24", "10.0.0.1", mac, "fd00::/64",
                       "fd00::1"));
    refused(nb_check_subnet("10.0.0.0/24", "10.0.1.1", mac, NULL, NULL),
            "gateway 10.0.1.1 is outside 10.0.0.0/24");
    refused(nb_check_subnet("10.0.0.0/24", "10.0.0.0", mac, NULL, NULL),
            "network or broadcast");
    refused(nb_check_subnet("10.0.0.0/24", "10.0.0.255", mac, NULL, NULL),
            "network or broadcast");
    refused(nb_check_subnet("10.0.0.0/24", "10.0.0.1", "01:00:00:00:00:01",
                            NULL, NULL), "multicast");
    refused(nb_check_subnet("10.0.0.0/24", "10.0.0.1", mac, "fd00::/64",
                            NULL), "needs an IPv6 gateway");
    refused(nb_check_subnet("10.0.0.0/24", "10.0.0.1", mac, "fd00::/64",
                            "fd01::1"), "outside fd00::/64");
}

static void
test_port_ips(void **state OVS_UNUSED)
{
    ok(nb_check_port_ip("10.0.0.5", "web", "10.0.0.0/24", "10.0.0.1",
                        NULL, NULL));
    ok(nb_check_port_ip("fd00::5", "web", "10.0.0.0/24", "10.0.0.1",
                        "fd00::/64", "fd00::1"));
    refused(nb_check_port_ip("10.0.1.5", "web", "10.0.0.0/24", "10.0.0.1",
                             NULL, NULL),
            "port address 10.0.1.5 is outside subnet web (10.0.0.0/24)");
    refused(nb_check_port_ip("10.0.0.1", "web", "10.0.0.0/24", "10.0.0.1",
                             NULL, NULL), "is subnet web's gateway");
    refused(nb_check_port_ip("10.0.0.255", "web", "10.0.0.0/24", "10.0.0.1",
                             NULL, NULL), "broadcast");
    refused(nb_check_port_ip("fd00::5", "web", "10.0.0.0/24", "10.0.0.1",
                             NULL, NULL), "has no IPv6 prefix");
    /* The prefix's own error is not the answer, and is not leaked (the
     * sanitizer build sees it). */
    refused(nb_check_port_ip("fd00::5", "web", "10.0.0.0/24", "10.0.0.1",
                             "fd00::/200", "fd00::1"), "has no IPv6 prefix");
    refused(nb_check_port_ip("fd00::1", "web", "10.0.0.0/24", "10.0.0.1",
                             "fd00::/64", "fd00::1"), "gateway");
    refused(nb_check_port_ip("10.0.0", "web", "10.0.0.0/24", "10.0.0.1",
                             NULL, NULL), "not an IPv4 address");
}

/* The integration bridge's controller target for a given
 * Host.openflow_target (NULL: none). */
static void
bridge_target_is(const char *target, const char *expected)
{
    char *bridge;
    char *error = nb_openflow_bridge_target(target, &bridge);

    ok(error);
    if (expected) {
        assert_non_null(bridge);
        assert_string_equal(bridge, expected);
    } else {
        assert_null(bridge);
    }
    free(bridge);
}

/* Asserts that 'target' is refused with a message saying 'expected', and
 * that no bridge target is returned. */
static void
bridge_target_refused(const char *target, const char *expected)
{
    char *bridge;

    refused(nb_openflow_bridge_target(target, &bridge), expected);
    assert_null(bridge);
}

/* Active targets: the controller connects, the bridge listens. */
static void
test_openflow_active(void **state OVS_UNUSED)
{
    bridge_target_is("tcp:192.0.2.1:6653", "ptcp:6653:192.0.2.1");
    bridge_target_is("ssl:192.0.2.1:6653", "pssl:6653:192.0.2.1");
    bridge_target_is("tcp:[2001:db8::1]:6653", "ptcp:6653:[2001:db8::1]");
    bridge_target_is("unix:/run/h1/br-int.cutover",
                     "punix:/run/h1/br-int.cutover");
    bridge_target_is("unix:/run/h1/br-int.mgmt", NULL);
    assert_false(nb_openflow_is_passive("tcp:192.0.2.1:6653"));
    assert_false(nb_openflow_is_passive("unix:/run/h1/br-int.mgmt"));
    bridge_target_refused("tcp:6653", "expected tcp:IP:PORT");
    bridge_target_refused("unix:", "is not one the controller can use");
    bridge_target_refused("udp:192.0.2.1:6653",
                          "or ptcp:PORT:IP, pssl:PORT:IP or punix:FILE");
}

/* Passive targets: the controller listens, the bridge connects. */
static void
test_openflow_passive(void **state OVS_UNUSED)
{
    bridge_target_is("punix:/run/cutover/h1.openflow",
                     "unix:/run/cutover/h1.openflow");
    bridge_target_is("ptcp:6653:192.0.2.1", "tcp:192.0.2.1:6653");
    bridge_target_is("pssl:16653:192.0.2.1", "ssl:192.0.2.1:16653");
    bridge_target_is("ptcp:6653:[2001:db8::1]", "tcp:[2001:db8::1]:6653");
    bridge_target_is("ptcp:6653:2001:db8::1", "tcp:[2001:db8::1]:6653");
    assert_true(nb_openflow_is_passive("punix:/run/cutover/h1.openflow"));
    assert_true(nb_openflow_is_passive("ptcp:6653:192.0.2.1"));
    assert_true(nb_openflow_is_passive("pssl:6653:192.0.2.1"));

    /* The switch must be told where to connect. */
    bridge_target_refused("ptcp:6653", "'ptcp:6653' has no IP address: the "
                          "switch must be told where to connect, so a "
                          "passive target needs one (ptcp:6653:IP)");
    bridge_target_refused("pssl:6653:", "(pssl:6653:IP)");
    bridge_target_refused("ptcp:6653:0.0.0.0", "cannot connect to 0.0.0.0");
    bridge_target_refused("ptcp:6653:[::]", "cannot connect to ::");
    bridge_target_refused("ptcp:6653:host.example", "'host.example' is not "
                          "an IP address");
    bridge_target_refused("ptcp::192.0.2.1", "'' is not a port number");
    bridge_target_refused("ptcp:0:192.0.2.1", "'0' is not a port number");
    bridge_target_refused("ptcp:70000:192.0.2.1", "from 1 to 65535");
    bridge_target_refused("ptcp:66x:192.0.2.1", "'66x' is not a port");
    bridge_target_refused("punix:", "is not one the controller can use");
}

static void
test_migration_finished(void **state OVS_UNUSED)
{
    static const char *const finished[] = { "complete", "aborted", "failed" };
    static const char *const unfinished[] = {
        "new", "preparing", "prepared", "switching", "switched", "active",
        "completing", "aborting",
    };
    static const int64_t stamps[] = { 1000, 4000, 2000 };

    for (size_t i = 0; i < ARRAY_SIZE(finished); i++) {
        assert_true(nb_migration_is_finished(finished[i]));
    }
    for (size_t i = 0; i < ARRAY_SIZE(unfinished); i++) {
        assert_false(nb_migration_is_finished(unfinished[i]));
    }
    assert_int_equal(nb_migration_time(stamps, ARRAY_SIZE(stamps)), 4000);
    assert_int_equal(nb_migration_time(NULL, 0), 0);
}

/* Migration rows of two ports, in no order: vm1 has 4 finished and 1
 * unfinished (the newest); vm2 has 3 finished, two of the same time (the
 * UUID decides which is newer) and one without timestamps (the oldest). */
static const struct nb_migration_age ages[] = {
    { "vm1", true, 3000, { { 0, 0, 0, 0 } } },    /* 0 */
    { "vm2", true, 500, { { 0, 0, 0, 1 } } },     /* 1 */
    { "vm1", false, 5000, { { 0, 0, 0, 0 } } },   /* 2: switching */
    { "vm1", true, 1000, { { 0, 0, 0, 0 } } },    /* 3 */
    { "vm2", true, 500, { { 0, 0, 0, 2 } } },     /* 4: newer than 1 */
    { "vm1", true, 4000, { { 0, 0, 0, 0 } } },    /* 5 */
    { "vm1", true, 2000, { { 0, 0, 0, 0 } } },    /* 6 */
    { "vm2", true, 0, { { 0, 0, 0, 0 } } },       /* 7 */
};

/* Asserts that nb_migration_select_purge() with 'keep' chooses the rows
 * of 'ages' whose indexes are in 'expected' (a string of digits). */
static void
purge_is(size_t keep, const char *expected)
{
    bool purge[ARRAY_SIZE(ages)];
    char chosen[ARRAY_SIZE(ages) + 1];
    size_t n_chosen = 0, n;

    memset(purge, 1, sizeof purge);
    n = nb_migration_select_purge(ages, ARRAY_SIZE(ages), keep, purge);
    for (size_t i = 0; i < ARRAY_SIZE(ages); i++) {
        if (purge[i]) {
            chosen[n_chosen++] = '0' + i;
        }
    }
    chosen[n_chosen] = '\0';
    assert_string_equal(chosen, expected);
    assert_int_equal(n, n_chosen);
}

static void
test_migration_purge(void **state OVS_UNUSED)
{
    /* Never the unfinished row 2, whatever 'keep'. */
    purge_is(0, "0134567");
    purge_is(1, "01367");   /* vm1 keeps 5 (4000), vm2 keeps 4. */
    purge_is(2, "367");     /* vm1 also keeps 0 (3000), vm2 also 1. */
    purge_is(3, "3");
    purge_is(4, "");
    purge_is(100, "");
    assert_int_equal(nb_migration_select_purge(NULL, 0, 0, NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_macs),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_dpid_and_targets),
        cmocka_unit_test(test_cidrs),
        cmocka_unit_test(test_networks),
        cmocka_unit_test(test_subnets),
        cmocka_unit_test(test_port_ips),
        cmocka_unit_test(test_openflow_active),
        cmocka_unit_test(test_openflow_passive),
        cmocka_unit_test(test_migration_finished),
        cmocka_unit_test(test_migration_purge),
    };

    return cmocka_run_group_tests_name("nb-check", tests, NULL, NULL);
}
