#include "config.h"

#include "kube/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kube/access.h"
#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "util.h"

enum step { STEP_CONTEXT, STEP_SERVER, STEP_AUTH, STEP_DISCOVERY, STEP_ACCESS, STEP_COUNT };

static const char *const step_names[STEP_COUNT] = {"context", "server", "auth", "discovery",
						   "access"};

/* One group version's discovery document. */
struct gv_fetch {
	struct kube_probe *p;
	char *group, *version;
	struct kube_op *op;
	bool done;
	bool served;	   /* false: 404, the server has no such group version */
	json_t *resources; /* its "resources" array */
	struct err err;	   /* the request failed */
};

/* One access review. */
struct review {
	struct kube_probe *p;
	const struct kube_need *need;
	struct kube_access_op *op;
	bool done;
	bool allowed;
	struct err err;
};

struct kube_probe {
	struct loop *loop;
	char *kubeconfig, *wanted_context, *purpose;
	const struct kube_need *needs;
	size_t nneeds;
	long timeout_ms;
	uint64_t deadline;
	kube_probe_fn done;
	void *ud;

	struct kube_http *h;
	char *context, *server, *user;

	struct kube_probe_finding findings[STEP_COUNT]; /* check NULL: not reached */
	struct kube_probe_finding list[STEP_COUNT];	/* the reached ones, in order */
	size_t nlist;

	struct kube_op *version_op;
	uint64_t version_t0;
	struct kube_access_op *whoami_op;
	struct gv_fetch *gvs;
	size_t ngvs;
	struct review *reviews;
	size_t pending; /* discovery and access requests not answered */

	struct loop_timer *deadline_timer, *finish_timer;
	bool finished;
};

static void add(struct kube_probe *p, enum step s, enum kube_probe_level level, json_t *detail,
		const char *fmt, ...) ATTR_FORMAT(5, 6);

static void add(struct kube_probe *p, enum step s, enum kube_probe_level level, json_t *detail,
		const char *fmt, ...)
{
	struct kube_probe_finding *f = &p->findings[s];
	va_list ap;

	free(f->message);
	json_decref(f->detail);
	f->check = step_names[s];
	f->level = level;
	va_start(ap, fmt);
	f->message = xvasprintf(fmt, ap);
	va_end(ap);
	f->detail = detail;
}

static long remaining_ms(const struct kube_probe *p)
{
	uint64_t now = loop_now_ms();

	return now >= p->deadline ? 1 : (long)(p->deadline - now);
}

static const char *seconds(const struct kube_probe *p, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%ld s", (p->timeout_ms + 999) / 1000);
	return buf;
}

/* ---- the end ---- */

static void cancel_all(struct kube_probe *p)
{
	kube_op_cancel(p->version_op);
	p->version_op = NULL;
	kube_access_cancel(p->whoami_op);
	p->whoami_op = NULL;
	for (size_t i = 0; i < p->ngvs; i++) {
		kube_op_cancel(p->gvs[i].op);
		p->gvs[i].op = NULL;
	}
	for (size_t i = 0; p->reviews && i < p->nneeds; i++) {
		kube_access_cancel(p->reviews[i].op);
		p->reviews[i].op = NULL;
	}
}

static void on_finish(struct loop *loop, void *ud)
{
	struct kube_probe *p = ud;

	(void)loop;
	p->finish_timer = NULL;
	p->done(p, p->ud);
}

/* Stops everything and calls done from a timer of its own: finish may run
 * inside a request's callback, where the client must not be freed. */
static void finish(struct kube_probe *p)
{
	if (p->finished)
		return;
	p->finished = true;
	loop_timer_cancel(p->deadline_timer);
	p->deadline_timer = NULL;
	cancel_all(p);
	p->nlist = 0;
	for (size_t s = 0; s < STEP_COUNT; s++) {
		if (p->findings[s].check)
			p->list[p->nlist++] = p->findings[s];
	}
	p->finish_timer = loop_timer_add(p->loop, 0, 0, on_finish, p);
}

/* ---- discovery and access: the verdicts ---- */

