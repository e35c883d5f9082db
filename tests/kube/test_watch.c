/* The watch cache against a scripted server: list, watch, resume from the
 * last resourceVersion (objects and bookmarks), a dropped stream, 410 Gone
 * as an ERROR event and as an HTTP answer, failing lists, and freeing the
 * watch from its own callback. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "fakeapi.h"
#include "kube/watch.h"
#include "kubetest.h"

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

#define POD(name, rv)                                                                              \
	"{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" name                   \
	"\",\"namespace\":\"shop\",\"resourceVersion\":\"" rv                                      \
	"\",\"managedFields\":[{\"manager\":\"kubectl\"}]}}"
#define EVENT(type, obj) "{\"type\":\"" type "\",\"object\":" obj "}\n"

struct server {
	int lists, watches;
	bool forbid_first_list;
	bool quiet_watches; /* watches hold still */
};

static void handler(const struct fake_req *rq, struct fake_reply *rep, void *ud)
{
	struct server *sv = ud;
	bool watch = strstr(rq->uri, "watch=1") != NULL;

	if (!watch) {
		int n = sv->lists++;

		if (n == 0 && sv->forbid_first_list) {
			rep->status = 403;
			rep->body =
			    xstrdup("{\"kind\":\"Status\",\"message\":\"pods is forbidden: User "
				    "\\\"bob\\\" cannot list resource \\\"pods\\\"\","
				    "\"reason\":\"Forbidden\",\"code\":403}");
			return;
		}
		if (sv->forbid_first_list)
			n--;
		if (n == 0)
			rep->body =
			    xstrdup("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":"
				    "\"100\"},\"items\":[" POD("a", "10") "," POD("b", "11") "]}");
		else if (n == 1)
			rep->body =
			    xstrdup("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":"
				    "\"200\"},\"items\":[" POD("a", "102") "," POD(
					"c", "120") "," POD("d", "121") "]}");
		else
			rep->body = xstrdup(
			    "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":"
			    "\"300\"},\"items\":[" POD("a", "102") "," POD("d", "121") "]}");
		return;
	}
	rep->stream = true;
	if (sv->quiet_watches) {
		sv->watches++;
		rep->then = FAKE_HOLD;
		rep->hold_ms = 3000;
		return;
	}
	switch (sv->watches++) {
	case 0:
		/* events, a bookmark, then the server's normal end */
		rep->body =
		    xstrdup(EVENT("ADDED", POD("c", "101")) EVENT("MODIFIED", POD("a", "102"))
				EVENT("BOOKMARK", "{\"kind\":\"Pod\",\"metadata\":{"
						  "\"resourceVersion\":\"105\"}}"));
		break;
	case 1:
		/* a deletion, then the connection drops */
		rep->body = xstrdup(EVENT("DELETED", POD("b", "106")));
		rep->then = FAKE_DROP;
		break;
	case 2:
		/* the history is gone: an ERROR event with code 410 */
		rep->body = xstrdup(EVENT("ERROR", "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
						   "\"status\":\"Failure\",\"message\":\"too old "
						   "resource version: 106 (150)\",\"reason\":"
						   "\"Expired\",\"code\":410}"));
		rep->then = FAKE_HOLD;
		rep->hold_ms = 3000;
		break;
	case 3:
		/* the same as an HTTP answer */
		rep->stream = false;
		rep->status = 410;
		rep->body = xstrdup("{\"kind\":\"Status\",\"message\":\"too old resource version\","
				    "\"reason\":\"Expired\",\"code\":410}");
		break;
	default:
		rep->body = xstrdup(EVENT("ADDED", POD("e", "301")));
		rep->then = FAKE_HOLD;
		rep->hold_ms = 3000;
		break;
	}
}

struct rec {
	struct buf log;
	int synced;
	int errors;
	unsigned relists, rewatches;
	bool free_on_e;
	bool freed;
	char first_error[512];
	bool synced_at_error;
};

