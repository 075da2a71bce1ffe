/* Unit tests for controller/packet-announce.c, cutoverd's packet-out
 * fallback for announcements: the frames it builds from the model, and its
 * rounds, with the clock (time_msec()) and the installer's connection
 * (installer_send_raw(), installer_get_version(),
 * installer_set_error_handler()) replaced by the wrappers below
 * (-Wl,--wrap=...): every packet-out handed over is decoded as a switch
 * would, at the fake time it was sent. */

#include <config.h>
#include "packet-announce.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gratuitous/frames.h"
#include "installer.h"
#include "model.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

/* The fakes. */

static long long int fake_now;  /* What time_msec() says. */
static int fake_version;        /* installer_get_version(). */
static int fake_send_error;     /* installer_send_raw() fails with it. */
static installer_error_handler *fake_handler;
static void *fake_handler_aux;

/* What was handed to the switch: each packet-out's frame, when it was
 * sent, and its transaction ID. */
struct sent {
    struct frame frame;
    long long int when;
    uint32_t xid;
};
static struct sent sent[64];
static size_t n_sent;

/* A stand-in for the host's installer: only its address is used. */
static struct installer *const fake_installer
    = (struct installer *) &fake_installer;

long long int __wrap_time_msec(void);
int __wrap_installer_send_raw(struct installer *, struct ofpbuf *);
int __wrap_installer_get_version(const struct installer *);
void __wrap_installer_set_error_handler(struct installer *,
                                        installer_error_handler *, void *);

long long int
__wrap_time_msec(void)
{
    return fake_now;
}

int
__wrap_installer_get_version(const struct installer *inst)
{
    assert_ptr_equal(inst, fake_installer);
    return fake_version;
}

void
__wrap_installer_set_error_handler(struct installer *inst,
                                   installer_error_handler *handler,
                                   void *aux)
{
    assert_ptr_equal(inst, fake_installer);
    fake_handler = handler;
    fake_handler_aux = aux;
}

/* Decodes 'msg' as the switch would: a packet-out in the negotiated
 * version, from in port CONTROLLER, whose one action is output:TABLE. */
int
__wrap_installer_send_raw(struct installer *inst, struct ofpbuf *msg)
{
    const struct ofp_header *oh = msg->data;
    const struct ofpact_output *output;
    struct ofputil_packet_out po;
    struct ofpbuf ofpacts;
    struct sent *s;

    assert_ptr_equal(inst, fake_installer);
    if (fake_send_error) {
        ofpbuf_delete(msg);
        return fake_send_error;
    }
    assert_int_equal(oh->version, fake_version);
    assert_true(n_sent < ARRAY_SIZE(sent));
    s = &sent[n_sent++];

    ofpbuf_init(&ofpacts, 64);
    assert_int_equal(ofputil_decode_packet_out(&po, oh, NULL, &ofpacts), 0);
    assert_int_equal(po.buffer_id, UINT32_MAX);
    assert_int_equal(po.flow_metadata.flow.in_port.ofp_port, OFPP_CONTROLLER);
    output = ofpact_get_OUTPUT(po.ofpacts);
    assert_int_equal(output->ofpact.type, OFPACT_OUTPUT);
    assert_int_equal(output->port, OFPP_TABLE);
    assert_int_equal(po.ofpacts_len, OFPACT_ALIGN(sizeof *output));
    assert_true(po.packet_len <= sizeof s->frame.data);
    memcpy(s->frame.data, po.packet, po.packet_len);
    s->frame.len = po.packet_len;
    s->when = fake_now;
    s->xid = ntohl(oh->xid);
    ofpbuf_uninit(&ofpacts);
    ofpbuf_delete(msg);
    return 0;
}

/* The model: 'vm4' on a provider VLAN with an IPv4 and an IPv6 address and
 * an elastic IP, 'vm1' on an overlay with two IPv4 addresses, 'bare' with
 * no address, 'mcast' with a multicast MAC. */
struct world {
    struct model m;
    struct model_port *vm1, *vm4, *bare, *mcast;
};

static void
must(const void *p, char *error)
{
    if (!p) {
        fail_msg("model: %s", error);
    }
}

