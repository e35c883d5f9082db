#include "config.h"

#include "cli/cli_doctor.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli/cli_util.h"
#include "db/clusters.h"
#include "db/db.h"
#include "db/migrate.h"
#include "kube/probe.h"
#include "loop.h"
#include "net/http.h"
#include "paths.h"

/* Each query of the database part may take this long (statement_timeout),
 * so that a locked table cannot keep doctor waiting. */
#define DOCTOR_SQL_TIMEOUT "SET statement_timeout = 5000"

static int doctor_run(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_doctor = {
	.noun = "doctor",
	.verb = NULL,
	.usage = "[--context KUBE_CONTEXT] [--timeout SECONDS] [--json]",
	.summary = "check the settings, the database and each cluster (reach, credentials, "
		   "resources, permissions), in words",
	.run = doctor_run,
};

const struct cli_command *const cli_doctor_commands[] = { &cmd_doctor, NULL };

/* What provisioning does on a cluster, verb by verb: src/provision/job.c
 * (server-side apply is a PATCH, also of objects that do not exist yet;
 * the web is scaled with a PATCH of deployments/scale; secrets are read
 * back and created), src/provision/reconcile.c (lists across namespaces,
 * deletes orphan namespaces), the Stores pane (watches Deployments; its
 * details watch a store's workloads, pods, claims, services, ingresses and
 * events) and pod logs. Keep it in step with them. */
static const struct kube_need provisioning_needs[] = {
	{ "create", "", "v1", "namespaces", NULL },
	{ "patch", "", "v1", "namespaces", NULL },
	{ "get", "", "v1", "namespaces", NULL },
	{ "list", "", "v1", "namespaces", NULL },
	{ "watch", "", "v1", "namespaces", NULL },
	{ "delete", "", "v1", "namespaces", NULL },
	{ "get", "", "v1", "secrets", NULL },
	{ "create", "", "v1", "secrets", NULL },
	{ "patch", "", "v1", "secrets", NULL },
	{ "patch", "", "v1", "persistentvolumeclaims", NULL },
	{ "patch", "", "v1", "services", NULL },
	{ "patch", "", "v1", "resourcequotas", NULL },
	{ "patch", "apps", "v1", "deployments", NULL },
	{ "list", "apps", "v1", "deployments", NULL },
	{ "watch", "apps", "v1", "deployments", NULL },
	{ "patch", "apps", "v1", "deployments", "scale" },
	{ "patch", "apps", "v1", "statefulsets", NULL },
	{ "list", "apps", "v1", "statefulsets", NULL },
	{ "patch", "networking.k8s.io", "v1", "ingresses", NULL },
	{ "patch", "networking.k8s.io", "v1", "networkpolicies", NULL },
	{ "list", "", "v1", "pods", NULL },
	{ "watch", "", "v1", "pods", NULL },
	{ "get", "", "v1", "pods", "log" },
	/* the store details (src/provision/inventory.c) */
	{ "watch", "apps", "v1", "statefulsets", NULL },
	{ "list", "", "v1", "persistentvolumeclaims", NULL },
	{ "list", "", "v1", "services", NULL },
	{ "list", "networking.k8s.io", "v1", "ingresses", NULL },
	{ "list", "", "v1", "events", NULL },
	{ "watch", "", "v1", "events", NULL },
};

struct check {
	char *id;      /* "database.schema", "cluster.access"... */
	char *subject; /* what the sentence is about: "database", "cluster demo" */
	enum kube_probe_level level;
	char *message;
	json_t *detail; /* extra members of the JSON object; may be NULL */
};

/* A cluster (or a bare kube context) to probe. */
struct target {
	struct doctor *d;
	char *cluster; /* NULL: a kube context that is not in the clusters table */
	char *context; /* NULL: the kubeconfig's current one */
	char *state;
	struct kube_probe *probe;
};

struct doctor {
	struct cli_ctx *ctx;
	struct loop *loop;
	long timeout_ms;
	struct check *v;
	size_t n, cap;
	struct target *targets;
	size_t ntargets, running;
};

static void add(struct doctor *d, const char *id, const char *subject, enum kube_probe_level level,
		json_t *detail, const char *fmt, ...) ATTR_FORMAT(6, 7);

static void add(struct doctor *d, const char *id, const char *subject, enum kube_probe_level level,
		json_t *detail, const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	d->v = xgrow(d->v, &d->cap, d->n + 1, sizeof(*d->v));
	c = &d->v[d->n++];
	c->id = xstrdup(id);
	c->subject = xstrdup(subject);
	c->level = level;
	va_start(ap, fmt);
	c->message = xvasprintf(fmt, ap);
	va_end(ap);
	c->detail = detail;
}

static void add_target(struct doctor *d, const char *cluster, const char *context,
		       const char *state)
{
	struct target *t;

	d->targets = xrealloc(d->targets, (d->ntargets + 1) * sizeof(*d->targets));
	t = &d->targets[d->ntargets++];
	memset(t, 0, sizeof(*t));
	t->d = d;
	t->cluster = cluster ? xstrdup(cluster) : NULL;
	t->context = context ? xstrdup(context) : NULL;
	t->state = xstrdup(state ? state : "active");
}

/* ---- settings ---- */

static void check_conf(struct doctor *d)
{
	const struct conf *conf = d->ctx->conf;
	char *dflt;

	if (conf->source) {
		add(d, "conf", "conf", KUBE_PROBE_OK, json_pack("{s:s}", "file", conf->source),
		    "settings loaded from %s%s", conf->source,
		    conf->read_only ? " (read-only mode)" : "");
		return;
	}
	dflt = paths_config_file();
	add(d, "conf", "conf", KUBE_PROBE_OK, json_pack("{s:n}", "file"),
	    "no settings file (%s does not exist): built-in defaults%s", dflt,
	    conf->read_only ? " (read-only mode)" : "");
	free(dflt);
}

/* ---- the HTTP engine ---- */

/* The console talks to clusters from its one thread: a name lookup that
 * blocks would freeze it for as long as the resolver takes. */
static void check_http(struct doctor *d)
{
	char why[256];
	bool async = net_http_async_dns(why, sizeof(why));

	add(d, "http.dns", "http", async ? KUBE_PROBE_OK : KUBE_PROBE_WARN,
	    json_pack("{s:b}", "async_dns", async), "%s", why);
}

/* ---- the database ---- */

static const char sql_settings[] = "SELECT name, value FROM opsdeck.settings ORDER BY name";

/* Where the connection went, never with its password. */
static void describe_connection(PGconn *pg, struct buf *out, json_t **detail)
{
	const char *host = PQhost(pg), *port = PQport(pg);
	int v = PQserverVersion(pg);
	char version[32];

	if (v >= 100000)
		snprintf(version, sizeof(version), "%d.%d", v / 10000, v % 10000);
	else
		snprintf(version, sizeof(version), "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
	if (host && host[0] == '/')
		buf_printf(out,
			   "connected to database %s as %s through the Unix socket in %s (port %s)",
			   PQdb(pg), PQuser(pg), host, port);
	else
		buf_printf(out, "connected to database %s as %s at %s:%s", PQdb(pg), PQuser(pg),
			   host ? host : "localhost", port);
	buf_printf(out, ", PostgreSQL %s", version);
	*detail = json_pack("{s:s, s:s, s:s, s:s, s:s}", "host", host ? host : "", "port", port,
			    "database", PQdb(pg), "user", PQuser(pg), "server_version", version);
}

/* True if the schema is the one this binary knows; *version gets the
 * database's. */
static bool check_schema(struct doctor *d, PGconn *pg, int *version)
{
	struct migrate_status st;
	struct err err = { { 0 } };
	json_t *detail;
	bool current;

	*version = 0;
	if (!migrate_status(pg, &st, &err)) {
		add(d, "database.schema", "database schema", KUBE_PROBE_FAIL, NULL, "%s", err.msg);
		return false;
	}
	*version = st.db_version;
	detail = json_pack("{s:i, s:i}", "schema_version", st.db_version, "binary_version",
			   st.bin_version);
	current = st.pending == 0 && st.unknown == 0 && st.changed == 0;
	if (st.unknown > 0)
		add(d, "database.schema", "database schema", KUBE_PROBE_FAIL, detail,
		    "the schema is at version %d, newer than this opsdeck knows (%d): "
		    "upgrade opsdeck",
		    st.db_version, st.bin_version);
	else if (st.changed > 0)
		add(d, "database.schema", "database schema", KUBE_PROBE_FAIL, detail,
		    "%zu applied migration(s) differ from the ones built into this opsdeck; "
		    "migrations must never change once applied",
		    st.changed);
	else if (st.pending > 0)
		add(d, "database.schema", "database schema", KUBE_PROBE_FAIL, detail,
		    "the schema is at version %d and this opsdeck needs %d: "
		    "run `opsdeck db migrate`",
		    st.db_version, st.bin_version);
	else
		add(d, "database.schema", "database schema", KUBE_PROBE_OK, detail,
		    "version %d, as this opsdeck expects", st.db_version);
	migrate_status_free(&st);
	return current;
}

static void check_settings(struct doctor *d, PGconn *pg)
{
	struct err err = { { 0 } };
	struct db_req r;
	struct buf words = BUF_INIT;
	json_t *o = json_object();
	PGresult *res;

	db_req_init(&r, sql_settings);
	str_copy(r.subject, sizeof(r.subject), "settings");
	res = db_req_exec(pg, &r, &err);
	db_req_free(&r);
	if (!res) {
		json_decref(o);
		add(d, "database.settings", "database settings", KUBE_PROBE_FAIL, NULL,
		    "cannot read the settings: %s", err.msg);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		buf_printf(&words, "%s%s %s", i ? ", " : "", db_val(res, i, 0), db_val(res, i, 1));
		json_object_set_new(o, db_val(res, i, 0), json_integer(db_long(res, i, 1)));
	}
	add(d, "database.settings", "database settings", KUBE_PROBE_OK,
	    json_pack("{s:o}", "settings", o), "readable: %s",
	    PQntuples(res) ? buf_str(&words) : "none set");
	PQclear(res);
	buf_free(&words);
}

/* The clusters to check; false if they could not be read. */
static bool read_clusters(struct doctor *d, PGconn *pg, struct cluster_list *l)
{
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;

	cluster_req_list(&r);
	res = db_req_exec(pg, &r, &err);
	db_req_free(&r);
	if (!res || !cluster_list_parse(res, l, &err)) {
		PQclear(res);
		add(d, "clusters", "clusters", KUBE_PROBE_FAIL, NULL,
		    "cannot list the clusters: %s", err.msg);
		return false;
	}
	PQclear(res);
	return true;
}

/* Checks the database and fills the clusters to probe; false (with
 * nothing in l) if the clusters could not be listed. */
static bool check_database(struct doctor *d, struct cluster_list *l)
{
	struct err err = { { 0 } };
	struct buf where = BUF_INIT;
	json_t *detail = NULL;
	PGconn *pg;
	int version;
	bool current, listed = false;

	memset(l, 0, sizeof(*l));
	pg = db_open(d->ctx->conf->database, &err);
	if (!pg) {
		add(d, "database", "database", KUBE_PROBE_FAIL, NULL, "%s", err.msg);
		return false;
	}
	describe_connection(pg, &where, &detail);
	add(d, "database", "database", KUBE_PROBE_OK, detail, "%s", buf_str(&where));
	buf_free(&where);
	if (!db_exec_fixed(pg, DOCTOR_SQL_TIMEOUT, &err)) {
		add(d, "database", "database", KUBE_PROBE_FAIL, NULL, "%s", err.msg);
		db_close(pg);
		return false;
	}
	current = check_schema(d, pg, &version);
	if (current)
		check_settings(d, pg);
	else
		add(d, "database.settings", "database settings", KUBE_PROBE_WARN, NULL,
		    "not checked: the schema is not the one this opsdeck knows");
	/* The clusters table is in the first migration: a schema that is
	 * merely behind still says where stores go. */
	if (version >= 1)
		listed = read_clusters(d, pg, l);
	db_close(pg);
	return listed;
}

/* ---- clusters ---- */

static void on_probed(struct kube_probe *p, void *ud)
{
	struct target *t = ud;

	(void)p;
	if (--t->d->running == 0)
		loop_stop(t->d->loop);
}

static void pick_targets(struct doctor *d, const char *only_context, bool listed,
			 const struct cluster_list *l)
{
	const char *current = d->ctx->conf->context; /* NULL: the kubeconfig's */

	if (only_context) {
		add_target(d, NULL, only_context, NULL);
		return;
	}
	if (listed && l->n > 0) {
		bool seen = false;

		for (size_t i = 0; i < l->n; i++) {
			add_target(d, l->v[i].name, l->v[i].context, l->v[i].state);
			seen = seen || (current && strcmp(l->v[i].context, current) == 0);
		}
		/* The selected context (--context before the command, or the
		 * setting kube.context) is checked too. */
		if (current && !seen)
			add_target(d, NULL, current, NULL);
		return;
	}
	if (listed)
		add(d, "clusters", "clusters", KUBE_PROBE_WARN, NULL,
		    "none registered, so no store can be placed "
		    "(`opsdeck cluster add NAME --context CONTEXT`); "
		    "checking the %s kube context instead",
		    current ? "selected" : "current");
	else
		add(d, "clusters", "clusters", KUBE_PROBE_WARN, NULL,
		    "not known without the database; checking the %s kube context instead",
		    current ? "selected" : "current");
	add_target(d, NULL, current, NULL);
}

static void probe_done(struct kube_probe *p, void *ud)
{
	(void)p;
	loop_stop(ud);
}

struct kube_probe *cli_probe_context(struct loop *loop, const struct conf *conf,
				     const char *context, long timeout_ms)
{
	struct kube_probe_opts po = { .kubeconfig = conf->kubeconfig,
				      .context = context,
				      .needs = provisioning_needs,
				      .nneeds = ARRAY_LEN(provisioning_needs),
				      .timeout_ms = timeout_ms,
				      .purpose = "provisioning" };
	struct kube_probe *p = kube_probe_start(loop, &po, probe_done, loop);

	loop_run(loop);
	return p;
}

static void probe_targets(struct doctor *d)
{
	struct kube_probe_opts po = { .kubeconfig = d->ctx->conf->kubeconfig,
				      .needs = provisioning_needs,
				      .nneeds = ARRAY_LEN(provisioning_needs),
				      .timeout_ms = d->timeout_ms,
				      .purpose = "provisioning" };

	for (size_t i = 0; i < d->ntargets; i++) {
		struct target *t = &d->targets[i];

		/* A disabled cluster runs nothing: there is nothing to check. */
		if (strcmp(t->state, "disabled") == 0)
			continue;
		po.context = t->context;
		d->running++;
		t->probe = kube_probe_start(d->loop, &po, on_probed, t);
	}
	if (d->running > 0)
		loop_run(d->loop);
}

static void collect(struct doctor *d)
{
	for (size_t i = 0; i < d->ntargets; i++) {
		struct target *t = &d->targets[i];
		const struct kube_probe_finding *f;
		char subject[300], id[64];
		size_t n;

		if (t->cluster)
			snprintf(subject, sizeof(subject), "cluster %s", t->cluster);
		else if (t->probe && kube_probe_context(t->probe)[0])
			snprintf(subject, sizeof(subject), "kube context %s",
				 kube_probe_context(t->probe));
		else
			snprintf(subject, sizeof(subject), "kube context %s",
				 t->context ? t->context : "(current)");
		if (strcmp(t->state, "disabled") == 0) {
			add(d, "cluster.state", subject, KUBE_PROBE_OK, NULL,
			    "disabled: no store runs there, so it is not checked");
			continue;
		}
		if (strcmp(t->state, "cordoned") == 0)
			add(d, "cluster.state", subject, KUBE_PROBE_OK, NULL,
			    "cordoned: no new stores are placed there; "
			    "its stores are checked as usual");
		f = kube_probe_findings(t->probe, &n);
		for (size_t k = 0; k < n; k++) {
			snprintf(id, sizeof(id), "cluster.%s", f[k].check);
			add(d, id, subject, f[k].level,
			    f[k].detail ? json_incref(f[k].detail) : NULL, "%s", f[k].message);
		}
	}
}

/* ---- output ---- */

static int print_report(struct doctor *d)
{
	size_t fails = 0, warns = 0;

	for (size_t i = 0; i < d->n; i++) {
		fails += d->v[i].level == KUBE_PROBE_FAIL;
		warns += d->v[i].level == KUBE_PROBE_WARN;
	}
	if (d->ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < d->n; i++) {
			const struct check *c = &d->v[i];
			json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "check", c->id, "subject",
					      c->subject, "level", kube_probe_level_name(c->level),
					      "message", c->message);

			if (c->detail)
				json_object_update_missing(o, c->detail);
			json_array_append_new(a, o);
		}
		if (cli_json_print(d->ctx, json_pack("{s:b, s:I, s:I, s:o}", "ok", fails == 0,
						     "failures", (json_int_t)fails, "warnings",
						     (json_int_t)warns, "checks", a)) != CLI_OK)
			return CLI_FAILED;
	} else {
		for (size_t i = 0; i < d->n; i++) {
			const struct check *c = &d->v[i];
			const char *word = c->level == KUBE_PROBE_FAIL   ? "FAIL"
					   : c->level == KUBE_PROBE_WARN ? "warn"
									 : "ok";

			fprintf(d->ctx->out, "%-4s  %s: %s\n", word, c->subject, c->message);
		}
		if (fails || warns)
			fprintf(d->ctx->out, "%zu check(s): %zu failed, %zu warning(s)\n", d->n,
				fails, warns);
		else
			fprintf(d->ctx->out, "all %zu checks passed\n", d->n);
		if (fflush(d->ctx->out) != 0)
			return cli_fail(d->ctx, "cannot write the output");
	}
	return fails ? CLI_FAILED : CLI_OK;
}

