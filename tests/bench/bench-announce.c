/* bench-announce: how long an announcement takes, from the moment it is
 * fired to the moment its frames are on the wire.  Prints figures; asserts
 * nothing (tests/bench/announce-latency sets up the namespaces, switch and
 * flows, and runs it for every emitter and size).
 *
 * An announcement here is N ports' frames (per port a RARP, a gratuitous
 * ARP and an unsolicited NA: 3N frames) handed over in one call.  Per run:
 *
 *   return   how long the call that fires the announcement takes (for an
 *            emitter, emitter_send(); monotonic clock);
 *   first,   the kernel's receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME)
 *   last     of the first and of the last frame on an AF_PACKET socket on
 *            the capturing interface, minus the wall-clock time just
 *            before the call.
 *
 * The capturing socket is opened in the namespace of --capture-netns, the
 * emitter in that of --send-netns (sockets keep the namespace they were
 * made in).  The emitter is opened once, before the runs: a run measures
 * the fire, not the connection.
 *
 *   bench-announce --emitter TYPE --target TARGET --capture-iface IFACE
 *                  [--capture-netns NS] [--send-netns NS]
 *                  [--ports N] [--runs R] [--header] */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "emitter.h"
#include "frames.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "stats.h"
#include "timing.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(bench_announce);

/* How long a run waits for its last frame before counting it lost. */
#define WAIT_NS (2 * TIMING_NS_PER_SEC)

/* Pause between runs, so that one run's tail does not queue before the
 * next one's head. */
#define PAUSE_NS (5 * 1000 * 1000)

/* The largest announcement: port numbers go into two MAC bytes. */
#define MAX_PORTS 65535

/* The first three bytes of every benchmark port's MAC, which is how the
 * capture tells our frames from the rest. */
static const uint8_t mac_prefix[3] = { 0x02, 0x00, 0x0b };

struct options {
    const char *mode;
    const char *target;
    const char *capture_iface;
    const char *capture_netns;
    const char *send_netns;
    size_t n_ports;
    unsigned int runs;
    bool header;
};

/* One port of the announcement: what the DPDK announcer registers, and
 * what the frames are built from. */
struct bench_port {
    char name[16];
    struct eth_addr mac;
    ovs_be32 ipv4;
    struct in6_addr ipv6;
};

/* A way of firing an announcement.  'prepare' gets everything ready
 * before the runs (not measured), 'fire' is what one run measures (it
 * returns when the command that fires returns), 'finish' releases what
 * 'prepare' took. */
struct fire_mode {
    const char *name;
    void *(*prepare)(const struct options *, const struct bench_port *,
                     size_t n_ports, const struct frame *, size_t n_frames);
    void (*fire)(void *, const struct frame *, size_t n_frames);
    void (*finish)(void *);
};

static void *
emitter_prepare(const struct options *o,
                const struct bench_port *ports OVS_UNUSED,
                size_t n_ports OVS_UNUSED,
                const struct frame *frames OVS_UNUSED,
                size_t n_frames OVS_UNUSED)
{
    struct emitter *e;
    int error = emitter_open(o->mode, o->target, &e);

    if (error) {
        ovs_fatal(error, "cannot open a %s emitter on %s", o->mode,
                  o->target);
    }
    return e;
}

static void
emitter_fire(void *e_, const struct frame *frames, size_t n_frames)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    struct emitter *e = e_;
    size_t sent;
    int error = emitter_send(e, frames, n_frames, &sent);

    if (error) {
        const char *detail = emitter_error_detail(e);

        VLOG_WARN_RL(&rl, "sent %"PRIuSIZE" of %"PRIuSIZE" frames: %s%s%s",
                     sent, n_frames, ovs_strerror(error),
                     detail ? ": " : "", detail ? detail : "");
    }
}

static void
emitter_finish(void *e)
{
    emitter_close(e);
}

/* Every way of firing.  Each emitter of emitter.h is a mode of its own
 * name.
 *
 * The DPDK announcer (cutover-announcer) becomes one more mode, "dpdk", with
 * its own three functions: 'prepare' connects to its unixctl socket
 * (--target) and registers every port with "announcer/register PORT MAC
 * ADDR..." (bench_port has the name, MAC and addresses); 'fire' sends
 * "announcer/fire PORT..." for all of them and returns with its reply
 * ("fired N ports, M frames in X us"); 'finish' closes the connection.  The
 * capture and the figures stay as they are. */
