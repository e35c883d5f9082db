/* Unit tests of kubesim's pure parts: selectors, patches, server-side apply
 * field sets and idempotency, quantities, YAML scalars, times, protobuf
 * access reviews. */
#include "config.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apply.h"
#include "logs.h"
#include "patch.h"
#include "pbobj.h"
#include "quota.h"
#include "pbuf.h"
#include "restype.h"
#include "review.h"
#include "selector.h"
#include "sim.h"
#include "status.h"
#include "store.h"
#include "table.h"
#include "yamljson.h"

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

static bool sel_matches(const char *sel, const char *labels)
{
	struct selector s;
	struct err err = {{0}};
	json_t *l = J(labels);
	bool m;

	if (!selector_parse(sel, &s, &err))
		fail_msg("selector %s: %s", sel, err.msg);
	m = selector_match(&s, l);
	selector_free(&s);
	json_decref(l);
	return m;
}

static bool sel_parses(const char *sel)
{
	struct selector s;
	struct err err = {{0}};
	bool ok = selector_parse(sel, &s, &err);

	selector_free(&s);
	return ok;
}

static void test_label_selectors(void **state)
{
	(void)state;
	assert_true(sel_matches("", "{\"a\":\"b\"}"));
	assert_true(sel_matches("a=b", "{\"a\":\"b\"}"));
	assert_true(sel_matches("a==b", "{\"a\":\"b\"}"));
	assert_false(sel_matches("a=c", "{\"a\":\"b\"}"));
	assert_true(sel_matches("a!=c", "{\"a\":\"b\"}"));
	assert_true(sel_matches("a!=c", "{}"));
	assert_true(sel_matches("a in (x, b)", "{\"a\":\"b\"}"));
	assert_false(sel_matches("a notin (x,b)", "{\"a\":\"b\"}"));
	assert_true(sel_matches("a notin (x,b)", "{\"c\":\"b\"}"));
	assert_true(sel_matches("a", "{\"a\":\"\"}"));
	assert_false(sel_matches("!a", "{\"a\":\"\"}"));
	assert_true(sel_matches("app.kubernetes.io/name=web, tier",
				"{\"app.kubernetes.io/name\":\"web\",\"tier\":\"x\"}"));
	assert_true(sel_matches("n>3", "{\"n\":\"4\"}"));
	assert_false(sel_matches("n<3", "{\"n\":\"4\"}"));
	assert_false(sel_parses("a in b"));
	assert_false(sel_parses("a in ()"));
	assert_false(sel_parses("=b"));
	assert_false(sel_parses("a=b c"));
	assert_false(sel_parses("Bad_Key/x=y"));
	assert_false(sel_parses("a=-bad-"));
}

static void test_json_selectors(void **state)
{
	struct selector s;
	struct err err = {{0}};
	json_t *ls = J("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"tier\","
		       "\"operator\":\"In\",\"values\":[\"a\",\"b\"]},{\"key\":\"old\","
		       "\"operator\":\"DoesNotExist\"}]}");
	json_t *yes = J("{\"app\":\"web\",\"tier\":\"b\"}"),
	       *no = J("{\"app\":\"web\",\"tier\":\"b\",\"old\":\"1\"}");
	char *str;

	(void)state;
	assert_true(selector_from_json(ls, &s, &err));
	assert_true(selector_match(&s, yes));
	assert_false(selector_match(&s, no));
	selector_free(&s);
	str = selector_json_string(ls);
	assert_string_equal(str, "app=web,tier in (a,b),!old");
	free(str);
	assert_true(selector_from_json(json_null(), &s, &err));
	assert_false(selector_match(&s, yes));
	selector_free(&s);
	json_decref(ls);
	json_decref(yes);
	json_decref(no);
}

static void test_field_selectors(void **state)
{
	struct fieldsel fs;
	struct err err = {{0}};
	const struct restype *pods = restype_get(K_POD);
	json_t *doc = J("{\"metadata\":{\"name\":\"p,1\",\"namespace\":\"ns\"},\"status\":{"
			"\"phase\":\"Running\"}}");
	json_t *fields = store_fields_of(pods, doc);

	(void)state;
	assert_true(fieldsel_parse("status.phase=Running,metadata.name=p\\,1", pods, &fs, &err));
	assert_true(fieldsel_match(&fs, fields));
	fieldsel_free(&fs);
	assert_true(fieldsel_parse("status.phase!=Running", pods, &fs, &err));
	assert_false(fieldsel_match(&fs, fields));
	fieldsel_free(&fs);
	assert_false(fieldsel_parse("spec.containers=x", pods, &fs, &err));
	assert_string_equal(err.msg, "field label not supported: spec.containers");
	assert_false(fieldsel_parse("status.phase", pods, &fs, &err));
	json_decref(fields);
	json_decref(doc);
}

static void assert_json(json_t *got, const char *want)
{
	json_t *w = J(want);

	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

		fail_msg("got %s, wanted %s", g, want);
	}
	json_decref(w);
	json_decref(got);
}

static void test_merge_patch(void **state)
{
	json_t *t = J("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"l\":[1,2]}"), *p;

	(void)state;
	p = J("{\"b\":{\"c\":null,\"e\":4},\"l\":[3],\"a\":null}");
	assert_json(patch_merge(t, p), "{\"b\":{\"d\":3,\"e\":4},\"l\":[3]}");
	json_decref(p);
	json_decref(t);
}

