/* The `opsdeck events list` command. */
#ifndef OPSDECK_CLI_CLI_EVENTS_H
#define OPSDECK_CLI_CLI_EVENTS_H

#include "cli/cli.h"

extern const struct cli_command *const cli_events_commands[];

#endif
