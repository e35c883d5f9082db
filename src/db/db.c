#include "config.h"

#include "db/db.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/pgpass.h"
#include "route.h"

/* ---- requests ---- */

void db_req_init(struct db_req *r, const char *sql)
{
	memset(r, 0, sizeof(*r));
	r->sql = sql;
}

void db_req_add(struct db_req *r, const char *value)
{
	/* A request with more parameters than this is a programming error. */
	if (r->nparams >= DB_REQ_MAX_PARAMS)
		fatal("too many parameters for one statement");
	r->params[r->nparams++] = value ? xstrdup(value) : NULL;
}

void db_req_addf(struct db_req *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	db_req_add(r, s);
	free(s);
}

void db_req_add_long(struct db_req *r, long v)
{
	db_req_addf(r, "%ld", v);
}

void db_req_add_bool(struct db_req *r, bool v)
{
	db_req_add(r, v ? "true" : "false");
}

void db_req_free(struct db_req *r)
{
	for (int i = 0; i < r->nparams; i++)
		x_free(&r->params[i]);
	r->nparams = 0;
}

void db_req_move(struct db_req *dst, struct db_req *src)
{
	*dst = *src;
	memset(src->params, 0, sizeof(src->params));
	src->nparams = 0;
}

/* ---- connections ---- */

void db_conn_params(const char *conninfo, const char *host, const char *hostaddr,
		    const char *port, const char *password, const char *keys[DB_CONN_NPARAMS],
		    const char *vals[DB_CONN_NPARAMS])
{
	/* Later entries win, so the operator's conninfo (expanded from dbname)
	 * overrides these defaults. libpq itself enforces connect_timeout only
	 * in blocking connects; conn.c has its own timer. A silent peer is
	 * noticed after 5 s idle and 3 probes 3 s apart, or 15 s of unanswered
	 * data. */
	static const char *const defaults[][2] = {
		{ "application_name", "opsdeck" }, { "connect_timeout", "10" },
		{ "client_encoding", "UTF8" },	   { "keepalives", "1" },
		{ "keepalives_idle", "5" },	   { "keepalives_interval", "3" },
		{ "keepalives_count", "3" },	   { "tcp_user_timeout", "15000" },
	};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(defaults); i++) {
		keys[n] = defaults[i][0];
		vals[n++] = defaults[i][1];
	}
	if (password) {
		keys[n] = "password";
		vals[n++] = password;
	}
	keys[n] = "dbname";
	vals[n++] = conninfo && *conninfo ? conninfo : NULL;
	if (host) {
		keys[n] = "host";
		vals[n++] = host;
	}
	if (hostaddr) {
		keys[n] = "hostaddr";
		vals[n++] = hostaddr;
	}
	if (port) {
		keys[n] = "port";
		vals[n++] = port;
		keys[n] = "passfile";
		vals[n++] = DB_NO_PASSFILE;
	}
	keys[n] = NULL;
	vals[n] = NULL;
}

bool db_conn_host(const char *conninfo, char *host, size_t hostsz, bool *has_hostaddr)
{
	PQconninfoOption *opts = NULL;
	const char *h = NULL, *ha = NULL;
	char *errmsg = NULL;

	if (conninfo && *conninfo) {
		opts = PQconninfoParse(conninfo, &errmsg);
		PQfreemem(errmsg);
		if (!opts)
			return false;
		for (PQconninfoOption *o = opts; o->keyword; o++) {
			if (strcmp(o->keyword, "host") == 0 && o->val && *o->val)
				h = o->val;
			else if (strcmp(o->keyword, "hostaddr") == 0 && o->val && *o->val)
				ha = o->val;
		}
	}
	/* What libpq falls back to. */
	if (!h)
		h = getenv("PGHOST");
	if (!ha)
		ha = getenv("PGHOSTADDR");
	str_copy(host, hostsz, h ? h : "");
	*has_hostaddr = ha && *ha;
	PQconninfoFree(opts);
	return true;
}

/* ---- the tunnel ---- */

/* Set by the front end before any connection is made. */
static char *tunnel_profile;

