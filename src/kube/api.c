#include "config.h"

#include "kube/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kube/execcred.h"

#define LIST_MAX_PAGES 100000

const struct kube_resource kube_res_namespaces = {"", "v1", "namespaces", "Namespace", false};
const struct kube_resource kube_res_pods = {"", "v1", "pods", "Pod", true};
const struct kube_resource kube_res_services = {"", "v1", "services", "Service", true};
const struct kube_resource kube_res_secrets = {"", "v1", "secrets", "Secret", true};
const struct kube_resource kube_res_configmaps = {"", "v1", "configmaps", "ConfigMap", true};
const struct kube_resource kube_res_pvcs = {"", "v1", "persistentvolumeclaims",
					    "PersistentVolumeClaim", true};
const struct kube_resource kube_res_resourcequotas = {"", "v1", "resourcequotas", "ResourceQuota",
						      true};
const struct kube_resource kube_res_events = {"", "v1", "events", "Event", true};
const struct kube_resource kube_res_deployments = {"apps", "v1", "deployments", "Deployment", true};
const struct kube_resource kube_res_statefulsets = {"apps", "v1", "statefulsets", "StatefulSet",
						    true};
const struct kube_resource kube_res_replicasets = {"apps", "v1", "replicasets", "ReplicaSet", true};
const struct kube_resource kube_res_ingresses = {"networking.k8s.io", "v1", "ingresses", "Ingress",
						 true};
const struct kube_resource kube_res_networkpolicies = {"networking.k8s.io", "v1", "networkpolicies",
						       "NetworkPolicy", true};
const struct kube_resource kube_res_kafkatopics = {"kafka.strimzi.io", "v1beta2", "kafkatopics",
						   "KafkaTopic", true};
static const struct kube_resource res_serviceaccounts = {"", "v1", "serviceaccounts",
							 "ServiceAccount", true};
static const struct kube_resource res_limitranges = {"", "v1", "limitranges", "LimitRange", true};
static const struct kube_resource res_jobs = {"batch", "v1", "jobs", "Job", true};
static const struct kube_resource res_cronjobs = {"batch", "v1", "cronjobs", "CronJob", true};
static const struct kube_resource res_roles = {"rbac.authorization.k8s.io", "v1", "roles", "Role",
					       true};
static const struct kube_resource res_rolebindings = {"rbac.authorization.k8s.io", "v1",
						      "rolebindings", "RoleBinding", true};

static const struct {
	const struct kube_resource *res;
	const char *shortname;
} resources[] = {
    {&kube_res_namespaces, "ns"},
    {&kube_res_pods, "po"},
    {&kube_res_services, "svc"},
    {&kube_res_secrets, NULL},
    {&kube_res_configmaps, "cm"},
    {&kube_res_pvcs, "pvc"},
    {&kube_res_resourcequotas, "quota"},
    {&kube_res_events, "ev"},
    {&kube_res_deployments, "deploy"},
    {&kube_res_statefulsets, "sts"},
    {&kube_res_replicasets, "rs"},
    {&kube_res_ingresses, "ing"},
    {&kube_res_networkpolicies, "netpol"},
    {&kube_res_kafkatopics, "kt"},
    {&res_serviceaccounts, "sa"},
    {&res_limitranges, "limits"},
    {&res_jobs, NULL},
    {&res_cronjobs, "cj"},
    {&res_roles, NULL},
    {&res_rolebindings, NULL},
};

const struct kube_resource *kube_resource_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(resources); i++) {
		const struct kube_resource *r = resources[i].res;

		/* the kind in any case also covers kubectl's singular "deployment" */
		if (strcmp(name, r->plural) == 0 || strcasecmp(name, r->kind) == 0 ||
		    (resources[i].shortname && strcmp(name, resources[i].shortname) == 0))
			return r;
	}
	return NULL;
}

const struct kube_resource *kube_resource_for(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < ARRAY_LEN(resources); i++) {
		const struct kube_resource *r = resources[i].res;
		char want[128];

		if (r->group[0])
			snprintf(want, sizeof(want), "%s/%s", r->group, r->version);
		else
			snprintf(want, sizeof(want), "%s", r->version);
		if (strcmp(kind, r->kind) == 0 && strcmp(api_version, want) == 0)
			return r;
	}
	return NULL;
}

