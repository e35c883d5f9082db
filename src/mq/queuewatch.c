#include "config.h"

#include "mq/queuewatch.h"

#include <stdlib.h>
#include <string.h>

#include "mq/rabbit.h"

/* ---- trends ---- */

struct trend_entry {
	char *key; /* vhost's length, vhost, name: names may hold any character */
	uint64_t last_step;
	long ring[QUEUEWATCH_TREND_POINTS];
};

struct qtrend {
	struct trend_entry *v; /* sorted by key */
	size_t n;
};

struct qtrend *qtrend_new(void)
{
	return xcalloc(1, sizeof(struct qtrend));
}

static void entries_free(struct trend_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

void qtrend_free(struct qtrend *t)
{
	if (!t)
		return;
	entries_free(t->v, t->n);
	free(t);
}

size_t qtrend_size(const struct qtrend *t)
{
	return t->n;
}

static char *trend_key(const char *vhost, const char *name)
{
	return xasprintf("%zu:%s%s", strlen(vhost), vhost, name);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct trend_entry *)a)->key, ((const struct trend_entry *)b)->key);
}

static struct trend_entry *trend_find(const struct qtrend *t, const char *key)
{
	struct trend_entry k = {.key = (char *)key};

	return t->n ? bsearch(&k, t->v, t->n, sizeof(*t->v), entry_cmp) : NULL;
}

static void entry_put(struct trend_entry *e, uint64_t step, long depth)
{
	if (step > e->last_step) {
		uint64_t gap = step - e->last_step;

		for (uint64_t s = 1; s < gap && s <= QUEUEWATCH_TREND_POINTS; s++)
			e->ring[(e->last_step + s) % QUEUEWATCH_TREND_POINTS] = -1;
		e->last_step = step;
	}
	e->ring[e->last_step % QUEUEWATCH_TREND_POINTS] = depth;
}

void qtrend_record(struct qtrend *t, const struct rabbit_queue_list *l, uint64_t now_s)
{
	uint64_t step = now_s / QUEUEWATCH_TREND_STEP_S;
	struct trend_entry *nv = l->n ? xcalloc(l->n, sizeof(*nv)) : NULL;
	bool *moved = t->n ? xcalloc(t->n, sizeof(*moved)) : NULL;
	size_t nn = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct rabbit_queue *q = &l->v[i];
		char *key = trend_key(q->vhost, q->name);
		struct trend_entry *old = trend_find(t, key);
		struct trend_entry *e = &nv[nn++];

		if (old && !moved[old - t->v]) {
			*e = *old; /* the key goes with it */
			moved[old - t->v] = true;
			free(key);
		} else {
			e->key = key;
			e->last_step = step;
			for (size_t k = 0; k < QUEUEWATCH_TREND_POINTS; k++)
				e->ring[k] = -1;
		}
		entry_put(e, step, q->counted ? q->messages : -1);
	}
	/* A queue listed twice (it moved between two pages) is kept once. */
	if (nn > 1)
		qsort(nv, nn, sizeof(*nv), entry_cmp);
	for (size_t i = 1; i < nn;) {
		if (strcmp(nv[i - 1].key, nv[i].key) == 0) {
			free(nv[i].key);
			memmove(&nv[i], &nv[i + 1], (nn - i - 1) * sizeof(*nv));
			nn--;
		} else {
			i++;
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		if (!moved[i])
			free(t->v[i].key); /* no longer listed */
	}
	free(moved);
	free(t->v);
	t->v = nv;
	t->n = nn;
}

bool qtrend_get(const struct qtrend *t, const char *vhost, const char *name, uint64_t now_s,
		long out[QUEUEWATCH_TREND_POINTS])
{
	char *key = trend_key(vhost, name);
	const struct trend_entry *e = trend_find(t, key);
	uint64_t step = now_s / QUEUEWATCH_TREND_STEP_S;

	free(key);
	if (!e)
		return false;
	for (size_t k = 0; k < QUEUEWATCH_TREND_POINTS; k++) {
		uint64_t back = QUEUEWATCH_TREND_POINTS - 1 - k;
		uint64_t st = step >= back ? step - back : 0;

		if (step < back || st > e->last_step ||
		    st + QUEUEWATCH_TREND_POINTS <= e->last_step)
			out[k] = -1;
		else
			out[k] = e->ring[st % QUEUEWATCH_TREND_POINTS];
	}
	return true;
}

/* ---- the watch ---- */

struct watched {
	struct queuewatch_broker pub;
	const struct conf_broker *conf;
	struct rabbit *client;
	struct rabbit_op *op;
	struct qtrend *trend;
	struct queuewatch *w;
};

struct queuewatch {
	struct loop *loop;
	const struct conf *conf;
	long interval_ms;
	struct watched *v;
	size_t n;
	size_t pending; /* brokers of the poll under way */
	bool paused;
	bool due; /* a poll is due (paused when it came) */
	struct loop_timer *timer;
	queuewatch_fn observer;
	void *observer_ud;
};

static void poll_start(struct queuewatch *w);

static void on_timer(struct loop *loop, void *ud)
{
	struct queuewatch *w = ud;

	(void)loop;
	w->timer = NULL;
	if (w->paused)
		w->due = true;
	else
		poll_start(w);
}

static void notify(struct queuewatch *w)
{
	if (w->observer)
		w->observer(w->observer_ud);
}

static void poll_ended(struct queuewatch *w)
{
	w->timer = loop_timer_add(w->loop, (uint64_t)w->interval_ms, 0, on_timer, w);
}