static void test_strategic_patch(void **state)
{
	json_t *t = J(
	    "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"},{\"name\":\"b\","
	    "\"image\":\"y:1\"}],\"args\":[\"1\"]},\"metadata\":{\"finalizers\":[\"f1\",\"f2\"]}}");
	json_t *p =
	    J("{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"y:2\"},{\"name\":\"c\","
	      "\"image\":\"z\"},{\"name\":\"a\",\"$patch\":\"delete\"}],\"args\":[\"2\"]},"
	      "\"$setElementOrder/spec\":[],\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":"
	      "[\"f1\"]}}");
	struct err err = {{0}};
	json_t *out = patch_strategic(t, p, &err);

	(void)state;
	assert_non_null(out);
	assert_json(
	    out,
	    "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"y:2\"},{\"name\":"
	    "\"c\",\"image\":\"z\"}],\"args\":[\"2\"]},\"metadata\":{\"finalizers\":[\"f2\"]}}");
	json_decref(p);
	p = J("{\"spec\":{\"$patch\":\"bogus\"}}");
	assert_null(patch_strategic(t, p, &err));
	json_decref(p);
	json_decref(t);
}

static void test_json_patch(void **state)
{
	json_t *t = J("{\"a\":{\"b\":[1,2]}}"), *ops;
	struct err err = {{0}};

	(void)state;
	ops = J("[{\"op\":\"add\",\"path\":\"/a/b/-\",\"value\":3},{\"op\":\"replace\",\"path\":"
		"\"/a/b/0\",\"value\":0},{\"op\":\"test\",\"path\":\"/a/b/1\",\"value\":2},"
		"{\"op\":\"copy\",\"from\":\"/a/b\",\"path\":\"/"
		"c\"},{\"op\":\"remove\",\"path\":\"/a\"}]");
	assert_json(patch_json(t, ops, &err), "{\"c\":[0,2,3]}");
	json_decref(ops);
	ops = J("[{\"op\":\"test\",\"path\":\"/a/b/0\",\"value\":9}]");
	assert_null(patch_json(t, ops, &err));
	json_decref(ops);
	ops = J("[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]");
	assert_null(patch_json(t, ops, &err));
	json_decref(ops);
	ops = J("[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/d\"}]");
	assert_json(patch_json(t, ops, &err), "{\"a\":{},\"d\":[1,2]}");
	json_decref(ops);
	ops = J("[{\"op\":\"remove\",\"path\":\"/nope/x\"}]");
	assert_null(patch_json(t, ops, &err));
	json_decref(ops);
	json_decref(t);
}

static const char *const cfg1 =
    "{\"apiVersion\":\"apps/"
    "v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":"
    "\"nginx\","
    "\"ports\":[{\"containerPort\":80}]}]}}}}";

static void test_apply_fieldset(void **state)
{
	json_t *cfg = J(cfg1), *set = apply_fieldset(cfg), *tree;
	char *s;

	(void)state;
	assert_non_null(json_object_get(set, "f:spec\nf:replicas"));
	assert_non_null(json_object_get(set, "f:metadata\nf:labels\nf:app"));
	assert_non_null(json_object_get(
	    set, "f:spec\nf:template\nf:spec\nf:containers\nk:{\"name\":\"web\"}\nf:image"));
	assert_non_null(json_object_get(set,
					"f:spec\nf:template\nf:spec\nf:containers\nk:{\"name\":"
					"\"web\"}\nf:ports\nk:{\"containerPort\":80,\"protocol\":"
					"\"TCP\"}\nf:containerPort"));
	assert_null(json_object_get(set, "f:metadata\nf:name"));
	tree = apply_fields_tree(set, false);
	s = json_dumps(json_object_get(json_object_get(tree, "f:metadata"), "f:labels"),
		       JSON_COMPACT);
	assert_string_equal(s, "{\"f:app\":{}}");
	free(s);
	json_decref(tree);
	json_decref(set);
	json_decref(cfg);
}

static void test_apply_idempotent_and_conflicts(void **state)
{
	json_t *cfg = J(cfg1), *first, *second, *scaled, *third;
	struct apierr e = {0};
	const struct restype *rt = restype_get(K_DEPLOYMENT);

	(void)state;
	first = apply_merge(rt, NULL, cfg, "opsdeck", false, "2026-01-01T00:00:00Z", &e);
	assert_non_null(first);
	second = apply_merge(rt, first, cfg, "opsdeck", false, "2026-01-01T00:00:09Z", &e);
	assert_non_null(second);
	assert_true(apply_same(first, second));

	/* Another manager changes replicas with an update: the next apply conflicts. */
	scaled = json_deep_copy(first);
	json_object_set_new(json_object_get(scaled, "spec"), "replicas", json_integer(5));
	apply_track_update(scaled, first, "kubectl", "scale", "apps/v1", "2026-01-01T00:00:10Z");
	third = apply_merge(rt, scaled, cfg, "opsdeck", false, "2026-01-01T00:00:11Z", &e);
	assert_null(third);
	assert_int_equal(e.code, 409);
	assert_string_equal(e.msg, "Apply failed with 1 conflict: conflict with \"kubectl\" with "
				   "subresource \"scale\" using apps/v1: .spec.replicas");
	apierr_clear(&e);
	third = apply_merge(rt, scaled, cfg, "opsdeck", true, "2026-01-01T00:00:11Z", &e);
	assert_non_null(third);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(third, "spec"), "replicas")), 2);

	/* A field the manager stops applying goes away. */
	{
		json_t *less = json_deep_copy(cfg), *fourth;

		json_object_del(json_object_get(less, "metadata"), "labels");
		fourth = apply_merge(rt, third, less, "opsdeck", false, "2026-01-01T00:00:12Z", &e);
		assert_non_null(fourth);
		assert_null(json_object_get(json_object_get(fourth, "metadata"), "labels"));
		json_decref(fourth);
		json_decref(less);
	}
	json_decref(third);
	json_decref(scaled);
	json_decref(second);
	json_decref(first);
	json_decref(cfg);
}

