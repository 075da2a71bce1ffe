/* A daemon's control API (cutoverd's, cutover-announcer's).  See
 * control.h.
 *
 * Commands live in one table.  Each is registered with OVS's unixctl server
 * through a trampoline, and control servers (extra JSON-RPC listeners)
 * dispatch from the same table.  As in OVS's unixctl.c, a connection
 * handles one request at a time: it reads nothing more until the request is
 * answered, so a request answered late still finds its connection (a
 * client that left is noticed only when the answer cannot be sent, and the
 * connection goes then). */

#include <config.h>
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fatal-signal.h"
#include "jsonrpc.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "stream.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(control);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

struct control_command {
    const char *name;
    const char *usage;
    int min_args, max_args;
    control_cb_func *cb;
    void *aux;
    bool fenced;                /* control_register_fenced(). */
};

/* Name -> struct control_command. */
static struct shash commands = SHASH_INITIALIZER(&commands);

/* Whether control_shutdown() was called: requests are refused from then
 * on, without reaching their handlers. */
static bool shutting_down;

/* Fencing (control_enable_fencing()): the newest generation a controller
 * claimed, and the connection it claimed it on (NULL once that is gone). */
static bool fence_claimed;
static uint64_t fence_generation;
static struct control_conn *fence_holder;

/* The group control_fix_socket() gives unix sockets, or -1: the daemon's. */
static gid_t socket_group = (gid_t) -1;

struct control_conn {
    struct ovs_list node;       /* In its server's 'conns'. */
    struct control_server *server; /* NULL once the server is gone. */
    struct jsonrpc *rpc;
    struct control_req *req;    /* The request being answered, or NULL. */
    bool dead;                  /* Broken; freed by the server's next run
                                 * once 'req' is answered. */
    unsigned int msg_start;     /* jsonrpc_get_received_bytes() when the
                                 * request being read began. */
};

struct control_server {
    struct pstream *listener;
    struct ovs_list conns;
    size_t n_conns;
};

/* A request, from a unixctl client ('uconn') or a control server's client
 * ('conn'). */
struct control_req {
    const struct control_command *command;
    struct unixctl_conn *uconn;
    struct control_conn *conn;
    struct json *id;
};

static void control_conn_destroy(struct control_conn *);

/* Returns NULL if the 'argc' arguments in 'argv' (after the command's
 * name) are within CONTROL_MAX_ARG_LEN, otherwise an error (to free) that
 * names the first that is not, echoing at most its beginning. */
static char *
check_args(const char *name, int argc, const char *argv[])
{
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(argv[i]);

        if (len > CONTROL_MAX_ARG_LEN) {
            return xasprintf("%s: argument %d is %"PRIuSIZE" bytes long "
                             "(at most %d): \"%.32s...\"", name, i, len,
                             CONTROL_MAX_ARG_LEN, argv[i]);
        }
    }
    return NULL;
}

static void
unixctl_trampoline(struct unixctl_conn *uconn, int argc, const char *argv[],
                   void *command_)
{
    const struct control_command *command = command_;
    struct control_req *req;
    char *error;

    if (shutting_down) {
        char *msg = xasprintf("%s is exiting", program_name);

        unixctl_command_reply_error(uconn, msg);
        free(msg);
        return;
    }
    error = check_args(command->name, argc, argv);
    if (error) {
        unixctl_command_reply_error(uconn, error);
        free(error);
        return;
    }
    req = xzalloc(sizeof *req);
    req->command = command;
    req->uconn = uconn;
    command->cb(req, argc, argv, command->aux);
}

char *
control_check_remote(const char *name)
{
    if (pstream_verify_name(name)) {
        return xasprintf("'%s' is not a passive connection method "
                         "(expected punix:FILE, ptcp:PORT:IP or "
                         "pssl:PORT[:IP])", name);
    }
    if (!strncmp(name, "ptcp:", 5) && !strchr(name + 5, ':')) {
        return xasprintf("'%s' would answer anyone on every address, "
                         "without authentication: name the IP "
                         "(ptcp:PORT:IP), or use pssl: across machines",
                         name);
    }
    return NULL;
}

