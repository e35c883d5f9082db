/* opsdeck's own history of a store as a log source: its audit events and
 * its jobs' steps (a line when a step starts, one when it ends), each
 * line stamped with the database's time of what it tells, pushed into the
 * same ring as the pods' lines under two sources of their own,
 * "opsdeck/events" and "opsdeck/jobs".
 *
 * Reads go through an asynchronous connection (db/conn.h), never blocking
 * the loop. The first read takes what happened since a time (0: all),
 * the newest tail_lines of each source when tail_lines >= 0. Following,
 * the connection's change notices (an event, or a job or step of this
 * store; a reconnection) cause another read, 150 ms later so a burst costs
 * one. Such a read asks only for what is newer than the newest time read
 * so far (less LOG_HISTORY_LATE_US, for rows whose transaction committed
 * late), oldest first, and reads on while an answer is full; only lines
 * not pushed before are pushed, so nothing repeats. Notices of jobs and
 * steps of other stores cause no read.
 *
 * Order: a read's new lines go into the ring by time among the lines it
 * holds, in one merge (log_ring_merge): a read that comes after pods'
 * lines newer than its own puts its lines before them. Lines held that a
 * merge moves are told by on_moved (log_ring_moved says where each went)
 * before on_line tells the read's lines. The pods' lines stay where they
 * arrived (each container's in order); a reader wanting one time order
 * over everything (a read that is over) sorts line numbers with
 * log_order_by_time. */
#ifndef OPSDECK_LOGS_HISTORY_H
#define OPSDECK_LOGS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/conn.h"
#include "logs/ring.h"
#include "logs/session.h"

/* Source ids in the ring, far above a session's (0, 1, 2...). */
#define LOG_HISTORY_EVENTS 0xfffffff0u
#define LOG_HISTORY_JOBS 0xfffffff1u
/* At most this many rows per read (the newest). */
#define LOG_HISTORY_MAX_ROWS 20000
#define LOG_HISTORY_BATCH_MS 150
/* A following read also reads again this much before the newest time
 * read (microseconds): a row whose transaction commits more than this
 * after it began (a lock wait, as store_request's behind a job's) is not
 * seen by a following read. A minute of rows read twice costs little:
 * those already pushed are skipped. */
#define LOG_HISTORY_LATE_US 60000000

/* True for the two history sources; their names ("opsdeck/events",
 * "opsdeck/jobs"), or NULL for any other id. */
bool log_history_source(uint32_t id);
const char *log_history_source_name(uint32_t id);

/* One thing that happened, as a read gives it. kind: 'e' an event, 's' a
 * step started, 'f' a step finished; key: the event's or step's id. */
struct log_history_row {
	char kind;
	long key;
	int64_t ts_ns;
	const char *text;
};

struct log_history_opts {
	struct loop *loop;
	struct db_conn *conn; /* the caller's; outlives the history. NULL:
			       * nothing is read (log_history_take only) */
	const char *store;    /* the store's id */
	bool follow;
	long tail_lines;  /* the first read: newest N of each source; < 0: all */
	int64_t since_ns; /* the first read: nothing older; 0: all */
	struct log_ring *ring;
	/* a line was pushed; every line a read takes is told once, even
	 * one the ring no longer holds (older than all it held, it went at
	 * once: n below log_ring_first, e valid during the call only) */
	log_session_line_fn on_line;
	/* a read's lines went before lines held: their numbers moved
	 * (log_ring_moved); then on_line for each of the read's lines */
	log_session_fn on_moved;
	log_session_fn on_read; /* after each read (log_history_failed: how it went) */
	void *ud;
};

struct log_history;

/* Starts the first read; NULL with err set for a bad store id. Nothing is
 * called back from inside this call. */
struct log_history *log_history_start(const struct log_history_opts *o, struct err *err);
void log_history_free(struct log_history *h);
/* Without follow: the read is over. */
bool log_history_done(const struct log_history *h);
/* Why the last read failed, or NULL. */
const char *log_history_failed(const struct log_history *h);
/* Lines pushed so far. */
uint64_t log_history_lines(const struct log_history *h);
/* Rows the reads returned so far, and the reads asked, for tests. */
uint64_t log_history_rows_read(const struct log_history *h);
uint64_t log_history_reads(const struct log_history *h);

/* Merges the rows not pushed before into the ring (rows in any order;
 * they go by time), keeping tail of each source when tail >= 0. What a
 * read does with its answer; a test feeds it directly. */
void log_history_take(struct log_history *h, struct log_history_row *rows, size_t n, long tail);

/* Sorts line numbers of r by their lines' timestamps, equal ones (and
 * lines gone from the ring) keeping their order: one time order over
 * sources that each arrived in order. */
void log_order_by_time(const struct log_ring *r, uint64_t *nums, size_t n);

#endif
