/* Loss accounting for one stream.  See lossacct.h. */

#include <config.h>
#include "lossacct.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "util.h"

void
lossacct_init(struct lossacct *acct, uint32_t stream)
{
    memset(acct, 0, sizeof *acct);
    acct->stream = stream;
}

void
lossacct_destroy(struct lossacct *acct)
{
    free(acct->sent);
    free(acct->arrivals);
    free(acct->windows);
    free(acct->held);
    free(acct->gone);
    memset(acct, 0, sizeof *acct);
}

void
lossacct_add_sent(struct lossacct *acct, uint64_t first_seq, uint64_t count)
{
    if (!count) {
        return;
    }
    if (acct->n_sent >= acct->allocated_sent) {
        acct->sent = x2nrealloc(acct->sent, &acct->allocated_sent,
                                sizeof *acct->sent);
    }
    acct->sent[acct->n_sent++] = (struct lossacct_range) {
        .first = first_seq,
        .last = first_seq + count - 1,
    };
}

void
lossacct_add_arrival(struct lossacct *acct,
                     const struct lossacct_arrival *arrival)
{
    if (acct->n_arrivals >= acct->allocated_arrivals) {
        acct->arrivals = x2nrealloc(acct->arrivals,
                                    &acct->allocated_arrivals,
                                    sizeof *acct->arrivals);
    }
    acct->arrivals[acct->n_arrivals++] = *arrival;
}

void
lossacct_set_window(struct lossacct *acct, uint16_t receiver,
                    const struct lossacct_window *window)
{
    ovs_assert(!acct->windows_applied);
    if (receiver >= acct->n_windows) {
        size_t n = receiver + 1;

        acct->windows = xrealloc(acct->windows, n * sizeof *acct->windows);
        acct->held = xrealloc(acct->held, n * sizeof *acct->held);
        acct->gone = xrealloc(acct->gone, n * sizeof *acct->gone);
        for (size_t i = acct->n_windows; i < n; i++) {
            acct->windows[i] = (struct lossacct_window) { 0, 0 };
            acct->held[i] = acct->gone[i] = 0;
        }
        acct->n_windows = n;
    }
    acct->windows[receiver] = *window;
}

enum lossacct_delivery
lossacct_window_apply(const struct lossacct_window *w, uint64_t *rx_ns)
{
    if (w->until_ns && *rx_ns >= w->until_ns) {
        return LOSSACCT_GONE;
    }
    if (*rx_ns < w->from_ns) {
        *rx_ns = w->from_ns;
        return LOSSACCT_HELD;
    }
    return LOSSACCT_ON_TIME;
}

/* Applies the receivers' windows to the arrivals, once: held arrivals take
 * their delivery time, refused ones leave the array. */
static void
apply_windows(struct lossacct *acct)
{
    size_t n = 0;

    if (acct->windows_applied) {
        return;
    }
    acct->windows_applied = true;
    for (size_t i = 0; i < acct->n_arrivals; i++) {
        struct lossacct_arrival a = acct->arrivals[i];

        if (a.receiver < acct->n_windows) {
            switch (lossacct_window_apply(&acct->windows[a.receiver],
                                          &a.rx_ns)) {
            case LOSSACCT_GONE:
                acct->gone[a.receiver]++;
                continue;
            case LOSSACCT_HELD:
                acct->held[a.receiver]++;
                break;
            case LOSSACCT_ON_TIME:
                break;
            }
        }
        acct->arrivals[n++] = a;
    }
    acct->n_arrivals = n;
}

/* Makes room for receiver index 'receiver' in 'r'. */
static void
grow_receivers(struct lossacct_report *r, size_t receiver)
{
    if (receiver >= r->n_receivers) {
        size_t n = receiver + 1;

        r->receivers = xrealloc(r->receivers, n * sizeof *r->receivers);
        memset(&r->receivers[r->n_receivers], 0,
               (n - r->n_receivers) * sizeof *r->receivers);
        r->n_receivers = n;
    }
}

uint64_t
lossacct_extend_seq(uint64_t ref, uint32_t seq)
{
    int64_t diff = (int32_t) (seq - (uint32_t) ref);

    if (diff == INT32_MIN) {
        diff = -diff;           /* Exactly half way: ties go up. */
    }
    if (diff < 0 && (uint64_t) -diff > ref) {
        /* Nearest would be below zero: take the next one up. */
        diff += UINT64_C(1) << 32;
    }
    return ref + diff;
}

/* Orders arrivals by time; equal times by receiver then sequence number, so
 * that the result does not depend on the order logs were read in. */
