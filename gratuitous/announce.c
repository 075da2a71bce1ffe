/* cutover-announce: announces now, from this host, that a VM lives here.
 *
 * The operators' one-shot: builds the frames for a MAC and its addresses
 * (a RARP, a gratuitous ARP per IPv4 address, an unsolicited NA per IPv6
 * address; frames.h), and sends them in rounds on QEMU's announce schedule
 * (schedule.h) through an emitter (emitter.h): on a kernel interface
 * (af_packet), or through an OpenFlow switch (packet-out).  It says what it
 * sends, and per round how many frames went out.
 *
 * Exit status: 0 if every frame went out, 1 if some did not (or the
 * interface or switch could not be opened), 2 for a usage error. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "command-line.h"
#include "emitter.h"
#include "frames.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "schedule.h"
#include "timing.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announce);

/* Addresses one announcement may carry. */
#define MAX_ADDRS 64

struct options {
    const char *target;         /* --target, or --iface. */
    const char *emitter;
    struct frames_spec spec;
    bool have_mac;
    ovs_be32 ipv4[MAX_ADDRS];
    struct in6_addr ipv6[MAX_ADDRS];
    struct schedule_params sched;
    bool dry_run;
    bool hex;
    bool quiet;
    bool stopped;
};

static void
usage(void)
{
    struct ds types = DS_EMPTY_INITIALIZER;

    emitter_format_types(&types);
    printf("\
%s: announce that a VM now lives behind this host's interface\n\
usage: %s --iface IFACE --mac MAC [--ip ADDR]... [OPTIONS]\n\
       %s --emitter packet-out --target VCONN --mac MAC [--ip ADDR]...\n\
\n\
Sends a RARP for MAC (as QEMU does after a migration), a gratuitous ARP for\n\
each IPv4 ADDR and an unsolicited Neighbor Advertisement for each IPv6\n\
ADDR, in rounds on QEMU's announce schedule: the first round at once, the\n\
second INITIAL ms later, each later delay STEP ms longer, at most MAX ms.\n\
\n\
  -i, --iface=IFACE     kernel interface to send on (af_packet emitter)\n\
  -t, --target=TARGET   where the emitter sends (not needed with --dry-run):\n\
                        af_packet: a kernel interface, as --iface;\n\
                        packet-out: the switch's OpenFlow connection\n\
                        (unix:PATH, tcp:IP:PORT), frames go through its flow\n\
                        table as if from port CONTROLLER, or with\n\
                        VCONN,out_port=PORT out of PORT\n\
  -m, --mac=MAC         the VM's MAC, unicast (e.g. 02:00:0a:00:00:01)\n\
  -a, --ip=ADDR         an IPv4 or IPv6 address of the VM (repeat, up to %d)\n\
      --vlan=ID         tag every frame for 802.1Q VLAN ID (1 to %d)\n\
      --reply           gratuitous ARPs in their reply form (opcode 2)\n\
                        instead of RFC 5227 requests\n\
      --router          set the Router flag in Neighbor Advertisements\n\
      --no-rarp         send no RARP, only the addresses' frames\n\
      --rounds=N        number of rounds (default %d, 1 to %d)\n\
      --initial=MS      delay before the second round (default %d)\n\
      --max=MS          longest delay between rounds (default %d)\n\
      --step=MS         growth of each delay (default %d)\n\
      --emitter=TYPE    how frames go out (default %s; this build: %s)\n\
  -n, --dry-run         print the frames and the schedule, send nothing\n\
  -x, --hex             print every frame in hex too\n\
  -q, --quiet           print nothing but errors\n\
      --stopped         once ready (frames built, interface open), stop\n\
                        (SIGSTOP) until continued (SIGCONT), then announce:\n\
                        a VMM's announcement at the VM's resume, without\n\
                        the time a process takes to start\n\
  -h, --help            this help\n\
  -V, --version         print the version\n",
           program_name, program_name, program_name, MAX_ADDRS,
           FRAMES_VLAN_MAX,
           SCHEDULE_DEFAULT_ROUNDS, SCHEDULE_ROUNDS_MAX,
           SCHEDULE_DEFAULT_INITIAL_MS, SCHEDULE_DEFAULT_MAX_MS,
           SCHEDULE_DEFAULT_STEP_MS, EMITTER_DEFAULT, ds_cstr(&types));
    ds_destroy(&types);
}

