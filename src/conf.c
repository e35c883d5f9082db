#include "config.h"

#include "conf.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "paths.h"
#include "provision/secret.h"
#include "yamldoc.h"

enum conf_type { CONF_STRING, CONF_NAME, CONF_BOOL, CONF_LONG };

/* A text option's rule: false, with what is wrong in msg, for a bad value. */
typedef bool conf_check_fn(const char *name, const char *text, char *msg, size_t msgsz);

/* One entry per option: the file, conf_set() and the documentation all read
 * this table, so an option and its rule exist in exactly one place. Every
 * value is checked here when it is read, so the code that uses a setting
 * never checks it again. */
struct conf_def {
	const char *name;
	enum conf_type type;
	size_t offset;
	long min, max;
	const char *def;
	conf_check_fn *check; /* CONF_STRING: the value's rule */
	bool required;	      /* CONF_STRING: a null is an error, not "unset" */
	const char *doc;
};

/* The longest operator name the audit trail keeps (events_actor_valid). */
#define CONF_OPERATOR_MAX 200
/* A store's host is <12-hex id>.<domain>, and an Ingress host is at most 253. */
#define CONF_DOMAIN_MAX 200

static bool check_line(const char *name, const char *text, char *msg, size_t msgsz)
{
	if (!db_valid_name(text, 4096)) {
		snprintf(msg, msgsz,
			 "%s must be text on one line (no control characters, no space at "
			 "either end)",
			 name);
		return false;
	}
	return true;
}

static bool check_operator(const char *name, const char *text, char *msg, size_t msgsz)
{
	if (!db_valid_name(text, CONF_OPERATOR_MAX)) {
		snprintf(msg, msgsz,
			 "%s must be a name of 1 to %d characters on one line (no control "
			 "characters, no space at either end)",
			 name, CONF_OPERATOR_MAX);
		return false;
	}
	return true;
}

static bool check_context(const char *name, const char *text, char *msg, size_t msgsz)
{
	if (!db_valid_name(text, 253)) {
		snprintf(msg, msgsz,
			 "%s must be a context name of 1 to 253 characters on one line (no "
			 "control characters, no space at either end)",
			 name);
		return false;
	}
	return true;
}

static bool check_profile_name(const char *name, const char *text, char *msg, size_t msgsz)
{
	if (!paths_valid_name(text)) {
		snprintf(msg, msgsz,
			 "%s must name a tunnel profile (letters, digits, '.', '-', '_')", name);
		return false;
	}
	return true;
}

/* libpq reads a value with '=' or a postgres:// prefix as a connection
 * string, anything else as a database name (expand_dbname). libpq's own
 * message is not repeated: it can quote a piece of a password. */
static bool check_database(const char *name, const char *text, char *msg, size_t msgsz)
{
	PQconninfoOption *opts;
	char *why = NULL;

	if (!check_line(name, text, msg, msgsz))
		return false;
	if (!strchr(text, '=') && !str_has_prefix(text, "postgresql://") &&
	    !str_has_prefix(text, "postgres://"))
		return true;
	opts = PQconninfoParse(text, &why);
	PQfreemem(why);
	if (!opts) {
		snprintf(msg, msgsz,
			 "%s is not a connection string libpq reads: key=value pairs "
			 "(host=/run/postgresql dbname=opsdeck, values with spaces in single "
			 "quotes) or a postgresql:// URI",
			 name);
		return false;
	}
	PQconninfoFree(opts);
	return true;
}

static bool domain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* A DNS name an Ingress host can end in: labels of 1 to 63 lowercase
 * letters, digits and '-', neither first nor last. */
