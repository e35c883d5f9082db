/* The reconcile pass: compares what the database says runs with what each
 * cluster runs, asynchronously on the loop.
 *
 *  - Every cluster that is not disabled is looked at (and a disabled one
 *    that still holds live stores). One that cannot be reached is a
 *    finding ("unreachable"); the others are still looked at.
 *  - A Ready (or Paused) store whose namespace vanished, is Terminating,
 *    lacks an object its offering's template renders ("missing
 *    deployment/wordpress, service/wordpress": provision/expected.h; a
 *    paused store's workloads at 0 replicas are there), or whose workloads
 *    are unhealthy is only a suspect at first: a pod being replaced or an
 *    API hiccup looks the same for a moment. After the
 *    confirmation delay (conf worker.reconcile_confirm) its cluster is
 *    looked at again; if it still holds, the store is marked Failed with
 *    the reason ("drift: namespace store-x is gone") through
 *    opsdeck.store_drift, so the console stops showing it Ready and `store
 *    retry` repairs it; if not, the pass reports it as "recovered".
 *    store_drift leaves alone a store that a job took up, or that changed,
 *    since the pass read the stores.
 *    With report_only (a read-only console) drift is reported, not marked.
 *  - Namespaces labelled app.kubernetes.io/managed-by=opsdeck that no live
 *    store uses -- neither by name nor by the id of their opsdeck.io/store
 *    label, on any cluster -- are orphans. The pass only reports them;
 *    provision/orphan.h deletes one, audited, when an operator asks.
 *  - A namespace without a live store that is Terminating is reported with
 *    how long, the finalizers that hold it (metadata's and spec's) and the
 *    conditions the namespace controller set.
 *  - "unchecked": a kind the templates use that a cluster would not list
 *    (not served, refused): its objects are not looked for, as an error is
 *    not an absence; a store whose template could not be read or
 *    rendered; a suspect whose objects could not all be listed at the
 *    second look. Nothing is marked on it.
 *  - "stuck": a job whose attempt has run for more than twice the
 *    provisioning timeout, and a store Queued, Provisioning or Deleting for
 *    longer than the timeout with no job running, each with its age, its
 *    step and what it waits for.
 * Stores a job is working on (Queued, Provisioning, Deleting) are not
 * checked against the cluster; they are left to their job. */
#ifndef OPSDECK_PROVISION_RECONCILE_H
#define OPSDECK_PROVISION_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "db/conn.h"
#include "kube/http.h"
#include "loop.h"

struct reconcile_finding {
	/* "drift", "recovered", "orphan", "terminating", "unreachable", "unchecked",
	 * "stuck" */
	char kind[16];
	char cluster[64];
	char namespace[64];
	char store[16];	    /* "" for an orphan */
	char reason[600];
	bool acted;	    /* drift recorded / orphan deletion asked for (by the caller) */
	bool report_only;   /* drift seen by a report_only pass: not marked */
};

struct reconcile_report {
	struct reconcile_finding *v;
	size_t n;
	size_t stores_checked;
	char error[600]; /* the pass could not run: "" when it did */
	/* The pass ran, but a later part of it failed (a drift not recorded,
	 * stuck stores not looked for): the findings stand, this is said
	 * after them. "" when everything went. */
	char problem[600];
	time_t started, finished; /* wall clock */
};

struct reconcile_opts {
	struct loop *loop;
	struct db_conn *db;
	const struct conf *conf; /* the confirmation delay and provisioning timeout */
	const char *actor; /* recorded with drift events */
	bool report_only;  /* mark nothing (read-only mode) */
	struct kube_http *(*http_for)(void *ud, const char *context, struct err *err);
	void *http_ud;
};

struct reconcile;
typedef void (*reconcile_done_fn)(const struct reconcile_report *rep, void *ud);

/* Starts a pass; done is called once from the loop (never from inside this
 * call) unless the pass is freed first. */
struct reconcile *reconcile_start(const struct reconcile_opts *opts, reconcile_done_fn done,
				  void *ud);
void reconcile_free(struct reconcile *rc);

/* What was done about a finding, in words to append to it: " (marked
 * Failed)", " (deleting it)", " (not marked: ...)" for drift a job
 * explains or a read-only pass saw, or "". */
const char *reconcile_outcome(const struct reconcile_finding *f);

/* A report kept past its pass (the runner's latest, a view's copy):
 * dst gets its own findings; clear frees them. */
void reconcile_report_copy(struct reconcile_report *dst, const struct reconcile_report *src);
void reconcile_report_clear(struct reconcile_report *rep);

#endif
