/* cutover-announcer: the DPDK announcement fast path, one per host.
 *
 * The controller registers, for every port that may move to this host, the
 * frames that announce it (a RARP, a gratuitous ARP per IPv4 address, an
 * unsolicited NA per IPv6 address: frames.h) and its schedule (QEMU's:
 * schedule.h).  The frames are built once, at registration, straight into
 * DPDK mbufs that stay ours (announcer-dpdk.c).  At the switchover one
 * "announcer/fire" sends the first round of every named port in one
 * rte_eth_tx_burst() (split only as the tx ring requires), with no
 * allocation and no formatting; the later rounds follow each port's
 * schedule.
 *
 * The port is plugged into the host's integration bridge with
 * external_ids:iface-id=cutover-announcer, and the pipeline lets out what
 * it sends as if each VM had sent it (docs/pipeline.md); or it is any
 * other DPDK device (docs/cutover-announcer.8).
 *
 * The daemon is also the host's agent for what must happen on the host
 * itself: the hold and replay of a migrating port's frames
 * (announcer-hold.c) and the tunnel neighbours (announcer-neigh.c), which
 * the controller, on another machine, cannot set.
 *
 * One thread, one poll loop (OVS's poll_block()): the control socket (OVS
 * unixctl), the schedules' timers and the fatal signals.  Control and
 * transmission never race, so nothing is locked: a registration is
 * replaced, fired or withdrawn between two bursts, never during one.
 * Sending is a burst call made when there is something to send, not a
 * driver thread busy-polling a core; the rx queue is read only while a
 * migrating port's frames are held (announcer-hold.c), every millisecond
 * from the same loop.  A fire
 * waits at most for what the loop is doing when it arrives, and every step
 * of the loop is short (a command, a burst of due rounds).
 *
 * Control commands (ovs-appctl -t SOCKET COMMAND): announcer/register,
 * announcer/fire, announcer/withdraw, announcer/show, announcer/list,
 * hold/start, hold/replay, hold/release, hold/stop, hold/show,
 * neighbours/set, neighbours/show, exit.  Their arguments and replies are
 * a fixed protocol (cutoverd calls them): see docs/cutover-announcer.8. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announcer-args.h"
#include "announcer-dpdk.h"
#include "announcer-hold.h"
#include "announcer-neigh.h"
#include "cli.h"
#include "command-line.h"
#include "control.h"
#include "daemon.h"
#include "dirs.h"
#include "fatal-signal.h"
#include "frames.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "schedule.h"
#include "stats.h"
#include "stream.h"
#include "stream-ssl.h"
#include "timing.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announcer);

#define DEFAULT_UNIXCTL "/var/run/cutover/announcer.ctl"
#define DEFAULT_MAX_FRAMES 8192
#define MAX_MAX_FRAMES (1u << 20)
#define DEFAULT_HOLD_FRAMES 4096

/* Fire latencies announcer/show summarizes: the most recent ones. */
#define LATENCY_WINDOW 65536

/* Options. */
static const char *unixctl_path;
static const char *vswitchd_unixctl; /* --ovs-vswitchd, or NULL: found
                                      * through its pidfile. */
static char **remotes;          /* --remote: control listeners for
                                 * cutoverd. */
static size_t n_remotes;
static unsigned int port_id;
static unsigned int max_frames = DEFAULT_MAX_FRAMES;
static unsigned int hold_frames = DEFAULT_HOLD_FRAMES;
static unsigned int replay_window = ANNOUNCER_HOLDS_DEFAULT_WINDOW;

/* A registered port. */
struct ann_port {
    char *name;                 /* The NB port name (the VM's iface-id), or
                                 * any name the caller chose. */
    struct frames_spec spec;    /* Its 'ipv4' and 'ipv6' are ours. */
    struct schedule_params sched;
    struct rte_mbuf **mbufs;    /* The frames, built once. */
    size_t n_frames;

