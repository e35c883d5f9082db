/* Resource quantities ("100m", "1Gi", "2") and ResourceQuota accounting:
 * usage of a namespace for the resources a quota names, and the admission
 * check that refuses a create that would exceed a quota, worded as the real
 * quota admission plugin words it. Runs with the simulator lock held. */
#ifndef OPSDECK_KUBESIM_QUOTA_H
#define OPSDECK_KUBESIM_QUOTA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "restype.h"
#include "status.h"

struct store;

/* Parses a quantity into thousandths of its unit; false if malformed. */
bool quantity_parse(const char *s, int64_t *milli);
/* Canonical text: "500m", "2", "256Mi", "1Gi". */
void quantity_format(int64_t milli, char *out, size_t n);
/* Whether a quota resource name is one kubesim accounts for. */
bool quota_known_resource(const char *name);

/* status.used for a quota whose spec.hard is `hard`, in namespace ns. */
json_t *quota_usage(struct store *st, const char *ns, const json_t *hard);
/* Admission of a new object: false with a 403 in e if a quota of the
 * namespace would be exceeded or cannot account for it. */
bool quota_admit(struct store *st, const struct restype *rt, const json_t *doc, struct apierr *e);

#endif
