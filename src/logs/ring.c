#include "config.h"

#include "logs/ring.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Text is kept in large chunks, filled in order and freed in order as
 * their lines go (lines go oldest first), so a line costs its bytes and
 * its entry rather than an allocation of its own. A merged line sits
 * among older lines while its text is in a newer chunk: a chunk is freed
 * as soon as it holds no line (the one being filled is emptied). */
#define CHUNK_SIZE (256u * 1024u)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	size_t live; /* lines held in it */
	char data[];
};

struct log_ring {
	struct chunk *first, *last; /* oldest and newest chunk */
	struct log_entry *v;	    /* circular: v[(head + i) % cap] is the i-th oldest */
	size_t cap, head, count;
	size_t max_lines, max_bytes, bytes;
	uint64_t end; /* number the next line gets */
	uint64_t evicted;
	size_t chunk_bytes; /* what the chunks take */
	log_ring_full_fn on_full;
	void *on_full_ud;
	/* the last merge that moved lines: the line before which each of its
	 * lines went (numbers before the merge, in order), for log_ring_moved */
	uint64_t *moved_before;
	size_t nmoved, capmoved;
};

struct log_ring *log_ring_new(size_t max_lines, size_t max_bytes)
{
	struct log_ring *r = xcalloc(1, sizeof(*r));

	r->max_lines = max_lines ? max_lines : LOG_RING_DEFAULT_LINES;
	r->max_bytes = max_bytes ? max_bytes : LOG_RING_DEFAULT_BYTES;
	return r;
}

/* Slot of the i-th oldest line (i <= cap): head + i wrapped without a
 * division, which a push and a get would otherwise pay per line. */
static size_t slot(const struct log_ring *r, size_t i)
{
	size_t k = r->head + i;

	return k >= r->cap ? k - r->cap : k;
}

static bool chunk_holds(const struct chunk *c, const char *text)
{
	uintptr_t t = (uintptr_t)text, d = (uintptr_t)c->data;

	return t >= d && t < d + c->cap;
}

/* Unlinks and frees chunk c (prev: the one before it, NULL if first). */
static void chunk_unlink(struct log_ring *r, struct chunk *prev, struct chunk *c)
{
	if (prev)
		prev->next = c->next;
	else
		r->first = c->next;
	if (r->last == c)
		r->last = prev;
	r->chunk_bytes -= c->cap;
	free(c);
}

/* The text of a line that goes: mostly in the first chunk (a merged
 * line's may be in a later one). A chunk no line holds is freed -- the
 * one being filled is emptied instead -- so memory follows what is held
 * whatever order lines go in. */
static void text_release(struct log_ring *r, const char *text)
{
	struct chunk *prev = NULL, *c = r->first;

	while (!chunk_holds(c, text) && c->next) {
		prev = c;
		c = c->next;
	}
	if (--c->live > 0)
		return;
	if (c != r->last)
		chunk_unlink(r, prev, c);
	else
		c->used = 0; /* the one being filled, empty */
}

static void drop_oldest(struct log_ring *r)
{
	struct log_entry *e = &r->v[r->head];

	r->bytes -= e->len;
	text_release(r, e->text);
	e->text = NULL;
	r->head = slot(r, 1);
	r->count--;
}

static char *text_space(struct log_ring *r, size_t n)
{
	struct chunk *c = r->last;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		/* an empty chunk too small for the text goes rather than
		 * staying behind the new one */
		if (c && c->live == 0) {
			struct chunk *prev = NULL;

			for (struct chunk *p = r->first; p != c; p = p->next)
				prev = p;
			chunk_unlink(r, prev, c);
		}
		c = xmalloc(sizeof(*c) + cap);
		r->chunk_bytes += cap;
		c->next = NULL;
		c->used = 0;
		c->cap = cap;
		c->live = 0;
		if (r->last)
			r->last->next = c;
		else
			r->first = c;
		r->last = c;
	}
	c->live++;
	c->used += n;
	return c->data + c->used - n;
}

void log_ring_clear(struct log_ring *r)
{
	while (r->count)
		drop_oldest(r);
	r->head = 0;
}

void log_ring_free(struct log_ring *r)
{
	if (!r)
		return;
	log_ring_clear(r);
	free(r->first); /* the one chunk left, emptied */
	free(r->v);
	free(r->moved_before);
	free(r);
}

/* Grows the array (doubling, up to max_lines) so that memory follows what
 * is held rather than the bound. */
