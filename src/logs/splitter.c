#include "config.h"

#include "logs/splitter.h"

#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "utf8.h"
#include "util.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

void log_splitter_init(struct log_splitter *s)
{
	memset(s, 0, sizeof(*s));
}

void log_splitter_free(struct log_splitter *s)
{
	buf_free(&s->part);
	buf_free(&s->text);
	s->cut = 0;
}

void log_splitter_reset(struct log_splitter *s)
{
	buf_reset(&s->part);
	s->cut = 0;
}

/* ---- time ---- */

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* "YYYY-MM-DDTHH:MM:SS" at s (len >= 20) into seconds since the epoch
 * (without the zone's offset); false if it is not one. *leap: the second
 * is 60. */
static bool time_seconds(const char *s, size_t len, int64_t *secs, bool *leap)
{
	int y, mo, d, h, mi, sec;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return false;
	if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return false;
	*leap = sec == 60;
	*secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return true;
}

/* The rest of a time after its seconds (s[19] on): the fraction and the
 * zone, added to secs (from time_seconds) into *ns. Returns the bytes of
 * the whole time, 0 if it is not one. */
static size_t time_rest(const char *s, size_t len, int64_t secs, bool leap, int64_t *ns)
{
	int oh = 0, om = 0;
	int64_t frac = 0, t;
	size_t i = 19;

	if (s[i] == '.') {
		int nd = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd < 9)
				frac = frac * 10 + (s[i] - '0');
		}
		if (nd == 0)
			return 0;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (i >= len)
		return 0;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		if (i + 6 > len || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) ||
		    !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return 0;
		if (s[i] == '+') {
			oh = -oh;
			om = -om;
		}
		i += 6;
	} else {
		return 0;
	}
	if (leap) /* a leap second reads as the next one */
		secs--, frac = 999999999;
	t = secs + oh * 3600 + om * 60;
	if (t < 0 || t > INT64_MAX / 1000000000 - 1)
		return 0;
	*ns = t * 1000000000 + frac;
	return i;
}

enum log_duration log_duration_parse(const char *s, long max_s, long *out)
{
	double total = 0;
	bool over = false;

	if (*s == '+') /* as Go reads it; a minus is no --since */
		s++;
	if (!*s)
		return LOG_DURATION_BAD;
	while (*s) {
		double v = 0, scale = 1, unit;
		bool digits = false;

		/* digits, a point and digits, as Go writes them (strtod would
		 * take a sign, spaces, "inf", hex and exponents too) */
		for (; *s >= '0' && *s <= '9'; s++, digits = true)
			v = v * 10 + (*s - '0');
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
				v += (scale /= 10) * (*s - '0');
		}
		if (!digits)
			return LOG_DURATION_BAD;
		if (strncmp(s, "ms", 2) == 0)
			unit = 0.001, s += 2;
		else if (*s == 's')
			unit = 1, s++;
		else if (*s == 'm')
			unit = 60, s++;
		else if (*s == 'h')
			unit = 3600, s++;
		else
			return LOG_DURATION_BAD;
		total += v * unit;
		/* read on: a bad unit further on is still the first thing to say */
		if (!(total <= (double)max_s))
			over = true;
	}
	if (over || total <= 0)
		return LOG_DURATION_OUT_OF_RANGE;
	*out = (long)total;
	if ((double)*out < total)
		(*out)++;
	return LOG_DURATION_OK;
}

size_t log_time_parse(const char *s, size_t len, int64_t *ns)
{
	int64_t secs;
	bool leap;

	if (!time_seconds(s, len, &secs, &leap))
		return 0;
	return time_rest(s, len, secs, leap, ns);
}

/* log_time_parse for a stream's lines: consecutive lines mostly share
 * their second, so its "YYYY-MM-DDTHH:MM:SS" is read once. */
static size_t time_parse_cached(struct log_splitter *s, const char *line, size_t len, int64_t *ns)
{
	if (len < 20)
		return 0;
	if (!s->sec_valid || memcmp(line, s->sec_text, sizeof(s->sec_text)) != 0) {
		s->sec_valid = time_seconds(line, len, &s->sec, &s->sec_leap);
		if (!s->sec_valid)
			return 0;
		memcpy(s->sec_text, line, sizeof(s->sec_text));
	}
	return time_rest(line, len, s->sec, s->sec_leap, ns);
}

