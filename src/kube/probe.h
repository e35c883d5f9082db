/* A health check of one kube context, for `opsdeck doctor`: does the
 * kubeconfig resolve it, does its server answer, does it accept the
 * credentials, does it serve every resource the caller needs, and may the
 * caller do every thing it needs there. Each step ends in one finding: a
 * level and a sentence, plus facts for JSON output.
 *
 *   context    the kubeconfig gives the context's server and user
 *   server     GET /version answers (the version and the round trip)
 *   auth       who the server says the caller is (SelfSubjectReview)
 *   discovery  each needed resource and subresource is listed in its
 *              group version's discovery document
 *   access     each need is allowed (one SelfSubjectAccessReview each, in
 *              every namespace: stores get namespaces of their own)
 *
 * Contract:
 *  - Asynchronous on the loop: kube_probe_start() returns at once and done
 *    is called once, from a loop timer of its own (never from inside start
 *    or a request's callback), so done may free the probe.
 *  - The whole probe has one deadline (timeout_ms): whatever has not
 *    answered by then is cancelled and reported as not answering in time.
 *  - Requests are not retried: a doctor reports what it finds.
 *  - A step that cannot succeed ends the probe: no server, no steps after
 *    it; credentials refused (401), no discovery or access checks. Discovery
 *    and access run together once the caller is known.
 *  - No finding carries a credential. */
#ifndef OPSDECK_KUBE_PROBE_H
#define OPSDECK_KUBE_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

#define KUBE_PROBE_TIMEOUT_MS 10000

enum kube_probe_level { KUBE_PROBE_OK, KUBE_PROBE_WARN, KUBE_PROBE_FAIL };

/* Something the caller needs to do on the cluster. */
struct kube_need {
	const char *verb;
	const char *group; /* "" for the core group */
	const char *version;
	const char *resource;	 /* plural */
	const char *subresource; /* NULL: the resource itself */
};

struct kube_probe_finding {
	const char *check; /* "context", "server", "auth", "discovery", "access" */
	enum kube_probe_level level;
	char *message;	/* a sentence, without the context's name in front */
	json_t *detail; /* facts for JSON output (owned by the probe); may be NULL */
};

struct kube_probe_opts {
	const char *kubeconfig; /* an explicit kubeconfig file; NULL: $KUBECONFIG... */
	const char *context;	/* NULL: the current context */
	const struct kube_need *needs;
	size_t nneeds;
	long timeout_ms;     /* 0: KUBE_PROBE_TIMEOUT_MS */
	const char *purpose; /* what the needs are for, in sentences; NULL: "opsdeck" */
};

struct kube_probe;
typedef void (*kube_probe_fn)(struct kube_probe *p, void *ud);

/* Copies what it needs from opts except needs, which must outlive the
 * probe. */
struct kube_probe *kube_probe_start(struct loop *loop, const struct kube_probe_opts *opts,
				    kube_probe_fn done, void *ud);
/* Stops whatever is in flight (done is not called) and frees the probe. */
void kube_probe_free(struct kube_probe *p);

/* The findings so far, in step order. */
const struct kube_probe_finding *kube_probe_findings(const struct kube_probe *p, size_t *n);
/* The context's name as the kubeconfig resolved it ("" if it did not). */
const char *kube_probe_context(const struct kube_probe *p);
/* The worst level of the findings. */
enum kube_probe_level kube_probe_level(const struct kube_probe *p);
const char *kube_probe_level_name(enum kube_probe_level l);

#endif
