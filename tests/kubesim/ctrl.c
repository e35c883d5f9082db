#include "config.h"

#include "ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finalize.h"
#include "jutil.h"
#include "kinds.h"
#include "logs.h"
#include "quota.h"
#include "restype.h"
#include "selector.h"

/* Pod lifecycle steps. */
enum { ST_NEW, ST_SCHEDULED, ST_CREATING, ST_RUNNING, ST_READY, ST_PULLFAIL, ST_BACKOFF };

struct ctrl {
	struct sim *s;
	pthread_t thread;
	bool started;
	/* Sets keyed by uid (values unused) or namespace name. */
	json_t *dirty;	     /* workloads to reconcile */
	json_t *active;	     /* pods with a pending step or termination */
	json_t *quota_ns;    /* namespaces whose quotas need a recount */
	json_t *terminating; /* namespaces being deleted: uid -> due (sim ms) */
	json_t *pending;     /* PVCs to bind and topics to make ready: uid -> due */
	json_t *foreground;  /* objects deleted in the foreground, waiting for dependents */
	bool gc_needed;
	int64_t retry_at; /* sim ms: retry failed pod creations */
	int64_t next_event_sweep;
	int64_t oldest_event_ms; /* wall ms of the oldest Event; 0 = none */
};

static int64_t clk(const struct ctrl *c)
{
	return sim_clock_ms(c->s);
}

static void now_str(char out[32])
{
	sim_fmt_time(sim_wall_ms(), out);
}

static const char *controller_uid(const json_t *doc)
{
	json_t *refs = jpath(doc, "metadata.ownerReferences"), *r;
	size_t i;

	json_array_foreach(refs, i, r)
	{
		if (jbool(r, "controller", false))
			return jstr(r, "uid", NULL);
	}
	return NULL;
}

static bool deleting(const json_t *doc)
{
	return jpath(doc, "metadata.deletionTimestamp") != NULL;
}

/* Stores doc as o's new state only if it differs (ownership of doc taken). */
static void update_if_changed(struct sim *s, struct obj *o, json_t *doc)
{
	if (json_equal(doc, o->doc)) {
		json_decref(doc);
		return;
	}
	store_update(s->store, o, doc);
}

static bool pod_ready(const json_t *pod)
{
	json_t *conds = jpath(pod, "status.conditions"), *x;
	size_t i;

	json_array_foreach(conds, i, x)
	{
		if (str_eq(jstr(x, "type", ""), "Ready"))
			return str_eq(jstr(x, "status", ""), "True");
	}
	return false;
}

/* A hash of what a pod's owner counts (phase, readiness, deletion, labels):
 * other changes need no reconciliation of the owner. */
static uint32_t pod_sig(const json_t *doc)
{
	char *labels = jlabels_string(jpath(doc, "metadata.labels"));
	char *text = xasprintf("%s|%d|%d|%s", jstr(doc, "status.phase", ""), pod_ready(doc),
			       deleting(doc), labels);
	uint32_t h = sim_fnv32(text, strlen(text));

	free(labels);
	free(text);
	return h;
}

void ctrl_store_hook(void *cls, struct obj *o, enum wev_type type)
{
	struct ctrl *c = cls;
	const char *owner = controller_uid(o->doc);

	sim_broadcast(c->s);
	switch (o->rt->id) {
	case K_POD:
		if (type == WEV_ADDED && !o->priv) {
			struct podrt *rt = podrt_new(o->doc);

			rt->due = clk(c) + c->s->opt.schedule_ms;
			o->priv = rt;
			o->priv_free = podrt_free;
		}
		if (type == WEV_MODIFIED && o->priv) {
			struct podrt *rt = o->priv;
			uint32_t sig = pod_sig(o->doc);

			if (sig == rt->sig && !deleting(o->doc))
				break;
			rt->sig = sig;
		}
		if (type != WEV_DELETED)
			json_object_set_new(c->active, o->uid, json_true());
		else
			json_object_del(c->active, o->uid);
		if (owner)
			json_object_set_new(c->dirty, owner, json_true());
		json_object_set_new(c->quota_ns, o->ns, json_true());
		break;
	case K_DEPLOYMENT:
	case K_STATEFULSET:
	case K_REPLICASET:
		if (type != WEV_DELETED)
			json_object_set_new(c->dirty, o->uid, json_true());
		if (owner)
			json_object_set_new(c->dirty, owner, json_true());
		break;
	case K_NAMESPACE:
		/* The controller's part ends when it drops its "kubernetes"
		 * finalizer; metadata.finalizers are other controllers'. */
		if (type == WEV_MODIFIED && deleting(o->doc) &&
		    fin_listed(jpath(o->doc, "spec.finalizers"), "kubernetes") &&
		    !json_object_get(c->terminating, o->uid))
			json_object_set_new(c->terminating, o->uid,
					    json_integer(clk(c) + c->s->opt.ns_delete_ms));
		break;
	case K_PVC:
		if (type == WEV_ADDED)
			json_object_set_new(c->pending, o->uid, json_integer(clk(c)));
		json_object_set_new(c->quota_ns, o->ns, json_true());
		break;
	case K_KAFKATOPIC:
		if (type != WEV_DELETED && jint(o->doc, "status.observedGeneration", 0) !=
					       jint(o->doc, "metadata.generation", 1))
			json_object_set_new(c->pending, o->uid,
					    json_integer(clk(c) + c->s->opt.topic_ready_ms));
		break;
	case K_QUOTA:
	case K_SERVICE:
	case K_SECRET:
	case K_CONFIGMAP:
		json_object_set_new(c->quota_ns, o->ns, json_true());
		break;
	case K_EVENT:
	case K_INGRESS:
	case K_NETPOL:
	case K_JOB:
	case K_COUNT:
		break;
	}
	if (type == WEV_DELETED)
		c->gc_needed = true;
	else if (deleting(o->doc) &&
		 fin_listed(jpath(o->doc, "metadata.finalizers"), "foregroundDeletion"))
		json_object_set_new(c->foreground, o->uid, json_true());
}

struct ctrl *ctrl_new(struct sim *s)
{
	struct ctrl *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->dirty = json_object();
	c->active = json_object();
	c->quota_ns = json_object();
	c->terminating = json_object();
	c->pending = json_object();
	c->foreground = json_object();
	return c;
}

