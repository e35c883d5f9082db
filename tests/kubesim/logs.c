#include "config.h"

#include "logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fault.h"
#include "jutil.h"

#define LOG_BATCH (64 * 1024)
/* Lines a follow stream formats at a time when no fault counts them: about
 * LOG_BATCH bytes. */
#define LOG_BATCH_LINES 400
#define NS_PER_S 1000000000LL

struct podrt *podrt_new(const json_t *pod)
{
	struct podrt *rt = xcalloc(1, sizeof(*rt));
	json_t *cs = jpath(pod, "spec.containers"), *c;
	size_t i;

	rt->n = json_array_size(cs);
	rt->c = xcalloc(rt->n + 1, sizeof(*rt->c));
	json_array_foreach(cs, i, c)
	{
		rt->c[i].name = xstrdup(jstr(c, "name", ""));
		rt->c[i].image = xstrdup(jstr(c, "image", ""));
		if (strstr(rt->c[i].image, "invalid"))
			rt->bad_image = true;
	}
	return rt;
}

void podrt_free(void *p)
{
	struct podrt *rt = p;

	if (!rt)
		return;
	for (size_t i = 0; i < rt->n; i++) {
		free(rt->c[i].name);
		free(rt->c[i].image);
	}
	free(rt->c);
	free(rt);
}

enum img_kind { IMG_WEB, IMG_MYSQL, IMG_POSTGRES, IMG_REDIS, IMG_BROKER, IMG_OTHER };

static enum img_kind classify(const char *image)
{
	static const char *const web[] = {"nginx",	 "httpd",   "apache", "wordpress",
					  "woocommerce", "php",	    "medusa", "node",
					  "caddy",	 "traefik", "web",    NULL};

