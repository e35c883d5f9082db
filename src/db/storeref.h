/* How an operator names a store, in the CLI and in the console alike: its
 * id, a unique prefix of its id (STORE_REF_MIN_PREFIX hex digits or more),
 * its name (unique within its project), or PROJECT/NAME with the project's
 * slug. Deleted stores answer to their full id only, except where what a
 * deleted store still has is asked for (store_ref_pick_any).
 *
 * The order of the rule: a full id wins; then PROJECT/NAME or a name; then
 * an id prefix. Two stores that answer to the same name or prefix make the
 * reference ambiguous, and the error lists them so the operator can pick. */
#ifndef OPSDECK_DB_STOREREF_H
#define OPSDECK_DB_STOREREF_H

#include "db/db.h"
#include "db/stores.h"
#include "util.h"

#define STORE_REF_MIN_PREFIX 4

/* The rows (the store list's columns: parse with store_list_parse) of the
 * stores ref could name, for store_ref_pick. */
void store_req_ref(struct db_req *r, const char *ref);

/* The store ref names among l's rows, or NULL with err saying why in
 * words: `no store "x"`, or `"web" names 2 stores: acme/web (4f1c2a9be310),
 * shop/web (9a0b7c3d2e11); give PROJECT/NAME or the id`. */
const struct store *store_ref_pick(const struct store_list *l, const char *ref, struct err *err);

/* As store_ref_pick; and when no live store answers to ref by name or id
 * prefix, the deleted store that does: the one deleted last when they are
 * all one PROJECT/NAME, else an error listing them. A live store always
 * goes first, so a name reused by a newer store names that one. */
const struct store *store_ref_pick_any(const struct store_list *l, const char *ref,
				       struct err *err);

/* When deleted store s was deleted (its last change, as a deleted store
 * never changes again), "2026-12-04 03:12 UTC". */
void store_deleted_on(const struct store *s, char *buf, size_t bufsz);

/* Whether s answers to ref (as a candidate; store_ref_pick decides among
 * several): for completion and for reading candidates. */
bool store_ref_matches(const struct store *s, const char *ref);

/* The shortest reference that picks s among l's rows: its name when no
 * other live store has that name, else PROJECT/NAME. O(l->n). */
void store_ref_short(const struct store_list *l, const struct store *s, char *buf, size_t bufsz);

/* Completion of a store reference: for each live store, its short
 * reference when it or the store's name starts with prefix, with its id as a note after a tab
 * ("web\t4f1c2a9be310"), or its id when the prefix starts it (its short
 * reference as the note). Each allocated; returns how many. */
size_t store_ref_complete(const struct store_list *l, const char *prefix, char ***out);

#endif
