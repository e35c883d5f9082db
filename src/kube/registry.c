#include "config.h"

#include "kube/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kube/kubeconfig.h"
#include "kube/watch.h"

/* More changed keys than this in one turn: subscribers re-read everything,
 * which is cheaper than walking a list as long as the cache. A page of a
 * first list (KUBE_LIST_PAGE objects) fits, so it arrives as keys. */
#define REG_KEYS_MAX 1024

struct reg_context {
	struct reg_context *next;
	struct kube_registry *r;
	char *name;		/* as asked; "" for the current context */
	struct kube_http *http; /* NULL: broken */
	enum kube_cluster_state state;
	char reason[512];
	uint64_t since_ms;
	unsigned recoveries;
	bool was_down; /* unreachable since the last answer */
	struct kube_req *probe;
	struct loop_timer *probe_timer;
	unsigned probe_failures;
	uint64_t probe_delay_ms; /* of the probe probe_timer will start */
};

struct kube_sub {
	struct kube_sub *next;
	struct reg_watch *rw;
	kube_sub_fn fn; /* NULL: let go, swept after the flush */
	void *ud;
	bool want_all; /* its first notice, or a relist it has not been told of */
	bool want_state;
};

struct reg_watch {
	struct reg_watch *next;
	struct kube_registry *r;
	struct reg_context *ctx;
	char *name;
	struct kube_watch *w;
	struct kube_sub *subs;
	size_t nlive;	 /* subscriptions not let go */
	json_t *changed; /* key -> null, this turn's changes */
	bool all, state;
	struct loop_timer *flush;
	int flushing;
};

struct kube_registry {
	struct kube_registry *next; /* the per-loop list */
	struct loop *loop;
	char *kubeconfig;
	int refs;
	int busy;    /* inside a callback: frees are deferred */
	bool doomed; /* the last release came while busy */
	struct reg_context *ctxs;
	struct reg_watch *watches;
	struct observer {
		kube_registry_state_fn fn; /* NULL: removed, swept later */
		void *ud;
	} * obs;
	size_t nobs, capobs;
};

static struct kube_registry *registries;

static void probe_start(struct reg_context *c);
static void watch_destroy(struct reg_watch *rw);

/* ---- lifetime ---- */

struct kube_registry *kube_registry_acquire(struct loop *loop, const char *kubeconfig)
{
	struct kube_registry *r;

	for (r = registries; r; r = r->next) {
		if (r->loop == loop && !r->doomed) {
			r->refs++;
			return r;
		}
	}
	r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->kubeconfig = kubeconfig && kubeconfig[0] ? xstrdup(kubeconfig) : NULL;
	r->refs = 1;
	r->next = registries;
	registries = r;
	return r;
}

static void context_free(struct reg_context *c)
{
	kube_req_cancel(c->probe);
	loop_timer_cancel(c->probe_timer);
	kube_http_free(c->http);
	free(c->name);
	free(c);
}

