#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db/jobq.h"
#include "db/clusters.h"
#include "db/live.h"
#include "kube/http.h"
#include "kube/kafkatopic.h"
#include "kube/registry.h"
#include "lineedit.h"
#include "mq/queuewatch.h"
#include "mq/rabbit.h"
#include "pane.h"
#include "pane_notice.h"
#include "panes.h"
#include "style.h"
#include "table.h"
#include "term.h"

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
 * row changing. Everything goes through the console's db_live.
 *
 * The RabbitMQ section (when the settings list brokers) presents
 * mq/queuewatch: a line per broker (version, node, totals, or why it
 * failed, in words) over a table of its queues, work queues first and
 * Celery's own after them, each with its depth trend of the last ten
 * minutes. It polls only while the pane is shown. queues.section (s)
 * moves the cursor between the sections; on a queue, queues.peek (p, or
 * Enter) shows its first messages, which stay in it; queues.purge (d)
 * purges it, or the marked ones, once its name (or their count) is typed;
 * queues.move (m) moves its messages to a queue named in a prompt (a
 * dead-letter queue's origin offered, Tab completing). Each action is
 * refused in read-only mode and its audit event written first, as the
 * CLI does. */

#define REFRESH_MS 5000
#define VISIBILITY_MS 1000

enum { FOCUS_JOBS, FOCUS_RABBIT, FOCUS_KAFKA };
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
	struct job_act *job_acts; /* retries and cancels under way, each with its job */
	long built_s; /* the rows' ages are as of this many seconds after the read */
	/* RabbitMQ: the brokers' queues */
	struct queuewatch *qw; /* NULL: no broker in the settings */
	struct rabbit **rabbits; /* per broker, for the actions; made at first use */
	struct loop_timer *vis;
	struct table *rtable;
	int focus;
	/* each under way on its own: a peek's answer is never taken for a
	 * purge's or a move's */
	struct rabbit_op *peek_op;
	struct rabbit_op *act_op; /* the purge or move under way */
	bool peek_open;
	char *peek_text;
	char peek_title[RABBIT_SHOWN_MAX * 2 + 100];
	/* the queue a peek asks consent for (a quorum queue) */
	size_t peek_bi;
	char peek_vhost[RABBIT_NAME_MAX], peek_name[RABBIT_NAME_MAX];
	/* a purge (of one or several queues) or a move: one queue at a time */
	char **act_keys;
	size_t nact, act_next, act_done, act_failed;
	bool act_move, act_marked; /* act_marked: the subjects are the marked rows */
	char act_want[RABBIT_SHOWN_MAX]; /* typed back: the name as shown, or the count */
	size_t act_bi;
	char act_vhost[RABBIT_NAME_MAX], act_from[RABBIT_NAME_MAX], act_to[RABBIT_NAME_MAX];
	/* Kafka: the KafkaTopics of the clusters */
	struct kube_registry *kube;
	struct table *ktable;
	struct kafka_cluster **kc;
	size_t nkc;
};

/* ---- reading ---- */

static void load(struct queues_pane *p);
static void load_steps(struct queues_pane *p);
static void kafka_sync(struct queues_pane *p);

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
	kafka_sync(p);
	app_redraw(p->app);
}

static void tick(struct loop *loop, void *ud)
{
	struct queues_pane *p = ud;

	(void)loop;
	if (app_active_pane(p->app) == PANE_QUEUES) {
		load(p);
		kafka_sync(p);
	}
}

/* RabbitMQ is polled only while the pane is on screen. */
static void rabbit_follow_visibility(struct queues_pane *p);

