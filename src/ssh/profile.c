#include "config.h"

#include "ssh/profile.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "ssh/sshconfig.h"

#define PROFILE_DEFAULT_KEEPALIVE 15

static char **strv_dup(char *const *v, size_t n)
{
	char **out = n ? xcalloc(n, sizeof(*out)) : NULL;

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void tunnel_profile_free(struct tunnel_profile *p)
{
	free(p->name);
	free(p->ssh_config_host);
	free(p->host);
	free(p->user);
	free(p->via);
	free(p->proxy_jump);
	strv_free(p->identity_files, p->n_identity_files);
	strv_free(p->known_hosts, p->n_known_hosts);
	memset(p, 0, sizeof(*p));
}

void tunnel_profile_copy(struct tunnel_profile *dst, const struct tunnel_profile *src)
{
	*dst = *src;
	dst->name = src->name ? xstrdup(src->name) : NULL;
	dst->ssh_config_host = src->ssh_config_host ? xstrdup(src->ssh_config_host) : NULL;
	dst->host = src->host ? xstrdup(src->host) : NULL;
	dst->user = src->user ? xstrdup(src->user) : NULL;
	dst->via = src->via ? xstrdup(src->via) : NULL;
	dst->proxy_jump = src->proxy_jump ? xstrdup(src->proxy_jump) : NULL;
	dst->identity_files = strv_dup(src->identity_files, src->n_identity_files);
	dst->known_hosts = strv_dup(src->known_hosts, src->n_known_hosts);
}

void tunnel_profiles_free(struct tunnel_profiles *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		tunnel_profile_free(&ps->v[i]);
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

void tunnel_profiles_copy(struct tunnel_profiles *dst, const struct tunnel_profiles *src)
{
	dst->n = src->n;
	dst->v = src->n ? xcalloc(src->n, sizeof(*dst->v)) : NULL;
	for (size_t i = 0; i < src->n; i++)
		tunnel_profile_copy(&dst->v[i], &src->v[i]);
}

const struct tunnel_profile *tunnel_profiles_find(const struct tunnel_profiles *ps,
						  const char *name)
{
	for (size_t i = 0; i < ps->n; i++) {
		if (str_eq(ps->v[i].name, name))
			return &ps->v[i];
	}
	return NULL;
}

/* Text on one line without control characters or spaces at either end. */
static bool valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

/* A host name or address: no spaces, no '@' or ':' that would change what
 * ssh or a URL makes of it, no leading '-'. */
static bool valid_host(const char *s)
{
	if (!valid_text(s, 253) || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == ' ' || *p == '@' || *p == '/' || *p == '[' || *p == ']')
			return false;
	}
	return true;
}

static bool read_text(const struct ydoc *doc, const struct ynode *v, const char *key, size_t max,
		      char **out, struct err *err)
{
	if (v->type != YNODE_SCALAR || ynode_is_null(v))
		return ydoc_error(doc, v, err, "tunnels: %s takes a single value", key);
	if (!valid_text(v->scalar, max))
		return ydoc_error(doc, v, err,
				  "tunnels: %s must be text on one line of at most %zu characters",
				  key, max);
	free(*out);
	*out = xstrdup(v->scalar);
	return true;
}

/* A path or a list of paths. */
static bool read_paths(const struct ydoc *doc, const struct ynode *v, const char *key, char ***out,
		       size_t *n, struct err *err)
{
	const struct ynode *const *items = &v;
	size_t count = 1;

	if (v->type == YNODE_SEQ) {
		items = (const struct ynode *const *)v->items;
		count = v->len;
		if (count == 0)
			return ydoc_error(doc, v, err, "tunnels: %s: the list is empty", key);
	}
	for (size_t i = 0; i < count; i++) {
		char *s = NULL;

		if (!read_text(doc, items[i], key, 4096, &s, err))
			return false;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = s;
	}
	return true;
}

static bool read_profile(const struct ydoc *doc, const struct ynode *m, struct tunnel_profile *p,
			 struct err *err)
{
	p->agent = true;
	p->keepalive_s = PROFILE_DEFAULT_KEEPALIVE;
	if (m->type != YNODE_MAP)
		return ydoc_error(doc, m, err,
				  "tunnels: each entry is a mapping (name:, host:, user: ...)");
	for (size_t i = 0; i < m->len; i++) {
		const struct ynode *k = m->keys[i], *v = m->items[i];
		const char *key = k->scalar;

		if (str_eq(key, "name")) {
			if (!read_text(doc, v, key, 63, &p->name, err))
				return false;
			if (!paths_valid_name(p->name))
				return ydoc_error(
				    doc, v, err,
				    "tunnels: name must be letters, digits, '-' or '_'");
		} else if (str_eq(key, "host")) {
			if (!read_text(doc, v, key, 253, &p->host, err))
				return false;
			if (!valid_host(p->host))
				return ydoc_error(doc, v, err,
						  "tunnels: host must be a host name or address "
						  "(no spaces, '@', '/' or brackets)");
		} else if (str_eq(key, "ssh_config_host")) {
			if (!read_text(doc, v, key, 253, &p->ssh_config_host, err))
				return false;
			if (!valid_host(p->ssh_config_host))
				return ydoc_error(
				    doc, v, err,
				    "tunnels: ssh_config_host must be a host name as "
				    "typed after ssh (no spaces, '@', '/' or brackets)");
		} else if (str_eq(key, "port")) {
			if (!ynode_long(doc, v, 1, 65535, &p->port, err))
				return false;
		} else if (str_eq(key, "user")) {
			if (!read_text(doc, v, key, 255, &p->user, err))
				return false;
		} else if (str_eq(key, "identity_file") || str_eq(key, "identity_files")) {
			if (!read_paths(doc, v, key, &p->identity_files, &p->n_identity_files, err))
				return false;
		} else if (str_eq(key, "known_hosts")) {
			if (!read_paths(doc, v, key, &p->known_hosts, &p->n_known_hosts, err))
				return false;
		} else if (str_eq(key, "agent")) {
			if (!ynode_bool(doc, v, &p->agent, err))
				return false;
			p->agent_set = true;
		} else if (str_eq(key, "host_key_policy")) {
			if (v->type == YNODE_SCALAR && str_eq(v->scalar, "strict"))
				p->policy = HOSTKEY_STRICT;
			else if (v->type == YNODE_SCALAR && str_eq(v->scalar, "accept-new"))
				p->policy = HOSTKEY_ACCEPT_NEW;
			else
				return ydoc_error(doc, v, err,
						  "tunnels: host_key_policy must be strict or "
						  "accept-new");
			p->policy_set = true;
		} else if (str_eq(key, "via")) {
			if (!read_text(doc, v, key, 63, &p->via, err))
				return false;
			if (!paths_valid_name(p->via))
				return ydoc_error(doc, v, err,
						  "tunnels: via names a profile: letters, digits, "
						  "'-' or '_'");
		} else if (str_eq(key, "keepalive")) {
			if (!ynode_long(doc, v, 1, 3600, &p->keepalive_s, err))
				return false;
		} else {
			return ydoc_error(doc, k, err, "tunnels: unknown setting '%s'", key);
		}
	}
	if (!p->name)
		return ydoc_error(doc, m, err, "tunnels: this entry has no name");
	if (!p->host && !p->ssh_config_host)
		return ydoc_error(doc, m, err, "tunnels: %s has no host (or ssh_config_host)",
				  p->name);
	return true;
}

static const struct ynode *map_get(const struct ynode *m, const char *key)
{
	for (size_t i = 0; i < m->len; i++) {
		if (str_eq(m->keys[i]->scalar, key))
			return m->items[i];
	}
	return m;
}

/* "a -> b -> c" of the hops path[from..n-1] and then name. */
static void chain_text(char *out, size_t size, const struct tunnel_profile *const *path,
		       size_t from, size_t n, const char *name)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = from; i < n && len < size; i++) {
		snprintf(out + len, size - len, "%s -> ", path[i]->name);
		len = strlen(out);
	}
	if (len < size)
		snprintf(out + len, size - len, "%s", name);
}

