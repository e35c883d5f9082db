/* RabbitMQ: the readers of the management API's answers (recorded from a
 * 3.10 broker, with and without statistics), payloads made safe to show,
 * Celery's queues told apart, errors in words, and the rabbitmq: list of
 * the settings with its file:line messages. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "conf.h"
#include "mq/queuewatch.h"
#include "mq/rabbit.h"
#include "mq/rabbit_parse.h"
#include "textesc.h"
#include "testutil.h"

#define LEN(s) strlen(s)

/* A page as `GET /api/queues?page=2&page_size=2&columns=...` answers. */
static const char page_stats[] =
    "{\"filtered_count\":5,\"item_count\":2,\"page\":2,\"page_count\":3,\"page_size\":2,"
    "\"total_count\":5,\"items\":["
    "{\"consumers\":2,\"message_stats\":{\"ack_details\":{\"rate\":1.2},"
    "\"deliver_get_details\":{\"rate\":1.4},\"publish_details\":{\"rate\":3.5}},"
    "\"messages\":12,\"messages_ready\":10,\"messages_unacknowledged\":2,\"name\":\"tasks\","
    "\"state\":\"running\",\"type\":\"quorum\",\"vhost\":\"/\"},"
    "{\"consumers\":0,\"messages\":0,\"messages_ready\":0,\"messages_unacknowledged\":0,"
    "\"name\":\"w1@host.celery.pidbox\",\"state\":\"running\",\"type\":\"classic\","
    "\"vhost\":\"/\"}]}";

/* The same with statistics disabled on the node: no message_stats. */
static const char page_nostats[] =
    "{\"page\":1,\"page_count\":1,\"total_count\":1,\"items\":["
    "{\"consumers\":0,\"messages\":7,\"messages_ready\":7,\"messages_unacknowledged\":0,"
    "\"name\":\"heavy\",\"vhost\":\"prod\"}]}";

static void test_queue_page(void **state)
{
	struct rabbit_queue_list l = {0};
	struct rabbit_page pg;
	struct err err = {""};
	const struct rabbit_queue *q;

	(void)state;
	assert_true(rabbit_queues_parse(page_stats, LEN(page_stats), &l, &pg, &err));
	assert_int_equal(l.n, 2);
	assert_int_equal(pg.page, 2);
	assert_int_equal(pg.page_count, 3);
	assert_int_equal(pg.total_count, 5);
	q = &l.v[0];
	assert_string_equal(q->name, "tasks");
	assert_string_equal(q->vhost, "/");
	assert_string_equal(q->type, "quorum");
	assert_string_equal(q->state, "running");
	assert_int_equal(q->messages, 12);
	assert_int_equal(q->ready, 10);
	assert_int_equal(q->unacked, 2);
	assert_int_equal(q->consumers, 2);
	assert_true(q->counted);
	assert_int_equal(q->rates, RABBIT_RATE_PUBLISH | RABBIT_RATE_DELIVER | RABBIT_RATE_ACK);
	assert_true(q->publish_rate > 3.49 && q->publish_rate < 3.51);
	assert_true(q->deliver_rate > 1.39 && q->deliver_rate < 1.41);
	assert_true(q->ack_rate > 1.19 && q->ack_rate < 1.21);
	assert_int_equal(q->kind, RABBIT_QUEUE_WORK);
	assert_int_equal(l.v[1].kind, RABBIT_QUEUE_CELERY);
	assert_int_equal(l.v[1].rates, 0);

	/* A second page appends. */
	assert_true(rabbit_queues_parse(page_nostats, LEN(page_nostats), &l, NULL, &err));
	assert_int_equal(l.n, 3);
	q = &l.v[2];
	assert_string_equal(q->name, "heavy");
	assert_string_equal(q->vhost, "prod");
	assert_string_equal(q->type, "classic"); /* absent: the default type */
	assert_string_equal(q->state, "");
	assert_int_equal(q->messages, 7);
	/* statistics disabled: rates absent, not zero */
	assert_int_equal(q->rates, 0);
	rabbit_queue_list_free(&l);
}