static bool check_domain(const char *name, const char *text, char *msg, size_t msgsz)
{
	size_t len = strlen(text);
	const char *label = text;

	if (len == 0 || len > CONF_DOMAIN_MAX) {
		snprintf(msg, msgsz, "%s must be a DNS name of 1 to %d characters, such as "
				     "stores.example.com",
			 name, CONF_DOMAIN_MAX);
		return false;
	}
	for (const char *p = text;; p++) {
		if (*p != '.' && *p != '\0') {
			if (!domain_char(*p)) {
				snprintf(msg, msgsz,
					 "%s must be a DNS name such as stores.example.com: "
					 "lowercase letters, digits, '-' and '.' only",
					 name);
				return false;
			}
			continue;
		}
		if (p == label || p - label > 63 || *label == '-' || p[-1] == '-') {
			snprintf(msg, msgsz,
				 "%s must be a DNS name such as stores.example.com: each part "
				 "between dots 1 to 63 characters, not starting or ending with '-'",
				 name);
			return false;
		}
		if (*p == '\0')
			return true;
		label = p + 1;
	}
}

#define OPT(n, t, field, lo, hi, d, help)                                                        \
	{ .name = n, .type = t, .offset = offsetof(struct conf, field), .min = lo, .max = hi,     \
	  .def = d, .doc = help }
#define TEXT(n, field, d, rule, req, help)                                                        \
	{ .name = n, .type = CONF_STRING, .offset = offsetof(struct conf, field), .def = d,      \
	  .check = rule, .required = req, .doc = help }

static const struct conf_def conf_defs[] = {
	OPT("theme", CONF_NAME, theme, 0, 0, "default", "colour theme name (themes/NAME.yaml)"),
	OPT("keymap", CONF_NAME, keymap, 0, 0, "default", "key map name (keymaps/NAME.yaml)"),
	OPT("mouse", CONF_BOOL, mouse, 0, 0, "false",
	    "enable mouse input (disables terminal selection)"),
	OPT("read_only", CONF_BOOL, read_only, 0, 0, "false", "refuse every mutation"),
	OPT("worker", CONF_BOOL, worker, 0, 0, "true", "run the job runner inside the console"),
	TEXT("database", database, NULL, check_database, false,
	     "libpq connection string; unset: PGHOST, PGDATABASE, PGSERVICE, ~/.pgpass"),
	TEXT("operator", operator, NULL, check_operator, false,
	     "name recorded in the audit trail; unset: the login name"),
	TEXT("database_tunnel", database_tunnel, NULL, check_profile_name, false,
	     "tunnel profile the database is reached through; unset: directly"),
	TEXT("kube.kubeconfig", kubeconfig, NULL, check_line, false,
	     "kubeconfig path; unset: $KUBECONFIG or ~/.kube/config"),
	TEXT("kube.context", context, NULL, check_context, false,
	     "kube context; unset: the kubeconfig's current context"),
	OPT("logs.max_lines", CONF_LONG, log_max_lines, 100, 10000000, "100000",
	    "lines kept per log view"),
	OPT("logs.max_bytes", CONF_LONG, log_max_bytes, 65536, 4294967296L, "67108864",
	    "bytes kept per log view"),
	OPT("logs.max_streams", CONF_LONG, log_max_streams, 1, 10000, "50",
	    "log streams a view runs at once; further sources wait for a free one"),
	OPT("logs.stall_timeout", CONF_LONG, log_stall_s, 5, 86400, "60",
	    "seconds a log stream may send nothing before it is reconnected"),
	OPT("provision.timeout", CONF_LONG, provision_timeout_s, 10, 86400, "300",
	    "seconds a store may take to become ready"),
	OPT("provision.queued_alert", CONF_LONG, queued_alert_s, 10, 86400, "600",
	    "seconds a due job may wait for a runner before the Queues pane shows it as stuck"),
	TEXT("provision.domain", store_domain, "stores.example.com", check_domain, true,
	     "stores are served at https://<store id>.<domain>"),
	OPT("worker.jobs", CONF_LONG, worker_jobs, 1, 64, "4", "jobs one runner runs at once"),
	OPT("worker.reconcile_interval", CONF_LONG, reconcile_interval_s, 0, 86400, "60",
	    "seconds between a runner's reconcile passes; 0: none"),
	OPT("worker.reconcile_confirm", CONF_LONG, reconcile_confirm_s, 1, 600, "5",
	    "seconds before a reconcile pass looks again at a store that seems to have drifted"),
	OPT("queues.interval", CONF_LONG, queues_interval_s, 1, 3600, "5",
	    "seconds between two polls of the RabbitMQ brokers while their queues are shown"),
};

