/* cutover-hook's QEMU follower: drives a port's cutover from the QMP events
 * of a migrating VM's two QEMUs.
 *
 * It sets the source's migration capabilities 'events' and
 * 'pause-before-switchover', then follows the source's MIGRATION events
 * and the destination's RESUME event:
 *
 *   source pre-switchover (VM paused)  -> migration/switchover, and once
 *                                         confirmed migrate-continue
 *   destination RESUME (VM runs on D)  -> migration/activate, then
 *                                         migration/complete
 *   source failed or cancelled         -> migration/abort
 *
 * A switchover the controller refuses, or does not confirm within the
 * timeout, cancels the migration (migrate_cancel) and aborts the cutover,
 * so the VM goes on running on the source with its network.
 *
 * Every wait is bounded (docs/hook.md, "Bounds"): the switchover's answer
 * by 'switchover_timeout_ms' (or 'timeout_ms'), the destination's RESUME
 * after migrate-continue by 'resume_timeout_ms', every QMP answer and every
 * QMP message once begun by 'timeout_ms'.  When a bound passes after the
 * switchover, or a QEMU refuses migrate-continue or stops being followable,
 * the follower asks the QEMUs where the VM runs (query-status,
 * query-migrate; a monitor that misbehaved is reconnected once to ask) and
 * leaves the network there: activate and complete for the destination,
 * abort for the source, after cancelling a migration that is stuck.  Every
 * step and decision is logged with a timestamp. */

#ifndef QMP_FOLLOWER_H
#define QMP_FOLLOWER_H 1

#include <stdbool.h>

#include "hook-exit.h"

struct migration_client;

/* Default bound on the wait for RESUME after migrate-continue. */
#define HOOK_DEFAULT_RESUME_TIMEOUT_S 30

struct qmp_follower_options {
    const char *source;         /* QMP socket of the source QEMU. */
    const char *dest;           /* QMP socket of the destination QEMU. */
    const char *port;           /* The port (Port.name) of the VM. */
    const char *to;             /* Host for migration/prepare, or NULL. */
    unsigned int prepare_pass;  /* With 'to': prepare once the source's
                                 * MIGRATION_PASS event reaches this pass
                                 * (or at pre-switchover, whichever comes
                                 * first), so that the hold's copies cost
                                 * only the migration's last passes; 0:
                                 * prepare before following. */
    long long int timeout_ms;   /* For each call and QMP command. */
    long long int switchover_timeout_ms; /* Passed to the controller as the
                                 * switchover's timeout=MS, and its answer
                                 * awaited MS + HOOK_SWITCHOVER_SLACK_MS;
                                 * 0: the controller's default, awaited
                                 * 'timeout_ms'. */
    long long int resume_timeout_ms; /* Longest wait for the destination's
                                 * RESUME after migrate-continue. */
    bool ungated;               /* migrate-continue at pre-switchover at
                                 * once, the switchover meanwhile. */
};

/* Follows one migration to its end and returns a HOOK_EXIT_* status, after
 * printing the outcome (on stdout when it is HOOK_EXIT_OK, on stderr
 * otherwise). */
int qmp_follower_run(const struct qmp_follower_options *,
                     struct migration_client *);

#endif /* qmp-follower.h */