/* Exits with a usage error if 'error' (which it frees) is not NULL. */
static void
check_parse(const char *option, char *error)
{
    if (error) {
        cli_usage_error("%s: %s", option, error);
    }
}

static void
add_addr(struct options *o, const char *arg)
{
    struct frames_spec *spec = &o->spec;
    struct in6_addr ip;

    check_parse("--ip", frames_parse_addr(arg, &ip));
    if (spec->n_ipv4 + spec->n_ipv6 >= MAX_ADDRS) {
        cli_usage_error("--ip: more than %d addresses", MAX_ADDRS);
    }
    if (IN6_IS_ADDR_V4MAPPED(&ip)) {
        o->ipv4[spec->n_ipv4++] = in6_addr_get_mapped_ipv4(&ip);
    } else {
        o->ipv6[spec->n_ipv6++] = ip;
    }
}

/* Checks that the emitter got a target of its kind ('iface' is --iface's
 * argument, if any) and stores it in 'o->target'. */
static void
check_target(struct options *o, const char *iface)
{
    bool af_packet = !strcmp(o->emitter, "af_packet");

    if (iface && o->target) {
        cli_usage_error("--iface and --target: give one (--iface IFACE is "
                        "--target IFACE for the af_packet emitter)");
    }
    if (iface && !af_packet) {
        cli_usage_error("--iface: the %s emitter sends through a switch, "
                        "not on an interface: give its connection with "
                        "--target", o->emitter);
    }
    if (iface) {
        o->target = iface;
    }
    if (o->target || o->dry_run) {
        return;
    }
    if (af_packet) {
        cli_usage_error("--iface is required (or --dry-run)");
    } else if (!strcmp(o->emitter, "packet-out")) {
        cli_usage_error("--target is required with --emitter packet-out (an "
                        "OpenFlow connection to the switch, e.g. "
                        "unix:/var/run/openvswitch/br-int.mgmt), or "
                        "--dry-run");
    } else {
        cli_usage_error("--target is required with --emitter %s (or "
                        "--dry-run)", o->emitter);
    }
}

