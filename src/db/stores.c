#include "config.h"

#include "db/stores.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db/storeref.h"

#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The store's next job: the running one, else the first queued one; and
 * that job's open step. Both are joined as sets (a few rows, by the partial
 * indexes jobs_current and job_steps_open), not looked up store by store. */
#define STORE_SELECT                                                                               \
	"SELECT s.id, s.name, p.slug, c.slug, o.slug, o.kind, pl.name, s.cluster, s.namespace,"    \
	" s.status, coalesce(s.url, ''), coalesce(s.error_message, ''), s.created_by, s.replicas," \
	" " ISO_UTC("s.created_at") ", " ISO_UTC("s.updated_at") ","                               \
	" coalesce(" ISO_UTC("s.ready_at") ", ''),"                                                \
	" extract(epoch FROM now() - s.created_at)::bigint,"                                       \
	" extract(epoch FROM now() - s.updated_at)::bigint,"                                       \
	" coalesce(j.id, 0), coalesce(j.kind, ''), coalesce(j.state, ''), coalesce(j.step, ''),"   \
	" coalesce(j.last_error, ''), coalesce(j.attempts, 0), coalesce(j.max_attempts, 0),"       \
	" coalesce(extract(epoch FROM now() - st.started_at)::bigint,"                             \
	" CASE WHEN j.state = 'queued' THEN extract(epoch FROM now() - j.updated_at)::bigint END," \
	" -1),"                                                                                    \
	" (extract(epoch FROM s.created_at) * 1000000)::bigint, coalesce(st.message, ''),"         \
	" coalesce((j.args ->> 'from')::bigint, 0), coalesce((j.args ->> 'replicas')::bigint, 0)"  \
	" FROM opsdeck.stores s"                                                                   \
	" JOIN opsdeck.projects p ON p.uuid = s.project"                                           \
	" JOIN opsdeck.customers c ON c.uuid = p.customer"                                         \
	" JOIN opsdeck.offerings o ON o.uuid = s.offering"                                         \
	" JOIN opsdeck.plans pl ON pl.uuid = s.plan"                                               \
	" LEFT JOIN (SELECT DISTINCT ON (j1.store) * FROM opsdeck.jobs j1"                         \
	" WHERE j1.state IN ('queued', 'running')"                                                 \
	" ORDER BY j1.store, j1.state = 'running' DESC, j1.id) j ON j.store = s.id"                \
	" LEFT JOIN (SELECT DISTINCT ON (x.job) x.job, x.started_at, x.message"                    \
	" FROM opsdeck.job_steps x"                                                                \
	" WHERE x.finished_at IS NULL ORDER BY x.job, x.id DESC) st ON st.job = j.id"

static const char sql_list_all[] =
	STORE_SELECT " WHERE ($1::text IS NULL OR p.slug = $1)"
		     " AND ($2::boolean OR s.status <> 'Deleted')"
		     " ORDER BY s.created_at DESC, s.id";
static const char sql_list_one[] = STORE_SELECT " WHERE s.id = $1";
/* The candidates of a store reference: every store it could name, a
 * superset that db/storeref.h's rule (the one rule) decides among;
 * deleted ones too, for what is said of them and for their history. */
static const char sql_ref[] =
	"WITH r AS (SELECT $1::text AS ref,"
	" CASE WHEN strpos($1, '/') > 0 THEN split_part($1, '/', 1) END AS project,"
	" CASE WHEN strpos($1, '/') > 0 THEN split_part($1, '/', 2) ELSE $1 END AS name) "
	STORE_SELECT " CROSS JOIN r WHERE s.id = r.ref"
	" OR (s.name = r.name AND (r.project IS NULL OR p.slug = r.project))"
	" OR (r.project IS NULL AND length(r.ref) >= $2::int"
	" AND left(s.id, length(r.ref)) = r.ref)"
	" ORDER BY s.created_at DESC, s.id";
static const char sql_list_ids[] =
	STORE_SELECT " WHERE s.id = ANY($1::text[]) ORDER BY s.created_at DESC, s.id";

#define STORE_COLUMNS 31

void store_req_list(struct db_req *r, const char *project, bool include_deleted)
{
	db_req_init(r, sql_list_all);
	db_req_add(r, project);
	db_req_add_bool(r, include_deleted);
	str_copy(r->subject, sizeof(r->subject), "stores");
}

