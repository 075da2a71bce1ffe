/* Announcements as OpenFlow packet-outs.  See packet-announce.h.
 *
 * Each port being announced keeps its frames (built once, at start), when
 * its first round went out, and how many rounds have gone; the next
 * round's due time is a poll-loop timer.  Every packet-out's transaction
 * ID is remembered, so that an OFPT_ERROR from the switch, which names
 * only that, can be told about by port, round and frame.  A finished
 * port's record lingers for LINGER_MSEC, long enough for the switch's
 * errors about its last round to arrive, and is then forgotten; the
 * host's totals stay. */

#include <config.h>
#include "packet-announce.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gratuitous/frames.h"
#include "gratuitous/packet-out.h"
#include "gratuitous/schedule.h"
#include "installer.h"
#include "model.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(packet_announce);

/* How long a finished port's record is kept for the switch's errors. */
#define LINGER_MSEC 2000

/* One port being announced (or just announced). */
struct pa_port {
    struct hmap_node node;      /* In 'ports', by name. */
    char *name;
    struct frame *frames;
    size_t n_frames;
    long long int start;        /* When round 1 went out (msec). */
    unsigned int rounds;        /* Rounds in all: the schedule's, or 1. */
    bool claim;                 /* A claim (packet_announce_claim()). */
    unsigned int rounds_sent;   /* Rounds handed to the switch so far. */
    long long int forget_at;    /* Finished: forgotten then (msec). */

    /* The transaction IDs of its packet-outs, round after round. */
    uint32_t *xids;
    size_t n_xids, allocated_xids;
};

struct packet_announce {
    char *host;
    struct installer *installer;
    struct schedule_params schedule;
    struct hmap ports;

    /* Totals, for the status. */
    uint64_t n_started;
    uint64_t n_cancelled;
    uint64_t n_rounds;          /* Rounds of which something was sent. */
    uint64_t n_sent;            /* Packet-outs handed to the switch. */
    uint64_t n_unsent;          /* Not handed over (not connected). */
    uint64_t n_refused;         /* Answered with an OFPT_ERROR. */
    uint64_t n_claims;          /* Claims, counted apart from the above. */
    uint64_t n_claim_frames;    /* Their frames handed to the switch. */
    char *last_error;
};

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

static void handle_error(uint32_t xid, enum ofperr, void *pa_);

struct packet_announce *
packet_announce_create(const char *host, struct installer *installer)
{
    struct packet_announce *pa = xzalloc(sizeof *pa);

    pa->host = xstrdup(host);
    pa->installer = installer;
    pa->schedule = (struct schedule_params) SCHEDULE_PARAMS_DEFAULT;
    hmap_init(&pa->ports);
    installer_set_error_handler(installer, handle_error, pa);
    return pa;
}

static void
port_free(struct packet_announce *pa, struct pa_port *port)
{
    hmap_remove(&pa->ports, &port->node);
    free(port->name);
    free(port->frames);
    free(port->xids);
    free(port);
}

void
packet_announce_destroy(struct packet_announce *pa)
{
    if (pa) {
        struct pa_port *port;

        installer_set_error_handler(pa->installer, NULL, NULL);
        HMAP_FOR_EACH_SAFE (port, node, &pa->ports) {
            port_free(pa, port);
        }
        hmap_destroy(&pa->ports);
        free(pa->host);
        free(pa->last_error);
        free(pa);
    }
}

size_t
packet_announce_identities(const struct model *model,
                           const struct model_port *p,
                           struct announce_identity **idsp)
{
    struct announce_identity *ids = xmalloc((1 + model->n_eips)
                                            * sizeof *ids);
    size_t n = 0;

    ids[n++] = (struct announce_identity) {
        .spec = {
            .mac = p->mac,
            .rarp = true,
            .ipv4 = p->ipv4,
            .n_ipv4 = p->n_ipv4,
            .ipv6 = p->ipv6,
            .n_ipv6 = p->n_ipv6,
        },
        .physical = (p->subnet && p->subnet->network
                     && p->subnet->network->kind == MODEL_NET_VLAN),
    };
    for (size_t i = 0; i < model->n_eips; i++) {
        const struct model_eip *eip = model->eips[i];

        if (eip->port == p) {
            ids[n++] = (struct announce_identity) {
                .spec = {
                    .mac = eip->mac,
                    .rarp = true,
                    .ipv4 = &eip->addr,
                    .n_ipv4 = 1,
                },
                .physical = true,
            };
        }
    }
    *idsp = ids;
    return n;
}

