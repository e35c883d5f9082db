/* Queries over a log ring: regular expressions (POSIX extended), search
 * forwards and backwards, the spans a pattern matches in a line (for
 * highlighting), and include/exclude filters with context -- N lines
 * before and after each line that passes, as grep -C prints them, with a
 * separator between groups that are not adjacent when there is context
 * (without it, as grep, none).
 *
 * The filter runs over lines as they come (log_grep_feed, for a follow
 * view or the CLI) or over what a ring holds (log_grep_ring, when a view
 * changes its filter); both give the same lines. */
#ifndef OPSDECK_LOGS_QUERY_H
#define OPSDECK_LOGS_QUERY_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logs/ring.h"
#include "util.h"

#define LOG_FILTER_MAX 16
#define LOG_CONTEXT_MAX 1000
#define LOG_NOT_FOUND UINT64_MAX

struct log_regex {
	regex_t re;
	char *pattern;
};

/* Compiles pattern; icase: ignore ASCII case. False with err set (the
 * pattern and why it is refused) if it is not a valid regex. */
bool log_regex_compile(struct log_regex *rx, const char *pattern, bool icase, struct err *err);
void log_regex_free(struct log_regex *rx);
bool log_regex_match(const struct log_regex *rx, const char *text);

struct log_span {
	size_t start, end; /* byte offsets into the line */
};
/* Up to max non-overlapping matches of rx in text, left to right. */
size_t log_regex_spans(const struct log_regex *rx, const char *text, struct log_span *out,
		       size_t max);

/* The next line from line `from` (included) whose text matches rx,
 * towards the newest, or towards the oldest with backward; LOG_NOT_FOUND
 * if none does among the lines held. */
uint64_t log_ring_search(const struct log_ring *r, const struct log_regex *rx, uint64_t from,
			 bool backward);

/* Include and exclude patterns: a line passes when it matches one of the
 * includes (or there are none) and none of the excludes. */
struct log_filter {
	struct log_regex include[LOG_FILTER_MAX], exclude[LOG_FILTER_MAX];
	size_t ninclude, nexclude;
	unsigned before, after; /* context lines */
};

void log_filter_init(struct log_filter *f);
void log_filter_free(struct log_filter *f);
/* Adds a pattern; false with err set if it is not a regex or there are
 * already LOG_FILTER_MAX of its kind. */
bool log_filter_add(struct log_filter *f, bool exclude, const char *pattern, struct err *err);
/* Lines of context around each line that passes (at most LOG_CONTEXT_MAX). */
void log_filter_context(struct log_filter *f, unsigned before, unsigned after);
/* True if the filter lets every line through (no pattern). */
bool log_filter_none(const struct log_filter *f);
bool log_filter_pass(const struct log_filter *f, const char *text);

enum log_mark {
	LOG_MARK_MATCH,	  /* passes the filter */
	LOG_MARK_CONTEXT, /* shown as context of a line that passes */
};
/* A line to show: its number, why, and whether a separator comes before
 * it (there is context, and it does not follow the previous line shown). */
typedef void (*log_show_fn)(uint64_t n, enum log_mark mark, bool gap, void *ud);
/* Whether line n, shown next after line prev, has a separator before it. */
bool log_grep_separates(const struct log_filter *f, uint64_t prev, uint64_t n);

struct log_grep {
	const struct log_filter *f;
	uint64_t shown_end; /* one past the last line shown */
	unsigned after_left;
	bool any; /* a line was shown */
};

void log_grep_init(struct log_grep *g, const struct log_filter *f);
/* Line n was just pushed to r: shows what it makes visible (context
 * before it, still in r, then itself), in order. */
void log_grep_feed(struct log_grep *g, const struct log_ring *r, uint64_t n, log_show_fn fn,
		   void *ud);
/* Every line r holds, through a fresh log_grep. */
void log_grep_ring(const struct log_filter *f, const struct log_ring *r, log_show_fn fn, void *ud);

#endif
