#include "config.h"

#include "cli/cli_store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli/cli_doctor.h"
#include "cli/cli_project.h"
#include "cli/cli_util.h"
#include "db/clusters.h"
#include "db/db.h"
#include "db/jobs.h"
#include "db/stores.h"
#include "kube/api.h"
#include "kube/probe.h"
#include "loop.h"
#include "kube/registry.h"
#include "provision/orphan.h"
#include "provision/reconcile.h"

static int cluster_list(struct cli_ctx *ctx, int argc, char **argv);
static int cluster_add(struct cli_ctx *ctx, int argc, char **argv);
static int cluster_set_state(struct cli_ctx *ctx, int argc, char **argv);
static int store_list(struct cli_ctx *ctx, int argc, char **argv);
static int store_show(struct cli_ctx *ctx, int argc, char **argv);
static int store_create(struct cli_ctx *ctx, int argc, char **argv);
static int store_scale(struct cli_ctx *ctx, int argc, char **argv);
static int store_simple_op(struct cli_ctx *ctx, int argc, char **argv);
static int store_reconcile(struct cli_ctx *ctx, int argc, char **argv);
static bool read_clusters(struct cli_ctx *ctx, struct cluster_list *l);

static const struct cli_command cmd_cluster_list = {
	.noun = "cluster",
	.verb = "list",
	.usage = "[--json]",
	.summary = "list clusters with their stores and capacity",
	.run = cluster_list,
};
static const struct cli_command cmd_cluster_add = {
	.noun = "cluster",
	.verb = "add",
	.usage = "NAME --context KUBE_CONTEXT [--max-stores N] [--force] [--timeout SECONDS]",
	.summary = "add a cluster that stores can be placed on, once a probe finds that "
		   "opsdeck may provision there (--force: add it anyway)",
	.run = cluster_add,
};
static const struct cli_command cmd_cluster_set_state = {
	.noun = "cluster",
	.verb = "set-state",
	.usage = "NAME active|cordoned|disabled",
	.summary = "cordon a cluster (no new stores), disable or activate it",
	.run = cluster_set_state,
};
static const struct cli_command cmd_store_list = {
	.noun = "store",
	.verb = "list",
	.usage = "[--project PROJECT] [--all] [--json]",
	.summary = "list stores (--all: with deleted ones)",
	.run = store_list,
};
static const struct cli_command cmd_store_show = {
	.noun = "store",
	.verb = "show",
	.usage = "STORE [--json]",
	.summary = "show a store with its jobs and their steps (STORE: its id, a unique start "
		   "of it, its name, or PROJECT/NAME)",
	.run = store_show,
};
static const struct cli_command cmd_store_create = {
	.noun = "store",
	.verb = "create",
	.usage = "PROJECT OFFERING PLAN NAME [--cluster NAME] [--wait] [--timeout SECONDS] "
		 "[--json]",
	.summary = "order a store (queued for a runner; --wait: until it is Ready or Failed)",
	.run = store_create,
};
static const struct cli_command cmd_store_scale = {
	.noun = "store",
	.verb = "scale",
	.usage = "STORE REPLICAS [--wait] [--timeout SECONDS]",
	.summary = "set the web replicas of a store",
	.run = store_scale,
};
#define SIMPLE_OP(verb_, summary_)                                 \
	static const struct cli_command cmd_store_##verb_ = {      \
		.noun = "store",                                   \
		.verb = #verb_,                                    \
		.usage = "STORE [--wait] [--timeout SECONDS]",     \
		.summary = summary_,                               \
		.run = store_simple_op,                            \
	}
SIMPLE_OP(pause, "scale a store's workloads to zero, remembering their replicas");
SIMPLE_OP(resume, "bring a paused store back");
SIMPLE_OP(retry, "provision a Failed store again");
SIMPLE_OP(delete, "delete a store: its namespace goes, its row stays as Deleted");

static const struct cli_command cmd_store_reconcile = {
	.noun = "store",
	.verb = "reconcile",
	.usage = "[--delete-orphans | --delete-orphan [CLUSTER/]NAMESPACE ...] [--json]",
	.summary = "compare stores with their clusters: mark drift, list orphan namespaces and "
		   "delete all or some of them (audited)",
	.run = store_reconcile,
};

const struct cli_command *const cli_store_commands[] = {
	&cmd_cluster_list, &cmd_cluster_add,   &cmd_cluster_set_state, &cmd_store_list,
	&cmd_store_show,   &cmd_store_create,  &cmd_store_scale,       &cmd_store_pause,
	&cmd_store_resume, &cmd_store_retry,   &cmd_store_delete,      &cmd_store_reconcile,
	NULL,
};

/* ---- clusters ---- */