	if (strstr(image, "mysql") || strstr(image, "mariadb"))
		return IMG_MYSQL;
	if (strstr(image, "postgres"))
		return IMG_POSTGRES;
	if (strstr(image, "redis"))
		return IMG_REDIS;
	if (strstr(image, "kafka") || strstr(image, "rabbitmq") || strstr(image, "strimzi"))
		return IMG_BROKER;
	for (const char *const *w = web; *w; w++) {
		if (strstr(image, *w))
			return IMG_WEB;
	}
	return IMG_OTHER;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* Appenders for the hand-made formatting of lines (snprintf costs more
 * than the rest of a line). Each returns the end of what it wrote. */
static char *put_mem(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put_mem(p, lit, sizeof(lit) - 1)
#define TEXT(lit) {lit, sizeof(lit) - 1, false}
#define TEXT_NUMBERED(lit) {lit, sizeof(lit) - 1, true}

static char *put_str(char *p, const char *s)
{
	return put_mem(p, s, strlen(s));
}

/* v in decimal, as %u / %llu. */
static char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* v < 10^width in exactly width digits, as %0*u. */
static char *put_dec_w(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* v in 8 hex digits, as %08x. */
static char *put_hex8(char *p, uint32_t v)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 7; i >= 0; i--) {
		p[i] = digits[v & 0xf];
		v >>= 4;
	}
	return p + 8;
}

void logfmt_image(struct logfmt *f, const char *image)
{
	int kind = (int)classify(image);

	if (kind != f->kind) {
		f->kind = kind;
		f->have_sec = false;
	}
}

void logfmt_init(struct logfmt *f, uint64_t seed, const char *pod_uid, const char *container,
		 uint64_t run_id, const char *image, bool timestamps)
{
	memset(f, 0, sizeof(*f));
	f->kind = -1;
	f->key = seed ^ mix(sim_fnv32(pod_uid, strlen(pod_uid))) ^
		 mix(sim_fnv32(container, strlen(container)) + run_id * 0x9e37ULL);
	f->timestamps = timestamps;
	logfmt_image(f, image);
}

/* The image's own date text of tm. */
static size_t when_text(enum img_kind kind, const struct tm *tm, char *out, size_t n)
{
	switch (kind) {
	case IMG_WEB:
		return strftime(out, n, "%d/%b/%Y:%H:%M:%S +0000", tm);
	case IMG_MYSQL:
		return strftime(out, n, "%Y-%m-%dT%H:%M:%S", tm);
	case IMG_POSTGRES:
	case IMG_BROKER:
		return strftime(out, n, "%Y-%m-%d %H:%M:%S", tm);
	case IMG_REDIS:
		return strftime(out, n, "%d %b %Y %H:%M:%S", tm);
	case IMG_OTHER:
		break;
	}
	return strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", tm);
}

/* The date texts of second sec (strftime only when the second changes). */
static void logfmt_second(struct logfmt *f, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (f->have_sec && f->sec == sec)
		return;
	gmtime_r(&t, &tm);
	f->when_len = when_text((enum img_kind)f->kind, &tm, f->when, sizeof(f->when));
	f->stamp_len = strftime(f->stamp, sizeof(f->stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	f->sec = sec;
	f->have_sec = true;
}

size_t logfmt_put(struct logfmt *f, uint64_t seq, int64_t ts_ns, char *out)
{
	/* Texts with their lengths; a path with a number gets it appended. */
	static const struct text {
		const char *s;
		size_t n;
		bool numbered;
	} paths[] = {TEXT("/"),
		     TEXT("/shop/"),
		     TEXT_NUMBERED("/product/"),
		     TEXT("/cart/"),
		     TEXT("/checkout/"),
		     TEXT("/wp-admin/admin-ajax.php"),
		     TEXT("/wp-json/wc/store/v1/cart"),
		     TEXT("/health"),
		     TEXT_NUMBERED("/?p="),
		     TEXT_NUMBERED("/category/")},
	  agents[] = {TEXT("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
		      TEXT("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15"),
		      TEXT("kube-probe/1.32"), TEXT("curl/8.5.0"), TEXT("Googlebot/2.1")};
	static const unsigned codes[] = {200, 200, 200, 200, 200, 200, 304, 301, 404, 500};
	uint64_t h = mix(f->key ^ mix(seq));
	int64_t frac = ts_ns % NS_PER_S;
	char *p = out;

	logfmt_second(f, ts_ns / NS_PER_S);
	if (f->timestamps) {
		p = put_mem(p, f->stamp, f->stamp_len);
		*p++ = '.';
		p = put_dec_w(p, (uint64_t)frac, 9);
		p = PUT_LIT(p, "Z ");
	}
	switch ((enum img_kind)f->kind) {
	case IMG_WEB:
		if (seq <= 3) {
			static const char *const boot[] = {
			    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/",
			    "AH00558: apache2: Could not reliably determine the server's fully "
			    "qualified domain name, using 10.244.0.1",
			    "Configuration complete; ready for start up, serving on :80"};

			p = put_str(p, boot[seq - 1]);
			break;
		}
		p = PUT_LIT(p, "10.244.");
		p = put_dec(p, (unsigned)(h >> 8) % 4);
		*p++ = '.';
		p = put_dec(p, (unsigned)(h >> 12) % 250 + 2);
		p = PUT_LIT(p, " - - [");
		p = put_mem(p, f->when, f->when_len);
		p = (h >> 40) % 7 == 0 ? PUT_LIT(p, "] \"POST ") : PUT_LIT(p, "] \"GET ");
		{
			const struct text *path = &paths[h % ARRAY_LEN(paths)];

			p = put_mem(p, path->s, path->n);
			if (path->numbered)
				p = put_dec(p, (unsigned)(h >> 20) % 500);
		}
		p = PUT_LIT(p, " HTTP/1.1\" ");
		p = put_dec(p, codes[(h >> 24) % 10]);
		*p++ = ' ';
		p = put_dec(p, (unsigned)(h >> 32) % 40000 + 200);
		p = PUT_LIT(p, " \"-\" \"");
		p = put_mem(p, agents[(h >> 48) % 5].s, agents[(h >> 48) % 5].n);
		*p++ = '"';
		break;
	case IMG_MYSQL: {
		static const char *const boot[] = {
		    "[System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.36) starting as "
		    "process 1",
		    "[System] [MY-013576] [InnoDB] InnoDB initialization has started.",
		    "[System] [MY-013577] [InnoDB] InnoDB initialization has ended.",
		    "[Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.",
		    "[System] [MY-011323] [Server] X Plugin ready for connections. Bind-address: "
		    "'::' port: 33060",
		    "[System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. "
		    "Version: '8.0.36'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL "
		    "Community Server - GPL."};

		p = put_mem(p, f->when, f->when_len);
		*p++ = '.';
		p = put_dec_w(p, (uint64_t)frac / 1000, 6);
		p = PUT_LIT(p, "Z ");
		if (seq <= ARRAY_LEN(boot)) {
			p = PUT_LIT(p, "0 ");
			p = put_str(p, boot[seq - 1]);
			break;
		}
		p = put_dec(p, (unsigned)(h % 900) + 8);
		p = PUT_LIT(p, " [Note] [MY-010914] [Server] Aborted connection ");
		p = put_dec(p, (unsigned)(h >> 16) % 9000 + 100);
		p = PUT_LIT(p, " to db: 'store' user: 'store' host: '10.244.0.");
		p = put_dec(p, (unsigned)(h >> 30) % 250 + 2);
		p = PUT_LIT(p, "' (Got an error reading communication packets).");
		break;
	}
	case IMG_POSTGRES: {
		static const char *const boot[] = {
		    "LOG:  starting PostgreSQL 16.3 on x86_64-pc-linux-gnu",
		    "LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
		    "LOG:  database system was shut down at startup",
		    "LOG:  database system is ready to accept connections"};

		p = put_mem(p, f->when, f->when_len);
		*p++ = '.';
		p = put_dec_w(p, (uint64_t)frac / 1000000, 3);
		p = PUT_LIT(p, " UTC [");
		if (seq <= ARRAY_LEN(boot)) {
			p = PUT_LIT(p, "1] ");
			p = put_str(p, boot[seq - 1]);
			break;
		}
		p = put_dec(p, (unsigned)(h % 90) + 20);
		p = PUT_LIT(p, "] LOG:  checkpoint complete: wrote ");
		p = put_dec(p, (unsigned)(h >> 8) % 300);
		p = PUT_LIT(p, " buffers (");
		p = put_dec(p, (unsigned)(h >> 16) % 3);
		*p++ = '.';
		p = put_dec(p, (unsigned)(h >> 20) % 10);
		p = PUT_LIT(p, "%); write=");
		p = put_dec(p, (unsigned)(h >> 24) % 5);
		*p++ = '.';
		p = put_dec_w(p, (unsigned)(h >> 28) % 1000, 3);
		p = PUT_LIT(p, " s");
		break;
	}
	case IMG_REDIS:
		p = PUT_LIT(p, "1:M ");
		p = put_mem(p, f->when, f->when_len);
		*p++ = '.';
		p = put_dec_w(p, (uint64_t)frac / 1000000, 3);
		*p++ = ' ';
		p = seq == 1	   ? PUT_LIT(p, "* Ready to accept connections tcp")
		    : h % 3 == 0 ? PUT_LIT(p, "* Background saving started by pid 42")
				 : PUT_LIT(p, "* 100 changes in 300 seconds. Saving...");
		break;
	case IMG_BROKER:
		p = put_mem(p, f->when, f->when_len);
		*p++ = ',';
		p = put_dec_w(p, (uint64_t)frac / 1000000, 3);
		p = PUT_LIT(p, " INFO [Broker id=0] Leader store-events-");
		p = put_dec(p, (unsigned)(h % 12));
		p = PUT_LIT(p, " starts at leader epoch ");
		p = put_dec(p, (unsigned)(h >> 8) % 40);
		p = PUT_LIT(p, " (state.change.logger)");
		break;
	case IMG_OTHER:
		p = PUT_LIT(p, "time=");
		p = put_mem(p, f->when, f->when_len);
		p = h % 17 == 0 ? PUT_LIT(p, " level=warn") : PUT_LIT(p, " level=info");
		p = PUT_LIT(p, " msg=\"processed request\" id=");
		p = put_hex8(p, (unsigned)(h >> 16));
		p = PUT_LIT(p, " duration_ms=");
		p = put_dec(p, (unsigned)(h >> 40) % 900 + 1);
		break;
	}
	p = PUT_LIT(p, " seq=");
	p = put_dec(p, seq);
	*p++ = '\n';
	return (size_t)(p - out);
}

size_t logs_line(uint64_t seed, const char *pod_uid, const struct crun *c, uint64_t run_id,
		 uint64_t seq, int64_t ts_ns, char *out, size_t n)
{
	struct logfmt f;
	char line[LOGFMT_MAX];
	size_t len;

	logfmt_init(&f, seed, pod_uid, c->name, run_id, c->image, false);
	len = logfmt_put(&f, seq, ts_ns, line) - 1; /* without the newline */
	if (len >= n)
		len = n - 1;
	memcpy(out, line, len);
	out[len] = '\0';
	return len;
}


/* --log-rate 0: lines come into being as follow streams read them. */
static bool lazy(const struct sim *s)
{
	return s->opt.log_rate <= 0;
}

static double eff_rate(const struct sim *s)
{
	/* At rate 0 lines are a nanosecond apart, the finest step a timestamp shows. */
	return s->opt.log_rate > 0 ? s->opt.log_rate : 1e9;
}

/* Lines written by a run from start_ns until at_ns (a positive rate). */
static uint64_t written(const struct sim *s, int64_t start_ns, int64_t at_ns)
{
	if (start_ns == 0 || at_ns < start_ns)
		return 0;
	return (uint64_t)((double)(at_ns - start_ns) * eff_rate(s) / 1e9) + 1;
}

/* Lines the current run of c (or its previous one) has written by now_ns. */
static uint64_t run_lines(const struct sim *s, const struct crun *c, bool previous, int64_t now_ns)
{
	if (previous)
		return c->prev_lines;
	if (lazy(s))
		return c->lines;
	return written(s, c->start_ns, c->running ? now_ns : c->end_ns);
}

static int64_t line_time(const struct sim *s, int64_t start_ns, uint64_t seq)
{
	return start_ns + (int64_t)((double)(seq - 1) * 1e9 / eff_rate(s));
}

/* First line written at or after since_ns. */
static uint64_t first_since(const struct sim *s, int64_t start_ns, int64_t since_ns)
{
	double k;

	if (since_ns <= start_ns)
		return 1;
	k = (double)(since_ns - start_ns) * eff_rate(s) / 1e9;
	{
		uint64_t seq = (uint64_t)k + 1;

		while (seq > 1 && line_time(s, start_ns, seq - 1) >= since_ns)
			seq--;
		while (line_time(s, start_ns, seq) < since_ns)
			seq++;
		return seq;
	}
}

void logs_restart(struct sim *s, struct crun *c)
{
	int64_t now = sim_wall_ns();

	c->prev_lines = run_lines(s, c, false, now);
	c->has_prev = true;
	c->prev_start_ns = c->start_ns;
	c->prev_end_ns = now;
	c->restarts++;
	c->run_id++;
	c->start_ns = now + 1000000; /* the new run starts a millisecond later */
	c->lines = 0;
}

void logs_container_id(const char *pod_uid, const struct crun *c, char out[96])
{
	uint64_t h = mix(sim_fnv32(pod_uid, strlen(pod_uid)) ^
			 mix(sim_fnv32(c->name, strlen(c->name)) + c->run_id * 0x9e37ULL));
	int len = snprintf(out, 96, "containerd://");

	for (int i = 0; i < 4; i++) {
		h = mix(h + (uint64_t)i);
		len += snprintf(out + len, 96 - (size_t)len, "%016llx", (unsigned long long)h);
	}
}

/* The API server reads sinceTime with Go's time.Parse and RFC 3339
 * (sim_parse_time; "null" is no time, as metav1.Time reads a query
 * parameter) and passes it on to the kubelet formatted again as RFC 3339,
 * without the fraction. */
bool logs_since_time(const char *v, int64_t *ns, bool *set)
{
	int64_t at;

	*set = false;
	if (!*v || str_eq(v, "null"))
		return true;
	if (!sim_parse_time(v, &at))
		return false;
	at -= ((at % NS_PER_S) + NS_PER_S) % NS_PER_S;
	*ns = at;
	*set = true;
	return true;
}

struct logstream {
	struct sim *s;
	char pod_uid[37];
	char *container;
	char *path;
	uint64_t run_id;
	uint64_t next;	    /* next seq to send */
	uint64_t open_last; /* newest line at the start: its log file is the one followed */
	long limit_bytes; /* 0 = none */
	long sent_bytes;
	long lines; /* lines sent after the opening ones (faults count these) */
	int64_t started_ms;
	bool stall_due, stalled; /* a stall fault: reached, begun */
	int64_t stall_until_ms;
	bool drop; /* a drop fault: close the connection once pending is sent */
	struct buf pending;
	size_t off; /* of pending, sent already */
	struct logfmt fmt;
	bool done;
};

/* Appends line seq of the run f formats, stamped as the run wrote it. */
static void put_line(const struct sim *s, struct buf *b, struct logfmt *f, int64_t start_ns,
		     uint64_t seq, long limit, long *sent)
{
	char text[LOGFMT_MAX];
	size_t add = logfmt_put(f, seq, line_time(s, start_ns, seq), text);

	if (limit > 0 && *sent + (long)add > limit) {
		/* limitBytes cuts mid-line, as the kubelet does. */
		add = (size_t)(limit - *sent);
	}
	buf_append(b, text, add);
	*sent += (long)add;
}

static struct crun *pick(struct podrt *rt, const char *name)
{
	for (size_t i = 0; i < rt->n; i++) {
		if (strcmp(rt->c[i].name, name) == 0)
			return &rt->c[i];
	}
	return NULL;
}

bool logs_open(struct sim *s, struct obj *pod, const char *path, const struct query *q,
	       struct apierr *e, struct resp *out)
{
	struct podrt *rt = pod->priv;
	const char *cname = query_get(q, "container");
	const char *since_time = query_get(q, "sinceTime");
	const char *v;
	const struct crun *c;
	bool follow, previous, timestamps, since_set = false;
	long tail = -1, since_s = 0, limit = 0;
	int64_t since_ns = 0, start_ns, now = sim_wall_ns();
	uint64_t first, last, keep;
	struct buf b = BUF_INIT;
	struct logfmt fmt;
	long sent = 0;

	if (!rt || rt->n == 0) {
		apierr_bad_request(e, "pod %s has no containers", pod->name);
		return false;
	}
	follow = query_flag(q, "follow");
	previous = query_flag(q, "previous");
	timestamps = query_flag(q, "timestamps");
	if ((v = query_get(q, "tailLines")) && *v && !str_to_long(v, 0, 100000000L, &tail)) {
		apierr_set(e, 422, "Invalid",
			   "PodLogOptions \"%s\" is invalid: tailLines: Invalid value: %s: must be "
			   "greater than or equal to 0",
			   pod->name, v);
		return false;
	}
	if ((v = query_get(q, "sinceSeconds")) && *v && !str_to_long(v, 1, 100000000L, &since_s)) {
		apierr_set(e, 422, "Invalid",
			   "PodLogOptions \"%s\" is invalid: sinceSeconds: Invalid value: %s: must "
			   "be greater than 0",
			   pod->name, v);
		return false;
	}
	if ((v = query_get(q, "limitBytes")) && *v && !str_to_long(v, 1, 0x7fffffffL, &limit)) {
		apierr_set(
		    e, 422, "Invalid",
		    "PodLogOptions \"%s\" is invalid: limitBytes: Invalid value: %s: must be "
		    "greater than 0",
		    pod->name, v);
		return false;
	}
	if (since_time && !logs_since_time(since_time, &since_ns, &since_set)) {
		apierr_bad_request(e,
				   "parsing time \"%s\" as \"2006-01-02T15:04:05Z07:00\": cannot "
				   "parse",
				   since_time);
		return false;
	}
	if (since_s && since_set) {
		apierr_set(
		    e, 422, "Invalid",
		    "PodLogOptions \"%s\" is invalid: sinceSeconds: Forbidden: at most one of "
		    "`sinceTime` or `sinceSeconds` may be specified",
		    pod->name);
		return false;
	}
	if (since_s) {
		since_ns = now - (int64_t)since_s * NS_PER_S;
		since_set = true;
	}
	if (!cname || !*cname) {
		if (rt->n > 1) {
			struct buf names = BUF_INIT;

			for (size_t i = 0; i < rt->n; i++)
				buf_printf(&names, "%s%s", i ? " " : "", rt->c[i].name);
			apierr_bad_request(e,
					   "a container name must be specified for pod %s, choose "
					   "one of: [%s]",
					   pod->name, buf_str(&names));
			buf_free(&names);
			return false;
		}
		cname = rt->c[0].name;
	}
	c = pick(rt, cname);
	if (!c) {
		apierr_bad_request(e, "container %s is not valid for pod %s", cname, pod->name);
		return false;
	}
	if (previous) {
		if (!c->has_prev) {
			apierr_bad_request(e,
					   "previous terminated container \"%s\" in pod \"%s\" not "
					   "found",
					   c->name, pod->name);
			return false;
		}
		start_ns = c->prev_start_ns;
		follow = false;
	} else {
		if (c->start_ns == 0) {
			apierr_bad_request(e,
					   "container \"%s\" in pod \"%s\" is waiting to start: %s",
					   c->name, pod->name,
					   rt->bad_image ? "trying and failing to pull image"
							 : "ContainerCreating");
			return false;
		}
		start_ns = c->start_ns;
	}
	last = run_lines(s, c, previous, now);
	keep = (uint64_t)(s->opt.log_keep > 0 ? s->opt.log_keep : 10000);
	first = last > keep ? last - keep + 1 : 1;
	if (since_set) {
		uint64_t f = first_since(s, start_ns, since_ns);

		if (f > first)
			first = f;
	}
	if (tail >= 0 && last + 1 > first && last + 1 - first > (uint64_t)tail)
		first = last + 1 - (uint64_t)tail;
	logfmt_init(&fmt, s->opt.seed, pod->uid, c->name, previous ? c->run_id - 1 : c->run_id,
		    c->image, timestamps);
	for (uint64_t k = first;
	     k <= last && (limit == 0 || sent < limit) && b.len < 64 * 1024 * 1024; k++)
		put_line(s, &b, &fmt, start_ns, k, limit, &sent);
	out->code = 200;
	out->ctype = "text/plain";
	if (!follow || (limit > 0 && sent >= limit) || !c->running) {
		out->len = b.len;
		out->body = buf_steal(&b);
		return true;
	}
	{
		struct logstream *l = xcalloc(1, sizeof(*l));

		l->s = s;
		snprintf(l->pod_uid, sizeof(l->pod_uid), "%s", pod->uid);
		l->container = xstrdup(c->name);
		l->path = xstrdup(path);
		l->run_id = c->run_id;
		l->next = last + 1 > first ? last + 1 : first;
		l->open_last = last;
		l->limit_bytes = limit;
		l->sent_bytes = sent;
		l->started_ms = sim_mono_ms();
		l->pending = b;
		l->fmt = fmt;
		s->stats.logs_open++;
		s->stats.logs_total++;
		out->log = l;
	}
	return true;
}

/* collect's line by line part (lock held): for the faults that count lines
 * or draw a chance for each, and for limitBytes. */
static void collect_locked(struct logstream *l, struct crun *c, bool same, int64_t start_ns,
			   uint64_t upto, const struct log_faults *f)
{
	struct sim *s = l->s;

	while (l->next <= upto && l->pending.len < LOG_BATCH) {
		if (f->drop_after_lines > 0 && l->lines >= f->drop_after_lines) {
			l->drop = true;
			break;
		}
		if (f->stall_ms > 0 && !l->stalled && l->lines >= f->stall_after_lines) {
			l->stall_due = true;
			break;
		}
		if (f->drop_rate > 0 && sim_rand01(s) < f->drop_rate) {
			/* The connection breaks somewhere in this line. */
			size_t at = l->pending.len;

			put_line(s, &l->pending, &l->fmt, start_ns, l->next, 0, &l->sent_bytes);
			l->pending.len = at + (size_t)(sim_rand(s) % (l->pending.len - at));
			l->pending.data[l->pending.len] = '\0';
			l->drop = true;
			break;
		}
		put_line(s, &l->pending, &l->fmt, start_ns, l->next, l->limit_bytes,
			 &l->sent_bytes);
		l->next++;
		l->lines++;
		if (l->limit_bytes > 0 && l->sent_bytes >= l->limit_bytes)
			return;
	}
	if (same && lazy(s) && l->next - 1 > c->lines)
		c->lines = l->next - 1;
}

/* Formats lines from..to of the stream's run into pending without the
 * lock: they are written already (counted in the run), and the stream has
 * its own copy of all they depend on, so a restart or deletion meanwhile
 * changes nothing. Streams of several containers format in parallel. */
static void put_lines_unlocked(struct logstream *l, int64_t start_ns, uint64_t from, uint64_t to)
{
	struct sim *s = l->s;

	pthread_mutex_unlock(&s->lock);
	for (uint64_t k = from; k <= to; k++)
		put_line(s, &l->pending, &l->fmt, start_ns, k, 0, &l->sent_bytes);
	pthread_mutex_lock(&s->lock);
	l->next = to + 1;
	l->lines += (long)(to - from + 1);
}

/* Appends what the run has written since l->next (lock held, released
 * while lines are formatted when no fault needs them one by one); false
 * when the stream is over at once (pod or run gone). Sets l->done after the
 * last line of a run that stopped or of a log file that rotated. */
static bool collect(struct logstream *l, int64_t *wait_ms)
{
	struct sim *s = l->s;
	struct obj *pod = store_by_uid(s->store, l->pod_uid);
	struct podrt *rt = pod ? pod->priv : NULL;
	struct crun *c = rt ? pick(rt, l->container) : NULL;
	int64_t now = sim_wall_ns(), start_ns;
	uint64_t upto, written, file_end = UINT64_MAX;
	bool same, ended;
	long rotate = fault_log_rotate_lines(s);
	struct log_faults f;

	if (!c)
		return false;
	same = c->run_id == l->run_id;
	/* A restarted container's old stream still sends the rest of its run. */
	if (!same && !(c->has_prev && c->run_id == l->run_id + 1))
		return false;
	start_ns = same ? c->start_ns : c->prev_start_ns;
	ended = !same || !c->running;
	upto = run_lines(s, c, !same, now);
	/* At rate 0 lines are written as fast as they are read, but never one
	 * stamped after now: a sinceTime ahead waits for its time. */
	if (same && !ended && lazy(s) && line_time(s, start_ns, l->next) <= now)
		upto = l->next + 100000;
	written = upto;
	if (rotate > 0) {
		file_end = (l->open_last / (uint64_t)rotate + 1) * (uint64_t)rotate;
		if (upto > file_end)
			upto = file_end;
	}
	fault_log_stream(s, l->path, &f);
	logfmt_image(&l->fmt, c->image);
	if (f.drop_after_lines <= 0 && !(f.stall_ms > 0 && !l->stalled) && f.drop_rate <= 0 &&
	    l->limit_bytes == 0) {
		/* No fault counts lines: take a batch, write it, format it unlocked. */
		uint64_t to = l->next - 1; /* the last line sent after this batch */

		if (l->next <= upto)
			to = upto - l->next >= LOG_BATCH_LINES ? l->next + LOG_BATCH_LINES - 1
							       : upto;
		if (same && lazy(s) && to > c->lines)
			c->lines = to;
		if (to >= l->next)
			put_lines_unlocked(l, start_ns, l->next, to); /* c may be gone after */
	} else {
		collect_locked(l, c, same, start_ns, upto, &f);
	}
	/* The file rotates once its last line is written; a stream that starts
	 * past that line (a sinceTime ahead) waits for it too. */
	if (l->limit_bytes > 0 && l->sent_bytes >= l->limit_bytes)
		l->done = true;
	else if (l->next > file_end && written >= file_end) {
		l->done = true;
		s->stats.logs_rotated++;
	} else if (ended && l->next > upto) {
		l->done = true;
	}
	*wait_ms = (line_time(s, start_ns, l->next) - now) / 1000000 + 1;
	return true;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

ssize_t logs_read(struct logstream *l, char *buf, size_t max)
{
	struct sim *s = l->s;
	size_t n;

	if (l->pending.len == 0 && !l->done) {
		pthread_mutex_lock(&s->lock);
		for (;;) {
			int64_t wait = 500, now = sim_mono_ms();
			long cap = fault_log_follow_max_ms(s);
			struct log_faults f;

			if (atomic_load(&s->stopping)) {
				l->done = true;
				break;
			}
			if (l->drop || fault_drop_stream(s, l->path, l->lines, l->started_ms)) {
				s->stats.streams_dropped++;
				pthread_mutex_unlock(&s->lock);
				return -1;
			}
			fault_log_stream(s, l->path, &f);
			if (l->stall_due && !l->stalled) {
				l->stall_due = false;
				l->stalled = true;
				l->stall_until_ms = now + f.stall_ms;
				if (f.stall_ms > 0) {
					fault_log_stall_taken(s);
					s->stats.logs_stalled++;
				}
			}
			if (l->stalled && l->stall_until_ms > now && s->faults.log_stall_ms > 0) {
				/* Connected, not a byte: until the stall is over or cleared. */
				sim_wait(s, (long)min64(l->stall_until_ms - now, 500));
				continue;
			}
			if (cap > 0 && now - l->started_ms >= cap) {
				/* The kubelet's cap on a follow connection: a clean end. */
				l->done = true;
				s->stats.logs_capped++;
				break;
			}
			if (!collect(l, &wait)) {
				l->done = true;
				break;
			}
			if (l->pending.len || l->done)
				break;
			if (l->drop || l->stall_due)
				continue;
			if (cap > 0)
				wait = min64(wait, l->started_ms + cap - now);
			sim_wait(s, (long)(wait < 1 ? 1 : wait > 500 ? 500 : wait));
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (l->pending.len == 0)
		return l->drop ? -1 : 0;
	n = l->pending.len - l->off < max ? l->pending.len - l->off : max;
	memcpy(buf, l->pending.data + l->off, n);
	l->off += n;
	if (l->off == l->pending.len) {
		/* All sent: empty, to be filled again from the start. */
		buf_reset(&l->pending);
		l->off = 0;
	}
	return (ssize_t)n;
}

void logs_close(struct logstream *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->s->lock);
	l->s->stats.logs_open--;
	pthread_mutex_unlock(&l->s->lock);
	buf_free(&l->pending);
	free(l->container);
	free(l->path);
	free(l);
}
