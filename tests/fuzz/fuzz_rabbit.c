/* libFuzzer target: the readers of RabbitMQ's management API answers
 * (mq/rabbit_parse.h). Any input, as a queue page, a queue, the overview,
 * peeked messages, an error answer or the shovel list, is read or refused
 * with a message; never a crash or a leak. What is read is safe to show:
 * queue names are the broker's, exact, and shown escaped; payloads hold no
 * control character (escaped and cut at the size asked), counts are never
 * negative, rates are finite and only there when the answer had them. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "mq/rabbit_parse.h"
#include "textesc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SHOWN 64

static void check_text(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			abort();
	}
}

/* What the CLI prints as JSON must stay valid UTF-8. */
static void check_utf8(const char *s)
{
	json_t *j = json_string(s);

	if (!j)
		abort();
	json_decref(j);
}

static void check_rate(unsigned rates, unsigned bit, double v)
{
	if (!(rates & bit)) {
		if (v != 0)
			abort();
		return;
	}
	if (!isfinite(v) || v < 0)
		abort();
}

/* A name is the broker's, exact (any character); its shown form holds no
 * control character, and its path segment reads back to it. */
static void check_name(const char *name, size_t max)
{
	char shown[RABBIT_SHOWN_MAX], back[RABBIT_NAME_MAX];
	struct buf b = BUF_INIT;

	if (strnlen(name, max + 1) > max)
		abort();
	check_utf8(name);
	rabbit_name_shown(name, shown, sizeof(shown));
	check_text(shown, sizeof(shown) - 1);
	check_utf8(shown);
	rabbit_path_segment(&b, name);
	if (!rabbit_segment_decode(buf_str(&b), b.len, back, sizeof(back)) && name[0])
		abort();
	if (name[0] && strcmp(back, name) != 0)
		abort();
	buf_free(&b);
}

static void check_queue(const struct rabbit_queue *q)
{
	char words[800];

	check_name(q->vhost, sizeof(q->vhost) - 1);
	check_name(q->name, sizeof(q->name) - 1);
	check_text(q->type, sizeof(q->type) - 1);
	check_text(q->state, sizeof(q->state) - 1);
	check_utf8(q->type);
	check_utf8(q->state);
	if (q->messages < 0 || q->ready < 0 || q->unacked < 0 || q->consumers < 0)
		abort();
	if (!q->counted && q->messages != 0)
		abort();
	check_rate(q->rates, RABBIT_RATE_PUBLISH, q->publish_rate);
	check_rate(q->rates, RABBIT_RATE_DELIVER, q->deliver_rate);
	check_rate(q->rates, RABBIT_RATE_ACK, q->ack_rate);
	if (q->kind != rabbit_queue_kind(q->name))
		abort();
	rabbit_peek_effect(q, words, sizeof(words));
	check_text(words, sizeof(words) - 1);
	rabbit_peek_after(q, words, sizeof(words));
	check_text(words, sizeof(words) - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct rabbit_queue_list l = {0};
	struct rabbit_page pg;
	struct rabbit_queue q;
	struct rabbit_overview o;
	struct rabbit_message_list ml;
	struct err err = {""};
	struct buf b = BUF_INIT;
	char state[32], reason[128];

	if (rabbit_queues_parse(body, size, &l, &pg, &err)) {
		for (size_t i = 0; i < l.n; i++)
			check_queue(&l.v[i]);
		if (pg.page < 0 || pg.page_count < 0 || pg.total_count < 0)
			abort();
	} else if (!err.msg[0] || l.n != 0) {
		abort();
	}
	rabbit_queue_list_free(&l);

	err.msg[0] = '\0';
	if (rabbit_queue_parse(body, size, &q, &err))
		check_queue(&q);
	else if (!err.msg[0])
		abort();

	err.msg[0] = '\0';
	if (rabbit_overview_parse(body, size, &o, &err)) {
		check_text(o.cluster_name, sizeof(o.cluster_name) - 1);
		check_text(o.version, sizeof(o.version) - 1);
		check_text(o.node, sizeof(o.node) - 1);
		check_rate(o.rates, RABBIT_RATE_PUBLISH, o.publish_rate);
		check_rate(o.rates, RABBIT_RATE_DELIVER, o.deliver_rate);
		if (o.messages < 0 || o.queues < 0)
			abort();
	} else if (!err.msg[0]) {
		abort();
	}

	err.msg[0] = '\0';
	if (rabbit_messages_parse(body, size, SHOWN, &ml, &err)) {
		for (size_t i = 0; i < ml.n; i++) {
			/* cut at SHOWN bytes, then "..." */
			check_text(ml.v[i].payload, SHOWN + 3);
			check_text(ml.v[i].exchange, sizeof(ml.v[i].exchange) - 1);
			check_text(ml.v[i].routing_key, sizeof(ml.v[i].routing_key) - 1);
			check_utf8(ml.v[i].payload);
			check_utf8(ml.v[i].exchange);
			check_utf8(ml.v[i].routing_key);
			if (ml.v[i].payload_bytes < 0)
				abort();
		}
	} else if (!err.msg[0] || ml.n != 0) {
		abort();
	}
	rabbit_message_list_free(&ml);

	err.msg[0] = '\0';
	rabbit_error_describe(401, body, size, "queue x", &err);
	if (strncmp(err.msg, "the broker refused the credentials (", 36) != 0)
		abort();
	check_text(err.msg, sizeof(err.msg) - 1);
	(void)rabbit_error_no_shovel(400, body, size);
	if (rabbit_shovel_state(body, size, "opsdeck-move-1", state, sizeof(state), reason,
				sizeof(reason))) {
		check_text(state, sizeof(state) - 1);
		check_text(reason, sizeof(reason) - 1);
	}

	/* The raw bytes as a payload to show. */
	text_escape(body, size, SHOWN, &b);
	check_text(buf_str(&b), SHOWN + 3);
	buf_free(&b);
	return 0;
}
