/* Unit tests for gratuitous/announcer-args.c: the arguments of
 * cutover-announcer's commands ("announcer/register", the holds',
 * "neighbours/set") and their messages. */

#include <config.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "announcer-args.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "unit-util.h"
#include "util.h"

/* Splits 'line' into words, at most 80, in static storage. */
static int
words(const char *line, const char **argv, size_t max)
{
    static char buf[1024];
    char *save = NULL;
    int argc = 0;

    ovs_strlcpy(buf, line, sizeof buf);
    for (char *w = strtok_r(buf, " ", &save); w;
         w = strtok_r(NULL, " ", &save)) {
        assert_true(argc < max);
        argv[argc++] = w;
    }
    return argc;
}

/* Parses the words of 'line' (at most 80) as "announcer/register"'s
 * arguments. */
static char *
parse(const char *line, struct announcer_reg *reg)
{
    static const char *argv[80];
    int argc = words(line, argv, ARRAY_SIZE(argv));

    return announcer_parse_register(argc, argv, reg);
}

static void
ok(const char *line, struct announcer_reg *reg)
{
    char *error = parse(line, reg);

    if (error) {
        fail_msg("'%s': unexpected error: %s", line, error);
    }
}

static void
test_defaults(void **state OVS_UNUSED)
{
    struct announcer_reg reg;
    struct eth_addr mac;

    ok("vm1 02:00:0a:00:00:01", &reg);
    assert_string_equal(reg.port, "vm1");
    assert_true(eth_addr_from_string("02:00:0a:00:00:01", &mac));
    assert_true(eth_addr_equals(reg.spec.mac, mac));
    assert_true(reg.spec.rarp);
    assert_false(reg.spec.router);
    assert_false(reg.spec.arp_reply);
    assert_int_equal(reg.spec.vlan, 0);
    assert_int_equal(frames_count(&reg.spec), 1);
    assert_int_equal(reg.sched.rounds, SCHEDULE_DEFAULT_ROUNDS);
    assert_int_equal(reg.sched.initial_ms, SCHEDULE_DEFAULT_INITIAL_MS);
    assert_int_equal(reg.sched.max_ms, SCHEDULE_DEFAULT_MAX_MS);
    assert_int_equal(reg.sched.step_ms, SCHEDULE_DEFAULT_STEP_MS);
}

static void
test_everything(void **state OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct announcer_reg reg;

    /* Options and addresses in any order after PORT and MAC. */
    ok("eip:203.0.113.10 02:00:cb:00:71:0a rounds=3 203.0.113.10 "
       "fd00::5 vlan=100 router arp-reply 10.0.0.5 no-rarp initial=10 "
       "max=30 step=20", &reg);
    assert_string_equal(reg.port, "eip:203.0.113.10");
    assert_int_equal(reg.spec.n_ipv4, 2);
    assert_int_equal(reg.spec.n_ipv6, 1);
    assert_int_equal(ntohl(reg.spec.ipv4[1]), 0x0a000005);
    assert_ptr_equal(reg.spec.ipv4, reg.ipv4);
    assert_ptr_equal(reg.spec.ipv6, reg.ipv6);
    assert_int_equal(reg.spec.vlan, 100);
    assert_true(reg.spec.router);
    assert_true(reg.spec.arp_reply);
    assert_false(reg.spec.rarp);
    assert_int_equal(frames_count(&reg.spec), 3);
    assert_int_equal(reg.sched.rounds, 3);
    assert_int_equal(reg.sched.initial_ms, 10);
    assert_int_equal(reg.sched.max_ms, 30);
    assert_int_equal(reg.sched.step_ms, 20);

    announcer_format_spec(&reg.spec, &s);
    assert_string_equal(ds_cstr(&s), "02:00:cb:00:71:0a 203.0.113.10 "
                        "10.0.0.5 fd00::5 vlan=100 router arp-reply "
                        "no-rarp");
    ds_clear(&s);
    schedule_format(&reg.sched, &s);
    assert_string_equal(ds_cstr(&s), "3 rounds at 0, 10, 40 ms");
    ds_destroy(&s);
}

