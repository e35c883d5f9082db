#include "config.h"

#include "provision/inventory.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonget.h"
#include "kube/api.h"
#include "kube/execcred.h"
#include "kube/watch.h"
#include "provision/health.h"

static const char *const kind_names[INV_KINDS] = {
	[INV_DEPLOYMENTS] = "deployment", [INV_STATEFULSETS] = "statefulset", [INV_PODS] = "pod",
	[INV_PVCS] = "pvc", [INV_SERVICES] = "service", [INV_INGRESSES] = "ingress",
	[INV_EVENTS] = "event",
};

static const struct kube_resource *const kind_res[INV_KINDS] = {
	[INV_DEPLOYMENTS] = &kube_res_deployments, [INV_STATEFULSETS] = &kube_res_statefulsets,
	[INV_PODS] = &kube_res_pods,		   [INV_PVCS] = &kube_res_pvcs,
	[INV_SERVICES] = &kube_res_services,	   [INV_INGRESSES] = &kube_res_ingresses,
	[INV_EVENTS] = &kube_res_events,
};

const char *inventory_kind_name(enum inventory_kind k)
{
	return k < INV_KINDS ? kind_names[k] : "?";
}

/* The value at a path of keys (NULL-terminated), or NULL. */
static const json_t *jat(const json_t *o, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, o);
	while (o && (key = va_arg(ap, const char *)) != NULL)
		o = json_object_get(o, key);
	va_end(ap);
	return o;
}

static bool terminating(const json_t *obj)
{
	return jat(obj, "metadata", "deletionTimestamp", NULL) != NULL;
}

/* ---- one line per object ---- */

static enum inventory_state read_workload(const json_t *w, struct buf *status)
{
	struct health_workload wl;
	enum health h = health_workload(w, &wl);

	buf_printf(status, "%ld/%ld ready", wl.ready, wl.want);
	if (h == HEALTH_STOPPED)
		buf_puts(status, ", scaled to 0");
	if (wl.stale)
		buf_puts(status, HEALTH_STALE_TEXT);
	if (terminating(w)) {
		buf_puts(status, ", terminating");
		return INV_STATE_BUSY;
	}
	switch (h) {
	case HEALTH_READY: return INV_STATE_OK;
	case HEALTH_STOPPED: return INV_STATE_OFF;
	default: return INV_STATE_BUSY;
	}
}

/* "Running, 1/1 ready, 0 restarts" and, while a container waits, why:
 * ", ImagePullBackOff: Back-off pulling image "x"". */
static enum inventory_state read_pod(const json_t *pod, struct buf *status)
{
	const json_t *st = json_object_get(pod, "status");
	const json_t *cs = json_object_get(st, "containerStatuses");
	const char *phase = json_get_str(st, "phase"), *why, *msg;
	size_t total = json_array_size(cs), ready = 0, i;
	long restarts = 0;
	const json_t *c;
	bool waiting = health_pod_waiting(pod, &why, &msg);

	json_array_foreach(cs, i, c) {
		ready += json_is_true(json_object_get(c, "ready"));
		restarts += json_get_count(c, "restartCount", 0); /* clamped: no overflow */
	}
	if (total == 0)
		total = json_array_size(jat(pod, "spec", "containers", NULL));
	if (!*phase)
		phase = "Pending";
	buf_printf(status, "%s, %zu/%zu ready, %ld restart%s",
		   terminating(pod) ? "Terminating" : phase, ready, total, restarts,
		   restarts == 1 ? "" : "s");
	if (waiting && *why)
		buf_printf(status, ", %s%s%s", why, *msg ? ": " : "", msg);
	if (terminating(pod))
		return INV_STATE_BUSY;
	if (strcmp(phase, "Succeeded") == 0)
		return INV_STATE_OFF;
	if (strcmp(phase, "Failed") == 0 || (waiting && health_reason_broken(why)))
		return INV_STATE_BAD;
	if (strcmp(phase, "Running") == 0 && total > 0 && ready == total)
		return INV_STATE_OK;
	return INV_STATE_BUSY;
}

static enum inventory_state read_pvc(const json_t *pvc, struct buf *status)
{
	const char *phase = json_get_str(json_object_get(pvc, "status"), "phase");
	const char *size = json_get_str(jat(pvc, "status", "capacity", NULL), "storage");

	if (!*size)
		size = json_get_str(jat(pvc, "spec", "resources", "requests", NULL), "storage");
	if (!*phase)
		phase = "Pending";
	buf_puts(status, terminating(pvc) ? "Terminating" : phase);
	if (*size)
		buf_printf(status, ", %s", size);
	if (terminating(pvc))
		return INV_STATE_BUSY;
	if (strcmp(phase, "Bound") == 0)
		return INV_STATE_OK;
	return strcmp(phase, "Lost") == 0 ? INV_STATE_BAD : INV_STATE_BUSY;
}

