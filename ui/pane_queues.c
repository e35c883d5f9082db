#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db/jobq.h"
#include "db/live.h"
#include "pane.h"
#include "pane_notice.h"
#include "panes.h"
#include "style.h"
#include "table.h"

/* The Queues pane: where work piles up. It is made of sections, one under
 * the other, each with its title and summary line and its own table; the
 * Jobs section is the job queue of db/jobq.h -- counts per state (the
 * oldest queued job's age) and per kind, then every queued and running
 * job and the newest finished ones. A stuck job (an expired lease, an
 * attempt past provision.timeout, a job due longer than
 * provision.queued_alert) is highlighted with its age, and the row under
 * the cursor is told whole below the table. queues.retry (R) runs a failed
 * or cancelled job again, queues.cancel (X) asks, then cancels a queued
 * job or stops a running one at its next step; Enter shows the job's
 * timeline and its last error whole.
 *
 * Live: the lists are read again on the typed change notices of the jobs
 * and their steps (db/live.h), coalesced one read at a time, and every
 * few seconds while the pane is shown, since a lease expires without any
 * row changing. Everything goes through the console's db_live. */

#define REFRESH_MS 5000
#define FOOTER_LINES 3

enum { COL_ID, COL_STORE, COL_KIND, COL_STATE, COL_STEP, COL_TRIES, COL_WHEN, COL_NOTE };

static const struct table_column job_cols[] = {
    [COL_ID] = {"ID", 2, 8, 0, TABLE_RIGHT, 0},
    [COL_STORE] = {"STORE", 5, 24, 0, TABLE_LEFT, 0},
    [COL_KIND] = {"KIND", 4, 9, 0, TABLE_LEFT, 0},
    [COL_STATE] = {"STATE", 5, 9, 0, TABLE_LEFT, 0},
    [COL_STEP] = {"STEP", 4, 12, 0, TABLE_LEFT, 2},
    [COL_TRIES] = {"TRIES", 5, 6, 0, TABLE_LEFT, 3},
    [COL_WHEN] = {"WHEN", 4, 30, 0, TABLE_LEFT, 1},
    [COL_NOTE] = {"NOTE", 4, 0, 1, TABLE_LEFT, 4},
};

struct queues_pane {
	struct app *app;
	struct db_live *live;
	struct loop_timer *tick;
	struct table *table;
	struct jobq_limits lim;
	struct jobq_job *jobs;
	size_t njobs;
	uint64_t read_ms;
	struct jobq_counts counts;
	bool have, list_busy, list_again, counts_busy;
	char error[300];
	/* the details of one job */
	bool detail_open;
	long detail_id;
	char **steps; /* JOBQ_STEPS_COLS cells a row */
	size_t nsteps;
	bool steps_busy;
	char steps_error[300];
	long act_id;  /* the job a confirmation is about */
	long built_s; /* the rows' ages are as of this many seconds after the read */
};

/* ---- reading ---- */

static void load(struct queues_pane *p);
static void load_steps(struct queues_pane *p);

static void free_jobs(struct queues_pane *p)
{
	for (size_t i = 0; i < p->njobs; i++)
		jobq_job_free(&p->jobs[i]);
	free(p->jobs);
	p->jobs = NULL;
	p->njobs = 0;
}

static const struct jobq_job *job_by_id(const struct queues_pane *p, long id)
{
	for (size_t i = 0; i < p->njobs; i++) {
		if (p->jobs[i].id == id)
			return &p->jobs[i];
	}
	return NULL;
}

/* The rows as they are now: ages grow from the read on. */
static long elapsed_s(const struct queues_pane *p)
{
	return (long)((loop_now_ms() - p->read_ms) / 1000u);
}

static int job_role(const struct jobq_job *j, const struct jobq_limits *lim)
{
	if (jobq_alert(j, lim, NULL) != JOBQ_ALERT_NONE || strcmp(j->state, "failed") == 0)
		return ROLE_STATE_BAD;
	if (strcmp(j->state, "running") == 0)
		return ROLE_STATE_BUSY;
	if (strcmp(j->state, "queued") == 0)
		return ROLE_NORMAL;
	if (strcmp(j->state, "succeeded") == 0)
		return ROLE_STATE_OK;
	return ROLE_STATE_OFF;
}

