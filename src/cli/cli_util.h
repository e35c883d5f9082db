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
#include "db/stores.h"
#include "util.h"

/* An option that may be given several times: each value in turn, at most
 * max of them (more is a usage error). */
struct cli_values {
	const char **v;
	size_t n, max;
};

/* One option of a command: `--name VALUE` / `--name=VALUE` when value is
 * set, a flag when flag is set. --json is always accepted. */
struct cli_opt {
	const char *name;
	const char **value;	   /* an option with a value: the last one given */
	bool *flag;		   /* an option without a value */
	struct cli_values *values; /* an option given any number of times */
	bool empty_ok;		   /* free text, which "" clears */
};

/* Splits argv (argv[0] is the verb) into options and between min_pos and
 * max_pos positional words, stored in pos. An empty value or word is a
 * usage error, except the value of an option marked empty_ok. Prints a
 * usage message and returns false on anything else. */
bool cli_parse(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv,
	       const struct cli_opt *opts, const char **pos, int min_pos, int max_pos, int *npos);

/* Opens the database of conf->database (libpq's environment if unset).
 * With check_schema, also refuses a database that is not migrated to what
 * this binary knows. Prints the reason and returns NULL on failure. */
PGconn *cli_db_open(struct cli_ctx *ctx, bool check_schema);

/* Runs one request on a fresh connection (schema checked) and frees it.
 * Returns the result (caller PQclear()s), or NULL after printing why. */
PGresult *cli_db_query(struct cli_ctx *ctx, struct db_req *r);

/* The errors, worded alike by every command:
 *  - usage (exit 2): unknown option, missing or extra argument, a value
 *    that is not of the form asked: "opsdeck: WHAT", then the usage line;
 *  - not found (exit 1): `opsdeck: no KIND "NAME"`;
 *  - refused or failed (exit 1): "opsdeck: WHY" (read-only mode, a state
 *    or quota the database refuses, an unreachable server).
 * Words from the command line are shown through cli_shown. */

/* Prints "opsdeck: msg" on stderr; returns CLI_FAILED. */
int cli_fail(struct cli_ctx *ctx, const char *msg);
int cli_failf(struct cli_ctx *ctx, const char *fmt, ...) ATTR_FORMAT(2, 3);
/* A usage error of cmd (NULL: no usage line); returns CLI_USAGE. */
int cli_usage(struct cli_ctx *ctx, const struct cli_command *cmd, const char *fmt, ...)
	ATTR_FORMAT(3, 4);
/* Says why a request builder of a change (db/) refused: the settings
 * (read-only mode) are a refusal, exit 1; anything else is a value of the
 * wrong form, a usage error of cmd, exit 2. The builders check the
 * settings first, then the values. */
int cli_request_refused(struct cli_ctx *ctx, const struct cli_command *cmd, const struct err *err);
/* `opsdeck: no KIND "NAME"`; returns CLI_FAILED. */
int cli_not_found(struct cli_ctx *ctx, const char *kind, const char *name);

/* A word of the command line safe to print: control characters become
 * spaces (as in every message of opsdeck that echoes text), long text is
 * cut. */
#define CLI_SHOWN_SIZE 96
const char *cli_shown(const char *word, char buf[CLI_SHOWN_SIZE]);

/* The kube context chosen before the command (--context, or the setting
 * kube.context) must be in the kubeconfig: true if it is or none was
 * chosen, else false after saying so (exit 1). Commands that talk to the
 * clusters of the database check it, so that a mistyped one is not
 * silently passed over. */
bool cli_kube_context_known(struct cli_ctx *ctx);

/* Prints cmd's usage line to out. */
void cli_print_usage(FILE *out, const struct cli_command *cmd);

/* Runs r, a request answered in the store list's columns, and parses its
 * rows into l (store_list_free()); false after printing why. */
bool cli_store_list(struct cli_ctx *ctx, struct db_req *r, struct store_list *l);

/* The store ref names (its id, a unique id prefix, its name or
 * PROJECT/NAME, as db/storeref says): *s points into l, which the caller
 * frees with store_list_free(). False after printing why (a store not
 * found or a name that picks several: exit 1); l is then empty. */
bool cli_store_ref(struct cli_ctx *ctx, const char *ref, struct store_list *l,
		   const struct store **s);
/* The same, and a deleted store when no live one answers to a name or id
 * prefix (store_ref_pick_any): for what a deleted store still has. */
bool cli_store_ref_any(struct cli_ctx *ctx, const char *ref, struct store_list *l,
		       const struct store **s);

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
