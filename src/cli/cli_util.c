#include "config.h"

#include "cli/cli_util.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/migrate.h"
#include "db/storeref.h"
#include "kube/kubeconfig.h"
#include "util.h"

/* "opsdeck: msg" on one line: whatever a message carries from the
 * command line or a server, no control character reaches the terminal. */
static void say(struct cli_ctx *ctx, const char *msg)
{
	size_t n = strlen(msg) + 1;
	char *clean = xmalloc(n);

	str_copy_clean(clean, n, msg);
	fprintf(ctx->err, "opsdeck: %s\n", clean);
	free(clean);
}

int cli_fail(struct cli_ctx *ctx, const char *msg)
{
	say(ctx, msg);
	return CLI_FAILED;
}

static void vsay(struct cli_ctx *ctx, const char *fmt, va_list ap) ATTR_FORMAT(2, 0);

static void vsay(struct cli_ctx *ctx, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);

	say(ctx, msg);
	free(msg);
}

int cli_failf(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(ctx, fmt, ap);
	va_end(ap);
	return CLI_FAILED;
}

void cli_print_usage(FILE *out, const struct cli_command *cmd)
{
	fprintf(out, "usage: opsdeck %s%s%s%s%s\n", cmd->noun, cmd->verb ? " " : "",
		cmd->verb ? cmd->verb : "", cmd->usage[0] ? " " : "", cmd->usage);
}

int cli_usage(struct cli_ctx *ctx, const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(ctx, fmt, ap);
	va_end(ap);
	if (cmd)
		cli_print_usage(ctx->err, cmd);
	return CLI_USAGE;
}

int cli_request_refused(struct cli_ctx *ctx, const struct cli_command *cmd, const struct err *err)
{
	struct err refused = { { 0 } };

	if (!db_mutation_allowed(ctx->conf, cmd->verb, &refused))
		return cli_fail(ctx, err->msg);
	return cli_usage(ctx, cmd, "%s", err->msg);
}

int cli_not_found(struct cli_ctx *ctx, const char *kind, const char *name)
{
	char shown[CLI_SHOWN_SIZE];

	return cli_failf(ctx, "no %s \"%s\"", kind, cli_shown(name, shown));
}

const char *cli_shown(const char *word, char buf[CLI_SHOWN_SIZE])
{
	str_copy_clean(buf, CLI_SHOWN_SIZE, word ? word : "");
	return buf;
}

bool cli_kube_context_known(struct cli_ctx *ctx)
{
	struct kubeconfig_opts ko = { .path = ctx->conf->kubeconfig,
				      .context = ctx->conf->context,
				      .no_in_cluster = true };
	struct err err = { { 0 } };
	struct kube_config *kc;

	if (!ctx->conf->context)
		return true;
	kc = kubeconfig_load(&ko, &err);
	if (!kc) {
		cli_fail(ctx, err.msg);
		return false;
	}
	kubeconfig_free(kc);
	return true;
}

bool cli_store_list(struct cli_ctx *ctx, struct db_req *r, struct store_list *l)
{
	struct err err = { { 0 } };
	PGresult *res = cli_db_query(ctx, r);

	if (!res)
		return false;
	if (!store_list_parse(res, l, &err)) {
		PQclear(res);
		cli_fail(ctx, err.msg);
		return false;
	}
	PQclear(res);
	return true;
}

static bool store_ref(struct cli_ctx *ctx, const char *ref, bool deleted, struct store_list *l,
		      const struct store **s)
{
	struct err err = { { 0 } };
	struct db_req r;

	memset(l, 0, sizeof(*l));
	*s = NULL;
	store_req_ref(&r, ref);
	if (!cli_store_list(ctx, &r, l))
		return false;
	*s = deleted ? store_ref_pick_any(l, ref, &err) : store_ref_pick(l, ref, &err);
	if (!*s) {
		store_list_free(l);
		cli_fail(ctx, err.msg);
		return false;
	}
	return true;
}

bool cli_store_ref(struct cli_ctx *ctx, const char *ref, struct store_list *l,
		   const struct store **s)
{
	return store_ref(ctx, ref, false, l, s);
}

bool cli_store_ref_any(struct cli_ctx *ctx, const char *ref, struct store_list *l,
		       const struct store **s)
{
	return store_ref(ctx, ref, true, l, s);
}

PGresult *cli_db_query(struct cli_ctx *ctx, struct db_req *r)
{
	struct err err = { { 0 } };
	PGconn *pg = cli_db_open(ctx, true);
	PGresult *res = NULL;

	if (pg) {
		res = db_req_exec(pg, r, &err);
		if (!res)
			cli_fail(ctx, err.msg);
		db_close(pg);
	}
	db_req_free(r);
	return res;
}

