/* A small HTTPS server for the TLS tests (OpenSSL, one thread, one request
 * per connection). It makes its own certificate authority at start, a
 * server certificate for 127.0.0.1, localhost and kube.test, and client
 * certificates on request. A client that shows a certificate must show one
 * of this authority; each answer is JSON telling what the server saw:
 *   {"client":"<CN or empty>","sni":"<server name or empty>",
 *    "host":"<Host header>","path":"<request path>"} */
#ifndef OPSDECK_TESTS_KUBE_TLSSERVER_H
#define OPSDECK_TESTS_KUBE_TLSSERVER_H

struct tls_server;

struct tls_server *tls_server_start(void);
void tls_server_stop(struct tls_server *s);
/* "https://127.0.0.1:PORT" */
const char *tls_server_url(const struct tls_server *s);
/* The authority's certificate (PEM). */
const char *tls_server_ca(const struct tls_server *s);
/* A client certificate and key (PEM, caller frees) with common name cn,
 * signed by this server's authority, or by a foreign one if foreign. */
void tls_server_client_cert(struct tls_server *s, const char *cn, int foreign, char **cert,
			    char **key);

#endif
