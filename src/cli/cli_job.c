#include "config.h"

#include "cli/cli_job.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli/cli_util.h"
#include "db/db.h"
#include "db/jobq.h"
#include "textesc.h"

/* `opsdeck job`: the job queue as db/jobq.h describes it. */

static int job_list(struct cli_ctx *ctx, int argc, char **argv);
static int job_show(struct cli_ctx *ctx, int argc, char **argv);
static int job_retry(struct cli_ctx *ctx, int argc, char **argv);
static int job_cancel(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_list = {
    .noun = "job",
    .verb = "list",
    .usage = "[--state STATE] [--store STORE] [--kind KIND] [--finished N] [--json]",
    .summary = "list the queued and running jobs and the newest finished ones (200), "
	       "stuck ones flagged",
    .run = job_list,
};
static const struct cli_command cmd_show = {
    .noun = "job",
    .verb = "show",
    .usage = "JOB [--json]",
    .summary = "show a job, its last error whole and its steps",
    .run = job_show,
};
static const struct cli_command cmd_retry = {
    .noun = "job",
    .verb = "retry",
    .usage = "JOB [--json]",
    .summary = "run a failed or cancelled job again, as a new job",
    .run = job_retry,
};
static const struct cli_command cmd_cancel = {
    .noun = "job",
    .verb = "cancel",
    .usage = "JOB [--json]",
    .summary = "cancel a queued job, or stop a running one at its next step",
    .run = job_cancel,
};

const struct cli_command *const cli_job_commands[] = {&cmd_list, &cmd_show, &cmd_retry, &cmd_cancel,
						      NULL};

/* ---- reading ---- */

struct job_rows {
	struct jobq_job *v;
	size_t n;
};

static void rows_free(struct job_rows *l)
{
	for (size_t i = 0; i < l->n; i++)
		jobq_job_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Row i of res as cells (NULL for SQL NULL) in cells[ncols]. */
static void row_cells(const PGresult *res, int i, const char **cells, int ncols)
{
	for (int c = 0; c < ncols; c++)
		cells[c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
}

static bool read_jobs(struct cli_ctx *ctx, const struct cli_command *cmd,
		      const struct jobq_filter *f, struct job_rows *l, int *rc)
{
	struct err err = {{0}};
	struct db_req r;
	PGresult *res;
	const char *cells[JOBQ_LIST_COLS];

	memset(l, 0, sizeof(*l));
	if (!jobq_req_list(&r, f, &err)) {
		*rc = cli_usage(ctx, cmd, "%s", err.msg);
		return false;
	}
	res = cli_db_query(ctx, &r);
	if (!res) {
		*rc = CLI_FAILED;
		return false;
	}
	l->v = xcalloc((size_t)PQntuples(res) + 1, sizeof(*l->v));
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQnfields(res) != JOBQ_LIST_COLS) {
			err_set(&err, "unexpected answer about the jobs");
			break;
		}
		row_cells(res, i, cells, JOBQ_LIST_COLS);
		if (!jobq_parse_row(cells, JOBQ_LIST_COLS, &l->v[l->n], &err))
			break;
		l->n++;
	}
	PQclear(res);
	if (err_isset(&err)) {
		rows_free(l);
		*rc = cli_fail(ctx, err.msg);
		return false;
	}
	return true;
}

/* The one job JOB names, in l->v[0]; false after saying why. */
static bool read_job(struct cli_ctx *ctx, const struct cli_command *cmd, const char *word,
		     struct job_rows *l, long *id, int *rc)
{
	struct jobq_filter f = {0};
	char shown[CLI_SHOWN_SIZE];

	if (!jobq_parse_id(word, id)) {
		*rc = cli_usage(ctx, cmd, "JOB is a job's number, e.g. 42 (not \"%s\")",
				cli_shown(word, shown));
		return false;
	}
	f.id = *id;
	f.finished = 1;
	if (!read_jobs(ctx, cmd, &f, l, rc))
		return false;
	if (l->n == 0) {
		rows_free(l);
		*rc = cli_not_found(ctx, "job", word[0] == '#' ? word + 1 : word);
		return false;
	}
	return true;
}

/* ---- presenting ---- */

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *job_json(const struct jobq_job *j, const struct jobq_limits *lim)
{
	bool running = strcmp(j->state, "running") == 0;
	long age;
	enum jobq_alert a = jobq_alert(j, lim, &age);
	static const char *const alert_names[] = {
	    [JOBQ_ALERT_NONE] = "",
	    [JOBQ_ALERT_LEASE_EXPIRED] = "lease_expired",
	    [JOBQ_ALERT_TIMEOUT] = "over_timeout",
	    [JOBQ_ALERT_QUEUED] = "queued_too_long",
	};
	json_t *o = json_object();
	char text[600];

	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "store", json_string(j->store));
	json_object_set_new(o, "store_name", json_string(j->store_name));
	json_object_set_new(o, "kind", json_string(j->kind));
	json_object_set_new(o, "state", json_string(j->state));
	json_object_set_new(o, "step", str_or_null(j->step));
	json_object_set_new(o, "attempts", json_integer(j->attempts));
	json_object_set_new(o, "max_attempts", json_integer(j->max_attempts));
	json_object_set_new(o, "due_in_s",
			    strcmp(j->state, "queued") == 0 ? json_integer(j->due_in_s)
							    : json_null());
	json_object_set_new(o, "age_s", json_integer(j->age_s));
	json_object_set_new(o, "runner", str_or_null(j->runner));
	json_object_set_new(o, "lease_left_s",
			    j->runner[0] ? json_integer(j->lease_left_s) : json_null());
	json_object_set_new(o, "running_s", running ? json_integer(j->running_s) : json_null());
	json_object_set_new(o, "cancel_requested_by", str_or_null(j->cancel_by));
	json_object_set_new(o, "last_error", str_or_null(j->last_error));
	json_object_set_new(o, "created", json_string(j->created));
	json_object_set_new(o, "finished", str_or_null(j->finished));
	if (a == JOBQ_ALERT_NONE) {
		json_object_set_new(o, "alert", json_null());
	} else {
		jobq_alert_text(j, lim, text, sizeof(text));
		json_object_set_new(o, "alert",
				    json_pack("{s:s, s:I, s:s}", "kind", alert_names[a], "age_s",
					      (json_int_t)age, "text", text));
	}
	return o;
}

