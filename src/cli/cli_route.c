#include "config.h"

#include "cli/cli_route.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_tunnel.h"
#include "db/db.h"
#include "kube/http.h"
#include "route.h"
#include "ssh/agent.h"
#include "ssh/keyfile.h"
#include "ssh/tunnelset.h"

/* How long the agent may take to list its keys before the passphrases are
 * asked (a forwarded agent whose far end is gone never answers). */
#define CLI_AGENT_WAIT_MS 1000

static const struct conf *route_conf;
static FILE *route_err;
static struct tunnel_set *route_set;
/* completion: nothing asked, nothing said */
static bool route_quiet;
/* the set is made by whichever thread asks first */
static pthread_mutex_t route_set_lock = PTHREAD_MUTEX_INITIALIZER;

/* What stderr was last told of each tunnel; touched on the set's thread
 * only, and after it is joined. */
static struct told {
	const struct tunnel *t;
	bool down;
	char reason[512];
} * told;
static size_t ntold, captold;

/* A tunnel that goes down is said on stderr, with its reason (once per
 * reason), and so is its coming back; a command that then fails says
 * which tunnel its request went through. */
static void on_tunnel_state(struct tunnel *t, void *ud)
{
	const struct tunnel_status *st = tunnel_status(t);
	struct told *k = NULL;

	(void)ud;
	if (route_quiet)
		return;
	for (size_t i = 0; i < ntold && !k; i++)
		if (told[i].t == t)
			k = &told[i];
	if (!k) {
		told = xgrow(told, &captold, ntold + 1, sizeof(*told));
		k = &told[ntold++];
		*k = (struct told){.t = t};
	}
	if (st->state == TUNNEL_DOWN && (!k->down || !str_eq(k->reason, st->reason))) {
		fprintf(route_err, "opsdeck: tunnel %s: down: %s%s\n", tunnel_name(t), st->reason,
			st->retry_in_ms >= 0 ? " (trying again)" : "");
		fflush(route_err);
		k->down = true;
		str_copy(k->reason, sizeof(k->reason), st->reason);
	} else if (st->state == TUNNEL_UP && k->down) {
		fprintf(route_err, "opsdeck: tunnel %s: up again\n", tunnel_name(t));
		fflush(route_err);
		k->down = false;
	}
}

/* ---- passphrases ----
 * Asked on the thread that asks for an endpoint, before its tunnel
 * connects: that thread is the one the operator's Ctrl-C reaches, and no
 * connection's timeout runs while the operator types. The set's thread
 * only takes the answers kept here. */

#define PASS_SIZE (TUNNEL_PASSPHRASE_MAX + 1)
#define QUIET_REASON "not asked: completion asks for no passphrase"

static struct pass_entry {
	char *path;
	char *pass; /* in the locked memory below; NULL: none, why says */
	char why[200];
	/* times handed to a tunnel: each tunnel asks once, and again only
	 * after the passphrase proved wrong */
	size_t handed;
} *passes;
static size_t npasses, cappasses;
static char *pass_vault; /* one slot of PASS_SIZE per entry */
static size_t pass_vault_size, pass_slots;
/* passes; taken briefly, never while the operator types */
static pthread_mutex_t pass_lock = PTHREAD_MUTEX_INITIALIZER;
/* one prompt at a time, and the profiles whose keys were asked for */
static pthread_mutex_t ask_lock = PTHREAD_MUTEX_INITIALIZER;
static char **asked;
static size_t nasked, capasked;
/* ctrl-C at a prompt: nothing more is asked, and no tunnel is used */
static atomic_bool route_interrupted;
#define INTERRUPTED_REASON "not asked: interrupted"

static struct pass_entry *pass_find(const char *path)
{
	for (size_t i = 0; i < npasses; i++)
		if (str_eq(passes[i].path, path))
			return &passes[i];
	return NULL;
}

/* A slot of locked memory for one more passphrase, or NULL. The vault
 * grows by a new mapping; the answers kept are moved into it. */
static char *pass_slot_new(void)
{
	if (npasses >= pass_slots) {
		size_t want = pass_slots ? pass_slots * 2 : 4, size;
		char *v;

		/* entries without a passphrase hold their slot too */
		if (want <= npasses)
			want = npasses + 1;
		v = tunnel_secret_alloc(want * PASS_SIZE, &size);
		if (!v)
			return NULL;
		for (size_t i = 0; i < npasses; i++) {
			if (!passes[i].pass)
				continue;
			memcpy(v + i * PASS_SIZE, passes[i].pass, PASS_SIZE);
			passes[i].pass = v + i * PASS_SIZE;
		}
		tunnel_secret_free(pass_vault, pass_vault_size);
		pass_vault = v;
		pass_vault_size = size;
		pass_slots = size / PASS_SIZE;
	}
	return pass_vault + npasses * PASS_SIZE;
}

/* Keeps path's answer: pass (NUL-terminated, fits PASS_SIZE), or none
 * with why. */
