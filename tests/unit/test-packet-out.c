/* Unit tests for gratuitous/packet-out.c and the packet-out emitter:
 * packet-outs decoded back as a switch decodes them (in port, actions,
 * payload) for every OpenFlow version we speak; the emitter's open errors;
 * and its batches against a fake switch in a child process that refuses
 * some packet-outs, speaks only OpenFlow 1.0, or hangs up. */

#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "emitter.h"
#include "frames.h"
#include "openflow/openflow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "packet-out.h"
#include "packets.h"
#include "socket-util.h"
#include "util.h"

static const struct eth_addr vm_mac = ETH_ADDR_C(02,00,0a,00,00,01);

/* Frames of every kind: a RARP, a gratuitous ARP, a tagged NA, a RARP. */
static size_t
build_frames(struct frame frames[4])
{
    struct in6_addr ip6;
    ovs_be32 ip4 = htonl(0x0a000001);

    assert_int_equal(inet_pton(AF_INET6, "fd00::1", &ip6), 1);
    assert_int_equal(frames_build_rarp(&vm_mac, 0, frames[0].data,
                                       sizeof frames[0].data,
                                       &frames[0].len), 0);
    assert_int_equal(frames_build_garp(&vm_mac, ip4, 0, false,
                                       frames[1].data, sizeof frames[1].data,
                                       &frames[1].len), 0);
    assert_int_equal(frames_build_na(&vm_mac, &ip6, 100, false,
                                     frames[2].data, sizeof frames[2].data,
                                     &frames[2].len), 0);
    frames[3] = frames[0];
    return 4;
}

/* Decodes 'msg' as a switch would and checks that it is a packet-out of
 * 'frame' from 'in_port' with the one action output:'out_port'. */
static void
check_decodes(const struct ofpbuf *msg, enum ofp_version version,
              const struct frame *frame, ofp_port_t in_port,
              ofp_port_t out_port)
{
    const struct ofp_header *oh = msg->data;
    struct ofpbuf ofpacts;
    struct ofputil_packet_out po;
    const struct ofpact_output *output;
    enum ofptype type;

    assert_int_equal(oh->version, version);
    assert_int_equal(ntohs(oh->length), msg->size);
    assert_int_equal(ofptype_decode(&type, oh), 0);
    assert_int_equal(type, OFPTYPE_PACKET_OUT);

    ofpbuf_init(&ofpacts, 64);
    assert_int_equal(ofputil_decode_packet_out(&po, oh, NULL, &ofpacts), 0);
    assert_int_equal(po.buffer_id, UINT32_MAX);
    assert_int_equal(po.flow_metadata.flow.in_port.ofp_port, in_port);
    assert_int_equal(po.packet_len, frame->len);
    assert_memory_equal(po.packet, frame->data, frame->len);

    /* Exactly one action: the output. */
    output = ofpact_get_OUTPUT(po.ofpacts);
    assert_int_equal(output->ofpact.type, OFPACT_OUTPUT);
    assert_int_equal(output->port, out_port);
    assert_int_equal(po.ofpacts_len, OFPACT_ALIGN(sizeof *output));
    ofpbuf_uninit(&ofpacts);
}

static void
test_encode_decode(void **state OVS_UNUSED)
{
    static const enum ofp_version versions[] = {
        OFP13_VERSION, OFP14_VERSION, OFP15_VERSION,
    };
    struct frame frames[4];
    size_t n = build_frames(frames);

    for (size_t v = 0; v < ARRAY_SIZE(versions); v++) {
        ovs_be32 prev_xid = 0;

        assert_true(PACKET_OUT_VERSIONS & (1u << versions[v]));
        for (size_t i = 0; i < n; i++) {
            struct ofpbuf *msg;

            /* Through the table, as the emitter sends them. */
            msg = packet_out_encode(&frames[i], versions[v], OFPP_CONTROLLER,
                                    OFPP_TABLE);
            check_decodes(msg, versions[v], &frames[i], OFPP_CONTROLLER,
                          OFPP_TABLE);
            /* Every message has a transaction ID of its own. */
            assert_true(((struct ofp_header *) msg->data)->xid != prev_xid);
            prev_xid = ((struct ofp_header *) msg->data)->xid;
            ofpbuf_delete(msg);

            /* Out of a port, from another port. */
            msg = packet_out_encode(&frames[i], versions[v], OFP_PORT_C(7),
                                    OFP_PORT_C(42));
            check_decodes(msg, versions[v], &frames[i], OFP_PORT_C(7),
                          OFP_PORT_C(42));
            ofpbuf_delete(msg);

            msg = packet_out_encode(&frames[i], versions[v], OFPP_CONTROLLER,
                                    OFPP_LOCAL);
            check_decodes(msg, versions[v], &frames[i], OFPP_CONTROLLER,
                          OFPP_LOCAL);
            ofpbuf_delete(msg);
        }
    }
}

