#include "config.h"

#include "kube/kubeconfig.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "net/proxy.h"
#include "yamldoc.h"

#define KC_MAX_FILE (1024u * 1024u)

/* One loaded kubeconfig file. */
struct kc_file {
	struct ydoc *doc;
	char *dir; /* relative paths inside it resolve against this */
	bool no_files; /* held in memory by a caller that reads no files */
};

/* A named entry of clusters/users/contexts: the first definition wins. */
struct kc_entry {
	const char *name;
	struct kc_file *file;
	const struct ynode *item; /* the list item, for messages */
	const struct ynode *body; /* its cluster:/user:/context: mapping */
};

struct kc_set {
	struct kc_entry *v;
	size_t n, cap;
};

struct kc_merge {
	struct kc_file **files;
	size_t nfiles, capfiles;
	struct kc_set clusters, users, contexts;
	const char *current;
	struct buf source;
};

/* ---- secrets ---- */

void kubeconfig_free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void kube_blob_free(struct kube_blob *b)
{
	if (!b->data)
		return;
	explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* ---- files ---- */

bool kubeconfig_read_file(const char *path, size_t max, struct kube_blob *out, struct err *err)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	out->data = NULL;
	out->len = 0;
	if (!f) {
		err_set(err, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > max) {
			err_set(err, "%s is larger than %zu bytes", path, max);
			break;
		}
	}
	if (!err_isset(err) && ferror(f))
		err_set(err, "cannot read %s: %s", path, strerror(errno));
	explicit_bzero(chunk, sizeof(chunk));
	fclose(f);
	if (err_isset(err)) {
		if (b.data)
			explicit_bzero(b.data, b.len);
		buf_free(&b);
		return false;
	}
	out->len = b.len;
	out->data = (unsigned char *)buf_steal(&b);
	return true;
}

static char *trim_dup(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
			   s[len - 1] == '\r'))
		len--;
	return xstrndup(s, len);
}

char *kubeconfig_read_token_file(const char *path, struct err *err)
{
	struct kube_blob b;
	char *tok;

	if (!kubeconfig_read_file(path, 64 * 1024, &b, err))
		return NULL;
	if (memchr(b.data, '\0', b.len)) {
		kube_blob_free(&b);
		err_set(err, "token file %s holds binary data", path);
		return NULL;
	}
	tok = trim_dup((const char *)b.data, b.len);
	kube_blob_free(&b);
	if (!tok[0] || strpbrk(tok, "\r\n")) {
		kubeconfig_free_secret(tok);
		err_set(err, "token file %s does not hold one token", path);
		return NULL;
	}
	return tok;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[4096];

	if (slash == path)
		return xstrdup("/");
	if (slash)
		return xstrndup(path, (size_t)(slash - path));
	if (getcwd(cwd, sizeof(cwd)))
		return xstrdup(cwd);
	return xstrdup(".");
}

static char *resolve_path(const struct kc_file *f, const char *p)
{
	if (p[0] == '/' || !f->dir)
		return xstrdup(p);
	return xasprintf("%s/%s", f->dir, p);
}

/* ---- typed field readers: every message names the field and its place ---- */

static const char *node_kind(const struct ynode *n)
{
	return n->type == YNODE_MAP ? "mapping" : n->type == YNODE_SEQ ? "list" : "text value";
}

static bool kc_str(const struct kc_file *f, const struct ynode *map, const char *key,
		   const char **out, struct err *err)
{
	const struct ynode *n = ynode_get(map, key);

	*out = NULL;
	if (!n || ynode_is_null(n))
		return true;
	if (n->type != YNODE_SCALAR)
		return ydoc_error(f->doc, n, err, "%s: expected a text value, not a %s", key,
				  node_kind(n));
	*out = n->scalar;
	return true;
}

static bool kc_bool(const struct kc_file *f, const struct ynode *map, const char *key, bool *out,
		    struct err *err)
{
	const struct ynode *n = ynode_get(map, key);
	struct err sub = {{0}};

	*out = false;
	if (!n || ynode_is_null(n))
		return true;
	if (!ynode_bool(f->doc, n, out, &sub))
		return ydoc_error(f->doc, n, err, "%s: expected true or false", key);
	return true;
}

/* A mapping or nothing; *out stays NULL when absent. */
static bool kc_map(const struct kc_file *f, const struct ynode *map, const char *key,
		   const struct ynode **out, struct err *err)
{
	const struct ynode *n = ynode_get(map, key);

	*out = NULL;
	if (!n || ynode_is_null(n))
		return true;
	if (n->type != YNODE_MAP)
		return ydoc_error(f->doc, n, err, "%s: expected a mapping, not a %s", key,
				  node_kind(n));
	*out = n;
	return true;
}

