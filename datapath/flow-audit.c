/* The audit's decisions.  See flow-audit.h. */

#include <config.h>
#include "flow-audit.h"

#include <stdlib.h>
#include <string.h>

#include "byte-order.h"
#include "openvswitch/ofp-flow.h"
#include "util.h"

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
    return of_flow_set_add_decoded(set, fs->table_id, fs->priority,
                                   ntohll(fs->cookie), &fs->match,
                                   fs->ofpacts, fs->ofpacts_len) != NULL;
}

void
flow_audit_split(const struct of_flow_set *in, unsigned int n_parts,
                 struct of_flow_set parts[])
{
    const struct of_flow *f;

    HMAP_FOR_EACH (f, node, &in->flows) {
        of_flow_set_add_flow(
            &parts[(f->cookie >> FLOW_AUDIT_PART_SHIFT) & (n_parts - 1)], f);
    }
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
