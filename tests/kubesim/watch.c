#include "config.h"

#include "watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fault.h"
#include "kafka.h"
#include "jutil.h"
#include "store.h"

/* A reader hands out at most this much per call, and prepares about as much
 * under the lock before releasing it. */
#define WATCH_BATCH (64 * 1024)

struct watch {
	struct sim *s;
	const struct restype *rt;
	char *ns;
	struct selector sel;
	struct fieldsel fields;
	size_t seq;	  /* next history event to look at */
	uint64_t last_rv; /* what a bookmark may report */
	struct rstr **initial;
	size_t ninit, init_pos;
	bool initial_bookmark; /* sendInitialEvents: a bookmark ends the initial list */
	bool bookmarks;
	int64_t deadline_ms; /* monotonic */
	int64_t started_ms;
	int64_t last_bookmark_ms;
	enum out_fmt fmt;
	char table_version[16];
	char *include;
	char *path;
	bool cols_sent;
	struct buf pending;
	long lines;
	uint64_t gone_rv; /* nonzero: answer 410 for this rv, then end */
	bool done;
};

static bool matches(const struct watch *w, const char *ns, const json_t *labels,
		    const json_t *fields)
{
	if (w->ns && w->rt->namespaced && strcmp(ns, w->ns) != 0)
		return false;
	if (w->sel.n && !selector_match(&w->sel, labels))
		return false;
	return w->fields.n == 0 || fieldsel_match(&w->fields, fields);
}

struct watch *watch_open(struct sim *s, struct watch_params *p, struct apierr *e)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	uint64_t from;

	(void)e;
	w->s = s;
	w->rt = p->rt;
	w->ns = p->ns ? xstrdup(p->ns) : NULL;
	w->sel = p->sel;
	w->fields = p->fields;
	memset(&p->sel, 0, sizeof(p->sel));
	memset(&p->fields, 0, sizeof(p->fields));
	w->bookmarks = p->bookmarks;
	w->started_ms = sim_mono_ms();
	w->last_bookmark_ms = w->started_ms;
	/* Without timeoutSeconds the server picks 30 to 60 minutes. */
	w->deadline_ms =
	    w->started_ms + (p->timeout_s > 0 ? p->timeout_s * 1000L
					      : (1800L + (long)(sim_rand(s) % 1800)) * 1000L);
	w->fmt = p->fmt;
	snprintf(w->table_version, sizeof(w->table_version), "%s",
		 p->table_version ? p->table_version : "v1");
	w->include = p->include ? xstrdup(p->include) : NULL;
	w->path = xstrdup(p->path ? p->path : "");
	from = p->rv_set ? p->rv : store_rv(s->store);
	if (p->rv_set && from > store_rv(s->store))
		from = store_rv(s->store);
	if (!store_events_after(s->store, from, &w->seq)) {
		w->gone_rv = from;
	} else if (!p->rv_set || p->send_initial) {
		size_t n;
		struct obj *const *objs = store_list(s->store, w->rt, w->ns, &n);

		w->initial = xcalloc(n + 1, sizeof(*w->initial));
		for (size_t i = 0; i < n; i++) {
			if (matches(w, objs[i]->ns, jpath(objs[i]->doc, "metadata.labels"),
				    objs[i]->fields))
				w->initial[w->ninit++] = rstr_ref(objs[i]->json);
		}
		w->initial_bookmark = p->send_initial;
	}
	w->last_rv = from;
	s->stats.watches_open++;
	s->stats.watches_total++;
	return w;
}

static const char *type_name(enum wev_type t)
{
	return t == WEV_ADDED ? "ADDED" : t == WEV_MODIFIED ? "MODIFIED" : "DELETED";
}

static void emit(struct watch *w, const char *type, const char *json, size_t len)
{
	buf_printf(&w->pending, "{\"type\":\"%s\",\"object\":", type);
	if (w->fmt == FMT_JSON && kafka_topic_aside(w->rt)) {
		size_t n;
		char *text = kafka_topic_rewrite(json, len, &n);

		buf_append(&w->pending, text, n);
		free(text);
	} else if (w->fmt == FMT_JSON) {
		buf_append(&w->pending, json, len);
	} else {
		json_t *doc = json_loadb(json, len, 0, NULL), *conv;
		char *text;

		if (!doc)
			fatal("watch: stored object is not JSON");
		if (w->fmt == FMT_TABLE) {
			conv = table_of_doc(w->rt, doc, w->include, w->table_version, sim_wall_ms(),
					    !w->cols_sent);
			w->cols_sent = true;
		} else {
			char av[32];

			conv = table_partial(doc);
			snprintf(av, sizeof(av), "meta.k8s.io/%s", w->table_version);
			json_object_set_new(conv, "apiVersion", json_string(av));
		}
		text = jdump(conv);
		buf_puts(&w->pending, text);
		free(text);
		json_decref(conv);
		json_decref(doc);
	}
	buf_puts(&w->pending, "}\n");
	w->lines++;
}

/* DELETED for an object that no longer matches: its content before the
 * change, at the change's resourceVersion (what the real server sends). */
