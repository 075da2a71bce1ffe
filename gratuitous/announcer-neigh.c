/* cutover-announcer's tunnel neighbours.  See announcer-neigh.h. */

#include <config.h>
#include "announcer-neigh.h"

#include <inttypes.h>
#include <stdlib.h>

#include "announcer-args.h"
#include "control.h"
#include "kernel-neigh.h"
#include "neighbours.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announcer_neigh);

/* A "neighbours/set" not answered yet: it is, once both sides have every
 * peer of the newest set (an older request is answered then too: what it
 * asked for was replaced by what was asked after it). */
struct pending_set {
    struct ovs_list node;
    struct control_req *req;
};

struct announcer_neigh {
    struct neighbours *neighbours;
    struct ovs_list pending;    /* struct pending_set. */
    uint64_t n_sets;            /* neighbours/set commands taken. */
};

static void
cmd_set(struct control_req *req, int argc, const char *argv[], void *an_)
{
    struct announcer_neigh *an = an_;
    struct announcer_neighbours parsed;
    struct pending_set *ps;
    char *error;

    error = announcer_parse_neighbours(argc - 1, argv + 1, &parsed);
    if (error) {
        control_reply_format(req, false, "neighbours/set: %s", error);
        free(error);
        return;
    }
    neighbours_set(an->neighbours, parsed.bridge, parsed.peers,
                   parsed.n_peers);
    free(parsed.peers);
    an->n_sets++;

    ps = xmalloc(sizeof *ps);
    ps->req = req;
    ovs_list_push_back(&an->pending, &ps->node);
    /* Answered by announcer_neigh_run(), perhaps in this very iteration
     * if nothing changed. */
}

static void
cmd_show(struct control_req *req, int argc OVS_UNUSED,
         const char *argv[] OVS_UNUSED, void *an_)
{
    struct announcer_neigh *an = an_;
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_cstr(&s, "neighbours: ");
    neighbours_format_status(an->neighbours, &s);
    ds_put_format(&s, "\n%s, %"PRIu64" neighbours/set taken, %"PRIuSIZE
                  " waiting\n",
                  neighbours_is_synced(an->neighbours) ? "in sync"
                  : "not in sync", an->n_sets, ovs_list_size(&an->pending));
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

struct announcer_neigh *
announcer_neigh_create(const char *vswitchd_unixctl)
{
    struct announcer_neigh *an = xzalloc(sizeof *an);

    an->neighbours = neighbours_create(vswitchd_unixctl);
    ovs_list_init(&an->pending);
    control_register_fenced("neighbours/set", "BRIDGE [IP=MAC...]", 1,
                     1 + ANNOUNCER_MAX_PEERS, cmd_set, an);
    control_register("neighbours/show", "", 0, 0, cmd_show, an);
    return an;
}

void
announcer_neigh_destroy(struct announcer_neigh *an)
{
    if (an) {
        struct pending_set *ps;

        LIST_FOR_EACH_POP (ps, node, &an->pending) {
            control_reply(ps->req, false, "the agent is exiting");
            free(ps);
        }
        neighbours_destroy(an->neighbours);
        free(an);
    }
}

void
announcer_neigh_run(struct announcer_neigh *an)
{
    struct pending_set *ps;

    neighbours_run(an->neighbours);
    if (ovs_list_is_empty(&an->pending)
        || !neighbours_is_synced(an->neighbours)) {
        return;
    }

    struct ds s = DS_EMPTY_INITIALIZER;

    neighbours_format_status(an->neighbours, &s);
    LIST_FOR_EACH_POP (ps, node, &an->pending) {
        control_reply(ps->req, true, ds_cstr(&s));
        free(ps);
    }
    ds_destroy(&s);
}

void
announcer_neigh_wait(struct announcer_neigh *an)
{
    neighbours_wait(an->neighbours);
    if (!ovs_list_is_empty(&an->pending)
        && neighbours_is_synced(an->neighbours)) {
        poll_immediate_wake();
    }
}
