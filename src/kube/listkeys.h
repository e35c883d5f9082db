/* The keys of the associative lists of the object kinds a store holds, as a
 * real API server's server-side apply reads them (the OpenAPI schema's
 * x-kubernetes-list-map-keys, or the patch merge key of a list without a
 * list type): Service spec.ports (port, protocol), a container's ports
 * (containerPort, protocol), env (name), volumeMounts (mountPath), a pod's
 * containers, volumes (name) and so on.
 *
 * An entry that omits a key is refused by server-side apply ("associative
 * list with keys has an element that omits key field"). protocol is the
 * exception servers from 1.21 on fill in with its default (TCP); Kubernetes
 * 1.20 refuses it too (kubernetes-sigs/structured-merge-diff#183), so a
 * template meant for every supported server writes it.
 *
 * listkeys_check() walks one manifest as a YAML tree (a template or a
 * rendered object read back) and lists those entries with their position. */
#ifndef OPSDECK_KUBE_LISTKEYS_H
#define OPSDECK_KUBE_LISTKEYS_H

#include <stddef.h>

#include "yamldoc.h"

struct listkey_finding {
	unsigned line, column; /* where the list entry starts */
	char *message;	       /* a sentence naming the object, the entry and the key */
};

struct listkey_findings {
	struct listkey_finding *v;
	size_t n;
};

/* Appends to out, in file order, one finding per list entry of manifest m
 * that omits a key of its list (a key written as null counts as omitted).
 * Entries that are not mappings, and lists that are not lists, are left to
 * the loader. */
void listkeys_check(const struct ynode *m, struct listkey_findings *out);
void listkey_findings_free(struct listkey_findings *l);

#endif
