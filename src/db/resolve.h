/* Host name lookups off the event loop, for the database connection
 * (libpq resolves names with a blocking getaddrinfo on every connect).
 *
 * Contract:
 *  - db_resolve_start starts a lookup of host on a thread of its own and
 *    returns at once; fn is called from the loop, once, with the
 *    addresses found (numeric, comma-separated, as libpq's hostaddr takes
 *    them, at most DB_RESOLVE_MAX) and n > 0, or NULL, 0 and the reason.
 *  - db_resolve_cancel (NULL accepted) stops the wait: fn is not called.
 *    A lookup that is still running finishes on its thread and is freed
 *    there; the caller bounds the wait with its own timer.
 *  - db_resolve_needed says whether a host needs a lookup at all: not a
 *    Unix socket directory, an abstract socket, a numeric address, or a
 *    list of several hosts (those libpq handles itself). */
#ifndef OPSDECK_DB_RESOLVE_H
#define OPSDECK_DB_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

#define DB_RESOLVE_MAX 4

struct db_resolve;

typedef void (*db_resolve_fn)(void *ud, const char *addrs, size_t n, const char *error);

bool db_resolve_needed(const char *host);
struct db_resolve *db_resolve_start(struct loop *loop, const char *host, db_resolve_fn fn,
				    void *ud);
void db_resolve_cancel(struct db_resolve *r);

#endif
