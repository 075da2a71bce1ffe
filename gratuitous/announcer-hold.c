/* cutover-announcer's holds.  See announcer-hold.h.
 *
 * A frame's life: the rx queue gives its mbuf; its hold tag says which
 * hold and what kind (hold.h); the tag is popped and, while the hold is
 * holding, the mbuf is kept in the hold with its arrival time (the host's
 * wall clock, QEMU's STOP event's clock).  At hold/replay the hold gives the
 * mbufs back in the replay order; each gets the tag "replayed" and goes out
 * in one transmission (the driver frees them).  Nothing is copied. */

#include <config.h>
#include "announcer-hold.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "announcer-args.h"
#include "announcer-dpdk.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "timing.h"
#include "control.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announcer_hold);

/* Frames read from the rx queue in one turn of the loop at most (the loop
 * must stay short for fires). */
#define RX_BURST 64
#define RX_MAX_PER_RUN 1024

/* A replay or release goes out a window at a time (--replay-window), each
 * window followed by a marker that the switch sends straight back
 * (hold-tag.h); the next window goes once it is back: the switch's
 * receive queue never holds more than a window, where one burst of a whole
 * pause's frames overflowed it.  A marker that does not come back within
 * MARKER_TIMEOUT_NS (the switch lacks the marker flow, or dropped it) lets
 * the next window go all the same. */
#define MARKER_TIMEOUT_NS (20 * 1000 * 1000LL)

/* A replay's answer (after which the controller moves the port's frames
 * to the VM's interface, and what comes then overtakes what waits here)
 * waits until no more than REPLY_BACKLOG frames that arrived behind the
 * replay are still to go through the switch, or REPLY_BACKLOG_WAIT_NS
 * after the replay's own frames did. */
#define REPLY_BACKLOG 16
#define REPLY_BACKLOG_WAIT_NS (50 * 1000 * 1000LL)

/* Free rx mbufs kept for the next bursts (make_room()). */
#define RX_RESERVE (4 * RX_BURST)

enum hold_state {
    HOLD_HOLDING,
    HOLD_PASSING,
    HOLD_RELEASING,
};

static const char *const state_names[] = {
    [HOLD_HOLDING] = "holding",
    [HOLD_PASSING] = "passing (replayed)",
    [HOLD_RELEASING] = "releasing (released)",
};

/* One port's hold. */
struct ann_hold {
    char *port;
    uint16_t id;
    enum hold_state state;
    struct hold *hold;
    struct hold_limits limits;
    long long int started_ns;   /* Wall clock. */

    /* After a replay or a release. */
    struct hold_replay last;    /* Its counts ('frames' freed). */
    int64_t last_us;            /* How long sending took. */
    uint64_t n_sent;            /* Frames sent on, since. */
    uint64_t n_send_failed;
    uint64_t n_late_copies;     /* Copies that came after it: passed on
                                 * after a replay, dropped after a
                                 * release. */

    /* Armed (hold/arm): the VM's first frame on this host replays at once,
     * with 'arm' as hold/replay's arguments, and the replay's answer is
     * kept in 'armed_reply' for the hold/replay that comes later. */
    bool armed;
    struct announcer_hold_replay arm;
    bool vm_ran;                /* The VM's frame replayed it. */
    char *armed_reply;

    /* Frames to send, paced (drain()): a replay or a release, and what
     * arrives for the hold meanwhile, behind it in arrival order. */
    struct rte_mbuf **out;
    size_t n_out, i_out, allocated_out;
    uint8_t out_pcp;
    long long int out_start_ns; /* Monotonic, when the replay began. */
    bool marker_out;            /* A window's marker is in the switch. */
    size_t marker_upto;         /* Frames of 'out' sent before it. */
    size_t acked;               /* Frames of 'out' the switch took. */
    size_t reply_upto;          /* The replay's or release's own frames:
                                 * the answer waits for them, and for what
                                 * arrived behind them only as long as
                                 * REPLY_BACKLOG_WAIT_NS. */
    long long int backlog_deadline_ns; /* Monotonic, 0: not set yet. */
    uint32_t marker_seq;        /* The last marker sent. */
    long long int marker_deadline_ns; /* Monotonic. */
    uint64_t n_markers_back, n_markers_late;
    struct control_req *waiting; /* Answered once 'out' is sent. */
    char *reply, *reply_tail;   /* What it is answered, before and after
                                 * the time the sending took. */
};

