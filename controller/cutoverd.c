/* cutoverd: the controller.
 *
 * It follows the northbound database (lib/cutover.ovsschema) through its
 * IDL, builds the logical model from it (lib/model-idl.h) and, for every
 * host that says how to reach its Open vSwitch, keeps a hostctl
 * (controller/hostctl.h): provisioning over OVSDB and an installer that
 * keeps the integration bridge's flows what the pipeline computes.
 *
 * One thread, one poll loop (OVS's poll_block()): nothing here blocks on a
 * peer.  The model is rebuilt whenever the database changes; if only some
 * ports moved (or changed addresses), each host gets just those ports'
 * flows, else every managed host's flows are computed again.  A host's
 * flows are also computed again when its ports change (a VM interface comes
 * or goes).  The installers send only what differs, so an unrelated change
 * costs each host a computation and no flow mod.
 *
 * Each turn of the loop reads its inputs (the database, the switches, then
 * control requests, whose handlers only record what is asked and wake the
 * loop), then runs the migration engine, which decides, then sends what was
 * decided with one flush per host (hostctl_flush()): no handler sends to a
 * switch or runs while another is iterating.
 *
 * The migration engine (controller/migration.h) moves ports between hosts
 * on request.  While a switchover waits for its barriers the model is not
 * rebuilt (that would delay them); the engine's own records in the
 * database do not rebuild it at all (only the tables the model is made of
 * count).
 *
 * Control commands (controller/control.h: on the unixctl socket, so
 * 'ovs-appctl -t SOCKET COMMAND', and on every --remote): cutoverd/status,
 * cutoverd/flows HOST, cutoverd/recompute, cutoverd/audit [HOST],
 * migration/..., exit.
 *
 * Every --audit-interval, each host's installer reads its switch's flows
 * back and repairs what differs (datapath/installer.h), one host at a time
 * (pace_audits()); cutoverd/audit asks for a round at once and is answered
 * when it completed.
 *
 * Several cutoverd may run (docs/ha.md): the one that holds the northbound
 * database's lock is active; it claims a new generation in NB_Global and is
 * every switch's OpenFlow primary and every agent's claimant with it.  The
 * others are standbys: they build the model and compute every host's
 * flows, keep their connections up as the switches' secondary, and change
 * nothing (run_role()). */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "command-line.h"
#include "control.h"
#include "daemon.h"
#include "fatal-signal.h"
#include "hostctl.h"
#include "kernel-neigh.h"
#include "lib/cutover-nb-idl.h"
#include "migration.h"
#include "model-idl.h"
#include "model.h"
#include "nb-rules.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "packets.h"
#include "provision.h"
#include "stream-ssl.h"
#include "stream.h"
#include "svec.h"
#include "timeval.h"
#include "timing.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(cutoverd);

#define DEFAULT_DB "unix:/var/run/cutover/nb.sock"
#define DEFAULT_UNIXCTL "/var/run/cutover/cutoverd.ctl"

/* The audit's interval: the default, and the bounds of a non-zero one. */
#define DEFAULT_AUDIT_INTERVAL_MS 5000
#define MIN_AUDIT_INTERVAL_MS 10
#define MAX_AUDIT_INTERVAL_MS 86400000

/* How long cutoverd/audit waits for its rounds (a host that is not
 * connected, or busy all that time, answers "no answer"). */
#define AUDIT_ANSWER_TIMEOUT_MS 10000

/* Options. */
static const char *nb_db;
static const char *unixctl_path;
static char **remotes;          /* --remote, extra control listeners. */
static size_t n_remotes;
static long long int audit_interval_ms = DEFAULT_AUDIT_INTERVAL_MS;
static struct migration_config migration_cfg = {
    .switchover_timeout_ms = MIGRATION_SWITCHOVER_TIMEOUT_MS,
    .step_timeout_ms = MIGRATION_STEP_TIMEOUT_MS,
    .grace_ms = MIGRATION_GRACE_MS,
    .history = MIGRATION_HISTORY,
    .hold_margin_ms = MIGRATION_HOLD_MARGIN_MS,
    .hold = true,
};
static struct provision_config provision_cfg = {
    .integration_bridge = "br-int",
    .uplink_bridge = "br-phy",
    .datapath_type = "",
};

/* The OVSDB lock on the northbound database that makes one cutoverd the
 * active one (docs/ha.md). */
#define CUTOVERD_LOCK "cutoverd"

/* After a claim of the generation failed otherwise than for a lost lock,
 * wait this long before the next. */
#define CLAIM_RETRY_MS 1000

/* The controller's role (docs/ha.md). */
enum cutoverd_role {
    ROLE_STANDBY,               /* Without the lock: follows the database,
                                 * computes every host's flows, keeps its
                                 * connections up, changes nothing. */
    ROLE_CLAIMING,              /* With the lock, writing its generation. */
    ROLE_ACTIVE,                /* With the lock and its generation: the
                                 * switches' primary controller. */
};

/* The controller's state. */
struct cutoverd {
    struct ovsdb_idl *idl;

    enum cutoverd_role role;
    uint64_t generation;        /* The newest NB_Global.controller_generation
                                 * known; the active one's own. */
    struct ovsdb_idl_txn *claim; /* Writing generation 'claim_gen'. */
    uint64_t claim_gen;
    long long int claim_retry;  /* No claim before (msec), or 0. */
    long long int role_since;   /* Wall clock (msec) of the last change. */
    uint64_t n_takeovers;       /* Times this cutoverd became active. */

    uint64_t nb_seqno;          /* Model tables' change seqno the model was
                                 * built at (model_tables_seqno()). */
    struct model model;
    int n_skipped;              /* Rows model_from_idl() could not use. */
    struct svec problems;       /* What is inconsistent in the database
                                 * (nb_rules_check_all()), sorted. */
    uint64_t model_usec;        /* How long building the model took. */
    uint64_t n_builds;          /* Times the model was built. */
    uint64_t n_incremental;     /* Of which, changes of some ports only. */
    int64_t model_nb_cfg;       /* NB_Global.nb_cfg the model is as of. */
    int64_t hv_cfg;             /* The last hv_cfg reported. */

