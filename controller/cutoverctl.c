/* cutoverctl: the operators' command line for cutover's northbound
 * database (hosts, networks, subnets, ports, elastic IPs, migrations),
 * built on Open vSwitch's db-ctl-base as ovs-vsctl and ovn-nbctl are.
 *
 * Each run connects to the database through the OVSDB IDL, waits for its
 * contents, runs its commands (several, separated by "--") in one
 * transaction and commits it (retrying from the start if another client
 * changed the database meanwhile).  Besides cutover's own commands below,
 * db-ctl-base gives the generic ones on every table (list, get, set, add,
 * remove, clear, find, create, destroy, wait-until).  Every command of ours
 * checks what it is about to write against the rest of the database first
 * (duplicate names, MACs and addresses, overlapping subnets, an address
 * outside its subnet, an elastic IP on two ports...) and refuses with a
 * message that says what is wrong: nothing of the whole transaction is
 * written then. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "cli.h"
#include "command-line.h"
#include "db-ctl-base.h"
#include "fatal-signal.h"
#include "lib/cutover-nb-idl.h"
#include "nb-check.h"
#include "nb-rules.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-data.h"
#include "ovsdb-idl.h"
#include "packets.h"
#include "process.h"
#include "stream-ssl.h"
#include "table.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(cutoverctl);

#define DEFAULT_DB "unix:/var/run/cutover/nb.sock"

/* Command-line options. */
static const char *db;
static int timeout_sec = 10;
static bool wait_hv;            /* --wait=hv: until every host has it. */
static struct table_style table_style = {
    TF_TABLE, CF_STRING, true, JSSF_SORT, 0
};

/* Sets 'error' (to free; NULL: no error) as the command's error, unless
 * it has one already.  Returns true if it was an error. */
static bool
check_error(struct ctl_context *ctx, char *error)
{
    if (error) {
        if (!ctx->error) {
            ctx->error = error;
        } else {
            free(error);
        }
        return true;
    }
    return false;
}

/* Whether the command was given option 'name' ("--may-exist"...). */
static bool
has_option(const struct ctl_context *ctx, const char *name)
{
    return shash_find(&ctx->options, name) != NULL;
}

/* KEY=VALUE arguments. */

struct kv {
    const char *key;
    bool repeatable;
    const char **values;
    size_t n_values;
};

/* Parses ctx->argv[first..] (argv[0] is the command's name) as KEY=VALUE pairs whose keys are in 'kvs'.
 * Returns false (with an error) on an unknown key, a missing '=' or a
 * repeated key that is not repeatable. */
static bool
parse_kvs(struct ctl_context *ctx, int first, struct kv *kvs, size_t n_kvs)
{
    for (int i = first; i < ctx->argc; i++) {
        const char *arg = ctx->argv[i];
        const char *eq = strchr(arg, '=');
        struct kv *kv = NULL;

        if (!eq || eq == arg) {
            ctl_error(ctx, "'%s' is not KEY=VALUE", arg);
            return false;
        }
        for (size_t k = 0; k < n_kvs; k++) {
            if (strlen(kvs[k].key) == eq - arg
                && !strncmp(kvs[k].key, arg, eq - arg)) {
                kv = &kvs[k];
            }
        }
        if (!kv) {
            struct ds keys = DS_EMPTY_INITIALIZER;

            for (size_t k = 0; k < n_kvs; k++) {
                ds_put_format(&keys, "%s%s", k ? ", " : "", kvs[k].key);
            }
            ctl_error(ctx, "unknown option '%.*s' (expected %s)",
                      (int) (eq - arg), arg,
                      n_kvs ? ds_cstr(&keys) : "none");
            ds_destroy(&keys);
            return false;
        }
        if (kv->n_values && !kv->repeatable) {
            ctl_error(ctx, "option '%s' given twice", kv->key);
            return false;
        }
        kv->values = xrealloc(kv->values,
                              (kv->n_values + 1) * sizeof *kv->values);
        kv->values[kv->n_values++] = eq + 1;
    }
    return true;
}

static const char *
kv_get(const struct kv *kv)
{
    return kv->n_values ? kv->values[0] : NULL;
}

static void
kvs_destroy(struct kv *kvs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kvs[i].values);
    }
}

/* Lookups. */

/* The IDL's indexes of the tables' names, made with the IDL (main()).  An
 * index follows the transaction's own writes too: a row a command inserted
 * is found by the next command of the same transaction. */
static struct ovsdb_idl_index *host_by_name;
static struct ovsdb_idl_index *network_by_name;
static struct ovsdb_idl_index *subnet_by_name;
static struct ovsdb_idl_index *port_by_name;

static void
create_indexes(struct ovsdb_idl *idl)
{
    host_by_name = ovsdb_idl_index_create1(idl, &nbrec_host_col_name);
    network_by_name = ovsdb_idl_index_create1(idl, &nbrec_network_col_name);
    subnet_by_name = ovsdb_idl_index_create1(idl, &nbrec_subnet_col_name);
    port_by_name = ovsdb_idl_index_create1(idl, &nbrec_port_col_name);
}

/* KIND_find(ctx, name): the row of table TYPE named 'name', or NULL,
 * through the index KIND_by_name. */
#define DEFINE_FIND(KIND, TYPE)                                         \
    static const struct nbrec_##TYPE *                                  \
    KIND##_find(struct ctl_context *ctx OVS_UNUSED, const char *name)   \
    {                                                                   \
        struct nbrec_##TYPE *key                                        \
            = nbrec_##TYPE##_index_init_row(KIND##_by_name);            \
        const struct nbrec_##TYPE *row;                                 \
                                                                        \
        nbrec_##TYPE##_index_set_name(key, name);                       \
        row = nbrec_##TYPE##_index_find(KIND##_by_name, key);           \
        nbrec_##TYPE##_index_destroy_row(key);                          \
        return row;                                                     \
    }
DEFINE_FIND(host, host)
DEFINE_FIND(network, network)
DEFINE_FIND(subnet, subnet)
DEFINE_FIND(port, port)

static const struct nbrec_eip *
eip_find(struct ctl_context *ctx, const char *address)
{
    const struct nbrec_eip *e;

    NBREC_EIP_FOR_EACH (e, ctx->idl) {
        if (nb_ip_equal(e->address, address)) {
            return e;
        }
    }
    return NULL;
}

/* The "must exist" forms set an error naming what is missing. */
#define DEFINE_MUST_FIND(KIND, TYPE, WHAT)                              \
    static const struct nbrec_##TYPE *                                  \
    KIND##_must_find(struct ctl_context *ctx, const char *name)             \
    {                                                                   \
        const struct nbrec_##TYPE *row = KIND##_find(ctx, name);        \
        if (!row) {                                                     \
            ctl_error(ctx, "no " WHAT " named '%s'", name);             \
        }                                                               \
        return row;                                                     \
    }
DEFINE_MUST_FIND(host, host, "host")
DEFINE_MUST_FIND(network, network, "network")
DEFINE_MUST_FIND(subnet, subnet, "subnet")
DEFINE_MUST_FIND(port, port, "port")

/* Output helpers. */

/* A new table for the command's output, printed once the transaction is
 * committed. */
static struct table *
new_table(struct ctl_context *ctx)
{
    ctx->table = xmalloc(sizeof *ctx->table);
    table_init(ctx->table);
    return ctx->table;
}

static void
table_cell(struct table *t, const char *format, ...) OVS_PRINTF_FORMAT(2, 3);

static void
table_cell(struct table *t, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    table_add_cell(t)->text = xvasprintf(format, args);
    va_end(args);
}

static const char *
opt_string(const char *s)
{
    return s ? s : "-";
}

static char *
join_strings(char **strings, size_t n)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < n; i++) {
        ds_put_format(&s, "%s%s", i ? "," : "", strings[i]);
    }
    return n ? ds_steal_cstr(&s) : xstrdup("-");
}