static bool gv_lists(const struct gv_fetch *g, const char *name)
{
	json_t *r;
	size_t i;

	json_array_foreach(g->resources, i, r)
	{
		if (str_eq(json_string_value(json_object_get(r, "name")), name))
			return true;
	}
	return false;
}

static struct gv_fetch *gv_of(struct kube_probe *p, const struct kube_need *n)
{
	for (size_t i = 0; i < p->ngvs; i++) {
		if (str_eq(p->gvs[i].group, n->group) && str_eq(p->gvs[i].version, n->version))
			return &p->gvs[i];
	}
	return NULL;
}

/* "networking.k8s.io/v1 networkpolicies", "v1 pods/log". */
static void need_resource(const struct kube_need *n, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s%s%s %s%s%s", n->group, n->group[0] ? "/" : "", n->version,
		 n->resource, n->subresource ? "/" : "", n->subresource ? n->subresource : "");
}

static void judge_discovery(struct kube_probe *p)
{
	json_t *missing = json_array();
	struct buf words = BUF_INIT;
	const struct gv_fetch *failed = NULL;
	size_t nres = 0;

	for (size_t i = 0; i < p->nneeds; i++) {
		const struct kube_need *n = &p->needs[i];
		struct gv_fetch *g = gv_of(p, n);
		char name[160], full[256];
		bool seen = false;

		need_resource(n, full, sizeof(full));
		/* several needs share a resource: judge each one once */
		for (size_t j = 0; j < i && !seen; j++) {
			char other[256];

			need_resource(&p->needs[j], other, sizeof(other));
			seen = str_eq(other, full);
		}
		if (seen)
			continue;
		nres++;
		if (err_isset(&g->err)) {
			failed = failed ? failed : g;
			continue;
		}
		snprintf(name, sizeof(name), "%s%s%s", n->resource, n->subresource ? "/" : "",
			 n->subresource ? n->subresource : "");
		if (!g->served || !gv_lists(g, name)) {
			buf_printf(&words, "%s%s", json_array_size(missing) ? ", " : "", full);
			json_array_append_new(missing, json_string(full));
		}
	}
	if (failed)
		add(p, STEP_DISCOVERY, KUBE_PROBE_FAIL, json_pack("{s:o}", "missing", missing),
		    "discovery failed: %s", failed->err.msg);
	else if (json_array_size(missing))
		add(p, STEP_DISCOVERY, KUBE_PROBE_FAIL, json_pack("{s:o}", "missing", missing),
		    "the server does not serve %s, which %s uses", buf_str(&words), p->purpose);
	else
		add(p, STEP_DISCOVERY, KUBE_PROBE_OK, json_pack("{s:o}", "missing", missing),
		    "the server serves all %zu resources %s uses", nres, p->purpose);
	buf_free(&words);
}

static void judge_access(struct kube_probe *p)
{
	json_t *denied = json_array();
	struct buf words = BUF_INIT;
	const struct review *failed = NULL;
	size_t nfailed = 0;

	for (size_t i = 0; i < p->nneeds; i++) {
		const struct review *r = &p->reviews[i];
		struct kube_access_attrs a = {.verb = r->need->verb,
					      .resource = r->need->resource,
					      .subresource = r->need->subresource};
		char what[160];

		if (err_isset(&r->err)) {
			failed = failed ? failed : r;
			nfailed++;
			continue;
		}
		if (r->allowed)
			continue;
		kube_access_describe(&a, what, sizeof(what));
		buf_printf(&words, "%s%s", json_array_size(denied) ? ", " : "", what);
		json_array_append_new(denied, json_string(what));
	}
	if (json_array_size(denied))
		add(p, STEP_ACCESS, KUBE_PROBE_FAIL, json_pack("{s:o}", "denied", denied),
		    "context %s (user %s) may not %s%s%s", p->context, p->user, buf_str(&words),
		    nfailed ? "; and some questions got no answer: " : "",
		    nfailed ? failed->err.msg : "");
	else if (nfailed)
		/* none answered: the server may not serve access reviews at all,
		 * which says nothing of the rights (a warning); some answered and
		 * some not: the cluster is failing requests (a failure) */
		add(p, STEP_ACCESS, nfailed == p->nneeds ? KUBE_PROBE_WARN : KUBE_PROBE_FAIL,
		    json_pack("{s:o}", "denied", denied),
		    "cannot tell what context %s may do: %zu of %zu access reviews got no answer: "
		    "%s",
		    p->context, nfailed, p->nneeds, failed->err.msg);
	else
		add(p, STEP_ACCESS, KUBE_PROBE_OK, json_pack("{s:o}", "denied", denied),
		    "context %s may do all %zu things %s needs", p->context, p->nneeds, p->purpose);
	buf_free(&words);
}

