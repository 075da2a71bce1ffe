/* cutover-announcer's DPDK side: the EAL, one ethdev with one tx queue, a
 * mempool of frames built once, and bursts of those frames that stay the
 * announcer's after the driver has sent them.
 *
 * Only cutover-announcer links with DPDK, and only this module includes
 * DPDK's headers: gratuitous/announcer.c sees an mbuf as an opaque pointer.
 * One thread uses it (the announcer's poll loop). */

#ifndef GRATUITOUS_ANNOUNCER_DPDK_H
#define GRATUITOUS_ANNOUNCER_DPDK_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openvswitch/compiler.h"

struct ds;
struct frames_spec;
struct rte_mbuf;

/* Initializes DPDK's EAL with the 'argc' arguments of 'argv' (argv[0]
 * first, as the program got them before "--"; 'argv' may be permuted).
 * Returns 0, or a positive errno and a malloc()ed message in '*errorp'. */
int announcer_dpdk_init(int argc, char *argv[], char **errorp)
    OVS_WARN_UNUSED_RESULT;

/* Opens the ethdev 'port_id' (which must exist) with a mempool of
 * 'max_frames' frames, one rx and one tx queue whose mempool has room for
 * 'hold_frames' frames held besides what the rx ring needs, and starts it.
 * Returns 0, or a positive errno and a malloc()ed message naming the device
 * and DPDK's reason in '*errorp'. */
int announcer_dpdk_open(uint16_t port_id, unsigned int max_frames,
                        unsigned int hold_frames, char **errorp)
    OVS_WARN_UNUSED_RESULT;

/* Builds the frames of 'spec' (frames_count() of them, at most 'max')
 * straight into new mbufs stored in 'mbufs', all or none.  Returns 0,
 * ENOBUFS if the mempool has not that many mbufs free, or the frame
 * builders' EINVAL. */
int announcer_dpdk_build(const struct frames_spec *spec,
                         struct rte_mbuf **mbufs, size_t max, size_t *n)
    OVS_WARN_UNUSED_RESULT;

/* Gives back the 'n' mbufs of 'mbufs' (a driver still sending one frees
 * it when it is done). */
void announcer_dpdk_free(struct rte_mbuf **mbufs, size_t n);

/* Sends the 'n' frames 'mbufs' in tx bursts, as many as the tx ring needs,
 * retrying what the driver did not take a bounded number of times.  The
 * mbufs stay ours: each gets a reference for the driver to drop.  Returns
 * how many went out, the first ones of 'mbufs' in order; '*n_bursts' counts
 * the rte_eth_tx_burst() calls. */
size_t announcer_dpdk_send(struct rte_mbuf **mbufs, size_t n,
                           unsigned int *n_bursts);

/* Received frames: up to 'max' of what the rx queue has now, stored in
 * 'mbufs' (ours to keep, to send with announcer_dpdk_send_owned() or to
 * free).  Returns how many. */
size_t announcer_dpdk_recv(struct rte_mbuf **mbufs, size_t max);

/* How many mbufs the rx mempool has free: received frames are kept in
 * theirs. */
unsigned int announcer_dpdk_rx_free(void);

/* A frame of the daemon's own: an mbuf of the rx mempool holding the 'len'
 * bytes of 'data', to send with announcer_dpdk_send_owned(), or NULL if
 * the pool is empty. */
struct rte_mbuf *announcer_dpdk_frame(const void *data, size_t len);

/* The frame in 'mbuf' (one segment: the rx mempool's mbufs hold a whole
 * frame) and its length in '*len'. */
void *announcer_dpdk_data(struct rte_mbuf *mbuf, uint32_t *len);

/* Removes the HOLD_TAG_LEN bytes after the MAC addresses of the frame in
 * 'mbuf', or puts 'tag' there.  Pushing returns ENOBUFS if the mbuf has no
 * headroom left. */
void announcer_dpdk_pop_tag(struct rte_mbuf *mbuf);
int announcer_dpdk_push_tag(struct rte_mbuf *mbuf, const void *tag);

/* Sends the 'n' frames 'mbufs' as announcer_dpdk_send() does, but gives
 * them to the driver: what it does not take is freed.  Returns how many
 * went out. */
size_t announcer_dpdk_send_owned(struct rte_mbuf **mbufs, size_t n);

/* Appends to 'ds' a one-line description of the frame in 'mbuf'
 * (frames_format()). */
void announcer_dpdk_format_frame(const struct rte_mbuf *mbuf, struct ds *);

/* Appends to 'ds' a description of the port and the mempool. */
void announcer_dpdk_format(struct ds *);

/* The number of ethdevs DPDK has (after announcer_dpdk_init()). */
unsigned int announcer_dpdk_count_ports(void);

/* Stops and closes the port, frees the mempools, cleans up the EAL and
 * removes the EAL's run-time directory if it is empty.  Every mbuf must
 * have been given back.  Does nothing the second time. */
void announcer_dpdk_close(void);

#endif /* announcer-dpdk.h */