void db_set_tunnel(const char *profile)
{
	free(tunnel_profile);
	tunnel_profile = profile && *profile ? xstrdup(profile) : NULL;
}

const char *db_tunnel(void)
{
	return tunnel_profile;
}

/* A bare database name is no connection string: libpq expands only these. */
static bool is_conninfo(const char *s)
{
	return strchr(s, '=') || str_has_prefix(s, "postgresql://") ||
	       str_has_prefix(s, "postgres://");
}

/* The conninfo's value for key (expanded: a bare name is dbname), else
 * the environment variable libpq falls back to; NULL for none. */
static const char *conninfo_value(const PQconninfoOption *opts, const char *conninfo,
				  const char *key, const char *env)
{
	const char *v;

	for (const PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, key) == 0 && o->val && *o->val)
			return o->val;
	if (!opts && conninfo && *conninfo && strcmp(key, "dbname") == 0)
		return conninfo;
	v = env ? getenv(env) : NULL;
	return v && *v ? v : NULL;
}

/* The user libpq would log in as: the conninfo's, PGUSER, else the
 * process's user name. */
static const char *login_user(const PQconninfoOption *opts, const char *conninfo, char *buf,
			      size_t bufsz)
{
	const char *u = conninfo_value(opts, conninfo, "user", "PGUSER");
	struct passwd pwd, *found = NULL;
	char pwbuf[1024];

	if (u)
		return u;
	if (getpwuid_r(geteuid(), &pwd, pwbuf, sizeof(pwbuf), &found) != 0 || !found)
		return NULL;
	str_copy(buf, bufsz, found->pw_name);
	return buf;
}

/* The password for a routed connection from the password file, as libpq
 * would have found it had it connected to host:port itself. */
static void route_password(const PQconninfoOption *opts, const char *conninfo,
			   struct db_route *r)
{
	const char *user, *dbname, *passfile;
	char userbuf[256], path[4096];
	struct err warning = { { 0 } };

	if (conninfo_value(opts, conninfo, "password", "PGPASSWORD"))
		return;
	user = login_user(opts, conninfo, userbuf, sizeof(userbuf));
	if (!user)
		return;
	dbname = conninfo_value(opts, conninfo, "dbname", "PGDATABASE");
	if (!dbname)
		dbname = user;
	passfile = conninfo_value(opts, conninfo, "passfile", "PGPASSFILE");
	if (!passfile) {
		const char *home = getenv("HOME");
		struct passwd pwd, *found = NULL;
		char pwbuf[1024];

		if ((!home || !*home) &&
		    getpwuid_r(geteuid(), &pwd, pwbuf, sizeof(pwbuf), &found) == 0 && found)
			home = found->pw_dir;
		if (!home || !*home)
			return;
		snprintf(path, sizeof(path), "%s/.pgpass", home);
		passfile = path;
	}
	switch (pgpass_lookup(passfile, r->host, r->port, dbname, user, &r->password, &warning)) {
	case PGPASS_FOUND:
		str_copy(r->passfile, sizeof(r->passfile), passfile);
		break;
	case PGPASS_IGNORED:
		str_copy(r->warning, sizeof(r->warning), warning.msg);
		break;
	case PGPASS_NONE:
		break;
	}
}

/* With a service (service=, else PGSERVICE): true only if the conninfo
 * itself names all that routing relies on, which a service never overrides. */
static bool service_named_enough(const PQconninfoOption *opts, const char *conninfo,
				 struct err *err)
{
	static const char *const needed[] = { "host", "port", "user", "dbname" };
	bool named = conninfo_value(opts, conninfo, "password", NULL) ||
		     conninfo_value(opts, conninfo, "passfile", NULL);

	if (!conninfo_value(opts, conninfo, "service", "PGSERVICE"))
		return true;
	for (size_t i = 0; i < ARRAY_LEN(needed); i++)
		named = named && conninfo_value(opts, conninfo, needed[i], NULL);
	if (named)
		return true;
	if (conninfo_value(opts, conninfo, "service", NULL))
		err_set(err, "database_tunnel: the database setting names a service: name host, "
			     "port, user, dbname and passfile (or password) in it instead");
	else
		err_set(err, "database_tunnel: PGSERVICE is set in the environment: unset it, or "
			     "name host, port, user, dbname and passfile (or password) in the "
			     "database setting");
	return false;
}

