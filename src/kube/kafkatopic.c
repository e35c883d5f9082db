#include "config.h"

#include "kube/kafkatopic.h"

#include <stdio.h>
#include <string.h>

#include "jsonget.h"
#include "util.h"

const struct kube_resource kube_res_kafkatopics_v1 = {"kafka.strimzi.io", "v1", "kafkatopics",
						      "KafkaTopic", true};

/* A signed integer field (generation), or def. */
static long get_long(const json_t *o, const char *key, long def)
{
	return json_get_count(o, key, def);
}

bool kafka_topic_read(const json_t *obj, struct kafka_topic *t)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *status = json_object_get(obj, "status");
	const json_t *conds = json_object_get(status, "conditions");
	const json_t *c;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (!json_is_object(obj) || !json_get_str(meta, "name")[0])
		return false;
	str_copy_clean(t->ns, sizeof(t->ns), json_get_str(meta, "namespace"));
	str_copy_clean(t->name, sizeof(t->name), json_get_str(meta, "name"));
	str_copy_clean(t->cluster, sizeof(t->cluster),
		       json_get_str(json_object_get(meta, "labels"), "strimzi.io/cluster"));
	t->partitions = json_get_count(spec, "partitions", -1);
	t->replicas = json_get_count(spec, "replicas", -1);
	t->generation = get_long(meta, "generation", 0);
	t->observed = get_long(status, "observedGeneration", -1);
	t->pending = t->generation > 0 && t->observed < t->generation;
	json_array_foreach(conds, i, c)
	{
		const char *st = json_get_str(c, "status");

		if (strcmp(json_get_str(c, "type"), "Ready") != 0)
			continue;
		t->ready = strcmp(st, "True") == 0    ? KAFKA_TOPIC_READY_TRUE
			   : strcmp(st, "False") == 0 ? KAFKA_TOPIC_READY_FALSE
						      : KAFKA_TOPIC_READY_UNKNOWN;
		str_copy_clean(t->reason, sizeof(t->reason), json_get_str(c, "reason"));
		str_copy_clean(t->message, sizeof(t->message), json_get_str(c, "message"));
	}
	return true;
}

const struct kube_resource *kafka_topic_resource(const char *body, size_t len)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	const json_t *v;
	bool v1 = false, v1beta2 = false;
	size_t i;

	json_array_foreach(json_object_get(doc, "versions"), i, v)
	{
		const char *ver = json_get_str(v, "version");

		v1 |= strcmp(ver, "v1") == 0;
		v1beta2 |= strcmp(ver, "v1beta2") == 0;
	}
	if (doc && strcmp(json_get_str(doc, "kind"), "APIGroup") != 0)
		v1 = v1beta2 = false;
	json_decref(doc);
	return v1 ? &kube_res_kafkatopics_v1 : v1beta2 ? &kube_res_kafkatopics : NULL;
}

void kafka_topic_state_text(const struct kafka_topic *t, char *buf, size_t bufsz)
{
	if (t->pending && t->observed >= 0)
		snprintf(buf, bufsz, "not yet applied (generation %ld, applied %ld)%s",
			 t->generation, t->observed,
			 t->ready == KAFKA_TOPIC_READY_FALSE ? "; not ready" : "");
	else if (t->pending)
		snprintf(buf, bufsz, "not yet applied (waiting for the operator)");
	else if (t->ready == KAFKA_TOPIC_READY_TRUE)
		snprintf(buf, bufsz, "Ready");
	else if (t->ready == KAFKA_TOPIC_READY_FALSE)
		snprintf(buf, bufsz, "not ready: %s%s%s", t->reason[0] ? t->reason : "no reason",
			 t->message[0] ? ": " : "", t->message);
	else
		snprintf(buf, bufsz, "waiting for the operator");
}

uint64_t kafka_topic_rediscover_ms(unsigned absent)
{
	uint64_t ms = KAFKA_TOPIC_REDISCOVER_MIN_MS;

	for (unsigned i = 1; i < absent && ms < KAFKA_TOPIC_REDISCOVER_MAX_MS; i++)
		ms *= 2;
	return ms < KAFKA_TOPIC_REDISCOVER_MAX_MS ? ms : KAFKA_TOPIC_REDISCOVER_MAX_MS;
}
