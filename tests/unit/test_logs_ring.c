/* The log ring (logs/ring.h) and its queries (logs/query.h): wrap, the
 * byte bound, the eviction count, search, include/exclude filters and
 * context around matches as grep -C gives it. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "logs/query.h"
#include "logs/ring.h"

static uint64_t push(struct log_ring *r, const char *text)
{
	return log_ring_push(r, 1, 0, text, strlen(text));
}

static void test_wrap(void **state)
{
	struct log_ring *r = log_ring_new(3, 1000);
	char text[16];

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		assert_int_equal(push(r, text), (uint64_t)i);
	}
	assert_int_equal(log_ring_count(r), 3);
	assert_int_equal(log_ring_evicted(r), 7);
	assert_int_equal(log_ring_first(r), 7);
	assert_int_equal(log_ring_end(r), 10);
	assert_null(log_ring_get(r, 6));
	assert_null(log_ring_get(r, 10));
	assert_string_equal(log_ring_get(r, 7)->text, "line 7");
	assert_string_equal(log_ring_get(r, 9)->text, "line 9");
	assert_int_equal(log_ring_bytes(r), 18);
	log_ring_clear(r);
	assert_int_equal(log_ring_count(r), 0);
	assert_int_equal(log_ring_bytes(r), 0);
	assert_int_equal(log_ring_evicted(r), 7); /* cleared is not evicted */
	assert_int_equal(push(r, "after"), 10);
	assert_string_equal(log_ring_get(r, 10)->text, "after");
	log_ring_free(r);
}

/* Grows past its first allocation, wraps, and keeps order and fields. */
static void test_grow_keeps_order(void **state)
{
	struct log_ring *r = log_ring_new(1000, 1u << 20);
	char text[16];

	(void)state;
	for (int i = 0; i < 2500; i++) {
		snprintf(text, sizeof(text), "%d", i);
		log_ring_push(r, (uint32_t)(i % 7), 1000 + i, text, strlen(text));
	}
	assert_int_equal(log_ring_count(r), 1000);
	for (uint64_t n = log_ring_first(r); n < log_ring_end(r); n++) {
		const struct log_entry *e = log_ring_get(r, n);

		snprintf(text, sizeof(text), "%d", (int)n);
		assert_string_equal(e->text, text);
		assert_int_equal(e->source, n % 7);
		assert_int_equal(e->ts_ns, 1000 + (int64_t)n);
	}
	log_ring_free(r);
}

/* Text spread over many chunks, some lines larger than a chunk, lines
 * going as new ones come: each held line reads back whole. */
static void test_many_chunks(void **state)
{
	struct log_ring *r = log_ring_new(700, 4u << 20);
	static char text[400 * 1024];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		size_t len = i % 97 == 0 ? sizeof(text) - 1 - (size_t)i : 500 + (size_t)(i % 300);

		memset(text, 'a' + i % 26, len);
		snprintf(text, 16, "%08d", i);
		text[8] = ' ';
		log_ring_push(r, 0, i, text, len);
		assert_true(log_ring_bytes(r) <= 4u << 20);
		if (i % 250 == 0 || i == 4999) {
			for (uint64_t n = log_ring_first(r); n < log_ring_end(r); n++) {
				const struct log_entry *e = log_ring_get(r, n);
				char head[16];

				snprintf(head, sizeof(head), "%08d ", (int)n);
				assert_memory_equal(e->text, head, 9);
				assert_int_equal(e->text[e->len - 1], 'a' + (int)(n % 26));
				assert_int_equal(e->text[e->len], '\0');
			}
		}
	}
	log_ring_clear(r);
	assert_int_equal(log_ring_count(r), 0);
	log_ring_push(r, 0, 0, "x", 1);
	assert_string_equal(log_ring_get(r, log_ring_end(r) - 1)->text, "x");
	log_ring_free(r);
}

