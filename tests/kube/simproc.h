/* Runs opsdeck-kubesim ($KUBESIM) for the integration tests: started with
 * the given options plus --port 0 and --kubeconfig-out into the test
 * directory, ready once that kubeconfig exists; its stderr is kept in a
 * file for diagnostics. */
#ifndef OPSDECK_TESTS_KUBE_SIMPROC_H
#define OPSDECK_TESTS_KUBE_SIMPROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

struct simproc {
	pid_t pid;
	char *kubeconfig; /* written by kubesim: server, CA, tokens */
	char *log;	  /* its stderr */
};

/* False with err set if $KUBESIM is not set or the server did not come up
 * within 15 s. args ends with NULL. */
bool simproc_start(struct simproc *sp, const char *name, const char *const *args, struct err *err);
/* SIGTERM, then SIGKILL if it lingers; reaps it. */
void simproc_stop(struct simproc *sp);

#endif
