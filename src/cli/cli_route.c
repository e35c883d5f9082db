#include "config.h"

#include "cli/cli_route.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_tunnel.h"
#include "db/db.h"
#include "kube/http.h"
#include "route.h"
#include "ssh/tunnelset.h"

static const struct conf *route_conf;
static FILE *route_err;
static struct tunnel_set *route_set;
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

static struct tunnel_set *set_get(struct err *err)
{
	const struct tunnel_opts base = {.passphrase = cli_passphrase};
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
	return s ? tunnel_set_endpoint(s, profile, host, port, err) : -1;
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
	route_conf = NULL;
}