static void test_queue_page_bad(void **state)
{
	struct rabbit_queue_list l = {0};
	struct err err = {""};
	static const char junk[] = "{\"items\":[1, \"x\", {\"name\":5}, {\"name\":\"ok\","
				   "\"messages\":-4, \"consumers\":\"many\","
				   "\"message_stats\":{\"publish_details\":{\"rate\":\"fast\"}}}]}";
	static const char bare[] = "[{\"name\":\"a\"},{\"name\":\"b\"}]";

	(void)state;
	assert_false(rabbit_queues_parse("<html>", 6, &l, NULL, &err));
	assert_string_equal(err.msg, "queue list: the broker's answer is not JSON");
	assert_false(rabbit_queues_parse("{\"items\":3}", 11, &l, NULL, &err));
	assert_string_equal(err.msg, "queue list: the broker's answer holds no list of queues");
	assert_int_equal(l.n, 0);
	/* Entries that are not queues are passed over; bad fields read as
	 * absent or zero. */
	assert_true(rabbit_queues_parse(junk, LEN(junk), &l, NULL, &err));
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "ok");
	assert_int_equal(l.v[0].messages, 0);
	assert_int_equal(l.v[0].consumers, 0);
	assert_int_equal(l.v[0].rates, 0);
	rabbit_queue_list_free(&l);
	/* An unpaged listing is a bare array. */
	assert_true(rabbit_queues_parse(bare, LEN(bare), &l, NULL, &err));
	assert_int_equal(l.n, 2);
	/* statistics disabled on the node: the counts are not there either */
	assert_false(l.v[0].counted);
	assert_int_equal(l.v[0].messages, 0);
	rabbit_queue_list_free(&l);
}

/* A name cut to fit is never cut inside a character. */
static void test_long_names(void **state)
{
	struct buf b = BUF_INIT;
	struct rabbit_queue q;
	struct err err = {""};

	(void)state;
	buf_puts(&b, "{\"name\":\"");
	for (int i = 0; i < 127; i++)
		buf_puts(&b, "\xc3\xa9"); /* 254 bytes */
	buf_puts(&b, "x\xc3\xa9\xc3\xa9\"}");
	assert_true(rabbit_queue_parse(b.data, b.len, &q, &err));
	assert_int_equal(strlen(q.name), 255);
	assert_int_equal(q.name[254], 'x');
	buf_reset(&b);
	buf_puts(&b, "{\"name\":\"xy");
	for (int i = 0; i < 130; i++)
		buf_puts(&b, "\xc3\xa9");
	buf_puts(&b, "\"}");
	assert_true(rabbit_queue_parse(b.data, b.len, &q, &err));
	assert_int_equal(strlen(q.name), 254); /* xy and 126 characters, not half of one */
	buf_free(&b);
}

static void test_overview(void **state)
{
	static const char ov[] =
	    "{\"cluster_name\":\"rabbit@mq1\",\"node\":\"rabbit@mq1\",\"rabbitmq_version\":"
	    "\"3.10.8\",\"queue_totals\":{\"messages\":30,\"messages_ready\":25,"
	    "\"messages_unacknowledged\":5},\"object_totals\":{\"queues\":12,\"consumers\":4,"
	    "\"connections\":3},\"message_stats\":{\"publish_details\":{\"rate\":2.5}}}";
	struct rabbit_overview o;
	struct err err = {""};

	(void)state;
	assert_true(rabbit_overview_parse(ov, LEN(ov), &o, &err));
	assert_string_equal(o.cluster_name, "rabbit@mq1");
	assert_string_equal(o.version, "3.10.8");
	assert_string_equal(o.node, "rabbit@mq1");
	assert_int_equal(o.messages, 30);
	assert_true(o.counted);
	assert_int_equal(o.ready, 25);
	assert_int_equal(o.unacked, 5);
	assert_int_equal(o.queues, 12);
	assert_int_equal(o.consumers, 4);
	assert_int_equal(o.rates, RABBIT_RATE_PUBLISH);
	assert_false(rabbit_overview_parse("[]", 2, &o, &err));
	assert_string_equal(err.msg, "overview: the broker's answer is not an object");
}

static void test_kind(void **state)
{
	(void)state;
	assert_int_equal(rabbit_queue_kind("celery"), RABBIT_QUEUE_CELERY);
	assert_int_equal(rabbit_queue_kind("celeryev.7b1f"), RABBIT_QUEUE_CELERY);
	assert_int_equal(rabbit_queue_kind("worker1@host.celery.pidbox"), RABBIT_QUEUE_CELERY);
	assert_int_equal(rabbit_queue_kind("0f1e.reply.celery.pidbox"), RABBIT_QUEUE_CELERY);
	assert_int_equal(rabbit_queue_kind("tasks"), RABBIT_QUEUE_WORK);
	assert_int_equal(rabbit_queue_kind("heavy"), RABBIT_QUEUE_WORK);
	assert_int_equal(rabbit_queue_kind("celery-results"), RABBIT_QUEUE_WORK);
	assert_int_equal(rabbit_queue_kind(".pidbox"), RABBIT_QUEUE_WORK);
}

static char *escaped(const char *s, size_t len, size_t max, bool *cut)
{
	struct buf b = BUF_INIT;

	*cut = text_escape(s, len, max, &b);
	return buf_steal(&b);
}

