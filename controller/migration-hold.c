/* The migration engine's side of a port's hold (docs/hold.md): the frames
 * for a migrating VM that its destination's DPDK daemon keeps until the VM
 * runs there.  See migration-private.h.
 *
 * The daemon does the holding; the engine tells it when (hold/start at
 * prepare, hold/replay at activate, hold/release after an abort that undid
 * a switchover, hold/stop at the end) and puts the hold's phase into the
 * port's flows (migration_hold_phase(), read by place() in migration.c):
 *
 *   prepare     the destination's daemon connected: hold/start with the
 *               smallest hold id free on that host; the flows copy
 *               (MODEL_HOLD_COPY) once it answered;
 *   switchover  the same bundles that flip the port hold (MODEL_HOLD_HOLD);
 *               once both are confirmed, hold/arm: the VM's RARP on the
 *               destination (QEMU's, as it resumes there) replays at once;
 *   activate    hold/replay with the VM's STOP time, then the flows pass
 *               (MODEL_HOLD_PASS), then the announcements;
 *   complete    hold/stop;
 *   abort       before the switchover: hold/stop; after it: the flows
 *               release (MODEL_HOLD_RELEASE) toward the source, and once
 *               both hosts confirmed, hold/release, then hold/stop.
 *
 * Nothing here waits: each call's answer is looked at on a later run, and
 * none is on the switchover's path.  A daemon that goes away (its session
 * ends) loses what it held: the hold is given up, the flows deliver to the
 * VM's interface again, and migration/show says so. */

#include <config.h>
#include "migration-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "announcer-client.h"
#include "bitmap.h"
#include "hold-tag.h"
#include "hostctl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(migration_hold);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

/* How long the daemon may take to answer a hold command. */
#define HOLD_ANSWER_MS 1000

static struct announcer_client *
dest_announcer(const struct migration_engine *me, const struct migration *m)
{
    struct hostctl *d = migration_host(me, m->dst);

    return d ? hostctl_announcer(d) : NULL;
}

static void
set_result(struct migration *m, char *result)
{
    free(m->hold_result);
    m->hold_result = result;
}

/* Whether 'm' has a hold on its destination's daemon, or asked for one. */
static bool
holds(const struct migration *m)
{
    return m->hold != MH_NONE && m->hold != MH_RELEASED;
}

/* The smallest hold id that no other migration to 'm''s destination
 * uses, or 0 if none is free. */
static uint16_t
free_hold_id(const struct migration_engine *me, const struct migration *m)
{
    unsigned long *used = bitmap_allocate(HOLD_ID_MAX + 1);
    const struct migration *o;
    size_t id;

    HMAP_FOR_EACH (o, node, &me->migrations) {
        if (o != m && o->hold_id && holds(o) && !strcmp(o->dst, m->dst)) {
            bitmap_set1(used, o->hold_id);
        }
    }
    id = bitmap_scan(used, 0, HOLD_ID_MIN, HOLD_ID_MAX + 1);
    bitmap_free(used);
    return id <= HOLD_ID_MAX ? id : 0;
}

/* Sends "METHOD PORT [ARG...]" to 'm''s destination daemon.  Returns the
 * call's token (or nonzero if not 'wanted'), 0 if it could not be sent. */
static uint64_t
call(struct migration_engine *me, struct migration *m, const char *method,
     const char *arg1, const char *arg2, bool wanted)
{
    struct announcer_client *ac = dest_announcer(me, m);
    const char *args[3] = { m->port, arg1, arg2 };
    size_t n = arg2 ? 3 : arg1 ? 2 : 1;
    uint64_t token;

    if (!ac) {
        return 0;
    }
    token = announcer_client_call(ac, method, args, n, wanted);
    if (token && wanted) {
        m->hold_token = token;
        m->hold_deadline = time_msec() + HOLD_ANSWER_MS;
    }
    return token;
}

/* If the call 'm' waits for was answered, or never will be (the daemon
 * went away or is too late), stores the outcome in '*ok' and '*text' (to
 * free) and returns true. */
static bool
answered(struct migration_engine *me, struct migration *m, bool *ok,
         char **text)
{
    struct announcer_client *ac = dest_announcer(me, m);

    if (!ac) {
        *ok = false;
        *text = xasprintf("no announcer on %s any more", m->dst);
    } else if (announcer_client_result(ac, m->hold_token, ok, text)) {
        /* Answered, or lost with the connection. */
    } else if (time_msec() >= m->hold_deadline) {
        *ok = false;
        *text = xasprintf("no answer within %d ms", HOLD_ANSWER_MS);
    } else {
        return false;
    }
    m->hold_token = 0;
    return true;
}

/* Whether the daemon that has 'm''s hold is still on the session it was
 * started on (it did not restart or go away). */
static bool
holder_alive(const struct migration_engine *me, const struct migration *m)
{
    struct announcer_client *ac = dest_announcer(me, m);

    return ac && announcer_client_session(ac) == m->hold_session;
}

