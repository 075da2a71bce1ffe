/* Unit tests for cutoverd's migration engine (controller/migration.c and
 * migration-control.c): every command from every state, the answers and
 * the states they lead to, with the hosts, the announcer, the control
 * channel and the records replaced by the fakes below, and the clock
 * (time_msec()) and the packet-out announcements replaced with
 * -Wl,--wrap.  The fakes also check the engine's structure: no request
 * handler hands flows to a host or answers another request. */

#include <config.h>
#include "migration-private.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "announcer-client.h"
#include "control.h"
#include "flow-set.h"
#include "hostctl.h"
#include "model.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "packet-announce.h"
#include "util.h"

/* The clock. */

static long long int fake_now = 1000000;
long long int __wrap_time_msec(void);

long long int
__wrap_time_msec(void)
{
    return fake_now;
}

/* Hosts. */

struct hostctl {
    const char *name;
    bool connected;
    bool ready;                 /* Its ports are known. */
    bool frozen;                /* Confirms nothing. */
    uint64_t next, confirmed;   /* Installer sequence numbers. */
    unsigned int ofport, incoming;
    int n_claims;
    int n_updates;              /* Times it was handed the port's flows. */
    bool has_announcer;         /* hostctl_announcer() is 'fake_ann'. */
};

static struct hostctl fake_hosts[3];
static struct shash hosts;
static bool in_handler;         /* A control handler is running. */
static int n_handed;            /* Flows handed to hosts. */

uint64_t
hostctl_update_port(struct hostctl *hc, const struct model *model OVS_UNUSED,
                    const struct model_port *p OVS_UNUSED)
{
    assert_false(in_handler);
    n_handed++;
    hc->n_updates++;
    return hc->ready ? ++hc->next : 0;
}

bool
hostctl_is_confirmed(const struct hostctl *hc, uint64_t seqno)
{
    return seqno && hc->confirmed >= seqno;
}

bool
hostctl_is_connected(const struct hostctl *hc)
{
    return hc->connected;
}

bool
hostctl_neighbours_synced(const struct hostctl *hc OVS_UNUSED)
{
    return true;
}

unsigned int
hostctl_iface_ofport(const struct hostctl *hc, const char *port OVS_UNUSED)
{
    return hc->ofport;
}

unsigned int
hostctl_incoming_ofport(const struct hostctl *hc, const char *port OVS_UNUSED)
{
    return hc->incoming;
}

void
hostctl_promote_incoming(struct hostctl *hc, const char *port OVS_UNUSED)
{
    hc->incoming = 0;
}

void
hostctl_hold(struct hostctl *hc OVS_UNUSED, bool hold OVS_UNUSED)
{
}

const struct of_flow_set *
hostctl_get_readback(const struct hostctl *hc OVS_UNUSED)
{
    return NULL;
}

/* The announcer: only a host with 'has_announcer' has one (h2 in the hold
 * tests), a fake that answers every call it is asked to answer at once
 * (hold/start "holding", hold/replay and hold/release what a daemon says)
 * and logs every call it gets, as "METHOD ARG...". */

struct announcer_client {
    bool connected;
    unsigned int session;
    uint64_t next_token;
    const char *mute;           /* A method it answers never. */
    uint64_t muted_token;
    bool registered;
    char *calls[64];
    size_t n_calls;
    struct {
        uint64_t token;
        char *text;
    } pending[8];
    size_t n_pending;
};

static struct announcer_client fake_ann;

static void
fake_ann_reset(void)
{
    for (size_t i = 0; i < fake_ann.n_calls; i++) {
        free(fake_ann.calls[i]);
    }
    for (size_t i = 0; i < fake_ann.n_pending; i++) {
        free(fake_ann.pending[i].text);
    }
    memset(&fake_ann, 0, sizeof fake_ann);
    fake_ann.connected = true;
    fake_ann.session = 1;
}

/* Whether the fake announcer was called "LINE" (a whole call). */
static bool
ann_called(const char *line)
{
    for (size_t i = 0; i < fake_ann.n_calls; i++) {
        if (!strcmp(fake_ann.calls[i], line)) {
            return true;
        }
    }
    return false;
}

static uint64_t
fake_ann_log(const char *method, const char **args, size_t n,
             const char *answer)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    assert_false(in_handler);
    ds_put_cstr(&s, method);
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&s, " %s", args[i]);
    }
    assert_true(fake_ann.n_calls < ARRAY_SIZE(fake_ann.calls));
    fake_ann.calls[fake_ann.n_calls++] = ds_steal_cstr(&s);
    if (!answer) {
        return 1;
    }
    assert_true(fake_ann.n_pending < ARRAY_SIZE(fake_ann.pending));
    fake_ann.pending[fake_ann.n_pending].token = ++fake_ann.next_token;
    fake_ann.pending[fake_ann.n_pending].text = xstrdup(answer);
    fake_ann.n_pending++;
    return fake_ann.next_token;
}

struct announcer_client *
hostctl_announcer(const struct hostctl *hc)
{
    return hc->has_announcer ? &fake_ann : NULL;
}