static bool kc_seq(const struct kc_file *f, const struct ynode *map, const char *key,
		   const struct ynode **out, struct err *err)
{
	const struct ynode *n = ynode_get(map, key);

	*out = NULL;
	if (!n || ynode_is_null(n))
		return true;
	if (n->type != YNODE_SEQ)
		return ydoc_error(f->doc, n, err, "%s: expected a list, not a %s", key,
				  node_kind(n));
	*out = n;
	return true;
}

/* A base64 *-data field, decoded (and so checked) even for entries that are
 * not used, as kubectl does. */
static bool kc_data(const struct kc_file *f, const struct ynode *map, const char *key,
		    struct kube_blob *out, struct err *err)
{
	const char *text;
	unsigned char *data;
	size_t len;

	if (!kc_str(f, map, key, &text, err))
		return false;
	if (!text || !text[0])
		return true;
	if (!b64_decode(text, strlen(text), &data, &len))
		return ydoc_error(f->doc, ynode_get(map, key), err, "%s: not valid base64", key);
	if (out) {
		out->data = data;
		out->len = len;
	} else {
		explicit_bzero(data, len);
		free(data);
	}
	return true;
}

static bool pem_has(const struct kube_blob *b, const char *marker)
{
	return b->data && memmem(b->data, b->len, marker, strlen(marker)) != NULL;
}

/* Reads a file named by a field into out, or checks a decoded -data blob. */
static bool kc_load_pem(const struct kc_file *f, const struct ynode *map, const char *key,
			const char *path, struct kube_blob *out, const char *marker,
			const char *what, struct err *err)
{
	struct err sub = {{0}};

	if (path && !out->data && f->no_files)
		return ydoc_error(f->doc, ynode_get(map, key), err,
				  "%s: names a file, not read here", key);
	if (path && !out->data) {
		if (!kubeconfig_read_file(path, KC_MAX_FILE, out, &sub))
			return ydoc_error(f->doc, ynode_get(map, key), err, "%s: %s", key, sub.msg);
	}
	if (out->data && !pem_has(out, marker))
		return ydoc_error(f->doc, ynode_get(map, key), err, "%s: does not hold a PEM %s",
				  key, what);
	return true;
}

/* ---- clusters ---- */

static bool valid_server_url(const char *s)
{
	const char *host;

	if (str_has_prefix(s, "https://"))
		host = s + 8;
	else if (str_has_prefix(s, "http://"))
		host = s + 7;
	else
		return false;
	if (!host[0] || host[0] == '/' || host[0] == ':')
		return false;
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#')
			return false;
	}
	/* user:password@ in a server URL would put a secret in every message */
	for (const char *p = host; *p && *p != '/'; p++) {
		if (*p == '@')
			return false;
	}
	return true;
}

/* scheme://[user[:password]@]host[:port][/], as net/http takes it */
static bool valid_proxy_url(const char *s)
{
	return net_proxy_parse(s, NULL);
}

static bool valid_host_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (const char *p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == ':'))
			return false;
	}
	return true;
}

/* Checks a cluster body; with out, also fills the cluster half of out. */
static bool kc_cluster(const struct kc_file *f, const struct ynode *c, struct kube_config *out,
		       struct err *err)
{
	const char *server, *ca, *tls_name, *proxy;
	bool insecure, dummy;
	const struct ynode *ext;
	struct kube_blob ca_data = {NULL, 0};

	if (!kc_str(f, c, "server", &server, err) ||
	    !kc_str(f, c, "certificate-authority", &ca, err) ||
	    !kc_bool(f, c, "insecure-skip-tls-verify", &insecure, err) ||
	    !kc_str(f, c, "tls-server-name", &tls_name, err) ||
	    !kc_str(f, c, "proxy-url", &proxy, err) ||
	    !kc_bool(f, c, "disable-compression", &dummy, err) ||
	    !kc_seq(f, c, "extensions", &ext, err))
		return false;
	if (!kc_data(f, c, "certificate-authority-data", out ? &ca_data : NULL, err))
		return false;
	if (!out)
		return true;

	if (!server || !server[0]) {
		kube_blob_free(&ca_data);
		return ydoc_error(f->doc, c, err, "cluster has no server");
	}
	if (!valid_server_url(server)) {
		kube_blob_free(&ca_data);
		return ydoc_error(f->doc, ynode_get(c, "server"), err,
				  "server: expected an http:// or https:// URL without "
				  "credentials, query or spaces");
	}
	if (tls_name && tls_name[0] && !valid_host_name(tls_name)) {
		kube_blob_free(&ca_data);
		return ydoc_error(f->doc, ynode_get(c, "tls-server-name"), err,
				  "tls-server-name: expected a host name");
	}
	if (proxy && proxy[0] && !valid_proxy_url(proxy)) {
		kube_blob_free(&ca_data);
		return ydoc_error(f->doc, ynode_get(c, "proxy-url"), err,
				  "proxy-url: expected an http, https or socks5 URL");
	}
	if (insecure && (ca_data.data || (ca && ca[0]))) {
		kube_blob_free(&ca_data);
		return ydoc_error(f->doc, ynode_get(c, "insecure-skip-tls-verify"), err,
				  "insecure-skip-tls-verify cannot be used together with a "
				  "certificate authority");
	}

