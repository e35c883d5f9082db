#include "config.h"

#include "mq/rabbit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "net/http.h"
#include "provision/secret.h"
#include "route.h"
#include "utf8.h"

/* The columns a listing asks for: what a row shows, nothing more. */
static const char queue_columns[] =
    "name,vhost,type,state,messages,messages_ready,messages_unacknowledged,consumers,"
    "message_stats.publish_details.rate,message_stats.deliver_get_details.rate,"
    "message_stats.ack_details.rate";

#define RABBIT_PASSWORD_MAX 4096
#define MOVE_POLL_MS 250

enum op_kind { OP_LIST, OP_PEEK, OP_PURGE, OP_MOVE };

enum op_stage {
	ST_OVERVIEW,
	ST_QUEUES,
	ST_PEEK_QUEUE,
	ST_GET,
	ST_DELETE,
	ST_SOURCE,
	ST_TARGET,
	ST_SHOVEL,
	ST_POLL_PARAM,
	ST_POLL_STATE,
	ST_CLEANUP,
};

struct rabbit {
	struct net_http *http;
	struct loop *loop;
	char *name;
	char **vhosts;
	size_t nvhosts;
	bool read_only;
	long timeout_ms;
	struct rabbit_op *ops; /* in flight, for rabbit_free */
	unsigned long seq;     /* makes shovel names unique within a run */
};

struct rabbit_op {
	struct rabbit *r;
	struct rabbit_op *prev, *next;
	enum op_kind kind;
	enum op_stage stage;
	rabbit_done_fn done;
	void *ud;
	struct net_req *req;
	struct loop_timer *timer;
	char *vhost, *queue, *to;
	int count;
	unsigned flags;
	size_t vh_index; /* listing: which configured vhost */
	long page;
	char shovel[80];
	uint64_t deadline_ms;
	struct err fail; /* a move's failure, told once its shovel is removed */
	struct rabbit_result res;
};

/* ---- settings ---- */

const char *rabbit_default_vhost(const struct conf_broker *b)
{
	return b && b->nvhosts ? b->vhosts[0] : "/";
}

bool rabbit_valid_queue_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	/* valid UTF-8, as JSON and the broker need */
	return n > 0 && n <= 255 && utf8_valid((const unsigned char *)name, n);
}

/* "~/x" is $HOME/x. */
static char *expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if (str_has_prefix(path, "~/") && home && *home)
		return xasprintf("%s/%s", home, path + 2);
	return xstrdup(path);
}

/* The first line of the file, without its line break; wiped buffers. */
static char *read_password_file(const char *name, const char *file, struct err *err)
{
	char *path = expand_home(file);
	char buf[RABBIT_PASSWORD_MAX + 2];
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char *out;

	if (fd < 0) {
		err_set(err, "broker %s: cannot read its password_file %s: %s", name, file,
			strerror(errno));
		free(path);
		return NULL;
	}
	free(path);
	while (len < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, "broker %s: cannot read its password_file %s: %s", name, file,
				strerror(errno));
			close(fd);
			secret_wipe(buf, sizeof(buf));
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	len = strcspn(buf, "\r\n");
	if (len == 0 || len > RABBIT_PASSWORD_MAX || memchr(buf, '\0', len)) {
		err_set(err,
			"broker %s: its password_file %s must hold the password on its first "
			"line",
			name, file);
		secret_wipe(buf, sizeof(buf));
		return NULL;
	}
	out = xstrndup(buf, len);
	secret_wipe(buf, sizeof(buf));
	return out;
}

struct rabbit *rabbit_new(struct loop *loop, const struct conf *conf, const struct conf_broker *b,
			  struct err *err)
{
	struct rabbit *r;
	char *password;
	struct net_http_opts o = {0};
	struct err e = {{0}};
	char via[128];