struct packet_announce *
hostctl_packet_announce(const struct hostctl *hc)
{
    return (struct packet_announce *) hc;
}

uint64_t
announcer_client_register(struct announcer_client *ac, const char *port,
                          const char **args, size_t n)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    assert_false(in_handler);
    ds_put_format(&s, "announcer/register %s", port);
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&s, " %s", args[i]);
    }
    assert_true(ac->n_calls < ARRAY_SIZE(ac->calls));
    ac->calls[ac->n_calls++] = ds_steal_cstr(&s);
    ac->registered = true;
    return 1;
}

void
announcer_client_withdraw(struct announcer_client *ac, const char *port)
{
    assert_true(ac->n_calls < ARRAY_SIZE(ac->calls));
    ac->calls[ac->n_calls++] = xasprintf("announcer/withdraw %s", port);
    ac->registered = false;
}

bool
announcer_client_is_connected(const struct announcer_client *ac)
{
    return ac->connected;
}

bool
announcer_client_is_registered(const struct announcer_client *ac,
                               const char *port OVS_UNUSED)
{
    return ac->registered && ac->connected;
}

uint64_t
announcer_client_fire(struct announcer_client *ac OVS_UNUSED,
                      const char **ports, size_t n)
{
    return fake_ann_log("announcer/fire", ports, n,
                        "fired 1 ports, 2 frames in 1.000 us");
}

uint64_t
announcer_client_call(struct announcer_client *ac, const char *method,
                      const char **args, size_t n, bool wanted)
{
    const char *answer = (!strcmp(method, "hold/start") ? "holding"
                          : !strcmp(method, "hold/replay")
                          ? "replayed 3 frames (1 copies, 1 forwarded, 1 "
                            "direct, 300 bytes), 0 stale copies in 10 us"
                          : !strcmp(method, "hold/release")
                          ? "released 2 frames (0 copies, 1 forwarded, 1 "
                            "direct, 200 bytes), 1 stale copies in 10 us"
                          : "done");

    if (!ac->connected) {
        return 0;
    }
    if (ac->mute && !strcmp(method, ac->mute)) {
        fake_ann_log(method, args, n, NULL);
        return ac->muted_token = ++ac->next_token;
    }
    return fake_ann_log(method, args, n, wanted ? answer : NULL);
}

unsigned int
announcer_client_session(const struct announcer_client *ac)
{
    return ac->connected ? ac->session : 0;
}

bool
announcer_client_result(struct announcer_client *ac, uint64_t token,
                        bool *okp, char **textp)
{
    if (token && token == ac->muted_token) {
        return false;
    }
    for (size_t i = 0; i < ac->n_pending; i++) {
        if (ac->pending[i].token == token) {
            *okp = true;
            *textp = ac->pending[i].text;
            ac->pending[i] = ac->pending[--ac->n_pending];
            return true;
        }
    }
    *okp = false;
    *textp = xstrdup("connection to the announcer lost");
    return true;
}

/* Packet-out announcements (the real module is linked for
 * packet_announce_identities(); these are wrapped). */

int __wrap_packet_announce_start(struct packet_announce *,
                                 const struct model *,
                                 const struct model_port *, struct ds *);
int __wrap_packet_announce_claim(struct packet_announce *,
                                 const struct model *,
                                 const struct model_port *, struct ds *);
void __wrap_packet_announce_cancel(struct packet_announce *, const char *);

int
__wrap_packet_announce_start(struct packet_announce *pa OVS_UNUSED,
                             const struct model *model OVS_UNUSED,
                             const struct model_port *p OVS_UNUSED,
                             struct ds *result)
{
    assert_false(in_handler);
    ds_put_cstr(result, "round 1 of 5, 2 frames");
    return 0;
}

int
__wrap_packet_announce_claim(struct packet_announce *pa,
                             const struct model *model OVS_UNUSED,
                             const struct model_port *p OVS_UNUSED,
                             struct ds *result)
{
    struct hostctl *hc = (struct hostctl *) pa;

    assert_false(in_handler);
    hc->n_claims++;
    ds_put_cstr(result, "round 1 of 1, 1 frame");
    return 0;
}

void
__wrap_packet_announce_cancel(struct packet_announce *pa OVS_UNUSED,
                              const char *port OVS_UNUSED)
{
    assert_false(in_handler);
}

/* The control channel. */

struct control_req {
    int id;
};

struct answer {
    int id;
    bool ok;
    char *text;
};

static struct answer answers[16];
static size_t n_answers;

struct command {
    const char *name;
    int min_args, max_args;
    control_cb_func *cb;
    void *aux;
};
static struct command commands[16];
static size_t n_commands;

void
control_register(const char *name, const char *usage OVS_UNUSED,
                 int min_args, int max_args, control_cb_func *cb, void *aux)
{
    assert_true(n_commands < ARRAY_SIZE(commands));
    commands[n_commands++] = (struct command) {
        name, min_args, max_args, cb, aux,
    };
}

