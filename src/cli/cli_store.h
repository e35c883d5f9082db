/* `opsdeck cluster …` and `opsdeck store …`: clusters, ordering stores and
 * asking for operations on them (each becomes a job for a runner), with
 * --wait to follow the job to its end. */
#ifndef OPSDECK_CLI_CLI_STORE_H
#define OPSDECK_CLI_CLI_STORE_H

#include "cli/cli.h"

extern const struct cli_command *const cli_store_commands[];

#endif
