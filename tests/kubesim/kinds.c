#include "config.h"

#include "kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "finalize.h"
#include "jutil.h"
#include "quota.h"
#include "selector.h"

static void set_default(json_t *o, const char *k, json_t *v)
{
	if (json_is_object(o) && !json_object_get(o, k))
		json_object_set_new(o, k, v);
	else
		json_decref(v);
}

static void default_probe(json_t *p)
{
	json_t *hg;

	if (!json_is_object(p))
		return;
	hg = json_object_get(p, "httpGet");
	if (json_is_object(hg))
		set_default(hg, "scheme", json_string("HTTP"));
	set_default(p, "timeoutSeconds", json_integer(1));
	set_default(p, "periodSeconds", json_integer(10));
	set_default(p, "successThreshold", json_integer(1));
	set_default(p, "failureThreshold", json_integer(3));
}

static const char *pull_policy(const char *image)
{
	const char *slash = strrchr(image, '/');
	const char *last = slash ? slash + 1 : image;
	const char *colon = strchr(last, ':');

	if (strchr(image, '@'))
		return "IfNotPresent";
	if (!colon || strcmp(colon, ":latest") == 0)
		return "Always";
	return "IfNotPresent";
}

static void default_container(json_t *c)
{
	json_t *ports, *p, *res, *lim, *req, *v;
	const char *k;
	size_t i;

	if (!json_is_object(c))
		return;
	ports = json_object_get(c, "ports");
	json_array_foreach(ports, i, p) set_default(p, "protocol", json_string("TCP"));
	set_default(c, "resources", json_object());
	res = json_object_get(c, "resources");
	lim = json_object_get(res, "limits");
	if (json_is_object(lim) && json_object_size(lim)) {
		/* Requests default to limits, as the real defaulting does. */
		set_default(res, "requests", json_object());
		req = json_object_get(res, "requests");
		json_object_foreach(lim, k, v) set_default(req, k, json_deep_copy(v));
	}
	default_probe(json_object_get(c, "readinessProbe"));
	default_probe(json_object_get(c, "livenessProbe"));
	default_probe(json_object_get(c, "startupProbe"));
	set_default(c, "terminationMessagePath", json_string("/dev/termination-log"));
	set_default(c, "terminationMessagePolicy", json_string("File"));
	set_default(c, "imagePullPolicy", json_string(pull_policy(jstr(c, "image", ""))));
}

/* admission: the extra fields a pod (not a template) gets on creation. */
static void default_podspec(json_t *spec, bool admission)
{
	json_t *c;
	size_t i;

	if (!json_is_object(spec))
		return;
	json_array_foreach(json_object_get(spec, "initContainers"), i, c) default_container(c);
	json_array_foreach(json_object_get(spec, "containers"), i, c) default_container(c);
	set_default(spec, "restartPolicy", json_string("Always"));
	set_default(spec, "terminationGracePeriodSeconds", json_integer(30));
	set_default(spec, "dnsPolicy", json_string("ClusterFirst"));
	set_default(spec, "securityContext", json_object());
	set_default(spec, "schedulerName", json_string("default-scheduler"));
	if (!admission)
		return;
	set_default(spec, "serviceAccountName", json_string("default"));
	set_default(spec, "serviceAccount",
		    json_string(jstr(spec, "serviceAccountName", "default")));
	set_default(spec, "tolerations",
		    json_pack("[{s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:i}]", "key",
			      "node.kubernetes.io/not-ready", "operator", "Exists", "effect",
			      "NoExecute", "tolerationSeconds", 300, "key",
			      "node.kubernetes.io/unreachable", "operator", "Exists", "effect",
			      "NoExecute", "tolerationSeconds", 300));
	set_default(spec, "priority", json_integer(0));
	set_default(spec, "enableServiceLinks", json_true());
	set_default(spec, "preemptionPolicy", json_string("PreemptLowerPriority"));
}

static void default_template(json_t *spec)
{
	json_t *tmpl = json_object_get(spec, "template");

	if (!json_is_object(tmpl))
		return;
	if (!json_is_object(json_object_get(tmpl, "metadata")))
		json_object_set_new(tmpl, "metadata", json_object());
	set_default(json_object_get(tmpl, "metadata"), "creationTimestamp", json_null());
	default_podspec(json_object_get(tmpl, "spec"), false);
}

static const char *qos_class(const json_t *spec)
{
	json_t *c;
	size_t i;
	bool any = false, guaranteed = true;

	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		json_t *req = jpath(c, "resources.requests"), *lim = jpath(c, "resources.limits");

		if (json_object_size(req) || json_object_size(lim))
			any = true;
		if (!json_is_string(json_object_get(lim, "cpu")) ||
		    !json_is_string(json_object_get(lim, "memory")) || !json_equal(req, lim))
			guaranteed = false;
	}
	if (!any)
		return "BestEffort";
	return guaranteed ? "Guaranteed" : "Burstable";
}

static void alloc_ip(struct sim *s, const char *prefix, char *out, size_t n)
{
	unsigned long v = s->ip_next++;

	snprintf(out, n, "%s.%lu.%lu", prefix, (v / 250) % 250, v % 250 + 2);
}

#define NODE_PORT_MIN 30000
#define NODE_PORT_MAX 32767

/* Whether a service other than the one with uid holds node port port (the
 * real allocator's set of ports in use, whatever the protocol). */
static bool node_port_taken(struct sim *s, json_int_t port, const char *uid)
{
	size_t n, i, k;
	struct obj *const *all = store_list(s->store, restype_get(K_SERVICE), NULL, &n);
	json_t *p;

	for (i = 0; i < n; i++) {
		if (str_eq(all[i]->uid, uid))
			continue;
		json_array_foreach(jpath(all[i]->doc, "spec.ports"), k, p)
		{
			if (jint(p, "nodePort", 0) == port)
				return true;
		}
	}
	return false;
}

/* The node port of a NodePort or LoadBalancer service's port: the one the
 * same port had before an update (as the real server keeps it), else a
 * free one from the default range (none in use by another service or by
 * another port of doc); 0 when the range is full. */
static json_int_t node_port(struct sim *s, const json_t *doc, const json_t *old, const json_t *port)
{
	const char *uid = jstr(doc, "metadata.uid", "");
	json_t *p;
	size_t i;

	json_array_foreach(jpath(old, "spec.ports"), i, p)
	{
		if (jint(p, "port", -1) == jint(port, "port", -2) &&
		    str_eq(jstr(p, "protocol", "TCP"), jstr(port, "protocol", "TCP")) &&
		    jint(p, "nodePort", 0))
			return (json_int_t)jint(p, "nodePort", 0);
	}
	for (int tries = 0; tries <= NODE_PORT_MAX - NODE_PORT_MIN; tries++) {
		json_int_t cand = NODE_PORT_MIN + (json_int_t)(s->node_port_next++ %
							       (NODE_PORT_MAX - NODE_PORT_MIN + 1));
		bool mine = false;

		json_array_foreach(jpath(doc, "spec.ports"), i, p) mine =
		    mine || jint(p, "nodePort", 0) == cand;
		if (!mine && !node_port_taken(s, cand, uid))
			return cand;
	}
	return 0;
}

