#include "config.h"

#include "cli/cli_catalog.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "db/catalog.h"
#include "db/catalog_file.h"
#include "db/db.h"

static int catalog_list(struct cli_ctx *ctx, int argc, char **argv);
static int catalog_show(struct cli_ctx *ctx, int argc, char **argv);
static int catalog_check(struct cli_ctx *ctx, int argc, char **argv);
static int catalog_import_cmd(struct cli_ctx *ctx, int argc, char **argv);
static int catalog_pause(struct cli_ctx *ctx, int argc, char **argv);
static int catalog_activate(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_list = {
	.noun = "catalog",
	.verb = "list",
	.usage = "[--json]",
	.summary = "list offerings with their state, plans and live stores",
	.run = catalog_list,
};
static const struct cli_command cmd_show = {
	.noun = "catalog",
	.verb = "show",
	.usage = "OFFERING [--json]",
	.summary = "list the plans of an offering",
	.run = catalog_show,
};
static const struct cli_command cmd_check = {
	.noun = "catalog",
	.verb = "check",
	.usage = "FILE... [--json]",
	.summary = "validate catalog files without importing them",
	.run = catalog_check,
};
static const struct cli_command cmd_import = {
	.noun = "catalog",
	.verb = "import",
	.usage = "FILE...",
	.summary = "import catalog files (all or nothing)",
	.run = catalog_import_cmd,
};
static const struct cli_command cmd_pause = {
	.noun = "catalog",
	.verb = "pause",
	.usage = "OFFERING [--reason TEXT]",
	.summary = "stop taking orders for an offering",
	.run = catalog_pause,
};
static const struct cli_command cmd_activate = {
	.noun = "catalog",
	.verb = "activate",
	.usage = "OFFERING",
	.summary = "take orders for an offering again",
	.run = catalog_activate,
};

const struct cli_command *const cli_catalog_commands[] = {
	&cmd_list, &cmd_show, &cmd_check, &cmd_import, &cmd_pause, &cmd_activate, NULL,
};

#define MAX_FILES 64

static int catalog_list(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	struct offering_list l;
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	PGconn *pg;
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_list, argc, argv, NULL, pos, 0, 0, &npos))
		return CLI_USAGE;
	pg = cli_db_open(ctx, true);
	if (!pg)
		return CLI_FAILED;
	catalog_req_list(&r);
	res = db_req_exec(pg, &r, &err);
	db_req_free(&r);
	db_close(pg);
	if (!res || !offering_list_parse(res, &l, &err)) {
		PQclear(res);
		return cli_fail(ctx, err.msg);
	}
	PQclear(res);
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < l.n; i++) {
			const struct offering *o = &l.v[i];

			json_array_append_new(
			    a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "uuid",
					 o->uuid, "slug", o->slug, "name", o->name, "kind", o->kind,
					 "state", o->state, "description", o->description, "plans",
					 (json_int_t)o->plans, "stores", (json_int_t)o->stores));
		}
		rc = cli_json_print(ctx, a);
	} else {
		static const char *const head[] = { "OFFERING", "NAME",	 "KIND",
						    "STATE",	"PLANS", "STORES" };
		struct cli_table t;

		cli_table_init(&t, 6, head);
		for (size_t i = 0; i < l.n; i++) {
			const struct offering *o = &l.v[i];
			char np[24], ns[24];
			const char *cells[6] = { o->slug, o->name, o->kind, o->state, np, ns };

			snprintf(np, sizeof(np), "%ld", o->plans);
			snprintf(ns, sizeof(ns), "%ld", o->stores);
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
	}
	offering_list_free(&l);
	return rc;
}

