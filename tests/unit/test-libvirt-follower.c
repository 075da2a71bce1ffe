/* Unit tests of cutover-libvirt's decisions (virt/libvirt-follower.c) and
 * of its port lookup (virt/domain-port.c).
 *
 * Each scenario is a script: the events one host's libvirt gave in the
 * feasibility study's traces (two libvirt 9.0 daemons, QEMU 7.2, live
 * migrations; the QEMU timestamps are the traces' own), and after each
 * event the calls cutover-libvirt must make then, in order ("=> ...").
 * Every call made must be expected exactly where it is made: a call left
 * unexpected when the next line comes fails the test.
 *
 * Lines:
 *   qmp DOMAIN EVENT S.US [STATUS]     a QEMU monitor event
 *   lifecycle DOMAIN EVENT [DETAIL]    a lifecycle event
 *   => STEP PORT [ARG]                 the next call made
 *   answer STEP refused|silent TEXT    how cutoverd answers the next call
 *                                      of STEP (default: confirmed)
 *   port DOMAIN NAME|-                 the domain's port ('-': none)
 *   time +MS                           the clock goes on; retries due run
 */

#include <config.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "domain-port.h"
#include "libvirt-follower.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "util.h"

/* A scripted answer. */
struct answer {
    enum lvf_outcome outcome;
    char *text;
};

struct harness {
    struct libvirt_follower *f;
    long long int now;
    struct shash ports;             /* Domain -> port ("" for none). */
    struct answer answers[N_LVF_STEPS]; /* The next answer per step. */
    char *made[64];                 /* Calls made, not yet expected. */
    size_t n_made, n_expected;
    int n_lookups;                  /* Ports looked up. */
};

static void
harness_init(struct harness *h, const char *host)
{
    struct libvirt_follower_config cfg = {
        .host = host,
        .max_retries = 3,
        .retry_interval_ms = 500,
    };

    memset(h, 0, sizeof *h);
    h->f = libvirt_follower_create(&cfg);
    h->now = 1000000;
    shash_init(&h->ports);
}

static void
harness_destroy(struct harness *h)
{
    assert_int_equal(h->n_made, h->n_expected);
    for (size_t i = 0; i < h->n_made; i++) {
        free(h->made[i]);
    }
    for (int i = 0; i < N_LVF_STEPS; i++) {
        free(h->answers[i].text);
    }
    shash_destroy_free_data(&h->ports);
    libvirt_follower_destroy(h->f);
}

/* Makes 'calls' as the daemon does: records each, answers it as scripted
 * and reports the answer (which may add calls). */
static void
make_calls(struct harness *h, struct lvf_calls *calls)
{
    for (size_t i = 0; i < calls->n; i++) {
        struct lvf_call c = calls->calls[i];
        struct answer *a = &h->answers[c.step];
        struct ds s = DS_EMPTY_INITIALIZER;
        const char *params[2];
        char *buf;
        size_t n = lvf_call_params(&c, params, &buf);
        enum lvf_outcome outcome = LVF_CONFIRMED;
        char *text = NULL;

        ds_put_cstr(&s, lvf_step_name(c.step));
        for (size_t j = 0; j < n; j++) {
            ds_put_format(&s, " %s", params[j]);
        }
        free(buf);
        assert_true(h->n_made < ARRAY_SIZE(h->made));
        h->made[h->n_made++] = ds_steal_cstr(&s);

        if (a->text) {
            outcome = a->outcome;
            text = a->text;
            a->text = NULL;
        }
        libvirt_follower_call_done(h->f, &c, outcome, text ? text : "ok",
                                   h->now, calls);
        free(text);
    }
    lvf_calls_clear(calls);
}

static void
check_all_expected(struct harness *h, const char *line)
{
    if (h->n_expected < h->n_made) {
        fail_msg("before '%s': unexpected call '%s'", line,
                 h->made[h->n_expected]);
    }
}

