#include "config.h"

#include "ssh/tunnelset.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct set_forward {
	char *host;
	int port;
	struct tunnel_forward *f;
};

struct set_tunnel {
	struct tunnel_set *set;
	char *profile;
	struct tunnel_chain *chain; /* the profile's hops, outermost first */
	struct tunnel *t;	    /* the last hop: forwards open on it */
	struct set_forward *fw;
	size_t nfw;
};

/* An endpoint asked for from another thread while the set runs on its own:
 * done on the set's thread, the asker waits for the answer. */
struct set_request {
	const char *profile, *host;
	int port;
	bool describe; /* tunnel_set_describe: the text goes to err */
	int result;
	struct err err;
	bool done;
	struct set_request *next;
};

struct tunnel_set {
	struct loop *loop;
	bool own_loop;
	struct tunnel_profiles profiles;
	struct tunnel_opts base;
	struct set_tunnel **v;
	size_t n;
	tunnel_state_fn *observer;
	void *observer_ud;
	/* thread mode */
	bool threaded;
	pthread_t thread;
	int wake[2]; /* 'q': the loop stops; 'r': requests wait */
	struct loop_watch *wake_watch;
	pthread_mutex_t lock; /* requests, stopping, askers */
	pthread_cond_t answered;
	pthread_cond_t left; /* askers fell to 0 */
	struct set_request *requests;
	bool stopping;
	/* threads inside set_endpoint_posted: the set is not freed under them */
	unsigned askers;
};

struct tunnel_set *tunnel_set_new(struct loop *loop, const struct tunnel_profiles *ps,
				  const struct tunnel_opts *base)
{
	struct tunnel_set *s = xcalloc(1, sizeof(*s));

	s->own_loop = !loop;
	s->loop = loop ? loop : loop_new();
	tunnel_profiles_copy(&s->profiles, ps);
	if (base)
		s->base = *base;
	s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->answered, NULL);
	pthread_cond_init(&s->left, NULL);
	return s;
}

static void set_tunnel_free(struct set_tunnel *st)
{
	/* the forwards go with their tunnel, the innermost hop first */
	tunnel_chain_free(st->chain);
	for (size_t i = 0; i < st->nfw; i++)
		free(st->fw[i].host);
	free(st->fw);
	free(st->profile);
	free(st);
}

static void set_wake(struct tunnel_set *s, char c)
{
	while (write(s->wake[1], &c, 1) < 0 && errno == EINTR)
		;
}

void tunnel_set_free(struct tunnel_set *s)
{
	if (!s)
		return;
	if (s->threaded) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_mutex_unlock(&s->lock);
		set_wake(s, 'q');
		pthread_join(s->thread, NULL);
		/* asked for just before the stop: answered, never left waiting */
		pthread_mutex_lock(&s->lock);
		for (struct set_request *rq = s->requests, *next; rq; rq = next) {
			next = rq->next;
			err_set(&rq->err, "tunnels: closing");
			rq->done = true;
		}
		s->requests = NULL;
		pthread_cond_broadcast(&s->answered);
		/* the askers woken still take the lock to see their answer */
		while (s->askers > 0)
			pthread_cond_wait(&s->left, &s->lock);
		pthread_mutex_unlock(&s->lock);
	}
	if (s->wake_watch)
		loop_watch_remove(s->wake_watch);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	for (size_t i = 0; i < s->n; i++)
		set_tunnel_free(s->v[i]);
	free(s->v);
	tunnel_profiles_free(&s->profiles);
	if (s->own_loop)
		loop_free(s->loop);
	pthread_cond_destroy(&s->answered);
	pthread_cond_destroy(&s->left);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void set_on_state(struct tunnel *t, void *ud)
{
	struct set_tunnel *st = ud;

	if (st->set->observer)
		st->set->observer(t, st->set->observer_ud);
}

struct tunnel *tunnel_set_find(const struct tunnel_set *s, const char *profile)
{
	for (size_t i = 0; i < s->n; i++)
		if (str_eq(s->v[i]->profile, profile))
			return s->v[i]->t;
	return NULL;
}

static struct set_tunnel *set_tunnel_get(struct tunnel_set *s, const char *profile,
					 struct err *err)
{
	struct tunnel_chain *chain;
	struct tunnel_opts o;
	struct set_tunnel *st;

	for (size_t i = 0; i < s->n; i++)
		if (str_eq(s->v[i]->profile, profile))
			return s->v[i];
	if (!tunnel_profiles_find(&s->profiles, profile)) {
		err_set(err, "no tunnel profile \"%s\" in the settings", profile);
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	/* set first: a new tunnel tells the observer of its state at once */
	st->set = s;
	st->profile = xstrdup(profile);
	o = s->base;
	o.on_state = set_on_state;
	o.ud = st;
	/* every hop reports to the observer: an outer hop's fall shows at
	 * once, and the last hop says it went down "via" it */
	chain = tunnel_chain_new(s->loop, &s->profiles, profile, &o, err);
	if (!chain) {
		free(st->profile);
		free(st);
		return NULL;
	}
	st->chain = chain;
	st->t = tunnel_chain_last(chain);
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = st;
	return st;
}

static int set_endpoint_here(struct tunnel_set *s, const char *profile, const char *host,
			     int port, struct err *err)
{
	struct set_tunnel *st;
	struct tunnel_forward *f;

	if (!host || !*host || port <= 0 || port > 65535) {
		err_set(err, "tunnel %s: no host and port to forward to", profile);
		return -1;
	}
	st = set_tunnel_get(s, profile, err);
	if (!st)
		return -1;
	for (size_t i = 0; i < st->nfw; i++)
		if (st->fw[i].port == port && str_eq(st->fw[i].host, host))
			return tunnel_forward_local_port(st->fw[i].f);
	f = tunnel_forward_open(st->t, host, port, 0, err);
	if (!f)
		return -1;
	st->fw = xrealloc(st->fw, (st->nfw + 1) * sizeof(*st->fw));
	st->fw[st->nfw++] = (struct set_forward){.host = xstrdup(host), .port = port, .f = f};
	return tunnel_forward_local_port(f);
}

static void set_describe_here(struct tunnel_set *s, const char *profile, const char *host,
			      int port, char *buf, size_t bufsz)
{
	const struct tunnel_status *ts;
	struct set_tunnel *st = NULL;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && !st; i++)
		if (str_eq(s->v[i]->profile, profile))
			st = s->v[i];
	if (!st)
		return;
	for (size_t i = 0; i < st->nfw; i++) {
		const char *e = tunnel_forward_error(st->fw[i].f);

		if (st->fw[i].port == port && str_eq(st->fw[i].host, host) && e && *e) {
			snprintf(buf, bufsz, "%s", e);
			return;
		}
	}
	ts = tunnel_status(st->t);
	if (ts->state == TUNNEL_DOWN)
		snprintf(buf, bufsz, "tunnel %s down: %s", profile, ts->reason);
}

