/* The CLI's tunnels: the route (src/route.h) every command's clients ask,
 * backed by a tunnel set made on first use and run on a thread of its own
 * (the CLI's database and HTTP calls block the thread that makes them),
 * with the terminal's passphrase prompt. */
#ifndef OPSDECK_CLI_CLI_ROUTE_H
#define OPSDECK_CLI_CLI_ROUTE_H

#include <stdio.h>

#include "conf.h"

/* Installs the route for conf's tunnel profiles (conf must outlive
 * cli_route_end), and the settings that name them: kube.tunnels and
 * database_tunnel. A tunnel that goes down, and comes back, is said on
 * err. */
void cli_route_begin(const struct conf *conf, FILE *err);
/* Closes the tunnels opened and takes the route away. */
void cli_route_end(void);

#endif
