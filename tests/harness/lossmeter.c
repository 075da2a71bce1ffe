/* cutover-lossmeter: measures traffic loss at packet granularity.
 *
 *   send    paces sequence-numbered, timestamped UDP probes at a fixed rate
 *           and writes a sender log (what it sent);
 *   recv    records every probe that arrives (a receiver log);
 *   report  merges any number of sender and receiver logs by stream and
 *           sequence number and reports, per stream: sent, received, lost
 *           (with the lost ranges), duplicated, reordered, the longest gap
 *           between consecutive arrivals and where it was, one-way delays;
 *   dump    prints a receiver log as text, one arrival per line.
 *
 * Several senders may feed one stream (a VM's source instance, then its
 * destination instance continuing the sequence numbers: see --resume), and
 * several receivers may record it (the instances on both hosts): 'report'
 * merges them.  All timestamps are CLOCK_REALTIME, which every network
 * namespace shares, so one-way delays across namespaces are exact. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "command-line.h"
#include "lossacct.h"
#include "lossmeter-log.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "socket-util.h"
#include "timing.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(lossmeter);

#define DEFAULT_RATE 10000
#define MAX_RATE 1000000
#define DEFAULT_SIZE 64
#define MAX_SIZE 1472           /* One Ethernet frame of UDP over IPv4. */
#define BATCH 64

/* Set by SIGINT and SIGTERM: finish, write the log, exit. */
static volatile sig_atomic_t stop_requested;

static void
stop_handler(int signr OVS_UNUSED)
{
    stop_requested = 1;
}

static void
install_stop_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;            /* No SA_RESTART: interrupt poll() and sleep. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static uint64_t
parse_duration_arg(const char *option, const char *arg)
{
    uint64_t ns;

    if (timing_parse_duration(arg, &ns) || !ns) {
        cli_usage_error("%s: '%s' is not a positive duration (examples: 30, "
                    "2.5s, 500ms)", option, arg);
    }
    return ns;
}

/* Parses "HOST:PORT" or "[IPV6]:PORT" (or, if 'passive', a bare "PORT"
 * meaning every local address) into '*ss'. */
static void
parse_address_arg(const char *option, const char *arg, bool passive,
                  struct sockaddr_storage *ss)
{
    bool dns_failure;

    if (passive && arg[strspn(arg, "0123456789")] == '\0') {
        struct sockaddr_in6 *sin6 = ALIGNED_CAST(struct sockaddr_in6 *, ss);
        uint64_t port = cli_parse_uint(option, arg, 1, 65535);

        memset(ss, 0, sizeof *ss);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = in6addr_any;
        sin6->sin6_port = htons(port);
        return;
    }
    if (!inet_parse_active(arg, -1, ss, false, &dns_failure)
        || !ss_get_port(ss)) {
        cli_usage_error("%s: '%s' is not an address and port (expected "
                    "IP:PORT or [IPv6]:PORT%s)", option, arg,
                    passive ? " or PORT" : "");
    }
}

