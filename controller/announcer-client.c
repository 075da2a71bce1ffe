/* The controller's side of one host's announcer.  See announcer-client.h. */

#include <config.h>
#include "announcer-client.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "jsonrpc.h"
#include "kernel-neigh.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "stream.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announcer_client);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

/* A call sent and not yet collected by announcer_client_result(). */
struct call {
    struct ovs_list node;
    uint64_t token;
    struct json *id;            /* NULL once answered. */
    char *port;                 /* For a registration, its port. */
    uint64_t neigh_gen;         /* For a neighbours/set, the generation of
                                 * the peers it sent, else 0. */
    bool claim;                 /* A controller/claim. */
    bool ok;
    char *text;
};

/* A port's registration. */
struct registration {
    char *port;
    struct json *params;        /* [PORT, MAC, ...]. */
    unsigned int ok_seqno;      /* Session it was confirmed on, or 0. */
};

struct announcer_client {
    char *host;
    char *target;
    struct jsonrpc_session *session;
    unsigned int seqno;         /* Session the registrations went to. */
    struct shash registrations; /* Port -> struct registration. */
    struct ovs_list calls;      /* struct call. */

    /* Tunnel neighbours: the newest "neighbours/set" parameters. */
    struct json *neigh_params;  /* [BRIDGE, "IP=MAC"...], or NULL. */
    size_t n_peers;
    uint64_t neigh_gen;         /* Incremented whenever they change. */
    unsigned int neigh_ok_seqno; /* Session they were confirmed on, or 0. */
    uint64_t neigh_ok_gen;      /* Newest generation ever confirmed. */
    uint64_t next_token;
    char *last_error;

    /* The controller's generation (announcer_client_set_generation()): 0
     * while it is a standby, which sends nothing. */
    uint64_t generation;
    unsigned int claim_ok_seqno; /* Session the claim was confirmed on. */
};

struct announcer_client *
announcer_client_create(const char *host, const char *target)
{
    struct announcer_client *ac = xzalloc(sizeof *ac);

    ac->host = xstrdup(host);
    ac->target = xstrdup(target);
    ac->session = jsonrpc_session_open(ac->target, true);
    jsonrpc_session_set_probe_interval(ac->session, 0);
    shash_init(&ac->registrations);
    ovs_list_init(&ac->calls);
    return ac;
}

static void
call_free(struct call *call)
{
    ovs_list_remove(&call->node);
    json_destroy(call->id);
    free(call->port);
    free(call->text);
    free(call);
}

void
announcer_client_destroy(struct announcer_client *ac)
{
    if (ac) {
        struct shash_node *node;
        struct call *call;

        LIST_FOR_EACH_SAFE (call, node, &ac->calls) {
            call_free(call);
        }
        SHASH_FOR_EACH (node, &ac->registrations) {
            struct registration *r = node->data;

            json_destroy(r->params);
            free(r->port);
            free(r);
        }
        shash_destroy(&ac->registrations);
        json_destroy(ac->neigh_params);
        jsonrpc_session_close(ac->session);
        free(ac->last_error);
        free(ac->host);
        free(ac->target);
        free(ac);
    }
}

const char *
announcer_client_target(const struct announcer_client *ac)
{
    return ac->target;
}

bool
announcer_client_is_connected(const struct announcer_client *ac)
{
    return jsonrpc_session_is_connected(ac->session);
}

/* Sends 'method' with 'params' (taken).  Returns its token, or 0 if the
 * session is down.  Nobody collects the answer of a call that is not
 * 'wanted' (token 0): it is freed when it comes. */
static struct call *
send_request(struct announcer_client *ac, const char *method,
             struct json *params, const char *port, bool wanted)
{
    struct jsonrpc_msg *msg;
    struct json *id;
    struct call *call;

