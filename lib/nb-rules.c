/* The northbound database's cross-row rules.  See nb-rules.h. */

#include <config.h>
#include "nb-rules.h"

#include <stdlib.h>
#include <string.h>

#include "lib/cutover-nb-idl.h"
#include "nb-check.h"
#include "openvswitch/shash.h"
#include "packets.h"
#include "sset.h"
#include "svec.h"
#include "util.h"

/* Whether port 'p' has address 'ip'. */
static bool
port_has_ip(const struct nbrec_port *p, const char *ip)
{
    for (size_t i = 0; i < p->n_ipv4; i++) {
        if (nb_ip_equal(p->ipv4[i], ip)) {
            return true;
        }
    }
    for (size_t i = 0; i < p->n_ipv6; i++) {
        if (nb_ip_equal(p->ipv6[i], ip)) {
            return true;
        }
    }
    return false;
}

/* The address elastic IP 'e' maps to on its port (which it must have). */
static const char *
eip_private_ip(const struct nbrec_eip *e)
{
    return (e->private_ip ? e->private_ip
            : e->port->n_ipv4 ? e->port->ipv4[0] : NULL);
}

char *
nb_rules_mac(const struct ovsdb_idl *idl, const char *mac, const void *self)
{
    const struct nbrec_port *p;
    const struct nbrec_eip *e;

    NBREC_PORT_FOR_EACH (p, idl) {
        if ((const void *) p != self && nb_mac_equal(p->mac, mac)) {
            return xasprintf("MAC %s is port %s's already", mac, p->name);
        }
    }
    NBREC_EIP_FOR_EACH (e, idl) {
        if ((const void *) e != self && nb_mac_equal(e->mac, mac)) {
            return xasprintf("MAC %s is elastic IP %s's already", mac,
                             e->address);
        }
    }
    return NULL;
}

char *
nb_rules_port_ip(const struct ovsdb_idl *idl, const struct nbrec_subnet *s,
                 const char *ip, const struct nbrec_port *self)
{
    const struct nbrec_port *p;
    char *error;

    error = nb_check_port_ip(ip, s->name, s->cidr, s->gateway_ip, s->cidr6,
                             s->gateway_ip6);
    if (error) {
        return error;
    }
    NBREC_PORT_FOR_EACH (p, idl) {
        if (p != self && p->subnet->network == s->network
            && port_has_ip(p, ip)) {
            return xasprintf("address %s is port %s's already (network %s)",
                             ip, p->name, s->network->name);
        }
    }
    return NULL;
}

/* Whether subnets with 'cidr'/'cidr6' and 'o_cidr'/'o_cidr6' overlap; if
 * so, stores the overlapping pair's prefixes in '*mine' and '*theirs'. */
static bool
subnets_overlap(const char *cidr, const char *cidr6, const char *o_cidr,
                const char *o_cidr6, const char **mine, const char **theirs)
{
    struct nb_cidr4 a4, b4;
    struct nb_cidr6 a6, b6;
    char *ea, *eb;
    bool overlap;

    ea = nb_check_cidr4(cidr, &a4);
    eb = nb_check_cidr4(o_cidr, &b4);
    overlap = !ea && !eb && nb_cidr4_overlap(&a4, &b4);
    free(ea);
    free(eb);
    if (overlap) {
        *mine = cidr;
        *theirs = o_cidr;
        return true;
    }
    if (!cidr6 || !o_cidr6) {
        return false;
    }
    ea = nb_check_cidr6(cidr6, &a6);
    eb = nb_check_cidr6(o_cidr6, &b6);
    overlap = !ea && !eb && nb_cidr6_overlap(&a6, &b6);
    free(ea);
    free(eb);
    if (overlap) {
        *mine = cidr6;
        *theirs = o_cidr6;
    }
    return overlap;
}

char *
nb_rules_subnet_overlap(const struct ovsdb_idl *idl,
                        const struct nbrec_network *net, const char *cidr,
                        const char *cidr6, const struct nbrec_subnet *self)
{
    const struct nbrec_subnet *s;

    NBREC_SUBNET_FOR_EACH (s, idl) {
        const char *mine, *theirs;

        if (s != self && s->network == net
            && subnets_overlap(cidr, cidr6, s->cidr, s->cidr6, &mine,
                               &theirs)) {
            return xasprintf("%s overlaps subnet %s (%s) of network %s",
                             mine, s->name, theirs, net->name);
        }
    }
    return NULL;
}

char *
nb_rules_eip(const struct ovsdb_idl *idl, const struct nbrec_eip *self,
             const char *address, const struct nbrec_port *port,
             const char *private_ip, const char **mappedp)
{
    const struct nbrec_eip *e;

    *mappedp = NULL;
    if (!private_ip) {
        if (!port->n_ipv4) {
            return xasprintf("port %s has no IPv4 address for elastic IP %s",
                             port->name, address);
        }
        private_ip = port->ipv4[0];
    } else if (strchr(private_ip, ':') || !port_has_ip(port, private_ip)) {
        return xasprintf("%s is not an IPv4 address of port %s", private_ip,
                         port->name);
    }
    NBREC_EIP_FOR_EACH (e, idl) {
        const char *other;

        if (e == self || e->port != port) {
            continue;
        }
        other = eip_private_ip(e);
        if (other && nb_ip_equal(other, private_ip)) {
            return xasprintf("port %s's address %s has elastic IP %s already",
                             port->name, private_ip, e->address);
        }
    }
    *mappedp = private_ip;
    return NULL;
}

/* The whole database. */

/* A canonical spelling of the MAC or IP 'text', as a key: the same address
 * written two ways must meet in one hash bucket. */
