#include "config.h"

#include "cli/cli_project.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "db/customers.h"
#include "db/db.h"
#include "db/projects.h"

static int customer_list(struct cli_ctx *ctx, int argc, char **argv);
static int customer_create(struct cli_ctx *ctx, int argc, char **argv);
static int project_list(struct cli_ctx *ctx, int argc, char **argv);
static int project_create(struct cli_ctx *ctx, int argc, char **argv);
static int project_rename(struct cli_ctx *ctx, int argc, char **argv);
static int project_set_quota(struct cli_ctx *ctx, int argc, char **argv);
static int project_archive(struct cli_ctx *ctx, int argc, char **argv);
static int project_set(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_customer_list = {
	.noun = "customer",
	.verb = "list",
	.usage = "[--all] [--json]",
	.summary = "list customers (--all: with archived ones)",
	.run = customer_list,
};
static const struct cli_command cmd_customer_create = {
	.noun = "customer",
	.verb = "create",
	.usage = "NAME [--slug SLUG]",
	.summary = "create a customer",
	.run = customer_create,
};
static const struct cli_command cmd_project_list = {
	.noun = "project",
	.verb = "list",
	.usage = "[--customer CUSTOMER] [--all] [--json]",
	.summary = "list projects with their quota usage",
	.run = project_list,
};
static const struct cli_command cmd_project_create = {
	.noun = "project",
	.verb = "create",
	.usage = "CUSTOMER NAME [--slug SLUG] [--description TEXT] [--end-date YYYY-MM-DD] "
		 "[--stores N] [--cpu CORES] [--memory SIZE]",
	.summary = "create a project for a customer",
	.run = project_create,
};
static const struct cli_command cmd_project_rename = {
	.noun = "project",
	.verb = "rename",
	.usage = "PROJECT NAME",
	.summary = "give a project a new name (its slug stays)",
	.run = project_rename,
};
static const struct cli_command cmd_project_set_quota = {
	.noun = "project",
	.verb = "set-quota",
	.usage = "PROJECT [--stores N] [--cpu CORES] [--memory SIZE]",
	.summary = "change a project's quotas (never below its usage)",
	.run = project_set_quota,
};
static const struct cli_command cmd_project_set = {
	.noun = "project",
	.verb = "set",
	.usage = "PROJECT [--end-date YYYY-MM-DD | --no-end-date] [--description TEXT]",
	.summary = "change a project's end date or description",
	.run = project_set,
};
static const struct cli_command cmd_project_archive = {
	.noun = "project",
	.verb = "archive",
	.usage = "PROJECT",
	.summary = "archive a project that has no live store",
	.run = project_archive,
};

const struct cli_command *const cli_project_commands[] = {
	&cmd_customer_list, &cmd_customer_create, &cmd_project_list,    &cmd_project_create,
	&cmd_project_rename, &cmd_project_set_quota, &cmd_project_set,	&cmd_project_archive,
	NULL,
};

/* A mutation: the request is built (and refused) before connecting. */
static int mutate(struct cli_ctx *ctx, struct db_req *r, PGresult **out)
{
	PGresult *res = cli_db_query(ctx, r);

	if (!res)
		return CLI_FAILED;
	if (out)
		*out = res;
	else
		PQclear(res);
	return CLI_OK;
}

/* ---- naming customers and projects ---- */

/* Runs the lookup r (project_req_find or customer_req_find) and applies
 * the rule with pick (project_find_slug or customer_find_slug). */
static bool slug_named(struct cli_ctx *ctx, struct db_req *r,
		       bool (*pick)(const PGresult *res, const char *ref, char *slug, size_t slugsz,
				    struct err *err),
		       const char *ref, char *slug, size_t slugsz)
{
	struct err err = { { 0 } };
	PGresult *res = cli_db_query(ctx, r);
	bool ok;

	if (!res)
		return false;
	ok = pick(res, ref, slug, slugsz, &err);
	PQclear(res);
	if (!ok)
		cli_fail(ctx, err.msg);
	return ok;
}

bool cli_project_slug(struct cli_ctx *ctx, const char *ref, char *slug, size_t slugsz)
{
	struct db_req r;

	project_req_find(&r, ref);
	return slug_named(ctx, &r, project_find_slug, ref, slug, slugsz);
}

bool cli_customer_slug(struct cli_ctx *ctx, const char *ref, char *slug, size_t slugsz)
{
	struct db_req r;

	customer_req_find(&r, ref);
	return slug_named(ctx, &r, customer_find_slug, ref, slug, slugsz);
}

/* The project a mutation is about. Read-only mode refuses it before the
 * database is asked anything. */
static bool project_to_change(struct cli_ctx *ctx, const char *what, const char *ref, char *slug,
			      size_t slugsz)
{
	struct err err = { { 0 } };

	if (!db_mutation_allowed(ctx->conf, what, &err)) {
		cli_fail(ctx, err.msg);
		return false;
	}
	return cli_project_slug(ctx, ref, slug, slugsz);
}

/* Sends the change to project slug that a request builder made (built) or
 * refused (err), and says "DONE project SLUG" once it is made. */
static int change_project(struct cli_ctx *ctx, const struct cli_command *cmd, bool built,
			  struct db_req *r, const struct err *err, const char *done,
			  const char *slug)
{
	int rc;

	if (!built)
		return cli_request_refused(ctx, cmd, err);
	rc = mutate(ctx, r, NULL);
	if (rc == CLI_OK)
		fprintf(ctx->out, "%s project %s\n", done, slug);
	return rc;
}

/* ---- customers ---- */

static int customer_list(struct cli_ctx *ctx, int argc, char **argv)
{
	bool all = false;
	const struct cli_opt opts[] = { { "all", NULL, &all, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	struct customer_list l;
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_customer_list, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	customer_req_list(&r, all);
	res = cli_db_query(ctx, &r);
	if (!res)
		return CLI_FAILED;
	if (!customer_list_parse(res, &l, &err)) {
		PQclear(res);
		return cli_fail(ctx, err.msg);
	}
	PQclear(res);
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < l.n; i++) {
			const struct customer *c = &l.v[i];

			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:s, s:b}", "uuid",
							   c->uuid, "slug", c->slug, "name",
							   c->name, "projects",
							   (json_int_t)c->projects, "created_at",
							   c->created_at, "archived", c->archived));
		}
		rc = cli_json_print(ctx, a);
	} else {
		static const char *const head[] = { "SLUG", "NAME", "PROJECTS", "CREATED",
						    "STATE" };
		struct cli_table t;

		cli_table_init(&t, 5, head);
		for (size_t i = 0; i < l.n; i++) {
			const struct customer *c = &l.v[i];
			char n[24];
			const char *cells[5] = { c->slug, c->name, n, c->created_at,
						 c->archived ? "archived" : "active" };

			snprintf(n, sizeof(n), "%ld", c->projects);
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
	}
	customer_list_free(&l);
	return rc;
}

