/* cutover-libvirt's decisions (see libvirt-follower.h for the design).
 *
 * Each domain's record is a small state machine: the states in
 * 'lvd_states', one handler per event type in 'handlers' and one per
 * MIGRATION status in 'mig_statuses'.  A handler changes the record and
 * appends calls; it never makes them: the daemon makes them in order after
 * the event is handled and reports each answer back
 * (libvirt_follower_call_done()), which may append more. */

#include <config.h>

#include "libvirt-follower.h"

#include <limits.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(libvirt_follower);

/* Events (peers, libvirt) drive every log here: rate-limited. */
static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(20, 20);

/* Where a domain's migration is, on this host. */
enum lvd_state {
    LVD_IDLE,           /* Not migrating, as far as we know. */
    LVD_OUTGOING,       /* Source: migrating out, the VM still runs. */
    LVD_SWITCHING,      /* Source: the VM stopped, the switchover is called
                         * or waits for its next try. */
    LVD_SWITCHED,       /* Source: switchover confirmed (or given up);
                         * waiting for the migration to end. */
    LVD_INCOMING,       /* Destination: the incoming domain, prepared;
                         * waiting for the VM to run. */
    LVD_ACTIVATING,     /* Destination: the VM runs; activate is called or
                         * waits for its next try. */
    N_LVD
};

static const char *const lvd_states[N_LVD] = {
    [LVD_IDLE] = "idle",
    [LVD_OUTGOING] = "outgoing",
    [LVD_SWITCHING] = "switching over",
    [LVD_SWITCHED] = "switched over",
    [LVD_INCOMING] = "incoming",
    [LVD_ACTIVATING] = "activating",
};

/* One domain seen on this host. */
struct lvf_domain {
    char *name;
    char *port;                 /* Its port, NULL if it has none. */
    enum lvd_state state;
    enum lvf_mig_status status; /* Last MIGRATION status of this
                                 * migration, LVF_MIG_NONE before one. */
    long long int stopped_us;   /* QEMU's STOP time in this migration, or
                                 * 0. */
    long long int switch_stopped_us; /* 'stopped=' of the switchover. */
    bool migration_over;        /* Source: the migration completed (the
                                 * switchover may still be retried). */
    bool ended_paused;          /* Destination: the incoming migration
                                 * ended with the VM paused (gated). */
    bool gave_up;               /* The last switchover or activate was given
                                 * up. */
    bool gone;                  /* Stopped or undefined: forget it once
                                 * idle. */
    unsigned int attempts;      /* Failed tries of the current switchover
                                 * or activate. */
    long long int retry_at;     /* Next try, LLONG_MAX if none. */
};

struct libvirt_follower {
    char *host;
    unsigned int max_retries;
    long long int retry_interval_ms;
    struct shash domains;       /* Name -> struct lvf_domain. */
};

/* What a handler works with. */
struct lvf_ctx {
    struct libvirt_follower *f;
    const struct lvf_event *ev;
    long long int now;
    struct lvf_calls *calls;
};

typedef void lvf_handler_func(struct lvf_domain *, struct lvf_ctx *);

static const char *const event_names[N_LVF_EV] = {
    [LVF_EV_STARTED_MIGRATED] = "STARTED/MIGRATED",
    [LVF_EV_STARTED] = "STARTED",
    [LVF_EV_SUSPENDED_MIGRATED] = "SUSPENDED/MIGRATED",
    [LVF_EV_SUSPENDED] = "SUSPENDED",
    [LVF_EV_RESUMED_MIGRATED] = "RESUMED/MIGRATED",
    [LVF_EV_RESUMED] = "RESUMED",
    [LVF_EV_STOPPED_MIGRATED] = "STOPPED/MIGRATED",
    [LVF_EV_STOPPED_FAILED] = "STOPPED/FAILED",
    [LVF_EV_STOPPED] = "STOPPED",
    [LVF_EV_UNDEFINED] = "UNDEFINED",
    [LVF_EV_QMP_STOP] = "QMP STOP",
    [LVF_EV_QMP_RESUME] = "QMP RESUME",
    [LVF_EV_QMP_MIGRATION] = "QMP MIGRATION",
};

static const char *const step_names[N_LVF_STEPS] = {
    [LVF_PREPARE] = "prepare",
    [LVF_SWITCHOVER] = "switchover",
    [LVF_ACTIVATE] = "activate",
    [LVF_COMPLETE] = "complete",
    [LVF_ABORT] = "abort",
};

