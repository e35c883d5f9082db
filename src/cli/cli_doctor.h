/* `opsdeck doctor`: checks the settings, the database and every cluster
 * opsdeck places stores on, and says in words what is wrong. */
#ifndef OPSDECK_CLI_CLI_DOCTOR_H
#define OPSDECK_CLI_CLI_DOCTOR_H

#include "cli/cli.h"

extern const struct cli_command *const cli_doctor_commands[];

#endif
