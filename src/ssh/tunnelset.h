/* The tunnels of one process: one shared tunnel per profile, opened on
 * first use with the hops that lead to it (tunnel_chain_new: via and
 * ProxyJump), and one shared forward per remote endpoint. The clients that
 * ride tunnels (the cluster registry's, the database connection, the
 * RabbitMQ brokers') ask for "host:port through profile P" and get a local
 * 127.0.0.1 port at once (tunnel_forward_open binds before it returns);
 * connections made before the session is up wait for it.
 *
 * Two ways to drive it:
 *  - on the caller's loop (the console): everything happens on that loop;
 *  - on a thread of its own (blocking front ends such as the CLI, whose
 *    libpq and curl calls block the calling thread):
 *    tunnel_set_start_thread() runs the set's private loop; then
 *    tunnel_set_endpoint() may be called from any thread (the set's thread
 *    does it while the caller waits, which is not long: the listener is
 *    bound, the tunnel comes up later), the observer runs on the set's
 *    thread, and tunnel_set_free() stops and joins it; it may be called
 *    while other threads wait in tunnel_set_endpoint(), which then answer
 *    "closing", and returns once they have left. The set's thread blocks
 *    SIGINT, SIGTERM, SIGHUP and SIGQUIT: they reach the front end's. */
#ifndef OPSDECK_SRC_SSH_TUNNELSET_H
#define OPSDECK_SRC_SSH_TUNNELSET_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "ssh/profile.h"
#include "ssh/tunnel.h"
#include "util.h"

struct tunnel_set;

/* ps is copied. base gives the options every tunnel gets (passphrase
 * callback, backoff, timeouts); its on_state and ud are the set's own
 * observer's (tunnel_set_observe). loop NULL: a private loop, for
 * tunnel_set_start_thread(). */
struct tunnel_set *tunnel_set_new(struct loop *loop, const struct tunnel_profiles *ps,
				  const struct tunnel_opts *base);
void tunnel_set_free(struct tunnel_set *s);

/* The local port that reaches host:port through the profile named, or -1
 * with err set (no such profile, a bad ~/.ssh/config, no port to bind). */
int tunnel_set_endpoint(struct tunnel_set *s, const char *profile, const char *host, int port,
			struct err *err);

/* Why host:port through the profile may fail, as far as the set knows:
 * the bastion's refusal of the forward's last channel, else the tunnel's
 * down reason; "" when the tunnel is not open, up and refusing nothing.
 * Any thread, as tunnel_set_endpoint(). */
void tunnel_set_describe(struct tunnel_set *s, const char *profile, const char *host, int port,
			 char *buf, size_t bufsz);

/* The tunnels opened so far, each a profile's last hop, in the order they
 * were first used (on the
 * set's thread only, once it runs on one). */
size_t tunnel_set_count(const struct tunnel_set *s);
struct tunnel *tunnel_set_at(const struct tunnel_set *s, size_t i);
/* The tunnel of a profile, if it was opened. */
struct tunnel *tunnel_set_find(const struct tunnel_set *s, const char *profile);

/* fn runs on every change of any tunnel's state (on the set's loop). */
void tunnel_set_observe(struct tunnel_set *s, tunnel_state_fn *fn, void *ud);

/* Runs a private loop on a thread of its own (see above). */
bool tunnel_set_start_thread(struct tunnel_set *s, struct err *err);

#endif
