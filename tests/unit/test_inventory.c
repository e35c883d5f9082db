/* Reading a store's objects for its details: a line per workload, pod,
 * volume claim, service and ingress with its status in words and a state,
 * in a fixed order; the namespace's events newest first, at most N. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "provision/inventory.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (!v)
		fail_msg("bad test JSON: %s (%s)", e.text, text);
	return v;
}

/* Reads one kind given as a JSON array; the other kinds are empty. */
static void read_kind(enum inventory_kind k, const char *array, size_t max_events,
		      struct inventory_view *out)
{
	const json_t *objs[INV_KINDS] = { NULL };
	json_t *v = parse(array);

	objs[k] = v;
	inventory_read(objs, max_events, out);
	json_decref(v);
}

static const struct inventory_object *find(const struct inventory_view *v, const char *name)
{
	for (size_t i = 0; i < v->nobjects; i++) {
		if (strcmp(v->objects[i].name, name) == 0)
			return &v->objects[i];
	}
	fail_msg("no line for %s", name);
	return NULL;
}

#define WORKLOAD(name, want, ready, have, gen, seen)                                               \
	"{\"metadata\": {\"name\": \"" name "\", \"generation\": " #gen "},"                       \
	" \"spec\": {\"replicas\": " #want "}, \"status\": {\"replicas\": " #have                   \
	", \"readyReplicas\": " #ready ", \"observedGeneration\": " #seen "}}"

static void test_workloads(void **state)
{
	struct inventory_view v;
	const struct inventory_object *o;

	(void)state;
	read_kind(INV_DEPLOYMENTS,
		  "[" WORKLOAD("web", 3, 2, 3, 1, 1) ", " WORKLOAD("idle", 0, 0, 0, 2, 2) ", " WORKLOAD(
			  "new", 1, 1, 1, 5, 4) ", " WORKLOAD("ok", 2, 2, 2, 1, 1) "]",
		  20, &v);
	assert_int_equal(v.nobjects, 4);
	/* Sorted by name within the kind. */
	assert_string_equal(v.objects[0].name, "deployment/idle");
	assert_string_equal(v.objects[3].name, "deployment/web");
	o = find(&v, "deployment/web");
	assert_string_equal(o->status, "2/3 ready");
	assert_int_equal(o->state, INV_STATE_BUSY);
	o = find(&v, "deployment/idle");
	assert_string_equal(o->status, "0/0 ready, scaled to 0");
	assert_int_equal(o->state, INV_STATE_OFF);
	o = find(&v, "deployment/new");
	assert_string_equal(o->status, "1/1 ready (update not yet observed)");
	assert_int_equal(o->state, INV_STATE_BUSY);
	o = find(&v, "deployment/ok");
	assert_string_equal(o->status, "2/2 ready");
	assert_int_equal(o->state, INV_STATE_OK);
	inventory_view_free(&v);
	assert_null(v.objects);

	read_kind(INV_STATEFULSETS, "[" WORKLOAD("mysql", 1, 1, 1, 1, 1) "]", 20, &v);
	assert_string_equal(find(&v, "statefulset/mysql")->status, "1/1 ready");
	assert_int_equal(v.objects[0].kind, INV_STATEFULSETS);
	inventory_view_free(&v);
}

