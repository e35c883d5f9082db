/* `opsdeck tunnel list|check|forward`: the tunnel profiles of the settings,
 * a connection test, and a foreground forward, over src/ssh. */
#ifndef OPSDECK_CLI_CLI_TUNNEL_H
#define OPSDECK_CLI_CLI_TUNNEL_H

#include "cli/cli.h"

extern const struct cli_command *const cli_tunnel_commands[];

#endif
