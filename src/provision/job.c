#include "config.h"

#include "provision/job.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/api.h"
#include "b64.h"
#include "provision/answer.h"
#include "provision/credentials.h"
#include "provision/expected.h"
#include "provision/health.h"
#include "provision/render.h"
#include "provision/secret.h"
#include "provision/storevars.h"

#define PAUSED_ANNOTATION "opsdeck.io/paused-replicas"
#define PASSWORD_LEN 24
#define STEP_TRIES 5	    /* tries of one request before the attempt ends */
#define STEP_BACKOFF_MS 250 /* first pause between them, doubled each time */
#define RETRY_CAP_S 60	    /* cap of the delay before a job's next attempt */
#define DB_TIMEOUT_MS 15000
#define WAIT_CAP_MS 5000 /* cap of the pause while the cluster or database is away */
#define NOTE_AFTER_MS 1000 /* a wait shorter than this is a blip, not worth a note */
#define LEASE_GONE "its lease went to another runner, which finishes the job"
#define DB_AWAY "the database did not answer for the provisioning timeout; the lease will expire"

/* The generated secrets: placeholder secret.<key>, data key <key>, one per
 * credentials_keys. */
#define NSECRETS CREDENTIALS_NKEYS

struct jrun;
typedef void (*step_fn)(struct jrun *jr);
typedef void (*issue_fn)(struct jrun *jr);
typedef void (*then_fn)(struct jrun *jr, const struct kube_result *res);

struct step {
	const char *name;
	step_fn run;
};

struct jrun {
	struct jrun_env env;
	struct job job;
	struct job_store st;
	bool have_store;
	struct kube_http *http;
	const struct step *steps;
	size_t step;

	/* the request in flight and how to redo it */
	struct kube_op *op;
	issue_fn issue;
	then_fn then;
	int tries;
	/* the previous try's failed answer, to tell one that repeats; and
	 * what the answer handed to then was (answer.h) after how many tries */
	long prev_status;
	char prev_message[300];
	enum answer_kind answer;
	int answer_tries;

	struct loop_timer *lease_timer, *wait_timer;
	uint64_t deadline_ms, broken_since_ms;

	/* the cluster gave no answer: since when, the next pause, and the
	 * reason last written on the step's timeline row */
	uint64_t away_since_ms, away_pause_ms;
	char away_reason[300];

	/* a database write that got no answer, sent again after a pause */
	struct loop_timer *db_timer;
	step_fn db_again;
	uint64_t db_since_ms, db_pause_ms;
	bool releasing; /* the runner stops: stop trying the end again */

	/* the end of the attempt, kept to be sent again */
	enum job_outcome end_outcome;
	long end_retry_s;
	char end_message[1000];
	/* how the run ended, for the runner's log: why a failure was given
	 * up on (answer_explain), and why a run stopped without an end */
	enum jrun_end how;
	char end_why[200];
	bool step_begun; /* its current step was recorded */

	json_t *objs; /* objects to apply, or workloads to pause/resume */
	size_t obj_i;
	json_t *lists[3]; /* deployments, statefulsets, pods */
	step_fn after_lists;
	char secrets[NSECRETS][PASSWORD_LEN + 8];
	char url[300];
	char web[256]; /* scale: the web Deployment's name */
	bool over; /* ending: no more steps or requests */
};

static void run_step(struct jrun *jr);
static void jr_fail(struct jrun *jr, bool transient, const char *fmt, ...) ATTR_FORMAT(3, 4);

const struct job *jrun_job(const struct jrun *jr)
{
	return &jr->job;
}

enum jrun_end jrun_how(const struct jrun *jr)
{
	return jr->how;
}

void jrun_describe(const struct jrun *jr, char *out, size_t outsz)
{
	const char *step = jr->steps && jr->steps[jr->step].name ? jr->steps[jr->step].name : NULL;
	char at[80], why[220], next[120];
	int n;

	if (step && jr->step_begun)
		snprintf(at, sizeof(at), " at step %s", step);
	else if (jr->step == 0)
		snprintf(at, sizeof(at), " before its first step");
	else
		snprintf(at, sizeof(at), " after step %s", jr->steps[jr->step - 1].name);
	snprintf(why, sizeof(why), "%s%s%s", jr->end_why[0] ? " (" : "", jr->end_why,
		 jr->end_why[0] ? ")" : "");
	if (jr->job.attempts < jr->job.max_attempts)
		snprintf(next, sizeof(next), "tried again in %lds, attempt %ld of %ld",
			 jr->end_retry_s, jr->job.attempts + 1, jr->job.max_attempts);
	else
		snprintf(next, sizeof(next), "not tried again: that was the last attempt");
	n = snprintf(out, outsz, "job %ld (%s of store %s), attempt %ld of %ld: ", jr->job.id,
		     jr->job.kind, jr->job.store, jr->job.attempts, jr->job.max_attempts);
	if (n < 0 || (size_t)n >= outsz)
		return;
	out += n;
	outsz -= (size_t)n;
	switch (jr->how) {
	case JRUN_SUCCEEDED:
		snprintf(out, outsz, "succeeded");
		break;
	case JRUN_FAILED:
		snprintf(out, outsz, "failed%s: %s%s; not tried again", at, jr->end_message, why);
		break;
	case JRUN_RETRY:
		snprintf(out, outsz, "failed%s: %s%s; %s", at, jr->end_message, why, next);
		break;
	case JRUN_CANCELLED:
		/* An operator's cancel says itself where it stopped the job. */
		if (str_has_prefix(jr->end_message, "cancelled by "))
			snprintf(out, outsz, "%s", jr->end_message);
		else
			snprintf(out, outsz, "cancelled%s: %s", at, jr->end_message);
		break;
	case JRUN_RELEASED:
		snprintf(out, outsz,
			 "handed back%s (the runner stops); queued again at once, the attempt "
			 "not counted",
			 at);
		break;
	case JRUN_LOST:
		snprintf(out, outsz, "stopped%s: %s", at, jr->end_why);
		break;
	}
}