    struct shash hosts;         /* Host name -> struct hostctl. */
    struct shash host_errors;   /* Host name -> error text (to free). */
    bool recompute;             /* Compute every host's flows again. */
    bool rebuild;               /* Build the model again (recompute). */
    bool exiting;

    struct migration_engine *engine;
    struct ovs_list audits;     /* struct audit_req, waiting for rounds. */
};

/* A cutoverd/audit request waiting for its hosts' rounds. */
struct audit_req {
    struct ovs_list node;       /* In cutoverd's 'audits'. */
    struct control_req *req;
    long long int deadline;     /* Answer then, whatever is missing. */
    size_t n;
    char **hosts;               /* Host names, sorted. */
    uint64_t *rounds;           /* The round each waits for. */
};

static void
usage(void)
{
    printf("\
%s: the cutover controller\n\
usage: %s [OPTIONS]\n\
\n\
Follows the northbound database and keeps, on every host that has an\n\
ovsdb_target and an openflow_target, the integration bridge provisioned and\n\
its flows what the pipeline computes.  Several may run: the one that holds\n\
the database's lock is active, the others stand by (docs/ha.md).\n\
\n\
Options:\n\
  --db=DATABASE              northbound database, or a cluster's members\n\
                             comma-separated (default: $CUTOVER_NB_DB or\n\
                             %s)\n\
  --unixctl=SOCKET           control socket (default: %s)\n\
  --integration-bridge=NAME  default: br-int\n\
  --uplink-bridge=NAME       bridge patched to br-int for provider networks\n\
                             (default: br-phy; empty: none)\n\
  --datapath-type=TYPE       for integration bridges it creates (e.g. netdev)\n\
  --remote=PSTREAM           also answer control commands (JSON-RPC) on\n\
                             pssl:PORT[:IP] (mutual TLS: the client needs a\n\
                             certificate of the CA), ptcp:PORT:IP (no\n\
                             authentication: an IP is required) or\n\
                             punix:FILE (may be repeated)\n\
  --socket-group=GROUP       the group of the unix control sockets (mode\n\
                             0660: the daemon's user and GROUP may\n\
                             connect; default: the daemon's group)\n\
  --private-key=FILE, --certificate=FILE, --ca-cert=FILE\n\
                             SSL, for ssl: and pssl: OpenFlow targets, --db\n\
                             and --remote\n\
  --switchover-timeout=MS    how long a switchover waits for the switches'\n\
                             barriers before it is undone: the most cutover\n\
                             adds to a VM's pause; a request may set its own\n\
                             (timeout=MS) (default: %d)\n\
  --step-timeout=MS          how long prepare, complete, abort and recovery\n\
                             wait for the switches (default: %d)\n\
  --grace=MS                 how long complete waits after every host\n\
                             confirmed, before the source's flows go\n\
                             (default: %d)\n\
  --history=N                finished migrations kept per port in the\n\
                             northbound database (default: %d)\n\
  --hold=on|off              migrations to a host whose announcer is\n\
                             connected keep the port's frames there until\n\
                             the VM runs (docs/hold.md); a prepare may say\n\
                             hold=off (default: on)\n\
  --hold-margin=MS           the replay also takes the copies that arrived\n\
                             this long before the VM stopped: more\n\
                             duplicates, less loss when clocks differ\n\
                             (default: %d)\n\
  --audit-interval=MS        how often each switch's flows are read back and\n\
                             what differs repaired: 0 (only on request,\n\
                             cutoverd/audit) or %d to %d (default: %d)\n",
           program_name, program_name, DEFAULT_DB, DEFAULT_UNIXCTL,
           MIGRATION_SWITCHOVER_TIMEOUT_MS, MIGRATION_STEP_TIMEOUT_MS,
           MIGRATION_GRACE_MS, MIGRATION_HISTORY, MIGRATION_HOLD_MARGIN_MS,
           MIN_AUDIT_INTERVAL_MS,
           MAX_AUDIT_INTERVAL_MS, DEFAULT_AUDIT_INTERVAL_MS);
    daemon_usage();
    vlog_usage();
    printf("\
  -h, --help                 print this help\n\
  -V, --version              print the version\n");
}

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_DB = UCHAR_MAX + 1,
        OPT_UNIXCTL,
        OPT_INTEGRATION_BRIDGE,
        OPT_UPLINK_BRIDGE,
        OPT_DATAPATH_TYPE,
        OPT_REMOTE,
        OPT_SOCKET_GROUP,
        OPT_SWITCHOVER_TIMEOUT,
        OPT_STEP_TIMEOUT,
        OPT_GRACE,
        OPT_HISTORY,
        OPT_HOLD,
        OPT_HOLD_MARGIN,
        OPT_AUDIT_INTERVAL,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"integration-bridge", required_argument, NULL,
         OPT_INTEGRATION_BRIDGE},
        {"uplink-bridge", required_argument, NULL, OPT_UPLINK_BRIDGE},
        {"datapath-type", required_argument, NULL, OPT_DATAPATH_TYPE},
        {"remote", required_argument, NULL, OPT_REMOTE},
        {"socket-group", required_argument, NULL, OPT_SOCKET_GROUP},
        {"switchover-timeout", required_argument, NULL,
         OPT_SWITCHOVER_TIMEOUT},
        {"step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"history", required_argument, NULL, OPT_HISTORY},
        {"hold", required_argument, NULL, OPT_HOLD},
        {"hold-margin", required_argument, NULL, OPT_HOLD_MARGIN},
        {"audit-interval", required_argument, NULL, OPT_AUDIT_INTERVAL},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        DAEMON_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_DB:
            nb_db = optarg;
            break;
        case OPT_UNIXCTL:
            unixctl_path = optarg;
            break;
        case OPT_INTEGRATION_BRIDGE:
            if (!*optarg) {
                cli_usage_error("--integration-bridge needs a bridge name");
            }
            provision_cfg.integration_bridge = optarg;
            break;
        case OPT_UPLINK_BRIDGE:
            provision_cfg.uplink_bridge = *optarg ? optarg : NULL;
            break;
        case OPT_DATAPATH_TYPE:
            provision_cfg.datapath_type = optarg;
            break;
        case OPT_SOCKET_GROUP:
            control_set_socket_group(optarg);
            break;
        case OPT_REMOTE:
            control_parse_remote(optarg, &remotes, &n_remotes);
            break;
        case OPT_SWITCHOVER_TIMEOUT:
            migration_cfg.switchover_timeout_ms = cli_parse_uint(
                "--switchover-timeout", optarg, 1, 60000);
            break;
        case OPT_STEP_TIMEOUT:
            migration_cfg.step_timeout_ms = cli_parse_uint(
                "--step-timeout", optarg, 1, 3600000);
            break;
        case OPT_HISTORY:
            migration_cfg.history = cli_parse_uint("--history", optarg, 1,
                                                   10000);
            break;
        case OPT_HOLD:
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
                cli_usage_error("--hold: '%s': expected on or off", optarg);
            }
            migration_cfg.hold = !strcmp(optarg, "on");
            break;
        case OPT_HOLD_MARGIN:
            migration_cfg.hold_margin_ms = cli_parse_uint("--hold-margin",
                                                          optarg, 0, 60000);
            break;
        case OPT_GRACE:
            migration_cfg.grace_ms = cli_parse_uint("--grace", optarg, 0,
                                                    3600000);
            break;
        case OPT_AUDIT_INTERVAL:
            audit_interval_ms = cli_parse_uint("--audit-interval", optarg, 0,
                                               MAX_AUDIT_INTERVAL_MS);
            if (audit_interval_ms && audit_interval_ms < MIN_AUDIT_INTERVAL_MS) {
                cli_usage_error("--audit-interval: %lld ms is too short "
                                "(expected 0, for audits on request only, "
                                "or %d to %d)", audit_interval_ms,
                                MIN_AUDIT_INTERVAL_MS, MAX_AUDIT_INTERVAL_MS);
            }
            break;
        case 'h':
            usage();
            exit(EXIT_SUCCESS);
        case 'V':
            cli_print_version();
        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        STREAM_SSL_OPTION_HANDLERS
        default:
            cli_usage_error("invalid option");
        }
    }
    free(short_options);

    if (optind < argc) {
        cli_usage_error("unexpected argument '%s' (cutoverd takes only "
                        "options)", argv[optind]);
    }
    if (!nb_db) {
        nb_db = getenv("CUTOVER_NB_DB");
        if (!nb_db || !*nb_db) {
            nb_db = DEFAULT_DB;
        }
    }
    if (stream_verify_name(nb_db)) {
        cli_usage_error("--db: '%s' is not a connection target (expected "
                        "tcp:IP:PORT, ssl:IP:PORT or unix:FILE)", nb_db);
    }
    if (!unixctl_path) {
        unixctl_path = DEFAULT_UNIXCTL;
    }
}