/* ---- names and paths ---- */

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool kube_valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 253 || !lower_alnum(name[0]) || !lower_alnum(name[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!lower_alnum(name[i]) && name[i] != '-' && name[i] != '.')
			return false;
		if (name[i] == '.' && (!lower_alnum(name[i - 1]) || !lower_alnum(name[i + 1])))
			return false;
	}
	return true;
}

bool kube_valid_namespace(const char *ns)
{
	size_t n = ns ? strlen(ns) : 0;

	if (n == 0 || n > 63 || !lower_alnum(ns[0]) || !lower_alnum(ns[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!lower_alnum(ns[i]) && ns[i] != '-')
			return false;
	}
	return true;
}

/* A copy safe to show: control characters become spaces, and long input is
 * cut. */
static bool valid_sub(const char *sub)
{
	if (!sub[0])
		return false;
	for (const char *p = sub; *p; p++) {
		if (*p < 'a' || *p > 'z')
			return false;
	}
	return true;
}

bool kube_path(struct buf *out, const struct kube_resource *res, const char *ns, const char *name,
	       const char *sub, struct err *err)
{
	char shown[80];

	if (ns && !res->namespaced) {
		err_set(err, "%s are not namespaced", res->plural);
		return false;
	}
	if (!ns && res->namespaced && name) {
		err_set(err, "%s live in a namespace: none was given", res->plural);
		return false;
	}
	if (ns && !kube_valid_namespace(ns)) {
		str_copy_clean(shown, sizeof(shown), ns);
		err_set(err, "\"%s\" is not a valid namespace name", shown);
		return false;
	}
	if (name && !kube_valid_name(name)) {
		str_copy_clean(shown, sizeof(shown), name);
		err_set(err, "\"%s\" is not a valid name for %s", shown, res->plural);
		return false;
	}
	if (sub && (!name || !valid_sub(sub))) {
		err_set(err, "a subresource needs an object and a lowercase name");
		return false;
	}
	if (res->group[0])
		buf_printf(out, "/apis/%s/%s", res->group, res->version);
	else
		buf_printf(out, "/api/%s", res->version);
	if (ns)
		buf_printf(out, "/namespaces/%s", ns);
	buf_printf(out, "/%s", res->plural);
	if (name)
		buf_printf(out, "/%s", name);
	if (sub)
		buf_printf(out, "/%s", sub);
	return true;
}

void kube_query(struct buf *path, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_putc(path, memchr(buf_str(path), '?', path->len) ? '&' : '?');
	buf_puts(path, key);
	buf_putc(path, '=');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_putc(path, (char)*p);
		} else {
			buf_putc(path, '%');
			buf_putc(path, hex[*p >> 4]);
			buf_putc(path, hex[*p & 15]);
		}
	}
}

/* ---- Status ---- */

bool kube_status_parse(const char *body, size_t len, struct kube_status *st)
{
	json_t *root = len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *kind, *reason, *message;
	bool ok = false;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(root))
		goto out;
	kind = json_string_value(json_object_get(root, "kind"));
	if (!kind || strcmp(kind, "Status") != 0)
		goto out;
	st->code = (long)json_integer_value(json_object_get(root, "code"));
	reason = json_string_value(json_object_get(root, "reason"));
	message = json_string_value(json_object_get(root, "message"));
	if (reason)
		str_copy_clean(st->reason, sizeof(st->reason), reason);
	if (message)
		str_copy_clean(st->message, sizeof(st->message), message);
	ok = true;
out:
	json_decref(root);
	return ok;
}

