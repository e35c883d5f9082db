/* Runs a program in the foreground of the console's terminal, as k9s runs
 * kubectl exec: the console is suspended (app_suspend: no key read, nothing
 * drawn), the child gets its own process group as the terminal's
 * foreground group (so Ctrl-C goes to it, not to the console), and when
 * it exits -- seen through the loop's SIGCHLD, never by waiting -- the
 * terminal is taken back, the console resumed and redrawn, and fn told how
 * it ended. The loop goes on meanwhile: watches, the job runner, timers.
 * One child at a time. */
#ifndef OPSDECK_UI_FOREGROUND_H
#define OPSDECK_UI_FOREGROUND_H

#include <stdbool.h>

#include "app.h"
#include "util.h"

/* status: as waitpid gives it. */
typedef void (*foreground_fn)(struct app *app, int status, void *ud);

/* The path of prog on PATH (or prog itself when it has a '/'), if it can be
 * run; false otherwise. */
bool foreground_find(const char *prog, char *path, size_t pathsz);
/* banner: printed on the terminal before the child starts (NULL: none).
 * False with err set if nothing was started (one already runs, no fork). */
bool foreground_run(struct app *app, const char *const *argv, const char *banner, foreground_fn fn,
		    void *ud, struct err *err);
bool foreground_busy(void);
/* Forgets ud: its fn is not called (the child still gets the terminal back
 * to the console when it ends). */
void foreground_forget(void *ud);
/* The console is going (SIGTERM, SIGINT, SIGHUP): the child's group gets
 * signo and the terminal comes back to the console's group, so that it
 * can restore the terminal without being stopped for it (SIGTTOU). */
void foreground_abandon(int signo);

#endif
