/* Sets of OpenFlow flows.  See flow-set.h. */

#include <config.h>
#include "flow-set.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

static uint32_t
flow_hash(uint8_t table, uint16_t priority, const char *match)
{
    return hash_string(match, hash_2words(table, priority));
}

void
dp_flow_set_init(struct dp_flow_set *set)
{
    hmap_init(&set->flows);
}

void
dp_flow_set_clear(struct dp_flow_set *set)
{
    struct dp_flow *f;

    HMAP_FOR_EACH_POP (f, node, &set->flows) {
        free(f->match);
        free(f->actions);
        free(f);
    }
}

void
dp_flow_set_destroy(struct dp_flow_set *set)
{
    dp_flow_set_clear(set);
    hmap_destroy(&set->flows);
}

size_t
dp_flow_set_count(const struct dp_flow_set *set)
{
    return hmap_count(&set->flows);
}

struct dp_flow *
dp_flow_set_find(const struct dp_flow_set *set, uint8_t table,
                 uint16_t priority, const char *match)
{
    struct dp_flow *f;

    HMAP_FOR_EACH_WITH_HASH (f, node, flow_hash(table, priority, match),
                             &set->flows) {
        if (f->table == table && f->priority == priority
            && !strcmp(f->match, match)) {
            return f;
        }
    }
    return NULL;
}

struct dp_flow *
dp_flow_set_add(struct dp_flow_set *set, uint8_t table, uint16_t priority,
                uint64_t cookie, const char *match, const char *actions)
{
    struct dp_flow *f;

    if (dp_flow_set_find(set, table, priority, match)) {
        return NULL;
    }
    f = xmalloc(sizeof *f);
    f->table = table;
    f->priority = priority;
    f->cookie = cookie;
    f->match = xstrdup(match);
    f->actions = xstrdup(actions);
    hmap_insert(&set->flows, &f->node, flow_hash(table, priority, match));
    return f;
}

struct dp_flow *
dp_flow_set_add_format(struct dp_flow_set *set, uint8_t table,
                       uint16_t priority, uint64_t cookie,
                       const char *actions, const char *match_format, ...)
{
    struct dp_flow *f;
    va_list args;
    char *match;

    va_start(args, match_format);
    match = xvasprintf(match_format, args);
    va_end(args);
    f = dp_flow_set_add(set, table, priority, cookie, match, actions);
    free(match);
    return f;
}

void
dp_flow_set_remove(struct dp_flow_set *set, struct dp_flow *f)
{
    hmap_remove(&set->flows, &f->node);
    free(f->match);
    free(f->actions);
    free(f);
}

void
dp_flow_set_swap(struct dp_flow_set *a, struct dp_flow_set *b)
{
    hmap_swap(&a->flows, &b->flows);
}

static int
compare_flows(const void *a_, const void *b_)
{
    const struct dp_flow *a = *(const struct dp_flow *const *) a_;
    const struct dp_flow *b = *(const struct dp_flow *const *) b_;

    if (a->table != b->table) {
        return a->table < b->table ? -1 : 1;
    }
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    return strcmp(a->match, b->match);
}

const struct dp_flow **
dp_flow_set_sorted(const struct dp_flow_set *set)
{
    size_t n = hmap_count(&set->flows), i = 0;
    const struct dp_flow **flows = xmalloc((n ? n : 1) * sizeof *flows);
    const struct dp_flow *f;

    HMAP_FOR_EACH (f, node, &set->flows) {
        flows[i++] = f;
    }
    qsort(flows, n, sizeof *flows, compare_flows);
    return flows;
}

void
dp_flow_format(const struct dp_flow *f, struct ds *s)
{
    ds_put_format(s, "table=%u,priority=%u,cookie=%#"PRIx64, f->table,
                  f->priority, f->cookie);
    if (f->match[0]) {
        ds_put_format(s, ",%s", f->match);
    }
    ds_put_format(s, " actions=%s", f->actions);
}

void
dp_flow_set_format(const struct dp_flow_set *set, struct ds *s)
{
    const struct dp_flow **sorted = dp_flow_set_sorted(set);

    for (size_t i = 0; i < dp_flow_set_count(set); i++) {
        dp_flow_format(sorted[i], s);
        ds_put_char(s, '\n');
    }
    free(sorted);
}

void
dp_flow_set_print(const struct dp_flow_set *set, FILE *stream)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    dp_flow_set_format(set, &s);
    fputs(ds_cstr(&s), stream);
    ds_destroy(&s);
}

static void
append(const struct dp_flow ***array, size_t *n, const struct dp_flow *f)
{
    *array = xrealloc(*array, (*n + 1) * sizeof **array);
    (*array)[(*n)++] = f;
}

/* Whether 'f' is among the flows a diff considers: all if 'all', else
 * those with one of the 'n' cookies in 'cookies'. */
static bool
diff_considers(const struct dp_flow *f, bool all, const uint64_t *cookies,
               size_t n)
{
    if (all) {
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        if (f->cookie == cookies[i]) {
            return true;
        }
    }
    return false;
}

static void
diff__(const struct dp_flow_set *old, const struct dp_flow_set *new,
       bool all, const uint64_t *cookies, size_t n,
       struct dp_flow_diff *diff)
{
    const struct dp_flow *f;

    memset(diff, 0, sizeof *diff);
    HMAP_FOR_EACH (f, node, &new->flows) {
        const struct dp_flow *o;

        if (!diff_considers(f, all, cookies, n)) {
            continue;
        }
        o = dp_flow_set_find(old, f->table, f->priority, f->match);
        if (!o) {
            append(&diff->add, &diff->n_add, f);
        } else if (o->cookie != f->cookie || strcmp(o->actions, f->actions)) {
            append(&diff->modify, &diff->n_modify, f);
        }
    }
    HMAP_FOR_EACH (f, node, &old->flows) {
        if (diff_considers(f, all, cookies, n)
            && !dp_flow_set_find(new, f->table, f->priority, f->match)) {
            append(&diff->del, &diff->n_del, f);
        }
    }
}

void
dp_flow_set_diff(const struct dp_flow_set *old, const struct dp_flow_set *new,
                 struct dp_flow_diff *diff)
{
    diff__(old, new, true, NULL, 0, diff);
}

void
dp_flow_set_diff_cookies(const struct dp_flow_set *old,
                         const struct dp_flow_set *new,
                         const uint64_t *cookies, size_t n,
                         struct dp_flow_diff *diff)
{
    diff__(old, new, false, cookies, n, diff);
}

void
dp_flow_diff_destroy(struct dp_flow_diff *diff)
{
    free(diff->add);
    free(diff->modify);
    free(diff->del);
    memset(diff, 0, sizeof *diff);
}
