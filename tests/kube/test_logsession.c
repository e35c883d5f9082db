/* A log session (logs/session.h) against a scripted API server. One pod,
 * one container, whose log stream ends cleanly (as the kubelet's cap or a
 * rotation ends it), then gets a 503, is dropped, stalls, ends again, and
 * the container terminates. Every line comes once, in order, though each
 * reconnect replays from the start of a second and several lines share a
 * timestamp; each reconnect asks from sinceTime; a clean end is not taken
 * for the end of the container; the last read after the termination has
 * no follow; the source ends with the exit code. Two containers whose
 * backlogs come one after the other go into the ring in one time order
 * (merge_backlog), every line told once, a line written after the start
 * pushed as it comes. The previous run of a container named is read only
 * where it restarted, and where it did nowhere that is said in words,
 * with no log asked. */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "fakeapi.h"
#include "kube/registry.h"
#include "kubetest.h"
#include "logs/ring.h"
#include "logs/session.h"

#define T0 "2026-12-03T08:00:00"
#define T1 "2026-12-03T08:00:01"
#define T2 "2026-12-03T08:00:02"

/* The container's log: several lines share a timestamp. */
static const char *const log_lines[] = {
    T0 ".100000000Z L1", T0 ".500000000Z L2", T0 ".500000000Z L3", T0 ".500000000Z L4",
    T1 ".000000001Z L5", T1 ".200000000Z L6", T2 ".000000000Z L7", T2 ".500000000Z L8",
};
#define NLINES 8

struct server {
	pthread_mutex_t mu;
	int logs;	    /* log requests so far */
	char uris[8][2048]; /* of the log requests */
};

static const char *pod_json(bool terminated)
{
	return terminated ? "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\","
			    "\"namespace\":\"t\",\"uid\":\"u1\",\"resourceVersion\":\"7\"},"
			    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]},"
			    "\"status\":{\"containerStatuses\":[{\"name\":\"c\",\"containerID\":"
			    "\"containerd://c1\",\"restartCount\":0,\"state\":{\"terminated\":"
			    "{\"exitCode\":3}}}]}}"
			  : "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\","
			    "\"namespace\":\"t\",\"uid\":\"u1\",\"resourceVersion\":\"5\"},"
			    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]},"
			    "\"status\":{\"containerStatuses\":[{\"name\":\"c\",\"containerID\":"
			    "\"containerd://c1\",\"restartCount\":0,\"state\":{\"running\":{}}}]}}";
}

/* Lines from index from to to (excluded), each with its line break. */
static char *lines(int from, int to)
{
	struct buf b = BUF_INIT;

	for (int i = from; i < to; i++)
		buf_printf(&b, "%s\n", log_lines[i]);
	return buf_steal(&b);
}

/* The version and a pod watch that stays quiet, as both servers answer
 * them; false for any other request. */
static bool answer_common(const struct fake_req *rq, struct fake_reply *rep)
{
	if (strncmp(rq->uri, "/version", 8) == 0) {
		rep->body =
		    xstrdup("{\"major\":\"1\",\"minor\":\"30\",\"gitVersion\":\"v1.30.0\"}");
		return true;
	}
	if (strstr(rq->uri, "/log?") == NULL && strstr(rq->uri, "watch=1")) {
		rep->stream = true;
		rep->then = FAKE_HOLD;
		rep->hold_ms = 20000;
		rep->body = xstrdup("");
		return true;
	}
	return false;
}

/* A kubeconfig whose one context is the server f. */
static char *kubeconfig_for(const char *name, struct fake_api *f)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Config\n"
		 "clusters:\n- name: f\n  cluster:\n    server: %s\n"
		 "contexts:\n- name: f\n  context:\n    cluster: f\n    user: u\n"
		 "current-context: f\n"
		 "users:\n- name: u\n  user:\n    token: t0k3n\n",
		 fake_api_url(f));
	return kt_write(name, text);
}

