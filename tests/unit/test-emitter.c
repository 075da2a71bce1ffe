/* Unit tests for gratuitous/emitter.c and the AF_PACKET emitter: the
 * table of emitters, errors on open, and a batch larger than one
 * sendmmsg() call through the loopback interface of a network namespace of
 * the test's own.  Root makes that namespace; anyone else makes it inside
 * a user namespace of their own (where they have CAP_NET_RAW and
 * CAP_NET_ADMIN over it).  Only a machine that allows neither skips that
 * test, and then the whole program exits 77 (skipped, for automake) with
 * the cause on its last line: a skip never passes as a success. */

#include <config.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "emitter.h"
#include "frames.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

/* Why a test was skipped (to free), or NULL: main() then exits 77. */
static char *skip_cause;

static void
test_types(void **state OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct emitter *e = (struct emitter *) &s;

    assert_true(emitter_has_type("af_packet"));
    assert_true(emitter_has_type(EMITTER_DEFAULT));
    assert_false(emitter_has_type("carrier-pigeon"));
    emitter_format_types(&s);
    assert_string_equal(ds_cstr(&s), "af_packet, packet-out");
    ds_destroy(&s);

    assert_int_equal(emitter_open("carrier-pigeon", "lo", &e), EAFNOSUPPORT);
    assert_null(e);
    emitter_close(NULL);
}

static void
test_open_errors(void **state OVS_UNUSED)
{
    struct emitter *e;

    assert_int_equal(emitter_open("af_packet", "nosuch-if0", &e), ENODEV);
    assert_null(e);
    assert_int_equal(emitter_open("af_packet", "", &e), ENODEV);
    assert_int_equal(emitter_open("af_packet",
                                  "a-name-longer-than-ifnamsiz", &e), ENODEV);
}

/* Moves this process into a network namespace of its own: a new one if it
 * may (CAP_SYS_ADMIN), else one inside a new user namespace, which the
 * kernel allows anyone unless unprivileged user namespaces are disabled.
 * Returns false, with the cause in 'skip_cause', if neither works. */
static bool
enter_private_netns(void)
{
    int netns_error, userns_error;

    if (!unshare(CLONE_NEWNET)) {
        return true;
    }
    netns_error = errno;
    if (!unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
        return true;
    }
    userns_error = errno;
    skip_cause = xasprintf("test_send_batch: this machine lets the test make "
                           "no network namespace: unshare(CLONE_NEWNET): %s "
                           "(needs CAP_SYS_ADMIN), unshare(CLONE_NEWUSER | "
                           "CLONE_NEWNET): %s (unprivileged user namespaces "
                           "disabled?)", ovs_strerror(netns_error),
                           ovs_strerror(userns_error));
    return false;
}

/* Sets the loopback interface of this namespace up or down. */
static void
set_lo(bool up)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    assert_true(fd >= 0);
    memset(&ifr, 0, sizeof ifr);
    ovs_strlcpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name);
    assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags = up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP;
    assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
    close(fd);
}

static void
test_send_batch(void **state OVS_UNUSED)
{
    static const struct eth_addr mac = ETH_ADDR_C(02,00,0a,00,00,01);
    struct frame frames[70];
    struct emitter *e;
    size_t sent;
    int error;

    for (size_t i = 0; i < ARRAY_SIZE(frames); i++) {
        assert_int_equal(frames_build_rarp(&mac, 0, frames[i].data,
                                           sizeof frames[i].data,
                                           &frames[i].len), 0);
    }
    if (!enter_private_netns()) {
        skip();                 /* main() makes it count: see skip_cause. */
    }
    error = emitter_open("af_packet", "lo", &e);
    assert_int_equal(error, 0);

    /* A new namespace's loopback is down: nothing goes out. */
    assert_int_equal(emitter_send(e, frames, 3, &sent), ENETDOWN);
    assert_int_equal(sent, 0);

    set_lo(true);
    assert_string_equal(emitter_type(e), "af_packet");
    assert_string_equal(emitter_target(e), "lo");
    assert_int_equal(emitter_send(e, frames, ARRAY_SIZE(frames), &sent), 0);
    assert_int_equal(sent, ARRAY_SIZE(frames));
    assert_int_equal(emitter_send(e, frames, 0, &sent), 0);
    assert_int_equal(sent, 0);
    emitter_close(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_send_batch),
    };

    int failures = cmocka_run_group_tests_name("emitter", tests, NULL, NULL);

    if (!failures && skip_cause) {
        /* cmocka counts a skipped test as passed: exit 77 says otherwise. */
        fflush(stdout);
        fprintf(stderr, "SKIP: %s\n", skip_cause);
        free(skip_cause);
        return 77;
    }
    free(skip_cause);
    return failures;
}
