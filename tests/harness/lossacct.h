/* Loss accounting for one stream of sequence-numbered packets.
 *
 * Pure code, no I/O: the loss meter feeds it what senders say they sent and
 * what receivers saw arrive (from any number of logs, in any order), and it
 * computes what a user wants to know about the stream: sent, received, lost
 * (and the ranges of lost sequence numbers), duplicated, reordered, the
 * longest gap between consecutive arrivals and where it was, and one-way
 * delays.
 *
 * Sequence numbers travel as 32 bits and wrap around; senders record them
 * extended to 64 bits.  Arrivals are extended to 64 bits here, each to the
 * value nearest the highest sequence number seen so far (serial number
 * arithmetic, RFC 1982), starting from the first sequence number sent. */

#ifndef LOSSACCT_H
#define LOSSACCT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* An inclusive range of 64-bit sequence numbers. */
struct lossacct_range {
    uint64_t first;
    uint64_t last;
};

/* One packet's arrival, as a receiver logged it. */
struct lossacct_arrival {
    uint64_t rx_ns;             /* Arrival time, CLOCK_REALTIME. */
    uint64_t tx_ns;             /* Send time from the packet, same clock. */
    uint32_t seq;               /* Sequence number as it traveled. */
    uint16_t receiver;          /* Index of the receiver (log) it reached. */
};

/* When a receiver could deliver what reached it.  A receiver stands for a
 * VM instance: a paused destination instance delivers nothing yet, what
 * reaches its interface waits in a queue (a tap's; in the lab, a socket's)
 * and the VM sees it when it runs; a migration's source instance delivers
 * nothing that arrives after the pause (the VMM is gone).  The kernel's
 * arrival time is then not when the VM could see a packet: the window
 * says when it could. */
struct lossacct_window {
    uint64_t from_ns;           /* An arrival before it is delivered at it
                                 * (0: nothing held). */
    uint64_t until_ns;          /* An arrival at or after it is not
                                 * delivered (0: no end). */
};

/* What a window makes of one arrival. */
enum lossacct_delivery {
    LOSSACCT_ON_TIME,           /* Delivered when it arrived. */
    LOSSACCT_HELD,              /* Delivered later, at the window's start. */
    LOSSACCT_GONE,              /* Not delivered at all. */
};

/* Applies 'window' to an arrival at '*rx_ns': returns what happens to it
 * and moves '*rx_ns' to the delivery time of a held arrival. */
enum lossacct_delivery lossacct_window_apply(const struct lossacct_window *,
                                             uint64_t *rx_ns);

/* Per receiver: what it delivered of one stream. */
struct lossacct_receiver {
    uint64_t received;          /* Arrivals counted in 'received'. */
    uint64_t first_ns;          /* First delivery (of a sent sequence
                                 * number, duplicates included), 0 if none. */
    uint64_t held;              /* Arrivals its window held (delivered late). */
    uint64_t gone;              /* Arrivals its window refused (counted
                                 * nowhere else). */
};

/* The packets of one stream. */
struct lossacct {
    uint32_t stream;

    /* Delivery windows by receiver index (none: every arrival on time), and
     * what they did, applied once by the first lossacct_compute(). */
    struct lossacct_window *windows;
    size_t n_windows;
    uint64_t *held, *gone;      /* Per receiver, 'n_windows' each. */
    bool windows_applied;

    struct lossacct_range *sent;        /* What senders sent (may overlap). */
    size_t n_sent, allocated_sent;

    struct lossacct_arrival *arrivals;  /* Every arrival, any order. */
    size_t n_arrivals, allocated_arrivals;
};

/* What lossacct_compute() finds. */
struct lossacct_report {
    uint32_t stream;
    bool sent_known;            /* False: no sender log, 'sent' is inferred
                                 * from the lowest and highest arrivals. */
    uint64_t sent;              /* Distinct sequence numbers sent. */
    uint64_t received;          /* Distinct sent sequence numbers received. */
    uint64_t lost;              /* sent - received. */
    uint64_t duplicated;        /* Arrivals of a sequence number already
                                 * received. */
    uint64_t reordered;         /* Arrivals (not duplicates) with a sequence
                                 * number lower than one received before. */
    uint64_t stray;             /* Arrivals of numbers nobody sent. */
    uint64_t first_seq, last_seq;       /* Lowest and highest sent. */

    struct lossacct_range *lost_ranges; /* Ascending, disjoint. */
    size_t n_lost_ranges;

    /* Arrival times (first and last) and the longest gap between two
     * consecutive arrivals: from 'gap_start_ns' (the arrival of
     * 'gap_seq_before') to 'gap_end_ns' (the arrival of 'gap_seq_after').
     * All zero with fewer than two arrivals. */
    uint64_t first_rx_ns, last_rx_ns;
    uint64_t max_gap_ns;
    uint64_t gap_start_ns, gap_end_ns;
    uint64_t gap_seq_before, gap_seq_after;

    /* One-way delays (rx - tx) of the arrivals counted in 'received'. */
    struct sample_set delays;

    /* Per receiver index: arrivals counted in 'received', first delivery,
     * arrivals held and refused by its window. */
    struct lossacct_receiver *receivers;
    size_t n_receivers;
};

void lossacct_init(struct lossacct *, uint32_t stream);
void lossacct_destroy(struct lossacct *);

/* Records that a sender sent 'count' packets numbered 'first_seq' onwards. */
void lossacct_add_sent(struct lossacct *, uint64_t first_seq, uint64_t count);

/* Sets the delivery window of receiver 'receiver' (see struct
 * lossacct_window).  Must come before lossacct_compute(). */
void lossacct_set_window(struct lossacct *, uint16_t receiver,
                         const struct lossacct_window *);

/* Records one arrival. */
void lossacct_add_arrival(struct lossacct *, const struct lossacct_arrival *);

/* Computes 'report' from everything added to 'acct' so far (it reorders the
 * arrivals by delivery time; the first call applies the receivers' windows
 * to them: held arrivals take their delivery time, refused ones are
 * dropped).  Returns 0, or EFBIG if the sent sequence numbers span
 * more than LOSSACCT_MAX_SPAN.  The caller must lossacct_report_destroy() the
 * report in either case. */
#define LOSSACCT_MAX_SPAN (UINT64_C(1) << 32)
int lossacct_compute(struct lossacct *, struct lossacct_report *);
void lossacct_report_destroy(struct lossacct_report *);

/* Returns the 64-bit sequence number congruent to 'seq' modulo 2**32 that is
 * nearest 'ref' (ties go up). */
uint64_t lossacct_extend_seq(uint64_t ref, uint32_t seq);

#endif /* lossacct.h */