static void handler(const struct fake_req *rq, struct fake_reply *rep, void *ud)
{
	struct server *sv = ud;
	int n;

	if (answer_common(rq, rep))
		return;
	if (strstr(rq->uri, "/log?") == NULL) {
		if (strstr(rq->uri, "/pods/p")) {
			pthread_mutex_lock(&sv->mu);
			rep->body = xstrdup(pod_json(sv->logs >= 5));
			pthread_mutex_unlock(&sv->mu);
		} else {
			rep->body = xasprintf("{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
					      "\"metadata\":{\"resourceVersion\":\"5\"},"
					      "\"items\":[%s]}",
					      pod_json(false));
		}
		return;
	}
	pthread_mutex_lock(&sv->mu);
	n = sv->logs++;
	if (n < 8)
		snprintf(sv->uris[n], sizeof(sv->uris[n]), "%s", rq->uri);
	pthread_mutex_unlock(&sv->mu);
	rep->content_type = "text/plain";
	rep->stream = true;
	switch (n) {
	case 0: /* the start; then a clean end, as the kubelet's cap */
		rep->body = lines(0, 3);
		rep->then = FAKE_END;
		break;
	case 1: /* a 503 to the reconnect */
		rep->stream = false;
		rep->status = 503;
		rep->content_type = NULL;
		rep->body = xstrdup("{\"kind\":\"Status\",\"message\":\"the server is currently "
				    "unable to handle the request\",\"reason\":"
				    "\"ServiceUnavailable\",\"code\":503}");
		break;
	case 2: /* from 08:00:00: a replay, two new lines, then a drop */
		rep->body = lines(0, 5);
		rep->then = FAKE_DROP;
		break;
	case 3: /* from 08:00:01: a replay, one new line, then silence */
		rep->body = lines(4, 6);
		rep->then = FAKE_HOLD;
		rep->hold_ms = 8000;
		break;
	case 4: /* a replay, one new line, a clean end: the container ended */
		rep->body = lines(4, 7);
		rep->then = FAKE_END;
		break;
	default: /* the last read, without follow: what is left */
		rep->body = lines(6, NLINES);
		rep->then = FAKE_END;
		break;
	}
}

struct seen {
	struct log_session *s;
	struct buf text;
	bool ended;
	unsigned states;    /* bit per state seen */
	struct buf reasons; /* each reconnect's reason, once */
	unsigned last_attempt;
};

static void on_line(void *ud, uint64_t n, const struct log_entry *e)
{
	struct seen *x = ud;

	(void)n;
	buf_printf(&x->text, "%s ", e->text);
}

static void on_change(void *ud)
{
	struct seen *x = ud;
	const struct log_source *src = x->s ? log_session_source(x->s, 0) : NULL;

	x->ended = src && src->state == LOG_SOURCE_ENDED;
	if (!src)
		return;
	x->states |= 1u << src->state;
	if (src->state == LOG_SOURCE_RECONNECTING && src->attempt != x->last_attempt)
		buf_printf(&x->reasons, "%u:%s\n", src->attempt, src->reason);
	x->last_attempt = src->state == LOG_SOURCE_RECONNECTING ? src->attempt : 0;
}

