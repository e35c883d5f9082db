#include "config.h"

#include "mq/rabbit_parse.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "textesc.h"

/* A rate the API sends as {"rate": 1.5}; absent or junk reads as absent. */
static bool get_rate(const json_t *o, const char *key, double *out)
{
	json_t *r = json_object_get(json_object_get(o, key), "rate");
	double v;

	if (!json_is_number(r))
		return false;
	v = json_number_value(r);
	if (!isfinite(v) || v < 0)
		v = 0;
	if (v > 1e12)
		v = 1e12;
	*out = v;
	return true;
}

static json_t *load(const char *body, size_t len, const char *what, struct err *err)
{
	json_error_t je;
	json_t *v = json_loadb(body ? body : "", body ? len : 0, JSON_REJECT_DUPLICATES, &je);

	if (!v)
		err_set(err, "%s: the broker's answer is not JSON", what);
	return v;
}

/* A copy cut to fit never ends inside a UTF-8 character: the text stays
 * valid for JSON output and the screen. */
static void utf8_trim_tail(char *s)
{
	size_t n = strlen(s), i = n, need;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 && n - i < 3)
		i--;
	if (i == 0 || (unsigned char)s[i - 1] < 0xc0)
		return;
	need = (unsigned char)s[i - 1] >= 0xf0 ? 4 : (unsigned char)s[i - 1] >= 0xe0 ? 3 : 2;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

static void copy_str(char *dst, size_t dstsz, const json_t *o, const char *key)
{
	str_copy_clean(dst, dstsz, json_get_str(o, key));
	utf8_trim_tail(dst);
}

/* A name as the broker gives it, byte for byte; false if it had to be cut
 * (or held a NUL), so that it no longer names the queue. */
static bool copy_raw(char *dst, size_t dstsz, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;

	if (!s) {
		dst[0] = '\0';
		return true;
	}
	if (n < dstsz && strlen(s) == n) {
		memcpy(dst, s, n + 1);
		return true;
	}
	str_copy(dst, dstsz, s);
	utf8_trim_tail(dst);
	return false;
}

/* The delivery limit a quorum queue's argument or policies set: the
 * lower of them (as the broker applies it), or -1. */
static long delivery_limit(const json_t *o)
{
	const json_t *args = json_object_get(o, "arguments");
	const json_t *pol = json_object_get(o, "effective_policy_definition");
	long a = json_get_count(args, "x-delivery-limit", -1);
	long b = json_get_count(pol, "delivery-limit", -1);

	if (a < 0)
		return b;
	return b >= 0 && b < a ? b : a;
}

enum rabbit_queue_kind rabbit_queue_kind(const char *name)
{
	size_t n = strlen(name);
	static const char pidbox[] = ".pidbox";

	if (str_eq(name, "celery") || str_has_prefix(name, "celeryev."))
		return RABBIT_QUEUE_CELERY;
	/* <node>.celery.pidbox and <id>.reply.celery.pidbox */
	if (n > sizeof(pidbox) - 1 && strcmp(name + n - (sizeof(pidbox) - 1), pidbox) == 0)
		return RABBIT_QUEUE_CELERY;
	return RABBIT_QUEUE_WORK;
}

static bool queue_from_json(const json_t *o, struct rabbit_queue *q)
{
	const json_t *stats = json_object_get(o, "message_stats");

	if (!json_is_object(o) || !json_is_string(json_object_get(o, "name")))
		return false;
	memset(q, 0, sizeof(*q));
	q->exact = copy_raw(q->vhost, sizeof(q->vhost), o, "vhost");
	q->exact &= copy_raw(q->name, sizeof(q->name), o, "name");
	q->delivery_limit = delivery_limit(o);
	copy_str(q->type, sizeof(q->type), o, "type");
	copy_str(q->state, sizeof(q->state), o, "state");
	if (!q->type[0])
		str_copy(q->type, sizeof(q->type), "classic");
	q->counted = json_is_integer(json_object_get(o, "messages"));
	q->messages = json_get_count(o, "messages", 0);
	q->ready = json_get_count(o, "messages_ready", 0);
	q->unacked = json_get_count(o, "messages_unacknowledged", 0);
	q->consumers = json_get_count(o, "consumers", 0);
	if (get_rate(stats, "publish_details", &q->publish_rate))
		q->rates |= RABBIT_RATE_PUBLISH;
	if (get_rate(stats, "deliver_get_details", &q->deliver_rate))
		q->rates |= RABBIT_RATE_DELIVER;
	if (get_rate(stats, "ack_details", &q->ack_rate))
		q->rates |= RABBIT_RATE_ACK;
	q->kind = rabbit_queue_kind(q->name);
	return true;
}

