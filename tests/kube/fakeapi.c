#include "config.h"

#include "fakeapi.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

struct fake_api {
	struct MHD_Daemon *d;
	fake_handler fn;
	void *ud;
	char url[64];
	pthread_mutex_t lock;
	struct fake_req reqs[FAKE_MAX_REQUESTS];
	unsigned nreqs;
	volatile int stopping;
};

/* One request in progress: MHD's per-request pointer. */
struct conn {
	struct fake_api *f;
	char uri[2048];
	bool started;
	struct buf body;
};

struct stream {
	struct fake_api *f;
	char *data;
	size_t len, pos;
	enum fake_then then;
	long hold_ms;
	long trickle_ms;
};

static void nap_ms(struct fake_api *f, long ms)
{
	for (long left = ms; left > 0 && !f->stopping; left -= 10) {
		struct timespec ts = {0, 10 * 1000000L};

		nanosleep(&ts, NULL);
	}
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *cn = xcalloc(1, sizeof(*cn));

	(void)c;
	cn->f = cls;
	str_copy(cn->uri, sizeof(cn->uri), uri);
	return cn;
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

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	size_t n;

	(void)pos;
	if (s->pos < s->len) {
		n = s->len - s->pos < max ? s->len - s->pos : max;
		if (s->trickle_ms) {
			const char *nl = memchr(s->data + s->pos, '\n', n);

			if (s->pos > 0)
				nap_ms(s->f, s->trickle_ms);
			if (nl)
				n = (size_t)(nl - (s->data + s->pos)) + 1;
		}
		memcpy(out, s->data + s->pos, n);
		s->pos += n;
		return (ssize_t)n;
	}
	if (s->then == FAKE_DROP)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (s->then == FAKE_HOLD) {
		nap_ms(s->f, s->hold_ms);
		s->then = FAKE_END;
	}
	return MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	free(s->data);
	free(s);
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t outsz)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	str_copy(out, outsz, v ? v : "");
}

static enum MHD_Result add_header_line(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	struct fake_req *rq = cls;
	size_t used = strlen(rq->headers);

	(void)kind;
	snprintf(rq->headers + used, sizeof(rq->headers) - used, "%s: %s\n", key,
		 value ? value : "");
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct fake_api *f = cls;
	struct conn *cn = *con_cls;
	struct fake_req rq;
	struct fake_reply rep;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)url;
	(void)version;
	if (!cn->started) {
		cn->started = true;
		return MHD_YES;
	}
	if (*upload_size) {
		buf_append(&cn->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}

	memset(&rq, 0, sizeof(rq));
	str_copy(rq.method, sizeof(rq.method), method);
	str_copy(rq.uri, sizeof(rq.uri), cn->uri);
	copy_header(c, MHD_HTTP_HEADER_AUTHORIZATION, rq.auth, sizeof(rq.auth));
	copy_header(c, MHD_HTTP_HEADER_CONTENT_TYPE, rq.ctype, sizeof(rq.ctype));
	copy_header(c, MHD_HTTP_HEADER_ACCEPT, rq.accept, sizeof(rq.accept));
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_line, &rq);
	rq.body_len = cn->body.len;
	rq.body = xstrndup(buf_str(&cn->body), cn->body.len);
	pthread_mutex_lock(&f->lock);
	rq.index = f->nreqs;
	if (f->nreqs < FAKE_MAX_REQUESTS) {
		f->reqs[f->nreqs] = rq;
		f->reqs[f->nreqs].body = xstrndup(rq.body, rq.body_len);
		f->nreqs++;
	}
	pthread_mutex_unlock(&f->lock);

	memset(&rep, 0, sizeof(rep));
	f->fn(&rq, &rep, f->ud);
	free(rq.body);
	if (rep.delay_ms)
		nap_ms(f, rep.delay_ms);
	if (!rep.body)
		rep.body = xstrdup("");
	if (rep.stream) {
		struct stream *s = xcalloc(1, sizeof(*s));

		s->f = f;
		s->data = rep.body;
		s->len = strlen(rep.body);
		s->then = rep.then;
		s->hold_ms = rep.hold_ms;
		s->trickle_ms = rep.trickle_ms;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s,
							 stream_free);
	} else {
		resp = MHD_create_response_from_buffer(strlen(rep.body), rep.body,
						       MHD_RESPMEM_MUST_FREE);
	}
	if (!resp)
		fatal("cannot create a response");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				rep.content_type ? rep.content_type : "application/json");
	if (rep.header) {
		char name[64];
		const char *colon = strchr(rep.header, ':');

		if (colon && (size_t)(colon - rep.header) < sizeof(name)) {
			memcpy(name, rep.header, (size_t)(colon - rep.header));
			name[colon - rep.header] = '\0';
			MHD_add_response_header(resp, name, colon + 2);
		}
	}
	ret = MHD_queue_response(c, (unsigned)(rep.status ? rep.status : 200), resp);
	MHD_destroy_response(resp);
	return ret;
}

struct fake_api *fake_api_start(fake_handler fn, void *ud)
{
	struct fake_api *f = xcalloc(1, sizeof(*f));
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fn = fn;
	f->ud = ud;
	pthread_mutex_init(&f->lock, NULL);
	f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
				NULL, NULL, on_request, f, MHD_OPTION_URI_LOG_CALLBACK, uri_log, f,
				MHD_OPTION_NOTIFY_COMPLETED, completed, f,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&sa, MHD_OPTION_END);
	if (!f->d)
		fatal("cannot start the test HTTP server");
	info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port)
		fatal("the test HTTP server has no port");
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u", (unsigned)info->port);
	return f;
}

const char *fake_api_url(const struct fake_api *f)
{
	return f->url;
}

void fake_api_stop(struct fake_api *f)
{
	if (!f)
		return;
	f->stopping = 1;
	MHD_stop_daemon(f->d);
	for (unsigned i = 0; i < f->nreqs; i++)
		free(f->reqs[i].body);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

unsigned fake_api_count(struct fake_api *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->nreqs;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void fake_api_get(struct fake_api *f, unsigned i, struct fake_req *out)
{
	pthread_mutex_lock(&f->lock);
	if (i >= f->nreqs)
		fatal("request %u was not seen", i);
	*out = f->reqs[i];
	out->body = xstrndup(f->reqs[i].body, f->reqs[i].body_len);
	pthread_mutex_unlock(&f->lock);
}

void fake_req_free(struct fake_req *rq)
{
	free(rq->body);
	rq->body = NULL;
}

int fake_closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		fatal("cannot find a free port");
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}