/* ---- the attempt and its pauses ---- */

static struct job_attempt attempt_of(const struct jrun *jr)
{
	return (struct job_attempt){ .job = jr->job.id, .owner = jr->env.owner,
				     .attempt = jr->job.attempts };
}

static void cancel_timer(struct loop_timer **t)
{
	if (*t) {
		loop_timer_cancel(*t);
		*t = NULL;
	}
}

/* Stops the work: the request in flight and every pause. The lease is
 * still renewed until the run is over and its end written. */
static void stop_work(struct jrun *jr)
{
	if (jr->op) {
		kube_op_cancel(jr->op);
		jr->op = NULL;
	}
	cancel_timer(&jr->wait_timer);
	cancel_timer(&jr->db_timer);
}

static void stop_activity(struct jrun *jr)
{
	stop_work(jr);
	cancel_timer(&jr->lease_timer);
}

/* ---- database writes through an outage ---- */

static void db_again_fired(struct loop *loop, void *ud)
{
	struct jrun *jr = ud;

	(void)loop;
	jr->db_timer = NULL;
	jr->db_again(jr);
}

/* A database request of the run got no answer (the database is away, or
 * the answer was lost): again is called after a pause (at most
 * WAIT_CAP_MS, or as soon as the runner sees the database back), for as
 * long as provisioning may last. The lease is still this runner's as far
 * as it knows; every write says which attempt it is for, so one made
 * after the lease went elsewhere changes nothing. False when the pause is
 * over: the caller gives up. */
static bool db_wait(struct jrun *jr, step_fn again)
{
	uint64_t now = loop_now_ms();

	if (jr->releasing)
		return false;
	if (!jr->db_since_ms) {
		jr->db_since_ms = now;
		jr->db_pause_ms = STEP_BACKOFF_MS;
	} else if (now - jr->db_since_ms >= (uint64_t)jr->env.timeout_s * 1000u) {
		return false;
	}
	jr->db_again = again;
	jr->db_timer = loop_timer_add(jr->env.loop, jr->db_pause_ms, 0, db_again_fired, jr);
	jr->db_pause_ms = jr->db_pause_ms * 2 < WAIT_CAP_MS ? jr->db_pause_ms * 2 : WAIT_CAP_MS;
	return true;
}

static void lease_tick(struct loop *loop, void *ud);

void jrun_db_ready(struct jrun *jr)
{
	if (jr->lease_timer)
		lease_tick(NULL, jr);
	if (jr->db_timer) {
		cancel_timer(&jr->db_timer);
		jr->db_again(jr);
	}
}

/* ---- the end of a run ---- */

static void end_send(struct jrun *jr);

/* The job had been asked to stop: the database ended it cancelled rather
 * than as the run ended it (column 1 of res says how, in words). */
static void asked_to_stop(struct jrun *jr, const PGresult *res)
{
	jr->how = JRUN_CANCELLED;
	str_copy(jr->end_message, sizeof(jr->end_message), db_val(res, 0, 1));
}

static void ended(void *ud, const PGresult *res, const struct err *err)
{
	struct jrun *jr = ud;

	(void)err;
	/* Unanswered: send it again. Answered false: the lease went to
	 * another runner, which ends the job. */
	if (!res && db_wait(jr, end_send))
		return;
	if (!res || !db_bool(res, 0, 0)) {
		jr->how = JRUN_LOST;
		str_copy(jr->end_why, sizeof(jr->end_why),
			 res ? "its lease went to another runner before its end was written"
			     : "its end could not be written: the database did not answer");
	} else if (!PQgetisnull(res, 0, 1)) {
		asked_to_stop(jr, res);
	}
	jr->env.done(jr, jr->env.ud);
}

static void end_send(struct jrun *jr)
{
	struct job_attempt a = attempt_of(jr);
	struct db_req r;

	job_req_end(&r, &a, jr->end_outcome, jr->end_message[0] ? jr->end_message : NULL,
		    jr->end_retry_s,
		    jr->end_outcome == JOB_SUCCEEDED && jr->url[0] ? jr->url : NULL);
	db_conn_submit(jr->env.db, &r, DB_TIMEOUT_MS, ended, jr);
}

static void jr_end(struct jrun *jr, enum job_outcome outcome, const char *message, long retry_s)
{
	if (jr->over)
		return;
	jr->over = true;
	stop_work(jr);
	jr->how = outcome == JOB_SUCCEEDED ? JRUN_SUCCEEDED
		  : outcome == JOB_FAILED  ? JRUN_FAILED
		  : outcome == JOB_RETRY   ? JRUN_RETRY
					   : JRUN_CANCELLED;
	jr->end_outcome = outcome;
	jr->end_retry_s = retry_s;
	str_copy(jr->end_message, sizeof(jr->end_message), message ? message : "");
	jr->db_since_ms = 0;
	end_send(jr);
}

/* The lease is gone (or the database stayed away too long): stop without
 * touching the job; why says which, for the log. */
static void jr_stop(struct jrun *jr, enum jrun_end how, const char *why)
{
	if (jr->over)
		return;
	jr->over = true;
	jr->how = how;
	str_copy(jr->end_why, sizeof(jr->end_why), why);
	stop_activity(jr);
	jr->env.done(jr, jr->env.ud);
}

static void jr_abandon(struct jrun *jr, const char *why)
{
	jr_stop(jr, JRUN_LOST, why);
}

