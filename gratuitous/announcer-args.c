/* cutover-announcer's command arguments.  See announcer-args.h. */

#include <config.h>
#include "announcer-args.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "nb-check.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "timing.h"
#include "util.h"

/* What "announcer/register" takes after PORT and MAC, for messages. */
#define REGISTER_OPTIONS "ADDR, vlan=VID, router, arp-reply, no-rarp, " \
    "rounds=N, initial=MS, max=MS, step=MS"

/* Parses 'value' of option 'name' as a decimal number into '*out'.  The
 * range is schedule_check()'s business. */
static char *
parse_number(const char *name, const char *value, unsigned int *out)
{
    unsigned long v;
    char *end;

    errno = 0;
    v = strtoul(value, &end, 10);
    if (!isdigit((unsigned char) *value) || *end || errno || v > UINT_MAX) {
        return xasprintf("%s=%s: '%s' is not a number (expected a decimal "
                         "integer)", name, value, value);
    }
    *out = v;
    return NULL;
}

/* Parses one argument after PORT and MAC: an option or an address. */
static char *
parse_arg(const char *arg, struct announcer_reg *reg)
{
    struct frames_spec *spec = &reg->spec;
    struct schedule_params *sched = &reg->sched;
    const char *eq = strchr(arg, '=');
    struct in6_addr ip;
    char *error;

    if (!strcmp(arg, "router")) {
        spec->router = true;
        return NULL;
    } else if (!strcmp(arg, "arp-reply")) {
        spec->arp_reply = true;
        return NULL;
    } else if (!strcmp(arg, "no-rarp")) {
        spec->rarp = false;
        return NULL;
    } else if (eq) {
        size_t len = eq - arg;
        const char *value = eq + 1;

#define IS_OPTION(NAME) (len == strlen(NAME) && !strncmp(arg, NAME, len))
        if (IS_OPTION("vlan")) {
            error = frames_parse_vlan(value, &spec->vlan);
            if (error) {
                char *s = xasprintf("vlan=%s: %s", value, error);

                free(error);
                return s;
            }
            return NULL;
        } else if (IS_OPTION("rounds")) {
            return parse_number("rounds", value, &sched->rounds);
        } else if (IS_OPTION("initial")) {
            return parse_number("initial", value, &sched->initial_ms);
        } else if (IS_OPTION("max")) {
            return parse_number("max", value, &sched->max_ms);
        } else if (IS_OPTION("step")) {
            return parse_number("step", value, &sched->step_ms);
        }
#undef IS_OPTION
        return xasprintf("unknown option '%.*s' (expected "REGISTER_OPTIONS
                         ")", (int) len, arg);
    }

    /* A word that is neither an option nor can be an address (no digit,
     * dot or colon) is most likely a misspelt option: say so. */
    if (!arg[strcspn(arg, "0123456789.:")]) {
        return xasprintf("unknown option '%s' (expected "REGISTER_OPTIONS
                         ")", arg);
    }
    error = frames_parse_addr(arg, &ip);
    if (error) {
        return error;
    }
    if (spec->n_ipv4 + spec->n_ipv6 >= ANNOUNCER_MAX_ADDRS) {
        return xasprintf("more than %d addresses", ANNOUNCER_MAX_ADDRS);
    }
    if (IN6_IS_ADDR_V4MAPPED(&ip)) {
        ovs_be32 ip4 = in6_addr_get_mapped_ipv4(&ip);

        for (size_t i = 0; i < spec->n_ipv4; i++) {
            if (reg->ipv4[i] == ip4) {
                return xasprintf("address %s given twice", arg);
            }
        }
        reg->ipv4[spec->n_ipv4++] = ip4;
    } else {
        for (size_t i = 0; i < spec->n_ipv6; i++) {
            if (ipv6_addr_equals(&reg->ipv6[i], &ip)) {
                return xasprintf("address %s given twice", arg);
            }
        }
        reg->ipv6[spec->n_ipv6++] = ip;
    }
    return NULL;
}

char *
announcer_parse_register(int argc, const char *const argv[],
                         struct announcer_reg *reg)
{
    struct schedule_params defaults = SCHEDULE_PARAMS_DEFAULT;
    char *error;