static void rebuild(struct queues_pane *p)
{
	struct table_model *tm = table_model(p->table);
	long el = elapsed_s(p);

	p->built_s = el;
	table_model_begin(tm);
	for (size_t i = 0; i < p->njobs; i++) {
		struct jobq_job j = p->jobs[i];
		char key[24], store[96], tries[48], when[96], note[600];
		const char *cells[] = {[COL_ID] = key,
				       [COL_STORE] = store,
				       [COL_KIND] = j.kind,
				       [COL_STATE] = j.state,
				       [COL_STEP] = j.step[0] ? j.step : "-",
				       [COL_TRIES] = tries,
				       [COL_WHEN] = when,
				       [COL_NOTE] = note};

		jobq_job_age(&j, el);
		snprintf(key, sizeof(key), "%ld", j.id);
		snprintf(store, sizeof(store), "%s %s", j.store_name, j.store);
		snprintf(tries, sizeof(tries), "%ld/%ld", j.attempts, j.max_attempts);
		jobq_when_text(&j, when, sizeof(when));
		jobq_alert_text(&j, &p->lim, note, sizeof(note));
		if (!note[0])
			snprintf(note, sizeof(note), "%.*s", (int)strcspn(j.last_error, "\n"),
				 j.last_error);
		table_model_add(tm, key, cells, job_role(&j, &p->lim), -1);
	}
	table_model_end(tm);
	table_set_empty_text(p->table, p->error[0] ? p->error : "No jobs yet.");
}

static void list_read(void *ud, const struct db_rows *rows, const char *error)
{
	struct queues_pane *p = ud;
	struct err err = {{0}};

	p->list_busy = false;
	if (!rows) {
		snprintf(p->error, sizeof(p->error), "Cannot read the jobs: %.250s", error);
	} else {
		free_jobs(p);
		p->jobs = xcalloc(rows->nrows + 1, sizeof(*p->jobs));
		for (size_t i = 0; i < rows->nrows; i++) {
			if (!jobq_parse_row(rows->cells + i * rows->ncols, rows->ncols,
					    &p->jobs[p->njobs], &err))
				break;
			p->njobs++;
		}
		str_copy(p->error, sizeof(p->error), err_isset(&err) ? err.msg : "");
		p->read_ms = loop_now_ms();
		p->have = true;
	}
	rebuild(p);
	if (p->list_again) {
		p->list_again = false;
		load(p);
	}
	app_redraw(p->app);
}

static void counts_read(void *ud, const struct db_rows *rows, const char *error)
{
	struct queues_pane *p = ud;
	struct err err = {{0}};

	(void)error; /* the list's read says what is wrong */
	p->counts_busy = false;
	if (!rows)
		return;
	jobq_counts_init(&p->counts);
	for (size_t i = 0; i < rows->nrows; i++) {
		if (!jobq_counts_add(&p->counts, rows->cells + i * rows->ncols, rows->ncols, &err))
			break;
	}
	p->counts.have = !err_isset(&err);
	app_redraw(p->app);
}

static void load(struct queues_pane *p)
{
	struct jobq_filter f = {.finished = JOBQ_FINISHED_DEFAULT};
	struct err err = {{0}};
	struct db_req r;

	if (!p->live || db_live_state(p->live, NULL) != DB_STATE_READY)
		return;
	if (p->list_busy) {
		p->list_again = true;
		return;
	}
	if (jobq_req_list(&r, &f, &err)) {
		p->list_busy = true;
		db_live_query(p->live, &r, list_read, p);
	}
	if (!p->counts_busy) {
		jobq_req_counts(&r);
		p->counts_busy = true;
		db_live_query(p->live, &r, counts_read, p);
	}
	if (p->detail_open)
		load_steps(p);
}

static void steps_free(struct queues_pane *p)
{
	for (size_t i = 0; i < p->nsteps * JOBQ_STEPS_COLS; i++)
		free(p->steps[i]);
	free(p->steps);
	p->steps = NULL;
	p->nsteps = 0;
}