struct announcer_holds {
    struct shash holds;         /* Port name -> struct ann_hold. */
    struct ann_hold *by_id[HOLD_ID_MAX + 1];
    struct hold_limits defaults;
    size_t window;              /* Frames a replay has in the switch at
                                 * most (--replay-window). */

    /* Scratch: a burst received, frames to send on. */
    struct rte_mbuf *rx[RX_BURST];
    struct rte_mbuf *tx[RX_BURST];

    /* Totals. */
    uint64_t n_received;
    uint64_t n_untagged;        /* No hold tag: not ours to keep. */
    uint64_t n_unknown;         /* A tag for no hold. */
    bool more;                  /* The last run left frames in the queue. */
};

static void
free_mbuf(void *frame, void *aux OVS_UNUSED)
{
    struct rte_mbuf *m = frame;

    announcer_dpdk_free(&m, 1);
}

static struct ann_hold *
hold_find(struct announcer_holds *ah, const char *port)
{
    return shash_find_data(&ah->holds, port);
}

/* Whether 'h' still has frames of a replay or release to send. */
static bool
draining(const struct ann_hold *h)
{
    return h->i_out < h->n_out;
}

static void
ann_hold_destroy(struct announcer_holds *ah, struct ann_hold *h)
{
    if (draining(h)) {
        announcer_dpdk_free(h->out + h->i_out, h->n_out - h->i_out);
    }
    if (h->waiting) {
        control_reply(h->waiting, false, "hold stopped before its "
                                    "frames were all sent");
    }
    free(h->out);
    free(h->reply);
    free(h->reply_tail);
    free(h->armed_reply);
    ah->by_id[h->id] = NULL;
    hold_destroy(h->hold);
    free(h->port);
    free(h);
}

/* Sends the 'n' mbufs of 'mbufs', each tagged for hold 'h' with 'pcp'.
 * Returns how many went out. */
static size_t
send_tagged(struct ann_hold *h, struct rte_mbuf **mbufs, size_t n,
            uint8_t pcp)
{
    uint8_t tag[HOLD_TAG_LEN];
    size_t n_ok = 0, sent;

    hold_tag_put(tag, h->id, pcp);
    for (size_t i = 0; i < n; i++) {
        if (announcer_dpdk_push_tag(mbufs[i], tag)) {
            announcer_dpdk_free(&mbufs[i], 1);
        } else {
            mbufs[n_ok++] = mbufs[i];
        }
    }
    sent = n_ok ? announcer_dpdk_send_owned(mbufs, n_ok) : 0;
    h->n_sent += sent;
    h->n_send_failed += n - sent;
    if (sent < n) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

        VLOG_WARN_RL(&rl, "%s: %"PRIuSIZE" of %"PRIuSIZE" frames of its "
                     "hold not sent", h->port, n - sent, n);
    }
    return sent;
}

/* Sends on, in 'tx', the frames that arrive for a hold that no longer
 * holds.  Frames of one burst may be for several holds: they go out per
 * hold, in arrival order. */
static void
pass_on(struct announcer_holds *ah, struct ann_hold *h, struct rte_mbuf *m,
        enum hold_kind kind)
{
    if (kind == HOLD_COPY) {
        /* A copy this late (the source's datapath copies for a few
         * milliseconds after its switchover, and the daemon may read its
         * queue late) is of a frame that reached the source after the
         * VM's STOP, so the VM never had it: after a replay it goes on
         * like the rest.  After a release the source runs the VM again
         * and has it. */
        h->n_late_copies++;
        if (h->state == HOLD_RELEASING) {
            announcer_dpdk_free(&m, 1);
            return;
        }
    }
    if (h->n_out) {
        /* Behind the replay, in order. */
        if (h->n_out >= h->allocated_out) {
            h->out = x2nrealloc(h->out, &h->allocated_out, sizeof *h->out);
        }
        h->out[h->n_out++] = m;
        return;
    }
    ah->tx[0] = m;
    send_tagged(h, ah->tx, 1, h->out_pcp);
}

