/* Announcement frames: RARP, gratuitous ARP, unsolicited NA.  See frames.h;
 * the byte layouts are drawn in docs/announcements.md. */

#include <config.h>
#include "frames.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "csum.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_RARP 0x8035
#define ETHERTYPE_IPV6 0x86dd

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_LEN 28              /* ARP/RARP body for Ethernet and IPv4. */

#define IPV6_HEADER_LEN 40
#define ICMP6_NA_TYPE 136
#define ICMP6_NA_LEN 24         /* Type to target address. */
#define ND_OPT_TLLA_LEN 8
#define NA_FLAG_ROUTER 0x80000000
#define NA_FLAG_SOLICITED 0x40000000
#define NA_FLAG_OVERRIDE 0x20000000

static const struct eth_addr all_nodes_mac = ETH_ADDR_C(33,33,00,00,00,01);
static const struct in6_addr all_nodes_ip = IN6ADDR_ALL_HOSTS_INIT;

/* The room a frame with an 'l3_len'-byte payload needs: the Ethernet
 * header, the tag, and the payload padded to the Ethernet minimum. */
static size_t
frame_len(size_t l3_len, uint16_t vlan)
{
    size_t len = MAX(ETH_HEADER_LEN + l3_len, FRAMES_MIN_LEN);

    return vlan ? len + VLAN_HEADER_LEN : len;
}

const char *
frames_check_mac(const struct eth_addr *mac)
{
    if (eth_addr_is_broadcast(*mac)) {
        return "is the broadcast address";
    }
    if (eth_addr_is_multicast(*mac)) {
        return "is a multicast address";
    }
    if (eth_addr_is_zero(*mac)) {
        return "is the zero address";
    }
    return NULL;
}

const char *
frames_check_ipv4(ovs_be32 ip)
{
    uint32_t h = ntohl(ip);

    if (!h) {
        return "is the unspecified address";
    }
    if (h == UINT32_MAX) {
        return "is the broadcast address";
    }
    if (ip_is_multicast(ip)) {
        return "is a multicast address";
    }
    if ((h >> 24) == 127) {
        return "is a loopback address";
    }
    return NULL;
}

const char *
frames_check_ipv6(const struct in6_addr *ip)
{
    if (!ipv6_addr_is_set(ip)) {
        return "is the unspecified address";
    }
    if (ipv6_addr_is_multicast(ip)) {
        return "is a multicast address";
    }
    if (IN6_IS_ADDR_LOOPBACK(ip)) {
        return "is the loopback address";
    }
    if (IN6_IS_ADDR_V4MAPPED(ip)) {
        return "is an IPv4-mapped address";
    }
    return NULL;
}

const char *
frames_check_vlan(unsigned int vlan)
{
    return vlan > FRAMES_VLAN_MAX ? "is not a VLAN ID from 1 to 4094" : NULL;
}

/* Checks what every builder takes and that 'size' can hold a frame with an
 * 'l3_len'-byte payload. */
static int
check_common(const struct eth_addr *mac, uint16_t vlan, size_t l3_len,
             size_t size)
{
    if (frames_check_mac(mac) || frames_check_vlan(vlan)) {
        return EINVAL;
    }
    return size < frame_len(l3_len, vlan) ? ENOBUFS : 0;
}

/* Copies the frame that one of libopenvswitch's composers left in 'pkt'
 * into 'buf' (of 'size' bytes, which check_common() found enough for an
 * 'l3_len'-byte payload), with an 802.1Q tag unless 'vlan' is 0, padded to
 * the Ethernet minimum; stores its length in '*lenp' and frees 'pkt'. */
static void
finish_frame(struct dp_packet *pkt, size_t l3_len, uint16_t vlan,
             void *buf, size_t *lenp)
{
    size_t len = frame_len(l3_len, vlan);

    if (vlan) {
        eth_push_vlan(pkt, htons(ETHERTYPE_VLAN), htons(vlan));
    }
    ovs_assert(dp_packet_size(pkt) <= len);
    memcpy(buf, dp_packet_data(pkt), dp_packet_size(pkt));
    memset((uint8_t *) buf + dp_packet_size(pkt), 0,
           len - dp_packet_size(pkt));
    *lenp = len;
    dp_packet_uninit(pkt);
}