/* ---- the rabbitmq: list ---- */

#define CONF_BROKER_NAME_MAX 63
#define CONF_URL_MAX 1000
#define CONF_VHOST_MAX 255

static void broker_free(struct conf_broker *b)
{
	if (b->password) {
		secret_wipe(b->password, strlen(b->password));
		x_free(&b->password);
	}
	x_free(&b->name);
	x_free(&b->url);
	x_free(&b->user);
	x_free(&b->password_file);
	x_free(&b->ca_file);
	x_free(&b->tunnel);
	for (size_t i = 0; i < b->nvhosts; i++)
		free(b->vhosts[i]);
	x_free(&b->vhosts);
	b->nvhosts = 0;
}

static void brokers_free(struct conf_broker **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		broker_free(&(*v)[i]);
	x_free(v);
	*n = 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void brokers_copy(struct conf *dst, const struct conf *src)
{
	dst->brokers = src->nbrokers ? xcalloc(src->nbrokers, sizeof(*dst->brokers)) : NULL;
	dst->nbrokers = src->nbrokers;
	for (size_t i = 0; i < src->nbrokers; i++) {
		const struct conf_broker *a = &src->brokers[i];
		struct conf_broker *b = &dst->brokers[i];

		*b = *a;
		b->name = dup_or_null(a->name);
		b->url = dup_or_null(a->url);
		b->user = dup_or_null(a->user);
		b->password = dup_or_null(a->password);
		b->password_file = dup_or_null(a->password_file);
		b->ca_file = dup_or_null(a->ca_file);
		b->tunnel = dup_or_null(a->tunnel);
		b->vhosts = a->nvhosts ? xcalloc(a->nvhosts, sizeof(char *)) : NULL;
		for (size_t j = 0; j < a->nvhosts; j++)
			b->vhosts[j] = xstrdup(a->vhosts[j]);
	}
}

const struct conf_broker *conf_broker_find(const struct conf *c, const char *name)
{
	for (size_t i = 0; name && i < c->nbrokers; i++) {
		if (str_eq(c->brokers[i].name, name))
			return &c->brokers[i];
	}
	return NULL;
}

static bool broker_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_BROKER_NAME_MAX)
		return false;
	for (const char *p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return false;
	}
	return true;
}

/* One text value of a broker entry; the message never quotes the value,
 * which may be a password. */
static bool broker_text(const struct ydoc *doc, const struct ynode *v, const char *key,
			size_t max, char **out, struct err *err)
{
	const char *s;

	if (v->type != YNODE_SCALAR || ynode_is_null(v))
		return ydoc_error(doc, v, err, "rabbitmq %s must be text", key);
	if (!ynode_string(doc, v, &s, err))
		return false;
	if (!db_valid_name(s, max))
		return ydoc_error(doc, v, err,
				  "rabbitmq %s must be 1 to %zu characters on one line (no "
				  "control characters, no space at either end)",
				  key, max);
	free(*out);
	*out = xstrdup(s);
	return true;
}

static bool broker_vhosts(const struct ydoc *doc, const struct ynode *v, struct conf_broker *b,
			  struct err *err)
{
	if (v->type != YNODE_SEQ)
		return ydoc_error(doc, v, err, "rabbitmq vhosts must be a list, such as [\"/\"]");
	b->vhosts = v->len ? xcalloc(v->len, sizeof(char *)) : NULL;
	for (size_t i = 0; i < v->len; i++) {
		char *vh = NULL;

		if (!broker_text(doc, v->items[i], "vhosts entry", CONF_VHOST_MAX, &vh, err))
			return false;
		for (size_t j = 0; j < b->nvhosts; j++) {
			if (str_eq(b->vhosts[j], vh)) {
				free(vh);
				return ydoc_error(doc, v->items[i], err,
						  "rabbitmq vhosts lists a vhost twice");
			}
		}
		b->vhosts[b->nvhosts++] = vh;
	}
	return true;
}

