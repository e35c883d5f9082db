/* `opsdeck queue list|peek|purge|move`: RabbitMQ queues over the brokers'
 * management API (mq/rabbit.h); purge and move are audited and refused in
 * read-only mode. */
#ifndef OPSDECK_CLI_CLI_QUEUE_H
#define OPSDECK_CLI_CLI_QUEUE_H

#include "cli/cli.h"

extern const struct cli_command *const cli_queue_commands[];

#endif