/* Remembers 'error' (taking it) as why host 'name' is not managed, logging
 * it when it is new. */
static void
set_host_error(struct cutoverd *d, const char *name, char *error)
{
    char *old = shash_find_data(&d->host_errors, name);

    if (old && error && !strcmp(old, error)) {
        free(error);
        return;
    }
    free(shash_find_and_delete(&d->host_errors, name));
    if (error) {
        VLOG_WARN("host %s: %s", name, error);
        shash_add(&d->host_errors, name, error);
    }
}

/* The tunnel peers of host 'self': every other host whose tunnel IP and
 * provider MAC parse.  The caller frees '*peersp'. */
static size_t
host_peers(struct cutoverd *d, const struct nbrec_host *self,
           struct kernel_neigh **peersp)
{
    const struct nbrec_host *h;
    size_t n = 0;

    *peersp = NULL;
    NBREC_HOST_FOR_EACH (h, d->idl) {
        struct kernel_neigh peer;

        if (h == self || !h->provider_mac
            || !ip_parse(h->tunnel_ip, &peer.ip)
            || !eth_addr_from_string(h->provider_mac, &peer.mac)) {
            continue;
        }
        *peersp = xrealloc(*peersp, (n + 1) * sizeof **peersp);
        (*peersp)[n++] = peer;
    }
    return n;
}

/* Makes the set of hostctls match the database's hosts. */
static void
sync_hosts(struct cutoverd *d)
{
    const struct nbrec_host *h;
    struct shash_node *node;
    struct shash seen = SHASH_INITIALIZER(&seen);

    NBREC_HOST_FOR_EACH (h, d->idl) {
        struct hostctl *hc = shash_find_data(&d->hosts, h->name);
        char *error;

        shash_add_once(&seen, h->name, NULL);
        if (!h->ovsdb_target || !h->openflow_target) {
            if (hc) {
                VLOG_INFO("host %s: no longer managed", h->name);
                hostctl_destroy(shash_find_and_delete(&d->hosts, h->name));
            }
            set_host_error(d, h->name,
                           xasprintf("not managed: it needs an %s",
                                     !h->ovsdb_target ? "ovsdb_target"
                                     : "openflow_target"));
            continue;
        }
        if (!hc) {
            hc = hostctl_create(h->name, &provision_cfg);
            hostctl_set_audit(hc, audit_interval_ms);
            shash_add(&d->hosts, h->name, hc);
            VLOG_INFO("host %s: managing it (OVSDB %s, OpenFlow %s)",
                      h->name, h->ovsdb_target, h->openflow_target);
        }
        error = hostctl_set_targets(hc, h->ovsdb_target, h->openflow_target);
        if (error) {
            /* Better not managed at all than programmed through targets
             * the database no longer says. */
            hostctl_destroy(shash_find_and_delete(&d->hosts, h->name));
        } else {
            struct kernel_neigh *peers;
            size_t n = host_peers(d, h, &peers);

            hostctl_set_neighbours(hc, peers, n);
            hostctl_set_agent(hc, h->agent);
            hostctl_set_role(hc, d->role == ROLE_ACTIVE, d->generation);
            free(peers);
        }
        set_host_error(d, h->name, error);
    }
    SHASH_FOR_EACH_SAFE (node, &d->hosts) {
        if (!shash_find(&seen, node->name)) {
            VLOG_INFO("host %s: deleted from the database", node->name);
            hostctl_destroy(node->data);
            shash_delete(&d->hosts, node);
        }
    }
    SHASH_FOR_EACH_SAFE (node, &d->host_errors) {
        if (!shash_find(&seen, node->name)) {
            free(node->data);
            shash_delete(&d->host_errors, node);
        }
    }
    shash_destroy(&seen);
}

