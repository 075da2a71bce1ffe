/* Underlay neighbour pre-resolution.  See neighbours.h. */

#include <config.h>
#include "neighbours.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "dirs.h"
#include "jsonrpc.h"
#include "kernel-neigh.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(neighbours);

/* How long to wait before trying the kernel side again after a failure. */
#define KERNEL_RETRY_MSEC 5000

/* How often ovs-vswitchd's entries are set again, unasked.  ovs-vswitchd
 * learns a peer's MAC from every VXLAN or Geneve packet it terminates
 * (ofproto-dpif-xlate.c, terminate_native_tunnel()), so a packet forged on
 * the underlay with a peer's address and another MAC sends this host's
 * tunnel traffic for that peer to the forger until the entry is set right
 * again (docs/security.md). */
#define REPIN_MSEC 5000

/* How often the control socket is looked up again, while not connected,
 * when it is found through ovs-vswitchd's pidfile. */
#define LOOKUP_MSEC 1000

struct neighbours {
    char *bridge;               /* Where the tunnel IP lives; NULL until
                                 * neighbours_set(). */
    char *vswitchd;             /* Control socket file given, or NULL: found
                                 * through the pidfile. */
    char *target;               /* The session's, "unix:FILE", or NULL. */
    long long int next_lookup;  /* When to look it up again. */
    char *lookup_error;         /* Why it was not found, or NULL. */
    struct kernel_neigh *peers;
    size_t n_peers;

    /* ovs-vswitchd side. */
    struct jsonrpc_session *session;
    unsigned int sent_seqno;    /* Session seqno the peers were sent at. */
    bool ovs_dirty;             /* Peers changed since they were sent. */
    size_t ovs_pending;         /* Requests without replies. */
    size_t ovs_set;             /* Confirmed by the last round. */
    uint64_t ovs_rounds;        /* Rounds sent (one per (re)connection or
                                 * change of peers). */
    uint64_t ovs_repins;        /* Rounds sent again every REPIN_MSEC. */
    size_t repin_pending;       /* Their requests without replies (a
                                 * periodic round leaves the host in sync
                                 * while it is under way). */
    long long int next_repin;   /* When the next one is due. */
    char *ovs_error;            /* Last error reply, or NULL. */

    /* Kernel side. */
    bool kernel_dirty;
    long long int kernel_retry; /* When to try again after an error. */
    size_t kernel_set;
    char *kernel_error;
};

struct neighbours *
neighbours_create(const char *vswitchd)
{
    struct neighbours *nb = xzalloc(sizeof *nb);

    nb->vswitchd = nullable_xstrdup(vswitchd);
    return nb;
}

void
neighbours_destroy(struct neighbours *nb)
{
    if (nb) {
        jsonrpc_session_close(nb->session);
        free(nb->bridge);
        free(nb->vswitchd);
        free(nb->target);
        free(nb->lookup_error);
        free(nb->peers);
        free(nb->ovs_error);
        free(nb->kernel_error);
        free(nb);
    }
}

void
neighbours_set(struct neighbours *nb, const char *bridge,
               const struct kernel_neigh *peers, size_t n)
{
    if (nb->bridge && !strcmp(nb->bridge, bridge) && n == nb->n_peers
        && (!n || !memcmp(peers, nb->peers, n * sizeof *peers))) {
        return;
    }
    free(nb->bridge);
    nb->bridge = xstrdup(bridge);
    free(nb->peers);
    nb->peers = n ? xmemdup(peers, n * sizeof *peers) : NULL;
    nb->n_peers = n;
    nb->ovs_dirty = nb->kernel_dirty = true;
    nb->kernel_retry = 0;
}

/* Returns the control socket target of the host's ovs-vswitchd ("unix:
 * FILE"), or NULL with an error (to free) in '*errorp'. */
