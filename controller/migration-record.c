/* The migration engine's records in the northbound database.  See
 * migration-private.h and docs/migration.md ("Records").
 *
 * Every state a migration enters is written to its Migration row, one
 * transaction at a time for all migrations that changed since the last
 * one.  The same transaction keeps each port's history short (a port's
 * finished rows beyond the newest 'history' are deleted when another
 * finishes) and Port.status true ("migrating" while a migration of the
 * port is unfinished, else "up" where its host has its interface, else
 * "down").  Port.status is written with the IDL's alerts off for that
 * column, so the controller's own writes do not rebuild its model. */

#include <config.h>
#include "migration-private.h"

#include <stdlib.h>
#include <string.h>

#include "hostctl.h"
#include "lib/cutover-nb-idl.h"
#include "model.h"
#include "nb-check.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(migration_record);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

static const struct nbrec_port *
find_port_row(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_port *p;

    NBREC_PORT_FOR_EACH (p, idl) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

static const struct nbrec_host *
find_host_row(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_host *h;

    NBREC_HOST_FOR_EACH (h, idl) {
        if (!strcmp(h->name, name)) {
            return h;
        }
    }
    return NULL;
}

/* Deletes the finished Migration rows of 'port' beyond the newest
 * 'history' - 1, since 'm' is about to be recorded finished too: the same
 * choice as 'cutoverctl migration-purge --keep' (nb_migration_select_purge()). */
static void
prune_history(struct migration_engine *me, const struct nbrec_port *port,
              const struct migration *m)
{
    const struct nbrec_migration **rows = NULL;
    struct nb_migration_age *ages = NULL;
    const struct nbrec_migration *row;
    size_t n = 0, allocated = 0, n_purge;
    bool *purge;

    NBREC_MIGRATION_FOR_EACH (row, me->idl) {
        if (row->port != port || uuid_equals(&row->header_.uuid, &m->uuid)) {
            continue;
        }
        if (n >= allocated) {
            rows = x2nrealloc(rows, &allocated, sizeof *rows);
            ages = xrealloc(ages, allocated * sizeof *ages);
        }
        rows[n] = row;
        ages[n] = (struct nb_migration_age) {
            .port = port->name,
            .finished = nb_migration_is_finished(row->state),
            .time = nb_migration_time(row->value_timestamps,
                                      row->n_timestamps),
            .uuid = row->header_.uuid,
        };
        n++;
    }
    purge = xcalloc(MAX(n, 1), sizeof *purge);
    n_purge = nb_migration_select_purge(ages, n, me->cfg.history - 1, purge);
    for (size_t i = 0; i < n; i++) {
        if (purge[i]) {
            nbrec_migration_delete(rows[i]);
        }
    }
    if (n_purge) {
        VLOG_DBG("%s: %"PRIuSIZE" finished migrations deleted (history "
                 "keeps %u)", m->port, n_purge, me->cfg.history);
    }
    free(purge);
    free(ages);
    free(rows);
}

/* Writes 'm''s state into 'txn'.  Returns false if the rows it refers to
 * are gone. */
static bool
record_migration(struct migration_engine *me, struct ovsdb_idl_txn *txn,
                 struct migration *m)
{
    const struct nbrec_port *p = find_port_row(me->idl, m->port);
    const struct nbrec_migration *row;
    const char *keys[N_MS];
    int64_t values[N_MS];
    size_t n = 0;

    if (!p) {
        return false;
    }
    if (m->row_exists) {
        row = nbrec_migration_get_for_uuid(me->idl, &m->uuid);
        if (!row) {
            return false;
        }
    } else {
        const struct nbrec_host *s = find_host_row(me->idl, m->src);
        const struct nbrec_host *d = find_host_row(me->idl, m->dst);

        if (!s || !d) {
            return false;
        }
        row = nbrec_migration_insert_persist_uuid(txn, &m->uuid);
        nbrec_migration_set_port(row, p);
        nbrec_migration_set_source(row, s);
        nbrec_migration_set_destination(row, d);
    }
    nbrec_migration_set_state(row, mig_states[m->state].name);
    nbrec_migration_set_error(row, m->error);
    if (m->hold_id) {
        int64_t id = m->hold_id;

        nbrec_migration_set_hold(row, &id, 1);
    } else {
        nbrec_migration_set_hold(row, NULL, 0);
    }
    for (int i = 0; i < N_MS; i++) {
        if (m->stamps[i]) {
            keys[n] = mig_states[i].name;
            values[n++] = m->stamps[i];
        }
    }
    nbrec_migration_set_timestamps(row, keys, values, n);
    if (mig_states[m->state].final) {
        prune_history(me, p, m);
    }
    if (m->state == MS_COMPLETE) {
        const struct nbrec_host *d = find_host_row(me->idl, m->dst);

        if (!d) {
            return false;
        }
        nbrec_port_set_home(p, d);
    }
    return true;
}

/* What Port.status should say of model port 'p'. */
static const char *
port_status(const struct migration_engine *me, const struct model_port *p)
{
    const struct migration *m = migration_find(me, p->name);
    const struct hostctl *hc;

    if (m && !mig_states[m->state].final) {
        return "migrating";
    }
    hc = p->active ? migration_host(me, p->active->name) : NULL;
    if (hc && (p->incoming ? hostctl_incoming_ofport(hc, p->name)
               : hostctl_iface_ofport(hc, p->name))) {
        return "up";
    }
    return "down";
}

/* Writes into the IDL's open transaction every Port.status that is not
 * what it should be.  Returns whether it wrote any.  O(ports). */
static bool
record_statuses(struct migration_engine *me)
{
    struct shash rows = SHASH_INITIALIZER(&rows);
    const struct nbrec_port *row;
    bool changed = false;

    NBREC_PORT_FOR_EACH (row, me->idl) {
        shash_add_once(&rows, row->name, row);
    }
    for (size_t i = 0; i < me->model->n_ports; i++) {
        const struct model_port *p = me->model->ports[i];
        const char *status = port_status(me, p);

        row = shash_find_data(&rows, p->name);
        if (row && (!row->status || strcmp(row->status, status))) {
            nbrec_port_set_status(row, status);
            changed = true;
        }
    }
    shash_destroy(&rows);
    return changed;
}

static void
finish_txn(struct migration_engine *me)
{
    struct migration_recorder *rec = &me->rec;
    enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(rec->txn);
    bool ok = status == TXN_SUCCESS || status == TXN_UNCHANGED;

    if (status == TXN_INCOMPLETE) {
        return;
    }
    for (size_t i = 0; i < rec->n; i++) {
        struct migration *m = rec->migs[i];

        if (m && ok) {
            m->recorded = rec->states[i];
            m->row_exists = true;
        }
    }
    if (!ok) {
        VLOG_WARN_RL(&rl, "recording migrations: %s (%s)",
                     ovsdb_idl_txn_status_to_string(status),
                     ovsdb_idl_txn_get_error(rec->txn));
        /* Port.status is written again with the next transaction. */
        rec->status_dirty = true;
    }
    ovsdb_idl_txn_destroy(rec->txn);
    rec->txn = NULL;
    rec->n = 0;
    /* Steps waiting for their record go on at once. */
    poll_immediate_wake();
}

void
migration_record_run(struct migration_engine *me)
{
    struct migration_recorder *rec = &me->rec;
    struct ovsdb_idl_txn *txn = NULL;
    struct migration *m;

    if (rec->txn) {
        finish_txn(me);
        if (rec->txn) {
            return;
        }
    }
    if (!ovsdb_idl_is_connected(me->idl)) {
        return;
    }

    HMAP_FOR_EACH (m, node, &me->migrations) {
        if (m->recorded == m->state) {
            continue;
        }
        if (!txn) {
            size_t max = hmap_count(&me->migrations);

            txn = ovsdb_idl_txn_create(me->idl);
            ovsdb_idl_txn_add_comment(txn, "cutoverd: migrations");
            rec->migs = xrealloc(rec->migs, max * sizeof *rec->migs);
            rec->states = xrealloc(rec->states, max * sizeof *rec->states);
        }
        if (record_migration(me, txn, m)) {
            rec->migs[rec->n] = m;
            rec->states[rec->n++] = m->state;
        } else {
            /* Its port or hosts were deleted: nothing left to record. */
            m->recorded = m->state;
        }
    }
    if (rec->status_dirty && me->loaded
        && !migration_engine_is_switching(me)) {
        /* Not while a switchover waits for its barriers: its bundles leave
         * before anything that is not on the critical path. */
        struct ovsdb_idl_txn *status_txn = txn ? txn
                                           : ovsdb_idl_txn_create(me->idl);

        rec->status_dirty = false;
        if (record_statuses(me)) {
            txn = status_txn;
        } else if (status_txn != txn) {
            ovsdb_idl_txn_destroy(status_txn);
        }
    }
    if (rec->hv_cfg >= 0 && !migration_engine_is_switching(me)) {
        /* Off the critical path too. */
        const struct nbrec_nb_global *g = nbrec_nb_global_first(me->idl);

        if (g && g->hv_cfg < rec->hv_cfg) {
            if (!txn) {
                txn = ovsdb_idl_txn_create(me->idl);
                ovsdb_idl_txn_add_comment(txn, "cutoverd: hv_cfg");
            }
            nbrec_nb_global_set_hv_cfg(g, rec->hv_cfg);
        }
        rec->hv_cfg = -1;
    }
    if (txn) {
        rec->txn = txn;
        finish_txn(me);
    }
}

void
migration_record_wait(struct migration_engine *me)
{
    if (me->rec.txn) {
        ovsdb_idl_txn_wait(me->rec.txn);
    }
}

void
migration_record_forget(struct migration_engine *me, struct migration *m)
{
    for (size_t i = 0; i < me->rec.n; i++) {
        if (me->rec.migs[i] == m) {
            me->rec.migs[i] = NULL;
        }
    }
}

void
migration_record_destroy(struct migration_engine *me)
{
    if (me->rec.txn) {
        ovsdb_idl_txn_destroy(me->rec.txn);
        me->rec.txn = NULL;
    }
    free(me->rec.migs);
    free(me->rec.states);
    me->rec.migs = NULL;
    me->rec.states = NULL;
    me->rec.n = 0;
}

void
migration_record_init(struct migration_engine *me)
{
    /* The controller writes Port.status: its own writes must not count as
     * changes of the model's tables.  (Set before the IDL first
     * connects.) */
    ovsdb_idl_omit_alert(me->idl, &nbrec_port_col_status);
    me->rec.hv_cfg = -1;
}

void
migration_record_load(struct migration_engine *me)
{
    const struct nbrec_migration *row;

    NBREC_MIGRATION_FOR_EACH (row, me->idl) {
        enum mig_state state = mig_state_from_string(row->state);
        struct migration *m;

        if (state == N_MS || mig_states[state].final) {
            continue;
        }
        m = migration_find(me, row->port->name);
        if (m) {
            VLOG_WARN("port %s has two unfinished migrations: keeping the "
                      "one to %s", m->port, m->dst);
            continue;
        }
        m = migration_create(me, row->port->name, row->source->name,
                             row->destination->name);
        m->uuid = row->header_.uuid;
        m->state = state;
        m->recorded = state;
        m->row_exists = true;
        for (size_t i = 0; i < row->n_timestamps; i++) {
            enum mig_state s = mig_state_from_string(row->key_timestamps[i]);

            if (s != N_MS) {
                m->stamps[s] = row->value_timestamps[i];
            }
        }
        if (row->hold && state != MS_PREPARING) {
            /* Its hold: asked for again (the daemon keeps one it has),
             * unless it was replayed already. */
            m->hold_id = *row->hold;
            m->hold_decided = true;
            m->hold = (state == MS_ACTIVE || state == MS_COMPLETING
                       ? MH_PASSING : MH_RECOVER);
            m->hold_switched = state == MS_ABORTING;
        }
        VLOG_INFO("found migration of %s (%s -> %s) %s%s", m->port, m->src,
                  m->dst, row->state, m->hold_id ? " with a hold" : "");
    }
    me->rec.status_dirty = true;
}
