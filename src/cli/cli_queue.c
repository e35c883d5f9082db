#include "config.h"

#include "cli/cli_queue.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "db/db.h"
#include "loop.h"
#include "mq/rabbit.h"

/* Queues a purge may name at once. */
#define QUEUE_PURGE_MAX 100

static int queue_list(struct cli_ctx *ctx, int argc, char **argv);
static int queue_peek(struct cli_ctx *ctx, int argc, char **argv);
static int queue_purge(struct cli_ctx *ctx, int argc, char **argv);
static int queue_move(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_list = {
    .noun = "queue",
    .verb = "list",
    .usage = "[--broker NAME] [--json]",
    .summary = "list the RabbitMQ brokers' queues (depth, consumers, rates)",
    .run = queue_list,
};

static const struct cli_command cmd_peek = {
    .noun = "queue",
    .verb = "peek",
    .usage = "BROKER QUEUE [--count N] [--vhost VHOST] [--yes] [--json]",
    .summary = "show the first messages of a queue, leaving them in it (a quorum queue "
	       "counts each peek as a delivery: asked, or --yes)",
    .run = queue_peek,
};

static const struct cli_command cmd_purge = {
    .noun = "queue",
    .verb = "purge",
    .usage = "BROKER QUEUE... [--vhost VHOST] [--yes]",
    .summary = "delete every ready message of the queues (audited)",
    .run = queue_purge,
};

static const struct cli_command cmd_move = {
    .noun = "queue",
    .verb = "move",
    .usage = "BROKER FROM TO [--vhost VHOST]",
    .summary = "move a (dead-letter) queue's messages to another queue (audited)",
    .run = queue_move,
};

const struct cli_command *const cli_queue_commands[] = {&cmd_list, &cmd_peek, &cmd_purge, &cmd_move,
							NULL};

/* ---- running operations to completion ---- */

/* pending and loop belong to whoever runs the loop, and live as long as
 * that run: run_one gives each outcome its own counter. */
struct outcome {
	struct rabbit_result res;
	struct err err;
	bool done, failed;
	size_t *pending;
	size_t own_pending;
	struct loop *loop;
};

static void on_done(struct rabbit_result *res, const struct err *err, void *ud)
{
	struct outcome *o = ud;

	o->res = *res;
	memset(res, 0, sizeof(*res)); /* taken */
	if (err) {
		o->err = *err;
		o->failed = true;
	}
	o->done = true;
	if (--*o->pending == 0)
		loop_stop(o->loop);
}

static void outcome_free(struct outcome *o)
{
	rabbit_queue_list_free(&o->res.queues);
	rabbit_message_list_free(&o->res.messages);
}

static const struct conf_broker *find_broker(struct cli_ctx *ctx, const char *name)
{
	const struct conf_broker *b = conf_broker_find(ctx->conf, name);

	if (!b) {
		if (ctx->conf->nbrokers == 0)
			cli_failf(ctx,
				  "no RabbitMQ broker in the settings (a rabbitmq: list in %s)",
				  ctx->conf->source ? ctx->conf->source : "config.yaml");
		else
			cli_not_found(ctx, "broker", name);
	}
	return b;
}

/* Runs one operation on broker b; false after printing why. */
typedef struct rabbit_op *start_fn(struct rabbit *r, void *arg, struct outcome *o, struct err *err);

static bool run_one(struct cli_ctx *ctx, const struct conf_broker *b, start_fn *start, void *arg,
		    struct outcome *o)
{
	struct loop *loop = loop_new();
	struct err err = {{0}};
	struct rabbit *r = rabbit_new(loop, ctx->conf, b, &err);
	bool ok = false;

	memset(o, 0, sizeof(*o));
	o->own_pending = 1;
	o->pending = &o->own_pending;
	o->loop = loop;
	if (r && start(r, arg, o, &err)) {
		loop_run(loop); /* bounded by the requests' deadlines */
		ok = o->done && !o->failed;
		if (o->failed)
			cli_fail(ctx, o->err.msg);
	} else {
		cli_fail(ctx, err.msg);
	}
	rabbit_free(r);
	loop_free(loop);
	o->loop = NULL; /* gone with the run */
	return ok;
}

/* ---- list ---- */

static json_t *count_json(const struct rabbit_queue *q, long v)
{
	return q->counted ? json_integer(v) : json_null();
}

/* Counts are null when the broker keeps no statistics, and so is a state
 * it did not give. */
static json_t *queue_json(const char *broker, const struct rabbit_queue *q)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "broker", broker,
		      "vhost", q->vhost, "name", q->name, "type", q->type, "state",
		      q->state[0] ? json_string(q->state) : json_null(), "kind",
		      q->kind == RABBIT_QUEUE_CELERY ? "celery" : "work", "messages",
		      count_json(q, q->messages), "ready", count_json(q, q->ready), "unacked",
		      count_json(q, q->unacked), "consumers", count_json(q, q->consumers));

	if (!o)
		fatal("cannot build a queue's JSON");
	/* Rates only when the broker keeps statistics: absent, not zero. */
	if (q->rates & RABBIT_RATE_PUBLISH)
		json_object_set_new(o, "publish_rate", json_real(q->publish_rate));
	if (q->rates & RABBIT_RATE_DELIVER)
		json_object_set_new(o, "deliver_rate", json_real(q->deliver_rate));
	if (q->rates & RABBIT_RATE_ACK)
		json_object_set_new(o, "ack_rate", json_real(q->ack_rate));
	return o;
}