bool rabbit_queues_parse(const char *body, size_t len, struct rabbit_queue_list *out,
			 struct rabbit_page *page, struct err *err)
{
	json_t *root = load(body, len, "queue list", err);
	json_t *items;
	size_t i;
	json_t *it;

	if (!root)
		return false;
	items = json_is_array(root) ? root : json_object_get(root, "items");
	if (!json_is_array(items)) {
		json_decref(root);
		err_set(err, "queue list: the broker's answer holds no list of queues");
		return false;
	}
	if (page) {
		memset(page, 0, sizeof(*page));
		page->page = json_get_count(root, "page", 1);
		page->page_count = json_get_count(root, "page_count", 1);
		page->total_count =
		    json_get_count(root, "total_count", (long)json_array_size(items));
		page->filtered_count =
		    json_get_count(root, "filtered_count", (long)json_array_size(items));
		page->item_count = json_get_count(root, "item_count", (long)json_array_size(items));
	}
	json_array_foreach(items, i, it)
	{
		struct rabbit_queue q;

		if (!queue_from_json(it, &q))
			continue;
		out->v = xgrow(out->v, &out->cap, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = q;
	}
	json_decref(root);
	return true;
}

void rabbit_queue_list_free(struct rabbit_queue_list *l)
{
	x_free(&l->v);
	l->n = l->cap = 0;
}

bool rabbit_queue_parse(const char *body, size_t len, struct rabbit_queue *q, struct err *err)
{
	json_t *root = load(body, len, "queue", err);
	bool ok;

	if (!root)
		return false;
	ok = queue_from_json(root, q);
	json_decref(root);
	if (!ok)
		err_set(err, "queue: the broker's answer is not a queue");
	return ok;
}

bool rabbit_overview_parse(const char *body, size_t len, struct rabbit_overview *o, struct err *err)
{
	json_t *root = load(body, len, "overview", err);
	const json_t *totals, *objects, *stats;

	if (!root)
		return false;
	if (!json_is_object(root)) {
		json_decref(root);
		err_set(err, "overview: the broker's answer is not an object");
		return false;
	}
	memset(o, 0, sizeof(*o));
	copy_str(o->cluster_name, sizeof(o->cluster_name), root, "cluster_name");
	copy_str(o->version, sizeof(o->version), root, "rabbitmq_version");
	copy_str(o->node, sizeof(o->node), root, "node");
	totals = json_object_get(root, "queue_totals");
	o->counted = json_is_integer(json_object_get(totals, "messages"));
	o->messages = json_get_count(totals, "messages", 0);
	o->ready = json_get_count(totals, "messages_ready", 0);
	o->unacked = json_get_count(totals, "messages_unacknowledged", 0);
	objects = json_object_get(root, "object_totals");
	o->queues = json_get_count(objects, "queues", 0);
	o->consumers = json_get_count(objects, "consumers", 0);
	o->connections = json_get_count(objects, "connections", 0);
	stats = json_object_get(root, "message_stats");
	if (get_rate(stats, "publish_details", &o->publish_rate))
		o->rates |= RABBIT_RATE_PUBLISH;
	if (get_rate(stats, "deliver_get_details", &o->deliver_rate))
		o->rates |= RABBIT_RATE_DELIVER;
	json_decref(root);
	return true;
}


static void message_clear(struct rabbit_message *m)
{
	x_free(&m->payload);
}

void rabbit_message_list_free(struct rabbit_message_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		message_clear(&l->v[i]);
	x_free(&l->v);
	l->n = 0;
}

bool rabbit_messages_parse(const char *body, size_t len, size_t max_shown,
			   struct rabbit_message_list *out, struct err *err)
{
	json_t *root = load(body, len, "messages", err);
	size_t i;
	json_t *it;