static int
setup(void **state)
{
    struct world *w = xzalloc(sizeof *w);
    const char *vm1_ips[] = { "10.0.0.5", "10.0.0.6" };
    const char *vm4_ips[] = { "203.0.113.50", "2001:db8:cafe::50" };
    struct model_network *vpc, *prov;
    struct model_subnet *web, *pub;
    struct model_host *h2;
    char *error = NULL;

    model_init(&w->m);
    must(h2 = model_add_host(&w->m, "h2", "172.16.0.12", &error), error);
    must(vpc = model_add_network(&w->m, "vpc1", MODEL_NET_VXLAN, 1001,
                                 &error), error);
    must(prov = model_add_network(&w->m, "provider", MODEL_NET_VLAN, 100,
                                  &error), error);
    must(web = model_add_subnet(&w->m, vpc, "web", "10.0.0.0/24", "10.0.0.1",
                                "02:00:00:00:01:01", &error), error);
    must(pub = model_add_subnet(&w->m, prov, "public", "203.0.113.0/24",
                                "203.0.113.1", "02:00:cb:00:71:01", &error),
         error);
    assert_int_equal(model_subnet_set_ipv6(pub, "2001:db8:cafe::/64",
                                           "2001:db8:cafe::1", &error), 0);
    must(w->vm1 = model_add_port(&w->m, web, "vm1", 1, "02:00:0a:00:00:05",
                                 vm1_ips, 2, h2, &error), error);
    must(w->vm4 = model_add_port(&w->m, pub, "vm4", 4, "02:00:cb:00:71:04",
                                 vm4_ips, 2, h2, &error), error);
    must(w->bare = model_add_port(&w->m, web, "bare", 5, "02:00:0a:00:00:09",
                                  NULL, 0, h2, &error), error);
    must(w->mcast = model_add_port(&w->m, web, "mcast", 6,
                                   "03:00:0a:00:00:0a", NULL, 0, h2, &error),
         error);
    must(model_add_eip(&w->m, prov, "203.0.113.10", "02:00:cb:00:71:0a",
                       w->vm4, "203.0.113.50", &error), error);

    fake_now = 1000;
    fake_version = OFP15_VERSION;
    fake_send_error = 0;
    n_sent = 0;
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;

    model_destroy(&w->m);
    free(w);
    return 0;
}

static struct eth_addr
mac_of(const char *s)
{
    struct eth_addr mac;

    assert_true(eth_addr_from_string(s, &mac));
    return mac;
}

static void
assert_frame_equal(const struct frame *a, const struct frame *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
}

