/* The migration engine: the live-migration switchover of ports between
 * hosts (docs/migration.md).
 *
 * A migration of a port from its source S (its home) to a destination D
 * goes through prepare, switchover, activate and complete, or abort; the
 * VMM hook (cutover-hook) or an operator calls each step through the
 * control API (controller/control.h): migration/prepare PORT HOST,
 * migration/switchover PORT, migration/activate PORT, migration/complete
 * PORT, migration/abort PORT, migration/show [PORT].  Many migrations run
 * at once, each independent.
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
    unsigned int switchover_timeout_ms; /* Waiting for barriers. */
    unsigned int grace_ms;      /* After remote hosts confirmed, before
                                 * complete removes the source's flows. */
};

#define MIGRATION_SWITCHOVER_TIMEOUT_MS 5000
#define MIGRATION_GRACE_MS 500

/* 'idl' is the northbound database's, 'hosts' maps host names to struct
 * hostctl, and '*modelp' is the controller's model (rebuilt at will: the
 * engine finds ports by name). */
struct migration_engine *migration_engine_create(
    struct ovsdb_idl *idl, const struct shash *hosts, struct model *model,
    const struct migration_config *);
/* Answers every request still waiting. */
void migration_engine_destroy(struct migration_engine *);

/* Reads the unfinished migrations of the database, once, when it is first
 * connected: a restarted controller carries on with them. */
void migration_engine_load(struct migration_engine *);

/* Gives 'model', just rebuilt from the database, the placements of the
 * ports being migrated. */
void migration_engine_apply(struct migration_engine *, struct model *);

/* Whether a switchover is waiting for its barriers: the controller then
 * puts off rebuilding the model, which would delay them. */
bool migration_engine_is_switching(const struct migration_engine *);

/* Runs after the hosts' hostctl_run(). */
void migration_engine_run(struct migration_engine *);
void migration_engine_wait(struct migration_engine *);

#endif /* migration.h */
