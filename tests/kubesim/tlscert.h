/* TLS material for the HTTPS listener: a self-signed certificate made at
 * start (EC P-256, SAN 127.0.0.1 and localhost, valid for a year) or PEM
 * files given on the command line; a CA for client certificates and the
 * client certificates it issues; and the kubeconfig that points a client
 * at the simulator with the certificate as its CA and a token, a client
 * certificate or a user name and password. */
#ifndef OPSDECK_KUBESIM_TLSCERT_H
#define OPSDECK_KUBESIM_TLSCERT_H

#include <stdbool.h>

#include "util.h"

struct tls_pem {
	char *cert; /* PEM */
	char *key;  /* PEM */
};

bool tls_generate(struct tls_pem *out, struct err *err);
bool tls_load(struct tls_pem *out, const char *cert_file, const char *key_file, struct err *err);
/* A CA certificate, with its key if key_file is not NULL. */
bool tls_load_ca(struct tls_pem *out, const char *cert_file, const char *key_file,
		 struct err *err);
void tls_free(struct tls_pem *p);

/* A self-signed CA for client certificates (CN kubesim-client-ca). */
bool tls_generate_client_ca(struct tls_pem *out, struct err *err);
/* A client certificate (extended key usage clientAuth) with subject
 * CN=cn and, if org is not NULL, O=org, signed by ca (which needs its key). */
bool tls_issue_client(const struct tls_pem *ca, const char *cn, const char *org,
		      struct tls_pem *out, struct err *err);

/* How the kubeconfig's kubesim-admin user authenticates: a client
 * certificate if cert_pem and key_pem are set, else a user name and
 * password if both are set, else the token. */
struct kc_admin {
	const char *token;
	const char *cert_pem, *key_pem;
	const char *username, *password;
};

/* Writes path atomically (mode 0600). ca_pem may be NULL for plain HTTP;
 * ro_token may be NULL. */
bool kubeconfig_write(const char *path, const char *server, const char *ca_pem,
		      const struct kc_admin *admin, const char *ro_token, struct err *err);

#endif