/* Sorting rows by name for stable output. */
#define DEFINE_SORTED(TYPE, FIELD)                                      \
    static int                                                          \
    compare_##TYPE(const void *a_, const void *b_)                      \
    {                                                                   \
        const struct nbrec_##TYPE *const *a = a_;                       \
        const struct nbrec_##TYPE *const *b = b_;                       \
        return strcmp((*a)->FIELD, (*b)->FIELD);                        \
    }                                                                   \
                                                                        \
    static const struct nbrec_##TYPE **                                 \
    sorted_##TYPE(struct ctl_context *ctx, size_t *n)                       \
    {                                                                   \
        const struct nbrec_##TYPE **rows = NULL;                        \
        const struct nbrec_##TYPE *row;                                 \
        size_t allocated = 0;                                           \
                                                                        \
        *n = 0;                                                         \
        NBREC_##FOR_EACH_##TYPE(row, ctx->idl) {                        \
            if (*n >= allocated) {                                      \
                rows = x2nrealloc(rows, &allocated, sizeof *rows);      \
            }                                                           \
            rows[(*n)++] = row;                                         \
        }                                                               \
        if (*n) {                                                       \
            qsort(rows, *n, sizeof *rows, compare_##TYPE);              \
        }                                                               \
        return rows;                                                    \
    }
#define NBREC_FOR_EACH_host NBREC_HOST_FOR_EACH
#define NBREC_FOR_EACH_network NBREC_NETWORK_FOR_EACH
#define NBREC_FOR_EACH_subnet NBREC_SUBNET_FOR_EACH
#define NBREC_FOR_EACH_port NBREC_PORT_FOR_EACH
#define NBREC_FOR_EACH_eip NBREC_EIP_FOR_EACH
DEFINE_SORTED(host, name)
DEFINE_SORTED(network, name)
DEFINE_SORTED(subnet, name)
DEFINE_SORTED(port, name)
DEFINE_SORTED(eip, address)

/* Adds 'name' to the comma-separated list 'users'. */
static void
users_add(struct ds *users, const char *name)
{
    ds_put_format(users, "%s%s", users->length ? ", " : "", name);
}

/* If 'users' names anything, refuses with "KIND NAME RELATION USERS:
 * REMEDY" (e.g. "subnet web still has port(s) vm1, vm2: delete them
 * first") and returns true.  Frees 'users' either way. */
static bool
refuse_if_used(struct ctl_context *ctx, struct ds *users, const char *kind,
               const char *name, const char *relation, const char *remedy)
{
    bool used = users->length > 0;

    if (used) {
        ctl_error(ctx, "%s %s %s %s: %s", kind, name, relation,
                  ds_cstr(users), remedy);
    }
    ds_destroy(users);
    return used;
}

/* Hosts. */

/* The controller connects to a host's switch (an active target) or listens
 * for it (a passive one): nb_openflow_bridge_target() says whether it can
 * and what the bridge's side is then. */
static char *
check_openflow_target(const char *target)
{
    char *bridge;
    char *error = nb_openflow_bridge_target(target, &bridge);

    free(bridge);
    return error;
}

static void
cmd_host_add(struct ctl_context *ctx)
{
    struct kv kvs[] = {
        { .key = "dpid" }, { .key = "openflow" }, { .key = "ovsdb" },
        { .key = "provider-mac" }, { .key = "agent" },
    };
    const char *name = ctx->argv[1], *ip = ctx->argv[2];
    const char *dpid, *openflow, *ovsdb, *mac, *agent;
    const struct nbrec_host *h;
    struct nbrec_host *row;

    if (has_option(ctx, "--may-exist") && host_find(ctx, ctx->argv[1])) {
        return;                 /* There already: nothing to do. */
    }

    if (!parse_kvs(ctx, 3, kvs, ARRAY_SIZE(kvs))) {
        goto out;
    }
    dpid = kv_get(&kvs[0]);
    openflow = kv_get(&kvs[1]);
    ovsdb = kv_get(&kvs[2]);
    mac = kv_get(&kvs[3]);
    agent = kv_get(&kvs[4]);
    if (check_error(ctx, nb_check_name("host", name))
        || check_error(ctx, nb_check_ipv4("tunnel IP", ip, NULL))
        || (dpid && check_error(ctx, nb_check_datapath_id(dpid)))
        || (openflow && check_error(ctx, nb_check_target("openflow", openflow)))
        || (openflow && check_error(ctx, check_openflow_target(openflow)))
        || (ovsdb && check_error(ctx, nb_check_target("ovsdb", ovsdb)))
        || (mac && check_error(ctx, nb_check_mac("provider-mac", mac)))
        || (agent && check_error(ctx, nb_check_agent(agent)))) {
        goto out;
    }
    NBREC_HOST_FOR_EACH (h, ctx->idl) {
        if (!strcmp(h->name, name)) {
            ctl_error(ctx, "host %s exists already", name);
        } else if (nb_ip_equal(h->tunnel_ip, ip)) {
            ctl_error(ctx, "tunnel IP %s is host %s's already", ip, h->name);
        } else if (dpid && h->datapath_id
                   && !strcasecmp(h->datapath_id, dpid)) {
            ctl_error(ctx, "datapath id %s is host %s's already", dpid,
                      h->name);
        } else if (openflow && h->openflow_target
                   && nb_openflow_is_passive(openflow)
                   && !strcmp(h->openflow_target, openflow)) {
            /* The controller listens there for one switch only. */
            ctl_error(ctx, "OpenFlow target %s is host %s's already: the "
                      "controller listens there for that host's switch",
                      openflow, h->name);
        }
    }
    if (ctx->error) {
        goto out;
    }

    row = nbrec_host_insert(ctx->txn);
    nbrec_host_set_name(row, name);
    nbrec_host_set_tunnel_ip(row, ip);
    nbrec_host_set_datapath_id(row, dpid);
    nbrec_host_set_openflow_target(row, openflow);
    nbrec_host_set_ovsdb_target(row, ovsdb);
    nbrec_host_set_provider_mac(row, mac);
    nbrec_host_set_agent(row, agent);
out:
    kvs_destroy(kvs, ARRAY_SIZE(kvs));
}

static void
cmd_host_del(struct ctl_context *ctx)
{
    const struct nbrec_host *h = (has_option(ctx, "--if-exists")
        ? host_find : host_must_find)(ctx, ctx->argv[1]);
    const struct nbrec_migration *m;
    const struct nbrec_port *p;
    struct ds users = DS_EMPTY_INITIALIZER;

    if (!h) {
        return;
    }
    NBREC_PORT_FOR_EACH (p, ctx->idl) {
        if (p->home == h) {
            users_add(&users, p->name);
        }
    }
    if (refuse_if_used(ctx, &users, "host", h->name,
                       "is still home to port(s)",
                       "move or delete them first")) {
        return;
    }
    NBREC_MIGRATION_FOR_EACH (m, ctx->idl) {
        if ((m->source == h || m->destination == h)
            && !nb_migration_is_finished(m->state)) {
            ctl_error(ctx, "host %s takes part in the migration of port %s "
                      "(state %s): finish or abort it first", h->name,
                      m->port->name, m->state);
            return;
        }
    }
    /* The finished migrations it took part in refer to it (strongly): they
     * go with it. */
    NBREC_MIGRATION_FOR_EACH (m, ctx->idl) {
        if (m->source == h || m->destination == h) {
            nbrec_migration_delete(m);
        }
    }
    nbrec_host_delete(h);
}

static void
cmd_host_list(struct ctl_context *ctx)
{
    struct table *t = new_table(ctx);
    size_t n;
    const struct nbrec_host **rows = sorted_host(ctx, &n);

    table_add_column(t, "NAME");
    table_add_column(t, "TUNNEL_IP");
    table_add_column(t, "DATAPATH_ID");
    table_add_column(t, "OPENFLOW");
    table_add_column(t, "OVSDB");
    table_add_column(t, "PROVIDER_MAC");
    table_add_column(t, "AGENT");
    for (size_t i = 0; i < n; i++) {
        const struct nbrec_host *h = rows[i];

        table_add_row(t);
        table_cell(t, "%s", h->name);
        table_cell(t, "%s", h->tunnel_ip);
        table_cell(t, "%s", opt_string(h->datapath_id));
        table_cell(t, "%s", opt_string(h->openflow_target));
        table_cell(t, "%s", opt_string(h->ovsdb_target));
        table_cell(t, "%s", opt_string(h->provider_mac));
        table_cell(t, "%s", opt_string(h->agent));
    }
    free(rows);
}