bool db_conn_route_to(const char *conninfo, struct db_route *r, struct err *err)
{
	PQconninfoOption *opts = NULL;
	const char *h = NULL, *ha = NULL, *p = NULL, *target;
	long port = 5432;
	int local;

	memset(r, 0, sizeof(*r));
	str_copy(r->port, sizeof(r->port), "5432");
	if (!tunnel_profile)
		return true;
	if (conninfo && *conninfo && is_conninfo(conninfo)) {
		char *errmsg = NULL;

		opts = PQconninfoParse(conninfo, &errmsg);
		PQfreemem(errmsg);
		if (!opts) {
			err_set(err, "the database setting is not a connection string libpq reads");
			return false;
		}
	}
	/* A service fills what the conninfo leaves unset (over PGHOST etc.):
	 * the route and the password lookup would miss what it gives. */
	if (!service_named_enough(opts, conninfo, err))
		goto fail;
	/* What libpq falls back to. */
	h = conninfo_value(opts, conninfo, "host", "PGHOST");
	ha = conninfo_value(opts, conninfo, "hostaddr", "PGHOSTADDR");
	p = conninfo_value(opts, conninfo, "port", "PGPORT");
	/* libpq connects to hostaddr when there is one, under the name host. */
	target = ha && *ha ? ha : h;
	if (!target || !*target || target[0] == '/' || target[0] == '@') {
		err_set(err, "database_tunnel needs the database's host name in the database setting");
		goto fail;
	}
	if (strchr(target, ',') || (h && strchr(h, ',')) || (p && strchr(p, ','))) {
		err_set(err, "database_tunnel needs one host in the database setting, not a list");
		goto fail;
	}
	if (p && *p) {
		char *end;

		port = strtol(p, &end, 10);
		if (*end || port < 1 || port > 65535 || strlen(p) >= sizeof(r->port)) {
			err_set(err, "the database's port is not a number from 1 to 65535");
			goto fail;
		}
		/* libpq matches the password file on the port as written */
		str_copy(r->port, sizeof(r->port), p);
	}
	/* .pgpass is matched on the name libpq keeps (host, else hostaddr). */
	str_copy(r->host, sizeof(r->host), h ? h : target);
	str_copy(r->target, sizeof(r->target), target);
	/* Asked on every connect: a tunnel set may have been replaced. */
	local = route_endpoint(tunnel_profile, target, (int)port, err);
	if (local <= 0) {
		if (local == 0)
			err_set(err, "tunnel %s: no local port", tunnel_profile);
		goto fail;
	}
	snprintf(r->lport, sizeof(r->lport), "%d", local);
	route_password(opts, conninfo, r);
	PQconninfoFree(opts);
	return true;
fail:
	PQconninfoFree(opts);
	db_route_wipe(r);
	return false;
}

bool db_conn_route(const char *conninfo, char *lport, size_t lportsz, struct err *err)
{
	struct db_route r;
	bool ok = db_conn_route_to(conninfo, &r, err);

	str_copy(lport, lportsz, r.lport);
	db_route_wipe(&r);
	return ok;
}

void db_route_wipe(struct db_route *r)
{
	pgpass_free(r->password);
	r->password = NULL;
}

void db_route_failure(const struct db_route *r, const char *why, char *out, size_t outsz)
{
	char host[120], port[64], known[300], path[260], file[300] = "";

	route_describe(tunnel_profile, r->target, atoi(r->port), known, sizeof(known));
	/* libpq's own hint is lost when the password is handed to it */
	if (r->passfile[0] && strstr(why, "authentication"))
		snprintf(file, sizeof(file), " (password from %s)",
			 db_shown(r->passfile, path, sizeof(path)));
	snprintf(out, outsz, "database %s:%s through tunnel %s: %s%s%s%s%s%s%s",
		 db_shown(r->host, host, sizeof(host)), db_shown(r->port, port, sizeof(port)),
		 tunnel_profile ? tunnel_profile : "", why, file, known[0] ? "; " : "", known,
		 r->warning[0] ? " (" : "", r->warning, r->warning[0] ? ")" : "");
}

