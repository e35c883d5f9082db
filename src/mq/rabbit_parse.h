/* What RabbitMQ's management HTTP API answers, read into plain structs:
 * pure functions, no I/O, so that every one of them can be fuzzed and
 * tested on recorded answers. Each field is read defensively (jsonget.h):
 * a missing or mistyped field reads as absent, never as a crash.
 *
 * Rates are absent, not zero, when the broker keeps no statistics
 * (management_agent.disable_metrics_collector, or a queue with no traffic
 * yet): a RABBIT_RATE_* bit in `rates` says which ones came. With the
 * metrics collector disabled a queue's counts and state are absent too:
 * `counted` says whether the counts came. */
#ifndef OPSDECK_MQ_RABBIT_PARSE_H
#define OPSDECK_MQ_RABBIT_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "util.h"

/* The most the API gives in one page, and what a listing asks for. */
#define RABBIT_PAGE_SIZE 500
/* What the answers may hold: longer names are cut when read. */
#define RABBIT_NAME_MAX 256

enum rabbit_rate_bits {
	RABBIT_RATE_PUBLISH = 1u << 0,
	RABBIT_RATE_DELIVER = 1u << 1,
	RABBIT_RATE_ACK = 1u << 2,
};

/* Celery's own queues are shown apart from the work queues. */
enum rabbit_queue_kind {
	RABBIT_QUEUE_WORK,
	RABBIT_QUEUE_CELERY,
};

/* vhost and name are the broker's own, byte for byte, as the API paths
 * need them (rabbit_path_segment encodes them); they may hold any
 * character, so a view shows them through rabbit_name_shown. */
struct rabbit_queue {
	char vhost[RABBIT_NAME_MAX];
	char name[RABBIT_NAME_MAX];
	bool exact;	/* the names are whole (not cut to fit): actions may use them */
	char type[16];	/* classic, quorum, stream */
	char state[24]; /* running, idle, flow, down, ... ("" if not given) */
	long messages, ready, unacked, consumers;
	bool counted;	/* the counts came (else they read 0 and mean nothing) */
	unsigned rates; /* RABBIT_RATE_* present */
	double publish_rate, deliver_rate, ack_rate; /* messages per second */
	enum rabbit_queue_kind kind;
	/* A quorum queue's delivery limit (x-delivery-limit, or the policies'
	 * delivery-limit, the lower of them); -1: none given. Only the reading
	 * of one queue (rabbit_queue_parse) asks for it. */
	long delivery_limit;
};

struct rabbit_queue_list {
	struct rabbit_queue *v;
	size_t n, cap;
};

/* One page of GET /api/queues?page=N: where it is in the whole list. */
struct rabbit_page {
	long page, page_count, total_count, filtered_count, item_count;
};

struct rabbit_overview {
	char cluster_name[RABBIT_NAME_MAX];
	char version[32];
	char node[RABBIT_NAME_MAX];
	long messages, ready, unacked;
	bool counted; /* queue_totals came */
	long queues, consumers, connections;
	unsigned rates; /* RABBIT_RATE_PUBLISH / RABBIT_RATE_DELIVER */
	double publish_rate, deliver_rate;
};

/* A message read back by a peek. */
struct rabbit_message {
	char *payload;	    /* shown form: control characters escaped, cut */
	long payload_bytes; /* the whole payload's size, as the broker says */
	bool truncated;	    /* payload was cut (by the broker or here) */
	bool base64;	    /* the broker sent it base64-encoded (not UTF-8) */
	bool redelivered;
	char exchange[RABBIT_NAME_MAX];
	char routing_key[RABBIT_NAME_MAX];
	long remaining; /* message_count: left in the queue after this one */
};

struct rabbit_message_list {
	struct rabbit_message *v;
	size_t n;
};

/* Parses one page of the queue listing (the paged object, or a bare array
 * as an unpaged listing answers) and appends its queues to out. page may
 * be NULL. On error out keeps what it had. */