/* Builds into '*framesp' (to free) the frames of the 'n' identities 'ids',
 * in order; with 'claim', only the RARP of each identity that is
 * 'physical'.  Returns 0 or EINVAL, with nothing allocated. */
static int
build_identities(const struct announce_identity *ids, size_t n_ids,
                 bool claim, struct frame **framesp, size_t *np)
{
    struct frame *frames;
    size_t max = 0, n = 0;
    int error = 0;

    for (size_t i = 0; i < n_ids; i++) {
        max += claim ? ids[i].physical : frames_count(&ids[i].spec);
    }
    frames = xmalloc(MAX(max, 1) * sizeof *frames);
    for (size_t i = 0; !error && i < n_ids; i++) {
        struct frames_spec rarp = { .mac = ids[i].spec.mac, .rarp = true };
        size_t n_one = 0;

        if (!claim) {
            error = frames_build_all(&ids[i].spec, &frames[n], max - n,
                                     &n_one);
        } else if (ids[i].physical) {
            error = frames_build_all(&rarp, &frames[n], max - n, &n_one);
        }
        n += n_one;
    }
    if (error) {
        free(frames);
        return error;
    }
    *framesp = frames;
    *np = n;
    return 0;
}

int
packet_announce_build(const struct model *model, const struct model_port *p,
                      struct frame **framesp, size_t *np)
{
    struct announce_identity *ids;
    size_t n_ids = packet_announce_identities(model, p, &ids);
    int error = build_identities(ids, n_ids, false, framesp, np);

    free(ids);
    return error;
}

static struct pa_port *
find_port(const struct packet_announce *pa, const char *name)
{
    struct pa_port *port;

    HMAP_FOR_EACH_WITH_HASH (port, node, hash_string(name, 0), &pa->ports) {
        if (!strcmp(port->name, name)) {
            return port;
        }
    }
    return NULL;
}

static bool
port_is_running(const struct packet_announce *pa, const struct pa_port *port)
{
    return port->rounds_sent < port->rounds;
}

/* When the port's next round is due (msec). */
static long long int
next_due(const struct packet_announce *pa, const struct pa_port *port)
{
    return port->start + schedule_offset_ms(&pa->schedule, port->rounds_sent);
}

/* Hands the switch the port's next round.  Returns how many of its frames
 * were handed over, and stores the first error, if any, in '*errorp'. */
static size_t
send_round(struct packet_announce *pa, struct pa_port *port, int *errorp)
{
    int version = installer_get_version(pa->installer);
    int conn_error = (version < 0 ? ENOTCONN
                      : !(PACKET_OUT_VERSIONS & (1u << version))
                      ? EPROTONOSUPPORT : 0);
    size_t n_sent = 0;

    *errorp = 0;
    for (size_t i = 0; i < port->n_frames; i++) {
        struct ofpbuf *msg;
        uint32_t xid = 0;
        int error;

        if (conn_error) {
            error = conn_error;
        } else {
            msg = packet_out_encode(&port->frames[i], version,
                                    OFPP_CONTROLLER, OFPP_TABLE);
            xid = ntohl(((const struct ofp_header *) msg->data)->xid);
            error = installer_send_raw(pa->installer, msg);
        }
        if (error) {
            *errorp = *errorp ? *errorp : error;
            pa->n_unsent++;
            continue;
        }
        if (port->n_xids >= port->allocated_xids) {
            port->xids = x2nrealloc(port->xids, &port->allocated_xids,
                                    sizeof *port->xids);
        }
        port->xids[port->n_xids++] = xid;
        n_sent++;
    }
    port->rounds_sent++;
    if (port->claim) {
        pa->n_claim_frames += n_sent;
    } else {
        pa->n_sent += n_sent;
        pa->n_rounds += n_sent > 0;
    }
    if (!port_is_running(pa, port)) {
        port->forget_at = time_msec() + LINGER_MSEC;
    }
    return n_sent;
}

/* Appends what makes 'p''s frames impossible to build. */
static void
put_build_error(const struct model_port *p, struct ds *s)
{
    const char *why = frames_check_mac(&p->mac);

    if (why) {
        ds_put_format(s, "MAC "ETH_ADDR_FMT" %s", ETH_ADDR_ARGS(p->mac), why);
        return;
    }
    for (size_t i = 0; i < p->n_ipv4; i++) {
        why = frames_check_ipv4(p->ipv4[i]);
        if (why) {
            ds_put_format(s, "address "IP_FMT" %s", IP_ARGS(p->ipv4[i]), why);
            return;
        }
    }
    for (size_t i = 0; i < p->n_ipv6; i++) {
        why = frames_check_ipv6(&p->ipv6[i]);
        if (why) {
            ds_put_cstr(s, "address ");
            ipv6_format_addr(&p->ipv6[i], s);
            ds_put_format(s, " %s", why);
            return;
        }
    }
    ds_put_cstr(s, "an elastic IP's MAC or address cannot be announced");
}