static void pass_keep(const char *path, const char *pass, const char *why)
{
	struct pass_entry *e;
	char *slot = NULL;

	pthread_mutex_lock(&pass_lock);
	if (pass_find(path)) {
		pthread_mutex_unlock(&pass_lock);
		return;
	}
	if (pass && !(slot = pass_slot_new()))
		why = "no memory to keep its passphrase in";
	passes = xgrow(passes, &cappasses, npasses + 1, sizeof(*passes));
	e = &passes[npasses++];
	*e = (struct pass_entry){.path = xstrdup(path)};
	if (slot) {
		snprintf(slot, PASS_SIZE, "%s", pass);
		e->pass = slot;
	} else {
		str_copy(e->why, sizeof(e->why), why);
	}
	pthread_mutex_unlock(&pass_lock);
}

static bool pass_known(const char *path)
{
	bool known;

	pthread_mutex_lock(&pass_lock);
	known = pass_find(path) != NULL;
	pthread_mutex_unlock(&pass_lock);
	return known;
}

/* How many tunnels may ask for the key at path: one per profile that
 * names it (a profile is one tunnel of the set, its own or as a hop). */
static size_t key_users(const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < route_conf->tunnels.n; i++) {
		const struct tunnel_profile *p = &route_conf->tunnels.v[i];

		for (size_t k = 0; k < p->n_identity_files; k++)
			if (str_eq(p->identity_files[k], path)) {
				n++;
				break;
			}
	}
	return n ? n : 1;
}

/* The set's passphrase callback (on the set's thread): an answer kept,
 * never a prompt. A tunnel asks again only when the answer it was given
 * proved wrong: then it is wiped, and not tried at every reconnection. */
static bool pass_given(const char *path, char *buf, size_t bufsz, struct err *why, void *ud)
{
	struct pass_entry *e;
	bool ok = false;

	(void)ud;
	pthread_mutex_lock(&pass_lock);
	e = pass_find(path);
	if (e && e->pass && e->handed >= key_users(path)) {
		explicit_bzero(e->pass, PASS_SIZE);
		e->pass = NULL;
		str_copy(e->why, sizeof(e->why), "wrong passphrase; run the command again");
	}
	if (e && e->pass && strlen(e->pass) < bufsz) {
		snprintf(buf, bufsz, "%s", e->pass);
		e->handed++;
		ok = true;
	} else if (e) {
		err_set(why, "%s", e->pass ? "the passphrase is too long" : e->why);
	} else if (route_quiet) {
		err_set(why, "%s", QUIET_REASON);
	} else if (route_interrupted) {
		err_set(why, "%s", INTERRUPTED_REASON);
	} else {
		const char *name = "its profile";

		for (size_t i = 0; i < route_conf->tunnels.n; i++) {
			const struct tunnel_profile *p = &route_conf->tunnels.v[i];

			for (size_t k = 0; k < p->n_identity_files && p->agent; k++)
				if (str_eq(p->identity_files[k], path))
					name = p->name;
		}
		err_set(why, "not in the agent and not asked; ssh-add it, or set agent: false on "
			     "profile %.100s", name);
	}
	pthread_mutex_unlock(&pass_lock);
	return ok;
}

/* Whether the profile's keys were asked for (with ask_lock or pass_lock
 * held: both guard asked when it changes). */
static bool was_asked(const char *profile)
{
	for (size_t i = 0; i < nasked; i++)
		if (str_eq(asked[i], profile))
			return true;
	return false;
}

/* Asks, on this thread, for the passphrases of the encrypted identity
 * files of the profile's hops, the first time the profile is used. A hop
 * that uses an agent that answers with a key is not asked for: ssh offers
 * the agent's keys first, and a passphrase may not be needed. Problems
 * with the profile itself are left for the set to say. False when the
 * operator interrupted a prompt (now or before): nothing more is asked. */
