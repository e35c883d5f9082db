#include "config.h"

#include "cli/cli_route.h"

#include <pthread.h>

#include "cli/cli_tunnel.h"
#include "db/db.h"
#include "kube/http.h"
#include "route.h"
#include "ssh/tunnelset.h"

static const struct conf *route_conf;
static struct tunnel_set *route_set;
/* the set is made by whichever thread asks first */
static pthread_mutex_t route_set_lock = PTHREAD_MUTEX_INITIALIZER;

static struct tunnel_set *set_get(struct err *err)
{
	const struct tunnel_opts base = {.passphrase = cli_passphrase};
	struct tunnel_set *s;

	pthread_mutex_lock(&route_set_lock);
	if (!route_set) {
		s = tunnel_set_new(NULL, &route_conf->tunnels, &base);
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

void cli_route_begin(const struct conf *conf)
{
	route_conf = conf;
	route_install(cli_route, NULL);
	kube_http_set_tunnels(conf);
	db_set_tunnel(conf->database_tunnel);
}

void cli_route_end(void)
{
	route_install(NULL, NULL);
	kube_http_set_tunnels(NULL);
	db_set_tunnel(NULL);
	pthread_mutex_lock(&route_set_lock);
	tunnel_set_free(route_set);
	route_set = NULL;
	pthread_mutex_unlock(&route_set_lock);
	route_conf = NULL;
}
