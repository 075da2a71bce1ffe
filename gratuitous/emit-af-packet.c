/* The AF_PACKET emitter: announcement frames out of a kernel interface.
 *
 * One raw packet socket bound to the interface, with protocol 0 so that it
 * receives nothing; each batch goes out in one sendmmsg() call.  Frames go
 * out as they are, tag and all: the kernel adds no header and pads nothing.
 * Needs CAP_NET_RAW in the interface's network namespace. */

#include <config.h>

#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emitter-provider.h"
#include "frames.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(emit_af_packet);

/* Frames per sendmmsg() call. */
#define BATCH 32

struct emitter_af_packet {
    struct emitter up;
    int fd;
    int ifindex;
};

static struct emitter_af_packet *
emitter_af_packet_cast(struct emitter *emitter)
{
    return CONTAINER_OF(emitter, struct emitter_af_packet, up);
}

static int
af_packet_open(const char *target, struct emitter **emitterp)
{
    struct emitter_af_packet *e;
    struct sockaddr_ll sll;
    unsigned int ifindex;
    int fd;

    if (!target[0] || strlen(target) >= IF_NAMESIZE) {
        return ENODEV;
    }
    ifindex = if_nametoindex(target);
    if (!ifindex) {
        return errno == ENXIO ? ENODEV : errno;
    }
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        int error = errno;

        close(fd);
        return error;
    }

    e = xzalloc(sizeof *e);
    e->fd = fd;
    e->ifindex = ifindex;
    *emitterp = &e->up;
    return 0;
}

static int
af_packet_send(struct emitter *emitter, const struct frame *frames, size_t n,
               size_t *n_sent)
{
    struct emitter_af_packet *e = emitter_af_packet_cast(emitter);
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];

    *n_sent = 0;
    while (*n_sent < n) {
        size_t batch = MIN(n - *n_sent, BATCH);
        int retval;

        memset(msgs, 0, sizeof msgs[0] * batch);
        for (size_t i = 0; i < batch; i++) {
            const struct frame *f = &frames[*n_sent + i];

            iovs[i].iov_base = CONST_CAST(uint8_t *, f->data);
            iovs[i].iov_len = f->len;
            msgs[i].msg_hdr.msg_iov = &iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        do {
            retval = sendmmsg(e->fd, msgs, batch, 0);
        } while (retval < 0 && errno == EINTR);
        if (retval < 0) {
            return errno;
        }
        *n_sent += retval;
        if (retval < batch) {
            /* sendmmsg() stops at the first frame that fails and reports
             * the frames before it: send that one alone for its error. */
            const struct frame *f = &frames[*n_sent];

            if (send(e->fd, f->data, f->len, 0) < 0) {
                return errno;
            }
            ++*n_sent;
        }
    }
    return 0;
}

static void
af_packet_close(struct emitter *emitter)
{
    struct emitter_af_packet *e = emitter_af_packet_cast(emitter);

    close(e->fd);
    free(e);
}

const struct emitter_class emitter_af_packet_class = {
    .type = "af_packet",
    .open = af_packet_open,
    .send = af_packet_send,
    .close = af_packet_close,
};
