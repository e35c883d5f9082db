/* The ring buffer a log session feeds: every line of every source, in the
 * order they arrived, bounded both in lines and in bytes of text. When a
 * new line would pass either bound the oldest lines go, and the ring
 * counts them, so a view can say how many it lost; a burst never makes
 * the ring refuse a new line.
 *
 * A batch that comes late (a read of the store's history: lines older
 * than some held) is merged by time instead (log_ring_merge): each of its
 * lines goes among the lines held where its timestamp puts it.
 *
 * Lines are numbered from 0 in the ring's order, for as long as the ring
 * lives (cleared or not): a view keeps a number, and log_ring_get() says
 * whether that line is still there. A push gives the next number and
 * moves nothing; a merge that puts lines before held ones moves each of
 * those up by the lines put before it, and log_ring_moved() says where a
 * number went. */
#ifndef OPSDECK_LOGS_RING_H
#define OPSDECK_LOGS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_RING_DEFAULT_LINES 100000
#define LOG_RING_DEFAULT_BYTES (64u * 1024u * 1024u)

struct log_entry {
	int64_t ts_ns;	 /* the line's own timestamp (ns since the epoch); 0: none */
	uint32_t source; /* the session's source id */
	uint32_t len;	 /* bytes of text */
	char *text;	 /* NUL-terminated, display-safe */
};

struct log_ring;

/* max_lines >= 1, max_bytes >= 1; 0 takes the default. */
struct log_ring *log_ring_new(size_t max_lines, size_t max_bytes);
void log_ring_free(struct log_ring *r);

/* Appends a line (copied); text longer than the byte bound is cut to it,
 * between UTF-8 characters. Returns the line's number. */
uint64_t log_ring_push(struct log_ring *r, uint32_t source, int64_t ts_ns, const char *text,
		       size_t len);
/* A line to merge. */
struct log_ring_line {
	int64_t ts_ns;
	uint32_t source;
	size_t len;
	const char *text;
};

/* Puts n lines (copied, cut as a push cuts them), in time order, among
 * the lines held by time: scanning back from the newest, each goes after
 * the first line held that is not newer than it, so lines with equal
 * timestamps keep the order they came in, and a batch whose oldest line
 * is not older than the newest held is pushed (the common case, as fast).
 * The bounds hold as after pushes: the oldest lines go, counted as
 * evicted (merged lines too, if they are the oldest). nums (NULL or n
 * long) gets each line's number (below log_ring_first() if it went at
 * once). Returns true if lines held before moved; log_ring_moved() then
 * says where. */
bool log_ring_merge(struct log_ring *r, const struct log_ring_line *lines, size_t n,
		    uint64_t *nums);
/* log_ring_merge, then the reader is told: on_moved (if not NULL) when
 * lines held moved, then on_line (if not NULL) for each line merged, in
 * the batch's order. A line older than all the ring holds went at once
 * and is told all the same (its number below log_ring_first(), its text
 * as given, which must end in a NUL at len), so a reader that prints
 * each line misses none. */
typedef void (*log_ring_line_fn)(void *ud, uint64_t n, const struct log_entry *e);
typedef void (*log_ring_moved_fn)(void *ud);
void log_ring_merge_tell(struct log_ring *r, const struct log_ring_line *lines, size_t n,
			 log_ring_line_fn on_line, log_ring_moved_fn on_moved, void *ud);
/* The number now of the line numbered n before the last merge: n itself
 * if that merge moved nothing; the end before it gives the end after it.
 * Valid until the next merge (pushes and evictions change no number). */
uint64_t log_ring_moved(const struct log_ring *r, uint64_t n);
/* Called before a push or a merge makes held lines go, the ring still as
 * it was (once for a merge): a reader holding lines back takes them
 * first. It must not change the ring. fn NULL: nothing is called. */
typedef void (*log_ring_full_fn)(void *ud);
void log_ring_on_full(struct log_ring *r, log_ring_full_fn fn, void *ud);
/* Drops every line (they count as cleared, not evicted). */
void log_ring_clear(struct log_ring *r);

size_t log_ring_count(const struct log_ring *r); /* lines held */
size_t log_ring_max_lines(const struct log_ring *r); /* its bounds */
size_t log_ring_max_bytes(const struct log_ring *r);
size_t log_ring_bytes(const struct log_ring *r); /* bytes of text held */
/* Bytes the text's storage takes (for tests and the bench): it follows
 * what is held, whatever went before. */
size_t log_ring_chunk_bytes(const struct log_ring *r);
uint64_t log_ring_evicted(const struct log_ring *r);
/* Number of the oldest line held, and one past the newest. */
uint64_t log_ring_first(const struct log_ring *r);
uint64_t log_ring_end(const struct log_ring *r);
/* Line number n, or NULL if it went or is not there yet. Valid until the
 * next push or clear. */
const struct log_entry *log_ring_get(const struct log_ring *r, uint64_t n);

#endif