static void grow(struct log_ring *r)
{
	size_t ncap = r->cap ? r->cap * 2 : 256;
	struct log_entry *nv;

	if (ncap > r->max_lines)
		ncap = r->max_lines;
	nv = xcalloc(ncap, sizeof(*nv));
	for (size_t i = 0; i < r->count; i++)
		nv[i] = r->v[(r->head + i) % r->cap];
	free(r->v);
	r->v = nv;
	r->cap = ncap;
	r->head = 0;
}

/* A text longer than the byte bound is cut to it, between UTF-8
 * characters. */
static size_t fit_len(const struct log_ring *r, const char *text, size_t len)
{
	if (len > r->max_bytes || len > UINT32_MAX) {
		len = r->max_bytes < UINT32_MAX ? r->max_bytes : UINT32_MAX;
		/* not inside a UTF-8 character */
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	return len;
}

void log_ring_on_full(struct log_ring *r, log_ring_full_fn fn, void *ud)
{
	r->on_full = fn;
	r->on_full_ud = ud;
}

/* Tells on_full if lines more lines of bytes more bytes would make lines
 * held go. */
static void tell_full(struct log_ring *r, size_t lines, size_t bytes)
{
	if (r->on_full && r->count &&
	    (r->count + lines > r->max_lines || r->bytes + bytes > r->max_bytes))
		r->on_full(r->on_full_ud);
}

static uint64_t push_line(struct log_ring *r, uint32_t source, int64_t ts_ns, const char *text,
			  size_t len)
{
	struct log_entry *e;

	while (r->count && (r->count >= r->max_lines || r->bytes + len > r->max_bytes)) {
		drop_oldest(r);
		r->evicted++;
	}
	if (r->count == r->cap)
		grow(r);
	e = &r->v[slot(r, r->count)];
	e->ts_ns = ts_ns;
	e->source = source;
	e->len = (uint32_t)len;
	e->text = text_space(r, len + 1);
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	r->count++;
	r->bytes += len;
	return r->end++;
}

uint64_t log_ring_push(struct log_ring *r, uint32_t source, int64_t ts_ns, const char *text,
		       size_t len)
{
	len = fit_len(r, text, len);
	tell_full(r, 1, len);
	return push_line(r, source, ts_ns, text, len);
}

size_t log_ring_count(const struct log_ring *r)
{
	return r->count;
}

size_t log_ring_max_lines(const struct log_ring *r)
{
	return r->max_lines;
}

size_t log_ring_max_bytes(const struct log_ring *r)
{
	return r->max_bytes;
}

size_t log_ring_bytes(const struct log_ring *r)
{
	return r->bytes;
}

size_t log_ring_chunk_bytes(const struct log_ring *r)
{
	return r->chunk_bytes;
}

uint64_t log_ring_evicted(const struct log_ring *r)
{
	return r->evicted;
}

uint64_t log_ring_first(const struct log_ring *r)
{
	return r->end - r->count;
}

uint64_t log_ring_end(const struct log_ring *r)
{
	return r->end;
}

const struct log_entry *log_ring_get(const struct log_ring *r, uint64_t n)
{
	uint64_t first = r->end - r->count;

	if (n < first || n >= r->end)
		return NULL;
	return &r->v[slot(r, (size_t)(n - first))];
}

/* The newest line held (by position), or NULL. */
static const struct log_entry *newest(const struct log_ring *r)
{
	return r->count ? &r->v[(r->head + r->count - 1) % r->cap] : NULL;
}

static void record_moved(struct log_ring *r, const uint64_t *before, size_t n)
{
	r->nmoved = 0;
	if (!n)
		return;
	r->moved_before = xgrow(r->moved_before, &r->capmoved, n, sizeof(*r->moved_before));
	memcpy(r->moved_before, before, n * sizeof(*before));
	r->nmoved = n;
}

/* Of the merged sequence (held lines and the batch's, each batch line j
 * after at[j] held lines), the oldest that the bounds let go, as pushes
 * would have let them go: *dh held lines and *db of the batch's. */
static void merge_drops(const struct log_ring *r, const size_t *at, const size_t *len, size_t n,
			size_t *dh, size_t *db)
{
	size_t rem = r->count + n, bytes = r->bytes, i = 0, j = 0;

	for (size_t k = 0; k < n; k++)
		bytes += len[k];
	while (rem > 1 && (rem > r->max_lines || bytes > r->max_bytes)) {
		if (j < n && at[j] <= i) {
			bytes -= len[j++];
		} else {
			bytes -= r->v[slot(r, i)].len;
			i++;
		}
		rem--;
	}
	*dh = i;
	*db = j;
}

bool log_ring_merge(struct log_ring *r, const struct log_ring_line *lines, size_t n, uint64_t *nums)
{
	const struct log_entry *last = newest(r);
	uint64_t *before, first = r->end - r->count;
	size_t *at, *len, i, j, d, dh, db, held;
	bool moved = false;

	if (r->on_full) {
		size_t bytes = 0;

		for (i = 0; i < n; i++)
			bytes += fit_len(r, lines[i].text, lines[i].len);
		tell_full(r, n, bytes);
	}
	/* the common case: nothing held is newer than the batch's oldest */
	if (!n || !last || last->ts_ns <= lines[0].ts_ns) {
		record_moved(r, NULL, 0);
		for (i = 0; i < n; i++) {
			uint64_t num = push_line(r, lines[i].source, lines[i].ts_ns, lines[i].text,
						 fit_len(r, lines[i].text, lines[i].len));

			if (nums)
				nums[i] = num;
		}
		return false;
	}
	/* where each line goes, from the newest back: the batch's line j
	 * after the first line held, scanning back, that is not newer than
	 * it (and before the batch's lines that follow it); equal timestamps
	 * keep the order they came in */
	before = xcalloc(n, sizeof(*before));
	at = xcalloc(n, sizeof(*at));
	len = xcalloc(n, sizeof(*len));
	i = r->count;
	for (j = n; j-- > 0;) {
		while (i > 0 && r->v[slot(r, i - 1)].ts_ns > lines[j].ts_ns)
			i--;
		at[j] = i;
		before[j] = first + i;
		len[j] = fit_len(r, lines[j].text, lines[j].len);
		if (i < r->count)
			moved = true;
	}
	/* the bounds, first: so the merge needs no room past them and is
	 * done in place (a copy of a full ring would double its memory) */
	merge_drops(r, at, len, n, &dh, &db);
	for (i = 0; i < dh; i++)
		drop_oldest(r);
	r->evicted += dh + db;
	held = r->count;
	while (r->cap < held + n - db && r->cap < r->max_lines)
		grow(r);
	/* from the newest back, each held line moves up by the batch's lines
	 * put before it; it never lands on one not yet moved */
	d = held + n - db;
	i = held;
	for (j = n; j-- > db;) {
		struct log_entry *e;

		while (i > at[j] - dh) {
			i--;
			d--;
			r->v[slot(r, d)] = r->v[slot(r, i)];
		}
		d--;
		e = &r->v[slot(r, d)];
		e->ts_ns = lines[j].ts_ns;
		e->source = lines[j].source;
		e->len = (uint32_t)len[j];
		e->text = text_space(r, len[j] + 1);
		memcpy(e->text, lines[j].text, len[j]);
		e->text[len[j]] = '\0';
		r->bytes += len[j];
	}
	r->count = held + n - db;
	r->end += n;
	for (j = 0; nums && j < n; j++)
		nums[j] = before[j] + j;
	record_moved(r, moved ? before : NULL, moved ? n : 0);
	free(before);
	free(at);
	free(len);
	return moved;
}

void log_ring_merge_tell(struct log_ring *r, const struct log_ring_line *lines, size_t n,
			 log_ring_line_fn on_line, log_ring_moved_fn on_moved, void *ud)
{
	uint64_t *nums = xcalloc(n ? n : 1, sizeof(*nums));

	if (log_ring_merge(r, lines, n, nums) && on_moved)
		on_moved(ud);
	for (size_t i = 0; i < n && on_line; i++) {
		const struct log_entry *e = log_ring_get(r, nums[i]);
		struct log_entry gone;

		if (!e) {
			gone.ts_ns = lines[i].ts_ns;
			gone.source = lines[i].source;
			gone.len = (uint32_t)lines[i].len;
			gone.text = (char *)lines[i].text;
			e = &gone;
		}
		on_line(ud, nums[i], e);
	}
	free(nums);
}

uint64_t log_ring_moved(const struct log_ring *r, uint64_t n)
{
	size_t lo = 0, hi = r->nmoved;

	/* the merge's lines that went before line n: those placed before a
	 * line numbered at most n */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->moved_before[mid] <= n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n + lo;
}
