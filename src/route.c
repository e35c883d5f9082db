#include "config.h"

#include "route.h"

#include <pthread.h>

/* Installed once by the front end, before any client asks; read from the
 * threads that connect (the CLI's database and HTTP calls). */
static route_fn *installed_fn;
static void *installed_ud;
static route_describe_fn *installed_describe;
static void *installed_describe_ud;
static pthread_mutex_t route_lock = PTHREAD_MUTEX_INITIALIZER;

void route_install(route_fn *fn, void *ud)
{
	pthread_mutex_lock(&route_lock);
	installed_fn = fn;
	installed_ud = ud;
	pthread_mutex_unlock(&route_lock);
}

int route_endpoint(const char *profile, const char *host, int port, struct err *err)
{
	route_fn *fn;
	void *ud;

	if (!profile || !*profile)
		return 0;
	pthread_mutex_lock(&route_lock);
	fn = installed_fn;
	ud = installed_ud;
	pthread_mutex_unlock(&route_lock);
	if (!fn) {
		err_set(err, "tunnel %s: this program opens no tunnels", profile);
		return -1;
	}
	return fn(ud, profile, host, port, err);
}

void route_install_describe(route_describe_fn *fn, void *ud)
{
	pthread_mutex_lock(&route_lock);
	installed_describe = fn;
	installed_describe_ud = ud;
	pthread_mutex_unlock(&route_lock);
}

void route_describe(const char *profile, const char *host, int port, char *buf, size_t bufsz)
{
	route_describe_fn *fn;
	void *ud;

	if (bufsz)
		buf[0] = '\0';
	if (!profile || !*profile || !bufsz)
		return;
	pthread_mutex_lock(&route_lock);
	fn = installed_describe;
	ud = installed_describe_ud;
	pthread_mutex_unlock(&route_lock);
	if (fn)
		fn(ud, profile, host, port, buf, bufsz);
}