static void test_byte_bound(void **state)
{
	struct log_ring *r = log_ring_new(100, 10);
	char big[64];

	(void)state;
	push(r, "aaaa");
	push(r, "bbbb");
	assert_int_equal(log_ring_bytes(r), 8);
	push(r, "cccc"); /* 12 > 10: the oldest goes */
	assert_int_equal(log_ring_count(r), 2);
	assert_int_equal(log_ring_bytes(r), 8);
	assert_int_equal(log_ring_evicted(r), 1);
	assert_string_equal(log_ring_get(r, log_ring_first(r))->text, "bbbb");
	/* a line longer than the bound is cut to it and alone */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	push(r, big);
	assert_int_equal(log_ring_count(r), 1);
	assert_int_equal(log_ring_bytes(r), 10);
	assert_int_equal(log_ring_get(r, log_ring_end(r) - 1)->len, 10);
	assert_int_equal(log_ring_evicted(r), 3);
	/* cut between characters: "ab" and three euro signs (11 bytes) keep two */
	push(r, "ab\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
	assert_int_equal(log_ring_get(r, log_ring_end(r) - 1)->len, 8);
	assert_string_equal(log_ring_get(r, log_ring_end(r) - 1)->text,
			    "ab\xe2\x82\xac\xe2\x82\xac");
	log_ring_free(r);
}

static struct log_ring *sample(void)
{
	static const char *const lines[] = {
	    "GET /a 200", "GET /b 200", "GET /c 500", "GET /d 200", "GET /e 200",
	    "GET /f 200", "GET /g 200", "GET /h 500", "GET /i 200", "GET /j 404",
	};
	struct log_ring *r = log_ring_new(100, 10000);

	for (size_t i = 0; i < ARRAY_LEN(lines); i++)
		push(r, lines[i]);
	return r;
}

static void test_search(void **state)
{
	struct log_ring *r = sample();
	struct log_regex rx;
	struct log_span sp[4];
	struct err err = {{0}};

	(void)state;
	assert_true(log_regex_compile(&rx, " 5[0-9]{2}$", false, &err));
	assert_int_equal(log_ring_search(r, &rx, 0, false), 2);
	assert_int_equal(log_ring_search(r, &rx, 3, false), 7);
	assert_int_equal(log_ring_search(r, &rx, 8, false), LOG_NOT_FOUND);
	assert_int_equal(log_ring_search(r, &rx, 6, true), 2);
	assert_int_equal(log_ring_search(r, &rx, 100, true), 7);
	assert_int_equal(log_ring_search(r, &rx, 1, true), LOG_NOT_FOUND);
	log_regex_free(&rx);

	assert_true(log_regex_compile(&rx, "get", true, &err));
	assert_int_equal(log_ring_search(r, &rx, 0, false), 0);
	assert_int_equal(log_regex_spans(&rx, "GET get x gEt", sp, 4), 3);
	assert_int_equal(sp[1].start, 4);
	assert_int_equal(sp[1].end, 7);
	assert_int_equal(sp[2].start, 10);
	log_regex_free(&rx);

	assert_false(log_regex_compile(&rx, "a(b", false, &err));
	assert_non_null(strstr(err.msg, "\"a(b\" is not a valid regular expression"));
	log_ring_free(r);
}

struct shown {
	struct buf b;
};

static void record(uint64_t n, enum log_mark mark, bool gap, void *ud)
{
	struct shown *s = ud;

	buf_printf(&s->b, "%s%llu%s ", gap ? "-- " : "", (unsigned long long)n,
		   mark == LOG_MARK_MATCH ? "*" : "");
}

static const char *grep(const struct log_filter *f, const struct log_ring *r)
{
	static struct shown s;

	buf_reset(&s.b);
	log_grep_ring(f, r, record, &s);
	return buf_str(&s.b);
}

static void test_filters(void **state)
{
	struct log_ring *r = sample();
	struct log_filter f;
	struct err err = {{0}};

	(void)state;
	log_filter_init(&f);
	assert_true(log_filter_none(&f));
	assert_string_equal(grep(&f, r), "0* 1* 2* 3* 4* 5* 6* 7* 8* 9* ");
	assert_true(log_filter_add(&f, false, " 500", &err));
	assert_string_equal(grep(&f, r), "2* 7* ");
	assert_true(log_filter_add(&f, false, " 404", &err));
	assert_string_equal(grep(&f, r), "2* 7* 9* ");
	assert_true(log_filter_add(&f, true, "/h", &err));
	assert_string_equal(grep(&f, r), "2* 9* ");
	assert_false(log_filter_add(&f, true, "[", &err));
	log_filter_free(&f);

	/* exclude only */
	log_filter_init(&f);
	assert_true(log_filter_add(&f, true, " 200$", &err));
	assert_string_equal(grep(&f, r), "2* 7* 9* ");
	log_filter_free(&f);
	log_ring_free(r);
}

static void test_context(void **state)
{
	struct log_ring *r = sample();
	struct log_filter f;
	struct err err = {{0}};

	(void)state;
	log_filter_init(&f);
	assert_true(log_filter_add(&f, false, " 500", &err));
	log_filter_context(&f, 1, 1);
	assert_string_equal(grep(&f, r), "1 2* 3 -- 6 7* 8 ");
	log_filter_context(&f, 2, 2);
	/* groups that touch are one group, as grep -C prints them */
	assert_string_equal(grep(&f, r), "0 1 2* 3 4 5 6 7* 8 9 ");
	log_filter_context(&f, 0, 3);
	assert_string_equal(grep(&f, r), "2* 3 4 5 -- 7* 8 9 ");
	log_filter_context(&f, 3, 0);
	assert_string_equal(grep(&f, r), "0 1 2* -- 4 5 6 7* ");
	/* without context, no separator: grep prints -- only with one */
	log_filter_context(&f, 0, 0);
	assert_string_equal(grep(&f, r), "2* 7* ");
	log_filter_context(&f, 0, 1);
	assert_string_equal(grep(&f, r), "2* 3 -- 7* 8 ");
	log_filter_context(&f, 1, 0);
	assert_string_equal(grep(&f, r), "1 2* -- 6 7* ");
	log_filter_free(&f);

	/* context before reaches only lines the ring still holds */
	log_filter_init(&f);
	assert_true(log_filter_add(&f, false, "keep", &err));
	log_filter_context(&f, 5, 0);
	{
		struct log_ring *small = log_ring_new(3, 1000);

		push(small, "a");
		push(small, "b");
		push(small, "c");
		push(small, "d");
		push(small, "keep");
		assert_string_equal(grep(&f, small), "2 3 4* ");
		log_ring_free(small);
	}
	log_filter_free(&f);
	log_ring_free(r);
}

/* Fed line by line as they arrive, the filter shows what it shows over
 * the whole ring. */
static void test_grep_feed(void **state)
{
	struct log_ring *r = log_ring_new(100, 10000);
	struct log_filter f;
	struct log_grep g;
	struct shown s = {BUF_INIT};
	struct err err = {{0}};
	static const char *const lines[] = {"x", "x", "ERR", "x", "x", "x", "x", "ERR", "ERR", "x"};

	(void)state;
	log_filter_init(&f);
	assert_true(log_filter_add(&f, false, "ERR", &err));
	log_filter_context(&f, 1, 2);
	log_grep_init(&g, &f);
	for (size_t i = 0; i < ARRAY_LEN(lines); i++)
		log_grep_feed(&g, r, push(r, lines[i]), record, &s);
	assert_string_equal(buf_str(&s.b), "1 2* 3 4 -- 6 7* 8* 9 ");
	assert_string_equal(grep(&f, r), buf_str(&s.b));
	buf_free(&s.b);
	log_filter_free(&f);
	log_ring_free(r);
}

/* ---- merging a late batch by time ---- */

static void push_ts(struct log_ring *r, uint32_t source, int64_t ts, const char *text)
{
	log_ring_push(r, source, ts, text, strlen(text));
}

static struct log_ring_line line_at(int64_t ts, const char *text)
{
	return (struct log_ring_line){ts, 9, strlen(text), text};
}

/* The texts the ring holds, oldest first, joined by spaces. */
static const char *held(const struct log_ring *r, struct buf *b)
{
	buf_reset(b);
	for (uint64_t n = log_ring_first(r); n < log_ring_end(r); n++) {
		if (b->len)
			buf_putc(b, ' ');
		buf_puts(b, log_ring_get(r, n)->text);
	}
	return buf_str(b);
}

/* A late batch goes where its timestamps put it, in one merge; the lines
 * held keep their order and say where they went. */
static void test_merge_order(void **state)
{
	struct log_ring *r = log_ring_new(100, 10000);
	struct log_ring_line late[] = {line_at(15, "h15"), line_at(35, "h35"), line_at(60, "h60")};
	uint64_t nums[3];
	struct buf b = BUF_INIT;

	(void)state;
	push_ts(r, 1, 10, "a10");
	push_ts(r, 2, 20, "b20");
	push_ts(r, 1, 30, "a30");
	push_ts(r, 2, 40, "b40");
	push_ts(r, 1, 50, "a50");
	assert_true(log_ring_merge(r, late, 3, nums));
	assert_string_equal(held(r, &b), "a10 h15 b20 a30 h35 b40 a50 h60");
	assert_int_equal(log_ring_count(r), 8);
	assert_int_equal(log_ring_end(r), 8);
	assert_int_equal(log_ring_evicted(r), 0);
	assert_int_equal(log_ring_bytes(r), 24);
	assert_int_equal(nums[0], 1);
	assert_int_equal(nums[1], 4);
	assert_int_equal(nums[2], 7);
	assert_int_equal(log_ring_get(r, 4)->source, 9);
	assert_int_equal(log_ring_get(r, 4)->ts_ns, 35);
	/* the numbers the lines had, and where they are now */
	assert_int_equal(log_ring_moved(r, 0), 0);
	assert_int_equal(log_ring_moved(r, 1), 2);
	assert_int_equal(log_ring_moved(r, 2), 3);
	assert_int_equal(log_ring_moved(r, 3), 5);
	assert_int_equal(log_ring_moved(r, 4), 6);
	assert_int_equal(log_ring_moved(r, 5), 8); /* the end then is the end now */
	/* a later push takes the next number and moves nothing */
	push_ts(r, 1, 70, "a70");
	assert_int_equal(log_ring_end(r), 9);
	assert_string_equal(log_ring_get(r, 8)->text, "a70");
	/* a batch not older than the newest is pushed: nothing moves */
	{
		struct log_ring_line now[] = {line_at(70, "h70"), line_at(80, "h80")};

		assert_false(log_ring_merge(r, now, 2, nums));
		assert_int_equal(nums[0], 9);
		assert_int_equal(nums[1], 10);
		assert_int_equal(log_ring_moved(r, 3), 3);
	}
	assert_string_equal(held(r, &b), "a10 h15 b20 a30 h35 b40 a50 h60 a70 h70 h80");
	/* all older than everything held, and into an empty ring */
	{
		struct log_ring_line old[] = {line_at(1, "h1"), line_at(2, "h2")};
		struct log_ring *e = log_ring_new(10, 100);

		assert_true(log_ring_merge(r, old, 2, nums));
		assert_int_equal(nums[0], 0);
		assert_int_equal(nums[1], 1);
		assert_int_equal(log_ring_moved(r, 0), 2);
		assert_string_equal(held(r, &b),
				    "h1 h2 a10 h15 b20 a30 h35 b40 a50 h60 a70 h70 h80");
		assert_false(log_ring_merge(e, old, 2, nums));
		assert_string_equal(held(e, &b), "h1 h2");
		assert_false(log_ring_merge(e, old, 0, NULL));
		log_ring_free(e);
	}
	buf_free(&b);
	log_ring_free(r);
}

/* Equal timestamps keep the order they came in: the lines held first,
 * then the batch's, in its order. */
static void test_merge_equal_timestamps(void **state)
{
	struct log_ring *r = log_ring_new(100, 10000);
	struct log_ring_line late[] = {line_at(20, "x20"), line_at(20, "y20"), line_at(30, "z30")};
	struct buf b = BUF_INIT;

	(void)state;
	push_ts(r, 1, 10, "a10");
	push_ts(r, 1, 20, "b20");
	push_ts(r, 2, 20, "c20");
	push_ts(r, 2, 30, "d30");
	push_ts(r, 1, 40, "e40");
	assert_true(log_ring_merge(r, late, 3, NULL));
	assert_string_equal(held(r, &b), "a10 b20 c20 x20 y20 d30 z30 e40");
	/* lines held out of order (two streams): a line goes after the
	 * first line, scanning back from the newest, not newer than it */
	log_ring_clear(r);
	push_ts(r, 1, 50, "p50");
	push_ts(r, 2, 45, "q45");
	push_ts(r, 1, 60, "p60");
	{
		struct log_ring_line one[] = {line_at(55, "h55")};

		assert_true(log_ring_merge(r, one, 1, NULL));
	}
	assert_string_equal(held(r, &b), "p50 q45 h55 p60");
	buf_free(&b);
	log_ring_free(r);
}

/* The bounds hold after a merge as after pushes: the oldest lines go,
 * merged ones too, and they are counted. */
static void test_merge_bounds(void **state)
{
	struct log_ring *r = log_ring_new(5, 10000);
	struct log_ring_line late[] = {line_at(5, "h05"), line_at(25, "h25")};
	uint64_t nums[2];
	struct buf b = BUF_INIT;

	(void)state;
	push_ts(r, 1, 10, "a10");
	push_ts(r, 1, 20, "a20");
	push_ts(r, 1, 30, "a30");
	push_ts(r, 1, 40, "a40");
	push_ts(r, 1, 50, "a50");
	assert_true(log_ring_merge(r, late, 2, nums));
	assert_string_equal(held(r, &b), "a20 h25 a30 a40 a50");
	assert_int_equal(log_ring_count(r), 5);
	assert_int_equal(log_ring_evicted(r), 2);
	assert_int_equal(log_ring_first(r), 2);
	assert_int_equal(log_ring_end(r), 7);
	assert_int_equal(log_ring_bytes(r), 15);
	/* the first merged line went at once; the second is there */
	assert_int_equal(nums[0], 0);
	assert_null(log_ring_get(r, nums[0]));
	assert_int_equal(nums[1], 3);
	assert_string_equal(log_ring_get(r, nums[1])->text, "h25");
	/* the byte bound: 5 lines of 3 bytes in 16; a 10-byte line merged
	 * in the middle sends the three oldest */
	log_ring_free(r);
	r = log_ring_new(100, 16);
	push_ts(r, 1, 10, "a10");
	push_ts(r, 1, 20, "a20");
	push_ts(r, 1, 30, "a30");
	push_ts(r, 1, 40, "a40");
	push_ts(r, 1, 50, "a50");
	{
		struct log_ring_line big[] = {line_at(35, "h35xxxxxxx")};

		assert_true(log_ring_merge(r, big, 1, nums));
	}
	assert_string_equal(held(r, &b), "h35xxxxxxx a40 a50");
	assert_int_equal(log_ring_bytes(r), 16);
	assert_int_equal(log_ring_evicted(r), 3);
	assert_int_equal(nums[0], 3);
	assert_int_equal(log_ring_first(r), 3);
	/* pushes go on from there, evicting the merged line in its turn */
	push_ts(r, 1, 60, "a60");
	assert_string_equal(held(r, &b), "a40 a50 a60");
	assert_int_equal(log_ring_evicted(r), 4);
	buf_free(&b);
	log_ring_free(r);
}

/* Merged lines' text lives in newer chunks than the lines around them:
 * every line reads back whole while chunks fill and go, and all go in
 * the end. */
static void test_merge_chunks(void **state)
{
	struct log_ring *r = log_ring_new(2000, 4u << 20);
	static char text[100 * 1024];
	struct log_ring_line late[40];
	char tag[40][16];
	int64_t ts = 0;

	(void)state;
	for (int round = 0; round < 30; round++) {
		/* 50 pushed lines of 1-100 KiB, then 40 merged among them */
		for (int i = 0; i < 50; i++) {
			size_t len = 1024u * (size_t)(1 + (round * 50 + i) % 100);

			memset(text, 'a' + (i % 26), len);
			snprintf(text, 16, "%lld", (long long)(ts += 10));
			text[strlen(text)] = '-';
			log_ring_push(r, 1, ts, text, len);
		}
		for (int i = 0; i < 40; i++) {
			snprintf(tag[i], sizeof(tag[i]), "%lld", (long long)(ts - 495 + i * 10));
			late[i] = line_at(ts - 495 + i * 10, tag[i]);
		}
		log_ring_merge(r, late, 40, NULL);
		assert_true(log_ring_bytes(r) <= 4u << 20);
		/* in time order, each text starting with its own timestamp */
		for (uint64_t n = log_ring_first(r); n < log_ring_end(r); n++) {
			const struct log_entry *e = log_ring_get(r, n);
			char want[24];

			snprintf(want, sizeof(want), "%lld", (long long)e->ts_ns);
			assert_memory_equal(e->text, want, strlen(want));
			assert_int_equal(strlen(e->text), e->len);
			if (n > log_ring_first(r))
				assert_true(log_ring_get(r, n - 1)->ts_ns <= e->ts_ns);
		}
	}
	assert_true(log_ring_evicted(r) > 0);
	log_ring_clear(r);
	assert_int_equal(log_ring_bytes(r), 0);
	push_ts(r, 1, 1, "x");
	assert_string_equal(log_ring_get(r, log_ring_end(r) - 1)->text, "x");
	log_ring_free(r);
}

/* Once the ring empties (cleared, or a push that evicts every line), a
 * line longer than a chunk and all that follow still free the text of
 * the lines that go: the storage stays near what is held. */
static void test_chunks_after_empty(void **state)
{
	static char big[300 * 1024];
	size_t held_max = 12 * sizeof(big) + (1u << 20);

	(void)state;
	memset(big, 'b', sizeof(big));
	for (int how = 0; how < 2; how++) {
		struct log_ring *r = log_ring_new(10, how ? sizeof(big) : 64u << 20);

		for (int i = 0; i < 10; i++)
			push(r, "small");
		if (how == 0)
			log_ring_clear(r); /* else the first big line evicts them all */
		for (int i = 0; i < 200; i++) {
			log_ring_push(r, 1, 0, big, sizeof(big));
			assert_true(log_ring_chunk_bytes(r) <= held_max);
		}
		for (int i = 0; i < 200; i++) {
			push(r, "small again");
			assert_true(log_ring_chunk_bytes(r) <= held_max);
		}
		assert_true(log_ring_chunk_bytes(r) <= (1u << 20));
		log_ring_free(r);
	}
}

struct full_seen {
	struct log_ring *r;
	unsigned calls;
	size_t count;
	uint64_t evicted;
};

static void full_told(void *ud)
{
	struct full_seen *f = ud;

	f->calls++;
	f->count = log_ring_count(f->r);
	f->evicted = log_ring_evicted(f->r);
}

/* on_full comes before a line would go, the ring as it was: once for a
 * push that evicts, once for a merge, never while there is room. */
static void test_on_full(void **state)
{
	struct log_ring *r = log_ring_new(3, 1000);
	struct full_seen f = {.r = r};
	struct log_ring_line late[] = {line_at(1, "a"), line_at(2, "b")};
	struct log_ring_line newer[] = {line_at(50, "c"), line_at(51, "d")};

	(void)state;
	log_ring_on_full(r, full_told, &f);
	push_ts(r, 1, 10, "x");
	push_ts(r, 1, 20, "y");
	push_ts(r, 1, 30, "z");
	assert_int_equal(f.calls, 0);
	push_ts(r, 1, 40, "w");
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.count, 3);
	assert_int_equal(f.evicted, 0);
	log_ring_merge(r, late, 2, NULL);
	assert_int_equal(f.calls, 2);
	assert_int_equal(f.evicted, 1);
	log_ring_merge(r, newer, 2, NULL); /* pushed: told once */
	assert_int_equal(f.calls, 3);
	log_ring_on_full(r, NULL, NULL);
	push_ts(r, 1, 60, "v");
	assert_int_equal(f.calls, 3);
	log_ring_free(r);
}

