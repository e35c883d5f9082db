#include "config.h"

#include "db/live.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Coalesces a burst of notifications into one reload per list. */
#define LIVE_DEBOUNCE_MS 150

/* More notified events than this in one burst: read the newest again. */
#define LIVE_EVENT_IDS_MAX 1000

enum list_id {
	LIST_CUSTOMERS,
	LIST_PROJECTS,
	LIST_OFFERINGS,
	LIST_PLANS,
	LIST_EVENTS,
	LIST_STORES,
	LIST_CLUSTERS,
	LIST_COUNT
};

struct watcher {
	db_live_fn fn; /* NULL: removed, swept later */
	void *ud;
};

struct live_call {
	struct live_call *next;
	struct db_live *live;
	db_live_done_fn done; /* NULL once forgotten */
	db_live_rows_fn rows; /* a query: gets the rows instead */
	bool forgotten;
	void *ud;
};

struct load {
	struct db_live *live;
	enum list_id id;
	bool inflight;
	bool again; /* changed while loading: load once more */
	char slug[64]; /* LIST_PLANS: the offering asked for */
	bool full;     /* LIST_EVENTS: the newest ones, not some by id */
};

struct db_live {
	struct db_live *next; /* registry */
	struct loop *loop;
	char *conninfo;
	int refs;
	struct db_conn *conn;

	struct customer_list customers;
	struct project_list projects;
	struct offering_list offerings;
	struct plan_list plans;
	struct event_list events;
	struct store_list stores;
	struct cluster_list clusters;
	uint64_t stores_read_ms; /* when the stores list was read (loop_now_ms) */
	bool have[LIST_COUNT];
	char plans_slug[64];  /* the plans shown */
	char plans_want[64];  /* the plans asked for */
	char error[512];

	/* The audit trail is read only once someone asks for it. */
	bool events_wanted;
	bool events_full; /* read the newest DB_LIVE_EVENTS again */
	long *event_ids;  /* notified, not yet read */
	size_t nevent_ids, capevent_ids;

	struct load loads[LIST_COUNT];
	bool dirty[LIST_COUNT];
	struct loop_timer *debounce;

	struct watcher *watchers;
	size_t nwatchers, capwatchers;
	int notifying;
	struct live_call *calls;
};

static struct db_live *registry;

static void notify(struct db_live *l)
{
	size_t n = l->nwatchers;

	l->notifying++;
	for (size_t i = 0; i < n; i++) {
		if (l->watchers[i].fn)
			l->watchers[i].fn(l->watchers[i].ud);
	}
	if (--l->notifying == 0) {
		size_t j = 0;

		for (size_t i = 0; i < l->nwatchers; i++) {
			if (l->watchers[i].fn)
				l->watchers[j++] = l->watchers[i];
		}
		l->nwatchers = j;
	}
}

/* ---- loading ---- */

static void start_load(struct db_live *l, enum list_id id);

static void loaded(void *ud, const PGresult *res, const struct err *err)
{
	struct load *ld = ud;
	struct db_live *l = ld->live;
	struct err perr = { { 0 } };
	bool ok = res != NULL;

	ld->inflight = false;
	if (ok) {
		switch (ld->id) {
		case LIST_CUSTOMERS: {
			struct customer_list v;

			ok = customer_list_parse(res, &v, &perr);
			if (ok) {
				customer_list_free(&l->customers);
				l->customers = v;
			}
			break;
		}
		case LIST_PROJECTS: {
			struct project_list v;

			ok = project_list_parse(res, &v, &perr);
			if (ok) {
				project_list_free(&l->projects);
				l->projects = v;
			}
			break;
		}
		case LIST_OFFERINGS: {
			struct offering_list v;

			ok = offering_list_parse(res, &v, &perr);
			if (ok) {
				offering_list_free(&l->offerings);
				l->offerings = v;
			}
			break;
		}
		case LIST_PLANS: {
			struct plan_list v;

			ok = plan_list_parse(res, &v, &perr);
			if (ok) {
				plan_list_free(&l->plans);
				l->plans = v;
				str_copy(l->plans_slug, sizeof(l->plans_slug), ld->slug);
				if (strcmp(ld->slug, l->plans_want) != 0)
					ld->again = true;
			}
			break;
		}
		case LIST_EVENTS: {
			struct event_list v;

			ok = event_list_parse(res, &v, &perr);
			if (ok && ld->full) {
				event_list_free(&l->events);
				l->events = v;
			} else if (ok) {
				event_list_merge(&l->events, &v, DB_LIVE_EVENTS);
			}
			break;
		}
		case LIST_STORES: {
			struct store_list v;

			ok = store_list_parse(res, &v, &perr);
			if (ok) {
				store_list_free(&l->stores);
				l->stores = v;
				l->stores_read_ms = loop_now_ms();
			}
			break;
		}
		case LIST_CLUSTERS: {
			struct cluster_list v;

			ok = cluster_list_parse(res, &v, &perr);
			if (ok) {
				cluster_list_free(&l->clusters);
				l->clusters = v;
			}
			break;
		}
		case LIST_COUNT:
			break;
		}
		if (ok) {
			/* A few events read by id are not the trail: only the newest. */
			if (ld->id != LIST_EVENTS || ld->full)
				l->have[ld->id] = true;
			l->error[0] = '\0';
		} else {
			str_copy(l->error, sizeof(l->error), perr.msg);
		}
	} else {
		str_copy(l->error, sizeof(l->error), err->msg);
	}
	/* Events that were asked for and not read: read the newest again
	 * next time rather than leave a hole. */
	if (!ok && ld->id == LIST_EVENTS)
		l->events_full = true;
	if (ld->again) {
		ld->again = false;
		start_load(l, ld->id);
	}
	notify(l);
}

