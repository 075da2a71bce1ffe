/* Announcement frames: what a host sends after a VM moved to it.
 *
 *   RARP          exactly as QEMU's self-announce sends it (net/announce.c,
 *                 announce_self_create()): broadcast, ethertype 0x8035,
 *                 opcode 3 (request reverse), sender and target hardware
 *                 address the VM's MAC, protocol addresses 0.0.0.0, padded
 *                 to 60 bytes.  It makes learning switches move the MAC.
 *   gratuitous    an RFC 5227 ARP announcement (request, sender IP = target
 *   ARP           IP = the address, target MAC zero), or on request its
 *                 reply form (opcode 2, target MAC = sender MAC: the form
 *                 Linux accepts as gratuitous, see docs/announcements.md).
 *                 It makes routers and hosts move an IPv4 address to a MAC.
 *   unsolicited   RFC 4861 section 7.2.6: from the address to ff02::1, hop
 *   NA            limit 255, Solicited 0, Override 1, Router as asked, with a
 *                 Target Link-Layer Address option.  The same for IPv6.
 *
 * Every frame may carry an 802.1Q tag (a port on a provider VLAN).  Frames
 * are padded to the Ethernet minimum of 60 bytes before the tag, so a switch
 * that strips the tag forwards exactly what QEMU would have sent.
 *
 * Everything here is pure: the builders write into a buffer the caller
 * provides (a stack array, a DPDK mbuf's data room, a packet-out's payload)
 * and touch nothing else, so every emitter shares them.  Bad input (a
 * multicast or zero MAC, a zero or multicast address, a VLAN out of range) is
 * refused with EINVAL; the frames_check_*() functions say why. */

#ifndef GRATUITOUS_FRAMES_H
#define GRATUITOUS_FRAMES_H 1

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openvswitch/compiler.h"
#include "openvswitch/types.h"

struct ds;
struct eth_addr;

/* Ethernet's minimum frame without its FCS, before any 802.1Q tag. */
#define FRAMES_MIN_LEN 60

/* The longest frame a builder writes: a tagged unsolicited NA (14 + 4 + 40
 * + 24 + 8 bytes). */
#define FRAMES_MAX_LEN 90

/* The largest 802.1Q VLAN ID; 0 means "no tag". */
#define FRAMES_VLAN_MAX 4094

/* One built frame, as emitters take them (emitter.h). */
struct frame {
    size_t len;
    uint8_t data[FRAMES_MAX_LEN];
};

/* Each returns NULL if its argument may be announced, otherwise a short
 * static reason such as "is a multicast address". */
const char *frames_check_mac(const struct eth_addr *);
const char *frames_check_ipv4(ovs_be32);
const char *frames_check_ipv6(const struct in6_addr *);
const char *frames_check_vlan(unsigned int vlan);

/* Builders.  Each writes one frame for 'mac' into 'buf' (of 'size' bytes),
 * tagged with 'vlan' unless it is 0, stores its length in '*lenp' and
 * returns 0; or returns EINVAL for bad input (see frames_check_*()) or
 * ENOBUFS if 'size' is too small (FRAMES_MAX_LEN is always enough). */
int frames_build_rarp(const struct eth_addr *mac, uint16_t vlan,
                      void *buf, size_t size, size_t *lenp);
int frames_build_garp(const struct eth_addr *mac, ovs_be32 ip, uint16_t vlan,
                      bool reply, void *buf, size_t size, size_t *lenp);
int frames_build_na(const struct eth_addr *mac, const struct in6_addr *ip,
                    uint16_t vlan, bool router,
                    void *buf, size_t size, size_t *lenp);

/* The ICMPv6 checksum of the ICMPv6 message 'icmp' of 'len' bytes sent from
 * 'src' to 'dst' (RFC 4443 section 2.3, with the RFC 8200 pseudo-header).
 * Over a message whose checksum field is filled in, a correct checksum
 * gives 0. */
ovs_be16 frames_icmp6_csum(const struct in6_addr *src,
                           const struct in6_addr *dst,
                           const void *icmp, size_t len);

/* Everything one announcement sends in a round. */
struct frames_spec {
    struct eth_addr mac;        /* The VM's MAC. */
    uint16_t vlan;              /* 802.1Q VLAN ID, 0 for untagged. */
    bool rarp;                  /* Send the RARP (for learning switches). */
    bool arp_reply;             /* Gratuitous ARP in its reply form. */
    bool router;                /* NA's Router flag. */
    const ovs_be32 *ipv4;       /* One gratuitous ARP each. */
    size_t n_ipv4;
    const struct in6_addr *ipv6; /* One unsolicited NA each. */
    size_t n_ipv6;
};

/* The number of frames 'spec' makes: the RARP, if asked, and one per
 * address. */
size_t frames_count(const struct frames_spec *);

/* Builds the frames of 'spec' into 'frames' (room for 'max'): the RARP
 * first, then the gratuitous ARPs, then the NAs, each in the order given.
 * Stores their number in '*n' and returns 0, or returns the first builder's
 * error (EINVAL, or ENOBUFS if 'max' is too small). */
int frames_build_all(const struct frames_spec *, struct frame *frames,
                     size_t max, size_t *n);

/* Builds frame 'idx' (from 0) of the frames_build_all() order of 'spec'
 * into 'buf' (of 'size' bytes), for a caller that keeps each frame in a
 * buffer of its own (cutover-announcer writes them straight into DPDK
 * mbufs).  Returns 0, a builder's error, or EINVAL if 'idx' is not below
 * frames_count(). */
int frames_build_one(const struct frames_spec *, size_t idx,
                     void *buf, size_t size, size_t *lenp);

/* Parsers for what operators and the northbound database write.  Each
 * returns NULL and stores the value, or returns a malloc()ed error message
 * naming 's' and what was expected (the caller frees it). */
char *frames_parse_mac(const char *s, struct eth_addr *)
    OVS_WARN_UNUSED_RESULT;
/* IPv4 or IPv6; an IPv4 address is stored IPv4-mapped (::ffff:a.b.c.d). */
char *frames_parse_addr(const char *s, struct in6_addr *)
    OVS_WARN_UNUSED_RESULT;
char *frames_parse_ipv4(const char *s, ovs_be32 *) OVS_WARN_UNUSED_RESULT;
char *frames_parse_ipv6(const char *s, struct in6_addr *)
    OVS_WARN_UNUSED_RESULT;
char *frames_parse_vlan(const char *s, uint16_t *) OVS_WARN_UNUSED_RESULT;

/* Appends to 'ds' a one-line description of the frame 'data' of 'len' bytes
 * as a builder here wrote it (e.g. "RARP 02:00:0a:00:00:01, 60 bytes"), for
 * dry runs and logs.  Other frames are described as unknown. */
void frames_format(const void *data, size_t len, struct ds *);

#endif /* frames.h */