static void on_change(struct kube_watch *w, enum kube_watch_event ev, const char *key, json_t *obj,
		      void *ud)
{
	static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "SYNCED", "ERROR"};
	struct rec *r = ud;

	r->relists = kube_watch_relists(w);
	r->rewatches = kube_watch_rewatches(w);
	if (ev == KUBE_WATCH_SYNCED) {
		r->synced++;
		buf_printf(&r->log, "SYNCED rv=%s n=%zu;", kube_watch_resource_version(w),
			   kube_watch_count(w));
	} else if (ev == KUBE_WATCH_ERROR) {
		if (r->errors++ == 0) {
			str_copy(r->first_error, sizeof(r->first_error), kube_watch_error(w));
			r->synced_at_error = kube_watch_synced(w);
		}
	} else {
		const char *rv = json_string_value(
		    json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));

		buf_printf(&r->log, "%s %s@%s rv=%s n=%zu;", names[ev], key, rv ? rv : "?",
			   kube_watch_resource_version(w), kube_watch_count(w));
		/* kept without managedFields */
		assert_null(json_object_get(json_object_get(obj, "metadata"), "managedFields"));
		/* the map already holds the change when we hear of it */
		if (ev == KUBE_WATCH_DELETED)
			assert_null(kube_watch_get(w, key));
		else
			assert_ptr_equal(kube_watch_get(w, key), obj);
	}
	if (r->free_on_e && key && strcmp(key, "e") == 0) {
		kube_watch_free(w);
		r->freed = true;
	}
}

static void run_until_log(struct loop *loop, struct rec *r, const char *want, long ms)
{
	uint64_t t0 = loop_now_ms();

	while (!strstr(buf_str(&r->log), want) && loop_now_ms() - t0 < (uint64_t)ms)
		loop_run_once(loop, 50);
	assert_contains(buf_str(&r->log), want);
}

static void uri_of(struct fake_api *api, unsigned i, char *out, size_t outsz)
{
	struct fake_req rq;

	fake_api_get(api, i, &rq);
	str_copy(out, outsz, rq.uri);
	fake_req_free(&rq);
}

static void test_watch_lifecycle(void **state)
{
	struct server sv = {0};
	struct fake_api *api = fake_api_start(handler, &sv);
	struct loop *loop = loop_new();
	struct err err;
	struct kube_http *h = kube_http_new(loop, kt_config(fake_api_url(api), NULL), &err);
	struct kube_watch_opts o = {.label_selector = "app=web",
				    .timeout_s = 60,
				    .backoff_base_ms = 40,
				    .backoff_cap_ms = 200};
	struct rec r = {.log = BUF_INIT, .free_on_e = true};
	struct kube_watch *w = kube_watch_new(h, &kube_res_pods, "shop", &o, on_change, &r, &err);
	static const char *const uris[] = {
	    /* the first list fills the map */
	    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&limit=500",
	    /* the first watch: from the list's version, with bookmarks */
	    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&watch=1&resourceVersion=100"
	    "&allowWatchBookmarks=true&timeoutSeconds=60",
	    /* it ended: the next one resumes from the bookmark's version */
	    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&watch=1&resourceVersion=105"
	    "&allowWatchBookmarks=true&timeoutSeconds=60",
	    /* dropped: reconnected from the deletion's version */
	    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&watch=1&resourceVersion=106"
	    "&allowWatchBookmarks=true&timeoutSeconds=60",
	    /* ERROR 410: listed again */
	    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&limit=500",
	    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&watch=1&resourceVersion=200"
	    "&allowWatchBookmarks=true&timeoutSeconds=60",
	    /* HTTP 410: listed once more */
	    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&limit=500",
	    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&watch=1&resourceVersion=300"
	    "&allowWatchBookmarks=true&timeoutSeconds=60",
	};

	(void)state;
	assert_non_null(w);
	assert_false(kube_watch_synced(w));
	/* the callback frees the watch when "e" comes */
	run_until_log(loop, &r, "ADDED e@301 ", 10000);
	assert_true(r.freed);
	/* each change, with the version the cache stood at when it was told:
	 * the first list's page as it came (before the list's version was
	 * known, the cache growing); after a relist the difference comes as
	 * changes */
	assert_string_equal(buf_str(&r.log), "ADDED a@10 rv= n=1;ADDED b@11 rv= n=2;"
					     "SYNCED rv=100 n=2;"
					     "ADDED c@101 rv=101 n=3;MODIFIED a@102 rv=102 n=3;"
					     "DELETED b@106 rv=106 n=2;"
					     "MODIFIED c@120 rv=200 n=3;ADDED d@121 rv=200 n=3;"
					     "SYNCED rv=200 n=3;"
					     "DELETED c@120 rv=300 n=2;SYNCED rv=300 n=2;"
					     "ADDED e@301 rv=301 n=3;");
	assert_int_equal(sv.lists, 3);
	assert_int_equal(sv.watches, 5);
	for (unsigned i = 0; i < ARRAY_LEN(uris); i++) {
		char uri[512];

		uri_of(api, i, uri, sizeof(uri));
		if (strcmp(uri, uris[i]) != 0)
			fail_msg("request %u: %s, not %s", i, uri, uris[i]);
	}
	/* a 410 is routine, not an error to show; the drop was, until the
	 * next event cleared it */
	assert_int_equal(r.errors, 2);
	assert_int_equal(r.relists, 2);
	assert_int_equal(r.rewatches, 4);

	/* nothing is left running */
	{
		uint64_t t0 = loop_now_ms();

		while (loop_now_ms() - t0 < 100)
			loop_run_once(loop, 20);
	}
	assert_int_equal(kube_http_pending(h), 0);
	kube_http_free(h);
	loop_free(loop);
	fake_api_stop(api);
	buf_free(&r.log);
}