static int
open_udp_socket(const struct sockaddr_storage *ss)
{
    int fd = socket(ss->ss_family, SOCK_DGRAM, 0);

    if (fd < 0) {
        ovs_fatal(errno, "socket");
    }
    if (ss->ss_family == AF_INET6) {
        int zero = 0;

        /* Accept IPv4 too on a wildcard IPv6 socket. */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    return fd;
}

/* Sets a socket buffer to 'size' bytes, beyond the sysctl limit if we may. */
static void
set_socket_buffer(int fd, int option, int force_option, int size)
{
    if (setsockopt(fd, SOL_SOCKET, force_option, &size, sizeof size)) {
        setsockopt(fd, SOL_SOCKET, option, &size, sizeof size);
    }
}

/* send. */

static void
send_usage(void)
{
    printf("\
usage: %s send --dest HOST:PORT [OPTIONS]\n\
Sends sequence-numbered, timestamped UDP probes at a fixed rate.\n\
\n\
  -d, --dest=HOST:PORT    where to send ([IPv6]:PORT for IPv6)\n\
  -r, --rate=PPS          packets per second (default %d, max %d)\n\
  -t, --duration=TIME     stop after TIME (30, 2.5s, 500ms; default: until\n\
                          SIGINT or SIGTERM)\n\
  -n, --count=N           stop after N packets\n\
  -s, --stream=ID         stream identifier (default 1)\n\
      --start-seq=N       first sequence number (default 0)\n\
      --resume=LOG        continue the stream of sender log LOG: same\n\
                          stream, sequence numbers from where it stopped\n\
      --size=BYTES        UDP payload size (24 to %d, default %d)\n\
  -o, --log=FILE          write the sender log to FILE at the end\n\
      --label=NAME        name this sender in the log and reports\n\
      --bind=HOST[:PORT]  send from this address\n\
      --max-lag=TIME      if the sender falls behind its schedule by more\n\
                          than TIME (it was stopped, or starved), restart\n\
                          the schedule instead of bursting (default 10ms)\n\
      --spin              busy-wait between packets (precise pacing at high\n\
                          rates, costs a CPU)\n\
      --progress          print a line every second\n\
      --stopped           once ready (socket open), stop (SIGSTOP) before\n\
                          the first probe, as a migration's destination VMM\n\
                          waits; when continued (SIGCONT), read --resume's\n\
                          log (it may be written meanwhile) and start\n\
  -q, --quiet             no summary at the end\n",
           program_name, DEFAULT_RATE, MAX_RATE, MAX_SIZE, DEFAULT_SIZE);
}

struct send_options {
    struct sockaddr_storage dest;
    const char *dest_name;
    struct sockaddr_storage bind;
    bool have_bind;
    uint64_t rate;
    uint64_t limit;             /* Packets to send, 0 = until stopped. */
    uint64_t duration_ns;
    uint32_t stream;
    uint64_t first_seq;
    size_t size;
    const char *log;
    const char *label;
    uint64_t max_lag_ns;
    bool spin;
    bool progress;
    bool stopped;               /* Stop once ready, start when continued. */
    bool quiet;
    const char *resume;         /* --resume's sender log, or NULL. */
    bool have_stream;           /* --stream was given. */
};

static void send_resume(struct send_options *);

static void
parse_send_options(int argc, char *argv[], struct send_options *o)
{
    enum {
        OPT_START_SEQ = UCHAR_MAX + 1, OPT_RESUME, OPT_SIZE, OPT_LABEL,
        OPT_BIND, OPT_MAX_LAG, OPT_SPIN, OPT_PROGRESS, OPT_STOPPED,
    };
    static const struct option long_options[] = {
        {"dest", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 't'},
        {"count", required_argument, NULL, 'n'},
        {"stream", required_argument, NULL, 's'},
        {"start-seq", required_argument, NULL, OPT_START_SEQ},
        {"resume", required_argument, NULL, OPT_RESUME},
        {"size", required_argument, NULL, OPT_SIZE},
        {"log", required_argument, NULL, 'o'},
        {"label", required_argument, NULL, OPT_LABEL},
        {"bind", required_argument, NULL, OPT_BIND},
        {"max-lag", required_argument, NULL, OPT_MAX_LAG},
        {"spin", no_argument, NULL, OPT_SPIN},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"stopped", no_argument, NULL, OPT_STOPPED},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);
    bool have_stream = false, have_start = false;
    const char *resume = NULL;

    memset(o, 0, sizeof *o);
    o->rate = DEFAULT_RATE;
    o->stream = 1;
    o->size = DEFAULT_SIZE;
    o->max_lag_ns = 10 * 1000 * 1000;

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case 'd':
            o->dest_name = optarg;
            parse_address_arg("--dest", optarg, false, &o->dest);
            break;
        case 'r':
            o->rate = cli_parse_uint("--rate", optarg, 1, MAX_RATE);
            break;
        case 't':
            o->duration_ns = parse_duration_arg("--duration", optarg);
            break;
        case 'n':
            o->limit = cli_parse_uint("--count", optarg, 1, UINT64_MAX / 2);
            break;
        case 's':
            o->stream = cli_parse_uint("--stream", optarg, 0, UINT32_MAX);
            have_stream = true;
            break;
        case OPT_START_SEQ:
            o->first_seq = cli_parse_uint("--start-seq", optarg, 0,
                                          UINT64_MAX / 2);
            have_start = true;
            break;
        case OPT_RESUME:
            resume = optarg;
            break;
        case OPT_SIZE:
            o->size = cli_parse_uint("--size", optarg, LM_PACKET_MIN_SIZE,
                                     MAX_SIZE);
            break;
        case 'o':
            o->log = optarg;
            break;
        case OPT_LABEL:
            o->label = optarg;
            break;
        case OPT_BIND:
            o->have_bind = true;
            if (!inet_parse_active(optarg, 0, &o->bind, false, NULL)) {
                cli_usage_error("--bind: '%s' is not an address (expected IP, "
                            "IP:PORT or [IPv6]:PORT)", optarg);
            }
            break;
        case OPT_MAX_LAG:
            o->max_lag_ns = parse_duration_arg("--max-lag", optarg);
            break;
        case OPT_SPIN:
            o->spin = true;
            break;
        case OPT_PROGRESS:
            o->progress = true;
            break;
        case OPT_STOPPED:
            o->stopped = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            send_usage();
            exit(0);
        default:
            cli_usage_error("send: invalid option");
        }
    }
    free(short_options);

    if (optind < argc) {
        cli_usage_error("send: unexpected argument '%s'", argv[optind]);
    }
    if (!o->dest_name) {
        cli_usage_error("send: --dest is required");
    }
    if (o->duration_ns && o->limit) {
        cli_usage_error("send: give --duration or --count, not both");
    }
    if (o->duration_ns) {
        o->limit = MAX(1, (uint64_t) ((double) o->duration_ns / 1e9
                                      * o->rate + 0.5));
    }
    if (resume) {
        if (have_start) {
            cli_usage_error("send: give --resume or --start-seq, not both");
        }
        o->resume = resume;
        o->have_stream = have_stream;
        if (!o->stopped) {
            send_resume(o);
        }
    }
}

/* Continues the stream of sender log 'o->resume': its stream, from the
 * sequence number after its last.  With --stopped this happens once
 * continued, so that the log may be written while we wait. */
static void
send_resume(struct send_options *o)
{
    struct lm_log log;
    char *error;

    if (lm_log_read(o->resume, &log, &error)) {
        ovs_fatal(0, "--resume: %s", error);
    }
    if (log.kind != LM_LOG_SENDER) {
        ovs_fatal(0, "--resume: %s is a receiver log, not a sender log",
                  o->resume);
    }
    if (o->have_stream && o->stream != log.tx.stream) {
        cli_usage_error("send: --stream %"PRIu32" differs from stream "
                        "%"PRIu32" of %s", o->stream, log.tx.stream,
                        o->resume);
    }
    o->stream = log.tx.stream;
    o->first_seq = log.tx.first_seq + log.tx.count;
    lm_log_destroy(&log);
}

