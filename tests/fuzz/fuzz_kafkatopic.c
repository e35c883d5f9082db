/* libFuzzer target: Strimzi KafkaTopics read for the Queues pane
 * (kube/kafkatopic.h). Any input, as an object from a watch or as the
 * group's discovery document, is read or refused; never a crash or a leak.
 * What is read is safe to show (no control character in the reason or
 * message, counts -1 or more), and a version is chosen only from an
 * APIGroup. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kube/kafkatopic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n >= max)
		abort();
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *o = json_loadb((const char *)data, size, 0, NULL);
	const struct kube_resource *res = kafka_topic_resource((const char *)data, size);
	struct kafka_topic t;
	char text[800];

	if (res && res != &kube_res_kafkatopics_v1 && res != &kube_res_kafkatopics)
		abort();
	if (res && (!json_is_object(o) || strcmp(json_string_value(json_object_get(o, "kind"))
						     ? json_string_value(json_object_get(o, "kind"))
						     : "",
						 "APIGroup") != 0))
		abort();
	if (kafka_topic_read(o, &t)) {
		if (!t.name[0] || t.partitions < -1 || t.replicas < -1)
			abort();
		check_text(t.ns, sizeof(t.ns));
		check_text(t.name, sizeof(t.name));
		check_text(t.cluster, sizeof(t.cluster));
		check_text(t.reason, sizeof(t.reason));
		check_text(t.message, sizeof(t.message));
		kafka_topic_state_text(&t, text, sizeof(text));
		check_text(text, sizeof(text));
	}
	json_decref(o);
	return 0;
}