void ctrl_event(struct sim *s, const struct obj *about, const char *type, const char *reason,
		const char *message, const char *component)
{
	char name[320], uid[37], now[32];
	const char *ns = about->ns[0] ? about->ns : "default";
	json_t *doc;

	if (!store_get(s->store, restype_get(K_NAMESPACE), NULL, ns))
		return;
	snprintf(name, sizeof(name), "%.250s.%016llx", about->name,
		 (unsigned long long)sim_rand(s));
	sim_uid(s, uid);
	now_str(now);
	doc = json_pack(
	    "{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:s, s:s, "
	    "s:{s:s, s:s}, s:s, s:s, s:i, s:s, s:n, s:s, s:s}",
	    "kind", "Event", "apiVersion", "v1", "metadata", "name", name, "namespace", ns, "uid",
	    uid, "creationTimestamp", now, "involvedObject", "kind", about->rt->kind, "namespace",
	    about->ns, "name", about->name, "uid", about->uid, "apiVersion", about->rt->api_version,
	    "reason", reason, "message", message, "source", "component", component, "host",
	    "kubesim-node", "firstTimestamp", now, "lastTimestamp", now, "count", 1, "type", type,
	    "eventTime", "reportingComponent", component, "reportingInstance", "kubesim-node");
	store_add(s->store, restype_get(K_EVENT), doc);
	if (s->ctrl && (!s->ctrl->oldest_event_ms || s->ctrl->oldest_event_ms > sim_wall_ms()))
		s->ctrl->oldest_event_ms = sim_wall_ms();
}

/* ---- pods ---- */

static json_t *cond(const char *type, const char *status, const char *now, const char *reason)
{
	json_t *c = json_pack("{s:s, s:s, s:n, s:s}", "type", type, "status", status,
			      "lastProbeTime", "lastTransitionTime", now);

	if (reason)
		json_object_set_new(c, "reason", json_string(reason));
	return c;
}

static json_t *container_statuses(const struct podrt *rt, const json_t *pod, int stage,
				  const char *now)
{
	json_t *arr = json_array();
	json_t *old = jpath(pod, "status.containerStatuses");

	for (size_t i = 0; i < rt->n; i++) {
		const struct crun *c = &rt->c[i];
		json_t *st = json_object(), *cs, *prev = NULL, *x;
		size_t j;
		char id[96];

		json_array_foreach(old, j, x)
		{
			if (str_eq(jstr(x, "name", ""), c->name))
				prev = x;
		}
		if (stage == ST_PULLFAIL || stage == ST_BACKOFF) {
			char msg[300];

			snprintf(msg, sizeof(msg),
				 stage == ST_PULLFAIL
				     ? "failed to pull and unpack image \"%s\": not found"
				     : "Back-off pulling image \"%s\"",
				 c->image);
			json_object_set_new(
			    st, "waiting",
			    json_pack("{s:s, s:s}", "reason",
				      stage == ST_PULLFAIL ? "ErrImagePull" : "ImagePullBackOff",
				      "message", msg));
		} else if (stage < ST_RUNNING) {
			json_object_set_new(st, "waiting",
					    json_pack("{s:s}", "reason", "ContainerCreating"));
		} else {
			char started[32];

			sim_fmt_time(c->start_ns / 1000000, started);
			json_object_set_new(st, "running",
					    json_pack("{s:s}", "startedAt", started));
		}
		logs_container_id(jstr(pod, "metadata.uid", ""), c, id);
		cs = json_pack("{s:s, s:o, s:o, s:b, s:i, s:s, s:s}", "name", c->name, "state", st,
			       "lastState",
			       prev && json_object_get(prev, "lastState")
				   ? json_deep_copy(json_object_get(prev, "lastState"))
				   : json_object(),
			       "ready", stage == ST_READY, "restartCount", c->restarts, "image",
			       c->image, "imageID",
			       stage >= ST_RUNNING && stage <= ST_READY ? "" : "");
		if (stage >= ST_RUNNING && stage <= ST_READY) {
			char iid[300];

			snprintf(iid, sizeof(iid), "docker.io/library/%s@sha256:%08x", c->image,
				 sim_fnv32(c->image, strlen(c->image)));
			json_object_set_new(cs, "imageID", json_string(iid));
			json_object_set_new(cs, "containerID", json_string(id));
		}
		json_object_set_new(cs, "started",
				    json_boolean(stage >= ST_RUNNING && stage <= ST_READY));
		json_array_append_new(arr, cs);
	}
	(void)now;
	return arr;
}

static json_t *pod_status(struct ctrl *c, struct obj *o, struct podrt *rt, int stage)
{
	json_t *doc = json_deep_copy(o->doc), *status = jobj(doc, "status"), *conds;
	char now[32], ip[32];
	bool ready = stage == ST_READY;

	now_str(now);
	if (stage >= ST_SCHEDULED)
		json_object_set_new(jobj(doc, "spec"), "nodeName", json_string("kubesim-node"));
	conds = json_array();
	if (stage >= ST_CREATING) {
		json_array_append_new(
		    conds,
		    cond("PodReadyToStartContainers",
			 stage >= ST_RUNNING && stage <= ST_READY ? "True" : "False", now, NULL));
		json_array_append_new(conds, cond("Initialized", "True", now, NULL));
		json_array_append_new(conds, cond("Ready", ready ? "True" : "False", now,
						  ready ? NULL : "ContainersNotReady"));
		json_array_append_new(conds, cond("ContainersReady", ready ? "True" : "False", now,
						  ready ? NULL : "ContainersNotReady"));
	}
	if (stage >= ST_SCHEDULED)
		json_array_append_new(conds, cond("PodScheduled", "True", now, NULL));
	/* Keep transition times of conditions whose status did not change. */
	{
		json_t *old = jpath(o->doc, "status.conditions"), *x, *y;
		size_t i, j;

		json_array_foreach(conds, i, x)
		{
			json_array_foreach(old, j, y)
			{
				if (str_eq(jstr(x, "type", ""), jstr(y, "type", "")) &&
				    str_eq(jstr(x, "status", ""), jstr(y, "status", "")))
					json_object_set(x, "lastTransitionTime",
							json_object_get(y, "lastTransitionTime"));
			}
		}
	}
	json_object_set_new(
	    status, "phase",
	    json_string(stage >= ST_RUNNING && stage <= ST_READY ? "Running" : "Pending"));
	if (json_array_size(conds))
		json_object_set_new(status, "conditions", conds);
	else
		json_decref(conds);
	if (stage >= ST_CREATING) {
		json_object_set_new(status, "hostIP", json_string("10.0.0.1"));
		json_object_set_new(status, "hostIPs", json_pack("[{s:s}]", "ip", "10.0.0.1"));
		if (!jstr(status, "startTime", NULL))
			json_object_set_new(status, "startTime", json_string(now));
		json_object_set_new(status, "containerStatuses",
				    container_statuses(rt, o->doc, stage, now));
	}
	if (stage >= ST_RUNNING && stage <= ST_READY && !jstr(status, "podIP", NULL)) {
		unsigned long v = c->s->ip_next++;

		snprintf(ip, sizeof(ip), "10.244.%lu.%lu", (v / 250) % 250, v % 250 + 2);
		json_object_set_new(status, "podIP", json_string(ip));
		json_object_set_new(status, "podIPs", json_pack("[{s:s}]", "ip", ip));
	}
	return doc;
}