static void test_resume_exactly_once(void **state)
{
	struct server sv = {.logs = 0};
	struct fake_api *f;
	struct loop *loop = loop_new();
	struct kube_registry *r;
	struct log_ring *ring = log_ring_new(100, 10000);
	struct seen x = {NULL, BUF_INIT, false, 0, BUF_INIT, 0};
	struct log_session_opts o = {.ns = "t",
				     .selector = "app=x",
				     .follow = true,
				     .tail_lines = 10,
				     .stall_ms = 1000,
				     .idle_ms = 300,
				     .ring = ring,
				     .on_line = on_line,
				     .on_change = on_change,
				     .ud = &x};
	const struct log_source *src;
	struct err err = {{0}};
	char *kc;

	(void)state;
	pthread_mutex_init(&sv.mu, NULL);
	f = fake_api_start(handler, &sv);
	kc = kubeconfig_for("logsession.kubeconfig", f);
	r = kube_registry_acquire(loop, kc);
	x.s = log_session_start(r, &o, &err);
	if (!x.s)
		fail_msg("log_session_start: %s", err.msg);
	assert_true(kt_run_until(loop, &x.ended, 20000));

	assert_string_equal(buf_str(&x.text), "L1 L2 L3 L4 L5 L6 L7 L8 ");
	src = log_session_source(x.s, 0);
	assert_string_equal(src->pod, "p");
	assert_string_equal(src->container, "c");
	assert_string_equal(src->reason, "terminated with exit code 3");
	assert_false(src->failed);
	assert_int_equal(src->lines, NLINES);
	/* the end, the 503, the drop and the container's end; the stall's
	 * reconnect is silent and not counted */
	assert_int_equal(src->reconnects, 4);
	assert_int_equal(src->dropped, 3 + 1 + 2 + 1);
	assert_int_equal(sv.logs, 6);
	/* the first read as asked; every later one from sinceTime, to the second */
	assert_non_null(strstr(sv.uris[0], "tailLines=10"));
	assert_null(strstr(sv.uris[0], "sinceTime"));
	for (int i = 0; i < 6; i++) {
		assert_non_null(strstr(sv.uris[i], "container=c"));
		assert_non_null(strstr(sv.uris[i], "timestamps=true"));
		assert_true((strstr(sv.uris[i], "follow=true") != NULL) == (i < 5));
		if (i > 0)
			assert_null(strstr(sv.uris[i], "tailLines"));
	}
	assert_non_null(strstr(sv.uris[1], "sinceTime=2026-12-03T08%3A00%3A00Z"));
	assert_non_null(strstr(sv.uris[2], "sinceTime=2026-12-03T08%3A00%3A00Z"));
	assert_non_null(strstr(sv.uris[3], "sinceTime=2026-12-03T08%3A00%3A01Z"));
	assert_non_null(strstr(sv.uris[4], "sinceTime=2026-12-03T08%3A00%3A01Z"));
	assert_non_null(strstr(sv.uris[5], "sinceTime=2026-12-03T08%3A00%3A02Z"));
	assert_int_equal(log_ring_count(ring), NLINES);
	/* every state was shown (but waiting: a slot was free), and why each
	 * reconnect happened */
	assert_int_equal(x.states, (1u << LOG_SOURCE_CONNECTING) | (1u << LOG_SOURCE_STREAMING) |
				       (1u << LOG_SOURCE_IDLE) | (1u << LOG_SOURCE_RECONNECTING) |
				       (1u << LOG_SOURCE_ENDED));
	{
		const char *why = buf_str(&x.reasons);

		if (!strstr(why, "1:end of stream\n2:the server is currently unable to handle the "
				 "request") ||
		    strstr(why, "stalled"))
			fail_msg("reasons: %s", why);
	}

	log_session_free(x.s);
	kube_registry_release(r);
	fake_api_stop(f);
	loop_free(loop);
	log_ring_free(ring);
	buf_free(&x.text);
	buf_free(&x.reasons);
	free(kc);
	pthread_mutex_destroy(&sv.mu);
}

/* ---- backlogs merged by time ---- */

/* Pod q's containers a and b wrote their lines in turns before the
 * session began; a also writes one line after. b's answer waits until
 * the test has seen a's lines told, so that b's backlog comes after them
 * and goes in among them. */
struct two_server {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool release_b;
	bool in_order; /* the second test's lines */
};

/* The time `secs` seconds from now, with `frac` (nine digits) as its
 * fraction, as the kubelet stamps a line. */