static enum lvf_event_type
lifecycle_type(const char *event, const char *detail)
{
    static const struct {
        const char *event, *detail;
        enum lvf_event_type type;
    } map[] = {
        { "STARTED", "MIGRATED", LVF_EV_STARTED_MIGRATED },
        { "STARTED", NULL, LVF_EV_STARTED },
        { "SUSPENDED", "MIGRATED", LVF_EV_SUSPENDED_MIGRATED },
        { "SUSPENDED", NULL, LVF_EV_SUSPENDED },
        { "RESUMED", "MIGRATED", LVF_EV_RESUMED_MIGRATED },
        { "RESUMED", NULL, LVF_EV_RESUMED },
        { "STOPPED", "MIGRATED", LVF_EV_STOPPED_MIGRATED },
        { "STOPPED", "FAILED", LVF_EV_STOPPED_FAILED },
        { "STOPPED", NULL, LVF_EV_STOPPED },
        { "UNDEFINED", NULL, LVF_EV_UNDEFINED },
    };

    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        if (!strcmp(event, map[i].event)
            && (!map[i].detail || (detail && !strcmp(detail,
                                                     map[i].detail)))) {
            return map[i].type;
        }
    }
    fail_msg("unknown lifecycle event %s %s", event, detail ? detail : "");
    return N_LVF_EV;
}

/* Parses S.US as QEMU's timestamp, in us. */
static long long int
parse_ts(const char *s)
{
    long long int sec;
    int usec;

    assert_int_equal(sscanf(s, "%lld.%6d", &sec, &usec), 2);
    return sec * 1000000 + usec;
}

static void
feed(struct harness *h, struct lvf_event *ev, struct lvf_calls *calls)
{
    char *port = NULL;

    if (libvirt_follower_wants_port(h->f, ev)) {
        const char *p = shash_find_data(&h->ports, ev->domain);

        h->n_lookups++;
        port = p && *p ? xstrdup(p) : NULL;
        if (!p) {
            port = xstrdup(ev->domain);
        }
        ev->port = port;
    }
    libvirt_follower_event(h->f, ev, h->now, calls);
    make_calls(h, calls);
    free(port);
}

static void
run_script(struct harness *h, const char *const script[])
{
    struct lvf_calls calls;

    lvf_calls_init(&calls);
    for (size_t i = 0; script[i]; i++) {
        char *copy = xstrdup(script[i]);
        char *save = NULL;
        char *word = strtok_r(copy, " ", &save);
        char *args[6] = { NULL };
        size_t n = 0;

        for (char *a; n < ARRAY_SIZE(args)
             && (a = strtok_r(NULL, " ", &save)); n++) {
            args[n] = a;
        }

        if (!strcmp(word, "=>")) {
            const char *want = script[i] + 3;

            if (h->n_expected >= h->n_made) {
                fail_msg("expected call '%s', none made", want);
            }
            if (strcmp(h->made[h->n_expected], want)) {
                fail_msg("expected call '%s', made '%s'", want,
                         h->made[h->n_expected]);
            }
            h->n_expected++;
            free(copy);
            continue;
        }
        check_all_expected(h, script[i]);
        if (!strcmp(word, "qmp")) {
            struct lvf_event ev = {
                .domain = args[0],
                .qemu_us = parse_ts(args[2]),
            };

            if (!strcmp(args[1], "STOP")) {
                ev.type = LVF_EV_QMP_STOP;
            } else if (!strcmp(args[1], "RESUME")) {
                ev.type = LVF_EV_QMP_RESUME;
            } else {
                assert_string_equal(args[1], "MIGRATION");
                ev.type = LVF_EV_QMP_MIGRATION;
                ev.status = lvf_mig_status_from_string(args[3]);
            }
            feed(h, &ev, &calls);
        } else if (!strcmp(word, "lifecycle")) {
            struct lvf_event ev = {
                .domain = args[0],
                .type = lifecycle_type(args[1], args[2]),
            };

            feed(h, &ev, &calls);
        } else if (!strcmp(word, "answer")) {
            enum lvf_step step;
            const char *text = strchr(script[i] + strlen("answer "), ' ');

            for (step = 0; step < N_LVF_STEPS; step++) {
                if (!strcmp(args[0], lvf_step_name(step))) {
                    break;
                }
            }
            assert_true(step < N_LVF_STEPS);
            text = strchr(text + 1, ' ');
            free(h->answers[step].text);
            h->answers[step].outcome = (!strcmp(args[1], "refused")
                                        ? LVF_REFUSED : LVF_UNANSWERED);
            h->answers[step].text = xstrdup(text ? text + 1 : "");
        } else if (!strcmp(word, "port")) {
            free(shash_replace(&h->ports, args[0],
                               xstrdup(strcmp(args[1], "-") ? args[1] : "")));
        } else if (!strcmp(word, "time")) {
            assert_true(args[0][0] == '+');
            h->now += atoll(args[0] + 1);
            libvirt_follower_run(h->f, h->now, &calls);
            make_calls(h, &calls);
        } else {
            fail_msg("bad script line '%s'", script[i]);
        }
        free(copy);
    }
    check_all_expected(h, "the end");
    lvf_calls_destroy(&calls);
}

