/* Strimzi's KafkaTopic as kubesim serves it: kafka.strimzi.io/v1beta2 (the
 * default, Strimzi before 0.52) or v1 only (--kafka-topic-version v1, as
 * Strimzi 0.52 and later serve it). Its Ready condition and
 * observedGeneration come from ctrl.c's topic controller. */
#ifndef OPSDECK_KUBESIM_KAFKA_H
#define OPSDECK_KUBESIM_KAFKA_H

#include <stdbool.h>

#include "restype.h"

/* "v1beta2" or "v1"; false for any other version. Set before serving. */
bool kafka_set_version(const char *version);
/* The KafkaTopic type served, given the table's v1beta2 one. */
const struct restype *kafka_topic_type(const struct restype *v1beta2);

#endif
