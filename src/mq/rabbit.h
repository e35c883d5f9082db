/* One RabbitMQ broker over its management HTTP API, on the generic HTTP
 * engine (net/http.h), so that nothing here blocks the loop on the network.
 * The answers are read by mq/rabbit_parse.h.
 *
 * Contract:
 *  - Every operation is asynchronous: it returns a handle (or NULL with err
 *    set when its arguments are wrong), and its done function runs later
 *    from the loop, exactly once, unless rabbit_op_cancel() comes first.
 *    After done returns, the handle is gone.
 *  - Every request has a deadline (the client's timeout); a move also has
 *    a deadline for the whole move.
 *  - A failure comes as a sentence that starts with the broker's name:
 *    the broker down ("cannot reach ..."), the credentials refused (the
 *    API's not_authorized and its reason), no answer in time, a missing
 *    queue, the shovel plugin not enabled.
 *  - A listing reads /api/overview, then /api/queues (each configured vhost
 *    in turn, or every vhost) in pages of RABBIT_PAGE_SIZE with only the
 *    columns shown, so that thousands of queues cost a few requests.
 *  - Mutations (purge, move) are refused in read-only mode. Callers that
 *    keep an audit trail write the event first (rabbit_audit_req), which
 *    refuses in read-only mode too.
 *  - The password is never part of a message; it is wiped when the client
 *    is freed. */
#ifndef OPSDECK_MQ_RABBIT_H
#define OPSDECK_MQ_RABBIT_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "db/db.h"
#include "loop.h"
#include "mq/rabbit_parse.h"
#include "util.h"

#define RABBIT_TIMEOUT_MS 10000
#define RABBIT_MOVE_TIMEOUT_MS 120000
#define RABBIT_PEEK_MAX 100
/* Bytes of a payload a peek asks the broker for, and shows. */
#define RABBIT_PEEK_TRUNCATE 50000
#define RABBIT_PEEK_SHOWN 2000

struct rabbit;
struct rabbit_op;

/* What an operation brings back; done may take any part of it (leaving
 * the field empty), the rest is freed after done returns. */
struct rabbit_result {
	struct rabbit_overview overview;     /* list */
	struct rabbit_queue_list queues;     /* list: every queue, in the API's order */
	struct rabbit_message_list messages; /* peek */
	long moved;	   /* move: messages in the source at the start; -1: not counted */
	struct rabbit_queue queue; /* peek: the queue, as read before the peek */
	/* peek: refused because the queue is a quorum queue and the caller did
	 * not agree (RABBIT_PEEK_AGREED); the error is the question, in words */
	bool needs_consent;
	unsigned requests; /* HTTP requests the operation made */
};

/* err is NULL on success; res is valid in both cases (partial on error). */
typedef void (*rabbit_done_fn)(struct rabbit_result *res, const struct err *err, void *ud);

/* A client for broker b (copied) under the settings conf (read-only
 * mode). Reads its password_file now. A broker with a tunnel is reached
 * through the local port route_endpoint() gives (src/route.h), still by
 * its name for TLS. NULL with err set if the file cannot be read, the URL
 * cannot be used or the tunnel gives no port. */
struct rabbit *rabbit_new(struct loop *loop, const struct conf *conf, const struct conf_broker *b,
			  struct err *err);
/* Cancels what is in flight (no callbacks) and frees the client. */
void rabbit_free(struct rabbit *r);
const char *rabbit_name(const struct rabbit *r);
/* Per request; 0: RABBIT_TIMEOUT_MS. */
void rabbit_set_timeout(struct rabbit *r, long timeout_ms);

/* The overview and every queue of the broker's vhosts (all if none set). */
struct rabbit_op *rabbit_list(struct rabbit *r, rabbit_done_fn done, void *ud, struct err *err);
/* Up to count (1..RABBIT_PEEK_MAX) messages from the head of the queue,
 * requeued at once (ackmode=ack_requeue_true). The queue's type is read
 * first (rabbit_peek_effect): a classic queue keeps them, marked
 * redelivered; a stream is refused; a quorum queue counts each peek as a
 * delivery against its delivery limit, so it is peeked only with
 * RABBIT_PEEK_AGREED in flags, else the op fails with needs_consent. */
#define RABBIT_PEEK_AGREED 1u
struct rabbit_op *rabbit_peek(struct rabbit *r, const char *vhost, const char *queue, int count,
			      unsigned flags, rabbit_done_fn done, void *ud, struct err *err);
/* Deletes every ready message of the queue. */
struct rabbit_op *rabbit_purge(struct rabbit *r, const char *vhost, const char *queue,
			       rabbit_done_fn done, void *ud, struct err *err);
/* Moves the messages now in from to to (both must exist) with a dynamic
 * shovel that deletes itself when done; done runs once the shovel is
 * gone, or with an error (the plugin not enabled, the shovel failed, the
 * move not finished within RABBIT_MOVE_TIMEOUT_MS). */
struct rabbit_op *rabbit_move(struct rabbit *r, const char *vhost, const char *from, const char *to,
			      rabbit_done_fn done, void *ud, struct err *err);
void rabbit_op_cancel(struct rabbit_op *op);

/* The vhost a queue named on its own is looked up in: the broker's first
 * configured vhost, else "/". */
const char *rabbit_default_vhost(const struct conf_broker *b);

/* A queue (or vhost) name as the API accepts it: 1 to 255 bytes of UTF-8
 * (control characters included: the broker allows them). */
bool rabbit_valid_queue_name(const char *name);

/* The audit event of a purge (to NULL) or a move of queue's messages to
 * to, written before the action (no event, no action). Refuses in
 * read-only mode. The message and object show the names escaped
 * (rabbit_name_shown); the detail keeps them exact. */
bool rabbit_audit_req(struct db_req *req, const struct conf *conf, const char *broker,
		      const char *vhost, const char *queue, const char *to, struct err *err);

#endif
