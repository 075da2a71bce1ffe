/* Sets of OpenFlow flows, as the pipeline computes them and as the
 * installer compares them with what a switch has.
 *
 * A flow is identified by (table, priority, match): at most one flow of a
 * set has a given identity, as in an OpenFlow table.  Matches and actions
 * are kept as text in ovs-ofctl syntax: that is what the pipeline writes,
 * what tests compare and what a human debugging a host reads; the installer
 * parses them (libopenvswitch's parser) when it sends them. */

#ifndef FLOW_SET_H
#define FLOW_SET_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "openvswitch/hmap.h"

struct ds;

struct of_flow {
    struct hmap_node node;      /* In of_flow_set 'flows', by identity. */
    struct hmap_node cookie_node;       /* In 'by_cookie', by cookie. */
    uint8_t table;
    uint16_t priority;
    uint64_t cookie;
    char *match;                /* ovs-ofctl syntax; "" matches all. */
    char *actions;              /* ovs-ofctl syntax; "drop" drops. */
};

/* A set is indexed twice: by identity, and by cookie, so that the flows
 * of a few cookies (one port's, when a migration moves it) are found
 * without looking at the others: the installer's work for a switchover does
 * not grow with the size of the host's pipeline. */
struct of_flow_set {
    struct hmap flows;          /* By identity. */
    struct hmap by_cookie;      /* The same flows, by cookie. */
};

/* Iterates over the flows of 'SET' with cookie 'COOKIE'.  Removing FLOW
 * while iterating is not allowed (use of_flow_set_remove_cookie()). */
#define OF_FLOW_SET_FOR_EACH_WITH_COOKIE(FLOW, COOKIE, SET)              \
    HMAP_FOR_EACH_WITH_HASH (FLOW, cookie_node, of_flow_cookie_hash(COOKIE), \
                             &(SET)->by_cookie)                          \
        if ((FLOW)->cookie == (COOKIE))
uint32_t of_flow_cookie_hash(uint64_t cookie);

void of_flow_set_init(struct of_flow_set *);
void of_flow_set_destroy(struct of_flow_set *);
void of_flow_set_clear(struct of_flow_set *);
size_t of_flow_set_count(const struct of_flow_set *);

/* Adds a flow.  Returns the flow, or NULL if the set has a flow with the
 * same identity already (which the pipeline treats as a bug: two rules
 * claiming one slot). */
struct of_flow *of_flow_set_add(struct of_flow_set *, uint8_t table,
                                uint16_t priority, uint64_t cookie,
                                const char *match, const char *actions);
struct of_flow *of_flow_set_add_format(struct of_flow_set *, uint8_t table,
                                       uint16_t priority, uint64_t cookie,
                                       const char *actions,
                                       const char *match_format, ...)
    OVS_PRINTF_FORMAT(6, 7);

/* Adds a copy of 'flow' (of another set).  Returns the copy, or NULL if
 * the set has a flow with its identity already. */
struct of_flow *of_flow_set_add_flow(struct of_flow_set *,
                                     const struct of_flow *flow);

/* Removes and frees 'flow', which must be in 'set'. */
void of_flow_set_remove(struct of_flow_set *, struct of_flow *flow);

/* Removes and frees every flow of 'set' with 'cookie'. */
void of_flow_set_remove_cookie(struct of_flow_set *, uint64_t cookie);

/* Moves 'flow' from 'src' (where it must be) to 'dst', unless 'dst' has a
 * flow with its identity: then it is freed.  Returns whether it moved. */
bool of_flow_set_move(struct of_flow_set *dst, struct of_flow_set *src,
                      struct of_flow *flow);

/* Exchanges the flows of 'a' and 'b'. */
void of_flow_set_swap(struct of_flow_set *a, struct of_flow_set *b);

struct of_flow *of_flow_set_find(const struct of_flow_set *, uint8_t table,
                                 uint16_t priority, const char *match);

/* Flows in a stable order (table, priority descending, match), for output
 * and tests.  The caller frees the array. */
const struct of_flow **of_flow_set_sorted(const struct of_flow_set *);

/* Writes a flow as 'ovs-ofctl add-flow' takes it. */
void of_flow_format(const struct of_flow *, struct ds *);

/* Writes every flow of 'set', one a line, in the stable order of
 * of_flow_set_sorted(): what 'ovs-ofctl add-flows' reads. */
void of_flow_set_print(const struct of_flow_set *, FILE *);
void of_flow_set_format(const struct of_flow_set *, struct ds *);

/* What turns 'old' into 'new': flows to add, to modify (same identity,
 * other actions or cookie; pointers into 'new') and to delete (pointers
 * into 'old').  The caller frees the arrays. */
struct of_flow_diff {
    const struct of_flow **add;
    size_t n_add;
    const struct of_flow **modify;
    size_t n_modify;
    const struct of_flow **del;
    size_t n_del;
};

void of_flow_set_diff(const struct of_flow_set *old,
                      const struct of_flow_set *new,
                      struct of_flow_diff *);
/* The same, considering only the flows (of either set) whose cookie is one
 * of the 'n' in 'cookies': what changed when only those were updated. */
void of_flow_set_diff_cookies(const struct of_flow_set *old,
                              const struct of_flow_set *new,
                              const uint64_t *cookies, size_t n,
                              struct of_flow_diff *);
void of_flow_diff_destroy(struct of_flow_diff *);

#endif /* flow-set.h */