static void
set_last_error(struct packet_announce *pa, char *error)
{
    free(pa->last_error);
    pa->last_error = error;
}

/* Appends to 'result' why 'p''s 'what' cannot be built, and keeps it as
 * the last error. */
static void
report_build_error(struct packet_announce *pa, const struct model_port *p,
                   const char *what, struct ds *result)
{
    size_t result_start = result->length;

    ds_put_format(result, "cannot build %s's %s: ", p->name, what);
    put_build_error(p, result);
    set_last_error(pa, xstrdup(ds_cstr(result) + result_start));
}

/* Hands the switch the first of 'rounds' rounds of 'frames' (taken) for
 * port 'name', the others to follow on the schedule; 'claim' says whether
 * this is a claim, counted apart in the status.  Returns 0 and appends "round 1 of R, N frames" to 'result', or
 * returns a positive errno, appends why to 'result' and announces
 * nothing. */
static int
announce(struct packet_announce *pa, const char *name, bool claim,
         struct frame *frames, size_t n_frames, unsigned int rounds,
         struct ds *result)
{
    size_t result_start = result->length;
    struct pa_port *port;
    size_t n_sent;
    int error;

    port = find_port(pa, name);
    if (!port) {
        port = xzalloc(sizeof *port);
        port->name = xstrdup(name);
        hmap_insert(&pa->ports, &port->node, hash_string(name, 0));
    }
    free(port->frames);
    port->frames = frames;
    port->n_frames = n_frames;
    port->start = time_msec();
    port->rounds = rounds;
    port->claim = claim;
    port->rounds_sent = 0;
    port->n_xids = 0;

    n_sent = send_round(pa, port, &error);
    if (!n_sent && n_frames) {
        if (error == ENOTCONN) {
            ds_put_format(result, "%s's switch is not connected", pa->host);
        } else {
            ds_put_format(result, "%s's switch cannot take packet-outs (%s)",
                          pa->host, ovs_strerror(error));
        }
        ds_put_cstr(result, ": nothing announced");
        set_last_error(pa, xasprintf("%s: %s", name,
                                     ds_cstr(result) + result_start));
        port_free(pa, port);
        return error;
    }
    if (claim) {
        pa->n_claims++;
    } else {
        pa->n_started++;
    }
    ds_put_format(result, "round 1 of %u, ", rounds);
    if (n_sent < n_frames) {
        ds_put_format(result, "%"PRIuSIZE" of ", n_sent);
    }
    ds_put_format(result, "%"PRIuSIZE" frame%s", n_frames,
                  n_frames == 1 ? "" : "s");
    if (error) {
        ds_put_format(result, " (%s)", ovs_strerror(error));
    }
    VLOG_INFO("%s: %s %s with packet-outs: %s", pa->host,
              claim ? "claiming the MACs of" : "announcing", name,
              ds_cstr(result) + result_start);
    return 0;
}

int
packet_announce_start(struct packet_announce *pa, const struct model *model,
                      const struct model_port *p, struct ds *result)
{
    struct frame *frames;
    size_t n_frames;
    int error;

    error = packet_announce_build(model, p, &frames, &n_frames);
    if (error) {
        report_build_error(pa, p, "frames", result);
        return error;
    }
    return announce(pa, p->name, false, frames, n_frames,
                    pa->schedule.rounds, result);
}

int
packet_announce_build_claim(const struct model *model,
                            const struct model_port *p,
                            struct frame **framesp, size_t *np)
{
    struct announce_identity *ids;
    size_t n_ids = packet_announce_identities(model, p, &ids);
    int error = build_identities(ids, n_ids, true, framesp, np);

    free(ids);
    return error;
}

int
packet_announce_claim(struct packet_announce *pa, const struct model *model,
                      const struct model_port *p, struct ds *result)
{
    struct frame *frames;
    size_t n_frames;
    int error;

    error = packet_announce_build_claim(model, p, &frames, &n_frames);
    if (error) {
        report_build_error(pa, p, "RARPs", result);
        return error;
    }
    if (!n_frames) {
        free(frames);
        ds_put_format(result, "nothing to claim: %s has no MAC on a "
                      "provider network", p->name);
        return 0;
    }
    return announce(pa, p->name, true, frames, n_frames, 1, result);
}

