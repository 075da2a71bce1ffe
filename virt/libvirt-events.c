/* cutover-libvirt's side of libvirt (libvirt-events.h).
 *
 * Threads: the main thread makes and destroys this, takes events and looks
 * up ports; the event thread ("libvirt") runs libvirt's default event loop
 * and, from its timer, connects and reconnects.  Shared between them, under
 * 'mutex': the queue, the connection pointer (the main thread takes a
 * reference to use it) and what libvirt/show says of the connection.
 * Everything else belongs to one thread, as marked. */

#include <config.h>

#include "libvirt-events.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>

#include "domain-port.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"
#include "seq.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(libvirt_events);

/* How often the event thread's timer checks the connection, and the bounds
 * of the wait between two attempts to connect. */
#define CHECK_INTERVAL_MS 1000
#define MIN_BACKOFF_MS 1000
#define MAX_BACKOFF_MS 30000

/* libvirt's keepalive: a libvirtd that does not answer for about
 * KEEPALIVE_INTERVAL_S * (KEEPALIVE_COUNT + 1) seconds closes the
 * connection, and we reconnect. */
#define KEEPALIVE_INTERVAL_S 5
#define KEEPALIVE_COUNT 3

/* Bounds on what the callbacks queue: events beyond are dropped (and
 * counted); QMP details beyond are cut (MIGRATION's are a few bytes). */
#define MAX_QUEUED 10000
#define MAX_DETAILS 4096

/* The QEMU monitor events the follower uses. */
static const char *const qmp_events[] = { "STOP", "RESUME", "MIGRATION" };

/* An event as a callback copied it. */
struct raw_event {
    struct ovs_list node;       /* In 'queue'. */
    char *domain;
    char *qmp_event;            /* QMP event name, NULL for lifecycle. */
    int event, detail;          /* Lifecycle: VIR_DOMAIN_EVENT_*. */
    long long int qemu_us;      /* QMP: QEMU's timestamp, 0 if none. */
    char *details;              /* QMP: its data (JSON), may be NULL. */
};

struct libvirt_events {
    char *uri;

    /* Shared, under 'mutex'. */
    struct ovs_mutex mutex;
    struct ovs_list queue OVS_GUARDED;  /* struct raw_event, oldest first. */
    size_t n_queued OVS_GUARDED;
    unsigned long long int n_dropped OVS_GUARDED;
    virConnectPtr conn OVS_GUARDED;     /* NULL while not connected. */
    unsigned int n_connects OVS_GUARDED;
    long long int since OVS_GUARDED;    /* Wall ms of the (dis)connection. */
    char *last_error OVS_GUARDED;       /* Why not connected, or NULL. */

    struct seq *seq;            /* Changed when an event is queued. */
    atomic_bool exiting;        /* The event thread's loop ends. */
    pthread_t thread;
    int timer;                  /* libvirt timer id. */

    /* The main thread's. */
    uint64_t seqno;             /* 'seq' when the queue was last read. */
    unsigned long long int n_dropped_logged;

    /* The event thread's. */
    virConnectPtr own;          /* Its reference to 'conn'. */
    int lifecycle_id;           /* Callback ids, -1 when not registered. */
    int qmp_ids[ARRAY_SIZE(qmp_events)];
    bool closed;                /* The close callback ran. */
    long long int next_connect; /* Monotonic ms of the next attempt. */
    long long int backoff_ms;
};

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

/* libvirt's errors go to our log, not to stderr; each API call's caller
 * says what failed, with virGetLastError(). */
static void
on_libvirt_error(void *aux OVS_UNUSED, virErrorPtr error)
{
    VLOG_DBG("libvirt: %s", error && error->message ? error->message : "?");
}

/* The message of this thread's last libvirt error (valid until its next
 * libvirt call). */
static const char *
last_error(void)
{
    virErrorPtr e = virGetLastError();

    return e && e->message ? e->message : "unknown libvirt error";
}

/* Callbacks (event thread): copy, queue, wake. */

