/* The cluster registry: one per event loop (so one per process in the
 * console and the worker), shared by everything on that loop that talks to
 * a cluster -- the job runner, every pane, a store's details, reconcile
 * passes, and log and queue views.
 *
 *  - Clients: one kube_http per kube context, made from the kubeconfig on
 *    first use and kept, so a context has one connection pool and one run
 *    of its exec credential plugin however many users it has. A context
 *    that kube.tunnels names (kube_http_set_tunnels, set by the front end)
 *    gets its client through that tunnel; a dropped tunnel is an outage
 *    like any other, with the tunnel named in the reason.
 *  - States: each context's reachability in one place -- connecting, ok,
 *    unreachable (with the reason and since when), forbidden, or broken
 *    (the kubeconfig cannot be used). A context is probed (GET /version)
 *    from its first use: every KUBE_REG_PROBE_OK_MS while it answers, at
 *    once when one of its watches fails without an answer, and with a
 *    backoff capped at KUBE_REG_PROBE_CAP_MS while it does not, so a
 *    cluster that answers again is seen within that cap.
 *  - Recovery is true: when a context that was unreachable answers again,
 *    every shared watch on it lists again, and its data is not ready
 *    (kube_sub_ready) until that list completes; nothing cached before the
 *    outage is shown as current.
 *  - Shared watches: a subscription names a context, a resource kind, a
 *    namespace (NULL: all) and a label selector. One kube_watch runs per
 *    distinct name however many subscribe; it stops when the last one lets
 *    go. Subscribers get batched notices: the keys that changed, or "all"
 *    after a (re)list, and state changes, coalesced so that a burst within
 *    one loop turn (a first list of 10,000 objects) is one call.
 *  - Callbacks run from loop timers, never from inside a registry call;
 *    they may subscribe, unsubscribe (themselves included) and release.
 *  - Observers of states are told which context changed; they read the
 *    state with kube_registry_status(). */
#ifndef OPSDECK_KUBE_REGISTRY_H
#define OPSDECK_KUBE_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/api.h"
#include "kube/http.h"
#include "loop.h"
#include "util.h"

#define KUBE_REG_PROBE_OK_MS 15000
#define KUBE_REG_PROBE_BASE_MS 500
#define KUBE_REG_PROBE_CAP_MS 5000
#define KUBE_REG_PROBE_TIMEOUT_MS 5000

struct kube_registry;

/* The loop's registry, made on first use; kubeconfig is an explicit file
 * or NULL ($KUBECONFIG, ~/.kube/config), taken from the first acquire.
 * Each acquire is paired with a release; the last release frees the
 * clients and stops every watch. */
struct kube_registry *kube_registry_acquire(struct loop *loop, const char *kubeconfig);
void kube_registry_release(struct kube_registry *r);

/* The client for context (NULL: the kubeconfig's current context), made
 * on first use; NULL with err set if the kubeconfig cannot give it. The
 * client belongs to the registry. */
struct kube_http *kube_registry_client(struct kube_registry *r, const char *context,
				       struct err *err);
/* The same, in the shape jrun_env.http_for and reconcile expect. */
struct kube_http *kube_registry_http_for(void *registry, const char *context, struct err *err);

enum kube_cluster_state {
	KUBE_CLUSTER_CONNECTING, /* no answer yet */
	KUBE_CLUSTER_OK,
	KUBE_CLUSTER_UNREACHABLE, /* no answer: refused, timed out, TLS... */
	KUBE_CLUSTER_FORBIDDEN,	  /* answers, but refuses the credentials or a watch */
	KUBE_CLUSTER_BROKEN,	  /* the kubeconfig cannot give a client */
};

struct kube_cluster_status {
	enum kube_cluster_state state;
	const char *reason;  /* "" when ok; valid until control returns to the loop */
	uint64_t since_ms;   /* loop_now_ms() of the last change of state */
	unsigned recoveries; /* times it came back after being unreachable */
	uint64_t probe_delay_ms; /* the wait before the probe now scheduled; 0: none */
};

/* The state of context; starts using it (and probing it) if nobody had. */
void kube_registry_status(struct kube_registry *r, const char *context,
			  struct kube_cluster_status *out);
const char *kube_cluster_state_name(enum kube_cluster_state s);
/* Clients made so far (one per context), for tests and diagnostics. */
size_t kube_registry_nclients(const struct kube_registry *r);

typedef void (*kube_registry_state_fn)(void *ud, const char *context);
void kube_registry_observe(struct kube_registry *r, kube_registry_state_fn fn, void *ud);
void kube_registry_unobserve(struct kube_registry *r, kube_registry_state_fn fn, void *ud);

/* ---- shared watches ---- */

struct kube_sub;

struct kube_changes {
	bool all;		 /* re-read everything: a (re)list completed */
	bool state;		 /* readiness or the error changed */
	const char *const *keys; /* otherwise: the objects that changed (watch keys) */
	size_t nkeys;
};

typedef void (*kube_sub_fn)(struct kube_sub *s, const struct kube_changes *ch, void *ud);

/* Subscribes to the objects of res in ns (NULL: every namespace) that
 * match label_selector (NULL: all), kept whole or, with fields, only those
 * (as kube_watch_opts.fields; copied: subscriptions that name the same
 * fields share a watch). Notices come as the first list's pages arrive
 * (keys), once it is whole (all) or if it fails (state); one that joins a
 * watch under way gets all at once. NULL with err set if the context has
 * no client or the arguments are bad. */
struct kube_sub *kube_registry_subscribe(struct kube_registry *r, const char *context,
					 const struct kube_resource *res, const char *ns,
					 const char *label_selector, const char *const *fields,
					 kube_sub_fn fn, void *ud, struct err *err);
/* Lets go; fn is not called again. Accepts NULL. */
void kube_sub_free(struct kube_sub *s);

/* True when the objects are current: listed since the last (re)start, no
 * error since, and the cluster answering. */
bool kube_sub_ready(const struct kube_sub *s);
/* True while the first list comes in, page by page: the objects so far
 * are current, the others not known yet (a key is notified as its page
 * arrives). Only while nothing was cached before the list: a relist after
 * an outage keeps the old objects, which are not current, until it ends. */
bool kube_sub_partial(const struct kube_sub *s);
/* Why the data is not ready, in words ("" when it is, or while the first
 * list is under way). */
const char *kube_sub_problem(const struct kube_sub *s);
/* The objects as kube_watch keeps them (keys as kube_watch_get); read
 * only, borrowed until control returns to the loop. */
const json_t *kube_sub_objects(const struct kube_sub *s);
json_t *kube_sub_get(const struct kube_sub *s, const char *key);
size_t kube_sub_count(const struct kube_sub *s);
const char *kube_sub_context(const struct kube_sub *s);
/* Watches running (one per distinct subscription name), for tests. */
size_t kube_registry_nwatches(const struct kube_registry *r);

#endif