	if (b->tunnel) {
		char host[256];
		int port = 0;

		if (!net_http_url_endpoint(b->url, host, sizeof(host), &port, &e) ||
		    (o.connect_to = route_endpoint(b->tunnel, host, port, &e)) < 0) {
			err_set(err, "broker %s: %s", b->name, e.msg);
			return NULL;
		}
		snprintf(via, sizeof(via), "tunnel %s", b->tunnel);
		o.connect_via = via;
	}
	password = b->password_file ? read_password_file(b->name, b->password_file, err)
				    : xstrdup(b->password ? b->password : "");
	if (!password)
		return NULL;
	o.base_url = b->url;
	o.ca_file = b->ca_file;
	o.insecure = b->insecure;
	o.username = b->user;
	o.password = password;
	r = xcalloc(1, sizeof(*r));
	r->http = net_http_new(loop, &o, &e);
	secret_wipe(password, strlen(password));
	free(password);
	if (!r->http) {
		err_set(err, "broker %s: %s", b->name, e.msg);
		free(r);
		return NULL;
	}
	r->loop = net_http_loop(r->http);
	r->name = xstrdup(b->name);
	r->read_only = conf && conf->read_only;
	r->timeout_ms = b->timeout_s > 0 ? b->timeout_s * 1000 : RABBIT_TIMEOUT_MS;
	r->nvhosts = b->nvhosts;
	r->vhosts = b->nvhosts ? xcalloc(b->nvhosts, sizeof(char *)) : NULL;
	for (size_t i = 0; i < b->nvhosts; i++)
		r->vhosts[i] = xstrdup(b->vhosts[i]);
	return r;
}

const char *rabbit_name(const struct rabbit *r)
{
	return r->name;
}

void rabbit_set_timeout(struct rabbit *r, long timeout_ms)
{
	r->timeout_ms = timeout_ms > 0 ? timeout_ms : RABBIT_TIMEOUT_MS;
}

/* ---- operations ---- */

static void result_free(struct rabbit_result *res)
{
	rabbit_queue_list_free(&res->queues);
	rabbit_message_list_free(&res->messages);
}

static void op_free(struct rabbit_op *op)
{
	struct rabbit *r = op->r;

	if (op->req)
		net_req_cancel(op->req);
	if (op->timer)
		loop_timer_cancel(op->timer);
	if (op->prev)
		op->prev->next = op->next;
	else
		r->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	result_free(&op->res);
	free(op->vhost);
	free(op->queue);
	free(op->to);
	free(op);
}

void rabbit_op_cancel(struct rabbit_op *op)
{
	if (op)
		op_free(op);
}

void rabbit_free(struct rabbit *r)
{
	if (!r)
		return;
	while (r->ops)
		op_free(r->ops);
	net_http_free(r->http);
	for (size_t i = 0; i < r->nvhosts; i++)
		free(r->vhosts[i]);
	free(r->vhosts);
	free(r->name);
	free(r);
}

static void op_finish(struct rabbit_op *op, const struct err *err)
{
	op->req = NULL;
	op->done(&op->res, err, op->ud);
	op_free(op);
}

static void op_fail(struct rabbit_op *op, const char *fmt, ...) ATTR_FORMAT(2, 3);
static void op_fail(struct rabbit_op *op, const char *fmt, ...)
{
	struct err e;
	char msg[sizeof(e.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(&e, "broker %s: %s", op->r->name, msg);
	op_finish(op, &e);
}

static struct rabbit_op *op_new(struct rabbit *r, enum op_kind kind, rabbit_done_fn done, void *ud)
{
	struct rabbit_op *op = xcalloc(1, sizeof(*op));

	op->r = r;
	op->kind = kind;
	op->done = done;
	op->ud = ud;
	op->next = r->ops;
	if (r->ops)
		r->ops->prev = op;
	r->ops = op;
	return op;
}

static void on_answer(struct net_response *resp, void *ud);

/* Starts the op's next request; false with err set if it could not
 * start (a path the engine refuses). */
static bool op_start(struct rabbit_op *op, const char *method, const char *path, const char *body,
		     struct err *err)
{
	struct net_request rq = {
	    .method = method,
	    .path = path,
	    .body = body,
	    .body_len = body ? strlen(body) : 0,
	    .content_type = body ? "application/json" : NULL,
	    /* a DELETE answers 204 with no body: asking for JSON gets 406 */
	    .accept = str_eq(method, "DELETE") ? "*/*" : NULL,
	    .timeout_ms = op->r->timeout_ms,
	    .retries = -1,
	};

	op->res.requests++;
	op->req = net_http_request(op->r->http, &rq, on_answer, op, err);
	return op->req != NULL;
}

/* The same from a callback: a request that cannot start ends the op. */
static void op_send(struct rabbit_op *op, const char *method, const char *path, const char *body)
{
	struct err e = {{0}};

	if (!op_start(op, method, path, body, &e))
		op_fail(op, "%s", e.msg);
}

/* The first request of an op: one that cannot start is told to the
 * caller, and the op is dropped without a callback. */
static struct rabbit_op *op_begin(struct rabbit_op *op, const char *method, const char *path,
				  const char *body, struct err *err)
{
	struct err e = {{0}};

	if (op_start(op, method, path, body, &e))
		return op;
	err_set(err, "broker %s: %s", op->r->name, e.msg);
	op_free(op);
	return NULL;
}

/* "/api/queues/VHOST/NAME" + suffix */
static char *queue_path(const char *vhost, const char *queue, const char *suffix)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "/api/queues/");
	rabbit_path_segment(&b, vhost);
	buf_putc(&b, '/');
	rabbit_path_segment(&b, queue);
	buf_puts(&b, suffix);
	return buf_steal(&b);
}

