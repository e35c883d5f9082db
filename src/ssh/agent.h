/* Whether an ssh-agent answers, and with a key, asked within a bound: a
 * forwarded agent whose far end is gone may take a connection and never
 * answer, and libssh2's own agent calls block without a limit. */
#ifndef OPSDECK_SRC_SSH_AGENT_H
#define OPSDECK_SRC_SSH_AGENT_H

#include <stdbool.h>

/* True when the agent at path (SSH_AUTH_SOCK) lists at least one key within
 * timeout_ms; a stale socket, a silent agent or an empty one: false. */
bool ssh_agent_has_keys(const char *path, long timeout_ms);

#endif
