/* Unit tests for the loss meter: the accounting (losses, gaps, duplicates,
 * reordering, sequence wrap-around, merging receivers and senders), the
 * probe format and the logs. */

#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lossacct.h"
#include "lossmeter-log.h"
#include "util.h"

#define MS 1000000ULL
#define T0 (UINT64_C(1700000000) * 1000000000)   /* Some wall-clock time. */

/* Adds an arrival of 'seq' at T0 + 'rx_ms' ms, sent 'delay_us' before. */
static void
arrive(struct lossacct *a, uint32_t seq, uint64_t rx_ms, uint64_t delay_us,
       uint16_t receiver)
{
    struct lossacct_arrival arr = {
        .rx_ns = T0 + rx_ms * MS,
        .tx_ns = T0 + rx_ms * MS - delay_us * 1000,
        .seq = seq,
        .receiver = receiver,
    };

    lossacct_add_arrival(a, &arr);
}

static void
test_no_loss(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 7);
    lossacct_add_sent(&a, 0, 100);
    for (uint32_t i = 0; i < 100; i++) {
        arrive(&a, i, i, 50, 0);
    }
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.stream, 7);
    assert_true(r.sent_known);
    assert_int_equal(r.sent, 100);
    assert_int_equal(r.received, 100);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.n_lost_ranges, 0);
    assert_int_equal(r.duplicated, 0);
    assert_int_equal(r.reordered, 0);
    assert_int_equal(r.stray, 0);
    assert_int_equal(r.max_gap_ns, 1 * MS);
    assert_int_equal(r.gap_seq_before, 0);
    assert_int_equal(r.gap_seq_after, 1);
    assert_int_equal(r.first_rx_ns, T0);
    assert_int_equal(r.last_rx_ns, T0 + 99 * MS);
    assert_int_equal(sample_set_min(&r.delays), 50000);
    assert_int_equal(sample_set_max(&r.delays), 50000);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

/* A blackout: packets 40 to 49 lost, so a gap of 11 ms between the arrivals
 * of 39 and 50; and a second, smaller loss. */
static void
test_loss_and_gap(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_add_sent(&a, 0, 100);
    for (uint32_t i = 0; i < 100; i++) {
        if ((i < 40 || i > 49) && i != 70) {
            arrive(&a, i, i, 10, 0);
        }
    }
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.sent, 100);
    assert_int_equal(r.received, 89);
    assert_int_equal(r.lost, 11);
    assert_int_equal(r.n_lost_ranges, 2);
    assert_int_equal(r.lost_ranges[0].first, 40);
    assert_int_equal(r.lost_ranges[0].last, 49);
    assert_int_equal(r.lost_ranges[1].first, 70);
    assert_int_equal(r.lost_ranges[1].last, 70);
    assert_int_equal(r.max_gap_ns, 11 * MS);
    assert_int_equal(r.gap_start_ns, T0 + 39 * MS);
    assert_int_equal(r.gap_end_ns, T0 + 50 * MS);
    assert_int_equal(r.gap_seq_before, 39);
    assert_int_equal(r.gap_seq_after, 50);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

/* Losses at the very beginning and end of the stream are losses too. */
static void
test_loss_at_edges(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_add_sent(&a, 0, 10);
    for (uint32_t i = 2; i < 8; i++) {
        arrive(&a, i, i, 10, 0);
    }
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.lost, 4);
    assert_int_equal(r.n_lost_ranges, 2);
    assert_int_equal(r.lost_ranges[0].first, 0);
    assert_int_equal(r.lost_ranges[0].last, 1);
    assert_int_equal(r.lost_ranges[1].first, 8);
    assert_int_equal(r.lost_ranges[1].last, 9);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

static void
test_duplicates(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_add_sent(&a, 0, 10);
    for (uint32_t i = 0; i < 10; i++) {
        arrive(&a, i, 2 * i, 10, 0);
    }
    arrive(&a, 3, 7, 10, 1);    /* Seq 3 again, through another receiver. */
    arrive(&a, 3, 9, 10, 1);    /* And a third time. */
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.received, 10);
    assert_int_equal(r.duplicated, 2);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.reordered, 0);
    /* Duplicates are arrivals: they fill gaps (traffic was flowing). */
    assert_int_equal(r.max_gap_ns, 2 * MS);
    assert_int_equal(r.receivers[0].received, 10);
    assert_int_equal(r.receivers[1].received, 0);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