    /* Rounds in progress ('firing'). */
    struct ovs_list firing_node; /* In announcer's 'firing' list. */
    bool firing;
    unsigned int next_round;    /* The next round to send (from 0). */
    uint64_t start_ns;          /* When round 0 went out (monotonic). */
    uint64_t due_ns;            /* When round 'next_round' is due. */
    uint64_t fire_seq;          /* Last fire command that named it. */

    /* Counters. */
    uint64_t n_fires;
    uint64_t n_rounds;          /* Rounds sent, first ones included. */
    uint64_t n_sent;            /* Frames that went out. */
    uint64_t n_failed;          /* Frames the driver did not take. */
    int64_t last_fire_ns;       /* Latency of its last fire, -1: none. */
};

/* The announcer's state. */
struct announcer {
    struct shash ports;         /* Name -> struct ann_port. */
    struct ovs_list firing;     /* struct ann_port with rounds to come. */
    size_t n_frames;            /* Frames registered (mbufs held). */

    /* Scratch, sized for 'max_frames' at start, so that a fire allocates
     * nothing: every mbuf of a burst, and the ports of the burst. */
    struct rte_mbuf **burst;
    struct ann_port **burst_ports;
    uint64_t fire_seq;

    /* Totals. */
    uint64_t n_fires;
    uint64_t n_rounds;
    uint64_t n_sent;
    uint64_t n_failed;
    int64_t *latencies;         /* Ring of the last LATENCY_WINDOW. */
    uint64_t n_latencies;       /* Ever recorded. */

    struct announcer_holds *holds; /* Migrating ports' frames. */
    struct announcer_neigh *neigh; /* The host's tunnel neighbours. */

    bool exiting;
    bool destroyed;
};

static void
usage(void)
{
    printf("\
%s: the DPDK announcement fast path (RARP, gratuitous ARP, NA)\n\
usage: %s EAL-ARGUMENTS... -- [OPTIONS]\n\
\n\
Keeps announcement frames of registered ports built in DPDK mbufs and sends\n\
them, on command, in one burst, then on QEMU's announce schedule.  EAL\n\
arguments come first (e.g. -l 0 --no-pci --no-huge -m 64 --no-shconf\n\
--file-prefix=announcer --vdev=net_af_packet0,iface=ann0), then '--'.\n\
\n\
Options:\n\
  --unixctl=SOCKET           control socket (default: %s)\n\
  --remote=PSTREAM           also answer control commands (JSON-RPC, as\n\
                             cutoverd's Host.announcer target reaches\n\
                             them) on PSTREAM: pssl:PORT[:IP] (mutual\n\
                             TLS: the peer needs a certificate of the\n\
                             CA), ptcp:PORT:IP (no authentication: an IP\n\
                             is required), punix:FILE; repeatable\n\
  --socket-group=GROUP       the group of the unix control sockets (mode\n\
                             0660: the daemon's user and GROUP may\n\
                             connect; default: the daemon's group)\n\
  --ovs-vswitchd=SOCKET      the host's ovs-vswitchd control socket, where\n\
                             tunnel neighbours are set (default: found\n\
                             as ovs-appctl finds it, from ovs-vswitchd.pid\n\
                             in %s)\n\
  --port-id=N                the DPDK port to send on (default: 0)\n\
  --max-frames=N             frames that can be registered, the mempool's\n\
                             size (default: %d, at most %u)\n\
  --hold-frames=N            frames the holds can keep, all ports together\n\
                             (default: %d, at most %u)\n\
  --replay-window=N          frames a replay or release has in the switch\n\
                             at once (default: %d, 1 to %d)\n",
           program_name, program_name, DEFAULT_UNIXCTL, ovs_rundir(),
           DEFAULT_MAX_FRAMES,
           MAX_MAX_FRAMES, DEFAULT_HOLD_FRAMES, MAX_MAX_FRAMES,
           ANNOUNCER_HOLDS_DEFAULT_WINDOW, ANNOUNCER_HOLDS_MAX_WINDOW);
    daemon_usage();
    vlog_usage();
    stream_usage("PSTREAM", false, true, false);
    printf("\
  -h, --help                 print this help\n\
  -V, --version              print the version\n\
\n\
Commands (ovs-appctl -t SOCKET ...): announcer/register PORT MAC [ADDR...]\n\
[vlan=VID] [router] [arp-reply] [no-rarp] [rounds=N] [initial=MS] [max=MS]\n\
[step=MS]; announcer/fire PORT...; announcer/withdraw PORT; announcer/show\n\
[PORT]; announcer/list; hold/start PORT ID [bytes=N] [age=MS]; hold/replay\n\
PORT [stopped=S.US] [margin=MS]; hold/release PORT; hold/stop PORT;\n\
hold/show [PORT]; neighbours/set BRIDGE [IP=MAC...]; neighbours/show;\n\
exit.  See cutover-announcer(8).\n");
}

