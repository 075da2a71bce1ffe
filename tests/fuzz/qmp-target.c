/* Fuzz target: cutover-hook's QMP client (controller/qmp.c), fed what a
 * QEMU monitor sends.
 *
 * The input is the whole byte stream of a QMP monitor: a fake QEMU (a
 * thread here, on a Unix socket in a private directory) accepts the
 * client's connection, sends the input, closes its side for writing and
 * reads until the client is gone.  The client does what cutover-hook does:
 * qmp_open() (greeting, qmp_capabilities), then commands with qmp_execute()
 * and events with qmp_recv_event() until the connection ends.  Partial
 * lines, bad JSON, answers to no command and answers with other ids all
 * come out of the same stream; whatever it is, the client must end with an
 * error and not crash or leak.  The answers are written ahead, so the
 * stream's end (EOF) ends every wait, without timeouts. */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzzer.h"
#include "openvswitch/json.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "qmp.h"
#include "util.h"

static char *dir;
static char *sock_path;
static int listen_fd = -1;

/* What the fake QEMU sends. */
struct peer {
    const uint8_t *data;
    size_t size;
};

static void
cleanup(void)
{
    if (listen_fd >= 0) {
        close(listen_fd);
    }
    if (sock_path) {
        unlink(sock_path);
        rmdir(dir);
    }
}

static void
init(void)
{
    struct sockaddr_un sun;
    char template[] = "/tmp/cutover-fuzz-qmp.XXXXXX";

    signal(SIGPIPE, SIG_IGN);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    dir = xstrdup(mkdtemp(template));
    sock_path = xasprintf("%s/qmp.sock", dir);
    atexit(cleanup);

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    ovs_strlcpy(sun.sun_path, sock_path, sizeof sun.sun_path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listen_fd < 0
        || bind(listen_fd, (struct sockaddr *) &sun, sizeof sun)
        || listen(listen_fd, 4)) {
        ovs_fatal(errno, "%s: cannot listen", sock_path);
    }
}

/* The fake QEMU. */
static void *
peer_main(void *peer_)
{
    const struct peer *peer = peer_;
    size_t done = 0;
    char buf[4096];
    int fd;

    fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) {
        ovs_fatal(errno, "accept");
    }
    while (done < peer->size) {
        ssize_t n = write(fd, peer->data + done, peer->size - done);

        if (n < 0 && errno == EINTR) {
            continue;
        } else if (n <= 0) {
            break;              /* The client is gone. */
        }
        done += n;
    }
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof buf) > 0) {
        continue;
    }
    close(fd);
    return NULL;
}

/* Runs 'q' until its connection ends, taking every event. */
static void
drain_events(struct qmp *q)
{
    for (int i = 0; i < 100000; i++) {
        struct json *event;

        qmp_run(q);
        while ((event = qmp_recv_event(q))) {
            ovs_assert(event->type == JSON_OBJECT);
            json_destroy(event);
        }
        if (qmp_get_status(q)) {
            ovs_assert(qmp_get_error(q)[0]);
            return;
        }
        qmp_wait(q);
        poll_block();
    }
    ovs_abort(0, "the QMP client did not see the end of its stream");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct peer peer = { data, size };
    pthread_t thread;
    struct qmp *q;
    char *error;
    int retval;

    if (!sock_path) {
        init();
    }
    retval = pthread_create(&thread, NULL, peer_main, &peer);
    if (retval) {
        ovs_fatal(retval, "pthread_create");
    }

    retval = qmp_open("fuzz QEMU", sock_path, 60000, &q, &error);
    if (retval) {
        ovs_assert(error && !q);
        free(error);
    } else {
        struct json *ret;
        bool refused;
        char *text;

        /* What the hook's follower sends first, then a query. */
        retval = qmp_execute(q, "migrate-set-capabilities",
                             json_from_string("{\"capabilities\": ["
                                              "{\"capability\": \"events\","
                                              " \"state\": true}]}"),
                             &refused, NULL, &text);
        ovs_assert(retval || !refused || text);
        free(text);
        retval = qmp_execute(q, "query-migrate", NULL, &refused, &ret,
                             &text);
        if (!retval && !refused) {
            ovs_assert(ret && !text);
            json_destroy(ret);
        } else {
            ovs_assert(text && !ret);
            free(text);
        }
        drain_events(q);
        qmp_close(q);
    }
    pthread_join(thread, NULL);
    return 0;
}