static void test_escape(void **state)
{
	bool cut;
	char *s;

	(void)state;
	s = escaped("a\nb\tc\x1b[2J\\d\x7f", 12, 100, &cut);
	assert_string_equal(s, "a\\nb\\tc\\x1b[2J\\\\d\\x7f");
	assert_false(cut);
	free(s);
	/* UTF-8 kept, invalid bytes and C1 controls escaped */
	s = escaped("caf\xc3\xa9 \xff \xc2\x9b", 10, 100, &cut);
	assert_string_equal(s, "caf\xc3\xa9 \\xff \\xc2\\x9b");
	free(s);
	/* a NUL inside the payload */
	s = escaped("a\0b", 3, 100, &cut);
	assert_string_equal(s, "a\\x00b");
	free(s);
	/* cut, never inside an escape or a character */
	s = escaped("abcdef", 6, 4, &cut);
	assert_string_equal(s, "abcd...");
	assert_true(cut);
	free(s);
	s = escaped("ab\ncd", 5, 3, &cut);
	assert_string_equal(s, "ab...");
	free(s);
	s = escaped("a\xc3\xa9", 3, 2, &cut);
	assert_string_equal(s, "a...");
	free(s);
}

static void test_messages(void **state)
{
	static const char msgs[] =
	    "[{\"payload_bytes\":11,\"redelivered\":true,\"exchange\":\"\",\"routing_key\":"
	    "\"tasks\",\"message_count\":2,\"properties\":{},\"payload\":\"hello\\nworld\","
	    "\"payload_encoding\":\"string\"},"
	    "{\"payload_bytes\":90000,\"redelivered\":false,\"exchange\":\"celery\","
	    "\"routing_key\":\"heavy\",\"message_count\":1,\"payload\":\"abcdefghij\","
	    "\"payload_encoding\":\"string\"},"
	    "{\"payload_bytes\":3,\"payload\":\"AAEC\",\"payload_encoding\":\"base64\"}]";
	struct rabbit_message_list l;
	struct err err = {""};

	(void)state;
	assert_true(rabbit_messages_parse(msgs, LEN(msgs), 8, &l, &err));
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].payload, "hello\\nw...");
	assert_true(l.v[0].truncated);
	assert_true(l.v[0].redelivered);
	assert_string_equal(l.v[0].routing_key, "tasks");
	assert_int_equal(l.v[0].remaining, 2);
	assert_int_equal(l.v[0].payload_bytes, 11);
	/* the broker cut it (truncate): said so */
	assert_true(l.v[1].truncated);
	assert_string_equal(l.v[1].exchange, "celery");
	assert_true(l.v[2].base64);
	assert_string_equal(l.v[2].payload, "AAEC");
	assert_false(l.v[2].truncated);
	rabbit_message_list_free(&l);
	assert_false(rabbit_messages_parse("{}", 2, 8, &l, &err));
	assert_string_equal(err.msg, "messages: the broker's answer is not a list");
}

static void test_errors(void **state)
{
	static const char e401[] = "{\"error\":\"not_authorized\",\"reason\":\"Login failed\"}";
	static const char e401b[] =
	    "{\"error\":\"not_authorized\",\"reason\":\"Not management user\"}";
	static const char e404[] = "{\"error\":\"Object Not Found\",\"reason\":\"Not Found\"}";
	static const char e400[] =
	    "{\"error\":\"bad_request\",\"reason\":\"Validation failed\\n\\ncomponent shovel not "
	    "found\\n\"}";
	struct err err = {""};

	(void)state;
	rabbit_error_describe(401, e401, LEN(e401), "the overview", &err);
	assert_string_equal(err.msg, "the broker refused the credentials (not_authorized: Login "
				     "failed)");
	rabbit_error_describe(401, e401b, LEN(e401b), "the overview", &err);
	assert_string_equal(err.msg, "the broker refused the credentials (not_authorized: Not "
				     "management user)");
	rabbit_error_describe(401, "", 0, "the overview", &err);
	assert_string_equal(err.msg, "the broker refused the credentials (not_authorized)");
	rabbit_error_describe(404, e404, LEN(e404), "queue tasks", &err);
	assert_string_equal(err.msg, "queue tasks does not exist on the broker");
	rabbit_error_describe(400, e400, LEN(e400), "shovel x", &err);
	assert_string_equal(err.msg, "shovel x: the broker answered 400 (bad_request: Validation "
				     "failed component shovel not found)");
	rabbit_error_describe(503, "<html>", 6, "the overview", &err);
	assert_string_equal(err.msg, "the overview: the broker answered 503");
	assert_true(rabbit_error_no_shovel(400, e400, LEN(e400)));
	assert_false(rabbit_error_no_shovel(404, e400, LEN(e400)));
	assert_false(rabbit_error_no_shovel(400, e404, LEN(e404)));
}

