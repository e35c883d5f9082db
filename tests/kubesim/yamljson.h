/* YAML (a superset of the JSON bodies kubectl sends) to jansson values, for
 * apply-patch+yaml bodies, application/yaml writes and --preload manifests.
 * Plain scalars resolve as the Go YAML library behind the API server does
 * (null, bools including yes/no/on/off, integers, floats, else strings);
 * quoted scalars are always strings. Anchors and aliases are refused. */
#ifndef OPSDECK_KUBESIM_YAMLJSON_H
#define OPSDECK_KUBESIM_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

/* Every non-empty document of the stream, as a JSON array. */
json_t *yamljson_docs(const char *text, size_t len, struct err *err);
/* Exactly one document (an empty stream gives an error). */
json_t *yamljson_one(const char *text, size_t len, struct err *err);

#endif