/* libpq messages end in a newline and may span lines; one line reads better. */
static void tidy_message(const char *in, char *out, size_t outsz)
{
	size_t j = 0;

	for (size_t i = 0; in && in[i] && j + 1 < outsz; i++) {
		char c = in[i];

		if (c == '\n' || c == '\r' || c == '\t') {
			size_t k = i + 1;

			while (in[k] == '\n' || in[k] == '\r' || in[k] == '\t' || in[k] == ' ')
				k++;
			/* a new sentence on the next line: end this one first */
			if (j > 0 && isalnum((unsigned char)out[j - 1]) &&
			    isupper((unsigned char)in[k]) && j + 2 < outsz)
				out[j++] = '.';
			if (j > 0 && out[j - 1] != ' ' && in[i + 1])
				out[j++] = ' ';
			continue;
		}
		out[j++] = c;
	}
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
}

/* Server notices (e.g. "already exists, skipping") are not for people. */
static void notice_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

void db_quiet_notices(PGconn *pg)
{
	PQsetNoticeProcessor(pg, notice_quiet, NULL);
}

PGconn *db_open_within(const char *conninfo, const char *connect_timeout_s, struct err *err)
{
	const char *keys[DB_CONN_NPARAMS + 1], *vals[DB_CONN_NPARAMS + 1];
	struct err why = { { 0 } };
	struct db_route route;
	size_t n = 0;
	PGconn *pg;

	if (!db_conn_route_to(conninfo, &route, &why)) {
		err_set(err, "cannot connect to the database: %s", why.msg);
		return NULL;
	}
	db_conn_params(conninfo, NULL, route.lport[0] ? DB_TUNNEL_ADDR : NULL,
		       route.lport[0] ? route.lport : NULL,
		       route.password, keys, vals);
	if (connect_timeout_s) {
		/* Last, so that it wins over the conninfo's own. */
		while (keys[n])
			n++;
		keys[n] = "connect_timeout";
		vals[n++] = connect_timeout_s;
		keys[n] = NULL;
		vals[n] = NULL;
	}
	pg = PQconnectdbParams(keys, vals, 1);
	db_route_wipe(&route);
	if (!pg) {
		err_set(err, "cannot connect to the database: out of memory");
		return NULL;
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		char msg[1024], routed[2048];

		tidy_message(PQerrorMessage(pg), msg, sizeof(msg));
		if (route.lport[0]) {
			db_route_failure(&route, msg, routed, sizeof(routed));
			err_set(err, "cannot connect to the %s", routed);
		} else {
			err_set(err, "cannot connect to the database: %s", msg);
		}
		PQfinish(pg);
		return NULL;
	}
	db_quiet_notices(pg);
	return pg;
}

PGconn *db_open(const char *conninfo, struct err *err)
{
	return db_open_within(conninfo, NULL, err);
}

void db_close(PGconn *pg)
{
	if (pg)
		PQfinish(pg);
}