static void
test_open_errors(void **state OVS_UNUSED)
{
    struct emitter *e = (struct emitter *) &e;

    assert_true(emitter_has_type("packet-out"));
    /* Not a vconn name, or a port that is neither a number nor a name. */
    assert_int_equal(emitter_open("packet-out", "br-int", &e), EINVAL);
    assert_null(e);
    assert_int_equal(emitter_open("packet-out", "", &e), EINVAL);
    assert_int_equal(emitter_open("packet-out", "unix:/nonexistent/sock,"
                                  "out_port=nowhere", &e), EINVAL);
    /* No switch there. */
    assert_int_equal(emitter_open("packet-out", "unix:/nonexistent/sock",
                                  &e), ENOENT);
    assert_null(e);
    assert_int_equal(emitter_open("packet-out", "unix:/nonexistent/sock,"
                                  "out_port=LOCAL", &e), ENOENT);
}

/* The fake switch. */
enum fake_mode {
    FAKE_REFUSE_RARP,           /* Refuses packet-outs of RARPs. */
    FAKE_OF10,                  /* Speaks only OpenFlow 1.0. */
    FAKE_HANG_UP,               /* Hangs up at the first barrier, then
                                 * behaves as FAKE_REFUSE_RARP. */
};

struct fake {
    char dir[64];
    char name[128];             /* The vconn name to connect to. */
    pid_t pid;                  /* 0 if not running. */
};

/* The one fake switch a test may run: its teardown stops it even when the
 * test fails half way. */
static struct fake fake;

/* Answers 'msg' from the emitter.  Returns false to hang up. */
static bool
fake_handle(struct vconn *vconn, struct ofpbuf *msg, bool *hang_up)
{
    const struct ofp_header *oh = msg->data;
    struct ofpbuf *reply = NULL;
    enum ofptype type;

    if (ofptype_decode(&type, oh)) {
        return true;
    }
    if (type == OFPTYPE_PACKET_OUT) {
        struct ofputil_packet_out po;
        struct ofpbuf ofpacts;

        ofpbuf_init(&ofpacts, 64);
        if (ofputil_decode_packet_out(&po, oh, NULL, &ofpacts)) {
            reply = ofperr_encode_reply(OFPERR_OFPBRC_BAD_TYPE, oh);
        } else if (po.packet_len >= 14
                   && !memcmp((const uint8_t *) po.packet + 12,
                              "\x80\x35", 2)) {
            reply = ofperr_encode_reply(OFPERR_OFPBAC_BAD_OUT_PORT, oh);
        }
        ofpbuf_uninit(&ofpacts);
    } else if (type == OFPTYPE_BARRIER_REQUEST) {
        if (*hang_up) {
            *hang_up = false;
            return false;
        }
        reply = ofpraw_alloc_reply(OFPRAW_OFPT11_BARRIER_REPLY, oh, 0);
    }
    if (reply) {
        vconn_send_block(vconn, reply);
    }
    return true;
}

/* The fake switch's process: listens, tells the parent on 'ready_fd', then
 * serves one connection after another. */
static void OVS_NO_RETURN
fake_run(const char *listen, enum fake_mode mode, int ready_fd)
{
    uint32_t versions = mode == FAKE_OF10 ? 1u << OFP10_VERSION
                                          : PACKET_OUT_VERSIONS;
    bool hang_up = mode == FAKE_HANG_UP;
    struct pvconn *pvconn;

    /* Never outlive a test run, whatever happens to the parent. */
    alarm(60);
    if (pvconn_open(listen, versions, DSCP_DEFAULT, &pvconn)) {
        _exit(1);
    }
    ignore(write(ready_fd, "x", 1));
    for (;;) {
        struct vconn *vconn;

        while (pvconn_accept(pvconn, &vconn) == EAGAIN) {
            pvconn_wait(pvconn);
            poll_block();
        }
        for (;;) {
            struct ofpbuf *msg;
            int error;

            vconn_run(vconn);
            error = vconn_recv(vconn, &msg);
            if (error == EAGAIN) {
                vconn_run_wait(vconn);
                vconn_recv_wait(vconn);
                poll_block();
                continue;
            } else if (error) {
                break;
            }
            bool keep = fake_handle(vconn, msg, &hang_up);
            ofpbuf_delete(msg);
            if (!keep) {
                break;
            }
        }
        vconn_close(vconn);
    }
}

