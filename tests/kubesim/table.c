#include "config.h"

#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jutil.h"
#include "sim.h"

struct col {
	const char *name, *type, *format;
	int priority;
};

#define NAME_COL                                                                                   \
	{                                                                                          \
		"Name", "string", "name", 0                                                        \
	}
#define AGE_COL                                                                                    \
	{                                                                                          \
		"Age", "string", "", 0                                                             \
	}
#define END_COL                                                                                    \
	{                                                                                          \
		NULL, NULL, NULL, 0                                                                \
	}

static const struct col cols[K_COUNT][11] = {
    [K_NAMESPACE] = {NAME_COL, {"Status", "string", "", 0}, AGE_COL, END_COL},
    [K_POD] = {NAME_COL,
	       {"Ready", "string", "", 0},
	       {"Status", "string", "", 0},
	       {"Restarts", "string", "", 0},
	       AGE_COL,
	       {"IP", "string", "", 1},
	       {"Node", "string", "", 1},
	       {"Nominated Node", "string", "", 1},
	       {"Readiness Gates", "string", "", 1},
	       END_COL},
    [K_SERVICE] = {NAME_COL,
		   {"Type", "string", "", 0},
		   {"Cluster-IP", "string", "", 0},
		   {"External-IP", "string", "", 0},
		   {"Port(s)", "string", "", 0},
		   AGE_COL,
		   {"Selector", "string", "", 1},
		   END_COL},
    [K_SECRET] = {NAME_COL, {"Type", "string", "", 0}, {"Data", "string", "", 0}, AGE_COL, END_COL},
    [K_CONFIGMAP] = {NAME_COL, {"Data", "string", "", 0}, AGE_COL, END_COL},
    [K_PVC] = {NAME_COL,
	       {"Status", "string", "", 0},
	       {"Volume", "string", "", 0},
	       {"Capacity", "string", "", 0},
	       {"Access Modes", "string", "", 0},
	       {"StorageClass", "string", "", 0},
	       {"VolumeAttributesClass", "string", "", 0},
	       AGE_COL,
	       {"VolumeMode", "string", "", 1},
	       END_COL},
    [K_QUOTA] =
	{NAME_COL, AGE_COL, {"Request", "string", "", 0}, {"Limit", "string", "", 0}, END_COL},
    [K_EVENT] = {{"Last Seen", "string", "", 0},
		 {"Type", "string", "", 0},
		 {"Reason", "string", "", 0},
		 {"Object", "string", "", 0},
		 {"Subobject", "string", "", 1},
		 {"Source", "string", "", 1},
		 {"Message", "string", "", 0},
		 {"First Seen", "string", "", 1},
		 {"Count", "string", "", 1},
		 {"Name", "string", "", 1},
		 END_COL},
    [K_DEPLOYMENT] = {NAME_COL,
		      {"Ready", "string", "", 0},
		      {"Up-to-date", "integer", "", 0},
		      {"Available", "integer", "", 0},
		      AGE_COL,
		      {"Containers", "string", "", 1},
		      {"Images", "string", "", 1},
		      {"Selector", "string", "", 1},
		      END_COL},
    [K_STATEFULSET] = {NAME_COL,
		       {"Ready", "string", "", 0},
		       AGE_COL,
		       {"Containers", "string", "", 1},
		       {"Images", "string", "", 1},
		       END_COL},
    [K_REPLICASET] = {NAME_COL,
		      {"Desired", "integer", "", 0},
		      {"Current", "integer", "", 0},
		      {"Ready", "integer", "", 0},
		      AGE_COL,
		      {"Containers", "string", "", 1},
		      {"Images", "string", "", 1},
		      {"Selector", "string", "", 1},
		      END_COL},
    [K_INGRESS] = {NAME_COL,
		   {"Class", "string", "", 0},
		   {"Hosts", "string", "", 0},
		   {"Address", "string", "", 0},
		   {"Ports", "string", "", 0},
		   AGE_COL,
		   END_COL},
    [K_NETPOL] = {NAME_COL, {"Pod-Selector", "string", "", 0}, AGE_COL, END_COL},
    [K_KAFKATOPIC] = {NAME_COL,
		      {"Cluster", "string", "", 0},
		      {"Partitions", "integer", "", 0},
		      {"Replication factor", "integer", "", 0},
		      {"Ready", "string", "", 0},
		      END_COL},
    [K_JOB] = {NAME_COL,
	       {"Status", "string", "", 0},
	       {"Completions", "string", "", 0},
	       {"Duration", "string", "", 0},
	       AGE_COL,
	       {"Containers", "string", "", 1},
	       {"Images", "string", "", 1},
	       {"Selector", "string", "", 1},
	       END_COL},
};

