/* An SSH tunnel to a bastion, driven by the event loop: one non-blocking
 * libssh2 session per tunnel (no thread), local listeners on 127.0.0.1 whose
 * connections ride `direct-tcpip` channels.
 *
 * Contract:
 *  - tunnel_new() starts connecting at once: name resolution off the loop
 *    (db/resolve.h: a lookup still running when the attempt ends is let go,
 *    never waited for), a non-blocking connect, the handshake, the host key
 *    checked against known_hosts before anything is sent, then public-key
 *    authentication with the agent's keys and the profile's identity files.
 *  - Every libssh2 call that answers EAGAIN is repeated with the same
 *    arguments once the socket is ready in the directions
 *    libssh2_session_block_directions() names, before any other call that
 *    sends; channel opens are one at a time (libssh2 keeps one open state
 *    per session).
 *  - Flow control both ways: a side is not read while the buffer towards
 *    its peer is full; the SSH window holds the remote side back. Each
 *    direction ends on its own: an end of stream from one side is passed
 *    on while the other direction goes on to its end.
 *  - A channel is closed and freed through the same repeated calls; one left
 *    with a packet half sent, or whose close the bastion does not answer
 *    within the bound below, takes the session down with it.
 *  - Health: a keepalive and a round-trip probe every keepalive interval;
 *    a session whose probe or pending write makes no progress for three
 *    intervals (at least 10 s) is dead. A dropped session is re-established
 *    with capped exponential backoff, unless the tunnel was made `once`.
 *  - tunnel_forward_open() gives a local endpoint at once (the listener is
 *    bound before it returns): connections made to it before the session is
 *    up wait for it (at most 20 s), so a client may ask for "host:port via
 *    this profile" and connect without waiting for the tunnel itself.
 *  - Passphrases come from the passphrase callback only when a key needs
 *    one, outside the connect timeout (which starts again once it returns).
 *    With passphrase_ask instead, the question is put and the attempt is
 *    parked (no timer runs against it, nothing is sent) until
 *    tunnel_passphrase_answer(); the connect timeout starts again then.
 *    A passphrase that opened its key is kept for this tunnel's
 *    reconnections, in memory locked against swap and left out of core
 *    dumps where the system allows; it is wiped when it proves wrong and
 *    when the tunnel is freed, and never logged. */
#ifndef OPSDECK_SRC_SSH_TUNNEL_H
#define OPSDECK_SRC_SSH_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "ssh/hostkey.h"
#include "ssh/profile.h"
#include "util.h"

struct tunnel;
struct tunnel_forward;

enum tunnel_state { TUNNEL_CONNECTING, TUNNEL_UP, TUNNEL_DOWN };

struct tunnel_status {
	enum tunnel_state state;
	long rtt_ms;	       /* up: the last probe's round trip; -1: none yet */
	char reason[512];      /* down: why, in words */
	char hostkey_type[32]; /* once the handshake is done */
	char fingerprint[HOSTKEY_FP_SIZE];
	bool hostkey_recorded; /* accept-new recorded the key */
	char auth[320];	       /* up: how the session authenticated */
	long retry_in_ms;      /* down: time to the next attempt; -1: none */
	/* the last attempt's stages, in ms from its start; -1: not reached */
	long connect_ms, handshake_ms, auth_ms;
	unsigned ups; /* times the session came up */
};

/* Called on every change of state or round-trip time. */
typedef void tunnel_state_fn(struct tunnel *t, void *ud);
/* The longest passphrase a key may have, in bytes (as ssh reads them). */
#define TUNNEL_PASSPHRASE_MAX 1023

/* Fills buf (bufsz bytes, room for TUNNEL_PASSPHRASE_MAX and the NUL) with
 * the passphrase of the key at path; false, with why in words ("cancelled",
 * too long), when there is none to give: the key is then skipped. */
typedef bool tunnel_passphrase_fn(const char *path, char *buf, size_t bufsz, struct err *why,
				  void *ud);
/* Memory for passphrases, as the tunnels keep theirs: size bytes or more
 * (*mapped, whole pages), zeroed, locked against swap, left out of core
 * dumps and wiped in forked children where the system allows; NULL when
 * none could be had. tunnel_secret_free wipes it first. */
void *tunnel_secret_alloc(size_t size, size_t *mapped);
void tunnel_secret_free(void *v, size_t mapped);

/* Puts the question for the key at path and returns at once; the answer
 * comes later, on the loop, through tunnel_passphrase_answer(t, path, ...)
 * (not from inside this call). */
