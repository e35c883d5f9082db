/* The HTTP(S) front end on libmicrohttpd: one thread per connection (so a
 * watch or `logs -f` blocking in its reader never holds up other clients),
 * authentication (bearer tokens, client certificates from --client-ca,
 * basic auth), fault injection before dispatch, and the
 * conversion of api.c's answers (bodies or streams, sent chunked) into
 * responses. Listens on 127.0.0.1 only. */
#ifndef OPSDECK_KUBESIM_HTTP_H
#define OPSDECK_KUBESIM_HTTP_H

#include <stdbool.h>

#include "sim.h"
#include "tlscert.h"
#include "util.h"

struct http;

/* tls NULL: plain HTTP. port 0: any free port. client_ca (PEM, with tls):
 * client certificates are asked for and verified against it. */
struct http *http_start(struct sim *s, unsigned port, const struct tls_pem *tls,
			const char *client_ca, struct err *err);
unsigned http_port(const struct http *h);
void http_stop(struct http *h);

#endif
