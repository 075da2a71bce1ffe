/* Timing helpers with nanosecond resolution.  See timing.h. */

#include <config.h>
#include "timing.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

uint64_t
timing_now_ns(clockid_t clock)
{
    struct timespec ts;

    if (clock_gettime(clock, &ts)) {
        ovs_abort(errno, "clock_gettime(%d) failed", (int) clock);
    }
    return timing_ts_to_ns(&ts);
}

int
timing_sleep_until_ns(uint64_t deadline_ns)
{
    struct timespec ts = timing_ns_to_ts(deadline_ns);
    int error = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

    return error == EINTR ? EINTR : 0;
}

char *
timing_format_duration(char *buf, size_t size, int64_t ns)
{
    double v = ns;
    double a = fabs(v);

    if (a < 1e3) {
        snprintf(buf, size, "%"PRId64" ns", ns);
    } else if (a < 1e6) {
        snprintf(buf, size, "%.1f us", v / 1e3);
    } else if (a < 1e9) {
        snprintf(buf, size, "%.3f ms", v / 1e6);
    } else {
        snprintf(buf, size, "%.3f s", v / 1e9);
    }
    return buf;
}

int
timing_parse_stamp(const char *s, int64_t *us)
{
    const char *dot = strchr(s, '.');
    size_t n_sec = dot ? dot - s : 0;

    if (!n_sec || n_sec > 12 || strspn(s, "0123456789") != n_sec
        || strlen(dot + 1) != 6 || strspn(dot + 1, "0123456789") != 6) {
        return EINVAL;
    }
    *us = (int64_t) strtoull(s, NULL, 10) * 1000000
          + (int64_t) strtoull(dot + 1, NULL, 10);
    return 0;
}

int
timing_parse_duration(const char *s, uint64_t *ns)
{
    static const struct {
        const char *suffix;
        double scale;
    } units[] = {
        { "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 }, { "ns", 1 },
    };
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0) {
        return EINVAL;
    }
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        if (!strcmp(end, units[i].suffix)) {
            double r = v * units[i].scale;

            if (r > (double) UINT64_MAX / 2) {
                return EINVAL;
            }
            *ns = (uint64_t) (r + 0.5);
            return 0;
        }
    }
    return EINVAL;
}