static void one_answered(struct kube_probe *p)
{
	if (--p->pending > 0)
		return;
	judge_discovery(p);
	judge_access(p);
	finish(p);
}

/* ---- discovery and access: the questions ---- */

static void on_gv(const struct kube_result *res, void *ud)
{
	struct gv_fetch *g = ud;

	g->op = NULL;
	g->done = true;
	if (kube_result_ok(res)) {
		g->served = true;
		g->resources = json_incref(json_object_get(res->obj, "resources"));
	} else if (res->status != 404) {
		g->err = res->err;
	}
	one_answered(g->p);
}

static void on_review(const struct kube_access_answer *a, void *ud)
{
	struct review *r = ud;

	r->op = NULL;
	r->done = true;
	r->allowed = a->allowed;
	if (err_isset(&a->err))
		r->err = a->err;
	one_answered(r->p);
}

static void start_gv(struct kube_probe *p, struct gv_fetch *g)
{
	char path[256];

	if (g->group[0])
		snprintf(path, sizeof(path), "/apis/%s/%s", g->group, g->version);
	else
		snprintf(path, sizeof(path), "/api/%s", g->version);
	g->op = kube_call(p->h, "GET", path, NULL, 0, NULL, on_gv, g, &g->err);
	if (!g->op) {
		g->done = true;
		p->pending--;
	}
}

static void start_review(struct kube_probe *p, struct review *r)
{
	struct kube_access_attrs a = {.verb = r->need->verb,
				      .group = r->need->group,
				      .resource = r->need->resource,
				      .subresource = r->need->subresource};

	/* A little longer than the probe's deadline, which comes first and
	 * names the step that did not answer. */
	r->op = kube_access_review(p->h, &a, remaining_ms(p) + 1000, on_review, r, &r->err);
	if (!r->op) {
		r->done = true;
		p->pending--;
	}
}

static void start_checks(struct kube_probe *p)
{
	p->reviews = xcalloc(p->nneeds, sizeof(*p->reviews));
	for (size_t i = 0; i < p->nneeds; i++) {
		if (gv_of(p, &p->needs[i]))
			continue;
		p->gvs = xrealloc(p->gvs, (p->ngvs + 1) * sizeof(*p->gvs));
		p->gvs[p->ngvs] = (struct gv_fetch){.p = p,
						    .group = xstrdup(p->needs[i].group),
						    .version = xstrdup(p->needs[i].version)};
		p->ngvs++;
	}
	p->pending = p->ngvs + p->nneeds + 1; /* + 1: held until every request is out */
	for (size_t i = 0; i < p->ngvs; i++)
		start_gv(p, &p->gvs[i]);
	for (size_t i = 0; i < p->nneeds; i++) {
		p->reviews[i] = (struct review){.p = p, .need = &p->needs[i]};
		start_review(p, &p->reviews[i]);
	}
	one_answered(p);
}

/* ---- who am I ---- */

/* "authenticated as admin (groups system:masters, system:authenticated)" */
static void add_identity(struct kube_probe *p, const struct kube_identity *id)
{
	struct buf groups = BUF_INIT;
	json_t *jg = json_array();

	for (size_t i = 0; i < id->ngroups; i++) {
		buf_printf(&groups, "%s%s", i ? ", " : "", id->groups[i]);
		json_array_append_new(jg, json_string(id->groups[i]));
	}
	add(p, STEP_AUTH, KUBE_PROBE_OK,
	    json_pack("{s:s, s:o}", "username", id->username, "groups", jg),
	    "authenticated as %s%s%s%s", id->username, id->ngroups ? " (groups " : "",
	    buf_str(&groups), id->ngroups ? ")" : "");
	buf_free(&groups);
}

