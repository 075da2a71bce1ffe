/* A client of cutoverd's migration control API.  See migration-client.h.
 *
 * jsonrpc_transact_block() waits without bound, so every wait here is a
 * poll loop on the connection with the call's deadline as a timer. */

#include <config.h>
#include "migration-client.h"

#include <errno.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "jsonrpc.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(migration_client);

/* How long connecting to one of several servers may take before the next
 * is tried. */
#define CONNECT_ONE_MS 2000

/* How long to wait before going through several servers again, when none
 * took the call (a standby becoming active takes about this long). */
#define RETRY_PASS_MS 20

struct migration_client {
    char *target;               /* As given: stream names, comma-separated. */
    char **servers;             /* Each OVS stream name, */
    size_t n_servers;           /* so many; */
    size_t cur;                 /* the one used now. */
    long long int timeout_ms;   /* For each call, connecting included. */
    struct jsonrpc *rpc;        /* NULL when not connected. */
};

/* migration_client_parse_target() for one server. */
static char *
parse_one_target(const char *arg, char **targetp)
{
    *targetp = NULL;
    if (!arg[0]) {
        return xstrdup("the server is empty (expected unix:FILE, "
                       "tcp:IP:PORT, ssl:IP:PORT or a socket's file name)");
    }
    if (!strchr(arg, ':')) {
        *targetp = cli_unix_target(arg);
        return NULL;
    }
    if (stream_verify_name(arg) || !strchr(arg, ':')[1]) {
        return xasprintf("'%s' is not a connection target (expected "
                         "unix:FILE, tcp:IP:PORT, ssl:IP:PORT or a socket's "
                         "file name)", arg);
    }
    *targetp = xstrdup(arg);
    return NULL;
}

char *
migration_client_parse_target(const char *arg, char **targetp)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    char *copy = xstrdup(arg);
    char *save = NULL;
    char *error = NULL;

    *targetp = NULL;
    if (!arg[0] || arg[0] == ',' || arg[strlen(arg) - 1] == ',') {
        free(copy);
        return parse_one_target("", targetp);
    }
    for (char *one = strtok_r(copy, ",", &save); one;
         one = strtok_r(NULL, ",", &save)) {
        char *target;

        error = parse_one_target(one, &target);
        if (error) {
            break;
        }
        ds_put_format(&s, "%s%s", s.length ? "," : "", target);
        free(target);
    }
    free(copy);
    if (error) {
        ds_destroy(&s);
        return error;
    }
    *targetp = ds_steal_cstr(&s);
    return NULL;
}

struct migration_client *
migration_client_create(const char *target, long long int timeout_ms)
{
    struct migration_client *c = xzalloc(sizeof *c);
    char *copy = xstrdup(target);
    char *save = NULL;

    c->target = xstrdup(target);
    for (char *one = strtok_r(copy, ",", &save); one;
         one = strtok_r(NULL, ",", &save)) {
        c->servers = xrealloc(c->servers,
                              (c->n_servers + 1) * sizeof *c->servers);
        c->servers[c->n_servers++] = xstrdup(one);
    }
    free(copy);
    if (!c->n_servers) {
        c->servers = xmalloc(sizeof *c->servers);
        c->servers[c->n_servers++] = xstrdup(target);
    }
    c->timeout_ms = timeout_ms;
    return c;
}

static void
disconnect(struct migration_client *c)
{
    jsonrpc_close(c->rpc);
    c->rpc = NULL;
}

void
migration_client_destroy(struct migration_client *c)
{
    if (c) {
        disconnect(c);
        for (size_t i = 0; i < c->n_servers; i++) {
            free(c->servers[i]);
        }
        free(c->servers);
        free(c->target);
        free(c);
    }
}

const char *
migration_client_target(const struct migration_client *c)
{
    return c->servers[c->cur];
}

long long int
migration_client_set_timeout(struct migration_client *c,
                             long long int timeout_ms)
{
    long long int old = c->timeout_ms;

    c->timeout_ms = timeout_ms;
    return old;
}

/* "no answer within 1.5 s" and the like. */
static void
format_timeout(struct ds *s, long long int ms)
{
    if (ms % 1000) {
        ds_put_format(s, "%.3g s", ms / 1000.0);
    } else {
        ds_put_format(s, "%lld s", ms / 1000);
    }
}

/* Connects within 'deadline' (a time_msec() value). */
static int
connect_until(struct migration_client *c, long long int deadline,
              char **errorp)
{
    long long int left = MAX(deadline - time_msec(), 0);
    struct stream *stream;
    int error;

    *errorp = NULL;
    if (c->rpc) {
        return 0;
    }
    if (c->n_servers > 1) {
        /* A server that does not answer must leave time for the others. */
        left = MIN(left, CONNECT_ONE_MS);
    }
    error = stream_open_block(stream_open(c->servers[c->cur], &stream,
                                          DSCP_DEFAULT),
                              left, &stream);
    if (error == ETIMEDOUT) {
        struct ds s = DS_EMPTY_INITIALIZER;

        ds_put_format(&s, "%s: cannot connect: no connection within ",
                      c->servers[c->cur]);
        format_timeout(&s, c->n_servers > 1 ? MIN(c->timeout_ms,
                                                  CONNECT_ONE_MS)
                       : c->timeout_ms);
        *errorp = ds_steal_cstr(&s);
        return error;
    } else if (error) {
        *errorp = xasprintf("%s: cannot connect: %s", c->servers[c->cur],
                            ovs_strerror(error));
        return error;
    }
    c->rpc = jsonrpc_open(stream);
    return 0;
}