static void test_pods(void **state)
{
	struct inventory_view v;
	const struct inventory_object *o;

	(void)state;
	read_kind(INV_PODS,
		  "[{\"metadata\": {\"name\": \"mysql-0\"}, \"status\": {\"phase\": \"Running\","
		  "  \"containerStatuses\": [{\"ready\": true, \"restartCount\": 2, \"state\": {\"running\": {}}}]}},"
		  " {\"metadata\": {\"name\": \"wp-1\"}, \"status\": {\"phase\": \"Pending\","
		  "  \"containerStatuses\": [{\"ready\": false, \"restartCount\": 0, \"state\": {\"waiting\":"
		  "  {\"reason\": \"ImagePullBackOff\", \"message\": \"Back-off pulling image \\\"x\\\"\"}}}]}},"
		  " {\"metadata\": {\"name\": \"wp-2\"}, \"spec\": {\"containers\": [{}, {}]},"
		  "  \"status\": {\"phase\": \"Pending\"}},"
		  " {\"metadata\": {\"name\": \"wp-3\"}, \"status\": {\"phase\": \"Running\","
		  "  \"containerStatuses\": [{\"ready\": false, \"restartCount\": 1, \"state\": {\"waiting\":"
		  "  {\"reason\": \"ContainerCreating\"}}}]}},"
		  " {\"metadata\": {\"name\": \"old\", \"deletionTimestamp\": \"2026-01-01T00:00:00Z\"},"
		  "  \"status\": {\"phase\": \"Running\", \"containerStatuses\": [{\"ready\": true}]}},"
		  " {\"metadata\": {\"name\": \"job\"}, \"status\": {\"phase\": \"Succeeded\"}}]",
		  20, &v);
	assert_int_equal(v.nobjects, 6);
	o = find(&v, "pod/mysql-0");
	assert_string_equal(o->status, "Running, 1/1 ready, 2 restarts");
	assert_int_equal(o->state, INV_STATE_OK);
	o = find(&v, "pod/wp-1");
	assert_string_equal(o->status,
			    "Pending, 0/1 ready, 0 restarts, ImagePullBackOff: Back-off pulling image \"x\"");
	assert_int_equal(o->state, INV_STATE_BAD);
	/* No container status yet: the containers of the spec are counted. */
	o = find(&v, "pod/wp-2");
	assert_string_equal(o->status, "Pending, 0/2 ready, 0 restarts");
	assert_int_equal(o->state, INV_STATE_BUSY);
	o = find(&v, "pod/wp-3");
	assert_string_equal(o->status, "Running, 0/1 ready, 1 restart, ContainerCreating");
	assert_int_equal(o->state, INV_STATE_BUSY);
	o = find(&v, "pod/old");
	assert_string_equal(o->status, "Terminating, 1/1 ready, 0 restarts");
	assert_int_equal(o->state, INV_STATE_BUSY);
	assert_int_equal(find(&v, "pod/job")->state, INV_STATE_OFF);
	inventory_view_free(&v);
}

static void test_volumes_services_ingresses(void **state)
{
	struct inventory_view v;
	const json_t *objs[INV_KINDS] = { NULL };
	json_t *pvcs = parse(
		"{\"a\": {\"metadata\": {\"name\": \"data\"}, \"status\": {\"phase\": \"Bound\","
		"  \"capacity\": {\"storage\": \"10Gi\"}}},"
		" \"b\": {\"metadata\": {\"name\": \"wait\"}, \"spec\": {\"resources\": {\"requests\":"
		"  {\"storage\": \"1Gi\"}}}, \"status\": {\"phase\": \"Pending\"}},"
		" \"c\": {\"metadata\": {\"name\": \"gone\"}, \"status\": {\"phase\": \"Lost\"}}}");
	json_t *svcs = parse(
		"[{\"metadata\": {\"name\": \"web\"}, \"spec\": {\"clusterIP\": \"10.96.0.7\","
		"  \"ports\": [{\"port\": 80, \"protocol\": \"TCP\"}, {\"port\": 443}]}},"
		" {\"metadata\": {\"name\": \"db\"}, \"spec\": {\"type\": \"ClusterIP\", \"clusterIP\": \"None\"}}]");
	json_t *ings = parse(
		"[{\"metadata\": {\"name\": \"in\"}, \"spec\": {\"rules\": [{\"host\": \"a.example.com\"},"
		"  {\"host\": \"b.example.com\"}]}, \"status\": {\"loadBalancer\": {\"ingress\": [{\"ip\": \"10.0.0.1\"}]}}},"
		" {\"metadata\": {\"name\": \"bare\"}, \"spec\": {}}]");

	(void)state;
	objs[INV_PVCS] = pvcs;
	objs[INV_SERVICES] = svcs;
	objs[INV_INGRESSES] = ings;
	inventory_read(objs, 20, &v);
	assert_int_equal(v.nobjects, 7);
	/* Kinds in their order: volume claims, services, ingresses. */
	assert_string_equal(v.objects[0].name, "pvc/data");
	assert_string_equal(v.objects[3].name, "service/db");
	assert_string_equal(v.objects[5].name, "ingress/bare");
	assert_string_equal(find(&v, "pvc/data")->status, "Bound, 10Gi");
	assert_int_equal(find(&v, "pvc/data")->state, INV_STATE_OK);
	assert_string_equal(find(&v, "pvc/wait")->status, "Pending, 1Gi");
	assert_int_equal(find(&v, "pvc/wait")->state, INV_STATE_BUSY);
	assert_int_equal(find(&v, "pvc/gone")->state, INV_STATE_BAD);
	assert_string_equal(find(&v, "service/web")->status, "ClusterIP 10.96.0.7, ports 80/TCP,443/TCP");
	assert_int_equal(find(&v, "service/web")->state, INV_STATE_NONE);
	assert_string_equal(find(&v, "service/db")->status, "ClusterIP None");
	assert_string_equal(find(&v, "ingress/in")->status,
			    "hosts a.example.com, b.example.com, address 10.0.0.1");
	assert_string_equal(find(&v, "ingress/bare")->status, "no host, no address yet");
	inventory_view_free(&v);
	json_decref(pvcs);
	json_decref(svcs);
	json_decref(ings);
}

