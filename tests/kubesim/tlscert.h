/* TLS material for the HTTPS listener: a self-signed certificate made at
 * start (EC P-256, SAN 127.0.0.1 and localhost, valid for a year) or PEM
 * files given on the command line; and the kubeconfig that points a client
 * at the simulator with the certificate as its CA and a bearer token. */
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
void tls_free(struct tls_pem *p);

/* Writes path atomically (mode 0600). ca_pem may be NULL for plain HTTP;
 * ro_token may be NULL. */
bool kubeconfig_write(const char *path, const char *server, const char *ca_pem, const char *token,
		      const char *ro_token, struct err *err);

#endif