static void rate_text(char *out, size_t outsz, unsigned rates, unsigned bit, double v)
{
	if (rates & bit)
		snprintf(out, outsz, "%.1f", v);
	else
		str_copy(out, outsz, "-");
}

static void count_text(char *out, size_t outsz, const struct rabbit_queue *q, long v)
{
	if (q->counted)
		snprintf(out, outsz, "%ld", v);
	else
		str_copy(out, outsz, "-");
}

static const char *const list_header[] = {"BROKER",    "VHOST",	    "QUEUE",	 "TYPE",
					  "STATE",     "READY",	    "UNACKED",	 "TOTAL",
					  "CONSUMERS", "PUBLISH/S", "DELIVER/S", "ACK/S"};

static void table_add(struct cli_table *t, const char *broker, const struct rabbit_queue *q)
{
	char ready[24], unacked[24], total[24], cons[24], pub[24], del[24], ack[24],
	    name[RABBIT_SHOWN_MAX], vhost[RABBIT_SHOWN_MAX], bname[64];
	const char *cells[ARRAY_LEN(list_header)];

	count_text(ready, sizeof(ready), q, q->ready);
	count_text(unacked, sizeof(unacked), q, q->unacked);
	count_text(total, sizeof(total), q, q->messages);
	count_text(cons, sizeof(cons), q, q->consumers);
	rate_text(pub, sizeof(pub), q->rates, RABBIT_RATE_PUBLISH, q->publish_rate);
	rate_text(del, sizeof(del), q->rates, RABBIT_RATE_DELIVER, q->deliver_rate);
	rate_text(ack, sizeof(ack), q->rates, RABBIT_RATE_ACK, q->ack_rate);
	rabbit_name_shown(q->name, name, sizeof(name));
	rabbit_name_shown(q->vhost, vhost, sizeof(vhost));
	str_copy_clean(bname, sizeof(bname), broker);
	cells[0] = bname;
	cells[1] = vhost;
	cells[2] = name;
	cells[3] = q->type;
	cells[4] = q->state[0] ? q->state : "-";
	cells[5] = ready;
	cells[6] = unacked;
	cells[7] = total;
	cells[8] = cons;
	cells[9] = pub;
	cells[10] = del;
	cells[11] = ack;
	cli_table_row(t, cells);
}