/* Parses the application's options, those after "--". */
static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_UNIXCTL = UCHAR_MAX + 1,
        OPT_PORT_ID,
        OPT_MAX_FRAMES,
        OPT_HOLD_FRAMES,
        OPT_REPLAY_WINDOW,
        OPT_REMOTE,
        OPT_SOCKET_GROUP,
        OPT_OVS_VSWITCHD,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"port-id", required_argument, NULL, OPT_PORT_ID},
        {"max-frames", required_argument, NULL, OPT_MAX_FRAMES},
        {"hold-frames", required_argument, NULL, OPT_HOLD_FRAMES},
        {"replay-window", required_argument, NULL, OPT_REPLAY_WINDOW},
        {"remote", required_argument, NULL, OPT_REMOTE},
        {"socket-group", required_argument, NULL, OPT_SOCKET_GROUP},
        {"ovs-vswitchd", required_argument, NULL, OPT_OVS_VSWITCHD},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        DAEMON_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_UNIXCTL:
            unixctl_path = optarg;
            break;
        case OPT_PORT_ID:
            port_id = cli_parse_uint("--port-id", optarg, 0, UINT16_MAX - 1);
            break;
        case OPT_MAX_FRAMES:
            max_frames = cli_parse_uint("--max-frames", optarg, 1,
                                        MAX_MAX_FRAMES);
            break;
        case OPT_HOLD_FRAMES:
            hold_frames = cli_parse_uint("--hold-frames", optarg, 0,
                                         MAX_MAX_FRAMES);
            break;
        case OPT_REPLAY_WINDOW:
            replay_window = cli_parse_uint("--replay-window", optarg, 1,
                                           ANNOUNCER_HOLDS_MAX_WINDOW);
            break;
        case OPT_SOCKET_GROUP:
            control_set_socket_group(optarg);
            break;
        case OPT_REMOTE:
            control_parse_remote(optarg, &remotes, &n_remotes);
            break;
        case OPT_OVS_VSWITCHD:
            if (optarg[0] != '/') {
                cli_usage_error("--ovs-vswitchd: '%s' is not an absolute "
                                "file name (ovs-vswitchd's control "
                                "socket)", optarg);
            }
            vswitchd_unixctl = optarg;
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
            cli_usage_error("invalid option (EAL arguments go before '--', "
                            "the announcer's after)");
        }
    }
    free(short_options);

    if (optind < argc) {
        cli_usage_error("unexpected argument '%s' (the announcer takes only "
                        "options after '--')", argv[optind]);
    }
    if (!unixctl_path) {
        unixctl_path = DEFAULT_UNIXCTL;
    }
}

/* Whether 'arg' asks for help or the version, which need no EAL. */
static bool
is_help(const char *arg)
{
    return (!strcmp(arg, "-h") || !strcmp(arg, "--help")
            || !strcmp(arg, "-V") || !strcmp(arg, "--version"));
}

/* Splits the command line at "--" (as DPDK's examples do): the EAL's
 * arguments before it into '*eal_argcp' and '*eal_argvp', the announcer's
 * after it, with argv[0] in front, into '*app_argcp' and '*app_argvp'
 * (both vectors to free).  Without "--", everything is the EAL's, unless
 * one argument asks for help or the version. */
