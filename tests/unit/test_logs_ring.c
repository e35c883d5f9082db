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
	assert_string_equal(grep(&f, r), "2* -- 7* ");
	assert_true(log_filter_add(&f, false, " 404", &err));
	assert_string_equal(grep(&f, r), "2* -- 7* -- 9* ");
	assert_true(log_filter_add(&f, true, "/h", &err));
	assert_string_equal(grep(&f, r), "2* -- 9* ");
	assert_false(log_filter_add(&f, true, "[", &err));
	log_filter_free(&f);

	/* exclude only */
	log_filter_init(&f);
	assert_true(log_filter_add(&f, true, " 200$", &err));
	assert_string_equal(grep(&f, r), "2* -- 7* -- 9* ");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrap),       cmocka_unit_test(test_grow_keeps_order),
	    cmocka_unit_test(test_byte_bound), cmocka_unit_test(test_many_chunks),
	    cmocka_unit_test(test_search),     cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_context),    cmocka_unit_test(test_grep_feed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