static void jr_fail(struct jrun *jr, bool transient, const char *fmt, ...)
{
	char msg[1000];
	va_list ap;
	long delay = 1;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (long i = 1; i < jr->job.attempts && delay < RETRY_CAP_S; i++)
		delay *= 2;
	jr_end(jr, transient ? JOB_RETRY : JOB_FAILED, msg,
	       delay < RETRY_CAP_S ? delay : RETRY_CAP_S);
}

static void released(void *ud, const PGresult *res, const struct err *err)
{
	struct jrun *jr = ud;

	(void)err; /* nothing to do: a lost release leaves a lease that expires */
	if (res && db_bool(res, 0, 0) && !PQgetisnull(res, 0, 1))
		asked_to_stop(jr, res);
	jr->env.done(jr, jr->env.ud);
}

void jrun_release(struct jrun *jr)
{
	struct job_attempt a = attempt_of(jr);
	struct db_req r;

	jr->releasing = true;
	if (jr->over) {
		/* Its end is being written: one more try, now. */
		if (jr->db_timer) {
			cancel_timer(&jr->db_timer);
			end_send(jr);
		}
		return;
	}
	jr->over = true;
	jr->how = JRUN_RELEASED;
	stop_activity(jr);
	job_req_release(&r, &a);
	db_conn_submit(jr->env.db, &r, DB_TIMEOUT_MS, released, jr);
}

void jrun_lost(struct jrun *jr)
{
	jr_abandon(jr, "a new claim began another attempt");
}

void jrun_free(struct jrun *jr)
{
	if (!jr)
		return;
	stop_activity(jr);
	db_conn_forget(jr->env.db, jr);
	if (jr->have_store)
		job_store_free(&jr->st);
	json_decref(jr->objs);
	for (size_t i = 0; i < ARRAY_LEN(jr->lists); i++)
		json_decref(jr->lists[i]);
	secret_wipe(jr->secrets, sizeof(jr->secrets));
	free(jr);
}

/* ---- cluster requests with in-step retries ---- */

static void reissue(struct loop *loop, void *ud)
{
	struct jrun *jr = ud;

	(void)loop;
	jr->wait_timer = NULL;
	jr->issue(jr);
}

static void noted(void *ud, const PGresult *res, const struct err *err)
{
	struct jrun *jr = ud;

	(void)err; /* a note that could not be written is only a note */
	if (!jr->over && res && !db_bool(res, 0, 0))
		jr_abandon(jr, LEASE_GONE); /* the lease went to another runner */
}

/* Says on the current step's timeline row what it waits for (NULL: no
 * longer waiting), as the store's step shows it. */
static void jr_note(struct jrun *jr, const char *message)
{
	struct job_attempt a = attempt_of(jr);
	struct db_req r;

	job_req_note(&r, &a, message);
	db_conn_submit(jr->env.db, &r, DB_TIMEOUT_MS, noted, jr);
}

/* "cannot reach https://…: Connection refused" from the request's
 * "GET /api/…: cannot reach …", which names a path that changes. */
static const char *away_reason(const struct kube_result *res)
{
	const char *msg = res->err.msg;
	const char *sp = strchr(msg, ' ');
	const char *colon = strstr(msg, ": ");

	if (sp && sp[1] == '/' && colon && colon > sp)
		return colon + 2;
	return msg;
}

/* The cluster is away: the same request again after a pause (doubled up
 * to WAIT_CAP_MS), for at most the provisioning timeout. The attempt and
 * the step's tries are not counted; past a blip, the step says it is
 * waiting. */
static void cluster_wait(struct jrun *jr, const struct kube_result *res)
{
	uint64_t now = loop_now_ms();
	const char *why = away_reason(res);
	char note[600];

	if (!jr->away_since_ms) {
		jr->away_since_ms = now;
		jr->away_pause_ms = STEP_BACKOFF_MS;
	} else if (now - jr->away_since_ms >= (uint64_t)jr->env.timeout_s * 1000u) {
		jr_fail(jr, true, "cluster %s was unreachable for %lds: %s", jr->st.cluster,
			jr->env.timeout_s, why);
		return;
	}
	if (now - jr->away_since_ms >= NOTE_AFTER_MS &&
	    strncmp(why, jr->away_reason, sizeof(jr->away_reason) - 1) != 0) {
		str_copy(jr->away_reason, sizeof(jr->away_reason), why);
		snprintf(note, sizeof(note), "waiting for cluster %s: %s", jr->st.cluster, why);
		jr_note(jr, note);
	}
	jr->wait_timer = loop_timer_add(jr->env.loop, jr->away_pause_ms, 0, reissue, jr);
	jr->away_pause_ms =
	    jr->away_pause_ms * 2 < WAIT_CAP_MS ? jr->away_pause_ms * 2 : WAIT_CAP_MS;
}

/* The cluster answers again: the step's deadline moves by the time spent
 * waiting for it, and the step no longer says it waits. */
static void cluster_back(struct jrun *jr)
{
	if (!jr->away_since_ms)
		return;
	if (jr->deadline_ms)
		jr->deadline_ms += loop_now_ms() - jr->away_since_ms;
	jr->away_since_ms = 0;
	if (jr->away_reason[0])
		jr_note(jr, NULL);
	jr->away_reason[0] = '\0';
}

/* A failed answer is waited out, tried again or handed on by the rule of
 * answer.h: an answer that will not change ends the step at once. */
