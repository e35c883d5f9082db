#include "config.h"

#include "logs/session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "jsonget.h"
#include "kube/api.h"
#include "logs/resume.h"
#include "logs/splitter.h"

struct src {
	struct log_source pub;
	struct log_session *s;
	char *ns, *pod, *container, *cid, *pod_uid;
	long restarts; /* restartCount of the instance (with cid, says which one) */
	char reason[384];
	bool fresh;	    /* found after the start: read from its start */
	bool slot;	    /* holds a stream slot */
	bool pod_gone;	    /* its pod was deleted: end when the stream does */
	bool seen;	    /* its pod is in the current list */
	struct src *before; /* the container's instance before this one, if any */
	/* the instance is over: one last read without follow (of the previous
	 * instance if it restarted) gets the lines after the stream broke,
	 * then the source ends with final as its reason */
	bool finishing, finish_previous;
	char final[128];
	struct kube_req *req;
	struct kube_op *check;
	struct loop_timer *retry;
	struct log_splitter sp;
	struct log_resume rs;
	bool open;	     /* this connection got its 2xx headers */
	uint64_t open_ms;    /* when they came */
	bool first_conn;     /* this is the source's first connection */
	uint64_t line_ms;    /* the last line (or the opening): idle counts from it */
	uint64_t heard_ms;   /* the last line or 2xx headers of this connection */
	int64_t first_ns;    /* wall time of the first request; 0 before it */
	/* merge_backlog: lines still taken for its backlog (written before
	 * first_ns), at most as many as its first request asked for: a
	 * stream whose times lag behind ours is not merged for ever */
	size_t backlog_left;
	int64_t backlog_ns; /* first_ns, or the server's time if ours is off */
};

/* A line of a backlog waiting for its batch (merge_backlog): its text is
 * at `at` in the session's pend_text, NUL-terminated. */
struct pend_line {
	int64_t ts_ns;
	uint32_t source;
	size_t at, len;
	size_t order; /* as it came: equal timestamps keep it */
};

/* A batch of backlog lines is merged at the latest when it holds a
 * sixteenth of the ring's bounds in lines or bytes of text, within these:
 * each merge moves the ring's newer lines once, and what waits is held
 * twice for a moment. */
#define BACKLOG_BATCH_MIN_LINES 4096
#define BACKLOG_BATCH_MAX_LINES 16384
#define BACKLOG_BATCH_MIN_BYTES (1024u * 1024u)
#define BACKLOG_BATCH_MAX_BYTES (4u * 1024u * 1024u)
/* The most lines of a source taken for its backlog when its first
 * request asked for no count (its since, or its start) */
#define BACKLOG_MAX_LINES LOG_RING_DEFAULT_LINES

struct log_session {
	struct log_session_opts o;
	char *context, *ns, *selector, *pod, *container, *since_time;
	/* since_time in ns: the server starts at its whole second (it drops
	 * the fraction), the lines before it are dropped here */
	int64_t since_ns;
	struct kube_registry *reg;
	struct kube_http *h;
	struct loop *loop;
	struct kube_sub *sub;
	struct loop_timer *tick;
	struct src **v;
	size_t n, cap;
	/* "uid/container/cid/restarts" and "uid/container" (the latest
	 * instance) -> source id */
	json_t *index;
	size_t active; /* sources holding a slot */
	bool listed;   /* the first whole pod list was read */
	bool pod_seen; /* one pod followed: it exists (now) */
	bool pods_found; /* the first list had a pod wanted */
	/* the first list had none: whether the namespace exists is asked
	 * before the session says so */
	struct kube_op *ns_check;
	bool done, done_told;
	char *failed;
	bool failed_judged; /* failed on what the first list showed */
	uint64_t rng;
	/* merge_backlog: the lines of backlogs not merged yet, of every
	 * source, and when they will be */
	struct pend_line *pend;
	size_t npend, pend_cap;
	struct buf pend_text;
	struct loop_timer *pend_due;
};

static void src_start(struct src *c);
static void src_schedule(struct src *c, const char *why);

static int64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* loop_now_ms() for each line: the same clock read coarse (a few ms
 * behind at most), which costs no hardware clock read per line. */
static uint64_t line_now_ms(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0)
		return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
#endif
	return loop_now_ms();
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static uint64_t rng_next(struct log_session *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static void changed(struct log_session *s)
{
	if (s->o.on_change)
		s->o.on_change(s->o.ud);
}

/* ---- done ---- */

static bool all_ended(const struct log_session *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i]->pub.state != LOG_SOURCE_ENDED)
			return false;
	}
	return true;
}

static void check_done(struct log_session *s)
{
	if (s->done_told)
		return;
	if (!s->failed) {
		if (!s->listed || s->ns_check || !all_ended(s))
			return;
		/* following: only one pod that went is over; new pods may come */
		if (s->o.follow && !s->o.previous && (!s->pod || s->pod_seen))
			return;
	}
	s->done = s->done_told = true;
	if (s->o.on_done)
		s->o.on_done(s->o.ud);
}

static void fail(struct log_session *s, const char *msg)
{
	if (!s->failed)
		s->failed = xstrdup(msg);
	check_done(s);
}