static void test_quantities(void **state)
{
	int64_t m;
	char out[32];

	(void)state;
	assert_true(quantity_parse("100m", &m));
	assert_int_equal(m, 100);
	assert_true(quantity_parse("2", &m));
	assert_int_equal(m, 2000);
	assert_true(quantity_parse("1Gi", &m));
	assert_int_equal(m, 1073741824LL * 1000);
	assert_true(quantity_parse("1.5", &m));
	assert_int_equal(m, 1500);
	assert_true(quantity_parse("512M", &m));
	assert_false(quantity_parse("", &m));
	assert_false(quantity_parse("ten", &m));
	assert_false(quantity_parse("1Qi", &m));
	assert_false(quantity_parse("0x10", &m));
	quantity_format(500, out, sizeof(out));
	assert_string_equal(out, "500m");
	quantity_format(2000, out, sizeof(out));
	assert_string_equal(out, "2");
	quantity_format(268435456LL * 1000, out, sizeof(out));
	assert_string_equal(out, "256Mi");
	quantity_format(0, out, sizeof(out));
	assert_string_equal(out, "0");
}

static void test_yaml(void **state)
{
	struct err err = {{0}};
	json_t *docs = yamljson_docs(
	    "a: 1\nb: yes\nc: '1'\nd: ~\ne: 1.5\nf: [x, {g: off}]\n---\n---\nh: 0x10\n",
	    strlen("a: 1\nb: yes\nc: '1'\nd: ~\ne: 1.5\nf: [x, {g: off}]\n---\n---\nh: 0x10\n"),
	    &err);

	(void)state;
	assert_non_null(docs);
	assert_int_equal(json_array_size(docs), 2);
	assert_json(
	    json_incref(json_array_get(docs, 0)),
	    "{\"a\":1,\"b\":true,\"c\":\"1\",\"d\":null,\"e\":1.5,\"f\":[\"x\",{\"g\":false}]}");
	assert_json(json_incref(json_array_get(docs, 1)), "{\"h\":16}");
	json_decref(docs);
	assert_null(yamljson_docs("a: &x 1\nb: *x\n", 14, &err));
	assert_null(yamljson_docs("a: 1\na: 2\n", 10, &err));
	assert_non_null(strstr(err.msg, "already set in map"));
	assert_null(yamljson_docs("a: [\n", 5, &err));
	assert_null(yamljson_one("", 0, &err));
}

static void test_times(void **state)
{
	int64_t ns;
	char out[40];

	(void)state;
	assert_true(sim_parse_time("2026-11-23T05:26:10.610202Z", &ns));
	sim_fmt_time_ns(ns, out);
	assert_string_equal(out, "2026-11-23T05:26:10.610202000Z");
	assert_true(sim_parse_time("2026-11-23T06:26:10+01:00", &ns));
	sim_fmt_time(ns / 1000000, out);
	assert_string_equal(out, "2026-11-23T05:26:10Z");
	assert_false(sim_parse_time("2026-11-23 05:26:10Z", &ns));
	assert_false(sim_parse_time("2026-13-23T05:26:10Z", &ns));
	assert_false(sim_parse_time("yesterday", &ns));
	/* Go's time.Parse(time.RFC3339): a one-digit hour, a comma before the
	 * fraction, offsets up to 24 hours and 60 minutes pass; a lower-case t
	 * or z, second 60, a day the month lacks, a 25-hour offset do not. */
	assert_true(sim_parse_time("2026-11-23T5:26:10,5Z", &ns));
	sim_fmt_time_ns(ns, out);
	assert_string_equal(out, "2026-11-23T05:26:10.500000000Z");
	assert_true(sim_parse_time("2026-11-24T05:26:10+24:00", &ns));
	sim_fmt_time(ns / 1000000, out);
	assert_string_equal(out, "2026-11-23T05:26:10Z");
	assert_true(sim_parse_time("2026-11-23T07:26:10+01:60", &ns));
	sim_fmt_time(ns / 1000000, out);
	assert_string_equal(out, "2026-11-23T05:26:10Z");
	assert_false(sim_parse_time("2026-11-23T05:26:10+25:00", &ns));
	assert_false(sim_parse_time("2026-11-23T05:26:10+01:61", &ns));
	assert_false(sim_parse_time("2026-11-23T05:26:10+1:00", &ns));
	assert_false(sim_parse_time("2026-11-23t05:26:10Z", &ns));
	assert_false(sim_parse_time("2026-11-23T05:26:10z", &ns));
	assert_false(sim_parse_time("2026-11-23T05:26:60Z", &ns));
	assert_false(sim_parse_time("2026-11-23T24:00:00Z", &ns));
	assert_false(sim_parse_time("2026-11-23T05:26:10.Z", &ns));
	assert_false(sim_parse_time("2026-02-29T00:00:00Z", &ns));
	assert_true(sim_parse_time("2000-02-29T00:00:00Z", &ns));
	assert_false(sim_parse_time("1900-02-29T00:00:00Z", &ns));
	/* Years 0000-9999 all parse; beyond int64 nanoseconds (1677-2262) they
	 * saturate in order, never wrap. */
	assert_true(sim_parse_time("1970-01-01T00:00:00Z", &ns));
	assert_int_equal(ns, 0);
	assert_true(sim_parse_time("1969-12-31T23:59:59.5Z", &ns));
	assert_int_equal(ns, -500000000LL);
	assert_true(sim_parse_time("9999-12-31T23:59:59.999999999Z", &ns));
	assert_true(ns > INT64_MAX - 1000000000LL);
	assert_true(sim_parse_time("2262-04-11T23:47:16Z", &ns));
	assert_true(ns > 9223372030000000000LL);
	assert_true(sim_parse_time("0000-01-01T00:00:00Z", &ns));
	assert_true(ns < -9223372030000000000LL);
	assert_true(sim_parse_time("1677-09-21T00:12:43Z", &ns));
	assert_true(ns < -9223372030000000000LL);
	table_age(10 * 1000, out, sizeof(out));
	assert_string_equal(out, "10s");
	table_age(185 * 1000, out, sizeof(out));
	assert_string_equal(out, "3m5s");
	table_age(3 * 3600 * 1000 + 60000, out, sizeof(out));
	assert_string_equal(out, "3h1m");
	table_age(50LL * 3600 * 1000, out, sizeof(out));
	assert_string_equal(out, "2d2h");
}

