/* Unit tests for gratuitous/hold.c: a port's hold, its bounds, the STOP
 * cut-off and the replay order. */

#include <config.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hold.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

#define MS (1000LL * 1000)

/* A frame is a number: the order it was offered in, with its kind. */
struct frame {
    int seq;
    enum hold_kind kind;
};

static int n_freed;

static void
free_frame(void *frame, void *aux)
{
    assert_ptr_equal(aux, &n_freed);
    n_freed++;
    free(frame);
}

static struct hold *
make_hold(uint64_t max_bytes, long long int max_age_ms)
{
    struct hold_limits limits = {
        .max_bytes = max_bytes,
        .max_age_ns = max_age_ms * MS,
    };

    n_freed = 0;
    return hold_create(&limits, free_frame, &n_freed);
}

static bool
push(struct hold *h, enum hold_kind kind, long long int t_ms, int seq,
     uint32_t len)
{
    struct frame *f = xmalloc(sizeof *f);

    f->seq = seq;
    f->kind = kind;
    return hold_push(h, kind, t_ms * MS, f, len);
}

/* Checks that 'r' hands back the frames numbered 'want', in that order,
 * then frees them. */
static void
assert_replay(struct hold_replay *r, const int *want, size_t n_want)
{
    assert_int_equal(r->n, n_want);
    for (size_t i = 0; i < r->n; i++) {
        struct frame *f = r->frames[i];

        assert_int_equal(f->seq, want[i]);
        free(f);
    }
    hold_replay_destroy(r);
}

static void
test_limits_check(void **state OVS_UNUSED)
{
    struct hold_limits limits = HOLD_LIMITS_DEFAULT;
    char *error;

    assert_null(hold_limits_check(&limits));
    limits.max_bytes = 1000;
    error = hold_limits_check(&limits);
    assert_non_null(error);
    assert_non_null(strstr(error, "hold size 1000 bytes"));
    free(error);

    limits = (struct hold_limits) HOLD_LIMITS_DEFAULT;
    limits.max_age_ns = 120000 * MS;
    error = hold_limits_check(&limits);
    assert_non_null(error);
    assert_non_null(strstr(error, "hold age 120000 ms"));
    free(error);
}

/* Copies before the cut-off are stale; after it they go first, then the
 * forwarded frames, then the direct ones, each in arrival order, however
 * they interleaved. */
static void
test_replay_order(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_DEFAULT_MAX_BYTES, 2000);
    struct hold_replay r;

    push(h, HOLD_COPY, 100, 1, 100);     /* Before STOP at 105 ms. */
    push(h, HOLD_COPY, 104, 2, 100);     /* Within the 2 ms margin. */
    push(h, HOLD_COPY, 106, 3, 100);
    push(h, HOLD_DIRECT, 107, 4, 100);   /* A remote host flipped early. */
    push(h, HOLD_FORWARDED, 108, 5, 100);
    push(h, HOLD_COPY, 108, 6, 100);     /* A copy still in flight. */
    push(h, HOLD_DIRECT, 109, 7, 100);
    push(h, HOLD_FORWARDED, 110, 8, 100);

    hold_replay(h, 103 * MS, &r);
    assert_int_equal(r.n_stale, 1);
    assert_int_equal(n_freed, 1);
    assert_int_equal(r.n_kind[HOLD_COPY], 3);
    assert_int_equal(r.n_kind[HOLD_FORWARDED], 2);
    assert_int_equal(r.n_kind[HOLD_DIRECT], 2);
    assert_int_equal(r.bytes, 700);
    assert_false(r.maybe_lost);

    struct ds s = DS_EMPTY_INITIALIZER;
    hold_replay_format(&r, &s);
    assert_string_equal(ds_cstr(&s), "7 frames (3 copies, 2 forwarded, "
                        "2 direct, 700 bytes), 1 stale copies");
    ds_destroy(&s);

    static const int want[] = { 2, 3, 6, 5, 8, 4, 7 };
    assert_replay(&r, want, ARRAY_SIZE(want));

    /* Emptied: a second replay has nothing. */
    hold_replay(h, LLONG_MIN, &r);
    assert_int_equal(r.n, 0);
    hold_replay_destroy(&r);

    struct hold_stats stats;
    hold_get_stats(h, &stats);
    assert_int_equal(stats.bytes, 0);
    assert_int_equal(stats.received[HOLD_COPY], 4);
    assert_int_equal(stats.received[HOLD_FORWARDED], 2);
    assert_int_equal(stats.received[HOLD_DIRECT], 2);
    hold_destroy(h);
}

