/* cutover-hook: what a VMM runs at migration time.
 *
 * One-shot commands call one step of the cutover protocol on the controller
 * (migration/prepare, switchover, activate, complete, abort, show; see
 * migration-client.h) and exit 0 only when the controller confirmed it, 1
 * when it refused, 2 on a usage error, 3 when it did not answer within the
 * timeout.  'cutover-hook qmp' follows a QEMU migration over QMP and calls
 * the steps itself (qmp-follower.h), with exit statuses 4 and 5 besides
 * (HOOK_EXIT_*). */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "command-line.h"
#include "fatal-signal.h"
#include "migration-client.h"
#include "nb-check.h"
#include "openvswitch/vlog.h"
#include "qmp-follower.h"
#include "stream-ssl.h"
#include "stream.h"
#include "timing.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(hook);

#define DEFAULT_TIMEOUT_S 10

/* The commands. */
enum hook_command {
    CMD_PREPARE,
    CMD_SWITCHOVER,
    CMD_ACTIVATE,
    CMD_COMPLETE,
    CMD_ABORT,
    CMD_SHOW,
    CMD_QMP,
};

static const char *const command_names[] = {
    [CMD_PREPARE] = "prepare",
    [CMD_SWITCHOVER] = "switchover",
    [CMD_ACTIVATE] = "activate",
    [CMD_COMPLETE] = "complete",
    [CMD_ABORT] = "abort",
    [CMD_SHOW] = "show",
    [CMD_QMP] = "qmp",
};

struct hook_options {
    enum hook_command command;
    char *server;               /* Stream name of the controller. */
    long long int timeout_ms;
    const char *port;
    const char *to;
    const char *source;
    const char *dest;
    long long int switchover_timeout_ms; /* --switchover-timeout, or 0. */
    long long int resume_timeout_ms;     /* --resume-timeout. */
    const char *stopped;        /* --stopped=S.US, or NULL. */
    bool ungated;               /* --ungated. */
    unsigned int prepare_pass;  /* --prepare-at-pass, or 0. */
    bool verbose;               /* -v given: keep its log levels. */
};

