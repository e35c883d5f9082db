#include "config.h"

#include "restype.h"

#include <stdio.h>
#include <string.h>

#include "kafka.h"
#include "util.h"

#define CORE_FIELDS_POD                                                                            \
	{                                                                                          \
		"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",                       \
		    "spec.serviceAccountName", "status.phase", "status.podIP",                     \
		    "status.nominatedNodeName", NULL                                               \
	}
#define CORE_FIELDS_EVENT                                                                          \
	{                                                                                          \
		"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",          \
		    "involvedObject.uid", "involvedObject.apiVersion",                             \
		    "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",        \
		    "reportingComponent", "source", "type", NULL                                   \
	}

static const struct restype types[K_COUNT] = {
    [K_NAMESPACE] = {K_NAMESPACE,
		     "",
		     "v1",
		     "v1",
		     "namespaces",
		     "namespace",
		     "Namespace",
		     "NamespaceList",
		     {"ns"},
		     false,
		     false,
		     true,
		     false,
		     false,
		     {"status.phase", NULL},
		     "Q3oi5N2YM8M="},
    [K_POD] = {K_POD,
	       "",
	       "v1",
	       "v1",
	       "pods",
	       "pod",
	       "Pod",
	       "PodList",
	       {"po"},
	       true,
	       true,
	       true,
	       false,
	       false,
	       CORE_FIELDS_POD,
	       "xPOwRZ+Yhw8="},
    [K_SERVICE] = {K_SERVICE,
		   "",
		   "v1",
		   "v1",
		   "services",
		   "service",
		   "Service",
		   "ServiceList",
		   {"svc"},
		   true,
		   true,
		   true,
		   false,
		   false,
		   {NULL},
		   "0/CO1lhkEBI="},
    [K_SECRET] = {K_SECRET,
		  "",
		  "v1",
		  "v1",
		  "secrets",
		  "secret",
		  "Secret",
		  "SecretList",
		  {NULL},
		  false,
		  true,
		  false,
		  false,
		  false,
		  {"type", NULL},
		  "S6u1pOWzb84="},
    [K_CONFIGMAP] = {K_CONFIGMAP,
		     "",
		     "v1",
		     "v1",
		     "configmaps",
		     "configmap",
		     "ConfigMap",
		     "ConfigMapList",
		     {"cm"},
		     false,
		     true,
		     false,
		     false,
		     false,
		     {NULL},
		     "qFsyl6wFWjQ="},
    [K_PVC] = {K_PVC,
	       "",
	       "v1",
	       "v1",
	       "persistentvolumeclaims",
	       "persistentvolumeclaim",
	       "PersistentVolumeClaim",
	       "PersistentVolumeClaimList",
	       {"pvc"},
	       false,
	       true,
	       true,
	       false,
	       false,
	       {NULL},
	       "QWTyNDq0dC4="},
    [K_QUOTA] = {K_QUOTA,
		 "",
		 "v1",
		 "v1",
		 "resourcequotas",
		 "resourcequota",
		 "ResourceQuota",
		 "ResourceQuotaList",
		 {"quota"},
		 false,
		 true,
		 true,
		 false,
		 false,
		 {NULL},
		 "8uhSgffRX6w="},
    [K_EVENT] = {K_EVENT,
		 "",
		 "v1",
		 "v1",
		 "events",
		 "event",
		 "Event",
		 "EventList",
		 {"ev"},
		 false,
		 true,
		 false,
		 false,
		 false,
		 CORE_FIELDS_EVENT,
		 "r2yiGXH7wu8="},
    [K_DEPLOYMENT] = {K_DEPLOYMENT,
		      "apps",
		      "v1",
		      "apps/v1",
		      "deployments",
		      "deployment",
		      "Deployment",
		      "DeploymentList",
		      {"deploy"},
		      true,
		      true,
		      true,
		      true,
		      true,
		      {NULL},
		      "8aSe+NMegvE="},
    [K_STATEFULSET] = {K_STATEFULSET,
		       "apps",
		       "v1",
		       "apps/v1",
		       "statefulsets",
		       "statefulset",
		       "StatefulSet",
		       "StatefulSetList",
		       {"sts"},
		       true,
		       true,
		       true,
		       true,
		       true,
		       {NULL},
		       "H+vl74LkKdo="},
    [K_REPLICASET] = {K_REPLICASET,
		      "apps",
		      "v1",
		      "apps/v1",
		      "replicasets",
		      "replicaset",
		      "ReplicaSet",
		      "ReplicaSetList",
		      {"rs"},
		      true,
		      true,
		      true,
		      true,
		      true,
		      {"status.replicas", NULL},
		      "P1RzHs8/mWQ="},
    [K_INGRESS] = {K_INGRESS,
		   "networking.k8s.io",
		   "v1",
		   "networking.k8s.io/v1",
		   "ingresses",
		   "ingress",
		   "Ingress",
		   "IngressList",
		   {"ing"},
		   false,
		   true,
		   true,
		   false,
		   true,
		   {NULL},
		   "ZOAfGflaKd0="},
    [K_NETPOL] = {K_NETPOL,
		  "networking.k8s.io",
		  "v1",
		  "networking.k8s.io/v1",
		  "networkpolicies",
		  "networkpolicy",
		  "NetworkPolicy",
		  "NetworkPolicyList",
		  {"netpol"},
		  false,
		  true,
		  false,
		  false,
		  true,
		  {NULL},
		  "YpfwF18m1G8="},
    [K_KAFKATOPIC] = {K_KAFKATOPIC,
		      "kafka.strimzi.io",
		      "v1beta2",
		      "kafka.strimzi.io/v1beta2",
		      "kafkatopics",
		      "kafkatopic",
		      "KafkaTopic",
		      "KafkaTopicList",
		      {"kt"},
		      false,
		      true,
		      true,
		      false,
		      true,
		      {NULL},
		      NULL},
    [K_JOB] = {K_JOB,
	       "batch",
	       "v1",
	       "batch/v1",
	       "jobs",
	       "job",
	       "Job",
	       "JobList",
	       {NULL},
	       true,
	       true,
	       true,
	       false,
	       true,
	       {"status.successful", NULL},
	       "mudhfqk/qZY="},
};