static void
split_args(int argc, char *argv[], int *eal_argcp, char ***eal_argvp,
           int *app_argcp, char ***app_argvp)
{
    int dashes = -1;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            dashes = i;
            break;
        }
    }
    if (dashes < 0) {
        dashes = argc;
        for (int i = 1; i < argc; i++) {
            if (is_help(argv[i])) {
                dashes = 0;
                break;
            }
        }
    }

    *eal_argvp = xcalloc(argc + 1, sizeof **eal_argvp);
    *app_argvp = xcalloc(argc + 1, sizeof **app_argvp);
    (*eal_argvp)[0] = (*app_argvp)[0] = argv[0];
    *eal_argcp = *app_argcp = 1;
    for (int i = 1; i < argc; i++) {
        if (i < dashes) {
            (*eal_argvp)[(*eal_argcp)++] = argv[i];
        } else if (i > dashes) {
            (*app_argvp)[(*app_argcp)++] = argv[i];
        }
    }
}

/* Registrations. */

static struct ann_port *
port_find(struct announcer *a, const char *name)
{
    return shash_find_data(&a->ports, name);
}

static void
port_stop_rounds(struct announcer *a OVS_UNUSED, struct ann_port *p)
{
    if (p->firing) {
        ovs_list_remove(&p->firing_node);
        p->firing = false;
    }
}

/* Frees 'p''s frames and 'p', which must have left 'a''s ports. */
static void
port_destroy(struct announcer *a, struct ann_port *p)
{
    port_stop_rounds(a, p);
    announcer_dpdk_free(p->mbufs, p->n_frames);
    a->n_frames -= p->n_frames;
    free(p->mbufs);
    free(CONST_CAST(ovs_be32 *, p->spec.ipv4));
    free(CONST_CAST(struct in6_addr *, p->spec.ipv6));
    free(p->name);
    free(p);
}

/* Schedules 'p''s next round after round 'p->next_round' - 1 went out, or
 * ends its rounds. */
static void
port_schedule_next(struct announcer *a, struct ann_port *p)
{
    if (p->next_round >= p->sched.rounds) {
        port_stop_rounds(a, p);
        return;
    }
    p->due_ns = p->start_ns + schedule_offset_ms(&p->sched, p->next_round)
                              * 1000000;
    if (!p->firing) {
        ovs_list_push_back(&a->firing, &p->firing_node);
        p->firing = true;
    }
}