/* Text from the database made safe to print whole: control characters
 * (line breaks included) escaped as \n, \r, \xNN, so that an error
 * cannot move the cursor, rewrite the line or pass for another field. */
static const char *escaped(const char *s, struct buf *b)
{
	buf_reset(b);
	text_escape(s, strlen(s), SIZE_MAX, b);
	return buf_str(b);
}

/* The first line of an error, cut for a table cell. */
static void first_line(const char *s, char *buf, size_t bufsz)
{
	size_t n = strcspn(s, "\n");

	mem_copy_clean(buf, bufsz, s, n);
	if (n >= bufsz && bufsz > 4)
		memcpy(buf + bufsz - 4, "...", 4);
}

static int job_list(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *state = NULL, *store = NULL, *kind = NULL, *finished = NULL;
	const struct cli_opt opts[] = {
	    {"state", &state, NULL, NULL, false}, {"store", &store, NULL, NULL, false},
	    {"kind", &kind, NULL, NULL, false},	  {"finished", &finished, NULL, NULL, false},
	    {NULL, NULL, NULL, NULL, false},
	};
	const char *pos[1];
	struct jobq_filter f = {.finished = JOBQ_FINISHED_DEFAULT};
	struct jobq_limits lim;
	struct job_rows l;
	char id[STORE_ID_LEN + 1];
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_list, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	if (finished && !str_to_long(finished, 0, JOBQ_FINISHED_MAX, &f.finished))
		return cli_usage(ctx, &cmd_list, "--finished takes a whole number from 0 to %d",
				 JOBQ_FINISHED_MAX);
	f.state = state;
	f.kind = kind;
	if (store) {
		struct store_list sl;
		const struct store *s;

		if ((state && jobq_state_index(state) < 0) || (kind && jobq_kind_index(kind) < 0)) {
			struct db_req r;
			struct err err = {{0}};

			if (!jobq_req_list(&r, &f, &err))
				return cli_usage(ctx, &cmd_list, "%s", err.msg);
			db_req_free(&r);
		}
		if (!cli_store_ref(ctx, store, &sl, &s))
			return CLI_FAILED;
		str_copy(id, sizeof(id), s->id);
		store_list_free(&sl);
		f.store = id;
	}
	if (!read_jobs(ctx, &cmd_list, &f, &l, &rc))
		return rc;
	jobq_limits_from_conf(&lim, ctx->conf);
	if (ctx->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < l.n; i++) {
			json_array_append_new(a, job_json(&l.v[i], &lim));
		}
		rc = cli_json_print(ctx, a);
	} else {
		static const char *const head[] = {"ID",   "STORE", "NAME", "KIND",   "STATE",
						   "STEP", "TRIES", "WHEN", "RUNNER", "NOTE"};
		struct cli_table t;

		cli_table_init(&t, 10, head);
		for (size_t i = 0; i < l.n; i++) {
			const struct jobq_job *j = &l.v[i];
			char jid[24], tries[48], when[96], note[600];
			const char *cells[10] = {jid,	  j->store, j->store_name,
						 j->kind, j->state, j->step[0] ? j->step : "-",
						 tries,	  when,	    j->runner[0] ? j->runner : "-",
						 note};

			snprintf(jid, sizeof(jid), "%ld", j->id);
			snprintf(tries, sizeof(tries), "%ld/%ld", j->attempts, j->max_attempts);
			jobq_when_text(j, when, sizeof(when));
			memcpy(note, "STUCK: ", 8);
			jobq_alert_text(j, &lim, note + 7, sizeof(note) - 7);
			if (!note[7])
				first_line(j->last_error, note, 100);
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
	}
	rows_free(&l);
	return rc;
}

