#include "config.h"

#include "pbobj.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kinds.h"
#include "pbuf.h"

/* How one field of a message becomes a JSON member. Go's JSON encoder
 * leaves out empty strings, plain zero numbers and false (omitempty), but
 * writes every field held by a pointer that is set, and every struct; the
 * protobuf encoder sends every plain field and every set pointer. So
 * "whenever sent" for pointers and structs, "unless zero" for plain fields
 * gives what the same object sent as JSON holds. */
enum pb_kind {
	PK_STR,	      /* string, left out when empty */
	PK_NAME,      /* string written even when empty (no omitempty) */
	PK_INT,	      /* int32/int64: a pointer or a required field */
	PK_INT_NZ,    /* plain int with omitempty: left out when 0 */
	PK_BOOL,      /* *bool */
	PK_BOOL_NZ,   /* plain bool: left out when false */
	PK_STRS,      /* repeated string */
	PK_MAP,	      /* map<string,string> */
	PK_BYTES_MAP, /* map<string,bytes>: values in base64 */
	PK_QTY_MAP,   /* map<string,Quantity> */
	PK_MSG,	      /* a message: an object */
	PK_MSGS,      /* repeated message: an array of objects */
	PK_INLINE,    /* an embedded struct: its fields sit in the parent */
	PK_INTSTR,    /* *IntOrString */
	PK_INTSTR_NZ, /* plain IntOrString: left out when it is the integer 0 */
	PK_SKIP,      /* the server's to set: skipped whatever it holds */
	PK_UNREAD     /* not read: named when it holds anything (see read_into) */
};

struct pb_spec {
	uint32_t num; /* 0 ends a list */
	enum pb_kind kind;
	const char *name;
	const struct pb_spec *msg; /* PK_MSG, PK_MSGS, PK_INLINE */
};

/* --- the messages read (k8s.io/api generated.proto field numbers) --- */

static const struct pb_spec owner_ref[] = {
    {1, PK_NAME, "kind", NULL},	      {3, PK_NAME, "name", NULL},
    {4, PK_NAME, "uid", NULL},	      {5, PK_NAME, "apiVersion", NULL},
    {6, PK_BOOL, "controller", NULL}, {7, PK_BOOL, "blockOwnerDeletion", NULL},
    {0, PK_STR, NULL, NULL}};

/* ObjectMeta; the rest (timestamps, generation, managedFields) is the
 * server's to set. */
static const struct pb_spec object_meta[] = {{1, PK_STR, "name", NULL},
					     {2, PK_STR, "generateName", NULL},
					     {3, PK_STR, "namespace", NULL},
					     {5, PK_STR, "uid", NULL},
					     {6, PK_STR, "resourceVersion", NULL},
					     {11, PK_MAP, "labels", NULL},
					     {12, PK_MAP, "annotations", NULL},
					     {13, PK_MSGS, "ownerReferences", owner_ref},
					     {14, PK_STRS, "finalizers", NULL},
					     {4, PK_SKIP, "selfLink", NULL},
					     {7, PK_SKIP, "generation", NULL},
					     {8, PK_SKIP, "creationTimestamp", NULL},
					     {9, PK_SKIP, "deletionTimestamp", NULL},
					     {10, PK_SKIP, "deletionGracePeriodSeconds", NULL},
					     {17, PK_SKIP, "managedFields", NULL},
					     {0, PK_STR, NULL, NULL}};

static const struct pb_spec selector_req[] = {{1, PK_NAME, "key", NULL},
					      {2, PK_NAME, "operator", NULL},
					      {3, PK_STRS, "values", NULL},
					      {0, PK_STR, NULL, NULL}};

static const struct pb_spec label_selector[] = {{1, PK_MAP, "matchLabels", NULL},
						{2, PK_MSGS, "matchExpressions", selector_req},
						{0, PK_STR, NULL, NULL}};

static const struct pb_spec local_ref[] = {{1, PK_STR, "name", NULL}, {0, PK_STR, NULL, NULL}};

static const struct pb_spec key_ref[] = {{1, PK_INLINE, NULL, local_ref},
					 {2, PK_NAME, "key", NULL},
					 {3, PK_BOOL, "optional", NULL},
					 {0, PK_STR, NULL, NULL}};

