/* cutover-announcer's DPDK side.  See announcer-dpdk.h.
 *
 * Frames are built once, at registration, straight into mbufs of a
 * mempool of their own (small mbufs: a frame is at most FRAMES_MAX_LEN
 * bytes).  Sending them must not give them away: a driver frees every mbuf
 * it has sent (rte_pktmbuf_free()), at once (af_packet copies the frame)
 * or when the transmission completes (virtio, vhost), so before a burst
 * each mbuf gets one more reference (rte_mbuf_refcnt_update()) and the
 * driver's free only drops that one.  A frame still in flight when it is
 * sent again simply has one more.  A driver must not write into a shared
 * mbuf: drivers that would prepend a header (virtio-net) check the
 * reference count and use a descriptor of their own instead, and the tx
 * queue has no offloads (RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE in particular
 * assumes a reference count of 1).
 *
 * DPDK returns -errno or sets rte_errno; everything here returns a
 * positive errno with a message that names the device and DPDK's reason
 * (rte_strerror()). */

#include <config.h>
#include "announcer-dpdk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "frames.h"
#include "hold.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announcer_dpdk);

/* Descriptors asked for (the driver may adjust them). */
#define RX_DESCS 256
#define TX_DESCS 1024

/* Consecutive tx bursts that take nothing before the rest of a send is
 * given up (a ring the driver does not empty). */
#define TX_IDLE_RETRIES 64

/* A frame's mbuf: DPDK's headroom (drivers may need it) and the largest
 * frame, rounded up to a cache line. */
#define TX_DATA_ROOM (RTE_PKTMBUF_HEADROOM \
                      + ROUND_UP(FRAMES_MAX_LEN, RTE_CACHE_LINE_SIZE))

static bool eal_ready;          /* rte_eal_init() succeeded. */
static bool port_open;          /* The ethdev is configured. */
static bool port_started;
static uint16_t port;
static char port_name[RTE_ETH_NAME_MAX_LEN];
static uint16_t n_txd, n_rxd;
static struct rte_mempool *tx_pool; /* Frames. */
static struct rte_mempool *rx_pool; /* Some drivers need an rx queue. */
static char *runtime_dir;       /* The EAL's, to remove when empty. */

int
announcer_dpdk_init(int argc, char *argv[], char **errorp)
{
    int error;

    *errorp = NULL;
    if (rte_eal_init(argc, argv) < 0) {
        error = rte_errno;
        *errorp = xasprintf("cannot initialize DPDK's EAL: %s (check the "
                            "EAL arguments before '--')",
                            rte_strerror(error));
        return error ? error : EINVAL;
    }
    eal_ready = true;
    runtime_dir = xstrdup(rte_eal_get_runtime_dir());
    return 0;
}

unsigned int
announcer_dpdk_count_ports(void)
{
    return rte_eth_dev_count_avail();
}

/* Stores in '*errorp' the message for DPDK's -errno 'ret' from 'what' and
 * returns the positive errno. */
static int OVS_PRINTF_FORMAT(3, 4)
dpdk_error(int ret, char **errorp, const char *what, ...)
{
    va_list args;
    char *s;

    va_start(args, what);
    s = xvasprintf(what, args);
    va_end(args);
    *errorp = xasprintf("DPDK port %"PRIu16" (%s): %s: %s", port,
                        port_name, s, rte_strerror(-ret));
    free(s);
    return -ret;
}