static void registry_destroy(struct kube_registry *r)
{
	struct kube_registry **pp;

	for (pp = &registries; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	while (r->watches) {
		struct reg_watch *rw = r->watches;

		r->watches = rw->next;
		watch_destroy(rw);
	}
	while (r->ctxs) {
		struct reg_context *c = r->ctxs;

		r->ctxs = c->next;
		context_free(c);
	}
	free(r->obs);
	free(r->kubeconfig);
	free(r);
}

void kube_registry_release(struct kube_registry *r)
{
	if (!r || --r->refs > 0)
		return;
	if (r->busy) {
		r->doomed = true;
		return;
	}
	registry_destroy(r);
}

/* Callbacks run between enter and leave; leave reports false when the
 * registry is gone, and the caller must touch nothing of it after. */
static void enter(struct kube_registry *r)
{
	r->busy++;
}

static bool leave(struct kube_registry *r)
{
	if (--r->busy == 0 && r->doomed) {
		registry_destroy(r);
		return false;
	}
	return true;
}

/* ---- contexts and their states ---- */

const char *kube_cluster_state_name(enum kube_cluster_state s)
{
	switch (s) {
	case KUBE_CLUSTER_CONNECTING:
		return "connecting";
	case KUBE_CLUSTER_OK:
		return "ok";
	case KUBE_CLUSTER_UNREACHABLE:
		return "unreachable";
	case KUBE_CLUSTER_FORBIDDEN:
		return "forbidden";
	case KUBE_CLUSTER_BROKEN:
		return "broken";
	}
	return "?";
}

static void watch_notice(struct reg_watch *rw, bool all);

static void observers_call(struct kube_registry *r, const char *context)
{
	size_t j = 0;

	enter(r);
	/* observers added meanwhile wait for the next change */
	for (size_t i = 0, n = r->nobs; i < n; i++) {
		if (r->obs[i].fn)
			r->obs[i].fn(r->obs[i].ud, context);
		if (r->doomed)
			break;
	}
	if (!leave(r))
		return;
	for (size_t i = 0; i < r->nobs; i++) {
		if (r->obs[i].fn)
			r->obs[j++] = r->obs[i];
	}
	r->nobs = j;
}

static void set_state(struct reg_context *c, enum kube_cluster_state st, const char *reason)
{
	struct kube_registry *r = c->r;
	bool recovered = st == KUBE_CLUSTER_OK && c->was_down;
	char name[256];

	if (st == KUBE_CLUSTER_UNREACHABLE)
		c->was_down = true;
	else if (st == KUBE_CLUSTER_OK)
		c->was_down = false;
	if (c->state == st && strcmp(c->reason, reason) == 0 && !recovered)
		return;
	if (c->state != st)
		c->since_ms = loop_now_ms();
	c->state = st;
	str_copy(c->reason, sizeof(c->reason), reason);
	if (recovered) {
		c->recoveries++;
		/* whatever was cached before the outage may be stale: list
		 * again, and say "not ready" until that is done */
		for (struct reg_watch *rw = r->watches; rw; rw = rw->next) {
			if (rw->ctx == c && rw->w)
				kube_watch_relist(rw->w);
		}
	}
	for (struct reg_watch *rw = r->watches; rw; rw = rw->next) {
		if (rw->ctx == c)
			watch_notice(rw, false);
	}
	str_copy(name, sizeof(name), c->name);
	observers_call(r, name);
}

static void probe_schedule(struct reg_context *c, uint64_t delay_ms);

static void probe_timer_fired(struct loop *loop, void *ud)
{
	struct reg_context *c = ud;

	(void)loop;
	c->probe_timer = NULL;
	c->probe_delay_ms = 0; /* none scheduled while this one runs */
	probe_start(c);
}

static void probe_schedule(struct reg_context *c, uint64_t delay_ms)
{
	loop_timer_cancel(c->probe_timer);
	c->probe_timer = loop_timer_add(c->r->loop, delay_ms, 0, probe_timer_fired, c);
	c->probe_delay_ms = delay_ms;
}

static uint64_t probe_backoff(const struct reg_context *c)
{
	uint64_t d = KUBE_REG_PROBE_BASE_MS;

	for (unsigned i = 1; i < c->probe_failures && d < KUBE_REG_PROBE_CAP_MS; i++)
		d *= 2;
	return d < KUBE_REG_PROBE_CAP_MS ? d : KUBE_REG_PROBE_CAP_MS;
}

static void probe_done(struct kube_response *resp, void *ud)
{
	struct reg_context *c = ud;
	struct kube_registry *r = c->r;
	struct err e = {{0}};
	char why[600];

	c->probe = NULL;
	enter(r);
	if (err_isset(&resp->err) || resp->status == 0 || resp->status == 502 ||
	    resp->status == 503 || resp->status == 504) {
		/* no answer, or a proxy saying the server behind it is gone */
		if (err_isset(&resp->err))
			str_copy(why, sizeof(why), resp->err.msg);
		else
			snprintf(why, sizeof(why), "the server answers %ld", resp->status);
		c->probe_failures++;
		probe_schedule(c, probe_backoff(c));
		set_state(c, KUBE_CLUSTER_UNREACHABLE, why);
	} else if (resp->status == 401) {
		kube_error_describe(resp->status, resp->body, resp->body_len, &e);
		c->probe_failures++;
		probe_schedule(c, probe_backoff(c));
		set_state(c, KUBE_CLUSTER_FORBIDDEN, e.msg);
	} else {
		/* any other answer (403 included) says the server is there */
		c->probe_failures = 0;
		probe_schedule(c, KUBE_REG_PROBE_OK_MS);
		set_state(c, KUBE_CLUSTER_OK, "");
	}
	leave(r);
}

static void probe_start(struct reg_context *c)
{
	struct kube_request rq = {.method = "GET",
				  .path = "/version",
				  .timeout_ms = KUBE_REG_PROBE_TIMEOUT_MS,
				  .retries = 0};
	struct err e = {{0}};

	if (c->probe || !c->http)
		return;
	loop_timer_cancel(c->probe_timer);
	c->probe_timer = NULL;
	c->probe = kube_http_request(c->http, &rq, probe_done, c, &e);
	if (!c->probe) {
		c->probe_failures++;
		probe_schedule(c, probe_backoff(c));
	}
}

/* Probes now unless a probe is under way: a watch lost its server. */
static void probe_soon(struct reg_context *c)
{
	if (!c->probe && c->http)
		probe_schedule(c, 0);
}

static struct reg_context *context_find(struct kube_registry *r, const char *name)
{
	for (struct reg_context *c = r->ctxs; c; c = c->next) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* The context, made on first use; a context whose kubeconfig fails is kept
 * as broken, so the error is said once and not retried at every call. */
static struct reg_context *context_get(struct kube_registry *r, const char *context)
{
	const char *name = context ? context : "";
	struct reg_context *c = context_find(r, name);
	struct kubeconfig_opts ko = {0};
	struct kube_config *cfg;
	struct err e = {{0}};

	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->r = r;
	c->name = xstrdup(name);
	c->since_ms = loop_now_ms();
	c->next = r->ctxs;
	r->ctxs = c;
	ko.path = r->kubeconfig;
	ko.context = context && context[0] ? context : NULL;
	cfg = kubeconfig_load(&ko, &e);
	if (cfg)
		c->http = kube_http_new(r->loop, cfg, &e);
	if (!c->http) {
		c->state = KUBE_CLUSTER_BROKEN;
		str_copy(c->reason, sizeof(c->reason), e.msg);
		return c;
	}
	probe_schedule(c, 0);
	return c;
}

struct kube_http *kube_registry_client(struct kube_registry *r, const char *context,
				       struct err *err)
{
	struct reg_context *c = context_get(r, context);

	if (!c->http)
		err_set(err, "%s", c->reason);
	return c->http;
}

struct kube_http *kube_registry_http_for(void *registry, const char *context, struct err *err)
{
	return kube_registry_client(registry, context, err);
}

void kube_registry_status(struct kube_registry *r, const char *context,
			  struct kube_cluster_status *out)
{
	const struct reg_context *c = context_get(r, context);

	out->state = c->state;
	out->reason = c->reason;
	out->since_ms = c->since_ms;
	out->recoveries = c->recoveries;
	out->probe_delay_ms = c->probe_delay_ms;
}

size_t kube_registry_nclients(const struct kube_registry *r)
{
	size_t n = 0;

	for (const struct reg_context *c = r->ctxs; c; c = c->next)
		n += c->http != NULL;
	return n;
}

void kube_registry_observe(struct kube_registry *r, kube_registry_state_fn fn, void *ud)
{
	r->obs = xgrow(r->obs, &r->capobs, r->nobs + 1, sizeof(*r->obs));
	r->obs[r->nobs].fn = fn;
	r->obs[r->nobs].ud = ud;
	r->nobs++;
}

void kube_registry_unobserve(struct kube_registry *r, kube_registry_state_fn fn, void *ud)
{
	for (size_t i = 0; i < r->nobs; i++) {
		if (r->obs[i].fn == fn && r->obs[i].ud == ud)
			r->obs[i].fn = NULL;
	}
}

/* ---- shared watches ---- */

static void flush_fired(struct loop *loop, void *ud);

/* Something changed: tell the subscribers once this loop turn is over. */
static void watch_notice(struct reg_watch *rw, bool all)
{
	if (all) {
		rw->all = true;
		json_object_clear(rw->changed);
	} else {
		rw->state = true;
	}
	if (!rw->flush)
		rw->flush = loop_timer_add(rw->r->loop, 0, 0, flush_fired, rw);
}

static void watch_changed(struct kube_watch *w, enum kube_watch_event ev, const char *key,
			  json_t *obj, void *ud)
{
	struct reg_watch *rw = ud;

	(void)obj;
	switch (ev) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
	case KUBE_WATCH_DELETED:
		if (rw->all)
			break;
		if (json_object_size(rw->changed) >= REG_KEYS_MAX) {
			watch_notice(rw, true);
			break;
		}
		json_object_set_new(rw->changed, key, json_null());
		if (!rw->flush)
			rw->flush = loop_timer_add(rw->r->loop, 0, 0, flush_fired, rw);
		break;
	case KUBE_WATCH_SYNCED:
		watch_notice(rw, true);
		break;
	case KUBE_WATCH_ERROR:
		watch_notice(rw, false);
		/* no answer at all: is the whole cluster gone? */
		if (kube_watch_error(w)[0] && kube_watch_error_status(w) == 0)
			probe_soon(rw->ctx);
		break;
	}
}

static void watch_destroy(struct reg_watch *rw)
{
	kube_watch_free(rw->w);
	loop_timer_cancel(rw->flush);
	while (rw->subs) {
		struct kube_sub *s = rw->subs;

		rw->subs = s->next;
		free(s);
	}
	json_decref(rw->changed);
	free(rw->name);
	free(rw);
}

/* Frees subscriptions let go, and the watch when nobody is left. */
static void watch_sweep(struct reg_watch *rw)
{
	struct kube_sub **pp = &rw->subs;
	struct kube_registry *r = rw->r;

	while (*pp) {
		struct kube_sub *s = *pp;

		if (s->fn) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		free(s);
	}
	if (rw->subs)
		return;
	for (struct reg_watch **wp = &r->watches; *wp; wp = &(*wp)->next) {
		if (*wp == rw) {
			*wp = rw->next;
			break;
		}
	}
	watch_destroy(rw);
}

static void flush_fired(struct loop *loop, void *ud)
{
	struct reg_watch *rw = ud;
	struct kube_registry *r = rw->r;
	const char **keys = NULL;
	size_t nkeys = 0;
	bool all = rw->all, state = rw->state;
	json_t *changed = rw->changed;
	const char *key;
	json_t *v;

	(void)loop;
	rw->flush = NULL;
	rw->all = rw->state = false;
	/* the set is handed over: changes arriving during the calls start a
	 * new one and a new flush */
	rw->changed = json_object();
	if (!all && json_object_size(changed)) {
		keys = xmalloc(json_object_size(changed) * sizeof(*keys));
		json_object_foreach(changed, key, v) keys[nkeys++] = key;
	}
	enter(r);
	rw->flushing++;
	for (struct kube_sub *s = rw->subs; s && !r->doomed; s = s->next) {
		struct kube_changes ch = {.all = all || s->want_all,
					  .state = state || s->want_state,
					  .keys = keys,
					  .nkeys = nkeys};

		if (!s->fn || (!ch.all && !ch.state && !ch.nkeys))
			continue;
		if (ch.all)
			ch.nkeys = 0;
		s->want_all = s->want_state = false;
		s->fn(s, &ch, s->ud);
	}
	rw->flushing--;
	free(keys);
	json_decref(changed);
	if (!leave(r))
		return;
	if (!rw->flushing)
		watch_sweep(rw);
}

static void watch_name(struct buf *b, const char *context, const struct kube_resource *res,
		       const char *ns, const char *sel, const char *const *fields)
{
	/* \x1f cannot appear in a context, a kind, a namespace or a selector
	 * the API accepts, so two different watches never share a name */
	buf_printf(b, "%s\x1f%s/%s/%s\x1f%s\x1f%s", context ? context : "", res->group,
		   res->version, res->plural, ns ? ns : "", sel ? sel : "");
	/* a cache of some fields (even of none) is another watch than one of
	 * whole objects */
	if (fields)
		buf_puts(b, "\x1f" "fields");
	for (size_t i = 0; fields && fields[i]; i++)
		buf_printf(b, "%c%s", i ? ',' : ':', fields[i]);
}

struct kube_sub *kube_registry_subscribe(struct kube_registry *r, const char *context,
					 const struct kube_resource *res, const char *ns,
					 const char *label_selector, const char *const *fields,
					 kube_sub_fn fn, void *ud, struct err *err)
{
	struct reg_context *c = context_get(r, context);
	struct buf name = BUF_INIT;
	struct reg_watch *rw;
	struct kube_sub *s;

	if (!c->http) {
		err_set(err, "%s", c->reason);
		return NULL;
	}
	if (label_selector && !label_selector[0])
		label_selector = NULL;
	watch_name(&name, c->name, res, ns, label_selector, fields);
	for (rw = r->watches; rw; rw = rw->next) {
		if (strcmp(rw->name, buf_str(&name)) == 0)
			break;
	}
	if (!rw) {
		struct kube_watch_opts wo = {.label_selector = label_selector,
					     .fields = fields,
					     /* a cluster that comes back is seen by the
					      * probe; the watch follows at the same pace */
					     .backoff_cap_ms = KUBE_REG_PROBE_CAP_MS};

		rw = xcalloc(1, sizeof(*rw));
		rw->r = r;
		rw->ctx = c;
		rw->changed = json_object();
		rw->w = kube_watch_new(c->http, res, ns, &wo, watch_changed, rw, err);
		if (!rw->w) {
			json_decref(rw->changed);
			free(rw);
			buf_free(&name);
			return NULL;
		}
		rw->name = buf_steal(&name);
		rw->next = r->watches;
		r->watches = rw;
	}
	buf_free(&name);
	s = xcalloc(1, sizeof(*s));
	s->rw = rw;
	s->fn = fn;
	s->ud = ud;
	s->next = rw->subs;
	rw->subs = s;
	rw->nlive++;
	/* a watch already listed (or part way through its first list) has
	 * news for this one at once */
	if (kube_watch_synced(rw->w) || kube_watch_error(rw->w)[0] ||
	    kube_watch_partial(rw->w)) {
		s->want_all = true;
		if (!rw->flush)
			rw->flush = loop_timer_add(r->loop, 0, 0, flush_fired, rw);
	}
	return s;
}

void kube_sub_free(struct kube_sub *s)
{
	struct reg_watch *rw;

	if (!s || !s->fn)
		return;
	rw = s->rw;
	s->fn = NULL;
	rw->nlive--;
	if (!rw->flushing && !rw->r->busy)
		watch_sweep(rw);
	else if (!rw->flush)
		/* swept once the callbacks under way are over */
		rw->flush = loop_timer_add(rw->r->loop, 0, 0, flush_fired, rw);
}

bool kube_sub_ready(const struct kube_sub *s)
{
	const struct reg_watch *rw = s->rw;

	return kube_watch_synced(rw->w) && !kube_watch_error(rw->w)[0] &&
	       rw->ctx->state != KUBE_CLUSTER_UNREACHABLE;
}

bool kube_sub_partial(const struct kube_sub *s)
{
	const struct reg_watch *rw = s->rw;

	return kube_watch_partial(rw->w) && rw->ctx->state != KUBE_CLUSTER_UNREACHABLE;
}

const char *kube_sub_problem(const struct kube_sub *s)
{
	const struct reg_watch *rw = s->rw;

	if (rw->ctx->state == KUBE_CLUSTER_UNREACHABLE || rw->ctx->state == KUBE_CLUSTER_FORBIDDEN)
		return rw->ctx->reason;
	return kube_watch_error(rw->w);
}

const json_t *kube_sub_objects(const struct kube_sub *s)
{
	return kube_watch_objects(s->rw->w);
}

json_t *kube_sub_get(const struct kube_sub *s, const char *key)
{
	return kube_watch_get(s->rw->w, key);
}

size_t kube_sub_count(const struct kube_sub *s)
{
	return kube_watch_count(s->rw->w);
}

const char *kube_sub_context(const struct kube_sub *s)
{
	return s->rw->ctx->name;
}

size_t kube_registry_nwatches(const struct kube_registry *r)
{
	size_t n = 0;

	for (const struct reg_watch *rw = r->watches; rw; rw = rw->next)
		n++;
	return n;
}