static int cluster_list(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	struct cluster_list l;
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_cluster_list, argc, argv, NULL, pos, 0, 0, &npos))
		return CLI_USAGE;
	if (!read_clusters(ctx, &l))
		return CLI_FAILED;
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < l.n; i++) {
			const struct cluster *c = &l.v[i];

			json_array_append_new(
			    a, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "name", c->name,
					 "context", c->context, "state", c->state, "max_stores",
					 (json_int_t)c->max_stores, "stores", (json_int_t)c->stores,
					 "created_at", c->created_at));
		}
		rc = cli_json_print(ctx, a);
	} else {
		static const char *const head[] = { "NAME", "CONTEXT", "STATE", "STORES" };
		struct cli_table t;

		cli_table_init(&t, 4, head);
		for (size_t i = 0; i < l.n; i++) {
			const struct cluster *c = &l.v[i];
			char n[48];
			const char *cells[4] = { c->name, c->context, c->state, n };

			snprintf(n, sizeof(n), "%ld/%ld", c->stores, c->max_stores);
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
	}
	cluster_list_free(&l);
	return rc;
}

/* Runs a mutation already built, or says why it was not. NULL with *rc
 * set when nothing was done. */
static PGresult *mutate(struct cli_ctx *ctx, const struct cli_command *cmd, bool built,
			struct db_req *r, const struct err *err, int *rc)
{
	*rc = CLI_FAILED;
	if (!built) {
		*rc = cli_request_refused(ctx, cmd, err);
		return NULL;
	}
	return cli_db_query(ctx, r);
}

static bool read_clusters(struct cli_ctx *ctx, struct cluster_list *l)
{
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;

	memset(l, 0, sizeof(*l));
	cluster_req_list(&r);
	res = cli_db_query(ctx, &r);
	if (!res)
		return false;
	if (!cluster_list_parse(res, l, &err)) {
		PQclear(res);
		cli_fail(ctx, err.msg);
		return false;
	}
	PQclear(res);
	return true;
}

/* 0 if no cluster is called name, 1 if one is, -1 after printing why it
 * is not known. */
static int cluster_exists(struct cli_ctx *ctx, const char *name)
{
	struct cluster_list l;
	int found = 0;

	if (!read_clusters(ctx, &l))
		return -1;
	for (size_t i = 0; i < l.n; i++)
		found |= strcmp(l.v[i].name, name) == 0;
	cluster_list_free(&l);
	return found;
}

/* Probes context as doctor does: true if opsdeck may provision there. If
 * not, says what is wrong; with force, true all the same. */
static bool probe_for_cluster(struct cli_ctx *ctx, const char *name, const char *context,
			      long timeout_ms, bool force)
{
	struct loop *loop = loop_new();
	struct kube_probe *p = cli_probe_context(loop, ctx->conf, context, timeout_ms);
	const struct kube_probe_finding *f;
	bool ok = kube_probe_level(p) != KUBE_PROBE_FAIL;
	size_t n;

	f = kube_probe_findings(p, &n);
	for (size_t i = 0; i < n; i++) {
		if (f[i].level == KUBE_PROBE_FAIL)
			fprintf(ctx->err, "opsdeck: context %s: %s\n", context, f[i].message);
	}
	if (!ok && force)
		fprintf(ctx->err, "opsdeck: adding cluster %s all the same (--force)\n", name);
	else if (!ok)
		fprintf(ctx->err,
			"opsdeck: cluster %s not added: opsdeck could not provision there "
			"(--force adds it all the same)\n",
			name);
	kube_probe_free(p);
	loop_free(loop);
	return ok || force;
}