/* sinceTime as the API server takes it: to the second, Go's RFC 3339. */
static void test_log_since_time(void **state)
{
	int64_t ns = 0, want;
	bool set = true;
	char out[40];

	(void)state;
	assert_true(sim_parse_time("2026-11-23T05:26:10Z", &want));
	assert_true(logs_since_time("2026-11-23T05:26:10.999999999Z", &ns, &set));
	assert_true(set);
	assert_int_equal(ns, want);
	assert_true(logs_since_time("2026-11-23T06:26:10.5+01:00", &ns, &set));
	assert_int_equal(ns, want);
	sim_fmt_time_ns(ns, out);
	assert_string_equal(out, "2026-11-23T05:26:10.000000000Z");
	assert_true(logs_since_time("2024-02-29T00:00:00Z", &ns, &set));
	assert_true(logs_since_time("", &ns, &set));
	assert_false(set);
	assert_true(logs_since_time("null", &ns, &set));
	assert_false(set);
	assert_false(logs_since_time("2026-11-23t05:26:10Z", &ns, &set));
	assert_false(logs_since_time("2026-11-23T05:26:10z", &ns, &set));
	assert_false(logs_since_time("2026-11-23T05:26:10", &ns, &set));
	assert_false(logs_since_time("2026-02-29T00:00:00Z", &ns, &set));
	assert_false(logs_since_time("2026-04-31T00:00:00Z", &ns, &set));
	assert_false(logs_since_time("2026-11-23T05:26:60Z", &ns, &set));
	assert_false(logs_since_time("1700000000", &ns, &set));
	/* The far future and past saturate, to the second. */
	assert_true(logs_since_time("9999-12-31T23:59:59Z", &ns, &set));
	assert_true(set && ns % 1000000000LL == 0 && ns > 9223372030000000000LL);
	assert_true(logs_since_time("0000-01-01T00:00:00.5Z", &ns, &set));
	assert_true(set && ns % 1000000000LL == 0 && ns < -9223372030000000000LL);
}

/* A line is a function of its run and number; each run has its own id. */
static void test_log_lines(void **state)
{
	struct crun c = {.name = "web", .image = "nginx:1.25", .run_id = 1};
	char a[768], b[768], id1[96], id2[96];
	size_t la, lb;

	(void)state;
	la = logs_line(3, "uid-1", &c, 1, 42, 1700000000000000000LL, a, sizeof(a));
	lb = logs_line(3, "uid-1", &c, 1, 42, 1700000000000000000LL, b, sizeof(b));
	assert_int_equal(la, lb);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, " seq=42"));
	assert_int_equal(strlen(a), la);
	logs_container_id("uid-1", &c, id1);
	assert_int_equal(strlen(id1), strlen("containerd://") + 64);
	assert_int_equal(strspn(id1 + 13, "0123456789abcdef"), 64);
	c.run_id = 2;
	logs_container_id("uid-1", &c, id2);
	assert_string_not_equal(id1, id2);
}

/* FNV-1a, 64 bits: a digest of a stream's bytes. */
static uint64_t fnv64(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* What a follow stream sends for line seq: "stamp " when asked, the line, "\n". */
static uint64_t log_text_hash(uint64_t h, const char *uid, const struct crun *c, uint64_t seq,
			      int64_t ts_ns, bool ts)
{
	char line[768], stamp[40];
	size_t len = logs_line(7, uid, c, c->run_id, seq, ts_ns, line, sizeof(line));

	if (ts) {
		sim_fmt_time_ns(ts_ns, stamp);
		h = fnv64(h, stamp, strlen(stamp));
		h = fnv64(h, " ", 1);
	}
	h = fnv64(h, line, len);
	return fnv64(h, "\n", 1);
}

/* Every image class, boot and later lines, with and without timestamps,
 * across second, minute, day, leap-day and year boundaries: the digest of
 * the text is fixed (recorded from the formatter as first written), so a
 * faster formatter must write the same bytes. */
#define LOG_TEXT_DIGEST 0x712a21adbf414e7dULL
static const char *const log_images[] = {"nginx:1.25", "mysql:8.0", "postgres:16",
					 "redis:7",    "bitnami/kafka:3.7", "busybox"};
static const struct {
	int64_t start_ns, step_ns;
	uint64_t lines;
} log_runs[] = {
    {1700000000000000000LL, 1, 2000},	    /* rate 0: a nanosecond apart */
    {1703980799999999000LL, 1, 3000},	    /* into 2024 */
    {1709251199500000000LL, 1000000, 3000}, /* 2024-02-29 into March, 1 ms apart */
    {1700000059000000000LL, 333333333, 400}, /* a third of a second apart */
    {86399999999500LL, 7, 300},		    /* 1970-01-01 into the 2nd */
};

static void test_log_text_digest(void **state)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(log_images); i++) {
		for (size_t r = 0; r < ARRAY_LEN(log_runs); r++) {
			struct crun c = {.name = r % 2 ? "db" : "web",
					 .image = (char *)log_images[i],
					 .run_id = r + 1};
			const char *uid = r % 2 ? "0f1e2d3c-4b5a-4697-8877-665544332211" : "uid-1";

			for (int ts = 0; ts < 2; ts++) {
				for (uint64_t k = 1; k <= log_runs[r].lines; k++) {
					int64_t at = log_runs[r].start_ns +
						     (int64_t)(k - 1) * log_runs[r].step_ns;

					h = log_text_hash(h, uid, &c, k, at, ts);
				}
			}
		}
	}
	assert_int_equal(h, LOG_TEXT_DIGEST);
}

