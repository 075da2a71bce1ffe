/* Sample sets: collect values, then ask for minimum, maximum, mean and
 * percentiles.  Used for one-way delays, switchover latencies and benchmark
 * figures. */

#ifndef CUTOVER_STATS_H
#define CUTOVER_STATS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sample_set {
    int64_t *values;
    size_t n;
    size_t allocated;
    bool sorted;                /* 'values' is in ascending order. */
};

#define SAMPLE_SET_INITIALIZER { NULL, 0, 0, true }

void sample_set_init(struct sample_set *);
void sample_set_destroy(struct sample_set *);
void sample_set_add(struct sample_set *, int64_t value);

/* These return 0 for an empty set. */
int64_t sample_set_min(struct sample_set *);
int64_t sample_set_max(struct sample_set *);
double sample_set_mean(const struct sample_set *);

/* Returns the 'pct' percentile (0 to 100) by the nearest-rank method: the
 * smallest value such that at least 'pct' percent of the values are less than
 * or equal to it.  Sorts the set on first use. */
int64_t sample_set_percentile(struct sample_set *, double pct);

#endif /* stats.h */