static enum inventory_state read_service(const json_t *svc, struct buf *status)
{
	const json_t *spec = json_object_get(svc, "spec");
	const char *type = json_get_str(spec, "type");
	const json_t *p;
	size_t i;

	buf_printf(status, "%s %s", *type ? type : "ClusterIP",
		   *json_get_str(spec, "clusterIP") ? json_get_str(spec, "clusterIP") : "-");
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		buf_printf(status, "%s%lld/%s", i ? "," : ", ports ",
			   (long long)json_integer_value(json_object_get(p, "port")),
			   *json_get_str(p, "protocol") ? json_get_str(p, "protocol") : "TCP");
	}
	return INV_STATE_NONE;
}

static enum inventory_state read_ingress(const json_t *ing, struct buf *status)
{
	const json_t *r, *lb = jat(ing, "status", "loadBalancer", "ingress", NULL);
	size_t i, n = 0;

	json_array_foreach(jat(ing, "spec", "rules", NULL), i, r) {
		if (*json_get_str(r, "host"))
			buf_printf(status, "%s%s", n++ ? ", " : "hosts ", json_get_str(r, "host"));
	}
	if (n == 0)
		buf_puts(status, "no host");
	json_array_foreach(lb, i, r) {
		const char *addr =
		    *json_get_str(r, "ip") ? json_get_str(r, "ip") : json_get_str(r, "hostname");

		if (*addr) {
			buf_printf(status, ", address %s", addr);
			return INV_STATE_NONE;
		}
	}
	buf_puts(status, ", no address yet");
	return INV_STATE_NONE;
}

static void add_object(struct inventory_view *v, size_t *cap, enum inventory_kind k,
		       const json_t *obj)
{
	struct buf status = BUF_INIT;
	struct inventory_object *o;
	enum inventory_state state;

	switch (k) {
	case INV_DEPLOYMENTS:
	case INV_STATEFULSETS: state = read_workload(obj, &status); break;
	case INV_PODS: state = read_pod(obj, &status); break;
	case INV_PVCS: state = read_pvc(obj, &status); break;
	case INV_SERVICES: state = read_service(obj, &status); break;
	case INV_INGRESSES: state = read_ingress(obj, &status); break;
	default: return;
	}
	v->objects = xgrow(v->objects, cap, v->nobjects + 1, sizeof(*v->objects));
	o = &v->objects[v->nobjects++];
	o->kind = k;
	o->name = xasprintf("%s/%s", kind_names[k],
			    json_get_str(json_object_get(obj, "metadata"), "name"));
	o->status = buf_steal(&status);
	o->state = state;
}

static int object_cmp(const void *a, const void *b)
{
	const struct inventory_object *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* ---- events ---- */

/* When it last happened: lastTimestamp (core/v1 events), else eventTime
 * (events.k8s.io writers), else when the object was made. */
static time_t event_time(const json_t *ev)
{
	const char *keys[] = { json_get_str(ev, "lastTimestamp"), json_get_str(ev, "eventTime"),
			       json_get_str(json_object_get(ev, "metadata"), "creationTimestamp") };
	time_t t;

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		if (*keys[i] && execcred_parse_time(keys[i], &t))
			return t;
	}
	return 0;
}

static void add_event(struct inventory_view *v, size_t *cap, const json_t *ev)
{
	const json_t *io = json_object_get(ev, "involvedObject");
	struct inventory_event *e;
	char kind[64];
	size_t i;

	str_copy(kind, sizeof(kind), json_get_str(io, "kind"));
	for (i = 0; kind[i]; i++)
		kind[i] = (char)tolower((unsigned char)kind[i]);
	v->events = xgrow(v->events, cap, v->nevents + 1, sizeof(*v->events));
	e = &v->events[v->nevents++];
	e->at = event_time(ev);
	e->type = xstrdup(*json_get_str(ev, "type") ? json_get_str(ev, "type") : "Normal");
	e->warning = strcmp(e->type, "Warning") == 0;
	e->reason = xstrdup(json_get_str(ev, "reason"));
	e->object = xasprintf("%s/%s", kind[0] ? kind : "object", json_get_str(io, "name"));
	e->message = xstrdup(json_get_str(ev, "message"));
}

/* Newest first; equal times in a fixed order so the screen does not
 * shuffle between two reads. */
static int event_cmp(const void *a, const void *b)
{
	const struct inventory_event *x = a, *y = b;
	int c;

	if (x->at != y->at)
		return x->at > y->at ? -1 : 1;
	if ((c = strcmp(x->object, y->object)) != 0)
		return c;
	if ((c = strcmp(x->reason, y->reason)) != 0)
		return c;
	return strcmp(x->message, y->message);
}