/* Networks. */

static void
cmd_net_add(struct ctl_context *ctx)
{
    const char *name = ctx->argv[1], *kind = ctx->argv[2];
    const char *id = ctx->argv[3];
    bool overlay = strcmp(kind, "vlan") != 0;
    const struct nbrec_network *n;
    struct nbrec_network *row;
    int64_t value;
    char *end;

    if (has_option(ctx, "--may-exist") && network_find(ctx, ctx->argv[1])) {
        return;                 /* There already: nothing to do. */
    }

    if (check_error(ctx, nb_check_name("network", name))) {
        return;
    }
    errno = 0;
    value = strtoll(id, &end, 10);
    if (!*id || *end || errno) {
        ctl_error(ctx, "%s '%s' is not a number", overlay ? "VNI" : "VLAN id",
                  id);
        return;
    }
    if (check_error(ctx, nb_check_network(kind, overlay ? value : -1,
                                        overlay ? -1 : value))) {
        return;
    }
    NBREC_NETWORK_FOR_EACH (n, ctx->idl) {
        bool n_overlay = strcmp(n->kind, "vlan") != 0;

        if (!strcmp(n->name, name)) {
            ctl_error(ctx, "network %s exists already", name);
        } else if (overlay && n_overlay && n->n_vni && n->vni[0] == value) {
            ctl_error(ctx, "VNI %"PRId64" is network %s's already", value,
                      n->name);
        } else if (!overlay && !n_overlay && n->n_vlan
                   && n->vlan[0] == value) {
            ctl_error(ctx, "VLAN %"PRId64" is network %s's already", value,
                      n->name);
        }
    }
    if (ctx->error) {
        return;
    }
    row = nbrec_network_insert(ctx->txn);
    nbrec_network_set_name(row, name);
    nbrec_network_set_kind(row, kind);
    if (overlay) {
        nbrec_network_set_vni(row, &value, 1);
    } else {
        nbrec_network_set_vlan(row, &value, 1);
    }
}

static void
cmd_net_del(struct ctl_context *ctx)
{
    const struct nbrec_network *n = (has_option(ctx, "--if-exists")
        ? network_find : network_must_find)(ctx, ctx->argv[1]);
    const struct nbrec_subnet *s;
    const struct nbrec_eip *e;
    struct ds users = DS_EMPTY_INITIALIZER;

    if (!n) {
        return;
    }
    NBREC_SUBNET_FOR_EACH (s, ctx->idl) {
        if (s->network == n) {
            users_add(&users, s->name);
        }
    }
    if (refuse_if_used(ctx, &users, "network", n->name,
                       "still has subnet(s)", "delete them first")) {
        return;
    }
    NBREC_EIP_FOR_EACH (e, ctx->idl) {
        if (e->network == n) {
            ctl_error(ctx, "network %s still carries elastic IP %s: delete "
                      "it first", n->name, e->address);
            return;
        }
    }
    nbrec_network_delete(n);
}

static void
cmd_net_list(struct ctl_context *ctx)
{
    struct table *t = new_table(ctx);
    size_t n;
    const struct nbrec_network **rows = sorted_network(ctx, &n);

    table_add_column(t, "NAME");
    table_add_column(t, "KIND");
    table_add_column(t, "ID");
    for (size_t i = 0; i < n; i++) {
        const struct nbrec_network *net = rows[i];

        table_add_row(t);
        table_cell(t, "%s", net->name);
        table_cell(t, "%s", net->kind);
        if (net->n_vni) {
            table_cell(t, "vni %"PRId64, net->vni[0]);
        } else if (net->n_vlan) {
            table_cell(t, "vlan %"PRId64, net->vlan[0]);
        } else {
            table_cell(t, "-");
        }
    }
    free(rows);
}

/* Subnets. */

static void
cmd_subnet_add(struct ctl_context *ctx)
{
    struct kv kvs[] = { { .key = "cidr6" }, { .key = "gateway6" } };
    const char *net_name = ctx->argv[1], *name = ctx->argv[2];
    const char *cidr = ctx->argv[3], *gw = ctx->argv[4];
    const char *gw_mac = ctx->argv[5];
    const char *cidr6, *gw6;
    const struct nbrec_network *net;
    const struct nbrec_subnet *s;
    struct nbrec_subnet *row;

    if (has_option(ctx, "--may-exist") && subnet_find(ctx, ctx->argv[2])) {
        return;                 /* There already: nothing to do. */
    }

    if (!parse_kvs(ctx, 6, kvs, ARRAY_SIZE(kvs))) {
        goto out;
    }
    cidr6 = kv_get(&kvs[0]);
    gw6 = kv_get(&kvs[1]);
    net = network_must_find(ctx, net_name);
    if (!net || check_error(ctx, nb_check_name("subnet", name))
        || check_error(ctx, nb_check_subnet(cidr, gw, gw_mac, cidr6, gw6))) {
        goto out;
    }
    NBREC_SUBNET_FOR_EACH (s, ctx->idl) {
        if (!strcmp(s->name, name)) {
            ctl_error(ctx, "subnet %s exists already", name);
            goto out;
        }
    }
    check_error(ctx, nb_rules_subnet_overlap(ctx->idl, net, cidr, cidr6,
                                             NULL));
    if (ctx->error) {
        goto out;
    }
    row = nbrec_subnet_insert(ctx->txn);
    nbrec_subnet_set_name(row, name);
    nbrec_subnet_set_network(row, net);
    nbrec_subnet_set_cidr(row, cidr);
    nbrec_subnet_set_gateway_ip(row, gw);
    nbrec_subnet_set_gateway_mac(row, gw_mac);
    nbrec_subnet_set_cidr6(row, cidr6);
    nbrec_subnet_set_gateway_ip6(row, gw6);
out:
    kvs_destroy(kvs, ARRAY_SIZE(kvs));
}

static void
cmd_subnet_del(struct ctl_context *ctx)
{
    const struct nbrec_subnet *s = (has_option(ctx, "--if-exists")
        ? subnet_find : subnet_must_find)(ctx, ctx->argv[1]);
    const struct nbrec_port *p;
    struct ds users = DS_EMPTY_INITIALIZER;

    if (!s) {
        return;
    }
    NBREC_PORT_FOR_EACH (p, ctx->idl) {
        if (p->subnet == s) {
            users_add(&users, p->name);
        }
    }
    if (refuse_if_used(ctx, &users, "subnet", s->name,
                       "still has port(s)", "delete them first")) {
        return;
    }
    nbrec_subnet_delete(s);
}

static void
cmd_subnet_list(struct ctl_context *ctx)
{
    const struct nbrec_network *net = NULL;
    struct table *t = new_table(ctx);
    size_t n;
    const struct nbrec_subnet **rows;

    if (ctx->argc > 1 && !(net = network_must_find(ctx, ctx->argv[1]))) {
        return;
    }
    rows = sorted_subnet(ctx, &n);
    table_add_column(t, "NAME");
    table_add_column(t, "NETWORK");
    table_add_column(t, "CIDR");
    table_add_column(t, "GATEWAY");
    table_add_column(t, "GATEWAY_MAC");
    table_add_column(t, "CIDR6");
    table_add_column(t, "GATEWAY6");
    for (size_t i = 0; i < n; i++) {
        const struct nbrec_subnet *s = rows[i];

        if (net && s->network != net) {
            continue;
        }
        table_add_row(t);
        table_cell(t, "%s", s->name);
        table_cell(t, "%s", s->network->name);
        table_cell(t, "%s", s->cidr);
        table_cell(t, "%s", s->gateway_ip);
        table_cell(t, "%s", s->gateway_mac);
        table_cell(t, "%s", opt_string(s->cidr6));
        table_cell(t, "%s", opt_string(s->gateway_ip6));
    }
    free(rows);
}

