/* The job queue as an operator sees it: how many jobs are in each state
 * and of each kind, the list of jobs (every queued and running one, and
 * the newest finished ones), a job's timeline, what stands out as stuck,
 * and the two things an operator does to a job -- retry a failed or
 * cancelled one, cancel a queued or running one (a running one stops at
 * its next step; see opsdeck.job_cancel). The rules are the database's
 * (migration 007); the console's Queues pane and `opsdeck job` present
 * what is here. Rows are parsed from text cells, so that the console
 * (db_live_query) and the CLI (PGresult) share one parser. */
#ifndef OPSDECK_DB_JOBQ_H
#define OPSDECK_DB_JOBQ_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "db/db.h"

enum jobq_state {
	JOBQ_QUEUED,
	JOBQ_RUNNING,
	JOBQ_FAILED,
	JOBQ_CANCELLED,
	JOBQ_SUCCEEDED,
	JOBQ_NSTATES
};
enum { JOBQ_NKINDS = 6 };

extern const char *const jobq_state_names[JOBQ_NSTATES];
/* provision, scale, pause, resume, delete, reconcile */
extern const char *const jobq_kind_names[JOBQ_NKINDS];
/* The index of a name, or -1. */
int jobq_state_index(const char *name);
int jobq_kind_index(const char *name);

/* The newest finished jobs a list shows besides the queued and running. */
#define JOBQ_FINISHED_DEFAULT 200
#define JOBQ_FINISHED_MAX 10000

struct jobq_filter {
	const char *state, *kind; /* NULL: any; checked by jobq_req_list */
	const char *store;	  /* a store id, or NULL */
	long id;		  /* one job, or 0 */
	long finished;		  /* finished jobs shown at most (JOBQ_FINISHED_DEFAULT) */
};

/* Result: rows for jobq_parse_row, queued and running first (oldest
 * first), then the finished ones newest first. False with err for a
 * filter value that is not a state or a kind. */
bool jobq_req_list(struct db_req *r, const struct jobq_filter *f, struct err *err);

#define JOBQ_LIST_COLS 17

struct jobq_job {
	long id;
	char store[16], store_name[64], kind[16], state[16], step[40];
	long attempts, max_attempts;
	long due_in_s;			/* seconds until it is due (<= 0: due) */
	long age_s;			/* since it was asked for */
	char runner[256];		/* the lease owner, "" when none */
	long lease_left_s;		/* until the lease expires (< 0: expired); with a runner */
	long running_s;			/* since its current attempt began; -1 unless running */
	char cancel_by[256];		/* who asked a running job to stop, "" if none */
	char *last_error;		/* "" when none; owned */
	char created[24], finished[24]; /* "YYYY-MM-DD HH:MM:SS", "" */
};

/* Cells of one row of jobq_req_list (ncells = JOBQ_LIST_COLS; NULL for
 * SQL NULL). False with err if they are not what the query answers. */
bool jobq_parse_row(const char *const *cells, size_t ncells, struct jobq_job *out, struct err *err);
void jobq_job_free(struct jobq_job *j);
/* Ages a row read elapsed_s seconds ago, as if read now. */
void jobq_job_age(struct jobq_job *j, long elapsed_s);

/* What makes a job stand out. */
enum jobq_alert {
	JOBQ_ALERT_NONE,
	JOBQ_ALERT_LEASE_EXPIRED, /* running, but its runner stopped renewing */
	JOBQ_ALERT_TIMEOUT,	  /* its attempt runs past the provisioning timeout */
	JOBQ_ALERT_QUEUED,	  /* due longer than the queued threshold, not taken */
};

struct jobq_limits {
	long timeout_s;	     /* provision.timeout */
	long queued_alert_s; /* provision.queued_alert */
};

void jobq_limits_from_conf(struct jobq_limits *l, const struct conf *conf);
/* The alert of a job; *age_s (may be NULL) gets how long it has been so. */
enum jobq_alert jobq_alert(const struct jobq_job *j, const struct jobq_limits *l, long *age_s);
/* The alert in words ("lease expired 2m ago (runner w1/ab12cd34)"); "" for
 * none. */
void jobq_alert_text(const struct jobq_job *j, const struct jobq_limits *l, char *buf,
		     size_t bufsz);
/* The job's situation in a few words for a table cell: "due in 30s",
 * "waiting 4m", "step apply 2m, lease 20s left", "stopping at next step". */
void jobq_when_text(const struct jobq_job *j, char *buf, size_t bufsz);
/* A request to stop the job, in words that fit its state: "asked by alice;
 * it stops at its next step" while it runs, "asked by alice while it ran;
 * it ended cancelled" after, and so on; "" when nobody asked. */
void jobq_cancel_text(const struct jobq_job *j, char *buf, size_t bufsz);

/* Counts over every job. Result: rows for jobq_counts_add. */
void jobq_req_counts(struct db_req *r);
#define JOBQ_COUNTS_COLS 4
struct jobq_counts {
	long n[JOBQ_NSTATES][JOBQ_NKINDS];
	long oldest_queued_s; /* -1: none queued */
	bool have;
};
void jobq_counts_init(struct jobq_counts *c);
/* Adds one row (kind, state, count, oldest queued age). */
bool jobq_counts_add(struct jobq_counts *c, const char *const *cells, size_t ncells,
		     struct err *err);
long jobq_counts_state(const struct jobq_counts *c, enum jobq_state s);
/* "2 queued (oldest 4m) · 1 running · 3 failed · 0 cancelled · 12 succeeded" */
void jobq_counts_text(const struct jobq_counts *c, char *buf, size_t bufsz);
/* "provision 1 queued, 1 running · scale 2 failed": the kinds with jobs
 * not succeeded; "" when none. */
void jobq_counts_kinds_text(const struct jobq_counts *c, char *buf, size_t bufsz);

/* A job's timeline. Result: rows (attempt, step, runner, started,
 * finished or "", outcome or "", seconds it took or has taken, message). */
void jobq_req_steps(struct db_req *r, long job);
#define JOBQ_STEPS_COLS 8

/* Mutations, refused in read-only mode (checked first) and for an id out
 * of range. Retry answers one row: the new job's id, or NULL when nothing
 * needed running. Cancel answers one row: 'cancelled' (done) or 'running'
 * (it stops at its next step). */
bool jobq_req_retry(struct db_req *r, const struct conf *conf, long job, struct err *err);
bool jobq_req_cancel(struct db_req *r, const struct conf *conf, long job, struct err *err);
/* A job id typed by a person ("42" or "#42"). */
bool jobq_parse_id(const char *s, long *id);

#endif
