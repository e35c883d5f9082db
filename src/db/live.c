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

/* Store ids, each once, at most DB_LIVE_STORE_IDS. */
struct idset {
	char **v;
	size_t n, cap;
};

struct load {
	struct db_live *live;
	enum db_live_list id;
	bool inflight;
	bool again;	 /* changed while loading: load once more */
	char slug[64];	 /* plans: the offering asked for */
	bool full;	 /* events, stores: all of them, not some by id */
	struct idset ids, jobs; /* stores: the rows being read, those whose jobs changed */
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
	uint64_t stores_read_ms; /* what the stores' ages count from (loop_now_ms) */
	bool have[DB_LIVE_NLISTS];
	char plans_slug[64];  /* the plans shown */
	char plans_want[64];  /* the plans asked for */
	char error[512];

	/* The audit trail is read only once someone asks for it. */
	bool events_wanted;
	bool events_full; /* read the newest DB_LIVE_EVENTS_MAX again */
	long *event_ids;  /* notified, not yet read */
	size_t nevent_ids, capevent_ids;

	/* Stores notified, not yet read; stores_full: read them all again. */
	bool stores_full;
	struct idset store_ids, job_store_ids;
	/* id -> index + 1 in stores.v (0: empty slot), open addressing. */
	uint32_t *store_slots;
	size_t store_mask;

	struct load loads[DB_LIVE_NLISTS];
	bool dirty[DB_LIVE_NLISTS];
	struct loop_timer *debounce;

	struct watcher *watchers;
	size_t nwatchers, capwatchers;
	int notifying;
	struct live_call *calls;
};

static struct db_live *registry;

static void notify(struct db_live *l, const struct db_live_change *ch)
{
	size_t n = l->nwatchers;

	l->notifying++;
	for (size_t i = 0; i < n; i++) {
		if (l->watchers[i].fn)
			l->watchers[i].fn(l->watchers[i].ud, ch);
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

/* ---- sets of store ids ---- */

/* False when full (the caller then reads everything). */
static bool idset_add(struct idset *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], id) == 0)
			return true;
	}
	if (s->n >= DB_LIVE_STORE_IDS)
		return false;
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = xstrdup(id);
	return true;
}

static void idset_clear(struct idset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

static void idset_free(struct idset *s)
{
	idset_clear(s);
	x_free(&s->v);
	s->cap = 0;
}

/* Moves src's ids into an empty dst. */
static void idset_move(struct idset *dst, struct idset *src)
{
	idset_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static const char *const *idset_ids(const struct idset *s)
{
	return (const char *const *)s->v;
}

static bool ids_have(const char *const *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i], id) == 0)
			return true;
	}
	return false;
}

bool db_live_change_store(const struct db_live_change *ch, const char *id)
{
	if (!(ch->lists & DB_LIVE_BIT(DB_LIVE_STORES)))
		return false;
	return ch->stores_all || ids_have(ch->store_ids, ch->nstore_ids, id);
}

bool db_live_change_jobs(const struct db_live_change *ch, const char *id)
{
	if (!(ch->lists & DB_LIVE_BIT(DB_LIVE_STORES)))
		return false;
	return ch->stores_all || ids_have(ch->job_store_ids, ch->njob_store_ids, id);
}

/* ---- the stores' index by id ---- */

static uint32_t id_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++) {
		h ^= (unsigned char)*id;
		h *= 16777619u;
	}
	return h;
}

static void index_stores(struct db_live *l)
{
	size_t size = 16;

	while (size < l->stores.n * 2)
		size *= 2;
	if (size != l->store_mask + 1) {
		free(l->store_slots);
		l->store_slots = xcalloc(size, sizeof(*l->store_slots));
		l->store_mask = size - 1;
	} else {
		memset(l->store_slots, 0, size * sizeof(*l->store_slots));
	}
	for (size_t i = 0; i < l->stores.n; i++) {
		size_t h = id_hash(l->stores.v[i].id) & l->store_mask;

		while (l->store_slots[h])
			h = (h + 1) & l->store_mask;
		l->store_slots[h] = (uint32_t)i + 1;
	}
}

