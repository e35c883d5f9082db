/* A store's credentials: the Secret `opsdeck-credentials` in its namespace,
 * which provisioning fills with generated passwords (provision/job.c) and
 * which is the only place they are kept.
 *
 * Contract:
 *  - The keys opsdeck writes are credentials_keys, in that order; a reveal
 *    shows those keys and no others, so that the audit event written before
 *    it (store_req_reveal) names exactly what was shown.
 *  - Decoded values live in fixed buffers of struct credentials and are
 *    wiped by credentials_free(); the base64 text of the answer is wiped
 *    once decoded. What the HTTP layer buffered on the way in is freed
 *    there without being wiped (see doc/architecture.md).
 *  - credentials_read() is asynchronous on the client's loop, never calls
 *    back from inside itself, calls back exactly once unless cancelled, and
 *    ends by itself after its timeout. Its errors are sentences that name
 *    the store, the namespace and the cluster, and never carry a value. */
#ifndef OPSDECK_PROVISION_CREDENTIALS_H
#define OPSDECK_PROVISION_CREDENTIALS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kube/http.h"
#include "util.h"

#define CREDENTIALS_SECRET "opsdeck-credentials"
#define CREDENTIALS_NKEYS 5
/* A value longer than this is not shown (opsdeck's own are 24 characters). */
#define CREDENTIALS_MAX_VALUE 1024
#define CREDENTIALS_TIMEOUT_MS 15000

/* The data keys of the Secret; a template refers to one as secret.<key>. */
extern const char *const credentials_keys[CREDENTIALS_NKEYS];

enum credential_state {
	CREDENTIAL_FOUND,
	CREDENTIAL_ABSENT,  /* the Secret has no such key */
	CREDENTIAL_INVALID, /* not base64, empty, too long for the buffer, or holding a NUL */
};

/* Decodes data key `key` of a Secret object into out (NUL-terminated, at
 * most outsz - 1 bytes). out is wiped unless the answer is FOUND; the
 * decoded intermediate copy is always wiped. */
enum credential_state credentials_decode(const json_t *secret, const char *key, char *out,
					 size_t outsz);

struct credential {
	const char *key; /* one of credentials_keys */
	enum credential_state state;
	size_t len;
	char value[CREDENTIALS_MAX_VALUE + 1]; /* "" unless FOUND */
};

struct credentials {
	struct credential v[CREDENTIALS_NKEYS];
	size_t found; /* how many are FOUND */
};

/* Fills c from a Secret object (every key of credentials_keys, FOUND or
 * not), then wipes the base64 text in the object's data, which the caller
 * is about to drop. */
void credentials_from_secret(struct credentials *c, json_t *secret);
/* The width of the longest key name, to align values after the keys. */
int credentials_key_width(void);
/* Why a key has no value to show: "(not in the secret)", "(not readable:
 * …)"; "" for a FOUND one. */
const char *credentials_state_words(enum credential_state st);
/* True if a value can be printed on one line as it is (no control
 * characters). */
bool credentials_printable(const struct credential *v);
/* Wipes and frees; NULL is fine. */
void credentials_free(struct credentials *c);

/* What a read is about, for the words of its errors. */
struct credentials_target {
	const char *store;     /* store id */
	const char *namespace; /* store-<id> */
	const char *cluster;   /* the cluster's name in opsdeck */
};

/* c is the callee's (free it with credentials_free) and err NULL on
 * success; c is NULL and err set on failure. */
typedef void (*credentials_fn)(struct credentials *c, const struct err *err, void *ud);

struct credentials_read;

/* Reads the Secret of t through h. timeout_ms 0: CREDENTIALS_TIMEOUT_MS.
 * NULL with err set if the request cannot be made (a bad namespace). */
struct credentials_read *credentials_read(struct kube_http *h, const struct credentials_target *t,
					  long timeout_ms, credentials_fn fn, void *ud,
					  struct err *err);
/* Stops a read; its function is not called. NULL is fine. */
void credentials_read_cancel(struct credentials_read *r);

#endif
