/* Sets of OpenFlow flows.  See flow-set.h. */

#include <config.h>
#include "flow-set.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-parse.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(flow_set);

/* The parses shared by flows added from the same text, by
 * parse_text_hash(). */
static struct hmap shared_parses = HMAP_INITIALIZER(&shared_parses);

/* The protocol of the canonical form: the newest the installer speaks. */
#define CANONICAL_PROTOCOL OFPUTIL_P_OF15_OXM

static uint32_t
parse_text_hash(uint8_t table, uint16_t priority, const char *match,
                const char *actions)
{
    return hash_string(actions, hash_string(match,
                                            hash_2words(table, priority)));
}

static uint32_t
identity_hash(uint8_t table, uint16_t priority, uint32_t match_hash)
{
    return hash_2words(hash_2words(table, priority), match_hash);
}

static uint32_t
flow_hash(const struct of_flow *f)
{
    return identity_hash(f->table, f->priority, f->parsed->match_hash);
}

uint32_t
of_flow_cookie_hash(uint64_t cookie)
{
    return hash_uint64(cookie);
}

/* Puts the match and actions of 'fm' in the canonical form, into 'p': the
 * form a switch's flow stats reply decodes to (flow-set.h).  A decoder
 * leaves padding inside some actions as it found it, so the actions are
 * decoded into memory that is all zeros: the same actions are then the
 * same bytes.  Returns NULL, or an error (the caller frees it). */
static char *
canonicalize(const struct ofputil_flow_mod *fm, struct of_flow_parsed *p)
{
    /* Zeros but for the first 'dirty' bytes, which the last decoding
     * wrote (no OpenFlow message, so no actions, exceeds 64 kB). */
    static uint64_t zeros[65536 / 8 + 1];
    static size_t dirty;
    struct ofputil_flow_mod out;
    struct ofpbuf *msg, ofpacts;
    enum ofperr error;

    memset(zeros, 0, dirty);
    ofpbuf_use_stub(&ofpacts, zeros, sizeof zeros);
    msg = ofputil_encode_flow_mod(fm, CANONICAL_PROTOCOL);
    error = ofputil_decode_flow_mod(&out, msg->data, CANONICAL_PROTOCOL,
                                    NULL, NULL, &ofpacts, OFPP_MAX, 255);
    ofpbuf_delete(msg);
    /* A decoding that failed, or outgrew the zeros, may have written
     * anywhere in them. */
    dirty = (!error && ofpacts.base == zeros ? ofpacts.size
             : sizeof zeros);
    if (error) {
        ofpbuf_uninit(&ofpacts);
        return xasprintf("not decoded again as the switch would (%s)",
                         ofperr_to_string(error));
    }
    minimatch_move(&p->match, &out.match);
    p->match_hash = minimatch_hash(&p->match, 0);
    p->ofpacts = xmemdup(out.ofpacts, out.ofpacts_len);
    p->ofpacts_len = out.ofpacts_len;
    ofpbuf_uninit(&ofpacts);
    return NULL;
}

/* Parses the text of a flow into a new parsed form, or returns NULL and
 * sets '*errorp'. */
static struct of_flow_parsed *
parse_text(uint8_t table, uint16_t priority, const char *match,
           const char *actions, char **errorp)
{
    char *text = xasprintf("table=%u,priority=%u%s%s,actions=%s", table,
                           priority, match[0] ? "," : "", match, actions);
    struct of_flow_parsed *p = xzalloc(sizeof *p);
    enum ofputil_protocol usable;
    struct ofputil_flow_mod fm;
    char *error;

    error = parse_ofp_flow_mod_str(&fm, text, NULL, NULL, OFPFC_ADD,
                                   &usable);
    if (!error) {
        if (!(usable & (OFPUTIL_P_OF14_OXM | CANONICAL_PROTOCOL))) {
            error = xstrdup("needs an OpenFlow version other than 1.4 and "
                            "1.5");
        } else {
            error = canonicalize(&fm, p);
        }
        minimatch_destroy(&fm.match);
        free(CONST_CAST(struct ofpact *, fm.ofpacts));
    }
    free(text);
    if (error) {
        free(p);
        *errorp = error;
        return NULL;
    }
    p->ref_cnt = 1;
    p->table = table;
    p->priority = priority;
    p->match_text = xstrdup(match);
    p->actions_text = xstrdup(actions);
    return p;
}

