#include "config.h"

#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "jutil.h"
#include "sim.h"
#include "util.h"

struct coll {
	struct obj **items;
	size_t n, cap;
};

struct store {
	struct coll colls[K_COUNT];
	uint64_t rv;
	/* uid -> object, chained */
	struct obj **uid_tab;
	size_t uid_cap, uid_n;
	/* watch history ring */
	struct wevent *ring;
	size_t ring_cap, ring_head, ring_n;
	size_t first_seq;    /* sequence number of ring[ring_head] */
	uint64_t evicted_rv; /* highest rv dropped from the ring */
	store_hook_fn hook;
	void *hook_cls;
};

struct rstr *rstr_ref(struct rstr *r)
{
	r->refs++;
	return r;
}

void rstr_unref(struct rstr *r)
{
	if (r && --r->refs == 0)
		free(r);
}

static struct rstr *rstr_from(const json_t *doc)
{
	char *s = jdump(doc);
	size_t len = strlen(s);
	struct rstr *r = xmalloc(sizeof(*r) + len + 1);

	r->refs = 1;
	r->len = len;
	memcpy(r->data, s, len + 1);
	free(s);
	return r;
}

struct store *store_new(size_t history_cap)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->ring_cap = history_cap ? history_cap : 1;
	st->ring = xcalloc(st->ring_cap, sizeof(*st->ring));
	st->uid_cap = 1024;
	st->uid_tab = xcalloc(st->uid_cap, sizeof(*st->uid_tab));
	return st;
}

static void obj_free(struct obj *o)
{
	if (o->priv && o->priv_free)
		o->priv_free(o->priv);
	json_decref(o->doc);
	json_decref(o->fields);
	rstr_unref(o->json);
	free(o->ns);
	free(o->name);
	free(o);
}

static void wevent_clear(struct wevent *e)
{
	free(e->ns);
	free(e->name);
	json_decref(e->labels);
	json_decref(e->fields);
	rstr_unref(e->json);
	json_decref(e->prev_labels);
	json_decref(e->prev_fields);
	rstr_unref(e->prev_json);
	memset(e, 0, sizeof(*e));
}

void store_free(struct store *st)
{
	if (!st)
		return;
	for (size_t k = 0; k < K_COUNT; k++) {
		for (size_t i = 0; i < st->colls[k].n; i++)
			obj_free(st->colls[k].items[i]);
		free(st->colls[k].items);
	}
	for (size_t i = 0; i < st->ring_n; i++)
		wevent_clear(&st->ring[(st->ring_head + i) % st->ring_cap]);
	free(st->ring);
	free(st->uid_tab);
	free(st);
}

void store_set_hook(struct store *st, store_hook_fn fn, void *cls)
{
	st->hook = fn;
	st->hook_cls = cls;
}

uint64_t store_rv(const struct store *st)
{
	return st->rv;
}

uint64_t store_resumable_rv(const struct store *st)
{
	return st->evicted_rv;
}

static int key_cmp(const char *ns_a, const char *name_a, const char *ns_b, const char *name_b)
{
	int c = strcmp(ns_a, ns_b);

	return c ? c : strcmp(name_a, name_b);
}

