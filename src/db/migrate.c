#include "config.h"

#include "db/migrate.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "embedded.h"

#define MIGRATIONS_DIR "src/db/migrations/"

/* Serialises migrators across processes and hosts: "opsdeck" in ASCII. */
#define MIGRATE_LOCK_KEY "31367363322798955"

/* A change detector, not a security measure: FNV-1a over the file. */
static void checksum(const char *s, char out[32])
{
	uint64_t h = 14695981039346656037ull;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	snprintf(out, 32, "fnv1a64:%016llx", (unsigned long long)h);
}

/* "NNN_name.sql" -> version and "NNN_name"; false for anything else. */
static bool parse_name(const char *file, int *version, char name[64])
{
	size_t n = strlen(file);
	long v;
	char digits[4];

	if (n < 9 || n - 4 >= 64 || strcmp(file + n - 4, ".sql") != 0 || file[3] != '_')
		return false;
	memcpy(digits, file, 3);
	digits[3] = '\0';
	if (!str_to_long(digits, 1, 999, &v) || digits[0] < '0' || digits[0] > '9')
		return false;
	for (size_t i = 4; i < n - 4; i++) {
		char c = file[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	*version = (int)v;
	memcpy(name, file, n - 4);
	name[n - 4] = '\0';
	return true;
}

static int cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

bool migrate_known(struct migration **out, size_t *n, struct err *err)
{
	struct migration *v = NULL;
	size_t len = 0, cap = 0;

	for (const struct embedded_file *f = embedded_files; f->path; f++) {
		struct migration m;

		if (!str_has_prefix(f->path, MIGRATIONS_DIR))
			continue;
		memset(&m, 0, sizeof(m));
		if (!parse_name(f->path + strlen(MIGRATIONS_DIR), &m.version, m.name)) {
			err_set(err, "built-in migration %s is not named NNN_name.sql", f->path);
			free(v);
			return false;
		}
		m.sql = f->data;
		checksum(f->data, m.checksum);
		v = xgrow(v, &cap, len + 1, sizeof(*v));
		v[len++] = m;
	}
	qsort(v, len, sizeof(*v), cmp_migration);
	for (size_t i = 0; i < len; i++) {
		if (v[i].version != (int)i + 1) {
			err_set(err, "built-in migrations are not numbered 1, 2, 3...: %s",
				v[i].name);
			free(v);
			return false;
		}
	}
	*out = v;
	*n = len;
	return true;
}

const char *migration_state_name(enum migration_state s)
{
	switch (s) {
	case MIGRATION_APPLIED:
		return "applied";
	case MIGRATION_PENDING:
		return "pending";
	case MIGRATION_UNKNOWN:
		return "unknown";
	case MIGRATION_CHANGED:
		return "changed";
	}
	return "?";
}

void migrate_status_free(struct migrate_status *st)
{
	x_free(&st->rows);
	memset(st, 0, sizeof(*st));
}

static const char sql_has_table[] =
	"SELECT to_regclass('opsdeck.schema_migrations') IS NOT NULL";
static const char sql_applied[] =
	"SELECT version, name, checksum,"
	" to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	" FROM opsdeck.schema_migrations ORDER BY version";

static void add_row(struct migrate_status *st, size_t *cap, int version, const char *name,
		    enum migration_state state, const char *at)
{
	struct migration_row *r;

	st->rows = xgrow(st->rows, cap, st->n + 1, sizeof(*st->rows));
	r = &st->rows[st->n++];
	r->version = version;
	str_copy(r->name, sizeof(r->name), name);
	r->state = state;
	str_copy(r->applied_at, sizeof(r->applied_at), at);
}

/* Compares the database's record with the binary's list. */
static bool compute_status(PGconn *pg, struct migrate_status *st, struct err *err)
{
	struct migration *known = NULL;
	size_t nknown = 0, cap = 0, k = 0;
	PGresult *res = NULL;
	struct db_req r;
	int rows = 0;

	memset(st, 0, sizeof(*st));
	if (!migrate_known(&known, &nknown, err))
		return false;
	st->bin_version = nknown ? known[nknown - 1].version : 0;

	db_req_init(&r, sql_has_table);
	res = db_req_exec(pg, &r, err);
	if (!res)
		goto fail;
	if (db_bool(res, 0, 0)) {
		PQclear(res);
		db_req_init(&r, sql_applied);
		res = db_req_exec(pg, &r, err);
		if (!res)
			goto fail;
		rows = PQntuples(res);
	}

	/* Merge the two sorted lists. */
	for (int i = 0; i < rows || k < nknown;) {
		int dv = i < rows ? (int)db_long(res, i, 0) : INT32_MAX;

		if (k < nknown && known[k].version < dv) {
			add_row(st, &cap, known[k].version, known[k].name, MIGRATION_PENDING, "");
			st->pending++;
			k++;
			continue;
		}
		if (k < nknown && known[k].version == dv) {
			bool same = strcmp(db_val(res, i, 2), known[k].checksum) == 0;

			add_row(st, &cap, dv, known[k].name,
				same ? MIGRATION_APPLIED : MIGRATION_CHANGED, db_val(res, i, 3));
			if (!same)
				st->changed++;
			k++;
		} else {
			add_row(st, &cap, dv, db_val(res, i, 1), MIGRATION_UNKNOWN,
				db_val(res, i, 3));
			st->unknown++;
		}
		if (dv > st->db_version)
			st->db_version = dv;
		i++;
	}
	PQclear(res);
	free(known);
	return true;
fail:
	free(known);
	migrate_status_free(st);
	return false;
}

bool migrate_status(PGconn *pg, struct migrate_status *st, struct err *err)
{
	return compute_status(pg, st, err);
}

/* The reason a database cannot be migrated by this binary, if any. */
static bool refuse_if_foreign(const struct migrate_status *st, struct err *err)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct migration_row *r = &st->rows[i];

		if (r->state == MIGRATION_UNKNOWN) {
			err_set(err,
				"the database schema is at version %d, newer than this opsdeck "
				"knows (%d; migration %s is not built in): upgrade opsdeck",
				st->db_version, st->bin_version, r->name);
			return false;
		}
		if (r->state == MIGRATION_CHANGED) {
			err_set(err,
				"migration %s differs from the one applied to this database on %s; "
				"migrations must never change once applied",
				r->name, r->applied_at);
			return false;
		}
	}
	return true;
}