static void on_kube(const struct kube_result *res, void *ud)
{
	struct jrun *jr = ud;
	enum answer_kind kind = ANSWER_TRANSIENT;

	jr->op = NULL;
	if (!kube_result_ok(res)) {
		kind = answer_classify(res->status, res->reason, res->err.msg, jr->prev_status,
				       jr->prev_status ? jr->prev_message : NULL);
		if (kind == ANSWER_AWAY) {
			cluster_wait(jr, res);
			return;
		}
	}
	cluster_back(jr);
	if (!kube_result_ok(res) && kind == ANSWER_TRANSIENT && jr->tries + 1 < STEP_TRIES) {
		uint64_t delay = (uint64_t)STEP_BACKOFF_MS << jr->tries;

		jr->prev_status = res->status;
		str_copy(jr->prev_message, sizeof(jr->prev_message), res->err.msg);
		jr->tries++;
		jr->wait_timer = loop_timer_add(jr->env.loop, delay, 0, reissue, jr);
		return;
	}
	jr->answer = kind;
	jr->answer_tries = jr->tries + 1;
	jr->tries = 0;
	jr->prev_status = 0;
	jr->then(jr, res);
}

/* Sends a request made by issue (which calls one kube_* function with
 * on_kube and jr, and stores the handle with jr_started). */
static void jr_request(struct jrun *jr, issue_fn issue, then_fn then)
{
	jr->issue = issue;
	jr->then = then;
	jr->tries = 0;
	jr->prev_status = 0;
	issue(jr);
}

static void jr_started(struct jrun *jr, struct kube_op *op, const struct err *err, const char *what)
{
	if (!op)
		jr_fail(jr, false, "%s: %s", what, err->msg);
	else
		jr->op = op;
}

/* A failed answer ends the attempt: queued again when it may pass, failed
 * for good when the same request would get the same answer (answer.h). */
static bool jr_check(struct jrun *jr, const struct kube_result *res, const char *what)
{
	if (kube_result_ok(res))
		return true;
	answer_explain(jr->answer, res->status, jr->answer_tries, jr->end_why,
		       sizeof(jr->end_why));
	jr_fail(jr, jr->answer == ANSWER_TRANSIENT, "%s: %s", what, res->err.msg);
	return false;
}

static void step_done(struct jrun *jr)
{
	jr->step_begun = false;
	jr->step++;
	run_step(jr);
}

/* ---- applying a list of objects ---- */

static void apply_next(struct jrun *jr);

static void apply_issue(struct jrun *jr)
{
	json_t *obj = json_array_get(jr->objs, jr->obj_i);
	const struct kube_resource *res;
	const char *name;
	struct err err = { { 0 } };
	char *body;

	if (!render_manifest_target(obj, &res, &name, &err)) {
		jr_fail(jr, false, "object %zu of the template: %s", jr->obj_i + 1, err.msg);
		return;
	}
	body = json_dumps(obj, JSON_COMPACT);
	if (!body) {
		jr_fail(jr, false, "cannot serialise %s/%s", res->plural, name);
		return;
	}
	jr_started(jr,
		   kube_apply(jr->http, res, res->namespaced ? jr->st.namespace : NULL, name, body,
			      strlen(body), on_kube, jr, &err),
		   &err, name);
	secret_wipe(body, strlen(body)); /* it may hold the store's passwords */
	free(body);
}

static void apply_then(struct jrun *jr, const struct kube_result *res)
{
	json_t *obj = json_array_get(jr->objs, jr->obj_i);
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *name =
	    json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	char what[200];

	snprintf(what, sizeof(what), "%s/%s", kind ? kind : "?", name ? name : "?");
	if (!jr_check(jr, res, what))
		return;
	jr->obj_i++;
	apply_next(jr);
}

static void apply_next(struct jrun *jr)
{
	if (jr->obj_i >= json_array_size(jr->objs)) {
		json_decref(jr->objs);
		jr->objs = NULL;
		step_done(jr);
		return;
	}
	jr_request(jr, apply_issue, apply_then);
}

/* Applies every object of arr (taken) in order, then ends the step. */
static void apply_all(struct jrun *jr, json_t *arr)
{
	json_decref(jr->objs);
	jr->objs = arr;
	jr->obj_i = 0;
	apply_next(jr);
}

/* ---- provision: namespace ---- */

static void namespace_then(struct jrun *jr, const struct kube_result *res)
{
	char what[100];

	snprintf(what, sizeof(what), "namespace %s", jr->st.namespace);
	if (!jr_check(jr, res, what))
		return;
	if (json_object_get(json_object_get(res->obj, "metadata"), "deletionTimestamp")) {
		jr_fail(jr, true, "namespace %s is still being deleted; trying again later",
			jr->st.namespace);
		return;
	}
	step_done(jr);
}

static void namespace_issue(struct jrun *jr)
{
	json_t *ns = render_namespace(jr->st.id, jr->st.project);
	char *body;
	struct err err = { { 0 } };
	struct expected_objects exp = { 0 };
	char digest[EXPECTED_DIGEST_LEN + 1];

	/* What the template makes the namespace hold, for the reconcile pass
	 * to judge the store by the template it was given (a template that
	 * does not render fails the job at its apply step). */
	if (ns && expected_for_store(&jr->st, jr->env.domain, &exp, &err)) {
		expected_digest(&exp, digest, sizeof(digest));
		json_object_set_new(json_object_get(ns, "metadata"), "annotations",
				    json_pack("{s:s}", EXPECTED_ANNOTATION, digest));
	}
	expected_free(&exp);
	body = ns ? json_dumps(ns, JSON_COMPACT) : NULL;
	json_decref(ns);
	if (!body) {
		jr_fail(jr, false, "cannot make the namespace of store %s in project %s", jr->st.id,
			jr->st.project);
		return;
	}
	jr_started(jr,
		   kube_apply(jr->http, &kube_res_namespaces, NULL, jr->st.namespace, body,
			      strlen(body), on_kube, jr, &err),
		   &err, "namespace");
	free(body);
}