static const struct pb_spec field_ref[] = {
    {1, PK_STR, "apiVersion", NULL}, {2, PK_NAME, "fieldPath", NULL}, {0, PK_STR, NULL, NULL}};

static const struct pb_spec env_source[] = {{1, PK_MSG, "fieldRef", field_ref},
					    {3, PK_MSG, "configMapKeyRef", key_ref},
					    {4, PK_MSG, "secretKeyRef", key_ref},
					    {0, PK_STR, NULL, NULL}};

static const struct pb_spec env_var[] = {{1, PK_NAME, "name", NULL},
					 {2, PK_STR, "value", NULL},
					 {3, PK_MSG, "valueFrom", env_source},
					 {0, PK_STR, NULL, NULL}};

static const struct pb_spec env_ref[] = {
    {1, PK_INLINE, NULL, local_ref}, {2, PK_BOOL, "optional", NULL}, {0, PK_STR, NULL, NULL}};

static const struct pb_spec env_from[] = {{1, PK_STR, "prefix", NULL},
					  {2, PK_MSG, "configMapRef", env_ref},
					  {3, PK_MSG, "secretRef", env_ref},
					  {0, PK_STR, NULL, NULL}};

static const struct pb_spec container_port[] = {
    {1, PK_STR, "name", NULL},		{2, PK_INT_NZ, "hostPort", NULL},
    {3, PK_INT, "containerPort", NULL}, {4, PK_STR, "protocol", NULL},
    {5, PK_STR, "hostIP", NULL},	{0, PK_STR, NULL, NULL}};

static const struct pb_spec resources[] = {
    {1, PK_QTY_MAP, "limits", NULL}, {2, PK_QTY_MAP, "requests", NULL}, {0, PK_STR, NULL, NULL}};

static const struct pb_spec volume_mount[] = {{1, PK_NAME, "name", NULL},
					      {2, PK_BOOL_NZ, "readOnly", NULL},
					      {3, PK_NAME, "mountPath", NULL},
					      {4, PK_STR, "subPath", NULL},
					      {5, PK_STR, "mountPropagation", NULL},
					      {6, PK_STR, "subPathExpr", NULL},
					      {0, PK_STR, NULL, NULL}};

static const struct pb_spec container_security[] = {{2, PK_BOOL, "privileged", NULL},
						    {4, PK_INT, "runAsUser", NULL},
						    {5, PK_BOOL, "runAsNonRoot", NULL},
						    {6, PK_BOOL, "readOnlyRootFilesystem", NULL},
						    {7, PK_BOOL, "allowPrivilegeEscalation", NULL},
						    {8, PK_INT, "runAsGroup", NULL},
						    {0, PK_STR, NULL, NULL}};

static const struct pb_spec container[] = {{1, PK_NAME, "name", NULL},
					   {2, PK_STR, "image", NULL},
					   {3, PK_STRS, "command", NULL},
					   {4, PK_STRS, "args", NULL},
					   {5, PK_STR, "workingDir", NULL},
					   {6, PK_MSGS, "ports", container_port},
					   {7, PK_MSGS, "env", env_var},
					   {8, PK_MSG, "resources", resources},
					   {9, PK_MSGS, "volumeMounts", volume_mount},
					   {13, PK_STR, "terminationMessagePath", NULL},
					   {14, PK_STR, "imagePullPolicy", NULL},
					   {15, PK_MSG, "securityContext", container_security},
					   {16, PK_BOOL_NZ, "stdin", NULL},
					   {17, PK_BOOL_NZ, "stdinOnce", NULL},
					   {18, PK_BOOL_NZ, "tty", NULL},
					   {19, PK_MSGS, "envFrom", env_from},
					   {20, PK_STR, "terminationMessagePolicy", NULL},
					   {24, PK_STR, "restartPolicy", NULL},
					   {10, PK_UNREAD, "livenessProbe", NULL},
					   {11, PK_UNREAD, "readinessProbe", NULL},
					   {12, PK_UNREAD, "lifecycle", NULL},
					   {22, PK_UNREAD, "startupProbe", NULL},
					   {0, PK_STR, NULL, NULL}};

