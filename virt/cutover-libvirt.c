/* cutover-libvirt: follows the migrations of the local libvirtd's domains
 * and drives cutoverd's steps, so that a libvirt-managed host (Nova,
 * KubeVirt) needs no migration hook.  One runs on each hypervisor.
 *
 * libvirt turns pause-before-switchover on by itself and sends
 * migrate-continue itself a few ms after pre-switchover, so nothing
 * outside libvirt can hold a migration at its switchover: cutover runs
 * ungated (docs/hook.md), the switchover beside the end of the migration,
 * which loses nothing where the destination holds (docs/hold.md).
 *
 * Threads: libvirt's event loop runs in a thread of its own
 * (libvirt-events.h), whose callbacks only queue events.  This thread runs
 * one OVS poll loop: it takes the events in order, lets the follower
 * (libvirt-follower.h, pure) decide which steps to call, and calls them.
 * The calls block, each bounded by --timeout (connecting included):
 * while one waits, events queue up and the control socket is not
 * answered.  That is acceptable: the steps are few, their order is what
 * matters, and a bounded wait cannot hang the daemon.
 *
 * Control commands (unixctl socket, 'ovs-appctl -t SOCKET COMMAND'):
 * exit, libvirt/show. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "command-line.h"
#include "control.h"
#include "daemon.h"
#include "fatal-signal.h"
#include "libvirt-events.h"
#include "libvirt-follower.h"
#include "migration-client.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "stream-ssl.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(cutover_libvirt);

#define DEFAULT_URI "qemu:///system"
#define DEFAULT_UNIXCTL "/var/run/cutover/libvirt.ctl"
#define DEFAULT_TIMEOUT_S 10

/* Events taken per turn of the loop, so that the control socket is
 * answered between bursts. */
#define MAX_EVENTS_PER_RUN 50

/* Options. */
static const char *host;
static char *server;
static const char *uri = DEFAULT_URI;
static const char *unixctl_path = DEFAULT_UNIXCTL;
static long long int timeout_ms = DEFAULT_TIMEOUT_S * 1000;
static unsigned int max_retries = LVF_DEFAULT_MAX_RETRIES;
static long long int retry_interval_ms = LVF_DEFAULT_RETRY_INTERVAL_MS;

struct daemon_ctx {
    struct libvirt_events *events;
    struct libvirt_follower *follower;
    struct migration_client *client;
    bool exiting;
};

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);

