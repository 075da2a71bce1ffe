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

uint32_t
of_flow_cookie_hash(uint64_t cookie)
{
    return hash_uint64(cookie);
}

void
of_flow_set_init(struct of_flow_set *set)
{
    hmap_init(&set->flows);
    hmap_init(&set->by_cookie);
}

static void
flow_free(struct of_flow *f)
{
    free(f->match);
    free(f->actions);
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
    hmap_insert(&set->flows, &f->node,
                flow_hash(f->table, f->priority, f->match));
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

struct of_flow *
of_flow_set_find(const struct of_flow_set *set, uint8_t table,
                 uint16_t priority, const char *match)
{
    struct of_flow *f;

    HMAP_FOR_EACH_WITH_HASH (f, node, flow_hash(table, priority, match),
                             &set->flows) {
        if (f->table == table && f->priority == priority
            && !strcmp(f->match, match)) {
            return f;
        }
    }
    return NULL;
}

struct of_flow *
of_flow_set_add(struct of_flow_set *set, uint8_t table, uint16_t priority,
                uint64_t cookie, const char *match, const char *actions)
{
    struct of_flow *f;

    if (of_flow_set_find(set, table, priority, match)) {
        return NULL;
    }
    f = xmalloc(sizeof *f);
    f->table = table;
    f->priority = priority;
    f->cookie = cookie;
    f->match = xstrdup(match);
    f->actions = xstrdup(actions);
    flow_insert(set, f);
    return f;
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
    return of_flow_set_add(set, f->table, f->priority, f->cookie, f->match,
                           f->actions);
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
    if (of_flow_set_find(dst, f->table, f->priority, f->match)) {
        flow_free(f);
        return false;
    }
    flow_insert(dst, f);
    return true;
}

void
of_flow_set_swap(struct of_flow_set *a, struct of_flow_set *b)
{
    hmap_swap(&a->flows, &b->flows);
    hmap_swap(&a->by_cookie, &b->by_cookie);
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
    return strcmp(a->match, b->match);
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
    if (f->match[0]) {
        ds_put_format(s, ",%s", f->match);
    }
    ds_put_format(s, " actions=%s", f->actions);
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
    const struct of_flow *o = of_flow_set_find(old, f->table, f->priority,
                                               f->match);
    if (!o) {
        append(&diff->add, &diff->n_add, f);
    } else if (o->cookie != f->cookie || strcmp(o->actions, f->actions)) {
        append(&diff->modify, &diff->n_modify, f);
    }
}

/* Adds to 'diff' a delete of 'old''s flow 'o' if 'new' has no flow of its
 * identity. */
static void
diff_old_flow(const struct of_flow_set *new, const struct of_flow *o,
              struct of_flow_diff *diff)
{
    if (!of_flow_set_find(new, o->table, o->priority, o->match)) {
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
