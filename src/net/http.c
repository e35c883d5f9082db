#include "config.h"

#include "net/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "net/proxy.h"

/* Blobs for the CA and client certificate came in 7.71 and 7.77. */
#if LIBCURL_VERSION_NUM < 0x074d00
#error "libcurl 7.77 or later is needed (CURLOPT_CAINFO_BLOB)"
#endif

#define STREAM_ERROR_BODY_MAX (1024u * 1024u)

enum req_state {
	RQ_NEW,
	RQ_WAIT_AUTH,  /* the auth layer is fetching credentials */
	RQ_QUEUED,     /* to be added to the multi handle after the current curl call */
	RQ_RUNNING,    /* in the multi handle */
	RQ_RETRY_WAIT, /* backing off before another attempt */
	RQ_DONE,       /* its done function is running */
};

/* Owned copies of PEM bytes; wiped when freed. */
struct blob {
	unsigned char *data;
	size_t len;
};

struct net_req {
	struct net_http *c;
	struct net_req *prev, *next;
	enum req_state state;
	bool cancelled;

	char *method, *path, *content_type, *accept;
	char *body;
	size_t body_len;
	struct curl_slist *extra; /* the caller's headers */
	long timeout_ms, stream_max_ms, stall_ms;
	int retries_left;
	unsigned attempt;
	bool auth_retried;
	unsigned auth_tag;
	unsigned auth_gen; /* the resume round it waits for */
	net_line_fn on_line;
	net_open_fn on_open;
	net_done_fn done;
	void *ud;

	/* one attempt */
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *auth_headers;
	struct blob cert, key;	  /* from the auth layer */
	struct loop_timer *timer; /* retry back-off, or a stream's header deadline */
	struct loop_timer *stall; /* silence bound once the headers are in */
	bool stalled;		  /* it ended for that silence */
	uint64_t last_byte_ms;
	char errbuf[CURL_ERROR_SIZE];

	/* the answer */
	long status;
	bool headers_done;
	bool streaming; /* a 2xx stream: lines go to on_line */
	struct buf resp;
	struct buf line;
	char *ctype;
	long retry_after_ms;
	int64_t date_s; /* the answer's Date header; 0: none */
	struct err fail; /* our own reason to abort */
};

struct sock_watch {
	curl_socket_t fd;
	struct loop_watch *w;
};

struct net_http {
	struct loop *loop;
	bool own_loop; /* made by net_http_new for a blocking user */
	char *server;  /* the base URL as given, for messages */
	CURLM *multi;
	struct loop_timer *timer;
	struct sock_watch *socks;
	size_t nsocks, capsocks;
	int in_curl; /* depth of curl calls that may run our callbacks */
	size_t ncancelled;
	struct net_req *reqs; /* every live request */
	size_t nreqs;

	char *base_url;		    /* server, or with tls-server-name as its host */
	struct curl_slist *connect; /* CONNECT_TO for tls-server-name */
	char *host_header;	    /* the server's own Host: with tls-server-name */
	struct blob ca, cert, key;
	char *ca_file, *proxy_url, *username, *password;
	char *proxy_shown; /* the proxy and its port, its password masked; NULL: direct */
	bool proxy_has_user;
	bool proxy_tls; /* an https:// proxy */
	bool insecure;
	struct net_auth auth;
	unsigned auth_gen;

	long retry_base_ms, retry_cap_ms;
	int retries;
	uint64_t rng;
	unsigned long connects;
	int connect_port; /* a local port everything goes to (connect_to); 0: none */
};

static struct net_http_stats stats;

static void req_start(struct net_req *r);
static void after_curl(struct net_http *c);

/* ---- small helpers ---- */

