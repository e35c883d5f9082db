/* The console's live view of the database: one asynchronous connection
 * (db/conn.h) per event loop, shared by everything on that loop that needs
 * the database, and the lists the panes show -- customers, projects with
 * their quota usage, offerings with their store counts, and the plans of
 * one offering, the newest events of the audit trail, the stores with
 * their current job and step, the clusters -- kept fresh from change
 * notifications.
 *
 * Contract:
 *  - db_live_acquire returns the loop's instance for that connection
 *    string, creating it (and starting to connect) on first use; each
 *    acquire is paired with a release. This is the only process-wide state
 *    in db/: a registry keyed by loop, so that two panes share one
 *    connection without the shell having to own it.
 *  - Lists are NULL until first loaded. After every (re)connection they are
 *    all re-read; after a notification, the lists the changed table feeds
 *    are re-read, coalesced over 150 ms so a burst costs one query each.
 *    A notified event, or a change to one store (its row, its jobs, their
 *    steps), is read by its id and merged in; a burst of more than
 *    DB_LIVE_STORE_IDS stores re-reads them all.
 *  - Watchers are called (from the loop) with what changed: the state, and
 *    the lists read again (or whose read failed: db_live_error). For the
 *    stores, either all of them or the ids of those read again, and of
 *    those, the ones whose jobs changed (their history is stale).
 *  - Mutations are requests built by the query modules (which refuse
 *    read-only mode and bad input before anything is sent); done gets the
 *    outcome in words. A watcher that goes away calls db_live_unwatch and
 *    db_live_forget first. */
#ifndef OPSDECK_DB_LIVE_H
#define OPSDECK_DB_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "db/catalog.h"
#include "db/clusters.h"
#include "db/conn.h"
#include "db/customers.h"
#include "db/events.h"
#include "db/projects.h"
#include "db/stores.h"
#include "loop.h"

struct db_live;

/* In the order they are read after a (re)connection: the stores, by far
 * the longest, last, so that what waits on the small lists (the clusters'
 * watches) starts while they are read. */
enum db_live_list {
	DB_LIVE_CUSTOMERS,
	DB_LIVE_PROJECTS,
	DB_LIVE_OFFERINGS,
	DB_LIVE_PLANS,
	DB_LIVE_EVENTS,
	DB_LIVE_CLUSTERS,
	DB_LIVE_STORES,
	DB_LIVE_NLISTS
};
#define DB_LIVE_BIT(list) (1u << (list))

/* More changed stores than this in one burst: all are read again. */
#define DB_LIVE_STORE_IDS 200

/* What a notice is about; valid during the call only. */
struct db_live_change {
	unsigned lists; /* DB_LIVE_BIT()s of the lists read again (or failed) */
	bool state;	/* the connection's state changed */
	/* With DB_LIVE_STORES in lists: the whole list was read again... */
	bool stores_all;
	/* ...or else only these rows (re)read, added or removed, */
	const char *const *store_ids;
	size_t nstore_ids;
	/* of which these had a job or a step change (stores_all: any store). */
	const char *const *job_store_ids;
	size_t njob_store_ids;
};

/* True if the change may have touched store id's row, or its jobs. */
bool db_live_change_store(const struct db_live_change *ch, const char *id);
bool db_live_change_jobs(const struct db_live_change *ch, const char *id);

typedef void (*db_live_fn)(void *ud, const struct db_live_change *ch);
typedef void (*db_live_done_fn)(void *ud, bool ok, const char *message);

struct db_live *db_live_acquire(struct loop *loop, const struct conf *conf);
void db_live_release(struct db_live *l);

/* Acquire and watch in one, as a pane does at start; db_live_leave undoes
 * it (unwatch, forget ud's mutations, release) and accepts NULL. */
struct db_live *db_live_join(struct loop *loop, const struct conf *conf, db_live_fn fn, void *ud);
void db_live_leave(struct db_live *l, db_live_fn fn, void *ud);

void db_live_watch(struct db_live *l, db_live_fn fn, void *ud);
void db_live_unwatch(struct db_live *l, db_live_fn fn, void *ud);

enum db_state db_live_state(const struct db_live *l, const char **reason);
/* The state for the console header: "db: ready", "db: connecting",
 * "db: down (reason)". alert is set unless ready. */
void db_live_header(const struct db_live *l, char *buf, size_t bufsz, bool *alert);

const struct customer_list *db_live_customers(const struct db_live *l);
const struct project_list *db_live_projects(const struct db_live *l);
const struct offering_list *db_live_offerings(const struct db_live *l);
/* Asks for the plans of offering slug (kept fresh until another is asked
 * for); db_live_plans returns them once loaded, with *slug set. */
void db_live_want_plans(struct db_live *l, const char *slug);
const struct plan_list *db_live_plans(const struct db_live *l, const char **slug);
/* The audit trail, newest first, at most DB_LIVE_EVENTS_MAX of them. Nothing
 * is read until db_live_want_events is called (once is enough); then the
 * newest are read after every (re)connection, and each notified event is
 * read by its id and merged in. */
#define DB_LIVE_EVENTS_MAX 500
void db_live_want_events(struct db_live *l);
const struct event_list *db_live_events(const struct db_live *l);
/* Stores not Deleted, newest first; read_ms (if not NULL) gets the
 * loop_now_ms() of the read, since the ages in the rows were computed by
 * the database then. */
const struct store_list *db_live_stores(const struct db_live *l, uint64_t *read_ms);
/* A store of that list by id (in O(1)), or NULL; its index in the list is
 * the pointer's offset from the list's v. */
const struct store *db_live_store(const struct db_live *l, const char *id);
const struct cluster_list *db_live_clusters(const struct db_live *l);
/* Reads the stores again soon (after a mutation whose notification may
 * not change the row, e.g. a refused operation). */
void db_live_refresh_stores(struct db_live *l);
/* Why the last load failed, or NULL. */
const char *db_live_error(const struct db_live *l);

/* Submits a mutation (req is moved) and reports its outcome to done. */
void db_live_submit(struct db_live *l, struct db_req *req, db_live_done_fn done, void *ud);
/* A read whose rows the caller wants once (a store's job history): fn
 * gets them as text (NULL for SQL NULL), valid during the call, or rows
 * NULL and the error in words. */
struct db_rows {
	size_t nrows, ncols;
	const char *const *cells; /* row-major: cells[row * ncols + col] */
};
typedef void (*db_live_rows_fn)(void *ud, const struct db_rows *rows, const char *error);
void db_live_query(struct db_live *l, struct db_req *req, db_live_rows_fn fn, void *ud);
/* Neither done nor fn is called for ud's pending requests. */
void db_live_forget(struct db_live *l, void *ud);

#endif