int
frames_build_rarp(const struct eth_addr *mac, uint16_t vlan,
                  void *buf, size_t size, size_t *lenp)
{
    uint64_t stub[FRAMES_MAX_LEN / 8 + 8];
    struct dp_packet pkt;
    int error = check_common(mac, vlan, ARP_LEN, size);

    if (error) {
        return error;
    }
    /* As QEMU sends it: broadcast, "request reverse", the MAC as sender
     * and target, no addresses. */
    dp_packet_use_stub(&pkt, stub, sizeof stub);
    compose_rarp(&pkt, *mac);
    finish_frame(&pkt, ARP_LEN, vlan, buf, lenp);
    return 0;
}

int
frames_build_garp(const struct eth_addr *mac, ovs_be32 ip, uint16_t vlan,
                  bool reply, void *buf, size_t size, size_t *lenp)
{
    uint64_t stub[FRAMES_MAX_LEN / 8 + 8];
    struct dp_packet pkt;
    int error = check_common(mac, vlan, ARP_LEN, size);

    if (error) {
        return error;
    }
    if (frames_check_ipv4(ip)) {
        return EINVAL;
    }
    /* RFC 5227 section 3 wants the target hardware address zero in an
     * announcement; Linux takes a reply as gratuitous only if its target
     * hardware address equals the sender's (net/ipv4/arp.c,
     * arp_is_garp()). */
    dp_packet_use_stub(&pkt, stub, sizeof stub);
    compose_arp(&pkt, reply ? ARP_OP_REPLY : ARP_OP_REQUEST, *mac,
                reply ? *mac : eth_addr_zero, true, ip, ip);
    finish_frame(&pkt, ARP_LEN, vlan, buf, lenp);
    return 0;
}

ovs_be16
frames_icmp6_csum(const struct in6_addr *src, const struct in6_addr *dst,
                  const void *icmp, size_t len)
{
    uint32_t partial = 0;

    partial = csum_continue(partial, src, sizeof *src);
    partial = csum_continue(partial, dst, sizeof *dst);
    partial = csum_add32(partial, htonl(len));
    partial = csum_add16(partial, htons(IPPROTO_ICMPV6));
    partial = csum_continue(partial, icmp, len);
    return csum_finish(partial);
}

int
frames_build_na(const struct eth_addr *mac, const struct in6_addr *ip,
                uint16_t vlan, bool router,
                void *buf, size_t size, size_t *lenp)
{
    const size_t l3_len = IPV6_HEADER_LEN + ICMP6_NA_LEN + ND_OPT_TLLA_LEN;
    uint64_t stub[FRAMES_MAX_LEN / 8 + 8];
    struct dp_packet pkt;
    int error = check_common(mac, vlan, l3_len, size);

    if (error) {
        return error;
    }
    if (frames_check_ipv6(ip)) {
        return EINVAL;
    }
    /* From the announced address itself (RFC 4861 section 7.2.6: an address
     * of the sending interface) to all nodes, with its Target Link-Layer
     * Address option (sections 4.4 and 4.6.1), hop limit 255. */
    dp_packet_use_stub(&pkt, stub, sizeof stub);
    compose_nd_na(&pkt, *mac, all_nodes_mac, ip, &all_nodes_ip,
                  htonl((router ? NA_FLAG_ROUTER : 0) | NA_FLAG_OVERRIDE));
    finish_frame(&pkt, l3_len, vlan, buf, lenp);
    return 0;
}

size_t
frames_count(const struct frames_spec *spec)
{
    return (spec->rarp ? 1 : 0) + spec->n_ipv4 + spec->n_ipv6;
}

