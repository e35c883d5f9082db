/* Stores and the operations on them, as requests for db_req_exec or
 * db_conn_submit. Ordering and every operation are one call of a schema
 * function (opsdeck.store_order, opsdeck.store_request) that checks the
 * store's state, the quotas and the limits, records a job for a runner and
 * writes the audit event, all in one statement. Mutations are refused in
 * read-only mode before any database access. */
#ifndef OPSDECK_DB_STORES_H
#define OPSDECK_DB_STORES_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "db/db.h"

#define STORE_ID_LEN 12
#define STORE_MAX_REPLICAS 50

struct store {
	char id[STORE_ID_LEN + 1];
	char *name;
	char *project;	/* project slug */
	char *customer; /* customer slug */
	char *offering; /* offering slug */
	char *kind;	/* woocommerce, medusa */
	char *plan;	/* plan name */
	char *cluster;
	char *namespace;
	char *status; /* Queued, Provisioning, Ready, Failed, Paused, Deleting, Deleted */
	char *url;    /* "" until Ready */
	char *error;  /* error_message, "" if none */
	char *created_by;
	long replicas; /* desired web replicas (kept while paused) */
	char created_at[32], updated_at[32], ready_at[32]; /* ISO 8601 UTC; ready_at may be "" */
	long age_s;	   /* since the order */
	long status_age_s; /* since the last change of the row */
	/* The job that is running or next to run for this store, if any. */
	long job_id; /* 0: none */
	char *job_kind, *job_state, *job_step, *job_error;
	long job_attempts, job_max_attempts;
	/* running: since the job's current step began; queued: since it was
	 * queued (or put back to retry); -1: neither */
	long step_age_s;
	long long created_us; /* created_at in microseconds: the list's order */
	char *step_note; /* running: what the step waits for, or "" */
	long job_from, job_to; /* a scale job: the replicas from and to; else 0 */
};

struct store_list {
	struct store *v;
	size_t n;
};

/* Stores, newest first. project: a slug to keep only its stores, or NULL;
 * Deleted ones only with include_deleted. */
void store_req_list(struct db_req *r, const char *project, bool include_deleted);
/* One store by id (the same columns; no row: "no store 'x'"). */
void store_req_show(struct db_req *r, const char *id);
/* The stores of ids (1..STORE_IDS_MAX valid ids), Deleted ones included,
 * in list order, with the same columns: a list's rows read again. */
#define STORE_IDS_MAX 1000
bool store_req_by_ids(struct db_req *r, const char *const *ids, size_t n, struct err *err);
bool store_list_parse(const PGresult *res, struct store_list *out, struct err *err);
void store_list_free(struct store_list *l);
/* Puts the rows of ids read again (fresh, as store_req_by_ids answers)
 * into l, keeping its order: a row of ids is replaced by its fresh one,
 * added if new, dropped if fresh has none or it is Deleted. fresh is
 * emptied (its rows moved or freed). O(n log nids). */
void store_list_merge(struct store_list *l, struct store_list *fresh, const char *const *ids,
		      size_t nids);
/* Adds secs to every age of the rows (as if read secs later). */
void store_list_age(struct store_list *l, long secs);
/* The store in a list by id, or NULL. */
const struct store *store_list_find(const struct store_list *l, const char *id);

/* What is happening to the store, for a STEP column or beside its status:
 * "provision apply 12s" (a running job's step and how long it has taken,
 * followed by what it waits for: "...: waiting for cluster local: ..."),
 * "scale waiting 40s" (a job waiting for a runner or a provisioning slot),
 * "provision attempt 2/5 waiting 8s" (waiting to retry), else "".
 * later_s is added to the ages (time since the list was read). */
void store_progress(const struct store *s, long later_s, char *buf, size_t bufsz);

/* True while the store is on its way somewhere (not Ready, Failed, Paused
 * or Deleted). */
bool store_status_busy(const char *status);
/* What a store's STATUS says: what its queued or running job is doing to
 * it ("Pausing", "Resuming", "Scaling 1→3", "Deleting"), else its status. */
void store_status_text(const struct store *s, char *buf, size_t bufsz);

struct store_order {
	const char *project;  /* project slug */
	const char *offering; /* offering slug */
	const char *plan;     /* plan name */
	const char *cluster;  /* NULL or "": the only active cluster */
	const char *name;     /* a DNS-1123 label */
};

/* Result: one row (id, namespace, job id). */
bool store_req_order(struct db_req *r, const struct conf *conf, const struct store_order *o,
		     struct err *err);

enum store_op {
	STORE_OP_SCALE,
	STORE_OP_PAUSE,
	STORE_OP_RESUME,
	STORE_OP_RETRY,
	STORE_OP_DELETE,
	STORE_OP_RECONCILE,
};

/* The operation's name as the schema and the audit trail write it
 * ("scale", "pause"...). */
const char *store_op_name(enum store_op op);
/* Result: one row, the job's id (NULL when no job was needed, e.g. scaling
 * a paused store only changes what it resumes with). replicas: for
 * STORE_OP_SCALE only. */
bool store_req_operate(struct db_req *r, const struct conf *conf, const char *id, enum store_op op,
		       long replicas, struct err *err);

/* The audit event of a reveal of a store's credentials (action
 * store.reveal, the operator, the key names in its detail, never a value),
 * in one statement that also answers where the credentials are: one row
 * of enum store_reveal_col. It is written before any value is read, so a
 * reveal never happens without it (and a reveal that then fails, e.g. on
 * an unreachable cluster, is still in the trail: the event records what
 * was asked). Refused in read-only mode (the event is a write), for an
 * unknown store, and for a Queued or Deleted one (no Secret to read).
 * keys: the names of what will be shown ([a-z0-9_.-], 1..nkeys of them). */
enum store_reveal_col {
	STORE_REVEAL_NAMESPACE,
	STORE_REVEAL_CLUSTER,
	STORE_REVEAL_CONTEXT, /* the cluster's kube context */
	STORE_REVEAL_EVENT,   /* the audit event's id */
	STORE_REVEAL_STATUS,
	STORE_REVEAL_NCOLS
};
bool store_req_reveal(struct db_req *r, const struct conf *conf, const char *id,
		      const char *const *keys, size_t nkeys, struct err *err);

/* 12 lowercase hex digits. */
bool store_valid_id(const char *id);

/* The jobs of a store, newest first, each with its steps (for the details
 * view and `store show`): rows (job id, kind, state, attempts, max
 * attempts, created, finished, last error, step, step started, step
 * finished, step outcome, step message, runner), one per step (steps NULL
 * for a job without one yet). */
void store_req_history(struct db_req *r, const char *id, long max_jobs);

#endif