static void
push(struct libvirt_events *le, struct raw_event *r)
{
    bool dropped = false;

    ovs_mutex_lock(&le->mutex);
    if (le->n_queued >= MAX_QUEUED) {
        le->n_dropped++;
        dropped = true;
    } else {
        ovs_list_push_back(&le->queue, &r->node);
        le->n_queued++;
    }
    ovs_mutex_unlock(&le->mutex);
    if (dropped) {
        free(r->domain);
        free(r->qmp_event);
        free(r->details);
        free(r);
    }
    seq_change(le->seq);
}

static int
on_lifecycle(virConnectPtr conn OVS_UNUSED, virDomainPtr dom, int event,
             int detail, void *le_)
{
    struct raw_event *r = xzalloc(sizeof *r);

    r->domain = xstrdup(virDomainGetName(dom));
    r->event = event;
    r->detail = detail;
    push(le_, r);
    return 0;
}

static void
on_qmp(virConnectPtr conn OVS_UNUSED, virDomainPtr dom, const char *event,
       long long int seconds, unsigned int micros, const char *details,
       void *le_)
{
    struct raw_event *r = xzalloc(sizeof *r);

    r->domain = xstrdup(virDomainGetName(dom));
    r->qmp_event = xstrdup(event);
    r->qemu_us = seconds >= 0 ? seconds * 1000000 + micros : 0;
    r->details = details ? xmemdup0(details, strnlen(details, MAX_DETAILS))
                 : NULL;
    push(le_, r);
}

static void
on_close(virConnectPtr conn OVS_UNUSED, int reason, void *le_)
{
    static const char *const reasons[] = {
        [VIR_CONNECT_CLOSE_REASON_ERROR] = "error",
        [VIR_CONNECT_CLOSE_REASON_EOF] = "closed by libvirtd",
        [VIR_CONNECT_CLOSE_REASON_KEEPALIVE] = "keepalive timeout",
        [VIR_CONNECT_CLOSE_REASON_CLIENT] = "closed",
    };
    struct libvirt_events *le = le_;

    VLOG_WARN_RL(&rl, "connection to %s lost (%s): reconnecting; events "
                 "until then are not seen", le->uri,
                 reason >= 0 && reason < ARRAY_SIZE(reasons) && reasons[reason]
                 ? reasons[reason] : "unknown reason");
    le->closed = true;
    /* Let the timer reconnect at once, outside this callback. */
    virEventUpdateTimeout(le->timer, 0);
}

/* The connection (event thread). */

static void
disconnect(struct libvirt_events *le)
{
    virConnectPtr conn = le->own;

    if (!conn) {
        return;
    }
    if (le->lifecycle_id >= 0) {
        virConnectDomainEventDeregisterAny(conn, le->lifecycle_id);
        le->lifecycle_id = -1;
    }
    for (size_t i = 0; i < ARRAY_SIZE(le->qmp_ids); i++) {
        if (le->qmp_ids[i] >= 0) {
            virConnectDomainQemuMonitorEventDeregister(conn, le->qmp_ids[i]);
            le->qmp_ids[i] = -1;
        }
    }
    virConnectUnregisterCloseCallback(conn, on_close);

    ovs_mutex_lock(&le->mutex);
    le->conn = NULL;
    le->since = time_wall_msec();
    ovs_mutex_unlock(&le->mutex);

    virConnectClose(conn);
    le->own = NULL;
    le->closed = false;
}

/* Records that connecting failed with 'error' (taken) and when to try
 * again. */
static void
connect_failed(struct libvirt_events *le, char *error)
{
    VLOG_WARN_RL(&rl, "%s: %s (trying again in %lld s)", le->uri, error,
                 le->backoff_ms / 1000);
    ovs_mutex_lock(&le->mutex);
    free(le->last_error);
    le->last_error = error;
    ovs_mutex_unlock(&le->mutex);
    le->next_connect = time_msec() + le->backoff_ms;
    le->backoff_ms = MIN(le->backoff_ms * 2, MAX_BACKOFF_MS);
}

