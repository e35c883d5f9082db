#include "config.h"

#include "fault.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrl.h"
#include "jutil.h"
#include "restype.h"
#include "seed.h"
#include "status.h"
#include "store.h"

static const char *const verbs[] = {"get",    "list",  "watch",	 "create",
				    "update", "patch", "delete", "deletecollection",
				    "other",  NULL};

bool fault_refuse_connection(struct sim *s)
{
	bool refuse;

	pthread_mutex_lock(&s->lock);
	refuse = s->faults.refuse_until_ms > sim_mono_ms() ||
		 s->faults.outage_until_ms > sim_mono_ms();
	if (refuse)
		s->stats.refused++;
	pthread_mutex_unlock(&s->lock);
	return refuse;
}

bool fault_drop_request(struct sim *s, const char *path)
{
	bool drop;

	if (str_has_prefix(path, "/sim/"))
		return false;
	pthread_mutex_lock(&s->lock);
	drop = s->faults.outage_until_ms > sim_mono_ms();
	if (drop)
		s->stats.refused++;
	pthread_mutex_unlock(&s->lock);
	return drop;
}

static const char *reason_for(int code)
{
	switch (code) {
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 409:
		return "Conflict";
	case 410:
		return "Expired";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalError";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "Timeout";
	default:
		return NULL;
	}
}

/* GET /api/v1/namespaces/NS/pods/NAME/log */
static bool is_log_request(const struct req *r)
{
	const char *p = r->path;
	int seg = 0;
	const char *last = NULL;

	if (!str_eq(r->method, "GET") || !str_has_prefix(p, "/api/v1/namespaces/"))
		return false;
	for (; *p; p++) {
		if (*p == '/') {
			seg++;
			last = p + 1;
		}
	}
	return seg == 7 && str_eq(last, "log") && strstr(r->path, "/pods/");
}

/* Waits the injected latency (lock held), on the condition variable rather
 * than in nanosleep, so that kubesim stopping cuts it short: the request's
 * thread then finishes and the server's shutdown joins it at once. */
static void latency_wait(struct sim *s, long ms)
{
	int64_t end = sim_mono_ms() + ms, left;

	while (!atomic_load(&s->stopping) && (left = end - sim_mono_ms()) > 0)
		sim_wait(s, (long)left);
}

bool fault_before_request(struct sim *s, const struct req *r, const char *verb, struct resp *out)
{
	long latency = 0;
	bool inject = false;
	int code = 0;
	char msg[256] = "";
	size_t i;

	pthread_mutex_lock(&s->lock);
	s->stats.requests++;
	for (i = 0; verbs[i] && !str_eq(verbs[i], verb); i++)
		;
	s->stats.by_verb[verbs[i] ? i : ARRAY_LEN(verbs) - 2]++;
	if (str_has_prefix(r->path, s->faults.path_prefix)) {
		latency = s->faults.latency_ms;
		if (s->faults.error_rate > 0 && s->faults.error_count != 0 &&
		    sim_rand01(s) < s->faults.error_rate) {
			inject = true;
			code = s->faults.error_code;
			snprintf(msg, sizeof(msg), "%s", s->faults.error_message);
			if (s->faults.error_count > 0)
				s->faults.error_count--;
			s->stats.errors_injected++;
		} else if (s->faults.log_error_rate > 0 && is_log_request(r) &&
			   sim_rand01(s) < s->faults.log_error_rate) {
			inject = true;
			code = s->faults.log_error_code ? s->faults.log_error_code : 503;
			s->stats.errors_injected++;
		}
	}
	if (latency > 0)
		latency_wait(s, latency);
	pthread_mutex_unlock(&s->lock);
	if (!inject)
		return false;
	if (!msg[0]) {
		if (code == 429)
			snprintf(msg, sizeof(msg), "Too many requests, please try again later.");
		else if (code == 503)
			snprintf(msg, sizeof(msg),
				 "the server is currently unable to handle the "
				 "request (injected fault)");
		else
			snprintf(msg, sizeof(msg), "Internal error occurred: injected fault");
	}
	api_error(out, code, reason_for(code), msg);
	if (code == 429 || code == 503)
		out->retry_after = 1;
	return true;
}

