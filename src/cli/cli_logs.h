/* `opsdeck logs`: a store's (or a pod's, or a label selector's) container
 * logs on stdout, read to the end or followed, over the log session of
 * src/logs. */
#ifndef OPSDECK_CLI_CLI_LOGS_H
#define OPSDECK_CLI_CLI_LOGS_H

#include "cli/cli.h"

extern const struct cli_command *const cli_logs_commands[];

#endif