const char *
lvf_event_type_name(enum lvf_event_type type)
{
    return type < N_LVF_EV ? event_names[type] : "?";
}

const char *
lvf_step_name(enum lvf_step step)
{
    return step < N_LVF_STEPS ? step_names[step] : "?";
}

/* The calls list. */

void
lvf_calls_init(struct lvf_calls *calls)
{
    memset(calls, 0, sizeof *calls);
}

void
lvf_calls_clear(struct lvf_calls *calls)
{
    for (size_t i = 0; i < calls->n; i++) {
        struct lvf_call *c = &calls->calls[i];

        free(c->domain);
        free(c->port);
        free(c->host);
    }
    calls->n = 0;
}

void
lvf_calls_destroy(struct lvf_calls *calls)
{
    lvf_calls_clear(calls);
    free(calls->calls);
    lvf_calls_init(calls);
}

static void
add_call(struct lvf_ctx *ctx, const struct lvf_domain *d, enum lvf_step step,
         long long int stopped_us)
{
    struct lvf_calls *calls = ctx->calls;
    struct lvf_call *c;

    if (calls->n >= calls->allocated) {
        calls->calls = x2nrealloc(calls->calls, &calls->allocated,
                                  sizeof *calls->calls);
    }
    c = &calls->calls[calls->n++];
    c->step = step;
    c->domain = xstrdup(d->name);
    c->port = xstrdup(d->port);
    c->host = step == LVF_PREPARE ? xstrdup(ctx->f->host) : NULL;
    c->stopped_us = step == LVF_SWITCHOVER ? stopped_us : 0;
}

size_t
lvf_call_params(const struct lvf_call *c, const char *params[2], char **bufp)
{
    size_t n = 0;

    *bufp = NULL;
    params[n++] = c->port;
    if (c->step == LVF_PREPARE) {
        params[n++] = c->host;
    } else if (c->step == LVF_SWITCHOVER && c->stopped_us > 0) {
        *bufp = xasprintf("stopped=%lld.%06lld", c->stopped_us / 1000000,
                          c->stopped_us % 1000000);
        params[n++] = *bufp;
    }
    return n;
}

/* The follower. */

struct libvirt_follower *
libvirt_follower_create(const struct libvirt_follower_config *cfg)
{
    struct libvirt_follower *f = xzalloc(sizeof *f);

    f->host = xstrdup(cfg->host);
    f->max_retries = cfg->max_retries;
    f->retry_interval_ms = cfg->retry_interval_ms;
    shash_init(&f->domains);
    return f;
}

static void
domain_free(struct lvf_domain *d)
{
    if (d) {
        free(d->name);
        free(d->port);
        free(d);
    }
}

void
libvirt_follower_destroy(struct libvirt_follower *f)
{
    struct shash_node *node;

    if (!f) {
        return;
    }
    SHASH_FOR_EACH (node, &f->domains) {
        domain_free(node->data);
    }
    shash_destroy(&f->domains);
    free(f->host);
    free(f);
}

/* Whether an event of type 'type' may begin something for a domain not
 * seen before: not the end of one. */
static bool
may_begin(enum lvf_event_type type)
{
    return (type != LVF_EV_STOPPED_MIGRATED && type != LVF_EV_STOPPED_FAILED
            && type != LVF_EV_STOPPED && type != LVF_EV_UNDEFINED);
}

static bool
is_start(enum lvf_event_type type)
{
    return type == LVF_EV_STARTED || type == LVF_EV_STARTED_MIGRATED;
}

bool
libvirt_follower_wants_port(const struct libvirt_follower *f,
                            const struct lvf_event *ev)
{
    if (is_start(ev->type)) {
        return true;
    }
    return !shash_find(&f->domains, ev->domain) && may_begin(ev->type);
}

/* Forgets everything about 'd''s last migration. */
static void
reset_migration(struct lvf_domain *d)
{
    d->state = LVD_IDLE;
    d->status = LVF_MIG_NONE;
    d->stopped_us = 0;
    d->switch_stopped_us = 0;
    d->migration_over = false;
    d->ended_paused = false;
    d->gave_up = false;
    d->attempts = 0;
    d->retry_at = LLONG_MAX;
}

