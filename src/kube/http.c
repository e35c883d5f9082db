#include "config.h"

#include "kube/http.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "kube/execcred.h"
#include "net/http.h"
#include "route.h"

#define TOKEN_FILE_REREAD_MS 60000

/* A request as the caller sees it: the engine's request plus the caller's
 * callbacks, which take this layer's types. */
struct kube_req {
	struct kube_http *h;
	struct kube_req *prev, *next;
	struct net_req *net;
	kube_done_fn done;
	kube_line_fn on_line;
	kube_open_fn on_open;
	void *ud;
	bool in_done; /* its done function is running */
};

struct kube_http {
	struct net_http *net;
	struct kube_config *cfg;
	struct kube_req *reqs; /* every live request */

	struct execcred_source *exec;
	char *file_token; /* secret */
	uint64_t file_token_at;
	/* the plugin's answer expired on arrival: the waiting requests go
	 * without it (a 401 then asks for a fresh one) rather than wait again */
	bool resuming_stale;
};

static unsigned long live_clients;

/* kube.tunnels, as the front end set it: set once, read by whichever
 * thread makes a client */
static struct conf_kube_tunnel *tunnels;
static size_t ntunnels;
static pthread_mutex_t tunnels_lock = PTHREAD_MUTEX_INITIALIZER;

void kube_http_set_tunnels(const struct conf *conf)
{
	size_t n = conf ? conf->nkube_tunnels : 0;
	struct conf_kube_tunnel *v = n ? xcalloc(n, sizeof(*v)) : NULL;

	for (size_t i = 0; i < n; i++) {
		v[i].context = xstrdup(conf->kube_tunnels[i].context);
		v[i].profile = xstrdup(conf->kube_tunnels[i].profile);
	}
	pthread_mutex_lock(&tunnels_lock);
	for (size_t i = 0; i < ntunnels; i++) {
		free(tunnels[i].context);
		free(tunnels[i].profile);
	}
	free(tunnels);
	tunnels = v;
	ntunnels = n;
	pthread_mutex_unlock(&tunnels_lock);
}

char *kube_http_tunnel_of(const char *context)
{
	char *profile = NULL;

	pthread_mutex_lock(&tunnels_lock);
	for (size_t i = 0; context && i < ntunnels && !profile; i++) {
		if (strcmp(tunnels[i].context, context) == 0)
			profile = xstrdup(tunnels[i].profile);
	}
	pthread_mutex_unlock(&tunnels_lock);
	return profile;
}

/* ---- credentials, through the engine's auth hook ---- */

static bool ensure_file_token(struct kube_http *h, struct err *e)
{
	uint64_t now = loop_now_ms();
	struct err sub = {{0}};
	char *tok;

	if (h->file_token && now - h->file_token_at < TOKEN_FILE_REREAD_MS)
		return true;
	tok = kubeconfig_read_token_file(h->cfg->token_file, &sub);
	if (!tok) {
		if (h->file_token)
			return true; /* keep the last good one; the server will say if it expired */
		err_set(e, "credentials: %s", sub.msg);
		return false;
	}
	kubeconfig_free_secret(h->file_token);
	h->file_token = tok;
	h->file_token_at = now;
	return true;
}

static enum net_auth_step auth_prepare(struct net_req *nr, void *ud, struct err *err)
{
	struct kube_http *h = ud;
	const struct kube_config *cfg = h->cfg;
	const char *token = NULL;

	if (h->exec) {
		const struct execcred *cred = execcred_source_cached(h->exec, time(NULL));

		if (!cred && !h->resuming_stale) {
			/* one run serves every request that waits for it */
			execcred_source_refresh(h->exec);
			return NET_AUTH_WAIT;
		}
		net_req_set_auth_tag(nr, execcred_source_runs(h->exec));
		if (cred && cred->token)
			token = cred->token;
		if (cred && cred->client_cert.data) {
			struct net_blob cert = {cred->client_cert.data, cred->client_cert.len};
			struct net_blob key = {cred->client_key.data, cred->client_key.len};

			net_req_set_client_cert(nr, &cert, &key);
		}
	}
	if (cfg->token_file) {
		if (!ensure_file_token(h, err))
			return NET_AUTH_FAILED;
		token = h->file_token;
	} else if (cfg->token) {
		token = cfg->token;
	}
	if (token) {
		char *hdr = xasprintf("Authorization: Bearer %s", token);

		net_req_add_header(nr, hdr);
		kubeconfig_free_secret(hdr);
	}
	return NET_AUTH_READY;
}