/* A live migration of vm1 from h1 to h2 (trace-mig1.txt), seen from the
 * source: one switchover, at QEMU's STOP, with its timestamp; nothing at
 * SUSPENDED/MIGRATED, pre-switchover, completed or STOPPED/MIGRATED. */
static const char *const mig1_source[] = {
    "qmp vm1 MIGRATION 1796326753.759388 setup",
    "qmp vm1 MIGRATION 1796326753.762403 active",
    "qmp vm1 STOP 1796326754.190056",
    "=> switchover vm1 stopped=1796326754.190056",
    "lifecycle vm1 SUSPENDED MIGRATED",
    "qmp vm1 MIGRATION 1796326754.191157 pre-switchover",
    "qmp vm1 MIGRATION 1796326754.197348 device",
    "qmp vm1 MIGRATION 1796326754.276504 completed",
    "lifecycle vm1 STOPPED MIGRATED",
    NULL,
};

/* The same migration seen from the destination: prepare at the incoming
 * domain's start (its MIGRATION setup comes first and must not pass for an
 * outgoing migration), activate then complete at QEMU's RESUME, nothing at
 * RESUMED/MIGRATED. */
static const char *const mig1_dest[] = {
    "qmp vm1 MIGRATION 1796326753.741193 setup",
    "lifecycle vm1 STARTED MIGRATED",
    "=> prepare vm1 h2",
    "qmp vm1 MIGRATION 1796326753.756767 active",
    "qmp vm1 MIGRATION 1796326754.275231 completed",
    "qmp vm1 RESUME 1796326754.286150",
    "=> activate vm1",
    "=> complete vm1",
    "lifecycle vm1 RESUMED MIGRATED",
    NULL,
};

static void
test_migration_source(void **state OVS_UNUSED)
{
    struct harness h;

    harness_init(&h, "h1");
    run_script(&h, mig1_source);
    harness_destroy(&h);
}

static void
test_migration_dest(void **state OVS_UNUSED)
{
    struct harness h;

    harness_init(&h, "h2");
    run_script(&h, mig1_dest);
    harness_destroy(&h);
}

/* virsh domjobabort during a slow migration (trace-abort.txt): the source
 * aborts at cancelled (not at cancelling); the destination prepares, lets
 * its QEMU's "failed" pass and aborts when the domain stops; cutoverd's
 * "not migrating" to the second abort is fine and retried by nobody. */
static void
test_abort(void **state OVS_UNUSED)
{
    static const char *const source[] = {
        "qmp vm1 MIGRATION 1796327073.960329 setup",
        "qmp vm1 MIGRATION 1796327073.970262 active",
        "qmp vm1 MIGRATION 1796327076.098149 cancelling",
        "qmp vm1 MIGRATION 1796327076.177394 cancelled",
        "=> abort vm1",
        "time +5000",
        NULL,
    };
    static const char *const dest[] = {
        "qmp vm1 MIGRATION 1796327073.920602 setup",
        "lifecycle vm1 STARTED MIGRATED",
        "=> prepare vm1 h2",
        "qmp vm1 MIGRATION 1796327073.956287 active",
        "qmp vm1 MIGRATION 1796327076.096915 failed",
        "answer abort refused port vm1 is not migrating",
        "lifecycle vm1 STOPPED FAILED",
        "=> abort vm1",
        "time +5000",
        NULL,
    };
    struct harness h;

    harness_init(&h, "h1");
    run_script(&h, source);
    harness_destroy(&h);

    harness_init(&h, "h2");
    run_script(&h, dest);
    harness_destroy(&h);
}

/* virsh migrate --suspend, then virsh resume on the destination
 * (trace-mig11-gated.txt, h2 -> h1): the source switches over at its STOP
 * as always; the destination's migration ends paused (SUSPENDED/PAUSED,
 * not MIGRATED) and it activates only when the VM runs (QEMU's RESUME,
 * then RESUMED/UNPAUSED). */
