#include "config.h"

#include "db/conn.h"

#include <libpq-fe.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/resolve.h"

struct db_call {
	struct db_call *next;
	struct db_conn *conn;
	struct db_req req;
	unsigned timeout_ms;
	struct loop_timer *timer;
	db_result_fn fn; /* NULL once forgotten */
	void *ud;
	char fail[2100]; /* set when failed before reaching the server */
	bool probe;	/* the idle check: no answer means the link is dead */
};

struct db_sub {
	db_event_fn fn; /* NULL: unsubscribed, swept later */
	void *ud;
};

enum phase {
	PHASE_IDLE,	  /* no connection (DOWN, waiting to retry) */
	PHASE_RESOLVING,  /* looking the host name up (db/resolve.h) */
	PHASE_CONNECTING, /* PQconnectPoll in progress */
	PHASE_LISTEN,	  /* connected, LISTEN on the wire */
	PHASE_READY,
};

struct db_conn {
	struct loop *loop;
	char *conninfo;
	struct db_conn_options opt;

	PGconn *pg;
	int fd;
	struct loop_watch *watch;
	unsigned watch_events;
	enum phase phase;
	enum db_state state;
	char reason[2048];

	/* The host to look up first ("" if none), and what it gave. */
	char host[256];
	struct db_resolve *resolve;
	char *hosts, *addrs; /* "name,name", "addr,addr" for libpq */
	/* Through a tunnel: where to, for messages (its password wiped). */
	struct db_route route;
	/* The idle check: when nothing came for probe_idle_ms, a probe. */
	struct loop_timer *idle_timer;
	uint64_t last_rx_ms;
	bool probing;

	struct loop_timer *connect_timer;
	struct loop_timer *retry_timer;
	struct loop_timer *fail_timer; /* delivers the failed list */
	unsigned backoff_ms;

	struct db_call *head, *tail; /* queued, not sent */
	struct db_call *inflight;
	PGresult *result; /* of the request on the wire */
	bool listen_inflight;
	struct db_call *failed_head, *failed_tail;

	struct db_sub *subs;
	size_t nsubs, capsubs;
	int dispatching;
};

static void start_connect(struct db_conn *c);
static void on_fd(struct loop *loop, int fd, unsigned events, void *ud);

const char *db_state_name(enum db_state s)
{
	switch (s) {
	case DB_STATE_CONNECTING:
		return "connecting";
	case DB_STATE_READY:
		return "ready";
	case DB_STATE_DOWN:
		return "down";
	}
	return "?";
}

/* ---- subscribers ---- */

static void emit(struct db_conn *c, const struct db_event *ev)
{
	size_t n = c->nsubs;

	c->dispatching++;
	/* Subscribers added meanwhile wait for the next event. */
	for (size_t i = 0; i < n; i++) {
		if (c->subs[i].fn)
			c->subs[i].fn(c->subs[i].ud, ev);
	}
	if (--c->dispatching == 0) {
		size_t j = 0;

		for (size_t i = 0; i < c->nsubs; i++) {
			if (c->subs[i].fn)
				c->subs[j++] = c->subs[i];
		}
		c->nsubs = j;
	}
}

static void set_state(struct db_conn *c, enum db_state st, const char *reason)
{
	struct db_event ev = { .kind = DB_EVENT_STATE };

	if (c->state == st && strcmp(c->reason, reason) == 0)
		return;
	c->state = st;
	str_copy(c->reason, sizeof(c->reason), reason);
	ev.state = st;
	ev.reason = c->reason;
	emit(c, &ev);
}

void db_conn_subscribe(struct db_conn *c, db_event_fn fn, void *ud)
{
	c->subs = xgrow(c->subs, &c->capsubs, c->nsubs + 1, sizeof(*c->subs));
	c->subs[c->nsubs].fn = fn;
	c->subs[c->nsubs].ud = ud;
	c->nsubs++;
}

void db_conn_unsubscribe(struct db_conn *c, db_event_fn fn, void *ud)
{
	for (size_t i = 0; i < c->nsubs; i++) {
		if (c->subs[i].fn == fn && c->subs[i].ud == ud)
			c->subs[i].fn = NULL;
	}
	if (c->dispatching == 0) {
		size_t j = 0;

		for (size_t i = 0; i < c->nsubs; i++) {
			if (c->subs[i].fn)
				c->subs[j++] = c->subs[i];
		}
		c->nsubs = j;
	}
}