static char *put_digits(char *p, int64_t v, int width)
{
	for (int k = width - 1; k >= 0; k--) {
		p[k] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Written digit by digit: it runs for every line printed with --timestamps. */
void log_time_format(int64_t ns, bool nanos, char out[LOG_TIME_SIZE])
{
	int64_t secs = ns / 1000000000, days = secs / 86400, rem = secs % 86400;
	int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	char *p = out;

	if (ns < 0) {
		str_copy(out, LOG_TIME_SIZE, "1970-01-01T00:00:00Z");
		return;
	}
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, rem / 3600, 2);
	*p++ = ':';
	p = put_digits(p, rem / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, rem % 60, 2);
	if (nanos) {
		*p++ = '.';
		p = put_digits(p, ns % 1000000000, 9);
	}
	*p++ = 'Z';
	*p = '\0';
}

void log_time_text_init(struct log_time_text *t)
{
	t->sec = -1;
	t->text[0] = '\0';
	t->len = 0;
}

/* v (below 10^9) as 9 digits, two at a time. */
static void put_nanos(char *p, uint32_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";

	p[8] = (char)('0' + v % 10);
	v /= 10;
	for (int k = 6; k >= 0; k -= 2) {
		memcpy(p + k, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
}

const char *log_time_text(struct log_time_text *t, int64_t ns)
{
	if (ns >= 0 && t->sec >= 0) {
		int64_t in = ns - t->sec * 1000000000; /* ns into the second of text */

		if (in >= 0 && in < 1000000000) {
			/* after "YYYY-MM-DDTHH:MM:SS." */
			put_nanos(t->text + 20, (uint32_t)in);
			return t->text;
		}
	}
	log_time_format(ns, true, t->text);
	t->sec = ns >= 0 ? ns / 1000000000 : -1;
	t->len = strlen(t->text);
	return t->text;
}

/* ---- text ---- */

/* Bytes of the escape sequence at s[0] == ESC (n bytes left) to drop. */
static size_t escape_len(const unsigned char *s, size_t n)
{
	size_t j;

	if (n < 2)
		return 1;
	switch (s[1]) {
	case '[': /* CSI: parameters, intermediates, a final byte */
		for (j = 2; j < n && s[j] >= 0x30 && s[j] <= 0x3f; j++)
			;
		for (; j < n && s[j] >= 0x20 && s[j] <= 0x2f; j++)
			;
		return j < n && s[j] >= 0x40 && s[j] <= 0x7e ? j + 1 : j;
	case ']':
	case 'P':
	case 'X':
	case '^':
	case '_': /* strings, ended by BEL or ST (ESC \) */
		for (j = 2; j < n; j++) {
			if (s[j] == 0x07)
				return j + 1;
			if (s[j] == 0x1b && j + 1 < n && s[j + 1] == '\\')
				return j + 2;
		}
		return n;
	default:
		for (j = 1; j < n && s[j] >= 0x20 && s[j] <= 0x2f; j++)
			;
		return j < n && s[j] >= 0x30 && s[j] <= 0x7e ? j + 1 : j;
	}
}

#define BYTES_OF(b) (UINT64_C(0x0101010101010101) * (b))

/* Whether the 8 bytes at s are all printable ASCII (0x20 to 0x7e): each
 * test is exact for the word as a whole (no byte of 0x80 or more, none
 * below 0x20, none equal to 0x7f), so the word goes out as it is. */
static bool printable8(const unsigned char *s)
{
	uint64_t w, x;

	memcpy(&w, s, sizeof(w));
	if (w & BYTES_OF(0x80))
		return false;
	x = w ^ BYTES_OF(0x7f);
	return !(((w - BYTES_OF(0x20)) & ~w & BYTES_OF(0x80)) |
		 ((x - BYTES_OF(0x01)) & ~x & BYTES_OF(0x80)));
}

/* How many bytes from s on (n of them) are printable ASCII, at least:
 * n if all are, else the whole blocks of 16 before the first that holds
 * another byte. Most lines are all printable, and this is the scan they
 * cost. */
static size_t printable_blocks(const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	/* a signed compare: bytes of 0x80 or more are below 0x20 too */
	const __m128i below = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);

	for (; i + 32 <= n; i += 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
		__m128i oka = _mm_andnot_si128(_mm_cmpeq_epi8(a, del), _mm_cmpgt_epi8(a, below));
		__m128i okb = _mm_andnot_si128(_mm_cmpeq_epi8(b, del), _mm_cmpgt_epi8(b, below));

		if (_mm_movemask_epi8(_mm_and_si128(oka, okb)) != 0xffff)
			break;
	}
	for (; i + 16 <= n; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i oka = _mm_andnot_si128(_mm_cmpeq_epi8(a, del), _mm_cmpgt_epi8(a, below));

		if (_mm_movemask_epi8(oka) != 0xffff)
			return i;
	}
	/* the last bytes: the block that ends at n (it overlaps the last one
	 * checked, all printable) */
	if (i < n && n >= 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
		__m128i oka = _mm_andnot_si128(_mm_cmpeq_epi8(a, del), _mm_cmpgt_epi8(a, below));

		if (_mm_movemask_epi8(oka) == 0xffff)
			return n;
	}
#else
	(void)s;
	(void)n;
#endif
	return i;
}

/* Bytes at the start of s (len of them) that go out as they are:
 * printable ASCII, tabs, and UTF-8 other than C1 controls. */
static size_t verbatim_len(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c;
		bool incomplete = false;
		size_t k;

		i += printable_blocks(s + i, len - i);
		while (i + 8 <= len && printable8(s + i))
			i += 8;
		if (i >= len)
			break;
		c = s[i];
		if ((c >= 0x20 && c < 0x7f) || c == '\t') {
			i++;
			continue;
		}
		if (c < 0x80)
			break;
		k = utf8_decode(s + i, len - i, NULL, &incomplete);
		/* U+0080..U+009F are C1 controls: a terminal may act on them */
		if (k == 2 && c == 0xc2 && s[i + 1] < 0xa0)
			k = 0;
		if (!k)
			break;
		i += k;
	}
	return i;
}

void log_text_clean(struct buf *out, const char *text, size_t len, bool cut)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	for (;;) {
		size_t k = verbatim_len(s + i, len - i);
		bool incomplete = false;
		unsigned char c;

		buf_append(out, text + i, k);
		i += k;
		if (i >= len)
			break;
		c = s[i];
		if (c == 0x1b) {
			i += escape_len(s + i, len - i);
			continue;
		}
		if (c >= 0x80)
			utf8_decode(s + i, len - i, NULL, &incomplete);
		if (c >= 0x80 && incomplete && cut)
			break;
		buf_append(out, REPLACEMENT, 3);
		i++;
	}
}