/* Bounds of the start-up migration: another migrator holding the lock
 * longer than this is given up on; so is a statement that runs longer. */
#define MIGRATE_LOCK_TIMEOUT_S 15
#define MIGRATE_STATEMENT_TIMEOUT_S 300
#define STR_(x) #x
#define STR(x) STR_(x)

static const char sql_lock[] = "SELECT pg_advisory_xact_lock($1::bigint)";
static const char sql_bounds[] =
	"SELECT set_config('lock_timeout', '" STR(MIGRATE_LOCK_TIMEOUT_S) "s', true),"
	" set_config('statement_timeout', '" STR(MIGRATE_STATEMENT_TIMEOUT_S) "s', true)";
/* Quiet: "already exists, skipping" notices are expected on every run. */
static const char sql_quiet[] = "SET LOCAL client_min_messages = warning";
static const char sql_schema[] = "CREATE SCHEMA IF NOT EXISTS opsdeck";
static const char sql_table[] =
	"CREATE TABLE IF NOT EXISTS opsdeck.schema_migrations ("
	" version integer PRIMARY KEY"
	" CONSTRAINT schema_migrations_version_positive CHECK (version > 0),"
	" name text NOT NULL"
	" CONSTRAINT schema_migrations_name_valid CHECK (name ~ '^[0-9]{3}_[a-z0-9_]+$'),"
	" checksum text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";
static const char sql_record[] =
	"INSERT INTO opsdeck.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";
static const char sql_event[] =
	"INSERT INTO opsdeck.events (actor, action, object, message, detail)"
	" VALUES ($1, 'schema.migrate', 'schema/opsdeck',"
	" format('migrated the schema from version %s to %s', $2::int, $3::int),"
	" jsonb_build_object('from', $2::int, 'to', $3::int))";

static bool exec1(PGconn *pg, const char *sql, const char *param, struct err *err)
{
	struct db_req r;
	PGresult *res;

	db_req_init(&r, sql);
	if (param)
		db_req_add(&r, param);
	res = db_req_exec(pg, &r, err);
	db_req_free(&r);
	PQclear(res);
	return res != NULL;
}

