/* opsdeck-kubesim: a local Kubernetes API server for opsdeck's tests and
 * demo. See doc/kubesim.md. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctrl.h"
#include "demo.h"
#include "http.h"
#include "kafka.h"
#include "sim.h"
#include "store.h"
#include "tlscert.h"

static void usage(FILE *f)
{
	fputs("usage: opsdeck-kubesim [options]\n"
	      "  --port N             listen on 127.0.0.1:N (0, the default: any free port)\n"
	      "  --http               plain HTTP instead of HTTPS\n"
	      "  --cert FILE --key FILE  PEM certificate and key (default: self-signed)\n"
	      "  --token T            bearer token with full access (default: random)\n"
	      "  --ro-token T         bearer token that may only read\n"
	      "  --client-ca FILE     PEM CA: ask for client certificates and verify them\n"
	      "  --client-ca-key FILE its key, to issue the kubeconfig's client certificate\n"
	      "  --basic-auth U:P     accept this user name and password (basic auth)\n"
	      "  --kubeconfig-auth A  the kubeconfig's admin user: token (default), cert, basic\n"
	      "  --kubeconfig-out F   write a kubeconfig for the server to F\n"
	      "  --port-file F        write the chosen port to F\n"
	      "  --preload F          apply a multi-document YAML manifest at start\n"
	      "  --demo               start with sample store namespaces and workloads\n"
	      "  --seed N             seed for names, uids, logs and faults (default 1)\n"
	      "  --speed X            speed factor of the simulated clock (default 1)\n"
	      "  --log-rate R         log lines per second per container (2, at most 1e6);\n"
	      "                       0: a line whenever a follow stream reads one, as fast\n"
	      "                       as it reads, stamped 1 ns apart (so at most 1e9 lines\n"
	      "                       per second of a run, never stamped after now)\n"
	      "  --log-keep N         log lines kept per container run (10000)\n"
	      "  --log-follow-max D   end follow streams cleanly after D, as the kubelet's\n"
	      "                       cap (4h; 0 = never; units h, m, s, ms: 1m30s, 500ms)\n"
	      "  --log-rotate-lines N a run's log rotates every N lines, ending its follow\n"
	      "                       streams after the file's last line (0, the default: never)\n"
	      "  --schedule-ms --create-ms --start-ms --ready-ms MS\n"
	      "                       pod phase delays (100, 300, 700, 1000)\n"
	      "  --terminate-ms MS    graceful pod termination (1000)\n"
	      "  --ns-delete-ms MS    namespace Terminating until gone (2000)\n"
	      "  --topic-ready-ms MS  KafkaTopic until Ready (1500)\n"
	      "  --kafka-topic-version v1beta2|v1|both\n"
	      "                       the KafkaTopic version served (v1beta2); both: v1\n"
	      "                       preferred and v1beta2 too, as Strimzi 0.4x migrating\n"
	      "  --bookmark-ms MS     watch bookmark interval (5000)\n"
	      "  --watch-history N    change events kept for watches (20000)\n"
	      "  --event-ttl S        lifetime of Events in seconds (3600)\n"
	      "  --reject-missing-list-keys\n"
	      "                       server-side apply of a port without protocol is\n"
	      "                       an HTTP 500, as API servers before 1.21 answer\n"
	      "  --verbose            log every request on stderr\n",
	      f);
}

static bool parse_long_opt(const char *name, const char *v, long min, long max, long *out)
{
	if (!str_to_long(v, min, max, out)) {
		fprintf(stderr,
			"opsdeck-kubesim: --%s: expected an integer between %ld and %ld, "
			"got \"%s\"\n",
			name, min, max, v);
		return false;
	}
	return true;
}

static bool parse_double_opt(const char *name, const char *v, double min, double max, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= min && d <= max)) {
		fprintf(stderr,
			"opsdeck-kubesim: --%s: expected a number between %g and %g, got "
			"\"%s\"\n",
			name, min, max, v);
		return false;
	}
	*out = d;
	return true;
}

/* A duration as Go writes one (what kubelet flags take): "4h", "1m30s",
 * "500ms", "1.5s"; "0" alone is zero. At most 24 hours. */