static int job_show(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_opt opts[] = {{NULL, NULL, NULL, NULL, false}};
	const char *pos[1];
	struct job_rows l;
	struct jobq_limits lim;
	struct db_req r;
	PGresult *res;
	long id;
	int npos, rc = CLI_OK;

	if (!cli_parse(ctx, &cmd_show, argc, argv, opts, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!read_job(ctx, &cmd_show, pos[0], &l, &id, &rc))
		return rc;
	jobq_req_steps(&r, id);
	res = cli_db_query(ctx, &r);
	if (!res || PQnfields(res) != JOBQ_STEPS_COLS) {
		PQclear(res);
		rows_free(&l);
		return res ? cli_fail(ctx, "unexpected answer about the steps of a job")
			   : CLI_FAILED;
	}
	jobq_limits_from_conf(&lim, ctx->conf);
	if (ctx->json) {
		json_t *o = job_json(&l.v[0], &lim), *steps = json_array();

		for (int i = 0; i < PQntuples(res); i++) {
			json_array_append_new(
			    steps,
			    json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:I, s:o}", "attempt",
				      (json_int_t)db_long(res, i, 0), "step", db_val(res, i, 1),
				      "runner", db_val(res, i, 2), "started", db_val(res, i, 3),
				      "finished", str_or_null(db_val(res, i, 4)), "outcome",
				      str_or_null(db_val(res, i, 5)), "seconds",
				      (json_int_t)db_long(res, i, 6), "message",
				      str_or_null(db_val(res, i, 7))));
		}
		json_object_set_new(o, "steps", steps);
		rc = cli_json_print(ctx, o);
	} else {
		const struct jobq_job *j = &l.v[0];
		char when[96], alert[600], cancel[400];
		struct buf esc = BUF_INIT;
		static const char *const head[] = {"ATTEMPT", "STEP",	 "RUNNER", "STARTED",
						   "TOOK",    "OUTCOME", "MESSAGE"};
		struct cli_table t;

		jobq_when_text(j, when, sizeof(when));
		jobq_alert_text(j, &lim, alert, sizeof(alert));
		jobq_cancel_text(j, cancel, sizeof(cancel));
		fprintf(ctx->out, "job %ld: %s of store %s (%s)\n", j->id, j->kind, j->store,
			j->store_name);
		fprintf(ctx->out, "state: %s%s%s (%s)\n", j->state, j->step[0] ? " at step " : "",
			j->step, when);
		fprintf(ctx->out, "attempts: %ld of %ld\n", j->attempts, j->max_attempts);
		if (j->runner[0])
			fprintf(ctx->out, "runner: %s\n", j->runner);
		if (cancel[0])
			fprintf(ctx->out, "cancel: %s\n", cancel);
		if (alert[0])
			fprintf(ctx->out, "stuck: %s\n", alert);
		fprintf(ctx->out, "created: %s\n", j->created);
		if (j->finished[0])
			fprintf(ctx->out, "finished: %s\n", j->finished);
		if (j->last_error[0])
			fprintf(ctx->out, "last error: %s\n", escaped(j->last_error, &esc));
		fprintf(ctx->out, "\n");
		cli_table_init(&t, 7, head);
		for (int i = 0; i < PQntuples(res); i++) {
			char took[24];
			const char *outcome = db_val(res, i, 5);
			const char *cells[7] = {db_val(res, i, 0),
						db_val(res, i, 1),
						db_val(res, i, 2),
						db_val(res, i, 3),
						took,
						outcome[0] ? outcome : "running",
						escaped(db_val(res, i, 7), &esc)};

			str_age(db_long(res, i, 6), took, sizeof(took));
			cli_table_row(&t, cells);
		}
		cli_table_print(&t, ctx->out);
		cli_table_free(&t);
		buf_free(&esc);
	}
	PQclear(res);
	rows_free(&l);
	return rc;
}

