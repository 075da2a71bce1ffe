/* cutover-announcer's command arguments.  See announcer-args.h. */

#include <config.h>
#include "announcer-args.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "nb-check.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
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
