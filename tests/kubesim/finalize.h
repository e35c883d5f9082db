/* Finalizers, honoured as the real API server and namespace controller
 * honour them.
 *
 * An object whose metadata.finalizers is not empty is never removed by a
 * delete: it gets metadata.deletionTimestamp (and deletionGracePeriodSeconds
 * 0) and stays, visible to get, list and watch (a MODIFIED event), until
 * writes have emptied its finalizers; the write that empties them removes
 * it (a DELETED event carrying its last stored state, as etcd's delete
 * does; the write is answered with the state it asked for). A namespace
 * also waits for its spec.finalizers ("kubernetes"), which the namespace
 * controller removes once the namespace's content is gone; content with
 * finalizers of its own keeps it waiting, and the namespace's
 * status.conditions say so in the real controller's words.
 *
 * Everything here runs with the simulator lock held. */
#ifndef OPSDECK_KUBESIM_FINALIZE_H
#define OPSDECK_KUBESIM_FINALIZE_H

#include <jansson.h>
#include <stdbool.h>

#include "store.h"

/* Whether the string array `list` (may be NULL) holds name. */
bool fin_listed(const json_t *list, const char *name);
/* Adds name to doc's metadata.finalizers unless it is there. */
void fin_add(json_t *doc, const char *name);
/* Whether doc's metadata.finalizers names anything. */
bool fin_pending(const json_t *doc);
/* Whether doc, a state of an object of type rt, is still held back from
 * removal: metadata.finalizers, or for a namespace spec.finalizers too. */
bool fin_held(const struct restype *rt, const json_t *doc);
/* Ends the deletion of o (not a namespace) once its grace period and
 * cascade are over: removes it, or while metadata.finalizers remain marks
 * it deleted now with grace 0 (if it is not already) and keeps it.
 * Returns whether o is gone (the pointer is then invalid). */
bool fin_delete(struct store *st, struct obj *o);
/* A controller done with its part: drops `name` from o's
 * metadata.finalizers; an object being deleted goes once nothing holds it. */
void fin_drop(struct store *st, struct obj *o, const char *name);
/* One pass of the namespace controller over ns, which is being deleted:
 * deletes its content (objects with finalizers are marked and stay), sets
 * its status.conditions to what remains, and once nothing does removes
 * "kubernetes" from its spec.finalizers -- which removes the namespace
 * unless its own metadata.finalizers still hold it. Returns true when the
 * controller is done with ns (ns may be gone). */
bool fin_namespace_pass(struct store *st, struct obj *ns);

#endif