void
control_reply(struct control_req *req, bool ok, const char *text)
{
    assert_true(n_answers < ARRAY_SIZE(answers));
    answers[n_answers++] = (struct answer) {
        req->id, ok, xstrdup(text ? text : ""),
    };
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

const char *
control_req_name(const struct control_req *req OVS_UNUSED)
{
    return "test";
}

/* Records: every state is committed at once. */

void
migration_record_init(struct migration_engine *me OVS_UNUSED)
{
}

void
migration_record_run(struct migration_engine *me)
{
    struct migration *m;

    HMAP_FOR_EACH (m, node, &me->migrations) {
        m->recorded = m->state;
        m->row_exists = true;
    }
}

void
migration_record_wait(struct migration_engine *me OVS_UNUSED)
{
}

void
migration_record_forget(struct migration_engine *me OVS_UNUSED,
                        struct migration *m OVS_UNUSED)
{
}

void
migration_record_destroy(struct migration_engine *me OVS_UNUSED)
{
}

void
migration_record_load(struct migration_engine *me OVS_UNUSED)
{
}

/* The world: hosts h1, h2, h3; vm1 lives on h1. */

struct world {
    struct model model;
    struct migration_engine *me;
};

static int next_req_id;

static void
clear_answers(void)
{
    for (size_t i = 0; i < n_answers; i++) {
        free(answers[i].text);
    }
    n_answers = 0;
}

static int
setup(void **state)
{
    static const char *names[] = { "h1", "h2", "h3" };
    static const char *ips[] = { "172.16.0.11", "172.16.0.12",
                                 "172.16.0.13" };
    const struct migration_config cfg = {
        .switchover_timeout_ms = MIGRATION_SWITCHOVER_TIMEOUT_MS,
        .step_timeout_ms = MIGRATION_STEP_TIMEOUT_MS,
        .grace_ms = 0,
        .history = MIGRATION_HISTORY,
        .hold_margin_ms = MIGRATION_HOLD_MARGIN_MS,
        .hold = true,
    };
    struct world *w = xzalloc(sizeof *w);
    const char *ip = "10.0.0.5";
    struct model_network *net;
    struct model_subnet *sub;
    char *error = NULL;

    model_init(&w->model);
    shash_init(&hosts);
    for (int i = 0; i < 3; i++) {
        fake_hosts[i] = (struct hostctl) {
            .name = names[i], .connected = true, .ready = true,
            .ofport = 7,
        };
        shash_add(&hosts, names[i], &fake_hosts[i]);
        assert_non_null(model_add_host(&w->model, names[i], ips[i], &error));
    }
    net = model_add_network(&w->model, "vpc1", MODEL_NET_VXLAN, 1001, &error);
    sub = model_add_subnet(&w->model, net, "web", "10.0.0.0/24", "10.0.0.1",
                           "02:00:00:00:01:01", &error);
    assert_non_null(model_add_port(&w->model, sub, "vm1", 1,
                                   "02:00:0a:00:00:05", &ip, 1,
                                   model_find_host(&w->model, "h1"),
                                   &error));
    n_commands = 0;
    fake_ann_reset();
    w->me = migration_engine_create(NULL, &hosts, &w->model, &cfg);
    w->me->active = true;
    w->me->loaded = true;
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;

    migration_engine_destroy(w->me);
    model_destroy(&w->model);
    shash_destroy(&hosts);
    clear_answers();
    fake_ann_reset();
    free(w);
    return 0;
}

/* One turn of cutoverd's loop: the engine runs, does what switchovers left
 * for after the flush, and records, then the hosts
 * that are not frozen confirm everything they were handed.  (The model is not
 * rebuilt from a database here, so migration_engine_apply() never runs:
 * finished migrations stay to be looked at.) */
static void
turn(struct world *w)
{
    migration_engine_run(w->me);
    migration_engine_run_after(w->me);
    migration_engine_record(w->me);
    for (int i = 0; i < 3; i++) {
        if (!fake_hosts[i].frozen) {
            fake_hosts[i].confirmed = fake_hosts[i].next;
        }
    }
}

/* Sends "COMMAND ARG..." and returns the index of its answer once it has
 * one (after at most a few turns of the loop), or -1. */
static int
request(struct world *w, const char *line)
{
    char *copy = xstrdup(line);
    const char *argv[8];
    int argc = 0;
    struct control_req *req = xzalloc(sizeof *req);
    int id = req->id = ++next_req_id;

    for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        argv[argc++] = tok;
    }
    argv[argc] = NULL;
    for (size_t i = 0; i < n_commands; i++) {
        if (!strcmp(commands[i].name, argv[0])) {
            size_t before = n_answers;

            assert_in_range(argc - 1, commands[i].min_args,
                            commands[i].max_args);
            in_handler = true;
            commands[i].cb(req, argc, argv, commands[i].aux);
            in_handler = false;
            /* A handler answers its own request or none. */
            for (size_t j = before; j < n_answers; j++) {
                assert_int_equal(answers[j].id, id);
            }
            break;
        }
    }
    free(copy);
    for (int t = 0; t < 5; t++) {
        for (size_t j = 0; j < n_answers; j++) {
            if (answers[j].id == id) {
                return j;
            }
        }
        turn(w);
    }
    return -1;
}

