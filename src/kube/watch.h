/* A watch cache: the objects of one resource kind (in one namespace or all,
 * optionally filtered by a label selector) kept up to date in memory by
 * list + watch, the way client-go's reflector does it.
 *
 *  - It lists (every page), then watches from the list's resourceVersion
 *    with allowWatchBookmarks, and resumes each new watch from the last
 *    resourceVersion it saw (objects and bookmarks), so nothing is missed
 *    or repeated when a stream ends or drops.
 *  - A watch refused with 410 Gone (as an HTTP answer or as an ERROR event
 *    with code 410) means the server no longer has that history: it lists
 *    again and reports the difference as added/modified/deleted changes.
 *  - A resourceVersion that goes backwards (a restored etcd, a restarted
 *    server) means the same: the cache is relisted.
 *  - Dropped streams and failed lists are retried with capped exponential
 *    backoff; the last error stays readable (kube_watch_error) for a status
 *    line until things work again.
 *  - Readers never block: the map is in memory, read on the loop's thread.
 *    Objects are borrowed, valid until control returns to the loop; take a
 *    reference (json_incref) to keep one longer.
 *  - Objects are kept without metadata.managedFields, which is large and
 *    which opsdeck does not read.
 *  - Keys are object names, or "namespace/name" when watching all
 *    namespaces of a namespaced kind.
 *  - The change function may free the watch (kube_watch_free) from inside. */
#ifndef OPSDECK_KUBE_WATCH_H
#define OPSDECK_KUBE_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kube/api.h"
#include "kube/http.h"
#include "util.h"

enum kube_watch_event {
	KUBE_WATCH_ADDED,
	KUBE_WATCH_MODIFIED,
	KUBE_WATCH_DELETED, /* obj: its last state */
	KUBE_WATCH_SYNCED,  /* a list completed: the map matches the server (key, obj NULL) */
	KUBE_WATCH_ERROR,   /* kube_watch_error() changed (key, obj NULL) */
};

struct kube_watch;

typedef void (*kube_watch_fn)(struct kube_watch *w, enum kube_watch_event ev, const char *key,
			      json_t *obj, void *ud);

struct kube_watch_opts {
	const char *label_selector;
	const char *field_selector;
	long timeout_s;	      /* each watch's timeoutSeconds; 0: 300..600 at random */
	long backoff_base_ms; /* 0: 500 */
	long backoff_cap_ms;  /* 0: 30000 */
	long list_page;	      /* 0: KUBE_LIST_PAGE */
	/* What is kept of each object: these dotted paths ("spec.replicas",
	 * "status"; NULL-terminated, copied; each under 256 characters) and
	 * always metadata's name, namespace and resourceVersion. NULL: all but
	 * managedFields. Every page of a list is trimmed as it arrives. */
	const char *const *fields;
};

/* Starts listing at once; fn may be NULL for a cache that is only read. */
struct kube_watch *kube_watch_new(struct kube_http *h, const struct kube_resource *res,
				  const char *ns, const struct kube_watch_opts *opts,
				  kube_watch_fn fn, void *ud, struct err *err);
void kube_watch_free(struct kube_watch *w);

/* True once a first list has completed. */
bool kube_watch_synced(const struct kube_watch *w);
/* True while the first list comes in: its pages are emitted as they
 * arrive, so the objects so far are fresh but not all there are. */
bool kube_watch_partial(const struct kube_watch *w);
/* An object by key, or NULL. */
json_t *kube_watch_get(const struct kube_watch *w, const char *key);
/* Every object: a JSON object from key to object. Read only. */
const json_t *kube_watch_objects(const struct kube_watch *w);
size_t kube_watch_count(const struct kube_watch *w);
/* The last resourceVersion seen ("" before the first list). */
const char *kube_watch_resource_version(const struct kube_watch *w);
/* The last error in words, or "" while all is well. */
const char *kube_watch_error(const struct kube_watch *w);
/* The HTTP status of the last error (403, 401, 410…), 0 when it came with
 * no answer at all (connection refused, timed out) or all is well. */
long kube_watch_error_status(const struct kube_watch *w);
/* Drops the watch and lists again from the loop (not from inside this
 * call); synced is false until that list completes. For a cluster that
 * answers again after an outage: what was cached may be stale. */
void kube_watch_relist(struct kube_watch *w);
/* Hands w one line of a watch stream as if its watch had sent it, on a
 * client whose loop is not running: for tests and the fuzz target. */
void kube_watch_feed_line(struct kube_watch *w, const char *line, size_t len);
/* Counters for diagnostics and tests: lists after the first one, and
 * watches started after the first one. */
unsigned kube_watch_relists(const struct kube_watch *w);
unsigned kube_watch_rewatches(const struct kube_watch *w);

#endif