	out->server = xstrdup(server);
	while (strlen(out->server) > 8 && out->server[strlen(out->server) - 1] == '/')
		out->server[strlen(out->server) - 1] = '\0';
	out->insecure = insecure;
	if (tls_name && tls_name[0])
		out->tls_server_name = xstrdup(tls_name);
	if (proxy && proxy[0])
		out->proxy_url = xstrdup(proxy);
	/* -data wins over a file, as in kubectl */
	out->ca = ca_data;
	if (!out->ca.data && ca && ca[0])
		out->ca_path = resolve_path(f, ca);
	return kc_load_pem(
	    f, c, out->ca_path ? "certificate-authority" : "certificate-authority-data",
	    out->ca_path, &out->ca, "-----BEGIN CERTIFICATE-----", "certificate", err);
}

/* ---- users ---- */

static bool kc_exec(const struct kc_file *f, const struct ynode *e, struct kube_config *out,
		    struct err *err)
{
	const char *api, *cmd, *hint, *mode;
	const struct ynode *args, *env;
	bool provide;
	struct kube_exec_config *x;
	enum kube_exec_interactive interactive = KUBE_EXEC_IF_AVAILABLE;

	if (!kc_str(f, e, "apiVersion", &api, err) || !kc_str(f, e, "command", &cmd, err) ||
	    !kc_str(f, e, "installHint", &hint, err) ||
	    !kc_str(f, e, "interactiveMode", &mode, err) || !kc_seq(f, e, "args", &args, err) ||
	    !kc_seq(f, e, "env", &env, err) || !kc_bool(f, e, "provideClusterInfo", &provide, err))
		return false;
	if (!api)
		return ydoc_error(f->doc, e, err, "exec: apiVersion is missing");
	if (strcmp(api, "client.authentication.k8s.io/v1") != 0 &&
	    strcmp(api, "client.authentication.k8s.io/v1beta1") != 0)
		return ydoc_error(f->doc, ynode_get(e, "apiVersion"), err,
				  "exec: apiVersion \"%s\" is not supported (use "
				  "client.authentication.k8s.io/v1 or v1beta1)",
				  api);
	if (!cmd || !cmd[0])
		return ydoc_error(f->doc, e, err, "exec: command is missing");
	if (mode) {
		if (strcmp(mode, "Never") == 0)
			interactive = KUBE_EXEC_NEVER;
		else if (strcmp(mode, "IfAvailable") == 0)
			interactive = KUBE_EXEC_IF_AVAILABLE;
		else if (strcmp(mode, "Always") == 0)
			interactive = KUBE_EXEC_ALWAYS;
		else
			return ydoc_error(f->doc, ynode_get(e, "interactiveMode"), err,
					  "exec: interactiveMode must be Never, IfAvailable or "
					  "Always");
	} else if (strcmp(api, "client.authentication.k8s.io/v1") == 0) {
		return ydoc_error(f->doc, e, err,
				  "exec: interactiveMode is required with "
				  "client.authentication.k8s.io/v1");
	}
	for (size_t i = 0; args && i < args->len; i++) {
		if (args->items[i]->type != YNODE_SCALAR)
			return ydoc_error(f->doc, args->items[i], err,
					  "exec: args: expected a text value, not a %s",
					  node_kind(args->items[i]));
	}
	for (size_t i = 0; env && i < env->len; i++) {
		const struct ynode *it = env->items[i];
		const char *name, *value;

		if (it->type != YNODE_MAP)
			return ydoc_error(f->doc, it, err,
					  "exec: env: expected a mapping with name and value");
		if (!kc_str(f, it, "name", &name, err) || !kc_str(f, it, "value", &value, err))
			return false;
		if (!name || !name[0] || strchr(name, '='))
			return ydoc_error(f->doc, it, err,
					  "exec: env: entry needs a name without '='");
	}
	if (!out)
		return true;

	x = xcalloc(1, sizeof(*x));
	x->api_version = xstrdup(api);
	/* kubectl resolves a command with a '/' against the kubeconfig's
	 * directory and looks a bare name up in PATH */
	x->command = strchr(cmd, '/') ? resolve_path(f, cmd) : xstrdup(cmd);
	x->install_hint = hint ? xstrdup(hint) : NULL;
	x->provide_cluster_info = provide;
	x->interactive = interactive;
	if (args && args->len) {
		x->args = xcalloc(args->len, sizeof(*x->args));
		for (size_t i = 0; i < args->len; i++)
			x->args[i] = xstrdup(args->items[i]->scalar);
		x->nargs = args->len;
	}
	if (env && env->len) {
		x->env = xcalloc(env->len, sizeof(*x->env));
		for (size_t i = 0; i < env->len; i++) {
			const char *name, *value;

			kc_str(f, env->items[i], "name", &name, err);
			kc_str(f, env->items[i], "value", &value, err);
			x->env[i].name = xstrdup(name);
			x->env[i].value = xstrdup(value ? value : "");
		}
		x->nenv = env->len;
	}
	out->exec = x;
	return true;
}