static int
compare_arrivals(const void *a_, const void *b_)
{
    const struct lossacct_arrival *a = a_;
    const struct lossacct_arrival *b = b_;

    if (a->rx_ns != b->rx_ns) {
        return a->rx_ns < b->rx_ns ? -1 : 1;
    }
    if (a->receiver != b->receiver) {
        return a->receiver < b->receiver ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void
add_lost_range(struct lossacct_report *r, size_t *allocated,
               uint64_t first, uint64_t last)
{
    if (r->n_lost_ranges >= *allocated) {
        r->lost_ranges = x2nrealloc(r->lost_ranges, allocated,
                                    sizeof *r->lost_ranges);
    }
    r->lost_ranges[r->n_lost_ranges++] = (struct lossacct_range) {
        .first = first, .last = last,
    };
}

int
lossacct_compute(struct lossacct *acct, struct lossacct_report *r)
{
    uint64_t *ext = NULL;
    unsigned long *sent_map = NULL;
    unsigned long *got_map = NULL;
    uint64_t lo, hi, span, max_seen = 0;
    bool have_prev = false;
    uint64_t prev_rx = 0, prev_seq = 0;
    int error = 0;

    memset(r, 0, sizeof *r);
    r->stream = acct->stream;
    r->sent_known = acct->n_sent > 0;
    sample_set_init(&r->delays);

    apply_windows(acct);
    for (size_t i = 0; i < acct->n_windows; i++) {
        if (acct->held[i] || acct->gone[i]) {
            grow_receivers(r, i);
            r->receivers[i].held = acct->held[i];
            r->receivers[i].gone = acct->gone[i];
        }
    }
    if (!acct->n_sent && !acct->n_arrivals) {
        return 0;
    }

    if (acct->n_arrivals) {
        /* Nothing received: 'arrivals' may be NULL, which qsort() must not
         * get even for 0 elements. */
        qsort(acct->arrivals, acct->n_arrivals, sizeof *acct->arrivals,
              compare_arrivals);
    }

    /* Extend every arrival's sequence number to 64 bits, in arrival order,
     * each relative to the highest seen so far. */
    ext = xmalloc((acct->n_arrivals ? acct->n_arrivals : 1) * sizeof *ext);
    if (r->sent_known) {
        lo = acct->sent[0].first;
        hi = acct->sent[0].last;
        for (size_t i = 1; i < acct->n_sent; i++) {
            lo = MIN(lo, acct->sent[i].first);
            hi = MAX(hi, acct->sent[i].last);
        }
    } else {
        lo = hi = acct->arrivals[0].seq;
    }
    uint64_t ref = lo;
    for (size_t i = 0; i < acct->n_arrivals; i++) {
        ext[i] = lossacct_extend_seq(ref, acct->arrivals[i].seq);
        ref = MAX(ref, ext[i]);
        if (!r->sent_known) {
            lo = MIN(lo, ext[i]);
            hi = MAX(hi, ext[i]);
        }
    }

    span = hi - lo + 1;
    if (hi - lo >= LOSSACCT_MAX_SPAN) {
        error = EFBIG;
        goto out;
    }
    r->first_seq = lo;
    r->last_seq = hi;

    sent_map = bitmap_allocate(span);
    got_map = bitmap_allocate(span);
    if (r->sent_known) {
        for (size_t i = 0; i < acct->n_sent; i++) {
            bitmap_set_multiple(sent_map, acct->sent[i].first - lo,
                                acct->sent[i].last - acct->sent[i].first + 1,
                                true);
        }
    } else {
        bitmap_set_multiple(sent_map, 0, span, true);
    }
    r->sent = bitmap_count1(sent_map, span);

    for (size_t i = 0; i < acct->n_arrivals; i++) {
        const struct lossacct_arrival *a = &acct->arrivals[i];
        uint64_t s = ext[i];

        grow_receivers(r, a->receiver);
        if (s < lo || s > hi || !bitmap_is_set(sent_map, s - lo)) {
            r->stray++;
            continue;
        }
        if (!r->receivers[a->receiver].first_ns) {
            r->receivers[a->receiver].first_ns = a->rx_ns;
        }

        if (bitmap_is_set(got_map, s - lo)) {
            r->duplicated++;
        } else {
            bitmap_set1(got_map, s - lo);
            if (r->received && s < max_seen) {
                r->reordered++;
            } else {
                max_seen = s;
            }
            r->received++;
            r->receivers[a->receiver].received++;
            sample_set_add(&r->delays, (int64_t) (a->rx_ns - a->tx_ns));
        }

        if (!have_prev) {
            r->first_rx_ns = a->rx_ns;
        } else if (a->rx_ns - prev_rx > r->max_gap_ns) {
            r->max_gap_ns = a->rx_ns - prev_rx;
            r->gap_start_ns = prev_rx;
            r->gap_end_ns = a->rx_ns;
            r->gap_seq_before = prev_seq;
            r->gap_seq_after = s;
        }
        r->last_rx_ns = a->rx_ns;
        prev_rx = a->rx_ns;
        prev_seq = s;
        have_prev = true;
    }

    /* Lost: sent but never received, as maximal runs. */
    r->lost = r->sent - r->received;
    size_t allocated = 0;
    for (uint64_t i = 0; i < span; ) {
        if (!bitmap_is_set(sent_map, i) || bitmap_is_set(got_map, i)) {
            i++;
            continue;
        }
        uint64_t first = i;
        while (i < span && bitmap_is_set(sent_map, i)
               && !bitmap_is_set(got_map, i)) {
            i++;
        }
        add_lost_range(r, &allocated, lo + first, lo + i - 1);
    }

out:
    free(ext);
    free(sent_map);
    free(got_map);
    return error;
}

void
lossacct_report_destroy(struct lossacct_report *r)
{
    free(r->lost_ranges);
    free(r->receivers);
    sample_set_destroy(&r->delays);
    memset(r, 0, sizeof *r);
}