static void test_paths_and_shovel(void **state)
{
	struct buf b = BUF_INIT;
	char *body;
	char st[32], why[64];
	static const char shovels[] =
	    "[{\"name\":\"other\",\"state\":\"running\"},{\"name\":\"opsdeck-move-1\","
	    "\"vhost\":\"/\",\"state\":\"terminated\",\"reason\":\"queue gone\\n\"}]";

	(void)state;
	rabbit_path_segment(&b, "/");
	buf_puts(&b, "|");
	rabbit_path_segment(&b, "a b/c?d%e.f_g-h~");
	assert_string_equal(buf_str(&b), "%2F|a%20b%2Fc%3Fd%25e.f_g-h~");
	buf_free(&b);
	body = rabbit_shovel_body("/", "tasks.dlq", "tasks");
	assert_string_equal(body,
			    "{\"value\":{\"src-protocol\":\"amqp091\",\"src-uri\":\"amqp:///%2F\","
			    "\"src-queue\":\"tasks.dlq\",\"src-delete-after\":\"queue-length\","
			    "\"dest-protocol\":\"amqp091\",\"dest-uri\":\"amqp:///%2F\","
			    "\"dest-queue\":\"tasks\",\"ack-mode\":\"on-confirm\"}}");
	free(body);
	assert_true(rabbit_shovel_state(shovels, LEN(shovels), "opsdeck-move-1", st, sizeof(st),
					why, sizeof(why)));
	assert_string_equal(st, "terminated");
	assert_string_equal(why, "queue gone ");
	assert_false(
	    rabbit_shovel_state(shovels, LEN(shovels), "nope", st, sizeof(st), why, sizeof(why)));
	assert_false(rabbit_shovel_state("{}", 2, "other", st, sizeof(st), why, sizeof(why)));
}

static void test_names(void **state)
{
	char longname[300];

	(void)state;
	memset(longname, 'q', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_true(rabbit_valid_queue_name("tasks.dlq"));
	assert_true(rabbit_valid_queue_name("a b"));
	assert_false(rabbit_valid_queue_name(""));
	/* the broker takes control characters in a name; not bytes that are
	 * not UTF-8 */
	assert_true(rabbit_valid_queue_name("a\nb"));
	assert_true(rabbit_valid_queue_name("odd name/with%\x01" "ctl"));
	assert_false(rabbit_valid_queue_name("a\xff" "b"));
	assert_false(rabbit_valid_queue_name("\xc3"));
	assert_false(rabbit_valid_queue_name("\xed\xa0\x80")); /* a surrogate */
	assert_false(rabbit_valid_queue_name(longname));
	longname[255] = '\0';
	assert_true(rabbit_valid_queue_name(longname));
}

static void test_audit_req(void **state)
{
	struct conf c;
	struct db_req r;
	struct err err = {""};

	(void)state;
	conf_init(&c);
	assert_true(rabbit_audit_req(&r, &c, "main", "/", "tasks.dlq", "tasks", &err));
	assert_string_equal(r.params[1], "queue.move");
	assert_string_equal(r.params[2], "rabbitmq/main///tasks.dlq");
	assert_string_equal(r.params[3],
			    "moving the messages of queue tasks.dlq to queue tasks (vhost /) on "
			    "broker main");
	db_req_free(&r);
	assert_true(rabbit_audit_req(&r, &c, "main", "/", "heavy", NULL, &err));
	assert_string_equal(r.params[1], "queue.purge");
	assert_null(r.params[7]);
	db_req_free(&r);
	c.read_only = true;
	assert_false(rabbit_audit_req(&r, &c, "main", "/", "heavy", NULL, &err));
	assert_true(strstr(err.msg, "read-only") != NULL);
	conf_free(&c);
}

/* A queue whose name holds a space, a slash, a percent sign and a control
 * character: read exact, addressed exact, shown escaped. */
static void test_odd_name(void **state)
{
	static const char page[] = "{\"page\":1,\"page_count\":1,\"items\":["
				   "{\"name\":\"odd name/with%\\u0001ctl\",\"vhost\":\"v\\tx\","
				   "\"messages\":2}]}";
	struct rabbit_queue_list l = {0};
	struct rabbit_queue longq;
	struct err err = {""};
	struct buf b = BUF_INIT;
	char shown[RABBIT_SHOWN_MAX], back[RABBIT_NAME_MAX], tiny[12];
	struct conf c;
	struct db_req r;

	(void)state;
	assert_true(rabbit_queues_parse(page, LEN(page), &l, NULL, &err));
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "odd name/with%\x01" "ctl");
	assert_string_equal(l.v[0].vhost, "v\tx");
	assert_true(l.v[0].exact);
	rabbit_name_shown(l.v[0].name, shown, sizeof(shown));
	assert_string_equal(shown, "odd name/with%\\x01ctl");
	rabbit_name_shown("a\\b", shown, sizeof(shown));
	assert_string_equal(shown, "a\\\\b"); /* a backslash doubled: one reading only */
	rabbit_name_shown("0123456789abcdef", tiny, sizeof(tiny));
	assert_string_equal(tiny, "01234567...");
	rabbit_path_segment(&b, l.v[0].name);
	assert_string_equal(buf_str(&b), "odd%20name%2Fwith%25%01ctl");
	assert_true(rabbit_segment_decode(b.data, b.len, back, sizeof(back)));
	assert_string_equal(back, l.v[0].name);
	assert_false(rabbit_segment_decode("a%2", 3, back, sizeof(back)));
	assert_false(rabbit_segment_decode("a%zz", 4, back, sizeof(back)));
	assert_false(rabbit_segment_decode("a%00", 4, back, sizeof(back)));
	assert_false(rabbit_segment_decode("abcdef", 6, back, 4));
	buf_free(&b);
	/* the audit event: the sentence and object escaped, the detail exact */
	conf_init(&c);
	assert_true(rabbit_audit_req(&r, &c, "main", "/", l.v[0].name, NULL, &err));
	assert_string_equal(r.params[2], "rabbitmq/main///odd name/with%\\x01ctl");
	assert_string_equal(r.params[3],
			    "purging queue odd name/with%\\x01ctl (vhost /) on broker main");
	assert_string_equal(r.params[6], "odd name/with%\x01" "ctl");
	db_req_free(&r);
	conf_free(&c);
	/* a name longer than the API allows is cut, and marked so */
	buf_puts(&b, "{\"name\":\"");
	for (int i = 0; i < 300; i++)
		buf_putc(&b, 'q');
	buf_puts(&b, "\"}");
	rabbit_queue_list_free(&l);
	assert_true(rabbit_queue_parse(b.data, b.len, &longq, &err));
	assert_false(longq.exact);
	buf_free(&b);
}