/* A stream's formatter, which keeps the date texts of the last second,
 * writes the same bytes. */
static void test_log_text_digest_streamed(void **state)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(log_images); i++) {
		for (size_t r = 0; r < ARRAY_LEN(log_runs); r++) {
			const char *uid = r % 2 ? "0f1e2d3c-4b5a-4697-8877-665544332211" : "uid-1";

			for (int ts = 0; ts < 2; ts++) {
				struct logfmt f;
				char text[LOGFMT_MAX];

				logfmt_init(&f, 7, uid, r % 2 ? "db" : "web", r + 1, log_images[i],
					    ts);
				for (uint64_t k = 1; k <= log_runs[r].lines; k++) {
					int64_t at = log_runs[r].start_ns +
						     (int64_t)(k - 1) * log_runs[r].step_ns;

					h = fnv64(h, text, logfmt_put(&f, k, at, text));
				}
			}
		}
	}
	assert_int_equal(h, LOG_TEXT_DIGEST);
}

static void test_status_shapes(void **state)
{
	struct apierr e = {0};
	json_t *st;

	(void)state;
	apierr_not_found(&e, restype_get(K_DEPLOYMENT), "web");
	st = status_json(&e);
	assert_json(st,
		    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
		    "\"Failure\",\"message\":\"deployments.apps \\\"web\\\" not found\",\"reason\":"
		    "\"NotFound\",\"details\":{\"name\":\"web\",\"group\":\"apps\",\"kind\":"
		    "\"deployments\"},\"code\":404}");
	apierr_clear(&e);
	apierr_invalid_add(&e, "FieldValueRequired", "spec.selector", "Required value");
	assert_true(apierr_invalid_finish(&e, restype_get(K_DEPLOYMENT), "web"));
	assert_string_equal(e.msg,
			    "Deployment.apps \"web\" is invalid: spec.selector: Required value");
	assert_int_equal(e.code, 422);
	apierr_clear(&e);
}

/* What kubectl 1.32 sends for `auth can-i create namespaces` (captured with
 * -v=9): a SelfSubjectAccessReview in the k8s protobuf envelope. */
static const char can_i_create_ns[] = "k8s\0"
				      "\x0a\x32\x0a\x17"
				      "authorization.k8s.io/v1"
				      "\x12\x17"
				      "SelfSubjectAccessReview"
				      "\x12\x45\x0a\x10\x0a\x00\x12\x00\x1a\x00\x22\x00\x2a\x00"
				      "\x32\x00\x38\x00\x42\x00\x12\x27\x0a\x25\x0a\x07"
				      "default"
				      "\x12\x06"
				      "create"
				      "\x1a\x00\x22\x00\x2a\x0a"
				      "namespaces"
				      "\x32\x00\x3a\x00\x1a\x08\x08\x00\x12\x00\x1a\x00\x20\x00"
				      "\x1a\x00\x22\x00";
/* Without the terminating NUL of the literal. */
#define CAN_I_LEN (sizeof(can_i_create_ns) - 1)

static void test_protobuf_review(void **state)
{
	struct apierr e = {0};
	struct pb_object obj;
	struct pb_reader rd;
	struct pb_field f;
	struct err err = {{0}};
	char bad[CAN_I_LEN];
	static const unsigned char long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
						    0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	json_t *j;

	(void)state;
	assert_true(pb_unwrap(can_i_create_ns, CAN_I_LEN, &obj, &err));
	assert_string_equal(obj.api_version, "authorization.k8s.io/v1");
	assert_string_equal(obj.kind, "SelfSubjectAccessReview");
	assert_int_equal(obj.raw_len, 0x45);

	j = review_access_from_protobuf(can_i_create_ns, CAN_I_LEN, &e);
	assert_non_null(j);
	assert_json(json_incref(json_object_get(j, "spec")),
		    "{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"create\","
		    "\"resource\":\"namespaces\"}}");
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
			    "SelfSubjectAccessReview");
	json_decref(j);

	/* Cut short: a length runs past the end. */
	j = review_access_from_protobuf(can_i_create_ns, CAN_I_LEN - 8, &e);
	assert_null(j);
	assert_int_equal(e.code, 400);
	assert_non_null(strstr(e.msg, "length beyond the message"));
	apierr_clear(&e);

	/* Another kind in the envelope is refused. */
	memcpy(bad, can_i_create_ns, sizeof(bad));
	bad[33] = 'T'; /* SelfSubject... -> TelfSubject... */
	j = review_access_from_protobuf(bad, sizeof(bad), &e);
	assert_null(j);
	assert_non_null(strstr(e.msg, "expected authorization.k8s.io/v1 SelfSubjectAccessReview"));
	apierr_clear(&e);

	/* No envelope. */
	assert_false(pb_unwrap("{\"kind\":1}", 11, &obj, &err));
	assert_non_null(strstr(err.msg, "k8s envelope"));

	/* A varint of more than ten bytes is not one. */
	pb_reader_init(&rd, long_varint, sizeof(long_varint));
	assert_int_equal(pb_next(&rd, &f, &err), -1);
	assert_non_null(strstr(err.msg, "bad varint"));

	assert_true(review_readonly_may("watch"));
	assert_false(review_readonly_may("patch"));
	assert_false(review_readonly_may("*"));
}