bool store_req_by_ids(struct db_req *r, const char *const *ids, size_t n, struct err *err)
{
	struct buf b = BUF_INIT;

	if (n < 1 || n > STORE_IDS_MAX) {
		err_set(err, "between 1 and %d stores can be read by id", STORE_IDS_MAX);
		return false;
	}
	/* One array parameter: '{id,id}' (ids are hex: nothing to quote). */
	buf_printf(&b, "{");
	for (size_t i = 0; i < n; i++) {
		if (!store_valid_id(ids[i])) {
			buf_free(&b);
			err_set(err, "invalid store id in a read by id");
			return false;
		}
		buf_printf(&b, "%s%s", i ? "," : "", ids[i]);
	}
	buf_printf(&b, "}");
	db_req_init(r, sql_list_ids);
	db_req_add(r, buf_str(&b));
	str_copy(r->subject, sizeof(r->subject), "stores");
	buf_free(&b);
	return true;
}

static bool check_one(const PGresult *res, const struct db_req *r, struct err *err)
{
	if (PQntuples(res) == 1)
		return true;
	err_set(err, "no %s", r->subject);
	return false;
}

void store_req_show(struct db_req *r, const char *id)
{
	db_req_init(r, sql_list_one);
	db_req_add(r, id);
	r->check = check_one;
	snprintf(r->subject, sizeof(r->subject), "store '%.40s'", id);
}

void store_req_ref(struct db_req *r, const char *ref)
{
	db_req_init(r, sql_ref);
	db_req_add(r, ref);
	db_req_add_long(r, STORE_REF_MIN_PREFIX);
	str_copy(r->subject, sizeof(r->subject), "stores");
}

bool store_list_parse(const PGresult *res, struct store_list *out, struct err *err)
{
	int n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != STORE_COLUMNS) {
		err_set(err, "unexpected answer to the store list (%d columns)", PQnfields(res));
		return false;
	}
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (int i = 0; i < n; i++) {
		struct store *s = &out->v[i];
		int c = 0;

		str_copy(s->id, sizeof(s->id), db_val(res, i, c++));
		s->name = xstrdup(db_val(res, i, c++));
		s->project = xstrdup(db_val(res, i, c++));
		s->customer = xstrdup(db_val(res, i, c++));
		s->offering = xstrdup(db_val(res, i, c++));
		s->kind = xstrdup(db_val(res, i, c++));
		s->plan = xstrdup(db_val(res, i, c++));
		s->cluster = xstrdup(db_val(res, i, c++));
		s->namespace = xstrdup(db_val(res, i, c++));
		s->status = xstrdup(db_val(res, i, c++));
		s->url = xstrdup(db_val(res, i, c++));
		s->error = xstrdup(db_val(res, i, c++));
		s->created_by = xstrdup(db_val(res, i, c++));
		s->replicas = db_long(res, i, c++);
		str_copy(s->created_at, sizeof(s->created_at), db_val(res, i, c++));
		str_copy(s->updated_at, sizeof(s->updated_at), db_val(res, i, c++));
		str_copy(s->ready_at, sizeof(s->ready_at), db_val(res, i, c++));
		s->age_s = db_long(res, i, c++);
		s->status_age_s = db_long(res, i, c++);
		s->job_id = db_long(res, i, c++);
		s->job_kind = xstrdup(db_val(res, i, c++));
		s->job_state = xstrdup(db_val(res, i, c++));
		s->job_step = xstrdup(db_val(res, i, c++));
		s->job_error = xstrdup(db_val(res, i, c++));
		s->job_attempts = db_long(res, i, c++);
		s->job_max_attempts = db_long(res, i, c++);
		s->step_age_s = db_long(res, i, c++);
		s->created_us = strtoll(db_val(res, i, c++), NULL, 10);
		s->step_note = xstrdup(db_val(res, i, c++));
		s->job_from = db_long(res, i, c++);
		s->job_to = db_long(res, i, c++);
	}
	out->n = (size_t)n;
	return true;
}