/* Asks for 'm''s hold (its 'hold_id') on the destination.  A fresh one
 * ('fresh') first stops whatever hold the port still has there from an
 * earlier life of the controller; a recovered one keeps it (hold/start
 * answers "already holding"). */
static void
start_hold(struct migration_engine *me, struct migration *m, bool fresh)
{
    char id[8];

    snprintf(id, sizeof id, "%"PRIu16, m->hold_id);
    if (fresh) {
        call(me, m, "hold/stop", NULL, NULL, false);
    }
    if (call(me, m, "hold/start", id, NULL, true)) {
        m->hold = MH_STARTING;
    } else {
        m->hold = MH_NONE;
        m->hold_id = 0;
        set_result(m, xasprintf("none: announcer of %s not connected",
                                m->dst));
    }
}

/* Gives up 'm''s hold because 'why' (to free): nothing of it is left to
 * ask the daemon for. */
static void
give_up(struct migration *m, char *why)
{
    VLOG_WARN_RL(&rl, "%s: hold %"PRIu16" on %s: %s", m->port, m->hold_id,
                 m->dst, why);
    m->hold = MH_NONE;
    m->hold_id = 0;
    m->hold_token = 0;
    set_result(m, why);
}

enum model_hold_phase
migration_hold_phase(const struct migration *m)
{
    enum placement where = mig_states[m->state].placement;

    switch (m->hold) {
    case MH_HOLDING:
    case MH_REPLAYING:
        return (where == AT_SOURCE ? MODEL_HOLD_COPY
                : where == SOURCE_ONLY
                ? (m->hold_switched ? MODEL_HOLD_RELEASE : MODEL_HOLD_NONE)
                : MODEL_HOLD_HOLD);
    case MH_PASSING:
        return where == SOURCE_ONLY ? MODEL_HOLD_RELEASE : MODEL_HOLD_PASS;
    case MH_RELEASING:
    case MH_RELEASED:
        /* Until the migration is forgotten: what the daemon sent back may
         * still be in the switch's queue. */
        return MODEL_HOLD_RELEASE;
    case MH_NONE:
    case MH_RECOVER:
    case MH_STARTING:
        break;
    }
    return MODEL_HOLD_NONE;
}

bool
migration_hold_prepare(struct migration_engine *me, struct migration *m)
{
    struct announcer_client *ac = dest_announcer(me, m);
    char *why = NULL;

    if (m->hold_decided) {
        return m->hold != MH_STARTING;
    }
    m->hold_decided = true;
    if (m->hold_off) {
        why = xstrdup("none (hold=off)");
    } else if (!me->cfg.hold) {
        why = xstrdup("none (cutoverd --hold=off)");
    } else if (migration_is_local(m)) {
        why = xstrdup("none: a local migration");
    } else if (!ac) {
        why = xasprintf("none: no announcer on %s", m->dst);
    } else if (!announcer_client_is_connected(ac)) {
        why = xasprintf("none: announcer of %s not connected", m->dst);
    } else if (!(m->hold_id = free_hold_id(me, m))) {
        why = xasprintf("none: every hold id of %s is in use", m->dst);
    }
    if (why) {
        set_result(m, why);
        return true;
    }
    start_hold(me, m, true);
    return m->hold != MH_STARTING;
}

/* Sends 'method' (hold/replay or hold/arm) with the replay's arguments:
 * the VM's STOP time, if the hook said it, and the margin. */
static uint64_t
call_replay(struct migration_engine *me, struct migration *m,
            const char *method, bool wanted)
{
    char stopped[32], margin[32];

    snprintf(margin, sizeof margin, "margin=%u", me->cfg.hold_margin_ms);
    if (m->stopped_us) {
        snprintf(stopped, sizeof stopped, "stopped=%"PRId64".%06"PRId64,
                 m->stopped_us / 1000000, m->stopped_us % 1000000);
    }
    return call(me, m, method, m->stopped_us ? stopped : margin,
                m->stopped_us ? margin : NULL, wanted);
}

void
migration_hold_arm(struct migration_engine *me, struct migration *m)
{
    if (m->hold == MH_HOLDING) {
        /* Not waited for: if it does not take, activate replays. */
        call_replay(me, m, "hold/arm", false);
    }
}

bool
migration_hold_replay(struct migration_engine *me, struct migration *m)
{
    if (m->hold != MH_HOLDING) {
        return false;
    }
    if (!call_replay(me, m, "hold/replay", true)) {
        give_up(m, xasprintf("lost: announcer of %s not connected at "
                             "activate, what it held is lost", m->dst));
        return false;
    }
    m->hold = MH_REPLAYING;
    return true;
}

