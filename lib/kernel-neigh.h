/* Kernel neighbour (ARP) entries through libnl-3's route library.
 *
 * The one place that converts libnl's negative NLE_* codes into errno
 * values (kernel_neigh_nl_error()), logging libnl's own message. */

#ifndef KERNEL_NEIGH_H
#define KERNEL_NEIGH_H 1

#include <stddef.h>

#include "openvswitch/types.h"
#include "packets.h"

struct kernel_neigh {
    ovs_be32 ip;
    struct eth_addr mac;
};

/* Makes each of 'neighs' a permanent neighbour entry (replacing any other
 * entry for its address) on device 'dev' of the caller's network namespace
 * (the host's agent runs on the host it sets them for).  Stops at the
 * first failure.  Returns 0 or a positive errno value, with a message
 * naming what failed in '*errorp' (to free; NULL on success). */
int kernel_neigh_set(const char *dev, const struct kernel_neigh *neighs,
                     size_t n, char **errorp);

#endif /* kernel-neigh.h */