/* ---- slots ---- */

/* A new instance of a container waits for the one before it to end, so
 * that a container's lines keep their order. */
static void fill_slots(struct log_session *s)
{
	for (size_t i = 0; i < s->n && s->active < s->o.max_streams; i++) {
		struct src *c = s->v[i];

		if (c->pub.state == LOG_SOURCE_WAITING &&
		    (!c->before || c->before->pub.state == LOG_SOURCE_ENDED))
			src_start(c);
	}
}

static void src_cancel_io(struct src *c)
{
	if (c->req) {
		kube_req_cancel(c->req);
		c->req = NULL;
	}
	if (c->check) {
		kube_op_cancel(c->check);
		c->check = NULL;
	}
	if (c->retry) {
		loop_timer_cancel(c->retry);
		c->retry = NULL;
	}
}

/* ---- backlogs merged by time ---- */

static int pend_cmp(const void *a, const void *b)
{
	const struct pend_line *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The backlog lines held go among the ring's lines by time, in one merge:
 * each source's came in order, so sorted together they are one batch in
 * time order. */
/* Forgets the backlog lines held, and their memory. */
static void backlog_drop(struct log_session *s)
{
	if (s->pend_due) {
		loop_timer_cancel(s->pend_due);
		s->pend_due = NULL;
	}
	free(s->pend);
	s->pend = NULL;
	s->npend = s->pend_cap = 0;
	buf_free(&s->pend_text);
}

static void backlog_flush(struct log_session *s)
{
	struct log_ring_line *lines;
	struct buf text;
	size_t n = s->npend;

	if (!n) {
		backlog_drop(s);
		return;
	}
	qsort(s->pend, n, sizeof(*s->pend), pend_cmp);
	lines = xcalloc(n, sizeof(*lines));
	for (size_t i = 0; i < n; i++) {
		lines[i].ts_ns = s->pend[i].ts_ns;
		lines[i].source = s->pend[i].source;
		lines[i].len = s->pend[i].len;
		lines[i].text = s->pend_text.data + s->pend[i].at;
	}
	/* the batch is the session's no longer while it is told: a session
	 * holds no memory for it once its backlogs are in */
	text = s->pend_text;
	s->pend_text = (struct buf)BUF_INIT;
	backlog_drop(s);
	log_ring_merge_tell(s->o.ring, lines, n, s->o.on_line, s->o.on_moved, s->o.ud);
	free(lines);
	buf_free(&text);
}

static void backlog_due(struct loop *loop, void *ud)
{
	struct log_session *s = ud;

	(void)loop;
	s->pend_due = NULL;
	backlog_flush(s);
}

static size_t batch_bound(size_t n, size_t lo, size_t hi)
{
	return n < lo ? lo : n > hi ? hi : n;
}

static void backlog_hold(struct log_session *s, const struct src *c, const struct log_line *l)
{
	struct pend_line *pl;

	s->pend = xgrow(s->pend, &s->pend_cap, s->npend + 1, sizeof(*s->pend));
	pl = &s->pend[s->npend];
	pl->ts_ns = l->ts_ns;
	pl->source = c->pub.id;
	pl->at = s->pend_text.len;
	pl->len = l->len;
	pl->order = s->npend++;
	buf_append(&s->pend_text, l->text, l->len);
	buf_putc(&s->pend_text, '\0');
	if (s->npend >= batch_bound(log_ring_max_lines(s->o.ring) / 16, BACKLOG_BATCH_MIN_LINES,
				    BACKLOG_BATCH_MAX_LINES) ||
	    s->pend_text.len >= batch_bound(log_ring_max_bytes(s->o.ring) / 16,
					    BACKLOG_BATCH_MIN_BYTES, BACKLOG_BATCH_MAX_BYTES))
		backlog_flush(s);
	else if (!s->pend_due)
		s->pend_due = loop_timer_add(s->loop, LOG_SESSION_BACKLOG_MS, 0, backlog_due, s);
}

static void src_end(struct src *c, bool failed, const char *fmt, ...) ATTR_FORMAT(3, 4);

static void src_end(struct src *c, bool failed, const char *fmt, ...)
{
	struct log_session *s = c->s;
	va_list ap;

	src_cancel_io(c);
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	c->pub.state = LOG_SOURCE_ENDED;
	c->pub.failed = failed;
	log_splitter_reset(&c->sp);
	backlog_flush(s); /* a reader told the end has every line before it */
	if (c->slot) {
		c->slot = false;
		s->active--;
	}
	fill_slots(s);
	changed(s);
	check_done(s);
}

/* ---- lines ---- */

static void src_parsed(const struct log_line *l, void *ud)
{
	struct src *c = ud;
	struct log_session *s = c->s;
	uint64_t n;

	if (l->ts_ns < s->since_ns)
		return; /* before --since-time, within its second */
	if (!log_stream_line(&c->rs, &c->pub.attempt, l->ts_ns)) {
		c->pub.dropped++;
		return;
	}
	c->pub.lines++;
	/* written before the source was asked for: with the other sources'
	 * by time. The first line written after ends the backlog, and so
	 * does a line without a time (it has no place by time: it goes
	 * where it comes) or the count asked for (a clock that lags makes
	 * new lines look old); what is held then goes in before it, so a
	 * source's lines keep their order */
	if (s->o.merge_backlog && c->backlog_left) {
		if (l->ts_ns > 0 && l->ts_ns < c->backlog_ns) {
			backlog_hold(s, c, l);
			if (--c->backlog_left == 0)
				backlog_flush(s);
			return;
		}
		c->backlog_left = 0;
		backlog_flush(s);
	}
	n = log_ring_push(s->o.ring, c->pub.id, l->ts_ns, l->text, l->len);
	if (s->o.on_line)
		s->o.on_line(s->o.ud, n, log_ring_get(s->o.ring, n));
}

static void src_line(const char *line, size_t len, void *ud)
{
	struct src *c = ud;

	c->line_ms = c->heard_ms = line_now_ms();
	if (c->pub.state != LOG_SOURCE_STREAMING) {
		c->pub.state = LOG_SOURCE_STREAMING;
		c->reason[0] = '\0';
		changed(c->s);
	}
	log_splitter_line(&c->sp, line, len, src_parsed, c);
}

/* The 2xx headers of a stream are in: a follow stream is healthy,
 * however quiet it stays; its attempts start again from the first once it
 * has lived a stall bound (src_schedule), or at its first line. */
static void src_open(int64_t date_s, void *ud)
{
	struct src *c = ud;

	c->open = true;
	c->open_ms = c->heard_ms = loop_now_ms();
	/* the resume point of a stream asked for no line before it (--tail
	 * 0) is when it was asked. The server's Date, in whole seconds and
	 * taken between the request and now, says whether our clock can be
	 * trusted for it (a slow answer is no reason to doubt it); if not,
	 * the Date is. */
	if (c->first_conn && date_s > 0 && c->rs.marked && !c->rs.delivered) {
		int64_t server = date_s * 1000000000;

		if (server <= c->rs.last_ns - 1000000000 || server > wall_now_ns() + 1000000000)
			log_resume_mark(&c->rs, server);
	}
	/* a clock off the server's by more than its Date's second: the
	 * backlog ends at the server's time, so lines written after the
	 * request are not held (ours ahead) and older ones are (behind) */
	if (c->first_conn && date_s > 0) {
		int64_t server = date_s * 1000000000;

		if (server + 2000000000 < c->first_ns || server > c->first_ns + 2000000000)
			c->backlog_ns = server;
	}
	c->first_conn = false;
	c->reason[0] = '\0';
	if (c->pub.state != LOG_SOURCE_STREAMING && c->pub.state != LOG_SOURCE_IDLE) {
		c->pub.state = LOG_SOURCE_STREAMING;
		c->line_ms = c->heard_ms;
		changed(c->s);
	}
}

static void src_request(struct src *c);

/* A follow stream that had its headers and then nothing within the stall
 * bound: a quiet container looks the same as a dead connection, so it is
 * reconnected at once, from where it was, and not reported or counted.
 * Only the stall bound itself says so: a reset or other error after a
 * quiet spell is a failure like any other. */
static bool src_stalled(const struct src *c, const struct kube_response *resp)
{
	const struct log_session *s = c->s;

	return c->open && resp->stalled && s->o.follow && !c->pub.previous && !c->finishing &&
	       !c->pod_gone;
}

static void src_done(struct kube_response *resp, void *ud)
{
	struct src *c = ud;
	struct log_session *s = c->s;
	struct err e = {{0}};

	c->req = NULL;
	if (src_stalled(c, resp)) {
		src_request(c);
		return;
	}
	if (err_isset(&resp->err)) {
		src_schedule(c, resp->err.msg);
		return;
	}
	if (resp->status >= 200 && resp->status < 300) {
		if (c->finishing) {
			src_end(c, false, "%s", c->final);
			return;
		}
		if (!s->o.follow || c->pub.previous) {
			src_end(c, false, "end of log");
			return;
		}
		src_schedule(c, "end of stream");
		return;
	}
	kube_error_describe(resp->status, resp->body, resp->body_len, &e);
	if (resp->status == 404) {
		if (s->o.follow)
			src_end(c, false, "pod deleted");
		else
			src_end(c, true, "%s", e.msg);
		return;
	}
	if (c->finishing && resp->status >= 400 && resp->status < 500 && resp->status != 429) {
		src_end(c, true, "%s; the rest of its log cannot be read: %s", c->final, e.msg);
		return;
	}
	if (resp->status == 401 || resp->status == 403 ||
	    (resp->status >= 400 && resp->status < 500 && resp->status != 429 &&
	     (!s->o.follow || c->pub.previous))) {
		src_end(c, true, "%s", e.msg);
		return;
	}
	src_schedule(c, e.msg);
}

static void src_request(struct src *c)
{
	struct log_session *s = c->s;
	struct kube_request rq = {.method = "GET", .accept = "*/*", .retries = 0};
	struct buf path = BUF_INIT;
	struct err e = {{0}};
	char num[32], since[LOG_TIME_SIZE];

	if (!kube_path(&path, &kube_res_pods, c->ns, c->pod, "log", &e)) {
		src_end(c, true, "%s", e.msg);
		buf_free(&path);
		return;
	}
	kube_query(&path, "container", c->container);
	kube_query(&path, "timestamps", "true");
	if (s->o.follow && !c->pub.previous && !c->finishing)
		kube_query(&path, "follow", "true");
	if (c->pub.previous || c->finish_previous)
		kube_query(&path, "previous", "true");
	if (log_resume_started(&c->rs)) {
		log_resume_since(&c->rs, since);
		kube_query(&path, "sinceTime", since);
	} else if (!c->fresh) {
		if (s->o.tail_lines >= 0) {
			snprintf(num, sizeof(num), "%ld", s->o.tail_lines);
			kube_query(&path, "tailLines", num);
		}
		if (s->o.since_seconds > 0) {
			snprintf(num, sizeof(num), "%ld", s->o.since_seconds);
			kube_query(&path, "sinceSeconds", num);
		} else if (s->since_time) {
			kube_query(&path, "sinceTime", s->since_time);
		}
	}
	log_resume_reconnect(&c->rs);
	/* a follow that asks for no line before it (--tail 0) resumes from
	 * its first connection's time: the lines written while a first
	 * stream that broke before its first line reconnects are kept */
	c->first_conn = !c->pub.reconnects && !log_resume_started(&c->rs);
	if (!c->first_ns) {
		c->first_ns = c->backlog_ns = wall_now_ns();
		c->backlog_left = s->o.tail_lines >= 0 && !c->fresh ? (size_t)s->o.tail_lines
								    : BACKLOG_MAX_LINES;
	}
	if (c->first_conn && !c->fresh && s->o.follow && !c->pub.previous && s->o.tail_lines == 0)
		log_resume_mark(&c->rs, c->first_ns);
	log_splitter_reset(&c->sp);
	rq.path = buf_str(&path);
	rq.on_line = src_line;
	rq.on_open = src_open;
	rq.timeout_ms = LOG_SESSION_HEADERS_MS;
	rq.stall_ms = s->o.stall_ms;
	c->open = false;
	if (c->pub.state != LOG_SOURCE_IDLE)
		c->line_ms = loop_now_ms();
	c->req = kube_http_request(s->h, &rq, src_done, c, &e);
	buf_free(&path);
	if (!c->req)
		src_end(c, true, "%s", e.msg);
}

static void src_start(struct src *c)
{
	struct log_session *s = c->s;

	if (!c->slot) {
		c->slot = true;
		s->active++;
	}
	c->pub.state = LOG_SOURCE_CONNECTING;
	changed(s);
	src_request(c);
}

/* ---- ends and reconnects ---- */

static const json_t *find_named(const json_t *arr, const char *name)
{
	size_t i;
	const json_t *x;

	json_array_foreach(arr, i, x)
	{
		if (strcmp(json_get_str(x, "name"), name) == 0)
			return x;
	}
	return NULL;
}

static const json_t *container_status(const json_t *pod, const char *name, bool init)
{
	const json_t *st = json_object_get(pod, "status");

	return find_named(json_object_get(st, init ? "initContainerStatuses" : "containerStatuses"),
			  name);
}

static bool exit_code(const json_t *term, long *out)
{
	const json_t *v = json_object_get(term, "exitCode");

	if (!json_is_integer(v))
		return false;
	*out = (long)json_integer_value(v);
	return true;
}

/* How our instance ended, by the pod as it is: true (and the source
 * ended) if it is over, false if the stream should go on. */
static bool judge(struct src *c, const json_t *pod)
{
	const json_t *meta = json_object_get(pod, "metadata");
	const json_t *cs = container_status(pod, c->container, c->pub.init);
	const json_t *state = json_object_get(cs, "state");
	const json_t *last = json_object_get(json_object_get(cs, "lastState"), "terminated");
	const json_t *term = json_object_get(state, "terminated");
	const char *cid = json_get_str(cs, "containerID");
	long restarts = json_get_count(cs, "restartCount", 0);
	long code;

	if (strcmp(json_get_str(meta, "uid"), c->pod_uid) != 0 ||
	    json_object_get(meta, "deletionTimestamp")) {
		src_end(c, false, "pod deleted");
		return true;
	}
	if (!cs) {
		src_end(c, true, "container %s is gone from the pod", c->container);
		return true;
	}
	if (strcmp(cid, c->cid) == 0 && restarts == c->restarts) {
		if (!term)
			return false;
		c->finishing = true;
		if (exit_code(term, &code))
			snprintf(c->final, sizeof(c->final), "terminated with exit code %ld", code);
		else
			snprintf(c->final, sizeof(c->final), "terminated");
		return false;
	}
	if (last && strcmp(json_get_str(last, "containerID"), c->cid) == 0 &&
	    exit_code(last, &code))
		snprintf(c->final, sizeof(c->final), "restarted (exit code %ld)", code);
	else
		snprintf(c->final, sizeof(c->final), "restarted");
	/* the instance before the current one is still readable, no older */
	if (restarts != c->restarts + 1) {
		src_end(c, false, "%s", c->final);
		return true;
	}
	c->finishing = c->finish_previous = true;
	return false;
}

static void checked(const struct kube_result *res, void *ud)
{
	struct src *c = ud;

	c->check = NULL;
	if (!kube_result_ok(res)) {
		if (res->status == 404)
			src_end(c, false, "pod deleted");
		else
			src_schedule(c, res->err.msg);
		return;
	}
	if (!judge(c, res->obj)) {
		c->pub.reconnects++;
		src_request(c);
	}
}

static void retry_due(struct loop *loop, void *ud)
{
	struct src *c = ud;
	struct err e = {{0}};

	(void)loop;
	c->retry = NULL;
	if (!c->s->o.follow || c->pub.previous || c->finishing) {
		c->pub.reconnects++;
		src_request(c);
		return;
	}
	/* the pod as it is now says whether the instance is over */
	c->check = kube_get(c->s->h, &kube_res_pods, c->ns, c->pod, checked, c, &e);
	if (!c->check)
		src_end(c, true, "%s", e.msg);
}

static void src_schedule(struct src *c, const char *why)
{
	struct log_session *s = c->s;
	uint64_t delay;

	if (c->pod_gone) {
		src_end(c, false, "pod deleted");
		return;
	}
	/* a follow stream that stayed open a while was healthy: its end starts
	 * the count again. One that ends as soon as it opens (a broken proxy,
	 * a container ended before the pod says so) keeps backing off. A read
	 * to the end keeps counting: its attempts are bounded. */
	log_stream_attempt(&c->pub.attempt,
			   c->open && s->o.follow && !c->pub.previous && !c->finishing &&
			       loop_now_ms() - c->open_ms >= (uint64_t)s->o.stall_ms);
	if ((!s->o.follow || c->finishing) && c->pub.attempt >= LOG_SESSION_READ_ATTEMPTS) {
		src_end(c, true, "%s", why);
		return;
	}
	delay = log_stream_backoff_ms(c->pub.attempt, rng_next(s));
	str_copy_clean(c->reason, sizeof(c->reason), why);
	c->pub.state = LOG_SOURCE_RECONNECTING;
	changed(s);
	c->retry = loop_timer_add(s->loop, delay, 0, retry_due, c);
}

/* ---- a stream's attempts ---- */

bool log_stream_line(struct log_resume *rs, unsigned *attempt, int64_t ts_ns)
{
	if (!log_resume_accept(rs, ts_ns))
		return false;
	/* a new line, not one a reconnect replays: this connection works */
	*attempt = 0;
	return true;
}

void log_stream_attempt(unsigned *attempt, bool healthy)
{
	if (healthy)
		*attempt = 0;
	if (*attempt < UINT_MAX)
		(*attempt)++;
}

uint64_t log_stream_backoff_ms(unsigned attempt, uint64_t rnd)
{
	uint64_t delay = LOG_SESSION_BACKOFF_BASE_MS;

	for (unsigned i = 1; i < attempt && delay < LOG_SESSION_BACKOFF_CAP_MS; i++)
		delay *= 2;
	if (delay > LOG_SESSION_BACKOFF_CAP_MS)
		delay = LOG_SESSION_BACKOFF_CAP_MS;
	return delay * 3 / 4 + rnd % (delay / 2 + 1); /* +-25% */
}

/* ---- sources from the pod list ---- */

/* An instance is its container id and restart count: a restart changes
 * both on a real cluster, and the count is enough where ids are reused. */
static struct src *src_lookup(struct log_session *s, const char *key)
{
	const json_t *id = json_object_get(s->index, key);

	return id ? s->v[json_integer_value(id)] : NULL;
}

static void instance_key(char *out, size_t n, const char *uid, const char *container,
			 const char *cid, long restarts)
{
	/* names and uids hold no '/' (DNS names, uuids) */
	snprintf(out, n, "%s/%s/%s/%ld", uid, container, cid, restarts);
}

static struct src *src_find(struct log_session *s, const char *uid, const char *container,
			    const char *cid, long restarts)
{
	char key[640];

	instance_key(key, sizeof(key), uid, container, cid, restarts);
	return src_lookup(s, key);
}

static void src_add(struct log_session *s, const json_t *pod, const char *container, bool init,
		    const char *cid, long restarts, bool fresh)
{
	const json_t *meta = json_object_get(pod, "metadata");
	struct src *c = xcalloc(1, sizeof(*c));
	char key[640];

	snprintf(key, sizeof(key), "%s/%s", json_get_str(meta, "uid"), container);
	c->before = src_lookup(s, key);
	json_object_set_new(s->index, key, json_integer((json_int_t)s->n));
	instance_key(key, sizeof(key), json_get_str(meta, "uid"), container, cid, restarts);
	json_object_set_new(s->index, key, json_integer((json_int_t)s->n));
	c->s = s;
	c->ns = xstrdup(s->ns);
	c->pod = xstrdup(json_get_str(meta, "name"));
	c->pod_uid = xstrdup(json_get_str(meta, "uid"));
	c->container = xstrdup(container);
	c->cid = xstrdup(cid);
	c->restarts = restarts;
	c->fresh = fresh;
	c->seen = true;
	log_splitter_init(&c->sp);
	c->sp.by_len = true; /* src_parsed copies text by its len into the ring */
	log_resume_init(&c->rs);
	c->pub.id = (uint32_t)s->n;
	c->pub.ns = c->ns;
	c->pub.pod = c->pod;
	c->pub.container = c->container;
	c->pub.container_id = c->cid;
	c->pub.init = init;
	c->pub.previous = s->o.previous;
	c->pub.restarts = restarts;
	c->pub.state = LOG_SOURCE_WAITING;
	c->pub.reason = c->reason;
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = c;
}

/* A container (its status cs) has a run before its current one to read:
 * it restarted, or its last run ended. The API has none otherwise. */
static bool has_previous_run(const json_t *cs)
{
	return json_get_count(cs, "restartCount", 0) > 0 ||
	       json_object_get(json_object_get(cs, "lastState"), "terminated");
}

static void pod_sources(struct log_session *s, const json_t *pod, bool init, bool fresh)
{
	const json_t *spec = json_object_get(pod, "spec");
	const json_t *list = json_object_get(spec, init ? "initContainers" : "containers");
	const char *uid = json_get_str(json_object_get(pod, "metadata"), "uid");
	size_t i;
	const json_t *ct;

	json_array_foreach(list, i, ct)
	{
		const char *name = json_get_str(ct, "name");
		const json_t *cs = container_status(pod, name, init);
		const char *cid = json_get_str(cs, "containerID");
		long restarts = json_get_count(cs, "restartCount", 0);

		if (!*name || (s->container && strcmp(name, s->container) != 0))
			continue;
		if (s->o.previous) {
			/* the instance before the current one, once; only those
			 * that have one (first_list_fails says when none has) */
			if (!has_previous_run(cs))
				continue;
			if (!src_find(s, uid, name, "", 0))
				src_add(s, pod, name, init, "", 0, false);
			continue;
		}
		if (!*cid || src_find(s, uid, name, cid, restarts))
			continue; /* not started yet, or known */
		src_add(s, pod, name, init, cid, restarts, fresh);
	}
}

static bool pod_wanted(const struct log_session *s, const json_t *pod)
{
	const json_t *meta = json_object_get(pod, "metadata");

	return !s->pod || strcmp(json_get_str(meta, "name"), s->pod) == 0;
}

/* What a first list with no pod wanted says: the pod named is not
 * there, or the namespace is not (exists false, 404 on it). A follow of
 * no named pod waits for pods, in a namespace that may come too (a store
 * still being made). */
static void not_found(struct log_session *s, bool exists)
{
	char msg[384];

	if (s->pod || (!exists && !s->o.follow)) {
		if (!exists)
			snprintf(msg, sizeof(msg), "namespace \"%s\" does not exist", s->ns);
		else
			snprintf(msg, sizeof(msg), "no pod \"%s\" in namespace \"%s\"", s->pod,
				 s->ns);
		s->failed_judged = !s->failed;
		fail(s, msg);
		return;
	}
	changed(s); /* log_session_none_matched holds now */
	check_done(s);
}

static void ns_checked(const struct kube_result *res, void *ud)
{
	struct log_session *s = ud;

	s->ns_check = NULL;
	/* following, the pod came while it was asked: the list has it */
	if (s->pod_seen)
		return;
	/* a 403 (no right to read namespaces) or an error says nothing of it */
	not_found(s, kube_result_ok(res) || res->status != 404);
}

/* A list with no pod wanted: asks whether the namespace exists (a list
 * in one that does not is empty, as in one without pods). False if it
 * cannot be asked. */
static bool ns_check_start(struct log_session *s)
{
	struct err e = {{0}};

	s->ns_check = kube_get(s->h, &kube_res_namespaces, NULL, s->ns, ns_checked, s, &e);
	return s->ns_check != NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "[a b]": the names of the containers of the pods wanted, each once, in
 * order (as kubectl's "choose one of"). */
static void container_names(const struct log_session *s, const json_t *pods, struct buf *b)
{
	json_t *seen = json_object();
	const char *key, **names;
	const json_t *pod, *v;
	size_t n = 0;

	json_object_foreach((json_t *)pods, key, pod)
	{
		const json_t *spec = json_object_get(pod, "spec");

		if (!pod_wanted(s, pod))
			continue;
		for (int init = 0; init < 2; init++) {
			size_t i;
			const json_t *ct;

			json_array_foreach(
			    json_object_get(spec, init ? "initContainers" : "containers"), i, ct)
			{
				if (*json_get_str(ct, "name"))
					json_object_set_new(seen, json_get_str(ct, "name"), json_true());
			}
		}
	}
	names = xcalloc(json_object_size(seen) + 1, sizeof(*names));
	json_object_foreach(seen, key, v)
		names[n++] = key;
	qsort(names, n, sizeof(*names), name_cmp);
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? " " : "", names[i]);
	buf_putc(b, ']');
	free(names);
	json_decref(seen);
}

/* The first list found pods, but what was asked of them cannot be had:
 * a container named that none of them has, or previous runs where no
 * container (or none of the one named) restarted. Fails the session saying so; true if it did. */
static bool first_list_fails(struct log_session *s, const json_t *pods)
{
	const char *key, *one = "";
	const json_t *pod;
	size_t has = 0;
	struct buf b = BUF_INIT;

	if (s->container) {
		json_object_foreach((json_t *)pods, key, pod)
		{
			const json_t *spec = json_object_get(pod, "spec");

			if (pod_wanted(s, pod) &&
			    (find_named(json_object_get(spec, "containers"), s->container) ||
			     find_named(json_object_get(spec, "initContainers"), s->container))) {
				has++;
				one = json_get_str(json_object_get(pod, "metadata"), "name");
			}
		}
		/* the pods have it, but none of its runs before this one */
		if (has && s->o.previous && s->n == 0) {
			if (has == 1)
				buf_printf(&b,
					   "container %s of pod %s has no previous run to read: "
					   "it has not restarted",
					   s->container, one);
			else
				buf_printf(&b,
					   "container %s has no previous run to read in any of "
					   "the %zu pods that have it: none has restarted",
					   s->container, has);
		} else if (has) {
			return false;
		} else {
			if (s->pod)
				buf_printf(&b, "pod %s has no container \"%s\"; choose one of: ",
					   s->pod, s->container);
			else
				buf_printf(&b, "no pod has a container \"%s\"; choose one of: ",
					   s->container);
			container_names(s, pods, &b);
		}
	} else if (s->o.previous && s->n == 0) {
		buf_puts(&b, "no container has a previous run to read: none has restarted");
	} else {
		return false;
	}
	s->failed_judged = !s->failed;
	fail(s, buf_str(&b));
	buf_free(&b);
	return true;
}

static void reconcile(struct log_session *s)
{
	const json_t *pods = kube_sub_objects(s->sub);
	bool first = !s->listed;
	const char *key;
	const json_t *pod;
	bool seen = false, found = false;
	json_t *uids;

	/* without follow (or for previous instances) the first list is the set */
	if (!first && (!s->o.follow || s->o.previous))
		return;
	uids = json_object();
	json_object_foreach((json_t *)pods, key, pod)
	{
		const json_t *meta = json_object_get(pod, "metadata");
		const char *uid = json_get_str(meta, "uid");

		if (!pod_wanted(s, pod))
			continue;
		found = true;
		/* a pod being deleted counts as gone, but its logs can still be
		 * read at the start */
		if (json_object_get(meta, "deletionTimestamp") && !first)
			continue;
		seen = true;
		json_object_set_new(uids, uid, json_true());
		/* a container named is read whichever list has it, as kubectl */
		if (s->o.init_containers || s->container)
			pod_sources(s, pod, true, !first);
		pod_sources(s, pod, false, !first);
	}
	for (size_t i = 0; i < s->n; i++)
		s->v[i]->seen = json_object_get(uids, s->v[i]->pod_uid) != NULL;
	json_decref(uids);
	s->pod_seen = seen;
	s->listed = true;
	if (first)
		s->pods_found = found;
	if (first && !found && ns_check_start(s)) {
		changed(s);
		return;
	}
	if (first && s->pod && !found) {
		not_found(s, true);
		return;
	}
	if (first && found && first_list_fails(s, pods))
		return;
	/* a pod that went: its streams end with it */
	for (size_t i = 0; i < s->n; i++) {
		struct src *c = s->v[i];

		if (c->seen || c->pub.state == LOG_SOURCE_ENDED || c->pod_gone)
			continue;
		c->pod_gone = true;
		if (c->pub.state == LOG_SOURCE_WAITING || c->pub.state == LOG_SOURCE_RECONNECTING)
			src_end(c, false, "pod deleted");
	}
	fill_slots(s);
	changed(s);
	check_done(s);
}

static void on_pods(struct kube_sub *sub, const struct kube_changes *ch, void *ud)
{
	struct log_session *s = ud;

	(void)ch;
	if (!kube_sub_ready(sub)) {
		const char *why = kube_sub_problem(sub);

		/* a read, or a first list, that cannot be had is a failure;
		 * a follow that has its sources waits for the watch to heal */
		if (*why && !s->listed && !s->o.follow)
			fail(s, why);
		else
			changed(s);
		return;
	}
	reconcile(s);
}

static void tick(struct loop *loop, void *ud)
{
	struct log_session *s = ud;
	uint64_t now = loop_now_ms();
	bool any = false;

	(void)loop;
	for (size_t i = 0; i < s->n; i++) {
		struct src *c = s->v[i];

		if (c->pub.state == LOG_SOURCE_STREAMING &&
		    now - c->line_ms >= (uint64_t)s->o.idle_ms) {
			c->pub.state = LOG_SOURCE_IDLE;
			any = true;
		}
	}
	if (any)
		changed(s);
}

/* ---- public ---- */

struct log_session *log_session_start(struct kube_registry *reg, const struct log_session_opts *o,
				      struct err *err)
{
	struct log_session *s;
	struct kube_http *h;

	if (!o->ns || !kube_valid_namespace(o->ns)) {
		err_set(err, "a log session needs a valid namespace");
		return NULL;
	}
	if (o->pod && !kube_valid_name(o->pod)) {
		char shown[80];

		str_copy_clean(shown, sizeof(shown), o->pod);
		err_set(err, "\"%s\" is not a valid pod name", shown);
		return NULL;
	}
	if (o->container && !kube_valid_namespace(o->container)) {
		char shown[80];

		str_copy_clean(shown, sizeof(shown), o->container);
		err_set(err, "\"%s\" is not a valid container name", shown);
		return NULL;
	}
	if (!o->ring) {
		err_set(err, "a log session needs a ring buffer");
		return NULL;
	}
	h = kube_registry_client(reg, o->context, err);
	if (!h)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->o = *o;
	s->context = dup_or_null(o->context);
	s->ns = xstrdup(o->ns);
	s->pod = dup_or_null(o->pod);
	s->selector = s->pod ? NULL : dup_or_null(o->selector);
	s->container = dup_or_null(o->container);
	s->since_time = dup_or_null(o->since_time);
	s->o.context = s->context;
	s->o.ns = s->ns;
	s->o.pod = s->pod;
	s->o.selector = s->selector;
	s->o.container = s->container;
	s->o.since_time = s->since_time;
	if (s->since_time &&
	    log_time_parse(s->since_time, strlen(s->since_time), &s->since_ns) !=
		    strlen(s->since_time))
		s->since_ns = 0;
	if (!s->o.max_streams)
		s->o.max_streams = LOG_SESSION_MAX_STREAMS;
	if (s->o.idle_ms <= 0)
		s->o.idle_ms = LOG_SESSION_IDLE_MS;
	if (s->o.stall_ms <= 0)
		s->o.stall_ms = LOG_SESSION_STALL_MS;
	s->reg = reg;
	s->h = h;
	s->loop = kube_http_loop(h);
	s->index = json_object();
	s->rng = (uint64_t)(uintptr_t)s ^ loop_now_ms() ^ 0x9e3779b97f4a7c15ULL;
	s->sub = kube_registry_subscribe(reg, s->context, &kube_res_pods, s->ns, s->selector, NULL,
					 on_pods, s, err);
	if (!s->sub) {
		log_session_free(s);
		return NULL;
	}
	{
		/* idle is seen within a quarter of its bound (and a second) */
		uint64_t every = (uint64_t)s->o.idle_ms / 4;

		every = every < 50 ? 50 : every > 1000 ? 1000 : every;
		s->tick = loop_timer_add(s->loop, every, every, tick, s);
	}
	return s;
}

void log_session_free(struct log_session *s)
{
	if (!s)
		return;
	kube_sub_free(s->sub);
	kube_op_cancel(s->ns_check);
	if (s->tick)
		loop_timer_cancel(s->tick);
	backlog_drop(s);
	for (size_t i = 0; i < s->n; i++) {
		struct src *c = s->v[i];

		src_cancel_io(c);
		log_splitter_free(&c->sp);
		free(c->ns);
		free(c->pod);
		free(c->pod_uid);
		free(c->container);
		free(c->cid);
		free(c);
	}
	free(s->v);
	json_decref(s->index);
	free(s->context);
	free(s->ns);
	free(s->pod);
	free(s->selector);
	free(s->container);
	free(s->since_time);
	free(s->failed);
	free(s);
}

void log_session_cleared(struct log_session *s)
{
	if (s)
		backlog_drop(s);
}

size_t log_session_nsources(const struct log_session *s)
{
	return s->n;
}

const struct log_source *log_session_source(const struct log_session *s, uint32_t id)
{
	return id < s->n ? &s->v[id]->pub : NULL;
}

const char *log_source_name(const struct log_source *src, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", src->pod, src->container);
	return buf;
}

const char *log_source_state_name(enum log_source_state st)
{
	switch (st) {
	case LOG_SOURCE_WAITING:
		return "waiting";
	case LOG_SOURCE_CONNECTING:
		return "connecting";
	case LOG_SOURCE_STREAMING:
		return "streaming";
	case LOG_SOURCE_IDLE:
		return "idle";
	case LOG_SOURCE_RECONNECTING:
		return "reconnecting";
	case LOG_SOURCE_ENDED:
		return "ended";
	}
	return "?";
}

void log_session_counts(const struct log_session *s, struct log_session_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->n; i++)
		out->n[s->v[i]->pub.state]++;
}

bool log_session_done(const struct log_session *s)
{
	return s->done;
}

bool log_session_listed(const struct log_session *s)
{
	return s->listed;
}

bool log_session_none_matched(const struct log_session *s)
{
	return s->listed && !s->ns_check && !s->failed && !s->pods_found;
}

const char *log_session_failed(const struct log_session *s)
{
	return s->failed;
}

bool log_session_failed_judged(const struct log_session *s)
{
	return s->failed && s->failed_judged;
}

const char *log_session_problem(const struct log_session *s)
{
	return s->sub ? kube_sub_problem(s->sub) : "";
}