/* What a paused view does with a merge (ui/pane_logs.c): it holds the
 * number of its top line and asks where that line went, so the line at
 * the top stays there; a line merged just before it goes above it, out
 * of sight, and one merged below it shows in its place. */
static void test_merge_view_position(void **state)
{
	struct log_ring *r = log_ring_new(100, 10000);
	struct log_ring_line late[] = {line_at(25, "h25"), line_at(29, "h29"), line_at(31, "h31")};
	uint64_t top;

	(void)state;
	push_ts(r, 1, 10, "a10");
	push_ts(r, 1, 20, "a20");
	push_ts(r, 1, 30, "a30");
	push_ts(r, 1, 40, "a40");
	top = 2; /* the view's top line: a30 */
	assert_true(log_ring_merge(r, late, 3, NULL));
	top = log_ring_moved(r, top);
	assert_string_equal(log_ring_get(r, top)->text, "a30");
	assert_string_equal(log_ring_get(r, top - 1)->text, "h29");
	assert_string_equal(log_ring_get(r, top + 1)->text, "h31");
	assert_string_equal(log_ring_get(r, top + 2)->text, "a40");
	log_ring_free(r);
}

/* ---- merges against a model ---- */

/* What the ring should hold: every line ever put, in order, numbered by
 * place; those from `first` on are held. */
