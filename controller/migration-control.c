/* The migration engine's control commands.  See migration-private.h.
 *
 * A handler checks the request against the engine's tables and the model
 * and either answers at once (refused, or already done) or queues the step
 * on its migration and wakes the loop: migration_engine_run() starts it and
 * answers when it is done.  Nothing here sends anything to a switch or to
 * the database. */

#include <config.h>
#include "migration-private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "hostctl.h"
#include "model.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "provision.h"
#include "timing.h"
#include "util.h"

/* Longest switchover timeout a request may ask for. */
#define MAX_SWITCHOVER_TIMEOUT_MS 60000

/* Parses the switchover's options "timeout=MS" and "stopped=S.US" in the
 * 'n' strings 'args' into 'm'.  Returns NULL, or an error (to free) naming
 * the option that is wrong and what was expected. */
static char *
parse_switchover_options(const char *args[], int n,
                         unsigned int *timeout_ms, int64_t *stopped_us)
{
    for (int i = 0; i < n; i++) {
        const char *arg = args[i];
        const char *eq = strchr(arg, '=');
        const char *value = eq ? eq + 1 : "";
        unsigned int ms;

        if (eq && !strncmp(arg, "timeout", eq - arg) && eq - arg == 7) {
            if (!str_to_uint(value, 10, &ms) || !ms
                || ms > MAX_SWITCHOVER_TIMEOUT_MS) {
                return xasprintf("timeout=%.32s: expected milliseconds, 1 "
                                 "to %d", value, MAX_SWITCHOVER_TIMEOUT_MS);
            }
            *timeout_ms = ms;
        } else if (eq && !strncmp(arg, "stopped", eq - arg)
                   && eq - arg == 7) {
            if (timing_parse_stamp(value, stopped_us)) {
                return xasprintf("stopped=%.32s: expected the time the VM "
                                 "stopped as SECONDS.MICROSECONDS since the "
                                 "epoch (QEMU's STOP event timestamp)",
                                 value);
            }
        } else {
            return xasprintf("unknown option \"%.32s%s\" (expected "
                             "timeout=MS or stopped=SECONDS.MICROSECONDS)",
                             arg, strlen(arg) > 32 ? "..." : "");
        }
    }
    return NULL;
}

/* Checks a prepare of 'port' to host 'dst'.  Returns NULL, or why it is
 * refused (to free). */
static char *
check_prepare(const struct migration_engine *me, const struct model_port *p,
              const char *dst)
{
    const struct hostctl *d = migration_host(me, dst);

    if (!model_find_host(me->model, dst)) {
        return xasprintf("unknown host %s", dst);
    }
    if (!p->active) {
        return xasprintf("port %s has no home host to migrate from",
                         p->name);
    }
    if (!d || !hostctl_is_connected(d)) {
        return xasprintf("destination host %s not connected", dst);
    }
    if (!strcmp(p->active->name, dst)
        && !hostctl_incoming_ofport(d, p->name)) {
        /* A local migration needs the new VMM's interface now: without it
         * the switchover would be refused while the VM is paused. */
        return xasprintf("%s is already on host %s, which has no incoming "
                         "interface for it (an interface with "
                         "external_ids:iface-id=%s and %s=true): nothing to "
                         "migrate to", p->name, dst, p->name,
                         PROVISION_INCOMING_KEY);
    }
    return NULL;
}

static void
migration_cmd(struct control_req *req, int argc, const char *argv[],
              enum mig_cmd cmd, struct migration_engine *me)
{
    const struct mig_cmd_info *ci = &mig_commands[cmd];
    const char *port = argv[1];
    const struct model_port *p = model_find_port(me->model, port);
    struct migration *m = migration_find(me, port);
    unsigned int timeout_ms = me->cfg.switchover_timeout_ms;
    int64_t stopped_us = 0;
    bool hold_off = false;
    char *error;

    if (!me->active) {
        control_reply(req, false, MIGRATION_STANDBY_ERROR);
        return;
    }
    if (!p) {
        control_reply_format(req, false, "unknown port %s", port);
        return;
    }
    if (cmd == CMD_PREPARE && argc > 3) {
        if (!strcmp(argv[3], "hold=off")) {
            hold_off = true;
        } else if (strcmp(argv[3], "hold=on")) {
            control_reply_format(req, false, "prepare %s: unknown option "
                                 "\"%.32s%s\" (expected hold=on or "
                                 "hold=off)", port, argv[3],
                                 strlen(argv[3]) > 32 ? "..." : "");
            return;
        }
    }
    if (cmd == CMD_SWITCHOVER) {
        error = parse_switchover_options(argv + 2, argc - 2, &timeout_ms,
                                         &stopped_us);
        if (error) {
            control_reply_format(req, false, "switchover %s: %s", port,
                                 error);
            free(error);
            return;
        }
    }
    if (m && m->busy && cmd != CMD_ABORT) {
        control_reply_format(req, false, "migration of %s is busy: %s "
                             "under way", port, mig_commands[m->cmd].name);
        return;
    }
    if (cmd == CMD_PREPARE) {
        const char *dst = argv[2];

        if (m && !mig_states[m->state].final) {
            if (m->state == MS_PREPARED && !strcmp(m->dst, dst)) {
                control_reply_format(req, true, "%s already prepared on %s",
                                     port, dst);
            } else {
                control_reply_format(req, false, "port %s already migrating "
                                     "to %s (%s)", port, m->dst,
                                     mig_states[m->state].name);
            }
            return;
        }
        error = check_prepare(me, p, dst);
        if (error) {
            control_reply(req, false, error);
            free(error);
            return;
        }
        if (m) {
            migration_free(me, m);
        }
        m = migration_create(me, port, p->active->name, dst);
        m->hold_off = hold_off;
        uuid_generate(&m->uuid);
    } else if (!m) {
        control_reply_format(req, false, "port %s is not migrating", port);
        return;
    } else if (m->recovering) {
        control_reply_format(req, false, "migration of %s is being "
                             "recovered (waiting for %s's flows): try "
                             "again", port, m->dst);
        return;
    }