static void
try_connect(struct libvirt_events *le)
{
    virConnectPtr conn = virConnectOpen(le->uri);
    char *error;

    if (!conn) {
        connect_failed(le, xasprintf("cannot connect: %s", last_error()));
        return;
    }
    le->own = conn;
    if (virConnectSetKeepAlive(conn, KEEPALIVE_INTERVAL_S,
                               KEEPALIVE_COUNT) < 0) {
        VLOG_WARN_RL(&rl, "%s: no keepalive (%s): a libvirtd that hangs "
                     "is not noticed", le->uri, last_error());
    }
    le->lifecycle_id = virConnectDomainEventRegisterAny(
        conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), le, NULL);
    if (le->lifecycle_id < 0) {
        error = xasprintf("cannot register for lifecycle events: %s",
                          last_error());
        goto fail;
    }
    for (size_t i = 0; i < ARRAY_SIZE(qmp_events); i++) {
        le->qmp_ids[i] = virConnectDomainQemuMonitorEventRegister(
            conn, NULL, qmp_events[i], on_qmp, le, NULL, 0);
        if (le->qmp_ids[i] < 0) {
            error = xasprintf("cannot register for QEMU's %s events: %s",
                              qmp_events[i], last_error());
            goto fail;
        }
    }
    if (virConnectRegisterCloseCallback(conn, on_close, le, NULL) < 0) {
        error = xasprintf("cannot register a close callback: %s",
                          last_error());
        goto fail;
    }

    ovs_mutex_lock(&le->mutex);
    le->conn = conn;
    le->n_connects++;
    le->since = time_wall_msec();
    free(le->last_error);
    le->last_error = NULL;
    ovs_mutex_unlock(&le->mutex);
    le->backoff_ms = MIN_BACKOFF_MS;
    VLOG_INFO("connected to %s: following its domains", le->uri);
    return;

fail:
    disconnect(le);
    connect_failed(le, error);
}

/* The event thread's timer: reconnects when needed. */
static void
tick(int timer, void *le_)
{
    struct libvirt_events *le = le_;
    bool exiting;

    atomic_read(&le->exiting, &exiting);
    if (exiting) {
        return;
    }
    if (le->closed) {
        disconnect(le);
    }
    if (!le->own && time_msec() >= le->next_connect) {
        try_connect(le);
    }
    virEventUpdateTimeout(timer, CHECK_INTERVAL_MS);
}

static void *
events_main(void *le_)
{
    struct libvirt_events *le = le_;

    for (;;) {
        bool exiting;

        atomic_read(&le->exiting, &exiting);
        if (exiting) {
            break;
        }
        if (virEventRunDefaultImpl() < 0) {
            VLOG_WARN_RL(&rl, "libvirt's event loop: %s", last_error());
            xsleep(1);
        }
    }
    disconnect(le);
    return NULL;
}

/* The main thread's. */

struct libvirt_events *
libvirt_events_create(const char *uri)
{
    struct libvirt_events *le = xzalloc(sizeof *le);

    if (virInitialize() < 0) {
        ovs_fatal(0, "cannot initialize libvirt");
    }
    virSetErrorFunc(NULL, on_libvirt_error);
    if (virEventRegisterDefaultImpl() < 0) {
        ovs_fatal(0, "cannot set up libvirt's event loop: %s", last_error());
    }

    le->uri = xstrdup(uri);
    ovs_mutex_init(&le->mutex);
    ovs_list_init(&le->queue);
    le->since = time_wall_msec();
    le->seq = seq_create();
    le->seqno = seq_read(le->seq);
    atomic_init(&le->exiting, false);
    le->lifecycle_id = -1;
    for (size_t i = 0; i < ARRAY_SIZE(le->qmp_ids); i++) {
        le->qmp_ids[i] = -1;
    }
    le->backoff_ms = MIN_BACKOFF_MS;
    le->next_connect = time_msec();
    /* First tick at once: the first connection. */
    le->timer = virEventAddTimeout(0, tick, le, NULL);
    if (le->timer < 0) {
        ovs_fatal(0, "cannot add a libvirt timer: %s", last_error());
    }
    le->thread = ovs_thread_create("libvirt", events_main, le);
    return le;
}