/* Each via names a profile of ps, with no circle and a chain short
 * enough; the error at the via of the profile at i. */
static bool check_via(const struct ydoc *doc, const struct ynode *m,
		      const struct tunnel_profiles *ps, size_t i, struct err *err)
{
	const struct tunnel_profile *path[TUNNEL_MAX_HOPS + 1];
	const struct ynode *node = map_get(m, "via");
	char text[600];
	size_t n = 0;

	for (const struct tunnel_profile *cur = &ps->v[i]; cur->via;) {
		const struct tunnel_profile *next = tunnel_profiles_find(ps, cur->via);

		path[n++] = cur;
		if (!next) {
			if (cur != &ps->v[i])
				return true; /* said at that profile's own via */
			return ydoc_error(doc, node, err,
					  "tunnels: %s goes via %s, which is not a profile",
					  cur->name, cur->via);
		}
		for (size_t k = 0; k < n; k++) {
			if (path[k] != next)
				continue;
			chain_text(text, sizeof(text), path, k, n, next->name);
			return ydoc_error(doc, node, err, "tunnels: via goes round in a circle: %s",
					  text);
		}
		if (n == TUNNEL_MAX_HOPS) {
			chain_text(text, sizeof(text), path, 0, n, next->name);
			return ydoc_error(doc, node, err,
					  "tunnels: a chain of more than %d hops: %s",
					  TUNNEL_MAX_HOPS, text);
		}
		cur = next;
	}
	return true;
}

