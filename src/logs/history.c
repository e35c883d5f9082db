#include "config.h"

#include "logs/history.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db/stores.h"
#include "logs/splitter.h"
#include "util.h"

/* Every event of the store, every step of its jobs started, every one
 * finished, at or after $2 (microseconds since the epoch) -- and at that
 * time, from kind $4 and key $5 on: kind, key, microseconds, text. Each
 * part is cut by its own time column, so an index can serve it. The
 * events are the project's first (by its index), not the whole trail. */
#define SQL_HISTORY_SINCE "('epoch'::timestamptz + $2::bigint * interval '1 microsecond')"
#define SQL_HISTORY                                                                              \
	"SELECT kind, key, us, text FROM ("                                                      \
	" SELECT 'e' AS kind, e.id AS key,"                                                      \
	"  (extract(epoch FROM e.at) * 1000000)::bigint AS us,"                                  \
	"  e.action || ' by ' || e.actor || ': ' || e.message AS text"                           \
	" FROM opsdeck.events e"                                                                 \
	" WHERE e.project = (SELECT s.project FROM opsdeck.stores s WHERE s.id = $1::text)"      \
	"  AND e.object = 'store/' || $1::text AND e.at >= " SQL_HISTORY_SINCE                    \
	" UNION ALL"                                                                             \
	" SELECT 's', x.id, (extract(epoch FROM x.started_at) * 1000000)::bigint,"               \
	"  format('job %s %s: step %s started (attempt %s, %s)', j.id, j.kind, x.step, x.attempt," \
	"  x.runner)"                                                                            \
	" FROM opsdeck.job_steps x JOIN opsdeck.jobs j ON j.id = x.job WHERE j.store = $1::text" \
	"  AND x.started_at >= " SQL_HISTORY_SINCE                                               \
	" UNION ALL"                                                                             \
	" SELECT 'f', x.id, (extract(epoch FROM x.finished_at) * 1000000)::bigint,"              \
	"  format('job %s %s: step %s %s%s', j.id, j.kind, x.step, x.outcome,"                   \
	"  coalesce(': ' || nullif(x.message, ''), ''))"                                         \
	" FROM opsdeck.job_steps x JOIN opsdeck.jobs j ON j.id = x.job"                          \
	" WHERE j.store = $1::text AND x.finished_at >= " SQL_HISTORY_SINCE                      \
	") h WHERE (us, kind, key) >= ($2::bigint, $4::text, $5::bigint)"

/* The first read: the newest LOG_HISTORY_MAX_ROWS (a tail is cut from them). */
static const char sql_history_newest[] =
    SQL_HISTORY " ORDER BY us DESC, kind DESC, key DESC LIMIT $3::integer";
/* The reads that follow: the oldest $3 from $2; while an answer is full,
 * the next read goes on after its last row. */
static const char sql_history_next[] = SQL_HISTORY " ORDER BY us, kind, key LIMIT $3::integer";

struct log_history {
	struct log_history_opts o;
	char store[STORE_ID_LEN + 1];
	/* what was pushed: kind and key, sorted, to push each thing once */
	long *seen;
	size_t nseen, capseen;
	bool first_done; /* the first read answered */
	bool inflight, again;
	/* the newest time a read returned, in microseconds: the next read
	 * starts there, less LOG_HISTORY_LATE_US; 0: none yet */
	int64_t newest_us;
	/* a full answer's last row: the next read goes on after it */
	bool more;
	int64_t more_us;
	char more_kind;
	long more_key;
	uint64_t rows_read, reads;
	struct loop_timer *batch;
	char failed[800];
	uint64_t lines;
};

bool log_history_source(uint32_t id)
{
	return id == LOG_HISTORY_EVENTS || id == LOG_HISTORY_JOBS;
}

const char *log_history_source_name(uint32_t id)
{
	if (id == LOG_HISTORY_EVENTS)
		return "opsdeck/events";
	if (id == LOG_HISTORY_JOBS)
		return "opsdeck/jobs";
	return NULL;
}

/* A row's identity: three kinds, so key * 4 + kind fits a long. */
static long seen_key(const struct log_history_row *row)
{
	return row->key * 4 + (row->kind == 'e' ? 0 : row->kind == 's' ? 1 : 2);
}