static void
test_build(void **state)
{
    struct world *w = *state;
    struct eth_addr vm4_mac = mac_of("02:00:cb:00:71:04");
    struct eth_addr eip_mac = mac_of("02:00:cb:00:71:0a");
    struct in6_addr ip6;
    struct frame want, *frames;
    size_t n;

    /* vm4: its RARP, gratuitous ARP and NA, untagged although it is on VLAN
     * 100 (the pipeline tags), then its elastic IP's RARP and gratuitous
     * ARP with the elastic IP's MAC. */
    assert_int_equal(packet_announce_build(&w->m, w->vm4, &frames, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(frames_build_rarp(&vm4_mac, 0, want.data,
                                       sizeof want.data, &want.len), 0);
    assert_frame_equal(&frames[0], &want);
    assert_int_equal(frames_build_garp(&vm4_mac, htonl(0xcb007132), 0, false,
                                       want.data, sizeof want.data,
                                       &want.len), 0);
    assert_frame_equal(&frames[1], &want);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:cafe::50", &ip6), 1);
    assert_int_equal(frames_build_na(&vm4_mac, &ip6, 0, false, want.data,
                                     sizeof want.data, &want.len), 0);
    assert_frame_equal(&frames[2], &want);
    assert_int_equal(frames_build_rarp(&eip_mac, 0, want.data,
                                       sizeof want.data, &want.len), 0);
    assert_frame_equal(&frames[3], &want);
    assert_int_equal(frames_build_garp(&eip_mac, htonl(0xcb00710a), 0, false,
                                       want.data, sizeof want.data,
                                       &want.len), 0);
    assert_frame_equal(&frames[4], &want);
    free(frames);

    /* An overlay port: RARP and a gratuitous ARP per address, in order. */
    assert_int_equal(packet_announce_build(&w->m, w->vm1, &frames, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(frames[0].data[12] << 8 | frames[0].data[13], 0x8035);
    assert_int_equal(frames[2].data[12] << 8 | frames[2].data[13], 0x0806);
    assert_memory_equal(&frames[2].data[28], "\x0a\x00\x00\x06", 4);
    free(frames);

    /* No address: the RARP alone. */
    assert_int_equal(packet_announce_build(&w->m, w->bare, &frames, &n), 0);
    assert_int_equal(n, 1);
    free(frames);

    /* A multicast MAC cannot be announced. */
    frames = NULL;
    assert_int_equal(packet_announce_build(&w->m, w->mcast, &frames, &n),
                     EINVAL);
    assert_null(frames);
}

/* Runs 'pa' at fake time 'now' and returns how many packet-outs that
 * handed to the switch. */
static size_t
run_at(struct packet_announce *pa, long long int now)
{
    size_t before = n_sent;

    fake_now = now;
    packet_announce_run(pa);
    return n_sent - before;
}

static char *
status(const struct packet_announce *pa)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    packet_announce_format_status(pa, &s);
    return ds_steal_cstr(&s);
}

/* Asserts that 'text' (taken) is 'want'. */
static void
assert_string_equal_free(char *text, const char *want)
{
    assert_string_equal(text, want);
    free(text);
}

static void
assert_contains(char *text, const char *want)
{
    if (!strstr(text, want)) {
        fail_msg("'%s' does not say '%s'", text, want);
    }
    free(text);
}

static void
test_claim(void **state)
{
    struct world *w = *state;
    struct eth_addr vm4_mac = mac_of("02:00:cb:00:71:04");
    struct eth_addr eip_mac = mac_of("02:00:cb:00:71:0a");
    struct eth_addr eip2_mac = mac_of("02:00:cb:00:71:0b");
    struct ds result = DS_EMPTY_INITIALIZER;
    struct packet_announce *pa;
    struct frame want, *frames;
    char *error = NULL;
    size_t n;

    /* A provider VLAN port with an elastic IP: one RARP from its MAC, one
     * from its elastic IP's. */
    assert_int_equal(packet_announce_build_claim(&w->m, w->vm4, &frames, &n),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(frames_build_rarp(&vm4_mac, 0, want.data,
                                       sizeof want.data, &want.len), 0);
    assert_frame_equal(&frames[0], &want);
    assert_int_equal(frames_build_rarp(&eip_mac, 0, want.data,
                                       sizeof want.data, &want.len), 0);
    assert_frame_equal(&frames[1], &want);
    free(frames);

    /* An overlay port has no MAC on the physical network... */
    assert_int_equal(packet_announce_build_claim(&w->m, w->vm1, &frames, &n),
                     0);
    assert_int_equal(n, 0);
    free(frames);

    /* ...but its elastic IPs do. */
    must(model_add_eip(&w->m, w->vm4->subnet->network, "203.0.113.11",
                       "02:00:cb:00:71:0b", w->vm1, "10.0.0.6", &error),
         error);
    assert_int_equal(packet_announce_build_claim(&w->m, w->vm1, &frames, &n),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(frames_build_rarp(&eip2_mac, 0, want.data,
                                       sizeof want.data, &want.len), 0);
    assert_frame_equal(&frames[0], &want);
    free(frames);

    /* One round, at once, nothing after. */
    pa = packet_announce_create("h2", fake_installer);
    assert_int_equal(packet_announce_claim(pa, &w->m, w->vm4, &result), 0);
    assert_string_equal(ds_cstr(&result), "round 1 of 1, 2 frames");
    assert_int_equal(n_sent, 2);
    assert_false(packet_announce_is_running(pa, "vm4"));
    assert_int_equal(run_at(pa, 5000), 0);
    assert_contains(status(pa), "packet-out announcements: 0 started (0 "
                    "cancelled), 0 rounds, 0 frames handed to the switch, "
                    "0 not sent, 0 refused\n  packet-out claims: 1 (2 frames "
                    "handed to the switch)\n");

    /* Nothing to claim: nothing sent, no error. */
    ds_clear(&result);
    assert_int_equal(packet_announce_claim(pa, &w->m, w->bare, &result), 0);
    assert_string_equal(ds_cstr(&result),
                        "nothing to claim: bare has no MAC on a provider "
                        "network");
    assert_int_equal(n_sent, 2);

    /* Activate's announcement after a claim runs its whole schedule. */
    ds_clear(&result);
    assert_int_equal(packet_announce_start(pa, &w->m, w->vm4, &result), 0);
    assert_string_equal(ds_cstr(&result), "round 1 of 5, 5 frames");
    assert_true(packet_announce_is_running(pa, "vm4"));

    /* The switch away: nothing claimed, and said. */
    fake_version = -1;
    ds_clear(&result);
    assert_int_equal(packet_announce_claim(pa, &w->m, w->vm4, &result),
                     ENOTCONN);
    assert_string_equal(ds_cstr(&result),
                        "h2's switch is not connected: nothing announced");
    assert_contains(status(pa), "last error: vm4: h2's switch is not "
                    "connected");

    ds_destroy(&result);
    packet_announce_destroy(pa);
}

static void
test_rounds(void **state)
{
    struct world *w = *state;
    struct ds result = DS_EMPTY_INITIALIZER;
    struct packet_announce *pa;
    struct frame *frames;
    size_t n;

    pa = packet_announce_create("h2", fake_installer);
    assert_non_null(fake_handler);
    assert_ptr_equal(fake_handler_aux, pa);
    assert_string_equal_free(status(pa), "");

    /* Round 1 is handed over before start returns. */
    assert_int_equal(packet_announce_start(pa, &w->m, w->vm1, &result), 0);
    assert_string_equal(ds_cstr(&result), "round 1 of 5, 3 frames");
    assert_int_equal(n_sent, 3);
    assert_true(packet_announce_is_running(pa, "vm1"));
    assert_false(packet_announce_is_running(pa, "vm4"));

    /* QEMU's schedule from round 1: never early, exactly on time. */
    static const long long int due[] = { 50, 200, 450, 800 };
    for (size_t r = 0; r < ARRAY_SIZE(due); r++) {
        assert_int_equal(run_at(pa, 1000 + due[r] - 1), 0);
        assert_int_equal(run_at(pa, 1000 + due[r]), 3);
    }
    assert_false(packet_announce_is_running(pa, "vm1"));
    assert_int_equal(run_at(pa, 9000), 0);

    /* Each round: the port's frames, in order. */
    assert_int_equal(packet_announce_build(&w->m, w->vm1, &frames, &n), 0);
    for (size_t i = 0; i < n_sent; i++) {
        assert_frame_equal(&sent[i].frame, &frames[i % n]);
        assert_int_equal(sent[i].when, i < 3 ? 1000 : 1000 + due[i / 3 - 1]);
    }
    free(frames);
    assert_contains(status(pa), "packet-out announcements: 1 started "
                    "(0 cancelled), 5 rounds, 15 frames handed to the "
                    "switch, 0 not sent, 0 refused\n");

    /* A late loop sends every round due, each whole. */
    n_sent = 0;
    fake_now = 20000;
    ds_clear(&result);
    assert_int_equal(packet_announce_start(pa, &w->m, w->vm4, &result), 0);
    assert_string_equal(ds_cstr(&result), "round 1 of 5, 5 frames");
    assert_int_equal(run_at(pa, 20500), 15);
    assert_contains(status(pa), "    vm4: round 4 of 5 sent, 5 frames a "
                    "round\n");
    assert_int_equal(run_at(pa, 20800), 5);

    ds_destroy(&result);
    packet_announce_destroy(pa);
    assert_null(fake_handler);
}

static void
test_restart_cancel(void **state)
{
    struct world *w = *state;
    struct ds result = DS_EMPTY_INITIALIZER;
    struct packet_announce *pa = packet_announce_create("h2", fake_installer);

    /* Started again: the schedule starts again. */
    assert_int_equal(packet_announce_start(pa, &w->m, w->vm1, &result), 0);
    assert_int_equal(run_at(pa, 1200), 6);
    fake_now = 1300;
    assert_int_equal(packet_announce_start(pa, &w->m, w->vm1, &result), 0);
    assert_int_equal(n_sent, 12);
    assert_int_equal(run_at(pa, 1349), 0);
    assert_int_equal(run_at(pa, 1350), 3);

    /* Cancelled: nothing more, and other ports go on. */
    assert_int_equal(packet_announce_start(pa, &w->m, w->bare, &result), 0);
    packet_announce_cancel(pa, "vm1");
    assert_false(packet_announce_is_running(pa, "vm1"));
    packet_announce_cancel(pa, "nosuch");
    assert_int_equal(run_at(pa, 1500), 1);
    assert_int_equal(run_at(pa, 5000), 3);
    assert_false(packet_announce_is_running(pa, "bare"));
    assert_contains(status(pa), "3 started (1 cancelled), 10 rounds, 20 "
                    "frames");

    ds_destroy(&result);
    packet_announce_destroy(pa);
}

static void
test_errors(void **state)
{
    struct world *w = *state;
    struct ds result = DS_EMPTY_INITIALIZER;
    struct packet_announce *pa = packet_announce_create("h2", fake_installer);

    /* Not connected: nothing announced, and the answer says why. */
    fake_version = -1;
    assert_int_equal(packet_announce_start(pa, &w->m, w->vm1, &result),
                     ENOTCONN);
    assert_string_equal(ds_cstr(&result),
                        "h2's switch is not connected: nothing announced");
    assert_false(packet_announce_is_running(pa, "vm1"));
    assert_int_equal(n_sent, 0);
    assert_contains(status(pa), "0 started (0 cancelled), 0 rounds, 0 "
                    "frames handed to the switch, 3 not sent, 0 refused\n"
                    "    last error: vm1: h2's switch is not connected: "
                    "nothing announced\n");

    /* A version packet-outs are not encoded for. */
    fake_version = OFP10_VERSION;
    ds_clear(&result);
    assert_int_equal(packet_announce_start(pa, &w->m, w->vm1, &result),
                     EPROTONOSUPPORT);
    assert_string_equal(ds_cstr(&result), "h2's switch cannot take "
                        "packet-outs (Protocol not supported): nothing "
                        "announced");
    assert_int_equal(n_sent, 0);

    /* Frames that cannot be built. */
    fake_version = OFP14_VERSION;
    ds_clear(&result);
    assert_int_equal(packet_announce_start(pa, &w->m, w->mcast, &result),
                     EINVAL);
    assert_string_equal(ds_cstr(&result), "cannot build mcast's frames: MAC "
                        "03:00:0a:00:00:0a is a multicast address");
    assert_int_equal(n_sent, 0);

    /* The switch refuses the packet-out of vm4's second frame: named. */
    ds_clear(&result);
    assert_int_equal(packet_announce_start(pa, &w->m, w->vm4, &result), 0);
    assert_int_equal(n_sent, 5);
    fake_handler(sent[1].xid, OFPERR_OFPBAC_BAD_OUT_PORT, fake_handler_aux);
    assert_contains(status(pa), "    last error: the switch refused the "
                    "packet-out of frame 2 of round 1 of vm4: "
                    "OFPBAC_BAD_OUT_PORT\n");
    /* An error about nothing known. */
    fake_handler(sent[4].xid + 1000, OFPERR_OFPBRC_BAD_TYPE,
                 fake_handler_aux);
    assert_contains(status(pa), "refused a packet-out (xid ");

    /* The connection lost between rounds: counted, and the rounds go on. */
    fake_send_error = ENOTCONN;
    assert_int_equal(run_at(pa, 1050), 0);
    fake_send_error = 0;
    assert_int_equal(run_at(pa, 1200), 5);
    assert_contains(status(pa), "1 started (0 cancelled), 2 rounds, 10 "
                    "frames handed to the switch, 11 not sent, 2 refused\n");
    assert_contains(status(pa), "last error: round 2 of vm4: 5 of 5 "
                    "packet-outs not sent (");

    ds_destroy(&result);
    packet_announce_destroy(pa);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_build, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_cancel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