const struct store *db_live_store(const struct db_live *l, const char *id)
{
	if (!l->have[DB_LIVE_STORES] || !l->store_slots)
		return NULL;
	for (size_t h = id_hash(id) & l->store_mask; l->store_slots[h];
	     h = (h + 1) & l->store_mask) {
		const struct store *s = &l->stores.v[l->store_slots[h] - 1];

		if (strcmp(s->id, id) == 0)
			return s;
	}
	return NULL;
}

/* ---- the lists ---- */

static void mark_dirty(struct db_live *l, enum db_live_list id);

/* What each list is made of. request builds its read (false: nothing to
 * read now); apply takes the answer in and says in ch what changed;
 * noticed (NULL: read it all again) takes a notification of one of its
 * tables; failed (may be NULL) is told that a read did not happen. */
struct list_desc {
	const char *tables[6]; /* the notified tables that feed it */
	bool (*request)(struct db_live *l, struct load *ld, struct db_req *r);
	bool (*apply)(struct db_live *l, struct load *ld, const PGresult *res,
		      struct db_live_change *ch, struct err *err);
	void (*release)(struct db_live *l);
	void (*noticed)(struct db_live *l, const struct db_event *ev);
	void (*failed)(struct db_live *l);
};

/* A list read whole and replaced: fn_request, fn_apply and fn_release. */
#define WHOLE_LIST(fn, type, field, parse, release_list, build_request)                            \
	static bool fn##_request(struct db_live *l, struct load *ld, struct db_req *r)             \
	{                                                                                          \
		(void)l;                                                                           \
		(void)ld;                                                                          \
		build_request;                                                                     \
		return true;                                                                       \
	}                                                                                          \
	static bool fn##_apply(struct db_live *l, struct load *ld, const PGresult *res,            \
			       struct db_live_change *ch, struct err *err)                         \
	{                                                                                          \
		struct type v;                                                                     \
                                                                                                   \
		(void)ld;                                                                          \
		(void)ch;                                                                          \
		if (!parse(res, &v, err))                                                          \
			return false;                                                              \
		release_list(&l->field);                                                           \
		l->field = v;                                                                      \
		return true;                                                                       \
	}                                                                                          \
	static void fn##_release(struct db_live *l)                                                \
	{                                                                                          \
		release_list(&l->field);                                                           \
	}

WHOLE_LIST(customers, customer_list, customers, customer_list_parse, customer_list_free,
	   customer_req_list(r, false))
WHOLE_LIST(projects, project_list, projects, project_list_parse, project_list_free,
	   project_req_list(r, NULL, false))
WHOLE_LIST(offerings, offering_list, offerings, offering_list_parse, offering_list_free,
	   catalog_req_list(r))
WHOLE_LIST(clusters, cluster_list, clusters, cluster_list_parse, cluster_list_free,
	   cluster_req_list(r))

static bool plans_request(struct db_live *l, struct load *ld, struct db_req *r)
{
	struct err err;

	if (!l->plans_want[0] || !catalog_req_plans(r, l->plans_want, &err))
		return false;
	str_copy(ld->slug, sizeof(ld->slug), l->plans_want);
	return true;
}

static bool plans_apply(struct db_live *l, struct load *ld, const PGresult *res,
			struct db_live_change *ch, struct err *err)
{
	struct plan_list v;

	(void)ch;
	if (!plan_list_parse(res, &v, err))
		return false;
	plan_list_free(&l->plans);
	l->plans = v;
	str_copy(l->plans_slug, sizeof(l->plans_slug), ld->slug);
	if (strcmp(ld->slug, l->plans_want) != 0)
		ld->again = true;
	return true;
}

static void plans_release(struct db_live *l)
{
	plan_list_free(&l->plans);
}

