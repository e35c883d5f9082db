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

/* ---- by_len: text read by its len only ---- */

/* Lines as "ts|cut|len|text\n", the text taken by its len (by_len text
 * is not NUL-terminated), and where the first lines' text was. */
struct seen {
	struct buf b;
	size_t n;
	const char *text[8];
};

static void on_line_seen(const struct log_line *l, void *ud)
{
	struct seen *w = ud;

	if (w->n < ARRAY_LEN(w->text))
		w->text[w->n] = l->text;
	w->n++;
	buf_printf(&w->b, "%lld|%zu|%zu|", (long long)l->ts_ns, l->cut, l->len);
	buf_append(&w->b, l->text, l->len);
	buf_putc(&w->b, '\n');
}

/* One line through log_splitter_line. */
static void line_seen(bool by_len, const char *line, size_t len, struct seen *w)
{
	struct log_splitter s;

	log_splitter_init(&s);
	s.by_len = by_len;
	log_splitter_line(&s, line, len, on_line_seen, w);
	log_splitter_free(&s);
}

/* in (n bytes) as a read of at bytes, then reads of step bytes, then the end. */
static void reads_seen(bool by_len, const char *in, size_t n, size_t at, size_t step,
		       struct seen *w)
{
	struct log_splitter s;

	log_splitter_init(&s);
	s.by_len = by_len;
	log_splitter_feed(&s, in, at, on_line_seen, w);
	for (size_t off = at; off < n; off += step)
		log_splitter_feed(&s, in + off, n - off < step ? n - off : step, on_line_seen, w);
	log_splitter_finish(&s, on_line_seen, w);
	log_splitter_free(&s);
}

static void seen_equal(const struct seen *a, const struct seen *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->b.len, b->b.len);
	if (a->b.len)
		assert_memory_equal(a->b.data, b->b.data, a->b.len);
}

static bool points_into(const char *p, const char *start, size_t n)
{
	return (uintptr_t)p >= (uintptr_t)start && (uintptr_t)p <= (uintptr_t)start + n;
}

/* A line that needs no cleaning comes as it was given: its text points
 * into the caller's bytes (after the timestamp and its space), is not
 * NUL-terminated, and has the bytes of the input. */
static void test_by_len_clean_line(void **state)
{
	static const char stamped[] = "2026-12-03T08:01:52.5Z plain text\tcaf\xc3\xa9 \xe2\x82\xac"
				      "X";
	static const char crlf[] = "ok then\rX";
	static const char reads[] = "first\nsecond\n";
	struct seen w = {BUF_INIT, 0, {NULL}};
	char *big;

	(void)state;
	line_seen(true, stamped, sizeof(stamped) - 2, &w); /* without the X */
	assert_int_equal(w.n, 1);
	assert_ptr_equal(w.text[0], stamped + 23);
	assert_string_equal(buf_str(&w.b), "1796284912500000000|0|20|plain text\tcaf\xc3\xa9 "
					   "\xe2\x82\xac\n");
	assert_int_equal(w.text[0][20], 'X'); /* the caller's next byte, no NUL */
	buf_free(&w.b);

	/* no timestamp: the line itself; a CR at its end is only left out */
	memset(&w, 0, sizeof(w));
	line_seen(true, crlf, sizeof(crlf) - 2, &w);
	assert_ptr_equal(w.text[0], crlf);
	assert_string_equal(buf_str(&w.b), "0|0|7|ok then\n");
	assert_int_equal(w.text[0][7], '\r');
	buf_free(&w.b);

	memset(&w, 0, sizeof(w));
	line_seen(true, reads, 0, &w);
	assert_string_equal(buf_str(&w.b), "0|0|0|\n");
	buf_free(&w.b);

	/* whole lines in one read point into it */
	memset(&w, 0, sizeof(w));
	reads_seen(true, reads, sizeof(reads) - 1, sizeof(reads) - 1, 1, &w);
	assert_int_equal(w.n, 2);
	assert_ptr_equal(w.text[0], reads);
	assert_ptr_equal(w.text[1], reads + 6);
	assert_string_equal(buf_str(&w.b), "0|0|5|first\n"
					   "0|0|6|second\n");
	buf_free(&w.b);

	/* LOG_LINE_KEEP bytes are not cut: passed as they came */
	big = malloc(LOG_LINE_KEEP + 1);
	assert_non_null(big);
	memset(big, 'a', LOG_LINE_KEEP);
	big[LOG_LINE_KEEP] = 'X';
	memset(&w, 0, sizeof(w));
	line_seen(true, big, LOG_LINE_KEEP, &w);
	assert_int_equal(w.n, 1);
	assert_ptr_equal(w.text[0], big);
	assert_int_equal(w.b.len, strlen("0|0|65536|\n") + LOG_LINE_KEEP);
	assert_memory_equal(w.b.data, "0|0|65536|", 10);
	buf_free(&w.b);
	free(big);
}