static void
test_reordering(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_add_sent(&a, 0, 10);
    /* 0 1 2 5 3 4 6 7 8 9: 3 and 4 arrive after 5. */
    static const uint32_t order[] = { 0, 1, 2, 5, 3, 4, 6, 7, 8, 9 };
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        arrive(&a, order[i], i, 10, 0);
    }
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.received, 10);
    assert_int_equal(r.reordered, 2);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.duplicated, 0);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

/* The result depends on arrival times, not on the order arrivals were
 * added (logs can be read in any order). */
static void
test_input_order_does_not_matter(void **state OVS_UNUSED)
{
    struct lossacct a, b;
    struct lossacct_report ra, rb;

    lossacct_init(&a, 1);
    lossacct_init(&b, 1);
    lossacct_add_sent(&a, 0, 50);
    lossacct_add_sent(&b, 0, 50);
    for (uint32_t i = 0; i < 50; i++) {
        if (i % 7) {
            arrive(&a, i, i * 3, i, i % 2);
        }
    }
    for (uint32_t i = 50; i-- > 0; ) {
        if (i % 7) {
            arrive(&b, i, i * 3, i, i % 2);
        }
    }
    assert_int_equal(lossacct_compute(&a, &ra), 0);
    assert_int_equal(lossacct_compute(&b, &rb), 0);
    assert_int_equal(ra.received, rb.received);
    assert_int_equal(ra.lost, rb.lost);
    assert_int_equal(ra.reordered, 0);
    assert_int_equal(rb.reordered, 0);
    assert_int_equal(ra.max_gap_ns, rb.max_gap_ns);
    assert_int_equal(ra.gap_seq_before, rb.gap_seq_before);
    assert_int_equal(ra.n_lost_ranges, rb.n_lost_ranges);
    lossacct_report_destroy(&ra);
    lossacct_report_destroy(&rb);
    lossacct_destroy(&a);
    lossacct_destroy(&b);
}

static void
test_extend_seq(void **state OVS_UNUSED)
{
    const uint64_t W = UINT64_C(1) << 32;

    assert_int_equal(lossacct_extend_seq(0, 0), 0);
    assert_int_equal(lossacct_extend_seq(0, 5), 5);
    assert_int_equal(lossacct_extend_seq(100, 90), 90);
    /* Just past the wrap. */
    assert_int_equal(lossacct_extend_seq(W - 2, 1), W + 1);
    /* Just before it, seen from after it. */
    assert_int_equal(lossacct_extend_seq(W + 2, 0xfffffffe), W - 2);
    /* Never below zero. */
    assert_int_equal(lossacct_extend_seq(5, 0xffffffff), 0xffffffff);
    /* Exactly half way: up. */
    assert_int_equal(lossacct_extend_seq(0, 0x80000000), 0x80000000);
    assert_int_equal(lossacct_extend_seq(3 * W, 0x80000000),
                     3 * W + 0x80000000);
    /* Many wraps in. */
    assert_int_equal(lossacct_extend_seq(5 * W + 10, 20), 5 * W + 20);
}

/* A stream whose 32-bit sequence numbers wrap, with a loss across the
 * wrap. */
static void
test_wraparound(void **state OVS_UNUSED)
{
    const uint64_t W = UINT64_C(1) << 32;
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_add_sent(&a, W - 5, 10);   /* W-5 .. W+4 */
    for (uint64_t s = W - 5; s < W + 5; s++) {
        if (s != W - 1 && s != W) {
            arrive(&a, (uint32_t) s, s - (W - 5), 10, 0);
        }
    }
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.sent, 10);
    assert_int_equal(r.received, 8);
    assert_int_equal(r.lost, 2);
    assert_int_equal(r.stray, 0);
    assert_int_equal(r.reordered, 0);
    assert_int_equal(r.first_seq, W - 5);
    assert_int_equal(r.last_seq, W + 4);
    assert_int_equal(r.n_lost_ranges, 1);
    assert_int_equal(r.lost_ranges[0].first, W - 1);
    assert_int_equal(r.lost_ranges[0].last, W);
    assert_int_equal(r.gap_seq_before, W - 2);
    assert_int_equal(r.gap_seq_after, W + 1);
    assert_int_equal(r.max_gap_ns, 3 * MS);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

/* Without a sender log, what was sent is inferred from the lowest and
 * highest arrivals, wrap included. */
