#include "config.h"

#include "kube/http.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "kube/execcred.h"

/* Blobs for the CA and client certificate came in 7.71 and 7.77. */
#if LIBCURL_VERSION_NUM < 0x074d00
#error "libcurl 7.77 or later is needed (CURLOPT_CAINFO_BLOB)"
#endif

#define STREAM_ERROR_BODY_MAX (1024u * 1024u)
#define TOKEN_FILE_REREAD_MS 60000
#define RETRY_AFTER_MAX_MS 30000

enum req_state {
	RQ_NEW,
	RQ_WAIT_CRED,  /* waiting for the exec plugin */
	RQ_QUEUED,     /* to be added to the multi handle after the current curl call */
	RQ_RUNNING,    /* in the multi handle */
	RQ_RETRY_WAIT, /* backing off before another attempt */
	RQ_DONE,       /* its done function is running */
};

struct kube_req {
	struct kube_http *h;
	struct kube_req *prev, *next;
	enum req_state state;
	bool cancelled;

	char *method, *path, *content_type, *accept;
	char *body;
	size_t body_len;
	long timeout_ms, stream_max_ms;
	int retries_left;
	unsigned attempt;
	bool auth_retried;
	unsigned cred_gen; /* the plugin run whose credential this attempt carried */
	kube_line_fn on_line;
	kube_done_fn done;
	void *ud;

	CURL *easy;
	struct curl_slist *headers;
	struct loop_timer *timer; /* retry back-off, or a stream's header deadline */
	char errbuf[CURL_ERROR_SIZE];

	/* the answer */
	long status;
	bool headers_done;
	bool streaming; /* a 2xx stream: lines go to on_line */
	struct buf resp;
	struct buf line;
	char *ctype;
	long retry_after_ms;
	struct err fail; /* our own reason to abort */
};

struct sock_watch {
	curl_socket_t fd;
	struct loop_watch *w;
};

struct kube_http {
	struct loop *loop;
	bool own_loop; /* made by kube_http_new for a blocking user */
	struct kube_config *cfg;
	CURLM *multi;
	struct loop_timer *timer;
	struct sock_watch *socks;
	size_t nsocks, capsocks;
	int in_curl; /* depth of curl calls that may run our callbacks */
	size_t ncancelled;
	struct kube_req *reqs; /* every live request */
	size_t nreqs;

	char *base_url;		    /* server, or with tls-server-name as its host */
	struct curl_slist *connect; /* CONNECT_TO for tls-server-name */
	char *host_header;	    /* the server's own Host: with tls-server-name */

	struct execcred_source *exec;
	char *file_token; /* secret */
	uint64_t file_token_at;

	long retry_base_ms, retry_cap_ms;
	int retries;
	uint64_t rng;
};

static void req_submit(struct kube_req *r);
static void after_curl(struct kube_http *h);

/* ---- small helpers ---- */

