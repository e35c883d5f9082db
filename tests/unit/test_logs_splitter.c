/* The log line splitter (logs/splitter.h): lines across reads, kubelet
 * timestamps, 1 MiB lines, invalid UTF-8 and terminal escape sequences. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "logs/splitter.h"

struct got {
	struct buf b; /* "ts|text|cut\n" per line */
	size_t n;
	size_t maxlen;
	char tail[32]; /* the end of the last line */
};

static void on_line(const struct log_line *l, void *ud)
{
	struct got *g = ud;

	assert_int_equal(strlen(l->text), l->len);
	if (l->len > g->maxlen)
		g->maxlen = l->len;
	g->n++;
	snprintf(g->tail, sizeof(g->tail), "%s", l->text + (l->len > 20 ? l->len - 20 : 0));
	if (l->len < 200)
		buf_printf(&g->b, "%lld|%s|%zu\n", (long long)l->ts_ns, l->text, l->cut);
}

static const char *clean(const char *in)
{
	static struct buf b;

	buf_reset(&b);
	log_text_clean(&b, in, strlen(in), false);
	return buf_str(&b);
}

static void test_partial_lines(void **state)
{
	static const char stream[] = "2026-12-03T08:01:52.123456789Z first seq=1\n"
				     "2026-12-03T08:01:52.123456789Z second seq=2\r\n"
				     "2026-12-03T08:01:53Z third\n"
				     "no stamp\n"
				     "tail";
	struct log_splitter s;

	(void)state;
	/* every way of cutting the stream into two reads gives the same lines */
	for (size_t cut = 0; cut <= sizeof(stream) - 1; cut++) {
		struct got g = {BUF_INIT, 0, 0, ""};

		log_splitter_init(&s);
		log_splitter_feed(&s, stream, cut, on_line, &g);
		log_splitter_feed(&s, stream + cut, sizeof(stream) - 1 - cut, on_line, &g);
		assert_int_equal(g.n, 4);
		log_splitter_finish(&s, on_line, &g);
		assert_string_equal(buf_str(&g.b), "1796284912123456789|first seq=1|0\n"
						   "1796284912123456789|second seq=2|0\n"
						   "1796284913000000000|third|0\n"
						   "0|no stamp|0\n"
						   "0|tail|0\n");
		buf_free(&g.b);
		log_splitter_free(&s);
	}
	/* byte by byte */
	{
		struct got g = {BUF_INIT, 0, 0, ""};

		log_splitter_init(&s);
		for (size_t i = 0; i < sizeof(stream) - 1; i++)
			log_splitter_feed(&s, stream + i, 1, on_line, &g);
		log_splitter_finish(&s, on_line, &g);
		assert_int_equal(g.n, 5);
		buf_free(&g.b);
		log_splitter_free(&s);
	}
}

static void test_timestamps(void **state)
{
	int64_t ns = 0;
	char out[LOG_TIME_SIZE];
	static const char *const bad[] = {
	    "2026-12-03 08:01:52Z x", "2026-13-03T08:01:52Z x",	    "2026-02-30T08:01:52Z x",
	    "2026-12-03T08:01:52 x",  "2026-12-03T08:01:52.Z x",    "1969-12-31T23:59:59Z x",
	    "2026-12-03T08:01:5xZ x", "2026-12-03T08:01:52+0100 x",
	};

	(void)state;
	assert_int_equal(log_time_parse("2026-12-03T08:01:52.5Z x", 24, &ns), 22);
	assert_int_equal(ns, 1796284912500000000LL);
	log_time_format(ns, true, out);
	assert_string_equal(out, "2026-12-03T08:01:52.500000000Z");
	log_time_format(ns, false, out);
	assert_string_equal(out, "2026-12-03T08:01:52Z");
	/* more than nine digits: the rest is ignored */
	assert_true(log_time_parse("2026-12-03T08:01:52.1234567891Z", 31, &ns) == 31);
	assert_int_equal(ns % 1000000000, 123456789);
	/* an offset */
	assert_true(log_time_parse("2026-12-03T10:01:52+02:00 x", 27, &ns) == 25);
	assert_int_equal(ns, 1796284912000000000LL);
	assert_true(log_time_parse("2024-02-29T00:00:00Z", 20, &ns) == 20);
	log_time_format(ns, false, out);
	assert_string_equal(out, "2024-02-29T00:00:00Z");
	assert_true(log_time_parse("1970-01-01T00:00:00.000000001Z", 30, &ns) == 30);
	assert_int_equal(ns, 1);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(log_time_parse(bad[i], strlen(bad[i]), &ns), 0);
	/* never reads past len */
	assert_int_equal(log_time_parse("2026-12-03T08:01:52.123Z", 23, &ns), 0);
}