/* Asked from another thread: the set's thread does it (set_woken) while
 * this one waits. False when the set is closing. */
static bool set_post(struct tunnel_set *s, struct set_request *rq)
{
	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	rq->next = s->requests;
	s->requests = rq;
	s->askers++;
	pthread_mutex_unlock(&s->lock);
	set_wake(s, 'r');
	pthread_mutex_lock(&s->lock);
	while (!rq->done)
		pthread_cond_wait(&s->answered, &s->lock);
	if (--s->askers == 0)
		pthread_cond_broadcast(&s->left);
	pthread_mutex_unlock(&s->lock);
	return true;
}

static bool set_here(const struct tunnel_set *s)
{
	return !s->threaded || pthread_equal(pthread_self(), s->thread);
}

int tunnel_set_endpoint(struct tunnel_set *s, const char *profile, const char *host, int port,
			struct err *err)
{
	struct set_request rq = {.profile = profile, .host = host, .port = port, .result = -1};

	if (set_here(s))
		return set_endpoint_here(s, profile, host, port, err);
	if (!set_post(s, &rq)) {
		err_set(err, "tunnels: closing");
		return -1;
	}
	if (rq.result < 0)
		err_set(err, "%s", rq.err.msg);
	return rq.result;
}

void tunnel_set_describe(struct tunnel_set *s, const char *profile, const char *host, int port,
			 char *buf, size_t bufsz)
{
	struct set_request rq = {
	    .profile = profile, .host = host, .port = port, .describe = true};

	if (!bufsz)
		return;
	if (set_here(s)) {
		set_describe_here(s, profile, host, port, buf, bufsz);
		return;
	}
	buf[0] = '\0';
	if (set_post(s, &rq))
		snprintf(buf, bufsz, "%s", rq.err.msg);
}

size_t tunnel_set_count(const struct tunnel_set *s)
{
	return s->n;
}

struct tunnel *tunnel_set_at(const struct tunnel_set *s, size_t i)
{
	return i < s->n ? s->v[i]->t : NULL;
}

void tunnel_set_observe(struct tunnel_set *s, tunnel_state_fn *fn, void *ud)
{
	s->observer = fn;
	s->observer_ud = ud;
}

static void set_woken(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct tunnel_set *s = ud;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));
	struct set_request *rq;

	(void)events;
	pthread_mutex_lock(&s->lock);
	rq = s->requests;
	s->requests = NULL;
	pthread_mutex_unlock(&s->lock);
	while (rq) {
		/* the asker's rq is gone once it sees done */
		struct set_request *next = rq->next;

		if (rq->describe)
			set_describe_here(s, rq->profile, rq->host, rq->port, rq->err.msg,
					  sizeof(rq->err.msg));
		else
			rq->result = set_endpoint_here(s, rq->profile, rq->host, rq->port,
						       &rq->err);
		pthread_mutex_lock(&s->lock);
		rq->done = true;
		pthread_cond_broadcast(&s->answered);
		pthread_mutex_unlock(&s->lock);
		rq = next;
	}
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 'q')
			loop_stop(loop);
}

static void *set_thread(void *arg)
{
	struct tunnel_set *s = arg;

	loop_run(s->loop);
	return NULL;
}

bool tunnel_set_start_thread(struct tunnel_set *s, struct err *err)
{
	sigset_t quiet, old;
	int rc;

	if (!s->own_loop || s->threaded) {
		err_set(err, "tunnels: the set already runs on a loop");
		return false;
	}
	/* not inherited by the children the process runs (askpass, exec
	 * credential plugins) */
	if (pipe2(s->wake, O_CLOEXEC) != 0) {
		err_set(err, "tunnels: pipe: %s", strerror(errno));
		return false;
	}
	s->wake_watch = loop_watch_fd(s->loop, s->wake[0], LOOP_READ, set_woken, s);
	/* The signals an operator sends go to the front end's thread, whose
	 * handlers stop the command; the set's thread inherits this mask. */
	sigemptyset(&quiet);
	sigaddset(&quiet, SIGINT);
	sigaddset(&quiet, SIGTERM);
	sigaddset(&quiet, SIGHUP);
	sigaddset(&quiet, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &quiet, &old);
	rc = pthread_create(&s->thread, NULL, set_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		err_set(err, "tunnels: no thread: %s", strerror(rc));
		return false;
	}
	s->threaded = true;
	return true;
}
