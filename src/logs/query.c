#include "config.h"

#include "logs/query.h"

#include <stdlib.h>
#include <string.h>

bool log_regex_compile(struct log_regex *rx, const char *pattern, bool icase, struct err *err)
{
	int flags = REG_EXTENDED | (icase ? REG_ICASE : 0);
	int rc;

	memset(rx, 0, sizeof(*rx));
	rc = regcomp(&rx->re, pattern, flags);
	if (rc != 0) {
		char why[128], shown[80];

		regerror(rc, &rx->re, why, sizeof(why));
		str_copy_clean(shown, sizeof(shown), pattern);
		err_set(err, "\"%s\" is not a valid regular expression: %s", shown, why);
		return false;
	}
	rx->pattern = xstrdup(pattern);
	return true;
}

void log_regex_free(struct log_regex *rx)
{
	if (!rx->pattern)
		return;
	regfree(&rx->re);
	x_free(&rx->pattern);
}

bool log_regex_match(const struct log_regex *rx, const char *text)
{
	return regexec(&rx->re, text, 0, NULL, 0) == 0;
}

size_t log_regex_spans(const struct log_regex *rx, const char *text, struct log_span *out,
		       size_t max)
{
	size_t n = 0, off = 0, len = strlen(text);

	while (n < max && off <= len) {
		regmatch_t m;
		int flags = off > 0 ? REG_NOTBOL : 0;

		if (regexec(&rx->re, text + off, 1, &m, flags) != 0)
			break;
		if (m.rm_eo == m.rm_so) {
			/* an empty match shows nothing; step past it */
			off += (size_t)m.rm_so + 1;
			continue;
		}
		out[n].start = off + (size_t)m.rm_so;
		out[n].end = off + (size_t)m.rm_eo;
		off = out[n].end;
		n++;
	}
	return n;
}

uint64_t log_ring_search(const struct log_ring *r, const struct log_regex *rx, uint64_t from,
			 bool backward)
{
	uint64_t first = log_ring_first(r), end = log_ring_end(r);

	if (first == end)
		return LOG_NOT_FOUND;
	if (backward) {
		if (from < first)
			return LOG_NOT_FOUND;
		if (from >= end)
			from = end - 1;
		for (uint64_t n = from + 1; n-- > first;) {
			if (log_regex_match(rx, log_ring_get(r, n)->text))
				return n;
		}
		return LOG_NOT_FOUND;
	}
	if (from < first)
		from = first;
	for (uint64_t n = from; n < end; n++) {
		if (log_regex_match(rx, log_ring_get(r, n)->text))
			return n;
	}
	return LOG_NOT_FOUND;
}

void log_filter_init(struct log_filter *f)
{
	memset(f, 0, sizeof(*f));
}

void log_filter_free(struct log_filter *f)
{
	for (size_t i = 0; i < f->ninclude; i++)
		log_regex_free(&f->include[i]);
	for (size_t i = 0; i < f->nexclude; i++)
		log_regex_free(&f->exclude[i]);
	log_filter_init(f);
}

bool log_filter_add(struct log_filter *f, bool exclude, const char *pattern, struct err *err)
{
	size_t *n = exclude ? &f->nexclude : &f->ninclude;

	if (*n >= LOG_FILTER_MAX) {
		err_set(err, "at most %d %s patterns", LOG_FILTER_MAX,
			exclude ? "exclude" : "include");
		return false;
	}
	if (!log_regex_compile(exclude ? &f->exclude[*n] : &f->include[*n], pattern, false, err))
		return false;
	(*n)++;
	return true;
}

void log_filter_context(struct log_filter *f, unsigned before, unsigned after)
{
	f->before = before > LOG_CONTEXT_MAX ? LOG_CONTEXT_MAX : before;
	f->after = after > LOG_CONTEXT_MAX ? LOG_CONTEXT_MAX : after;
}

bool log_filter_none(const struct log_filter *f)
{
	return f->ninclude == 0 && f->nexclude == 0;
}

bool log_filter_pass(const struct log_filter *f, const char *text)
{
	bool in = f->ninclude == 0;

	for (size_t i = 0; !in && i < f->ninclude; i++)
		in = log_regex_match(&f->include[i], text);
	if (!in)
		return false;
	for (size_t i = 0; i < f->nexclude; i++) {
		if (log_regex_match(&f->exclude[i], text))
			return false;
	}
	return true;
}

void log_grep_init(struct log_grep *g, const struct log_filter *f)
{
	memset(g, 0, sizeof(*g));
	g->f = f;
}

bool log_grep_separates(const struct log_filter *f, uint64_t prev, uint64_t n)
{
	/* as grep: a separator between groups only when there is context */
	return (f->before || f->after) && n != prev + 1;
}

static void show(struct log_grep *g, uint64_t n, enum log_mark mark, log_show_fn fn, void *ud)
{
	bool gap = g->any && log_grep_separates(g->f, g->shown_end - 1, n);

	g->any = true;
	g->shown_end = n + 1;
	fn(n, mark, gap, ud);
}

void log_grep_feed(struct log_grep *g, const struct log_ring *r, uint64_t n, log_show_fn fn,
		   void *ud)
{
	const struct log_entry *e = log_ring_get(r, n);

	if (!e)
		return;
	if (log_filter_pass(g->f, e->text)) {
		uint64_t from = n >= g->f->before ? n - g->f->before : 0;

		if (from < g->shown_end)
			from = g->shown_end;
		if (from < log_ring_first(r))
			from = log_ring_first(r);
		for (uint64_t k = from; k < n; k++)
			show(g, k, LOG_MARK_CONTEXT, fn, ud);
		show(g, n, LOG_MARK_MATCH, fn, ud);
		g->after_left = g->f->after;
	} else if (g->after_left > 0) {
		g->after_left--;
		show(g, n, LOG_MARK_CONTEXT, fn, ud);
	}
}

void log_grep_ring(const struct log_filter *f, const struct log_ring *r, log_show_fn fn, void *ud)
{
	struct log_grep g;

	log_grep_init(&g, f);
	for (uint64_t n = log_ring_first(r); n < log_ring_end(r); n++)
		log_grep_feed(&g, r, n, fn, ud);
}