/* What an update that changes a service's type leaves behind is dropped,
 * as the registry's dropTypeDependentFields does: values equal to the old
 * object's, which the user only carried over. */
static void drop_type_dependent(json_t *spec, const json_t *old)
{
	const char *type = jstr(spec, "type", "ClusterIP");
	json_t *p, *q;
	size_t i, j;

	if (!old || str_eq(type, jstr(old, "spec.type", "ClusterIP")))
		return;
	if (str_eq(type, "ExternalName")) {
		for (const char *const *k =
			 (const char *const[]){"clusterIP", "clusterIPs", "ipFamilies",
					       "ipFamilyPolicy", "internalTrafficPolicy", NULL};
		     *k; k++) {
			if (json_equal(json_object_get(spec, *k), jpath(jpath(old, "spec"), *k)))
				json_object_del(spec, *k);
		}
	}
	if (str_eq(type, "ClusterIP") || str_eq(type, "ExternalName")) {
		json_array_foreach(json_object_get(spec, "ports"), i, p)
		{
			json_array_foreach(jpath(old, "spec.ports"), j, q)
			{
				if (jint(p, "nodePort", 0) &&
				    jint(p, "nodePort", 0) == jint(q, "nodePort", -1))
					json_object_del(p, "nodePort");
			}
		}
		if (json_equal(json_object_get(spec, "externalTrafficPolicy"),
			       jpath(old, "spec.externalTrafficPolicy")))
			json_object_del(spec, "externalTrafficPolicy");
	}
}

static void default_service(struct sim *s, json_t *doc, const json_t *old)
{
	json_t *spec = jobj(doc, "spec"), *p;
	const char *old_ip = old ? jstr(old, "spec.clusterIP", NULL) : NULL;
	size_t i;
	char ip[32];

	const char *type;
	bool node_ports;

	set_default(spec, "type", json_string("ClusterIP"));
	set_default(spec, "sessionAffinity", json_string("None"));
	drop_type_dependent(spec, old);
	type = jstr(spec, "type", "ClusterIP");
	node_ports = str_eq(type, "NodePort") || str_eq(type, "LoadBalancer");
	/* An ExternalName service is a DNS alias: no cluster IP, no families. */
	if (!str_eq(type, "ExternalName")) {
		if (!json_object_get(spec, "clusterIP")) {
			if (old_ip && old_ip[0])
				snprintf(ip, sizeof(ip), "%s", old_ip);
			else
				alloc_ip(s, "10.96", ip, sizeof(ip));
			json_object_set_new(spec, "clusterIP", json_string(ip));
		}
		set_default(spec, "clusterIPs", json_pack("[s]", jstr(spec, "clusterIP", "")));
		set_default(spec, "ipFamilies", json_pack("[s]", "IPv4"));
		set_default(spec, "ipFamilyPolicy", json_string("SingleStack"));
		set_default(spec, "internalTrafficPolicy", json_string("Cluster"));
	}
	if (node_ports)
		set_default(spec, "externalTrafficPolicy", json_string("Cluster"));
	if (str_eq(type, "LoadBalancer"))
		set_default(spec, "allocateLoadBalancerNodePorts", json_true());
	if (str_eq(type, "LoadBalancer") && !jbool(spec, "allocateLoadBalancerNodePorts", true))
		node_ports = false;
	json_array_foreach(json_object_get(spec, "ports"), i, p)
	{
		set_default(p, "protocol", json_string("TCP"));
		if (json_object_get(p, "port"))
			set_default(p, "targetPort", json_deep_copy(json_object_get(p, "port")));
		if (node_ports && !jint(p, "nodePort", 0)) {
			json_int_t np = node_port(s, doc, old, p);

			if (np)
				json_object_set_new(p, "nodePort", json_integer(np));
		}
	}
	set_default(doc, "status", json_pack("{s:{}}", "loadBalancer"));
}

/* The pod labels a Job's generated selector is made of: the legacy and the
 * batch.kubernetes.io/ ones, naming the job and its uid. */
static const char *const job_label_keys[] = {"controller-uid", "job-name",
					     "batch.kubernetes.io/controller-uid",
					     "batch.kubernetes.io/job-name", NULL};

static const char *job_label_value(const char *key, const json_t *doc)
{
	return strstr(key, "controller-uid") ? jstr(doc, "metadata.uid", "")
					     : jstr(doc, "metadata.name", "");
}

/* A Job's selector and its pods' labels name the job by its uid, as the
 * registry's generateSelector does on create (manualSelector: true leaves
 * them alone): a label the user set is kept (validation then refuses it if
 * it differs), and controller-uid is added to the user's selector. */
static void default_job(json_t *doc, const json_t *old)
{
	json_t *spec = jobj(doc, "spec"), *labels;
	const char *uid = jstr(doc, "metadata.uid", "");

	if (!jpath(spec, "parallelism") && !jpath(spec, "completions")) {
		json_object_set_new(spec, "parallelism", json_integer(1));
		json_object_set_new(spec, "completions", json_integer(1));
	}
	set_default(spec, "parallelism", json_integer(1));
	set_default(spec, "backoffLimit", json_integer(6));
	set_default(spec, "completionMode", json_string("NonIndexed"));
	set_default(spec, "suspend", json_false());
	set_default(spec, "podReplacementPolicy", json_string("TerminatingOrFailed"));
	default_template(spec);
	if (!old && !jbool(spec, "manualSelector", false) && uid[0]) {
		labels = jobj(spec, "template.metadata.labels");
		for (const char *const *k = job_label_keys; *k; k++)
			set_default(labels, *k, json_string(job_label_value(*k, doc)));
		if (!json_is_object(json_object_get(spec, "selector")))
			json_object_set_new(spec, "selector", json_object());
		set_default(jobj(spec, "selector.matchLabels"),
			    "batch.kubernetes.io/controller-uid", json_string(uid));
	}
	set_default(doc, "status", json_object());
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kinds_base64(const char *in, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		buf_putc(&b, b64chars[(v >> 18) & 63]);
		buf_putc(&b, b64chars[(v >> 12) & 63]);
		buf_putc(&b, i + 1 < n ? b64chars[(v >> 6) & 63] : '=');
		buf_putc(&b, i + 2 < n ? b64chars[v & 63] : '=');
	}
	return buf_steal(&b);
}