static int customer_create(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *slug = NULL;
	const struct cli_opt opts[] = { { "slug", &slug, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	int npos, rc;

	if (!cli_parse(ctx, &cmd_customer_create, argc, argv, opts, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!customer_req_create(&r, ctx->conf, pos[0], slug, &err))
		return cli_request_refused(ctx, &cmd_customer_create, &err);
	rc = mutate(ctx, &r, &res);
	if (rc != CLI_OK)
		return rc;
	fprintf(ctx->out, "created customer %s (%s)\n", db_val(res, 0, 1), db_val(res, 0, 0));
	PQclear(res);
	return CLI_OK;
}

/* ---- projects ---- */

/* Quota options as text; -1 for those not given. */
static bool parse_quotas(struct cli_ctx *ctx, const struct cli_command *cmd, const char *stores,
			 const char *cpu, const char *memory, long *qs, long *qc, long *qm)
{
	struct err err = { { 0 } };

	*qs = *qc = *qm = -1;
	if (stores && !str_to_long(stores, 0, PROJECT_MAX_QUOTA_STORES, qs)) {
		cli_usage(ctx, cmd, "--stores takes a whole number from 0 to %d",
			  PROJECT_MAX_QUOTA_STORES);
		return false;
	}
	if ((cpu && !db_parse_cpu(cpu, qc, &err)) ||
	    (memory && !db_parse_memory(memory, qm, &err))) {
		cli_usage(ctx, cmd, "%s", err.msg);
		return false;
	}
	return true;
}

static json_t *project_json(const struct project *p)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:s, s:b}",
	    "uuid", p->uuid, "customer", p->customer_slug, "slug", p->slug, "name", p->name,
	    "description", p->description, "end_date",
	    p->end_date[0] ? json_string(p->end_date) : json_null(), "quota", "stores",
	    (json_int_t)p->quota_stores, "cpu_millis", (json_int_t)p->quota_cpu_millis,
	    "memory_mib", (json_int_t)p->quota_memory_mib, "used", "stores",
	    (json_int_t)p->stores_used, "cpu_millis", (json_int_t)p->cpu_used_millis, "memory_mib",
	    (json_int_t)p->memory_used_mib, "created_at", p->created_at, "archived", p->archived);
}

