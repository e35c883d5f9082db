#include "config.h"

#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "buf.h"
#include "fault.h"
#include "logs.h"
#include "watch.h"

/* The real API server's request body limit. */
#define BODY_MAX (3 * 1024 * 1024)

struct http {
	struct sim *s;
	struct MHD_Daemon *d;
	unsigned port;
};

struct conn {
	struct buf body;
	bool too_large;
};

struct stream {
	struct watch *w;
	struct logstream *l;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t n;

	(void)pos;
	n = st->w ? watch_read(st->w, buf, max) : logs_read(st->l, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	watch_close(st->w);
	logs_close(st->l);
	free(st);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct query *q = cls;

	(void)kind;
	if (q->n < QUERY_MAX) {
		q->keys[q->n] = key;
		q->vals[q->n] = value ? value : "";
		q->n++;
	}
	return MHD_YES;
}

/* Constant-time comparison, so a token cannot be guessed byte by byte. */
static bool token_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static const char *verb_guess(const char *method, const struct query *q)
{
	if (strcmp(method, "GET") == 0) {
		const char *w = query_get(q, "watch");

		return w && (str_eq(w, "1") || str_eq(w, "true")) ? "watch" : "get";
	}
	if (strcmp(method, "POST") == 0)
		return "create";
	if (strcmp(method, "PUT") == 0)
		return "update";
	if (strcmp(method, "PATCH") == 0)
		return "patch";
	if (strcmp(method, "DELETE") == 0)
		return "delete";
	return "other";
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct resp *out)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (out->watch || out->log) {
		struct stream *st = xcalloc(1, sizeof(*st));

		st->w = out->watch;
		st->l = out->log;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, st,
						      stream_free);
	} else {
		r = MHD_create_response_from_buffer(out->len, out->body, MHD_RESPMEM_MUST_FREE);
		out->body = NULL;
	}
	if (!r)
		fatal("cannot create an HTTP response");
	MHD_add_response_header(r, "Content-Type", out->ctype ? out->ctype : "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-cache, private");
	if (out->retry_after) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%u", out->retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	ret = MHD_queue_response(c, (unsigned)out->code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct sim *s = h->s;
	struct conn *cn = *con_cls;
	struct req r;
	struct resp out;
	const char *auth;
	bool public_path;

	(void)version;
	if (!cn) {
		cn = xcalloc(1, sizeof(*cn));
		*con_cls = cn;
		return MHD_YES;
	}
	if (*upload_size) {
		if (cn->body.len + *upload_size > BODY_MAX)
			cn->too_large = true;
		else
			buf_append(&cn->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&r, 0, sizeof(r));
	memset(&out, 0, sizeof(out));
	r.method = method;
	r.path = url;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &r.q);
	r.body = cn->body.data;
	r.body_len = cn->body.len;
	r.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	r.accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	r.user_agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	public_path = str_eq(url, "/version") || str_eq(url, "/healthz") || str_eq(url, "/livez") ||
		      str_eq(url, "/readyz");
	if (auth && str_has_prefix(auth, "Bearer ") && token_eq(auth + 7, s->opt.token)) {
		r.user = "admin";
	} else if (auth && str_has_prefix(auth, "Bearer ") && s->opt.ro_token &&
		   token_eq(auth + 7, s->opt.ro_token)) {
		r.user = "viewer";
		r.readonly = true;
	} else if (!public_path) {
		pthread_mutex_lock(&s->lock);
		s->stats.unauthorized++;
		pthread_mutex_unlock(&s->lock);
		api_error(&out, 401, "Unauthorized", "Unauthorized");
		goto send;
	}
	if (cn->too_large) {
		api_error(&out, 413, "RequestEntityTooLarge",
			  "Request entity too large: limit is 3145728");
		goto send;
	}
	if (!str_has_prefix(url, "/sim/") &&
	    fault_before_request(s, &r, verb_guess(method, &r.q), &out))
		goto send;
	api_handle(s, &r, &out);
send:
	if (s->opt.verbose)
		fprintf(stderr, "kubesim: %s %s %d%s\n", method, url, out.code,
			out.watch ? " (watch)"
			: out.log ? " (log stream)"
				  : "");
	return send_resp(c, &out);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cn) {
		buf_free(&cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct http *h = cls;

	(void)addr;
	(void)len;
	return fault_refuse_connection(h->s) ? MHD_NO : MHD_YES;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http *h = cls;

	if (h->s->opt.verbose) {
		fputs("kubesim: ", stderr);
		vfprintf(stderr, fmt, ap);
	}
}

struct http *http_start(struct sim *s, unsigned port, const struct tls_pem *tls, struct err *err)
{
	struct http *h = xcalloc(1, sizeof(*h));
	struct sockaddr_in addr;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	h->s = s;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (tls)
		flags |= MHD_USE_TLS;
	if (tls)
		h->d = MHD_start_daemon(
		    flags, (uint16_t)port, accept_policy, h, handle, h, MHD_OPTION_SOCK_ADDR, &addr,
		    MHD_OPTION_HTTPS_MEM_KEY, tls->key, MHD_OPTION_HTTPS_MEM_CERT, tls->cert,
		    MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_CONNECTION_TIMEOUT, 300u,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
	else
		h->d = MHD_start_daemon(flags, (uint16_t)port, accept_policy, h, handle, h,
					MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED,
					completed, h, MHD_OPTION_CONNECTION_TIMEOUT, 300u,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
	if (!h->d) {
		err_set(err, "cannot listen on 127.0.0.1:%u%s", port,
			tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES
			    ? " (libmicrohttpd was built without TLS)"
			    : "");
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : port;
	return h;
}

unsigned http_port(const struct http *h)
{
	return h->port;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->s->lock);
	atomic_store(&h->s->stopping, true);
	sim_broadcast(h->s);
	pthread_mutex_unlock(&h->s->lock);
	MHD_stop_daemon(h->d);
	free(h);
}