void kinds_default(struct sim *s, const struct restype *rt, json_t *doc, const json_t *old)
{
	json_t *spec, *meta = jobj(doc, "metadata"), *sd, *v;
	const char *k;

	if (json_is_object(json_object_get(meta, "labels")) &&
	    !json_object_size(json_object_get(meta, "labels")))
		json_object_del(meta, "labels");
	/* Empty lists are omitted, as the API serialises them. */
	if (json_is_array(json_object_get(meta, "finalizers")) &&
	    !json_array_size(json_object_get(meta, "finalizers")))
		json_object_del(meta, "finalizers");
	if (rt->id == K_NAMESPACE && old && json_is_array(jpath(doc, "spec.finalizers")) &&
	    !json_array_size(jpath(doc, "spec.finalizers")))
		json_object_del(jobj(doc, "spec"), "finalizers");
	switch (rt->id) {
	case K_NAMESPACE:
		jset(doc, "metadata.labels", "kubernetes.io/metadata.name",
		     json_string(jstr(doc, "metadata.name", "")));
		/* Created with the namespace controller's finalizer, always; later
		 * writes keep whatever the finalize subresource left. */
		if (!old) {
			json_t *fin = json_object_get(jobj(doc, "spec"), "finalizers");

			if (!fin)
				json_object_set_new(jobj(doc, "spec"), "finalizers",
						    json_pack("[s]", "kubernetes"));
			else if (json_is_array(fin) && !fin_listed(fin, "kubernetes"))
				json_array_append_new(fin, json_string("kubernetes"));
		}
		set_default(jobj(doc, "status"), "phase", json_string("Active"));
		break;
	case K_POD:
		spec = jobj(doc, "spec");
		default_podspec(spec, true);
		set_default(jobj(doc, "status"), "phase", json_string("Pending"));
		set_default(jobj(doc, "status"), "qosClass", json_string(qos_class(spec)));
		break;
	case K_DEPLOYMENT:
		spec = jobj(doc, "spec");
		set_default(spec, "replicas", json_integer(1));
		/* kubectl create sends "strategy": {}; it is defaulted inside. */
		set_default(jobj(spec, "strategy"), "type", json_string("RollingUpdate"));
		if (str_eq(jstr(spec, "strategy.type", ""), "RollingUpdate")) {
			json_t *ru = jobj(spec, "strategy.rollingUpdate");

			set_default(ru, "maxUnavailable", json_string("25%"));
			set_default(ru, "maxSurge", json_string("25%"));
		}
		set_default(spec, "revisionHistoryLimit", json_integer(10));
		set_default(spec, "progressDeadlineSeconds", json_integer(600));
		default_template(spec);
		set_default(doc, "status", json_object());
		break;
	case K_STATEFULSET:
		spec = jobj(doc, "spec");
		set_default(spec, "replicas", json_integer(1));
		set_default(spec, "podManagementPolicy", json_string("OrderedReady"));
		set_default(spec, "updateStrategy",
			    json_pack("{s:s, s:{s:i}}", "type", "RollingUpdate", "rollingUpdate",
				      "partition", 0));
		set_default(spec, "revisionHistoryLimit", json_integer(10));
		set_default(
		    spec, "persistentVolumeClaimRetentionPolicy",
		    json_pack("{s:s, s:s}", "whenDeleted", "Retain", "whenScaled", "Retain"));
		default_template(spec);
		set_default(doc, "status",
			    json_pack("{s:i, s:i}", "replicas", 0, "availableReplicas", 0));
		break;
	case K_REPLICASET:
		spec = jobj(doc, "spec");
		set_default(spec, "replicas", json_integer(1));
		default_template(spec);
		set_default(doc, "status", json_pack("{s:i}", "replicas", 0));
		break;
	case K_SERVICE:
		default_service(s, doc, old);
		break;
	case K_SECRET:
		set_default(doc, "type", json_string("Opaque"));
		sd = json_object_get(doc, "stringData");
		if (json_is_object(sd)) {
			json_t *data = jobj(doc, "data");

			json_object_foreach(sd, k, v)
			{
				const char *str = json_is_string(v) ? json_string_value(v) : "";
				char *enc = kinds_base64(str, strlen(str));

				json_object_set_new(data, k, json_string(enc));
				free(enc);
			}
			json_object_del(doc, "stringData");
		}
		break;
	case K_PVC:
		set_default(jobj(doc, "spec"), "volumeMode", json_string("Filesystem"));
		set_default(jobj(doc, "status"), "phase", json_string("Pending"));
		break;
	case K_QUOTA:
		set_default(doc, "status", json_object());
		break;
	case K_INGRESS:
		set_default(doc, "status", json_pack("{s:{}}", "loadBalancer"));
		break;
	case K_NETPOL:
		spec = jobj(doc, "spec");
		if (!json_object_get(spec, "policyTypes")) {
			json_t *types = json_pack("[s]", "Ingress");

			if (json_object_get(spec, "egress"))
				json_array_append_new(types, json_string("Egress"));
			json_object_set_new(spec, "policyTypes", types);
		}
		set_default(spec, "podSelector", json_object());
		break;
	case K_JOB:
		default_job(doc, old);
		break;
	case K_EVENT:
	case K_CONFIGMAP:
	case K_KAFKATOPIC:
	case K_COUNT:
		break;
	}
}

/* ---- validation ---- */

static void invalid_str(struct apierr *e, const char *field, const char *value, const char *why)
{
	apierr_invalid_add(e, "FieldValueInvalid", field, "Invalid value: \"%s\": %s", value, why);
}

static void required(struct apierr *e, const char *field)
{
	apierr_invalid_add(e, "FieldValueRequired", field, "Required value");
}

static void validate_meta(const struct restype *rt, const json_t *doc, struct apierr *e)
{
	const char *name = jstr(doc, "metadata.name", NULL);
	json_t *labels = jpath(doc, "metadata.labels"), *ann = jpath(doc, "metadata.annotations"),
	       *v;
	const char *k, *why;

	if (!name || !name[0]) {
		apierr_invalid_add(e, "FieldValueRequired", "metadata.name",
				   "Required value: name or generateName is required");
	} else {
		bool label_rule = rt->id == K_NAMESPACE || rt->id == K_SERVICE;

		why = label_rule ? valid_dns_label(name) : valid_dns_subdomain(name);
		if (why)
			invalid_str(e, "metadata.name", name, why);
	}
	if (labels && !json_is_object(labels))
		apierr_invalid_add(e, "FieldValueInvalid", "metadata.labels", "must be an object");
	if (ann && !json_is_object(ann))
		apierr_invalid_add(e, "FieldValueInvalid", "metadata.annotations",
				   "must be an object");
	{
		json_t *refs = jpath(doc, "metadata.ownerReferences"), *r;
		size_t i;
		char field[96];

		if (refs && !json_is_array(refs))
			apierr_invalid_add(e, "FieldValueInvalid", "metadata.ownerReferences",
					   "must be a list");
		json_array_foreach(refs, i, r)
		{
			static const char *const need[] = {"apiVersion", "kind", "name", "uid",
							   NULL};

			for (const char *const *f = need; *f; f++) {
				if (!jstr(r, *f, NULL) || !jstr(r, *f, "")[0]) {
					snprintf(field, sizeof(field),
						 "metadata.ownerReferences[%zu].%s", i, *f);
					required(e, field);
				}
			}
		}
	}
	json_object_foreach(labels, k, v)
	{
		char field[300];

		why = valid_label_key(k);
		if (why) {
			snprintf(field, sizeof(field), "metadata.labels");
			invalid_str(e, field, k, why);
			continue;
		}
		if (!json_is_string(v)) {
			snprintf(field, sizeof(field), "metadata.labels[%.250s]", k);
			apierr_invalid_add(e, "FieldValueInvalid", field, "must be a string");
			continue;
		}
		why = valid_label_value(json_string_value(v));
		if (why) {
			snprintf(field, sizeof(field), "metadata.labels");
			invalid_str(e, field, json_string_value(v), why);
		}
	}
	json_object_foreach(ann, k, v)
	{
		why = valid_label_key(k);
		if (why)
			invalid_str(e, "metadata.annotations", k, why);
		else if (!json_is_string(v))
			apierr_invalid_add(e, "FieldValueInvalid", "metadata.annotations",
					   "values must be strings");
	}
}