/* A 401: the plugin's credential was refused, so get a fresh one, once;
 * unless another request already had a newer one made. */
static bool auth_rejected(struct net_req *nr, void *ud)
{
	struct kube_http *h = ud;

	if (!h->exec)
		return false;
	if (execcred_source_runs(h->exec) == net_req_auth_tag(nr))
		execcred_source_invalidate(h->exec);
	return true;
}

static void on_cred(struct execcred_source *src, bool ok, const struct err *err, void *ud)
{
	struct kube_http *h = ud;
	struct err e;

	(void)src;
	if (ok) {
		h->resuming_stale = !execcred_source_cached(h->exec, time(NULL));
		net_http_auth_resume(h->net, NULL);
		h->resuming_stale = false;
		return;
	}
	err_set(&e, "credentials: %s", err->msg);
	net_http_auth_resume(h->net, &e);
}

/* ---- requests ---- */

static void req_unlink_free(struct kube_req *r)
{
	struct kube_http *h = r->h;

	if (r->prev)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r);
}

static void on_net_line(const char *line, size_t len, void *ud)
{
	struct kube_req *r = ud;

	r->on_line(line, len, r->ud);
}

static void on_net_open(int64_t date_s, void *ud)
{
	struct kube_req *r = ud;

	r->on_open(date_s, r->ud);
}

/* Moves the engine's answer into ours. */
static void take_response(struct net_response *from, struct kube_response *to)
{
	to->status = from->status;
	to->body = from->body;
	to->body_len = from->body_len;
	to->content_type = from->content_type;
	to->err = from->err;
	to->stalled = from->stalled;
	from->body = NULL;
	from->content_type = NULL;
}

static void on_net_done(struct net_response *nresp, void *ud)
{
	struct kube_req *r = ud;
	struct kube_response resp;

	take_response(nresp, &resp);
	r->in_done = true;
	r->done(&resp, r->ud);
	kube_response_free(&resp);
	req_unlink_free(r);
}

static struct net_request net_request_of(const struct kube_request *rq, net_line_fn on_line)
{
	return (struct net_request){
	    .method = rq->method,
	    .path = rq->path,
	    .body = rq->body,
	    .body_len = rq->body_len,
	    .content_type = rq->content_type,
	    .accept = rq->accept,
	    .timeout_ms = rq->timeout_ms,
	    .stream_max_ms = rq->stream_max_ms,
	    .stall_ms = rq->stall_ms,
	    .on_line = rq->on_line ? on_line : NULL,
	    .on_open = rq->on_line && rq->on_open ? on_net_open : NULL,
	    .retries = rq->retries,
	};
}

struct kube_req *kube_http_request(struct kube_http *h, const struct kube_request *rq,
				   kube_done_fn done, void *ud, struct err *err)
{
	struct kube_req *r = xcalloc(1, sizeof(*r));
	struct net_request nrq = net_request_of(rq, on_net_line);

	r->h = h;
	r->done = done;
	r->on_line = rq->on_line;
	r->on_open = rq->on_open;
	r->ud = ud;
	r->net = net_http_request(h->net, &nrq, on_net_done, r, err);
	if (!r->net) {
		free(r);
		return NULL;
	}
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	return r;
}

void kube_req_cancel(struct kube_req *r)
{
	if (!r || r->in_done)
		return;
	net_req_cancel(r->net);
	req_unlink_free(r);
}

/* ---- the client ---- */

static struct net_blob blob_of(const struct kube_blob *b)
{
	return (struct net_blob){b->data, b->len};
}

/* The local port that leads to the context's server through its tunnel
 * (0: none, directly; -1 with err set: it cannot be had). */
