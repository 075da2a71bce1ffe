/* Unit tests for datapath/flow-audit.c: how a table is split into parts,
 * the canonical form of the flows a switch should have (as its flow stats
 * reply will spell them), and the comparison that decides what an audit
 * repairs and what it leaves alone. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "byte-order.h"
#include "flow-audit.h"
#include "flow-set.h"
#include "openflow/openflow.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

/* Cookies as the pipeline makes them: class in the top byte, key below. */
#define COOKIE(CLASS, KEY) (((uint64_t) (CLASS) << 56) | ((uint64_t) (KEY) << 32))
#define CLASS_MASK 0xff00000000000000ULL

static void
test_parts(void **state OVS_UNUSED)
{
    uint64_t cookie, mask;

    assert_int_equal(flow_audit_n_parts(0), 1);
    assert_int_equal(flow_audit_n_parts(FLOW_AUDIT_PART_FLOWS), 1);
    assert_int_equal(flow_audit_n_parts(FLOW_AUDIT_PART_FLOWS + 1), 2);
    assert_int_equal(flow_audit_n_parts(16 * FLOW_AUDIT_PART_FLOWS), 16);
    assert_int_equal(flow_audit_n_parts(SIZE_MAX / 2), FLOW_AUDIT_MAX_PARTS);

    /* One part: everything, with a mask that asks for everything. */
    flow_audit_part_cookie(0, 1, &cookie, &mask);
    assert_true(cookie == 0 && mask == 0);
    assert_true(flow_audit_in_part(COOKIE(4, 7), 0, 1));
    assert_true(flow_audit_in_part(0, 0, 1));

    /* Four parts: by the low 2 bits of the key; every cookie is in
     * exactly one, the one whose cookie/mask it matches. */
    for (uint32_t key = 0; key < 64; key++) {
        uint64_t c = COOKIE(1 + key % 5, key);
        int n_in = 0;

        for (unsigned int part = 0; part < 4; part++) {
            flow_audit_part_cookie(part, 4, &cookie, &mask);
            assert_true(mask == 3ULL << 32);
            if (flow_audit_in_part(c, part, 4)) {
                n_in++;
                assert_true((c & mask) == cookie);
            } else {
                assert_true((c & mask) != cookie);
            }
        }
        assert_int_equal(n_in, 1);
    }
    /* Someone else's cookie 0 is in part 0. */
    assert_true(flow_audit_in_part(0, 0, 4));
}

/* Adds to 'out' the flows of 'in' as a switch speaking 'version' sends
 * them back: encoded into a flow stats reply from their parsed form,
 * decoded, and added with flow_audit_add_stats(). */
static void
read_back(const struct of_flow_set *in, enum ofp_version version,
          struct of_flow_set *out)
{
    struct ofputil_flow_stats_request fsr = {
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    struct ofpbuf *request, *reply;
    const struct of_flow *f;
    struct ovs_list replies;
    struct ofpbuf ofpacts;