static char *shovel_param_path(const struct rabbit_op *op)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "/api/parameters/shovel/");
	rabbit_path_segment(&b, op->vhost);
	buf_putc(&b, '/');
	rabbit_path_segment(&b, op->shovel);
	return buf_steal(&b);
}

static void send_queue_page(struct rabbit_op *op)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "/api/queues");
	if (op->vh_index < op->r->nvhosts) {
		buf_putc(&b, '/');
		rabbit_path_segment(&b, op->r->vhosts[op->vh_index]);
	}
	buf_printf(&b, "?pagination=true&page=%ld&page_size=%d&sort=name&columns=%s", op->page,
		   RABBIT_PAGE_SIZE, queue_columns);
	op->stage = ST_QUEUES;
	op_send(op, "GET", buf_str(&b), NULL);
	buf_free(&b);
}

static const char overview_path[] =
    "/api/overview?columns=cluster_name,rabbitmq_version,node,queue_totals,object_totals,"
    "message_stats.publish_details,message_stats.deliver_get_details";

/* A queue's name in messages: "queue NAME" plus its vhost when not "/". */
static void queue_words(char *out, size_t outsz, const char *vhost, const char *queue)
{
	char q[96], v[96];

	rabbit_name_shown(queue, q, sizeof(q));
	rabbit_name_shown(vhost, v, sizeof(v));
	if (str_eq(vhost, "/"))
		snprintf(out, outsz, "queue %s", q);
	else
		snprintf(out, outsz, "queue %s in vhost %s", q, v);
}

static void on_poll_timer(struct loop *loop, void *ud);

static void poll_later(struct rabbit_op *op)
{
	op->timer = loop_timer_add(op->r->loop, MOVE_POLL_MS, 0, on_poll_timer, op);
}

/* A move that cannot finish: its shovel is removed first, then the
 * failure is told. */