static const struct fire_mode modes[] = {
    { "af_packet", emitter_prepare, emitter_fire, emitter_finish },
    { "packet-out", emitter_prepare, emitter_fire, emitter_finish },
};

static const struct fire_mode *
lookup_mode(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (!strcmp(modes[i].name, name)) {
            return &modes[i];
        }
    }
    return NULL;
}

/* Port i: MAC 02:00:0b:00:HI:LO, 10.11.HI.LO, fd00:b::HI:LO, where HI.LO is
 * i + 1. */
static void
make_ports(size_t n, struct bench_port *ports)
{
    for (size_t i = 0; i < n; i++) {
        struct bench_port *p = &ports[i];
        unsigned int id = i + 1;

        snprintf(p->name, sizeof p->name, "p%u", id);
        p->mac = (struct eth_addr) ETH_ADDR_C(02, 00, 0b, 00, 00, 00);
        p->mac.ea[4] = id >> 8;
        p->mac.ea[5] = id & 0xff;
        p->ipv4 = htonl((10u << 24) | (11u << 16) | id);
        memset(&p->ipv6, 0, sizeof p->ipv6);
        p->ipv6.s6_addr[0] = 0xfd;
        p->ipv6.s6_addr[3] = 0x0b;
        p->ipv6.s6_addr[14] = id >> 8;
        p->ipv6.s6_addr[15] = id & 0xff;
    }
}

/* Builds every port's frames, in port order, into 'frames' (room for 3 a
 * port) and returns how many. */
static size_t
build_frames(const struct bench_port *ports, size_t n_ports,
             struct frame *frames)
{
    size_t n = 0;

    for (size_t i = 0; i < n_ports; i++) {
        const struct bench_port *p = &ports[i];
        struct frames_spec spec = {
            .mac = p->mac,
            .rarp = true,
            .ipv4 = &p->ipv4,
            .n_ipv4 = 1,
            .ipv6 = &p->ipv6,
            .n_ipv6 = 1,
        };
        size_t built;
        int error = frames_build_all(&spec, &frames[n], 3, &built);

        if (error) {
            ovs_fatal(error, "cannot build port %s's frames", p->name);
        }
        n += built;
    }
    return n;
}

/* Enters network namespace 'name' (as 'ip netns' names them). */
static void
enter_netns(const char *name)
{
    char path[256];
    int fd;

    snprintf(path, sizeof path, "/run/netns/%s", name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET)) {
        ovs_fatal(errno, "cannot enter network namespace %s", name);
    }
    close(fd);
}

/* Returns a non-blocking AF_PACKET socket that receives every frame
 * arriving on 'iface' (in this namespace), with kernel timestamps. */
static int
capture_open(const char *iface)
{
    struct sockaddr_ll sll;
    int one = 1, size = 64 * 1024 * 1024;
    unsigned int ifindex = if_nametoindex(iface);
    int fd;

    if (!ifindex) {
        ovs_fatal(errno, "no interface %s to capture on", iface);
    }
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                htons(ETH_P_ALL));
    if (fd < 0) {
        ovs_fatal(errno, "cannot open a packet socket (needs CAP_NET_RAW)");
    }
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0
        || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
        ovs_fatal(errno, "cannot capture on %s", iface);
    }
    /* Room for the largest announcement: the default (212 kB) holds a few
     * hundred frames.  Forcing it past rmem_max needs CAP_NET_ADMIN. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) {
        VLOG_WARN("cannot enlarge the capture buffer: %s",
                  ovs_strerror(errno));
    }
    return fd;
}

/* Receives one frame from 'fd' into 'buf' (of 'size' bytes).  Returns its
 * length and stores its kernel timestamp in '*ts_ns', or returns -1 if
 * nothing is waiting.  Frames this host sends are skipped (0). */
static ssize_t
capture_recv(int fd, uint8_t *buf, size_t size, uint64_t *ts_ns)
{
    union {
        struct cmsghdr cm;
        char buf[CMSG_SPACE(sizeof(struct timespec))];
    } control;
    struct sockaddr_ll from;
    struct iovec iov = { .iov_base = buf, .iov_len = size };
    struct msghdr msg = {
        .msg_name = &from,
        .msg_namelen = sizeof from,
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = &control,
        .msg_controllen = sizeof control,
    };
    ssize_t len = recvmsg(fd, &msg, 0);

    if (len < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            ovs_fatal(errno, "capture failed");
        }
        return -1;
    }
    if (from.sll_pkttype == PACKET_OUTGOING) {
        return 0;
    }
    *ts_ns = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm;
         cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET
            && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;

            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            *ts_ns = timing_ts_to_ns(&ts);
        }
    }
    return len;
}