static void test_long_lines(void **state)
{
	size_t big = 3u * 1024u * 1024u + 17;
	char *line = malloc(big + 1);
	struct log_splitter s;
	struct got g = {BUF_INIT, 0, 0, ""};

	(void)state;
	memcpy(line, "2026-12-03T08:01:52Z ", 21);
	memset(line + 21, 'a', big - 21);
	line[big] = '\n';
	log_splitter_init(&s);
	/* in reads of 4 KiB: never more than LOG_LINE_KEEP is held */
	for (size_t off = 0; off < big + 1; off += 4096) {
		size_t n = big + 1 - off < 4096 ? big + 1 - off : 4096;

		log_splitter_feed(&s, line + off, n, on_line, &g);
		assert_true(s.part.cap <= 2 * LOG_LINE_KEEP);
	}
	assert_int_equal(g.n, 1);
	assert_true(g.maxlen < LOG_LINE_KEEP + 64);
	/* a whole line from the HTTP engine is cut the same way */
	g.maxlen = 0;
	log_splitter_line(&s, line, big, on_line, &g);
	assert_int_equal(g.n, 2);
	assert_true(g.maxlen < LOG_LINE_KEEP + 64);
	/* and the next line is whole */
	log_splitter_feed(&s, "short\n", 6, on_line, &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(buf_str(&g.b), "0|short|0\n");
	buf_free(&g.b);
	log_splitter_free(&s);

	/* the cut says how much went */
	{
		struct got h = {BUF_INIT, 0, 0, ""};

		log_splitter_init(&s);
		memset(line, 'b', LOG_LINE_KEEP + 10);
		log_splitter_line(&s, line, LOG_LINE_KEEP + 10, on_line, &h);
		assert_int_equal(h.n, 1);
		assert_string_equal(h.tail, "bbbbb [10 more bytes]" + 1);
		log_splitter_free(&s);
		buf_free(&h.b);
	}
	free(line);
}

static void test_unsafe_text(void **state)
{
	(void)state;
	assert_string_equal(clean("plain text\ttab"), "plain text\ttab");
	assert_string_equal(clean("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* colours and cursor moves go; the text stays */
	assert_string_equal(clean("\x1b[1;31mERROR\x1b[0m done"), "ERROR done");
	assert_string_equal(clean("a\x1b[2J\x1b[Hb"), "ab");
	/* a window title (OSC) ended by BEL or ST */
	assert_string_equal(clean("x\x1b]0;owned\x07y"), "xy");
	assert_string_equal(clean("x\x1b]8;;http://e\x1b\\link\x1b]8;;\x1b\\y"), "xlinky");
	/* charset and other two-byte escapes; a lone ESC at the end */
	assert_string_equal(clean("a\x1b(Bb\x1b"
				  "7c\x1b"),
			    "abc");
	/* control characters and DEL */
	assert_string_equal(clean("a\rb\bc\x7f"), "a\xef\xbf\xbd"
						  "b\xef\xbf\xbd"
						  "c\xef\xbf\xbd");
	/* invalid UTF-8: lone bytes, overlong forms, surrogates, C1 controls */
	assert_string_equal(clean("\xff"), "\xef\xbf\xbd");
	assert_string_equal(clean("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(clean("\xed\xa0\x80x"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
	assert_string_equal(clean("\xc2\x9b"
				  "31m"),
			    "\xef\xbf\xbd\xef\xbf\xbd"
			    "31m");
	assert_string_equal(clean("\x9b"
				  "2J"),
			    "\xef\xbf\xbd"
			    "2J");
	assert_string_equal(clean("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");
	{
		struct buf b = BUF_INIT;

		/* a line cut inside a character loses the piece, shown nothing */
		log_text_clean(&b, "ab\xe2\x82", 4, true);
		assert_string_equal(buf_str(&b), "ab");
		buf_free(&b);
	}
	/* NUL bytes inside a line do not end it */
	{
		struct log_splitter s;
		struct got g = {BUF_INIT, 0, 0, ""};

		log_splitter_init(&s);
		log_splitter_feed(&s, "a\0b\n", 4, on_line, &g);
		assert_string_equal(buf_str(&g.b), "0|a\xef\xbf\xbd"
						   "b|0\n");
		buf_free(&g.b);
		log_splitter_free(&s);
	}
}

/* The formatter written digit by digit agrees with gmtime and strftime,
 * and log_time_text with it, whether the second changes or not. */
static void test_time_format_agrees(void **state)
{
	struct log_time_text tt;
	char out[LOG_TIME_SIZE], want[64];
	int64_t ns = 0;
	uint64_t x = 88172645463325252ULL;

	(void)state;
	log_time_text_init(&tt);
	for (int i = 0; i < 20000; i++) {
		time_t secs;
		struct tm tm;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* mostly small steps (the same second), sometimes anywhere up to 2261 */
		ns = i % 7 == 0
			 ? (int64_t)(x % 9000000000ULL) * 1000000000 + (int64_t)(x % 1000000000)
			 : ns + (int64_t)(x % 300000000);
		secs = (time_t)(ns / 1000000000);
		assert_non_null(gmtime_r(&secs, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + strlen(want), sizeof(want) - strlen(want), ".%09lldZ",
			 (long long)(ns % 1000000000));
		log_time_format(ns, true, out);
		assert_string_equal(out, want);
		assert_string_equal(log_time_text(&tt, ns), want);
	}
}

/* Lines that share their second: each line's own fraction and zone are
 * read, and a line that only starts like a time has none. */
static void test_timestamps_same_second(void **state)
{
	struct log_splitter sp;
	struct got g = {BUF_INIT, 0, 0, ""};
	const char *in = "2026-12-03T08:01:52.5Z a\n"
			 "2026-12-03T08:01:52.25Z b\n"
			 "2026-12-03T08:01:52+01:00 c\n"
			 "2026-12-03T08:01:52x d\n"
			 "2026-12-03T08:01:53Z e\n"
			 "2026-12-03T08:01:60Z f\n"
			 "2026-12-03T08:01:60.1Z g\n";

	(void)state;
	log_splitter_init(&sp);
	log_splitter_feed(&sp, in, strlen(in), on_line, &g);
	assert_string_equal(buf_str(&g.b), "1796284912500000000|a|0\n"
					   "1796284912250000000|b|0\n"
					   "1796281312000000000|c|0\n"
					   "0|2026-12-03T08:01:52x d|0\n"
					   "1796284913000000000|e|0\n"
					   "1796284919999999999|f|0\n"
					   "1796284919999999999|g|0\n");
	log_splitter_free(&sp);
	buf_free(&g.b);
}

/* A byte to clean at every position of a longer printable line: the
 * word-at-a-time scan finds it wherever it is. */
static void test_unsafe_byte_anywhere(void **state)
{
	static const char bad[] = {'\x01', '\x1f', '\x7f', '\x80', '\xff'};
	char line[40], want[64];

	(void)state;
	for (size_t b = 0; b < sizeof(bad); b++) {
		for (size_t at = 0; at < 32; at++) {
			memset(line, 'a', 32);
			line[32] = '\0';
			line[at] = bad[b];
			snprintf(want, sizeof(want), "%.*s\xef\xbf\xbd%s", (int)at, line,
				 line + at + 1);
			assert_string_equal(clean(line), want);
		}
	}
	assert_string_equal(clean("abcdefgh\tijklmnop ~}"), "abcdefgh\tijklmnop ~}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_partial_lines),
	    cmocka_unit_test(test_timestamps),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_unsafe_text),
	    cmocka_unit_test(test_time_format_agrees),
	    cmocka_unit_test(test_timestamps_same_second),
	    cmocka_unit_test(test_unsafe_byte_anywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