bool db_result_ok(const PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Declarative constraints of the schema, in words. Rules enforced by
 * triggers raise their own sentence and are shown as they come. */
static const struct {
	const char *name;
	const char *msg;
} constraint_words[] = {
	{ "customers_slug_unique", "a customer with that slug already exists" },
	{ "customers_slug_dns",
	  "a customer slug must be a DNS-1123 label (a-z, 0-9 and '-', at most 63)" },
	{ "customers_name_valid", "a customer name must be 1 to 200 characters on one line" },
	{ "projects_slug_unique", "a project with that slug already exists" },
	{ "projects_slug_dns",
	  "a project slug must be a DNS-1123 label (a-z, 0-9 and '-', at most 63)" },
	{ "projects_name_valid", "a project name must be 1 to 200 characters on one line" },
	{ "projects_description_valid",
	  "a project description must be at most 2000 characters of text" },
	{ "projects_customer_fk", "no such customer" },
	{ "projects_quota_stores_range", "the store quota must be from 0 to 10000" },
	{ "projects_quota_cpu_range", "the CPU quota must be from 0 to 100000 cores" },
	{ "projects_quota_memory_range", "the memory quota is out of range" },
	{ "offerings_slug_unique", "an offering with that slug already exists" },
	{ "offerings_slug_dns", "an offering slug must be a DNS-1123 label" },
	{ "offerings_kind_known", "unknown offering kind (known: woocommerce, medusa)" },
	{ "offerings_state_valid", "an offering state is active, paused or archived" },
	{ "plans_name_unique", "the offering already has a plan of that name" },
	{ "plans_name_dns", "a plan name must be a DNS-1123 label" },
	{ "plans_replicas_range", "a plan's replicas must be from 1 to 20" },
	{ "plans_cpu_request_range", "a plan's CPU request must be from 10m to 64 cores" },
	{ "plans_cpu_limit_range",
	  "a plan's CPU limit must be at least its request and at most 64 cores" },
	{ "plans_memory_request_range", "a plan's memory request must be from 16Mi to 256Gi" },
	{ "plans_memory_limit_range",
	  "a plan's memory limit must be at least its request and at most 256Gi" },
	{ "plans_storage_range", "a plan's storage must be from 1 to 16384 GiB" },
	{ "plans_price_range", "a plan's monthly price must be from 0 to 999999.99" },
	{ "clusters_pkey", "a cluster of that name already exists" },
	{ "clusters_name_dns", "a cluster name must be a DNS-1123 label" },
	{ "clusters_state_valid", "a cluster state is active, cordoned or disabled" },
	{ "clusters_max_stores_range", "a cluster's max_stores must be from 0 to 100000" },
	{ "stores_id_hex", "a store id is 12 lowercase hexadecimal characters" },
	{ "stores_name_dns", "a store name must be a DNS-1123 label" },
	{ "stores_namespace_unique", "that namespace is already used by another store" },
	{ "stores_namespace_of_id", "a store's namespace is store-<id>" },
	{ "stores_status_valid", "unknown store status" },
	{ "stores_replicas_range", "a store's replicas must be from 1 to 50" },
	{ "stores_plan_of_offering", "the plan does not belong to the store's offering" },
	{ "stores_project_fk", "no such project" },
	{ "stores_cluster_fk", "no such cluster" },
	{ "stores_failed_has_error", "a failed store must say why (error_message)" },
	{ "stores_ready_has_time", "a ready store must have ready_at" },
	{ "stores_project_name_live", "the project already has a live store of that name" },
	{ "jobs_kind_valid", "unknown job kind" },
	{ "jobs_state_valid", "unknown job state" },
	{ "jobs_attempts_bounded", "a job cannot run more often than its max_attempts" },
	{ "jobs_lease_whole", "a job lease needs both an owner and an expiry" },
	{ "jobs_running_leased", "a running job must hold a lease" },
	{ "events_actor_valid", "the operator name must be 1 to 200 characters on one line" },
	{ "events_project_fk", "no such project" },
};

void db_error_describe(const PGresult *res, const PGconn *pg, struct err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *prim = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[400];

	if (cons && state && strncmp(state, "23", 2) == 0) {
		for (size_t i = 0; i < ARRAY_LEN(constraint_words); i++) {
			if (strcmp(constraint_words[i].name, cons) == 0) {
				err_set(err, "%s", constraint_words[i].msg);
				return;
			}
		}
	}
	if (prim) {
		tidy_message(prim, msg, sizeof(msg));
		/* 40001/40P01 are worth retrying; say so. */
		if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
			err_set(err, "%s (try again)", msg);
		else if (state && strcmp(state, "57014") == 0)
			err_set(err, "the database cancelled the statement: %s", msg);
		else
			err_set(err, "%s", msg);
		return;
	}
	if (pg && PQerrorMessage(pg)[0]) {
		tidy_message(PQerrorMessage(pg), msg, sizeof(msg));
		err_set(err, "database error: %s", msg);
		return;
	}
	if (res && PQresultErrorMessage(res)[0]) {
		tidy_message(PQresultErrorMessage(res), msg, sizeof(msg));
		err_set(err, "database error: %s", msg);
		return;
	}
	err_set(err, "database error (no message)");
}

PGresult *db_req_exec(PGconn *pg, const struct db_req *r, struct err *err)
{
	PGresult *res = PQexecParams(pg, r->sql, r->nparams, NULL,
				     (const char *const *)r->params, NULL, NULL, 0);

	if (!db_result_ok(res)) {
		db_error_describe(res, pg, err);
		PQclear(res);
		return NULL;
	}
	if (r->check && !r->check(res, r, err)) {
		PQclear(res);
		return NULL;
	}
	return res;
}

bool db_exec_fixed(PGconn *pg, const char *sql, struct err *err)
{
	PGresult *res = PQexecParams(pg, sql, 0, NULL, NULL, NULL, NULL, 0);
	bool ok = db_result_ok(res);

	if (!ok)
		db_error_describe(res, pg, err);
	PQclear(res);
	return ok;
}

/* ---- quantities ---- */

/* Whole part and up to `maxfrac` decimals, as a fixed-point number scaled by
 * 10^maxfrac. */
static bool parse_fixed(const char *s, size_t len, int maxfrac, long max, long *out)
{
	long v = 0;
	int frac = -1;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.' && frac < 0 && i > 0 && i + 1 < len) {
			frac = 0;
			continue;
		}
		if (c < '0' || c > '9')
			return false;
		if (frac >= 0 && ++frac > maxfrac)
			return false;
		if (v > max / 10)
			return false;
		v = v * 10 + (c - '0');
	}
	for (int f = frac < 0 ? 0 : frac; f < maxfrac; f++) {
		if (v > max / 10)
			return false;
		v *= 10;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

bool db_parse_cpu(const char *s, long *millis, struct err *err)
{
	size_t n = strlen(s);
	char shown[40];
	bool ok;

	if (n > 0 && s[n - 1] == 'm')
		ok = parse_fixed(s, n - 1, 0, DB_MAX_CPU_MILLIS, millis) && !strchr(s, '.');
	else
		ok = parse_fixed(s, n, 3, DB_MAX_CPU_MILLIS, millis);
	if (!ok)
		err_set(err, "invalid CPU amount '%s': write cores (2, 1.5) or millicores (500m)",
			db_shown(s, shown, sizeof(shown)));
	return ok;
}

bool db_parse_memory(const char *s, long *mib, struct err *err)
{
	static const struct {
		const char *suffix;
		long scale;
	} units[] = { { "Mi", 1 }, { "Gi", 1024 }, { "Ti", 1024L * 1024 } };
	size_t n = strlen(s);
	char shown[40];
	long v;

	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		size_t sl = strlen(units[i].suffix);

		if (n > sl && strcmp(s + n - sl, units[i].suffix) == 0) {
			if (parse_fixed(s, n - sl, 0, DB_MAX_MEMORY_MIB / units[i].scale, &v)) {
				*mib = v * units[i].scale;
				return true;
			}
			goto bad;
		}
	}
	if (parse_fixed(s, n, 0, DB_MAX_MEMORY_MIB, &v)) {
		*mib = v;
		return true;
	}
bad:
	err_set(err, "invalid memory amount '%s': write 512Mi, 8Gi, 1Ti or a number of MiB",
		db_shown(s, shown, sizeof(shown)));
	return false;
}