static void steps_read(void *ud, const struct db_rows *rows, const char *error)
{
	struct queues_pane *p = ud;

	p->steps_busy = false;
	if (!rows || rows->ncols != JOBQ_STEPS_COLS) {
		snprintf(p->steps_error, sizeof(p->steps_error), "Cannot read its steps: %.250s",
			 rows ? "unexpected answer" : error);
	} else {
		steps_free(p);
		p->steps_error[0] = '\0';
		p->nsteps = rows->nrows;
		p->steps = xcalloc(rows->nrows * rows->ncols + 1, sizeof(*p->steps));
		for (size_t i = 0; i < rows->nrows * rows->ncols; i++)
			p->steps[i] = xstrdup(rows->cells[i] ? rows->cells[i] : "");
	}
	app_redraw(p->app);
}

static void load_steps(struct queues_pane *p)
{
	struct db_req r;

	if (p->steps_busy)
		return;
	jobq_req_steps(&r, p->detail_id);
	p->steps_busy = true;
	db_live_query(p->live, &r, steps_read, p);
}

static void live_changed(void *ud, const struct db_live_change *ch)
{
	struct queues_pane *p = ud;

	/* A job or a step that changed shows as a store whose jobs changed. */
	if (ch->state || ch->stores_all || ch->njob_store_ids > 0)
		load(p);
	app_redraw(p->app);
}

static void tick(struct loop *loop, void *ud)
{
	struct queues_pane *p = ud;

	(void)loop;
	if (app_active_pane(p->app) == PANE_QUEUES)
		load(p);
}

/* ---- actions ---- */

static const struct jobq_job *cursor_job(struct queues_pane *p)
{
	struct table_model *tm = table_model(p->table);
	const char *key;
	long id;

	if (p->detail_open)
		return job_by_id(p, p->detail_id);
	if (table_model_nvisible(tm) == 0)
		return NULL;
	key = table_model_key(tm, table_model_cursor(tm));
	return key && str_to_long(key, 1, 1L << 52, &id) ? job_by_id(p, id) : NULL;
}

/* The answer of a retry (the new job's id, or NULL) or of a cancel
 * ('cancelled', or 'running': it stops at its next step), in words. */
static void op_done(struct queues_pane *p, bool retry, const struct db_rows *rows,
		    const char *error)
{
	const char *v = rows && rows->nrows == 1 && rows->ncols == 1 ? rows->cells[0] : NULL;

	if (!rows)
		app_error(p->app, "%s", error);
	else if (retry && v)
		app_info(p->app, "Job %ld runs again as job %s", p->act_id, v);
	else if (retry)
		app_info(p->app, "Job %ld: nothing needs running; the store has what it asked for",
			 p->act_id);
	else if (v && strcmp(v, "running") == 0)
		app_info(p->app, "Job %ld is running: it is cancelled at its next step", p->act_id);
	else
		app_info(p->app, "Job %ld is cancelled", p->act_id);
	load(p);
	app_redraw(p->app);
}

static void retry_done(void *ud, const struct db_rows *rows, const char *error)
{
	op_done(ud, true, rows, error);
}

static void cancel_done(void *ud, const struct db_rows *rows, const char *error)
{
	op_done(ud, false, rows, error);
}

static void retry(struct queues_pane *p)
{
	const struct jobq_job *j = cursor_job(p);
	struct err err = {{0}};
	struct db_req r;

	if (app_read_only(p->app)) {
		app_error(p->app, "read-only mode: refusing to retry a job");
		return;
	}
	if (!j)
		return;
	if (!jobq_req_retry(&r, app_conf(p->app), j->id, &err)) {
		app_error(p->app, "%s", err.msg);
		return;
	}
	p->act_id = j->id;
	app_info(p->app, "Retrying job %ld (%s of store %s)…", j->id, j->kind, j->store);
	db_live_query(p->live, &r, retry_done, p);
}

