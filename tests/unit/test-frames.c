/* Unit tests for gratuitous/frames.c: golden bytes for every frame, the
 * ICMPv6 checksum, refusals of bad input, the parsers. */

#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "frames.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "unit-util.h"
#include "util.h"

static const struct eth_addr vm_mac = ETH_ADDR_C(02,00,0a,00,00,01);

/* QEMU's RARP for 02:00:0a:00:00:01 (net/announce.c,
 * announce_self_create()), byte for byte. */
static const uint8_t golden_rarp[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,         /* Broadcast. */
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,         /* From the VM. */
    0x80, 0x35,                                 /* RARP. */
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04,         /* Ethernet, IPv4, 6, 4. */
    0x00, 0x03,                                 /* Request reverse. */
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,         /* Sender MAC. */
    0x00, 0x00, 0x00, 0x00,                     /* Sender IP 0.0.0.0. */
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,         /* Target MAC. */
    0x00, 0x00, 0x00, 0x00,                     /* Target IP 0.0.0.0. */
    /* 18 bytes of padding to 60. */
};

/* The same on VLAN 100: the tag after the source MAC, padded so that the
 * untagged frame is 60 bytes. */
static const uint8_t golden_rarp_vlan[64] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x81, 0x00, 0x00, 0x64,                     /* 802.1Q, VID 100. */
    0x80, 0x35,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
    0x00, 0x03,
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00,
};

/* RFC 5227 announcement of 10.0.0.1. */
static const uint8_t golden_garp[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x08, 0x06,                                 /* ARP. */
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
    0x00, 0x01,                                 /* Request. */
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,         /* Sender MAC. */
    0x0a, 0x00, 0x00, 0x01,                     /* Sender IP. */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,         /* Target MAC zero. */
    0x0a, 0x00, 0x00, 0x01,                     /* Target IP = sender IP. */
};

/* Its reply form: opcode 2, target MAC = sender MAC. */
static const uint8_t golden_garp_reply[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
    0x00, 0x02,                                 /* Reply. */
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01,
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01,
};

/* Unsolicited NA for fd00::1, Override only. */
static const uint8_t golden_na[86] = {
    0x33, 0x33, 0x00, 0x00, 0x00, 0x01,         /* All-nodes MAC. */
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x86, 0xdd,                                 /* IPv6. */
    0x60, 0x00, 0x00, 0x00,                     /* Version 6. */
    0x00, 0x20, 0x3a, 0xff,                     /* 32 bytes, ICMPv6, 255. */
    0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* From fd00::1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* to ff02::1. */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x88, 0x00, 0x50, 0x9b,                     /* NA, code 0, checksum. */
    0x20, 0x00, 0x00, 0x00,                     /* R 0, S 0, O 1. */
    0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* Target. */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x02, 0x01,                                 /* TLLA option, 8 bytes. */
    0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
};

static struct in6_addr
ipv6(const char *s)
{
    struct in6_addr ip;

    assert_int_equal(inet_pton(AF_INET6, s, &ip), 1);
    return ip;
}

static void
assert_frame(const uint8_t *got, size_t got_len, const uint8_t *want,
             size_t want_len)
{
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
}

static void
test_rarp(void **state OVS_UNUSED)
{
    uint8_t buf[FRAMES_MAX_LEN];
    size_t len;

    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(frames_build_rarp(&vm_mac, 0, buf, sizeof buf, &len), 0);
    assert_frame(buf, len, golden_rarp, sizeof golden_rarp);

    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(frames_build_rarp(&vm_mac, 100, buf, sizeof buf, &len),
                     0);
    assert_frame(buf, len, golden_rarp_vlan, sizeof golden_rarp_vlan);
}

static void
test_garp(void **state OVS_UNUSED)
{
    uint8_t buf[FRAMES_MAX_LEN];
    size_t len;

    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(frames_build_garp(&vm_mac, htonl(0x0a000001), 0, false,
                                       buf, sizeof buf, &len), 0);
    assert_frame(buf, len, golden_garp, sizeof golden_garp);

    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(frames_build_garp(&vm_mac, htonl(0x0a000001), 0, true,
                                       buf, sizeof buf, &len), 0);
    assert_frame(buf, len, golden_garp_reply, sizeof golden_garp_reply);

    /* Tagged: the same ARP body after a tag, 64 bytes. */
    assert_int_equal(frames_build_garp(&vm_mac, htonl(0x0a000001), 4094,
                                       false, buf, sizeof buf, &len), 0);
    assert_int_equal(len, 64);
    assert_memory_equal(buf, golden_garp, 12);
    assert_memory_equal(buf + 12, "\x81\x00\x0f\xfe", 4);
    assert_memory_equal(buf + 16, golden_garp + 12, 48);
}