static void
usage(void)
{
    printf("\
%s: follows the local libvirtd's migrations and drives cutoverd's steps\n\
usage: %s --host=NAME [OPTIONS]\n\
\n\
Options:\n\
  --host=NAME             this host's name in the northbound database\n\
                          (required)\n\
  -s, --server=TARGET     cutoverd's control socket: unix:FILE,\n\
                          tcp:IP:PORT, ssl:IP:PORT or a socket file;\n\
                          several, comma-separated (an active cutoverd and\n\
                          its standbys): each call goes to the one that\n\
                          takes it (default: $CUTOVER_SERVER or %s)\n\
  --connect=URI           libvirt URI (default: %s)\n\
  -t, --timeout=SECS      longest wait for each call to cutoverd,\n\
                          connecting included (default: %d)\n\
  --retries=N             tries again a refused or unanswered switchover or\n\
                          activate N times (default: %d)\n\
  --retry-interval=MS     between two tries (default: %d)\n\
  --unixctl=SOCKET        control socket (default: %s)\n\
  --socket-group=GROUP    the group of the control socket (mode 0660)\n\
  --private-key=FILE, --certificate=FILE, --ca-cert=FILE\n\
                          SSL, for an ssl: server\n",
           program_name, program_name, MIGRATION_CLIENT_DEFAULT_SERVER,
           DEFAULT_URI, DEFAULT_TIMEOUT_S, LVF_DEFAULT_MAX_RETRIES,
           LVF_DEFAULT_RETRY_INTERVAL_MS, DEFAULT_UNIXCTL);
    daemon_usage();
    vlog_usage();
    printf("\
  -h, --help              print this help\n\
  -V, --version           print the version\n");
}

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_HOST = UCHAR_MAX + 1,
        OPT_CONNECT,
        OPT_RETRIES,
        OPT_RETRY_INTERVAL,
        OPT_UNIXCTL,
        OPT_SOCKET_GROUP,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"host", required_argument, NULL, OPT_HOST},
        {"server", required_argument, NULL, 's'},
        {"connect", required_argument, NULL, OPT_CONNECT},
        {"timeout", required_argument, NULL, 't'},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"retry-interval", required_argument, NULL, OPT_RETRY_INTERVAL},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"socket-group", required_argument, NULL, OPT_SOCKET_GROUP},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        DAEMON_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);
    const char *server_arg = NULL;
    char *error;

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_HOST:
            host = optarg;
            break;
        case 's':
            server_arg = optarg;
            break;
        case OPT_CONNECT:
            if (!*optarg) {
                cli_usage_error("--connect needs a libvirt URI (such as %s)",
                                DEFAULT_URI);
            }
            uri = optarg;
            break;
        case 't':
            timeout_ms = cli_parse_uint("--timeout", optarg, 1, 86400) * 1000;
            break;
        case OPT_RETRIES:
            max_retries = cli_parse_uint("--retries", optarg, 0, 1000);
            break;
        case OPT_RETRY_INTERVAL:
            retry_interval_ms = cli_parse_uint("--retry-interval", optarg, 1,
                                               600000);
            break;
        case OPT_UNIXCTL:
            unixctl_path = optarg;
            break;
        case OPT_SOCKET_GROUP:
            control_set_socket_group(optarg);
            break;
        case 'h':
            usage();
            exit(EXIT_SUCCESS);
        case 'V':
            cli_print_version();
        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        STREAM_SSL_OPTION_HANDLERS
        default:
            cli_usage_error("invalid option");
        }
    }
    free(short_options);

    if (optind < argc) {
        cli_usage_error("unexpected argument '%s' (%s takes only options)",
                        argv[optind], program_name);
    }
    if (!host || !*host) {
        cli_usage_error("--host is required: this host's name in the "
                        "northbound database (Host.name)");
    }
    if (!server_arg) {
        server_arg = getenv("CUTOVER_SERVER");
        if (!server_arg || !*server_arg) {
            server_arg = MIGRATION_CLIENT_DEFAULT_SERVER;
        }
    }
    error = migration_client_parse_target(server_arg, &server);
    if (error) {
        cli_usage_error("--server: %s", error);
    }
}

/* Makes 'calls' in order, reporting each answer to the follower, which may
 * append more (they are made too). */
static void
make_calls(struct daemon_ctx *ctx, struct lvf_calls *calls)
{
    for (size_t i = 0; i < calls->n; i++) {
        /* A copy: reporting the answer may grow (move) the array; the
         * strings stay until lvf_calls_clear(). */
        struct lvf_call c = calls->calls[i];
        const char *step = lvf_step_name(c.step);
        char *method = xasprintf("migration/%s", step);
        const char *params[2];
        long long int start = time_msec();
        enum lvf_outcome outcome;
        struct ds args = DS_EMPTY_INITIALIZER;
        char *buf, *text;
        bool refused;
        size_t n;
        int error;

        n = lvf_call_params(&c, params, &buf);
        for (size_t j = 0; j < n; j++) {
            ds_put_format(&args, " %s", params[j]);
        }
        VLOG_INFO("domain %s: calling %s%s", c.domain, method,
                  ds_cstr(&args));
        error = migration_client_call(ctx->client, method, params, n,
                                      &refused, &text);
        outcome = error ? LVF_UNANSWERED
                  : refused ? LVF_REFUSED : LVF_CONFIRMED;
        if (outcome == LVF_CONFIRMED) {
            struct ds after = DS_EMPTY_INITIALIZER;

            if (c.step == LVF_SWITCHOVER && c.stopped_us) {
                long long int us = time_wall_usec() - c.stopped_us;

                ds_put_format(&after, ", %lld.%03lld ms after the VM "
                              "stopped", us / 1000, us % 1000);
            }
            VLOG_INFO("%s %s confirmed in %lld ms%s: %s", step, c.port,
                      time_msec() - start, ds_cstr(&after), text);
            ds_destroy(&after);
        }
        /* Refusals and silences: the follower logs them with what it
         * does about them. */
        libvirt_follower_call_done(ctx->follower, &c, outcome, text,
                                   time_msec(), calls);
        ds_destroy(&args);
        free(method);
        free(buf);
        free(text);
    }
    lvf_calls_clear(calls);
}

/* Takes the queued events, in order, and makes the calls each requires
 * before taking the next. */
