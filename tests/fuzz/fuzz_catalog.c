/* libFuzzer target: catalog files (catalog_file_parse), the offerings an
 * operator imports. A file that loads has a DNS-label slug, a known kind
 * and state, 1 to CATALOG_MAX_PLANS plans with distinct DNS-label names
 * whose numbers are in their ranges (limits at least the requests, whole
 * Gi of storage, a price of at most two decimals), 1 to
 * CATALOG_MAX_MANIFESTS manifests, keeps its text whole, gives warnings
 * inside the file without control characters, and loads again from its
 * kept text to the same offering; a file that fails says where, one line
 * without control characters, starting with `fuzz.yaml:`. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/catalog_file.h"
#include "db/db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			abort();
	}
}

static bool listed(const char *s, const char *const *set)
{
	for (; *set; set++) {
		if (strcmp(s, *set) == 0)
			return true;
	}
	return false;
}

static void check_plan(const struct catalog_plan *p)
{
	const char *dot = strchr(p->monthly_price, '.');

	if (!db_valid_dns_label(p->name) || p->replicas < 1 || p->replicas > 20 ||
	    p->cpu_request_millis < 10 || p->cpu_limit_millis < p->cpu_request_millis ||
	    p->cpu_limit_millis > 64000 || p->memory_request_mib < 16 ||
	    p->memory_limit_mib < p->memory_request_mib || p->memory_limit_mib > 262144 ||
	    p->storage_gib < 1 || p->storage_gib > 16384)
		abort();
	if (!p->monthly_price[0] ||
	    strspn(p->monthly_price, "0123456789.") != strlen(p->monthly_price) ||
	    (dot && (strlen(dot + 1) < 1 || strlen(dot + 1) > 2 || strchr(dot + 1, '.'))))
		abort();
}

static void check_same(const struct catalog_file *a, const struct catalog_file *b)
{
	if (strcmp(a->slug, b->slug) != 0 || strcmp(a->name, b->name) != 0 ||
	    strcmp(a->kind, b->kind) != 0 || strcmp(a->state, b->state) != 0 ||
	    strcmp(a->description ? a->description : "", b->description ? b->description : "") ||
	    a->nplans != b->nplans || a->nmanifests != b->nmanifests ||
	    a->warnings.n != b->warnings.n ||
	    memcmp(a->plans, b->plans, a->nplans * sizeof(a->plans[0])) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const states[] = {"active", "paused", "archived", NULL};
	struct err err = {{0}};
	struct catalog_file *f = catalog_file_parse("fuzz.yaml", (const char *)data, size, &err);
	struct catalog_file *again;
	unsigned lines = 1;

	if (!f) {
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
			abort();
		check_clean(err.msg);
		return 0;
	}
	if (!db_valid_dns_label(f->slug) || !listed(f->kind, catalog_kinds) ||
	    !listed(f->state, states) || !f->name || f->nplans < 1 ||
	    f->nplans > CATALOG_MAX_PLANS || f->nmanifests < 1 ||
	    f->nmanifests > CATALOG_MAX_MANIFESTS)
		abort();
	for (size_t i = 0; i < f->nplans; i++) {
		check_plan(&f->plans[i]);
		for (size_t k = 0; k < i; k++) {
			if (strcmp(f->plans[i].name, f->plans[k].name) == 0)
				abort();
		}
	}
	if (!f->text || strlen(f->text) != size || memcmp(f->text, data, size) != 0)
		abort();
	/* line breaks as YAML counts them: \n, \r\n, a lone \r, U+0085,
	 * U+2028 and U+2029 */
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n')))
			lines++;
		else if (i + 1 < size && data[i] == 0xc2 && data[i + 1] == 0x85)
			lines++;
		else if (i + 2 < size && data[i] == 0xe2 && data[i + 1] == 0x80 &&
			 (data[i + 2] == 0xa8 || data[i + 2] == 0xa9))
			lines++;
	}
	for (size_t i = 0; i < f->warnings.n; i++) {
		const struct listkey_finding *w = &f->warnings.v[i];

		if (w->line < 1 || w->line > lines || w->column < 1 || !w->message)
			abort();
		check_clean(w->message);
		if (i > 0 && w->line < f->warnings.v[i - 1].line)
			abort(); /* in file order */
	}
	again = catalog_file_parse("fuzz.yaml", f->text, strlen(f->text), &err);
	if (!again)
		abort();
	check_same(f, again);
	catalog_file_free(again);
	catalog_file_free(f);
	return 0;
}
