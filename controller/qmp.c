/* A client of QEMU's QMP monitor.  See qmp.h.
 *
 * Framing: QEMU ends every JSON object with CRLF, but a reader cannot rely
 * on reads ending there, so the bytes go through OVS's incremental JSON
 * parser, one parser per message, exactly as OVS's jsonrpc.c reads its
 * stream; the whitespace between messages is skipped by the parser. */

#include <config.h>
#include "qmp.h"

#include <errno.h>
#include <string.h>

#include "cli.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(qmp);

/* The longest message accepted: QEMU's answers to the commands we send and
 * its events are a few hundred bytes. */
#define QMP_MAX_MESSAGE (1024 * 1024)

/* Bytes that may come between messages (QEMU ends each with CRLF). */
#define QMP_WHITESPACE " \t\r\n"

struct qmp_event {
    struct ovs_list node;       /* In struct qmp's 'events'. */
    struct json *json;
};

struct qmp {
    char *name;                 /* "source QEMU (PATH)". */
    struct stream *stream;
    long long int timeout_ms;

    /* Input. */
    struct json_parser *parser; /* NULL between messages. */
    size_t msg_bytes;           /* Bytes fed to 'parser'. */
    long long int msg_deadline; /* When the message that 'parser' has
                                 * begun must be whole (time_msec()). */
    bool greeted;               /* Received the greeting. */
    struct ovs_list events;     /* struct qmp_event, oldest first. */
    struct json *answer;        /* Answer to the command in flight. */

    /* Output not yet sent. */
    struct ds out;

    unsigned int next_id;       /* Id of the next command. */
    int status;                 /* 0, EOF or a positive errno value. */
    char *error;                /* What happened, when 'status' != 0. */
};

static void OVS_PRINTF_FORMAT(3, 4)
qmp_fail(struct qmp *q, int status, const char *format, ...)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    va_list args;

    if (q->status) {
        return;                 /* Keep the first reason. */
    }
    q->status = status;
    ds_put_format(&s, "%s: ", q->name);
    va_start(args, format);
    ds_put_format_valist(&s, format, args);
    va_end(args);
    q->error = ds_steal_cstr(&s);
    VLOG_DBG("%s", q->error);
}

const char *
qmp_get_name(const struct qmp *q)
{
    return q->name;
}

int
qmp_get_status(const struct qmp *q)
{
    return q->status;
}

const char *
qmp_get_error(const struct qmp *q)
{
    return q->error ? q->error : "";
}

/* Handles one complete JSON value from QEMU (takes 'json'). */
static void
qmp_dispatch(struct qmp *q, struct json *json)
{
    if (json->type == JSON_STRING) {
        /* The parser's error message. */
        qmp_fail(q, EPROTO, "received something that is not JSON (%s)",
                 json_string(json));
    } else if (json->type != JSON_OBJECT) {
        qmp_fail(q, EPROTO, "received a JSON array instead of a QMP "
                 "message (an object)");
    } else if (!q->greeted) {
        const struct json *greeting = shash_find_data(json_object(json),
                                                      "QMP");
        if (!greeting || greeting->type != JSON_OBJECT) {
            qmp_fail(q, EPROTO, "is not a QMP monitor (its first message "
                     "is not QEMU's {\"QMP\": ...} greeting)");
        } else {
            q->greeted = true;
        }
    } else if (shash_find(json_object(json), "event")) {
        const struct json *name = shash_find_data(json_object(json),
                                                  "event");
        if (name->type != JSON_STRING) {
            qmp_fail(q, EPROTO, "sent an event whose name is not a string");
        } else {
            struct qmp_event *e = xmalloc(sizeof *e);

            e->json = json;
            ovs_list_push_back(&q->events, &e->node);
            return;
        }
    } else if (shash_find(json_object(json), "return")
               || shash_find(json_object(json), "error")) {
        if (q->answer) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
            VLOG_WARN_RL(&rl, "%s: dropping an answer to no command",
                         q->name);
        } else {
            q->answer = json;
            return;
        }
    } else {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        VLOG_WARN_RL(&rl, "%s: ignoring a message that is neither an event "
                     "nor an answer", q->name);
    }
    json_destroy(json);
}

/* Returns how many of the 'n' bytes at 'p' are whitespace, from the
 * first. */
static size_t
qmp_skip_whitespace(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && p[i] && strchr(QMP_WHITESPACE, p[i])) {
        i++;
    }
    return i;
}