static void
set_port(struct lvf_domain *d, const char *port)
{
    if (port && d->port && !strcmp(port, d->port)) {
        return;
    }
    free(d->port);
    d->port = nullable_xstrdup(port);
    if (!port) {
        /* Once per definition: a domain is looked up when it is first
         * seen and when it starts again. */
        VLOG_DBG("domain %s has no port (no <cutover:port> metadata and no "
                 "interface with <virtualport type='openvswitch'>): "
                 "ignored", d->name);
    } else {
        VLOG_INFO("domain %s is port %s", d->name, port);
    }
}

/* Starts the switchover of 'd', the VM stopped at 'stopped_us' (0 if
 * unknown). */
static void
start_switchover(struct lvf_domain *d, struct lvf_ctx *ctx,
                 long long int stopped_us)
{
    d->state = LVD_SWITCHING;
    d->switch_stopped_us = stopped_us;
    d->attempts = 0;
    d->retry_at = LLONG_MAX;
    add_call(ctx, d, LVF_SWITCHOVER, stopped_us);
}

static void
start_activate(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    d->state = LVD_ACTIVATING;
    d->attempts = 0;
    d->retry_at = LLONG_MAX;
    add_call(ctx, d, LVF_ACTIVATE, 0);
}

static void
abort_migration(struct lvf_domain *d, struct lvf_ctx *ctx, const char *why)
{
    VLOG_INFO_RL(&rl, "domain %s (port %s): %s: aborting", d->name, d->port,
                 why);
    add_call(ctx, d, LVF_ABORT, 0);
    reset_migration(d);
}

/* Whether 'd' is the source of a migration under way. */
static bool
is_source(const struct lvf_domain *d)
{
    return (d->state == LVD_OUTGOING || d->state == LVD_SWITCHING
            || d->state == LVD_SWITCHED);
}

/* Handlers of lifecycle events. */

static void
on_started_migrated(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    if (d->state != LVD_IDLE && d->state != LVD_OUTGOING) {
        VLOG_WARN_RL(&rl, "domain %s: an incoming migration while %s: "
                     "following the incoming one", d->name,
                     lvd_states[d->state]);
    }
    reset_migration(d);
    d->state = LVD_INCOMING;
    add_call(ctx, d, LVF_PREPARE, 0);
}

static void
on_started(struct lvf_domain *d, struct lvf_ctx *ctx OVS_UNUSED)
{
    reset_migration(d);
}

static void
on_suspended(struct lvf_domain *d, struct lvf_ctx *ctx OVS_UNUSED)
{
    if (d->state == LVD_INCOMING) {
        /* VIR_MIGRATE_PAUSED (virsh migrate --suspend): the orchestrator
         * resumes it once the network is switched over (gated). */
        d->ended_paused = true;
        VLOG_INFO_RL(&rl, "domain %s (port %s): the incoming migration "
                     "ended paused: activating when it runs", d->name,
                     d->port);
    }
}

/* The VM runs: on the destination of an incoming migration, that is when
 * the port is activated. */
static void
on_runs(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    if (d->state == LVD_INCOMING) {
        start_activate(d, ctx);
    }
}

static void
on_stopped(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    d->gone = true;
    if (d->state == LVD_INCOMING) {
        abort_migration(d, ctx, "stopped before it ran here");
    } else if (is_source(d) && ctx->ev->type != LVF_EV_STOPPED_MIGRATED) {
        abort_migration(d, ctx, "stopped while migrating out");
    } else if (d->state == LVD_OUTGOING) {
        /* Migrated away without a STOP or pre-switchover seen. */
        VLOG_WARN_RL(&rl, "domain %s (port %s): migrated away without its "
                     "stop seen: switching over late", d->name, d->port);
        start_switchover(d, ctx, d->stopped_us);
        d->migration_over = true;
    } else if (d->state == LVD_SWITCHED) {
        reset_migration(d);
    } else if (d->state == LVD_SWITCHING) {
        d->migration_over = true;
    }
}

static void
on_undefined(struct lvf_domain *d, struct lvf_ctx *ctx OVS_UNUSED)
{
    d->gone = true;
}

/* Handlers of QMP events. */

static void
on_qmp_stop(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    if (d->state != LVD_OUTGOING) {
        return;
    }
    d->stopped_us = ctx->ev->qemu_us;
    if (d->status == LVF_MIG_ACTIVE || d->status == LVF_MIG_PRE_SWITCHOVER) {
        start_switchover(d, ctx, d->stopped_us);
    }
}