/* The containers begin a new run (their logs start over). */
static void containers_start(struct podrt *rt)
{
	for (size_t i = 0; i < rt->n; i++) {
		rt->c[i].running = true;
		rt->c[i].start_ns = sim_wall_ns();
		rt->c[i].end_ns = 0;
		rt->c[i].run_id++;
	}
}

static void pod_step(struct ctrl *c, struct obj *o, struct podrt *rt, int64_t now)
{
	struct sim *s = c->s;
	int next = rt->stage;
	long delay = 0;
	char msg[400];

	switch (rt->stage) {
	case ST_NEW:
		next = ST_SCHEDULED;
		delay = s->opt.create_ms;
		snprintf(msg, sizeof(msg), "Successfully assigned %s/%s to kubesim-node", o->ns,
			 o->name);
		ctrl_event(s, o, "Normal", "Scheduled", msg, "default-scheduler");
		break;
	case ST_SCHEDULED:
		next = ST_CREATING;
		delay = s->opt.start_ms;
		/* the kubelet's events, as a node that pulls the image first */
		snprintf(msg, sizeof(msg), "Pulling image \"%s\"", rt->n ? rt->c[0].image : "");
		ctrl_event(s, o, "Normal", "Pulling", msg, "kubelet");
		break;
	case ST_CREATING:
		if (rt->bad_image) {
			next = ST_PULLFAIL;
			delay = s->opt.start_ms;
			snprintf(msg, sizeof(msg),
				 "Failed to pull image \"%s\": rpc error: code = NotFound desc = "
				 "failed to pull and unpack image: not found",
				 rt->n ? rt->c[0].image : "");
			ctrl_event(s, o, "Warning", "Failed", msg, "kubelet");
			break;
		}
		next = ST_RUNNING;
		delay = s->opt.ready_ms;
		containers_start(rt);
		snprintf(msg, sizeof(msg), "Successfully pulled image \"%s\" in %ldms",
			 rt->n ? rt->c[0].image : "", s->opt.start_ms);
		ctrl_event(s, o, "Normal", "Pulled", msg, "kubelet");
		snprintf(msg, sizeof(msg), "Created container %s", rt->n ? rt->c[0].name : "");
		ctrl_event(s, o, "Normal", "Created", msg, "kubelet");
		snprintf(msg, sizeof(msg), "Started container %s", rt->n ? rt->c[0].name : "");
		ctrl_event(s, o, "Normal", "Started", msg, "kubelet");
		break;
	case ST_RUNNING:
		next = ST_READY;
		break;
	case ST_PULLFAIL:
		next = ST_BACKOFF;
		snprintf(msg, sizeof(msg), "Back-off pulling image \"%s\"",
			 rt->n ? rt->c[0].image : "");
		ctrl_event(s, o, "Normal", "BackOff", msg, "kubelet");
		break;
	default:
		rt->due = 0;
		return;
	}
	rt->stage = next;
	/* The clock starts well above zero, so a due time is never 0. */
	rt->due = (next == ST_READY || next == ST_BACKOFF) ? 0 : now + delay;
	update_if_changed(s, o, pod_status(c, o, rt, next));
}

bool ctrl_pod_ready_now(struct ctrl *c, struct obj *pod)
{
	struct podrt *rt = pod->priv;

	if (pod->rt->id != K_POD || !rt || rt->stage != ST_NEW || rt->bad_image ||
	    deleting(pod->doc))
		return false;
	containers_start(rt);
	rt->stage = ST_READY;
	rt->due = 0;
	update_if_changed(c->s, pod, pod_status(c, pod, rt, ST_READY));
	return true;
}

/* A pod being deleted stops being ready while its containers shut down,
 * as `kubectl get pods -w` shows (1/1 Terminating, then 0/1 Terminating). */
static void pod_stopping(struct sim *s, struct obj *o)
{
	json_t *doc = json_deep_copy(o->doc), *x;
	size_t i;

	json_array_foreach(jpath(doc, "status.containerStatuses"), i, x)
	    json_object_set_new(x, "ready", json_false());
	json_array_foreach(jpath(doc, "status.conditions"), i, x)
	{
		const char *type = jstr(x, "type", "");

		if (str_eq(type, "Ready") || str_eq(type, "ContainersReady")) {
			json_object_set_new(x, "status", json_string("False"));
			json_object_set_new(x, "reason", json_string("ContainersNotReady"));
		}
	}
	update_if_changed(s, o, doc);
}

/* Advances pods whose step is due and removes terminated ones; returns the
 * nearest future due time. */
static int64_t pods_tick(struct ctrl *c, int64_t now)
{
	struct sim *s = c->s;
	const char *uid;
	json_t *v, *done = json_array();
	int64_t next = now + 1000;
	size_t i;

	json_object_foreach(c->active, uid, v)
	{
		struct obj *o = store_by_uid(s->store, uid);
		struct podrt *rt = o ? o->priv : NULL;

		if (!rt) {
			json_array_append_new(done, json_string(uid));
			continue;
		}
		if (deleting(o->doc)) {
			if (!rt->start_ms) {
				/* start_ms doubles as the termination deadline. */
				rt->start_ms = now + s->opt.terminate_ms;
				for (size_t k = 0; k < rt->n; k++) {
					if (rt->c[k].running) {
						rt->c[k].running = false;
						rt->c[k].end_ns = sim_wall_ns();
					}
				}
				pod_stopping(s, o);
			}
			if (rt->start_ms <= now)
				json_array_append_new(done, json_string(uid));
			else if (rt->start_ms < next)
				next = rt->start_ms;
			continue;
		}
		if (rt->due && rt->due <= now)
			pod_step(c, o, rt, now);
		if (rt->due && rt->due < next)
			next = rt->due;
		if (!rt->due)
			json_array_append_new(done, json_string(uid));
	}
	json_array_foreach(done, i, v)
	{
		struct obj *o = store_by_uid(s->store, json_string_value(v));

		json_object_del(c->active, json_string_value(v));
		/* The kubelet's final delete: a pod with finalizers stays. */
		if (o && deleting(o->doc))
			fin_delete(s->store, o);
	}
	json_decref(done);
	return next;
}

/* ---- workloads ---- */

static json_t *owner_ref(const struct obj *o)
{
	return json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion", o->rt->api_version,
			 "kind", o->rt->kind, "name", o->name, "uid", o->uid, "controller", 1,
			 "blockOwnerDeletion", 1);
}

static size_t owned(struct sim *s, const struct restype *rt, const struct obj *owner,
		    struct obj ***out)
{
	size_t n, k = 0;
	struct obj *const *objs = store_list(s->store, rt, owner->ns, &n);

	*out = xcalloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		const char *u = controller_uid(objs[i]->doc);

