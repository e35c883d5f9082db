/* The job queue as a runner sees it: claim a job under a lease, renew the
 * lease, record steps, end an attempt, and read what a job needs to run.
 * Each is one call of a schema function (opsdeck.job_claim, job_renew,
 * job_step, job_end), so the rules -- the concurrency limit on
 * provisioning, one job per store at a time, leases, retries with their
 * attempt count, what each outcome does to the store -- live in the
 * database, the same for every runner on every host. */
#ifndef OPSDECK_DB_JOBS_H
#define OPSDECK_DB_JOBS_H

#include <stdbool.h>
#include <stddef.h>

#include "db/catalog_file.h"
#include "db/db.h"

enum job_outcome {
	JOB_SUCCEEDED,
	JOB_FAILED, /* for good: the store turns Failed with the message */
	JOB_RETRY,  /* transient: queued again after a delay while attempts remain */
	JOB_CANCELLED,
};

struct job {
	long id;
	char store[16];
	char kind[16]; /* provision, scale, pause, resume, delete, reconcile */
	long attempts, max_attempts;
	long replicas; /* scale: the target; else -1 */
};

/* Result: zero or one job row; parse it with job_parse. */
void job_req_claim(struct db_req *r, const char *owner, long lease_s);
bool job_parse(const PGresult *res, struct job *out, struct err *err);

/* The writes of a runner about one attempt of a job: each is conditional
 * on the runner (owner, its unique name) holding the lease of that attempt
 * (opsdeck.job_holds), so a runner whose lease expired and went to another
 * runner -- or to a new attempt of its own -- changes nothing. */
struct job_attempt {
	long job;
	const char *owner;
	long attempt;
};

/* Result: one row with the store's status, NULL when the lease is lost. */
void job_req_renew(struct db_req *r, const struct job_attempt *a, long lease_s);
/* Result: one row (ok, cancelled): ok false when the lease is lost, or
 * when the job was asked to stop (opsdeck.job_cancel): then the database
 * ended it cancelled and cancelled says so in words (else NULL). message
 * may be NULL. Recording again the step the attempt is at changes
 * nothing, so a write whose answer was lost may be sent again. */
void job_req_step(struct db_req *r, const struct job_attempt *a, const char *step,
		  const char *message);
/* What the current step is doing now (NULL: nothing worth saying), on its
 * timeline row. Result: one boolean, false when the lease is lost. */
void job_req_note(struct db_req *r, const struct job_attempt *a, const char *message);
/* Result: one row (ok, cancelled): ok false when the lease is lost;
 * cancelled, in words, when the job had been asked to stop and the
 * database ended it cancelled instead of as asked (a retry), else NULL.
 * url: provision only. */
void job_req_end(struct db_req *r, const struct job_attempt *a, enum job_outcome outcome,
		 const char *message, long retry_s, const char *url);

/* Hands a job back (a runner stopping): queued again, the attempt not
 * counted -- or, when it had been asked to stop, ended cancelled. Result:
 * one row (ok, cancelled) as job_req_end's. */
void job_req_release(struct db_req *r, const struct job_attempt *a);

/* Where a job is, for a client waiting on it: rows (state, step, last
 * error, attempts, store status, store error, store url). */
void job_req_state(struct db_req *r, long job);

/* Everything a job needs about its store. */
struct job_store {
	char id[16];
	char *name, *namespace, *status, *url;
	long replicas;
	char *project, *offering, *kind;
	char *template_text; /* the offering's catalog file */
	struct catalog_plan plan;
	char *cluster, *context; /* cluster name and its kube context */
};

void job_req_store(struct db_req *r, const char *store);
bool job_store_parse(const PGresult *res, struct job_store *out, struct err *err);
/* The stores ids names (hex ids), one row each in id order, for
 * job_stores_row. Each offering's template is given on the first row of
 * that offering only: a row after it has template_text NULL. False, r
 * untouched, when an id is not a store id. */
bool job_req_stores(struct db_req *r, const char *const *ids, size_t n);
bool job_stores_row(const PGresult *res, int row, struct job_store *out, struct err *err);
void job_store_free(struct job_store *s);

/* What a reconcile pass looks at: rows (store id, namespace, status,
 * cluster, kube context, when this was read) of every live store, plus a
 * row with an empty store id for each cluster that holds none. Disabled
 * clusters appear only with their live stores. */
void job_req_reconcile_list(struct db_req *r);
/* Marks drift unless the store changed since the pass read it (see
 * opsdeck.store_drift). seen_at: the read time that list answered.
 * Result: one boolean, true when the store was marked Failed. */
void job_req_drift(struct db_req *r, const char *store, const char *reason, const char *actor,
		   const char *seen_status, const char *seen_at);
/* Jobs running far past what an attempt takes (job_after_s), and stores
 * in a busy status longer than store_after_s with no job running; the
 * columns are described next to the SQL. */
void job_req_stuck(struct db_req *r, long store_after_s, long job_after_s);

#endif