static int catalog_show(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	struct plan_list l;
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	PGconn *pg;
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_show, argc, argv, NULL, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!catalog_req_plans(&r, pos[0], &err))
		return cli_usage(ctx, &cmd_show, "%s", err.msg);
	pg = cli_db_open(ctx, true);
	if (!pg) {
		db_req_free(&r);
		return CLI_FAILED;
	}
	res = db_req_exec(pg, &r, &err);
	db_req_free(&r);
	db_close(pg);
	if (!res || !plan_list_parse(res, &l, &err)) {
		PQclear(res);
		return cli_fail(ctx, err.msg);
	}
	PQclear(res);
	if (l.n == 0) {
		plan_list_free(&l);
		return cli_not_found(ctx, "offering", pos[0]);
	}
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < l.n; i++) {
			const struct plan *p = &l.v[i];

			json_array_append_new(
			    a,
			    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:b, s:I}",
				      "uuid", p->uuid, "name", p->name, "replicas",
				      (json_int_t)p->replicas, "cpu_request_millis",
				      (json_int_t)p->cpu_request_millis, "cpu_limit_millis",
				      (json_int_t)p->cpu_limit_millis, "memory_request_mib",
				      (json_int_t)p->memory_request_mib, "memory_limit_mib",
				      (json_int_t)p->memory_limit_mib, "storage_gib",
				      (json_int_t)p->storage_gib, "monthly_price", p->monthly_price,
				      "active", p->active, "stores", (json_int_t)p->stores));
		}
		rc = cli_json_print(ctx, a);
	} else {
		static const char *const head[] = { "PLAN",    "REPLICAS", "CPU",    "MEMORY",
						    "STORAGE", "PRICE",    "ACTIVE", "STORES" };
		struct cli_table t;

		cli_table_init(&t, 8, head);
		for (size_t i = 0; i < l.n; i++) {
			const struct plan *p = &l.v[i];
			char rep[24], c1[32], c2[32], cpu[72], m1[32], m2[32], mem[72], sto[32],
			    ns[24];
			const char *cells[8] = { p->name, rep, cpu, mem, sto, p->monthly_price,
						 p->active ? "yes" : "no", ns };

			snprintf(rep, sizeof(rep), "%ld", p->replicas);
			db_format_cpu(p->cpu_request_millis, c1, sizeof(c1));
			db_format_cpu(p->cpu_limit_millis, c2, sizeof(c2));
			snprintf(cpu, sizeof(cpu), "%s-%s", c1, c2);
			db_format_memory(p->memory_request_mib, m1, sizeof(m1));
			db_format_memory(p->memory_limit_mib, m2, sizeof(m2));
			snprintf(mem, sizeof(mem), "%s-%s", m1, m2);
			snprintf(sto, sizeof(sto), "%ldGi", p->storage_gib);
			snprintf(ns, sizeof(ns), "%ld", p->stores);
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
	}
	plan_list_free(&l);
	return rc;
}

/* A file's warnings on stderr, "opsdeck: FILE:LINE:COLUMN: warning: ...". */
static void say_warnings(struct cli_ctx *ctx, const struct catalog_file *f)
{
	for (size_t i = 0; i < f->warnings.n; i++)
		cli_failf(ctx, "%s:%u:%u: warning: %s", f->path, f->warnings.v[i].line,
			  f->warnings.v[i].column, f->warnings.v[i].message);
}

/* Loads every file; reports every bad one, and the warnings of the good
 * ones unless quiet (--json carries them). */
static bool load_files(struct cli_ctx *ctx, const char **paths, int n, struct catalog_file **files,
		       bool quiet)
{
	bool ok = true;

	for (int i = 0; i < n; i++) {
		struct err err = { { 0 } };

		files[i] = catalog_file_load(paths[i], &err);
		if (!files[i]) {
			cli_fail(ctx, err.msg);
			ok = false;
		} else if (!quiet) {
			say_warnings(ctx, files[i]);
		}
	}
	return ok;
}

static json_t *file_json(const struct catalog_file *f)
{
	json_t *w = json_array();

	for (size_t i = 0; i < f->warnings.n; i++)
		json_array_append_new(w, json_pack("{s:I, s:I, s:s}", "line",
						   (json_int_t)f->warnings.v[i].line, "column",
						   (json_int_t)f->warnings.v[i].column, "message",
						   f->warnings.v[i].message));
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "file", f->path, "offering", f->slug,
			 "kind", f->kind, "plans", (json_int_t)f->nplans, "manifests",
			 (json_int_t)f->nmanifests, "warnings", w);
}

