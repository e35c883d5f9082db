/* The `opsdeck job` commands: list, show, retry, cancel. */
#ifndef OPSDECK_CLI_CLI_JOB_H
#define OPSDECK_CLI_CLI_JOB_H

#include "cli/cli.h"

extern const struct cli_command *const cli_job_commands[];

#endif
