#include "config.h"

#include "provision/runner.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/conn.h"
#include "db/jobs.h"
#include "kube/api.h"
#include "kube/http.h"
#include "kube/registry.h"
#include "provision/job.h"
#include "provision/reconcile.h"

#define CLAIM_TIMEOUT_MS 15000
/* Reconnecting quickly matters more here than to a view: a runner back
 * before its leases expire loses no attempt. */
#define DB_BACKOFF_MAX_MS 2000
#define INSTANCE_ID_LEN 8 /* hex digits */

struct runner {
	struct loop *loop;
	const struct conf *conf;
	struct runner_opts opts;
	char name[200];
	struct db_conn *db;
	struct kube_registry *clients; /* shared with everything on the loop */
	struct reconcile *reconcile;
	struct loop_timer *reconcile_timer;
	struct jrun **runs;
	size_t nruns, caprun;
	struct jrun **dead; /* ended runs, freed from a timer */
	size_t ndead, capdead;
	struct loop_timer *poll, *reap;
	bool claiming, claim_again, stopping, stopped;
	runner_stopped_fn stopped_fn;
	void *stopped_ud;
	runner_job_fn job_fn;
	void *job_ud;
	runner_reconcile_fn reconcile_fn;
	void *reconcile_ud;
	struct reconcile_report last; /* the latest pass's, once have_last */
	bool have_last;
	char problem[600];
};

static void try_claim(struct runner *r);

const char *runner_name(const struct runner *r)
{
	return r->name;
}

size_t runner_running(const struct runner *r)
{
	return r->nruns;
}

const char *runner_problem(const struct runner *r)
{
	return r->problem;
}

void runner_on_stopped(struct runner *r, runner_stopped_fn fn, void *ud)
{
	r->stopped_fn = fn;
	r->stopped_ud = ud;
}

void runner_on_job(struct runner *r, runner_job_fn fn, void *ud)
{
	r->job_fn = fn;
	r->job_ud = ud;
}

/* ---- runs ---- */

static void check_stopped(struct runner *r)
{
	if (r->stopping && !r->stopped && r->nruns == 0 && !r->claiming) {
		r->stopped = true;
		if (r->poll) {
			loop_timer_cancel(r->poll);
			r->poll = NULL;
		}
		if (r->reconcile_timer) {
			loop_timer_cancel(r->reconcile_timer);
			r->reconcile_timer = NULL;
		}
		if (r->stopped_fn)
			r->stopped_fn(r->stopped_ud);
	}
}

static void reap(struct loop *loop, void *ud)
{
	struct runner *r = ud;

	(void)loop;
	r->reap = NULL;
	for (size_t i = 0; i < r->ndead; i++)
		jrun_free(r->dead[i]);
	r->ndead = 0;
	check_stopped(r);
	try_claim(r);
}

static void run_done(struct jrun *jr, void *ud)
{
	struct runner *r = ud;
	const struct job *job = jrun_job(jr);

	for (size_t i = 0; i < r->nruns; i++) {
		if (r->runs[i] == jr) {
			r->runs[i] = r->runs[--r->nruns];
			break;
		}
	}
	/* Freed later: this is called from inside the run's own callbacks. */
	r->dead = xgrow(r->dead, &r->capdead, r->ndead + 1, sizeof(*r->dead));
	r->dead[r->ndead++] = jr;
	if (!r->reap)
		r->reap = loop_timer_add(r->loop, 0, 0, reap, r);
	if (r->job_fn) {
		char ending[1600];

		jrun_describe(jr, ending, sizeof(ending));
		r->job_fn(r->job_ud, job, ending);
	}
}

static void start_run(struct runner *r, const struct job *job)
{
	struct jrun_env env = {
		.loop = r->loop,
		.db = r->db,
		.owner = r->name,
		.lease_s = r->opts.lease_s,
		.timeout_s = r->conf->provision_timeout_s,
		.poll_ms = r->opts.poll_ms,
		.grace_ms = r->conf->provision_timeout_s * 1000 / 4 < 30000
				    ? r->conf->provision_timeout_s * 1000 / 4
				    : 30000,
		.domain = r->conf->store_domain,
		.http_for = kube_registry_http_for,
		.http_ud = r->clients,
		.done = run_done,
		.ud = r,
	};

	r->runs = xgrow(r->runs, &r->caprun, r->nruns + 1, sizeof(*r->runs));
	r->runs[r->nruns++] = jrun_start(&env, job);
}