typedef void tunnel_passphrase_ask_fn(struct tunnel *t, const char *path, void *ud);
/* The question put for path is no longer wanted (the attempt ended, or t
 * is being freed: called from tunnel_free): no answer may be given. */
typedef void tunnel_passphrase_withdrawn_fn(struct tunnel *t, const char *path, void *ud);

struct tunnel_opts {
	bool once;		 /* no reconnection after a failure or a drop */
	long connect_timeout_ms; /* 0: 15 s, from the connect to authenticated */
	long backoff_min_ms;	 /* 0: 500 ms */
	long backoff_max_ms;	 /* 0: 30 s */
	tunnel_state_fn *on_state;
	tunnel_passphrase_fn *passphrase;
	/* Both or neither; when set, used instead of passphrase. */
	tunnel_passphrase_ask_fn *passphrase_ask;
	tunnel_passphrase_withdrawn_fn *passphrase_withdrawn;
	void *ud;
	/* The tunnel this one rides (owned by the caller, freed after this
	 * one): instead of connecting to the profile's host:port, the session
	 * goes over a socket pair that the outer tunnel carries there on a
	 * `direct-tcpip` channel, as the outer bastion resolves the name. The
	 * host key is still checked against the profile's host and port. When
	 * the outer tunnel goes down this one goes down ("via NAME:
	 * why"); its next attempt waits for the outer one to be up again. */
	struct tunnel *via;
};

/* p is resolved (tunnel_profile_resolve) and copied. A profile reached
 * through other hops (via, ProxyJump) needs o->via: tunnel_chain_new()
 * makes them so; without it the tunnel stays down, saying why, rather than
 * connect to the host directly. */
struct tunnel *tunnel_new(struct loop *loop, const struct tunnel_profile *p,
			  const struct tunnel_opts *o);
/* Closes every forward and connection and the session. */
void tunnel_free(struct tunnel *t);
const struct tunnel_status *tunnel_status(const struct tunnel *t);
const char *tunnel_name(const struct tunnel *t);
/* The resolved profile the tunnel connects with. */
const struct tunnel_profile *tunnel_profile_of(const struct tunnel *t);
/* "connecting", "up", "down". */
const char *tunnel_state_name(enum tunnel_state s);
/* Answers the question put by passphrase_ask for the key at path: pass is
 * its passphrase, NULL when the operator cancelled (the key is skipped, as
 * is an empty or too long one). pass is copied into the tunnel's locked
 * slot; the caller keeps and wipes its own copy. The attempt resumes on the
 * loop's next turn. False, and nothing kept, when t is not waiting for
 * path's passphrase (the question was withdrawn). */
bool tunnel_passphrase_answer(struct tunnel *t, const char *path, const char *pass);
/* Measures the round trip now (an answer the server must give); the result
 * comes through on_state. */
void tunnel_probe(struct tunnel *t);

/* A listener on 127.0.0.1:local_port (0: an ephemeral port) whose
 * connections are carried to host:port as the bastion resolves it. */
struct tunnel_forward *tunnel_forward_open(struct tunnel *t, const char *host, int port,
					   int local_port, struct err *err);
int tunnel_forward_local_port(const struct tunnel_forward *f);
/* Connections carried so far, and why the bastion refused the last
 * connection it was asked to open ("" once one opens). */
unsigned long tunnel_forward_count(const struct tunnel_forward *f);
const char *tunnel_forward_error(const struct tunnel_forward *f);
/* Closes the listener and its connections. */
void tunnel_forward_close(struct tunnel_forward *f);

/* ---- chains ----
 * The tunnels that reach a profile's bastion through its hops
 * (tunnel_profile_hops: `via` and ~/.ssh/config ProxyJump), each riding the
 * one before it; a profile without hops makes a chain of one. */
struct tunnel_chain;

/* Resolves the profile named name of ps and its hops, and starts a tunnel
 * for each, the outermost first, each with o (whose via, if set, carries
 * the outermost). NULL, with why in words, for an unknown profile, a bad
 * chain or a bad ~/.ssh/config. */
struct tunnel_chain *tunnel_chain_new(struct loop *loop, const struct tunnel_profiles *ps,
				      const char *name, const struct tunnel_opts *o,
				      struct err *err);
/* The tunnel to the profile's own bastion: the one to open forwards on. */
struct tunnel *tunnel_chain_last(const struct tunnel_chain *c);
size_t tunnel_chain_len(const struct tunnel_chain *c);
/* Hop i, 0 the outermost; NULL past the end. */
struct tunnel *tunnel_chain_hop(const struct tunnel_chain *c, size_t i);
/* Frees every tunnel of the chain, the innermost first. */
void tunnel_chain_free(struct tunnel_chain *c);

#endif