/* Endpoints that store nothing: a POST is answered at once (review.c). They
 * are in discovery, as on a real server, so clients find them there. */
static const struct {
	const char *group, *version, *plural, *singular, *kind;
} reviews[] = {
    {"authentication.k8s.io", "v1", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview"},
    {"authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview",
     "SelfSubjectAccessReview"},
    {"authorization.k8s.io", "v1", "selfsubjectrulesreviews", "selfsubjectrulesreview",
     "SelfSubjectRulesReview"},
};

bool restype_is_review(const char *group, const char *version, const char *plural)
{
	for (size_t i = 0; i < ARRAY_LEN(reviews); i++) {
		if (str_eq(reviews[i].group, group) && str_eq(reviews[i].version, version) &&
		    str_eq(reviews[i].plural, plural))
			return true;
	}
	return false;
}

const struct restype *restype_get(enum kind_id id)
{
	if (id == K_KAFKATOPIC)
		return kafka_topic_type(&types[id]);
	return (unsigned)id < K_COUNT ? &types[id] : NULL;
}

const struct restype *restype_other(void)
{
	return kafka_topic_other(&types[K_KAFKATOPIC]);
}

const struct restype *restype_find(const char *group, const char *version, const char *plural)
{
	const struct restype *o = kafka_topic_other(&types[K_KAFKATOPIC]);

	for (size_t i = 0; i < K_COUNT; i++) {
		const struct restype *t = restype_get((enum kind_id)i);

		if (str_eq(t->group, group) && str_eq(t->version, version) &&
		    str_eq(t->plural, plural))
			return t;
	}
	if (o && str_eq(o->group, group) && str_eq(o->version, version) &&
	    str_eq(o->plural, plural))
		return o;
	return NULL;
}

const struct restype *restype_by_kind(const char *api_version, const char *kind)
{
	const struct restype *o = kafka_topic_other(&types[K_KAFKATOPIC]);

	if (!api_version || !kind)
		return NULL;
	for (size_t i = 0; i < K_COUNT; i++) {
		const struct restype *t = restype_get((enum kind_id)i);

		if (str_eq(t->api_version, api_version) && str_eq(t->kind, kind))
			return t;
	}
	if (o && str_eq(o->api_version, api_version) && str_eq(o->kind, kind))
		return o;
	return NULL;
}

bool restype_field_ok(const struct restype *rt, const char *field)
{
	if (str_eq(field, "metadata.name") ||
	    (rt->namespaced && str_eq(field, "metadata.namespace")))
		return true;
	for (size_t i = 0; i < ARRAY_LEN(rt->fields) && rt->fields[i]; i++) {
		if (str_eq(rt->fields[i], field))
			return true;
	}
	return false;
}

const char *restype_qualified(const struct restype *rt, char *buf, size_t n)
{
	if (rt->group[0])
		snprintf(buf, n, "%s.%s", rt->plural, rt->group);
	else
		snprintf(buf, n, "%s", rt->plural);
	return buf;
}

json_t *restype_api_versions(void)
{
	return json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions", "v1",
			 "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress",
			 "127.0.0.1:6443");
}

/* Appends group's entry unless groups already has it; version is the
 * preferred one, other (if not NULL) served too. */