/* The two ends of the cut-off: every copy, or none. */
static void
test_cutoff_bounds(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_DEFAULT_MAX_BYTES, 2000);
    struct hold_replay r;

    push(h, HOLD_COPY, 1, 1, 60);
    push(h, HOLD_FORWARDED, 2, 2, 60);
    push(h, HOLD_COPY, 3, 3, 60);
    hold_replay(h, LLONG_MIN, &r);
    static const int all[] = { 1, 3, 2 };
    assert_replay(&r, all, ARRAY_SIZE(all));

    push(h, HOLD_COPY, 4, 4, 60);
    push(h, HOLD_DIRECT, 5, 5, 60);
    hold_replay(h, LLONG_MAX, &r);
    assert_int_equal(r.n_stale, 1);
    static const int none[] = { 5 };
    assert_replay(&r, none, ARRAY_SIZE(none));
    hold_destroy(h);
}

/* Copies older than the age bound are dropped as time goes by; held frames
 * are not. */
static void
test_expire(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_DEFAULT_MAX_BYTES, 50);
    struct hold_stats stats;
    struct hold_replay r;

    push(h, HOLD_COPY, 0, 1, 100);
    push(h, HOLD_FORWARDED, 10, 2, 100);
    push(h, HOLD_COPY, 20, 3, 100);
    hold_expire(h, 60 * MS);
    hold_get_stats(h, &stats);
    assert_int_equal(stats.expired, 1);
    assert_int_equal(stats.n[HOLD_COPY], 1);
    assert_int_equal(stats.n[HOLD_FORWARDED], 1);
    assert_int_equal(stats.bytes, 200);
    assert_int_equal(n_freed, 1);

    /* A new copy expires the old ones too. */
    push(h, HOLD_COPY, 200, 4, 100);
    hold_get_stats(h, &stats);
    assert_int_equal(stats.expired, 2);

    hold_replay(h, LLONG_MIN, &r);
    static const int want[] = { 4, 2 };
    assert_replay(&r, want, ARRAY_SIZE(want));
    hold_destroy(h);
}

/* Out of room, a copy evicts the oldest copies; a replay says whether an
 * evicted copy was needed. */
static void
test_evict_copies(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_MIN_BYTES, 2000);
    uint32_t len = HOLD_MIN_BYTES / 4;
    struct hold_stats stats;
    struct hold_replay r;

    for (int i = 1; i <= 6; i++) {
        assert_true(push(h, HOLD_COPY, i, i, len));
    }
    hold_get_stats(h, &stats);
    assert_int_equal(stats.evicted, 2);
    assert_int_equal(stats.n[HOLD_COPY], 4);
    assert_int_equal(stats.newest_evicted_ns, 2 * MS);

    /* The cut-off after the evicted ones: nothing needed was lost. */
    hold_replay(h, 3 * MS, &r);
    assert_false(r.maybe_lost);
    static const int want[] = { 3, 4, 5, 6 };
    assert_replay(&r, want, ARRAY_SIZE(want));

    /* The cut-off before them: some were. */
    for (int i = 7; i <= 12; i++) {
        push(h, HOLD_COPY, i, i, len);
    }
    hold_replay(h, 7 * MS, &r);
    assert_true(r.maybe_lost);
    static const int want2[] = { 9, 10, 11, 12 };
    assert_replay(&r, want2, ARRAY_SIZE(want2));

    /* A copy larger than the whole hold is evicted itself. */
    assert_false(push(h, HOLD_COPY, 20, 20, HOLD_MIN_BYTES + 1));
    hold_get_stats(h, &stats);
    assert_int_equal(stats.evicted, 5);
    hold_destroy(h);
}

/* Out of room, a held frame evicts the copies first, and is refused once
 * there are none (the order of what is kept stays whole). */