/* Feeds 'n' bytes from QEMU to the parser. */
static void
qmp_feed(struct qmp *q, const char *p, size_t n)
{
    while (n > 0 && !q->status) {
        size_t used;

        if (!q->parser) {
            /* A message begins with its first byte that is not
             * whitespace: from then on it has the timeout to end. */
            size_t skip = qmp_skip_whitespace(p, n);

            p += skip;
            n -= skip;
            if (!n) {
                break;
            }
            q->parser = json_parser_create(0);
            q->msg_bytes = 0;
            q->msg_deadline = time_msec() + q->timeout_ms;
        }
        used = json_parser_feed(q->parser, p, n);
        p += used;
        n -= used;
        q->msg_bytes += used;
        if (json_parser_is_done(q->parser)) {
            struct json *json = json_parser_finish(q->parser);

            q->parser = NULL;
            qmp_dispatch(q, json);
        } else if (q->msg_bytes > QMP_MAX_MESSAGE) {
            qmp_fail(q, EPROTO, "sent a message longer than %d bytes",
                     QMP_MAX_MESSAGE);
        }
    }
}

void
qmp_run(struct qmp *q)
{
    if (q->status) {
        return;
    }
    stream_run(q->stream);
    while (q->out.length && !q->status) {
        int n = stream_send(q->stream, q->out.string, q->out.length);

        if (n == -EAGAIN) {
            break;
        } else if (n < 0) {
            qmp_fail(q, -n, "connection lost: %s", ovs_strerror(-n));
        } else {
            memmove(q->out.string, q->out.string + n, q->out.length - n);
            ds_truncate(&q->out, q->out.length - n);
        }
    }
    /* A bounded number of reads per run, so that a peer that never stops
     * sending cannot keep us here. */
    for (int i = 0; i < 50 && !q->status; i++) {
        char buf[4096];
        int n = stream_recv(q->stream, buf, sizeof buf);

        if (n == -EAGAIN) {
            break;
        } else if (n == 0) {
            qmp_fail(q, EOF, "closed its QMP connection");
        } else if (n < 0) {
            qmp_fail(q, -n, "connection lost: %s", ovs_strerror(-n));
        } else {
            qmp_feed(q, buf, n);
        }
    }
    /* A message begun and never ended (a line without its end, then
     * silence) must not keep us waiting: it is bounded as a command's
     * answer is. */
    if (q->parser && !q->status && time_msec() >= q->msg_deadline) {
        qmp_fail(q, ETIMEDOUT, "sent %"PRIuSIZE" bytes of a message but not "
                 "its end within %.3g s", q->msg_bytes,
                 q->timeout_ms / 1000.0);
    }
}

void
qmp_wait(struct qmp *q)
{
    if (q->status) {
        poll_immediate_wake();
        return;
    }
    stream_run_wait(q->stream);
    if (q->out.length) {
        stream_send_wait(q->stream);
    }
    stream_recv_wait(q->stream);
    if (q->parser) {
        poll_timer_wait_until(q->msg_deadline);
    }
}

struct json *
qmp_recv_event(struct qmp *q)
{
    struct json *json;
    struct qmp_event *e;

    if (ovs_list_is_empty(&q->events)) {
        return NULL;
    }
    e = CONTAINER_OF(ovs_list_pop_front(&q->events), struct qmp_event, node);
    json = e->json;
    free(e);
    return json;
}

/* Runs 'q' until 'done(q)', the connection fails or 'deadline' passes.
 * Returns 0, the connection's status, or ETIMEDOUT. */