	out->v = NULL;
	out->n = 0;
	if (!root)
		return false;
	if (!json_is_array(root)) {
		json_decref(root);
		err_set(err, "messages: the broker's answer is not a list");
		return false;
	}
	out->v = xcalloc(json_array_size(root) + 1, sizeof(*out->v));
	json_array_foreach(root, i, it)
	{
		struct rabbit_message *m = &out->v[out->n];
		json_t *pl = json_object_get(it, "payload");
		struct buf b = BUF_INIT;
		size_t plen;

		if (!json_is_object(it))
			continue;
		plen = json_string_length(pl);
		m->payload_bytes = json_get_count(it, "payload_bytes", (long)plen);
		m->base64 = str_eq(json_get_str(it, "payload_encoding"), "base64");
		m->redelivered = json_is_true(json_object_get(it, "redelivered"));
		copy_str(m->exchange, sizeof(m->exchange), it, "exchange");
		copy_str(m->routing_key, sizeof(m->routing_key), it, "routing_key");
		m->remaining = json_get_count(it, "message_count", 0);
		m->truncated = text_escape(json_string_value(pl) ? json_string_value(pl) : "",
					     plen, max_shown, &b);
		if (!m->base64 && (long)plen < m->payload_bytes)
			m->truncated = true; /* the broker cut it (truncate=) */
		m->payload = buf_steal(&b);
		out->n++;
	}
	json_decref(root);
	return true;
}

void rabbit_error_describe(long status, const char *body, size_t len, const char *what,
			   struct err *err)
{
	json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	char error[128] = "", reason[256] = "";

	if (json_is_object(root)) {
		copy_str(error, sizeof(error), root, "error");
		copy_str(reason, sizeof(reason), root, "reason");
		/* reasons end in a newline or hold several lines */
		for (char *p = reason; *p; p++) {
			if (*p == ' ' && p[1] == ' ')
				memmove(p, p + 1, strlen(p));
		}
		for (size_t n = strlen(reason); n && reason[n - 1] == ' '; n--)
			reason[n - 1] = '\0';
	}
	json_decref(root);
	switch (status) {
	case 401:
		err_set(err, "the broker refused the credentials (%s%s%s)",
			error[0] ? error : "not_authorized", reason[0] ? ": " : "", reason);
		return;
	case 403:
		err_set(err, "the user may not do this on %s (%s%s%s)", what,
			error[0] ? error : "forbidden", reason[0] ? ": " : "", reason);
		return;
	case 404:
		err_set(err, "%s does not exist on the broker", what);
		return;
	default:
		break;
	}
	if (error[0] || reason[0])
		err_set(err, "%s: the broker answered %ld (%s%s%s)", what, status, error,
			error[0] && reason[0] ? ": " : "", reason);
	else
		err_set(err, "%s: the broker answered %ld", what, status);
}

bool rabbit_error_no_shovel(long status, const char *body, size_t len)
{
	json_t *root;
	bool found = false;

	if (status != 400 || !body || !len)
		return false;
	root = json_loadb(body, len, 0, NULL);
	found = json_is_object(root) &&
		strstr(json_get_str(root, "reason"), "component shovel not found") != NULL;
	json_decref(root);
	return found;
}

void rabbit_path_segment(struct buf *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_putc(out, (char)*p);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[*p >> 4]);
			buf_putc(out, hex[*p & 15]);
		}
	}
}

char *rabbit_shovel_body(const char *vhost, const char *from, const char *to)
{
	struct buf uri = BUF_INIT;
	json_t *v;
	char *text;

	/* The node's own broker, in the queues' vhost, over a direct
	 * connection as the user who made the shovel. */
	buf_puts(&uri, "amqp:///");
	rabbit_path_segment(&uri, vhost);
	v = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "value", "src-protocol",
		      "amqp091", "src-uri", buf_str(&uri), "src-queue", from, "src-delete-after",
		      "queue-length", "dest-protocol", "amqp091", "dest-uri", buf_str(&uri),
		      "dest-queue", to, "ack-mode", "on-confirm");
	buf_free(&uri);
	if (!v)
		fatal("cannot build a shovel's definition");
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!text)
		fatal("out of memory");
	return text;
}

