/* Packet-outs: announcement frames as OpenFlow messages.
 *
 * A host whose switch has no fast path of its own (no DPDK announcer) still
 * announces a VM: it hands each frame to its switch in an OpenFlow
 * packet-out, and the switch sends it.  By default the packet-out says "in
 * port CONTROLLER, output to TABLE", so the frame goes through the flow
 * table as if it had arrived from the controller port: the pipeline
 * classifies in_port=CONTROLLER frames and sends them where announcements
 * go (tunnels, the provider network).  An explicit output port bypasses the
 * table.
 *
 * Pure: encoding talks to no switch, so that the packet-out emitter
 * (emit-packet-out.c, on a blocking vconn) and cutoverd (on its own rconn)
 * share it. */

#ifndef GRATUITOUS_PACKET_OUT_H
#define GRATUITOUS_PACKET_OUT_H 1

#include "openflow/openflow-common.h"
#include "openvswitch/types.h"

struct frame;
struct ofpbuf;

/* The OpenFlow versions packet-outs are sent with: 1.3 to 1.5, as the
 * integration bridge allows (a bitmap for vconn_open()). */
#define PACKET_OUT_VERSIONS ((1u << OFP13_VERSION)      \
                             | (1u << OFP14_VERSION)    \
                             | (1u << OFP15_VERSION))

/* Returns a new OpenFlow 'version' packet-out that carries 'frame' (no
 * switch buffer: the bytes are in the message), as if it had arrived on
 * 'in_port' (usually OFPP_CONTROLLER), with one action: output to
 * 'out_port' (OFPP_TABLE: through the flow table, starting at table 0; or a
 * port).  The message has a fresh transaction ID; the caller sends or frees
 * it. */
struct ofpbuf *packet_out_encode(const struct frame *, enum ofp_version,
                                 ofp_port_t in_port, ofp_port_t out_port);

#endif /* packet-out.h */