static void validate_quantities(const json_t *map, const char *field, bool quota, struct apierr *e);

/* A finalizers list: qualified names; kube (a namespace's spec.finalizers):
 * a name without a prefix must be a standard one. */
static void validate_finalizer_list(const json_t *list, const char *field, bool kube,
				    struct apierr *e)
{
	static const char *const standard[] = {"kubernetes", "orphan", "foregroundDeletion", NULL};
	size_t i;
	json_t *x;
	char at[64];

	if (list && !json_is_array(list)) {
		apierr_invalid_add(e, "FieldValueInvalid", field, "must be a list");
		return;
	}
	json_array_foreach((json_t *)list, i, x)
	{
		const char *name = json_string_value(x), *why;
		bool known = false;

		snprintf(at, sizeof(at), "%s[%zu]", field, i);
		if (!name) {
			apierr_invalid_add(e, "FieldValueInvalid", at, "must be a string");
			continue;
		}
		for (const char *const *k = standard; *k; k++)
			known = known || str_eq(*k, name);
		why = valid_label_key(name);
		if (why)
			invalid_str(e, at, name, why);
		else if (kube && !strchr(name, '/') && !known)
			invalid_str(e, at, name,
				    "name is neither a standard finalizer name nor is it fully "
				    "qualified");
	}
}

/* Finalizers must be well formed; once an object is being deleted none may
 * be added (old: the stored state on an update). */
static void validate_finalizers(const struct restype *rt, const json_t *doc, const json_t *old,
				struct apierr *e)
{
	json_t *now = jpath(doc, "metadata.finalizers"), *x;
	struct buf added = BUF_INIT;
	const char **names;
	size_t i, n = 0;

	validate_finalizer_list(now, "metadata.finalizers", false, e);
	if (rt->id == K_NAMESPACE)
		validate_finalizer_list(jpath(doc, "spec.finalizers"), "spec.finalizers", true, e);
	if (!old || !jpath(old, "metadata.deletionTimestamp") || !json_is_array(now))
		return;
	names = xcalloc(json_array_size(now) + 1, sizeof(*names));
	json_array_foreach(now, i, x)
	{
		const char *name = json_string_value(x);
		bool dup = false;

		for (size_t k = 0; k < n && name; k++)
			dup = dup || str_eq(names[k], name);
		if (name && !dup && !fin_listed(jpath(old, "metadata.finalizers"), name))
			names[n++] = name;
	}
	/* Worded as Go prints the sorted set: []string{"a", "b"} */
	qsort(names, n, sizeof(*names), cmp_strptr);
	for (i = 0; i < n; i++)
		buf_printf(&added, "%s\"%s\"", i ? ", " : "", names[i]);
	if (n)
		apierr_invalid_add(e, "FieldValueForbidden", "metadata.finalizers",
				   "Forbidden: no new finalizers can be added if the object is "
				   "being deleted, found new finalizers []string{%s}",
				   buf_str(&added));
	buf_free(&added);
	free(names);
}

static void validate_podspec(const json_t *spec, const char *base, struct apierr *e)
{
	json_t *cs = json_object_get(spec, "containers"), *c, *p;
	size_t i, j;
	char f[256];

	if (!json_is_array(cs) || json_array_size(cs) == 0) {
		snprintf(f, sizeof(f), "%s.containers", base);
		required(e, f);
		return;
	}
	json_array_foreach(cs, i, c)
	{
		const char *name = jstr(c, "name", NULL), *image = jstr(c, "image", NULL);

		if (!name || !name[0]) {
			snprintf(f, sizeof(f), "%s.containers[%zu].name", base, i);
			required(e, f);
		} else if (valid_dns_label(name)) {
			snprintf(f, sizeof(f), "%s.containers[%zu].name", base, i);
			invalid_str(e, f, name, valid_dns_label(name));
		} else {
			for (j = 0; j < i; j++) {
				if (str_eq(jstr(json_array_get(cs, j), "name", ""), name)) {
					snprintf(f, sizeof(f), "%s.containers[%zu].name", base, i);
					apierr_invalid_add(e, "FieldValueDuplicate", f,
							   "Duplicate value: \"%s\"", name);
				}
			}
		}
		if (!image || !image[0]) {
			snprintf(f, sizeof(f), "%s.containers[%zu].image", base, i);
			required(e, f);
		}
		if (json_object_get(c, "ports") && !json_is_array(json_object_get(c, "ports"))) {
			snprintf(f, sizeof(f), "%s.containers[%zu].ports", base, i);
			apierr_invalid_add(e, "FieldValueInvalid", f, "must be a list");
		}
		if (json_object_get(c, "env") && !json_is_array(json_object_get(c, "env"))) {
			snprintf(f, sizeof(f), "%s.containers[%zu].env", base, i);
			apierr_invalid_add(e, "FieldValueInvalid", f, "must be a list");
		}
		for (const char *const *kind = (const char *const[]){"requests", "limits", NULL};
		     *kind; kind++) {
			json_t *res = jpath(c, "resources");
			json_t *m = json_is_object(res) ? json_object_get(res, *kind) : NULL;

			snprintf(f, sizeof(f), "%s.containers[%zu].resources.%s", base, i, *kind);
			if (m && !json_is_object(m))
				apierr_invalid_add(e, "FieldValueInvalid", f, "must be an object");
			else if (m)
				validate_quantities(m, f, false, e);
		}
		json_array_foreach(json_object_get(c, "ports"), j, p)
		{
			long long port = jint(p, "containerPort", -1);

			if (port < 1 || port > 65535) {
				snprintf(f, sizeof(f),
					 "%s.containers[%zu].ports[%zu].containerPort", base, i, j);
				apierr_invalid_add(
				    e, "FieldValueInvalid", f,
				    "Invalid value: %lld: must be between 1 and 65535, "
				    "inclusive",
				    port);
			}
		}
	}
}

