#include "config.h"

#include "simproc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kubetest.h"

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

bool simproc_start(struct simproc *sp, const char *name, const char *const *args, struct err *err)
{
	const char *bin = getenv("KUBESIM");
	const char *argv[64];
	size_t n = 0;
	int logfd;

	memset(sp, 0, sizeof(*sp));
	sp->pid = -1;
	if (!bin || !bin[0] || access(bin, X_OK) != 0) {
		err_set(err, "KUBESIM does not name an executable (%s)", bin ? bin : "unset");
		return false;
	}
	sp->kubeconfig = xasprintf("%s/%s.kubeconfig", kt_dir(), name);
	sp->log = xasprintf("%s/%s.log", kt_dir(), name);
	unlink(sp->kubeconfig);
	argv[n++] = bin;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--kubeconfig-out";
	argv[n++] = sp->kubeconfig;
	for (size_t i = 0; args && args[i] && n < ARRAY_LEN(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	logfd = open(sp->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0) {
		err_set(err, "%s: %s", sp->log, strerror(errno));
		return false;
	}
	sp->pid = fork();
	if (sp->pid < 0) {
		err_set(err, "fork: %s", strerror(errno));
		close(logfd);
		return false;
	}
	if (sp->pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
		    dup2(logfd, 2) < 0)
			_exit(127);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(logfd);
	for (int i = 0; i < 750; i++) {
		int status;

		if (access(sp->kubeconfig, R_OK) == 0)
			return true;
		if (waitpid(sp->pid, &status, WNOHANG) == sp->pid) {
			sp->pid = -1;
			err_set(err, "kubesim exited at start; see %s", sp->log);
			return false;
		}
		nap(20);
	}
	err_set(err, "kubesim did not write %s within 15 s", sp->kubeconfig);
	simproc_stop(sp);
	return false;
}

void simproc_stop(struct simproc *sp)
{
	if (sp->pid > 0) {
		kill(sp->pid, SIGTERM);
		for (int i = 0; i < 150; i++) {
			if (waitpid(sp->pid, NULL, WNOHANG) == sp->pid) {
				sp->pid = -1;
				break;
			}
			nap(20);
		}
		if (sp->pid > 0) {
			kill(sp->pid, SIGKILL);
			waitpid(sp->pid, NULL, 0);
			sp->pid = -1;
		}
	}
	x_free(&sp->kubeconfig);
	x_free(&sp->log);
}