static void
test_no_sender_log(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    arrive(&a, 0xfffffffe, 0, 10, 0);
    arrive(&a, 0xffffffff, 1, 10, 0);
    arrive(&a, 2, 4, 10, 0);
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_false(r.sent_known);
    assert_int_equal(r.first_seq, 0xfffffffe);
    assert_int_equal(r.last_seq, (UINT64_C(1) << 32) + 2);
    assert_int_equal(r.sent, 5);
    assert_int_equal(r.received, 3);
    assert_int_equal(r.lost, 2);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

/* A VM migrates: its source instance sends 0..49, its destination instance
 * continues with 50..99; a peer's stream reaches the source instance, then
 * the destination instance.  The logs merge. */
static void
test_merge_senders_and_receivers(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 2);
    lossacct_add_sent(&a, 0, 50);
    lossacct_add_sent(&a, 50, 50);
    for (uint32_t i = 0; i < 45; i++) {
        arrive(&a, i, i, 10, 0);        /* Source receiver. */
    }
    for (uint32_t i = 48; i < 100; i++) {
        arrive(&a, i, i + 5, 10, 1);    /* Destination receiver. */
    }
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.sent, 100);
    assert_int_equal(r.received, 97);
    assert_int_equal(r.lost, 3);
    assert_int_equal(r.lost_ranges[0].first, 45);
    assert_int_equal(r.lost_ranges[0].last, 47);
    assert_int_equal(r.n_receivers, 2);
    assert_int_equal(r.receivers[0].received, 45);
    assert_int_equal(r.receivers[1].received, 52);
    assert_int_equal(r.max_gap_ns, 9 * MS);  /* 44 at 44 ms, 48 at 53 ms. */
    assert_int_equal(r.gap_seq_before, 44);
    assert_int_equal(r.gap_seq_after, 48);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

/* A delivery window: held before its start, refused from its end on. */
static void
test_window_apply(void **state OVS_UNUSED)
{
    struct lossacct_window w = { .from_ns = T0 + 10 * MS,
                                 .until_ns = T0 + 20 * MS };
    struct lossacct_window open_ended = { .from_ns = T0, .until_ns = 0 };
    struct lossacct_window none = { 0, 0 };
    uint64_t t;

    t = T0 + 5 * MS;
    assert_int_equal(lossacct_window_apply(&w, &t), LOSSACCT_HELD);
    assert_int_equal(t, T0 + 10 * MS);
    t = T0 + 10 * MS;
    assert_int_equal(lossacct_window_apply(&w, &t), LOSSACCT_ON_TIME);
    assert_int_equal(t, T0 + 10 * MS);
    t = T0 + 20 * MS - 1;
    assert_int_equal(lossacct_window_apply(&w, &t), LOSSACCT_ON_TIME);
    t = T0 + 20 * MS;
    assert_int_equal(lossacct_window_apply(&w, &t), LOSSACCT_GONE);
    assert_int_equal(t, T0 + 20 * MS);
    t = UINT64_MAX;
    assert_int_equal(lossacct_window_apply(&open_ended, &t), LOSSACCT_ON_TIME);
    t = 1;
    assert_int_equal(lossacct_window_apply(&none, &t), LOSSACCT_ON_TIME);
    assert_int_equal(t, 1);
}

/* A migration as the VM sees it: the source instance (receiver 0) runs
 * until the pause at 50 ms, the destination instance (receiver 1) from the
 * resume at 80 ms.  Packets 0..59 arrive 1 ms apart at the source, 60..99
 * at the destination from 65 ms on (the switchover happened during the
 * pause): 50..59 reached the paused source and are lost, 60..74 waited at
 * the destination and are delivered at 80 ms, in order. */