static bool kc_user(const struct kc_file *f, const struct ynode *u, struct kube_config *out,
		    struct err *err)
{
	const char *token, *token_file, *cert, *key, *username, *password, *as;
	const struct ynode *exec, *provider, *groups;
	struct kube_blob cert_data = {NULL, 0}, key_data = {NULL, 0};

	if (!kc_str(f, u, "token", &token, err) || !kc_str(f, u, "tokenFile", &token_file, err) ||
	    !kc_str(f, u, "client-certificate", &cert, err) ||
	    !kc_str(f, u, "client-key", &key, err) || !kc_str(f, u, "username", &username, err) ||
	    !kc_str(f, u, "password", &password, err) || !kc_str(f, u, "as", &as, err) ||
	    !kc_seq(f, u, "as-groups", &groups, err) || !kc_map(f, u, "exec", &exec, err) ||
	    !kc_map(f, u, "auth-provider", &provider, err))
		return false;
	if (!kc_data(f, u, "client-certificate-data", out ? &cert_data : NULL, err))
		return false;
	if (!kc_data(f, u, "client-key-data", out ? &key_data : NULL, err)) {
		kube_blob_free(&cert_data);
		return false;
	}
	if (exec && !kc_exec(f, exec, NULL, err)) {
		kube_blob_free(&cert_data);
		kube_blob_free(&key_data);
		return false;
	}
	if (!out)
		return true;

	out->client_cert = cert_data;
	out->client_key = key_data;
	if (provider) {
		const char *name = NULL;

		kc_str(f, provider, "name", &name, err);
		return ydoc_error(f->doc, provider, err,
				  "auth-provider \"%s\" is not supported: use an exec credential "
				  "plugin instead",
				  name ? name : "");
	}
	if ((as && as[0]) || groups)
		return ydoc_error(f->doc, as ? ynode_get(u, "as") : groups, err,
				  "impersonation (as, as-groups) is not supported");
	if ((token || token_file) && (username || password))
		return ydoc_error(f->doc, u, err,
				  "more than one authentication method: a token and a "
				  "username/password");
	if (exec && (username || password))
		return ydoc_error(f->doc, u, err,
				  "more than one authentication method: an exec plugin and a "
				  "username/password");
	if ((username && !password) || (password && !username))
		return ydoc_error(f->doc, u, err, "username and password go together");

	if (token && token[0]) {
		/* it goes into a header line: nothing may end that line early */
		for (const char *p = token; *p; p++) {
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				return ydoc_error(f->doc, ynode_get(u, "token"), err,
						  "token: holds a control character or line break");
		}
		out->token = xstrdup(token);
	}
	if (token_file && token_file[0]) {
		char *t;
		struct err sub = {{0}};

		out->token_file = resolve_path(f, token_file);
		if (f->no_files)
			return ydoc_error(f->doc, ynode_get(u, "tokenFile"), err,
					  "tokenFile: names a file, not read here");
		/* read now so a missing file is reported at start; it is read
		 * again while running because such tokens rotate */
		t = kubeconfig_read_token_file(out->token_file, &sub);
		if (!t)
			return ydoc_error(f->doc, ynode_get(u, "tokenFile"), err, "tokenFile: %s",
					  sub.msg);
		kubeconfig_free_secret(t);
	}
	if (username) {
		out->username = xstrdup(username);
		out->password = xstrdup(password);
	}
	if (!out->client_cert.data && cert && cert[0])
		out->client_cert_path = resolve_path(f, cert);
	if (!out->client_key.data && key && key[0])
		out->client_key_path = resolve_path(f, key);
	if (!kc_load_pem(f, u,
			 out->client_cert_path ? "client-certificate" : "client-certificate-data",
			 out->client_cert_path, &out->client_cert, "-----BEGIN CERTIFICATE-----",
			 "certificate", err) ||
	    !kc_load_pem(f, u, out->client_key_path ? "client-key" : "client-key-data",
			 out->client_key_path, &out->client_key, "PRIVATE KEY-----", "private key",
			 err))
		return false;
	if (!!out->client_cert.data != !!out->client_key.data)
		return ydoc_error(f->doc, u, err,
				  "a client certificate needs its key and a key its certificate");
	if (exec)
		return kc_exec(f, exec, out, err);
	return true;
}

/* ---- contexts ---- */

static bool valid_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (const char *p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	}
	return true;
}