static size_t seen_pos(const struct log_history *h, long k)
{
	size_t lo = 0, hi = h->nseen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->seen[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* True if k was not seen; then it is. */
static bool seen_add(struct log_history *h, long k)
{
	size_t at = seen_pos(h, k);

	if (at < h->nseen && h->seen[at] == k)
		return false;
	if (h->nseen == h->capseen) {
		h->capseen = h->capseen ? h->capseen * 2 : 64;
		h->seen = xrealloc(h->seen, h->capseen * sizeof(*h->seen));
	}
	memmove(h->seen + at + 1, h->seen + at, (h->nseen - at) * sizeof(*h->seen));
	h->seen[at] = k;
	h->nseen++;
	return true;
}

static int row_cmp(const void *a, const void *b)
{
	const struct log_history_row *x = a, *y = b;
	long kx = seen_key(x), ky = seen_key(y);

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return kx < ky ? -1 : kx > ky;
}

void log_history_take(struct log_history *h, struct log_history_row *rows, size_t n, long tail)
{
	size_t nev = 0, njob = 0, keep_ev = 0, keep_job = 0, k = 0;
	struct buf b = BUF_INIT;
	struct log_ring_line *lines = xcalloc(n ? n : 1, sizeof(*lines));
	size_t *at = xcalloc(n ? n : 1, sizeof(*at));

	qsort(rows, n, sizeof(*rows), row_cmp);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].kind == 'e')
			nev++;
		else
			njob++;
	}
	/* of each source, the newest tail */
	if (tail >= 0) {
		keep_ev = nev > (size_t)tail ? nev - (size_t)tail : 0;
		keep_job = njob > (size_t)tail ? njob - (size_t)tail : 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct log_history_row *row = &rows[i];
		bool event = row->kind == 'e';

		if (event ? keep_ev > 0 : keep_job > 0) {
			/* older than the tail: never shown, never read again */
			if (event)
				keep_ev--;
			else
				keep_job--;
			seen_add(h, seen_key(row));
			continue;
		}
		if (!seen_add(h, seen_key(row)))
			continue;
		at[k] = b.len;
		log_text_clean(&b, row->text, strlen(row->text), false);
		lines[k].ts_ns = row->ts_ns;
		lines[k].source = event ? LOG_HISTORY_EVENTS : LOG_HISTORY_JOBS;
		lines[k].len = b.len - at[k];
		buf_putc(&b, '\0');
		k++;
	}
	for (size_t i = 0; i < k; i++)
		lines[i].text = b.data + at[i];
	/* in one pass among the lines held, by time (a read comes after
	 * lines newer than its own); those held tell where they went first */
	log_ring_merge_tell(h->o.ring, lines, k, h->o.on_line, h->o.on_moved, h->o.ud);
	h->lines += k;
	free(at);
	free(lines);
	buf_free(&b);
}

static void read_history(struct log_history *h);

static void batch_due(struct loop *loop, void *ud)
{
	struct log_history *h = ud;

	(void)loop;
	h->batch = NULL;
	read_history(h);
}

/* Another read soon: a burst of notices costs one. */
static void read_soon(struct log_history *h)
{
	if (h->inflight) {
		h->again = true;
		return;
	}
	if (!h->batch)
		h->batch = loop_timer_add(h->o.loop, LOG_HISTORY_BATCH_MS, 0, batch_due, h);
}

static void answered(void *ud, const PGresult *res, const struct err *err)
{
	struct log_history *h = ud;
	bool first = !h->first_done;

	h->inflight = false;
	h->first_done = true;
	if (!res) {
		snprintf(h->failed, sizeof(h->failed), "opsdeck's history of store %s: %s",
			 h->store, err->msg);
	} else if (PQnfields(res) != 4) {
		snprintf(h->failed, sizeof(h->failed),
			 "opsdeck's history of store %s: unexpected answer", h->store);
	} else {
		size_t n = (size_t)PQntuples(res);
		struct log_history_row *rows = xcalloc(n ? n : 1, sizeof(*rows));

		h->failed[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			int64_t us = (int64_t)strtoll(db_val(res, (int)i, 2), NULL, 10);

			rows[i].kind = db_val(res, (int)i, 0)[0];
			rows[i].key = db_long(res, (int)i, 1);
			rows[i].ts_ns = us * 1000;
			rows[i].text = db_val(res, (int)i, 3);
			if (us > h->newest_us)
				h->newest_us = us;
		}
		h->rows_read += n;
		log_history_take(h, rows, n, first ? h->o.tail_lines : -1);
		free(rows);
		/* a full answer after the first: more rows wait behind it */
		h->more = !first && n >= LOG_HISTORY_MAX_ROWS && h->o.follow;
		if (h->more) {
			h->more_us = (int64_t)strtoll(db_val(res, (int)n - 1, 2), NULL, 10);
			h->more_kind = db_val(res, (int)n - 1, 0)[0];
			h->more_key = db_long(res, (int)n - 1, 1);
			h->again = true;
		}
	}
	if (h->o.follow && h->again) {
		h->again = false;
		read_soon(h);
	}
	if (h->o.on_read)
		h->o.on_read(h->o.ud);
}

