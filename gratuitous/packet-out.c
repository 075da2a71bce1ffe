/* Packet-outs: announcement frames as OpenFlow messages.  See
 * packet-out.h. */

#include <config.h>
#include "packet-out.h"

#include <stdint.h>

#include "frames.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"

struct ofpbuf *
packet_out_encode(const struct frame *frame, enum ofp_version version,
                  ofp_port_t in_port, ofp_port_t out_port)
{
    uint64_t ofpacts_stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);
    struct ofputil_packet_out po;
    struct ofpact_output *output;
    struct ofpbuf *msg;

    output = ofpact_put_OUTPUT(&ofpacts);
    output->port = out_port;
    /* Only an output to the controller uses it: the whole frame. */
    output->max_len = UINT16_MAX;

    po.packet = frame->data;
    po.packet_len = frame->len;
    po.buffer_id = UINT32_MAX;
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, in_port);
    po.ofpacts = ofpacts.data;
    po.ofpacts_len = ofpacts.size;

    msg = ofputil_encode_packet_out(
        &po, ofputil_protocol_from_ofp_version(version));
    ofpbuf_uninit(&ofpacts);
    return msg;
}
