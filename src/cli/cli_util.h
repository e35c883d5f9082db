/* Helpers shared by the CLI's command modules: option parsing, the
 * database connection, plain-text tables and JSON output. */
#ifndef OPSDECK_CLI_CLI_UTIL_H
#define OPSDECK_CLI_CLI_UTIL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"
#include "db/db.h"

/* One option of a command: `--name VALUE` / `--name=VALUE` when value is
 * set, a flag when flag is set. --json is always accepted. */
/* An option that may be given several times: each value in turn, at most
 * max of them (more is a usage error). */
struct cli_values {
	const char **v;
	size_t n, max;
};

struct cli_opt {
	const char *name;
	const char **value;	   /* an option with a value: the last one given */
	bool *flag;		   /* an option without a value */
	struct cli_values *values; /* an option given any number of times */
};

/* Splits argv (argv[0] is the verb) into options and between min_pos and
 * max_pos positional words, stored in pos. Prints a usage message and
 * returns false on anything else. */
bool cli_parse(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv,
	       const struct cli_opt *opts, const char **pos, int min_pos, int max_pos, int *npos);

/* Opens the database of conf->database (libpq's environment if unset).
 * With check_schema, also refuses a database that is not migrated to what
 * this binary knows. Prints the reason and returns NULL on failure. */
PGconn *cli_db_open(struct cli_ctx *ctx, bool check_schema);

/* Runs one request on a fresh connection (schema checked) and frees it.
 * Returns the result (caller PQclear()s), or NULL after printing why. */
PGresult *cli_db_query(struct cli_ctx *ctx, struct db_req *r);

/* Prints "opsdeck: msg" on stderr; returns CLI_FAILED. */
int cli_fail(struct cli_ctx *ctx, const char *msg);

/* Prints a JSON value (and frees it); returns CLI_OK, or CLI_FAILED if the
 * output could not be written. */
int cli_json_print(struct cli_ctx *ctx, json_t *v);

/* A plain-text table: columns padded to the widest cell, two spaces apart. */
struct cli_table {
	size_t ncols;
	size_t nrows;
	char **cells; /* nrows x ncols, row 0 is the header */
	size_t cap;
};
void cli_table_init(struct cli_table *t, size_t ncols, const char *const *header);
/* Appends a row of ncols cells (copied). */
void cli_table_row(struct cli_table *t, const char *const *cells);
void cli_table_print(const struct cli_table *t, FILE *out);
void cli_table_free(struct cli_table *t);

#endif