/* Reads one entry of the list into b (zeroed by the caller). */
static bool broker_entry(const struct ydoc *doc, const struct ynode *e, struct conf_broker *b,
			 struct err *err)
{
	const struct ynode *secret = NULL;

	if (e->type != YNODE_MAP)
		return ydoc_error(doc, e, err,
				  "a rabbitmq entry must be a mapping (name, url, user, "
				  "password or password_file, vhosts, ca, insecure, timeout)");
	b->line = e->line;
	for (size_t i = 0; i < e->len; i++) {
		const struct ynode *k = e->keys[i], *v = e->items[i];
		const char *key = k->scalar;
		bool ok;

		if (str_eq(key, "name")) {
			ok = broker_text(doc, v, key, CONF_BROKER_NAME_MAX, &b->name, err);
			if (ok && !broker_name_ok(b->name))
				return ydoc_error(doc, v, err,
						  "rabbitmq name must be 1 to %d letters, digits, "
						  "'.', '-' or '_'",
						  CONF_BROKER_NAME_MAX);
		} else if (str_eq(key, "url")) {
			ok = broker_text(doc, v, key, CONF_URL_MAX, &b->url, err);
			if (ok && ((!str_has_prefix(b->url, "http://") &&
				    !str_has_prefix(b->url, "https://")) ||
				   strpbrk(b->url, " \t") || strlen(b->url) < 9))
				return ydoc_error(doc, v, err,
						  "rabbitmq url must be the management API's "
						  "http:// or https:// address, such as "
						  "https://rabbit.internal:15672");
		} else if (str_eq(key, "user")) {
			ok = broker_text(doc, v, key, 200, &b->user, err);
		} else if (str_eq(key, "password")) {
			if (v->type != YNODE_SCALAR || ynode_is_null(v) || !*v->scalar ||
			    strpbrk(v->scalar, "\r\n"))
				return ydoc_error(doc, v, err,
						  "rabbitmq password must be text on one line");
			x_free(&b->password);
			b->password = xstrdup(v->scalar);
			secret = secret ? secret : v;
			ok = true;
		} else if (str_eq(key, "password_file")) {
			ok = broker_text(doc, v, key, 4096, &b->password_file, err);
			secret = secret ? secret : v;
		} else if (str_eq(key, "vhosts")) {
			ok = broker_vhosts(doc, v, b, err);
		} else if (str_eq(key, "ca")) {
			ok = broker_text(doc, v, key, 4096, &b->ca_file, err);
		} else if (str_eq(key, "insecure")) {
			ok = ynode_bool(doc, v, &b->insecure, err);
		} else if (str_eq(key, "timeout")) {
			ok = ynode_long(doc, v, 1, 300, &b->timeout_s, err);
		} else if (str_eq(key, "tunnel")) {
			ok = broker_text(doc, v, key, 64, &b->tunnel, err);
			if (ok && !paths_valid_name(b->tunnel))
				return ydoc_error(doc, v, err,
						  "rabbitmq tunnel must name a tunnel profile "
						  "(letters, digits, '.', '-', '_')");
		} else {
			return ydoc_error(doc, k, err,
					  "unknown rabbitmq key '%s' (name, url, user, password, "
					  "password_file, vhosts, ca, insecure, timeout, tunnel)",
					  key);
		}
		if (!ok)
			return false;
	}
	if (!b->name)
		return ydoc_error(doc, e, err, "a rabbitmq entry needs a name");
	if (!b->url)
		return ydoc_error(doc, e, err, "rabbitmq %s needs a url", b->name);
	if (!b->user)
		return ydoc_error(doc, e, err, "rabbitmq %s needs a user", b->name);
	if (!b->password && !b->password_file)
		return ydoc_error(doc, e, err, "rabbitmq %s needs a password or a password_file",
				  b->name);
	if (b->password && b->password_file)
		return ydoc_error(doc, secret, err,
				  "rabbitmq %s: give either password or password_file, not both",
				  b->name);
	if (b->ca_file && b->insecure)
		return ydoc_error(doc, e, err,
				  "rabbitmq %s: ca and insecure exclude each other", b->name);
	return true;
}