static const struct pb_spec pod_security[] = {{2, PK_INT, "runAsUser", NULL},
					      {3, PK_BOOL, "runAsNonRoot", NULL},
					      {5, PK_INT, "fsGroup", NULL},
					      {6, PK_INT, "runAsGroup", NULL},
					      {9, PK_STR, "fsGroupChangePolicy", NULL},
					      {0, PK_STR, NULL, NULL}};

static const struct pb_spec toleration[] = {
    {1, PK_STR, "key", NULL},	 {2, PK_STR, "operator", NULL},		 {3, PK_STR, "value", NULL},
    {4, PK_STR, "effect", NULL}, {5, PK_INT, "tolerationSeconds", NULL}, {0, PK_STR, NULL, NULL}};

static const struct pb_spec pod_spec[] = {{2, PK_MSGS, "containers", container},
					  {3, PK_STR, "restartPolicy", NULL},
					  {4, PK_INT, "terminationGracePeriodSeconds", NULL},
					  {5, PK_INT, "activeDeadlineSeconds", NULL},
					  {6, PK_STR, "dnsPolicy", NULL},
					  {7, PK_MAP, "nodeSelector", NULL},
					  {8, PK_STR, "serviceAccountName", NULL},
					  {9, PK_STR, "serviceAccount", NULL},
					  {10, PK_STR, "nodeName", NULL},
					  {11, PK_BOOL_NZ, "hostNetwork", NULL},
					  {12, PK_BOOL_NZ, "hostPID", NULL},
					  {13, PK_BOOL_NZ, "hostIPC", NULL},
					  {14, PK_MSG, "securityContext", pod_security},
					  {15, PK_MSGS, "imagePullSecrets", local_ref},
					  {16, PK_STR, "hostname", NULL},
					  {17, PK_STR, "subdomain", NULL},
					  {19, PK_STR, "schedulerName", NULL},
					  {20, PK_MSGS, "initContainers", container},
					  {21, PK_BOOL, "automountServiceAccountToken", NULL},
					  {22, PK_MSGS, "tolerations", toleration},
					  {24, PK_STR, "priorityClassName", NULL},
					  {25, PK_INT, "priority", NULL},
					  {27, PK_BOOL, "shareProcessNamespace", NULL},
					  {29, PK_STR, "runtimeClassName", NULL},
					  {30, PK_BOOL, "enableServiceLinks", NULL},
					  {31, PK_STR, "preemptionPolicy", NULL},
					  {35, PK_BOOL, "setHostnameAsFQDN", NULL},
					  {37, PK_BOOL, "hostUsers", NULL},
					  {1, PK_UNREAD, "volumes", NULL},
					  {18, PK_UNREAD, "affinity", NULL},
					  {0, PK_STR, NULL, NULL}};

static const struct pb_spec pod_template[] = {
    {1, PK_MSG, "metadata", object_meta}, {2, PK_MSG, "spec", pod_spec}, {0, PK_STR, NULL, NULL}};

static const struct pb_spec service_port[] = {
    {1, PK_STR, "name", NULL},	      {2, PK_STR, "protocol", NULL},
    {3, PK_INT, "port", NULL},	      {4, PK_INTSTR_NZ, "targetPort", NULL},
    {5, PK_INT_NZ, "nodePort", NULL}, {6, PK_STR, "appProtocol", NULL},
    {0, PK_STR, NULL, NULL}};

static const struct pb_spec service_spec[] = {{1, PK_MSGS, "ports", service_port},
					      {2, PK_MAP, "selector", NULL},
					      {3, PK_STR, "clusterIP", NULL},
					      {4, PK_STR, "type", NULL},
					      {5, PK_STRS, "externalIPs", NULL},
					      {7, PK_STR, "sessionAffinity", NULL},
					      {8, PK_STR, "loadBalancerIP", NULL},
					      {9, PK_STRS, "loadBalancerSourceRanges", NULL},
					      {10, PK_STR, "externalName", NULL},
					      {11, PK_STR, "externalTrafficPolicy", NULL},
					      {12, PK_INT_NZ, "healthCheckNodePort", NULL},
					      {13, PK_BOOL_NZ, "publishNotReadyAddresses", NULL},
					      {17, PK_STR, "ipFamilyPolicy", NULL},
					      {18, PK_STRS, "clusterIPs", NULL},
					      {19, PK_STRS, "ipFamilies", NULL},
					      {20, PK_BOOL, "allocateLoadBalancerNodePorts", NULL},
					      {21, PK_STR, "loadBalancerClass", NULL},
					      {22, PK_STR, "internalTrafficPolicy", NULL},
					      {23, PK_STR, "trafficDistribution", NULL},
					      {0, PK_STR, NULL, NULL}};