static char *
lookup_target(const struct neighbours *nb, char **errorp)
{
    char *pidfile;
    pid_t pid;

    *errorp = NULL;
    if (nb->vswitchd) {
        return cli_stream_target(nb->vswitchd);
    }
    pidfile = xasprintf("%s/ovs-vswitchd.pid", ovs_rundir());
    pid = read_pidfile(pidfile);
    if (pid < 0) {
        *errorp = xasprintf("cannot read %s: %s (is ovs-vswitchd running? "
                            "--ovs-vswitchd names its control socket)",
                            pidfile, ovs_strerror(-pid));
        free(pidfile);
        return NULL;
    }
    free(pidfile);
    return xasprintf("unix:%s/ovs-vswitchd.%ld.ctl", ovs_rundir(),
                     (long int) pid);
}

/* Opens the session to ovs-vswitchd's control socket if there is none, or
 * if the socket was found through the pidfile, the session is not
 * connected and the pidfile now names another one. */
static void
update_session(struct neighbours *nb)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    char *target, *error;

    if (nb->session && (jsonrpc_session_is_connected(nb->session)
                        || time_msec() < nb->next_lookup)) {
        return;
    }
    nb->next_lookup = time_msec() + LOOKUP_MSEC;
    target = lookup_target(nb, &error);
    free(nb->lookup_error);
    nb->lookup_error = error;
    if (error) {
        VLOG_WARN_RL(&rl, "%s", error);
    }
    if (!target || nullable_string_is_equal(target, nb->target)) {
        free(target);
        return;
    }
    VLOG_INFO("ovs-vswitchd's control socket: %s", target);
    jsonrpc_session_close(nb->session);
    free(nb->target);
    nb->target = target;
    nb->session = jsonrpc_session_open(target, true);
    /* ovs-vswitchd's control server answers no echo requests. */
    jsonrpc_session_set_probe_interval(nb->session, 0);
    nb->ovs_set = nb->ovs_pending = nb->repin_pending = 0;
    nb->ovs_dirty = true;
}

/* Sends 'tnl/arp/set BRIDGE IP MAC' for every peer: a round for a new
 * connection or new peers, or, with 'repin', the periodic one. */
static void
send_ovs_round(struct neighbours *nb, bool repin)
{
    if (jsonrpc_session_get_seqno(nb->session) != nb->sent_seqno) {
        /* A new session: nothing sent on the old one will be answered. */
        nb->repin_pending = 0;
    }
    if (!repin) {
        nb->ovs_set = 0;
        nb->ovs_pending = 0;
    }
    for (size_t i = 0; i < nb->n_peers; i++) {
        struct json *params = json_array_create_empty();
        struct jsonrpc_msg *request;

        json_array_add(params, json_string_create(nb->bridge));
        json_array_add(params, json_string_create_nocopy(
                           xasprintf(IP_FMT, IP_ARGS(nb->peers[i].ip))));
        json_array_add(params, json_string_create_nocopy(
                           xasprintf(ETH_ADDR_FMT,
                                     ETH_ADDR_ARGS(nb->peers[i].mac))));
        request = jsonrpc_create_request("tnl/arp/set", params, NULL);
        if (!jsonrpc_session_send(nb->session, request)) {
            if (repin) {
                nb->repin_pending++;
            } else {
                nb->ovs_pending++;
            }
        }
    }
    if (repin) {
        nb->ovs_repins++;
    } else {
        nb->ovs_rounds++;
    }
    nb->next_repin = time_msec() + REPIN_MSEC;
    nb->ovs_dirty = false;
    nb->sent_seqno = jsonrpc_session_get_seqno(nb->session);
}

