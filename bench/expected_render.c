/* What the reconcile pass does on the event loop for each judged store:
 * render its offering's template with the store's values and keep the
 * objects it names (expected_for_store, expected_digest). The pass does
 * it RENDER_SLICE (50) stores per turn of the loop, so the longest slice
 * is how long a console's key may wait. Figures go to bench/README.md.
 *
 *   bench/expected_render CATALOG_FILE [STORES]   (default 2000) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "provision/expected.h"

#define SLICE 50

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static char *read_file(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

/* Store i of a medium plan, as bench_ready_stores makes them. */
static bool render_store(int i, char *text)
{
	char id[16], ns[64], digest[EXPECTED_DIGEST_LEN + 1];
	struct job_store st = {0};
	struct expected_objects e = {0};
	struct err err = {{0}};
	bool ok;

	snprintf(id, sizeof(id), "be%010x", (unsigned)i);
	str_copy(st.id, sizeof(st.id), id);
	snprintf(ns, sizeof(ns), "store-%s", id);
	st.name = "s";
	st.namespace = ns;
	st.status = "Ready";
	st.url = "";
	st.replicas = 2;
	st.project = "load";
	st.offering = "bench";
	st.kind = "bench";
	st.template_text = text;
	str_copy(st.plan.name, sizeof(st.plan.name), "medium");
	st.plan.replicas = 2;
	st.plan.cpu_request_millis = 250;
	st.plan.cpu_limit_millis = 1000;
	st.plan.memory_request_mib = 512;
	st.plan.memory_limit_mib = 1024;
	st.plan.storage_gib = 10;
	ok = expected_for_store(&st, "shops.test", &e, &err);
	if (!ok)
		fprintf(stderr, "the template does not render: %s\n", err.msg);
	else
		expected_digest(&e, digest, sizeof(digest));
	expected_free(&e);
	return ok;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 2000;
	char *text = argc > 1 ? read_file(argv[1]) : NULL;
	double t0, worst = 0;

	if (!text || n <= 0) {
		fprintf(stderr, "usage: expected_render CATALOG_FILE [STORES]\n");
		return 2;
	}
	t0 = now_ms();
	for (int i = 1; i <= n; i += SLICE) {
		double s0 = now_ms();

		for (int j = i; j < i + SLICE && j <= n; j++) {
			if (!render_store(j, text))
				return 1;
		}
		if (now_ms() - s0 > worst)
			worst = now_ms() - s0;
	}
	printf("%s, %d stores: %.0f ms in all, %.2f ms per store, longest slice of %d: %.1f "
	       "ms\n",
	       argv[1], n, now_ms() - t0, (now_ms() - t0) / n, SLICE, worst);
	free(text);
	return 0;
}
