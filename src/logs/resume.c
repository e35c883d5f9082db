#include "config.h"

#include "logs/resume.h"

#include <string.h>

void log_resume_init(struct log_resume *r)
{
	memset(r, 0, sizeof(*r));
}

bool log_resume_started(const struct log_resume *r)
{
	return r->delivered > 0 || r->marked;
}

void log_resume_mark(struct log_resume *r, int64_t ts_ns)
{
	if (r->delivered > 0)
		return;
	r->last_ns = ts_ns;
	r->at_last = 0;
	r->marked = true;
}

void log_resume_reconnect(struct log_resume *r)
{
	r->replaying = log_resume_started(r);
	r->replayed = 0;
}

void log_resume_since(const struct log_resume *r, char out[LOG_TIME_SIZE])
{
	log_time_format(r->last_ns - r->last_ns % 1000000000, false, out);
}

static bool deliver(struct log_resume *r, int64_t ts)
{
	if (ts == r->last_ns && (r->delivered > 0 || r->marked)) {
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
		/* a line older than the last is new (see resume.h): a small
		 * inversion keeps the mark at the latest, a step back of the
		 * clock moves it back to the line */
		if (ts < r->last_ns) {
			if (r->last_ns - ts <= LOG_RESUME_STEP_BACK_NS) {
				r->delivered++;
				return true;
			}
			r->steps_back++;
			r->last_ns = ts;
			r->at_last = 1;
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