static void visibility(struct loop *loop, void *ud)
{
	(void)loop;
	rabbit_follow_visibility(ud);
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

/* A retry or a cancel under way: its answer is told of its own job, however
 * many others were asked for meanwhile. */
struct job_act {
	struct queues_pane *p;
	long id;
	bool retry;
	struct job_act *next;
};

static struct job_act *job_act_new(struct queues_pane *p, long id, bool retry)
{
	struct job_act *a = xcalloc(1, sizeof(*a));

	a->p = p;
	a->id = id;
	a->retry = retry;
	a->next = p->job_acts;
	p->job_acts = a;
	return a;
}

static void job_act_free(struct job_act *a)
{
	struct job_act **pp = &a->p->job_acts;

	while (*pp && *pp != a)
		pp = &(*pp)->next;
	if (*pp)
		*pp = a->next;
	free(a);
}

/* The answer of a retry (the new job's id, or NULL) or of a cancel
 * ('cancelled', or 'running': it stops at its next step), in words. */
static void op_done(void *ud, const struct db_rows *rows, const char *error)
{
	struct job_act *a = ud;
	struct queues_pane *p = a->p;
	const char *v = rows && rows->nrows == 1 && rows->ncols == 1 ? rows->cells[0] : NULL;

	if (!rows)
		app_error(p->app, "%s", error);
	else if (a->retry && v)
		app_info(p->app, "Job %ld runs again as job %s", a->id, v);
	else if (a->retry)
		app_info(p->app, "Job %ld: nothing needs running; the store has what it asked for",
			 a->id);
	else if (v && strcmp(v, "running") == 0)
		app_info(p->app, "Job %ld is running: it is cancelled at its next step", a->id);
	else
		app_info(p->app, "Job %ld is cancelled", a->id);
	job_act_free(a);
	load(p);
	app_redraw(p->app);
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
	app_info(p->app, "Retrying job %ld (%s of store %s)…", j->id, j->kind, j->store);
	db_live_query(p->live, &r, op_done, job_act_new(p, j->id, true));
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
	db_live_query(p->live, &r, op_done, job_act_new(p, p->act_id, false));
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
		snprintf(line, sizeof(line), "Runner %s", j.runner);
		draw_text(y++, r->x, r->w, line, style_attr(ROLE_NORMAL), 1);
	}
	if (y < end && j.cancel_by[0]) {
		char cancel[400];

		jobq_cancel_text(&j, cancel, sizeof(cancel));
		snprintf(line, sizeof(line), "Cancel: %s", cancel);
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

/* ---- RabbitMQ: the brokers of mq/queuewatch, their queues ---- */

enum {
	RC_BROKER,
	RC_VHOST,
	RC_QUEUE,
	RC_GROUP,
	RC_TYPE,
	RC_STATE,
	RC_READY,
	RC_UNACKED,
	RC_TOTAL,
	RC_CONS,
	RC_PUB,
	RC_DELIVER,
	RC_ACK,
	RC_TREND,
};

#define TREND_WIDTH 10
#define PEEK_COUNT 5

static const struct table_column rabbit_cols[] = {
    [RC_BROKER] = {"BROKER", 6, 16, 0, TABLE_LEFT, 9},
    [RC_VHOST] = {"VHOST", 5, 16, 0, TABLE_LEFT, 8},
    [RC_QUEUE] = {"QUEUE", 20, 48, 1, TABLE_LEFT, 0},
    [RC_GROUP] = {"GROUP", 6, 6, 0, TABLE_LEFT, 5},
    [RC_TYPE] = {"TYPE", 7, 7, 0, TABLE_LEFT, 7},
    [RC_STATE] = {"STATE", 7, 8, 0, TABLE_LEFT, 4},
    [RC_READY] = {"READY", 5, 9, 0, TABLE_RIGHT, 0},
    [RC_UNACKED] = {"UNACKED", 7, 9, 0, TABLE_RIGHT, 2},
    [RC_TOTAL] = {"TOTAL", 5, 9, 0, TABLE_RIGHT, 0},
    [RC_CONS] = {"CONS", 4, 6, 0, TABLE_RIGHT, 3},
    [RC_PUB] = {"PUB/S", 5, 8, 0, TABLE_RIGHT, 10},
    [RC_DELIVER] = {"DLV/S", 5, 8, 0, TABLE_RIGHT, 10},
    [RC_ACK] = {"ACK/S", 5, 8, 0, TABLE_RIGHT, 11},
    [RC_TREND] = {"TREND 10m", TREND_WIDTH, TREND_WIDTH, 0, TABLE_LEFT, 1},
};

/* A queue's row key: broker, vhost and name, apart by a unit separator;
 * the names (which may hold any character) percent-encoded. */
static void queue_key(char *buf, size_t bufsz, const char *broker, const char *vhost,
		      const char *name)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s\x1f", broker);
	rabbit_path_segment(&b, vhost);
	buf_putc(&b, '\x1f');
	rabbit_path_segment(&b, name);
	snprintf(buf, bufsz, "%s", buf_str(&b));
	buf_free(&b);
}

/* The broker index, vhost and name (exact) of a row key; false if it
 * names none. */
static bool queue_of_key(const struct queues_pane *p, const char *key, size_t *bi, char *vhost,
			 size_t vsz, char *name, size_t nsz)
{
	const char *a = key ? strchr(key, '\x1f') : NULL;
	const char *b = a ? strchr(a + 1, '\x1f') : NULL;

	if (!b || !p->qw)
		return false;
	for (size_t i = 0; i < queuewatch_count(p->qw); i++) {
		const char *bn = queuewatch_broker(p->qw, i)->name;

		if (strlen(bn) == (size_t)(a - key) && strncmp(bn, key, (size_t)(a - key)) == 0) {
			*bi = i;
			return rabbit_segment_decode(a + 1, (size_t)(b - a - 1), vhost, vsz) &&
			       rabbit_segment_decode(b + 1, strlen(b + 1), name, nsz);
		}
	}
	return false;
}

static const struct rabbit_queue *find_queue(const struct queues_pane *p, size_t bi,
					     const char *vhost, const char *name)
{
	const struct queuewatch_broker *b = queuewatch_broker(p->qw, bi);

	for (size_t i = 0; i < b->queues.n; i++) {
		const struct rabbit_queue *q = &b->queues.v[i];

		if (strcmp(q->vhost, vhost) == 0 && strcmp(q->name, name) == 0)
			return q;
	}
	return NULL;
}

static void fmt_count(char *buf, size_t bufsz, bool have, long v)
{
	if (have)
		snprintf(buf, bufsz, "%ld", v);
	else
		snprintf(buf, bufsz, "-");
}

static void fmt_rate(char *buf, size_t bufsz, bool have, double v)
{
	if (have)
		snprintf(buf, bufsz, "%.1f", v);
	else
		snprintf(buf, bufsz, "-");
}

/* The depth trend drawn with block characters (or ASCII without UTF-8). */
static void trend_text(const struct queues_pane *p, size_t bi, const struct rabbit_queue *q,
		       char *buf, size_t bufsz)
{
	static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char ascii[] = "_.-:=+*#";
	long pts[QUEUEWATCH_TREND_POINTS];
	int lv[TREND_WIDTH];
	size_t used = 0;

	buf[0] = '\0';
	if (!queuewatch_trend(p->qw, bi, q->vhost, q->name, pts))
		return;
	qtrend_levels(pts, TREND_WIDTH, 8, lv);
	for (int c = 0; c < TREND_WIDTH && used + 4 < bufsz; c++) {
		const char *s = lv[c] < 0 ? " " : term_utf8() ? blocks[lv[c]] : NULL;
		char one[2] = {ascii[lv[c] < 0 ? 0 : lv[c]], '\0'};

		if (!s)
			s = one;
		used += (size_t)snprintf(buf + used, bufsz - used, "%s", s);
	}
}

static void rabbit_add_rows(struct queues_pane *p, struct table_model *tm, size_t bi,
			    enum rabbit_queue_kind kind)
{
	const struct queuewatch_broker *b = queuewatch_broker(p->qw, bi);

	for (size_t i = 0; i < b->queues.n; i++) {
		const struct rabbit_queue *q = &b->queues.v[i];
		char key[7 * RABBIT_NAME_MAX], ready[24], unacked[24], total[24], cons[24];
		char pub[24], dlv[24], ack[24], trend[TREND_WIDTH * 4 + 1];
		char vhost[RABBIT_SHOWN_MAX], name[RABBIT_SHOWN_MAX];
		const char *cells[] = {[RC_BROKER] = b->name,
				       [RC_VHOST] = vhost,
				       [RC_QUEUE] = name,
				       [RC_GROUP] = kind == RABBIT_QUEUE_CELERY ? "celery" : "work",
				       [RC_TYPE] = q->type,
				       [RC_STATE] = q->state[0] ? q->state : "-",
				       [RC_READY] = ready,
				       [RC_UNACKED] = unacked,
				       [RC_TOTAL] = total,
				       [RC_CONS] = cons,
				       [RC_PUB] = pub,
				       [RC_DELIVER] = dlv,
				       [RC_ACK] = ack,
				       [RC_TREND] = trend};
		int role = ROLE_NORMAL;

		if (q->kind != kind)
			continue;
		rabbit_name_shown(q->vhost, vhost, sizeof(vhost));
		rabbit_name_shown(q->name, name, sizeof(name));
		queue_key(key, sizeof(key), b->name, q->vhost, q->name);
		fmt_count(ready, sizeof(ready), q->counted, q->ready);
		fmt_count(unacked, sizeof(unacked), q->counted, q->unacked);
		fmt_count(total, sizeof(total), q->counted, q->messages);
		fmt_count(cons, sizeof(cons), q->counted, q->consumers);
		fmt_rate(pub, sizeof(pub), q->rates & RABBIT_RATE_PUBLISH, q->publish_rate);
		fmt_rate(dlv, sizeof(dlv), q->rates & RABBIT_RATE_DELIVER, q->deliver_rate);
		fmt_rate(ack, sizeof(ack), q->rates & RABBIT_RATE_ACK, q->ack_rate);
		trend_text(p, bi, q, trend, sizeof(trend));
		if (kind == RABBIT_QUEUE_CELERY)
			role = ROLE_DIM;
		if (q->state[0] && strcmp(q->state, "running") != 0 && strcmp(q->state, "idle") != 0)
			role = ROLE_STATE_BAD;
		else if (b->state == QUEUEWATCH_FAILED)
			role = ROLE_STATE_OFF;
		table_model_add(tm, key, cells, role, -1);
	}
}

/* Work queues first, Celery's own after them, broker by broker. */
static void rabbit_rebuild(struct queues_pane *p)
{
	struct table_model *tm = table_model(p->rtable);

	table_model_begin(tm);
	for (int kind = RABBIT_QUEUE_WORK; kind <= RABBIT_QUEUE_CELERY; kind++) {
		for (size_t bi = 0; bi < queuewatch_count(p->qw); bi++)
			rabbit_add_rows(p, tm, bi, (enum rabbit_queue_kind)kind);
	}
	table_model_end(tm);
	table_set_empty_text(p->rtable, "No queue listed.");
}

static void rabbit_changed(void *ud)
{
	struct queues_pane *p = ud;

	rabbit_rebuild(p);
	app_redraw(p->app);
}

/* Polls only while the pane is on screen. */
static void rabbit_follow_visibility(struct queues_pane *p)
{
	if (p->qw)
		queuewatch_pause(p->qw, app_active_pane(p->app) != PANE_QUEUES);
}

static struct rabbit *rabbit_client(struct queues_pane *p, size_t bi)
{
	const struct conf *c = app_conf(p->app);
	struct err err = {{0}};

	if (!p->rabbits[bi]) {
		p->rabbits[bi] = rabbit_new(app_loop(p->app), c, &c->brokers[bi], &err);
		if (!p->rabbits[bi])
			app_error(p->app, "%s", err.msg);
	}
	return p->rabbits[bi];
}

/* The queue under the cursor of the RabbitMQ table. */
static const struct rabbit_queue *cursor_queue(struct queues_pane *p, size_t *bi)
{
	struct table_model *tm = table_model(p->rtable);
	char vhost[RABBIT_NAME_MAX], name[RABBIT_NAME_MAX];

	if (!p->qw || table_model_nvisible(tm) == 0)
		return NULL;
	if (!queue_of_key(p, table_model_key(tm, table_model_cursor(tm)), bi, vhost,
			  sizeof(vhost), name, sizeof(name)))
		return NULL;
	return find_queue(p, *bi, vhost, name);
}

static void act_clear(struct queues_pane *p)
{
	for (size_t i = 0; i < p->nact; i++)
		free(p->act_keys[i]);
	free(p->act_keys);
	p->act_keys = NULL;
	p->nact = p->act_next = 0;
	p->act_done = p->act_failed = 0;
	p->act_marked = false;
}

/* ---- peek ---- */

static void peek_start(struct queues_pane *p, unsigned flags);

static void peek_agreed(struct app *app, void *ud)
{
	(void)app;
	peek_start(ud, RABBIT_PEEK_AGREED);
}

static void peek_done(struct rabbit_result *res, const struct err *err, void *ud)
{
	struct queues_pane *p = ud;
	struct buf b = {0};
	char after[RABBIT_SHOWN_MAX + 200], question[RABBIT_SHOWN_MAX + 100], name[200];
	char limit[32] = "";

	p->peek_op = NULL;
	if (err && res->needs_consent) {
		/* a quorum queue: each peek counts as a delivery; why, in the
		 * message line, and the question short enough for the dialog */
		rabbit_name_shown(res->queue.name, name, sizeof(name));
		if (res->queue.delivery_limit >= 0)
			snprintf(limit, sizeof(limit), " (%ld)", res->queue.delivery_limit);
		snprintf(question, sizeof(question),
			 "Peek at quorum queue %s? Each peek counts against its delivery limit%s",
			 name, limit);
		app_error(p->app, "%s", err->msg);
		app_confirm(p->app, question, peek_agreed, p);
		app_redraw(p->app);
		return;
	}
	if (err) {
		app_error(p->app, "%s", err->msg);
		return;
	}
	if (res->messages.n == 0)
		buf_printf(&b, "The queue holds no ready message.\n");
	for (size_t i = 0; i < res->messages.n; i++) {
		const struct rabbit_message *m = &res->messages.v[i];

		buf_printf(&b, "Message %zu: %ld bytes%s%s, exchange \"%s\", routing key \"%s\"%s\n",
			   i + 1, m->payload_bytes, m->base64 ? " (base64)" : "",
			   m->truncated ? ", shown cut" : "", m->exchange, m->routing_key,
			   m->redelivered ? ", redelivered" : "");
		buf_printf(&b, "%s\n\n", m->payload ? m->payload : "");
	}
	free(p->peek_text);
	p->peek_text = buf_steal(&b);
	p->peek_open = true;
	/* true per queue type: a quorum queue counted a delivery */
	rabbit_peek_after(&res->queue, after, sizeof(after));
	app_info(p->app, "Peeked at %zu message%s; %s", res->messages.n,
		 res->messages.n == 1 ? "" : "s", after);
	app_redraw(p->app);
}

/* Peeks at the queue of peek_bi, peek_vhost and peek_name. */
static void peek_start(struct queues_pane *p, unsigned flags)
{
	struct rabbit *r;
	struct err err = {{0}};

	if (p->peek_op || !(r = rabbit_client(p, p->peek_bi)))
		return;
	p->peek_op = rabbit_peek(r, p->peek_vhost, p->peek_name, PEEK_COUNT, flags, peek_done, p,
				 &err);
	if (!p->peek_op)
		app_error(p->app, "%s", err.msg);
	else
		app_info(p->app, "Reading the first messages of %s…", p->peek_title);
}

/* A queue whose name came cut (longer than the API allows) cannot be
 * named to the broker. */
static bool refuse_inexact(struct queues_pane *p, const struct rabbit_queue *q)
{
	if (q->exact)
		return false;
	app_error(p->app, "The broker gave this queue's name cut: it cannot be acted on here");
	return true;
}

static void peek(struct queues_pane *p)
{
	size_t bi;
	const struct rabbit_queue *q = cursor_queue(p, &bi);
	char vhost[RABBIT_SHOWN_MAX], name[RABBIT_SHOWN_MAX];

	if (!q || refuse_inexact(p, q))
		return;
	if (p->peek_op) {
		app_error(p->app, "A peek is under way; wait for it to end");
		return;
	}
	rabbit_name_shown(q->name, name, sizeof(name));
	rabbit_name_shown(q->vhost, vhost, sizeof(vhost));
	snprintf(p->peek_title, sizeof(p->peek_title), "queue %s (vhost %s) of broker %s", name,
		 vhost, queuewatch_broker(p->qw, bi)->name);
	p->peek_bi = bi;
	str_copy(p->peek_vhost, sizeof(p->peek_vhost), q->vhost);
	str_copy(p->peek_name, sizeof(p->peek_name), q->name);
	peek_start(p, 0);
}

static void peek_draw(struct queues_pane *p, const struct rect *r)
{
	char title[600];
	struct rect t = {r->y + 1, r->x + 1, r->h - 1, r->w - 2};

	snprintf(title, sizeof(title), "The first messages of %.500s (Esc goes back)", p->peek_title);
	draw_text(r->y, r->x + 1, r->w - 2, title, style_attr(ROLE_TITLE), 1);
	if (t.h > 0)
		draw_wrapped(&t, p->peek_text ? p->peek_text : "", style_attr(ROLE_NORMAL));
}

/* ---- purge and move: audited first, then done, one queue at a time ---- */

static void act_step(struct queues_pane *p);

static void act_finish(struct queues_pane *p)
{
	if (p->act_move) {
		char from[RABBIT_SHOWN_MAX], to[RABBIT_SHOWN_MAX];

		rabbit_name_shown(p->act_from, from, sizeof(from));
		rabbit_name_shown(p->act_to, to, sizeof(to));
		if (!p->act_failed)
			app_info(p->app, "Moved the messages of %s to %s", from, to);
	} else if (!p->act_failed) {
		app_info(p->app, "Purged %zu queue%s", p->act_done, p->act_done == 1 ? "" : "s");
	}
	if (p->act_marked)
		table_model_clear_marks(table_model(p->rtable));
	act_clear(p);
	queuewatch_refresh(p->qw);
	app_redraw(p->app);
}

static void action_done(struct rabbit_result *res, const struct err *err, void *ud)
{
	struct queues_pane *p = ud;

	(void)res;
	p->act_op = NULL;
	if (err) {
		p->act_failed++;
		app_error(p->app, "%s", err->msg);
		act_finish(p);
		return;
	}
	p->act_done++;
	act_step(p);
}

/* Runs the action on queue act_keys[act_next - 1] once its event is written. */
static void act_run(struct queues_pane *p)
{
	size_t bi;
	char vhost[RABBIT_NAME_MAX], name[RABBIT_NAME_MAX];
	struct rabbit *r;
	struct err err = {{0}};

	if (!queue_of_key(p, p->act_keys[p->act_next - 1], &bi, vhost, sizeof(vhost), name,
			  sizeof(name)) ||
	    !(r = rabbit_client(p, bi))) {
		p->act_failed++;
		act_finish(p);
		return;
	}
	if (p->act_move)
		p->act_op = rabbit_move(r, vhost, name, p->act_to, action_done, p, &err);
	else
		p->act_op = rabbit_purge(r, vhost, name, action_done, p, &err);
	if (!p->act_op) {
		p->act_failed++;
		app_error(p->app, "%s", err.msg);
		act_finish(p);
	}
}

static void audit_done(void *ud, const struct db_rows *rows, const char *error)
{
	struct queues_pane *p = ud;

	if (!rows) {
		p->act_failed++;
		app_error(p->app, "Cannot write the audit event, nothing done: %s", error);
		act_finish(p);
		return;
	}
	act_run(p);
}

static void act_step(struct queues_pane *p)
{
	size_t bi;
	char vhost[RABBIT_NAME_MAX], name[RABBIT_NAME_MAX];
	struct err err = {{0}};
	struct db_req r;

	if (p->act_next >= p->nact) {
		act_finish(p);
		return;
	}
	if (!queue_of_key(p, p->act_keys[p->act_next++], &bi, vhost, sizeof(vhost), name,
			  sizeof(name))) {
		act_step(p);
		return;
	}
	if (!rabbit_audit_req(&r, app_conf(p->app), queuewatch_broker(p->qw, bi)->name, vhost,
			      name, p->act_move ? p->act_to : NULL, &err)) {
		p->act_failed++;
		app_error(p->app, "%s", err.msg);
		act_finish(p);
		return;
	}
	if (!p->live) {
		db_req_free(&r); /* no database: no trail to write, as the CLI does */
		act_run(p);
		return;
	}
	db_live_query(p->live, &r, audit_done, p);
}

static bool refuse_rabbit(struct queues_pane *p, const char *what)
{
	if (app_read_only(p->app)) {
		app_error(p->app, "read-only mode: refusing to %s", what);
		return true;
	}
	if (p->act_op || p->nact) {
		app_error(p->app, "A queue action is under way; wait for it to end");
		return true;
	}
	return false;
}

/* The text typed back names the queue: as shown, or (one queue) exact. */
static bool purge_confirmed(struct queues_pane *p, const char *text)
{
	size_t bi;
	char vhost[RABBIT_NAME_MAX], name[RABBIT_NAME_MAX];

	if (strcmp(text, p->act_want) == 0)
		return true;
	return !p->act_marked && p->nact == 1 &&
	       queue_of_key(p, p->act_keys[0], &bi, vhost, sizeof(vhost), name, sizeof(name)) &&
	       strcmp(text, name) == 0;
}

static void purge_typed(struct app *app, const char *text, void *ud)
{
	struct queues_pane *p = ud;
	char shown[48];

	if (!text || !purge_confirmed(p, text)) {
		if (text) {
			rabbit_name_shown(text, shown, sizeof(shown));
			app_error(app, "\"%s\" is not \"%s\": nothing purged", shown, p->act_want);
		} else {
			app_info(app, "Nothing purged");
		}
		act_clear(p);
		return;
	}
	app_info(app, "Purging %zu queue%s…", p->nact, p->nact == 1 ? "" : "s");
	act_step(p);
}

static const struct app_prompt_ops purge_prompt = {.on_done = purge_typed};

static void ask_purge(struct queues_pane *p)
{
	struct table_model *tm = table_model(p->rtable);
	size_t bi;
	const struct rabbit_queue *q;
	char key[7 * RABBIT_NAME_MAX];

	if (refuse_rabbit(p, "purge a queue"))
		return;
	p->act_move = false;
	if (table_model_nmarked(tm) > 0) {
		const char **keys = xcalloc(table_model_nmarked(tm), sizeof(*keys));

		p->nact = table_model_marked_keys(tm, keys, table_model_nmarked(tm));
		p->act_keys = xcalloc(p->nact, sizeof(*p->act_keys));
		for (size_t i = 0; i < p->nact; i++)
			p->act_keys[i] = xstrdup(keys[i]);
		free(keys);
		p->act_marked = true;
		snprintf(p->act_want, sizeof(p->act_want), "%zu", p->nact);
		app_info(p->app,
			 "Purge every ready message of %zu marked queues? Type %zu to confirm "
			 "(Esc cancels)",
			 p->nact, p->nact);
		app_prompt(p->app, "Queues: ", "", &purge_prompt, p);
		return;
	}
	if (!(q = cursor_queue(p, &bi)) || refuse_inexact(p, q))
		return;
	queue_key(key, sizeof(key), queuewatch_broker(p->qw, bi)->name, q->vhost, q->name);
	p->nact = 1;
	p->act_keys = xcalloc(1, sizeof(*p->act_keys));
	p->act_keys[0] = xstrdup(key);
	rabbit_name_shown(q->name, p->act_want, sizeof(p->act_want));
	app_info(p->app,
		 "Purge every ready message of queue %s on broker %s? Type its name to confirm "
		 "(Esc cancels)",
		 p->act_want, queuewatch_broker(p->qw, bi)->name);
	app_prompt(p->app, "Queue name: ", "", &purge_prompt, p);
}

/* Tab completes the target queue from the broker's queues of the vhost. */
static bool move_key(struct app *app, struct lineedit *le, keycode k, void *ud)
{
	struct queues_pane *p = ud;
	const struct queuewatch_broker *b;
	const char *typed = lineedit_text(le), *match = NULL;
	size_t n = strlen(typed), nmatch = 0, common = 0;

	(void)app;
	if (k != KC_TAB || p->act_bi >= queuewatch_count(p->qw))
		return false;
	char first[RABBIT_SHOWN_MAX];

	b = queuewatch_broker(p->qw, p->act_bi);
	/* the names as shown: what can be typed */
	for (size_t i = 0; i < b->queues.n; i++) {
		const struct rabbit_queue *q = &b->queues.v[i];
		char name[RABBIT_SHOWN_MAX];

		rabbit_name_shown(q->name, name, sizeof(name));
		if (strcmp(q->vhost, p->act_vhost) != 0 || strncmp(name, typed, n) != 0 ||
		    strcmp(q->name, p->act_from) == 0)
			continue;
		if (!match) {
			str_copy(first, sizeof(first), name);
			match = first;
			common = strlen(match);
		} else {
			size_t c = 0;

			while (c < common && match[c] == name[c])
				c++;
			common = c;
		}
		nmatch++;
	}
	if (match && common >= n) {
		char next[RABBIT_SHOWN_MAX];

		snprintf(next, sizeof(next), "%.*s", (int)common, match);
		lineedit_set(le, next);
		if (nmatch > 1)
			app_info(p->app, "%zu queues start with \"%s\"", nmatch, next);
	}
	return true;
}

/* The queue a typed name means: a listed queue of the vhost shown so (its
 * exact name), else the text itself. */
static void typed_queue(struct queues_pane *p, const char *text, char *out, size_t outsz)
{
	const struct queuewatch_broker *b = queuewatch_broker(p->qw, p->act_bi);
	char name[RABBIT_SHOWN_MAX];

	for (size_t i = 0; b && i < b->queues.n; i++) {
		const struct rabbit_queue *q = &b->queues.v[i];

		if (strcmp(q->vhost, p->act_vhost) != 0 || !q->exact)
			continue;
		rabbit_name_shown(q->name, name, sizeof(name));
		if (strcmp(name, text) == 0) {
			str_copy(out, outsz, q->name);
			return;
		}
	}
	str_copy(out, outsz, text);
}

static void move_typed(struct app *app, const char *text, void *ud)
{
	struct queues_pane *p = ud;
	char key[7 * RABBIT_NAME_MAX], from[RABBIT_SHOWN_MAX], to[RABBIT_SHOWN_MAX];

	if (!text || !text[0]) {
		app_info(app, "Nothing moved");
		return;
	}
	if (!rabbit_valid_queue_name(text)) {
		app_error(app, "Not a queue name: 1 to 255 bytes of UTF-8 text");
		return;
	}
	typed_queue(p, text, p->act_to, sizeof(p->act_to));
	if (strcmp(p->act_to, p->act_from) == 0) {
		app_error(app, "A queue's messages cannot be moved to itself: nothing moved");
		return;
	}
	queue_key(key, sizeof(key), queuewatch_broker(p->qw, p->act_bi)->name, p->act_vhost,
		  p->act_from);
	p->act_move = true;
	p->nact = 1;
	p->act_keys = xcalloc(1, sizeof(*p->act_keys));
	p->act_keys[0] = xstrdup(key);
	rabbit_name_shown(p->act_from, from, sizeof(from));
	rabbit_name_shown(p->act_to, to, sizeof(to));
	app_info(app, "Moving the messages of %s to %s…", from, to);
	act_step(p);
}

static const struct app_prompt_ops move_prompt = {.on_key = move_key, .on_done = move_typed};

static void ask_move(struct queues_pane *p)
{
	size_t bi;
	const struct rabbit_queue *q;
	char origin[RABBIT_NAME_MAX], shown_origin[RABBIT_SHOWN_MAX], name[RABBIT_SHOWN_MAX];
	char label[32];

	if (refuse_rabbit(p, "move a queue's messages") || !(q = cursor_queue(p, &bi)) ||
	    refuse_inexact(p, q))
		return;
	p->act_bi = bi;
	str_copy(p->act_vhost, sizeof(p->act_vhost), q->vhost);
	str_copy(p->act_from, sizeof(p->act_from), q->name);
	rabbit_dlq_origin(q->name, origin, sizeof(origin));
	rabbit_name_shown(origin, shown_origin, sizeof(shown_origin));
	rabbit_name_shown(q->name, name, sizeof(name));
	snprintf(label, sizeof(label), "To queue: ");
	app_info(p->app,
		 "Move the messages of %s to queue…: Enter moves them (Tab completes a queue "
		 "name, Esc cancels)",
		 name);
	app_prompt(p->app, label, shown_origin, &move_prompt, p);
}

/* ---- drawing ---- */

/* The first key of an action in the active key map. */
static void first_key(struct queues_pane *p, enum action a, char *buf, size_t bufsz)
{
	keymap_describe(app_keymap(p->app), a, buf, bufsz);
	buf[strcspn(buf, ",")] = '\0';
}

static void rabbit_summary(struct queues_pane *p, char *buf, size_t bufsz)
{
	size_t nq = 0, failing = 0, n = queuewatch_count(p->qw);
	long msgs = 0;
	int used;

	for (size_t i = 0; i < n; i++) {
		const struct queuewatch_broker *b = queuewatch_broker(p->qw, i);

		nq += b->queues.n;
		for (size_t j = 0; j < b->queues.n; j++)
			msgs += b->queues.v[j].counted ? b->queues.v[j].messages : 0;
		failing += b->state == QUEUEWATCH_FAILED;
	}
	used = snprintf(buf, bufsz, "%zu broker%s · %zu queue%s · %ld message%s", n,
			n == 1 ? "" : "s", nq, nq == 1 ? "" : "s", msgs, msgs == 1 ? "" : "s");
	if (failing && used > 0 && (size_t)used < bufsz)
		snprintf(buf + used, bufsz - (size_t)used, " · %zu failing", failing);
}

/* One line per broker: its version, node and totals, or why it failed. */
static void broker_line(const struct queuewatch_broker *b, char *buf, size_t bufsz, int *role)
{
	const struct rabbit_overview *o = &b->overview;

	*role = ROLE_NORMAL;
	if (b->state == QUEUEWATCH_WAITING) {
		snprintf(buf, bufsz, "%s: reading…", b->name);
		*role = ROLE_DIM;
		return;
	}
	if (b->state == QUEUEWATCH_FAILED) {
		char age[24] = "";

		if (b->listed_ms)
			str_age((long)((loop_now_ms() - b->listed_ms) / 1000u), age, sizeof(age));
		snprintf(buf, bufsz, "%s%s%s%s", b->error, age[0] ? " (queues as of " : "", age,
			 age[0] ? " ago)" : "");
		*role = ROLE_STATE_BAD;
		return;
	}
	if (o->counted)
		snprintf(buf, bufsz,
			 "%s: RabbitMQ %s on %s, %zu queues, %ld messages (%ld ready, %ld unacked)",
			 b->name, o->version[0] ? o->version : "?", o->node[0] ? o->node : "?",
			 b->queues.n, o->messages, o->ready, o->unacked);
	else
		snprintf(buf, bufsz, "%s: RabbitMQ %s on %s, %zu queues (no statistics)", b->name,
			 o->version[0] ? o->version : "?", o->node[0] ? o->node : "?",
			 b->queues.n);
}

static void rabbit_draw(struct queues_pane *p, const struct rect *r)
{
	struct rect t = *r;
	char line[900], foot[900] = "";
	size_t bi;
	const struct rabbit_queue *q;

	for (size_t i = 0; i < queuewatch_count(p->qw) && t.h > 3; i++) {
		int role;

		broker_line(queuewatch_broker(p->qw, i), line, sizeof(line), &role);
		draw_text(t.y, t.x + 1, t.w - 2, line, style_attr(role), 1);
		t.y++;
		t.h--;
	}
	if (p->focus == FOCUS_RABBIT && (q = cursor_queue(p, &bi)) != NULL) {
		char origin[RABBIT_NAME_MAX], name[RABBIT_SHOWN_MAX], vhost[RABBIT_SHOWN_MAX];

		char pk[32], dk[32], mk[32];

		first_key(p, ACTION_QUEUES_PEEK, pk, sizeof(pk));
		first_key(p, ACTION_QUEUES_PURGE, dk, sizeof(dk));
		first_key(p, ACTION_QUEUES_MOVE, mk, sizeof(mk));
		rabbit_name_shown(q->name, name, sizeof(name));
		rabbit_name_shown(q->vhost, vhost, sizeof(vhost));
		snprintf(foot, sizeof(foot),
			 "Queue %.300s (vhost %.200s) of %s: %s%s(%s peeks, %s purges, %s moves "
			 "its messages)",
			 name, vhost,
			 queuewatch_broker(p->qw, bi)->name,
			 q->kind == RABBIT_QUEUE_CELERY ? "Celery's own " : "",
			 rabbit_dlq_origin(q->name, origin, sizeof(origin)) ? "a dead-letter queue "
									     : "",
			 pk, dk, mk);
	}
	if (t.h >= FOOTER_LINES + 5 && foot[0])
		table_draw_footed(p->rtable, &t, p->focus == FOCUS_RABBIT, foot, 1,
				  style_attr(ROLE_NORMAL));
	else if (t.h > 0)
		table_draw(p->rtable, &t, p->focus == FOCUS_RABBIT);
}

/* ---- Kafka: Strimzi KafkaTopics of every cluster that holds stores ---- */

enum { KC_CLUSTER, KC_NS, KC_TOPIC, KC_KAFKA, KC_PARTS, KC_REPL, KC_STATE };

static const struct table_column kafka_cols[] = {
    [KC_CLUSTER] = {"CLUSTER", 7, 16, 0, TABLE_LEFT, 4},
    [KC_NS] = {"NAMESPACE", 9, 24, 0, TABLE_LEFT, 3},
    [KC_TOPIC] = {"TOPIC", 12, 48, 1, TABLE_LEFT, 0},
    [KC_KAFKA] = {"KAFKA", 5, 16, 0, TABLE_LEFT, 2},
    [KC_PARTS] = {"PARTS", 5, 6, 0, TABLE_RIGHT, 1},
    [KC_REPL] = {"REPL", 4, 5, 0, TABLE_RIGHT, 1},
    [KC_STATE] = {"READY", 5, 0, 2, TABLE_LEFT, 0},
};

/* One cluster: its group discovery, then a shared watch of the version
 * it serves. */
struct kafka_cluster {
	struct queues_pane *p;
	char *name, *context;
	struct kube_req *disc;
	struct kube_sub *sub;
	const struct kube_resource *res; /* NULL: not found out yet */
	bool absent;			 /* the cluster serves no KafkaTopic (yet) */
	unsigned absences;		 /* answers in a row that it serves none */
	uint64_t rediscover_ms;		 /* when absent: ask again from then on */
	bool seen;
	char error[300];
};

static void kafka_rebuild(struct queues_pane *p)
{
	struct table_model *tm = table_model(p->ktable);

	table_model_begin(tm);
	for (size_t i = 0; i < p->nkc; i++) {
		struct kafka_cluster *k = p->kc[i];
		const json_t *objs = k->sub ? kube_sub_objects(k->sub) : NULL;
		const char *okey;
		json_t *o;

		json_object_foreach((json_t *)objs, okey, o) {
			struct kafka_topic t;
			char key[600], parts[24], repl[24], state[800];
			const char *cells[] = {[KC_CLUSTER] = k->name,
					       [KC_NS] = t.ns,
					       [KC_TOPIC] = t.name,
					       [KC_KAFKA] = t.cluster,
					       [KC_PARTS] = parts,
					       [KC_REPL] = repl,
					       [KC_STATE] = state};
			int role = ROLE_STATE_OK;

			if (!kafka_topic_read(o, &t))
				continue;
			if (!t.cluster[0])
				cells[KC_KAFKA] = "-";
			snprintf(key, sizeof(key), "%s\x1f%s", k->name, okey);
			fmt_count(parts, sizeof(parts), t.partitions >= 0, t.partitions);
			fmt_count(repl, sizeof(repl), t.replicas >= 0, t.replicas);
			kafka_topic_state_text(&t, state, sizeof(state));
			if (t.pending)
				role = ROLE_STATE_BUSY;
			else if (t.ready == KAFKA_TOPIC_READY_FALSE)
				role = ROLE_STATE_BAD;
			else if (t.ready != KAFKA_TOPIC_READY_TRUE)
				role = ROLE_STATE_BUSY;
			table_model_add(tm, key, cells, role, -1);
		}
	}
	table_model_end(tm);
	table_set_empty_text(p->ktable, "No KafkaTopic listed.");
}

static void kafka_changed(struct kube_sub *s, const struct kube_changes *ch, void *ud)
{
	struct queues_pane *p = ud;

	(void)s;
	(void)ch;
	kafka_rebuild(p);
	app_redraw(p->app);
}

static void kafka_discovered(struct kube_response *resp, void *ud)
{
	struct kafka_cluster *k = ud;
	struct queues_pane *p = k->p;
	struct err err = {{0}};

	k->disc = NULL;
	k->error[0] = '\0';
	if (resp->status == 200 || resp->status == 404) {
		k->res = resp->status == 200 ? kafka_topic_resource(resp->body, resp->body_len)
					     : NULL;
		k->absent = !k->res;
		/* Strimzi may be installed later: asked again, less and less often */
		k->absences = k->absent ? k->absences + 1 : 0;
		if (k->absent)
			k->rediscover_ms = loop_now_ms() + kafka_topic_rediscover_ms(k->absences);
	} else {
		snprintf(k->error, sizeof(k->error), "%s: %.250s", k->name,
			 err_isset(&resp->err) ? resp->err.msg : "cannot read its API groups");
	}
	if (k->res && !k->sub) {
		k->sub = kube_registry_subscribe(p->kube, k->context, k->res, NULL, NULL, NULL,
						 kafka_changed, p, &err);
		if (!k->sub)
			snprintf(k->error, sizeof(k->error), "%s: %.250s", k->name, err.msg);
	}
	app_redraw(p->app);
}

static void kafka_discover(struct queues_pane *p, struct kafka_cluster *k)
{
	struct kube_request rq = {.path = KAFKA_TOPIC_GROUP_PATH, .retries = 0};
	struct err err = {{0}};
	struct kube_http *h;

	if (k->disc || k->res || (k->absent && loop_now_ms() < k->rediscover_ms))
		return;
	if (!p->kube)
		p->kube = kube_registry_acquire(app_loop(p->app), app_conf(p->app)->kubeconfig);
	h = kube_registry_client(p->kube, k->context, &err);
	if (!h) {
		snprintf(k->error, sizeof(k->error), "%s: %.250s", k->name, err.msg);
		return;
	}
	k->disc = kube_http_request(h, &rq, kafka_discovered, k, &err);
	if (!k->disc)
		snprintf(k->error, sizeof(k->error), "%s: %.250s", k->name, err.msg);
}

static void kafka_cluster_free(struct kafka_cluster *k)
{
	if (k->disc)
		kube_req_cancel(k->disc);
	kube_sub_free(k->sub);
	free(k->name);
	free(k->context);
	free(k);
}

/* A cluster per active or cordoned cluster of the database; discovery is
 * tried again (tick) until the cluster answers, and, while it serves no
 * KafkaTopic, after kafka_topic_rediscover_ms. */
static void kafka_sync(struct queues_pane *p)
{
	const struct cluster_list *cl = p->live ? db_live_clusters(p->live) : NULL;
	size_t j = 0;
	bool changed = false;

	if (!cl)
		return;
	for (size_t i = 0; i < p->nkc; i++)
		p->kc[i]->seen = false;
	for (size_t i = 0; i < cl->n; i++) {
		const struct cluster *c = &cl->v[i];
		struct kafka_cluster *k = NULL;

		if (strcmp(c->state, "disabled") == 0)
			continue;
		for (size_t m = 0; m < p->nkc && !k; m++) {
			if (strcmp(p->kc[m]->name, c->name) == 0 &&
			    strcmp(p->kc[m]->context, c->context) == 0)
				k = p->kc[m];
		}
		if (!k) {
			k = xcalloc(1, sizeof(*k));
			k->p = p;
			k->name = xstrdup(c->name);
			k->context = xstrdup(c->context);
			p->kc = xrealloc(p->kc, (p->nkc + 1) * sizeof(*p->kc));
			p->kc[p->nkc++] = k;
		}
		k->seen = true;
		kafka_discover(p, k);
	}
	for (size_t i = 0; i < p->nkc; i++) {
		if (p->kc[i]->seen)
			p->kc[j++] = p->kc[i];
		else {
			kafka_cluster_free(p->kc[i]);
			changed = true;
		}
	}
	p->nkc = j;
	if (changed)
		kafka_rebuild(p);
}

/* Shown once a cluster serves KafkaTopics. */
static bool kafka_shown(const struct queues_pane *p)
{
	for (size_t i = 0; i < p->nkc; i++) {
		if (p->kc[i]->res)
			return true;
	}
	return false;
}

static void kafka_summary(struct queues_pane *p, char *buf, size_t bufsz)
{
	struct table_model *tm = table_model(p->ktable);
	size_t n = table_model_nrows(tm), ready = 0, bad = 0, pending = 0;

	for (size_t i = 0; i < p->nkc; i++) {
		const json_t *objs = p->kc[i]->sub ? kube_sub_objects(p->kc[i]->sub) : NULL;
		const char *okey;
		json_t *o;

		json_object_foreach((json_t *)objs, okey, o) {
			struct kafka_topic t;

			if (!kafka_topic_read(o, &t))
				continue;
			pending += t.pending;
			ready += !t.pending && t.ready == KAFKA_TOPIC_READY_TRUE;
			bad += !t.pending && t.ready == KAFKA_TOPIC_READY_FALSE;
		}
	}
	snprintf(buf, bufsz, "%zu topic%s · %zu ready · %zu not ready · %zu not yet applied", n,
		 n == 1 ? "" : "s", ready, bad, pending);
}

static void kafka_draw(struct queues_pane *p, const struct rect *r)
{
	struct rect t = *r;

	for (size_t i = 0; i < p->nkc && t.h > 3; i++) {
		struct kafka_cluster *k = p->kc[i];
		const char *problem = k->sub ? kube_sub_problem(k->sub) : "";
		char line[400];

		if (!k->res || (!k->error[0] && !problem[0]))
			continue;
		snprintf(line, sizeof(line), "%s", k->error[0] ? k->error : "");
		if (!k->error[0])
			snprintf(line, sizeof(line), "%s: %.300s", k->name, problem);
		draw_text(t.y, t.x + 1, t.w - 2, line, style_attr(ROLE_STATE_BAD), 1);
		t.y++;
		t.h--;
	}
	if (t.h > 0)
		table_draw(p->ktable, &t, p->focus == FOCUS_KAFKA);
}

static const struct queues_section jobs_section = {"Jobs", jobs_summary, jobs_draw};
static const struct queues_section rabbit_section = {"RabbitMQ", rabbit_summary, rabbit_draw};
static const struct queues_section kafka_section = {"Kafka topics", kafka_summary, kafka_draw};

static void queues_draw(void *st, struct app *app, const struct rect *r)
{
	struct queues_pane *p = st;
	struct rect body = *r;
	char summary[400], line[500];
	const struct queues_section *sections[3];
	size_t n = 0;

	if (!app_db_configured(app) && !p->qw) {
		pane_notice_database(app, r, "Queues", "provisioning jobs");
		return;
	}
	if (p->peek_open) {
		peek_draw(p, r);
		return;
	}
	if (p->live)
		sections[n++] = &jobs_section;
	if (p->qw)
		sections[n++] = &rabbit_section;
	if (kafka_shown(p))
		sections[n++] = &kafka_section;
	for (size_t i = 0; i < n && body.h > 2; i++) {
		/* The last section takes what is left; the others a fair share. */
		int h = i + 1 == n ? body.h : body.h / (int)(n - i);
		struct rect sr = {body.y + 1, body.x, h - 1, body.w};

		sections[i]->summary(p, summary, sizeof(summary));
		snprintf(line, sizeof(line), " %s%s%s", sections[i]->title, summary[0] ? ": " : "",
			 summary);
		draw_text(body.y, body.x, body.w, line, style_attr(ROLE_TITLE), 1);
		sections[i]->draw(p, &sr);
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
	p->ktable = table_new("KafkaTopics", kafka_cols, ARRAY_LEN(kafka_cols));
	jobq_limits_from_conf(&p->lim, app_conf(app));
	jobq_counts_init(&p->counts);
	table_set_empty_text(p->table, "Reading the jobs…");
	if (app_db_configured(app)) {
		p->live = db_live_join(app_loop(app), app_conf(app), live_changed, p);
		p->tick = loop_timer_add(app_loop(app), REFRESH_MS, REFRESH_MS, tick, p);
		load(p);
	} else {
		p->focus = FOCUS_RABBIT;
	}
	if (app_conf(app)->nbrokers > 0) {
		p->qw = queuewatch_new(app_loop(app), app_conf(app), 0);
		queuewatch_set_observer(p->qw, rabbit_changed, p);
		p->rabbits = xcalloc(app_conf(app)->nbrokers, sizeof(*p->rabbits));
		p->rtable = table_new("RabbitMQ queues", rabbit_cols, ARRAY_LEN(rabbit_cols));
		table_set_empty_text(p->rtable, "Reading the queues…");
		p->vis = loop_timer_add(app_loop(app), VISIBILITY_MS, VISIBILITY_MS, visibility, p);
	}
	return p;
}

static void queues_destroy(void *st)
{
	struct queues_pane *p = st;

	if (p->tick)
		loop_timer_cancel(p->tick);
	if (p->vis)
		loop_timer_cancel(p->vis);
	while (p->job_acts) {
		db_live_forget(p->live, p->job_acts); /* no answer to a freed pane */
		job_act_free(p->job_acts);
	}
	if (p->peek_op)
		rabbit_op_cancel(p->peek_op);
	if (p->act_op)
		rabbit_op_cancel(p->act_op);
	act_clear(p);
	for (size_t i = 0; p->rabbits && i < queuewatch_count(p->qw); i++)
		rabbit_free(p->rabbits[i]);
	free(p->rabbits);
	queuewatch_free(p->qw);
	if (p->rtable)
		table_free(p->rtable);
	for (size_t i = 0; i < p->nkc; i++)
		kafka_cluster_free(p->kc[i]);
	free(p->kc);
	if (p->kube)
		kube_registry_release(p->kube);
	table_free(p->ktable);
	free(p->peek_text);
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
	if (p->qw)
		queuewatch_pause(p->qw, false);
	kafka_sync(p);
}

static unsigned queues_event(void *st, struct app *app, const struct app_event *ev)
{
	struct queues_pane *p = st;

	if (ev->kind != APP_EVENT_CONF)
		return PANE_IGNORED;
	jobq_limits_from_conf(&p->lim, app_conf(app));
	return PANE_REDRAW;
}

static unsigned rabbit_key(struct queues_pane *p, enum action a)
{
	switch (a) {
	case ACTION_SELECT:
	case ACTION_QUEUES_PEEK:
		peek(p);
		return PANE_HANDLED | PANE_REDRAW;
	case ACTION_QUEUES_PURGE:
		ask_purge(p);
		return PANE_HANDLED | PANE_REDRAW;
	case ACTION_QUEUES_MOVE:
		ask_move(p);
		return PANE_HANDLED | PANE_REDRAW;
	case ACTION_QUEUES_RETRY:
	case ACTION_QUEUES_CANCEL:
		app_error(p->app, "That acts on a job: the cursor is on the RabbitMQ queues");
		return PANE_HANDLED | PANE_REDRAW;
	default:
		return PANE_IGNORED;
	}
}

static unsigned queues_key(void *st, struct app *app, enum action a, keycode k)
{
	struct queues_pane *p = st;

	(void)k;
	if (!app_db_configured(app) && !p->qw)
		return PANE_IGNORED;
	if (p->peek_open && a == ACTION_CANCEL) {
		p->peek_open = false;
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (p->peek_open)
		return PANE_IGNORED;
	if (p->detail_open && a == ACTION_CANCEL) {
		p->detail_open = false;
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (a == ACTION_QUEUES_SECTION) {
		bool have[] = {[FOCUS_JOBS] = p->live != NULL, [FOCUS_RABBIT] = p->qw != NULL,
			       [FOCUS_KAFKA] = kafka_shown(p)};

		for (int i = 1; i <= 3 && !p->detail_open; i++) {
			int f = (p->focus + i) % 3;

			if (have[f]) {
				p->focus = f;
				break;
			}
		}
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (p->focus == FOCUS_RABBIT)
		return rabbit_key(p, a);
	if (p->focus == FOCUS_KAFKA)
		return PANE_IGNORED;
	switch (a) {
	case ACTION_QUEUES_RETRY:
		retry(p);
		return PANE_HANDLED | PANE_REDRAW;
	case ACTION_QUEUES_CANCEL:
		ask_cancel(p);
		return PANE_HANDLED | PANE_REDRAW;
	case ACTION_QUEUES_PEEK:
	case ACTION_QUEUES_PURGE:
	case ACTION_QUEUES_MOVE:
		if (p->qw) {
			char sk[32];

			first_key(p, ACTION_QUEUES_SECTION, sk, sizeof(sk));
			app_error(app, "That acts on a RabbitMQ queue: %s moves the cursor there", sk);
			return PANE_HANDLED | PANE_REDRAW;
		}
		return PANE_IGNORED;
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

	if (p->peek_open)
		return NULL;
	if (p->focus == FOCUS_RABBIT)
		return p->rtable;
	if (p->focus == FOCUS_KAFKA)
		return p->ktable;
	return p->detail_open || !p->live ? NULL : p->table;
}

const struct pane_ops pane_queues_ops = {
    .args = "[FILTER]",
    .help = "Show the Queues pane: the job queue (R retries a job, X cancels one) and the "
	    "RabbitMQ queues",
    .init = queues_init,
    .destroy = queues_destroy,
    .draw = queues_draw,
    .on_key = queues_key,
    .on_show = queues_show,
    .on_event = queues_event,
    .table = queues_table,
};