/* Ports. */

/* Returns the lowest tunnel key no port has.  Keys identify a port in the
 * pipeline (registers, flow cookies) on every host, so they must be unique
 * and stable: the database's index on tunnel_key makes them unique even
 * between concurrent writers. */
static int64_t
port_allocate_key(struct ctl_context *ctx)
{
    const struct nbrec_port *p;
    unsigned long *used;
    size_t n = 0;
    int64_t key;

    NBREC_PORT_FOR_EACH (p, ctx->idl) {
        n++;
    }
    used = bitmap_allocate(n + 2);
    NBREC_PORT_FOR_EACH (p, ctx->idl) {
        if (p->tunnel_key >= 1 && p->tunnel_key <= n + 1) {
            bitmap_set1(used, p->tunnel_key);
        }
    }
    for (key = 1; key <= n + 1 && bitmap_is_set(used, key); key++) {
        continue;
    }
    free(used);
    return key;
}

static void
cmd_port_add(struct ctl_context *ctx)
{
    struct kv kvs[] = {
        { .key = "ip", .repeatable = true }, { .key = "home" },
    };
    const char *name = ctx->argv[1], *mac = ctx->argv[3];
    const struct nbrec_subnet *s;
    const struct nbrec_host *home = NULL;
    struct nbrec_port *row;
    const char **v4 = NULL, **v6 = NULL;
    size_t n4 = 0, n6 = 0;

    if (has_option(ctx, "--may-exist") && port_find(ctx, ctx->argv[1])) {
        return;                 /* There already: nothing to do. */
    }

    if (!parse_kvs(ctx, 4, kvs, ARRAY_SIZE(kvs))
        || check_error(ctx, nb_check_port_name(name))) {
        goto out;
    }
    if (port_find(ctx, name)) {
        ctl_error(ctx, "port %s exists already", name);
        goto out;
    }
    s = subnet_must_find(ctx, ctx->argv[2]);
    if (!s || check_error(ctx, nb_check_mac("port MAC", mac))) {
        goto out;
    }
    if (check_error(ctx, nb_rules_mac(ctx->idl, mac, NULL))) {
        goto out;
    }
    if (kv_get(&kvs[1]) && !(home = host_must_find(ctx, kv_get(&kvs[1])))) {
        goto out;
    }

    v4 = xmalloc((kvs[0].n_values + 1) * sizeof *v4);
    v6 = xmalloc((kvs[0].n_values + 1) * sizeof *v6);
    for (size_t i = 0; i < kvs[0].n_values; i++) {
        const char *ip = kvs[0].values[i];

        for (size_t k = 0; k < i; k++) {
            if (nb_ip_equal(ip, kvs[0].values[k])) {
                ctl_error(ctx, "address %s given twice", ip);
                goto out;
            }
        }
        if (check_error(ctx, nb_rules_port_ip(ctx->idl, s, ip, NULL))) {
            goto out;
        }
        if (strchr(ip, ':')) {
            v6[n6++] = ip;
        } else {
            v4[n4++] = ip;
        }
    }

    row = nbrec_port_insert(ctx->txn);
    nbrec_port_set_name(row, name);
    nbrec_port_set_tunnel_key(row, port_allocate_key(ctx));
    nbrec_port_set_subnet(row, s);
    nbrec_port_set_mac(row, mac);
    nbrec_port_set_ipv4(row, v4, n4);
    nbrec_port_set_ipv6(row, v6, n6);
    nbrec_port_set_home(row, home);
    nbrec_port_set_status(row, "down");
out:
    free(v4);
    free(v6);
    kvs_destroy(kvs, ARRAY_SIZE(kvs));
}

/* Refuses, with 'remedy', if port 'p' has an unfinished migration (one
 * at most, normally), and returns true.  Finished ones are history: they
 * block nothing. */
static bool
refuse_if_migrating(struct ctl_context *ctx, const struct nbrec_port *p,
                    const char *remedy)
{
    const struct nbrec_migration *m;

    NBREC_MIGRATION_FOR_EACH (m, ctx->idl) {
        if (m->port == p && !nb_migration_is_finished(m->state)) {
            ctl_error(ctx, "port %s is migrating (state %s): %s", p->name,
                      m->state, remedy);
            return true;
        }
    }
    return false;
}

static void
cmd_port_del(struct ctl_context *ctx)
{
    const struct nbrec_port *p = (has_option(ctx, "--if-exists")
        ? port_find : port_must_find)(ctx, ctx->argv[1]);
    const struct nbrec_migration *m;

    if (!p || refuse_if_migrating(ctx, p, "finish or abort it first")) {
        return;
    }
    /* Its finished migrations refer to it (strongly): they go with it. */
    NBREC_MIGRATION_FOR_EACH (m, ctx->idl) {
        if (m->port == p) {
            nbrec_migration_delete(m);
        }
    }
    /* Elastic IPs refer to ports weakly: they simply lose their port. */
    nbrec_port_delete(p);
}

static void
cmd_port_set_home(struct ctl_context *ctx)
{
    const struct nbrec_port *p = port_must_find(ctx, ctx->argv[1]);
    const struct nbrec_host *h = NULL;

    if (!p) {
        return;
    }
    if (strcmp(ctx->argv[2], "-") && !(h = host_must_find(ctx,
                                                          ctx->argv[2]))) {
        return;
    }
    if (refuse_if_migrating(ctx, p, "its home changes when the migration "
                            "completes")) {
        return;
    }
    nbrec_port_set_home(p, h);
}

static void
cmd_port_list(struct ctl_context *ctx)
{
    struct table *t = new_table(ctx);
    size_t n;
    const struct nbrec_port **rows = sorted_port(ctx, &n);

    table_add_column(t, "NAME");
    table_add_column(t, "KEY");
    table_add_column(t, "NETWORK");
    table_add_column(t, "SUBNET");
    table_add_column(t, "MAC");
    table_add_column(t, "IPV4");
    table_add_column(t, "IPV6");
    table_add_column(t, "HOME");
    table_add_column(t, "STATUS");
    for (size_t i = 0; i < n; i++) {
        const struct nbrec_port *p = rows[i];

        table_add_row(t);
        table_cell(t, "%s", p->name);
        table_cell(t, "%"PRId64, p->tunnel_key);
        table_cell(t, "%s", p->subnet->network->name);
        table_cell(t, "%s", p->subnet->name);
        table_cell(t, "%s", p->mac);
        table_add_cell(t)->text = join_strings(p->ipv4, p->n_ipv4);
        table_add_cell(t)->text = join_strings(p->ipv6, p->n_ipv6);
        table_cell(t, "%s", p->home ? p->home->name : "-");
        table_cell(t, "%s", opt_string(p->status));
    }
    free(rows);
}

/* Elastic IPs. */

