/* Unit tests for datapath/flow-set.c: the two indexes (identity and
 * cookie) stay consistent, and the cookie-scoped diff is exactly the full
 * diff restricted to those cookies. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow-set.h"
#include "util.h"

#define A 0x0300000100000000ULL
#define B 0x0300000200000000ULL
#define C 0x0400000100000000ULL

static size_t
count_cookie(const struct of_flow_set *set, uint64_t cookie)
{
    const struct of_flow *f;
    size_t n = 0;

    OF_FLOW_SET_FOR_EACH_WITH_COOKIE (f, cookie, set) {
        n++;
    }
    return n;
}

/* 'old' and 'new' differ in every way a diff can tell. */
static void
two_sets(struct of_flow_set *old, struct of_flow_set *new)
{
    of_flow_set_init(old);
    of_flow_set_init(new);
    for (int i = 0; i < 200; i++) {
        /* Unchanged flows of B, many: they must not be looked at. */
        of_flow_set_add_format(old, 10, 100, B, "drop", "reg7=%#x", i);
        of_flow_set_add_format(new, 10, 100, B, "drop", "reg7=%#x", i);
    }
    of_flow_set_add(old, 5, 100, A, "reg7=0x1", "drop");          /* Modify. */
    of_flow_set_add(new, 5, 100, A, "reg7=0x1", "goto_table:10");
    of_flow_set_add(old, 40, 100, A, "reg5=0x1", "output:1");     /* Same. */
    of_flow_set_add(new, 40, 100, A, "reg5=0x1", "output:1");
    of_flow_set_add(old, 15, 100, A, "arp", "drop");              /* Delete. */
    of_flow_set_add(new, 16, 100, A, "arp", "drop");              /* Add. */
    of_flow_set_add(old, 20, 100, C, "ip", "drop");       /* Cookie C -> A. */
    of_flow_set_add(new, 20, 100, A, "ip", "drop");
    of_flow_set_add(old, 21, 100, A, "ip", "drop");       /* Cookie A -> C. */
    of_flow_set_add(new, 21, 100, C, "ip", "drop");
    of_flow_set_add(new, 10, 100, B, "reg7=0x999", "drop");       /* B adds. */
}

static void
test_diff_cookies(void **state OVS_UNUSED)
{
    struct of_flow_set old, new;
    struct of_flow_diff d;
    const uint64_t cookies[] = { A, A };

    two_sets(&old, &new);
    of_flow_set_diff_cookies(&old, &new, cookies, ARRAY_SIZE(cookies), &d);

    /* Added: table 16 (A); table 20 changes cookie C -> A: a modify. */
    assert_int_equal(d.n_add, 1);
    assert_int_equal(d.add[0]->table, 16);
    assert_int_equal(d.n_modify, 2);
    for (size_t i = 0; i < d.n_modify; i++) {
        assert_true(d.modify[i]->table == 5 || d.modify[i]->table == 20);
    }
    /* Deleted: table 15.  Table 21 is still in 'new' (with cookie C): not
     * deleted; B's new flow is not A's business. */
    assert_int_equal(d.n_del, 1);
    assert_int_equal(d.del[0]->table, 15);
    of_flow_diff_destroy(&d);

    /* The full diff has the same and B's new flow and table 21's move. */
    of_flow_set_diff(&old, &new, &d);
    assert_int_equal(d.n_add, 2);
    assert_int_equal(d.n_modify, 3);
    assert_int_equal(d.n_del, 1);
    of_flow_diff_destroy(&d);

    of_flow_set_destroy(&old);
    of_flow_set_destroy(&new);
}

static void
test_indexes(void **state OVS_UNUSED)
{
    struct of_flow_set old, new, other;
    struct of_flow *f;

    two_sets(&old, &new);
    assert_int_equal(count_cookie(&old, A), 4);
    assert_int_equal(count_cookie(&old, B), 200);

    of_flow_set_remove_cookie(&old, A);
    assert_int_equal(count_cookie(&old, A), 0);
    assert_int_equal(of_flow_set_count(&old), 201);
    assert_null(of_flow_set_find(&old, 5, 100, "reg7=0x1"));

    /* A move into a set with the identity already taken frees the flow. */
    f = of_flow_set_find(&new, 5, 100, "reg7=0x1");
    of_flow_set_init(&other);
    of_flow_set_add(&other, 5, 100, C, "reg7=0x1", "drop");
    assert_false(of_flow_set_move(&other, &new, f));
    assert_int_equal(count_cookie(&other, A), 0);
    f = of_flow_set_find(&new, 40, 100, "reg5=0x1");
    assert_true(of_flow_set_move(&other, &new, f));
    assert_int_equal(count_cookie(&other, A), 1);
    assert_null(of_flow_set_find(&new, 40, 100, "reg5=0x1"));

    /* Swapping swaps both indexes. */
    of_flow_set_swap(&old, &other);
    assert_int_equal(count_cookie(&old, A), 1);
    assert_int_equal(count_cookie(&other, B), 200);
    of_flow_set_clear(&other);
    assert_int_equal(count_cookie(&other, B), 0);
    assert_int_equal(of_flow_set_count(&other), 0);

    of_flow_set_destroy(&old);
    of_flow_set_destroy(&new);
    of_flow_set_destroy(&other);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_cookies),
        cmocka_unit_test(test_indexes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
