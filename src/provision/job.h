/* One job being run: the step machine that turns a claimed job into
 * requests to the cluster, entirely on the event loop (every database and
 * cluster call is asynchronous, so it runs inside the console as well as in
 * `opsdeck worker`).
 *
 * Steps by kind (each recorded in opsdeck.job_steps before it starts):
 *   provision: namespace, secrets, apply, policy, readiness
 *   scale:     quota, scale, readiness
 *   pause:     pause, drain
 *   resume:    resume, readiness
 *   delete:    delete, gone
 * Every step is idempotent: server-side apply of rendered objects, a
 * credentials Secret created once and read back afterwards (so a resumed
 * job never changes a password the database already uses), scale to an
 * absolute count. A job whose runner died is therefore simply run again
 * from its first step.
 *
 * Outages are waited out, not counted: a cluster that gives no answer
 * (connection refused or reset, timeout, DNS; 502, 503 or 504 from a
 * proxy) is asked the same again after pauses doubling up to 5 s, for at
 * most the provisioning timeout, while the step's timeline row says
 * "waiting for cluster NAME: <reason>"; the step's own deadline moves by
 * the time waited. A database write that gets no answer (a step, the end,
 * reading the store) is sent again the same way, and the run pauses at
 * that step boundary meanwhile; cluster work inside a step goes on.
 *
 * Failures, by the rule of provision/answer.h: a transient one (408, 409,
 * 429, a 500 that changes, other 5xx) is retried inside the step a few
 * times with backoff, then the attempt ends as JOB_RETRY (queued again
 * with capped exponential backoff while attempts remain), as does an
 * outage longer than the timeout; a deterministic answer (another 4xx, a
 * 500 repeated word for word on the immediate retry), a broken workload
 * (ImagePullBackOff past a grace period) or the timeout ends it at once
 * as JOB_FAILED with a message that names the object and the reason.
 *
 * Every write names the attempt (owner and attempt number), so it changes
 * nothing once the lease went elsewhere. The lease is renewed every third
 * of its length, until the end is written; a renewal answered "not yours"
 * stops the run without touching the job (its new owner has it), one that
 * got no answer is tried at the next tick or as soon as the database is
 * back (jrun_db_ready), and a store that turned Deleting cancels any other
 * job of it. */
#ifndef OPSDECK_PROVISION_JOB_H
#define OPSDECK_PROVISION_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "db/conn.h"
#include "db/jobs.h"
#include "kube/http.h"
#include "loop.h"

struct jrun;

struct jrun_env {
	struct loop *loop;
	struct db_conn *db;
	const char *owner;   /* the runner's unique name, recorded as lease owner */
	long lease_s;	     /* lease length */
	long timeout_s;	     /* readiness, drain and namespace removal */
	long poll_ms;	     /* how often readiness is looked at */
	long grace_ms;	     /* how long a broken workload may stay broken */
	const char *domain;  /* stores are served at https://<id>.<domain> */
	/* The client for a kube context; owned by the caller. */
	struct kube_http *(*http_for)(void *http_ud, const char *context, struct err *err);
	void *http_ud;
	/* The run is over (ended, handed back or lost); the caller frees it. */
	void (*done)(struct jrun *jr, void *ud);
	void *ud;
};

/* Starts running job (its first database request goes out at once). */
struct jrun *jrun_start(const struct jrun_env *env, const struct job *job);
/* Stops the run and hands the job back to the queue; done follows. */
void jrun_release(struct jrun *jr);
void jrun_free(struct jrun *jr);
/* The runner's database connection is ready again: renew the lease and
 * send a write that waits, now. */
void jrun_db_ready(struct jrun *jr);
/* The attempt is no longer this run's (a claim began another): stop
 * without writing anything; done follows at once. */
void jrun_lost(struct jrun *jr);
const struct job *jrun_job(const struct jrun *jr);

/* How a run ended. */
enum jrun_end {
	JRUN_SUCCEEDED,
	JRUN_FAILED,   /* for good: not tried again */
	JRUN_RETRY,    /* queued again after a delay while attempts remain */
	JRUN_CANCELLED,
	JRUN_RELEASED, /* handed back: the runner stops */
	JRUN_LOST,     /* stopped without writing an end (the lease went elsewhere) */
};
enum jrun_end jrun_how(const struct jrun *jr);
/* The end of the attempt in words, for a runner's log: the job, the
 * attempt, the step, the error and why it was given up on, and whether and
 * when the job is tried again:
 * "job 7 (provision of store 5c1e0a9f3b2d), attempt 1 of 5: failed at step
 * apply: Service/mysql: ... (HTTP 500 with the same message on the
 * immediate retry, an answer that does not change); not tried again" */
void jrun_describe(const struct jrun *jr, char *out, size_t outsz);

#endif
