/* The packet-out emitter: announcement frames handed to an OpenFlow switch.
 *
 * One OpenFlow connection (a vconn, OpenFlow 1.3 to 1.5), opened and used
 * blocking.  A batch goes out as one packet-out per frame (packet-out.h: in
 * port CONTROLLER, output to TABLE unless the target names a port), back to
 * back, then one barrier: the switch has processed every packet-out when
 * the barrier's reply arrives, and has answered each it refused with an
 * OFPT_ERROR that carries the packet-out's transaction ID before that.  A
 * switch that does not answer within SWITCH_TIMEOUT_MSEC is given up on.
 * A batch that loses the connection fails; the next batch connects again
 * (a switch restarted between two rounds of an announcement is found).
 *
 * The switch decides what it refuses (an output port it does not have, a
 * controller connection that may not send packet-outs): this emitter
 * reports it, naming the OpenFlow error, and does not guess. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emitter-provider.h"
#include "fatal-signal.h"
#include "frames.h"
#include "openflow/openflow.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vconn.h"
#include "packet-out.h"
#include "socket-util.h"
#include "timeval.h"
#include "util.h"

/* How long connecting, or a batch's barrier reply, may take. */
#define SWITCH_TIMEOUT_MSEC 5000

/* What separates a vconn name from the output port in a target. */
#define OUT_PORT_OPTION ",out_port="

struct emitter_packet_out {
    struct emitter up;
    char *name;                 /* The vconn name. */
    struct vconn *vconn;        /* NULL after the connection broke. */
    enum ofp_version version;
    ofp_port_t out_port;        /* OFPP_TABLE, or the port to send out of. */
};

/* What the switch said about one batch. */
struct batch_result {
    ovs_be32 *xids;             /* Each packet-out's transaction ID. */
    size_t n;
    size_t n_refused;           /* Packet-outs answered with an error. */
    size_t first_refused;       /* Index of the first of them. */
    enum ofperr first_error;    /* What the switch said about it. */
};

static struct emitter_packet_out *
emitter_packet_out_cast(struct emitter *emitter)
{
    return CONTAINER_OF(emitter, struct emitter_packet_out, up);
}

/* Splits 'target' into a newly allocated vconn name in '*namep' and the
 * output port in '*out_port'.  Returns 0 or EINVAL. */
static int
parse_target(const char *target, char **namep, ofp_port_t *out_port)
{
    const char *option = strstr(target, OUT_PORT_OPTION);

    *out_port = OFPP_TABLE;
    if (!option) {
        *namep = xstrdup(target);
    } else {
        const char *port = option + strlen(OUT_PORT_OPTION);

        if (!ofputil_port_from_string(port, NULL, out_port)) {
            return EINVAL;
        }
        *namep = xmemdup0(target, option - target);
    }
    if (vconn_verify_name(*namep)) {
        free(*namep);
        *namep = NULL;
        return EINVAL;
    }
    return 0;
}

/* Connects 'e' to its switch.  Returns 0 or a positive errno. */
static int
connect_switch(struct emitter_packet_out *e)
{
    int error;

    /* Any version is accepted in the hellos, and one we do not speak is
     * refused afterwards: refusing it in the hello would race with the
     * switch's own refusal, which may close the connection first and turn
     * the failure into EPIPE or ECONNRESET. */
    error = vconn_open_block(e->name, OFPUTIL_SUPPORTED_VERSIONS,
                             DSCP_DEFAULT, SWITCH_TIMEOUT_MSEC, &e->vconn);
    if (error) {
        return error;
    }
    e->version = vconn_get_version(e->vconn);
    if (!(PACKET_OUT_VERSIONS & (1u << e->version))) {
        vconn_close(e->vconn);
        e->vconn = NULL;
        return EPROTONOSUPPORT;
    }
    return 0;
}

static int
packet_out_open(const char *target, struct emitter **emitterp)
{
    struct emitter_packet_out *e = xzalloc(sizeof *e);
    int error;

    /* A switch that goes away must make a send fail, not kill the process
     * (every OVS program that talks OpenFlow does the same). */
    fatal_ignore_sigpipe();

    error = parse_target(target, &e->name, &e->out_port);
    if (!error) {
        error = connect_switch(e);
    }
    if (error) {
        free(e->name);
        free(e);
        return error;
    }
    *emitterp = &e->up;
    return 0;
}

/* Takes note of 'msg', a message from the switch during a batch, and frees
 * it.  Answers echo requests, so that a switch that probes us during a long
 * batch keeps the connection. */
static void
handle_reply(struct emitter_packet_out *e, struct ofpbuf *msg,
             struct batch_result *r)
{
    const struct ofp_header *oh = msg->data;
    enum ofptype type;

    if (ofptype_decode(&type, oh)) {
        ofpbuf_delete(msg);
        return;
    }
    if (type == OFPTYPE_ERROR) {
        for (size_t i = 0; i < r->n; i++) {
            if (r->xids[i] == oh->xid) {
                if (!r->n_refused++ || i < r->first_refused) {
                    r->first_refused = i;
                    r->first_error = ofperr_decode_msg(oh, NULL);
                }
                break;
            }
        }
    } else if (type == OFPTYPE_ECHO_REQUEST) {
        /* If this cannot be sent now, the next probe will be answered. */
        vconn_send(e->vconn, ofputil_encode_echo_reply(oh));
    }
    ofpbuf_delete(msg);
}

/* Receives what the switch has sent so far.  Returns 0, or the error that
 * broke the connection. */
static int
drain(struct emitter_packet_out *e, struct batch_result *r)
{
    for (;;) {
        struct ofpbuf *msg;
        int error = vconn_recv(e->vconn, &msg);

        if (error) {
            return error == EAGAIN ? 0 : error;
        }
        handle_reply(e, msg, r);
    }
}

