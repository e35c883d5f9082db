/* Start-up content: --preload FILE (a multi-document YAML manifest applied
 * in order, namespaces created as needed) and --demo (a few sample store
 * namespaces with their workloads, one of them stuck in ImagePullBackOff,
 * and Kafka topics, so a console pointed at the simulator is not empty). */
#ifndef OPSDECK_KUBESIM_DEMO_H
#define OPSDECK_KUBESIM_DEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "sim.h"
#include "util.h"

/* Lock held. label names the source in messages. */
bool demo_apply_text(struct sim *s, const char *label, const char *text, size_t len,
		     struct err *err);
bool demo_apply_file(struct sim *s, const char *path, struct err *err);
bool demo_load(struct sim *s, struct err *err);
/* The namespaces every cluster has. Lock held. */
void demo_bootstrap(struct sim *s);

#endif
