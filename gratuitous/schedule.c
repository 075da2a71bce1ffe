/* Announcement schedules.  See schedule.h. */

#include <config.h>
#include "schedule.h"

#include "util.h"

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
