/* Announcement schedules.  See schedule.h. */

#include <config.h>
#include "schedule.h"

#include <inttypes.h>

#include "openvswitch/dynamic-string.h"
#include "util.h"

/* Send times schedule_format() lists before it skips to the last. */
#define FORMAT_MAX_TIMES 12

/* Returns an error if 'value' of parameter 'name' is outside [min, max]. */
static char *
check_range(const char *name, unsigned int value, unsigned int min,
            unsigned int max)
{
    if (value < min || value > max) {
        return xasprintf("%s: %u is out of range (expected %u to %u)",
                         name, value, min, max);
    }
    return NULL;
}

char *
schedule_check(const struct schedule_params *p)
{
    char *error = check_range("initial", p->initial_ms, 0,
                              SCHEDULE_INITIAL_MAX_MS);

    if (!error) {
        error = check_range("max", p->max_ms, 0, SCHEDULE_MAX_MAX_MS);
    }
    if (!error) {
        error = check_range("rounds", p->rounds, 1, SCHEDULE_ROUNDS_MAX);
    }
    if (!error) {
        error = check_range("step", p->step_ms, SCHEDULE_STEP_MIN_MS,
                            SCHEDULE_STEP_MAX_MS);
    }
    return error;
}

uint64_t
schedule_delay_ms(const struct schedule_params *p, unsigned int round)
{
    /* QEMU's qemu_announce_timer_step(), with its count of rounds left
     * turned into a count of rounds done. */
    uint64_t delay = p->initial_ms + (uint64_t) (round - 1) * p->step_ms;

    return round ? MIN(delay, p->max_ms) : 0;
}

uint64_t
schedule_offset_ms(const struct schedule_params *p, unsigned int round)
{
    uint64_t offset = 0;

    for (unsigned int i = 1; i <= round; i++) {
        offset += schedule_delay_ms(p, i);
    }
    return offset;
}

size_t
schedule_times_ms(const struct schedule_params *p, uint64_t *times,
                  size_t max)
{
    size_t n = MIN(p->rounds, max);
    uint64_t offset = 0;

    for (size_t i = 0; i < n; i++) {
        offset += schedule_delay_ms(p, i);
        times[i] = offset;
    }
    return n;
}

void
schedule_format(const struct schedule_params *p, struct ds *ds)
{
    uint64_t times[SCHEDULE_ROUNDS_MAX];
    size_t n = schedule_times_ms(p, times, ARRAY_SIZE(times));

    ds_put_format(ds, "%u round%s at", p->rounds, p->rounds == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        /* A long schedule: the first rounds, then the last. */
        if (n > FORMAT_MAX_TIMES && i == FORMAT_MAX_TIMES - 1) {
            ds_put_cstr(ds, ", ...");
            i = n - 1;
        }
        ds_put_format(ds, "%s %"PRIu64, i ? "," : "", times[i]);
    }
    ds_put_cstr(ds, " ms");
}