static bool kc_context(const struct kc_file *f, const struct ynode *c, struct err *err)
{
	const char *cluster, *user, *ns;

	if (!kc_str(f, c, "cluster", &cluster, err) || !kc_str(f, c, "user", &user, err) ||
	    !kc_str(f, c, "namespace", &ns, err))
		return false;
	if (ns && ns[0] && !valid_dns_label(ns))
		return ydoc_error(f->doc, ynode_get(c, "namespace"), err,
				  "namespace: \"%s\" is not a valid namespace name", ns);
	return true;
}

/* ---- merging ---- */

static struct kc_entry *set_find(const struct kc_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	}
	return NULL;
}

/* Adds every entry of a clusters/users/contexts list. kind is the singular
 * ("cluster"), which is also the key of each entry's body. */
static bool kc_add_list(struct kc_merge *m, struct kc_file *f, const char *listkey,
			const char *kind, struct kc_set *set, struct err *err)
{
	const struct ynode *list;

	if (!kc_seq(f, f->doc->root, listkey, &list, err))
		return false;
	for (size_t i = 0; list && i < list->len; i++) {
		const struct ynode *it = list->items[i];
		const struct ynode *body;
		const char *name;
		struct kc_entry *prev;
		bool ok;

		if (it->type != YNODE_MAP)
			return ydoc_error(f->doc, it, err,
					  "%s: expected a mapping with name and %s", listkey, kind);
		if (!kc_str(f, it, "name", &name, err))
			return false;
		if (!name || !name[0])
			return ydoc_error(f->doc, it, err, "%s entry has no name", kind);
		if (!kc_map(f, it, kind, &body, err))
			return false;
		if (!body)
			return ydoc_error(f->doc, it, err, "%s \"%s\" has no %s: section", kind,
					  name, kind);
		if (strcmp(kind, "cluster") == 0)
			ok = kc_cluster(f, body, NULL, err);
		else if (strcmp(kind, "user") == 0)
			ok = kc_user(f, body, NULL, err);
		else
			ok = kc_context(f, body, err);
		if (!ok)
			return false;
		prev = set_find(set, name);
		if (prev && prev->file == f)
			return ydoc_error(f->doc, it, err,
					  "%s \"%s\" is defined twice (also at line %u)", kind,
					  name, prev->item->line);
		if (prev)
			continue; /* an earlier file defined it: that one wins */
		set->v = xgrow(set->v, &set->cap, set->n + 1, sizeof(*set->v));
		set->v[set->n++] = (struct kc_entry){name, f, it, body};
	}
	(void)m;
	return true;
}

static bool kc_add_file(struct kc_merge *m, struct kc_file *f, struct err *err)
{
	const struct ynode *root = f->doc->root;
	const char *kind, *api, *current;

	/* an empty file, or an empty first document, is an empty config */
	if (!root || ynode_is_null(root))
		return true;
	if (root->type != YNODE_MAP)
		return ydoc_error(
		    f->doc, root, err,
		    "a kubeconfig is a mapping (apiVersion, kind, clusters, contexts, "
		    "users), not a %s",
		    node_kind(root));
	if (!kc_str(f, root, "kind", &kind, err) || !kc_str(f, root, "apiVersion", &api, err) ||
	    !kc_str(f, root, "current-context", &current, err))
		return false;
	if (kind && kind[0] && strcmp(kind, "Config") != 0)
		return ydoc_error(f->doc, ynode_get(root, "kind"), err,
				  "kind: expected Config, not \"%s\"", kind);
	if (api && api[0] && strcmp(api, "v1") != 0)
		return ydoc_error(f->doc, ynode_get(root, "apiVersion"), err,
				  "apiVersion: expected v1, not \"%s\"", api);
	if (!kc_add_list(m, f, "clusters", "cluster", &m->clusters, err) ||
	    !kc_add_list(m, f, "users", "user", &m->users, err) ||
	    !kc_add_list(m, f, "contexts", "context", &m->contexts, err))
		return false;
	if (current && current[0] && !m->current)
		m->current = current;
	return true;
}

static void kc_merge_free(struct kc_merge *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		ydoc_free(m->files[i]->doc);
		free(m->files[i]->dir);
		free(m->files[i]);
	}
	free(m->files);
	free(m->clusters.v);
	free(m->users.v);
	free(m->contexts.v);
	buf_free(&m->source);
}

static void kc_push_file(struct kc_merge *m, struct ydoc *doc, const char *dir)
{
	struct kc_file *f = xcalloc(1, sizeof(*f));

	f->doc = doc;
	f->dir = dir ? xstrdup(dir) : NULL;
	m->files = xgrow(m->files, &m->capfiles, m->nfiles + 1, sizeof(*m->files));
	m->files[m->nfiles++] = f;
}

static struct kube_config *kc_resolve(struct kc_merge *m, const char *want, struct err *err)
{
	const char *name = want && want[0] ? want : m->current;
	const char *src = buf_str(&m->source);
	const char *cluster, *user, *ns;
	struct kc_entry *ctx, *cl, *us = NULL;
	struct kube_config *cfg;