static void slist_free_wiped(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static uint64_t rng_next(struct kube_http *h)
{
	/* xorshift64*: jitter only, nothing secret depends on it */
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return h->rng * 2685821657736338717ull;
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

static void req_unlink(struct kube_req *r)
{
	struct kube_http *h = r->h;

	if (r->prev)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	h->nreqs--;
}

/* Takes the easy handle out of the multi handle; never from a curl callback. */
static void req_detach(struct kube_req *r)
{
	if (r->easy) {
		curl_multi_remove_handle(r->h->multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	slist_free_wiped(r->headers);
	r->headers = NULL;
	loop_timer_cancel(r->timer);
	r->timer = NULL;
}

static void req_reset_answer(struct kube_req *r)
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

static void req_free(struct kube_req *r)
{
	req_detach(r);
	req_unlink(r);
	req_reset_answer(r);
	free(r->method);
	free(r->path);
	free(r->content_type);
	free(r->accept);
	if (r->body)
		explicit_bzero(r->body, r->body_len);
	free(r->body);
	free(r);
}

/* Delivers the outcome and frees the request. Never inside a curl call. */
static void req_finish(struct kube_req *r, long status, const struct err *e)
{
	struct kube_response resp;

	req_detach(r);
	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	if (e)
		resp.err = *e;
	if (r->streaming)
		buf_reset(&r->resp);
	resp.body_len = r->resp.len;
	resp.body = buf_steal(&r->resp);
	resp.content_type = r->ctype;
	r->ctype = NULL;
	r->state = RQ_DONE;
	r->done(&resp, r->ud);
	kube_response_free(&resp);
	req_free(r);
}

/* ---- curl <-> loop ---- */

static void on_sock(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct kube_http *h = ud;
	int flags = 0, running;

	(void)loop;
	if (events & LOOP_READ)
		flags |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & LOOP_ERROR)
		flags |= CURL_CSELECT_ERR;
	h->in_curl++;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	h->in_curl--;
	after_curl(h);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct kube_http *h = userp;
	struct loop_watch *w = socketp;
	unsigned ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		for (size_t i = 0; i < h->nsocks; i++) {
			if (h->socks[i].fd == s) {
				loop_watch_remove(h->socks[i].w);
				h->socks[i] = h->socks[--h->nsocks];
				break;
			}
		}
		curl_multi_assign(h->multi, s, NULL);
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
	w = loop_watch_fd(h->loop, s, ev, on_sock, h);
	h->socks = xgrow(h->socks, &h->capsocks, h->nsocks + 1, sizeof(*h->socks));
	h->socks[h->nsocks++] = (struct sock_watch){s, w};
	curl_multi_assign(h->multi, s, w);
	return 0;
}

static void on_curl_timer(struct loop *loop, void *ud)
{
	struct kube_http *h = ud;
	int running;

	(void)loop;
	h->timer = NULL;
	h->in_curl++;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	h->in_curl--;
	after_curl(h);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct kube_http *h = userp;

	(void)multi;
	if (timeout_ms < 0) {
		loop_timer_cancel(h->timer);
		h->timer = NULL;
	} else if (h->timer) {
		loop_timer_reset(h->timer, (uint64_t)timeout_ms);
	} else {
		h->timer = loop_timer_add(h->loop, (uint64_t)timeout_ms, 0, on_curl_timer, h);
	}
	return 0;
}

/* ---- answer callbacks (inside curl) ---- */

static size_t header_cb(char *data, size_t size, size_t n, void *ud)
{
	struct kube_req *r = ud;
	size_t len = size * n;

	if (r->cancelled)
		return 0;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new status line: forget the headers of an interim answer */
		x_free(&r->ctype);
		r->retry_after_ms = 0;
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
		char tmp[32];
		size_t vl = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;
		long secs;
		char *s = tmp;

		memcpy(tmp, data + 12, vl);
		tmp[vl] = '\0';
		while (*s == ' ')
			s++;
		s[strcspn(s, "\r\n ")] = '\0';
		if (str_to_long(s, 0, 3600, &secs))
			r->retry_after_ms = secs * 1000;
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
		}
	}
	return len;
}

static void deliver_line(struct kube_req *r, const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	r->on_line(p, n, r->ud);
}

static size_t write_cb(char *data, size_t size, size_t n, void *ud)
{
	struct kube_req *r = ud;
	size_t len = size * n;

	if (r->cancelled)
		return 0;
	if (!r->streaming) {
		size_t max = r->on_line ? STREAM_ERROR_BODY_MAX : KUBE_HTTP_MAX_BODY;

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

		if (r->line.len + take > KUBE_HTTP_MAX_LINE) {
			err_set(&r->fail, "a line of the answer is longer than %u bytes",
				KUBE_HTTP_MAX_LINE);
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

static void set_blob(CURL *easy, CURLoption opt, const struct kube_blob *b)
{
	struct curl_blob blob = {b->data, b->len, CURL_BLOB_COPY};

	curl_easy_setopt(easy, opt, &blob);
}

static bool req_build(struct kube_req *r, struct err *e)
{
	struct kube_http *h = r->h;
	const struct kube_config *cfg = h->cfg;
	const struct execcred *cred = NULL;
	const char *token = NULL;
	const struct kube_blob *cert = NULL, *key = NULL;
	char *url, *hdr;
	CURL *easy;

	if (cfg->exec) {
		r->cred_gen = execcred_source_runs(h->exec);
		cred = execcred_source_cached(h->exec, time(NULL));
		if (cred && cred->token)
			token = cred->token;
		if (cred && cred->client_cert.data) {
			cert = &cred->client_cert;
			key = &cred->client_key;
		}
	}
	if (cfg->token_file) {
		if (!ensure_file_token(h, e))
			return false;
		token = h->file_token;
	} else if (cfg->token) {
		token = cfg->token;
	}
	if (!cert && cfg->client_cert.data) {
		cert = &cfg->client_cert;
		key = &cfg->client_key;
	}

	easy = curl_easy_init();
	if (!easy)
		fatal("out of memory creating a curl handle");
	r->easy = easy;
	url = xasprintf("%s%s", h->base_url, r->path);
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
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 15L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
			 r->timeout_ms < KUBE_HTTP_CONNECT_TIMEOUT_MS
			     ? r->timeout_ms
			     : KUBE_HTTP_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, r->on_line ? r->stream_max_ms : r->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);

	if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r->method);
		if (r->body || strcmp(r->method, "DELETE") != 0) {
			curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body ? r->body : "");
			curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(r->body ? r->body_len : 0));
		}
	}

	/* TLS: verification stays on unless the kubeconfig turns it off */
	if (cfg->insecure) {
		curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (cfg->ca.data) {
		set_blob(easy, CURLOPT_CAINFO_BLOB, &cfg->ca);
	}
	if (cert) {
		set_blob(easy, CURLOPT_SSLCERT_BLOB, cert);
		curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
		set_blob(easy, CURLOPT_SSLKEY_BLOB, key);
		curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (h->connect)
		curl_easy_setopt(easy, CURLOPT_CONNECT_TO, h->connect);
	if (cfg->proxy_url)
		curl_easy_setopt(easy, CURLOPT_PROXY, cfg->proxy_url);
	if (cfg->username) {
		curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(easy, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(easy, CURLOPT_PASSWORD, cfg->password);
	}

	hdr = xasprintf("Accept: %s", r->accept ? r->accept : "application/json");
	r->headers = curl_slist_append(r->headers, hdr);
	free(hdr);
	if (r->content_type) {
		hdr = xasprintf("Content-Type: %s", r->content_type);
		r->headers = curl_slist_append(r->headers, hdr);
		free(hdr);
	}
	/* no 100-continue round trip for bodies */
	r->headers = curl_slist_append(r->headers, "Expect:");
	if (h->host_header)
		r->headers = curl_slist_append(r->headers, h->host_header);
	if (token) {
		hdr = xasprintf("Authorization: Bearer %s", token);
		r->headers = curl_slist_append(r->headers, hdr);
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
	}
	if (!r->headers)
		fatal("out of memory building request headers");
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, r->headers);
	return true;
}

static void on_stream_deadline(struct loop *loop, void *ud)
{
	struct kube_req *r = ud;
	struct err e;
	char p[256];

	(void)loop;
	r->timer = NULL;
	err_set(&e, "%s %s: no answer from %s within %ld s", r->method,
		path_only(r->path, p, sizeof(p)), r->h->cfg->server, (r->timeout_ms + 999) / 1000);
	req_finish(r, 0, &e);
}

/* Adds a built request to the multi handle, or queues it when we are inside
 * a curl call, where adding is not allowed. */
static void req_start(struct kube_req *r)
{
	struct kube_http *h = r->h;
	struct err e = {{0}};

	if (h->in_curl) {
		r->state = RQ_QUEUED;
		return;
	}
	req_reset_answer(r);
	if (!req_build(r, &e)) {
		req_finish(r, 0, &e);
		return;
	}
	r->attempt++;
	r->state = RQ_RUNNING;
	if (r->on_line)
		r->timer =
		    loop_timer_add(h->loop, (uint64_t)r->timeout_ms, 0, on_stream_deadline, r);
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
		err_set(&e, "%s %s: cannot start the request", r->method, r->path);
		req_finish(r, 0, &e);
	}
}

