#include "config.h"

#include "db/jobs.h"

#include "buf.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sql_claim[] =
	"SELECT id, store, kind, attempts, max_attempts,"
	" coalesce((args ->> 'replicas')::integer, -1)"
	" FROM opsdeck.job_claim($1, $2::integer)";

void job_req_claim(struct db_req *r, const char *owner, long lease_s)
{
	db_req_init(r, sql_claim);
	db_req_add(r, owner);
	db_req_add_long(r, lease_s);
	str_copy(r->subject, sizeof(r->subject), "a job to run");
}

bool job_parse(const PGresult *res, struct job *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 6 || PQntuples(res) > 1) {
		err_set(err, "unexpected answer to a job claim");
		return false;
	}
	if (PQntuples(res) == 0)
		return true;
	out->id = db_long(res, 0, 0);
	str_copy(out->store, sizeof(out->store), db_val(res, 0, 1));
	str_copy(out->kind, sizeof(out->kind), db_val(res, 0, 2));
	out->attempts = db_long(res, 0, 3);
	out->max_attempts = db_long(res, 0, 4);
	out->replicas = db_long(res, 0, 5);
	return true;
}

/* A call of fn(job, owner, attempt, ...) with more parameters to add. */
static void add_attempt(struct db_req *r, const char *sql, const struct job_attempt *a)
{
	db_req_init(r, sql);
	db_req_addf(r, "%ld", a->job);
	db_req_add(r, a->owner);
	db_req_add_long(r, a->attempt);
	snprintf(r->subject, sizeof(r->subject), "job %ld", a->job);
}

void job_req_renew(struct db_req *r, const struct job_attempt *a, long lease_s)
{
	add_attempt(r, "SELECT opsdeck.job_renew($1::bigint, $2, $3::integer, $4::integer)", a);
	db_req_add_long(r, lease_s);
}

void job_req_step(struct db_req *r, const struct job_attempt *a, const char *step,
		  const char *message)
{
	add_attempt(r,
		    "SELECT ok, cancelled"
		    " FROM opsdeck.job_step_next($1::bigint, $2, $3::integer, $4, $5)",
		    a);
	db_req_add(r, step);
	db_req_add(r, message);
}

void job_req_note(struct db_req *r, const struct job_attempt *a, const char *message)
{
	add_attempt(r, "SELECT opsdeck.job_note($1::bigint, $2, $3::integer, $4)", a);
	db_req_add(r, message);
}

static const char *const outcome_names[] = {
	[JOB_SUCCEEDED] = "succeeded",
	[JOB_FAILED] = "failed",
	[JOB_RETRY] = "retry",
	[JOB_CANCELLED] = "cancelled",
};

void job_req_end(struct db_req *r, const struct job_attempt *a, enum job_outcome outcome,
		 const char *message, long retry_s, const char *url)
{
	add_attempt(r,
		    "SELECT ok, cancelled FROM opsdeck.job_end_next($1::bigint, $2, $3::integer,"
		    " $4, $5, $6::integer, $7)",
		    a);
	db_req_add(r, outcome_names[outcome]);
	db_req_add(r, message);
	db_req_add_long(r, retry_s);
	db_req_add(r, url);
}

void job_req_release(struct db_req *r, const struct job_attempt *a)
{
	add_attempt(r,
		    "SELECT ok, cancelled"
		    " FROM opsdeck.job_release_next($1::bigint, $2, $3::integer)",
		    a);
}

static bool check_store(const PGresult *res, const struct db_req *r, struct err *err)
{
	if (PQntuples(res) == 1)
		return true;
	err_set(err, "no %s", r->subject);
	return false;
}

static const char sql_state[] =
	"SELECT j.state, coalesce(j.step, ''), coalesce(j.last_error, ''), j.attempts, s.status,"
	" coalesce(s.error_message, ''), coalesce(s.url, '')"
	" FROM opsdeck.jobs j JOIN opsdeck.stores s ON s.id = j.store WHERE j.id = $1::bigint";

void job_req_state(struct db_req *r, long job)
{
	db_req_init(r, sql_state);
	db_req_addf(r, "%ld", job);
	r->check = check_store;
	snprintf(r->subject, sizeof(r->subject), "job %ld", job);
}