static void
announcer_register(struct control_req *req, int argc, const char *argv[],
                   void *a_)
{
    struct announcer *a = a_;
    struct announcer_reg reg;
    struct rte_mbuf **mbufs;
    struct ann_port *p, *old;
    struct ds s = DS_EMPTY_INITIALIZER;
    size_t n;
    char *error;
    int err;

    error = announcer_parse_register(argc - 1, argv + 1, &reg);
    if (error) {
        control_reply(req, false, error);
        free(error);
        return;
    }

    /* Build first: a registration that fails leaves the old one as it
     * was. */
    mbufs = xmalloc(ANNOUNCER_MAX_FRAMES * sizeof *mbufs);
    err = announcer_dpdk_build(&reg.spec, mbufs, ANNOUNCER_MAX_FRAMES, &n);
    if (err == ENOBUFS) {
        ds_put_format(&s, "mempool full: %"PRIuSIZE" frames registered, "
                      "raise --max-frames (now %u)", a->n_frames,
                      max_frames);
    } else if (err) {
        ds_put_format(&s, "cannot build the frames: %s", ovs_strerror(err));
    }
    if (err) {
        free(mbufs);
        control_reply(req, false, ds_cstr(&s));
        ds_destroy(&s);
        return;
    }

    p = xzalloc(sizeof *p);
    p->name = xstrdup(reg.port);
    p->spec = reg.spec;
    p->spec.ipv4 = xmemdup(reg.ipv4, reg.spec.n_ipv4 * sizeof *reg.ipv4);
    p->spec.ipv6 = xmemdup(reg.ipv6, reg.spec.n_ipv6 * sizeof *reg.ipv6);
    p->sched = reg.sched;
    p->mbufs = xrealloc(mbufs, n * sizeof *mbufs);
    p->n_frames = n;
    p->last_fire_ns = -1;
    a->n_frames += n;

    old = shash_replace(&a->ports, p->name, p);
    if (old) {
        /* The counters stay the port's; rounds in progress go on with the
         * new frames on the new schedule. */
        p->n_fires = old->n_fires;
        p->n_rounds = old->n_rounds;
        p->n_sent = old->n_sent;
        p->n_failed = old->n_failed;
        p->last_fire_ns = old->last_fire_ns;
        p->fire_seq = old->fire_seq;
        if (old->firing) {
            p->start_ns = old->start_ns;
            p->next_round = old->next_round;
            port_schedule_next(a, p);
        }
        port_destroy(a, old);
    }

    VLOG_INFO("%s %s: %"PRIuSIZE" frames", old ? "replaced" : "registered",
              p->name, n);
    ds_put_format(&s, "registered %s: %"PRIuSIZE" frames", p->name, n);
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

/* Sending. */

/* Records a fire's latency 'ns'. */
static void
record_latency(struct announcer *a, int64_t ns)
{
    a->latencies[a->n_latencies++ % LATENCY_WINDOW] = ns;
}

/* Sends one round of each of the 'n' ports of 'a->burst_ports', whose
 * frames are in 'a->burst' in that order ('n_mbufs' of them), and counts
 * per port what went out.  Returns the number of frames sent. */
static size_t
send_burst(struct announcer *a, size_t n, size_t n_mbufs, size_t *n_failedp)
{
    unsigned int n_bursts;
    size_t sent = announcer_dpdk_send(a->burst, n_mbufs, &n_bursts);
    size_t offset = 0;

    for (size_t i = 0; i < n; i++) {
        struct ann_port *p = a->burst_ports[i];
        size_t ok = (sent <= offset ? 0
                     : MIN(sent - offset, p->n_frames));

        p->n_rounds++;
        p->n_sent += ok;
        p->n_failed += p->n_frames - ok;
        offset += p->n_frames;
    }
    a->n_rounds += n;
    a->n_sent += sent;
    a->n_failed += n_mbufs - sent;
    if (sent < n_mbufs) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

        VLOG_WARN_RL(&rl, "%"PRIuSIZE" of %"PRIuSIZE" frames not sent: "
                     "the driver took none after %u tx bursts",
                     n_mbufs - sent, n_mbufs, n_bursts);
    }
    *n_failedp = n_mbufs - sent;
    return sent;
}

/* Adds 'p''s frames to the burst being gathered.  Every frame registered
 * is an mbuf of the pool of 'max_frames', and a burst takes each port once,
 * so the scratch arrays are large enough. */
static void
gather(struct announcer *a, struct ann_port *p, size_t *n, size_t *n_mbufs)
{
    ovs_assert(*n_mbufs + p->n_frames <= max_frames);
    memcpy(&a->burst[*n_mbufs], p->mbufs, p->n_frames * sizeof *p->mbufs);
    *n_mbufs += p->n_frames;
    a->burst_ports[(*n)++] = p;
}