int
announcer_dpdk_open(uint16_t port_id, unsigned int max_frames,
                    unsigned int hold_frames, char **errorp)
{
    struct rte_eth_conf conf;
    struct rte_eth_dev_info info;
    struct rte_eth_txconf txconf;
    unsigned int n_rx_mbufs;
    int socket;
    int ret;

    *errorp = NULL;
    port = port_id;
    if (!rte_eth_dev_is_valid_port(port)) {
        *errorp = xasprintf("DPDK port %"PRIu16" does not exist (DPDK has "
                            "%u port%s)", port, rte_eth_dev_count_avail(),
                            rte_eth_dev_count_avail() == 1 ? "" : "s");
        return ENODEV;
    }
    if (rte_eth_dev_get_name_by_port(port, port_name)) {
        ovs_strlcpy(port_name, "?", sizeof port_name);
    }
    ret = rte_eth_dev_info_get(port, &info);
    if (ret) {
        return dpdk_error(ret, errorp, "cannot get device info");
    }
    socket = rte_eth_dev_socket_id(port);
    if (socket < 0) {
        socket = SOCKET_ID_ANY;
    }

    tx_pool = rte_pktmbuf_pool_create("announcer_tx", max_frames, 0, 0,
                                      TX_DATA_ROOM, socket);
    if (!tx_pool) {
        return dpdk_error(-rte_errno, errorp, "cannot create a mempool of "
                          "%u frames (--max-frames; EAL memory -m)",
                          max_frames);
    }

    memset(&conf, 0, sizeof conf);
    ret = rte_eth_dev_configure(port, 1, 1, &conf);
    if (ret) {
        return dpdk_error(ret, errorp, "cannot configure 1 rx and 1 tx "
                          "queue");
    }
    port_open = true;
    n_rxd = RX_DESCS;
    n_txd = TX_DESCS;
    ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &n_rxd, &n_txd);
    if (ret) {
        return dpdk_error(ret, errorp, "cannot adjust the ring sizes");
    }

    /* The rx queue is read only while a port's frames are held (see
     * announcer-hold.c), but some drivers fill it at start: its own pool
     * of full-size mbufs keeps the frames' pool for frames.  Held frames
     * stay in their rx mbufs: the pool has room for 'hold_frames' of them
     * besides a full ring. */
    n_rx_mbufs = 2 * n_rxd + 64 + hold_frames;
    rx_pool = rte_pktmbuf_pool_create("announcer_rx", n_rx_mbufs, 0, 0,
                                      RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (!rx_pool) {
        return dpdk_error(-rte_errno, errorp, "cannot create the rx "
                          "mempool of %u mbufs", n_rx_mbufs);
    }
    ret = rte_eth_rx_queue_setup(port, 0, n_rxd, socket, NULL, rx_pool);
    if (ret) {
        return dpdk_error(ret, errorp, "cannot set up the rx queue");
    }
    txconf = info.default_txconf;
    txconf.offloads = 0;
    ret = rte_eth_tx_queue_setup(port, 0, n_txd, socket, &txconf);
    if (ret) {
        return dpdk_error(ret, errorp, "cannot set up the tx queue of %"
                          PRIu16" descriptors", n_txd);
    }
    ret = rte_eth_dev_start(port);
    if (ret) {
        return dpdk_error(ret, errorp, "cannot start the port");
    }
    port_started = true;
    VLOG_INFO("DPDK port %"PRIu16" (%s, driver %s) started: tx ring %"
              PRIu16", %u frames", port, port_name, info.driver_name, n_txd,
              max_frames);
    return 0;
}

int
announcer_dpdk_build(const struct frames_spec *spec, struct rte_mbuf **mbufs,
                     size_t max, size_t *n)
{
    size_t count = frames_count(spec);

    *n = 0;
    if (count > max) {
        return EINVAL;
    }
    if (rte_pktmbuf_alloc_bulk(tx_pool, mbufs, count)) {
        return ENOBUFS;
    }
    for (size_t i = 0; i < count; i++) {
        struct rte_mbuf *m = mbufs[i];
        size_t len;
        int error;

        error = frames_build_one(spec, i, rte_pktmbuf_mtod(m, void *),
                                 rte_pktmbuf_tailroom(m), &len);
        if (error) {
            announcer_dpdk_free(mbufs, count);
            return error;
        }
        m->data_len = m->pkt_len = len;
    }
    *n = count;
    return 0;
}

void
announcer_dpdk_free(struct rte_mbuf **mbufs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rte_pktmbuf_free(mbufs[i]);
    }
}

size_t
announcer_dpdk_send(struct rte_mbuf **mbufs, size_t n, unsigned int *n_bursts)
{
    unsigned int idle = 0;
    size_t sent = 0;

    *n_bursts = 0;
    for (size_t i = 0; i < n; i++) {
        rte_mbuf_refcnt_update(mbufs[i], 1);
    }
    while (sent < n && idle < TX_IDLE_RETRIES) {
        uint16_t burst = MIN(n - sent, UINT16_MAX);
        uint16_t k = rte_eth_tx_burst(port, 0, mbufs + sent, burst);

        ++*n_bursts;
        sent += k;
        idle = k ? 0 : idle + 1;
    }
    /* What the driver did not take is still only ours. */
    for (size_t i = sent; i < n; i++) {
        rte_mbuf_refcnt_update(mbufs[i], -1);
    }
    return sent;
}

