/* Benchmark of kubesim: list latency with 10,000 pods and watch fan-out to
 * 50 watchers. Starts the given kubesim binary on a loopback port (plain
 * HTTP, so the figures measure kubesim rather than TLS), scales a
 * deployment to N pods, then
 *   - lists the namespace's pods (full JSON, and the Table kubectl asks for)
 *     R times and reports min / median / p95 wall time and size;
 *   - opens W watches on the namespace's pods, changes one pod M times and
 *     reports how long each change took to reach every watcher;
 *   - reports kubesim's resident memory.
 * Output is Markdown, for bench/kubesim/FIGURES.md.
 *
 * usage: bench-kubesim KUBESIM [pods=10000] [watchers=50] [changes=200] [lists=20] */
#include "config.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

#define TOKEN "bench-token-123"

static unsigned port;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *p, size_t sz, size_t n, void *cls)
{
	buf_append(cls, p, sz * n);
	return sz * n;
}

static CURL *easy(const char *method, const char *path, const char *ctype, const char *body,
		  const char *accept, struct buf *out, struct curl_slist **hdrs)
{
	CURL *c = curl_easy_init();
	char url[512], h[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	*hdrs = curl_slist_append(NULL, "Authorization: Bearer " TOKEN);
	if (ctype) {
		snprintf(h, sizeof(h), "Content-Type: %s", ctype);
		*hdrs = curl_slist_append(*hdrs, h);
	}
	if (accept) {
		snprintf(h, sizeof(h), "Accept: %s", accept);
		*hdrs = curl_slist_append(*hdrs, h);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	return c;
}

static long call(const char *method, const char *path, const char *ctype, const char *body,
		 const char *accept, struct buf *out)
{
	struct curl_slist *h;
	CURL *c = easy(method, path, ctype, body, accept, out, &h);
	long code = 0;

	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

static json_t *get_json(const char *path)
{
	struct buf b = BUF_INIT;
	long code = call("GET", path, NULL, NULL, NULL, &b);
	json_t *j = code == 200 ? json_loadb(b.data, b.len, 0, NULL) : NULL;

	if (!j)
		fatal("GET %s: HTTP %ld", path, code);
	buf_free(&b);
	return j;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(double *v, size_t n, double *min, double *med, double *p95, double *max)
{
	qsort(v, n, sizeof(*v), cmp_d);
	*min = v[0];
	*med = v[n / 2];
	*p95 = v[(size_t)((double)(n - 1) * 0.95)];
	*max = v[n - 1];
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	}
	if (f)
		fclose(f);
	return kib;
}

/* One list measurement. */
static void bench_list(const char *label, const char *path, const char *accept, int runs)
{
	double *t = xcalloc((size_t)runs, sizeof(*t)), mn, md, p95, mx;
	size_t bytes = 0;

	for (int i = 0; i < runs; i++) {
		struct buf b = BUF_INIT;
		double t0 = now_s();
		long code = call("GET", path, NULL, NULL, accept, &b);

		t[i] = (now_s() - t0) * 1000.0;
		if (code != 200)
			fatal("GET %s: HTTP %ld", path, code);
		bytes = b.len;
		buf_free(&b);
	}
	stats(t, (size_t)runs, &mn, &md, &p95, &mx);
	printf("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f MB |\n", label, runs, mn, md, p95, mx,
	       (double)bytes / 1e6);
	free(t);
}

/* ---- watch fan-out ---- */

#define MAX_CHANGES 10000

struct watcher {
	struct buf pending;
	double *seen; /* per change index: arrival time */
	size_t got;
};

static double sent_at[MAX_CHANGES];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int nchanges;
static char victim[256];

static size_t on_watch(char *p, size_t sz, size_t n, void *cls)
{
	struct watcher *w = cls;
	char *nl;

	buf_append(&w->pending, p, sz * n);
	while ((nl = memchr(w->pending.data, '\n', w->pending.len))) {
		size_t len = (size_t)(nl - w->pending.data) + 1;
		/* Cheap scan instead of a full parse: the change events carry the
		 * bench label and their resourceVersion. */
		char *mark = memmem(w->pending.data, len, "\"bench-change\":\"c", 17);

		if (mark && memmem(w->pending.data, len, "\"MODIFIED\"", 10)) {
			/* The label value numbers the change: the event may arrive
			 * before the PATCH answer does. */
			long idx = strtol(mark + 17, NULL, 10);

			if (idx >= 0 && idx < nchanges && w->seen[idx] == 0) {
				w->seen[idx] = now_s();
				w->got++;
			}
		}
		buf_consume(&w->pending, len);
	}
	return sz * n;
}

static void *changer(void *arg)
{
	char path[512], body[256];

	(void)arg;
	snprintf(path, sizeof(path), "/api/v1/namespaces/bench/pods/%s", victim);
	for (int i = 0; i < nchanges; i++) {
		struct buf b = BUF_INIT;
		double t0;

		snprintf(body, sizeof(body),
			 "{\"metadata\":{\"annotations\":{\"bench-change\":\"c%d\"}}}", i);
		t0 = now_s();
		pthread_mutex_lock(&mu);
		sent_at[i] = t0;
		pthread_mutex_unlock(&mu);
		if (call("PATCH", path, "application/merge-patch+json", body, NULL, &b) != 200)
			fatal("PATCH %s failed", path);
		buf_free(&b);
		usleep(5000);
	}
	return NULL;
}

static void bench_watch(int nw)
{
	CURLM *m = curl_multi_init();
	struct watcher *ws = xcalloc((size_t)nw, sizeof(*ws));
	CURL **hs = xcalloc((size_t)nw, sizeof(*hs));
	struct curl_slist **hdrs = xcalloc((size_t)nw, sizeof(*hdrs));
	json_t *list = get_json("/api/v1/namespaces/bench/pods?limit=1");
	char path[256];
	pthread_t th;
	int running = 1;
	double deadline, *lat, mn, md, p95, mx;
	size_t nlat = 0, delivered = 0;

	snprintf(victim, sizeof(victim), "%s",
		 json_string_value(json_object_get(
		     json_object_get(json_array_get(json_object_get(list, "items"), 0), "metadata"),
		     "name")));
	snprintf(path, sizeof(path), "/api/v1/namespaces/bench/pods?watch=1&resourceVersion=%s",
		 json_string_value(
		     json_object_get(json_object_get(list, "metadata"), "resourceVersion")));
	json_decref(list);
	for (int i = 0; i < nw; i++) {
		ws[i].seen = xcalloc((size_t)nchanges, sizeof(double));
		hs[i] = easy("GET", path, NULL, NULL, NULL, &ws[i].pending, &hdrs[i]);
		curl_easy_setopt(hs[i], CURLOPT_WRITEFUNCTION, on_watch);
		curl_easy_setopt(hs[i], CURLOPT_WRITEDATA, &ws[i]);
		curl_multi_add_handle(m, hs[i]);
	}
	/* Let every watch connect before changing anything. */
	deadline = now_s() + 2;
	while (now_s() < deadline) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 50, NULL);
	}
	pthread_create(&th, NULL, changer, NULL);
	deadline = now_s() + 60;
	while (now_s() < deadline) {
		size_t total = 0;

		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 5, NULL);
		for (int i = 0; i < nw; i++)
			total += ws[i].got;
		if (total == (size_t)nw * (size_t)nchanges)
			break;
	}
	pthread_join(th, NULL);
	lat = xcalloc((size_t)nw * (size_t)nchanges + 1, sizeof(*lat));
	for (int i = 0; i < nw; i++) {
		delivered += ws[i].got;
		for (int k = 0; k < nchanges; k++) {
			if (ws[i].seen[k] > 0)
				lat[nlat++] = (ws[i].seen[k] - sent_at[k]) * 1000.0;
			/* sent_at is written by the changer thread, joined above. */
		}
	}
	if (!nlat)
		fatal("no watch event arrived");
	stats(lat, nlat, &mn, &md, &p95, &mx);
	printf("| %d watchers x %d changes | %zu of %zu | %.2f | %.2f | %.2f | %.2f |\n", nw,
	       nchanges, delivered, (size_t)nw * (size_t)nchanges, mn, md, p95, mx);
	for (int i = 0; i < nw; i++) {
		curl_multi_remove_handle(m, hs[i]);
		curl_easy_cleanup(hs[i]);
		curl_slist_free_all(hdrs[i]);
		buf_free(&ws[i].pending);
		free(ws[i].seen);
	}
	curl_multi_cleanup(m);
	free(lat);
	free(hs);
	free(hdrs);
	free(ws);
}