static int
cmd_send(int argc, char *argv[])
{
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    uint8_t (*bufs)[MAX_SIZE];
    struct send_options o;
    struct lm_txlog tx;
    uint64_t t0, i, next_progress, last_progress_count = 0;
    int fd;

    parse_send_options(argc, argv, &o);
    install_stop_handlers();

    fd = open_udp_socket(&o.dest);
    set_socket_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE, 4 << 20);
    if (o.have_bind && bind(fd, (struct sockaddr *) &o.bind,
                            ss_length(&o.bind))) {
        ovs_fatal(errno, "--bind: cannot bind");
    }

    /* Timer slack would delay every wake-up by 50 us by default. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    bufs = xzalloc(BATCH * sizeof *bufs);
    for (int k = 0; k < BATCH; k++) {
        iovs[k].iov_base = bufs[k];
        iovs[k].iov_len = o.size;
        memset(&msgs[k], 0, sizeof msgs[k]);
        msgs[k].msg_hdr.msg_name = &o.dest;
        msgs[k].msg_hdr.msg_namelen = ss_length(&o.dest);
        msgs[k].msg_hdr.msg_iov = &iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
    }

    if (o.stopped) {
        /* Ready: wait, stopped, for whoever plays the VMM to resume us (a
         * job-control stop: SIGCONT continues it, and the parent can see
         * the state 'T' in /proc).  The stream to continue is read only
         * then: its sender may have stopped meanwhile. */
        raise(SIGSTOP);
        if (o.resume) {
            send_resume(&o);
        }
    }

    memset(&tx, 0, sizeof tx);
    tx.stream = o.stream;
    tx.label = xstrdup(o.label ? o.label : "");
    tx.dest = xstrdup(o.dest_name);
    tx.rate = o.rate;
    tx.first_seq = o.first_seq;

    /* Packet i of the current schedule is due at t0 + i / rate. */
    t0 = timing_mono_ns();
    next_progress = t0 + TIMING_NS_PER_SEC;
    i = 0;
    while (!stop_requested && (!o.limit || tx.count < o.limit)) {
        uint64_t now = timing_mono_ns();
        uint64_t due = t0 + i * TIMING_NS_PER_SEC / o.rate;
        uint64_t tx_ns;
        int n, off;

        if (due > now) {
            if (o.spin) {
                while (timing_mono_ns() < due && !stop_requested) {
                    continue;
                }
            } else {
                timing_sleep_until_ns(due);
            }
            continue;
        }
        if (now - due > o.max_lag_ns) {
            /* Far behind: we were stopped or starved.  A paused VM does not
             * send what it missed, so neither do we: restart the schedule
             * from now, sequence numbers continuing. */
            t0 = now;
            i = 0;
            tx.resyncs++;
        }

        /* Send every packet that is due, up to a batch. */
        for (n = 0; n < BATCH; n++) {
            if (t0 + (i + n) * TIMING_NS_PER_SEC / o.rate > now
                || (o.limit && tx.count + n >= o.limit)) {
                break;
            }
        }
        n = MAX(n, 1);
        tx_ns = timing_realtime_ns();
        if (!tx.count) {
            tx.start_ns = tx_ns;
        }
        for (int k = 0; k < n; k++) {
            lm_packet_build(bufs[k], o.size, o.stream,
                            (uint32_t) (o.first_seq + tx.count + k), tx_ns);
        }
        for (off = 0; off < n; ) {
            int r = sendmmsg(fd, &msgs[off], n - off, 0);

            if (r < 0) {
                static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

                if (errno == EINTR) {
                    continue;
                }
                VLOG_WARN_RL(&rl, "send to %s failed (%s)", o.dest_name,
                             ovs_strerror(errno));
                tx.send_errors++;
                off++;
            } else {
                off += r;
            }
        }
        tx.count += n;
        tx.end_ns = tx_ns;
        i += n;

        if (o.progress && now >= next_progress) {
            fprintf(stderr, "%s: stream %"PRIu32": %"PRIu64" sent "
                    "(%"PRIu64"/s)\n", program_name, o.stream, tx.count,
                    tx.count - last_progress_count);
            last_progress_count = tx.count;
            next_progress += TIMING_NS_PER_SEC;
        }
    }

    close(fd);
    free(bufs);

    if (o.log) {
        int error = lm_txlog_write(o.log, &tx);

        if (error) {
            ovs_fatal(error, "cannot write sender log %s", o.log);
        }
    }
    if (!o.quiet) {
        double secs = (tx.end_ns - tx.start_ns) / 1e9;

        fprintf(stderr, "%s: stream %"PRIu32": sent %"PRIu64" packets, seq "
                "%"PRIu64"..%"PRIu64", in %.3f s (%.0f/s), %"PRIu64
                " send errors, %"PRIu64" schedule restarts\n", program_name,
                tx.stream, tx.count, tx.first_seq,
                tx.first_seq + tx.count - (tx.count > 0), secs,
                secs > 0 ? (tx.count - 1) / secs : 0.0, tx.send_errors,
                tx.resyncs);
    }
    lm_txlog_destroy(&tx);
    return 0;
}

/* recv. */

static void
recv_usage(void)
{
    printf("\
usage: %s recv --listen [HOST:]PORT --log FILE [OPTIONS]\n\
Records every probe that arrives, with its kernel arrival time.\n\
\n\
  -l, --listen=[HOST:]PORT  where to listen (a bare PORT: every address,\n\
                            IPv4 and IPv6)\n\
  -o, --log=FILE            receiver log to write (binary; see 'dump')\n\
  -t, --duration=TIME       stop after TIME (default: at SIGINT or SIGTERM)\n\
      --label=NAME          name this receiver in reports (32 bytes max)\n\
      --ready-file=FILE     create FILE once listening\n\
  -q, --quiet               no summary at the end\n",
           program_name);
}