void table_age(int64_t ms, char *out, size_t n)
{
	long long secs = ms / 1000, mins, hours;

	if (ms < -1000) {
		snprintf(out, n, "<invalid>");
		return;
	}
	if (secs < 0)
		secs = 0;
	if (secs < 120) {
		snprintf(out, n, "%llds", secs);
		return;
	}
	mins = secs / 60;
	if (mins < 10) {
		if (secs % 60)
			snprintf(out, n, "%lldm%llds", mins, secs % 60);
		else
			snprintf(out, n, "%lldm", mins);
		return;
	}
	if (mins < 180) {
		snprintf(out, n, "%lldm", mins);
		return;
	}
	hours = mins / 60;
	if (hours < 8) {
		if (mins % 60)
			snprintf(out, n, "%lldh%lldm", hours, mins % 60);
		else
			snprintf(out, n, "%lldh", hours);
	} else if (hours < 48) {
		snprintf(out, n, "%lldh", hours);
	} else if (hours < 24 * 8) {
		if (hours % 24)
			snprintf(out, n, "%lldd%lldh", hours / 24, hours % 24);
		else
			snprintf(out, n, "%lldd", hours / 24);
	} else if (hours < 24 * 365 * 2) {
		snprintf(out, n, "%lldd", hours / 24);
	} else {
		snprintf(out, n, "%lldy", hours / 24 / 365);
	}
}

static json_t *age_of(const json_t *doc, const char *path, int64_t now_ms)
{
	const char *ts = jstr(doc, path, NULL);
	int64_t ns;
	char out[32];

	if (!ts || !sim_parse_time(ts, &ns))
		return json_string("<unknown>");
	table_age(now_ms - ns / 1000000, out, sizeof(out));
	return json_string(out);
}

static json_t *str_or(const char *s, const char *dflt)
{
	return json_string(s && *s ? s : dflt);
}

static json_t *containers_cell(const json_t *spec, bool images)
{
	struct buf b = BUF_INIT;
	json_t *c;
	size_t i;
	char *s;
	json_t *out;

	json_array_foreach(json_object_get(spec, "containers"), i, c)
	    buf_printf(&b, "%s%s", i ? "," : "", jstr(c, images ? "image" : "name", ""));
	s = buf_steal(&b);
	out = json_string(s);
	free(s);
	return out;
}

static json_t *selector_cell(const json_t *labels)
{
	char *s = jlabels_string(labels);
	json_t *out = str_or(s, "<none>");

	free(s);
	return out;
}