static void on_listed(struct rabbit_result *res, const struct err *err, void *ud)
{
	struct watched *b = ud;
	struct queuewatch *w = b->w;

	b->op = NULL;
	b->pub.polls++;
	b->pub.requests = res->requests;
	if (err) {
		b->pub.state = QUEUEWATCH_FAILED;
		b->pub.failures++;
		str_copy(b->pub.error, sizeof(b->pub.error), err->msg);
	} else {
		b->pub.state = QUEUEWATCH_OK;
		b->pub.error[0] = '\0';
		b->pub.overview = res->overview;
		rabbit_queue_list_free(&b->pub.queues);
		b->pub.queues = res->queues;
		memset(&res->queues, 0, sizeof(res->queues)); /* taken */
		b->pub.listed_ms = loop_now_ms();
		qtrend_record(b->trend, &b->pub.queues, b->pub.listed_ms / 1000);
	}
	if (--w->pending == 0)
		poll_ended(w);
	notify(w);
}

static void poll_start(struct queuewatch *w)
{
	bool failed = false;

	w->due = false;
	for (size_t i = 0; i < w->n; i++) {
		struct watched *b = &w->v[i];
		struct err err = {{0}};

		if (!b->client)
			b->client = rabbit_new(w->loop, w->conf, b->conf, &err);
		if (b->client)
			b->op = rabbit_list(b->client, on_listed, b, &err);
		if (b->op) {
			w->pending++;
			continue;
		}
		b->pub.polls++;
		b->pub.failures++;
		b->pub.state = QUEUEWATCH_FAILED;
		str_copy(b->pub.error, sizeof(b->pub.error), err.msg);
		failed = true;
	}
	if (w->pending == 0)
		poll_ended(w);
	if (failed)
		notify(w);
}

struct queuewatch *queuewatch_new(struct loop *loop, const struct conf *conf, long interval_ms)
{
	struct queuewatch *w = xcalloc(1, sizeof(*w));

	w->loop = loop;
	w->conf = conf;
	w->interval_ms = interval_ms;
	if (w->interval_ms <= 0)
		w->interval_ms = conf->queues_interval_s > 0 ? conf->queues_interval_s * 1000
							     : QUEUEWATCH_INTERVAL_MS;
	w->paused = true;
	w->due = true;
	w->n = conf->nbrokers;
	w->v = w->n ? xcalloc(w->n, sizeof(*w->v)) : NULL;
	for (size_t i = 0; i < w->n; i++) {
		w->v[i].conf = &conf->brokers[i];
		w->v[i].pub.name = conf->brokers[i].name;
		w->v[i].pub.state = QUEUEWATCH_WAITING;
		w->v[i].trend = qtrend_new();
		w->v[i].w = w;
	}
	return w;
}

void queuewatch_free(struct queuewatch *w)
{
	if (!w)
		return;
	if (w->timer)
		loop_timer_cancel(w->timer);
	for (size_t i = 0; i < w->n; i++) {
		rabbit_free(w->v[i].client); /* cancels its listing */
		rabbit_queue_list_free(&w->v[i].pub.queues);
		qtrend_free(w->v[i].trend);
	}
	free(w->v);
	free(w);
}

void queuewatch_set_observer(struct queuewatch *w, queuewatch_fn fn, void *ud)
{
	w->observer = fn;
	w->observer_ud = ud;
}

void queuewatch_pause(struct queuewatch *w, bool paused)
{
	w->paused = paused;
	if (!paused && w->due && w->pending == 0)
		poll_start(w);
}

void queuewatch_refresh(struct queuewatch *w)
{
	if (w->pending)
		return;
	if (w->timer) {
		loop_timer_cancel(w->timer);
		w->timer = NULL;
	}
	poll_start(w);
}

size_t queuewatch_count(const struct queuewatch *w)
{
	return w->n;
}

const struct queuewatch_broker *queuewatch_broker(const struct queuewatch *w, size_t i)
{
	return i < w->n ? &w->v[i].pub : NULL;
}

bool queuewatch_busy(const struct queuewatch *w)
{
	return w->pending > 0;
}

bool queuewatch_trend(const struct queuewatch *w, size_t i, const char *vhost, const char *name,
		      long out[QUEUEWATCH_TREND_POINTS])
{
	if (i >= w->n)
		return false;
	return qtrend_get(w->v[i].trend, vhost, name, loop_now_ms() / 1000, out);
}

void qtrend_levels(const long pts[QUEUEWATCH_TREND_POINTS], int width, int levels, int *out)
{
	long top = 0;

	if (width < 1)
		return;
	if (width > QUEUEWATCH_TREND_POINTS)
		width = QUEUEWATCH_TREND_POINTS;
	for (int i = 0; i < QUEUEWATCH_TREND_POINTS; i++) {
		if (pts[i] > top)
			top = pts[i];
	}
	for (int c = 0; c < width; c++) {
		int from = c * QUEUEWATCH_TREND_POINTS / width;
		int to = (c + 1) * QUEUEWATCH_TREND_POINTS / width;
		long v = -1;

		for (int i = from; i < to; i++) {
			if (pts[i] > v)
				v = pts[i];
		}
		if (v < 0 || levels < 2)
			out[c] = v < 0 ? -1 : 0;
		else if (top == 0)
			out[c] = 0;
		else {
			long l = v * (levels - 1) / top;

			out[c] = (int)(l == 0 && v > 0 ? 1 : l);
		}
	}
}