/* ---- calls ---- */

static void call_free(struct db_call *call)
{
	loop_timer_cancel(call->timer);
	db_req_free(&call->req);
	free(call);
}

/* Runs the callback with a result or a reason, then frees the call. */
static void call_finish(struct db_call *call, const PGresult *res, const char *why)
{
	struct err err = { { 0 } };
	db_result_fn fn = call->fn;

	loop_timer_cancel(call->timer);
	call->timer = NULL;
	if (res && !db_result_ok(res)) {
		db_error_describe(res, NULL, &err);
		res = NULL;
	} else if (res && call->req.check && !call->req.check(res, &call->req, &err)) {
		res = NULL;
	} else if (!res) {
		err_set(&err, "%s", why ? why : "no answer from the database");
	}
	if (fn)
		fn(call->ud, res, res ? NULL : &err);
	call_free(call);
}

static void unlink_queued(struct db_conn *c, struct db_call *call)
{
	struct db_call **pp = &c->head, *prev = NULL;

	for (; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == call) {
			*pp = call->next;
			if (c->tail == call)
				c->tail = prev;
			call->next = NULL;
			return;
		}
	}
}

static void fail_timer_fired(struct loop *loop, void *ud)
{
	struct db_conn *c = ud;

	(void)loop;
	c->fail_timer = NULL;
	while (c->failed_head) {
		struct db_call *call = c->failed_head;

		c->failed_head = call->next;
		if (!c->failed_head)
			c->failed_tail = NULL;
		call_finish(call, NULL, call->fail);
	}
}

/* Fails a call from the loop's next turn, never from the caller's stack. */
static void fail_later(struct db_conn *c, struct db_call *call, const char *why)
{
	str_copy(call->fail, sizeof(call->fail), why);
	loop_timer_cancel(call->timer);
	call->timer = NULL;
	call->next = NULL;
	if (c->failed_tail)
		c->failed_tail->next = call;
	else
		c->failed_head = call;
	c->failed_tail = call;
	if (!c->fail_timer)
		c->fail_timer = loop_timer_add(c->loop, 0, 0, fail_timer_fired, c);
}

static void fail_queued(struct db_conn *c, const char *why)
{
	while (c->head) {
		struct db_call *call = c->head;

		c->head = call->next;
		fail_later(c, call, why);
	}
	c->tail = NULL;
}

/* ---- connection lifecycle ---- */

static void tidy(const char *in, char *out, size_t outsz)
{
	size_t j = 0;

	for (size_t i = 0; in && in[i] && j + 1 < outsz; i++) {
		char ch = in[i];

		if (ch == '\n' || ch == '\r' || ch == '\t') {
			if (j > 0 && out[j - 1] != ' ' && in[i + 1])
				out[j++] = ' ';
			continue;
		}
		out[j++] = ch;
	}
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
	if (j == 0)
		str_copy(out, outsz, "no reason given");
}

static void watch(struct db_conn *c, unsigned events)
{
	int fd = c->pg ? PQsocket(c->pg) : -1;

	if (c->watch && fd != c->fd) {
		loop_watch_remove(c->watch);
		c->watch = NULL;
	}
	c->fd = fd;
	if (fd < 0)
		return;
	if (!c->watch) {
		c->watch = loop_watch_fd(c->loop, fd, events, on_fd, c);
	} else if (events != c->watch_events) {
		loop_watch_set_events(c->watch, events);
	}
	c->watch_events = events;
}

static void close_pg(struct db_conn *c)
{
	db_resolve_cancel(c->resolve);
	c->resolve = NULL;
	loop_timer_cancel(c->idle_timer);
	c->idle_timer = NULL;
	c->probing = false;
	loop_watch_remove(c->watch);
	c->watch = NULL;
	c->fd = -1;
	loop_timer_cancel(c->connect_timer);
	c->connect_timer = NULL;
	if (c->result) {
		PQclear(c->result);
		c->result = NULL;
	}
	c->listen_inflight = false;
	if (c->pg) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->phase = PHASE_IDLE;
}

static void retry_fired(struct loop *loop, void *ud)
{
	struct db_conn *c = ud;

	(void)loop;
	c->retry_timer = NULL;
	start_connect(c);
}