static void reset_buf(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* A string as Go's %q writes it (near enough: quotes and backslashes
 * escaped, control bytes in hex). */
static void go_quote(struct buf *b, const char *str)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\x%02x", *p);
		else
			buf_putc(b, (char)*p);
	}
	buf_putc(b, '"');
}

/* A map[string]string as Go's %#v prints it, keys sorted. */
static void go_string_map(struct buf *b, const json_t *map)
{
	const char **keys;
	const char *k;
	json_t *v;
	size_t n = 0;

	if (!json_is_object(map)) {
		buf_puts(b, "map[string]string(nil)");
		return;
	}
	keys = xcalloc(json_object_size(map) + 1, sizeof(*keys));
	json_object_foreach((json_t *)map, k, v) keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_strptr);
	buf_puts(b, "map[string]string{");
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, i ? ", " : "");
		go_quote(b, keys[i]);
		buf_putc(b, ':');
		go_quote(b, jstr(map, keys[i], ""));
	}
	buf_putc(b, '}');
	free(keys);
}

/* A LabelSelector as a field error shows it (Go's %#v of the struct). */
static void go_selector(struct buf *b, const json_t *sel)
{
	json_t *exprs = json_object_get(sel, "matchExpressions"), *x, *val;
	size_t i, j;

	if (!json_is_object(sel)) {
		buf_puts(b, "\"null\"");
		return;
	}
	buf_puts(b, "v1.LabelSelector{MatchLabels:");
	go_string_map(b, json_object_get(sel, "matchLabels"));
	buf_puts(b, ", MatchExpressions:[]v1.LabelSelectorRequirement");
	if (!json_is_array(exprs)) {
		buf_puts(b, "(nil)}");
		return;
	}
	buf_putc(b, '{');
	json_array_foreach(exprs, i, x)
	{
		buf_printf(b, "%sv1.LabelSelectorRequirement{Key:", i ? ", " : "");
		go_quote(b, jstr(x, "key", ""));
		buf_puts(b, ", Operator:");
		go_quote(b, jstr(x, "operator", ""));
		buf_puts(b, ", Values:[]string");
		if (!json_is_array(json_object_get(x, "values"))) {
			buf_puts(b, "(nil)}");
			continue;
		}
		buf_putc(b, '{');
		json_array_foreach(json_object_get(x, "values"), j, val)
		{
			buf_puts(b, j ? ", " : "");
			go_quote(b, json_is_string(val) ? json_string_value(val) : "");
		}
		buf_puts(b, "}}");
	}
	buf_puts(b, "}}");
}

/* spec.selector is there and well formed (empty_ok: {} selects every pod,
 * as a Job's may; a workload's may not) and selects the template's labels. */
static void validate_selector_labels(const json_t *doc, bool empty_ok, struct apierr *e)
{
	json_t *sel = jpath(doc, "spec.selector");
	json_t *labels = jpath(doc, "spec.template.metadata.labels");
	struct selector s;
	struct err err = {{0}};

	if (!json_is_object(sel) ||
	    (!empty_ok && !json_object_size(json_object_get(sel, "matchLabels")) &&
	     !json_array_size(json_object_get(sel, "matchExpressions")))) {
		required(e, "spec.selector");
	} else if (!selector_from_json(sel, &s, &err)) {
		apierr_invalid_add(e, "FieldValueInvalid", "spec.selector", "%s", err.msg);
	} else {
		if (!selector_match(&s, labels)) {
			char *ls = jlabels_string(labels);

			apierr_invalid_add(
			    e, "FieldValueInvalid", "spec.template.metadata.labels",
			    "Invalid value: \"%s\": `selector` does not match template "
			    "`labels`",
			    ls);
			free(ls);
		}
		selector_free(&s);
	}
}

static void validate_workload(const struct restype *rt, const json_t *doc, struct apierr *e)
{
	json_t *rep = jpath(doc, "spec.replicas");

	if (rep && (!json_is_integer(rep) || json_integer_value(rep) < 0))
		apierr_invalid_add(e, "FieldValueInvalid", "spec.replicas",
				   "Invalid value: %lld: must be greater than or equal to 0",
				   json_is_integer(rep) ? (long long)json_integer_value(rep)
							: -1LL);
	validate_selector_labels(doc, false, e);
	validate_podspec(jpath(doc, "spec.template.spec"), "spec.template.spec", e);
	if (rt->id == K_STATEFULSET) {
		const char *pmp = jstr(doc, "spec.podManagementPolicy", "OrderedReady");

		if (!str_eq(pmp, "OrderedReady") && !str_eq(pmp, "Parallel"))
			apierr_invalid_add(e, "FieldValueNotSupported", "spec.podManagementPolicy",
					   "Unsupported value: \"%s\": supported values: "
					   "\"OrderedReady\", \"Parallel\"",
					   pmp);
	}
}

/* A selector generated on create (no manualSelector: true): the template
 * carries the generated labels with the generated values and the selector
 * selects nothing but them (validation's ValidateGeneratedSelector). */
static void validate_generated_selector(const json_t *doc, struct apierr *e)
{
	json_t *labels = jpath(doc, "spec.template.metadata.labels");
	json_t *expected = json_object(), *v;
	struct selector s;
	struct err err = {{0}};
	struct buf b = BUF_INIT;
	char f[128];

	for (const char *const *k = job_label_keys; *k; k++) {
		const char *want = job_label_value(*k, doc);

		snprintf(f, sizeof(f), "spec.template.metadata.labels[%s]", *k);
		v = json_object_get(labels, *k);
		if (!v) {
			apierr_invalid_add(e, "FieldValueRequired", f,
					   "Required value: must be '%s'", want);
		} else if (!json_is_string(v) || !str_eq(json_string_value(v), want)) {
			reset_buf(&b);
			go_string_map(&b, labels);
			apierr_invalid_add(e, "FieldValueInvalid", f,
					   "Invalid value: %s: must be '%s'", buf_str(&b), want);
		}
		json_object_set_new(expected, *k, json_string(want));
	}
	if (selector_from_json(jpath(doc, "spec.selector"), &s, &err)) {
		if (!selector_match(&s, expected)) {
			reset_buf(&b);
			go_selector(&b, jpath(doc, "spec.selector"));
			apierr_invalid_add(e, "FieldValueInvalid", "spec.selector",
					   "Invalid value: %s: `selector` not auto-generated",
					   buf_str(&b));
		}
		selector_free(&s);
	}
	json_decref(expected);
	buf_free(&b);
}

/* What a Job update may not change: the selector, the completion mode and
 * the completions (but for an Indexed job scaled with its parallelism). */