/* A store as a provisioning job needs it; the template is column 9. */
#define STORE_COLUMNS(TEMPLATE)                                                              \
	"SELECT s.id, s.name, s.namespace, s.status, coalesce(s.url, ''), s.replicas,"       \
	" p.slug, o.slug, o.kind, " TEMPLATE ","                                             \
	" pl.name, pl.replicas, pl.cpu_request_millis, pl.cpu_limit_millis,"                 \
	" pl.memory_request_mib, pl.memory_limit_mib, pl.storage_gib,"                       \
	" c.name, c.kube_context"                                                            \
	" FROM opsdeck.stores s"                                                             \
	" JOIN opsdeck.projects p ON p.uuid = s.project"                                     \
	" JOIN opsdeck.offerings o ON o.uuid = s.offering"                                   \
	" JOIN opsdeck.plans pl ON pl.uuid = s.plan"                                         \
	" JOIN opsdeck.clusters c ON c.name = s.cluster"

static const char sql_store[] = STORE_COLUMNS("o.template") " WHERE s.id = $1";

/* Many stores at once, in id order: each offering's template comes on the
 * first row of that offering only (NULL after), so a pass over thousands
 * of stores moves each template once. */
static const char sql_stores[] =
	STORE_COLUMNS("CASE WHEN row_number() OVER (PARTITION BY o.uuid ORDER BY s.id) = 1"
		      " THEN o.template END")
	" WHERE s.id = ANY($1::text[]) ORDER BY s.id";

void job_req_store(struct db_req *r, const char *store)
{
	db_req_init(r, sql_store);
	db_req_add(r, store);
	r->check = check_store;
	snprintf(r->subject, sizeof(r->subject), "store '%.40s'", store);
}

/* Row `row` of an answer to job_req_store or job_req_stores. */
static void store_row(const PGresult *res, int row, struct job_store *out)
{
	int c = 0;

	memset(out, 0, sizeof(*out));
	str_copy(out->id, sizeof(out->id), db_val(res, row, c++));
	out->name = xstrdup(db_val(res, row, c++));
	out->namespace = xstrdup(db_val(res, row, c++));
	out->status = xstrdup(db_val(res, row, c++));
	out->url = xstrdup(db_val(res, row, c++));
	out->replicas = db_long(res, row, c++);
	out->project = xstrdup(db_val(res, row, c++));
	out->offering = xstrdup(db_val(res, row, c++));
	out->kind = xstrdup(db_val(res, row, c++));
	out->template_text = PQgetisnull(res, row, c) ? NULL : xstrdup(db_val(res, row, c));
	c++;
	str_copy(out->plan.name, sizeof(out->plan.name), db_val(res, row, c++));
	out->plan.replicas = db_long(res, row, c++);
	out->plan.cpu_request_millis = db_long(res, row, c++);
	out->plan.cpu_limit_millis = db_long(res, row, c++);
	out->plan.memory_request_mib = db_long(res, row, c++);
	out->plan.memory_limit_mib = db_long(res, row, c++);
	out->plan.storage_gib = db_long(res, row, c++);
	out->cluster = xstrdup(db_val(res, row, c++));
	out->context = xstrdup(db_val(res, row, c++));
}


bool job_store_parse(const PGresult *res, struct job_store *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 19 || PQntuples(res) != 1) {
		err_set(err, "unexpected answer about a store");
		return false;
	}
	store_row(res, 0, out);
	return true;
}

/* A store id as the database makes them: hex digits, which need no
 * quoting in an array literal. */
static bool store_id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++) {
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	}
	return i > 0 && i < sizeof(((struct job_store *)0)->id);
}

bool job_req_stores(struct db_req *r, const char *const *ids, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (!ids[i] || !store_id_ok(ids[i]))
			return false;
	}
	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, ',');
		buf_puts(&b, ids[i]);
	}
	buf_putc(&b, '}');
	db_req_init(r, sql_stores);
	db_req_add(r, buf_str(&b));
	buf_free(&b);
	snprintf(r->subject, sizeof(r->subject), "%zu stores", n);
	return true;
}

bool job_stores_row(const PGresult *res, int row, struct job_store *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 19 || row < 0 || row >= PQntuples(res)) {
		err_set(err, "unexpected answer about stores");
		return false;
	}
	store_row(res, row, out);
	return true;
}

void job_store_free(struct job_store *s)
{
	char **owned[] = { &s->name,	 &s->namespace, &s->status,  &s->url,
			   &s->project,	 &s->offering,	&s->kind,    &s->cluster,
			   &s->context,	 &s->template_text };

	for (size_t i = 0; i < ARRAY_LEN(owned); i++)
		x_free(owned[i]);
}

/* Every cluster a pass looks at (each one that is not disabled, and any
 * that holds live stores) with its live stores: one row per store, or one
 * row with an empty id for a cluster without any; and when this was read. */