static void store_free(struct store *s)
{
	char **owned[] = { &s->name,	 &s->project,	&s->customer, &s->offering,
			   &s->kind,	 &s->plan,	&s->cluster,  &s->namespace,
			   &s->status,	 &s->url,	&s->error,    &s->created_by,
			   &s->job_kind, &s->job_state, &s->job_step, &s->job_error,
			   &s->step_note };

	for (size_t k = 0; k < ARRAY_LEN(owned); k++)
		x_free(owned[k]);
}

void store_list_free(struct store_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_free(&l->v[i]);
	x_free(&l->v);
	l->n = 0;
}

/* The list's order: newest first, then by id. */
static bool store_before(const struct store *a, const struct store *b)
{
	if (a->created_us != b->created_us)
		return a->created_us > b->created_us;
	return strcmp(a->id, b->id) < 0;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void store_list_merge(struct store_list *l, struct store_list *fresh, const char *const *ids,
		      size_t nids)
{
	const char **sorted = xcalloc(nids + 1, sizeof(*sorted));
	struct store *v = xcalloc(l->n + fresh->n + 1, sizeof(*v));
	size_t n = 0, i = 0, j = 0;

	memcpy(sorted, ids, nids * sizeof(*ids));
	qsort(sorted, nids, sizeof(*sorted), cmp_id);
	/* Both sides in list order: the rows kept, and the fresh live ones. */
	while (i < l->n || j < fresh->n) {
		struct store *a = i < l->n ? &l->v[i] : NULL;
		struct store *b = j < fresh->n ? &fresh->v[j] : NULL;
		const char *key = a ? a->id : NULL;

		if (a && bsearch(&key, sorted, nids, sizeof(*sorted), cmp_id)) {
			store_free(a);
			i++;
		} else if (b && strcmp(b->status, "Deleted") == 0) {
			store_free(b);
			j++;
		} else if (a && (!b || store_before(a, b))) {
			v[n++] = *a;
			i++;
		} else if (b) {
			v[n++] = *b;
			j++;
		}
	}
	free(sorted);
	free(l->v);
	free(fresh->v);
	fresh->v = NULL;
	fresh->n = 0;
	l->v = v;
	l->n = n;
}

void store_list_age(struct store_list *l, long secs)
{
	for (size_t i = 0; i < l->n; i++) {
		struct store *s = &l->v[i];

		s->age_s += secs;
		s->status_age_s += secs;
		if (s->step_age_s >= 0)
			s->step_age_s += secs;
	}
}

const struct store *store_list_find(const struct store_list *l, const char *id)
{
	for (size_t i = 0; l && i < l->n; i++) {
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	}
	return NULL;
}

void store_progress(const struct store *s, long later_s, char *buf, size_t bufsz)
{
	char age[24];

	buf[0] = '\0';
	if (!s->job_id || !s->job_state || !s->job_kind)
		return;
	if (strcmp(s->job_state, "running") == 0 && s->job_step && s->job_step[0] &&
	    s->step_age_s >= 0) {
		str_age(s->step_age_s + later_s, age, sizeof(age));
		snprintf(buf, bufsz, "%s %s %s%s%s", s->job_kind, s->job_step, age,
			 s->step_note && *s->step_note ? ": " : "",
			 s->step_note ? s->step_note : "");
	} else if (strcmp(s->job_state, "queued") == 0 && s->step_age_s >= 0) {
		str_age(s->step_age_s + later_s, age, sizeof(age));
		if (s->job_attempts > 0)
			snprintf(buf, bufsz, "%s attempt %ld/%ld waiting %s", s->job_kind,
				 s->job_attempts + 1, s->job_max_attempts, age);
		else
			snprintf(buf, bufsz, "%s waiting %s", s->job_kind, age);
	} else {
		snprintf(buf, bufsz, "%s %s", s->job_kind, s->job_state);
	}
}

void store_status_text(const struct store *s, char *buf, size_t bufsz)
{
	const char *k = s->job_kind ? s->job_kind : "";
	bool doing = s->job_id && s->job_state &&
		     (strcmp(s->job_state, "running") == 0 || strcmp(s->job_state, "queued") == 0);

	if (doing && strcmp(k, "pause") == 0)
		snprintf(buf, bufsz, "Pausing");
	else if (doing && strcmp(k, "resume") == 0)
		snprintf(buf, bufsz, "Resuming");
	else if (doing && strcmp(k, "scale") == 0 && s->job_from > 0 && s->job_to > 0)
		snprintf(buf, bufsz, "Scaling %ld\u2192%ld", s->job_from, s->job_to);
	else if (doing && strcmp(k, "delete") == 0)
		snprintf(buf, bufsz, "Deleting");
	else
		snprintf(buf, bufsz, "%s", s->status ? s->status : "");
}

bool store_status_busy(const char *status)
{
	return strcmp(status, "Queued") == 0 || strcmp(status, "Provisioning") == 0 ||
	       strcmp(status, "Deleting") == 0;
}

bool store_valid_id(const char *id)
{
	size_t n = 0;

	if (!id)
		return false;
	for (; id[n]; n++) {
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	}
	return n == STORE_ID_LEN;
}

static bool check_id(const char *id, struct err *err)
{
	char shown[40];

	if (store_valid_id(id))
		return true;
	err_set(err, "invalid store id '%s': a store id is 12 hex digits",
		db_shown(id ? id : "", shown, sizeof(shown)));
	return false;
}

/* ---- order ---- */

static const char sql_order[] =
	"SELECT store_id, store_namespace, job_id FROM opsdeck.store_order($1, $2, $3, $4, $5, $6)";

bool store_req_order(struct db_req *r, const struct conf *conf, const struct store_order *o,
		     struct err *err)
{
	char shown[80];
	const struct {
		const char *value, *what;
	} labels[] = {
		{ o->project, "project slug" },
		{ o->offering, "offering slug" },
		{ o->plan, "plan name" },
		{ o->name, "store name" },
		{ o->cluster && *o->cluster ? o->cluster : "x", "cluster name" },
	};

	if (!db_mutation_allowed(conf, "order a store", err))
		return false;
	for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
		if (!labels[i].value || !db_valid_dns_label(labels[i].value)) {
			err_set(err,
				"invalid %s '%s': use a DNS-1123 label "
				"(a-z, 0-9 and '-', at most 63)",
				labels[i].what,
				db_shown(labels[i].value ? labels[i].value : "", shown,
					 sizeof(shown)));
			return false;
		}
	}
	db_req_init(r, sql_order);
	db_req_add(r, o->project);
	db_req_add(r, o->offering);
	db_req_add(r, o->plan);
	db_req_add(r, o->cluster && *o->cluster ? o->cluster : NULL);
	db_req_add(r, o->name);
	db_req_add(r, conf->operator);
	r->check = check_one;
	snprintf(r->subject, sizeof(r->subject), "store ordered");
	return true;
}