/* `kubectl auth can-i --list` in the default namespace: a
 * SelfSubjectRulesReview in the k8s protobuf envelope. */
static const char rules_review[] = "k8s\0"
				   "\x0a\x31\x0a\x17"
				   "authorization.k8s.io/v1"
				   "\x12\x16"
				   "SelfSubjectRulesReview"
				   "\x12\x0d\x0a\x00\x12\x09\x0a\x07"
				   "default"
				   "\x1a\x00\x22\x00";

static void test_protobuf_rules_review(void **state)
{
	struct apierr e = {0};
	json_t *j;

	(void)state;
	j = review_rules_from_protobuf(rules_review, sizeof(rules_review) - 1, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
			    "SelfSubjectRulesReview");
	assert_json(json_incref(json_object_get(j, "spec")), "{\"namespace\":\"default\"}");
	json_decref(j);
	/* A SelfSubjectAccessReview is not one. */
	j = review_rules_from_protobuf(can_i_create_ns, CAN_I_LEN, &e);
	assert_null(j);
	assert_non_null(strstr(e.msg, "expected authorization.k8s.io/v1 SelfSubjectRulesReview"));
	apierr_clear(&e);
}

/* A ConfigMap as kubectl create sends it: name, an empty generateName,
 * namespace, data {a: b} and binaryData {k: 00 ff}. */
static const char configmap_pb[] = "k8s\0"
				   "\x0a\x0f\x0a\x02"
				   "v1"
				   "\x12\x09"
				   "ConfigMap"
				   "\x12\x1e"
				   "\x0a\x0b\x0a\x03"
				   "cm1"
				   "\x12\x00\x1a\x02"
				   "ns"
				   "\x12\x06\x0a\x01"
				   "a"
				   "\x12\x01"
				   "b"
				   "\x1a\x07\x0a\x01"
				   "k"
				   "\x12\x02\x00\xff"
				   "\x1a\x00\x22\x00";

static void test_protobuf_objects(void **state)
{
	struct apierr e = {0};
	char other[sizeof(configmap_pb)];
	json_t *j;

	(void)state;
	j = pbobj_decode(configmap_pb, sizeof(configmap_pb) - 1, &e);
	assert_non_null(j);
	assert_json(j, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
		       "\"cm1\",\"namespace\":\"ns\"},\"data\":{\"a\":\"b\"},\"binaryData\":{"
		       "\"k\":\"AP8=\"}}");
	/* Cut short: 400 */
	j = pbobj_decode(configmap_pb, sizeof(configmap_pb) - 12, &e);
	assert_null(j);
	assert_int_equal(e.code, 400);
	apierr_clear(&e);
	/* A kind it does not read: 415, as before */
	memcpy(other, configmap_pb, sizeof(other));
	memcpy(other + 12, "ConfigMaq", 9);
	j = pbobj_decode(other, sizeof(other) - 1, &e);
	assert_null(j);
	assert_int_equal(e.code, 415);
	apierr_clear(&e);
}

/* kubectl 1.32's body for `create service clusterip s1 --tcp=80:8080 --tcp=443`. */
static const char service_pb[] =
	"\x6b\x38\x73\x00\x0a\x0d\x0a\x02\x76\x31\x12\x07\x53\x65\x72\x76"
	"\x69\x63\x65\x12\x80\x01\x0a\x1d\x0a\x02\x73\x31\x12\x00\x1a\x00"
	"\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x5a\x09\x0a\x03\x61\x70"
	"\x70\x12\x02\x73\x31\x12\x5b\x0a\x1b\x0a\x07\x38\x30\x2d\x38\x30"
	"\x38\x30\x12\x03\x54\x43\x50\x18\x50\x22\x07\x08\x00\x10\x90\x3f"
	"\x1a\x00\x28\x00\x0a\x18\x0a\x03\x34\x34\x33\x12\x03\x54\x43\x50"
	"\x18\xbb\x03\x22\x07\x08\x00\x10\xbb\x03\x1a\x00\x28\x00\x12\x09"
	"\x0a\x03\x61\x70\x70\x12\x02\x73\x31\x1a\x00\x22\x09\x43\x6c\x75"
	"\x73\x74\x65\x72\x49\x50\x3a\x00\x42\x00\x52\x00\x5a\x00\x60\x00"
	"\x68\x00\x1a\x02\x0a\x00\x1a\x00\x22\x00";

/* `create deployment d1 --image=nginx:1.25 --port=80 --replicas=2` */
static const char deployment_pb[] =
	"\x6b\x38\x73\x00\x0a\x15\x0a\x07\x61\x70\x70\x73\x2f\x76\x31\x12"
	"\x0a\x44\x65\x70\x6c\x6f\x79\x6d\x65\x6e\x74\x12\xb9\x01\x0a\x1d"
	"\x0a\x02\x64\x31\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00"
	"\x42\x00\x5a\x09\x0a\x03\x61\x70\x70\x12\x02\x64\x31\x12\x89\x01"
	"\x08\x02\x12\x0b\x0a\x09\x0a\x03\x61\x70\x70\x12\x02\x64\x31\x1a"
	"\x70\x0a\x1b\x0a\x00\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38"
	"\x00\x42\x00\x5a\x09\x0a\x03\x61\x70\x70\x12\x02\x64\x31\x12\x51"
	"\x12\x33\x0a\x05\x6e\x67\x69\x6e\x78\x12\x0a\x6e\x67\x69\x6e\x78"
	"\x3a\x31\x2e\x32\x35\x2a\x00\x32\x0a\x0a\x00\x10\x00\x18\x50\x22"
	"\x00\x2a\x00\x42\x00\x6a\x00\x72\x00\x80\x01\x00\x88\x01\x00\x90"
	"\x01\x00\xa2\x01\x00\x1a\x00\x32\x00\x42\x00\x4a\x00\x52\x00\x58"
	"\x00\x60\x00\x68\x00\x82\x01\x00\x8a\x01\x00\x9a\x01\x00\xc2\x01"
	"\x00\x22\x02\x0a\x00\x28\x00\x38\x00\x1a\x0c\x08\x00\x10\x00\x18"
	"\x00\x20\x00\x28\x00\x38\x00\x1a\x00\x22\x00";

