/* The CLI's tunnels: the route (src/route.h) every command's clients ask,
 * backed by a tunnel set made on first use and run on a thread of its own
 * (the CLI's database and HTTP calls block the thread that makes them),
 * with the terminal's passphrase prompt: asked on the thread that asks for
 * the endpoint, before the tunnel connects, and kept for the set's thread
 * in locked memory until cli_route_end. */
#ifndef OPSDECK_CLI_CLI_ROUTE_H
#define OPSDECK_CLI_CLI_ROUTE_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"

/* Installs the route for conf's tunnel profiles (conf must outlive
 * cli_route_end), and the settings that name them: kube.tunnels and
 * database_tunnel. A tunnel that goes down, and comes back, is said on
 * err. */
void cli_route_begin(const struct conf *conf, FILE *err);
/* For shell completion: no passphrase is asked (only the agent's keys and
 * unencrypted identity files are tried) and nothing is said of the
 * tunnels. Between cli_route_begin and the first use of a tunnel. */
void cli_route_quiet(void);
/* Asks now for the passphrases of every tunnel profile the settings name
 * (database_tunnel, kube.tunnels, the brokers' tunnels), for a command
 * whose loop thread must not wait on a prompt later. False when the
 * operator interrupted a prompt. */
bool cli_route_ask_all(const struct conf *conf);
/* Whether the operator interrupted a passphrase prompt: the command then
 * ends as interrupted (exit status 130). */
bool cli_route_interrupted(void);
/* Closes the tunnels opened, takes the route away and wipes the
 * passphrases kept. */
void cli_route_end(void);

#endif