static void pod_cells(json_t *cells, const json_t *doc, int64_t now_ms)
{
	json_t *cs = jpath(doc, "status.containerStatuses"), *c;
	const char *reason = jstr(doc, "status.reason", NULL);
	size_t i, total = json_array_size(jpath(doc, "spec.containers")), ready = 0;
	long long restarts = 0;
	int64_t last_term = 0;
	char buf[64];

	if (!reason)
		reason = jstr(doc, "status.phase", "Unknown");
	for (i = json_array_size(cs); i-- > 0;) {
		const char *w;
		int64_t ns;

		c = json_array_get(cs, i);
		restarts += jint(c, "restartCount", 0);
		if (jstr(c, "lastState.terminated.finishedAt", NULL) &&
		    sim_parse_time(jstr(c, "lastState.terminated.finishedAt", ""), &ns) &&
		    ns / 1000000 > last_term)
			last_term = ns / 1000000;
		w = jstr(c, "state.waiting.reason", NULL);
		if (w && *w) {
			reason = w;
		} else if (jpath(c, "state.terminated")) {
			reason = jstr(c, "state.terminated.reason", "Error");
		} else if (jpath(c, "state.running") && jbool(c, "ready", false)) {
			ready++;
		}
	}
	if (jpath(doc, "metadata.deletionTimestamp"))
		reason = "Terminating";
	snprintf(buf, sizeof(buf), "%zu/%zu", ready, total);
	json_array_append_new(cells, json_string(buf));
	json_array_append_new(cells, json_string(reason));
	if (restarts && last_term) {
		char age[32];

		table_age(now_ms - last_term, age, sizeof(age));
		snprintf(buf, sizeof(buf), "%lld (%s ago)", restarts, age);
		json_array_append_new(cells, json_string(buf));
	} else {
		json_array_append_new(cells, json_integer(restarts));
	}
	json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
	json_array_append_new(cells, str_or(jstr(doc, "status.podIP", NULL), "<none>"));
	json_array_append_new(cells, str_or(jstr(doc, "spec.nodeName", NULL), "<none>"));
	json_array_append_new(cells, str_or(jstr(doc, "status.nominatedNodeName", NULL), "<none>"));
	json_array_append_new(cells, json_string("<none>"));
}

/* EXTERNAL-IP as kubectl's printer gives it: the alias of an ExternalName,
 * a load balancer's addresses (<pending> until it has one), else the
 * external IPs. */
static json_t *service_external(const json_t *doc)
{
	const char *type = jstr(doc, "spec.type", "ClusterIP");
	struct buf b = BUF_INIT;
	json_t *x, *out;
	size_t i;
	char *s;

	if (str_eq(type, "ExternalName"))
		return str_or(jstr(doc, "spec.externalName", NULL), "<none>");
	json_array_foreach(jpath(doc, "status.loadBalancer.ingress"), i, x)
	    buf_printf(&b, "%s%s", i ? "," : "", jstr(x, "ip", jstr(x, "hostname", "")));
	json_array_foreach(jpath(doc, "spec.externalIPs"), i, x) buf_printf(
	    &b, "%s%s", b.len ? "," : "", json_is_string(x) ? json_string_value(x) : "");
	s = buf_steal(&b);
	out = str_or(s, str_eq(type, "LoadBalancer") ? "<pending>" : "<none>");
	free(s);
	return out;
}

/* A Job's status as kubectl's printer words it, its completions and how
 * long it has run (or ran). */
static void job_cells(json_t *cells, const json_t *doc, int64_t now_ms)
{
	const char *status = jbool(doc, "spec.suspend", false) ? "Suspended" : "Running";
	const char *start = jstr(doc, "status.startTime", NULL);
	const char *end = jstr(doc, "status.completionTime", NULL);
	int64_t start_ns, end_ns;
	json_t *c;
	size_t i;
	char buf[64];

	json_array_foreach(jpath(doc, "status.conditions"), i, c)
	{
		if (!str_eq(jstr(c, "status", ""), "True"))
			continue;
		if (str_eq(jstr(c, "type", ""), "Complete"))
			status = "Complete";
		else if (str_eq(jstr(c, "type", ""), "Failed"))
			status = "Failed";
	}
	json_array_append_new(cells, json_string(status));
	snprintf(buf, sizeof(buf), "%lld/%lld", jint(doc, "status.succeeded", 0),
		 jint(doc, "spec.completions", 1));
	json_array_append_new(cells, json_string(buf));
	buf[0] = '\0';
	if (start && sim_parse_time(start, &start_ns)) {
		if (!end || !sim_parse_time(end, &end_ns))
			end_ns = now_ms * 1000000;
		table_age((end_ns - start_ns) / 1000000, buf, sizeof(buf));
	}
	json_array_append_new(cells, json_string(buf));
	json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
	json_array_append_new(cells, containers_cell(jpath(doc, "spec.template.spec"), false));
	json_array_append_new(cells, containers_cell(jpath(doc, "spec.template.spec"), true));
	json_array_append_new(cells, selector_cell(jpath(doc, "spec.selector.matchLabels")));
}

