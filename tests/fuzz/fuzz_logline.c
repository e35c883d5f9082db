/* libFuzzer target: log bytes through the line splitter, and the resume
 * de-duplication over timestamps drawn from the input.
 *
 * Splitter: any bytes, cut into reads where the input says, give the same
 * lines as the bytes in one read; every line's text is valid UTF-8 with no
 * control character but a tab (no escape sequence, no C1 control), at
 * most LOG_LINE_KEEP bytes of the line plus the note of what was cut, and
 * a timestamp that formats back to what was read, within its second.
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
	struct buf all; /* each line's timestamp, text, cut, joined */
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

static void on_line(const struct log_line *l, void *ud)
{
	struct lines *ls = ud;

	if (strlen(l->text) != l->len || !valid_text((const unsigned char *)l->text, l->len))
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
	buf_printf(&ls->all, "%lld|%zu|", (long long)l->ts_ns, l->cut);
	buf_append(&ls->all, l->text, l->len);
	buf_putc(&ls->all, '\n');
	ls->n++;
}

static void split(const uint8_t *data, size_t size)
{
	struct log_splitter s;
	struct lines whole = {BUF_INIT, 0}, cut = {BUF_INIT, 0};
	size_t off = 0, step = size ? (size_t)data[0] % 61 + 1 : 1;

	log_splitter_init(&s);
	log_splitter_feed(&s, (const char *)data, size, on_line, &whole);
	log_splitter_finish(&s, on_line, &whole);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;

		log_splitter_feed(&s, (const char *)data + off, n, on_line, &cut);
		off += n;
		step = (size_t)data[off - 1] % 61 + 1;
	}
	log_splitter_finish(&s, on_line, &cut);
	if (whole.n != cut.n || whole.all.len != cut.all.len ||
	    (whole.all.len && memcmp(whole.all.data, cut.all.data, whole.all.len) != 0))
		abort();
	buf_free(&whole.all);
	buf_free(&cut.all);
	log_splitter_free(&s);
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
