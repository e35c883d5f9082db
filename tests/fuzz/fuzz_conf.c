/* libFuzzer target: the settings file (conf_load_string). A file that
 * fails leaves the settings as they were and says where, one line without
 * control characters, starting with `fuzz.yaml:`; a file that loads gives
 * settings that conf_set() accepts again one by one, so the file and the
 * command line apply the same rule to every option. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			abort();
	}
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same(const struct conf *a, const struct conf *b)
{
	return same_text(a->theme, b->theme) && same_text(a->keymap, b->keymap) &&
	       a->mouse == b->mouse && a->read_only == b->read_only && a->worker == b->worker &&
	       same_text(a->database, b->database) && same_text(a->operator, b->operator) &&
	       same_text(a->kubeconfig, b->kubeconfig) && same_text(a->context, b->context) &&
	       a->log_max_lines == b->log_max_lines && a->log_max_bytes == b->log_max_bytes &&
	       a->provision_timeout_s == b->provision_timeout_s &&
	       same_text(a->store_domain, b->store_domain) && a->worker_jobs == b->worker_jobs &&
	       a->reconcile_interval_s == b->reconcile_interval_s &&
	       a->reconcile_confirm_s == b->reconcile_confirm_s && same_text(a->source, b->source);
}

static void set_again(struct conf *fresh, const char *name, const char *value)
{
	struct err err = {{0}};

	if (value && !conf_set(fresh, name, value, &err))
		abort();
}

static void set_long(struct conf *fresh, const char *name, long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%ld", v);
	set_again(fresh, name, num);
}

/* Every loaded value passes conf_set, and conf_set stores the same. */
static void check_values(const struct conf *c)
{
	struct conf fresh;

	conf_init(&fresh);
	set_again(&fresh, "theme", c->theme);
	set_again(&fresh, "keymap", c->keymap);
	set_again(&fresh, "mouse", c->mouse ? "true" : "false");
	set_again(&fresh, "read_only", c->read_only ? "true" : "false");
	set_again(&fresh, "worker", c->worker ? "true" : "false");
	set_again(&fresh, "database", c->database);
	set_again(&fresh, "operator", c->operator);
	set_again(&fresh, "kube.kubeconfig", c->kubeconfig);
	set_again(&fresh, "kube.context", c->context);
	set_long(&fresh, "logs.max_lines", c->log_max_lines);
	set_long(&fresh, "logs.max_bytes", c->log_max_bytes);
	set_long(&fresh, "provision.timeout", c->provision_timeout_s);
	set_again(&fresh, "provision.domain", c->store_domain);
	set_long(&fresh, "worker.jobs", c->worker_jobs);
	set_long(&fresh, "worker.reconcile_interval", c->reconcile_interval_s);
	set_long(&fresh, "worker.reconcile_confirm", c->reconcile_confirm_s);
	if (!c->database)
		set_again(&fresh, "database", "");
	if (!c->kubeconfig)
		set_again(&fresh, "kube.kubeconfig", "");
	if (!c->context)
		set_again(&fresh, "kube.context", "");
	free(fresh.source);
	fresh.source = c->source ? strdup(c->source) : NULL;
	if (!same(&fresh, c))
		abort();
	conf_free(&fresh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c, before;
	struct err err = {{0}};

	conf_init(&c);
	conf_init(&before);
	if (!conf_load_string(&c, "fuzz.yaml", (const char *)data, size, &err)) {
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0 || !same(&c, &before))
			abort();
		check_clean(err.msg);
	} else {
		if (!c.source || strcmp(c.source, "fuzz.yaml") != 0)
			abort();
		check_values(&c);
	}
	conf_free(&c);
	conf_free(&before);
	return 0;
}