static void test_watch_list_error(void **state)
{
	struct server sv = {.forbid_first_list = true, .quiet_watches = true};
	struct fake_api *api = fake_api_start(handler, &sv);
	struct loop *loop = loop_new();
	struct err err;
	struct kube_http *h = kube_http_new(loop, kt_config(fake_api_url(api), NULL), &err);
	struct kube_watch_opts o = {.backoff_base_ms = 40, .backoff_cap_ms = 100};
	struct rec r = {.log = BUF_INIT};
	struct kube_watch *w = kube_watch_new(h, &kube_res_pods, "shop", &o, on_change, &r, &err);
	uint64_t t0 = loop_now_ms();

	(void)state;
	while (r.errors == 0 && loop_now_ms() - t0 < 5000)
		loop_run_once(loop, 5);
	assert_string_equal(r.first_error,
			    "listing pods: Forbidden: User \"bob\" cannot list resource \"pods\"");
	assert_false(r.synced_at_error);
	/* the retry succeeds and the error is cleared */
	run_until_log(loop, &r, "SYNCED", 5000);
	assert_true(kube_watch_synced(w));
	assert_string_equal(kube_watch_error(w), "");
	assert_int_equal(r.errors, 2);
	kube_watch_free(w);
	assert_int_equal(kube_http_pending(h), 0);
	kube_http_free(h);
	loop_free(loop);
	fake_api_stop(api);
	buf_free(&r.log);
}

/* An object as text, its resourceVersion (which the server moves on) as RV. */
static char *kept(json_t *obj)
{
	json_t *copy = json_deep_copy(obj);
	json_t *meta = json_object_get(copy, "metadata");
	char *text;

	assert_non_null(json_string_value(json_object_get(meta, "resourceVersion")));
	json_object_set_new(meta, "resourceVersion", json_string("RV"));
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	return text;
}

static void test_watch_all_namespaces(void **state)
{
	struct server sv = {.quiet_watches = true};
	struct fake_api *api = fake_api_start(handler, &sv);
	struct loop *loop = loop_new();
	struct err err;
	struct kube_http *h = kube_http_new(loop, kt_config(fake_api_url(api), NULL), &err);
	struct kube_watch *w = kube_watch_new(h, &kube_res_pods, NULL, NULL, NULL, NULL, &err);
	uint64_t t0 = loop_now_ms();
	char uri[256];

	(void)state;
	/* no callback: a cache that is only read */
	while (!kube_watch_synced(w) && loop_now_ms() - t0 < 5000)
		loop_run_once(loop, 50);
	assert_true(kube_watch_synced(w));
	assert_non_null(kube_watch_get(w, "shop/a"));
	assert_non_null(kube_watch_get(w, "shop/b"));
	assert_int_equal(json_object_size(kube_watch_objects(w)), 2);
	uri_of(api, 0, uri, sizeof(uri));
	assert_string_equal(uri, "/api/v1/pods?limit=500");
	kube_watch_free(w);

	/* a cache of some fields: those, and the object's name, namespace and
	 * version; nothing else (not even managedFields unless asked for) */
	{
		static const char *const some[] = {"kind", "metadata.managedFields",
						   "spec.replicas", NULL};
		static const char *const none[] = {"spec.replicas", NULL};
		struct kube_watch_opts o = {.fields = some};
		char *text;

		w = kube_watch_new(h, &kube_res_pods, NULL, &o, NULL, NULL, &err);
		o.fields = none;
		struct kube_watch *w2 = kube_watch_new(h, &kube_res_pods, NULL, &o, NULL, NULL, &err);

		t0 = loop_now_ms();
		while ((!kube_watch_synced(w) || !kube_watch_synced(w2)) &&
		       loop_now_ms() - t0 < 5000)
			loop_run_once(loop, 50);
		text = kept(kube_watch_get(w, "shop/a"));
		assert_string_equal(text, "{\"kind\":\"Pod\",\"metadata\":{\"managedFields\":"
					  "[{\"manager\":\"kubectl\"}],\"name\":\"a\",\"namespace\":"
					  "\"shop\",\"resourceVersion\":\"RV\"}}");
		free(text);
		text = kept(kube_watch_get(w2, "shop/a"));
		assert_string_equal(text, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\","
					  "\"resourceVersion\":\"RV\"}}");
		free(text);
		kube_watch_free(w);
		kube_watch_free(w2);
	}

	/* refused arguments */
	assert_null(kube_watch_new(h, &kube_res_namespaces, "shop", NULL, NULL, NULL, &err));
	assert_string_equal(err.msg, "namespaces are not namespaced");
	kube_http_free(h);
	loop_free(loop);
	fake_api_stop(api);
}