static void slist_free_wiped(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static struct curl_slist *slist_add(struct curl_slist *l, const char *line)
{
	struct curl_slist *n = curl_slist_append(l, line);

	if (!n)
		fatal("out of memory building request headers");
	return n;
}

static void blob_set(struct blob *b, const void *data, size_t len)
{
	b->data = xmalloc(len + 1);
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	b->len = len;
}

static void blob_free(struct blob *b)
{
	if (b->data)
		explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static uint64_t rng_next(struct net_http *c)
{
	/* xorshift64*: jitter only, nothing secret depends on it */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ull;
}

static const char *path_only(const char *path, char *out, size_t outsz)
{
	size_t n = strcspn(path, "?");

	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, path, n);
	out[n] = '\0';
	return out;
}

/* ---- request bookkeeping ---- */

static void req_unlink(struct net_req *r)
{
	struct net_http *c = r->c;

	if (r->prev)
		r->prev->next = r->next;
	else
		c->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	c->nreqs--;
}

/* Takes the easy handle out of the multi handle; never from a curl callback. */
static void req_detach(struct net_req *r)
{
	if (r->easy) {
		long n = 0;

		if (curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK && n > 0) {
			r->c->connects += (unsigned long)n;
			stats.connects += (unsigned long)n;
		}
		curl_multi_remove_handle(r->c->multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	slist_free_wiped(r->headers);
	r->headers = NULL;
	slist_free_wiped(r->auth_headers);
	r->auth_headers = NULL;
	blob_free(&r->cert);
	blob_free(&r->key);
	loop_timer_cancel(r->timer);
	r->timer = NULL;
	loop_timer_cancel(r->stall);
	r->stall = NULL;
}

static void req_reset_answer(struct net_req *r)
{
	r->status = 0;
	r->headers_done = false;
	r->streaming = false;
	buf_free(&r->resp);
	buf_free(&r->line);
	x_free(&r->ctype);
	r->retry_after_ms = 0;
	err_clear(&r->fail);
	r->errbuf[0] = '\0';
}

static void req_free(struct net_req *r)
{
	req_detach(r);
	req_unlink(r);
	req_reset_answer(r);
	free(r->method);
	free(r->path);
	free(r->content_type);
	free(r->accept);
	slist_free_wiped(r->extra);
	if (r->body)
		explicit_bzero(r->body, r->body_len);
	free(r->body);
	free(r);
}

/* Delivers the outcome and frees the request. Never inside a curl call. */
static void req_finish(struct net_req *r, long status, const struct err *e)
{
	struct net_response resp;

	req_detach(r);
	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	if (e)
		resp.err = *e;
	resp.stalled = r->stalled;
	if (r->streaming)
		buf_reset(&r->resp);
	resp.body_len = r->resp.len;
	resp.body = buf_steal(&r->resp);
	resp.content_type = r->ctype;
	r->ctype = NULL;
	r->state = RQ_DONE;
	r->done(&resp, r->ud);
	net_response_free(&resp);
	req_free(r);
}

/* ---- curl <-> loop ---- */

static void on_sock(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct net_http *c = ud;
	int flags = 0, running;

	(void)loop;
	if (events & LOOP_READ)
		flags |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & LOOP_ERROR)
		flags |= CURL_CSELECT_ERR;
	c->in_curl++;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	c->in_curl--;
	after_curl(c);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct net_http *c = userp;
	struct loop_watch *w = socketp;
	unsigned ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		for (size_t i = 0; i < c->nsocks; i++) {
			if (c->socks[i].fd == s) {
				loop_watch_remove(c->socks[i].w);
				c->socks[i] = c->socks[--c->nsocks];
				break;
			}
		}
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= LOOP_READ;
	if (what & CURL_POLL_OUT)
		ev |= LOOP_WRITE;
	if (w) {
		loop_watch_set_events(w, ev);
		return 0;
	}
	w = loop_watch_fd(c->loop, s, ev, on_sock, c);
	c->socks = xgrow(c->socks, &c->capsocks, c->nsocks + 1, sizeof(*c->socks));
	c->socks[c->nsocks++] = (struct sock_watch){s, w};
	curl_multi_assign(c->multi, s, w);
	return 0;
}

static void on_curl_timer(struct loop *loop, void *ud)
{
	struct net_http *c = ud;
	int running;

	(void)loop;
	c->timer = NULL;
	c->in_curl++;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	c->in_curl--;
	after_curl(c);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct net_http *c = userp;

	(void)multi;
	if (timeout_ms < 0) {
		loop_timer_cancel(c->timer);
		c->timer = NULL;
	} else if (c->timer) {
		loop_timer_reset(c->timer, (uint64_t)timeout_ms);
	} else {
		c->timer = loop_timer_add(c->loop, (uint64_t)timeout_ms, 0, on_curl_timer, c);
	}
	return 0;
}

/* Keepalive probes give up after NET_HTTP_KEEPCNT; curl sets the rest. */
static int sockopt_cb(void *ud, curl_socket_t fd, curlsocktype purpose)
{
	int cnt = NET_HTTP_KEEPCNT;

	(void)ud;
	if (purpose == CURLSOCKTYPE_IPCXN)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	return CURL_SOCKOPT_OK;
}

/* ---- stalls ---- */

static void on_stall_check(struct loop *loop, void *ud)
{
	struct net_req *r = ud;
	uint64_t idle = loop_now_ms() - r->last_byte_ms;
	struct err e;
	char p[256];

	(void)loop;
	if (idle < (uint64_t)r->stall_ms) {
		loop_timer_reset(r->stall, (uint64_t)r->stall_ms - idle);
		return;
	}
	r->stall = NULL;
	r->stalled = true;
	err_set(&e, "%s %s: stalled: no data from the server for %ld s", r->method,
		path_only(r->path, p, sizeof(p)), (r->stall_ms + 999) / 1000);
	req_finish(r, 0, &e);
}

/* ---- answer callbacks (inside curl) ---- */

static long parse_retry_after(const char *data, size_t len)
{
	char tmp[64];
	size_t vl = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;
	long secs;
	char *s = tmp;
	time_t when, now;

	memcpy(tmp, data, vl);
	tmp[vl] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	s[strcspn(s, "\r\n")] = '\0';
	if (str_to_long(s, 0, 3600, &secs))
		return secs * 1000;
	/* an HTTP date */
	when = curl_getdate(s, NULL);
	now = time(NULL);
	if (when <= now)
		return 0;
	return when - now > 3600 ? 3600 * 1000L : (long)(when - now) * 1000;
}

static size_t header_cb(char *data, size_t size, size_t n, void *ud)
{
	struct net_req *r = ud;
	size_t len = size * n;

	if (r->cancelled)
		return 0;
	r->last_byte_ms = loop_now_ms();
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new status line: forget the headers of an interim answer */
		x_free(&r->ctype);
		r->retry_after_ms = 0;
		r->date_s = 0;
	} else if (len >= 5 && strncasecmp(data, "date:", 5) == 0) {
		char tmp[64];
		size_t vl = len - 5 < sizeof(tmp) - 1 ? len - 5 : sizeof(tmp) - 1;
		time_t when;

		memcpy(tmp, data + 5, vl);
		tmp[vl] = '\0';
		tmp[strcspn(tmp, "\r\n")] = '\0';
		when = curl_getdate(tmp, NULL);
		r->date_s = when > 0 ? (int64_t)when : 0;
	} else if (len >= 13 && strncasecmp(data, "content-type:", 13) == 0) {
		const char *v = data + 13;
		size_t vl = len - 13;

		while (vl && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		free(r->ctype);
		r->ctype = xstrndup(v, vl);
	} else if (len >= 12 && strncasecmp(data, "retry-after:", 12) == 0) {
		r->retry_after_ms = parse_retry_after(data + 12, len - 12);
	} else if ((len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n')) {
		long code = 0;

		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200) {
			r->status = code;
			r->headers_done = true;
			r->streaming = r->on_line && code >= 200 && code < 300;
			/* a stream's deadline covers only the wait for its headers */
			if (r->on_line) {
				loop_timer_cancel(r->timer);
				r->timer = NULL;
			}
			if (r->stall_ms > 0 && !r->stall)
				r->stall = loop_timer_add(r->c->loop, (uint64_t)r->stall_ms, 0,
							  on_stall_check, r);
			if (r->streaming && r->on_open) {
				r->on_open(r->date_s, r->ud);
				if (r->cancelled)
					return 0;
			}
		}
	}
	return len;
}

static void deliver_line(struct net_req *r, const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	r->on_line(p, n, r->ud);
}

static size_t write_cb(char *data, size_t size, size_t n, void *ud)
{
	struct net_req *r = ud;
	size_t len = size * n;

	if (r->cancelled)
		return 0;
	r->last_byte_ms = loop_now_ms();
	if (!r->streaming) {
		size_t max = r->on_line ? STREAM_ERROR_BODY_MAX : NET_HTTP_MAX_BODY;

		if (r->resp.len + len > max) {
			err_set(&r->fail, "the answer is larger than %zu bytes", (size_t)max);
			return 0;
		}
		buf_append(&r->resp, data, len);
		return len;
	}
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (r->line.len + take > NET_HTTP_MAX_LINE) {
			err_set(&r->fail, "a line of the answer is longer than %u bytes",
				NET_HTTP_MAX_LINE);
			return 0;
		}
		if (!nl) {
			buf_append(&r->line, data, take);
			break;
		}
		if (r->line.len) {
			buf_append(&r->line, data, take);
			deliver_line(r, r->line.data, r->line.len);
			buf_reset(&r->line);
		} else {
			deliver_line(r, data, take);
		}
		if (r->cancelled)
			return 0;
		data += take + 1;
		len -= take + 1;
	}
	return size * n;
}

/* ---- starting ---- */

static void set_blob(CURL *easy, CURLoption opt, const struct blob *b)
{
	struct curl_blob blob = {b->data, b->len, CURL_BLOB_COPY};

	curl_easy_setopt(easy, opt, &blob);
}

static void set_method(CURL *easy, const struct net_req *r)
{
	if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(r->method, "POST") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body || strcmp(r->method, "DELETE") != 0) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(r->body ? r->body_len : 0));
	}
}

