#include "config.h"

#include "kafka.h"

#include <string.h>

static bool serve_v1;
static struct restype topic_v1;

bool kafka_set_version(const char *version)
{
	if (strcmp(version, "v1") == 0)
		serve_v1 = true;
	else if (strcmp(version, "v1beta2") == 0)
		serve_v1 = false;
	else
		return false;
	return true;
}

const struct restype *kafka_topic_type(const struct restype *v1beta2)
{
	if (!serve_v1)
		return v1beta2;
	if (!topic_v1.kind) {
		topic_v1 = *v1beta2;
		topic_v1.version = "v1";
		topic_v1.api_version = "kafka.strimzi.io/v1";
	}
	return &topic_v1;
}