/* Sends 'line' and checks that its answer is 'ok' and contains 'text'. */
static void
expect(struct world *w, const char *line, bool ok, const char *text)
{
    int i = request(w, line);

    if (i < 0) {
        fail_msg("'%s': no answer", line);
    }
    if (answers[i].ok != ok || !strstr(answers[i].text, text)) {
        fail_msg("'%s': answered %s '%s', expected %s '%s'", line,
                 answers[i].ok ? "ok" : "error", answers[i].text,
                 ok ? "ok" : "error", text);
    }
}

static const char *
state_name(struct world *w)
{
    const struct migration *m = migration_find(w->me, "vm1");

    return m ? mig_states[m->state].name : "none";
}

/* The states a migration rests in, and how to reach each from none. */
enum rest { R_NONE, R_PREPARED, R_SWITCHED, R_ACTIVE, R_COMPLETE,
            R_ABORTED, R_FAILED, N_REST };

static const char *const rest_names[N_REST] = {
    "none", "prepared", "switched", "active", "complete", "aborted",
    "failed",
};

static void
reach(struct world *w, enum rest r)
{
    switch (r) {
    case R_NONE:
        return;
    case R_PREPARED:
    case R_SWITCHED:
    case R_ACTIVE:
    case R_COMPLETE:
        expect(w, "migration/prepare vm1 h2", true, "vm1 prepared on h2");
        if (r == R_PREPARED) {
            break;
        }
        expect(w, "migration/switchover vm1", true,
               "vm1 switched over from h1 to h2");
        if (r == R_SWITCHED) {
            break;
        }
        expect(w, "migration/activate vm1", true, "vm1 active on h2");
        if (r == R_ACTIVE) {
            break;
        }
        expect(w, "migration/complete vm1", true,
               "vm1 complete: its home is now h2");
        break;
    case R_ABORTED:
        expect(w, "migration/prepare vm1 h2", true, "vm1 prepared on h2");
        expect(w, "migration/abort vm1", true, "vm1 aborted: back on h1");
        break;
    case R_FAILED:
        fake_hosts[1].frozen = true;
        assert_int_equal(request(w, "migration/prepare vm1 h2"), -1);
        fake_now += MIGRATION_STEP_TIMEOUT_MS;
        turn(w);
        fake_hosts[1].frozen = false;
        assert_int_equal(n_answers, 1);
        assert_false(answers[0].ok);
        assert_non_null(strstr(answers[0].text,
                               "destination host h2 did not confirm"));
        break;
    case N_REST:
        OVS_NOT_REACHED();
    }
    assert_string_equal(state_name(w), rest_names[r]);
    clear_answers();
}

/* What a command does from each resting state: answered ok or not, a text
 * the answer contains, and the state afterwards. */
struct outcome {
    bool ok;
    const char *text;
    const char *state;
};

struct row {
    const char *command;
    struct outcome from[N_REST];
};

#define OK(TEXT, STATE) { true, TEXT, STATE }
#define NO(TEXT, STATE) { false, TEXT, STATE }

static const struct row table[] = {
    { "migration/prepare vm1 h3", {
        [R_NONE] = OK("vm1 prepared on h3", "prepared"),
        [R_PREPARED] = NO("port vm1 already migrating to h2 (prepared)",
                          "prepared"),
        [R_SWITCHED] = NO("already migrating to h2 (switched)", "switched"),
        [R_ACTIVE] = NO("already migrating to h2 (active)", "active"),
        [R_COMPLETE] = OK("vm1 prepared on h3", "prepared"),
        [R_ABORTED] = OK("vm1 prepared on h3", "prepared"),
        [R_FAILED] = OK("vm1 prepared on h3", "prepared"),
    } },
    { "migration/switchover vm1", {
        [R_NONE] = NO("port vm1 is not migrating", "none"),
        [R_PREPARED] = OK("vm1 switched over from h1 to h2", "switched"),
        [R_SWITCHED] = OK("vm1 already switched", "switched"),
        [R_ACTIVE] = OK("vm1 already active", "active"),
        [R_COMPLETE] = NO("cannot switchover vm1: its migration to h2 is "
                          "complete", "complete"),
        [R_ABORTED] = NO("cannot switchover vm1: its migration to h2 is "
                         "aborted", "aborted"),
        [R_FAILED] = NO("cannot switchover vm1: its migration to h2 is "
                        "failed", "failed"),
    } },
    { "migration/activate vm1", {
        [R_NONE] = NO("port vm1 is not migrating", "none"),
        [R_PREPARED] = NO("cannot activate vm1: its migration to h2 is "
                          "prepared", "prepared"),
        [R_SWITCHED] = OK("vm1 active on h2 (packet-out: round 1 of 5",
                          "active"),
        [R_ACTIVE] = OK("vm1 active on h2", "active"),
        [R_COMPLETE] = NO("cannot activate vm1", "complete"),
        [R_ABORTED] = NO("cannot activate vm1", "aborted"),
        [R_FAILED] = NO("cannot activate vm1", "failed"),
    } },
    { "migration/complete vm1", {
        [R_NONE] = NO("port vm1 is not migrating", "none"),
        [R_PREPARED] = NO("cannot complete vm1: its migration to h2 is "
                          "prepared", "prepared"),
        [R_SWITCHED] = OK("vm1 complete: its home is now h2", "complete"),
        [R_ACTIVE] = OK("vm1 complete: its home is now h2", "complete"),
        [R_COMPLETE] = OK("vm1 already complete", "complete"),
        [R_ABORTED] = NO("cannot complete vm1", "aborted"),
        [R_FAILED] = NO("cannot complete vm1", "failed"),
    } },
    { "migration/abort vm1", {
        [R_NONE] = NO("port vm1 is not migrating", "none"),
        [R_PREPARED] = OK("vm1 aborted: back on h1 as before", "aborted"),
        [R_SWITCHED] = OK("vm1 aborted: back on h1 as before", "aborted"),
        [R_ACTIVE] = OK("vm1 aborted: back on h1 as before", "aborted"),
        [R_COMPLETE] = NO("cannot abort vm1: its migration to h2 is "
                          "complete", "complete"),
        [R_ABORTED] = OK("vm1 already aborted", "aborted"),
        [R_FAILED] = OK("vm1 already failed", "failed"),
    } },
};

