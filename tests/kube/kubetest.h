/* Helpers for the cluster client tests: a private temporary directory with
 * small files (and executable scripts) in it, and running a loop until a
 * flag turns true or a deadline passes. */
#ifndef OPSDECK_TESTS_KUBE_KUBETEST_H
#define OPSDECK_TESTS_KUBE_KUBETEST_H

#include <stdbool.h>

#include "kube/kubeconfig.h"
#include "loop.h"

/* Makes the directory on first use; its path (static storage). */
const char *kt_dir(void);
/* Writes text to <dir>/<rel>, creating directories; returns the full path
 * (caller frees). Aborts on failure. */
char *kt_write(const char *rel, const char *text);
/* The same, made executable. */
char *kt_write_exec(const char *rel, const char *text);
/* Reads a whole file written by a test or a script; NULL if missing. */
char *kt_read(const char *path);
/* Removes the directory and everything in it. */
void kt_cleanup(void);
/* A configuration for server with a user section (YAML lines indented for
 * users[].user, e.g. "    token: abc\n"; NULL: anonymous). Aborts on a
 * parse error. */
struct kube_config *kt_config(const char *server, const char *user_yaml);
/* Runs loop until *flag or timeout_ms; returns *flag. */
bool kt_run_until(struct loop *loop, const bool *flag, long timeout_ms);

#endif
