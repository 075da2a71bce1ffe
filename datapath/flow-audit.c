/* The audit's decisions.  See flow-audit.h. */

#include <config.h>
#include "flow-audit.h"

#include <stdlib.h>
#include <string.h>

#include "byte-order.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-parse.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(flow_audit);

unsigned int
flow_audit_n_parts(size_t n_flows)
{
    unsigned int n = 1;

    while (n < FLOW_AUDIT_MAX_PARTS
           && (size_t) n * FLOW_AUDIT_PART_FLOWS < n_flows) {
        n *= 2;
    }
    return n;
}

void
flow_audit_part_cookie(unsigned int part, unsigned int n_parts,
                       uint64_t *cookie, uint64_t *mask)
{
    *mask = (uint64_t) (n_parts - 1) << FLOW_AUDIT_PART_SHIFT;
    *cookie = ((uint64_t) part << FLOW_AUDIT_PART_SHIFT) & *mask;
}

bool
flow_audit_in_part(uint64_t cookie, unsigned int part, unsigned int n_parts)
{
    return ((cookie >> FLOW_AUDIT_PART_SHIFT) & (n_parts - 1)) == part;
}

bool
flow_audit_add_stats(struct of_flow_set *set,
                     const struct ofputil_flow_stats *fs)
{
    struct ds match = DS_EMPTY_INITIALIZER;
    struct ds actions = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &actions };
    bool added;

    match_format(&fs->match, NULL, &match, OFP_DEFAULT_PRIORITY);
    ofpacts_format(fs->ofpacts, fs->ofpacts_len, &fp);
    added = of_flow_set_add(set, fs->table_id, fs->priority,
                            ntohll(fs->cookie), ds_cstr(&match),
                            actions.length ? ds_cstr(&actions) : "drop")
            != NULL;
    ds_destroy(&match);
    ds_destroy(&actions);
    return added;
}

/* Appends 'f' to 'replies' as a switch would describe it in a flow stats
 * reply.  Returns false if it does not parse. */
static bool
append_reply(const struct of_flow *f, struct ovs_list *replies)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ds text = DS_EMPTY_INITIALIZER;
    enum ofputil_protocol usable;
    struct ofputil_flow_stats fs;
    struct ofputil_flow_mod fm;
    char *error;

    of_flow_format(f, &text);
    error = parse_ofp_flow_mod_str(&fm, ds_cstr(&text), NULL, NULL,
                                   OFPFC_ADD, &usable);
    if (error) {
        VLOG_DBG_RL(&rl, "not auditing a flow that does not parse (%s): %s",
                    error, ds_cstr(&text));
        free(error);
        ds_destroy(&text);
        return false;
    }
    ds_destroy(&text);

    memset(&fs, 0, sizeof fs);
    minimatch_expand(&fm.match, &fs.match);
    fs.cookie = fm.new_cookie;
    fs.table_id = fm.table_id;
    fs.priority = fm.priority;
    fs.idle_timeout = fm.idle_timeout;
    fs.hard_timeout = fm.hard_timeout;
    fs.idle_age = -1;
    fs.hard_age = -1;
    fs.ofpacts = fm.ofpacts;
    fs.ofpacts_len = fm.ofpacts_len;
    fs.flags = fm.flags;
    fs.importance = fm.importance;
    ofputil_append_flow_stats_reply(&fs, replies, NULL);
    minimatch_destroy(&fm.match);
    free(CONST_CAST(struct ofpact *, fm.ofpacts));
    return true;
}

void
flow_audit_canonical(const struct of_flow_set *in, unsigned int part,
                     unsigned int n_parts, enum ofp_version version,
                     struct of_flow_set *out, size_t *n_bad)
{
    struct ofputil_flow_stats_request fsr = {
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    struct ofpbuf *request, *reply;
    struct ovs_list replies;
    struct ofpbuf ofpacts;
    const struct of_flow *f;

    *n_bad = 0;
    match_init_catchall(&fsr.match);
    request = ofputil_encode_flow_stats_request(
        &fsr, ofputil_protocol_from_ofp_version(version));
    ofpmp_init(&replies, request->data);
    ofpbuf_delete(request);

    HMAP_FOR_EACH (f, node, &in->flows) {
        if (flow_audit_in_part(f->cookie, part, n_parts)
            && !append_reply(f, &replies)) {
            (*n_bad)++;
        }
    }

    ofpbuf_init(&ofpacts, 64);
    LIST_FOR_EACH (reply, list_node, &replies) {
        struct ofpbuf b = ofpbuf_const_initializer(reply->data, reply->size);
        struct ofputil_flow_stats fs;

        while (!ofputil_decode_flow_stats_reply(&fs, &b, false, &ofpacts)) {
            flow_audit_add_stats(out, &fs);
        }
    }
    ofpbuf_uninit(&ofpacts);
    ofpbuf_list_delete(&replies);
}

static void
append(const struct of_flow ***array, size_t *n, const struct of_flow *f)
{
    *array = xrealloc(*array, (*n + 1) * sizeof **array);
    (*array)[(*n)++] = f;
}

void
flow_audit_compare(const struct of_flow_set *expected,
                   const struct of_flow_set *found,
                   uint64_t foreign_cookie, uint64_t foreign_mask,
                   struct flow_audit_diff *diff)
{
    struct of_flow_diff d;

    memset(diff, 0, sizeof *diff);
    /* From what the switch has to what it should have. */
    of_flow_set_diff(found, expected, &d);
    diff->missing = d.add;
    diff->n_missing = d.n_add;
    diff->changed = d.modify;
    diff->n_changed = d.n_modify;
    for (size_t i = 0; i < d.n_del; i++) {
        const struct of_flow *f = d.del[i];

        if (foreign_mask && (f->cookie & foreign_mask) == foreign_cookie) {
            append(&diff->foreign, &diff->n_foreign, f);
        } else {
            append(&diff->extra, &diff->n_extra, f);
        }
    }
    free(d.del);
}

size_t
flow_audit_diff_count(const struct flow_audit_diff *diff)
{
    return diff->n_missing + diff->n_changed + diff->n_extra;
}

void
flow_audit_diff_destroy(struct flow_audit_diff *diff)
{
    free(diff->missing);
    free(diff->changed);
    free(diff->extra);
    free(diff->foreign);
    memset(diff, 0, sizeof *diff);
}