/* Every command from every resting state, each in a fresh world. */
static void
test_every_command_from_every_state(void **state OVS_UNUSED)
{
    for (size_t c = 0; c < ARRAY_SIZE(table); c++) {
        for (int r = 0; r < N_REST; r++) {
            const struct outcome *o = &table[c].from[r];
            struct world *w;

            setup((void **) &w);
            reach(w, r);
            print_message("%s from %s\n", table[c].command, rest_names[r]);
            expect(w, table[c].command, o->ok, o->text);
            assert_string_equal(state_name(w), o->state);
            teardown((void **) &w);
        }
    }
}

/* While a step is under way, every other command is refused as busy, and
 * abort takes over: the step it replaces is answered by the engine's run,
 * never from the handler. */
static void
test_busy_and_abort_takes_over(void **state)
{
    struct world *w = *state;
    static const char *others[] = {
        "migration/prepare vm1 h2", "migration/switchover vm1",
        "migration/activate vm1", "migration/complete vm1",
    };
    int i;

    fake_hosts[1].frozen = true;
    assert_int_equal(request(w, "migration/prepare vm1 h2"), -1);
    assert_string_equal(state_name(w), "preparing");
    for (size_t c = 0; c < ARRAY_SIZE(others); c++) {
        expect(w, others[c], false, "migration of vm1 is busy: prepare "
               "under way");
    }
    clear_answers();
    fake_hosts[1].frozen = false;
    i = request(w, "migration/abort vm1");
    assert_true(i >= 0);
    assert_int_equal(n_answers, 2);
    assert_false(answers[0].ok);
    assert_string_equal(answers[0].text, "aborted by request");
    assert_true(answers[1].ok);
    assert_non_null(strstr(answers[1].text, "vm1 aborted: back on h1"));
}

/* A handler only queues: the flows go to the hosts from the engine's
 * run (the fakes fail if a handler hands any). */
static void
test_handlers_only_queue(void **state)
{
    struct world *w = *state;
    int before;

    expect(w, "migration/prepare vm1 h2", true, "prepared");
    clear_answers();
    before = n_handed;
    in_handler = true;
    for (size_t i = 0; i < n_commands; i++) {
        if (!strcmp(commands[i].name, "migration/switchover")) {
            const char *argv[] = { "migration/switchover", "vm1", NULL };
            struct control_req *req = xzalloc(sizeof *req);

            commands[i].cb(req, 2, argv, commands[i].aux);
        }
    }
    in_handler = false;
    assert_int_equal(n_handed, before);
    assert_int_equal(n_answers, 0);
    assert_string_equal(state_name(w), "prepared");
    turn(w);
    assert_true(n_handed > before);
    turn(w);
    assert_int_equal(n_answers, 1);
    assert_string_equal(state_name(w), "switched");
}

/* The switchover waits for its own timeout, then is undone; a request's
 * timeout=MS replaces the default. */
static void
test_switchover_timeout(void **state)
{
    struct world *w = *state;

    expect(w, "migration/prepare vm1 h2", true, "prepared");
    clear_answers();
    fake_hosts[1].frozen = true;
    assert_int_equal(request(w, "migration/switchover vm1 timeout=100"), -1);
    fake_now += 99;
    turn(w);
    assert_int_equal(n_answers, 0);
    fake_now += 1;
    turn(w);
    assert_int_equal(n_answers, 1);
    assert_false(answers[0].ok);
    assert_non_null(strstr(answers[0].text, "timeout waiting for barrier "
                           "from h2 after 100 ms: switchover undone, vm1 "
                           "stays on h1"));
    assert_string_equal(state_name(w), "prepared");
    clear_answers();

    assert_int_equal(request(w, "migration/switchover vm1"), -1);
    fake_now += MIGRATION_SWITCHOVER_TIMEOUT_MS - 1;
    turn(w);
    assert_int_equal(n_answers, 0);
    fake_now += 1;
    turn(w);
    assert_int_equal(n_answers, 1);
    assert_non_null(strstr(answers[0].text, "after 250 ms"));
}