bool tunnel_profiles_read(const struct ydoc *doc, const struct ynode *list,
			  struct tunnel_profiles *out, struct err *err)
{
	struct tunnel_profiles ps = {0};

	if (ynode_is_null(list)) {
		tunnel_profiles_free(out);
		return true;
	}
	if (list->type != YNODE_SEQ)
		return ydoc_error(doc, list, err, "tunnels: expected a list of tunnel profiles");
	ps.v = list->len ? xcalloc(list->len, sizeof(*ps.v)) : NULL;
	for (size_t i = 0; i < list->len; i++) {
		ps.n = i + 1;
		if (!read_profile(doc, list->items[i], &ps.v[i], err))
			goto fail;
		for (size_t j = 0; j < i; j++) {
			if (str_eq(ps.v[j].name, ps.v[i].name)) {
				ydoc_error(doc, list->items[i], err,
					   "tunnels: a second profile named %s", ps.v[i].name);
				goto fail;
			}
		}
	}
	for (size_t i = 0; i < ps.n; i++) {
		if (!check_via(doc, list->items[i], &ps, i, err))
			goto fail;
	}
	tunnel_profiles_free(out);
	*out = ps;
	return true;
fail:
	tunnel_profiles_free(&ps);
	return false;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

static char *expand_home(const char *path)
{
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
		return xasprintf("%s%s", home_dir(), path + 1);
	return xstrdup(path);
}

static char *login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = pw && pw->pw_name ? pw->pw_name : getenv("USER");

	return xstrdup(u ? u : "root");
}

static char **strv_take(char ***v, size_t *n, size_t *count)
{
	char **out = *v;

	*count = *n;
	*v = NULL;
	*n = 0;
	return out;
}

/* Fills what the profile leaves unset from its Host of ~/.ssh/config. */
static bool from_ssh_config(struct tunnel_profile *out, struct err *err)
{
	struct sshconfig_env env = {.home = home_dir(), .includes = true};
	struct sshconfig_host h;
	char *path = xasprintf("%s/.ssh/config", env.home);
	char *user = login_name();
	bool ok;

	env.local_user = user;
	ok = sshconfig_lookup_file(path, out->ssh_config_host, &env, &h, err);
	free(path);
	free(user);
	if (!ok)
		return false;
	/* A via of the settings, or a hop's place in a chain, comes first. */
	if (!out->via && !out->proxy_jump) {
		out->proxy_jump = h.proxy_jump;
		h.proxy_jump = NULL;
	}
	if (!out->host) {
		out->host = h.hostname;
		h.hostname = NULL;
	}
	if (!out->port)
		out->port = h.port;
	if (!out->user) {
		out->user = h.user;
		h.user = NULL;
	}
	if (!out->n_identity_files)
		out->identity_files =
		    strv_take(&h.identity_files, &h.n_identity_files, &out->n_identity_files);
	if (!out->n_known_hosts)
		out->known_hosts = strv_take(&h.known_hosts, &h.n_known_hosts, &out->n_known_hosts);
	if (!out->agent_set && h.identities_only == 1)
		out->agent = false;
	if (!out->policy_set && h.strict_host_key_checking)
		out->policy = str_eq(h.strict_host_key_checking, "accept-new") ||
				      str_eq(h.strict_host_key_checking, "no")
				  ? HOSTKEY_ACCEPT_NEW
				  : HOSTKEY_STRICT;
	sshconfig_host_free(&h);
	return true;
}

bool tunnel_profile_resolve(const struct tunnel_profile *p, struct tunnel_profile *out,
			    struct err *err)
{
	static const char *const default_ids[] = {"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa",
						  "~/.ssh/id_rsa"};