static void step_namespace(struct jrun *jr)
{
	jr_request(jr, namespace_issue, namespace_then);
}

/* ---- provision: secrets ---- */

static void secrets_get_issue(struct jrun *jr);

static bool secrets_read(struct jrun *jr, const json_t *secret)
{
	for (size_t i = 0; i < NSECRETS; i++) {
		if (credentials_decode(secret, credentials_keys[i], jr->secrets[i],
				       sizeof(jr->secrets[i])) != CREDENTIAL_FOUND)
			return false;
	}
	return true;
}

static void secrets_create_then(struct jrun *jr, const struct kube_result *res)
{
	if (!kube_result_ok(res) && res->status == 409) {
		/* Another runner made it first: use its values. */
		jr_request(jr, secrets_get_issue, NULL);
		return;
	}
	if (!jr_check(jr, res, "secret/" CREDENTIALS_SECRET))
		return;
	step_done(jr);
}

static void secrets_create_issue(struct jrun *jr)
{
	json_t *data = json_object();
	json_t *obj;
	struct err err = { { 0 } };

	for (size_t i = 0; i < NSECRETS; i++) {
		char *enc =
		    b64_encode((const unsigned char *)jr->secrets[i], strlen(jr->secrets[i]));

		json_object_set_new(data, credentials_keys[i], json_string(enc));
		secret_wipe(enc, strlen(enc));
		free(enc);
	}
	obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:s, s:o}", "apiVersion", "v1",
			"kind", "Secret", "metadata", "name", CREDENTIALS_SECRET, "namespace",
			jr->st.namespace, "labels", "app.kubernetes.io/managed-by", "opsdeck",
			"opsdeck.io/store", jr->st.id, "type", "Opaque", "data", data);
	jr_started(
	    jr, kube_create(jr->http, &kube_res_secrets, jr->st.namespace, obj, on_kube, jr, &err),
	    &err, "secret/" CREDENTIALS_SECRET);
	json_decref(obj);
}

static void secrets_get_then(struct jrun *jr, const struct kube_result *res)
{
	struct err err = { { 0 } };

	if (kube_result_ok(res)) {
		if (!secrets_read(jr, res->obj)) {
			jr_fail(jr, false,
				"secret/" CREDENTIALS_SECRET " in %s lacks a key opsdeck needs; "
				"delete it to have new passwords made",
				jr->st.namespace);
			return;
		}
		step_done(jr);
		return;
	}
	if (res->status != 404) {
		jr_check(jr, res, "secret/" CREDENTIALS_SECRET);
		return;
	}
	for (size_t i = 0; i < NSECRETS; i++) {
		if (!secret_generate(jr->secrets[i], sizeof(jr->secrets[i]), PASSWORD_LEN, &err)) {
			jr_fail(jr, false, "%s", err.msg);
			return;
		}
	}
	jr_request(jr, secrets_create_issue, secrets_create_then);
}

static void secrets_get_issue(struct jrun *jr)
{
	struct err err = { { 0 } };

	jr->then = secrets_get_then;
	jr_started(jr,
		   kube_get(jr->http, &kube_res_secrets, jr->st.namespace, CREDENTIALS_SECRET,
			    on_kube, jr, &err),
		   &err, "secret/" CREDENTIALS_SECRET);
}

static void step_secrets(struct jrun *jr)
{
	jr_request(jr, secrets_get_issue, secrets_get_then);
}

/* ---- provision: apply ---- */

static const char *lookup(void *ud, const char *name)
{
	struct jrun *jr = ud;
	static char buf[300];

	if (str_has_prefix(name, "secret.")) {
		for (size_t i = 0; i < NSECRETS; i++) {
			if (strcmp(name + 7, credentials_keys[i]) == 0)
				return jr->secrets[i];
		}
		return NULL;
	}
	return storevars_value(&jr->st, jr->env.domain, jr->url, name, buf, sizeof(buf));
}

/* The store's objects from its offering's template. */
static json_t *render_store(struct jrun *jr, struct err *err)
{
	return render_manifests(jr->st.offering, jr->st.template_text, strlen(jr->st.template_text),
				jr->st.namespace, lookup, jr, err);
}

static void step_apply(struct jrun *jr)
{
	struct err err = { { 0 } };
	json_t *objs = render_store(jr, &err);

	if (!objs) {
		jr_fail(jr, false, "the %s template: %s", jr->st.offering, err.msg);
		return;
	}
	apply_all(jr, objs);
}

/* ---- provision and scale: the namespace's quota and isolation ---- */

static json_t *quota_for(struct jrun *jr, struct err *err)
{
	struct render_plan plan;
	json_t *objs = render_store(jr, err);
	json_t *q;

	if (!objs)
		return NULL;
	render_plan_from_catalog(&jr->st.plan, &plan);
	plan.replicas = jr->st.replicas;
	if (!render_plan_measure(objs, &plan, err)) {
		json_decref(objs);
		return NULL;
	}
	json_decref(objs);
	q = render_quota(jr->st.namespace, &plan);
	if (!q)
		err_set(err, "cannot make the quota of %s", jr->st.namespace);
	return q;
}

static void step_policy(struct jrun *jr)
{
	struct err err = { { 0 } };
	json_t *q = quota_for(jr, &err);
	json_t *np = render_network_policy(jr->st.namespace);

	if (!q || !np) {
		json_decref(q);
		json_decref(np);
		jr_fail(jr, false, "%s", err.msg[0] ? err.msg : "cannot make the network policy");
		return;
	}
	apply_all(jr, json_pack("[oo]", q, np));
}

