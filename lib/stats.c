/* Sample sets.  See stats.h. */

#include <config.h>
#include "stats.h"

#include <math.h>
#include <stdlib.h>

#include "util.h"

void
sample_set_init(struct sample_set *set)
{
    *set = (struct sample_set) SAMPLE_SET_INITIALIZER;
}

void
sample_set_destroy(struct sample_set *set)
{
    free(set->values);
    sample_set_init(set);
}

void
sample_set_add(struct sample_set *set, int64_t value)
{
    if (set->n >= set->allocated) {
        set->values = x2nrealloc(set->values, &set->allocated,
                                 sizeof *set->values);
    }
    if (set->n && value < set->values[set->n - 1]) {
        set->sorted = false;
    }
    set->values[set->n++] = value;
}

static int
compare_int64(const void *a_, const void *b_)
{
    int64_t a = *(const int64_t *) a_;
    int64_t b = *(const int64_t *) b_;

    return a < b ? -1 : a > b;
}

static void
sample_set_sort(struct sample_set *set)
{
    if (!set->sorted) {
        qsort(set->values, set->n, sizeof *set->values, compare_int64);
        set->sorted = true;
    }
}

int64_t
sample_set_min(struct sample_set *set)
{
    sample_set_sort(set);
    return set->n ? set->values[0] : 0;
}

int64_t
sample_set_max(struct sample_set *set)
{
    sample_set_sort(set);
    return set->n ? set->values[set->n - 1] : 0;
}

double
sample_set_mean(const struct sample_set *set)
{
    double sum = 0;

    for (size_t i = 0; i < set->n; i++) {
        sum += set->values[i];
    }
    return set->n ? sum / set->n : 0;
}

int64_t
sample_set_percentile(struct sample_set *set, double pct)
{
    size_t rank;

    if (!set->n) {
        return 0;
    }
    sample_set_sort(set);
    pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
    rank = (size_t) ceil(pct / 100.0 * set->n);
    return set->values[rank ? rank - 1 : 0];
}
