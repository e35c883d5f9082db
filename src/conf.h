/* opsdeck's own settings: config.yaml, read with a typed option registry.
 * (The module is conf, not config, because config.h is autoconf's.)
 *
 * Layering: built-in defaults, then the file, then command-line flags, which
 * the caller applies after conf_load(). A missing file is not an error; a
 * malformed one (a second YAML document included), an unknown option or a bad
 * value is reported as `path:line:column: message` and nothing from the file
 * is kept. Every value is checked here, by its option's rule (type, range,
 * format: provision.domain a DNS name, operator a name on one line, database
 * a connection string libpq reads...), whether it comes from the file or from
 * conf_set(); the code that uses a setting relies on that. */
#ifndef OPSDECK_SRC_CONF_H
#define OPSDECK_SRC_CONF_H

#include <stdbool.h>
#include <stdio.h>

#include "util.h"

struct conf {
	char *theme;	    /* theme name */
	char *keymap;	    /* key map name */
	bool mouse;	    /* opt-in: keeps terminal text selection by default */
	bool read_only;	    /* refuse every mutation */
	bool worker;	    /* run the job runner inside the console */
	char *database;	    /* libpq connection string; NULL: libpq's environment */
	char *operator;	    /* name written to the audit trail; default: login name */
	char *kubeconfig;   /* NULL: $KUBECONFIG or ~/.kube/config */
	char *context;	    /* NULL: the kubeconfig's current context */
	long log_max_lines; /* log view ring buffer bounds */
	long log_max_bytes;
	long provision_timeout_s;
	char *store_domain; /* stores are served at https://<id>.<domain> */
	long worker_jobs;   /* jobs one runner runs at once */
	long reconcile_interval_s; /* a runner's periodic reconcile pass; 0: none */
	long reconcile_confirm_s;  /* wait before a suspected drift is looked at again */
	char *source;	    /* the file conf_load read; NULL: none (built-in defaults) */
};

/* Fills defaults. */
void conf_init(struct conf *c);
void conf_free(struct conf *c);
/* Loads path (NULL: the default location, where a missing file is fine; an
 * explicit path must exist). On error c is left as it was. */
bool conf_load(struct conf *c, const char *path, struct err *err);
/* The same from text held in memory; label names it in messages and
 * becomes c->source. */
bool conf_load_string(struct conf *c, const char *label, const char *text, size_t len,
		      struct err *err);
/* Sets one option by its dotted name from text, as the file would. */
bool conf_set(struct conf *c, const char *name, const char *value, struct err *err);
/* Writes the registry (name, type, default, description) for documentation. */
void conf_describe(FILE *out);

#endif