/* The parsed form of a flow's text, shared: a new reference. */
static struct of_flow_parsed *
parsed_get(uint8_t table, uint16_t priority, const char *match,
           const char *actions, char **errorp)
{
    uint32_t hash = parse_text_hash(table, priority, match, actions);
    struct of_flow_parsed *p;

    HMAP_FOR_EACH_WITH_HASH (p, node, hash, &shared_parses) {
        if (p->table == table && p->priority == priority
            && !strcmp(p->match_text, match)
            && !strcmp(p->actions_text, actions)) {
            p->ref_cnt++;
            return p;
        }
    }
    p = parse_text(table, priority, match, actions, errorp);
    if (p) {
        p->shared = true;
        hmap_insert(&shared_parses, &p->node, hash);
    }
    return p;
}

static void
parsed_unref(const struct of_flow_parsed *p_)
{
    struct of_flow_parsed *p = CONST_CAST(struct of_flow_parsed *, p_);

    if (p && !--p->ref_cnt) {
        if (p->shared) {
            hmap_remove(&shared_parses, &p->node);
        }
        minimatch_destroy(&p->match);
        free(p->ofpacts);
        free(p->match_text);
        free(p->actions_text);
        free(p);
    }
}

void
of_flow_set_init(struct of_flow_set *set)
{
    hmap_init(&set->flows);
    hmap_init(&set->by_cookie);
    set->n_unparsed = 0;
}

static void
flow_free(struct of_flow *f)
{
    parsed_unref(f->parsed);
    free(f);
}

void
of_flow_set_clear(struct of_flow_set *set)
{
    struct of_flow *f;

    hmap_clear(&set->by_cookie);
    HMAP_FOR_EACH_POP (f, node, &set->flows) {
        flow_free(f);
    }
    set->n_unparsed = 0;
}

void
of_flow_set_destroy(struct of_flow_set *set)
{
    of_flow_set_clear(set);
    hmap_destroy(&set->flows);
    hmap_destroy(&set->by_cookie);
}

static void
flow_insert(struct of_flow_set *set, struct of_flow *f)
{
    hmap_insert(&set->flows, &f->node, flow_hash(f));
    hmap_insert(&set->by_cookie, &f->cookie_node,
                of_flow_cookie_hash(f->cookie));
}

static void
flow_unlink(struct of_flow_set *set, struct of_flow *f)
{
    hmap_remove(&set->flows, &f->node);
    hmap_remove(&set->by_cookie, &f->cookie_node);
}

size_t
of_flow_set_count(const struct of_flow_set *set)
{
    return hmap_count(&set->flows);
}

static struct of_flow *
find(const struct of_flow_set *set, uint8_t table, uint16_t priority,
     const struct of_flow_parsed *p)
{
    struct of_flow *f;

    HMAP_FOR_EACH_WITH_HASH (f, node,
                             identity_hash(table, priority, p->match_hash),
                             &set->flows) {
        if (f->table == table && f->priority == priority
            && (f->parsed == p
                || minimatch_equal(&f->parsed->match, &p->match))) {
            return f;
        }
    }
    return NULL;
}

struct of_flow *
of_flow_set_find_flow(const struct of_flow_set *set, const struct of_flow *f)
{
    return find(set, f->table, f->priority, f->parsed);
}