void
control_parse_remote(const char *name, char ***remotes, size_t *n)
{
    char *error = control_check_remote(name);

    if (error) {
        cli_usage_error("--remote: %s", error);
    }
    *remotes = xrealloc(*remotes, (*n + 1) * sizeof **remotes);
    (*remotes)[(*n)++] = CONST_CAST(char *, name);
}

void
control_set_socket_group(const char *group)
{
    struct group *gr;
    char *end;
    unsigned long gid;

    errno = 0;
    gid = strtoul(group, &end, 10);
    if (*group && !*end && !errno) {
        socket_group = gid;
        return;
    }
    gr = getgrnam(group);
    if (!gr) {
        cli_usage_error("--socket-group: no group '%s' on this machine",
                        group);
    }
    socket_group = gr->gr_gid;
}

int
control_fix_socket(const char *path)
{
    if (chmod(path, 0660)) {
        return errno;
    }
    if (socket_group != (gid_t) -1 && chown(path, -1, socket_group)) {
        return errno;
    }
    return 0;
}

int
control_link_socket(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xmemdup0(path, slash - path) : xstrdup(".");
    char *link = xasprintf("%s/%s.%ld.ctl", dir, program_name,
                           (long int) getpid());
    int error = 0;

    unlink(link);
    if (symlink(slash ? slash + 1 : path, link)) {
        error = errno;
    } else {
        fatal_signal_add_file_to_unlink(link);
    }
    free(link);
    free(dir);
    return error;
}

struct unixctl_server *
control_unixctl_create(const char *path)
{
    struct unixctl_server *unixctl;
    int error;

    error = unixctl_server_create(path, &unixctl);
    if (error) {
        ovs_fatal(error, "cannot listen on control socket %s", path);
    }
    error = control_fix_socket(path);
    if (error) {
        ovs_fatal(error, "cannot set the mode or group of control socket %s",
                  path);
    }
    error = control_link_socket(path);
    if (error) {
        VLOG_WARN("%s: cannot link it as %s.PID.ctl for ovs-appctl: %s",
                  path, program_name, ovs_strerror(error));
    }
    return unixctl;
}

void
control_shutdown(void)
{
    shutting_down = true;
}

static struct control_command *
register_command(const char *name, const char *usage, int min_args,
                 int max_args, control_cb_func *cb, void *aux)
{
    struct control_command *command = xzalloc(sizeof *command);

    command->name = name;
    command->usage = usage;
    command->min_args = min_args;
    command->max_args = max_args;
    command->cb = cb;
    command->aux = aux;
    shash_add_assert(&commands, name, command);
    unixctl_command_register(name, usage, min_args, max_args,
                             unixctl_trampoline, command);
    return command;
}

void
control_register(const char *name, const char *usage, int min_args,
                 int max_args, control_cb_func *cb, void *aux)
{
    register_command(name, usage, min_args, max_args, cb, aux);
}

void
control_register_fenced(const char *name, const char *usage, int min_args,
                        int max_args, control_cb_func *cb, void *aux)
{
    register_command(name, usage, min_args, max_args, cb, aux)->fenced = true;
}

/* "controller/claim GENERATION": see control_enable_fencing(). */
static void
claim_cb(struct control_req *req, int argc OVS_UNUSED, const char *argv[],
         void *aux OVS_UNUSED)
{
    unsigned long long int generation;

    if (!req->conn) {
        control_reply(req, false, "controller/claim is for a controller's "
                      "connection (a --remote), not the local socket");
        return;
    }
    if (!str_to_ullong(argv[1], 10, &generation)) {
        control_reply_format(req, false, "controller/claim: '%s' is not a "
                             "generation (expected a non-negative integer)",
                             argv[1]);
        return;
    }
    if (fence_claimed && generation < fence_generation) {
        control_reply_format(req, false, "stale controller: generation %llu "
                             "is older than %"PRIu64", which a controller "
                             "claimed already", generation,
                             fence_generation);
        return;
    }
    if (!fence_claimed || generation != fence_generation
        || fence_holder != req->conn) {
        VLOG_INFO("the controller of generation %llu claimed this %s "
                  "(%s)", generation, program_name,
                  jsonrpc_get_name(req->conn->rpc));
    }
    fence_claimed = true;
    fence_generation = generation;
    fence_holder = req->conn;
    control_reply_format(req, true, "claimed with generation %llu",
                         generation);
}