static int cluster_add(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *context = NULL, *max_s = NULL, *timeout_s = NULL;
	bool force = false;
	const struct cli_opt opts[] = { { "context", &context, NULL, NULL, false },
					{ "max-stores", &max_s, NULL, NULL, false },
					{ "force", NULL, &force, NULL, false },
					{ "timeout", &timeout_s, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	long max = -1, timeout = KUBE_PROBE_TIMEOUT_MS / 1000;
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	int npos, exists;

	if (!cli_parse(ctx, &cmd_cluster_add, argc, argv, opts, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!context) /* the global --context */
		context = ctx->conf->context;
	if (!context)
		return cli_usage(ctx, &cmd_cluster_add,
				 "cluster add needs --context (a context of your kubeconfig)");
	if (max_s && !str_to_long(max_s, 0, 100000, &max))
		return cli_usage(ctx, &cmd_cluster_add,
				 "--max-stores takes a whole number from 0 to 100000");
	if (timeout_s && !str_to_long(timeout_s, 1, 300, &timeout))
		return cli_usage(ctx, &cmd_cluster_add, "--timeout takes seconds from 1 to 300");
	if (!cluster_req_add(&r, ctx->conf, pos[0], context, max, &err))
		return cli_request_refused(ctx, &cmd_cluster_add, &err);
	exists = cluster_exists(ctx, pos[0]);
	if (exists != 0) {
		db_req_free(&r);
		if (exists < 0)
			return CLI_FAILED;
		return cli_failf(ctx, "cluster \"%s\" already exists", pos[0]);
	}
	if (!probe_for_cluster(ctx, pos[0], context, timeout * 1000, force)) {
		db_req_free(&r);
		return CLI_FAILED;
	}
	res = cli_db_query(ctx, &r);
	if (!res)
		return CLI_FAILED;
	fprintf(ctx->out, "added cluster %s (context %s)\n", db_val(res, 0, 0), context);
	PQclear(res);
	return CLI_OK;
}

static int cluster_set_state(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[2];
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	int npos, rc;

	if (!cli_parse(ctx, &cmd_cluster_set_state, argc, argv, NULL, pos, 2, 2, &npos))
		return CLI_USAGE;
	res = mutate(ctx, &cmd_cluster_set_state,
		     cluster_req_set_state(&r, ctx->conf, pos[0], pos[1], &err), &r, &err, &rc);
	if (!res)
		return rc;
	fprintf(ctx->out, "cluster %s is %s\n", pos[0], pos[1]);
	PQclear(res);
	return CLI_OK;
}

/* ---- listing ---- */

static json_t *store_json(const struct store *s)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s,"
		      " s:I}",
		      "id", s->id, "name", s->name, "project", s->project, "customer", s->customer,
		      "offering", s->offering, "plan", s->plan, "cluster", s->cluster, "namespace",
		      s->namespace, "status", s->status, "created_by", s->created_by, "replicas",
		      (json_int_t)s->replicas, "created_at", s->created_at, "updated_at",
		      s->updated_at, "kind", s->kind, "age_seconds", (json_int_t)s->age_s);

	json_object_set_new(o, "url", s->url[0] ? json_string(s->url) : json_null());
	json_object_set_new(o, "error", s->error[0] ? json_string(s->error) : json_null());
	json_object_set_new(o, "ready_at", s->ready_at[0] ? json_string(s->ready_at) : json_null());
	if (s->job_id)
		json_object_set_new(o, "job",
				    json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "id",
					      (json_int_t)s->job_id, "kind", s->job_kind, "state",
					      s->job_state, "step", s->job_step, "attempts",
					      (json_int_t)s->job_attempts, "step_age_seconds",
					      (json_int_t)s->step_age_s));
	else
		json_object_set_new(o, "job", json_null());
	return o;
}

/* "Provisioning (provision apply 12s)" while a job works on it or waits. */
static void status_text(const struct store *s, char *buf, size_t bufsz)
{
	char progress[160];

	store_progress(s, 0, progress, sizeof(progress));
	if (progress[0])
		snprintf(buf, bufsz, "%s (%s)", s->status, progress);
	else
		snprintf(buf, bufsz, "%s", s->status);
}

/* The list as cli_json_print would print the array of store_json objects,
 * written a store at a time: at 10,000 stores, a whole tree of them costs
 * more than the query. */
static int print_stores_json(struct cli_ctx *ctx, const struct store_list *l)
{
	bool ok = fputs(l->n ? "[\n" : "[]\n", ctx->out) != EOF;

	for (size_t i = 0; ok && i < l->n; i++) {
		json_t *o = store_json(&l->v[i]);
		char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		json_decref(o);
		ok = text != NULL && fputs("  ", ctx->out) != EOF;
		/* One level deeper than alone: every line indented by two more. */
		for (const char *p = text; ok && *p;) {
			size_t n = strcspn(p, "\n");

			ok = fwrite(p, 1, n, ctx->out) == n &&
			     (!p[n] || fputs("\n  ", ctx->out) != EOF);
			p += n + (p[n] != '\0');
		}
		free(text);
		if (ok)
			ok = fputs(i + 1 < l->n ? ",\n" : "\n]\n", ctx->out) != EOF;
	}
	return ok ? CLI_OK : cli_fail(ctx, "cannot write the output");
}