static const struct pb_spec rolling_update[] = {{1, PK_INTSTR, "maxUnavailable", NULL},
						{2, PK_INTSTR, "maxSurge", NULL},
						{0, PK_STR, NULL, NULL}};

static const struct pb_spec deploy_strategy[] = {{1, PK_STR, "type", NULL},
						 {2, PK_MSG, "rollingUpdate", rolling_update},
						 {0, PK_STR, NULL, NULL}};

static const struct pb_spec deploy_spec[] = {{1, PK_INT, "replicas", NULL},
					     {2, PK_MSG, "selector", label_selector},
					     {3, PK_MSG, "template", pod_template},
					     {4, PK_MSG, "strategy", deploy_strategy},
					     {5, PK_INT_NZ, "minReadySeconds", NULL},
					     {6, PK_INT, "revisionHistoryLimit", NULL},
					     {7, PK_BOOL_NZ, "paused", NULL},
					     {9, PK_INT, "progressDeadlineSeconds", NULL},
					     {0, PK_STR, NULL, NULL}};

static const struct pb_spec job_spec[] = {{1, PK_INT, "parallelism", NULL},
					  {2, PK_INT, "completions", NULL},
					  {3, PK_INT, "activeDeadlineSeconds", NULL},
					  {4, PK_MSG, "selector", label_selector},
					  {5, PK_BOOL, "manualSelector", NULL},
					  {6, PK_MSG, "template", pod_template},
					  {7, PK_INT, "backoffLimit", NULL},
					  {8, PK_INT, "ttlSecondsAfterFinished", NULL},
					  {9, PK_STR, "completionMode", NULL},
					  {10, PK_BOOL, "suspend", NULL},
					  {12, PK_INT, "backoffLimitPerIndex", NULL},
					  {13, PK_INT, "maxFailedIndexes", NULL},
					  {14, PK_STR, "podReplacementPolicy", NULL},
					  {15, PK_STR, "managedBy", NULL},
					  {11, PK_UNREAD, "podFailurePolicy", NULL},
					  {16, PK_UNREAD, "successPolicy", NULL},
					  {0, PK_STR, NULL, NULL}};

static const struct pb_spec namespace_spec[] = {{1, PK_STRS, "finalizers", NULL},
						{0, PK_STR, NULL, NULL}};

/* The objects: field 1 is always the metadata; a status (3 in most) is
 * the server's and skipped. */
static const struct pb_spec namespace_obj[] = {{1, PK_MSG, "metadata", object_meta},
					       {2, PK_MSG, "spec", namespace_spec},
					       {3, PK_SKIP, "status", NULL},
					       {0, PK_STR, NULL, NULL}};

static const struct pb_spec configmap_obj[] = {{1, PK_MSG, "metadata", object_meta},
					       {2, PK_MAP, "data", NULL},
					       {3, PK_BYTES_MAP, "binaryData", NULL},
					       {4, PK_BOOL, "immutable", NULL},
					       {0, PK_STR, NULL, NULL}};

static const struct pb_spec secret_obj[] = {{1, PK_MSG, "metadata", object_meta},
					    {2, PK_BYTES_MAP, "data", NULL},
					    {3, PK_STR, "type", NULL},
					    {4, PK_MAP, "stringData", NULL},
					    {5, PK_BOOL, "immutable", NULL},
					    {0, PK_STR, NULL, NULL}};

static const struct pb_spec service_obj[] = {{1, PK_MSG, "metadata", object_meta},
					     {2, PK_MSG, "spec", service_spec},
					     {3, PK_SKIP, "status", NULL},
					     {0, PK_STR, NULL, NULL}};

static const struct pb_spec pod_obj[] = {{1, PK_MSG, "metadata", object_meta},
					 {2, PK_MSG, "spec", pod_spec},
					 {3, PK_SKIP, "status", NULL},
					 {0, PK_STR, NULL, NULL}};

