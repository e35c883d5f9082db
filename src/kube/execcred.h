/* Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1
 * ExecCredential), run without blocking the event loop.
 *
 * The plugin is started with fork/execvp (no shell): its arguments and
 * environment come from the kubeconfig, plus KUBERNETES_EXEC_INFO describing
 * the request (never interactive: stdin is /dev/null, and a plugin that
 * demands a terminal is refused). stdout and stderr are read through pipes
 * watched by the loop, bounded in size and in time; a plugin still running at
 * its deadline is killed. The answer must be an ExecCredential of the same
 * apiVersion with status.token or status.clientCertificateData and
 * clientKeyData, optionally with status.expirationTimestamp.
 *
 * A source caches the credential until its expiry (never, if it has none,
 * until execcred_source_invalidate(), which the HTTP client calls after a
 * 401). Messages name the command and quote the plugin's stderr, never the
 * credential. */
#ifndef OPSDECK_KUBE_EXECCRED_H
#define OPSDECK_KUBE_EXECCRED_H

#include <stdbool.h>
#include <time.h>

#include "kube/kubeconfig.h"
#include "loop.h"
#include "util.h"

#define EXECCRED_TIMEOUT_MS 30000
/* Refresh this long before the expiry, so a request never leaves with a
 * token that expires on the way. */
#define EXECCRED_EXPIRY_SKEW_S 10

struct execcred {
	char *token;		      /* secret */
	struct kube_blob client_cert; /* PEM */
	struct kube_blob client_key;  /* PEM, secret */
	time_t expiry;		      /* 0: none given */
};

/* Parses a plugin's output. api_version is the one the kubeconfig asked for. */
bool execcred_parse(const char *json, size_t len, const char *api_version, struct execcred *out,
		    struct err *err);
void execcred_clear(struct execcred *c);

/* Parses an RFC 3339 time ("2026-11-23T05:26:00Z", fractions and offsets
 * allowed) into seconds since the epoch. */
bool execcred_parse_time(const char *s, time_t *out);

struct execcred_source;

/* Called when a run the source started ends: ok, or err says why not. */
typedef void (*execcred_done_fn)(struct execcred_source *src, bool ok, const struct err *err,
				 void *ud);

/* cfg must have an exec section and outlive the source. */
struct execcred_source *execcred_source_new(struct loop *loop, const struct kube_config *cfg,
					    long timeout_ms, execcred_done_fn fn, void *ud);
/* Kills a running plugin and frees everything. */
void execcred_source_free(struct execcred_source *src);

/* The cached credential if it is still valid at now (wall clock), else NULL. */
const struct execcred *execcred_source_cached(struct execcred_source *src, time_t now);
/* Starts the plugin unless it is already running; the done function is called
 * from the loop when it ends (never from inside this call). */
void execcred_source_refresh(struct execcred_source *src);
bool execcred_source_running(const struct execcred_source *src);
/* Forgets the cached credential (after the server rejected it). */
void execcred_source_invalidate(struct execcred_source *src);
/* How many times the plugin has been started; for tests and diagnostics. */
unsigned execcred_source_runs(const struct execcred_source *src);
/* Runs started by every source of the process so far. */
unsigned long execcred_total_runs(void);

#endif
