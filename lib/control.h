/* A daemon's control API: commands that operators (ovs-appctl), other
 * daemons and tests call: cutoverd's (for the VMM hook, cutover-hook) and
 * each host's cutover-announcer's (for cutoverd).
 *
 * A command is registered once and answered on every control channel: the
 * daemon's OVS unixctl socket (so that 'ovs-appctl -t SOCKET COMMAND ARG...'
 * works) and any number of extra JSON-RPC listeners (punix:, ptcp:, pssl:)
 * speaking the same protocol: a request {"method": COMMAND, "params":
 * [ARG...], "id": ID}, a reply {"result": TEXT, "error": null, "id": ID} or
 * {"result": null, "error": TEXT, "id": ID}.
 *
 * A handler may answer later (a switchover answers when the switches have
 * confirmed): it keeps the struct control_req and calls control_reply()
 * once, whenever it is done.  Every request must be answered exactly once;
 * a client that went away meanwhile is noticed when the answer is sent. */

#ifndef CONTROL_H
#define CONTROL_H 1

#include <stdbool.h>

#include "openvswitch/compiler.h"

struct control_req;
struct control_server;
struct unixctl_server;

/* Bounds on what clients may send.  A JSON-RPC request larger than
 * CONTROL_MAX_REQUEST bytes closes its connection (OVS's unixctl socket has
 * no such bound: it is the local administrator's); an argument longer than
 * CONTROL_MAX_ARG_LEN is refused on every channel before its handler sees
 * it, so no answer echoes more than that; a listener keeps at most
 * CONTROL_MAX_CONNS connections and closes newer ones at once. */
#define CONTROL_MAX_REQUEST (64 * 1024)
#define CONTROL_MAX_ARG_LEN 1024
#define CONTROL_MAX_CONNS 64

typedef void control_cb_func(struct control_req *, int argc,
                             const char *argv[], void *aux);

/* Registers 'name' (argv[0] is the name, then 'min_args' to 'max_args'
 * arguments) on the unixctl socket and on every control server. */
void control_register(const char *name, const char *usage, int min_args,
                      int max_args, control_cb_func *cb, void *aux);

/* Fencing, for a host's agent that several controllers may reach
 * (docs/ha.md).  control_enable_fencing() registers "controller/claim
 * GENERATION": a controller's connection claims the daemon with its
 * generation (the active controller's, from the northbound database); a
 * claim older than the newest one seen is refused as stale.  Once a claim
 * was made, commands registered with control_register_fenced() (those
 * that change something) are refused on every other control server
 * connection: only the newest claimant's are obeyed.  The unixctl socket
 * is the local administrator's and is never fenced. */
void control_enable_fencing(void);
void control_register_fenced(const char *name, const char *usage,
                             int min_args, int max_args, control_cb_func *cb,
                             void *aux);

/* Answers 'req' and frees it: success with 'text' (may be NULL) if 'ok',
 * otherwise the error 'text'. */
void control_reply(struct control_req *req, bool ok, const char *text);
void control_reply_format(struct control_req *req, bool ok,
                          const char *format, ...) OVS_PRINTF_FORMAT(3, 4);

/* From now on, every request gets the error "PROGRAM is exiting" without
 * reaching its handler; answers to requests already taken still go out.
 * The daemon calls it before it tears down what handlers use. */
void control_shutdown(void);

/* The command a request is for, for logs. */
const char *control_req_name(const struct control_req *);

/* Returns NULL if 'name' may be a control listener, otherwise an error (to
 * free) that says why not: it must be a passive stream (punix:FILE,
 * ptcp:PORT:IP, pssl:PORT[:IP]), and a ptcp: one names its IP, since
 * nothing authenticates its clients (pssl: ones present a certificate of
 * the CA). */
char *control_check_remote(const char *name);

/* Unix sockets (the daemon's unixctl socket, punix: listeners) are made
 * mode 0660 by control_fix_socket(): their owner (the daemon's user) and
 * their group may connect, nobody else.  control_set_socket_group() (a
 * daemon's --socket-group option) names that group, by name or number, so
 * that a VMM's hook running as another user can be let in without root;
 * it exits with a usage error if there is no such group.  Without it the
 * group is the daemon's own. */
void control_set_socket_group(const char *group);
/* Returns 0 or a positive errno. */
int control_fix_socket(const char *path) OVS_WARN_UNUSED_RESULT;

/* Makes 'path' (the daemon's unixctl socket) also reachable by the name
 * ovs-appctl looks for, PROGRAM.PID.ctl in the same directory (a symbolic
 * link, removed at exit), so that 'ovs-appctl -t PROGRAM' finds it when
 * OVS_RUNDIR is that directory and the pidfile PROGRAM.pid is there too
 * (cutover-appctl).  Returns 0 or a positive errno. */
int control_link_socket(const char *path) OVS_WARN_UNUSED_RESULT;

/* The daemon's unixctl socket at 'path', made as above (mode and group,
 * the PROGRAM.PID.ctl link); exits with a message if it cannot listen
 * there or set its mode or group. */
struct unixctl_server *control_unixctl_create(const char *path);

/* For a daemon's --remote option: checks 'name' (control_check_remote())
 * and appends it to the '*n' names in '*remotes', or exits with a usage
 * error that says what is wrong. */
void control_parse_remote(const char *name, char ***remotes, size_t *n);

/* Extra JSON-RPC listeners.  'name' is a passive stream name (punix:FILE,
 * ptcp:PORT[:IP], pssl:PORT[:IP]).  Returns 0 or a positive errno. */
int control_server_create(const char *name, struct control_server **)
    OVS_WARN_UNUSED_RESULT;
void control_server_run(struct control_server *);
void control_server_wait(struct control_server *);
/* Whether every request taken on 'server' is answered and its answer sent. */
bool control_server_is_idle(const struct control_server *);
void control_server_destroy(struct control_server *);

/* For clients: the text of a reply's result or error 'json' (NULL for
 * none): a string without the new lines and spaces it ends with (unixctl
 * answers end with a new line), anything else as JSON.  To free.
 * (cutover-hook's front, which links only the C library, has its own:
 * controller/hook-answer.c.) */
struct json;
char *control_reply_text(const struct json *);

#endif /* control.h */
