/* Sets of OpenFlow flows, as the pipeline computes them and as the
 * installer compares them with what a switch has.
 *
 * A flow is identified by (table, priority, match): at most one flow of a
 * set has a given identity, as in an OpenFlow table.  Flows are carried
 * parsed, as OVN's ofctrl carries them: each has its match (a minimatch,
 * the canonical key: two spellings of one match are one identity) and its
 * actions (ofpacts), parsed once when the flow is added, by
 * libopenvswitch's parser, which checks actions against the match as the
 * switch does.  The installer encodes flow mods from them and the audit
 * compares what a switch sends back with them, with no text in between.
 *
 * Each flow has its text too, in ovs-ofctl syntax (of_flow_match_text(),
 * of_flow_actions_text()): as the pipeline wrote it, or, for a flow read
 * back from a switch, as libopenvswitch formats it ('ovs-ofctl
 * dump-flows'), when first asked for.  Text is for display, logs and
 * golden tests; nothing decides on it.
 *
 * The parsed form is the one a switch's answer decodes to: a flow written
 * as text is parsed, encoded as an OpenFlow 1.5 flow mod and decoded again
 * (so "load:" becomes "set_field:", as the switch will say), and a flow
 * read back is put through the same encoding and decoding.  Two flows then
 * have the same actions exactly when their ofpacts are the same bytes.
 *
 * Parsing is what a flow costs most, so a parse is shared: every flow
 * added from the same text (table, priority, match and actions; the cookie
 * is the flow's own) uses one parsed form, counted by reference, whichever
 * set or host it is in.  A host whose flows are computed again costs a
 * lookup for each flow that did not change, and the same flow on a hundred
 * hosts is parsed, and kept, once.  The table of shared parses is the
 * process's: flow sets are used by one thread. */

#ifndef FLOW_SET_H
#define FLOW_SET_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "openvswitch/hmap.h"
#include "openvswitch/match.h"

struct ds;
struct match;
struct ofpact;

/* A flow's match and actions, parsed.  Shared by the flows added from the
 * same text; never changed once made. */
struct of_flow_parsed {
    struct hmap_node node;      /* In the table of shared parses, if
                                 * 'shared'. */
    bool shared;
    unsigned int ref_cnt;
    uint8_t table;              /* The text's table and priority (a match's */
    uint16_t priority;          /* actions are checked against its table). */
    char *match_text;           /* ovs-ofctl syntax; "" matches all. */
    char *actions_text;         /* ovs-ofctl syntax; "drop" drops.  Both
                                 * NULL, for a flow read back, until
                                 * asked for. */
    struct minimatch match;
    uint32_t match_hash;        /* minimatch_hash(&match, 0). */
    struct ofpact *ofpacts;     /* In the canonical form. */
    size_t ofpacts_len;
};

struct of_flow {
    struct hmap_node node;      /* In of_flow_set 'flows', by identity. */
    struct hmap_node cookie_node;       /* In 'by_cookie', by cookie. */
    uint8_t table;
    uint16_t priority;
    uint64_t cookie;
    const struct of_flow_parsed *parsed;
};

/* The text of a flow's match and actions (ovs-ofctl syntax; "" matches
 * all, "drop" drops). */
const char *of_flow_match_text(const struct of_flow *);
const char *of_flow_actions_text(const struct of_flow *);

/* A set is indexed twice: by identity, and by cookie, so that the flows
 * of a few cookies (one port's, when a migration moves it) are found
 * without looking at the others: the installer's work for a switchover does
 * not grow with the size of the host's pipeline. */
struct of_flow_set {
    struct hmap flows;          /* By identity. */
    struct hmap by_cookie;      /* The same flows, by cookie. */
    size_t n_unparsed;          /* Flows refused: their text did not parse
                                 * (of_flow_set_add()). */
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

/* Adds a flow written as text: 'match' and 'actions' in ovs-ofctl syntax.
 * Returns the flow, or NULL if the set has a flow with the same identity
 * already (which the pipeline treats as a bug: two rules claiming one
 * slot) or if the text does not parse (as the switch would parse it, or
 * not at all in OpenFlow 1.4 or 1.5): then 'n_unparsed' counts it and a
 * rate-limited warning says why. */
struct of_flow *of_flow_set_add(struct of_flow_set *, uint8_t table,
                                uint16_t priority, uint64_t cookie,
                                const char *match, const char *actions);
struct of_flow *of_flow_set_add_format(struct of_flow_set *, uint8_t table,
                                       uint16_t priority, uint64_t cookie,
                                       const char *actions,
                                       const char *match_format, ...)
    OVS_PRINTF_FORMAT(6, 7);

/* Adds a copy of 'flow' (of another set), which shares its parsed form.
 * Returns the copy, or NULL if the set has a flow with its identity
 * already. */
struct of_flow *of_flow_set_add_flow(struct of_flow_set *,
                                     const struct of_flow *flow);

/* Adds a flow as a switch describes it (a flow stats reply, decoded): its
 * text will be libopenvswitch's formatting of it.  Returns the flow, or NULL if
 * the set has a flow with its identity already or the switch's flow cannot
 * be put in the canonical form. */
struct of_flow *of_flow_set_add_decoded(struct of_flow_set *, uint8_t table,
                                        uint16_t priority, uint64_t cookie,
                                        const struct match *,
                                        const struct ofpact *ofpacts,
                                        size_t ofpacts_len);

/* Makes every flow of 'set' that has the identity and the actions of a
 * flow of 'with' share that flow's parsed form (and text), freeing its
 * own: a switch's flows read back, once found the same as the desired
 * ones, cost no more memory than a reference each. */
void of_flow_set_share(struct of_flow_set *set,
                       const struct of_flow_set *with);

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

/* The flow of 'set' with the identity of 'flow' (of any set), or NULL. */
struct of_flow *of_flow_set_find_flow(const struct of_flow_set *,
                                      const struct of_flow *flow);
/* The flow of 'set' with the identity given as text (its match parsed:
 * any spelling of it), or NULL, also if 'match' does not parse.  For tests
 * and tools: it parses. */
struct of_flow *of_flow_set_find(const struct of_flow_set *, uint8_t table,
                                 uint16_t priority, const char *match);

/* Whether 'a' and 'b' have the same actions (parsed). */
bool of_flow_same_actions(const struct of_flow *a, const struct of_flow *b);

/* Flows in a stable order (table, priority descending, match), for output
 * and tests.  The caller frees the array. */
const struct of_flow **of_flow_set_sorted(const struct of_flow_set *);

/* Writes a flow as 'ovs-ofctl add-flow' takes it (its text): the one
 * formatter of flows for display, logs and golden tests. */
void of_flow_format(const struct of_flow *, struct ds *);

/* Writes every flow of 'set', one a line, in the stable order of
 * of_flow_set_sorted(): what 'ovs-ofctl add-flows' reads. */
void of_flow_set_print(const struct of_flow_set *, FILE *);
void of_flow_set_format(const struct of_flow_set *, struct ds *);

/* What turns 'old' into 'new': flows to add, to modify (same identity,
 * other actions or cookie; pointers into 'new') and to delete (pointers
 * into 'old').  Identities and actions are compared parsed.  The caller
 * frees the arrays. */
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
