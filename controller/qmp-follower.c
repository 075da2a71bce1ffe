/* cutover-hook's QEMU follower.  See qmp-follower.h.
 *
 * One thread, one poll loop over the two QMP connections.  Controller calls
 * and QMP commands block, each bounded by the timeout; events that arrive
 * meanwhile wait in the QMP clients' queues and are handled in order
 * afterwards.
 *
 * The follower owns the migration's pause: once 'pause-before-switchover'
 * is on, the source waits at pre-switchover until someone sends
 * migrate-continue or migrate_cancel.  So every way out before the
 * switchover is confirmed (refusal, timeout, a QEMU that goes away, a
 * signal) cancels a migration in progress, or turns the capability off
 * again if none started, before the follower exits: a VM is never left
 * paused. */

#include <config.h>
#include "qmp-follower.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "migration-client.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "qmp.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(qmp_follower);

enum follower_state {
    FS_WAITING,                 /* For the source's pre-switchover. */
    FS_SWITCHED,                /* Switchover confirmed, migration
                                 * continued: for the destination's RESUME. */
    FS_DONE,                    /* Ended; see 'exit' and 'outcome'. */
};

static const char *const follower_state_names[] = {
    [FS_WAITING] = "waiting for pre-switchover",
    [FS_SWITCHED] = "switched over, waiting for the destination to resume",
    [FS_DONE] = "done",
};

struct follower {
    const struct qmp_follower_options *o;
    struct migration_client *client;
    struct qmp *src, *dst;
    enum follower_state state;
    bool migrating;             /* The source reported a migration under
                                 * way and no end yet. */
    bool src_completed;         /* The source reported 'completed'. */
    bool src_lost, dst_lost;    /* Their connections ended. */
    long long int paused_at;    /* When pre-switchover arrived (msec). */
    long long int switch_ms;    /* From pre-switchover to migrate-continue. */
    int exit;                   /* HOOK_EXIT_*, once FS_DONE. */
    char *outcome;              /* What happened, once FS_DONE. */
};

/* Set by a signal that asks us to stop. */
static volatile sig_atomic_t stop_signal;

static void
stop_handler(int sig)
{
    stop_signal = sig;
}

static void
set_state(struct follower *f, enum follower_state state)
{
    if (f->state != state) {
        VLOG_DBG("%s -> %s", follower_state_names[f->state],
                 follower_state_names[state]);
        f->state = state;
    }
}

static void OVS_PRINTF_FORMAT(3, 4)
finish(struct follower *f, int exit, const char *format, ...)
{
    va_list args;

    if (f->state == FS_DONE) {
        return;
    }
    va_start(args, format);
    f->outcome = xvasprintf(format, args);
    va_end(args);
    f->exit = exit;
    set_state(f, FS_DONE);
}

/* Calls migration/METHOD for the port and logs the outcome.  Returns
 * HOOK_EXIT_OK if the controller confirmed, HOOK_EXIT_REFUSED if it
 * refused, HOOK_EXIT_UNREACHABLE if it did not answer; '*textp' (to free,
 * may be NULL) gets its reply, its error or what happened. */
static int
call(struct follower *f, const char *method, char **textp)
{
    const char *params[2] = { f->o->port, f->o->to };
    size_t n_params = !strcmp(method, "prepare") ? 2 : 1;
    char *full = xasprintf("migration/%s", method);
    long long int start = time_msec();
    bool refused;
    char *text;
    int error;

    VLOG_INFO("calling %s %s%s%s", full, f->o->port,
              n_params > 1 ? " " : "", n_params > 1 ? f->o->to : "");
    error = migration_client_call(f->client, full, params, n_params,
                                  &refused, &text);
    if (error) {
        VLOG_ERR("%s %s: %s", method, f->o->port, text);
    } else if (refused) {
        VLOG_ERR("%s %s refused by the controller: %s", method, f->o->port,
                 text);
    } else {
        VLOG_INFO("%s %s confirmed in %lld ms: %s", method, f->o->port,
                  time_msec() - start, text);
    }
    free(full);
    if (textp) {
        *textp = text;
    } else {
        free(text);
    }
    return (error ? HOOK_EXIT_UNREACHABLE
            : refused ? HOOK_EXIT_REFUSED
            : HOOK_EXIT_OK);
}

/* Executes a QMP command on the source that takes no answer we need.
 * Returns true if QEMU executed it; logs otherwise. */
static bool
source_execute(struct follower *f, const char *command, struct json *args)
{
    bool refused;
    char *text;
    int error;

    if (f->src_lost) {
        json_destroy(args);
        return false;
    }
    error = qmp_execute(f->src, command, args, &refused, NULL, &text);
    if (error) {
        VLOG_ERR("%s", text);
    } else if (refused) {
        VLOG_ERR("%s: %s refused: %s", qmp_get_name(f->src), command, text);
    } else {
        VLOG_INFO("%s: %s done", qmp_get_name(f->src), command);
    }
    free(text);
    return !error && !refused;
}

