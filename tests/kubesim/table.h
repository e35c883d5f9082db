/* The Table form of lists and objects (Accept: application/json;as=Table;
 * g=meta.k8s.io;v=v1) that kubectl asks for to print its default output:
 * the columns and cells kubectl's own printers show for each kind. */
#ifndef OPSDECK_KUBESIM_TABLE_H
#define OPSDECK_KUBESIM_TABLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "restype.h"
#include "store.h"

enum out_fmt { FMT_JSON, FMT_TABLE, FMT_META };

/* include: "Metadata" (default), "Object" or "None". */
json_t *table_render(const struct restype *rt, struct obj *const *objs, size_t n,
		     const char *include, const char *table_version, int64_t now_ms);
/* A one-row table for a single document (get and watch events). */
json_t *table_of_doc(const struct restype *rt, const json_t *doc, const char *include,
		     const char *table_version, int64_t now_ms, int with_columns);
/* PartialObjectMetadata of a document. */
json_t *table_partial(const json_t *doc);
/* kubectl's age format: "10s", "5m3s", "2d4h". */
void table_age(int64_t ms, char *out, size_t n);

#endif
