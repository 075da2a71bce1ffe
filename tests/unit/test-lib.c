/* Unit tests for lib/: sample sets and timing helpers. */

#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stats.h"
#include "timing.h"
#include "util.h"

static void
test_sample_set(void **state OVS_UNUSED)
{
    struct sample_set s = SAMPLE_SET_INITIALIZER;

    assert_int_equal(sample_set_percentile(&s, 50), 0);
    assert_int_equal(sample_set_min(&s), 0);
    for (int i = 10; i >= 1; i--) {
        sample_set_add(&s, i * 10);
    }
    assert_false(s.sorted);
    assert_int_equal(sample_set_min(&s), 10);
    assert_int_equal(sample_set_max(&s), 100);
    assert_int_equal(sample_set_percentile(&s, 0), 10);
    assert_int_equal(sample_set_percentile(&s, 50), 50);
    assert_int_equal(sample_set_percentile(&s, 51), 60);
    assert_int_equal(sample_set_percentile(&s, 99), 100);
    assert_int_equal(sample_set_percentile(&s, 100), 100);
    assert_true(sample_set_mean(&s) == 55.0);
    sample_set_add(&s, -5);
    assert_int_equal(sample_set_min(&s), -5);
    sample_set_destroy(&s);
}

static void
test_parse_duration(void **state OVS_UNUSED)
{
    uint64_t ns;

    assert_int_equal(timing_parse_duration("30", &ns), 0);
    assert_int_equal(ns, 30000000000ULL);
    assert_int_equal(timing_parse_duration("2.5s", &ns), 0);
    assert_int_equal(ns, 2500000000ULL);
    assert_int_equal(timing_parse_duration("500ms", &ns), 0);
    assert_int_equal(ns, 500000000ULL);
    assert_int_equal(timing_parse_duration("250us", &ns), 0);
    assert_int_equal(ns, 250000ULL);
    assert_int_equal(timing_parse_duration("100ns", &ns), 0);
    assert_int_equal(ns, 100ULL);
    assert_int_equal(timing_parse_duration("", &ns), EINVAL);
    assert_int_equal(timing_parse_duration("ten", &ns), EINVAL);
    assert_int_equal(timing_parse_duration("5min", &ns), EINVAL);
    assert_int_equal(timing_parse_duration("-1", &ns), EINVAL);
    assert_int_equal(timing_parse_duration("1e30", &ns), EINVAL);
}

static void
test_format_duration(void **state OVS_UNUSED)
{
    char buf[32];

    assert_string_equal(timing_format_duration(buf, sizeof buf, 850),
                        "850 ns");
    assert_string_equal(timing_format_duration(buf, sizeof buf, 12345),
                        "12.3 us");
    assert_string_equal(timing_format_duration(buf, sizeof buf, 1250000),
                        "1.250 ms");
    assert_string_equal(timing_format_duration(buf, sizeof buf, 2500000000LL),
                        "2.500 s");
    assert_string_equal(timing_format_duration(buf, sizeof buf, -1500000),
                        "-1.500 ms");
}

static void
test_clocks(void **state OVS_UNUSED)
{
    uint64_t a = timing_mono_ns();
    uint64_t b = timing_mono_ns();
    struct timespec ts = timing_ns_to_ts(1234567890123ULL);

    assert_true(b >= a);
    assert_true(timing_realtime_ns() > UINT64_C(1500000000) * 1000000000);
    assert_int_equal(ts.tv_sec, 1234);
    assert_int_equal(ts.tv_nsec, 567890123);
    assert_int_equal(timing_ts_to_ns(&ts), 1234567890123ULL);
    assert_int_equal(timing_sleep_until_ns(a), 0);  /* In the past. */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_set),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_clocks),
    };

    return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