static void
cmd_eip_add(struct ctl_context *ctx)
{
    struct kv kvs[] = { { .key = "port" }, { .key = "private-ip" } };
    const char *address = ctx->argv[1], *mac = ctx->argv[2];
    const struct nbrec_network *net;
    const struct nbrec_port *port = NULL;
    const struct nbrec_subnet *s;
    const char *private_ip = NULL;
    struct nbrec_eip *row;
    ovs_be32 addr;
    bool fits = false, has_subnet = false;

    if (has_option(ctx, "--may-exist") && eip_find(ctx, ctx->argv[1])) {
        return;                 /* There already: nothing to do. */
    }

    if (!parse_kvs(ctx, 4, kvs, ARRAY_SIZE(kvs))
        || check_error(ctx, nb_check_ipv4("elastic IP", address, &addr))
        || check_error(ctx, nb_check_mac("elastic IP MAC", mac))) {
        goto out;
    }
    if (eip_find(ctx, address)) {
        ctl_error(ctx, "elastic IP %s exists already", address);
        goto out;
    }
    net = network_must_find(ctx, ctx->argv[3]);
    if (!net) {
        goto out;
    }
    if (strcmp(net->kind, "vlan")) {
        ctl_error(ctx, "elastic IPs live on a provider (vlan) network, and "
                  "%s is a %s overlay", net->name, net->kind);
        goto out;
    }
    NBREC_SUBNET_FOR_EACH (s, ctx->idl) {
        struct nb_cidr4 c4;

        if (s->network == net && !nb_check_cidr4(s->cidr, &c4)) {
            has_subnet = true;
            if (nb_cidr4_contains(&c4, addr)) {
                fits = true;
                if (nb_ip_equal(s->gateway_ip, address)) {
                    ctl_error(ctx, "elastic IP %s is subnet %s's gateway",
                              address, s->name);
                    goto out;
                }
            }
        }
    }
    if (has_subnet && !fits) {
        ctl_error(ctx, "elastic IP %s is outside every subnet of network %s",
                  address, net->name);
        goto out;
    }
    if (check_error(ctx, nb_rules_mac(ctx->idl, mac, NULL))) {
        goto out;
    }
    if (kv_get(&kvs[0])) {
        port = port_must_find(ctx, kv_get(&kvs[0]));
        if (!port
            || check_error(ctx, nb_rules_eip(ctx->idl, NULL, address, port,
                                             kv_get(&kvs[1]), &private_ip))) {
            goto out;
        }
    } else if (kv_get(&kvs[1])) {
        ctl_error(ctx, "private-ip needs port");
        goto out;
    }

    row = nbrec_eip_insert(ctx->txn);
    nbrec_eip_set_address(row, address);
    nbrec_eip_set_mac(row, mac);
    nbrec_eip_set_network(row, net);
    nbrec_eip_set_port(row, port);
    nbrec_eip_set_private_ip(row, kv_get(&kvs[1]) ? private_ip : NULL);
out:
    kvs_destroy(kvs, ARRAY_SIZE(kvs));
}

static const struct nbrec_eip *
eip_must_find(struct ctl_context *ctx, const char *address)
{
    const struct nbrec_eip *e = eip_find(ctx, address);

    if (!e) {
        ctl_error(ctx, "no elastic IP %s", address);
    }
    return e;
}

static void
cmd_eip_attach(struct ctl_context *ctx)
{
    struct kv kvs[] = { { .key = "private-ip" } };
    const struct nbrec_eip *e;
    const struct nbrec_port *port;
    const char *private_ip;

    if (!parse_kvs(ctx, 3, kvs, ARRAY_SIZE(kvs))
        || !(e = eip_must_find(ctx, ctx->argv[1]))
        || !(port = port_must_find(ctx, ctx->argv[2]))) {
        goto out;
    }
    if (e->port && e->port != port) {
        ctl_error(ctx, "elastic IP %s is on port %s: detach it first",
                  e->address, e->port->name);
        goto out;
    }
    if (check_error(ctx, nb_rules_eip(ctx->idl, e, e->address, port,
                                      kv_get(&kvs[0]), &private_ip))) {
        goto out;
    }
    nbrec_eip_set_port(e, port);
    nbrec_eip_set_private_ip(e, kv_get(&kvs[0]) ? private_ip : NULL);
out:
    kvs_destroy(kvs, ARRAY_SIZE(kvs));
}

static void
cmd_eip_detach(struct ctl_context *ctx)
{
    const struct nbrec_eip *e = eip_must_find(ctx, ctx->argv[1]);

    if (e) {
        nbrec_eip_set_port(e, NULL);
        nbrec_eip_set_private_ip(e, NULL);
    }
}

static void
cmd_eip_del(struct ctl_context *ctx)
{
    const struct nbrec_eip *e = (has_option(ctx, "--if-exists")
        ? eip_find : eip_must_find)(ctx, ctx->argv[1]);

    if (e) {
        nbrec_eip_delete(e);
    }
}

static void
cmd_eip_list(struct ctl_context *ctx)
{
    struct table *t = new_table(ctx);
    size_t n;
    const struct nbrec_eip **rows = sorted_eip(ctx, &n);

    table_add_column(t, "ADDRESS");
    table_add_column(t, "MAC");
    table_add_column(t, "NETWORK");
    table_add_column(t, "PORT");
    table_add_column(t, "PRIVATE_IP");
    for (size_t i = 0; i < n; i++) {
        const struct nbrec_eip *e = rows[i];
        const char *private_ip = e->private_ip;

        if (!private_ip && e->port && e->port->n_ipv4) {
            private_ip = e->port->ipv4[0];
        }
        table_add_row(t);
        table_cell(t, "%s", e->address);
        table_cell(t, "%s", e->mac);
        table_cell(t, "%s", e->network ? e->network->name : "-");
        table_cell(t, "%s", e->port ? e->port->name : "-");
        table_cell(t, "%s", opt_string(e->port ? private_ip : NULL));
    }
    free(rows);
}

/* Migrations. */

/* A Migration row with its age (nb-check.h). */
struct migration_row {
    struct nb_migration_age age;    /* First: sorted as such. */
    const struct nbrec_migration *m;
};

/* Returns the Migration rows (of port 'port' only, unless it is NULL) by
 * port, newest first, and stores their number in '*n'. */
static struct migration_row *
sorted_migrations(struct ctl_context *ctx, const struct nbrec_port *port,
                  size_t *n)
{
    struct migration_row *rows = NULL;
    const struct nbrec_migration *m;
    size_t allocated = 0;

    *n = 0;
    NBREC_MIGRATION_FOR_EACH (m, ctx->idl) {
        if (port && m->port != port) {
            continue;
        }
        if (*n >= allocated) {
            rows = x2nrealloc(rows, &allocated, sizeof *rows);
        }
        rows[(*n)++] = (struct migration_row) {
            .age = {
                .port = m->port->name,
                .finished = nb_migration_is_finished(m->state),
                .time = nb_migration_time(m->value_timestamps,
                                          m->n_timestamps),
                .uuid = m->header_.uuid,
            },
            .m = m,
        };
    }
    if (*n) {
        qsort(rows, *n, sizeof *rows, nb_migration_age_compare);
    }
    return rows;
}

static void
cmd_migration_list(struct ctl_context *ctx)
{
    size_t n;
    struct migration_row *rows = sorted_migrations(ctx, NULL, &n);
    struct table *t = new_table(ctx);

    table_add_column(t, "PORT");
    table_add_column(t, "SOURCE");
    table_add_column(t, "DESTINATION");
    table_add_column(t, "STATE");
    table_add_column(t, "ERROR");
    for (size_t i = 0; i < n; i++) {
        const struct nbrec_migration *m = rows[i].m;

        table_add_row(t);
        table_cell(t, "%s", m->port->name);
        table_cell(t, "%s", m->source->name);
        table_cell(t, "%s", m->destination->name);
        table_cell(t, "%s", m->state);
        table_cell(t, "%s", opt_string(m->error));
    }
    free(rows);
}

/* migration-purge [PORT] [--keep N]: deletes finished migrations, all or
 * PORT's, but each port's N newest. */