static void
test_gated(void **state OVS_UNUSED)
{
    static const char *const source[] = {
        "qmp vm1 MIGRATION 1796326918.296701 setup",
        "qmp vm1 MIGRATION 1796326918.299665 active",
        "qmp vm1 STOP 1796326918.404078",
        "=> switchover vm1 stopped=1796326918.404078",
        "lifecycle vm1 SUSPENDED MIGRATED",
        "qmp vm1 MIGRATION 1796326918.405168 pre-switchover",
        "qmp vm1 MIGRATION 1796326918.408156 device",
        "qmp vm1 MIGRATION 1796326919.024922 completed",
        "lifecycle vm1 STOPPED MIGRATED",
        NULL,
    };
    static const char *const dest[] = {
        "qmp vm1 MIGRATION 1796326918.256961 setup",
        "lifecycle vm1 STARTED MIGRATED",
        "=> prepare vm1 h1",
        "qmp vm1 MIGRATION 1796326918.291327 active",
        "qmp vm1 MIGRATION 1796326919.024013 completed",
        "lifecycle vm1 SUSPENDED PAUSED",
        "time +2500",
        "qmp vm1 RESUME 1796326921.723785",
        "=> activate vm1",
        "=> complete vm1",
        "lifecycle vm1 RESUMED UNPAUSED",
        NULL,
    };
    /* Without QMP's RESUME (the lifecycle event alone) it is the same. */
    static const char *const dest_lifecycle_only[] = {
        "lifecycle vm1 STARTED MIGRATED",
        "=> prepare vm1 h1",
        "qmp vm1 MIGRATION 1796326919.024013 completed",
        "lifecycle vm1 SUSPENDED PAUSED",
        "lifecycle vm1 RESUMED UNPAUSED",
        "=> activate vm1",
        "=> complete vm1",
        NULL,
    };
    struct harness h;

    harness_init(&h, "h2");
    run_script(&h, source);
    harness_destroy(&h);

    harness_init(&h, "h1");
    run_script(&h, dest);
    harness_destroy(&h);

    harness_init(&h, "h1");
    run_script(&h, dest_lifecycle_only);
    harness_destroy(&h);
}

/* A switchover refused (then unanswered) is tried again, with the same
 * stop time, every retry interval, while the migration goes on and after
 * it completed; once confirmed, nothing more. */
static void
test_switchover_retried(void **state OVS_UNUSED)
{
    static const char *const script[] = {
        "qmp vm1 MIGRATION 1796326753.759388 setup",
        "qmp vm1 MIGRATION 1796326753.762403 active",
        "answer switchover refused destination host h2 not connected",
        "qmp vm1 STOP 1796326754.190056",
        "=> switchover vm1 stopped=1796326754.190056",
        "qmp vm1 MIGRATION 1796326754.191157 pre-switchover",
        "time +499",
        "answer switchover silent no answer within 10 s",
        "time +1",
        "=> switchover vm1 stopped=1796326754.190056",
        "qmp vm1 MIGRATION 1796326754.276504 completed",
        "time +500",
        "=> switchover vm1 stopped=1796326754.190056",
        "time +500",
        "lifecycle vm1 STOPPED MIGRATED",
        "time +5000",
        NULL,
    };
    struct harness h;

    harness_init(&h, "h1");
    run_script(&h, script);
    assert_int_equal(libvirt_follower_next_wake(h.f), LLONG_MAX);
    harness_destroy(&h);
}

/* Retries are bounded (3 in these tests): then the follower gives up and
 * says what to run; a migration that fails meanwhile stops the retries and
 * aborts. */
static void
test_switchover_bounded(void **state OVS_UNUSED)
{
    static const char *const give_up[] = {
        "qmp vm1 MIGRATION 1796326753.762403 active",
        "answer switchover refused no",
        "qmp vm1 STOP 1796326754.190056",
        "=> switchover vm1 stopped=1796326754.190056",
        "answer switchover refused no",
        "time +500",
        "=> switchover vm1 stopped=1796326754.190056",
        "answer switchover refused no",
        "time +500",
        "=> switchover vm1 stopped=1796326754.190056",
        "answer switchover refused no",
        "time +500",
        "=> switchover vm1 stopped=1796326754.190056",
        "time +500",
        "time +5000",
        /* The migration then fails: the network goes back to the VM. */
        "qmp vm1 MIGRATION 1796326755.000000 failed",
        "=> abort vm1",
        NULL,
    };
    static const char *const failed[] = {
        "qmp vm1 MIGRATION 1796326753.762403 active",
        "answer switchover refused no",
        "qmp vm1 STOP 1796326754.190056",
        "=> switchover vm1 stopped=1796326754.190056",
        "qmp vm1 MIGRATION 1796326754.300000 failed",
        "=> abort vm1",
        "time +5000",
        NULL,
    };
    struct harness h;

    harness_init(&h, "h1");
    run_script(&h, give_up);
    harness_destroy(&h);

    harness_init(&h, "h1");
    run_script(&h, failed);
    assert_int_equal(libvirt_follower_next_wake(h.f), LLONG_MAX);
    harness_destroy(&h);
}