		if (u && strcmp(u, owner->uid) == 0)
			(*out)[k++] = objs[i];
	}
	return k;
}

/* Creates a pod from a workload's template; false (with an event) if refused. */
static bool create_pod(struct ctrl *c, struct obj *owner, const json_t *tmpl, const char *name,
		       const char *generate, json_t *extra_labels)
{
	struct sim *s = c->s;
	json_t *doc, *labels;
	struct apierr e = {0};
	char uid[37], now[32], full[300];

	if (!name) {
		char suffix[8];

		sim_suffix(s, suffix, 5);
		snprintf(full, sizeof(full), "%s%s", generate, suffix);
		name = full;
	}
	labels = json_deep_copy(jpath(tmpl, "metadata.labels"));
	if (!json_is_object(labels)) {
		json_decref(labels);
		labels = json_object();
	}
	if (extra_labels)
		json_object_update(labels, extra_labels);
	doc = json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:o}, s:O}", "kind", "Pod", "apiVersion",
			"v1", "metadata", "name", name, "namespace", owner->ns, "labels", labels,
			"ownerReferences", owner_ref(owner), "spec", jpath(tmpl, "spec"));
	if (generate)
		json_object_set_new(jobj(doc, "metadata"), "generateName", json_string(generate));
	if (jpath(tmpl, "metadata.annotations"))
		json_object_set(jobj(doc, "metadata"), "annotations",
				jpath(tmpl, "metadata.annotations"));
	kinds_default(s, restype_get(K_POD), doc, NULL);
	if (!quota_admit(s->store, restype_get(K_POD), doc, &e)) {
		char msg[2300];

		snprintf(msg, sizeof(msg), "Error creating: %s", e.msg);
		ctrl_event(s, owner, "Warning", "FailedCreate", msg,
			   owner->rt->id == K_STATEFULSET ? "statefulset-controller"
							  : "replicaset-controller");
		apierr_clear(&e);
		json_decref(doc);
		if (!c->retry_at || c->retry_at > clk(c) + 1000)
			c->retry_at = clk(c) + 1000;
		return false;
	}
	sim_uid(s, uid);
	now_str(now);
	json_object_set_new(jobj(doc, "metadata"), "uid", json_string(uid));
	json_object_set_new(jobj(doc, "metadata"), "creationTimestamp", json_string(now));
	store_add(s->store, restype_get(K_POD), doc);
	return true;
}

static void delete_pod(struct sim *s, struct obj *pod)
{
	json_t *doc;
	char when[32];

	if (deleting(pod->doc))
		return;
	sim_fmt_time(sim_wall_ms() + 30000, when);
	doc = json_deep_copy(pod->doc);
	json_object_set_new(jobj(doc, "metadata"), "deletionTimestamp", json_string(when));
	json_object_set_new(jobj(doc, "metadata"), "deletionGracePeriodSeconds", json_integer(30));
	store_update(s->store, pod, doc);
}

/* Foreground deletion: true when o is waiting for (or done with) its dependents. */
static bool foreground(struct ctrl *c, struct obj *o, const struct restype *dep)
{
	struct obj **deps;
	size_t n;
	json_t *fin = jpath(o->doc, "metadata.finalizers"), *x;
	size_t i;
	bool fg = false;

	if (!deleting(o->doc))
		return false;
	json_array_foreach(fin, i, x) fg = fg || str_eq(json_string_value(x), "foregroundDeletion");
	if (!fg)
		return true;
	n = owned(c->s, dep, o, &deps);
	for (i = 0; i < n; i++) {
		if (dep->id == K_POD) {
			delete_pod(c->s, deps[i]);
		} else if (!deleting(deps[i]->doc)) {
			json_t *doc = json_deep_copy(deps[i]->doc);
			char now[32];

			now_str(now);
			json_object_set_new(jobj(doc, "metadata"), "deletionTimestamp",
					    json_string(now));
			fin_add(doc, "foregroundDeletion");
			store_update(c->s->store, deps[i], doc);
		}
	}
	free(deps);
	/* Dependents gone: the garbage collector drops its finalizer; other
	 * finalizers may still hold the owner. */
	if (n == 0)
		fin_drop(c->s->store, o, "foregroundDeletion");
	return true;
}

static void reconcile_rs(struct ctrl *c, struct obj *rs)
{
	struct sim *s = c->s;
	struct obj **pods;
	size_t n = owned(s, restype_get(K_POD), rs, &pods), active = 0, ready = 0, labeled = 0;
	long want = (long)jint(rs->doc, "spec.replicas", 1);
	json_t *doc, *tmpl = jpath(rs->doc, "spec.template");
	char gen[300];
	struct selector sel;
	struct err err = {{0}};

	if (foreground(c, rs, restype_get(K_POD))) {
		free(pods);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (deleting(pods[i]->doc))
			continue;
		active++;
	}
	snprintf(gen, sizeof(gen), "%s-", rs->name);
	while ((long)active < want) {
		if (!create_pod(c, rs, tmpl, NULL, gen, NULL))
			break;
		active++;
	}
	if ((long)active > want) {
		/* Not-ready pods go first, then the newest. */
		for (int pass = 0; pass < 2 && (long)active > want; pass++) {
			for (size_t i = n; i-- > 0 && (long)active > want;) {
				if (deleting(pods[i]->doc) ||
				    (pass == 0 && pod_ready(pods[i]->doc)))
					continue;
				delete_pod(s, pods[i]);
				active--;
			}
		}
	}
	free(pods);
	n = owned(s, restype_get(K_POD), rs, &pods);
	active = 0;
	if (!selector_from_json(jpath(rs->doc, "spec.selector"), &sel, &err))
		memset(&sel, 0, sizeof(sel));
	for (size_t i = 0; i < n; i++) {
		if (deleting(pods[i]->doc))
			continue;
		active++;
		if (pod_ready(pods[i]->doc))
			ready++;
		if (selector_match(&sel, jpath(pods[i]->doc, "metadata.labels")))
			labeled++;
	}
	selector_free(&sel);
	free(pods);
	doc = json_deep_copy(rs->doc);
	json_object_set_new(doc, "status",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "replicas", (json_int_t)active,
				      "fullyLabeledReplicas", (json_int_t)labeled, "readyReplicas",
				      (json_int_t)ready, "availableReplicas", (json_int_t)ready,
				      "observedGeneration",
				      (json_int_t)jint(rs->doc, "metadata.generation", 1)));
	update_if_changed(s, rs, doc);
}

static json_t *dep_cond(const json_t *old_conds, const char *type, const char *status,
			const char *reason, const char *msg, const char *now)
{
	json_t *x;
	size_t i;
	const char *ltt = now;

	json_array_foreach(old_conds, i, x)
	{
		if (str_eq(jstr(x, "type", ""), type) && str_eq(jstr(x, "status", ""), status))
			ltt = jstr(x, "lastTransitionTime", now);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", status,
			 "lastUpdateTime", now, "lastTransitionTime", ltt, "reason", reason,
			 "message", msg);
}