static json_t *quota_cell(const json_t *doc, bool limits)
{
	json_t *hard = jpath(doc, "status.hard"), *v;
	struct buf b = BUF_INIT;
	const char *k;
	char *s;
	json_t *out;

	if (!hard)
		hard = jpath(doc, "spec.hard");
	json_object_foreach(hard, k, v)
	{
		bool is_limit = str_has_prefix(k, "limits.");

		if (is_limit != limits)
			continue;
		buf_printf(&b, "%s%s: %s/%s", b.len ? ", " : "", k,
			   json_string_value(json_object_get(jpath(doc, "status.used"), k))
			       ? json_string_value(json_object_get(jpath(doc, "status.used"), k))
			       : "0",
			   json_is_string(v) ? json_string_value(v) : "");
	}
	s = buf_steal(&b);
	out = json_string(s);
	free(s);
	return out;
}

static json_t *row_cells(const struct restype *rt, const json_t *doc, int64_t now_ms)
{
	json_t *cells = json_array(), *v, *x;
	const char *name = jstr(doc, "metadata.name", "");
	struct buf b = BUF_INIT;
	char buf[96], *s;
	size_t i;

	if (rt->id != K_EVENT)
		json_array_append_new(cells, json_string(name));
	switch (rt->id) {
	case K_NAMESPACE:
		json_array_append_new(cells, json_string(jstr(doc, "status.phase", "Active")));
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		break;
	case K_POD:
		pod_cells(cells, doc, now_ms);
		break;
	case K_SERVICE:
		json_array_append_new(cells, json_string(jstr(doc, "spec.type", "ClusterIP")));
		json_array_append_new(cells, str_or(jstr(doc, "spec.clusterIP", NULL), "<none>"));
		json_array_append_new(cells, service_external(doc));
		json_array_foreach(jpath(doc, "spec.ports"), i, x)
		{
			buf_printf(&b, "%s%lld", i ? "," : "", jint(x, "port", 0));
			if (jint(x, "nodePort", 0))
				buf_printf(&b, ":%lld", jint(x, "nodePort", 0));
			buf_printf(&b, "/%s", jstr(x, "protocol", "TCP"));
		}
		s = buf_steal(&b);
		json_array_append_new(cells, str_or(s, "<none>"));
		free(s);
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		json_array_append_new(cells, selector_cell(jpath(doc, "spec.selector")));
		break;
	case K_SECRET:
		json_array_append_new(cells, json_string(jstr(doc, "type", "Opaque")));
		json_array_append_new(cells, json_integer((json_int_t)json_object_size(
						 json_object_get(doc, "data"))));
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		break;
	case K_CONFIGMAP:
		json_array_append_new(
		    cells, json_integer(
			       (json_int_t)(json_object_size(json_object_get(doc, "data")) +
					    json_object_size(json_object_get(doc, "binaryData")))));
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		break;
	case K_PVC: {
		bool bound = str_eq(jstr(doc, "status.phase", ""), "Bound");

		json_array_append_new(cells, json_string(jstr(doc, "status.phase", "Pending")));
		json_array_append_new(cells, json_string(jstr(doc, "spec.volumeName", "")));
		json_array_append_new(
		    cells, json_string(bound ? jstr(doc, "status.capacity.storage", "") : ""));
		json_array_foreach(jpath(doc, "status.accessModes"), i, x)
		{
			const char *m = json_string_value(x) ? json_string_value(x) : "";

			buf_printf(&b, "%s%s", i ? "," : "",
				   str_eq(m, "ReadWriteOnce")	   ? "RWO"
				   : str_eq(m, "ReadOnlyMany")	   ? "ROX"
				   : str_eq(m, "ReadWriteMany")	   ? "RWX"
				   : str_eq(m, "ReadWriteOncePod") ? "RWOP"
								   : m);
		}
		s = buf_steal(&b);
		json_array_append_new(cells, json_string(s));
		free(s);
		json_array_append_new(cells, json_string(jstr(doc, "spec.storageClassName", "")));
		json_array_append_new(cells, json_string("<unset>"));
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		json_array_append_new(cells,
				      json_string(jstr(doc, "spec.volumeMode", "Filesystem")));
		break;
	}
	case K_QUOTA:
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		json_array_append_new(cells, quota_cell(doc, false));
		json_array_append_new(cells, quota_cell(doc, true));
		break;
	case K_EVENT:
		json_array_append_new(cells, age_of(doc, "lastTimestamp", now_ms));
		json_array_append_new(cells, json_string(jstr(doc, "type", "Normal")));
		json_array_append_new(cells, json_string(jstr(doc, "reason", "")));
		snprintf(buf, sizeof(buf), "%s/%s", jstr(doc, "involvedObject.kind", ""),
			 jstr(doc, "involvedObject.name", ""));
		for (char *p = buf; *p && *p != '/'; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		json_array_append_new(cells, json_string(buf));
		json_array_append_new(cells,
				      json_string(jstr(doc, "involvedObject.fieldPath", "")));
		json_array_append_new(cells, json_string(jstr(doc, "source.component", "")));
		json_array_append_new(cells, json_string(jstr(doc, "message", "")));
		json_array_append_new(cells, age_of(doc, "firstTimestamp", now_ms));
		json_array_append_new(cells, json_integer(jint(doc, "count", 1)));
		json_array_append_new(cells, json_string(name));
		break;
	case K_DEPLOYMENT:
		snprintf(buf, sizeof(buf), "%lld/%lld", jint(doc, "status.readyReplicas", 0),
			 jint(doc, "spec.replicas", 1));
		json_array_append_new(cells, json_string(buf));
		json_array_append_new(cells, json_integer(jint(doc, "status.updatedReplicas", 0)));
		json_array_append_new(cells,
				      json_integer(jint(doc, "status.availableReplicas", 0)));
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		json_array_append_new(cells,
				      containers_cell(jpath(doc, "spec.template.spec"), false));
		json_array_append_new(cells,
				      containers_cell(jpath(doc, "spec.template.spec"), true));
		json_array_append_new(cells,
				      selector_cell(jpath(doc, "spec.selector.matchLabels")));
		break;
	case K_STATEFULSET:
		snprintf(buf, sizeof(buf), "%lld/%lld", jint(doc, "status.readyReplicas", 0),
			 jint(doc, "spec.replicas", 1));
		json_array_append_new(cells, json_string(buf));
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		json_array_append_new(cells,
				      containers_cell(jpath(doc, "spec.template.spec"), false));
		json_array_append_new(cells,
				      containers_cell(jpath(doc, "spec.template.spec"), true));
		break;
	case K_REPLICASET:
		json_array_append_new(cells, json_integer(jint(doc, "spec.replicas", 1)));
		json_array_append_new(cells, json_integer(jint(doc, "status.replicas", 0)));
		json_array_append_new(cells, json_integer(jint(doc, "status.readyReplicas", 0)));
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		json_array_append_new(cells,
				      containers_cell(jpath(doc, "spec.template.spec"), false));
		json_array_append_new(cells,
				      containers_cell(jpath(doc, "spec.template.spec"), true));
		json_array_append_new(cells,
				      selector_cell(jpath(doc, "spec.selector.matchLabels")));
		break;
	case K_INGRESS: {
		bool tls = json_array_size(jpath(doc, "spec.tls")) > 0;

		json_array_append_new(cells,
				      str_or(jstr(doc, "spec.ingressClassName", NULL), "<none>"));
		json_array_foreach(jpath(doc, "spec.rules"), i, x)
		    buf_printf(&b, "%s%s", i ? "," : "", jstr(x, "host", "*"));
		s = buf_steal(&b);
		json_array_append_new(cells, str_or(s, "*"));
		free(s);
		v = json_array_get(jpath(doc, "status.loadBalancer.ingress"), 0);
		json_array_append_new(cells, json_string(jstr(v, "ip", jstr(v, "hostname", ""))));
		json_array_append_new(cells, json_string(tls ? "80, 443" : "80"));
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		break;
	}
	case K_NETPOL:
		v = jpath(doc, "spec.podSelector.matchLabels");
		s = jlabels_string(v);
		json_array_append_new(cells, str_or(s, "<none>"));
		free(s);
		json_array_append_new(cells, age_of(doc, "metadata.creationTimestamp", now_ms));
		break;
	case K_KAFKATOPIC: {
		const char *ready = "";

		v = jpath(doc, "metadata.labels");
		x = json_object_get(v, "strimzi.io/cluster");
		json_array_append_new(cells,
				      json_string(json_is_string(x) ? json_string_value(x) : ""));
		json_array_append_new(cells, json_integer(jint(doc, "spec.partitions", 1)));
		json_array_append_new(cells, json_integer(jint(doc, "spec.replicas", 1)));
		json_array_foreach(jpath(doc, "status.conditions"), i, x)
		{
			if (str_eq(jstr(x, "type", ""), "Ready"))
				ready = jstr(x, "status", "");
		}
		json_array_append_new(cells, json_string(ready));
		break;
	}
	case K_JOB:
		job_cells(cells, doc, now_ms);
		break;
	case K_COUNT:
		break;
	}
	return cells;
}

static json_t *columns(const struct restype *rt)
{
	json_t *defs = json_array();

	for (const struct col *c = cols[rt->id]; c->name; c++) {
		char desc[128];

		if (str_eq(c->name, "Name"))
			snprintf(desc, sizeof(desc), "Name must be unique within a namespace.");
		else if (str_eq(c->name, "Age"))
			snprintf(desc, sizeof(desc),
				 "CreationTimestamp is a timestamp representing "
				 "the server time when this object was created.");
		else
			snprintf(desc, sizeof(desc), "%s of the %s.", c->name, rt->singular);
		json_array_append_new(defs,
				      json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name,
						"type", c->type, "format", c->format, "description",
						desc, "priority", c->priority));
	}
	return defs;
}

