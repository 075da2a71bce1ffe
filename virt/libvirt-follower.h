/* cutover-libvirt's decisions: which step of the cutover protocol to call
 * on cutoverd for each event of a libvirt domain (docs/hook.md, "libvirt-
 * based stacks", the ungated mode).
 *
 * Pure code: events and the answers to the calls go in, the calls to make
 * come out, and the caller's clock is passed in.  Nothing here talks to
 * libvirt or to cutoverd, so every sequence of events can be tested without
 * either (tests/unit/test-libvirt-follower.c).
 *
 * One record per domain seen, keyed by its name, with the port it is
 * (from its XML: the caller looks it up when libvirt_follower_wants_port()
 * says so) and where its migration is:
 *
 *   source       QMP MIGRATION setup/active       -> outgoing
 *                QMP STOP while outgoing (active
 *                or pre-switchover seen), or QMP
 *                MIGRATION pre-switchover          -> migration/switchover
 *                                                     PORT stopped=S.US
 *                QMP MIGRATION failed, cancelled   -> migration/abort PORT
 *   destination  lifecycle STARTED/MIGRATED        -> migration/prepare PORT
 *                                                     HOST
 *                QMP RESUME, lifecycle RESUMED     -> migration/activate PORT,
 *                (MIGRATED, or UNPAUSED after a       once confirmed
 *                migration that ended paused)         migration/complete PORT
 *                lifecycle STOPPED before it ran   -> migration/abort PORT
 *
 * libvirt sends migrate-continue itself a few ms after pre-switchover, so
 * nothing here can hold the VM's pause: the switchover runs beside the end
 * of the migration (ungated), which loses nothing where the destination
 * holds (docs/hold.md).  A switchover or activate that is refused or not
 * answered is tried again, every 'retry_interval_ms', at most 'max_retries'
 * more times, until the migration fails; after that the log says what to
 * run. */

#ifndef LIBVIRT_FOLLOWER_H
#define LIBVIRT_FOLLOWER_H 1

#include <stdbool.h>
#include <stddef.h>

struct ds;

/* What happened to a domain: libvirt's lifecycle events (event and detail
 * folded into one) and the QEMU monitor events the follower uses. */
enum lvf_event_type {
    LVF_EV_STARTED_MIGRATED,    /* An incoming migration began here. */
    LVF_EV_STARTED,             /* Any other start (boot, restore...). */
    LVF_EV_SUSPENDED_MIGRATED,  /* Paused for the end of a migration. */
    LVF_EV_SUSPENDED,           /* Any other pause (an incoming migration
                                 * that ends paused, VIR_MIGRATE_PAUSED). */
    LVF_EV_RESUMED_MIGRATED,    /* Running after a migration. */
    LVF_EV_RESUMED,             /* Any other resume (virsh resume). */
    LVF_EV_STOPPED_MIGRATED,    /* Gone after migrating away. */
    LVF_EV_STOPPED_FAILED,      /* Gone: its incoming migration failed. */
    LVF_EV_STOPPED,             /* Gone otherwise (shut down, destroyed). */
    LVF_EV_UNDEFINED,           /* Its definition removed. */
    LVF_EV_QMP_STOP,            /* QEMU's STOP: the VM stopped running. */
    LVF_EV_QMP_RESUME,          /* QEMU's RESUME: the VM runs. */
    LVF_EV_QMP_MIGRATION,       /* QEMU's MIGRATION, with a status. */
    N_LVF_EV
};

/* The status of a QEMU MIGRATION event (QEMU's MigrationStatus). */
enum lvf_mig_status {
    LVF_MIG_NONE,               /* Not a MIGRATION event, or not seen. */
    LVF_MIG_SETUP,
    LVF_MIG_ACTIVE,
    LVF_MIG_PRE_SWITCHOVER,
    LVF_MIG_DEVICE,
    LVF_MIG_COMPLETED,
    LVF_MIG_FAILED,
    LVF_MIG_CANCELLING,
    LVF_MIG_CANCELLED,
    LVF_MIG_OTHER,              /* Any other (postcopy, wait-unplug...). */
    N_LVF_MIG
};

struct lvf_event {
    enum lvf_event_type type;
    const char *domain;         /* The domain's name. */
    long long int qemu_us;      /* QMP events: QEMU's own timestamp, in us
                                 * of the host's wall clock; else 0. */
    enum lvf_mig_status status; /* LVF_EV_QMP_MIGRATION: its status. */
    const char *port;           /* The domain's port, when the caller looked
                                 * it up for this event (see
                                 * libvirt_follower_wants_port()), NULL if
                                 * it has none; ignored otherwise. */
};

