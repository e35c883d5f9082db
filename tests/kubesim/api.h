/* The Kubernetes REST API over the store: routing of /api and /apis paths,
 * discovery, list/get/create/update/patch/apply/delete, the scale and status
 * subresources, and the hand-over to watch and log streams. Independent of
 * the HTTP library: http.c fills a struct req and sends the struct resp. */
#ifndef OPSDECK_KUBESIM_API_H
#define OPSDECK_KUBESIM_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sim.h"
#include "util.h"

#define QUERY_MAX 32

struct query {
	const char *keys[QUERY_MAX];
	const char *vals[QUERY_MAX];
	size_t n;
};

const char *query_get(const struct query *q, const char *key);
/* Query parameter KEY as a boolean, read as the real server converts query
 * parameters: absent, "0" and "false" in any case are false, every other
 * value is true (strconv.ParseBool's forms among them). */
bool query_flag(const struct query *q, const char *key);

#define REQ_GROUPS_MAX 16

struct req {
	const char *method;
	const char *path;
	struct query q;
	const char *body;
	size_t body_len;
	const char *content_type;
	const char *accept;
	const char *user_agent;
	const char *user; /* authenticated user name */
	const char *const *groups; /* its groups */
	size_t ngroups;
	bool readonly; /* the read-only token */
};

struct watch;
struct logstream;

struct resp {
	int code;
	const char *ctype;
	char *body; /* owned */
	size_t len;
	struct watch *watch;   /* a watch stream instead of a body */
	struct logstream *log; /* a log stream instead of a body */
	unsigned retry_after;  /* seconds, for 429/503 */
};

/* Answers one request; takes and releases sim->lock itself. */
void api_handle(struct sim *s, const struct req *r, struct resp *out);
/* A Status answer for an error code and message (used by the HTTP layer). */
void api_error(struct resp *out, int code, const char *reason, const char *msg);

/* Applies one object as the demo/preload does (server-side apply by
 * manager "kubesim-preload", creating its namespace if missing). Lock held.
 * Returns false with a message in err. */
bool api_preload_object(struct sim *s, const json_t *doc, struct err *err);

#endif