/* The whole list replaces what c held. */
static bool conf_apply_brokers(struct conf *c, const struct ydoc *doc, const struct ynode *v,
			       struct err *err)
{
	struct conf_broker *list = NULL;
	size_t n = 0;

	if (!ynode_is_null(v) && v->type != YNODE_SEQ)
		return ydoc_error(doc, v, err,
				  "rabbitmq must be a list of brokers (- name: ..., url: ...)");
	if (v->type == YNODE_SEQ && v->len)
		list = xcalloc(v->len, sizeof(*list));
	for (size_t i = 0; v->type == YNODE_SEQ && i < v->len; i++) {
		bool ok = broker_entry(doc, v->items[i], &list[n], err);

		n++;
		for (size_t j = 0; ok && j + 1 < n; j++) {
			if (str_eq(list[j].name, list[n - 1].name))
				ok = ydoc_error(doc, v->items[i], err,
						"rabbitmq %s is listed twice (first at line %u)",
						list[j].name, list[j].line);
		}
		if (!ok) {
			brokers_free(&list, &n);
			return false;
		}
	}
	brokers_free(&c->brokers, &c->nbrokers);
	c->brokers = list;
	c->nbrokers = n;
	return true;
}

/* ---- kube.tunnels: context -> tunnel profile ---- */

static void kube_tunnels_free(struct conf_kube_tunnel **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free((*v)[i].context);
		free((*v)[i].profile);
	}
	x_free(v);
	*n = 0;
}

static void kube_tunnels_copy(struct conf *dst, const struct conf *src)
{
	dst->kube_tunnels =
	    src->nkube_tunnels ? xcalloc(src->nkube_tunnels, sizeof(*dst->kube_tunnels)) : NULL;
	for (size_t i = 0; i < src->nkube_tunnels; i++) {
		dst->kube_tunnels[i].context = xstrdup(src->kube_tunnels[i].context);
		dst->kube_tunnels[i].profile = xstrdup(src->kube_tunnels[i].profile);
	}
}

const char *conf_kube_tunnel(const struct conf *c, const char *context)
{
	for (size_t i = 0; context && i < c->nkube_tunnels; i++) {
		if (str_eq(c->kube_tunnels[i].context, context))
			return c->kube_tunnels[i].profile;
	}
	return NULL;
}