static void reconcile_deployment(struct ctrl *c, struct obj *d)
{
	struct sim *s = c->s;
	struct obj **rss;
	size_t n, i;
	char hash[16], rsname[300], msg[400], now[32];
	struct obj *cur = NULL;
	long want = (long)jint(d->doc, "spec.replicas", 1), revision = 0;
	json_int_t replicas = 0, ready = 0, avail = 0, updated = 0;
	json_t *doc, *status, *conds, *old_conds = jpath(d->doc, "status.conditions");

	if (foreground(c, d, restype_get(K_REPLICASET)))
		return;
	kinds_template_hash(jpath(d->doc, "spec.template"), hash);
	snprintf(rsname, sizeof(rsname), "%s-%s", d->name, hash);
	n = owned(s, restype_get(K_REPLICASET), d, &rss);
	for (i = 0; i < n; i++) {
		const char *rv =
		    json_string_value(json_object_get(jpath(rss[i]->doc, "metadata.annotations"),
						      "deployment.kubernetes.io/revision"));
		long rev = rv ? atol(rv) : 0;

		if (rev > revision)
			revision = rev;
		if (str_eq(rss[i]->name, rsname))
			cur = rss[i];
	}
	if (!cur) {
		json_t *tmpl = json_deep_copy(jpath(d->doc, "spec.template"));
		json_t *sel = json_deep_copy(jpath(d->doc, "spec.selector"));
		json_t *rsdoc;
		char rev[24], uid[37];

		jset(tmpl, "metadata.labels", "pod-template-hash", json_string(hash));
		jset(sel, "matchLabels", "pod-template-hash", json_string(hash));
		snprintf(rev, sizeof(rev), "%ld", revision + 1);
		rsdoc = json_pack(
		    "{s:s, s:s, s:{s:s, s:s, s:O, s:{s:s, s:s, s:s}, s:o}, "
		    "s:{s:I, s:o, s:o}}",
		    "kind", "ReplicaSet", "apiVersion", "apps/v1", "metadata", "name", rsname,
		    "namespace", d->ns, "labels", jpath(tmpl, "metadata.labels"), "annotations",
		    "deployment.kubernetes.io/revision", rev,
		    "deployment.kubernetes.io/desired-replicas", "0",
		    "deployment.kubernetes.io/max-replicas", "0", "ownerReferences", owner_ref(d),
		    "spec", "replicas", (json_int_t)want, "selector", sel, "template", tmpl);
		kinds_default(s, restype_get(K_REPLICASET), rsdoc, NULL);
		sim_uid(s, uid);
		now_str(now);
		json_object_set_new(jobj(rsdoc, "metadata"), "uid", json_string(uid));
		json_object_set_new(jobj(rsdoc, "metadata"), "creationTimestamp", json_string(now));
		json_object_set_new(jobj(rsdoc, "metadata"), "generation", json_integer(1));
		cur = store_add(s->store, restype_get(K_REPLICASET), rsdoc);
		snprintf(msg, sizeof(msg), "Scaled up replica set %s to %ld", rsname, want);
		ctrl_event(s, d, "Normal", "ScalingReplicaSet", msg, "deployment-controller");
		free(rss);
		n = owned(s, restype_get(K_REPLICASET), d, &rss);
	}
	for (i = 0; i < n; i++) {
		long target = rss[i] == cur ? want : 0;
		json_t *rd;
		char dr[24];

		if (jint(rss[i]->doc, "spec.replicas", 1) != target) {
			snprintf(msg, sizeof(msg), "Scaled %s replica set %s to %ld",
				 target > jint(rss[i]->doc, "spec.replicas", 1) ? "up" : "down",
				 rss[i]->name, target);
			ctrl_event(s, d, "Normal", "ScalingReplicaSet", msg,
				   "deployment-controller");
		}
		rd = json_deep_copy(rss[i]->doc);
		json_object_set_new(jobj(rd, "spec"), "replicas", json_integer(target));
		snprintf(dr, sizeof(dr), "%ld", want);
		jset(rd, "metadata.annotations", "deployment.kubernetes.io/desired-replicas",
		     json_string(dr));
		jset(rd, "metadata.annotations", "deployment.kubernetes.io/max-replicas",
		     json_string(dr));
		if (!json_equal(rd, rss[i]->doc) &&
		    jint(rd, "spec.replicas", 0) != jint(rss[i]->doc, "spec.replicas", 0))
			json_object_set_new(
			    jobj(rd, "metadata"), "generation",
			    json_integer(jint(rss[i]->doc, "metadata.generation", 1) + 1));
		update_if_changed(s, rss[i], rd);
		replicas += jint(rss[i]->doc, "status.replicas", 0);
		ready += jint(rss[i]->doc, "status.readyReplicas", 0);
		avail += jint(rss[i]->doc, "status.availableReplicas", 0);
		if (rss[i] == cur)
			updated = jint(rss[i]->doc, "status.replicas", 0);
	}
	free(rss);
	now_str(now);
	doc = json_deep_copy(d->doc);
	{
		const char *rv = json_string_value(json_object_get(
		    jpath(cur->doc, "metadata.annotations"), "deployment.kubernetes.io/revision"));

		jset(doc, "metadata.annotations", "deployment.kubernetes.io/revision",
		     json_string(rv ? rv : "1"));
	}
	status = json_pack("{s:I, s:I, s:I, s:I, s:I}", "observedGeneration",
			   (json_int_t)jint(d->doc, "metadata.generation", 1), "replicas", replicas,
			   "updatedReplicas", updated, "readyReplicas", ready, "availableReplicas",
			   avail);
	if (replicas - avail > 0)
		json_object_set_new(status, "unavailableReplicas", json_integer(replicas - avail));
	if (!ready)
		json_object_del(status, "readyReplicas");
	if (!avail)
		json_object_del(status, "availableReplicas");
	if (!replicas)
		json_object_del(status, "replicas");
	if (!updated)
		json_object_del(status, "updatedReplicas");
	conds = json_array();
	{
		long max_unavail = want / 4;

		if (avail >= want - max_unavail)
			json_array_append_new(
			    conds,
			    dep_cond(old_conds, "Available", "True", "MinimumReplicasAvailable",
				     "Deployment has minimum availability.", now));
		else
			json_array_append_new(conds, dep_cond(old_conds, "Available", "False",
							      "MinimumReplicasUnavailable",
							      "Deployment does not have minimum "
							      "availability.",
							      now));
	}
	if (updated == want && avail >= want && replicas == want)
		snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has successfully progressed.",
			 cur->name);
	else
		snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" is progressing.", cur->name);
	json_array_append_new(conds, dep_cond(old_conds, "Progressing", "True",
					      updated == want && avail >= want && replicas == want
						  ? "NewReplicaSetAvailable"
						  : "ReplicaSetUpdated",
					      msg, now));
	/* lastUpdateTime only moves when the condition itself changes. */
	{
		json_t *x, *y;
		size_t a, b;

		json_array_foreach(conds, a, x)
		{
			json_array_foreach(old_conds, b, y)
			{
				if (str_eq(jstr(x, "type", ""), jstr(y, "type", "")) &&
				    str_eq(jstr(x, "status", ""), jstr(y, "status", "")) &&
				    str_eq(jstr(x, "reason", ""), jstr(y, "reason", "")) &&
				    str_eq(jstr(x, "message", ""), jstr(y, "message", "")))
					json_object_set(x, "lastUpdateTime",
							json_object_get(y, "lastUpdateTime"));
			}
		}
	}
	json_object_set_new(status, "conditions", conds);
	json_object_set_new(doc, "status", status);
	update_if_changed(s, d, doc);
}

