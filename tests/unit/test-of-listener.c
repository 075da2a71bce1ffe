/* Unit tests for datapath/of-listener.c: a passive OpenFlow target, on
 * real unix sockets in a temporary directory. */

#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "of-listener.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vconn.h"
#include "unit-util.h"
#include "util.h"

#define VERSIONS ((1u << OFP14_VERSION) | (1u << OFP15_VERSION))

/* Asserts that 'l''s status says 'expected' (a substring). */
static void
status_says(const struct of_listener *l, const char *expected)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    of_listener_format_status(l, &s);
    if (!strstr(ds_cstr(&s), expected)) {
        fail_msg("status '%s' does not say '%s'", ds_cstr(&s), expected);
    }
    ds_destroy(&s);
}

/* A switch's side: connects to 'target', OpenFlow 1.5 only. */
static struct vconn *
switch_connect(const char *target)
{
    struct vconn *vconn;

    assert_int_equal(vconn_open(target, 1u << OFP15_VERSION, 0, &vconn), 0);
    return vconn;
}

/* Accepts the switch's newest connection: of_listener_run() until it
 * returns one. */
static struct vconn *
accept_one(struct of_listener *l)
{
    for (int i = 0; i < 1000; i++) {
        struct vconn *vconn = of_listener_run(l);

        if (vconn) {
            return vconn;
        }
        usleep(1000);
    }
    fail_msg("no connection accepted on %s", of_listener_target(l));
    return NULL;
}

static void
test_unopenable(void **state OVS_UNUSED)
{
    struct of_listener *l = of_listener_create(
        "h1", "punix:/nonexistent/cutover/h1.openflow", VERSIONS);

    assert_int_equal(of_listener_error(l), ENOENT);
    status_says(l, "cannot listen on punix:/nonexistent/cutover/h1.openflow "
                "(No such file or directory)");
    assert_null(of_listener_run(l));
    of_listener_destroy(l);

    /* SSL without keys: the status says what is missing. */
    l = of_listener_create("h2", "pssl:0:127.0.0.1", VERSIONS);
    assert_int_equal(of_listener_error(l), ENOPROTOOPT);
    status_says(l, "SSL needs --private-key, --certificate and --ca-cert");
    of_listener_destroy(l);
}

static void
test_accept(void **state OVS_UNUSED)
{
    char dir[] = "/tmp/test-of-listener.XXXXXX";
    struct vconn *sw1, *sw2, *ctl;
    struct of_listener *l;
    char *target, *path;

    assert_non_null(mkdtemp(dir));
    path = xasprintf("%s/h1.openflow", dir);
    target = xasprintf("punix:%s", path);
    l = of_listener_create("h1", target, VERSIONS);
    assert_int_equal(of_listener_error(l), 0);
    status_says(l, "listening on punix:");
    assert_null(of_listener_run(l));

    /* One connection: the OpenFlow handshake agrees on 1.5, the only
     * version both sides allow. */
    char *active = xasprintf("unix:%s", path);
    sw1 = switch_connect(active);
    ctl = accept_one(l);
    assert_int_equal(vconn_connect(ctl), EAGAIN);       /* Hello sent. */
    assert_int_equal(vconn_connect_block(sw1, 5000), 0);
    assert_int_equal(vconn_connect_block(ctl, 5000), 0);
    assert_int_equal(vconn_get_version(ctl), OFP15_VERSION);
    vconn_close(ctl);
    vconn_close(sw1);

    /* Two at once: the newer is the one returned, the older is closed. */
    sw1 = switch_connect(active);
    sw2 = switch_connect(active);
    usleep(10000);
    ctl = accept_one(l);
    assert_null(of_listener_run(l));
    assert_int_equal(vconn_connect(ctl), EAGAIN);
    assert_int_equal(vconn_connect_block(sw2, 5000), 0);
    assert_int_equal(vconn_connect_block(ctl, 5000), 0);
    assert_int_not_equal(vconn_connect_block(sw1, 5000), 0);
    vconn_close(ctl);
    vconn_close(sw1);
    vconn_close(sw2);

    of_listener_destroy(l);
    unlink(path);
    rmdir(dir);
    free(active);
    free(target);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unopenable),
        cmocka_unit_test(test_accept),
    };

    /* A write to a connection the listener closed must fail, not kill. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("of-listener", tests, NULL, NULL);
}