static void set_tls(CURL *easy, const struct net_req *r)
{
	const struct net_http *c = r->c;
	const struct blob *cert = r->cert.data ? &r->cert : c->cert.data ? &c->cert : NULL;
	const struct blob *key = r->cert.data ? &r->key : &c->key;

	/* verification stays on unless the options turn it off */
	if (c->insecure) {
		curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->ca.data) {
		set_blob(easy, CURLOPT_CAINFO_BLOB, &c->ca);
	} else if (c->ca_file) {
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->ca_file);
	}
	if (cert) {
		set_blob(easy, CURLOPT_SSLCERT_BLOB, cert);
		curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
		set_blob(easy, CURLOPT_SSLKEY_BLOB, key);
		curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (c->connect)
		curl_easy_setopt(easy, CURLOPT_CONNECT_TO, c->connect);
	/* the local port leads to the server itself: no proxy from the
	 * environment may take the connection elsewhere */
	if (c->connect_port)
		curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
}

/* The proxy was chosen as kubectl chooses it (net_http_new): curl is told
 * to read no environment and to apply no NO_PROXY of its own. An https
 * server is reached through CONNECT; an http one with absolute-form
 * requests to the proxy, as Go's transport does. An https proxy's own
 * certificate is checked as Go checks it, with the cluster's TLS settings:
 * its certificate authority (the system's trust store without one), and
 * not at all with insecure-skip-tls-verify. Go would also check it against
 * tls-server-name; libcurl checks the proxy's own name. */
static void set_proxy(CURL *easy, const struct net_http *c)
{
	curl_easy_setopt(easy, CURLOPT_PROXY, c->proxy_url ? c->proxy_url : "");
	if (!c->proxy_url)
		return;
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
	if (strncmp(c->base_url, "https:", 6) == 0)
		curl_easy_setopt(easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
	if (!c->proxy_tls)
		return;
	if (c->insecure) {
		curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYHOST, 0L);
	} else if (c->ca.data) {
		set_blob(easy, CURLOPT_PROXY_CAINFO_BLOB, &c->ca);
	} else if (c->ca_file) {
		curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO, c->ca_file);
	}
}

static void set_headers(CURL *easy, struct net_req *r)
{
	const struct net_http *c = r->c;
	char *hdr;

	hdr = xasprintf("Accept: %s", r->accept ? r->accept : "application/json");
	r->headers = slist_add(r->headers, hdr);
	free(hdr);
	if (r->content_type) {
		hdr = xasprintf("Content-Type: %s", r->content_type);
		r->headers = slist_add(r->headers, hdr);
		free(hdr);
	}
	/* no 100-continue round trip for bodies */
	r->headers = slist_add(r->headers, "Expect:");
	if (c->host_header)
		r->headers = slist_add(r->headers, c->host_header);
	for (const struct curl_slist *p = r->extra; p; p = p->next)
		r->headers = slist_add(r->headers, p->data);
	for (const struct curl_slist *p = r->auth_headers; p; p = p->next)
		r->headers = slist_add(r->headers, p->data);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, r->headers);
}

