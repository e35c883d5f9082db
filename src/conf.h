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

#include "ssh/profile.h"
#include "util.h"

/* A RabbitMQ broker of the `rabbitmq:` list: its management HTTP API. */
struct conf_broker {
	char *name;	     /* unique in the list: letters, digits, '.', '-', '_' */
	char *url;	     /* http(s)://host:port[/prefix] of the management API */
	char *user;
	char *password;	     /* secret, wiped when freed; NULL with password_file */
	char *password_file; /* read when the broker is used; "~/" is $HOME */
	char **vhosts;	     /* the vhosts to list; none: all the user sees */
	size_t nvhosts;
	char *ca_file;	     /* PEM file to trust; NULL: the system's */
	bool insecure;	     /* no verification of the server's certificate */
	long timeout_s;	     /* per request; 0: the client's default */
	char *tunnel;	     /* the tunnel profile the broker is reached through */
	unsigned line;	     /* where the entry starts in the settings file */
};

/* One entry of `kube.tunnels`: the API server of a kube context is reached
 * through a tunnel profile. */
struct conf_kube_tunnel {
	char *context;
	char *profile;
};

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
	long log_max_streams; /* concurrent log streams; more sources wait */
	long log_stall_s;     /* a silent log stream is reconnected after this */
	long provision_timeout_s;
	long queued_alert_s; /* a due job waiting longer than this stands out */
	char *store_domain; /* stores are served at https://<id>.<domain> */
	long worker_jobs;   /* jobs one runner runs at once */
	long reconcile_interval_s; /* a runner's periodic reconcile pass; 0: none */
	long reconcile_confirm_s;  /* wait before a suspected drift is looked at again */
	long queues_interval_s;	   /* between two polls of the RabbitMQ brokers */
	struct tunnel_profiles tunnels; /* the `tunnels:` list (src/ssh/profile) */
	char *database_tunnel;	       /* the profile the database is reached through */
	struct conf_kube_tunnel *kube_tunnels; /* the kube.tunnels mapping */
	size_t nkube_tunnels;
	char *source;	    /* the file conf_load read; NULL: none (built-in defaults) */
	struct conf_broker *brokers; /* the rabbitmq: list */
	size_t nbrokers;
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
/* The broker of that name, or NULL. */
const struct conf_broker *conf_broker_find(const struct conf *c, const char *name);
/* The tunnel profile a kube context's API server is reached through, or
 * NULL: directly. */
const char *conf_kube_tunnel(const struct conf *c, const char *context);
/* Writes the registry (name, type, default, description) for documentation. */
void conf_describe(FILE *out);

#endif