static void
cmd_migration_purge(struct ctl_context *ctx)
{
    const struct nbrec_port *port = NULL;
    const char *port_name = NULL;
    struct migration_row *rows;
    struct nb_migration_age *ages;
    int keep = 0;
    bool *purge;
    size_t n;

    for (int i = 1; i < ctx->argc; i++) {
        const char *arg = ctx->argv[i];
        const char *value = NULL;

        if (!strcmp(arg, "--keep")) {
            if (i + 1 >= ctx->argc) {
                ctl_error(ctx, "--keep needs a number of migrations");
                return;
            }
            value = ctx->argv[++i];
        } else if (!strncmp(arg, "--keep=", 7)) {
            value = arg + 7;
        } else if (arg[0] == '-') {
            ctl_error(ctx, "unknown option '%s' (expected --keep N)", arg);
            return;
        } else if (port_name) {
            ctl_error(ctx, "one port at most (got %s and %s)", port_name,
                      arg);
            return;
        } else {
            port_name = arg;
        }
        if (value && (!str_to_int(value, 10, &keep) || keep < 0)) {
            ctl_error(ctx, "--keep: '%s' is not a number of migrations",
                      value);
            return;
        }
    }
    if (port_name && !(port = port_must_find(ctx, port_name))) {
        return;
    }

    rows = sorted_migrations(ctx, port, &n);
    ages = xmalloc((n ? n : 1) * sizeof *ages);
    purge = xmalloc((n ? n : 1) * sizeof *purge);
    for (size_t i = 0; i < n; i++) {
        ages[i] = rows[i].age;
    }
    nb_migration_select_purge(ages, n, keep, purge);
    for (size_t i = 0; i < n; i++) {
        if (purge[i]) {
            nbrec_migration_delete(rows[i].m);
        }
    }
    free(purge);
    free(ages);
    free(rows);
}

/* show: everything as a tree. */

static void
cmd_show(struct ctl_context *ctx)
{
    size_t n_nets, n_subnets, n_ports, n_hosts, n_eips;
    const struct nbrec_network **nets = sorted_network(ctx, &n_nets);
    const struct nbrec_subnet **subnets = sorted_subnet(ctx, &n_subnets);
    const struct nbrec_port **ports = sorted_port(ctx, &n_ports);
    const struct nbrec_host **hosts = sorted_host(ctx, &n_hosts);
    const struct nbrec_eip **eips = sorted_eip(ctx, &n_eips);
    const struct nbrec_migration *m;
    struct ds s = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < n_hosts; i++) {
        const struct nbrec_host *h = hosts[i];

        ds_put_format(&s, "host %s (tunnel %s", h->name, h->tunnel_ip);
        if (h->datapath_id) {
            ds_put_format(&s, ", dpid %s", h->datapath_id);
        }
        ds_put_cstr(&s, ")\n");
    }
    for (size_t i = 0; i < n_nets; i++) {
        const struct nbrec_network *net = nets[i];

        if (net->n_vni) {
            ds_put_format(&s, "network %s (%s, vni %"PRId64")\n", net->name,
                          net->kind, net->vni[0]);
        } else {
            ds_put_format(&s, "network %s (vlan %"PRId64")\n", net->name,
                          net->n_vlan ? net->vlan[0] : 0);
        }
        for (size_t k = 0; k < n_subnets; k++) {
            const struct nbrec_subnet *sub = subnets[k];

            if (sub->network != net) {
                continue;
            }
            ds_put_format(&s, "    subnet %s %s gateway %s %s", sub->name,
                          sub->cidr, sub->gateway_ip, sub->gateway_mac);
            if (sub->cidr6) {
                ds_put_format(&s, ", %s gateway %s", sub->cidr6,
                              opt_string(sub->gateway_ip6));
            }
            ds_put_char(&s, '\n');
            for (size_t j = 0; j < n_ports; j++) {
                const struct nbrec_port *p = ports[j];
                char *v4, *v6;

                if (p->subnet != sub) {
                    continue;
                }
                v4 = join_strings(p->ipv4, p->n_ipv4);
                v6 = join_strings(p->ipv6, p->n_ipv6);
                ds_put_format(&s, "        port %s %s %s", p->name, p->mac,
                              v4);
                if (p->n_ipv6) {
                    ds_put_format(&s, " %s", v6);
                }
                ds_put_format(&s, " on %s (%s)\n",
                              p->home ? p->home->name : "no host",
                              opt_string(p->status));
                free(v4);
                free(v6);
            }
        }
    }
    for (size_t i = 0; i < n_eips; i++) {
        const struct nbrec_eip *e = eips[i];

        ds_put_format(&s, "elastic IP %s (%s on %s)", e->address, e->mac,
                      e->network ? e->network->name : "-");
        if (e->port) {
            ds_put_format(&s, " -> port %s %s", e->port->name,
                          e->private_ip ? e->private_ip
                          : e->port->n_ipv4 ? e->port->ipv4[0] : "-");
        }
        ds_put_char(&s, '\n');
    }
    NBREC_MIGRATION_FOR_EACH (m, ctx->idl) {
        ds_put_format(&s, "migration of %s: %s -> %s, %s\n", m->port->name,
                      m->source->name, m->destination->name, m->state);
    }
    ds_put_cstr(&ctx->output, ds_cstr(&s));
    ds_destroy(&s);
    free(nets);
    free(subnets);
    free(ports);
    free(hosts);
    free(eips);
}

/* cutover's own commands, with the help lines usage() prints.  The
 * generic ones come from db-ctl-base. */
struct command {
    struct ctl_command_syntax syntax;
    const char *help;
};

#define ADD_OPTIONS "--may-exist"
#define DEL_OPTIONS "--if-exists"
static const struct command commands[] = {
    { { "show", 0, 0, "", NULL, cmd_show, NULL, "", RO },
      "everything, as a tree" },
    { { "host-add", 2, 7,
        "NAME TUNNEL_IP [dpid=HEX16] [openflow=TARGET] [ovsdb=TARGET] "
        "[provider-mac=MAC] [agent=TARGET]",
        NULL, cmd_host_add, NULL, ADD_OPTIONS, RW },
      "add a hypervisor" },
    { { "host-del", 1, 1, "NAME", NULL, cmd_host_del, NULL, DEL_OPTIONS, RW },
      "remove a hypervisor" },
    { { "host-list", 0, 0, "", NULL, cmd_host_list, NULL, "", RO },
      "list hypervisors" },
    { { "net-add", 3, 3, "NAME vxlan|geneve|vlan VNI|VLAN", NULL,
        cmd_net_add, NULL, ADD_OPTIONS, RW },
      "add a network (a VPC or a provider VLAN)" },
    { { "net-del", 1, 1, "NAME", NULL, cmd_net_del, NULL, DEL_OPTIONS, RW },
      "remove a network" },
    { { "net-list", 0, 0, "", NULL, cmd_net_list, NULL, "", RO },
      "list networks" },
    { { "subnet-add", 5, 7,
        "NETWORK NAME CIDR GATEWAY_IP GATEWAY_MAC [cidr6=PREFIX] "
        "[gateway6=IP]", NULL, cmd_subnet_add, NULL, ADD_OPTIONS, RW },
      "add a subnet to a network" },
    { { "subnet-del", 1, 1, "NAME", NULL, cmd_subnet_del, NULL, DEL_OPTIONS,
        RW },
      "remove a subnet" },
    { { "subnet-list", 0, 1, "[NETWORK]", NULL, cmd_subnet_list, NULL, "",
        RO },
      "list subnets" },
    { { "port-add", 3, INT_MAX, "NAME SUBNET MAC [ip=ADDR]... [home=HOST]",
        NULL, cmd_port_add, NULL, ADD_OPTIONS, RW },
      "add a VM port (NAME is its iface-id)" },
    { { "port-del", 1, 1, "NAME", NULL, cmd_port_del, NULL, DEL_OPTIONS, RW },
      "remove a port" },
    { { "port-set-home", 2, 2, "NAME HOST|-", NULL, cmd_port_set_home, NULL,
        "", RW },
      "set the host a port lives on" },
    { { "port-list", 0, 0, "", NULL, cmd_port_list, NULL, "", RO },
      "list ports" },
    { { "eip-add", 3, 5, "ADDRESS MAC NETWORK [port=PORT] [private-ip=IP]",
        NULL, cmd_eip_add, NULL, ADD_OPTIONS, RW },
      "add an elastic IP on a provider network" },
    { { "eip-attach", 2, 3, "ADDRESS PORT [private-ip=IP]", NULL,
        cmd_eip_attach, NULL, "", RW },
      "map an elastic IP to a port" },
    { { "eip-detach", 1, 1, "ADDRESS", NULL, cmd_eip_detach, NULL, "", RW },
      "unmap an elastic IP" },
    { { "eip-del", 1, 1, "ADDRESS", NULL, cmd_eip_del, NULL, DEL_OPTIONS,
        RW },
      "remove an elastic IP" },
    { { "eip-list", 0, 0, "", NULL, cmd_eip_list, NULL, "", RO },
      "list elastic IPs" },
    { { "migration-list", 0, 0, "", NULL, cmd_migration_list, NULL, "", RO },
      "list migrations, by port, newest first" },
    { { "migration-purge", 0, 3, "[PORT] [--keep N]", NULL,
        cmd_migration_purge, NULL, "", RW },
      "delete finished migrations (all, or PORT's) but each port's N "
      "newest; never an unfinished one" },
};

