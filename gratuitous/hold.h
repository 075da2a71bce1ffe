/* The hold: a destination host's bounded buffer of one migrating port's
 * frames, and the order in which they reach the VM.
 *
 * Three kinds of frames reach a port's hold on the destination:
 *
 *   - copies: from prepare until the switchover, the source delivers the
 *     port's inbound frames to the VM and also sends a copy to the
 *     destination.  Those that arrived while the VM was already stopped on
 *     the source never reached a running VM: they are the ones to replay.
 *
 *   - forwarded frames: after the switchover the source forwards to the
 *     destination what still reaches it (remote hosts that have not
 *     flipped yet, frames in flight).
 *
 *   - direct frames: remote hosts that flipped send straight to the
 *     destination.
 *
 * Until the VM runs on the destination (activate), forwarded and direct
 * frames are held.  hold_replay() then hands back, in this order: the
 * copies that arrived at or after a cut-off (the VM's STOP time less a
 * margin), in arrival order; the forwarded frames, in arrival order; the
 * direct frames, in arrival order.  Forwarded frames left their senders
 * before any direct frame did (a sender sends direct only once it flipped,
 * after the source got the port's traffic), so putting them first removes
 * the reordering that arrival order would show when both paths are in
 * flight at once.
 *
 * Bounds: bytes (all kinds together) and age (copies only: a copy older
 * than the age bound predates any pause worth replaying).  A frame that
 * does not fit evicts the oldest copies first (the likeliest to predate the
 * pause); a held frame that still does not fit is refused (dropping the
 * newest keeps the order of what is kept).
 * Both are counted, and a replay says whether an evicted copy was recent
 * enough to be needed.
 *
 * Pure code: the hold keeps opaque frames (the DPDK daemon's mbufs, a unit
 * test's buffers) and gives them back or frees them with the caller's
 * function; timestamps are the caller's, in ns of the host's wall clock
 * (the clock QEMU's STOP event is stamped with). */

#ifndef GRATUITOUS_HOLD_H
#define GRATUITOUS_HOLD_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hold-tag.h"

struct ds;

enum hold_kind {
    HOLD_COPY,                  /* A copy sent by the source before the
                                 * switchover. */
    HOLD_FORWARDED,             /* Forwarded by the source after it. */
    HOLD_DIRECT,                /* Sent straight by a flipped sender. */
    HOLD_N_KINDS
};

const char *hold_kind_name(enum hold_kind);

struct hold_limits {
    uint64_t max_bytes;         /* All frames of the port together. */
    long long int max_age_ns;   /* Copies older than this are dropped. */
};

#define HOLD_DEFAULT_MAX_BYTES (4 * 1024 * 1024)
#define HOLD_DEFAULT_MAX_AGE_MS 2000
#define HOLD_LIMITS_DEFAULT {                                       \
        .max_bytes = HOLD_DEFAULT_MAX_BYTES,                        \
        .max_age_ns = HOLD_DEFAULT_MAX_AGE_MS * 1000LL * 1000,      \
    }

/* Bounds a caller may ask for. */
#define HOLD_MIN_BYTES (64 * 1024)
#define HOLD_MAX_BYTES (1024ULL * 1024 * 1024)
#define HOLD_MIN_AGE_MS 10
#define HOLD_MAX_AGE_MS 60000

/* Returns NULL if 'limits' are within the bounds above, otherwise a
 * malloc()ed message naming the limit and its range. */
char *hold_limits_check(const struct hold_limits *);

/* Frees a frame the hold drops ('aux' is hold_create()'s). */
typedef void hold_free_func(void *frame, void *aux);

struct hold_stats {
    size_t n[HOLD_N_KINDS];     /* Frames kept now, per kind. */
    uint64_t bytes;             /* Their bytes. */
    uint64_t received[HOLD_N_KINDS]; /* Frames offered, per kind. */
    uint64_t expired;           /* Copies dropped for their age. */
    uint64_t evicted;           /* Copies dropped for room. */
    uint64_t refused;           /* Held frames dropped for room. */
    long long int newest_evicted_ns; /* Arrival of the newest evicted copy,
                                      * LLONG_MIN if none. */
};

