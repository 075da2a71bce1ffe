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
 * paused.
 *
 * After the switchover nothing is cancelled on a whim: the follower waits
 * for the destination's RESUME, bounded.  When that bound passes, or the
 * source refuses migrate-continue, or the QEMUs cannot be followed any
 * more, settle() decides by asking them where the VM runs (the events it
 * remembered first, then query-status and query-migrate), cancels a
 * migration that is stuck with the VM running nowhere, and leaves the
 * network where the VM runs. */

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

/* Where the VM runs, as settle() finds it. */
enum vm_place {
    VM_UNKNOWN,
    VM_ON_SOURCE,
    VM_ON_DEST,
};

struct follower {
    const struct qmp_follower_options *o;
    struct migration_client *client;
    struct qmp *src, *dst;
    enum follower_state state;
    bool settling;              /* settle() runs: events are noted and
                                 * logged, not acted on. */
    bool migrating;             /* The source reported a migration under
                                 * way and no end yet. */
    bool src_completed;         /* The source reported 'completed'. */
    char *src_status;           /* The source's last MIGRATION status. */
    bool src_resumed;           /* The source sent RESUME after its last
                                 * STOP: the VM runs there. */
    bool prepare_pending;       /* 'o->prepare_pass': not prepared yet. */
    bool dst_resumed;           /* The destination sent RESUME: the VM runs
                                 * there (remembered whenever it comes). */
    bool src_lost, dst_lost;    /* Their connections ended. */
    bool src_reopened, dst_reopened; /* Reconnected once already. */
    long long int stopped_us;   /* The source's last STOP event's
                                 * timestamp (QEMU's host clock, us since
                                 * the epoch), or 0. */
    long long int paused_us;    /* When the pause began, for its account:
                                 * 'stopped_us', else when pre-switchover
                                 * arrived (wall clock, us). */
    long long int switch_us;    /* From 'paused_us' to migrate-continue. */
    long long int resume_deadline; /* FS_SWITCHED: when waiting for RESUME
                                 * ends (time_msec()). */
    char *decision;             /* What settle() found, for the outcome. */
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

/* Calls migration/METHOD for the port, with the 'n_extra' options 'extra'
 * after it, and logs the outcome.  Returns HOOK_EXIT_OK if the controller
 * confirmed, HOOK_EXIT_REFUSED if it refused, HOOK_EXIT_UNREACHABLE if it
 * did not answer; '*textp' (to free, may be NULL) gets its reply, its
 * error or what happened. */
static int
call_with(struct follower *f, const char *method, const char *const extra[],
          size_t n_extra, char **textp)
{
    const char *params[4] = { f->o->port };
    size_t n_params = 1;
    char *full = xasprintf("migration/%s", method);
    long long int start = time_msec();
    struct ds args = DS_EMPTY_INITIALIZER;
    bool refused;
    char *text;
    int error;

    if (!strcmp(method, "prepare")) {
        params[n_params++] = f->o->to;
    }
    for (size_t i = 0; i < n_extra && n_params < ARRAY_SIZE(params); i++) {
        params[n_params++] = extra[i];
    }
    for (size_t i = 0; i < n_params; i++) {
        ds_put_format(&args, " %s", params[i]);
    }
    VLOG_INFO("calling %s%s", full, ds_cstr(&args));
    ds_destroy(&args);
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

static int
call(struct follower *f, const char *method, char **textp)
{
    return call_with(f, method, NULL, 0, textp);
}

/* Calls migration/switchover with the options the controller takes: the
 * switchover's own timeout (--switchover-timeout), awaited that much plus
 * HOOK_SWITCHOVER_SLACK_MS, and when the VM stopped (QEMU's STOP event),
 * for its account of the pause. */
static int
call_switchover(struct follower *f, char **textp)
{
    const char *extra[2] = { NULL, NULL };
    size_t n_extra = 0;
    char *timeout = NULL, *stopped = NULL;
    long long int old_timeout = 0;
    int status;

    if (f->o->switchover_timeout_ms) {
        timeout = xasprintf("timeout=%lld", f->o->switchover_timeout_ms);
        extra[n_extra++] = timeout;
        old_timeout = migration_client_set_timeout(
            f->client, f->o->switchover_timeout_ms + HOOK_SWITCHOVER_SLACK_MS);
    }
    if (f->stopped_us) {
        stopped = xasprintf("stopped=%lld.%06lld", f->stopped_us / 1000000,
                            f->stopped_us % 1000000);
        extra[n_extra++] = stopped;
    }
    status = call_with(f, "switchover", extra, n_extra, textp);
    if (timeout) {
        migration_client_set_timeout(f->client, old_timeout);
    }
    free(timeout);
    free(stopped);
    return status;
}

/* Returns a working connection to the source QEMU ('source') or the
 * destination's, or NULL.  A connection that ended (the QEMU sent
 * something that is not QMP, an unfinished message, or closed it) is
 * replaced once by a new one: a QEMU whose monitor misbehaved may still
 * answer on another, and it is the only one that can say where the VM
 * runs. */
static struct qmp *
qemu(struct follower *f, bool source)
{
    struct qmp **qp = source ? &f->src : &f->dst;
    bool *lost = source ? &f->src_lost : &f->dst_lost;
    bool *reopened = source ? &f->src_reopened : &f->dst_reopened;
    struct qmp *q;
    char *error;

    if (*qp && !qmp_get_status(*qp)) {
        return *qp;
    }
    if (*reopened) {
        return NULL;
    }
    *reopened = true;
    if (qmp_open(source ? "source QEMU" : "destination QEMU",
                 source ? f->o->source : f->o->dest, f->o->timeout_ms, &q,
                 &error)) {
        VLOG_WARN("cannot reconnect: %s", error);
        free(error);
        return NULL;
    }
    VLOG_INFO("reconnected to %s", qmp_get_name(q));
    qmp_close(*qp);
    *qp = q;
    *lost = false;
    return q;
}

/* Executes a QMP command on the source that takes no answer we need.
 * Returns true if QEMU executed it; logs what happened, and in '*textp'
 * (if nonnull; to free) why it did not. */
static bool
source_execute_text(struct follower *f, const char *command,
                    struct json *args, char **textp)
{
    struct qmp *q = qemu(f, true);
    bool refused;
    char *text;
    int error;

    if (textp) {
        *textp = NULL;
    }
    if (!q) {
        json_destroy(args);
        if (textp) {
            *textp = xstrdup("no connection to the source QEMU");
        }
        return false;
    }
    error = qmp_execute(q, command, args, &refused, NULL, &text);
    if (error) {
        VLOG_ERR("%s", text);
    } else if (refused) {
        VLOG_ERR("%s: %s refused: %s", qmp_get_name(q), command, text);
    } else {
        VLOG_INFO("%s: %s done", qmp_get_name(q), command);
    }
    if (textp && (error || refused)) {
        *textp = text;
    } else {
        free(text);
    }
    return !error && !refused;
}

static bool
source_execute(struct follower *f, const char *command, struct json *args)
{
    return source_execute_text(f, command, args, NULL);
}

/* Asks a QEMU 'command' (query-status or query-migrate) and returns the
 * string member 'member' of its answer (to free), or NULL with the reason
 * logged.  '*runningp', if nonnull, gets its boolean "running". */
static char *
query(struct follower *f, bool source, const char *command,
      const char *member, bool *runningp)
{
    struct qmp *q = qemu(f, source);
    struct json *ret;
    bool refused;
    char *text, *value = NULL;

    if (!q) {
        return NULL;
    }
    if (qmp_execute(q, command, NULL, &refused, &ret, &text) || refused) {
        VLOG_WARN("%s%s%s", refused ? qmp_get_name(q) : "",
                  refused ? ": refused: " : "", text);
        free(text);
        return NULL;
    }
    if (ret->type == JSON_OBJECT) {
        const struct json *m = shash_find_data(json_object(ret), member);
        const struct json *r = shash_find_data(json_object(ret), "running");

        /* query-migrate answers {} when no migration ever started. */
        value = xstrdup(m && m->type == JSON_STRING ? json_string(m)
                        : !strcmp(command, "query-migrate") ? "none" : "?");
        if (runningp) {
            *runningp = r && r->type == JSON_TRUE;
        }
    }
    VLOG_INFO("%s: %s: %s %s", qmp_get_name(q), command, member,
              value ? value : "(not an object)");
    json_destroy(ret);
    return value;
}

/* The arguments of migrate-set-capabilities that turns 'events' and (on a
 * source) 'pause-before-switchover' on or off. */
static struct json *
capabilities_args(bool events, bool source, bool pause)
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

    for (size_t i = 0; i < (source ? ARRAY_SIZE(list) : 1); i++) {
        struct json *cap = json_object_create();

        json_object_put_string(cap, "capability", list[i].name);
        json_object_put(cap, "state", json_boolean_create(list[i].state));
        json_array_add(caps, cap);
    }
    json_object_put(args, "capabilities", caps);
    return args;
}

static void handle_source_event(struct follower *, const struct json *);
static void handle_dest_event(struct follower *, const struct json *);

/* Marks a connection that ended as lost, once, and logs why.  Returns true
 * if it ended just now. */
static bool
connection_ended(struct qmp *q, bool *lost)
{
    if (*lost || !qmp_get_status(q)) {
        return false;
    }
    *lost = true;
    VLOG_WARN("%s", qmp_get_error(q));
    return true;
}

/* Reads both QEMUs and handles the events they sent, in order, the
 * source's first. */
static void
pump(struct follower *f)
{
    struct json *event;

    if (!f->src_lost) {
        qmp_run(f->src);
    }
    if (!f->dst_lost) {
        qmp_run(f->dst);
    }
    while (f->state != FS_DONE && (event = qmp_recv_event(f->src))) {
        handle_source_event(f, event);
        json_destroy(event);
    }
    while (f->state != FS_DONE && (event = qmp_recv_event(f->dst))) {
        handle_dest_event(f, event);
        json_destroy(event);
    }
}

static void
wait_qemus(struct follower *f)
{
    if (!f->src_lost) {
        qmp_wait(f->src);
    }
    if (!f->dst_lost) {
        qmp_wait(f->dst);
    }
}

/* True once the source said how a migrate_cancel ended: the migration
 * completed anyway, or it was cancelled (or failed) and the VM runs on the
 * source again. */
static bool
cancel_ended(const struct follower *f)
{
    const char *s = f->src_status;

    return (f->src_lost
            || (s && (!strcmp(s, "completed")
                      || ((!strcmp(s, "cancelled") || !strcmp(s, "failed"))
                          && f->src_resumed))));
}

/* After a migrate_cancel: follows and logs what the QEMUs say until the
 * source says how it ended, within the timeout. */
static void
follow_cancel(struct follower *f)
{
    long long int deadline = time_msec() + f->o->timeout_ms;
    bool settling = f->settling;

    f->settling = true;
    for (;;) {
        pump(f);
        connection_ended(f->src, &f->src_lost);
        connection_ended(f->dst, &f->dst_lost);
        if (cancel_ended(f)) {
            break;
        } else if (time_msec() >= deadline) {
            VLOG_WARN("the source did not say within %lld ms how the "
                      "migrate_cancel ended (its status: %s)",
                      f->o->timeout_ms,
                      f->src_status ? f->src_status : "none");
            break;
        }
        wait_qemus(f);
        poll_timer_wait_until(deadline);
        poll_block();
    }
    f->settling = settling;
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
    /* The destination's RESUME may be waiting to be read. */
    f->settling = true;
    pump(f);
    f->settling = false;
    if (f->dst_resumed) {
        /* Too late to cancel: the VM runs on the destination, where the
         * network is not. */
        finish(f, HOOK_EXIT_UNSETTLED, "%s; but the destination QEMU "
               "already runs the VM (it sent RESUME), and the network is "
               "not switched over there: run 'cutover-hook switchover', "
               "'activate' and 'complete'", reason);
        free(reason);
        return;
    }
    bool cancelled = false;

    if (!qemu(f, true)) {
        vm = "no connection to the source QEMU is left to cancel its "
             "migration with";
    } else if (f->migrating) {
        cancelled = source_execute(f, "migrate_cancel", NULL);
        vm = (cancelled ? "migration cancelled, the VM stays on the source"
              : "could not cancel the migration");
    } else {
        source_execute(f, "migrate-set-capabilities",
                       capabilities_args(true, true, false));
        vm = "no migration under way";
    }
    /* The network returns to the source first, as the VM does... */
    if (abort) {
        abort_status = call(f, "abort", NULL);
    }
    /* ...then what the source does after migrate_cancel is logged. */
    if (cancelled) {
        follow_cancel(f);
    }
    if (f->src_completed || f->dst_resumed) {
        /* Only another client's migrate-continue gets here: the VM runs
         * on the destination, and the network must not stay behind. */
        finish(f, HOOK_EXIT_UNSETTLED, "%s; %s, but the migration "
               "completed and the VM runs on the destination, without its "
               "network: run 'cutover-hook prepare', 'switchover', "
               "'activate' and 'complete'", reason, vm);
        free(reason);
        return;
    }
    finish(f, abort && abort_status != HOOK_EXIT_OK ? HOOK_EXIT_UNSETTLED
           : exit, "%s; %s%s", reason, vm,
           !abort ? ""
           : abort_status == HOOK_EXIT_OK ? ", the cutover aborted (the "
             "network stays on the source)"
           : ", and the cutover could not be aborted: run 'cutover-hook "
             "abort'");
    free(reason);
}

/* The VM runs on the destination. */
static void
activate(struct follower *f)
{
    char *text;
    int status;

    status = call(f, "activate", &text);
    if (status != HOOK_EXIT_OK) {
        finish(f, status, "%s%sactivate %s: %s (the VM runs on the "
               "destination and the network is switched over there, but the "
               "port was not activated)", f->decision ? f->decision : "",
               f->decision ? "; " : "", f->o->port, text);
        free(text);
        return;
    }
    free(text);
    status = call(f, "complete", &text);
    if (status != HOOK_EXIT_OK) {
        finish(f, status, "%s%scomplete %s: %s (the VM runs on the "
               "destination with its network; the source's leftovers stay "
               "until 'cutover-hook complete' succeeds)",
               f->decision ? f->decision : "", f->decision ? "; " : "",
               f->o->port, text);
    } else if (f->decision) {
        finish(f, HOOK_EXIT_OK, "%s: the network followed the VM to the "
               "destination (activated, completed)", f->decision);
    } else {
        finish(f, HOOK_EXIT_OK, "migration completed, network followed "
               "(switchover confirmed and migration continued %lld.%03lld "
               "ms after the VM stopped)", f->switch_us / 1000,
               f->switch_us % 1000);
    }
    free(text);
}

/* Whether migration status 's' is one a migration ends in. */
static bool
status_is_final(const char *s)
{
    return (!strcmp(s, "none") || !strcmp(s, "completed")
            || !strcmp(s, "failed") || !strcmp(s, "cancelled"));
}

/* Finds where the VM runs: from the RESUME events seen, then by asking the
 * QEMUs (query-status: is it running; the source's query-migrate: has its
 * state gone to the destination, or stayed).  Appends why to 'why'; the
 * source's migration status goes to '*statusp' (to free, NULL if unknown). */
static enum vm_place
find_vm(struct follower *f, struct ds *why, char **statusp)
{
    bool running = false;
    char *status;

    *statusp = NULL;
    if (f->dst_resumed) {
        ds_put_cstr(why, "the destination QEMU sent RESUME");
        return VM_ON_DEST;
    }
    status = query(f, false, "query-status", "status", &running);
    if (status && running) {
        ds_put_format(why, "the destination QEMU is %s", status);
        free(status);
        return VM_ON_DEST;
    }
    ds_put_format(why, "the destination QEMU is %s",
                  status ? status : "not answering");
    free(status);
    if (f->src_resumed) {
        ds_put_cstr(why, ", the source QEMU sent RESUME");
        return VM_ON_SOURCE;
    }

    status = query(f, true, "query-status", "status", &running);
    if (status && running) {
        ds_put_format(why, ", the source QEMU is %s", status);
        free(status);
        return VM_ON_SOURCE;
    }
    ds_put_format(why, ", the source QEMU is %s",
                  status ? status : "not answering");
    free(status);

    status = query(f, true, "query-migrate", "status", NULL);
    *statusp = status;
    if (!status) {
        return VM_UNKNOWN;
    }
    ds_put_format(why, ", its migration %s", status);
    if (!strcmp(status, "completed")) {
        ds_put_cstr(why, " (the VM can only run on the destination)");
        return VM_ON_DEST;
    } else if (!strcmp(status, "failed") || !strcmp(status, "cancelled")) {
        ds_put_cstr(why, " (the VM's state stays on the source)");
        return VM_ON_SOURCE;
    }
    return VM_UNKNOWN;
}

/* After the switchover: 'reason' (taken) says why the follower cannot go
 * on waiting as it did.  Finds where the VM runs and leaves the network
 * there: activate and complete for the destination, abort for the source.
 * A migration that still runs with the VM running nowhere is cancelled
 * first, so that it ends on the source, if 'final' (the bound passed) or
 * if the source still waits at pre-switchover (nobody else will continue
 * it); otherwise the follower goes on waiting for RESUME, until its
 * bound. */
static void
settle(struct follower *f, bool final, char *reason)
{
    struct ds why = DS_EMPTY_INITIALIZER;
    enum vm_place place;
    char *status;
    int abort_status;

    VLOG_WARN("%s: asking the QEMUs where the VM runs", reason);
    f->settling = true;
    pump(f);
    place = find_vm(f, &why, &status);
    if (place == VM_UNKNOWN && status && !status_is_final(status)) {
        if (!final && strcmp(status, "pre-switchover")) {
            VLOG_WARN("%s: waiting on for the destination's RESUME, at most "
                      "%lld ms more", ds_cstr(&why),
                      MAX(f->resume_deadline - time_msec(), 0));
            f->settling = false;
            free(status);
            free(reason);
            ds_destroy(&why);
            return;
        }
        VLOG_WARN("decided: %s and the VM runs nowhere: cancelling the "
                  "migration, so that the VM runs on the source again",
                  ds_cstr(&why));
        if (source_execute(f, "migrate_cancel", NULL)) {
            follow_cancel(f);
            ds_put_cstr(&why, "; after migrate_cancel: ");
            free(status);
            place = find_vm(f, &why, &status);
        }
    }
    free(status);
    f->settling = false;

    switch (place) {
    case VM_ON_DEST:
        VLOG_WARN("decided: the VM runs on the destination (%s): "
                  "activating the port there", ds_cstr(&why));
        f->decision = xasprintf("%s; %s", reason, ds_cstr(&why));
        activate(f);
        break;
    case VM_ON_SOURCE:
        VLOG_WARN("decided: the VM runs on the source (%s): aborting the "
                  "cutover, so that the network returns there",
                  ds_cstr(&why));
        abort_status = call(f, "abort", NULL);
        finish(f, abort_status == HOOK_EXIT_OK ? HOOK_EXIT_VMM
               : HOOK_EXIT_UNSETTLED, "%s; %s: the VM runs on the source, %s",
               reason, ds_cstr(&why), abort_status == HOOK_EXIT_OK
               ? "the cutover was aborted (the network is back there)"
               : "but the cutover could not be aborted (the network stays "
                 "switched over to the destination): run 'cutover-hook "
                 "abort'");
        break;
    case VM_UNKNOWN:
    default:
        VLOG_ERR("undecided: %s", ds_cstr(&why));
        finish(f, HOOK_EXIT_UNSETTLED, "%s; %s: the network stays switched "
               "over to the destination: find out where the VM runs, then "
               "run 'cutover-hook activate' and 'complete', or 'abort'",
               reason, ds_cstr(&why));
        break;
    }
    ds_destroy(&why);
    free(reason);
}

/* The switchover is confirmed: the migration may continue.  The network
 * lives at the destination from here on. */
static void
continue_migration(struct follower *f)
{
    struct json *args = json_object_create();
    char *text;

    json_object_put_string(args, "state", "pre-switchover");
    set_state(f, FS_SWITCHED);
    f->resume_deadline = time_msec() + f->o->resume_timeout_ms;
    if (!source_execute_text(f, "migrate-continue", args, &text)) {
        /* The source may still wait at pre-switchover with the VM paused,
         * or someone else continued it: ask. */
        settle(f, false, xasprintf("migrate-continue: %s", text));
        free(text);
        return;
    }
    f->switch_us = time_wall_usec() - f->paused_us;
    VLOG_INFO("migration continued %lld.%03lld ms after the VM stopped "
              "(%s)", f->switch_us / 1000, f->switch_us % 1000,
              f->stopped_us ? "timed from QEMU's STOP event"
              : "no STOP event: timed from pre-switchover's arrival");
    if (f->dst_resumed) {
        VLOG_INFO("the destination resumed before the switchover was "
                  "confirmed: activating now");
        activate(f);
    }
}

/* Ungated (--ungated): the migration continues at once and the
 * switchover runs beside it, so the VM's pause never waits for the
 * network.  What reaches the source from the pause on is copied to the
 * destination's hold and replayed at activate, and the destination's
 * interface may send from prepare on (docs/hold.md): nothing is lost where
 * the destination holds.  The VM may resume before the switchover is
 * confirmed; it is activated once both happened. */
static void
switchover_ungated(struct follower *f)
{
    struct json *args = json_object_create();
    char *text;
    int status;

    json_object_put_string(args, "state", "pre-switchover");
    if (!source_execute_text(f, "migrate-continue", args, &text)) {
        give_up(f, HOOK_EXIT_UNSETTLED, true,
                xasprintf("migrate-continue: %s", text));
        free(text);
        return;
    }
    f->switch_us = time_wall_usec() - f->paused_us;
    VLOG_INFO("ungated: migration continued %lld.%03lld ms after the VM "
              "stopped; switching over meanwhile", f->switch_us / 1000,
              f->switch_us % 1000);
    status = call_switchover(f, &text);
    if (status != HOOK_EXIT_OK) {
        finish(f, HOOK_EXIT_UNSETTLED, "switchover %s: %s; ungated, the "
               "migration continued already: the VM goes to the "
               "destination without its network (run 'cutover-hook "
               "switchover', 'activate' and 'complete')", f->o->port, text);
        free(text);
        return;
    }
    free(text);
    set_state(f, FS_SWITCHED);
    f->resume_deadline = time_msec() + f->o->resume_timeout_ms;
    if (f->dst_resumed) {
        activate(f);
    }
}

/* The source paused the VM before the switchover. */
static void
switchover(struct follower *f)
{
    char *text;
    int status;

    if (f->o->ungated) {
        switchover_ungated(f);
        return;
    }
    status = call_switchover(f, &text);
    if (status != HOOK_EXIT_OK) {
        give_up(f, status, true,
                xasprintf("switchover %s: %s", f->o->port, text));
        free(text);
        return;
    }
    free(text);
    continue_migration(f);
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

/* Returns the timestamp of 'event' in microseconds since the epoch, or 0
 * if it has none. */
static long long int
event_time_us(const struct json *event)
{
    const struct json *ts = shash_find_data(json_object(event), "timestamp");
    const struct json *sec = NULL, *usec = NULL;

    if (ts && ts->type == JSON_OBJECT) {
        sec = shash_find_data(json_object(ts), "seconds");
        usec = shash_find_data(json_object(ts), "microseconds");
    }
    if (sec && usec && sec->type == JSON_INTEGER
        && usec->type == JSON_INTEGER && json_integer(sec) > 0
        && json_integer(sec) < INT32_MAX && json_integer(usec) >= 0
        && json_integer(usec) < 1000000) {
        return json_integer(sec) * 1000000 + json_integer(usec);
    }
    return 0;
}

static void
log_event(const struct qmp *qmp, const struct json *event,
          const char *detail)
{
    long long int us = event_time_us(event);
    const char *name = json_string(shash_find_data(json_object(event),
                                                   "event"));

    if (us) {
        VLOG_INFO("%s: %s%s%s (QEMU time %lld.%06lld)", qmp_get_name(qmp),
                  name, detail ? " " : "", detail ? detail : "",
                  us / 1000000, us % 1000000);
    } else {
        VLOG_INFO("%s: %s%s%s", qmp_get_name(qmp), name,
                  detail ? " " : "", detail ? detail : "");
    }
}

/* Prepares late (--prepare-at-pass): 'why' says what made it now.
 * Returns false, with the follower finished and the migration cancelled,
 * if the controller did not prepare. */
static bool
prepare_late(struct follower *f, const char *why)
{
    char *text;
    int status;

    f->prepare_pending = false;
    VLOG_INFO("preparing now: %s", why);
    status = call(f, "prepare", &text);
    if (status != HOOK_EXIT_OK) {
        give_up(f, status, false, xasprintf("prepare %s: %s", f->o->port,
                                            text));
        free(text);
        return false;
    }
    free(text);
    return true;
}

/* The source's MIGRATION_PASS event: QEMU starts copying the memory
 * dirtied since the last pass (pass 1 is the whole memory). */
static void
on_source_pass(struct follower *f, const struct json *event)
{
    const struct json *data = shash_find_data(json_object(event), "data");
    const struct json *pass = (data && data->type == JSON_OBJECT
                               ? shash_find_data(json_object(data), "pass")
                               : NULL);

    if (f->prepare_pending && f->state == FS_WAITING && pass
        && pass->type == JSON_INTEGER
        && json_integer(pass) >= f->o->prepare_pass) {
        char *why = xasprintf("the source's pass %"PRId64,
                              json_integer(pass));

        prepare_late(f, why);
        free(why);
    }
}

/* The source paused the VM before the switchover. */
static void
on_source_pre_switchover(struct follower *f, const char *status OVS_UNUSED)
{
    if (f->state == FS_WAITING) {
        f->paused_us = f->stopped_us ? f->stopped_us : time_wall_usec();
        if (f->prepare_pending) {
            /* What reached the source from the STOP until now was not
             * copied: the migration stopped before the pass asked for. */
            VLOG_WARN("the source paused before its pass %u: preparing "
                      "now, frames the source had since the pause are not "
                      "saved", f->o->prepare_pass);
            if (!prepare_late(f, "the source paused for the switchover")) {
                return;
            }
        }
        switchover(f);
    }
}

static void
on_source_completed(struct follower *f, const char *status OVS_UNUSED)
{
    if (f->state == FS_WAITING) {
        /* Someone else continued the migration: the VM is about to run on
         * the destination, the network must follow late rather than
         * never. */
        VLOG_WARN("the migration completed without stopping at "
                  "pre-switchover (did another QMP client send "
                  "migrate-continue?): switching over late");
        f->paused_us = f->stopped_us ? f->stopped_us : time_wall_usec();
        if (call_switchover(f, NULL) == HOOK_EXIT_OK) {
            set_state(f, FS_SWITCHED);
            f->resume_deadline = time_msec() + f->o->resume_timeout_ms;
            if (f->dst_resumed) {
                activate(f);
            }
        } else {
            finish(f, HOOK_EXIT_UNSETTLED, "the migration completed but the "
                   "switchover failed: the network did not follow (run "
                   "'cutover-hook switchover', 'activate' and 'complete')");
        }
    }
}

/* 'failed' or 'cancelled': the VM runs on the source again. */
static void
on_source_failed(struct follower *f, const char *status)
{
    int abort_status;

    if (f->dst_resumed) {
        settle(f, true, xasprintf("the migration %s on the source after the "
                                  "destination resumed", status));
        return;
    }
    abort_status = call(f, "abort", NULL);
    finish(f, abort_status == HOOK_EXIT_OK ? HOOK_EXIT_REFUSED
           : HOOK_EXIT_UNSETTLED, "the migration %s on the source; the VM "
           "stays there%s", status,
           abort_status == HOOK_EXIT_OK
           ? " and the cutover was aborted (its network stays too)"
           : ", and the cutover could not be aborted: run 'cutover-hook "
             "abort'");
}

/* What the source's MIGRATION statuses make the follower do (not while it
 * settles: then they are only noted). */
static const struct {
    const char *status;
    void (*handler)(struct follower *, const char *status);
} source_status_handlers[] = {
    { "pre-switchover", on_source_pre_switchover },
    { "completed", on_source_completed },
    { "failed", on_source_failed },
    { "cancelled", on_source_failed },
};

static void
handle_source_event(struct follower *f, const struct json *event)
{
    const char *name = json_string(shash_find_data(json_object(event),
                                                   "event"));
    const char *status;

    if (!strcmp(name, "STOP")) {
        f->stopped_us = event_time_us(event);
        f->src_resumed = false;
    } else if (!strcmp(name, "RESUME")) {
        f->stopped_us = 0;
        f->src_resumed = true;
    }
    if (strcmp(name, "MIGRATION")) {
        log_event(f->src, event, NULL);
        if (!strcmp(name, "MIGRATION_PASS") && !f->settling) {
            on_source_pass(f, event);
        }
        return;
    }
    status = migration_status(event);
    log_event(f->src, event, status ? status : "(no status)");
    if (!status) {
        return;
    }
    free(f->src_status);
    f->src_status = xstrdup(status);
    f->migrating = !status_is_final(status);
    if (!strcmp(status, "completed")) {
        f->src_completed = true;
    }
    if (f->settling) {
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(source_status_handlers); i++) {
        if (!strcmp(status, source_status_handlers[i].status)) {
            source_status_handlers[i].handler(f, status);
            break;
        }
    }
}

static void
handle_dest_event(struct follower *f, const struct json *event)
{
    const char *name = json_string(shash_find_data(json_object(event),
                                                   "event"));

    if (!strcmp(name, "MIGRATION")) {
        const char *status = migration_status(event);

        log_event(f->dst, event, status ? status : "(no status)");
        return;
    }
    log_event(f->dst, event, NULL);
    if (strcmp(name, "RESUME")) {
        return;
    }
    f->dst_resumed = true;
    if (f->settling) {
        return;
    }
    if (f->state == FS_SWITCHED) {
        activate(f);
    } else {
        VLOG_WARN("%s resumed before the switchover was confirmed: "
                  "remembered (the port is activated once it is)",
                  qmp_get_name(f->dst));
    }
}

/* Acts on connections that ended, after their last events were handled.
 * After the switchover a source that cannot be followed any more ends
 * nothing: the destination's RESUME, or the bound on it, decides. */
static void
check_connections(struct follower *f)
{
    if (connection_ended(f->src, &f->src_lost) && f->state == FS_WAITING) {
        give_up(f, HOOK_EXIT_VMM, true, xstrdup(qmp_get_error(f->src)));
    }
    if (f->state != FS_DONE && connection_ended(f->dst, &f->dst_lost)
        && f->state == FS_WAITING) {
        give_up(f, HOOK_EXIT_VMM, true, xstrdup(qmp_get_error(f->dst)));
    }
    /* Without the destination's RESUME only the source can still tell
     * where the VM runs. */
    if (f->state == FS_SWITCHED && f->dst_lost
        && (f->src_completed || f->src_lost)) {
        settle(f, true, xasprintf("%s before the VM resumed there",
                                  qmp_get_error(f->dst)));
    }
}

/* Acts when the wait for the destination's RESUME reached its bound. */
static void
check_resume_deadline(struct follower *f)
{
    if (f->state == FS_SWITCHED && time_msec() >= f->resume_deadline) {
        settle(f, true, xasprintf(
                   "no RESUME from the destination within %lld s of "
                   "migrate-continue (the source's migration: %s)",
                   f->o->resume_timeout_ms / 1000,
                   f->src_status ? f->src_status : "no status"));
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
        finish(f, HOOK_EXIT_UNSETTLED, "stopped by signal %d after the "
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
                        capabilities_args(true, true, true), &refused, NULL,
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
    /* The destination's MIGRATION events are only logged: without them
     * the follower works as well. */
    error = qmp_execute(f->dst, "migrate-set-capabilities",
                        capabilities_args(true, false, false), &refused,
                        NULL, &text);
    if (error || refused) {
        VLOG_WARN("%s%s%s", refused ? qmp_get_name(f->dst) : "",
                  refused ? ": cannot enable the migration capability "
                  "'events' (its MIGRATION events will not be logged): "
                  : "", text);
        if (error) {
            give_up(f, HOOK_EXIT_VMM, false, text);
            return false;
        }
        free(text);
    } else {
        VLOG_INFO("%s: migration capability 'events' on",
                  qmp_get_name(f->dst));
    }

    if (f->o->to && f->o->prepare_pass) {
        f->prepare_pending = true;
        VLOG_INFO("preparing at the source's pass %u (MIGRATION_PASS) or "
                  "at its pause, whichever comes first", f->o->prepare_pass);
    } else if (f->o->to) {
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
        pump(&f);
        if (f.state != FS_DONE) {
            check_connections(&f);
        }
        if (f.state != FS_DONE) {
            check_resume_deadline(&f);
        }
        if (f.state != FS_DONE) {
            check_stop_signal(&f);
        }
        if (f.state == FS_DONE) {
            break;
        }
        wait_qemus(&f);
        if (f.state == FS_SWITCHED) {
            poll_timer_wait_until(f.resume_deadline);
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
    free(f.decision);
    free(f.src_status);
    qmp_close(f.src);
    qmp_close(f.dst);
    return exit;
}