static bool events_request(struct db_live *l, struct load *ld, struct db_req *r)
{
	struct err err;

	if (!l->events_wanted)
		return false;
	if (l->events_full) {
		if (!event_req_list(r, NULL, DB_LIVE_EVENTS_MAX, &err))
			return false;
		ld->full = true;
	} else if (l->nevent_ids > 0) {
		if (!event_req_by_ids(r, l->event_ids, l->nevent_ids, &err))
			return false;
		ld->full = false;
	} else {
		return false;
	}
	l->events_full = false;
	l->nevent_ids = 0;
	return true;
}

static bool events_apply(struct db_live *l, struct load *ld, const PGresult *res,
			 struct db_live_change *ch, struct err *err)
{
	struct event_list v;

	(void)ch;
	if (!event_list_parse(res, &v, err))
		return false;
	if (ld->full) {
		event_list_free(&l->events);
		l->events = v;
	} else {
		event_list_merge(&l->events, &v, DB_LIVE_EVENTS_MAX);
	}
	return true;
}

static void events_release(struct db_live *l)
{
	event_list_free(&l->events);
	x_free(&l->event_ids);
	l->nevent_ids = l->capevent_ids = 0;
}

/* A new event: read it by its id (the notification's key). */
static void events_noticed(struct db_live *l, const struct db_event *ev)
{
	long id;

	if (!l->events_wanted)
		return;
	if (!str_to_long(ev->key, 1, LONG_MAX, &id) || l->nevent_ids >= LIVE_EVENT_IDS_MAX) {
		l->events_full = true;
	} else {
		l->event_ids = xgrow(l->event_ids, &l->capevent_ids, l->nevent_ids + 1,
				     sizeof(*l->event_ids));
		l->event_ids[l->nevent_ids++] = id;
	}
	mark_dirty(l, DB_LIVE_EVENTS);
}

/* Events that were asked for and not read: the newest again next time
 * rather than leave a hole. */
static void events_failed(struct db_live *l)
{
	l->events_full = true;
}

static bool stores_request(struct db_live *l, struct load *ld, struct db_req *r)
{
	struct err err;

	idset_clear(&ld->ids);
	idset_clear(&ld->jobs);
	ld->full = l->stores_full || !l->have[DB_LIVE_STORES];
	if (ld->full) {
		store_req_list(r, NULL, false);
		idset_clear(&l->store_ids);
		idset_clear(&l->job_store_ids);
		l->stores_full = false;
		return true;
	}
	if (l->store_ids.n == 0 ||
	    !store_req_by_ids(r, idset_ids(&l->store_ids), l->store_ids.n, &err))
		return false;
	idset_move(&ld->ids, &l->store_ids);
	idset_move(&ld->jobs, &l->job_store_ids);
	return true;
}

static bool stores_apply(struct db_live *l, struct load *ld, const PGresult *res,
			 struct db_live_change *ch, struct err *err)
{
	struct store_list v;
	uint64_t now = loop_now_ms();

	if (!store_list_parse(res, &v, err))
		return false;
	if (ld->full) {
		store_list_free(&l->stores);
		l->stores = v;
		l->stores_read_ms = now;
		ch->stores_all = true;
	} else {
		/* The rows kept grow older by whole seconds, so that every age
		 * counts from one instant, within a second of this read. */
		long later_s = (long)((now - l->stores_read_ms) / 1000);

		store_list_age(&l->stores, later_s);
		l->stores_read_ms += (uint64_t)later_s * 1000;
		store_list_merge(&l->stores, &v, idset_ids(&ld->ids), ld->ids.n);
		ch->store_ids = idset_ids(&ld->ids);
		ch->nstore_ids = ld->ids.n;
		ch->job_store_ids = idset_ids(&ld->jobs);
		ch->njob_store_ids = ld->jobs.n;
	}
	index_stores(l);
	return true;
}