static void event_free(struct inventory_event *e)
{
	free(e->type);
	free(e->reason);
	free(e->object);
	free(e->message);
}

/* ---- reading ---- */

/* Calls fn on every object of a map (a watch's) or an array. */
static void each(const json_t *objs, void (*fn)(void *ctx, const json_t *obj), void *ctx)
{
	const char *key;
	json_t *obj;
	size_t i;

	if (json_is_array(objs)) {
		json_array_foreach(objs, i, obj) fn(ctx, obj);
	} else if (json_is_object(objs)) {
		json_object_foreach((json_t *)objs, key, obj) fn(ctx, obj);
	}
}

struct read_ctx {
	struct inventory_view *v;
	size_t ocap, ecap;
	enum inventory_kind kind;
};

static void read_one(void *ctx, const json_t *obj)
{
	struct read_ctx *r = ctx;

	if (!json_is_object(obj))
		return;
	if (r->kind == INV_EVENTS)
		add_event(r->v, &r->ecap, obj);
	else
		add_object(r->v, &r->ocap, r->kind, obj);
}

void inventory_read(const json_t *const objs[INV_KINDS], size_t max_events,
		    struct inventory_view *out)
{
	struct read_ctx r = { .v = out };

	memset(out, 0, sizeof(*out));
	for (int k = 0; k < INV_KINDS; k++) {
		r.kind = (enum inventory_kind)k;
		each(objs[k], read_one, &r);
	}
	if (out->nobjects > 1)
		qsort(out->objects, out->nobjects, sizeof(*out->objects), object_cmp);
	if (out->nevents > 1)
		qsort(out->events, out->nevents, sizeof(*out->events), event_cmp);
	while (out->nevents > max_events)
		event_free(&out->events[--out->nevents]);
}

void inventory_view_free(struct inventory_view *v)
{
	for (size_t i = 0; i < v->nobjects; i++) {
		free(v->objects[i].name);
		free(v->objects[i].status);
	}
	for (size_t i = 0; i < v->nevents; i++)
		event_free(&v->events[i]);
	free(v->objects);
	free(v->events);
	memset(v, 0, sizeof(*v));
}

/* ---- the watches ---- */

struct inventory {
	struct loop *loop;
	struct kube_sub *w[INV_KINDS];
	struct loop_timer *settle;
	inventory_fn fn;
	void *ud;
};

static void settled(struct loop *loop, void *ud)
{
	struct inventory *inv = ud;

	(void)loop;
	inv->settle = NULL; /* a one-shot timer is gone once it has fired */
	inv->fn(inv->ud);
}

static void changed(struct kube_sub *w, const struct kube_changes *ch, void *ud)
{
	struct inventory *inv = ud;

	(void)w;
	(void)ch;
	if (!inv->settle)
		inv->settle = loop_timer_add(inv->loop, INVENTORY_SETTLE_MS, 0, settled, inv);
}

struct inventory *inventory_new(struct kube_registry *reg, const char *context, const char *ns,
				inventory_fn fn, void *ud, struct err *err)
{
	struct inventory *inv;

	if (!ns || !kube_valid_namespace(ns)) {
		err_set(err, "'%.64s' is not a namespace name", ns ? ns : "");
		return NULL;
	}
	if (!kube_registry_client(reg, context, err))
		return NULL;
	inv = xcalloc(1, sizeof(*inv));
	inv->loop = kube_http_loop(kube_registry_client(reg, context, err));
	inv->fn = fn;
	inv->ud = ud;
	for (int k = 0; k < INV_KINDS; k++) {
		inv->w[k] = kube_registry_subscribe(reg, context, kind_res[k], ns, NULL, NULL,
						    changed, inv, err);
		if (!inv->w[k]) {
			inventory_free(inv);
			return NULL;
		}
	}
	return inv;
}

void inventory_free(struct inventory *inv)
{
	if (!inv)
		return;
	for (int k = 0; k < INV_KINDS; k++)
		kube_sub_free(inv->w[k]);
	loop_timer_cancel(inv->settle);
	free(inv);
}

bool inventory_synced(const struct inventory *inv)
{
	for (int k = 0; k < INV_KINDS; k++) {
		if (!kube_sub_ready(inv->w[k]))
			return false;
	}
	return true;
}

const char *inventory_error(const struct inventory *inv)
{
	for (int k = 0; k < INV_KINDS; k++) {
		const char *e = kube_sub_problem(inv->w[k]);

		if (*e)
			return e;
	}
	return "";
}

void inventory_snapshot(const struct inventory *inv, size_t max_events, struct inventory_view *out)
{
	const json_t *objs[INV_KINDS];

	for (int k = 0; k < INV_KINDS; k++)
		objs[k] = kube_sub_objects(inv->w[k]);
	inventory_read(objs, max_events, out);
}