/* ---- claiming ---- */

static void claimed(void *ud, const PGresult *res, const struct err *err)
{
	struct runner *r = ud;
	struct job job;
	struct err e = { { 0 } };

	r->claiming = false;
	if (!res) {
		snprintf(r->problem, sizeof(r->problem), "cannot claim jobs: %.500s", err->msg);
		check_stopped(r);
		return;
	}
	r->problem[0] = '\0';
	if (!job_parse(res, &job, &e)) {
		snprintf(r->problem, sizeof(r->problem), "%s", e.msg);
		check_stopped(r);
		return;
	}
	if (r->stopping) {
		/* Claimed while stopping: hand it straight back. */
		if (job.id) {
			start_run(r, &job);
			jrun_release(r->runs[r->nruns - 1]);
		}
		check_stopped(r);
		return;
	}
	if (job.id) {
		/* Its lease expired while this runner could not renew it, and this
		 * claim began a new attempt: the old run stops, unwritten. */
		for (size_t i = 0; i < r->nruns; i++) {
			if (jrun_job(r->runs[i])->id == job.id) {
				jrun_lost(r->runs[i]);
				break;
			}
		}
		start_run(r, &job);
		r->claim_again = true; /* there may be more */
	} else if (r->opts.once && r->nruns == 0) {
		runner_stop(r);
		return;
	}
	if (r->claim_again) {
		r->claim_again = false;
		try_claim(r);
	}
}

static void try_claim(struct runner *r)
{
	struct db_req q;

	if (r->stopping || (size_t)r->opts.max_jobs <= r->nruns)
		return;
	if (r->claiming) {
		r->claim_again = true;
		return;
	}
	if (db_conn_state(r->db, NULL) != DB_STATE_READY)
		return;
	r->claiming = true;
	job_req_claim(&q, r->name, r->opts.lease_s);
	db_conn_submit(r->db, &q, CLAIM_TIMEOUT_MS, claimed, r);
}

/* ---- reconciling ---- */

static void reconciled(const struct reconcile_report *rep, void *ud)
{
	struct runner *r = ud;

	reconcile_report_clear(&r->last);
	reconcile_report_copy(&r->last, rep);
	r->have_last = true;
	if (r->reconcile_fn)
		r->reconcile_fn(r->reconcile_ud, rep);
	reconcile_free(r->reconcile);
	r->reconcile = NULL;
}

/* Starts a pass unless one runs; false with err if none can start now. */
static bool reconcile_begin(struct runner *r, struct err *err)
{
	struct reconcile_opts ro = {
		.loop = r->loop,
		.db = r->db,
		.conf = r->conf,
		.actor = r->name,
		.http_for = kube_registry_http_for,
		.http_ud = r->clients,
	};
	const char *why = NULL;

	if (r->reconcile)
		return true;
	if (r->stopping) {
		err_set(err, "the runner is stopping");
		return false;
	}
	if (db_conn_state(r->db, &why) != DB_STATE_READY) {
		err_set(err, "the runner's database connection is %s%s%.300s",
			db_state_name(db_conn_state(r->db, NULL)), why && *why ? ": " : "",
			why ? why : "");
		return false;
	}
	r->reconcile = reconcile_start(&ro, reconciled, r);
	return true;
}

static void reconcile_tick(struct loop *loop, void *ud)
{
	struct err err = { { 0 } };

	(void)loop;
	/* A tick that cannot start waits for the next: the problem is shown
	 * by runner_problem. */
	reconcile_begin(ud, &err);
}

bool runner_reconcile_now(struct runner *r, struct err *err)
{
	return reconcile_begin(r, err);
}

bool runner_reconciling(const struct runner *r)
{
	return r->reconcile != NULL;
}

const struct reconcile_report *runner_last_reconcile(const struct runner *r)
{
	return r->have_last ? &r->last : NULL;
}

void runner_on_reconcile(struct runner *r, runner_reconcile_fn fn, void *ud)
{
	r->reconcile_fn = fn;
	r->reconcile_ud = ud;
}

static void poll_tick(struct loop *loop, void *ud)
{
	(void)loop;
	try_claim(ud);
}