static char *
canonical_mac(const char *text)
{
    struct eth_addr mac;

    return (eth_addr_from_string(text, &mac)
            ? xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(mac)) : xstrdup(text));
}

static char *
canonical_ip(const char *text)
{
    struct in6_addr a6;
    ovs_be32 a4;

    if (ip_parse(text, &a4)) {
        return xasprintf(IP_FMT, IP_ARGS(a4));
    }
    if (ipv6_parse(text, &a6)) {
        char buf[INET6_ADDRSTRLEN];

        return xstrdup(inet_ntop(AF_INET6, &a6, buf, sizeof buf));
    }
    return xstrdup(text);
}

/* Adds to 'owners' the MAC 'mac' of 'who'; if another had it, records the
 * problem in 'found'. */
static void
claim_mac(struct shash *owners, const char *mac, const char *who,
          struct sset *found)
{
    char *key = canonical_mac(mac);
    const char *other = shash_find_data(owners, key);

    if (other) {
        sset_add_and_free(found, xasprintf("MAC %s is both %s's and %s's",
                                           mac, other, who));
        free(key);
    } else {
        shash_add_nocopy(owners, key, xstrdup(who));
    }
}

static void
check_ports(const struct ovsdb_idl *idl, struct sset *found)
{
    struct shash addresses = SHASH_INITIALIZER(&addresses);
    const struct nbrec_port *p;

    NBREC_PORT_FOR_EACH (p, idl) {
        const struct nbrec_subnet *s = p->subnet;

        for (size_t i = 0; i < p->n_ipv4 + p->n_ipv6; i++) {
            const char *ip = (i < p->n_ipv4 ? p->ipv4[i]
                              : p->ipv6[i - p->n_ipv4]);
            char *error = nb_check_port_ip(ip, s->name, s->cidr,
                                           s->gateway_ip, s->cidr6,
                                           s->gateway_ip6);
            char *ip_key, *key;
            const char *other;

            if (error) {
                sset_add_and_free(found, xasprintf("port %s: %s", p->name,
                                                   error));
                free(error);
                continue;
            }
            ip_key = canonical_ip(ip);
            key = xasprintf("%s %s", s->network->name, ip_key);
            free(ip_key);
            other = shash_find_data(&addresses, key);
            if (other && strcmp(other, p->name)) {
                sset_add_and_free(found, xasprintf(
                    "address %s is both port %s's and port %s's (network "
                    "%s)", ip, other, p->name, s->network->name));
                free(key);
            } else if (other) {
                free(key);
            } else {
                shash_add_nocopy(&addresses, key, xstrdup(p->name));
            }
        }
    }
    shash_destroy_free_data(&addresses);
}

static void
check_subnets(const struct ovsdb_idl *idl, struct sset *found)
{
    const struct nbrec_subnet *s, *o;

    /* Quadratic in the subnets of a network only: there are few. */
    NBREC_SUBNET_FOR_EACH (s, idl) {
        NBREC_SUBNET_FOR_EACH (o, idl) {
            const char *mine, *theirs;

            if (o->network == s->network && strcmp(s->name, o->name) < 0
                && subnets_overlap(s->cidr, s->cidr6, o->cidr, o->cidr6,
                                   &mine, &theirs)) {
                sset_add_and_free(found, xasprintf(
                    "subnet %s (%s) overlaps subnet %s (%s) of network %s",
                    s->name, mine, o->name, theirs, s->network->name));
            }
        }
    }
}

static void
check_eips(const struct ovsdb_idl *idl, struct sset *found)
{
    struct shash mapped = SHASH_INITIALIZER(&mapped);
    const struct nbrec_eip *e;

    NBREC_EIP_FOR_EACH (e, idl) {
        const char *private_ip, *other;
        char *key, *ip_key;

        if (!e->port) {
            continue;
        }
        private_ip = eip_private_ip(e);
        if (!private_ip) {
            sset_add_and_free(found, xasprintf(
                "port %s has no IPv4 address for elastic IP %s",
                e->port->name, e->address));
            continue;
        }
        if (strchr(private_ip, ':') || !port_has_ip(e->port, private_ip)) {
            sset_add_and_free(found, xasprintf(
                "elastic IP %s: %s is not an IPv4 address of port %s",
                e->address, private_ip, e->port->name));
            continue;
        }
        ip_key = canonical_ip(private_ip);
        key = xasprintf("%s %s", e->port->name, ip_key);
        free(ip_key);
        other = shash_find_data(&mapped, key);
        if (other) {
            sset_add_and_free(found, xasprintf(
                "port %s's address %s has two elastic IPs, %s and %s",
                e->port->name, private_ip, other, e->address));
            free(key);
        } else {
            shash_add_nocopy(&mapped, key, xstrdup(e->address));
        }
    }
    shash_destroy_free_data(&mapped);
}

void
nb_rules_check_all(const struct ovsdb_idl *idl, struct svec *problems)
{
    struct shash macs = SHASH_INITIALIZER(&macs);
    struct sset found = SSET_INITIALIZER(&found);
    const struct nbrec_port *p;
    const struct nbrec_eip *e;
    const char *problem;

    NBREC_PORT_FOR_EACH (p, idl) {
        char *who = xasprintf("port %s", p->name);

        claim_mac(&macs, p->mac, who, &found);
        free(who);
    }
    NBREC_EIP_FOR_EACH (e, idl) {
        char *who = xasprintf("elastic IP %s", e->address);

        claim_mac(&macs, e->mac, who, &found);
        free(who);
    }
    shash_destroy_free_data(&macs);
    check_ports(idl, &found);
    check_subnets(idl, &found);
    check_eips(idl, &found);

    SSET_FOR_EACH (problem, &found) {
        svec_add(problems, problem);
    }
    svec_sort(problems);
    sset_destroy(&found);
}