	if (!name) {
		err_set(err, "%s sets no current-context: choose a context (setting kube.context)",
			src);
		return NULL;
	}
	ctx = set_find(&m->contexts, name);
	if (!ctx) {
		struct buf all = BUF_INIT;
		char shown[128];

		for (size_t i = 0; i < m->contexts.n; i++) {
			/* the file's names, cleaned as the one asked for is */
			str_copy_clean(shown, sizeof(shown), m->contexts.v[i].name);
			buf_printf(&all, "%s%s", i ? ", " : "", shown);
		}
		str_copy_clean(shown, sizeof(shown), name);
		err_set(err, "no context \"%s\" in the kubeconfig %s (contexts: %s)", shown, src,
			all.len ? buf_str(&all) : "none");
		buf_free(&all);
		return NULL;
	}
	kc_str(ctx->file, ctx->body, "cluster", &cluster, err);
	kc_str(ctx->file, ctx->body, "user", &user, err);
	kc_str(ctx->file, ctx->body, "namespace", &ns, err);
	if (!cluster || !cluster[0]) {
		ydoc_error(ctx->file->doc, ctx->item, err, "context \"%s\" names no cluster", name);
		return NULL;
	}
	cl = set_find(&m->clusters, cluster);
	if (!cl) {
		ydoc_error(ctx->file->doc, ynode_get(ctx->body, "cluster"), err,
			   "cluster \"%s\" is not defined in %s", cluster, src);
		return NULL;
	}
	if (user && user[0]) {
		us = set_find(&m->users, user);
		if (!us) {
			ydoc_error(ctx->file->doc, ynode_get(ctx->body, "user"), err,
				   "user \"%s\" is not defined in %s", user, src);
			return NULL;
		}
	}

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->source = xstrdup(src);
	cfg->context = xstrdup(name);
	cfg->cluster_name = xstrdup(cluster);
	cfg->user_name = xstrdup(user ? user : "");
	cfg->namespace = xstrdup(ns && ns[0] ? ns : "default");
	if (!kc_cluster(cl->file, cl->body, cfg, err) ||
	    (us && !kc_user(us->file, us->body, cfg, err))) {
		kubeconfig_free(cfg);
		return NULL;
	}
	return cfg;
}

struct kube_config *kubeconfig_parse(const char *label, const char *text, size_t len,
				     const char *context, const char *basedir, struct err *err)
{
	struct kc_merge m = {0};
	struct kube_config *cfg = NULL;
	struct ydoc *doc = ydoc_load_first_string(label, text, len, err);

	if (!doc)
		return NULL;
	kc_push_file(&m, doc, basedir);
	buf_puts(&m.source, label);
	if (kc_add_file(&m, m.files[0], err))
		cfg = kc_resolve(&m, context, err);
	kc_merge_free(&m);
	return cfg;
}

struct kube_config *kubeconfig_parse_texts(const char *const *labels, const char *const *texts,
					  const size_t *lens, size_t n, const char *context,
					  struct err *err)
{
	struct kc_merge m = {0};
	struct kube_config *cfg = NULL;

	for (size_t i = 0; i < n; i++) {
		struct ydoc *doc = ydoc_load_first_string(labels[i], texts[i], lens[i], err);

		if (!doc)
			goto out;
		kc_push_file(&m, doc, NULL);
		m.files[m.nfiles - 1]->no_files = true;
		buf_printf(&m.source, "%s%s", m.source.len ? ":" : "", labels[i]);
		if (!kc_add_file(&m, m.files[m.nfiles - 1], err))
			goto out;
	}
	if (m.nfiles == 0) {
		err_set(err, "no kubeconfig given");
		goto out;
	}
	cfg = kc_resolve(&m, context, err);
out:
	kc_merge_free(&m);
	return cfg;
}

struct kube_config *kubeconfig_load_files(const char *const *paths, size_t npaths,
					  const char *context, struct err *err)
{
	struct kc_merge m = {0};
	struct kube_config *cfg = NULL;
	struct buf missing = BUF_INIT;

	for (size_t i = 0; i < npaths; i++) {
		struct ydoc *doc;
		char *dir;
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			dup = dup || strcmp(paths[i], paths[j]) == 0;
		if (dup || !paths[i][0])
			continue;
		if (npaths > 1 && access(paths[i], F_OK) != 0 && errno == ENOENT) {
			buf_printf(&missing, "%s%s", missing.len ? ", " : "", paths[i]);
			continue;
		}
		doc = ydoc_load_first_file(paths[i], err);
		if (!doc)
			goto out;
		dir = dir_of(paths[i]);
		kc_push_file(&m, doc, dir);
		free(dir);
		buf_printf(&m.source, "%s%s", m.source.len ? ":" : "", paths[i]);
		if (!kc_add_file(&m, m.files[m.nfiles - 1], err))
			goto out;
	}
	if (m.nfiles == 0) {
		err_set(err, "no kubeconfig file exists (%s)",
			missing.len ? buf_str(&missing) : "none given");
		goto out;
	}
	cfg = kc_resolve(&m, context, err);
out:
	buf_free(&missing);
	kc_merge_free(&m);
	return cfg;
}