static void free_files(struct catalog_file **files, int n)
{
	for (int i = 0; i < n; i++)
		catalog_file_free(files[i]);
}

static int catalog_check(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[MAX_FILES];
	struct catalog_file *files[MAX_FILES];
	int npos;
	bool ok;

	if (!cli_parse(ctx, &cmd_check, argc, argv, NULL, pos, 1, MAX_FILES, &npos))
		return CLI_USAGE;
	ok = load_files(ctx, pos, npos, files, ctx->json);
	if (ok && ctx->json) {
		json_t *a = json_array();

		for (int i = 0; i < npos; i++)
			json_array_append_new(a, file_json(files[i]));
		free_files(files, npos);
		return cli_json_print(ctx, a);
	}
	for (int i = 0; ok && i < npos; i++) {
		size_t n = strlen(files[i]->path) + 1;
		char *path = xmalloc(n);

		str_copy_clean(path, n, files[i]->path); /* a word of the command line */
		fprintf(ctx->out, "%s: offering %s (%s), %zu plan(s), %zu manifest(s): ok", path,
			files[i]->slug, files[i]->kind, files[i]->nplans, files[i]->nmanifests);
		if (files[i]->warnings.n)
			fprintf(ctx->out, ", %zu warning(s)", files[i]->warnings.n);
		fputc('\n', ctx->out);
		free(path);
	}
	free_files(files, npos);
	return ok ? CLI_OK : CLI_FAILED;
}

static int catalog_import_cmd(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[MAX_FILES];
	struct catalog_file *files[MAX_FILES];
	struct catalog_import_report rep;
	struct err err = { { 0 } };
	PGconn *pg;
	int npos;

	if (!cli_parse(ctx, &cmd_import, argc, argv, NULL, pos, 1, MAX_FILES, &npos))
		return CLI_USAGE;
	if (!db_mutation_allowed(ctx->conf, "import catalog files", &err))
		return cli_fail(ctx, err.msg);
	if (!load_files(ctx, pos, npos, files, false)) {
		free_files(files, npos);
		return cli_fail(ctx, "nothing was imported");
	}
	pg = cli_db_open(ctx, true);
	if (!pg) {
		free_files(files, npos);
		return CLI_FAILED;
	}
	if (!catalog_import(pg, ctx->conf, files, (size_t)npos, &rep, &err)) {
		db_close(pg);
		free_files(files, npos);
		cli_fail(ctx, err.msg);
		return cli_fail(ctx, "nothing was imported");
	}
	db_close(pg);
	free_files(files, npos);
	fprintf(ctx->out, "imported %zu offering(s): %zu created, %zu updated, %zu plan(s)\n",
		rep.created + rep.updated, rep.created, rep.updated, rep.plans);
	return CLI_OK;
}

static int set_state(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv,
		     bool active)
{
	const char *reason = NULL;
	const struct cli_opt opts_pause[] = { { "reason", &reason, NULL, NULL, true },
					      { NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	PGconn *pg;
	int npos;

	if (!cli_parse(ctx, cmd, argc, argv, active ? NULL : opts_pause, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!catalog_req_set_state(&r, ctx->conf, pos[0], active, reason, &err))
		return cli_request_refused(ctx, cmd, &err);
	pg = cli_db_open(ctx, true);
	if (!pg) {
		db_req_free(&r);
		return CLI_FAILED;
	}
	res = db_req_exec(pg, &r, &err);
	db_req_free(&r);
	db_close(pg);
	if (!res)
		return cli_fail(ctx, err.msg);
	if (catalog_state_changed(res))
		fprintf(ctx->out, "%s offering %s\n", active ? "activated" : "paused", pos[0]);
	else
		fprintf(ctx->out, "offering %s is already %s\n", pos[0],
			active ? "active" : "paused");
	PQclear(res);
	return CLI_OK;
}

static int catalog_pause(struct cli_ctx *ctx, int argc, char **argv)
{
	return set_state(ctx, &cmd_pause, argc, argv, false);
}

static int catalog_activate(struct cli_ctx *ctx, int argc, char **argv)
{
	return set_state(ctx, &cmd_activate, argc, argv, true);
}