static void
mig_begins(struct lvf_domain *d, struct lvf_ctx *ctx OVS_UNUSED)
{
    if (d->state == LVD_IDLE) {
        reset_migration(d);
        d->state = LVD_OUTGOING;
    }
}

static void
mig_pre_switchover(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    long long int stopped_us = d->stopped_us;

    /* Only a source enters pre-switchover: from idle too (the daemon
     * started during the migration). */
    if (d->state != LVD_IDLE && d->state != LVD_OUTGOING) {
        return;
    }
    if (d->state == LVD_IDLE) {
        reset_migration(d);
    }
    if (!stopped_us) {
        /* QEMU stops the VM 1-1.5 ms before pre-switchover: within the
         * hold's margin (cutoverd --hold-margin). */
        VLOG_INFO_RL(&rl, "domain %s (port %s): pre-switchover without "
                     "its STOP seen: its time taken as the stop's", d->name,
                     d->port);
        stopped_us = ctx->ev->qemu_us;
    }
    start_switchover(d, ctx, stopped_us);
}

static void
mig_completed(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    switch (d->state) {
    case LVD_OUTGOING:
        VLOG_WARN_RL(&rl, "domain %s (port %s): migration completed without "
                     "its stop seen: switching over late", d->name, d->port);
        start_switchover(d, ctx, d->stopped_us);
        d->migration_over = true;
        break;
    case LVD_SWITCHING:
        d->migration_over = true;
        break;
    case LVD_SWITCHED:
        reset_migration(d);
        break;
    case LVD_IDLE:
    case LVD_INCOMING:
    case LVD_ACTIVATING:
    case N_LVD:
        break;
    }
}

static void
mig_failed(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    if (is_source(d)) {
        abort_migration(d, ctx, (ctx->ev->status == LVF_MIG_CANCELLED
                                 ? "migration cancelled"
                                 : "migration failed"));
    } else if (d->state == LVD_INCOMING) {
        VLOG_INFO_RL(&rl, "domain %s (port %s): the incoming migration "
                     "failed: aborting when the domain stops", d->name,
                     d->port);
    }
}

static const struct {
    const char *name;           /* QEMU's name. */
    lvf_handler_func *handler;  /* NULL: nothing to do. */
} mig_statuses[N_LVF_MIG] = {
    [LVF_MIG_NONE] = { "none", NULL },
    [LVF_MIG_SETUP] = { "setup", mig_begins },
    [LVF_MIG_ACTIVE] = { "active", mig_begins },
    [LVF_MIG_PRE_SWITCHOVER] = { "pre-switchover", mig_pre_switchover },
    [LVF_MIG_DEVICE] = { "device", NULL },
    [LVF_MIG_COMPLETED] = { "completed", mig_completed },
    [LVF_MIG_FAILED] = { "failed", mig_failed },
    [LVF_MIG_CANCELLING] = { "cancelling", NULL },
    [LVF_MIG_CANCELLED] = { "cancelled", mig_failed },
    [LVF_MIG_OTHER] = { "other", NULL },
};

const char *
lvf_mig_status_name(enum lvf_mig_status status)
{
    return status < N_LVF_MIG ? mig_statuses[status].name : "?";
}

enum lvf_mig_status
lvf_mig_status_from_string(const char *s)
{
    for (int i = LVF_MIG_SETUP; i < LVF_MIG_OTHER; i++) {
        if (!strcmp(s, mig_statuses[i].name)) {
            return i;
        }
    }
    return LVF_MIG_OTHER;
}

static void
on_qmp_migration(struct lvf_domain *d, struct lvf_ctx *ctx)
{
    enum lvf_mig_status status = ctx->ev->status;

    if (status >= N_LVF_MIG) {
        return;
    }
    if (mig_statuses[status].handler) {
        mig_statuses[status].handler(d, ctx);
    }
    if (d->state != LVD_IDLE) {
        d->status = status;
    }
}

static lvf_handler_func *const handlers[N_LVF_EV] = {
    [LVF_EV_STARTED_MIGRATED] = on_started_migrated,
    [LVF_EV_STARTED] = on_started,
    [LVF_EV_SUSPENDED_MIGRATED] = NULL, /* QMP STOP came first. */
    [LVF_EV_SUSPENDED] = on_suspended,
    [LVF_EV_RESUMED_MIGRATED] = on_runs,
    [LVF_EV_RESUMED] = on_runs,
    [LVF_EV_STOPPED_MIGRATED] = on_stopped,
    [LVF_EV_STOPPED_FAILED] = on_stopped,
    [LVF_EV_STOPPED] = on_stopped,
    [LVF_EV_UNDEFINED] = on_undefined,
    [LVF_EV_QMP_STOP] = on_qmp_stop,
    [LVF_EV_QMP_RESUME] = on_runs,
    [LVF_EV_QMP_MIGRATION] = on_qmp_migration,
};