static void
raw_event_free(struct raw_event *r)
{
    free(r->domain);
    free(r->qmp_event);
    free(r->details);
    free(r);
}

void
libvirt_events_destroy(struct libvirt_events *le)
{
    struct raw_event *r;

    if (!le) {
        return;
    }
    atomic_store(&le->exiting, true);
    /* Wakes the event loop (an update interrupts its poll). */
    virEventUpdateTimeout(le->timer, 0);
    xpthread_join(le->thread, NULL);
    virEventRemoveTimeout(le->timer);

    LIST_FOR_EACH_POP (r, node, &le->queue) {
        raw_event_free(r);
    }
    free(le->last_error);
    seq_destroy(le->seq);
    ovs_mutex_destroy(&le->mutex);
    free(le->uri);
    free(le);
}

void
libvirt_events_run(struct libvirt_events *le)
{
    unsigned long long int n_dropped;

    le->seqno = seq_read(le->seq);
    ovs_mutex_lock(&le->mutex);
    n_dropped = le->n_dropped;
    ovs_mutex_unlock(&le->mutex);
    if (n_dropped != le->n_dropped_logged) {
        VLOG_WARN_RL(&rl, "%llu events dropped (more than %d queued): "
                     "migrations may have been missed",
                     n_dropped - le->n_dropped_logged, MAX_QUEUED);
        le->n_dropped_logged = n_dropped;
    }
}

void
libvirt_events_wait(struct libvirt_events *le)
{
    seq_wait(le->seq, le->seqno);
}

/* The status of a MIGRATION event's data, {"status": "active"}. */
static enum lvf_mig_status
parse_status(const char *details)
{
    enum lvf_mig_status status = LVF_MIG_NONE;
    struct json *json;

    if (!details) {
        return LVF_MIG_NONE;
    }
    json = json_from_string(details);
    if (json->type == JSON_OBJECT) {
        const struct json *s = shash_find_data(json_object(json), "status");

        if (s && s->type == JSON_STRING) {
            status = lvf_mig_status_from_string(json_string(s));
        }
    }
    json_destroy(json);
    return status;
}

/* Translates 'r' into 'ev'.  Returns false if the follower has no use for
 * it. */
static bool
translate(const struct raw_event *r, struct lvf_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->domain = r->domain;
    if (r->qmp_event) {
        ev->qemu_us = r->qemu_us;
        if (!strcmp(r->qmp_event, "STOP")) {
            ev->type = LVF_EV_QMP_STOP;
        } else if (!strcmp(r->qmp_event, "RESUME")) {
            ev->type = LVF_EV_QMP_RESUME;
        } else if (!strcmp(r->qmp_event, "MIGRATION")) {
            ev->type = LVF_EV_QMP_MIGRATION;
            ev->status = parse_status(r->details);
            if (ev->status == LVF_MIG_NONE) {
                VLOG_WARN_RL(&rl, "domain %s: MIGRATION event without a "
                             "status: %s", r->domain,
                             r->details ? r->details : "(no data)");
                return false;
            }
        } else {
            return false;
        }
        return true;
    }

    switch (r->event) {
    case VIR_DOMAIN_EVENT_STARTED:
        ev->type = (r->detail == VIR_DOMAIN_EVENT_STARTED_MIGRATED
                    ? LVF_EV_STARTED_MIGRATED : LVF_EV_STARTED);
        return true;
    case VIR_DOMAIN_EVENT_SUSPENDED:
        ev->type = (r->detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED
                    ? LVF_EV_SUSPENDED_MIGRATED : LVF_EV_SUSPENDED);
        return true;
    case VIR_DOMAIN_EVENT_RESUMED:
        ev->type = (r->detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED
                    ? LVF_EV_RESUMED_MIGRATED : LVF_EV_RESUMED);
        return true;
    case VIR_DOMAIN_EVENT_STOPPED:
        ev->type = (r->detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED
                    ? LVF_EV_STOPPED_MIGRATED
                    : r->detail == VIR_DOMAIN_EVENT_STOPPED_FAILED
                    ? LVF_EV_STOPPED_FAILED : LVF_EV_STOPPED);
        return true;
    case VIR_DOMAIN_EVENT_UNDEFINED:
        ev->type = LVF_EV_UNDEFINED;
        return true;
    default:
        /* DEFINED, SHUTDOWN, CRASHED, PMSUSPENDED: STOPPED or nothing
         * follows that matters here. */
        return false;
    }
}