static const char *http_phrase(long code)
{
	static const struct {
		long code;
		const char *text;
	} phrases[] = {
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {406, "Not Acceptable"},
	    {409, "Conflict"},
	    {410, "Gone"},
	    {413, "Request Entity Too Large"},
	    {415, "Unsupported Media Type"},
	    {422, "Unprocessable Entity"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	};

	for (size_t i = 0; i < ARRAY_LEN(phrases); i++) {
		if (phrases[i].code == code)
			return phrases[i].text;
	}
	return "";
}

void kube_error_describe(long http_status, const char *body, size_t len, struct err *err)
{
	struct kube_status st;
	const char *phrase = http_phrase(http_status);
	char line[200];
	size_t n;

	if (kube_status_parse(body, len, &st) && (st.message[0] || st.reason[0])) {
		if (strcmp(st.reason, "Forbidden") == 0) {
			const char *p = strstr(st.message, " is forbidden: ");

			err_set(err, "Forbidden: %s", p ? p + 15 : st.message);
		} else if (strcmp(st.reason, "Unauthorized") == 0 || http_status == 401) {
			if (!st.message[0] || strcmp(st.message, "Unauthorized") == 0)
				err_set(err, "Unauthorized: the cluster did not accept the "
					     "credentials");
			else
				err_set(err, "Unauthorized: %s", st.message);
		} else if (st.message[0]) {
			err_set(err, "%s", st.message);
		} else {
			err_set(err, "%s (HTTP %ld)", st.reason, http_status);
		}
		return;
	}
	if (http_status == 401) {
		err_set(err, "Unauthorized: the cluster did not accept the credentials");
		return;
	}
	/* not a Status: a proxy or load balancer answered; its first line may
	 * say why, if it is short text */
	while (len > 0 && (*body == ' ' || *body == '\n' || *body == '\r')) {
		body++;
		len--;
	}
	/* body need not end with a NUL: the length bounds every read */
	for (n = 0; n < len && body[n] != '\r' && body[n] != '\n'; n++)
		;
	if (n > 0 && n < 160 && body[0] != '<' && body[0] != '{') {
		mem_copy_clean(line, sizeof(line), body, n);
		err_set(err, "HTTP %ld%s%s: %s", http_status, phrase[0] ? " " : "", phrase, line);
	} else {
		err_set(err, "HTTP %ld%s%s", http_status, phrase[0] ? " " : "", phrase);
	}
}

/* ---- operations ---- */

struct kube_op {
	struct kube_http *h;
	struct kube_req *req;
	kube_result_fn fn;
	void *ud;
	kube_line_fn on_line; /* logs */
	bool stream;
	bool delivering;

	/* lists */
	bool is_list;
	char *list_path; /* without limit/continue */
	bool list_meta;	 /* kube_list_opts.metadata_only */
	long limit;
	json_t *items;
	json_t *first_meta;
	char *list_kind, *list_api;
	bool restarted;
	unsigned pages;
	kube_page_fn page_fn;
	bool in_page, cancelled; /* cancelled from page_fn: freed after it */
};

static void op_free(struct kube_op *op)
{
	free(op->list_path);
	free(op->list_kind);
	free(op->list_api);
	json_decref(op->items);
	json_decref(op->first_meta);
	free(op);
}

static void op_deliver(struct kube_op *op, struct kube_result *res)
{
	op->delivering = true;
	op->fn(res, op->ud);
	op_free(op);
}

void kube_op_cancel(struct kube_op *op)
{
	if (!op || op->delivering)
		return;
	if (op->in_page) {
		op->cancelled = true;
		return;
	}
	kube_req_cancel(op->req);
	op_free(op);
}

static void op_fail(struct kube_op *op, long status, const char *msg)
{
	struct kube_result res = {.status = status, .reason = ""};

	err_set(&res.err, "%s", msg);
	op_deliver(op, &res);
}

static bool list_next(struct kube_op *op, const char *cont, struct err *err);

static void op_done(struct kube_response *resp, void *ud)
{
	struct kube_op *op = ud;
	struct kube_result res = {.status = resp->status, .reason = ""};
	struct kube_status st = {0};
	json_t *root;
	json_error_t jerr;

	op->req = NULL;
	if (err_isset(&resp->err)) {
		res.err = resp->err;
		op_deliver(op, &res);
		return;
	}
	if (resp->status < 200 || resp->status > 299) {
		kube_status_parse(resp->body, resp->body_len, &st);
		if (op->is_list && resp->status == 410 && op->pages > 0 && !op->restarted) {
			struct err e = {{0}};

			/* the continue token expired: start again from a fresh
			 * snapshot, once */
			op->restarted = true;
			op->pages = 0;
			json_array_clear(op->items);
			json_decref(op->first_meta);
			op->first_meta = NULL;
			if (!list_next(op, NULL, &e)) {
				res.err = e;
				op_deliver(op, &res);
			}
			return;
		}
		kube_error_describe(resp->status, resp->body, resp->body_len, &res.err);
		res.reason = st.reason;
		op_deliver(op, &res);
		return;
	}
	if (op->stream) {
		op_deliver(op, &res);
		return;
	}
	root = json_loadb(resp->body, resp->body_len, 0, &jerr);
	if (!json_is_object(root)) {
		char msg[200], type[101];

		json_decref(root);
		/* the server's words: cleaned like every other */
		str_copy_clean(type, sizeof(type),
			       resp->content_type ? resp->content_type : "no content type");
		snprintf(msg, sizeof(msg), "the answer of the cluster is not a JSON object (%s)",
			 type);
		op_fail(op, resp->status, msg);
		return;
	}
	if (op->is_list) {
		json_t *items = json_object_get(root, "items");
		json_t *meta = json_object_get(root, "metadata");
		const char *cont = json_string_value(json_object_get(meta, "continue"));
		struct err e = {{0}};

		if (!json_is_array(items) && !json_is_null(items) && items) {
			json_decref(root);
			op_fail(op, resp->status, "the list answer has no items");
			return;
		}
		if (json_is_array(items))
			json_array_extend(op->items, items);
		if (op->pages++ == 0) {
			const char *k = json_string_value(json_object_get(root, "kind"));
			const char *a = json_string_value(json_object_get(root, "apiVersion"));

			op->first_meta =
			    json_is_object(meta) ? json_deep_copy(meta) : json_object();
			json_object_del(op->first_meta, "continue");
			json_object_del(op->first_meta, "remainingItemCount");
			free(op->list_kind);
			free(op->list_api);
			op->list_kind = k ? xstrdup(k) : NULL;
			op->list_api = a ? xstrdup(a) : NULL;
		}
		if (op->page_fn && json_array_size(items) > 0) {
			op->in_page = true;
			op->page_fn(items, op->ud);
			op->in_page = false;
			if (op->cancelled) {
				json_decref(root);
				op_free(op);
				return;
			}
		}
		if (cont && cont[0]) {
			if (op->pages >= LIST_MAX_PAGES) {
				json_decref(root);
				op_fail(op, resp->status,
					"the list did not end after 100000 pages");
				return;
			}
			if (!list_next(op, cont, &e)) {
				json_decref(root);
				res.err = e;
				op_deliver(op, &res);
				return;
			}
			json_decref(root);
			return;
		}
		json_decref(root);
		root = json_object();
		if (op->list_kind)
			json_object_set_new(root, "kind", json_string(op->list_kind));
		if (op->list_api)
			json_object_set_new(root, "apiVersion", json_string(op->list_api));
		json_object_set(root, "metadata", op->first_meta);
		json_object_set(root, "items", op->items);
	}
	res.obj = root;
	op->delivering = true;
	op->fn(&res, op->ud);
	json_decref(root);
	op_free(op);
}

void kube_op_feed(struct kube_op *op, struct kube_response *resp)
{
	kube_req_cancel(op->req);
	op->req = NULL;
	op_done(resp, op);
}

static struct kube_op *op_new(struct kube_http *h, kube_result_fn fn, void *ud)
{
	struct kube_op *op = xcalloc(1, sizeof(*op));

	op->h = h;
	op->fn = fn;
	op->ud = ud;
	return op;
}

static bool op_send(struct kube_op *op, const struct kube_request *rq, struct err *err)
{
	op->req = kube_http_request(op->h, rq, op_done, op, err);
	return op->req != NULL;
}

struct kube_op *kube_call(struct kube_http *h, const char *method, const char *path,
			  const char *body, size_t body_len, const char *content_type,
			  kube_result_fn fn, void *ud, struct err *err)
{
	struct kube_op *op = op_new(h, fn, ud);
	struct kube_request rq = {.method = method,
				  .path = path,
				  .body = body,
				  .body_len = body_len,
				  .content_type = content_type,
				  .retries = -1};

	if (!op_send(op, &rq, err)) {
		op_free(op);
		return NULL;
	}
	return op;
}

static bool list_next(struct kube_op *op, const char *cont, struct err *err)
{
	struct buf path = BUF_INIT;
	char limit[32];
	struct kube_request rq = {.method = "GET", .retries = -1};
	bool ok;

	buf_puts(&path, op->list_path);
	snprintf(limit, sizeof(limit), "%ld", op->limit);
	kube_query(&path, "limit", limit);
	if (cont)
		kube_query(&path, "continue", cont);
	if (op->list_meta)
		rq.accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
	rq.path = buf_str(&path);
	ok = op_send(op, &rq, err);
	buf_free(&path);
	return ok;
}

struct kube_op *kube_list(struct kube_http *h, const struct kube_resource *res, const char *ns,
			  const struct kube_list_opts *opts, kube_result_fn fn, void *ud,
			  struct err *err)
{
	struct buf path = BUF_INIT;
	struct kube_op *op;

	if (!kube_path(&path, res, ns, NULL, NULL, err)) {
		buf_free(&path);
		return NULL;
	}
	if (opts && opts->label_selector && opts->label_selector[0])
		kube_query(&path, "labelSelector", opts->label_selector);
	if (opts && opts->field_selector && opts->field_selector[0])
		kube_query(&path, "fieldSelector", opts->field_selector);
	op = op_new(h, fn, ud);
	op->is_list = true;
	op->list_path = buf_steal(&path);
	op->limit = opts && opts->limit > 0 ? opts->limit : KUBE_LIST_PAGE;
	op->page_fn = opts ? opts->page_fn : NULL;
	op->list_meta = opts && opts->metadata_only;
	op->items = json_array();
	if (!list_next(op, NULL, err)) {
		op_free(op);
		return NULL;
	}
	return op;
}

static struct kube_op *object_call(struct kube_http *h, const char *method,
				   const struct kube_resource *res, const char *ns,
				   const char *name, const char *sub, const char *body,
				   size_t body_len, const char *ctype, bool apply,
				   kube_result_fn fn, void *ud, struct err *err)
{
	struct buf path = BUF_INIT;
	struct kube_op *op;

	if (!kube_path(&path, res, ns, name, sub, err)) {
		buf_free(&path);
		return NULL;
	}
	if (apply) {
		kube_query(&path, "fieldManager", KUBE_FIELD_MANAGER);
		kube_query(&path, "force", "true");
	}
	op = kube_call(h, method, buf_str(&path), body, body_len, ctype, fn, ud, err);
	buf_free(&path);
	return op;
}

struct kube_op *kube_get(struct kube_http *h, const struct kube_resource *res, const char *ns,
			 const char *name, kube_result_fn fn, void *ud, struct err *err)
{
	if (!name) {
		err_set(err, "get needs an object name");
		return NULL;
	}
	return object_call(h, "GET", res, ns, name, NULL, NULL, 0, NULL, false, fn, ud, err);
}

static char *dump_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	if (!s)
		fatal("out of memory encoding JSON");
	return s;
}