struct of_flow *
of_flow_set_find(const struct of_flow_set *set, uint8_t table,
                 uint16_t priority, const char *match)
{
    char *text = xasprintf("table=%u,priority=%u%s%s", table, priority,
                           match[0] ? "," : "", match);
    struct of_flow_parsed p = { .match_hash = 0 };
    enum ofputil_protocol usable;
    struct ofputil_flow_mod fm;
    struct of_flow *f = NULL;
    char *error;

    error = parse_ofp_flow_mod_str(&fm, text, NULL, NULL,
                                   OFPFC_DELETE_STRICT, &usable);
    free(text);
    if (error) {
        free(error);
        return NULL;
    }
    p.match = fm.match;
    p.match_hash = minimatch_hash(&p.match, 0);
    f = find(set, table, priority, &p);
    minimatch_destroy(&fm.match);
    free(CONST_CAST(struct ofpact *, fm.ofpacts));
    return f;
}

/* Gives 'p' its text, if it has none yet (a flow read back). */
static void
format_text(const struct of_flow_parsed *p_)
{
    struct of_flow_parsed *p = CONST_CAST(struct of_flow_parsed *, p_);
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &s };
    struct match match;

    if (p->match_text) {
        return;
    }
    minimatch_expand(&p->match, &match);
    match_format(&match, NULL, &s, OFP_DEFAULT_PRIORITY);
    p->match_text = ds_steal_cstr(&s);
    ofpacts_format(p->ofpacts, p->ofpacts_len, &fp);
    p->actions_text = s.length ? ds_steal_cstr(&s) : xstrdup("drop");
    ds_destroy(&s);
}

const char *
of_flow_match_text(const struct of_flow *f)
{
    format_text(f->parsed);
    return f->parsed->match_text;
}

const char *
of_flow_actions_text(const struct of_flow *f)
{
    format_text(f->parsed);
    return f->parsed->actions_text;
}

bool
of_flow_same_actions(const struct of_flow *a, const struct of_flow *b)
{
    return (a->parsed == b->parsed
            || ofpacts_equal(a->parsed->ofpacts, a->parsed->ofpacts_len,
                             b->parsed->ofpacts, b->parsed->ofpacts_len));
}

/* Adds a flow of 'set' with parsed form 'p' (taking its reference), unless
 * the set has one of its identity. */
static struct of_flow *
add_parsed(struct of_flow_set *set, uint8_t table, uint16_t priority,
           uint64_t cookie, const struct of_flow_parsed *p)
{
    struct of_flow *f;

    if (find(set, table, priority, p)) {
        parsed_unref(p);
        return NULL;
    }
    f = xmalloc(sizeof *f);
    f->table = table;
    f->priority = priority;
    f->cookie = cookie;
    f->parsed = p;
    flow_insert(set, f);
    return f;
}

struct of_flow *
of_flow_set_add(struct of_flow_set *set, uint8_t table, uint16_t priority,
                uint64_t cookie, const char *match, const char *actions)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct of_flow_parsed *p;
    char *error = NULL;

    p = parsed_get(table, priority, match, actions, &error);
    if (!p) {
        VLOG_WARN_RL(&rl, "leaving out a flow that does not parse (%s): "
                     "table=%u,priority=%u,%s actions=%s", error, table,
                     priority, match, actions);
        free(error);
        set->n_unparsed++;
        return NULL;
    }
    return add_parsed(set, table, priority, cookie, p);
}

struct of_flow *
of_flow_set_add_format(struct of_flow_set *set, uint8_t table,
                       uint16_t priority, uint64_t cookie,
                       const char *actions, const char *match_format, ...)
{
    struct of_flow *f;
    va_list args;
    char *match;

    va_start(args, match_format);
    match = xvasprintf(match_format, args);
    va_end(args);
    f = of_flow_set_add(set, table, priority, cookie, match, actions);
    free(match);
    return f;
}

struct of_flow *
of_flow_set_add_flow(struct of_flow_set *set, const struct of_flow *f)
{
    CONST_CAST(struct of_flow_parsed *, f->parsed)->ref_cnt++;
    return add_parsed(set, f->table, f->priority, f->cookie, f->parsed);
}