/* At most this many ports changed alone are brought up to date port by
 * port; more, and every host is computed again. */
#define MAX_INCREMENTAL_PORTS 64

/* Checks the database's cross-row rules and logs what is newly
 * inconsistent (what the pipeline would only count as conflicting flows)
 * and what is fixed. */
static void
check_rules(struct cutoverd *d)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);
    struct svec problems = SVEC_EMPTY_INITIALIZER;
    const char *problem;
    size_t i;

    nb_rules_check_all(d->idl, &problems);
    SVEC_FOR_EACH (i, problem, &problems) {
        if (!svec_contains(&d->problems, problem)) {
            VLOG_WARN_RL(&rl, "the northbound database is inconsistent: %s",
                         problem);
        }
    }
    SVEC_FOR_EACH (i, problem, &d->problems) {
        if (!svec_contains(&problems, problem)) {
            VLOG_INFO_RL(&rl, "no longer inconsistent: %s", problem);
        }
    }
    svec_destroy(&d->problems);
    d->problems = problems;
}

/* Builds the model again from what the IDL holds, with the migration
 * engine's placements.  If only some ports changed (a port's home written
 * by a complete, a port moved by an operator), sends each host just those
 * ports' flows; otherwise asks for every host's flows to be computed
 * again. */
static void
build_model(struct cutoverd *d)
{
    uint64_t start = timing_mono_ns();
    struct sset changed = SSET_INITIALIZER(&changed);
    struct model old;

    model_move(&old, &d->model);
    d->n_skipped = model_from_idl(&d->model, d->idl);
    check_rules(d);
    migration_engine_load(d->engine);
    migration_engine_apply(d->engine, &d->model);
    if (d->n_builds && model_ports_changed(&old, &d->model, &changed)
        && sset_count(&changed) <= MAX_INCREMENTAL_PORTS) {
        const char *name;
        struct shash_node *node;

        SSET_FOR_EACH (name, &changed) {
            const struct model_port *p = model_find_port(&d->model, name);

            SHASH_FOR_EACH (node, &d->hosts) {
                hostctl_update_port(node->data, &d->model, p);
            }
        }
        d->n_incremental++;
    } else {
        d->recompute = true;
    }
    sset_destroy(&changed);
    model_destroy(&old);
    migration_engine_ports_changed(d->engine);
    d->model_usec = (timing_mono_ns() - start) / 1000;
    d->n_builds++;
}

/* A number that changes whenever a table the model is made of changes
 * (not the Migration table, which the engine writes on every step). */
static uint64_t
model_tables_seqno(const struct ovsdb_idl *idl)
{
    const struct ovsdb_idl_table_class *tables[] = {
        &nbrec_table_host, &nbrec_table_network, &nbrec_table_subnet,
        &nbrec_table_port, &nbrec_table_eip,
    };
    uint64_t seqno = 0;

    for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
        seqno = MAX(seqno, ovsdb_idl_table_get_seqno(idl, tables[i]));
    }
    return seqno;
}

static const char *
role_name(enum cutoverd_role role)
{
    return role == ROLE_ACTIVE ? "active" : "standby";
}

/* Gives every host's connections the controller's role and generation. */
static void
apply_role(struct cutoverd *d)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, &d->hosts) {
        hostctl_set_role(node->data, d->role == ROLE_ACTIVE, d->generation);
    }
}

static void
set_role(struct cutoverd *d, enum cutoverd_role role)
{
    bool was_active = d->role == ROLE_ACTIVE;

    if (d->claim) {
        ovsdb_idl_txn_destroy(d->claim);
        d->claim = NULL;
    }
    d->role = role;
    if ((role == ROLE_ACTIVE) != was_active) {
        d->role_since = time_wall_msec();
        if (role == ROLE_ACTIVE) {
            d->n_takeovers++;
            VLOG_INFO("lock %s acquired and generation %"PRIu64" claimed: "
                      "this cutoverd is now active", CUTOVERD_LOCK,
                      d->generation);
            /* Read what the database says is under way, compute every
             * host's flows with it, write hv_cfg again. */
            d->rebuild = true;
            d->hv_cfg = 0;
            poll_immediate_wake();
        } else {
            VLOG_INFO("lock %s lost: this cutoverd is now a standby",
                      CUTOVERD_LOCK);
        }
        migration_engine_set_active(d->engine, role == ROLE_ACTIVE);
    }
    apply_role(d);
}

/* Writes generation 'gen' + 1 into NB_Global, in a transaction that the
 * IDL makes assert the lock: only the lock's holder can. */