/* The arguments of migrate-set-capabilities that turns 'events' and
 * 'pause-before-switchover' on or off. */
static struct json *
capabilities_args(bool events, bool pause)
{
    struct json *caps = json_array_create_empty();
    struct json *args = json_object_create();
    struct {
        const char *name;
        bool state;
    } list[] = {
        { "events", events },
        { "pause-before-switchover", pause },
    };

    for (size_t i = 0; i < ARRAY_SIZE(list); i++) {
        struct json *cap = json_object_create();

        json_object_put_string(cap, "capability", list[i].name);
        json_object_put(cap, "state", json_boolean_create(list[i].state));
        json_array_add(caps, cap);
    }
    json_object_put(args, "capabilities", caps);
    return args;
}

/* Ends the follower before a confirmed switchover: the source's migration
 * is cancelled if one is under way (else the pause capability is turned off
 * again), the cutover aborted if 'abort' says so, and the follower ends
 * with status 'exit' and message 'reason' (taken). */
static void
give_up(struct follower *f, int exit, bool abort, char *reason)
{
    const char *vm;
    int abort_status = HOOK_EXIT_OK;

    VLOG_ERR("giving up: %s", reason);
    if (f->src_lost) {
        vm = "no connection to the source QEMU is left to cancel its "
             "migration with";
    } else if (f->migrating) {
        vm = (source_execute(f, "migrate_cancel", NULL)
              ? "migration cancelled, the VM stays on the source"
              : "could not cancel the migration");
    } else {
        source_execute(f, "migrate-set-capabilities",
                       capabilities_args(true, false));
        vm = "no migration under way";
    }
    if (abort) {
        abort_status = call(f, "abort", NULL);
    }
    finish(f, exit, "%s; %s%s", reason, vm,
           !abort ? ""
           : abort_status == HOOK_EXIT_OK ? ", the cutover aborted (the "
             "network stays on the source)"
           : ", and the cutover could not be aborted");
    free(reason);
}

/* The source paused the VM before the switchover. */
static void
switchover(struct follower *f)
{
    struct json *args;
    char *text;
    int status;

    status = call(f, "switchover", &text);
    if (status != HOOK_EXIT_OK) {
        give_up(f, status, true,
                xasprintf("switchover %s: %s", f->o->port, text));
        free(text);
        return;
    }
    free(text);

    args = json_object_create();
    json_object_put_string(args, "state", "pre-switchover");
    /* From here on the network lives at the destination: whatever happens
     * next, the source's outcome (completed, failed, cancelled) and the
     * destination's RESUME decide what comes next. */
    set_state(f, FS_SWITCHED);
    if (source_execute(f, "migrate-continue", args)) {
        f->switch_ms = time_msec() - f->paused_at;
        VLOG_INFO("migration continued %lld ms after the source paused "
                  "before the switchover", f->switch_ms);
    }
}

/* The VM runs on the destination. */
static void
activate(struct follower *f)
{
    char *text;
    int status;

    status = call(f, "activate", &text);
    if (status != HOOK_EXIT_OK) {
        finish(f, status, "activate %s: %s (the VM runs on the destination "
               "and the network is switched over there, but the port was "
               "not activated)", f->o->port, text);
        free(text);
        return;
    }
    free(text);
    status = call(f, "complete", &text);
    if (status != HOOK_EXIT_OK) {
        finish(f, status, "complete %s: %s (the VM runs on the destination "
               "with its network; the source's leftovers stay until "
               "'cutover-hook complete' succeeds)", f->o->port, text);
    } else {
        finish(f, HOOK_EXIT_OK, "migration completed, network followed "
               "(switchover confirmed and migration continued %lld ms "
               "after the source paused)", f->switch_ms);
    }
    free(text);
}

/* Returns the status of MIGRATION event 'event', or NULL. */
static const char *
migration_status(const struct json *event)
{
    const struct json *data = shash_find_data(json_object(event), "data");
    const struct json *status;

    if (!data || data->type != JSON_OBJECT) {
        return NULL;
    }
    status = shash_find_data(json_object(data), "status");
    return status && status->type == JSON_STRING ? json_string(status) : NULL;
}