/* The connection is gone or could not be made: fail what waits, retry. */
static void go_down(struct db_conn *c, const char *why_raw)
{
	char why[2048], msg[2100], told[1024];

	tidy(why_raw, told, sizeof(told));
	if (c->route.lport[0])
		db_route_failure(&c->route, told, why, sizeof(why));
	else
		str_copy(why, sizeof(why), told);
	if (c->inflight) {
		struct db_call *call = c->inflight;

		c->inflight = NULL;
		snprintf(msg, sizeof(msg), "connection to the database lost: %s", why);
		fail_later(c, call, msg);
	}
	close_pg(c);
	snprintf(msg, sizeof(msg), "database unavailable: %s", why);
	fail_queued(c, msg);
	if (!c->retry_timer) {
		c->retry_timer = loop_timer_add(c->loop, c->backoff_ms, 0, retry_fired, c);
		c->backoff_ms = c->backoff_ms * 2 > c->opt.backoff_max_ms ? c->opt.backoff_max_ms
									  : c->backoff_ms * 2;
	}
	set_state(c, DB_STATE_DOWN, why);
}

static void connect_timed_out(struct loop *loop, void *ud)
{
	struct db_conn *c = ud;
	char why[80];

	(void)loop;
	c->connect_timer = NULL;
	snprintf(why, sizeof(why), "no connection within %u ms", c->opt.connect_timeout_ms);
	go_down(c, why);
}

/* A retry after a failure stays DOWN until it succeeds: CONNECTING is for
 * the first connection and a reset. */
static void set_connecting(struct db_conn *c)
{
	if (c->state != DB_STATE_DOWN)
		set_state(c, DB_STATE_CONNECTING, "connecting");
}

static void arm_connect_timer(struct db_conn *c)
{
	if (!c->connect_timer)
		c->connect_timer =
			loop_timer_add(c->loop, c->opt.connect_timeout_ms, 0, connect_timed_out, c);
}

static void connect_pg(struct db_conn *c);

static void resolved(void *ud, const char *addrs, size_t n, const char *error)
{
	struct db_conn *c = ud;
	size_t size = n * (strlen(c->host) + 1), pos = 0;

	c->resolve = NULL;
	if (!addrs) {
		go_down(c, error);
		return;
	}
	/* One name per address, so that TLS and passwords still see the name. */
	free(c->hosts);
	c->hosts = xcalloc(1, size);
	for (size_t i = 0; i < n && pos < size; i++)
		pos += (size_t)snprintf(c->hosts + pos, size - pos, "%s%s", i ? "," : "", c->host);
	free(c->addrs);
	c->addrs = xstrdup(addrs);
	connect_pg(c);
}

static void start_connect(struct db_conn *c)
{
	close_pg(c);
	if (!c->host[0]) {
		connect_pg(c);
		return;
	}
	c->phase = PHASE_RESOLVING;
	arm_connect_timer(c);
	set_connecting(c);
	c->resolve = db_resolve_start(c->loop, c->host, resolved, c);
	if (!c->resolve)
		go_down(c, "cannot start a host name lookup");
}

static void connect_pg(struct db_conn *c)
{
	const char *keys[DB_CONN_NPARAMS], *vals[DB_CONN_NPARAMS];
	struct err err = { { 0 } };

	/* Through the tunnel, the route is asked again on every connect. */
	if (!db_conn_route_to(c->conninfo, &c->route, &err)) {
		go_down(c, err.msg);
		return;
	}
	if (c->route.lport[0])
		db_conn_params(c->conninfo, NULL, DB_TUNNEL_ADDR, c->route.lport,
			       c->route.password, keys, vals);
	else
		db_conn_params(c->conninfo, c->addrs ? c->hosts : NULL, c->addrs, NULL, NULL,
			       keys, vals);
	c->pg = PQconnectStartParams(keys, vals, 1);
	db_route_wipe(&c->route);
	if (!c->pg) {
		go_down(c, "out of memory");
		return;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		char why[1024];

		tidy(PQerrorMessage(c->pg), why, sizeof(why));
		go_down(c, why);
		return;
	}
	db_quiet_notices(c->pg);
	c->phase = PHASE_CONNECTING;
	arm_connect_timer(c);
	/* libpq: before the first PQconnectPoll, wait for writability. */
	watch(c, LOOP_WRITE);
	set_connecting(c);
}