static void req_build(struct net_req *r)
{
	struct net_http *c = r->c;
	char *url;
	CURL *easy;

	easy = curl_easy_init();
	if (!easy)
		fatal("out of memory creating a curl handle");
	r->easy = easy;
	url = xasprintf("%s%s", c->base_url, r->path);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, (long)NET_HTTP_KEEPIDLE_S);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, (long)NET_HTTP_KEEPINTVL_S);
	curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
			 r->timeout_ms < NET_HTTP_CONNECT_TIMEOUT_MS ? r->timeout_ms
								     : NET_HTTP_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, r->on_line ? r->stream_max_ms : r->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
	set_method(easy, r);
	set_tls(easy, r);
	set_proxy(easy, c);
	if (c->username) {
		curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(easy, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(easy, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	set_headers(easy, r);
}

static void on_headers_deadline(struct loop *loop, void *ud)
{
	struct net_req *r = ud;
	struct err e;
	char p[256];

	(void)loop;
	r->timer = NULL;
	err_set(&e, "%s %s: no answer from %s within %ld s", r->method,
		path_only(r->path, p, sizeof(p)), r->c->server, (r->timeout_ms + 999) / 1000);
	req_finish(r, 0, &e);
}

/* Prepares an attempt (credentials first) and adds it to the multi handle,
 * or queues it when we are inside a curl call, where adding is not allowed. */
static void req_start(struct net_req *r)
{
	struct net_http *c = r->c;
	struct err e = {{0}};

	if (c->in_curl) {
		r->state = RQ_QUEUED;
		return;
	}
	req_reset_answer(r);
	if (c->auth.prepare) {
		switch (c->auth.prepare(r, c->auth.ud, &e)) {
		case NET_AUTH_READY:
			break;
		case NET_AUTH_WAIT:
			slist_free_wiped(r->auth_headers);
			r->auth_headers = NULL;
			r->state = RQ_WAIT_AUTH;
			r->auth_gen = c->auth_gen;
			return;
		case NET_AUTH_FAILED:
		default:
			if (!err_isset(&e))
				err_set(&e, "credentials: not available");
			req_finish(r, 0, &e);
			return;
		}
	}
	req_build(r);
	r->attempt++;
	r->state = RQ_RUNNING;
	if (r->on_line)
		r->timer =
		    loop_timer_add(c->loop, (uint64_t)r->timeout_ms, 0, on_headers_deadline, r);
	if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
		err_set(&e, "%s %s: cannot start the request", r->method, r->path);
		req_finish(r, 0, &e);
	}
}

void net_http_auth_resume(struct net_http *c, const struct err *failed)
{
	struct net_req *r;
	unsigned gen = c->auth_gen++;

	/* Only requests that waited before this call: one prepared again may
	 * wait anew, for the next round. The scan restarts after each, as a
	 * callback may cancel others. */
	for (;;) {
		for (r = c->reqs; r; r = r->next) {
			if (r->state == RQ_WAIT_AUTH && r->auth_gen == gen)
				break;
		}
		if (!r)
			break;
		if (failed) {
			req_finish(r, 0, failed);
		} else {
			r->state = RQ_NEW;
			req_start(r);
		}
	}
}

void net_req_add_header(struct net_req *r, const char *line)
{
	r->auth_headers = slist_add(r->auth_headers, line);
}

void net_req_set_client_cert(struct net_req *r, const struct net_blob *cert,
			     const struct net_blob *key)
{
	blob_free(&r->cert);
	blob_free(&r->key);
	blob_set(&r->cert, cert->data, cert->len);
	blob_set(&r->key, key->data, key->len);
}

void net_req_set_auth_tag(struct net_req *r, unsigned tag)
{
	r->auth_tag = tag;
}

unsigned net_req_auth_tag(const struct net_req *r)
{
	return r->auth_tag;
}

/* ---- completion ---- */

static bool transient(CURLcode rc, CURL *easy)
{
	curl_off_t connect_us = 0;
	long proxy_code = 0;

	/* a proxy that refused the tunnel (407, 403) refuses it again */
	if (curl_easy_getinfo(easy, CURLINFO_HTTP_CONNECTCODE, &proxy_code) == CURLE_OK &&
	    proxy_code >= 400 && proxy_code < 500)
		return false;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		/* a connect that timed out is worth another try; a request that
		 * used up its whole time is not */
		curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
		return connect_us == 0;
	default:
		return false;
	}
}

static void on_retry_timer(struct loop *loop, void *ud)
{
	struct net_req *r = ud;

	(void)loop;
	r->timer = NULL;
	req_start(r);
}

/* An HTTP proxy that closed the connection after it was sent CONNECT,
 * without an answer (curl: "Proxy CONNECT aborted", or nothing at all). */
static bool proxy_closed_at_connect(struct net_req *r, CURLcode rc)
{
	const struct net_http *c = r->c;
	long code = 0;

	if (!c->proxy_url || strncmp(c->proxy_url, "socks", 5) == 0 ||
	    strncmp(c->base_url, "https:", 6) != 0)
		return false;
	if (rc != CURLE_RECV_ERROR && rc != CURLE_GOT_NOTHING && rc != CURLE_SEND_ERROR &&
	    rc != CURLE_PROXY)
		return false;
	return curl_easy_getinfo(r->easy, CURLINFO_HTTP_CONNECTCODE, &code) == CURLE_OK &&
	       code == 0;
}