/* ---- lines ---- */

static void emit(struct log_splitter *s, const char *line, size_t len, size_t cut, log_line_fn fn,
		 void *ud)
{
	struct log_line l = {.ts_ns = 0, .cut = cut};
	size_t t;

	if (len > 0 && line[len - 1] == '\r' && cut == 0)
		len--;
	t = time_parse_cached(s, line, len, &l.ts_ns);
	if (t) {
		line += t;
		len -= t;
		if (len > 0 && line[0] == ' ')
			line++, len--;
	}
	if (s->by_len && !cut) {
		size_t k = verbatim_len((const unsigned char *)line, len);

		if (k == len) { /* nothing to clean: the line as it came */
			l.text = line;
			l.len = len;
			fn(&l, ud);
			return;
		}
		buf_reset(&s->text);
		buf_append(&s->text, line, k); /* what comes after k cleans alone */
		log_text_clean(&s->text, line + k, len - k, false);
	} else {
		buf_reset(&s->text);
		log_text_clean(&s->text, line, len, cut > 0);
	}
	if (cut)
		buf_printf(&s->text, " [%zu more bytes]", cut);
	l.text = buf_str(&s->text);
	l.len = s->text.len;
	fn(&l, ud);
}

void log_splitter_line(struct log_splitter *s, const char *line, size_t len, log_line_fn fn,
		       void *ud)
{
	if (len > LOG_LINE_KEEP)
		emit(s, line, LOG_LINE_KEEP, len - LOG_LINE_KEEP, fn, ud);
	else
		emit(s, line, len, 0, fn, ud);
}

void log_splitter_feed(struct log_splitter *s, const char *data, size_t n, log_line_fn fn, void *ud)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		size_t room = LOG_LINE_KEEP - s->part.len;
		size_t keep = take < room ? take : room;

		if (nl && s->part.len == 0 && s->cut == 0 && take <= LOG_LINE_KEEP) {
			emit(s, data, take, 0, fn, ud); /* a whole line in one read */
		} else {
			buf_append(&s->part, data, keep);
			s->cut += take - keep;
			if (nl) {
				emit(s, s->part.data ? s->part.data : "", s->part.len, s->cut, fn,
				     ud);
				log_splitter_reset(s);
			}
		}
		if (!nl)
			break;
		data += take + 1;
		n -= take + 1;
	}
}

void log_splitter_finish(struct log_splitter *s, log_line_fn fn, void *ud)
{
	if (s->part.len || s->cut)
		emit(s, s->part.data, s->part.len, s->cut, fn, ud);
	log_splitter_reset(s);
}