/* Sends what libpq has buffered; watches for writability while it can't. */
static bool flush(struct db_conn *c)
{
	int r = PQflush(c->pg);

	if (r < 0) {
		go_down(c, PQerrorMessage(c->pg));
		return false;
	}
	watch(c, LOOP_READ | (r == 1 ? LOOP_WRITE : 0));
	return true;
}

static void pump(struct db_conn *c)
{
	struct db_call *call;

	if (c->phase != PHASE_READY || c->inflight || !c->head)
		return;
	call = c->head;
	c->head = call->next;
	if (!c->head)
		c->tail = NULL;
	call->next = NULL;
	if (!PQsendQueryParams(c->pg, call->req.sql, call->req.nparams, NULL,
			       (const char *const *)call->req.params, NULL, NULL, 0)) {
		/* The request never left: give it back, the connection is broken. */
		call->next = c->head;
		c->head = call;
		if (!c->tail)
			c->tail = call;
		go_down(c, PQerrorMessage(c->pg));
		return;
	}
	c->inflight = call;
	flush(c);
}

static void connected(struct db_conn *c)
{
	loop_timer_cancel(c->connect_timer);
	c->connect_timer = NULL;
	if (PQsetnonblocking(c->pg, 1) != 0) {
		go_down(c, PQerrorMessage(c->pg));
		return;
	}
	c->phase = PHASE_LISTEN;
	c->listen_inflight = true;
	if (!PQsendQueryParams(c->pg, "LISTEN opsdeck", 0, NULL, NULL, NULL, NULL, 0)) {
		go_down(c, PQerrorMessage(c->pg));
		return;
	}
	flush(c);
}

static void submit_call(struct db_conn *c, struct db_call *call);

static void probe_done(void *ud, const PGresult *res, const struct err *err)
{
	struct db_conn *c = ud;

	(void)res;
	(void)err;
	c->probing = false;
}

/* Nothing came for a while: a cheap statement must be answered within
 * probe_timeout_ms, else the link is taken for dead (call_timed_out). */
static void idle_check(struct loop *loop, void *ud)
{
	struct db_conn *c = ud;
	uint64_t now = loop_now_ms(), quiet = now - c->last_rx_ms;

	(void)loop;
	c->idle_timer = NULL;
	if (c->phase != PHASE_READY)
		return;
	if (quiet >= c->opt.probe_idle_ms && !c->probing && !c->inflight) {
		struct db_call *call = xcalloc(1, sizeof(*call));

		db_req_init(&call->req, "SELECT 1");
		call->conn = c;
		call->timeout_ms = c->opt.probe_timeout_ms;
		call->fn = probe_done;
		call->ud = c;
		call->probe = true;
		c->probing = true;
		submit_call(c, call);
		quiet = 0;
	} else if (quiet >= c->opt.probe_idle_ms) {
		quiet = 0;
	}
	c->idle_timer = loop_timer_add(c->loop, c->opt.probe_idle_ms - quiet, 0, idle_check, c);
}

static void became_ready(struct db_conn *c)
{
	struct db_event ev = { .kind = DB_EVENT_RESYNC };

	c->phase = PHASE_READY;
	c->last_rx_ms = loop_now_ms();
	loop_timer_cancel(c->idle_timer);
	c->idle_timer = loop_timer_add(c->loop, c->opt.probe_idle_ms, 0, idle_check, c);
	c->backoff_ms = c->opt.backoff_min_ms;
	set_state(c, DB_STATE_READY, "");
	ev.state = DB_STATE_READY;
	emit(c, &ev);
	pump(c);
}

/* ---- notifications ---- */

static const char *const known_tables[] = {
	"customers", "projects", "offerings", "plans", "clusters",
	"stores",    "jobs",     "job_steps", "events",	   "schema_migrations",
};