static void sts_pvcs(struct ctrl *c, struct obj *sts, long ordinal)
{
	struct sim *s = c->s;
	json_t *vcts = jpath(sts->doc, "spec.volumeClaimTemplates"), *t;
	size_t i;

	json_array_foreach(vcts, i, t)
	{
		char name[400], uid[37], now[32];
		json_t *doc;

		snprintf(name, sizeof(name), "%s-%s-%ld", jstr(t, "metadata.name", "data"),
			 sts->name, ordinal);
		if (store_get(s->store, restype_get(K_PVC), sts->ns, name))
			continue;
		doc = json_pack("{s:s, s:s, s:{s:s, s:s, s:O}, s:O}", "kind",
				"PersistentVolumeClaim", "apiVersion", "v1", "metadata", "name",
				name, "namespace", sts->ns, "labels",
				jpath(sts->doc, "spec.selector.matchLabels")
				    ? jpath(sts->doc, "spec.selector.matchLabels")
				    : json_object(),
				"spec", jpath(t, "spec") ? jpath(t, "spec") : json_object());
		kinds_default(s, restype_get(K_PVC), doc, NULL);
		sim_uid(s, uid);
		now_str(now);
		json_object_set_new(jobj(doc, "metadata"), "uid", json_string(uid));
		json_object_set_new(jobj(doc, "metadata"), "creationTimestamp", json_string(now));
		store_add(s->store, restype_get(K_PVC), doc);
	}
}

static void reconcile_sts(struct ctrl *c, struct obj *sts)
{
	struct sim *s = c->s;
	long want = (long)jint(sts->doc, "spec.replicas", 1);
	bool parallel = str_eq(jstr(sts->doc, "spec.podManagementPolicy", ""), "Parallel");
	struct obj **pods;
	size_t n, i;
	long have = 0, ready = 0, maxord = -1;
	char hash[16], rev[300];
	json_t *doc;

	if (foreground(c, sts, restype_get(K_POD)))
		return;
	kinds_template_hash(jpath(sts->doc, "spec.template"), hash);
	snprintf(rev, sizeof(rev), "%s-%s", sts->name, hash);
	for (long ord = 0; ord < want; ord++) {
		char name[300];
		struct obj *p;

		snprintf(name, sizeof(name), "%s-%ld", sts->name, ord);
		p = store_get(s->store, restype_get(K_POD), sts->ns, name);
		if (p) {
			if (!parallel && (!pod_ready(p->doc) || deleting(p->doc)))
				break;
			continue;
		}
		{
			json_t *extra = json_object();
			char idx[24];

			snprintf(idx, sizeof(idx), "%ld", ord);
			json_object_set_new(extra, "controller-revision-hash", json_string(rev));
			json_object_set_new(extra, "statefulset.kubernetes.io/pod-name",
					    json_string(name));
			json_object_set_new(extra, "apps.kubernetes.io/pod-index",
					    json_string(idx));
			sts_pvcs(c, sts, ord);
			if (!create_pod(c, sts, jpath(sts->doc, "spec.template"), name, NULL,
					extra)) {
				json_decref(extra);
				break;
			}
			json_decref(extra);
		}
		if (!parallel)
			break;
	}
	n = owned(s, restype_get(K_POD), sts, &pods);
	/* Scale down from the highest ordinal. */
	for (i = 0; i < n; i++) {
		const char *dash = strrchr(pods[i]->name, '-');
		long ord = dash ? atol(dash + 1) : 0;

		if (ord >= want && !deleting(pods[i]->doc) && ord > maxord)
			maxord = ord;
	}
	for (i = 0; i < n; i++) {
		const char *dash = strrchr(pods[i]->name, '-');
		long ord = dash ? atol(dash + 1) : 0;

		if (ord >= want && (parallel || ord == maxord))
			delete_pod(s, pods[i]);
	}
	for (i = 0; i < n; i++) {
		if (deleting(pods[i]->doc))
			continue;
		have++;
		if (pod_ready(pods[i]->doc))
			ready++;
	}
	free(pods);
	doc = json_deep_copy(sts->doc);
	json_object_set_new(
	    doc, "status",
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:i}", "observedGeneration",
		      (json_int_t)jint(sts->doc, "metadata.generation", 1), "replicas",
		      (json_int_t)have, "readyReplicas", (json_int_t)ready, "currentReplicas",
		      (json_int_t)have, "updatedReplicas", (json_int_t)have, "availableReplicas",
		      (json_int_t)ready, "currentRevision", rev, "updateRevision", rev,
		      "collisionCount", 0));
	if (!ready)
		json_object_del(json_object_get(doc, "status"), "readyReplicas");
	update_if_changed(s, sts, doc);
}

static void reconcile_dirty(struct ctrl *c)
{
	json_t *work = c->dirty, *v;
	const char *uid;

	c->dirty = json_object();
	json_object_foreach(work, uid, v)
	{
		struct obj *o = store_by_uid(c->s->store, uid);

		if (!o)
			continue;
		if (o->rt->id == K_DEPLOYMENT)
			reconcile_deployment(c, o);
		else if (o->rt->id == K_REPLICASET)
			reconcile_rs(c, o);
		else if (o->rt->id == K_STATEFULSET)
			reconcile_sts(c, o);
	}
	json_decref(work);
}

/* The garbage collector's part of a foreground deletion, for every kind
 * (workload controllers do their own first): the owner's dependents are
 * deleted -- in the foreground too where their reference blocks the owner's
 * deletion -- and once no blocking dependent is left the owner loses its
 * foregroundDeletion finalizer and goes, unless other finalizers hold it. */
