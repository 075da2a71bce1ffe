/* cutover-announcer's control commands, the pure part: parsing the
 * arguments of "announcer/register" into what to build, and describing a
 * registration.  No DPDK here, so that it is unit-tested like the rest of
 * libgratuitous (tests/unit/test-announcer-args.c); the daemon is
 * gratuitous/announcer.c and its manual docs/cutover-announcer.8. */

#ifndef GRATUITOUS_ANNOUNCER_ARGS_H
#define GRATUITOUS_ANNOUNCER_ARGS_H 1

#include <netinet/in.h>

#include "frames.h"
#include "hold.h"
#include "kernel-neigh.h"
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"
#include "schedule.h"

struct ds;

/* Addresses one registration may carry (IPv4 and IPv6 together). */
#define ANNOUNCER_MAX_ADDRS 64

/* The frames one registered port needs at most: its RARP and one frame per
 * address. */
#define ANNOUNCER_MAX_FRAMES (1 + ANNOUNCER_MAX_ADDRS)

/* One "announcer/register" command, parsed. */
struct announcer_reg {
    const char *port;           /* The port's name (points into argv). */
    struct frames_spec spec;    /* Its 'ipv4' and 'ipv6' point below. */
    ovs_be32 ipv4[ANNOUNCER_MAX_ADDRS];
    struct in6_addr ipv6[ANNOUNCER_MAX_ADDRS];
    struct schedule_params sched;
};

/* Parses the arguments of "announcer/register", the 'argc' strings of
 * 'argv' that follow the command's name:
 *
 *     PORT MAC [ADDR...] [vlan=VID] [router] [arp-reply] [no-rarp]
 *     [rounds=N] [initial=MS] [max=MS] [step=MS]
 *
 * in any order after PORT and MAC.  Fills in '*reg' and returns NULL, or
 * returns a malloc()ed message naming the argument that is wrong and what
 * was expected (the caller frees it); '*reg' is then unspecified.  'reg'
 * points into 'argv', which must outlive it. */
char *announcer_parse_register(int argc, const char *const argv[],
                               struct announcer_reg *reg)
    OVS_WARN_UNUSED_RESULT;

/* Appends to 'ds' what 'spec' announces, in the syntax of the command
 * ("02:00:0a:00:00:01 10.0.0.5 fd00::5 vlan=100 no-rarp"), without the
 * schedule. */
void announcer_format_spec(const struct frames_spec *, struct ds *);

/* One "hold/start" command, parsed. */
struct announcer_hold_start {
    const char *port;           /* Points into argv. */
    uint16_t id;                /* The hold tag's VID. */
    struct hold_limits limits;
};

/* Parses the arguments of "hold/start": PORT ID [bytes=N] [age=MS], with
 * 'defaults' for what is not given.  Returns NULL or an error message to
 * free, as announcer_parse_register() does. */
char *announcer_parse_hold_start(int argc, const char *const argv[],
                                 const struct hold_limits *defaults,
                                 struct announcer_hold_start *)
    OVS_WARN_UNUSED_RESULT;

/* The margin hold/replay takes by default, and at most. */
#define ANNOUNCER_DEFAULT_MARGIN_US 2000
#define ANNOUNCER_MAX_MARGIN_MS 10000

/* One "hold/replay" command, parsed. */
struct announcer_hold_replay {
    const char *port;           /* Points into argv. */
    bool stopped;               /* Whether the VM's STOP time was given... */
    int64_t stopped_us;         /* ...this, in us since the epoch. */
    int64_t margin_us;
    long long int cutoff_ns;    /* Copies that arrived from this time on are
                                 * replayed (LLONG_MAX: none). */
};

/* Parses the arguments of "hold/replay": PORT [stopped=S.US] [margin=MS].
 * Without stopped=, no copy is replayed (only the held frames).  Returns
 * NULL or an error message to free. */
char *announcer_parse_hold_replay(int argc, const char *const argv[],
                                  struct announcer_hold_replay *)
    OVS_WARN_UNUSED_RESULT;

/* Peers one "neighbours/set" may carry: a hundred hosts' worth many times
 * over; the request's size bound (CONTROL_MAX_REQUEST) comes first. */
#define ANNOUNCER_MAX_PEERS 4096

/* One "neighbours/set" command, parsed. */
struct announcer_neighbours {
    const char *bridge;         /* Points into argv. */
    struct kernel_neigh *peers; /* Malloc()ed, to free. */
    size_t n_peers;
};

/* Parses the arguments of "neighbours/set": BRIDGE [IP=MAC...], the
 * uplink bridge (a network device name) and every peer's tunnel IPv4
 * address and MAC, each address once.  Returns NULL, or an error message to
 * free ('*an' then holds nothing to free). */
char *announcer_parse_neighbours(int argc, const char *const argv[],
                                 struct announcer_neighbours *an)
    OVS_WARN_UNUSED_RESULT;

#endif /* announcer-args.h */
