/* `opsdeck tunnel list|check|forward`: the tunnel profiles of the settings,
 * a connection test, and a foreground forward, over src/ssh. */
#ifndef OPSDECK_CLI_CLI_TUNNEL_H
#define OPSDECK_CLI_CLI_TUNNEL_H

#include "cli/cli.h"

extern const struct cli_command *const cli_tunnel_commands[];

/* A key's passphrase from SSH_ASKPASS or the terminal, never echoed (a
 * tunnel_passphrase_fn, src/ssh/tunnel.h). */
bool cli_passphrase(const char *path, char *buf, size_t bufsz, struct err *why, void *ud);

#endif