static int tunnel_port(const struct kube_config *cfg, const char *profile, struct err *err)
{
	char host[256];
	int port = 0, local;
	struct err e = {{0}};

	if (!profile)
		return 0;
	if (cfg->proxy_url) {
		err_set(err,
			"context %s: the kubeconfig's proxy-url and kube.tunnels (tunnel %s) both "
			"lead to %s; use one of them",
			cfg->context, profile, cfg->server);
		return -1;
	}
	if (!net_http_url_endpoint(cfg->server, host, sizeof(host), &port, err))
		return -1;
	local = route_endpoint(profile, host, port, &e);
	if (local < 0) {
		err_set(err, "context %s: %s", cfg->context, e.msg);
		return -1;
	}
	return local;
}

struct kube_http *kube_http_new(struct loop *loop, struct kube_config *cfg, struct err *err)
{
	struct kube_http *h = xcalloc(1, sizeof(*h));
	const struct net_auth auth = {auth_prepare, auth_rejected, h};
	struct net_http_opts o = {
	    .base_url = cfg->server,
	    .insecure = cfg->insecure,
	    .tls_server_name = cfg->tls_server_name,
	    .proxy_url = cfg->proxy_url,
	    .username = cfg->username,
	    .password = cfg->password,
	    .auth = &auth,
	};
	char *profile = kube_http_tunnel_of(cfg->context);
	char via[128];

	o.connect_to = tunnel_port(cfg, profile, err);
	if (o.connect_to < 0) {
		free(profile);
		kubeconfig_free(cfg);
		free(h);
		return NULL;
	}
	if (profile) {
		snprintf(via, sizeof(via), "tunnel %s", profile);
		o.connect_via = via;
		free(profile);
	}

	if (cfg->ca.data)
		o.ca = blob_of(&cfg->ca);
	if (cfg->client_cert.data && cfg->client_key.data) {
		o.client_cert = blob_of(&cfg->client_cert);
		o.client_key = blob_of(&cfg->client_key);
	}
	h->net = net_http_new(loop, &o, err);
	if (!h->net) {
		kubeconfig_free(cfg);
		free(h);
		return NULL;
	}
	h->cfg = cfg;
	if (cfg->exec)
		h->exec = execcred_source_new(net_http_loop(h->net), cfg, EXECCRED_TIMEOUT_MS,
					      on_cred, h);
	live_clients++;
	return h;
}

void kube_http_free(struct kube_http *h)
{
	if (!h)
		return;
	/* the plugin first: it lives on the engine's loop, which may be the
	 * engine's own; the engine drops its requests without callbacks, and
	 * ours go with them */
	execcred_source_free(h->exec);
	net_http_free(h->net);
	while (h->reqs)
		req_unlink_free(h->reqs);
	kubeconfig_free_secret(h->file_token);
	kubeconfig_free(h->cfg);
	free(h);
	live_clients--;
}

const struct kube_config *kube_http_config(const struct kube_http *h)
{
	return h->cfg;
}

struct loop *kube_http_loop(const struct kube_http *h)
{
	return net_http_loop(h->net);
}

struct net_http *kube_http_net(const struct kube_http *h)
{
	return h->net;
}

void kube_http_set_retry(struct kube_http *h, long base_ms, long cap_ms, int retries)
{
	net_http_set_retry(h->net, base_ms, cap_ms, retries);
}

size_t kube_http_pending(const struct kube_http *h)
{
	return net_http_pending(h->net);
}

unsigned kube_http_exec_runs(const struct kube_http *h)
{
	return h->exec ? execcred_source_runs(h->exec) : 0;
}

struct kube_http_stats kube_http_stats(void)
{
	return (struct kube_http_stats){live_clients, execcred_total_runs()};
}

bool kube_http_wait(struct kube_http *h, const bool *flag, long max_ms)
{
	return net_http_wait(h->net, flag, max_ms);
}

/* The blocking call has no place for a line function's user data: a
 * stream's lines are read and dropped. */
static void drop_line(const char *line, size_t len, void *ud)
{
	(void)line;
	(void)len;
	(void)ud;
}

bool kube_http_request_sync(struct kube_http *h, const struct kube_request *rq,
			    struct kube_response *out)
{
	struct net_request nrq = net_request_of(rq, drop_line);
	struct net_response nresp;
	bool ok = net_http_request_sync(h->net, &nrq, &nresp);

	take_response(&nresp, out);
	return ok;
}

void kube_response_free(struct kube_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->content_type);
	r->body = NULL;
	r->content_type = NULL;
}
