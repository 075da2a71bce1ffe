/* Timing helpers with nanosecond resolution.
 *
 * Open vSwitch's timeval module works in milliseconds and microseconds; the
 * cutover path and its measurements need nanoseconds.  Every namespace of a
 * lab shares the same clocks, so timestamps taken in different namespaces can
 * be subtracted directly. */

#ifndef CUTOVER_TIMING_H
#define CUTOVER_TIMING_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TIMING_NS_PER_SEC 1000000000ULL

/* Returns 'clock' now, in nanoseconds. */
uint64_t timing_now_ns(clockid_t clock);

/* Wall clock, comparable across processes and with kernel packet timestamps
 * (SO_TIMESTAMPNS). */
static inline uint64_t
timing_realtime_ns(void)
{
    return timing_now_ns(CLOCK_REALTIME);
}

/* Monotonic clock, for deadlines and elapsed times inside one process. */
static inline uint64_t
timing_mono_ns(void)
{
    return timing_now_ns(CLOCK_MONOTONIC);
}

/* How long one turn of a daemon's loop may spend on work it can spread over
 * several turns (cutoverd's hosts to compute, a switchover's work for the
 * other hosts): past this, the rest waits for the next turn, so that no
 * turn keeps a switchover's replies, the database or the switches waiting
 * (docs/scale.md). */
#define TIMING_TURN_BUDGET_MS 20

/* Whether a turn that started its spreadable work at 'start_ns'
 * (timing_mono_ns()) has spent TIMING_TURN_BUDGET_MS. */
static inline bool
timing_turn_spent(uint64_t start_ns)
{
    return timing_mono_ns() - start_ns >= TIMING_TURN_BUDGET_MS * 1000000ull;
}

static inline uint64_t
timing_ts_to_ns(const struct timespec *ts)
{
    return (uint64_t) ts->tv_sec * TIMING_NS_PER_SEC + ts->tv_nsec;
}

static inline struct timespec
timing_ns_to_ts(uint64_t ns)
{
    struct timespec ts = {
        .tv_sec = ns / TIMING_NS_PER_SEC,
        .tv_nsec = ns % TIMING_NS_PER_SEC,
    };
    return ts;
}

/* Sleeps until the monotonic clock reaches 'deadline_ns'.  Returns 0, or
 * EINTR if a signal interrupted the sleep. */
int timing_sleep_until_ns(uint64_t deadline_ns);

/* Writes 'ns' into 'buf' as a human-readable duration with a unit chosen for
 * its size ("850 ns", "12.3 us", "1.250 ms", "2.500 s") and returns 'buf'. */
char *timing_format_duration(char *buf, size_t size, int64_t ns);

/* Parses a wall-clock time stamp "SECONDS.MICROSECONDS" (seconds since
 * the epoch, exactly six digits after the point, as QEMU's QMP events carry
 * it) into '*us', microseconds since the epoch.  Returns 0 or EINVAL. */
int timing_parse_stamp(const char *s, int64_t *us);

/* Parses a duration such as "30", "2.5s", "500ms", "250us" or "100ns" (a bare
 * number is seconds) into '*ns'.  Returns 0 or EINVAL. */
int timing_parse_duration(const char *s, uint64_t *ns);

#endif /* timing.h */
