/* Reading a store's health from list answers: ready, progressing with the
 * object that holds it up, broken with the reason, stopped; and the
 * workload a pod belongs to. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "provision/health.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (!v)
		fail_msg("bad test JSON: %s", e.text);
	return v;
}

#define DEPLOY(name, want, ready, gen, seen)                                                       \
	"{\"metadata\": {\"name\": \"" name "\", \"generation\": " #gen "},"                       \
	" \"spec\": {\"replicas\": " #want "}, \"status\": {\"replicas\": " #want ", \"readyReplicas\": " #ready \
	", \"observedGeneration\": " #seen "}}"

static enum health check(const char *d, const char *s, const char *p, char *reason, size_t n)
{
	json_t *dj = parse(d), *sj = parse(s), *pj = parse(p);
	enum health h = health_check(dj, sj, pj, reason, n);

	json_decref(dj);
	json_decref(sj);
	json_decref(pj);
	return h;
}

static void test_ready(void **state)
{
	char reason[300];

	(void)state;
	assert_int_equal(check("{\"items\": [" DEPLOY("wordpress", 2, 2, 3, 3) "]}",
			       "{\"items\": [" DEPLOY("mysql", 1, 1, 1, 1) "]}", "{\"items\": []}", reason,
			       sizeof(reason)),
			 HEALTH_READY);
	assert_string_equal(reason, "2 workload(s) ready");
}

static void test_progressing(void **state)
{
	char reason[300];
	const char *pods =
		"{\"items\": [{\"metadata\": {\"name\": \"wordpress-7d9f8-abc\", \"ownerReferences\":"
		" [{\"kind\": \"ReplicaSet\", \"name\": \"wordpress-7d9f8\"}]},"
		" \"status\": {\"containerStatuses\": [{\"state\": {\"waiting\": {\"reason\": \"ContainerCreating\"}}}]}}]}";

	(void)state;
	assert_int_equal(check("{\"items\": [" DEPLOY("wordpress", 2, 1, 1, 1) "]}", "{\"items\": []}",
			       pods, reason, sizeof(reason)),
			 HEALTH_PROGRESSING);
	assert_string_equal(reason, "deployment/wordpress: 1/2 ready (pod wordpress-7d9f8-abc: ContainerCreating)");
	/* A new generation not yet observed is not ready, whatever the counts say. */
	assert_int_equal(check("{\"items\": [" DEPLOY("web", 1, 1, 4, 3) "]}", "{\"items\": []}",
			       "{\"items\": []}", reason, sizeof(reason)),
			 HEALTH_PROGRESSING);
	assert_string_equal(reason, "deployment/web: 1/1 ready (update not yet observed)");
	assert_int_equal(check("{\"items\": []}", "{\"items\": []}", "{\"items\": []}", reason, sizeof(reason)),
			 HEALTH_PROGRESSING);
	assert_string_equal(reason, "no Deployment or StatefulSet in the namespace yet");
}

static void test_broken(void **state)
{
	char reason[300];
	const char *pods =
		"{\"items\": [{\"metadata\": {\"name\": \"mysql-0\", \"ownerReferences\":"
		" [{\"kind\": \"StatefulSet\", \"name\": \"mysql\"}]},"
		" \"status\": {\"containerStatuses\": [{\"state\": {\"waiting\": {\"reason\": \"ImagePullBackOff\","
		" \"message\": \"Back-off pulling image \\\"mysql:invalid\\\"\\u001b[2J\"}}}]}}]}";

	(void)state;
	assert_int_equal(check("{\"items\": []}", "{\"items\": [" DEPLOY("mysql", 1, 0, 1, 1) "]}", pods,
			       reason, sizeof(reason)),
			 HEALTH_BROKEN);
	/* Control characters from the cluster never reach a message (each is
	 * a space, as everywhere text from a server is shown). */
	assert_string_equal(reason,
			    "statefulset/mysql: ImagePullBackOff: Back-off pulling image \"mysql:invalid\" [2J");
}

static void test_stopped(void **state)
{
	char reason[300];
	const char *one_pod = "{\"items\": [{\"metadata\": {\"name\": \"web-1\"}, \"status\": {}}]}";

	(void)state;
	assert_int_equal(check("{\"items\": [" DEPLOY("web", 0, 0, 2, 2) "]}", "{\"items\": []}",
			       "{\"items\": []}", reason, sizeof(reason)),
			 HEALTH_STOPPED);
	assert_int_equal(check("{\"items\": [" DEPLOY("web", 0, 0, 2, 2) "]}", "{\"items\": []}", one_pod,
			       reason, sizeof(reason)),
			 HEALTH_PROGRESSING);
	assert_string_equal(reason, "pod web-1 is still stopping");
}

static void test_pod_owner(void **state)
{
	char out[100];
	json_t *p = parse("{\"metadata\": {\"name\": \"lonely\"}}");

	(void)state;
	health_pod_owner(p, out, sizeof(out));
	assert_string_equal(out, "pod/lonely");
	json_decref(p);
	p = parse("{\"metadata\": {\"name\": \"x\", \"ownerReferences\": [{\"kind\": \"ReplicaSet\", \"name\": \"medusa-5c6\"}]}}");
	health_pod_owner(p, out, sizeof(out));
	assert_string_equal(out, "deployment/medusa");
	json_decref(p);
	assert_string_equal(health_name(HEALTH_BROKEN), "broken");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready),	cmocka_unit_test(test_progressing),
		cmocka_unit_test(test_broken),	cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_pod_owner),
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