    match_init_catchall(&fsr.match);
    request = ofputil_encode_flow_stats_request(
        &fsr, ofputil_protocol_from_ofp_version(version));
    ofpmp_init(&replies, request->data);
    ofpbuf_delete(request);
    HMAP_FOR_EACH (f, node, &in->flows) {
        struct ofputil_flow_stats fs = {
            .cookie = htonll(f->cookie),
            .table_id = f->table,
            .priority = f->priority,
            .idle_age = -1,
            .hard_age = -1,
            .ofpacts = f->parsed->ofpacts,
            .ofpacts_len = f->parsed->ofpacts_len,
        };

        minimatch_expand(&f->parsed->match, &fs.match);
        ofputil_append_flow_stats_reply(&fs, &replies, NULL);
    }
    ofpbuf_init(&ofpacts, 64);
    LIST_FOR_EACH (reply, list_node, &replies) {
        struct ofpbuf b = ofpbuf_const_initializer(reply->data, reply->size);
        struct ofputil_flow_stats fs;

        while (!ofputil_decode_flow_stats_reply(&fs, &b, false, &ofpacts)) {
            assert_true(flow_audit_add_stats(out, &fs));
        }
    }
    ofpbuf_uninit(&ofpacts);
    ofpbuf_list_delete(&replies);
}

/* The flows the pipeline writes and the flows a switch sends back are
 * compared in one canonical form: "load:" comes back as "set_field:" over
 * OpenFlow 1.5 (and 1.4), yet it is the same flow; a flow read back twice
 * is still the same, and once found so shares the desired flow's parse; a
 * flow that does not parse is counted and left out; each flow is in its
 * audit part and only there. */
static void
test_canonical(void **state OVS_UNUSED)
{
    static const enum ofp_version versions[] = {
        OFP14_VERSION, OFP15_VERSION,
    };
    struct of_flow_set in, out, again;
    struct flow_audit_diff d;
    const struct of_flow *f;

    of_flow_set_init(&in);
    of_flow_set_add(&in, 5, 100, COOKIE(4, 1), "in_port=4,reg7=0x1",
                    "drop");
    of_flow_set_add(&in, 0, 100, COOKIE(3, 1), "in_port=4",
                    "load:0x1->NXM_NX_REG7[],goto_table:5");
    of_flow_set_add(&in, 40, 100, COOKIE(4, 2), "reg5=0x2",
                    "set_field:192.0.2.3->tun_dst,output:9");
    of_flow_set_add(&in, 20, 50, COOKIE(2, 1), "ip,metadata=0x1,"
                    "nw_dst=10.0.0.0/24", "goto_table:21");
    of_flow_set_add(&in, 30, 10, COOKIE(1, 0), "", "drop");
    assert_null(of_flow_set_add(&in, 30, 11, COOKIE(1, 0),
                                "no_such_field=1", "drop"));
    assert_int_equal(in.n_unparsed, 1);
    assert_int_equal(of_flow_set_count(&in), 5);

    for (size_t v = 0; v < ARRAY_SIZE(versions); v++) {
        of_flow_set_init(&out);
        of_flow_set_init(&again);
        read_back(&in, versions[v], &out);
        assert_int_equal(of_flow_set_count(&out), 5);
        f = of_flow_set_find(&out, 0, 100, "in_port=4");
        assert_non_null(f);
        assert_string_equal(of_flow_actions_text(f),
                            "set_field:0x1->reg7,goto_table:5");
        assert_true(f->cookie == COOKIE(3, 1));
        f = of_flow_set_find(&out, 5, 100, "reg7=0x1,in_port=4");
        assert_non_null(f);
        assert_string_equal(of_flow_actions_text(f), "drop");
        assert_non_null(of_flow_set_find(&out, 30, 10, ""));

        /* The same flows, in either spelling. */
        flow_audit_compare(&in, &out, 0, 0, &d);
        assert_int_equal(flow_audit_diff_count(&d), 0);
        flow_audit_diff_destroy(&d);

        /* Idempotent: the switch's spelling is its own canonical form. */
        read_back(&out, versions[v], &again);
        assert_int_equal(of_flow_set_count(&again), 5);
        HMAP_FOR_EACH (f, node, &out.flows) {
            const struct of_flow *g = of_flow_set_find_flow(&again, f);

            assert_non_null(g);
            assert_string_equal(of_flow_actions_text(g),
                                of_flow_actions_text(f));
            assert_true(of_flow_same_actions(g, f));
            assert_true(g->cookie == f->cookie);
        }

        /* Once found the same, the flows read back share the desired
         * flows' parsed forms; one changed on the switch keeps its own. */
        f = of_flow_set_find(&again, 5, 100, "reg7=0x1,in_port=4");
        of_flow_set_remove(&again, CONST_CAST(struct of_flow *, f));
        of_flow_set_add(&again, 5, 100, COOKIE(4, 1), "in_port=4,reg7=0x1",
                        "goto_table:10");
        of_flow_set_share(&again, &in);
        HMAP_FOR_EACH (f, node, &again.flows) {
            const struct of_flow *g = of_flow_set_find_flow(&in, f);

            assert_non_null(g);
            if (f->table == 5) {
                assert_ptr_not_equal(f->parsed, g->parsed);
                assert_string_equal(of_flow_actions_text(f),
                                    "goto_table:10");
            } else {
                assert_ptr_equal(f->parsed, g->parsed);
            }
        }
        of_flow_set_destroy(&out);
        of_flow_set_destroy(&again);
    }

    /* Each flow in its part, and only there. */
    struct of_flow_set parts[2];

    of_flow_set_init(&parts[0]);
    of_flow_set_init(&parts[1]);
    flow_audit_split(&in, 2, parts);
    for (unsigned int i = 0; i < 2; i++) {
        HMAP_FOR_EACH (f, node, &parts[i].flows) {
            assert_true(flow_audit_in_part(f->cookie, i, 2));
        }
    }
    assert_int_equal(of_flow_set_count(&parts[0]), 2);
    assert_int_equal(of_flow_set_count(&parts[1]), 3);

    of_flow_set_destroy(&in);
    of_flow_set_destroy(&parts[0]);
    of_flow_set_destroy(&parts[1]);
}

/* Every kind of difference, and someone else's flow left alone. */
static void
test_compare(void **state OVS_UNUSED)
{
    struct of_flow_set expected, found;
    struct flow_audit_diff d;

    of_flow_set_init(&expected);
    of_flow_set_init(&found);
    /* The same on both sides. */
    of_flow_set_add(&expected, 0, 100, COOKIE(3, 1), "in_port=4",
                    "goto_table:5");
    of_flow_set_add(&found, 0, 100, COOKIE(3, 1), "in_port=4",
                    "goto_table:5");
    /* An admission flow opened by hand: other actions. */
    of_flow_set_add(&expected, 5, 100, COOKIE(4, 1), "reg7=0x1,in_port=4",
                    "drop");
    of_flow_set_add(&found, 5, 100, COOKIE(4, 1), "reg7=0x1,in_port=4",
                    "goto_table:10");
    /* The same flow with another cookie. */
    of_flow_set_add(&expected, 10, 90, COOKIE(3, 1), "reg7=0x1",
                    "goto_table:15");
    of_flow_set_add(&found, 10, 90, 0, "reg7=0x1", "goto_table:15");
    /* A flow deleted by hand. */
    of_flow_set_add(&expected, 40, 100, COOKIE(4, 1), "reg5=0x1",
                    "output:4");
    /* A stray flow with one of our cookies. */
    of_flow_set_add(&found, 40, 77, COOKIE(4, 1), "reg5=0x999", "drop");
    /* Someone else's. */
    of_flow_set_add(&found, 40, 78, 0, "reg5=0x998", "drop");

    flow_audit_compare(&expected, &found, 0, CLASS_MASK, &d);
    assert_int_equal(d.n_missing, 1);
    assert_int_equal(d.missing[0]->table, 40);
    assert_ptr_equal(d.missing[0],
                     of_flow_set_find(&expected, 40, 100, "reg5=0x1"));
    assert_int_equal(d.n_changed, 2);
    for (size_t i = 0; i < d.n_changed; i++) {
        /* Pointers into 'expected': what to put back. */
        assert_true(d.changed[i]
                    == of_flow_set_find(&expected, 5, 100,
                                        "reg7=0x1,in_port=4")
                    || d.changed[i] == of_flow_set_find(&expected, 10, 90,
                                                        "reg7=0x1"));
    }
    assert_int_equal(d.n_extra, 1);
    assert_ptr_equal(d.extra[0], of_flow_set_find(&found, 40, 77,
                                                  "reg5=0x999"));
    assert_int_equal(d.n_foreign, 1);
    assert_ptr_equal(d.foreign[0], of_flow_set_find(&found, 40, 78,
                                                    "reg5=0x998"));
    assert_int_equal(flow_audit_diff_count(&d), 4);
    flow_audit_diff_destroy(&d);

    /* With no foreign mask, nothing is someone else's. */
    flow_audit_compare(&expected, &found, 0, 0, &d);
    assert_int_equal(d.n_extra, 2);
    assert_int_equal(d.n_foreign, 0);
    flow_audit_diff_destroy(&d);

    /* Nothing differs between a set and itself. */
    flow_audit_compare(&expected, &expected, 0, CLASS_MASK, &d);
    assert_int_equal(flow_audit_diff_count(&d), 0);
    assert_int_equal(d.n_foreign, 0);
    flow_audit_diff_destroy(&d);

    of_flow_set_destroy(&expected);
    of_flow_set_destroy(&found);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_compare),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