bool fault_drop_stream(struct sim *s, const char *path, long lines, int64_t started_ms)
{
	const struct fault_cfg *f = &s->faults;

	if (f->outage_until_ms > sim_mono_ms())
		return true;
	if (!str_has_prefix(path, f->path_prefix))
		return false;
	if (f->drop_after_lines > 0 && lines >= f->drop_after_lines)
		return true;
	return f->drop_after_ms > 0 && sim_mono_ms() - started_ms >= f->drop_after_ms;
}

void fault_log_stream(const struct sim *s, const char *path, struct log_faults *out)
{
	const struct fault_cfg *f = &s->faults;

	memset(out, 0, sizeof(*out));
	if (!str_has_prefix(path, f->path_prefix))
		return;
	out->drop_after_lines = f->drop_after_lines;
	out->drop_rate = f->log_drop_rate;
	out->stall_after_lines = f->log_stall_after_lines;
	out->stall_ms = f->log_stall_limited && f->log_stall_left <= 0 ? 0 : f->log_stall_ms;
}

void fault_log_stall_taken(struct sim *s)
{
	if (s->faults.log_stall_limited && s->faults.log_stall_left > 0)
		s->faults.log_stall_left--;
}

long fault_log_follow_max_ms(const struct sim *s)
{
	return s->faults.log_follow_max_set ? s->faults.log_follow_max_ms
					    : s->opt.log_follow_max_ms;
}

long fault_log_rotate_lines(const struct sim *s)
{
	return s->faults.log_rotate_set ? s->faults.log_rotate_lines : s->opt.log_rotate_lines;
}

static json_t *faults_json(const struct sim *s)
{
	const struct fault_cfg *f = &s->faults;
	int64_t left = f->refuse_until_ms - sim_mono_ms();
	int64_t out = f->outage_until_ms - sim_mono_ms();
	json_t *j = json_pack("{s:f, s:i, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:s}", "errorRate",
			 f->error_rate, "errorCode", f->error_code, "errorMessage",
			 f->error_message, "errorCount", (json_int_t)f->error_count,
			 "latencyMs", (json_int_t)f->latency_ms,
			 "dropAfterLines", (json_int_t)f->drop_after_lines, "dropAfterSeconds",
			 (double)f->drop_after_ms / 1000.0, "refuseSeconds",
			 left > 0 ? (double)left / 1000.0 : 0.0, "outageSeconds",
			 out > 0 ? (double)out / 1000.0 : 0.0, "pathPrefix", f->path_prefix);

	json_object_set_new(j, "logDropRate", json_real(f->log_drop_rate));
	json_object_set_new(j, "logStallAfterLines", json_integer(f->log_stall_after_lines));
	json_object_set_new(j, "logStallSeconds", json_real((double)f->log_stall_ms / 1000.0));
	json_object_set_new(j, "logStallCount",
			    json_integer(f->log_stall_limited ? f->log_stall_left : -1));
	json_object_set_new(j, "logErrorRate", json_real(f->log_error_rate));
	json_object_set_new(j, "logErrorCode",
			    json_integer(f->log_error_code ? f->log_error_code : 503));
	json_object_set_new(j, "logFollowMaxSeconds",
			    json_real((double)fault_log_follow_max_ms(s) / 1000.0));
	json_object_set_new(j, "logRotateLines", json_integer(fault_log_rotate_lines(s)));
	return j;
}