    if (!jsonrpc_session_is_connected(ac->session)) {
        json_destroy(params);
        return NULL;
    }
    msg = jsonrpc_create_request(method, params, &id);
    if (jsonrpc_session_send(ac->session, msg)) {
        json_destroy(id);
        return NULL;
    }
    call = xzalloc(sizeof *call);
    call->token = wanted ? ++ac->next_token : 0;
    call->id = id;
    call->port = nullable_xstrdup(port);
    ovs_list_push_back(&ac->calls, &call->node);
    return call;
}

/* Like send_request(), for everything but the claim: a standby sends
 * nothing.  Returns the call's token (1 if not 'wanted'), or 0. */
static uint64_t
send_call(struct announcer_client *ac, const char *method,
          struct json *params, const char *port, bool wanted)
{
    struct call *call;

    if (!ac->generation) {
        json_destroy(params);
        return 0;
    }
    call = send_request(ac, method, params, port, wanted);
    return !call ? 0 : wanted ? call->token : 1;
}

static uint64_t send_registration(struct announcer_client *,
                                  struct registration *, bool wanted);
static void send_neighbours(struct announcer_client *);

/* Claims the agent with the controller's generation, first thing on a
 * session: from then on the agent refuses changes from any other
 * controller's connection (docs/ha.md). */
static void
send_claim(struct announcer_client *ac)
{
    struct call *call;
    char *gen = xasprintf("%"PRIu64, ac->generation);

    ac->claim_ok_seqno = 0;
    call = send_request(ac, "controller/claim",
                        json_array_create_1(json_string_create_nocopy(gen)),
                        NULL, false);
    if (call) {
        call->claim = true;
    }
}

/* Sends, on a new session or to a controller that has just become active,
 * the claim and then everything the agent must have. */
static void
send_all(struct announcer_client *ac)
{
    struct shash_node *node;

    if (!ac->generation) {
        return;
    }
    send_claim(ac);
    SHASH_FOR_EACH (node, &ac->registrations) {
        send_registration(ac, node->data, false);
    }
    if (ac->neigh_params) {
        send_neighbours(ac);
    }
}

void
announcer_client_set_generation(struct announcer_client *ac,
                                uint64_t generation)
{
    if (generation != ac->generation) {
        ac->generation = generation;
        ac->claim_ok_seqno = 0;
        send_all(ac);
    }
}

/* Sends the newest tunnel neighbours. */
static void
send_neighbours(struct announcer_client *ac)
{
    struct call *call;

    ac->neigh_ok_seqno = 0;
    if (send_call(ac, "neighbours/set", json_clone(ac->neigh_params), NULL,
                  false)) {
        call = CONTAINER_OF(ovs_list_back(&ac->calls), struct call, node);
        call->neigh_gen = ac->neigh_gen;
    }
}

void
announcer_client_set_neighbours(struct announcer_client *ac,
                                const char *bridge,
                                const struct kernel_neigh *peers, size_t n)
{
    struct json *params = json_array_create_empty();

    json_array_add(params, json_string_create(bridge));
    for (size_t i = 0; i < n; i++) {
        json_array_add(params, json_string_create_nocopy(
                           xasprintf(IP_FMT"="ETH_ADDR_FMT,
                                     IP_ARGS(peers[i].ip),
                                     ETH_ADDR_ARGS(peers[i].mac))));
    }
    if (ac->neigh_params && json_equal(params, ac->neigh_params)) {
        json_destroy(params);
        return;
    }
    json_destroy(ac->neigh_params);
    ac->neigh_params = params;
    ac->n_peers = n;
    ac->neigh_gen++;
    send_neighbours(ac);
}

bool
announcer_client_neighbours_synced(const struct announcer_client *ac)
{
    if (!ac->neigh_params || ac->neigh_ok_gen != ac->neigh_gen) {
        return false;
    }
    /* An agent that went away leaves what it set where it set it; one that
     * is back must confirm them again (it may be a new one). */
    return (!jsonrpc_session_is_connected(ac->session)
            || ac->neigh_ok_seqno == jsonrpc_session_get_seqno(ac->session));
}