static void stamp(char *out, size_t n, long secs, const char *frac)
{
	time_t t = time(NULL) + secs;
	struct tm tm;
	char whole[32];

	gmtime_r(&t, &tm);
	strftime(whole, sizeof(whole), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%sZ", whole, frac);
}

static void two_handler(const struct fake_req *rq, struct fake_reply *rep, void *ud)
{
	struct two_server *sv = ud;
	char t1[64], t2[64], t3[64], t5[64], t6[64], live[64];
	bool a;

	if (answer_common(rq, rep))
		return;
	if (strstr(rq->uri, "/log?") == NULL) {
		rep->body = xstrdup(
		    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{"
		    "\"resourceVersion\":\"5\"},\"items\":[{\"kind\":\"Pod\",\"apiVersion\":\"v1\","
		    "\"metadata\":{\"name\":\"q\",\"namespace\":\"t\",\"uid\":\"u2\","
		    "\"resourceVersion\":\"5\"},\"spec\":{\"containers\":[{\"name\":\"a\","
		    "\"image\":\"x\"},{\"name\":\"b\",\"image\":\"x\"}]},\"status\":{"
		    "\"containerStatuses\":[{\"name\":\"a\",\"containerID\":\"containerd://a1\","
		    "\"restartCount\":0,\"state\":{\"running\":{}}},{\"name\":\"b\","
		    "\"containerID\":\"containerd://b1\",\"restartCount\":0,\"state\":{"
		    "\"running\":{}}}]}}]}");
		return;
	}
	rep->content_type = "text/plain";
	rep->stream = true;
	rep->then = FAKE_HOLD;
	rep->hold_ms = 20000;
	/* written an hour ago, in turns; a's last line a minute from now */
	stamp(t1, sizeof(t1), -3600, "100000000");
	stamp(t2, sizeof(t2), -3600, "200000000");
	stamp(t3, sizeof(t3), -3600, "300000000");
	stamp(t5, sizeof(t5), -3600, "500000000");
	stamp(t6, sizeof(t6), -3600, "600000000");
	stamp(live, sizeof(live), 60, "000000000");
	a = strstr(rq->uri, "container=a") != NULL;
	if (sv->in_order) {
		/* a: its tail (two lines) ends on a line of the same time as
		 * the one after it; b: a line without a time in its tail */
		rep->body = a ? xasprintf("%s a1\n%s a2\n%s a3\n", t1, t2, t2)
			      : xasprintf("%s b1\nno time here\n%s b2\n", t1, t3);
		return;
	}
	if (a) {
		rep->body = xasprintf("%s a1\n%s a2\n%s a3\n%s a-live\n", t1, t3, t5, live);
		return;
	}
	pthread_mutex_lock(&sv->mu);
	while (!sv->release_b)
		pthread_cond_wait(&sv->cv, &sv->mu);
	pthread_mutex_unlock(&sv->mu);
	rep->body = xasprintf("%s b1\n%s b2\n%s b3\n", t2, t3, t6);
}

struct told {
	struct buf text;
	int lines, all; /* lines told; how many make got_all */
	bool moved;
	bool got_a, got_all;
};

static void told_line(void *ud, uint64_t n, const struct log_entry *e)
{
	struct told *t = ud;

	(void)n;
	buf_printf(&t->text, "%s ", e->text);
	t->lines++;
	t->got_a = t->lines >= 4;
	t->got_all = t->lines >= t->all;
}

static void told_moved(void *ud)
{
	struct told *t = ud;

	t->moved = true;
}

/* A session over the two-container pod, with the ring, as a test runs
 * it: tail_lines asked of each, merge_backlog on. */
struct backlog_run {
	struct two_server sv;
	struct told t;
	struct fake_api *f;
	struct loop *loop;
	struct kube_registry *r;
	struct log_ring *ring;
	struct log_session *s;
	char *kc;
};

static void backlog_start(struct backlog_run *b, long tail_lines, const char *kubeconfig)
{
	struct log_session_opts o = {.ns = "t",
				     .selector = "app=y",
				     .follow = true,
				     .tail_lines = tail_lines,
				     .merge_backlog = true,
				     .on_line = told_line,
				     .on_moved = told_moved,
				     .ud = &b->t};
	struct err err = {{0}};

	pthread_mutex_init(&b->sv.mu, NULL);
	pthread_cond_init(&b->sv.cv, NULL);
	b->loop = loop_new();
	b->ring = o.ring = log_ring_new(100, 10000);
	b->f = fake_api_start(two_handler, &b->sv);
	b->kc = kubeconfig_for(kubeconfig, b->f);
	b->r = kube_registry_acquire(b->loop, b->kc);
	b->s = log_session_start(b->r, &o, &err);
	if (!b->s)
		fail_msg("log_session_start: %s", err.msg);
}

static void backlog_stop(struct backlog_run *b)
{
	log_session_free(b->s);
	kube_registry_release(b->r);
	fake_api_stop(b->f);
	loop_free(b->loop);
	log_ring_free(b->ring);
	buf_free(&b->t.text);
	free(b->kc);
	pthread_cond_destroy(&b->sv.cv);
	pthread_mutex_destroy(&b->sv.mu);
}

/* The texts the ring holds, oldest first, each followed by a space. */
static const char *ring_texts(const struct log_ring *ring, struct buf *out)
{
	buf_reset(out);
	for (uint64_t n = log_ring_first(ring); n < log_ring_end(ring); n++)
		buf_printf(out, "%s ", log_ring_get(ring, n)->text);
	return buf_str(out);
}

static void test_backlog_merged_by_time(void **state)
{
	struct backlog_run b = {.sv = {.release_b = false}, .t = {BUF_INIT, 0, 7, false, false, false}};
	struct buf order = BUF_INIT;

	(void)state;
	backlog_start(&b, 10, "logbacklog.kubeconfig");
	/* a's line written after the start is pushed as it comes; its
	 * backlog goes before it */
	assert_true(kt_run_until(b.loop, &b.t.got_a, 20000));
	assert_string_equal(ring_texts(b.ring, &order), "a1 a2 a3 a-live ");
	b.t.moved = false;
	pthread_mutex_lock(&b.sv.mu);
	b.sv.release_b = true;
	pthread_cond_broadcast(&b.sv.cv);
	pthread_mutex_unlock(&b.sv.mu);
	assert_true(kt_run_until(b.loop, &b.t.got_all, 20000));
	/* b's backlog went in among a's: every line once, in time order
	 * (b2 after a2: equal timestamps keep the order they came in) */
	assert_true(b.t.moved);
	assert_int_equal(b.t.lines, 7);
	for (int i = 0; i < 7; i++) {
		static const char *const names[] = {"a1 ", "a2 ", "a3 ", "a-live ",
						    "b1 ", "b2 ", "b3 "};
		const char *at = strstr(buf_str(&b.t.text), names[i]);

		if (!at || strstr(at + 1, names[i]))
			fail_msg("told: %s", buf_str(&b.t.text));
	}
	assert_int_equal(log_ring_count(b.ring), 7);
	assert_string_equal(ring_texts(b.ring, &order), "a1 b1 a2 b2 a3 b3 a-live ");
	backlog_stop(&b);
	buf_free(&order);
}

/* A tail that ends by its count, or at a line without a time, goes in
 * before the line that ends it: each container's lines keep their order. */
static void test_backlog_source_order(void **state)
{
	struct backlog_run b = {.sv = {.release_b = true, .in_order = true},
				.t = {BUF_INIT, 0, 6, false, false, false}};
	struct buf a = BUF_INIT, bb = BUF_INIT;

	(void)state;
	backlog_start(&b, 2, "logorder.kubeconfig");
	assert_true(kt_run_until(b.loop, &b.t.got_all, 20000));
	assert_int_equal(b.t.lines, 6);
	for (uint64_t n = log_ring_first(b.ring); n < log_ring_end(b.ring); n++) {
		const struct log_entry *e = log_ring_get(b.ring, n);
		const char *c = log_session_source(b.s, e->source)->container;

		buf_printf(strcmp(c, "a") == 0 ? &a : &bb, "%s|", e->text);
	}
	assert_string_equal(buf_str(&a), "a1|a2|a3|");
	assert_string_equal(buf_str(&bb), "b1|no time here|b2|");
	backlog_stop(&b);
	buf_free(&a);
	buf_free(&bb);
}

/* ---- previous runs of a container named ---- */

/* Pods r1 and r2, each with containers app and db; only r1's app has
 * restarted. A log request is answered with one line and counted. */
static int previous_logs;

static const char *previous_pod(const char *name, long app_restarts)
{
	static char buf[2][1024];
	char *b = buf[name[1] == '1'];

	snprintf(b, sizeof(buf[0]),
		 "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
		 "\"namespace\":\"t\",\"uid\":\"u-%s\",\"resourceVersion\":\"5\"},"
		 "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\"},"
		 "{\"name\":\"db\",\"image\":\"x\"}]},"
		 "\"status\":{\"containerStatuses\":[{\"name\":\"app\",\"containerID\":"
		 "\"containerd://a-%s\",\"restartCount\":%ld,\"state\":{\"running\":{}}},"
		 "{\"name\":\"db\",\"containerID\":\"containerd://d-%s\",\"restartCount\":0,"
		 "\"state\":{\"running\":{}}}]}}",
		 name, name, name, app_restarts, name);
	return b;
}

static void previous_handler(const struct fake_req *rq, struct fake_reply *rep, void *ud)
{
	(void)ud;
	if (answer_common(rq, rep))
		return;
	if (strstr(rq->uri, "/log?")) {
		__atomic_add_fetch(&previous_logs, 1, __ATOMIC_SEQ_CST);
		rep->content_type = "text/plain";
		rep->body = xstrdup(T0 ".100000000Z before the restart\n");
		return;
	}
	rep->body = xasprintf("{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
			      "\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[%s,%s]}",
			      previous_pod("r1", 1), previous_pod("r2", 0));
}

struct previous_seen {
	struct log_session *s;
	bool over;
};

static void previous_change(void *ud)
{
	struct previous_seen *x = ud;

	x->over = x->s && (log_session_done(x->s) || log_session_failed(x->s));
}

/* A session of --previous, -c container (and a pod, or NULL), run to its
 * end: its failure, or "" with *nsources read. */
static char *previous_run(struct fake_api *f, const char *container, const char *pod,
			  size_t *nsources)
{
	struct loop *loop = loop_new();
	char *kc = kubeconfig_for("previous.kubeconfig", f);
	struct kube_registry *r = kube_registry_acquire(loop, kc);
	struct log_ring *ring = log_ring_new(100, 10000);
	struct previous_seen x = {NULL, false};
	struct log_session_opts o = {.ns = "t",
				     .selector = pod ? NULL : "app=x",
				     .pod = pod,
				     .container = container,
				     .previous = true,
				     .tail_lines = -1,
				     .stall_ms = 1000,
				     .ring = ring,
				     .on_change = previous_change,
				     .on_done = previous_change,
				     .ud = &x};
	struct err err = {{0}};
	char *failed;

	x.s = log_session_start(r, &o, &err);
	if (!x.s)
		fail_msg("log_session_start: %s", err.msg);
	assert_true(kt_run_until(loop, &x.over, 20000));
	failed = xstrdup(log_session_failed(x.s) ? log_session_failed(x.s) : "");
	if (*failed)
		assert_true(log_session_failed_judged(x.s));
	*nsources = log_session_nsources(x.s);
	log_session_free(x.s);
	kube_registry_release(r);
	loop_free(loop);
	log_ring_free(ring);
	free(kc);
	return failed;
}

static void test_previous_of_container(void **state)
{
	struct fake_api *f = fake_api_start(previous_handler, NULL);
	size_t n = 99;
	char *why;

	(void)state;
	/* db has restarted in no pod: said in words, no log asked */
	why = previous_run(f, "db", NULL, &n);
	assert_string_equal(why, "container db has no previous run to read in any of the 2 pods "
				 "that have it: none has restarted");
	free(why);
	why = previous_run(f, "db", "r2", &n);
	assert_string_equal(why,
			    "container db of pod r2 has no previous run to read: it has not restarted");
	free(why);
	assert_int_equal(__atomic_load_n(&previous_logs, __ATOMIC_SEQ_CST), 0);
	/* app restarted in r1: that run is read, and only it */
	why = previous_run(f, "app", NULL, &n);
	assert_string_equal(why, "");
	assert_int_equal(n, 1);
	assert_int_equal(__atomic_load_n(&previous_logs, __ATOMIC_SEQ_CST), 1);
	free(why);
	why = previous_run(f, "app", "r2", &n);
	assert_string_equal(why,
			    "container app of pod r2 has no previous run to read: it has not restarted");
	free(why);
	fake_api_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resume_exactly_once),
	    cmocka_unit_test(test_backlog_merged_by_time),
	    cmocka_unit_test(test_backlog_source_order),
	    cmocka_unit_test(test_previous_of_container),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	kt_cleanup();
	return rc;
}