static void foreground_pass(struct ctrl *c)
{
	struct sim *s = c->s;
	json_t *work = c->foreground, *v;
	const char *uid;

	c->foreground = json_object();
	json_object_foreach(work, uid, v)
	{
		struct obj *o = store_by_uid(s->store, uid);
		size_t blocking = 0;

		if (!o || !deleting(o->doc) ||
		    !fin_listed(jpath(o->doc, "metadata.finalizers"), "foregroundDeletion"))
			continue;
		if (o->rt->id == K_DEPLOYMENT || o->rt->id == K_REPLICASET ||
		    o->rt->id == K_STATEFULSET) {
			json_object_set_new(c->dirty, o->uid, json_true());
			continue;
		}
		for (int k = 0; k < K_COUNT; k++) {
			const struct restype *rt = restype_get((enum kind_id)k);
			size_t n, i = 0;
			struct obj *const *objs;

			if (!rt->namespaced)
				continue;
			objs = store_list(s->store, rt, o->rt->namespaced ? o->ns : NULL, &n);
			while (i < n) {
				json_t *refs = jpath(objs[i]->doc, "metadata.ownerReferences"), *r;
				struct obj *dep = objs[i];
				bool mine = false, blocks = false;
				size_t j;

				json_array_foreach(refs, j, r)
				{
					if (str_eq(jstr(r, "uid", ""), o->uid)) {
						mine = true;
						blocks = blocks || json_is_true(json_object_get(
								       r, "blockOwnerDeletion"));
					}
				}
				i++;
				if (!mine)
					continue;
				blocking += blocks;
				if (deleting(dep->doc))
					continue;
				if (rt->id == K_POD) {
					delete_pod(s, dep);
				} else if (blocks) {
					json_t *doc = json_deep_copy(dep->doc);
					char now[32];

					now_str(now);
					json_object_set_new(jobj(doc, "metadata"),
							    "deletionTimestamp", json_string(now));
					json_object_set_new(jobj(doc, "metadata"),
							    "deletionGracePeriodSeconds",
							    json_integer(0));
					fin_add(doc, "foregroundDeletion");
					store_update(s->store, dep, doc);
				} else if (fin_delete(s->store, dep)) {
					objs = store_list(s->store, rt,
							  o->rt->namespaced ? o->ns : NULL, &n);
					i--;
				}
			}
		}
		if (blocking == 0)
			fin_drop(s->store, o, "foregroundDeletion");
		else
			json_object_set_new(c->foreground, uid, json_true());
	}
	json_decref(work);
}

/* Background propagation: dependents whose owners are gone follow them. */
static void collect_garbage(struct ctrl *c)
{
	struct sim *s = c->s;
	static const enum kind_id kinds[] = {K_REPLICASET, K_POD,    K_PVC,
					     K_SERVICE,	   K_SECRET, K_CONFIGMAP};

	c->gc_needed = false;
	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		const struct restype *rt = restype_get(kinds[k]);
		size_t n, i = 0;
		struct obj *const *objs = store_list(s->store, rt, NULL, &n);

		while (i < n) {
			json_t *refs = jpath(objs[i]->doc, "metadata.ownerReferences"), *r;
			size_t j;
			bool orphan = json_array_size(refs) > 0;

			json_array_foreach(refs, j, r) orphan =
			    orphan && !store_by_uid(s->store, jstr(r, "uid", ""));
			if (!orphan || deleting(objs[i]->doc)) {
				i++;
				continue;
			}
			if (rt->id == K_POD) {
				delete_pod(s, objs[i]);
				i++;
			} else if (!fin_delete(s->store, objs[i])) {
				i++;
			}
			objs = store_list(s->store, rt, NULL, &n);
		}
	}
}

static int64_t namespaces_tick(struct ctrl *c, int64_t now)
{
	struct sim *s = c->s;
	const char *uid;
	json_t *v, *done = json_array();
	int64_t next = now + 1000;
	size_t i;

	json_object_foreach(c->terminating, uid, v)
	{
		struct obj *ns = store_by_uid(s->store, uid);

		if (!ns) {
			json_array_append_new(done, json_string(uid));
			continue;
		}
		if (json_integer_value(v) > now) {
			if (json_integer_value(v) < next)
				next = json_integer_value(v);
			continue;
		}
		/* Content with finalizers keeps the namespace here: each tick
		 * looks again, as the real controller requeues it. */
		if (fin_namespace_pass(s->store, ns))
			json_array_append_new(done, json_string(uid));
	}
	json_array_foreach(done, i, v) json_object_del(c->terminating, json_string_value(v));
	json_decref(done);
	return next;
}

static int64_t pending_tick(struct ctrl *c, int64_t now)
{
	struct sim *s = c->s;
	const char *uid;
	json_t *v, *done = json_array();
	int64_t next = now + 1000;
	size_t i;
	char ts[32];

	now_str(ts);
	json_object_foreach(c->pending, uid, v)
	{
		struct obj *o = store_by_uid(s->store, uid);
		json_t *doc;

		if (!o) {
			json_array_append_new(done, json_string(uid));
			continue;
		}
		if (json_integer_value(v) > now) {
			if (json_integer_value(v) < next)
				next = json_integer_value(v);
			continue;
		}
		json_array_append_new(done, json_string(uid));
		doc = json_deep_copy(o->doc);
		if (o->rt->id == K_PVC) {
			char vol[64];

			snprintf(vol, sizeof(vol), "pvc-%s", o->uid);
			json_object_set_new(jobj(doc, "spec"), "volumeName", json_string(vol));
			if (!jstr(doc, "spec.storageClassName", NULL))
				json_object_set_new(jobj(doc, "spec"), "storageClassName",
						    json_string("standard"));
			jset(doc, "metadata.annotations", "pv.kubernetes.io/bind-completed",
			     json_string("yes"));
			json_object_set_new(
			    doc, "status",
			    json_pack("{s:s, s:O, s:{s:s}}", "phase", "Bound", "accessModes",
				      jpath(o->doc, "spec.accessModes")
					  ? jpath(o->doc, "spec.accessModes")
					  : json_array(),
				      "capacity", "storage",
				      jstr(o->doc, "spec.resources.requests.storage", "1Gi")));
		} else {
			json_object_set_new(
			    doc, "status",
			    json_pack("{s:[{s:s, s:s, s:s}], s:I, s:s}", "conditions", "type",
				      "Ready", "status", "True", "lastTransitionTime", ts,
				      "observedGeneration",
				      (json_int_t)jint(o->doc, "metadata.generation", 1),
				      "topicName", jstr(o->doc, "spec.topicName", o->name)));
		}
		update_if_changed(s, o, doc);
	}
	json_array_foreach(done, i, v) json_object_del(c->pending, json_string_value(v));
	json_decref(done);
	return next;
}