/* Answers the replay or release command waiting on 'h', once the switch
 * took its own frames. */
static void
answer(struct ann_hold *h)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!h->waiting || h->acked < h->reply_upto) {
        return;
    }
    if (!h->backlog_deadline_ns) {
        h->backlog_deadline_ns = timing_mono_ns() + REPLY_BACKLOG_WAIT_NS;
    }
    if (h->n_out - h->acked > REPLY_BACKLOG
        && timing_mono_ns() < h->backlog_deadline_ns) {
        return;
    }
    ds_put_format(&s, "%s in %"PRId64" us%s", h->reply, h->last_us,
                  h->reply_tail ? h->reply_tail : "");
    if (h->n_send_failed) {
        ds_put_format(&s, "; %"PRIu64" not sent", h->n_send_failed);
    }
    VLOG_INFO("%s: %s", h->port, ds_cstr(&s));
    control_reply(h->waiting, true, ds_cstr(&s));
    h->waiting = NULL;
    ds_destroy(&s);
}

/* Sends 'h''s marker behind what it sent. */
static void
send_marker(struct ann_hold *h)
{
    uint8_t frame[HOLD_MARKER_LEN];
    struct rte_mbuf *m;

    hold_marker_put(frame, h->id, ++h->marker_seq);
    h->marker_upto = h->i_out;
    m = announcer_dpdk_frame(frame, sizeof frame);
    if (m && !announcer_dpdk_send_owned(&m, 1)) {
        announcer_dpdk_free(&m, 1);
    }
    /* Lost or not, it is waited for; the deadline lets the replay go on
     * without it. */
    h->marker_out = true;
    h->marker_deadline_ns = timing_mono_ns() + MARKER_TIMEOUT_NS;
}

/* Carries 'h''s replay or release on: once the last window's marker is
 * back (or late), the next window of at most 'window' frames and its
 * marker; once the last one is back, the command's answer. */
static void
drain(struct ann_hold *h, size_t window)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    size_t n;

    if (h->marker_out) {
        if (timing_mono_ns() < h->marker_deadline_ns) {
            return;
        }
        h->marker_out = false;
        h->acked = h->marker_upto;
        h->n_markers_late++;
        VLOG_WARN_RL(&rl, "%s: the switch did not send marker %"PRIu32" "
                     "back within %lld ms: going on without it (is the "
                     "hold's marker flow installed?)", h->port,
                     h->marker_seq, MARKER_TIMEOUT_NS / 1000000);
    }
    if (!h->last_us && h->acked >= h->reply_upto) {
        h->last_us = MAX((timing_mono_ns() - h->out_start_ns) / 1000, 1);
    }
    answer(h);
    if (draining(h)) {
        n = MIN(window, h->n_out - h->i_out);
        send_tagged(h, h->out + h->i_out, n, h->out_pcp);
        h->i_out += n;
        send_marker(h);
    } else if (h->n_out && !h->waiting) {
        /* All sent and taken: what arrives from now on goes at once. */
        h->n_out = h->i_out = h->acked = h->reply_upto = 0;
    }
}

/* Marker 'seq' of 'h' came back: its window went through the switch. */
static void
marker_back(struct ann_hold *h, uint32_t seq)
{
    if (h->marker_out && seq == h->marker_seq) {
        h->marker_out = false;
        h->acked = h->marker_upto;
        h->n_markers_back++;
    }
}

/* Makes room in the rx mempool, which every hold's frames share, for the
 * next bursts: copies, the oldest of each hold in turn, give way to what
 * arrives (held frames, and newer copies).  A copy evicted this way is
 * counted as the byte bound's are. */
static void
make_room(struct announcer_holds *ah)
{
    bool evicted = true;

    while (announcer_dpdk_rx_free() < RX_RESERVE && evicted) {
        struct shash_node *node;

        evicted = false;
        SHASH_FOR_EACH (node, &ah->holds) {
            struct ann_hold *h = node->data;

            if (h->state == HOLD_HOLDING && hold_evict_copy(h->hold)) {
                evicted = true;
            }
        }
    }
}