static void step_quota(struct jrun *jr)
{
	struct err err = { { 0 } };
	json_t *q = quota_for(jr, &err);

	if (!q) {
		jr_fail(jr, false, "%s", err.msg);
		return;
	}
	apply_all(jr, json_pack("[o]", q));
}

/* ---- looking at the workloads ---- */

static const struct kube_resource *const list_res[3] = { &kube_res_deployments,
							 &kube_res_statefulsets, &kube_res_pods };

static void lists_then(struct jrun *jr, const struct kube_result *res);

static void lists_issue(struct jrun *jr)
{
	struct err err = { { 0 } };

	jr_started(
	    jr, kube_list(jr->http, list_res[jr->obj_i], jr->st.namespace, NULL, on_kube, jr, &err),
	    &err, list_res[jr->obj_i]->plural);
}

/* Lists the deployments, statefulsets and pods of the namespace into
 * jr->lists, then calls fn. */
static void read_lists(struct jrun *jr, step_fn fn)
{
	jr->after_lists = fn;
	jr->obj_i = 0;
	jr_request(jr, lists_issue, lists_then);
}

static void lists_then(struct jrun *jr, const struct kube_result *res)
{
	char what[100];

	snprintf(what, sizeof(what), "listing %s in %s", list_res[jr->obj_i]->plural,
		 jr->st.namespace);
	if (!jr_check(jr, res, what))
		return;
	json_decref(jr->lists[jr->obj_i]);
	jr->lists[jr->obj_i] = json_incref(res->obj);
	if (++jr->obj_i < ARRAY_LEN(list_res)) {
		jr_request(jr, lists_issue, lists_then);
		return;
	}
	jr->after_lists(jr);
}

/* ---- waiting for a state: readiness, drain ---- */

static void wait_look(struct jrun *jr);

static void wait_again(struct loop *loop, void *ud)
{
	struct jrun *jr = ud;

	(void)loop;
	jr->wait_timer = NULL;
	read_lists(jr, wait_look);
}

/* Decides after each look: done, broken past its grace, timed out, or
 * look again later. The step's goal is HEALTH_READY, or HEALTH_STOPPED
 * while draining. */
static void wait_look(struct jrun *jr)
{
	char reason[600];
	enum health h =
	    health_check(jr->lists[0], jr->lists[1], jr->lists[2], reason, sizeof(reason));
	const char *step = jr->steps[jr->step].name;
	/* A paused store is healthy when stopped. */
	bool draining = strcmp(step, "drain") == 0 ||
			(strcmp(step, "check") == 0 && strcmp(jr->st.status, "Paused") == 0);
	uint64_t now = loop_now_ms();

	if (h == (draining ? HEALTH_STOPPED : HEALTH_READY)) {
		step_done(jr);
		return;
	}
	if (h == HEALTH_BROKEN && !draining) {
		if (!jr->broken_since_ms)
			jr->broken_since_ms = now;
		if (now - jr->broken_since_ms >= (uint64_t)jr->env.grace_ms) {
			jr_fail(jr, false, "%s", reason);
			return;
		}
	} else {
		jr->broken_since_ms = 0;
	}
	if (now >= jr->deadline_ms) {
		jr_fail(jr, false, "timed out after %lds %s: %s", jr->env.timeout_s,
			draining ? "stopping the workloads" : "waiting for the store to be ready",
			reason);
		return;
	}
	jr->wait_timer = loop_timer_add(jr->env.loop, (uint64_t)jr->env.poll_ms, 0, wait_again, jr);
}

static void step_wait(struct jrun *jr)
{
	jr->deadline_ms = loop_now_ms() + (uint64_t)jr->env.timeout_s * 1000u;
	jr->broken_since_ms = 0;
	read_lists(jr, wait_look);
}

/* ---- scale, pause, resume: patches of the workloads ---- */

/* jr->objs holds [resource plural, name, patch] triples to send in turn. */
static void patch_next(struct jrun *jr);

static const struct kube_resource *workload_res(const char *plural)
{
	return strcmp(plural, "statefulsets") == 0 ? &kube_res_statefulsets : &kube_res_deployments;
}

static void patch_issue(struct jrun *jr)
{
	json_t *t = json_array_get(jr->objs, jr->obj_i);
	struct err err = { { 0 } };
	const char *plural = json_string_value(json_array_get(t, 0));
	const char *name = json_string_value(json_array_get(t, 1));

	jr_started(jr,
		   kube_merge_patch(jr->http, workload_res(plural), jr->st.namespace, name, NULL,
				    json_array_get(t, 2), on_kube, jr, &err),
		   &err, name);
}

static void patch_then(struct jrun *jr, const struct kube_result *res)
{
	json_t *t = json_array_get(jr->objs, jr->obj_i);
	char what[200];

	snprintf(what, sizeof(what), "%s/%s", json_string_value(json_array_get(t, 0)),
		 json_string_value(json_array_get(t, 1)));
	if (!jr_check(jr, res, what))
		return;
	jr->obj_i++;
	patch_next(jr);
}

static void patch_next(struct jrun *jr)
{
	if (jr->obj_i >= json_array_size(jr->objs)) {
		step_done(jr);
		return;
	}
	jr_request(jr, patch_issue, patch_then);
}

static bool is_web(const json_t *w)
{
	const json_t *labels = json_object_get(json_object_get(w, "metadata"), "labels");
	const char *role = json_string_value(json_object_get(labels, "opsdeck.io/role"));

	return role && strcmp(role, "web") == 0;
}

/* Builds the patches for pause (to 0, remembering the count in an
 * annotation) or resume (back to the remembered count; the web Deployment
 * to the store's replicas, which a scale while paused may have changed). */
