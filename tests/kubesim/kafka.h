/* Strimzi's KafkaTopic as kubesim serves it: kafka.strimzi.io/v1beta2 (the
 * default, Strimzi before 0.52), v1 only (--kafka-topic-version v1, as
 * Strimzi 0.52 and later serve it), or both (--kafka-topic-version both, as
 * Strimzi 0.4x serves them while it migrates: v1 preferred and stored, the
 * same objects under either version, each answer naming the version asked
 * for). Its Ready condition and observedGeneration come from ctrl.c's topic
 * controller. */
#ifndef OPSDECK_KUBESIM_KAFKA_H
#define OPSDECK_KUBESIM_KAFKA_H

#include <stdbool.h>
#include <stddef.h>

#include "restype.h"

/* "v1beta2", "v1" or "both"; false for anything else. Set before serving. */
bool kafka_set_version(const char *version);
/* The KafkaTopic type served (the preferred one when both are), given the
 * table's v1beta2 one. */
const struct restype *kafka_topic_type(const struct restype *v1beta2);
/* When both versions are served, the other one (v1beta2); else NULL. */
const struct restype *kafka_topic_other(const struct restype *v1beta2);
/* True for the version served aside (v1beta2 when both are): objects are
 * stored as v1, and an answer to a request of this version has them
 * rewritten by kafka_topic_rewrite. */
bool kafka_topic_aside(const struct restype *rt);
/* The JSON text with every "apiVersion":"kafka.strimzi.io/v1" made
 * v1beta2 (caller frees; its length in *outlen). */
char *kafka_topic_rewrite(const char *json, size_t len, size_t *outlen);

#endif
