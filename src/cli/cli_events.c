#include "config.h"

#include "cli/cli_events.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_project.h"
#include "cli/cli_util.h"
#include "db/db.h"
#include "db/events.h"

static int events_list(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_list = {
	.noun = "events",
	.verb = "list",
	.usage = "[--project PROJECT] [--limit N] [--json]",
	.summary = "show the audit trail, newest first (default 50)",
	.run = events_list,
};

const struct cli_command *const cli_events_commands[] = { &cmd_list, NULL };

static int events_list(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *project = NULL, *limit_s = NULL;
	const struct cli_opt opts[] = {
		{ "project", &project, NULL, NULL, false },
		{ "limit", &limit_s, NULL, NULL, false },
		{ NULL, NULL, NULL, NULL, false },
	};
	const char *pos[1];
	long limit = 50;
	struct event_list l;
	struct err err = { { 0 } };
	struct db_req r;
	PGresult *res;
	PGconn *pg;
	char slug[64];
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_list, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	if (limit_s && !str_to_long(limit_s, 1, EVENTS_MAX_LIMIT, &limit))
		return cli_usage(ctx, &cmd_list, "--limit takes a whole number from 1 to %d",
				 EVENTS_MAX_LIMIT);
	if (project && !cli_project_slug(ctx, project, slug, sizeof(slug)))
		return CLI_FAILED;
	if (!event_req_list(&r, project ? slug : NULL, limit, &err))
		return cli_fail(ctx, err.msg);
	pg = cli_db_open(ctx, true);
	if (!pg) {
		db_req_free(&r);
		return CLI_FAILED;
	}
	res = db_req_exec(pg, &r, &err);
	db_req_free(&r);
	db_close(pg);
	if (!res || !event_list_parse(res, &l, &err)) {
		PQclear(res);
		return cli_fail(ctx, err.msg);
	}
	PQclear(res);
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < l.n; i++) {
			const struct event *e = &l.v[i];
			/* The database's jsonb, so it parses; should it not, the
			 * text still says what it held. */
			json_t *detail = json_loads(e->detail ? e->detail : "{}", 0, NULL);

			json_array_append_new(
			    a, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "id",
					 (json_int_t)e->id, "at", e->at, "actor", e->actor,
					 "action", e->action, "object", e->object, "project",
					 e->project[0] ? json_string(e->project) : json_null(),
					 "message", e->message, "detail",
					 detail ? detail : json_string(e->detail)));
		}
		rc = cli_json_print(ctx, a);
	} else {
		static const char *const head[] = { "ID",	  "AT",	    "ACTOR",
						    "ACTION", "OBJECT", "MESSAGE" };
		struct cli_table t;

		cli_table_init(&t, 6, head);
		for (size_t i = 0; i < l.n; i++) {
			const struct event *e = &l.v[i];
			char id[24];
			const char *cells[6] = { id,	    e->at,     e->actor,
						 e->action, e->object, e->message };

			snprintf(id, sizeof(id), "%ld", e->id);
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
	}
	event_list_free(&l);
	return rc;
}