static int
cmd_recv(int argc, char *argv[])
{
    enum { OPT_LABEL = UCHAR_MAX + 1, OPT_READY };
    static const struct option long_options[] = {
        {"listen", required_argument, NULL, 'l'},
        {"log", required_argument, NULL, 'o'},
        {"duration", required_argument, NULL, 't'},
        {"label", required_argument, NULL, OPT_LABEL},
        {"ready-file", required_argument, NULL, OPT_READY},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);
    struct sockaddr_storage listen_ss;
    const char *listen_name = NULL, *log_name = NULL, *label = "";
    const char *ready = NULL;
    uint64_t duration_ns = 0, deadline = 0, n_records = 0, n_invalid = 0;
    uint64_t last_flush;
    bool quiet = false;
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    uint8_t (*bufs)[2048];
    char (*cmsgs)[CMSG_SPACE(sizeof(struct timespec))];
    FILE *log;
    int fd, one = 1;

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case 'l':
            listen_name = optarg;
            parse_address_arg("--listen", optarg, true, &listen_ss);
            break;
        case 'o':
            log_name = optarg;
            break;
        case 't':
            duration_ns = parse_duration_arg("--duration", optarg);
            break;
        case OPT_LABEL:
            if (strlen(optarg) >= LM_LABEL_MAX) {
                cli_usage_error("--label: '%s' is longer than %d bytes", optarg,
                            LM_LABEL_MAX - 1);
            }
            label = optarg;
            break;
        case OPT_READY:
            ready = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            recv_usage();
            exit(0);
        default:
            cli_usage_error("recv: invalid option");
        }
    }
    free(short_options);
    if (optind < argc) {
        cli_usage_error("recv: unexpected argument '%s'", argv[optind]);
    }
    if (!listen_name) {
        cli_usage_error("recv: --listen is required");
    }
    if (!log_name) {
        cli_usage_error("recv: --log is required");
    }

    install_stop_handlers();
    log = fopen(log_name, "wb");
    if (!log) {
        ovs_fatal(errno, "cannot create receiver log %s", log_name);
    }
    setvbuf(log, NULL, _IOFBF, 1 << 20);
    if (lm_rxlog_write_header(log, label) || fflush(log)) {
        ovs_fatal(errno, "cannot write receiver log %s", log_name);
    }

    fd = open_udp_socket(&listen_ss);
    set_socket_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE, 16 << 20);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *) &listen_ss, ss_length(&listen_ss))) {
        ovs_fatal(errno, "--listen: cannot listen on %s", listen_name);
    }
    if (ready) {
        FILE *f = fopen(ready, "w");

        if (!f || fclose(f)) {
            ovs_fatal(errno, "--ready-file: cannot create %s", ready);
        }
    }

    bufs = xmalloc(BATCH * sizeof *bufs);
    cmsgs = xmalloc(BATCH * sizeof *cmsgs);
    last_flush = timing_mono_ns();
    if (duration_ns) {
        deadline = last_flush + duration_ns;
    }

    while (!stop_requested) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        uint64_t now;
        int n;

        poll(&pfd, 1, 100);
        now = timing_mono_ns();
        if (deadline && now >= deadline) {
            break;
        }
        if (now - last_flush > 100 * 1000 * 1000) {
            /* Keep what arrived on disk even if we are killed. */
            fflush(log);
            last_flush = now;
        }

        for (int k = 0; k < BATCH; k++) {
            iovs[k].iov_base = bufs[k];
            iovs[k].iov_len = sizeof bufs[k];
            memset(&msgs[k], 0, sizeof msgs[k]);
            msgs[k].msg_hdr.msg_iov = &iovs[k];
            msgs[k].msg_hdr.msg_iovlen = 1;
            msgs[k].msg_hdr.msg_control = cmsgs[k];
            msgs[k].msg_hdr.msg_controllen = sizeof cmsgs[k];
        }
        n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                VLOG_WARN_RL(&rl, "receive failed (%s)", ovs_strerror(errno));
            }
            continue;
        }
        uint64_t fallback_ns = timing_realtime_ns();
        for (int k = 0; k < n; k++) {
            struct lm_rxlog_record rec;
            enum lm_packet_error error;
            struct cmsghdr *cmsg;

            error = lm_packet_parse(bufs[k], msgs[k].msg_len, &rec.stream,
                                    &rec.seq, &rec.tx_ns);
            if (error) {
                n_invalid++;
                VLOG_WARN_RL(&rl, "ignoring a %u-byte datagram: %s",
                             msgs[k].msg_len,
                             lm_packet_error_to_string(error));
                continue;
            }
            rec.rx_ns = fallback_ns;
            for (cmsg = CMSG_FIRSTHDR(&msgs[k].msg_hdr); cmsg;
                 cmsg = CMSG_NXTHDR(&msgs[k].msg_hdr, cmsg)) {
                if (cmsg->cmsg_level == SOL_SOCKET
                    && cmsg->cmsg_type == SCM_TIMESTAMPNS) {
                    struct timespec ts;

                    memcpy(&ts, CMSG_DATA(cmsg), sizeof ts);
                    rec.rx_ns = timing_ts_to_ns(&ts);
                }
            }
            if (fwrite(&rec, sizeof rec, 1, log) != 1) {
                ovs_fatal(errno, "cannot write receiver log %s", log_name);
            }
            n_records++;
        }
    }

    if (fclose(log)) {
        ovs_fatal(errno, "cannot write receiver log %s", log_name);
    }
    close(fd);
    free(bufs);
    free(cmsgs);
    if (!quiet) {
        fprintf(stderr, "%s: %s: received %"PRIu64" probes, ignored %"PRIu64
                " invalid datagrams\n", program_name,
                *label ? label : listen_name, n_records, n_invalid);
    }
    return 0;
}

