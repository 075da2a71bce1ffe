/* The migration engine's insides, shared by its three files and its unit
 * test (tests/unit/test-migration.c); nothing else includes this.
 *
 *   migration.c          the state machine: the 'states' and 'commands'
 *                        tables, each step's start and progress, placement;
 *   migration-control.c  the control commands (migration/...): checks a
 *                        request against the tables and queues it; answers
 *                        migration/show;
 *   migration-hold.c     the port's hold on the destination's DPDK daemon
 *                        (docs/hold.md): starts, replays, releases and
 *                        stops it, and says which hold phase the flows
 *                        carry;
 *   migration-record.c   the Migration rows of the northbound database:
 *                        records each state, reads unfinished migrations
 *                        back after a restart, keeps each port's history
 *                        short, and writes Port.status.
 *
 * A control command never runs a step: it queues it on its migration
 * ('queued') and wakes the loop.  migration_engine_run() starts queued steps
 * and carries on the others, handing the hosts' installers the flows they
 * must have (hostctl_update_port(), which sends nothing), and the daemon's
 * loop sends them all afterwards (hostctl_flush()).  So no handler does I/O
 * towards a switch, and none runs while another is iterating. */

#ifndef MIGRATION_PRIVATE_H
#define MIGRATION_PRIVATE_H 1

#include <stdbool.h>
#include <stdint.h>

#include "migration.h"
#include "model.h"
#include "openvswitch/compiler.h"
#include "openvswitch/hmap.h"
#include "svec.h"
#include "uuid.h"

struct control_req;
struct ds;
struct hostctl;
struct model;
struct model_port;
struct ovsdb_idl;
struct ovsdb_idl_txn;
struct shash;

/* Where a migrating port lives. */
enum placement {
    AT_SOURCE,                  /* Active at the source, standby at the
                                 * destination. */
    AT_DEST,                    /* Active at the destination, standby (and
                                 * forwarding) at the source. */
    SOURCE_ONLY,                /* Back at the source (aborted). */
    DEST_ONLY,                  /* Moved for good (complete). */
};

enum mig_state {
    MS_PREPARING,
    MS_PREPARED,
    MS_SWITCHING,
    MS_SWITCHED,
    MS_ACTIVE,
    MS_COMPLETING,
    MS_COMPLETE,
    MS_ABORTING,
    MS_ABORTED,
    MS_FAILED,
    N_MS
};

#define MIG_BIT(STATE) (1u << (STATE))

struct mig_state_info {
    const char *name;           /* As the schema's Migration.state. */
    enum placement placement;
    bool final;
};
extern const struct mig_state_info mig_states[N_MS];

/* Returns the state named 's', or N_MS. */
enum mig_state mig_state_from_string(const char *s);

enum mig_cmd {
    CMD_PREPARE,
    CMD_SWITCHOVER,
    CMD_ACTIVATE,
    CMD_COMPLETE,
    CMD_ABORT,
    N_CMD
};

struct migration;
struct migration_engine;

struct mig_cmd_info {
    const char *name;           /* migration/NAME. */
    uint32_t from;              /* States it may start from. */
    uint32_t done;              /* States in which it is already done. */
    void (*start)(struct migration_engine *, struct migration *);
};
extern const struct mig_cmd_info mig_commands[N_CMD];

/* A migration's hold on its destination's DPDK daemon (migration-hold.c,
 * docs/hold.md). */
enum mig_hold {
    MH_NONE,                    /* None: not wanted, not possible, stopped
                                 * or lost ('hold_result' says which). */
    MH_RECOVER,                 /* Recorded before a restart: to be asked
                                 * for again (hold/start is idempotent). */
    MH_STARTING,                /* hold/start sent. */
    MH_HOLDING,                 /* The daemon holds. */
    MH_REPLAYING,               /* hold/replay sent (activate). */
    MH_PASSING,                 /* Replayed: the daemon passes what still
                                 * comes on to the VM. */
    MH_RELEASING,               /* hold/release sent (abort). */
    MH_RELEASED,                /* Released and stopped. */
};

/* A remote host's confirmation of the port's new location. */
struct remote {
    char *host;
    uint64_t seqno;             /* 0: not sent (the host was not ready). */
};

struct migration {
    struct hmap_node node;      /* In engine's 'migrations', by port. */
    char *port, *src, *dst;
    struct uuid uuid;           /* Its Migration row. */
    enum mig_state state;

    /* The database. */
    enum mig_state recorded;    /* State committed, N_MS if none yet. */
    bool row_exists;
    char *error;                /* Last failure, for the record. */
    int64_t stamps[N_MS];       /* Wall clock ms each state began, or 0. */