static void empty_hold(struct announcer_holds *, struct ann_hold *,
                       bool release, long long int cutoff_ns, struct ds *);

/* The VM sent its first frame on this host: it runs.  An armed hold that
 * still holds replays now. */
static void
vm_runs(struct announcer_holds *ah, struct ann_hold *h)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!h->armed || h->state != HOLD_HOLDING) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

        VLOG_INFO_RL(&rl, "%s: the VM's frame, the hold %s: no replay "
                     "until hold/replay", h->port,
                     h->state != HOLD_HOLDING ? "replayed already"
                     : "not armed yet");
        return;
    }
    /* (From the rx loop itself: what arrived before this frame is in the
     * hold already, what arrives after it goes behind the replay.) */
    empty_hold(ah, h, false, h->arm.cutoff_ns, &s);
    h->vm_ran = true;
    free(h->armed_reply);
    h->armed_reply = ds_steal_cstr(&s);
    VLOG_INFO("%s: the VM runs here: %s", h->port, h->armed_reply);
}

static void
drain_all(struct announcer_holds *ah)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, &ah->holds) {
        drain(node->data, ah->window);
    }
}

void
announcer_holds_run(struct announcer_holds *ah)
{
    size_t total = 0;

    ah->more = false;
    if (shash_is_empty(&ah->holds)) {
        return;
    }
    while (total < RX_MAX_PER_RUN) {
        size_t n;

        make_room(ah);
        n = announcer_dpdk_recv(ah->rx, RX_BURST);
        long long int now = timing_realtime_ns();

        if (!n) {
            drain_all(ah);
            return;
        }
        total += n;
        ah->n_received += n;
        for (size_t i = 0; i < n; i++) {
            struct rte_mbuf *m = ah->rx[i];
            enum hold_kind kind;
            struct ann_hold *h;
            uint32_t len;
            uint16_t id;
            void *data = announcer_dpdk_data(m, &len);

            uint32_t seq;

            if (hold_marker_parse(data, len, &id, &seq)) {
                if (ah->by_id[id]) {
                    marker_back(ah->by_id[id], seq);
                }
                announcer_dpdk_free(&m, 1);
                continue;
            }
            if (hold_tag_is_vm_runs(data, len, &id)) {
                if (ah->by_id[id]) {
                    vm_runs(ah, ah->by_id[id]);
                }
                announcer_dpdk_free(&m, 1);
                continue;
            }
            if (!hold_tag_parse(data, len, &id, &kind)) {
                ah->n_untagged++;
                announcer_dpdk_free(&m, 1);
                continue;
            }
            h = ah->by_id[id];
            if (!h) {
                ah->n_unknown++;
                announcer_dpdk_free(&m, 1);
                continue;
            }
            announcer_dpdk_pop_tag(m);
            if (h->state == HOLD_HOLDING) {
                hold_push(h->hold, kind, now, m, len - HOLD_TAG_LEN);
            } else {
                pass_on(ah, h, m, kind);
            }
        }
    }
    drain_all(ah);
    ah->more = true;
}

void
announcer_holds_wait(const struct announcer_holds *ah)
{
    if (ah->more) {
        poll_immediate_wake();
    } else if (!shash_is_empty(&ah->holds)) {
        /* No rx interrupts: read the queue every millisecond while any
         * port is held. */
        poll_timer_wait(1);
    }
}

/* Queues the frames of 'r' to go out tagged with 'pcp', paced (drain()),
 * the first burst at once, and frees 'r'. */
static void
send_replay(struct announcer_holds *ah, struct ann_hold *h,
            struct hold_replay *r, uint8_t pcp)
{
    ovs_assert(!h->n_out);      /* A hold empties once. */
    free(h->out);
    h->out = (struct rte_mbuf **) r->frames;
    h->allocated_out = MAX(r->n, 1);
    h->n_out = r->n;
    h->i_out = h->acked = 0;
    h->reply_upto = r->n;
    h->backlog_deadline_ns = 0;
    h->out_pcp = pcp;
    h->out_start_ns = timing_mono_ns();
    h->last_us = 0;
    free(r->lens);
    r->frames = NULL;
    r->lens = NULL;
    h->last = *r;
    drain(h, ah->window);
}