static bool ask_passphrases(const char *profile)
{
	const struct tunnel_profile *p = tunnel_profiles_find(&route_conf->tunnels, profile);
	struct tunnel_profiles hops = {0};
	struct err err = {{0}};
	int agent = -1; /* not looked at yet */
	bool done;

	/* a profile asked for does not wait behind another's prompt */
	pthread_mutex_lock(&pass_lock);
	done = was_asked(profile);
	pthread_mutex_unlock(&pass_lock);
	if (done)
		return !route_interrupted;
	pthread_mutex_lock(&ask_lock);
	if (route_interrupted || was_asked(profile))
		goto out;
	if (!p || !tunnel_profile_hops(&route_conf->tunnels, p, &hops, &err))
		goto mark;
	for (size_t h = 0; h < hops.n; h++) {
		const struct tunnel_profile *hop = &hops.v[h];

		if (hop->agent && agent < 0)
			agent = ssh_agent_has_keys(getenv("SSH_AUTH_SOCK"), CLI_AGENT_WAIT_MS);
		if (hop->agent && agent > 0)
			continue;
		for (size_t k = 0; k < hop->n_identity_files; k++) {
			const char *path = hop->identity_files[k];
			struct keyfile_info ki;
			struct err why = {{0}};
			size_t mapped;
			char *buf;

			if (pass_known(path))
				continue;
			keyfile_inspect(path, &ki);
			if (!ki.readable || !ki.encrypted)
				continue;
			if (route_quiet || route_interrupted) {
				pass_keep(path, NULL,
					  route_quiet ? QUIET_REASON : INTERRUPTED_REASON);
				continue;
			}
			buf = tunnel_secret_alloc(PASS_SIZE, &mapped);
			if (!buf) {
				pass_keep(path, NULL, "no memory to keep its passphrase in");
				continue;
			}
			switch (cli_passphrase_ask(path, buf, PASS_SIZE, &why)) {
			case CLI_PASS_GIVEN:
				pass_keep(path, buf, NULL);
				break;
			case CLI_PASS_INTERRUPTED:
				route_interrupted = true;
				pass_keep(path, NULL, INTERRUPTED_REASON);
				break;
			case CLI_PASS_REFUSED:
				pass_keep(path, NULL,
					  why.msg[0] ? why.msg : "no passphrase given");
				break;
			}
			tunnel_secret_free(buf, mapped);
		}
	}
mark:
	pthread_mutex_lock(&pass_lock);
	asked = xgrow(asked, &capasked, nasked + 1, sizeof(*asked));
	asked[nasked++] = xstrdup(profile);
	pthread_mutex_unlock(&pass_lock);
out:
	tunnel_profiles_free(&hops);
	pthread_mutex_unlock(&ask_lock);
	return !route_interrupted;
}

static void passes_free(void)
{
	for (size_t i = 0; i < npasses; i++)
		free(passes[i].path);
	x_free(&passes);
	npasses = cappasses = 0;
	tunnel_secret_free(pass_vault, pass_vault_size);
	pass_vault = NULL;
	pass_vault_size = pass_slots = 0;
	for (size_t i = 0; i < nasked; i++)
		free(asked[i]);
	x_free(&asked);
	nasked = capasked = 0;
	route_quiet = false;
	route_interrupted = false;
}

static struct tunnel_set *set_get(struct err *err)
{
	const struct tunnel_opts base = {.passphrase = pass_given};
	struct tunnel_set *s;

	pthread_mutex_lock(&route_set_lock);
	if (!route_set) {
		s = tunnel_set_new(NULL, &route_conf->tunnels, &base);
		tunnel_set_observe(s, on_tunnel_state, NULL);
		if (tunnel_set_start_thread(s, err))
			route_set = s;
		else
			tunnel_set_free(s);
	}
	s = route_set;
	pthread_mutex_unlock(&route_set_lock);
	return s;
}

static int cli_route(void *ud, const char *profile, const char *host, int port, struct err *err)
{
	struct tunnel_set *s = set_get(err);

	(void)ud;
	if (!s)
		return -1;
	if (!ask_passphrases(profile)) {
		err_set(err, "interrupted");
		return -1;
	}
	return tunnel_set_endpoint(s, profile, host, port, err);
}

bool cli_route_ask_all(const struct conf *conf)
{
	if (conf->database_tunnel && !ask_passphrases(conf->database_tunnel))
		return false;
	for (size_t i = 0; i < conf->nkube_tunnels; i++)
		if (!ask_passphrases(conf->kube_tunnels[i].profile))
			return false;
	for (size_t i = 0; i < conf->nbrokers; i++)
		if (conf->brokers[i].tunnel && !ask_passphrases(conf->brokers[i].tunnel))
			return false;
	return true;
}

bool cli_route_interrupted(void)
{
	return route_interrupted;
}

void cli_route_quiet(void)
{
	route_quiet = true;
}

/* Only a set already made: a failure to describe opens no tunnel. */
static void cli_route_describe(void *ud, const char *profile, const char *host, int port,
			       char *buf, size_t bufsz)
{
	struct tunnel_set *s;

	(void)ud;
	pthread_mutex_lock(&route_set_lock);
	s = route_set;
	pthread_mutex_unlock(&route_set_lock);
	if (s)
		tunnel_set_describe(s, profile, host, port, buf, bufsz);
}

void cli_route_begin(const struct conf *conf, FILE *err)
{
	route_conf = conf;
	route_err = err;
	route_install(cli_route, NULL);
	route_install_describe(cli_route_describe, NULL);
	kube_http_set_tunnels(conf);
	db_set_tunnel(conf->database_tunnel);
}

void cli_route_end(void)
{
	route_install(NULL, NULL);
	route_install_describe(NULL, NULL);
	kube_http_set_tunnels(NULL);
	db_set_tunnel(NULL);
	pthread_mutex_lock(&route_set_lock);
	tunnel_set_free(route_set);
	route_set = NULL;
	pthread_mutex_unlock(&route_set_lock);
	free(told);
	told = NULL;
	ntold = captold = 0;
	passes_free();
	route_conf = NULL;
}