int
migration_client_connect(struct migration_client *c, char **errorp)
{
    return connect_until(c, time_msec() + c->timeout_ms, errorp);
}

/* Drops a kept connection that the server closed meanwhile, so that a call
 * does not fail only because the server timed out an idle client.  Anything
 * the server sent unasked is dropped too. */
static void
check_idle_connection(struct migration_client *c)
{
    struct jsonrpc_msg *msg;

    if (!c->rpc) {
        return;
    }
    jsonrpc_run(c->rpc);
    while (!jsonrpc_recv(c->rpc, &msg)) {
        jsonrpc_msg_destroy(msg);
    }
    if (jsonrpc_get_status(c->rpc)) {
        VLOG_DBG("%s: connection closed while idle, reconnecting",
                 c->servers[c->cur]);
        disconnect(c);
    }
}

/* Calls 'method' on the current server, within 'deadline'. */
static int
call_one(struct migration_client *c, const char *method,
         const char *const params[], size_t n_params, long long int deadline,
         bool *refusedp, char **textp)
{
    struct jsonrpc_msg *request, *reply = NULL;
    struct json **args = xmalloc((n_params + 1) * sizeof *args);
    struct json *id;
    int error;

    *refusedp = false;
    *textp = NULL;

    check_idle_connection(c);
    error = connect_until(c, deadline, textp);
    if (error) {
        free(args);
        return error;
    }

    for (size_t i = 0; i < n_params; i++) {
        args[i] = json_string_create(params[i]);
    }
    request = jsonrpc_create_request(method,
                                     json_array_create(args, n_params), &id);
    error = jsonrpc_send(c->rpc, request);
    while (!error) {
        struct jsonrpc_msg *msg;

        jsonrpc_run(c->rpc);
        error = jsonrpc_recv(c->rpc, &msg);
        if (!error) {
            if ((msg->type == JSONRPC_REPLY || msg->type == JSONRPC_ERROR)
                && msg->id && json_equal(msg->id, id)) {
                reply = msg;
                break;
            }
            /* Not the answer to this request (a notification, or the late
             * answer to an earlier one): not ours to act on. */
            jsonrpc_msg_destroy(msg);
        } else if (error == EAGAIN) {
            if (time_msec() >= deadline) {
                error = ETIMEDOUT;
                break;
            }
            error = 0;
            jsonrpc_wait(c->rpc);
            jsonrpc_recv_wait(c->rpc);
            poll_timer_wait_until(deadline);
            poll_block();
        }
    }
    json_destroy(id);

    if (reply) {
        *refusedp = reply->type == JSONRPC_ERROR;
        *textp = control_reply_text(*refusedp ? reply->error
                                                 : reply->result);
        jsonrpc_msg_destroy(reply);
        return 0;
    }

    /* No answer.  The connection cannot be trusted for the next call (an
     * answer to this one may still come), so it is closed. */
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "%s: ", c->servers[c->cur]);
    if (error == ETIMEDOUT) {
        ds_put_format(&s, "no answer to %s within ", method);
        format_timeout(&s, c->timeout_ms);
    } else if (error == EPROTO) {
        ds_put_format(&s, "the server's answer to %s is not JSON-RPC",
                      method);
    } else if (error == EOF) {
        ds_put_format(&s, "the server closed the connection before "
                      "answering %s", method);
    } else {
        ds_put_format(&s, "connection lost before the answer to %s: %s",
                      method, ovs_strerror(error));
    }
    *textp = ds_steal_cstr(&s);
    disconnect(c);
    return error == EOF ? ECONNRESET : error;
}

/* Whether answer 'text' comes from a standby cutoverd, one that became a
 * standby while it took the call, or one that has just taken over and is
 * still recovering the migration (docs/ha.md). */
static bool
is_standby_refusal(const char *text)
{
    return (strstr(text, "this cutoverd is a standby")
            || strstr(text, "this cutoverd lost the northbound database's "
                      "lock")
            || strstr(text, " is being recovered (waiting for "));
}

int
migration_client_call(struct migration_client *c, const char *method,
                      const char *const params[], size_t n_params,
                      bool *refusedp, char **textp)
{
    long long int deadline = time_msec() + c->timeout_ms;
    size_t tried = 0;

    for (;;) {
        int error = call_one(c, method, params, n_params, deadline, refusedp,
                             textp);

        if (c->n_servers == 1
            || (!error && !(*refusedp && is_standby_refusal(*textp)))
            || time_msec() >= deadline) {
            return error;
        }
        /* Not answered, or answered by a standby: the next server.  Once
         * all were tried, again after a while (a standby may be taking
         * over), until the deadline. */
        VLOG_INFO("%s: %s: trying the next server", method, *textp);
        free(*textp);
        *textp = NULL;
        disconnect(c);
        c->cur = (c->cur + 1) % c->n_servers;
        if (++tried % c->n_servers == 0) {
            poll_timer_wait_until(MIN(deadline, time_msec() + RETRY_PASS_MS));
            poll_block();
        }
    }
}