int
frames_build_one(const struct frames_spec *spec, size_t idx,
                 void *buf, size_t size, size_t *lenp)
{
    if (spec->rarp) {
        if (!idx) {
            return frames_build_rarp(&spec->mac, spec->vlan, buf, size, lenp);
        }
        idx--;
    }
    if (idx < spec->n_ipv4) {
        return frames_build_garp(&spec->mac, spec->ipv4[idx], spec->vlan,
                                 spec->arp_reply, buf, size, lenp);
    }
    idx -= spec->n_ipv4;
    if (idx < spec->n_ipv6) {
        return frames_build_na(&spec->mac, &spec->ipv6[idx], spec->vlan,
                               spec->router, buf, size, lenp);
    }
    return EINVAL;
}

int
frames_build_all(const struct frames_spec *spec, struct frame *frames,
                 size_t max, size_t *n)
{
    size_t count = frames_count(spec);

    *n = 0;
    if (count > max) {
        return ENOBUFS;
    }
    for (size_t i = 0; i < count; i++) {
        int error = frames_build_one(spec, i, frames[i].data,
                                     sizeof frames[i].data, &frames[i].len);
        if (error) {
            return error;
        }
    }
    *n = count;
    return 0;
}

/* Parsers. */

char *
frames_parse_mac(const char *s, struct eth_addr *mac)
{
    const char *why;

    /* Exactly six pairs of hex digits separated by colons. */
    for (size_t i = 0; i < 17; i++) {
        bool colon = i % 3 == 2;

        if (colon ? s[i] != ':' : !isxdigit((unsigned char) s[i])) {
            return xasprintf("'%s' is not a MAC address (expected six hex "
                             "bytes such as 02:00:0a:00:00:01)", s);
        }
    }
    if (s[17]) {
        return xasprintf("'%s' is not a MAC address (expected six hex "
                         "bytes such as 02:00:0a:00:00:01)", s);
    }
    /* The shape is checked above (stricter than the parser, which also
     * takes one-digit bytes); the value is libopenvswitch's. */
    eth_addr_from_string(s, mac);
    why = frames_check_mac(mac);
    if (why) {
        return xasprintf("MAC address %s %s (expected a VM's unicast MAC)",
                         s, why);
    }
    return NULL;
}

/* Returns the error for 's', which is not an address of either family. */
static char *
not_an_address(const char *s, const char *expected)
{
    if (strchr(s, '/')) {
        return xasprintf("'%s' is not an address (give the %s address "
                         "without a prefix length)", s, expected);
    }
    return xasprintf("'%s' is not an %s address", s, expected);
}

/* Parses 's' as an address of family 'af' (AF_INET or AF_INET6) into 'ip'
 * (an ovs_be32 or a struct in6_addr). */
static char *
parse_ip(const char *s, int af, void *ip)
{
    const bool v4 = af == AF_INET;
    const char *name = v4 ? "IPv4" : "IPv6";
    struct in6_addr other;
    const char *why;

    if (inet_pton(af, s, ip) != 1) {
        if (inet_pton(v4 ? AF_INET6 : AF_INET, s, &other) == 1) {
            return xasprintf("'%s' is an %s address where an %s address is "
                             "needed", s, v4 ? "IPv6" : "IPv4", name);
        }
        return not_an_address(s, name);
    }
    why = v4 ? frames_check_ipv4(*(ovs_be32 *) ip) : frames_check_ipv6(ip);
    if (why) {
        return xasprintf("address %s %s (expected a unicast %s address)",
                         s, why, name);
    }
    return NULL;
}

char *
frames_parse_ipv4(const char *s, ovs_be32 *ip)
{
    return parse_ip(s, AF_INET, ip);
}

char *
frames_parse_ipv6(const char *s, struct in6_addr *ip)
{
    return parse_ip(s, AF_INET6, ip);
}

char *
frames_parse_addr(const char *s, struct in6_addr *ip)
{
    ovs_be32 ip4;
    char *error;

    if (inet_pton(AF_INET6, s, ip) == 1) {
        return frames_parse_ipv6(s, ip);
    }
    if (inet_pton(AF_INET, s, &ip4) != 1) {
        return not_an_address(s, "IPv4 or IPv6");
    }
    error = frames_parse_ipv4(s, &ip4);
    if (!error) {
        *ip = in6_addr_mapped_ipv4(ip4);
    }
    return error;
}

