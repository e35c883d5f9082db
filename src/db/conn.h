/* The console's database connection: libpq driven entirely by the event
 * loop, never blocking it.
 *
 * Contract:
 *  - Connecting uses PQconnectStartParams/PQconnectPoll on socket readiness,
 *    bounded by connect_timeout_ms. Once connected the connection is
 *    non-blocking and issues LISTEN opsdeck before it reports READY.
 *  - Requests (db_req, see db.h) are queued and sent one at a time with
 *    PQsendQueryParams. Each has a deadline counted from submission: a
 *    request still queued then fails with "timed out"; a request already
 *    sent fails the same way and the connection is reset (libpq's cancel
 *    blocks, so it is not used) -- the other queued requests then go out on
 *    the new connection.
 *  - Results are always delivered from the loop, never from inside
 *    db_conn_submit. fn gets the result (owned by the connection: read it,
 *    do not keep or PQclear it) or NULL and a reason in words.
 *  - When the server goes away: the request on the wire fails ("connection
 *    lost"; a mutation may or may not have been applied), queued ones fail
 *    ("database unavailable: ..."), the state becomes DOWN with the reason,
 *    and reconnection is tried with exponential backoff
 *    (backoff_min_ms .. backoff_max_ms). Requests submitted while DOWN fail
 *    at once (still delivered from the loop); while CONNECTING they wait.
 *  - A host name is looked up off the loop (db/resolve.h) before each
 *    connect, within connect_timeout_ms, and the connection is made to its
 *    addresses (hostaddr) under its name (host). TCP keepalives are on
 *    unless the conninfo says otherwise (db_conn_params).
 *  - A link that goes silent is noticed even when idle: after
 *    probe_idle_ms with nothing received, a cheap statement is sent; no
 *    answer within probe_timeout_ms and the connection is DOWN ("no
 *    answer from the database for N ms") and retried. Retries after a
 *    failure stay DOWN until one succeeds.
 *  - Subscribers hear of: state changes; every change notification on
 *    channel `opsdeck` ({table, op, key} and, for a row of a store, its
 *    store id; validated); and RESYNC after every
 *    (re)connection once LISTEN is active again, since notifications sent
 *    while disconnected are lost: a subscriber then re-reads what it shows.
 *  - db_conn_free must not be called from one of the connection's own
 *    callbacks. Owners that go away first call db_conn_forget and
 *    db_conn_unsubscribe. */
#ifndef OPSDECK_DB_CONN_H
#define OPSDECK_DB_CONN_H

#include <jansson.h>
#include <stdbool.h>

#include "db/db.h"
#include "loop.h"
#include "util.h"

enum db_state {
	DB_STATE_CONNECTING,
	DB_STATE_READY,
	DB_STATE_DOWN,
};

enum db_event_kind {
	DB_EVENT_STATE,	 /* state (and reason) changed */
	DB_EVENT_CHANGE, /* a row changed: table, op, key */
	DB_EVENT_RESYNC, /* (re)connected: re-read everything */
};

struct db_event {
	enum db_event_kind kind;
	enum db_state state;
	const char *reason; /* DB_EVENT_STATE: "" when READY */
	const char *table;  /* DB_EVENT_CHANGE: "projects", ... */
	const char *op;	    /* "insert", "update" or "delete" */
	const char *key;    /* the row's key as text */
	const char *store;  /* stores, jobs, job_steps: the row's store id, else NULL */
};

typedef void (*db_result_fn)(void *ud, const PGresult *res, const struct err *err);
typedef void (*db_event_fn)(void *ud, const struct db_event *ev);

struct db_conn_options {
	unsigned connect_timeout_ms; /* 0: 10000 */
	unsigned request_timeout_ms; /* 0: 10000; default for submissions */
	unsigned backoff_min_ms;     /* 0: 250 */
	unsigned backoff_max_ms;     /* 0: 10000 */
	unsigned probe_idle_ms;	     /* 0: 5000; quiet this long: a probe */
	unsigned probe_timeout_ms;   /* 0: 5000; the probe's bound */
};

struct db_conn;

/* Starts connecting at once. conninfo NULL or "": libpq's environment. */
struct db_conn *db_conn_new(struct loop *loop, const char *conninfo,
			    const struct db_conn_options *opt);
/* Closes the connection; pending requests are dropped without callbacks. */
void db_conn_free(struct db_conn *c);

/* The state and, unless READY, why ("connecting", the server's words...). */
enum db_state db_conn_state(const struct db_conn *c, const char **reason);
const char *db_state_name(enum db_state s);

/* Queues req (moved: req is left empty). timeout_ms 0: the default. */
void db_conn_submit(struct db_conn *c, struct db_req *req, unsigned timeout_ms, db_result_fn fn,
		    void *ud);
/* Pending requests of ud complete without calling back. */
void db_conn_forget(struct db_conn *c, void *ud);

void db_conn_subscribe(struct db_conn *c, db_event_fn fn, void *ud);
void db_conn_unsubscribe(struct db_conn *c, db_event_fn fn, void *ud);

/* Reads a NOTIFY: true for a well-formed change on channel "opsdeck", with
 * out's strings held by *hold (json_decref it after use); false, *hold
 * NULL, for anything else. */
bool db_notify_parse(const char *channel, const char *payload, struct db_event *out,
		     json_t **hold);

#endif