/* The whole mapping replaces what c held. */
static bool conf_apply_kube_tunnels(struct conf *c, const struct ydoc *doc,
				    const struct ynode *v, struct err *err)
{
	struct conf_kube_tunnel *list = NULL;
	size_t n = 0;
	char msg[256];

	if (!ynode_is_null(v) && v->type != YNODE_MAP)
		return ydoc_error(doc, v, err,
				  "kube.tunnels must be a mapping of kube context: tunnel profile");
	if (v->type == YNODE_MAP && v->len)
		list = xcalloc(v->len, sizeof(*list));
	for (size_t i = 0; v->type == YNODE_MAP && i < v->len; i++) {
		const struct ynode *k = v->keys[i], *p = v->items[i];
		bool ok = true;

		if (!check_context("kube.tunnels key", k->scalar, msg, sizeof(msg)))
			ok = ydoc_error(doc, k, err, "%s", msg);
		else if (p->type != YNODE_SCALAR || ynode_is_null(p) ||
			 !check_profile_name("kube.tunnels value", p->scalar, msg, sizeof(msg)))
			ok = ydoc_error(doc, p, err, "%s",
					p->type == YNODE_SCALAR && !ynode_is_null(p)
					    ? msg
					    : "kube.tunnels value must name a tunnel profile");
		for (size_t j = 0; ok && j < n; j++) {
			if (str_eq(list[j].context, k->scalar))
				ok = ydoc_error(doc, k, err, "kube.tunnels names context %s twice",
						k->scalar);
		}
		if (!ok) {
			kube_tunnels_free(&list, &n);
			return false;
		}
		list[n].context = xstrdup(k->scalar);
		list[n].profile = xstrdup(p->scalar);
		n++;
	}
	kube_tunnels_free(&c->kube_tunnels, &c->nkube_tunnels);
	c->kube_tunnels = list;
	c->nkube_tunnels = n;
	return true;
}

/* A tunnel named by a broker, kube.tunnels or database_tunnel must be a
 * profile of the tunnels list: checked once the whole file is read, since
 * the list may come after the entries that name it. */
static bool conf_check_tunnel_refs(const struct conf *c, const struct ydoc *doc,
				   struct err *err)
{
	const struct ynode *root = doc->root, *kube, *node;

	for (size_t i = 0; i < c->nbrokers; i++) {
		const struct conf_broker *b = &c->brokers[i];

		if (b->tunnel && !tunnel_profiles_find(&c->tunnels, b->tunnel)) {
			const struct ynode *list = ynode_get(root, "rabbitmq");

			node = list && list->type == YNODE_SEQ && i < list->len
				   ? ynode_get(list->items[i], "tunnel")
				   : NULL;
			return ydoc_error(doc, node ? node : root, err,
					  "rabbitmq %s: no tunnel profile \"%s\" in tunnels",
					  b->name, b->tunnel);
		}
	}
	kube = ynode_get(root, "kube");
	for (size_t i = 0; i < c->nkube_tunnels; i++) {
		const char *p = c->kube_tunnels[i].profile;

		if (!tunnel_profiles_find(&c->tunnels, p)) {
			const struct ynode *map = kube ? ynode_get(kube, "tunnels") : NULL;

			node = map ? ynode_get(map, c->kube_tunnels[i].context) : NULL;
			return ydoc_error(doc, node ? node : root, err,
					  "kube.tunnels: no tunnel profile \"%s\" in tunnels", p);
		}
	}
	if (c->database_tunnel && !tunnel_profiles_find(&c->tunnels, c->database_tunnel)) {
		node = ynode_get(root, "database_tunnel");
		return ydoc_error(doc, node ? node : root, err,
				  "database_tunnel: no tunnel profile \"%s\" in tunnels",
				  c->database_tunnel);
	}
	return true;
}

static const struct conf_def *conf_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(conf_defs); i++) {
		if (strcmp(conf_defs[i].name, name) == 0)
			return &conf_defs[i];
	}
	return NULL;
}

static void *field(struct conf *c, const struct conf_def *d)
{
	return (char *)c + d->offset;
}

/* The operator when none is set; one that breaks the operator rule (a
 * strange $USER) is not used. */
static char *login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = pw && pw->pw_name ? pw->pw_name : getenv("USER");

	return xstrdup(u && db_valid_name(u, CONF_OPERATOR_MAX) ? u : "unknown");
}

/* A text option without a value: unset, which for the operator means the
 * login name. */
static void conf_unset(struct conf *c, const struct conf_def *d)
{
	x_free((char **)field(c, d));
	if (d->offset == offsetof(struct conf, operator))
		c->operator = login_name();
}