void db_format_cpu(long millis, char *buf, size_t bufsz)
{
	if (millis % 1000 == 0)
		snprintf(buf, bufsz, "%ld", millis / 1000);
	else
		snprintf(buf, bufsz, "%ldm", millis);
}

void db_format_memory(long mib, char *buf, size_t bufsz)
{
	if (mib != 0 && mib % (1024L * 1024) == 0)
		snprintf(buf, bufsz, "%ldTi", mib / (1024L * 1024));
	else if (mib != 0 && mib % 1024 == 0)
		snprintf(buf, bufsz, "%ldGi", mib / 1024);
	else
		snprintf(buf, bufsz, "%ldMi", mib);
}

/* ---- validation ---- */

bool db_valid_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

/* Counts UTF-8 characters; false on a malformed sequence, a control
 * character (C0, DEL, C1) other than those allowed. */
static bool scan_text(const char *s, bool allow_newlines, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		unsigned c = *p;
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			if ((c < 0x20 || c == 0x7f) &&
			    !(allow_newlines && (c == '\n' || c == '\t' || c == '\r')))
				return false;
			p++;
			n++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond Unicode, C1 controls. */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return false;
		p += len;
		n++;
	}
	*chars = n;
	return true;
}

bool db_valid_name(const char *s, size_t maxlen)
{
	size_t n, len = strlen(s);

	if (!scan_text(s, false, &n) || n == 0 || n > maxlen)
		return false;
	return s[0] != ' ' && s[len - 1] != ' ';
}