static void
log_event(const struct qmp *qmp, const struct json *event,
          const char *detail)
{
    const struct json *ts = shash_find_data(json_object(event), "timestamp");
    const struct json *sec = NULL, *usec = NULL;

    if (ts && ts->type == JSON_OBJECT) {
        sec = shash_find_data(json_object(ts), "seconds");
        usec = shash_find_data(json_object(ts), "microseconds");
    }
    if (sec && usec && sec->type == JSON_INTEGER
        && usec->type == JSON_INTEGER) {
        VLOG_INFO("%s: %s%s%s (QEMU time %lld.%06lld)", qmp_get_name(qmp),
                  json_string(shash_find_data(json_object(event), "event")),
                  detail ? " " : "", detail ? detail : "",
                  (long long int) json_integer(sec),
                  (long long int) json_integer(usec));
    } else {
        VLOG_INFO("%s: %s%s%s", qmp_get_name(qmp),
                  json_string(shash_find_data(json_object(event), "event")),
                  detail ? " " : "", detail ? detail : "");
    }
}

/* The source paused the VM before the switchover. */
static void
on_source_pre_switchover(struct follower *f, const char *status OVS_UNUSED)
{
    f->migrating = true;
    if (f->state == FS_WAITING) {
        f->paused_at = time_msec();
        switchover(f);
    }
}

static void
on_source_completed(struct follower *f, const char *status OVS_UNUSED)
{
    f->migrating = false;
    f->src_completed = true;
    if (f->state == FS_WAITING) {
        /* Someone else continued the migration: the VM is about to run on
         * the destination, the network must follow late rather than
         * never. */
        VLOG_WARN("the migration completed without stopping at "
                  "pre-switchover (did another QMP client send "
                  "migrate-continue?): switching over late");
        f->paused_at = time_msec();
        if (call(f, "switchover", NULL) == HOOK_EXIT_OK) {
            set_state(f, FS_SWITCHED);
        } else {
            finish(f, HOOK_EXIT_REFUSED, "the migration completed but the "
                   "switchover failed: the network did not follow");
        }
    }
}

/* 'failed' or 'cancelled': the VM runs on the source again. */
static void
on_source_failed(struct follower *f, const char *status)
{
    int abort_status;

    f->migrating = false;
    abort_status = call(f, "abort", NULL);
    finish(f, HOOK_EXIT_REFUSED, "the migration %s on the source; the VM "
           "stays there%s", status,
           abort_status == HOOK_EXIT_OK
           ? " and the cutover was aborted (its network stays too)"
           : ", and the cutover could not be aborted");
}

/* Any other status but 'none': a migration is under way. */
static void
on_source_migrating(struct follower *f, const char *status OVS_UNUSED)
{
    f->migrating = true;
}

/* What the source's MIGRATION statuses make the follower do. */
static const struct {
    const char *status;
    void (*handler)(struct follower *, const char *status);
} source_status_handlers[] = {
    { "pre-switchover", on_source_pre_switchover },
    { "completed", on_source_completed },
    { "failed", on_source_failed },
    { "cancelled", on_source_failed },
    { "none", NULL },
};

static void
handle_source_event(struct follower *f, const struct json *event)
{
    const char *name = json_string(shash_find_data(json_object(event),
                                                   "event"));
    void (*handler)(struct follower *, const char *) = on_source_migrating;
    const char *status;

    if (strcmp(name, "MIGRATION")) {
        log_event(f->src, event, NULL);
        return;
    }
    status = migration_status(event);
    log_event(f->src, event, status ? status : "(no status)");
    if (!status) {
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(source_status_handlers); i++) {
        if (!strcmp(status, source_status_handlers[i].status)) {
            handler = source_status_handlers[i].handler;
            break;
        }
    }
    if (handler) {
        handler(f, status);
    }
}

static void
handle_dest_event(struct follower *f, const struct json *event)
{
    const char *name = json_string(shash_find_data(json_object(event),
                                                   "event"));

    log_event(f->dst, event, NULL);
    if (strcmp(name, "RESUME")) {
        return;
    }
    if (f->state == FS_SWITCHED) {
        activate(f);
    } else {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        VLOG_WARN_RL(&rl, "%s resumed before the switchover: ignored",
                     qmp_get_name(f->dst));
    }
}

/* Acts on connections that ended, after their last events were handled. */
static void
check_connections(struct follower *f)
{
    if (!f->src_lost && qmp_get_status(f->src)) {
        f->src_lost = true;
        VLOG_WARN("%s", qmp_get_error(f->src));
        if (f->state == FS_WAITING) {
            give_up(f, HOOK_EXIT_VMM, true, xstrdup(qmp_get_error(f->src)));
        } else if (f->state == FS_SWITCHED && !f->src_completed) {
            finish(f, HOOK_EXIT_VMM, "%s before the migration completed; "
                   "the network stays switched over to the destination: "
                   "find out where the VM runs, then run 'cutover-hook "
                   "activate' and 'complete', or 'abort'",
                   qmp_get_error(f->src));
        }
    }
    if (f->state != FS_DONE && !f->dst_lost && qmp_get_status(f->dst)) {
        f->dst_lost = true;
        VLOG_WARN("%s", qmp_get_error(f->dst));
        if (f->state == FS_WAITING) {
            give_up(f, HOOK_EXIT_VMM, true, xstrdup(qmp_get_error(f->dst)));
        }
    }
    /* Without the destination's RESUME only the source can still tell
     * whether the migration failed (then the cutover is aborted). */
    if (f->state == FS_SWITCHED && f->dst_lost
        && (f->src_completed || f->src_lost)) {
        finish(f, HOOK_EXIT_VMM, "%s before the VM resumed there; the "
               "network stays switched over to the destination: find out "
               "where the VM runs, then run 'cutover-hook activate' and "
               "'complete', or 'abort'", qmp_get_error(f->dst));
    }
}

