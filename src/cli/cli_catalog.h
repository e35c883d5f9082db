/* The `opsdeck catalog ...` commands. */
#ifndef OPSDECK_CLI_CLI_CATALOG_H
#define OPSDECK_CLI_CLI_CATALOG_H

#include "cli/cli.h"

extern const struct cli_command *const cli_catalog_commands[];

#endif
