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
 * one more line with the last timestamp. */
#ifndef OPSDECK_LOGS_RESUME_H
#define OPSDECK_LOGS_RESUME_H

#include <stdbool.h>
#include <stdint.h>

#include "logs/splitter.h"

struct log_resume {
	int64_t last_ns;   /* timestamp of the last line delivered */
	uint64_t at_last;  /* lines delivered with that timestamp */
	uint64_t replayed; /* lines with it seen since the reconnect */
	uint64_t delivered, dropped;
	bool replaying; /* reconnected: nothing new seen yet */
};

void log_resume_init(struct log_resume *r);
/* Whether any line was delivered: a reconnect then resumes with sinceTime. */
bool log_resume_started(const struct log_resume *r);
/* A new connection of the same stream starts. */
void log_resume_reconnect(struct log_resume *r);
/* The sinceTime of a reconnect: the last timestamp rounded down to its
 * second, as "2026-12-03T08:01:52Z". */
void log_resume_since(const struct log_resume *r, char out[LOG_TIME_SIZE]);
/* Whether the line with timestamp ts_ns (0: none) is new; counts it. */
bool log_resume_accept(struct log_resume *r, int64_t ts_ns);

#endif