static void on_cred(struct execcred_source *src, bool ok, const struct err *err, void *ud)
{
	struct kube_http *h = ud;
	struct kube_req *r;

	(void)src;
	/* Restart the scan after each callback: it may cancel others. */
	for (;;) {
		for (r = h->reqs; r && r->state != RQ_WAIT_CRED; r = r->next)
			;
		if (!r)
			break;
		if (ok) {
			r->state = RQ_NEW;
			req_start(r);
		} else {
			struct err e;

			err_set(&e, "credentials: %s", err->msg);
			req_finish(r, 0, &e);
		}
	}
}

static void req_submit(struct kube_req *r)
{
	struct kube_http *h = r->h;

	if (h->exec && !execcred_source_cached(h->exec, time(NULL))) {
		r->state = RQ_WAIT_CRED;
		execcred_source_refresh(h->exec);
		return;
	}
	req_start(r);
}

/* ---- completion ---- */

static bool transient(CURLcode rc, CURL *easy)
{
	curl_off_t connect_us = 0;

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
	struct kube_req *r = ud;

	(void)loop;
	r->timer = NULL;
	req_submit(r);
}

static void describe_failure(struct kube_req *r, CURLcode rc, struct err *e)
{
	const char *server = r->h->cfg->server;
	const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
	long os_errno = 0;
	char p[256];

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

static void req_completed(struct kube_req *r, CURLcode rc)
{
	struct kube_http *h = r->h;
	long status = 0;
	struct err e = {{0}};
	bool plain_get = strcmp(r->method, "GET") == 0 && !r->on_line;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status == 401 && h->exec && !r->auth_retried) {
		/* the plugin's credential was refused: get a fresh one, once;
		 * unless another request already had a newer one made */
		r->auth_retried = true;
		if (execcred_source_runs(h->exec) == r->cred_gen)
			execcred_source_invalidate(h->exec);
		req_detach(r);
		req_submit(r);
		return;
	}
	if (r->retries_left > 0 && plain_get &&
	    ((rc != CURLE_OK && transient(rc, r->easy)) ||
	     (rc == CURLE_OK && (status >= 500 || status == 429)))) {
		long delay = h->retry_base_ms;
		uint64_t jitter;

		for (unsigned i = 1; i < r->attempt && delay < h->retry_cap_ms; i++)
			delay *= 2;
		if (delay > h->retry_cap_ms)
			delay = h->retry_cap_ms;
		/* ±25% so that many clients do not come back in step */
		jitter = rng_next(h) % (uint64_t)(delay / 2 + 1);
		delay = delay - delay / 4 + (long)jitter;
		if (r->retry_after_ms > delay)
			delay = r->retry_after_ms < RETRY_AFTER_MAX_MS ? r->retry_after_ms
								       : RETRY_AFTER_MAX_MS;
		r->retries_left--;
		req_detach(r);
		r->state = RQ_RETRY_WAIT;
		r->timer = loop_timer_add(h->loop, (uint64_t)delay, 0, on_retry_timer, r);
		return;
	}
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
		h->in_curl++;
		deliver_line(r, r->line.data, r->line.len);
		h->in_curl--;
		buf_reset(&r->line);
		if (r->cancelled) {
			h->ncancelled--;
			req_free(r);
			return;
		}
	}
	req_finish(r, status, NULL);
}

