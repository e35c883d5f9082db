#include "config.h"

#include "kafka.h"

#include <string.h>

#include "buf.h"
#include "util.h"

static enum { SERVE_V1BETA2, SERVE_V1, SERVE_BOTH } serving;
static struct restype topic_v1;

bool kafka_set_version(const char *version)
{
	if (strcmp(version, "v1") == 0)
		serving = SERVE_V1;
	else if (strcmp(version, "v1beta2") == 0)
		serving = SERVE_V1BETA2;
	else if (strcmp(version, "both") == 0)
		serving = SERVE_BOTH;
	else
		return false;
	return true;
}

const struct restype *kafka_topic_type(const struct restype *v1beta2)
{
	if (serving == SERVE_V1BETA2)
		return v1beta2;
	if (!topic_v1.kind) {
		topic_v1 = *v1beta2;
		topic_v1.version = "v1";
		topic_v1.api_version = "kafka.strimzi.io/v1";
	}
	return &topic_v1;
}

const struct restype *kafka_topic_other(const struct restype *v1beta2)
{
	return serving == SERVE_BOTH ? v1beta2 : NULL;
}

bool kafka_topic_aside(const struct restype *rt)
{
	return serving == SERVE_BOTH && rt && rt->id == K_KAFKATOPIC &&
	       strcmp(rt->version, "v1") != 0;
}

char *kafka_topic_rewrite(const char *json, size_t len, size_t *outlen)
{
	static const char from[] = "\"apiVersion\":\"kafka.strimzi.io/v1\"";
	static const char to[] = "\"apiVersion\":\"kafka.strimzi.io/v1beta2\"";
	struct buf b = BUF_INIT;
	size_t i = 0, fl = sizeof(from) - 1;

	while (i < len) {
		if (len - i >= fl && memcmp(json + i, from, fl) == 0) {
			buf_append(&b, to, sizeof(to) - 1);
			i += fl;
		} else {
			buf_putc(&b, json[i++]);
		}
	}
	*outlen = b.len;
	if (!b.data)
		return xstrdup("");
	return buf_steal(&b);
}