static void plan_patches(struct jrun *jr)
{
	bool pausing = strcmp(jr->steps[jr->step].name, "pause") == 0;
	json_t *todo = json_array();

	for (int k = 0; k < 2; k++) {
		size_t i;
		const json_t *w;

		json_array_foreach(json_object_get(jr->lists[k], "items"), i, w) {
			const json_t *meta = json_object_get(w, "metadata");
			const char *name = json_string_value(json_object_get(meta, "name"));
			const char *saved = json_string_value(json_object_get(
			    json_object_get(meta, "annotations"), PAUSED_ANNOTATION));
			json_t *spec_r = json_object_get(json_object_get(w, "spec"), "replicas");
			long now_r = json_is_integer(spec_r) ? (long)json_integer_value(spec_r) : 1;
			long want;
			json_t *patch;
			char buf[24];

			if (!name)
				continue;
			if (pausing) {
				if (now_r == 0)
					continue; /* already paused: keep what it remembers */
				snprintf(buf, sizeof(buf), "%ld", now_r);
				patch =
				    json_pack("{s:{s:{s:s}}, s:{s:i}}", "metadata", "annotations",
					      PAUSED_ANNOTATION, buf, "spec", "replicas", 0);
			} else {
				if (k == 0 && is_web(w))
					want = jr->st.replicas;
				else if (!saved || !str_to_long(saved, 0, 1000, &want))
					want = now_r > 0 ? now_r : 1;
				patch = json_pack("{s:{s:{s:n}}, s:{s:I}}", "metadata",
						  "annotations", PAUSED_ANNOTATION, "spec",
						  "replicas", (json_int_t)want);
			}
			json_array_append_new(todo,
					      json_pack("[sso]", list_res[k]->plural, name, patch));
		}
	}
	json_decref(jr->objs);
	jr->objs = todo;
	jr->obj_i = 0;
	patch_next(jr);
}

static void step_patch_workloads(struct jrun *jr)
{
	read_lists(jr, plan_patches);
}

/* Scale: the web Deployment's scale subresource. */
static void scale_then(struct jrun *jr, const struct kube_result *res)
{
	if (!jr_check(jr, res, "scaling the web deployment"))
		return;
	step_done(jr);
}

static void scale_issue(struct jrun *jr)
{
	struct err err = { { 0 } };

	jr_started(jr,
		   kube_scale_set(jr->http, &kube_res_deployments, jr->st.namespace, jr->web,
				  jr->st.replicas, on_kube, jr, &err),
		   &err, "deployment");
}

static void scale_find(struct jrun *jr)
{
	size_t i;
	const json_t *w;

	json_array_foreach(json_object_get(jr->lists[0], "items"), i, w) {
		const char *name =
		    json_string_value(json_object_get(json_object_get(w, "metadata"), "name"));

		if (is_web(w) && name) {
			str_copy(jr->web, sizeof(jr->web), name);
			jr_request(jr, scale_issue, scale_then);
			return;
		}
	}
	jr_fail(jr, false, "no Deployment labelled opsdeck.io/role=web in %s", jr->st.namespace);
}

static void step_scale(struct jrun *jr)
{
	read_lists(jr, scale_find);
}

/* ---- delete ---- */

static void gone_look(struct jrun *jr, const struct kube_result *res);

static void gone_issue(struct jrun *jr)
{
	struct err err = { { 0 } };

	jr_started(
	    jr, kube_get(jr->http, &kube_res_namespaces, NULL, jr->st.namespace, on_kube, jr, &err),
	    &err, "namespace");
}

static void gone_again(struct loop *loop, void *ud)
{
	struct jrun *jr = ud;

	(void)loop;
	jr->wait_timer = NULL;
	jr_request(jr, gone_issue, gone_look);
}

static void gone_look(struct jrun *jr, const struct kube_result *res)
{
	char what[100];

	if (!kube_result_ok(res) && res->status == 404) {
		step_done(jr);
		return;
	}
	snprintf(what, sizeof(what), "namespace %s", jr->st.namespace);
	if (!jr_check(jr, res, what))
		return;
	if (loop_now_ms() >= jr->deadline_ms) {
		const json_t *fin =
		    json_object_get(json_object_get(res->obj, "spec"), "finalizers");
		char *list = json_dumps(fin ? fin : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);

		jr_fail(jr, false, "namespace %s is stuck Terminating after %lds (finalizers: %s)",
			jr->st.namespace, jr->env.timeout_s, list ? list : "?");
		free(list);
		return;
	}
	jr->wait_timer = loop_timer_add(jr->env.loop, (uint64_t)jr->env.poll_ms, 0, gone_again, jr);
}

static void step_gone(struct jrun *jr)
{
	jr->deadline_ms = loop_now_ms() + (uint64_t)jr->env.timeout_s * 1000u;
	jr_request(jr, gone_issue, gone_look);
}

static void delete_then(struct jrun *jr, const struct kube_result *res)
{
	char what[100];

	snprintf(what, sizeof(what), "deleting namespace %s", jr->st.namespace);
	if (!kube_result_ok(res) && res->status == 404) {
		step_done(jr);
		return;
	}
	if (!jr_check(jr, res, what))
		return;
	step_done(jr);
}

static void delete_issue(struct jrun *jr)
{
	struct err err = { { 0 } };

	jr_started(jr,
		   kube_delete(jr->http, &kube_res_namespaces, NULL, jr->st.namespace, "Background",
			       on_kube, jr, &err),
		   &err, "namespace");
}

static void step_delete(struct jrun *jr)
{
	jr_request(jr, delete_issue, delete_then);
}

/* ---- the steps of each kind ---- */