static void
announcer_fire(struct control_req *req, int argc, const char *argv[],
               void *a_)
{
    uint64_t start = timing_mono_ns();
    struct announcer *a = a_;
    size_t n = 0, n_mbufs = 0, sent, n_failed;
    struct ds s = DS_EMPTY_INITIALIZER;
    int64_t latency;

    /* Every name first: an unknown one fires nothing. */
    a->fire_seq++;
    for (int i = 1; i < argc; i++) {
        struct ann_port *p = port_find(a, argv[i]);

        if (!p) {
            ds_put_format(&s, "no port '%s' registered: nothing fired",
                          argv[i]);
            control_reply(req, false, ds_cstr(&s));
            ds_destroy(&s);
            return;
        }
        /* A port named twice is sent once. */
        if (p->fire_seq != a->fire_seq) {
            p->fire_seq = a->fire_seq;
            gather(a, p, &n, &n_mbufs);
        }
    }

    sent = send_burst(a, n, n_mbufs, &n_failed);
    latency = timing_mono_ns() - start;

    /* The later rounds count from the first. */
    for (size_t i = 0; i < n; i++) {
        struct ann_port *p = a->burst_ports[i];

        p->n_fires++;
        p->last_fire_ns = latency;
        p->start_ns = start;
        p->next_round = 1;
        port_schedule_next(a, p);
    }
    a->n_fires++;
    record_latency(a, latency);

    ds_put_format(&s, "fired %"PRIuSIZE" ports, %"PRIuSIZE" frames in "
                  "%"PRId64".%03"PRId64" us", n, sent, latency / 1000,
                  latency % 1000);
    if (n_failed) {
        ds_put_format(&s, "; %"PRIuSIZE" frames not sent", n_failed);
    }
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

/* Sends every round that is due, all in one burst. */
static void
announcer_run(struct announcer *a)
{
    uint64_t now = timing_mono_ns();
    size_t n = 0, n_mbufs = 0, n_failed;
    struct ann_port *p, *next;

    LIST_FOR_EACH_SAFE (p, next, firing_node, &a->firing) {
        if (p->due_ns <= now) {
            gather(a, p, &n, &n_mbufs);
        }
    }
    if (!n) {
        return;
    }
    send_burst(a, n, n_mbufs, &n_failed);
    for (size_t i = 0; i < n; i++) {
        p = a->burst_ports[i];
        p->next_round++;
        port_schedule_next(a, p);
    }
}

static void
announcer_wait(const struct announcer *a)
{
    const struct ann_port *p;

    LIST_FOR_EACH (p, firing_node, &a->firing) {
        poll_timer_wait_until(DIV_ROUND_UP(p->due_ns, 1000000));
    }
}

/* The other commands. */

static void
announcer_withdraw(struct control_req *req, int argc OVS_UNUSED,
                   const char *argv[], void *a_)
{
    struct announcer *a = a_;
    struct ann_port *p = port_find(a, argv[1]);
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!p) {
        ds_put_format(&s, "no port '%s' registered", argv[1]);
        control_reply(req, false, ds_cstr(&s));
    } else {
        ds_put_format(&s, "withdrew %s: %"PRIuSIZE" frames freed", p->name,
                      p->n_frames);
        shash_find_and_delete(&a->ports, p->name);
        VLOG_INFO("withdrew %s", p->name);
        port_destroy(a, p);
        control_reply(req, true, ds_cstr(&s));
    }
    ds_destroy(&s);
}

static void
put_duration(struct ds *s, int64_t ns)
{
    char buf[32];

    ds_put_cstr(s, timing_format_duration(buf, sizeof buf, ns));
}

static void
format_port(const struct ann_port *p, bool frames, struct ds *s)
{
    ds_put_format(s, "port %s: ", p->name);
    announcer_format_spec(&p->spec, s);
    ds_put_format(s, "\n  %"PRIuSIZE" frames, ", p->n_frames);
    schedule_format(&p->sched, s);
    ds_put_format(s, "\n  fires %"PRIu64", rounds sent %"PRIu64", frames "
                  "sent %"PRIu64", failed %"PRIu64", last fire ", p->n_fires,
                  p->n_rounds, p->n_sent, p->n_failed);
    if (p->last_fire_ns >= 0) {
        put_duration(s, p->last_fire_ns);
    } else {
        ds_put_cstr(s, "never");
    }
    if (p->firing) {
        ds_put_format(s, ", firing: round %u of %u next", p->next_round + 1,
                      p->sched.rounds);
    }
    ds_put_char(s, '\n');
    for (size_t i = 0; frames && i < p->n_frames; i++) {
        ds_put_format(s, "  frame %"PRIuSIZE": ", i + 1);
        announcer_dpdk_format_frame(p->mbufs[i], s);
        ds_put_char(s, '\n');
    }
}