static bool printable_key(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

/* Anyone may NOTIFY on the channel: only well-formed payloads get through. */
bool db_notify_parse(const char *channel, const char *payload, struct db_event *out,
		     json_t **hold)
{
	json_t *j, *t, *o, *k, *st;
	struct db_event ev = { .kind = DB_EVENT_CHANGE, .state = DB_STATE_READY };
	bool table_ok = false, ok = false;

	*hold = NULL;
	if (strcmp(channel, "opsdeck") != 0 || !payload || strlen(payload) > 1024)
		return false;
	j = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return false;
	t = json_object_get(j, "table");
	o = json_object_get(j, "op");
	k = json_object_get(j, "key");
	st = json_object_get(j, "store");
	if (json_is_string(st) && printable_key(json_string_value(st)))
		ev.store = json_string_value(st);
	if (json_is_string(t) && json_is_string(o) && json_is_string(k)) {
		for (size_t i = 0; i < ARRAY_LEN(known_tables); i++)
			table_ok = table_ok || strcmp(known_tables[i], json_string_value(t)) == 0;
		ev.table = json_string_value(t);
		ev.op = json_string_value(o);
		ev.key = json_string_value(k);
		ok = table_ok &&
		     (strcmp(ev.op, "insert") == 0 || strcmp(ev.op, "update") == 0 ||
		      strcmp(ev.op, "delete") == 0) &&
		     printable_key(ev.key);
	}
	if (!ok) {
		json_decref(j);
		return false;
	}
	*out = ev;
	*hold = j;
	return true;
}

static void deliver_notify(struct db_conn *c, const PGnotify *n)
{
	struct db_event ev;
	json_t *hold;

	if (db_notify_parse(n->relname, n->extra, &ev, &hold))
		emit(c, &ev);
	json_decref(hold);
}

/* ---- reading ---- */

/* Collects results while libpq has them; finishes the request at the end. */
static void drain(struct db_conn *c)
{
	PGnotify *n;

	while (c->pg && (c->inflight || c->listen_inflight) && !PQisBusy(c->pg)) {
		PGresult *res = PQgetResult(c->pg);

		if (res) {
			/* Keep the first error, else the last result. */
			if (c->result && !db_result_ok(c->result)) {
				PQclear(res);
			} else {
				PQclear(c->result);
				c->result = res;
			}
			continue;
		}
		res = c->result;
		c->result = NULL;
		if (c->listen_inflight) {
			bool ok = db_result_ok(res);
			char why[340];

			c->listen_inflight = false;
			if (!ok) {
				struct err e;

				db_error_describe(res, c->pg, &e);
				snprintf(why, sizeof(why), "LISTEN failed: %.300s", e.msg);
			}
			PQclear(res);
			if (!ok) {
				go_down(c, why);
				return;
			}
			became_ready(c);
			continue;
		} else {
			struct db_call *call = c->inflight;

			c->inflight = NULL;
			call_finish(call, res, NULL);
			PQclear(res);
			pump(c);
		}
	}
	while (c->pg && (n = PQnotifies(c->pg)) != NULL) {
		deliver_notify(c, n);
		PQfreemem(n);
	}
}

static void on_fd(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct db_conn *c = ud;

	(void)loop;
	(void)fd;
	if (c->phase == PHASE_CONNECTING) {
		switch (PQconnectPoll(c->pg)) {
		case PGRES_POLLING_READING:
			watch(c, LOOP_READ);
			return;
		case PGRES_POLLING_WRITING:
			watch(c, LOOP_WRITE);
			return;
		case PGRES_POLLING_OK:
			connected(c);
			return;
		case PGRES_POLLING_FAILED:
		default:
			go_down(c, PQerrorMessage(c->pg));
			return;
		}
	}
	if (!c->pg)
		return;
	if ((events & LOOP_WRITE) && !flush(c))
		return;
	if (events & (LOOP_READ | LOOP_ERROR)) {
		c->last_rx_ms = loop_now_ms();
		if (!PQconsumeInput(c->pg)) {
			go_down(c, PQerrorMessage(c->pg));
			return;
		}
		drain(c);
		if (c->pg && PQstatus(c->pg) == CONNECTION_BAD)
			go_down(c, PQerrorMessage(c->pg));
	}
}

/* ---- requests ---- */

static void call_timed_out(struct loop *loop, void *ud)
{
	struct db_call *call = ud;
	struct db_conn *c = call->conn;
	char why[160];

	(void)loop;
	call->timer = NULL;
	snprintf(why, sizeof(why), "the database did not answer within %u ms", call->timeout_ms);
	if (call->probe) {
		/* Idle and then silent: the link is dead (a dropped tunnel, a
		 * peer gone without a word), not merely slow. */
		if (call == c->inflight)
			c->inflight = NULL;
		else
			unlink_queued(c, call);
		call_free(call);
		c->probing = false;
		snprintf(why, sizeof(why), "no answer from the database for %u ms",
			 c->opt.probe_idle_ms + c->opt.probe_timeout_ms);
		go_down(c, why);
		return;
	}
	if (call == c->inflight) {
		/* A statement on the wire cannot be abandoned without a blocking
		 * cancel: drop the connection and start a new one at once. */
		c->inflight = NULL;
		fail_later(c, call, why);
		close_pg(c);
		start_connect(c);
		return;
	}
	unlink_queued(c, call);
	if (c->state != DB_STATE_READY) {
		char more[420];

		snprintf(more, sizeof(more), "%s (%.250s)", why, c->reason);
		fail_later(c, call, more);
	} else {
		fail_later(c, call, why);
	}
}

void db_conn_submit(struct db_conn *c, struct db_req *req, unsigned timeout_ms, db_result_fn fn,
		    void *ud)
{
	struct db_call *call = xcalloc(1, sizeof(*call));

	call->conn = c;
	db_req_move(&call->req, req);
	call->timeout_ms = timeout_ms ? timeout_ms : c->opt.request_timeout_ms;
	call->fn = fn;
	call->ud = ud;
	submit_call(c, call);
}

static void submit_call(struct db_conn *c, struct db_call *call)
{
	if (c->state == DB_STATE_DOWN) {
		char why[2100];

		snprintf(why, sizeof(why), "database unavailable: %s", c->reason);
		fail_later(c, call, why);
		return;
	}
	call->timer = loop_timer_add(c->loop, call->timeout_ms, 0, call_timed_out, call);
	if (c->tail)
		c->tail->next = call;
	else
		c->head = call;
	c->tail = call;
	pump(c);
}

void db_conn_forget(struct db_conn *c, void *ud)
{
	for (struct db_call *p = c->head; p; p = p->next) {
		if (p->ud == ud)
			p->fn = NULL;
	}
	for (struct db_call *p = c->failed_head; p; p = p->next) {
		if (p->ud == ud)
			p->fn = NULL;
	}
	if (c->inflight && c->inflight->ud == ud)
		c->inflight->fn = NULL;
}

/* ---- construction ---- */

struct db_conn *db_conn_new(struct loop *loop, const char *conninfo,
			    const struct db_conn_options *opt)
{
	struct db_conn *c = xcalloc(1, sizeof(*c));

	c->loop = loop;
	c->conninfo = conninfo && *conninfo ? xstrdup(conninfo) : NULL;
	if (opt)
		c->opt = *opt;
	if (!c->opt.connect_timeout_ms)
		c->opt.connect_timeout_ms = 10000;
	if (!c->opt.request_timeout_ms)
		c->opt.request_timeout_ms = 10000;
	if (!c->opt.backoff_min_ms)
		c->opt.backoff_min_ms = 250;
	if (!c->opt.backoff_max_ms)
		c->opt.backoff_max_ms = 10000;
	if (c->opt.backoff_max_ms < c->opt.backoff_min_ms)
		c->opt.backoff_max_ms = c->opt.backoff_min_ms;
	if (!c->opt.probe_idle_ms)
		c->opt.probe_idle_ms = 5000;
	if (!c->opt.probe_timeout_ms)
		c->opt.probe_timeout_ms = 5000;
	{
		char host[256];
		bool has_addr = false;

		/* A name to look up; a socket, an address, a conninfo libpq
		 * will refuse or a tunnel (the bastion resolves) need none. */
		if (!db_tunnel() && db_conn_host(c->conninfo, host, sizeof(host), &has_addr) &&
		    !has_addr && db_resolve_needed(host))
			str_copy(c->host, sizeof(c->host), host);
	}
	c->backoff_ms = c->opt.backoff_min_ms;
	c->fd = -1;
	c->state = DB_STATE_CONNECTING;
	str_copy(c->reason, sizeof(c->reason), "connecting");
	start_connect(c);
	return c;
}

enum db_state db_conn_state(const struct db_conn *c, const char **reason)
{
	if (reason)
		*reason = c->reason;
	return c->state;
}

static void free_list(struct db_call *p)
{
	while (p) {
		struct db_call *next = p->next;

		call_free(p);
		p = next;
	}
}

void db_conn_free(struct db_conn *c)
{
	if (!c)
		return;
	close_pg(c);
	loop_timer_cancel(c->retry_timer);
	loop_timer_cancel(c->fail_timer);
	free_list(c->head);
	free_list(c->failed_head);
	if (c->inflight)
		call_free(c->inflight);
	free(c->subs);
	free(c->conninfo);
	free(c->hosts);
	free(c->addrs);
	free(c);
}