static void start_load(struct db_live *l, enum list_id id)
{
	struct load *ld = &l->loads[id];
	struct db_req r;
	struct err err;

	if (ld->inflight) {
		ld->again = true;
		return;
	}
	switch (id) {
	case LIST_CUSTOMERS:
		customer_req_list(&r, false);
		break;
	case LIST_PROJECTS:
		project_req_list(&r, NULL, false);
		break;
	case LIST_OFFERINGS:
		catalog_req_list(&r);
		break;
	case LIST_PLANS:
		if (!l->plans_want[0] || !catalog_req_plans(&r, l->plans_want, &err))
			return;
		str_copy(ld->slug, sizeof(ld->slug), l->plans_want);
		break;
	case LIST_EVENTS:
		if (!l->events_wanted)
			return;
		if (l->events_full) {
			if (!event_req_list(&r, NULL, DB_LIVE_EVENTS, &err))
				return;
			ld->full = true;
		} else if (l->nevent_ids > 0) {
			if (!event_req_by_ids(&r, l->event_ids, l->nevent_ids, &err))
				return;
			ld->full = false;
		} else {
			return;
		}
		l->events_full = false;
		l->nevent_ids = 0;
		break;
	case LIST_STORES:
		store_req_list(&r, NULL, false);
		break;
	case LIST_CLUSTERS:
		cluster_req_list(&r);
		break;
	case LIST_COUNT:
	default:
		return;
	}
	ld->inflight = true;
	db_conn_submit(l->conn, &r, 0, loaded, ld);
}

static void debounce_fired(struct loop *loop, void *ud)
{
	struct db_live *l = ud;

	(void)loop;
	l->debounce = NULL;
	for (int i = 0; i < LIST_COUNT; i++) {
		if (l->dirty[i]) {
			l->dirty[i] = false;
			start_load(l, (enum list_id)i);
		}
	}
}

static void mark_dirty(struct db_live *l, enum list_id id)
{
	l->dirty[id] = true;
	if (!l->debounce)
		l->debounce = loop_timer_add(l->loop, LIVE_DEBOUNCE_MS, 0, debounce_fired, l);
}

/* A new event: read it by its id (the notification's key). */
static void event_notified(struct db_live *l, const char *key)
{
	long id;

	if (!l->events_wanted)
		return;
	if (!str_to_long(key, 1, LONG_MAX, &id) || l->nevent_ids >= LIVE_EVENT_IDS_MAX) {
		l->events_full = true;
	} else {
		l->event_ids = xgrow(l->event_ids, &l->capevent_ids, l->nevent_ids + 1,
				     sizeof(*l->event_ids));
		l->event_ids[l->nevent_ids++] = id;
	}
	mark_dirty(l, LIST_EVENTS);
}