/* The destination may resume before the source's switchover is confirmed
 * (two daemons, two hosts): cutoverd refuses activate ("busy: switchover
 * under way"), and it is tried again until it is confirmed. */
static void
test_activate_retried(void **state OVS_UNUSED)
{
    static const char *const script[] = {
        "lifecycle vm1 STARTED MIGRATED",
        "=> prepare vm1 h2",
        "answer activate refused migration of vm1 is busy: switchover "
        "under way",
        "qmp vm1 RESUME 1796326754.286150",
        "=> activate vm1",
        "lifecycle vm1 RESUMED MIGRATED",
        "time +500",
        "=> activate vm1",
        "=> complete vm1",
        "time +5000",
        NULL,
    };
    struct harness h;

    harness_init(&h, "h2");
    run_script(&h, script);
    harness_destroy(&h);
}

/* A domain without a port is looked up once and ignored: no call for its
 * migrations, either way; a domain whose port is named by its metadata is
 * followed under that name. */
static void
test_no_port(void **state OVS_UNUSED)
{
    static const char *const script[] = {
        "port plain -",
        "qmp plain MIGRATION 1796326753.759388 setup",
        "qmp plain MIGRATION 1796326753.762403 active",
        "qmp plain STOP 1796326754.190056",
        "lifecycle plain SUSPENDED MIGRATED",
        "qmp plain MIGRATION 1796326754.191157 pre-switchover",
        "qmp plain MIGRATION 1796326754.276504 cancelled",
        "qmp plain RESUME 1796326754.300000",
        "lifecycle plain STOPPED MIGRATED",
        "port other -",
        "lifecycle other STARTED MIGRATED",
        "qmp other RESUME 1796326754.300000",
        "lifecycle other RESUMED MIGRATED",
        "port named port-42",
        "lifecycle named STARTED MIGRATED",
        "=> prepare port-42 h2",
        NULL,
    };
    struct harness h;

    harness_init(&h, "h2");
    run_script(&h, script);
    /* plain once, other once (STARTED asks again, it was new), named
     * once. */
    assert_int_equal(h.n_lookups, 3);
    harness_destroy(&h);
}

/* The source is not confused by a pause or resume outside a migration,
 * and takes pre-switchover's time when no STOP was seen. */
static void
test_source_details(void **state OVS_UNUSED)
{
    static const char *const script[] = {
        "qmp vm1 STOP 1796326700.000000",
        "lifecycle vm1 SUSPENDED PAUSED",
        "qmp vm1 RESUME 1796326701.000000",
        "lifecycle vm1 RESUMED UNPAUSED",
        "qmp vm1 MIGRATION 1796326753.759388 setup",
        "qmp vm1 MIGRATION 1796326753.762403 active",
        "qmp vm1 MIGRATION 1796326754.191157 pre-switchover",
        "=> switchover vm1 stopped=1796326754.191157",
        "qmp vm1 STOP 1796326754.190056",
        "qmp vm1 MIGRATION 1796326754.276504 completed",
        /* The VM comes back later: a new incoming migration. */
        "lifecycle vm1 STOPPED MIGRATED",
        "qmp vm1 MIGRATION 1796326800.000000 setup",
        "lifecycle vm1 STARTED MIGRATED",
        "=> prepare vm1 h1",
        NULL,
    };
    struct harness h;

    harness_init(&h, "h1");
    run_script(&h, script);
    harness_destroy(&h);
}