struct of_flow *
of_flow_set_add_decoded(struct of_flow_set *set, uint8_t table,
                        uint16_t priority, uint64_t cookie,
                        const struct match *match,
                        const struct ofpact *ofpacts, size_t ofpacts_len)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ofputil_flow_mod fm = {
        .priority = priority,
        .table_id = table,
        .command = OFPFC_ADD,
        .buffer_id = UINT32_MAX,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .ofpacts = CONST_CAST(struct ofpact *, ofpacts),
        .ofpacts_len = ofpacts_len,
    };
    struct of_flow_parsed *p = xzalloc(sizeof *p);
    char *error;

    minimatch_init(&fm.match, match);
    error = canonicalize(&fm, p);
    minimatch_destroy(&fm.match);
    if (error) {
        struct ds s = DS_EMPTY_INITIALIZER;
        struct ofpact_format_params fp = { .s = &s };

        if (!VLOG_DROP_WARN(&rl)) {
            match_format(match, NULL, &s, OFP_DEFAULT_PRIORITY);
            ds_put_cstr(&s, " actions=");
            ofpacts_format(ofpacts, ofpacts_len, &fp);
            VLOG_WARN("a flow read back cannot be compared (%s): "
                      "table=%u,priority=%u,%s", error, table, priority,
                      ds_cstr(&s));
        }
        ds_destroy(&s);
        free(error);
        free(p);
        return NULL;
    }
    p->ref_cnt = 1;
    p->table = table;
    p->priority = priority;
    return add_parsed(set, table, priority, cookie, p);
}

void
of_flow_set_share(struct of_flow_set *set, const struct of_flow_set *with)
{
    struct of_flow *f;

    HMAP_FOR_EACH (f, node, &set->flows) {
        const struct of_flow *w = of_flow_set_find_flow(with, f);

        if (w && w->parsed != f->parsed && of_flow_same_actions(w, f)) {
            /* The same identity hashes the same: 'f' stays where it is. */
            CONST_CAST(struct of_flow_parsed *, w->parsed)->ref_cnt++;
            parsed_unref(f->parsed);
            f->parsed = w->parsed;
        }
    }
}

void
of_flow_set_remove(struct of_flow_set *set, struct of_flow *f)
{
    flow_unlink(set, f);
    flow_free(f);
}

void
of_flow_set_remove_cookie(struct of_flow_set *set, uint64_t cookie)
{
    struct hmap_node *node, *next;

    for (node = hmap_first_with_hash(&set->by_cookie,
                                     of_flow_cookie_hash(cookie));
         node; node = next) {
        struct of_flow *f = CONTAINER_OF(node, struct of_flow, cookie_node);

        next = hmap_next_with_hash(node);
        if (f->cookie == cookie) {
            of_flow_set_remove(set, f);
        }
    }
}

bool
of_flow_set_move(struct of_flow_set *dst, struct of_flow_set *src,
                 struct of_flow *f)
{
    flow_unlink(src, f);
    if (of_flow_set_find_flow(dst, f)) {
        flow_free(f);
        return false;
    }
    flow_insert(dst, f);
    return true;
}

void
of_flow_set_swap(struct of_flow_set *a, struct of_flow_set *b)
{
    size_t n_unparsed = a->n_unparsed;

    hmap_swap(&a->flows, &b->flows);
    hmap_swap(&a->by_cookie, &b->by_cookie);
    a->n_unparsed = b->n_unparsed;
    b->n_unparsed = n_unparsed;
}

static int
compare_flows(const void *a_, const void *b_)
{
    const struct of_flow *a = *(const struct of_flow *const *) a_;
    const struct of_flow *b = *(const struct of_flow *const *) b_;

    if (a->table != b->table) {
        return a->table < b->table ? -1 : 1;
    }
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    return strcmp(of_flow_match_text(a), of_flow_match_text(b));
}

