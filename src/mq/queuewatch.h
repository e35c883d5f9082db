/* Every broker of the settings polled on the loop, for a view that shows
 * queues as they change: the latest listing of each broker with its state
 * in words, and each queue's depth over the last ten minutes (a trend a
 * view draws as a sparkline).
 *
 * Contract:
 *  - A poll lists every broker at once (rabbit_list); the next starts
 *    `interval` after the previous one ended, so a slow broker never makes
 *    polls pile up. A paused watch polls nothing (a hidden pane); resuming
 *    polls at once if a poll is due.
 *  - A broker that fails keeps its last listing, marked stale, with the
 *    failure in words; the others are not held up. It recovers at the next
 *    poll that succeeds.
 *  - The observer runs from the loop after each broker's answer; it may read
 *    the watch but not free it.
 *  - Trends hold one depth per QUEUEWATCH_TREND_STEP_S seconds (the last
 *    one seen in that step), QUEUEWATCH_TREND_POINTS of them; a step with
 *    no answer holds -1. Memory is bounded by the queues listed: a queue
 *    that is no longer listed loses its trend. */
#ifndef OPSDECK_MQ_QUEUEWATCH_H
#define OPSDECK_MQ_QUEUEWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "loop.h"
#include "mq/rabbit_parse.h"

#define QUEUEWATCH_INTERVAL_MS 5000
#define QUEUEWATCH_TREND_STEP_S 10
#define QUEUEWATCH_TREND_POINTS 60 /* ten minutes */

enum queuewatch_state {
	QUEUEWATCH_WAITING, /* no answer yet */
	QUEUEWATCH_OK,
	QUEUEWATCH_FAILED, /* error says why; queues are the last listing, if any */
};

struct queuewatch_broker {
	const char *name;
	enum queuewatch_state state;
	char error[512];
	struct rabbit_overview overview;
	struct rabbit_queue_list queues; /* the last listing that came */
	uint64_t listed_ms;		 /* loop_now_ms() of that listing; 0: none */
	unsigned requests;		 /* HTTP requests of the last poll */
	unsigned long polls, failures;
};

struct queuewatch;

typedef void (*queuewatch_fn)(void *ud);

/* Watches every broker of conf (which must outlive the watch). Starts
 * paused: queuewatch_pause(w, false) polls. interval_ms 0: the setting
 * queues.interval. */
struct queuewatch *queuewatch_new(struct loop *loop, const struct conf *conf, long interval_ms);
void queuewatch_free(struct queuewatch *w);
void queuewatch_set_observer(struct queuewatch *w, queuewatch_fn fn, void *ud);
void queuewatch_pause(struct queuewatch *w, bool paused);
/* Polls at once (unless one is under way). */
void queuewatch_refresh(struct queuewatch *w);

size_t queuewatch_count(const struct queuewatch *w);
const struct queuewatch_broker *queuewatch_broker(const struct queuewatch *w, size_t i);
/* True while a poll is under way. */
bool queuewatch_busy(const struct queuewatch *w);

/* The depth trend of a queue of broker i, oldest first, into
 * out[QUEUEWATCH_TREND_POINTS]; the last point is the current step.
 * Returns false (out untouched) for a queue without a trend. */
bool queuewatch_trend(const struct queuewatch *w, size_t i, const char *vhost, const char *name,
		      long out[QUEUEWATCH_TREND_POINTS]);

/* ---- the trend store on its own (pure; the watch's, and tests') ---- */

struct qtrend;
struct qtrend *qtrend_new(void);
void qtrend_free(struct qtrend *t);
/* Records the listing's depths at time now_s: the queues listed get their
 * depth in the step of now_s (steps passed without a record hold -1); a
 * queue not listed is dropped. Queues whose counts did not come record
 * -1. */
void qtrend_record(struct qtrend *t, const struct rabbit_queue_list *l, uint64_t now_s);
bool qtrend_get(const struct qtrend *t, const char *vhost, const char *name, uint64_t now_s,
		long out[QUEUEWATCH_TREND_POINTS]);
size_t qtrend_size(const struct qtrend *t);

/* A trend cut into width columns for a sparkline: each column the largest
 * depth of its steps, scaled to 0..levels-1 against the largest depth of
 * the whole trend (a depth above 0 never reads as level 0 when levels > 1);
 * -1 for a column without an answer. width 1..QUEUEWATCH_TREND_POINTS. */
void qtrend_levels(const long pts[QUEUEWATCH_TREND_POINTS], int width, int levels, int *out);

#endif
