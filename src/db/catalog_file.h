/* Catalog files (catalog/NAME.yaml): one offering, its plans, and the
 * manifests of a store of that kind as a template.
 *
 *   offering: {slug, name, kind, description, state}
 *   plans:    [{name, replicas, cpu_request, cpu_limit, memory_request,
 *               memory_limit, storage, monthly_price}, ...]
 *   manifests: [Kubernetes objects, ...]
 *
 * The loader checks the whole file (types, required and unknown keys,
 * DNS-1123 names, plan numbers, allowed object kinds, placeholders) and
 * reports the first problem as `file:line:column: what is wrong`.
 *
 * Placeholders `{{ name }}` may appear only inside scalar values (never in
 * keys), so rendering cannot change a document's structure. The names are
 * those of catalog_placeholders[]. Rendering contract for the provisioner:
 * substitute in every scalar value with catalog_expand(); a value that is
 * exactly one placeholder whose text is a whole number (plan.replicas) is
 * emitted as a number, everything else as a string. */
#ifndef OPSDECK_DB_CATALOG_FILE_H
#define OPSDECK_DB_CATALOG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "kube/listkeys.h"
#include "util.h"

#define CATALOG_MAX_FILE_BYTES (1024 * 1024)
#define CATALOG_MAX_PLANS 10
#define CATALOG_MAX_MANIFESTS 50

struct catalog_plan {
	char name[64];
	long replicas;
	long cpu_request_millis, cpu_limit_millis;
	long memory_request_mib, memory_limit_mib;
	long storage_gib;
	char monthly_price[16]; /* decimal text, e.g. "19.00" */
};

struct catalog_file {
	char *path;
	char slug[64];
	char *name;
	char kind[32];
	char *description;
	char state[16];
	struct catalog_plan plans[CATALOG_MAX_PLANS];
	size_t nplans;
	size_t nmanifests;
	char *text; /* the whole file: stored as the offering's template */
	/* What a real server may refuse though the file is valid: list entries
	 * without a key server-side apply needs (kube/listkeys.h), in file
	 * order. A warning, not an error: the file loads. */
	struct listkey_findings warnings;
};

/* The placeholder names a template may use; NULL-terminated. */
extern const char *const catalog_placeholders[];
/* The offering kinds opsdeck can provision; NULL-terminated. */
extern const char *const catalog_kinds[];

struct catalog_file *catalog_file_load(const char *path, struct err *err);
/* label names the text in messages (a file name). */
struct catalog_file *catalog_file_parse(const char *label, const char *text, size_t len,
					struct err *err);
void catalog_file_free(struct catalog_file *f);

/* Replaces every {{ name }} in s with lookup(name) into out. Fails, with a
 * sentence in err, on an unterminated or malformed placeholder or when
 * lookup returns NULL (an unknown name). */
bool catalog_expand(const char *s, const char *(*lookup)(void *ud, const char *name), void *ud,
		    struct buf *out, struct err *err);

#endif
