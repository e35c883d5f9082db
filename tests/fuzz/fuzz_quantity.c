/* libFuzzer target: CPU and memory quantities, as people write them for a
 * plan (db_parse_cpu, db_parse_memory) and as a template's containers and
 * volume claims write them (read by render_plan_measure). The plan readers
 * accept exactly cores with up to three decimals or whole millicores, and
 * a whole number of MiB with an optional Mi, Gi or Ti, within their
 * bounds, and what they format reads back the same; the manifest reader
 * agrees with them on every quantity both accept, and gives an amount in
 * range or a refusal that names the container. See README.md. */
#include "config.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "provision/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SATURATED ((unsigned __int128)1 << 100)

/* Digits from s[0..n) as a number, saturated; false if not all digits. */
static bool whole(const char *s, size_t n, unsigned __int128 *out)
{
	unsigned __int128 v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > SATURATED)
			v = SATURATED;
	}
	*out = v;
	return true;
}

/* What the plan rules say of s, in millicores: -1 refused. */
static long want_cpu(const char *s)
{
	size_t n = strlen(s);
	const char *dot = strchr(s, '.');
	unsigned __int128 v, f = 0;

	if (n > 0 && s[n - 1] == 'm') {
		if (!whole(s, n - 1, &v))
			return -1;
	} else if (dot) {
		size_t fl = n - (size_t)(dot - s) - 1;

		if (!whole(s, (size_t)(dot - s), &v) || fl < 1 || fl > 3 || !whole(dot + 1, fl, &f))
			return -1;
		for (size_t i = fl; i < 3; i++)
			f *= 10;
		v = v * 1000 + f;
	} else {
		if (!whole(s, n, &v))
			return -1;
		v *= 1000;
	}
	return v > DB_MAX_CPU_MILLIS ? -1 : (long)v;
}

static long want_memory(const char *s)
{
	size_t n = strlen(s);
	unsigned __int128 v, scale = 1;

	if (n > 2 && strcmp(s + n - 2, "Gi") == 0)
		scale = 1024;
	else if (n > 2 && strcmp(s + n - 2, "Ti") == 0)
		scale = 1024 * 1024;
	if (n > 2 && (scale > 1 || strcmp(s + n - 2, "Mi") == 0))
		n -= 2;
	if (!whole(s, n, &v))
		return -1;
	v *= scale;
	return v > DB_MAX_MEMORY_MIB ? -1 : (long)v;
}

static void check_plan_readers(const char *s, long *cpu, long *mib)
{
	struct err err = {{0}};
	char text[64];
	long v, back;

	*cpu = want_cpu(s);
	if (db_parse_cpu(s, &v, &err) ? v != *cpu : *cpu != -1)
		abort();
	if (*cpu >= 0) {
		db_format_cpu(v, text, sizeof(text));
		if (!db_parse_cpu(text, &back, &err) || back != v)
			abort();
	} else if (strncmp(err.msg, "invalid CPU amount", 18) != 0) {
		abort();
	}
	err.msg[0] = '\0';
	*mib = want_memory(s);
	if (db_parse_memory(s, &v, &err) ? v != *mib : *mib != -1)
		abort();
	if (*mib >= 0) {
		db_format_memory(v, text, sizeof(text));
		if (!db_parse_memory(text, &back, &err) || back != v)
			abort();
	} else if (strncmp(err.msg, "invalid memory amount", 21) != 0) {
		abort();
	}
}

/* A store whose only other workload, one replica (two pods while it rolls
 * out), asks for cpu and memory; and a claim of storage. */
static json_t *manifests(const char *cpu, const char *memory, const char *storage)
{
	json_t *res = json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "requests", "cpu", cpu, "memory",
				memory, "limits", "cpu", cpu, "memory", memory);
	json_t *other =
	    json_pack("{s:s,s:s,s:{s:s},s:{s:i,s:{s:{s:[{s:s,s:o}]}}}}", "apiVersion", "apps/v1",
		      "kind", "Deployment", "metadata", "name", "other", "spec", "replicas", 1,
		      "template", "spec", "containers", "name", "c", "resources", res);

	return json_pack("[{s:s,s:s,s:{s:s,s:{s:s}}},{s:s,s:s,s:{s:s}},o,"
			 "{s:s,s:s,s:{s:s},s:{s:{s:{s:s}}}}]",
			 "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", "web",
			 "labels", RENDER_ROLE_LABEL, RENDER_ROLE_WEB, "apiVersion", "apps/v1",
			 "kind", "StatefulSet", "metadata", "name", "db", other, "apiVersion", "v1",
			 "kind", "PersistentVolumeClaim", "metadata", "name", "data", "spec",
			 "resources", "requests", "storage", storage);
}

static void check_manifest_reader(const char *s, long cpu, long mib)
{
	struct render_plan plan = {.replicas = 1};
	struct err err = {{0}};
	json_t *m = json_string(s);

	if (!m)
		return; /* not UTF-8: no manifest holds it */
	json_decref(m);
	/* as a CPU amount */
	m = manifests(s, "64Mi", "1Gi");
	if (render_plan_measure(m, &plan, &err)) {
		if (plan.other_cpu_request_millis < 0 ||
		    plan.other_cpu_request_millis != plan.other_cpu_limit_millis ||
		    plan.other_pods != 2 || plan.other_memory_request_mib != 128)
			abort();
		if (cpu >= 0 && plan.other_cpu_request_millis != 2 * cpu)
			abort();
	} else if (!strstr(err.msg, "container c needs CPU and memory") &&
		   !strstr(err.msg, "more than opsdeck can count")) {
		abort();
	}
	json_decref(m);

	/* as a memory amount, and as a claim's storage */
	memset(&plan, 0, sizeof(plan));
	plan.replicas = 1;
	err.msg[0] = '\0';
	m = manifests("1", s, s);
	if (render_plan_measure(m, &plan, &err)) {
		size_t n = strlen(s);

		if (plan.other_memory_request_mib < 0 || plan.storage_gib < 0 ||
		    plan.other_cpu_request_millis != 2000)
			abort();
		if (mib >= 0 && n > 2 && s[n - 1] == 'i' &&
		    (plan.other_memory_request_mib != 2 * mib ||
		     plan.storage_gib != (mib + 1023) / 1024))
			abort();
	} else if (!strstr(err.msg, "container c needs CPU and memory") &&
		   !strstr(err.msg, "needs spec.resources.requests.storage") &&
		   !strstr(err.msg, "more than opsdeck can count")) {
		abort();
	}
	json_decref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64];
	long cpu, mib;

	if (size >= sizeof(s) || memchr(data, 0, size))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_plan_readers(s, &cpu, &mib);
	check_manifest_reader(s, cpu, mib);
	return 0;
}