/* ---- in-cluster ---- */

struct kube_config *kubeconfig_in_cluster(const char *sa_root, struct err *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *root = sa_root ? sa_root : KUBE_SA_ROOT;
	struct kube_config *cfg;
	struct kube_blob ns = {NULL, 0};
	struct err sub = {{0}};
	char *path, *tok;
	long portnum;

	if (!host || !host[0] || !port || !port[0]) {
		err_set(err, "not running inside a cluster: KUBERNETES_SERVICE_HOST and "
			     "KUBERNETES_SERVICE_PORT are not set");
		return NULL;
	}
	if (!valid_host_name(host) || !str_to_long(port, 1, 65535, &portnum)) {
		err_set(err, "KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is not a valid "
			     "host and port");
		return NULL;
	}
	path = xasprintf("%s/token", root);
	tok = kubeconfig_read_token_file(path, &sub);
	if (!tok) {
		err_set(err, "in-cluster service account: %s", sub.msg);
		free(path);
		return NULL;
	}
	kubeconfig_free_secret(tok);

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->source = xstrdup("in-cluster service account");
	cfg->context = xstrdup("in-cluster");
	cfg->cluster_name = xstrdup("in-cluster");
	cfg->user_name = xstrdup("service-account");
	cfg->token_file = path;
	/* an IPv6 service address needs brackets in a URL */
	cfg->server = strchr(host, ':') ? xasprintf("https://[%s]:%ld", host, portnum)
					: xasprintf("https://%s:%ld", host, portnum);
	path = xasprintf("%s/ca.crt", root);
	if (kubeconfig_read_file(path, KC_MAX_FILE, &cfg->ca, &sub)) {
		if (!pem_has(&cfg->ca, "-----BEGIN CERTIFICATE-----")) {
			err_set(err,
				"in-cluster service account: %s does not hold a PEM certificate",
				path);
			free(path);
			kubeconfig_free(cfg);
			return NULL;
		}
		cfg->ca_path = path;
	} else {
		free(path); /* as client-go: no ca.crt means the system trust store */
	}
	path = xasprintf("%s/namespace", root);
	if (kubeconfig_read_file(path, 256, &ns, &sub)) {
		char *n = trim_dup((const char *)ns.data, ns.len);

		if (valid_dns_label(n))
			cfg->namespace = n;
		else
			free(n);
		kube_blob_free(&ns);
	}
	free(path);
	if (!cfg->namespace)
		cfg->namespace = xstrdup("default");
	return cfg;
}

/* ---- choosing ---- */

static char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && h[0])
		return xstrdup(h);
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? xstrdup(pw->pw_dir) : NULL;
}

struct kube_config *kubeconfig_load(const struct kubeconfig_opts *opts, struct err *err)
{
	static const struct kubeconfig_opts none = {0};
	const char *env = getenv("KUBECONFIG");
	struct kube_config *cfg = NULL;
	char *home, *path;

	if (!opts)
		opts = &none;
	if (opts->path && opts->path[0]) {
		const char *one[] = {opts->path};

		return kubeconfig_load_files(one, 1, opts->context, err);
	}
	if (env && env[0]) {
		char *copy = xstrdup(env), *save = NULL;
		const char **list = NULL;
		size_t n = 0, cap = 0;

		for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
			list = xgrow(list, &cap, n + 1, sizeof(*list));
			list[n++] = p;
		}
		if (n == 1) {
			/* one missing file in KUBECONFIG is skipped like in a list */
			if (access(list[0], F_OK) != 0 && errno == ENOENT)
				err_set(err, "no kubeconfig file exists (%s from KUBECONFIG)",
					list[0]);
			else
				cfg = kubeconfig_load_files(list, 1, opts->context, err);
		} else if (n > 1) {
			cfg = kubeconfig_load_files(list, n, opts->context, err);
		}
		free(list);
		free(copy);
		if (n > 0)
			return cfg;
	}
	home = home_dir();
	path = home ? xasprintf("%s/.kube/config", home) : NULL;
	free(home);
	if (path && access(path, F_OK) == 0) {
		const char *one[] = {path};

		cfg = kubeconfig_load_files(one, 1, opts->context, err);
		free(path);
		return cfg;
	}
	if (!opts->no_in_cluster && getenv("KUBERNETES_SERVICE_HOST")) {
		free(path);
		return kubeconfig_in_cluster(opts->sa_root, err);
	}
	err_set(err, "no kubeconfig: set KUBECONFIG or kube.kubeconfig, or create %s",
		path ? path : "~/.kube/config");
	free(path);
	return NULL;
}