static void
check_stop_signal(struct follower *f)
{
    if (!stop_signal || f->state == FS_DONE) {
        return;
    }
    if (f->state == FS_WAITING) {
        give_up(f, HOOK_EXIT_REFUSED, true,
                xasprintf("stopped by signal %d before the switchover",
                          (int) stop_signal));
    } else {
        finish(f, HOOK_EXIT_REFUSED, "stopped by signal %d after the "
               "switchover: the network stays switched over to the "
               "destination; run 'cutover-hook activate' and 'complete' "
               "once the VM runs there", (int) stop_signal);
    }
}

/* Connects to both QEMUs, sets the capabilities, prepares.  Returns false
 * (with the follower finished) on failure. */
static bool
start(struct follower *f)
{
    bool refused;
    char *text;
    int error, status;

    error = migration_client_connect(f->client, &text);
    if (error) {
        finish(f, HOOK_EXIT_UNREACHABLE, "%s", text);
        free(text);
        return false;
    }
    error = qmp_open("source QEMU", f->o->source, f->o->timeout_ms,
                     &f->src, &text);
    if (!error) {
        error = qmp_open("destination QEMU", f->o->dest, f->o->timeout_ms,
                         &f->dst, &text);
    }
    if (error) {
        finish(f, HOOK_EXIT_VMM, "%s", text);
        free(text);
        return false;
    }
    VLOG_INFO("connected to %s and %s", qmp_get_name(f->src),
              qmp_get_name(f->dst));

    error = qmp_execute(f->src, "migrate-set-capabilities",
                        capabilities_args(true, true), &refused, NULL,
                        &text);
    if (error || refused) {
        finish(f, HOOK_EXIT_VMM, "%s%s%s", refused ? qmp_get_name(f->src)
               : "", refused ? ": cannot enable the migration capabilities "
               "'events' and 'pause-before-switchover': " : "", text);
        free(text);
        return false;
    }
    VLOG_INFO("%s: migration capabilities 'events' and "
              "'pause-before-switchover' on", qmp_get_name(f->src));

    if (f->o->to) {
        status = call(f, "prepare", &text);
        if (status != HOOK_EXIT_OK) {
            give_up(f, status, false, xasprintf("prepare %s: %s",
                                                f->o->port, text));
            free(text);
            return false;
        }
        free(text);
    }
    return true;
}

int
qmp_follower_run(const struct qmp_follower_options *o,
                 struct migration_client *client)
{
    struct follower f = { .o = o, .client = client, .state = FS_WAITING };
    struct sigaction sa;
    int exit;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    if (start(&f)) {
        printf("ready: following the migration of port %s\n", o->port);
        fflush(stdout);
    }
    while (f.state != FS_DONE) {
        struct json *event;

        qmp_run(f.src);
        qmp_run(f.dst);
        while (f.state != FS_DONE && (event = qmp_recv_event(f.src))) {
            handle_source_event(&f, event);
            json_destroy(event);
        }
        while (f.state != FS_DONE && (event = qmp_recv_event(f.dst))) {
            handle_dest_event(&f, event);
            json_destroy(event);
        }
        if (f.state != FS_DONE) {
            check_connections(&f);
            check_stop_signal(&f);
        }
        if (f.state == FS_DONE) {
            break;
        }
        if (!f.src_lost) {
            qmp_wait(f.src);
        }
        if (!f.dst_lost) {
            qmp_wait(f.dst);
        }
        /* A signal that arrives just before poll_block() is seen at the
         * latest this much later. */
        poll_timer_wait(500);
        poll_block();
    }

    if (f.exit == HOOK_EXIT_OK) {
        printf("port %s: %s\n", o->port, f.outcome);
    } else {
        fprintf(stderr, "%s: qmp %s: %s\n", program_name, o->port,
                f.outcome);
    }
    exit = f.exit;
    free(f.outcome);
    qmp_close(f.src);
    qmp_close(f.dst);
    return exit;
}