static void doctor_free(struct doctor *d)
{
	for (size_t i = 0; i < d->ntargets; i++) {
		kube_probe_free(d->targets[i].probe);
		free(d->targets[i].cluster);
		free(d->targets[i].context);
		free(d->targets[i].state);
	}
	free(d->targets);
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].id);
		free(d->v[i].subject);
		free(d->v[i].message);
		json_decref(d->v[i].detail);
	}
	free(d->v);
	if (d->loop)
		loop_free(d->loop);
}

static int doctor_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *context = NULL, *timeout_s = NULL;
	const struct cli_opt opts[] = { { "context", &context, NULL, NULL, false },
					{ "timeout", &timeout_s, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	struct doctor d = { .ctx = ctx };
	struct cluster_list clusters;
	long timeout = KUBE_PROBE_TIMEOUT_MS / 1000;
	bool listed;
	int npos, rc;

	if (!cli_parse(ctx, &cmd_doctor, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	if (timeout_s && !str_to_long(timeout_s, 1, 300, &timeout)) {
		return cli_usage(ctx, &cmd_doctor, "--timeout takes seconds from 1 to 300");
	}
	if (context && (!context[0] || !db_valid_name(context, 253))) {
		return cli_usage(ctx, &cmd_doctor, "--context takes the name of a kube context");
	}
	d.timeout_ms = timeout * 1000;
	check_conf(&d);
	check_http(&d);
	/* The database part is blocking but bounded (connect_timeout,
	 * statement_timeout); the clusters, which it names, are then probed
	 * together on the loop, each with its own deadline. */
	listed = check_database(&d, &clusters);
	pick_targets(&d, context, listed, &clusters);
	cluster_list_free(&clusters);
	d.loop = loop_new();
	probe_targets(&d);
	collect(&d);
	rc = print_report(&d);
	doctor_free(&d);
	return rc;
}