int main(int argc, char **argv)
{
	int pods = argc > 2 ? atoi(argv[2]) : 10000, watchers = argc > 3 ? atoi(argv[3]) : 50;
	int lists = argc > 5 ? atoi(argv[5]) : 20;
	char dir[] = "/tmp/kubesim-bench-XXXXXX", portfile[64], body[1024];
	pid_t pid;
	double t0, deadline;
	int status;
	long rss0;

	nchanges = argc > 4 ? atoi(argv[4]) : 200;
	if (argc < 2 || pods < 1 || watchers < 1 || nchanges < 1 || nchanges > MAX_CHANGES ||
	    lists < 1) {
		fprintf(stderr,
			"usage: bench-kubesim KUBESIM [pods] [watchers] [changes] [lists]\n");
		return 2;
	}
	if (!mkdtemp(dir))
		fatal("mkdtemp failed");
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(argv[1], argv[1], "--http", "--token", TOKEN, "--port-file", portfile,
		      "--schedule-ms", "0", "--create-ms", "0", "--start-ms", "0", "--ready-ms",
		      "0", "--log-rate", "1", (char *)NULL);
		_exit(127);
	}
	deadline = now_s() + 10;
	while (now_s() < deadline && !port) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (fscanf(f, "%u", &port) != 1)
				port = 0;
			fclose(f);
		}
		usleep(20000);
	}
	if (!port)
		fatal("kubesim did not start");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rss0 = rss_kib(pid);
	{
		struct buf b = BUF_INIT;

		call("POST", "/api/v1/namespaces", "application/json",
		     "{\"metadata\":{\"name\":\"bench\"}}", NULL, &b);
		buf_free(&b);
		snprintf(
		    body, sizeof(body),
		    "{\"metadata\":{\"name\":\"fleet\"},\"spec\":{\"replicas\":%d,\"selector\":{"
		    "\"matchLabels\":{\"app\":\"fleet\"}},\"template\":{\"metadata\":{\"labels\":{"
		    "\"app\":\"fleet\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":"
		    "\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]}]}}}}",
		    pods);
		t0 = now_s();
		if (call("POST", "/apis/apps/v1/namespaces/bench/deployments", "application/json",
			 body, NULL, &b) != 201)
			fatal("cannot create the deployment: %s", buf_str(&b));
		buf_free(&b);
	}
	deadline = now_s() + 300;
	for (;;) {
		json_t *d = get_json("/apis/apps/v1/namespaces/bench/deployments/fleet");
		long ready = (long)json_integer_value(
		    json_object_get(json_object_get(d, "status"), "readyReplicas"));

		json_decref(d);
		if (ready == pods)
			break;
		if (now_s() > deadline)
			fatal("only %ld of %d pods ready after 300 s", ready, pods);
		usleep(200000);
	}
	printf("### kubesim with %d pods\n\n", pods);
	printf("%d pods created and Ready (deployment -> replica set -> pods) in %.1f s; "
	       "kubesim RSS %.1f MiB before, %.1f MiB after.\n\n",
	       pods, now_s() - t0, (double)rss0 / 1024.0, (double)rss_kib(pid) / 1024.0);
	printf("| list (HTTP, loopback) | runs | min ms | median ms | p95 ms | max ms | size |\n");
	printf("|---|---|---|---|---|---|---|\n");
	bench_list("pods in the namespace, JSON", "/api/v1/namespaces/bench/pods", NULL, lists);
	bench_list("pods in every namespace, JSON", "/api/v1/pods", NULL, lists);
	bench_list("pods, Table (kubectl get)", "/api/v1/namespaces/bench/pods",
		   "application/json;as=Table;v=v1;g=meta.k8s.io,application/json", lists);
	bench_list("pods, Table, limit=500 (kubectl's first page)",
		   "/api/v1/namespaces/bench/pods?limit=500",
		   "application/json;as=Table;v=v1;g=meta.k8s.io,application/json", lists);
	bench_list("pods, labelSelector matching none",
		   "/api/v1/namespaces/bench/pods?labelSelector=app%3Dnone", NULL, lists);
	bench_list("pods, limit=500 (first page)", "/api/v1/namespaces/bench/pods?limit=500", NULL,
		   lists);
	printf("\n| watch fan-out | events delivered | min ms | median ms | p95 ms | max ms |\n");
	printf("|---|---|---|---|---|---|\n");
	bench_watch(watchers);
	printf("\nkubesim RSS at the end: %.1f MiB.\n", (double)rss_kib(pid) / 1024.0);
	curl_global_cleanup();
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	unlink(portfile);
	rmdir(dir);
	return 0;
}
