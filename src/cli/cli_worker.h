/* `opsdeck worker`: the headless job runner. */
#ifndef OPSDECK_CLI_CLI_WORKER_H
#define OPSDECK_CLI_CLI_WORKER_H

#include "cli/cli.h"

extern const struct cli_command *const cli_worker_commands[];

#endif
