#include "config.h"

#include "kube/watch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define WATCH_HEADERS_TIMEOUT_MS 30000
/* a stream that ends sooner than this without an event counts as a failure,
 * so a server that closes at once is not hammered */
#define WATCH_MIN_HEALTHY_MS 1000
/* an API server sends a bookmark about once a minute on a quiet watch: a
 * watch silent for longer than two of those is stalled, so resume it */
#define WATCH_STALL_MS 150000

enum watch_state { W_IDLE, W_LISTING, W_WATCHING, W_WAITING };

struct kube_watch {
	struct kube_http *h;
	const struct kube_resource *res;
	char *ns;
	char *label_selector, *field_selector;
	long timeout_s, base_ms, cap_ms, page;
	char **fields; /* a copy of opts->fields, or NULL */
	kube_watch_fn fn;
	void *ud;

	enum watch_state state;
	struct kube_op *list_op;
	struct kube_req *watch_req;
	struct loop_timer *timer;
	bool next_is_list; /* what the timer starts */

	json_t *objects;
	char *rv;
	bool synced;
	bool partial; /* the first list, its pages shown as they come */
	char error[512];
	long error_status; /* HTTP status of the last error; 0: no answer */
	unsigned failures;
	unsigned lists, watches;
	uint64_t watch_started;
	bool watch_had_event;
	bool stream_broken; /* a line we could not use: reconnect */

	int in_cb;
	bool dead;
	uint64_t rng;
};

static void start_list(struct kube_watch *w);
static void start_watch(struct kube_watch *w);
static void fields_free(char **fields);

/* ---- lifetime and callbacks ---- */

static void stop_all(struct kube_watch *w)
{
	kube_op_cancel(w->list_op);
	w->list_op = NULL;
	w->partial = false;
	kube_req_cancel(w->watch_req);
	w->watch_req = NULL;
	loop_timer_cancel(w->timer);
	w->timer = NULL;
	w->state = W_IDLE;
}

static void destroy(struct kube_watch *w)
{
	stop_all(w);
	json_decref(w->objects);
	free(w->ns);
	free(w->label_selector);
	free(w->field_selector);
	fields_free(w->fields);
	free(w->rv);
	free(w);
}

void kube_watch_free(struct kube_watch *w)
{
	if (!w)
		return;
	if (w->in_cb) {
		/* freed by emit() once the callback returns */
		stop_all(w);
		w->dead = true;
		return;
	}
	destroy(w);
}

/* Calls the change function; false if it freed the watch, which is then
 * gone: the caller must return at once. */
static bool emit(struct kube_watch *w, enum kube_watch_event ev, const char *key, json_t *obj)
{
	if (!w->fn)
		return true;
	w->in_cb++;
	w->fn(w, ev, key, obj, w->ud);
	w->in_cb--;
	if (w->dead && !w->in_cb) {
		destroy(w);
		return false;
	}
	return !w->dead;
}

static bool set_error(struct kube_watch *w, const char *msg)
{
	char cut[sizeof(w->error)];

	/* compared as it will be stored, so a long message is not reported twice */
	str_copy(cut, sizeof(cut), msg);
	if (strcmp(w->error, cut) == 0)
		return true;
	str_copy(w->error, sizeof(w->error), cut);
	return emit(w, KUBE_WATCH_ERROR, NULL, NULL);
}

/* An error with the HTTP status it came with (0: no answer at all). */
static bool set_error_status(struct kube_watch *w, const char *msg, long status)
{
	w->error_status = msg[0] ? status : 0;
	return set_error(w, msg);
}

static uint64_t rng_next(struct kube_watch *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ull;
}

static long backoff_ms(struct kube_watch *w)
{
	long d = w->base_ms;

	if (w->failures == 0)
		return 0;
	for (unsigned i = 1; i < w->failures && d < w->cap_ms; i++)
		d *= 2;
	if (d > w->cap_ms)
		d = w->cap_ms;
	return d - d / 4 + (long)(rng_next(w) % (uint64_t)(d / 2 + 1));
}

static void on_timer(struct loop *loop, void *ud)
{
	struct kube_watch *w = ud;

	(void)loop;
	w->timer = NULL;
	if (w->next_is_list)
		start_list(w);
	else
		start_watch(w);
}

/* Lists or watches again after the backoff the failures so far call for. */
static void schedule(struct kube_watch *w, bool list)
{
	long d = backoff_ms(w);

	w->state = W_WAITING;
	w->next_is_list = list;
	loop_timer_cancel(w->timer);
	w->timer = loop_timer_add(kube_http_loop(w->h), (uint64_t)d, 0, on_timer, w);
}