static void
run_ovs(struct neighbours *nb)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    jsonrpc_session_run(nb->session);
    for (int i = 0; i < 50; i++) {
        struct jsonrpc_msg *msg = jsonrpc_session_recv(nb->session);

        if (!msg) {
            break;
        }
        /* Replies come in the order of the requests: a periodic round's
         * first if it was sent first. */
        if (msg->type == JSONRPC_REPLY && nb->repin_pending) {
            nb->repin_pending--;
        } else if (msg->type == JSONRPC_REPLY && nb->ovs_pending) {
            nb->ovs_pending--;
            nb->ovs_set++;
        } else if (msg->type == JSONRPC_ERROR
                   && (nb->repin_pending || nb->ovs_pending)) {
            struct ds s = DS_EMPTY_INITIALIZER;

            if (nb->repin_pending) {
                nb->repin_pending--;
            } else {
                nb->ovs_pending--;
            }
            json_to_ds(msg->error, 0, &s);
            free(nb->ovs_error);
            nb->ovs_error = ds_steal_cstr(&s);
            VLOG_WARN_RL(&rl, "tnl/arp/set refused: %s", nb->ovs_error);
        }
        jsonrpc_msg_destroy(msg);
    }

    if (jsonrpc_session_is_connected(nb->session)
        && (nb->ovs_dirty
            || jsonrpc_session_get_seqno(nb->session) != nb->sent_seqno)) {
        if (jsonrpc_session_get_seqno(nb->session) != nb->sent_seqno) {
            /* A new ovs-vswitchd (or a first connection): its cache is
             * empty.  The kernel side may have been reset too. */
            nb->kernel_dirty = true;
        }
        send_ovs_round(nb, false);
    } else if (jsonrpc_session_is_connected(nb->session) && !nb->ovs_pending
               && !nb->repin_pending && time_msec() >= nb->next_repin) {
        send_ovs_round(nb, true);
    }
}

static void
run_kernel(struct neighbours *nb)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    char *error;

    if (!nb->kernel_dirty || time_msec() < nb->kernel_retry) {
        return;
    }
    nb->kernel_set = 0;
    free(nb->kernel_error);
    nb->kernel_error = NULL;
    if (kernel_neigh_set(nb->bridge, nb->peers, nb->n_peers, &error)) {
        nb->kernel_error = error;
        nb->kernel_retry = time_msec() + KERNEL_RETRY_MSEC;
        VLOG_WARN_RL(&rl, "kernel neighbours: %s", error);
        return;
    }
    nb->kernel_set = nb->n_peers;
    nb->kernel_dirty = false;
    nb->kernel_retry = 0;
}

void
neighbours_run(struct neighbours *nb)
{
    if (!nb->bridge) {
        return;
    }
    update_session(nb);
    if (nb->session) {
        run_ovs(nb);
    }
    run_kernel(nb);
}

void
neighbours_wait(struct neighbours *nb)
{
    if (!nb->bridge) {
        return;
    }
    if (!nb->session || !jsonrpc_session_is_connected(nb->session)) {
        poll_timer_wait_until(nb->next_lookup);
    }
    if (nb->session) {
        jsonrpc_session_wait(nb->session);
        jsonrpc_session_recv_wait(nb->session);
        if (jsonrpc_session_is_connected(nb->session)) {
            poll_timer_wait_until(nb->next_repin);
        }
    }
    if (nb->kernel_dirty) {
        poll_timer_wait_until(nb->kernel_retry);
    }
}

bool
neighbours_is_synced(const struct neighbours *nb)
{
    return (nb->bridge && nb->session && !nb->ovs_dirty && !nb->ovs_pending
            && nb->ovs_set == nb->n_peers && !nb->kernel_dirty
            && jsonrpc_session_is_connected(nb->session)
            && jsonrpc_session_get_seqno(nb->session) == nb->sent_seqno);
}

void
neighbours_format_status(const struct neighbours *nb, struct ds *s)
{
    if (!nb->bridge) {
        ds_put_cstr(s, "none asked for yet (neighbours/set)");
        return;
    }
    ds_put_format(s, "%"PRIuSIZE" peers on %s, ovs-vswitchd %s%s%s: "
                  "%"PRIuSIZE" set (%"PRIu64" rounds, set again %"PRIu64
                  " times), kernel: %"PRIuSIZE" set",
                  nb->n_peers, nb->bridge,
                  nb->session && jsonrpc_session_is_connected(nb->session)
                  ? "connected" : "not connected",
                  nb->target ? " at " : "", nb->target ? nb->target : "",
                  nb->ovs_set, nb->ovs_rounds, nb->ovs_repins,
                  nb->kernel_set);
    if (nb->lookup_error) {
        ds_put_format(s, ", %s", nb->lookup_error);
    }
    if (nb->ovs_error) {
        ds_put_format(s, ", last ovs-vswitchd error: %s", nb->ovs_error);
    }
    if (nb->kernel_error) {
        ds_put_format(s, ", kernel error: %s", nb->kernel_error);
    }
}
