#include "config.h"

#include "db/jobq.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const jobq_state_names[JOBQ_NSTATES] = {
    [JOBQ_QUEUED] = "queued",	    [JOBQ_RUNNING] = "running",	    [JOBQ_FAILED] = "failed",
    [JOBQ_CANCELLED] = "cancelled", [JOBQ_SUCCEEDED] = "succeeded",
};

const char *const jobq_kind_names[JOBQ_NKINDS] = {
    "provision", "scale", "pause", "resume", "delete", "reconcile",
};

static int index_of(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return i;
	}
	return -1;
}

int jobq_state_index(const char *name)
{
	return index_of(jobq_state_names, JOBQ_NSTATES, name);
}

int jobq_kind_index(const char *name)
{
	return index_of(jobq_kind_names, JOBQ_NKINDS, name);
}

/* ---- the list ---- */

/* The jobs that match ($1 state, $2 store, $3 kind, $4 job id: NULL for
 * any); of those every queued and running one (by the partial index of
 * current jobs), and the newest $5 finished (by the index of finished
 * ones), so that a long history costs nothing. The current attempt began
 * at its first step, or (before it) when the job was first claimed. */
#define JOB_MATCHES                                                                          \
	" ($1::text IS NULL OR j.state = $1) AND ($2::text IS NULL OR j.store = $2)"         \
	" AND ($3::text IS NULL OR j.kind = $3) AND ($4::bigint IS NULL OR j.id = $4)"

static const char sql_list[] =
	"WITH pick AS ((SELECT j.id FROM opsdeck.jobs j"
	"  WHERE j.state IN ('queued', 'running') AND" JOB_MATCHES ")"
	" UNION ALL (SELECT j.id FROM opsdeck.jobs j"
	"  WHERE j.finished_at IS NOT NULL AND" JOB_MATCHES
	"  ORDER BY j.finished_at DESC, j.id DESC LIMIT $5::integer))"
	" SELECT j.id, j.store, s.name, j.kind, j.state, coalesce(j.step, ''), j.attempts,"
	" j.max_attempts, extract(epoch FROM j.run_after - now())::bigint,"
	" extract(epoch FROM now() - j.created_at)::bigint, coalesce(j.lease_owner, ''),"
	" coalesce(extract(epoch FROM j.lease_until - now())::bigint, 0),"
	" CASE WHEN j.state = 'running' THEN extract(epoch FROM now()"
	"  - coalesce(a.started_at, j.started_at, j.created_at))::bigint ELSE -1 END,"
	" coalesce(j.cancel_requested_by, ''), coalesce(j.last_error, ''),"
	" to_char(j.created_at, 'YYYY-MM-DD HH24:MI:SS'),"
	" coalesce(to_char(j.finished_at, 'YYYY-MM-DD HH24:MI:SS'), '')"
	" FROM pick JOIN opsdeck.jobs j ON j.id = pick.id"
	" JOIN opsdeck.stores s ON s.id = j.store"
	" LEFT JOIN LATERAL (SELECT min(x.started_at) AS started_at FROM opsdeck.job_steps x"
	"  WHERE x.job = j.id AND x.attempt = j.attempts) a ON j.state = 'running'"
	" ORDER BY j.state NOT IN ('queued', 'running'),"
	" CASE WHEN j.state IN ('queued', 'running') THEN j.id END,"
	" j.finished_at DESC, j.id DESC";

bool jobq_req_list(struct db_req *r, const struct jobq_filter *f, struct err *err)
{
	if (f->state && jobq_state_index(f->state) < 0) {
		err_set(err, "no job state '%.40s' (queued, running, failed, cancelled, succeeded)",
			f->state);
		return false;
	}
	if (f->kind && jobq_kind_index(f->kind) < 0) {
		err_set(err,
			"no job kind '%.40s' (provision, scale, pause, resume, delete, reconcile)",
			f->kind);
		return false;
	}
	if (f->finished < 0 || f->finished > JOBQ_FINISHED_MAX || f->id < 0) {
		err_set(err, "the number of finished jobs must be from 0 to %d", JOBQ_FINISHED_MAX);
		return false;
	}
	db_req_init(r, sql_list);
	db_req_add(r, f->state);
	db_req_add(r, f->store);
	db_req_add(r, f->kind);
	if (f->id)
		db_req_addf(r, "%ld", f->id);
	else
		db_req_add(r, NULL);
	db_req_add_long(r, f->finished);
	str_copy(r->subject, sizeof(r->subject), "the jobs");
	return true;
}