/* report. */

static void
report_usage(void)
{
    printf("\
usage: %s report [OPTIONS] LOG...\n\
Merges sender and receiver logs by stream and sequence number and reports\n\
per stream: sent, received, lost (and lost ranges), duplicated, reordered,\n\
the longest gap between consecutive arrivals, one-way delay.\n\
\n\
      --json              print JSON instead of the table\n\
      --json-file=FILE    also write the JSON to FILE\n\
      --ranges=N          show at most N lost ranges in the table (default\n\
                          10; the JSON has them all)\n\
  -s, --stream=ID         report only stream ID\n\
      --hold=LABEL@NS     receiver LABEL delivers nothing before NS (wall\n\
                          clock, ns): what arrived earlier waited and is\n\
                          delivered at NS (a paused destination VM)\n\
      --cut=LABEL@NS      receiver LABEL delivers nothing that arrives at\n\
                          or after NS (a migration's source after the pause)\n",
           program_name);
}

/* A stream being reported: its accounting and the sender logs that fed it. */
struct report_stream {
    struct lossacct acct;
    const struct lm_txlog **senders;
    size_t n_senders;
};

static struct report_stream *
find_stream(struct report_stream **streams, size_t *n, uint32_t stream)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*streams)[i].acct.stream == stream) {
            return &(*streams)[i];
        }
    }
    *streams = xrealloc(*streams, (*n + 1) * sizeof **streams);
    struct report_stream *s = &(*streams)[(*n)++];
    memset(s, 0, sizeof *s);
    lossacct_init(&s->acct, stream);
    return s;
}

static int
compare_senders(const void *a_, const void *b_)
{
    const struct lm_txlog *a = *(const struct lm_txlog *const *) a_;
    const struct lm_txlog *b = *(const struct lm_txlog *const *) b_;

    return a->first_seq < b->first_seq ? -1 : a->first_seq > b->first_seq;
}

static int
compare_streams(const void *a_, const void *b_)
{
    const struct report_stream *a = a_;
    const struct report_stream *b = b_;

    return a->acct.stream < b->acct.stream ? -1
           : a->acct.stream > b->acct.stream;
}

static struct json *
report_to_json(const struct report_stream *s, struct lossacct_report *r,
               struct lm_log *logs, const size_t *rx_log_index)
{
    struct json *j = json_object_create();
    struct json *ranges = json_array_create_empty();
    struct json *senders = json_array_create_empty();
    struct json *receivers = json_object_create();
    struct json *deliveries = json_object_create();
    uint64_t origin = r->first_rx_ns;

    for (size_t i = 0; i < s->n_senders; i++) {
        const struct lm_txlog *tx = s->senders[i];
        struct json *o = json_object_create();

        json_object_put(o, "label", json_string_create(tx->label));
        json_object_put(o, "dest", json_string_create(tx->dest));
        json_object_put(o, "rate", json_integer_create(tx->rate));
        json_object_put(o, "first_seq", json_integer_create(tx->first_seq));
        json_object_put(o, "count", json_integer_create(tx->count));
        json_object_put(o, "send_errors",
                        json_integer_create(tx->send_errors));
        json_object_put(o, "start_ns", json_integer_create(tx->start_ns));
        json_object_put(o, "end_ns", json_integer_create(tx->end_ns));
        json_array_add(senders, o);
        if (!i || tx->start_ns < origin) {
            origin = tx->start_ns;
        }
    }
    for (size_t i = 0; i < r->n_lost_ranges; i++) {
        json_array_add(ranges, json_array_create_2(
                           json_integer_create(r->lost_ranges[i].first),
                           json_integer_create(r->lost_ranges[i].last)));
    }
    for (size_t i = 0; i < r->n_receivers; i++) {
        const struct lm_log *log = &logs[rx_log_index[i]];
        const struct lossacct_receiver *rr = &r->receivers[i];
        const char *name = *log->label ? log->label : log->file_name;

        if (rr->received) {
            json_object_put(receivers, name,
                            json_integer_create(rr->received));
        }
        if (rr->received || rr->first_ns || rr->held || rr->gone) {
            struct json *d = json_object_create();

            json_object_put(d, "received", json_integer_create(rr->received));
            json_object_put(d, "first_ns", json_integer_create(rr->first_ns));
            json_object_put(d, "held", json_integer_create(rr->held));
            json_object_put(d, "gone", json_integer_create(rr->gone));
            json_object_put(deliveries, name, d);
        }
    }

    json_object_put(j, "stream", json_integer_create(r->stream));
    json_object_put(j, "sent_known", json_boolean_create(r->sent_known));
    json_object_put(j, "sent", json_integer_create(r->sent));
    json_object_put(j, "received", json_integer_create(r->received));
    json_object_put(j, "lost", json_integer_create(r->lost));
    json_object_put(j, "lost_ratio",
                    json_real_create(r->sent ? (double) r->lost / r->sent : 0));
    json_object_put(j, "duplicated", json_integer_create(r->duplicated));
    json_object_put(j, "reordered", json_integer_create(r->reordered));
    json_object_put(j, "stray", json_integer_create(r->stray));
    json_object_put(j, "first_seq", json_integer_create(r->first_seq));
    json_object_put(j, "last_seq", json_integer_create(r->last_seq));
    json_object_put(j, "lost_ranges", ranges);