bool
libvirt_events_take(struct libvirt_events *le, struct libvirt_event *e)
{
    for (;;) {
        struct raw_event *r = NULL;

        ovs_mutex_lock(&le->mutex);
        if (!ovs_list_is_empty(&le->queue)) {
            r = CONTAINER_OF(ovs_list_pop_front(&le->queue),
                             struct raw_event, node);
            le->n_queued--;
        }
        ovs_mutex_unlock(&le->mutex);
        if (!r) {
            return false;
        }
        if (translate(r, &e->ev)) {
            e->domain = r->domain;
            e->ev.domain = e->domain;
            r->domain = NULL;
            raw_event_free(r);
            return true;
        }
        raw_event_free(r);
    }
}

void
libvirt_event_destroy(struct libvirt_event *e)
{
    free(e->domain);
    e->domain = NULL;
}

int
libvirt_events_lookup_port(struct libvirt_events *le, const char *name,
                           char **portp, char **errorp)
{
    virConnectPtr conn;
    virDomainPtr dom;
    char *meta, *xml;
    char *port = NULL;
    int error = 0;

    *portp = NULL;
    *errorp = NULL;
    ovs_mutex_lock(&le->mutex);
    conn = le->conn;
    if (conn) {
        virConnectRef(conn);
    }
    ovs_mutex_unlock(&le->mutex);
    if (!conn) {
        *errorp = xasprintf("not connected to %s", le->uri);
        return ENOTCONN;
    }

    dom = virDomainLookupByName(conn, name);
    if (!dom) {
        *errorp = xasprintf("domain %s: %s", name, last_error());
        virConnectClose(conn);
        return ENOENT;
    }
    meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
                                DOMAIN_PORT_NS, 0);
    if (meta) {
        port = domain_port_from_metadata(meta);
        if (!port) {
            VLOG_WARN_RL(&rl, "domain %s: its <cutover:port> metadata names "
                         "no valid port (%.64s): trying its interfaces",
                         name, meta);
        }
        free(meta);
    } else {
        virErrorPtr e = virGetLastError();

        if (!e || e->code != VIR_ERR_NO_DOMAIN_METADATA) {
            *errorp = xasprintf("domain %s: its metadata: %s", name,
                                last_error());
            error = EPROTO;
        }
    }
    if (!port && !error) {
        xml = virDomainGetXMLDesc(dom, 0);
        if (xml) {
            port = domain_port_from_xml(xml);
            free(xml);
        } else {
            *errorp = xasprintf("domain %s: its XML: %s", name, last_error());
            error = EPROTO;
        }
    }
    virDomainFree(dom);
    virConnectClose(conn);
    if (error) {
        free(port);
        return error;
    }
    *portp = port;
    return 0;
}

void
libvirt_events_format(struct libvirt_events *le, struct ds *s)
{
    ovs_mutex_lock(&le->mutex);
    ds_put_format(s, "libvirt %s: %s for %lld s, %u connection%s so far",
                  le->uri, le->conn ? "connected" : "not connected",
                  (time_wall_msec() - le->since) / 1000, le->n_connects,
                  le->n_connects == 1 ? "" : "s");
    if (le->last_error) {
        ds_put_format(s, "; last error: %s", le->last_error);
    }
    if (le->n_dropped) {
        ds_put_format(s, "; %llu events dropped", le->n_dropped);
    }
    ds_put_char(s, '\n');
    ovs_mutex_unlock(&le->mutex);
}
