/* kubeconfig as kubectl reads it, resolved to the one context opsdeck talks
 * to.
 *
 * Where the configuration comes from, first match wins:
 *  1. an explicit file (settings kube.kubeconfig): only that file, which must
 *     exist;
 *  2. $KUBECONFIG, a colon-separated list: the files are merged as kubectl
 *     merges them (the first file to define a cluster, user or context name
 *     wins; current-context comes from the first file that sets one; missing
 *     files are skipped, but at least one must exist);
 *  3. ~/.kube/config if it exists;
 *  4. the in-cluster service account (KUBERNETES_SERVICE_HOST and
 *     KUBERNETES_SERVICE_PORT, token and ca.crt under
 *     /var/run/secrets/kubernetes.io/serviceaccount/).
 *
 * Every file is checked as a whole: a malformed entry anywhere is reported as
 * `path:line:column: what is wrong`, even in a context that is not used.
 * Only a file's first document counts, as for kubectl: what follows it is
 * not read (ydoc_load_first_file, doc/kube-client.md).
 * Files named inside the kubeconfig (certificate-authority, client
 * certificate and key, tokenFile, an exec command containing a '/') are
 * relative to the kubeconfig file that names them, and are read only for the
 * selected context.
 *
 * Secrets (token, password, client key, exec environment values) live only in
 * memory, are wiped when freed and are never part of a message or of
 * kubeconfig_dump(). */
#ifndef OPSDECK_KUBE_KUBECONFIG_H
#define OPSDECK_KUBE_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "util.h"

#define KUBE_SA_ROOT "/var/run/secrets/kubernetes.io/serviceaccount"

/* Bytes read from a file or decoded from a *-data field; NUL-terminated. */
struct kube_blob {
	unsigned char *data;
	size_t len;
};

enum kube_exec_interactive {
	KUBE_EXEC_NEVER,
	KUBE_EXEC_IF_AVAILABLE,
	KUBE_EXEC_ALWAYS,
};

struct kube_exec_env {
	char *name;
	char *value; /* may be a secret: never printed */
};

/* users[].user.exec: a client-go credential plugin. */
struct kube_exec_config {
	char *api_version; /* client.authentication.k8s.io/v1 or /v1beta1 */
	char *command;
	char **args;
	size_t nargs;
	struct kube_exec_env *env;
	size_t nenv;
	char *install_hint;
	bool provide_cluster_info;
	enum kube_exec_interactive interactive;
};

struct kube_config {
	char *source;	    /* the files it came from, or "in-cluster service account" */
	char *context;	    /* context name; "in-cluster" for the service account */
	char *cluster_name; /* names as written in the kubeconfig */
	char *user_name;    /* "" for an anonymous context */
	char *namespace;    /* the context's namespace, or "default" */

	/* cluster */
	char *server;	     /* scheme://host[:port][/prefix], without a trailing '/' */
	char *ca_path;	     /* where ca came from, for messages; NULL for -data */
	struct kube_blob ca; /* PEM; empty: the system's trust store */
	bool insecure;	     /* insecure-skip-tls-verify */
	char *tls_server_name;
	char *proxy_url;

	/* user: at most one of token/token_file, username+password, exec; a client
	 * certificate may go with any of them */
	char *token;	  /* secret */
	char *token_file; /* re-read while running: service-account tokens rotate */
	struct kube_blob client_cert;
	struct kube_blob client_key; /* secret */
	char *client_cert_path;	     /* for messages; NULL for -data */
	char *client_key_path;
	char *username;
	char *password; /* secret */
	struct kube_exec_config *exec;
};

struct kubeconfig_opts {
	const char *path;    /* explicit kubeconfig file; NULL: $KUBECONFIG, ~/.kube/config */
	const char *context; /* NULL: the current context */
	/* The service-account directory; NULL: KUBE_SA_ROOT. Tests point it
	 * elsewhere. */
	const char *sa_root;
	bool no_in_cluster; /* never fall back to the service account */
};

/* Loads the configuration as described above. NULL on failure, with a
 * message in err. */
struct kube_config *kubeconfig_load(const struct kubeconfig_opts *opts, struct err *err);

/* Loads exactly these files (merged in order; a missing file is an error if
 * it is the only one, skipped otherwise, as kubectl does). */
struct kube_config *kubeconfig_load_files(const char *const *paths, size_t npaths,
					  const char *context, struct err *err);

/* Parses one kubeconfig held in memory; label names it in messages and
 * relative paths resolve against basedir (NULL: the current directory). */
struct kube_config *kubeconfig_parse(const char *label, const char *text, size_t len,
				     const char *context, const char *basedir, struct err *err);

/* Merges kubeconfigs held in memory as kubeconfig_load_files() merges
 * files; labels name them in messages. A field that names a file
 * (certificate-authority, client-certificate, client-key, tokenFile) is
 * refused, never read: for callers that must not touch the file system. */
struct kube_config *kubeconfig_parse_texts(const char *const *labels, const char *const *texts,
					  const size_t *lens, size_t n, const char *context,
					  struct err *err);

/* The in-cluster configuration from the environment and sa_root (NULL:
 * KUBE_SA_ROOT). */
struct kube_config *kubeconfig_in_cluster(const char *sa_root, struct err *err);

/* Reads a token file: surrounding whitespace dropped, must not be empty. The
 * result is a secret; free it with kubeconfig_free_secret(). */
char *kubeconfig_read_token_file(const char *path, struct err *err);

/* Reads a whole file of at most max bytes into a blob. */
bool kubeconfig_read_file(const char *path, size_t max, struct kube_blob *out, struct err *err);

/* A human-readable description with every secret written as <redacted>. */
void kubeconfig_dump(const struct kube_config *cfg, struct buf *out);

/* Wipes and frees a secret string or blob. */
void kubeconfig_free_secret(char *s);
void kube_blob_free(struct kube_blob *b);

void kubeconfig_free(struct kube_config *cfg);

#endif