/* How db-ctl-base names rows of each table in the generic commands
 * ("get Host h1 agent", "set Port vm1 home=..."): by name, an elastic IP by
 * its address; a migration by its UUID only. */
static const struct ctl_table_class tables[NBREC_N_TABLES] = {
    [NBREC_TABLE_HOST].row_ids = {{ &nbrec_host_col_name, NULL, NULL }},
    [NBREC_TABLE_NETWORK].row_ids = {{ &nbrec_network_col_name, NULL, NULL }},
    [NBREC_TABLE_SUBNET].row_ids = {{ &nbrec_subnet_col_name, NULL, NULL }},
    [NBREC_TABLE_PORT].row_ids = {{ &nbrec_port_col_name, NULL, NULL }},
    [NBREC_TABLE_EIP].row_ids = {{ &nbrec_eip_col_address, NULL, NULL }},
};

static void
usage(void)
{
    printf("\
%s: the command line for cutover's northbound database\n\
usage: %s [OPTIONS] COMMAND [ARG...] [-- [OPTIONS] COMMAND [ARG...]]...\n\
\n\
Several commands separated by '--' run in one transaction: all or none.\n\
\n\
Commands:\n", program_name, program_name);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct command *c = &commands[i];

        printf("  %s%s%s%s%s%s\n      %s\n", *c->syntax.options ? "[" : "",
               c->syntax.options, *c->syntax.options ? "] " : "",
               c->syntax.name, *c->syntax.arguments ? " " : "",
               c->syntax.arguments, c->help);
    }
    printf("\n\
--may-exist makes an -add of what exists already do nothing, --if-exists a\n\
-del of what does not exist.\n\
\n\
%s\
\n\
Options:\n\
  --db=DATABASE        the northbound database (default: $CUTOVER_NB_DB,\n\
                       else %s)\n\
  --wait=hv            return once every host cutoverd manages has the\n\
                       change (its flows confirmed by its switch)\n\
  --wait=none, --no-wait  return once the database has it (default)\n\
  -t, --timeout=SECS   give up after SECS seconds (default 10; 0: never)\n\
  -f, --format=FORMAT  list output: table (default), list, csv, json, html\n\
  --no-headings        no column headings\n\
  -p, --private-key=FILE  SSL: this client's private key (an ssl:\n\
                       database needs all three)\n\
  -c, --certificate=FILE  SSL: its certificate, signed by a CA the\n\
                       database trusts\n\
  -C, --ca-cert=FILE   SSL: the CA certificate that signed the database's\n\
  -h, --help           this help\n\
  -V, --version        print the version\n",
           ctl_get_db_cmd_usage(), DEFAULT_DB);
}

/* Parses the options before the first command; those of db-ctl-base's
 * commands (--may-exist, --id=...) given there go to '*local_options'. */
static void
parse_options(int argc, char *argv[], struct shash *local_options)
{
    enum {
        OPT_DB = UCHAR_MAX + 1,
        OPT_LOCAL,
        OPT_WAIT,
        OPT_NO_WAIT,
        TABLE_OPTION_ENUMS,
        VLOG_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option global_long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"no-wait", no_argument, NULL, OPT_NO_WAIT},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        TABLE_LONG_OPTIONS,
        VLOG_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const int n_global = ARRAY_SIZE(global_long_options) - 1;
    struct option *options;
    size_t n_options, allocated_options;
    int ssl_given = 0;          /* Bits: 1 key, 2 certificate, 4 CA. */
    char *tmp, *short_options;

    /* Our options, then every command's (db-ctl-base's --may-exist...). */
    options = xmemdup(global_long_options, sizeof global_long_options);
    n_options = n_global;
    allocated_options = ARRAY_SIZE(global_long_options);
    ctl_add_cmd_options(&options, &n_options, &allocated_options, OPT_LOCAL);
    tmp = ovs_cmdl_long_options_to_short_options(options);
    /* Stop at the command ('+': no permuting): its own arguments may start
     * with '-'. */
    short_options = xasprintf("+%s", tmp);
    free(tmp);

    for (;;) {
        int idx;
        int c = getopt_long(argc, argv, short_options, options, &idx);
        char *end;

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_WAIT:
            if (!strcmp(optarg, "hv")) {
                wait_hv = true;
            } else if (!strcmp(optarg, "none")) {
                wait_hv = false;
            } else {
                cli_usage_error("--wait: '%s' is neither none nor hv",
                                optarg);
            }
            break;
        case OPT_NO_WAIT:
            wait_hv = false;
            break;
        case OPT_LOCAL:
            if (shash_find(local_options, options[idx].name)) {
                cli_usage_error("--%s given twice", options[idx].name);
            }
            shash_add_nocopy(local_options,
                             xasprintf("--%s", options[idx].name),
                             nullable_xstrdup(optarg));
            break;
        case 't':
            errno = 0;
            timeout_sec = strtol(optarg, &end, 10);
            if (!*optarg || *end || errno || timeout_sec < 0) {
                cli_usage_error("--timeout: '%s' is not a number of seconds",
                                optarg);
            }
            break;
        case 'p':
            stream_ssl_set_private_key_file(optarg);
            ssl_given |= 1;
            break;
        case 'c':
            stream_ssl_set_certificate_file(optarg);
            ssl_given |= 2;
            break;
        case 'C':
            stream_ssl_set_ca_cert_file(optarg, false);
            ssl_given |= 4;
            break;
        case OPT_SSL_PROTOCOLS:
            stream_ssl_set_protocols(optarg);
            break;
        case OPT_SSL_CIPHERS:
            stream_ssl_set_ciphers(optarg);
            break;
        case 'h':
            usage();
            exit(0);
        case 'V':
            cli_print_version();
        TABLE_OPTION_HANDLERS(&table_style)
        VLOG_OPTION_HANDLERS
        default:
            cli_usage_error("invalid option");
        }
    }
    free(short_options);
    for (size_t i = n_global; i < n_options; i++) {
        free(CONST_CAST(char *, options[i].name));
    }
    free(options);

    if (!db) {
        db = getenv("CUTOVER_NB_DB");
        if (!db || !*db) {
            db = DEFAULT_DB;
        }
    }
    if (!strncmp(db, "ssl:", 4) && ssl_given != 7) {
        cli_usage_error("%s is an SSL database: give this client's "
                        "--private-key (-p), --certificate (-c) and the "
                        "CA's --ca-cert (-C)%s", db,
                        ssl_given ? ", all three" : "");
    }
    if (optind >= argc) {
        cli_usage_error("a command is required");
    }
}

/* Runs 'commands' in one transaction.  Returns 0 once it is committed
 * (their output printed), EAGAIN if the database changed meanwhile (run
 * them again), or 1 if a command refused or the database refused the
 * transaction (the error printed).  With --wait=hv the transaction also
 * increments NB_Global.nb_cfg, and '*next_cfgp' is its new value. */