static void
test_na(void **state OVS_UNUSED)
{
    struct in6_addr ip = ipv6("fd00::1");
    uint8_t buf[FRAMES_MAX_LEN];
    size_t len;

    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(frames_build_na(&vm_mac, &ip, 0, false, buf, sizeof buf,
                                     &len), 0);
    assert_frame(buf, len, golden_na, sizeof golden_na);

    /* Router flag: one bit more, and the checksum one less (0x509b -
     * 0x8000 in ones' complement). */
    assert_int_equal(frames_build_na(&vm_mac, &ip, 0, true, buf, sizeof buf,
                                     &len), 0);
    assert_int_equal(len, sizeof golden_na);
    assert_memory_equal(buf, golden_na, 56);
    assert_memory_equal(buf + 56, "\xd0\x9a\xa0\x00", 4);
    assert_memory_equal(buf + 60, golden_na + 60, 26);

    /* Tagged: 90 bytes, the largest frame there is. */
    assert_int_equal(frames_build_na(&vm_mac, &ip, 100, false, buf,
                                     sizeof buf, &len), 0);
    assert_int_equal(len, FRAMES_MAX_LEN);
    assert_memory_equal(buf + 12, "\x81\x00\x00\x64\x86\xdd", 6);
    assert_memory_equal(buf + 18, golden_na + 14, sizeof golden_na - 14);
}

/* A straightforward ones' complement sum, independent of the library's. */
static uint16_t
ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i < n; i += 2) {
        sum += (p[i] << 8) | (i + 1 < n ? p[i + 1] : 0);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

static void
test_icmp6_checksum(void **state OVS_UNUSED)
{
    static const char *addrs[] = {
        "fd00::1", "2001:db8::10", "fe80::ff:fe00:1", "2001:db8:ffff::7",
    };
    struct in6_addr all_nodes = ipv6("ff02::1");

    for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
        struct in6_addr ip = ipv6(addrs[i]);
        uint8_t buf[FRAMES_MAX_LEN], pseudo[40];
        const uint8_t *icmp = buf + 54;
        size_t len;

        assert_int_equal(frames_build_na(&vm_mac, &ip, 0, i % 2, buf,
                                         sizeof buf, &len), 0);
        /* The checksum verifies: the sum over the pseudo-header (source,
         * destination, length 32, next header 58) and the message, checksum
         * included, is all ones. */
        memcpy(pseudo, &ip, 16);
        memcpy(pseudo + 16, &all_nodes, 16);
        memcpy(pseudo + 32, "\x00\x00\x00\x20\x00\x00\x00\x3a", 8);
        assert_int_equal(ref_sum(icmp, len - 54,
                                 ref_sum(pseudo, sizeof pseudo, 0)), 0xffff);
        /* And the library's own function agrees: 0 over a filled-in
         * message. */
        assert_int_equal(frames_icmp6_csum(&ip, &all_nodes, icmp, len - 54),
                         0);
    }

    /* RFC 1071's example: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2, so the
     * checksum of a message of just those bytes over an all-zero
     * pseudo-header of length 8 and next header 58 is ~(ddf2 + 8 + 3a). */
    {
        static const uint8_t msg[8] = {
            0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7,
        };
        struct in6_addr zero = IN6ADDR_ANY_INIT;

        assert_int_equal(ntohs(frames_icmp6_csum(&zero, &zero, msg, 8)),
                         (uint16_t) ~(0xddf2 + 0x08 + 0x3a));
    }
}