static void quotas_tick(struct ctrl *c)
{
	struct sim *s = c->s;
	json_t *work = c->quota_ns, *v;
	const char *ns;

	c->quota_ns = json_object();
	json_object_foreach(work, ns, v)
	{
		size_t n;
		struct obj *const *qs = store_list(s->store, restype_get(K_QUOTA), ns, &n);

		for (size_t i = 0; i < n; i++) {
			json_t *doc = json_deep_copy(qs[i]->doc);
			json_t *hard = jpath(doc, "spec.hard");

			json_object_set_new(doc, "status",
					    json_pack("{s:O, s:o}", "hard",
						      hard ? hard : json_object(), "used",
						      quota_usage(s->store, ns, hard)));
			update_if_changed(s, qs[i], doc);
			qs = store_list(s->store, restype_get(K_QUOTA), ns, &n);
		}
	}
	json_decref(work);
}

static void events_sweep(struct ctrl *c)
{
	struct sim *s = c->s;
	size_t n, i = 0;
	const struct restype *rt = restype_get(K_EVENT);
	struct obj *const *evs = store_list(s->store, rt, NULL, &n);
	int64_t cutoff = sim_wall_ms() - s->opt.event_ttl_s * 1000L, oldest = 0;

	/* Nothing to expire: skip the scan (it holds the lock). */
	if (!c->oldest_event_ms || c->oldest_event_ms >= cutoff)
		return;
	while (i < n) {
		int64_t ns = sim_wall_ns();

		if (sim_parse_time(jstr(evs[i]->doc, "lastTimestamp", ""), &ns) &&
		    ns / 1000000 < cutoff) {
			store_delete(s->store, evs[i]);
			evs = store_list(s->store, rt, NULL, &n);
			continue;
		}
		if (!oldest || ns / 1000000 < oldest)
			oldest = ns / 1000000;
		i++;
	}
	c->oldest_event_ms = oldest;
}

void ctrl_run_once(struct ctrl *c)
{
	int64_t now = clk(c);

	reconcile_dirty(c);
	if (c->retry_at && c->retry_at <= now) {
		/* Retry workloads whose pods a quota refused. */
		size_t n;

		c->retry_at = 0;
		for (enum kind_id k = K_STATEFULSET; k <= K_REPLICASET; k++) {
			struct obj *const *objs = store_list(c->s->store, restype_get(k), NULL, &n);

			for (size_t i = 0; i < n; i++)
				json_object_set_new(c->dirty, objs[i]->uid, json_true());
		}
		reconcile_dirty(c);
	}
	if (c->gc_needed)
		collect_garbage(c);
	if (json_object_size(c->foreground))
		foreground_pass(c);
	quotas_tick(c);
	if (sim_wall_ms() >= c->next_event_sweep) {
		events_sweep(c);
		c->next_event_sweep = sim_wall_ms() + 5000;
	}
}

void ctrl_settle(struct ctrl *c)
{
	/* Each pass reconciles what the previous one changed: a Deployment,
	 * then its ReplicaSet, then their statuses. */
	for (int pass = 0; pass < 16; pass++) {
		ctrl_run_once(c);
		if (!json_object_size(c->dirty) && !c->gc_needed && !json_object_size(c->quota_ns))
			return;
	}
}

static int64_t tick(struct ctrl *c)
{
	int64_t now = clk(c), next, t;

	ctrl_run_once(c);
	next = pods_tick(c, now);
	t = namespaces_tick(c, now);
	if (t < next)
		next = t;
	t = pending_tick(c, now);
	if (t < next)
		next = t;
	if (c->retry_at && c->retry_at < next)
		next = c->retry_at;
	/* Reconcile what the steps above changed before sleeping. */
	if (json_object_size(c->dirty) || c->gc_needed || json_object_size(c->quota_ns))
		return 0;
	return next - now;
}

static void *ctrl_main(void *arg)
{
	struct ctrl *c = arg;
	struct sim *s = c->s;

	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->stopping)) {
		int64_t wait_sim = tick(c);
		long wait_ms;

		if (wait_sim <= 0)
			continue;
		/* Sim milliseconds to wall milliseconds. */
		wait_ms = (long)((double)wait_sim / s->speed) + 1;
		if (wait_ms > 200)
			wait_ms = 200;
		sim_wait(s, wait_ms);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

void ctrl_start(struct ctrl *c)
{
	if (pthread_create(&c->thread, NULL, ctrl_main, c) != 0)
		fatal("cannot start the controller thread");
	c->started = true;
}

void ctrl_free(struct ctrl *c)
{
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->s->lock);
		sim_broadcast(c->s);
		pthread_mutex_unlock(&c->s->lock);
		pthread_join(c->thread, NULL);
	}
	json_decref(c->dirty);
	json_decref(c->active);
	json_decref(c->quota_ns);
	json_decref(c->terminating);
	json_decref(c->pending);
	json_decref(c->foreground);
	free(c);
}

bool ctrl_restart_container(struct sim *s, struct obj *pod, const char *container, int exit_code,
			    struct apierr *e)
{
	struct podrt *rt = pod->priv;
	struct crun *cr = NULL;
	json_t *doc, *cs, *x;
	size_t i;
	char start[32], end[32];

	for (i = 0; rt && i < rt->n; i++) {
		if (!container || !*container || str_eq(rt->c[i].name, container)) {
			cr = &rt->c[i];
			break;
		}
	}
	if (!cr) {
		apierr_bad_request(e, "container %s is not valid for pod %s",
				   container ? container : "", pod->name);
		return false;
	}
	if (!cr->running) {
		apierr_bad_request(e, "container \"%s\" in pod \"%s\" is not running", cr->name,
				   pod->name);
		return false;
	}
	logs_restart(s, cr);
	sim_fmt_time(cr->prev_start_ns / 1000000, start);
	sim_fmt_time(cr->prev_end_ns / 1000000, end);
	doc = json_deep_copy(pod->doc);
	cs = jpath(doc, "status.containerStatuses");
	json_array_foreach(cs, i, x)
	{
		if (!str_eq(jstr(x, "name", ""), cr->name))
			continue;
		json_object_set_new(
		    x, "lastState",
		    json_pack("{s:{s:i, s:s, s:s, s:s, s:s}}", "terminated", "exitCode", exit_code,
			      "reason", exit_code == 0 ? "Completed" : "Error", "startedAt", start,
			      "finishedAt", end, "containerID", jstr(x, "containerID", "")));
		json_object_set_new(x, "restartCount", json_integer(cr->restarts));
	}
	store_update(s->store, pod, doc);
	/* Running again, ready after the usual delay. */
	rt->stage = ST_RUNNING;
	rt->due = sim_clock_ms(s) + s->opt.ready_ms;
	doc = pod_status(s->ctrl, pod, rt, ST_RUNNING);
	update_if_changed(s, pod, doc);
	json_object_set_new(s->ctrl->active, pod->uid, json_true());
	{
		char msg[200];

		snprintf(msg, sizeof(msg), "Container %s was restarted", cr->name);
		ctrl_event(s, pod, "Normal", "Started", msg, "kubelet");
	}
	sim_broadcast(s);
	return true;
}