/* What a SOCKS5 proxy said about the server it was asked to reach. */
static const char *socks_reply(long px)
{
	switch (px) {
	case CURLPX_REPLY_CONNECTION_REFUSED:
		return "the SOCKS proxy could not connect to the server: connection refused";
	case CURLPX_REPLY_HOST_UNREACHABLE:
		return "the SOCKS proxy cannot reach the server (host unreachable, or its name "
		       "does not resolve there)";
	case CURLPX_REPLY_NETWORK_UNREACHABLE:
		return "the SOCKS proxy cannot reach the server (network unreachable)";
	case CURLPX_REPLY_NOT_ALLOWED:
		return "the SOCKS proxy refused to connect to the server (not allowed by its "
		       "rules)";
	case CURLPX_REPLY_TTL_EXPIRED:
		return "the SOCKS proxy gave up connecting to the server (TTL expired)";
	case CURLPX_REPLY_GENERAL_SERVER_FAILURE:
		return "the SOCKS proxy failed to connect to the server (general failure)";
	case CURLPX_REPLY_COMMAND_NOT_SUPPORTED:
	case CURLPX_REPLY_ADDRESS_TYPE_NOT_SUPPORTED:
		return "the SOCKS proxy does not take a connection to a host name";
	case CURLPX_USER_REJECTED:
		return "the SOCKS proxy rejected the user name and password of the proxy URL";
	case CURLPX_NO_AUTH:
		return "the SOCKS proxy takes none of the authentication methods offered "
		       "(user:password@ in the proxy URL, or none)";
	case CURLPX_CLOSED:
	case CURLPX_RECV_CONNECT:
	case CURLPX_RECV_REQACK:
		return "the SOCKS proxy closed the connection instead of connecting to the "
		       "server";
	default:
		return NULL;
	}
}

/* A failure on the way through the proxy, in words that name it (its
 * password masked); false if rc is not about the proxy. */
static bool describe_proxy_failure(struct net_req *r, CURLcode rc, const char *detail,
				   struct err *e)
{
	const struct net_http *c = r->c;
	long code = 0, px = CURLPX_OK, os_errno = 0, verify = 0;
	const char *why = NULL;
	char p[256], buf[CURL_ERROR_SIZE + 160];

	path_only(r->path, p, sizeof(p));
	curl_easy_getinfo(r->easy, CURLINFO_HTTP_CONNECTCODE, &code);
	curl_easy_getinfo(r->easy, CURLINFO_PROXY_ERROR, &px);
	curl_easy_getinfo(r->easy, CURLINFO_PROXY_SSL_VERIFYRESULT, &verify);
	if (code == 407) {
		why = c->proxy_has_user ? "the proxy rejected the user name and password of the "
					  "proxy URL (407 Proxy Authentication Required)"
					: "the proxy asks for credentials (407 Proxy Authentication "
					  "Required): put user:password@ in the proxy URL";
	} else if (code == 403) {
		why = "the proxy refused the tunnel to the server (403 Forbidden)";
	} else if (code >= 300) {
		snprintf(buf, sizeof(buf), "the proxy answered CONNECT with HTTP %ld", code);
		why = buf;
	} else if (rc == CURLE_PROXY) {
		why = socks_reply(px);
		if (!why) {
			snprintf(buf, sizeof(buf), "proxy: %s", detail);
			why = buf;
		}
	} else if (rc == CURLE_COULDNT_CONNECT) {
		/* with a proxy, the connection curl makes itself is the proxy's */
		curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == ECONNREFUSED) {
			why = "the proxy refused the connection";
		} else {
			snprintf(buf, sizeof(buf), "cannot connect to the proxy: %s",
				 os_errno > 0 ? strerror((int)os_errno) : detail);
			why = buf;
		}
	} else if (rc == CURLE_COULDNT_RESOLVE_PROXY) {
		snprintf(buf, sizeof(buf), "the proxy's name does not resolve: %s", detail);
		why = buf;
	} else if (verify != 0 && (rc == CURLE_PEER_FAILED_VERIFICATION ||
				   rc == CURLE_SSL_CONNECT_ERROR)) {
		snprintf(buf, sizeof(buf),
			 "the certificate of the proxy cannot be trusted (checked against %s): %s",
			 c->ca.data || c->ca_file ? "the cluster's certificate authority"
						  : "the system's trust store",
			 detail);
		why = buf;
	} else if (proxy_closed_at_connect(r, rc)) {
		why = "the proxy closed the connection instead of answering CONNECT";
	}
	if (!why)
		return false;
	err_set(e, "%s %s: cannot reach %s through proxy %s: %s", r->method, p, c->server,
		c->proxy_shown, why);
	return true;
}

static void describe_failure(struct net_req *r, CURLcode rc, struct err *e)
{
	const char *server = r->c->server;
	const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
	long os_errno = 0;
	char p[256];

	/* curl's own words may quote the proxy URL; none have another '@' */
	if (r->c->proxy_has_user && strchr(detail, '@'))
		detail = curl_easy_strerror(rc);
	if (r->c->proxy_shown && describe_proxy_failure(r, rc, detail, e))
		return;
	path_only(r->path, p, sizeof(p));
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		err_set(e, "%s %s: no answer from %s in time (%s)", r->method, p, server, detail);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		err_set(e, "%s %s: the certificate of %s cannot be trusted: %s", r->method, p,
			server, detail);
		break;
	case CURLE_COULDNT_CONNECT:
		/* some curl versions say only "Couldn't connect to server":
		 * the system's reason ("Connection refused") says more */
		if (curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
		    os_errno > 0)
			detail = strerror((int)os_errno);
		err_set(e, "%s %s: cannot reach %s: %s", r->method, p, server, detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		err_set(e, "%s %s: cannot reach %s: %s", r->method, p, server, detail);
		break;
	default:
		err_set(e, "%s %s: %s: %s", r->method, p, server, detail);
		break;
	}
}