static void
test_errors(void **state OVS_UNUSED)
{
    struct announcer_reg reg;

    refused(parse("", &reg), "expected PORT MAC");
    refused(parse("vm1", &reg), "expected PORT MAC");
    refused(parse("vm\x01 02:00:0a:00:00:01", &reg), "port name");
    refused(parse("vm1 02:00:0a:00:00", &reg),
            "'02:00:0a:00:00' is not a MAC address");
    refused(parse("vm1 01:00:5e:00:00:01", &reg), "multicast");
    refused(parse("vm1 02:00:0a:00:00:01 10.0.0.300", &reg),
            "'10.0.0.300'");
    refused(parse("vm1 02:00:0a:00:00:01 224.0.0.1", &reg), "multicast");
    refused(parse("vm1 02:00:0a:00:00:01 10.0.0.5 10.0.0.5", &reg),
            "address 10.0.0.5 given twice");
    refused(parse("vm1 02:00:0a:00:00:01 fd00::5 fd00:0::5", &reg),
            "given twice");
    refused(parse("vm1 02:00:0a:00:00:01 routr", &reg),
            "unknown option 'routr' (expected ADDR, vlan=VID");
    refused(parse("vm1 02:00:0a:00:00:01 speed=3", &reg),
            "unknown option 'speed'");
    refused(parse("vm1 02:00:0a:00:00:01 vlan=5000", &reg),
            "vlan=5000: '5000' is not a VLAN ID");
    refused(parse("vm1 02:00:0a:00:00:01 rounds=many", &reg),
            "rounds=many: 'many' is not a number");
    refused(parse("vm1 02:00:0a:00:00:01 rounds=", &reg),
            "is not a number");
    refused(parse("vm1 02:00:0a:00:00:01 rounds=0", &reg),
            "rounds: 0 is out of range (expected 1 to 1000)");
    refused(parse("vm1 02:00:0a:00:00:01 step=0", &reg),
            "step: 0 is out of range");
    refused(parse("vm1 02:00:0a:00:00:01 initial=99999999999", &reg),
            "is not a number");
    refused(parse("vm1 02:00:0a:00:00:01 no-rarp", &reg),
            "nothing to announce");
}

static void
test_too_many_addresses(void **state OVS_UNUSED)
{
    struct ds line = DS_EMPTY_INITIALIZER;
    struct announcer_reg reg;

    ds_put_cstr(&line, "vm1 02:00:0a:00:00:01");
    for (int i = 0; i < ANNOUNCER_MAX_ADDRS; i++) {
        ds_put_format(&line, " 10.0.1.%d", i + 1);
    }
    ok(ds_cstr(&line), &reg);
    assert_int_equal(frames_count(&reg.spec), ANNOUNCER_MAX_FRAMES);
    ds_put_cstr(&line, " 10.0.2.1");
    refused(parse(ds_cstr(&line), &reg), "more than 64 addresses");
    ds_destroy(&line);
}

static char *
parse_start(const char *line, struct announcer_hold_start *hs)
{
    static const struct hold_limits defaults = HOLD_LIMITS_DEFAULT;
    const char *argv[80];
    int argc = words(line, argv, ARRAY_SIZE(argv));

    return announcer_parse_hold_start(argc, argv, &defaults, hs);
}

static char *
parse_replay(const char *line, struct announcer_hold_replay *hr)
{
    const char *argv[80];
    int argc = words(line, argv, ARRAY_SIZE(argv));

    return announcer_parse_hold_replay(argc, argv, hr);
}

static void
test_hold_start(void **state OVS_UNUSED)
{
    struct announcer_hold_start hs;

    assert_null(parse_start("vm1 7", &hs));
    assert_string_equal(hs.port, "vm1");
    assert_int_equal(hs.id, 7);
    assert_int_equal(hs.limits.max_bytes, HOLD_DEFAULT_MAX_BYTES);
    assert_int_equal(hs.limits.max_age_ns, HOLD_DEFAULT_MAX_AGE_MS * 1000000LL);

    assert_null(parse_start("vm1 4094 bytes=1000000 age=300", &hs));
    assert_int_equal(hs.id, 4094);
    assert_int_equal(hs.limits.max_bytes, 1000000);
    assert_int_equal(hs.limits.max_age_ns, 300 * 1000000LL);

    refused(parse_start("vm1", &hs), "expected PORT ID");
    refused(parse_start("vm1 0", &hs), "hold id '0' is not an integer from "
            "1 to 4094");
    refused(parse_start("vm1 seven", &hs), "hold id 'seven'");
    refused(parse_start("vm1 7 bytes=lots", &hs),
            "bytes=lots: 'lots' is not a number");
    refused(parse_start("vm1 7 bytes=100", &hs),
            "hold size 100 bytes is out of range");
    refused(parse_start("vm1 7 age=1", &hs),
            "hold age 1 ms is out of range (10 to 60000 ms)");
    refused(parse_start("vm1 7 speed=3", &hs),
            "unknown option 'speed=3' (expected bytes=N, age=MS)");
    refused(parse_start("vm1 7 fast", &hs), "unknown option 'fast'");
}

