/* The hold: a port's bounded frame buffer and its replay order.  See
 * hold.h.
 *
 * Two queues, each a ring of entries in arrival order: the copies, which
 * lose their oldest entries to age and to room, and the held frames
 * (forwarded and direct interleaved as they arrived), which only grow
 * until a replay or a release empties them.  A replay walks the held queue
 * twice, forwarded first, then direct. */

#include <config.h>
#include "hold.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

struct hold_entry {
    void *frame;
    uint32_t len;
    enum hold_kind kind;
    long long int arrival_ns;
};

/* A ring of entries that grows as needed (the byte bound limits it). */
struct hold_queue {
    struct hold_entry *ring;
    size_t allocated;           /* A power of 2, or 0. */
    size_t head;                /* Index of the oldest entry. */
    size_t n;
};

struct hold {
    struct hold_limits limits;
    hold_free_func *free_frame;
    void *aux;
    struct hold_queue copies;
    struct hold_queue held;
    struct hold_stats stats;

    /* Since the last replay or release: */
    bool evicted;               /* A copy was evicted... */
    long long int newest_evicted_ns; /* ...the newest arrived then. */
    bool refused;               /* A held frame was refused. */
};

static const char *const kind_names[HOLD_N_KINDS] = {
    [HOLD_COPY] = "copy",
    [HOLD_FORWARDED] = "forwarded",
    [HOLD_DIRECT] = "direct",
};

const char *
hold_kind_name(enum hold_kind kind)
{
    return kind < HOLD_N_KINDS ? kind_names[kind] : "unknown";
}

char *
hold_limits_check(const struct hold_limits *limits)
{
    if (limits->max_bytes < HOLD_MIN_BYTES
        || limits->max_bytes > HOLD_MAX_BYTES) {
        return xasprintf("hold size %"PRIu64" bytes is out of range "
                         "(%d to %llu)", limits->max_bytes, HOLD_MIN_BYTES,
                         HOLD_MAX_BYTES);
    }
    if (limits->max_age_ns < HOLD_MIN_AGE_MS * 1000000LL
        || limits->max_age_ns > HOLD_MAX_AGE_MS * 1000000LL) {
        return xasprintf("hold age %lld ms is out of range (%d to %d ms)",
                         limits->max_age_ns / 1000000, HOLD_MIN_AGE_MS,
                         HOLD_MAX_AGE_MS);
    }
    return NULL;
}

static struct hold_entry *
queue_at(const struct hold_queue *q, size_t i)
{
    return &q->ring[(q->head + i) & (q->allocated - 1)];
}

static void
queue_push(struct hold_queue *q, const struct hold_entry *e)
{
    if (q->n == q->allocated) {
        size_t allocated = q->allocated ? 2 * q->allocated : 64;
        struct hold_entry *ring = xmalloc(allocated * sizeof *ring);

        for (size_t i = 0; i < q->n; i++) {
            ring[i] = *queue_at(q, i);
        }
        free(q->ring);
        q->ring = ring;
        q->allocated = allocated;
        q->head = 0;
    }
    *queue_at(q, q->n++) = *e;
}

static struct hold_entry
queue_pop(struct hold_queue *q)
{
    struct hold_entry e = *queue_at(q, 0);

    q->head = (q->head + 1) & (q->allocated - 1);
    q->n--;
    return e;
}

struct hold *
hold_create(const struct hold_limits *limits, hold_free_func *free_frame,
            void *aux)
{
    struct hold *h = xzalloc(sizeof *h);

    h->limits = *limits;
    h->free_frame = free_frame;
    h->aux = aux;
    h->stats.newest_evicted_ns = LLONG_MIN;
    return h;
}

/* Drops entry 'e', which has left its queue. */
static void
drop(struct hold *h, const struct hold_entry *e)
{
    h->stats.n[e->kind]--;
    h->stats.bytes -= e->len;
    h->free_frame(e->frame, h->aux);
}

static void
drop_all(struct hold *h, struct hold_queue *q)
{
    while (q->n) {
        struct hold_entry e = queue_pop(q);

        drop(h, &e);
    }
}

void
hold_destroy(struct hold *h)
{
    if (h) {
        drop_all(h, &h->copies);
        drop_all(h, &h->held);
        free(h->copies.ring);
        free(h->held.ring);
        free(h);
    }
}