static void
test_windows_at_a_migration(void **state OVS_UNUSED)
{
    struct lossacct_window src = { .from_ns = 0, .until_ns = T0 + 50 * MS };
    struct lossacct_window dst = { .from_ns = T0 + 80 * MS, .until_ns = 0 };
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_set_window(&a, 0, &src);
    lossacct_set_window(&a, 1, &dst);
    lossacct_add_sent(&a, 0, 100);
    for (uint32_t i = 0; i < 60; i++) {
        arrive(&a, i, i, 10, 0);
    }
    for (uint32_t i = 60; i < 100; i++) {
        arrive(&a, i, i + 5, 10, 1);
    }
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.received, 90);
    assert_int_equal(r.lost, 10);
    assert_int_equal(r.n_lost_ranges, 1);
    assert_int_equal(r.lost_ranges[0].first, 50);
    assert_int_equal(r.lost_ranges[0].last, 59);
    assert_int_equal(r.reordered, 0);
    assert_int_equal(r.n_receivers, 2);
    assert_int_equal(r.receivers[0].received, 50);
    assert_int_equal(r.receivers[0].gone, 10);
    assert_int_equal(r.receivers[0].held, 0);
    assert_int_equal(r.receivers[0].first_ns, T0);
    assert_int_equal(r.receivers[1].received, 40);
    assert_int_equal(r.receivers[1].held, 15);       /* 60..74. */
    assert_int_equal(r.receivers[1].gone, 0);
    assert_int_equal(r.receivers[1].first_ns, T0 + 80 * MS);
    /* 49 delivered at 49 ms, then nothing until the resume at 80 ms. */
    assert_int_equal(r.max_gap_ns, 31 * MS);
    assert_int_equal(r.gap_start_ns, T0 + 49 * MS);
    assert_int_equal(r.gap_end_ns, T0 + 80 * MS);
    assert_int_equal(r.gap_seq_before, 49);
    assert_int_equal(r.gap_seq_after, 60);
    /* The held packets' delays include the wait: 74 was sent at 79 ms -
     * 10 us and delivered at 80 ms; 60 waited longest. */
    assert_int_equal(sample_set_max(&r.delays), 80 * MS - (65 * MS - 10000));
    lossacct_report_destroy(&r);

    /* A second computation applies nothing twice. */
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.received, 90);
    assert_int_equal(r.receivers[0].gone, 10);
    assert_int_equal(r.receivers[1].held, 15);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

/* Arrivals nobody sent (an earlier run's stragglers) are stray, neither
 * received nor gap-filling. */
static void
test_stray(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_add_sent(&a, 1000, 10);
    for (uint32_t i = 1000; i < 1010; i++) {
        arrive(&a, i, i - 1000, 10, 0);
    }
    arrive(&a, 5, 3, 10, 0);
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.received, 10);
    assert_int_equal(r.stray, 1);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.max_gap_ns, 1 * MS);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

