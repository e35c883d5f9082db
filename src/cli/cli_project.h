/* The `opsdeck customer ...` and `opsdeck project ...` commands. */
#ifndef OPSDECK_CLI_CLI_PROJECT_H
#define OPSDECK_CLI_CLI_PROJECT_H

#include "cli/cli.h"

extern const struct cli_command *const cli_project_commands[];

#endif