bool
hold_evict_copy(struct hold *h)
{
    struct hold_entry old;

    if (!h->copies.n) {
        return false;
    }
    old = queue_pop(&h->copies);
    h->stats.evicted++;
    h->stats.newest_evicted_ns = old.arrival_ns;
    h->evicted = true;
    h->newest_evicted_ns = old.arrival_ns;
    drop(h, &old);
    return true;
}

bool
hold_push(struct hold *h, enum hold_kind kind, long long int now_ns,
          void *frame, uint32_t len)
{
    struct hold_entry e = {
        .frame = frame, .len = len, .kind = kind, .arrival_ns = now_ns,
    };

    ovs_assert(kind < HOLD_N_KINDS);
    h->stats.received[kind]++;
    hold_expire(h, now_ns);
    if (len <= h->limits.max_bytes) {
        /* Room is made from the oldest copies, the likeliest to predate
         * the VM's pause. */
        while (h->stats.bytes + len > h->limits.max_bytes
               && hold_evict_copy(h)) {
            continue;
        }
    }
    if (h->stats.bytes + len > h->limits.max_bytes) {
        /* A copy larger than the whole hold, or a held frame with no room
         * left: it would be lost either way; the newest goes. */
        if (kind == HOLD_COPY) {
            h->stats.evicted++;
            h->stats.newest_evicted_ns = now_ns;
            h->evicted = true;
            h->newest_evicted_ns = now_ns;
        } else {
            h->stats.refused++;
            h->refused = true;
        }
        h->free_frame(frame, h->aux);
        return false;
    }
    queue_push(kind == HOLD_COPY ? &h->copies : &h->held, &e);
    h->stats.n[kind]++;
    h->stats.bytes += len;
    return true;
}

void
hold_expire(struct hold *h, long long int now_ns)
{
    while (h->copies.n
           && now_ns - queue_at(&h->copies, 0)->arrival_ns
              > h->limits.max_age_ns) {
        struct hold_entry old = queue_pop(&h->copies);

        h->stats.expired++;
        drop(h, &old);
    }
}

static void
replay_add(struct hold_replay *r, const struct hold_entry *e)
{
    r->frames[r->n] = e->frame;
    r->lens[r->n] = e->len;
    r->n++;
    r->n_kind[e->kind]++;
    r->bytes += e->len;
}

void
hold_replay(struct hold *h, long long int cutoff_ns, struct hold_replay *r)
{
    size_t max = h->copies.n + h->held.n;

    memset(r, 0, sizeof *r);
    r->frames = xmalloc(MAX(max, 1) * sizeof *r->frames);
    r->lens = xmalloc(MAX(max, 1) * sizeof *r->lens);
    r->maybe_lost = (h->refused
                     || (h->evicted && cutoff_ns != LLONG_MAX
                         && h->newest_evicted_ns >= cutoff_ns));

    while (h->copies.n) {
        struct hold_entry e = queue_pop(&h->copies);

        if (e.arrival_ns >= cutoff_ns && cutoff_ns != LLONG_MAX) {
            replay_add(r, &e);
            h->stats.n[e.kind]--;
            h->stats.bytes -= e.len;
        } else {
            r->n_stale++;
            drop(h, &e);
        }
    }
    for (enum hold_kind kind = HOLD_FORWARDED; kind <= HOLD_DIRECT; kind++) {
        for (size_t i = 0; i < h->held.n; i++) {
            const struct hold_entry *e = queue_at(&h->held, i);

            if (e->kind == kind) {
                replay_add(r, e);
            }
        }
    }
    h->held.n = 0;
    h->held.head = 0;
    h->stats.n[HOLD_FORWARDED] = h->stats.n[HOLD_DIRECT] = 0;
    h->stats.bytes = 0;
    h->evicted = h->refused = false;
}

void
hold_release(struct hold *h, struct hold_replay *r)
{
    hold_replay(h, LLONG_MAX, r);
    r->maybe_lost = false;
}

void
hold_replay_destroy(struct hold_replay *r)
{
    free(r->frames);
    free(r->lens);
    memset(r, 0, sizeof *r);
}

void
hold_get_stats(const struct hold *h, struct hold_stats *stats)
{
    *stats = h->stats;
}

