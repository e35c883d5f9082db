/* `opsdeck tunnel list|check|forward`: the tunnel profiles of the settings,
 * a connection test, and a foreground forward, over src/ssh. */
#ifndef OPSDECK_CLI_CLI_TUNNEL_H
#define OPSDECK_CLI_CLI_TUNNEL_H

#include "cli/cli.h"

extern const struct cli_command *const cli_tunnel_commands[];

/* A key's passphrase from SSH_ASKPASS or the terminal, never echoed (a
 * tunnel_passphrase_fn, src/ssh/tunnel.h). */
bool cli_passphrase(const char *path, char *buf, size_t bufsz, struct err *why, void *ud);

/* How a passphrase prompt ended: an interrupt (ctrl-C, SIGTERM) stops
 * the asking, where a refusal (ctrl-D, an askpass that fails) only skips
 * the key. */
enum cli_pass_end { CLI_PASS_GIVEN, CLI_PASS_REFUSED, CLI_PASS_INTERRUPTED };

/* cli_passphrase, saying how the prompt ended. */
enum cli_pass_end cli_passphrase_ask(const char *path, char *buf, size_t bufsz, struct err *why);

#endif