/* What cannot be waited for is refused at once, by name, with the clock
 * standing still. */
static void
test_switchover_refused_at_once(void **state)
{
    struct world *w = *state;

    expect(w, "migration/prepare vm1 h2", true, "prepared");
    fake_hosts[0].ready = false;
    expect(w, "migration/switchover vm1", false,
           "host h1 not ready: its ports are not known yet");
    assert_string_equal(state_name(w), "prepared");
    fake_hosts[0].ready = true;
    fake_hosts[1].ofport = 0;
    expect(w, "migration/switchover vm1", false,
           "destination host h2 has no interface for vm1");
    fake_hosts[1].ofport = 7;
    fake_hosts[0].connected = false;
    expect(w, "migration/switchover vm1", false,
           "source host h1 not connected");
    fake_hosts[0].connected = true;
    expect(w, "migration/switchover vm1 timeout=0", false,
           "timeout=0: expected milliseconds");
    expect(w, "migration/switchover vm1 timeout=60001", false,
           "timeout=60001: expected milliseconds");
    expect(w, "migration/switchover vm1 stopped=1.5", false,
           "stopped=1.5: expected the time the VM stopped");
    expect(w, "migration/switchover vm1 stopped=-1.000000", false,
           "stopped=-1.000000");
    expect(w, "migration/switchover vm1 warp=9", false,
           "unknown option \"warp=9\"");
    assert_string_equal(state_name(w), "prepared");
    expect(w, "migration/switchover vm1 stopped=1764700000.123456", true,
           "switched over");
    assert_int_equal(migration_find(w->me, "vm1")->stopped_us,
                     1764700000123456LL);
}

/* A local migration to a host without an incoming interface is refused at
 * prepare, not at the switchover. */
static void
test_local_prepare_needs_incoming(void **state)
{
    struct world *w = *state;

    expect(w, "migration/prepare vm1 h1", false,
           "vm1 is already on host h1, which has no incoming interface");
    assert_string_equal(state_name(w), "none");
    fake_hosts[0].incoming = 9;
    expect(w, "migration/prepare vm1 h1", true, "vm1 prepared on h1");
}

/* The switchover claims the port's MACs on the destination, and an abort
 * that undid it claims them back on the source; show says so. */
static void
test_claims(void **state)
{
    struct world *w = *state;

    reach(w, R_SWITCHED);
    assert_int_equal(fake_hosts[1].n_claims, 1);
    expect(w, "migration/show vm1", true, "claim: on h2: round 1 of 1");
    expect(w, "migration/abort vm1", true, "aborted");
    assert_int_equal(fake_hosts[0].n_claims, 1);
    expect(w, "migration/show vm1", true, "claim: on h1: round 1 of 1");
}

/* The source's VM interface drains from prepare until activate
 * (model_port.draining); activate hands the source its flows again without
 * it. */
static void
test_drain(void **state)
{
    struct world *w = *state;
    const struct model_port *p = model_find_port(&w->model, "vm1");
    const struct model_host *h1 = model_find_host(&w->model, "h1");
    int before;

    assert_null(p->draining);
    expect(w, "migration/prepare vm1 h2", true, "vm1 prepared on h2");
    assert_ptr_equal(p->draining, h1);
    expect(w, "migration/switchover vm1", true, "vm1 switched over");
    assert_ptr_equal(p->draining, h1);
    before = fake_hosts[0].n_updates;
    expect(w, "migration/activate vm1", true, "vm1 active on h2");
    assert_null(p->draining);
    assert_int_equal(fake_hosts[0].n_updates, before + 1);
}

/* A remote host (h3) learns at prepare that the destination may send as
 * the port, and prepare waits until it confirmed (or it could not be
 * handed the flows: its ports are not known yet, and it gets everything in
 * full when they are); one that never confirms fails prepare by name.  The
 * remote hosts are handed the port's flows again at the switchover (where
 * it lives), at complete and at abort (whom they no longer take it
 * from). */
