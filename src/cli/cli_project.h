/* The `opsdeck customer ...` and `opsdeck project ...` commands. */
#ifndef OPSDECK_CLI_CLI_PROJECT_H
#define OPSDECK_CLI_CLI_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"

extern const struct cli_command *const cli_project_commands[];

/* The slug of the project (customer) ref names: its slug or its name, the
 * rule of db/projects.h (db/customers.h). On failure prints why (`no
 * project "x"`, or the projects sharing that name) and returns false. */
bool cli_project_slug(struct cli_ctx *ctx, const char *ref, char *slug, size_t slugsz);
bool cli_customer_slug(struct cli_ctx *ctx, const char *ref, char *slug, size_t slugsz);

#endif