static void
test_refuse_held(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_MIN_BYTES, 2000);
    uint32_t len = HOLD_MIN_BYTES / 4;
    struct hold_stats stats;
    struct hold_replay r;

    push(h, HOLD_COPY, 1, 1, len);
    for (int i = 2; i <= 5; i++) {
        assert_true(push(h, HOLD_DIRECT, i, i, len));
    }
    hold_get_stats(h, &stats);
    assert_int_equal(stats.n[HOLD_COPY], 0);
    assert_int_equal(stats.evicted, 1);
    assert_false(push(h, HOLD_FORWARDED, 6, 6, len));
    hold_get_stats(h, &stats);
    assert_int_equal(stats.refused, 1);
    assert_int_equal(n_freed, 2);

    hold_replay(h, LLONG_MIN, &r);
    assert_true(r.maybe_lost);
    static const int want[] = { 2, 3, 4, 5 };
    assert_replay(&r, want, ARRAY_SIZE(want));

    /* The next round starts afresh. */
    push(h, HOLD_DIRECT, 7, 7, len);
    hold_replay(h, LLONG_MIN, &r);
    assert_false(r.maybe_lost);
    static const int want2[] = { 7 };
    assert_replay(&r, want2, ARRAY_SIZE(want2));
    hold_destroy(h);
}

/* An abort gives the held frames back, forwarded first, and frees the
 * copies. */
static void
test_release(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_DEFAULT_MAX_BYTES, 2000);
    struct hold_replay r;

    push(h, HOLD_COPY, 1, 1, 64);
    push(h, HOLD_DIRECT, 2, 2, 64);
    push(h, HOLD_COPY, 3, 3, 64);
    push(h, HOLD_FORWARDED, 4, 4, 64);
    hold_release(h, &r);
    assert_int_equal(r.n_stale, 2);
    assert_int_equal(n_freed, 2);
    assert_false(r.maybe_lost);
    static const int want[] = { 4, 2 };
    assert_replay(&r, want, ARRAY_SIZE(want));
    hold_destroy(h);
}

/* The ring grows past its first size and wraps around, keeping order. */
static void
test_many(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_DEFAULT_MAX_BYTES, 2000);
    struct hold_replay r;
    int n = 0;

    /* Expire some to move the head, then grow past it. */
    for (int i = 0; i < 50; i++) {
        push(h, HOLD_COPY, i, n++, 64);
    }
    hold_expire(h, 2030 * MS);      /* Drops copies 0..29. */
    for (int i = 0; i < 1000; i++) {
        push(h, i % 2 ? HOLD_DIRECT : HOLD_FORWARDED, 2030 + i, n++, 64);
        push(h, HOLD_COPY, 2030 + i, n++, 64);
    }

    hold_replay(h, LLONG_MIN, &r);
    assert_int_equal(r.n_kind[HOLD_COPY], 1000); /* The first 50 expired. */
    assert_int_equal(r.n_kind[HOLD_FORWARDED], 500);
    assert_int_equal(r.n_kind[HOLD_DIRECT], 500);
    int last[HOLD_N_KINDS] = { -1, -1, -1 };
    enum hold_kind prev = HOLD_COPY;
    for (size_t i = 0; i < r.n; i++) {
        struct frame *f = r.frames[i];

        assert_true(f->kind >= prev);
        assert_true(f->seq > last[f->kind]);
        last[f->kind] = f->seq;
        prev = f->kind;
        free(f);
    }
    hold_replay_destroy(&r);
    hold_destroy(h);
}

/* Destroying a hold frees what it kept. */
static void
test_destroy_frees(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_DEFAULT_MAX_BYTES, 2000);

    push(h, HOLD_COPY, 1, 1, 64);
    push(h, HOLD_DIRECT, 2, 2, 64);
    hold_destroy(h);
    assert_int_equal(n_freed, 2);
    hold_destroy(NULL);
}

/* The tag: what the switch pushes, the daemon reads; what the daemon
 * pushes back. */
static void
test_tag(void **state OVS_UNUSED)
{
    uint8_t frame[64] = { [0] = 0x02, [6] = 0x02 };
    enum hold_kind kind;
    uint16_t id;

    /* Untagged: not for a hold. */
    frame[12] = 0x08;
    assert_false(hold_tag_parse(frame, sizeof frame, &id, &kind));

    hold_tag_put(&frame[12], 42, hold_kind_pcp(HOLD_FORWARDED));
    assert_int_equal(frame[12], 0x81);
    assert_int_equal(frame[14], 0x40);      /* PCP 2, VID 42. */
    assert_int_equal(frame[15], 42);
    assert_true(hold_tag_parse(frame, sizeof frame, &id, &kind));
    assert_int_equal(id, 42);
    assert_int_equal(kind, HOLD_FORWARDED);

    hold_tag_put(&frame[12], HOLD_ID_MAX, hold_kind_pcp(HOLD_COPY));
    assert_true(hold_tag_parse(frame, sizeof frame, &id, &kind));
    assert_int_equal(id, HOLD_ID_MAX);
    assert_int_equal(kind, HOLD_COPY);

    /* What the daemon sends back is not for a hold. */
    hold_tag_put(&frame[12], 42, HOLD_PCP_REPLAY);
    assert_false(hold_tag_parse(frame, sizeof frame, &id, &kind));
    hold_tag_put(&frame[12], 42, 0);
    assert_false(hold_tag_parse(frame, sizeof frame, &id, &kind));

    /* VID 0 and 4095 are not ids; a runt is nothing. */
    hold_tag_put(&frame[12], 0, hold_kind_pcp(HOLD_DIRECT));
    assert_false(hold_tag_parse(frame, sizeof frame, &id, &kind));
    hold_tag_put(&frame[12], 4095, hold_kind_pcp(HOLD_DIRECT));
    assert_false(hold_tag_parse(frame, sizeof frame, &id, &kind));
    hold_tag_put(&frame[12], 7, hold_kind_pcp(HOLD_DIRECT));
    assert_false(hold_tag_parse(frame, 17, &id, &kind));
    assert_true(hold_tag_parse(frame, 18, &id, &kind));
}