/* Discards everything 'fd' has received so far. */
static void
capture_drain(int fd)
{
    uint8_t buf[2048];
    uint64_t ts;

    while (capture_recv(fd, buf, sizeof buf, &ts) >= 0) {
        continue;
    }
}

/* What the capture saw of one run. */
struct arrival {
    size_t n_ours;              /* Frames from a benchmark MAC. */
    uint64_t first_ns;          /* Timestamp of the first of them. */
    uint64_t last_ns;           /* Timestamp of 'last', 0 if not seen. */
};

/* Receives until the frame 'last' arrives or WAIT_NS pass. */
static void
capture_wait(int fd, const struct frame *last, struct arrival *a)
{
    uint64_t deadline = timing_mono_ns() + WAIT_NS;
    uint8_t buf[2048];

    memset(a, 0, sizeof *a);
    while (!a->last_ns) {
        uint64_t now = timing_mono_ns(), ts;
        ssize_t len = capture_recv(fd, buf, sizeof buf, &ts);

        if (len < 0) {
            struct pollfd pfd = { .fd = fd, .events = POLLIN };

            if (now >= deadline) {
                return;
            }
            poll(&pfd, 1, (deadline - now) / 1000000 + 1);
            continue;
        }
        if (len < ETH_HEADER_LEN || memcmp(buf + 6, mac_prefix,
                                           sizeof mac_prefix)) {
            continue;
        }
        if (!a->n_ours++) {
            a->first_ns = ts;
        }
        if (len == last->len && !memcmp(buf, last->data, len)) {
            a->last_ns = ts;
        }
    }
}

/* Appends "MEDIAN / P99" of 's' to 'line' (or "-" for an empty set). */
static void
put_figures(struct ds *line, struct sample_set *s)
{
    char p50[32], p99[32];

    if (!s->n) {
        ds_put_format(line, "  %10s / %-9s", "-", "-");
        return;
    }
    timing_format_duration(p50, sizeof p50, sample_set_percentile(s, 50));
    timing_format_duration(p99, sizeof p99, sample_set_percentile(s, 99));
    ds_put_format(line, "  %10s / %-9s", p50, p99);
}

static void
print_header(void)
{
    printf("%-10s %5s %6s %4s %6s  %10s / %-9s  %10s / %-9s  %10s / %-9s\n",
           "emitter", "ports", "frames", "runs", "lost", "return p50", "p99",
           "first p50", "p99", "last p50", "p99");
}

static void
run(const struct options *o, const struct fire_mode *mode)
{
    struct bench_port *ports = xcalloc(o->n_ports, sizeof *ports);
    struct frame *frames = xcalloc(3 * o->n_ports, sizeof *frames);
    struct sample_set ret = SAMPLE_SET_INITIALIZER;
    struct sample_set first = SAMPLE_SET_INITIALIZER;
    struct sample_set last = SAMPLE_SET_INITIALIZER;
    struct ds line = DS_EMPTY_INITIALIZER;
    size_t n_frames, lost = 0;
    void *state;
    int fd;

    make_ports(o->n_ports, ports);
    n_frames = build_frames(ports, o->n_ports, frames);

    if (o->capture_netns) {
        enter_netns(o->capture_netns);
    }
    fd = capture_open(o->capture_iface);
    if (o->send_netns) {
        enter_netns(o->send_netns);
    }
    state = mode->prepare(o, ports, o->n_ports, frames, n_frames);

    /* Run 0 warms up (caches, the switch's flow cache) and is not
     * counted. */
    for (unsigned int i = 0; i <= o->runs; i++) {
        uint64_t fire_rt, t0, t1;
        struct arrival a;

        timing_sleep_until_ns(timing_mono_ns() + PAUSE_NS);
        capture_drain(fd);
        fire_rt = timing_realtime_ns();
        t0 = timing_mono_ns();
        mode->fire(state, frames, n_frames);
        t1 = timing_mono_ns();
        capture_wait(fd, &frames[n_frames - 1], &a);
        if (!i) {
            continue;
        }

        sample_set_add(&ret, t1 - t0);
        lost += n_frames - MIN(a.n_ours, n_frames);
        if (a.n_ours) {
            sample_set_add(&first, (int64_t) (a.first_ns - fire_rt));
        }
        if (a.last_ns) {
            sample_set_add(&last, (int64_t) (a.last_ns - fire_rt));
        }
    }
    mode->finish(state);
    close(fd);

    if (o->header) {
        print_header();
    }
    ds_put_format(&line, "%-10s %5"PRIuSIZE" %6"PRIuSIZE" %4u %6"PRIuSIZE,
                  mode->name, o->n_ports, n_frames, o->runs, lost);
    put_figures(&line, &ret);
    put_figures(&line, &first);
    put_figures(&line, &last);
    puts(ds_cstr(&line));

    ds_destroy(&line);
    sample_set_destroy(&ret);
    sample_set_destroy(&first);
    sample_set_destroy(&last);
    free(frames);
    free(ports);
}