/* ---- keys ---- */

static bool object_key(const struct kube_watch *w, json_t *obj, char *out, size_t outsz)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *ns = json_string_value(json_object_get(meta, "namespace"));

	if (!name || !name[0])
		return false;
	if (!w->ns && w->res->namespaced)
		return snprintf(out, outsz, "%s/%s", ns ? ns : "", name) < (int)outsz;
	return snprintf(out, outsz, "%s", name) < (int)outsz;
}

#define FIELD_PATH_MAX 256

static char **fields_copy(const char *const *fields)
{
	size_t n = 0;
	char **copy;

	if (!fields)
		return NULL;
	while (fields[n])
		n++;
	copy = xcalloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(fields[i]);
	return copy;
}

static void fields_free(char **fields)
{
	for (size_t i = 0; fields && fields[i]; i++)
		free(fields[i]);
	free(fields);
}

static const char *const always_kept[] = {"metadata.name", "metadata.namespace",
					  "metadata.resourceVersion", NULL};

/* How path (dotted) relates to the field at full: 2 it names it, 1 it
 * names something inside it, 0 neither. */
static int path_covers(const char *const *paths, const char *full, size_t len)
{
	int best = 0;

	for (size_t i = 0; paths[i]; i++) {
		if (strncmp(paths[i], full, len) != 0)
			continue;
		if (paths[i][len] == '\0')
			return 2;
		if (paths[i][len] == '.')
			best = 1;
	}
	return best;
}

/* Deletes from obj (found at the dotted path full[0..len)) every field
 * that no kept path names or leads to. */
static void trim(const struct kube_watch *w, json_t *obj, char *full, size_t len, size_t cap)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(obj, tmp, key, v)
	{
		size_t klen = strlen(key), n = len ? len + 1 + klen : klen;
		int cover;

		if (n >= cap) {
			json_object_del(obj, key);
			continue;
		}
		if (len)
			full[len] = '.';
		memcpy(full + (len ? len + 1 : 0), key, klen + 1);
		cover = path_covers((const char *const *)w->fields, full, n);
		if (cover < 2) {
			int also = path_covers(always_kept, full, n);

			cover = also > cover ? also : cover;
		}
		if (cover == 1 && json_is_object(v))
			trim(w, v, full, n, cap);
		else if (cover != 2)
			json_object_del(obj, key);
		full[len] = '\0';
	}
}

/* What the cache keeps of an object: the fields asked for, or all but
 * managedFields -- often most of an object, never read. */
static void slim(const struct kube_watch *w, json_t *obj)
{
	char full[FIELD_PATH_MAX];

	if (!w->fields) {
		json_object_del(json_object_get(obj, "metadata"), "managedFields");
		return;
	}
	full[0] = '\0';
	trim(w, obj, full, 0, sizeof(full));
}