static long backoff_ms(struct net_req *r)
{
	struct net_http *c = r->c;
	long delay = c->retry_base_ms;
	uint64_t jitter;

	for (unsigned i = 1; i < r->attempt && delay < c->retry_cap_ms; i++)
		delay *= 2;
	if (delay > c->retry_cap_ms)
		delay = c->retry_cap_ms;
	/* ±25% so that many clients do not come back in step */
	jitter = rng_next(c) % (uint64_t)(delay / 2 + 1);
	delay = delay - delay / 4 + (long)jitter;
	if (r->retry_after_ms > delay)
		delay = r->retry_after_ms < NET_HTTP_RETRY_AFTER_MAX_MS
			    ? r->retry_after_ms
			    : NET_HTTP_RETRY_AFTER_MAX_MS;
	return delay;
}

static void req_completed(struct net_req *r, CURLcode rc)
{
	struct net_http *c = r->c;
	long status = 0;
	struct err e = {{0}};
	bool plain_get = strcmp(r->method, "GET") == 0 && !r->on_line;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status == 401 && c->auth.rejected && !r->auth_retried) {
		r->auth_retried = true;
		if (c->auth.rejected(r, c->auth.ud)) {
			req_detach(r);
			req_start(r);
			return;
		}
	}
	if (r->retries_left > 0 && plain_get &&
	    ((rc != CURLE_OK && transient(rc, r->easy) && !proxy_closed_at_connect(r, rc)) ||
	     (rc == CURLE_OK && (status >= 500 || status == 429)))) {
		long delay = backoff_ms(r);

		r->retries_left--;
		req_detach(r);
		r->state = RQ_RETRY_WAIT;
		r->timer = loop_timer_add(c->loop, (uint64_t)delay, 0, on_retry_timer, r);
		return;
	}
	/* an http server behind a proxy: the proxy answers the request itself */
	if (rc == CURLE_OK && status == 407 && c->proxy_shown && !err_isset(&r->fail))
		err_set(&r->fail, "cannot reach %s through proxy %s: the proxy %s", c->server,
			c->proxy_shown,
			c->proxy_has_user ? "rejected the user name and password of the proxy "
					    "URL (407 Proxy Authentication Required)"
					  : "asks for credentials (407 Proxy Authentication "
					    "Required): put user:password@ in the proxy URL");
	if (err_isset(&r->fail)) {
		char p[256];

		err_set(&e, "%s %s: %s", r->method, path_only(r->path, p, sizeof(p)), r->fail.msg);
		req_finish(r, status, &e);
		return;
	}
	if (rc != CURLE_OK) {
		describe_failure(r, rc, &e);
		req_finish(r, r->headers_done ? status : 0, &e);
		return;
	}
	if (r->streaming && r->line.len) {
		/* The last line had no line break. Delivered as if from inside
		 * curl, so that a cancel from the callback only marks r. */
		c->in_curl++;
		deliver_line(r, r->line.data, r->line.len);
		c->in_curl--;
		buf_reset(&r->line);
		if (r->cancelled) {
			c->ncancelled--;
			req_free(r);
			return;
		}
	}
	req_finish(r, status, NULL);
}

static void after_curl(struct net_http *c)
{
	CURLMsg *msg;
	int left;
	struct net_req *r;

	if (c->in_curl)
		return;
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;

		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		r = (struct net_req *)(void *)priv;
		if (!r)
			continue;
		if (r->cancelled) {
			c->ncancelled--;
			req_free(r);
			continue;
		}
		req_completed(r, msg->data.result);
	}
	/* cancelled from inside curl, and requests queued there */
	for (;;) {
		for (r = c->reqs; r; r = r->next) {
			if ((r->cancelled && r->state != RQ_DONE) || r->state == RQ_QUEUED)
				break;
		}
		if (!r)
			break;
		if (r->cancelled) {
			c->ncancelled--;
			req_free(r);
		} else {
			r->state = RQ_NEW;
			req_start(r);
		}
	}
}

/* ---- public ---- */

static bool valid_method(const char *m)
{
	static const char *const ok[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		if (strcmp(m, ok[i]) == 0)
			return true;
	}
	return false;
}

static bool valid_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '#')
			return false;
	}
	return true;
}

/* "Name: value" with a token for a name and no control characters. */
static bool valid_header(const char *h)
{
	const char *colon = strchr(h, ':');

	if (!colon || colon == h)
		return false;
	for (const char *p = h; p < colon; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	}
	for (const char *p = colon; *p; p++) {
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f)
			return false;
	}
	return true;
}

struct net_req *net_http_request(struct net_http *c, const struct net_request *rq, net_done_fn done,
				 void *ud, struct err *err)
{
	const char *method = rq->method ? rq->method : "GET";
	struct net_req *r;

	if (!valid_method(method)) {
		err_set(err, "unsupported HTTP method \"%.16s\"", method);
		return NULL;
	}
	if (!rq->path || !valid_path(rq->path)) {
		err_set(err, "a request path must start with '/' and hold no spaces or control "
			     "characters");
		return NULL;
	}
	for (size_t i = 0; rq->headers && rq->headers[i]; i++) {
		if (!valid_header(rq->headers[i])) {
			err_set(err, "a request header must be \"Name: value\" without control "
				     "characters");
			return NULL;
		}
	}
	r = xcalloc(1, sizeof(*r));
	r->c = c;
	r->method = xstrdup(method);
	r->path = xstrdup(rq->path);
	r->content_type = rq->content_type ? xstrdup(rq->content_type) : NULL;
	r->accept = rq->accept ? xstrdup(rq->accept) : NULL;
	for (size_t i = 0; rq->headers && rq->headers[i]; i++)
		r->extra = slist_add(r->extra, rq->headers[i]);
	if (rq->body) {
		r->body = xmalloc(rq->body_len + 1);
		memcpy(r->body, rq->body, rq->body_len);
		r->body[rq->body_len] = '\0';
		r->body_len = rq->body_len;
	}
	r->timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms : NET_HTTP_TIMEOUT_MS;
	r->stream_max_ms = rq->stream_max_ms > 0 ? rq->stream_max_ms : 0;
	r->stall_ms = rq->stall_ms > 0 ? rq->stall_ms : 0;
	r->on_line = rq->on_line;
	r->on_open = rq->on_line ? rq->on_open : NULL;
	r->retries_left = rq->retries >= 0				 ? rq->retries
			  : (strcmp(method, "GET") == 0 && !rq->on_line) ? c->retries
									 : 0;
	r->done = done;
	r->ud = ud;
	r->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = r;
	c->reqs = r;
	c->nreqs++;
	/* Start on the next loop turn at the latest: done is never called
	 * from in here. A failing start is reported from the loop too. */
	if (c->in_curl) {
		r->state = RQ_QUEUED;
	} else {
		r->state = RQ_RETRY_WAIT;
		r->timer = loop_timer_add(c->loop, 0, 0, on_retry_timer, r);
	}
	return r;
}

