#include "config.h"

#include "foreground.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* One child at a time: the terminal has one foreground. */
static struct {
	struct app *app;
	pid_t pid;
	foreground_fn fn;
	void *ud;
	bool hooked; /* SIGCHLD routed to on_child */
} fg = {.pid = -1};

bool foreground_busy(void)
{
	return fg.pid > 0;
}

void foreground_forget(void *ud)
{
	if (fg.ud == ud) {
		fg.fn = NULL;
		fg.ud = NULL;
	}
}

bool foreground_find(const char *prog, char *path, size_t pathsz)
{
	const char *dirs = getenv("PATH");

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 && str_copy(path, pathsz, prog);
	if (!dirs || !*dirs)
		dirs = "/usr/bin:/bin";
	while (*dirs) {
		size_t len = strcspn(dirs, ":");
		struct stat st;
		int n = snprintf(path, pathsz, "%.*s/%s", (int)len, len ? dirs : ".", prog);

		if (n > 0 && (size_t)n < pathsz && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(path, X_OK) == 0)
			return true;
		dirs += len;
		if (*dirs == ':')
			dirs++;
	}
	return false;
}

/* Makes pgrp the terminal's foreground group; SIGTTOU held off, since a
 * background group asking draws it. */
static void give_terminal(pid_t pgrp)
{
	sigset_t block, old;

	if (!isatty(STDIN_FILENO))
		return;
	sigemptyset(&block);
	sigaddset(&block, SIGTTOU);
	sigprocmask(SIG_BLOCK, &block, &old);
	(void)tcsetpgrp(STDIN_FILENO, pgrp);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void foreground_abandon(int signo)
{
	if (fg.pid <= 0)
		return;
	kill(-fg.pid, signo);
	kill(-fg.pid, SIGCONT);
	fg.fn = NULL;
	fg.ud = NULL;
	give_terminal(getpgrp());
}

static void on_child(struct loop *loop, int signo, void *ud)
{
	int status;
	pid_t r;
	foreground_fn fn = fg.fn;
	void *fud = fg.ud;
	struct app *app = fg.app;

	(void)loop;
	(void)signo;
	(void)ud;
	if (fg.pid <= 0)
		return;
	do
		r = waitpid(fg.pid, &status, WNOHANG | WUNTRACED);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return; /* another child (an exec credential plugin) */
	if (r > 0 && WIFSTOPPED(status)) {
		/* Ctrl-Z: nothing could bring it back to the foreground, so it
		 * goes on (Ctrl-C or its end returns to the console) */
		kill(-fg.pid, SIGCONT);
		return;
	}
	if (r < 0)
		status = -1;
	fg.pid = -1;
	fg.fn = NULL;
	fg.ud = NULL;
	give_terminal(getpgrp());
	app_resume(app);
	if (fn)
		fn(app, status, fud);
}

/* In the child: its own group in the foreground, signals as a shell
 * leaves them, no descriptor of the console's but the terminal. */
static void child_exec(const char *const *argv)
{
	sigset_t none;
	long maxfd = sysconf(_SC_OPEN_MAX);

	setpgid(0, 0);
	give_terminal(getpid());
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	signal(SIGTTOU, SIG_DFL);
	signal(SIGTTIN, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (int fd = 3; fd < maxfd; fd++)
		close(fd);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "opsdeck: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

bool foreground_run(struct app *app, const char *const *argv, const char *banner, foreground_fn fn,
		    void *ud, struct err *err)
{
	pid_t pid;

	if (fg.pid > 0) {
		err_set(err, "another program has the terminal");
		return false;
	}
	if (!fg.hooked) {
		if (!loop_signal(app_loop(app), SIGCHLD, on_child, NULL)) {
			err_set(err, "cannot watch child processes: %s", strerror(errno));
			return false;
		}
		fg.hooked = true;
	}
	app_suspend(app);
	if (banner) {
		fputs(banner, stdout);
		fflush(stdout);
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		app_resume(app);
		err_set(err, "cannot start %s: %s", argv[0], strerror(e));
		return false;
	}
	if (pid == 0)
		child_exec(argv);
	/* both sides set the group, so neither waits for the other */
	setpgid(pid, pid);
	give_terminal(pid);
	fg.app = app;
	fg.pid = pid;
	fg.fn = fn;
	fg.ud = ud;
	return true;
}