/* Index of the first element >= (ns, name). */
static size_t coll_lower(const struct coll *c, const char *ns, const char *name)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(c->items[mid]->ns, c->items[mid]->name, ns, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct obj *store_get(struct store *st, const struct restype *rt, const char *ns, const char *name)
{
	const struct coll *c = &st->colls[rt->id];
	const char *n = rt->namespaced ? (ns ? ns : "") : "";
	size_t i = coll_lower(c, n, name);

	if (i < c->n && key_cmp(c->items[i]->ns, c->items[i]->name, n, name) == 0)
		return c->items[i];
	return NULL;
}

struct obj *const *store_list(struct store *st, const struct restype *rt, const char *ns, size_t *n)
{
	const struct coll *c = &st->colls[rt->id];
	size_t lo, hi;

	if (!ns || !ns[0] || !rt->namespaced) {
		*n = c->n;
		return c->items;
	}
	lo = coll_lower(c, ns, "");
	hi = lo;
	while (hi < c->n && strcmp(c->items[hi]->ns, ns) == 0)
		hi++;
	*n = hi - lo;
	return c->items + lo;
}

size_t store_count(const struct store *st, const struct restype *rt)
{
	return st->colls[rt->id].n;
}

static size_t uid_hash(const char *uid, size_t cap)
{
	return sim_fnv32(uid, strlen(uid)) & (cap - 1);
}

static void uid_insert(struct store *st, struct obj *o)
{
	size_t h;

	if (st->uid_n + 1 > st->uid_cap) {
		size_t ncap = st->uid_cap * 2;
		struct obj **nt = xcalloc(ncap, sizeof(*nt));

		for (size_t i = 0; i < st->uid_cap; i++) {
			struct obj *p = st->uid_tab[i], *next;

			for (; p; p = next) {
				size_t nh = uid_hash(p->uid, ncap);

				next = p->uid_next;
				p->uid_next = nt[nh];
				nt[nh] = p;
			}
		}
		free(st->uid_tab);
		st->uid_tab = nt;
		st->uid_cap = ncap;
	}
	h = uid_hash(o->uid, st->uid_cap);
	o->uid_next = st->uid_tab[h];
	st->uid_tab[h] = o;
	st->uid_n++;
}

static void uid_remove(struct store *st, struct obj *o)
{
	struct obj **pp = &st->uid_tab[uid_hash(o->uid, st->uid_cap)];

	for (; *pp; pp = &(*pp)->uid_next) {
		if (*pp == o) {
			*pp = o->uid_next;
			st->uid_n--;
			return;
		}
	}
}

struct obj *store_by_uid(struct store *st, const char *uid)
{
	struct obj *p;

	if (!uid)
		return NULL;
	for (p = st->uid_tab[uid_hash(uid, st->uid_cap)]; p; p = p->uid_next) {
		if (strcmp(p->uid, uid) == 0)
			return p;
	}
	return NULL;
}

json_t *store_fields_of(const struct restype *rt, const json_t *doc)
{
	json_t *f = json_object();

	json_object_set_new(f, "metadata.name", json_string(jstr(doc, "metadata.name", "")));
	if (rt->namespaced)
		json_object_set_new(f, "metadata.namespace",
				    json_string(jstr(doc, "metadata.namespace", "")));
	for (size_t i = 0; i < ARRAY_LEN(rt->fields) && rt->fields[i]; i++) {
		const char *path =
		    str_eq(rt->fields[i], "source") ? "source.component" : rt->fields[i];
		json_t *v = jpath(doc, path);
		char num[32];

		if (json_is_string(v)) {
			json_object_set_new(f, rt->fields[i], json_string(json_string_value(v)));
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			json_object_set_new(f, rt->fields[i], json_string(num));
		} else {
			json_object_set_new(f, rt->fields[i], json_string(""));
		}
	}
	return f;
}

static void record(struct store *st, struct obj *o, enum wev_type type)
{
	struct wevent *e;
	json_t *labels = jpath(o->doc, "metadata.labels");

	if (st->ring_n == st->ring_cap) {
		struct wevent *old = &st->ring[st->ring_head];

		st->evicted_rv = old->rv;
		wevent_clear(old);
		st->ring_head = (st->ring_head + 1) % st->ring_cap;
		st->ring_n--;
		st->first_seq++;
	}
	e = &st->ring[(st->ring_head + st->ring_n) % st->ring_cap];
	st->ring_n++;
	e->rv = o->rv;
	e->type = type;
	e->rt = o->rt;
	e->ns = xstrdup(o->ns);
	e->name = xstrdup(o->name);
	e->labels = json_is_object(labels) ? json_incref(labels) : NULL;
	e->fields = json_incref(o->fields);
	e->json = rstr_ref(o->json);
}

/* Stamps the resourceVersion and refreshes the cached forms of o. */
static void stamp(struct store *st, struct obj *o, json_t *doc)
{
	char rv[32];

	o->rv = ++st->rv;
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)o->rv);
	json_object_set_new(jobj(doc, "metadata"), "resourceVersion", json_string(rv));
	json_decref(o->doc);
	o->doc = doc;
	rstr_unref(o->json);
	o->json = rstr_from(doc);
	json_decref(o->fields);
	o->fields = store_fields_of(o->rt, doc);
}

struct obj *store_add(struct store *st, const struct restype *rt, json_t *doc)
{
	struct obj *o = xcalloc(1, sizeof(*o));
	struct coll *c = &st->colls[rt->id];
	size_t i;

	o->rt = rt;
	o->name = xstrdup(jstr(doc, "metadata.name", ""));
	o->ns = xstrdup(rt->namespaced ? jstr(doc, "metadata.namespace", "") : "");
	str_copy(o->uid, sizeof(o->uid), jstr(doc, "metadata.uid", ""));
	o->created_ms = sim_wall_ms();
	stamp(st, o, doc);
	i = coll_lower(c, o->ns, o->name);
	c->items = xgrow(c->items, &c->cap, c->n + 1, sizeof(*c->items));
	memmove(c->items + i + 1, c->items + i, (c->n - i) * sizeof(*c->items));
	c->items[i] = o;
	c->n++;
	uid_insert(st, o);
	record(st, o, WEV_ADDED);
	if (st->hook)
		st->hook(st->hook_cls, o, WEV_ADDED);
	return o;
}

void store_update(struct store *st, struct obj *o, json_t *doc)
{
	json_t *labels = jpath(o->doc, "metadata.labels");
	json_t *prev_labels = json_is_object(labels) ? json_incref(labels) : NULL;
	json_t *prev_fields = json_incref(o->fields);
	struct rstr *prev_json = rstr_ref(o->json);
	struct wevent *e;

	stamp(st, o, doc);
	record(st, o, WEV_MODIFIED);
	e = &st->ring[(st->ring_head + st->ring_n - 1) % st->ring_cap];
	e->has_prev = true;
	e->prev_labels = prev_labels;
	e->prev_fields = prev_fields;
	e->prev_json = prev_json;
	if (st->hook)
		st->hook(st->hook_cls, o, WEV_MODIFIED);
}

void store_delete(struct store *st, struct obj *o)
{
	struct coll *c = &st->colls[o->rt->id];
	size_t i = coll_lower(c, o->ns, o->name);

	if (i >= c->n || c->items[i] != o)
		fatal("store: deleting an object that is not stored");
	stamp(st, o, json_deep_copy(o->doc));
	record(st, o, WEV_DELETED);
	if (st->hook)
		st->hook(st->hook_cls, o, WEV_DELETED);
	memmove(c->items + i, c->items + i + 1, (c->n - i - 1) * sizeof(*c->items));
	c->n--;
	uid_remove(st, o);
	obj_free(o);
}

bool store_events_after(const struct store *st, uint64_t after, size_t *seq)
{
	size_t lo = 0, hi = st->ring_n;

	if (after < st->evicted_rv)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->ring[(st->ring_head + mid) % st->ring_cap].rv <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	*seq = st->first_seq + lo;
	return true;
}

const struct wevent *store_event(const struct store *st, size_t seq)
{
	if (seq < st->first_seq || seq >= st->first_seq + st->ring_n)
		return NULL;
	return &st->ring[(st->ring_head + (seq - st->first_seq)) % st->ring_cap];
}

size_t store_first_seq(const struct store *st)
{
	return st->first_seq;
}
