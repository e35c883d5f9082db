#include "config.h"

#include "logs/resume.h"

#include <string.h>

void log_resume_init(struct log_resume *r)
{
	memset(r, 0, sizeof(*r));
}

bool log_resume_started(const struct log_resume *r)
{
	return r->delivered > 0;
}

void log_resume_reconnect(struct log_resume *r)
{
	r->replaying = r->delivered > 0;
	r->replayed = 0;
}

void log_resume_since(const struct log_resume *r, char out[LOG_TIME_SIZE])
{
	log_time_format(r->last_ns - r->last_ns % 1000000000, false, out);
}

static bool deliver(struct log_resume *r, int64_t ts)
{
	if (ts == r->last_ns && r->delivered > 0) {
		r->at_last++;
	} else {
		r->last_ns = ts;
		r->at_last = 1;
	}
	r->delivered++;
	return true;
}

bool log_resume_accept(struct log_resume *r, int64_t ts)
{
	if (ts == 0)
		ts = r->last_ns;
	if (!r->replaying) {
		/* a line older than the last (clocks do step back) is shown,
		 * but the mark stays at the latest */
		if (ts < r->last_ns) {
			r->delivered++;
			return true;
		}
		return deliver(r, ts);
	}
	if (ts < r->last_ns) {
		r->dropped++;
		return false;
	}
	if (ts == r->last_ns) {
		if (++r->replayed <= r->at_last) {
			r->dropped++;
			return false;
		}
		return deliver(r, ts);
	}
	r->replaying = false;
	return deliver(r, ts);
}