/* `create job j1 --image=busybox -- echo hi` */
static const char job_pb[] =
	"\x6b\x38\x73\x00\x0a\x0f\x0a\x08\x62\x61\x74\x63\x68\x2f\x76\x31"
	"\x12\x03\x4a\x6f\x62\x12\x84\x01\x0a\x12\x0a\x02\x6a\x31\x12\x00"
	"\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x12\x64\x32\x62"
	"\x0a\x10\x0a\x00\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00"
	"\x42\x00\x12\x4e\x12\x2b\x0a\x02\x6a\x31\x12\x07\x62\x75\x73\x79"
	"\x62\x6f\x78\x1a\x04\x65\x63\x68\x6f\x1a\x02\x68\x69\x2a\x00\x42"
	"\x00\x6a\x00\x72\x00\x80\x01\x00\x88\x01\x00\x90\x01\x00\xa2\x01"
	"\x00\x1a\x05\x4e\x65\x76\x65\x72\x32\x00\x42\x00\x4a\x00\x52\x00"
	"\x58\x00\x60\x00\x68\x00\x82\x01\x00\x8a\x01\x00\x9a\x01\x00\xc2"
	"\x01\x00\x1a\x08\x20\x00\x28\x00\x30\x00\x3a\x00\x1a\x00\x22\x00";

/* A Pod with what kubectl run and typed clients fill in: a port, env (a
 * value and a secret key), limits and requests, tty, a grace period, a
 * security context, a toleration and a negative priority. */
static const char pod_pb[] =
	"\x6b\x38\x73\x00\x0a\x09\x0a\x02\x76\x31\x12\x03\x50\x6f\x64\x12"
	"\xdb\x01\x0a\x19\x0a\x02\x70\x31\x12\x00\x1a\x02\x6e\x73\x38\x00"
	"\x42\x00\x5a\x09\x0a\x03\x72\x75\x6e\x12\x02\x70\x31\x12\xbb\x01"
	"\x12\x70\x0a\x02\x70\x31\x12\x05\x6e\x67\x69\x6e\x78\x2a\x00\x32"
	"\x0a\x0a\x00\x10\x00\x18\x50\x22\x00\x2a\x00\x3a\x06\x0a\x01\x41"
	"\x12\x01\x62\x3a\x1a\x0a\x02\x50\x57\x12\x00\x1a\x12\x22\x10\x0a"
	"\x04\x0a\x02\x70\x77\x12\x08\x70\x61\x73\x73\x77\x6f\x72\x64\x42"
	"\x21\x0a\x0d\x0a\x03\x63\x70\x75\x12\x06\x0a\x04\x35\x30\x30\x6d"
	"\x12\x10\x0a\x06\x6d\x65\x6d\x6f\x72\x79\x12\x06\x0a\x04\x36\x34"
	"\x4d\x69\x6a\x00\x72\x00\x80\x01\x00\x88\x01\x00\x90\x01\x01\xa2"
	"\x01\x00\x1a\x06\x41\x6c\x77\x61\x79\x73\x20\x0a\x32\x0c\x43\x6c"
	"\x75\x73\x74\x65\x72\x46\x69\x72\x73\x74\x58\x00\x72\x05\x10\xe8"
	"\x07\x18\x01\xb2\x01\x19\x0a\x01\x6b\x12\x06\x45\x78\x69\x73\x74"
	"\x73\x1a\x00\x22\x0a\x4e\x6f\x53\x63\x68\x65\x64\x75\x6c\x65\xc8"
	"\x01\xfb\xff\xff\xff\xff\xff\xff\xff\xff\x01\x1a\x00\x1a\x00\x22"
	"\x00";

/* Service's spec.ports[0].port sent as bytes. */
static const char bad_wire_pb[] = "k8s\0"
				  "\x0a\x0d\x0a\x02"
				  "v1"
				  "\x12\x07"
				  "Service"
				  "\x12\x06\x12\x04\x0a\x02\x1a\x00";

/* Pod p, container c (image i), and a volume v in its spec. */
static const char pod_volume_pb[] = "k8s\0"
				    "\x0a\x09\x0a\x02v1\x12\x03Pod"
				    "\x12\x14\x0a\x03\x0a\x01p"
				    "\x12\x0d\x0a\x03\x0a\x01v\x12\x06\x0a\x01"
				    "c\x12\x01i"
				    "\x1a\x00\x22\x00";
/* The same with a volume of empty fields only. */
static const char pod_empty_volume_pb[] = "k8s\0"
					  "\x0a\x09\x0a\x02v1\x12\x03Pod"
					  "\x12\x13\x0a\x03\x0a\x01p"
					  "\x12\x0c\x0a\x02\x0a\x00\x12\x06\x0a\x01"
					  "c\x12\x01i"
					  "\x1a\x00\x22\x00";
/* The container with a field 40 (a varint 1) that Container has not. */
static const char pod_field40_pb[] = "k8s\0"
				     "\x0a\x09\x0a\x02v1\x12\x03Pod"
				     "\x12\x12\x0a\x03\x0a\x01p"
				     "\x12\x0b\x12\x09\x0a\x01"
				     "c\x12\x01i\xc0\x02\x01"
				     "\x1a\x00\x22\x00";