static int
qmp_run_until(struct qmp *q, bool (*done)(const struct qmp *),
              long long int deadline)
{
    for (;;) {
        qmp_run(q);
        if (done(q)) {
            return 0;
        } else if (q->status) {
            return q->status;
        } else if (time_msec() >= deadline) {
            return ETIMEDOUT;
        }
        qmp_wait(q);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

static bool
qmp_is_greeted(const struct qmp *q)
{
    return q->greeted;
}

static bool
qmp_has_answer(const struct qmp *q)
{
    return q->answer != NULL;
}

/* "no answer to X within 1.5 s". */
static char *
qmp_timeout_error(const struct qmp *q, const char *what)
{
    return (q->timeout_ms % 1000
            ? xasprintf("%s: no %s within %.3g s", q->name, what,
                        q->timeout_ms / 1000.0)
            : xasprintf("%s: no %s within %lld s", q->name, what,
                        q->timeout_ms / 1000));
}

/* Formats QMP error object 'error' as "CLASS: DESC". */
static char *
qmp_format_error(const struct json *error)
{
    const struct json *class = NULL, *desc = NULL;

    if (error->type == JSON_OBJECT) {
        class = shash_find_data(json_object(error), "class");
        desc = shash_find_data(json_object(error), "desc");
    }
    if (class && desc && class->type == JSON_STRING
        && desc->type == JSON_STRING) {
        return xasprintf("%s: %s", json_string(class), json_string(desc));
    }
    return json_to_string(error, JSSF_SORT);
}

int
qmp_execute(struct qmp *q, const char *command, struct json *arguments,
            bool *refusedp, struct json **returnp, char **textp)
{
    long long int deadline = time_msec() + q->timeout_ms;
    struct json *request = json_object_create();
    unsigned int id = q->next_id++;
    const struct json *answer_id;
    char *s;
    int error;

    *refusedp = false;
    *textp = NULL;
    if (returnp) {
        *returnp = NULL;
    }

    json_object_put_string(request, "execute", command);
    if (arguments) {
        json_object_put(request, "arguments", arguments);
    }
    json_object_put(request, "id", json_integer_create(id));
    s = json_to_string(request, 0);
    ds_put_format(&q->out, "%s\r\n", s);
    free(s);
    json_destroy(request);
    VLOG_DBG("%s: sending %s", q->name, ds_cstr(&q->out));

    json_destroy(q->answer);
    q->answer = NULL;
    for (;;) {
        error = qmp_run_until(q, qmp_has_answer, deadline);
        if (error) {
            if (error == ETIMEDOUT) {
                char *what = xasprintf("answer to %s", command);

                *textp = qmp_timeout_error(q, what);
                free(what);
            } else {
                *textp = xasprintf("%s (waiting for the answer to %s)",
                                   q->error, command);
            }
            return error;
        }
        /* QEMU echoes the id; it answers a request it could not parse
         * without one. */
        answer_id = shash_find_data(json_object(q->answer), "id");
        if (!answer_id || (answer_id->type == JSON_INTEGER
                           && json_integer(answer_id) == id)) {
            break;
        }
        json_destroy(q->answer);
        q->answer = NULL;
    }

    struct shash *answer = json_object(q->answer);
    const struct json *ret = shash_find_data(answer, "return");
    if (ret) {
        if (returnp) {
            *returnp = json_clone(ret);
        }
    } else {
        *refusedp = true;
        *textp = qmp_format_error(shash_find_data(answer, "error"));
    }
    json_destroy(q->answer);
    q->answer = NULL;
    return 0;
}

int
qmp_open(const char *name, const char *path, long long int timeout_ms,
         struct qmp **qmpp, char **errorp)
{
    long long int deadline = time_msec() + timeout_ms;
    struct stream *stream;
    struct qmp *q;
    char *target;
    bool refused;
    char *text;
    int error;

    *qmpp = NULL;
    *errorp = NULL;

    target = cli_unix_target(path);
    error = stream_open_block(stream_open(target, &stream, DSCP_DEFAULT),
                              timeout_ms, &stream);
    free(target);
    if (error) {
        *errorp = xasprintf("%s (%s): cannot connect: %s", name, path,
                            ovs_strerror(error));
        return error;
    }

    q = xzalloc(sizeof *q);
    q->name = xasprintf("%s (%s)", name, path);
    q->stream = stream;
    q->timeout_ms = timeout_ms;
    ovs_list_init(&q->events);
    ds_init(&q->out);
    q->next_id = 1;

    error = qmp_run_until(q, qmp_is_greeted, deadline);
    if (error) {
        *errorp = (error == ETIMEDOUT
                   ? qmp_timeout_error(q, "QMP greeting")
                   : xasprintf("%s (before its QMP greeting)", q->error));
        qmp_close(q);
        return error;
    }
    error = qmp_execute(q, "qmp_capabilities", NULL, &refused, NULL, &text);
    if (!error && refused) {
        *errorp = xasprintf("%s: refused qmp_capabilities: %s", q->name,
                            text);
        free(text);
        qmp_close(q);
        return EPROTO;
    } else if (error) {
        *errorp = text;
        qmp_close(q);
        return error;
    }
    *qmpp = q;
    return 0;
}

void
qmp_close(struct qmp *q)
{
    struct json *event;

    if (!q) {
        return;
    }
    while ((event = qmp_recv_event(q))) {
        json_destroy(event);
    }
    if (q->parser) {
        json_destroy(json_parser_finish(q->parser));
    }
    json_destroy(q->answer);
    stream_close(q->stream);
    ds_destroy(&q->out);
    free(q->error);
    free(q->name);
    free(q);
}