static void stores_release(struct db_live *l)
{
	store_list_free(&l->stores);
	idset_free(&l->store_ids);
	idset_free(&l->job_store_ids);
	x_free(&l->store_slots);
	l->store_mask = 0;
}

/* A row of a store, one of its jobs or their steps: that store's row is
 * read again. Without a store id (a payload from before the schema said
 * it), or too many of them, all are. */
static void stores_noticed(struct db_live *l, const struct db_event *ev)
{
	const char *id = ev->store ? ev->store : strcmp(ev->table, "stores") == 0 ? ev->key : NULL;

	if (!id || !store_valid_id(id) || !idset_add(&l->store_ids, id) ||
	    (strcmp(ev->table, "stores") != 0 && !idset_add(&l->job_store_ids, id)))
		l->stores_full = true;
	mark_dirty(l, DB_LIVE_STORES);
}

static void stores_failed(struct db_live *l)
{
	l->stores_full = true;
}

static const struct list_desc lists[DB_LIVE_NLISTS] = {
	[DB_LIVE_CUSTOMERS] = { { "customers", "projects" },
				customers_request, customers_apply, customers_release, NULL, NULL },
	[DB_LIVE_PROJECTS] = { { "customers", "projects", "offerings", "plans", "stores" },
			       projects_request, projects_apply, projects_release, NULL, NULL },
	[DB_LIVE_OFFERINGS] = { { "offerings", "plans", "stores" },
				offerings_request, offerings_apply, offerings_release, NULL, NULL },
	[DB_LIVE_PLANS] = { { "offerings", "plans", "stores" },
			    plans_request, plans_apply, plans_release, NULL, NULL },
	[DB_LIVE_EVENTS] = { { "events" },
			     events_request, events_apply, events_release, events_noticed,
			     events_failed },
	/* A store's row shows its current job and step. */
	[DB_LIVE_STORES] = { { "stores", "jobs", "job_steps" },
			     stores_request, stores_apply, stores_release, stores_noticed,
			     stores_failed },
	[DB_LIVE_CLUSTERS] = { { "clusters", "stores" },
			       clusters_request, clusters_apply, clusters_release, NULL, NULL },
};

/* ---- loading ---- */

static void start_load(struct db_live *l, enum db_live_list id);

static void loaded(void *ud, const PGresult *res, const struct err *err)
{
	struct load *ld = ud;
	struct db_live *l = ld->live;
	const struct list_desc *d = &lists[ld->id];
	struct db_live_change ch = { .lists = DB_LIVE_BIT(ld->id) };
	struct err perr = { { 0 } };
	struct idset ids = ld->ids, jobs = ld->jobs;
	bool ok = res && d->apply(l, ld, res, &ch, &perr);

	ld->inflight = false;
	if (ok) {
		/* A few events read by id are not the trail: only the newest. */
		if (ld->id != DB_LIVE_EVENTS || ld->full)
			l->have[ld->id] = true;
		l->error[0] = '\0';
	} else {
		str_copy(l->error, sizeof(l->error), res ? perr.msg : err->msg);
		if (d->failed)
			d->failed(l);
	}
	/* The ids the notice names stay valid through it, whatever loads next. */
	memset(&ld->ids, 0, sizeof(ld->ids));
	memset(&ld->jobs, 0, sizeof(ld->jobs));
	if (ld->again) {
		ld->again = false;
		start_load(l, ld->id);
	}
	notify(l, &ch);
	idset_free(&ids);
	idset_free(&jobs);
}

static void start_load(struct db_live *l, enum db_live_list id)
{
	struct load *ld = &l->loads[id];
	struct db_req r;

	if (ld->inflight) {
		ld->again = true;
		return;
	}
	if (!lists[id].request(l, ld, &r))
		return;
	ld->inflight = true;
	db_conn_submit(l->conn, &r, 0, loaded, ld);
}