/* ---- a first list in pages ---- */

static void paged_handler(const struct fake_req *rq, struct fake_reply *rep, void *ud)
{
	(void)ud;
	if (strstr(rq->uri, "watch=1")) {
		rep->stream = true;
		rep->then = FAKE_HOLD;
		rep->hold_ms = 60000;
		return;
	}
	if (!strstr(rq->uri, "continue="))
		rep->body = xstrdup("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":"
				    "\"100\",\"continue\":\"tok\"},\"items\":[" POD("a", "1") ","
				    POD("b", "2") "]}");
	else
		rep->body = xstrdup("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":"
				    "\"100\"},\"items\":[" POD("c", "3") "]}");
}

struct paged_rec {
	bool relist_at_first, synced;
	struct buf log;
};

static void paged_changed(struct kube_watch *w, enum kube_watch_event ev, const char *key,
			  json_t *obj, void *ud)
{
	static const char *const names[] = {
		[KUBE_WATCH_ADDED] = "ADDED",	[KUBE_WATCH_MODIFIED] = "MODIFIED",
		[KUBE_WATCH_DELETED] = "DELETED", [KUBE_WATCH_SYNCED] = "SYNCED",
		[KUBE_WATCH_ERROR] = "ERROR",
	};
	struct paged_rec *r = ud;

	(void)obj;
	/* the list it came from (0: the first) and whether the view may show
	 * the cache before the list is whole */
	buf_printf(&r->log, "%s %s list%u%s;", names[ev], key ? key : "-", kube_watch_relists(w),
		   kube_watch_partial(w) ? " partial" : "");
	if (r->relist_at_first) {
		r->relist_at_first = false;
		kube_watch_relist(w);
	}
	if (ev == KUBE_WATCH_SYNCED)
		r->synced = true;
}

static void paged_run(bool relist_at_first, const char *want)
{
	struct fake_api *api = fake_api_start(paged_handler, NULL);
	struct loop *loop = loop_new();
	struct err err;
	struct kube_http *h = kube_http_new(loop, kt_config(fake_api_url(api), NULL), &err);
	struct kube_watch_opts o = { .timeout_s = 60, .list_page = 2 };
	struct paged_rec r = { .relist_at_first = relist_at_first, .log = BUF_INIT };
	struct kube_watch *w = kube_watch_new(h, &kube_res_pods, "shop", &o, paged_changed, &r, &err);
	uint64_t t0 = loop_now_ms();

	assert_non_null(w);
	while (!r.synced && loop_now_ms() - t0 < 5000)
		loop_run_once(loop, 50);
	assert_string_equal(buf_str(&r.log), want);
	kube_watch_free(w);
	kube_http_free(h);
	loop_free(loop);
	fake_api_stop(api);
	buf_free(&r.log);
}

static void test_watch_first_list_in_pages(void **state)
{
	(void)state;
	/* each page shown as it comes; the end of the list adds nothing */
	paged_run(false, "ADDED a list0 partial;ADDED b list0 partial;"
			 "ADDED c list0 partial;SYNCED - list0;");
	/* a relist asked for from the first object's callback stops that list
	 * at once: the rest comes from the new list, which is not partial (a
	 * cache was there before it) */
	paged_run(true, "ADDED a list0 partial;ADDED b list1;ADDED c list1;"
			"SYNCED - list1;");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_watch_lifecycle),
	    cmocka_unit_test(test_watch_list_error),
	    cmocka_unit_test(test_watch_all_namespaces),
	    cmocka_unit_test(test_watch_first_list_in_pages),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("watch", tests, NULL, NULL);
	kt_cleanup();
	return rc;
}
