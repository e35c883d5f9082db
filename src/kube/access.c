#include "config.h"

#include "kube/access.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/api.h"

#define WHOAMI_PATH "/apis/authentication.k8s.io/v1/selfsubjectreviews"
#define REVIEW_PATH "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

struct kube_access_op {
	struct kube_http *h;
	struct kube_op *op;
	struct loop_timer *timer;
	long timeout_ms;
	const char *path; /* for the timeout's message */
	kube_access_fn access_fn;
	kube_identity_fn identity_fn;
	void *ud;
	bool delivering; /* inside fn: the handle is about to go */
};

static void op_free(struct kube_access_op *a)
{
	loop_timer_cancel(a->timer);
	free(a);
}

void kube_access_cancel(struct kube_access_op *a)
{
	if (!a || a->delivering)
		return;
	kube_op_cancel(a->op);
	op_free(a);
}

/* ---- answers ---- */

static void deliver_access(struct kube_access_op *a, const struct kube_result *res)
{
	struct kube_access_answer ans = {.status = res->status};
	json_t *st = res->obj ? json_object_get(res->obj, "status") : NULL;

	if (!kube_result_ok(res)) {
		ans.err = res->err;
	} else if (!json_is_boolean(json_object_get(st, "allowed"))) {
		err_set(&ans.err, "the access review came back without an answer (status.allowed)");
	} else {
		ans.allowed = json_is_true(json_object_get(st, "allowed"));
		ans.denied = json_is_true(json_object_get(st, "denied"));
		str_copy_clean(ans.reason, sizeof(ans.reason),
			       json_string_value(json_object_get(st, "reason")));
	}
	a->access_fn(&ans, a->ud);
}

static void deliver_identity(struct kube_access_op *a, const struct kube_result *res)
{
	struct kube_identity id = {.status = res->status, .served = true};
	json_t *user =
	    res->obj ? json_object_get(json_object_get(res->obj, "status"), "userInfo") : NULL;
	json_t *g;
	size_t i;

	if (!kube_result_ok(res) && (res->status == 404 || res->status == 405)) {
		/* an API server before 1.28 (or one with the API turned off) */
		id.served = false;
	} else if (!kube_result_ok(res)) {
		id.err = res->err;
	} else if (!json_is_string(json_object_get(user, "username"))) {
		err_set(&id.err, "the identity review came back without a user name");
	} else {
		str_copy_clean(id.username, sizeof(id.username),
			       json_string_value(json_object_get(user, "username")));
		json_array_foreach(json_object_get(user, "groups"), i, g)
		{
			if (id.ngroups < KUBE_IDENTITY_MAX_GROUPS && json_is_string(g))
				str_copy_clean(id.groups[id.ngroups++], sizeof(id.groups[0]),
					       json_string_value(g));
		}
	}
	a->identity_fn(&id, a->ud);
}

static void deliver(struct kube_access_op *a, const struct kube_result *res)
{
	a->delivering = true;
	if (a->access_fn)
		deliver_access(a, res);
	else
		deliver_identity(a, res);
}

static void on_result(const struct kube_result *res, void *ud)
{
	struct kube_access_op *a = ud;

	a->op = NULL;
	deliver(a, res);
	op_free(a);
}

static void on_deadline(struct loop *loop, void *ud)
{
	struct kube_access_op *a = ud;
	struct kube_result res = {.reason = ""};

	(void)loop;
	a->timer = NULL; /* a one-shot timer is freed after this callback */
	kube_op_cancel(a->op);
	a->op = NULL;
	err_set(&res.err, "POST %s: no answer from %s within %ld s", a->path,
		kube_http_config(a->h)->server, (a->timeout_ms + 999) / 1000);
	deliver(a, &res);
	op_free(a);
}

static struct kube_access_op *start(struct kube_http *h, const char *path, json_t *body,
				    long timeout_ms, struct kube_access_op *a, struct err *err)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (!text)
		fatal("out of memory encoding a review");
	a->h = h;
	a->path = path;
	a->timeout_ms = timeout_ms > 0 ? timeout_ms : KUBE_ACCESS_TIMEOUT_MS;
	a->op =
	    kube_call(h, "POST", path, text, strlen(text), "application/json", on_result, a, err);
	free(text);
	if (!a->op) {
		free(a);
		return NULL;
	}
	a->timer = loop_timer_add(kube_http_loop(h), (uint64_t)a->timeout_ms, 0, on_deadline, a);
	return a;
}

/* ---- questions ---- */

/* Adds key: value unless value is NULL or empty (the API's omitempty). */
static void set_text(json_t *o, const char *key, const char *value)
{
	if (value && value[0])
		json_object_set_new(o, key, json_string(value));
}

struct kube_access_op *kube_access_review(struct kube_http *h,
					  const struct kube_access_attrs *attrs, long timeout_ms,
					  kube_access_fn fn, void *ud, struct err *err)
{
	struct kube_access_op *a;
	json_t *ra;

	if (!attrs->verb || !attrs->verb[0] || !attrs->resource || !attrs->resource[0]) {
		err_set(err, "an access review needs a verb and a resource");
		return NULL;
	}
	ra = json_object();
	set_text(ra, "namespace", attrs->namespace);
	set_text(ra, "verb", attrs->verb);
	set_text(ra, "group", attrs->group);
	set_text(ra, "resource", attrs->resource);
	set_text(ra, "subresource", attrs->subresource);
	set_text(ra, "name", attrs->name);
	a = xcalloc(1, sizeof(*a));
	a->access_fn = fn;
	a->ud = ud;
	return start(h, REVIEW_PATH,
		     json_pack("{s:s, s:s, s:{s:o}}", "apiVersion", "authorization.k8s.io/v1",
			       "kind", "SelfSubjectAccessReview", "spec", "resourceAttributes", ra),
		     timeout_ms, a, err);
}

struct kube_access_op *kube_access_whoami(struct kube_http *h, long timeout_ms, kube_identity_fn fn,
					  void *ud, struct err *err)
{
	struct kube_access_op *a = xcalloc(1, sizeof(*a));

	a->identity_fn = fn;
	a->ud = ud;
	return start(h, WHOAMI_PATH,
		     json_pack("{s:s, s:s}", "apiVersion", "authentication.k8s.io/v1", "kind",
			       "SelfSubjectReview"),
		     timeout_ms, a, err);
}

void kube_access_describe(const struct kube_access_attrs *attrs, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s %s%s%s", attrs->verb, attrs->resource,
		 attrs->subresource ? "/" : "", attrs->subresource ? attrs->subresource : "");
}