/* what: the problem; arg: the word it is about, or NULL. */
static bool usage_error(struct cli_ctx *ctx, const struct cli_command *cmd, const char *what,
			const char *arg)
{
	char shown[CLI_SHOWN_SIZE];

	if (arg)
		cli_usage(ctx, cmd, "%s '%s'", what, cli_shown(arg, shown));
	else
		cli_usage(ctx, cmd, "%s", what);
	return false;
}

bool cli_parse(struct cli_ctx *ctx, const struct cli_command *cmd, int argc, char **argv,
	       const struct cli_opt *opts, const char **pos, int min_pos, int max_pos, int *npos)
{
	bool only_pos = false;

	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_opt *o = NULL;
		const char *eq, *v;
		size_t nlen;

		if (only_pos || a[0] != '-' || a[1] != '-' || a[2] == '\0') {
			if (!only_pos && strcmp(a, "--") == 0) {
				only_pos = true;
				continue;
			}
			if (!only_pos && a[0] == '-' && a[1] != '\0')
				return usage_error(ctx, cmd, "unknown option", a);
			if (*npos >= max_pos)
				return usage_error(ctx, cmd, "unexpected argument", a);
			if (!a[0]) {
				cli_usage(ctx, cmd, "argument %d is empty", *npos + 1);
				return false;
			}
			pos[(*npos)++] = a;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			ctx->json = true;
			continue;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (const struct cli_opt *p = opts; p && p->name; p++) {
			if (strlen(p->name) == nlen && strncmp(p->name, a + 2, nlen) == 0)
				o = p;
		}
		if (!o)
			return usage_error(ctx, cmd, "unknown option", a);
		if (o->flag) {
			if (eq)
				return usage_error(ctx, cmd, "this option takes no value:", a);
			*o->flag = true;
			continue;
		}
		if (!eq && i + 1 >= argc)
			return usage_error(ctx, cmd, "this option needs a value:", a);
		v = eq ? eq + 1 : argv[++i];
		if (!v[0] && !o->empty_ok) {
			cli_usage(ctx, cmd, "--%s cannot be empty", o->name);
			return false;
		}
		if (o->values) {
			if (o->values->n >= o->values->max)
				return usage_error(ctx, cmd, "given too many times:", a);
			o->values->v[o->values->n++] = v;
		} else {
			*o->value = v;
		}
	}
	if (*npos < min_pos)
		return usage_error(ctx, cmd, "missing arguments", NULL);
	return true;
}

PGconn *cli_db_open(struct cli_ctx *ctx, bool check_schema)
{
	struct err err = { { 0 } };
	struct migrate_status st;
	PGconn *pg = db_open(ctx->conf->database, &err);

	if (!pg) {
		cli_fail(ctx, err.msg);
		return NULL;
	}
	if (!check_schema)
		return pg;
	if (!migrate_status(pg, &st, &err)) {
		cli_fail(ctx, err.msg);
		db_close(pg);
		return NULL;
	}
	if (st.unknown > 0) {
		fprintf(
		    ctx->err,
		    "opsdeck: the database schema is at version %d, newer than this opsdeck knows "
		    "(%d): upgrade opsdeck\n",
		    st.db_version, st.bin_version);
	} else if (st.pending > 0) {
		fprintf(ctx->err,
			"opsdeck: the database schema is at version %d and this opsdeck needs %d: "
			"run `opsdeck db migrate`\n",
			st.db_version, st.bin_version);
	} else {
		migrate_status_free(&st);
		return pg;
	}
	migrate_status_free(&st);
	db_close(pg);
	return NULL;
}

int cli_json_print(struct cli_ctx *ctx, json_t *v)
{
	int rc = json_dumpf(v, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(v);
	if (rc != 0 || fputc('\n', ctx->out) == EOF)
		return cli_fail(ctx, "cannot write the output");
	return CLI_OK;
}

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *header)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	cli_table_row(t, header);
}

void cli_table_row(struct cli_table *t, const char *const *cells)
{
	t->cells = xgrow(t->cells, &t->cap, (t->nrows + 1) * t->ncols, sizeof(*t->cells));
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = xstrdup(cells[c] ? cells[c] : "");
	t->nrows++;
}

/* Display width of UTF-8 text, one column per character. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	}
	return w;
}

void cli_table_print(const struct cli_table *t, FILE *out)
{
	size_t *width = xcalloc(t->ncols, sizeof(*width));

	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w = text_width(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			fputs(cell, out);
			if (c + 1 < t->ncols) {
				for (size_t pad = text_width(cell); pad < width[c] + 2; pad++)
					fputc(' ', out);
			}
		}
		fputc('\n', out);
	}
	free(width);
}

void cli_table_free(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	x_free(&t->cells);
	t->nrows = 0;
}