static void
format_hold(const struct ann_hold *h, struct ds *s)
{
    struct hold_stats st;

    hold_get_stats(h->hold, &st);
    ds_put_format(s, "%s: hold %"PRIu16", %s%s, limits %"PRIu64" bytes, "
                  "copies %lld ms\n", h->port, h->id, state_names[h->state],
                  h->vm_ran ? " on the VM's first frame"
                  : h->armed && h->state == HOLD_HOLDING ? ", armed" : "",
                  h->limits.max_bytes, h->limits.max_age_ns / 1000000);
    ds_put_format(s, "  kept: %"PRIuSIZE" copies, %"PRIuSIZE" forwarded, %"
                  PRIuSIZE" direct, %"PRIu64" bytes\n", st.n[HOLD_COPY],
                  st.n[HOLD_FORWARDED], st.n[HOLD_DIRECT], st.bytes);
    ds_put_format(s, "  received: %"PRIu64" copies, %"PRIu64" forwarded, %"
                  PRIu64" direct; dropped: %"PRIu64" copies expired, %"PRIu64
                  " copies evicted, %"PRIu64" frames refused for room, %"
                  PRIu64" late copies\n", st.received[HOLD_COPY],
                  st.received[HOLD_FORWARDED], st.received[HOLD_DIRECT],
                  st.expired, st.evicted, st.refused,
                  h->state == HOLD_RELEASING ? h->n_late_copies : 0);
    if (h->state != HOLD_HOLDING) {
        ds_put_format(s, "  %s: ", (h->state == HOLD_PASSING
                                    ? "replayed" : "released"));
        hold_replay_format(&h->last, s);
        ds_put_format(s, " in %"PRId64" us; since: %"PRIu64" sent (%"PRIu64
                      " late copies %s), %"PRIu64" not sent; markers: %"
                      PRIu64" back, %"PRIu64" late\n",
                      h->last_us, h->n_sent, h->n_late_copies,
                      h->state == HOLD_PASSING ? "among them" : "dropped",
                      h->n_send_failed, h->n_markers_back,
                      h->n_markers_late);
    }
}

/* The commands. */

static void
cmd_start(struct control_req *req, int argc, const char *argv[],
          void *ah_)
{
    struct announcer_holds *ah = ah_;
    struct announcer_hold_start hs;
    struct ann_hold *h;
    char *error;

    error = announcer_parse_hold_start(argc - 1, argv + 1, &ah->defaults,
                                       &hs);
    if (error) {
        control_reply(req, false, error);
        free(error);
        return;
    }
    h = hold_find(ah, hs.port);
    if (h) {
        if (h->id == hs.id && h->state == HOLD_HOLDING) {
            control_reply(req, true, "already holding");
            return;
        }
        error = xasprintf("port %s has hold %"PRIu16" (%s): stop it first",
                          hs.port, h->id, state_names[h->state]);
    } else if (ah->by_id[hs.id]) {
        error = xasprintf("hold id %"PRIu16" is port %s's", hs.id,
                          ah->by_id[hs.id]->port);
    }
    if (error) {
        control_reply(req, false, error);
        free(error);
        return;
    }

    h = xzalloc(sizeof *h);
    h->port = xstrdup(hs.port);
    h->id = hs.id;
    h->limits = hs.limits;
    h->hold = hold_create(&hs.limits, free_mbuf, NULL);
    h->started_ns = timing_realtime_ns();
    shash_add(&ah->holds, h->port, h);
    ah->by_id[h->id] = h;
    VLOG_INFO("%s: holding as hold %"PRIu16, h->port, h->id);
    control_reply(req, true, "holding");
}