static void
test_remotes_learn_at_prepare(void **state)
{
    struct world *w = *state;
    struct hostctl *h3 = &fake_hosts[2];

    h3->frozen = true;
    assert_int_equal(request(w, "migration/prepare vm1 h2"), -1);
    assert_int_equal(h3->n_updates, 1);
    assert_string_equal(state_name(w), "preparing");
    h3->frozen = false;
    turn(w);
    turn(w);
    assert_int_equal(n_answers, 1);
    assert_true(answers[0].ok);
    assert_non_null(strstr(answers[0].text, "vm1 prepared on h2"));
    clear_answers();

    expect(w, "migration/switchover vm1", true, "switched over");
    assert_int_equal(h3->n_updates, 2);
    expect(w, "migration/complete vm1", true, "complete");
    assert_int_equal(h3->n_updates, 3);

    /* Back to h1, and an abort: handed again. */
    expect(w, "migration/prepare vm1 h1", true, "prepared on h1");
    assert_int_equal(h3->n_updates, 4);
    expect(w, "migration/abort vm1", true, "aborted");
    assert_int_equal(h3->n_updates, 5);

    /* A remote host that never confirms: prepare fails, naming it, and the
     * remote hosts are handed the port's flows without the destination. */
    clear_answers();
    h3->frozen = true;
    assert_int_equal(request(w, "migration/prepare vm1 h1"), -1);
    fake_now += MIGRATION_STEP_TIMEOUT_MS;
    turn(w);
    assert_int_equal(n_answers, 1);
    assert_false(answers[0].ok);
    assert_non_null(strstr(answers[0].text,
                           "remote host h3 did not confirm"));
    assert_string_equal(state_name(w), "failed");
    assert_int_equal(h3->n_updates, 7);
    h3->frozen = false;
    clear_answers();

    /* One whose ports are not known yet does not hold prepare up. */
    h3->ready = false;
    expect(w, "migration/prepare vm1 h1", true, "prepared on h1");
}

/* Exiting answers what waits. */
static void
test_destroy_answers_waiting(void **state)
{
    struct world *w = *state;

    fake_hosts[1].frozen = true;
    assert_int_equal(request(w, "migration/prepare vm1 h2"), -1);
    migration_engine_destroy(w->me);
    w->me = NULL;
    assert_int_equal(n_answers, 1);
    assert_false(answers[0].ok);
    assert_string_equal(answers[0].text, "cutoverd is exiting");
    fake_hosts[1].frozen = false;
}

/* vm1's hold phase in the model, as the hosts get it. */
static enum model_hold_phase
hold_phase(struct world *w)
{
    const struct model_port *p = model_find_port(&w->model, "vm1");

    return p->hold.phase;
}

/* A migration to a host with an announcer holds: prepare starts the hold
 * (after stopping any left from an earlier life), the flows copy; the
 * switchover holds and arms it with the STOP time; activate replays it
 * before the announcements and says so; complete stops it. */
static void
test_hold(void **state)
{
    struct world *w = *state;
    const struct model_port *p = model_find_port(&w->model, "vm1");

    fake_hosts[1].has_announcer = true;
    expect(w, "migration/prepare vm1 h2", true,
           "announcements registered; hold: hold 1 on h2: holding");
    assert_true(ann_called("hold/stop vm1"));
    assert_true(ann_called("hold/start vm1 1"));
    assert_int_equal(hold_phase(w), MODEL_HOLD_COPY);
    assert_ptr_equal(p->hold.host, model_find_host(&w->model, "h2"));
    assert_int_equal(p->hold.id, 1);

    expect(w, "migration/switchover vm1 stopped=1796290000.000123", true,
           "vm1 switched over from h1 to h2");
    assert_int_equal(hold_phase(w), MODEL_HOLD_HOLD);
    assert_true(ann_called("hold/arm vm1 stopped=1796290000.000123 "
                           "margin=2"));
    assert_false(ann_called("hold/replay vm1 stopped=1796290000.000123 "
                            "margin=2"));

    expect(w, "migration/activate vm1", true,
           "vm1 active on h2 (hold 1 on h2 replayed 3 frames (1 copies, 1 "
           "forwarded, 1 direct, 300 bytes), 0 stale copies in 10 us; "
           "announcer: fired 1 ports");
    assert_true(ann_called("hold/replay vm1 stopped=1796290000.000123 "
                           "margin=2"));
    assert_int_equal(hold_phase(w), MODEL_HOLD_PASS);

    expect(w, "migration/complete vm1", true, "vm1 complete");
    assert_int_equal(hold_phase(w), MODEL_HOLD_NONE);
    assert_int_equal(fake_ann.n_calls, 8);      /* stop, start, register,
                                                 * arm, replay, fire,
                                                 * stop, withdraw. */
}

/* A port's elastic IPs are registered with the destination's agent at
 * prepare beside the port ("eip:ADDR": the elastic IP's MAC and address),
 * fired with it in one call at activate and withdrawn with it at
 * complete. */
static void
test_elastic_ips_registered(void **state)
{
    struct world *w = *state;
    struct model_port *p = model_find_port(&w->model, "vm1");
    struct model_network *prov;
    char *error = NULL;

    prov = model_add_network(&w->model, "provider", MODEL_NET_VLAN, 100,
                             &error);
    assert_non_null(prov);
    assert_non_null(model_add_eip(&w->model, prov, "203.0.113.10",
                                  "02:00:cb:00:71:0a", p, "10.0.0.5",
                                  &error));
    fake_hosts[1].has_announcer = true;
    expect(w, "migration/prepare vm1 h2", true,
           "announcements registered (with eip:203.0.113.10); hold:");
    assert_true(ann_called("announcer/register vm1 02:00:0a:00:00:05 "
                           "10.0.0.5"));
    assert_true(ann_called("announcer/register eip:203.0.113.10 "
                           "02:00:cb:00:71:0a 203.0.113.10"));
    expect(w, "migration/switchover vm1", true, "switched over");
    expect(w, "migration/activate vm1", true, "announcer: fired");
    assert_true(ann_called("announcer/fire vm1 eip:203.0.113.10"));
    expect(w, "migration/complete vm1", true, "vm1 complete");
    assert_true(ann_called("announcer/withdraw vm1"));
    assert_true(ann_called("announcer/withdraw eip:203.0.113.10"));
}

