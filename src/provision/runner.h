/* The job runner: claims jobs from the database and runs each one's step
 * machine (provision/job.h), on the event loop it is given. The same code
 * runs inside the console (unless --no-worker) and as `opsdeck worker`; any
 * number of runners may share one database.
 *
 *  - It has its own database connection (jobs must not wait behind the
 *    console's queries, nor the console behind lease renewals) and one
 *    cluster client per kube context, made on first use from the
 *    kubeconfig.
 *  - It claims while it has room (max_jobs) and the database offers work:
 *    on start, when a job changes (LISTEN), after each run, and every
 *    poll interval for delayed retries and expired leases.
 *  - Its name, the lease owner of every job it runs and the runner of
 *    every step it records, is unique to the process: the name it was
 *    given (or "<host>:<pid>") plus "/" and 8 random hex digits, so two
 *    runners started with one name never hold one lease.
 *  - When its database connection is lost it keeps its jobs: cluster work
 *    goes on, writes wait (provision/job.h), and once the connection is
 *    back every lease is renewed before anything is claimed; a job whose
 *    lease went to another runner meanwhile is stopped without a write.
 *  - runner_stop hands every running job back (queued again at once, the
 *    attempt not counted) and calls its function when all are released.
 *  - With `once`, it stops by itself when a claim finds nothing and no job
 *    is running.
 *  - Every reconcile_s it runs a reconcile pass (provision/reconcile.h) on
 *    its own connection, one at a time, and hands the report to the
 *    function set with runner_on_reconcile; it keeps the latest report for
 *    the console's :reconcile view, which can also ask for a pass now. */
#ifndef OPSDECK_PROVISION_RUNNER_H
#define OPSDECK_PROVISION_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "loop.h"
#include "util.h"

/* The longest name a runner is given (its id is added to it). */
#define RUNNER_NAME_MAX 190

struct runner_opts {
	const char *name; /* the lease owner's name; NULL: "<host>:<pid>" */
	long max_jobs;	  /* at once in this runner; 0: conf worker.jobs */
	long lease_s;	  /* 0: 30 */
	long poll_ms;	  /* 0: 1000 */
	bool once;
	long reconcile_s; /* a reconcile pass every so many seconds; 0: none */
};

struct runner;

/* Called once the runner has stopped (runner_stop, or `once` done). */
typedef void (*runner_stopped_fn)(void *ud);
struct job;
/* Called after each job run ends, with the job and how its attempt ended
 * in words (jrun_describe): the step, the error, whether and when it is
 * tried again. */
typedef void (*runner_job_fn)(void *ud, const struct job *job, const char *ending);

struct reconcile_report;
/* Called after each periodic reconcile pass. */
typedef void (*runner_reconcile_fn)(void *ud, const struct reconcile_report *rep);

struct runner *runner_new(struct loop *loop, const struct conf *conf,
			  const struct runner_opts *opts, struct err *err);
void runner_on_stopped(struct runner *r, runner_stopped_fn fn, void *ud);
void runner_on_job(struct runner *r, runner_job_fn fn, void *ud);
void runner_on_reconcile(struct runner *r, runner_reconcile_fn fn, void *ud);
void runner_stop(struct runner *r);
void runner_free(struct runner *r);

/* Starts a reconcile pass now, unless one is running already (its report
 * comes soon either way, through runner_on_reconcile's function). False
 * with err when none can start (the database is not ready, stopping). */
bool runner_reconcile_now(struct runner *r, struct err *err);
bool runner_reconciling(const struct runner *r);
/* The latest pass's report (kept until the next one ends), or NULL before
 * the first. */
const struct reconcile_report *runner_last_reconcile(const struct runner *r);

/* Jobs running now (for a console asked to quit). */
size_t runner_running(const struct runner *r);
/* The unique name: "worker-1/3f9a2c1e". */
const char *runner_name(const struct runner *r);
/* Why the runner cannot work now (database down...), or "". */
const char *runner_problem(const struct runner *r);

#endif