static void cancel_confirmed(struct app *app, void *ud)
{
	struct queues_pane *p = ud;
	struct err err = {{0}};
	struct db_req r;

	if (!jobq_req_cancel(&r, app_conf(app), p->act_id, &err)) {
		app_error(app, "%s", err.msg);
		return;
	}
	app_info(app, "Cancelling job %ld…", p->act_id);
	db_live_query(p->live, &r, cancel_done, p);
}

static void ask_cancel(struct queues_pane *p)
{
	const struct jobq_job *j = cursor_job(p);
	char q[300];

	if (app_read_only(p->app)) {
		app_error(p->app, "read-only mode: refusing to cancel a job");
		return;
	}
	if (!j)
		return;
	if (strcmp(j->state, "queued") != 0 && strcmp(j->state, "running") != 0) {
		app_error(p->app, "Job %ld is %s; only a queued or running job can be cancelled",
			  j->id, j->state);
		return;
	}
	p->act_id = j->id;
	snprintf(q, sizeof(q), "Cancel job %ld (%s of store %s %s)%s?", j->id, j->kind,
		 j->store_name, j->store,
		 strcmp(j->state, "running") == 0 ? ": it stops at its next step" : "");
	app_confirm(p->app, q, cancel_confirmed, p);
}

static void open_detail(struct queues_pane *p)
{
	const struct jobq_job *j = cursor_job(p);

	if (!j)
		return;
	p->detail_open = true;
	p->detail_id = j->id;
	steps_free(p);
	p->steps_error[0] = '\0';
	load_steps(p);
}

/* ---- drawing ---- */

/* A section of the pane: its title line, then what it draws. */
struct queues_section {
	const char *title;
	/* The summary on the title line. */
	void (*summary)(struct queues_pane *p, char *buf, size_t bufsz);
	void (*draw)(struct queues_pane *p, const struct rect *r);
};

static void jobs_summary(struct queues_pane *p, char *buf, size_t bufsz)
{
	if (!p->counts.have) {
		snprintf(buf, bufsz, "%s", p->have ? "" : "reading…");
		return;
	}
	jobq_counts_text(&p->counts, buf, bufsz);
}

static void draw_detail(struct queues_pane *p, const struct rect *r)
{
	const struct jobq_job *j0 = job_by_id(p, p->detail_id);
	struct jobq_job j;
	char line[700], when[96], alert[600];
	int y = r->y, end = r->y + r->h;

	if (!j0) {
		draw_text(y, r->x, r->w, "The job is no longer listed (Esc goes back).",
			  style_attr(ROLE_DIM), 1);
		return;
	}
	j = *j0;
	jobq_job_age(&j, elapsed_s(p));
	jobq_when_text(&j, when, sizeof(when));
	jobq_alert_text(&j, &p->lim, alert, sizeof(alert));
	snprintf(line, sizeof(line),
		 "Job %ld: %s of store %s (%s), %s%s%s, attempt %ld of %ld, %s%s", j.id, j.kind,
		 j.store_name, j.store, j.state, j.step[0] ? " at step " : "", j.step, j.attempts,
		 j.max_attempts, j.finished[0] ? "finished " : "", when);
	draw_text(y++, r->x, r->w, line, style_attr(ROLE_TITLE), 1);
	if (y < end && j.runner[0]) {
		snprintf(line, sizeof(line), "Runner %s%s%s", j.runner,
			 j.cancel_by[0] ? "; asked to stop by " : "", j.cancel_by);
		draw_text(y++, r->x, r->w, line, style_attr(ROLE_NORMAL), 1);
	}
	if (y < end && alert[0]) {
		struct rect a = {y, r->x, 2, r->w};

		snprintf(line, sizeof(line), "Stuck: %s", alert);
		a.h = draw_wrapped_height(line, r->w) < 2 ? 1 : 2;
		draw_wrapped(&a, line, style_attr(ROLE_STATE_BAD));
		y += a.h;
	}
	if (y < end && j.last_error[0]) {
		char *text = xasprintf("Last error: %s", j.last_error);
		int h = draw_wrapped_height(text, r->w);
		struct rect e = {y, r->x, h < end - y - 2 ? h : end - y - 2, r->w};

		if (e.h > 0) {
			draw_wrapped(&e, text, style_attr(ROLE_NORMAL));
			y += e.h;
		}
		free(text);
	}
	if (y < end)
		draw_text(y++, r->x, r->w, "", style_attr(ROLE_NORMAL), 1);
	if (y < end)
		draw_text(y++, r->x, r->w,
			  "ATTEMPT STEP          OUTCOME    TOOK  STARTED              "
			  "RUNNER / MESSAGE",
			  style_attr(ROLE_COLUMN_HEADER), 1);
	if (p->steps_error[0] && y < end)
		draw_text(y++, r->x, r->w, p->steps_error, style_attr(ROLE_MSG_ERROR), 1);
	if (!p->nsteps && !p->steps_error[0] && y < end)
		draw_text(y++, r->x, r->w, p->steps_busy ? "reading…" : "No step yet.",
			  style_attr(ROLE_DIM), 1);
	for (size_t i = 0; i < p->nsteps && y < end; i++) {
		char **c = p->steps + i * JOBQ_STEPS_COLS;
		char took[24];
		long s = 0;

		str_to_long(c[6], 0, 1L << 40, &s);
		str_age(s, took, sizeof(took));
		snprintf(line, sizeof(line), "%7s %-13s %-10s %5s %-20s %s%s%s", c[0], c[1],
			 c[5][0] ? c[5] : "running", took, c[3], c[2], c[7][0] ? ": " : "", c[7]);
		draw_text(y++, r->x, r->w, line,
			  style_attr(strcmp(c[5], "failed") == 0 ? ROLE_STATE_BAD : ROLE_NORMAL),
			  1);
	}
	while (y < end)
		draw_fill(y++, r->x, r->w, style_attr(ROLE_NORMAL));
}