static bool cell_long(const char *s, long *out)
{
	return s && str_to_long(s, -(1L << 40), 1L << 40, out);
}

bool jobq_parse_row(const char *const *c, size_t ncells, struct jobq_job *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	if (ncells != JOBQ_LIST_COLS)
		goto bad;
	for (size_t i = 0; i < ncells; i++) {
		if (!c[i])
			goto bad;
	}
	if (!cell_long(c[0], &out->id) || !cell_long(c[6], &out->attempts) ||
	    !cell_long(c[7], &out->max_attempts) || !cell_long(c[8], &out->due_in_s) ||
	    !cell_long(c[9], &out->age_s) || !cell_long(c[11], &out->lease_left_s) ||
	    !cell_long(c[12], &out->running_s) || jobq_state_index(c[4]) < 0)
		goto bad;
	str_copy(out->store, sizeof(out->store), c[1]);
	str_copy(out->store_name, sizeof(out->store_name), c[2]);
	str_copy(out->kind, sizeof(out->kind), c[3]);
	str_copy(out->state, sizeof(out->state), c[4]);
	str_copy(out->step, sizeof(out->step), c[5]);
	str_copy(out->runner, sizeof(out->runner), c[10]);
	str_copy(out->cancel_by, sizeof(out->cancel_by), c[13]);
	out->last_error = xstrdup(c[14]);
	str_copy(out->created, sizeof(out->created), c[15]);
	str_copy(out->finished, sizeof(out->finished), c[16]);
	return true;
bad:
	err_set(err, "unexpected answer about the jobs");
	return false;
}

void jobq_job_free(struct jobq_job *j)
{
	x_free(&j->last_error);
}

void jobq_job_age(struct jobq_job *j, long elapsed_s)
{
	if (elapsed_s <= 0)
		return;
	j->due_in_s -= elapsed_s;
	j->age_s += elapsed_s;
	if (j->runner[0])
		j->lease_left_s -= elapsed_s;
	if (j->running_s >= 0)
		j->running_s += elapsed_s;
}

/* ---- what stands out ---- */

void jobq_limits_from_conf(struct jobq_limits *l, const struct conf *conf)
{
	l->timeout_s = conf->provision_timeout_s;
	l->queued_alert_s = conf->queued_alert_s;
}

enum jobq_alert jobq_alert(const struct jobq_job *j, const struct jobq_limits *l, long *age_s)
{
	long age = 0;
	enum jobq_alert a = JOBQ_ALERT_NONE;

	if (strcmp(j->state, "running") == 0) {
		if (j->runner[0] && j->lease_left_s < 0) {
			a = JOBQ_ALERT_LEASE_EXPIRED;
			age = -j->lease_left_s;
		} else if (l->timeout_s > 0 && j->running_s > l->timeout_s) {
			a = JOBQ_ALERT_TIMEOUT;
			age = j->running_s;
		}
	} else if (strcmp(j->state, "queued") == 0 && l->queued_alert_s > 0 &&
		   -j->due_in_s > l->queued_alert_s) {
		a = JOBQ_ALERT_QUEUED;
		age = -j->due_in_s;
	}
	if (age_s)
		*age_s = age;
	return a;
}

void jobq_alert_text(const struct jobq_job *j, const struct jobq_limits *l, char *buf, size_t bufsz)
{
	char age[24], lim[24];
	long s;

	switch (jobq_alert(j, l, &s)) {
	case JOBQ_ALERT_LEASE_EXPIRED:
		str_age(s, age, sizeof(age));
		snprintf(buf, bufsz,
			 "lease expired %s ago: runner %s stopped renewing it; a runner takes the "
			 "job over when it next claims",
			 age, j->runner);
		return;
	case JOBQ_ALERT_TIMEOUT:
		str_age(s, age, sizeof(age));
		str_age(l->timeout_s, lim, sizeof(lim));
		snprintf(buf, bufsz, "attempt %ld has run for %s, past the %s timeout%s%s",
			 j->attempts, age, lim, j->step[0] ? ", at step " : "", j->step);
		return;
	case JOBQ_ALERT_QUEUED:
		str_age(s, age, sizeof(age));
		str_age(l->queued_alert_s, lim, sizeof(lim));
		snprintf(buf, bufsz,
			 "due for %s (over %s) and no runner has taken it: is a worker or a "
			 "console running?",
			 age, lim);
		return;
	case JOBQ_ALERT_NONE:
		break;
	}
	if (bufsz)
		buf[0] = '\0';
}