static void
usage(void)
{
    printf("\
%s: run the cutover protocol's steps for a migrating VM\n\
usage: %s [OPTIONS] COMMAND --port=PORT [--to=HOST]\n\
\n\
Commands (each asks the controller, cutoverd, for one step of a port's\n\
cutover, and exits 0 only when the controller confirmed it):\n\
  prepare --port=PORT --to=HOST   install the port's network on HOST, in\n\
                                  standby\n\
  switchover --port=PORT [--switchover-timeout=MS] [--stopped=S.US]\n\
                                  flip the port to its destination (the VM\n\
                                  is paused); answers once both hosts\n\
                                  confirmed\n\
  activate --port=PORT            the VM runs on the destination: the port\n\
                                  is marked active there and its addresses\n\
                                  announced\n\
  complete --port=PORT            remove the source's leftovers\n\
  abort --port=PORT               return everything to the source\n\
  show [--port=PORT]              print migrations as the controller sees them\n\
  qmp --source=SOCKET --dest=SOCKET --port=PORT [--to=HOST]\n\
                                  follow a QEMU migration over the QMP sockets\n\
                                  of both QEMUs and call the steps at the\n\
                                  right moments (pause-before-switchover)\n\
\n\
Options:\n\
  -s, --server=TARGET     the controller's control socket: unix:FILE,\n\
                          tcp:IP:PORT, ssl:IP:PORT or a socket's file name;\n\
                          several, comma-separated (an active cutoverd and\n\
                          its standbys): each call goes to the one that\n\
                          takes it (default: $CUTOVER_SERVER, else\n\
                          %s)\n\
  -t, --timeout=SECS      longest wait for each answer (default %d)\n\
      --port=PORT         the VM's port (as in the northbound database)\n\
      --to=HOST           the destination host (prepare; qmp: prepare first)\n\
      --source=SOCKET     QMP socket of the source QEMU (qmp)\n\
      --dest=SOCKET       QMP socket of the destination QEMU (qmp)\n\
      --switchover-timeout=MS\n\
                          (switchover, qmp) the controller gives up the\n\
                          switchover after MS (its timeout=MS) and its\n\
                          answer is awaited MS + %d ms (default: the\n\
                          controller's own, answer awaited --timeout)\n\
      --resume-timeout=SECS\n\
                          (qmp) longest wait for the destination's RESUME\n\
                          after migrate-continue (default %d); then the\n\
                          hook asks both QEMUs where the VM runs\n\
      --ungated           (qmp) send migrate-continue at pre-switchover\n\
                          at once and switch over meanwhile: the VM's\n\
                          pause does not wait for the network; lossless\n\
                          only where the destination holds the port's\n\
                          frames (docs/hold.md); default: gated, the\n\
                          migration continues once the switchover is\n\
                          confirmed\n\
      --prepare-at-pass=N (qmp, with --to) prepare when the source QEMU\n\
                          starts its pass N over the memory (its\n\
                          MIGRATION_PASS event; pass 1 copies it all),\n\
                          or at its pause if that comes first, instead\n\
                          of before following: the hold's copies then\n\
                          cost only the last passes (docs/hold.md)\n\
      --stopped=S.US      (switchover) when the VM stopped, seconds and\n\
                          microseconds since the epoch (QEMU's STOP event),\n\
                          passed to the controller for its account of the\n\
                          pause (qmp passes the STOP event's itself)\n",
           program_name, program_name, MIGRATION_CLIENT_DEFAULT_SERVER,
           DEFAULT_TIMEOUT_S, HOOK_SWITCHOVER_SLACK_MS,
           HOOK_DEFAULT_RESUME_TIMEOUT_S);
    stream_usage("TARGET", true, false, false);
    vlog_usage();
    printf("\
  -h, --help              print this help\n\
  -V, --version           print the version\n\
\n\
Exit status:\n\
  0  confirmed (qmp: the VM runs on the destination, network followed)\n\
  1  refused (qmp: the migration failed or was cancelled, or the switchover\n\
     refused; the VM stays on the source, the cutover aborted)\n\
  2  usage error\n\
  3  controller unreachable or no answer in time (qmp: before the\n\
     switchover; the migration cancelled, the cutover aborted)\n\
  4  (qmp) a QEMU could not be followed (unreachable, refused a command,\n\
     closed, not QMP, an unfinished message) or a bound passed, and the\n\
     network was left consistent on the source: the cutover aborted, the\n\
     migration failed\n\
  5  (qmp) the network may not be where the VM runs (the hook could not\n\
     tell, or the controller did not take the step): see the message\n");
}

static enum hook_command
parse_command(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(command_names); i++) {
        if (!strcmp(name, command_names[i])) {
            return i;
        }
    }
    cli_usage_error("unknown command '%s' (expected prepare, switchover, "
                    "activate, complete, abort, show or qmp)", name);
}

static void
check_name(const char *option, const char *what, const char *name)
{
    char *error = nb_check_name(what, name);

    if (error) {
        cli_usage_error("%s: %s", option, error);
    }
}

/* Checks --stopped's "SECONDS.MICROSECONDS" as cutoverd parses it
 * (timing_parse_stamp()). */
static void
check_stopped(const char *s)
{
    int64_t us;

    if (timing_parse_stamp(s, &us)) {
        cli_usage_error("--stopped=%s: expected the time the VM stopped as "
                        "SECONDS.MICROSECONDS since the epoch (six digits "
                        "after the point, as in QEMU's STOP event)", s);
    }
}