void
hold_replay_format(const struct hold_replay *r, struct ds *ds)
{
    ds_put_format(ds, "%"PRIuSIZE" frames (%"PRIuSIZE" copies, %"PRIuSIZE
                  " forwarded, %"PRIuSIZE" direct, %"PRIu64" bytes), "
                  "%"PRIuSIZE" stale copies", r->n, r->n_kind[HOLD_COPY],
                  r->n_kind[HOLD_FORWARDED], r->n_kind[HOLD_DIRECT],
                  r->bytes, r->n_stale);
    if (r->maybe_lost) {
        ds_put_cstr(ds, ", some lost to the hold's size");
    }
}

uint8_t
hold_kind_pcp(enum hold_kind kind)
{
    static const uint8_t pcps[HOLD_N_KINDS] = {
        [HOLD_COPY] = HOLD_KIND_PCP_COPY,
        [HOLD_FORWARDED] = HOLD_KIND_PCP_FORWARDED,
        [HOLD_DIRECT] = HOLD_KIND_PCP_DIRECT,
    };

    ovs_assert(kind < HOLD_N_KINDS);
    return pcps[kind];
}

/* Reads the hold tag of the 'len' bytes of 'frame' into '*id' and '*pcp'.
 * Returns false if it has none, or its VLAN id is no hold's. */
static bool
read_tag(const uint8_t *p, size_t len, uint16_t *id, uint8_t *pcp)
{
    uint16_t tci;

    if (len < 2 * ETH_ADDR_LEN + HOLD_TAG_LEN + 2
        || p[12] != 0x81 || p[13] != 0x00) {
        return false;
    }
    tci = (p[14] << 8) | p[15];
    *id = tci & VLAN_VID_MASK;
    *pcp = tci >> VLAN_PCP_SHIFT;
    return *id >= HOLD_ID_MIN && *id <= HOLD_ID_MAX;
}

bool
hold_tag_parse(const void *frame, size_t len, uint16_t *id,
               enum hold_kind *kind)
{
    uint8_t pcp;

    if (!read_tag(frame, len, id, &pcp)) {
        return false;
    }
    for (enum hold_kind k = 0; k < HOLD_N_KINDS; k++) {
        if (pcp == hold_kind_pcp(k)) {
            *kind = k;
            return true;
        }
    }
    return false;
}

bool
hold_tag_is_vm_runs(const void *frame, size_t len, uint16_t *id)
{
    uint8_t pcp;

    return read_tag(frame, len, id, &pcp) && pcp == HOLD_PCP_VM_RUNS;
}

void
hold_tag_put(void *tag, uint16_t id, uint8_t pcp)
{
    uint8_t *p = tag;
    uint16_t tci = (pcp << VLAN_PCP_SHIFT) | (id & VLAN_VID_MASK);

    p[0] = 0x81;
    p[1] = 0x00;
    p[2] = tci >> 8;
    p[3] = tci & 0xff;
}

/* A marker's payload begins with this, then its sequence number (big
 * endian). */
static const char marker_magic[8] = "cutover";

void
hold_marker_put(void *frame, uint16_t id, uint32_t seq)
{
    uint8_t *p = frame;

    memset(p, 0, HOLD_MARKER_LEN);
    /* Locally administered addresses: the frame never leaves the host. */
    p[0] = 0x02;
    p[6] = 0x02;
    hold_tag_put(p + 2 * ETH_ADDR_LEN, id, HOLD_PCP_MARKER);
    p[16] = HOLD_MARKER_ETHERTYPE >> 8;
    p[17] = HOLD_MARKER_ETHERTYPE & 0xff;
    memcpy(p + 18, marker_magic, sizeof marker_magic);
    p[26] = seq >> 24;
    p[27] = seq >> 16;
    p[28] = seq >> 8;
    p[29] = seq;
}

bool
hold_marker_parse(const void *frame, size_t len, uint16_t *id,
                  uint32_t *seq)
{
    const uint8_t *p = frame;
    uint8_t pcp;

    if (len < 30 || !read_tag(p, len, id, &pcp) || pcp != HOLD_PCP_MARKER
        || p[16] != HOLD_MARKER_ETHERTYPE >> 8
        || p[17] != (HOLD_MARKER_ETHERTYPE & 0xff)
        || memcmp(p + 18, marker_magic, sizeof marker_magic)) {
        return false;
    }
    *seq = ((uint32_t) p[26] << 24) | ((uint32_t) p[27] << 16)
           | ((uint32_t) p[28] << 8) | p[29];
    return true;
}