/* Validates text for option d and stores it; msg gets the reason on failure. */
static bool conf_store(struct conf *c, const struct conf_def *d, const char *text, bool quoted,
		       char *msg, size_t msgsz)
{
	switch (d->type) {
	case CONF_NAME:
		if (!paths_valid_name(text)) {
			snprintf(msg, msgsz, "%s must be a name of letters, digits, '-' or '_'",
				 d->name);
			return false;
		}
		/* fall through */
	case CONF_STRING: {
		char **s = field(c, d);

		if (d->type == CONF_STRING && !*text && !d->required) {
			conf_unset(c, d);
			return true;
		}
		if (d->type == CONF_STRING && d->check && !d->check(d->name, text, msg, msgsz))
			return false;
		free(*s);
		*s = xstrdup(text);
		return true;
	}
	case CONF_BOOL: {
		bool *b = field(c, d);

		if (!quoted && (str_eq(text, "true") || str_eq(text, "yes") || str_eq(text, "on")))
			*b = true;
		else if (!quoted &&
			 (str_eq(text, "false") || str_eq(text, "no") || str_eq(text, "off")))
			*b = false;
		else {
			snprintf(msg, msgsz, "%s must be true or false", d->name);
			return false;
		}
		return true;
	}
	case CONF_LONG: {
		long v;

		if (!str_to_long(text, d->min, d->max, &v)) {
			snprintf(msg, msgsz, "%s must be a whole number from %ld to %ld", d->name,
				 d->min, d->max);
			return false;
		}
		*(long *)field(c, d) = v;
		return true;
	}
	}
	return false;
}

void conf_init(struct conf *c)
{
	char msg[256];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ARRAY_LEN(conf_defs); i++) {
		if (conf_defs[i].def && !conf_store(c, &conf_defs[i], conf_defs[i].def, false, msg,
						    sizeof(msg)))
			fatal("bad built-in default: %s", msg);
	}
	c->operator = login_name();
}

void conf_free(struct conf *c)
{
	for (size_t i = 0; i < ARRAY_LEN(conf_defs); i++) {
		if (conf_defs[i].type == CONF_STRING || conf_defs[i].type == CONF_NAME)
			x_free((char **)field(c, &conf_defs[i]));
	}
	x_free(&c->source);
	brokers_free(&c->brokers, &c->nbrokers);
	tunnel_profiles_free(&c->tunnels);
	kube_tunnels_free(&c->kube_tunnels, &c->nkube_tunnels);
}

static void conf_copy(struct conf *dst, const struct conf *src)
{
	*dst = *src;
	dst->source = src->source ? xstrdup(src->source) : NULL;
	brokers_copy(dst, src);
	tunnel_profiles_copy(&dst->tunnels, &src->tunnels);
	kube_tunnels_copy(dst, src);
	for (size_t i = 0; i < ARRAY_LEN(conf_defs); i++) {
		if (conf_defs[i].type == CONF_STRING || conf_defs[i].type == CONF_NAME) {
			char **s = field(dst, &conf_defs[i]);

			if (*s)
				*s = xstrdup(*s);
		}
	}
}

/* True if some option is named "<prefix>.…". */
static bool conf_has_nested(const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < ARRAY_LEN(conf_defs); i++) {
		if (strncmp(conf_defs[i].name, prefix, n) == 0 && conf_defs[i].name[n] == '.')
			return true;
	}
	return false;
}

