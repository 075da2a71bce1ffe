/* The audit's decisions: what a switch's flows differ in from what the
 * installer believes it has, with no I/O (the installer reads the flows
 * back and sends the repairs: installer.h).
 *
 * A flow read back from a switch is decoded and put in the same canonical
 * form as the flows the pipeline wrote (flow-set.h): two flows are the same
 * if their table, priority and match are, and different if their cookie or
 * actions are not, with no text in between ("load:" written, "set_field:"
 * read back, prerequisites spelled otherwise: the same flow).
 *
 * An audit reads a switch's flows in parts, by some bits of the cookie's
 * key (PIPELINE_COOKIE(): bits 32 and up), so that one request never
 * brings back more than about FLOW_AUDIT_PART_FLOWS flows and a switchover
 * queued behind it does not wait for a whole big table to be dumped. */

#ifndef FLOW_AUDIT_H
#define FLOW_AUDIT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow-set.h"

struct ofputil_flow_stats;

/* At most this many of the installed flows in one part, on average. */
#define FLOW_AUDIT_PART_FLOWS 1000
/* The most parts a table is read in (a power of 2). */
#define FLOW_AUDIT_MAX_PARTS 256
/* The first bit of the cookie that picks a flow's part. */
#define FLOW_AUDIT_PART_SHIFT 32

/* How many parts a table of 'n_flows' flows is read in: a power of 2
 * between 1 and FLOW_AUDIT_MAX_PARTS. */
unsigned int flow_audit_n_parts(size_t n_flows);

/* The cookie and mask a flow stats request for part 'part' of 'n_parts'
 * (from flow_audit_n_parts()) asks for. */
void flow_audit_part_cookie(unsigned int part, unsigned int n_parts,
                            uint64_t *cookie, uint64_t *mask);
bool flow_audit_in_part(uint64_t cookie, unsigned int part,
                        unsigned int n_parts);

/* Adds the flow of a decoded flow stats reply to 'set', in the canonical
 * form (of_flow_set_add_decoded()).  Returns false if 'set' has a flow of
 * its identity already. */
bool flow_audit_add_stats(struct of_flow_set *set,
                          const struct ofputil_flow_stats *);

/* Adds each flow of 'in' to 'parts[i]' for its part i of 'n_parts': what
 * the switch should answer for each part.  The copies share their parsed
 * forms with 'in'.  One walk over 'in' for all parts: at tens of thousands
 * of flows, walking a set costs more than comparing one part. */
void flow_audit_split(const struct of_flow_set *in, unsigned int n_parts,
                      struct of_flow_set parts[]);

/* What a part's flows as read back ('found') differ in from those the
 * switch should have ('expected', from flow_audit_split()):
 *
 *   - 'missing': expected flows the switch lacks (pointers into
 *     'expected');
 *   - 'changed': expected flows the switch has with other actions or another
 *     cookie (pointers into 'expected');
 *   - 'extra': flows the switch has that were not expected, with a cookie of
 *     ours (pointers into 'found');
 *   - 'foreign': flows the switch has that were not expected, with a cookie
 *     that is not ours: (cookie & 'foreign_mask') == 'foreign_cookie'
 *     (never, if 'foreign_mask' is 0) (pointers into 'found').  Someone
 *     else put them there; the audit reports them and leaves them alone. */
struct flow_audit_diff {
    const struct of_flow **missing;
    size_t n_missing;
    const struct of_flow **changed;
    size_t n_changed;
    const struct of_flow **extra;
    size_t n_extra;
    const struct of_flow **foreign;
    size_t n_foreign;
};

void flow_audit_compare(const struct of_flow_set *expected,
                        const struct of_flow_set *found,
                        uint64_t foreign_cookie, uint64_t foreign_mask,
                        struct flow_audit_diff *);
/* The flows to repair: missing + changed + extra. */
size_t flow_audit_diff_count(const struct flow_audit_diff *);
void flow_audit_diff_destroy(struct flow_audit_diff *);

#endif /* flow-audit.h */