static void
announcer_show(struct control_req *req, int argc, const char *argv[],
               void *a_)
{
    struct announcer *a = a_;
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct shash_node **nodes;
    struct sample_set lat = SAMPLE_SET_INITIALIZER;
    size_t n_lat;

    if (argc > 1) {
        const struct ann_port *p = port_find(a, argv[1]);

        if (!p) {
            ds_put_format(&s, "no port '%s' registered", argv[1]);
            control_reply(req, false, ds_cstr(&s));
        } else {
            format_port(p, true, &s);
            control_reply(req, true, ds_cstr(&s));
        }
        ds_destroy(&s);
        return;
    }

    announcer_dpdk_format(&s);
    ds_put_char(&s, '\n');
    announcer_holds_format(a->holds, &s);
    ds_put_char(&s, '\n');
    nodes = shash_sort(&a->ports);
    for (size_t i = 0; i < shash_count(&a->ports); i++) {
        format_port(nodes[i]->data, false, &s);
    }
    free(nodes);

    ds_put_format(&s, "totals: %"PRIuSIZE" ports, %"PRIuSIZE" frames "
                  "registered, %"PRIu64" fires, %"PRIu64" rounds, %"PRIu64
                  " frames sent, %"PRIu64" failed\n",
                  shash_count(&a->ports), a->n_frames, a->n_fires,
                  a->n_rounds, a->n_sent, a->n_failed);
    n_lat = MIN(a->n_latencies, LATENCY_WINDOW);
    for (size_t i = 0; i < n_lat; i++) {
        sample_set_add(&lat, a->latencies[i]);
    }
    ds_put_format(&s, "fire latency over the last %"PRIuSIZE" fires:",
                  n_lat);
    if (n_lat) {
        ds_put_cstr(&s, " min ");
        put_duration(&s, sample_set_min(&lat));
        ds_put_cstr(&s, ", median ");
        put_duration(&s, sample_set_percentile(&lat, 50));
        ds_put_cstr(&s, ", p99 ");
        put_duration(&s, sample_set_percentile(&lat, 99));
        ds_put_cstr(&s, ", max ");
        put_duration(&s, sample_set_max(&lat));
    } else {
        ds_put_cstr(&s, " none");
    }
    ds_put_char(&s, '\n');
    sample_set_destroy(&lat);
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

static void
announcer_list(struct control_req *req, int argc OVS_UNUSED,
               const char *argv[] OVS_UNUSED, void *a_)
{
    struct announcer *a = a_;
    const struct shash_node **nodes = shash_sort(&a->ports);
    struct ds s = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < shash_count(&a->ports); i++) {
        ds_put_format(&s, "%s\n", nodes[i]->name);
    }
    free(nodes);
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

static void
announcer_exit(struct control_req *req, int argc OVS_UNUSED,
               const char *argv[] OVS_UNUSED, void *a_)
{
    struct announcer *a = a_;

    a->exiting = true;
    control_reply(req, true, NULL);
}

/* Gives every mbuf back and closes DPDK.  Called on the way out, also from
 * a fatal signal's hook (from poll_block(), never from the signal handler)
 * and at exit(); does nothing the second time. */
static void
announcer_destroy(void *a_)
{
    struct announcer *a = a_;
    struct shash_node *node, *next;

    if (a->destroyed) {
        return;
    }
    a->destroyed = true;
    announcer_holds_destroy(a->holds);
    a->holds = NULL;
    announcer_neigh_destroy(a->neigh);
    a->neigh = NULL;
    SHASH_FOR_EACH_SAFE (node, next, &a->ports) {
        struct ann_port *p = node->data;

        shash_delete(&a->ports, node);
        port_destroy(a, p);
    }
    shash_destroy(&a->ports);
    announcer_dpdk_close();
    free(a->burst);
    free(a->burst_ports);
    free(a->latencies);
}

int
main(int argc, char *argv[])
{
    static struct announcer a;
    struct unixctl_server *unixctl;
    struct control_server **servers;
    int eal_argc, app_argc;
    char **eal_argv, **app_argv;
    char *error_msg;
    unsigned int n_ports;
    int error;

    set_program_name(argv[0]);
    split_args(argc, argv, &eal_argc, &eal_argv, &app_argc, &app_argv);
    parse_options(app_argc, app_argv);
    fatal_ignore_sigpipe();

    shash_init(&a.ports);
    ovs_list_init(&a.firing);
    a.burst = xmalloc(max_frames * sizeof *a.burst);
    a.burst_ports = xmalloc(max_frames * sizeof *a.burst_ports);
    a.latencies = xmalloc(LATENCY_WINDOW * sizeof *a.latencies);

    /* DPDK's threads do not survive a fork(): detach first.  Until
     * daemonize_complete() errors still reach the terminal. */
    daemonize_start(false);
    unixctl = control_unixctl_create(unixctl_path);
    servers = xcalloc(n_remotes + 1, sizeof *servers);
    for (size_t i = 0; i < n_remotes; i++) {
        error = control_server_create(remotes[i], &servers[i]);
        if (error) {
            ovs_fatal(error, "cannot listen on %s", remotes[i]);
        }
    }
    fatal_signal_add_hook(announcer_destroy, NULL, &a, true);

    error = announcer_dpdk_init(eal_argc, eal_argv, &error_msg);
    if (error) {
        ovs_fatal(0, "%s", error_msg);
    }
    n_ports = announcer_dpdk_count_ports();
    if (!n_ports) {
        ovs_fatal(0, "DPDK has 0 ports: give the EAL one, e.g. "
                  "--vdev=net_af_packet0,iface=IFACE");
    }
    error = announcer_dpdk_open(port_id, max_frames, hold_frames,
                                &error_msg);
    if (error) {
        ovs_fatal(0, "%s", error_msg);
    }
    if (n_ports > 1) {
        VLOG_INFO("DPDK has %u ports: using port %u only", n_ports, port_id);
    }

    control_register_fenced("announcer/register",
                             "PORT MAC [ADDR...] [vlan=VID] [router] "
                             "[arp-reply] [no-rarp] [rounds=N] [initial=MS] "
                             "[max=MS] [step=MS]", 2, INT_MAX,
                             announcer_register, &a);
    control_register_fenced("announcer/fire", "PORT...", 1, INT_MAX,
                             announcer_fire, &a);
    control_register_fenced("announcer/withdraw", "PORT", 1, 1,
                             announcer_withdraw, &a);
    control_register("announcer/show", "[PORT]", 0, 1,
                             announcer_show, &a);
    control_register("announcer/list", "", 0, 0,
                             announcer_list, &a);
    control_register("exit", "", 0, 0, announcer_exit, &a);
    /* Several controllers may reach this agent (an active one and its
     * standbys): only the newest claimant changes anything here. */
    control_enable_fencing();
    a.holds = announcer_holds_create(&(struct hold_limits)
                                     HOLD_LIMITS_DEFAULT, replay_window);
    a.neigh = announcer_neigh_create(vswitchd_unixctl);
    daemonize_complete();
    VLOG_INFO("ready on %s, %u frames", unixctl_path, max_frames);

    while (!a.exiting) {
        unixctl_server_run(unixctl);
        for (size_t i = 0; i < n_remotes; i++) {
            control_server_run(servers[i]);
        }
        announcer_holds_run(a.holds);
        announcer_neigh_run(a.neigh);
        announcer_run(&a);
        if (a.exiting) {
            break;
        }
        unixctl_server_wait(unixctl);
        for (size_t i = 0; i < n_remotes; i++) {
            control_server_wait(servers[i]);
        }
        announcer_wait(&a);
        announcer_holds_wait(a.holds);
        announcer_neigh_wait(a.neigh);
        poll_block();
    }

    control_shutdown();
    announcer_destroy(&a);
    for (size_t i = 0; i < n_remotes; i++) {
        control_server_destroy(servers[i]);
    }
    free(servers);
    unixctl_server_destroy(unixctl);
    free(eal_argv);
    free(app_argv);
    return 0;
}
