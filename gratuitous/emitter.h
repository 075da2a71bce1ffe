/* Emitters: what puts announcement frames on a wire.
 *
 * An emitter is opened on a target (for AF_PACKET, a kernel interface's
 * name; for packet-out, an OpenFlow connection), sends batches of frames
 * built by frames.h, and is closed.  That is the whole interface, so that
 * the emitters are twins behind it:
 *
 *   af_packet   a raw AF_PACKET socket on a kernel interface
 *               (emit-af-packet.c; needs CAP_NET_RAW);
 *   packet-out  OpenFlow packet-outs to a switch, which sends the frames
 *               through its flow table (emit-packet-out.c, packet-out.h).
 *               Target: a vconn name such as unix:/var/run/openvswitch/
 *               br-int.mgmt or tcp:192.0.2.1:6653, optionally followed by
 *               ",out_port=PORT" to send out of PORT (a number or a name
 *               such as LOCAL) instead of through the table.
 *
 * DPDK is not an emitter: cutover-announcer (announcer.c,
 * announcer-dpdk.c) is a daemon whose frames are built once, into mbufs,
 * when a port is registered, and sent in bursts when it fires, which this
 * open-send-close interface cannot express.
 *
 * A new emitter is a struct emitter_class (emitter-provider.h) and one line
 * in emitter.c's table.  An emitter is used by one thread at a time. */

#ifndef GRATUITOUS_EMITTER_H
#define GRATUITOUS_EMITTER_H 1

#include <stdbool.h>
#include <stddef.h>

#include "openvswitch/compiler.h"

struct ds;
struct emitter;
struct frame;

/* The name of the emitter used when none is asked for. */
#define EMITTER_DEFAULT "af_packet"

/* Opens an emitter of type 'type' (e.g. "af_packet") on 'target' and stores
 * it in '*emitterp'.  Returns 0 or a positive errno: EAFNOSUPPORT for an
 * unknown type, ENODEV for a target that does not exist, EINVAL for a
 * target that is not of the type's form, EPROTONOSUPPORT for a switch with
 * no OpenFlow version in common, ECONNREFUSED, ENOENT, ETIMEDOUT... for
 * one that cannot be reached. */
int emitter_open(const char *type, const char *target,
                 struct emitter **emitterp) OVS_WARN_UNUSED_RESULT;

/* Sends the 'n' frames of 'frames', in order.  Stores how many were sent in
 * '*n_sent' and returns 0 if all were, otherwise the error that stopped the
 * first frame not sent (the others after it are not tried).
 *
 * An emitter that hands its frames to a switch (packet-out) hands over all
 * of them before it learns which the switch refused: then '*n_sent' counts
 * the frames the switch did not refuse and the error is EPROTO, and
 * emitter_error_detail() says what the switch said. */
int emitter_send(struct emitter *, const struct frame *frames, size_t n,
                 size_t *n_sent);

/* What made the last emitter_send() on 'emitter' fail, beyond its errno
 * (e.g. "the switch refused 3 of 3 packet-outs, the first (frame 1) with
 * OFPBAC_BAD_OUT_PORT (...)"), or NULL if it said nothing more or did not
 * fail. */
const char *emitter_error_detail(const struct emitter *);

/* Closes 'emitter' (which may be NULL). */
void emitter_close(struct emitter *);

/* The type and target 'emitter' was opened with. */
const char *emitter_type(const struct emitter *);
const char *emitter_target(const struct emitter *);

/* Whether 'type' names an emitter this build has. */
bool emitter_has_type(const char *type);

/* Appends the types of emitter this build has to 'ds', separated by ", ". */
void emitter_format_types(struct ds *);

#endif /* emitter.h */
