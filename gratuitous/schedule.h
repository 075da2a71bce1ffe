/* Announcement schedules: when each round of an announcement goes out.
 *
 * The parameters are QEMU's announce parameters (qapi/net.json
 * AnnounceParameters, net/announce.c) with QEMU's defaults and limits: the
 * first round goes out at once, the second 'initial' ms later, and each
 * later delay is 'step' ms longer than the one before, but never longer than
 * 'max' ms.  With the defaults (50, 550, 5 rounds, 100) the rounds go out at
 * 0, 50, 200, 450 and 800 ms.
 *
 * Pure code: given parameters, the send times.  The emitters' callers keep
 * their own clocks. */

#ifndef GRATUITOUS_SCHEDULE_H
#define GRATUITOUS_SCHEDULE_H 1

#include <stddef.h>
#include <stdint.h>

#include "openvswitch/compiler.h"

struct ds;

struct schedule_params {
    unsigned int initial_ms;    /* Delay between the first two rounds. */
    unsigned int max_ms;        /* Longest delay between two rounds. */
    unsigned int rounds;        /* Number of rounds, the first immediate. */
    unsigned int step_ms;       /* Each delay is this much longer than the
                                 * one before. */
};

/* QEMU's defaults (migration/options.c: DEFAULT_MIGRATE_ANNOUNCE_*). */
#define SCHEDULE_DEFAULT_INITIAL_MS 50
#define SCHEDULE_DEFAULT_MAX_MS 550
#define SCHEDULE_DEFAULT_ROUNDS 5
#define SCHEDULE_DEFAULT_STEP_MS 100

#define SCHEDULE_PARAMS_DEFAULT {                   \
        .initial_ms = SCHEDULE_DEFAULT_INITIAL_MS,  \
        .max_ms = SCHEDULE_DEFAULT_MAX_MS,          \
        .rounds = SCHEDULE_DEFAULT_ROUNDS,          \
        .step_ms = SCHEDULE_DEFAULT_STEP_MS,        \
    }

/* QEMU's limits (migrate_params_check()), except that at least one round
 * is required: an announcement of no rounds announces nothing. */
#define SCHEDULE_INITIAL_MAX_MS 100000
#define SCHEDULE_MAX_MAX_MS 100000
#define SCHEDULE_ROUNDS_MAX 1000
#define SCHEDULE_STEP_MIN_MS 1
#define SCHEDULE_STEP_MAX_MS 10000

/* Returns NULL if 'p' is within the limits above, otherwise a malloc()ed
 * message naming the parameter and its range (the caller frees it). */
char *schedule_check(const struct schedule_params *p) OVS_WARN_UNUSED_RESULT;

/* The delay in ms between round 'round' - 1 and round 'round' (rounds count
 * from 0; 'round' >= 1). */
uint64_t schedule_delay_ms(const struct schedule_params *, unsigned int round);

/* When round 'round' (from 0) goes out, in ms after the first. */
uint64_t schedule_offset_ms(const struct schedule_params *,
                            unsigned int round);

/* Stores the offsets of the first MIN(rounds, 'max') rounds in 'times' and
 * returns how many it stored. */
size_t schedule_times_ms(const struct schedule_params *, uint64_t *times,
                         size_t max);

/* Appends to 'ds' the number of rounds and their send times, e.g. "5 rounds
 * at 0, 50, 200, 450, 800 ms"; of a long schedule the first times, "..."
 * and the last. */
void schedule_format(const struct schedule_params *, struct ds *);

#endif /* schedule.h */