static const struct pb_spec deployment_obj[] = {{1, PK_MSG, "metadata", object_meta},
						{2, PK_MSG, "spec", deploy_spec},
						{3, PK_SKIP, "status", NULL},
						{0, PK_STR, NULL, NULL}};

static const struct pb_spec job_obj[] = {{1, PK_MSG, "metadata", object_meta},
					 {2, PK_MSG, "spec", job_spec},
					 {3, PK_SKIP, "status", NULL},
					 {0, PK_STR, NULL, NULL}};

static const struct {
	const char *api_version, *kind;
	const struct pb_spec *fields;
} readers[] = {
    {"v1", "Namespace", namespace_obj},
    {"v1", "ConfigMap", configmap_obj},
    {"v1", "Secret", secret_obj},
    {"v1", "Service", service_obj},
    {"v1", "Pod", pod_obj},
    {"apps/v1", "Deployment", deployment_obj},
    {"batch/v1", "Job", job_obj},
};

/* --- reading --- */

/* Where the reader is (for messages naming a field) and what went wrong. */
struct rd {
	struct buf path; /* "spec.template.spec" */
	bool unread;	 /* err names a field kubesim does not read */
	struct err *err;
};

static bool read_into(json_t *o, const struct pb_spec *fields, const struct pb_field *f,
		      struct rd *rd);

static bool want_wire(const struct pb_field *f, enum pb_wire wire, struct err *err)
{
	if (f->wire == wire)
		return true;
	err_set(err, "protobuf: field %u: wire type %d where %d was expected", f->num, (int)f->wire,
		(int)wire);
	return false;
}

/* A string field as JSON text (possibly ""); err set for bytes that are
 * not UTF-8 text or hold a NUL. */
static json_t *text(const struct pb_field *f, struct err *err)
{
	json_t *s;

	if (!want_wire(f, PB_BYTES, err))
		return NULL;
	s = memchr(f->data, 0, f->len) ? NULL : json_stringn((const char *)f->data, f->len);
	if (!s)
		err_set(err, "protobuf: field %u is not UTF-8 text", f->num);
	return s;
}

/* Quantity: {1 string}. */
static json_t *quantity(const struct pb_field *f, struct err *err)
{
	struct pb_reader rd;
	struct pb_field g;
	json_t *q = NULL;
	int rc;

	if (!want_wire(f, PB_BYTES, err))
		return NULL;
	pb_reader_init(&rd, f->data, f->len);
	while ((rc = pb_next(&rd, &g, err)) > 0) {
		if (g.num != 1)
			continue;
		json_decref(q);
		q = text(&g, err);
		if (!q)
			return NULL;
	}
	if (rc < 0) {
		json_decref(q);
		return NULL;
	}
	return q ? q : json_string("0");
}

/* IntOrString: {1 type (0 int, 1 string), 2 intVal, 3 strVal}; *zero set
 * when it is the integer 0. */
static json_t *int_or_string(const struct pb_field *f, bool *zero, struct err *err)
{
	struct pb_reader rd;
	struct pb_field g;
	json_t *str = NULL;
	int64_t type = 0, ival = 0;
	int rc;

	if (!want_wire(f, PB_BYTES, err))
		return NULL;
	pb_reader_init(&rd, f->data, f->len);
	while ((rc = pb_next(&rd, &g, err)) > 0) {
		if ((g.num == 1 || g.num == 2) && !want_wire(&g, PB_VARINT, err)) {
			rc = -1;
			break;
		}
		if (g.num == 1) {
			type = (int64_t)g.varint;
		} else if (g.num == 2) {
			ival = (int32_t)(uint32_t)g.varint;
		} else if (g.num == 3) {
			json_decref(str);
			str = text(&g, err);
			if (!str) {
				rc = -1;
				break;
			}
		}
	}
	if (rc < 0) {
		json_decref(str);
		return NULL;
	}
	*zero = type != 1 && ival == 0;
	if (type == 1)
		return str ? str : json_string("");
	json_decref(str);
	return json_integer((json_int_t)ival);
}

/* One map entry, {1 key, 2 value}, added to the object *map (made on first
 * use); the value as text, as base64 (PK_BYTES_MAP) or a Quantity. */