/* Forgets 'd' if it is gone and nothing remains to be done for it. */
static void
maybe_forget(struct libvirt_follower *f, struct lvf_domain *d)
{
    if (d->gone && d->state == LVD_IDLE) {
        shash_find_and_delete(&f->domains, d->name);
        domain_free(d);
    }
}

void
libvirt_follower_event(struct libvirt_follower *f, const struct lvf_event *ev,
                       long long int now, struct lvf_calls *calls)
{
    struct lvf_ctx ctx = { .f = f, .ev = ev, .now = now, .calls = calls };
    struct lvf_domain *d = shash_find_data(&f->domains, ev->domain);

    if (ev->type >= N_LVF_EV) {
        return;
    }
    if (!d) {
        if (!may_begin(ev->type)) {
            return;
        }
        d = xzalloc(sizeof *d);
        d->name = xstrdup(ev->domain);
        reset_migration(d);
        shash_add(&f->domains, d->name, d);
        set_port(d, ev->port);
    } else if (is_start(ev->type)) {
        d->gone = false;
        set_port(d, ev->port);
    }
    VLOG_DBG("domain %s: %s%s%s (%s)", d->name, event_names[ev->type],
             ev->type == LVF_EV_QMP_MIGRATION ? " " : "",
             ev->type == LVF_EV_QMP_MIGRATION
             ? lvf_mig_status_name(ev->status) : "", lvd_states[d->state]);
    if (!d->port) {
        if (ev->type == LVF_EV_STOPPED || ev->type == LVF_EV_STOPPED_FAILED
            || ev->type == LVF_EV_STOPPED_MIGRATED
            || ev->type == LVF_EV_UNDEFINED) {
            d->gone = true;
            maybe_forget(f, d);
        }
        return;
    }
    if (handlers[ev->type]) {
        handlers[ev->type](d, &ctx);
    }
    maybe_forget(f, d);
}

/* A switchover or activate of 'd' failed: tries again later, or gives up
 * and says what to run. */
static void
retry_or_give_up(struct libvirt_follower *f, struct lvf_domain *d,
                 enum lvf_step step, const char *text, long long int now)
{
    if (d->attempts < f->max_retries) {
        d->attempts++;
        d->retry_at = now + f->retry_interval_ms;
        VLOG_WARN_RL(&rl, "%s %s: %s; retry %u of %u in %lld ms",
                     step_names[step], d->port, text, d->attempts,
                     f->max_retries, f->retry_interval_ms);
        return;
    }

    d->gave_up = true;
    d->retry_at = LLONG_MAX;
    if (step == LVF_SWITCHOVER) {
        VLOG_ERR_RL(&rl, "switchover %s: %s; gave up after %u tries.  "
                    "Ungated, the migration went on: the VM goes to the "
                    "destination without its network (run 'cutover-hook "
                    "switchover --port=%s', then 'activate' and 'complete'; "
                    "or 'abort' if the VM stays on this host)", d->port,
                    text, d->attempts + 1, d->port);
        if (d->migration_over) {
            reset_migration(d);
            d->gave_up = true;
        } else {
            d->state = LVD_SWITCHED;
        }
    } else {
        VLOG_ERR_RL(&rl, "activate %s: %s; gave up after %u tries: the VM "
                    "runs here but its port is not active here (run "
                    "'cutover-hook activate --port=%s', then 'complete')",
                    d->port, text, d->attempts + 1, d->port);
        reset_migration(d);
        d->gave_up = true;
    }
}

