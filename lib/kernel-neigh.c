/* Kernel neighbour entries through libnl-3.  See kernel-neigh.h. */

#include <config.h>
#include "kernel-neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(kernel_neigh);

/* Converts libnl's error 'nlerr' (negative NLE_* code) into an errno value,
 * logging libnl's message about 'what'. */
static int
kernel_neigh_nl_error(int nlerr, const char *what)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    int error;

    switch (-nlerr) {
    case NLE_NOMEM: error = ENOMEM; break;
    case NLE_PERM: error = EPERM; break;
    case NLE_NODEV: error = ENODEV; break;
    case NLE_OBJ_NOTFOUND: error = ENOENT; break;
    case NLE_EXIST: error = EEXIST; break;
    case NLE_INVAL: error = EINVAL; break;
    case NLE_AF_NOSUPPORT: error = EAFNOSUPPORT; break;
    case NLE_BUSY: error = EBUSY; break;
    default: error = EIO; break;
    }
    VLOG_WARN_RL(&rl, "%s: %s", what, nl_geterror(nlerr));
    return error;
}

/* Opens a route netlink socket in our own network namespace: the caller
 * runs on the host whose neighbours it sets (the host's agent). */
static int
open_socket(struct nl_sock **sockp, char **errorp)
{
    struct nl_sock *sock = nl_socket_alloc();
    int nlerr;

    *sockp = NULL;
    if (!sock) {
        *errorp = xstrdup("out of memory for a netlink socket");
        return ENOMEM;
    }
    nlerr = nl_connect(sock, NETLINK_ROUTE);
    if (nlerr < 0) {
        int error = kernel_neigh_nl_error(nlerr, "netlink connect");

        *errorp = xasprintf("cannot open a route netlink socket: %s",
                            nl_geterror(nlerr));
        nl_socket_free(sock);
        return error;
    }
    *sockp = sock;
    return 0;
}

int
kernel_neigh_set(const char *dev, const struct kernel_neigh *neighs, size_t n, char **errorp)
{
    struct rtnl_link *link = NULL;
    struct nl_sock *sock;
    int error, nlerr, ifindex;

    *errorp = NULL;
    error = open_socket(&sock, errorp);
    if (error) {
        return error;
    }
    nlerr = rtnl_link_get_kernel(sock, 0, dev, &link);
    if (nlerr < 0) {
        error = kernel_neigh_nl_error(nlerr, dev);
        *errorp = xasprintf("no device %s: %s", dev, nl_geterror(nlerr));
        goto out;
    }
    ifindex = rtnl_link_get_ifindex(link);

    for (size_t i = 0; i < n && !error; i++) {
        struct rtnl_neigh *neigh = rtnl_neigh_alloc();
        struct nl_addr *dst = nl_addr_build(AF_INET, &neighs[i].ip, 4);
        struct nl_addr *lladdr = nl_addr_build(AF_LLC, neighs[i].mac.ea,
                                               ETH_ADDR_LEN);

        if (!neigh || !dst || !lladdr) {
            error = ENOMEM;
            *errorp = xstrdup("out of memory for a neighbour entry");
        } else {
            rtnl_neigh_set_ifindex(neigh, ifindex);
            rtnl_neigh_set_dst(neigh, dst);
            rtnl_neigh_set_lladdr(neigh, lladdr);
            rtnl_neigh_set_state(neigh, NUD_PERMANENT);
            nlerr = rtnl_neigh_add(sock, neigh, NLM_F_CREATE | NLM_F_REPLACE);
            if (nlerr < 0) {
                error = kernel_neigh_nl_error(nlerr, dev);
                *errorp = xasprintf("cannot set neighbour "IP_FMT" on %s: %s",
                                    IP_ARGS(neighs[i].ip), dev,
                                    nl_geterror(nlerr));
            }
        }
        nl_addr_put(dst);
        nl_addr_put(lladdr);
        rtnl_neigh_put(neigh);
    }

out:
    rtnl_link_put(link);
    nl_socket_free(sock);
    return error;
}