void
control_enable_fencing(void)
{
    control_register("controller/claim", "GENERATION", 1, 1, claim_cb, NULL);
}

const char *
control_req_name(const struct control_req *req)
{
    return req->command ? req->command->name : "(unknown)";
}

/* Sends the answer to a control server's client.  This never frees the
 * connection, whose server may be iterating over its connections right now
 * (the answer may come from another request's handler): a dead one is
 * freed by its server's next run, or here if its server is gone. */
static void
reply_conn(struct control_req *req, bool ok, const char *text)
{
    struct control_conn *conn = req->conn;
    struct json *body = json_string_create(text ? text : "");
    struct jsonrpc_msg *msg = (ok ? jsonrpc_create_reply(body, req->id)
                               : jsonrpc_create_error(body, req->id));

    conn->req = NULL;
    if (conn->dead) {
        jsonrpc_msg_destroy(msg);
        if (!conn->server) {
            control_conn_destroy(conn);
        }
    } else {
        /* An error here shows in the connection's status, and the server's
         * next run closes it. */
        jsonrpc_send(conn->rpc, msg);
    }
}

void
control_reply(struct control_req *req, bool ok, const char *text)
{
    if (!ok) {
        VLOG_DBG("%s: %s", control_req_name(req), text);
    }
    if (req->uconn) {
        if (ok) {
            unixctl_command_reply(req->uconn, text);
        } else {
            unixctl_command_reply_error(req->uconn, text);
        }
    } else {
        reply_conn(req, ok, text);
    }
    json_destroy(req->id);
    free(req);
}

void
control_reply_format(struct control_req *req, bool ok, const char *format,
                     ...)
{
    va_list args;
    char *text;

    va_start(args, format);
    text = xvasprintf(format, args);
    va_end(args);
    control_reply(req, ok, text);
    free(text);
}

int
control_server_create(const char *name, struct control_server **serverp)
{
    struct pstream *listener;
    int error;

    *serverp = NULL;
    error = pstream_open(name, &listener, 0);
    if (error) {
        return error;
    }
    if (!strncmp(name, "punix:", 6)) {
        error = control_fix_socket(name + 6);
        if (error) {
            VLOG_ERR("%s: cannot set the socket's mode or group: %s",
                     name + 6, ovs_strerror(error));
            pstream_close(listener);
            return error;
        }
    }
    *serverp = xzalloc(sizeof **serverp);
    (*serverp)->listener = listener;
    ovs_list_init(&(*serverp)->conns);
    /* With the port it got, for a ptcp:0 or pssl:0. */
    if (!strncmp(name, "ptcp:", 5)) {
        VLOG_WARN("control commands on %s: NOT AUTHENTICATED, anyone who "
                  "can reach it may run every command: only for a trusted "
                  "network (pssl: authenticates clients)",
                  pstream_get_name(listener));
    } else {
        VLOG_INFO("control commands on %s", pstream_get_name(listener));
    }
    return 0;
}

static void
control_conn_destroy(struct control_conn *conn)
{
    ovs_list_remove(&conn->node);
    if (conn->server) {
        conn->server->n_conns--;
    }
    if (conn == fence_holder) {
        fence_holder = NULL;
    }
    jsonrpc_close(conn->rpc);
    free(conn);
}

/* Answers with an error a request that cannot be dispatched. */
static void
reply_conn_error(struct control_conn *conn, const struct json *id,
                 const char *format, ...) OVS_PRINTF_FORMAT(3, 4);