/* ---- operations ---- */

static const char *const op_names[] = {
	[STORE_OP_SCALE] = "scale",   [STORE_OP_PAUSE] = "pause",
	[STORE_OP_RESUME] = "resume", [STORE_OP_RETRY] = "retry",
	[STORE_OP_DELETE] = "delete", [STORE_OP_RECONCILE] = "reconcile",
};

const char *store_op_name(enum store_op op)
{
	return (unsigned)op < ARRAY_LEN(op_names) ? op_names[op] : "?";
}

static const char sql_operate[] = "SELECT opsdeck.store_request($1, $2, $3::integer, $4)";

bool store_req_operate(struct db_req *r, const struct conf *conf, const char *id, enum store_op op,
		       long replicas, struct err *err)
{
	char what[40];

	snprintf(what, sizeof(what), "%s a store", store_op_name(op));
	if (!db_mutation_allowed(conf, what, err))
		return false;
	if (!check_id(id, err))
		return false;
	if (op == STORE_OP_SCALE && (replicas < 1 || replicas > STORE_MAX_REPLICAS)) {
		err_set(err, "replicas must be from 1 to %d", STORE_MAX_REPLICAS);
		return false;
	}
	db_req_init(r, sql_operate);
	db_req_add(r, id);
	db_req_add(r, store_op_name(op));
	if (op == STORE_OP_SCALE)
		db_req_add_long(r, replicas);
	else
		db_req_add(r, NULL);
	db_req_add(r, conf->operator);
	r->check = check_one;
	snprintf(r->subject, sizeof(r->subject), "store '%s'", id);
	return true;
}

/* ---- reveal ---- */

