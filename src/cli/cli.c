#include "config.h"

#include "cli/cli.h"

#include <string.h>

#include "cli/cli_catalog.h"
#include "cli/cli_complete.h"
#include "cli/cli_credentials.h"
#include "cli/cli_db.h"
#include "cli/cli_doctor.h"
#include "cli/cli_events.h"
#include "cli/cli_job.h"
#include "cli/cli_logs.h"
#include "cli/cli_project.h"
#include "cli/cli_queue.h"
#include "cli/cli_route.h"
#include "cli/cli_store.h"
#include "cli/cli_tunnel.h"
#include "cli/cli_util.h"
#include "cli/cli_worker.h"
#include "util.h"

/* Each module exports its commands as a NULL-terminated array; this table
 * collects them. Add a module's array here and nowhere else. */
static const struct cli_command *const *const cli_modules[] = {
	cli_db_commands,
	cli_project_commands,
	cli_catalog_commands,
	cli_events_commands,
	cli_store_commands,
	cli_job_commands,
	cli_credentials_commands,
	cli_logs_commands,
	cli_worker_commands,
	cli_doctor_commands,
	cli_queue_commands,
	cli_tunnel_commands,
	cli_complete_commands,
	NULL,
};

#define FOR_EACH_COMMAND(c)                                                                  \
	for (size_t m_ = 0; cli_modules[m_]; m_++)                                           \
		for (const struct cli_command *const *cp_ = cli_modules[m_]; *cp_; cp_++)    \
			if (((c) = *cp_) != NULL)

static bool is_noun(const char *word)
{
	const struct cli_command *c;

	FOR_EACH_COMMAND(c)
	{
		if (strcmp(c->noun, word) == 0)
			return true;
	}
	return false;
}

void cli_print_commands(FILE *out)
{
	const struct cli_command *c;

	FOR_EACH_COMMAND(c)
	{
		char head[64];

		snprintf(head, sizeof(head), "%s%s%s", c->noun, c->verb ? " " : "",
			 c->verb ? c->verb : "");
		fprintf(out, "  opsdeck %-22s %s\n", head, c->summary);
	}
}

void cli_each_command(void (*fn)(const struct cli_command *c, void *arg), void *arg)
{
	const struct cli_command *c;

	FOR_EACH_COMMAND(c)
	{
		fn(c, arg);
	}
}

static void print_noun_usage(FILE *out, const char *noun)
{
	const struct cli_command *c;

	FOR_EACH_COMMAND(c)
	{
		if (strcmp(c->noun, noun) == 0)
			cli_print_usage(out, c);
	}
}

/* `--help` or `-h` among a command's words (before a `--`). */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

/* A command's help, on stdout: its usage and what it does. */
static int print_help(struct cli_ctx *ctx, const struct cli_command *c)
{
	cli_print_usage(ctx->out, c);
	fprintf(ctx->out, "%s\n", c->summary);
	return fflush(ctx->out) == 0 ? CLI_OK : cli_fail(ctx, "cannot write the output");
}

/* A noun's help: each of its verbs with what it does. */
static int print_noun_help(struct cli_ctx *ctx, const char *noun)
{
	const struct cli_command *c;

	FOR_EACH_COMMAND(c)
	{
		if (strcmp(c->noun, noun) == 0) {
			cli_print_usage(ctx->out, c);
			fprintf(ctx->out, "    %s\n", c->summary);
		}
	}
	return fflush(ctx->out) == 0 ? CLI_OK : cli_fail(ctx, "cannot write the output");
}

/* --json may follow the verb, as scripts tend to write it; it is taken out
 * before the command sees its arguments. */
static int strip_json(struct cli_ctx *ctx, int argc, char **argv)
{
	int j = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctx->json = true;
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return j;
}

static int dispatch(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command *c;
	char shown[CLI_SHOWN_SIZE], verb[CLI_SHOWN_SIZE];

	argc = strip_json(ctx, argc, argv);
	if (!is_noun(argv[0]))
		return cli_usage(ctx, NULL, "unknown command \"%s\" (opsdeck --help lists them)",
				 cli_shown(argv[0], shown));

	/* A noun that is a command on its own (`opsdeck worker --once`): its
	 * arguments start after the noun, which stands in the verb's place. */
	FOR_EACH_COMMAND(c)
	{
		if (!c->verb && strcmp(c->noun, argv[0]) == 0)
			return wants_help(argc, argv) ? print_help(ctx, c)
						       : c->run(ctx, argc, argv);
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return print_noun_help(ctx, argv[0]);
	if (argc < 2) {
		cli_usage(ctx, NULL, "%s needs a verb", argv[0]);
		print_noun_usage(ctx->err, argv[0]);
		return CLI_USAGE;
	}
	FOR_EACH_COMMAND(c)
	{
		if (c->verb && strcmp(c->noun, argv[0]) == 0 && strcmp(c->verb, argv[1]) == 0) {
			if (wants_help(argc - 1, argv + 1))
				return print_help(ctx, c);
			return c->run(ctx, argc - 1, argv + 1);
		}
	}
	cli_usage(ctx, NULL, "unknown command \"%s %s\"", argv[0], cli_shown(argv[1], verb));
	print_noun_usage(ctx->err, argv[0]);
	return CLI_USAGE;
}

int cli_main(struct cli_ctx *ctx, int argc, char **argv)
{
	int rc;

	/* every command's clients ride the tunnels the settings name */
	cli_route_begin(ctx->conf, ctx->err);
	rc = dispatch(ctx, argc, argv);
	/* ctrl-C at a passphrase prompt, in a command that handles SIGINT */
	if (cli_route_interrupted())
		rc = 130;
	cli_route_end();
	return rc;
}