void
libvirt_follower_call_done(struct libvirt_follower *f,
                           const struct lvf_call *call,
                           enum lvf_outcome outcome, const char *text,
                           long long int now, struct lvf_calls *calls)
{
    struct lvf_domain *d = shash_find_data(&f->domains, call->domain);
    struct lvf_ctx ctx = { .f = f, .now = now, .calls = calls };
    bool ok = outcome == LVF_CONFIRMED;

    text = text ? text : "";
    switch (call->step) {
    case LVF_PREPARE:
        if (!ok) {
            VLOG_ERR_RL(&rl, "prepare %s: %s: its switchover will be "
                        "refused unless it is prepared (run 'cutover-hook "
                        "prepare --port=%s --to=%s')", call->port, text,
                        call->port, call->host);
        }
        break;
    case LVF_SWITCHOVER:
        if (!d || d->state != LVD_SWITCHING) {
            break;
        }
        if (ok) {
            if (d->migration_over) {
                reset_migration(d);
            } else {
                d->state = LVD_SWITCHED;
            }
        } else {
            retry_or_give_up(f, d, LVF_SWITCHOVER, text, now);
        }
        break;
    case LVF_ACTIVATE:
        if (!d || d->state != LVD_ACTIVATING) {
            break;
        }
        if (ok) {
            add_call(&ctx, d, LVF_COMPLETE, 0);
            reset_migration(d);
        } else {
            retry_or_give_up(f, d, LVF_ACTIVATE, text, now);
        }
        break;
    case LVF_COMPLETE:
        if (!ok) {
            VLOG_ERR_RL(&rl, "complete %s: %s: the source keeps its "
                        "leftovers (run 'cutover-hook complete --port=%s')",
                        call->port, text, call->port);
        }
        break;
    case LVF_ABORT:
        if (outcome == LVF_REFUSED) {
            /* "not migrating", "already aborted": nothing to undo. */
            VLOG_INFO_RL(&rl, "abort %s: %s", call->port, text);
        } else if (outcome == LVF_UNANSWERED) {
            VLOG_ERR_RL(&rl, "abort %s: %s (run 'cutover-hook abort "
                        "--port=%s')", call->port, text, call->port);
        }
        break;
    case N_LVF_STEPS:
        break;
    }
    if (d) {
        maybe_forget(f, d);
    }
}

void
libvirt_follower_run(struct libvirt_follower *f, long long int now,
                     struct lvf_calls *calls)
{
    struct lvf_ctx ctx = { .f = f, .now = now, .calls = calls };
    const struct shash_node **sorted = shash_sort(&f->domains);
    size_t n = shash_count(&f->domains);

    /* In name order, so that retries due together go in a fixed order. */
    for (size_t i = 0; i < n; i++) {
        struct lvf_domain *d = sorted[i]->data;

        if (d->retry_at > now) {
            continue;
        }
        d->retry_at = LLONG_MAX;
        if (d->state == LVD_SWITCHING) {
            add_call(&ctx, d, LVF_SWITCHOVER, d->switch_stopped_us);
        } else if (d->state == LVD_ACTIVATING) {
            add_call(&ctx, d, LVF_ACTIVATE, 0);
        }
    }
    free(sorted);
}

long long int
libvirt_follower_next_wake(const struct libvirt_follower *f)
{
    long long int next = LLONG_MAX;
    struct shash_node *node;

    SHASH_FOR_EACH (node, &f->domains) {
        const struct lvf_domain *d = node->data;

        next = MIN(next, d->retry_at);
    }
    return next;
}

void
libvirt_follower_format(const struct libvirt_follower *f, struct ds *s)
{
    const struct shash_node **sorted = shash_sort(&f->domains);
    size_t n = shash_count(&f->domains);

    for (size_t i = 0; i < n; i++) {
        const struct lvf_domain *d = sorted[i]->data;

        ds_put_format(s, "%s: ", d->name);
        if (!d->port) {
            ds_put_cstr(s, "no port (ignored)\n");
            continue;
        }
        ds_put_format(s, "port %s, %s", d->port, lvd_states[d->state]);
        if (d->status != LVF_MIG_NONE) {
            ds_put_format(s, ", migration %s",
                          lvf_mig_status_name(d->status));
        }
        if (d->stopped_us) {
            ds_put_format(s, ", stopped %lld.%06lld",
                          d->stopped_us / 1000000, d->stopped_us % 1000000);
        }
        if (d->ended_paused) {
            ds_put_cstr(s, ", ended paused");
        }
        if (d->attempts) {
            ds_put_format(s, ", %u failed tries", d->attempts);
        }
        if (d->retry_at != LLONG_MAX) {
            ds_put_cstr(s, ", retry pending");
        }
        if (d->gave_up) {
            ds_put_cstr(s, ", last step given up");
        }
        ds_put_char(s, '\n');
    }
    free(sorted);
}