static void
reply_conn_error(struct control_conn *conn, const struct json *id,
                 const char *format, ...)
{
    va_list args;
    char *text;

    va_start(args, format);
    text = xvasprintf(format, args);
    va_end(args);
    /* jsonrpc_create_error() takes a reference of its own to 'id'. */
    jsonrpc_send(conn->rpc, jsonrpc_create_error(json_string_create(text),
                                                 id));
    free(text);
}

/* Dispatches request 'msg' from 'conn', as unixctl.c does: the method is
 * the command, the params its arguments, all strings. */
static void
process_request(struct control_conn *conn, const struct jsonrpc_msg *msg)
{
    const struct control_command *command = shash_find_data(&commands,
                                                            msg->method);
    const struct json_array *params;
    const char **argv;
    struct control_req *req;
    size_t n;

    if (shutting_down) {
        reply_conn_error(conn, msg->id, "%s is exiting", program_name);
        return;
    }
    if (!command) {
        reply_conn_error(conn, msg->id, "\"%.64s%s\" is not a valid command",
                         msg->method, strlen(msg->method) > 64 ? "..." : "");
        return;
    }
    if (command->fenced && fence_claimed && conn != fence_holder) {
        reply_conn_error(conn, msg->id, "%s: refused: the controller of "
                         "generation %"PRIu64" holds this %s, and this "
                         "connection is not its (a standby or stale "
                         "controller?)", msg->method, fence_generation,
                         program_name);
        return;
    }
    params = (msg->params && msg->params->type == JSON_ARRAY
              ? json_array(msg->params) : NULL);
    if (!params) {
        reply_conn_error(conn, msg->id, "%s: params must be an array of "
                         "strings", msg->method);
        return;
    }
    n = params->n;
    if (n < command->min_args || n > command->max_args) {
        reply_conn_error(conn, msg->id, "\"%s\" command takes at %s %d "
                         "arguments (usage: %s %s)", msg->method,
                         n < command->min_args ? "least" : "most",
                         n < command->min_args ? command->min_args
                                               : command->max_args,
                         msg->method, command->usage);
        return;
    }
    argv = xmalloc((n + 2) * sizeof *argv);
    argv[0] = msg->method;
    for (size_t i = 0; i < n; i++) {
        if (params->elems[i]->type != JSON_STRING) {
            reply_conn_error(conn, msg->id, "%s: argument %"PRIuSIZE" is "
                             "not a string", msg->method, i + 1);
            free(argv);
            return;
        }
        argv[i + 1] = json_string(params->elems[i]);
    }
    argv[n + 1] = NULL;

    char *error = check_args(msg->method, n + 1, argv);
    if (error) {
        reply_conn_error(conn, msg->id, "%s", error);
        free(error);
        free(argv);
        return;
    }
    req = xzalloc(sizeof *req);
    req->command = command;
    req->conn = conn;
    req->id = json_clone(msg->id);
    conn->req = req;
    command->cb(req, n + 1, argv, command->aux);
    free(argv);
}

/* Returns 0, or an error that means the connection must go. */
static int
run_conn(struct control_conn *conn)
{
    int error;

    jsonrpc_run(conn->rpc);
    error = jsonrpc_get_status(conn->rpc);
    for (int i = 0; !error && i < 10 && !conn->req
                    && !jsonrpc_get_backlog(conn->rpc); i++) {
        struct jsonrpc_msg *msg;

        error = jsonrpc_recv(conn->rpc, &msg);
        if (error) {
            unsigned int read = (jsonrpc_get_received_bytes(conn->rpc)
                                 - conn->msg_start);

            if (error == EAGAIN && read > CONTROL_MAX_REQUEST) {
                /* jsonrpc_recv() reads at most a few kB at a time: the
                 * request is refused once it is this large, before it
                 * costs more memory or time. */
                VLOG_WARN_RL(&rl, "%s: request larger than %d bytes: "
                             "closing the connection",
                             jsonrpc_get_name(conn->rpc), CONTROL_MAX_REQUEST);
                struct json *id = json_null_create();

                jsonrpc_send(conn->rpc, jsonrpc_create_error(
                                 json_string_create("request too large"),
                                 id));
                json_destroy(id);
                error = EFBIG;
            }
            break;
        }
        conn->msg_start = jsonrpc_get_received_bytes(conn->rpc);
        if (msg->type == JSONRPC_REQUEST) {
            process_request(conn, msg);
        } else {
            VLOG_WARN_RL(&rl, "%s: received unexpected %s message",
                         jsonrpc_get_name(conn->rpc),
                         jsonrpc_msg_type_to_string(msg->type));
            error = EPROTO;
        }
        jsonrpc_msg_destroy(msg);
    }
    return error == EAGAIN ? 0 : error;
}

