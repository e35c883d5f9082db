#include "config.h"

#include "provision/credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/api.h"
#include "b64.h"
#include "provision/secret.h"

const char *const credentials_keys[CREDENTIALS_NKEYS] = {
	"db_password", "db_root_password", "admin_password", "jwt_secret", "cookie_secret",
};

enum credential_state credentials_decode(const json_t *secret, const char *key, char *out,
					 size_t outsz)
{
	const char *v = json_string_value(json_object_get(json_object_get(secret, "data"), key));
	unsigned char *raw = NULL;
	size_t n = 0;
	enum credential_state st = CREDENTIAL_FOUND;

	if (!v) {
		secret_wipe(out, outsz);
		return CREDENTIAL_ABSENT;
	}
	/* a NUL byte would cut the value short where it is shown */
	if (!b64_decode(v, strlen(v), &raw, &n) || n == 0 || n >= outsz || memchr(raw, '\0', n)) {
		st = CREDENTIAL_INVALID;
		secret_wipe(out, outsz);
	} else {
		memcpy(out, raw, n);
		out[n] = '\0';
	}
	if (raw)
		secret_wipe(raw, n);
	free(raw);
	return st;
}

void credentials_from_secret(struct credentials *c, json_t *secret)
{
	json_t *data = json_object_get(secret, "data");
	const char *k;
	json_t *v;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CREDENTIALS_NKEYS; i++) {
		struct credential *e = &c->v[i];

		e->key = credentials_keys[i];
		e->state = credentials_decode(secret, e->key, e->value, sizeof(e->value));
		if (e->state == CREDENTIAL_FOUND) {
			e->len = strlen(e->value);
			c->found++;
		}
	}
	/* The answer is dropped after this: its base64 text (the values,
	 * barely disguised) goes first. jansson owns the bytes and the answer
	 * is ours to discard, so writing over them is safe. */
	json_object_foreach(data, k, v)
	{
		const char *s = json_string_value(v);

		if (s) /* its length, not strlen: a \u0000 must not end the wipe */
			secret_wipe((char *)s, json_string_length(v));
	}
}

int credentials_key_width(void)
{
	int w = 0;

	for (size_t i = 0; i < CREDENTIALS_NKEYS; i++) {
		int n = (int)strlen(credentials_keys[i]);

		w = n > w ? n : w;
	}
	return w;
}

const char *credentials_state_words(enum credential_state st)
{
	switch (st) {
	case CREDENTIAL_ABSENT: return "(not in the secret)";
	case CREDENTIAL_INVALID: return "(not readable: not base64, empty, too long or binary)";
	default: return "";
	}
}

bool credentials_printable(const struct credential *v)
{
	for (size_t i = 0; i < v->len; i++) {
		unsigned char ch = (unsigned char)v->value[i];

		if (ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

void credentials_free(struct credentials *c)
{
	if (!c)
		return;
	secret_wipe(c, sizeof(*c));
	free(c);
}

/* ---- reading the Secret ---- */

struct credentials_read {
	struct kube_op *op;
	struct loop_timer *timer;
	char store[64], namespace[64], cluster[64];
	long timeout_ms;
	credentials_fn fn;
	void *ud;
};

static void read_end(struct credentials_read *r, struct credentials *c, const struct err *err)
{
	credentials_fn fn = r->fn;
	void *ud = r->ud;

	if (r->timer)
		loop_timer_cancel(r->timer);
	free(r);
	fn(c, err, ud);
}

/* The failure in words: what was asked of which cluster, and why not. */
static void describe_failure(const struct credentials_read *r, const struct kube_result *res,
			     struct err *err)
{
	if (res->status == 404)
		err_set(err,
			"store %s: secret " CREDENTIALS_SECRET " not found in namespace %s "
			"(is the store provisioned?)",
			r->store, r->namespace);
	else if (res->status == 403)
		err_set(err,
			"store %s: cluster %s does not allow reading secret " CREDENTIALS_SECRET
			" in namespace %s: %s",
			r->store, r->cluster, r->namespace, res->err.msg);
	else if (res->status == 401)
		err_set(err, "store %s: cluster %s refused opsdeck's credentials: %s", r->store,
			r->cluster, res->err.msg);
	else if (res->status == 0)
		err_set(err, "store %s: cluster %s is unreachable: %s", r->store, r->cluster,
			res->err.msg);
	else
		err_set(err,
			"store %s: cannot read secret " CREDENTIALS_SECRET
			" in namespace %s on cluster %s: %s",
			r->store, r->namespace, r->cluster, res->err.msg);
}

static void on_secret(const struct kube_result *res, void *ud)
{
	struct credentials_read *r = ud;
	struct credentials *c;
	struct err err = { { 0 } };

	r->op = NULL;
	if (!kube_result_ok(res)) {
		describe_failure(r, res, &err);
		read_end(r, NULL, &err);
		return;
	}
	c = xmalloc(sizeof(*c));
	credentials_from_secret(c, res->obj);
	if (c->found == 0) {
		credentials_free(c);
		err_set(&err,
			"store %s: secret " CREDENTIALS_SECRET " in namespace %s holds none of the "
			"keys opsdeck writes (%s, ...)",
			r->store, r->namespace, credentials_keys[0]);
		read_end(r, NULL, &err);
		return;
	}
	read_end(r, c, NULL);
}

static void on_timeout(struct loop *loop, void *ud)
{
	struct credentials_read *r = ud;
	struct err err = { { 0 } };

	(void)loop;
	r->timer = NULL;
	kube_op_cancel(r->op);
	r->op = NULL;
	err_set(&err,
		"store %s: cluster %s did not answer within %lds"
		" (reading secret " CREDENTIALS_SECRET " in namespace %s)",
		r->store, r->cluster, (r->timeout_ms + 999) / 1000, r->namespace);
	read_end(r, NULL, &err);
}

struct credentials_read *credentials_read(struct kube_http *h, const struct credentials_target *t,
					  long timeout_ms, credentials_fn fn, void *ud,
					  struct err *err)
{
	struct credentials_read *r;

	if (!t->namespace || !kube_valid_namespace(t->namespace)) {
		err_set(err, "store %s: '%.63s' is not a namespace name", t->store ? t->store : "?",
			t->namespace ? t->namespace : "");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	str_copy(r->store, sizeof(r->store), t->store ? t->store : "?");
	str_copy(r->namespace, sizeof(r->namespace), t->namespace);
	str_copy(r->cluster, sizeof(r->cluster), t->cluster ? t->cluster : "?");
	r->timeout_ms = timeout_ms > 0 ? timeout_ms : CREDENTIALS_TIMEOUT_MS;
	r->fn = fn;
	r->ud = ud;
	r->op = kube_get(h, &kube_res_secrets, t->namespace, CREDENTIALS_SECRET, on_secret, r, err);
	if (!r->op) {
		free(r);
		return NULL;
	}
	r->timer = loop_timer_add(kube_http_loop(h), (uint64_t)r->timeout_ms, 0, on_timeout, r);
	return r;
}

void credentials_read_cancel(struct credentials_read *r)
{
	if (!r)
		return;
	if (r->op)
		kube_op_cancel(r->op);
	if (r->timer)
		loop_timer_cancel(r->timer);
	free(r);
}