struct model {
	int64_t ts[4096];
	char text[4096][12];
	size_t n, first, max_lines, max_bytes;
	uint64_t evicted;
};

static size_t model_bytes(const struct model *m)
{
	size_t b = 0;

	for (size_t i = m->first; i < m->n; i++)
		b += strlen(m->text[i]);
	return b;
}

/* A merge as the ring's contract says: scanning back from the newest held,
 * each line goes after the first not newer than it, after the lines of
 * the batch that follow it; then the oldest go while a bound is passed
 * (one line stays). nums get the numbers. */
static void model_merge(struct model *m, const struct log_ring_line *lines, size_t k,
			uint64_t *nums, uint64_t *moved)
{
	size_t at[64], held = m->n - m->first, i = held;
	int64_t ts[4096];
	char text[4096][12];
	size_t t = 0, j = 0;

	for (size_t q = k; q-- > 0;) {
		while (i > 0 && m->ts[m->first + i - 1] > lines[q].ts_ns)
			i--;
		at[q] = i;
	}
	/* a held line's number moves up by the batch lines put before it */
	for (size_t h = 0, q = 0; h < held; h++) {
		while (q < k && at[q] <= h)
			q++;
		moved[h] = m->first + h + q;
	}
	for (size_t h = 0; h <= held; h++) {
		while (j < k && at[j] == h) {
			nums[j] = m->first + h + j;
			ts[t] = lines[j].ts_ns;
			snprintf(text[t++], sizeof(text[0]), "%s", lines[j].text);
			j++;
		}
		if (h < held) {
			ts[t] = m->ts[m->first + h];
			snprintf(text[t++], sizeof(text[0]), "%s", m->text[m->first + h]);
		}
	}
	for (size_t q = 0; q < t; q++) {
		m->ts[m->first + q] = ts[q];
		memcpy(m->text[m->first + q], text[q], sizeof(text[0]));
	}
	m->n = m->first + t;
	while (m->n - m->first > 1 &&
	       (m->n - m->first > m->max_lines || model_bytes(m) > m->max_bytes)) {
		m->first++;
		m->evicted++;
	}
}