struct kube_op *kube_create(struct kube_http *h, const struct kube_resource *res, const char *ns,
			    const json_t *obj, kube_result_fn fn, void *ud, struct err *err)
{
	const char *name;
	char *body;
	struct kube_op *op;

	if (!json_is_object(obj)) {
		err_set(err, "create needs a JSON object");
		return NULL;
	}
	name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	if (name && !kube_valid_name(name)) {
		char shown[80];

		str_copy_clean(shown, sizeof(shown), name);
		err_set(err, "\"%s\" is not a valid name for %s", shown, res->plural);
		return NULL;
	}
	body = dump_json(obj);
	op = object_call(h, "POST", res, ns, NULL, NULL, body, strlen(body), "application/json",
			 false, fn, ud, err);
	free(body);
	return op;
}

struct kube_op *kube_apply(struct kube_http *h, const struct kube_resource *res, const char *ns,
			   const char *name, const char *manifest, size_t len, kube_result_fn fn,
			   void *ud, struct err *err)
{
	if (!name || !manifest || !len) {
		err_set(err, "apply needs an object name and a manifest");
		return NULL;
	}
	return object_call(h, "PATCH", res, ns, name, NULL, manifest, len,
			   "application/apply-patch+yaml", true, fn, ud, err);
}

struct kube_op *kube_merge_patch(struct kube_http *h, const struct kube_resource *res,
				 const char *ns, const char *name, const char *sub,
				 const json_t *patch, kube_result_fn fn, void *ud, struct err *err)
{
	char *body;
	struct kube_op *op;

	if (!name || !json_is_object(patch)) {
		err_set(err, "a merge patch needs an object name and a JSON object");
		return NULL;
	}
	body = dump_json(patch);
	op = object_call(h, "PATCH", res, ns, name, sub, body, strlen(body),
			 "application/merge-patch+json", false, fn, ud, err);
	free(body);
	return op;
}

