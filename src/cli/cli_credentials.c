#include "config.h"

#include "cli/cli_credentials.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "db/stores.h"
#include "loop.h"
#include "kube/registry.h"
#include "provision/credentials.h"
#include "provision/secret.h"

static int credentials_run(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_command cmd_credentials = {
	.noun = "store",
	.verb = "credentials",
	.usage = "STORE [--timeout SECONDS] [--json]",
	.summary = "reveal a store's generated passwords, from its Secret (audited)",
	.run = credentials_run,
};

const struct cli_command *const cli_credentials_commands[] = { &cmd_credentials, NULL };

/* Where the credentials are, from the audit statement's answer. */
struct where {
	char namespace[64], cluster[64], context[256];
	long event;
};

struct reading {
	struct loop *loop;
	struct credentials *c;
	struct err err;
};

static void got(struct credentials *c, const struct err *err, void *ud)
{
	struct reading *rd = ud;

	rd->c = c;
	if (err)
		rd->err = *err;
	loop_stop(rd->loop);
}

/* Reads the Secret on the store's cluster; NULL with err set. */
static struct credentials *read_secret(const struct conf *conf, const char *id,
				       const struct where *w, long timeout_ms, struct err *err)
{
	struct reading rd = { .loop = loop_new() };
	struct kube_registry *kc = kube_registry_acquire(rd.loop, conf->kubeconfig);
	struct credentials_target t = { .store = id,
					.namespace = w->namespace,
					.cluster = w->cluster };
	struct kube_http *h = kube_registry_client(kc, w->context, err);
	struct err e = { { 0 } };

	if (!h) {
		err_set(&e, "store %s: cluster %s (context %s): %s", id, w->cluster, w->context,
			err->msg);
		*err = e;
	} else if (credentials_read(h, &t, timeout_ms, got, &rd, err)) {
		loop_run(rd.loop); /* bounded by the read's own timeout */
		if (!rd.c)
			*err = rd.err;
	}
	kube_registry_release(kc);
	loop_free(rd.loop);
	return rd.c;
}

static int print_text(struct cli_ctx *ctx, const struct credentials *c)
{
	int w = credentials_key_width();

	for (size_t i = 0; i < CREDENTIALS_NKEYS; i++) {
		const struct credential *v = &c->v[i];

		if (v->state != CREDENTIAL_FOUND)
			fprintf(ctx->out, "%-*s  %s\n", w, v->key,
				credentials_state_words(v->state));
		else if (!credentials_printable(v))
			fprintf(ctx->out, "%-*s  (holds control characters: use --json)\n", w,
				v->key);
		else
			fprintf(ctx->out, "%-*s  %s\n", w, v->key, v->value);
	}
	return fflush(ctx->out) == 0 ? CLI_OK : cli_fail(ctx, "cannot write the output");
}

/* The JSON copies of the values are wiped before they are freed: jansson
 * owns them, and the document is ours to discard. */
static void wipe_json_strings(json_t *creds)
{
	const char *k;
	json_t *v;

	json_object_foreach(creds, k, v)
	{
		const char *s = json_string_value(v);

		if (s)
			secret_wipe((char *)s, json_string_length(v));
	}
}

static int print_json(struct cli_ctx *ctx, const char *id, const struct where *w,
		      const struct credentials *c)
{
	json_t *creds = json_object();
	json_t *doc;
	char *text;
	int rc = CLI_OK;

	for (size_t i = 0; i < CREDENTIALS_NKEYS; i++) {
		const struct credential *v = &c->v[i];

		json_t *s = v->state == CREDENTIAL_FOUND ? json_stringn(v->value, v->len) : NULL;

		/* null: absent, unreadable, or not UTF-8 (JSON cannot carry it) */
		json_object_set_new(creds, v->key, s ? s : json_null());
	}
	doc = json_pack("{s:s, s:s, s:s, s:I, s:O}", "store", id, "namespace", w->namespace,
			"cluster", w->cluster, "event", (json_int_t)w->event, "credentials", creds);
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!text || fputs(text, ctx->out) == EOF || fputc('\n', ctx->out) == EOF ||
	    fflush(ctx->out) != 0)
		rc = cli_fail(ctx, "cannot write the output");
	if (text) {
		secret_wipe(text, strlen(text));
		free(text);
	}
	wipe_json_strings(creds);
	json_decref(creds);
	json_decref(doc);
	return rc;
}

static int credentials_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *timeout_s = NULL;
	const struct cli_opt opts[] = { { "timeout", &timeout_s, NULL, NULL, false },
					{ NULL, NULL, NULL, NULL, false } };
	const char *pos[1];
	long timeout = CREDENTIALS_TIMEOUT_MS / 1000;
	struct err err = { { 0 } };
	struct db_req r;
	struct where w = { .event = 0 };
	struct credentials *c;
	struct store_list l;
	const struct store *s;
	PGresult *res;
	char id[STORE_ID_LEN + 1];
	int npos, rc;

	if (!cli_parse(ctx, &cmd_credentials, argc, argv, opts, pos, 1, 1, &npos))
		return CLI_USAGE;
	if (timeout_s && !str_to_long(timeout_s, 1, 300, &timeout))
		return cli_usage(ctx, &cmd_credentials, "--timeout takes seconds from 1 to 300");
	if (!cli_kube_context_known(ctx) || !cli_store_ref(ctx, pos[0], &l, &s))
		return CLI_FAILED;
	str_copy(id, sizeof(id), s->id);
	store_list_free(&l);
	/* The audit event first: without it, nothing is read. */
	if (!store_req_reveal(&r, ctx->conf, id, credentials_keys, CREDENTIALS_NKEYS, &err))
		return cli_fail(ctx, err.msg);
	res = cli_db_query(ctx, &r);
	db_req_free(&r);
	if (!res)
		return CLI_FAILED;
	str_copy(w.namespace, sizeof(w.namespace), db_val(res, 0, STORE_REVEAL_NAMESPACE));
	str_copy(w.cluster, sizeof(w.cluster), db_val(res, 0, STORE_REVEAL_CLUSTER));
	str_copy(w.context, sizeof(w.context), db_val(res, 0, STORE_REVEAL_CONTEXT));
	w.event = db_long(res, 0, STORE_REVEAL_EVENT);
	PQclear(res);

	c = read_secret(ctx->conf, id, &w, timeout * 1000, &err);
	if (!c)
		return cli_fail(ctx, err.msg);
	rc = ctx->json ? print_json(ctx, id, &w, c) : print_text(ctx, c);
	credentials_free(c);
	return rc;
}