static void move_abort(struct rabbit_op *op, const char *fmt, ...) ATTR_FORMAT(2, 3);
static void move_abort(struct rabbit_op *op, const char *fmt, ...)
{
	va_list ap;
	char *path = shovel_param_path(op);
	char msg[sizeof(op->fail.msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(&op->fail, "broker %s: %s", op->r->name, msg);
	op->stage = ST_CLEANUP;
	op_send(op, "DELETE", path, NULL);
	free(path);
}

static void on_poll_timer(struct loop *loop, void *ud)
{
	struct rabbit_op *op = ud;
	char *path;

	(void)loop;
	op->timer = NULL;
	if (loop_now_ms() >= op->deadline_ms) {
		char from[200], to[200];

		rabbit_name_shown(op->queue, from, sizeof(from));
		rabbit_name_shown(op->to, to, sizeof(to));
		move_abort(op,
			   "the move from %s to %s did not finish within %d s; its shovel %s was "
			   "removed",
			   from, to, RABBIT_MOVE_TIMEOUT_MS / 1000, op->shovel);
		return;
	}
	path = shovel_param_path(op);
	op->stage = ST_POLL_PARAM;
	op_send(op, "GET", path, NULL);
	free(path);
}

static void on_answer(struct net_response *resp, void *ud)
{
	struct rabbit_op *op = ud;
	bool ok2xx = resp->status >= 200 && resp->status < 300;
	char what[256];
	struct err e = {{0}};

	op->req = NULL;
	if (err_isset(&resp->err)) {
		if (op->stage == ST_CLEANUP)
			op_finish(op, &op->fail);
		else
			op_fail(op, "%s", resp->err.msg);
		return;
	}
	switch (op->stage) {
	case ST_OVERVIEW:
		if (!ok2xx) {
			rabbit_error_describe(resp->status, resp->body, resp->body_len,
					      "the overview", &e);
			op_fail(op, "%s", e.msg);
			return;
		}
		if (!rabbit_overview_parse(resp->body, resp->body_len, &op->res.overview, &e)) {
			op_fail(op, "%s", e.msg);
			return;
		}
		op->page = 1;
		op->vh_index = 0;
		send_queue_page(op);
		return;
	case ST_QUEUES: {
		struct rabbit_page pg;

		if (!ok2xx) {
			if (op->vh_index < op->r->nvhosts) {
				char v[96];

				rabbit_name_shown(op->r->vhosts[op->vh_index], v, sizeof(v));
				snprintf(what, sizeof(what), "vhost %s", v);
			} else {
				str_copy(what, sizeof(what), "the queue list");
			}
			rabbit_error_describe(resp->status, resp->body, resp->body_len, what, &e);
			op_fail(op, "%s", e.msg);
			return;
		}
		if (!rabbit_queues_parse(resp->body, resp->body_len, &op->res.queues, &pg, &e)) {
			op_fail(op, "%s", e.msg);
			return;
		}
		if (op->page < pg.page_count && op->page < 100000) {
			op->page++;
			send_queue_page(op);
			return;
		}
		if (op->vh_index + 1 < op->r->nvhosts) {
			op->vh_index++;
			op->page = 1;
			send_queue_page(op);
			return;
		}
		op_finish(op, NULL);
		return;
	}
	case ST_PEEK_QUEUE: {
		char words[600];
		char *path, body[160];

		queue_words(what, sizeof(what), op->vhost, op->queue);
		if (!ok2xx) {
			rabbit_error_describe(resp->status, resp->body, resp->body_len, what, &e);
			op_fail(op, "%s", e.msg);
			return;
		}
		if (!rabbit_queue_parse(resp->body, resp->body_len, &op->res.queue, &e)) {
			op_fail(op, "%s", e.msg);
			return;
		}
		switch (rabbit_peek_effect(&op->res.queue, words, sizeof(words))) {
		case RABBIT_PEEK_UNSUPPORTED:
			op_fail(op, "%s", words);
			return;
		case RABBIT_PEEK_COUNTED:
			if (!(op->flags & RABBIT_PEEK_AGREED)) {
				op->res.needs_consent = true;
				op_fail(op, "%s", words);
				return;
			}
			break;
		case RABBIT_PEEK_HARMLESS:
			break;
		}
		snprintf(body, sizeof(body),
			 "{\"count\":%d,\"ackmode\":\"ack_requeue_true\",\"encoding\":\"auto\","
			 "\"truncate\":%d}",
			 op->count, RABBIT_PEEK_TRUNCATE);
		path = queue_path(op->vhost, op->queue, "/get");
		op->stage = ST_GET;
		op_send(op, "POST", path, body);
		free(path);
		return;
	}
	case ST_GET:
		queue_words(what, sizeof(what), op->vhost, op->queue);
		if (!ok2xx) {
			rabbit_error_describe(resp->status, resp->body, resp->body_len, what, &e);
			op_fail(op, "%s", e.msg);
			return;
		}
		if (!rabbit_messages_parse(resp->body, resp->body_len, RABBIT_PEEK_SHOWN,
					   &op->res.messages, &e)) {
			op_fail(op, "%s", e.msg);
			return;
		}
		op_finish(op, NULL);
		return;
	case ST_DELETE:
		queue_words(what, sizeof(what), op->vhost, op->queue);
		if (!ok2xx) {
			rabbit_error_describe(resp->status, resp->body, resp->body_len, what, &e);
			op_fail(op, "%s", e.msg);
			return;
		}
		op_finish(op, NULL);
		return;
	case ST_SOURCE:
	case ST_TARGET: {
		struct rabbit_queue q;
		bool source = op->stage == ST_SOURCE;

		queue_words(what, sizeof(what), op->vhost, source ? op->queue : op->to);
		if (!ok2xx) {
			rabbit_error_describe(resp->status, resp->body, resp->body_len, what, &e);
			op_fail(op, "%s", e.msg);
			return;
		}
		if (!rabbit_queue_parse(resp->body, resp->body_len, &q, &e)) {
			op_fail(op, "%s", e.msg);
			return;
		}
		if (source) {
			char *path = queue_path(op->vhost, op->to, "?columns=name");

			op->res.moved = q.counted ? q.messages : -1;
			op->stage = ST_TARGET;
			op_send(op, "GET", path, NULL);
			free(path);
		} else {
			char *path = shovel_param_path(op);
			char *body = rabbit_shovel_body(op->vhost, op->queue, op->to);

			op->stage = ST_SHOVEL;
			op->deadline_ms = loop_now_ms() + RABBIT_MOVE_TIMEOUT_MS;
			op_send(op, "PUT", path, body);
			free(body);
			free(path);
		}
		return;
	}
	case ST_SHOVEL:
		if (rabbit_error_no_shovel(resp->status, resp->body, resp->body_len)) {
			op_fail(op, "the shovel plugin is not enabled (rabbitmq-plugins enable "
				    "rabbitmq_shovel rabbitmq_shovel_management): cannot move "
				    "messages");
			return;
		}
		if (!ok2xx) {
			snprintf(what, sizeof(what), "shovel %s", op->shovel);
			rabbit_error_describe(resp->status, resp->body, resp->body_len, what, &e);
			op_fail(op, "%s", e.msg);
			return;
		}
		poll_later(op);
		return;
	case ST_POLL_PARAM:
		if (resp->status == 404) {
			/* The shovel deleted itself: every message it counted moved. */
			op_finish(op, NULL);
			return;
		}
		if (!ok2xx) {
			snprintf(what, sizeof(what), "shovel %s", op->shovel);
			rabbit_error_describe(resp->status, resp->body, resp->body_len, what, &e);
			move_abort(op, "%s", e.msg);
			return;
		} else {
			struct buf b = BUF_INIT;

			buf_puts(&b, "/api/shovels/");
			rabbit_path_segment(&b, op->vhost);
			op->stage = ST_POLL_STATE;
			op_send(op, "GET", buf_str(&b), NULL);
			buf_free(&b);
		}
		return;
	case ST_POLL_STATE: {
		char state[32], reason[256], from[200], to[200];

		/* Without the shovel_management plugin there is no status to read:
		 * the parameter alone tells when the move is over. */
		if (ok2xx &&
		    rabbit_shovel_state(resp->body, resp->body_len, op->shovel, state,
					sizeof(state), reason, sizeof(reason)) &&
		    str_eq(state, "terminated") && reason[0]) {
			rabbit_name_shown(op->queue, from, sizeof(from));
			rabbit_name_shown(op->to, to, sizeof(to));
			move_abort(op, "the shovel moving %s to %s failed: %s", from, to, reason);
			return;
		}
		poll_later(op);
		return;
	}
	case ST_CLEANUP:
		op_finish(op, &op->fail);
		return;
	}
}

struct rabbit_op *rabbit_list(struct rabbit *r, rabbit_done_fn done, void *ud, struct err *err)
{
	struct rabbit_op *op = op_new(r, OP_LIST, done, ud);

	op->stage = ST_OVERVIEW;
	return op_begin(op, "GET", overview_path, NULL, err);
}

/* Checks what every queue operation shares; the message names the
 * broker. */
static bool queue_args_ok(struct rabbit *r, const char *vhost, const char *queue, const char *what,
			  struct err *err)
{
	if (r->read_only && what) {
		err_set(err, "read-only mode: refusing to %s", what);
		return false;
	}
	if (!vhost || !*vhost || strlen(vhost) > 255 || !rabbit_valid_queue_name(vhost)) {
		err_set(err, "a vhost name must be 1 to 255 characters without control characters");
		return false;
	}
	if (!rabbit_valid_queue_name(queue)) {
		err_set(err, "a queue name must be 1 to 255 bytes without control characters");
		return false;
	}
	return true;
}

/* What a peek reads of the queue first: its type and delivery limit. */
static const char peek_columns[] = "?columns=name,vhost,type,arguments,effective_policy_definition";

struct rabbit_op *rabbit_peek(struct rabbit *r, const char *vhost, const char *queue, int count,
			      unsigned flags, rabbit_done_fn done, void *ud, struct err *err)
{
	struct rabbit_op *op;
	char *path;

	if (!queue_args_ok(r, vhost, queue, NULL, err))
		return NULL;
	if (count < 1 || count > RABBIT_PEEK_MAX) {
		err_set(err, "a peek reads 1 to %d messages", RABBIT_PEEK_MAX);
		return NULL;
	}
	op = op_new(r, OP_PEEK, done, ud);
	op->vhost = xstrdup(vhost);
	op->queue = xstrdup(queue);
	op->count = count;
	op->flags = flags;
	op->stage = ST_PEEK_QUEUE;
	path = queue_path(vhost, queue, peek_columns);
	op = op_begin(op, "GET", path, NULL, err);
	free(path);
	return op;
}

struct rabbit_op *rabbit_purge(struct rabbit *r, const char *vhost, const char *queue,
			       rabbit_done_fn done, void *ud, struct err *err)
{
	struct rabbit_op *op;
	char *path;

	if (!queue_args_ok(r, vhost, queue, "purge a queue", err))
		return NULL;
	op = op_new(r, OP_PURGE, done, ud);
	op->vhost = xstrdup(vhost);
	op->queue = xstrdup(queue);
	op->stage = ST_DELETE;
	path = queue_path(vhost, queue, "/contents");
	op = op_begin(op, "DELETE", path, NULL, err);
	free(path);
	return op;
}

struct rabbit_op *rabbit_move(struct rabbit *r, const char *vhost, const char *from, const char *to,
			      rabbit_done_fn done, void *ud, struct err *err)
{
	struct rabbit_op *op;
	char *path;

	if (!queue_args_ok(r, vhost, from, "move messages", err) ||
	    !queue_args_ok(r, vhost, to, "move messages", err))
		return NULL;
	if (str_eq(from, to)) {
		err_set(err, "a move needs two different queues");
		return NULL;
	}
	op = op_new(r, OP_MOVE, done, ud);
	op->vhost = xstrdup(vhost);
	op->queue = xstrdup(from);
	op->to = xstrdup(to);
	snprintf(op->shovel, sizeof(op->shovel), "opsdeck-move-%ld-%lu-%llu", (long)getpid(),
		 ++r->seq, (unsigned long long)loop_now_ms());
	op->stage = ST_SOURCE;
	path = queue_path(vhost, from, "?columns=name,messages");
	op = op_begin(op, "GET", path, NULL, err);
	free(path);
	return op;
}

/* ---- audit ---- */

static const char sql_audit[] =
    "INSERT INTO opsdeck.events (actor, action, object, message, detail)"
    " VALUES ($1, $2, $3, $4,"
    " jsonb_strip_nulls(jsonb_build_object('broker', $5::text, 'vhost', $6::text,"
    " 'queue', $7::text, 'to', $8::text)))"
    " RETURNING id";

bool rabbit_audit_req(struct db_req *req, const struct conf *conf, const char *broker,
		      const char *vhost, const char *queue, const char *to, struct err *err)
{
	char object[301], v[RABBIT_SHOWN_MAX], q[RABBIT_SHOWN_MAX], t[RABBIT_SHOWN_MAX];
	struct buf msg = BUF_INIT, obj = BUF_INIT;
	size_t n;

	if (!db_mutation_allowed(conf, to ? "move messages" : "purge a queue", err))
		return false;
	if (!broker || !*broker || !rabbit_valid_queue_name(vhost) ||
	    !rabbit_valid_queue_name(queue) || (to && !rabbit_valid_queue_name(to))) {
		err_set(err, "a broker, vhost and queue name must be 1 to 255 bytes of UTF-8 text");
		return false;
	}
	rabbit_name_shown(vhost, v, sizeof(v));
	rabbit_name_shown(queue, q, sizeof(q));
	rabbit_name_shown(to ? to : "", t, sizeof(t));
	/* The object column holds 300 characters without surrounding blanks;
	 * the detail keeps the whole names, exact. */
	buf_printf(&obj, "rabbitmq/%s/%s/%s", broker, v, q);
	str_copy(object, sizeof(object), buf_str(&obj));
	if (obj.len >= sizeof(object)) {
		/* cut, but never inside a character */
		n = strlen(object);
		while (n && ((unsigned char)object[n - 1] & 0xc0) == 0x80)
			n--;
		if (n && (unsigned char)object[n - 1] >= 0xc0)
			n--;
		object[n] = '\0';
	}
	buf_free(&obj);
	for (n = strlen(object); n && (object[n - 1] == ' ' || object[n - 1] == '\t'); n--)
		object[n - 1] = '\0';
	if (to)
		buf_printf(&msg,
			   "moving the messages of queue %s to queue %s (vhost %s) on broker %s", q,
			   t, v, broker);
	else
		buf_printf(&msg, "purging queue %s (vhost %s) on broker %s", q, v, broker);
	db_req_init(req, sql_audit);
	db_req_add(req, conf->operator);
	db_req_add(req, to ? "queue.move" : "queue.purge");
	db_req_add(req, object);
	db_req_add(req, buf_str(&msg));
	buf_free(&msg);
	db_req_add(req, broker);
	db_req_add(req, vhost);
	db_req_add(req, queue);
	db_req_add(req, to);
	snprintf(req->subject, sizeof(req->subject), "the audit event of a queue %s",
		 to ? "move" : "purge");
	return true;
}