static void
follow_events(struct daemon_ctx *ctx, struct lvf_calls *calls)
{
    struct libvirt_event e;

    libvirt_events_run(ctx->events);
    for (int i = 0; i < MAX_EVENTS_PER_RUN; i++) {
        char *port = NULL;

        if (!libvirt_events_take(ctx->events, &e)) {
            return;
        }
        if (libvirt_follower_wants_port(ctx->follower, &e.ev)) {
            char *error;

            if (libvirt_events_lookup_port(ctx->events, e.domain, &port,
                                           &error)) {
                /* Not known: the event cannot be followed.  The next
                 * event of the domain asks again. */
                VLOG_WARN_RL(&rl, "%s: %s ignored: cannot look up its "
                             "port: %s", e.domain,
                             lvf_event_type_name(e.ev.type), error);
                free(error);
                libvirt_event_destroy(&e);
                continue;
            }
            e.ev.port = port;
        }
        libvirt_follower_event(ctx->follower, &e.ev, time_msec(), calls);
        make_calls(ctx, calls);
        free(port);
        libvirt_event_destroy(&e);
    }
    /* More may be queued: take them on the next turn. */
    poll_immediate_wake();
}

/* Control commands. */

static void
ctl_exit(struct control_req *req, int argc OVS_UNUSED,
         const char *argv[] OVS_UNUSED, void *ctx_)
{
    struct daemon_ctx *ctx = ctx_;

    ctx->exiting = true;
    control_reply(req, true, NULL);
}

static void
ctl_show(struct control_req *req, int argc OVS_UNUSED,
         const char *argv[] OVS_UNUSED, void *ctx_)
{
    struct daemon_ctx *ctx = ctx_;
    struct ds s = DS_EMPTY_INITIALIZER;

    libvirt_events_format(ctx->events, &s);
    ds_put_format(&s, "cutoverd %s, host %s, ungated\n",
                  migration_client_target(ctx->client), host);
    libvirt_follower_format(ctx->follower, &s);
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

int
main(int argc, char *argv[])
{
    struct libvirt_follower_config cfg;
    struct unixctl_server *unixctl;
    struct daemon_ctx ctx;
    struct lvf_calls calls;
    char *error;

    ovs_cmdl_proctitle_init(argc, argv);
    ovs_set_program_name(argv[0], PACKAGE_VERSION);
    service_start(&argc, &argv);
    parse_options(argc, argv);
    fatal_ignore_sigpipe();

    /* Forks (--detach) before any thread exists. */
    daemonize_start(false);
    unixctl = control_unixctl_create(unixctl_path);

    memset(&ctx, 0, sizeof ctx);
    cfg = (struct libvirt_follower_config) {
        .host = host,
        .max_retries = max_retries,
        .retry_interval_ms = retry_interval_ms,
    };
    ctx.follower = libvirt_follower_create(&cfg);
    ctx.client = migration_client_create(server, timeout_ms);
    control_register("exit", "", 0, 0, ctl_exit, &ctx);
    control_register("libvirt/show", "", 0, 0, ctl_show, &ctx);
    lvf_calls_init(&calls);

    daemonize_complete();
    ctx.events = libvirt_events_create(uri);
    if (migration_client_connect(ctx.client, &error)) {
        /* Not fatal: every call connects again if needed. */
        VLOG_WARN("%s", error);
        free(error);
    }
    VLOG_INFO("following the migrations of %s's domains for host %s "
              "(ungated), cutoverd at %s", uri, host, server);

    while (!ctx.exiting) {
        long long int wake;

        unixctl_server_run(unixctl);
        follow_events(&ctx, &calls);
        libvirt_follower_run(ctx.follower, time_msec(), &calls);
        make_calls(&ctx, &calls);
        if (ctx.exiting) {
            break;
        }
        libvirt_events_wait(ctx.events);
        wake = libvirt_follower_next_wake(ctx.follower);
        if (wake != LLONG_MAX) {
            poll_timer_wait_until(wake);
        }
        unixctl_server_wait(unixctl);
        poll_block();
    }

    VLOG_INFO("exiting");
    control_shutdown();
    libvirt_events_destroy(ctx.events);
    libvirt_follower_destroy(ctx.follower);
    migration_client_destroy(ctx.client);
    lvf_calls_destroy(&calls);
    unixctl_server_destroy(unixctl);
    free(server);
    service_stop();
    return 0;
}