static void validate_job_update(const json_t *doc, const json_t *old, struct apierr *e)
{
	json_t *c = jpath(doc, "spec.completions"), *p = jpath(doc, "spec.parallelism");
	const char *mode = jstr(doc, "spec.completionMode", "NonIndexed");
	struct buf b = BUF_INIT;

	if (!json_equal(jpath(doc, "spec.selector"), jpath(old, "spec.selector"))) {
		go_selector(&b, jpath(doc, "spec.selector"));
		apierr_invalid_add(e, "FieldValueInvalid", "spec.selector",
				   "Invalid value: %s: field is immutable", buf_str(&b));
	}
	if (!str_eq(mode, jstr(old, "spec.completionMode", "NonIndexed")))
		apierr_invalid_add(e, "FieldValueInvalid", "spec.completionMode",
				   "Invalid value: \"%s\": field is immutable", mode);
	else if (!json_equal(c, jpath(old, "spec.completions")) && !str_eq(mode, "Indexed") &&
		 json_is_integer(c))
		apierr_invalid_add(e, "FieldValueInvalid", "spec.completions",
				   "Invalid value: %lld: field is immutable",
				   (long long)json_integer_value(c));
	else if (!json_equal(c, jpath(old, "spec.completions")) && !str_eq(mode, "Indexed"))
		apierr_invalid_add(e, "FieldValueInvalid", "spec.completions",
				   "Invalid value: \"null\": field is immutable");
	else if (!json_equal(c, jpath(old, "spec.completions")) && json_is_integer(c) &&
		 !json_equal(c, p))
		apierr_invalid_add(e, "FieldValueInvalid", "spec.completions",
				   "Invalid value: %lld: can only be modified in tandem with "
				   "spec.parallelism",
				   (long long)json_integer_value(c));
	if (!json_equal(jpath(doc, "spec.template"), jpath(old, "spec.template")) &&
	    !jbool(old, "spec.suspend", false))
		apierr_invalid_add(e, "FieldValueInvalid", "spec.template",
				   "Invalid value: field is immutable");
	buf_free(&b);
}

static void validate_job(const json_t *doc, const json_t *old, struct apierr *e)
{
	static const char *const counts[] = {"parallelism",
					     "completions",
					     "activeDeadlineSeconds",
					     "backoffLimit",
					     "ttlSecondsAfterFinished",
					     NULL};
	const char *restart = jstr(doc, "spec.template.spec.restartPolicy", "");
	char f[64];

	if (!old && !jbool(doc, "spec.manualSelector", false) &&
	    json_is_object(jpath(doc, "spec.selector")))
		validate_generated_selector(doc, e);
	for (const char *const *k = counts; *k; k++) {
		json_t *v = json_object_get(jpath(doc, "spec"), *k);

		snprintf(f, sizeof(f), "spec.%s", *k);
		if (json_is_integer(v) && json_integer_value(v) < 0)
			apierr_invalid_add(
			    e, "FieldValueInvalid", f,
			    "Invalid value: %lld: must be greater than or equal to 0",
			    (long long)json_integer_value(v));
	}
	validate_podspec(jpath(doc, "spec.template.spec"), "spec.template.spec", e);
	if (!str_eq(restart, "OnFailure") && !str_eq(restart, "Never"))
		apierr_invalid_add(e, "FieldValueNotSupported", "spec.template.spec.restartPolicy",
				   "Unsupported value: \"%s\": supported values: \"OnFailure\", "
				   "\"Never\"",
				   restart);
	validate_selector_labels(doc, true, e);
	if (old)
		validate_job_update(doc, old, e);
}

/* The node port allocator's checks, after validation as on the real
 * server: in the range, and not another service's. */
static void validate_node_ports(struct sim *s, const json_t *doc, struct apierr *e)
{
	const char *uid = jstr(doc, "metadata.uid", "");
	json_t *p;
	size_t i;
	char f[96];

	json_array_foreach(jpath(doc, "spec.ports"), i, p)
	{
		long long np = jint(p, "nodePort", 0);

		snprintf(f, sizeof(f), "spec.ports[%zu].nodePort", i);
		if (np && (np < NODE_PORT_MIN || np > NODE_PORT_MAX))
			apierr_invalid_add(e, "FieldValueInvalid", f,
					   "Invalid value: %lld: provided port is not in the valid "
					   "range. The range of valid ports is %d-%d",
					   np, NODE_PORT_MIN, NODE_PORT_MAX);
		else if (np && node_port_taken(s, (json_int_t)np, uid))
			apierr_invalid_add(
			    e, "FieldValueInvalid", f,
			    "Invalid value: %lld: provided port is already allocated", np);
	}
}

static void validate_service(const json_t *doc, struct apierr *e)
{
	const char *type = jstr(doc, "spec.type", "ClusterIP");
	json_t *ports = jpath(doc, "spec.ports"), *p, *q;
	size_t i, j;
	char f[96];

	if (str_eq(type, "ExternalName")) {
		/* A DNS alias: a name (a trailing dot allowed), no address. */
		char cname[256];
		const char *why;

		snprintf(cname, sizeof(cname), "%s", jstr(doc, "spec.externalName", ""));
		if (cname[0] && cname[strlen(cname) - 1] == '.')
			cname[strlen(cname) - 1] = '\0';
		if (jstr(doc, "spec.clusterIP", "")[0] ||
		    json_array_size(jpath(doc, "spec.clusterIPs")))
			apierr_invalid_add(e, "FieldValueForbidden", "spec.clusterIPs",
					   "Forbidden: may not be set for ExternalName services");
		if (json_array_size(jpath(doc, "spec.ipFamilies")))
			apierr_invalid_add(e, "FieldValueForbidden", "spec.ipFamilies",
					   "Forbidden: may not be set for ExternalName services");
		if (jpath(doc, "spec.ipFamilyPolicy"))
			apierr_invalid_add(e, "FieldValueForbidden", "spec.ipFamilyPolicy",
					   "Forbidden: may not be set for ExternalName services");
		if (!cname[0])
			required(e, "spec.externalName");
		else if ((why = valid_dns_subdomain(cname)))
			invalid_str(e, "spec.externalName", cname, why);
	}
	if (!str_eq(type, "ClusterIP") && !str_eq(type, "NodePort") &&
	    !str_eq(type, "LoadBalancer") && !str_eq(type, "ExternalName"))
		apierr_invalid_add(e, "FieldValueNotSupported", "spec.type",
				   "Unsupported value: \"%s\": supported values: \"ClusterIP\", "
				   "\"ExternalName\", \"LoadBalancer\", \"NodePort\"",
				   type);
	if (jpath(doc, "spec.selector") && !json_is_object(jpath(doc, "spec.selector")))
		apierr_invalid_add(e, "FieldValueInvalid", "spec.selector", "must be an object");
	if (!str_eq(type, "ExternalName") && !str_eq(jstr(doc, "spec.clusterIP", ""), "None") &&
	    json_array_size(ports) == 0)
		required(e, "spec.ports");
	json_array_foreach(ports, i, p)
	{
		long long port = jint(p, "port", -1);

		if (port < 1 || port > 65535) {
			snprintf(f, sizeof(f), "spec.ports[%zu].port", i);
			apierr_invalid_add(
			    e, "FieldValueInvalid", f,
			    "Invalid value: %lld: must be between 1 and 65535, inclusive", port);
		}
		if (json_array_size(ports) > 1 && !jstr(p, "name", NULL)) {
			snprintf(f, sizeof(f), "spec.ports[%zu].name", i);
			required(e, f);
		}
		snprintf(f, sizeof(f), "spec.ports[%zu].nodePort", i);
		if (!jint(p, "nodePort", 0))
			continue;
		if (str_eq(type, "ClusterIP")) {
			apierr_invalid_add(e, "FieldValueForbidden", f,
					   "Forbidden: may not be used when `type` is 'ClusterIP'");
			continue;
		}
		if (jint(p, "nodePort", 0) < 1 || jint(p, "nodePort", 0) > 65535) {
			apierr_invalid_add(
			    e, "FieldValueInvalid", f,
			    "Invalid value: %lld: must be between 1 and 65535, inclusive",
			    jint(p, "nodePort", 0));
			continue;
		}
		for (j = 0; j < i; j++) {
			q = json_array_get(ports, j);
			if (jint(q, "nodePort", 0) == jint(p, "nodePort", 0) &&
			    str_eq(jstr(q, "protocol", "TCP"), jstr(p, "protocol", "TCP"))) {
				apierr_invalid_add(e, "FieldValueDuplicate", f,
						   "Duplicate value: %lld", jint(p, "nodePort", 0));
				break;
			}
		}
	}
}