static void
start_claim(struct cutoverd *d, uint64_t gen)
{
    const struct nbrec_nb_global *g = nbrec_nb_global_first(d->idl);

    d->claim = ovsdb_idl_txn_create(d->idl);
    ovsdb_idl_txn_add_comment(d->claim, "cutoverd: taking over");
    if (!g) {
        g = nbrec_nb_global_insert(d->claim);
    } else {
        nbrec_nb_global_verify_controller_generation(g);
    }
    d->claim_gen = gen + 1;
    nbrec_nb_global_set_controller_generation(g, d->claim_gen);
    d->role = ROLE_CLAIMING;
    /* Sent now (the IDL takes no other transaction while one is open);
     * run_role() follows it. */
    ovsdb_idl_txn_commit(d->claim);
}

/* Follows the lock: a standby that got it claims a new generation and
 * becomes active once that is written; one that lost it is a standby. */
static void
run_role(struct cutoverd *d)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    const struct nbrec_nb_global *g = nbrec_nb_global_first(d->idl);
    uint64_t db_gen = g ? g->controller_generation : 0;
    bool has_lock = ovsdb_idl_has_lock(d->idl);
    enum ovsdb_idl_txn_status status;

    if (d->role != ROLE_STANDBY && !has_lock) {
        set_role(d, ROLE_STANDBY);
    }
    switch (d->role) {
    case ROLE_STANDBY:
        if (db_gen != d->generation) {
            /* A standby is the switches' secondary with the newest
             * generation (an older one would be refused as stale). */
            d->generation = db_gen;
            apply_role(d);
        }
        if (has_lock && ovsdb_idl_has_ever_connected(d->idl)
            && (!d->claim_retry || time_msec() >= d->claim_retry)) {
            d->claim_retry = 0;
            start_claim(d, db_gen);
        } else {
            break;
        }
        /* Fall through. */
    case ROLE_CLAIMING:
        status = ovsdb_idl_txn_commit(d->claim);
        if (status == TXN_INCOMPLETE) {
            break;
        }
        if (status == TXN_SUCCESS) {
            d->generation = d->claim_gen;
            set_role(d, ROLE_ACTIVE);
        } else {
            if (status != TXN_TRY_AGAIN) {
                VLOG_WARN_RL(&rl, "claiming generation %"PRIu64": %s (%s)",
                             d->claim_gen,
                             ovsdb_idl_txn_status_to_string(status),
                             ovsdb_idl_txn_get_error(d->claim));
                d->claim_retry = time_msec() + CLAIM_RETRY_MS;
            }
            set_role(d, ROLE_STANDBY);
            poll_immediate_wake();
        }
        break;

    case ROLE_ACTIVE:
        if (db_gen > d->generation) {
            /* Nobody else may write it while we hold the lock. */
            VLOG_WARN_RL(&rl, "generation %"PRIu64" in the database is "
                         "newer than ours (%"PRIu64"): standing by",
                         db_gen, d->generation);
            set_role(d, ROLE_STANDBY);
        }
        break;
    }
}

/* The host whose audit may read its switch: the one whose round is under
 * way, to the round's end; else the one whose audit has been due the
 * longest.  NULL if none is due yet, with '*next' set to when the earliest
 * is (LLONG_MAX: none wants to read, or a round is under way). */
static struct hostctl *
audit_turn(const struct cutoverd *d, long long int *next)
{
    struct hostctl *first = NULL;
    struct shash_node *node;

    *next = LLONG_MAX;
    SHASH_FOR_EACH (node, &d->hosts) {
        struct hostctl *hc = node->data;
        long long int at;

        if (hostctl_audit_is_reading(hc)) {
            *next = LLONG_MAX;
            return hc;
        }
        at = hostctl_audit_next(hc);
        if (at < *next) {
            first = hc;
            *next = at;
        }
    }
    return *next <= time_msec() ? first : NULL;
}

/* Lets one host's heavy exchange (its switch's whole table read back, then
 * sent or made right) run at a time: each is a second or more of CPU at
 * tens of thousands of flows, and a hundred hosts' at once kept the loop
 * away from the northbound database and the switches until they dropped it
 * (docs/scale.md).  The host whose exchange is under way keeps its turn to
 * the end; then the first that wants one, in the hosts' order. */
static void
pace_full_sends(struct cutoverd *d)
{
    struct hostctl *turn = NULL;
    struct shash_node *node;

    SHASH_FOR_EACH (node, &d->hosts) {
        if (hostctl_is_full_busy(node->data)) {
            turn = node->data;
            break;
        }
    }
    SHASH_FOR_EACH (node, &d->hosts) {
        if (!turn && hostctl_wants_full(node->data)) {
            turn = node->data;
        }
        hostctl_hold_full(node->data, node->data != turn);
    }
}

/* Lets one host's audit read its switch at a time, and none while a
 * switchover waits for its barriers.  An audit decodes and compares each
 * part of a switch's table in one turn of the loop, and every host's
 * rounds fall due together after a start: unpaced, a hundred hosts' parts
 * would keep one turn busy for a hundred parts, with a switchover's
 * barrier replies waiting behind them (docs/scale.md). */
static void
pace_audits(struct cutoverd *d)
{
    bool switching = migration_engine_is_switching(d->engine);
    long long int next;
    struct hostctl *turn = audit_turn(d, &next);
    struct shash_node *node;

    SHASH_FOR_EACH (node, &d->hosts) {
        hostctl_audit_hold(node->data, switching || node->data != turn);
    }
}

/* Computes stale hosts' flows, a few per turn (at least one, then others
 * until TIMING_TURN_BUDGET_MS is spent): a hundred hosts computed in
 * one turn kept the loop from the northbound database (which then dropped
 * the connection, and the lock with it), from the switches and from the
 * hooks for seconds (docs/scale.md).  None while a switchover waits for
 * its barriers: its replies come first. */