static json_t *stats_json(const struct sim *s)
{
	json_t *by = json_object(), *objs = json_object(), *j;
	const struct sim_stats *st = &s->stats;

	for (size_t i = 0; verbs[i]; i++)
		json_object_set_new(by, verbs[i], json_integer((json_int_t)st->by_verb[i]));
	for (int k = 0; k < K_COUNT; k++) {
		const struct restype *rt = restype_get((enum kind_id)k);

		json_object_set_new(objs, rt->plural,
				    json_integer((json_int_t)store_count(s->store, rt)));
	}
	j = json_pack("{s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o}",
			 "requests", (json_int_t)st->requests, "byVerb", by, "errorsInjected",
			 (json_int_t)st->errors_injected, "connectionsRefused",
			 (json_int_t)st->refused, "unauthorized", (json_int_t)st->unauthorized,
			 "forbidden", (json_int_t)st->forbidden, "watchesOpen",
			 (json_int_t)st->watches_open, "watchesTotal",
			 (json_int_t)st->watches_total, "logStreamsOpen", (json_int_t)st->logs_open,
			 "logStreamsTotal", (json_int_t)st->logs_total, "streamsDropped",
			 (json_int_t)st->streams_dropped, "resourceVersion",
			 (json_int_t)store_rv(s->store), "speed", s->speed, "objects", objs);
	json_object_set_new(j, "logStreamsCapped", json_integer((json_int_t)st->logs_capped));
	json_object_set_new(j, "logStreamsRotated", json_integer((json_int_t)st->logs_rotated));
	json_object_set_new(j, "logStreamsStalled", json_integer((json_int_t)st->logs_stalled));
	return j;
}

static bool number(const json_t *body, const char *key, double min, double max, double *out,
		   struct apierr *e)
{
	json_t *v = json_object_get(body, key);

	if (!v)
		return true;
	if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max) {
		apierr_bad_request(e, "%s must be a number between %g and %g", key, min, max);
		return false;
	}
	*out = json_number_value(v);
	return true;
}

/* number() for counts and codes: a fraction is refused, never truncated. */
static bool integer(const json_t *body, const char *key, double min, double max, double *out,
		    struct apierr *e)
{
	json_t *v = json_object_get(body, key);

	if (v && !json_is_integer(v) &&
	    (!json_is_real(v) || json_real_value(v) != floor(json_real_value(v)))) {
		apierr_bad_request(e, "%s must be an integer between %g and %g", key, min, max);
		return false;
	}
	return number(body, key, min, max, out, e);
}

/* Seconds to milliseconds, a positive fraction of a millisecond up to one:
 * 0 means "never" for these settings, which is not what was asked. */
static long secs_to_ms(double secs)
{
	long ms = lround(secs * 1000.0);

	return ms == 0 && secs > 0 ? 1 : ms;
}

