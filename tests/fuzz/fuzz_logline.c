/* libFuzzer target: log bytes through the line splitter, and the resume
 * de-duplication over timestamps drawn from the input.
 *
 * Splitter: any bytes, cut into reads where the input says, give the same
 * lines as the bytes in one read, and as its lines handed over one by one
 * (log_splitter_line, as the HTTP engine does); every line's text is valid
 * UTF-8 with no control character but a tab (no escape sequence, no C1
 * control), at most LOG_LINE_KEEP bytes of the line plus the note of what
 * was cut, and a timestamp that formats back to what was read, within its
 * second. A splitter whose caller reads text by its len only (by_len, as
 * the session's is) gives the same lines each way -- same timestamp, len,
 * cut and len bytes of text -- though a line it passes as it came is not
 * NUL-terminated. Every read and line is copied to a buffer of its own
 * size, so that reading past it is caught.
 *
 * Resume: the input is also read as a container's log -- a timestamp per
 * line that never goes back (many equal) -- and as where its stream drops;
 * each reconnect replays from the last timestamp's second. Every line must
 * come out exactly once, in order. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "logs/resume.h"
#include "logs/splitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct lines {
	struct buf all; /* each line's timestamp, cut, len and text, joined */
	size_t n;
};

static bool valid_text(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 4, cp = c & 0x07;
		else
			return false;
		if (i + k > n)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < 0xa0 || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += k;
	}
	return true;
}

/* What every line must be, its text read by its len only. */
static void check_line(const struct log_line *l)
{
	if (!valid_text((const unsigned char *)l->text, l->len))
		abort();
	if (l->len > 3 * LOG_LINE_KEEP + 64)
		abort();
	if (l->ts_ns) {
		char text[LOG_TIME_SIZE];
		int64_t back = 0;

		log_time_format(l->ts_ns, true, text);
		if (log_time_parse(text, strlen(text), &back) != strlen(text) || back != l->ts_ns)
			abort();
	}
}

static void record(struct lines *ls, const struct log_line *l)
{
	buf_printf(&ls->all, "%lld|%zu|%zu|", (long long)l->ts_ns, l->cut, l->len);
	buf_append(&ls->all, l->text, l->len);
	buf_putc(&ls->all, '\n');
	ls->n++;
}

static void on_line(const struct log_line *l, void *ud)
{
	if (strlen(l->text) != l->len)
		abort();
	check_line(l);
	record(ud, l);
}

/* by_len: the text may not end in a NUL, so it is never read as a string */
static void on_line_by_len(const struct log_line *l, void *ud)
{
	check_line(l);
	record(ud, l);
}

/* n bytes in a buffer of their own size (never of none: malloc(0) may give NULL) */
static char *copy_of(const uint8_t *data, size_t n)
{
	char *p = malloc(n ? n : 1);

	if (!p)
		abort();
	if (n)
		memcpy(p, data, n);
	return p;
}

static void feed_copy(struct log_splitter *s, const uint8_t *data, size_t n, log_line_fn fn,
		      struct lines *out)
{
	char *p = copy_of(data, n);

	log_splitter_feed(s, p, n, fn, out);
	free(p);
}

/* The input in one read, then in reads of 1 to 61 bytes where its bytes say. */
static void feed_all(struct log_splitter *s, const uint8_t *data, size_t size, log_line_fn fn,
		     struct lines *whole, struct lines *cut)
{
	size_t off = 0, step = size ? (size_t)data[0] % 61 + 1 : 1;

	feed_copy(s, data, size, fn, whole);
	log_splitter_finish(s, fn, whole);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;

		feed_copy(s, data + off, n, fn, cut);
		off += n;
		step = (size_t)data[off - 1] % 61 + 1;
	}
	log_splitter_finish(s, fn, cut);
}

/* The input's lines one by one without their line breaks; the last one
 * too if it has none, unless it is empty. */
static void feed_lines(struct log_splitter *s, const uint8_t *data, size_t size, log_line_fn fn,
		       struct lines *out)
{
	size_t off = 0;

	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (data + off)) : size - off;
		char *p = copy_of(data + off, len);

		log_splitter_line(s, p, len, fn, out);
		free(p);
		off += len + 1;
	}
}

static bool same_lines(const struct lines *a, const struct lines *b)
{
	return a->n == b->n && a->all.len == b->all.len &&
	       (a->all.len == 0 || memcmp(a->all.data, b->all.data, a->all.len) == 0);
}

static void split(const uint8_t *data, size_t size)
{
	struct log_splitter s, b;
	struct lines whole = {BUF_INIT, 0}, cut = {BUF_INIT, 0}, lines = {BUF_INIT, 0};
	struct lines b_whole = {BUF_INIT, 0}, b_cut = {BUF_INIT, 0}, b_lines = {BUF_INIT, 0};
	struct lines *all[] = {&whole, &cut, &lines, &b_whole, &b_cut, &b_lines};

	log_splitter_init(&s);
	log_splitter_init(&b);
	b.by_len = true;
	feed_all(&s, data, size, on_line, &whole, &cut);
	feed_lines(&s, data, size, on_line, &lines);
	feed_all(&b, data, size, on_line_by_len, &b_whole, &b_cut);
	feed_lines(&b, data, size, on_line_by_len, &b_lines);
	if (!same_lines(&whole, &cut) || !same_lines(&whole, &lines))
		abort();
	/* by_len changes nothing but where the text is */
	if (!same_lines(&whole, &b_whole) || !same_lines(&cut, &b_cut) ||
	    !same_lines(&lines, &b_lines))
		abort();
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		buf_free(&all[i]->all);
	log_splitter_free(&s);
	log_splitter_free(&b);
}

#define MAX_LINES 512

static void resume(const uint8_t *data, size_t size)
{
	int64_t ts[MAX_LINES];
	int out[MAX_LINES];
	size_t n = size / 2 < MAX_LINES ? size / 2 : MAX_LINES;
	size_t nout = 0, pos = 0, c = n, rounds = 0;
	int64_t t = 1796284912000000000LL;
	struct log_resume r;

	if (n == 0)
		return;
	/* the first half: each line's step in time (mostly none or a little) */
	for (size_t i = 0; i < n; i++) {
		uint8_t b = data[i];

		t += b < 128 ? 0 : b < 192 ? (int64_t)(b - 127) : (int64_t)(b - 191) * 150000000LL;
		ts[i] = t;
	}
	log_resume_init(&r);
	/* the second half: lines each connection gives before it drops */
	while (pos < n) {
		/* after 2n connections, one that gives everything */
		size_t limit = c < size && ++rounds < 2 * n ? data[c++] % 8 : n;

		for (size_t sent = 0; pos < n && sent < limit; pos++, sent++) {
			if (log_resume_accept(&r, ts[pos])) {
				if (nout >= n)
					abort();
				out[nout++] = (int)pos;
			}
		}
		if (pos >= n)
			break;
		log_resume_reconnect(&r);
		if (log_resume_started(&r)) {
			char since[LOG_TIME_SIZE];
			int64_t from = 0;

			log_resume_since(&r, since);
			if (log_time_parse(since, strlen(since), &from) != strlen(since))
				abort();
			for (pos = 0; pos < n && ts[pos] < from; pos++)
				;
		} else {
			pos = 0;
		}
	}
	if (nout != n)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (out[i] != (int)i)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	split(data, size);
	resume(data, size);
	return 0;
}