const char *lvf_event_type_name(enum lvf_event_type);
const char *lvf_mig_status_name(enum lvf_mig_status);
/* QEMU's name of a MIGRATION status ("pre-switchover"), LVF_MIG_OTHER if
 * it is none of the above. */
enum lvf_mig_status lvf_mig_status_from_string(const char *);

/* The steps of the cutover protocol, named as cutoverd's methods are
 * (migration/NAME). */
enum lvf_step {
    LVF_PREPARE,
    LVF_SWITCHOVER,
    LVF_ACTIVATE,
    LVF_COMPLETE,
    LVF_ABORT,
    N_LVF_STEPS
};
const char *lvf_step_name(enum lvf_step);

/* A call to make on cutoverd: migration/STEP PORT [HOST] [stopped=S.US]. */
struct lvf_call {
    enum lvf_step step;
    char *domain;
    char *port;
    char *host;                 /* LVF_PREPARE: this host, else NULL. */
    long long int stopped_us;   /* LVF_SWITCHOVER: when the VM stopped
                                 * (QEMU's clock, us), 0 if unknown. */
};

/* Calls, in the order they are to be made. */
struct lvf_calls {
    struct lvf_call *calls;
    size_t n, allocated;
};

void lvf_calls_init(struct lvf_calls *);
void lvf_calls_clear(struct lvf_calls *);
void lvf_calls_destroy(struct lvf_calls *);

/* The parameters of a call as cutoverd takes them ("vm1", "h2";
 * "vm1", "stopped=1796326754.190056"): fills 'params' (room for 2) with
 * strings that stay valid while 'call' and '*bufp' (to free) do, and
 * returns how many. */
size_t lvf_call_params(const struct lvf_call *, const char *params[2],
                       char **bufp);

/* How cutoverd answered a call. */
enum lvf_outcome {
    LVF_CONFIRMED,              /* Done (or already done). */
    LVF_REFUSED,                /* It answered with an error. */
    LVF_UNANSWERED,             /* No answer (unreachable, timed out): the
                                 * step may or may not have happened. */
};

/* Defaults of the bounds on retries. */
#define LVF_DEFAULT_MAX_RETRIES 10
#define LVF_DEFAULT_RETRY_INTERVAL_MS 500

struct libvirt_follower_config {
    const char *host;           /* This host's name (Host.name). */
    unsigned int max_retries;   /* Retries of a switchover or activate. */
    long long int retry_interval_ms;
};

struct libvirt_follower;

struct libvirt_follower *libvirt_follower_create(
    const struct libvirt_follower_config *);
void libvirt_follower_destroy(struct libvirt_follower *);

/* Whether the caller should look up the port of 'ev''s domain and pass it
 * in 'ev->port' (the domain is new, or started again and may have a new
 * definition).  For events that cannot begin a migration of an unknown
 * domain (it stopped, it was undefined) it says no: the domain may be gone
 * already, and nothing is to be done for it. */
bool libvirt_follower_wants_port(const struct libvirt_follower *,
                                 const struct lvf_event *);

/* Takes 'ev' at time 'now' (ms, any monotonic clock) and appends the calls
 * it requires to 'calls'. */
void libvirt_follower_event(struct libvirt_follower *,
                            const struct lvf_event *, long long int now,
                            struct lvf_calls *);

/* Takes cutoverd's answer to 'call' (one the follower asked for; 'text' is
 * its reply, its error or what happened) and appends the calls that follow
 * from it (complete after a confirmed activate). */
void libvirt_follower_call_done(struct libvirt_follower *,
                                const struct lvf_call *, enum lvf_outcome,
                                const char *text, long long int now,
                                struct lvf_calls *);

/* Appends the retries due at 'now'. */
void libvirt_follower_run(struct libvirt_follower *, long long int now,
                          struct lvf_calls *);

/* When libvirt_follower_run() next has something to do, LLONG_MAX if
 * never. */
long long int libvirt_follower_next_wake(const struct libvirt_follower *);

/* Describes every domain followed, one per line, sorted by name. */
void libvirt_follower_format(const struct libvirt_follower *, struct ds *);

#endif /* libvirt-follower.h */