static uint64_t
send_registration(struct announcer_client *ac, struct registration *r,
                  bool wanted)
{
    r->ok_seqno = 0;
    return send_call(ac, "announcer/register", json_clone(r->params),
                     r->port, wanted);
}

uint64_t
announcer_client_register(struct announcer_client *ac, const char *port,
                          const char **args, size_t n)
{
    struct registration *r = shash_find_data(&ac->registrations, port);
    struct json *params = json_array_create_empty();

    json_array_add(params, json_string_create(port));
    for (size_t i = 0; i < n; i++) {
        json_array_add(params, json_string_create(args[i]));
    }
    if (!r) {
        r = xzalloc(sizeof *r);
        r->port = xstrdup(port);
        shash_add(&ac->registrations, port, r);
    } else {
        json_destroy(r->params);
    }
    r->params = params;
    return send_registration(ac, r, true);
}

void
announcer_client_withdraw(struct announcer_client *ac, const char *port)
{
    struct registration *r = shash_find_and_delete(&ac->registrations, port);
    struct json *params;

    if (!r) {
        return;
    }
    json_destroy(r->params);
    free(r->port);
    free(r);
    params = json_array_create_1(json_string_create(port));
    /* Nobody waits for it: an announcer that forgot the port already is
     * as good as one that withdrew it. */
    send_call(ac, "announcer/withdraw", params, NULL, false);
}

bool
announcer_client_is_registered(const struct announcer_client *ac,
                               const char *port)
{
    const struct registration *r = shash_find_data(&ac->registrations, port);

    return (r && r->ok_seqno
            && r->ok_seqno == jsonrpc_session_get_seqno(ac->session)
            && jsonrpc_session_is_connected(ac->session));
}

uint64_t
announcer_client_fire(struct announcer_client *ac, const char **ports,
                      size_t n)
{
    return announcer_client_call(ac, "announcer/fire", ports, n, true);
}

uint64_t
announcer_client_call(struct announcer_client *ac, const char *method,
                      const char **args, size_t n, bool wanted)
{
    struct json *params = json_array_create_empty();

    for (size_t i = 0; i < n; i++) {
        json_array_add(params, json_string_create(args[i]));
    }
    return send_call(ac, method, params, NULL, wanted);
}

unsigned int
announcer_client_session(const struct announcer_client *ac)
{
    return (jsonrpc_session_is_connected(ac->session)
            ? jsonrpc_session_get_seqno(ac->session) : 0);
}

bool
announcer_client_result(struct announcer_client *ac, uint64_t token,
                        bool *ok, char **text)
{
    struct call *call;

    LIST_FOR_EACH (call, node, &ac->calls) {
        if (call->token == token) {
            if (call->id) {
                return false;
            }
            *ok = call->ok;
            *text = call->text;
            call->text = NULL;
            call_free(call);
            return true;
        }
    }
    *ok = false;
    *text = xstrdup("no such call");
    return true;
}