static void decodes_to(const char *body, size_t len, const char *want)
{
	struct apierr e = {0};
	json_t *j = pbobj_decode(body, len, &e);

	if (!j)
		fail_msg("decode failed: %d %s", e.code, e.msg);
	assert_json(j, want);
}

/* Each decodes to what kubectl sends for it with -o json --dry-run=client,
 * less the server's parts (creationTimestamp, status). */
static void test_protobuf_workloads(void **state)
{
	struct apierr e = {0};

	(void)state;
	decodes_to(service_pb, sizeof(service_pb) - 1,
		   "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s1\","
		   "\"labels\":{\"app\":\"s1\"}},\"spec\":{\"ports\":[{\"name\":\"80-8080\","
		   "\"protocol\":\"TCP\",\"port\":80,\"targetPort\":8080},{\"name\":\"443\","
		   "\"protocol\":\"TCP\",\"port\":443,\"targetPort\":443}],\"selector\":{"
		   "\"app\":\"s1\"},\"type\":\"ClusterIP\"}}");
	decodes_to(deployment_pb, sizeof(deployment_pb) - 1,
		   "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":"
		   "\"d1\",\"labels\":{\"app\":\"d1\"}},\"spec\":{\"replicas\":2,\"selector\":{"
		   "\"matchLabels\":{\"app\":\"d1\"}},\"template\":{\"metadata\":{\"labels\":{"
		   "\"app\":\"d1\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
		   "\"nginx:1.25\",\"ports\":[{\"containerPort\":80}],\"resources\":{}}]}},"
		   "\"strategy\":{}}}");
	decodes_to(job_pb, sizeof(job_pb) - 1,
		   "{\"kind\":\"Job\",\"apiVersion\":\"batch/v1\",\"metadata\":{\"name\":\"j1\"},"
		   "\"spec\":{\"template\":{\"metadata\":{},\"spec\":{\"containers\":[{\"name\":"
		   "\"j1\",\"image\":\"busybox\",\"command\":[\"echo\",\"hi\"],\"resources\":{}}],"
		   "\"restartPolicy\":\"Never\"}}}}");
	decodes_to(pod_pb, sizeof(pod_pb) - 1,
		   "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p1\","
		   "\"namespace\":\"ns\",\"labels\":{\"run\":\"p1\"}},\"spec\":{\"containers\":[{"
		   "\"name\":\"p1\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":80}],"
		   "\"env\":[{\"name\":\"A\",\"value\":\"b\"},{\"name\":\"PW\",\"valueFrom\":{"
		   "\"secretKeyRef\":{\"name\":\"pw\",\"key\":\"password\"}}}],\"resources\":{"
		   "\"limits\":{\"cpu\":\"500m\"},\"requests\":{\"memory\":\"64Mi\"}},\"tty\":true}],"
		   "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":10,\"dnsPolicy\":"
		   "\"ClusterFirst\",\"securityContext\":{\"runAsUser\":1000,\"runAsNonRoot\":true},"
		   "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":"
		   "\"NoSchedule\"}],\"priority\":-5}}");
	/* A field of the wrong wire type: 400, naming the field */
	assert_null(pbobj_decode(bad_wire_pb, sizeof(bad_wire_pb) - 1, &e));
	assert_int_equal(e.code, 400);
	assert_non_null(strstr(e.msg, "field 3"));
	apierr_clear(&e);
	/* A field kubesim does not read, holding something, is refused by name
	 * (415: the same object as JSON is read) rather than dropped; one that
	 * holds nothing, as encoders send unset plain fields, is not. */
	assert_null(pbobj_decode(pod_volume_pb, sizeof(pod_volume_pb) - 1, &e));
	assert_int_equal(e.code, 415);
	assert_non_null(strstr(e.msg, "spec.volumes"));
	apierr_clear(&e);
	decodes_to(pod_empty_volume_pb, sizeof(pod_empty_volume_pb) - 1,
		   "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\"},"
		   "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}");
	assert_null(pbobj_decode(pod_field40_pb, sizeof(pod_field40_pb) - 1, &e));
	assert_int_equal(e.code, 415);
	assert_non_null(strstr(e.msg, "spec.containers.field 40"));
	apierr_clear(&e);
	/* A body cut anywhere before its last two (empty) envelope fields is a
	 * 400, never half an object */
	for (size_t n = 0; n < sizeof(deployment_pb) - 1 - 4; n++) {
		assert_null(pbobj_decode(deployment_pb, n, &e));
		assert_int_equal(e.code, 400);
		apierr_clear(&e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_label_selectors),
	    cmocka_unit_test(test_json_selectors),
	    cmocka_unit_test(test_field_selectors),
	    cmocka_unit_test(test_merge_patch),
	    cmocka_unit_test(test_strategic_patch),
	    cmocka_unit_test(test_json_patch),
	    cmocka_unit_test(test_apply_fieldset),
	    cmocka_unit_test(test_apply_idempotent_and_conflicts),
	    cmocka_unit_test(test_quantities),
	    cmocka_unit_test(test_yaml),
	    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_log_since_time),
	    cmocka_unit_test(test_log_lines),
	    cmocka_unit_test(test_log_text_digest),
	    cmocka_unit_test(test_log_text_digest_streamed),
	    cmocka_unit_test(test_status_shapes),
	    cmocka_unit_test(test_protobuf_review),
	    cmocka_unit_test(test_protobuf_rules_review),
	    cmocka_unit_test(test_protobuf_objects),
	    cmocka_unit_test(test_protobuf_workloads),
	};

	return cmocka_run_group_tests_name("kubesim-units", tests, NULL, NULL);
}
