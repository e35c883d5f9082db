/* API errors as the real server words them, rendered as metav1.Status
 * objects (see shared/k8s-reference/08, 17, 19, 23-25, 28). */
#ifndef OPSDECK_KUBESIM_STATUS_H
#define OPSDECK_KUBESIM_STATUS_H

#include <jansson.h>
#include <stdbool.h>

#include "restype.h"
#include "util.h"

struct apierr {
	int code;	    /* 0 = no error */
	const char *reason; /* NULL: no reason member (as for a 500) */
	char msg[2048];
	json_t *details; /* owned; may be NULL */
};

void apierr_set(struct apierr *e, int code, const char *reason, const char *fmt, ...)
    ATTR_FORMAT(4, 5);
void apierr_clear(struct apierr *e);
static inline bool apierr_isset(const struct apierr *e)
{
	return e->code != 0;
}

void apierr_not_found(struct apierr *e, const struct restype *rt, const char *name);
void apierr_exists(struct apierr *e, const struct restype *rt, const char *name);
void apierr_conflict(struct apierr *e, const struct restype *rt, const char *name);
void apierr_bad_request(struct apierr *e, const char *fmt, ...) ATTR_FORMAT(2, 3);

/* Invalid (422): collects field causes, then apierr_invalid_finish words the
 * message as "Kind.group \"name\" is invalid: cause; cause". */
void apierr_invalid_add(struct apierr *e, const char *reason, const char *field, const char *fmt,
			...) ATTR_FORMAT(4, 5);
bool apierr_invalid_finish(struct apierr *e, const struct restype *rt, const char *name);

/* The Status object; NULL-safe for e without an error (then Success). */
json_t *status_json(const struct apierr *e);
/* A Status with status Success (DELETE of some kinds answers this). */
json_t *status_success(const struct restype *rt, const char *name, const char *uid);

#endif