/* Inside the transaction, holding the lock. */
static bool apply_pending(PGconn *pg, const struct conf *conf, int *applied, struct err *err)
{
	struct migrate_status st;
	struct migration *known = NULL;
	size_t nknown = 0;
	int from;
	bool ok = false;

	if (!exec1(pg, sql_schema, NULL, err) || !exec1(pg, sql_table, NULL, err))
		return false;
	if (!compute_status(pg, &st, err))
		return false;
	if (!refuse_if_foreign(&st, err) || !migrate_known(&known, &nknown, err))
		goto out;
	from = st.db_version;
	for (size_t i = (size_t)st.db_version; i < nknown; i++) {
		const struct migration *m = &known[i];
		/* A migration file holds several statements (and function bodies),
		 * which only the simple query protocol runs; the text is compiled
		 * in, never built from input. */
		PGresult *res = PQexec(pg, m->sql);
		struct db_req r;

		if (!db_result_ok(res)) {
			struct err why;

			db_error_describe(res, pg, &why);
			err_set(err, "migration %s failed: %s", m->name, why.msg);
			PQclear(res);
			goto out;
		}
		PQclear(res);
		db_req_init(&r, sql_record);
		db_req_add_long(&r, m->version);
		db_req_add(&r, m->name);
		db_req_add(&r, m->checksum);
		res = db_req_exec(pg, &r, err);
		db_req_free(&r);
		if (!res)
			goto out;
		PQclear(res);
		(*applied)++;
	}
	if (*applied > 0) {
		struct db_req r;
		PGresult *res;

		db_req_init(&r, sql_event);
		db_req_add(&r, conf->operator);
		db_req_add_long(&r, from);
		db_req_add_long(&r, (long)nknown);
		res = db_req_exec(pg, &r, err);
		db_req_free(&r);
		if (!res)
			goto out;
		PQclear(res);
	}
	ok = true;
out:
	free(known);
	migrate_status_free(&st);
	return ok;
}

/* The lock, or a sentence saying who has it. */
static bool take_lock(PGconn *pg, struct err *err)
{
	const char *params[1] = { MIGRATE_LOCK_KEY };
	PGresult *res = PQexecParams(pg, sql_lock, 1, NULL, params, NULL, NULL, 0);
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	bool ok = db_result_ok(res);

	if (!ok && state && strcmp(state, "55P03") == 0)
		err_set(err, "another opsdeck is migrating the database; gave up after %d s",
			MIGRATE_LOCK_TIMEOUT_S);
	else if (!ok)
		db_error_describe(res, pg, err);
	PQclear(res);
	return ok;
}

bool migrate_run(PGconn *pg, const struct conf *conf, int *applied, struct err *err)
{
	struct err ignore;

	*applied = 0;
	if (!db_mutation_allowed(conf, "migrate the database schema", err))
		return false;
	if (!db_exec_fixed(pg, "BEGIN", err))
		return false;
	if (!exec1(pg, sql_quiet, NULL, err) || !exec1(pg, sql_bounds, NULL, err) ||
	    !take_lock(pg, err) ||
	    !apply_pending(pg, conf, applied, err)) {
		db_exec_fixed(pg, "ROLLBACK", &ignore);
		*applied = 0;
		return false;
	}
	if (!db_exec_fixed(pg, "COMMIT", err)) {
		*applied = 0;
		return false;
	}
	return true;
}

bool migrate_ensure(PGconn *pg, const struct conf *conf, struct err *err)
{
	struct migrate_status st;
	int applied;
	bool ok;

	if (!conf->read_only)
		return migrate_run(pg, conf, &applied, err);
	if (!migrate_status(pg, &st, err))
		return false;
	ok = refuse_if_foreign(&st, err);
	if (ok && st.pending > 0) {
		err_set(err, "the database schema is at version %d and this opsdeck needs %d; "
			     "read-only mode does not migrate: run `opsdeck db migrate`",
			st.db_version, st.bin_version);
		ok = false;
	}
	migrate_status_free(&st);
	return ok;
}