static void debounce_fired(struct loop *loop, void *ud)
{
	struct db_live *l = ud;

	(void)loop;
	l->debounce = NULL;
	for (int i = 0; i < DB_LIVE_NLISTS; i++) {
		if (l->dirty[i]) {
			l->dirty[i] = false;
			start_load(l, (enum db_live_list)i);
		}
	}
}

static void mark_dirty(struct db_live *l, enum db_live_list id)
{
	l->dirty[id] = true;
	if (!l->debounce)
		l->debounce = loop_timer_add(l->loop, LIVE_DEBOUNCE_MS, 0, debounce_fired, l);
}

static bool feeds(const struct list_desc *d, const char *table)
{
	for (size_t i = 0; i < ARRAY_LEN(d->tables) && d->tables[i]; i++) {
		if (strcmp(d->tables[i], table) == 0)
			return true;
	}
	return false;
}

static void on_db_event(void *ud, const struct db_event *ev)
{
	struct db_live *l = ud;
	struct db_live_change ch = { .state = true };

	switch (ev->kind) {
	case DB_EVENT_STATE:
		notify(l, &ch);
		break;
	case DB_EVENT_RESYNC:
		/* Notifications sent while away are lost: everything again. */
		l->events_full = true;
		l->nevent_ids = 0;
		l->stores_full = true;
		for (int i = 0; i < DB_LIVE_NLISTS; i++)
			start_load(l, (enum db_live_list)i);
		break;
	case DB_EVENT_CHANGE:
		for (int i = 0; i < DB_LIVE_NLISTS; i++) {
			if (!feeds(&lists[i], ev->table))
				continue;
			if (lists[i].noticed)
				lists[i].noticed(l, ev);
			else
				mark_dirty(l, (enum db_live_list)i);
		}
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
	for (int i = 0; i < DB_LIVE_NLISTS; i++) {
		l->loads[i].live = l;
		l->loads[i].id = (enum db_live_list)i;
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
	for (int i = 0; i < DB_LIVE_NLISTS; i++) {
		lists[i].release(l);
		idset_free(&l->loads[i].ids);
		idset_free(&l->loads[i].jobs);
	}
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
	return l->have[DB_LIVE_CUSTOMERS] ? &l->customers : NULL;
}

const struct project_list *db_live_projects(const struct db_live *l)
{
	return l->have[DB_LIVE_PROJECTS] ? &l->projects : NULL;
}

const struct offering_list *db_live_offerings(const struct db_live *l)
{
	return l->have[DB_LIVE_OFFERINGS] ? &l->offerings : NULL;
}

void db_live_want_plans(struct db_live *l, const char *slug)
{
	if (!db_valid_dns_label(slug) || strcmp(l->plans_want, slug) == 0)
		return;
	str_copy(l->plans_want, sizeof(l->plans_want), slug);
	if (db_conn_state(l->conn, NULL) == DB_STATE_READY)
		start_load(l, DB_LIVE_PLANS);
}

const struct plan_list *db_live_plans(const struct db_live *l, const char **slug)
{
	if (!l->have[DB_LIVE_PLANS] || !l->plans_slug[0] ||
	    strcmp(l->plans_slug, l->plans_want) != 0)
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
		start_load(l, DB_LIVE_EVENTS);
}

const struct event_list *db_live_events(const struct db_live *l)
{
	return l->have[DB_LIVE_EVENTS] ? &l->events : NULL;
}

const struct store_list *db_live_stores(const struct db_live *l, uint64_t *read_ms)
{
	if (!l->have[DB_LIVE_STORES])
		return NULL;
	if (read_ms)
		*read_ms = l->stores_read_ms;
	return &l->stores;
}

const struct cluster_list *db_live_clusters(const struct db_live *l)
{
	return l->have[DB_LIVE_CLUSTERS] ? &l->clusters : NULL;
}

void db_live_refresh_stores(struct db_live *l)
{
	if (db_conn_state(l->conn, NULL) == DB_STATE_READY) {
		l->stores_full = true;
		mark_dirty(l, DB_LIVE_STORES);
	}
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
