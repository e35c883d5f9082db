#include "config.h"

#include "tlsserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

struct tls_server {
	EVP_PKEY *ca_key, *srv_key;
	X509 *ca, *srv;
	char *ca_pem;
	SSL_CTX *ctx;
	int lfd;
	char url[64];
	pthread_t thread;
	atomic_int stop;
};

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (!k)
		fatal("cannot make a test key");
	return k;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext || !X509_add_ext(cert, ext, -1))
		fatal("cannot add a certificate extension");
	X509_EXTENSION_free(ext);
}

/* A certificate for key, signed by issuer/issuer_key (itself when NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *san, int is_ca, long serial)
{
	X509 *c = X509_new();
	X509_NAME *name;

	if (!c)
		fatal("cannot make a certificate");
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	add_ext(c, issuer ? issuer : c, NID_basic_constraints,
		is_ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (is_ca) {
		add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(c, c, NID_subject_key_identifier, "hash");
	} else {
		add_ext(c, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
		add_ext(c, issuer, NID_ext_key_usage, san ? "serverAuth" : "clientAuth");
		add_ext(c, issuer, NID_authority_key_identifier, "keyid:always");
	}
	if (san)
		add_ext(c, issuer ? issuer : c, NID_subject_alt_name, san);
	if (!X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()))
		fatal("cannot sign a test certificate");
	return c;
}

static char *cert_pem(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	char *out;

	PEM_write_bio_X509(b, c);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	char *out;

	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static void json_str(struct buf *b, const char *key, const char *v, int last)
{
	buf_printf(b, "\"%s\":\"", key);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(b, '\\');
		if ((unsigned char)*p >= ' ')
			buf_putc(b, *p);
	}
	buf_puts(b, last ? "\"" : "\",");
}

static void serve_one(struct tls_server *s, int fd)
{
	SSL *ssl = SSL_new(s->ctx);
	char req[8192];
	size_t n = 0;
	char cn[256] = "", host[256] = "", path[1024] = "";
	const char *sni;
	X509 *peer;
	struct buf body = BUF_INIT, resp = BUF_INIT;
	struct timeval tv = {5, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		goto out; /* e.g. a client certificate from a foreign authority */
	while (n < sizeof(req) - 1) {
		int r = SSL_read(ssl, req + n, (int)(sizeof(req) - 1 - n));

		if (r <= 0)
			goto out;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	sscanf(req, "%*s %1023s", path);
	{
		const char *h = strcasestr(req, "\r\nhost: ");

		if (h)
			sscanf(h + 8, "%255[^\r\n]", host);
	}
	sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	peer = SSL_get1_peer_certificate(ssl);
	if (peer) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
					  sizeof(cn));
		X509_free(peer);
	}
	buf_putc(&body, '{');
	json_str(&body, "client", cn, 0);
	json_str(&body, "sni", sni ? sni : "", 0);
	json_str(&body, "host", host, 0);
	json_str(&body, "path", path, 1);
	buf_putc(&body, '}');
	buf_printf(&resp,
		   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
		   "%zu\r\nConnection: close\r\n\r\n%s",
		   body.len, buf_str(&body));
	SSL_write(ssl, resp.data, (int)resp.len);
	SSL_shutdown(ssl);
out:
	buf_free(&body);
	buf_free(&resp);
	SSL_free(ssl);
	close(fd);
}

static void *server_main(void *ud)
{
	struct tls_server *s = ud;

	while (!atomic_load(&s->stop)) {
		struct pollfd p = {s->lfd, POLLIN, 0};
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd >= 0)
			serve_one(s, fd);
	}
	return NULL;
}

struct tls_server *tls_server_start(void)
{
	struct tls_server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	/* a client that hangs up mid-write must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	s->ca_key = new_key();
	s->ca = make_cert(s->ca_key, "opsdeck test CA", NULL, NULL, NULL, 1, 1);
	s->srv_key = new_key();
	s->srv = make_cert(s->srv_key, "kube.test", s->ca, s->ca_key,
			   "IP:127.0.0.1,DNS:localhost,DNS:kube.test", 0, 2);
	s->ca_pem = cert_pem(s->ca);

	s->ctx = SSL_CTX_new(TLS_server_method());
	if (!s->ctx || SSL_CTX_use_certificate(s->ctx, s->srv) != 1 ||
	    SSL_CTX_use_PrivateKey(s->ctx, s->srv_key) != 1)
		fatal("cannot set up the test TLS server");
	X509_STORE_add_cert(SSL_CTX_get_cert_store(s->ctx), s->ca);
	/* ask for a client certificate; one that is shown must verify */
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);

	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s->lfd, 16) != 0 || getsockname(s->lfd, (struct sockaddr *)&sa, &len) != 0)
		fatal("cannot listen for the test TLS server: %s", strerror(errno));
	snprintf(s->url, sizeof(s->url), "https://127.0.0.1:%d", ntohs(sa.sin_port));
	if (pthread_create(&s->thread, NULL, server_main, s) != 0)
		fatal("cannot start the test TLS server");
	return s;
}

void tls_server_stop(struct tls_server *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
	X509_free(s->ca);
	X509_free(s->srv);
	EVP_PKEY_free(s->ca_key);
	EVP_PKEY_free(s->srv_key);
	free(s->ca_pem);
	free(s);
}

const char *tls_server_url(const struct tls_server *s)
{
	return s->url;
}

const char *tls_server_ca(const struct tls_server *s)
{
	return s->ca_pem;
}

void tls_server_client_cert(struct tls_server *s, const char *cn, int foreign, char **cert,
			    char **key)
{
	EVP_PKEY *k = new_key();
	EVP_PKEY *other_key = NULL;
	X509 *other = NULL, *c;

	if (foreign) {
		other_key = new_key();
		other = make_cert(other_key, "some other CA", NULL, NULL, NULL, 1, 7);
	}
	c = make_cert(k, cn, foreign ? other : s->ca, foreign ? other_key : s->ca_key, NULL, 0, 3);
	*cert = cert_pem(c);
	*key = key_pem(k);
	X509_free(c);
	X509_free(other);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(k);
}