    memset(reg, 0, sizeof *reg);
    reg->spec.rarp = true;
    reg->spec.ipv4 = reg->ipv4;
    reg->spec.ipv6 = reg->ipv6;
    reg->sched = defaults;

    if (argc < 2) {
        return xstrdup("expected PORT MAC [ADDR...] [OPTION...]");
    }
    reg->port = argv[0];
    error = nb_check_name("port", reg->port);
    if (error) {
        return error;
    }
    error = frames_parse_mac(argv[1], &reg->spec.mac);
    if (error) {
        return error;
    }
    for (int i = 2; i < argc; i++) {
        error = parse_arg(argv[i], reg);
        if (error) {
            return error;
        }
    }
    error = schedule_check(&reg->sched);
    if (error) {
        return error;
    }
    if (!frames_count(&reg->spec)) {
        return xstrdup("nothing to announce: no-rarp and no address");
    }
    return NULL;
}

void
announcer_format_spec(const struct frames_spec *spec, struct ds *ds)
{
    ds_put_format(ds, ETH_ADDR_FMT, ETH_ADDR_ARGS(spec->mac));
    for (size_t i = 0; i < spec->n_ipv4; i++) {
        ds_put_format(ds, " "IP_FMT, IP_ARGS(spec->ipv4[i]));
    }
    for (size_t i = 0; i < spec->n_ipv6; i++) {
        ds_put_char(ds, ' ');
        ipv6_format_addr(&spec->ipv6[i], ds);
    }
    if (spec->vlan) {
        ds_put_format(ds, " vlan=%"PRIu16, spec->vlan);
    }
    if (spec->router) {
        ds_put_cstr(ds, " router");
    }
    if (spec->arp_reply) {
        ds_put_cstr(ds, " arp-reply");
    }
    if (!spec->rarp) {
        ds_put_cstr(ds, " no-rarp");
    }
}

/* Splits 'arg' into an option's name (its first 'len' bytes) and value, or
 * returns NULL if it has no '='. */
static const char *
option_value(const char *arg, size_t *len)
{
    const char *eq = strchr(arg, '=');

    if (!eq) {
        return NULL;
    }
    *len = eq - arg;
    return eq + 1;
}

static bool
is_option(const char *arg, size_t len, const char *name)
{
    return len == strlen(name) && !strncmp(arg, name, len);
}

/* The port's name and, for hold/start, its id: the common start of the
 * hold commands' arguments. */
static char *
parse_hold_port(const char *name, const char **port)
{
    *port = name;
    return nb_check_name("port", name);
}

char *
announcer_parse_hold_start(int argc, const char *const argv[],
                           const struct hold_limits *defaults,
                           struct announcer_hold_start *hs)
{
    unsigned int id, v;
    char *error;

    memset(hs, 0, sizeof *hs);
    hs->limits = *defaults;
    if (argc < 2) {
        return xstrdup("expected PORT ID [bytes=N] [age=MS]");
    }
    error = parse_hold_port(argv[0], &hs->port);
    if (error) {
        return error;
    }
    error = parse_number("ID", argv[1], &id);
    if (error || id < HOLD_ID_MIN || id > HOLD_ID_MAX) {
        free(error);
        return xasprintf("hold id '%.32s' is not an integer from %d to %d "
                         "(the hold tag's VLAN id)", argv[1], HOLD_ID_MIN,
                         HOLD_ID_MAX);
    }
    hs->id = id;
    for (int i = 2; i < argc; i++) {
        size_t len;
        const char *value = option_value(argv[i], &len);

        if (value && is_option(argv[i], len, "bytes")) {
            error = parse_number("bytes", value, &v);
            if (error) {
                return error;
            }
            hs->limits.max_bytes = v;
        } else if (value && is_option(argv[i], len, "age")) {
            error = parse_number("age", value, &v);
            if (error) {
                return error;
            }
            hs->limits.max_age_ns = v * 1000000LL;
        } else {
            return xasprintf("unknown option '%.32s' (expected bytes=N, "
                             "age=MS)", argv[i]);
        }
    }
    return hold_limits_check(&hs->limits);
}

char *
announcer_parse_hold_replay(int argc, const char *const argv[],
                            struct announcer_hold_replay *hr)
{
    char *error;