static const struct step provision_steps[] = {
    {"namespace", step_namespace}, {"secrets", step_secrets}, {"apply", step_apply},
    {"policy", step_policy},	   {"readiness", step_wait},  {NULL, NULL},
};
static const struct step scale_steps[] = {
    {"quota", step_quota},
    {"scale", step_scale},
    {"readiness", step_wait},
    {NULL, NULL},
};
static const struct step pause_steps[] = {
	{ "pause", step_patch_workloads }, { "drain", step_wait }, { NULL, NULL },
};
static const struct step resume_steps[] = {
    {"quota", step_quota},
    {"resume", step_patch_workloads},
    {"readiness", step_wait},
    {NULL, NULL},
};
static const struct step delete_steps[] = {
	{ "delete", step_delete }, { "gone", step_gone }, { NULL, NULL },
};
static const struct step check_steps[] = {
	{ "check", step_wait }, { NULL, NULL },
};

static const struct {
	const char *kind;
	const struct step *steps;
} kinds[] = {
    {"provision", provision_steps}, {"scale", scale_steps},   {"pause", pause_steps},
    {"resume", resume_steps},	    {"delete", delete_steps}, {"reconcile", check_steps},
};

/* ---- running ---- */

static void step_recorded(void *ud, const PGresult *res, const struct err *err)
{
	struct jrun *jr = ud;

	if (jr->over)
		return;
	(void)err;
	if (!res) {
		/* Unanswered: the step waits at its start for the database. */
		if (!db_wait(jr, run_step))
			jr_abandon(jr, DB_AWAY);
		return;
	}
	if (!db_bool(res, 0, 0) && !PQgetisnull(res, 0, 1)) {
		/* Asked to stop: the database ended the job, cancelled. */
		str_copy(jr->end_message, sizeof(jr->end_message), db_val(res, 0, 1));
		jr_stop(jr, JRUN_CANCELLED, "");
		return;
	}
	if (!db_bool(res, 0, 0)) {
		jr_abandon(jr, LEASE_GONE); /* the lease went to another runner */
		return;
	}
	jr->db_since_ms = 0;
	jr->step_begun = true;
	jr->steps[jr->step].run(jr);
}

static void run_step(struct jrun *jr)
{
	struct job_attempt a;
	struct db_req r;

	if (jr->over)
		return;
	if (!jr->steps[jr->step].name) {
		jr_end(jr, JOB_SUCCEEDED, NULL, 0);
		return;
	}
	a = attempt_of(jr);
	job_req_step(&r, &a, jr->steps[jr->step].name, NULL);
	db_conn_submit(jr->env.db, &r, DB_TIMEOUT_MS, step_recorded, jr);
}

static void lease_renewed(void *ud, const PGresult *res, const struct err *err)
{
	struct jrun *jr = ud;
	const char *status;

	(void)err;
	if (jr->over || !res)
		return; /* a failed renewal is tried again at the next tick */
	if (PQgetisnull(res, 0, 0)) {
		jr_abandon(jr, LEASE_GONE);
		return;
	}
	status = db_val(res, 0, 0);
	if (strcmp(status, "Deleting") == 0 && strcmp(jr->job.kind, "delete") != 0)
		jr_end(jr, JOB_CANCELLED, "cancelled: the store is being deleted", 0);
}

static void lease_tick(struct loop *loop, void *ud)
{
	struct jrun *jr = ud;
	struct job_attempt a = attempt_of(jr);
	struct db_req r;

	(void)loop;
	job_req_renew(&r, &a, jr->env.lease_s);
	db_conn_submit(jr->env.db, &r, DB_TIMEOUT_MS, lease_renewed, jr);
}

static void store_loaded(void *ud, const PGresult *res, const struct err *err);

static void load_store(struct jrun *jr)
{
	struct db_req r;

	job_req_store(&r, jr->job.store);
	db_conn_submit(jr->env.db, &r, DB_TIMEOUT_MS, store_loaded, jr);
}

static void store_loaded(void *ud, const PGresult *res, const struct err *err)
{
	struct jrun *jr = ud;
	struct err e = { { 0 } };

	if (jr->over)
		return;
	if (!res) {
		if (str_has_prefix(err->msg, "no store"))
			jr_fail(jr, false, "%s", err->msg);
		else if (!db_wait(jr, load_store))
			jr_abandon(jr, DB_AWAY);
		return;
	}
	jr->db_since_ms = 0;
	if (!job_store_parse(res, &jr->st, &e)) {
		jr_fail(jr, false, "%s", e.msg);
		return;
	}
	jr->have_store = true;
	/* What store.url renders as, and what a job that succeeds records. */
	storevars_url(&jr->st, jr->env.domain, strcmp(jr->job.kind, "provision") == 0, jr->url,
		      sizeof(jr->url));
	jr->http = jr->env.http_for(jr->env.http_ud, jr->st.context, &e);
	if (!jr->http) {
		jr_fail(jr, true, "cluster %s (context %s): %s", jr->st.cluster, jr->st.context,
			e.msg);
		return;
	}
	run_step(jr);
}

struct jrun *jrun_start(const struct jrun_env *env, const struct job *job)
{
	struct jrun *jr = xcalloc(1, sizeof(*jr));
	uint64_t every = (uint64_t)env->lease_s * 1000u / 3u;

	jr->env = *env;
	jr->job = *job;
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
		if (strcmp(kinds[i].kind, job->kind) == 0)
			jr->steps = kinds[i].steps;
	}
	jr->lease_timer = loop_timer_add(env->loop, every, every, lease_tick, jr);
	if (!jr->steps) {
		char msg[80];

		snprintf(msg, sizeof(msg), "this runner does not know jobs of kind %.20s",
			 job->kind);
		jr->steps = check_steps;
		jr_end(jr, JOB_FAILED, msg, 0);
		return jr;
	}
	load_store(jr);
	return jr;
}
