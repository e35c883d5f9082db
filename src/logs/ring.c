#include "config.h"

#include "logs/ring.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Text is kept in large chunks, filled in order and freed in order as
 * their lines go (lines go oldest first), so a line costs its bytes and
 * its entry rather than an allocation of its own. */
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
};

struct log_ring *log_ring_new(size_t max_lines, size_t max_bytes)
{
	struct log_ring *r = xcalloc(1, sizeof(*r));

	r->max_lines = max_lines ? max_lines : LOG_RING_DEFAULT_LINES;
	r->max_bytes = max_bytes ? max_bytes : LOG_RING_DEFAULT_BYTES;
	return r;
}

static void drop_oldest(struct log_ring *r)
{
	struct log_entry *e = &r->v[r->head];

	struct chunk *c = r->first;

	r->bytes -= e->len;
	e->text = NULL;
	r->head = (r->head + 1) % r->cap;
	r->count--;
	/* the oldest line is always in the first chunk */
	if (--c->live == 0) {
		if (c->next) {
			r->first = c->next;
			free(c);
		} else {
			c->used = 0;
		}
	}
}

static char *text_space(struct log_ring *r, size_t n)
{
	struct chunk *c = r->last;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		c = xmalloc(sizeof(*c) + cap);
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

uint64_t log_ring_push(struct log_ring *r, uint32_t source, int64_t ts_ns, const char *text,
		       size_t len)
{
	struct log_entry *e;

	if (len > r->max_bytes || len > UINT32_MAX) {
		len = r->max_bytes < UINT32_MAX ? r->max_bytes : UINT32_MAX;
		/* not inside a UTF-8 character */
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	while (r->count && (r->count >= r->max_lines || r->bytes + len > r->max_bytes)) {
		drop_oldest(r);
		r->evicted++;
	}
	if (r->count == r->cap)
		grow(r);
	e = &r->v[(r->head + r->count) % r->cap];
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

size_t log_ring_count(const struct log_ring *r)
{
	return r->count;
}

size_t log_ring_bytes(const struct log_ring *r)
{
	return r->bytes;
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
	return &r->v[(r->head + (size_t)(n - first)) % r->cap];
}