#define EVENT(name, type, reason, kind, obj, last, created)                                        \
	"{\"metadata\": {\"name\": \"" name "\", \"creationTimestamp\": \"" created "\"},"           \
	" \"type\": \"" type "\", \"reason\": \"" reason "\", \"message\": \"about " obj "\","      \
	" \"involvedObject\": {\"kind\": \"" kind "\", \"name\": \"" obj "\"}" last "}"

static void test_events(void **state)
{
	struct inventory_view v;

	(void)state;
	read_kind(INV_EVENTS,
		  "[" EVENT("e1", "Normal", "Scheduled", "Pod", "mysql-0",
			    ", \"lastTimestamp\": \"2026-03-01T10:00:00Z\"", "2026-03-01T09:00:00Z") ","
		  EVENT("e2", "Warning", "BackOff", "Pod", "wp-1",
			",  \"lastTimestamp\": \"2026-03-01T10:05:00Z\"", "2026-03-01T09:00:00Z") ","
		  /* No lastTimestamp: eventTime, with a fraction. */
		  EVENT("e3", "Normal", "ScalingReplicaSet", "Deployment", "wp",
			", \"lastTimestamp\": null, \"eventTime\": \"2026-03-01T10:02:00.123456Z\"",
			"2026-03-01T09:00:00Z") ","
		  /* Neither: when it was made. */
		  EVENT("e4", "Normal", "Created", "Pod", "mysql-0", "", "2026-03-01T09:30:00Z") "]",
		  3, &v);
	/* Newest first, cut to 3. */
	assert_int_equal(v.nevents, 3);
	assert_string_equal(v.events[0].reason, "BackOff");
	assert_true(v.events[0].warning);
	assert_string_equal(v.events[0].type, "Warning");
	assert_string_equal(v.events[0].object, "pod/wp-1");
	assert_string_equal(v.events[0].message, "about wp-1");
	assert_string_equal(v.events[1].object, "deployment/wp");
	assert_int_equal(v.events[1].at, v.events[0].at - 180);
	assert_string_equal(v.events[2].reason, "Scheduled");
	assert_false(v.events[2].warning);
	/* No object of any other kind came from events. */
	assert_int_equal(v.nobjects, 0);
	inventory_view_free(&v);

	read_kind(INV_EVENTS,
		  "[" EVENT("e4", "Normal", "Created", "Pod", "mysql-0", "", "2026-03-01T09:30:00Z") "]",
		  20, &v);
	assert_int_equal(v.nevents, 1);
	assert_int_equal(v.events[0].at, 1772357400);
	inventory_view_free(&v);
	read_kind(INV_EVENTS, "[" EVENT("e", "Normal", "X", "Pod", "p", "", "junk") ", 7]", 20, &v);
	assert_int_equal(v.nevents, 1);
	assert_int_equal(v.events[0].at, 0);
	inventory_view_free(&v);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(inventory_kind_name(INV_STATEFULSETS), "statefulset");
	assert_string_equal(inventory_kind_name(INV_PVCS), "pvc");
	assert_string_equal(inventory_kind_name(INV_KINDS), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workloads),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_volumes_services_ingresses),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests_name("inventory", tests, NULL, NULL);
}