    struct json *gap = json_object_create();
    json_object_put(gap, "ns", json_integer_create(r->max_gap_ns));
    json_object_put(gap, "start_ns", json_integer_create(r->gap_start_ns));
    json_object_put(gap, "end_ns", json_integer_create(r->gap_end_ns));
    json_object_put(gap, "offset_ns",
                    json_integer_create(r->max_gap_ns
                                        ? r->gap_start_ns - origin : 0));
    json_object_put(gap, "seq_before", json_integer_create(r->gap_seq_before));
    json_object_put(gap, "seq_after", json_integer_create(r->gap_seq_after));
    json_object_put(j, "longest_gap", gap);

    struct json *delay = json_object_create();
    json_object_put(delay, "min", json_integer_create(
                        sample_set_min(&r->delays)));
    json_object_put(delay, "p50", json_integer_create(
                        sample_set_percentile(&r->delays, 50)));
    json_object_put(delay, "p99", json_integer_create(
                        sample_set_percentile(&r->delays, 99)));
    json_object_put(delay, "max", json_integer_create(
                        sample_set_max(&r->delays)));
    json_object_put(delay, "mean", json_real_create(
                        sample_set_mean(&r->delays)));
    json_object_put(j, "delay_ns", delay);

    json_object_put(j, "first_rx_ns", json_integer_create(r->first_rx_ns));
    json_object_put(j, "last_rx_ns", json_integer_create(r->last_rx_ns));
    json_object_put(j, "origin_ns", json_integer_create(origin));
    json_object_put(j, "receivers", receivers);
    json_object_put(j, "deliveries", deliveries);
    json_object_put(j, "senders", senders);
    return j;
}

static void
report_to_table(const struct json *j, struct lossacct_report *r,
                const char *const *rx_names, size_t max_ranges,
                struct ds *out)
{
    const struct shash *o = json_object(j);
    const struct json *senders = shash_find_data(o, "senders");
    const struct json *receivers = shash_find_data(o, "receivers");
    const struct json *gap = shash_find_data(json_object(j), "longest_gap");
    int64_t offset = json_integer(shash_find_data(json_object(gap),
                                                  "offset_ns"));
    char b1[32], b2[32], b3[32], b4[32];

    ds_put_format(out, "stream %"PRIu32, r->stream);
    for (size_t i = 0; i < senders->array.n; i++) {
        const struct shash *tx = json_object(senders->array.elems[i]);
        const char *label = json_string(shash_find_data(tx, "label"));

        ds_put_format(out, "%s %s%s-> %s, %lld pps", i ? ";" : ":",
                      label, *label ? " " : "",
                      json_string(shash_find_data(tx, "dest")),
                      (long long) json_integer(shash_find_data(tx, "rate")));
    }
    ds_put_char(out, '\n');

    ds_put_format(out, "  sent          %12"PRIu64, r->sent);
    if (r->sent) {
        ds_put_format(out, "   seq %"PRIu64"..%"PRIu64, r->first_seq,
                      r->last_seq);
    }
    if (!r->sent_known) {
        ds_put_cstr(out, "   (no sender log: inferred from arrivals)");
    }
    ds_put_format(out, "\n  received      %12"PRIu64, r->received);
    if (shash_count(json_object(receivers)) > 1) {
        struct shash_node *node;
        bool first = true;

        ds_put_cstr(out, "   (");
        SHASH_FOR_EACH (node, json_object(receivers)) {
            ds_put_format(out, "%s%s %lld", first ? "" : ", ", node->name,
                          (long long) json_integer(node->data));
            first = false;
        }
        ds_put_char(out, ')');
    }
    ds_put_format(out, "\n  lost          %12"PRIu64"   %.4f%%", r->lost,
                  r->sent ? 100.0 * r->lost / r->sent : 0.0);
    if (r->n_lost_ranges) {
        ds_put_cstr(out, "   ranges:");
        for (size_t i = 0; i < r->n_lost_ranges && i < max_ranges; i++) {
            const struct lossacct_range *lr = &r->lost_ranges[i];

            if (lr->first == lr->last) {
                ds_put_format(out, " %"PRIu64, lr->first);
            } else {
                ds_put_format(out, " %"PRIu64"-%"PRIu64, lr->first,
                              lr->last);
            }
        }
        if (r->n_lost_ranges > max_ranges) {
            ds_put_format(out, " ... (%"PRIuSIZE" ranges in all)",
                          r->n_lost_ranges);
        }
    }
    for (size_t i = 0; i < r->n_receivers; i++) {
        const struct lossacct_receiver *rr = &r->receivers[i];

        if (rr->held || rr->gone) {
            ds_put_format(out, "\n  receiver %s: %"PRIu64" held until its "
                          "window opened, %"PRIu64" after it closed (not "
                          "delivered)", rx_names[i], rr->held, rr->gone);
        }
    }
    ds_put_format(out, "\n  duplicated    %12"PRIu64, r->duplicated);
    ds_put_format(out, "\n  reordered     %12"PRIu64, r->reordered);
    if (r->stray) {
        ds_put_format(out, "\n  stray         %12"PRIu64
                      "   (sequence numbers no sender log covers)",
                      r->stray);
    }
    if (r->max_gap_ns) {
        ds_put_format(out, "\n  longest gap   %12s   at +%.6f s, between "
                      "seq %"PRIu64" and %"PRIu64,
                      timing_format_duration(b1, sizeof b1, r->max_gap_ns),
                      offset / 1e9, r->gap_seq_before, r->gap_seq_after);
    } else {
        ds_put_cstr(out, "\n  longest gap            -   (fewer than two "
                    "arrivals)");
    }
    if (r->delays.n) {
        ds_put_format(out, "\n  one-way delay   min %s   median %s   "
                      "p99 %s   max %s",
                      timing_format_duration(b1, sizeof b1,
                                             sample_set_min(&r->delays)),
                      timing_format_duration(b2, sizeof b2,
                          sample_set_percentile(&r->delays, 50)),
                      timing_format_duration(b3, sizeof b3,
                          sample_set_percentile(&r->delays, 99)),
                      timing_format_duration(b4, sizeof b4,
                                             sample_set_max(&r->delays)));
    }
    ds_put_char(out, '\n');
}