struct kube_op *kube_delete(struct kube_http *h, const struct kube_resource *res, const char *ns,
			    const char *name, const char *propagation, kube_result_fn fn, void *ud,
			    struct err *err)
{
	struct buf path = BUF_INIT;
	char *body = NULL;
	struct kube_op *op;

	if (!name) {
		err_set(err, "delete needs an object name");
		return NULL;
	}
	if (propagation && strcmp(propagation, "Foreground") != 0 &&
	    strcmp(propagation, "Background") != 0 && strcmp(propagation, "Orphan") != 0) {
		err_set(err, "propagationPolicy must be Foreground, Background or Orphan");
		return NULL;
	}
	if (!kube_path(&path, res, ns, name, NULL, err)) {
		buf_free(&path);
		return NULL;
	}
	if (propagation) {
		/* as a query parameter and as DeleteOptions, which is how
		 * kubectl sends it; the server reads the body first */
		kube_query(&path, "propagationPolicy", propagation);
		body = xasprintf("{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
				 "\"propagationPolicy\":\"%s\"}",
				 propagation);
	}
	op = kube_call(h, "DELETE", buf_str(&path), body, body ? strlen(body) : 0,
		       body ? "application/json" : NULL, fn, ud, err);
	free(body);
	buf_free(&path);
	return op;
}

