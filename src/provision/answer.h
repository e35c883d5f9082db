/* What a cluster's failed answer means for the step that asked: the one
 * rule the job runner (provision/job.h) follows to wait, try again or fail
 * at once.
 *
 *  - away: no answer at all (status 0), or 502, 503 or 504 from a proxy in
 *    front of an API server that is not there: an outage, waited out.
 *  - transient: an answer that may change by itself -- 408, 409 (a
 *    conflict with another writer; not AlreadyExists), 429, a 5xx that is not the same as the
 *    previous try's, a 500 the server calls a timeout (reason ServerTimeout
 *    or Timeout) or that comes from its storage ("etcdserver: ..."): tried
 *    again with backoff, then the attempt is queued again.
 *  - deterministic: the same request will get the same answer -- any other
 *    4xx (a refusal: 400, 401, 403, 404, 422..., and a 409 AlreadyExists
 *    to a create), or a 500 whose message
 *    repeats unchanged on the immediate retry (a server that cannot process
 *    this request, such as "failed to create typed patch object"): the step
 *    fails at once and the job is not tried again. */
#ifndef OPSDECK_PROVISION_ANSWER_H
#define OPSDECK_PROVISION_ANSWER_H

#include <stddef.h>

enum answer_kind {
	ANSWER_AWAY,
	ANSWER_TRANSIENT,
	ANSWER_DETERMINISTIC,
};

/* A failed answer: status is the HTTP status (0 without one), reason the
 * Status reason ("" or NULL when none), message the error in words.
 * prev_status and prev_message describe the immediately preceding try of
 * the same request when it failed too (prev_status 0 and NULL: it is the
 * first try, or the previous one got no answer). */
enum answer_kind answer_classify(long status, const char *reason, const char *message,
				 long prev_status, const char *prev_message);

/* Why an answer of that kind was given up on, in words for a log, after
 * tries requests: "HTTP 500 with the same message on the immediate retry,
 * an answer that does not change". */
void answer_explain(enum answer_kind kind, long status, int tries, char *out, size_t outsz);

#endif