    /* The step asked for or under way. */
    enum mig_cmd cmd;           /* Valid while 'busy'. */
    bool busy;                  /* A step is queued or under way. */
    bool queued;                /* ...queued: not started yet. */
    struct control_req *req;    /* Waiting for an answer, or NULL. */
    struct control_req *superseded; /* A request abort took over from,
                                     * answered by the next run. */
    long long int deadline;     /* msec. */
    uint64_t start_ns;
    uint64_t src_seqno, dst_seqno;   /* 0: nothing sent to that host. */
    uint64_t src_done_ns, dst_done_ns;
    bool sent;                  /* This step's flows were handed over. */
    bool switched_pending;      /* A confirmed switchover's work off the
                                 * critical path is still to do:
                                 * migration_engine_run_after(). */
    uint64_t fire_token;
    long long int grace_until;  /* msec, 0: remotes not all confirmed. */
    bool recovering;            /* Restarted in an ambiguous state. */
    bool reclaim;               /* Abort: the source claims the MACs back
                                 * once both hosts confirmed. */

    /* The switchover's options (migration/switchover PORT [timeout=MS]
     * [stopped=S.US]). */
    unsigned int switchover_timeout_ms;
    int64_t stopped_us;         /* When the VMM stopped the VM, wall clock
                                 * microseconds, 0 if not said. */

    struct remote *remotes;
    size_t n_remotes;

    /* Its hold on the destination (migration-hold.c). */
    bool hold_off;              /* migration/prepare ... hold=off. */
    bool hold_decided;          /* Whether to hold was decided. */
    enum mig_hold hold;
    uint16_t hold_id;           /* The hold tag's VLAN id, 0 if none. */
    bool hold_switched;         /* It held after a switchover: an abort
                                 * releases it toward the source. */
    uint64_t hold_token;        /* The daemon's answer awaited, or 0. */
    long long int hold_deadline; /* msec, for that answer. */
    unsigned int hold_session;  /* The daemon's session it was made on. */
    char *hold_result;          /* For migration/show. */

    /* Figures for migration/show. */
    uint64_t step_us[N_CMD];
    uint64_t switch_src_us, switch_dst_us;
    int64_t switched_us;        /* Wall clock when both barriers were in. */
    char *announce_result;
    char *claim_result;

    /* What the destination's agent knows the port's frames by (the port's
     * name, then "eip:ADDR" for each elastic IP), once registered. */
    struct svec announced;
};

/* The transaction recording states, if one is being committed, and what
 * it records (migration-record.c). */
struct migration_recorder {
    struct ovsdb_idl_txn *txn;
    struct migration **migs;
    enum mig_state *states;
    size_t n;
    bool status_dirty;          /* Port.status may be stale. */
    int64_t hv_cfg;             /* NB_Global.hv_cfg to write, or -1. */
};

struct migration_engine {
    struct ovsdb_idl *idl;
    const struct shash *hosts;  /* Host name -> struct hostctl. */
    struct model *model;
    struct migration_config cfg;
    struct hmap migrations;
    bool active;                /* migration_engine_set_active(). */
    bool loaded;
    struct migration_recorder rec;
};

/* Why a standby refuses migration commands. */
#define MIGRATION_STANDBY_ERROR \
    "this cutoverd is a standby (another holds the northbound database's " \
    "lock): ask the active controller"

/* migration.c. */
struct migration *migration_find(const struct migration_engine *,
                                 const char *port);
struct migration *migration_create(struct migration_engine *,
                                   const char *port, const char *src,
                                   const char *dst);
void migration_free(struct migration_engine *, struct migration *);
void migration_answer(struct migration *, bool ok, const char *format, ...)
    OVS_PRINTF_FORMAT(3, 4);
struct hostctl *migration_host(const struct migration_engine *,
                               const char *name);
size_t migration_remotes_confirmed(const struct migration_engine *,
                                   const struct migration *);
bool migration_is_local(const struct migration *);

/* migration-hold.c.  Each returns at once: a call to the daemon is
 * answered on a later run. */
enum model_hold_phase migration_hold_phase(const struct migration *);
bool migration_hold_prepare(struct migration_engine *, struct migration *);
void migration_hold_arm(struct migration_engine *, struct migration *);
bool migration_hold_replay(struct migration_engine *, struct migration *);
bool migration_hold_replayed(struct migration_engine *, struct migration *);
void migration_hold_abort(struct migration_engine *, struct migration *,
                          bool was_switched);
bool migration_hold_released(struct migration_engine *, struct migration *);
void migration_hold_stop(struct migration_engine *, struct migration *,
                         const char *why);
void migration_hold_run(struct migration_engine *, struct migration *,
                        bool *changed);
void migration_hold_format(const struct migration *, struct ds *);

/* migration-control.c. */
void migration_control_register(struct migration_engine *);

/* migration-record.c.  The recorder never blocks: it commits one
 * transaction at a time and wakes the loop when it is done. */
void migration_record_init(struct migration_engine *);
void migration_record_run(struct migration_engine *);
void migration_record_wait(struct migration_engine *);
void migration_record_forget(struct migration_engine *, struct migration *);
void migration_record_destroy(struct migration_engine *);
/* Creates a migration for each unfinished Migration row, in the state it
 * was recorded in. */
void migration_record_load(struct migration_engine *);

#endif /* migration-private.h */