void
packet_announce_cancel(struct packet_announce *pa, const char *name)
{
    struct pa_port *port = find_port(pa, name);

    if (port && port_is_running(pa, port)) {
        VLOG_INFO("%s: announcement of %s cancelled after round %u of %u",
                  pa->host, name, port->rounds_sent, port->rounds);
        pa->n_cancelled++;
        port_free(pa, port);
    }
}

bool
packet_announce_is_running(const struct packet_announce *pa,
                           const char *name)
{
    const struct pa_port *port = find_port(pa, name);

    return port && port_is_running(pa, port);
}

void
packet_announce_run(struct packet_announce *pa)
{
    long long int now = time_msec();
    struct pa_port *port;

    HMAP_FOR_EACH_SAFE (port, node, &pa->ports) {
        while (port_is_running(pa, port) && now >= next_due(pa, port)) {
            size_t n_sent;
            int error;

            n_sent = send_round(pa, port, &error);
            if (error) {
                set_last_error(pa, xasprintf(
                                   "round %u of %s: %"PRIuSIZE" of %"
                                   PRIuSIZE" packet-outs not sent (%s)",
                                   port->rounds_sent, port->name,
                                   port->n_frames - n_sent,
                                   port->n_frames,
                                   ovs_strerror(error)));
                VLOG_WARN_RL(&rl, "%s: %s", pa->host, pa->last_error);
            }
        }
        if (!port_is_running(pa, port) && now >= port->forget_at) {
            port_free(pa, port);
        }
    }
}

void
packet_announce_wait(struct packet_announce *pa)
{
    const struct pa_port *port;

    HMAP_FOR_EACH (port, node, &pa->ports) {
        poll_timer_wait_until(port_is_running(pa, port)
                              ? next_due(pa, port) : port->forget_at);
    }
}

/* The installer's handler for the switch's errors about messages not its
 * own: here, packet-outs. */
static void
handle_error(uint32_t xid, enum ofperr error, void *pa_)
{
    struct packet_announce *pa = pa_;
    const char *why = error ? ofperr_to_string(error) : "an unknown error";
    const struct pa_port *port;

    pa->n_refused++;
    HMAP_FOR_EACH (port, node, &pa->ports) {
        for (size_t i = 0; i < port->n_xids; i++) {
            if (port->xids[i] == xid) {
                set_last_error(pa, xasprintf(
                                   "the switch refused the packet-out of "
                                   "frame %"PRIuSIZE" of round %"PRIuSIZE
                                   " of %s: %s", i % port->n_frames + 1,
                                   i / port->n_frames + 1, port->name,
                                   why));
                VLOG_WARN_RL(&rl, "%s: %s", pa->host, pa->last_error);
                return;
            }
        }
    }
    set_last_error(pa, xasprintf("the switch refused a packet-out (xid %#"
                                 PRIx32"): %s", xid, why));
    VLOG_WARN_RL(&rl, "%s: %s", pa->host, pa->last_error);
}

void
packet_announce_format_status(const struct packet_announce *pa,
                              struct ds *s)
{
    const struct pa_port *port;

    if (!pa->n_started && !pa->n_claims && !pa->n_refused
        && !pa->last_error) {
        return;
    }
    ds_put_format(s, "  packet-out announcements: %"PRIu64" started (%"
                  PRIu64" cancelled), %"PRIu64" rounds, %"PRIu64" frames "
                  "handed to the switch, %"PRIu64" not sent, %"PRIu64
                  " refused\n", pa->n_started, pa->n_cancelled, pa->n_rounds,
                  pa->n_sent, pa->n_unsent, pa->n_refused);
    if (pa->n_claims) {
        ds_put_format(s, "  packet-out claims: %"PRIu64" (%"PRIu64
                      " frames handed to the switch)\n", pa->n_claims,
                      pa->n_claim_frames);
    }
    HMAP_FOR_EACH (port, node, &pa->ports) {
        if (port_is_running(pa, port)) {
            ds_put_format(s, "    %s: round %u of %u sent, %"PRIuSIZE
                          " frames a round\n", port->name, port->rounds_sent,
                          port->rounds, port->n_frames);
        }
    }
    if (pa->last_error) {
        ds_put_format(s, "    last error: %s\n", pa->last_error);
    }
}
