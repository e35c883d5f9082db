/* libFuzzer target: the event stream of a watch (kube_watch_feed_line, the
 * lines a watch's answer brings), on a watch cache whose client never
 * connects. The first byte chooses the namespace (one or all) and whether
 * the cache keeps only some fields; the rest is lines. The cache and its
 * change function agree: an added key was not there, a modified or deleted
 * one was, the map holds exactly the keys announced, each under the key
 * its object's name (and namespace) gives; kept objects have no
 * managedFields and, with fields chosen, nothing else; the error in words
 * has no control characters. See README.md. */
#include "config.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "kube/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	json_t *keys; /* key -> true, as announced */
	bool all_namespaces;
};

static void check_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			abort();
	}
}

static void on_change(struct kube_watch *w, enum kube_watch_event ev, const char *key, json_t *obj,
		      void *ud)
{
	struct seen *s = ud;
	bool known = key && json_object_get(s->keys, key) != NULL;

	switch (ev) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
		if (known != (ev == KUBE_WATCH_MODIFIED) || kube_watch_get(w, key) != obj)
			abort();
		json_object_set_new(s->keys, key, json_true());
		break;
	case KUBE_WATCH_DELETED:
		if (!known || kube_watch_get(w, key) || !json_is_object(obj))
			abort();
		json_object_del(s->keys, key);
		break;
	case KUBE_WATCH_ERROR:
		check_clean(kube_watch_error(w));
		break;
	case KUBE_WATCH_SYNCED:
		abort(); /* nothing was listed */
	}
}

/* Only these keys, each holding only the named keys below it. */
static void check_only(json_t *obj, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		size_t i = 0;

		while (keys[i] && strcmp(keys[i], k) != 0)
			i++;
		if (!keys[i])
			abort();
	}
}

static void check_cache(struct kube_watch *w, const struct seen *s, bool trimmed)
{
	const json_t *all = kube_watch_objects(w);
	const char *key;
	json_t *obj;

	if (json_object_size(all) != json_object_size(s->keys) ||
	    kube_watch_count(w) != json_object_size(s->keys))
		abort();
	check_clean(kube_watch_error(w));
	json_object_foreach((json_t *)all, key, obj)
	{
		json_t *meta = json_object_get(obj, "metadata");
		const char *name = json_string_value(json_object_get(meta, "name"));
		const char *ns = json_string_value(json_object_get(meta, "namespace"));
		char want[700];

		if (!json_object_get(s->keys, key) || !name || !name[0])
			abort();
		if (s->all_namespaces)
			snprintf(want, sizeof(want), "%s/%s", ns ? ns : "", name);
		else
			snprintf(want, sizeof(want), "%s", name);
		if (strcmp(want, key) != 0 || json_object_get(meta, "managedFields"))
			abort();
		if (trimmed) {
			static const char *const top[] = {"metadata", "spec", "status", NULL};
			static const char *const md[] = {"name", "namespace", "resourceVersion",
							 NULL};
			static const char *const spec[] = {"replicas", NULL};
			static const char *const status[] = {"phase", NULL};

			check_only(obj, top);
			check_only(meta, md);
			check_only(json_object_get(obj, "spec"), spec);
			check_only(json_object_get(obj, "status"), status);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kube_http *h;
	static const char *const fields[] = {"spec.replicas", "status.phase", NULL};
	struct kube_watch_opts opts = {0};
	struct seen s;
	struct kube_watch *w;
	struct err err = {{0}};
	const char *p, *end;
	bool trimmed;

	if (!h) {
		static const char kc[] = "clusters: [{name: c, cluster: {server: "
					 "'http://127.0.0.1:9'}}]\n"
					 "contexts: [{name: c, context: {cluster: c}}]\n"
					 "current-context: c\n";
		const char *label = "fuzz", *text = kc;
		size_t len = sizeof(kc) - 1;
		struct kube_config *cfg =
		    kubeconfig_parse_texts(&label, &text, &len, 1, NULL, &err);

		h = cfg ? kube_http_new(NULL, cfg, &err) : NULL;
		if (!h)
			abort();
	}
	if (size < 1)
		return 0;
	s.all_namespaces = data[0] & 1;
	trimmed = data[0] & 2;
	opts.fields = trimmed ? fields : NULL;
	s.keys = json_object();
	w = kube_watch_new(h, &kube_res_pods, s.all_namespaces ? NULL : "shop", &opts, on_change,
			   &s, &err);
	if (!w)
		abort();
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		kube_watch_feed_line(w, p, n);
		check_cache(w, &s, trimmed);
		p += n + 1;
	}
	kube_watch_free(w);
	json_decref(s.keys);
	return 0;
}
