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
 * so the VM goes on running on the source with its network.  Every step is
 * logged with a timestamp. */

#ifndef QMP_FOLLOWER_H
#define QMP_FOLLOWER_H 1

struct migration_client;

/* cutover-hook's exit statuses. */
#define HOOK_EXIT_OK 0          /* Done: the controller confirmed. */
#define HOOK_EXIT_REFUSED 1     /* The controller refused, or the
                                 * migration failed and was rolled back. */
#define HOOK_EXIT_USAGE 2       /* Bad command line. */
#define HOOK_EXIT_UNREACHABLE 3 /* The controller did not answer. */
#define HOOK_EXIT_VMM 4         /* A QEMU could not be followed. */

struct qmp_follower_options {
    const char *source;         /* QMP socket of the source QEMU. */
    const char *dest;           /* QMP socket of the destination QEMU. */
    const char *port;           /* The port (Port.name) of the VM. */
    const char *to;             /* Host for migration/prepare, or NULL. */
    long long int timeout_ms;   /* For each call and QMP command. */
};

/* Follows one migration to its end and returns a HOOK_EXIT_* status, after
 * printing the outcome (on stdout when it is HOOK_EXIT_OK, on stderr
 * otherwise). */
int qmp_follower_run(const struct qmp_follower_options *,
                     struct migration_client *);

#endif /* qmp-follower.h */