void
control_server_run(struct control_server *server)
{
    struct control_conn *conn;

    for (int i = 0; i < 10; i++) {
        struct stream *stream;
        int error = pstream_accept(server->listener, &stream);

        if (error == EAGAIN) {
            break;
        } else if (error) {
            VLOG_WARN_RL(&rl, "%s: accept failed: %s",
                         pstream_get_name(server->listener),
                         ovs_strerror(error));
            break;
        }
        if (server->n_conns >= CONTROL_MAX_CONNS) {
            VLOG_WARN_RL(&rl, "%s: %d connections already: refusing %s",
                         pstream_get_name(server->listener),
                         CONTROL_MAX_CONNS, stream_get_name(stream));
            stream_close(stream);
            continue;
        }
        conn = xzalloc(sizeof *conn);
        conn->server = server;
        conn->rpc = jsonrpc_open(stream);
        ovs_list_push_back(&server->conns, &conn->node);
        server->n_conns++;
    }

    /* Handlers may answer any request, on any connection, but free none:
     * dead connections go here only. */
    LIST_FOR_EACH_SAFE (conn, node, &server->conns) {
        int error;

        if (conn->dead) {
            if (!conn->req) {
                control_conn_destroy(conn);
            }
            continue;
        }
        error = run_conn(conn);
        if (error) {
            if (error != EOF) {
                VLOG_WARN_RL(&rl, "%s: closing connection: %s",
                             jsonrpc_get_name(conn->rpc),
                             ovs_retval_to_string(error));
            }
            if (conn->req) {
                /* Its request will still be answered: free it after. */
                conn->dead = true;
            } else {
                control_conn_destroy(conn);
            }
        }
    }
}

bool
control_server_is_idle(const struct control_server *server)
{
    const struct control_conn *conn;

    LIST_FOR_EACH (conn, node, &server->conns) {
        if (conn->req || (!conn->dead && jsonrpc_get_backlog(conn->rpc))) {
            return false;
        }
    }
    return true;
}

void
control_server_wait(struct control_server *server)
{
    struct control_conn *conn;

    pstream_wait(server->listener);
    LIST_FOR_EACH (conn, node, &server->conns) {
        if (conn->dead) {
            continue;
        }
        jsonrpc_wait(conn->rpc);
        if (!conn->req && !jsonrpc_get_backlog(conn->rpc)) {
            jsonrpc_recv_wait(conn->rpc);
        }
    }
}

void
control_server_destroy(struct control_server *server)
{
    if (server) {
        struct control_conn *conn;

        LIST_FOR_EACH_SAFE (conn, node, &server->conns) {
            if (conn->req) {
                /* Answered later by its handler, which must not find the
                 * connection gone: keep it as a dead one, freed then. */
                conn->dead = true;
                conn->server = NULL;
                ovs_list_remove(&conn->node);
                ovs_list_init(&conn->node);
            } else {
                control_conn_destroy(conn);
            }
        }
        pstream_close(server->listener);
        free(server);
    }
}

char *
control_reply_text(const struct json *json)
{
    char *text;
    size_t len;

    if (!json) {
        return xstrdup("");
    } else if (json->type != JSON_STRING) {
        return json_to_string(json, JSSF_SORT);
    }
    text = xstrdup(json_string(json));
    len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ')) {
        text[--len] = '\0';
    }
    return text;
}
