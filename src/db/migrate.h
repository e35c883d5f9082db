/* Schema migrations: numbered SQL files src/db/migrations/NNN_name.sql,
 * compiled into the binary (scripts/embed-files), applied in order.
 *
 * Contract:
 *  - migrate_run applies every pending migration in ONE transaction, under
 *    a transaction-level advisory lock, so concurrent runs (two consoles, a
 *    worker and the CLI starting together) serialise: the first applies, the
 *    others then find nothing pending. It waits at most 15 s for the lock
 *    ("another opsdeck is migrating the database; gave up after 15 s") and
 *    5 minutes for any statement. Each applied file is recorded in
 *    opsdeck.schema_migrations with a checksum of its text.
 *  - A database that has a migration this binary does not know (a newer
 *    opsdeck migrated it), or one whose recorded checksum differs from the
 *    file compiled in, is refused with a sentence saying so; nothing changes.
 *  - The API is blocking (libpq's blocking calls): the CLI uses it, and the
 *    console and the worker call migrate_ensure once at start, before their
 *    event loop runs. Nothing here is meant for the loop.
 *  - A migration file must not contain BEGIN/COMMIT: the runner owns the
 *    transaction. */
#ifndef OPSDECK_DB_MIGRATE_H
#define OPSDECK_DB_MIGRATE_H

#include <stdbool.h>

#include "db/db.h"
#include <stddef.h>

#include "conf.h"
#include "util.h"

struct migration {
	int version;
	char name[64]; /* "001_init" */
	const char *sql;
	char checksum[32];
};

/* The migrations compiled in, sorted by version; they must be numbered 1, 2,
 * 3... without gaps. Caller frees *out. */
bool migrate_known(struct migration **out, size_t *n, struct err *err);

enum migration_state {
	MIGRATION_APPLIED,
	MIGRATION_PENDING,
	MIGRATION_UNKNOWN, /* applied by a newer opsdeck */
	MIGRATION_CHANGED, /* applied, but the file compiled in differs */
};

struct migration_row {
	int version;
	char name[64];
	enum migration_state state;
	char applied_at[40]; /* ISO 8601 UTC, "" if pending */
};

struct migrate_status {
	struct migration_row *rows;
	size_t n;
	int db_version;	 /* highest applied version, 0 for an empty database */
	int bin_version; /* highest version this binary knows */
	size_t pending, unknown, changed;
};

bool migrate_status(PGconn *pg, struct migrate_status *st, struct err *err);
void migrate_status_free(struct migrate_status *st);
const char *migration_state_name(enum migration_state s);

/* Applies what is pending; *applied gets how many. Refused in read-only
 * mode. Writes one audit event when something was applied. */
bool migrate_run(PGconn *pg, const struct conf *conf, int *applied, struct err *err);

/* At start-up: migrate (or, read-only, check that nothing is pending). */
bool migrate_ensure(PGconn *pg, const struct conf *conf, struct err *err);

#endif
