/* Unit tests for gratuitous/schedule.c: QEMU's announce schedule. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "schedule.h"
#include "util.h"

static void
assert_times(const struct schedule_params *p, const uint64_t *want,
             size_t n_want)
{
    uint64_t times[64];
    size_t n = schedule_times_ms(p, times, ARRAY_SIZE(times));

    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(times[i], want[i]);
        assert_int_equal(schedule_offset_ms(p, i), want[i]);
        if (i) {
            assert_int_equal(schedule_delay_ms(p, i), want[i] - want[i - 1]);
        }
    }
}

static void
test_defaults(void **state OVS_UNUSED)
{
    /* QEMU with its defaults: 5 rounds, delays 50, 150, 250, 350 ms. */
    static const uint64_t want[] = { 0, 50, 200, 450, 800 };
    struct schedule_params p = SCHEDULE_PARAMS_DEFAULT;

    assert_int_equal(p.initial_ms, 50);
    assert_int_equal(p.max_ms, 550);
    assert_int_equal(p.rounds, 5);
    assert_int_equal(p.step_ms, 100);
    assert_null(schedule_check(&p));
    assert_times(&p, want, ARRAY_SIZE(want));
    assert_int_equal(schedule_delay_ms(&p, 0), 0);
}

static void
test_capped(void **state OVS_UNUSED)
{
    /* Delays 50, 150, 250, 350, 450, 550, then capped at 550. */
    static const uint64_t want[] = {
        0, 50, 200, 450, 800, 1250, 1800, 2350, 2900,
    };
    struct schedule_params p = SCHEDULE_PARAMS_DEFAULT;

    p.rounds = 9;
    assert_times(&p, want, ARRAY_SIZE(want));

    /* A max below the initial delay caps every delay, as in QEMU. */
    {
        static const uint64_t want2[] = { 0, 20, 40, 60 };
        struct schedule_params q = {
            .initial_ms = 50, .max_ms = 20, .rounds = 4, .step_ms = 100,
        };

        assert_times(&q, want2, ARRAY_SIZE(want2));
    }
}

static void
test_other_params(void **state OVS_UNUSED)
{
    static const uint64_t one[] = { 0 };
    static const uint64_t even[] = { 0, 10, 21, 33, 46 };
    static const uint64_t burst[] = { 0, 0, 1, 3 };
    struct schedule_params p = { .initial_ms = 10, .max_ms = 100,
                                 .rounds = 1, .step_ms = 1 };

    assert_times(&p, one, ARRAY_SIZE(one));
    p.rounds = 5;
    assert_times(&p, even, ARRAY_SIZE(even));
    p.initial_ms = 0;
    p.rounds = 4;
    assert_times(&p, burst, ARRAY_SIZE(burst));

    /* Only as many times as there is room for. */
    {
        uint64_t times[2];

        p.rounds = 1000;
        assert_int_equal(schedule_times_ms(&p, times, 2), 2);
    }

    /* The longest schedule QEMU allows does not overflow. */
    p = (struct schedule_params) { .initial_ms = 100000, .max_ms = 100000,
                                   .rounds = 1000, .step_ms = 10000 };
    assert_null(schedule_check(&p));
    assert_int_equal(schedule_offset_ms(&p, 999), 999ULL * 100000);
}

static void
test_check(void **state OVS_UNUSED)
{
    struct {
        struct schedule_params p;
        const char *error;
    } cases[] = {
        { { 50, 550, 0, 100 },
          "rounds: 0 is out of range (expected 1 to 1000)" },
        { { 50, 550, 1001, 100 },
          "rounds: 1001 is out of range (expected 1 to 1000)" },
        { { 100001, 550, 5, 100 },
          "initial: 100001 is out of range (expected 0 to 100000)" },
        { { 50, 100001, 5, 100 },
          "max: 100001 is out of range (expected 0 to 100000)" },
        { { 50, 550, 5, 0 },
          "step: 0 is out of range (expected 1 to 10000)" },
        { { 50, 550, 5, 10001 },
          "step: 10001 is out of range (expected 1 to 10000)" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *error = schedule_check(&cases[i].p);

        assert_non_null(error);
        assert_string_equal(error, cases[i].error);
        free(error);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_capped),
        cmocka_unit_test(test_other_params),
        cmocka_unit_test(test_check),
    };

    return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