static void
compute_stale(struct cutoverd *d)
{
    uint64_t start = timing_mono_ns();
    struct shash_node *node;
    size_t n = 0;

    if (migration_engine_is_switching(d->engine)) {
        return;
    }
    SHASH_FOR_EACH (node, &d->hosts) {
        struct hostctl *hc = node->data;

        if (hostctl_is_stale(hc)) {
            if (n++ && timing_turn_spent(start)) {
                break;
            }
            hostctl_compute(hc, &d->model);
            migration_engine_ports_changed(d->engine);
        }
    }
}

/* Whether 'pred' is true of any host. */
static bool
any_host(const struct cutoverd *d, bool (*pred)(const struct hostctl *))
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, &d->hosts) {
        if (pred(node->data)) {
            return true;
        }
    }
    return false;
}

static void
cutoverd_run(struct cutoverd *d)
{
    struct shash_node *node;
    uint64_t seqno;

    ovsdb_idl_run(d->idl);
    run_role(d);
    seqno = model_tables_seqno(d->idl);
    if (ovsdb_idl_has_ever_connected(d->idl)
        && (seqno != d->nb_seqno || !d->n_builds || d->rebuild)
        && !migration_engine_is_switching(d->engine)) {
        d->nb_seqno = seqno;
        d->recompute |= d->rebuild;
        d->rebuild = false;
        sync_hosts(d);
        build_model(d);
    }
    if (seqno == d->nb_seqno) {
        /* The model has every change the database has: also those made
         * with the newest nb_cfg. */
        const struct nbrec_nb_global *g = nbrec_nb_global_first(d->idl);

        d->model_nb_cfg = g ? g->nb_cfg : 0;
    }

    pace_audits(d);
    pace_full_sends(d);
    SHASH_FOR_EACH (node, &d->hosts) {
        struct hostctl *hc = node->data;

        if (hostctl_run(hc) || d->recompute) {
            hostctl_mark_stale(hc);
        }
    }
    d->recompute = false;
    compute_stale(d);
}

/* Once every managed host has the flows of the model as of nb_cfg N
 * (confirmed by its switch, its tunnel neighbours set), has hv_cfg N
 * written (cutoverctl --wait=hv). */
static void
report_hv_cfg(struct cutoverd *d)
{
    struct shash_node *node;

    if (d->model_nb_cfg <= d->hv_cfg || d->role != ROLE_ACTIVE) {
        return;
    }
    SHASH_FOR_EACH (node, &d->hosts) {
        if (!hostctl_is_synced(node->data)) {
            return;
        }
    }
    d->hv_cfg = d->model_nb_cfg;
    migration_engine_set_hv_cfg(d->engine, d->hv_cfg);
}

/* Sends what this turn of the loop decided: the only place that hands
 * flows to the switches. */
static void
cutoverd_flush(struct cutoverd *d)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, &d->hosts) {
        hostctl_flush(node->data);
    }
}

static void
cutoverd_wait(struct cutoverd *d)
{
    struct shash_node *node;

    ovsdb_idl_wait(d->idl);
    if (d->claim) {
        ovsdb_idl_txn_wait(d->claim);
    }
    if (d->claim_retry) {
        poll_timer_wait_until(d->claim_retry);
    }
    SHASH_FOR_EACH (node, &d->hosts) {
        hostctl_wait(node->data);
    }
    migration_engine_wait(d->engine);
    if (!migration_engine_is_switching(d->engine)) {
        /* A held audit's turn (the one reading wakes the loop with its
         * replies). */
        long long int next;
        const struct hostctl *turn = audit_turn(d, &next);

        if (turn && !hostctl_audit_is_reading(turn)) {
            poll_immediate_wake();
        } else if (next != LLONG_MAX) {
            poll_timer_wait_until(next);
        }
    }
    if (d->rebuild
        || (any_host(d, hostctl_is_stale)
            && !migration_engine_is_switching(d->engine))
        || (any_host(d, hostctl_wants_full)
            && !any_host(d, hostctl_is_full_busy))) {
        poll_immediate_wake();
    }
    if (!ovs_list_is_empty(&d->audits)) {
        struct audit_req *ar;

        LIST_FOR_EACH (ar, node, &d->audits) {
            poll_timer_wait_until(ar->deadline);
        }
    }
}

/* Control commands. */

static void
cutoverd_ctl_exit(struct control_req *req, int argc OVS_UNUSED,
                  const char *argv[] OVS_UNUSED, void *d_)
{
    struct cutoverd *d = d_;

    d->exiting = true;
    control_reply(req, true, NULL);
}

/* "Status: active" or "Status: standby", as ovn-northd's status says,
 * then since when and with which generation. */
static void
format_role(const struct cutoverd *d, struct ds *s)
{
    ds_put_format(s, "Status: %s\n", role_name(d->role));
    ds_put_format(s, "lock %s: %s", CUTOVERD_LOCK,
                  (ovsdb_idl_has_lock(d->idl) ? "held"
                   : ovsdb_idl_is_lock_contended(d->idl)
                   ? "held by another cutoverd" : "not held"));
    if (d->role == ROLE_CLAIMING) {
        ds_put_format(s, ", claiming generation %"PRIu64, d->claim_gen);
    } else {
        ds_put_format(s, ", generation %"PRIu64, d->generation);
    }
    if (d->role_since) {
        char *when = xastrftime_msec("%Y-%m-%d %H:%M:%S.###", d->role_since,
                                     false);

        ds_put_format(s, ", %s since %s", role_name(d->role), when);
        free(when);
    }
    ds_put_format(s, ", active %"PRIu64" times\n", d->n_takeovers);
}

/* "status": the role alone, as ovn-northd's. */
static void
cutoverd_ctl_role_status(struct control_req *req, int argc OVS_UNUSED,
                         const char *argv[] OVS_UNUSED, void *d_)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    format_role(d_, &s);
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