/* What a peek does, by queue type; a quorum queue's delivery limit is the
 * lower of its argument and its policies'. */
static void test_peek_effect(void **state)
{
	static const char arg_and_policy[] =
	    "{\"name\":\"qq\",\"type\":\"quorum\",\"arguments\":{\"x-delivery-limit\":5,"
	    "\"x-queue-type\":\"quorum\"},\"effective_policy_definition\":{\"delivery-limit\":2}}";
	static const char policy[] = "{\"name\":\"pq\",\"type\":\"quorum\",\"arguments\":{},"
				     "\"effective_policy_definition\":{\"delivery-limit\":3}}";
	static const char none[] = "{\"name\":\"nq\",\"type\":\"quorum\"}";
	static const char classic[] = "{\"name\":\"cq\",\"type\":\"classic\"}";
	static const char stream[] = "{\"name\":\"sq\",\"type\":\"stream\"}";
	struct rabbit_queue q;
	struct err err = {""};
	char words[600];

	(void)state;
	assert_true(rabbit_queue_parse(arg_and_policy, LEN(arg_and_policy), &q, &err));
	assert_int_equal(q.delivery_limit, 2);
	assert_int_equal(rabbit_peek_effect(&q, words, sizeof(words)), RABBIT_PEEK_COUNTED);
	assert_string_equal(words,
			    "queue qq is a quorum queue: each peek counts as a delivery against "
			    "its delivery limit of 2, past which the broker dead-letters or "
			    "drops a message");
	rabbit_peek_after(&q, words, sizeof(words));
	assert_string_equal(words, "they went back to quorum queue qq, each with a delivery "
				   "counted against its limit of 2");
	assert_true(rabbit_queue_parse(policy, LEN(policy), &q, &err));
	assert_int_equal(q.delivery_limit, 3);
	assert_true(rabbit_queue_parse(none, LEN(none), &q, &err));
	assert_int_equal(q.delivery_limit, -1);
	assert_int_equal(rabbit_peek_effect(&q, words, sizeof(words)), RABBIT_PEEK_COUNTED);
	assert_non_null(strstr(words, "delivery (x-delivery-count) against any delivery limit"));
	assert_true(rabbit_queue_parse(classic, LEN(classic), &q, &err));
	assert_int_equal(rabbit_peek_effect(&q, words, sizeof(words)), RABBIT_PEEK_HARMLESS);
	rabbit_peek_after(&q, words, sizeof(words));
	assert_string_equal(words, "they stay in queue cq, marked redelivered");
	assert_true(rabbit_queue_parse(stream, LEN(stream), &q, &err));
	assert_int_equal(rabbit_peek_effect(&q, words, sizeof(words)), RABBIT_PEEK_UNSUPPORTED);
	assert_non_null(strstr(words, "queue sq is a stream"));
}

/* ---- depth trends ---- */