static void
test_delays(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_add_sent(&a, 0, 100);
    for (uint32_t i = 0; i < 100; i++) {
        arrive(&a, i, i, i + 1, 0);     /* 1 us .. 100 us. */
    }
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(sample_set_min(&r.delays), 1000);
    assert_int_equal(sample_set_percentile(&r.delays, 50), 50000);
    assert_int_equal(sample_set_percentile(&r.delays, 99), 99000);
    assert_int_equal(sample_set_max(&r.delays), 100000);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

static void
test_empty_and_nothing_received(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.sent, 0);
    assert_int_equal(r.received, 0);
    lossacct_report_destroy(&r);

    lossacct_add_sent(&a, 0, 20);
    assert_int_equal(lossacct_compute(&a, &r), 0);
    assert_int_equal(r.sent, 20);
    assert_int_equal(r.lost, 20);
    assert_int_equal(r.n_lost_ranges, 1);
    assert_int_equal(r.max_gap_ns, 0);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

static void
test_span_too_large(void **state OVS_UNUSED)
{
    struct lossacct a;
    struct lossacct_report r;

    lossacct_init(&a, 1);
    lossacct_add_sent(&a, 0, 1);
    lossacct_add_sent(&a, UINT64_C(1) << 40, 1);
    assert_int_equal(lossacct_compute(&a, &r), EFBIG);
    lossacct_report_destroy(&r);
    lossacct_destroy(&a);
}

static void
test_packet_round_trip(void **state OVS_UNUSED)
{
    uint8_t buf[64];
    uint32_t stream, seq;
    uint64_t tx_ns;

    lm_packet_build(buf, sizeof buf, 0xdeadbeef, 0xfffffffe, T0 + 42);
    /* Network byte order on the wire. */
    assert_memory_equal(buf, "CTLM\0\0\0\1\xde\xad\xbe\xef\xff\xff\xff\xfe",
                        16);
    assert_int_equal(lm_packet_parse(buf, sizeof buf, &stream, &seq, &tx_ns),
                     LM_PACKET_OK);
    assert_int_equal(stream, 0xdeadbeef);
    assert_int_equal(seq, 0xfffffffe);
    assert_int_equal(tx_ns, T0 + 42);
}

/* A packet that lies is refused, with a reason. */
static void
test_packet_invalid(void **state OVS_UNUSED)
{
    uint8_t buf[64];
    uint32_t stream, seq;
    uint64_t tx_ns;

    lm_packet_build(buf, sizeof buf, 1, 2, 3);
    assert_int_equal(lm_packet_parse(buf, 23, &stream, &seq, &tx_ns),
                     LM_PACKET_SHORT);
    buf[4 + 3] = 9;
    assert_int_equal(lm_packet_parse(buf, 64, &stream, &seq, &tx_ns),
                     LM_PACKET_BAD_VERSION);
    buf[0] = 'X';
    assert_int_equal(lm_packet_parse(buf, 64, &stream, &seq, &tx_ns),
                     LM_PACKET_BAD_MAGIC);
    assert_string_equal(lm_packet_error_to_string(LM_PACKET_SHORT),
                        "shorter than a probe header (24 bytes)");
}

static void
test_logs_round_trip(void **state OVS_UNUSED)
{
    char dir[] = "/tmp/test-lossmeter.XXXXXX";
    struct lm_txlog tx = {
        .stream = 3, .label = "vm1", .dest = "10.0.0.2:9000", .rate = 10000,
        .first_seq = (UINT64_C(1) << 32) + 7, .count = 1234,
        .start_ns = T0, .end_ns = T0 + 123 * MS,
    };
    struct lm_rxlog_record recs[2] = {
        { 3, 7, T0, T0 + 50 }, { 3, 8, T0 + 100, T0 + 170 },
    };
    struct lm_log log;
    char *txname, *rxname, *badname, *error;
    FILE *f;

    assert_non_null(mkdtemp(dir));
    txname = xasprintf("%s/tx.json", dir);
    rxname = xasprintf("%s/rx.log", dir);
    badname = xasprintf("%s/bad", dir);

    assert_int_equal(lm_txlog_write(txname, &tx), 0);
    assert_int_equal(lm_log_read(txname, &log, &error), 0);
    assert_int_equal(log.kind, LM_LOG_SENDER);
    assert_int_equal(log.tx.stream, 3);
    assert_string_equal(log.tx.label, "vm1");
    assert_string_equal(log.tx.dest, "10.0.0.2:9000");
    assert_int_equal(log.tx.first_seq, (UINT64_C(1) << 32) + 7);
    assert_int_equal(log.tx.count, 1234);
    assert_int_equal(log.tx.end_ns, T0 + 123 * MS);
    lm_log_destroy(&log);

    /* A receiver log with a torn last record. */
    f = fopen(rxname, "wb");
    assert_non_null(f);
    assert_int_equal(lm_rxlog_write_header(f, "dest"), 0);
    assert_int_equal(fwrite(recs, sizeof recs, 1, f), 1);
    assert_int_equal(fwrite(recs, 5, 1, f), 1);
    fclose(f);
    assert_int_equal(lm_log_read(rxname, &log, &error), 0);
    assert_int_equal(log.kind, LM_LOG_RECEIVER);
    assert_string_equal(log.label, "dest");
    assert_int_equal(log.n_records, 2);
    assert_true(log.truncated);
    assert_int_equal(log.records[1].seq, 8);
    assert_int_equal(log.records[1].rx_ns, T0 + 170);
    lm_log_destroy(&log);

    /* Garbage is refused with a message naming the file. */
    f = fopen(badname, "w");
    fputs("{\"stream\": \"x\"}", f);
    fclose(f);
    assert_int_not_equal(lm_log_read(badname, &log, &error), 0);
    assert_non_null(strstr(error, badname));
    assert_non_null(strstr(error, "\"stream\""));
    free(error);
    lm_log_destroy(&log);

    assert_int_not_equal(lm_log_read("/nonexistent/x", &log, &error), 0);
    assert_non_null(strstr(error, "cannot open"));
    free(error);
    lm_log_destroy(&log);

    unlink(txname);
    unlink(rxname);
    unlink(badname);
    rmdir(dir);
    free(txname);
    free(rxname);
    free(badname);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_loss),
        cmocka_unit_test(test_loss_and_gap),
        cmocka_unit_test(test_loss_at_edges),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_reordering),
        cmocka_unit_test(test_input_order_does_not_matter),
        cmocka_unit_test(test_extend_seq),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_no_sender_log),
        cmocka_unit_test(test_merge_senders_and_receivers),
        cmocka_unit_test(test_window_apply),
        cmocka_unit_test(test_windows_at_a_migration),
        cmocka_unit_test(test_stray),
        cmocka_unit_test(test_delays),
        cmocka_unit_test(test_empty_and_nothing_received),
        cmocka_unit_test(test_span_too_large),
        cmocka_unit_test(test_packet_round_trip),
        cmocka_unit_test(test_packet_invalid),
        cmocka_unit_test(test_logs_round_trip),
    };

    return cmocka_run_group_tests_name("lossmeter", tests, NULL, NULL);
}
