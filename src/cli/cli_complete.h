/* `opsdeck complete`: the names shell completion offers (stores, projects,
 * customers, offerings, clusters), and the command table the completion
 * scripts are generated from. */
#ifndef OPSDECK_CLI_CLI_COMPLETE_H
#define OPSDECK_CLI_CLI_COMPLETE_H

#include <stdio.h>

#include "cli/cli.h"

extern const struct cli_command *const cli_complete_commands[];

/* The word kinds of cmd's usage, one line for the completion scripts:
 * `NOUN VERB ARG…` (VERB is `-` for a noun that is a command on its own).
 * Each positional argument is `<KIND>` or `<KIND>...` (repeated), each
 * option `--NAME` (a flag) or `--NAME=<KIND>`. KIND is a name opsdeck
 * completes (store, project, customer, offering, cluster), `file`, `any`,
 * or the words it may be, `a|b|c`. */
void cli_complete_describe(FILE *out, const struct cli_command *cmd);

#endif