/* The table, the kinds' counts above it and the row under the cursor
 * below it, told whole with what can be done. */
static void jobs_draw(struct queues_pane *p, const struct rect *r)
{
	char kinds[400], foot[900], keys[80] = "";
	const struct jobq_job *j0 = cursor_job(p);
	struct rect t = *r;

	if (p->detail_open) {
		struct rect d = {r->y, r->x + 1, r->h, r->w - 2};

		draw_detail(p, &d);
		return;
	}
	if (elapsed_s(p) != p->built_s)
		rebuild(p); /* the ages, as of now */
	jobq_counts_kinds_text(&p->counts, kinds, sizeof(kinds));
	if (t.h > 8 && kinds[0]) {
		draw_text(t.y, t.x + 1, t.w - 2, kinds, style_attr(ROLE_DIM), 1);
		t.y++;
		t.h--;
	}
	foot[0] = '\0';
	if (j0) {
		struct jobq_job j = *j0;
		char alert[600], r_keys[32] = "", x_keys[32] = "";

		jobq_job_age(&j, elapsed_s(p));
		jobq_alert_text(&j, &p->lim, alert, sizeof(alert));
		keymap_describe(app_keymap(p->app), ACTION_QUEUES_RETRY, r_keys, sizeof(r_keys));
		keymap_describe(app_keymap(p->app), ACTION_QUEUES_CANCEL, x_keys, sizeof(x_keys));
		r_keys[strcspn(r_keys, ",")] = '\0';
		x_keys[strcspn(x_keys, ",")] = '\0';
		if (strcmp(j.state, "failed") == 0 || strcmp(j.state, "cancelled") == 0)
			snprintf(keys, sizeof(keys), " (%s retries it)", r_keys);
		else if (strcmp(j.state, "queued") == 0 || strcmp(j.state, "running") == 0)
			snprintf(keys, sizeof(keys), " (%s cancels it)", x_keys);
		snprintf(foot, sizeof(foot), "Job %ld, %s of %s: %s%s%s%s%s", j.id, j.kind,
			 j.store_name, j.state, keys, alert[0] ? "; stuck: " : "", alert,
			 j.last_error[0] && !alert[0] ? "; last error: " : "");
		if (j.last_error[0] && !alert[0])
			snprintf(foot + strlen(foot), sizeof(foot) - strlen(foot), "%.400s",
				 j.last_error);
	}
	if (t.h >= FOOTER_LINES + 5)
		table_draw_footed(p->table, &t, true, foot, FOOTER_LINES, style_attr(ROLE_NORMAL));
	else
		table_draw(p->table, &t, true);
}