/* Waits for the switch until 'deadline' (msec).  Returns 0, or ETIMEDOUT
 * if the deadline passed. */
static int
wait_switch(struct emitter_packet_out *e, bool sending, long long deadline)
{
    if (time_msec() >= deadline) {
        return ETIMEDOUT;
    }
    vconn_run_wait(e->vconn);
    vconn_recv_wait(e->vconn);
    if (sending) {
        vconn_send_wait(e->vconn);
    }
    poll_timer_wait_until(deadline);
    poll_block();
    return 0;
}

/* Sends 'msg' (and frees it), receiving whatever the switch sends meanwhile.
 * Returns 0 or a positive errno. */
static int
send_msg(struct emitter_packet_out *e, struct ofpbuf *msg,
         struct batch_result *r, long long deadline)
{
    for (;;) {
        int error = vconn_send(e->vconn, msg);

        if (error != EAGAIN) {
            if (error) {
                ofpbuf_delete(msg);
            }
            return error;
        }
        vconn_run(e->vconn);
        error = drain(e, r);
        if (!error) {
            error = wait_switch(e, true, deadline);
        }
        if (error) {
            ofpbuf_delete(msg);
            return error;
        }
    }
}

/* Receives until the reply to the barrier with 'barrier_xid'.  Returns 0 or
 * a positive errno. */
static int
wait_barrier(struct emitter_packet_out *e, ovs_be32 barrier_xid,
             struct batch_result *r, long long deadline)
{
    for (;;) {
        struct ofpbuf *msg;
        int error;

        vconn_run(e->vconn);
        error = vconn_recv(e->vconn, &msg);
        if (!error) {
            bool done = ((const struct ofp_header *) msg->data)->xid
                        == barrier_xid;

            handle_reply(e, msg, r);
            if (done) {
                return 0;
            }
            continue;
        } else if (error != EAGAIN) {
            return error;
        }
        error = wait_switch(e, false, deadline);
        if (error) {
            return error;
        }
    }
}

/* Sends the packet-outs for 'frames' and a barrier, and waits for the
 * barrier's reply, noting in 'r' what the switch refused.  Returns 0 or a
 * positive errno. */
static int
send_batch(struct emitter_packet_out *e, const struct frame *frames,
           size_t n, struct batch_result *r)
{
    long long deadline = time_msec() + SWITCH_TIMEOUT_MSEC;
    struct ofpbuf *barrier;
    ovs_be32 barrier_xid;
    int error;

    for (size_t i = 0; i < n; i++) {
        struct ofpbuf *msg = packet_out_encode(&frames[i], e->version,
                                               OFPP_CONTROLLER, e->out_port);

        r->xids[i] = ((const struct ofp_header *) msg->data)->xid;
        r->n = i + 1;
        error = send_msg(e, msg, r, deadline);
        if (error) {
            return error;
        }
    }
    barrier = ofputil_encode_barrier_request(e->version);
    barrier_xid = ((const struct ofp_header *) barrier->data)->xid;
    error = send_msg(e, barrier, r, deadline);
    return error ? error : wait_barrier(e, barrier_xid, r, deadline);
}

static int
packet_out_send(struct emitter *emitter, const struct frame *frames,
                size_t n, size_t *n_sent)
{
    struct emitter_packet_out *e = emitter_packet_out_cast(emitter);
    struct batch_result r;
    int error;

    *n_sent = 0;
    if (!e->vconn) {
        error = connect_switch(e);
        if (error) {
            emitter_set_error_detail(emitter, "cannot connect to %s again "
                                     "(%s)", e->name, ovs_strerror(error));
            return error;
        }
    }

    memset(&r, 0, sizeof r);
    r.xids = xmalloc(MAX(n, 1) * sizeof *r.xids);
    error = send_batch(e, frames, n, &r);
    free(r.xids);
    if (error) {
        /* Without the barrier's reply, nothing is known to have gone out.
         * A broken connection is made anew at the next batch. */
        if (error == ETIMEDOUT) {
            emitter_set_error_detail(emitter, "%s did not confirm the "
                                     "packet-outs within %d ms", e->name,
                                     SWITCH_TIMEOUT_MSEC);
        } else {
            error = error == EOF ? ECONNRESET : error;
            emitter_set_error_detail(emitter, "lost the connection to %s",
                                     e->name);
        }
        vconn_close(e->vconn);
        e->vconn = NULL;
        return error;
    }

    *n_sent = n - r.n_refused;
    if (r.n_refused) {
        /* emitter_send() logs this, rate-limited. */
        emitter_set_error_detail(emitter, "the switch refused %"PRIuSIZE
                                 " of %"PRIuSIZE" packet-outs, the first "
                                 "(frame %"PRIuSIZE") with %s%s%s%s",
                                 r.n_refused, n, r.first_refused + 1,
                                 r.first_error
                                 ? ofperr_to_string(r.first_error)
                                 : "an error this build cannot decode",
                                 r.first_error ? " (" : "",
                                 r.first_error
                                 ? ofperr_get_description(r.first_error) : "",
                                 r.first_error ? ")" : "");
        return EPROTO;
    }
    return 0;
}

static void
packet_out_close(struct emitter *emitter)
{
    struct emitter_packet_out *e = emitter_packet_out_cast(emitter);

    vconn_close(e->vconn);
    free(e->name);
    free(e);
}

const struct emitter_class emitter_packet_out_class = {
    .type = "packet-out",
    .open = packet_out_open,
    .send = packet_out_send,
    .close = packet_out_close,
};