static const char *object_rv(json_t *obj)
{
	return json_string_value(
	    json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

/* resourceVersions are opaque, but every server opsdeck knows (etcd's
 * revisions, kubesim's counter) writes them as growing integers. One that
 * goes backwards means the server's history was replaced (a restored etcd,
 * a restarted simulator): nothing cached from before can be trusted. */
static bool rv_went_back(const char *prev, const char *next)
{
	char *end1, *end2;
	unsigned long long a, b;

	if (!prev || !next || !prev[0] || !next[0])
		return false;
	a = strtoull(prev, &end1, 10);
	b = strtoull(next, &end2, 10);
	return !*end1 && !*end2 && b < a;
}

static void set_rv(struct kube_watch *w, const char *rv)
{
	if (!rv || !rv[0])
		return;
	free(w->rv);
	w->rv = xstrdup(rv);
}

/* ---- list ---- */

/* A page of a list as it arrives. Its objects are trimmed at once, so a
 * long list never holds whole objects until its end. On a first list
 * (nothing cached before it) they are also added and emitted: they are
 * current, so a view can show them before the list is whole, and
 * list_done then finds them unchanged. */
static void list_page(json_t *items, void *ud)
{
	struct kube_watch *w = ud;
	const struct kube_op *op = w->list_op;
	size_t i;
	json_t *obj;
	char k[600];

	json_array_foreach(items, i, obj)
	{
		if (json_is_object(obj))
			slim(w, obj);
	}
	if (!w->partial)
		return;
	/* an earlier attempt's failure: this one's data is coming now */
	if (w->error[0] && (!set_error_status(w, "", 0) || w->list_op != op))
		return;
	json_array_foreach(items, i, obj)
	{
		json_t *had;

		if (!json_is_object(obj) || !object_key(w, obj, k, sizeof(k)))
			continue;
		had = json_object_get(w->objects, k);
		if (had == obj)
			continue;
		json_object_set(w->objects, k, obj);
		/* gone, or this list stopped (a relist, a free) from the callback */
		if (!emit(w, had ? KUBE_WATCH_MODIFIED : KUBE_WATCH_ADDED, k, obj) ||
		    w->list_op != op)
			return;
	}
}

static void list_done(const struct kube_result *res, void *ud)
{
	struct kube_watch *w = ud;
	json_t *items, *old, *fresh;
	size_t i;
	json_t *obj;
	const char *key;
	char k[600];

	w->list_op = NULL;
	w->partial = false;
	if (!kube_result_ok(res)) {
		char msg[600];

		w->failures++;
		snprintf(msg, sizeof(msg), "listing %s: %s", w->res->plural, res->err.msg);
		if (!set_error_status(w, msg, res->status))
			return;
		schedule(w, true);
		return;
	}
	items = json_object_get(res->obj, "items");
	fresh = json_object();
	json_array_foreach(items, i, obj)
	{
		if (json_is_object(obj) && object_key(w, obj, k, sizeof(k))) {
			slim(w, obj);
			json_object_set(fresh, k, obj);
		}
	}
	old = w->objects;
	w->objects = fresh;
	set_rv(w, json_string_value(
		      json_object_get(json_object_get(res->obj, "metadata"), "resourceVersion")));
	w->synced = true;
	if (!set_error(w, "")) {
		json_decref(old);
		return;
	}

	/* report the difference from what we had; keep old alive meanwhile */
	json_object_foreach(fresh, key, obj)
	{
		json_t *before = json_object_get(old, key);
		const char *rv_new = object_rv(obj), *rv_old = before ? object_rv(before) : NULL;
		bool ok = true;

		if (!before)
			ok = emit(w, KUBE_WATCH_ADDED, key, obj);
		else if (!rv_new || !rv_old || strcmp(rv_new, rv_old) != 0)
			ok = emit(w, KUBE_WATCH_MODIFIED, key, obj);
		if (!ok) {
			json_decref(old);
			return;
		}
	}
	json_object_foreach(old, key, obj)
	{
		if (!json_object_get(w->objects, key) && !emit(w, KUBE_WATCH_DELETED, key, obj)) {
			json_decref(old);
			return;
		}
	}
	json_decref(old);
	if (!emit(w, KUBE_WATCH_SYNCED, NULL, NULL))
		return;
	start_watch(w);
}

static void start_list(struct kube_watch *w)
{
	struct kube_list_opts o = {.label_selector = w->label_selector,
				   .field_selector = w->field_selector,
				   .limit = w->page};
	struct err e = {{0}};

	o.page_fn = list_page;
	w->partial = !w->synced && json_object_size(w->objects) == 0;
	w->lists++;
	w->state = W_LISTING;
	w->list_op = kube_list(w->h, w->res, w->ns, &o, list_done, w, &e);
	if (!w->list_op) {
		/* the arguments were checked in kube_watch_new: not expected */
		w->failures++;
		if (set_error(w, e.msg))
			schedule(w, true);
	}
}

/* ---- watch ---- */

static void watch_event(struct kube_watch *w, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *ev = json_loadb(line, len, 0, &jerr);
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *obj = json_object_get(ev, "object");
	char k[600];

	if (!type || !json_is_object(obj)) {
		json_decref(ev);
		w->stream_broken = true;
		return;
	}
	if (strcmp(type, "ERROR") == 0) {
		long code = (long)json_integer_value(json_object_get(obj, "code"));
		const char *msg = json_string_value(json_object_get(obj, "message"));
		char text[600], said[500];

		kube_req_cancel(w->watch_req);
		w->watch_req = NULL;
		w->failures++;
		/* the server's words reach the screen: no control characters */
		str_copy_clean(said, sizeof(said),
			       msg ? msg : "the server ended the watch with an error");
		snprintf(text, sizeof(text), "watching %s: %s", w->res->plural, said);
		json_decref(ev);
		if (code != 410 && !set_error_status(w, text, code))
			return;
		/* 410: the history is gone, list again. Anything else: the
		 * reflector's answer too, after a backoff. */
		schedule(w, true);
		if (code == 410 && w->failures == 1)
			loop_timer_reset(w->timer, 0);
		return;
	}
	if (rv_went_back(w->rv, object_rv(obj))) {
		/* the server's history is not the one we cached from */
		json_decref(ev);
		kube_watch_relist(w);
		return;
	}
	if (strcmp(type, "BOOKMARK") == 0) {
		set_rv(w, object_rv(obj));
		w->watch_had_event = true;
		w->failures = 0;
		json_decref(ev);
		/* a quiet resource may see nothing but bookmarks for minutes:
		 * one is enough to say the watch works again */
		if (w->error[0])
			set_error(w, "");
		return;
	}
	if (!object_key(w, obj, k, sizeof(k))) {
		json_decref(ev);
		return;
	}
	slim(w, obj);
	set_rv(w, object_rv(obj));
	w->watch_had_event = true;
	w->failures = 0;
	if (w->error[0] && !set_error(w, "")) {
		json_decref(ev);
		return;
	}
	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
		bool had = json_object_get(w->objects, k) != NULL;

		json_object_set(w->objects, k, obj);
		/* an ADDED for a known object (a replay) is a modification */
		emit(w, had ? KUBE_WATCH_MODIFIED : KUBE_WATCH_ADDED, k, obj);
	} else if (strcmp(type, "DELETED") == 0 && json_object_get(w->objects, k)) {
		/* one never cached (a replay) has nothing to take away */
		json_incref(obj);
		json_object_del(w->objects, k);
		emit(w, KUBE_WATCH_DELETED, k, obj);
		json_decref(obj);
	}
	json_decref(ev);
}

static void watch_line(const char *line, size_t len, void *ud)
{
	struct kube_watch *w = ud;

	if (len == 0)
		return;
	w->in_cb++;
	watch_event(w, line, len);
	w->in_cb--;
	if (w->dead) {
		if (!w->in_cb)
			destroy(w);
		return;
	}
	if (w->stream_broken && w->watch_req) {
		w->stream_broken = false;
		kube_req_cancel(w->watch_req);
		w->watch_req = NULL;
		w->failures++;
		if (set_error(w, "watching: the server sent an event that is not JSON"))
			schedule(w, false);
	}
}

void kube_watch_feed_line(struct kube_watch *w, const char *line, size_t len)
{
	watch_line(line, len, w);
}

static void watch_done(struct kube_response *resp, void *ud)
{
	struct kube_watch *w = ud;
	uint64_t lasted = loop_now_ms() - w->watch_started;
	char msg[600];

	w->watch_req = NULL;
	if (err_isset(&resp->err)) {
		/* dropped or never answered: resume from the last version */
		w->failures++;
		snprintf(msg, sizeof(msg), "watching %s: %s", w->res->plural, resp->err.msg);
		if (set_error_status(w, msg, 0))
			schedule(w, false);
		return;
	}
	if (resp->status == 410) {
		w->failures++;
		schedule(w, true);
		if (w->failures == 1)
			loop_timer_reset(w->timer, 0);
		return;
	}
	if (resp->status < 200 || resp->status > 299) {
		struct err e = {{0}};

		kube_error_describe(resp->status, resp->body, resp->body_len, &e);
		w->failures++;
		snprintf(msg, sizeof(msg), "watching %s: %s", w->res->plural, e.msg);
		if (set_error_status(w, msg, resp->status))
			schedule(w, false);
		return;
	}
	/* the server ended the watch (timeoutSeconds): go on from where it
	 * stopped, at once unless it ended suspiciously soon */
	if (!w->watch_had_event && lasted < WATCH_MIN_HEALTHY_MS)
		w->failures++;
	schedule(w, false);
}

static void start_watch(struct kube_watch *w)
{
	struct buf path = BUF_INIT;
	struct kube_request rq = {.method = "GET", .retries = 0};
	struct err e = {{0}};
	char num[32];
	long t = w->timeout_s;

	if (!kube_path(&path, w->res, w->ns, NULL, NULL, &e))
		fatal("watch path: %s", e.msg); /* checked in kube_watch_new */
	if (w->label_selector)
		kube_query(&path, "labelSelector", w->label_selector);
	if (w->field_selector)
		kube_query(&path, "fieldSelector", w->field_selector);
	kube_query(&path, "watch", "1");
	if (w->rv)
		kube_query(&path, "resourceVersion", w->rv);
	kube_query(&path, "allowWatchBookmarks", "true");
	if (t <= 0)
		t = 300 + (long)(rng_next(w) % 301);
	snprintf(num, sizeof(num), "%ld", t);
	kube_query(&path, "timeoutSeconds", num);
	rq.path = buf_str(&path);
	rq.on_line = watch_line;
	rq.timeout_ms = WATCH_HEADERS_TIMEOUT_MS;
	/* the server should end it at timeoutSeconds; this ends it if it does
	 * not, or if the connection died without a word */
	rq.stream_max_ms = (t + 30) * 1000;
	rq.stall_ms = WATCH_STALL_MS;
	w->watches++;
	w->watch_had_event = false;
	w->stream_broken = false;
	w->watch_started = loop_now_ms();
	w->state = W_WATCHING;
	w->watch_req = kube_http_request(w->h, &rq, watch_done, w, &e);
	buf_free(&path);
	if (!w->watch_req) {
		w->failures++;
		if (set_error(w, e.msg))
			schedule(w, false);
	}
}

/* ---- public ---- */

struct kube_watch *kube_watch_new(struct kube_http *h, const struct kube_resource *res,
				  const char *ns, const struct kube_watch_opts *opts,
				  kube_watch_fn fn, void *ud, struct err *err)
{
	static const struct kube_watch_opts none = {0};
	struct buf check = BUF_INIT;
	struct kube_watch *w;
	bool ok;

	if (!opts)
		opts = &none;
	ok = kube_path(&check, res, ns, NULL, NULL, err);
	buf_free(&check);
	if (!ok)
		return NULL;
	for (size_t i = 0; opts->fields && opts->fields[i]; i++) {
		/* trim() builds each path in a buffer of FIELD_PATH_MAX */
		if (!opts->fields[i][0] || strlen(opts->fields[i]) >= FIELD_PATH_MAX) {
			err_set(err, "a kept field must be a path of 1 to %d characters",
				FIELD_PATH_MAX - 1);
			return NULL;
		}
	}
	w = xcalloc(1, sizeof(*w));
	w->h = h;
	w->res = res;
	w->ns = ns ? xstrdup(ns) : NULL;
	w->label_selector =
	    opts->label_selector && opts->label_selector[0] ? xstrdup(opts->label_selector) : NULL;
	w->field_selector =
	    opts->field_selector && opts->field_selector[0] ? xstrdup(opts->field_selector) : NULL;
	w->timeout_s = opts->timeout_s;
	w->base_ms = opts->backoff_base_ms > 0 ? opts->backoff_base_ms : 500;
	w->cap_ms = opts->backoff_cap_ms >= w->base_ms ? opts->backoff_cap_ms : 30000;
	if (w->cap_ms < w->base_ms)
		w->cap_ms = w->base_ms;
	w->page = opts->list_page;
	w->fields = fields_copy(opts->fields);
	w->fn = fn;
	w->ud = ud;
	w->objects = json_object();
	w->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)w;
	if (!w->rng)
		w->rng = 1;
	/* from the loop, so that fn never runs before the caller has w */
	schedule(w, true);
	return w;
}