void net_req_cancel(struct net_req *r)
{
	struct net_http *c;

	if (!r || r->cancelled || r->state == RQ_DONE)
		return;
	c = r->c;
	if (c->in_curl && r->state == RQ_RUNNING) {
		/* curl forbids removing a handle from its callbacks */
		r->cancelled = true;
		c->ncancelled++;
		loop_timer_cancel(r->timer);
		r->timer = NULL;
		loop_timer_cancel(r->stall);
		r->stall = NULL;
		return;
	}
	req_free(r);
}

/* The URL requests go to; with a tls-server-name over https, the URL names
 * it (so TLS sends it and checks the certificate against it), CONNECT_TO
 * sends the connection to the real server, and Host: keeps its name. */
static bool set_base_url(struct net_http *c, const char *server, const char *tls_name,
			 struct err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	bool ok = false;

	if (!u)
		fatal("out of memory creating a URL handle");
	if (curl_url_set(u, CURLUPART_URL, server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		err_set(err, "server %s is not a usable URL", server);
	} else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		err_set(err, "server %s is not an http or https URL", server);
	} else {
		size_t pl = strlen(path);

		while (pl > 0 && path[pl - 1] == '/')
			pl--;
		if (tls_name && strcmp(scheme, "https") == 0) {
			char *ct;

			c->base_url = xasprintf("https://%s:%s%.*s", tls_name, port, (int)pl, path);
			ct = xasprintf("%s:%s:%s:%s", tls_name, port, host, port);
			c->connect = slist_add(NULL, ct);
			free(ct);
			c->host_header = strcmp(port, "443") == 0
					     ? xasprintf("Host: %s", host)
					     : xasprintf("Host: %s:%s", host, port);
		} else {
			c->base_url =
			    xasprintf("%s://%s:%s%.*s", scheme, host, port, (int)pl, path);
		}
		ok = true;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return ok;
}

bool net_http_url_endpoint(const char *url, char *host, size_t hostsz, int *port,
			   struct err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *p = NULL;
	bool ok = false;

	if (!u)
		fatal("out of memory creating a URL handle");
	if (!url || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		err_set(err, "server %s is not a usable URL", url ? url : "(none)");
	} else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		err_set(err, "server %s is not an http or https URL", url);
	} else {
		size_t hl = strlen(h);

		/* an IPv6 address without its brackets, as a socket takes it */
		if (hl > 2 && h[0] == '[' && h[hl - 1] == ']')
			snprintf(host, hostsz, "%.*s", (int)(hl - 2), h + 1);
		else
			snprintf(host, hostsz, "%s", h);
		*port = atoi(p);
		ok = true;
	}
	curl_free(scheme);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return ok;
}

/* Every connection goes to 127.0.0.1:port: CONNECT_TO from the URL's host
 * and port (tls-server-name's, when the URL names it), so TLS and Host
 * still speak to the server by its name. */
static void set_connect_to(struct net_http *c, int port)
{
	CURLU *u = curl_url();
	char *host = NULL, *uport = NULL, *ct;

	if (!u)
		fatal("out of memory creating a URL handle");
	/* base_url was made by set_base_url from a URL curl took */
	if (curl_url_set(u, CURLUPART_URL, c->base_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &uport, CURLU_DEFAULT_PORT) != CURLUE_OK)
		fatal("cannot read back the URL %s", c->base_url);
	ct = xasprintf("%s:%s:127.0.0.1:%d", host, uport, port);
	curl_slist_free_all(c->connect);
	c->connect = slist_add(NULL, ct);
	c->connect_port = port;
	free(ct);
	curl_free(host);
	curl_free(uport);
	curl_url_cleanup(u);
}

