/* libFuzzer target: the answers of the Kubernetes API to a list (every
 * page, continue tokens, 410 Gone restarting it) and to a get, handed to
 * the operations with kube_op_feed() on a client that never connects. The
 * first byte chooses list or get; then come answers separated by NUL
 * bytes, each a byte choosing its HTTP status (and whether the body's
 * first line is its content type) and a body. A list that ends well holds
 * exactly the items its pages brought since it last started, each page
 * having been handed to the page function; a get gives a JSON object; a
 * failure is one sentence without control characters and its HTTP status.
 * See README.md. */
#include "config.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	bool done, ok;
	long status;
	size_t items; /* in the answered list */
	size_t paged; /* handed to the page function since the list (re)started */
	bool is_object;
	char msg[sizeof(((struct err *)0)->msg)];
};

static void check_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			abort();
	}
}

static void on_page(json_t *items, void *ud)
{
	struct outcome *o = ud;

	if (!json_is_array(items) || json_array_size(items) == 0 || o->done)
		abort();
	o->paged += json_array_size(items);
}

static void on_result(const struct kube_result *res, void *ud)
{
	struct outcome *o = ud;

	if (o->done)
		abort(); /* exactly once */
	o->done = true;
	o->ok = kube_result_ok(res);
	o->status = res->status;
	o->is_object = json_is_object(res->obj);
	o->items = json_array_size(json_object_get(res->obj, "items"));
	if (o->ok && (!json_is_array(json_object_get(res->obj, "items")) && o->items))
		abort();
	str_copy(o->msg, sizeof(o->msg), res->err.msg);
}

static struct kube_http *client(void)
{
	static struct kube_http *h;
	static const char kc[] = "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
				 "contexts: [{name: c, context: {cluster: c}}]\n"
				 "current-context: c\n";
	const char *label = "fuzz", *text = kc;
	size_t len = sizeof(kc) - 1;
	struct err err = {{0}};

	if (!h) {
		struct kube_config *cfg =
		    kubeconfig_parse_texts(&label, &text, &len, 1, NULL, &err);

		h = cfg ? kube_http_new(NULL, cfg, &err) : NULL;
		if (!h)
			abort();
	}
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 200, 201, 410, 404, 500, 403, 401};
	struct kube_list_opts lo = {.limit = 2, .page_fn = on_page};
	struct outcome o;
	struct kube_op *op;
	struct err err = {{0}};
	const char *p, *end;
	bool list;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	list = data[0] & 1;
	lo.page_fn = data[0] & 2 ? on_page : NULL;
	if (list)
		op = kube_list(client(), &kube_res_pods, "shop", &lo, on_result, &o, &err);
	else
		op = kube_get(client(), &kube_res_pods, "shop", "web-1", on_result, &o, &err);
	if (!op)
		abort();
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end && !o.done) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
		struct kube_response resp = {0};
		char *ct = NULL;
		unsigned sel = (unsigned char)p[0];
		size_t skip = 1;

		if (n == 0) {
			p++;
			continue;
		}
		resp.status = statuses[sel & 7];
		if (sel & 8) {
			/* the first line is the answer's content type */
			const char *nl = memchr(p + 1, '\n', n - 1);
			size_t ctlen = nl ? (size_t)(nl - p - 1) : n - 1;

			ct = strndup(p + 1, ctlen);
			skip = 1 + ctlen + (nl ? 1 : 0);
		}
		resp.content_type = ct;
		resp.body = strndup(p + skip, n - skip);
		resp.body_len = n - skip;
		if (list && resp.status == 410)
			o.paged = 0; /* if the list starts again, its pages count anew */
		kube_op_feed(op, &resp);
		free(resp.body);
		free(ct);
		p += n + 1;
	}
	if (!o.done) {
		kube_op_cancel(op);
		return 0;
	}
	if (o.ok) {
		if (!o.is_object || o.msg[0] || o.status < 200 || o.status > 299)
			abort();
		if (list && lo.page_fn && o.items != o.paged)
			abort();
	} else {
		if (!o.msg[0])
			abort();
		check_clean(o.msg);
	}
	return 0;
}