static int project_list(struct cli_ctx *ctx, int argc, char **argv)
{
	bool all = false;
	const char *customer = NULL;
	const struct cli_opt opts[] = { { "all", NULL, &all, NULL, false },
					{ "customer", &customer, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	char cslug[64];
	struct project_list l;
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_project_list, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	if (customer && !cli_customer_slug(ctx, customer, cslug, sizeof(cslug)))
		return CLI_FAILED;
	project_req_list(&r, customer ? cslug : NULL, all);
	res = cli_db_query(ctx, &r);
	if (!res)
		return CLI_FAILED;
	if (!project_list_parse(res, &l, &err)) {
		PQclear(res);
		return cli_fail(ctx, err.msg);
	}
	PQclear(res);
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(a, project_json(&l.v[i]));
		rc = cli_json_print(ctx, a);
	} else {
		static const char *const head[] = { "CUSTOMER", "PROJECT", "NAME", "STORES",
						    "CPU",	"MEMORY",  "END",  "STATE" };
		struct cli_table t;

		cli_table_init(&t, 8, head);
		for (size_t i = 0; i < l.n; i++) {
			const struct project *p = &l.v[i];
			char st[48], cu[32], cq[32], cpu[72], mu[32], mq[32], mem[72];
			const char *cells[8] = { p->customer_slug, p->slug, p->name, st, cpu, mem,
						 p->end_date[0] ? p->end_date : "-",
						 p->archived ? "archived" : "active" };

			snprintf(st, sizeof(st), "%ld/%ld", p->stores_used, p->quota_stores);
			db_format_cpu(p->cpu_used_millis, cu, sizeof(cu));
			db_format_cpu(p->quota_cpu_millis, cq, sizeof(cq));
			snprintf(cpu, sizeof(cpu), "%s/%s", cu, cq);
			db_format_memory(p->memory_used_mib, mu, sizeof(mu));
			db_format_memory(p->quota_memory_mib, mq, sizeof(mq));
			snprintf(mem, sizeof(mem), "%s/%s", mu, mq);
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
	}
	project_list_free(&l);
	return rc;
}

static int project_create(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *slug = NULL, *desc = NULL, *end = NULL, *stores = NULL, *cpu = NULL,
		   *mem = NULL;
	const struct cli_opt opts[] = {
		{ "slug", &slug, NULL, NULL, false },
		{ "description", &desc, NULL, NULL, true },
		{ "end-date", &end, NULL, NULL, false },
		{ "stores", &stores, NULL, NULL, false },
		{ "cpu", &cpu, NULL, NULL, false },
		{ "memory", &mem, NULL, NULL, false },
		{ NULL, NULL, NULL, NULL, false },
	};
	const char *pos[2];
	char cslug[64];
	struct project_spec spec;
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	int npos, rc;

	if (!cli_parse(ctx, &cmd_project_create, argc, argv, opts, pos, 2, 2, &npos))
		return CLI_USAGE;
	memset(&spec, 0, sizeof(spec));
	if (!parse_quotas(ctx, &cmd_project_create, stores, cpu, mem, &spec.quota_stores,
			  &spec.quota_cpu_millis, &spec.quota_memory_mib))
		return CLI_USAGE;
	if (!db_mutation_allowed(ctx->conf, "create a project", &err))
		return cli_fail(ctx, err.msg);
	if (!cli_customer_slug(ctx, pos[0], cslug, sizeof(cslug)))
		return CLI_FAILED;
	spec.customer = cslug;
	spec.name = pos[1];
	spec.slug = slug;
	spec.description = desc;
	spec.end_date = end;
	if (!project_req_create(&r, ctx->conf, &spec, &err))
		return cli_request_refused(ctx, &cmd_project_create, &err);
	rc = mutate(ctx, &r, &res);
	if (rc != CLI_OK)
		return rc;
	fprintf(ctx->out, "created project %s (%s)\n", db_val(res, 0, 1), db_val(res, 0, 0));
	PQclear(res);
	return CLI_OK;
}

static int project_rename(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[2];
	char slug[64];
	struct err err = { { 0 } };
	struct db_req r;
	int npos;

	if (!cli_parse(ctx, &cmd_project_rename, argc, argv, NULL, pos, 2, 2, &npos))
		return CLI_USAGE;
	if (!project_to_change(ctx, "rename a project", pos[0], slug, sizeof(slug)))
		return CLI_FAILED;
	return change_project(ctx, &cmd_project_rename,
			      project_req_rename(&r, ctx->conf, slug, pos[1], &err), &r, &err,
			      "renamed", slug);
}

static int project_set_quota(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *stores = NULL, *cpu = NULL, *mem = NULL;
	const struct cli_opt opts[] = {
		{ "stores", &stores, NULL, NULL, false },
		{ "cpu", &cpu, NULL, NULL, false },
		{ "memory", &mem, NULL, NULL, false },
		{ NULL, NULL, NULL, NULL, false },
	};
	const char *pos[1];
	char slug[64];
	long qs, qc, qm;
	struct err err = { { 0 } };
	struct db_req r;
	int npos;

	if (!cli_parse(ctx, &cmd_project_set_quota, argc, argv, opts, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!parse_quotas(ctx, &cmd_project_set_quota, stores, cpu, mem, &qs, &qc, &qm))
		return CLI_USAGE;
	if (!stores && !cpu && !mem)
		return cli_usage(ctx, &cmd_project_set_quota,
				 "give at least one of --stores, --cpu, --memory");
	if (!project_to_change(ctx, "change a project's quota", pos[0], slug, sizeof(slug)))
		return CLI_FAILED;
	return change_project(ctx, &cmd_project_set_quota,
			      project_req_set_quota(&r, ctx->conf, slug, qs, qc, qm, &err), &r,
			      &err, "set the quota of", slug);
}

static int project_archive(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	char slug[64];
	struct err err = { { 0 } };
	struct db_req r;
	int npos;

	if (!cli_parse(ctx, &cmd_project_archive, argc, argv, NULL, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!project_to_change(ctx, "archive a project", pos[0], slug, sizeof(slug)))
		return CLI_FAILED;
	return change_project(ctx, &cmd_project_archive,
			      project_req_archive(&r, ctx->conf, slug, &err), &r, &err, "archived",
			      slug);
}

static int project_set(struct cli_ctx *ctx, int argc, char **argv)
{
	bool no_end = false;
	const char *end = NULL, *desc = NULL;
	const struct cli_opt opts[] = {
		{ "end-date", &end, NULL, NULL, false },
		{ "no-end-date", NULL, &no_end, NULL, false },
		{ "description", &desc, NULL, NULL, true },
		{ NULL, NULL, NULL, NULL, false },
	};
	const char *pos[1];
	char slug[64];
	struct project_changes c = { 0 };
	struct err err = { { 0 } };
	struct db_req r;
	int npos;

	if (!cli_parse(ctx, &cmd_project_set, argc, argv, opts, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (end && no_end)
		return cli_usage(ctx, &cmd_project_set,
				 "give --end-date or --no-end-date, not both");
	if (!end && !no_end && !desc)
		return cli_usage(ctx, &cmd_project_set,
				 "give at least one of --end-date, --no-end-date, --description");
	c.end_date = end;
	c.clear_end_date = no_end;
	c.description = desc;
	/* Read-only mode and the values are checked before the project is
	 * looked up. */
	if (!project_check_changes(ctx->conf, &c, &err))
		return cli_request_refused(ctx, &cmd_project_set, &err);
	if (!cli_project_slug(ctx, pos[0], slug, sizeof(slug)))
		return CLI_FAILED;
	return change_project(ctx, &cmd_project_set, project_req_set(&r, ctx->conf, slug, &c, &err),
			      &r, &err, "changed", slug);
}