/* The event is inserted only for a store that may have a Secret; the row
 * comes back for any known store, so the check can say why not. */
static const char sql_reveal[] =
	"WITH s AS (SELECT s.id, s.status, s.namespace, s.cluster, c.kube_context, s.project"
	" FROM opsdeck.stores s JOIN opsdeck.clusters c ON c.name = s.cluster WHERE s.id = $1),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, project, message, detail)"
	" SELECT $2, 'store.reveal', 'store/' || s.id, s.project,"
	" format('revealed the credentials of store %s', s.id),"
	" jsonb_build_object('keys', to_jsonb(string_to_array($3, ',')), 'namespace', s.namespace,"
	" 'cluster', s.cluster)"
	" FROM s WHERE s.status NOT IN ('Deleted', 'Queued') RETURNING id)"
	" SELECT s.namespace, s.cluster, s.kube_context, (SELECT id FROM e), s.status FROM s";

static bool check_reveal(const PGresult *res, const struct db_req *r, struct err *err)
{
	const char *status;

	if (!check_one(res, r, err))
		return false;
	if (PQnfields(res) != STORE_REVEAL_NCOLS) {
		err_set(err, "unexpected answer about %s", r->subject);
		return false;
	}
	status = db_val(res, 0, STORE_REVEAL_STATUS);
	if (strcmp(status, "Deleted") == 0) {
		err_set(err, "%s is Deleted: its namespace and credentials are gone", r->subject);
		return false;
	}
	if (strcmp(status, "Queued") == 0) {
		err_set(err, "%s is Queued: its credentials are made once provisioning begins",
			r->subject);
		return false;
	}
	if (PQgetisnull(res, 0, STORE_REVEAL_EVENT)) {
		err_set(err, "the audit event of revealing %s was not written: nothing is shown",
			r->subject);
		return false;
	}
	return true;
}

static bool valid_key_name(const char *k)
{
	size_t n = 0;

	for (; k && k[n]; n++) {
		char c = k[n];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return n > 0 && n <= 253;
}

bool store_req_reveal(struct db_req *r, const struct conf *conf, const char *id,
		      const char *const *keys, size_t nkeys, struct err *err)
{
	static const char what[] = "reveal a store's credentials (a reveal writes an audit event)";
	struct buf names = BUF_INIT;

	if (!db_mutation_allowed(conf, what, err))
		return false;
	if (!check_id(id, err))
		return false;
	if (nkeys == 0 || nkeys > 64) {
		err_set(err, "a reveal names 1 to 64 keys");
		return false;
	}
	for (size_t i = 0; i < nkeys; i++) {
		if (!valid_key_name(keys[i])) {
			err_set(err, "key %zu of a reveal is not a Secret key name", i + 1);
			buf_free(&names);
			return false;
		}
		buf_printf(&names, "%s%s", i ? "," : "", keys[i]);
	}
	db_req_init(r, sql_reveal);
	db_req_add(r, id);
	db_req_add(r, conf->operator);
	db_req_add(r, buf_str(&names));
	buf_free(&names);
	r->check = check_reveal;
	snprintf(r->subject, sizeof(r->subject), "store %s", id);
	return true;
}

/* ---- history ---- */

static const char sql_history[] =
	"SELECT j.id, j.kind, j.state, j.attempts, j.max_attempts, " ISO_UTC("j.created_at") ","
	" coalesce(" ISO_UTC("j.finished_at") ", ''), coalesce(j.last_error, ''),"
	" x.step, coalesce(" ISO_UTC("x.started_at") ", ''),"
	" coalesce(" ISO_UTC("x.finished_at") ", ''),"
	" coalesce(x.outcome, ''), coalesce(x.message, ''), coalesce(x.runner, ''), x.attempt"
	" FROM (SELECT * FROM opsdeck.jobs WHERE store = $1 ORDER BY id DESC LIMIT $2::integer) j"
	" LEFT JOIN opsdeck.job_steps x ON x.job = j.id"
	" ORDER BY j.id DESC, x.id";

void store_req_history(struct db_req *r, const char *id, long max_jobs)
{
	db_req_init(r, sql_history);
	db_req_add(r, id);
	db_req_add_long(r, max_jobs);
	snprintf(r->subject, sizeof(r->subject), "the jobs of store '%.40s'", id);
}