void jobq_when_text(const struct jobq_job *j, char *buf, size_t bufsz)
{
	char a[24], b[24];

	if (strcmp(j->state, "queued") == 0) {
		if (j->due_in_s > 0) {
			str_age(j->due_in_s, a, sizeof(a));
			snprintf(buf, bufsz, "due in %s", a);
		} else {
			str_age(-j->due_in_s, a, sizeof(a));
			snprintf(buf, bufsz, "waiting %s", a);
		}
	} else if (strcmp(j->state, "running") == 0) {
		str_age(j->running_s, a, sizeof(a));
		str_age(j->lease_left_s < 0 ? -j->lease_left_s : j->lease_left_s, b, sizeof(b));
		snprintf(buf, bufsz, "%s%s, lease %s %s%s", j->cancel_by[0] ? "stopping; " : "", a,
			 j->lease_left_s < 0 ? "expired" : b, j->lease_left_s < 0 ? b : "left",
			 j->lease_left_s < 0 ? " ago" : "");
	} else {
		snprintf(buf, bufsz, "%s", j->finished);
	}
}

void jobq_cancel_text(const struct jobq_job *j, char *buf, size_t bufsz)
{
	const char *how;

	if (!j->cancel_by[0]) {
		if (bufsz)
			buf[0] = '\0';
		return;
	}
	if (strcmp(j->state, "running") == 0) {
		snprintf(buf, bufsz, "asked by %s; it stops at its next step", j->cancel_by);
		return;
	}
	/* The schema (008) ends a job asked to stop cancelled at its next
	 * step, or when its attempt ends otherwise than succeeded or failed;
	 * a queued one is left from before and ended by the next claim. */
	if (strcmp(j->state, "queued") == 0)
		how = "it is not run again: the next claim ends it cancelled";
	else if (strcmp(j->state, "cancelled") == 0)
		how = "it ended cancelled";
	else if (strcmp(j->state, "succeeded") == 0)
		how = "it succeeded before reaching another step";
	else
		how = "it failed before reaching another step";
	snprintf(buf, bufsz, "asked by %s while it ran; %s", j->cancel_by, how);
}

/* ---- counts ---- */

static const char sql_counts[] = "SELECT kind, state, count(*),"
				 " coalesce(extract(epoch FROM now() - min(created_at)"
				 "  FILTER (WHERE state = 'queued'))::bigint, -1)"
				 " FROM opsdeck.jobs GROUP BY kind, state";

void jobq_req_counts(struct db_req *r)
{
	db_req_init(r, sql_counts);
	str_copy(r->subject, sizeof(r->subject), "the job counts");
}

void jobq_counts_init(struct jobq_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->oldest_queued_s = -1;
}

bool jobq_counts_add(struct jobq_counts *c, const char *const *cells, size_t ncells,
		     struct err *err)
{
	int k, s;
	long n, oldest;

	if (ncells != JOBQ_COUNTS_COLS || !cells[0] || !cells[1] ||
	    (k = jobq_kind_index(cells[0])) < 0 || (s = jobq_state_index(cells[1])) < 0 ||
	    !cell_long(cells[2], &n) || !cell_long(cells[3], &oldest)) {
		err_set(err, "unexpected answer about the job counts");
		return false;
	}
	c->n[s][k] += n;
	if (oldest > c->oldest_queued_s)
		c->oldest_queued_s = oldest;
	c->have = true;
	return true;
}

long jobq_counts_state(const struct jobq_counts *c, enum jobq_state s)
{
	long n = 0;

	for (int k = 0; k < JOBQ_NKINDS; k++)
		n += c->n[s][k];
	return n;
}