/* Which lists each table feeds. */
static void on_change(struct db_live *l, const char *table, const char *key)
{
	if (strcmp(table, "customers") == 0) {
		mark_dirty(l, LIST_CUSTOMERS);
		mark_dirty(l, LIST_PROJECTS);
	} else if (strcmp(table, "projects") == 0) {
		mark_dirty(l, LIST_PROJECTS);
		mark_dirty(l, LIST_CUSTOMERS);
	} else if (strcmp(table, "offerings") == 0 || strcmp(table, "plans") == 0) {
		mark_dirty(l, LIST_OFFERINGS);
		mark_dirty(l, LIST_PLANS);
		mark_dirty(l, LIST_PROJECTS);
	} else if (strcmp(table, "stores") == 0) {
		mark_dirty(l, LIST_PROJECTS);
		mark_dirty(l, LIST_OFFERINGS);
		mark_dirty(l, LIST_PLANS);
		mark_dirty(l, LIST_STORES);
		mark_dirty(l, LIST_CLUSTERS);
	} else if (strcmp(table, "jobs") == 0 || strcmp(table, "job_steps") == 0) {
		/* A store's row shows its current job and step. */
		mark_dirty(l, LIST_STORES);
	} else if (strcmp(table, "clusters") == 0) {
		mark_dirty(l, LIST_CLUSTERS);
	} else if (strcmp(table, "events") == 0) {
		event_notified(l, key);
	}
}

static void on_db_event(void *ud, const struct db_event *ev)
{
	struct db_live *l = ud;

	switch (ev->kind) {
	case DB_EVENT_STATE:
		notify(l);
		break;
	case DB_EVENT_RESYNC:
		/* Notifications sent while away are lost: the newest again. */
		l->events_full = true;
		l->nevent_ids = 0;
		for (int i = 0; i < LIST_COUNT; i++)
			start_load(l, (enum list_id)i);
		break;
	case DB_EVENT_CHANGE:
		on_change(l, ev->table, ev->key);
		break;
	}
}

/* ---- registry ---- */