/* The port from the domain's metadata or its XML. */
static void
test_domain_port(void **state OVS_UNUSED)
{
    static const char nova_xml[] =
        "<domain type='kvm' id='3'>\n"
        "  <name>instance-00000001</name>\n"
        "  <metadata>\n"
        "    <nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/"
        "nova/1.1\">\n"
        "      <nova:ports><nova:port uuid=\"x\"/></nova:ports>\n"
        "    </nova:instance>\n"
        "  </metadata>\n"
        "  <devices>\n"
        "    <interface type='ethernet'>\n"
        "      <target dev='tap0' managed='no'/>\n"
        "    </interface>\n"
        "    <interface type='bridge'>\n"
        "      <mac address='fa:16:3e:00:00:01'/>\n"
        "      <source bridge='br-int'/>\n"
        "      <virtualport type='openvswitch'>\n"
        "        <parameters interfaceid='4b6c8f3e-&amp;-x'/>\n"
        "      </virtualport>\n"
        "    </interface>\n"
        "    <interface type='bridge'>\n"
        "      <virtualport type='openvswitch'>\n"
        "        <parameters interfaceid='second'/>\n"
        "      </virtualport>\n"
        "    </interface>\n"
        "  </devices>\n"
        "</domain>\n";
    static const char no_ovs_xml[] =
        "<domain type='qemu'><name>vm1</name><devices>"
        "<interface type='ethernet'><target dev='vm1' managed='no'/>"
        "<model type='virtio'/></interface>"
        "<interface type='network'><virtualport type='802.1Qbh'>"
        "<parameters profileid='p'/></virtualport></interface>"
        "</devices></domain>";
    char *port;

    port = domain_port_from_xml(nova_xml);
    assert_string_equal(port, "4b6c8f3e-&-x");
    free(port);
    assert_null(domain_port_from_xml(no_ovs_xml));
    assert_null(domain_port_from_xml("<domain><name>x</name></domain>"));
    /* An interfaceid that cannot be a port name. */
    assert_null(domain_port_from_xml(
        "<domain><devices><interface type='bridge'>"
        "<virtualport type=\"openvswitch\"><parameters interfaceid='a b'/>"
        "</virtualport></interface></devices></domain>"));
    /* Not well-formed, or an entity outside the document: no port, and
     * no file read. */
    assert_null(domain_port_from_xml("<domain><devices><interface>"));
    assert_null(domain_port_from_xml(
        "<!DOCTYPE domain [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>"
        "<domain><devices><interface type='bridge'>"
        "<virtualport type='openvswitch'><parameters interfaceid='&x;'/>"
        "</virtualport></interface></devices></domain>"));

    port = domain_port_from_metadata(
        "<cutover:port xmlns:cutover=\"" DOMAIN_PORT_NS "\">vm1"
        "</cutover:port>");
    assert_string_equal(port, "vm1");
    free(port);
    port = domain_port_from_metadata(
        "<port xmlns=\"" DOMAIN_PORT_NS "\">\n  web&#45;1\n</port>\n");
    assert_string_equal(port, "web-1");
    free(port);
    assert_null(domain_port_from_metadata(
        "<port xmlns=\"" DOMAIN_PORT_NS "\"/>"));
    assert_null(domain_port_from_metadata(
        "<port xmlns=\"" DOMAIN_PORT_NS "\">  </port>"));
    assert_null(domain_port_from_metadata(
        "<port xmlns=\"" DOMAIN_PORT_NS "\">two words</port>"));
    assert_null(domain_port_from_metadata(
        "<port xmlns=\"" DOMAIN_PORT_NS "\">&nbsp;x</port>"));
    /* As libvirt 9.0 gives it: without the namespace. */
    port = domain_port_from_metadata("<port>vm1</port>");
    assert_string_equal(port, "vm1");
    free(port);
    assert_null(domain_port_from_metadata("<port>vm1"));
}

/* What libvirt/show says. */
static void
test_format(void **state OVS_UNUSED)
{
    static const char *const script[] = {
        "port plain -",
        "lifecycle plain STARTED BOOTED",
        "qmp vm1 MIGRATION 1796326753.762403 active",
        "answer switchover silent no answer",
        "qmp vm1 STOP 1796326754.190056",
        "=> switchover vm1 stopped=1796326754.190056",
        NULL,
    };
    struct harness h;
    struct ds s = DS_EMPTY_INITIALIZER;

    harness_init(&h, "h1");
    run_script(&h, script);
    libvirt_follower_format(h.f, &s);
    assert_string_equal(ds_cstr(&s),
                        "plain: no port (ignored)\n"
                        "vm1: port vm1, switching over, migration active, "
                        "stopped 1796326754.190056, 1 failed tries, "
                        "retry pending\n");
    ds_destroy(&s);
    assert_int_equal(libvirt_follower_next_wake(h.f), h.now + 500);
    harness_destroy(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migration_source),
        cmocka_unit_test(test_migration_dest),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_gated),
        cmocka_unit_test(test_switchover_retried),
        cmocka_unit_test(test_switchover_bounded),
        cmocka_unit_test(test_activate_retried),
        cmocka_unit_test(test_no_port),
        cmocka_unit_test(test_source_details),
        cmocka_unit_test(test_domain_port),
        cmocka_unit_test(test_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