/* A marker: the daemon's own frame, sent back to it by the switch; not a
 * frame for a hold, and nothing else is a marker. */
static void
test_marker(void **state OVS_UNUSED)
{
    uint8_t frame[HOLD_MARKER_LEN];
    enum hold_kind kind;
    uint32_t seq;
    uint16_t id;

    hold_marker_put(frame, 42, 0x01020304);
    assert_int_equal(frame[12], 0x81);
    assert_int_equal(frame[14] >> 5, HOLD_PCP_MARKER);
    assert_int_equal(frame[16], 0x88);
    assert_int_equal(frame[17], 0xb5);
    assert_true(hold_marker_parse(frame, sizeof frame, &id, &seq));
    assert_int_equal(id, 42);
    assert_int_equal(seq, 0x01020304);
    assert_false(hold_tag_parse(frame, sizeof frame, &id, &kind));
    assert_false(hold_tag_is_vm_runs(frame, sizeof frame, &id));

    /* The VM's frame: tagged PCP 4, whatever it carries. */
    hold_tag_put(&frame[12], 42, HOLD_PCP_VM_RUNS);
    assert_true(hold_tag_is_vm_runs(frame, sizeof frame, &id));
    assert_int_equal(id, 42);
    assert_false(hold_marker_parse(frame, sizeof frame, &id, &seq));
    hold_marker_put(frame, 42, 0x01020304);

    /* Truncated, another PCP, another payload, VID 0: not a marker. */
    assert_false(hold_marker_parse(frame, 29, &id, &seq));
    hold_tag_put(&frame[12], 42, HOLD_PCP_REPLAY);
    assert_false(hold_marker_parse(frame, sizeof frame, &id, &seq));
    hold_marker_put(frame, 42, 1);
    frame[20] ^= 1;
    assert_false(hold_marker_parse(frame, sizeof frame, &id, &seq));
    hold_marker_put(frame, 0, 1);
    assert_false(hold_marker_parse(frame, sizeof frame, &id, &seq));
}

/* hold_evict_copy(): the oldest copy goes, counted, and held frames never
 * do. */
static void
test_evict_one(void **state OVS_UNUSED)
{
    struct hold *h = make_hold(HOLD_MIN_BYTES, 2000);
    struct hold_stats stats;
    struct hold_replay r;

    assert_false(hold_evict_copy(h));
    assert_true(push(h, HOLD_COPY, 1, 1, 100));
    assert_true(push(h, HOLD_COPY, 2, 2, 100));
    assert_true(push(h, HOLD_DIRECT, 3, 3, 100));
    assert_true(hold_evict_copy(h));
    hold_get_stats(h, &stats);
    assert_int_equal(stats.evicted, 1);
    assert_int_equal(stats.newest_evicted_ns, 1 * MS);
    assert_true(hold_evict_copy(h));
    assert_false(hold_evict_copy(h));
    hold_replay(h, 0, &r);
    static const int want[] = { 3 };
    assert_replay(&r, want, ARRAY_SIZE(want));
    hold_destroy(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_check),
        cmocka_unit_test(test_replay_order),
        cmocka_unit_test(test_cutoff_bounds),
        cmocka_unit_test(test_expire),
        cmocka_unit_test(test_evict_copies),
        cmocka_unit_test(test_refuse_held),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_destroy_frees),
        cmocka_unit_test(test_tag),
        cmocka_unit_test(test_marker),
        cmocka_unit_test(test_evict_one),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