static bool parse_duration_opt(const char *name, const char *v, long *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ms", 1}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
	const char *p = v;
	double total = 0;

	if (str_eq(v, "0")) {
		*ms = 0;
		return true;
	}
	while (*p) {
		char *end;
		double n;
		size_t u;

		errno = 0;
		n = strtod(p, &end);
		if (errno || end == p || strspn(p, "0123456789.") != (size_t)(end - p))
			break;
		for (u = 0; u < ARRAY_LEN(units) && !str_has_prefix(end, units[u].unit); u++)
			;
		if (u == ARRAY_LEN(units))
			break;
		total += n * units[u].ms;
		p = end + strlen(units[u].unit);
	}
	if (*p || p == v || total > 86400000.0) {
		fprintf(stderr,
			"opsdeck-kubesim: --%s: expected a duration such as 4h, 1m30s or 500ms "
			"(at most 24h), got \"%s\"\n",
			name, v);
		return false;
	}
	/* A positive duration never becomes 0, which means "never". */
	*ms = total > 0 && total < 1 ? 1 : lround(total);
	return true;
}

static bool random_token(char *out, size_t n)
{
	unsigned char raw[16];
	FILE *f = fopen("/dev/urandom", "rb");
	bool ok = f && fread(raw, 1, sizeof(raw), f) == sizeof(raw);

	if (f)
		fclose(f);
	for (size_t i = 0; ok && i < sizeof(raw) && 2 * i + 2 < n; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return ok;
}

static bool write_port_file(const char *path, unsigned port)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	bool ok = f && fprintf(f, "%u\n", port) > 0;

	if (f && fclose(f) != 0)
		ok = false;
	ok = ok && rename(tmp, path) == 0;
	if (!ok) {
		fprintf(stderr, "opsdeck-kubesim: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok;
}

enum {
	OPT_PORT = 256,
	OPT_HTTP,
	OPT_CERT,
	OPT_KEY,
	OPT_TOKEN,
	OPT_RO_TOKEN,
	OPT_CLIENT_CA,
	OPT_CLIENT_CA_KEY,
	OPT_BASIC_AUTH,
	OPT_KUBECONFIG_AUTH,
	OPT_KUBECONFIG,
	OPT_PORT_FILE,
	OPT_PRELOAD,
	OPT_DEMO,
	OPT_SEED,
	OPT_SPEED,
	OPT_LOG_RATE,
	OPT_LOG_KEEP,
	OPT_LOG_FOLLOW_MAX,
	OPT_LOG_ROTATE,
	OPT_SCHEDULE,
	OPT_CREATE,
	OPT_START,
	OPT_READY,
	OPT_TERMINATE,
	OPT_NS_DELETE,
	OPT_TOPIC,
	OPT_KAFKA_VERSION,
	OPT_BOOKMARK,
	OPT_HISTORY,
	OPT_EVENT_TTL,
	OPT_VERBOSE,
	OPT_REJECT_KEYS,
	OPT_HELP
};

static const struct option longopts[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"http", no_argument, NULL, OPT_HTTP},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"ro-token", required_argument, NULL, OPT_RO_TOKEN},
    {"client-ca", required_argument, NULL, OPT_CLIENT_CA},
    {"client-ca-key", required_argument, NULL, OPT_CLIENT_CA_KEY},
    {"basic-auth", required_argument, NULL, OPT_BASIC_AUTH},
    {"kubeconfig-auth", required_argument, NULL, OPT_KUBECONFIG_AUTH},
    {"kubeconfig-out", required_argument, NULL, OPT_KUBECONFIG},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"preload", required_argument, NULL, OPT_PRELOAD},
    {"demo", no_argument, NULL, OPT_DEMO},
    {"seed", required_argument, NULL, OPT_SEED},
    {"speed", required_argument, NULL, OPT_SPEED},
    {"log-rate", required_argument, NULL, OPT_LOG_RATE},
    {"log-keep", required_argument, NULL, OPT_LOG_KEEP},
    {"log-follow-max", required_argument, NULL, OPT_LOG_FOLLOW_MAX},
    {"log-rotate-lines", required_argument, NULL, OPT_LOG_ROTATE},
    {"schedule-ms", required_argument, NULL, OPT_SCHEDULE},
    {"create-ms", required_argument, NULL, OPT_CREATE},
    {"start-ms", required_argument, NULL, OPT_START},
    {"ready-ms", required_argument, NULL, OPT_READY},
    {"terminate-ms", required_argument, NULL, OPT_TERMINATE},
    {"ns-delete-ms", required_argument, NULL, OPT_NS_DELETE},
    {"topic-ready-ms", required_argument, NULL, OPT_TOPIC},
    {"kafka-topic-version", required_argument, NULL, OPT_KAFKA_VERSION},
    {"bookmark-ms", required_argument, NULL, OPT_BOOKMARK},
    {"watch-history", required_argument, NULL, OPT_HISTORY},
    {"event-ttl", required_argument, NULL, OPT_EVENT_TTL},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"reject-missing-list-keys", no_argument, NULL, OPT_REJECT_KEYS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* "user:password": a user name of [A-Za-z0-9-._@], a password of 1 to 256
 * printable ASCII characters. Split in place. */