static void
test_hold_replay(void **state OVS_UNUSED)
{
    struct announcer_hold_replay hr;

    /* Without the STOP time, no copy. */
    assert_null(parse_replay("vm1", &hr));
    assert_string_equal(hr.port, "vm1");
    assert_false(hr.stopped);
    assert_int_equal(hr.cutoff_ns, LLONG_MAX);

    /* The cut-off is the STOP time less the margin (2 ms by default). */
    assert_null(parse_replay("vm1 stopped=1764000000.500000", &hr));
    assert_true(hr.stopped);
    assert_int_equal(hr.stopped_us, 1764000000500000LL);
    assert_int_equal(hr.cutoff_ns, 1764000000498000000LL);
    assert_null(parse_replay("vm1 margin=0 stopped=1764000000.500000", &hr));
    assert_int_equal(hr.cutoff_ns, 1764000000500000000LL);
    assert_null(parse_replay("vm1 stopped=1764000000.500000 margin=10", &hr));
    assert_int_equal(hr.cutoff_ns, 1764000000490000000LL);

    refused(parse_replay("vm1 stopped=1764000000.5", &hr),
            "stopped=1764000000.5: expected the time the VM stopped as "
            "SECONDS.MICROSECONDS");
    refused(parse_replay("vm1 stopped=", &hr), "stopped=: expected");
    refused(parse_replay("vm1 margin=-1", &hr), "margin=-1: '-1' is not a "
            "number");
    refused(parse_replay("vm1 margin=10001", &hr),
            "margin=10001: at most 10000 ms");
    refused(parse_replay("vm1 now", &hr), "unknown option 'now' (expected "
            "stopped=SECONDS.MICROSECONDS, margin=MS)");
    refused(parse_replay("'vm 1'", &hr), "port");
}

static char *
parse_neighbours(const char *line, struct announcer_neighbours *an)
{
    const char *argv[80];
    int argc = words(line, argv, ARRAY_SIZE(argv));

    return announcer_parse_neighbours(argc, argv, an);
}

static void
test_neighbours(void **state OVS_UNUSED)
{
    struct announcer_neighbours an;
    struct eth_addr mac;

    assert_null(parse_neighbours("br-phy", &an));
    assert_string_equal(an.bridge, "br-phy");
    assert_int_equal(an.n_peers, 0);
    free(an.peers);

    assert_null(parse_neighbours("br-phy 172.16.0.12=02:00:ac:10:00:0c "
                                 "172.16.0.13=02:00:AC:10:00:0D", &an));
    assert_int_equal(an.n_peers, 2);
    assert_int_equal(an.peers[0].ip, htonl(0xac10000c));
    assert_true(eth_addr_from_string("02:00:ac:10:00:0d", &mac));
    assert_true(eth_addr_equals(an.peers[1].mac, mac));
    free(an.peers);

    refused(parse_neighbours("", &an), "expected BRIDGE [IP=MAC...]");
    refused(parse_neighbours("a-name-too-long-for-linux", &an),
            "is not a network device name");
    refused(parse_neighbours("br/phy", &an), "is not a network device name");
    refused(parse_neighbours("br-phy 172.16.0.12", &an),
            "peer '172.16.0.12' is not IP=MAC");
    refused(parse_neighbours("br-phy 172.16.0.300=02:00:ac:10:00:0c", &an),
            "is not IP=MAC");
    refused(parse_neighbours("br-phy 0.0.0.0=02:00:ac:10:00:0c", &an),
            "is not IP=MAC");
    refused(parse_neighbours("br-phy 172.16.0.12=01:00:5e:00:00:01", &an),
            "is not IP=MAC");
    refused(parse_neighbours("br-phy 172.16.0.12=02:00", &an),
            "is not IP=MAC");
    refused(parse_neighbours("br-phy 172.16.0.12=02:00:ac:10:00:0c "
                             "172.16.0.12=02:00:ac:10:00:0d", &an),
            "peer 172.16.0.12 given twice");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_everything),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_too_many_addresses),
        cmocka_unit_test(test_hold_start),
        cmocka_unit_test(test_hold_replay),
        cmocka_unit_test(test_neighbours),
    };

    return cmocka_run_group_tests_name("announcer-args", tests, NULL, NULL);
}