static void on_identity(const struct kube_identity *id, void *ud)
{
	struct kube_probe *p = ud;

	p->whoami_op = NULL;
	if (!id->served) {
		add(p, STEP_AUTH, KUBE_PROBE_OK, NULL,
		    "the server does not say who the caller is (no SelfSubjectReview before "
		    "Kubernetes 1.28); the checks below show whether it accepts the credentials");
	} else if (err_isset(&id->err) && id->status == 401) {
		add(p, STEP_AUTH, KUBE_PROBE_FAIL, NULL,
		    "context %s (user %s) is not authenticated: %s", p->context, p->user,
		    id->err.msg);
		finish(p);
		return;
	} else if (err_isset(&id->err)) {
		add(p, STEP_AUTH, KUBE_PROBE_WARN, NULL, "cannot ask who the caller is: %s",
		    id->err.msg);
	} else {
		add_identity(p, id);
	}
	start_checks(p);
}

static void start_auth(struct kube_probe *p)
{
	struct err err = {{0}};

	p->whoami_op = kube_access_whoami(p->h, remaining_ms(p) + 1000, on_identity, p, &err);
	if (!p->whoami_op) {
		add(p, STEP_AUTH, KUBE_PROBE_WARN, NULL, "cannot ask who the caller is: %s",
		    err.msg);
		start_checks(p);
	}
}

/* ---- the server ---- */

static void on_version(const struct kube_result *res, void *ud)
{
	struct kube_probe *p = ud;
	long rtt = (long)(loop_now_ms() - p->version_t0);
	const char *version;

	p->version_op = NULL;
	if (res->status == 0) {
		add(p, STEP_SERVER, KUBE_PROBE_FAIL, NULL, "%s", res->err.msg);
		finish(p);
		return;
	}
	/* Any answer proves the server is there; with anonymous access off,
	 * even /version needs credentials, which the next step judges. */
	version =
	    kube_result_ok(res) ? json_string_value(json_object_get(res->obj, "gitVersion")) : NULL;
	if (version)
		add(p, STEP_SERVER, KUBE_PROBE_OK,
		    json_pack("{s:s, s:s, s:I}", "server", p->server, "version", version, "rtt_ms",
			      (json_int_t)rtt),
		    "%s answers in %ld ms: Kubernetes %s", p->server, rtt, version);
	else
		add(p, STEP_SERVER, KUBE_PROBE_OK,
		    json_pack("{s:s, s:n, s:I}", "server", p->server, "version", "rtt_ms",
			      (json_int_t)rtt),
		    "%s answers in %ld ms (its version is not shown: %s)", p->server, rtt,
		    kube_result_ok(res) ? "no gitVersion" : res->err.msg);
	start_auth(p);
}

static void on_deadline(struct loop *loop, void *ud)
{
	struct kube_probe *p = ud;
	char secs[32];

	(void)loop;
	p->deadline_timer = NULL;
	seconds(p, secs, sizeof(secs));
	if (p->version_op) {
		add(p, STEP_SERVER, KUBE_PROBE_FAIL, NULL,
		    "GET /version: no answer from %s within %s", p->server, secs);
	} else if (p->whoami_op) {
		add(p, STEP_AUTH, KUBE_PROBE_FAIL, NULL,
		    "no answer from %s within %s to the question who the caller is", p->server,
		    secs);
	} else if (p->pending > 0) {
		for (size_t i = 0; i < p->ngvs; i++) {
			if (!p->gvs[i].done)
				err_set(&p->gvs[i].err, "no answer from %s within %s", p->server,
					secs);
		}
		for (size_t i = 0; i < p->nneeds; i++) {
			if (!p->reviews[i].done)
				err_set(&p->reviews[i].err, "no answer from %s within %s",
					p->server, secs);
		}
		judge_discovery(p);
		judge_access(p);
	}
	finish(p);
}

