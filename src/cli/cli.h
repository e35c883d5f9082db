/* The scriptable command line: `opsdeck <noun> <verb> [options]`, over the
 * same core functions as the console. Exit codes: 0 ok, 1 failure, 2 usage.
 * Every listing takes --json. */
#ifndef OPSDECK_SRC_CLI_CLI_H
#define OPSDECK_SRC_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* Options common to every command, parsed by main before dispatch. */
struct cli_ctx {
	struct conf *conf;
	bool json;	   /* --json: machine-readable listings */
	FILE *out, *err;   /* stdout, stderr */
};

/* One `noun verb` command. argv[0] is the verb; the rest are its arguments. */
struct cli_command {
	const char *noun;
	const char *verb; /* NULL: the noun is the whole command (`opsdeck worker`) */
	const char *usage;   /* arguments, e.g. "NAME [--slug SLUG]" */
	const char *summary; /* one line for --help */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

/* Runs `noun verb args…`; argv[0] is the noun (an unknown one is a usage
 * error). `--help` or `-h` after a noun or verb prints its usage on
 * stdout. Returns an exit code. */
int cli_main(struct cli_ctx *ctx, int argc, char **argv);
/* Lists every command, for `opsdeck --help`. */
void cli_print_commands(FILE *out);
/* Calls fn for every command, in the order --help lists them. */
void cli_each_command(void (*fn)(const struct cli_command *c, void *arg), void *arg);

#endif