/* A delivery window from the command line: --hold or --cut. */
struct report_window {
    const char *label;          /* Receiver label (points into argv). */
    bool hold;                  /* --hold (from), else --cut (until). */
    uint64_t ns;
};

/* Parses LABEL@NS for 'option' into 'w'; usage error if malformed. */
static void
parse_window_arg(const char *option, char *arg, bool hold,
                 struct report_window *w)
{
    char *at = strrchr(arg, '@');

    if (!at || at == arg) {
        cli_usage_error("%s: '%s' is not LABEL@NS (a receiver's label, '@', "
                        "a wall-clock time in nanoseconds)", option, arg);
    }
    *at = '\0';
    w->label = arg;
    w->hold = hold;
    w->ns = cli_parse_uint(option, at + 1, 1, UINT64_MAX);
}

static int
cmd_report(int argc, char *argv[])
{
    enum {
        OPT_JSON = UCHAR_MAX + 1, OPT_JSON_FILE, OPT_RANGES, OPT_HOLD, OPT_CUT
    };
    static const struct option long_options[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"hold", required_argument, NULL, OPT_HOLD},
        {"cut", required_argument, NULL, OPT_CUT},
        {"json-file", required_argument, NULL, OPT_JSON_FILE},
        {"ranges", required_argument, NULL, OPT_RANGES},
        {"stream", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);
    bool json_only = false, have_filter = false;
    const char *json_file = NULL;
    size_t max_ranges = 10;
    uint32_t filter = 0;
    struct report_stream *streams = NULL;
    size_t n_streams = 0, n_logs, n_rx = 0;
    struct lm_log *logs;
    size_t *rx_log_index;
    struct json *all, *array;
    struct ds table = DS_EMPTY_INITIALIZER;
    struct report_window *windows = NULL;
    size_t n_windows = 0;
    const char **rx_names;
    int status = 0;

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_JSON:
            json_only = true;
            break;
        case OPT_JSON_FILE:
            json_file = optarg;
            break;
        case OPT_RANGES:
            max_ranges = cli_parse_uint("--ranges", optarg, 0, SIZE_MAX / 2);
            break;
        case 's':
            filter = cli_parse_uint("--stream", optarg, 0, UINT32_MAX);
            have_filter = true;
            break;
        case OPT_HOLD:
        case OPT_CUT:
            windows = xrealloc(windows, (n_windows + 1) * sizeof *windows);
            parse_window_arg(c == OPT_HOLD ? "--hold" : "--cut", optarg,
                             c == OPT_HOLD, &windows[n_windows++]);
            break;
        case 'h':
            report_usage();
            exit(0);
        default:
            cli_usage_error("report: invalid option");
        }
    }
    free(short_options);
    if (optind >= argc) {
        cli_usage_error("report: no log files given");
    }

    n_logs = argc - optind;
    logs = xcalloc(n_logs, sizeof *logs);
    rx_log_index = xcalloc(n_logs, sizeof *rx_log_index);
    rx_names = xcalloc(n_logs, sizeof *rx_names);
    for (size_t i = 0; i < n_logs; i++) {
        struct lm_log *log = &logs[i];
        char *error;

        if (lm_log_read(argv[optind + i], log, &error)) {
            ovs_fatal(0, "%s", error);
        }
        if (log->truncated) {
            VLOG_WARN("%s: ignoring a torn last record (the receiver was "
                      "killed while writing)", log->file_name);
        }
        if (log->kind == LM_LOG_SENDER) {
            struct report_stream *s = find_stream(&streams, &n_streams,
                                                  log->tx.stream);

            lossacct_add_sent(&s->acct, log->tx.first_seq, log->tx.count);
            s->senders = xrealloc(s->senders,
                                  (s->n_senders + 1) * sizeof *s->senders);
            s->senders[s->n_senders++] = &log->tx;
        } else {
            size_t rx = n_rx++;

            rx_log_index[rx] = i;
            rx_names[rx] = *log->label ? log->label : log->file_name;
            for (size_t k = 0; k < log->n_records; k++) {
                const struct lm_rxlog_record *rec = &log->records[k];
                struct report_stream *s = find_stream(&streams, &n_streams,
                                                      rec->stream);
                struct lossacct_arrival a = {
                    .rx_ns = rec->rx_ns,
                    .tx_ns = rec->tx_ns,
                    .seq = rec->seq,
                    .receiver = rx,
                };

                lossacct_add_arrival(&s->acct, &a);
            }
            free(log->records);
            log->records = NULL;
        }
    }

    /* Delivery windows, by receiver label. */
    for (size_t w = 0; w < n_windows; w++) {
        bool found = false;

        for (size_t rx = 0; rx < n_rx; rx++) {
            if (strcmp(rx_names[rx], windows[w].label)) {
                continue;
            }
            found = true;
            for (size_t i = 0; i < n_streams; i++) {
                struct lossacct *acct = &streams[i].acct;
                struct lossacct_window lw = { 0, 0 };

                if (rx < acct->n_windows) {
                    lw = acct->windows[rx];
                }
                if (windows[w].hold) {
                    lw.from_ns = windows[w].ns;
                } else {
                    lw.until_ns = windows[w].ns;
                }
                lossacct_set_window(acct, rx, &lw);
            }
        }
        if (!found) {
            ovs_fatal(0, "%s: no receiver log is labelled '%s'",
                      windows[w].hold ? "--hold" : "--cut", windows[w].label);
        }
    }

    qsort(streams, n_streams, sizeof *streams, compare_streams);
    all = json_object_create();
    array = json_array_create_empty();
    for (size_t i = 0; i < n_streams; i++) {
        struct report_stream *s = &streams[i];
        struct lossacct_report r;
        struct json *j;
        int error;

        if (have_filter && s->acct.stream != filter) {
            continue;
        }
        qsort(s->senders, s->n_senders, sizeof *s->senders, compare_senders);
        error = lossacct_compute(&s->acct, &r);
        if (error) {
            ovs_error(0, "stream %"PRIu32": sequence numbers span more "
                      "than 2**32 (mixed runs?)", s->acct.stream);
            status = 1;
        } else {
            j = report_to_json(s, &r, logs, rx_log_index);
            if (table.length) {
                ds_put_char(&table, '\n');
            }
            report_to_table(j, &r, rx_names, max_ranges, &table);
            json_array_add(array, j);
        }
        lossacct_report_destroy(&r);
    }
    json_object_put(all, "streams", array);
    if (have_filter && !array->array.n) {
        ovs_error(0, "no stream %"PRIu32" in these logs", filter);
        status = 1;
    }

    if (json_only) {
        char *s = json_to_string(all, JSSF_PRETTY | JSSF_SORT);

        puts(s);
        free(s);
    } else {
        fputs(ds_cstr(&table), stdout);
    }
    if (json_file) {
        char *s = json_to_string(all, JSSF_PRETTY | JSSF_SORT);
        FILE *f = fopen(json_file, "w");

        if (!f || fprintf(f, "%s\n", s) < 0 || fclose(f)) {
            ovs_fatal(errno, "cannot write %s", json_file);
        }
        free(s);
    }

    json_destroy(all);
    ds_destroy(&table);
    for (size_t i = 0; i < n_streams; i++) {
        lossacct_destroy(&streams[i].acct);
        free(streams[i].senders);
    }
    free(streams);
    for (size_t i = 0; i < n_logs; i++) {
        lm_log_destroy(&logs[i]);
    }
    free(logs);
    free(rx_log_index);
    free(rx_names);
    free(windows);
    return status;
}