/* A line that needs cleaning gives the text the default gives, made in
 * the splitter's buffer, never written over the caller's bytes. */
static void test_by_len_cleaned_line(void **state)
{
	static const char *const unclean[] = {
	    "\x1b[1;31mERROR\x1b[0m done",
	    "2026-12-03T08:01:52Z \x1b]0;title\x07text",
	    "caf\xc3 \xff\xfe \xed\xa0\x80 \xc0\xaf end",
	    "C1 \xc2\x9b"
	    "31m and \x9b"
	    "2J",
	    "a\rb",
	    "two CRs\r\r",
	    "a lone ESC at the end\x1b",
	    "an incomplete character at the end \xe2\x82",
	    "0123456789abcdef0123456789abcdef0123456789\x01 after 42 printable bytes",
	    "0123456789abcdef\x7f",
	    "\x1b[H at the start",
	};
	char line[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(unclean); i++) {
		size_t len = strlen(unclean[i]);
		struct seen d = {BUF_INIT, 0, {NULL}}, b = {BUF_INIT, 0, {NULL}};

		/* the caller's copy, its next byte not a NUL */
		assert_true(len < sizeof(line));
		memcpy(line, unclean[i], len);
		line[len] = '\n';
		line_seen(false, line, len, &d);
		line_seen(true, line, len, &b);
		assert_int_equal(b.n, 1);
		seen_equal(&d, &b);
		assert_false(points_into(b.text[0], line, len));
		assert_memory_equal(line, unclean[i], len);
		buf_free(&d.b);
		buf_free(&b.b);
		memset(&d, 0, sizeof(d));
		memset(&b, 0, sizeof(b));
		/* in a read of its own, with its line break */
		reads_seen(false, line, len + 1, len + 1, 1, &d);
		reads_seen(true, line, len + 1, len + 1, 1, &b);
		seen_equal(&d, &b);
		assert_false(points_into(b.text[0], line, len));
		buf_free(&d.b);
		buf_free(&b.b);
	}
	/* a CR only at the end needs no cleaning: left out, the rest as it came */
	{
		struct seen d = {BUF_INIT, 0, {NULL}}, b = {BUF_INIT, 0, {NULL}};

		memcpy(line, "2026-12-03T08:01:52Z done\r\n", 27);
		line_seen(false, line, 26, &d);
		line_seen(true, line, 26, &b);
		seen_equal(&d, &b);
		assert_string_equal(buf_str(&b.b), "1796284912000000000|0|4|done\n");
		assert_ptr_equal(b.text[0], line + 21);
		buf_free(&d.b);
		buf_free(&b.b);
	}
}

/* Lines across reads, cut anywhere, give the lines the default gives in
 * one read; clean and unclean lines, timestamps and CRLF mixed. */
static void test_by_len_partial_lines(void **state)
{
	static const char stream[] = "2026-12-03T08:01:52.123456789Z first seq=1\n"
				     "2026-12-03T08:01:52.123456789Z \x1b[32msecond\x1b[0m\r\n"
				     "caf\xc3\xa9 \xe2\x82\xac and \xc3 broken\n"
				     "\n"
				     "2026-12-03T08:01:53Z a\tb\r\n"
				     "tail \x1b]0;t";
	const size_t n = sizeof(stream) - 1, steps[] = {n, 7, 1};
	struct seen want = {BUF_INIT, 0, {NULL}};

	(void)state;
	reads_seen(false, stream, n, n, 1, &want);
	assert_int_equal(want.n, 6);
	/* a first read of any length, then the rest in one, by 7 bytes or by 1 */
	for (size_t at = 0; at <= n; at++) {
		for (size_t k = 0; k < ARRAY_LEN(steps); k++) {
			struct seen d = {BUF_INIT, 0, {NULL}}, b = {BUF_INIT, 0, {NULL}};

			reads_seen(false, stream, n, at, steps[k], &d);
			reads_seen(true, stream, n, at, steps[k], &b);
			seen_equal(&want, &d);
			seen_equal(&want, &b);
			buf_free(&d.b);
			buf_free(&b.b);
		}
	}
	buf_free(&want.b);
}

/* A line past LOG_LINE_KEEP is cut as the default cuts it, whether it
 * comes whole, in reads or without a line break: clean or not, a
 * character across the limit, a CR as the last byte kept or past it. */