static bool put_entry(json_t **map, const struct pb_field *f, enum pb_kind kind, struct err *err)
{
	struct pb_reader rd;
	struct pb_field g;
	char *key = NULL;
	json_t *val = NULL;
	int rc;

	if (!want_wire(f, PB_BYTES, err))
		return false;
	pb_reader_init(&rd, f->data, f->len);
	while ((rc = pb_next(&rd, &g, err)) > 0) {
		if (g.num == 1) {
			free(key);
			key = g.wire == PB_BYTES && !memchr(g.data, 0, g.len)
				  ? xstrndup((const char *)g.data, g.len)
				  : NULL;
			if (!key) {
				err_set(err, "protobuf: a map key that is not text");
				rc = -1;
				break;
			}
		} else if (g.num == 2) {
			json_decref(val);
			if (kind == PK_BYTES_MAP && want_wire(&g, PB_BYTES, err)) {
				char *enc = kinds_base64((const char *)g.data, g.len);

				val = json_string(enc);
				free(enc);
			} else if (kind == PK_QTY_MAP) {
				val = quantity(&g, err);
			} else if (kind == PK_MAP) {
				val = text(&g, err);
			} else {
				val = NULL;
			}
			if (!val) {
				rc = -1;
				break;
			}
		}
	}
	if (rc == 0 && !key)
		err_set(err, "protobuf: a map entry without a key");
	if (rc < 0 || !key) {
		free(key);
		json_decref(val);
		return false;
	}
	if (!val)
		val = kind == PK_QTY_MAP ? json_string("0") : json_string("");
	if (!*map)
		*map = json_object();
	if (json_object_set_new(*map, key, val) != 0) {
		err_set(err, "protobuf: a map key is not UTF-8 text");
		free(key);
		return false;
	}
	free(key);
	return true;
}

/* The array member key of o, made on first use. */
static json_t *array_member(json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(o, key, a);
	}
	return a;
}

/* True if f holds nothing: a zero number, no bytes, or a message of such
 * fields only (Go's protobuf encoder writes every plain field, zero or not,
 * and a struct field as a message even when all of it is zero). */
static bool pb_empty(const struct pb_field *f, int depth)
{
	struct pb_reader rd;
	struct pb_field g;
	struct err err = {{0}};
	int rc;

	if (f->wire == PB_VARINT)
		return f->varint == 0;
	if (f->wire != PB_BYTES)
		return false;
	if (f->len == 0)
		return true;
	if (depth > 32)
		return false;
	pb_reader_init(&rd, f->data, f->len);
	while ((rc = pb_next(&rd, &g, &err)) > 0) {
		if (!pb_empty(&g, depth + 1))
			return false;
	}
	return rc == 0;
}

/* Enters the member name of the message at rd->path; returns the mark to
 * leave it with path_leave. */
static size_t path_enter(struct rd *rd, const char *name)
{
	size_t mark = rd->path.len;

	buf_printf(&rd->path, "%s%s", mark ? "." : "", name);
	return mark;
}

static void path_leave(struct rd *rd, size_t mark)
{
	rd->path.len = mark;
	rd->path.data[mark] = '\0';
}

static bool put_field(json_t *o, const struct pb_spec *sp, const struct pb_field *f, struct rd *rd)
{
	struct err *err = rd->err;
	json_t *v = NULL, *map;
	bool zero = false;
	size_t mark;
	bool ok;

	switch (sp->kind) {
	case PK_STR:
	case PK_NAME:
		v = text(f, err);
		zero = v && sp->kind == PK_STR && f->len == 0;
		break;
	case PK_INT:
	case PK_INT_NZ:
		if (!want_wire(f, PB_VARINT, err))
			return false;
		v = json_integer((json_int_t)(int64_t)f->varint);
		zero = sp->kind == PK_INT_NZ && f->varint == 0;
		break;
	case PK_BOOL:
	case PK_BOOL_NZ:
		if (!want_wire(f, PB_VARINT, err))
			return false;
		v = json_boolean(f->varint != 0);
		zero = sp->kind == PK_BOOL_NZ && f->varint == 0;
		break;
	case PK_STRS:
		v = text(f, err);
		if (!v)
			return false;
		json_array_append_new(array_member(o, sp->name), v);
		return true;
	case PK_MAP:
	case PK_BYTES_MAP:
	case PK_QTY_MAP:
		map = json_object_get(o, sp->name);
		json_incref(map);
		if (!put_entry(&map, f, sp->kind, err)) {
			json_decref(map);
			return false;
		}
		json_object_set_new(o, sp->name, map);
		return true;
	case PK_MSG:
	case PK_MSGS:
		v = json_object();
		mark = path_enter(rd, sp->name);
		ok = read_into(v, sp->msg, f, rd);
		path_leave(rd, mark);
		if (!ok) {
			json_decref(v);
			return false;
		}
		if (sp->kind == PK_MSGS) {
			json_array_append_new(array_member(o, sp->name), v);
			return true;
		}
		break;
	case PK_INLINE:
		return read_into(o, sp->msg, f, rd);
	case PK_SKIP:
		return true;
	case PK_UNREAD:
		return true; /* read_into decides */
	case PK_INTSTR:
	case PK_INTSTR_NZ:
		v = int_or_string(f, &zero, err);
		zero = zero && sp->kind == PK_INTSTR_NZ;
		break;
	}
	if (!v)
		return false;
	if (zero) {
		json_decref(v);
		return true;
	}
	json_object_set_new(o, sp->name, v);
	return true;
}