static void
parse_options(int argc, char *argv[], struct hook_options *o)
{
    enum {
        OPT_PORT = UCHAR_MAX + 1,
        OPT_TO,
        OPT_SOURCE,
        OPT_DEST,
        OPT_SWITCHOVER_TIMEOUT,
        OPT_RESUME_TIMEOUT,
        OPT_STOPPED,
        OPT_UNGATED,
        OPT_PREPARE_AT_PASS,
        VLOG_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"server", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 't'},
        {"port", required_argument, NULL, OPT_PORT},
        {"to", required_argument, NULL, OPT_TO},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"dest", required_argument, NULL, OPT_DEST},
        {"switchover-timeout", required_argument, NULL,
         OPT_SWITCHOVER_TIMEOUT},
        {"resume-timeout", required_argument, NULL, OPT_RESUME_TIMEOUT},
        {"stopped", required_argument, NULL, OPT_STOPPED},
        {"ungated", no_argument, NULL, OPT_UNGATED},
        {"prepare-at-pass", required_argument, NULL, OPT_PREPARE_AT_PASS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);
    const char *server = NULL;
    char *error;

    memset(o, 0, sizeof *o);
    o->timeout_ms = DEFAULT_TIMEOUT_S * 1000;
    o->resume_timeout_ms = HOOK_DEFAULT_RESUME_TIMEOUT_S * 1000;
    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        if (c == 'v') {
            o->verbose = true;
        }
        switch (c) {
        case 's':
            server = optarg;
            break;
        case 't':
            o->timeout_ms = cli_parse_uint("--timeout", optarg, 1, 86400)
                            * 1000;
            break;
        case OPT_PORT:
            o->port = optarg;
            break;
        case OPT_TO:
            o->to = optarg;
            break;
        case OPT_SOURCE:
            o->source = optarg;
            break;
        case OPT_DEST:
            o->dest = optarg;
            break;
        case OPT_SWITCHOVER_TIMEOUT:
            /* cutoverd takes 1 to 60000 (migration-control.c). */
            o->switchover_timeout_ms = cli_parse_uint("--switchover-timeout",
                                                      optarg, 1, 60000);
            break;
        case OPT_RESUME_TIMEOUT:
            o->resume_timeout_ms = cli_parse_uint("--resume-timeout", optarg,
                                                  1, 86400) * 1000;
            break;
        case OPT_UNGATED:
            o->ungated = true;
            break;
        case OPT_PREPARE_AT_PASS:
            o->prepare_pass = cli_parse_uint("--prepare-at-pass", optarg, 1,
                                             1000000);
            break;
        case OPT_STOPPED:
            check_stopped(optarg);
            o->stopped = optarg;
            break;
        case 'h':
            usage();
            exit(EXIT_SUCCESS);
        case 'V':
            cli_print_version();
        VLOG_OPTION_HANDLERS
        STREAM_SSL_OPTION_HANDLERS
        default:
            cli_usage_error("invalid option");
        }
    }
    free(short_options);

    if (optind >= argc) {
        cli_usage_error("missing command (expected prepare, switchover, "
                        "activate, complete, abort, show or qmp)");
    }
    o->command = parse_command(argv[optind]);
    if (optind + 1 < argc) {
        cli_usage_error("unexpected argument '%s' (give the port with "
                        "--port)", argv[optind + 1]);
    }

    if (o->port) {
        check_name("--port", "port", o->port);
    } else if (o->command != CMD_SHOW) {
        cli_usage_error("%s: --port is required", command_names[o->command]);
    }
    if (o->to) {
        check_name("--to", "host", o->to);
        if (o->command != CMD_PREPARE && o->command != CMD_QMP) {
            cli_usage_error("%s: --to is only for prepare and qmp",
                            command_names[o->command]);
        }
    } else if (o->command == CMD_PREPARE) {
        cli_usage_error("prepare: --to is required (the destination host)");
    }
    if (o->prepare_pass && (o->command != CMD_QMP || !o->to)) {
        cli_usage_error("%s: --prepare-at-pass is only for qmp with --to",
                        command_names[o->command]);
    }
    if (o->command == CMD_QMP) {
        if (!o->source || !o->dest) {
            cli_usage_error("qmp: --source and --dest are required (the QMP "
                            "sockets of the source and destination QEMUs)");
        }
        if (!o->source[0] || !o->dest[0] || !strcmp(o->source, o->dest)) {
            cli_usage_error("qmp: --source and --dest must be two different "
                            "sockets");
        }
    } else if (o->source || o->dest) {
        cli_usage_error("%s: --source and --dest are only for qmp",
                        command_names[o->command]);
    }
    if (o->switchover_timeout_ms && o->command != CMD_SWITCHOVER
        && o->command != CMD_QMP) {
        cli_usage_error("%s: --switchover-timeout is only for switchover "
                        "and qmp", command_names[o->command]);
    }
    if (o->stopped && o->command != CMD_SWITCHOVER) {
        cli_usage_error("%s: --stopped is only for switchover (qmp takes "
                        "it from QEMU's STOP event)",
                        command_names[o->command]);
    }

    if (!server) {
        server = getenv("CUTOVER_SERVER");
        if (!server || !*server) {
            server = MIGRATION_CLIENT_DEFAULT_SERVER;
        }
    }
    error = migration_client_parse_target(server, &o->server);
    if (error) {
        cli_usage_error("--server: %s", error);
    }
}