static void
fake_start(enum fake_mode mode)
{
    int fds[2];
    char c;

    ovs_strlcpy(fake.dir, "/tmp/test-packet-out.XXXXXX", sizeof fake.dir);
    assert_non_null(mkdtemp(fake.dir));
    snprintf(fake.name, sizeof fake.name, "unix:%s/sw.sock", fake.dir);
    assert_int_equal(pipe(fds), 0);
    fake.pid = fork();
    assert_true(fake.pid >= 0);
    if (!fake.pid) {
        char listen[160];

        close(fds[0]);
        snprintf(listen, sizeof listen, "p%s", fake.name);
        fake_run(listen, mode, fds[1]);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
}

static int
fake_stop(void **state OVS_UNUSED)
{
    char path[128];

    if (fake.pid > 0) {
        kill(fake.pid, SIGKILL);
        waitpid(fake.pid, NULL, 0);
        fake.pid = 0;
        snprintf(path, sizeof path, "%s/sw.sock", fake.dir);
        unlink(path);
        rmdir(fake.dir);
    }
    return 0;
}

static void
test_switch_refuses(void **state OVS_UNUSED)
{
    struct frame frames[4];
    size_t n = build_frames(frames), sent;
    struct emitter *e;

    fake_start(FAKE_REFUSE_RARP);
    assert_int_equal(emitter_open("packet-out", fake.name, &e), 0);
    assert_string_equal(emitter_type(e), "packet-out");

    /* Frames 1 and 4 are RARPs: refused, the others go out. */
    assert_int_equal(emitter_send(e, frames, n, &sent), EPROTO);
    assert_int_equal(sent, 2);
    assert_string_equal(emitter_error_detail(e),
                        "the switch refused 2 of 4 packet-outs, the first "
                        "(frame 1) with OFPBAC_BAD_OUT_PORT (Problem validating output "
                        "port.)");

    /* A batch the switch takes, and an empty one (only the barrier). */
    assert_int_equal(emitter_send(e, &frames[1], 2, &sent), 0);
    assert_int_equal(sent, 2);
    assert_null(emitter_error_detail(e));
    assert_int_equal(emitter_send(e, frames, 0, &sent), 0);
    assert_int_equal(sent, 0);
    emitter_close(e);
}

static void
test_switch_version(void **state OVS_UNUSED)
{
    struct emitter *e;

    fake_start(FAKE_OF10);
    assert_int_equal(emitter_open("packet-out", fake.name, &e),
                     EPROTONOSUPPORT);
    assert_null(e);
}

static void
test_switch_hangs_up(void **state OVS_UNUSED)
{
    struct frame frames[4];
    struct emitter *e;
    size_t sent;
    int error;

    build_frames(frames);
    fake_start(FAKE_HANG_UP);
    assert_int_equal(emitter_open("packet-out", fake.name, &e), 0);
    error = emitter_send(e, &frames[1], 2, &sent);
    assert_true(error == ECONNRESET || error == EPIPE);
    assert_int_equal(sent, 0);
    assert_non_null(strstr(emitter_error_detail(e),
                           "lost the connection to unix:"));

    /* The next batch connects again. */
    assert_int_equal(emitter_send(e, &frames[1], 2, &sent), 0);
    assert_int_equal(sent, 2);
    emitter_close(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test_teardown(test_switch_refuses, fake_stop),
        cmocka_unit_test_teardown(test_switch_version, fake_stop),
        cmocka_unit_test_teardown(test_switch_hangs_up, fake_stop),
    };

    /* The emitter logs what the fake switch refuses: expected here. */
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_OFF);
    return cmocka_run_group_tests_name("packet-out", tests, NULL, NULL);
}