/* Retry or cancel: read-only mode refuses first, then the job is read
 * (for the words of the answer), then changed. */
static int change(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv,
		  bool retry)
{
	const struct cli_opt opts[] = {{NULL, NULL, NULL, NULL, false}};
	const char *pos[1];
	struct err err = {{0}};
	struct job_rows l;
	struct db_req r;
	PGresult *res;
	long id;
	int npos, rc = CLI_OK;
	bool built;

	if (!cli_parse(ctx, cmd, argc, argv, opts, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (!db_mutation_allowed(ctx->conf, retry ? "retry a job" : "cancel a job", &err))
		return cli_fail(ctx, err.msg);
	if (!read_job(ctx, cmd, pos[0], &l, &id, &rc))
		return rc;
	built = retry ? jobq_req_retry(&r, ctx->conf, id, &err)
		      : jobq_req_cancel(&r, ctx->conf, id, &err);
	if (!built) {
		rows_free(&l);
		return cli_request_refused(ctx, cmd, &err);
	}
	res = cli_db_query(ctx, &r);
	if (!res) {
		rows_free(&l);
		return CLI_FAILED;
	}
	if (retry) {
		bool none = PQgetisnull(res, 0, 0);
		long new_id = none ? 0 : db_long(res, 0, 0);

		if (ctx->json)
			rc = cli_json_print(
			    ctx, json_pack("{s:I, s:o}", "job", (json_int_t)id, "new_job",
					   none ? json_null() : json_integer(new_id)));
		else if (none)
			fprintf(ctx->out,
				"job %ld (%s of store %s): nothing needs running; the store has "
				"what it asked for\n",
				id, l.v[0].kind, l.v[0].store);
		else
			fprintf(ctx->out, "job %ld (%s of store %s) runs again as job %ld\n", id,
				l.v[0].kind, l.v[0].store, new_id);
	} else {
		bool stopping = strcmp(db_val(res, 0, 0), "running") == 0;

		if (ctx->json)
			rc = cli_json_print(ctx,
					    json_pack("{s:I, s:s}", "job", (json_int_t)id, "state",
						      stopping ? "stopping" : "cancelled"));
		else if (stopping)
			fprintf(ctx->out,
				"job %ld (%s of store %s) is running: it is cancelled at its next "
				"step\n",
				id, l.v[0].kind, l.v[0].store);
		else
			fprintf(ctx->out, "job %ld (%s of store %s) is cancelled\n", id,
				l.v[0].kind, l.v[0].store);
	}
	PQclear(res);
	rows_free(&l);
	return rc;
}

static int job_retry(struct cli_ctx *ctx, int argc, char **argv)
{
	return change(ctx, &cmd_retry, argc, argv, true);
}

static int job_cancel(struct cli_ctx *ctx, int argc, char **argv)
{
	return change(ctx, &cmd_cancel, argc, argv, false);
}
