/* The migration engine: the live-migration switchover of ports between
 * hosts (docs/migration.md).
 *
 * A migration of a port from its source S (its home) to a destination D
 * goes through prepare, switchover, activate and complete, or abort; the
 * VMM hook (cutover-hook) or an operator calls each step through the
 * control API (controller/control.h): migration/prepare PORT HOST,
 * migration/switchover PORT [timeout=MS] [stopped=S.US],
 * migration/activate PORT, migration/complete PORT, migration/abort PORT,
 * migration/show [PORT].  Many migrations run at once, each independent.
 * A command only queues its step; migration_engine_run() does the work.
 *
 * The engine decides where each migrating port lives (it overrides the
 * model's placement, migration_engine_apply()) and hands only that port's
 * flows to the hosts' installers (hostctl_update_port()), so a switchover
 * costs one small bundle per host whatever the size of the pipeline.  Each
 * step is recorded in the port's Migration row of the northbound database;
 * the switchover's record is written in parallel with the bundles, and a
 * restarted engine reads what the destination's switch has installed to
 * know which side of the switchover it is on. */

#ifndef MIGRATION_H
#define MIGRATION_H 1

#include <stdbool.h>

struct model;
struct ovsdb_idl;
struct shash;

struct migration_config {
    unsigned int switchover_timeout_ms; /* A switchover waiting for its
                                         * barriers, unless the request
                                         * says otherwise (timeout=MS):
                                         * the most cutover adds to the
                                         * VM's pause. */
    unsigned int step_timeout_ms; /* Every other step's wait (prepare,
                                   * complete, abort, recovery). */
    unsigned int grace_ms;      /* After remote hosts confirmed, before
                                 * complete removes the source's flows. */
    unsigned int history;       /* Finished Migration rows kept per port
                                 * (the newest). */
    unsigned int hold_margin_ms; /* A hold's replay takes the copies that
                                  * arrived up to this long before the VM
                                  * stopped (docs/hold.md). */
    bool hold;                  /* Migrations hold where the destination
                                 * has a DPDK daemon, unless prepare says
                                 * hold=off. */
};

#define MIGRATION_SWITCHOVER_TIMEOUT_MS 250
#define MIGRATION_STEP_TIMEOUT_MS 5000
#define MIGRATION_GRACE_MS 500
#define MIGRATION_HISTORY 5
#define MIGRATION_HOLD_MARGIN_MS 2

/* 'idl' is the northbound database's, 'hosts' maps host names to struct
 * hostctl, and '*modelp' is the controller's model (rebuilt at will: the
 * engine finds ports by name). */
struct migration_engine *migration_engine_create(
    struct ovsdb_idl *idl, const struct shash *hosts, struct model *model,
    const struct migration_config *);
/* Answers every request still waiting ("cutoverd is exiting").  Call
 * control_shutdown() first, so that no request reaches a freed engine. */
void migration_engine_destroy(struct migration_engine *);

/* Reads the unfinished migrations of the database, once, when it is first
 * connected: a restarted controller carries on with them. */
/* Only an active engine (the controller that holds the northbound
 * database's lock, docs/ha.md) loads, runs and records; a new engine is
 * not active.  Made active, the next migration_engine_load() carries on
 * what the database says is under way, as a restarted controller does.
 * Made inactive, it answers every request still waiting with an error and
 * forgets its migrations (the next active controller finishes them); its
 * commands are then refused. */
void migration_engine_set_active(struct migration_engine *, bool active);
bool migration_engine_is_active(const struct migration_engine *);
void migration_engine_load(struct migration_engine *);

/* Gives 'model', just rebuilt from the database, the placements of the
 * ports being migrated. */
void migration_engine_apply(struct migration_engine *, struct model *);

/* Whether a switchover is waiting for its barriers: the controller then
 * puts off rebuilding the model, which would delay them. */
bool migration_engine_is_switching(const struct migration_engine *);

/* Tells the engine that hosts' ports or the model changed: Port.status is
 * brought up to date. */
void migration_engine_ports_changed(struct migration_engine *);

/* Has NB_Global.hv_cfg written as 'hv_cfg' with the engine's next record
 * (cutoverd's one writer of the northbound database): every host has
 * what the database said when its nb_cfg was 'hv_cfg' (cutoverctl
 * --wait=hv waits for it). */
void migration_engine_set_hv_cfg(struct migration_engine *, int64_t hv_cfg);

/* Starts the steps that control commands queued and carries on the others.
 * Runs after the hosts' hostctl_run() and the control servers' run, and
 * before the hosts' hostctl_flush(), which sends what it decided. */
void migration_engine_run(struct migration_engine *);
/* Does what confirmed switchovers left for later, off the critical path:
 * the hold armed, the port's flows to the other hosts, the physical
 * network's learning.  Runs after the hosts' hostctl_flush() that sent
 * what migration_engine_run() decided, so that an evacuation's next
 * switchovers leave before this work of the last ones; returns true if it
 * did something, for another hostctl_flush().  At least one migration's
 * work per call, then others while it has spent less than 20 ms; the rest
 * the next turn.  (A migration's next step does it first if this did
 * not.) */
bool migration_engine_run_after(struct migration_engine *);
/* Records the states the last run reached (one transaction at a time,
 * never waiting for it): runs after the hosts' hostctl_flush(), so that a
 * switchover's bundles leave before its record. */
void migration_engine_record(struct migration_engine *);
void migration_engine_wait(struct migration_engine *);

#endif /* migration.h */