static struct ann_hold *
find_or_reply(struct announcer_holds *ah, struct control_req *req,
              const char *port)
{
    struct ann_hold *h = hold_find(ah, port);

    if (!h) {
        char *error = xasprintf("port %s has no hold", port);

        control_reply(req, false, error);
        free(error);
    }
    return h;
}

/* Whether 'h' still holds; if not, replies so on 'req'. */
static bool
holding_or_reply(const struct ann_hold *h, struct control_req *req)
{
    char *error;

    if (h->state == HOLD_HOLDING) {
        return true;
    }
    error = xasprintf("port %s's hold is %s already", h->port,
                      state_names[h->state]);
    control_reply(req, false, error);
    free(error);
    return false;
}

/* Empties 'h' for a replay ('cutoff_ns') or, with 'release', a release,
 * sends what it kept, and puts in 's' what went out. */
static void
empty_hold(struct announcer_holds *ah, struct ann_hold *h, bool release,
           long long int cutoff_ns, struct ds *s)
{
    struct hold_replay r;

    if (release) {
        hold_release(h->hold, &r);
        h->state = HOLD_RELEASING;
    } else {
        hold_replay(h->hold, cutoff_ns, &r);
        h->state = HOLD_PASSING;
    }
    ds_put_cstr(s, release ? "released " : "replayed ");
    hold_replay_format(&r, s);
    send_replay(ah, h, &r, release ? HOLD_PCP_RELEASE : HOLD_PCP_REPLAY);
}

/* Answers 'req' with 'head' (taken), the sending's time and 'tail' once
 * 'h''s frames are all sent (at once if they are). */
static void
answer_when_sent(struct ann_hold *h, struct control_req *req, char *head,
                 const char *tail)
{
    free(h->reply);
    free(h->reply_tail);
    h->reply = head;
    h->reply_tail = nullable_xstrdup(tail);
    h->waiting = req;
    answer(h);
}

/* Parses hold/replay's (or hold/arm's) arguments into '*hr' and returns
 * the port's hold; on an error, answers 'req' and returns NULL. */
static struct ann_hold *
parse_replay_or_reply(struct announcer_holds *ah, struct control_req *req,
                      int argc, const char *argv[],
                      struct announcer_hold_replay *hr)
{
    char *error = announcer_parse_hold_replay(argc - 1, argv + 1, hr);

    if (error) {
        control_reply(req, false, error);
        free(error);
        return NULL;
    }
    return find_or_reply(ah, req, hr->port);
}

static void
cmd_replay(struct control_req *req, int argc, const char *argv[],
           void *ah_)
{
    struct announcer_holds *ah = ah_;
    struct announcer_hold_replay hr;
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ann_hold *h = parse_replay_or_reply(ah, req, argc, argv, &hr);

    if (!h) {
        return;
    }
    /* What is in the rx queue now arrived before the command, and it may
     * hold the VM's first frame, which replays an armed hold: read it
     * before deciding, so that a hold never replays twice (a second replay
     * would take the first one's place before it went out). */
    announcer_holds_run(ah);
    if (h->vm_ran && h->armed_reply && !h->waiting) {
        /* The VM's first frame replayed it already: that replay's
         * answer, once the switch took it. */
        answer_when_sent(h, req, h->armed_reply,
                         h->arm.stopped ? "; on the VM's first frame"
                         : "; no STOP time given: no copy replayed; on "
                           "the VM's first frame");
        h->armed_reply = NULL;
        return;
    }
    if (!holding_or_reply(h, req)) {
        return;
    }
    empty_hold(ah, h, false, hr.cutoff_ns, &s);
    answer_when_sent(h, req, ds_steal_cstr(&s),
                     hr.stopped ? NULL
                     : "; no STOP time given: no copy replayed");
}

static void
cmd_arm(struct control_req *req, int argc, const char *argv[], void *ah_)
{
    struct announcer_holds *ah = ah_;
    struct announcer_hold_replay hr;
    struct ann_hold *h = parse_replay_or_reply(ah, req, argc, argv, &hr);

    if (!h || !holding_or_reply(h, req)) {
        return;
    }
    h->armed = true;
    h->arm = hr;
    h->arm.port = NULL;         /* Points into argv. */
    VLOG_INFO("%s: armed: the VM's first frame here replays", h->port);
    control_reply(req, true, "armed");
}