static void test_by_len_cut(void **state)
{
	const size_t n = LOG_LINE_KEEP + 10;
	const char *note = " [10 more bytes]\n";
	char *line = malloc(n + 1);

	(void)state;
	assert_non_null(line);
	for (int kind = 0; kind < 5; kind++) {
		struct seen want = {BUF_INIT, 0, {NULL}};
		const char *end;

		memset(line, 'b', n);
		if (kind == 1)
			memcpy(line + 100, "\x1b[1m", 4);
		if (kind == 2)
			memcpy(line + LOG_LINE_KEEP - 1, "\xe2\x82\xac", 3);
		if (kind == 3)
			line[LOG_LINE_KEEP - 1] = '\r';
		if (kind == 4)
			line[LOG_LINE_KEEP] = '\r';
		line[n] = '\n';
		line_seen(false, line, n, &want);
		assert_int_equal(want.n, 1);
		assert_memory_equal(want.b.data, "0|10|", 5);
		end = want.b.data + want.b.len - strlen(note);
		assert_memory_equal(end, note, strlen(note));
		if (kind == 2) /* the piece of the character is left out */
			assert_memory_equal(end - 2, "bb", 2);
		if (kind == 3) /* kept, so not a line's end: shown */
			assert_memory_equal(end - 3, "\xef\xbf\xbd", 3);
		for (int way = 0; way < 8; way++) {
			struct seen got = {BUF_INIT, 0, {NULL}};
			bool by_len = way & 1;

			if (way >> 1 == 0)
				line_seen(by_len, line, n, &got);
			else if (way >> 1 == 1) /* in reads of 4 KiB */
				reads_seen(by_len, line, n + 1, 0, 4096, &got);
			else if (way >> 1 == 2)
				reads_seen(by_len, line, n + 1, n + 1, 1, &got);
			else /* no line break: ended by finish */
				reads_seen(by_len, line, n, n, 1, &got);
			seen_equal(&want, &got);
			buf_free(&got.b);
		}
		buf_free(&want.b);
	}
	free(line);
}

/* --since's durations: Go's forms, rounded up to a second; out of range
 * told apart from no duration, neither of which sets the value. */
static void test_duration(void **state)
{
	static const struct {
		const char *text;
		long max;
		enum log_duration want;
		long secs; /* LOG_DURATION_OK */
	} cases[] = {
	    {"90s", 3600, LOG_DURATION_OK, 90},
	    {"1h30m", 36000, LOG_DURATION_OK, 5400},
	    {"1.5m", 3600, LOG_DURATION_OK, 90},
	    {"500ms", 3600, LOG_DURATION_OK, 1},
	    {".5h", 3600, LOG_DURATION_OK, 1800},
	    {"1h", 3600, LOG_DURATION_OK, 3600},
	    {"+2m", 3600, LOG_DURATION_OK, 120},
	    /* too large, or nothing at all */
	    {"1h1s", 3600, LOG_DURATION_OUT_OF_RANGE, 0},
	    {"99999999h", 3600, LOG_DURATION_OUT_OF_RANGE, 0},
	    {"0s", 3600, LOG_DURATION_OUT_OF_RANGE, 0},
	    {"0h0m", 3600, LOG_DURATION_OUT_OF_RANGE, 0},
	    /* no duration: no unit, a bad unit (even after one too large),
	     * what strtod would take but Go does not */
	    {"", 3600, LOG_DURATION_BAD, 0},
	    {"5", 3600, LOG_DURATION_BAD, 0},
	    {"5d", 3600, LOG_DURATION_BAD, 0},
	    {"9999h5x", 3600, LOG_DURATION_BAD, 0},
	    {"-5s", 3600, LOG_DURATION_BAD, 0},
	    {" 5s", 3600, LOG_DURATION_BAD, 0},
	    {"0x10s", 3600, LOG_DURATION_BAD, 0},
	    {"1e3s", 3600, LOG_DURATION_BAD, 0},
	    {"infh", 3600, LOG_DURATION_BAD, 0},
	    {".s", 3600, LOG_DURATION_BAD, 0},
	    {"+", 3600, LOG_DURATION_BAD, 0},
	    {"++1s", 3600, LOG_DURATION_BAD, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long v = -7;

		if (log_duration_parse(cases[i].text, cases[i].max, &v) != cases[i].want ||
		    v != (cases[i].want == LOG_DURATION_OK ? cases[i].secs : -7))
			fail_msg("\"%s\": got %ld", cases[i].text, v);
	}
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
	    cmocka_unit_test(test_by_len_clean_line),
	    cmocka_unit_test(test_by_len_cleaned_line),
	    cmocka_unit_test(test_by_len_partial_lines),
	    cmocka_unit_test(test_by_len_cut),
	    cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