static void
test_bad_input(void **state OVS_UNUSED)
{
    static const struct eth_addr multicast = ETH_ADDR_C(01,00,5e,00,00,01);
    static const struct eth_addr ipv6_multicast
        = ETH_ADDR_C(33,33,00,00,00,01);
    struct in6_addr ip = ipv6("fd00::1");
    struct in6_addr bad6[] = {
        ipv6("::"), ipv6("ff02::1"), ipv6("::1"), ipv6("::ffff:10.0.0.1"),
    };
    ovs_be32 bad4[] = {
        htonl(0), htonl(0xffffffff), htonl(0xe0000001), htonl(0x7f000001),
    };
    uint8_t buf[FRAMES_MAX_LEN];
    size_t len = 12345;

    assert_int_equal(frames_build_rarp(&multicast, 0, buf, sizeof buf, &len),
                     EINVAL);
    assert_int_equal(frames_build_rarp(&ipv6_multicast, 0, buf, sizeof buf,
                                       &len), EINVAL);
    assert_int_equal(frames_build_rarp(&eth_addr_broadcast, 0, buf,
                                       sizeof buf, &len), EINVAL);
    assert_int_equal(frames_build_rarp(&eth_addr_zero, 0, buf, sizeof buf,
                                       &len), EINVAL);
    assert_int_equal(frames_build_rarp(&vm_mac, 4095, buf, sizeof buf, &len),
                     EINVAL);
    assert_int_equal(len, 12345);
    assert_string_equal(frames_check_mac(&multicast),
                        "is a multicast address");
    assert_string_equal(frames_check_mac(&eth_addr_zero),
                        "is the zero address");
    assert_null(frames_check_mac(&vm_mac));

    for (size_t i = 0; i < ARRAY_SIZE(bad4); i++) {
        assert_non_null(frames_check_ipv4(bad4[i]));
        assert_int_equal(frames_build_garp(&vm_mac, bad4[i], 0, false, buf,
                                           sizeof buf, &len), EINVAL);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad6); i++) {
        assert_non_null(frames_check_ipv6(&bad6[i]));
        assert_int_equal(frames_build_na(&vm_mac, &bad6[i], 0, false, buf,
                                         sizeof buf, &len), EINVAL);
    }

    /* Too small a buffer: nothing is written past it. */
    assert_int_equal(frames_build_rarp(&vm_mac, 0, buf, 59, &len), ENOBUFS);
    assert_int_equal(frames_build_rarp(&vm_mac, 1, buf, 63, &len), ENOBUFS);
    assert_int_equal(frames_build_na(&vm_mac, &ip, 0, false, buf, 85, &len),
                     ENOBUFS);
    assert_int_equal(frames_build_na(&vm_mac, &ip, 0, false, buf, 86, &len),
                     0);
}

static void
test_build_all(void **state OVS_UNUSED)
{
    ovs_be32 v4[] = { htonl(0x0a000001), htonl(0x0a000002) };
    struct in6_addr v6[] = { ipv6("fd00::1") };
    struct frames_spec spec = {
        .mac = vm_mac, .rarp = true,
        .ipv4 = v4, .n_ipv4 = ARRAY_SIZE(v4),
        .ipv6 = v6, .n_ipv6 = ARRAY_SIZE(v6),
    };
    struct frame frames[4];
    struct ds s = DS_EMPTY_INITIALIZER;
    size_t n;

    assert_int_equal(frames_count(&spec), 4);
    assert_int_equal(frames_build_all(&spec, frames, 3, &n), ENOBUFS);
    assert_int_equal(n, 0);
    assert_int_equal(frames_build_all(&spec, frames, 4, &n), 0);
    assert_int_equal(n, 4);
    assert_frame(frames[0].data, frames[0].len, golden_rarp,
                 sizeof golden_rarp);
    assert_frame(frames[1].data, frames[1].len, golden_garp,
                 sizeof golden_garp);
    assert_int_equal(frames[2].data[41], 2);   /* Target IP 10.0.0.2. */
    assert_frame(frames[3].data, frames[3].len, golden_na, sizeof golden_na);

    for (size_t i = 0; i < n; i++) {
        frames_format(frames[i].data, frames[i].len, &s);
        ds_put_char(&s, '\n');
    }
    assert_string_equal(ds_cstr(&s),
        "RARP (opcode 3) 02:00:0a:00:00:01, 60 bytes\n"
        "gratuitous ARP request 10.0.0.1 is-at 02:00:0a:00:00:01, 60 bytes\n"
        "gratuitous ARP request 10.0.0.2 is-at 02:00:0a:00:00:01, 60 bytes\n"
        "unsolicited NA fd00::1 is-at 02:00:0a:00:00:01 (O), 86 bytes\n");

    /* One at a time, into buffers of the caller's: the same bytes. */
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[FRAMES_MAX_LEN];
        size_t len;

        assert_int_equal(frames_build_one(&spec, i, buf, sizeof buf, &len),
                         0);
        assert_frame(buf, len, frames[i].data, frames[i].len);
    }
    {
        uint8_t buf[FRAMES_MAX_LEN];
        size_t len;

        assert_int_equal(frames_build_one(&spec, n, buf, sizeof buf, &len),
                         EINVAL);
        assert_int_equal(frames_build_one(&spec, 0, buf, 59, &len),
                         ENOBUFS);
    }

    /* Without the RARP; a bad address anywhere fails the whole set. */
    spec.rarp = false;
    assert_int_equal(frames_count(&spec), 3);
    v4[1] = htonl(0);
    assert_int_equal(frames_build_all(&spec, frames, 4, &n), EINVAL);
    assert_int_equal(n, 0);
    ds_destroy(&s);
}