static int store_list(struct cli_ctx *ctx, int argc, char **argv)
{
	bool all = false;
	const char *project = NULL;
	const struct cli_opt opts[] = { { "all", NULL, &all, NULL, false },
					{ "project", &project, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	struct store_list l;
	struct db_req r;
	char slug[64];
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_store_list, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	if (project && !cli_project_slug(ctx, project, slug, sizeof(slug)))
		return CLI_FAILED;
	store_req_list(&r, project ? slug : NULL, all);
	if (!cli_store_list(ctx, &r, &l))
		return CLI_FAILED;
	if (ctx->json) {
		rc = print_stores_json(ctx, &l);
	} else {
		static const char *const head[] = { "ID",	    "NAME",    "PROJECT",
						    "OFFERING", "CLUSTER", "STATUS",
						    "REPLICAS", "AGE",	   "URL" };
		struct cli_table t;

		cli_table_init(&t, 9, head);
		for (size_t i = 0; i < l.n; i++) {
			const struct store *s = &l.v[i];
			char off[160], st[200], rep[24], age[24];
			const char *cells[9] = { s->id, s->name, s->project, off, s->cluster,
						 st, rep, age, s->url[0] ? s->url : "-" };

			snprintf(off, sizeof(off), "%s/%s", s->offering, s->plan);
			status_text(s, st, sizeof(st));
			snprintf(rep, sizeof(rep), "%ld", s->replicas);
			str_age(s->age_s, age, sizeof(age));
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
	}
	store_list_free(&l);
	return rc;
}

/* ---- show ---- */

static void print_history(struct cli_ctx *ctx, const PGresult *res)
{
	long last = 0;

	for (int i = 0; i < PQntuples(res); i++) {
		long id = db_long(res, i, 0);

		if (id != last) {
			fprintf(ctx->out, "  job %ld %s: %s (attempt %s of %s), created %s%s%s\n",
				id, db_val(res, i, 1), db_val(res, i, 2), db_val(res, i, 3),
				db_val(res, i, 4), db_val(res, i, 5),
				*db_val(res, i, 7) ? "; last error: " : "", db_val(res, i, 7));
			last = id;
		}
		if (!PQgetisnull(res, i, 8))
			fprintf(ctx->out, "    %-10s #%s %s -> %s %s%s%s\n", db_val(res, i, 8),
				db_val(res, i, 14), db_val(res, i, 9),
				*db_val(res, i, 10) ? db_val(res, i, 10) : "(running)",
				db_val(res, i, 11), *db_val(res, i, 12) ? ": " : "",
				db_val(res, i, 12));
	}
}

static json_t *history_json(const PGresult *res)
{
	json_t *jobs = json_array(), *cur = NULL;
	long last = 0;

	for (int i = 0; i < PQntuples(res); i++) {
		long id = db_long(res, i, 0);

		if (id != last) {
			cur =
			    json_pack("{s:I, s:s, s:s, s:I, s:I, s:s, s:[]}", "id", (json_int_t)id,
				      "kind", db_val(res, i, 1), "state", db_val(res, i, 2),
				      "attempts", (json_int_t)db_long(res, i, 3), "max_attempts",
				      (json_int_t)db_long(res, i, 4), "created_at",
				      db_val(res, i, 5), "steps");
			json_object_set_new(cur, "last_error",
					    *db_val(res, i, 7) ? json_string(db_val(res, i, 7))
							       : json_null());
			json_array_append_new(jobs, cur);
			last = id;
		}
		if (!PQgetisnull(res, i, 8))
			json_array_append_new(
			    json_object_get(cur, "steps"),
			    json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "step",
				      db_val(res, i, 8), "attempt", (json_int_t)db_long(res, i, 14),
				      "started_at", db_val(res, i, 9), "finished_at",
				      db_val(res, i, 10), "outcome", db_val(res, i, 11), "message",
				      db_val(res, i, 12), "runner", db_val(res, i, 13)));
	}
	return jobs;
}

/* The store of id as `store show` prints it, with its recent jobs. */
static int show_store(struct cli_ctx *ctx, const char *id)
{
	struct store_list l;
	struct db_req r;
	PGresult *hist;
	int rc = CLI_OK;
	char st[200], age[24];

	store_req_show(&r, id);
	if (!cli_store_list(ctx, &r, &l))
		return CLI_FAILED;
	store_req_history(&r, id, 20);
	hist = cli_db_query(ctx, &r);
	if (!hist) {
		store_list_free(&l);
		return CLI_FAILED;
	}
	if (ctx->json) {
		json_t *o = store_json(&l.v[0]);

		json_object_set_new(o, "jobs", history_json(hist));
		rc = cli_json_print(ctx, o);
	} else {
		const struct store *s = &l.v[0];

		status_text(s, st, sizeof(st));
		str_age(s->age_s, age, sizeof(age));
		fprintf(ctx->out,
			"store %s (%s)\n  project   %s (customer %s)\n  offering  %s, plan %s\n"
			"  cluster   %s, namespace %s\n  status    %s\n  replicas  %ld\n"
			"  url       %s\n"
			"  ordered   %s by %s (%s ago)\n",
			s->id, s->name, s->project, s->customer, s->offering, s->plan, s->cluster,
			s->namespace, st, s->replicas, s->url[0] ? s->url : "-", s->created_at,
			s->created_by, age);
		if (s->error[0])
			fprintf(ctx->out, "  error     %s\n", s->error);
		fprintf(ctx->out, "jobs (newest first):\n");
		print_history(ctx, hist);
	}
	PQclear(hist);
	store_list_free(&l);
	return rc;
}

static int store_show(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	const struct store *s;
	struct store_list l;
	char id[STORE_ID_LEN + 1];
	int npos;

	if (!cli_parse(ctx, &cmd_store_show, argc, argv, NULL, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!cli_store_ref(ctx, pos[0], &l, &s))
		return CLI_FAILED;
	str_copy(id, sizeof(id), s->id);
	store_list_free(&l);
	return show_store(ctx, id);
}

/* ---- waiting for a job ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Follows job until it ends; progress on stderr, the outcome on stdout.
 * CLI_OK if it succeeded. */
static int wait_job(struct cli_ctx *ctx, long job, long timeout_s)
{
	struct err err = { { 0 } };
	PGconn *pg = cli_db_open(ctx, true);
	char last_step[64] = "", state[32] = "";
	time_t start = time(NULL), until = start + timeout_s;
	bool warned = false;
	int rc = CLI_FAILED;

	if (!pg)
		return CLI_FAILED;
	for (;;) {
		struct db_req r;
		PGresult *res;

		job_req_state(&r, job);
		res = db_req_exec(pg, &r, &err);
		db_req_free(&r);
		if (!res) {
			cli_fail(ctx, err.msg);
			break;
		}
		str_copy(state, sizeof(state), db_val(res, 0, 0));
		if (strcmp(db_val(res, 0, 1), last_step) != 0 && *db_val(res, 0, 1)) {
			str_copy(last_step, sizeof(last_step), db_val(res, 0, 1));
			fprintf(ctx->err, "job %ld: %s\n", job, last_step);
		}
		if (strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0 ||
		    strcmp(state, "cancelled") == 0) {
			/* Under --json, stdout holds the store alone. */
			fprintf(ctx->json ? ctx->err : ctx->out,
				"job %ld %s; the store is %s%s%s%s%s\n", job, state,
				db_val(res, 0, 4), *db_val(res, 0, 6) ? " at " : "",
				db_val(res, 0, 6), *db_val(res, 0, 5) ? ": " : "",
				db_val(res, 0, 5));
			rc = strcmp(state, "succeeded") == 0 ? CLI_OK : CLI_FAILED;
			PQclear(res);
			break;
		}
		if (!warned && strcmp(state, "queued") == 0 && db_long(res, 0, 3) == 0 &&
		    time(NULL) - start > 10) {
			fprintf(ctx->err,
				"job %ld is still queued: is a runner going (`opsdeck worker`, or "
				"a console)?\n",
				job);
			warned = true;
		}
		PQclear(res);
		if (time(NULL) >= until) {
			fprintf(ctx->err,
				"opsdeck: job %ld is still %s after %lds (step %s); not waiting "
				"longer\n",
				job, state, timeout_s, last_step[0] ? last_step : "none yet");
			break;
		}
		sleep_ms(500);
	}
	db_close(pg);
	return rc;
}

/* --wait and --timeout, shared by every operation. */
struct wait_opts {
	bool wait;
	const char *timeout;
};

static bool wait_timeout(struct cli_ctx *ctx, const struct cli_command *cmd,
			 const struct wait_opts *w, long *timeout_s)
{
	*timeout_s = ctx->conf->provision_timeout_s + 60;
	if (w->timeout && !str_to_long(w->timeout, 1, 86400, timeout_s)) {
		cli_usage(ctx, cmd, "--timeout takes seconds from 1 to 86400");
		return false;
	}
	return true;
}

/* What was asked (on stderr under --json), the wait if asked for, then,
 * under --json, the store as `store show --json` prints it. */
static int after_request(struct cli_ctx *ctx, PGresult *res, int col, const char *what,
			 const char *id, const char *name, const struct wait_opts *w,
			 long timeout_s)
{
	long job = PQgetisnull(res, 0, col) ? 0 : db_long(res, 0, col);
	FILE *out = ctx->json ? ctx->err : ctx->out;
	int rc = CLI_OK;

	if (job)
		fprintf(out, "%s %s (%s, job %ld)\n", what, id, name, job);
	else
		fprintf(out, "%s %s (%s)\n", what, id, name);
	PQclear(res);
	if (w->wait && job)
		rc = wait_job(ctx, job, timeout_s);
	if (ctx->json) {
		int shown = show_store(ctx, id);

		if (rc == CLI_OK)
			rc = shown;
	}
	return rc;
}

/* ---- ordering and operations ---- */

static int store_create(struct cli_ctx *ctx, int argc, char **argv)
{
	struct wait_opts w = { 0 };
	const char *cluster = NULL;
	const struct cli_opt opts[] = { { "cluster", &cluster, NULL, NULL, false },
					{ "wait", NULL, &w.wait, NULL, false },
					{ "timeout", &w.timeout, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[4];
	struct store_order o;
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	long timeout_s;
	char id[STORE_ID_LEN + 1], project[64];
	int npos, rc;

	if (!cli_parse(ctx, &cmd_store_create, argc, argv, opts, pos, 4, 4, &npos))
		return CLI_USAGE;
	if (!wait_timeout(ctx, &cmd_store_create, &w, &timeout_s))
		return CLI_USAGE;
	o = (struct store_order){ .project = pos[0], .offering = pos[1], .plan = pos[2],
				  .name = pos[3], .cluster = cluster };
	/* Read-only mode refuses before anything is looked up. */
	if (!db_mutation_allowed(ctx->conf, "order a store", &err))
		return cli_fail(ctx, err.msg);
	if (!cli_project_slug(ctx, pos[0], project, sizeof(project)))
		return CLI_FAILED;
	if (cluster && (rc = cluster_exists(ctx, cluster)) != 1)
		return rc < 0 ? CLI_FAILED : cli_not_found(ctx, "cluster", cluster);
	o.project = project;
	res = mutate(ctx, &cmd_store_create, store_req_order(&r, ctx->conf, &o, &err), &r, &err,
		     &rc);
	if (!res)
		return rc;
	str_copy(id, sizeof(id), db_val(res, 0, 0));
	return after_request(ctx, res, 2, "ordered store", id, pos[3], &w, timeout_s);
}

/* op on the store ref names. */
static int operate(struct cli_ctx *ctx, const struct cli_command *cmd, const char *ref,
		   enum store_op op, long replicas, const struct wait_opts *w, long timeout_s)
{
	struct err err = { { 0 } };
	struct db_req r;
	struct store_list l;
	const struct store *s;
	PGresult *res;
	char what[40], id[STORE_ID_LEN + 1], name[64];
	int rc;

	/* Read-only mode refuses before the store is looked for. */
	snprintf(what, sizeof(what), "%s a store", store_op_name(op));
	if (!db_mutation_allowed(ctx->conf, what, &err))
		return cli_fail(ctx, err.msg);
	if (!cli_store_ref(ctx, ref, &l, &s))
		return CLI_FAILED;
	str_copy(id, sizeof(id), s->id);
	str_copy(name, sizeof(name), s->name);
	store_list_free(&l);
	res = mutate(ctx, cmd, store_req_operate(&r, ctx->conf, id, op, replicas, &err), &r, &err,
		     &rc);
	if (!res)
		return rc;
	snprintf(what, sizeof(what), "%s: store", store_op_name(op));
	return after_request(ctx, res, 0, what, id, name, w, timeout_s);
}

static int store_scale(struct cli_ctx *ctx, int argc, char **argv)
{
	struct wait_opts w = { 0 };
	const struct cli_opt opts[] = { { "wait", NULL, &w.wait, NULL, false },
					{ "timeout", &w.timeout, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[2];
	long replicas, timeout_s;
	int npos;

	if (!cli_parse(ctx, &cmd_store_scale, argc, argv, opts, pos, 2, 2, &npos))
		return CLI_USAGE;
	if (!str_to_long(pos[1], 1, STORE_MAX_REPLICAS, &replicas))
		return cli_usage(ctx, &cmd_store_scale, "REPLICAS is a whole number from 1 to %d",
				 STORE_MAX_REPLICAS);
	if (!wait_timeout(ctx, &cmd_store_scale, &w, &timeout_s))
		return CLI_USAGE;
	return operate(ctx, &cmd_store_scale, pos[0], STORE_OP_SCALE, replicas, &w, timeout_s);
}

static int store_simple_op(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const struct cli_command *cmd;
		enum store_op op;
	} ops[] = {
		{ &cmd_store_pause, STORE_OP_PAUSE },
		{ &cmd_store_resume, STORE_OP_RESUME },
		{ &cmd_store_retry, STORE_OP_RETRY },
		{ &cmd_store_delete, STORE_OP_DELETE },
	};
	struct wait_opts w = { 0 };
	const struct cli_opt opts[] = { { "wait", NULL, &w.wait, NULL, false },
					{ "timeout", &w.timeout, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	long timeout_s;
	int npos;

	for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
		if (strcmp(ops[i].cmd->verb, argv[0]) != 0)
			continue;
		if (!cli_parse(ctx, ops[i].cmd, argc, argv, opts, pos, 1, 1, &npos))
			return CLI_USAGE;
		if (!wait_timeout(ctx, ops[i].cmd, &w, &timeout_s))
			return CLI_USAGE;
		return operate(ctx, ops[i].cmd, pos[0], ops[i].op, 0, &w, timeout_s);
	}
	return CLI_USAGE;
}

/* ---- reconcile ---- */

#define RECONCILE_MAX_NAMED 64

struct reconcile_cli {
	struct cli_ctx *ctx;
	struct loop *loop;
	int rc;
	struct orphan_env env;
	struct reconcile_report rep; /* a copy, to note what was deleted */
	long *events;		     /* per finding: the audit event of its deletion */
	bool delete_all;
	const char *named[RECONCILE_MAX_NAMED]; /* --delete-orphan [CLUSTER/]NAMESPACE */
	size_t nnamed;
	size_t *targets; /* findings to delete, in order */
	size_t ntargets, ti;
	struct orphan_delete *del;
	char refused[900]; /* why the names given cannot be deleted */
	struct buf failed; /* deletions that did not happen, a line each */
};

static void reconcile_print(struct reconcile_cli *rc)
{
	struct cli_ctx *ctx = rc->ctx;
	const struct reconcile_report *rep = &rc->rep;
	int printed;

	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < rep->n; i++) {
			const struct reconcile_finding *f = &rep->v[i];
			json_t *o =
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "kind", f->kind, "cluster",
				      f->cluster, "namespace", f->namespace, "store", f->store,
				      "reason", f->reason, "acted", f->acted);

			if (rc->events[i] > 0)
				json_object_set_new(o, "event", json_integer(rc->events[i]));
			json_array_append_new(a, o);
		}
		printed =
		    cli_json_print(ctx, json_pack("{s:I, s:o}", "stores_checked",
						  (json_int_t)rep->stores_checked, "findings", a));
		if (printed != CLI_OK)
			rc->rc = printed;
		return;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct reconcile_finding *f = &rep->v[i];

		fprintf(ctx->out, "%-11s %s%s%s%s%s: %s%s\n", f->kind, f->cluster,
			f->namespace[0] ? " " : "", f->namespace, f->store[0] ? " store " : "",
			f->store, f->reason, reconcile_outcome(f));
	}
	fprintf(ctx->out, "checked %zu store(s): %zu finding(s)\n", rep->stores_checked, rep->n);
}

/* Prints the findings (then why nothing was deleted, if so) and leaves
 * the loop. */
static void reconcile_end(struct reconcile_cli *rc)
{
	reconcile_print(rc);
	/* After the findings, so the last lines say what went wrong. */
	fflush(rc->ctx->out);
	if (rc->refused[0])
		fprintf(rc->ctx->err, "opsdeck: %s\n", rc->refused);
	fputs(buf_str(&rc->failed), rc->ctx->err);
	loop_stop(rc->loop);
}

static void delete_next(struct reconcile_cli *rc);

/* A deletion that was asked for and did not happen fails the command. */
static void not_deleted(struct reconcile_cli *rc, struct reconcile_finding *f, const char *why)
{
	char was[sizeof(f->reason)];

	str_copy(was, sizeof(was), f->reason);
	snprintf(f->reason, sizeof(f->reason), "%.150s; not deleted: %.400s", was, why);
	buf_printf(&rc->failed, "opsdeck: %s\n", why);
	rc->rc = CLI_FAILED;
}

static void orphan_deleted(const struct orphan_result *res, void *ud)
{
	struct reconcile_cli *rc = ud;
	size_t i = rc->targets[rc->ti];
	struct reconcile_finding *f = &rc->rep.v[i];

	rc->events[i] = res->event;
	if (res->ok)
		f->acted = true;
	else
		not_deleted(rc, f, res->message);
	orphan_delete_free(rc->del);
	rc->del = NULL;
	rc->ti++;
	delete_next(rc);
}

static void delete_next(struct reconcile_cli *rc)
{
	struct err err = { { 0 } };

	for (; rc->ti < rc->ntargets; rc->ti++) {
		struct reconcile_finding *f = &rc->rep.v[rc->targets[rc->ti]];

		rc->del = orphan_delete_start(&rc->env, f->cluster, f->namespace, orphan_deleted,
					      rc, &err);
		if (rc->del)
			return;
		not_deleted(rc, f, err.msg);
		err_clear(&err);
	}
	reconcile_end(rc);
}

/* The finding a --delete-orphan word names, or false after saying why
 * (nothing is deleted then). */
static bool find_named_orphan(struct reconcile_cli *rc, const char *word, size_t *out)
{
	const struct reconcile_report *rep = &rc->rep;
	const char *slash = strchr(word, '/');
	const char *ns = slash ? slash + 1 : word;
	size_t clen = slash ? (size_t)(slash - word) : 0, found = 0;
	struct buf all = BUF_INIT, where = BUF_INIT;
	const struct reconcile_finding *other = NULL;
	char shown[CLI_SHOWN_SIZE];

	for (size_t i = 0; i < rep->n; i++) {
		const struct reconcile_finding *f = &rep->v[i];

		if (strcmp(f->namespace, ns) != 0 ||
		    (slash &&
		     (strlen(f->cluster) != clen || strncmp(f->cluster, word, clen) != 0))) {
			if (strcmp(f->kind, "orphan") == 0)
				buf_printf(&all, "%s%s/%s", all.len ? ", " : "", f->cluster,
					   f->namespace);
			continue;
		}
		if (strcmp(f->kind, "orphan") != 0) {
			other = f;
			continue;
		}
		buf_printf(&where, "%s%s", where.len ? ", " : "", f->cluster);
		*out = i;
		found++;
	}
	cli_shown(word, shown);
	if (found > 1)
		snprintf(rc->refused, sizeof(rc->refused),
			 "namespace %s is an orphan on several clusters (%.200s): name one as "
			 "CLUSTER/%s; nothing deleted",
			 ns, buf_str(&where), ns);
	else if (found == 0 && other)
		snprintf(rc->refused, sizeof(rc->refused),
			 "namespace %s on cluster %s is not an orphan: the pass reports it as %s "
			 "(%.200s); nothing deleted",
			 other->namespace, other->cluster, other->kind, other->reason);
	else if (found == 0)
		snprintf(rc->refused, sizeof(rc->refused),
			 "'%s' is not an orphan namespace (a live store uses it, or no opsdeck "
			 "namespace has that name); orphans found: %.400s; nothing deleted",
			 shown, all.len ? buf_str(&all) : "none");
	buf_free(&all);
	buf_free(&where);
	return found == 1;
}

/* The findings to delete: every orphan, or the named ones; false (nothing
 * deleted) if a name is not an orphan. */
static bool pick_targets(struct reconcile_cli *rc)
{
	const struct reconcile_report *rep = &rc->rep;
	size_t i;

	rc->targets = xcalloc(rep->n + rc->nnamed + 1, sizeof(*rc->targets));
	if (rc->delete_all) {
		for (i = 0; i < rep->n; i++) {
			if (strcmp(rep->v[i].kind, "orphan") == 0)
				rc->targets[rc->ntargets++] = i;
		}
		return true;
	}
	for (size_t k = 0; k < rc->nnamed; k++) {
		bool seen = false;

		if (!find_named_orphan(rc, rc->named[k], &i))
			return false;
		for (size_t t = 0; t < rc->ntargets; t++)
			seen = seen || rc->targets[t] == i;
		if (!seen) /* named twice: deleted once */
			rc->targets[rc->ntargets++] = i;
	}
	return true;
}

static void reconcile_report(const struct reconcile_report *rep, void *ud)
{
	struct reconcile_cli *rc = ud;

	if (rep->error[0]) {
		rc->rc = cli_fail(rc->ctx, rep->error);
		loop_stop(rc->loop);
		return;
	}
	rc->rc = CLI_OK;
	if (rep->problem[0]) {
		buf_printf(&rc->failed, "opsdeck: %s\n", rep->problem);
		rc->rc = CLI_FAILED;
	}
	reconcile_report_copy(&rc->rep, rep);
	rc->events = xcalloc(rep->n + 1, sizeof(*rc->events));
	if (!pick_targets(rc)) {
		rc->rc = CLI_FAILED;
		reconcile_end(rc);
		return;
	}
	rc->ti = 0;
	delete_next(rc);
}

/* [CLUSTER/]NAMESPACE, each a DNS-1123 label. */
static bool valid_named(struct cli_ctx *ctx, const char *word)
{
	const char *slash = strchr(word, '/');
	char cluster[64], shown[CLI_SHOWN_SIZE];
	size_t clen = slash ? (size_t)(slash - word) : 0;

	if (slash && clen > 0 && clen < sizeof(cluster)) {
		memcpy(cluster, word, clen);
		cluster[clen] = '\0';
	}
	if ((!slash || (clen > 0 && clen < sizeof(cluster) && db_valid_dns_label(cluster))) &&
	    kube_valid_namespace(slash ? slash + 1 : word))
		return true;
	cli_usage(ctx, &cmd_store_reconcile,
		  "--delete-orphan takes a namespace name or CLUSTER/NAMESPACE, not '%s'",
		  cli_shown(word, shown));
	return false;
}

static int store_reconcile(struct cli_ctx *ctx, int argc, char **argv)
{
	struct reconcile_cli rc = { .ctx = ctx, .rc = CLI_FAILED, .failed = BUF_INIT };
	struct cli_values named = { .v = rc.named, .max = RECONCILE_MAX_NAMED };
	const struct cli_opt opts[] = { { "delete-orphans", NULL, &rc.delete_all, NULL, false },
					{ "delete-orphan", NULL, NULL, &named, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	struct reconcile_opts ro = { 0 };
	struct err err = { { 0 } };
	struct db_conn *db;
	struct kube_registry *kc;
	struct reconcile *pass;
	int npos;

	if (!cli_parse(ctx, &cmd_store_reconcile, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	rc.nnamed = named.n;
	if (rc.delete_all && rc.nnamed > 0) {
		return cli_usage(ctx, &cmd_store_reconcile,
				 "--delete-orphans deletes every orphan; --delete-orphan names "
				 "some: give one or the other");
	}
	for (size_t i = 0; i < rc.nnamed; i++) {
		if (!valid_named(ctx, rc.named[i]))
			return CLI_USAGE;
	}
	if (!cli_kube_context_known(ctx))
		return CLI_FAILED;
	if ((rc.delete_all || rc.nnamed > 0) &&
	    !db_mutation_allowed(ctx->conf, "delete orphan namespaces", &err))
		return cli_fail(ctx, err.msg);
	/* Marking drift is a mutation. */
	if (!db_mutation_allowed(ctx->conf, "reconcile stores", &err))
		return cli_fail(ctx, err.msg);
	rc.loop = loop_new();
	db = db_conn_new(rc.loop, ctx->conf->database, NULL);
	kc = kube_registry_acquire(rc.loop, ctx->conf->kubeconfig);
	ro.loop = rc.loop;
	ro.db = db;
	ro.conf = ctx->conf;
	ro.actor = ctx->conf->operator;
	ro.http_for = kube_registry_http_for;
	ro.http_ud = kc;
	rc.env = (struct orphan_env){ .loop = rc.loop,
				      .db = db,
				      .conf = ctx->conf,
				      .http_for = kube_registry_http_for,
				      .http_ud = kc };
	pass = reconcile_start(&ro, reconcile_report, &rc);
	loop_run(rc.loop);
	orphan_delete_free(rc.del);
	reconcile_free(pass);
	reconcile_report_clear(&rc.rep);
	buf_free(&rc.failed);
	free(rc.events);
	free(rc.targets);
	kube_registry_release(kc);
	db_conn_free(db);
	loop_free(rc.loop);
	return rc.rc;
}