static int queue_list(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *broker = NULL;
	const struct cli_opt opts[] = {{"broker", &broker, NULL, NULL, false},
				       {NULL, NULL, NULL, NULL, false}};
	const char *pos[1];
	const struct conf *conf = ctx->conf;
	struct loop *loop;
	struct rabbit **clients;
	struct outcome *out;
	size_t n = 0, pending = 0;
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_list, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	if (conf->nbrokers == 0 || (broker && !conf_broker_find(conf, broker))) {
		find_broker(ctx, broker ? broker : "");
		return CLI_FAILED;
	}
	/* Every broker at once, on one loop: a slow one does not hold up the
	 * others. */
	loop = loop_new();
	clients = xcalloc(conf->nbrokers + 1, sizeof(*clients));
	out = xcalloc(conf->nbrokers + 1, sizeof(*out));
	for (size_t i = 0; i < conf->nbrokers; i++) {
		const struct conf_broker *b = &conf->brokers[i];
		struct err err = {{0}};

		if (broker && !str_eq(broker, b->name))
			continue;
		out[n].loop = loop;
		out[n].pending = &pending;
		clients[n] = rabbit_new(loop, conf, b, &err);
		if (clients[n] && rabbit_list(clients[n], on_done, &out[n], &err)) {
			pending++;
		} else {
			out[n].failed = out[n].done = true;
			out[n].err = err;
		}
		n++;
	}
	if (pending)
		loop_run(loop);
	if (ctx->json) {
		json_t *a = json_array();
		size_t j = 0;

		for (size_t i = 0; i < conf->nbrokers; i++) {
			if (broker && !str_eq(broker, conf->brokers[i].name))
				continue;
			for (size_t k = 0; k < out[j].res.queues.n; k++)
				json_array_append_new(
				    a, queue_json(conf->brokers[i].name, &out[j].res.queues.v[k]));
			j++;
		}
		rc = cli_json_print(ctx, a);
	} else {
		for (int kind = RABBIT_QUEUE_WORK; kind <= RABBIT_QUEUE_CELERY; kind++) {
			struct cli_table t;
			size_t j = 0;

			cli_table_init(&t, ARRAY_LEN(list_header), list_header);
			for (size_t i = 0; i < conf->nbrokers; i++) {
				if (broker && !str_eq(broker, conf->brokers[i].name))
					continue;
				for (size_t k = 0; k < out[j].res.queues.n; k++) {
					if ((int)out[j].res.queues.v[k].kind == kind)
						table_add(&t, conf->brokers[i].name,
							  &out[j].res.queues.v[k]);
				}
				j++;
			}
			if (kind == RABBIT_QUEUE_CELERY && t.nrows > 1)
				fprintf(ctx->out,
					"\nCelery's own queues (worker mailboxes, replies, "
					"events):\n");
			if (kind == RABBIT_QUEUE_WORK || t.nrows > 1)
				cli_table_print(&t, ctx->out);
			cli_table_free(&t);
		}
		if (fflush(ctx->out) != 0)
			rc = cli_fail(ctx, "cannot write the output");
	}
	for (size_t i = 0; i < n; i++) {
		if (out[i].failed) {
			cli_fail(ctx, out[i].err.msg);
			rc = CLI_FAILED;
		}
		outcome_free(&out[i]);
		rabbit_free(clients[i]);
	}
	free(out);
	free(clients);
	loop_free(loop);
	return rc;
}

/* ---- peek ---- */

struct queue_arg {
	const char *vhost, *queue, *to;
	int count;
	unsigned flags;
};

static struct rabbit_op *start_peek(struct rabbit *r, void *arg, struct outcome *o, struct err *err)
{
	const struct queue_arg *a = arg;

	return rabbit_peek(r, a->vhost, a->queue, a->count, a->flags, on_done, o, err);
}

/* A queue name as it is printed. */
static const char *shown(const char *name, char *buf, size_t bufsz)
{
	rabbit_name_shown(name, buf, bufsz);
	return buf;
}

/* The answer to a yes/no question on the terminal. */
static bool ask_yes(const char *question)
{
	char line[32];

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return str_eq(line, "y") || str_eq(line, "yes");
}

static int print_messages(struct cli_ctx *ctx, const struct rabbit_message_list *l)
{
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < l->n; i++) {
			const struct rabbit_message *m = &l->v[i];

			json_array_append_new(
			    a, json_pack("{s:s, s:I, s:b, s:s, s:b, s:s, s:s, s:I}", "payload",
					 m->payload, "payload_bytes", (json_int_t)m->payload_bytes,
					 "truncated", m->truncated, "encoding",
					 m->base64 ? "base64" : "string", "redelivered",
					 m->redelivered, "exchange", m->exchange, "routing_key",
					 m->routing_key, "remaining", (json_int_t)m->remaining));
		}
		return cli_json_print(ctx, a);
	}
	if (l->n == 0)
		fprintf(ctx->out, "the queue holds no ready message\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct rabbit_message *m = &l->v[i];

		fprintf(ctx->out, "message %zu: %ld bytes%s%s, routing key %s%s%s\n", i + 1,
			m->payload_bytes, m->base64 ? " (base64)" : "",
			m->redelivered ? ", redelivered" : "",
			m->routing_key[0] ? m->routing_key : "(none)",
			m->exchange[0] ? ", exchange " : "", m->exchange);
		fprintf(ctx->out, "  %s%s\n", m->payload,
			m->truncated && !strstr(m->payload, "...") ? "..." : "");
	}
	return fflush(ctx->out) == 0 ? CLI_OK : cli_fail(ctx, "cannot write the output");
}