struct kube_op *kube_scale_get(struct kube_http *h, const struct kube_resource *res, const char *ns,
			       const char *name, kube_result_fn fn, void *ud, struct err *err)
{
	if (!name) {
		err_set(err, "scale needs an object name");
		return NULL;
	}
	return object_call(h, "GET", res, ns, name, "scale", NULL, 0, NULL, false, fn, ud, err);
}

struct kube_op *kube_scale_set(struct kube_http *h, const struct kube_resource *res, const char *ns,
			       const char *name, long replicas, kube_result_fn fn, void *ud,
			       struct err *err)
{
	char body[96];

	if (replicas < 0 || replicas > 100000) {
		err_set(err, "replicas must be from 0 to 100000");
		return NULL;
	}
	if (!name) {
		err_set(err, "scale needs an object name");
		return NULL;
	}
	snprintf(body, sizeof(body), "{\"spec\":{\"replicas\":%ld}}", replicas);
	return object_call(h, "PATCH", res, ns, name, "scale", body, strlen(body),
			   "application/merge-patch+json", false, fn, ud, err);
}

static void log_line(const char *line, size_t len, void *ud)
{
	struct kube_op *op = ud;

	op->on_line(line, len, op->ud);
}

struct kube_op *kube_logs(struct kube_http *h, const char *ns, const char *pod,
			  const struct kube_log_opts *opts, kube_line_fn on_line, kube_result_fn fn,
			  void *ud, struct err *err)
{
	static const struct kube_log_opts defaults = {.tail_lines = -1};
	struct buf path = BUF_INIT;
	struct kube_request rq = {.method = "GET", .accept = "*/*", .retries = 0};
	struct kube_op *op;
	char num[32];
	time_t t;

	if (!opts)
		opts = &defaults;
	if (!pod || !on_line) {
		err_set(err, "logs need a pod name and a line function");
		return NULL;
	}
	if (!kube_path(&path, &kube_res_pods, ns, pod, "log", err))
		goto bad;
	if (opts->container) {
		if (!kube_valid_namespace(opts->container)) {
			char shown[80];

			str_copy_clean(shown, sizeof(shown), opts->container);
			err_set(err, "\"%s\" is not a valid container name", shown);
			goto bad;
		}
		kube_query(&path, "container", opts->container);
	}
	if (opts->follow)
		kube_query(&path, "follow", "true");
	if (opts->tail_lines >= 0) {
		snprintf(num, sizeof(num), "%ld", opts->tail_lines);
		kube_query(&path, "tailLines", num);
	}
	if (opts->since_time) {
		if (!execcred_parse_time(opts->since_time, &t)) {
			err_set(err, "sinceTime must be an RFC 3339 time");
			goto bad;
		}
		kube_query(&path, "sinceTime", opts->since_time);
	}
	if (opts->since_seconds > 0) {
		snprintf(num, sizeof(num), "%ld", opts->since_seconds);
		kube_query(&path, "sinceSeconds", num);
	}
	if (opts->limit_bytes > 0) {
		snprintf(num, sizeof(num), "%ld", opts->limit_bytes);
		kube_query(&path, "limitBytes", num);
	}
	if (opts->timestamps)
		kube_query(&path, "timestamps", "true");
	if (opts->previous)
		kube_query(&path, "previous", "true");
	op = op_new(h, fn, ud);
	op->stream = true;
	op->on_line = on_line;
	rq.path = buf_str(&path);
	rq.on_line = log_line;
	rq.timeout_ms = opts->timeout_ms;
	if (!op_send(op, &rq, err)) {
		op_free(op);
		goto bad;
	}
	buf_free(&path);
	return op;
bad:
	buf_free(&path);
	return NULL;
}
