/* The HTTP client of one cluster: the Kubernetes layer over the generic
 * engine of net/http.h. It turns a kubeconfig into the engine's options
 * (server, CA, client certificate, tls-server-name, proxy, basic auth) and
 * adds the credentials each request carries: a token, a tokenFile read again
 * every minute, or an exec plugin's token or client certificate, cached
 * until its expiry. One client is one connection pool.
 *
 * Contract (the engine's, see net/http.h, with these types):
 *  - kube_http_request() never calls back from inside itself; the done
 *    function runs later from the loop, exactly once, unless the request is
 *    cancelled first. After done returns (or kube_req_cancel()), the request
 *    handle is gone.
 *  - A stream (on_line set) delivers each complete line of a 2xx answer as it
 *    arrives, without its line break; a last line without one is delivered at
 *    the end. A non-2xx answer is not streamed: its body comes to done, so the
 *    caller can read the Status.
 *  - Every request has a deadline: the whole exchange for plain requests; the
 *    arrival of the answer's headers for streams, whose body may then last as
 *    long as the server keeps it open (or stream_max_ms), and never stay
 *    silent longer than stall_ms if that is set.
 *  - GET requests that are not streams are retried on connection errors, 5xx
 *    and 429 with capped exponential backoff (Retry-After is honoured up to
 *    the cap). A 401 with exec-plugin credentials reruns the plugin once and
 *    sends the request again.
 *  - Callbacks may start and cancel requests, including cancelling the
 *    request whose line is being delivered; they must not free the client.
 *  - TLS verification is on unless the kubeconfig says
 *    insecure-skip-tls-verify. HTTP/2 is used where the server offers it.
 *  - No message carries a credential. */
#ifndef OPSDECK_KUBE_HTTP_H
#define OPSDECK_KUBE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/kubeconfig.h"
#include "loop.h"
#include "util.h"

#define KUBE_HTTP_TIMEOUT_MS 30000
#define KUBE_HTTP_CONNECT_TIMEOUT_MS 10000
#define KUBE_HTTP_MAX_BODY (64u * 1024u * 1024u)
#define KUBE_HTTP_MAX_LINE (16u * 1024u * 1024u)

struct conf;
struct kube_http;
struct kube_req;
struct net_http;

struct kube_response {
	long status; /* HTTP status; 0 when no answer came */
	char *body;  /* NUL-terminated, never NULL; "" for a stream's 2xx answer */
	size_t body_len;
	char *content_type; /* NULL if the server sent none */
	/* Set when the request failed without a usable answer: connection,
	 * TLS, timeout, a stall, credentials, an over-long body or line. */
	struct err err;
	/* the failure was the stall bound: no byte within stall_ms */
	bool stalled;
};

/* resp is the callee's to read; it may take resp->body (set it to NULL). */
typedef void (*kube_done_fn)(struct kube_response *resp, void *ud);
typedef void (*kube_line_fn)(const char *line, size_t len, void *ud);
/* A stream's 2xx headers are in; date_s: the server's Date (seconds since
 * the epoch), 0 if it sent none. */
typedef void (*kube_open_fn)(int64_t date_s, void *ud);

struct kube_request {
	const char *method; /* GET, POST, PUT, PATCH, DELETE; NULL: GET */
	const char *path;   /* from the server's root, with the query: "/api/v1/pods?limit=5" */
	const char *body;   /* NULL: none */
	size_t body_len;
	const char *content_type; /* of the body */
	const char *accept;	  /* NULL: application/json */
	long timeout_ms;	  /* 0: KUBE_HTTP_TIMEOUT_MS */
	long stream_max_ms;	  /* streams: limit on the whole stream; 0: none */
	/* once the headers are in, no byte for this long fails the request
	 * ("stalled: no data from the server for N s"); 0: no bound */
	long stall_ms;
	kube_line_fn on_line; /* set: a stream */
	kube_open_fn on_open; /* streams: once, when a 2xx answer's headers are in */
	int retries;	      /* -1: the default (3 for a plain GET, else 0) */
};

/* Takes ownership of cfg. NULL with err set if the server URL cannot be used.
 * With loop NULL the client makes a private loop of its own, for blocking
 * users such as the CLI (kube_http_request_sync, kube_http_wait). A context
 * that kube_http_set_tunnels() names is reached through its tunnel: the
 * connections go to the local port route_endpoint() (src/route.h) gives for
 * the server's host and port, TLS and Host still name the server; with the
 * kubeconfig's proxy-url as well, the client is refused. */
struct kube_http *kube_http_new(struct loop *loop, struct kube_config *cfg, struct err *err);
/* Cancels whatever is in flight (no callbacks) and frees the client. */
void kube_http_free(struct kube_http *h);

/* Process-wide, for every client made after it: the kube contexts whose API
 * server is reached through a tunnel profile (conf's kube.tunnels, copied;
 * NULL: none). The front end calls it when it installs its route. */
void kube_http_set_tunnels(const struct conf *conf);
/* The tunnel profile a context is reached through (a copy, to free), or
 * NULL: directly. */
char *kube_http_tunnel_of(const char *context);

const struct kube_config *kube_http_config(const struct kube_http *h);
struct loop *kube_http_loop(const struct kube_http *h);
/* Tunes the retry policy: first delay, cap, and the default count. */
void kube_http_set_retry(struct kube_http *h, long base_ms, long cap_ms, int retries);
/* Requests not yet done, for diagnostics and tests. */
size_t kube_http_pending(const struct kube_http *h);
/* The engine under this client (its connection pool), e.g. for
 * net_http_connects(). */
struct net_http *kube_http_net(const struct kube_http *h);
/* How many times this client ran its exec plugin (0 without one). */
unsigned kube_http_exec_runs(const struct kube_http *h);

/* Process-wide counts, for tests and diagnostics. */
struct kube_http_stats {
	unsigned long clients;	 /* alive now */
	unsigned long exec_runs; /* exec plugin runs by every client, ever */
};
struct kube_http_stats kube_http_stats(void);

/* Starts a request; NULL with err set if it is malformed (bad method or path). */
struct kube_req *kube_http_request(struct kube_http *h, const struct kube_request *rq,
				   kube_done_fn done, void *ud, struct err *err);
void kube_req_cancel(struct kube_req *r);

/* Runs the client's loop until *flag is true or max_ms passed (-1: no
 * limit). For the CLI and tests, on a loop nobody else is running. */
bool kube_http_wait(struct kube_http *h, const bool *flag, long max_ms);
/* Runs one request to completion on the client's loop. out must be freed
 * with kube_response_free(). Returns false with out->err set when there was
 * no usable answer. A stream's lines are not delivered here. */
bool kube_http_request_sync(struct kube_http *h, const struct kube_request *rq,
			    struct kube_response *out);
void kube_response_free(struct kube_response *r);

#endif
