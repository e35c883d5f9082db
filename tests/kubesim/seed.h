/* Bulk seeding for benchmarks: POST /sim/seed makes many opsdeck stores at
 * once, each as the provisioner leaves it once Ready: its namespace
 * (store-ID, labelled as opsdeck labels it) and its web Deployment
 * "wordpress" (labels opsdeck.io/store=ID, opsdeck.io/role=web,
 * app.kubernetes.io/managed-by=opsdeck) whose ReplicaSet and pods the
 * controllers create as usual, the pods then made Ready at once instead of
 * after their simulated start-up delays. Every object goes through the
 * preload path (server-side apply, then the controllers), so its metadata,
 * owner references and statuses are those of any other object; only the
 * pods' per-step Events are left out.
 *
 *   POST /sim/seed {"stores":[{"id":"0123456789ab","project":"acme"}, ...],
 *                   "replicas":2}
 *   -> {"stores":N, "podsReady":M}
 *
 * id: 12 lowercase hex digits (an opsdeck store id); project: a DNS label
 * (default "seed"); replicas 1 to 50 (default 1); at most SEED_MAX stores
 * per request. Nothing is created unless every entry is valid. */
#ifndef OPSDECK_KUBESIM_SEED_H
#define OPSDECK_KUBESIM_SEED_H

#include <jansson.h>
#include <stdbool.h>

#include "sim.h"
#include "status.h"

#define SEED_MAX 100000

/* Lock held. On success *result is the summary (owned by the caller). */
bool seed_stores(struct sim *s, const json_t *body, json_t **result, struct apierr *e);

#endif