char *
frames_parse_vlan(const char *s, uint16_t *vlan)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (!isdigit((unsigned char) *s) || *end || errno
        || frames_check_vlan(MIN(v, UINT_MAX))) {
        return xasprintf("'%s' is not a VLAN ID (expected 1 to %d, or 0 "
                         "for untagged)", s, FRAMES_VLAN_MAX);
    }
    *vlan = v;
    return NULL;
}

/* Description. */

static uint16_t
get16(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

static void
format_arp(const uint8_t *arp, uint16_t ethertype, struct ds *ds)
{
    uint16_t op = get16(arp + 6);
    struct eth_addr sha;
    ovs_be32 spa;

    memcpy(sha.ea, arp + 8, ETH_ADDR_LEN);
    memcpy(&spa, arp + 14, sizeof spa);
    if (ethertype == ETHERTYPE_RARP) {
        ds_put_format(ds, "RARP (opcode %"PRIu16") "ETH_ADDR_FMT,
                      op, ETH_ADDR_ARGS(sha));
    } else {
        ds_put_format(ds, "gratuitous ARP %s "IP_FMT" is-at "ETH_ADDR_FMT,
                      op == ARP_OP_REPLY ? "reply" : "request",
                      IP_ARGS(spa), ETH_ADDR_ARGS(sha));
    }
}

static void
format_na(const uint8_t *ip6, struct ds *ds)
{
    const uint8_t *icmp = ip6 + IPV6_HEADER_LEN;
    uint32_t flags = ((uint32_t) get16(icmp + 4) << 16) | get16(icmp + 6);
    struct in6_addr target;
    struct eth_addr tlla;

    memcpy(&target, icmp + 8, sizeof target);
    memcpy(tlla.ea, icmp + ICMP6_NA_LEN + 2, ETH_ADDR_LEN);
    ds_put_cstr(ds, "unsolicited NA ");
    ipv6_format_addr(&target, ds);
    ds_put_format(ds, " is-at "ETH_ADDR_FMT" (%s%s%s)",
                  ETH_ADDR_ARGS(tlla),
                  flags & NA_FLAG_ROUTER ? "R" : "",
                  flags & NA_FLAG_SOLICITED ? "S" : "",
                  flags & NA_FLAG_OVERRIDE ? "O" : "");
}

void
frames_format(const void *data, size_t len, struct ds *ds)
{
    const uint8_t *p = data;
    size_t l3 = ETH_HEADER_LEN;
    uint16_t ethertype, vlan = 0;

    if (len < FRAMES_MIN_LEN) {
        ds_put_format(ds, "unknown frame, %"PRIuSIZE" bytes", len);
        return;
    }
    ethertype = get16(p + 12);
    if (ethertype == ETHERTYPE_VLAN) {
        vlan = get16(p + 14) & 0xfff;
        ethertype = get16(p + 16);
        l3 += VLAN_HEADER_LEN;
    }
    if ((ethertype == ETHERTYPE_RARP || ethertype == ETHERTYPE_ARP)
        && len >= l3 + ARP_LEN) {
        format_arp(p + l3, ethertype, ds);
    } else if (ethertype == ETHERTYPE_IPV6
               && len >= l3 + IPV6_HEADER_LEN + ICMP6_NA_LEN + ND_OPT_TLLA_LEN
               && p[l3 + 6] == IPPROTO_ICMPV6
               && p[l3 + IPV6_HEADER_LEN] == ICMP6_NA_TYPE) {
        format_na(p + l3, ds);
    } else {
        ds_put_format(ds, "unknown frame (ethertype 0x%04"PRIx16")",
                      ethertype);
    }
    if (vlan) {
        ds_put_format(ds, ", vlan %"PRIu16, vlan);
    }
    ds_put_format(ds, ", %"PRIuSIZE" bytes", len);
}