static const struct queues_section sections[] = {
    {"Jobs", jobs_summary, jobs_draw},
};

static void queues_draw(void *st, struct app *app, const struct rect *r)
{
	struct queues_pane *p = st;
	struct rect body = *r;
	char summary[400], line[500];

	if (!app_db_configured(app)) {
		pane_notice_database(app, r, "Queues", "provisioning jobs");
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(sections) && body.h > 2; i++) {
		/* The last section takes what is left; the others a fair share. */
		int h = i + 1 == ARRAY_LEN(sections) ? body.h : body.h / 2;
		struct rect sr = {body.y + 1, body.x, h - 1, body.w};

		sections[i].summary(p, summary, sizeof(summary));
		snprintf(line, sizeof(line), " %s%s%s", sections[i].title, summary[0] ? ": " : "",
			 summary);
		draw_text(body.y, body.x, body.w, line, style_attr(ROLE_TITLE), 1);
		sections[i].draw(p, &sr);
		body.y += h;
		body.h -= h;
	}
}

/* ---- the pane ---- */

static void *queues_init(struct app *app)
{
	struct queues_pane *p = xcalloc(1, sizeof(*p));

	p->app = app;
	p->table = table_new("Jobs", job_cols, ARRAY_LEN(job_cols));
	jobq_limits_from_conf(&p->lim, app_conf(app));
	jobq_counts_init(&p->counts);
	table_set_empty_text(p->table, "Reading the jobs…");
	if (app_db_configured(app)) {
		p->live = db_live_join(app_loop(app), app_conf(app), live_changed, p);
		p->tick = loop_timer_add(app_loop(app), REFRESH_MS, REFRESH_MS, tick, p);
		load(p);
	}
	return p;
}

static void queues_destroy(void *st)
{
	struct queues_pane *p = st;

	if (p->tick)
		loop_timer_cancel(p->tick);
	db_live_leave(p->live, live_changed, p);
	free_jobs(p);
	steps_free(p);
	table_free(p->table);
	free(p);
}

static void queues_show(void *st, struct app *app, const char *arg)
{
	struct queues_pane *p = st;

	if (arg)
		table_model_set_filter(table_model(p->table), arg);
	jobq_limits_from_conf(&p->lim, app_conf(app));
	load(p);
}

static unsigned queues_event(void *st, struct app *app, const struct app_event *ev)
{
	struct queues_pane *p = st;

	if (ev->kind != APP_EVENT_CONF)
		return PANE_IGNORED;
	jobq_limits_from_conf(&p->lim, app_conf(app));
	return PANE_REDRAW;
}

static unsigned queues_key(void *st, struct app *app, enum action a, keycode k)
{
	struct queues_pane *p = st;

	(void)k;
	if (!app_db_configured(app))
		return PANE_IGNORED;
	if (p->detail_open && a == ACTION_CANCEL) {
		p->detail_open = false;
		return PANE_HANDLED | PANE_REDRAW;
	}
	switch (a) {
	case ACTION_QUEUES_RETRY:
		retry(p);
		return PANE_HANDLED | PANE_REDRAW;
	case ACTION_QUEUES_CANCEL:
		ask_cancel(p);
		return PANE_HANDLED | PANE_REDRAW;
	case ACTION_SELECT:
		if (p->detail_open)
			return PANE_HANDLED;
		open_detail(p);
		return PANE_HANDLED | PANE_REDRAW;
	default:
		return PANE_IGNORED;
	}
}

static struct table *queues_table(void *st)
{
	struct queues_pane *p = st;

	return p->detail_open || !p->live ? NULL : p->table;
}

const struct pane_ops pane_queues_ops = {
    .args = "[FILTER]",
    .help = "Show the Queues pane: the job queue (R retries a job, X cancels one)",
    .init = queues_init,
    .destroy = queues_destroy,
    .draw = queues_draw,
    .on_key = queues_key,
    .on_show = queues_show,
    .on_event = queues_event,
    .table = queues_table,
};