static void read_history(struct log_history *h)
{
	struct db_req r;
	int64_t from = h->o.since_ns / 1000;

	/* after the first read, only what is newer than what was read, and
	 * the last LOG_HISTORY_LATE_US again: a row carries its transaction's
	 * start and may commit after a newer one. Nothing older than since
	 * (a step's end counts by its own time); what was pushed is not
	 * pushed again. */
	if (h->first_done && h->newest_us - LOG_HISTORY_LATE_US > from)
		from = h->newest_us - LOG_HISTORY_LATE_US;
	db_req_init(&r, h->first_done ? sql_history_next : sql_history_newest);
	db_req_add(&r, h->store);
	if (h->more) {
		char kind[2] = {h->more_kind, '\0'};

		db_req_addf(&r, "%lld", (long long)h->more_us);
		db_req_add_long(&r, LOG_HISTORY_MAX_ROWS);
		db_req_add(&r, kind);
		db_req_add_long(&r, h->more_key + 1);
	} else {
		db_req_addf(&r, "%lld", (long long)from);
		db_req_add_long(&r, LOG_HISTORY_MAX_ROWS);
		db_req_add(&r, "");
		db_req_add_long(&r, -1);
	}
	h->reads++;
	snprintf(r.subject, sizeof(r.subject), "the history of store %s", h->store);
	h->inflight = true;
	db_conn_submit(h->o.conn, &r, 0, answered, h);
}

static void on_db_event(void *ud, const struct db_event *ev)
{
	struct log_history *h = ud;

	if (!h->first_done)
		return;
	/* the tables the history reads; a notice that names another store
	 * (jobs and steps name theirs; events do not) is not ours */
	if (ev->kind == DB_EVENT_RESYNC ||
	    (ev->kind == DB_EVENT_CHANGE &&
	     (strcmp(ev->table, "events") == 0 || strcmp(ev->table, "jobs") == 0 ||
	      strcmp(ev->table, "job_steps") == 0) &&
	     (!ev->store || strcmp(ev->store, h->store) == 0)))
		read_soon(h);
}

struct log_history *log_history_start(const struct log_history_opts *o, struct err *err)
{
	struct log_history *h;

	if (!o->store || !store_valid_id(o->store)) {
		err_set(err, "not a store id");
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->o = *o;
	str_copy(h->store, sizeof(h->store), o->store);
	h->o.store = h->store;
	if (!o->conn)
		return h;
	if (o->follow)
		db_conn_subscribe(o->conn, on_db_event, h);
	read_history(h);
	return h;
}

void log_history_free(struct log_history *h)
{
	if (!h)
		return;
	if (h->o.conn) {
		if (h->o.follow)
			db_conn_unsubscribe(h->o.conn, on_db_event, h);
		db_conn_forget(h->o.conn, h);
	}
	if (h->batch)
		loop_timer_cancel(h->batch);
	free(h->seen);
	free(h);
}

bool log_history_done(const struct log_history *h)
{
	return !h->o.follow && h->first_done;
}

const char *log_history_failed(const struct log_history *h)
{
	return h->failed[0] ? h->failed : NULL;
}

uint64_t log_history_lines(const struct log_history *h)
{
	return h->lines;
}

uint64_t log_history_rows_read(const struct log_history *h)
{
	return h->rows_read;
}

uint64_t log_history_reads(const struct log_history *h)
{
	return h->reads;
}

struct order_key {
	int64_t ts;
	uint64_t n;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

void log_order_by_time(const struct log_ring *r, uint64_t *nums, size_t n)
{
	struct order_key *k = xcalloc(n ? n : 1, sizeof(*k));

	for (size_t i = 0; i < n; i++) {
		const struct log_entry *e = log_ring_get(r, nums[i]);

		k[i].ts = e ? e->ts_ns : INT64_MIN;
		k[i].n = nums[i];
	}
	qsort(k, n, sizeof(*k), order_cmp);
	for (size_t i = 0; i < n; i++)
		nums[i] = k[i].n;
	free(k);
}