bool kube_watch_synced(const struct kube_watch *w)
{
	return w->synced;
}

bool kube_watch_partial(const struct kube_watch *w)
{
	return w->partial && !w->error[0];
}

json_t *kube_watch_get(const struct kube_watch *w, const char *key)
{
	return json_object_get(w->objects, key);
}

const json_t *kube_watch_objects(const struct kube_watch *w)
{
	return w->objects;
}

size_t kube_watch_count(const struct kube_watch *w)
{
	return json_object_size(w->objects);
}

const char *kube_watch_resource_version(const struct kube_watch *w)
{
	return w->rv ? w->rv : "";
}

const char *kube_watch_error(const struct kube_watch *w)
{
	return w->error;
}

long kube_watch_error_status(const struct kube_watch *w)
{
	return w->error[0] ? w->error_status : 0;
}

void kube_watch_relist(struct kube_watch *w)
{
	stop_all(w);
	w->synced = false;
	w->failures = 0;
	/* from the loop, like the first list: never from inside the caller */
	schedule(w, true);
}

unsigned kube_watch_relists(const struct kube_watch *w)
{
	return w->lists > 0 ? w->lists - 1 : 0;
}

unsigned kube_watch_rewatches(const struct kube_watch *w)
{
	return w->watches > 0 ? w->watches - 1 : 0;
}