const struct of_flow **
of_flow_set_sorted(const struct of_flow_set *set)
{
    size_t n = hmap_count(&set->flows), i = 0;
    const struct of_flow **flows = xmalloc((n ? n : 1) * sizeof *flows);
    const struct of_flow *f;

    HMAP_FOR_EACH (f, node, &set->flows) {
        flows[i++] = f;
    }
    qsort(flows, n, sizeof *flows, compare_flows);
    return flows;
}

void
of_flow_format(const struct of_flow *f, struct ds *s)
{
    ds_put_format(s, "table=%u,priority=%u,cookie=%#"PRIx64, f->table,
                  f->priority, f->cookie);
    if (of_flow_match_text(f)[0]) {
        ds_put_format(s, ",%s", of_flow_match_text(f));
    }
    ds_put_format(s, " actions=%s", of_flow_actions_text(f));
}

void
of_flow_set_format(const struct of_flow_set *set, struct ds *s)
{
    const struct of_flow **sorted = of_flow_set_sorted(set);

    for (size_t i = 0; i < of_flow_set_count(set); i++) {
        of_flow_format(sorted[i], s);
        ds_put_char(s, '\n');
    }
    free(sorted);
}

void
of_flow_set_print(const struct of_flow_set *set, FILE *stream)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    of_flow_set_format(set, &s);
    fputs(ds_cstr(&s), stream);
    ds_destroy(&s);
}

static void
append(const struct of_flow ***array, size_t *n, const struct of_flow *f)
{
    *array = xrealloc(*array, (*n + 1) * sizeof **array);
    (*array)[(*n)++] = f;
}

/* Adds to 'diff' what gives the switch 'new''s flow 'f': an add if 'old'
 * has no flow of its identity (table, priority, match), a modify if that
 * flow's cookie or actions differ, nothing if they are the same. */
static void
diff_new_flow(const struct of_flow_set *old, const struct of_flow *f,
              struct of_flow_diff *diff)
{
    const struct of_flow *o = of_flow_set_find_flow(old, f);

    if (!o) {
        append(&diff->add, &diff->n_add, f);
    } else if (o->cookie != f->cookie || !of_flow_same_actions(o, f)) {
        append(&diff->modify, &diff->n_modify, f);
    }
}

/* Adds to 'diff' a delete of 'old''s flow 'o' if 'new' has no flow of its
 * identity. */
static void
diff_old_flow(const struct of_flow_set *new, const struct of_flow *o,
              struct of_flow_diff *diff)
{
    if (!of_flow_set_find_flow(new, o)) {
        append(&diff->del, &diff->n_del, o);
    }
}

void
of_flow_set_diff(const struct of_flow_set *old, const struct of_flow_set *new,
                 struct of_flow_diff *diff)
{
    const struct of_flow *f;

    memset(diff, 0, sizeof *diff);
    HMAP_FOR_EACH (f, node, &new->flows) {
        diff_new_flow(old, f, diff);
    }
    HMAP_FOR_EACH (f, node, &old->flows) {
        diff_old_flow(new, f, diff);
    }
}

/* Through the cookie index: the cost is that of the flows with 'cookies',
 * whatever the size of the sets. */
void
of_flow_set_diff_cookies(const struct of_flow_set *old,
                         const struct of_flow_set *new,
                         const uint64_t *cookies, size_t n,
                         struct of_flow_diff *diff)
{
    const struct of_flow *f;

    memset(diff, 0, sizeof *diff);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;

        for (size_t j = 0; j < i && !seen; j++) {
            seen = cookies[j] == cookies[i];
        }
        if (seen) {
            continue;
        }
        OF_FLOW_SET_FOR_EACH_WITH_COOKIE (f, cookies[i], new) {
            diff_new_flow(old, f, diff);
        }
        OF_FLOW_SET_FOR_EACH_WITH_COOKIE (f, cookies[i], old) {
            diff_old_flow(new, f, diff);
        }
    }
}

void
of_flow_diff_destroy(struct of_flow_diff *diff)
{
    free(diff->add);
    free(diff->modify);
    free(diff->del);
    memset(diff, 0, sizeof *diff);
}
