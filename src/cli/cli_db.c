#include "config.h"

#include "cli/cli_db.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "db/db.h"
#include "db/migrate.h"

static int db_migrate(struct cli_ctx *ctx, int argc, char **argv);
static int db_status(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_migrate = {
	.noun = "db",
	.verb = "migrate",
	.usage = "",
	.summary = "apply the pending schema migrations",
	.run = db_migrate,
};
static const struct cli_command cmd_status = {
	.noun = "db",
	.verb = "status",
	.usage = "[--json]",
	.summary = "list the schema migrations, applied and pending",
	.run = db_status,
};

const struct cli_command *const cli_db_commands[] = { &cmd_migrate, &cmd_status, NULL };

static int db_migrate(struct cli_ctx *ctx, int argc, char **argv)
{
	struct err err = { { 0 } };
	const char *pos[1];
	int npos, applied;
	PGconn *pg;
	struct migrate_status st;

	if (!cli_parse(ctx, &cmd_migrate, argc, argv, NULL, pos, 0, 0, &npos))
		return CLI_USAGE;
	/* Checked before connecting: read-only refuses without touching anything. */
	if (!db_mutation_allowed(ctx->conf, "migrate the database schema", &err))
		return cli_fail(ctx, err.msg);
	pg = cli_db_open(ctx, false);
	if (!pg)
		return CLI_FAILED;
	if (!migrate_run(pg, ctx->conf, &applied, &err)) {
		db_close(pg);
		return cli_fail(ctx, err.msg);
	}
	if (!migrate_status(pg, &st, &err)) {
		db_close(pg);
		return cli_fail(ctx, err.msg);
	}
	if (applied > 0)
		fprintf(ctx->out, "applied %d migration%s; the schema is at version %d\n", applied,
			applied == 1 ? "" : "s", st.db_version);
	else
		fprintf(ctx->out, "the schema is up to date (version %d)\n", st.db_version);
	migrate_status_free(&st);
	db_close(pg);
	return CLI_OK;
}

static int db_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct err err = { { 0 } };
	const char *pos[1];
	int npos, rc = CLI_OK;
	PGconn *pg;
	struct migrate_status st;

	if (!cli_parse(ctx, &cmd_status, argc, argv, NULL, pos, 0, 0, &npos))
		return CLI_USAGE;
	pg = cli_db_open(ctx, false);
	if (!pg)
		return CLI_FAILED;
	if (!migrate_status(pg, &st, &err)) {
		db_close(pg);
		return cli_fail(ctx, err.msg);
	}
	db_close(pg);
	if (ctx->json) {
		json_t *o = json_object(), *a = json_array();

		for (size_t i = 0; i < st.n; i++) {
			const struct migration_row *r = &st.rows[i];

			json_array_append_new(
			    a, json_pack(
				   "{s:i, s:s, s:s, s:o}", "version", r->version, "name", r->name,
				   "state", migration_state_name(r->state), "applied_at",
				   r->applied_at[0] ? json_string(r->applied_at) : json_null()));
		}
		json_object_set_new(o, "schema_version", json_integer(st.db_version));
		json_object_set_new(o, "binary_version", json_integer(st.bin_version));
		json_object_set_new(o, "migrations", a);
		rc = cli_json_print(ctx, o);
	} else {
		static const char *const head[] = { "VERSION", "NAME", "STATE", "APPLIED" };
		struct cli_table t;

		cli_table_init(&t, 4, head);
		for (size_t i = 0; i < st.n; i++) {
			const struct migration_row *r = &st.rows[i];
			char v[16];
			const char *cells[4];

			snprintf(v, sizeof(v), "%03d", r->version);
			cells[0] = v;
			cells[1] = r->name;
			cells[2] = migration_state_name(r->state);
			cells[3] = r->applied_at[0] ? r->applied_at : "-";
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
		fprintf(ctx->out, "schema version %d; this opsdeck knows %d; %zu pending\n",
			st.db_version, st.bin_version, st.pending);
	}
	if (st.unknown > 0) {
		fprintf(ctx->err, "opsdeck: the database has migrations this opsdeck does not "
				  "know: upgrade opsdeck\n");
		rc = CLI_FAILED;
	} else if (st.changed > 0) {
		fprintf(ctx->err, "opsdeck: applied migrations differ from the ones built in\n");
		rc = CLI_FAILED;
	}
	migrate_status_free(&st);
	return rc;
}
