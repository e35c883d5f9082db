#include "config.h"

#include "route.h"

#include <pthread.h>

/* Installed once by the front end, before any client asks; read from the
 * threads that connect (the CLI's database and HTTP calls). Read-held
 * across each call, so that a new route (or none) waits for the calls in
 * flight: the front end frees what the old one used once it returns. */
static route_fn *installed_fn;
static void *installed_ud;
static pthread_rwlock_t route_lock = PTHREAD_RWLOCK_INITIALIZER;
static route_describe_fn *installed_describe;
static void *installed_describe_ud;

void route_install(route_fn *fn, void *ud)
{
	pthread_rwlock_wrlock(&route_lock);
	installed_fn = fn;
	installed_ud = ud;
	pthread_rwlock_unlock(&route_lock);
}

int route_endpoint(const char *profile, const char *host, int port, struct err *err)
{
	int rc = -1;

	if (!profile || !*profile)
		return 0;
	pthread_rwlock_rdlock(&route_lock);
	if (installed_fn)
		rc = installed_fn(installed_ud, profile, host, port, err);
	else
		err_set(err, "tunnel %s: this program opens no tunnels", profile);
	pthread_rwlock_unlock(&route_lock);
	return rc;
}

void route_install_describe(route_describe_fn *fn, void *ud)
{
	pthread_rwlock_wrlock(&route_lock);
	installed_describe = fn;
	installed_describe_ud = ud;
	pthread_rwlock_unlock(&route_lock);
}

void route_describe(const char *profile, const char *host, int port, char *buf, size_t bufsz)
{
	if (bufsz)
		buf[0] = '\0';
	if (!profile || !*profile || !bufsz)
		return;
	pthread_rwlock_rdlock(&route_lock);
	if (installed_describe)
		installed_describe(installed_describe_ud, profile, host, port, buf, bufsz);
	pthread_rwlock_unlock(&route_lock);
}
