/* For kube_proxy.sh: watches namespaces with the cluster client, through
 * whatever proxy the kubeconfig ($KUBECONFIG) names, and waits for one
 * namespace to be added after the first list.
 *
 *   kube_proxy_watch NAME READY_FILE
 *
 * Creates READY_FILE once the first list is in (the test then creates
 * NAME), prints "added NAME" and exits 0 when the watch stream brings it;
 * exits 1 with the client's last error after 60 s.
 *
 *   kube_proxy_watch --get PATH
 *
 * One GET of PATH, retried as the client retries a GET (3 times, quickly);
 * prints "ok" and exits 0, or exits 1 with the error. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "kube/watch.h"
#include "loop.h"

struct state {
	const char *name, *ready_file;
	bool synced, added;
	struct loop *loop;
};

static void on_change(struct kube_watch *w, enum kube_watch_event ev, const char *key, json_t *obj,
		      void *ud)
{
	struct state *s = ud;

	(void)w;
	(void)obj;
	if (ev == KUBE_WATCH_SYNCED && !s->synced) {
		FILE *f = fopen(s->ready_file, "w");

		s->synced = true;
		if (f)
			fclose(f);
	} else if (ev == KUBE_WATCH_ADDED && s->synced && key && strcmp(key, s->name) == 0) {
		s->added = true;
		loop_stop(s->loop);
	}
}

static void on_got(const struct kube_result *res, void *ud)
{
	struct state *s = ud;

	s->added = kube_result_ok(res);
	if (s->added)
		puts("ok");
	else
		fprintf(stderr, "kube_proxy_watch: %s\n", res->err.msg);
	loop_stop(s->loop);
}

static void on_deadline(struct loop *loop, void *ud)
{
	(void)ud;
	loop_stop(loop);
}

int main(int argc, char **argv)
{
	struct state s = {0};
	struct err err = {{0}};
	struct kubeconfig_opts ko = {.no_in_cluster = true};
	struct kube_config *cfg;
	struct kube_http *h;
	struct kube_watch *w;

	if (argc != 3) {
		fputs("usage: kube_proxy_watch NAME READY_FILE\n", stderr);
		return 2;
	}
	s.name = argv[1];
	s.ready_file = argv[2];
	s.loop = loop_new();
	cfg = kubeconfig_load(&ko, &err);
	if (!cfg) {
		fprintf(stderr, "kube_proxy_watch: %s\n", err.msg);
		return 1;
	}
	h = kube_http_new(s.loop, cfg, &err);
	if (!h) {
		fprintf(stderr, "kube_proxy_watch: %s\n", err.msg);
		return 1;
	}
	if (strcmp(argv[1], "--get") == 0) {
		kube_http_set_retry(h, 50, 200, 3);
		if (!kube_call(h, "GET", argv[2], NULL, 0, NULL, on_got, &s, &err)) {
			fprintf(stderr, "kube_proxy_watch: %s\n", err.msg);
			return 1;
		}
		loop_timer_add(s.loop, 60000, 0, on_deadline, NULL);
		loop_run(s.loop);
		kube_http_free(h);
		loop_free(s.loop);
		return s.added ? 0 : 1;
	}
	w = kube_watch_new(h, &kube_res_namespaces, NULL, NULL, on_change, &s, &err);
	if (!w) {
		fprintf(stderr, "kube_proxy_watch: %s\n", err.msg);
		return 1;
	}
	loop_timer_add(s.loop, 60000, 0, on_deadline, NULL);
	loop_run(s.loop);
	if (s.added)
		printf("added %s\n", s.name);
	else
		fprintf(stderr, "kube_proxy_watch: no ADDED event for %s (%s): %s\n", s.name,
			s.synced ? "listed" : "never listed",
			kube_watch_error(w) ? kube_watch_error(w) : "no error");
	kube_watch_free(w);
	kube_http_free(h);
	loop_free(s.loop);
	return s.added ? 0 : 1;
}