static void list_set(struct rabbit_queue_list *l, const char *const *names, const long *depths,
		     size_t n)
{
	rabbit_queue_list_free(l);
	for (size_t i = 0; i < n; i++) {
		struct rabbit_queue q = {.messages = depths[i], .counted = depths[i] >= 0};

		str_copy(q.vhost, sizeof(q.vhost), "/");
		str_copy(q.name, sizeof(q.name), names[i]);
		l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = q;
	}
}

/* Names that hold the separator a key once used are two queues still. */
static void test_trend_odd_names(void **state)
{
	struct qtrend *t = qtrend_new();
	struct rabbit_queue_list l = {0};
	struct rabbit_queue a = {.messages = 1, .counted = true};
	struct rabbit_queue b = {.messages = 7, .counted = true};
	long out[QUEUEWATCH_TREND_POINTS];

	(void)state;
	str_copy(a.vhost, sizeof(a.vhost), "v\x1fw");
	str_copy(a.name, sizeof(a.name), "q");
	str_copy(b.vhost, sizeof(b.vhost), "v");
	str_copy(b.name, sizeof(b.name), "w\x1fq");
	l.v = xgrow(l.v, &l.cap, 2, sizeof(*l.v));
	l.v[l.n++] = a;
	l.v[l.n++] = b;
	qtrend_record(t, &l, 1000);
	assert_int_equal(qtrend_size(t), 2);
	assert_true(qtrend_get(t, "v\x1fw", "q", 1000, out));
	assert_int_equal(out[QUEUEWATCH_TREND_POINTS - 1], 1);
	assert_true(qtrend_get(t, "v", "w\x1fq", 1000, out));
	assert_int_equal(out[QUEUEWATCH_TREND_POINTS - 1], 7);
	rabbit_queue_list_free(&l);
	qtrend_free(t);
}

static void test_trend(void **state)
{
	struct qtrend *t = qtrend_new();
	struct rabbit_queue_list l = {0};
	static const char *const names[] = {"tasks", "heavy", "tasks"};
	long d1[] = {5, 1, 5}, d2[] = {9, 2}, d3[] = {-1}, out[QUEUEWATCH_TREND_POINTS];
	const size_t last = QUEUEWATCH_TREND_POINTS - 1;
	const uint64_t t0 = 100000 * QUEUEWATCH_TREND_STEP_S;

	(void)state;
	/* a queue listed twice (paging) is kept once */
	list_set(&l, names, d1, 3);
	qtrend_record(t, &l, t0);
	assert_int_equal(qtrend_size(t), 2);
	assert_true(qtrend_get(t, "/", "tasks", t0, out));
	assert_int_equal(out[last], 5);
	assert_int_equal(out[last - 1], -1);
	assert_int_equal(out[0], -1);
	/* later in the same step: the last depth wins */
	d1[0] = 6;
	list_set(&l, names, d1, 2);
	qtrend_record(t, &l, t0 + 1);
	assert_true(qtrend_get(t, "/", "tasks", t0 + 1, out));
	assert_int_equal(out[last], 6);
	/* three steps on: the steps between hold -1 */
	list_set(&l, names, d2, 2);
	qtrend_record(t, &l, t0 + 3 * QUEUEWATCH_TREND_STEP_S);
	assert_true(qtrend_get(t, "/", "tasks", t0 + 3 * QUEUEWATCH_TREND_STEP_S, out));
	assert_int_equal(out[last], 9);
	assert_int_equal(out[last - 1], -1);
	assert_int_equal(out[last - 2], -1);
	assert_int_equal(out[last - 3], 6);
	/* read a step later: everything shifts by one, the new step unknown */
	assert_true(qtrend_get(t, "/", "heavy", t0 + 4 * QUEUEWATCH_TREND_STEP_S, out));
	assert_int_equal(out[last], -1);
	assert_int_equal(out[last - 1], 2);
	assert_int_equal(out[last - 4], 1);
	/* a queue no longer listed is dropped; uncounted depths are -1 */
	list_set(&l, names, d3, 1);
	qtrend_record(t, &l, t0 + 5 * QUEUEWATCH_TREND_STEP_S);
	assert_int_equal(qtrend_size(t), 1);
	assert_false(qtrend_get(t, "/", "heavy", t0 + 5 * QUEUEWATCH_TREND_STEP_S, out));
	assert_true(qtrend_get(t, "/", "tasks", t0 + 5 * QUEUEWATCH_TREND_STEP_S, out));
	assert_int_equal(out[last], -1);
	assert_int_equal(out[last - 2], 9);
	/* after more than the whole window, only the new point remains */
	d3[0] = 4;
	list_set(&l, names, d3, 1);
	qtrend_record(t, &l, t0 + 500 * QUEUEWATCH_TREND_STEP_S);
	assert_true(qtrend_get(t, "/", "tasks", t0 + 500 * QUEUEWATCH_TREND_STEP_S, out));
	assert_int_equal(out[last], 4);
	for (size_t k = 0; k < last; k++)
		assert_int_equal(out[k], -1);
	/* a listing of nothing empties it */
	rabbit_queue_list_free(&l);
	qtrend_record(t, &l, t0 + 501 * QUEUEWATCH_TREND_STEP_S);
	assert_int_equal(qtrend_size(t), 0);
	qtrend_free(t);
}

