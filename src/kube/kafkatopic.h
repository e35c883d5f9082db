/* Strimzi KafkaTopic resources read into what a view shows: pure
 * functions on objects as the API (or a watch cache) holds them, so that
 * they are tested on recorded objects.
 *
 * Strimzi served kafka.strimzi.io/v1beta2 until 0.52, which serves only v1;
 * a cluster may serve both during an upgrade. The version to read is
 * chosen from the group's discovery document: v1 when it is served, else
 * v1beta2. The objects' fields read here are the same in both. */
#ifndef OPSDECK_KUBE_KAFKATOPIC_H
#define OPSDECK_KUBE_KAFKATOPIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/api.h"

extern const struct kube_resource kube_res_kafkatopics_v1;

/* The discovery path of the group (GET answers an APIGroup). */
#define KAFKA_TOPIC_GROUP_PATH "/apis/kafka.strimzi.io"

enum kafka_topic_ready {
	KAFKA_TOPIC_READY_UNKNOWN, /* no Ready condition yet */
	KAFKA_TOPIC_READY_TRUE,
	KAFKA_TOPIC_READY_FALSE,
};

struct kafka_topic {
	char ns[64];
	char name[254];
	char cluster[64]; /* the strimzi.io/cluster label; "" without one */
	long partitions;  /* -1: not set */
	long replicas;	  /* -1: not set */
	enum kafka_topic_ready ready;
	char reason[128];
	char message[512];
	/* status.observedGeneration behind metadata.generation: the operator
	 * has not applied the latest spec yet */
	bool pending;
	long generation, observed;
};

/* Reads one KafkaTopic; false if obj is not an object with a name. */
bool kafka_topic_read(const json_t *obj, struct kafka_topic *t);

/* The resource to read from the group's discovery document (an APIGroup:
 * versions[].version): v1 if served, else v1beta2; NULL (err-free) when
 * neither is, or the document is not an APIGroup. */
const struct kube_resource *kafka_topic_resource(const char *body, size_t len);

/* A cluster that answers that it serves no KafkaTopic (404 on the group, or
 * no version of it) is asked again later, since Strimzi may be installed
 * at any time: after `absent` such answers in a row, wait this many ms --
 * KAFKA_TOPIC_REDISCOVER_MIN_MS doubling up to KAFKA_TOPIC_REDISCOVER_MAX_MS. */
#define KAFKA_TOPIC_REDISCOVER_MIN_MS 15000u
#define KAFKA_TOPIC_REDISCOVER_MAX_MS 300000u
uint64_t kafka_topic_rediscover_ms(unsigned absent);

/* The state in words: "Ready", "not ready: REASON: MESSAGE", "not yet
 * applied (generation G, applied O)", "waiting for the operator". */
void kafka_topic_state_text(const struct kafka_topic *t, char *buf, size_t bufsz);

#endif