static bool same_conninfo(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

struct db_live *db_live_acquire(struct loop *loop, const struct conf *conf)
{
	const char *ci = conf->database && *conf->database ? conf->database : NULL;
	struct db_live *l;

	for (l = registry; l; l = l->next) {
		if (l->loop == loop && same_conninfo(l->conninfo, ci)) {
			l->refs++;
			return l;
		}
	}
	l = xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->conninfo = ci ? xstrdup(ci) : NULL;
	l->refs = 1;
	for (int i = 0; i < LIST_COUNT; i++) {
		l->loads[i].live = l;
		l->loads[i].id = (enum list_id)i;
	}
	l->conn = db_conn_new(loop, ci, NULL);
	db_conn_subscribe(l->conn, on_db_event, l);
	l->next = registry;
	registry = l;
	return l;
}

void db_live_release(struct db_live *l)
{
	struct db_live **pp;

	if (!l || --l->refs > 0)
		return;
	for (pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	db_conn_free(l->conn);
	loop_timer_cancel(l->debounce);
	while (l->calls) {
		struct live_call *c = l->calls;

		l->calls = c->next;
		free(c);
	}
	customer_list_free(&l->customers);
	project_list_free(&l->projects);
	offering_list_free(&l->offerings);
	plan_list_free(&l->plans);
	event_list_free(&l->events);
	store_list_free(&l->stores);
	cluster_list_free(&l->clusters);
	free(l->event_ids);
	free(l->watchers);
	free(l->conninfo);
	free(l);
}

struct db_live *db_live_join(struct loop *loop, const struct conf *conf, db_live_fn fn, void *ud)
{
	struct db_live *l = db_live_acquire(loop, conf);

	db_live_watch(l, fn, ud);
	return l;
}

void db_live_leave(struct db_live *l, db_live_fn fn, void *ud)
{
	if (!l)
		return;
	db_live_unwatch(l, fn, ud);
	db_live_forget(l, ud);
	db_live_release(l);
}

/* ---- watchers and accessors ---- */

void db_live_watch(struct db_live *l, db_live_fn fn, void *ud)
{
	l->watchers = xgrow(l->watchers, &l->capwatchers, l->nwatchers + 1, sizeof(*l->watchers));
	l->watchers[l->nwatchers].fn = fn;
	l->watchers[l->nwatchers].ud = ud;
	l->nwatchers++;
}

void db_live_unwatch(struct db_live *l, db_live_fn fn, void *ud)
{
	for (size_t i = 0; i < l->nwatchers; i++) {
		if (l->watchers[i].fn == fn && l->watchers[i].ud == ud)
			l->watchers[i].fn = NULL;
	}
}

enum db_state db_live_state(const struct db_live *l, const char **reason)
{
	return db_conn_state(l->conn, reason);
}

void db_live_header(const struct db_live *l, char *buf, size_t bufsz, bool *alert)
{
	const char *reason;
	enum db_state st = db_conn_state(l->conn, &reason);

	*alert = st != DB_STATE_READY;
	if (st == DB_STATE_DOWN)
		snprintf(buf, bufsz, "db: down (%s)", reason);
	else
		snprintf(buf, bufsz, "db: %s", db_state_name(st));
}

const struct customer_list *db_live_customers(const struct db_live *l)
{
	return l->have[LIST_CUSTOMERS] ? &l->customers : NULL;
}

const struct project_list *db_live_projects(const struct db_live *l)
{
	return l->have[LIST_PROJECTS] ? &l->projects : NULL;
}

const struct offering_list *db_live_offerings(const struct db_live *l)
{
	return l->have[LIST_OFFERINGS] ? &l->offerings : NULL;
}

void db_live_want_plans(struct db_live *l, const char *slug)
{
	if (!db_valid_dns_label(slug) || strcmp(l->plans_want, slug) == 0)
		return;
	str_copy(l->plans_want, sizeof(l->plans_want), slug);
	if (db_conn_state(l->conn, NULL) == DB_STATE_READY)
		start_load(l, LIST_PLANS);
}

const struct plan_list *db_live_plans(const struct db_live *l, const char **slug)
{
	if (!l->have[LIST_PLANS] || !l->plans_slug[0] || strcmp(l->plans_slug, l->plans_want) != 0)
		return NULL;
	if (slug)
		*slug = l->plans_slug;
	return &l->plans;
}

void db_live_want_events(struct db_live *l)
{
	if (l->events_wanted)
		return;
	l->events_wanted = true;
	l->events_full = true;
	/* Otherwise the (re)connection reads them. */
	if (db_conn_state(l->conn, NULL) == DB_STATE_READY)
		start_load(l, LIST_EVENTS);
}

const struct event_list *db_live_events(const struct db_live *l)
{
	return l->have[LIST_EVENTS] ? &l->events : NULL;
}

const struct store_list *db_live_stores(const struct db_live *l, uint64_t *read_ms)
{
	if (!l->have[LIST_STORES])
		return NULL;
	if (read_ms)
		*read_ms = l->stores_read_ms;
	return &l->stores;
}

const struct cluster_list *db_live_clusters(const struct db_live *l)
{
	return l->have[LIST_CLUSTERS] ? &l->clusters : NULL;
}

void db_live_refresh_stores(struct db_live *l)
{
	if (db_conn_state(l->conn, NULL) == DB_STATE_READY)
		mark_dirty(l, LIST_STORES);
}

const char *db_live_error(const struct db_live *l)
{
	return l->error[0] ? l->error : NULL;
}

/* ---- mutations ---- */

static void call_done(void *ud, const PGresult *res, const struct err *err)
{
	struct live_call *c = ud, **pp;
	struct db_live *l = c->live;

	for (pp = &l->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (!c->forgotten && c->rows) {
		struct db_rows rows = { 0, 0, NULL };
		const char **cells = NULL;

		if (res) {
			rows.nrows = (size_t)PQntuples(res);
			rows.ncols = (size_t)PQnfields(res);
			cells = xcalloc(rows.nrows * rows.ncols + 1, sizeof(*cells));
			for (size_t i = 0; i < rows.nrows; i++) {
				for (size_t j = 0; j < rows.ncols; j++) {
					if (!PQgetisnull(res, (int)i, (int)j))
						cells[i * rows.ncols + j] =
							PQgetvalue(res, (int)i, (int)j);
				}
			}
			rows.cells = cells;
		}
		c->rows(c->ud, res ? &rows : NULL, res ? "" : err->msg);
		free(cells);
	} else if (!c->forgotten && c->done) {
		c->done(c->ud, res != NULL, res ? "" : err->msg);
	}
	free(c);
}

void db_live_submit(struct db_live *l, struct db_req *req, db_live_done_fn done, void *ud)
{
	struct live_call *c = xcalloc(1, sizeof(*c));

	c->live = l;
	c->done = done;
	c->ud = ud;
	c->next = l->calls;
	l->calls = c;
	db_conn_submit(l->conn, req, 0, call_done, c);
}

void db_live_query(struct db_live *l, struct db_req *req, db_live_rows_fn fn, void *ud)
{
	struct live_call *c = xcalloc(1, sizeof(*c));

	c->live = l;
	c->rows = fn;
	c->ud = ud;
	c->next = l->calls;
	l->calls = c;
	db_conn_submit(l->conn, req, 0, call_done, c);
}

void db_live_forget(struct db_live *l, void *ud)
{
	for (struct live_call *c = l->calls; c; c = c->next) {
		if (c->ud == ud)
			c->forgotten = true;
	}
}