static int queue_peek(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *count_s = NULL, *vhost = NULL;
	bool yes = false;
	const struct cli_opt opts[] = {{"count", &count_s, NULL, NULL, false},
				       {"vhost", &vhost, NULL, NULL, false},
				       {"yes", NULL, &yes, NULL, false},
				       {NULL, NULL, NULL, NULL, false}};
	const char *pos[2];
	const struct conf_broker *b;
	struct queue_arg a = {.count = 1};
	struct outcome o;
	long count = 1;
	int npos, rc;
	char after[1200];

	if (!cli_parse(ctx, &cmd_peek, argc, argv, opts, pos, 2, 2, &npos))
		return CLI_USAGE;
	if (count_s && !str_to_long(count_s, 1, RABBIT_PEEK_MAX, &count))
		return cli_usage(ctx, &cmd_peek, "--count takes a whole number from 1 to %d",
				 RABBIT_PEEK_MAX);
	if (!(b = find_broker(ctx, pos[0])))
		return CLI_FAILED;
	a.vhost = vhost ? vhost : rabbit_default_vhost(b);
	a.queue = pos[1];
	a.count = (int)count;
	a.flags = yes ? RABBIT_PEEK_AGREED : 0;
	if (!run_one(ctx, b, start_peek, &a, &o)) {
		bool again = o.res.needs_consent && isatty(STDIN_FILENO) && !ctx->json &&
			     ask_yes("Peek anyway?");

		if (o.res.needs_consent && !again)
			fprintf(stderr, "opsdeck: nothing peeked; --yes peeks anyway\n");
		outcome_free(&o);
		if (!again)
			return CLI_FAILED;
		a.flags = RABBIT_PEEK_AGREED;
		if (!run_one(ctx, b, start_peek, &a, &o)) {
			outcome_free(&o);
			return CLI_FAILED;
		}
	}
	rc = print_messages(ctx, &o.res.messages);
	/* what became of them, where it is more than "they stay" */
	if (rc == CLI_OK && !ctx->json && o.res.messages.n > 0 &&
	    rabbit_peek_effect(&o.res.queue, after, sizeof(after)) == RABBIT_PEEK_COUNTED) {
		rabbit_peek_after(&o.res.queue, after, sizeof(after));
		fprintf(stderr, "opsdeck: %s\n", after);
	}
	outcome_free(&o);
	return rc;
}

/* ---- purge and move ---- */

/* The audit event, before the action: with a database configured, no
 * event means no action. Without one, only read-only mode is checked. */
static bool audit(struct cli_ctx *ctx, const char *broker, const char *vhost, const char *queue,
		  const char *to)
{
	struct db_req r;
	struct err err = {{0}};
	PGresult *res;

	if (!rabbit_audit_req(&r, ctx->conf, broker, vhost, queue, to, &err)) {
		cli_fail(ctx, err.msg);
		return false;
	}
	if (!db_configured(ctx->conf)) {
		db_req_free(&r);
		return true;
	}
	res = cli_db_query(ctx, &r);
	db_req_free(&r);
	if (!res)
		return false;
	PQclear(res);
	return true;
}

/* Asks on the terminal for the typed confirmation: the queue's name, or
 * the count of queues. */
static bool confirmed(struct cli_ctx *ctx, const char *broker, const char *const *queues, size_t n)
{
	char want[RABBIT_SHOWN_MAX], line[RABBIT_SHOWN_MAX + 20], name[RABBIT_SHOWN_MAX];

	if (!isatty(STDIN_FILENO)) {
		cli_fail(ctx, "a purge needs --yes when it is not run on a terminal");
		return false;
	}
	if (n == 1) {
		/* the name as shown, which can be typed whatever it holds */
		fprintf(stderr, "Purge every ready message of queue %s on broker %s?\n",
			shown(queues[0], want, sizeof(want)), broker);
		fprintf(stderr, "Type the queue's name to confirm: ");
	} else {
		fprintf(stderr, "Purge every ready message of %zu queues on broker %s:", n, broker);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s", shown(queues[i], name, sizeof(name)));
		fprintf(stderr, "?\nType the number of queues to confirm: ");
		snprintf(want, sizeof(want), "%zu", n);
	}
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin)) {
		cli_fail(ctx, "nothing purged");
		return false;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (!str_eq(line, want) && !(n == 1 && str_eq(line, queues[0]))) {
		cli_fail(ctx, "not confirmed: nothing purged");
		return false;
	}
	return true;
}