/* ---- the rabbitmq: list of the settings ---- */

static bool load(const char *text, struct conf *c, struct err *err)
{
	char *path = testutil_write("opsdeck/rabbit.yaml", text);
	bool ok;

	conf_init(c);
	err->msg[0] = '\0';
	ok = conf_load(c, path, err);
	free(path);
	return ok;
}

/* The message after "path:" */
static const char *where(const struct err *err)
{
	const char *p = strstr(err->msg, "rabbit.yaml:");

	return p ? p + strlen("rabbit.yaml:") : err->msg;
}

static void test_conf_good(void **state)
{
	struct conf c;
	struct err err;
	char *bad;

	(void)state;
	assert_true(load("operator: bob\n"
			 "rabbitmq:\n"
			 "  - name: main\n"
			 "    url: https://rabbit.internal:15672\n"
			 "    user: monitor\n"
			 "    password_file: ~/.config/opsdeck/rabbit-main.pass\n"
			 "    vhosts: [\"/\", prod]\n"
			 "    ca: /etc/ssl/rabbit-ca.pem\n"
			 "  - name: lab\n"
			 "    url: http://127.0.0.1:15672\n"
			 "    user: guest\n"
			 "    password: \"s3cret: yes\"\n"
			 "    insecure: true\n"
			 "    timeout: 3\n",
			 &c, &err));
	assert_int_equal(c.nbrokers, 2);
	assert_string_equal(c.brokers[0].name, "main");
	assert_string_equal(c.brokers[0].url, "https://rabbit.internal:15672");
	assert_string_equal(c.brokers[0].user, "monitor");
	assert_null(c.brokers[0].password);
	assert_string_equal(c.brokers[0].password_file, "~/.config/opsdeck/rabbit-main.pass");
	assert_int_equal(c.brokers[0].nvhosts, 2);
	assert_string_equal(c.brokers[0].vhosts[1], "prod");
	assert_string_equal(c.brokers[0].ca_file, "/etc/ssl/rabbit-ca.pem");
	assert_int_equal(c.brokers[0].line, 3);
	assert_string_equal(c.brokers[1].password, "s3cret: yes");
	assert_true(c.brokers[1].insecure);
	assert_int_equal(c.brokers[1].timeout_s, 3);
	assert_string_equal(rabbit_default_vhost(&c.brokers[0]), "/");
	assert_string_equal(rabbit_default_vhost(&c.brokers[1]), "/");
	assert_ptr_equal(conf_broker_find(&c, "lab"), &c.brokers[1]);
	assert_null(conf_broker_find(&c, "nope"));
	/* a failed second load keeps the first list */
	bad = testutil_write("opsdeck/bad.yaml", "rabbitmq:\n  - name: x\n");
	assert_false(conf_load(&c, bad, &err));
	free(bad);
	assert_int_equal(c.nbrokers, 2);
	conf_free(&c);
}

static void expect_bad(const char *text, const char *msg)
{
	struct conf c;
	struct err err;

	if (load(text, &c, &err))
		fail_msg("accepted: %s", text);
	if (strcmp(where(&err), msg) != 0)
		fail_msg("got '%s', want '%s'", where(&err), msg);
	assert_int_equal(c.nbrokers, 0);
	conf_free(&c);
}

