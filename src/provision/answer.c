#include "config.h"

#include "provision/answer.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool str_is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

enum answer_kind answer_classify(long status, const char *reason, const char *message,
				 long prev_status, const char *prev_message)
{
	if (status == 0 || status == 502 || status == 503 || status == 504)
		return ANSWER_AWAY;
	/* A create of what exists already stays so; other conflicts are
	 * with a writer that will be done. */
	if (status == 409 && str_is(reason, "AlreadyExists"))
		return ANSWER_DETERMINISTIC;
	if (status == 408 || status == 409 || status == 429)
		return ANSWER_TRANSIENT;
	if (status >= 400 && status < 500)
		return ANSWER_DETERMINISTIC;
	if (status != 500)
		return ANSWER_TRANSIENT; /* 501, 505, 507... and anything odd */
	/* The server says it ran out of time, or its storage failed: that
	 * passes, however often it is said the same way. */
	if (str_is(reason, "ServerTimeout") || str_is(reason, "Timeout") ||
	    (message && strstr(message, "etcdserver: ")))
		return ANSWER_TRANSIENT;
	if (prev_status == 500 && message && prev_message && strcmp(message, prev_message) == 0)
		return ANSWER_DETERMINISTIC;
	return ANSWER_TRANSIENT;
}

void answer_explain(enum answer_kind kind, long status, int tries, char *out, size_t outsz)
{
	switch (kind) {
	case ANSWER_DETERMINISTIC:
		if (status == 500)
			snprintf(out, outsz,
				 "HTTP 500 with the same message on the immediate retry, "
				 "an answer that does not change");
		else
			snprintf(out, outsz, "HTTP %ld, a refusal that the same request gets again",
				 status);
		break;
	case ANSWER_TRANSIENT:
		if (tries > 1)
			snprintf(out, outsz, "HTTP %ld on each of %d tries", status, tries);
		else
			snprintf(out, outsz, "HTTP %ld", status);
		break;
	case ANSWER_AWAY:
		snprintf(out, outsz, "no answer from the cluster");
		break;
	}
}
