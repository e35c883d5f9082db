#include "config.h"

#include "cli/cli_worker.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_route.h"
#include "cli/cli_util.h"
#include "db/migrate.h"
#include "loop.h"
#include "provision/reconcile.h"
#include "provision/runner.h"

static int worker_run(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_worker = {
	.noun = "worker",
	.verb = NULL,
	.usage = "[--once] [--jobs N] [--name NAME] [--lease SECONDS] [--reconcile SECONDS]",
	.summary = "run provisioning jobs until stopped (SIGTERM hands running jobs back); "
		   "--once: until none is left",
	.run = worker_run,
};

const struct cli_command *const cli_worker_commands[] = { &cmd_worker, NULL };

struct worker {
	struct cli_ctx *ctx;
	struct runner *runner;
	struct loop *loop;
	int signals;
	/* What the last reconcile pass found ("kind cluster namespace store"),
	 * so that a finding is logged when it appears and when it goes, not
	 * once a minute for as long as it lasts. */
	char **found;
	size_t nfound;
};

static void on_signal(struct loop *loop, int signo, void *ud)
{
	struct worker *w = ud;

	(void)loop;
	if (w->signals++ == 0) {
		fprintf(w->ctx->err, "opsdeck worker: %s: handing running jobs back\n",
			signo == SIGINT ? "interrupted" : "stopping");
		runner_stop(w->runner);
	} else {
		loop_stop(w->loop); /* a second signal: leave now; leases will expire */
	}
}

static void on_stopped(void *ud)
{
	struct worker *w = ud;

	loop_stop(w->loop);
}

static void on_job(void *ud, const struct job *job, const char *ending)
{
	struct worker *w = ud;

	(void)job;
	fprintf(w->ctx->out, "%s\n", ending);
	fflush(w->ctx->out);
}

static char *finding_key(const struct reconcile_finding *f)
{
	char key[256];

	snprintf(key, sizeof(key), "%s %s %s %s", f->kind, f->cluster, f->namespace, f->store);
	return xstrdup(key);
}

static bool key_in(char *const *keys, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i], key) == 0)
			return true;
	}
	return false;
}

static void on_reconcile(void *ud, const struct reconcile_report *rep)
{
	struct worker *w = ud;
	char **now;

	if (rep->error[0]) {
		/* the pass did not run: what it found before still stands */
		fprintf(w->ctx->err, "opsdeck worker: reconcile: %s\n", rep->error);
		return;
	}
	now = xcalloc(rep->n + 1, sizeof(*now));
	for (size_t i = 0; i < rep->n; i++) {
		const struct reconcile_finding *f = &rep->v[i];

		now[i] = finding_key(f);
		if (!key_in(w->found, w->nfound, now[i]) || f->acted)
			fprintf(w->ctx->out, "reconcile: %s %s %s: %s%s\n", f->kind, f->cluster,
				f->namespace, f->reason, reconcile_outcome(f));
	}
	for (size_t i = 0; i < w->nfound; i++) {
		if (!key_in(now, rep->n, w->found[i]))
			fprintf(w->ctx->out, "reconcile: no longer found: %s\n", w->found[i]);
		free(w->found[i]);
	}
	free(w->found);
	w->found = now;
	w->nfound = rep->n;
	if (rep->problem[0])
		fprintf(w->ctx->err, "opsdeck worker: reconcile: %s\n", rep->problem);
	fflush(w->ctx->out);
}

static int worker_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct runner_opts ro = { 0 };
	const char *jobs_s = NULL, *lease_s = NULL, *reconcile_s = NULL;
	const struct cli_opt opts[] = { { "once", NULL, &ro.once, NULL, false },
					{ "jobs", &jobs_s, NULL, NULL, false },
					{ "lease", &lease_s, NULL, NULL, false },
					{ "reconcile", &reconcile_s, NULL, NULL, false },
					{ "name", &ro.name, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	struct worker w = { .ctx = ctx };
	struct err err = { { 0 } };
	PGconn *pg;
	int npos;

	if (!cli_parse(ctx, &cmd_worker, argc, argv, opts, pos, 0, 0, &npos))
		return CLI_USAGE;
	if (jobs_s && !str_to_long(jobs_s, 1, 64, &ro.max_jobs))
		return cli_usage(ctx, &cmd_worker, "--jobs takes a whole number from 1 to 64");
	if (lease_s && !str_to_long(lease_s, 3, 3600, &ro.lease_s))
		return cli_usage(ctx, &cmd_worker, "--lease takes seconds from 3 to 3600");
	ro.reconcile_s = ctx->conf->reconcile_interval_s;
	if (reconcile_s && !str_to_long(reconcile_s, 0, 86400, &ro.reconcile_s))
		return cli_usage(ctx, &cmd_worker,
				 "--reconcile takes seconds from 0 (never) to 86400");
	if (ro.name && !db_valid_name(ro.name, RUNNER_NAME_MAX))
		return cli_usage(ctx, &cmd_worker,
				 "--name takes 1 to %d characters on one line",
				 RUNNER_NAME_MAX);
	if (!cli_kube_context_known(ctx))
		return CLI_FAILED;
	if (ctx->conf->read_only)
		return cli_fail(ctx, "read-only mode: refusing to run jobs (they change clusters)");
	/* Jobs reach clusters from the loop's thread, which must not wait on
	 * a passphrase prompt: every tunnel's passphrases are asked now. */
	if (!cli_route_ask_all(ctx->conf))
		return cli_fail(ctx, "interrupted");
	/* Like the console, the worker brings the schema up to date first. */
	pg = db_open(ctx->conf->database, &err);
	if (!pg || !migrate_ensure(pg, ctx->conf, &err)) {
		db_close(pg);
		return cli_fail(ctx, err.msg);
	}
	db_close(pg);

	w.loop = loop_new();
	w.runner = runner_new(w.loop, ctx->conf, &ro, &err);
	if (!w.runner) {
		loop_free(w.loop);
		return cli_fail(ctx, err.msg);
	}
	runner_on_stopped(w.runner, on_stopped, &w);
	runner_on_job(w.runner, on_job, &w);
	runner_on_reconcile(w.runner, on_reconcile, &w);
	loop_signal(w.loop, SIGTERM, on_signal, &w);
	loop_signal(w.loop, SIGINT, on_signal, &w);
	fprintf(ctx->err, "opsdeck worker %s: running up to %ld job(s) at once\n",
		runner_name(w.runner), ro.max_jobs > 0 ? ro.max_jobs : ctx->conf->worker_jobs);
	loop_run(w.loop);
	runner_free(w.runner);
	loop_free(w.loop);
	for (size_t i = 0; i < w.nfound; i++)
		free(w.found[i]);
	free(w.found);
	return CLI_OK;
}