/* Appends to buf at *len, keeping it terminated. */
static void put(char *buf, size_t bufsz, size_t *len, const char *fmt, ...) ATTR_FORMAT(4, 5);

static void put(char *buf, size_t bufsz, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= bufsz)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, bufsz - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < bufsz - *len ? (size_t)n : bufsz - *len - 1;
}

void jobq_counts_text(const struct jobq_counts *c, char *buf, size_t bufsz)
{
	size_t len = 0;
	char age[24];

	if (!bufsz)
		return;
	buf[0] = '\0';
	for (int s = 0; s < JOBQ_NSTATES; s++) {
		put(buf, bufsz, &len, "%s%ld %s", s ? " · " : "", jobq_counts_state(c, s),
		    jobq_state_names[s]);
		if (s == JOBQ_QUEUED && c->oldest_queued_s >= 0) {
			str_age(c->oldest_queued_s, age, sizeof(age));
			put(buf, bufsz, &len, " (oldest %s)", age);
		}
	}
}

void jobq_counts_kinds_text(const struct jobq_counts *c, char *buf, size_t bufsz)
{
	size_t len = 0;

	if (!bufsz)
		return;
	buf[0] = '\0';
	for (int k = 0; k < JOBQ_NKINDS; k++) {
		bool first = true;

		for (int s = 0; s < JOBQ_NSTATES; s++) {
			if (s == JOBQ_SUCCEEDED || !c->n[s][k])
				continue;
			if (first)
				put(buf, bufsz, &len, "%s%s ", len ? " · " : "",
				    jobq_kind_names[k]);
			put(buf, bufsz, &len, "%s%ld %s", first ? "" : ", ", c->n[s][k],
			    jobq_state_names[s]);
			first = false;
		}
	}
}

/* ---- a job's timeline ---- */

static const char sql_steps[] =
    "SELECT x.attempt, x.step, x.runner, to_char(x.started_at, 'YYYY-MM-DD HH24:MI:SS'),"
    " coalesce(to_char(x.finished_at, 'YYYY-MM-DD HH24:MI:SS'), ''),"
    " coalesce(x.outcome, ''),"
    " extract(epoch FROM coalesce(x.finished_at, clock_timestamp()) - x.started_at)::bigint,"
    " coalesce(x.message, '')"
    " FROM opsdeck.job_steps x WHERE x.job = $1::bigint ORDER BY x.id";

void jobq_req_steps(struct db_req *r, long job)
{
	db_req_init(r, sql_steps);
	db_req_addf(r, "%ld", job);
	snprintf(r->subject, sizeof(r->subject), "the steps of job %ld", job);
}

/* ---- retry and cancel ---- */

bool jobq_parse_id(const char *s, long *id)
{
	if (s && s[0] == '#')
		s++;
	/* digits only: strtol would also take "+5" */
	return s && s[0] >= '0' && s[0] <= '9' && str_to_long(s, 1, 1L << 52, id);
}

static bool one_row(const PGresult *res, const struct db_req *r, struct err *err)
{
	if (PQntuples(res) == 1 && PQnfields(res) == 1)
		return true;
	err_set(err, "unexpected answer about %s", r->subject);
	return false;
}

static bool mutation(struct db_req *r, const struct conf *conf, const char *sql, const char *verb,
		     long job, struct err *err)
{
	char what[40];

	snprintf(what, sizeof(what), "%s a job", verb);
	if (!db_mutation_allowed(conf, what, err))
		return false;
	if (job < 1) {
		err_set(err, "a job id is a whole number from 1");
		return false;
	}
	db_req_init(r, sql);
	db_req_addf(r, "%ld", job);
	db_req_add(r, conf->operator);
	r->check = one_row;
	snprintf(r->subject, sizeof(r->subject), "job %ld", job);
	return true;
}

bool jobq_req_retry(struct db_req *r, const struct conf *conf, long job, struct err *err)
{
	return mutation(r, conf, "SELECT opsdeck.job_retry($1::bigint, $2)", "retry", job, err);
}

bool jobq_req_cancel(struct db_req *r, const struct conf *conf, long job, struct err *err)
{
	return mutation(r, conf, "SELECT opsdeck.job_cancel($1::bigint, $2)", "cancel", job, err);
}