bool rabbit_queues_parse(const char *body, size_t len, struct rabbit_queue_list *out,
			 struct rabbit_page *page, struct err *err);
void rabbit_queue_list_free(struct rabbit_queue_list *l);

/* GET /api/queues/VHOST/NAME: one queue. */
bool rabbit_queue_parse(const char *body, size_t len, struct rabbit_queue *q, struct err *err);

bool rabbit_overview_parse(const char *body, size_t len, struct rabbit_overview *o,
			   struct err *err);

/* POST /api/queues/VHOST/NAME/get: the messages, each payload shown in at
 * most max_shown bytes. */
bool rabbit_messages_parse(const char *body, size_t len, size_t max_shown,
			   struct rabbit_message_list *out, struct err *err);
void rabbit_message_list_free(struct rabbit_message_list *l);

/* The management API's error answer ({"error":..., "reason":...}) and
 * status in words, e.g. "the broker refused the credentials
 * (not_authorized: Login failed)". what names the request's object. */
void rabbit_error_describe(long status, const char *body, size_t len, const char *what,
			   struct err *err);
/* True if an error answer says the shovel plugin is missing ("component
 * shovel not found"). */
bool rabbit_error_no_shovel(long status, const char *body, size_t len);

enum rabbit_queue_kind rabbit_queue_kind(const char *name);

/* The queue a dead-letter queue's messages came from, by the usual names
 * (`tasks.dlq`, `tasks-dlq`, `tasks_dlq`, `tasks.dead`, `tasks.dlx`): the
 * name without that suffix, into out; false (out "") for any other name. */
bool rabbit_dlq_origin(const char *name, char *out, size_t outsz);


/* Appends text percent-encoded for one path segment ("/" -> "%2F"). */
void rabbit_path_segment(struct buf *out, const char *text);
/* The reverse: the text of a segment of len bytes into out; false if it is
 * not one rabbit_path_segment made, or does not fit. */
bool rabbit_segment_decode(const char *seg, size_t len, char *out, size_t outsz);

/* Room for a name as rabbit_name_shown writes it. */
#define RABBIT_SHOWN_MAX 1024
/* A vhost or queue name as a screen or a message shows it: control
 * characters and invalid bytes escaped as text_escape does (a backslash
 * doubled, so that the form read back names one queue only), cut with
 * "..." to fit outsz. */
void rabbit_name_shown(const char *name, char *out, size_t outsz);

/* What a peek (ackmode=ack_requeue_true) does to a queue of q's type. */
enum rabbit_peek_effect {
	/* classic: the messages stay where they were, marked redelivered */
	RABBIT_PEEK_HARMLESS,
	/* quorum: each peek hands the messages back as a failed delivery,
	 * counted against the queue's delivery limit; past it the broker
	 * dead-letters or drops the message. Done only when agreed to. */
	RABBIT_PEEK_COUNTED,
	/* stream: a stream is read by offset; the broker refuses basic.get */
	RABBIT_PEEK_UNSUPPORTED,
};
/* The effect, and in words what a peek would do to q's messages (for
 * COUNTED, the question to agree to; for UNSUPPORTED, why it is refused). */
enum rabbit_peek_effect rabbit_peek_effect(const struct rabbit_queue *q, char *words,
					   size_t wordsz);
/* What became of the messages of q once a peek is done. */
void rabbit_peek_after(const struct rabbit_queue *q, char *words, size_t wordsz);

/* The body of PUT /api/parameters/shovel/VHOST/NAME that moves the
 * messages now in from to to, then deletes the shovel. Caller frees. */
char *rabbit_shovel_body(const char *vhost, const char *from, const char *to);

/* GET /api/shovels/VHOST: the state of the shovel called name ("running",
 * "starting", "terminated", ...), and its reason when terminated; false if
 * it is not listed. */
bool rabbit_shovel_state(const char *body, size_t len, const char *name, char *state,
			 size_t statesz, char *reason, size_t reasonsz);

#endif
