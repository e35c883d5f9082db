/* How a client reaches a server that sits behind a tunnel. The front end
 * (console, CLI, worker) installs one route function for the process,
 * backed by its tunnel set (src/ssh/tunnelset); the database connection,
 * the cluster registry's clients and the RabbitMQ clients ask it for "host:
 * port through profile P" when their settings name a profile, and connect
 * to 127.0.0.1 on the port it gives, keeping the real name for TLS
 * (SNI, certificate verification), the Host header and .pgpass. Modules
 * below the front ends never open tunnels themselves. */
#ifndef OPSDECK_SRC_ROUTE_H
#define OPSDECK_SRC_ROUTE_H

#include "util.h"

/* The local port on 127.0.0.1 that reaches host:port through the profile,
 * or -1 with err set. Called on the thread that asks; it does not wait for
 * the tunnel to come up (connections made before that wait for it). */
typedef int route_fn(void *ud, const char *profile, const char *host, int port, struct err *err);

/* fn NULL: none (every profile is then refused in words). Waits for the
 * calls of the route in place to return: not to be called from a route. */
void route_install(route_fn *fn, void *ud);
/* profile NULL or empty: 0, directly. Otherwise the installed route's
 * answer. */
int route_endpoint(const char *profile, const char *host, int port, struct err *err);

/* What the front end's tunnels know of why host:port through the profile
 * fails (the bastion's refusal of the last channel, the tunnel's down
 * reason), for a client's failure message; buf gets "" when nothing. */
typedef void route_describe_fn(void *ud, const char *profile, const char *host, int port,
			       char *buf, size_t bufsz);
/* fn NULL: none. */
void route_install_describe(route_describe_fn *fn, void *ud);
void route_describe(const char *profile, const char *host, int port, char *buf, size_t bufsz);

#endif