    if (ci->done & MIG_BIT(m->state) && !m->busy) {
        control_reply_format(req, true, "%s already %s", port,
                             mig_states[m->state].name);
        return;
    }
    if (cmd != CMD_PREPARE && !(ci->from & MIG_BIT(m->state))) {
        control_reply_format(req, false, "cannot %s %s: its migration to "
                             "%s is %s", ci->name, port, m->dst,
                             mig_states[m->state].name);
        return;
    }
    if (m->busy) {
        /* Abort takes over: the step it replaces is answered by the next
         * run, not from here. */
        m->superseded = m->req;
    }
    m->cmd = cmd;
    m->req = req;
    m->busy = true;
    m->queued = true;
    if (cmd == CMD_SWITCHOVER) {
        m->switchover_timeout_ms = timeout_ms;
        m->stopped_us = stopped_us;
    }
    poll_immediate_wake();
}

#define MIGRATION_CMD_CB(CMD)                                           \
    static void                                                         \
    CMD##_cb(struct control_req *req, int argc, const char *argv[],     \
             void *aux)                                                 \
    {                                                                   \
        migration_cmd(req, argc, argv, CMD, aux);                       \
    }
MIGRATION_CMD_CB(CMD_PREPARE)
MIGRATION_CMD_CB(CMD_SWITCHOVER)
MIGRATION_CMD_CB(CMD_ACTIVATE)
MIGRATION_CMD_CB(CMD_COMPLETE)
MIGRATION_CMD_CB(CMD_ABORT)

static void
format_migration(const struct migration_engine *me,
                 const struct migration *m, struct ds *s)
{
    ds_put_format(s, "%s: %s -> %s, %s", m->port, m->src, m->dst,
                  mig_states[m->state].name);
    if (m->busy) {
        ds_put_format(s, " (%s %s)", mig_commands[m->cmd].name,
                      m->queued ? "queued" : "under way");
    }
    if (m->recovering) {
        ds_put_format(s, " (recovering: waiting for %s's flows)", m->dst);
    }
    ds_put_format(s, ", recorded %s\n",
                  m->recorded == N_MS ? "nothing yet"
                  : mig_states[m->recorded].name);
    for (int i = 0; i < N_CMD; i++) {
        if (m->step_us[i]) {
            ds_put_format(s, "  %s: %"PRIu64" us", mig_commands[i].name,
                          m->step_us[i]);
            if (i == CMD_SWITCHOVER) {
                ds_put_format(s, " (%s confirmed in %"PRIu64" us, %s in %"
                              PRIu64" us; timeout %u ms)", m->src,
                              m->switch_src_us, m->dst, m->switch_dst_us,
                              m->switchover_timeout_ms);
            }
            ds_put_char(s, '\n');
        }
    }
    if (m->stopped_us && m->switched_us) {
        ds_put_format(s, "  the VM stopped %"PRId64" us before both "
                      "switches confirmed\n",
                      m->switched_us - m->stopped_us);
    }
    if (m->n_remotes) {
        ds_put_format(s, "  remote hosts: %"PRIuSIZE" of %"PRIuSIZE
                      " confirmed\n", migration_remotes_confirmed(me, m),
                      m->n_remotes);
    }
    migration_hold_format(m, s);
    if (m->claim_result) {
        ds_put_format(s, "  claim: %s\n", m->claim_result);
    }
    if (m->announce_result) {
        ds_put_format(s, "  announcements: %s\n", m->announce_result);
    }
    if (m->error) {
        ds_put_format(s, "  error: %s\n", m->error);
    }
}

static void
show_cb(struct control_req *req, int argc, const char *argv[], void *me_)
{
    struct migration_engine *me = me_;
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct migration *m;

    if (!me->active) {
        control_reply(req, false, MIGRATION_STANDBY_ERROR);
        return;
    }
    if (argc > 1) {
        m = migration_find(me, argv[1]);
        if (!m) {
            control_reply_format(req, false, "%s %s",
                                 model_find_port(me->model, argv[1])
                                 ? "no migration of port" : "unknown port",
                                 argv[1]);
            return;
        }
        format_migration(me, m, &s);
    } else {
        HMAP_FOR_EACH (m, node, &me->migrations) {
            format_migration(me, m, &s);
        }
        if (!s.length) {
            ds_put_cstr(&s, "no migrations\n");
        }
    }
    control_reply(req, true, ds_cstr(&s));
    ds_destroy(&s);
}

void
migration_control_register(struct migration_engine *me)
{
    control_register("migration/prepare", "PORT HOST [hold=on|off]", 2, 3,
                     CMD_PREPARE_cb, me);
    control_register("migration/switchover",
                     "PORT [timeout=MS] [stopped=SECONDS.MICROSECONDS]",
                     1, 3, CMD_SWITCHOVER_cb, me);
    control_register("migration/activate", "PORT", 1, 1,
                     CMD_ACTIVATE_cb, me);
    control_register("migration/complete", "PORT", 1, 1,
                     CMD_COMPLETE_cb, me);
    control_register("migration/abort", "PORT", 1, 1, CMD_ABORT_cb, me);
    control_register("migration/show", "[PORT]", 0, 1, show_cb, me);
}
