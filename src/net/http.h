/* A generic HTTP client on the event loop: libcurl's multi interface driven
 * by the loop (curl's sockets become loop fd watchers, its timer a loop
 * timer), so no call here blocks the loop on the network. One client is one
 * server (a base URL), one set of TLS options and one connection pool;
 * what authenticates a request is either basic auth or an auth layer that
 * adds headers to each attempt (struct net_auth).
 *
 * Contract:
 *  - net_http_request() never calls back from inside itself; the done
 *    function runs later from the loop, exactly once, unless the request is
 *    cancelled first. After done returns (or net_req_cancel()), the request
 *    handle is gone.
 *  - A stream (on_line set) delivers each complete line of a 2xx answer as it
 *    arrives, without its line break; a last line without one is delivered at
 *    the end. A non-2xx answer is not streamed: its body comes to done.
 *  - Every request has a deadline: the whole exchange for plain requests; the
 *    arrival of the answer's headers for streams, whose body may then last as
 *    long as the server keeps sending (stall_ms bounds a silence,
 *    stream_max_ms the whole stream).
 *  - GET requests that are not streams are retried on connection errors, 5xx
 *    and 429 with capped exponential backoff and jitter; Retry-After (seconds
 *    or an HTTP date) is honoured up to NET_HTTP_RETRY_AFTER_MAX_MS.
 *  - An auth layer may make a request wait for credentials, fail it, and ask
 *    for one more attempt after a 401.
 *  - Callbacks may start and cancel requests, including cancelling the
 *    request whose line is being delivered; they must not free the client.
 *  - TLS verification is on unless the options say insecure. HTTP/2 is used
 *    where the server offers it; TCP keepalive notices a dead peer.
 *  - No message carries a credential; extra and auth headers are wiped from
 *    memory when a request is done with them. */
#ifndef OPSDECK_NET_HTTP_H
#define OPSDECK_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "util.h"

#define NET_HTTP_TIMEOUT_MS 30000
#define NET_HTTP_CONNECT_TIMEOUT_MS 10000
#define NET_HTTP_MAX_BODY (64u * 1024u * 1024u)
#define NET_HTTP_MAX_LINE (16u * 1024u * 1024u)
#define NET_HTTP_RETRY_AFTER_MAX_MS 30000
/* TCP keepalive: probes after this much idle time, this far apart, this
 * many unanswered before the connection counts as dead (about 25 s). */
#define NET_HTTP_KEEPIDLE_S 10
#define NET_HTTP_KEEPINTVL_S 5
#define NET_HTTP_KEEPCNT 3

struct net_http;
struct net_req;