struct hold *hold_create(const struct hold_limits *, hold_free_func *,
                         void *aux);
void hold_destroy(struct hold *);

/* Offers 'frame' of 'len' bytes, of kind 'kind', arrived at 'now_ns' (not
 * earlier than any frame offered before).  The hold takes the frame
 * whatever happens: it keeps it, or frees it at once if it has no room
 * (see the bounds above).  Returns true if it kept it. */
bool hold_push(struct hold *, enum hold_kind kind, long long int now_ns,
               void *frame, uint32_t len);

/* Drops the copies older than the age bound at 'now_ns'. */
void hold_expire(struct hold *, long long int now_ns);

/* Drops the oldest copy, as the byte bound does (counted as evicted):
 * room for a caller whose frames share a pool with others.  Returns false
 * if there was no copy. */
bool hold_evict_copy(struct hold *);

/* What a replay or a release hands back. */
struct hold_replay {
    void **frames;              /* In the order to send them. */
    uint32_t *lens;
    size_t n;
    size_t n_kind[HOLD_N_KINDS]; /* How many of each kind. */
    uint64_t bytes;
    size_t n_stale;             /* Copies before the cut-off, freed. */
    bool maybe_lost;            /* An evicted copy arrived at or after the
                                 * cut-off, or a held frame was refused. */
};

/* Empties the hold into 'r' for activate: the copies that arrived at or
 * after 'cutoff_ns', then the forwarded and the direct frames, each in
 * arrival order.  Copies before the cut-off are freed.  'cutoff_ns' may be
 * LLONG_MIN (replay every copy) or LLONG_MAX (none).  The caller owns the
 * frames in 'r' and frees 'r' with hold_replay_destroy(). */
void hold_replay(struct hold *, long long int cutoff_ns,
                 struct hold_replay *r);

/* Empties the hold into 'r' for abort: the forwarded and the direct
 * frames, in that order, to go back to the source; copies are freed (the
 * source's VM had them). */
void hold_release(struct hold *, struct hold_replay *r);

/* Frees 'r''s arrays (not the frames: they are the caller's). */
void hold_replay_destroy(struct hold_replay *r);

void hold_get_stats(const struct hold *, struct hold_stats *);

/* Appends a one-line summary of 'r' to 'ds', e.g. "replayed 12 frames
 * (3 copies, 7 forwarded, 2 direct, 1840 bytes), 40 stale copies". */
void hold_replay_format(const struct hold_replay *r, struct ds *ds);

/* The hold tag: see hold-tag.h. */

/* The PCP of frames of 'kind' handed to the daemon. */
uint8_t hold_kind_pcp(enum hold_kind kind);

/* If the 'len' bytes of 'frame' carry a hold tag for a frame handed to the
 * daemon, stores its id and kind and returns true; otherwise (too short,
 * no 802.1Q header, an id or a PCP that is not one) returns false. */
bool hold_tag_parse(const void *frame, size_t len, uint16_t *id,
                    enum hold_kind *kind);

/* Writes into 'tag' (HOLD_TAG_LEN bytes) the 802.1Q header for hold 'id'
 * and 'pcp'. */
void hold_tag_put(void *tag, uint16_t id, uint8_t pcp);

/* Whether the 'len' bytes of 'frame' are the switch's copy of a VM's own
 * frame (hold tag PCP 4: the VM runs); if so, stores its hold id. */
bool hold_tag_is_vm_runs(const void *frame, size_t len, uint16_t *id);

/* Writes into 'frame' (HOLD_MARKER_LEN bytes) the marker of hold 'id' with
 * sequence number 'seq' (hold-tag.h). */
void hold_marker_put(void *frame, uint16_t id, uint32_t seq);

/* Whether the 'len' bytes of 'frame' are a marker; if so, stores its hold
 * id and sequence number. */
bool hold_marker_parse(const void *frame, size_t len, uint16_t *id,
                       uint32_t *seq);

#endif /* hold.h */