static void test_conf_bad(void **state)
{
	(void)state;
	expect_bad("rabbitmq: main\n", "1:11: rabbitmq must be a list of brokers (- name: ..., "
				       "url: ...)");
	expect_bad("rabbitmq:\n  - url: http://h:1\n    user: u\n    password: p\n",
		   "2:5: a rabbitmq entry needs a name");
	expect_bad("rabbitmq:\n  - name: a b\n", "2:11: rabbitmq name must be 1 to 63 letters, "
						 "digits, '.', '-' or '_'");
	expect_bad("rabbitmq:\n  - name: a\n    url: ftp://h\n",
		   "3:10: rabbitmq url must be the management API's http:// or https:// address, "
		   "such as https://rabbit.internal:15672");
	expect_bad("rabbitmq:\n  - name: a\n    url: http://h:1\n    password: p\n",
		   "2:5: rabbitmq a needs a user");
	expect_bad("rabbitmq:\n  - name: a\n    url: http://h:1\n    user: u\n",
		   "2:5: rabbitmq a needs a password or a password_file");
	expect_bad("rabbitmq:\n  - name: a\n    url: http://h:1\n    user: u\n    password: p\n"
		   "    password_file: /f\n",
		   "5:15: rabbitmq a: give either password or password_file, not both");
	expect_bad("rabbitmq:\n  - name: a\n    url: http://h:1\n    user: u\n    password: p\n"
		   "    colour: red\n",
		   "6:5: unknown rabbitmq key 'colour' (name, url, user, password, password_file, "
		   "vhosts, ca, insecure, timeout, tunnel)");
	expect_bad("rabbitmq:\n  - name: a\n    url: http://h:1\n    user: u\n    password: p\n"
		   "    vhosts: /\n",
		   "6:13: rabbitmq vhosts must be a list, such as [\"/\"]");
	expect_bad("rabbitmq:\n  - name: a\n    url: http://h:1\n    user: u\n    password: p\n"
		   "  - name: a\n    url: http://h:2\n    user: u\n    password: p\n",
		   "6:5: rabbitmq a is listed twice (first at line 2)");
	expect_bad("rabbitmq:\n  - name: a\n    url: http://h:1\n    user: u\n    password: p\n"
		   "    insecure: true\n    ca: /ca.pem\n",
		   "2:5: rabbitmq a: ca and insecure exclude each other");
	expect_bad("rabbitmq:\n  - name: a\n    url: http://h:1\n    user: u\n    password: p\n"
		   "    timeout: 0\n",
		   "6:14: expected a whole number from 1 to 300");
}

/* A wrong password in a file is never quoted back. */
static void test_conf_secret_not_shown(void **state)
{
	struct conf c;
	struct err err;

	(void)state;
	assert_false(load("rabbitmq:\n  - name: a\n    url: http://h:1\n    user: u\n"
			  "    password: [hunter2]\n",
			  &c, &err));
	assert_null(strstr(err.msg, "hunter2"));
	conf_free(&c);
}

static void test_trend_levels(void **state)
{
	long pts[QUEUEWATCH_TREND_POINTS];
	int out[10];

	(void)state;
	for (int i = 0; i < QUEUEWATCH_TREND_POINTS; i++)
		pts[i] = i < 30 ? -1 : (i - 30) * 10; /* no answer, then growing */
	qtrend_levels(pts, 10, 8, out);
	for (int c = 0; c < 5; c++)
		assert_int_equal(out[c], -1);
	assert_int_equal(out[5], 1); /* 50 of 290: above 0 never reads as 0 */
	assert_int_equal(out[9], 7); /* the top */
	for (int c = 6; c < 10; c++)
		assert_true(out[c] >= out[c - 1]);
	/* an empty queue all along: the lowest level */
	for (int i = 0; i < QUEUEWATCH_TREND_POINTS; i++)
		pts[i] = 0;
	qtrend_levels(pts, 10, 8, out);
	for (int c = 0; c < 10; c++)
		assert_int_equal(out[c], 0);
	/* one spike in one step shows in its column */
	pts[13] = 400;
	qtrend_levels(pts, 10, 8, out);
	assert_int_equal(out[2], 7);
	assert_int_equal(out[3], 0);
}

static void test_dlq_origin(void **state)
{
	char out[RABBIT_NAME_MAX];

	(void)state;
	assert_true(rabbit_dlq_origin("tasks.dlq", out, sizeof(out)));
	assert_string_equal(out, "tasks");
	assert_true(rabbit_dlq_origin("heavy_dlq", out, sizeof(out)));
	assert_string_equal(out, "heavy");
	assert_true(rabbit_dlq_origin("a.b.dead", out, sizeof(out)));
	assert_string_equal(out, "a.b");
	assert_false(rabbit_dlq_origin(".dlq", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(rabbit_dlq_origin("tasks", out, sizeof(out)));
	assert_false(rabbit_dlq_origin("dlq.tasks", out, sizeof(out)));
	assert_false(rabbit_dlq_origin("longname.dlq", out, 4)); /* does not fit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_page),
	    cmocka_unit_test(test_queue_page_bad),
	    cmocka_unit_test(test_long_names),
	    cmocka_unit_test(test_overview),
	    cmocka_unit_test(test_kind),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_paths_and_shovel),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_audit_req),
	    cmocka_unit_test(test_odd_name),
	    cmocka_unit_test(test_peek_effect),
	    cmocka_unit_test(test_trend_odd_names),
	    cmocka_unit_test(test_trend),
	    cmocka_unit_test(test_trend_levels),
	    cmocka_unit_test(test_dlq_origin),
	    cmocka_unit_test(test_conf_good),
	    cmocka_unit_test(test_conf_bad),
	    cmocka_unit_test(test_conf_secret_not_shown),
	};

	int rc;

	testutil_setup_home();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	testutil_teardown_home();
	return rc;
}