size_t
announcer_dpdk_recv(struct rte_mbuf **mbufs, size_t max)
{
    size_t n = 0;

    while (n < max) {
        uint16_t k = rte_eth_rx_burst(port, 0, mbufs + n,
                                      MIN(max - n, UINT16_MAX));
        if (!k) {
            break;
        }
        n += k;
    }
    return n;
}

struct rte_mbuf *
announcer_dpdk_frame(const void *data, size_t len)
{
    struct rte_mbuf *m = rx_pool ? rte_pktmbuf_alloc(rx_pool) : NULL;
    char *p;

    if (!m) {
        return NULL;
    }
    p = rte_pktmbuf_append(m, len);
    if (!p) {
        rte_pktmbuf_free(m);
        return NULL;
    }
    memcpy(p, data, len);
    return m;
}

unsigned int
announcer_dpdk_rx_free(void)
{
    return rx_pool ? rte_mempool_avail_count(rx_pool) : 0;
}

void *
announcer_dpdk_data(struct rte_mbuf *m, uint32_t *len)
{
    *len = m->data_len;
    return rte_pktmbuf_mtod(m, void *);
}

void
announcer_dpdk_pop_tag(struct rte_mbuf *m)
{
    uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

    memmove(p + HOLD_TAG_LEN, p, 2 * ETH_ADDR_LEN);
    rte_pktmbuf_adj(m, HOLD_TAG_LEN);
}

int
announcer_dpdk_push_tag(struct rte_mbuf *m, const void *tag)
{
    uint8_t *p = (uint8_t *) rte_pktmbuf_prepend(m, HOLD_TAG_LEN);

    if (!p) {
        return ENOBUFS;
    }
    memmove(p, p + HOLD_TAG_LEN, 2 * ETH_ADDR_LEN);
    memcpy(p + 2 * ETH_ADDR_LEN, tag, HOLD_TAG_LEN);
    return 0;
}

size_t
announcer_dpdk_send_owned(struct rte_mbuf **mbufs, size_t n)
{
    unsigned int idle = 0;
    size_t sent = 0;

    while (sent < n && idle < TX_IDLE_RETRIES) {
        uint16_t k = rte_eth_tx_burst(port, 0, mbufs + sent,
                                      MIN(n - sent, UINT16_MAX));

        sent += k;
        idle = k ? 0 : idle + 1;
    }
    announcer_dpdk_free(mbufs + sent, n - sent);
    return sent;
}

void
announcer_dpdk_format_frame(const struct rte_mbuf *m, struct ds *ds)
{
    frames_format(rte_pktmbuf_mtod(m, const void *), m->data_len, ds);
}

void
announcer_dpdk_format(struct ds *ds)
{
    struct rte_eth_stats stats;

    ds_put_format(ds, "DPDK port %"PRIu16" (%s): tx ring %"PRIu16", "
                  "frames mempool %u of %u free", port, port_name, n_txd,
                  tx_pool ? rte_mempool_avail_count(tx_pool) : 0,
                  tx_pool ? tx_pool->size : 0);
    if (rx_pool) {
        ds_put_format(ds, ", rx mempool %u of %u free",
                      rte_mempool_avail_count(rx_pool), rx_pool->size);
    }
    if (port_started && !rte_eth_stats_get(port, &stats)) {
        ds_put_format(ds, ", driver: %"PRIu64" packets sent, %"PRIu64
                      " errors, %"PRIu64" received, %"PRIu64" missed, %"
                      PRIu64" without an mbuf", stats.opackets,
                      stats.oerrors, stats.ipackets, stats.imissed,
                      stats.rx_nombuf);
    }
}

void
announcer_dpdk_close(void)
{
    if (port_started) {
        int ret = rte_eth_dev_stop(port);

        if (ret) {
            VLOG_WARN("DPDK port %"PRIu16" (%s): cannot stop: %s", port,
                      port_name, rte_strerror(-ret));
        }
        port_started = false;
    }
    if (port_open) {
        rte_eth_dev_close(port);
        port_open = false;
    }
    if (tx_pool) {
        rte_mempool_free(tx_pool);
        tx_pool = NULL;
    }
    if (rx_pool) {
        rte_mempool_free(rx_pool);
        rx_pool = NULL;
    }
    if (eal_ready) {
        rte_eal_cleanup();
        eal_ready = false;
        /* As root, the EAL makes /var/run/dpdk/PREFIX even with
         * --no-shconf, and leaves it behind. */
        if (runtime_dir) {
            rmdir(runtime_dir);
        }
    }
    free(runtime_dir);
    runtime_dir = NULL;
}