static void set_faults(struct sim *s, const json_t *body, struct apierr *e)
{
	struct fault_cfg f = s->faults;
	double rate = f.error_rate, code = f.error_code, lat = (double)f.latency_ms;
	double lines = (double)f.drop_after_lines, secs = (double)f.drop_after_ms / 1000.0;
	double refuse = 0, outage = 0, count = (double)f.error_count;
	double drop_rate = f.log_drop_rate, stall_after = (double)f.log_stall_after_lines;
	double stall = (double)f.log_stall_ms / 1000.0, log_rate = f.log_error_rate;
	double stall_count = f.log_stall_limited ? (double)f.log_stall_left : -1;
	double log_code = f.log_error_code ? f.log_error_code : 503;
	double follow_max = (double)fault_log_follow_max_ms(s) / 1000.0;
	double rotate = (double)fault_log_rotate_lines(s);
	const char *k;
	json_t *v;
	static const char *const known[] = {
	    "errorRate",	"errorCode",	 "latencyMs",  "dropAfterLines",
	    "dropAfterSeconds", "refuseSeconds", "outageSeconds", "pathPrefix",
	    "errorMessage",	"errorCount",	 "logDropRate",	"logStallAfterLines",
	    "logStallSeconds",	"logErrorRate", "logErrorCode", "logFollowMaxSeconds",
	    "logRotateLines",	"logStallCount", NULL};

	json_object_foreach((json_t *)body, k, v)
	{
		bool ok = false;

		for (const char *const *p = known; *p; p++)
			ok = ok || str_eq(*p, k);
		if (!ok) {
			apierr_bad_request(e, "unknown fault setting \"%s\"", k);
			return;
		}
	}
	if (!number(body, "errorRate", 0, 1, &rate, e) ||
	    !integer(body, "errorCode", 400, 599, &code, e) ||
	    !integer(body, "latencyMs", 0, 60000, &lat, e) ||
	    !integer(body, "dropAfterLines", 0, 1e9, &lines, e) ||
	    !number(body, "dropAfterSeconds", 0, 86400, &secs, e) ||
	    !number(body, "refuseSeconds", 0, 3600, &refuse, e) ||
	    !number(body, "outageSeconds", 0, 3600, &outage, e) ||
	    !integer(body, "errorCount", -1, 1e9, &count, e) ||
	    !number(body, "logDropRate", 0, 1, &drop_rate, e) ||
	    !integer(body, "logStallAfterLines", 0, 1e9, &stall_after, e) ||
	    !number(body, "logStallSeconds", 0, 3600, &stall, e) ||
	    !integer(body, "logStallCount", -1, 1e9, &stall_count, e) ||
	    !number(body, "logErrorRate", 0, 1, &log_rate, e) ||
	    !integer(body, "logErrorCode", 400, 599, &log_code, e) ||
	    !number(body, "logFollowMaxSeconds", 0, 86400, &follow_max, e) ||
	    !integer(body, "logRotateLines", 0, 1e9, &rotate, e))
		return;
	if (json_object_get(body, "errorMessage")) {
		const char *m = jstr(body, "errorMessage", NULL);

		if (!m || strlen(m) >= sizeof(f.error_message)) {
			apierr_bad_request(e, "errorMessage must be a string of at most %zu bytes",
					   sizeof(f.error_message) - 1);
			return;
		}
		snprintf(f.error_message, sizeof(f.error_message), "%s", m);
	}
	if (json_object_get(body, "pathPrefix")) {
		const char *p = jstr(body, "pathPrefix", NULL);

		if (!p || p[0] != '/' || strlen(p) >= sizeof(f.path_prefix)) {
			apierr_bad_request(e,
					   "pathPrefix must be a path starting with / (at most %zu "
					   "bytes)",
					   sizeof(f.path_prefix) - 1);
			return;
		}
		snprintf(f.path_prefix, sizeof(f.path_prefix), "%s", p);
	}
	f.error_rate = rate;
	f.error_code = (int)code;
	f.error_count = (long)count;
	f.latency_ms = (long)lat;
	f.drop_after_lines = (long)lines;
	f.drop_after_ms = secs_to_ms(secs);
	f.log_drop_rate = drop_rate;
	f.log_stall_after_lines = (long)stall_after;
	f.log_stall_ms = secs_to_ms(stall);
	f.log_stall_limited = stall_count >= 0;
	f.log_stall_left = f.log_stall_limited ? (long)stall_count : 0;
	f.log_error_rate = log_rate;
	f.log_error_code = (int)log_code;
	if (json_object_get(body, "logFollowMaxSeconds")) {
		f.log_follow_max_set = true;
		f.log_follow_max_ms = secs_to_ms(follow_max);
	}
	if (json_object_get(body, "logRotateLines")) {
		f.log_rotate_set = true;
		f.log_rotate_lines = (long)rotate;
	}
	if (json_object_get(body, "refuseSeconds"))
		f.refuse_until_ms = refuse > 0 ? sim_mono_ms() + secs_to_ms(refuse) : 0;
	if (json_object_get(body, "outageSeconds"))
		f.outage_until_ms = outage > 0 ? sim_mono_ms() + secs_to_ms(outage) : 0;
	s->faults = f;
}

