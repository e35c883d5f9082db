/* Tunnel profiles: the `tunnels:` list of the settings, each a bastion to
 * reach and how to authenticate to it and check its host key. Read and
 * checked here (names unique, values in range, unknown keys refused, each
 * error as file:line:column), then resolved into what a session uses:
 * `~` expanded, defaults as ssh has them. Passphrases are never part of a
 * profile. */
#ifndef OPSDECK_SRC_SSH_PROFILE_H
#define OPSDECK_SRC_SSH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "ssh/hostkey.h"
#include "util.h"
#include "yamldoc.h"

struct tunnel_profile {
	char *name;
	char *ssh_config_host; /* a Host of ~/.ssh/config the rest defaults from */
	char *host;	       /* the bastion's name or address */
	long port;	       /* 0: unset (22) */
	char *user;	       /* NULL: the login name */
	char **identity_files; /* tried in order */
	size_t n_identity_files;
	bool agent;	    /* try the keys of $SSH_AUTH_SOCK first */
	bool agent_set, policy_set; /* given in the settings, not defaults */
	char **known_hosts; /* the first one records new keys */
	size_t n_known_hosts;
	enum hostkey_policy policy;
	long keepalive_s; /* keepalive and round-trip probe interval */
	char *via;	  /* the profile whose tunnel carries this one's session */
	/* Resolved from ~/.ssh/config when via is unset: its ProxyJump as
	 * written, "[user@]host[:port]" hops separated by commas. */
	char *proxy_jump;
};

/* The most hops a chain has, the bastion itself included. */
#define TUNNEL_MAX_HOPS 8

struct tunnel_profiles {
	struct tunnel_profile *v;
	size_t n;
};

/* Reads the `tunnels:` node (a list of mappings) into out, which is
 * replaced only on success. A `via` must name another profile, with no
 * circle (a via b via a) and at most TUNNEL_MAX_HOPS hops. */
bool tunnel_profiles_read(const struct ydoc *doc, const struct ynode *list,
			  struct tunnel_profiles *out, struct err *err);
void tunnel_profiles_free(struct tunnel_profiles *ps);
void tunnel_profiles_copy(struct tunnel_profiles *dst, const struct tunnel_profiles *src);
const struct tunnel_profile *tunnel_profiles_find(const struct tunnel_profiles *ps,
						  const char *name);

/* A copy of p with every default filled in and `~/` expanded. With
 * ssh_config_host, what the profile leaves unset comes from that Host of
 * ~/.ssh/config (HostName, Port, User, IdentityFile, IdentitiesOnly, which
 * turns the agent off, UserKnownHostsFile, StrictHostKeyChecking: yes and
 * ask are strict, accept-new and no are accept-new, since a changed key is
 * refused under any policy) and, without via, ProxyJump. Then ssh's
 * defaults: the login name, ~/.ssh/id_ed25519, id_ecdsa and id_rsa,
 * ~/.ssh/known_hosts, port 22. False, with why, for a bad ~/.ssh/config. */
bool tunnel_profile_resolve(const struct tunnel_profile *p, struct tunnel_profile *out,
			    struct err *err);
void tunnel_profile_free(struct tunnel_profile *p);
void tunnel_profile_copy(struct tunnel_profile *dst, const struct tunnel_profile *src);

/* The hops to p's bastion, the outermost first and p itself last, each
 * resolved (tunnel_profile_resolve): a `via` names the next hop out in
 * ps; a ProxyJump "j1,j2" makes j2 the next hop out (reached through j1)
 * and j1 the one before it, reached as its own Host of ~/.ssh/config says
 * (its ProxyJump too), as ssh does. Each such hop is a profile named
 * "ssh:" and the hop as written, whose settings come from the Host of
 * ~/.ssh/config its name matches, with p's keepalive. False, with why in
 * words, for an unknown via, a circle, more than TUNNEL_MAX_HOPS hops, a
 * malformed ProxyJump or a bad ~/.ssh/config. */
bool tunnel_profile_hops(const struct tunnel_profiles *ps, const struct tunnel_profile *p,
			 struct tunnel_profiles *out, struct err *err);

#endif