static void
usage(void)
{
    printf("\
%s: time from firing an announcement to its frames on the wire\n\
usage: %s --emitter TYPE --target TARGET --capture-iface IFACE [OPTIONS]\n\
\n\
  --emitter=TYPE         af_packet or packet-out\n\
  --target=TARGET        the emitter's target (an interface, a vconn)\n\
  --capture-iface=IFACE  where the frames arrive\n\
  --capture-netns=NS     IFACE's network namespace\n\
  --send-netns=NS        the namespace to open the emitter in\n\
  --ports=N              ports in the announcement, 3 frames each\n\
                         (default 1)\n\
  --runs=R               measured runs (default 100)\n\
  --header               print the table's header first\n",
           program_name, program_name);
}

static void
parse_options(int argc, char *argv[], struct options *o)
{
    enum {
        OPT_EMITTER = UCHAR_MAX + 1,
        OPT_TARGET,
        OPT_CAPTURE_IFACE,
        OPT_CAPTURE_NETNS,
        OPT_SEND_NETNS,
        OPT_PORTS,
        OPT_RUNS,
        OPT_HEADER,
    };
    static const struct option long_options[] = {
        {"emitter", required_argument, NULL, OPT_EMITTER},
        {"target", required_argument, NULL, OPT_TARGET},
        {"capture-iface", required_argument, NULL, OPT_CAPTURE_IFACE},
        {"capture-netns", required_argument, NULL, OPT_CAPTURE_NETNS},
        {"send-netns", required_argument, NULL, OPT_SEND_NETNS},
        {"ports", required_argument, NULL, OPT_PORTS},
        {"runs", required_argument, NULL, OPT_RUNS},
        {"header", no_argument, NULL, OPT_HEADER},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };

    memset(o, 0, sizeof *o);
    o->n_ports = 1;
    o->runs = 100;
    for (;;) {
        int c = getopt_long(argc, argv, "h", long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_EMITTER:
            o->mode = optarg;
            break;
        case OPT_TARGET:
            o->target = optarg;
            break;
        case OPT_CAPTURE_IFACE:
            o->capture_iface = optarg;
            break;
        case OPT_CAPTURE_NETNS:
            o->capture_netns = optarg;
            break;
        case OPT_SEND_NETNS:
            o->send_netns = optarg;
            break;
        case OPT_PORTS:
            o->n_ports = cli_parse_uint("--ports", optarg, 1, MAX_PORTS);
            break;
        case OPT_RUNS:
            o->runs = cli_parse_uint("--runs", optarg, 1, 100000);
            break;
        case OPT_HEADER:
            o->header = true;
            break;
        case 'h':
            usage();
            exit(0);
        default:
            cli_usage_error("invalid option");
        }
    }
    if (!o->mode || !o->target || !o->capture_iface) {
        cli_usage_error("--emitter, --target and --capture-iface are "
                        "required");
    }
}

int
main(int argc, char *argv[])
{
    const struct fire_mode *mode;
    struct options o;

    set_program_name(argv[0]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_options(argc, argv, &o);
    mode = lookup_mode(o.mode);
    if (!mode) {
        cli_usage_error("--emitter: no mode '%s'", o.mode);
    }
    run(&o, mode);
    return 0;
}
