/* The object store: every served object, per resource type, kept sorted by
 * (namespace, name) as etcd keys are, with one global resourceVersion
 * counter and a bounded history of change events for watches.
 *
 * Contract: a stored document is immutable. To change an object, build a new
 * document (json_deep_copy, edit) and hand it to store_update; the store
 * stamps metadata.resourceVersion, serialises it once (lists and watches
 * reuse that text) and records the event. Everything here runs with the
 * simulator lock held. */
#ifndef OPSDECK_KUBESIM_STORE_H
#define OPSDECK_KUBESIM_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "restype.h"

/* A reference-counted, immutable serialisation shared by an object and the
 * watch events that carry it. */
struct rstr {
	size_t refs;
	size_t len;
	char data[];
};
struct rstr *rstr_ref(struct rstr *r);
void rstr_unref(struct rstr *r);

struct obj {
	const struct restype *rt;
	char *ns; /* "" for cluster-scoped objects */
	char *name;
	char uid[37];
	json_t *doc;
	struct rstr *json;
	json_t *fields; /* flat map of field-selector labels to string values */
	uint64_t rv;
	int64_t created_ms;
	/* Controller state that is not part of the API object. */
	void *priv;
	void (*priv_free)(void *);
	struct obj *uid_next;
};

enum wev_type { WEV_ADDED, WEV_MODIFIED, WEV_DELETED };

struct wevent {
	uint64_t rv;
	enum wev_type type;
	const struct restype *rt;
	char *ns, *name;
	json_t *labels; /* may be NULL */
	json_t *fields;
	struct rstr *json;
	/* MODIFIED: the object before the change, so that a watch with a
	 * selector can tell an object that starts or stops matching */
	bool has_prev;
	json_t *prev_labels; /* may be NULL */
	json_t *prev_fields;
	struct rstr *prev_json;
};

struct store;
typedef void (*store_hook_fn)(void *cls, struct obj *o, enum wev_type type);

struct store *store_new(size_t history_cap);
void store_free(struct store *st);
void store_set_hook(struct store *st, store_hook_fn fn, void *cls);

uint64_t store_rv(const struct store *st);
/* Watching is possible from any resourceVersion >= this one. */
uint64_t store_resumable_rv(const struct store *st);

struct obj *store_get(struct store *st, const struct restype *rt, const char *ns, const char *name);
struct obj *store_by_uid(struct store *st, const char *uid);
/* Objects of rt in ns (NULL: every namespace), in key order: a view into
 * the store, valid until the next change. */
struct obj *const *store_list(struct store *st, const struct restype *rt, const char *ns,
			      size_t *n);
size_t store_count(const struct store *st, const struct restype *rt);

/* Takes ownership of doc, which must carry metadata.name (and namespace for
 * namespaced types) and metadata.uid. Returns the new object. */
struct obj *store_add(struct store *st, const struct restype *rt, json_t *doc);
/* Replaces o's document (ownership taken); a new resourceVersion. */
void store_update(struct store *st, struct obj *o, json_t *doc);
/* Removes and frees o; the DELETED event carries its last state with a new
 * resourceVersion. */
void store_delete(struct store *st, struct obj *o);

/* Watch history: index of the first event with rv > after, or false when
 * events after `after` have been discarded (the caller answers 410 Gone). */
bool store_events_after(const struct store *st, uint64_t after, size_t *seq);
/* Event by sequence number (monotonic across the ring); NULL past the end
 * or for an event already discarded (seq < store_first_seq). */
const struct wevent *store_event(const struct store *st, size_t seq);
size_t store_first_seq(const struct store *st);

/* The selectable fields of a document as a flat string map. */
json_t *store_fields_of(const struct restype *rt, const json_t *doc);

#endif