static uint64_t rand_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random pushes and late batches, some timestamps equal, some lines held
 * out of time order, under small bounds of lines and of bytes: the ring
 * holds what the model holds, numbered alike, and counts the same. */
static void test_merge_random(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int round = 0; round < 300; round++) {
		static struct model m;
		struct log_ring *r;
		struct buf b = BUF_INIT, want = BUF_INIT;
		int64_t clock = 1000;
		char texts[64][12];

		memset(&m, 0, sizeof(m));
		/* small bounds, and now and then ones a merge grows the array to */
		m.max_lines = 1 + rand_next(&x) % (round % 4 ? 40 : 700);
		m.max_bytes = 8 + rand_next(&x) % (round % 4 ? 200 : 6000);
		r = log_ring_new(m.max_lines, m.max_bytes);
		for (int step = 0; step < 60 && m.n < 3000; step++) {
			if (rand_next(&x) % 3) {
				/* pushes: mostly later, now and then a little earlier */
				int pushes = (int)(rand_next(&x) % (round % 4 ? 6 : 60));

				for (int q = 0; q < pushes; q++) {
					clock += (int64_t)(rand_next(&x) % 5) - 1;
					snprintf(m.text[m.n], sizeof(m.text[0]), "p%zu", m.n);
					m.ts[m.n] = clock;
					log_ring_push(r, 1, clock, m.text[m.n], strlen(m.text[m.n]));
					m.n++;
					while (m.n - m.first > 1 && (m.n - m.first > m.max_lines ||
								     model_bytes(&m) > m.max_bytes)) {
						m.first++;
						m.evicted++;
					}
				}
			} else {
				/* a batch in time order from somewhere in the past */
				struct log_ring_line lines[64];
				uint64_t got[64], exp[64], moved[4096];
				uint64_t first = m.first, held = m.n - m.first;
				size_t k = 1 + rand_next(&x) % 20;
				int64_t t0 = clock - (int64_t)(rand_next(&x) % 60);

				for (size_t q = 0; q < k; q++) {
					t0 += (int64_t)(rand_next(&x) % 3);
					snprintf(texts[q], sizeof(texts[0]), "m%d.%zu", step, q);
					lines[q] = line_at(t0, texts[q]);
				}
				log_ring_merge(r, lines, k, got);
				model_merge(&m, lines, k, exp, moved);
				for (size_t q = 0; q < k; q++)
					assert_int_equal(got[q], exp[q]);
				for (uint64_t h = 0; h < held; h++)
					assert_int_equal(log_ring_moved(r, first + h), moved[h]);
			}
			buf_reset(&want);
			for (size_t q = m.first; q < m.n; q++)
				buf_printf(&want, "%s%s", q > m.first ? " " : "", m.text[q]);
			assert_string_equal(held(r, &b), buf_str(&want));
			assert_int_equal(log_ring_first(r), m.first);
			assert_int_equal(log_ring_end(r), m.n);
			assert_int_equal(log_ring_evicted(r), m.evicted);
			assert_int_equal(log_ring_bytes(r), model_bytes(&m));
		}
		buf_free(&b);
		buf_free(&want);
		log_ring_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_grow_keeps_order),
	    cmocka_unit_test(test_byte_bound),
	    cmocka_unit_test(test_many_chunks),
	    cmocka_unit_test(test_search),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_context),
	    cmocka_unit_test(test_grep_feed),
	    cmocka_unit_test(test_merge_order),
	    cmocka_unit_test(test_merge_equal_timestamps),
	    cmocka_unit_test(test_merge_bounds),
	    cmocka_unit_test(test_merge_chunks),
	    cmocka_unit_test(test_merge_view_position),
	    cmocka_unit_test(test_merge_random),
	    cmocka_unit_test(test_chunks_after_empty),
	    cmocka_unit_test(test_on_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
