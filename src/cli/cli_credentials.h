/* `opsdeck store credentials ID`: reveals a store's credentials, read from
 * its Secret on the cluster after an audit event says who asked. */
#ifndef OPSDECK_CLI_CLI_CREDENTIALS_H
#define OPSDECK_CLI_CLI_CREDENTIALS_H

#include "cli/cli.h"

extern const struct cli_command *const cli_credentials_commands[];

#endif
