#include "config.h"

#include "cli/cli_complete.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_route.h"
#include "cli/cli_util.h"
#include "db/catalog.h"
#include "db/clusters.h"
#include "db/customers.h"
#include "db/db.h"
#include "db/projects.h"
#include "db/storeref.h"
#include "db/stores.h"
#include "util.h"

static int complete_run(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_complete = {
    .noun = "complete",
    .verb = NULL,
    .usage = "store|project|customer|offering|cluster [PREFIX]",
    .summary = "the names starting with PREFIX, one a line, for shell completion "
	       "(nothing when the database cannot be reached)",
    .run = complete_run,
};

const struct cli_command *const cli_complete_commands[] = {&cmd_complete, NULL};

/* The kinds of names `opsdeck complete` answers, which are also the nouns
 * and options (--project PROJECT, --cluster NAME) that name one. */
static const char *const name_kinds[] = {"store",    "project", "customer",
					 "offering", "cluster", NULL};

static bool is_name_kind(const char *word)
{
	for (size_t i = 0; name_kinds[i]; i++) {
		if (strcmp(name_kinds[i], word) == 0)
			return true;
	}
	return false;
}

/* ---- the command table, for the generated completion scripts ---- */

/* The kind of a placeholder of a usage line: STORE, FILE, a|b|c… */
static void placeholder_kind(const char *p, char *kind, size_t kindsz)
{
	static const char *const upper[][2] = {
	    {"STORE", "store"},	      {"PROJECT", "project"}, {"CUSTOMER", "customer"},
	    {"OFFERING", "offering"}, {"CLUSTER", "cluster"}, {"FILE", "file"},
	};

	for (size_t i = 0; i < ARRAY_LEN(upper); i++) {
		if (strcmp(p, upper[i][0]) == 0) {
			snprintf(kind, kindsz, "%s", upper[i][1]);
			return;
		}
	}
	/* Lower-case words are the literal values it may take. */
	for (const char *c = p; *c; c++) {
		if (*c >= 'a' && *c <= 'z') {
			snprintf(kind, kindsz, "%s", p);
			return;
		}
	}
	snprintf(kind, kindsz, "any");
}

/* A usage word without its brackets: "[--force]" is "--force". */
static void unbracket(const char *word, char *out, size_t outsz)
{
	size_t j = 0;

	for (size_t i = 0; word[i] && j + 1 < outsz; i++) {
		if (word[i] != '[' && word[i] != ']')
			out[j++] = word[i];
	}
	out[j] = '\0';
}

/* "--name", or a short "-n" as kubectl's flags are written. */
static bool is_option_word(const char *w)
{
	return w[0] == '-' && (w[1] == '-' || ((w[1] >= 'a' && w[1] <= 'z') && !w[2]));
}

void cli_complete_describe(FILE *out, const struct cli_command *cmd)
{
	char *usage = xstrdup(cmd->usage);
	char *words[48];
	size_t n = 0, npos = 0;
	bool last_was_pos = false;

	for (char *save = NULL, *w = strtok_r(usage, " ", &save); w && n < ARRAY_LEN(words);
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;

	fprintf(out, "%s %s", cmd->noun, cmd->verb ? cmd->verb : "-");
	for (size_t i = 0; i < n; i++) {
		char word[96], kind[96];
		size_t len;
		bool repeated;

		unbracket(words[i], word, sizeof(word));
		if (!word[0] || strcmp(word, "|") == 0)
			continue;
		if (strcmp(word, "...") == 0) {
			if (last_was_pos)
				fputs("...", out);
			continue;
		}
		if (is_option_word(word)) {
			char value[96];
			size_t rawlen = strlen(words[i]);

			last_was_pos = false;
			/* "[--force]" is a flag; "[--timeout SECONDS]" takes a value. */
			if (words[i][rawlen - 1] == ']' || i + 1 >= n) {
				fprintf(out, " %s", word);
				continue;
			}
			unbracket(words[i + 1], value, sizeof(value));
			if (strcmp(value, "|") == 0 || is_option_word(value)) {
				fprintf(out, " %s", word);
				continue;
			}
			i++;
			if (is_name_kind(word + 2))
				snprintf(kind, sizeof(kind), "%s", word + 2);
			else
				placeholder_kind(value, kind, sizeof(kind));
			fprintf(out, " %s=<%s>", word, kind);
			continue;
		}
		len = strlen(word);
		last_was_pos = true;
		repeated = len > 3 && strcmp(word + len - 3, "...") == 0;
		if (repeated)
			word[len - 3] = '\0';
		/* The NAME a command other than create or add takes first is the
		 * name of one of its noun's things (`cluster set-state NAME`). */
		if (npos == 0 && strcmp(word, "NAME") == 0 && is_name_kind(cmd->noun) &&
		    cmd->verb && strcmp(cmd->verb, "create") != 0 && strcmp(cmd->verb, "add") != 0)
			snprintf(kind, sizeof(kind), "%s", cmd->noun);
		else
			placeholder_kind(word, kind, sizeof(kind));
		fprintf(out, " <%s>%s", kind, repeated ? "..." : "");
		npos++;
	}
	fputc('\n', out);
	free(usage);
}

static void describe_one(const struct cli_command *cmd, void *arg)
{
	cli_complete_describe(arg, cmd);
}

/* ---- names from the database ---- */

/* Completion answers while a person waits at a Tab: a database that does
 * not answer within these bounds is passed over, silently. The statement
 * bound also covers waiting for a lock (a table locked by a migration). */
#define COMPLETE_CONNECT_TIMEOUT "2"
#define COMPLETE_SQL_TIMEOUT "SET statement_timeout = 1000"

/* A blocking connection that gives up within 2 s, its queries within 1 s,
 * or NULL: completion never waits long for a database that is down or
 * slow, and never says so. */
static PGconn *open_quietly(const struct conf *conf)
{
	struct err err = {{0}};
	PGconn *pg;

	pg = db_open_within(conf->database, COMPLETE_CONNECT_TIMEOUT, &err);
	if (!pg)
		return NULL;
	if (!db_exec_fixed(pg, COMPLETE_SQL_TIMEOUT, &err)) {
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

static void say_word(struct cli_ctx *ctx, const char *word, const char *prefix)
{
	if (word && *word && str_has_prefix(word, prefix))
		fprintf(ctx->out, "%s\n", word);
}

static void list_stores(struct cli_ctx *ctx, const PGresult *res, const char *prefix)
{
	struct err err = {{0}};
	struct store_list l = {0};
	char **cands;
	size_t n;

	if (!store_list_parse(res, &l, &err))
		return;
	n = store_ref_complete(&l, prefix, &cands);
	for (size_t i = 0; i < n; i++) {
		fprintf(ctx->out, "%s\n", cands[i]);
		free(cands[i]);
	}
	free(cands);
	store_list_free(&l);
}

static void list_projects(struct cli_ctx *ctx, const PGresult *res, const char *prefix)
{
	struct err err = {{0}};
	struct project_list l = {0};

	if (!project_list_parse(res, &l, &err))
		return;
	for (size_t i = 0; i < l.n; i++)
		say_word(ctx, l.v[i].slug, prefix);
	project_list_free(&l);
}

static void list_customers(struct cli_ctx *ctx, const PGresult *res, const char *prefix)
{
	struct err err = {{0}};
	struct customer_list l = {0};

	if (!customer_list_parse(res, &l, &err))
		return;
	for (size_t i = 0; i < l.n; i++)
		say_word(ctx, l.v[i].slug, prefix);
	customer_list_free(&l);
}

static void list_offerings(struct cli_ctx *ctx, const PGresult *res, const char *prefix)
{
	struct err err = {{0}};
	struct offering_list l = {0};

	if (!offering_list_parse(res, &l, &err))
		return;
	for (size_t i = 0; i < l.n; i++) {
		if (strcmp(l.v[i].state, "archived") != 0)
			say_word(ctx, l.v[i].slug, prefix);
	}
	offering_list_free(&l);
}

static void list_clusters(struct cli_ctx *ctx, const PGresult *res, const char *prefix)
{
	struct err err = {{0}};
	struct cluster_list l = {0};

	if (!cluster_list_parse(res, &l, &err))
		return;
	for (size_t i = 0; i < l.n; i++)
		say_word(ctx, l.v[i].name, prefix);
	cluster_list_free(&l);
}

/* Prints the names of kind starting with prefix; nothing at all when the
 * database cannot be reached or answers with an error. */
static void list_names(struct cli_ctx *ctx, const char *kind, const char *prefix)
{
	struct err err = {{0}};
	struct db_req r;
	void (*list)(struct cli_ctx *, const PGresult *, const char *);
	PGconn *pg;
	PGresult *res;

	if (strcmp(kind, "store") == 0) {
		store_req_list(&r, NULL, false);
		list = list_stores;
	} else if (strcmp(kind, "project") == 0) {
		project_req_list(&r, NULL, false);
		list = list_projects;
	} else if (strcmp(kind, "customer") == 0) {
		customer_req_list(&r, false);
		list = list_customers;
	} else if (strcmp(kind, "offering") == 0) {
		catalog_req_list(&r);
		list = list_offerings;
	} else {
		cluster_req_list(&r);
		list = list_clusters;
	}
	pg = open_quietly(ctx->conf);
	res = pg ? db_req_exec(pg, &r, &err) : NULL;
	db_req_free(&r);
	if (res)
		list(ctx, res, prefix);
	PQclear(res);
	db_close(pg);
}

static int complete_run(struct cli_ctx *ctx, int argc, char **argv)
{
	char shown[CLI_SHOWN_SIZE];

	/* The command table the completion scripts are generated from. */
	if (argc == 2 && strcmp(argv[1], "--commands") == 0) {
		cli_each_command(describe_one, ctx->out);
		return fflush(ctx->out) == 0 ? CLI_OK : cli_fail(ctx, "cannot write the output");
	}
	if (argc < 2)
		return cli_usage(ctx, &cmd_complete, "missing arguments");
	if (argc > 3)
		return cli_usage(ctx, &cmd_complete, "unexpected argument '%s'",
				 cli_shown(argv[3], shown));
	if (!is_name_kind(argv[1]))
		return cli_usage(ctx, &cmd_complete, "cannot complete '%s'",
				 cli_shown(argv[1], shown));
	/* a person waits at a Tab: no passphrase prompt, no tunnel news */
	cli_route_quiet();
	list_names(ctx, argv[1], argc == 3 ? argv[2] : "");
	fflush(ctx->out);
	return CLI_OK;
}