static void add_group(json_t *groups, const char *group, const char *version, const char *other)
{
	json_t *g;
	size_t i;
	char gv[128], ogv[128];

	json_array_foreach(groups, i, g)
	{
		if (str_eq(json_string_value(json_object_get(g, "name")), group))
			return;
	}
	snprintf(gv, sizeof(gv), "%s/%s", group, version);
	g = json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "name", group, "versions",
		      "groupVersion", gv, "version", version, "preferredVersion", "groupVersion",
		      gv, "version", version);
	if (other) {
		snprintf(ogv, sizeof(ogv), "%s/%s", group, other);
		json_array_append_new(
		    json_object_get(g, "versions"),
		    json_pack("{s:s, s:s}", "groupVersion", ogv, "version", other));
	}
	json_array_append_new(groups, g);
}

json_t *restype_group_list(void)
{
	json_t *groups = json_array();

	for (size_t i = 0; i < K_COUNT; i++) {
		const struct restype *o =
		    i == K_KAFKATOPIC ? kafka_topic_other(&types[K_KAFKATOPIC]) : NULL;

		if (types[i].group[0])
			add_group(groups, types[i].group, restype_get((enum kind_id)i)->version,
				  o ? o->version : NULL);
	}
	for (size_t i = 0; i < ARRAY_LEN(reviews); i++)
		add_group(groups, reviews[i].group, reviews[i].version, NULL);
	return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups",
			 groups);
}

static json_t *verbs_all(bool collection_delete)
{
	json_t *v = json_pack("[s,s]", "create", "delete");

	if (collection_delete)
		json_array_append_new(v, json_string("deletecollection"));
	for (const char *const *p =
		 (const char *const[]){"get", "list", "patch", "update", "watch", NULL};
	     *p; p++)
		json_array_append_new(v, json_string(*p));
	return v;
}

static json_t *sub_entry(const char *name, bool namespaced, const char *kind, json_t *verbs)
{
	return json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "singularName", "",
			 "namespaced", namespaced, "kind", kind, "verbs", verbs);
}

json_t *restype_resource_list(const char *group, const char *version)
{
	json_t *res = json_array();
	bool any = false;
	char gv[128], sub[96];

	/* every type, then the other KafkaTopic version when both are served */
	for (size_t i = 0; i <= K_COUNT; i++) {
		const struct restype *rt = i < K_COUNT ? restype_get((enum kind_id)i)
						       : kafka_topic_other(&types[K_KAFKATOPIC]);
		json_t *e, *sn;

		if (!rt || !str_eq(rt->group, group) || !str_eq(rt->version, version))
			continue;
		any = true;
		e = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", rt->plural, "singularName",
			      rt->singular, "namespaced", rt->namespaced, "kind", rt->kind, "verbs",
			      verbs_all(rt->id != K_NAMESPACE));
		sn = json_array();
		for (size_t j = 0; j < ARRAY_LEN(rt->short_names) && rt->short_names[j]; j++)
			json_array_append_new(sn, json_string(rt->short_names[j]));
		if (json_array_size(sn))
			json_object_set_new(e, "shortNames", sn);
		else
			json_decref(sn);
		if (rt->in_all)
			json_object_set_new(e, "categories", json_pack("[s]", "all"));
		if (rt->storage_hash)
			json_object_set_new(e, "storageVersionHash", json_string(rt->storage_hash));
		json_array_append_new(res, e);
		if (rt->id == K_POD) {
			json_array_append_new(
			    res, sub_entry("pods/log", true, "Pod", json_pack("[s]", "get")));
		}
		if (rt->has_scale) {
			snprintf(sub, sizeof(sub), "%s/scale", rt->plural);
			e = sub_entry(sub, true, "Scale",
				      json_pack("[s,s,s]", "get", "patch", "update"));
			json_object_set_new(e, "group", json_string("autoscaling"));
			json_object_set_new(e, "version", json_string("v1"));
			json_array_append_new(res, e);
		}
		if (rt->id == K_NAMESPACE)
			json_array_append_new(res,
					      sub_entry("namespaces/finalize", false, "Namespace",
							json_pack("[s]", "update")));
		if (rt->has_status) {
			snprintf(sub, sizeof(sub), "%s/status", rt->plural);
			json_array_append_new(
			    res, sub_entry(sub, rt->namespaced, rt->kind,
					   json_pack("[s,s,s]", "get", "patch", "update")));
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(reviews); i++) {
		if (!str_eq(reviews[i].group, group) || !str_eq(reviews[i].version, version))
			continue;
		any = true;
		json_array_append_new(res, json_pack("{s:s, s:s, s:b, s:s, s:[s]}", "name",
						     reviews[i].plural, "singularName",
						     reviews[i].singular, "namespaced", false,
						     "kind", reviews[i].kind, "verbs", "create"));
	}
	if (!any) {
		json_decref(res);
		return NULL;
	}
	if (group[0])
		snprintf(gv, sizeof(gv), "%s/%s", group, version);
	else
		snprintf(gv, sizeof(gv), "%s", version);
	return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
			 "groupVersion", gv, "resources", res);
}