/* dump. */

static int
cmd_dump(int argc, char *argv[])
{
    if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc == 2) {
            printf("usage: %s dump LOG\nPrints a receiver log, one arrival "
                   "per line: stream seq tx_ns rx_ns delay_ns.\n",
                   program_name);
            exit(0);
        }
        cli_usage_error("dump: expected exactly one log file");
    }

    struct lm_log log;
    char *error;

    if (lm_log_read(argv[1], &log, &error)) {
        ovs_fatal(0, "%s", error);
    }
    if (log.kind != LM_LOG_RECEIVER) {
        ovs_fatal(0, "%s is a sender log: it has no arrivals to dump",
                  argv[1]);
    }
    printf("# receiver %s\n# stream seq tx_ns rx_ns delay_ns\n", log.label);
    for (size_t i = 0; i < log.n_records; i++) {
        const struct lm_rxlog_record *r = &log.records[i];

        printf("%"PRIu32" %"PRIu32" %"PRIu64" %"PRIu64" %"PRId64"\n",
               r->stream, r->seq, r->tx_ns, r->rx_ns,
               (int64_t) (r->rx_ns - r->tx_ns));
    }
    lm_log_destroy(&log);
    return 0;
}

static void
usage(void)
{
    printf("\
%s: measures traffic loss at packet granularity\n\
usage: %s COMMAND [OPTIONS]\n\
\n\
Commands:\n\
  send    send sequence-numbered, timestamped UDP probes at a fixed rate\n\
  recv    record every probe that arrives\n\
  report  merge sender and receiver logs; report loss, gaps, delays\n\
  dump    print a receiver log as text\n\
\n\
'%s COMMAND --help' describes a command's options.\n\
  -h, --help     this help\n\
  -V, --version  print the version\n",
           program_name, program_name, program_name);
}

int
main(int argc, char *argv[])
{
    static const struct {
        const char *name;
        int (*handler)(int argc, char *argv[]);
    } commands[] = {
        { "send", cmd_send },
        { "recv", cmd_recv },
        { "report", cmd_report },
        { "dump", cmd_dump },
    };

    ovs_set_program_name(argv[0], PACKAGE_VERSION);
    /* Socket address parsing logs its own errors; we report ours. */
    vlog_set_levels(vlog_module_from_name("socket_util"),
                    VLF_ANY_DESTINATION, VLL_OFF);

    if (argc < 2) {
        cli_usage_error("a command is required (send, recv, report, dump)");
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage();
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        cli_print_version();
    }
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (!strcmp(argv[1], commands[i].name)) {
            return commands[i].handler(argc - 1, argv + 1);
        }
    }
    cli_usage_error("unknown command '%s' (expected send, recv, report, dump)",
                argv[1]);
}