static void
cmd_release(struct control_req *req, int argc OVS_UNUSED,
            const char *argv[], void *ah_)
{
    struct announcer_holds *ah = ah_;
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ann_hold *h = find_or_reply(ah, req, argv[1]);

    if (!h) {
        return;
    }
    /* What is in the rx queue now arrived before the command (see
     * cmd_replay()). */
    announcer_holds_run(ah);
    if (!holding_or_reply(h, req)) {
        return;
    }
    empty_hold(ah, h, true, 0, &s);
    answer_when_sent(h, req, ds_steal_cstr(&s), NULL);
}

static void
cmd_stop(struct control_req *req, int argc OVS_UNUSED,
         const char *argv[], void *ah_)
{
    struct announcer_holds *ah = ah_;
    struct ann_hold *h = find_or_reply(ah, req, argv[1]);
    struct hold_stats st;
    char *reply;

    if (!h) {
        return;
    }
    hold_get_stats(h->hold, &st);
    reply = xasprintf("stopped; %"PRIuSIZE" frames dropped",
                      st.n[HOLD_COPY] + st.n[HOLD_FORWARDED]
                      + st.n[HOLD_DIRECT]);
    shash_find_and_delete(&ah->holds, h->port);
    ann_hold_destroy(ah, h);
    control_reply(req, true, reply);
    free(reply);
}

static void
cmd_show(struct control_req *req, int argc, const char *argv[],
         void *ah_)
{
    struct announcer_holds *ah = ah_;
    struct ds s = DS_EMPTY_INITIALIZER;

    if (argc > 1) {
        const struct ann_hold *h = find_or_reply(ah, req, argv[1]);

        if (h) {
            format_hold(h, &s);
            control_reply(req, true, ds_cstr(&s));
        }
        ds_destroy(&s);
        return;
    }
    announcer_holds_format(ah, &s);
    ds_put_char(&s, '\n');
    const struct shash_node **nodes = shash_sort(&ah->holds);
    for (size_t i = 0; i < shash_count(&ah->holds); i++) {
        format_hold(nodes[i]->data, &s);
    }
    free(nodes);
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

void
announcer_holds_format(const struct announcer_holds *ah, struct ds *s)
{
    ds_put_format(s, "holds: %"PRIuSIZE", %"PRIu64" frames received, %"
                  PRIu64" without a hold tag, %"PRIu64" for no hold",
                  shash_count(&ah->holds), ah->n_received, ah->n_untagged,
                  ah->n_unknown);
}

struct announcer_holds *
announcer_holds_create(const struct hold_limits *defaults,
                       unsigned int replay_window)
{
    struct announcer_holds *ah = xzalloc(sizeof *ah);

    shash_init(&ah->holds);
    ah->defaults = *defaults;
    ah->window = replay_window;
    control_register_fenced("hold/start", "PORT ID [bytes=N] [age=MS]",
                             2, 4, cmd_start, ah);
    control_register_fenced("hold/replay",
                             "PORT [stopped=SECONDS.MICROSECONDS] "
                             "[margin=MS]", 1, 3, cmd_replay, ah);
    control_register_fenced("hold/arm",
                             "PORT [stopped=SECONDS.MICROSECONDS] "
                             "[margin=MS]", 1, 3, cmd_arm, ah);
    control_register_fenced("hold/release", "PORT", 1, 1, cmd_release, ah);
    control_register_fenced("hold/stop", "PORT", 1, 1, cmd_stop, ah);
    control_register("hold/show", "[PORT]", 0, 1, cmd_show, ah);
    return ah;
}

void
announcer_holds_destroy(struct announcer_holds *ah)
{
    struct shash_node *node, *next;

    if (!ah) {
        return;
    }
    SHASH_FOR_EACH_SAFE (node, next, &ah->holds) {
        struct ann_hold *h = node->data;

        shash_delete(&ah->holds, node);
        ann_hold_destroy(ah, h);
    }
    shash_destroy(&ah->holds);
    free(ah);
}