/* Reads the message in f into o, field by field. A field kubesim does not
 * read is refused unless it holds nothing: skipping it would store an
 * object other than the one sent, and one that escaped validation. */
static bool read_into(json_t *o, const struct pb_spec *fields, const struct pb_field *f,
		      struct rd *rd)
{
	struct pb_reader rdr;
	struct pb_field g;
	int rc;

	if (!want_wire(f, PB_BYTES, rd->err))
		return false;
	pb_reader_init(&rdr, f->data, f->len);
	while ((rc = pb_next(&rdr, &g, rd->err)) > 0) {
		const struct pb_spec *sp = fields;

		while (sp->num && sp->num != g.num)
			sp++;
		if ((!sp->num || sp->kind == PK_UNREAD) && !pb_empty(&g, 0)) {
			char field[32];

			if (sp->num)
				snprintf(field, sizeof(field), "%s", sp->name);
			else
				snprintf(field, sizeof(field), "field %u", (unsigned)g.num);
			err_set(rd->err, "%s%s%s", buf_str(&rd->path), rd->path.len ? "." : "",
				field);
			rd->unread = true;
			return false;
		}
		if (sp->num && !put_field(o, sp, &g, rd))
			return false;
	}
	return rc == 0;
}

json_t *pbobj_decode(const void *body, size_t len, struct apierr *e)
{
	struct err err = {{0}};
	struct rd rd = {.path = BUF_INIT, .err = &err};
	struct pb_object obj;
	struct pb_field whole;
	json_t *doc;
	size_t k;
	bool ok;

	if (!pb_unwrap(body, len, &obj, &err)) {
		apierr_bad_request(e, "%s", err.msg);
		return NULL;
	}
	for (k = 0; k < ARRAY_LEN(readers); k++) {
		if (str_eq(readers[k].api_version, obj.api_version) &&
		    str_eq(readers[k].kind, obj.kind))
			break;
	}
	if (k == ARRAY_LEN(readers)) {
		apierr_set(e, 415, "UnsupportedMediaType",
			   "the body of the request was in an unknown format - accepted media "
			   "types include: application/json, application/yaml");
		return NULL;
	}
	doc = json_pack("{s:s, s:s}", "apiVersion", obj.api_version, "kind", obj.kind);
	memset(&whole, 0, sizeof(whole));
	whole.wire = PB_BYTES;
	whole.data = obj.raw;
	whole.len = obj.raw_len;
	ok = read_into(doc, readers[k].fields, &whole, &rd);
	buf_free(&rd.path);
	if (!ok && rd.unread) {
		/* Honest: kubesim cannot read this body; the same object as JSON
		 * it can. */
		json_decref(doc);
		apierr_set(e, 415, "UnsupportedMediaType",
			   "kubesim does not read %s of a %s sent as protobuf: send it as "
			   "application/json",
			   err.msg, obj.kind);
		return NULL;
	}
	if (!ok) {
		json_decref(doc);
		apierr_bad_request(e, "%s", err.msg[0] ? err.msg : "protobuf: malformed object");
		return NULL;
	}
	if (!json_object_get(doc, "metadata"))
		json_object_set_new(doc, "metadata", json_object());
	return doc;
}
