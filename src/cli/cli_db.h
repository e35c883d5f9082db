/* The `opsdeck db migrate|status` commands. */
#ifndef OPSDECK_CLI_CLI_DB_H
#define OPSDECK_CLI_CLI_DB_H

#include "cli/cli.h"

extern const struct cli_command *const cli_db_commands[];

#endif