static int
run_commands(struct ovsdb_idl *idl, struct ctl_command *cmds, size_t n,
             const char *args, int64_t *next_cfgp)
{
    struct ovsdb_symbol_table *symtab = ovsdb_symbol_table_create();
    struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(idl);
    enum ovsdb_idl_txn_status status;
    struct ctl_context ctx;
    struct shash_node *node;
    int result = 0;

    ovsdb_idl_txn_add_comment(txn, "cutoverctl: %s", args);
    for (struct ctl_command *c = cmds; c < &cmds[n]; c++) {
        ds_init(&c->output);
        c->table = NULL;
    }
    ctl_context_init(&ctx, NULL, idl, txn, symtab, NULL);
    for (struct ctl_command *c = cmds; c < &cmds[n]; c++) {
        ctl_context_init_command(&ctx, c, c == &cmds[n - 1]);
        c->syntax->run(&ctx);
        if (ctx.error) {
            fprintf(stderr, "%s: %s: %s\n", program_name, c->syntax->name,
                    ctx.error);
            ctl_context_done(&ctx, c);
            result = 1;
            goto out;
        }
        ctl_context_done_command(&ctx, c);
        if (ctx.try_again) {
            ctl_context_done(&ctx, NULL);
            result = EAGAIN;
            goto out;
        }
    }
    ctl_context_done(&ctx, NULL);

    if (wait_hv) {
        const struct nbrec_nb_global *g = nbrec_nb_global_first(idl);

        if (!g) {
            g = nbrec_nb_global_insert(txn);
        }
        nbrec_nb_global_verify_nb_cfg(g);
        ovsdb_idl_txn_increment(txn, &g->header_, &nbrec_nb_global_col_nb_cfg,
                                false);
    }

    SHASH_FOR_EACH (node, &symtab->sh) {
        struct ovsdb_symbol *symbol = node->data;

        if (!symbol->created) {
            fprintf(stderr, "%s: row id \"%s\" is referenced but never "
                    "created (e.g. with \"-- --id=%s create ...\")\n",
                    program_name, node->name, node->name);
            result = 1;
            goto out;
        }
    }

    status = ovsdb_idl_txn_commit_block(txn);
    if (status == TXN_TRY_AGAIN) {
        result = EAGAIN;
    } else if (status != TXN_SUCCESS && status != TXN_UNCHANGED) {
        fprintf(stderr, "%s: the database refused the change (%s): %s\n",
                program_name, ovsdb_idl_txn_status_to_string(status),
                ovsdb_idl_txn_get_error(txn));
        result = 1;
    } else {
        if (wait_hv) {
            *next_cfgp = ovsdb_idl_txn_get_increment_new_value(txn);
        }
        for (struct ctl_command *c = cmds; c < &cmds[n]; c++) {
            if (c->syntax->postprocess) {
                ctl_context_init(&ctx, c, idl, txn, symtab, NULL);
                c->syntax->postprocess(&ctx);
                ctl_context_done(&ctx, c);
            }
        }
        for (struct ctl_command *c = cmds; c < &cmds[n]; c++) {
            if (c->table) {
                table_print(c->table, &table_style);
            } else {
                fputs(ds_cstr(&c->output), stdout);
            }
        }
    }

out:
    for (struct ctl_command *c = cmds; c < &cmds[n]; c++) {
        ds_destroy(&c->output);
        if (c->table) {
            table_destroy(c->table);
            free(c->table);
            c->table = NULL;
        }
    }
    ovsdb_idl_txn_destroy(txn);
    ovsdb_symbol_table_destroy(symtab);
    return result;
}

/* db-ctl-base's way out, for its fatal errors (ctl_fatal()). */
static void OVS_NO_RETURN
cutoverctl_exit(int status)
{
    exit(status);
}

int
main(int argc, char *argv[])
{
    struct ctl_command_syntax *syntaxes;
    struct shash local_options;
    struct ctl_command *cmds;
    struct ovsdb_idl *idl;
    long long int deadline;
    int64_t next_cfg = -1;      /* nb_cfg to wait for (--wait=hv). */
    unsigned int seqno;
    size_t n_cmds;
    char *args, *error;
    int status = 0;

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    vlog_set_levels_from_string_assert("reconnect:emer");
    vlog_set_levels_from_string_assert("jsonrpc:emer");

    ctl_init__(&nbrec_idl_class, tables, NULL, cutoverctl_exit);
    syntaxes = xcalloc(ARRAY_SIZE(commands) + 1, sizeof *syntaxes);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        syntaxes[i] = commands[i].syntax;
    }
    ctl_register_commands(syntaxes);

    shash_init(&local_options);
    parse_options(argc, argv, &local_options);
    error = ctl_parse_commands(argc - optind, argv + optind, &local_options,
                               &cmds, &n_cmds);
    if (error) {
        /* db-ctl-base says "'CMD' command requires at least N arguments":
         * say which, for ours. */
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
            const struct ctl_command_syntax *c = &commands[i].syntax;
            char *prefix = xasprintf("'%s' command ", c->name);

            if (!strncmp(error, prefix, strlen(prefix))) {
                char *more = xasprintf("%s: %s %s", error, c->name,
                                       *c->arguments ? c->arguments
                                       : "takes no arguments");
                free(error);
                error = more;
            }
            free(prefix);
        }
        cli_usage_error("%s", error);
    }
    args = process_escape_args(argv + optind);
    /* A peer that closes an SSL connection must not kill us. */
    fatal_ignore_sigpipe();

    idl = ovsdb_idl_create(db, &nbrec_idl_class, true, true);
    create_indexes(idl);
    deadline = timeout_sec ? time_msec() + timeout_sec * 1000LL : LLONG_MAX;
    seqno = ovsdb_idl_get_seqno(idl);
    for (;;) {
        ovsdb_idl_run(idl);
        /* Failures here break out of the loop rather than exit, so that
         * the connection is freed as on success (LeakSanitizer sees no
         * leak on any exit). */
        if (!ovsdb_idl_is_alive(idl)) {
            ovs_error(0, "%s: the database connection failed (%s)", db,
                      ovs_retval_to_string(ovsdb_idl_get_last_error(idl)));
            status = 1;
            break;
        }
        if (seqno != ovsdb_idl_get_seqno(idl)
            && ovsdb_idl_has_ever_connected(idl)) {
            seqno = ovsdb_idl_get_seqno(idl);
            if (next_cfg < 0) {
                status = run_commands(idl, cmds, n_cmds, args, &next_cfg);
                if (status == EAGAIN) {
                    status = 0;     /* The database changed: again. */
                    continue;
                }
                if (status || next_cfg < 0) {
                    break;
                }
            }
        }
        if (next_cfg >= 0) {
            /* --wait=hv: until cutoverd says every host has it. */
            const struct nbrec_nb_global *g = nbrec_nb_global_first(idl);

            if (g && g->hv_cfg >= next_cfg) {
                break;
            }
        }
        if (time_msec() >= deadline && next_cfg >= 0) {
            const struct nbrec_nb_global *g = nbrec_nb_global_first(idl);

            ovs_error(0, "the change is in the database, but not every host "
                      "has it after %d s (hv_cfg %"PRId64", waiting for "
                      "%"PRId64"): is cutoverd running, and every host it "
                      "manages connected and in sync? (cutoverd/status)",
                      timeout_sec, g ? g->hv_cfg : 0, next_cfg);
            status = 1;
            break;
        }
        if (time_msec() >= deadline) {
            ovs_error(0, "cannot reach the northbound database at %s within "
                      "%d s (%s); is it running? (--db or CUTOVER_NB_DB "
                      "name it)%s", db, timeout_sec,
                      ovs_retval_to_string(ovsdb_idl_get_last_error(idl)),
                      !strncmp(db, "ssl:", 4)
                      ? "; over SSL, does it trust the CA of this client's "
                        "certificate, and does --ca-cert name the CA of its?"
                      : "");
            status = 1;
            break;
        }
        ovsdb_idl_wait(idl);
        poll_timer_wait_until(deadline);
        poll_block();
    }
    ovsdb_idl_destroy(idl);
    for (size_t i = 0; i < n_cmds; i++) {
        shash_destroy_free_data(&cmds[i].options);
    }
    free(cmds);
    free(args);
    free(syntaxes);
    shash_destroy_free_data(&local_options);
    return status;
}
