/* Fuzz target: the controller's JSON-RPC control API (controller/control.c),
 * fed what a client sends.
 *
 * A control server listens on a Unix socket in a private directory, with
 * three stub commands registered through control_register() as cutoverd
 * registers its own: "fuzz/now" (0 to 3 arguments, answered at once),
 * "fuzz/later" (answered on the next turn of the loop, as a switchover is)
 * and "fuzz/fail" (1 argument, answered with an error).  Each input is the
 * byte stream of one client connection: the client sends it, closes its
 * side for writing and reads every answer until the server closes the
 * connection.  An input that begins with "repeat:N\n" sends the rest N
 * times (N up to 100), to reach the bound on a request's size.  Requests
 * of every shape (unknown methods, params that are not arrays of strings,
 * too many arguments, too long ones, replies and notifications instead of
 * requests, bad JSON) go through the real parsing and dispatch. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "fuzzer.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "util.h"

static char *dir;
static char *sock_path;
static struct control_server *server;

/* A "fuzz/later" request, answered on the next turn. */
static struct control_req *later;

static void
cmd_now(struct control_req *req, int argc, const char *argv[], void *aux)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    for (int i = 1; i < argc; i++) {
        ds_put_format(&s, "%s%s", i > 1 ? " " : "", argv[i]);
    }
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

static void
cmd_later(struct control_req *req, int argc OVS_UNUSED,
          const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    ovs_assert(!later);
    later = req;
}

static void
cmd_fail(struct control_req *req, int argc OVS_UNUSED, const char *argv[],
         void *aux OVS_UNUSED)
{
    control_reply_format(req, false, "fuzz/fail: %s", argv[1]);
}

static void
cleanup(void)
{
    control_server_destroy(server);
    if (sock_path) {
        unlink(sock_path);
        rmdir(dir);
    }
}

static void
init(void)
{
    char template[] = "/tmp/cutover-fuzz-control.XXXXXX";
    char *name;
    int error;

    signal(SIGPIPE, SIG_IGN);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    dir = xstrdup(mkdtemp(template));
    sock_path = xasprintf("%s/control.sock", dir);
    atexit(cleanup);

    control_register("fuzz/now", "[ARG...]", 0, 3, cmd_now, NULL);
    control_register("fuzz/later", "", 0, 0, cmd_later, NULL);
    control_register("fuzz/fail", "ARG", 1, 1, cmd_fail, NULL);
    name = xasprintf("punix:%s", sock_path);
    error = control_server_create(name, &server);
    if (error) {
        ovs_fatal(error, "%s: cannot listen", name);
    }
    free(name);
}

/* Connects a client to the server, without blocking. */
static int
connect_client(void)
{
    struct sockaddr_un sun;
    int fd;

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    ovs_strlcpy(sun.sun_path, sock_path, sizeof sun.sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sun, sizeof sun)
        || fcntl(fd, F_SETFL, O_NONBLOCK)) {
        ovs_fatal(errno, "%s: cannot connect", sock_path);
    }
    return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t repeat = 1, sent = 0, total;
    bool closed = false;
    int fd;

    if (!server) {
        init();
    }
    if (size > 7 && !memcmp(data, "repeat:", 7)) {
        const uint8_t *nl = memchr(data, '\n', size);

        if (nl) {
            repeat = MIN(strtoul((const char *) data + 7, NULL, 10), 100);
            size -= nl + 1 - data;
            data = nl + 1;
        }
    }
    total = size * repeat;

    fd = connect_client();
    for (int turn = 0; ; turn++) {
        if (turn > 100000) {
            ovs_abort(0, "the control server did not close the connection");
        }
        if (later) {
            struct control_req *req = later;

            later = NULL;
            control_reply(req, true, "later");
        }
        control_server_run(server);

        /* Send, then close for writing. */
        while (sent < total) {
            size_t ofs = sent % (size ? size : 1);
            ssize_t n = send(fd, data + ofs, size - ofs, MSG_NOSIGNAL);

            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                break;
            } else if (n < 0) {
                sent = total;   /* The server closed the connection. */
            } else {
                sent += n;
            }
        }
        if (sent >= total && !closed) {
            shutdown(fd, SHUT_WR);
            closed = true;
        }

        /* Read the answers, until the server closes the connection. */
        for (;;) {
            char buf[4096];
            ssize_t n = recv(fd, buf, sizeof buf, 0);

            if (n > 0) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                break;
            }
            goto done;          /* EOF, or the connection was reset. */
        }

        control_server_wait(server);
        poll_fd_wait(fd, closed ? POLLIN : POLLIN | POLLOUT);
        if (later) {
            poll_immediate_wake();
        }
        poll_block();
    }
done:
    close(fd);
    /* The server frees the connection on its next run. */
    control_server_run(server);
    ovs_assert(!later);
    ovs_assert(control_server_is_idle(server));
    return 0;
}
