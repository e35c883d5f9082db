#include "config.h"

#include "http.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
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
	bool client_certs; /* a client CA was given: certificates are asked for */
};

/* Who a request comes from; the strings live as long as the request. */
struct who {
	char user[256];
	char groups[REQ_GROUPS_MAX][256];
	const char *group_ptrs[REQ_GROUPS_MAX];
	size_t ngroups;
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

static void who_add_group(struct who *w, const char *g)
{
	if (w->ngroups >= REQ_GROUPS_MAX)
		return;
	snprintf(w->groups[w->ngroups], sizeof(w->groups[0]), "%s", g);
	w->group_ptrs[w->ngroups] = w->groups[w->ngroups];
	w->ngroups++;
}

/* The user of a client certificate verified against the client CA: CN is
 * the user name, each O a group, as the real API server reads them. False
 * when no certificate was sent or it does not verify. */
static bool cert_identity(struct MHD_Connection *c, struct who *w)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t sess;
	const gnutls_datum_t *peers;
	unsigned n = 0, status = 0;
	gnutls_x509_crt_t crt;
	size_t len;
	bool ok;

	if (!ci || !ci->tls_session)
		return false;
	sess = (gnutls_session_t)ci->tls_session;
	peers = gnutls_certificate_get_peers(sess, &n);
	if (!peers || n == 0)
		return false;
	/* checks the chain against the client CA, and the validity dates */
	if (gnutls_certificate_verify_peers2(sess, &status) != GNUTLS_E_SUCCESS || status != 0)
		return false;
	if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS)
		return false;
	len = sizeof(w->user);
	ok = gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS &&
	     gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, w->user,
					   &len) == GNUTLS_E_SUCCESS &&
	     w->user[0];
	for (unsigned i = 0; ok && w->ngroups < REQ_GROUPS_MAX - 1; i++) {
		char org[256];

		len = sizeof(org);
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, i, 0,
						  org, &len) != GNUTLS_E_SUCCESS)
			break;
		who_add_group(w, org);
	}
	gnutls_x509_crt_deinit(crt);
	return ok;
}

/* Basic auth (user:password in base64) against --basic-auth. */
static bool basic_ok(const struct sim *s, const char *auth, struct who *w)
{
	char dec[600];
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;
	const char *colon;
	bool ok;

	if (!s->opt.basic_user || !auth || !str_has_prefix(auth, "Basic "))
		return false;
	for (const char *p = auth + 6; *p && *p != '='; p++) {
		const char *al =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		const char *q = strchr(al, *p);

		if (!q || n + 1 >= sizeof(dec))
			return false;
		acc = (acc << 6) | (unsigned)(q - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dec[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	dec[n] = '\0';
	colon = memchr(dec, ':', n);
	if (!colon || strlen(dec) != n)
		return false;
	dec[colon - dec] = '\0';
	/* both compared in full, whatever the first says */
	ok = token_eq(dec, s->opt.basic_user);
	ok = token_eq(colon + 1, s->opt.basic_password) && ok;
	if (ok)
		str_copy(w->user, sizeof(w->user), dec);
	explicit_bzero(dec, sizeof(dec));
	return ok;
}

/* Fills r's user, groups and read-only flag; false if nobody is
 * authenticated. A verified client certificate is tried first, then the
 * Authorization header, as the real server's union of authenticators does;
 * a certificate that does not verify is simply not a credential. */
static bool authenticate(struct http *h, struct MHD_Connection *c, struct req *r, struct who *w)
{
	struct sim *s = h->s;
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

	memset(w, 0, sizeof(*w));
	if (h->client_certs && cert_identity(c, w)) {
		/* cert users get full access (kubesim has no RBAC) */
	} else if (auth && str_has_prefix(auth, "Bearer ") && token_eq(auth + 7, s->opt.token)) {
		snprintf(w->user, sizeof(w->user), "admin");
		who_add_group(w, "system:masters");
	} else if (auth && str_has_prefix(auth, "Bearer ") && s->opt.ro_token &&
		   token_eq(auth + 7, s->opt.ro_token)) {
		snprintf(w->user, sizeof(w->user), "viewer");
		r->readonly = true;
	} else if (!basic_ok(s, auth, w)) {
		return false;
	}
	who_add_group(w, "system:authenticated");
	r->user = w->user;
	r->groups = w->group_ptrs;
	r->ngroups = w->ngroups;
	return true;
}

/* Whether PATH names a collection (pods, namespaces/NS/pods), not one object
 * or a discovery document: the real server's request info tells list from
 * get and deletecollection from delete the same way. */
static bool path_is_collection(const char *path)
{
	const char *seg[8];
	size_t n = 0, skip;

	if (str_has_prefix(path, "/api/"))
		skip = 2; /* api v1 */
	else if (str_has_prefix(path, "/apis/"))
		skip = 3; /* apis group version */
	else
		return false;
	for (const char *p = path; *p && n < ARRAY_LEN(seg);) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		seg[n++] = p;
		while (*p && *p != '/')
			p++;
	}
	if (n <= skip)
		return false;
	n -= skip;
	if (n == 1)
		return true; /* pods, namespaces */
	if (n == 3 && str_has_prefix(seg[skip], "namespaces/")) {
		const char *third = seg[skip + 2];

		/* namespaces/NS/status and namespaces/NS/finalize are the namespace */
		return !str_has_prefix(third, "status") && !str_has_prefix(third, "finalize");
	}
	return false;
}

static const char *verb_guess(const char *method, const char *path, const struct query *q)
{
	bool collection = path_is_collection(path);

	if (strcmp(method, "GET") == 0) {
		if (!collection)
			return "get";
		return query_flag(q, "watch") ? "watch" : "list";
	}
	if (strcmp(method, "POST") == 0)
		return "create";
	if (strcmp(method, "PUT") == 0)
		return "update";
	if (strcmp(method, "PATCH") == 0)
		return "patch";
	if (strcmp(method, "DELETE") == 0)
		return collection ? "deletecollection" : "delete";
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
		/* A log stream is read in larger blocks: fewer calls at a high rate. */
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
						      out->log ? 64 * 1024 : 16 * 1024,
						      stream_read, st, stream_free);
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
	struct who who;
	bool public_path;

	(void)version;
	if (!cn) {
		if (fault_drop_request(s, url))
			return MHD_NO; /* closes the connection unanswered */
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
	public_path = str_eq(url, "/version") || str_eq(url, "/healthz") || str_eq(url, "/livez") ||
		      str_eq(url, "/readyz");
	if (!authenticate(h, c, &r, &who) && !public_path) {
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
	    fault_before_request(s, &r, verb_guess(method, url, &r.q), &out))
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

struct http *http_start(struct sim *s, unsigned port, const struct tls_pem *tls,
			const char *client_ca, struct err *err)
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
	h->client_certs = tls && client_ca;
	if (h->client_certs)
		/* a trust list makes libmicrohttpd ask for (not require) a
		 * client certificate; authenticate() verifies it */
		h->d = MHD_start_daemon(
		    flags, (uint16_t)port, accept_policy, h, handle, h, MHD_OPTION_SOCK_ADDR, &addr,
		    MHD_OPTION_HTTPS_MEM_KEY, tls->key, MHD_OPTION_HTTPS_MEM_CERT, tls->cert,
		    MHD_OPTION_HTTPS_MEM_TRUST, client_ca, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
		    MHD_OPTION_CONNECTION_TIMEOUT, 300u, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
		    MHD_OPTION_END);
	else if (tls)
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