/* Walks a mapping, joining nested keys with '.', and applies each leaf. */
static bool conf_apply_map(struct conf *c, const struct ydoc *doc, const struct ynode *map,
			   const char *prefix, struct err *err)
{
	for (size_t i = 0; i < map->len; i++) {
		const struct ynode *k = map->keys[i], *v = map->items[i];
		char name[128];
		const struct conf_def *d;
		char msg[256];

		if ((size_t)snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
				     k->scalar) >= sizeof(name))
			return ydoc_error(doc, k, err, "option name too long");
		if (str_eq(name, "rabbitmq")) {
			if (!conf_apply_brokers(c, doc, v, err))
				return false;
			continue;
		}
		if (str_eq(name, "tunnels")) {
			if (!tunnel_profiles_read(doc, v, &c->tunnels, err))
				return false;
			continue;
		}
		if (str_eq(name, "kube.tunnels")) {
			if (!conf_apply_kube_tunnels(c, doc, v, err))
				return false;
			continue;
		}
		d = conf_find(name);
		/* A mapping always holds nested options, even under a name that
		 * is an option itself: `worker: {jobs: 2}` sets worker.jobs. */
		if (v->type == YNODE_MAP && (!d || conf_has_nested(name))) {
			if (!conf_apply_map(c, doc, v, name, err))
				return false;
			continue;
		}
		if (!d)
			return ydoc_error(doc, k, err, "unknown option '%s'", name);
		if (ynode_is_null(v) && d->type == CONF_STRING) {
			if (d->required)
				return ydoc_error(doc, v, err,
						  "%s needs a value (leave the line out for the "
						  "default, %s)",
						  name, d->def);
			conf_unset(c, d);
			continue;
		}
		if (v->type != YNODE_SCALAR)
			return ydoc_error(doc, v, err, "%s takes a single value, not a %s", name,
					  v->type == YNODE_MAP ? "mapping" : "list");
		if (!conf_store(c, d, v->scalar, v->quoted, msg, sizeof(msg)))
			return ydoc_error(doc, v, err, "%s", msg);
	}
	return true;
}

/* Applies a loaded settings file (taken and freed) named source. */
static bool conf_apply_doc(struct conf *c, struct ydoc *doc, const char *source, struct err *err)
{
	struct conf tmp;
	bool ok;

	if (!doc->root) {
		ydoc_free(doc);
		free(c->source);
		c->source = xstrdup(source);
		return true;
	}
	if (doc->root->type != YNODE_MAP) {
		ydoc_error(doc, doc->root, err, "expected a mapping of option: value");
		ydoc_free(doc);
		return false;
	}
	/* Applied to a copy so a bad file changes nothing. */
	conf_copy(&tmp, c);
	ok = conf_apply_map(&tmp, doc, doc->root, "", err) && conf_check_tunnel_refs(&tmp, doc, err);
	ydoc_free(doc);
	if (!ok) {
		conf_free(&tmp);
		return false;
	}
	free(tmp.source);
	tmp.source = xstrdup(source);
	conf_free(c);
	*c = tmp;
	return true;
}

bool conf_load(struct conf *c, const char *path, struct err *err)
{
	char *owned = NULL;
	struct ydoc *doc;
	bool ok;

	if (!path) {
		owned = paths_config_file();
		if (access(owned, F_OK) != 0 && errno == ENOENT) {
			free(owned);
			return true;
		}
		path = owned;
	}
	doc = ydoc_load_file(path, err);
	ok = doc && conf_apply_doc(c, doc, path, err);
	free(owned);
	return ok;
}

bool conf_load_string(struct conf *c, const char *label, const char *text, size_t len,
		      struct err *err)
{
	struct ydoc *doc = ydoc_load_string(label, text, len, err);

	return doc && conf_apply_doc(c, doc, label, err);
}

bool conf_set(struct conf *c, const char *name, const char *value, struct err *err)
{
	const struct conf_def *d = conf_find(name);
	char msg[256];

	if (!d) {
		err_set(err, "unknown option '%s'", name);
		return false;
	}
	if (!conf_store(c, d, value, false, msg, sizeof(msg))) {
		err_set(err, "%s", msg);
		return false;
	}
	return true;
}

void conf_describe(FILE *out)
{
	static const char *const tnames[] = { "text", "name", "boolean", "number" };

	for (size_t i = 0; i < ARRAY_LEN(conf_defs); i++) {
		const struct conf_def *d = &conf_defs[i];

		fprintf(out, "%-20s %-8s %-10s %s\n", d->name, tnames[d->type],
			d->def ? d->def : "(unset)", d->doc);
	}
}
