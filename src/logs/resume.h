/* Exactly-once delivery across reconnects of one container's log stream.
 *
 * The API server resumes a log only from a whole second (sinceTime has
 * one-second precision), so a reconnected stream repeats the lines of that
 * second already delivered, and perhaps more. Each line carries its own
 * nanosecond timestamp; lines of one container come in timestamp order,
 * and several may share a timestamp. The state kept is the last timestamp
 * delivered and how many lines with it were delivered. After a reconnect
 * a line is new when its timestamp is later, or when it is the k-th line
 * with the last timestamp and k exceeds the count delivered; every
 * earlier line is dropped. So nothing is repeated, and nothing is lost as
 * long as the server replays from at or before the last timestamp --
 * which sinceTime, the last timestamp rounded down to its second, makes
 * sure of.
 *
 * A line without a timestamp (not sent with timestamps=true) counts as
 * one more line with the last timestamp.
 *
 * A stream that asked for no earlier line (tailLines=0) has a resume point
 * before its first line: its start (log_resume_mark). A reconnect then
 * asks from that time and drops only what is older than it.
 *
 * The node's clock stepping back: a line older than the mark on a live
 * stream is new (the stream is in file order) and is delivered. A small
 * inversion (stdout and stderr stamped by two writers) leaves the mark
 * at the latest; a step back of more than LOG_RESUME_STEP_BACK_NS moves
 * the mark back to the line, so a reconnect asks from where the log is
 * now. Otherwise sinceTime would stay ahead of the node's clock and the
 * server would send no new line until its clock passed the old mark --
 * for as long as the step, possibly years. The cost: a reconnect after
 * a step back may repeat lines written before the step that are stamped
 * later than the mark, until the log passes the old mark. While
 * replaying, lines older than the mark are dropped; the server sends none
 * from before the mark's second, so at most the lines stamped within that
 * second before the mark can be taken for old ones -- a bounded loss, and
 * only when the clock stepped back while the stream was down. */
#ifndef OPSDECK_LOGS_RESUME_H
#define OPSDECK_LOGS_RESUME_H

#include <stdbool.h>
#include <stdint.h>

#include "logs/splitter.h"

/* A line this much older than the mark is a step back of the clock. */
#define LOG_RESUME_STEP_BACK_NS 1000000000LL

struct log_resume {
	int64_t last_ns;   /* timestamp of the last line delivered, or the mark */
	uint64_t at_last;  /* lines delivered with that timestamp */
	uint64_t replayed; /* lines with it seen since the reconnect */
	uint64_t delivered, dropped;
	bool replaying; /* reconnected: nothing new seen yet */
	bool marked;	/* a resume point was set before any line */
	uint64_t steps_back; /* clock steps back seen */
};

void log_resume_init(struct log_resume *r);
/* Whether any line was delivered or a resume point set: a reconnect then
 * resumes with sinceTime. */
bool log_resume_started(const struct log_resume *r);
/* Before any line: resume from ts_ns (the stream's start) after a
 * reconnect; lines older than it are then taken as seen. Ignored once a
 * line was delivered. */
void log_resume_mark(struct log_resume *r, int64_t ts_ns);
/* A new connection of the same stream starts. */
void log_resume_reconnect(struct log_resume *r);
/* The sinceTime of a reconnect: the last timestamp rounded down to its
 * second, as "2026-12-03T08:01:52Z". */
void log_resume_since(const struct log_resume *r, char out[LOG_TIME_SIZE]);
/* Whether the line with timestamp ts_ns (0: none) is new; counts it. */
bool log_resume_accept(struct log_resume *r, int64_t ts_ns);

#endif
