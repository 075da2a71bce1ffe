/* Filling the model from the northbound database.  See model-idl.h. */

#include <config.h>
#include "model-idl.h"

#include <stdlib.h>
#include <string.h>

#include "lib/cutover-nb-idl.h"
#include "model.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(model_idl);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

int
model_from_idl(struct model *m, struct ovsdb_idl *idl)
{
    const struct nbrec_host *h;
    const struct nbrec_network *n;
    const struct nbrec_subnet *s;
    const struct nbrec_port *p;
    const struct nbrec_eip *e;
    int skipped = 0;
    char *error = NULL;

#define SKIP(...)                                       \
    do {                                                \
        VLOG_WARN_RL(&rl, __VA_ARGS__);                 \
        free(error);                                    \
        error = NULL;                                   \
        skipped++;                                      \
    } while (0)

    NBREC_HOST_FOR_EACH (h, idl) {
        struct model_host *mh = model_add_host(m, h->name, h->tunnel_ip,
                                               &error);
        if (!mh) {
            SKIP("skipping host: %s", error);
        }
    }
    NBREC_NETWORK_FOR_EACH (n, idl) {
        enum model_network_kind kind = (!strcmp(n->kind, "vlan")
                                        ? MODEL_NET_VLAN
                                        : !strcmp(n->kind, "geneve")
                                        ? MODEL_NET_GENEVE : MODEL_NET_VXLAN);
        int64_t id = (kind == MODEL_NET_VLAN
                      ? (n->n_vlan ? n->vlan[0] : 0)
                      : (n->n_vni ? n->vni[0] : 0));
        struct model_network *mn = model_add_network(m, n->name, kind, id,
                                                     &error);
        if (!mn) {
            SKIP("skipping network: %s", error);
            continue;
        }
    }
    NBREC_SUBNET_FOR_EACH (s, idl) {
        struct model_network *mn = model_find_network(m, s->network->name);
        struct model_subnet *ms;

        if (!mn) {
            SKIP("skipping subnet %s: its network was skipped", s->name);
            continue;
        }
        ms = model_add_subnet(m, mn, s->name, s->cidr, s->gateway_ip,
                              s->gateway_mac, &error);
        if (!ms) {
            SKIP("skipping subnet: %s", error);
            continue;
        }
        if (s->cidr6 && s->gateway_ip6
            && model_subnet_set_ipv6(ms, s->cidr6, s->gateway_ip6, &error)) {
            /* The subnet is still good for IPv4. */
            SKIP("skipping IPv6 of subnet %s: %s", s->name, error);
        }
    }
    NBREC_PORT_FOR_EACH (p, idl) {
        struct model_subnet *ms = model_find_subnet(m, p->subnet->name);
        struct model_host *home = (p->home
                                   ? model_find_host(m, p->home->name)
                                   : NULL);
        const char **ips;
        struct model_port *mp;

        if (!ms) {
            SKIP("skipping port %s: its subnet was skipped", p->name);
            continue;
        }
        ips = xmalloc((p->n_ipv4 + p->n_ipv6 + 1) * sizeof *ips);
        for (size_t i = 0; i < p->n_ipv4; i++) {
            ips[i] = p->ipv4[i];
        }
        for (size_t i = 0; i < p->n_ipv6; i++) {
            ips[p->n_ipv4 + i] = p->ipv6[i];
        }
        mp = model_add_port(m, ms, p->name, p->tunnel_key, p->mac, ips,
                            p->n_ipv4 + p->n_ipv6, home, &error);
        free(ips);
        if (!mp) {
            SKIP("skipping port: %s", error);
            continue;
        }
    }
    NBREC_EIP_FOR_EACH (e, idl) {
        struct model_network *mn = (e->network
                                    ? model_find_network(m, e->network->name)
                                    : NULL);
        struct model_port *mp = (e->port
                                 ? model_find_port(m, e->port->name)
                                 : NULL);

        if (!mn) {
            SKIP("skipping elastic IP %s: no usable network", e->address);
            continue;
        }
        if (!model_add_eip(m, mn, e->address, e->mac, mp, e->private_ip,
                           &error)) {
            SKIP("skipping elastic IP: %s", error);
        }
    }
#undef SKIP

    return skipped;
}
