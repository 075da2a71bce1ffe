/* A passive OpenFlow target.  See of-listener.h. */

#include <config.h>
#include "of-listener.h"

#include <errno.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "socket-util.h"
#include "stream-ssl.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(of_listener);

struct of_listener {
    char *name;                 /* The host's, for logs. */
    char *target;
    uint32_t allowed_versions;
    struct pvconn *pvconn;      /* NULL while not listening. */
    int error;                  /* Of the last attempt to listen, or 0. */
    long long int retry_at;     /* Next attempt (msec) while not listening. */
};

/* Tries to listen; on failure sets the time of the next attempt. */
static void
of_listener_open(struct of_listener *l)
{
    int error;

    /* OVS's SSL listener opens without keys and fails every connection:
     * better say so once, here. */
    error = (!strncmp(l->target, "pssl:", 5) && !stream_ssl_is_configured()
             ? ENOPROTOOPT
             : pvconn_open(l->target, l->allowed_versions, DSCP_DEFAULT,
                           &l->pvconn));

    if (!error) {
        VLOG_INFO("%s: listening on %s for the switch", l->name, l->target);
    }
    if (error && error != l->error) {
        struct ds s = DS_EMPTY_INITIALIZER;

        l->error = error;
        of_listener_format_status(l, &s);
        VLOG_WARN("%s: %s, trying again every %d s", l->name, ds_cstr(&s),
                  OF_LISTENER_RETRY_MSEC / 1000);
        ds_destroy(&s);
    }
    l->error = error;
    l->retry_at = error ? time_msec() + OF_LISTENER_RETRY_MSEC : 0;
}

struct of_listener *
of_listener_create(const char *name, const char *target,
                   uint32_t allowed_versions)
{
    struct of_listener *l = xzalloc(sizeof *l);

    l->name = xstrdup(name);
    l->target = xstrdup(target);
    l->allowed_versions = allowed_versions;
    of_listener_open(l);
    return l;
}

void
of_listener_destroy(struct of_listener *l)
{
    if (l) {
        pvconn_close(l->pvconn);
        free(l->name);
        free(l->target);
        free(l);
    }
}

struct vconn *
of_listener_run(struct of_listener *l)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    struct vconn *newest = NULL;

    if (!l->pvconn) {
        if (time_msec() < l->retry_at) {
            return NULL;
        }
        of_listener_open(l);
        if (!l->pvconn) {
            return NULL;
        }
    }
    /* A bounded number per call: connections are the switch's, a handful
     * at most, and a peer must not keep us here. */
    for (int i = 0; i < 10; i++) {
        struct vconn *vconn;
        int error = pvconn_accept(l->pvconn, &vconn);

        if (error) {
            if (error != EAGAIN) {
                VLOG_WARN_RL(&rl, "%s: accept on %s failed (%s)", l->name,
                             l->target, ovs_strerror(error));
            }
            break;
        }
        if (newest) {
            VLOG_INFO_RL(&rl, "%s: closing connection from %s, a newer "
                         "one came on %s", l->name, vconn_get_name(newest),
                         l->target);
            vconn_close(newest);
        }
        newest = vconn;
    }
    return newest;
}

void
of_listener_wait(struct of_listener *l)
{
    if (l->pvconn) {
        pvconn_wait(l->pvconn);
    } else {
        poll_timer_wait_until(l->retry_at);
    }
}

const char *
of_listener_target(const struct of_listener *l)
{
    return l->target;
}

int
of_listener_error(const struct of_listener *l)
{
    return l->pvconn ? 0 : l->error;
}

void
of_listener_format_status(const struct of_listener *l, struct ds *s)
{
    if (l->pvconn) {
        ds_put_format(s, "listening on %s", l->target);
        return;
    }
    ds_put_format(s, "cannot listen on %s (%s", l->target,
                  ovs_strerror(l->error));
    if (l->error == ENOPROTOOPT && !strncmp(l->target, "pssl:", 5)) {
        ds_put_cstr(s, ": SSL needs --private-key, --certificate and "
                    "--ca-cert");
    }
    ds_put_cstr(s, ")");
}