/* Runs a one-shot command.  Returns the exit status. */
static int
run_step(const struct hook_options *o, struct migration_client *client)
{
    const char *name = command_names[o->command];
    const char *params[3] = { o->port, o->to };
    size_t n_params = o->command == CMD_PREPARE ? 2 : o->port ? 1 : 0;
    char *method = xasprintf("migration/%s", name);
    char *timeout = NULL, *stopped = NULL;
    bool refused;
    char *text;
    int error, status;

    if (o->command == CMD_SWITCHOVER) {
        /* The switchover's options, as cutoverd takes them. */
        if (o->switchover_timeout_ms) {
            timeout = xasprintf("timeout=%lld", o->switchover_timeout_ms);
            params[n_params++] = timeout;
            migration_client_set_timeout(client, o->switchover_timeout_ms
                                         + HOOK_SWITCHOVER_SLACK_MS);
        }
        if (o->stopped) {
            stopped = xasprintf("stopped=%s", o->stopped);
            params[n_params++] = stopped;
        }
    }
    error = migration_client_call(client, method, params, n_params,
                                  &refused, &text);
    free(timeout);
    free(stopped);
    if (error) {
        fprintf(stderr, "%s: %s%s%s: %s\n", program_name, name,
                o->port ? " " : "", o->port ? o->port : "", text);
        status = HOOK_EXIT_UNREACHABLE;
    } else if (refused) {
        fprintf(stderr, "%s: %s%s%s: %s\n", program_name, name,
                o->port ? " " : "", o->port ? o->port : "", text);
        status = HOOK_EXIT_REFUSED;
    } else {
        if (text[0]) {
            puts(text);
        }
        status = HOOK_EXIT_OK;
    }
    free(text);
    free(method);
    return status;
}

int
main(int argc, char *argv[])
{
    struct migration_client *client;
    struct hook_options o;
    int status;

    set_program_name(argv[0]);
    /* A peer that closes its socket must be an error to report, not a
     * SIGPIPE that kills us with the VM paused. */
    fatal_ignore_sigpipe();
    vlog_set_pattern(VLF_CONSOLE,
                     "%D{%Y-%m-%dT%H:%M:%S.###Z}|%c|%p|%m");
    parse_options(argc, argv, &o);
    if (!o.verbose) {
        /* One-shot commands report for themselves; the follower logs its
         * steps with millisecond timestamps on stderr. */
        vlog_set_levels(NULL, VLF_CONSOLE,
                        o.command == CMD_QMP ? VLL_INFO : VLL_OFF);
    }

    client = migration_client_create(o.server, o.timeout_ms);
    if (o.command == CMD_QMP) {
        struct qmp_follower_options fo = {
            .source = o.source,
            .dest = o.dest,
            .port = o.port,
            .to = o.to,
            .timeout_ms = o.timeout_ms,
            .switchover_timeout_ms = o.switchover_timeout_ms,
            .resume_timeout_ms = o.resume_timeout_ms,
            .ungated = o.ungated,
            .prepare_pass = o.prepare_pass,
        };
        status = qmp_follower_run(&fo, client);
    } else {
        status = run_step(&o, client);
    }
    migration_client_destroy(client);
    free(o.server);
    return status;
}
