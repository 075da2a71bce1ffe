/* A client of QEMU's QMP monitor (QEMU Machine Protocol) on a Unix socket.
 *
 * QMP is not JSON-RPC: QEMU greets with {"QMP": {...}}, answers a command
 * {"execute": C, "arguments": {...}, "id": N} with {"return": ..., "id": N}
 * or {"error": {"class": ..., "desc": ...}, "id": N}, and sends events
 * {"event": E, "data": {...}, "timestamp": {"seconds": S, "microseconds":
 * U}} at any time, each JSON object followed by CRLF.  Until the client has
 * sent qmp_capabilities QEMU refuses every other command and sends no
 * events.
 *
 * qmp_open() connects, checks the greeting and negotiates capabilities.
 * qmp_execute() sends a command and waits for its answer within the
 * client's timeout; events that arrive meanwhile are queued for
 * qmp_recv_event(), in order.  Whatever the peer sends that is not JSON, or
 * not a QMP message, ends the connection with a message that says so
 * (qmp_get_error()); nothing the peer sends can crash the client. */

#ifndef QMP_H
#define QMP_H 1

#include <stdbool.h>

struct json;
struct qmp;

/* Connects to the QMP monitor on the Unix socket 'path', checks QEMU's
 * greeting and sends qmp_capabilities, within 'timeout_ms' (which also
 * bounds every later qmp_execute()).  'name' names the peer in messages
 * (e.g. "source QEMU").  Returns 0 and the client in '*qmpp', or a positive
 * errno value and a message (to free) in '*errorp'. */
int qmp_open(const char *name, const char *path, long long int timeout_ms,
             struct qmp **qmpp, char **errorp);
void qmp_close(struct qmp *);

/* What messages call the peer: "NAME (PATH)". */
const char *qmp_get_name(const struct qmp *);

/* Executes 'command' with 'arguments' (a JSON object, or NULL; taken).
 *
 * Returns 0 when QEMU answered: '*refusedp' false and, if 'returnp' is
 * nonnull, its "return" value in '*returnp' (to destroy) when it executed
 * the command; '*refusedp' true and its error ("CLASS: DESC") in '*textp'
 * (to free) when it refused.  Returns a positive errno value when it did
 * not answer within the timeout or the connection failed, with '*textp'
 * saying what happened. */
int qmp_execute(struct qmp *, const char *command, struct json *arguments,
                bool *refusedp, struct json **returnp, char **textp);

/* Reads what QEMU sent and sends what is pending, without blocking. */
void qmp_run(struct qmp *);
/* Makes poll_block() wake up when qmp_run() has something to do. */
void qmp_wait(struct qmp *);

/* Returns the oldest event received and not yet returned (a JSON object
 * with "event", "data" and "timestamp"; to destroy), or NULL. */
struct json *qmp_recv_event(struct qmp *);

/* 0 while the connection works; EOF when QEMU closed it, another positive
 * errno value when it failed (EPROTO: QEMU sent something that is not
 * QMP).  qmp_get_error() then says what happened. */
int qmp_get_status(const struct qmp *);
const char *qmp_get_error(const struct qmp *);

#endif /* qmp.h */