	tunnel_profile_copy(out, p);
	if (out->ssh_config_host && !from_ssh_config(out, err)) {
		tunnel_profile_free(out);
		return false;
	}
	if (!out->host)
		out->host = xstrdup(out->ssh_config_host ? out->ssh_config_host : "localhost");
	if (!out->user)
		out->user = login_name();
	if (out->n_identity_files == 0) {
		out->identity_files = strv_dup((char *const *)default_ids, ARRAY_LEN(default_ids));
		out->n_identity_files = ARRAY_LEN(default_ids);
	}
	if (out->n_known_hosts == 0) {
		out->known_hosts = xcalloc(1, sizeof(char *));
		out->known_hosts[0] = xstrdup("~/.ssh/known_hosts");
		out->n_known_hosts = 1;
	}
	for (size_t i = 0; i < out->n_identity_files; i++) {
		char *e = expand_home(out->identity_files[i]);

		free(out->identity_files[i]);
		out->identity_files[i] = e;
	}
	for (size_t i = 0; i < out->n_known_hosts; i++) {
		char *e = expand_home(out->known_hosts[i]);

		free(out->known_hosts[i]);
		out->known_hosts[i] = e;
	}
	if (out->keepalive_s <= 0)
		out->keepalive_s = PROFILE_DEFAULT_KEEPALIVE;
	if (out->port <= 0)
		out->port = 22;
	return true;
}

/* The next hop out of r, whose ProxyJump is "j1,...,jn": jn, reached
 * through "j1,...,jn-1" (ssh -J j1,...,jn-1 jn), or as its own Host says
 * when it is the first. */
static bool jump_hop(const struct tunnel_profile *r, struct tunnel_profile *next, struct err *err)
{
	struct sshconfig_jump *jumps;
	const struct sshconfig_jump *last;
	const char *comma = strrchr(r->proxy_jump, ',');
	size_t n;

	if (!sshconfig_jumps_parse(r->proxy_jump, TUNNEL_MAX_HOPS, &jumps, &n, err)) {
		char why[sizeof(err->msg)];

		str_copy(why, sizeof(why), err->msg);
		err_set(err, "tunnel %s: %s", r->name, why);
		return false;
	}
	last = &jumps[n - 1];
	memset(next, 0, sizeof(*next));
	next->name = xasprintf("ssh:%s", comma ? comma + 1 : r->proxy_jump);
	next->ssh_config_host = xstrdup(last->host);
	next->user = last->user ? xstrdup(last->user) : NULL;
	next->port = last->port;
	next->agent = true;
	next->keepalive_s = r->keepalive_s;
	if (comma)
		next->proxy_jump = xstrndup(r->proxy_jump, (size_t)(comma - r->proxy_jump));
	sshconfig_jumps_free(jumps, n);
	return true;
}

bool tunnel_profile_hops(const struct tunnel_profiles *ps, const struct tunnel_profile *p,
			 struct tunnel_profiles *out, struct err *err)
{
	struct tunnel_profiles hops = {0}; /* the innermost first */
	struct tunnel_profile cur;

	tunnel_profile_copy(&cur, p);
	for (;;) {
		const struct tunnel_profile *r, *q;
		const struct tunnel_profile *path[TUNNEL_MAX_HOPS + 1];
		char text[600];

		if (hops.n == TUNNEL_MAX_HOPS) {
			err_set(err, "tunnel %s: a chain of more than %d hops (the next: %s)",
				p->name, TUNNEL_MAX_HOPS, cur.name);
			goto fail;
		}
		for (size_t i = 0; i < hops.n; i++) {
			if (!str_eq(hops.v[i].name, cur.name))
				continue;
			/* from the repeated hop outwards, each reached via the next */
			for (size_t k = i; k < hops.n; k++)
				path[k - i] = &hops.v[k];
			chain_text(text, sizeof(text), path, 0, hops.n - i, cur.name);
			err_set(err, "tunnel %s: its hops go round in a circle: %s", p->name, text);
			goto fail;
		}
		hops.v = xrealloc(hops.v, (hops.n + 1) * sizeof(*hops.v));
		if (!tunnel_profile_resolve(&cur, &hops.v[hops.n], err))
			goto fail;
		r = &hops.v[hops.n++];
		tunnel_profile_free(&cur);
		if (r->via) {
			q = tunnel_profiles_find(ps, r->via);
			if (!q) {
				err_set(err, "tunnel %s goes via %s, which is not a profile",
					r->name, r->via);
				goto fail;
			}
			tunnel_profile_copy(&cur, q);
		} else if (r->proxy_jump) {
			if (!jump_hop(r, &cur, err))
				goto fail;
		} else {
			break;
		}
	}
	/* outermost first */
	for (size_t i = 0; i < hops.n / 2; i++) {
		struct tunnel_profile tmp = hops.v[i];

		hops.v[i] = hops.v[hops.n - 1 - i];
		hops.v[hops.n - 1 - i] = tmp;
	}
	tunnel_profiles_free(out);
	*out = hops;
	return true;
fail:
	tunnel_profile_free(&cur);
	tunnel_profiles_free(&hops);
	return false;
}