static void
cutoverd_ctl_status(struct control_req *req, int argc OVS_UNUSED,
                    const char *argv[] OVS_UNUSED, void *d_)
{
    struct cutoverd *d = d_;
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct shash_node **sorted;
    size_t n_synced = 0, n_installed = 0;

    format_role(d, &s);
    ds_put_format(&s, "northbound %s: %s, %"PRIuSIZE" hosts, %"PRIuSIZE
                  " networks, %"PRIuSIZE" ports, %"PRIuSIZE" elastic IPs "
                  "(model built %"PRIu64" times, %"PRIu64" of them changing "
                  "only some ports' flows, last in %"PRIu64" us)\n",
                  nb_db, (ovsdb_idl_is_connected(d->idl) ? "connected"
                          : "not connected"),
                  d->model.n_hosts, d->model.n_networks, d->model.n_ports,
                  d->model.n_eips, d->n_builds, d->n_incremental,
                  d->model_usec);
    if (d->n_skipped) {
        ds_put_format(&s, "  %d rows skipped (see the log)\n", d->n_skipped);
    }
    if (d->problems.n) {
        ds_put_format(&s, "  %"PRIuSIZE" inconsistencies in the northbound "
                      "database:\n", d->problems.n);
        for (size_t i = 0; i < d->problems.n; i++) {
            ds_put_format(&s, "    %s\n", d->problems.names[i]);
        }
    }

    /* "In sync" only once an audit read the switch's flows back and found
     * them as they should be; a confirmed bundle alone is "installed". */
    sorted = shash_sort(&d->hosts);
    for (size_t i = 0; i < shash_count(&d->hosts); i++) {
        n_synced += hostctl_is_checked(sorted[i]->data);
        n_installed += hostctl_is_synced(sorted[i]->data);
    }
    ds_put_format(&s, "hosts: %"PRIuSIZE" managed, %"PRIuSIZE" in sync",
                  shash_count(&d->hosts), n_synced);
    if (n_installed > n_synced) {
        ds_put_format(&s, ", %"PRIuSIZE" installed but not checked in sync",
                      n_installed - n_synced);
    }
    ds_put_char(&s, '\n');
    for (size_t i = 0; i < shash_count(&d->hosts); i++) {
        hostctl_format_status(sorted[i]->data, &s);
    }
    free(sorted);

    sorted = shash_sort(&d->host_errors);
    for (size_t i = 0; i < shash_count(&d->host_errors); i++) {
        ds_put_format(&s, "host %s: %s\n", sorted[i]->name,
                      (const char *) sorted[i]->data);
    }
    free(sorted);

    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

static void
cutoverd_ctl_flows(struct control_req *req, int argc OVS_UNUSED,
                   const char *argv[], void *d_)
{
    struct cutoverd *d = d_;
    const struct hostctl *hc = shash_find_data(&d->hosts, argv[1]);
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!hc) {
        const char *why = shash_find_data(&d->host_errors, argv[1]);

        ds_put_format(&s, "host %s: %s", argv[1],
                      why ? why : "no such host in the northbound database");
        control_reply(req, false, ds_cstr(&s));
    } else if (!hostctl_format_flows(hc, &d->model, &s)) {
        control_reply(req, false, "its ports are not known yet "
                      "(see cutoverd/status)");
    } else {
        control_reply(req, true, ds_cstr(&s));
    }
    ds_destroy(&s);
}

static void
cutoverd_ctl_recompute(struct control_req *req, int argc OVS_UNUSED,
                       const char *argv[] OVS_UNUSED, void *d_)
{
    struct cutoverd *d = d_;

    /* The loop does it, at once: a handler computes and sends nothing. */
    d->rebuild = true;
    poll_immediate_wake();
    control_reply(req, true, NULL);
}

/* cutoverd/audit [HOST]: asks the host's installer (or every host's) for an
 * audit round and answers once they completed (cutoverd_answer_audits()):
 * the handler itself only asks. */
static void
cutoverd_ctl_audit(struct control_req *req, int argc, const char *argv[],
                   void *d_)
{
    struct cutoverd *d = d_;
    struct audit_req *ar;
    const struct shash_node **sorted;
    size_t n;

    if (d->role != ROLE_ACTIVE) {
        control_reply(req, false, "this cutoverd is a standby: the active "
                      "controller audits the switches");
        return;
    }
    if (argc > 1 && !shash_find(&d->hosts, argv[1])) {
        const char *why = shash_find_data(&d->host_errors, argv[1]);

        control_reply_format(req, false, "host %s: %s", argv[1],
                             why ? why : "no such host in the northbound "
                             "database");
        return;
    }
    n = argc > 1 ? 1 : shash_count(&d->hosts);
    if (!n) {
        control_reply(req, false, "no host is managed");
        return;
    }
    ar = xzalloc(sizeof *ar);
    ar->req = req;
    ar->deadline = time_msec() + AUDIT_ANSWER_TIMEOUT_MS;
    ar->hosts = xcalloc(n, sizeof *ar->hosts);
    ar->rounds = xcalloc(n, sizeof *ar->rounds);
    sorted = shash_sort(&d->hosts);
    for (size_t i = 0; i < shash_count(&d->hosts); i++) {
        if (argc > 1 && strcmp(sorted[i]->name, argv[1])) {
            continue;
        }
        ar->hosts[ar->n] = xstrdup(sorted[i]->name);
        ar->rounds[ar->n++] = hostctl_audit_request(sorted[i]->data);
    }
    free(sorted);
    ovs_list_push_back(&d->audits, &ar->node);
}

static void
audit_req_destroy(struct audit_req *ar)
{
    for (size_t i = 0; i < ar->n; i++) {
        free(ar->hosts[i]);
    }
    free(ar->hosts);
    free(ar->rounds);
    free(ar);
}

/* Answers the cutoverd/audit requests whose rounds all completed, or whose
 * time is up (then a host's answer says so). */