static void
test_parse(void **state OVS_UNUSED)
{
    struct eth_addr mac;
    struct in6_addr ip;
    ovs_be32 ip4;
    uint16_t vlan;

    assert_null(frames_parse_mac("02:00:0A:00:00:01", &mac));
    assert_true(eth_addr_equals(mac, vm_mac));
    refused(frames_parse_mac("02:00:0a:00:00", &mac),
            "'02:00:0a:00:00' is not a MAC address");
    refused(frames_parse_mac("02:00:0a:00:00:01:", &mac),
            "is not a MAC address");
    refused(frames_parse_mac("2:0:a:0:0:1", &mac),
            "is not a MAC address");
    refused(frames_parse_mac("0g:00:0a:00:00:01", &mac),
            "is not a MAC address");
    refused(frames_parse_mac("01:00:5e:00:00:01", &mac),
            "MAC address 01:00:5e:00:00:01 is a multicast address");
    refused(frames_parse_mac("ff:ff:ff:ff:ff:ff", &mac),
            "is the broadcast address");
    refused(frames_parse_mac("00:00:00:00:00:00", &mac),
            "is the zero address");

    assert_null(frames_parse_ipv4("10.0.0.1", &ip4));
    assert_int_equal(ntohl(ip4), 0x0a000001);
    refused(frames_parse_ipv4("fd00::1", &ip4),
            "'fd00::1' is an IPv6 address where an IPv4 address is "
            "needed");
    refused(frames_parse_ipv4("0.0.0.0", &ip4),
            "address 0.0.0.0 is the unspecified address");
    refused(frames_parse_ipv4("10.0.0.1/24", &ip4),
            "without a prefix length");
    refused(frames_parse_ipv4("host", &ip4),
            "'host' is not an IPv4 address");

    assert_null(frames_parse_ipv6("fd00::1", &ip));
    refused(frames_parse_ipv6("10.0.0.1", &ip),
            "'10.0.0.1' is an IPv4 address where an IPv6 address is "
            "needed");
    refused(frames_parse_ipv6("ff02::1", &ip), "is a multicast address");

    assert_null(frames_parse_addr("10.0.0.1", &ip));
    assert_true(IN6_IS_ADDR_V4MAPPED(&ip));
    assert_int_equal(ntohl(in6_addr_get_mapped_ipv4(&ip)), 0x0a000001);
    assert_null(frames_parse_addr("fd00::1", &ip));
    assert_false(IN6_IS_ADDR_V4MAPPED(&ip));
    refused(frames_parse_addr("::ffff:10.0.0.1", &ip),
            "is an IPv4-mapped address");
    refused(frames_parse_addr("224.0.0.1", &ip),
            "address 224.0.0.1 is a multicast address");
    refused(frames_parse_addr("10.0.0", &ip),
            "'10.0.0' is not an IPv4 or IPv6 address");

    assert_null(frames_parse_vlan("100", &vlan));
    assert_int_equal(vlan, 100);
    assert_null(frames_parse_vlan("0", &vlan));
    assert_int_equal(vlan, 0);
    refused(frames_parse_vlan("4095", &vlan), "is not a VLAN ID");
    refused(frames_parse_vlan("-1", &vlan), "is not a VLAN ID");
    refused(frames_parse_vlan("1x", &vlan), "is not a VLAN ID");
    refused(frames_parse_vlan("99999999999999999999", &vlan),
            "is not a VLAN ID");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rarp),
        cmocka_unit_test(test_garp),
        cmocka_unit_test(test_na),
        cmocka_unit_test(test_icmp6_checksum),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_build_all),
        cmocka_unit_test(test_parse),
    };

    return cmocka_run_group_tests_name("frames", tests, NULL, NULL);
}