struct net_response {
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
typedef void (*net_done_fn)(struct net_response *resp, void *ud);
typedef void (*net_line_fn)(const char *line, size_t len, void *ud);
/* A stream's 2xx headers are in; date_s: the server's Date header in
 * seconds since the epoch, 0 if it sent none. */
typedef void (*net_open_fn)(int64_t date_s, void *ud);

struct net_request {
	const char *method; /* GET, POST, PUT, PATCH, DELETE; NULL: GET */
	const char *path;   /* after the base URL, with the query: "/api/v1/pods?limit=5" */
	const char *body;   /* NULL: none */
	size_t body_len;
	const char *content_type; /* of the body */
	const char *accept;	  /* NULL: application/json */
	/* More "Name: value" header lines, NULL-terminated; NULL: none. No
	 * CR or LF inside; copied. */
	const char *const *headers;
	long timeout_ms;    /* 0: NET_HTTP_TIMEOUT_MS */
	long stream_max_ms; /* limit on a stream's whole life; 0: none */
	/* Once the answer's headers are in: fail the request when no byte
	 * arrives for this long ("stalled: ..."); 0: no bound. */
	long stall_ms;
	net_line_fn on_line; /* set: a stream */
	net_open_fn on_open; /* streams: once, when a 2xx answer's headers are in */
	int retries;	     /* -1: the default (the client's for a plain GET, else 0) */
};

/* PEM bytes in memory. */
struct net_blob {
	const void *data;
	size_t len;
};

enum net_auth_step {
	NET_AUTH_READY,	 /* the attempt carries its credentials: send it */
	NET_AUTH_WAIT,	 /* credentials are on their way: net_http_auth_resume() */
	NET_AUTH_FAILED, /* err says why; the request fails with that message */
};

/* An authentication layer. prepare runs before each attempt of each
 * request, outside any curl call; it may add headers and a client
 * certificate to the attempt (net_req_add_header, net_req_set_client_cert)
 * and keep a number with it (net_req_set_auth_tag). rejected runs when an
 * attempt got 401, at most once per request: true sends the request once
 * more (prepare runs again first). Either may be NULL. */
struct net_auth {
	enum net_auth_step (*prepare)(struct net_req *r, void *ud, struct err *err);
	bool (*rejected)(struct net_req *r, void *ud);
	void *ud;
};

struct net_http_opts {
	const char *base_url; /* scheme://host[:port][/prefix]; http or https */
	/* TLS: trust ca (PEM data) if set, else ca_file if set, else the
	 * system's trust store. */
	struct net_blob ca;
	const char *ca_file;
	struct net_blob client_cert, client_key; /* PEM; key is a secret */
	bool insecure; /* no verification of the server's certificate */
	const char *tls_server_name; /* SNI and certificate name, if not the URL's host */
	const char *proxy_url;	     /* NULL: the usual *_proxy variables apply */
	const char *username;	     /* set: HTTP basic authentication */
	const char *password;	     /* secret */
	const struct net_auth *auth; /* copied; NULL: none */
	/* Connect to 127.0.0.1 on this port instead of the server (a tunnel's
	 * forward, see src/route.h), while the URL, SNI, the certificate's
	 * name and the Host header stay the server's; 0: directly. Never
	 * through a proxy: with proxy_url set too, net_http_new refuses. */
	int connect_to;
	const char *connect_via; /* what connect_to leads through, for messages */
};

/* Copies what it needs from o. NULL with err set if the URL cannot be used.
 * With loop NULL the client makes a private loop of its own, for blocking
 * users such as the CLI (net_http_request_sync, net_http_wait). */
struct net_http *net_http_new(struct loop *loop, const struct net_http_opts *o, struct err *err);
/* Cancels whatever is in flight (no callbacks) and frees the client. */
void net_http_free(struct net_http *c);

struct loop *net_http_loop(const struct net_http *c);
/* The base URL as given, for messages ("URL through VIA" with a
 * connect_via). */
const char *net_http_server(const struct net_http *c);
/* Tunes the retry policy: first delay, cap, and the default count for a
 * plain GET (initially 250 ms, 4 s, 3). */
void net_http_set_retry(struct net_http *c, long base_ms, long cap_ms, int retries);
/* Requests not yet done, for diagnostics and tests. */
size_t net_http_pending(const struct net_http *c);
/* Connections this client has opened so far (CURLINFO_NUM_CONNECTS of
 * every attempt, summed). */
unsigned long net_http_connects(const struct net_http *c);

/* Starts a request; NULL with err set if it is malformed (bad method, path
 * or header). */
struct net_req *net_http_request(struct net_http *c, const struct net_request *rq, net_done_fn done,
				 void *ud, struct err *err);
void net_req_cancel(struct net_req *r);

/* For an auth layer's prepare only: what the attempt carries. */
void net_req_add_header(struct net_req *r, const char *line);
void net_req_set_client_cert(struct net_req *r, const struct net_blob *cert,
			     const struct net_blob *key);
void net_req_set_auth_tag(struct net_req *r, unsigned tag);
unsigned net_req_auth_tag(const struct net_req *r);
/* Requests waiting for credentials go on: each is prepared again, or, with
 * failed set, fails with that message. Call from the loop, not from inside
 * prepare. */
void net_http_auth_resume(struct net_http *c, const struct err *failed);

/* Runs the client's loop until *flag is true or max_ms passed (-1: no
 * limit). For the CLI and tests, on a loop nobody else is running. */
bool net_http_wait(struct net_http *c, const bool *flag, long max_ms);
/* Runs one request to completion on the client's loop. out must be freed
 * with net_response_free(). Returns false with out->err set when there was
 * no usable answer. */
bool net_http_request_sync(struct net_http *c, const struct net_request *rq,
			   struct net_response *out);
void net_response_free(struct net_response *r);

/* Process-wide counts, for tests and diagnostics. */
struct net_http_stats {
	unsigned long clients;	/* alive now */
	unsigned long connects; /* connections opened by every client, ever */
};
struct net_http_stats net_http_stats(void);

/* The host and port (the scheme's default when the URL names none) an
 * http(s) URL reaches; false with err set if it cannot be used. */
bool net_http_url_endpoint(const char *url, char *host, size_t hostsz, int *port,
			   struct err *err);

/* Whether the libcurl in use resolves host names without blocking (its
 * threaded or c-ares resolver). why gets a sentence either way. */
bool net_http_async_dns(char *why, size_t n);
/* The same judgement from libcurl's feature bits and version text. */
bool net_http_describe_dns(unsigned features, const char *version, const char *ares, char *why,
			   size_t n);

#endif
