/* Strimzi KafkaTopics read for the Queues pane: fields, Ready with its
 * reason, a spec not yet applied, and the version chosen by discovery. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kube/kafkatopic.h"

static struct kafka_topic read_topic(const char *text)
{
	json_t *o = json_loads(text, 0, NULL);
	struct kafka_topic t;

	assert_non_null(o);
	assert_true(kafka_topic_read(o, &t));
	json_decref(o);
	return t;
}

static void test_ready(void **state)
{
	char buf[600];
	struct kafka_topic t = read_topic(
	    "{\"metadata\":{\"name\":\"orders\",\"namespace\":\"kafka\",\"generation\":2,"
	    "\"labels\":{\"strimzi.io/cluster\":\"events\"}},"
	    "\"spec\":{\"partitions\":12,\"replicas\":3},"
	    "\"status\":{\"observedGeneration\":2,\"conditions\":[{\"type\":\"Ready\","
	    "\"status\":\"True\"}]}}");

	(void)state;
	assert_string_equal(t.ns, "kafka");
	assert_string_equal(t.name, "orders");
	assert_string_equal(t.cluster, "events");
	assert_int_equal(t.partitions, 12);
	assert_int_equal(t.replicas, 3);
	assert_int_equal(t.ready, KAFKA_TOPIC_READY_TRUE);
	assert_false(t.pending);
	kafka_topic_state_text(&t, buf, sizeof(buf));
	assert_string_equal(buf, "Ready");
}

static void test_not_ready_and_pending(void **state)
{
	char buf[600];
	struct kafka_topic t = read_topic(
	    "{\"metadata\":{\"name\":\"audit\",\"namespace\":\"kafka\",\"generation\":3},"
	    "\"spec\":{\"partitions\":1},"
	    "\"status\":{\"observedGeneration\":3,\"conditions\":[{\"type\":\"Ready\","
	    "\"status\":\"False\",\"reason\":\"KafkaError\",\"message\":\"Number of partitions "
	    "cannot be decreased\\n\"}]}}");

	(void)state;
	assert_int_equal(t.replicas, -1);
	assert_string_equal(t.cluster, "");
	assert_int_equal(t.ready, KAFKA_TOPIC_READY_FALSE);
	kafka_topic_state_text(&t, buf, sizeof(buf));
	assert_non_null(strstr(buf, "not ready: KafkaError: Number of partitions cannot be"));
	assert_null(strchr(buf, '\n')); /* control characters never reach a screen */

	t = read_topic("{\"metadata\":{\"name\":\"x\",\"generation\":5},"
		       "\"status\":{\"observedGeneration\":4,\"conditions\":[{\"type\":\"Ready\","
		       "\"status\":\"True\"}]}}");
	assert_true(t.pending);
	kafka_topic_state_text(&t, buf, sizeof(buf));
	assert_string_equal(buf, "not yet applied (generation 5, applied 4)");
	t = read_topic("{\"metadata\":{\"name\":\"y\",\"generation\":1}}");
	assert_true(t.pending);
	assert_int_equal(t.ready, KAFKA_TOPIC_READY_UNKNOWN);
	kafka_topic_state_text(&t, buf, sizeof(buf));
	assert_string_equal(buf, "not yet applied (waiting for the operator)");
}

static void test_bad(void **state)
{
	json_t *o = json_loads("{\"metadata\":{\"namespace\":\"a\"}}", 0, NULL);
	struct kafka_topic t;

	(void)state;
	assert_false(kafka_topic_read(o, &t));
	assert_false(kafka_topic_read(NULL, &t));
	json_decref(o);
	o = json_loads("{\"metadata\":{\"name\":7,\"labels\":[]},\"spec\":{\"partitions\":\"3\"},"
		       "\"status\":{\"conditions\":{}}}",
		       0, NULL);
	assert_false(kafka_topic_read(o, &t)); /* a name that is not a string */
	json_decref(o);
}

static void test_version(void **state)
{
	static const char both[] = "{\"kind\":\"APIGroup\",\"name\":\"kafka.strimzi.io\","
				   "\"versions\":[{\"groupVersion\":\"kafka.strimzi.io/v1beta2\","
				   "\"version\":\"v1beta2\"},{\"version\":\"v1\"}]}";
	static const char old[] = "{\"kind\":\"APIGroup\",\"versions\":[{\"version\":\"v1beta2\"},"
				  "{\"version\":\"v1beta1\"}]}";
	static const char none[] =
	    "{\"kind\":\"APIGroup\",\"versions\":[{\"version\":\"v1alpha1\"}]}";
	static const char status[] = "{\"kind\":\"Status\",\"versions\":[{\"version\":\"v1\"}]}";

	(void)state;
	assert_ptr_equal(kafka_topic_resource(both, strlen(both)), &kube_res_kafkatopics_v1);
	assert_ptr_equal(kafka_topic_resource(old, strlen(old)), &kube_res_kafkatopics);
	assert_null(kafka_topic_resource(none, strlen(none)));
	assert_null(kafka_topic_resource(status, strlen(status)));
	assert_null(kafka_topic_resource("not json", 8));
	assert_string_equal(kube_res_kafkatopics_v1.version, "v1");
}

/* A cluster without Strimzi is asked again: soon at first, then less
 * often, never less than every five minutes. */
static void test_rediscover(void **state)
{
	(void)state;
	assert_int_equal(kafka_topic_rediscover_ms(0), 15000);
	assert_int_equal(kafka_topic_rediscover_ms(1), 15000);
	assert_int_equal(kafka_topic_rediscover_ms(2), 30000);
	assert_int_equal(kafka_topic_rediscover_ms(3), 60000);
	assert_int_equal(kafka_topic_rediscover_ms(5), 240000);
	assert_int_equal(kafka_topic_rediscover_ms(6), 300000);
	assert_int_equal(kafka_topic_rediscover_ms(1000), 300000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ready),
	    cmocka_unit_test(test_not_ready_and_pending),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_rediscover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