static const char sql_reconcile_list[] =
	"SELECT coalesce(s.id, ''), coalesce(s.namespace, ''), coalesce(s.status, ''), c.name,"
	" c.kube_context, now()::text"
	" FROM opsdeck.clusters c"
	" LEFT JOIN opsdeck.stores s ON s.cluster = c.name AND s.status <> 'Deleted'"
	" WHERE c.state <> 'disabled' OR s.id IS NOT NULL"
	" ORDER BY c.name, s.id";

void job_req_reconcile_list(struct db_req *r)
{
	db_req_init(r, sql_reconcile_list);
	str_copy(r->subject, sizeof(r->subject), "stores to reconcile");
}

void job_req_drift(struct db_req *r, const char *store, const char *reason, const char *actor,
		   const char *seen_status, const char *seen_at)
{
	db_req_init(r, "SELECT opsdeck.store_drift($1, $2, $3, $4, $5::timestamptz)");
	db_req_add(r, store);
	db_req_add(r, reason);
	db_req_add(r, actor);
	db_req_add(r, seen_status);
	db_req_add(r, seen_at);
	snprintf(r->subject, sizeof(r->subject), "store '%.40s'", store);
}

/* Two kinds of rows, with the same columns:
 *  - 'job': a running job (its lease live or not) whose current attempt
 *    began (its first step) more than $2 seconds ago (one with no step
 *    yet in this attempt was claimed moments ago);
 *  - 'store': a store Queued, Provisioning or Deleting for more than $1
 *    seconds with no job running on it, with the job it waits for if any.
 * Columns: what, store, namespace, cluster, status, age (s), job id (0:
 * none), kind, state, step, attempts, max_attempts, lease owner, seconds
 * since the lease expired (<= 0: live), seconds until a queued job is due
 * (<= 0: due), last error, provision jobs running, the provisioning limit. */
static const char sql_stuck[] =
	"WITH lim AS (SELECT coalesce((SELECT value FROM opsdeck.settings"
	"  WHERE name = 'max_concurrent_provisions'), 3) AS lim,"
	" (SELECT count(*) FROM opsdeck.jobs WHERE kind = 'provision' AND state = 'running'"
	"  AND lease_until > now()) AS busy)"
	" SELECT 'job', s.id, s.namespace, s.cluster, s.status,"
	" extract(epoch FROM now() - a.started_at)::bigint,"
	" j.id, j.kind, j.state, coalesce(j.step, ''), j.attempts, j.max_attempts,"
	" coalesce(j.lease_owner, ''), extract(epoch FROM now() - j.lease_until)::bigint, 0,"
	" coalesce(j.last_error, ''), lim.busy, lim.lim"
	" FROM opsdeck.jobs j JOIN opsdeck.stores s ON s.id = j.store CROSS JOIN lim"
	" LEFT JOIN LATERAL (SELECT min(x.started_at) AS started_at FROM opsdeck.job_steps x"
	"  WHERE x.job = j.id AND x.attempt = j.attempts) a ON true"
	" WHERE j.state = 'running' AND now() - a.started_at > make_interval(secs => $2::integer)"
	" UNION ALL"
	" SELECT 'store', s.id, s.namespace, s.cluster, s.status,"
	" extract(epoch FROM now() - s.updated_at)::bigint,"
	" coalesce(j.id, 0), coalesce(j.kind, ''), coalesce(j.state, ''), '',"
	" coalesce(j.attempts, 0), coalesce(j.max_attempts, 0), '', 0,"
	" coalesce(extract(epoch FROM j.run_after - now())::bigint, 0),"
	" coalesce(j.last_error, ''), lim.busy, lim.lim"
	" FROM opsdeck.stores s CROSS JOIN lim"
	" LEFT JOIN LATERAL (SELECT * FROM opsdeck.jobs j1 WHERE j1.store = s.id"
	"  AND j1.state = 'queued' ORDER BY j1.id LIMIT 1) j ON true"
	" WHERE s.status IN ('Queued', 'Provisioning', 'Deleting')"
	" AND now() - s.updated_at > make_interval(secs => $1::integer)"
	" AND NOT EXISTS (SELECT 1 FROM opsdeck.jobs r"
	"  WHERE r.store = s.id AND r.state = 'running')"
	" ORDER BY 2";

void job_req_stuck(struct db_req *r, long store_after_s, long job_after_s)
{
	db_req_init(r, sql_stuck);
	db_req_add_long(r, store_after_s);
	db_req_add_long(r, job_after_s);
	str_copy(r->subject, sizeof(r->subject), "stuck stores and jobs");
}