static void
parse_options(int argc, char *argv[], struct options *o)
{
    enum {
        OPT_VLAN = UCHAR_MAX + 1,
        OPT_REPLY,
        OPT_ROUTER,
        OPT_NO_RARP,
        OPT_STOPPED,
        OPT_ROUNDS,
        OPT_INITIAL,
        OPT_MAX,
        OPT_STEP,
        OPT_EMITTER,
        VLOG_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"iface", required_argument, NULL, 'i'},
        {"target", required_argument, NULL, 't'},
        {"mac", required_argument, NULL, 'm'},
        {"ip", required_argument, NULL, 'a'},
        {"vlan", required_argument, NULL, OPT_VLAN},
        {"reply", no_argument, NULL, OPT_REPLY},
        {"router", no_argument, NULL, OPT_ROUTER},
        {"no-rarp", no_argument, NULL, OPT_NO_RARP},
        {"rounds", required_argument, NULL, OPT_ROUNDS},
        {"initial", required_argument, NULL, OPT_INITIAL},
        {"max", required_argument, NULL, OPT_MAX},
        {"step", required_argument, NULL, OPT_STEP},
        {"emitter", required_argument, NULL, OPT_EMITTER},
        {"dry-run", no_argument, NULL, 'n'},
        {"hex", no_argument, NULL, 'x'},
        {"quiet", no_argument, NULL, 'q'},
        {"stopped", no_argument, NULL, OPT_STOPPED},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);
    struct schedule_params defaults = SCHEDULE_PARAMS_DEFAULT;
    const char *iface = NULL;

    memset(o, 0, sizeof *o);
    o->emitter = EMITTER_DEFAULT;
    o->spec.rarp = true;
    o->spec.ipv4 = o->ipv4;
    o->spec.ipv6 = o->ipv6;
    o->sched = defaults;

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case 'i':
            iface = optarg;
            break;
        case 't':
            o->target = optarg;
            break;
        case 'm':
            check_parse("--mac", frames_parse_mac(optarg, &o->spec.mac));
            o->have_mac = true;
            break;
        case 'a':
            add_addr(o, optarg);
            break;
        case OPT_VLAN:
            check_parse("--vlan", frames_parse_vlan(optarg, &o->spec.vlan));
            break;
        case OPT_REPLY:
            o->spec.arp_reply = true;
            break;
        case OPT_ROUTER:
            o->spec.router = true;
            break;
        case OPT_NO_RARP:
            o->spec.rarp = false;
            break;
        case OPT_ROUNDS:
            o->sched.rounds = cli_parse_uint("--rounds", optarg, 1,
                                             SCHEDULE_ROUNDS_MAX);
            break;
        case OPT_INITIAL:
            o->sched.initial_ms = cli_parse_uint("--initial", optarg, 0,
                                                 SCHEDULE_INITIAL_MAX_MS);
            break;
        case OPT_MAX:
            o->sched.max_ms = cli_parse_uint("--max", optarg, 0,
                                             SCHEDULE_MAX_MAX_MS);
            break;
        case OPT_STEP:
            o->sched.step_ms = cli_parse_uint("--step", optarg,
                                              SCHEDULE_STEP_MIN_MS,
                                              SCHEDULE_STEP_MAX_MS);
            break;
        case OPT_EMITTER:
            o->emitter = optarg;
            break;
        case 'n':
            o->dry_run = true;
            break;
        case 'x':
            o->hex = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_STOPPED:
            o->stopped = true;
            break;
        case 'h':
            usage();
            exit(0);
        case 'V':
            cli_print_version();
        VLOG_OPTION_HANDLERS
        default:
            cli_usage_error("invalid option");
        }
    }
    free(short_options);

    if (optind < argc) {
        cli_usage_error("unexpected argument '%s'", argv[optind]);
    }
    if (!o->have_mac) {
        cli_usage_error("--mac is required");
    }
    if (!emitter_has_type(o->emitter)) {
        struct ds types = DS_EMPTY_INITIALIZER;

        emitter_format_types(&types);
        cli_usage_error("--emitter: unknown emitter '%s' (this build has: "
                        "%s)", o->emitter, ds_cstr(&types));
    }
    check_target(o, iface);
    if (!frames_count(&o->spec)) {
        cli_usage_error("nothing to announce: --no-rarp and no --ip");
    }
}

/* Prints what an announcement will send, and when. */
static void
print_plan(const struct options *o, const struct frame *frames, size_t n)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "announcing "ETH_ADDR_FMT, ETH_ADDR_ARGS(o->spec.mac));
    if (o->target) {
        ds_put_format(&s, " on %s (%s emitter)", o->target, o->emitter);
    }
    ds_put_format(&s, ": %"PRIuSIZE" frame%s a round, ",
                  n, n == 1 ? "" : "s");
    schedule_format(&o->sched, &s);
    ds_put_char(&s, '\n');
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&s, "  frame %"PRIuSIZE": ", i + 1);
        frames_format(frames[i].data, frames[i].len, &s);
        ds_put_char(&s, '\n');
        if (o->hex) {
            ds_put_hex_dump(&s, frames[i].data, frames[i].len, 0, false);
        }
    }
    fputs(ds_cstr(&s), stdout);
    ds_destroy(&s);
}

/* Sends 'n' frames in every round of the schedule.  Returns the number of
 * frames that did not go out. */