/* ---- output ---- */

/* Proxy URLs may carry user:password@; the password part is a secret. */
static void dump_url(struct buf *out, const char *url)
{
	const char *start = strstr(url, "://");
	const char *at, *end;

	if (!start) {
		buf_puts(out, url);
		return;
	}
	start += 3;
	/* the userinfo ends at the last '@' of the authority, as in Go's
	 * url.Parse (a password may hold an '@') */
	end = start + strcspn(start, "/?#");
	at = NULL;
	for (const char *q = start; q < end; q++) {
		if (*q == '@')
			at = q;
	}
	if (!at) {
		buf_puts(out, url);
		return;
	}
	buf_append(out, url, (size_t)(start - url));
	buf_puts(out, "<redacted>");
	buf_puts(out, at);
}

static void dump_blob(struct buf *out, const char *label, const char *path,
		      const struct kube_blob *b, bool secret)
{
	if (!b->data && !path)
		return;
	buf_printf(out, "  %s: ", label);
	if (secret)
		buf_puts(out, "<redacted>");
	else if (path)
		buf_puts(out, path);
	else
		buf_printf(out, "<%zu bytes of data>", b->len);
	if (secret && path)
		buf_printf(out, " (from %s)", path);
	buf_putc(out, '\n');
}

void kubeconfig_dump(const struct kube_config *cfg, struct buf *out)
{
	static const char *const modes[] = {"Never", "IfAvailable", "Always"};

	buf_printf(out, "source: %s\ncontext: %s\nnamespace: %s\ncluster: %s\n", cfg->source,
		   cfg->context, cfg->namespace, cfg->cluster_name);
	buf_printf(out, "  server: %s\n", cfg->server);
	if (cfg->ca.data || cfg->ca_path)
		dump_blob(out, "certificate-authority", cfg->ca_path, &cfg->ca, false);
	else
		buf_puts(out, "  certificate-authority: the system's trust store\n");
	if (cfg->insecure)
		buf_puts(out, "  insecure-skip-tls-verify: true\n");
	if (cfg->tls_server_name)
		buf_printf(out, "  tls-server-name: %s\n", cfg->tls_server_name);
	if (cfg->proxy_url) {
		buf_puts(out, "  proxy-url: ");
		dump_url(out, cfg->proxy_url);
		buf_putc(out, '\n');
	}
	buf_printf(out, "user: %s\n", cfg->user_name[0] ? cfg->user_name : "(anonymous)");
	if (cfg->token)
		buf_puts(out, "  token: <redacted>\n");
	if (cfg->token_file)
		buf_printf(out, "  tokenFile: %s\n", cfg->token_file);
	dump_blob(out, "client-certificate", cfg->client_cert_path, &cfg->client_cert, false);
	dump_blob(out, "client-key", cfg->client_key_path, &cfg->client_key, true);
	if (cfg->username)
		buf_printf(out, "  username: %s\n  password: <redacted>\n", cfg->username);
	if (cfg->exec) {
		const struct kube_exec_config *x = cfg->exec;

		buf_printf(out, "  exec: %s", x->command);
		for (size_t i = 0; i < x->nargs; i++)
			buf_printf(out, " %s", x->args[i]);
		buf_printf(out, "\n    apiVersion: %s\n    interactiveMode: %s\n", x->api_version,
			   modes[x->interactive]);
		if (x->provide_cluster_info)
			buf_puts(out, "    provideClusterInfo: true\n");
		for (size_t i = 0; i < x->nenv; i++)
			buf_printf(out, "    env %s=<redacted>\n", x->env[i].name);
	}
}

void kubeconfig_free(struct kube_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->source);
	free(cfg->context);
	free(cfg->cluster_name);
	free(cfg->user_name);
	free(cfg->namespace);
	free(cfg->server);
	free(cfg->ca_path);
	kube_blob_free(&cfg->ca);
	free(cfg->tls_server_name);
	kubeconfig_free_secret(cfg->proxy_url);
	kubeconfig_free_secret(cfg->token);
	free(cfg->token_file);
	kube_blob_free(&cfg->client_cert);
	kube_blob_free(&cfg->client_key);
	free(cfg->client_cert_path);
	free(cfg->client_key_path);
	free(cfg->username);
	kubeconfig_free_secret(cfg->password);
	if (cfg->exec) {
		struct kube_exec_config *x = cfg->exec;

		free(x->api_version);
		free(x->command);
		for (size_t i = 0; i < x->nargs; i++)
			free(x->args[i]);
		free(x->args);
		for (size_t i = 0; i < x->nenv; i++) {
			free(x->env[i].name);
			kubeconfig_free_secret(x->env[i].value);
		}
		free(x->env);
		free(x->install_hint);
		free(x);
	}
	free(cfg);
}
