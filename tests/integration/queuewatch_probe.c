/* A probe of the queue watch (mq/queuewatch.h) for the shell tests: it
 * watches the brokers of a settings file and prints one line per broker
 * each time the watch calls its observer:
 *
 *   BROKER STATE polls=N failures=N queues=N depth=D trend=T error=TEXT
 *
 * where depth is the messages of the queue named on the command line (-1:
 * not listed) and trend the last point of its trend. Lines on stdin steer
 * it: "pause", "resume", "refresh"; end of input ends it, as SIGTERM does.
 *
 * usage: queuewatch_probe CONFIG QUEUE INTERVAL_MS */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "loop.h"
#include "mq/queuewatch.h"

struct probe {
	struct loop *loop;
	struct queuewatch *w;
	const char *queue;
	struct buf in;
};

static long depth_of(const struct queuewatch_broker *b, const char *queue)
{
	for (size_t i = 0; i < b->queues.n; i++) {
		if (strcmp(b->queues.v[i].name, queue) == 0)
			return b->queues.v[i].counted ? b->queues.v[i].messages : -1;
	}
	return -1;
}

static void on_change(void *ud)
{
	struct probe *p = ud;
	static const char *const states[] = { "waiting", "ok", "failed" };

	for (size_t i = 0; i < queuewatch_count(p->w); i++) {
		const struct queuewatch_broker *b = queuewatch_broker(p->w, i);
		long trend[QUEUEWATCH_TREND_POINTS];
		long last = -1;

		if (queuewatch_trend(p->w, i, "/", p->queue, trend))
			last = trend[QUEUEWATCH_TREND_POINTS - 1];
		printf("%s %s polls=%lu failures=%lu queues=%zu depth=%ld trend=%ld error=%s\n",
		       b->name, states[b->state], b->polls, b->failures, b->queues.n,
		       depth_of(b, p->queue), last, b->error);
	}
	fflush(stdout);
}

static void on_input(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct probe *p = ud;
	char chunk[256];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *nl;

	(void)events;
	if (n <= 0) {
		loop_stop(loop);
		return;
	}
	buf_append(&p->in, chunk, (size_t)n);
	while ((nl = memchr(p->in.data, '\n', p->in.len)) != NULL) {
		size_t len = (size_t)(nl - p->in.data);

		if (len == 5 && memcmp(p->in.data, "pause", 5) == 0)
			queuewatch_pause(p->w, true);
		else if (len == 6 && memcmp(p->in.data, "resume", 6) == 0)
			queuewatch_pause(p->w, false);
		else if (len == 7 && memcmp(p->in.data, "refresh", 7) == 0)
			queuewatch_refresh(p->w);
		buf_consume(&p->in, len + 1);
	}
}

static void on_term(struct loop *loop, int signo, void *ud)
{
	(void)signo;
	(void)ud;
	loop_stop(loop);
}

int main(int argc, char **argv)
{
	struct conf conf;
	struct err err = { { 0 } };
	struct probe p = { .in = BUF_INIT };
	struct loop_watch *wi;
	long interval;

	if (argc != 4 || !str_to_long(argv[3], 1, 600000, &interval)) {
		fprintf(stderr, "usage: queuewatch_probe CONFIG QUEUE INTERVAL_MS\n");
		return 2;
	}
	conf_init(&conf);
	if (!conf_load(&conf, argv[1], &err)) {
		fprintf(stderr, "queuewatch_probe: %s\n", err.msg);
		conf_free(&conf);
		return 1;
	}
	p.loop = loop_new();
	p.queue = argv[2];
	p.w = queuewatch_new(p.loop, &conf, interval);
	queuewatch_set_observer(p.w, on_change, &p);
	loop_signal(p.loop, SIGTERM, on_term, NULL);
	wi = loop_watch_fd(p.loop, STDIN_FILENO, LOOP_READ, on_input, &p);
	queuewatch_pause(p.w, false);
	loop_run(p.loop);
	loop_watch_remove(wi);
	queuewatch_free(p.w);
	loop_free(p.loop);
	buf_free(&p.in);
	conf_free(&conf);
	return 0;
}