json_t *table_partial(const json_t *doc)
{
	json_t *meta = json_deep_copy(jpath(doc, "metadata"));

	return json_pack("{s:s, s:s, s:o}", "kind", "PartialObjectMetadata", "apiVersion",
			 "meta.k8s.io/v1", "metadata", meta ? meta : json_object());
}

static json_t *row(const struct restype *rt, const json_t *doc, const char *include, int64_t now_ms)
{
	json_t *r = json_pack("{s:o}", "cells", row_cells(rt, doc, now_ms));

	if (include && str_eq(include, "None"))
		return r;
	if (include && str_eq(include, "Object"))
		json_object_set(r, "object", (json_t *)doc);
	else
		json_object_set_new(r, "object", table_partial(doc));
	return r;
}

json_t *table_render(const struct restype *rt, struct obj *const *objs, size_t n,
		     const char *include, const char *table_version, int64_t now_ms)
{
	json_t *rows = json_array();
	char av[32];

	snprintf(av, sizeof(av), "meta.k8s.io/%s", table_version ? table_version : "v1");
	for (size_t i = 0; i < n; i++)
		json_array_append_new(rows, row(rt, objs[i]->doc, include, now_ms));
	return json_pack("{s:s, s:s, s:{}, s:o, s:o}", "kind", "Table", "apiVersion", av,
			 "metadata", "columnDefinitions", columns(rt), "rows", rows);
}

json_t *table_of_doc(const struct restype *rt, const json_t *doc, const char *include,
		     const char *table_version, int64_t now_ms, int with_columns)
{
	char av[32];
	json_t *t;

	snprintf(av, sizeof(av), "meta.k8s.io/%s", table_version ? table_version : "v1");
	t = json_pack("{s:s, s:s, s:{s:s}, s:o, s:[o]}", "kind", "Table", "apiVersion", av,
		      "metadata", "resourceVersion", jstr(doc, "metadata.resourceVersion", ""),
		      "columnDefinitions", with_columns ? columns(rt) : json_array(), "rows",
		      row(rt, doc, include, now_ms));
	return t;
}