static void reply(struct resp *out, int code, json_t *doc)
{
	out->code = code;
	out->ctype = "application/json";
	out->body = jdump(doc);
	out->len = strlen(out->body);
	json_decref(doc);
}

void fault_handle(struct sim *s, const struct req *r, struct resp *out)
{
	struct apierr e = {0};
	json_t *body = NULL;
	bool get = str_eq(r->method, "GET");
	const char *what = r->path + strlen("/sim/");

	if (!str_has_prefix(r->path, "/sim/")) {
		api_error(out, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if (!get && r->readonly) {
		api_error(out, 403, "Forbidden",
			  "the read-only token may not change the simulator");
		return;
	}
	if (r->body_len) {
		json_error_t je;

		body = json_loadb(r->body, r->body_len, 0, &je);
		if (!json_is_object(body)) {
			json_decref(body);
			api_error(out, 400, "BadRequest", "the body must be a JSON object");
			return;
		}
	}
	pthread_mutex_lock(&s->lock);
	if (str_eq(what, "stats") && get) {
		reply(out, 200, stats_json(s));
	} else if (str_eq(what, "faults") && get) {
		reply(out, 200, faults_json(s));
	} else if (str_eq(what, "faults") && str_eq(r->method, "DELETE")) {
		memset(&s->faults, 0, sizeof(s->faults));
		s->faults.error_code = 500;
		s->faults.error_count = -1;
		snprintf(s->faults.path_prefix, sizeof(s->faults.path_prefix), "/api");
		sim_broadcast(s); /* a stalled stream goes on */
		reply(out, 200, faults_json(s));
	} else if (str_eq(what, "faults") && str_eq(r->method, "POST")) {
		set_faults(s, body ? body : json_object(), &e);
		sim_broadcast(s); /* streams waiting see the new settings */
		if (apierr_isset(&e))
			reply(out, e.code, status_json(&e));
		else
			reply(out, 200, faults_json(s));
	} else if (str_eq(what, "speed") && str_eq(r->method, "POST")) {
		json_t *f = json_object_get(body, "factor");

		if (!json_is_number(f) || json_number_value(f) < 0.01 ||
		    json_number_value(f) > 1000) {
			apierr_bad_request(&e, "factor must be a number between 0.01 and 1000");
			reply(out, 400, status_json(&e));
		} else {
			sim_set_speed(s, json_number_value(f));
			reply(out, 200, json_pack("{s:f}", "factor", s->speed));
		}
	} else if (str_eq(what, "restart") && str_eq(r->method, "POST")) {
		const char *ns = jstr(body, "namespace", ""), *pod = jstr(body, "pod", "");
		struct obj *o = store_get(s->store, restype_get(K_POD), ns, pod);
		double code = 137;

		if (!integer(body, "exitCode", 0, 255, &code, &e)) {
			reply(out, 400, status_json(&e));
		} else if (!o) {
			apierr_not_found(&e, restype_get(K_POD), pod);
			reply(out, 404, status_json(&e));
		} else if (!ctrl_restart_container(s, o, jstr(body, "container", NULL), (int)code,
						   &e)) {
			reply(out, e.code, status_json(&e));
		} else {
			reply(out, 200, json_incref(o->doc));
		}
	} else if (str_eq(what, "seed") && str_eq(r->method, "POST")) {
		json_t *res;

		if (seed_stores(s, body, &res, &e))
			reply(out, 200, res);
		else
			reply(out, e.code, status_json(&e));
	} else {
		apierr_set(&e, 404, "NotFound", "no simulator endpoint %s %s", r->method, r->path);
		reply(out, 404, status_json(&e));
	}
	pthread_mutex_unlock(&s->lock);
	apierr_clear(&e);
	json_decref(body);
}