static struct rabbit_op *start_purge(struct rabbit *r, void *arg, struct outcome *o,
				     struct err *err)
{
	const struct queue_arg *a = arg;

	return rabbit_purge(r, a->vhost, a->queue, on_done, o, err);
}

static int queue_purge(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *vhost = NULL;
	bool yes = false;
	const struct cli_opt opts[] = {{"vhost", &vhost, NULL, NULL, false},
				       {"yes", NULL, &yes, NULL, false},
				       {NULL, NULL, NULL, NULL, false}};
	const char *pos[QUEUE_PURGE_MAX + 1];
	const struct conf_broker *b;
	struct err err = {{0}};
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_purge, argc, argv, opts, pos, 2, QUEUE_PURGE_MAX + 1, &npos))
		return CLI_USAGE;
	for (int i = 1; i < npos; i++) {
		if (!rabbit_valid_queue_name(pos[i]))
			return cli_usage(ctx, &cmd_purge,
					 "a queue name must be 1 to 255 bytes of UTF-8 text");
	}
	if (!db_mutation_allowed(ctx->conf, "purge a queue", &err))
		return cli_fail(ctx, err.msg);
	if (!(b = find_broker(ctx, pos[0])))
		return CLI_FAILED;
	if (!vhost)
		vhost = rabbit_default_vhost(b);
	if (!yes && !confirmed(ctx, b->name, pos + 1, (size_t)(npos - 1)))
		return CLI_FAILED;
	for (int i = 1; i < npos; i++) {
		struct queue_arg a = {.vhost = vhost, .queue = pos[i]};
		struct outcome o;
		char name[RABBIT_SHOWN_MAX];

		if (!audit(ctx, b->name, vhost, pos[i], NULL))
			return CLI_FAILED;
		if (run_one(ctx, b, start_purge, &a, &o))
			fprintf(ctx->out, "purged queue %s on broker %s\n",
				shown(pos[i], name, sizeof(name)), b->name);
		else
			rc = CLI_FAILED;
		outcome_free(&o);
	}
	if (fflush(ctx->out) != 0)
		rc = cli_fail(ctx, "cannot write the output");
	return rc;
}

static struct rabbit_op *start_move(struct rabbit *r, void *arg, struct outcome *o, struct err *err)
{
	const struct queue_arg *a = arg;

	return rabbit_move(r, a->vhost, a->queue, a->to, on_done, o, err);
}

static int queue_move(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *vhost = NULL;
	const struct cli_opt opts[] = {{"vhost", &vhost, NULL, NULL, false},
				       {NULL, NULL, NULL, NULL, false}};
	const char *pos[3];
	const struct conf_broker *b;
	struct queue_arg a = {0};
	struct outcome o;
	struct err err = {{0}};
	int npos, rc = CLI_OK;
	char from[RABBIT_SHOWN_MAX], to[RABBIT_SHOWN_MAX];

	if (!cli_parse(ctx, &cmd_move, argc, argv, opts, pos, 3, 3, &npos))
		return CLI_USAGE;
	if (!rabbit_valid_queue_name(pos[1]) || !rabbit_valid_queue_name(pos[2]))
		return cli_usage(ctx, &cmd_move,
				 "a queue name must be 1 to 255 bytes of UTF-8 text");
	if (str_eq(pos[1], pos[2]))
		return cli_usage(ctx, &cmd_move, "a move needs two different queues");
	if (!db_mutation_allowed(ctx->conf, "move messages", &err))
		return cli_fail(ctx, err.msg);
	if (!(b = find_broker(ctx, pos[0])))
		return CLI_FAILED;
	a.vhost = vhost ? vhost : rabbit_default_vhost(b);
	a.queue = pos[1];
	a.to = pos[2];
	if (!audit(ctx, b->name, a.vhost, a.queue, a.to))
		return CLI_FAILED;
	shown(a.queue, from, sizeof(from));
	shown(a.to, to, sizeof(to));
	if (!run_one(ctx, b, start_move, &a, &o))
		rc = CLI_FAILED;
	else if (o.res.moved >= 0)
		fprintf(ctx->out, "moved %ld message%s from queue %s to queue %s on broker %s\n",
			o.res.moved, o.res.moved == 1 ? "" : "s", from, to, b->name);
	else
		fprintf(ctx->out, "moved the messages of queue %s to queue %s on broker %s\n",
			from, to, b->name);
	outcome_free(&o);
	if (fflush(ctx->out) != 0)
		rc = cli_fail(ctx, "cannot write the output");
	return rc;
}