struct net_http *net_http_new(struct loop *loop, const struct net_http_opts *o, struct err *err)
{
	struct net_http *c;
	static bool global_done;
	char *proxy = NULL;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatal("cannot initialise libcurl");
		global_done = true;
	}
	if (!o->base_url) {
		err_set(err, "no server URL");
		return NULL;
	}
	if (o->connect_to && o->proxy_url) {
		err_set(err, "server %s: a proxy and %s both lead to it; use one of them",
			o->base_url, o->connect_via ? o->connect_via : "a local port");
		return NULL;
	}
	if (o->connect_to < 0 || o->connect_to > 65535) {
		err_set(err, "server %s: no local port %d", o->base_url, o->connect_to);
		return NULL;
	}
	/* proxy-url wins over the environment, read as kubectl reads it; a
	 * connection that rides a tunnel takes no proxy from the environment */
	if (o->proxy_url)
		proxy = xstrdup(o->proxy_url);
	else if (!o->connect_to && !net_proxy_from_env(o->base_url, NULL, &proxy, err))
		return NULL;
	c = xcalloc(1, sizeof(*c));
	if (!set_base_url(c, o->base_url, o->tls_server_name, err)) {
		free_secret(proxy);
		free(c);
		return NULL;
	}
	if (o->connect_to)
		set_connect_to(c, o->connect_to);
	c->own_loop = !loop;
	c->loop = loop ? loop : loop_new();
	c->server = o->connect_via ? xasprintf("%s through %s", o->base_url, o->connect_via)
				   : xstrdup(o->base_url);
	if (o->ca.data)
		blob_set(&c->ca, o->ca.data, o->ca.len);
	if (o->client_cert.data && o->client_key.data) {
		blob_set(&c->cert, o->client_cert.data, o->client_cert.len);
		blob_set(&c->key, o->client_key.data, o->client_key.len);
	}
	c->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
	if (proxy) {
		struct net_proxy_url pu = {0};

		c->proxy_url = net_proxy_curl_url(proxy);
		c->proxy_shown = net_proxy_shown(proxy);
		c->proxy_has_user = net_proxy_parse(proxy, &pu) &&
				    (pu.user_len > 0 || pu.has_password);
		c->proxy_tls = pu.scheme == NET_PROXY_HTTPS;
		free_secret(proxy);
	}
	c->username = o->username ? xstrdup(o->username) : NULL;
	c->password = o->password ? xstrdup(o->password) : NULL;
	c->insecure = o->insecure;
	if (o->auth)
		c->auth = *o->auth;

	c->multi = curl_multi_init();
	if (!c->multi)
		fatal("out of memory creating a curl multi handle");
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	c->retry_base_ms = 250;
	c->retry_cap_ms = 4000;
	c->retries = 3;
	c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 1;
	stats.clients++;
	return c;
}

void net_http_free(struct net_http *c)
{
	if (!c)
		return;
	while (c->reqs)
		req_free(c->reqs);
	curl_multi_cleanup(c->multi);
	for (size_t i = 0; i < c->nsocks; i++)
		loop_watch_remove(c->socks[i].w);
	free(c->socks);
	loop_timer_cancel(c->timer);
	curl_slist_free_all(c->connect);
	free(c->host_header);
	free(c->base_url);
	free(c->server);
	blob_free(&c->ca);
	blob_free(&c->cert);
	blob_free(&c->key);
	free(c->ca_file);
	free_secret(c->proxy_url); /* may hold userinfo */
	free(c->proxy_shown);
	free(c->username);
	free_secret(c->password);
	if (c->own_loop)
		loop_free(c->loop);
	free(c);
	stats.clients--;
}

struct loop *net_http_loop(const struct net_http *c)
{
	return c->loop;
}

const char *net_http_server(const struct net_http *c)
{
	return c->server;
}

void net_http_set_retry(struct net_http *c, long base_ms, long cap_ms, int retries)
{
	c->retry_base_ms = base_ms > 0 ? base_ms : 1;
	c->retry_cap_ms = cap_ms >= c->retry_base_ms ? cap_ms : c->retry_base_ms;
	c->retries = retries >= 0 ? retries : 0;
}

size_t net_http_pending(const struct net_http *c)
{
	return c->nreqs - c->ncancelled;
}

unsigned long net_http_connects(const struct net_http *c)
{
	return c->connects;
}

struct net_http_stats net_http_stats(void)
{
	return stats;
}

bool net_http_wait(struct net_http *c, const bool *flag, long max_ms)
{
	uint64_t deadline = loop_now_ms() + (uint64_t)(max_ms > 0 ? max_ms : 0);

	while (!*flag) {
		int wait = -1;

		if (max_ms >= 0) {
			uint64_t now = loop_now_ms();

			if (now >= deadline)
				return false;
			wait = (int)(deadline - now);
		}
		if (loop_run_once(c->loop, wait) < 0)
			return false;
	}
	return true;
}

struct sync_state {
	bool done;
	struct net_response *out;
};

static void sync_done(struct net_response *resp, void *ud)
{
	struct sync_state *st = ud;

	*st->out = *resp;
	resp->body = NULL;
	resp->content_type = NULL;
	st->done = true;
}

bool net_http_request_sync(struct net_http *c, const struct net_request *rq,
			   struct net_response *out)
{
	struct sync_state st = {false, out};
	struct net_req *r;

	memset(out, 0, sizeof(*out));
	r = net_http_request(c, rq, sync_done, &st, &out->err);
	if (!r) {
		out->body = xstrdup("");
		return false;
	}
	net_http_wait(c, &st.done, -1);
	return !err_isset(&out->err);
}

void net_response_free(struct net_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->content_type);
	r->body = NULL;
	r->content_type = NULL;
}

/* ---- name resolution ---- */

bool net_http_describe_dns(unsigned features, const char *version, const char *ares, char *why,
			   size_t n)
{
	if (features & CURL_VERSION_ASYNCHDNS) {
		if (ares)
			snprintf(why, n,
				 "libcurl %s resolves host names asynchronously (c-ares %s)",
				 version, ares);
		else
			snprintf(
			    why, n,
			    "libcurl %s resolves host names asynchronously (threaded resolver)",
			    version);
		return true;
	}
	snprintf(why, n,
		 "libcurl %s resolves host names synchronously: a slow name lookup may block the "
		 "console",
		 version);
	return false;
}

bool net_http_async_dns(char *why, size_t n)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return net_http_describe_dns((unsigned)v->features, v->version,
				     v->ares_num ? v->ares : NULL, why, n);
}
