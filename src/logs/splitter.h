/* Log bytes into lines fit to show: the bytes of a stream are split at
 * line breaks whatever the reads cut them into; a line's leading
 * timestamp (RFC 3339 with up to nine fraction digits, as the kubelet
 * writes it with timestamps=true) is read into nanoseconds; the text is
 * made safe for a terminal -- escape sequences (CSI, OSC, DCS and the
 * like) dropped, other control characters, C1 controls and invalid UTF-8
 * shown as U+FFFD -- and a line longer than LOG_LINE_KEEP bytes is cut
 * there (the rest is counted, never held), so a 1 GiB line costs no more
 * memory than a 64 KiB one. */
#ifndef OPSDECK_LOGS_SPLITTER_H
#define OPSDECK_LOGS_SPLITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define LOG_LINE_KEEP (64u * 1024u)
/* "2026-12-03T08:01:52.123456789Z" and its NUL */
#define LOG_TIME_SIZE 32

struct log_line {
	int64_t ts_ns;	  /* ns since the epoch; 0: the line carries no timestamp */
	/* display-safe UTF-8, NUL-terminated (but see by_len), without the
	 * timestamp */
	const char *text;
	size_t len;
	size_t cut; /* bytes of the line left out (past LOG_LINE_KEEP) */
};

typedef void (*log_line_fn)(const struct log_line *l, void *ud);

struct log_splitter {
	struct buf part; /* the line so far, at most LOG_LINE_KEEP bytes */
	size_t cut;	 /* bytes of it dropped */
	struct buf text; /* scratch for the cleaned text */
	/* the last timestamp's "YYYY-MM-DDTHH:MM:SS", read into sec */
	char sec_text[19];
	int64_t sec;
	bool sec_leap, sec_valid;
	/* set by a caller that reads a line's text by its len only: a line
	 * that needs no cleaning is then passed as it came, without a copy,
	 * and is not NUL-terminated */
	bool by_len;
};

void log_splitter_init(struct log_splitter *s);
void log_splitter_free(struct log_splitter *s);
/* Drops a partial line (a stream that ended or restarts). */
void log_splitter_reset(struct log_splitter *s);
/* Any bytes: each line they complete goes to fn. */
void log_splitter_feed(struct log_splitter *s, const char *data, size_t n, log_line_fn fn,
		       void *ud);
/* The end of the stream: a last line without a line break goes to fn. */
void log_splitter_finish(struct log_splitter *s, log_line_fn fn, void *ud);
/* One whole line without its line break (as the HTTP engine delivers a
 * stream's lines); a trailing CR is dropped. */
void log_splitter_line(struct log_splitter *s, const char *line, size_t len, log_line_fn fn,
		       void *ud);

/* Reads "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)" at the start of
 * s (len bytes) into ns since the epoch (years 1970 to 2261). Returns the
 * bytes it took, 0 if s does not start with one. */
size_t log_time_parse(const char *s, size_t len, int64_t *ns);
/* A Go duration as kubectl takes it ("90s", "5m", "1h30m", "2h", "1.5h",
 * "500ms"), in whole seconds rounded up into *out. A well-formed one of
 * zero or past max_s is out of range (*out unchanged), told apart from
 * text that is no duration so that a message can give the range. */
enum log_duration { LOG_DURATION_OK, LOG_DURATION_BAD, LOG_DURATION_OUT_OF_RANGE };
enum log_duration log_duration_parse(const char *s, long max_s, long *out);
/* ns as "2026-12-03T08:01:52.123456789Z" (nanos) or "2026-12-03T08:01:52Z". */
void log_time_format(int64_t ns, bool nanos, char out[LOG_TIME_SIZE]);

/* log_time_format with nanos for lines in time order: the date and time
 * are written again only when the second changes. */
struct log_time_text {
	int64_t sec; /* of text; -1: none yet */
	char text[LOG_TIME_SIZE];
	size_t len; /* of text */
};
void log_time_text_init(struct log_time_text *t);
const char *log_time_text(struct log_time_text *t, int64_t ns);

/* Appends text (len bytes) to out, safe for a terminal (see above). cut:
 * the text was cut, so an incomplete UTF-8 sequence at its end is dropped
 * rather than shown as invalid. */
void log_text_clean(struct buf *out, const char *text, size_t len, bool cut);

#endif