static void start(struct kube_probe *p)
{
	struct kubeconfig_opts ko = {.path = p->kubeconfig, .context = p->wanted_context};
	struct err err = {{0}};
	struct kube_config *cfg = kubeconfig_load(&ko, &err);
	char *tunnel;

	if (!cfg) {
		add(p, STEP_CONTEXT, KUBE_PROBE_FAIL, NULL, "%s", err.msg);
		finish(p);
		return;
	}
	free(p->context); /* "" until now */
	p->context = xstrdup(cfg->context);
	p->server = xstrdup(cfg->server);
	p->user = xstrdup(cfg->user_name[0] ? cfg->user_name : "(anonymous)");
	tunnel = kube_http_tunnel_of(p->context);
	add(p, STEP_CONTEXT, KUBE_PROBE_OK,
	    json_pack("{s:s, s:s, s:s, s:s*}", "context", p->context, "server", p->server, "user",
		      p->user, "tunnel", tunnel),
	    "context %s resolves to %s%s%s as user %s", p->context, p->server,
	    tunnel ? " through tunnel " : "", tunnel ? tunnel : "", p->user);
	free(tunnel);
	p->h = kube_http_new(p->loop, cfg, &err);
	if (!p->h) {
		add(p, STEP_CONTEXT, KUBE_PROBE_FAIL, NULL, "context %s: %s", p->context, err.msg);
		finish(p);
		return;
	}
	kube_http_set_retry(p->h, 250, 1000, 0);
	p->version_t0 = loop_now_ms();
	p->version_op = kube_call(p->h, "GET", "/version", NULL, 0, NULL, on_version, p, &err);
	if (!p->version_op) {
		add(p, STEP_SERVER, KUBE_PROBE_FAIL, NULL, "%s", err.msg);
		finish(p);
	}
}

/* ---- the probe ---- */

struct kube_probe *kube_probe_start(struct loop *loop, const struct kube_probe_opts *opts,
				    kube_probe_fn done, void *ud)
{
	struct kube_probe *p = xcalloc(1, sizeof(*p));

	p->loop = loop;
	p->kubeconfig = opts->kubeconfig ? xstrdup(opts->kubeconfig) : NULL;
	p->wanted_context = opts->context ? xstrdup(opts->context) : NULL;
	p->purpose = xstrdup(opts->purpose ? opts->purpose : "opsdeck");
	p->needs = opts->needs;
	p->nneeds = opts->nneeds;
	p->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : KUBE_PROBE_TIMEOUT_MS;
	p->deadline = loop_now_ms() + (uint64_t)p->timeout_ms;
	p->done = done;
	p->ud = ud;
	p->context = xstrdup("");
	p->deadline_timer = loop_timer_add(loop, (uint64_t)p->timeout_ms, 0, on_deadline, p);
	start(p);
	return p;
}

void kube_probe_free(struct kube_probe *p)
{
	if (!p)
		return;
	cancel_all(p);
	loop_timer_cancel(p->deadline_timer);
	loop_timer_cancel(p->finish_timer);
	for (size_t s = 0; s < STEP_COUNT; s++) {
		free(p->findings[s].message);
		json_decref(p->findings[s].detail);
	}
	for (size_t i = 0; i < p->ngvs; i++) {
		free(p->gvs[i].group);
		free(p->gvs[i].version);
		json_decref(p->gvs[i].resources);
	}
	free(p->gvs);
	free(p->reviews);
	kube_http_free(p->h);
	free(p->kubeconfig);
	free(p->wanted_context);
	free(p->purpose);
	free(p->context);
	free(p->server);
	free(p->user);
	free(p);
}

const struct kube_probe_finding *kube_probe_findings(const struct kube_probe *p, size_t *n)
{
	*n = p->nlist;
	return p->list;
}

const char *kube_probe_context(const struct kube_probe *p)
{
	return p->context;
}

enum kube_probe_level kube_probe_level(const struct kube_probe *p)
{
	enum kube_probe_level worst = KUBE_PROBE_OK;

	for (size_t i = 0; i < p->nlist; i++) {
		if (p->list[i].level > worst)
			worst = p->list[i].level;
	}
	return worst;
}

const char *kube_probe_level_name(enum kube_probe_level l)
{
	switch (l) {
	case KUBE_PROBE_OK:
		return "ok";
	case KUBE_PROBE_WARN:
		return "warn";
	case KUBE_PROBE_FAIL:
		return "fail";
	}
	return "?";
}