static void after_curl(struct kube_http *h)
{
	CURLMsg *msg;
	int left;
	struct kube_req *r;

	if (h->in_curl)
		return;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;

		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		r = (struct kube_req *)(void *)priv;
		if (!r)
			continue;
		if (r->cancelled) {
			h->ncancelled--;
			req_free(r);
			continue;
		}
		req_completed(r, msg->data.result);
	}
	/* cancelled from inside curl, and requests queued there */
	for (;;) {
		for (r = h->reqs; r; r = r->next) {
			if ((r->cancelled && r->state != RQ_DONE) || r->state == RQ_QUEUED)
				break;
		}
		if (!r)
			break;
		if (r->cancelled) {
			h->ncancelled--;
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

struct kube_req *kube_http_request(struct kube_http *h, const struct kube_request *rq,
				   kube_done_fn done, void *ud, struct err *err)
{
	const char *method = rq->method ? rq->method : "GET";
	struct kube_req *r;

	if (!valid_method(method)) {
		err_set(err, "unsupported HTTP method \"%.16s\"", method);
		return NULL;
	}
	if (!rq->path || !valid_path(rq->path)) {
		err_set(err, "a request path must start with '/' and hold no spaces or control "
			     "characters");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->h = h;
	r->method = xstrdup(method);
	r->path = xstrdup(rq->path);
	r->content_type = rq->content_type ? xstrdup(rq->content_type) : NULL;
	r->accept = rq->accept ? xstrdup(rq->accept) : NULL;
	if (rq->body) {
		r->body = xmalloc(rq->body_len + 1);
		memcpy(r->body, rq->body, rq->body_len);
		r->body[rq->body_len] = '\0';
		r->body_len = rq->body_len;
	}
	r->timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms : KUBE_HTTP_TIMEOUT_MS;
	r->stream_max_ms = rq->stream_max_ms > 0 ? rq->stream_max_ms : 0;
	r->on_line = rq->on_line;
	r->retries_left = rq->retries >= 0				 ? rq->retries
			  : (strcmp(method, "GET") == 0 && !rq->on_line) ? h->retries
									 : 0;
	r->done = done;
	r->ud = ud;
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	h->nreqs++;
	/* Start on the next loop turn at the latest: done is never called
	 * from in here. A failing build is reported from the loop too. */
	if (h->in_curl) {
		r->state = RQ_QUEUED;
	} else {
		r->state = RQ_RETRY_WAIT;
		r->timer = loop_timer_add(h->loop, 0, 0, on_retry_timer, r);
	}
	return r;
}

void kube_req_cancel(struct kube_req *r)
{
	struct kube_http *h;

	if (!r || r->cancelled || r->state == RQ_DONE)
		return;
	h = r->h;
	if (h->in_curl && r->state == RQ_RUNNING) {
		/* curl forbids removing a handle from its callbacks */
		r->cancelled = true;
		h->ncancelled++;
		loop_timer_cancel(r->timer);
		r->timer = NULL;
		return;
	}
	req_free(r);
}

struct kube_http *kube_http_new(struct loop *loop, struct kube_config *cfg, struct err *err)
{
	struct kube_http *h;
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	static bool global_done;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatal("cannot initialise libcurl");
		global_done = true;
	}
	u = curl_url();
	if (!u)
		fatal("out of memory creating a URL handle");
	if (curl_url_set(u, CURLUPART_URL, cfg->server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		err_set(err, "server %s is not a usable URL", cfg->server);
		curl_free(scheme);
		curl_free(host);
		curl_free(port);
		curl_free(path);
		curl_url_cleanup(u);
		kubeconfig_free(cfg);
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->own_loop = !loop;
	h->loop = loop ? loop : loop_new();
	h->cfg = cfg;
	{
		size_t pl = strlen(path);

		while (pl > 0 && path[pl - 1] == '/')
			pl--;
		if (cfg->tls_server_name && strcmp(scheme, "https") == 0) {
			char *ct;

			/* The URL names tls-server-name so that TLS sends it and
			 * checks the certificate against it; CONNECT_TO sends the
			 * connection to the real server, and Host: keeps its name. */
			h->base_url = xasprintf("https://%s:%s%.*s", cfg->tls_server_name, port,
						(int)pl, path);
			ct = xasprintf("%s:%s:%s:%s", cfg->tls_server_name, port, host, port);
			h->connect = curl_slist_append(NULL, ct);
			free(ct);
			h->host_header = strcmp(port, "443") == 0
					     ? xasprintf("Host: %s", host)
					     : xasprintf("Host: %s:%s", host, port);
		} else {
			h->base_url =
			    xasprintf("%s://%s:%s%.*s", scheme, host, port, (int)pl, path);
		}
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);

	h->multi = curl_multi_init();
	if (!h->multi)
		fatal("out of memory creating a curl multi handle");
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	if (cfg->exec)
		h->exec = execcred_source_new(h->loop, cfg, EXECCRED_TIMEOUT_MS, on_cred, h);
	h->retry_base_ms = 250;
	h->retry_cap_ms = 4000;
	h->retries = 3;
	h->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)h;
	if (!h->rng)
		h->rng = 1;
	return h;
}

void kube_http_free(struct kube_http *h)
{
	if (!h)
		return;
	while (h->reqs)
		req_free(h->reqs);
	execcred_source_free(h->exec);
	curl_multi_cleanup(h->multi);
	for (size_t i = 0; i < h->nsocks; i++)
		loop_watch_remove(h->socks[i].w);
	free(h->socks);
	loop_timer_cancel(h->timer);
	curl_slist_free_all(h->connect);
	free(h->host_header);
	free(h->base_url);
	kubeconfig_free_secret(h->file_token);
	kubeconfig_free(h->cfg);
	if (h->own_loop)
		loop_free(h->loop);
	free(h);
}

const struct kube_config *kube_http_config(const struct kube_http *h)
{
	return h->cfg;
}

struct loop *kube_http_loop(const struct kube_http *h)
{
	return h->loop;
}

void kube_http_set_retry(struct kube_http *h, long base_ms, long cap_ms, int retries)
{
	h->retry_base_ms = base_ms > 0 ? base_ms : 1;
	h->retry_cap_ms = cap_ms >= h->retry_base_ms ? cap_ms : h->retry_base_ms;
	h->retries = retries >= 0 ? retries : 0;
}

size_t kube_http_pending(const struct kube_http *h)
{
	return h->nreqs - h->ncancelled;
}

bool kube_http_wait(struct kube_http *h, const bool *flag, long max_ms)
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
		if (loop_run_once(h->loop, wait) < 0)
			return false;
	}
	return true;
}

struct sync_state {
	bool done;
	struct kube_response *out;
};

static void sync_done(struct kube_response *resp, void *ud)
{
	struct sync_state *st = ud;

	*st->out = *resp;
	resp->body = NULL;
	resp->content_type = NULL;
	st->done = true;
}

bool kube_http_request_sync(struct kube_http *h, const struct kube_request *rq,
			    struct kube_response *out)
{
	struct sync_state st = {false, out};
	struct kube_req *r;

	memset(out, 0, sizeof(*out));
	r = kube_http_request(h, rq, sync_done, &st, &out->err);
	if (!r) {
		out->body = xstrdup("");
		return false;
	}
	kube_http_wait(h, &st.done, -1);
	return !err_isset(&out->err);
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