/* Records the answer 'msg' to the call it answers. */
static void
handle_reply(struct announcer_client *ac, const struct jsonrpc_msg *msg)
{
    struct call *call;

    LIST_FOR_EACH_SAFE (call, node, &ac->calls) {
        if (!call->id || !json_equal(call->id, msg->id)) {
            continue;
        }
        json_destroy(call->id);
        call->id = NULL;
        call->ok = msg->type == JSONRPC_REPLY;
        const struct json *body = call->ok ? msg->result : msg->error;
        call->text = control_reply_text(body);
        if (call->claim) {
            if (call->ok) {
                ac->claim_ok_seqno = jsonrpc_session_get_seqno(ac->session);
            } else {
                free(ac->last_error);
                ac->last_error = xasprintf("controller/claim: %s",
                                           call->text);
                VLOG_WARN_RL(&rl, "%s: agent %s: %s", ac->host, ac->target,
                             ac->last_error);
            }
        } else if (call->neigh_gen) {
            if (call->ok && call->neigh_gen == ac->neigh_gen) {
                ac->neigh_ok_seqno = jsonrpc_session_get_seqno(ac->session);
                ac->neigh_ok_gen = call->neigh_gen;
            } else if (!call->ok) {
                free(ac->last_error);
                ac->last_error = xasprintf("neighbours/set: %s", call->text);
                VLOG_WARN_RL(&rl, "%s: agent %s: %s", ac->host, ac->target,
                             ac->last_error);
            }
        } else if (call->port) {
            struct registration *r = shash_find_data(&ac->registrations,
                                                     call->port);
            if (r && call->ok) {
                r->ok_seqno = jsonrpc_session_get_seqno(ac->session);
            } else if (!call->ok) {
                free(ac->last_error);
                ac->last_error = xasprintf("register %s: %s", call->port,
                                           call->text);
                VLOG_WARN_RL(&rl, "%s: announcer %s: %s", ac->host,
                             ac->target, ac->last_error);
            }
        }
        if (!call->token) {
            call_free(call);
        }
        return;
    }
}

void
announcer_client_run(struct announcer_client *ac)
{
    struct call *call;

    jsonrpc_session_run(ac->session);
    if (jsonrpc_session_get_seqno(ac->session) != ac->seqno) {
        /* Reconnected (or lost): what was in flight is lost, and a
         * restarted announcer has forgotten every registration. */
        ac->seqno = jsonrpc_session_get_seqno(ac->session);
        LIST_FOR_EACH_SAFE (call, node, &ac->calls) {
            if (call->id) {
                json_destroy(call->id);
                call->id = NULL;
                call->ok = false;
                call->text = xstrdup("connection to the announcer lost");
                if (!call->token) {
                    call_free(call);
                }
            }
        }
        if (jsonrpc_session_is_connected(ac->session)) {
            VLOG_INFO("%s: connected to agent %s", ac->host, ac->target);
            send_all(ac);
        }
    }
    for (int i = 0; i < 50; i++) {
        struct jsonrpc_msg *msg = jsonrpc_session_recv(ac->session);

        if (!msg) {
            break;
        }
        if (msg->type == JSONRPC_REPLY || msg->type == JSONRPC_ERROR) {
            handle_reply(ac, msg);
        }
        jsonrpc_msg_destroy(msg);
    }
}

void
announcer_client_wait(struct announcer_client *ac)
{
    jsonrpc_session_wait(ac->session);
    jsonrpc_session_recv_wait(ac->session);
}

void
announcer_client_format_status(const struct announcer_client *ac,
                               struct ds *s)
{
    size_t n_ok = 0;
    struct shash_node *node;

    SHASH_FOR_EACH (node, &ac->registrations) {
        n_ok += announcer_client_is_registered(ac, node->name);
    }
    ds_put_format(s, "%s %s, %"PRIuSIZE" ports registered (%"PRIuSIZE
                  " confirmed)", ac->target,
                  jsonrpc_session_is_connected(ac->session)
                  ? "connected" : "not connected",
                  shash_count(&ac->registrations), n_ok);
    if (ac->neigh_params) {
        ds_put_format(s, ", tunnel neighbours: %"PRIuSIZE" peers %s",
                      ac->n_peers, !announcer_client_neighbours_synced(ac)
                      ? "not confirmed yet"
                      : jsonrpc_session_is_connected(ac->session) ? "set"
                      : "set when it was last connected");
    }
    if (!ac->generation) {
        ds_put_cstr(s, ", standby: nothing sent");
    } else if (ac->claim_ok_seqno
               && ac->claim_ok_seqno == jsonrpc_session_get_seqno(ac->session)
               && jsonrpc_session_is_connected(ac->session)) {
        ds_put_format(s, ", claimed with generation %"PRIu64, ac->generation);
    }
    if (ac->last_error) {
        ds_put_format(s, ", last error: %s", ac->last_error);
    }
}