/* An abort after the switchover releases the hold toward the source once
 * both hosts are back, then stops it; before the switchover it only stops
 * it. */
static void
test_hold_abort(void **state)
{
    struct world *w = *state;

    fake_hosts[1].has_announcer = true;
    expect(w, "migration/prepare vm1 h2", true, "hold: hold 1 on h2");
    expect(w, "migration/abort vm1", true,
           "vm1 aborted: back on h1 as before");
    assert_false(ann_called("hold/release vm1"));
    assert_int_equal(hold_phase(w), MODEL_HOLD_NONE);
    fake_ann_reset();
    clear_answers();

    expect(w, "migration/prepare vm1 h2", true, "hold: hold 1 on h2");
    expect(w, "migration/switchover vm1", true, "switched over");
    expect(w, "migration/abort vm1", true,
           "vm1 aborted: back on h1 as before; hold 1 on h2 released 2 "
           "frames (0 copies, 1 forwarded, 1 direct, 200 bytes), 1 stale "
           "copies in 10 us toward h1");
    assert_true(ann_called("hold/release vm1"));
    assert_true(ann_called("hold/stop vm1"));
    /* What the daemon sent back may still be in the switch: the flows
     * keep releasing until the migration is forgotten. */
    assert_int_equal(hold_phase(w), MODEL_HOLD_RELEASE);
}

/* No hold without an announcer, with hold=off, or for a local migration;
 * a daemon that goes away while it holds gives the hold up. */
static void
test_hold_none_and_lost(void **state)
{
    struct world *w = *state;
    const struct migration *m;

    expect(w, "migration/prepare vm1 h2", true,
           "hold: none: no announcer on h2");
    expect(w, "migration/abort vm1", true, "aborted");
    fake_hosts[1].has_announcer = true;
    expect(w, "migration/prepare vm1 h2 hold=off", true,
           "hold: none (hold=off)");
    expect(w, "migration/abort vm1", true, "aborted");
    expect(w, "migration/prepare vm1 h2 hold=maybe", false,
           "unknown option \"hold=maybe\" (expected hold=on or hold=off)");
    fake_ann.connected = false;
    expect(w, "migration/prepare vm1 h2", true,
           "hold: none: announcer of h2 not connected");
    expect(w, "migration/abort vm1", true, "aborted");
    fake_ann.connected = true;
    clear_answers();

    expect(w, "migration/prepare vm1 h2", true, "hold: hold 1 on h2");
    expect(w, "migration/switchover vm1", true, "switched over");
    fake_ann.session++;         /* It restarted. */
    turn(w);
    m = migration_find(w->me, "vm1");
    assert_string_equal(m->hold_result, "lost: the announcer of h2 went "
                        "away while holding; delivering to the VM's "
                        "interface");
    assert_int_equal(hold_phase(w), MODEL_HOLD_NONE);
    expect(w, "migration/activate vm1", true,
           "vm1 active on h2 (lost: the announcer of h2 went away");
    assert_false(ann_called("hold/replay vm1 margin=2"));
}

/* A daemon that does not answer hold/replay in time, but is still there,
 * is not given up: the flows pass (its late replay still reaches the VM). */
static void
test_hold_replay_late(void **state)
{
    struct world *w = *state;

    fake_hosts[1].has_announcer = true;
    expect(w, "migration/prepare vm1 h2", true, "hold: hold 1 on h2");
    expect(w, "migration/switchover vm1", true, "switched over");
    fake_ann.mute = "hold/replay";
    assert_int_equal(request(w, "migration/activate vm1"), -1);
    assert_int_equal(hold_phase(w), MODEL_HOLD_HOLD);
    fake_now += 1000;
    expect(w, "migration/show vm1", true, "vm1: h1 -> h2");
    turn(w);
    turn(w);
    assert_int_equal(hold_phase(w), MODEL_HOLD_PASS);
    assert_non_null(strstr(answers[n_answers - 1].text,
                           "vm1 active on h2 (hold 1 on h2: replay not "
                           "confirmed (no answer within 1000 ms), passing "
                           "anyway; announcer: fired"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_command_from_every_state),
        cmocka_unit_test_setup_teardown(test_busy_and_abort_takes_over,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_handlers_only_queue,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_switchover_timeout,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_switchover_refused_at_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_prepare_needs_incoming,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_answers_waiting,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_remotes_learn_at_prepare,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elastic_ips_registered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hold_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_none_and_lost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hold_replay_late, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