static void
cutoverd_answer_audits(struct cutoverd *d, bool exiting)
{
    struct audit_req *ar;

    LIST_FOR_EACH_SAFE (ar, node, &d->audits) {
        bool expired = exiting || time_msec() >= ar->deadline;
        struct ds s = DS_EMPTY_INITIALIZER;
        bool done = true;

        for (size_t i = 0; i < ar->n; i++) {
            const struct hostctl *hc = shash_find_data(&d->hosts,
                                                       ar->hosts[i]);

            if (!hc) {
                ds_put_format(&s, "%s: no longer managed\n", ar->hosts[i]);
            } else if (!hostctl_audit_answer(hc, ar->rounds[i], &s)) {
                if (!expired) {
                    done = false;
                    break;
                }
                ds_put_format(&s, "%s: no answer: %s\n", ar->hosts[i],
                              (exiting ? "cutoverd is exiting"
                               : !hostctl_is_connected(hc)
                               ? "not connected" : "the switch is busy"));
            }
        }
        if (done) {
            ovs_list_remove(&ar->node);
            control_reply(ar->req, true, ds_cstr(&s));
            audit_req_destroy(ar);
        }
        ds_destroy(&s);
    }
}

/* Sends the answers still queued on the control channels, for at most a
 * second. */
static void
flush_answers(struct unixctl_server *unixctl, struct control_server **servers)
{
    long long int deadline = time_msec() + 1000;

    for (;;) {
        bool idle = true;

        unixctl_server_run(unixctl);
        for (size_t i = 0; i < n_remotes; i++) {
            control_server_run(servers[i]);
            idle &= control_server_is_idle(servers[i]);
        }
        if (idle || time_msec() >= deadline) {
            /* OVS's unixctl sends what it can when answering: one more
             * run is all it needs. */
            return;
        }
        unixctl_server_wait(unixctl);
        for (size_t i = 0; i < n_remotes; i++) {
            control_server_wait(servers[i]);
        }
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

int
main(int argc, char *argv[])
{
    struct unixctl_server *unixctl;
    struct control_server **servers;
    struct cutoverd d;
    struct shash_node *node;
    int error;

    ovs_cmdl_proctitle_init(argc, argv);
    /* 'ovs-appctl version' says cutover's version (and the library's). */
    ovs_set_program_name(argv[0], PACKAGE_VERSION);
    service_start(&argc, &argv);
    parse_options(argc, argv);
    fatal_ignore_sigpipe();

    daemonize_start(false);
    unixctl = control_unixctl_create(unixctl_path);
    servers = xcalloc(n_remotes, sizeof *servers);
    for (size_t i = 0; i < n_remotes; i++) {
        error = control_server_create(remotes[i], &servers[i]);
        if (error) {
            ovs_fatal(error, "cannot listen on %s", remotes[i]);
        }
    }

    memset(&d, 0, sizeof d);
    model_init(&d.model);
    svec_init(&d.problems);
    shash_init(&d.hosts);
    shash_init(&d.host_errors);
    ovs_list_init(&d.audits);
    d.idl = ovsdb_idl_create(nb_db, &nbrec_idl_class, true, true);
    /* One cutoverd is active: the one that holds the lock.  (Locks are the
     * leader's, in a clustered database: the IDL connects to the leader,
     * its default, and follows it when it changes.) */
    ovsdb_idl_set_lock(d.idl, CUTOVERD_LOCK);

    d.engine = migration_engine_create(d.idl, &d.hosts, &d.model,
                                       &migration_cfg);
    control_register("exit", "", 0, 0, cutoverd_ctl_exit, &d);
    control_register("status", "", 0, 0, cutoverd_ctl_role_status, &d);
    control_register("cutoverd/status", "", 0, 0, cutoverd_ctl_status, &d);
    control_register("cutoverd/flows", "HOST", 1, 1, cutoverd_ctl_flows, &d);
    control_register("cutoverd/recompute", "", 0, 0, cutoverd_ctl_recompute,
                     &d);
    control_register("cutoverd/audit", "[HOST]", 0, 1, cutoverd_ctl_audit,
                     &d);
    daemonize_complete();
    VLOG_INFO("following the northbound database %s", nb_db);

    while (!d.exiting) {
        /* Inputs first (the database, the switches, then requests, whose
         * handlers only queue work), then the decisions, then one flush
         * that sends. */
        cutoverd_run(&d);
        unixctl_server_run(unixctl);
        for (size_t i = 0; i < n_remotes; i++) {
            control_server_run(servers[i]);
        }
        migration_engine_run(d.engine);
        cutoverd_answer_audits(&d, false);
        cutoverd_flush(&d);
        if (migration_engine_run_after(d.engine)) {
            cutoverd_flush(&d);
        }
        report_hv_cfg(&d);
        migration_engine_record(d.engine);
        if (d.exiting) {
            break;
        }
        cutoverd_wait(&d);
        unixctl_server_wait(unixctl);
        for (size_t i = 0; i < n_remotes; i++) {
            control_server_wait(servers[i]);
        }
        poll_block();
    }

    /* Exit in order: no request reaches the engine from now on, then the
     * engine answers whatever waits, then the answers go out (for up to a
     * second), then the channels close. */
    VLOG_INFO("exiting");
    control_shutdown();
    migration_engine_destroy(d.engine);
    d.engine = NULL;
    cutoverd_answer_audits(&d, true);
    flush_answers(unixctl, servers);
    for (size_t i = 0; i < n_remotes; i++) {
        control_server_destroy(servers[i]);
    }
    free(servers);

    SHASH_FOR_EACH (node, &d.hosts) {
        hostctl_destroy(node->data);
    }
    shash_destroy(&d.hosts);
    shash_destroy_free_data(&d.host_errors);
    model_destroy(&d.model);
    svec_destroy(&d.problems);
    ovsdb_idl_destroy(d.idl);
    unixctl_server_destroy(unixctl);
    service_stop();
    return 0;
}