    memset(hr, 0, sizeof *hr);
    hr->margin_us = ANNOUNCER_DEFAULT_MARGIN_US;
    hr->cutoff_ns = LLONG_MAX;
    if (argc < 1) {
        return xstrdup("expected PORT [stopped=SECONDS.MICROSECONDS] "
                       "[margin=MS]");
    }
    error = parse_hold_port(argv[0], &hr->port);
    if (error) {
        return error;
    }
    for (int i = 1; i < argc; i++) {
        size_t len;
        const char *value = option_value(argv[i], &len);
        unsigned int ms;

        if (value && is_option(argv[i], len, "stopped")) {
            if (timing_parse_stamp(value, &hr->stopped_us)) {
                return xasprintf("stopped=%.32s: expected the time the VM "
                                 "stopped as SECONDS.MICROSECONDS since the "
                                 "epoch (QEMU's STOP event timestamp)",
                                 value);
            }
            hr->stopped = true;
        } else if (value && is_option(argv[i], len, "margin")) {
            error = parse_number("margin", value, &ms);
            if (error) {
                return error;
            }
            if (ms > ANNOUNCER_MAX_MARGIN_MS) {
                return xasprintf("margin=%u: at most %d ms", ms,
                                 ANNOUNCER_MAX_MARGIN_MS);
            }
            hr->margin_us = ms * 1000LL;
        } else {
            return xasprintf("unknown option '%.32s' (expected "
                             "stopped=SECONDS.MICROSECONDS, margin=MS)",
                             argv[i]);
        }
    }
    if (hr->stopped) {
        hr->cutoff_ns = (hr->stopped_us - hr->margin_us) * 1000LL;
    }
    return NULL;
}

/* Whether 'name' may be a network device's name (what the kernel takes:
 * 1 to IFNAMSIZ - 1 bytes, no '/', no white space, not "." or ".."). */
static bool
is_device_name(const char *name)
{
    size_t len = strlen(name);

    if (!len || len >= IFNAMSIZ || !strcmp(name, ".")
        || !strcmp(name, "..")) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == ':' || isspace((unsigned char) *p)) {
            return false;
        }
    }
    return true;
}

char *
announcer_parse_neighbours(int argc, const char *const argv[],
                           struct announcer_neighbours *an)
{
    memset(an, 0, sizeof *an);
    if (argc < 1) {
        return xstrdup("expected BRIDGE [IP=MAC...]");
    }
    if (!is_device_name(argv[0])) {
        return xasprintf("bridge '%.32s' is not a network device name "
                         "(1 to %d characters, no '/', ':' or spaces)",
                         argv[0], IFNAMSIZ - 1);
    }
    if (argc - 1 > ANNOUNCER_MAX_PEERS) {
        return xasprintf("%d peers, at most %d", argc - 1,
                         ANNOUNCER_MAX_PEERS);
    }
    an->bridge = argv[0];
    an->peers = xcalloc(MAX(argc - 1, 1), sizeof *an->peers);
    for (int i = 1; i < argc; i++) {
        struct kernel_neigh *peer = &an->peers[an->n_peers];
        const char *eq = strchr(argv[i], '=');
        char ip[INET_ADDRSTRLEN];
        size_t len = eq ? eq - argv[i] : 0;

        if (!eq || len >= sizeof ip) {
            goto bad_peer;
        }
        memcpy(ip, argv[i], len);
        ip[len] = '\0';
        if (!ip_parse(ip, &peer->ip) || !peer->ip
            || !eth_addr_from_string(eq + 1, &peer->mac)
            || eth_addr_is_zero(peer->mac)
            || eth_addr_is_multicast(peer->mac)) {
            goto bad_peer;
        }
        for (size_t j = 0; j < an->n_peers; j++) {
            if (an->peers[j].ip == peer->ip) {
                char *error = xasprintf("peer "IP_FMT" given twice",
                                        IP_ARGS(peer->ip));
                free(an->peers);
                memset(an, 0, sizeof *an);
                return error;
            }
        }
        an->n_peers++;
        continue;

    bad_peer:
        free(an->peers);
        memset(an, 0, sizeof *an);
        return xasprintf("peer '%.48s' is not IP=MAC (a tunnel IPv4 address "
                         "and a unicast MAC, e.g. "
                         "172.16.0.12=02:00:ac:10:00:0c)", argv[i]);
    }
    return NULL;
}