static void emit_stopped_matching(struct watch *w, const struct wevent *ev)
{
	json_t *doc = json_loadb(ev->prev_json->data, ev->prev_json->len, 0, NULL);
	char rv[32];
	char *text;

	if (!doc)
		fatal("watch: stored object is not JSON");
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)ev->rv);
	json_object_set_new(jobj(doc, "metadata"), "resourceVersion", json_string(rv));
	text = jdump(doc);
	emit(w, "DELETED", text, strlen(text));
	free(text);
	json_decref(doc);
}

static void emit_bookmark(struct watch *w, uint64_t rv, bool initial_end)
{
	buf_printf(&w->pending,
		   "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\","
		   "\"metadata\":{\"resourceVersion\":\"%llu\",\"creationTimestamp\":null%s}}}\n",
		   w->rt->kind, w->rt->api_version, (unsigned long long)rv,
		   initial_end ? ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}" : "");
	w->last_bookmark_ms = sim_mono_ms();
	/* a line like any other for dropAfterLines: a quiet stream that only
	 * sends bookmarks must still drop once the fault is set */
	w->lines++;
}

static void emit_gone(struct watch *w, uint64_t rv, uint64_t oldest)
{
	buf_printf(&w->pending,
		   "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
		   "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: "
		   "%llu (%llu)\",\"reason\":\"Expired\",\"code\":410}}\n",
		   (unsigned long long)rv, (unsigned long long)oldest);
	w->lines++;
	w->done = true;
}

/* Fills w->pending with whatever is ready (lock held). */
static void collect(struct watch *w)
{
	struct store *st = w->s->store;

	if (w->gone_rv) {
		emit_gone(w, w->gone_rv, store_resumable_rv(st) + 1);
		return;
	}
	while (w->init_pos < w->ninit && w->pending.len < WATCH_BATCH) {
		struct rstr *r = w->initial[w->init_pos];

		emit(w, "ADDED", r->data, r->len);
		rstr_unref(r);
		w->initial[w->init_pos++] = NULL;
	}
	if (w->init_pos < w->ninit)
		return;
	if (w->initial_bookmark) {
		emit_bookmark(w, w->last_rv, true);
		w->initial_bookmark = false;
	}
	if (w->seq < store_first_seq(st)) {
		/* This watcher fell behind the history it could resume from. */
		emit_gone(w, w->last_rv, store_resumable_rv(st) + 1);
		return;
	}
	while (w->pending.len < WATCH_BATCH) {
		const struct wevent *ev = store_event(st, w->seq);
		bool now, was;

		if (!ev)
			break;
		w->seq++;
		w->last_rv = ev->rv;
		if (ev->rt != w->rt)
			continue;
		now = matches(w, ev->ns, ev->labels, ev->fields);
		if (ev->type != WEV_MODIFIED || !ev->has_prev) {
			if (now)
				emit(w, type_name(ev->type), ev->json->data, ev->json->len);
			continue;
		}
		/* as the real watch cache: an object that starts matching the
		 * selectors is ADDED, one that stops is DELETED */
		was = matches(w, ev->ns, ev->prev_labels, ev->prev_fields);
		if (now)
			emit(w, was ? "MODIFIED" : "ADDED", ev->json->data, ev->json->len);
		else if (was)
			emit_stopped_matching(w, ev);
	}
}

ssize_t watch_read(struct watch *w, char *buf, size_t max)
{
	struct sim *s = w->s;
	size_t n;

	if (w->pending.len == 0 && !w->done) {
		pthread_mutex_lock(&s->lock);
		for (;;) {
			int64_t now = sim_mono_ms(), wait;

			if (atomic_load(&s->stopping)) {
				w->done = true;
				break;
			}
			if (fault_drop_stream(s, w->path, w->lines, w->started_ms)) {
				s->stats.streams_dropped++;
				pthread_mutex_unlock(&s->lock);
				return -1;
			}
			collect(w);
			if (w->pending.len || w->done)
				break;
			if (now >= w->deadline_ms) {
				w->done = true;
				break;
			}
			if (w->bookmarks && now - w->last_bookmark_ms >= s->opt.bookmark_ms) {
				if (store_first_seq(s->store) <= w->seq)
					w->last_rv = store_rv(s->store);
				emit_bookmark(w, w->last_rv, false);
				break;
			}
			wait = w->deadline_ms - now;
			if (w->bookmarks && s->opt.bookmark_ms - (now - w->last_bookmark_ms) < wait)
				wait = s->opt.bookmark_ms - (now - w->last_bookmark_ms);
			if (wait > 500)
				wait = 500;
			sim_wait(s, (long)wait);
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (w->pending.len == 0)
		return 0;
	n = w->pending.len < max ? w->pending.len : max;
	memcpy(buf, w->pending.data, n);
	buf_consume(&w->pending, n);
	return (ssize_t)n;
}

void watch_close(struct watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->s->lock);
	for (size_t i = w->init_pos; i < w->ninit; i++)
		rstr_unref(w->initial[i]);
	w->s->stats.watches_open--;
	pthread_mutex_unlock(&w->s->lock);
	free(w->initial);
	selector_free(&w->sel);
	fieldsel_free(&w->fields);
	buf_free(&w->pending);
	free(w->include);
	free(w->path);
	free(w->ns);
	free(w);
}
