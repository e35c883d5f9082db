#include "config.h"

#include "conf.h"

#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "yamldoc.h"

enum conf_type { CONF_STRING, CONF_NAME, CONF_BOOL, CONF_LONG };

/* One entry per option: the file, conf_set() and the documentation all read
 * this table, so an option exists in exactly one place. */
struct conf_def {
	const char *name;
	enum conf_type type;
	size_t offset;
	long min, max;
	const char *def;
	const char *doc;
};

#define OPT(n, t, field, lo, hi, d, doc) { n, t, offsetof(struct conf, field), lo, hi, d, doc }

static const struct conf_def conf_defs[] = {
	OPT("theme", CONF_NAME, theme, 0, 0, "default", "colour theme name (themes/NAME.yaml)"),
	OPT("keymap", CONF_NAME, keymap, 0, 0, "default", "key map name (keymaps/NAME.yaml)"),
	OPT("mouse", CONF_BOOL, mouse, 0, 0, "false", "enable mouse input (disables terminal selection)"),
	OPT("read_only", CONF_BOOL, read_only, 0, 0, "false", "refuse every mutation"),
	OPT("worker", CONF_BOOL, worker, 0, 0, "true", "run the job runner inside the console"),
	OPT("database", CONF_STRING, database, 0, 0, NULL,
	    "libpq connection string; unset: PGHOST, PGDATABASE, PGSERVICE, ~/.pgpass"),
	OPT("operator", CONF_STRING, operator, 0, 0, NULL,
	    "name recorded in the audit trail; unset: the login name"),
	OPT("kube.kubeconfig", CONF_STRING, kubeconfig, 0, 0, NULL,
	    "kubeconfig path; unset: $KUBECONFIG or ~/.kube/config"),
	OPT("kube.context", CONF_STRING, context, 0, 0, NULL,
	    "kube context; unset: the kubeconfig's current context"),
	OPT("logs.max_lines", CONF_LONG, log_max_lines, 100, 10000000, "100000",
	    "lines kept per log view"),
	OPT("logs.max_bytes", CONF_LONG, log_max_bytes, 65536, 4294967296L, "67108864",
	    "bytes kept per log view"),
	OPT("provision.timeout", CONF_LONG, provision_timeout_s, 10, 86400, "300",
	    "seconds a store may take to become ready"),
	OPT("provision.domain", CONF_STRING, store_domain, 0, 0, "stores.example.com",
	    "stores are served at https://<store id>.<domain>"),
	OPT("worker.jobs", CONF_LONG, worker_jobs, 1, 64, "4", "jobs one runner runs at once"),
	OPT("worker.reconcile_interval", CONF_LONG, reconcile_interval_s, 0, 86400, "60",
	    "seconds between a runner's reconcile passes; 0: none"),
	OPT("worker.reconcile_confirm", CONF_LONG, reconcile_confirm_s, 1, 600, "5",
	    "seconds before a reconcile pass looks again at a store that seems to have drifted"),
};

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

static char *login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = getenv("USER");

	if (pw && pw->pw_name)
		return xstrdup(pw->pw_name);
	return xstrdup(u && *u ? u : "unknown");
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
}

static void conf_copy(struct conf *dst, const struct conf *src)
{
	*dst = *src;
	dst->source = src->source ? xstrdup(src->source) : NULL;
	for (size_t i = 0; i < ARRAY_LEN(conf_defs); i++) {
		if (conf_defs[i].type == CONF_STRING || conf_defs[i].type == CONF_NAME) {
			char **s = field(dst, &conf_defs[i]);

			if (*s)
				*s = xstrdup(*s);
		}
	}
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
		d = conf_find(name);
		/* A mapping always holds nested options, even under a name that
		 * is an option itself: `worker: {jobs: 2}` sets worker.jobs. */
		if (v->type == YNODE_MAP) {
			if (!conf_apply_map(c, doc, v, name, err))
				return false;
			continue;
		}
		if (!d)
			return ydoc_error(doc, k, err, "unknown option '%s'", name);
		if (ynode_is_null(v) && d->type == CONF_STRING) {
			x_free((char **)field(c, d));
			continue;
		}
		if (v->type != YNODE_SCALAR)
			return ydoc_error(doc, v, err, "%s takes a single value", name);
		if (!conf_store(c, d, v->scalar, v->quoted, msg, sizeof(msg)))
			return ydoc_error(doc, v, err, "%s", msg);
	}
	return true;
}

bool conf_load(struct conf *c, const char *path, struct err *err)
{
	char *owned = NULL;
	struct ydoc *doc;
	struct conf tmp;
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
	if (!doc) {
		free(owned);
		return false;
	}
	if (!doc->root) {
		ydoc_free(doc);
		free(c->source);
		c->source = xstrdup(path);
		free(owned);
		return true;
	}
	if (doc->root->type != YNODE_MAP) {
		ok = ydoc_error(doc, doc->root, err, "expected a mapping of option: value");
		ydoc_free(doc);
		free(owned);
		return false;
	}
	/* Applied to a copy so a bad file changes nothing. */
	conf_copy(&tmp, c);
	ok = conf_apply_map(&tmp, doc, doc->root, "", err);
	ydoc_free(doc);
	if (!ok) {
		free(owned);
		conf_free(&tmp);
		return false;
	}
	free(tmp.source);
	tmp.source = xstrdup(path);
	free(owned);
	conf_free(c);
	*c = tmp;
	return true;
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