bool db_valid_text(const char *s, size_t maxlen)
{
	size_t n;

	return scan_text(s, true, &n) && n <= maxlen && !strchr(s, '\r');
}

/* ASCII for the Latin letters of U+00C0..U+017F, as a person would write
 * them in a slug ("" for the signs among them: × and ÷). */
static const char *const latin_ascii[] = {
	/* 00C0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* 00D0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
	/* 00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* 00F0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	/* 0100 */ "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
	/* 0110 */ "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
	/* 0120 */ "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
	/* 0130 */ "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
	/* 0140 */ "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
	/* 0150 */ "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
	/* 0160 */ "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
	/* 0170 */ "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};

/* The code point at *p (advancing it), or 0xFFFD for a malformed byte. */
static unsigned next_code_point(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned c = s[0], need, cp;

	if (c < 0x80) {
		*p += 1;
		return c;
	}
	need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
	cp = need == 3 ? c & 0x07 : need == 2 ? c & 0x0F : c & 0x1F;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*p += i;
			return 0xFFFD;
		}
		cp = cp << 6 | (s[i] & 0x3F);
	}
	*p += need + 1;
	return need ? cp : 0xFFFD;
}

bool db_slugify(const char *name, char *out, size_t outsz)
{
	size_t j = 0;
	bool dash = false;

	if (outsz < 2)
		return false;
	for (const char *p = name; *p && j < 63 && j + 1 < outsz;) {
		unsigned cp = next_code_point(&p);
		char one[2] = { 0, 0 };
		const char *ascii = one;

		if (cp < 0x80)
			one[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
		else if (cp >= 0xC0 && cp < 0xC0 + ARRAY_LEN(latin_ascii))
			ascii = latin_ascii[cp - 0xC0];
		if (!ascii[0] || !((ascii[0] >= 'a' && ascii[0] <= 'z') ||
				   (ascii[0] >= '0' && ascii[0] <= '9'))) {
			dash = true; /* anything else separates words */
			continue;
		}
		if (dash && j > 0) {
			/* no room for a dash and a letter: the slug ends here,
			 * rather than run two words together */
			if (j + 2 >= outsz || j >= 62)
				break;
			out[j++] = '-';
		}
		dash = false;
		for (const char *a = ascii; *a && j < 63 && j + 1 < outsz; a++)
			out[j++] = *a;
	}
	out[j] = '\0';
	while (j > 0 && out[j - 1] == '-')
		out[--j] = '\0';
	return j > 0;
}

bool db_mutation_allowed(const struct conf *conf, const char *what, struct err *err)
{
	if (conf->read_only) {
		err_set(err, "read-only mode: refusing to %s", what);
		return false;
	}
	return true;
}

bool db_configured(const struct conf *conf)
{
	static const char *const vars[] = {"PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE"};

	if (conf->database && *conf->database)
		return true;
	for (size_t i = 0; i < ARRAY_LEN(vars); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return true;
	}
	return false;
}

const char *db_shown(const char *s, char *buf, size_t bufsz)
{
	size_t j = 0;

	if (bufsz == 0)
		return "";
	for (; s && *s && j + 1 < bufsz; s++)
		buf[j++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	buf[j] = '\0';
	return buf;
}

const char *db_val(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return "";
	return PQgetvalue(res, row, col);
}

long db_long(const PGresult *res, int row, int col)
{
	long v = 0;

	if (!PQgetisnull(res, row, col))
		(void)str_to_long(PQgetvalue(res, row, col), LONG_MIN, LONG_MAX, &v);
	return v;
}

bool db_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}