static void db_event(void *ud, const struct db_event *ev)
{
	struct runner *r = ud;
	const char *reason = NULL;

	switch (ev->kind) {
	case DB_EVENT_STATE:
		if (db_conn_state(r->db, &reason) != DB_STATE_READY) {
			snprintf(r->problem, sizeof(r->problem), "database %s%s%s",
				 db_state_name(ev->state), reason && *reason ? ": " : "",
				 reason ? reason : "");
			break;
		}
		r->problem[0] = '\0';
		/* Leases first, before any claim can take an expired one. */
		for (size_t i = 0; i < r->nruns; i++)
			jrun_db_ready(r->runs[i]);
		break;
	case DB_EVENT_RESYNC:
		try_claim(r);
		break;
	case DB_EVENT_CHANGE:
		if (strcmp(ev->table, "jobs") == 0)
			try_claim(r);
		break;
	}
}

/* A random id for this runner, so that two started with one name are told
 * apart by every lease and step they write. */
static bool instance_id(char *out, size_t outsz, struct err *err)
{
	unsigned char raw[INSTANCE_ID_LEN / 2];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(raw)) {
		err_set(err, "cannot read /dev/urandom for the runner's id");
		return false;
	}
	for (size_t i = 0; i < sizeof(raw) && 2 * i + 2 < outsz; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return true;
}

struct runner *runner_new(struct loop *loop, const struct conf *conf,
			  const struct runner_opts *opts, struct err *err)
{
	struct runner *r = xcalloc(1, sizeof(*r));
	struct db_conn_options dbo = { .request_timeout_ms = 15000,
				       .backoff_max_ms = DB_BACKOFF_MAX_MS };
	char host[128], base[RUNNER_NAME_MAX + 1], id[INSTANCE_ID_LEN + 1];

	r->loop = loop;
	r->conf = conf;
	r->opts = *opts;
	if (r->opts.max_jobs <= 0)
		r->opts.max_jobs = conf->worker_jobs;
	if (r->opts.lease_s <= 0)
		r->opts.lease_s = 30;
	if (r->opts.poll_ms <= 0)
		r->opts.poll_ms = 1000;
	if (opts->name && *opts->name) {
		str_copy(base, sizeof(base), opts->name);
		if (strlen(opts->name) >= sizeof(base))
			base[0] = '\0'; /* refused below */
	} else {
		if (gethostname(host, sizeof(host)) != 0)
			str_copy(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(base, sizeof(base), "%s:%ld", host, (long)getpid());
	}
	if (!db_valid_name(base, RUNNER_NAME_MAX)) {
		err_set(err, "a runner name must be 1 to %d characters on one line",
			RUNNER_NAME_MAX);
		free(r);
		return NULL;
	}
	if (!instance_id(id, sizeof(id), err)) {
		free(r);
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s/%s", base, id);
	r->db = db_conn_new(loop, conf->database, &dbo);
	db_conn_subscribe(r->db, db_event, r);
	r->clients = kube_registry_acquire(loop, conf->kubeconfig);
	if (r->opts.reconcile_s > 0)
		r->reconcile_timer =
		    loop_timer_add(loop, (uint64_t)r->opts.reconcile_s * 1000u,
				   (uint64_t)r->opts.reconcile_s * 1000u, reconcile_tick, r);
	r->poll = loop_timer_add(loop, (uint64_t)r->opts.poll_ms, (uint64_t)r->opts.poll_ms,
				 poll_tick, r);
	return r;
}

void runner_stop(struct runner *r)
{
	if (r->stopping)
		return;
	r->stopping = true;
	for (size_t i = 0; i < r->nruns; i++)
		jrun_release(r->runs[i]);
	if (!r->reap)
		r->reap = loop_timer_add(r->loop, 0, 0, reap, r);
}

void runner_free(struct runner *r)
{
	if (!r)
		return;
	if (r->poll)
		loop_timer_cancel(r->poll);
	if (r->reap)
		loop_timer_cancel(r->reap);
	for (size_t i = 0; i < r->nruns; i++)
		jrun_free(r->runs[i]);
	for (size_t i = 0; i < r->ndead; i++)
		jrun_free(r->dead[i]);
	free(r->runs);
	free(r->dead);
	/* a pass under way forgets its requests on the connection and the
	 * clients: both must still be there */
	reconcile_free(r->reconcile);
	reconcile_report_clear(&r->last);
	if (r->reconcile_timer)
		loop_timer_cancel(r->reconcile_timer);
	db_conn_unsubscribe(r->db, db_event, r);
	db_conn_forget(r->db, r);
	db_conn_free(r->db);
	kube_registry_release(r->clients);
	free(r);
}