static void validate_quantities(const json_t *map, const char *field, bool quota, struct apierr *e)
{
	const char *k;
	json_t *v;
	int64_t q;
	char f[256];

	json_object_foreach((json_t *)map, k, v)
	{
		snprintf(f, sizeof(f), "%s[%.200s]", field, k);
		if (!json_is_string(v) && !json_is_integer(v)) {
			apierr_invalid_add(e, "FieldValueInvalid", f, "must be a quantity");
			continue;
		}
		if (json_is_string(v) && !quantity_parse(json_string_value(v), &q))
			invalid_str(e, f, json_string_value(v),
				    "quantities must match the regular expression "
				    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
		else if (quota && !quota_known_resource(k) && !strchr(k, '/'))
			invalid_str(e, f, k, "must be a standard resource for quota");
	}
}

bool kinds_validate(struct sim *s, const struct restype *rt, const json_t *doc, const json_t *old,
		    struct apierr *e)
{
	const char *name = jstr(doc, "metadata.name", "");

	validate_meta(rt, doc, e);
	validate_finalizers(rt, doc, old, e);
	switch (rt->id) {
	case K_POD:
		validate_podspec(jpath(doc, "spec"), "spec", e);
		if (old &&
		    !json_equal(jpath(doc, "spec.containers"), jpath(old, "spec.containers"))) {
			/* Only images may change in a running pod's containers. */
			json_t *a = json_deep_copy(jpath(doc, "spec.containers"));
			json_t *b = json_deep_copy(jpath(old, "spec.containers")), *c;
			size_t i;

			json_array_foreach(a, i, c) json_object_del(c, "image");
			json_array_foreach(b, i, c) json_object_del(c, "image");
			if (!json_equal(a, b))
				apierr_invalid_add(
				    e, "FieldValueForbidden", "spec",
				    "Forbidden: pod updates may not change fields other "
				    "than `spec.containers[*].image`");
			json_decref(a);
			json_decref(b);
		}
		break;
	case K_DEPLOYMENT:
	case K_STATEFULSET:
	case K_REPLICASET:
		validate_workload(rt, doc, e);
		if (old && rt->id != K_REPLICASET &&
		    !json_equal(jpath(doc, "spec.selector"), jpath(old, "spec.selector")))
			apierr_invalid_add(e, "FieldValueInvalid", "spec.selector",
					   "Invalid value: the selector is immutable: field is "
					   "immutable");
		break;
	case K_SERVICE:
		validate_service(doc, e);
		if (!e->details)
			validate_node_ports(s, doc, e);
		break;
	case K_JOB:
		validate_job(doc, old, e);
		break;
	case K_PVC:
		if (!json_array_size(jpath(doc, "spec.accessModes")))
			required(e, "spec.accessModes");
		if (!jpath(doc, "spec.resources.requests.storage"))
			apierr_invalid_add(e, "FieldValueRequired", "spec.resources[storage]",
					   "Required value");
		else
			validate_quantities(jpath(doc, "spec.resources.requests"),
					    "spec.resources.requests", false, e);
		break;
	case K_QUOTA:
		if (jpath(doc, "spec.hard") && !json_is_object(jpath(doc, "spec.hard")))
			apierr_invalid_add(e, "FieldValueInvalid", "spec.hard",
					   "must be an object");
		validate_quantities(jpath(doc, "spec.hard"), "spec.hard", true, e);
		break;
	case K_KAFKATOPIC: {
		json_t *parts = jpath(doc, "spec.partitions");

		if (parts && (!json_is_integer(parts) || json_integer_value(parts) < 1))
			apierr_invalid_add(e, "FieldValueInvalid", "spec.partitions",
					   "Invalid value: must be greater than or equal to 1");
		break;
	}
	case K_SECRET:
		if (json_object_get(doc, "data") && !json_is_object(json_object_get(doc, "data")))
			apierr_invalid_add(e, "FieldValueInvalid", "data", "must be an object");
		break;
	case K_NAMESPACE:
	case K_CONFIGMAP:
	case K_EVENT:
	case K_INGRESS:
	case K_NETPOL:
	case K_COUNT:
		break;
	}
	return !apierr_invalid_finish(e, rt, name);
}

/* ---- schema check for server-side apply ---- */

static const char *const k_meta[] = {"name",
				     "generateName",
				     "namespace",
				     "selfLink",
				     "uid",
				     "resourceVersion",
				     "generation",
				     "creationTimestamp",
				     "deletionTimestamp",
				     "deletionGracePeriodSeconds",
				     "labels",
				     "annotations",
				     "ownerReferences",
				     "finalizers",
				     "managedFields",
				     NULL};
static const char *const k_top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
static const char *const k_secret[] = {"apiVersion", "kind", "metadata",  "data",
				       "stringData", "type", "immutable", NULL};
static const char *const k_cm[] = {"apiVersion", "kind",      "metadata", "data",
				   "binaryData", "immutable", NULL};
static const char *const k_event[] = {"apiVersion",
				      "kind",
				      "metadata",
				      "involvedObject",
				      "reason",
				      "message",
				      "source",
				      "firstTimestamp",
				      "lastTimestamp",
				      "count",
				      "type",
				      "eventTime",
				      "series",
				      "action",
				      "related",
				      "reportingComponent",
				      "reportingInstance",
				      NULL};
static const char *const k_deploy[] = {"replicas",
				       "selector",
				       "template",
				       "strategy",
				       "minReadySeconds",
				       "revisionHistoryLimit",
				       "paused",
				       "progressDeadlineSeconds",
				       NULL};
static const char *const k_sts[] = {"replicas",	       "selector",
				    "template",	       "volumeClaimTemplates",
				    "serviceName",     "podManagementPolicy",
				    "updateStrategy",  "revisionHistoryLimit",
				    "minReadySeconds", "persistentVolumeClaimRetentionPolicy",
				    "ordinals",	       NULL};
static const char *const k_rs[] = {"replicas", "selector", "template", "minReadySeconds", NULL};
static const char *const k_job[] = {"parallelism",
				    "completions",
				    "activeDeadlineSeconds",
				    "podFailurePolicy",
				    "successPolicy",
				    "backoffLimit",
				    "backoffLimitPerIndex",
				    "maxFailedIndexes",
				    "selector",
				    "manualSelector",
				    "template",
				    "ttlSecondsAfterFinished",
				    "completionMode",
				    "suspend",
				    "podReplacementPolicy",
				    "managedBy",
				    NULL};
static const char *const k_template[] = {"metadata", "spec", NULL};
static const char *const k_podspec[] = {"volumes",
					"initContainers",
					"containers",
					"ephemeralContainers",
					"restartPolicy",
					"terminationGracePeriodSeconds",
					"activeDeadlineSeconds",
					"dnsPolicy",
					"nodeSelector",
					"serviceAccountName",
					"serviceAccount",
					"automountServiceAccountToken",
					"nodeName",
					"hostNetwork",
					"hostPID",
					"hostIPC",
					"shareProcessNamespace",
					"securityContext",
					"imagePullSecrets",
					"hostname",
					"subdomain",
					"affinity",
					"schedulerName",
					"tolerations",
					"hostAliases",
					"priorityClassName",
					"priority",
					"dnsConfig",
					"readinessGates",
					"runtimeClassName",
					"enableServiceLinks",
					"preemptionPolicy",
					"overhead",
					"topologySpreadConstraints",
					"setHostnameAsFQDN",
					"os",
					"hostUsers",
					"schedulingGates",
					"resourceClaims",
					"resources",
					NULL};
static const char *const k_container[] = {"name",
					  "image",
					  "command",
					  "args",
					  "workingDir",
					  "ports",
					  "envFrom",
					  "env",
					  "resources",
					  "resizePolicy",
					  "restartPolicy",
					  "volumeMounts",
					  "volumeDevices",
					  "livenessProbe",
					  "readinessProbe",
					  "startupProbe",
					  "lifecycle",
					  "terminationMessagePath",
					  "terminationMessagePolicy",
					  "imagePullPolicy",
					  "securityContext",
					  "stdin",
					  "stdinOnce",
					  "tty",
					  NULL};
static const char *const k_port[] = {"name",	 "hostPort", "containerPort",
				     "protocol", "hostIP",   NULL};

static bool known(const char *k, const char *const *keys)
{
	for (; *keys; keys++) {
		if (strcmp(k, *keys) == 0)
			return true;
	}
	return false;
}

/* The first member of o not in keys, or NULL. */
static const char *unknown_key(const json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v)
	{
		if (!known(k, keys))
			return k;
	}
	return NULL;
}