bool rabbit_shovel_state(const char *body, size_t len, const char *name, char *state,
			 size_t statesz, char *reason, size_t reasonsz)
{
	json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	size_t i;
	json_t *it;
	bool found = false;

	state[0] = '\0';
	reason[0] = '\0';
	json_array_foreach(root, i, it)
	{
		if (!str_eq(json_get_str(it, "name"), name))
			continue;
		str_copy_clean(state, statesz, json_get_str(it, "state"));
		str_copy_clean(reason, reasonsz, json_get_str(it, "reason"));
		found = true;
		break;
	}
	json_decref(root);
	return found;
}

bool rabbit_segment_decode(const char *seg, size_t len, char *out, size_t outsz)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)seg[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return false;
			hi = hex_digit_value(seg[i + 1]);
			lo = hex_digit_value(seg[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || n + 1 >= outsz)
			return false;
		out[n++] = (char)c;
	}
	if (!outsz)
		return false;
	out[n] = '\0';
	return true;
}

void rabbit_name_shown(const char *name, char *out, size_t outsz)
{
	struct buf b = BUF_INIT;

	if (!outsz)
		return;
	/* room for the "..." of a cut */
	text_escape(name ? name : "", name ? strlen(name) : 0, outsz > 4 ? outsz - 4 : 0, &b);
	str_copy(out, outsz, buf_str(&b));
	buf_free(&b);
}

enum rabbit_peek_effect rabbit_peek_effect(const struct rabbit_queue *q, char *words,
					   size_t wordsz)
{
	char name[RABBIT_SHOWN_MAX];

	rabbit_name_shown(q->name, name, sizeof(name));
	if (str_eq(q->type, "stream")) {
		snprintf(words, wordsz,
			 "queue %s is a stream: it is read by consumers from an offset, and the "
			 "broker refuses a peek (basic.get) on it",
			 name);
		return RABBIT_PEEK_UNSUPPORTED;
	}
	if (str_eq(q->type, "quorum")) {
		if (q->delivery_limit >= 0)
			snprintf(words, wordsz,
				 "queue %s is a quorum queue: each peek counts as a delivery "
				 "against its delivery limit of %ld, past which the broker "
				 "dead-letters or drops a message",
				 name, q->delivery_limit);
		else
			snprintf(words, wordsz,
				 "queue %s is a quorum queue: each peek counts as a delivery "
				 "(x-delivery-count) against any delivery limit (a queue "
				 "argument, a policy, or 20 by default from RabbitMQ 4.0), past "
				 "which the broker dead-letters or drops a message",
				 name);
		return RABBIT_PEEK_COUNTED;
	}
	snprintf(words, wordsz, "the messages stay in queue %s, marked redelivered", name);
	return RABBIT_PEEK_HARMLESS;
}

void rabbit_peek_after(const struct rabbit_queue *q, char *words, size_t wordsz)
{
	char name[RABBIT_SHOWN_MAX], limit[48] = "";

	rabbit_name_shown(q->name, name, sizeof(name));
	if (!str_eq(q->type, "quorum")) {
		snprintf(words, wordsz, "they stay in queue %s, marked redelivered", name);
		return;
	}
	if (q->delivery_limit >= 0)
		snprintf(limit, sizeof(limit), " of %ld", q->delivery_limit);
	snprintf(words, wordsz,
		 "they went back to quorum queue %s, each with a delivery counted against its "
		 "limit%s",
		 name, limit);
}

bool rabbit_dlq_origin(const char *name, char *out, size_t outsz)
{
	static const char *const suffixes[] = {".dlq", "-dlq", "_dlq", ".dead", ".dlx", "-dead"};
	size_t n = strlen(name);

	if (outsz)
		out[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);

		if (n > sl && strcmp(name + n - sl, suffixes[i]) == 0 && n - sl < outsz) {
			memcpy(out, name, n - sl);
			out[n - sl] = '\0';
			return true;
		}
	}
	return false;
}
