/* A scripted HTTP server for the client tests (libmicrohttpd, one thread
 * per connection, 127.0.0.1 on an ephemeral port). A test handler decides
 * each answer from the request; every request is recorded with its raw
 * path and query, its Authorization and Content-Type headers and its body.
 *
 * An answer is either whole, or a chunked stream that sends its lines (all
 * at once, or one line at a time with a pause before each after the first)
 * and then ends, drops the connection without ending the chunked body, or
 * holds the stream open for a while first. */
#ifndef OPSDECK_TESTS_KUBE_FAKEAPI_H
#define OPSDECK_TESTS_KUBE_FAKEAPI_H

#include <stdbool.h>
#include <stddef.h>

#define FAKE_MAX_REQUESTS 512

struct fake_req {
	unsigned index; /* 0-based arrival order */
	char method[16];
	char uri[2048]; /* as sent: path and query, still percent-encoded */
	char auth[1024];
	char ctype[128];
	char accept[128];
	char headers[2048]; /* every header as "Name: value\n", in arrival order */
	char *body;
	size_t body_len;
};

enum fake_then { FAKE_END, FAKE_DROP, FAKE_HOLD };

struct fake_reply {
	int status;		  /* 0: 200 */
	const char *content_type; /* NULL: application/json */
	char *body;		  /* malloc'ed by the handler; the server frees it */
	bool stream;
	enum fake_then then; /* streams: after the body */
	long hold_ms;	     /* FAKE_HOLD: how long, then end */
	long trickle_ms;     /* streams: the pause before each line after the first */
	long delay_ms;	     /* wait this long before answering at all */
	const char *header;  /* one extra "Name: value", or NULL */
};

typedef void (*fake_handler)(const struct fake_req *rq, struct fake_reply *rep, void *ud);

struct fake_api;

/* Starts the server; aborts the test program if it cannot. */
struct fake_api *fake_api_start(fake_handler fn, void *ud);
/* "http://127.0.0.1:PORT" */
const char *fake_api_url(const struct fake_api *f);
/* Ends held streams and stops the server. */
void fake_api_stop(struct fake_api *f);
/* Requests seen so far, and a copy of one (body included; free with
 * fake_req_free). */
unsigned fake_api_count(struct fake_api *f);
void fake_api_get(struct fake_api *f, unsigned i, struct fake_req *out);
void fake_req_free(struct fake_req *rq);

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
int fake_closed_port(void);

#endif