static bool parse_basic_auth(char *v, struct sim_opts *o)
{
	char *colon = strchr(v, ':');
	size_t ulen = colon ? (size_t)(colon - v) : 0, plen = colon ? strlen(colon + 1) : 0;
	bool ok = ulen > 0 && ulen <= 128 && plen > 0 && plen <= 256 &&
		  strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@") ==
		      ulen;

	for (size_t i = 0; ok && i < plen; i++)
		ok = colon[1 + i] >= 0x20 && colon[1 + i] <= 0x7e;
	if (!ok) {
		fprintf(stderr, "opsdeck-kubesim: --basic-auth: expected USER:PASSWORD (a user "
				"name of [A-Za-z0-9-._@], a password of 1 to 256 printable "
				"characters)\n");
		return false;
	}
	*colon = '\0';
	o->basic_user = v;
	o->basic_password = colon + 1;
	return true;
}

static bool parse_args(int argc, char **argv, struct sim_opts *o)
{
	int c;
	long v;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case OPT_PORT:
			ok = parse_long_opt("port", optarg, 0, 65535, &v);
			o->port = (unsigned)v;
			break;
		case OPT_HTTP:
			o->tls = false;
			break;
		case OPT_CERT:
			o->cert_file = optarg;
			break;
		case OPT_KEY:
			o->key_file = optarg;
			break;
		case OPT_TOKEN:
		case OPT_RO_TOKEN:
			if (strlen(optarg) < 8 || strlen(optarg) > 256 ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789-._~+/=") != strlen(optarg)) {
				fprintf(stderr, "opsdeck-kubesim: a token must be 8 to 256 "
						"characters of [A-Za-z0-9-._~+/=]\n");
				ok = false;
			}
			if (c == OPT_TOKEN)
				o->token = optarg;
			else
				o->ro_token = optarg;
			break;
		case OPT_CLIENT_CA:
			o->client_ca_file = optarg;
			break;
		case OPT_CLIENT_CA_KEY:
			o->client_ca_key_file = optarg;
			break;
		case OPT_BASIC_AUTH:
			ok = parse_basic_auth(optarg, o);
			break;
		case OPT_KUBECONFIG_AUTH:
			if (str_eq(optarg, "token")) {
				o->kubeconfig_auth = KC_AUTH_TOKEN;
			} else if (str_eq(optarg, "cert")) {
				o->kubeconfig_auth = KC_AUTH_CERT;
			} else if (str_eq(optarg, "basic")) {
				o->kubeconfig_auth = KC_AUTH_BASIC;
			} else {
				fprintf(stderr, "opsdeck-kubesim: --kubeconfig-auth: expected token, "
						"cert or basic, got \"%s\"\n",
					optarg);
				ok = false;
			}
			break;
		case OPT_KUBECONFIG:
			o->kubeconfig_out = optarg;
			break;
		case OPT_PORT_FILE:
			o->port_file = optarg;
			break;
		case OPT_PRELOAD:
			o->preload = optarg;
			break;
		case OPT_DEMO:
			o->demo = true;
			break;
		case OPT_SEED:
			ok = parse_long_opt("seed", optarg, 0, 0x7fffffffffffffffL, &v);
			o->seed = (uint64_t)v;
			break;
		case OPT_SPEED:
			ok = parse_double_opt("speed", optarg, 0.01, 1000, &o->speed);
			break;
		case OPT_LOG_RATE:
			ok = parse_double_opt("log-rate", optarg, 0, 1e6, &o->log_rate);
			break;
		case OPT_LOG_KEEP:
			ok = parse_long_opt("log-keep", optarg, 1, 10000000, &o->log_keep);
			break;
		case OPT_LOG_FOLLOW_MAX:
			ok = parse_duration_opt("log-follow-max", optarg, &o->log_follow_max_ms);
			break;
		case OPT_LOG_ROTATE:
			ok = parse_long_opt("log-rotate-lines", optarg, 0, 1000000000L,
					    &o->log_rotate_lines);
			break;
		case OPT_SCHEDULE:
			ok = parse_long_opt("schedule-ms", optarg, 0, 3600000, &o->schedule_ms);
			break;
		case OPT_CREATE:
			ok = parse_long_opt("create-ms", optarg, 0, 3600000, &o->create_ms);
			break;
		case OPT_START:
			ok = parse_long_opt("start-ms", optarg, 0, 3600000, &o->start_ms);
			break;
		case OPT_READY:
			ok = parse_long_opt("ready-ms", optarg, 0, 3600000, &o->ready_ms);
			break;
		case OPT_TERMINATE:
			ok = parse_long_opt("terminate-ms", optarg, 0, 3600000, &o->terminate_ms);
			break;
		case OPT_NS_DELETE:
			ok = parse_long_opt("ns-delete-ms", optarg, 0, 3600000, &o->ns_delete_ms);
			break;
		case OPT_TOPIC:
			ok = parse_long_opt("topic-ready-ms", optarg, 0, 3600000,
					    &o->topic_ready_ms);
			break;
		case OPT_KAFKA_VERSION:
			ok = kafka_set_version(optarg);
			if (!ok)
				fprintf(stderr, "opsdeck-kubesim: --kafka-topic-version: "
						"v1beta2, v1 or both\n");
			break;
		case OPT_BOOKMARK:
			ok = parse_long_opt("bookmark-ms", optarg, 10, 3600000, &o->bookmark_ms);
			break;
		case OPT_HISTORY:
			ok = parse_long_opt("watch-history", optarg, 1, 10000000, &o->history);
			break;
		case OPT_EVENT_TTL:
			ok = parse_long_opt("event-ttl", optarg, 1, 86400 * 30, &o->event_ttl_s);
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case OPT_REJECT_KEYS:
			o->reject_missing_list_keys = true;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return false;
		}
		if (!ok)
			return false;
	}
	if (optind < argc) {
		fprintf(stderr, "opsdeck-kubesim: unexpected argument \"%s\"\n", argv[optind]);
		return false;
	}
	if (!o->cert_file != !o->key_file) {
		fprintf(stderr, "opsdeck-kubesim: --cert and --key go together\n");
		return false;
	}
	if (o->cert_file && !o->tls) {
		fprintf(stderr, "opsdeck-kubesim: --cert/--key make no sense with --http\n");
		return false;
	}
	if ((o->client_ca_file || o->kubeconfig_auth == KC_AUTH_CERT) && !o->tls) {
		fprintf(stderr, "opsdeck-kubesim: client certificates need HTTPS (not --http)\n");
		return false;
	}
	if (o->client_ca_key_file && !o->client_ca_file) {
		fprintf(stderr, "opsdeck-kubesim: --client-ca-key needs --client-ca\n");
		return false;
	}
	if (o->kubeconfig_auth == KC_AUTH_CERT && o->client_ca_file && !o->client_ca_key_file) {
		fprintf(stderr, "opsdeck-kubesim: --kubeconfig-auth cert with --client-ca needs "
				"--client-ca-key to issue a certificate\n");
		return false;
	}
	if (o->kubeconfig_auth == KC_AUTH_BASIC && !o->basic_user) {
		fprintf(stderr, "opsdeck-kubesim: --kubeconfig-auth basic needs --basic-auth\n");
		return false;
	}
	if (o->token && o->ro_token && strcmp(o->token, o->ro_token) == 0) {
		fprintf(stderr, "opsdeck-kubesim: --token and --ro-token must differ\n");
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct sim_opts o = {
	    .tls = true,
	    .seed = 1,
	    .speed = 1.0,
	    .log_rate = 2.0,
	    .log_keep = 10000,
	    .log_follow_max_ms = 4 * 3600 * 1000L,
	    .schedule_ms = 100,
	    .create_ms = 300,
	    .start_ms = 700,
	    .ready_ms = 1000,
	    .terminate_ms = 1000,
	    .ns_delete_ms = 2000,
	    .topic_ready_ms = 1500,
	    .bookmark_ms = 5000,
	    .history = 20000,
	    .event_ttl_s = 3600,
	};
	static char token[40];
	struct sim s;
	struct tls_pem pem = {NULL, NULL}, client_ca = {NULL, NULL}, client = {NULL, NULL};
	struct kc_admin admin = {0};
	struct err err = {{0}};
	struct http *h;
	sigset_t sigs;
	int sig = 0;
	char url[64];

	if (!parse_args(argc, argv, &o))
		return 2;
	if (!o.token) {
		if (!random_token(token, sizeof(token))) {
			fprintf(stderr, "opsdeck-kubesim: cannot read /dev/urandom\n");
			return 1;
		}
		o.token = token;
	}
	/* Signals are taken synchronously by the main thread only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	sim_init(&s, &o);
	s.store = store_new((size_t)o.history);
	s.ctrl = ctrl_new(&s);
	store_set_hook(s.store, ctrl_store_hook, s.ctrl);
	pthread_mutex_lock(&s.lock);
	demo_bootstrap(&s);
	if ((o.demo && !demo_load(&s, &err)) ||
	    (o.preload && !demo_apply_file(&s, o.preload, &err))) {
		pthread_mutex_unlock(&s.lock);
		fprintf(stderr, "opsdeck-kubesim: %s\n", err.msg);
		ctrl_free(s.ctrl);
		store_free(s.store);
		sim_destroy(&s);
		return 1;
	}
	ctrl_run_once(s.ctrl);
	pthread_mutex_unlock(&s.lock);
	ctrl_start(s.ctrl);

	if (o.tls && !(o.cert_file ? tls_load(&pem, o.cert_file, o.key_file, &err)
				   : tls_generate(&pem, &err))) {
		fprintf(stderr, "opsdeck-kubesim: %s\n", err.msg);
		goto fail;
	}
	/* the client CA: given, or made here to issue the kubeconfig's
	 * certificate (CN kubesim-admin, O system:masters, as kubeadm's admin) */
	if ((o.client_ca_file &&
	     !tls_load_ca(&client_ca, o.client_ca_file, o.client_ca_key_file, &err)) ||
	    (!o.client_ca_file && o.kubeconfig_auth == KC_AUTH_CERT &&
	     !tls_generate_client_ca(&client_ca, &err)) ||
	    (o.kubeconfig_auth == KC_AUTH_CERT &&
	     !tls_issue_client(&client_ca, "kubesim-admin", "system:masters", &client, &err))) {
		fprintf(stderr, "opsdeck-kubesim: %s\n", err.msg);
		goto fail;
	}
	h = http_start(&s, o.port, o.tls ? &pem : NULL, client_ca.cert, &err);
	if (!h) {
		fprintf(stderr, "opsdeck-kubesim: %s\n", err.msg);
		goto fail;
	}
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u", o.tls ? "https" : "http", http_port(h));
	admin.token = o.token;
	if (o.kubeconfig_auth == KC_AUTH_CERT) {
		admin.cert_pem = client.cert;
		admin.key_pem = client.key;
	} else if (o.kubeconfig_auth == KC_AUTH_BASIC) {
		admin.username = o.basic_user;
		admin.password = o.basic_password;
	}
	if (o.kubeconfig_out && !kubeconfig_write(o.kubeconfig_out, url, o.tls ? pem.cert : NULL,
						  &admin, o.ro_token, &err)) {
		fprintf(stderr, "opsdeck-kubesim: %s\n", err.msg);
		http_stop(h);
		goto fail;
	}
	if (o.port_file && !write_port_file(o.port_file, http_port(h))) {
		http_stop(h);
		goto fail;
	}
	printf("listening on %s\n", url);
	fflush(stdout);

	while (sigwait(&sigs, &sig) != 0)
		;
	http_stop(h);
	ctrl_free(s.ctrl);
	store_free(s.store);
	tls_free(&pem);
	tls_free(&client_ca);
	tls_free(&client);
	sim_destroy(&s);
	return 0;
fail:
	pthread_mutex_lock(&s.lock);
	atomic_store(&s.stopping, true);
	pthread_mutex_unlock(&s.lock);
	ctrl_free(s.ctrl);
	store_free(s.store);
	tls_free(&pem);
	tls_free(&client_ca);
	tls_free(&client);
	sim_destroy(&s);
	return 1;
}