static bool check_podspec(const json_t *spec, struct buf *path, char *msg, size_t n)
{
	const char *bad = unknown_key(spec, k_podspec);
	json_t *c, *p;
	size_t i, j;

	if (bad) {
		snprintf(msg, n, "%s.%s", buf_str(path), bad);
		return false;
	}
	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		size_t mark = path->len;

		buf_printf(path, ".containers[name=\"%s\"]", jstr(c, "name", ""));
		bad = unknown_key(c, k_container);
		if (bad) {
			snprintf(msg, n, "%s.%s", buf_str(path), bad);
			return false;
		}
		json_array_foreach(json_object_get(c, "ports"), j, p)
		{
			bad = unknown_key(p, k_port);
			if (bad) {
				snprintf(msg, n, "%s.ports[containerPort=%lld,protocol=\"%s\"].%s",
					 buf_str(path), jint(p, "containerPort", 0),
					 jstr(p, "protocol", "TCP"), bad);
				return false;
			}
		}
		path->len = mark;
		path->data[mark] = '\0';
	}
	return true;
}

bool kinds_schema_check(const struct restype *rt, const json_t *doc, char *msg, size_t n)
{
	const char *const *top = rt->id == K_SECRET	 ? k_secret
				 : rt->id == K_CONFIGMAP ? k_cm
				 : rt->id == K_EVENT	 ? k_event
							 : k_top;
	const char *const *spec_keys = rt->id == K_DEPLOYMENT	 ? k_deploy
				       : rt->id == K_STATEFULSET ? k_sts
				       : rt->id == K_REPLICASET	 ? k_rs
				       : rt->id == K_JOB	 ? k_job
								 : NULL;
	const char *bad = unknown_key(doc, top);
	struct buf path = BUF_INIT;
	bool ok = true;

	if (bad) {
		snprintf(msg, n, ".%s", bad);
		return false;
	}
	bad = unknown_key(jpath(doc, "metadata"), k_meta);
	if (bad) {
		snprintf(msg, n, ".metadata.%s", bad);
		return false;
	}
	if (rt->id == K_POD) {
		buf_puts(&path, ".spec");
		ok = check_podspec(jpath(doc, "spec"), &path, msg, n);
	} else if (spec_keys) {
		bad = unknown_key(jpath(doc, "spec"), spec_keys);
		if (bad) {
			snprintf(msg, n, ".spec.%s", bad);
			return false;
		}
		bad = unknown_key(jpath(doc, "spec.template"), k_template);
		if (bad) {
			snprintf(msg, n, ".spec.template.%s", bad);
			return false;
		}
		bad = unknown_key(jpath(doc, "spec.template.metadata"), k_meta);
		if (bad) {
			snprintf(msg, n, ".spec.template.metadata.%s", bad);
			return false;
		}
		buf_puts(&path, ".spec.template.spec");
		ok = check_podspec(jpath(doc, "spec.template.spec"), &path, msg, n);
	}
	buf_free(&path);
	return ok;
}

void kinds_template_hash(const json_t *tmpl, char out[16])
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	char *text = jdump_sorted(tmpl);
	char digits[16];
	size_t i;

	snprintf(digits, sizeof(digits), "%u", sim_fnv32(text, strlen(text)));
	free(text);
	for (i = 0; digits[i]; i++)
		out[i] = alphabet[(unsigned char)digits[i] % (sizeof(alphabet) - 1)];
	out[i] = '\0';
}