static size_t
run_rounds(const struct options *o, struct emitter *emitter,
           const struct frame *frames, size_t n)
{
    uint64_t start = timing_mono_ns();
    size_t total_sent = 0, total = 0;
    char took[32];

    for (unsigned int round = 0; round < o->sched.rounds; round++) {
        uint64_t due = start + schedule_offset_ms(&o->sched, round) * 1000000;
        size_t sent;
        int error;

        while (timing_sleep_until_ns(due) == EINTR) {
            continue;
        }
        error = emitter_send(emitter, frames, n, &sent);
        total_sent += sent;
        total += n;
        timing_format_duration(took, sizeof took, timing_mono_ns() - start);
        if (error) {
            const char *detail = emitter_error_detail(emitter);

            fprintf(stderr, "%s: round %u/%u at +%s: %"PRIuSIZE" of %"PRIuSIZE
                    " frames sent: %s%s%s\n", program_name, round + 1,
                    o->sched.rounds, took, sent, n, ovs_strerror(error),
                    detail ? ": " : "", detail ? detail : "");
        } else if (!o->quiet) {
            printf("round %u/%u at +%s: %"PRIuSIZE" frame%s sent\n",
                   round + 1, o->sched.rounds, took, sent,
                   sent == 1 ? "" : "s");
        }
    }
    timing_format_duration(took, sizeof took, timing_mono_ns() - start);
    if (!o->quiet || total_sent < total) {
        fprintf(total_sent < total ? stderr : stdout,
                "%s: %"PRIuSIZE" of %"PRIuSIZE" frames sent in %u round%s "
                "over %s\n", total_sent < total ? program_name : "done",
                total_sent, total, o->sched.rounds,
                o->sched.rounds == 1 ? "" : "s", took);
    }
    return total - total_sent;
}

/* Says why the emitter could not be opened on its target. */
static void
report_open_error(const struct options *o, int error)
{
    const char *target = o->target;

    if (!strcmp(o->emitter, "af_packet")) {
        if (error == ENODEV) {
            fprintf(stderr, "%s: --iface: no interface '%s' in this network "
                    "namespace\n", program_name, target);
        } else {
            fprintf(stderr, "%s: cannot open a %s emitter on %s: %s%s\n",
                    program_name, o->emitter, target, ovs_strerror(error),
                    error == EPERM
                    ? " (sending raw frames needs CAP_NET_RAW)" : "");
        }
    } else if (!strcmp(o->emitter, "packet-out") && error == EINVAL) {
        fprintf(stderr, "%s: --target: '%s' is not an OpenFlow connection "
                "(expected unix:PATH, tcp:IP:PORT or ssl:IP:PORT, optionally "
                "followed by ,out_port=PORT with PORT a number or a name "
                "such as LOCAL)\n", program_name, target);
    } else if (error == EPROTONOSUPPORT) {
        fprintf(stderr, "%s: the switch at %s speaks no OpenFlow version "
                "the %s emitter does (1.3 to 1.5)\n", program_name, target,
                o->emitter);
    } else {
        fprintf(stderr, "%s: cannot connect to the switch at %s: %s\n",
                program_name, target, ovs_strerror(error));
    }
}

int
main(int argc, char *argv[])
{
    struct frame frames[1 + MAX_ADDRS];
    struct emitter *emitter;
    struct options o;
    size_t n;
    int error;

    set_program_name(argv[0]);
    /* We report errors ourselves, with what the operator asked for. */
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_OFF);
    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_options(argc, argv, &o);

    /* Every argument was checked as it was parsed, so building fails only
     * on a bug. */
    error = frames_build_all(&o.spec, frames, ARRAY_SIZE(frames), &n);
    if (error) {
        ovs_fatal(error, "cannot build the frames");
    }
    if (o.dry_run) {
        print_plan(&o, frames, n);
        return 0;
    }

    error = emitter_open(o.emitter, o.target, &emitter);
    if (error) {
        report_open_error(&o, error);
        return 1;
    }
    if (!o.quiet) {
        print_plan(&o, frames, n);
    }
    if (o.stopped) {
        raise(SIGSTOP);
    }
    n = run_rounds(&o, emitter, frames, n);
    emitter_close(emitter);
    return n ? 1 : 0;
}