bool
migration_hold_replayed(struct migration_engine *me, struct migration *m)
{
    bool ok;
    char *text;

    if (m->hold != MH_REPLAYING) {
        return true;
    }
    if (!answered(me, m, &ok, &text)) {
        return false;
    }
    if (ok) {
        m->hold = MH_PASSING;
        set_result(m, xasprintf("hold %"PRIu16" on %s %s", m->hold_id,
                                m->dst, text));
    } else if (holder_alive(me, m) && strstr(text, "no answer within")) {
        /* A daemon starved of CPU answers late, but it replays all the
         * same: the flows pass, and keep taking what it sends back to the
         * VM.  Giving the hold up would drop its replay. */
        VLOG_WARN_RL(&rl, "%s: hold %"PRIu16" on %s: replay %s: passing "
                     "anyway", m->port, m->hold_id, m->dst, text);
        m->hold = MH_PASSING;
        set_result(m, xasprintf("hold %"PRIu16" on %s: replay not "
                                "confirmed (%s), passing anyway",
                                m->hold_id, m->dst, text));
    } else {
        give_up(m, xasprintf("replay failed: %s", text));
    }
    free(text);
    return true;
}

void
migration_hold_abort(struct migration_engine *me, struct migration *m,
                     bool was_switched)
{
    if (was_switched && (m->hold == MH_HOLDING || m->hold == MH_REPLAYING
                         || m->hold == MH_RECOVER
                         || m->hold == MH_STARTING)) {
        /* Released toward the source once both hosts are back: the flows
         * take what the daemon sends back there. */
        m->hold_switched = true;
        if (m->hold == MH_REPLAYING) {
            m->hold = MH_HOLDING;
        }
        return;
    }
    migration_hold_stop(me, m, was_switched ? "stopped at abort (it had "
                        "replayed)" : "stopped at abort");
}

bool
migration_hold_released(struct migration_engine *me, struct migration *m)
{
    bool ok;
    char *text;

    if (!m->hold_switched) {
        return true;
    }
    switch (m->hold) {
    case MH_RECOVER:
    case MH_STARTING:
        return false;
    case MH_HOLDING:
        if (!call(me, m, "hold/release", NULL, NULL, true)) {
            give_up(m, xasprintf("lost: announcer of %s not connected at "
                                 "abort, what it held is lost", m->dst));
            return true;
        }
        m->hold = MH_RELEASING;
        return false;
    case MH_RELEASING:
        if (!answered(me, m, &ok, &text)) {
            return false;
        }
        if (ok) {
            set_result(m, xasprintf("hold %"PRIu16" on %s %s toward %s",
                                    m->hold_id, m->dst, text, m->src));
            call(me, m, "hold/stop", NULL, NULL, false);
            m->hold = MH_RELEASED;
        } else {
            give_up(m, xasprintf("release failed: %s", text));
        }
        free(text);
        return true;
    case MH_NONE:
    case MH_REPLAYING:
    case MH_PASSING:
    case MH_RELEASED:
        break;
    }
    return true;
}

void
migration_hold_stop(struct migration_engine *me, struct migration *m,
                    const char *why)
{
    if (!holds(m)) {
        return;
    }
    call(me, m, "hold/stop", NULL, NULL, false);
    if (m->hold_result && m->hold == MH_PASSING) {
        set_result(m, xasprintf("%s; %s", m->hold_result, why));
    } else {
        set_result(m, xasprintf("hold %"PRIu16" on %s %s", m->hold_id,
                                m->dst, why));
    }
    m->hold = MH_NONE;
    m->hold_id = 0;
    m->hold_token = 0;
}

void
migration_hold_run(struct migration_engine *me, struct migration *m,
                   bool *changed)
{
    struct announcer_client *ac = dest_announcer(me, m);
    bool ok;
    char *text;

    *changed = false;
    switch (m->hold) {
    case MH_RECOVER:
        if (ac && announcer_client_is_connected(ac)) {
            start_hold(me, m, false);
        }
        break;
    case MH_STARTING:
        if (!answered(me, m, &ok, &text)) {
            break;
        }
        if (ok) {
            m->hold = MH_HOLDING;
            m->hold_session = announcer_client_session(ac);
            set_result(m, xasprintf("hold %"PRIu16" on %s: %s", m->hold_id,
                                    m->dst, text));
        } else {
            give_up(m, xasprintf("none: announcer of %s: %s", m->dst, text));
        }
        free(text);
        *changed = true;
        break;
    case MH_HOLDING:
        if (!ac || announcer_client_session(ac) != m->hold_session) {
            /* The daemon restarted or is unreachable: what it held is
             * gone, and the VM's interface takes the port's frames again
             * (today's behaviour). */
            give_up(m, xasprintf("lost: the announcer of %s went away while "
                                 "holding; delivering to the VM's interface",
                                 m->dst));
            *changed = true;
        }
        break;
    case MH_NONE:
    case MH_REPLAYING:
    case MH_PASSING:
    case MH_RELEASING:
    case MH_RELEASED:
        break;
    }
}

void
migration_hold_format(const struct migration *m, struct ds *s)
{
    if (m->hold_result) {
        ds_put_format(s, "  hold: %s\n", m->hold_result);
    }
}
